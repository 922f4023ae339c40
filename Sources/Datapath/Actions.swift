import Flow
import Wire

/// One datapath action: what the slow path tells the datapath to do with
/// a packet of a flow (Open vSwitch's `OVS_ACTION_ATTR_*`).
///
/// A closed enum, run by a `switch` (the executor comes with a later part
/// of the datapath issue). Actions that nest (`sample`, `clone`,
/// `checkPacketLength`) hold arrays of actions; an empty list drops.
public enum DatapathAction: Hashable, Sendable {
    /// Send a copy to a port.
    case output(DatapathPort)
    /// Send the packet to the slow path as an `ACTION` upcall.
    case userspace(UserspaceAction)
    /// Overwrite one key's fields.
    case set(SetField)
    /// Overwrite the masked bits of one key's fields.
    case setMasked(MaskedSetField)
    /// Push an 802.1Q/802.1ad tag.
    case pushVLAN(VLANPush)
    /// Pop the outermost VLAN tag.
    case popVLAN
    /// Run nested actions on a copy with some probability.
    case sample(SampleAction)
    /// Look the packet up again with this recirculation id.
    case recirculate(UInt32)
    /// Compute `dp_hash`.
    case hash(HashAction)
    /// Push an MPLS label stack entry.
    case pushMPLS(MPLSPush)
    /// Pop the top MPLS entry; the payload's EtherType becomes this.
    case popMPLS(EtherType)
    /// Push an MPLS entry at L3 (for L3 tunnels) or after Ethernet.
    case addMPLS(MPLSAdd)
    /// Send through connection tracking (implemented by the conntrack issue).
    case conntrack(ConntrackAction)
    /// Forget the conntrack state.
    case conntrackClear
    /// Cut the frame at output to at most this many bytes.
    case truncate(UInt32)
    /// Push an Ethernet header (for L3 packets).
    case pushEthernet(EthernetKey)
    /// Pop the Ethernet header.
    case popEthernet
    /// Apply a meter; the packet may be dropped (implemented by the meter issue).
    case meter(MeterID)
    /// Run nested actions on a copy; the original continues unchanged.
    case clone([DatapathAction])
    /// Run one of two action lists depending on the frame's length.
    case checkPacketLength(CheckPacketLength)
    /// Encapsulate in a prebuilt tunnel header and output (tunnel issue).
    case tunnelPush(TunnelPush)
    /// Decapsulate and recirculate as received on this tunnel port (tunnel issue).
    case tunnelPop(DatapathPort)
    /// Drop the packet, saying why (the slow path's translation error).
    case drop(DropCode)
    /// Output to a bond member chosen by hash (`lb_output`, bond issue).
    case loadBalancedOutput(bondID: UInt32)
}

/// `userspace(pid=...,userdata(...))`: the upcall an action asks for.
public struct UserspaceAction: Hashable, Sendable {
    /// The upcall channel (netlink pid in the kernel datapath).
    public var pid: UInt32
    /// Opaque cookie the slow path gets back (sFlow, IPFIX, controller...).
    public var userdata: [UInt8]?
    /// The tunnel port the packet would leave through, for egress sampling.
    public var egressTunnelPort: DatapathPort?
    /// Include the flow's actions in the upcall.
    public var includesActions: Bool

    public init(pid: UInt32, userdata: [UInt8]? = nil, egressTunnelPort: DatapathPort? = nil,
                includesActions: Bool = false) {
        self.pid = pid
        self.userdata = userdata
        self.egressTunnelPort = egressTunnelPort
        self.includesActions = includesActions
    }
}

/// A VLAN tag protocol identifier the datapath can push.
public enum VLANTagProtocol: UInt16, Hashable, Sendable, CaseIterable {
    /// 802.1Q customer tag, 0x8100.
    case customer = 0x8100
    /// 802.1ad service tag, 0x88a8.
    case service = 0x88a8

    public var etherType: EtherType { EtherType(rawValue: rawValue) }
}

