import Wire

/// The OpenFlow text syntax of matches, as Open vSwitch's `match_format`
/// writes it (`ovs-ofctl dump-flows`, `parse-pcap`, packet-ins).

extension Match {
    /// OpenFlow's default flow priority; `formatted` omits it.
    public static let defaultPriority = 32768

    /// The match in `ovs-ofctl`'s syntax, as `match_format` writes it.
    /// A `priority` other than the default is printed first.
    public func formatted(priority: Int = Match.defaultPriority,
                          portNames: ((OFPort) -> String?)? = nil) -> String {
        var out = TextBuffer()
        format(into: &out, priority: priority, portNames: portNames)
        return out.string
    }

    /// Appends the match to `out` (see `formatted`).
    public func format(into out: inout TextBuffer, priority: Int = Match.defaultPriority,
                       portNames: ((OFPort) -> String?)? = nil) {
        formatMatch(key: key, mask: mask, into: &out, priority: priority, portNames: portNames)
    }
}

extension FlowKey {
    /// The flow as `flow_format` (and so `ovs-ofctl parse-pcap`) prints it:
    /// the exact match of a packet with this key, leaving out metadata that
    /// is zero.
    public func formatted(portNames: ((OFPort) -> String?)? = nil) -> String {
        var out = TextBuffer()
        format(into: &out, portNames: portNames)
        return out.string
    }

    /// Appends `formatted()` to `out`.
    public func format(into out: inout TextBuffer, portNames: ((OFPort) -> String?)? = nil) {
        formatMatch(key: self, mask: FlowMask.forFormatting(self), into: &out,
                    priority: Match.defaultPriority, portNames: portNames)
    }
}

extension FlowMask {
    /// The fields a packet of `key`'s kind has: OVS's
    /// `flow_wildcards_init_for_packet`. OpenFlow metadata and registers
    /// stay wildcarded; packet metadata is exact.
    public static func forPacket(_ key: FlowKey) -> FlowMask {
        var m = FlowMask.catchAll
        if key.tunnelIPv4Destination.rawValue != 0 || key.tunnelIPv6Destination != .any {
            if key.tunnelFlags & FlowKey.TunnelFlags.key != 0 { m.setExact(.tunnelID) }
            m.setExact(.tunnelIPv4Source)
            m.setExact(.tunnelIPv4Destination)
            m.setExactPair(.tunnelIPv6SourceHigh)
            m.setExactPair(.tunnelIPv6DestinationHigh)
            m.words[6] = .max               // flags, tos, ttl, tp_src, tp_dst
            m.words[7] = .max               // gbp, erspan
            m.words[8] = .max               // erspan, gtpu, options length
            let n = Int(key[.tunnelOptionsLength])
            for i in 0..<min(n, FlowKey.tunnelOptionsCapacity) {
                m.words[FlowField.tunnelOptionsFirstWord + i / 8] |= 0xff << UInt64(56 - 8 * (i % 8))
            }
        } else if key.tunnelID != 0 {
            m.setExact(.tunnelID)
        }
        m.words[26] = .max                  // skb_priority, pkt_mark
        m.words[27] = .max                  // dp_hash, in_port
        m.setExact(.recirculationID)
        m.setExact(.ctState)
        m.setExact(.ctZone)
        m.setExact(.ctMark)
        m.setExactPair(.ctLabelHigh)
        m.setExact(.packetType)

        let dlType: UInt64
        if key.packetType == 0 {
            m.setExact(.ethDestination)
            m.setExact(.ethSource)
            m.setExact(.ethType)
            m.setExact(.vlan0)
            if key.vlans[0].tci != 0 { m.setExact(.vlan1) }
            dlType = key[.ethType]
        } else {
            dlType = UInt64(key.packetType & 0xffff)
        }

        switch dlType {
        case 0x0800:
            m.words[38] = .max
            m.words[39] = .max
        case 0x86dd:
            m.setExactPair(.ipv6SourceHigh)
            m.setExactPair(.ipv6DestinationHigh)
            m.setExact(.ipv6Label)
            if key.isND {
                m.setExact(.arpSHA)
                m.setExact(.arpTHA)
                m.setExactPair(.ndTargetHigh)
            } else {
                m.setExactPair(.ctIPv6SourceHigh)
                m.setExactPair(.ctIPv6DestinationHigh)
            }
        case 0x0806, 0x8035:
            m.words[38] = .max
            m.setExact(.networkProtocol)
            m.setExact(.arpSHA)
            m.setExact(.arpTHA)
            return m
        case 0x8847, 0x8848:
            for i in 0..<3 {
                m[mplsField(i)] = 0xffff_ffff
                if key.mplsLSE(i) & 0x100 != 0 { break }
            }
            return m
        case 0x894f:
            m.words[53] = .max
            m.words[54] = .max
            m.words[55] = .max
        default:
            return m
        }

        // IPv4, IPv6 (and, as OVS does, NSH).
        m[.networkFragment] = 3
        m.setExact(.networkTOS)
        m.setExact(.networkTTL)
        m.setExact(.networkProtocol)
        m.setExact(.ctNetworkProtocol)
        m.setExact(.ctTransportSource)
        m.setExact(.ctTransportDestination)
        let proto = key[.networkProtocol]
        if key[.networkFragment] & 2 == 0,
           proto == 1 || proto == 58 || proto == 6 || proto == 17 || proto == 132 || proto == 2 {
            m.setExact(.transportSource)
            m.setExact(.transportDestination)
            if proto == 6 {
                m.setExact(.tcpFlags)
            } else if proto == 2 {
                m.setExact(.igmpGroup)
            }
        }
        return m
    }

