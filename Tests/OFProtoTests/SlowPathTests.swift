import DPIF
import Datapath
import Flow
import NetDevices
@testable import OFProto
import Synchronization
import Testing
import Wire

/// A datapath with ports p1..p3 behind a lock, as the daemon provides it.
final class TestDatapathAccess: DatapathAccess, @unchecked Sendable {
    var made: [String: DummyPort] = [:]
    /// What each port has sent so far (`DummyPort` hands frames over once).
    private let transmitted = Mutex<[String: [[UInt8]]]>([:])
    var dp: LocalDatapath!
    let lock = Mutex(())

    init() throws {
        var r = PortTypeRegistry()
        r.register("mem") { [unowned self] (c, n) throws(PortError) -> any Port in
            let p = try DummyPort(configuration: c, number: n)
            made[c.name] = p
            return p
        }
        dp = try LocalDatapath(name: "ovs-test", registry: r, localType: "mem")
        for name in ["p1", "p2", "p3"] { try dp.addPort(PortConfiguration(name: name, type: "mem")) }
    }

    func withDatapath<R>(named name: String, _ body: (any DPIF) -> R) -> R? {
        guard name == dp.name else { return nil }
        return lock.withLock { _ in body(dp) }
    }

    func poll() { _ = lock.withLock { _ in dp.poll() } }
    func port(_ name: String) -> DummyPort { made[name]! }

    /// Every frame port `name` has sent since the datapath was made.
    func sent(_ name: String) -> [[UInt8]] {
        let new = port(name).drainTransmitted()
        return transmitted.withLock { $0[name, default: []] += new; return $0[name]! }
    }
}

func udpFrame(src: UInt64, dst: UInt64, dport: UInt16 = 53) -> [UInt8] {
    func mac(_ v: UInt64) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: v >> (40 - 8 * UInt64($0))) } }
    let ip: [UInt8] = [0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
    let udp: [UInt8] = [0x04, 0xd2, UInt8(dport >> 8), UInt8(dport & 0xff), 0, 26, 0, 0]
    return mac(dst) + mac(src) + [0x08, 0x00] + ip + udp + [UInt8](repeating: 7, count: 18)
}

struct SlowPathRig {
    let access: TestDatapathAccess
    let bridges = OFProtoBridges()
    let bridge: OFProtoBridge
    let slow: SlowPath

    init(flows: [String]? = nil) throws {
        access = try TestDatapathAccess()
        var settings = BridgeSettings()
        settings.failSecure = flows != nil
        bridge = OFProtoBridge(name: "br0", datapathName: "ovs-test", settings: settings)
        let dp = access.dp!
        bridge.setPorts(try ["p1", "p2", "p3"].enumerated().map { i, name in
            BridgePort(name: name, ofport: OFPort(rawValue: UInt16(i + 1)), datapathPort: try dp.port(named: name).number)
        })
        bridges.set([bridge])
        if let flows { try SlowPathRig.install(flows, into: bridge) }
        slow = SlowPath(datapathName: "ovs-test", access: access, bridges: bridges)
    }

    static func install(_ flows: [String], into bridge: OFProtoBridge) throws {
        try bridge.pipeline.transaction { tx in
            _ = tx.delete(table: .all, OpenFlowRuleCriteria(match: .catchAll))
            for line in flows {
                let f = try FlowModText.parse(line)
                try tx.add(OpenFlowRuleSpec(match: f.match, priority: UInt16(f.priority), actions: f.actions),
                           table: OpenFlowTableID(f.table == 255 ? 0 : f.table), now: OFProtoBridge.now())
            }
        }
    }

    func send(_ port: String, _ frames: [[UInt8]]) {
        access.port(port).inject(contentsOf: frames)
        access.poll()
    }

    var flows: [DPIFFlow] { access.withDatapath(named: "ovs-test") { $0.dumpAllFlows() } ?? [] }
}

@Suite(.serialized) struct SlowPathTests {
    @Test func missInstallsMegaflowAndOutputsThePacket() throws {
        let rig = try SlowPathRig()
        let f = udpFrame(src: 1, dst: 2)
        rig.send("p1", [f])
        #expect(rig.slow.handleUpcalls() == 1)
        // NORMAL floods to p2 and p3.
        #expect(rig.access.sent("p2") == [f])
        #expect(rig.access.sent("p3") == [f])
        let flows = rig.flows
        #expect(flows.count == 1)
        #expect(flows.first?.actions == [.output(DatapathPort(2)), .output(DatapathPort(3))])
        #expect(flows.first?.mask[.ethDestination] == FlowField.ethDestination.maxValue)
        // The next packet of the flow is handled by the datapath alone.
        rig.send("p1", [f])
        #expect(rig.slow.handleUpcalls() == 0)
        #expect(rig.access.sent("p2").count == 2)
        // The reply is forwarded to the learned port only.
        let reply = udpFrame(src: 2, dst: 1)
        rig.send("p2", [reply])
        #expect(rig.slow.handleUpcalls() == 1)
        #expect(rig.access.sent("p1") == [reply])
        #expect(rig.access.sent("p3") == [f, f])
    }

