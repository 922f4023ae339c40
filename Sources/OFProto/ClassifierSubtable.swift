import Flow

/// The lookup stages, in the flow's word order (OVS's `FLOW_SEGMENT_*`):
/// metadata (tunnel, registers, in_port...), L2, L3, L4.
enum ClassifierStage {
    static let count = 4
    /// The stage of flow word `word`.
    static func of(word: Int) -> Int {
        word < FlowField.l2Start ? 0 : word < FlowField.l3Start ? 1 : word < FlowField.l4Start ? 2 : 3
    }
}

/// Per-lookup results of the prefix tries, filled on demand (OVS's `trie_ctx`).
struct ClassifierTrieContext {
    static let capacity = 4
    var done: UInt8 = 0
    var lengths = InlineArray<4, UInt128>(repeating: 0)
    var bitsExamined = InlineArray<4, Int>(repeating: 0)
}

/// The rules of one mask (OVS's `cls_subtable`): a hash table keyed by the
/// hash of the masked key, plus one hash index per earlier lookup stage.
///
/// Only the mask's non-zero words are hashed, in stage order, so the hash of
/// the first `k` stages is a prefix of the full computation. A lookup checks
/// the stage indices first: if no rule's metadata (say) hashes like the
/// packet's, the subtable misses having looked only at metadata, and only the
/// metadata part of the mask is un-wildcarded.
final class ClassifierSubtable {
    /// What the empty slots of `buckets` hold (never a member of a subtable).
    static let vacantSlot = ClassifierRule(match: .catchAll, priority: 0)
    let mask: FlowMask
    /// Creation order, to break ties between subtables of equal maximum
    /// priority in the same way every time.
    let sequence: Int
    /// The significant words (ascending), their masks and hash constants.
    let words: [Int]
    let wordMasks: [UInt64]
    let constants: [UInt64]
    /// For each stage the subtable uses: the stage (0...3) and the end of
    /// its words in `words`.
    let stageIDs: [Int]
    let stageEnds: [Int]
    /// For each stage but the last: how many rules hash to each partial hash.
    /// (One map for every stage: the stage is part of each hash.)
    @exclusivity(unchecked) var stageIndex = ClassifierHashMap<Int32>(vacant: 0)
    /// Stages with an index (all but the last).
    let indexedStages: Int
    /// The first rule of each full hash; rules sharing a hash are chained by
    /// `nextInBucket`, highest priority first.
    @exclusivity(unchecked) var buckets = ClassifierHashMap<ClassifierRule>(vacant: ClassifierSubtable.vacantSlot)
    /// Every rule in insertion order (OVS's `rules_list`, the dump order);
    /// removed rules leave a hole until the next compaction.
    private var memberSlots: [ClassifierRule?] = []
    private(set) var count = 0
    /// The highest priority of any rule here (visible or not), and how many
    /// rules have each priority (to recompute it on removal).
    private(set) var maxPriority = Int.min
    private var priorityCounts: [Int: Int] = [:]
    /// For each classifier trie: the subtable's prefix length on its field
    /// (0: the trie does not apply), and the position in `stageIDs` of the
    /// stage holding the field.
    @exclusivity(unchecked) var triePrefixLengths: [Int]
    @exclusivity(unchecked) var trieStagePositions: [Int]
    /// The ports trie (OVS's `ports_trie`): the rules' masked `tp_src` and
    /// `tp_dst` as one 32-bit value, each `portsPrefixLength` bits long (the
    /// mask up to its last one bit; 0 if the mask has no port bits).
    var portsTrie = ClassifierTrie(field: .transportPorts)
    let portsPrefixLength: Int
    /// The ports' mask (32 bits, left-aligned as the trie sees them).
    let portsMask: UInt128

