/// The user-space datapath: packet buffers and batches, ports (vports),
/// datapath actions as values, drop accounting.
///
/// Later parts of the datapath issue add the flow caches (EMC, megaflow
/// classifier), the action executor, meters, conntrack, tunnels, poll
/// threads and upcalls. This module is the only one that touches raw
/// packet memory (see `PacketBuffer`, `PacketPool`).
public enum DatapathLimits {
    /// The most packets one batch holds (`NETDEV_MAX_BURST` in Open vSwitch).
    public static let batchSize = 32
    /// Default bytes kept free in front of a frame for pushed headers.
    public static let defaultHeadroom = 128
    /// Default bytes a pooled buffer holds for the frame itself.
    public static let defaultFrameCapacity = 2048
}
