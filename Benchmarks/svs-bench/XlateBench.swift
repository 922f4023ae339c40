import ArgumentParser
import Datapath
import Flow
import OFProto
import Wire

/// `svs-bench xlate`: translations per second (the upcall handler's work
/// per miss) for a NORMAL bridge with MAC learning (a learned destination)
/// and for a 3-table pipeline (resubmits, register loads, an L3 rewrite).
/// Rates are per second of the thread's CPU time and of wall time.
struct XlateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xlate", abstract: "Time slow-path translations.")

    @Option(help: "Seconds to measure each case.") var seconds: Double = 1.0

    func run() throws {
        // A NORMAL bridge with 8 ports; destination learned on port 2.
        let normal = OFProtoBridge(name: "br0", datapathName: "ovs-bench")
        normal.setPorts((1...8).map { i in
            BridgePort(name: "p\(i)", ofport: OFPort(rawValue: UInt16(i)), datapathPort: DatapathPort(UInt32(i)))
        } + [BridgePort(name: "br0", ofport: .local, datapathPort: DatapathPort(100), type: "internal")])
        let bridges = OFProtoBridges()

        var pipelineSettings = BridgeSettings()
        pipelineSettings.failSecure = true
        let pipeline = OFProtoBridge(name: "br1", datapathName: "ovs-bench", settings: pipelineSettings)
        pipeline.setPorts((1...4).map { i in
            BridgePort(name: "q\(i)", ofport: OFPort(rawValue: UInt16(i)), datapathPort: DatapathPort(UInt32(10 + i)))
        })
        bridges.set([normal, pipeline])
        let flows = [
            "table=0,priority=100,tcp,actions=set_field:5->reg0,resubmit(,1)",
            "table=0,priority=90,udp,actions=resubmit(,2)",
            "table=0,priority=0,actions=drop",
            "table=1,reg0=5,tcp,tp_dst=80,actions=mod_nw_src:9.9.9.9,resubmit(,2)",
            "table=1,priority=0,actions=drop",
            "table=2,ip,nw_dst=10.0.0.0/8,actions=dec_ttl,output:3",
            "table=2,priority=0,actions=output:4",
        ]
        try pipeline.pipeline.transaction { tx in
            for line in flows {
                let f = try FlowModText.parse(line)
                try tx.add(OpenFlowRuleSpec(match: f.match, priority: UInt16(f.priority), actions: f.actions),
                           table: OpenFlowTableID(f.table == 255 ? 0 : f.table), now: .zero)
            }
        }

        var learn = FlowKey()
        learn.openFlowInPort = OFPort(rawValue: 2)
        learn[.ethSource] = 0x0000_0000_0002
        learn[.ethDestination] = 0x0000_0000_0001
        _ = bridges.translate(learn, bridge: normal, mayLearn: true)

        var key = FlowKey()
        key.openFlowInPort = OFPort(rawValue: 1)
        key[.ethSource] = 0x0000_0000_0001
        key[.ethDestination] = 0x0000_0000_0002
        key[.ethType] = 0x0800
        key[.networkProtocol] = 6
        key[.ipv4Source] = 0x0101_0101
        key[.ipv4Destination] = 0x0a00_0002
        key[.networkTTL] = 64
        key[.transportDestination] = 80
        measure("xlate.normal", bridges: bridges, bridge: normal, key: key)
        measure("xlate.pipeline3", bridges: bridges, bridge: pipeline, key: key)
    }

    func measure(_ name: String, bridges: OFProtoBridges, bridge: OFProtoBridge, key: FlowKey) {
        var k = key
        var n = 0
        var sink = 0
        let wallStart = ContinuousClock.now
        let cpuStart = threadCPUTime()
        while ContinuousClock.now - wallStart < .seconds(seconds) {
            for i in 0..<256 {
                k[.transportSource] = UInt64(i)
                sink &+= bridges.translate(k, bridge: bridge, mayLearn: true).actions.count
            }
            n += 256
        }
        let cpu = threadCPUTime() - cpuStart
        let wall = ContinuousClock.now - wallStart
        func perSecond(_ d: Duration) -> Int {
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            return s > 0 ? Int(Double(n) / s) : 0
        }
        print("\(name).translations_per_second_cpu \(perSecond(cpu)) tps")
        print("\(name).translations_per_second \(perSecond(wall)) tps")
        if sink == -1 { print(sink) }
    }
}
