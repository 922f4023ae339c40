import Synchronization
import Flow

/// A version of a classifier's contents (OVS's `ovs_version_t`).
///
/// Every rule is visible in the half-open range of versions
/// `[addedIn, removedIn)`. A lookup happens at one version, so a batch of
/// insertions and removals made "in version v + 1" stays invisible to
/// lookups at `v` and becomes visible, all at once, when the owner starts
/// looking up at `v + 1`.
public struct ClassifierVersion: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The first version.
    public static let min = ClassifierVersion(rawValue: 0)
    /// The removal version of a rule that has not been removed
    /// (`OVS_VERSION_NOT_REMOVED`).
    public static let notRemoved = ClassifierVersion(rawValue: .max)

    /// The version after this one.
    @inlinable public var next: ClassifierVersion { ClassifierVersion(rawValue: rawValue &+ 1) }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue == .max ? "not-removed" : String(rawValue) }
}

/// A rule of a `Classifier`: a match, a priority and the versions it is
/// visible in (OVS's `struct cls_rule`).
///
/// The match and priority never change; to change them, remove the rule and
/// insert a new one. `OpenFlowRule` adds what OpenFlow needs; the classifier
/// works on this base class only, so its lookup is not generic.
///
/// Thread safety: `removedIn` changes only under the owner's write lock
/// (see `OpenFlowPipeline`), never while a lookup runs.
public class ClassifierRule: @unchecked Sendable {
    // The fields a lookup reads come first, in the object's first cache line.
    /// Higher wins. OpenFlow priorities are 0...65535.
    @inline(__always) public var priority: Int { Int(storedPriority) }
    private let storedPriority: Int32
    /// The rule's position in `subtable.members`.
    var memberIndex: Int32 = -1
    /// First version the rule is visible in.
    @exclusivity(unchecked) public internal(set) var addedIn: ClassifierVersion = .min
    /// First version the rule is no longer visible in (`.notRemoved` if none).
    @exclusivity(unchecked) public internal(set) var removedIn: ClassifierVersion = .notRemoved
    /// The next rule with the same bucket hash in its subtable (lower or
    /// equal priority).
    @exclusivity(unchecked) var nextInBucket: ClassifierRule?
    /// The fields the rule matches, in compact form (only the mask's
    /// non-zero words); `match` rebuilds the full match.
    public let compactMatch: CompactMatch

    /// Order of insertion into its classifier (ties broken the same way every run).
    public internal(set) var insertionNumber: UInt64 = 0

    /// The subtable holding the rule, while it is in a classifier.
    unowned(unsafe) var subtable: ClassifierSubtable?

    /// A rule matching `match` at `priority`.
    public init(match: Match, priority: Int) {
        compactMatch = CompactMatch(match)
        storedPriority = Int32(clamping: priority)
    }

    /// The fields the rule matches (key already masked).
    public var match: Match { compactMatch.match }

    /// True while the rule is in a classifier (even if invisible in the
    /// current version).
    public var isInClassifier: Bool { subtable != nil }

    /// True if the rule is visible to lookups at `version`.
    @inlinable @inline(__always)
    public func isVisible(in version: ClassifierVersion) -> Bool {
        addedIn <= version && version < removedIn
    }

    /// True if some packet matches both `self` and `other` (ignores priority).
    public func overlaps(_ other: ClassifierRule) -> Bool {
        let a = compactMatch, b = other.compactMatch
        let common = a.map & b.map
        guard common != 0 else { return true }
        var d: UInt64 = 0
        var bits = common
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            let x = a.index(ofWord: i), y = b.index(ofWord: i)
            d |= (a.key(x) ^ b.key(y)) & a.mask(x) & b.mask(y)
        }
        return d == 0
    }

    /// True if every packet `self` matches also matches `criteria`: the rule
    /// is at least as specific and agrees on every bit `criteria` keeps
    /// (OVS's `cls_rule_is_loose_match`, used by non-strict flow-mods).
    public func isLooseMatch(for criteria: Match) -> Bool {
        let r = compactMatch
        let cm = criteria.mask.words.span, ck = criteria.key.words.span
        var d: UInt64 = 0
        var j = 0
        for i in 0..<FlowKey.wordCount where cm[i] != 0 {
            if r.map & (1 << UInt64(i)) == 0 {
                d |= cm[i]      // the rule does not look at bits the criteria keep
            } else {
                j = r.index(ofWord: i)
                d |= (cm[i] & ~r.mask(j)) | ((r.key(j) ^ ck[i]) & cm[i])
            }
        }
        return d == 0
    }
}

