import Datapath
import Flow

/// Why a DPIF operation failed, with the errno Open vSwitch's `dpif_*`
/// functions return for it.
public enum DPIFError: Error, Hashable, Sendable {
    /// No datapath with this name (`ENODEV`).
    case noSuchDatapath(String)
    /// A datapath with this name exists (`EEXIST`).
    case datapathExists(String)
    /// The flow exists and `modify` was not asked (`EEXIST`).
    case flowExists
    /// No such flow; or it does not exist and `create` was not asked (`ENOENT`).
    case noSuchFlow
    /// The flow table is full (`EFBIG`).
    case flowTableFull
    /// The request is malformed or contradictory (`EINVAL`).
    case invalid(String)
    /// A port operation failed.
    case port(PortError)
    /// The datapath does not implement this yet (`EOPNOTSUPP`).
    case notSupported(String)

    /// The errno value.
    public var errno: Int32 {
        switch self {
        case .noSuchDatapath: 19
        case .datapathExists, .flowExists: 17
        case .noSuchFlow: 2
        case .flowTableFull: 27
        case .invalid: 22
        case .port(let e):
            switch e {
            case .noSuchPort: 19
            case .nameInUse, .numberInUse: 17
            case .tableFull: 27
            case .system(let errno): errno
            default: 22
            }
        case .notSupported: 95
        }
    }

    init(_ e: FlowTableError) {
        switch e {
        case .exists: self = .flowExists
        case .notFound: self = .noSuchFlow
        case .full: self = .flowTableFull
        case .invalid: self = .invalid("flow overlaps an existing flow")
        }
    }
}

/// A port as the DPIF describes it (`struct dpif_port` plus counters).
public struct DPIFPort: Hashable, Sendable {
    public var name: String
    public var type: PortType
    public var number: DatapathPort
    public var stats: PortStats
    public init(name: String, type: PortType, number: DatapathPort, stats: PortStats) {
        self.name = name
        self.type = type
        self.number = number
        self.stats = stats
    }
}

/// A datapath flow as the DPIF reports it (`struct dpif_flow`).
public struct DPIFFlow: Sendable {
    /// The key, masked.
    public var key: FlowKey
    public var mask: FlowMask
    public var actions: [DatapathAction]
    public var ufid: FlowUFID
    /// Packets, bytes, last use and TCP flags, summed over poll threads.
    public var counters: FlowCounters

    public init(key: FlowKey, mask: FlowMask, actions: [DatapathAction], ufid: FlowUFID, counters: FlowCounters) {
        self.key = key
        self.mask = mask
        self.actions = actions
        self.ufid = ufid
        self.counters = counters
    }
}

/// Names one flow: by UFID, or by its key (whose UFID is then derived as
/// OVS derives it, `FlowRecord.ufid(forKey:)`).
public enum FlowSelector: Sendable {
    case ufid(FlowUFID)
    case key(FlowKey)

    /// The UFID the selector stands for.
    public var ufid: FlowUFID {
        switch self {
        case .ufid(let u): u
        case .key(let k): FlowUFID(rawValue: FlowRecord.ufid(forKey: k))
        }
    }
}

/// `dpif_flow_put`'s arguments.
public struct FlowPut: Sendable {
    public var key: FlowKey
    public var mask: FlowMask
    public var actions: [DatapathAction]
    /// The flow's UFID; `nil` derives it from `key`.
    public var ufid: FlowUFID?
    public var flags: FlowPutFlags

    public init(key: FlowKey, mask: FlowMask, actions: [DatapathAction], ufid: FlowUFID? = nil,
                flags: FlowPutFlags = [.create]) {
        self.key = key
        self.mask = mask
        self.actions = actions
        self.ufid = ufid
        self.flags = flags
    }
}

/// `dpif_execute`'s arguments: run `actions` on a packet whose metadata
/// (in port, recirculation id, tunnel...) is `metadata`.
public struct PacketExecution: Sendable {
    public var packet: [UInt8]
    public var metadata: PacketMetadata
    public var actions: [DatapathAction]
    public init(packet: [UInt8], metadata: PacketMetadata, actions: [DatapathAction]) {
        self.packet = packet
        self.metadata = metadata
        self.actions = actions
    }
}

