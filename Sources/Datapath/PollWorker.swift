#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Flow
import Synchronization

/// A port whose device has a file descriptor that becomes readable when
/// frames wait, so an idle poll thread can sleep in `poll(2)` on it
/// instead of spinning. Ports without one (memory devices) are polled on
/// a short timer while their thread sleeps.
public protocol PollablePort: Port {
    /// The descriptor `poll(2)` waits on for `POLLIN`.
    var pollDescriptor: Int32 { get }
}

/// When a poll thread stops spinning and sleeps.
public struct PollWorkerConfiguration: Hashable, Sendable {
    /// Spin this long after the last packet before sleeping in `poll(2)`.
    public var idleSpinNanoseconds: UInt64
    /// While sleeping, wake at least this often when a receive queue has
    /// no descriptor to wait on (dummy ports).
    public var timerMilliseconds: Int32

    /// Spin only after at least this many packets came within the last
    /// `idleSpinNanoseconds`; with fewer the thread sleeps as soon as a
    /// round found nothing.
    public var spinMinimumPackets: Int

    /// An idle round that took longer than this, with an involuntary
    /// context switch since the last check, means the thread was
    /// descheduled for another task (a long round alone may be the host
    /// stealing the virtual CPU; a short preemption, ping itself woken on
    /// this CPU): the CPU is wanted, so for
    /// `preemptedBackoffNanoseconds` the thread spins only for a busy queue
    /// (`contendedSpinMinimumPackets` within the window) and otherwise
    /// sleeps between packets.
    public var preemptedRoundNanoseconds: UInt64
    public var preemptedBackoffNanoseconds: UInt64
    public var contendedSpinMinimumPackets: Int

    /// The default window, 10 ms: traffic a few packets apart (a ping
    /// every 5 ms) keeps the thread spinning. Sleeping costs each packet a
    /// wake-up — on an idle virtual machine's CPU tens of microseconds,
    /// most of a round trip through the switch — and sleeping between the
    /// batches of a flood halves the packets forwarded. Spinning only
    /// hurts when the CPU is wanted by other tasks (measured on a loaded
    /// 2-CPU host, a 10 ms window took ping RTT from 79 to 304 µs, p99
    /// 7.8 ms: the spinner used up its time slice and waited behind the
    /// others when the packet came); `preemptedRoundNanoseconds` detects
    /// that and sleeps instead, where a woken thread runs at once.
    public static let defaultIdleSpinNanoseconds: UInt64 = 10_000_000
    /// Any packet starts the window.
    public static let defaultSpinMinimumPackets = 1
    /// Polling every queue once takes a few microseconds; a competing
    /// task's time slice is longer than this (EEVDF: 0.75 ms and more),
    /// a woken ping much shorter. Measured with ping 5 ms apart on this
    /// 2-CPU host: quiet, RTT avg 21-27 µs (was 61-85 sleeping after each
    /// packet); with two CPU hogs the thread spins under 20% of the time.
    public static let defaultPreemptedRoundNanoseconds: UInt64 = 300_000
    /// 200 ms without spinning for sparse traffic after a preemption.
    public static let defaultPreemptedBackoffNanoseconds: UInt64 = 200_000_000
    /// A full batch within the window makes a queue busy: a flood keeps
    /// the thread spinning even on a contended CPU (sleeping between its
    /// batches halves the packets forwarded).
    public static let defaultContendedSpinMinimumPackets = 32

    public init(idleSpinNanoseconds: UInt64 = PollWorkerConfiguration.defaultIdleSpinNanoseconds,
                timerMilliseconds: Int32 = 10,
                spinMinimumPackets: Int = PollWorkerConfiguration.defaultSpinMinimumPackets,
                preemptedRoundNanoseconds: UInt64 = PollWorkerConfiguration.defaultPreemptedRoundNanoseconds,
                preemptedBackoffNanoseconds: UInt64 = PollWorkerConfiguration.defaultPreemptedBackoffNanoseconds,
                contendedSpinMinimumPackets: Int = PollWorkerConfiguration.defaultContendedSpinMinimumPackets) {
        self.idleSpinNanoseconds = idleSpinNanoseconds
        self.spinMinimumPackets = spinMinimumPackets
        self.preemptedRoundNanoseconds = preemptedRoundNanoseconds
        self.preemptedBackoffNanoseconds = preemptedBackoffNanoseconds
        self.contendedSpinMinimumPackets = contendedSpinMinimumPackets
        self.timerMilliseconds = timerMilliseconds
    }
}

