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
    /// The EtherType a packet must have for the field to mean this address
    /// (`nw_src` is also ARP's `arp_spa`); the trie is not used otherwise,
    /// as OVS's `trie_lookup` checks the field's prerequisites.
    public let prerequisiteEthType: UInt16?

    public static let ipv4Destination = ClassifierPrefixField(
        word: FlowField.ipv4Destination.word, shift: FlowField.ipv4Destination.shift, width: 32,
        description: "nw_dst", prerequisiteEthType: 0x0800)
    public static let ipv4Source = ClassifierPrefixField(
        word: FlowField.ipv4Source.word, shift: FlowField.ipv4Source.shift, width: 32,
        description: "nw_src", prerequisiteEthType: 0x0800)
    public static let ipv6Destination = ClassifierPrefixField(
        word: FlowField.ipv6DestinationHigh.word, shift: 0, width: 128, description: "ipv6_dst",
        prerequisiteEthType: 0x86dd)
    public static let ipv6Source = ClassifierPrefixField(
        word: FlowField.ipv6SourceHigh.word, shift: 0, width: 128, description: "ipv6_src",
        prerequisiteEthType: 0x86dd)

    /// The transport ports as one 32-bit field (`tp_src` then `tp_dst`), for
    /// each subtable's ports trie.
    static let transportPorts = ClassifierPrefixField(
        word: FlowField.transportSource.word, shift: FlowField.transportDestination.shift, width: 32,
        description: "tp_ports", prerequisiteEthType: nil)

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

/// A path-compressed binary trie of the prefixes rules match on one field
/// (OVS's `cls_trie`). A lookup tells, for every prefix length, whether some
/// rule of that length matches the packet's address, and how many of the
/// address's leading bits that answer depends on. Subtables whose prefix
/// length has no match can then be skipped with only those bits
/// un-wildcarded, instead of the subtable's whole prefix.
///
/// Each node has an edge of `lengths[n]` bits (left-aligned in `edges[n]`,
/// the first being the bit that selected the node), the number of rules
/// whose prefix ends at the node, and two children. Nodes live in flat
/// arrays (no per-node object).
struct ClassifierTrie {
    let field: ClassifierPrefixField
    /// One node: its edge (left-aligned), the edge's length, the rules whose
    /// prefix ends here, and the children (next bit 0 and 1; -1 if none).
    /// 32 bytes: a lookup reads one cache line per node.
    struct Node {
        var edge: UInt128
        var length: Int32
        var count: Int32
        var children: (Int32, Int32)

        @inline(__always) func child(_ bit: Int) -> Int32 { bit == 0 ? children.0 : children.1 }
        @inline(__always) mutating func setChild(_ bit: Int, _ n: Int32) {
            if bit == 0 { children.0 = n } else { children.1 = n }
        }
        var isLeaf: Bool { children.0 < 0 && children.1 < 0 }
    }
    private var nodes = NodePages()
    private var free: [Int32] = []
    private var root: Int32 = -1

    init(field: ClassifierPrefixField) { self.field = field }

    /// What a lookup found: `lengths` has bit `l - 1` set if a rule with a
    /// prefix of length `l` matches; the answer depends on the first
    /// `bitsExamined` bits of the address.
    struct Result {
        var lengths: UInt128
        var bitsExamined: Int
    }

    @inline(__always) private static func bit(_ v: UInt128, _ offset: Int) -> Int {
        Int(truncatingIfNeeded: (v >> UInt128(127 &- offset)) & 1)
    }

    /// The first `count` bits of `v` from `offset`, left-aligned.
    @inline(__always) private static func bits(_ v: UInt128, from offset: Int, count: Int) -> UInt128 {
        count == 0 ? 0 : ((v << UInt128(offset)) >> UInt128(128 - count)) << UInt128(128 - count)
    }

    /// How many leading bits of `node`'s edge equal `v`'s bits from `offset`.
    @inline(__always) private static func equalBits(_ node: Node, _ v: UInt128, _ offset: Int) -> Int {
        let x = (v << UInt128(offset)) ^ node.edge
        return min(x.leadingZeroBitCount, Int(node.length))
    }

    func lookup(_ value: UInt128) -> Result {
        var index = Int(root)
        var previousIsLeaf = true
        var matched = 0
        var found: UInt128 = 0
        let width = field.width
        while index >= 0 {
            let node = nodes[index]
            let eq = Self.equalBits(node, value, matched)
            matched &+= eq
            if eq < Int(node.length) {
                // Bit `matched` differs from the edge: nothing further matches.
                return Result(lengths: found, bitsExamined: matched &+ 1)
            }
            if node.count > 0 && matched > 0 { found |= 1 << UInt128(matched &- 1) }
            if matched >= width { return Result(lengths: found, bitsExamined: width) }
            previousIsLeaf = node.isLeaf
            index = Int(node.child(Self.bit(value, matched)))
        }
        // The path ends; if the other branch exists, its first bit was needed
        // to rule it out.
        return Result(lengths: found, bitsExamined: previousIsLeaf ? matched : matched + 1)
    }

