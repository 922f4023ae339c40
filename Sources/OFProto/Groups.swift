import Datapath
import Flow
import Synchronization

// OpenFlow groups (OVS's ofproto groups and `xlate_group_action`): each
// bridge has a group table; translation runs a group's buckets like action
// sets, each on a copy of the flow.

/// An OpenFlow group type (`OFPGT11_*`).
public enum OFGroupType: UInt8, Sendable, Hashable {
    /// Every bucket runs (multicast).
    case all = 0
    /// One bucket, chosen by a hash of the flow and the bucket weights.
    case select = 1
    /// The single bucket runs.
    case indirect = 2
    /// The first live bucket runs.
    case fastFailover = 3
}

/// One bucket of a group: an action set with its weight and liveness watches.
public struct OFGroupBucket: Sendable, Hashable {
    /// `OFPG_ANY`: no group watched.
    public static let noGroup: UInt32 = 0xffff_ffff
    /// The bucket's id (OpenFlow 1.5; OpenFlow 1.1-1.4 number them from 0).
    public var id: UInt32
    /// The weight in a select group (0: never chosen).
    public var weight: UInt16
    /// The port whose liveness the bucket follows (`.any`: none).
    public var watchPort: OFPort
    /// The group whose liveness the bucket follows (`noGroup`: none).
    public var watchGroup: UInt32
    /// The bucket's actions (an action set).
    public var actions: [OFAction]

    public init(id: UInt32, weight: UInt16 = 0, watchPort: OFPort = .any, watchGroup: UInt32 = noGroup,
                actions: [OFAction]) {
        self.id = id
        self.weight = weight
        self.watchPort = watchPort
        self.watchGroup = watchGroup
        self.actions = actions
    }

    /// True if the bucket watches a port or a group (`ofputil_bucket_has_liveness`).
    public var hasLiveness: Bool { watchPort != .any || watchGroup != Self.noGroup }
}

/// A field a `selection_method=hash` select group hashes, with the mask
/// of the bits that count.
public struct OFGroupHashField: Sendable, Hashable {
    public var field: OFField
    public var mask: UInt128
    public init(field: OFField, mask: UInt128) {
        self.field = field
        self.mask = mask
    }
}

/// A group as a controller configured it.
public struct OFGroup: Sendable, Hashable {
    /// `OFPG_MAX`: the highest group id a controller may use.
    public static let maxID: UInt32 = 0xffff_ff00
    /// `OFPG_ALL`: every group (delete, stats requests).
    public static let allID: UInt32 = 0xffff_fffc
    /// `OFPG_ANY`.
    public static let anyID: UInt32 = 0xffff_ffff

    public var id: UInt32
    public var type: OFGroupType
    public var buckets: [OFGroupBucket]
    /// The OpenFlow 1.5 group properties as received (the NTR selection
    /// method), given back as they came.
    public var properties: [UInt8]
    /// The NTR selection method (`""`: Open vSwitch's default), its
    /// parameter (the hash basis) and, for `hash`, the fields hashed.
    public var selectionMethod: String
    public var selectionParameter: UInt64
    public var hashFields: [OFGroupHashField]

    public init(id: UInt32, type: OFGroupType, buckets: [OFGroupBucket], properties: [UInt8] = [],
                selectionMethod: String = "", selectionParameter: UInt64 = 0, hashFields: [OFGroupHashField] = []) {
        self.id = id
        self.type = type
        self.buckets = buckets
        self.properties = properties
        self.selectionMethod = selectionMethod
        self.selectionParameter = selectionParameter
        self.hashFields = hashFields
    }
}

/// The packet and byte counters of a group and of each of its buckets,
/// credited by translation of real packets and by the revalidator.
public final class OFGroupCounters: @unchecked Sendable {
    private let state: Mutex<(packets: UInt64, bytes: UInt64, buckets: [(packets: UInt64, bytes: UInt64)])>

    init(buckets: Int) {
        state = Mutex((0, 0, Array(repeating: (0, 0), count: buckets)))
    }

    /// Adds traffic to the group and to bucket `bucket` (nil: every bucket,
    /// as an `all` group sends a copy through each).
    public func account(packets: UInt64, bytes: UInt64, bucket: Int?) {
        state.withLock { s in
            s.packets &+= packets
            s.bytes &+= bytes
            if let b = bucket {
                if b >= 0 && b < s.buckets.count {
                    s.buckets[b].packets &+= packets
                    s.buckets[b].bytes &+= bytes
                }
            } else {
                for i in s.buckets.indices {
                    s.buckets[i].packets &+= packets
                    s.buckets[i].bytes &+= bytes
                }
            }
        }
    }

