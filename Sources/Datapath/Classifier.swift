import Flow

/// The flows of one mask: a hash table keyed by the masked key (OVS's
/// `dpcls_subtable`). Only the mask's non-zero words are stored, hashed
/// and compared, like OVS's miniflows: a mask on in_port, eth_type and
/// the IPv4 destination touches three words of 58.
public final class Subtable {
    public let mask: FlowMask
    /// Words the mask keeps.
    public let wordCount: Int
    /// For each kept word `j`: its index, its mask, its hash constant
    /// (`3 * wordCount` words in one allocation: one or two cache lines).
    @usableFromInline let descriptor: UnsafeMutablePointer<UInt64>

    @exclusivity(unchecked) @usableFromInline var capacity: Int
    /// Flows in the subtable.
    public private(set) var count = 0
    @usableFromInline var tombstones = 0
    /// Two words per bucket: the hash, then the slot (`empty`, `tombstone`
    /// or a flow), so a probe reads one cache line.
    @exclusivity(unchecked) @usableFromInline var buckets: UnsafeMutablePointer<UInt64>
    /// `capacity * wordCount` words: each bucket's masked key, compacted.
    @exclusivity(unchecked) @usableFromInline var keys: UnsafeMutablePointer<UInt64>
    /// Packets this subtable matched since the last ranking.
    @exclusivity(unchecked) public internal(set) var hits: UInt64 = 0

    @usableFromInline static var empty: FlowSlot { .max }
    @usableFromInline static var tombstone: FlowSlot { .max - 1 }

    @inlinable @inline(__always) func slot(_ i: Int) -> FlowSlot { FlowSlot(truncatingIfNeeded: buckets[i &* 2 &+ 1]) }
    @inlinable @inline(__always) func bucketHash(_ i: Int) -> UInt64 { buckets[i &* 2] }
    @inline(__always) func setBucket(_ i: Int, hash: UInt64, slot: FlowSlot) {
        buckets[i * 2] = hash
        buckets[i * 2 + 1] = UInt64(slot)
    }
    @inline(__always) func setSlot(_ i: Int, _ slot: FlowSlot) { buckets[i * 2 + 1] = UInt64(slot) }

    static func makeBuckets(_ capacity: Int) -> UnsafeMutablePointer<UInt64> {
        let b = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        for i in 0..<capacity {
            b[2 * i] = 0
            b[2 * i + 1] = UInt64(empty)
        }
        return b
    }

    init(mask: FlowMask) {
        self.mask = mask
        var idx: [Int] = []
        for i in 0..<FlowKey.wordCount where mask.words[i] != 0 { idx.append(i) }
        wordCount = idx.count
        descriptor = .allocate(capacity: max(3, 3 * idx.count))
        for (j, i) in idx.enumerated() {
            descriptor[3 * j] = UInt64(i)
            descriptor[3 * j + 1] = mask.words[i]
            // Odd per-word constants (splitmix64 of the word index).
            var z = UInt64(i &+ 1) &* 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            descriptor[3 * j + 2] = (z ^ (z >> 27)) | 1
        }
        capacity = 8
        buckets = Self.makeBuckets(capacity)
        keys = .allocate(capacity: capacity * max(1, wordCount))
    }

    deinit {
        descriptor.deallocate()
        buckets.deallocate()
        keys.deallocate()
    }

    /// The hash of `key`'s bits under the mask. Products of independent
    /// words are summed (they run in parallel), then mixed.
    @inlinable @inline(__always)
    func hash(_ key: KeyWords) -> UInt64 {
        var s: UInt64 = 0
        for j in 0..<wordCount {
            let d = descriptor + j &* 3
            let w = key[Int(truncatingIfNeeded: d[0])] & d[1]
            let c = d[2]
            s = s &+ UInt64(UInt32(truncatingIfNeeded: w) &+ UInt32(truncatingIfNeeded: c))
                &* UInt64(UInt32(truncatingIfNeeded: w >> 32) &+ UInt32(truncatingIfNeeded: c >> 32))
        }
        s = (s ^ (s >> 32)) &* 0x9e37_79b9_7f4a_7c15
        return s ^ (s >> 29)
    }

    /// The flow whose masked key equals `key` under the mask, or `.none`.
    @inlinable @inline(__always)
    func lookup(_ key: KeyWords) -> FlowSlot { lookup(key, hash: hash(key)) }