/// A match kept in the memory its mask needs (OVS's `minimatch`): a map of
/// the mask's non-zero words, then those words' keys and masks. A classifier
/// holds one per rule, so 100,000 rules cost kilobytes where full matches
/// (two 58-word arrays) cost megabytes.
///
/// The first four keys are stored inline (most rules have no more: no
/// allocation for them), the rest in `moreKeys`. The masks are shared:
/// every rule of a subtable has the same mask, and equal mask arrays are
/// stored once (`SharedMasks`).
public struct CompactMatch: Hashable, Sendable {
    /// Bit `i` is set when word `i` of the mask is non-zero.
    public let map: UInt64
    private let key0: UInt64, key1: UInt64, key2: UInt64, key3: UInt64
    /// The keys after the fourth.
    private let moreKeys: [UInt64]
    /// The masks of the mapped words, in word order.
    let masks: [UInt64]

    public init(_ match: Match) {
        let k = match.key.words.span, m = match.mask.words.span
        var map: UInt64 = 0
        for i in 0..<FlowKey.wordCount where m[i] != 0 { map |= 1 << UInt64(i) }
        let n = map.nonzeroBitCount
        var inline: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var more = n > 4 ? [UInt64](repeating: 0, count: n - 4) : []
        var masks = [UInt64](repeating: 0, count: n)
        var bits = map, j = 0
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            switch j {
            case 0: inline.0 = k[i]
            case 1: inline.1 = k[i]
            case 2: inline.2 = k[i]
            case 3: inline.3 = k[i]
            default: more[j - 4] = k[i]
            }
            masks[j] = m[i]
            j += 1
        }
        self.map = map
        (key0, key1, key2, key3) = inline
        moreKeys = more
        self.masks = SharedMasks.shared(masks)
    }

    /// How many words the mask has.
    @inlinable public var count: Int { map.nonzeroBitCount }
    /// The key of the `j`th mapped word.
    @inline(__always) func key(_ j: Int) -> UInt64 {
        switch j {
        case 0: key0
        case 1: key1
        case 2: key2
        case 3: key3
        default: moreKeys[j - 4]
        }
    }
    /// The mask of the `j`th mapped word.
    @inline(__always) func mask(_ j: Int) -> UInt64 { masks[j] }
    /// The position among the mapped words of word `i` (which must be mapped).
    @inline(__always) func index(ofWord i: Int) -> Int { (map & ((1 << UInt64(i)) &- 1)).nonzeroBitCount }

    /// The full match.
    public var match: Match {
        var key = FlowKey(), mask = FlowMask.catchAll
        var bits = map, j = 0
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            key.words[i] = self.key(j)
            mask.words[i] = masks[j]
            j += 1
        }
        return Match(key: key, mask: mask)
    }
}

/// Equal mask arrays stored once: a cache of recently seen ones, emptied
/// when full (a table rarely has more than a few hundred distinct masks).
enum SharedMasks {
    static let capacity = 4096
    private static let cache = Mutex<Set<[UInt64]>>([])

    /// `masks`, or an equal array already in use, sharing its storage.
    static func shared(_ masks: [UInt64]) -> [UInt64] {
        cache.withLock { cache in
            if let kept = cache.firstIndex(of: masks).map({ cache[$0] }) { return kept }
            if cache.count >= capacity { cache.removeAll() }
            cache.insert(masks)
            return masks
        }
    }
}
