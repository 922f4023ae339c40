import Flow

/// The 255 OpenFlow tables of a bridge, versioned as one (OVS's
/// `ofproto->tables` with `tables_version`).
///
/// **Concurrency.** Handler threads look up in `read` sections; flow-mods
/// run in `transaction`s. A readers-writer lock (writer-preferring) guards
/// the tables: a read section holds it shared, and each change of a
/// transaction holds it exclusively for that change only. Versions make a
/// transaction's changes visible at once: they are made in the version
/// after the published one, which readers do not look at, and the commit
/// publishes that version in one step. Rules a transaction removed are
/// freed at commit, when no read section can still use the old version.
///
/// Cost: one uncontended lock acquisition and release per read section
/// (tens of nanoseconds; take one section per translation, not per table
/// lookup), and readers wait while one change is applied (microseconds; a
/// bulk add takes the lock per chunk of rules). Readers never see a
/// half-applied transaction. A thread must not start a transaction inside
/// a read section or another transaction, nor nest read sections (the
/// locks are not recursive).
public final class OpenFlowPipeline<Actions: Sendable>: @unchecked Sendable {
    /// Tables 0...254.
    public static var tableCount: Int { 255 }

    let lock = ClassifierLock()
    /// Serialises transactions (one writer at a time).
    private let writerLock = ClassifierLock()
    let tables: [OpenFlowTable<Actions>]
    /// The version readers look up at. Written under `lock` (exclusive).
    private var published = ClassifierVersion(rawValue: 1)

    /// 255 empty tables, each with prefix tries on `prefixFields`.
    public init(prefixFields: [ClassifierPrefixField] = ClassifierPrefixField.defaults) {
        tables = (0..<Self.tableCount).map {
            OpenFlowTable(id: OpenFlowTableID(UInt8($0)), prefixFields: prefixFields)
        }
    }

    /// The published version.
    public var version: ClassifierVersion { lock.withReadLock { published } }

    /// Runs `body` with a consistent view of the published version.
    ///
    /// The reader must not escape `body`. Rules it returns may be kept:
    /// they are immutable but for their counters.
    public func read<R, E: Error>(_ body: (OpenFlowPipelineReader<Actions>) throws(E) -> R) throws(E) -> R {
        try lock.withReadLock { () throws(E) -> R in
            try body(OpenFlowPipelineReader(tables: tables, version: published))
        }
    }

    /// `read` at `version` if it is older than the published one (a
    /// translation that added rules with `learn` keeps looking up at the
    /// version it started with, as OVS's `xin->tables_version`). Rules that
    /// later transactions removed may be gone from such a view.
    public func read<R, E: Error>(at version: ClassifierVersion?,
                                  _ body: (OpenFlowPipelineReader<Actions>) throws(E) -> R) throws(E) -> R {
        try lock.withReadLock { () throws(E) -> R in
            try body(OpenFlowPipelineReader(tables: tables, version: version.map { min($0, published) } ?? published))
        }
    }

    /// Runs `body` as one transaction: its changes become visible together
    /// when it returns, or are all undone if it throws.
    public func transaction<R, E: Error>(_ body: (OpenFlowTransaction<Actions>) throws(E) -> R) throws(E) -> R {
        try writerLock.withWriteLock { () throws(E) -> R in
            let next = published.next          // only transactions change it
            let tx = OpenFlowTransaction(pipeline: self, version: next)
            do throws(E) {
                let result = try body(tx)
                tx.flushLearnedCookies()
                lock.withWriteLock {
                    published = next
                    for rule in tx.journal.hidden { tables[Int(OpenFlowTable<Actions>.cast(rule).table.rawValue)].collect(rule) }
                }
                tx.isOpen = false
                return result
            } catch {
                lock.withWriteLock {
                    // Visibility first: a rule both added and hidden by
                    // this transaction is then removed with the additions.
                    for rule in tx.journal.hidden {
                        tables[Int(OpenFlowTable<Actions>.cast(rule).table.rawValue)].revertHide(rule)
                    }
                    for rule in tx.journal.added.reversed() {
                        tables[Int(OpenFlowTable<Actions>.cast(rule).table.rawValue)].revertInsert(rule)
                    }
                }
                tx.isOpen = false
                throw error
            }
        }
    }

