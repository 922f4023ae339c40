#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Datapath
import DPIF
import Logging
import NetDevices
import OFProto
import Unixctl
import VSwitch

/// The daemon's datapaths and what drives them: every use of
/// `LocalDatapath` by the daemon is in this file.
///
/// Each datapath runs its own poll threads (`PollWorker`s, one OS thread
/// each, as many as `other_config:pmd-cpu-mask` or `n-pmd-threads` ask):
/// they receive from their ports and forward without any lock. Everything
/// else — `dpctl/...` commands, the bridge layer, the slow path's handlers
/// and revalidator — reaches a datapath through its `DPIF` methods under
/// one lock of the control side, which the poll threads never take; those
/// methods talk to the poll threads by messages (flow changes on their
/// control queues, reads run on the thread between two batches).
final class VSwitchdDatapaths: @unchecked Sendable, PollThreadHost {
    /// The datapath the bridges of type `netdev` share, as in Open vSwitch.
    static let defaultName = "ovs-netdev"

    fileprivate let lock = UnixctlLock()
    fileprivate let registry: DatapathRegistry
    private let control: DatapathControl
    private var running = false
    /// The poll threads every datapath gets (`other_config`).
    private var pollSettings = PollThreadSettings()
    /// True once the configuration asked for poll threads explicitly: they
    /// then show as `pmd thread`s (with core ids) in the `dpif-netdev/pmd-*`
    /// commands; by default the one poll thread shows as Open vSwitch's
    /// `main thread`, which polls system ports there.
    private var explicitThreads = false
    fileprivate let logger = Logger(label: "dpif_netdev")

    /// Datapaths whose local port is `localType` (`internal`, a TAP device,
    /// or `dummy-internal` in memory).
    init(localType: PortType) {
        var types = PortTypeRegistry.netDevices
        // `tap`: a TAP device, as `internal` ports are in Open vSwitch's
        // netdev datapath (and shown so by dpctl/show).
        types.register(PortType(rawValue: "tap")) { (configuration, number) throws(PortError) in
            try TapPort(configuration: configuration, number: number)
        }
        registry = DatapathRegistry(portTypes: types, localType: localType)
        control = DatapathControl(registry: registry)
        // `pmd-cpu-mask`'s threads run on their cores, when those exist.
        PollWorker.pinThread = { cpu in
            let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            if let cpu, cpu < online { _ = CLinux_pin_to_cpu(Int32(cpu)) } else { _ = CLinux_pin_to_cpu(-1) }
        }
    }

    /// Creates the default datapath; a failure is logged, not fatal (the
    /// dpctl commands can still make others).
    func createDefault() {
        lock.withLock {
            do {
                _ = try registry.create(name: Self.defaultName)
                logger.info("Datapath \(Self.defaultName) created")
                startPollThreads()
            } catch {
                logger.error("\(Self.defaultName): could not create datapath: \(error)")
            }
        }
    }

    /// Starts the poll threads of every datapath (and of those made later).
    func start() {
        lock.withLock {
            running = true
            startPollThreads()
        }
    }

    /// Stops the poll threads and deletes the datapaths, closing their ports.
    func stop() {
        lock.withLock {
            running = false
            for name in registry.names { try? registry.delete(name: name) }
        }
    }

    /// Gives every datapath the configured poll threads (starting them if
    /// they do not run). Call under `lock`.
    private func startPollThreads() {
        guard running else { return }
        var configuration = PollWorkerConfiguration()
        if let us = pollSettings.idleSpinMicroseconds { configuration.idleSpinNanoseconds = UInt64(us) * 1000 }
        for name in registry.names {
            guard let dp = try? registry.open(name: name) else { continue }
            dp.setPollThreads(ids: pollSettings.threadIDs, cpus: pollSettings.cpus, configuration: configuration)
            dp.flowDumpPerPollThread = explicitThreads
        }
    }

    /// `other_config`'s poll threads, applied to every datapath: threads
    /// that stay keep their ports and caches; ports of removed threads and
    /// new threads are balanced round robin.
    func configurePollThreads(_ settings: PollThreadSettings) {
        lock.withLock {
            let explicit = settings.threadIDs != PollThreadSettings().threadIDs || !settings.cpus.isEmpty || explicitThreads
            guard settings != pollSettings || explicit != explicitThreads else { return }
            if settings.threadIDs != pollSettings.threadIDs {
                logger.info("poll threads: \(settings.threadIDs.count) (core ids \(settings.threadIDs.map(String.init).joined(separator: ",")))")
            }
            pollSettings = settings
            explicitThreads = explicit
            startPollThreads()
        }
    }