    init(mask: FlowMask, sequence: Int, tries: [ClassifierTrie]) {
        self.mask = mask
        self.sequence = sequence
        var words: [Int] = [], masks: [UInt64] = [], constants: [UInt64] = []
        var stageIDs: [Int] = [], stageEnds: [Int] = []
        let m = mask.words.span
        for i in 0..<FlowKey.wordCount where m[i] != 0 {
            let stage = ClassifierStage.of(word: i)
            if let last = stageIDs.last, last != stage {
                stageEnds.append(words.count)
            }
            if stageIDs.last != stage { stageIDs.append(stage) }
            words.append(i)
            masks.append(m[i])
            var z = UInt64(i &+ 1) &* 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            constants.append(z ^ (z >> 27))
        }
        if stageIDs.isEmpty { stageIDs.append(ClassifierStage.count - 1) }
        stageEnds.append(words.count)
        self.words = words
        self.wordMasks = masks
        self.constants = constants
        self.stageIDs = stageIDs
        self.stageEnds = stageEnds
        indexedStages = stageIDs.count - 1
        portsMask = ClassifierPrefixField.transportPorts.value(mask.words.span)
        portsPrefixLength = portsMask == 0 ? 0 : 128 - portsMask.trailingZeroBitCount
        triePrefixLengths = []
        trieStagePositions = []
        configureTries(tries)
    }

    /// Recomputes which tries apply (after the classifier's prefix fields change).
    func configureTries(_ tries: [ClassifierTrie]) {
        triePrefixLengths = tries.map { $0.field.prefixLength(in: mask) }
        trieStagePositions = tries.map { t in
            stageIDs.firstIndex(of: ClassifierStage.of(word: t.field.word)) ?? -1
        }
    }

    /// The rules in insertion order.
    var members: some Sequence<ClassifierRule> { memberSlots.lazy.compactMap { $0 } }

    // MARK: Hashing

