import Datapath
import Flow

/// A datapath in this process (OVS's `dpif-netdev`): a port table, the
/// authoritative flow table, poll threads with their caches, and the
/// upcall queue, served through `DPIF`.
///
/// **Threads.** Two ways to run it:
/// - `startPollThreads()` starts one OS thread (`PollWorker`) per poll
///   thread. Each receive queue (port) belongs to one of them, given out
///   round robin when the port is added and never moved; threads spin while
///   packets flow and sleep in `poll(2)` when idle. `stopPollThreads()` (or
///   deinit) stops them.
/// - Without started threads, `poll()` runs one round of every port
///   through the first poll thread on the caller's thread (tests).
///
/// Either way flow changes reach the poll threads as `FlowTableChange`
/// messages applied between batches. Reads of what a poll thread owns
/// (flow counters for get/dump/del, cache statistics, `pollThreadReports`)
/// are asked of the thread itself: the request runs on it between two
/// batches, after the changes sent before it, and the caller waits for the
/// answer. So reads are exact and the packet path has no lock. Call the
/// DPIF methods from one thread (the slow path's).
public final class LocalDatapath: DPIF {
    public let name: String
    public let index: Int32
    /// The poll threads' state, in thread order (`setPollThreads` changes them).
    public private(set) var pollThreads: [PollThread]
    /// Where misses and `userspace` packets wait for the slow path.
    public let upcallQueue: UpcallQueue
    /// The meters, shared by the poll threads.
    public let meters = DatapathMeters()

    private var portTable: PortTable
    private let registry: PortTypeRegistry
    private var flows: FlowTable
    private var receiveBatchScratch = 0
    /// The OS threads driving `pollThreads`, while started.
    private var workers: [PollWorker] = []
    /// The poll thread (by id) that receives from each port; a port moves
    /// only when its thread goes away.
    private var receiveAssignment: [DatapathPort: Int] = [:]
    /// The cache configuration every poll thread uses.
    private var cacheConfiguration: CacheConfiguration
    /// What the flows counted on poll threads that were removed
    /// (`setPollThreads`), so that flow counters never go backwards.
    private var retiredCounters: [UInt128: FlowCounters] = [:]

    /// Makes a datapath named `name` with its local port of `localType`.
    /// `upcallQueueCapacity` bounds each input port's upcall queue.
    public init(name: String, index: Int32 = 1, registry: PortTypeRegistry, localType: PortType = .internal,
                pollThreadCount: Int = 1, upcallQueueCapacity: Int = 4096, flowLimit: Int = 65_536,
                cacheConfiguration: CacheConfiguration = CacheConfiguration()) throws(DPIFError) {
        self.name = name
        self.index = index
        self.registry = registry
        do {
            portTable = try PortTable(datapathName: name, localType: localType, registry: registry)
        } catch {
            throw .port(error)
        }
        flows = FlowTable(limit: flowLimit)
        self.cacheConfiguration = cacheConfiguration
        let queue = UpcallQueue(capacity: upcallQueueCapacity)
        upcallQueue = queue
        pollThreads = (0..<max(1, pollThreadCount)).map {
            PollThread(id: $0, upcalls: queue, configuration: cacheConfiguration)
        }
        for t in pollThreads { t.meters = meters }
        publishPorts()
    }

    deinit { stopPollThreads() }

    private func publishPorts() {
        let snapshot = PortSnapshot(portTable)
        for t in pollThreads { t.control.send(.ports(snapshot)) }
        for w in workers { w.wake() }
        assignReceiveQueues()
    }

    private func broadcast(_ change: FlowTableChange) {
        if !retiredCounters.isEmpty {
            switch change {
            case .install(let r): retiredCounters[r.ufid] = nil
            case .remove(let ufid): retiredCounters[ufid] = nil
            case .modify(let ufid, _, true): retiredCounters[ufid] = nil
            case .flush: retiredCounters = [:]
            default: break
            }
        }
        for t in pollThreads { t.control.send(change) }
        for w in workers { w.wake() }
    }