    /// The counters now.
    public var snapshot: (packets: UInt64, bytes: UInt64, buckets: [(packets: UInt64, bytes: UInt64)]) {
        state.withLock { $0 }
    }
}

/// A group of the table with its counters and creation time.
public struct OFGroupEntry: Sendable {
    public var group: OFGroup
    public let counters: OFGroupCounters
    /// When the group was added (`OFProtoBridge.now()`).
    public var created: Duration
}

/// A group (and bucket) a translation went through, to credit with the
/// flow's traffic (OVS's `XC_GROUP` cache entry).
public struct OFGroupHit: Sendable {
    let counters: OFGroupCounters
    /// The bucket's index; nil for every bucket (`all`, `indirect`).
    let bucket: Int?
    func account(packets: UInt64, bytes: UInt64) { counters.account(packets: packets, bytes: bytes, bucket: bucket) }
}

/// Why a group-mod failed (the `OFPGMFC_*` errors).
public enum OFGroupModError: Error, Sendable, Hashable {
    case groupExists, invalidGroup, unknownGroup, unknownBucket, bucketExists, badBucket
}

/// One bridge's group table. Changes take a lock; translation reads a
/// group at a time.
public final class OFGroupTable: @unchecked Sendable {
    private let state = Mutex<[UInt32: OFGroupEntry]>([:])
    /// Bumped on every change, so the slow path revalidates its flows.
    public let generation = Atomic<UInt64>(0)

    public init() {}

    /// The group `id`, if any.
    public func group(_ id: UInt32) -> OFGroupEntry? { state.withLock { $0[id] } }
    /// Every group, by id.
    public var all: [OFGroupEntry] { state.withLock { Array($0.values) }.sorted { $0.group.id < $1.group.id } }
    /// True if group `id` exists.
    public func contains(_ id: UInt32) -> Bool { state.withLock { $0[id] != nil } }

    private func changed() {
        generation.add(1, ordering: .releasing)
        bridgeConfigGeneration.add(1, ordering: .releasing)
    }

    /// The whole table as it is now, for `restore` (a bundle whose commit
    /// fails puts its group changes back).
    public struct Snapshot: Sendable {
        fileprivate let entries: [UInt32: OFGroupEntry]
    }

    public func snapshot() -> Snapshot { Snapshot(entries: state.withLock { $0 }) }

    /// Puts the table back as `snapshot` had it.
    public func restore(_ snapshot: Snapshot) {
        state.withLock { $0 = snapshot.entries }
        changed()
    }

    /// `OFPGC11_ADD`.
    public func add(_ g: OFGroup, now: Duration) throws(OFGroupModError) {
        guard g.id <= OFGroup.maxID else { throw .invalidGroup }
        try state.withLock { (t) throws(OFGroupModError) in
            guard t[g.id] == nil else { throw .groupExists }
            t[g.id] = OFGroupEntry(group: g, counters: OFGroupCounters(buckets: g.buckets.count), created: now)
        }
        changed()
    }

    /// `OFPGC11_MODIFY` (or `OFPGC11_ADD_OR_MOD` with `mayCreate`): the
    /// group gets the new type and buckets, and fresh counters.
    public func modify(_ g: OFGroup, mayCreate: Bool, now: Duration) throws(OFGroupModError) {
        guard g.id <= OFGroup.maxID else { throw .invalidGroup }
        try state.withLock { (t) throws(OFGroupModError) in
            guard let old = t[g.id] else {
                guard mayCreate else { throw .unknownGroup }
                t[g.id] = OFGroupEntry(group: g, counters: OFGroupCounters(buckets: g.buckets.count), created: now)
                return
            }
            t[g.id] = OFGroupEntry(group: g, counters: OFGroupCounters(buckets: g.buckets.count), created: old.created)
        }
        changed()
    }

