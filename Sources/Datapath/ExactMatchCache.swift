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

/// The key words the exact-match cache stores (metadata, tunnel, L2, L3
/// and L4 words that vary between packets); a key whose other words are
/// not all zero is not cached.
@usableFromInline let emcWords: [Int] = [0, 5, 6, 27, 28, 33, 34, 35, 38, 40, 41, 42, 43, 48, 51, 56]

/// True if every word the EMC does not store is zero in `w` (`cold` is
/// the same set as a mask, kept for callers that loop).
@inlinable @inline(__always)
func emcCacheable(_ w: KeyWords, _ cold: UnsafePointer<UInt64>) -> Bool {
    // The 42 words outside `emcWords`, written out (constant indices).
    var d: UInt64 = 0
    d |= w[1] | w[2] | w[3] | w[4] | w[7] | w[8]
    d |= w[9] | w[10] | w[11] | w[12] | w[13] | w[14]
    d |= w[15] | w[16] | w[17] | w[18] | w[19] | w[20]
    d |= w[21] | w[22] | w[23] | w[24] | w[25] | w[26]
    d |= w[29] | w[30] | w[31] | w[32] | w[36] | w[37]
    d |= w[39] | w[44] | w[45] | w[46] | w[47] | w[49]
    d |= w[50] | w[52] | w[53] | w[54] | w[55] | w[57]
    return d == 0
}

/// Differences between an entry's 16 words and the key's EMC words
/// (constant indices: plain loads).
@inlinable @inline(__always)
func emcDifference(_ e: UnsafePointer<UInt64>, _ w: KeyWords) -> UInt64 {
    var d = (e[0] ^ w[0]) | (e[1] ^ w[5]) | (e[2] ^ w[6]) | (e[3] ^ w[27])
    d |= (e[4] ^ w[28]) | (e[5] ^ w[33]) | (e[6] ^ w[34]) | (e[7] ^ w[35])
    d |= (e[8] ^ w[38]) | (e[9] ^ w[40]) | (e[10] ^ w[41]) | (e[11] ^ w[42])
    d |= (e[12] ^ w[43]) | (e[13] ^ w[48]) | (e[14] ^ w[51]) | (e[15] ^ w[56])
    return d
}

/// The exact-match cache (OVS's EMC): 8192 entries, each a flow key and
/// the flow it hit. A key may sit in two places chosen by its hash (two
/// "ways"); inserting replaces a dead entry first, else the one with the
/// smaller hash. Entries refer to flows by slot and generation: when a
/// flow dies its generation changes and every entry for it stops
/// matching, without touching the cache.
///
/// **Compact keys.** Like OVS's miniflows, an entry keeps only part of
/// the key: the 16 words in which packets differ (`emcWords`), 128 bytes
/// (two cache lines) instead of 464, so thousands of cached flows stay in
/// L2. A key with a non-zero word outside those (rare: NSH, ND, MPLS,
/// conntrack tuples, tunnel options) is not cached and takes the classifier.
///
/// Owned by one poll thread. Not thread-safe.
public final class ExactMatchCache {
    /// Entries (a power of two).
    public static let entryCount = 1 << 13
    @usableFromInline static let indexMask = UInt32(entryCount - 1)
    @usableFromInline static let shift: UInt32 = 13
    @usableFromInline static let stride = 16

    @usableFromInline struct Entry {
        @usableFromInline var hash: UInt32
        @usableFromInline var slot: FlowSlot
        @usableFromInline var generation: UInt32
        @usableFromInline var isUsed: UInt32
    }

    @usableFromInline let entries: UnsafeMutablePointer<Entry>
    /// `entryCount * 16` words, 64-byte aligned.
    @usableFromInline let words: UnsafeMutablePointer<UInt64>
    /// `.max` for the words the EMC does not store, 0 for those it does.
    @usableFromInline let coldMask: UnsafeMutablePointer<UInt64>
    /// Where the batch lookup's early loads go, so they are not optimised away.
    @exclusivity(unchecked) @usableFromInline var touchSink: UInt64 = 0