    /// Runs `body` on every poll thread (on its OS thread when started)
    /// and returns the answers in thread order.
    private func onThreads<T>(_ body: @escaping (PollThread) -> T) -> [T] {
        if workers.isEmpty {
            return pollThreads.map { t in
                t.applyControl()
                return body(t)
            }
        }
        return workers.map { $0.perform(body) }
    }

    // MARK: Poll threads

    /// True while poll threads run.
    public var pollThreadsRunning: Bool { !workers.isEmpty }

    /// Starts one OS thread per poll thread, with the ports given out
    /// round robin as receive queues. `poll()` does nothing meanwhile.
    public func startPollThreads(_ configuration: PollWorkerConfiguration = PollWorkerConfiguration(),
                                 cpus: [Int: Int] = [:]) {
        guard workers.isEmpty else { return }
        let made = pollThreads.map { t in
            let w = PollWorker(thread: t, configuration: configuration)
            w.cpu = cpus[t.id]
            return w
        }
        receiveAssignment = [:]
        workers = made
        assignReceiveQueues()
        for w in made { w.start() }
    }

    /// Stops the poll threads (waits for them); `poll()` works again.
    public func stopPollThreads() {
        let running = workers
        workers = []
        for w in running { w.stop() }
    }

    /// Gives each new port to the worker with the fewest, forgets removed
    /// ports, and hands every worker its receive queues (on its thread, so
    /// a removed port is out of every loop when this returns).
    ///
    /// A port that changes thread leaves the old one before the new one
    /// gets it, so no two threads ever receive from one queue at once.
    private func assignReceiveQueues() {
        guard !workers.isEmpty else { return }
        let ports = portTable.ports
        let live = Set(ports.map(\.number))
        let ids = workers.map(\.thread.id)
        let before = receiveAssignment
        receiveAssignment = receiveAssignment.filter { live.contains($0.key) && ids.contains($0.value) }
        var load = [Int](repeating: 0, count: workers.count)
        for id in receiveAssignment.values { load[ids.firstIndex(of: id)!] += 1 }
        var next = 0
        for p in ports where receiveAssignment[p.number] == nil {
            // Fewest queues first; ties go round robin.
            let least = load.min()!
            while load[next % load.count] != least { next += 1 }
            let w = next % load.count
            receiveAssignment[p.number] = ids[w]
            load[w] += 1
            next += 1
        }
        let moved = ports.contains { before[$0.number] != nil && before[$0.number] != receiveAssignment[$0.number] }
        if moved {
            for w in workers {
                let id = w.thread.id
                w.setReceiveQueues(ports.filter { before[$0.number] == id && receiveAssignment[$0.number] == id })
            }
        }
        for w in workers {
            let id = w.thread.id
            w.setReceiveQueues(ports.filter { receiveAssignment[$0.number] == id })
        }
    }