    /// Table `id`'s configuration and counts (not its rules: use `read`).
    public func table(_ id: OpenFlowTableID) -> OpenFlowTable<Actions> { tables[Int(id.rawValue)] }

    /// Sets what table `id` does on a miss.
    public func setMissBehavior(_ miss: OpenFlowTableMiss, table id: OpenFlowTableID) {
        lock.withWriteLock { tables[Int(id.rawValue)].missBehavior = miss }
    }

    /// Sets table `id`'s name and flow limit (`Flow_Table` `name`, `flow_limit`).
    public func configure(table id: OpenFlowTableID, name: String?, maxFlows: Int = .max) {
        lock.withWriteLock {
            tables[Int(id.rawValue)].name = name
            tables[Int(id.rawValue)].maxFlows = maxFlows
        }
    }

    /// Sets table `id`'s prefix fields (`Flow_Table` `prefixes`).
    public func setPrefixFields(_ fields: [ClassifierPrefixField], table id: OpenFlowTableID) {
        lock.withWriteLock { tables[Int(id.rawValue)].classifier.setPrefixFields(fields) }
    }
}

/// A consistent view of an `OpenFlowPipeline` at one version, valid inside
/// the `read` section that made it.
public struct OpenFlowPipelineReader<Actions: Sendable> {
    let tables: [OpenFlowTable<Actions>]
    /// The version every lookup of this reader uses.
    public let version: ClassifierVersion

    /// The highest-priority rule of `table` that `key` matches; the bits of
    /// `key` the answer depended on are set in `wildcards`.
    @inline(__always)
    public func lookup(table: OpenFlowTableID, _ key: borrowing FlowKey,
                       wildcards: inout FlowMask) -> OpenFlowRule<Actions>? {
        tables[Int(table.rawValue)].lookup(key, version: version, wildcards: &wildcards)
    }

    /// What `table` does on a miss.
    public func missBehavior(of table: OpenFlowTableID) -> OpenFlowTableMiss { tables[Int(table.rawValue)].missBehavior }

    /// The rules of `table` (every table if `.all`) selected by `criteria`,
    /// for dumps and statistics; classifier order within a table.
    public func rules(in table: OpenFlowTableID, matching criteria: OpenFlowRuleCriteria<Actions> = .all)
        -> [OpenFlowRule<Actions>] {
        let ids = table == .all ? Array(0..<tables.count) : [Int(table.rawValue)]
        return ids.flatMap { tables[$0].select(criteria, version: version) }
    }

    /// Visible rules in `table`.
    public func ruleCount(in table: OpenFlowTableID) -> Int {
        tables[Int(table.rawValue)].rules(visibleIn: version).count
    }
}

/// The flow-mods of one `OpenFlowPipeline.transaction`, made in the version
/// after the published one. Each call takes the pipeline's write lock for
/// its own duration only. Valid only inside the transaction's closure.
public final class OpenFlowTransaction<Actions: Sendable> {
    private unowned let pipeline: OpenFlowPipeline<Actions>
    /// The version the changes are made in (published at commit).
    public let version: ClassifierVersion
    var journal = OpenFlowJournal()
    var isOpen = true

    init(pipeline: OpenFlowPipeline<Actions>, version: ClassifierVersion) {
        self.pipeline = pipeline
        self.version = version
    }

    private func table(_ id: OpenFlowTableID) throws(OpenFlowTableError) -> OpenFlowTable<Actions> {
        precondition(isOpen, "transaction used after it ended")
        guard id != .all else { throw .badTableID }
        return pipeline.tables[Int(id.rawValue)]
    }

    /// Adds a rule to `table` (OpenFlow's `OFPFC_ADD`).
    @discardableResult
    public func add(_ spec: OpenFlowRuleSpec<Actions>, table id: OpenFlowTableID,
                    now: Duration) throws(OpenFlowTableError) -> OpenFlowRule<Actions> {
        let t = try table(id)
        return try pipeline.lock.withWriteLock { () throws(OpenFlowTableError) -> OpenFlowRule<Actions> in
            try t.add(spec, version: version, now: now, journal: &journal)
        }
    }

