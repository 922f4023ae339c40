import OFProto
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One row of the Controller table, as the switch uses it.
public struct OFControllerTarget: Hashable, Sendable {
    /// `tcp:IP[:PORT]`, `unix:PATH` (active), `ptcp:[PORT][:IP]`, `punix:PATH` (passive).
    public var target: String
    /// The longest wait between connection attempts (`max_backoff`, ms; OVS 8000).
    public var maxBackoff: Int
    /// Idle time before an echo request (`inactivity_probe`, ms; OVS 5000; 0: never).
    public var inactivityProbe: Int
    /// Packet-ins per second and burst (`controller_rate_limit`/`controller_burst_limit`);
    /// nil: no limit (as Open vSwitch when the rate is not set).
    public var rateLimit: Int?
    public var burstLimit: Int?
    /// The OpenFlow versions allowed (the Bridge's `protocols`).
    public var versions: Set<UInt8>

    public init(target: String, maxBackoff: Int = 8000, inactivityProbe: Int = 5000, rateLimit: Int? = nil,
                burstLimit: Int? = nil, versions: Set<UInt8> = OFHello.supported) {
        self.target = target
        self.maxBackoff = maxBackoff
        self.inactivityProbe = inactivityProbe
        self.rateLimit = rateLimit
        self.burstLimit = burstLimit
        self.versions = versions
    }

    /// True for `ptcp:` and `punix:` targets.
    public var isPassive: Bool { target.hasPrefix("ptcp:") || target.hasPrefix("punix:") }
}

/// What the Controller row's status columns say.
public struct OFControllerStatus: Sendable, Equatable {
    public var isConnected: Bool
    /// `other`, `master` or `slave` while connected.
    public var role: String?
    /// `state`, `sec_since_connect`, `sec_since_disconnect`, `last_error`.
    public var status: [String: String]
}

/// A bridge's controller connections (OVS's connmgr for primary
/// controllers): active targets are connected and reconnected with back-off,
/// passive ones listen; each connection runs an `OFConnection`.
public final class OFControllerManager: @unchecked Sendable {
    let bridge: OFProtoBridge
    private let links = Mutex<[String: OFControllerLink]>([:])
    private let datapathID: Atomic<UInt64>

    public init(bridge: OFProtoBridge, datapathID: UInt64) {
        self.bridge = bridge
        self.datapathID = Atomic(datapathID)
    }

    /// Makes the running connections those of `targets`: links whose
    /// settings changed are made again, others are left alone.
    public func configure(_ targets: [OFControllerTarget], datapathID: UInt64) {
        let old = self.datapathID.exchange(datapathID, ordering: .relaxed)
        var stopping: [OFControllerLink] = []
        var starting: [OFControllerLink] = []
        links.withLock { l in
            let wanted = Dictionary(targets.map { ($0.target, $0) }, uniquingKeysWith: { a, _ in a })
            for (name, link) in l where wanted[name] != link.settings || old != datapathID {
                stopping.append(link)
                l[name] = nil
            }
            for (name, t) in wanted where l[name] == nil {
                let link = OFControllerLink(settings: t, bridge: bridge, datapathID: datapathID)
                l[name] = link
                starting.append(link)
            }
        }
        for s in stopping { s.stop() }
        for s in starting { s.start() }
    }

    /// Each target's status, by target.
    public func status() -> [String: OFControllerStatus] {
        links.withLock { $0.mapValues { $0.status() } }
    }

    /// True while some controller connection is up.
    public var isConnected: Bool { links.withLock { $0.values.contains { $0.isConnected } } }

    /// Closes every connection.
    public func stop() { configure([], datapathID: datapathID.load(ordering: .relaxed)) }
}

/// One Controller row's connections.
final class OFControllerLink: @unchecked Sendable {
    let settings: OFControllerTarget
    let bridge: OFProtoBridge
    let datapathID: UInt64