    /// Makes the poll threads those numbered `ids` (OVS's core ids; at
    /// least one), each pinned to `cpus[id]` when given, waking per
    /// `configuration`. Threads that stay keep their receive queues and
    /// caches; new threads get every flow and the ports of removed ones
    /// (round robin over the fewest loaded); removed threads stop after
    /// their queues moved, and their flow counters are kept. Starts the
    /// threads if none run.
    public func setPollThreads(ids: [Int], cpus: [Int: Int] = [:],
                               configuration: PollWorkerConfiguration = PollWorkerConfiguration()) {
        var wanted: [Int] = []
        for id in ids where !wanted.contains(id) { wanted.append(id) }
        if wanted.isEmpty { wanted = [0] }
        if workers.isEmpty {
            // Not running: reshape the thread list, then start.
            applyThreadList(wanted)
            startPollThreads(configuration, cpus: cpus)
            return
        }
        for w in workers where w.configuration != configuration { w.setConfiguration(configuration) }
        for w in workers { w.setCPU(cpus[w.thread.id]) }
        let current = pollThreads.map(\.id)
        guard current != wanted else { return }
        let kept = workers.filter { wanted.contains($0.thread.id) }
        let removed = workers.filter { !wanted.contains($0.thread.id) }
        var added: [PollWorker] = []
        var threads: [PollThread] = []
        var all: [PollWorker] = []
        for id in wanted {
            if let w = kept.first(where: { $0.thread.id == id }) {
                threads.append(w.thread)
                all.append(w)
                continue
            }
            let t = makeThread(id: id)
            let w = PollWorker(thread: t, configuration: configuration)
            w.cpu = cpus[id]
            threads.append(t)
            all.append(w)
            added.append(w)
        }
        for w in added { w.start() }
        pollThreads = threads
        workers = all
        // Removed threads give up their queues first (ports move), then stop.
        for w in removed { w.setReceiveQueues([]) }
        assignReceiveQueues()
        let ufids = flows.page(from: .start, maxCount: .max).records.map(\.ufid)
        for w in removed {
            w.stop()
            let t = w.thread
            t.applyControl()
            for u in ufids { if let c = t.counters(forUFID: u) { retiredCounters[u, default: FlowCounters()] += c } }
        }
    }

    /// A poll thread with every port and flow of the datapath.
    private func makeThread(id: Int) -> PollThread {
        let t = PollThread(id: id, upcalls: upcallQueue, configuration: cacheConfiguration)
        t.control.send(.ports(PortSnapshot(portTable)))
        for r in flows.page(from: .start, maxCount: .max).records { t.control.send(.install(r)) }
        return t
    }

    /// Makes the (stopped) thread list `ids`, keeping threads that stay.
    private func applyThreadList(_ ids: [Int]) {
        guard pollThreads.map(\.id) != ids else { return }
        let ufids = flows.page(from: .start, maxCount: .max).records.map(\.ufid)
        for t in pollThreads where !ids.contains(t.id) {
            t.applyControl()
            for u in ufids { if let c = t.counters(forUFID: u) { retiredCounters[u, default: FlowCounters()] += c } }
        }
        pollThreads = ids.map { id in pollThreads.first { $0.id == id } ?? makeThread(id: id) }
    }

    /// Each poll thread's counters and receive queues, read on the thread.
    public func pollThreadReports() -> [PollWorkerReport] {
        if workers.isEmpty {
            return pollThreads.map { t in
                t.applyControl()
                return PollWorkerReport(id: t.id, stats: t.stats, outputBatches: t.outputBatches,
                                        outputPackets: t.outputPackets, busyNanoseconds: t.stats.busyNanoseconds)
            }
        }
        return workers.map { $0.report() }
    }

    /// Changes every poll thread's cache configuration.
    public func configureCaches(_ configuration: CacheConfiguration) {
        cacheConfiguration = configuration
        broadcast(.configure(configuration))
    }

    // MARK: Running

    /// Receives one batch from every port and runs it through the first
    /// poll thread. Returns the packets received (0, doing nothing, while
    /// poll threads run).
    @discardableResult
    public func poll() -> Int {
        guard workers.isEmpty else { return 0 }
        let thread = pollThreads[0]
        var total = 0
        for port in portTable.ports {
            var batch = PacketBatch()
            let n = (try? port.receive(into: &batch, pool: thread.pool)) ?? 0
            total += n
            if batch.isEmpty { continue }
            thread.process(batch, from: port.number)
        }
        return total
    }

    // MARK: DPIF: statistics

    public func statistics() -> DPIFStatistics {
        var sum = PollThreadStats()
        var masks = 0
        var per: [PollThreadStats] = []
        for (stats, maskCount) in onThreads({ ($0.stats, $0.classifier.maskCount) }) {
            sum += stats
            per.append(stats)
            masks += maskCount
        }
        return DPIFStatistics(
            datapath: DatapathStats(hit: sum.hits, missed: sum.misses, lost: sum.lost, flows: UInt64(flows.count)),
            megaflow: MegaflowStats(maskHits: sum.subtableLookups, masks: UInt32(masks),
                                    cacheHits: sum.exactMatchHits &+ sum.signatureMatchHits),
            pollThreads: per)
    }