    /// `forPacket` plus OpenFlow metadata and registers, minus the context
    /// fields that are zero in `key`: the mask `flow_format` prints with.
    public static func forFormatting(_ key: FlowKey) -> FlowMask {
        var m = forPacket(key)
        for i in 17...25 { m.words[i] = .max }      // metadata, regs
        if key.openFlowInPort.rawValue == 0 { m.wildcard(.inPort) }
        if key.skbPriority == 0 { m.wildcard(.skbPriority) }
        if key.packetMark == 0 { m.wildcard(.packetMark) }
        if key.recirculationID == 0 { m.wildcard(.recirculationID) }
        if key.dpHash == 0 { m.wildcard(.dpHash) }
        if key.ctState == 0 { m.wildcard(.ctState) }
        if key.ctZone == 0 { m.wildcard(.ctZone) }
        if key.ctMark == 0 { m.wildcard(.ctMark) }
        if key.words[30] | key.words[31] == 0 {
            m.words[30] = 0
            m.words[31] = 0
        }
        let validCT = key.ctState & (FlowKey.ConntrackState.new | FlowKey.ConntrackState.established
            | FlowKey.ConntrackState.replyDirection) != 0
        if !validCT || key.ctNetworkProtocol == 0 {
            m.wildcard(.ctNetworkProtocol)
            m.wildcard(.ctTransportSource)
            m.wildcard(.ctTransportDestination)
            if key[.ethType] == 0x0800 {
                m.words[39] = 0
            } else if key[.ethType] == 0x86dd {
                for i in 44...47 { m.words[i] = 0 }
            }
        }
        for i in 0..<16 where key.register(i) == 0 { m.wildcard(.register(i)) }
        if key.metadata == 0 { m.wildcard(.metadata) }
        return m
    }
}

extension FlowKey {
    /// ICMPv6 neighbor solicitation or advertisement (type 135/136, code 0).
    public var isND: Bool {
        self[.ethType] == 0x86dd && self[.networkProtocol] == 58 && self[.transportDestination] == 0
            && (self[.transportSource] == 135 || self[.transportSource] == 136)
    }
}

// MARK: - match_format

private let tcpFlagNames: [StaticString] = [
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]",
]
private let ctStateNames: [StaticString] = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"]
private let tunnelFlagNames: [StaticString?] = ["oam", "df", "csum", "key"]

/// Names of flag bits, lowest first; `nil` for unnamed bits.
private func flagName(_ names: [StaticString?], _ bit: Int) -> StaticString? {
    bit < names.count ? names[bit] : nil
}