    /// Runs a dpctl command (`["show", "-s"]`) on the control side.
    func dpctl(_ arguments: [String]) -> Result<String, DatapathControlError> {
        lock.withLock {
            let result = Result { () throws(DatapathControlError) in try control.run(arguments) }
            // `add-dp` made a datapath: it gets its poll threads.
            startPollThreads()
            // A deleted datapath's cleared counters go with it.
            let names = Set(registry.names)
            statsBaseline = statsBaseline.filter { names.contains($0.key) }
            return result
        }
    }

    /// Runs `body` on the datapaths, on the control side.
    func withRegistry<T>(_ body: (DatapathRegistry) throws -> T) rethrows -> T {
        try lock.withLock { try body(registry) }
    }

    /// What `pmd-stats-clear` saw, per datapath and poll thread: shown
    /// counters are the differences from it (the poll threads' own counters
    /// are never reset, as in Open vSwitch).
    fileprivate var statsBaseline: [String: [Int: PollWorkerReport]] = [:]

    /// The `[-pmd CORE] [DP]` arguments of the `dpif-netdev/pmd-*` commands.
    private static func pmdArguments(_ arguments: [String]) -> (core: Int?, datapath: String?) {
        var core: Int?
        var name: String?
        var i = 0
        while i < arguments.count {
            if arguments[i] == "-pmd", i + 1 < arguments.count {
                core = Int(arguments[i + 1])
                i += 2
            } else {
                name = arguments[i]
                i += 1
            }
        }
        return (core, name)
    }

    /// The main thread's key among the stats baselines (OVS's NON_PMD_CORE_ID).
    private static let mainThreadID = Int(UInt32.max)

    /// Runs `body` on each selected poll thread's report (and its counters
    /// since the last clear) of the datapath named in `arguments`, or the
    /// only one, in Open vSwitch's order: pmd threads by core id, then the
    /// main thread.
    private func withPollThreadReports(_ arguments: [String],
                                       _ body: (_ datapath: String, _ current: PollWorkerReport,
                                                _ sinceClear: PollWorkerReport, _ isMain: Bool) -> Void)
        throws(UnixctlError) {
        let (core, name) = Self.pmdArguments(arguments)
        let found = lock.withLock { () -> Bool in
            let names = registry.names
            let chosen = name.flatMap { n in names.contains(n) ? n : nil } ?? (names.count == 1 ? names[0] : nil)
            guard let chosen, let dp = try? registry.open(name: chosen) else { return false }
            var reports = dp.pollThreadReports().sorted { $0.id < $1.id }
            if explicitThreads {
                // Open vSwitch's main thread polls nothing then; it shows last.
                reports.append(PollWorkerReport(id: Self.mainThreadID))
            } else {
                reports = Array(reports.prefix(1))
            }
            for r in reports {
                let isMain = !explicitThreads || r.id == Self.mainThreadID
                // Only pmd threads have a core; the main thread never matches -pmd.
                if let core, isMain || r.id != core { continue }
                let key = isMain ? Self.mainThreadID : r.id
                body(chosen, r, Self.difference(r, statsBaseline[chosen]?[key] ?? PollWorkerReport(id: r.id)), isMain)
            }
            return true
        }
        guard found else { throw UnixctlError("please specify an existing datapath") }
    }

    private static func difference(_ a: PollWorkerReport, _ b: PollWorkerReport) -> PollWorkerReport {
        var d = a
        d.stats = difference(a.stats, b.stats)
        d.outputBatches = a.outputBatches &- b.outputBatches
        d.outputPackets = a.outputPackets &- b.outputPackets
        d.busyNanoseconds = a.busyNanoseconds &- b.busyNanoseconds
        d.idleNanoseconds = a.idleNanoseconds &- b.idleNanoseconds
        d.receiveQueues = a.receiveQueues.map { q in
            var q = q
            if let old = b.receiveQueues.first(where: { $0.port == q.port }) {
                q.packets &-= old.packets
                q.busyNanoseconds &-= old.busyNanoseconds
            }
            return q
        }
        return d
    }

    private static func difference(_ a: PollThreadStats, _ b: PollThreadStats) -> PollThreadStats {
        var d = PollThreadStats()
        d.packets = a.packets &- b.packets
        d.receivedPackets = a.receivedPackets &- b.receivedPackets
        d.recirculations = a.recirculations &- b.recirculations
        d.exactMatchHits = a.exactMatchHits &- b.exactMatchHits
        d.signatureMatchHits = a.signatureMatchHits &- b.signatureMatchHits
        d.megaflowHits = a.megaflowHits &- b.megaflowHits
        d.misses = a.misses &- b.misses
        d.lost = a.lost &- b.lost
        d.subtableLookups = a.subtableLookups &- b.subtableLookups
        d.batches = a.batches &- b.batches
        d.busyNanoseconds = a.busyNanoseconds &- b.busyNanoseconds
        return d
    }

