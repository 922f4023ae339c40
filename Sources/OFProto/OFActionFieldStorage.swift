import Flow

/// Where an OpenFlow field lives in `Flow`'s `FlowKey`, so that `set_field`,
/// `load`, `move` and matches read and write the same bits.
public enum OFFieldStorage: Hashable, Sendable {
    /// Bits `shift ..< shift + bits` of a key field.
    case bits(FlowField, shift: Int, width: Int)
    /// A whole 64-bit key word (`xreg<i>`).
    case word(Int)
    /// A 128-bit value in two consecutive words, the first one high.
    case pair(FlowField)
    /// Not kept in the flow key (tunnel metadata, NSH, ...).
    case none
}

extension OFField {
    /// The field's place in the flow key.
    public var storage: OFFieldStorage {
        func whole(_ f: FlowField) -> OFFieldStorage { .bits(f, shift: 0, width: f.width) }
        switch name {
        case "in_port", "in_port_oxm": return whole(.inPort)
        case "eth_src": return whole(.ethSource)
        case "eth_dst": return whole(.ethDestination)
        case "eth_type": return whole(.ethType)
        case "vlan_tci": return whole(.vlan0TCI)
        case "vlan_vid": return .bits(.vlan0TCI, shift: 0, width: 13)
        case "dl_vlan": return .bits(.vlan0TCI, shift: 0, width: 12)
        case "vlan_pcp", "dl_vlan_pcp": return .bits(.vlan0TCI, shift: 13, width: 3)
        case "ip_src", "arp_spa": return whole(.ipv4Source)
        case "ip_dst", "arp_tpa": return whole(.ipv4Destination)
        case "ipv6_src": return .pair(.ipv6SourceHigh)
        case "ipv6_dst": return .pair(.ipv6DestinationHigh)
        case "nd_target": return .pair(.ndTargetHigh)
        case "ipv6_label": return .bits(.ipv6Label, shift: 0, width: 20)
        case "nw_proto", "arp_op": return whole(.networkProtocol)
        case "nw_tos": return .bits(.networkTOS, shift: 0, width: 8)
        case "ip_dscp": return .bits(.networkTOS, shift: 2, width: 6)
        case "nw_ecn": return .bits(.networkTOS, shift: 0, width: 2)
        case "nw_ttl": return whole(.networkTTL)
        case "ip_frag": return .bits(.networkFragment, shift: 0, width: 2)
        case "tcp_src", "udp_src", "sctp_src": return whole(.transportSource)
        case "tcp_dst", "udp_dst", "sctp_dst": return whole(.transportDestination)
        case "icmp_type", "icmpv6_type": return .bits(.transportSource, shift: 0, width: 8)
        case "icmp_code", "icmpv6_code": return .bits(.transportDestination, shift: 0, width: 8)
        case "tcp_flags": return .bits(.tcpFlags, shift: 0, width: 12)
        case "arp_sha", "nd_sll": return whole(.arpSHA)
        case "arp_tha", "nd_tll": return whole(.arpTHA)
        case "mpls_label": return .bits(.mplsLSE0, shift: 12, width: 20)
        case "mpls_tc": return .bits(.mplsLSE0, shift: 9, width: 3)
        case "mpls_bos": return .bits(.mplsLSE0, shift: 8, width: 1)
        case "mpls_ttl": return .bits(.mplsLSE0, shift: 0, width: 8)
        case "metadata": return whole(.metadata)
        case "tun_id": return whole(.tunnelID)
        case "tun_src": return whole(.tunnelIPv4Source)
        case "tun_dst": return whole(.tunnelIPv4Destination)
        case "tun_ipv6_src": return .pair(.tunnelIPv6SourceHigh)
        case "tun_ipv6_dst": return .pair(.tunnelIPv6DestinationHigh)
        case "tun_flags": return .bits(.tunnelFlags, shift: 0, width: 1)
        case "tun_ttl": return whole(.tunnelTTL)
        case "tun_tos": return whole(.tunnelTOS)
        case "tun_gbp_id": return whole(.tunnelGBPID)
        case "tun_gbp_flags": return whole(.tunnelGBPFlags)
        case "pkt_mark": return whole(.packetMark)
        case "skb_priority": return whole(.skbPriority)
        case "dp_hash": return whole(.dpHash)
        case "recirc_id": return whole(.recirculationID)
        case "conj_id": return whole(.conjunctionID)
        case "packet_type": return whole(.packetType)
        case "actset_output": return whole(.actionSetOutput)
        case "ct_state": return whole(.ctState)
        case "ct_zone": return whole(.ctZone)
        case "ct_mark": return whole(.ctMark)
        case "ct_label": return .pair(.ctLabelHigh)
        case "ct_nw_proto": return whole(.ctNetworkProtocol)
        case "ct_nw_src": return whole(.ctIPv4Source)
        case "ct_nw_dst": return whole(.ctIPv4Destination)
        case "ct_ipv6_src": return .pair(.ctIPv6SourceHigh)
        case "ct_ipv6_dst": return .pair(.ctIPv6DestinationHigh)
        case "ct_tp_src": return whole(.ctTransportSource)
        case "ct_tp_dst": return whole(.ctTransportDestination)
        default:
            if name.hasPrefix("xxreg"), let i = Int(name.dropFirst(5)) {
                // reg4i..reg4i+3, the first most significant.
                return .pair(FlowField.register(4 * i))
            }
            if name.hasPrefix("xreg"), let i = Int(name.dropFirst(4)) {
                return .word(FlowField.register(2 * i).word)
            }
            if name.hasPrefix("reg"), let i = Int(name.dropFirst(3)) { return whole(.register(i)) }
            return .none
        }
    }

