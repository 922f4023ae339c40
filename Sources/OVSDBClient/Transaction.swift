import OVSDB

/// One clause of a `where`: `[column, function, value]` (RFC 7047 5.1).
public struct Condition: Sendable {
    public var column: String
    public var function: String
    public var value: JSON
    public init(_ column: String, _ function: String, _ value: JSON) {
        self.column = column
        self.function = function
        self.value = value
    }
    /// `_uuid == uuid`.
    public static func uuid(_ u: UUID) -> Condition { Condition("_uuid", "==", Atom.uuid(u).json) }
    public var json: JSON { .array([.string(column), .string(function), value]) }
}

/// One mutation: `[column, mutator, value]` (RFC 7047 5.1).
public struct Mutation: Sendable {
    public var column: String
    public var mutator: String
    public var value: JSON
    public init(_ column: String, _ mutator: String, _ value: JSON) {
        self.column = column
        self.mutator = mutator
        self.value = value
    }
    public var json: JSON { .array([.string(column), .string(mutator), value]) }
}

/// Builds the operations of one RFC 7047 transaction.
///
/// ```swift
/// var t = Transaction(database: "Open_vSwitch")
/// let br = t.insert("Bridge", ["name": .string("br0")], uuidName: "br")
/// t.mutate("Open_vSwitch", where: [], [Mutation("bridges", "insert", br)])
/// let result = try client.transact(t)   // result.insertedUUIDs["br"]
/// ```
public struct Transaction: Sendable {
    public var database: String
    public private(set) var operations: [JSON] = []
    /// uuid-name to the index of its insert operation.
    public private(set) var namedInserts: [String: Int] = [:]

    public init(database: String) { self.database = database }

    /// Appends a raw operation.
    public mutating func append(_ op: JSON) { operations.append(op) }

    /// Inserts a row; returns `["named-uuid", uuidName]` to reference it
    /// from later operations of the same transaction.
    @discardableResult
    public mutating func insert(_ table: String, _ row: [String: JSON], uuidName: String? = nil) -> JSON {
        var op: [(String, JSON)] = [("op", .string("insert")), ("table", .string(table)), ("row", Transaction.row(row))]
        if let uuidName {
            op.append(("uuid-name", .string(uuidName)))
            namedInserts[uuidName] = operations.count
        }
        operations.append(.object(op))
        return uuidName.map { .array([.string("named-uuid"), .string($0)]) } ?? .null
    }

    /// Selects `columns` (all when nil) of the rows matching `conditions`.
    public mutating func select(_ table: String, where conditions: [Condition], columns: [String]? = nil) {
        var op: [(String, JSON)] = [("op", .string("select")), ("table", .string(table)),
                                    ("where", .array(conditions.map(\.json)))]
        if let columns { op.append(("columns", .array(columns.map { .string($0) }))) }
        operations.append(.object(op))
    }

    /// Sets columns of the rows matching `conditions`.
    public mutating func update(_ table: String, where conditions: [Condition], _ row: [String: JSON]) {
        operations.append(.object([("op", .string("update")), ("table", .string(table)),
                                   ("where", .array(conditions.map(\.json))), ("row", Transaction.row(row))]))
    }

    /// Mutates columns of the rows matching `conditions`.
    public mutating func mutate(_ table: String, where conditions: [Condition], _ mutations: [Mutation]) {
        operations.append(.object([("op", .string("mutate")), ("table", .string(table)),
                                   ("where", .array(conditions.map(\.json))),
                                   ("mutations", .array(mutations.map(\.json)))]))
    }

    /// Deletes the rows matching `conditions`.
    public mutating func delete(_ table: String, where conditions: [Condition]) {
        operations.append(.object([("op", .string("delete")), ("table", .string(table)),
                                   ("where", .array(conditions.map(\.json)))]))
    }

    /// Waits (up to `timeout` ms, 0 = check once) until the rows matching
    /// `conditions`, projected on `columns`, are (`==`) or are not (`!=`) `rows`.
    public mutating func wait(_ table: String, where conditions: [Condition], columns: [String],
                              until: String = "==", rows: [[String: JSON]], timeout: Int? = nil) {
        var op: [(String, JSON)] = [("op", .string("wait")), ("table", .string(table)),
                                    ("where", .array(conditions.map(\.json))),
                                    ("columns", .array(columns.map { .string($0) })),
                                    ("until", .string(until)), ("rows", .array(rows.map(Transaction.row)))]
        if let timeout { op.append(("timeout", .int(Int64(timeout)))) }
        operations.append(.object(op))
    }

    /// Adds a comment to the server's log.
    public mutating func comment(_ text: String) {
        operations.append(.object([("op", .string("comment")), ("comment", .string(text))]))
    }

    static func row(_ r: [String: JSON]) -> JSON {
        .object(r.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
}