    private mutating func makeNode(edge: UInt128, length: Int, count: Int32) -> Int32 {
        let node = Node(edge: edge, length: Int32(length), count: count, children: (-1, -1))
        if let n = free.popLast() {
            nodes[Int(n)] = node
            return n
        }
        return nodes.append(node)
    }

    /// Where a node is linked from: the root (-1), or child slot `2n + bit` of node `n`.
    private func link(_ slot: Int) -> Int32 { slot < 0 ? root : nodes[slot >> 1].child(slot & 1) }
    private mutating func setLink(_ slot: Int, _ n: Int32) {
        if slot < 0 { root = n } else { nodes[slot >> 1].setChild(slot & 1, n) }
    }

    /// Records a rule matching the first `length` bits of `value`.
    mutating func insert(_ value: UInt128, length: Int) {
        var slot = -1, offset = 0
        while true {
            let node = link(slot)
            if node < 0 {
                setLink(slot, makeNode(edge: Self.bits(value, from: offset, count: length - offset),
                                       length: length - offset, count: 1))
                return
            }
            let n = Int(node)
            let eq = min(Self.equalBits(nodes[n], value, offset), length - offset)
            let edgeLength = Int(nodes[n].length)
            if eq < edgeLength {
                // Split the edge after `eq` bits.
                let edge = nodes[n].edge
                let top = makeNode(edge: Self.bits(edge, from: 0, count: eq), length: eq, count: 0)
                let t = Int(top)
                nodes[t].setChild(Self.bit(edge, eq), node)
                nodes[n].edge = edge << UInt128(eq)
                nodes[n].length = Int32(edgeLength - eq)
                setLink(slot, top)
                if offset + eq == length {
                    nodes[t].count = 1
                } else {
                    let leaf = makeNode(edge: Self.bits(value, from: offset + eq, count: length - offset - eq),
                                        length: length - offset - eq, count: 1)
                    nodes[t].setChild(Self.bit(value, offset + eq), leaf)
                }
                return
            }
            offset += edgeLength
            if offset == length {
                nodes[n].count += 1
                return
            }
            slot = 2 * n + Self.bit(value, offset)
        }
    }

    /// Forgets one rule recorded by `insert(value, length:)`; removes and
    /// merges nodes no longer needed.
    mutating func remove(_ value: UInt128, length: Int) {
        var slots: [Int] = []
        var slot = -1, offset = 0
        while true {
            let node = link(slot)
            guard node >= 0 else { return }
            let n = Int(node)
            guard Self.equalBits(nodes[n], value, offset) >= Int(nodes[n].length) else { return }
            offset += Int(nodes[n].length)
            if offset == length { break }
            guard offset < length else { return }
            slots.append(slot)
            slot = 2 * n + Self.bit(value, offset)
        }
        let n = Int(link(slot))
        guard nodes[n].count > 0 else { return }
        nodes[n].count -= 1
        guard nodes[n].count == 0 else { return }
        compact(n, at: slot)
        // The parent may now be a rule-less node with one child.
        if let parentSlot = slots.last {
            let p = Int(link(parentSlot))
            if nodes[p].count == 0 { compact(p, at: parentSlot) }
        }
        // Empty again: give the node storage back (a table of 100,000
        // flows deleted would otherwise keep megabytes of free nodes).
        if root < 0 {
            nodes = NodePages()
            free = []
        }
    }

    /// Removes rule-less node `n` (linked at `slot`) if it is a leaf, or
    /// merges it into its only child.
    private mutating func compact(_ n: Int, at slot: Int) {
        let (left, right) = nodes[n].children
        if left < 0 && right < 0 {
            setLink(slot, -1)
            free.append(Int32(n))
        } else if left < 0 || right < 0 {
            let c = Int(left < 0 ? right : left)
            let total = Int(nodes[n].length) + Int(nodes[c].length)
            if total <= 128 {
                nodes[c].edge = nodes[n].edge | (nodes[c].edge >> UInt128(nodes[n].length))
                nodes[c].length = Int32(total)
                setLink(slot, Int32(c))
                free.append(Int32(n))
            }
        }
    }

    /// Nodes in use (for tests and statistics).
    var nodeCount: Int { nodes.count - free.count }
}

extension ClassifierTrie {
    /// The nodes, in pages of fixed size: a trie grows a page at a time
    /// instead of doubling one array (which leaves up to half of it unused;
    /// a table of 100,000 address prefixes has about 200,000 nodes).
    struct NodePages {
        static let pageShift = 10
        static let pageSize = 1 << pageShift
        private var pages: [[Node]] = []
        private(set) var count = 0

        subscript(i: Int) -> Node {
            get { pages[i >> Self.pageShift][i & (Self.pageSize - 1)] }
            _modify { yield &pages[i >> Self.pageShift][i & (Self.pageSize - 1)] }
            set { pages[i >> Self.pageShift][i & (Self.pageSize - 1)] = newValue }
        }

        /// Adds `node`; returns its index.
        mutating func append(_ node: Node) -> Int32 {
            if count & (Self.pageSize - 1) == 0 {
                var page: [Node] = []
                page.reserveCapacity(Self.pageSize)
                pages.append(page)
            }
            pages[pages.count - 1].append(node)
            count += 1
            return Int32(count - 1)
        }
    }
}