/// OVS's `format_flags`: names joined by `|`, unnamed bits as one hex value, `0` for none.
private func formatFlags(_ out: inout TextBuffer, _ names: [StaticString?], _ flags: UInt64) {
    if flags == 0 { out.append(byte: 0x30); return }
    var bad: UInt64 = 0
    var f = flags
    while f != 0 {
        let bit = f.trailingZeroBitCount
        if let n = flagName(names, bit) {
            out.append(n)
            out.append(byte: 0x7c)
        } else {
            bad |= 1 << UInt64(bit)
        }
        f &= f - 1
    }
    if bad != 0 {
        out.append("0x")
        out.append(hex: bad)
        out.append(byte: 0x7c)
    }
    out.chomp(0x7c)
}

/// OVS's `format_flags_masked`.
private func formatFlagsMasked(_ out: inout TextBuffer, _ name: StaticString, _ names: [StaticString?],
                               _ flags: UInt64, _ mask: UInt64, _ maxMask: UInt64) {
    out.append(name)
    out.append(byte: 0x3d)
    if mask == maxMask { formatFlags(&out, names, flags); return }
    if mask == 0 { out.append("0/0"); return }
    var mk = mask
    while mk != 0 {
        let bit = mk.trailingZeroBitCount
        out.append(flags & (1 << UInt64(bit)) != 0 ? "+" : "-")
        if let n = flagName(names, bit) { out.append(n) } else { out.append("[Unknown]") }
        mk &= mk - 1
    }
}

private func isCIDR32(_ mask: UInt32) -> Bool {
    let x = ~mask
    return x & (x &+ 1) == 0
}

private func formatPort(_ out: inout TextBuffer, _ port: OFPort, _ names: ((OFPort) -> String?)?) {
    if let r = port.reservedName {
        out.append(r)
    } else if let n = names?(port) {
        out.append(n)
    } else {
        out.append(decimal: UInt64(port.rawValue))
    }
}

private struct MatchFormatter {
    let f: FlowKey
    let m: FlowMask

    func ethMasked(_ out: inout TextBuffer, _ name: StaticString, _ field: FlowField) {
        let mask = m[field]
        guard mask != 0 else { return }
        out.append(name)
        out.append(byte: 0x3d)
        out.append(ethernet: f[field])
        if mask != 0xffff_ffff_ffff {
            out.append(byte: 0x2f)
            out.append(ethernet: mask)
        }
        out.append(byte: 0x2c)
    }

    func ipMasked(_ out: inout TextBuffer, _ name: StaticString, _ field: FlowField) {
        let mask = UInt32(m[field])
        guard mask != 0 else { return }
        out.append(name)
        out.append(byte: 0x3d)
        out.append(ipv4: UInt32(f[field]))
        if mask != .max {
            out.append(byte: 0x2f)
            if isCIDR32(mask) {
                out.append(decimal: UInt64(mask.nonzeroBitCount))
            } else {
                out.append(ipv4: mask)
            }
        }
        out.append(byte: 0x2c)
    }

    func ipv6Masked(_ out: inout TextBuffer, _ name: StaticString, _ high: FlowField) {
        let mh = m.words[high.word], ml = m.words[high.word + 1]
        guard mh | ml != 0 else { return }
        out.append(name)
        out.append(byte: 0x3d)
        out.append(ipv6: IPv6Address(high: f.words[high.word], low: f.words[high.word + 1]))
        if mh & ml != .max {
            out.append(byte: 0x2f)
            // CIDR if the mask is ones then zeros (OVS checks byte by byte; same thing).
            let isCIDR: Bool
            if mh == .max {
                isCIDR = (~ml) & ((~ml) &+ 1) == 0
            } else {
                isCIDR = ml == 0 && (~mh) & ((~mh) &+ 1) == 0
            }
            if isCIDR {
                out.append(decimal: UInt64(mh.nonzeroBitCount + ml.nonzeroBitCount))
            } else {
                out.append(ipv6: IPv6Address(high: mh, low: ml))
            }
        }
        out.append(byte: 0x2c)
    }