    struct State {
        var stopped = false
        var state = "BACKOFF"
        var lastError: String?
        var connectedAt: ContinuousClock.Instant?
        var disconnectedAt: ContinuousClock.Instant?
        /// Open connections (one for active targets; any number for passive).
        var connections: [Int32: OFConnection] = [:]
        var listener: Int32 = -1
    }
    let state = Mutex(State())

    init(settings: OFControllerTarget, bridge: OFProtoBridge, datapathID: UInt64) {
        self.settings = settings
        self.bridge = bridge
        self.datapathID = datapathID
    }

    var isConnected: Bool { state.withLock { !$0.connections.isEmpty } }

    func status() -> OFControllerStatus {
        let now = ContinuousClock.now
        return state.withLock { s in
            var map: [String: String] = ["state": s.connections.isEmpty ? s.state : "ACTIVE"]
            if let e = s.lastError { map["last_error"] = e }
            if let c = s.connectedAt { map["sec_since_connect"] = String((now - c).components.seconds) }
            if let d = s.disconnectedAt { map["sec_since_disconnect"] = String((now - d).components.seconds) }
            let role = s.connections.values.first.map { $0.session.asyncSettings.role.columnName }
            if settings.isPassive { map = s.connections.isEmpty ? [:] : ["state": "ACTIVE"] }
            return OFControllerStatus(isConnected: !s.connections.isEmpty, role: role, status: map)
        }
    }

    func start() {
        if settings.isPassive {
            Thread { [self] in listenLoop() }.start()
        } else {
            Thread { [self] in connectLoop() }.start()
        }
    }

    func stop() {
        let (conns, listener) = state.withLock { s -> ([Int32], Int32) in
            s.stopped = true
            defer { s.listener = -1 }
            return (Array(s.connections.keys), s.listener)
        }
        for fd in conns { shutdown(fd, Int32(SHUT_RDWR)) }
        if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
        if settings.target.hasPrefix("punix:") { unlink(String(settings.target.dropFirst(6))) }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    /// Runs one connection on `fd` until it ends.
    private func serve(_ fd: Int32) {
        let session = OFSwitchSession(bridge: bridge, datapathID: datapathID, isService: false,
                                      allowedVersions: settings.versions)
        let probe: Duration? = settings.inactivityProbe > 0 ? .milliseconds(settings.inactivityProbe) : nil
        let limit: (Int, Int)? = settings.rateLimit.map { ($0, settings.burstLimit ?? max(25, $0 / 4)) }
        let conn = OFConnection(fd: fd, session: session, inactivityProbe: probe, rateLimit: limit)
        let proceed = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.connections[fd] = conn
            s.connectedAt = .now
            s.state = "ACTIVE"
            return true
        }
        if proceed { conn.run() }
        state.withLock { s in
            s.connections[fd] = nil
            s.disconnectedAt = .now
        }
        close(fd)
    }

    /// Active targets: connect, serve, back off and try again.
    private func connectLoop() {
        var backoff = 1000
        while !stopped {
            state.withLock { $0.state = "CONNECTING" }
            switch OFSocket.connect(settings.target) {
            case .success(let fd):
                state.withLock { $0.lastError = nil }
                serve(fd)
                backoff = 1000
                if stopped { return }
                state.withLock { $0.lastError = "End of file" }
            case .failure(let e):
                state.withLock { $0.lastError = e.description }
            }
            state.withLock { $0.state = "BACKOFF" }
            var waited = 0
            while waited < backoff && !stopped {
                usleep(100_000)
                waited += 100
            }
            backoff = min(backoff * 2, max(1000, settings.maxBackoff))
        }
    }

    /// Passive targets: accept connections, each on its own thread.
    private func listenLoop() {
        let listener: Int32
        switch OFSocket.listen(settings.target) {
        case .success(let fd): listener = fd
        case .failure(let e):
            state.withLock { $0.lastError = e.description }
            return
        }
        let ok = state.withLock { s -> Bool in
            if s.stopped { return false }
            s.listener = listener
            return true
        }
        guard ok else { close(listener); return }
        while !stopped {
            let c = accept(listener, nil, nil)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE { usleep(10_000); continue }
                return
            }
            Thread { [self] in serve(c) }.start()
        }
    }
}