/// One receive queue's counters on its poll thread (`pmd-rxq-show`).
public struct ReceiveQueueStats: Hashable, Sendable {
    public var port: DatapathPort
    public var name: String
    /// Packets received from the queue.
    public var packets: UInt64
    /// Time spent receiving and processing its batches.
    public var busyNanoseconds: UInt64

    public init(port: DatapathPort, name: String, packets: UInt64 = 0, busyNanoseconds: UInt64 = 0) {
        self.port = port
        self.name = name
        self.packets = packets
        self.busyNanoseconds = busyNanoseconds
    }
}

/// A snapshot of one running poll thread's counters, taken on the thread.
public struct PollWorkerReport: Hashable, Sendable {
    /// The thread's number (`core_id` in OVS's output).
    public var id: Int
    /// The cache and packet counters.
    public var stats: PollThreadStats
    /// Output batches sent and the packets in them.
    public var outputBatches: UInt64
    public var outputPackets: UInt64
    /// Loop time spent in iterations that received packets.
    public var busyNanoseconds: UInt64
    /// Loop time spent in iterations that received nothing, sleeping included.
    public var idleNanoseconds: UInt64
    /// Times the thread went to sleep in `poll(2)`.
    public var sleeps: UInt64
    /// CPU time the thread used (`CLOCK_THREAD_CPUTIME_ID`).
    public var cpuNanoseconds: UInt64
    /// Its receive queues, by port name.
    public var receiveQueues: [ReceiveQueueStats]

    public init(id: Int, stats: PollThreadStats = PollThreadStats(), outputBatches: UInt64 = 0,
                outputPackets: UInt64 = 0, busyNanoseconds: UInt64 = 0, idleNanoseconds: UInt64 = 0,
                sleeps: UInt64 = 0, cpuNanoseconds: UInt64 = 0, receiveQueues: [ReceiveQueueStats] = []) {
        self.id = id
        self.stats = stats
        self.outputBatches = outputBatches
        self.outputPackets = outputPackets
        self.busyNanoseconds = busyNanoseconds
        self.idleNanoseconds = idleNanoseconds
        self.sleeps = sleeps
        self.cpuNanoseconds = cpuNanoseconds
        self.receiveQueues = receiveQueues
    }
}

/// An OS thread that drives one `PollThread` (OVS's PMD thread): it polls
/// its receive queues in a busy loop while traffic flows and sleeps in
/// `poll(2)` on their descriptors (plus a pipe for wake-ups) once
/// nothing arrived for `idleSpinNanoseconds`, so an idle switch costs
/// next to no CPU.
///
/// **Messages.** Flow-table changes go on the `PollThread`'s control queue
/// as before; whoever sends one calls `wake()`. Receive-queue changes and
/// reads of the thread's state (flow counters, statistics) are closures
/// the thread runs between two batches (`perform`), the caller waiting for
/// the answer: the thread is the only one that ever touches its caches,
/// counters and receive queues, and the packet path takes no lock.
///
/// A receive queue belongs to exactly one worker; transmit may come from
/// any worker (ports serialize their own transmit path).
public final class PollWorker: @unchecked Sendable {
    /// The datapath state this worker drives.
    public let thread: PollThread
    /// When the thread sleeps (read by the thread; change it with
    /// `setConfiguration`).
    public private(set) var configuration: PollWorkerConfiguration
    /// The CPU the thread pins itself to when it starts (`sched_setaffinity`),
    /// if any; set before `start()`.
    public var cpu: Int?

    /// The wake-up pipe: the thread polls its read end.
    private let wakeDescriptor: Int32
    private let wakeWriter: Int32
    private let sleeping = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let requestCount = Atomic<Int>(0)
    private let requests = Mutex<[Job]>([])
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    nonisolated(unsafe) private var threadID = pthread_t()

    // Owned by the OS thread once started.
    private var receiveQueues: [any Port] = []
    private var receiveStats: [ReceiveQueueStats] = []
    private var descriptors: [pollfd] = []
    private var allPollable = true
    private var busyNanoseconds: UInt64 = 0
    private var idleNanoseconds: UInt64 = 0
    private var sleeps: UInt64 = 0