    // MARK: DPIF: ports

    private func describe(_ p: any Port) -> DPIFPort {
        DPIFPort(name: p.name, type: p.type, number: p.number, stats: p.stats)
    }

    @discardableResult
    public func addPort(_ configuration: PortConfiguration) throws(DPIFError) -> DatapathPort {
        let number: DatapathPort
        do {
            number = try portTable.add(configuration, registry: registry).number
        } catch {
            throw .port(error)
        }
        publishPorts()
        return number
    }

    public func deletePort(_ number: DatapathPort) throws(DPIFError) {
        do {
            try portTable.remove(number: number)
        } catch {
            throw .port(error)
        }
        publishPorts()
    }

    public func port(number: DatapathPort) throws(DPIFError) -> DPIFPort {
        guard let p = portTable.port(number: number) else { throw .port(.noSuchPort(number.description)) }
        return describe(p)
    }

    public func port(named name: String) throws(DPIFError) -> DPIFPort {
        guard let p = portTable.port(named: name) else { throw .port(.noSuchPort(name)) }
        return describe(p)
    }

    public func dumpPorts() -> [DPIFPort] { portTable.ports.map(describe) }

    /// The device behind port `name` (tests reach `DummyPort`s through it:
    /// `netdev-dummy/receive`).
    public func device(named name: String) -> (any Port)? { portTable.port(named: name) }

    // MARK: DPIF: flows

    public var flowLimit: Int {
        get { flows.limit }
        set { flows.limit = newValue }
    }

    /// A flow's counters summed over the poll threads.
    private func counters(_ ufid: UInt128) -> FlowCounters {
        counters([ufid])[0]
    }

    /// The counters of each of `ufids`, summed over the poll threads (one
    /// request per thread for the lot).
    private func counters(_ ufids: [UInt128]) -> [FlowCounters] {
        var sums = retiredCounters.isEmpty ? [FlowCounters](repeating: FlowCounters(), count: ufids.count)
            : ufids.map { retiredCounters[$0] ?? FlowCounters() }
        for perThread in onThreads({ t in ufids.map { t.counters(forUFID: $0) } }) {
            for (i, c) in perThread.enumerated() { if let c { sums[i] += c } }
        }
        return sums
    }

    private func describe(_ r: FlowRecord) -> DPIFFlow {
        describe(r, counters: counters(r.ufid))
    }

    private func describe(_ r: FlowRecord, counters: FlowCounters) -> DPIFFlow {
        DPIFFlow(key: r.key, mask: r.mask, actions: r.actions, ufid: FlowUFID(rawValue: r.ufid),
                 counters: counters)
    }

    @discardableResult
    public func putFlow(_ put: FlowPut) throws(DPIFError) -> FlowCounters? {
        let ufid = put.ufid?.rawValue ?? FlowRecord.ufid(forKey: put.key)
        let record = FlowRecord(key: put.key, mask: put.mask, actions: put.actions, ufid: ufid)
        let outcome: (result: FlowPutResult, change: FlowTableChange)
        do {
            outcome = try flows.put(record, flags: put.flags)
        } catch {
            throw DPIFError(error)
        }
        var previous: FlowCounters?
        if case .modified(let old) = outcome.result { previous = counters(old.ufid) }
        broadcast(outcome.change)
        return previous
    }

    public func getFlow(_ selector: FlowSelector) throws(DPIFError) -> DPIFFlow {
        guard let r = flows.record(ufid: selector.ufid.rawValue) else { throw .noSuchFlow }
        return describe(r)
    }

