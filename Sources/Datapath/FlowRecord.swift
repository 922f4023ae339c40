import Dispatch
import Flow
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A datapath flow as the slow path installed it: a megaflow (masked key),
/// its actions and its 128-bit unique identifier (OVS's `dp_netdev_flow`
/// without the per-thread parts).
public struct FlowRecord: Sendable {
    /// The key, already masked (`key & mask`).
    public var key: FlowKey
    public var mask: FlowMask
    public var actions: [DatapathAction]
    /// The flow's unique identifier (`ovs_u128`).
    public var ufid: UInt128

    /// A record for `key` under `mask`; the key is masked here.
    public init(key: FlowKey, mask: FlowMask, actions: [DatapathAction], ufid: UInt128) {
        self.key = key.masked(by: mask)
        self.mask = mask
        self.actions = actions
        self.ufid = ufid
    }

    /// The identifier Open vSwitch would make up for a flow given without
    /// one: a 128-bit hash of the key as given (OVS hashes the key's
    /// Netlink bytes, `odp_flow_key_hash`). The same in every run.
    public static func ufid(forKey key: borrowing FlowKey) -> UInt128 {
        let high = key.maskedHash(.exact, basis: 0x6f76_735f_7566_6964)
        let low = key.maskedHash(.exact, basis: 0x5a17_c0de_b16b_00b5)
        return UInt128(high) << 64 | UInt128(low)
    }
}

/// What a flow has seen (`struct dpif_flow_stats`): packets, bytes, the
/// time it was last used and the TCP flags of its packets.
public struct FlowCounters: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    /// Monotonic milliseconds (`DatapathClock`) of the last packet; 0 for never.
    public var usedMilliseconds: UInt64
    /// TCP flags seen, ORed.
    public var tcpFlags: UInt16

    public init(packets: UInt64 = 0, bytes: UInt64 = 0, usedMilliseconds: UInt64 = 0, tcpFlags: UInt16 = 0) {
        self.packets = packets
        self.bytes = bytes
        self.usedMilliseconds = usedMilliseconds
        self.tcpFlags = tcpFlags
    }

    /// Adds another thread's counters (latest use wins).
    public static func += (a: inout FlowCounters, b: FlowCounters) {
        a.packets &+= b.packets
        a.bytes &+= b.bytes
        a.usedMilliseconds = max(a.usedMilliseconds, b.usedMilliseconds)
        a.tcpFlags |= b.tcpFlags
    }
}

/// The datapath's clock: monotonic milliseconds, as OVS's `time_msec`.
public enum DatapathClock {
    /// Monotonic nanoseconds.
    @inlinable public static var nanoseconds: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
    /// Monotonic milliseconds.
    @inlinable public static var milliseconds: UInt64 { nanoseconds / 1_000_000 }
}

/// A change of the flow table, as the poll threads receive it. Poll threads
/// own their caches: nobody else writes them, so the datapath sends these
/// and each thread applies them between two batches.
public enum FlowTableChange: Sendable {
    /// Add a flow (its UFID is new to the thread).
    case install(FlowRecord)
    /// Replace a flow's actions; optionally zero its counters.
    case modify(ufid: UInt128, actions: [DatapathAction], clearCounters: Bool)
    /// Remove a flow: its cache entries die with it.
    case remove(ufid: UInt128)
    /// Remove every flow.
    case flush
    /// Use these ports from now on (output, transmit).
    case ports(PortSnapshot)
    /// Change the cache configuration.
    case configure(CacheConfiguration)
}

/// The ports a poll thread transmits on, by number (an immutable snapshot).
public struct PortSnapshot: @unchecked Sendable {
    /// Ports by number.
    public let ports: [DatapathPort: any Port]
    public init(_ ports: [DatapathPort: any Port]) { self.ports = ports }
    /// A snapshot of every port of `table`.
    public init(_ table: PortTable) {
        var d: [DatapathPort: any Port] = [:]
        for p in table.ports { d[p.number] = p }
        ports = d
    }
}

/// Tunables of a poll thread's caches (`other_config` in OVS).
public struct CacheConfiguration: Hashable, Sendable {
    /// Whether the exact-match cache is used at all.
    public var exactMatchEnabled: Bool
    /// One classifier hit in this many is inserted into the exact-match
    /// cache (`emc-insert-inv-prob`, default 100); 1 inserts every time,
    /// 0 never inserts.
    public var exactMatchInsertInverseProbability: UInt32
    /// Batches between two re-rankings of the classifier's subtables.
    public var subtableRankingInterval: Int
    /// Whether the signature-match cache is used (`smc-enable`, default off).
    public var signatureMatchEnabled: Bool

