import Datapath
@testable import DPIF
import Flow
import Testing

/// `dpctl` over in-process datapaths: the commands, their output in
/// Open vSwitch's format (as `ovs-appctl dpctl/...` printed it against a
/// real netdev datapath), and their errors.
struct DatapathControlTests {
    let ports = MemoryPorts()
    let control: DatapathControl

    init() throws {
        control = DatapathControl(registry: DatapathRegistry(portTypes: ports.registry, localType: "memory"))
        _ = try control.run(["add-dp", "netdev@dp0", "p1,type=memory", "p2,type=memory"])
    }

    let flow = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no)"

    @Test func showListsPortsSortedWithTypes() throws {
        let out = try control.run(["show"])
        #expect(out == """
            netdev@dp0:
              lookups: hit:0 missed:0 lost:0
              flows: 0
              port 0: dp0 (memory)
              port 1: p1 (memory)
              port 2: p2 (memory)

            """)
        #expect(try control.run(["dump-dps"]) == "netdev@dp0\n")
    }

    @Test func addDumpModifyDeleteFlow() throws {
        #expect(try control.run(["add-flow", flow, "2"]) == "")
        #expect(try control.run(["dump-flows"]) == """
            flow-dump from the main thread:
            recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no), packets:0, bytes:0, used:never, actions:2

            """)
        // Adding it again is EEXIST, as `ovs-vswitchd: updating flow table (File exists)`.
        #expect(throws: DatapathControlError("updating flow table", errno: 17)) {
            try control.run(["add-flow", flow, "2"])
        }
        _ = try control.run(["mod-flow", flow, "push_vlan(vid=5,pcp=0),2"])
        #expect(try control.run(["dump-flows", "dp0"]).contains("actions:push_vlan(vid=5,pcp=0),2\n"))
        _ = try control.run(["del-flow", flow])
        #expect(try control.run(["dump-flows"]) == "")
        let missing = DatapathControlError("deleting flow", errno: 2, detail: "Perhaps you need to specify a UFID?")
        #expect(missing.description == "deleting flow (No such file or directory)\nPerhaps you need to specify a UFID?")
        #expect(throws: missing) { try control.run(["del-flow", flow]) }
    }

    @Test func trafficShowsInCountersAndFlows() throws {
        _ = try control.run(["add-flow", flow, "2"])
        let dp = try control.registry.open(name: "dp0")
        let packet = frame(dst: 0x0a00_0002)
        ports.made["p1"]!.inbox = [packet, packet]
        dp.poll()
        #expect(ports.made["p2"]!.sent == [packet, packet])
        let dump = try control.run(["dump-flows"])
        #expect(dump.contains("packets:2, bytes:\(2 * packet.count), used:0."))
        let show = try control.run(["show", "-s"])
        #expect(show.contains("  lookups: hit:2 missed:0 lost:0\n  flows: 1\n"))
        #expect(show.contains("  port 2: p2 (memory)\n    RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n    TX packets:2 "))
        // get-flow by the UFID that `dump-flows -m` shows.
        let verbose = try control.run(["dump-flows", "-m"])
        let ufid = String(verbose.split(separator: "\n")[1].prefix { $0 != "," })
        #expect(ufid.hasPrefix("ufid:"))
        #expect(try control.run(["get-flow", ufid]).hasPrefix(ufid + ", skb_priority(0/0),"))
        _ = try control.run(["del-flows"])
        #expect(try control.run(["show"]).contains("  flows: 0\n"))
    }

    /// A packet recirculates: the first pass tags it and recirculates, the
    /// second (recirc_id 1) outputs it; each pass is a lookup that hits.
    @Test func recirculatedPacketsTakeASecondPass() throws {
        _ = try control.run(["add-flow", "recirc_id(0)," + flow, "push_vlan(vid=7,pcp=0),recirc(0x1)"])
        _ = try control.run(["add-flow", "recirc_id(0x1),in_port(1),eth(),eth_type(0x8100),vlan(vid=7),encap(eth_type(0x0800),ipv4(frag=no))", "2"])
        let dp = try control.registry.open(name: "dp0")
        let packet = frame(dst: 0x0a00_0002)
        ports.made["p1"]!.inbox = [packet]
        dp.poll()
        let sent = ports.made["p2"]!.sent
        #expect(sent.count == 1)
        #expect(sent.first.map { Array($0[12..<16]) } == [0x81, 0x00, 0x00, 0x07])
        #expect(sent.first.map { $0.count } == packet.count + 4)
        #expect(try control.run(["show"]).contains("  lookups: hit:2 missed:0 lost:0\n"))
        #expect(dp.receiveUpcalls(maxCount: 4).isEmpty)
    }

    @Test func interfacesComeAndGo() throws {
        _ = try control.run(["add-if", "dp0", "p3,type=memory,port_no=7"])
        #expect(try control.run(["show"]).contains("  port 7: p3 (memory)\n"))
        _ = try control.run(["del-if", "dp0", "p3"])
        #expect(!(try control.run(["show"]).contains("p3")))
        #expect(throws: DatapathControlError.self) { try control.run(["del-if", "dp0", "dp0"]) }
        #expect(throws: DatapathControlError.self) { try control.run(["add-if", "dp0", "p4,type=nosuchtype"]) }
    }

    @Test func badInputIsAClearError() throws {
        for bad in [["add-flow", "in_port(1),eth(", "2"], ["add-flow", flow, "push_vlan("],
                    ["frobnicate"], ["add-flow", flow], ["del-dp", "nosuch"], ["get-flow", "ufid:zz"]] {
            #expect(throws: DatapathControlError.self) { try control.run(bad) }
        }
        #expect(DatapathControl.humanSize(1536) == " (1.5 KiB)")
        #expect(DatapathControl.tcpFlagsText(0x12) == "S.")
        _ = try control.run(["del-dp", "dp0"])
        #expect(try control.run(["dump-dps"]) == "")
    }
}
