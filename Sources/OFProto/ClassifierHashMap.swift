/// An open-addressing map keyed by 64-bit hashes that are already well
/// mixed (no rehashing of the key, unlike `Dictionary`'s SipHash). Used by
/// subtables for their stage indices and buckets.
///
/// Only 31 bits of each hash are kept (`key(_:)`), as Open vSwitch's cmaps
/// keep 32: two hashes that agree on them share an entry. Users must allow
/// for it, and do: a bucket's chain is checked rule by rule, and a stage
/// index only says whether a stage may match.
///
/// Probing reads only `hashes`: 0 marks an empty slot and 1 a deleted one,
/// so stored keys have their top bit forced on. A slot's value
/// means something only while its hash is stored; empty slots hold
/// `vacant`. The table is at most three quarters full (linear probing
/// stays short at that load; the maps are most of a classifier's memory).
struct ClassifierHashMap<Value> {
    private var hashes: [UInt32]
    private var values: [Value]
    private let vacant: Value
    private(set) var count = 0
    private var deleted = 0

    /// An empty map whose empty slots hold `vacant`.
    init(vacant: Value) {
        self.vacant = vacant
        hashes = Array(repeating: 0, count: 8)
        values = Array(repeating: vacant, count: 8)
    }

    /// The stored form of hash `h` (its slot is found from it too).
    @inline(__always) static func key(_ h: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: h ^ h >> 32) | 1 << 31
    }

    /// The slot holding `h`, or -1.
    @inline(__always)
    private func slot(_ h: UInt64) -> Int {
        let k = Self.key(h)
        let mask = hashes.count &- 1
        var i = Int(k) & mask
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
                values[i] = vacant
                count -= 1
                deleted += 1
            }
            return
        }
        guard let value else { return }
        if (count + deleted + 1) * 4 > hashes.count * 3 { grow() }
        let mask = hashes.count - 1
        let k = Self.key(h)
        var j = Int(k) & mask
        while hashes[j] > 1 { j = (j + 1) & mask }
        if hashes[j] == 1 { deleted -= 1 }
        hashes[j] = k
        values[j] = value
        count += 1
    }

    private mutating func grow() {
        let capacity = count * 2 > hashes.count ? hashes.count * 2 : hashes.count
        let oldHashes = hashes, oldValues = values
        hashes = Array(repeating: 0, count: capacity)
        values = Array(repeating: vacant, count: capacity)
        deleted = 0
        let mask = capacity - 1
        for i in oldHashes.indices where oldHashes[i] > 1 {
            var j = Int(oldHashes[i]) & mask
            while hashes[j] != 0 { j = (j + 1) & mask }
            hashes[j] = oldHashes[i]
            values[j] = oldValues[i]
        }
    }
}