    public init(exactMatchEnabled: Bool = true, exactMatchInsertInverseProbability: UInt32 = 100,
                subtableRankingInterval: Int = 1024, signatureMatchEnabled: Bool = false) {
        self.exactMatchEnabled = exactMatchEnabled
        self.exactMatchInsertInverseProbability = exactMatchInsertInverseProbability
        self.subtableRankingInterval = subtableRankingInterval
        self.signatureMatchEnabled = signatureMatchEnabled
    }
}

/// The queue that carries `FlowTableChange`s to one poll thread. Any
/// thread may send; the poll thread drains between batches, and an empty
/// queue costs it one atomic load.
public final class ControlQueue: @unchecked Sendable {
    private let pending = Atomic<Int>(0)
    private let changes = Mutex<[FlowTableChange]>([])

    public init() {}

    /// Queues `change` for the poll thread.
    public func send(_ change: FlowTableChange) {
        changes.withLock { $0.append(change) }
        pending.add(1, ordering: .releasing)
    }

    /// True when changes wait (one atomic load).
    @inlinable public var hasPending: Bool { pendingCount > 0 }

    @usableFromInline var pendingCount: Int { pending.load(ordering: .acquiring) }

    /// Removes and returns every waiting change, oldest first.
    public func drain() -> [FlowTableChange] {
        let taken = changes.withLock { q -> [FlowTableChange] in
            let all = q
            q.removeAll(keepingCapacity: true)
            return all
        }
        pending.subtract(taken.count, ordering: .releasing)
        return taken
    }
}

/// A packet handed to the slow path: a miss, or a `userspace` action.
public struct DatapathUpcall: Sendable {
    public enum Kind: Hashable, Sendable {
        /// No flow matched (`OVS_PACKET_CMD_MISS`).
        case miss
        /// A `userspace` action sent it (`OVS_PACKET_CMD_ACTION`).
        case action
    }
    public var kind: Kind
    /// The frame's bytes.
    public var packet: [UInt8]
    /// The packet's flow key (metadata included).
    public var key: FlowKey
    /// The packet's metadata (in port, recirculation id...).
    public var metadata: PacketMetadata
    /// The `userspace` action's cookie.
    public var userdata: [UInt8]?
    /// The `userspace` action's channel.
    public var pid: UInt32
    /// The tunnel port of egress sampling.
    public var egressTunnelPort: DatapathPort?

    public init(kind: Kind, packet: [UInt8], key: FlowKey, metadata: PacketMetadata,
                userdata: [UInt8]? = nil, pid: UInt32 = 0, egressTunnelPort: DatapathPort? = nil) {
        self.kind = kind
        self.packet = packet
        self.key = key
        self.metadata = metadata
        self.userdata = userdata
        self.pid = pid
        self.egressTunnelPort = egressTunnelPort
    }
}

/// The upcalls waiting between the poll threads and the handlers: one
/// bounded queue per input port, as each vport of the seeds has its own
/// upcall channel, so that a port flooding misses fills only its own queue.
/// Handlers drain the ports round-robin. Enqueueing never blocks: what does
/// not fit is refused and the caller counts it as `lost`.
public final class UpcallQueue: @unchecked Sendable {
    /// Upcalls each port's queue holds at most.
    public let capacity: Int

    private struct PortQueue {
        var items: [DatapathUpcall] = []
        var head = 0
        var count: Int { items.count - head }

        mutating func removeFirst() -> DatapathUpcall {
            let item = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }
    private struct State {
        /// One queue per port, in the order ports first sent an upcall
        /// (the round-robin order); `slot` finds a port's queue.
        var queues: [PortQueue] = []
        var slot: [DatapathPort: Int] = [:]
        /// Index in `queues` of the queue served next.
        var next = 0
        var total = 0

        mutating func slot(for port: DatapathPort) -> Int {
            if let i = slot[port] { return i }
            queues.append(PortQueue())
            slot[port] = queues.count - 1
            return queues.count - 1
        }
    }
    private let state = Mutex(State())
    /// Handlers sleeping in `waitForUpcalls`, and what wakes them.
    private let waiters = Atomic<Int>(0)
    private let arrival = DispatchSemaphore(value: 0)

