import Flow

/// A field the classifier keeps a prefix trie for (OVS's `prefixes` of a
/// flow table): an IPv4 address (32 bits inside one word) or an IPv6
/// address (two whole words).
public struct ClassifierPrefixField: Hashable, Sendable, CustomStringConvertible {
    /// The word holding the field (the high word of an IPv6 address).
    public let word: Int
    /// Bit position of the field's least significant bit (32-bit fields).
    public let shift: Int
    /// 32 or 128.
    public let width: Int
    public let description: String

    public static let ipv4Destination = ClassifierPrefixField(
        word: FlowField.ipv4Destination.word, shift: FlowField.ipv4Destination.shift, width: 32,
        description: "nw_dst")
    public static let ipv4Source = ClassifierPrefixField(
        word: FlowField.ipv4Source.word, shift: FlowField.ipv4Source.shift, width: 32,
        description: "nw_src")
    public static let ipv6Destination = ClassifierPrefixField(
        word: FlowField.ipv6DestinationHigh.word, shift: 0, width: 128, description: "ipv6_dst")
    public static let ipv6Source = ClassifierPrefixField(
        word: FlowField.ipv6SourceHigh.word, shift: 0, width: 128, description: "ipv6_src")

    /// Open vSwitch's default: `nw_dst` and `nw_src`.
    public static let defaults: [ClassifierPrefixField] = [.ipv4Destination, .ipv4Source]

    /// The field's bits of `words`, left-aligned in 128 bits (first bit on top).
    @inlinable @inline(__always)
    func value(_ words: Span<UInt64>) -> UInt128 {
        if width == 128 { return UInt128(words[word]) << 64 | UInt128(words[word + 1]) }
        return UInt128((words[word] >> UInt64(shift)) & 0xffff_ffff) << 96
    }

    /// The prefix length of the field in `mask`: its number of leading
    /// one bits, if the field's mask is a CIDR prefix; 0 if the field is
    /// wildcarded or its mask is not a prefix.
    func prefixLength(in mask: FlowMask) -> Int {
        let m = value(mask.words.span)
        let length = (~m).leadingZeroBitCount
        guard length > 0, length <= width, length == 128 || m << UInt128(length) == 0 else { return 0 }
        return length
    }

    /// True if `mask` keeps the first `bits` bits of the field.
    func hasPrefixBits(_ bits: Int, in mask: FlowMask) -> Bool {
        if bits == 0 { return true }
        let want = ~UInt128(0) << UInt128(128 - bits)
        return value(mask.words.span) & want == want
    }

    /// Makes the first `bits` bits of the field significant in `mask`.
    func setPrefixBits(_ bits: Int, in mask: inout FlowMask) {
        guard bits > 0 else { return }
        let want = ~UInt128(0) << UInt128(128 - bits)
        var w = mask.words.mutableSpan
        if width == 128 {
            w[word] |= UInt64(truncatingIfNeeded: want >> 64)
            w[word + 1] |= UInt64(truncatingIfNeeded: want)
        } else {
            w[word] |= (UInt64(truncatingIfNeeded: want >> 96) & 0xffff_ffff) << UInt64(shift)
        }
    }
}

/// A binary trie of the prefixes rules match on one field (OVS's
/// `cls_trie`). A lookup tells, for every prefix length, whether some rule
/// of that length matches the packet's address, and how many of the
/// address's leading bits that answer depends on. Subtables whose prefix
/// length has no match can then be skipped with only those bits
/// un-wildcarded, instead of the subtable's whole prefix.
///
/// Nodes are not path-compressed: one node per bit of every stored prefix,
/// in flat arrays (no per-node object).
struct ClassifierTrie {
    let field: ClassifierPrefixField
    /// Children of node `n`: `children[2n]` (bit 0) and `children[2n + 1]`; -1 if none.
    private var children: [Int32] = [-1, -1]
    /// Rules whose prefix ends at node `n`.
    private var counts: [Int32] = [0]
    private var free: [Int32] = []

    init(field: ClassifierPrefixField) { self.field = field }

    /// What a lookup found: `lengths` has bit `l - 1` set if a rule with a
    /// prefix of length `l` matches; the answer depends on the first
    /// `bitsExamined` bits of the address.
    struct Result {
        var lengths: UInt128
        var bitsExamined: Int
    }

    @inline(__always) private func bit(_ v: UInt128, _ depth: Int) -> Int {
        Int(truncatingIfNeeded: (v >> UInt128(127 - depth)) & 1)
    }

    func lookup(_ value: UInt128) -> Result {
        var node = 0, depth = 0
        var lengths: UInt128 = 0
        let width = field.width
        while true {
            if counts[node] > 0 && depth > 0 { lengths |= 1 << UInt128(depth - 1) }
            if depth == width { return Result(lengths: lengths, bitsExamined: width) }
            let left = children[2 &* node], right = children[2 &* node &+ 1]
            let next = bit(value, depth) == 0 ? left : right
            if next < 0 {
                // The path ends here. If the other branch exists, its first
                // bit was needed to rule it out.
                let isLeaf = left < 0 && right < 0
                return Result(lengths: lengths, bitsExamined: isLeaf ? depth : depth + 1)
            }
            node = Int(next)
            depth &+= 1
        }
    }

    /// Records a rule matching the first `length` bits of `value`.
    mutating func insert(_ value: UInt128, length: Int) {
        var node = 0
        for depth in 0..<length {
            let c = 2 * node + bit(value, depth)
            if children[c] < 0 {
                let n: Int
                if let f = free.popLast() {
                    n = Int(f)
                    children[2 * n] = -1
                    children[2 * n + 1] = -1
                    counts[n] = 0
                } else {
                    n = counts.count
                    counts.append(0)
                    children.append(-1)
                    children.append(-1)
                }
                children[c] = Int32(n)
            }
            node = Int(children[c])
        }
        counts[node] += 1
    }

    /// Forgets one rule recorded by `insert(value, length:)`; prunes nodes
    /// no longer on any prefix's path.
    mutating func remove(_ value: UInt128, length: Int) {
        var path: [Int] = [0]
        path.reserveCapacity(length + 1)
        var node = 0
        for depth in 0..<length {
            let next = children[2 * node + bit(value, depth)]
            guard next >= 0 else { return }
            node = Int(next)
            path.append(node)
        }
        guard counts[node] > 0 else { return }
        counts[node] -= 1
        var depth = length
        while depth > 0 {
            let n = path[depth]
            guard counts[n] == 0, children[2 * n] < 0, children[2 * n + 1] < 0 else { break }
            let parent = path[depth - 1]
            children[2 * parent + bit(value, depth - 1)] = -1
            free.append(Int32(n))
            depth -= 1
        }
    }

    /// Nodes in use (for tests and statistics).
    var nodeCount: Int { counts.count - free.count }
}