/// Sockets of OpenFlow targets (`tcp:`, `unix:`, `ptcp:`, `punix:`).
enum OFSocket {
    /// Why a socket could not be made (the text is `strerror`'s, as the
    /// Controller table's `last_error`).
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func errorText(_ e: Int32) -> Failure { Failure(description: String(cString: strerror(e))) }

    /// Splits `HOST:PORT` (IPv6 hosts in brackets).
    static func hostPort(_ s: Substring, defaultPort: UInt16) -> (host: String, port: UInt16)? {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()) else { return nil }
            return (host, p)
        }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1 { return (String(parts[0]), defaultPort) }
        guard parts.count == 2, let p = UInt16(parts[1]) else { return nil }
        return (String(parts[0]), p)
    }

    /// A socket address for `host` (a numeric IPv4 or IPv6 address) and `port`.
    static func address(_ host: String, _ port: UInt16) -> (family: Int32, storage: sockaddr_storage, length: socklen_t)? {
        var a4 = in_addr()
        if inet_pton(AF_INET, host, &a4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = a4
            return (AF_INET, storage(of: sin), socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, host, &a6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = a6
            return (AF_INET6, storage(of: sin6), socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        return nil
    }

    static func unixAddress(_ path: String) -> (storage: sockaddr_storage, length: socklen_t)? {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return (storage(of: addr), socklen_t(MemoryLayout<sockaddr_un>.size))
    }

    /// `address` (a `sockaddr_in`, `_in6` or `_un`) in a `sockaddr_storage`.
    static func storage<Address>(of address: Address) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: address) { dst.copyMemory(from: $0) } }
        return storage
    }

    /// Connects to an active target (a blocking connect bounded by 5 s).
    static func connect(_ target: String) -> Result<Int32, Failure> {
        let family: Int32
        var storage: sockaddr_storage
        let length: socklen_t
        if target.hasPrefix("tcp:") {
            guard let (h, p) = hostPort(target.dropFirst(4), defaultPort: 6653),
                  let a = address(h, p) else { return .failure(Failure(description: "Invalid argument")) }
            (family, storage, length) = a
        } else if target.hasPrefix("unix:") {
            guard let a = unixAddress(String(target.dropFirst(5))) else { return .failure(Failure(description: "Invalid argument")) }
            family = AF_UNIX
            (storage, length) = a
        } else {
            return .failure(Failure(description: "Address family not supported by protocol"))
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(errorText(errno)) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let r = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        if r != 0 {
            let e = errno
            close(fd)
            return .failure(errorText(e))
        }
        if family != AF_UNIX {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        return .success(fd)
    }

    /// Listens on a passive target.
    static func listen(_ target: String) -> Result<Int32, Failure> {
        let family: Int32
        var storage: sockaddr_storage
        let length: socklen_t
        if target.hasPrefix("ptcp:") {
            // ptcp:[PORT][:IP]
            let rest = target.dropFirst(5)
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let port = parts.first.flatMap { $0.isEmpty ? 6653 : UInt16($0) }
            var host = parts.count > 1 ? String(parts[1]) : "0.0.0.0"
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard let port, let a = address(host, port) else { return .failure(Failure(description: "Invalid argument")) }
            (family, storage, length) = a
        } else if target.hasPrefix("punix:") {
            let path = String(target.dropFirst(6))
            guard let a = unixAddress(path) else { return .failure(Failure(description: "Invalid argument")) }
            unlink(path)
            family = AF_UNIX
            (storage, length) = a
        } else {
            return .failure(Failure(description: "Address family not supported by protocol"))
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(errorText(errno)) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, 64) == 0 else {
            let e = errno
            close(fd)
            return .failure(errorText(e))
        }
        return .success(fd)
    }
}
