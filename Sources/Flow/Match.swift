import Wire

/// Which bits of a flow key matter: a 1-bit must match, a 0-bit is
/// wildcarded. Same layout as `FlowKey` (OVS's `struct flow_wildcards`).
public struct FlowMask: FlowWordStorage, Hashable, Sendable {
    public var words: FlowWords

    /// A mask with the given words.
    @inlinable public init(words: FlowWords) { self.words = words }

    /// Every bit wildcarded: matches every packet.
    public static let catchAll = FlowMask(words: FlowWords(repeating: 0))
    /// Every bit significant.
    public static let exact = FlowMask(words: FlowWords(repeating: .max))

    /// True if no bit is significant.
    @inlinable public var isCatchAll: Bool {
        var any: UInt64 = 0
        let w = words.span
        for i in 0..<FlowKey.wordCount { any |= w[i] }
        return any == 0
    }

    /// Makes every bit of `field` significant.
    @inlinable public mutating func setExact(_ field: FlowField) { self[field] = field.maxValue }
    /// Makes every bit of `field` wildcarded.
    @inlinable public mutating func wildcard(_ field: FlowField) { self[field] = 0 }
    /// Makes the 128-bit field starting at `high` (IPv6 addresses, ct_label) significant.
    @inlinable public mutating func setExactPair(_ high: FlowField) {
        words[high.word] = .max
        words[high.word + 1] = .max
    }
    /// True if any bit of `field` is significant.
    @inlinable public func isSignificant(_ field: FlowField) -> Bool { self[field] != 0 }

    /// Bits significant in both masks.
    @inlinable public func intersection(_ other: FlowMask) -> FlowMask {
        var m = self
        var w = m.words.mutableSpan
        let o = other.words.span
        for i in 0..<FlowKey.wordCount { w[i] &= o[i] }
        return m
    }
    /// Bits significant in either mask.
    @inlinable public func union(_ other: FlowMask) -> FlowMask {
        var m = self
        var w = m.words.mutableSpan
        let o = other.words.span
        for i in 0..<FlowKey.wordCount { w[i] |= o[i] }
        return m
    }
    /// True if `self` has a significant bit that `other` lacks.
    @inlinable public func hasExtra(comparedTo other: FlowMask) -> Bool {
        var extra: UInt64 = 0
        let w = words.span, o = other.words.span
        for i in 0..<FlowKey.wordCount { extra |= w[i] & ~o[i] }
        return extra != 0
    }

    @inlinable public static func == (a: FlowMask, b: FlowMask) -> Bool { wordsEqual(a, b) }
    public func hash(into hasher: inout Hasher) { hasher.combine(FlowKey(words: words).fullHash) }
}

extension FlowKey {
    /// A key built from raw words.
    @inlinable public init(words: FlowWords) { self.words = words }

    /// The key with every wildcarded bit cleared.
    @inlinable @inline(__always) public func masked(by mask: FlowMask) -> FlowKey { wordsMasked(self, mask) }

    /// True if `self` and `other` agree on every bit `mask` keeps.
    @inlinable @inline(__always) public func equals(_ other: FlowKey, under mask: FlowMask) -> Bool {
        wordsEqual(self, other, under: mask)
    }

    /// A hash of every word. Fast, and the same in every run.
    @inlinable @inline(__always) public var fullHash: UInt64 { flowHash(self, basis: 0) }

    /// A hash of the bits `mask` keeps: keys equal under `mask` hash equal.
    @inlinable @inline(__always) public func maskedHash(_ mask: FlowMask, basis: UInt64 = 0) -> UInt64 {
        flowHash(self, mask: mask, basis: basis)
    }
}

/// A flow key with a mask: the packets whose keys agree with `key` on every
/// bit `mask` keeps. The key is kept normalised (`key & mask`).
public struct Match: Hashable, Sendable {
    /// The key, already masked.
    public private(set) var key: FlowKey
    public private(set) var mask: FlowMask

    /// Matches `key` on the bits `mask` keeps.
    public init(key: FlowKey, mask: FlowMask) {
        self.key = key.masked(by: mask)
        self.mask = mask
    }

    /// Matches exactly `key`.
    public init(exact key: FlowKey) { self.init(key: key, mask: .exact) }

    /// Matches every packet.
    public static let catchAll = Match(key: FlowKey(), mask: .catchAll)

    /// True if `packet`'s key satisfies the match.
    @inlinable public func matches(_ packet: FlowKey) -> Bool { packet.equals(key, under: mask) }

    /// Sets `field` to `value` with every bit significant.
    public mutating func set(_ field: FlowField, to value: UInt64) {
        set(field, to: value, mask: field.maxValue)
    }
    /// Sets `field` to `value` under `mask`.
    public mutating func set(_ field: FlowField, to value: UInt64, mask fieldMask: UInt64) {
        mask[field] = fieldMask
        key[field] = value & fieldMask
    }
    /// Replaces key and mask through a closure; the key is normalised after.
    public mutating func update(_ body: (inout FlowKey, inout FlowMask) -> Void) {
        body(&key, &mask)
        key = key.masked(by: mask)
    }

    /// The match's hash (the key's masked hash).
    public func hash(into hasher: inout Hasher) { hasher.combine(key.maskedHash(mask)) }
}