    /// The packets of `pending` this subtable matches: hashes first (and a
    /// load of each first bucket, so cache misses overlap), then probes.
    /// Writes matches to `results`; returns their bits.
    @inlinable @inline(__always)
    func lookup(_ keys: UnsafePointer<FlowKey>, pending: UInt32, hashes: UnsafeMutablePointer<UInt64>,
                results: UnsafeMutablePointer<FlowSlot>) -> UInt32 {
        let m = capacity &- 1
        var bits = pending
        var allEmpty: FlowSlot = .max
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            let h = hash(keyWords(keys + i))
            hashes[i] = h
            allEmpty &= slot(Int(truncatingIfNeeded: h) & m)
        }
        if allEmpty == Self.empty { return 0 }      // every first bucket empty: nothing here
        var found: UInt32 = 0
        bits = pending
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            let slot = lookup(keyWords(keys + i), hash: hashes[i])
            if slot != .none {
                results[i] = slot
                found |= 1 << UInt32(i)
            }
        }
        return found
    }

    /// The flow whose masked key (hash `h`) equals `key` under the mask.
    @inlinable @inline(__always)
    func lookup(_ key: KeyWords, hash h: UInt64) -> FlowSlot {
        let m = capacity &- 1
        var i = Int(truncatingIfNeeded: h) & m
        while true {
            let s = slot(i)
            if s == Self.empty { return .none }
            if s != Self.tombstone, bucketHash(i) == h {
                let stored = keys + i &* wordCount
                var d: UInt64 = 0
                for j in 0..<wordCount {
                    let x = descriptor + j &* 3
                    d |= stored[j] ^ (key[Int(truncatingIfNeeded: x[0])] & x[1])
                }
                if d == 0 { return s }
            }
            i = (i &+ 1) & m
        }
    }

    /// Adds `slot` for the masked key `key` (not already present).
    func insert(_ key: KeyWords, slot: FlowSlot) {
        // Load at most 1/4: a lookup that misses (most do: a packet matches
        // one subtable of many) stops at an empty bucket sooner.
        if (count + tombstones + 1) * 4 > capacity { rehash(to: (count + 1) * 8 > capacity ? capacity * 2 : capacity) }
        let h = hash(key)
        let m = capacity - 1
        var i = Int(truncatingIfNeeded: h) & m
        while self.slot(i) != Self.empty && self.slot(i) != Self.tombstone { i = (i + 1) & m }
        if self.slot(i) == Self.tombstone { tombstones -= 1 }
        setBucket(i, hash: h, slot: slot)
        let stored = keys + i * wordCount
        for j in 0..<wordCount { stored[j] = key[Int(descriptor[3 * j])] & descriptor[3 * j + 1] }
        count += 1
    }

    /// Removes `slot`, whose masked key is `key`. Returns false if absent.
    @discardableResult
    func remove(_ key: KeyWords, slot: FlowSlot) -> Bool {
        let h = hash(key)
        let m = capacity - 1
        var i = Int(truncatingIfNeeded: h) & m
        while self.slot(i) != Self.empty {
            if self.slot(i) == slot {
                setSlot(i, Self.tombstone)
                tombstones += 1
                count -= 1
                return true
            }
            i = (i + 1) & m
        }
        return false
    }

    private func rehash(to newCapacity: Int) {
        let oldCapacity = capacity, oldBuckets = buckets, oldKeys = keys
        capacity = newCapacity
        buckets = Self.makeBuckets(capacity)
        keys = .allocate(capacity: capacity * max(1, wordCount))
        let m = capacity - 1
        for o in 0..<oldCapacity {
            let s = FlowSlot(truncatingIfNeeded: oldBuckets[2 * o + 1])
            guard s != Self.empty && s != Self.tombstone else { continue }
            var i = Int(truncatingIfNeeded: oldBuckets[2 * o]) & m
            while slot(i) != Self.empty { i = (i + 1) & m }
            setBucket(i, hash: oldBuckets[2 * o], slot: s)
            (keys + i * wordCount).update(from: oldKeys + o * wordCount, count: wordCount)
        }
        tombstones = 0
        oldBuckets.deallocate()
        oldKeys.deallocate()
    }
}