    @discardableResult
    public func deleteFlow(_ selector: FlowSelector) throws(DPIFError) -> DPIFFlow {
        guard let r = flows.record(ufid: selector.ufid.rawValue) else { throw .noSuchFlow }
        let flow = describe(r)
        do {
            broadcast(try flows.remove(ufid: r.ufid).change)
        } catch {
            throw DPIFError(error)
        }
        return flow
    }

    public func dumpFlows(from cursor: FlowDumpCursor, maxCount: Int) -> (flows: [DPIFFlow], next: FlowDumpCursor?) {
        let page = flows.page(from: cursor, maxCount: max(1, maxCount))
        let sums = counters(page.records.map(\.ufid))
        return (zip(page.records, sums).map { describe($0, counters: $1) }, page.next)
    }

    /// Whether `dpctl/dump-flows` lists each poll thread's flows on its own
    /// (the daemon's configured pmd threads) rather than one table.
    public var flowDumpPerPollThread = false

    /// Every flow as each poll thread has it, with that thread's counters,
    /// by thread number.
    public func dumpFlowsPerPollThread() -> [(thread: Int, flows: [DPIFFlow])] {
        let records = flows.page(from: .start, maxCount: .max).records
        let ufids = records.map(\.ufid)
        let perThread = onThreads { t in (t.id, ufids.map { t.counters(forUFID: $0) }) }
        return perThread.sorted { $0.0 < $1.0 }.map { id, counters in
            (id, zip(records, counters).compactMap { r, c in c.map { describe(r, counters: $0) } })
        }
    }

    public func flushFlows() {
        broadcast(flows.removeAll())
    }

    // MARK: DPIF: packets

    public func execute(_ execution: PacketExecution) throws(DPIFError) {
        guard !execution.packet.isEmpty else { throw .invalid("empty packet") }
        // On the first poll thread (its own OS thread when started).
        let run = { (thread: PollThread) in
            var packet = thread.pool.allocate(copying: execution.packet)
            packet.metadata = execution.metadata
            thread.execute(execution.actions, on: packet)
        }
        if let worker = workers.first {
            worker.perform(run)
        } else {
            pollThreads[0].applyControl()
            run(pollThreads[0])
        }
    }

    public var upcallWaiter: (any UpcallWaiting)? { upcallQueue }
    /// The meter family (`dpif_meter_set/get/del`, features): only `drop`
    /// bands; `set` with another band type is refused as unsupported.
    public func meter(_ request: MeterRequest) throws(DPIFError) -> [MeterReply] {
        func reply(_ id: MeterID, _ s: DatapathMeterStats, command: MeterCommand) -> MeterReply {
            let config = meters.config(id)
            let bands = (config?.bands ?? []).enumerated().map { i, b in
                MeterBand(type: .drop, rate: b.rate, burst: b.burst, stats: i < s.bands.count ? s.bands[i] : FlowStats())
            }
            return MeterReply(command: command, datapathIndex: index, meterID: id,
                              flags: config?.kilobits == true ? .kilobitsPerSecond : [],
                              stats: FlowStats(packets: s.packets, bytes: s.bytes), bands: bands,
                              used: s.usedMilliseconds == 0 ? nil : .milliseconds(s.usedMilliseconds))
        }
        switch request.command {
        case .features:
            return [MeterReply(command: .features, datapathIndex: index,
                               bands: [MeterBand(type: .drop, rate: 0, burst: 0)],
                               maximumMeters: DatapathMeters.maximumMeters, maximumBands: DatapathMeters.maximumBands)]
        case .set:
            guard let id = request.meterID, let bands = request.bands else { throw .invalid("meter set without id or bands") }
            guard bands.allSatisfy({ $0.type == .drop }) else { throw .notSupported("meter band type") }
            let config = DatapathMeterConfig(kilobits: request.flags.contains(.kilobitsPerSecond),
                                             bands: bands.map { DatapathMeterBand(rate: $0.rate, burst: $0.burst) })
            do {
                try meters.set(id, config)
            } catch {
                switch error {
                case .idOutOfRange: throw .invalid("meter id \(id) out of range")
                case .tooManyBands: throw .invalid("too many meter bands")
                case .zeroRate: throw .invalid("meter band rate 0")
                }
            }
            return [MeterReply(command: .set, datapathIndex: index, meterID: id)]
        case .delete:
            guard let id = request.meterID, let s = meters.delete(id) else { throw .invalid("no such meter") }
            return [reply(id, s, command: .delete)]
        case .get:
            guard let id = request.meterID, let s = meters.stats(id) else { throw .invalid("no such meter") }
            return [reply(id, s, command: .get)]
        case .dump:
            return meters.ids.compactMap { id in meters.stats(id).map { reply(id, $0, command: .dump) } }
        }
    }