/// `push_vlan`: the tag to push.
public struct VLANPush: Hashable, Sendable {
    public var tagProtocol: VLANTagProtocol
    /// Tag control information: PCP (3 bits), DEI/CFI (1), VID (12).
    /// Open vSwitch sets the CFI bit (0x1000) to mean "tag present".
    public var tci: UInt16

    public init(tagProtocol: VLANTagProtocol = .customer, tci: UInt16) {
        self.tagProtocol = tagProtocol
        self.tci = tci
    }

    /// Builds the tag from VLAN id and priority, CFI set.
    public init(tagProtocol: VLANTagProtocol = .customer, vlanID: UInt16, priority: UInt8 = 0) {
        self.init(tagProtocol: tagProtocol, tci: (vlanID & 0xfff) | UInt16(priority & 7) << 13 | 0x1000)
    }

    public var vlanID: UInt16 { tci & 0xfff }
    public var priority: UInt8 { UInt8(truncatingIfNeeded: tci >> 13) }
}

/// `sample`: run `actions` on a copy with probability `probability / 2^32`.
public struct SampleAction: Hashable, Sendable {
    /// `UInt32.max` means always.
    public var probability: UInt32
    public var actions: [DatapathAction]
    public init(probability: UInt32, actions: [DatapathAction]) {
        self.probability = probability
        self.actions = actions
    }
}

/// Which fields feed the `hash` action (`OVS_HASH_ALG_*`).
public struct HashAlgorithm: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The 5-tuple.
    public static let l4 = HashAlgorithm(rawValue: 0)
    /// The 5-tuple, the same in both directions.
    public static let symmetricL4 = HashAlgorithm(rawValue: 1)
}

/// `hash(alg, basis)`.
public struct HashAction: Hashable, Sendable {
    public var algorithm: HashAlgorithm
    public var basis: UInt32
    public init(algorithm: HashAlgorithm = .l4, basis: UInt32 = 0) {
        self.algorithm = algorithm
        self.basis = basis
    }
}

/// `push_mpls`: the entry and the MPLS EtherType (unicast or multicast).
public struct MPLSPush: Hashable, Sendable {
    public var entry: MPLSLabelStackEntry
    public var etherType: EtherType
    public init(entry: MPLSLabelStackEntry, etherType: EtherType = .mpls) {
        self.entry = entry
        self.etherType = etherType
    }
}

/// `add_mpls`: like `push_mpls`, optionally at L3 for L3 tunnels.
public struct MPLSAdd: Hashable, Sendable {
    public var entry: MPLSLabelStackEntry
    public var etherType: EtherType
    /// Push at the start of the L3 header rather than after Ethernet.
    public var isL3Tunnel: Bool
    public init(entry: MPLSLabelStackEntry, etherType: EtherType = .mpls, isL3Tunnel: Bool = false) {
        self.entry = entry
        self.etherType = etherType
        self.isL3Tunnel = isL3Tunnel
    }
}

/// `check_pkt_len(size=..., gt(...), le(...))`.
public struct CheckPacketLength: Hashable, Sendable {
    public var length: UInt16
    public var ifGreater: [DatapathAction]
    public var ifLessOrEqual: [DatapathAction]
    public init(length: UInt16, ifGreater: [DatapathAction], ifLessOrEqual: [DatapathAction]) {
        self.length = length
        self.ifGreater = ifGreater
        self.ifLessOrEqual = ifLessOrEqual
    }
}

/// A NAT address: IPv4 or IPv6.
public enum NATAddress: Hashable, Sendable {
    case ipv4(IPv4Address)
    case ipv6(IPv6Address)
}

/// Which side of a connection NAT rewrites.
public enum NATKind: Hashable, Sendable {
    case source
    case destination
}

/// `nat(...)` inside `ct`.
public struct NATAction: Hashable, Sendable {
    /// `nil` for a bare `nat`: undo/redo the NAT of an existing connection.
    public var kind: NATKind?
    public var minimumAddress: NATAddress?
    public var maximumAddress: NATAddress?
    public var minimumPort: UInt16?
    public var maximumPort: UInt16?
    public var isPersistent: Bool
    public var usesHashedPorts: Bool
    public var usesRandomPorts: Bool