    /// `format_uint8_masked`/`format_be16_masked`/`format_be32_masked`: decimal
    /// when exact, `0x%0Nx/0x%0Nx` otherwise (`hexWidth` 2 for 8-bit, 1 for
    /// 16-bit, 8 for 32-bit fields).
    func intMasked(_ out: inout TextBuffer, _ name: StaticString, _ field: FlowField, hexWidth: Int) {
        let mask = m[field]
        guard mask != 0 else { return }
        out.append(name)
        out.append(byte: 0x3d)
        if mask == field.maxValue {
            out.append(decimal: f[field])
        } else {
            out.append("0x")
            out.append(hex: f[field], width: hexWidth)
            out.append("/0x")
            out.append(hex: mask, width: hexWidth)
        }
        out.append(byte: 0x2c)
    }

    /// `format_uint32_masked`/`format_be64_masked`: `%#x`, with `/%#x` unless exact.
    func altHexMasked(_ out: inout TextBuffer, _ name: StaticString, _ field: FlowField) {
        let mask = m[field]
        guard mask != 0 else { return }
        out.append(name)
        out.append(byte: 0x3d)
        out.append(alternateHex: f[field])
        if mask != field.maxValue {
            out.append(byte: 0x2f)
            out.append(alternateHex: mask)
        }
        out.append(byte: 0x2c)
    }

    /// `format_be32_masked_hex`: `0x%x`, with `/0x%x` unless exact.
    func hexMasked(_ out: inout TextBuffer, _ name: StaticString, value: UInt64, mask: UInt64, max: UInt64) {
        guard mask != 0 else { return }
        out.append(name)
        out.append("=0x")
        out.append(hex: value)
        if mask != max {
            out.append("/0x")
            out.append(hex: mask)
        }
        out.append(byte: 0x2c)
    }

    func tunnel(_ out: inout TextBuffer) {
        altHexMasked(&out, "tun_id", .tunnelID)
        ipMasked(&out, "tun_src", .tunnelIPv4Source)
        ipMasked(&out, "tun_dst", .tunnelIPv4Destination)
        ipv6Masked(&out, "tun_ipv6_src", .tunnelIPv6SourceHigh)
        ipv6Masked(&out, "tun_ipv6_dst", .tunnelIPv6DestinationHigh)
        intMasked(&out, "tun_gbp_id", .tunnelGBPID, hexWidth: 1)
        if m[.tunnelGBPFlags] != 0 {
            out.append("tun_gbp_flags=")
            out.append(alternateHex: f[.tunnelGBPFlags])
            out.append(byte: 0x2c)
        }
        if m[.tunnelTOS] != 0 {
            out.append("tun_tos=")
            out.append(hex: f[.tunnelTOS])
            out.append(byte: 0x2c)
        }
        if m[.tunnelTTL] != 0 {
            out.append("tun_ttl=")
            out.append(decimal: f[.tunnelTTL])
            out.append(byte: 0x2c)
        }
        let erspanVersion = f[.tunnelERSPANVersion]
        if m[.tunnelERSPANVersion] != 0 {
            out.append("tun_erspan_ver=")
            out.append(decimal: erspanVersion)
            out.append(byte: 0x2c)
        }
        if m[.tunnelERSPANIndex] != 0 && erspanVersion == 1 {
            out.append("tun_erspan_idx=")
            out.append(alternateHex: f[.tunnelERSPANIndex])
            out.append(byte: 0x2c)
        }
        if m[.tunnelERSPANDirection] != 0 && erspanVersion == 2 {
            out.append("tun_erspan_dir=")
            out.append(decimal: f[.tunnelERSPANDirection])
            out.append(byte: 0x2c)
        }
        if m[.tunnelERSPANHardwareID] != 0 && erspanVersion == 2 {
            out.append("tun_erspan_hwid=")
            out.append(alternateHex: f[.tunnelERSPANHardwareID])
            out.append(byte: 0x2c)
        }
        if m[.tunnelGTPUFlags] != 0 {
            out.append("gtpu_flags=")
            out.append(alternateHex: f[.tunnelGTPUFlags])
            out.append(byte: 0x2c)
        }
        if m[.tunnelGTPUMessageType] != 0 {
            out.append("gtpu_msgtype=")
            out.append(decimal: f[.tunnelGTPUMessageType])
            out.append(byte: 0x2c)
        }
        let flagMask = m[.tunnelFlags] & 0xf
        if flagMask != 0 {
            formatFlagsMasked(&out, "tun_flags", tunnelFlagNames, f[.tunnelFlags] & 0xf, flagMask, 0xf)
            out.append(byte: 0x2c)
        }
        // Tunnel metadata (tun_metadata<N>) needs the TLV map: not printed yet.
    }