    /// One word's contribution: an NH step (two 32-bit halves offset by the
    /// word's constant, multiplied). Sums of independent steps.
    @inline(__always)
    private static func step(_ w: UInt64, _ c: UInt64) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: w) &+ UInt32(truncatingIfNeeded: c))
            &* UInt64(UInt32(truncatingIfNeeded: w >> 32) &+ UInt32(truncatingIfNeeded: c >> 32))
    }

    @inline(__always)
    private static func finish(_ sum: UInt64, stage: Int) -> UInt64 {
        var h = sum &+ UInt64(stage) &* 0x632b_e59b_d9b4_e019
        h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
        h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }

    /// The hash of each stage of `key` (cumulative), in stage order.
    func stageHashes(_ key: FlowKey) -> [UInt64] {
        let k = key.words.span
        return stageHashes { k[words[$0]] }
    }

    /// The hash of each stage of a rule of this subtable (its compact keys
    /// are this subtable's words, in the same order).
    func stageHashes(_ rule: ClassifierRule) -> [UInt64] {
        let m = rule.compactMatch
        return stageHashes { m.key($0) }
    }

    /// The stage hashes of the words `word(j)` gives for `words[j]`.
    @inline(__always)
    private func stageHashes(_ word: (Int) -> UInt64) -> [UInt64] {
        var s: UInt64 = 0, j = 0
        var result: [UInt64] = []
        for p in 0..<stageIDs.count {
            while j < stageEnds[p] {
                s &+= Self.step(word(j) & wordMasks[j], constants[j])
                j += 1
            }
            result.append(Self.finish(s, stage: p))
        }
        return result
    }

    // MARK: Changes

    func insert(_ rule: ClassifierRule) {
        let hashes = stageHashes(rule)
        for p in 0..<indexedStages { stageIndex.set(hashes[p], (stageIndex[hashes[p]] ?? 0) + 1) }
        let h = hashes[hashes.count - 1]
        // Into the chain, after every rule of higher or equal priority.
        if let head = buckets[h], head.priority >= rule.priority {
            var previous = head
            while let next = previous.nextInBucket, next.priority >= rule.priority { previous = next }
            rule.nextInBucket = previous.nextInBucket
            previous.nextInBucket = rule
        } else {
            rule.nextInBucket = buckets[h]
            buckets.set(h, rule)
        }
        rule.subtable = self
        rule.memberIndex = Int32(memberSlots.count)
        memberSlots.append(rule)
        count += 1
        if portsPrefixLength > 0 {
            portsTrie.insert(ClassifierPrefixField.transportPorts.value(rule.match.key.words.span), length: portsPrefixLength)
        }
        priorityCounts[rule.priority, default: 0] += 1
        if rule.priority > maxPriority { maxPriority = rule.priority }
    }

    func remove(_ rule: ClassifierRule) {
        let hashes = stageHashes(rule)
        for p in 0..<indexedStages {
            let n = (stageIndex[hashes[p]] ?? 1) - 1
            stageIndex.set(hashes[p], n == 0 ? nil : n)
        }
        let h = hashes[hashes.count - 1]
        if let head = buckets[h] {
            if head === rule {
                buckets.set(h, rule.nextInBucket)
            } else {
                var previous = head
                while let next = previous.nextInBucket, next !== rule { previous = next }
                if previous.nextInBucket === rule { previous.nextInBucket = rule.nextInBucket }
            }
        }
        rule.nextInBucket = nil
        if portsPrefixLength > 0 {
            portsTrie.remove(ClassifierPrefixField.transportPorts.value(rule.match.key.words.span), length: portsPrefixLength)
        }
        memberSlots[Int(rule.memberIndex)] = nil
        count -= 1
        if count * 2 < memberSlots.count && memberSlots.count > 16 {
            memberSlots.removeAll { $0 == nil }
            for (k, r) in memberSlots.enumerated() { r!.memberIndex = Int32(k) }
        }
        rule.subtable = nil
        rule.memberIndex = -1
        let n = priorityCounts[rule.priority]! - 1
        priorityCounts[rule.priority] = n == 0 ? nil : n
        if n == 0 && rule.priority == maxPriority { maxPriority = priorityCounts.keys.max() ?? .min }
    }

    /// The rule with exactly `match` and `priority` visible at `version`.
    func find(_ match: Match, priority: Int, version: ClassifierVersion) -> ClassifierRule? {
        var rule = buckets[stageHashes(match.key).last!]
        let probe = CompactMatch(match)
        while let r = rule {
            if r.priority == priority && r.isVisible(in: version) && r.compactMatch == probe { return r }
            rule = r.nextInBucket
        }
        return nil
    }

    // MARK: Lookup

    /// The highest-priority rule visible at `version` that `key` matches,
    /// un-wildcarding in `wildcards` the bits the answer depends on.
    @inline(__always)
    func lookup(_ key: borrowing FlowKey, version: ClassifierVersion, tries: [ClassifierTrie],
                context: inout ClassifierTrieContext, wildcards: inout FlowMask) -> ClassifierRule? {
        let k = key.words.span
        var s: UInt64 = 0, j = 0
        let last = stageIDs.count - 1
        for p in 0...last {
            if !tries.isEmpty, skipByTries(position: p, key: k, tries: tries, context: &context, wildcards: &wildcards) {
                if p > 0 { fold(through: stageEnds[p - 1], into: &wildcards) }
                return nil
            }
            let end = stageEnds[p]
            while j < end {
                s &+= Self.step(k[words[j]] & wordMasks[j], constants[j])
                j &+= 1
            }
            let h = Self.finish(s, stage: p)
            if p < last {
                if !stageIndex.contains(h) {
                    fold(through: end, into: &wildcards)
                    return nil
                }
            } else {
                var candidate = buckets[h]
                while let rule = candidate {
                    if rule.isVisible(in: version), matchesSignificantWords(k, rule) {
                        fold(through: end, into: &wildcards)
                        return rule
                    }
                    candidate = rule.nextInBucket
                }
                if portsPrefixLength > 0 {
                    foldMissWithPorts(k, through: end, into: &wildcards)
                } else {
                    fold(through: end, into: &wildcards)
                }
                return nil
            }
        }
        return nil
    }

    /// OVS's `check_tries`: true if a trie shows that no rule of this
    /// subtable can match, after un-wildcarding the bits that showed it.
    @inline(__always)
    private func skipByTries(position p: Int, key: Span<UInt64>, tries: [ClassifierTrie],
                             context: inout ClassifierTrieContext, wildcards: inout FlowMask) -> Bool {
        for t in 0..<tries.count where trieStagePositions[t] == p {
            let length = triePrefixLengths[t]
            guard length > 0 else { continue }
            let bit: UInt8 = 1 << UInt8(t)
            if context.done & bit == 0 {
                let field = tries[t].field
                if let ethType = field.prerequisiteEthType {
                    // The prerequisite is read: its bits matter (OVS's xlate
                    // has them un-wildcarded already).
                    wildcards[.ethType] = 0xffff
                    if key[FlowField.ethType.word] >> UInt64(FlowField.ethType.shift) & 0xffff != UInt64(ethType) {
                        context.lengths[t] = ~0     // every length may match: no skipping
                        context.bitsExamined[t] = 0
                        context.done |= bit
                        continue
                    }
                }
                let r = tries[t].lookup(field.value(key))
                context.lengths[t] = r.lengths
                context.bitsExamined[t] = r.bitsExamined
                context.done |= bit
            }
            guard context.lengths[t] & (1 << UInt128(length - 1)) == 0 else { continue }
            let bits = context.bitsExamined[t]
            // Skip only if that un-wildcards no more than this subtable would.
            if bits <= length {
                tries[t].field.setPrefixBits(bits, in: &wildcards)
                return true
            }
            if tries[t].field.hasPrefixBits(bits, in: wildcards) { return true }
        }
        return false
    }

    /// True if `key` (its words in `k`) agrees with `rule` on this subtable's mask.
    @inline(__always)
    private func matchesSignificantWords(_ k: Span<UInt64>, _ rule: ClassifierRule) -> Bool {
        let r = rule.compactMatch     // its keys in `words` order
        var d: UInt64 = 0
        for j in 0..<words.count {
            d |= (k[words[j]] & wordMasks[j]) ^ r.key(j)
        }
        return d == 0
    }

    /// A miss in the final stage of a subtable with port bits (OVS's ports
    /// trie): instead of every port bit, only those the ports trie needed to
    /// tell that no rule's ports match. The stage's other bits are
    /// un-wildcarded whole (OVS leaves them out; they are needed when the
    /// ports match but another field of the stage does not).
    private func foldMissWithPorts(_ k: Span<UInt64>, through end: Int, into wildcards: inout FlowMask) {
        let ports = ClassifierPrefixField.transportPorts
        let examined = portsTrie.lookup(ports.value(k) & portsMask).bitsExamined
        let keep = portsMask & (examined == 0 ? 0 : ~UInt128(0) << UInt128(128 - examined))
        var w = wildcards.words.mutableSpan
        let portBits = FlowField.transportSource.wordMask | FlowField.transportDestination.wordMask
        for j in 0..<end {
            let i = words[j]
            w[i] |= i == ports.word ? wordMasks[j] & ~portBits : wordMasks[j]
        }
        w[ports.word] |= UInt64(truncatingIfNeeded: keep >> 96) << UInt64(ports.shift)
    }

    /// ORs the mask's first `end` significant words into `wildcards`.
    @inline(__always)
    private func fold(through end: Int, into wildcards: inout FlowMask) {
        var w = wildcards.words.mutableSpan
        for j in 0..<end { w[words[j]] |= wordMasks[j] }
    }

    /// ORs `mask` into `wildcards`.
    @inline(__always)
    static func fold(_ mask: FlowMask, into wildcards: inout FlowMask) {
        var w = wildcards.words.mutableSpan
        let m = mask.words.span
        for i in 0..<FlowKey.wordCount { w[i] |= m[i] }
    }
}