    /// Adds many rules to `table`, taking the write lock once per chunk of
    /// `chunk` rules. Stops at the first error (earlier rules stay in the
    /// transaction).
    public func add(contentsOf specs: [OpenFlowRuleSpec<Actions>], table id: OpenFlowTableID, now: Duration,
                    chunk: Int = 4096) throws(OpenFlowTableError) {
        let t = try table(id)
        var start = 0
        while start < specs.count {
            let end = min(specs.count, start + chunk)
            try pipeline.lock.withWriteLock { () throws(OpenFlowTableError) in
                for i in start..<end { _ = try t.add(specs[i], version: version, now: now, journal: &journal) }
            }
            start = end
        }
    }

    /// Modifies the rules of `table` (every table if `.all`) that `criteria`
    /// selects (`OFPFC_MODIFY`, or `_STRICT` with `criteria.strictPriority`);
    /// adds `addIfNone` if none is selected (as OVS does when the
    /// flow-mod does not filter on the cookie). Returns the new rules.
    @discardableResult
    public func modify(table id: OpenFlowTableID, _ criteria: OpenFlowRuleCriteria<Actions>, actions: Actions,
                       newCookie: UInt64? = nil, resetCounts: Bool = false,
                       addIfNone: OpenFlowRuleSpec<Actions>? = nil,
                       now: Duration) throws(OpenFlowTableError) -> [OpenFlowRule<Actions>] {
        precondition(isOpen, "transaction used after it ended")
        let ids = id == .all ? Array(0..<OpenFlowPipeline<Actions>.tableCount) : [Int(id.rawValue)]
        var result: [OpenFlowRule<Actions>] = []
        var anySelected = false
        try pipeline.lock.withWriteLock { () throws(OpenFlowTableError) in
            for i in ids {
                let changed = try pipeline.tables[i].modify(criteria, actions: actions, newCookie: newCookie,
                                                            resetCounts: resetCounts, addIfNone: nil,
                                                            version: version, now: now, journal: &journal)
                anySelected = anySelected || !changed.isEmpty
                result += changed
            }
        }
        if !anySelected, let spec = addIfNone, criteria.cookieMask == 0, newCookie != .max, id != .all {
            result.append(try add(spec, table: id, now: now))
        }
        return result
    }

    /// Deletes the rules of `table` (every table if `.all`) that `criteria`
    /// selects (`OFPFC_DELETE`, or `_STRICT`). Returns them (for
    /// flow-removed messages: see each rule's `flags`).
    @discardableResult
    public func delete(table id: OpenFlowTableID, _ criteria: OpenFlowRuleCriteria<Actions>) -> [OpenFlowRule<Actions>] {
        precondition(isOpen, "transaction used after it ended")
        let ids = id == .all ? Array(0..<OpenFlowPipeline<Actions>.tableCount) : [Int(id.rawValue)]
        return pipeline.lock.withWriteLock {
            ids.flatMap { pipeline.tables[$0].delete(criteria, version: version, journal: &journal) }
        }
    }

    /// Replaces `old` (visible in this transaction's version) by a rule with
    /// `spec`, keeping its times and counters (see `OpenFlowTable.replace`);
    /// nil if `old` is no longer there.
    @discardableResult
    public func replace(_ old: OpenFlowRule<Actions>, with spec: OpenFlowRuleSpec<Actions>,
                        modified: Duration? = nil) -> OpenFlowRule<Actions>? {
        precondition(isOpen, "transaction used after it ended")
        return pipeline.lock.withWriteLock {
            guard old.isVisible(in: version), old.isInClassifier else { return nil }
            return pipeline.tables[Int(old.table.rawValue)].replace(old, with: spec, modified: modified,
                                                                    version: version, journal: &journal)
        }
    }

    /// Removes every rule whose idle or hard timeout has passed at `now`
    /// (`used` and `modified` compared with the timeouts, as OVS's
    /// `rule_expire`). Returns them with the reason.
    @discardableResult
    public func expire(now: Duration) -> [(rule: OpenFlowRule<Actions>, reason: OpenFlowRemovalReason)] {
        precondition(isOpen, "transaction used after it ended")
        return pipeline.lock.withWriteLock {
            pipeline.tables.flatMap { $0.expire(now: now, version: version, journal: &journal) }
        }
    }

    /// A view of the transaction's own version (its changes included), for
    /// lookups and checks before the commit. Do not keep it.
    public func withPreview<R>(_ body: (OpenFlowPipelineReader<Actions>) -> R) -> R {
        pipeline.lock.withReadLock { body(OpenFlowPipelineReader(tables: pipeline.tables, version: version)) }
    }
}
