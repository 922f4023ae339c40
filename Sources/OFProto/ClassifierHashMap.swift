/// An open-addressing map keyed by 64-bit hashes that are already well
/// mixed (no rehashing of the key, unlike `Dictionary`'s SipHash). Used by
/// subtables for their stage indices and buckets.
///
/// Probing reads only `hashes`: 0 marks an empty slot and 1 a deleted one,
/// so stored keys have their top bit forced on (`key(_:)`).
struct ClassifierHashMap<Value> {
    private var hashes: [UInt64]
    private var values: [Value?]
    private(set) var count = 0
    private var deleted = 0

    init() {
        hashes = Array(repeating: 0, count: 8)
        values = Array(repeating: nil, count: 8)
    }

    /// The stored form of hash `h`.
    @inline(__always) static func key(_ h: UInt64) -> UInt64 { h | 1 << 63 }

    /// The slot holding `h`, or -1.
    @inline(__always)
    private func slot(_ h: UInt64) -> Int {
        let k = Self.key(h)
        let mask = hashes.count &- 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = hashes[i]
            if s == k { return i }
            if s == 0 { return -1 }
            i = (i &+ 1) & mask
        }
    }

    /// The value stored for `h`.
    @inline(__always)
    subscript(h: UInt64) -> Value? {
        let i = slot(h)
        return i < 0 ? nil : values[i]
    }

    /// True if `h` is present.
    @inline(__always) func contains(_ h: UInt64) -> Bool { slot(h) >= 0 }

    /// Stores `value` for `h` (replacing any), or removes `h` if `value` is nil.
    mutating func set(_ h: UInt64, _ value: Value?) {
        let i = slot(h)
        if i >= 0 {
            if let value {
                values[i] = value
            } else {
                hashes[i] = 1
                values[i] = nil
                count -= 1
                deleted += 1
            }
            return
        }
        guard let value else { return }
        if (count + deleted + 1) * 2 > hashes.count { grow() }
        let mask = hashes.count - 1
        var j = Int(truncatingIfNeeded: h) & mask
        while hashes[j] > 1 { j = (j + 1) & mask }
        if hashes[j] == 1 { deleted -= 1 }
        hashes[j] = Self.key(h)
        values[j] = value
        count += 1
    }

    private mutating func grow() {
        let capacity = count * 4 > hashes.count ? hashes.count * 2 : hashes.count
        let oldHashes = hashes, oldValues = values
        hashes = Array(repeating: 0, count: capacity)
        values = Array(repeating: nil, count: capacity)
        deleted = 0
        let mask = capacity - 1
        for i in oldHashes.indices where oldHashes[i] > 1 {
            var j = Int(truncatingIfNeeded: oldHashes[i]) & mask
            while hashes[j] != 0 { j = (j + 1) & mask }
            hashes[j] = oldHashes[i]
            values[j] = oldValues[i]
        }
    }
}
