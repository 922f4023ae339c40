import Flow

/// Index of a flow in a poll thread's flow store.
public typealias FlowSlot = UInt32

extension FlowSlot {
    /// No flow.
    @inlinable static var none: FlowSlot { .max }
}

/// A flow key's words through a pointer: the caches read keys in place,
/// never copying the 464-byte `InlineArray` (see `Flow/WordLoops.swift`).
@usableFromInline typealias KeyWords = UnsafePointer<UInt64>

@inlinable @inline(__always)
func keyWords(_ key: UnsafePointer<FlowKey>) -> KeyWords {
    UnsafeRawPointer(key).assumingMemoryBound(to: UInt64.self)
}

/// A hash of the words a packet's flow varies in most (in port, tunnel
/// id and addresses, Ethernet, VLAN, IP addresses, ports, recirculation
/// id), like the NIC's RSS hash OVS starts from. The exact-match cache
/// compares whole keys, so the hash need not cover every word.
@inlinable @inline(__always)
func packetHash(_ w: KeyWords) -> UInt32 {
    @inline(__always) func step(_ s: UInt64, _ x: UInt64, _ a: UInt32, _ b: UInt32) -> UInt64 {
        s &+ UInt64(UInt32(truncatingIfNeeded: x) &+ a) &* UInt64(UInt32(truncatingIfNeeded: x >> 32) &+ b)
    }
    var s: UInt64 = 0
    s = step(s, w[0], 0xce343e35, 0xb127ebcd)     // tunnel IPv4
    s = step(s, w[5], 0xbf1f2b39, 0x322b1959)     // tunnel id
    s = step(s, w[27], 0xc7a609a7, 0x04efa229)    // dp_hash, in_port
    s = step(s, w[28], 0xe3a714b3, 0x46d3029d)    // recirc id, ct
    s = step(s, w[33], 0x4c64f3b7, 0xafcbca55)    // eth dst, type
    s = step(s, w[34], 0xd7b7bfd1, 0xebf605a7)    // eth src
    s = step(s, w[35], 0x369516eb, 0x8451f0f3)    // VLANs
    s = step(s, w[38], 0x8486dacb, 0xdfc32c37)    // IPv4 addresses
    s = step(s, w[41], 0x3d9336d7, 0x1eb2b7fb)    // IPv6 source (low)
    s = step(s, w[43], 0x4d492343, 0xfb557e7b)    // IPv6 destination (low)
    s = step(s, w[48], 0x0ab040c5, 0xbda8bf1f)    // proto, tos, ttl, frag
    s = step(s, w[56], 0x9b99c20d, 0x858111ff)    // transport ports
    s = (s ^ (s >> 30)) &* 0xbf58_476d_1ce4_e5b9
    s = (s ^ (s >> 27)) &* 0x94d0_49bb_1331_11eb
    return UInt32(truncatingIfNeeded: s ^ (s >> 31))
}

/// True if the two keys' 58 words are equal.
@inlinable @inline(__always)
func keysEqual(_ a: KeyWords, _ b: KeyWords) -> Bool {
    var d: UInt64 = 0
    for i in 0..<FlowKey.wordCount { d |= a[i] ^ b[i] }
    return d == 0
}

/// The exact-match cache (OVS's EMC): 8192 entries, each a whole flow key
/// and the flow it hit. A key may sit in two places chosen by its hash
/// (two "ways"); inserting replaces a dead entry first, else the one with
/// the smaller hash. Entries refer to flows by slot and generation: when
/// a flow dies its generation changes and every entry for it stops
/// matching, without touching the cache.
///
/// Owned by one poll thread. Not thread-safe.
public final class ExactMatchCache {
    /// Entries (a power of two).
    public static let entryCount = 1 << 13
    @usableFromInline static let indexMask = UInt32(entryCount - 1)
    @usableFromInline static let shift: UInt32 = 13

    @usableFromInline struct Entry {
        @usableFromInline var hash: UInt32
        @usableFromInline var slot: FlowSlot
        @usableFromInline var generation: UInt32
        @usableFromInline var isUsed: Bool
    }