    /// `OFPGC15_INSERT_BUCKET`: `buckets` go before bucket `before`
    /// (`OFPG15_BUCKET_FIRST` 0xfffffffd, `..._LAST` 0xfffffffe, or an id).
    public func insertBuckets(group id: UInt32, _ buckets: [OFGroupBucket], before: UInt32) throws(OFGroupModError) {
        try state.withLock { (t) throws(OFGroupModError) in
            guard var e = t[id] else { throw .unknownGroup }
            var list = e.group.buckets
            if buckets.contains(where: { b in list.contains { $0.id == b.id } }) { throw .bucketExists }
            var at = list.count
            if before == 0xffff_fffd {
                at = 0
            } else if before != 0xffff_fffe {
                guard let i = list.firstIndex(where: { $0.id == before }) else { throw .unknownBucket }
                at = i
            }
            list.insert(contentsOf: buckets, at: at)
            e.group.buckets = list
            t[id] = OFGroupEntry(group: e.group, counters: OFGroupCounters(buckets: list.count), created: e.created)
        }
        changed()
    }

    /// `OFPGC15_REMOVE_BUCKET`: bucket `bucket` (or every bucket for
    /// `OFPG15_BUCKET_ALL`, the first or last for FIRST/LAST).
    public func removeBuckets(group id: UInt32, bucket: UInt32) throws(OFGroupModError) {
        try state.withLock { (t) throws(OFGroupModError) in
            guard var e = t[id] else { throw .unknownGroup }
            switch bucket {
            case 0xffff_ffff: e.group.buckets = []
            case 0xffff_fffd: if !e.group.buckets.isEmpty { e.group.buckets.removeFirst() }
            case 0xffff_fffe: if !e.group.buckets.isEmpty { e.group.buckets.removeLast() }
            default:
                guard let i = e.group.buckets.firstIndex(where: { $0.id == bucket }) else { throw .unknownBucket }
                e.group.buckets.remove(at: i)
            }
            t[id] = OFGroupEntry(group: e.group, counters: OFGroupCounters(buckets: e.group.buckets.count),
                                 created: e.created)
        }
        changed()
    }

    /// `OFPGC11_DELETE` of group `id` (`OFGroup.allID`: every group).
    /// Returns the ids deleted; deleting a missing group is no error.
    @discardableResult
    public func delete(_ id: UInt32) -> [UInt32] {
        let gone = state.withLock { t -> [UInt32] in
            if id == OFGroup.allID {
                defer { t = [:] }
                return Array(t.keys)
            }
            return t.removeValue(forKey: id) != nil ? [id] : []
        }
        if !gone.isEmpty { changed() }
        return gone
    }
}

// MARK: Translation

/// OVS's hash functions, as the select group's default method uses them.
enum GroupHash {
    // The murmur steps are the datapath's (`dp_hash` uses them too).
    static func add(_ hash: UInt32, _ data: UInt32) -> UInt32 { MurmurHash.add(hash, data) }
    static func add64(_ hash: UInt32, _ data: UInt64) -> UInt32 { MurmurHash.add64(hash, data) }
    static func finish(_ hash: UInt32, _ final: UInt32) -> UInt32 { MurmurHash.finish(hash, final) }

    /// `hash_bytes` (words read little-endian, the tail zero padded).
    static func bytes(_ b: [UInt8], basis: UInt32) -> UInt32 {
        var h = basis
        var i = 0
        while i < b.count {
            var w: UInt32 = 0
            for k in 0..<4 where i + k < b.count { w |= UInt32(b[i + k]) << (8 * UInt32(k)) }
            h = add(h, w)
            i += 4
        }
        return finish(h, UInt32(truncatingIfNeeded: b.count))
    }

    /// `hash_int`.
    static func int(_ x: UInt32, basis: UInt32) -> UInt32 { finish(add(add(x, 0), basis), 8) }

    /// `jhash_bytes` (multipath's and bundle's too).
    static func jhash(_ bytes: [UInt8], basis: UInt32) -> UInt32 { OVSHash.jhash(bytes, basis: basis) }

    /// `flow_hash_symmetric_l4(flow, basis)`: the same value for both
    /// directions of a connection. The bytes are OVS's `fields` struct as
    /// it lies in memory (network-order values).
    static func symmetricL4(_ f: FlowKey, basis: UInt32) -> UInt32 {
        var s = [UInt8](repeating: 0, count: 32)
        func put(_ v: UInt64, at: Int, bytes: Int) {
            for i in 0..<bytes { s[at + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * (bytes - 1 - i))) }
        }
        put(f[.ethSource] ^ f[.ethDestination], at: 22, bytes: 6)
        put((f[.vlan0TCI] ^ f[.vlan1TCI]) & 0x0fff, at: 18, bytes: 2)
        let type = f[.ethType]
        put(type, at: 16, bytes: 2)
        if type == 0x0800 || type == 0x86dd {
            if type == 0x0800 {
                put(f[.ipv4Source] ^ f[.ipv4Destination], at: 0, bytes: 4)
            } else {
                put(f[.ipv6SourceHigh] ^ f[.ipv6DestinationHigh], at: 0, bytes: 8)
                put(f[.ipv6SourceLow] ^ f[.ipv6DestinationLow], at: 8, bytes: 8)
            }
            let proto = f[.networkProtocol]
            s[28] = UInt8(truncatingIfNeeded: proto)
            if proto == 6 || proto == 132 {
                put(f[.transportSource] ^ f[.transportDestination], at: 20, bytes: 2)
            }
        }
        return jhash(s, basis: basis)
    }
}

