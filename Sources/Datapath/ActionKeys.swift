import Flow
import Wire

// The header fields that `set` and `set_masked` write, one small value per
// key (the `struct ovs_key_*` of the datapath interface), in host order.

/// Source and destination MAC (`ovs_key_ethernet`).
public struct EthernetKey: Hashable, Sendable {
    public var source: EthernetAddress
    public var destination: EthernetAddress
    public init(source: EthernetAddress = .zero, destination: EthernetAddress = .zero) {
        self.source = source
        self.destination = destination
    }
}

/// Which fragment of an IP datagram a packet is (`OVS_FRAG_TYPE_*`).
public struct FragmentType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Not a fragment.
    public static let none = FragmentType(rawValue: 0)
    /// The first fragment (offset 0, more fragments).
    public static let first = FragmentType(rawValue: 1)
    /// A later fragment (non-zero offset).
    public static let later = FragmentType(rawValue: 2)
}

/// IPv4 header fields (`ovs_key_ipv4`).
public struct IPv4Key: Hashable, Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var proto: IPProtocol
    public var tos: UInt8
    public var ttl: UInt8
    public var fragment: FragmentType
    public init(source: IPv4Address = .any, destination: IPv4Address = .any,
                proto: IPProtocol = IPProtocol(rawValue: 0), tos: UInt8 = 0, ttl: UInt8 = 0,
                fragment: FragmentType = .none) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.tos = tos
        self.ttl = ttl
        self.fragment = fragment
    }
}

/// IPv6 header fields (`ovs_key_ipv6`).
public struct IPv6Key: Hashable, Sendable {
    public var source: IPv6Address
    public var destination: IPv6Address
    /// Flow label, 20 bits.
    public var label: UInt32
    public var proto: IPProtocol
    public var trafficClass: UInt8
    public var hopLimit: UInt8
    public var fragment: FragmentType
    public init(source: IPv6Address = .any, destination: IPv6Address = .any, label: UInt32 = 0,
                proto: IPProtocol = IPProtocol(rawValue: 0), trafficClass: UInt8 = 0, hopLimit: UInt8 = 0,
                fragment: FragmentType = .none) {
        self.source = source
        self.destination = destination
        self.label = label
        self.proto = proto
        self.trafficClass = trafficClass
        self.hopLimit = hopLimit
        self.fragment = fragment
    }
}

/// Source and destination ports of TCP, UDP or SCTP
/// (`ovs_key_tcp`/`_udp`/`_sctp`).
public struct TransportPorts: Hashable, Sendable {
    public var source: UInt16
    public var destination: UInt16
    public init(source: UInt16 = 0, destination: UInt16 = 0) {
        self.source = source
        self.destination = destination
    }
}

/// ICMP or ICMPv6 type and code (`ovs_key_icmp`/`_icmpv6`).
public struct ICMPKey: Hashable, Sendable {
    public var type: UInt8
    public var code: UInt8
    public init(type: UInt8 = 0, code: UInt8 = 0) {
        self.type = type
        self.code = code
    }
}

/// ARP fields (`ovs_key_arp`).
public struct ARPKey: Hashable, Sendable {
    public var senderIP: IPv4Address
    public var targetIP: IPv4Address
    public var operation: UInt16
    public var senderMAC: EthernetAddress
    public var targetMAC: EthernetAddress
    public init(senderIP: IPv4Address = .any, targetIP: IPv4Address = .any, operation: UInt16 = 0,
                senderMAC: EthernetAddress = .zero, targetMAC: EthernetAddress = .zero) {
        self.senderIP = senderIP
        self.targetIP = targetIP
        self.operation = operation
        self.senderMAC = senderMAC
        self.targetMAC = targetMAC
    }
}

/// IPv6 neighbor discovery fields (`ovs_key_nd`).
public struct NDKey: Hashable, Sendable {
    public var target: IPv6Address
    /// Source link-layer address option (solicitations).
    public var sourceLinkLayer: EthernetAddress
    /// Target link-layer address option (advertisements).
    public var targetLinkLayer: EthernetAddress
    public init(target: IPv6Address = .any, sourceLinkLayer: EthernetAddress = .zero,
                targetLinkLayer: EthernetAddress = .zero) {
        self.target = target
        self.sourceLinkLayer = sourceLinkLayer
        self.targetLinkLayer = targetLinkLayer
    }
}

/// A value and the bits of it that matter (for `set_masked`, ct mark/labels).
public struct Masked<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var mask: Value
    public init(_ value: Value, mask: Value) {
        self.value = value
        self.mask = mask
    }
}

/// What a `set` action writes: one key, whole.
public enum SetField: Hashable, Sendable {
    case ethernet(EthernetKey)
    case ipv4(IPv4Key)
    case ipv6(IPv6Key)
    case tcp(TransportPorts)
    case udp(TransportPorts)
    case sctp(TransportPorts)
    case icmp(ICMPKey)
    case icmpv6(ICMPKey)
    case arp(ARPKey)
    case nd(NDKey)
    /// The top MPLS label stack entry.
    case mpls(MPLSLabelStackEntry)
    case skbPriority(UInt32)
    /// `pkt_mark` (`skb_mark`).
    case packetMark(UInt32)
    /// The tunnel the packet will be sent through.
    case tunnel(TunnelMetadata)
}

/// What a `set_masked` action writes: the bits of one key under its mask.
public enum MaskedSetField: Hashable, Sendable {
    case ethernet(Masked<EthernetKey>)
    case ipv4(Masked<IPv4Key>)
    case ipv6(Masked<IPv6Key>)
    case tcp(Masked<TransportPorts>)
    case udp(Masked<TransportPorts>)
    case sctp(Masked<TransportPorts>)
    case icmp(Masked<ICMPKey>)
    case icmpv6(Masked<ICMPKey>)
    case arp(Masked<ARPKey>)
    case nd(Masked<NDKey>)
    case mpls(Masked<MPLSLabelStackEntry>)
    case skbPriority(Masked<UInt32>)
    case packetMark(Masked<UInt32>)
}