    @usableFromInline let keys: UnsafeMutablePointer<FlowKey>
    @usableFromInline let entries: UnsafeMutablePointer<Entry>

    public init() {
        keys = .allocate(capacity: Self.entryCount)
        keys.initialize(repeating: FlowKey(), count: Self.entryCount)
        entries = .allocate(capacity: Self.entryCount)
        entries.initialize(repeating: Entry(hash: 0, slot: .none, generation: 0, isUsed: false),
                           count: Self.entryCount)
    }

    deinit {
        keys.deinitialize(count: Self.entryCount)
        keys.deallocate()
        entries.deallocate()
    }

    /// The flow cached for `key` (hash `hash`), if its entry is still alive
    /// (`generations[slot]` equals the entry's generation).
    @inlinable @inline(__always)
    func lookup(_ key: UnsafePointer<FlowKey>, hash: UInt32,
                generations: UnsafePointer<UInt32>) -> FlowSlot {
        var index = hash & Self.indexMask
        var h = hash
        for _ in 0..<2 {
            let e = entries[Int(index)]
            if e.isUsed, e.hash == hash, generations[Int(e.slot)] == e.generation,
               keysEqual(keyWords(key), keyWords(keys + Int(index))) {
                return e.slot
            }
            h >>= Self.shift
            index = h & Self.indexMask
        }
        return .none
    }

    /// Looks up `count` keys at once: first every hash and a load of each
    /// key's first entry (independent loads, so their cache misses overlap),
    /// then the comparisons. Writes each result (or `.none`) to `results`;
    /// returns the bits of the keys that hit.
    @inline(__always)
    func lookup(_ keys: UnsafePointer<FlowKey>, count: Int, hashes: UnsafeMutablePointer<UInt32>,
                results: UnsafeMutablePointer<FlowSlot>, generations: UnsafePointer<UInt32>) -> UInt32 {
        var touched: UInt64 = 0
        for i in 0..<count {
            let h = packetHash(keyWords(keys + i))
            hashes[i] = h
            let index = Int(h & Self.indexMask)
            touched &+= UInt64(entries[index].slot) &+ keyWords(self.keys + index)[27]
        }
        var hits: UInt32 = touched == 0x5eed_5eed_5eed_5eed ? 0 : 0   // keeps the loads
        for i in 0..<count {
            let slot = lookup(keys + i, hash: hashes[i], generations: generations)
            results[i] = slot
            if slot != .none { hits |= 1 << UInt32(i) }
        }
        return hits
    }

    /// Caches `key` → `slot` (whose generation is `generation`).
    @usableFromInline
    func insert(_ key: UnsafePointer<FlowKey>, hash: UInt32, slot: FlowSlot, generation: UInt32,
                generations: UnsafePointer<UInt32>) {
        let first = Int(hash & Self.indexMask)
        let second = Int((hash >> Self.shift) & Self.indexMask)
        var victim = -1
        for index in [first, second] {
            let e = entries[index]
            if e.isUsed, e.hash == hash, keysEqual(keyWords(key), keyWords(keys + index)) {
                victim = index       // same key: refresh its flow
                break
            }
        }
        if victim < 0 {
            func isDead(_ i: Int) -> Bool {
                let e = entries[i]
                return !e.isUsed || generations[Int(e.slot)] != e.generation
            }
            if isDead(first) { victim = first }
            else if isDead(second) { victim = second }
            else { victim = entries[first].hash <= entries[second].hash ? first : second }
        }
        (keys + victim).update(from: key, count: 1)
        entries[victim] = Entry(hash: hash, slot: slot, generation: generation, isUsed: true)
    }

    /// Forgets every entry.
    public func clear() {
        for i in 0..<Self.entryCount { entries[i].isUsed = false }
    }

    /// Entries whose flow is alive.
    func liveCount(generations: UnsafePointer<UInt32>) -> Int {
        var n = 0
        for i in 0..<Self.entryCount {
            let e = entries[i]
            if e.isUsed, generations[Int(e.slot)] == e.generation { n += 1 }
        }
        return n
    }
}
