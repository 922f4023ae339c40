import Datapath
import Flow

/// A datapath in this process (OVS's `dpif-netdev`): a port table, the
/// authoritative flow table, poll threads with their caches, and the
/// upcall queue, served through `DPIF`.
///
/// **Threads.** No threads are started yet: `poll()` runs one round of
/// every port through the first poll thread, on the caller's thread. Flow
/// changes go to the poll threads as `FlowTableChange` messages, applied
/// between batches; flow counters and cache statistics are read from the
/// poll threads and so must be read on the thread that polls (today the
/// same one). Call every method from one thread.
public final class LocalDatapath: DPIF {
    public let name: String
    public let index: Int32
    /// The poll threads' state (one for now).
    public let pollThreads: [PollThread]
    /// Where misses and `userspace` packets wait for the slow path.
    public let upcallQueue: UpcallQueue

    private var portTable: PortTable
    private let registry: PortTypeRegistry
    private var flows: FlowTable
    private var receiveBatchScratch = 0

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
        let queue = UpcallQueue(capacity: upcallQueueCapacity)
        upcallQueue = queue
        pollThreads = (0..<max(1, pollThreadCount)).map {
            PollThread(id: $0, upcalls: queue, configuration: cacheConfiguration)
        }
        publishPorts()
    }

    private func publishPorts() {
        let snapshot = PortSnapshot(portTable)
        for t in pollThreads { t.control.send(.ports(snapshot)) }
    }

    private func broadcast(_ change: FlowTableChange) {
        for t in pollThreads { t.control.send(change) }
    }

    /// Changes every poll thread's cache configuration.
    public func configureCaches(_ configuration: CacheConfiguration) {
        broadcast(.configure(configuration))
    }

    // MARK: Running

    /// Receives one batch from every port and runs it through the first
    /// poll thread. Returns the packets received.
    @discardableResult
    public func poll() -> Int {
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
        for t in pollThreads {
            t.applyControl()
            sum += t.stats
            per.append(t.stats)
            masks += t.classifier.maskCount
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

    // MARK: DPIF: flows

    public var flowLimit: Int {
        get { flows.limit }
        set { flows.limit = newValue }
    }

    /// A flow's counters summed over the poll threads.
    private func counters(_ ufid: UInt128) -> FlowCounters {
        var c = FlowCounters()
        for t in pollThreads {
            t.applyControl()
            if let x = t.counters(forUFID: ufid) { c += x }
        }
        return c
    }

    private func describe(_ r: FlowRecord) -> DPIFFlow {
        DPIFFlow(key: r.key, mask: r.mask, actions: r.actions, ufid: FlowUFID(rawValue: r.ufid),
                 counters: counters(r.ufid))
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
        return (page.records.map(describe), page.next)
    }

    public func flushFlows() {
        broadcast(flows.removeAll())
    }

    // MARK: DPIF: packets

    public func execute(_ execution: PacketExecution) throws(DPIFError) {
        guard !execution.packet.isEmpty else { throw .invalid("empty packet") }
        let thread = pollThreads[0]
        var packet = thread.pool.allocate(copying: execution.packet)
        packet.metadata = execution.metadata
        thread.execute(execution.actions, on: packet)
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
    private var nextIndex: Int32 = 1

    /// A registry whose datapaths make ports through `registry`, their
    /// local port of `localType`.
    public init(portTypes registry: PortTypeRegistry, localType: PortType = .internal) {
        self.registry = registry
        self.localType = localType
    }

    /// Creates datapath `name` (`EEXIST` if it exists).
    public func create(name: String, cacheConfiguration: CacheConfiguration = CacheConfiguration(),
                       upcallQueueCapacity: Int = 4096) throws(DPIFError) -> LocalDatapath {
        guard datapaths[name] == nil else { throw .datapathExists(name) }
        let dp = try LocalDatapath(name: name, index: nextIndex, registry: registry, localType: localType,
                                   upcallQueueCapacity: upcallQueueCapacity, cacheConfiguration: cacheConfiguration)
        nextIndex += 1
        datapaths[name] = dp
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
        dp.flushFlows()
    }

    /// The datapaths' names, sorted.
    public var names: [String] { datapaths.keys.sorted() }
}