/// How deep bucket liveness may follow watched groups (`MAX_LIVENESS_RECURSION`).
let maxLivenessRecursion = 128

extension XlateContext {
    /// `xlate_group_action`: runs group `id`; returns false if the group
    /// does not exist (the action list stops there, as in OVS).
    mutating func groupAction(_ id: UInt32, isLast: Bool) -> Bool {
        guard resourceCheck() else { return true }
        guard let entry = bridge.groups.group(id) else {
            report(.warn, "output to nonexistent group \(id)")
            return false
        }
        let g = entry.group
        switch g.type {
        case .all, .indirect:
            for (i, b) in g.buckets.enumerated() {
                groupBucket(b, isLast: isLast && i == g.buckets.count - 1)
            }
            groupHits.append(OFGroupHit(counters: entry.counters, bucket: nil))
        case .select, .fastFailover:
            let chosen = g.type == .fastFailover ? firstLiveBucket(g, depth: 0)
                : g.selectionMethod == "hash" && !g.hashFields.isEmpty ? hashFieldsBucket(g) : selectBucket(g)
            if let i = chosen {
                report(.detail, "using bucket \(g.buckets[i].id)")
                groupBucket(g.buckets[i], isLast: isLast)
                groupHits.append(OFGroupHit(counters: entry.counters, bucket: i))
            } else {
                report(.detail, "no live bucket")
            }
        }
        return true
    }

    /// `xlate_group_bucket`: the bucket's action set on the flow, which is
    /// then restored (each bucket sees the packet as the group got it).
    mutating func groupBucket(_ b: OFGroupBucket, isLast: Bool) {
        let oldTrace = trace
        if tracing { trace = report(.bucket, "bucket \(b.id)") }
        let oldFlow = flow
        depth += 1
        doActions(Self.bucketActionList(b.actions), isLast: isLast)
        depth -= 1
        flow = oldFlow
        // Limits stay errors; a bucket's own failure does not stop the others.
        if error == .tooManyMPLSLabels { error = nil }
        exit = false
        trace = oldTrace
    }

    /// `ofpacts_execute_action_set`: a bucket's actions in action-set
    /// order, the last of each kind (every set-field and move); nothing
    /// if the bucket neither outputs, goes to a group, resubmits nor
    /// runs conntrack.
    static func bucketActionList(_ acts: [OFAction]) -> [OFAction] {
        var list: [OFAction] = []
        @discardableResult
        func copyLast(_ test: (OFAction) -> Bool) -> Bool {
            guard let a = acts.last(where: test) else { return false }
            list.append(a)
            return true
        }
        copyLast { if case .stripVLAN = $0 { true } else { false } }
        copyLast { if case .popMPLS = $0 { true } else { false } }
        copyLast { if case .pushMPLS = $0 { true } else { false } }
        copyLast { if case .pushVLAN = $0 { true } else { false } }
        copyLast { if case .decrementTTL = $0 { true } else { false } }
        copyLast { if case .decrementMPLSTTL = $0 { true } else { false } }
        copyLast { if case .decrementNSHTTL = $0 { true } else { false } }
        for a in acts where OFActionSet.rank(a) == 5 { list.append(a) }
        copyLast { if case .setQueue = $0 { true } else { false } }
        if !copyLast({ if case .group = $0 { true } else { false } })
            && !copyLast({ if case .output = $0 { true } else { false } })
            && !copyLast({ if case .resubmit = $0 { true } else { false } })
            && !copyLast({ if case .conntrack = $0 { true } else { false } }) {
            return []
        }
        return list
    }

