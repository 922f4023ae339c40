import OVSDB

/// Splits a byte stream into JSON texts, as Open vSwitch's `jsonrpc` reads
/// a stream socket: values follow one another with optional white space
/// between them and no other delimiter. Only objects and arrays may stand
/// at the top level.
public struct JSONStreamSplitter: Sendable {
    /// Bytes of the value being read.
    private var pending: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// The most bytes one value may take.
    public let limit: Int

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// A byte that cannot begin a value.
        case garbage(UInt8)
        /// A closing bracket with nothing open.
        case unbalanced
        /// A value longer than `limit`.
        case tooLong

        public var description: String {
            switch self {
            case .garbage(let b): "syntax error at beginning of input (byte 0x\(String(b, radix: 16)))"
            case .unbalanced: "syntax error: unbalanced bracket"
            case .tooLong: "message too long"
            }
        }
    }

    public init(limit: Int = 16 << 20) { self.limit = limit }

    /// Whether a value has begun and not ended.
    public var isInsideValue: Bool { depth > 0 }

    /// Feeds `bytes`, appending each complete value's bytes to `values`.
    public mutating func feed(_ bytes: some Sequence<UInt8>, into values: inout [[UInt8]]) throws(Failure) {
        for b in bytes {
            if depth == 0 {
                switch b {
                case 0x20, 0x09, 0x0a, 0x0d: continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth = 1
                    pending = [b]
                    continue
                default:
                    throw .garbage(b)
                }
            }
            pending.append(b)
            if pending.count > limit { throw .tooLong }
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    values.append(pending)
                    pending = []
                }
            default: break
            }
        }
    }
}

/// One JSON-RPC 1.0 message of the control protocol.
public enum UnixctlMessage: Equatable, Sendable {
    /// `{"method":M,"params":[...],"id":ID}`.
    case request(method: String, params: [JSON], id: JSON)
    /// `{"method":M,"params":[...],"id":null}` (the control protocol has none).
    case notification(method: String, params: [JSON])
    /// `{"result":R,"error":null,"id":ID}`.
    case reply(result: JSON, id: JSON)
    /// `{"result":null,"error":E,"id":ID}`.
    case error(error: JSON, id: JSON)

    /// Reads a message from its JSON; the text says what is wrong with it.
    public init(json: JSON) throws(UnixctlError) {
        guard let members = json.objectValue else { throw UnixctlError("message is not a JSON object") }
        let known: Set<String> = ["method", "params", "result", "error", "id"]
        if let bad = members.first(where: { !known.contains($0.0) }) {
            throw UnixctlError("message has unexpected member \"\(bad.0)\"")
        }
        let id = json["id"] ?? .null
        if let method = json["method"] {
            guard let name = method.stringValue else { throw UnixctlError("method is not a JSON string") }
            guard let params = json["params"]?.arrayValue else { throw UnixctlError("\"params\" must be JSON array") }
            guard json["result"] == nil, json["error"] == nil else {
                throw UnixctlError("request must not have \"result\" or \"error\"")
            }
            self = id == .null ? .notification(method: name, params: params) : .request(method: name, params: params, id: id)
            return
        }
        guard id != .null else { throw UnixctlError("message has no \"id\"") }
        let error = json["error"] ?? .null
        if error != .null {
            self = .error(error: error, id: id)
        } else if let result = json["result"] {
            self = .reply(result: result, id: id)
        } else {
            throw UnixctlError("reply has neither \"result\" nor \"error\"")
        }
    }

    /// The message as JSON, members in Open vSwitch's order.
    public var json: JSON {
        switch self {
        case let .request(method, params, id):
            .object([("method", .string(method)), ("params", .array(params)), ("id", id)])
        case let .notification(method, params):
            .object([("method", .string(method)), ("params", .array(params)), ("id", .null)])
        case let .reply(result, id):
            .object([("result", result), ("error", .null), ("id", id)])
        case let .error(error, id):
            .object([("result", .null), ("error", error), ("id", id)])
        }
    }

    /// The bytes sent on the socket.
    public var bytes: [UInt8] { Array(json.text.utf8) }
}

/// A command that failed, or a protocol error: the text the client shows.
public struct UnixctlError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