    @Test func idleFlowGoesAwayAfterMaxIdle() throws {
        let rig = try SlowPathRig()
        rig.slow.maxIdle = .milliseconds(100)
        rig.send("p1", [udpFrame(src: 1, dst: 2)])
        rig.slow.handleUpcalls()
        rig.slow.revalidate()
        #expect(rig.flows.count == 1)
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(300) {}
        rig.slow.revalidate()
        #expect(rig.flows.isEmpty)
        #expect(rig.slow.statistics.flowsDeleted == 1)
    }

    @Test func staleFlowIsFixedAfterAFlowMod() throws {
        let rig = try SlowPathRig(flows: ["in_port=1,actions=output:2"])
        rig.send("p1", [udpFrame(src: 1, dst: 2)])
        rig.slow.handleUpcalls()
        rig.slow.revalidate()
        #expect(rig.flows.first?.actions == [.output(DatapathPort(2))])
        try SlowPathRig.install(["in_port=1,actions=output:3"], into: rig.bridge)
        rig.slow.revalidate()
        #expect(rig.flows.first?.actions == [.output(DatapathPort(3))])
        rig.send("p1", [udpFrame(src: 1, dst: 2)])
        #expect(rig.access.sent("p3").count == 1)
        // A change of the match makes the old megaflow's mask wrong: deleted.
        try SlowPathRig.install(["in_port=1,udp,tp_dst=53,actions=output:2"], into: rig.bridge)
        rig.slow.revalidate()
        #expect(rig.flows.isEmpty)
    }

    @Test func ruleCountersEqualPacketsSent() throws {
        let rig = try SlowPathRig(flows: ["in_port=1,actions=output:2"])
        let f = udpFrame(src: 1, dst: 2)
        rig.send("p1", [f])
        rig.slow.handleUpcalls()
        rig.send("p1", [f, f, f, f])
        rig.slow.revalidate()
        let rule = try #require(rig.bridge.pipeline.read { $0.rules(in: OpenFlowTableID(0)) }.first)
        #expect(rule.packetCount == 5)
        #expect(rule.byteCount == UInt64(5 * f.count))
        rig.send("p1", [f, f])
        rig.slow.revalidate()
        #expect(rule.packetCount == 7)
    }

    @Test func threadsHandleUpcallsOnTheirOwn() throws {
        let rig = try SlowPathRig()
        rig.slow.start()
        defer { rig.slow.stop() }
        rig.send("p1", [udpFrame(src: 1, dst: 2)])
        let start = ContinuousClock.now
        while rig.access.sent("p2").isEmpty && ContinuousClock.now - start < .seconds(5) {}
        #expect(rig.access.sent("p2").count == 1)
    }
}

@Suite(.serialized) struct SlowPathMACTests {
    @Test func flowToALearnedPortIsFixedAfterTheMACTableIsFlushed() throws {
        let rig = try SlowPathRig()
        rig.send("p2", [udpFrame(src: 2, dst: 1)])
        rig.slow.handleUpcalls()                        // learns 2 on p2
        rig.send("p1", [udpFrame(src: 1, dst: 2)])
        rig.slow.handleUpcalls()
        rig.slow.revalidate()
        let toLearned = rig.flows.first { $0.key.inPort == DatapathPort(rig.access.port("p1").number.rawValue) }
        #expect(toLearned?.actions == [.output(rig.access.port("p2").number)])
        _ = try OFProtoCommands.fdbFlush(["br0"], bridges: rig.bridges)
        rig.slow.revalidate()
        let after = rig.flows.first { $0.key.inPort == rig.access.port("p1").number }
        #expect(after?.actions == [.output(rig.access.port("p2").number), .output(rig.access.port("p3").number)])
        #expect(OFProtoCommands.upcallShow([rig.slow]).hasPrefix("ovs-test:\n  flows         : (current 2)"))
    }
}

@Suite(.serialized) struct SlowPathMACRefreshTests {
    @Test func trafficHandledByTheDatapathKeepsItsMACEntryFresh() throws {
        let rig = try SlowPathRig()
        rig.bridge.update(settings: {
            var s = BridgeSettings()
            s.macAgingTime = 1
            return s
        }())
        rig.send("p1", [udpFrame(src: 1, dst: 2)])
        rig.slow.handleUpcalls()
        rig.slow.revalidate()
        // For 1.5 s (longer than the aging time) p1's traffic hits the megaflow only.
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(1500) {
            rig.send("p1", [udpFrame(src: 1, dst: 2)])
            rig.slow.revalidate()
            let t = ContinuousClock.now
            while ContinuousClock.now - t < .milliseconds(100) {}
        }
        #expect(rig.bridge.macTable.lookup(EthernetAddress(rawValue: 1), vlan: 0) == "p1")
    }
}