/// A packet the datapath sent up (`struct dpif_upcall`).
public struct Upcall: Sendable {
    public var kind: UpcallKind
    public var packet: [UInt8]
    /// The packet's flow key, metadata included.
    public var key: FlowKey
    public var metadata: PacketMetadata
    /// The `userspace` action's cookie (ACTION upcalls).
    public var userdata: [UInt8]?
    /// The `userspace` action's channel (ACTION upcalls).
    public var pid: UInt32

    public init(kind: UpcallKind, packet: [UInt8], key: FlowKey, metadata: PacketMetadata,
                userdata: [UInt8]? = nil, pid: UInt32 = 0) {
        self.kind = kind
        self.packet = packet
        self.key = key
        self.metadata = metadata
        self.userdata = userdata
        self.pid = pid
    }

    /// The upcall's input port.
    public var inPort: DatapathPort { metadata.inPort }
}

/// A datapath's counters (`dpif_get_dp_stats`), with each poll thread's.
public struct DPIFStatistics: Hashable, Sendable {
    public var datapath: DatapathStats
    public var megaflow: MegaflowStats
    public var pollThreads: [PollThreadStats]

    public init(datapath: DatapathStats, megaflow: MegaflowStats, pollThreads: [PollThreadStats]) {
        self.datapath = datapath
        self.megaflow = megaflow
        self.pollThreads = pollThreads
    }

    /// Subtables looked up per packet that hit (`hit/pkt` of `dpctl/show`).
    public var maskHitsPerPacket: Double {
        let packets = datapath.hit &+ datapath.missed
        return packets == 0 ? 0 : Double(megaflow.maskHits) / Double(packets)
    }

    /// `dpctl/show`'s counter lines. Like Open vSwitch's userspace datapath
    /// (whose `n_masks` is `UINT32_MAX`), no `masks:` line: mask statistics
    /// are per poll thread (`dpif-netdev/pmd-stats-show`).
    public var summary: String {
        let d = datapath
        return "  lookups: hit:\(d.hit) missed:\(d.missed) lost:\(d.lost)\n  flows: \(d.flows)"
    }
}

extension String {
    /// Two decimals, as `%.2f`, without Foundation.
    init(format2 v: Double) {
        let cents = Int64((v * 100).rounded())
        let frac = cents % 100
        self = "\(cents / 100)." + (frac < 10 ? "0" : "") + "\(frac)"
    }
}

/// One operation of a `DPIF.operate` batch (`struct dpif_op`).
public enum DPIFOperation: Sendable {
    case put(FlowPut)
    case delete(FlowSelector)
    case get(FlowSelector)
    case execute(PacketExecution)
}

/// The result of one `DPIFOperation`.
public enum DPIFOperationResult: Sendable {
    /// A put: the previous flow's counters when it modified one.
    case put(previous: FlowCounters?)
    /// A delete: the flow as it was.
    case deleted(DPIFFlow)
    /// A get.
    case flow(DPIFFlow)
    /// An execute.
    case executed
}

/// The datapath interface: what the slow path (ofproto, `dpctl`) may ask
/// of one datapath, in typed Swift (OVS's `lib/dpif.h`). Nothing above
/// `DPIF` touches the datapath's internals; a datapath in another process
/// would implement the same protocol over the TLV messages.
///
/// Contracts follow `dpif.h`: `putFlow` with `.create` fails with
/// `.flowExists` when the flow exists; with `.modify` alone it fails with
/// `.noSuchFlow` when it does not; with both it creates or modifies. No
/// call blocks on the packet path; `receiveUpcalls` returns what waits.
public protocol DPIF: AnyObject {
    /// The datapath's name (its local port's name).
    var name: String { get }
    /// The datapath's index (`dp_ifindex`), as the messages carry it.
    var index: Int32 { get }