    func format(_ out: inout TextBuffer, priority: Int, portNames: ((OFPort) -> String?)?) {
        let start = out.count
        var skipType = false
        var skipProto = false
        var dlType = f[.ethType]
        var isMegaflow = false

        if priority != Match.defaultPriority {
            out.append("priority=")
            if priority < 0 { out.append(byte: 0x2d) }
            out.append(decimal: UInt64(priority.magnitude))
            out.append(byte: 0x2c)
        }
        altHexMasked(&out, "pkt_mark", .packetMark)
        if m[.recirculationID] != 0 {
            altHexMasked(&out, "recirc_id", .recirculationID)
            isMegaflow = true
        }
        altHexMasked(&out, "dp_hash", .dpHash)
        if m[.conjunctionID] != 0 {
            out.append("conj_id=")
            out.append(decimal: f[.conjunctionID])
            out.append(byte: 0x2c)
        }
        if m[.skbPriority] != 0 {
            out.append("skb_priority=")
            out.append(alternateHex: f[.skbPriority])
            out.append(byte: 0x2c)
        }
        if m[.actionSetOutput] != 0 {
            out.append("actset_output=")
            formatPort(&out, OFPort(rawValue: UInt16(truncatingIfNeeded: f[.actionSetOutput])), portNames)
            out.append(byte: 0x2c)
        }
        let ctStateMask = m[.ctState]
        if ctStateMask != 0 {
            if ctStateMask == 0xff {
                out.append("ct_state=")
                formatFlags(&out, ctStateNames, f[.ctState])
            } else {
                formatFlagsMasked(&out, "ct_state", ctStateNames, f[.ctState], ctStateMask, 0xff)
            }
            out.append(byte: 0x2c)
        }
        intMasked(&out, "ct_zone", .ctZone, hexWidth: 1)
        altHexMasked(&out, "ct_mark", .ctMark)
        if m.words[30] | m.words[31] != 0 {
            out.append("ct_label=")
            appendHex128(&out, f.words[30], f.words[31])
            if m.words[30] & m.words[31] != .max {
                out.append(byte: 0x2f)
                appendHex128(&out, m.words[30], m.words[31])
            }
            out.append(byte: 0x2c)
        }
        ipMasked(&out, "ct_nw_src", .ctIPv4Source)
        ipv6Masked(&out, "ct_ipv6_src", .ctIPv6SourceHigh)
        ipMasked(&out, "ct_nw_dst", .ctIPv4Destination)
        ipv6Masked(&out, "ct_ipv6_dst", .ctIPv6DestinationHigh)
        if m[.ctNetworkProtocol] != 0 {
            out.append("ct_nw_proto=")
            out.append(decimal: f[.ctNetworkProtocol])
            out.append(byte: 0x2c)
            intMasked(&out, "ct_tp_src", .ctTransportSource, hexWidth: 1)
            intMasked(&out, "ct_tp_dst", .ctTransportDestination, hexWidth: 1)
        }
        let ptMask = m[.packetType]
        if ptMask != 0 {
            let pt = f[.packetType]
            let isDefault = pt == 0 && ptMask == 0xffff_ffff
            if !isDefault || isMegaflow {
                if pt == 0 && ptMask == 0xffff_ffff {
                    out.append("eth")
                } else {
                    out.append("packet_type=(")
                    putU16Masked(&out, pt >> 16, ptMask >> 16)
                    out.append(byte: 0x2c)
                    putU16Masked(&out, pt & 0xffff, ptMask & 0xffff)
                    out.append(byte: 0x29)
                }
                out.append(byte: 0x2c)
                if pt >> 16 == 1 { dlType = pt & 0xffff }
            }
        }

        if m[.ethType] != 0 {
            skipType = true
            let protoMasked = m[.networkProtocol] != 0
            let proto = f[.networkProtocol]
            switch dlType {
            case 0x0800:
                if protoMasked {
                    skipProto = true
                    switch proto {
                    case 1: out.append("icmp,")
                    case 6: out.append("tcp,")
                    case 17: out.append("udp,")
                    case 132: out.append("sctp,")
                    default: out.append("ip,"); skipProto = false
                    }
                } else {
                    out.append("ip,")
                }
            case 0x86dd:
                if protoMasked {
                    skipProto = true
                    switch proto {
                    case 58: out.append("icmp6,")
                    case 6: out.append("tcp6,")
                    case 17: out.append("udp6,")
                    case 132: out.append("sctp6,")
                    default: out.append("ipv6,"); skipProto = false
                    }
                } else {
                    out.append("ipv6,")
                }
            case 0x0806: out.append("arp,")
            case 0x8035: out.append("rarp,")
            case 0x8847: out.append("mpls,")
            case 0x8848: out.append("mplsm,")
            default: skipType = false
            }
        }
        for i in 0..<16 {
            let field = FlowField.register(i)
            let mask = m[field]
            guard mask != 0 else { continue }
            out.append("reg")
            out.append(decimal: UInt64(i))
            out.append(byte: 0x3d)
            out.append(alternateHex: f[field])
            if mask != 0xffff_ffff {
                out.append(byte: 0x2f)
                out.append(alternateHex: mask)
            }
            out.append(byte: 0x2c)
        }
        tunnel(&out)
        altHexMasked(&out, "metadata", .metadata)
        if m[.inPort] & 0xffff != 0 {
            out.append("in_port=")
            formatPort(&out, f.openFlowInPort, portNames)
            out.append(byte: 0x2c)
        }
        for i in 0..<2 {
            let tciField: FlowField = i == 0 ? .vlan0TCI : .vlan1TCI
            let mask = m[tciField]
            if mask == 0 { break }
            let tci = f[tciField]
            let vidMask = mask & 0x0fff, pcpMask = mask & 0xe000, cfi = mask & 0x1000
            if cfi != 0 && tci & 0x1000 != 0
                && (vidMask == 0 || vidMask == 0x0fff)
                && (pcpMask == 0 || pcpMask == 0xe000)
                && (vidMask != 0 || pcpMask != 0) {
                if vidMask != 0 {
                    out.append("dl_vlan")
                    if i == 1 { out.append(byte: 0x31) }
                    out.append(byte: 0x3d)
                    out.append(decimal: tci & 0x0fff)
                    out.append(byte: 0x2c)
                }
                if pcpMask != 0 {
                    out.append("dl_vlan_pcp")
                    if i == 1 { out.append(byte: 0x31) }
                    out.append(byte: 0x3d)
                    out.append(decimal: tci >> 13)
                    out.append(byte: 0x2c)
                }
            } else {
                out.append("vlan_tci")
                if i == 1 { out.append(byte: 0x31) }
                out.append("=0x")
                out.append(hex: tci, width: 4)
                if mask != 0xffff {
                    out.append("/0x")
                    out.append(hex: mask, width: 4)
                }
                out.append(byte: 0x2c)
            }
        }
        ethMasked(&out, "dl_src", .ethSource)
        ethMasked(&out, "dl_dst", .ethDestination)
        if !skipType && m[.ethType] != 0 {
            out.append("dl_type=0x")
            out.append(hex: dlType, width: 4)
            out.append(byte: 0x2c)
        }
        let isARP = dlType == 0x0806 || dlType == 0x8035
        if dlType == 0x86dd {
            ipv6Masked(&out, "ipv6_src", .ipv6SourceHigh)
            ipv6Masked(&out, "ipv6_dst", .ipv6DestinationHigh)
            let labelMask = m[.ipv6Label]
            if labelMask != 0 {
                out.append("ipv6_label=0x")
                out.append(hex: f[.ipv6Label], width: 5)
                if labelMask != 0xffff_ffff {
                    out.append("/0x")
                    out.append(hex: labelMask, width: 5)
                }
                out.append(byte: 0x2c)
            }
        } else if isARP {
            ipMasked(&out, "arp_spa", .ipv4Source)
            ipMasked(&out, "arp_tpa", .ipv4Destination)
        } else if dlType == 0x894f {
            nsh(&out)
        } else {
            ipMasked(&out, "nw_src", .ipv4Source)
            ipMasked(&out, "nw_dst", .ipv4Destination)
        }
        if !skipProto && m[.networkProtocol] != 0 {
            out.append(isARP ? "arp_op=" : "nw_proto=")
            out.append(decimal: f[.networkProtocol])
            out.append(byte: 0x2c)
        }
        if isARP {
            ethMasked(&out, "arp_sha", .arpSHA)
            ethMasked(&out, "arp_tha", .arpTHA)
        }
        let tosMask = m[.networkTOS]
        if tosMask & 0xfc != 0 {
            out.append("nw_tos=")
            out.append(decimal: f[.networkTOS] & 0xfc)
            out.append(byte: 0x2c)
        }
        if tosMask & 0x03 != 0 {
            out.append("nw_ecn=")
            out.append(decimal: f[.networkTOS] & 0x03)
            out.append(byte: 0x2c)
        }
        if m[.networkTTL] != 0 {
            out.append("nw_ttl=")
            out.append(decimal: f[.networkTTL])
            out.append(byte: 0x2c)
        }
        let lse0Mask = m[.mplsLSE0], lse0 = f[.mplsLSE0]
        if lse0Mask & 0xffff_f000 != 0 {
            out.append("mpls_label=")
            out.append(decimal: lse0 >> 12)
            out.append(byte: 0x2c)
        }
        if lse0Mask & 0xe00 != 0 {
            out.append("mpls_tc=")
            out.append(decimal: (lse0 >> 9) & 7)
            out.append(byte: 0x2c)
        }
        if lse0Mask & 0xff != 0 {
            out.append("mpls_ttl=")
            out.append(decimal: lse0 & 0xff)
            out.append(byte: 0x2c)
        }
        if lse0Mask & 0x100 != 0 {
            out.append("mpls_bos=")
            out.append(decimal: (lse0 >> 8) & 1)
            out.append(byte: 0x2c)
        }
        intMasked(&out, "mpls_lse1", .mplsLSE1, hexWidth: 8)
        intMasked(&out, "mpls_lse2", .mplsLSE2, hexWidth: 8)

        let frag = f[.networkFragment]
        switch m[.networkFragment] & 3 {
        case 3:
            out.append("nw_frag=")
            if frag & 1 != 0 {
                out.append(frag & 2 != 0 ? "later" : "first")
            } else {
                out.append(frag & 2 != 0 ? "<error>" : "no")
            }
            out.append(byte: 0x2c)
        case 1:
            out.append("nw_frag=")
            out.append(frag & 1 != 0 ? "yes" : "no")
            out.append(byte: 0x2c)
        case 2:
            out.append("nw_frag=")
            out.append(frag & 2 != 0 ? "later" : "not_later")
            out.append(byte: 0x2c)
        default:
            break
        }
        let proto = f[.networkProtocol]
        if dlType == 0x0800 && proto == 1 {
            intMasked(&out, "icmp_type", .transportSource, hexWidth: 1)
            intMasked(&out, "icmp_code", .transportDestination, hexWidth: 1)
        } else if dlType == 0x86dd && proto == 58 {
            intMasked(&out, "icmp_type", .transportSource, hexWidth: 1)
            intMasked(&out, "icmp_code", .transportDestination, hexWidth: 1)
            ipv6Masked(&out, "nd_target", .ndTargetHigh)
            ethMasked(&out, "nd_sll", .arpSHA)
            ethMasked(&out, "nd_tll", .arpTHA)
            intMasked(&out, "nd_reserved", .igmpGroup, hexWidth: 8)
            intMasked(&out, "nd_options_type", .tcpFlags, hexWidth: 1)
        } else {
            intMasked(&out, "tp_src", .transportSource, hexWidth: 1)
            intMasked(&out, "tp_dst", .transportDestination, hexWidth: 1)
        }
        let isIP = f[.ethType] == 0x0800 || f[.ethType] == 0x86dd
        if isIP && proto == 6 && m[.tcpFlags] & 0x0fff != 0 {
            formatFlagsMasked(&out, "tcp_flags", tcpFlagNames, f[.tcpFlags], m[.tcpFlags] & 0x0fff, 0x0fff)
        }
        if out.count > start { out.chomp(0x2c) }
    }

