#if canImport(Glibc)
import Glibc
#endif
import Datapath
import DPIF
import Logging
import NetDevices
import Unixctl

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

    private let lock = UnixctlLock()
    private let registry: DatapathRegistry
    private let control: DatapathControl
    private var running = false
    private var stopped = false
    private let logger = Logger(label: "dpif_netdev")

    /// Datapaths whose local port is `localType` (`internal`, a TAP device,
    /// or `dummy-internal` in memory).
    init(localType: PortType) {
        registry = DatapathRegistry(portTypes: .netDevices, localType: localType)
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
        lock.withLock { Result { () throws(DatapathControlError) in try control.run(arguments) } }
    }

    /// Runs `body` on the datapaths between two poll rounds (for the bridge
    /// layer: ports, flows, upcalls).
    func withRegistry<T>(_ body: (DatapathRegistry) throws -> T) rethrows -> T {
        try lock.withLock { try body(registry) }
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
