#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OVSDB

/// Why a client operation failed.
public enum OVSDBClientError: Error, Equatable, CustomStringConvertible {
    /// The remote string is not `unix:PATH` or `tcp:IP:PORT`.
    case badRemote(String)
    /// A system call failed; `errno` says why.
    case system(String, Int32)
    /// The server closed the connection.
    case closed
    /// Nothing arrived before the deadline.
    case timeout
    /// The server sent bytes that are not JSON, or a message that is not JSON-RPC.
    case protocolError(String)
    /// The server answered a request with a JSON-RPC error.
    case rpc(JSON)
    /// A transaction failed; `error` is the RFC 7047 error object of the failing operation.
    case transaction(TransactionFailure)

    public var description: String {
        switch self {
        case .badRemote(let r): return "\(r): unknown remote (use unix:PATH or tcp:IP:PORT)"
        case .system(let what, let e): return "\(what) (\(String(cString: strerror(e))))"
        case .closed: return "connection closed by server"
        case .timeout: return "timed out"
        case .protocolError(let m): return "protocol error: \(m)"
        case .rpc(let j): return "server error: \(j.text)"
        case .transaction(let f): return f.description
        }
    }
}

/// Writes `bytes` to the socket without raising SIGPIPE; the C `send`.
func sendNoSignal(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    #if canImport(Glibc)
    return send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    #else
    return send(fd, bytes.baseAddress, bytes.count, 0)
    #endif
}

/// A blocking stream connection to an OVSDB server that sends and receives
/// whole JSON values (RFC 7047 section 4: JSON-RPC 1.0 over a stream).
public final class JSONStreamConnection {
    let fd: Int32
    /// Splits the received stream into JSON texts.
    var framer = JSONFramer()
    /// Complete texts received and not yet returned.
    var queued: [[UInt8]] = []

    /// Connects to `unix:PATH` or `tcp:IP:PORT` (IPv4 or `[IPv6]`).
    public init(remote: String) throws(OVSDBClientError) {
        if remote.hasPrefix("unix:") {
            let path = String(remote.dropFirst(5))
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw .badRemote(remote) }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
                raw[bytes.count] = 0
            }
            fd = try Self.connectStream(AF_UNIX, to: addr, naming: path)
        } else if remote.hasPrefix("tcp:") {
            let rest = String(remote.dropFirst(4))
            guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else {
                throw .badRemote(remote)
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            var v4 = in_addr(), v6 = in6_addr()
            if inet_pton(AF_INET, host, &v4) == 1 {
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = port.bigEndian
                addr.sin_addr = v4
                fd = try Self.connectStream(AF_INET, to: addr, naming: remote)
            } else if inet_pton(AF_INET6, host, &v6) == 1 {
                var addr = sockaddr_in6()
                addr.sin6_family = sa_family_t(AF_INET6)
                addr.sin6_port = port.bigEndian
                addr.sin6_addr = v6
                fd = try Self.connectStream(AF_INET6, to: addr, naming: remote)
            } else {
                throw .badRemote(remote)
            }
        } else {
            throw .badRemote(remote)
        }
    }

    /// A stream socket of `family` connected to `address` (a `sockaddr_*`);
    /// `name` is what a failure names.
    private static func connectStream<Address>(_ family: Int32, to address: Address,
                                               naming name: String) throws(OVSDBClientError) -> Int32 {
        let s = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw .system("socket", errno) }
        var addr = address
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
        guard r == 0 else { let e = errno; close(s); throw .system("\(name): connection attempt failed", e) }
        return s
    }

    deinit { close(fd) }

    /// Writes one JSON value.
    public func send(_ message: JSON) throws(OVSDBClientError) {
        let bytes = Array(message.text.utf8)
        var off = 0
        while off < bytes.count {
            // MSG_NOSIGNAL: a closed peer is an error here, not a SIGPIPE.
            let n = bytes[off...].withUnsafeBytes { sendNoSignal(fd, $0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("send", errno)
            }
            off += n
        }
    }

    /// Reads the next JSON value; waits at most `timeout` (forever when nil).
    public func receive(timeout: Duration? = nil) throws(OVSDBClientError) -> JSON {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            if !queued.isEmpty {
                let bytes = queued.removeFirst()
                do { return try JSON.parse(bytes) } catch { throw .protocolError(error.description) }
            }
            var waitMS: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { throw .timeout }
                let (s, a) = left.components
                waitMS = Int32(clamping: s * 1000 + a / 1_000_000_000_000_000 + 1)
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, waitMS)
            if r < 0 {
                if errno == EINTR { continue }
                throw .system("poll", errno)
            }
            if r == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("receive", errno)
            }
            if n == 0 { throw .closed }
            do {
                try framer.feed(chunk[..<n], into: &queued)
            } catch {
                throw .protocolError(error.description)
            }
        }
    }
}
