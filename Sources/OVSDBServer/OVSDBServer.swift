import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OVSDB

/// The databases a server serves and the JSON-RPC methods on them
/// (RFC 7047 §4.1). Thread-safe: every request runs under one lock.
public final class OVSDBService: @unchecked Sendable {
    private let lock = NIOLock()
    private var files: [String: DatabaseFile] = [:]
    private var order: [String] = []

    public init(databases: [DatabaseFile]) {
        for f in databases {
            let name = f.db.schema.name
            if files[name] == nil { order.append(name) }
            files[name] = f
        }
    }

    public var databaseNames: [String] { lock.withLock { order } }

    /// Handles one JSON-RPC message; returns the reply to send, if any.
    public func handle(_ msg: JSON) -> JSON? {
        guard msg.isObject else {
            return Self.error(.string("invalid JSON-RPC message"), id: .null)
        }
        guard let method = msg["method"] else {
            // A reply (e.g. to an echo we never send) or junk: ignore.
            return nil
        }
        let id = msg["id"] ?? .null
        guard let name = method.stringValue else {
            return Self.error(.string("invalid JSON-RPC message"), id: id)
        }
        // Notifications (null id) get no reply.
        let isNotification = id == .null
        let params = msg["params"] ?? .array([])
        let reply: JSON
        switch name {
        case "echo":
            reply = Self.result(params, id: id)
        case "list_dbs":
            reply = Self.result(.array(databaseNames.map { .string($0) }), id: id)
        case "get_schema":
            reply = withDatabase(params, id: id) { f in Self.result(f.db.schema.json, id: id) }
        case "transact":
            reply = withDatabase(params, id: id) { f in
                do {
                    return Self.result(try f.transact(params: params), id: id)
                } catch {
                    return Self.error(OVSDBError("I/O error", "\(error)").json, id: id)
                }
            }
        default:
            reply = Self.error(.string("unknown method"), id: id)
        }
        return isNotification ? nil : reply
    }

    private func withDatabase(_ params: JSON, id: JSON, _ body: (DatabaseFile) -> JSON) -> JSON {
        guard let a = params.arrayValue, let db = a.first?.stringValue else {
            return Self.error(OVSDBError.syntax("database name expected as first parameter", params).json, id: id)
        }
        return lock.withLock {
            guard let f = files[db] else {
                return Self.error(.string("unknown database"), id: id)
            }
            return body(f)
        }
    }

    static func result(_ r: JSON, id: JSON) -> JSON {
        .object([("id", id), ("result", r), ("error", .null)])
    }

    static func error(_ e: JSON, id: JSON) -> JSON {
        .object([("id", id), ("result", .null), ("error", e)])
    }
}

/// One client connection: frames the byte stream, dispatches each message.
final class OVSDBConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: OVSDBService
    private var framer = JSONFramer()
    private var closed = false

    init(service: OVSDBService) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        var buf = unwrapInboundIn(data)
        let bytes = buf.readBytes(length: buf.readableBytes) ?? []
        var texts: [[UInt8]] = []
        var failure: String?
        do {
            try framer.feed(bytes, into: &texts)
        } catch {
            switch error {
            case .garbage(let b): failure = "invalid character U+\(String(b, radix: 16, uppercase: true)) outside a JSON value"
            case .tooLarge: failure = "message too long"
            }
        }
        for t in texts {
            let msg: JSON
            do {
                msg = try JSON.parse(t)
            } catch {
                failure = error.description
                break
            }
            if let reply = service.handle(msg) { send(reply, context: context) }
        }
        if let failure {
            send(OVSDBService.error(OVSDBError.syntax(failure).json, id: .null), context: context)
            closed = true
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        context.flush()
    }

    private func send(_ reply: JSON, context: ChannelHandlerContext) {
        let text = reply.text
        var out = context.channel.allocator.buffer(capacity: text.utf8.count)
        out.writeString(text)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A JSON-RPC 1.0 OVSDB server over SwiftNIO, listening on `punix:PATH` and
/// `ptcp:PORT[:IP]` endpoints.
public final class OVSDBServer: @unchecked Sendable {
    public let service: OVSDBService
    private let group: MultiThreadedEventLoopGroup
    private let lock = NIOLock()
    private var listeners: [Channel] = []
    private var stopped = false

    public init(databases: [DatabaseFile], threads: Int = 1) {
        self.service = OVSDBService(databases: databases)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    public enum EndpointError: Error, CustomStringConvertible {
        case unsupported(String)
        public var description: String {
            switch self { case .unsupported(let s): return "unsupported listening endpoint \"\(s)\"" }
        }
    }

    /// Starts listening on `endpoint`; returns the bound address (for
    /// `ptcp:0` the port is chosen by the kernel).
    @discardableResult
    public func listen(_ endpoint: String) throws -> SocketAddress? {
        let service = self.service
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OVSDBConnectionHandler(service: service))
                }
            }
        let channel: Channel
        if endpoint.hasPrefix("punix:") {
            let path = String(endpoint.dropFirst("punix:".count))
            channel = try bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        } else if endpoint.hasPrefix("ptcp:") {
            let rest = endpoint.dropFirst("ptcp:".count)
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let port = Int(parts[0]), (0...65535).contains(port) else { throw EndpointError.unsupported(endpoint) }
            var host = parts.count > 1 ? String(parts[1]) : "0.0.0.0"
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            channel = try bootstrap.bind(host: host, port: port).wait()
        } else {
            throw EndpointError.unsupported(endpoint)
        }
        lock.withLock { listeners.append(channel) }
        return channel.localAddress
    }

    /// Closes the listeners and stops the event loops (not from one of them).
    public func stop() {
        let (chans, already) = lock.withLock { () -> ([Channel], Bool) in
            let r = (listeners, stopped)
            listeners = []
            stopped = true
            return r
        }
        if already { return }
        for c in chans { try? c.close().wait() }
        try? group.syncShutdownGracefully()
    }

    deinit {
        if !stopped { try? group.syncShutdownGracefully() }
    }
}
