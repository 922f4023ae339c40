import OFProto
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The OpenFlow wire protocol and its connections (namespace).
public enum OpenFlow {}

/// Why the management socket could not be opened.
public struct OpenFlowServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A bridge's management socket (`RUNDIR/<bridge>.mgmt`): accepts
/// `ovs-ofctl` and other OpenFlow clients and serves them from the bridge's
/// OpenFlow tables and ports.
///
/// One thread accepts; each connection has its own thread running an
/// `OFSwitchSession`, which handles the messages in order (a barrier's
/// reply therefore follows everything before it). Flow-mods are pipeline
/// transactions, visible at once.
public final class OpenFlowManagementServer: @unchecked Sendable {
    public let socketPath: String
    let bridge: OFProtoBridge
    let datapathID: UInt64
    private let state = Mutex<(listener: Int32, connections: Set<Int32>, stopped: Bool)>((-1, [], false))
    private let versions = Mutex<Set<UInt8>>(OFHello.supported)

    /// The OpenFlow versions new connections may negotiate (the Bridge's
    /// `protocols`, as Open vSwitch applies it to the management socket too).
    public var allowedVersions: Set<UInt8> {
        get { versions.withLock { $0 } }
        set { versions.withLock { $0 = newValue.isEmpty ? OFHello.supported : newValue } }
    }

    /// Serves `bridge` on the unix socket `socketPath`; `datapathID` is what
    /// FEATURES_REPLY announces.
    public init(bridge: OFProtoBridge, socketPath: String, datapathID: UInt64) {
        self.socketPath = socketPath
        self.bridge = bridge
        self.datapathID = datapathID
    }

    /// Binds and listens (replacing a stale socket file); throws if it cannot.
    public func start() throws {
        guard OFSocket.unixAddress(socketPath) != nil else {
            throw OpenFlowServerError(description: "\(socketPath): socket path too long")
        }
        let fd: Int32
        switch OFSocket.listen("punix:" + socketPath) {
        case .success(let listener): fd = listener
        case .failure(let failure): throw OpenFlowServerError(description: "\(socketPath): \(failure)")
        }
        state.withLock { $0.listener = fd; $0.stopped = false }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.start()
    }

    /// Closes the listener and every connection, and removes the socket file.
    public func stop() {
        let (listener, conns) = state.withLock { s -> (Int32, Set<Int32>) in
            s.stopped = true
            let r = (s.listener, s.connections)
            s.listener = -1
            return r
        }
        if listener >= 0 {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            unlink(socketPath)
        }
        for c in conns { shutdown(c, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop(_ listener: Int32) {
        while true {
            let c = accept(listener, nil, nil)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if state.withLock({ $0.stopped }) { return }
                if errno == EMFILE || errno == ENFILE { usleep(10_000); continue }
                return
            }
            let ok = state.withLock { s -> Bool in
                if s.stopped { return false }
                s.connections.insert(c)
                return true
            }
            guard ok else { close(c); return }
            let thread = Thread { [self] in
                serve(c)
                state.withLock { _ = $0.connections.remove(c) }
                close(c)
            }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        let session = OFSwitchSession(bridge: bridge, datapathID: datapathID, isService: true,
                                      allowedVersions: allowedVersions)
        OFConnection(fd: fd, session: session).run()
    }
}

/// A detached thread running a closure.
final class Thread: @unchecked Sendable {
    private let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
    func start() {
        var tid = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&tid, nil, { arg in
            let t = Unmanaged<Thread>.fromOpaque(arg!).takeRetainedValue()
            t.body()
            return nil
        }, box)
        if rc == 0 { pthread_detach(tid) } else { Unmanaged<Thread>.fromOpaque(box).release() }
    }
}
