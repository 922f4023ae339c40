import Flow

/// How `FlowTable.put` may change the table (`enum dpif_flow_put_flags`).
public struct FlowPutFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Create the flow if it does not exist (`DPIF_FP_CREATE`).
    public static let create = FlowPutFlags(rawValue: 1 << 0)
    /// Change the actions of an existing flow (`DPIF_FP_MODIFY`).
    public static let modify = FlowPutFlags(rawValue: 1 << 1)
    /// Zero the existing flow's counters (`DPIF_FP_ZERO_STATS`).
    public static let zeroStats = FlowPutFlags(rawValue: 1 << 2)
    /// A feature probe: failures are expected (`DPIF_FP_PROBE`).
    public static let probe = FlowPutFlags(rawValue: 1 << 3)
}

/// Why a flow-table operation failed, with the errno OVS returns.
public enum FlowTableError: Error, Hashable, Sendable {
    /// The flow exists and `modify` was not asked (`EEXIST`).
    case exists
    /// No such flow, or it does not exist and `create` was not asked (`ENOENT`).
    case notFound
    /// The table holds `limit` flows already (`EFBIG`).
    case full
    /// Neither `create` nor `modify` applies (`EINVAL`).
    case invalid

    /// The errno value.
    public var errno: Int32 {
        switch self {
        case .exists: 17
        case .notFound: 2
        case .full: 27
        case .invalid: 22
        }
    }
}

/// What a successful put did.
public enum FlowPutResult: Sendable {
    /// Added a new flow.
    case created
    /// Changed an existing flow's actions; its previous state.
    case modified(previous: FlowRecord)
}

/// A position in a flow dump (OVS's dump cursor): start with `.start`,
/// continue with the `next` a page returned. A dump that runs while flows
/// are deleted may miss or repeat a flow (as OVS's may); never crashes.
public struct FlowDumpCursor: Hashable, Sendable {
    public var position: Int
    public static let start = FlowDumpCursor(position: 0)
    public init(position: Int) { self.position = position }
}

/// The datapath's authoritative flow table: every flow by UFID, with the
/// `dpif_flow_put` semantics and the flow limit. It holds no packet state;
/// each change it accepts is returned as a `FlowTableChange` that the
/// caller sends to every poll thread (which own the caches and counters).
public struct FlowTable {
    /// The most flows the table holds (OVS's `MAX_FLOWS`, 65,536).
    public var limit: Int
    private var entries: [FlowRecord?] = []
    private var indexByUFID: [UInt128: Int] = [:]
    private var ufidByMatch: [Match: UInt128] = [:]

    public init(limit: Int = 65_536) { self.limit = limit }

    /// Flows in the table.
    public var count: Int { indexByUFID.count }

    /// The flow `ufid`, if any.
    public func record(ufid: UInt128) -> FlowRecord? {
        indexByUFID[ufid].flatMap { entries[$0] }
    }

    /// The flow with exactly this match, if any.
    public func record(key: FlowKey, mask: FlowMask) -> FlowRecord? {
        ufidByMatch[Match(key: key, mask: mask)].flatMap { record(ufid: $0) }
    }

    /// Installs or changes `record` as `flags` allow. A flow exists if it
    /// has the record's UFID or its exact match. Returns what changed and
    /// the change for the poll threads.
    public mutating func put(_ record: FlowRecord, flags: FlowPutFlags)
        throws(FlowTableError) -> (result: FlowPutResult, change: FlowTableChange)
    {
        let match = Match(key: record.key, mask: record.mask)
        let existing = indexByUFID[record.ufid] ?? ufidByMatch[match].flatMap { indexByUFID[$0] }
        if let index = existing, let previous = entries[index] {
            guard flags.contains(.modify) else { throw flags.contains(.create) ? .exists : .invalid }
            entries[index]!.actions = record.actions
            return (.modified(previous: previous),
                    .modify(ufid: previous.ufid, actions: record.actions,
                            clearCounters: flags.contains(.zeroStats)))
        }
        guard flags.contains(.create) else { throw .notFound }
        guard count < limit else { throw .full }
        indexByUFID[record.ufid] = entries.count
        ufidByMatch[match] = record.ufid
        entries.append(record)
        return (.created, .install(record))
    }

    /// Removes the flow `ufid`; returns it and the change for the threads.
    public mutating func remove(ufid: UInt128) throws(FlowTableError) -> (record: FlowRecord, change: FlowTableChange) {
        guard let index = indexByUFID.removeValue(forKey: ufid), let record = entries[index] else {
            throw .notFound
        }
        entries[index] = nil
        ufidByMatch[Match(key: record.key, mask: record.mask)] = nil
        compactIfSparse()
        return (record, .remove(ufid: ufid))
    }

    /// Removes every flow; returns the change for the threads.
    public mutating func removeAll() -> FlowTableChange {
        entries = []
        indexByUFID = [:]
        ufidByMatch = [:]
        return .flush
    }

    /// Up to `maxCount` flows from `cursor` on, and the cursor of the next
    /// page (`nil` when the dump is complete).
    public func page(from cursor: FlowDumpCursor, maxCount: Int) -> (records: [FlowRecord], next: FlowDumpCursor?) {
        var out: [FlowRecord] = []
        var i = max(0, cursor.position)
        while i < entries.count && out.count < maxCount {
            if let r = entries[i] { out.append(r) }
            i += 1
        }
        while i < entries.count && entries[i] == nil { i += 1 }
        return (out, i < entries.count ? FlowDumpCursor(position: i) : nil)
    }

    private mutating func compactIfSparse() {
        let holes = entries.count - indexByUFID.count
        guard holes > 1024, holes > indexByUFID.count else { return }
        let live: [FlowRecord] = entries.compactMap { $0 }
        entries = live.map { Optional($0) }
        for (i, r) in live.enumerated() { indexByUFID[r.ufid] = i }
    }
}
