#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was being done and the errno.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// `strerror(errno)`.
    public var reason: String { Self.describe(errno) }

    public var description: String { "\(operation) (\(reason))" }

    /// `strerror`, as Open vSwitch's `ovs_strerror`.
    public static func describe(_ errno: Int32) -> String {
        guard let s = strerror(errno) else { return "error \(errno)" }
        return String(cString: s)
    }
}

/// Unix stream sockets with blocking I/O, `EINTR` retried, for the control
/// protocol. Every function returns or throws; none traps on a bad file
/// descriptor from the peer's side.
public enum UnixSocket {
    /// The longest path `sockaddr_un` holds.
    static var maximumPathLength: Int { MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1 }

    static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws(SystemError) -> T {
        let bytes = Array(path.utf8)
        guard bytes.count <= maximumPathLength else { throw SystemError("\(path): socket path too long", errno: ENAMETOOLONG) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Binds and listens on `path`, replacing a stale socket file there.
    public static func listen(path: String, backlog: Int32 = 64) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("\(path): socket", errno: errno) }
        unlink(path)
        let rc = try withAddress(path) { bind(fd, $0, $1) }
        if rc != 0 {
            let e = errno
            close(fd)
            throw SystemError("\(path): bind", errno: e)
        }
        if Glibc.listen(fd, backlog) != 0 {
            let e = errno
            close(fd)
            unlink(path)
            throw SystemError("\(path): listen", errno: e)
        }
        return fd
    }

    /// Connects to the socket at `path`.
    public static func connect(path: String) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("\(path): socket", errno: errno) }
        while true {
            let rc = try withAddress(path) { Glibc.connect(fd, $0, $1) }
            if rc == 0 { return fd }
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw SystemError("\(path): connect", errno: e)
        }
    }

    /// Waits until `fd` is readable or `milliseconds` pass (-1: forever).
    /// Returns whether it is readable (or closed, or in error).
    public static func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let n = poll(&p, 1, milliseconds)
            if n < 0 && errno == EINTR { continue }
            return n > 0
        }
    }

    /// Accepts one connection; nil if none was pending.
    public static func accept(_ fd: Int32) -> Int32? {
        while true {
            let c = Glibc.accept(fd, nil, nil)
            if c >= 0 {
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                return c
            }
            if errno == EINTR { continue }
            return nil
        }
    }

    /// Reads what is there (at most `maximum` bytes); empty at end of stream.
    public static func read(_ fd: Int32, maximum: Int = 65536) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return Array(buffer[0..<n]) }
            if errno == EINTR { continue }
            throw SystemError("read", errno: errno)
        }
    }

    /// Writes all of `bytes` (a closed peer gives EPIPE, not SIGPIPE).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("send", errno: errno)
            }
            offset += n
        }
    }
}

/// A mutual-exclusion lock (a pthread mutex) for state shared by threads.
public final class UnixctlLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Plain threads (not tasks): the control server blocks in `poll`.
public enum DetachedThread {
    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new detached thread named `name` (at most 15 bytes
    /// show in `ps`). Returns false if the thread could not be created.
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            ThreadName.set(box.name)
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

/// The calling thread's name and whether it is the process's main thread,
/// through `/proc/thread-self` (Glibc's `gettid` and `pthread_setname_np`
/// are not visible to Swift without `_GNU_SOURCE`).
public enum ThreadName {
    /// Names the calling thread (at most 15 bytes show in `ps` and logs).
    public static func set(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        try? UnixSocket.writeAllFile(fd, Array(name.utf8.prefix(15)))
        close(fd)
    }

    /// nil on the main thread, else the calling thread's name.
    public static func current() -> String? {
        var link = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &link, link.count - 1)
        guard n > 0 else { return nil }
        let parts = String(decoding: link[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "/")
        if parts.count == 3, parts[0] == parts[2] { return nil }
        let fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "thread" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let m = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard m > 0 else { return "thread" }
        let name = String(decoding: buffer[0..<m], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        return name.isEmpty ? "thread" : name
    }
}