/// The megaflow classifier (OVS's `dpcls`): tuple space search over one
/// `Subtable` per distinct mask. Subtables are searched in rank order
/// (most hits first, re-ranked periodically); flows installed by a correct
/// slow path do not overlap, so the first match is the only one.
///
/// Owned by one poll thread. Not thread-safe.
public final class MegaflowClassifier {
    /// Subtables in search order.
    public private(set) var subtables: [Subtable] = []
    private var byMask: [FlowMask: Subtable] = [:]
    /// Subtables in search order as unowned references (no reference
    /// counting when the per-packet loop walks them).
    @exclusivity(unchecked) @usableFromInline var ranked: UnsafeMutablePointer<Unmanaged<Subtable>>
    @exclusivity(unchecked) @usableFromInline var rankedCount = 0
    private var rankedCapacity = 16

    /// Per-packet hashes of the subtable being searched.
    @usableFromInline let hashScratch: UnsafeMutablePointer<UInt64>

    public init() {
        ranked = .allocate(capacity: rankedCapacity)
        hashScratch = .allocate(capacity: 32)
        hashScratch.initialize(repeating: 0, count: 32)
    }

    deinit {
        ranked.deallocate()
        hashScratch.deallocate()
    }

    /// Subtables (distinct masks).
    public var maskCount: Int { subtables.count }
    /// Flows in every subtable.
    public var flowCount: Int { subtables.reduce(0) { $0 + $1.count } }

    /// Adds `slot` for `key` (already masked) under `mask`.
    @discardableResult
    func insert(key: UnsafePointer<FlowKey>, mask: FlowMask, slot: FlowSlot) -> Subtable {
        let table: Subtable
        if let t = byMask[mask] {
            table = t
        } else {
            table = Subtable(mask: mask)
            byMask[mask] = table
            subtables.append(table)
            publishRanking()
        }
        table.insert(keyWords(key), slot: slot)
        return table
    }

    /// Removes `slot` (masked key `key`, mask `mask`); an emptied subtable goes.
    func remove(key: UnsafePointer<FlowKey>, mask: FlowMask, slot: FlowSlot) {
        guard let table = byMask[mask] else { return }
        table.remove(keyWords(key), slot: slot)
        if table.count == 0 {
            byMask[mask] = nil
            subtables.removeAll { $0 === table }
            publishRanking()
        }
    }

    /// Forgets every flow and subtable.
    func removeAll() {
        byMask = [:]
        subtables = []
        publishRanking()
    }

    /// Sorts the subtables by hits since the last ranking, most first, and
    /// resets the hit counts (`dpcls_sort_subtable_vector`).
    public func rank() {
        subtables.sort { $0.hits > $1.hits }
        for t in subtables { t.hits = 0 }
        publishRanking()
    }

    private func publishRanking() {
        if subtables.count > rankedCapacity {
            ranked.deallocate()
            rankedCapacity = max(subtables.count, rankedCapacity * 2)
            ranked = .allocate(capacity: rankedCapacity)
        }
        for (i, t) in subtables.enumerated() { ranked[i] = Unmanaged.passUnretained(t) }
        rankedCount = subtables.count
    }

    /// Looks up the packets whose bit is set in `pending` (keys in `keys`),
    /// writing matches to `results` and clearing their bits. Returns the
    /// subtables visited by packets that matched (for `masks: hit:`).
    @inline(__always)
    func lookup(_ keys: UnsafePointer<FlowKey>, pending: inout UInt32,
                results: UnsafeMutablePointer<FlowSlot>) -> UInt64 {
        var lookups: UInt64 = 0
        var visited: UInt64 = 0
        var t = 0
        while t < rankedCount && pending != 0 {
            visited &+= 1
            let table = ranked[t]
            var found: UInt64 = 0
            table._withUnsafeGuaranteedRef { table in
                let hit = table.lookup(keys, pending: pending, hashes: hashScratch, results: results)
                pending &= ~hit
                found = UInt64(hit.nonzeroBitCount)
                table.hits &+= found
            }
            lookups &+= found &* visited
            t &+= 1
        }
        return lookups
    }

    /// The flow `key` matches, by a single lookup (for tests and the slow path).
    public func lookup(_ key: borrowing FlowKey) -> FlowSlot? {
        var copy = copy key
        return withUnsafePointer(to: &copy) { p in
            var pending: UInt32 = 1
            var result = FlowSlot.none
            _ = lookup(p, pending: &pending, results: &result)
            return result == .none ? nil : result
        }
    }
}