    public func receiveUpcalls(maxCount: Int) -> [Upcall] {
        upcallQueue.dequeue(maxCount: maxCount).map { u in
            Upcall(kind: u.kind == .miss ? .miss : .action, packet: u.packet, key: u.key,
                   metadata: u.metadata, userdata: u.userdata, pid: u.pid)
        }
    }
}

/// The datapaths of this process by name (`dpif_create`, `dpif_open`,
/// `dpif_delete`, `dpif_enumerate`). Use from one thread, like the
/// datapaths themselves.
public final class DatapathRegistry {
    private let registry: PortTypeRegistry
    private let localType: PortType
    private var datapaths: [String: LocalDatapath] = [:]
    /// Each datapath's type as `dpctl` prints it (`netdev@...`, `dummy@...`).
    private var typeNames: [String: String] = [:]
    private var nextIndex: Int32 = 1

    /// A registry whose datapaths make ports through `registry`, their
    /// local port of `localType`.
    public init(portTypes registry: PortTypeRegistry, localType: PortType = .internal) {
        self.registry = registry
        self.localType = localType
    }

    /// Creates datapath `name` (`EEXIST` if it exists), its local port of
    /// `localType` (the registry's own when nil); `typeName` is the type
    /// `dpctl` shows (`netdev`, or `dummy` for Open vSwitch's test datapath).
    public func create(name: String, cacheConfiguration: CacheConfiguration = CacheConfiguration(),
                       upcallQueueCapacity: Int = 4096, pollThreadCount: Int = 1,
                       localType: PortType? = nil, typeName: String = "netdev") throws(DPIFError) -> LocalDatapath {
        guard datapaths[name] == nil else { throw .datapathExists(name) }
        let dp = try LocalDatapath(name: name, index: nextIndex, registry: registry, localType: localType ?? self.localType,
                                   pollThreadCount: pollThreadCount, upcallQueueCapacity: upcallQueueCapacity,
                                   cacheConfiguration: cacheConfiguration)
        nextIndex += 1
        datapaths[name] = dp
        typeNames[name] = typeName
        return dp
    }

    /// Opens datapath `name` (`ENODEV` if none).
    public func open(name: String) throws(DPIFError) -> LocalDatapath {
        guard let dp = datapaths[name] else { throw .noSuchDatapath(name) }
        return dp
    }

    /// Opens the datapath with index `index`.
    public func open(index: Int32) throws(DPIFError) -> LocalDatapath {
        guard let dp = datapaths.values.first(where: { $0.index == index }) else {
            throw .noSuchDatapath("index \(index)")
        }
        return dp
    }

    /// Deletes datapath `name`: its flows go; its ports close with it.
    public func delete(name: String) throws(DPIFError) {
        guard let dp = datapaths.removeValue(forKey: name) else { throw .noSuchDatapath(name) }
        typeNames[name] = nil
        dp.stopPollThreads()
        dp.flushFlows()
    }

    /// The type `dpctl` shows for datapath `name` (`netdev` by default).
    public func typeName(of name: String) -> String { typeNames[name] ?? "netdev" }

    /// The datapaths' names, sorted.
    public var names: [String] { datapaths.keys.sorted() }
}
