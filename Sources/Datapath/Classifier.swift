import Flow

/// The flows of one mask: a hash table keyed by the masked key (OVS's
/// `dpcls_subtable`). Only the mask's non-zero words are stored, hashed
/// and compared, like OVS's miniflows: a mask on in_port, eth_type and
/// the IPv4 destination touches three words of 58.
public final class Subtable {
    public let mask: FlowMask
    /// Words the mask keeps.
    public let wordCount: Int
    @usableFromInline let indices: UnsafeMutablePointer<Int>
    @usableFromInline let maskWords: UnsafeMutablePointer<UInt64>
    /// Per-word hash constants.
    @usableFromInline let constants: UnsafeMutablePointer<UInt64>

    @exclusivity(unchecked) @usableFromInline var capacity: Int
    /// Flows in the subtable.
    public private(set) var count = 0
    @usableFromInline var tombstones = 0
    @exclusivity(unchecked) @usableFromInline var hashes: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) @usableFromInline var slots: UnsafeMutablePointer<FlowSlot>
    /// `capacity * wordCount` words: each bucket's masked key, compacted.
    @exclusivity(unchecked) @usableFromInline var keys: UnsafeMutablePointer<UInt64>
    /// Packets this subtable matched since the last ranking.
    @exclusivity(unchecked) public internal(set) var hits: UInt64 = 0

    @usableFromInline static var empty: FlowSlot { .max }
    @usableFromInline static var tombstone: FlowSlot { .max - 1 }

    init(mask: FlowMask) {
        self.mask = mask
        var idx: [Int] = []
        for i in 0..<FlowKey.wordCount where mask.words[i] != 0 { idx.append(i) }
        wordCount = idx.count
        indices = .allocate(capacity: max(1, idx.count))
        maskWords = .allocate(capacity: max(1, idx.count))
        constants = .allocate(capacity: max(1, idx.count))
        for (j, i) in idx.enumerated() {
            indices[j] = i
            maskWords[j] = mask.words[i]
            // Odd per-word constants (splitmix64 of the word index).
            var z = UInt64(i &+ 1) &* 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            constants[j] = (z ^ (z >> 27)) | 1
        }
        capacity = 8
        hashes = .allocate(capacity: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Self.empty, count: capacity)
        keys = .allocate(capacity: capacity * max(1, wordCount))
    }

    deinit {
        indices.deallocate()
        maskWords.deallocate()
        constants.deallocate()
        hashes.deallocate()
        slots.deallocate()
        keys.deallocate()
    }

    /// The hash of `key`'s bits under the mask. Products of independent
    /// words are summed (they run in parallel), then mixed.
    @inlinable @inline(__always)
    func hash(_ key: KeyWords) -> UInt64 {
        var s: UInt64 = 0
        for j in 0..<wordCount {
            let w = key[indices[j]] & maskWords[j]
            let c = constants[j]
            s = s &+ UInt64(UInt32(truncatingIfNeeded: w) &+ UInt32(truncatingIfNeeded: c))
                &* UInt64(UInt32(truncatingIfNeeded: w >> 32) &+ UInt32(truncatingIfNeeded: c >> 32))
        }
        s = (s ^ (s >> 30)) &* 0xbf58_476d_1ce4_e5b9
        s = (s ^ (s >> 27)) &* 0x94d0_49bb_1331_11eb
        return s ^ (s >> 31)
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
            allEmpty &= slots[Int(truncatingIfNeeded: h) & m]
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
            let s = slots[i]
            if s == Self.empty { return .none }
            if s != Self.tombstone, hashes[i] == h {
                let stored = keys + i &* wordCount
                var d: UInt64 = 0
                for j in 0..<wordCount { d |= stored[j] ^ (key[indices[j]] & maskWords[j]) }
                if d == 0 { return s }
            }
            i = (i &+ 1) & m
        }
    }

    /// Adds `slot` for the masked key `key` (not already present).
    func insert(_ key: KeyWords, slot: FlowSlot) {
        if (count + tombstones + 1) * 2 > capacity { rehash(to: count + 1 > capacity / 4 ? capacity * 2 : capacity) }
        let h = hash(key)
        let m = capacity - 1
        var i = Int(truncatingIfNeeded: h) & m
        while slots[i] != Self.empty && slots[i] != Self.tombstone { i = (i + 1) & m }
        if slots[i] == Self.tombstone { tombstones -= 1 }
        slots[i] = slot
        hashes[i] = h
        let stored = keys + i * wordCount
        for j in 0..<wordCount { stored[j] = key[indices[j]] & maskWords[j] }
        count += 1
    }

    /// Removes `slot`, whose masked key is `key`. Returns false if absent.
    @discardableResult
    func remove(_ key: KeyWords, slot: FlowSlot) -> Bool {
        let h = hash(key)
        let m = capacity - 1
        var i = Int(truncatingIfNeeded: h) & m
        while slots[i] != Self.empty {
            if slots[i] == slot {
                slots[i] = Self.tombstone
                tombstones += 1
                count -= 1
                return true
            }
            i = (i + 1) & m
        }
        return false
    }

    private func rehash(to newCapacity: Int) {
        let oldCapacity = capacity, oldHashes = hashes, oldSlots = slots, oldKeys = keys
        capacity = newCapacity
        hashes = .allocate(capacity: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Self.empty, count: capacity)
        keys = .allocate(capacity: capacity * max(1, wordCount))
        let m = capacity - 1
        for o in 0..<oldCapacity where oldSlots[o] != Self.empty && oldSlots[o] != Self.tombstone {
            var i = Int(truncatingIfNeeded: oldHashes[o]) & m
            while slots[i] != Self.empty { i = (i + 1) & m }
            slots[i] = oldSlots[o]
            hashes[i] = oldHashes[o]
            (keys + i * wordCount).update(from: oldKeys + o * wordCount, count: wordCount)
        }
        tombstones = 0
        oldHashes.deallocate()
        oldSlots.deallocate()
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
    func insert(key: UnsafePointer<FlowKey>, mask: FlowMask, slot: FlowSlot) {
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
