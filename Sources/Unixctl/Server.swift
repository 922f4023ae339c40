#if canImport(Glibc)
import Glibc
#endif
import Logging
import OVSDB

/// The control server (`unixctl_server`): JSON-RPC 1.0 over a unix stream
/// socket, one thread accepting and one per connection, commands from a
/// `UnixctlCommands` registry.
///
/// A connection sends requests one at a time and gets each reply in turn.
/// Input that is not JSON, or not a request, gets an error reply (id null)
/// and closes that connection only; the server goes on.
public final class UnixctlServer: @unchecked Sendable {
    /// The socket's path.
    public let path: String
    public let commands: UnixctlCommands
    /// The most connections served at once; more are closed on accept.
    public let connectionLimit: Int

    private let lock = UnixctlLock()
    private var listener: Int32
    private var stopping = false
    private var connections = 0
    /// Requests being answered (stop waits for their replies).
    private var busy = 0
    private let logger: Logger

    /// Listens on `path` (a stale socket file there is replaced).
    public init(path: String, commands: UnixctlCommands, connectionLimit: Int = 64,
                logger: Logger = Logger(label: "unixctl")) throws(SystemError) {
        self.path = path
        self.commands = commands
        self.connectionLimit = connectionLimit
        self.logger = logger
        listener = try UnixSocket.listen(path: path)
    }

    /// Starts accepting connections on a thread of its own.
    public func start() {
        DetachedThread.start(name: "unixctl") { [self] in acceptLoop() }
    }

    /// Stops accepting, removes the socket file, lets replies being sent
    /// (the `exit` command's own) go out; open connections end within a poll
    /// interval.
    public func stop() {
        var waits = 0
        while waits < 200, lock.withLock({ busy > 0 }) {
            usleep(5000)
            waits += 1
        }
        let fd: Int32 = lock.withLock {
            let fd = listener
            stopping = true
            listener = -1
            return fd
        }
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// The number of connections being served.
    public var connectionCount: Int { lock.withLock { connections } }

    private func acceptLoop() {
        while true {
            let fd = lock.withLock { listener }
            guard fd >= 0 else { return }
            guard UnixSocket.waitReadable(fd, milliseconds: 100) else { continue }
            guard !isStopping, let connection = UnixSocket.accept(fd) else { continue }
            let admitted = lock.withLock { () -> Bool in
                guard connections < connectionLimit else { return false }
                connections += 1
                return true
            }
            guard admitted else {
                logger.warning("\(path): too many connections, closing a new one")
                close(connection)
                continue
            }
            let started = DetachedThread.start(name: "unixctl-conn") { [self] in
                serve(connection)
                close(connection)
                lock.withLock { connections -= 1 }
            }
            if !started {
                logger.warning("\(path): cannot start a thread, closing a new connection")
                close(connection)
                lock.withLock { connections -= 1 }
            }
        }
    }

    /// Reads requests from `fd` and answers them until the peer closes, sends
    /// something that is not a request, or the server stops.
    private func serve(_ fd: Int32) {
        var splitter = JSONFramer(maxMessageSize: 16 << 20)
        while !isStopping {
            guard UnixSocket.waitReadable(fd, milliseconds: 100) else { continue }
            let bytes: [UInt8]
            do {
                bytes = try UnixSocket.read(fd)
            } catch {
                return
            }
            if bytes.isEmpty { return }
            var texts: [[UInt8]] = []
            var failure: String?
            do {
                try splitter.feed(bytes, into: &texts)
            } catch {
                failure = error.description
            }
            for text in texts {
                guard respond(to: text, on: fd) else { return }
            }
            if let failure {
                logger.warning("\(path): closing connection: \(failure)")
                _ = send(.error(error: .string(failure), id: .null), on: fd)
                return
            }
        }
    }

    /// Answers one message; false when the connection must close.
    private func respond(to text: [UInt8], on fd: Int32) -> Bool {
        let message: UnixctlMessage
        do {
            message = try UnixctlMessage(json: try JSON.parse(text))
        } catch let error as UnixctlError {
            logger.warning("\(path): invalid message: \(error)")
            _ = send(.error(error: .string(error.message), id: .null), on: fd)
            return false
        } catch {
            logger.warning("\(path): \(error)")
            _ = send(.error(error: .string("\(error)"), id: .null), on: fd)
            return false
        }
        guard case let .request(method, params, id) = message else {
            logger.warning("\(path): received unexpected message, closing connection")
            return false
        }
        logger.debug("received request \(method)\(JSON.array(params).text), id=\(id.text)")
        lock.withLock { busy += 1 }
        defer { lock.withLock { busy -= 1 } }
        switch commands.execute(method: method, params: params) {
        case .success(let text): return send(.reply(result: .string(text), id: id), on: fd)
        case .failure(let error): return send(.error(error: .string(error.message), id: id), on: fd)
        }
    }

    private func send(_ message: UnixctlMessage, on fd: Int32) -> Bool {
        do {
            try UnixSocket.writeAll(fd, message.bytes)
            return true
        } catch {
            return false
        }
    }
}
