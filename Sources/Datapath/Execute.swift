import Flow
import Wire

/// Where executed actions hand packets: the datapath's transmit batches,
/// its upcall queue, its recirculation queue, its drop counters.
///
/// The executor is generic over the sink, so every call is direct (no
/// existential per packet). The sink owns every packet it is given.
public protocol ActionSink {
    /// Queues `packet` for transmission on `port` (flushed per port per batch).
    mutating func output(_ packet: consuming PacketBuffer, to port: DatapathPort)
    /// Sends `packet` to the slow path as an ACTION upcall.
    mutating func userspace(_ packet: consuming PacketBuffer, action: UserspaceAction)
    /// Feeds `packet` through the caches again with `recirc_id` set.
    mutating func recirculate(_ packet: consuming PacketBuffer, id: UInt32)
    /// Counts and frees `packet`.
    mutating func drop(_ packet: consuming PacketBuffer, reason: DropReason)
}

/// Runs datapath actions on packets (Open vSwitch's `odp_execute_actions`).
public enum ActionExecutor {
    /// Runs `actions` on `packet`, whose flow is `key` (used by actions that
    /// need header offsets or hashes). The packet ends with the sink, or back
    /// in `pool` once the last action that needs it is done. Never traps:
    /// an action that cannot apply to the packet drops it with a reason.
    public static func execute<Sink: ActionSink>(
        _ actions: [DatapathAction], on packet: consuming PacketBuffer, key: borrowing FlowKey,
        pool: PacketPool, sink: inout Sink
    ) {
        // Minimal body fixed by the interface: output and drop only. The
        // executor work fills in every action.
        var last: DatapathPort?
        for action in actions {
            switch action {
            case .output(let port):
                if let previous = last { sink.output(pool.clone(packet), to: previous) }
                last = port
            case .drop:
                sink.drop(packet, reason: .explicitDrop)
                return
            default:
                sink.drop(packet, reason: .actionError)
                return
            }
        }
        if let port = last { sink.output(packet, to: port) } else { pool.recycle(packet) }
    }
}
