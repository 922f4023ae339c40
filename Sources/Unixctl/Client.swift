#if canImport(Glibc)
import Glibc
#endif
import OVSDB

/// A client of a control server (`unixctl_client_create`,
/// `unixctl_client_transact`): what `svs appctl` uses.
public final class UnixctlClient {
    public let path: String
    private let fd: Int32
    private var nextID: Int64 = 0
    private var splitter = JSONFramer(maxMessageSize: 16 << 20)
    private var queued: [[UInt8]] = []

    /// Connects to the socket at `path`.
    public init(path: String) throws(SystemError) {
        self.path = path
        fd = try UnixSocket.connect(path: path)
    }

    deinit { close(fd) }

    /// What went wrong talking to the server (not a command's own error).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case system(SystemError)
        case timeout
        case closed
        case protocolError(String)

        public var description: String {
            switch self {
            case .system(let e): e.reason
            case .timeout: "Connection timed out"
            case .closed: "End of file"
            case .protocolError(let s): s
            }
        }
    }

    /// Sends `method` with string `arguments` and waits (at most `timeout`
    /// milliseconds, -1: forever) for the reply: the command's output or its
    /// error text.
    public func transact(_ method: String, _ arguments: [String],
                         timeout: Int32 = -1) throws(Failure) -> Result<String, UnixctlError> {
        let id = JSON.int(nextID)
        nextID += 1
        let request = UnixctlMessage.request(method: method, params: arguments.map { .string($0) }, id: id)
        do {
            try UnixSocket.writeAll(fd, request.bytes)
        } catch {
            throw .system(error)
        }
        while true {
            let text = try nextValue(timeout: timeout)
            let reply: UnixctlMessage
            do {
                reply = try UnixctlMessage(json: try JSON.parse(text))
            } catch {
                throw .protocolError("\(error)")
            }
            switch reply {
            case let .reply(result, replyID) where replyID == id:
                guard let s = result.stringValue else { throw .protocolError("unexpected result type in JSON rpc reply") }
                return .success(s)
            case let .error(error, replyID) where replyID == id || replyID == .null:
                guard let s = error.stringValue else { throw .protocolError("unexpected error type in JSON RPC reply") }
                return .failure(UnixctlError(s))
            default:
                continue
            }
        }
    }

    private func nextValue(timeout: Int32) throws(Failure) -> [UInt8] {
        while queued.isEmpty {
            guard UnixSocket.waitReadable(fd, milliseconds: timeout) else { throw .timeout }
            let bytes: [UInt8]
            do {
                bytes = try UnixSocket.read(fd)
            } catch {
                throw .system(error)
            }
            if bytes.isEmpty { throw .closed }
            do {
                try splitter.feed(bytes, into: &queued)
            } catch {
                throw .protocolError(error.description)
            }
        }
        return queued.removeFirst()
    }
}

/// Where `ovs-appctl` finds a daemon's control socket.
public enum UnixctlTarget {
    /// The run directory: `OVS_RUNDIR`, else `/var/run/openvswitch`.
    public static var runDirectory: String {
        if let d = getenv("OVS_RUNDIR"), d.pointee != 0 { return String(cString: d) }
        return "/var/run/openvswitch"
    }

    /// The socket path for `target`: a path (starting with `/`) as is;
    /// otherwise a program name, whose pid is read from
    /// `RUNDIR/TARGET.pid`, giving `RUNDIR/TARGET.PID.ctl`.
    public static func socketPath(for target: String, runDirectory: String = runDirectory) throws(UnixctlError) -> String {
        if target.hasPrefix("/") { return target }
        let pidfile = "\(runDirectory)/\(target).pid"
        switch Pidfile.read(pidfile) {
        case .success(let pid): return "\(runDirectory)/\(target).\(pid).ctl"
        case .failure(let e): throw UnixctlError("cannot read pidfile \"\(pidfile)\" (\(e.reason))")
        }
    }
}
