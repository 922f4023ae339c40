import OFProto
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One OpenFlow connection on a connected socket: a reader loop feeding an
/// `OFSwitchSession` (replies in order), and the bridge's asynchronous
/// messages (packet-ins, port status, flow removed), which other threads
/// post and this connection encodes for its peer. Writes are serialized.
///
/// With an inactivity probe (controller connections), a peer silent for
/// the probe interval gets an ECHO_REQUEST; silent for another interval,
/// it is disconnected (OVS's `rconn`).
final class OFConnection: @unchecked Sendable {
    let fd: Int32
    let session: OFSwitchSession
    private let writeLock = Mutex<Bool>(true)
    /// Packet-in rate limit (nil: none).
    let limiter: Mutex<OFRateLimiter?>
    let inactivityProbe: Duration?

    init(fd: Int32, session: OFSwitchSession, inactivityProbe: Duration? = nil, rateLimit: (Int, Int)? = nil) {
        self.fd = fd
        self.session = session
        self.inactivityProbe = inactivityProbe
        limiter = Mutex(rateLimit.map { OFRateLimiter(rate: $0.0, burst: $0.1) })
    }

    /// Packet-ins dropped by the rate limit.
    var droppedPacketIns: UInt64 { limiter.withLock { $0?.dropped ?? 0 } }

    /// Runs the connection until the peer closes it, a write fails, the
    /// session closes or the probe times out. `onNegotiated` runs once the
    /// version is agreed.
    func run(onNegotiated: () -> Void = {}) {
        OFSessionRegistry.add(session)
        defer { OFSessionRegistry.remove(session) }
        guard send([session.hello()]) else { return }
        let token = session.bridge.asyncMessages.register { [weak self] event in self?.deliver(event) }
        session.controllerState.withLock { $0.sink = { [weak self] m in _ = self?.send([m]) } }
        defer { session.controllerState.withLock { $0.sink = nil } }
        defer { session.bridge.asyncMessages.unregister(token) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var negotiated = false
        var lastReceive = ContinuousClock.now
        var probeSent = false
        while true {
            let n = receive(into: &chunk)
            if n == -2 {
                // Nothing arrived for a probe tick.
                guard let probe = inactivityProbe else { continue }
                let idle = ContinuousClock.now - lastReceive
                if probeSent && idle >= probe * 2 { return }
                if !probeSent && idle >= probe, let v = session.version {
                    probeSent = true
                    guard send([OFMessage(version: v, type: OFType.echoRequest, xid: 0)]) else { return }
                }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            lastReceive = ContinuousClock.now
            probeSent = false
            buffer.append(contentsOf: chunk[0..<n])
            var used = 0
            var out: [OFMessage] = []
            // A long reply (a flow dump) goes out as it is made, in order
            // with the rest, instead of being held whole in memory.
            session.stream = { [self] m in
                out.append(m)
                if out.count >= 16 {
                    _ = send(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            defer { session.stream = nil }
            while true {
                let framed: (OFMessage, Int)?
                do {
                    framed = try OFMessage.frame(buffer[used...])
                } catch {
                    _ = send(out)
                    return
                }
                guard let (m, len) = framed else { break }
                used += len
                out.append(contentsOf: session.handle(m))
                if session.closing { _ = send(out); return }
            }
            buffer.removeFirst(used)
            session.publishFormat()
            if !out.isEmpty && !send(out) { return }
            if !negotiated && session.version != nil {
                negotiated = true
                onNegotiated()
            }
        }
    }

    /// Encodes and sends one asynchronous message, if the session takes it.
    func deliver(_ event: BridgeAsyncEvent) {
        guard let m = session.asyncMessage(for: event) else { return }
        if case .packetIn = event {
            let admitted = limiter.withLock { l -> Bool in l == nil ? true : l!.admit() }
            guard admitted else { return }
            // A slow controller must not stall the slow path's threads:
            // a packet-in that does not fit in the socket is dropped.
            if !send([m], mayDrop: true) { limiter.withLock { l in if l != nil { l!.dropped &+= 1 } } }
            return
        }
        _ = send([m])
    }

    /// How long a connection keeps looking for the next message before it
    /// sleeps in `poll`. `ovs-ofctl add-flows` sends each flow-mod with a
    /// barrier and waits for the reply: without this, every flow-mod costs
    /// the switch thread a sleep and a wake-up, which dominate its time.
    static let spinNanoseconds: UInt64 = 200_000

    /// Reads what the peer sent: without sleeping for a moment (see
    /// `spinNanoseconds`), then waiting in `poll` (up to a second when
    /// probing). Returns the byte count, 0 at end of stream, -1 on error
    /// (errno set), -2 when the wait timed out.
    private func receive(into chunk: inout [UInt8]) -> Int {
        let start = Self.monotonicNanoseconds()
        repeat {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { return n }
        } while Self.monotonicNanoseconds() &- start < Self.spinNanoseconds
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, inactivityProbe == nil ? -1 : 1000)
        if r == 0 { return -2 }
        if r < 0 { return errno == EINTR ? -2 : -1 }
        return chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// Writes `messages` whole (serialized with the other writers). With
    /// `mayDrop`, gives up (returning false) rather than wait when nothing
    /// of them fits in the socket yet; once a byte is out, the rest follows.
    func send(_ messages: [OFMessage], mayDrop: Bool = false) -> Bool {
        if messages.isEmpty { return true }
        var bytes: [UInt8] = []
        for m in messages { bytes.append(contentsOf: m.encoded) }
        return writeLock.withLock { open -> Bool in
            guard open else { return false }
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { all in
                    let rest = UnsafeRawBufferPointer(rebasing: all[off...])
                    let flags = Int32(MSG_NOSIGNAL) | (mayDrop && off == 0 ? Int32(MSG_DONTWAIT) : 0)
                    return Glibc.send(fd, rest.baseAddress, rest.count, flags)
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && off == 0 && mayDrop && (errno == EAGAIN || errno == EWOULDBLOCK) { return false }
                if n <= 0 { open = false; return false }
                off += n
            }
            return true
        }
    }
}
