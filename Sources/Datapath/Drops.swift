/// Why the datapath dropped a packet. Every drop has a reason and a
/// counter (`DropCounters`); bad input is counted, never trapped on.
///
/// The names follow Open vSwitch's `datapath_drop_*` coverage counters
/// where one exists.
public enum DropReason: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A frame too short or malformed to process (`rx_invalid_packet`).
    case invalidPacket = 0
    /// A receive queue was full when the frame arrived.
    case receiveQueueFull
    /// A transmit queue was full, or the device refused the frame.
    case transmitQueueFull
    /// The device reported an error while sending.
    case transmitError
    /// A frame longer than the port's MTU or buffer.
    case frameTooLong
    /// Output to a port number the datapath does not have (`invalid_port`).
    case invalidPort
    /// The upcall queue was full; the miss is counted as `lost`.
    case upcallQueueFull
    /// The upcall could not be built or delivered (`upcall_error`).
    case upcallError
    /// The `userspace` action failed (`userspace_action_error`).
    case userspaceActionError
    /// A flow's actions ended without output, or an explicit `drop` action.
    case explicitDrop
    /// A meter band dropped the packet (`meter`).
    case meter
    /// Recirculation failed or went too deep (`recirc_error`).
    case recirculationError
    /// Actions nested too deeply (clone/sample/check_pkt_len).
    case actionsTooDeep
    /// A header push/pop/set did not fit the frame (no headroom, too short).
    case actionError
    /// Tunnel encapsulation failed (`tunnel_push_error`).
    case tunnelPushError
    /// Tunnel decapsulation failed (`tunnel_pop_error`).
    case tunnelPopError
    /// A tunnel action named a port that is not a tunnel (`invalid_tnl_port`).
    case invalidTunnelPort
    /// `lb_output` named a bond the datapath does not have (`invalid_bond`).
    case invalidBond
    /// The `sample` action could not copy the packet (`sample_error`).
    case sampleError
    /// Conntrack refused the packet (zone limit, invalid state).
    case conntrackError

    /// The `snake_case` name used in counters output.
    public var description: String {
        switch self {
        case .invalidPacket: "rx_invalid_packet"
        case .receiveQueueFull: "rx_queue_full"
        case .transmitQueueFull: "tx_queue_full"
        case .transmitError: "tx_error"
        case .frameTooLong: "frame_too_long"
        case .invalidPort: "invalid_port"
        case .upcallQueueFull: "upcall_queue_full"
        case .upcallError: "upcall_error"
        case .userspaceActionError: "userspace_action_error"
        case .explicitDrop: "explicit_drop"
        case .meter: "meter"
        case .recirculationError: "recirc_error"
        case .actionsTooDeep: "actions_too_deep"
        case .actionError: "action_error"
        case .tunnelPushError: "tunnel_push_error"
        case .tunnelPopError: "tunnel_pop_error"
        case .invalidTunnelPort: "invalid_tnl_port"
        case .invalidBond: "invalid_bond"
        case .sampleError: "sample_error"
        case .conntrackError: "conntrack_error"
        }
    }
}

/// One counter per `DropReason`, held inline (no allocation). Each poll
/// thread keeps its own; readers sum them with `+=`.
public struct DropCounters: Hashable, Sendable {
    /// Room for this many reasons; `DropReason` raw values stay below it.
    public static let slots = 32
    @usableFromInline var counts: InlineArray<32, UInt64>

    public init() { counts = InlineArray(repeating: 0) }

    /// The count for `reason`.
    @inlinable public subscript(reason: DropReason) -> UInt64 {
        get { counts[Int(reason.rawValue)] }
        set { counts[Int(reason.rawValue)] = newValue }
    }

    /// Adds `n` drops for `reason` (wrapping, never trapping).
    @inlinable public mutating func count(_ reason: DropReason, _ n: UInt64 = 1) {
        counts[Int(reason.rawValue)] &+= n
    }

    /// Drops of every reason.
    public var total: UInt64 {
        DropReason.allCases.reduce(0) { $0 &+ self[$1] }
    }

    /// The reasons with a non-zero count, in declaration order.
    public var nonZero: [(reason: DropReason, count: UInt64)] {
        DropReason.allCases.compactMap { self[$0] == 0 ? nil : ($0, self[$0]) }
    }

    /// Adds another thread's counters.
    public static func += (lhs: inout DropCounters, rhs: DropCounters) {
        for r in DropReason.allCases { lhs[r] &+= rhs[r] }
    }

    public static func == (a: DropCounters, b: DropCounters) -> Bool {
        DropReason.allCases.allSatisfy { a[$0] == b[$0] }
    }

    public func hash(into h: inout Hasher) {
        for r in DropReason.allCases { h.combine(self[r]) }
    }
}
