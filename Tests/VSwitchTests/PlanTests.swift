import OVSDB
import Testing
@testable import OVSDBClient
@testable import VSwitch

private func bridge(_ name: String, type: String = "dummy", _ ifaces: [InterfaceSpec]) -> BridgeSpec {
    BridgeSpec(name: name, datapathType: type,
               ports: [PortSpec(name: name, interfaces: [InterfaceSpec(name: name, type: "internal")])]
                   + ifaces.map { PortSpec(name: $0.name, interfaces: [$0]) })
}

private func iface(_ name: String, _ type: String = "dummy", request: UInt16? = nil,
                   options: [String: String] = [:]) -> InterfaceSpec {
    InterfaceSpec(name: name, type: type, options: options, ofportRequest: request)
}

private func running(_ ifaces: [(String, String, UInt16)], type: String = "dummy") -> RunningBridgeSummary {
    var keys: [String: DeviceKey] = [:], ofports: [String: UInt16] = [:]
    for (name, t, ofport) in ifaces {
        keys[name] = DeviceKey(type: t)
        ofports[name] = ofport
    }
    return RunningBridgeSummary(datapathType: type, interfaces: keys, ofports: ofports)
}

@Suite struct ReconfigurationPlanTests {
    typealias BI = ReconfigurationPlan.BridgeInterface

    @Test func nothingChangedDoesNothing() {
        let desired = SwitchSpec(bridges: ["br0": bridge("br0", [iface("p1"), iface("p2")])])
        let plan = ReconfigurationPlan(running: ["br0": running([("p1", "dummy", 1), ("p2", "dummy", 2)])],
                                       desired: desired)
        #expect(plan.isEmpty)
    }

    @Test func onlyTheNewPortIsAdded() {
        let desired = SwitchSpec(bridges: ["br0": bridge("br0", [iface("p1"), iface("p2"), iface("p3")])])
        let plan = ReconfigurationPlan(running: ["br0": running([("p1", "dummy", 1), ("p2", "dummy", 2)])],
                                       desired: desired)
        #expect(plan.bridgesToAdd.isEmpty && plan.bridgesToRemove.isEmpty && plan.interfacesToRemove.isEmpty)
        #expect(plan.interfacesToAdd == [BI("br0", "p3")])
    }

    @Test func removedAndChangedPorts() {
        let desired = SwitchSpec(bridges: ["br0": bridge("br0", [iface("p2", "internal"),
                                                                 iface("p3", options: ["pcap": "x"])])])
        let plan = ReconfigurationPlan(
            running: ["br0": running([("p1", "dummy", 1), ("p2", "dummy", 2), ("p3", "dummy", 3)])],
            desired: desired)
        #expect(plan.interfacesToRemove == [BI("br0", "p1"), BI("br0", "p2"), BI("br0", "p3")])
        #expect(plan.interfacesToAdd == [BI("br0", "p2"), BI("br0", "p3")])
    }

    @Test func bridgesAddedRemovedAndRetyped() {
        let desired = SwitchSpec(bridges: ["br1": bridge("br1", type: "netdev", []), "br2": bridge("br2", [])])
        let plan = ReconfigurationPlan(running: ["br0": running([]), "br1": running([])], desired: desired)
        #expect(plan.bridgesToRemove == ["br0", "br1"])
        #expect(plan.bridgesToAdd == ["br1", "br2"])
    }

    @Test func unsatisfiedRequestRenumbersWithItsVictim() {
        // q5 holds 2; q6 asks for 2 and got 3: both go and come back, the
        // requester first (Open vSwitch's bridge_delete_or_reconfigure_ports).
        let desired = SwitchSpec(bridges: ["br1": bridge("br1", [iface("q5"), iface("q6", request: 2)])])
        let plan = ReconfigurationPlan(running: ["br1": running([("q5", "dummy", 2), ("q6", "dummy", 3)])],
                                       desired: desired)
        #expect(plan.interfacesToRemove == [BI("br1", "q5"), BI("br1", "q6")])
        #expect(plan.interfacesToAdd == [BI("br1", "q6"), BI("br1", "q5")])
    }

