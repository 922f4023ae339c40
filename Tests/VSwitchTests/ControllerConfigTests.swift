import Flow
import OFProto
import OVSDB
import Testing
@testable import VSwitch

private func switchSpec(controllers: [String], failMode: String? = nil, nextCfg: Int64) -> SwitchSpec {
    var b = BridgeSpec(uuid: UUID(hi: 1, lo: 3), name: "br0", datapathType: "dummy", failMode: failMode,
                       ports: [PortSpec(name: "br0", interfaces: [InterfaceSpec(uuid: UUID(hi: 2, lo: 1), name: "br0",
                                                                                 type: "internal")])])
    b.controllers = controllers.enumerated().map { ControllerSpec(uuid: UUID(hi: 3, lo: UInt64($0.offset)), target: $0.element) }
    return SwitchSpec(rootUUID: UUID(hi: 9, lo: 9), nextCfg: nextCfg, bridges: ["br0": b])
}

@Suite(.serialized) struct ControllerConfigTests {
    @Test func flowsFollowControllersAndFailMode() throws {
        let layer = BridgeLayer(options: .init(databaseRemote: "unix:/nonexistent", runDirectory: "/tmp"),
                                host: MemoryHost(), serveOpenFlow: false)
        defer { layer.shutdown(cleanup: true) }
        func rules() -> [String] {
            let b = layer.ofprotoBridges.bridge(named: "br0")!
            return b.pipeline.read { $0.rules(in: .all) }.map { "\($0.openFlowPriority) \(OFAction.format($0.actions))" }
        }
        layer.apply(switchSpec(controllers: [], nextCfg: 1))
        #expect(rules() == ["0 NORMAL"])
        // A rule of the user's, then the first controller: everything is flushed.
        let b = layer.ofprotoBridges.bridge(named: "br0")!
        try b.pipeline.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: .catchAll, priority: 7, actions: [.output(port: OFPort(rawValue: 1), maxLength: 0)]),
                       table: OpenFlowTableID(0), now: OFProtoBridge.now())
        }
        #expect(rules().count == 2)
        layer.apply(switchSpec(controllers: ["tcp:127.0.0.1:1"], nextCfg: 2))
        #expect(rules().isEmpty)
        // The last controller goes: flushed again, NORMAL back.
        layer.apply(switchSpec(controllers: [], nextCfg: 3))
        #expect(rules() == ["0 NORMAL"])
        // fail_mode=secure without controllers: no flows.
        layer.apply(switchSpec(controllers: [], failMode: "secure", nextCfg: 4))
        #expect(rules().isEmpty)
        // Status rows for the Controller table.
        let s = switchSpec(controllers: ["tcp:127.0.0.1:1"], nextCfg: 5)
        layer.apply(s)
        let rows = layer.statusUpdates(s, completing: true).first { $0.0 == "Controller" }!.1
        #expect(rows.count == 1 && rows[0].1["is_connected"] == Datum(keys: [.boolean(false)]))
    }

    @Test func protocolsColumn() {
        #expect(ControllerSpec.versions([]) == [1, 4, 5, 6])
        #expect(ControllerSpec.versions(["OpenFlow13"]) == [4])
        #expect(ControllerSpec.versions(["OpenFlow10", "OpenFlow15", "OpenFlow12"]) == [1, 6])
    }
}