    /// Lookup and mask counters, per datapath and per poll thread.
    func statistics() -> DPIFStatistics

    // MARK: Ports (`dpif_port_*`)

    /// Adds a port; returns its number (the requested one, or the lowest free).
    @discardableResult
    func addPort(_ configuration: PortConfiguration) throws(DPIFError) -> DatapathPort
    /// Removes a port (not the local port).
    func deletePort(_ number: DatapathPort) throws(DPIFError)
    func port(number: DatapathPort) throws(DPIFError) -> DPIFPort
    func port(named name: String) throws(DPIFError) -> DPIFPort
    /// Every port, by number.
    func dumpPorts() -> [DPIFPort]

    // MARK: Flows (`dpif_flow_*`)

    /// Creates or modifies a flow as `put.flags` allow; returns the counters
    /// of the flow it modified (`nil` when it created one).
    @discardableResult
    func putFlow(_ put: FlowPut) throws(DPIFError) -> FlowCounters?
    func getFlow(_ selector: FlowSelector) throws(DPIFError) -> DPIFFlow
    /// Removes a flow and returns it with its final counters.
    @discardableResult
    func deleteFlow(_ selector: FlowSelector) throws(DPIFError) -> DPIFFlow
    /// Up to `maxCount` flows from `cursor`; `next` is `nil` at the end.
    func dumpFlows(from cursor: FlowDumpCursor, maxCount: Int) -> (flows: [DPIFFlow], next: FlowDumpCursor?)
    /// Removes every flow.
    func flushFlows()
    /// The most flows the datapath holds.
    var flowLimit: Int { get set }

    // MARK: Packets

    /// Runs `actions` on a packet (`dpif_execute`).
    func execute(_ execution: PacketExecution) throws(DPIFError)
    /// Removes and returns up to `maxCount` waiting upcalls (`dpif_recv`).
    func receiveUpcalls(maxCount: Int) -> [Upcall]
    /// What a handler with no upcall waits on, outside any lock, until the
    /// datapath queues one (`nil`: poll `receiveUpcalls` on a timer).
    var upcallWaiter: (any UpcallWaiting)? { get }

    // MARK: Meters and conntrack limits (not implemented yet)

    func meter(_ request: MeterRequest) throws(DPIFError) -> [MeterReply]
    func conntrackLimits(_ message: ConntrackLimitMessage) throws(DPIFError) -> ConntrackLimitMessage
}

/// Something an upcall handler sleeps on until upcalls wait.
public protocol UpcallWaiting: AnyObject, Sendable {
    /// Returns when upcalls may wait, or after `timeoutMilliseconds`.
    func waitForUpcalls(timeoutMilliseconds: Int)
}

extension UpcallQueue: UpcallWaiting {}

extension DPIF {
    public var upcallWaiter: (any UpcallWaiting)? { nil }

    /// Applies `operations` in order (`dpif_operate`); one result each.
    public func operate(_ operations: [DPIFOperation]) -> [Result<DPIFOperationResult, DPIFError>] {
        operations.map { op in
            Result { () throws(DPIFError) -> DPIFOperationResult in
                switch op {
                case .put(let p): return .put(previous: try putFlow(p))
                case .delete(let s): return .deleted(try deleteFlow(s))
                case .get(let s): return .flow(try getFlow(s))
                case .execute(let e):
                    try execute(e)
                    return .executed
                }
            }
        }
    }

    /// Every flow, page by page.
    public func dumpAllFlows(pageSize: Int = 128) -> [DPIFFlow] {
        var out: [DPIFFlow] = []
        var cursor: FlowDumpCursor? = .start
        while let c = cursor {
            let page = dumpFlows(from: c, maxCount: pageSize)
            out += page.flows
            cursor = page.next
        }
        return out
    }

    public func meter(_ request: MeterRequest) throws(DPIFError) -> [MeterReply] {
        throw .notSupported("meters")
    }

    public func conntrackLimits(_ message: ConntrackLimitMessage) throws(DPIFError) -> ConntrackLimitMessage {
        throw .notSupported("ct_limit")
    }
}