    @Test func twoRequestsForOneNumberStayPut() {
        let desired = SwitchSpec(bridges: ["br1": bridge("br1", [iface("a", request: 2), iface("b", request: 2)])])
        let plan = ReconfigurationPlan(running: ["br1": running([("a", "dummy", 2), ("b", "dummy", 3)])],
                                       desired: desired)
        // b cannot have 2 (a asked for it too): b is re-tried, a stays.
        #expect(plan.interfacesToRemove == [BI("br1", "b")])
        #expect(plan.interfacesToAdd == [BI("br1", "b")])
    }

    @Test func interfaceMovesBetweenBridges() {
        let desired = SwitchSpec(bridges: ["br0": bridge("br0", []), "br1": bridge("br1", [iface("p1")])])
        let plan = ReconfigurationPlan(running: ["br0": running([("p1", "dummy", 1)]), "br1": running([])],
                                       desired: desired)
        #expect(plan.interfacesToRemove == [BI("br0", "p1")])
        #expect(plan.interfacesToAdd == [BI("br1", "p1")])
    }

    @Test func datapathKinds() {
        #expect(DatapathKind(datapathType: "") == .netdev)
        #expect(DatapathKind(datapathType: "netdev").datapathName == "ovs-netdev")
        #expect(DatapathKind(datapathType: "dummy").datapathName == "ovs-dummy")
        #expect(DatapathKind(datapathType: "system").datapathName == nil)
        #expect(DatapathKind.dummy.portType(forInterfaceType: "internal") == "dummy-internal")
        #expect(DatapathKind.netdev.portType(forInterfaceType: "internal") == "tap")
        #expect(DatapathKind.netdev.portType(forInterfaceType: "") == "system")
        #expect(DatapathKind.netdev.portType(forInterfaceType: "patch") == nil)
    }
}

@Suite struct SwitchSpecTests {
    /// The replica of a database made by a real transaction on svs's schema.
    @Test func readsOnlyReferencedRows() throws {
        let schema = Schemas.vswitch()
        var replica = Replica(schema: schema)
        let root = "00000000-0000-0000-0000-000000000001", br = "00000000-0000-0000-0000-000000000002"
        let port = "00000000-0000-0000-0000-000000000003", ifc = "00000000-0000-0000-0000-000000000004"
        let stray = "00000000-0000-0000-0000-000000000005"
        let updates = try JSON.parse("""
            {"Open_vSwitch": {"\(root)": {"initial": {"bridges": ["uuid", "\(br)"], "next_cfg": 4, "cur_cfg": 3}}},
             "Bridge": {"\(br)": {"initial": {"name": "br0", "datapath_type": "dummy", "fail_mode": "secure",
                                              "ports": ["uuid", "\(port)"],
                                              "other_config": ["map", [["mac-aging-time", "10"]]]}},
                        "\(stray)": {"initial": {"name": "br9"}}},
             "Port": {"\(port)": {"initial": {"name": "p1", "tag": 10, "trunks": ["set", [1, 2]],
                                              "vlan_mode": "native-untagged", "interfaces": ["uuid", "\(ifc)"]}}},
             "Interface": {"\(ifc)": {"initial": {"name": "p1", "type": "dummy", "ofport_request": 5, "ofport": 7,
                                                  "options": ["map", [["pcap", "/tmp/x"]]]}}}}
            """)
        try replica.apply(updates, version2: true)
        let spec = SwitchSpec(replica: replica)
        #expect(spec.nextCfg == 4 && spec.curCfg == 3)
        #expect(Array(spec.bridges.keys) == ["br0"])
        let b = try #require(spec.bridges["br0"])
        #expect(b.datapathType == "dummy" && b.failMode == "secure")
        #expect(b.settings.failSecure && b.settings.macAgingTime == 10)
        let p = try #require(b.ports.first)
        #expect(p.tag == 10 && p.trunks == [1, 2] && p.vlanMode == .nativeUntagged)
        let i = try #require(p.interfaces.first)
        #expect(i.type == "dummy" && i.ofportRequest == 5 && i.recordedOFPort == 7 && i.options == ["pcap": "/tmp/x"])
        // The recorded ofport is status, not configuration.
        #expect(spec.configuration["br0"]?.ports[0].interfaces[0].recordedOFPort == nil)

        // Clearing an optional column: the server sends the new (empty) value.
        try replica.apply(try JSON.parse("""
            {"Port": {"\(port)": {"modify": {"tag": ["set", []]}}}}
            """), version2: true)
        #expect(SwitchSpec(replica: replica).bridges["br0"]?.ports[0].tag == nil)
    }
}