    public init() {
        coldMask = .allocate(capacity: FlowKey.wordCount)
        coldMask.initialize(repeating: .max, count: FlowKey.wordCount)
        for i in emcWords { coldMask[i] = 0 }
        entries = .allocate(capacity: Self.entryCount)
        entries.initialize(repeating: Entry(hash: 0, slot: 0, generation: 0, isUsed: 0), count: Self.entryCount)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Self.entryCount * Self.stride * 8, alignment: 64)
        words = raw.bindMemory(to: UInt64.self, capacity: Self.entryCount * Self.stride)
        words.initialize(repeating: 0, count: Self.entryCount * Self.stride)
    }

    deinit {
        entries.deallocate()
        coldMask.deallocate()
        UnsafeMutableRawPointer(words).deallocate()
    }

    /// The flow cached for the cacheable key `w` (hash `hash`), if its
    /// entry is still alive (`generations[slot]` equals the entry's).
    @inlinable @inline(__always)
    func lookup(_ w: KeyWords, hash: UInt32, generations: UnsafePointer<UInt32>) -> FlowSlot {
        var h = hash
        for _ in 0..<2 {
            let index = Int(h & Self.indexMask)
            let e = entries[index]
            if e.isUsed != 0, e.hash == hash, generations[Int(e.slot)] == e.generation,
               emcDifference(words + index &* Self.stride, w) == 0 {
                return e.slot
            }
            h >>= Self.shift
        }
        return .none
    }

    /// The flow cached for `key`, if any.
    @inlinable @inline(__always)
    func lookup(_ key: UnsafePointer<FlowKey>, hash: UInt32, generations: UnsafePointer<UInt32>) -> FlowSlot {
        let w = keyWords(key)
        guard emcCacheable(w, coldMask) else { return .none }
        return lookup(w, hash: hash, generations: generations)
    }

    /// Looks up `count` keys at once: first every hash, and a load of each
    /// key's first entry (independent loads, so their cache misses
    /// overlap), then the comparisons. Writes each result (or `.none`) to
    /// `results`; returns the bits of the keys that hit.
    @inline(__always)
    func lookup(_ keys: UnsafePointer<FlowKey>, count: Int, hashes: UnsafeMutablePointer<UInt32>,
                results: UnsafeMutablePointer<FlowSlot>, generations: UnsafePointer<UInt32>) -> UInt32 {
        var touched: UInt64 = 0
        for i in 0..<count {
            let h = packetHash(keyWords(keys + i))
            hashes[i] = h
            let index = Int(h & Self.indexMask)
            let e = words + index &* Self.stride
            touched ^= UInt64(entries[index].hash) ^ e[0] ^ e[15]
        }
        touchSink = touched                         // keeps the early loads
        let cold = UnsafePointer(coldMask)
        var hits: UInt32 = 0
        for i in 0..<count {
            let w = keyWords(keys + i)
            var slot = FlowSlot.none
            if emcCacheable(w, cold) { slot = lookup(w, hash: hashes[i], generations: generations) }
            results[i] = slot
            if slot != .none { hits |= 1 << UInt32(i) }
        }
        return hits
    }

    /// Caches `key` → `slot` (whose generation is `generation`). Returns
    /// false when the key cannot be cached (see the type's notes).
    @usableFromInline @discardableResult
    func insert(_ key: UnsafePointer<FlowKey>, hash: UInt32, slot: FlowSlot, generation: UInt32,
                generations: UnsafePointer<UInt32>) -> Bool {
        let w = keyWords(key)
        guard emcCacheable(w, coldMask) else { return false }
        let first = Int(hash & Self.indexMask)
        let second = Int((hash >> Self.shift) & Self.indexMask)
        func sameKey(_ i: Int) -> Bool {
            let e = entries[i]
            return e.isUsed != 0 && e.hash == hash && emcDifference(words + i * Self.stride, w) == 0
        }
        func isDead(_ i: Int) -> Bool {
            let e = entries[i]
            return e.isUsed == 0 || generations[Int(e.slot)] != e.generation
        }
        let victim: Int
        if sameKey(first) { victim = first }
        else if sameKey(second) { victim = second }
        else if isDead(first) { victim = first }
        else if isDead(second) { victim = second }
        else { victim = entries[first].hash <= entries[second].hash ? first : second }
        entries[victim] = Entry(hash: hash, slot: slot, generation: generation, isUsed: 1)
        let e = words + victim * Self.stride
        for (j, i) in emcWords.enumerated() { e[j] = w[i] }
        return true
    }

    /// Forgets every entry.
    public func clear() {
        for i in 0..<Self.entryCount { entries[i].isUsed = 0 }
    }

    /// Entries whose flow is alive.
    func liveCount(generations: UnsafePointer<UInt32>) -> Int {
        var n = 0
        for i in 0..<Self.entryCount {
            let e = entries[i]
            if e.isUsed != 0, generations[Int(e.slot)] == e.generation { n += 1 }
        }
        return n
    }
}
