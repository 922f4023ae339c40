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
    public let priority: Int
    /// First version the rule is visible in.
    @exclusivity(unchecked) public internal(set) var addedIn: ClassifierVersion = .min
    /// First version the rule is no longer visible in (`.notRemoved` if none).
    @exclusivity(unchecked) public internal(set) var removedIn: ClassifierVersion = .notRemoved
    /// The next rule with the same bucket hash in its subtable (lower or
    /// equal priority).
    @exclusivity(unchecked) var nextInBucket: ClassifierRule?
    /// The fields the rule matches (key already masked).
    public let match: Match

    /// Order of insertion into its classifier (ties broken the same way every run).
    public internal(set) var insertionNumber: UInt64 = 0

    /// The subtable holding the rule, while it is in a classifier.
    unowned(unsafe) var subtable: ClassifierSubtable?
    /// The rule's position in `subtable.members`.
    var memberIndex = -1
    /// The hash of the match under its subtable's mask (the bucket key).
    var bucketHash: UInt64 = 0

    /// A rule matching `match` at `priority`.
    public init(match: Match, priority: Int) {
        self.match = match
        self.priority = priority
    }

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
        let a = match, b = other.match
        let ak = a.key.words.span, am = a.mask.words.span
        let bk = b.key.words.span, bm = b.mask.words.span
        var d: UInt64 = 0
        for i in 0..<FlowKey.wordCount { d |= (ak[i] ^ bk[i]) & am[i] & bm[i] }
        return d == 0
    }

    /// True if every packet `self` matches also matches `criteria`: the rule
    /// is at least as specific and agrees on every bit `criteria` keeps
    /// (OVS's `cls_rule_is_loose_match`, used by non-strict flow-mods).
    public func isLooseMatch(for criteria: Match) -> Bool {
        let rm = match.mask.words.span, cm = criteria.mask.words.span
        let rk = match.key.words.span, ck = criteria.key.words.span
        var d: UInt64 = 0
        for i in 0..<FlowKey.wordCount { d |= (cm[i] & ~rm[i]) | ((rk[i] ^ ck[i]) & cm[i]) }
        return d == 0
    }
}