    /// A queue that holds up to `capacity` upcalls per input port.
    public init(capacity: Int = 4096) { self.capacity = max(1, capacity) }

    /// Upcalls waiting, over all ports.
    public var count: Int { state.withLock { $0.total } }

    /// Upcalls waiting from `port`.
    public func count(from port: DatapathPort) -> Int {
        state.withLock { s in s.slot[port].map { s.queues[$0].count } ?? 0 }
    }

    /// Queues each of `upcalls` on its input port's queue if that has room,
    /// and empties the array. Returns how many were queued.
    @discardableResult
    public func enqueue(_ upcalls: inout [DatapathUpcall]) -> Int {
        let capacity = self.capacity
        let accepted = state.withLock { s -> Int in
            var n = 0
            var lastPort = DatapathPort.none
            var i = -1
            for upcall in upcalls {
                let port = upcall.metadata.inPort
                if port != lastPort || i < 0 {
                    i = s.slot(for: port)
                    lastPort = port
                }
                guard s.queues[i].count < capacity else { continue }
                s.queues[i].items.append(upcall)
                n += 1
            }
            s.total += n
            return n
        }
        upcalls.removeAll(keepingCapacity: true)
        if accepted > 0 && waiters.load(ordering: .sequentiallyConsistent) > 0 { arrival.signal() }
        return accepted
    }

    /// Waits until an upcall is queued or `timeoutMilliseconds` pass (a
    /// handler with nothing to do calls it, so the first packet of a flow
    /// wakes it at once). May return early; callers loop.
    public func waitForUpcalls(timeoutMilliseconds: Int) {
        waiters.add(1, ordering: .sequentiallyConsistent)
        defer { waiters.subtract(1, ordering: .sequentiallyConsistent) }
        if count > 0 { return }
        _ = arrival.wait(timeout: .now() + .milliseconds(timeoutMilliseconds))
    }

    /// Removes and returns up to `maxCount` upcalls, one port at a time in
    /// turn; each port's upcalls come oldest first.
    public func dequeue(maxCount: Int = .max) -> [DatapathUpcall] {
        state.withLock { s in
            var out: [DatapathUpcall] = []
            out.reserveCapacity(min(maxCount, s.total))
            while out.count < maxCount, s.total > 0 {
                let i = s.next
                s.next = (s.next + 1) % s.queues.count
                guard s.queues[i].count > 0 else { continue }
                out.append(s.queues[i].removeFirst())
                s.total -= 1
            }
            return out
        }
    }
}

/// Counters of one poll thread (OVS's `pmd-stats-show`). Each thread keeps
/// its own; readers add them up.
public struct PollThreadStats: Hashable, Sendable {
    /// Packets processed (received and recirculated).
    public var packets: UInt64 = 0
    /// Packets received from ports (recirculations excluded).
    public var receivedPackets: UInt64 = 0
    /// Packets recirculated.
    public var recirculations: UInt64 = 0
    public var exactMatchHits: UInt64 = 0
    /// Signature-match cache hits.
    public var signatureMatchHits: UInt64 = 0
    public var megaflowHits: UInt64 = 0
    /// Packets that matched no flow.
    public var misses: UInt64 = 0
    /// Misses the upcall queue refused.
    public var lost: UInt64 = 0
    /// Subtables looked up by packets the classifier matched (for
    /// `masks: hit:`; divided by hits, the average lookups per hit).
    public var subtableLookups: UInt64 = 0
    /// Batches processed.
    public var batches: UInt64 = 0
    /// Time spent processing batches.
    public var busyNanoseconds: UInt64 = 0
    /// Dropped packets by reason.
    public var drops = DropCounters()

    public init() {}

    /// Hits of every cache tier.
    public var hits: UInt64 { exactMatchHits &+ signatureMatchHits &+ megaflowHits }

    public static func += (a: inout PollThreadStats, b: PollThreadStats) {
        a.packets &+= b.packets
        a.receivedPackets &+= b.receivedPackets
        a.recirculations &+= b.recirculations
        a.exactMatchHits &+= b.exactMatchHits
        a.signatureMatchHits &+= b.signatureMatchHits
        a.megaflowHits &+= b.megaflowHits
        a.misses &+= b.misses
        a.lost &+= b.lost
        a.subtableLookups &+= b.subtableLookups
        a.batches &+= b.batches
        a.busyNanoseconds &+= b.busyNanoseconds
        a.drops += b.drops
    }
}
