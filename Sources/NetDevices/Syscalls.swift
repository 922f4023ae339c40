#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Datapath

/// An `errno` value as a typed error, as swift-system's `Errno`.
public struct Errno: Error, Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    static var current: Errno { Errno(rawValue: errno) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let noBufferSpace = Errno(rawValue: ENOBUFS)
    public static let networkDown = Errno(rawValue: ENETDOWN)

    public var description: String { String(cString: strerror(rawValue)) + " (errno \(rawValue))" }

    /// The same failure as a `PortError`.
    var portError: PortError { .system(errno: rawValue) }
}

/// A file descriptor and the system calls svs makes on it. Every call
/// retries `EINTR`; calls that could block report `EAGAIN` as "nothing
/// now" (0 or nil); other failures throw `Errno` and never trap.
///
/// This is the only place in `NetDevices` that calls the kernel; ports
/// reach it through these methods.
struct FileDescriptor: Hashable, Sendable {
    let rawValue: Int32

    /// Runs `body` until it does not fail with `EINTR`; a negative result throws `errno`.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = Errno.current
            if e == .interrupted { continue }
            throw e
        }
    }

    /// Like `retrying`, but `EAGAIN` returns nil.
    @inline(__always)
    static func retryingNonBlocking<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T? {
        do {
            return try retrying(body)
        } catch {
            if error == .wouldBlock { return nil }
            throw error
        }
    }

    /// A new socket. The corresponding C function is `socket`.
    static func socket(domain: Int32, type: Int32, protocol: Int32) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`) })
    }

    /// Opens `path`. The corresponding C function is `open`.
    static func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { Glibc.open(path, flags | O_CLOEXEC) })
    }

    /// Closes the descriptor; errors are ignored (Linux frees it regardless).
    func close() { _ = Glibc.close(rawValue) }

    /// Sets `O_NONBLOCK`. The corresponding C function is `fcntl`.
    func setNonBlocking() throws(Errno) {
        let flags = try Self.retrying { fcntl(rawValue, F_GETFL) }
        _ = try Self.retrying { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Sets an integer socket option. The corresponding C function is `setsockopt`.
    func setOption(level: Int32, name: Int32, value: Int32) throws(Errno) {
        var v = value
        _ = try Self.retrying {
            setsockopt(rawValue, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Binds an AF_PACKET socket to interface `index` for `protocol` (host order).
    /// The corresponding C function is `bind` with a `sockaddr_ll`.
    func bindPacket(interfaceIndex: Int32, protocol: UInt16) throws(Errno) {
        _ = try Self.retrying { CLinux_bind_packet(rawValue, interfaceIndex, `protocol`) }
    }

    /// Puts the interface in promiscuous mode for as long as this socket lives
    /// (`PACKET_ADD_MEMBERSHIP`, `PACKET_MR_PROMISC`).
    func addPromiscuousMembership(interfaceIndex: Int32) throws(Errno) {
        _ = try Self.retrying { CLinux_packet_promisc(rawValue, interfaceIndex) }
    }

    /// The interface's index (`SIOCGIFINDEX`).
    func interfaceIndex(_ name: String) throws(Errno) -> Int32 {
        try Self.retrying { CLinux_if_index(rawValue, name) }
    }

    /// The interface's flags (`SIOCGIFFLAGS`).
    func interfaceFlags(_ name: String) throws(Errno) -> Int32 {
        try Self.retrying { CLinux_if_get_flags(rawValue, name) }
    }

    /// Sets the interface's flags (`SIOCSIFFLAGS`).
    func setInterfaceFlags(_ name: String, _ flags: Int32) throws(Errno) {
        _ = try Self.retrying { CLinux_if_set_flags(rawValue, name, flags) }
    }

    /// The interface's MTU (`SIOCGIFMTU`).
    func interfaceMTU(_ name: String) throws(Errno) -> Int {
        Int(try Self.retrying { CLinux_if_mtu(rawValue, name) })
    }

    /// The interface's Ethernet address (`SIOCGIFHWADDR`).
    func interfaceHardwareAddress(_ name: String) throws(Errno) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: 6)
        _ = try mac.withUnsafeMutableBufferPointer { (p) throws(Errno) in
            try Self.retrying { CLinux_if_hwaddr(rawValue, name, p.baseAddress) }
        }
        return mac
    }

    /// Attaches a `/dev/net/tun` descriptor to TAP `name` (`TUNSETIFF`, IFF_TAP|IFF_NO_PI).
    func attachTap(_ name: String) throws(Errno) {
        _ = try Self.retrying { CLinux_tun_set_tap(rawValue, name) }
    }

    /// Receives up to `messages.count` messages in one call; 0 if none wait.
    /// The corresponding C function is `recvmmsg` (with `MSG_DONTWAIT`).
    func receiveMessages(_ messages: UnsafeMutableBufferPointer<CLinux_mmsghdr>) throws(Errno) -> Int {
        Int(try Self.retryingNonBlocking {
            CLinux_recvmmsg(rawValue, messages.baseAddress, UInt32(messages.count), Int32(MSG_DONTWAIT))
        } ?? 0)
    }

    /// Sends up to `messages.count` messages in one call; returns how many
    /// went (0 when the queue is full). The corresponding C function is `sendmmsg`.
    func sendMessages(_ messages: UnsafeMutableBufferPointer<CLinux_mmsghdr>) throws(Errno) -> Int {
        Int(try Self.retryingNonBlocking {
            CLinux_sendmmsg(rawValue, messages.baseAddress, UInt32(messages.count), Int32(MSG_DONTWAIT))
        } ?? 0)
    }

    /// Reads one frame; nil if none waits. The corresponding C function is `read`.
    func read(into bytes: UnsafeMutableRawBufferPointer) throws(Errno) -> Int? {
        try Self.retryingNonBlocking { Glibc.read(rawValue, bytes.baseAddress, bytes.count) }
    }

    /// Writes one frame; nil if the device queue is full. The corresponding C function is `write`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int? {
        try Self.retryingNonBlocking { Glibc.write(rawValue, bytes.baseAddress, bytes.count) }
    }

    /// Waits up to `timeout` for input; true if some is ready.
    /// The corresponding C function is `poll`.
    func waitForInput(timeoutMilliseconds: Int32) throws(Errno) -> Bool {
        var p = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
        return try Self.retrying { Glibc.poll(&p, 1, timeoutMilliseconds) } > 0
    }
}

/// An interface's state, read with ioctls on a throwaway datagram socket.
public struct InterfaceInfo: Hashable, Sendable {
    public var index: Int32
    public var mtu: Int
    public var hardwareAddress: [UInt8]
    /// `IFF_UP`.
    public var isUp: Bool
    /// `IFF_RUNNING`: the link is up.
    public var isRunning: Bool

    /// Reads `name`'s index, MTU, address and flags.
    public static func read(_ name: String) throws(Errno) -> InterfaceInfo {
        let fd = try FileDescriptor.socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
        defer { fd.close() }
        let flags = try fd.interfaceFlags(name)
        return InterfaceInfo(index: try fd.interfaceIndex(name), mtu: try fd.interfaceMTU(name),
                             hardwareAddress: try fd.interfaceHardwareAddress(name),
                             isUp: flags & Int32(IFF_UP) != 0, isRunning: flags & Int32(IFF_RUNNING) != 0)
    }

    /// Sets `IFF_UP` on `name`.
    static func bringUp(_ name: String) throws(Errno) {
        try setAdministrativelyUp(name, true)
    }

    /// Sets (`ip link set NAME up`) or clears (`... down`) `IFF_UP` on
    /// `name`, as a port-mod's `OFPPC_PORT_DOWN` asks.
    public static func setAdministrativelyUp(_ name: String, _ up: Bool) throws(Errno) {
        let fd = try FileDescriptor.socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
        defer { fd.close() }
        let flags = try fd.interfaceFlags(name)
        let wanted = up ? flags | Int32(IFF_UP) : flags & ~Int32(IFF_UP)
        if wanted != flags { try fd.setInterfaceFlags(name, wanted) }
    }
}
