import Wire

/// Connection-tracking state bits (`OVS_CS_F_*`).
///
/// The bits are those of `FlowKey.ConntrackState` (the flow's `ct_state`).
public struct ConntrackState: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let new = ConntrackState(rawValue: 0x01)
    public static let established = ConntrackState(rawValue: 0x02)
    public static let related = ConntrackState(rawValue: 0x04)
    public static let replyDirection = ConntrackState(rawValue: 0x08)
    public static let invalid = ConntrackState(rawValue: 0x10)
    public static let tracked = ConntrackState(rawValue: 0x20)
    public static let sourceNAT = ConntrackState(rawValue: 0x40)
    public static let destinationNAT = ConntrackState(rawValue: 0x80)
}

/// What conntrack last said about a packet.
public struct ConntrackMetadata: Hashable, Sendable {
    public var state: ConntrackState
    public var zone: UInt16
    public var mark: UInt32
    /// The 128-bit label, most significant bit first on the wire.
    public var labels: UInt128
    /// The connection's original-direction tuple (OVS's `ct_orig_tuple`),
    /// when conntrack recorded one.
    public var originalTuple: ConntrackTuple?

    public init(state: ConntrackState = [], zone: UInt16 = 0, mark: UInt32 = 0, labels: UInt128 = 0,
                originalTuple: ConntrackTuple? = nil) {
        self.state = state
        self.zone = zone
        self.mark = mark
        self.labels = labels
        self.originalTuple = originalTuple
    }
}

/// The addresses, protocol and ports of a connection's original direction.
public struct ConntrackTuple: Hashable, Sendable {
    public enum Addresses: Hashable, Sendable {
        case ipv4(source: IPv4Address, destination: IPv4Address)
        case ipv6(source: IPv6Address, destination: IPv6Address)
    }
    public var addresses: Addresses
    public var networkProtocol: UInt8
    /// Ports, or ICMP type and code, as OVS stores them.
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(addresses: Addresses, networkProtocol: UInt8, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0) {
        self.addresses = addresses
        self.networkProtocol = networkProtocol
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }
}

/// Flags of a tunnel's outer header (the bits of OVS's `FLOW_TNL_F_*`,
/// the same as `FlowKey.TunnelFlags`).
public struct TunnelFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Operations-and-management frame (VXLAN/Geneve O bit).
    public static let oam = TunnelFlags(rawValue: FlowKey.TunnelFlags.oam)
    /// Set the outer IPv4 header's don't-fragment bit.
    public static let dontFragment = TunnelFlags(rawValue: FlowKey.TunnelFlags.dontFragment)
    /// Compute the outer UDP checksum.
    public static let checksum = TunnelFlags(rawValue: FlowKey.TunnelFlags.checksum)
}

/// The outer header of a tunnelled packet: where it came from on receive,
/// where it goes on `set(tunnel(...))`.
///
/// Zero addresses and ports mean "absent" (as in Open vSwitch); a `nil`
/// `tunnelID` means the tunnel carries no key. Geneve/VXLAN/ERSPAN options
/// come with the tunnel issue.
public struct TunnelMetadata: Hashable, Sendable {
    public var tunnelID: UInt64?
    public var ipv4Source: IPv4Address
    public var ipv4Destination: IPv4Address
    public var ipv6Source: IPv6Address
    public var ipv6Destination: IPv6Address
    public var tos: UInt8
    public var ttl: UInt8
    public var flags: TunnelFlags
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(tunnelID: UInt64? = nil,
                ipv4Source: IPv4Address = .any, ipv4Destination: IPv4Address = .any,
                ipv6Source: IPv6Address = .any, ipv6Destination: IPv6Address = .any,
                tos: UInt8 = 0, ttl: UInt8 = 0, flags: TunnelFlags = [],
                sourcePort: UInt16 = 0, destinationPort: UInt16 = 0) {
        self.tunnelID = tunnelID
        self.ipv4Source = ipv4Source
        self.ipv4Destination = ipv4Destination
        self.ipv6Source = ipv6Source
        self.ipv6Destination = ipv6Destination
        self.tos = tos
        self.ttl = ttl
        self.flags = flags
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// True when the packet arrived through (or is bound for) a tunnel.
    @inlinable public var isPresent: Bool {
        ipv4Destination != .any || ipv6Destination != .any
    }
}

/// Everything the datapath knows about a packet besides its bytes
/// (the metadata part of Open vSwitch's `struct pkt_metadata`).
///
/// The type is plain data (no references): it lives in the raw header of
/// each packet buffer, so copying it never touches a reference count.
public struct PacketMetadata: Hashable, Sendable {
    public var inPort: DatapathPort
    public var recirculationID: UInt32
    /// Hash computed by the `hash` action; 0 means not computed.
    public var dpHash: UInt32
    public var skbPriority: UInt32
    /// `pkt_mark` (the kernel's `skb_mark`).
    public var packetMark: UInt32
    public var conntrack: ConntrackMetadata
    public var tunnel: TunnelMetadata
    /// Bytes to cut from the frame's end at output (`trunc` action); 0 for none.
    public var cutLength: UInt32
    /// OVS's `packet_type`: 0 for Ethernet; `0x1_0000 | EtherType` for an L3
    /// packet without an Ethernet header.
    public var packetType: UInt32
    /// The frame's TCP/UDP checksum field holds only the pseudo-header sum
    /// (a sender's `CHECKSUM_PARTIAL` kept, as for TCP super-frames that
    /// leave whole through a device's GSO): whatever needs the full
    /// checksum completes it first and clears this (`PartialChecksum`).
    public var checksumPartial: Bool = false

    public init(inPort: DatapathPort = .none, recirculationID: UInt32 = 0, dpHash: UInt32 = 0,
                skbPriority: UInt32 = 0, packetMark: UInt32 = 0,
                conntrack: ConntrackMetadata = .init(), tunnel: TunnelMetadata = .init(),
                cutLength: UInt32 = 0, packetType: UInt32 = 0) {
        self.inPort = inPort
        self.recirculationID = recirculationID
        self.dpHash = dpHash
        self.skbPriority = skbPriority
        self.packetMark = packetMark
        self.conntrack = conntrack
        self.tunnel = tunnel
        self.cutLength = cutLength
        self.packetType = packetType
    }
}