    /// Every field's place in the flow key, by field id: `storage` decides
    /// by name, and reads and writes of fields happen per rule and per
    /// translated action, so they look it up here.
    public static let storages: [OFFieldStorage] = OFField.all.map(\.storage)

    /// The field's value in `key` (0 for fields the key does not keep).
    @inline(__always)
    public func value(in key: FlowKey) -> UInt128 { Self.storages[id].read(key) }

    /// Writes `value` into `key` on the bits `mask` keeps.
    @inline(__always)
    public func write(_ value: UInt128, mask: UInt128, into key: inout FlowKey) {
        Self.storages[id].write(value, mask: mask, into: &key)
    }
}

extension OFFieldStorage {
    /// The value kept here in `key` (0 for `.none`).
    public func read(_ key: FlowKey) -> UInt128 {
        switch self {
        case .bits(let f, let shift, let width):
            let ones: UInt64 = width >= 64 ? .max : (1 << UInt64(width)) - 1
            return UInt128((key[f] >> UInt64(shift)) & ones)
        case .word(let w):
            return UInt128(key.words[w])
        case .pair(let high):
            return UInt128(key.words[high.word]) << 64 | UInt128(key.words[high.word + 1])
        case .none:
            return 0
        }
    }

    /// Writes `value` here in `key`, on the bits `mask` keeps.
    public func write(_ value: UInt128, mask: UInt128, into key: inout FlowKey) {
        switch self {
        case .bits(let f, let shift, let width):
            let ones: UInt64 = width >= 64 ? .max : (1 << UInt64(width)) - 1
            let m = (UInt64(truncatingIfNeeded: mask) & ones) << UInt64(shift)
            let v = (UInt64(truncatingIfNeeded: value) & ones) << UInt64(shift)
            key[f] = (key[f] & ~m) | (v & m)
        case .pair(let high):
            let hv = UInt64(truncatingIfNeeded: value >> 64), lv = UInt64(truncatingIfNeeded: value)
            let hm = UInt64(truncatingIfNeeded: mask >> 64), lm = UInt64(truncatingIfNeeded: mask)
            key.words[high.word] = (key.words[high.word] & ~hm) | (hv & hm)
            key.words[high.word + 1] = (key.words[high.word + 1] & ~lm) | (lv & lm)
        case .word(let w):
            let v = UInt64(truncatingIfNeeded: value), m = UInt64(truncatingIfNeeded: mask)
            key.words[w] = (key.words[w] & ~m) | (v & m)
        case .none:
            break
        }
    }
}
