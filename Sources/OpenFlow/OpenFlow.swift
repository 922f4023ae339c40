import OFProto

/// The OpenFlow wire protocol and its connections (namespace).
public enum OpenFlow {}

// MARK: - Filled in by the OpenFlow work (issue 8); signatures are the contract
// with the bridge layer.

/// A bridge's management socket (`RUNDIR/<bridge>.mgmt`): accepts
/// `ovs-ofctl` and other OpenFlow clients and serves them from the bridge's
/// OpenFlow tables and ports.
public final class OpenFlowManagementServer: @unchecked Sendable {
    public let socketPath: String

    /// Serves `bridge` on the unix socket `socketPath`; `datapathID` is what
    /// FEATURES_REPLY announces.
    public init(bridge: OFProtoBridge, socketPath: String, datapathID: UInt64) {
        self.socketPath = socketPath
    }

    /// Binds and listens (replacing a stale socket file); throws if it cannot.
    public func start() throws {}
    /// Closes the listener and every connection, and removes the socket file.
    public func stop() {}
}