    /// `dpif-netdev/pmd-stats-clear [-pmd CORE] [DP]`: later shows count
    /// from now.
    func clearPMDStats(_ arguments: [String]) throws(UnixctlError) {
        try withPollThreadReports(arguments) { datapath, current, _, isMain in
            statsBaseline[datapath, default: [:]][isMain ? Self.mainThreadID : current.id] = current
        }
    }

    /// `dpif-netdev/pmd-stats-show [-pmd CORE] [DP]`: per poll thread, the
    /// counters in Open vSwitch's layout (`PollThreadText`). Configured
    /// poll threads print as pmd threads (their number is the `core_id`
    /// that `-pmd` selects), then Open vSwitch's idle `main thread`; the
    /// default single poll thread prints as the `main thread` (which polls
    /// system and tap ports in Open vSwitch), without cycle lines.
    func pmdStatsText(_ arguments: [String]) throws(UnixctlError) -> String {
        var out = ""
        try withPollThreadReports(arguments) { _, _, s, isMain in
            if isMain {
                let main = PollWorkerReport(id: s.id, stats: s.stats, outputBatches: s.outputBatches,
                                            outputPackets: s.outputPackets)
                out += PollThreadText.statsShow([main]) { _ in "main thread:\n" }
            } else {
                out += PollThreadText.statsShow([s])
            }
        }
        return out
    }

    /// `dpif-netdev/pmd-rxq-show [-pmd CORE] [-secs SECS] [DP]`: the receive
    /// queues of each pmd thread (the main thread is left out, as in Open
    /// vSwitch; with the default single poll thread, only the header shows).
    func pmdRxqText(_ arguments: [String]) throws(UnixctlError) -> String {
        var rest: [String] = []
        var seconds = 60
        var i = 0
        while i < arguments.count {
            if arguments[i] == "-secs", i + 1 < arguments.count {
                // Whole 5-second intervals, at most the 60 seconds kept.
                if let s = Int(arguments[i + 1]), s > 0 { seconds = min(60, (s + 4) / 5 * 5) }
                i += 2
            } else {
                rest.append(arguments[i])
                i += 1
            }
        }
        var out = ""
        var any = false
        try withPollThreadReports(rest) { _, current, _, isMain in
            if !any { out += "Displaying last \(seconds) seconds pmd usage %\n" }
            any = true
            // rxqShow's own header line is the one above.
            if !isMain { out += String(PollThreadText.rxqShow([current]).drop { $0 != "\n" }.dropFirst()) }
        }
        return out
    }

    /// A datapath's `type@name`, as Open vSwitch names it in its outputs.
    func fullName(of name: String) -> String {
        lock.withLock { "\(registry.typeName(of: name))@\(name)" }
    }

    /// `memory/show`'s pairs: datapaths, their ports and flows.
    func memoryReport() -> [(String, Int)] {
        lock.withLock {
            var ports = 0
            var flows = 0
            for name in registry.names {
                guard let dp = try? registry.open(name: name) else { continue }
                ports += dp.dumpPorts().count
                flows += Int(dp.statistics().datapath.flows)
            }
            return [("datapaths", registry.names.count), ("datapath-ports", ports), ("megaflows", flows)]
        }
    }
}

/// The bridge layer's and the slow path's access to the datapaths: every
/// call runs on the control side, under the datapaths' lock (never taken
/// by the poll threads).
extension VSwitchdDatapaths: VSwitchDatapathHost {
    func withDatapath<R>(named name: String, _ body: (any DPIF) -> R) -> R? {
        lock.withLock {
            guard let dp = try? registry.open(name: name) else { return nil }
            return body(dp)
        }
    }

    func createDatapath(named name: String, localType: PortType, typeName: String) throws(DPIFError) {
        let result = lock.withLock { () -> Result<Void, DPIFError> in
            guard !registry.names.contains(name) else { return .success(()) }
            return Result { () throws(DPIFError) in
                _ = try registry.create(name: name, localType: localType, typeName: typeName)
                logger.info("Datapath \(name) created")
                startPollThreads()
            }
        }
        try result.get()
    }

    func deleteDatapath(named name: String) {
        lock.withLock {
            guard registry.names.contains(name) else { return }
            try? registry.delete(name: name)
            statsBaseline[name] = nil
        }
    }
}
