import ArgumentParser
import Datapath
import DPIF
import Flow
#if canImport(Glibc)
import Glibc
#endif

/// `svs-bench datapath`: whole-path forwarding through one poll thread:
/// a batch of 32 frames is copied into pooled buffers ("receive"), keys are
/// extracted, looked up (EMC, megaflow classifier), actions run (output to
/// a sink port that recycles the buffers into the pool).
struct DatapathBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datapath", abstract: "Time forwarding through the datapath's caches.")

    @Option(help: "Seconds to measure each case.") var seconds: Double = 1.0

    @Option(help: "Run only the cases whose name contains this (emc, megaflow_10_, miss...).")
    var only: String?

    func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

    func run() throws {
        if wanted("emc_hit") { try measureEMC() }
        for subtables in [1, 10, 100] where wanted("megaflow_\(subtables)_") {
            try measureMegaflow(subtables: subtables)
        }
        if wanted("smc_100_") { try measureMegaflow(subtables: 100, signatureMatch: true) }
        if wanted("miss_upcall") { try measureMisses() }
    }

    /// Frames: 64-byte IPv4/TCP, destination 10.1.`group`.`j`, source port
    /// varying so every frame has its own exact key.
    static func frames(groups: Int, perGroup: Int, total: Int = 1024) -> [[UInt8]] {
        (0..<total).map { i in
            let g = i % groups, j = (i / groups) % perGroup
            return Frames.ipv4TCP(dst: 0x0a01_0000 | UInt32(g) << 8 | UInt32(j),
                                  sport: UInt16(1024 + i))
        }
    }

    static let inPort = DatapathPort(2)
    static let outPort = DatapathPort(1)

    /// A datapath whose port 1 is a sink.
    func makeDatapath(_ configuration: CacheConfiguration, upcallCapacity: Int = 4096) throws -> LocalDatapath {
        var registry = PortTypeRegistry()
        registry.register("sink") { c, n in SinkPort(name: c.name, number: n) }
        let dp = try LocalDatapath(name: "bench0", registry: registry, localType: "sink",
                                   upcallQueueCapacity: upcallCapacity, cacheConfiguration: configuration)
        try dp.addPort(PortConfiguration(name: "out", type: "sink", requestedNumber: Self.outPort))
        return dp
    }

    /// The mask of subtable `k`: in_port, eth_type, IPv4 destination, and
    /// a subtable-specific mask on the IPv4 source (the same in every
    /// frame), so that the masks differ.
    static func mask(_ k: Int) -> FlowMask {
        var m = FlowMask.catchAll
        m.setExact(.inPort)
        m.setExact(.ethType)
        m.setExact(.ipv4Destination)
        m[.ipv4Source] = UInt64(k)   // subtable 0 ignores it
        return m
    }

    func install(_ dp: LocalDatapath, frames: [[UInt8]], subtables: Int, perGroup: Int) throws {
        var seen = Set<UInt32>()
        for f in frames {
            let key = f.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: Self.inPort.rawValue) }
            let dst = key.ipv4Destination.rawValue
            guard seen.insert(dst).inserted else { continue }
            let k = Int((dst >> 8) & 0xff)
            try dp.putFlow(FlowPut(key: key, mask: Self.mask(k), actions: [.output(Self.outPort)]))
        }
        precondition(dp.statistics().datapath.flows == UInt64(subtables * perGroup))
    }

    func measureEMC() throws {
        let dp = try makeDatapath(CacheConfiguration(exactMatchInsertInverseProbability: 1))
        let frames = Self.frames(groups: 1, perGroup: 1)
        try install(dp, frames: frames, subtables: 1, perGroup: 1)
        let m = forward(dp, frames)
        let s = dp.statistics().pollThreads[0]
        precondition(s.exactMatchHits > s.packets * 9 / 10, "EMC did not hit: \(s)")
        reportRate("datapath.emc_hit", m)
    }

    /// Megaflow hits with the EMC off; with `signatureMatch`, the SMC on.
    func measureMegaflow(subtables: Int, signatureMatch: Bool = false) throws {
        let dp = try makeDatapath(CacheConfiguration(exactMatchEnabled: false, signatureMatchEnabled: signatureMatch))
        let perGroup = 10
        let frames = Self.frames(groups: subtables, perGroup: perGroup)
        try install(dp, frames: frames, subtables: subtables, perGroup: perGroup)
        let m = forward(dp, frames)
        let st = dp.statistics()
        precondition(st.datapath.missed == 0 && st.megaflow.masks == UInt32(subtables), "\(st)")
        let name = signatureMatch ? "datapath.smc_\(subtables)_subtables" : "datapath.megaflow_\(subtables)_subtables"
        reportRate(name, m)
        report("\(name).masks_per_hit", st.maskHitsPerPacket, "lookups")
    }

    func measureMisses() throws {
        let dp = try makeDatapath(CacheConfiguration(), upcallCapacity: 1 << 16)
        let frames = Self.frames(groups: 16, perGroup: 16)
        let m = forward(dp, frames, drainUpcalls: true)
        reportRate("datapath.miss_upcall", m)
    }

    /// Forwards batches of 32 of `frames`, round robin, for the time budget.
    func forward(_ dp: LocalDatapath, _ frames: [[UInt8]], drainUpcalls: Bool = false) -> (Int, Duration, Double, Double) {
        let thread = dp.pollThreads[0]
        let pool = thread.pool
        let clock = ContinuousClock()
        var next = 0
        func oneBatch() {
            var batch = PacketBatch()
            for _ in 0..<PacketBatch.capacity {
                let p = pool.allocate(copying: frames[next])
                _ = batch.append(p)
                next = next + 1 == frames.count ? 0 : next + 1
            }
            thread.process(batch, from: Self.inPort)
            if drainUpcalls { _ = dp.upcallQueue.dequeue() }
        }
        for _ in 0..<2000 { oneBatch() }   // warm-up: caches, ranking, pool
        let budget = Duration.nanoseconds(Int64(seconds * 1e9))
        let busyBefore = thread.stats.busyNanoseconds
        let cpuBefore = Self.threadCPUNanoseconds()
        var packets = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<100 { oneBatch() }
            packets += 100 * PacketBatch.capacity
            elapsed = clock.now - start
        } while elapsed < budget
        precondition(pool.stats.fallbackAllocations == 0, "pool fell back to allocation")
        let cpu = Double(Self.threadCPUNanoseconds() - cpuBefore)
        return (packets, elapsed, Double(thread.stats.busyNanoseconds - busyBefore) / Double(packets),
                cpu / Double(packets))
    }

    /// CPU time of this thread: unlike the wall clock, it does not count
    /// time the machine gave to other processes (the figures are per core).
    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Two views: the whole loop (building the batch from copies of the
    /// frames, as a port's receive would, plus the datapath), and the time
    /// inside `PollThread.process` alone (the datapath's own cost).
    ///
    /// `ns_per_packet`/`mpps` are CPU time of the thread per packet (the
    /// machine is shared; wall-clock figures are `wall_*`).
    func reportRate(_ name: String,
                    _ m: (packets: Int, elapsed: Duration, processNanoseconds: Double, cpuNanoseconds: Double)) {
        let ns = m.cpuNanoseconds
        svs_bench.report("\(name).ns_per_packet", ns, "ns")
        svs_bench.report("\(name).mpps", 1e3 / ns, "Mpps")
        let wall = m.elapsed.nanoseconds / Double(m.packets)
        svs_bench.report("\(name).wall_ns_per_packet", wall, "ns")
        svs_bench.report("\(name).process_ns_per_packet", m.processNanoseconds, "ns")
        svs_bench.report("\(name).process_mpps", 1e3 / m.processNanoseconds, "Mpps")
    }
}

/// A port that takes every packet back into the pool (the benchmark's wire).
final class SinkPort: Port {
    let name: String
    let type: PortType = "sink"
    let number: DatapathPort
    var stats = PortStats()

    init(name: String, number: DatapathPort) {
        self.name = name
        self.number = number
    }

    func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int { 0 }

    func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError) {
        stats.txPackets &+= UInt64(batch.count)
        pool.recycle(batch)
    }
}