    func nsh(_ out: inout TextBuffer) {
        let path = f[.nshPathHeader], pathMask = m[.nshPathHeader]
        var spiMask = pathMask >> 8
        if spiMask == 0xff_ffff { spiMask = 0xffff_ffff }
        intMasked(&out, "nsh_flags", .nshFlags, hexWidth: 2)
        intMasked(&out, "nsh_ttl", .nshTTL, hexWidth: 2)
        intMasked(&out, "nsh_mdtype", .nshMDType, hexWidth: 2)
        intMasked(&out, "nsh_np", .nshNextProtocol, hexWidth: 2)
        hexMasked(&out, "nsh_spi", value: path >> 8, mask: spiMask, max: 0xffff_ffff)
        let siMask = pathMask & 0xff
        if siMask != 0 {
            out.append("nsh_si=")
            if siMask == 0xff {
                out.append(decimal: path & 0xff)
            } else {
                out.append("0x")
                out.append(hex: path & 0xff, width: 2)
                out.append("/0x")
                out.append(hex: siMask, width: 2)
            }
            out.append(byte: 0x2c)
        }
        if m[.nshMDType] == 0xff && f[.nshMDType] == 1 {
            hexMasked(&out, "nsh_c1", value: f[.nshContext(0)], mask: m[.nshContext(0)], max: 0xffff_ffff)
            hexMasked(&out, "nsh_c2", value: f[.nshContext(1)], mask: m[.nshContext(1)], max: 0xffff_ffff)
            hexMasked(&out, "nsh_c3", value: f[.nshContext(2)], mask: m[.nshContext(2)], max: 0xffff_ffff)
            hexMasked(&out, "nsh_c4", value: f[.nshContext(3)], mask: m[.nshContext(3)], max: 0xffff_ffff)
        }
    }
}