    /// A worker for `thread`; call `start()` to run it.
    public init(thread: PollThread, configuration: PollWorkerConfiguration = PollWorkerConfiguration()) {
        self.thread = thread
        self.configuration = configuration
        var ends: (Int32, Int32) = (-1, -1)
        _ = withUnsafeMutableBytes(of: &ends) { pipe($0.baseAddress!.assumingMemoryBound(to: Int32.self)) }
        for end in [ends.0, ends.1] where end >= 0 {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeDescriptor = ends.0
        wakeWriter = ends.1
        rebuildDescriptors()
    }

    deinit {
        stop()
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
        if wakeWriter >= 0 { close(wakeWriter) }
    }

    /// True between `start()` and `stop()`.
    public var isRunning: Bool { started && !stopping.load(ordering: .relaxed) }

    /// Starts the OS thread (once).
    public func start() {
        guard !started else { return }
        started = true
        let context = Unmanaged.passRetained(self).toOpaque()
        let r = pthread_create(&threadID, nil, { raw in
            let worker = Unmanaged<PollWorker>.fromOpaque(raw!).takeRetainedValue()
            worker.main()
            return nil
        }, context)
        if r != 0 {
            Unmanaged<PollWorker>.fromOpaque(context).release()
            started = false
        }
    }

    /// Stops the OS thread and waits for it to leave its loop.
    public func stop() {
        guard started, !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        wakeAlways()
        finished.wait()
        pthread_join(threadID, nil)
    }

    /// Wakes the thread if it sleeps, so it sees new control messages now.
    public func wake() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) { wakeAlways() }
    }

    private func wakeAlways() {
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
    }

    /// Runs `body` on the worker's thread between two batches, after the
    /// control messages sent so far are applied, and returns its result (directly on the caller's thread if the worker is not
    /// running). Never call it from the worker's own thread.
    public func perform<T>(_ body: @escaping (PollThread) -> T) -> T {
        guard isRunning else {
            thread.applyControl()
            return body(thread)
        }
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = self.thread
        let job = Job {
            thread.applyControl()
            box.value = body(thread)
            done.signal()
        }
        requests.withLock { $0.append(job) }
        requestCount.add(1, ordering: .sequentiallyConsistent)
        wake()
        done.wait()
        return box.value!
    }

    /// Changes when the thread sleeps (applied on the thread).
    public func setConfiguration(_ configuration: PollWorkerConfiguration) {
        perform { [self] _ in self.configuration = configuration }
    }

    /// Makes `ports` the worker's receive queues (runs on the thread).
    public func setReceiveQueues(_ ports: [any Port]) {
        let sendable = UncheckedPorts(ports: ports)
        perform { [self] _ in adoptReceiveQueues(sendable.ports) }
    }

    /// The worker's receive queues, as the thread sees them.
    public var receivePortNumbers: [DatapathPort] {
        perform { [self] _ in receiveQueues.map(\.number) }
    }

    /// The thread's counters, read on the thread.
    public func report() -> PollWorkerReport {
        perform { [self] t in
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            let cpu = isRunning ? UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec) : 0
            return PollWorkerReport(id: t.id, stats: t.stats, outputBatches: t.outputBatches,
                                    outputPackets: t.outputPackets, busyNanoseconds: busyNanoseconds,
                                    idleNanoseconds: idleNanoseconds, sleeps: sleeps, cpuNanoseconds: cpu,
                                    receiveQueues: receiveStats)
        }
    }

    private func adoptReceiveQueues(_ ports: [any Port]) {
        var old: [DatapathPort: ReceiveQueueStats] = [:]
        for s in receiveStats { old[s.port] = s }
        receiveQueues = ports
        receiveStats = ports.map { old[$0.number] ?? ReceiveQueueStats(port: $0.number, name: $0.name) }
        rebuildDescriptors()
    }

    private func rebuildDescriptors() {
        descriptors = [pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        allPollable = true
        for p in receiveQueues {
            if let pollable = p as? any PollablePort {
                descriptors.append(pollfd(fd: pollable.pollDescriptor, events: Int16(POLLIN), revents: 0))
            } else {
                allPollable = false
            }
        }
    }

    private func runRequests() {
        let jobs = requests.withLock { q -> [Job] in
            let all = q
            q.removeAll(keepingCapacity: true)
            return all
        }
        requestCount.subtract(jobs.count, ordering: .sequentiallyConsistent)
        for job in jobs { job.run() }
    }

    // MARK: The loop

    /// How a worker pins its thread to its `cpu` (nil: to every CPU); set
    /// once, before any worker starts, by a target that can call
    /// `sched_setaffinity`.
    nonisolated(unsafe) public static var pinThread: ((Int?) -> Void)?

    /// Moves the running thread to `cpu` (nil: any CPU).
    public func setCPU(_ cpu: Int?) {
        guard cpu != self.cpu else { return }
        self.cpu = cpu
        guard isRunning else { return }
        perform { _ in Self.pinThread?(cpu) }
    }

    private func main() {
        if cpu != nil, let pin = Self.pinThread { pin(cpu) }
        var lastPacket = DatapathClock.nanoseconds
        var iterationStart = lastPacket
        // Packets in the current and the previous spin window.
        var windowStart = lastPacket
        var windowPackets = 0
        var previousWindowPackets = 0
        // Spinning for sparse traffic resumes at this time (set when a
        // spinning round was preempted).
        var spinAllowedFrom: UInt64 = 0
        var involuntarySwitches = Self.involuntaryContextSwitches()
        while !stopping.load(ordering: .relaxed) {
            if requestCount.load(ordering: .relaxed) > 0 { runRequests() }
            thread.applyControl()
            var received = 0
            for i in receiveQueues.indices {
                let port = receiveQueues[i]
                var batch = PacketBatch()
                let t0 = DatapathClock.nanoseconds
                let n = (try? port.receive(into: &batch, pool: thread.pool)) ?? 0
                if batch.isEmpty { continue }
                thread.process(batch, from: port.number)
                received &+= n
                receiveStats[i].packets &+= UInt64(n)
                receiveStats[i].busyNanoseconds &+= DatapathClock.nanoseconds &- t0
            }
            let now = DatapathClock.nanoseconds
            let spin = configuration.idleSpinNanoseconds
            if received > 0 {
                busyNanoseconds &+= now &- iterationStart
                lastPacket = now
                if now &- windowStart >= spin {
                    previousWindowPackets = now &- windowStart < 2 &* spin ? windowPackets : 0
                    windowPackets = 0
                    windowStart = now
                }
                windowPackets &+= received
            } else {
                if now &- iterationStart > configuration.preemptedRoundNanoseconds {
                    // A long round: descheduled for another task (counted
                    // as an involuntary switch), or only the virtual CPU
                    // stolen by the host, which spinning does not worsen.
                    let switches = Self.involuntaryContextSwitches()
                    if switches != involuntarySwitches {
                        involuntarySwitches = switches
                        spinAllowedFrom = now &+ configuration.preemptedBackoffNanoseconds
                    }
                }
                let recent = windowPackets &+ previousWindowPackets
                let minimum = now < spinAllowedFrom ? configuration.contendedSpinMinimumPackets : configuration.spinMinimumPackets
                if now &- lastPacket >= spin || recent < minimum {
                    sleepUntilReady()
                    lastPacket = 0
                }
                let after = DatapathClock.nanoseconds
                idleNanoseconds &+= after &- iterationStart
                iterationStart = after
                continue
            }
            iterationStart = now
        }
        runRequests()
        finished.signal()
    }

    /// The calling thread's involuntary context switches (`ru_nivcsw`).
    private static func involuntaryContextSwitches() -> Int {
        var usage = rusage()
        guard getrusage(__rusage_who_t(1), &usage) == 0 else { return 0 }    // RUSAGE_THREAD
        return usage.ru_nivcsw
    }

    /// Sleeps in `poll(2)` until a receive queue or the wake descriptor is
    /// readable (or the timer fires when some queue has no descriptor).
    private func sleepUntilReady() {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if thread.control.hasPending || requestCount.load(ordering: .sequentiallyConsistent) > 0
            || stopping.load(ordering: .sequentiallyConsistent) {
            sleeping.store(false, ordering: .relaxed)
            return
        }
        sleeps &+= 1
        let timeout: Int32 = allPollable ? -1 : configuration.timerMilliseconds
        let n = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
        sleeping.store(false, ordering: .sequentiallyConsistent)
        if n > 0, descriptors[0].revents != 0 {
            var drain: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            _ = withUnsafeMutableBytes(of: &drain) { read(wakeDescriptor, $0.baseAddress, $0.count) }
        }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// A closure the worker runs on its thread; the caller waits for it, so
/// what it captures is never used by two threads at once.
private struct Job: @unchecked Sendable {
    let run: () -> Void
}

private struct UncheckedPorts: @unchecked Sendable {
    let ports: [any Port]
}