    /// `pick_default_select_group`: the live bucket with the best score,
    /// hashing the flow's symmetric L4 fields (which the megaflow then matches).
    mutating func selectBucket(_ g: OFGroup) -> Int? {
        // flow_mask_hash_fields(NX_HASH_FIELDS_SYMMETRIC_L4)
        wc.setExact(.ethSource)
        wc.setExact(.ethDestination)
        let type = flow[.ethType]
        if type == 0x0800 {
            wc.setExact(.ipv4Source); wc.setExact(.ipv4Destination)
        } else if type == 0x86dd {
            wc.setExactPair(.ipv6SourceHigh); wc.setExactPair(.ipv6DestinationHigh)
        }
        if flow.isIPAny {
            wc.setExact(.networkProtocol)
            let proto = flow[.networkProtocol]
            if proto != 17 {
                if proto != 1 {
                    wc.setExact(.transportSource); wc.setExact(.transportDestination)
                } else {
                    wc[.transportSource] |= 0xff; wc[.transportDestination] |= 0xff
                }
            }
        }
        wc[.vlan0TCI] |= 0x1fff
        wc[.vlan1TCI] |= 0x1fff
        return bestLiveBucket(g, basis: GroupHash.symmetricL4(flow, basis: 0))
    }

    /// `pick_hash_fields_select_group` (`selection_method=hash`): the
    /// masked fields, in Open vSwitch's field order, hashed from the
    /// selection parameter; fields whose prerequisites fail are left out.
    mutating func hashFieldsBucket(_ g: OFGroup) -> Int? {
        var basis = GroupHash.finish(GroupHash.add64(0, g.selectionParameter), 8)
        for hf in g.hashFields.sorted(by: { $0.field.id < $1.field.id }) {
            let f = hf.field
            guard prerequisites(f) else { continue }
            let v = f.value(in: flow) & hf.mask
            var bytes = [UInt8](repeating: 0, count: f.bytes)
            for i in 0..<f.bytes where i < 16 { bytes[f.bytes - 1 - i] = UInt8(truncatingIfNeeded: v >> UInt128(8 * i)) }
            basis = GroupHash.bytes(bytes, basis: basis)
            var m = FlowKey(words: wc.words)
            f.write(.max, mask: hf.mask, into: &m)
            wc.words = m.words
        }
        return bestLiveBucket(g, basis: basis)
    }

    /// `group_best_live_bucket`: the live bucket scoring highest.
    mutating func bestLiveBucket(_ g: OFGroup, basis: UInt32) -> Int? {
        var best: Int? = nil
        var bestScore: UInt32 = 0
        for (i, b) in g.buckets.enumerated() {
            if bucketIsAlive(b, in: g, depth: 0) {
                let score = (GroupHash.int(b.id, basis: basis) & 0xffff) &* UInt32(b.weight)
                if score >= bestScore {
                    best = i
                    bestScore = score
                }
                report(.detail, "bucket \(b.id): score \(score)")
            } else {
                reportBucketNotLive(b)
            }
        }
        return best
    }

    /// `group_first_live_bucket`.
    mutating func firstLiveBucket(_ g: OFGroup, depth: Int) -> Int? {
        for (i, b) in g.buckets.enumerated() {
            if bucketIsAlive(b, in: g, depth: depth) { return i }
            reportBucketNotLive(b)
        }
        return nil
    }

    /// `bucket_is_alive`.
    mutating func bucketIsAlive(_ b: OFGroupBucket, in g: OFGroup, depth: Int) -> Bool {
        if depth >= maxLivenessRecursion {
            report(.error, "bucket chaining exceeded \(maxLivenessRecursion) links")
            return false
        }
        if g.type == .select && b.weight == 0 { return false }
        if !b.hasLiveness { return true }
        if b.watchPort != .any && b.watchPort != .controller, let p = config.port(b.watchPort), p.isLive {
            return true
        }
        if b.watchGroup != OFGroupBucket.noGroup, let w = bridge.groups.group(b.watchGroup),
           firstLiveBucket(w.group, depth: depth + 1) != nil {
            return true
        }
        return false
    }

    mutating func reportBucketNotLive(_ b: OFGroupBucket) {
        guard tracing else { return }
        var s = ""
        if b.watchPort != .any { s = "port " + PortText.format(b.watchPort) }
        if b.watchGroup != OFGroupBucket.noGroup {
            // Open vSwitch 3.1 words a watched group this way.
            if !s.isEmpty { s += " and " }
            s += "port \(b.watchGroup)"
        }
        report(.detail, "bucket \(b.id): not live due to \(s)")
    }
}