/// `ds_put_hex` of a 128-bit big-endian value: `0x` and the digits after
/// leading zero bytes, or `0`.
private func appendHex128(_ out: inout TextBuffer, _ high: UInt64, _ low: UInt64) {
    if high == 0 && low == 0 { out.append(byte: 0x30); return }
    out.append("0x")
    if high != 0 {
        let lead = high.leadingZeroBitCount / 8
        out.append(hex: high, width: (8 - lead) * 2 - 1)
        out.append(hex: low, width: 16)
    } else {
        let lead = low.leadingZeroBitCount / 8
        out.append(hex: low, width: (8 - lead) * 2 - 1)
    }
}

/// `put_u16_masked` of `format_packet_type_masked`.
private func putU16Masked(_ out: inout TextBuffer, _ value: UInt64, _ mask: UInt64) {
    if mask == 0 { out.append(byte: 0x2a); return }
    if value > 9 {
        out.append("0x")
        out.append(hex: value)
    } else {
        out.append(decimal: value)
    }
    if mask != 0xffff {
        out.append("/0x")
        out.append(hex: mask)
    }
}

func formatMatch(key: FlowKey, mask: FlowMask, into out: inout TextBuffer, priority: Int,
                 portNames: ((OFPort) -> String?)?) {
    MatchFormatter(f: key, m: mask).format(&out, priority: priority, portNames: portNames)
}