    public init(kind: NATKind? = nil, minimumAddress: NATAddress? = nil, maximumAddress: NATAddress? = nil,
                minimumPort: UInt16? = nil, maximumPort: UInt16? = nil, isPersistent: Bool = false,
                usesHashedPorts: Bool = false, usesRandomPorts: Bool = false) {
        self.kind = kind
        self.minimumAddress = minimumAddress
        self.maximumAddress = maximumAddress
        self.minimumPort = minimumPort
        self.maximumPort = maximumPort
        self.isPersistent = isPersistent
        self.usesHashedPorts = usesHashedPorts
        self.usesRandomPorts = usesRandomPorts
    }
}

/// `ct(...)`: connection tracking (executed by the conntrack issue).
public struct ConntrackAction: Hashable, Sendable {
    public var commit: Bool
    public var forceCommit: Bool
    /// Zone 0 is the default zone.
    public var zone: UInt16
    public var mark: Masked<UInt32>?
    public var labels: Masked<UInt128>?
    /// ALG helper name (`ftp`, `tftp`).
    public var helper: String?
    /// Timeout policy name.
    public var timeoutPolicy: String?
    /// Which conntrack events to report.
    public var eventMask: UInt32?
    public var nat: NATAction?

    public init(commit: Bool = false, forceCommit: Bool = false, zone: UInt16 = 0,
                mark: Masked<UInt32>? = nil, labels: Masked<UInt128>? = nil, helper: String? = nil,
                timeoutPolicy: String? = nil, eventMask: UInt32? = nil, nat: NATAction? = nil) {
        self.commit = commit
        self.forceCommit = forceCommit
        self.zone = zone
        self.mark = mark
        self.labels = labels
        self.helper = helper
        self.timeoutPolicy = timeoutPolicy
        self.eventMask = eventMask
        self.nat = nat
    }
}

/// The kind of tunnel a `tunnel_push` header builds (`OVS_VPORT_TYPE_*`
/// numbering; for logging and dispatch).
public struct TunnelType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let gre = TunnelType(rawValue: 3)
    public static let vxlan = TunnelType(rawValue: 4)
    public static let geneve = TunnelType(rawValue: 5)
    public static let erspan = TunnelType(rawValue: 107)
    public static let ip6erspan = TunnelType(rawValue: 108)
    public static let ip6gre = TunnelType(rawValue: 109)
    public static let gtpu = TunnelType(rawValue: 110)
    public static let bareudp = TunnelType(rawValue: 111)
}

/// `tnl_push(...)`: a prebuilt outer header to prepend, then output.
public struct TunnelPush: Hashable, Sendable {
    /// The most header bytes a push carries (`TNL_PUSH_HEADER_SIZE`).
    public static let maximumHeaderLength = 512

    public var tunnelPort: DatapathPort
    public var outPort: DatapathPort
    public var tunnelType: TunnelType
    /// Ethernet + IP + UDP/GRE + tunnel header, at most 512 bytes.
    public var header: [UInt8]

    public init(tunnelPort: DatapathPort, outPort: DatapathPort, tunnelType: TunnelType,
                header: [UInt8]) {
        self.tunnelPort = tunnelPort
        self.outPort = outPort
        self.tunnelType = tunnelType
        self.header = header
    }
}

/// Why the slow path told the datapath to drop (`enum xlate_error`).
public struct DropCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// No error: the flow simply drops.
    public static let ok = DropCode(rawValue: 0)
    public static let bridgeNotFound = DropCode(rawValue: 1)
    public static let recursionTooDeep = DropCode(rawValue: 2)
    public static let tooManyResubmits = DropCode(rawValue: 3)
    public static let stackTooDeep = DropCode(rawValue: 4)
    public static let noRecirculationContext = DropCode(rawValue: 5)
    public static let recirculationConflict = DropCode(rawValue: 6)
    public static let tooManyMPLSLabels = DropCode(rawValue: 7)
    public static let invalidTunnelMetadata = DropCode(rawValue: 8)
    public static let unsupportedPacketType = DropCode(rawValue: 9)
    public static let congestionDrop = DropCode(rawValue: 10)
    public static let forwardingDisabled = DropCode(rawValue: 11)
}
