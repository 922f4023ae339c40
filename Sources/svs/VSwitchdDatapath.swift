#if canImport(Glibc)
import Glibc
#endif
import Datapath
import DPIF
import Logging
import NetDevices
import OFProto
import Unixctl
import VSwitch

/// The daemon's datapaths and what drives them: every use of
/// `LocalDatapath` by the daemon is in this file, so that a multi-threaded
/// datapath can replace it here.
///
/// For now a datapath is used from one thread at a time: a poll thread
/// calls `poll()` on every datapath in a loop (sleeping briefly when no
/// packet came), and `dpctl/...` commands run between two rounds, under the
/// same lock.
final class VSwitchdDatapaths: @unchecked Sendable {
    /// The datapath the bridges of type `netdev` share, as in Open vSwitch.
    static let defaultName = "ovs-netdev"
    /// How long the poll thread sleeps after a round with no packet.
    static let idleSleepMicroseconds: UInt32 = 1000

    fileprivate let lock = UnixctlLock()
    fileprivate let registry: DatapathRegistry
    private let control: DatapathControl
    private var running = false
    private var stopped = false
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
    }

    /// Creates the default datapath; a failure is logged, not fatal (the
    /// dpctl commands can still make others).
    func createDefault() {
        lock.withLock {
            do {
                _ = try registry.create(name: Self.defaultName)
                logger.info("Datapath \(Self.defaultName) created")
            } catch {
                logger.error("\(Self.defaultName): could not create datapath: \(error)")
            }
        }
    }

    /// Starts the poll thread.
    func start() {
        lock.withLock { running = true }
        DetachedThread.start(name: "pmd-poll") { [self] in pollLoop() }
    }

    /// Stops the poll thread (waits for its round to end) and deletes the
    /// datapaths, closing their ports.
    func stop() {
        lock.withLock { running = false }
        for _ in 0..<200 {
            if lock.withLock({ stopped }) { break }
            usleep(5000)
        }
        lock.withLock {
            for name in registry.names { try? registry.delete(name: name) }
        }
    }

    private func pollLoop() {
        while true {
            let received = lock.withLock { () -> Int? in
                guard running else {
                    stopped = true
                    return nil
                }
                var total = 0
                for name in registry.names {
                    if let dp = try? registry.open(name: name) { total += dp.poll() }
                }
                return total
            }
            guard let received else { return }
            if received == 0 { usleep(Self.idleSleepMicroseconds) }
        }
    }

    /// Runs a dpctl command (`["show", "-s"]`) between two poll rounds.
    func dpctl(_ arguments: [String]) -> Result<String, DatapathControlError> {
        lock.withLock {
            let result = Result { () throws(DatapathControlError) in try control.run(arguments) }
            // A deleted datapath's cleared counters go with it.
            let names = Set(registry.names)
            statsBaseline = statsBaseline.filter { names.contains($0.key) }
            return result
        }
    }

    /// Runs `body` on the datapaths between two poll rounds.
    func withRegistry<T>(_ body: (DatapathRegistry) throws -> T) rethrows -> T {
        try lock.withLock { try body(registry) }
    }

    /// What `pmd-stats-clear` saw, per datapath and poll thread: shown
    /// counters are the differences from it (the poll threads' own counters
    /// are never reset, as in Open vSwitch).
    fileprivate var statsBaseline: [String: [Int: PollThreadStats]] = [:]

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

    /// Runs `body` on each selected poll thread's counters (since the last
    /// clear) of the datapath named in `arguments`, or the only one.
    private func withPollThreadStats(_ arguments: [String],
                                     _ body: (_ datapath: String, _ index: Int, _ current: PollThreadStats,
                                              _ sinceClear: PollThreadStats) -> Void) throws(UnixctlError) {
        let (core, name) = Self.pmdArguments(arguments)
        let found = lock.withLock { () -> Bool in
            let names = registry.names
            let chosen = name.flatMap { n in names.contains(n) ? n : nil } ?? (names.count == 1 ? names[0] : nil)
            guard let chosen, let dp = try? registry.open(name: chosen) else { return false }
            for (index, s) in dp.statistics().pollThreads.enumerated() {
                // Only pmd threads have a core; the main thread never matches -pmd.
                if let core, index == 0 || index != core { continue }
                body(chosen, index, s, Self.difference(s, statsBaseline[chosen]?[index] ?? PollThreadStats()))
            }
            return true
        }
        guard found else { throw UnixctlError("please specify an existing datapath") }
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
        try withPollThreadStats(arguments) { datapath, index, current, _ in
            statsBaseline[datapath, default: [:]][index] = current
        }
    }

    /// `dpif-netdev/pmd-stats-show [-pmd CORE] [DP]`: per poll thread, the
    /// counters in Open vSwitch's layout (`PollThreadText`). The first poll
    /// thread prints as Open vSwitch's `main thread` (the one that polls
    /// system and tap ports there), others as pmd threads (their index is
    /// the `core_id` that `-pmd` selects). The daemon's loop counts no
    /// output batches or cycles: those lines print 0.00 or are left out, as
    /// Open vSwitch does for its main thread.
    func pmdStatsText(_ arguments: [String]) throws(UnixctlError) -> String {
        var reports: [PollWorkerReport] = []
        try withPollThreadStats(arguments) { _, index, _, s in
            reports.append(PollWorkerReport(id: index, stats: s))
        }
        return PollThreadText.statsShow(reports) { $0.id == 0 ? "main thread:\n" : PollThreadText.header($0) }
    }

    /// `dpif-netdev/pmd-rxq-show [-pmd CORE] [-secs SECS] [DP]`: the receive
    /// queues of each pmd thread. The daemon polls its ports from its main
    /// thread, which Open vSwitch leaves out of this list, so only the
    /// header shows (none with `-pmd`).
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
        try withPollThreadStats(rest) { _, _, _, _ in }
        return Self.pmdArguments(rest).core == nil ? "Displaying last \(seconds) seconds pmd usage %\n" : ""
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
/// call runs between two poll rounds, under the datapaths' lock.
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
