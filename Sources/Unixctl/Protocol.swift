import OVSDB

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
