import Wire

// Attributes -> FlowKey/FlowMask: Open vSwitch's `odp_flow_key_to_flow` and
// `odp_flow_key_to_mask`, including the checks that make the userspace
// datapath refuse a flow (an attribute missing or left over is an error here,
// as `dpif-netdev` refuses any fitness but perfect).

extension DatapathKeyAttributes {
    /// The flow key and mask the attributes describe. A `nil` mask means an
    /// exact match on everything the key holds.
    /// `vlanLimit` is OVS's `vlan-limit` (default 1; 0 for the most, 2):
    /// VLAN headers beyond it are refused.
    public static func decode(key: [DatapathKeyAttribute], mask: [DatapathKeyAttribute]?,
                              vlanLimit: Int = 1) throws(DatapathKeyError) -> (key: FlowKey, mask: FlowMask) {
        let k = try decodeKey(key, vlanLimit: vlanLimit)
        guard let mask else {
            return (k, FlowMask(words: encodeExactMask(k, vlanLimit: vlanLimit).words))
        }
        let m = try decodeMask(mask, key: k, vlanLimit: vlanLimit)
        return (k, m)
    }

    /// The exact mask of a key given without one: every field its
    /// attributes carry (ICMP type and code are 8 bits wide).
    static func encodeExactMask(_ key: FlowKey, vlanLimit: Int) -> FlowMask {
        var all = FlowMask.exact
        let proto = key.networkProtocol.rawValue
        if proto == 1 || proto == 58 {
            all.transportSource = 0xff
            all.transportDestination = 0xff
        }
        let attributes = encode(key, mask: all, exportMask: true, vlanLimit: vlanLimit)
        return (try? decodeMask(attributes, key: key, vlanLimit: vlanLimit)) ?? .catchAll
    }

    static func index(_ list: [DatapathKeyAttribute]) throws(DatapathKeyError) -> [UInt16: DatapathKeyAttribute] {
        var seen: [UInt16: DatapathKeyAttribute] = [:]
        for a in list {
            if let expected = DatapathKeyAttributeType.expectedLength(a.type) {
                if expected == -2 {
                    guard a.nested != nil else { throw DatapathKeyError("attribute \(a.type) must be nested") }
                } else if expected == -1 {
                    guard a.nested == nil else { throw DatapathKeyError("attribute \(a.type) must not be nested") }
                } else if a.nested != nil || a.payload.count != expected {
                    throw DatapathKeyError("attribute \(a.type) has length \(a.payload.count) but should have length \(expected)")
                }
            } else if a.type <= DatapathKeyAttributeType.maximum {
                throw DatapathKeyError("unknown attribute \(a.type)")
            }
            if seen[a.type] != nil { throw DatapathKeyError("duplicate \(a.type) attribute in flow key") }
            seen[a.type] = a
        }
        return seen
    }

    static func u32(_ a: DatapathKeyAttribute) -> UInt32 { PayloadReader(a.payload).le32(0) }

    // MARK: Key

    static func decodeKey(_ list: [DatapathKeyAttribute], vlanLimit: Int) throws(DatapathKeyError) -> FlowKey {
        typealias T = DatapathKeyAttributeType
        var attrs = try index(list)
        var flow = FlowKey()
        var used: Set<UInt16> = []
        func take(_ t: UInt16) -> DatapathKeyAttribute? {
            guard let a = attrs[t] else { return nil }
            used.insert(t)
            return a
        }
        if let a = take(T.recirculationID) { flow.recirculationID = u32(a) }
        if let a = take(T.dpHash) { flow.dpHash = u32(a) }
        if let a = take(T.priority) { flow.skbPriority = u32(a) }
        if let a = take(T.skbMark) { flow.packetMark = u32(a) }
        if let a = take(T.ctState) { flow.ctState = UInt8(truncatingIfNeeded: u32(a)) }
        if let a = take(T.ctZone) { flow.ctZone = PayloadReader(a.payload).le16(0) }
        if let a = take(T.ctMark) { flow.ctMark = u32(a) }
        if let a = take(T.ctLabels) {
            let r = PayloadReader(a.payload)
            flow.ctLabel = (high: r.le64(8), low: r.le64(0))
        }
        if let a = take(T.ctTupleIPv4) {
            let r = PayloadReader(a.payload)
            flow.ctIPv4Source = IPv4Address(rawValue: r.be32(0))
            flow.ctIPv4Destination = IPv4Address(rawValue: r.be32(4))
            flow.ctTransportSource = r.be16(8)
            flow.ctTransportDestination = r.be16(10)
            flow.ctNetworkProtocol = r.u8(12)
        }
        if let a = take(T.ctTupleIPv6) {
            let r = PayloadReader(a.payload)
            flow.ctIPv6Source = r.ipv6(0)
            flow.ctIPv6Destination = r.ipv6(16)
            flow.ctTransportSource = r.be16(32)
            flow.ctTransportDestination = r.be16(34)
            flow.ctNetworkProtocol = r.u8(36)
        }
        if let a = take(T.tunnel) { try decodeTunnel(a.nested ?? [], into: &flow, isMask: false) }
        if let a = take(T.inPort) { flow.inPort = DatapathPort(u32(a)) } else { flow.inPort = .none }
        flow.packetType = 0
        if let a = take(T.packetType) {
            flow.packetType = PayloadReader(a.payload).be32(0)
            if flow.packetType >> 16 == 1 { flow[.ethType] = UInt64(flow.packetType & 0xffff) }
        }
        if let a = take(T.ethernet) {
            let r = PayloadReader(a.payload)
            flow[.ethSource] = r.eth(0)
            flow[.ethDestination] = r.eth(6)
            flow.packetType = 0
        } else if let a = attrs[T.etherType] {
            flow.packetType = 1 << 16 | UInt32(PayloadReader(a.payload).be16(0))
        }
        try parseEtherType(&attrs, &used, &flow)
        if isVLANType(flow[.ethType]) {
            var level = 0
            while level < maximumVLANs(vlanLimit) && isVLANType(flow[.ethType]) {
                guard let vlan = take(T.vlan), let encap = take(T.encap) else {
                    throw DatapathKeyError("VLAN flow key needs vlan() and encap()")
                }
                try checkAllUsed(attrs, used)
                var vlans = flow.vlans
                let tci = PayloadReader(vlan.payload).be16(0)
                vlans[level] = FlowVLANHeader(tpid: UInt16(flow[.ethType]), tci: tci)
                flow.vlans = vlans
                flow[.ethType] = 0
                if tci == 0 {
                    if !(encap.nested ?? []).isEmpty { throw DatapathKeyError("encap() must be empty after vlan(0)") }
                    return flow
                }
                guard tci & 0x1000 != 0 else {
                    throw DatapathKeyError("OVS_KEY_ATTR_VLAN 0x\(String(tci, radix: 16)) is nonzero but CFI bit is not set")
                }
                attrs = try index(encap.nested ?? [])
                used = []
                try parseEtherType(&attrs, &used, &flow)
                try parseL2_5Onward(&attrs, &used, &flow)
                level += 1
            }
            try checkAllUsed(attrs, used)
        } else {
            try parseL2_5Onward(&attrs, &used, &flow)
            try checkAllUsed(attrs, used)
        }
        return flow
    }

    static func checkAllUsed(_ attrs: [UInt16: DatapathKeyAttribute], _ used: Set<UInt16>) throws(DatapathKeyError) {
        for t in attrs.keys.sorted() where !used.contains(t) && t <= DatapathKeyAttributeType.maximum {
            throw DatapathKeyError("flow key has unexpected attribute \(t)")
        }
    }

    static func parseEtherType(_ attrs: inout [UInt16: DatapathKeyAttribute], _ used: inout Set<UInt16>,
                               _ flow: inout FlowKey) throws(DatapathKeyError) {
        typealias T = DatapathKeyAttributeType
        if let a = attrs[T.etherType] {
            used.insert(T.etherType)
            let t = PayloadReader(a.payload).be16(0)
            guard t >= 0x600 else { throw DatapathKeyError("invalid Ethertype \(t) in flow key") }
            flow[.ethType] = UInt64(t)
        } else if attrs[T.ipv4] != nil {
            flow[.ethType] = 0x0800
        } else if attrs[T.ipv6] != nil {
            flow[.ethType] = 0x86dd
        } else if attrs[T.mpls] != nil {
            flow[.ethType] = 0x8847
        } else {
            flow[.ethType] = UInt64(noEtherType)
        }
    }

    static func parseL2_5Onward(_ attrs: inout [UInt16: DatapathKeyAttribute], _ used: inout Set<UInt16>,
                                _ flow: inout FlowKey) throws(DatapathKeyError) {
        typealias T = DatapathKeyAttributeType
        let dlType = flow[.ethType]
        func need(_ t: UInt16, _ name: String) throws(DatapathKeyError) -> PayloadReader {
            guard let a = attrs[t] else { throw DatapathKeyError("flow key lacks \(name)()") }
            used.insert(t)
            return PayloadReader(a.payload)
        }
        switch dlType {
        case 0x8847, 0x8848:
            guard let a = attrs[T.mpls] else { throw DatapathKeyError("flow key lacks mpls()") }
            used.insert(T.mpls)
            let n = a.payload.count / 4
            guard n > 0, a.payload.count % 4 == 0 else { throw DatapathKeyError("MPLS LSEs have invalid length \(a.payload.count)") }
            guard n <= 3 else { throw DatapathKeyError("too many MPLS labels") }
            let r = PayloadReader(a.payload)
            for i in 0..<n { flow.setMPLSLSE(i, r.be32(4 * i)) }
            for i in 0..<(n - 1) where flow.mplsLSE(i) & 0x100 != 0 {
                throw DatapathKeyError("MPLS BOS set in non-innermost label")
            }
            if n < 3 && flow.mplsLSE(n - 1) & 0x100 == 0 { throw DatapathKeyError("MPLS label stack lacks its bottom") }
            return
        case 0x0800:
            let r = try need(T.ipv4, "ipv4")
            flow.ipv4Source = IPv4Address(rawValue: r.be32(0))
            flow.ipv4Destination = IPv4Address(rawValue: r.be32(4))
            flow.networkProtocol = IPProtocol(rawValue: r.u8(8))
            flow.networkTOS = r.u8(9)
            flow.networkTTL = r.u8(10)
            flow.networkFragment = FragmentFlags(rawValue: try ovsFragment(r.u8(11)))
        case 0x86dd:
            let r = try need(T.ipv6, "ipv6")
            flow.ipv6Source = r.ipv6(0)
            flow.ipv6Destination = r.ipv6(16)
            flow.ipv6Label = r.be32(32)
            flow.networkProtocol = IPProtocol(rawValue: r.u8(36))
            flow.networkTOS = r.u8(37)
            flow.networkTTL = r.u8(38)
            flow.networkFragment = FragmentFlags(rawValue: try ovsFragment(r.u8(39)))
        case 0x0806, 0x8035:
            let r = try need(T.arp, "arp")
            let op = r.be16(8)
            guard op & 0xff00 == 0 else { throw DatapathKeyError("unsupported ARP opcode \(op) in flow key") }
            flow.ipv4Source = IPv4Address(rawValue: r.be32(0))
            flow.ipv4Destination = IPv4Address(rawValue: r.be32(4))
            flow.networkProtocol = IPProtocol(rawValue: UInt8(op))
            flow[.arpSHA] = r.eth(10)
            flow[.arpTHA] = r.eth(16)
            return
        default:
            return
        }
        guard flow.networkFragment.rawValue & 2 == 0 else { return }
        switch flow.networkProtocol.rawValue {
        case 6:
            let r = try need(T.tcp, "tcp")
            flow.transportSource = r.be16(0)
            flow.transportDestination = r.be16(2)
            if let f = attrs[T.tcpFlags] {
                used.insert(T.tcpFlags)
                flow.tcpFlags = PayloadReader(f.payload).be16(0)
            }
        case 17, 132:
            let r = try need(flow.networkProtocol.rawValue == 17 ? T.udp : T.sctp,
                             flow.networkProtocol.rawValue == 17 ? "udp" : "sctp")
            flow.transportSource = r.be16(0)
            flow.transportDestination = r.be16(2)
        case 1 where dlType == 0x0800:
            let r = try need(T.icmp, "icmp")
            flow.transportSource = UInt16(r.u8(0))
            flow.transportDestination = UInt16(r.u8(1))
        case 58 where dlType == 0x86dd:
            let r = try need(T.icmpv6, "icmpv6")
            flow.transportSource = UInt16(r.u8(0))
            flow.transportDestination = UInt16(r.u8(1))
            if flow.isND {
                let n = try need(T.nd, "nd")
                flow.ndTarget = n.ipv6(0)
                flow[.arpSHA] = n.eth(16)
                flow[.arpTHA] = n.eth(22)
                if let e = attrs[T.ndExtensions] {
                    used.insert(T.ndExtensions)
                    let x = PayloadReader(e.payload)
                    flow.igmpGroup = IPv4Address(rawValue: x.be32(0))
                    flow.tcpFlags = UInt16(x.u8(4))
                }
            }
        default:
            break
        }
    }

    /// OVS's `odp_to_ovs_frag` for a key.
    static func ovsFragment(_ odp: UInt8) throws(DatapathKeyError) -> UInt8 {
        switch odp {
        case 0: 0
        case 1: 1
        case 2: 3
        default: throw DatapathKeyError("invalid frag \(odp) in flow key")
        }
    }

    static func decodeTunnel(_ list: [DatapathKeyAttribute], into flow: inout FlowKey, isMask: Bool) throws(DatapathKeyError) {
        typealias A = DatapathTunnelAttributeType
        var flags: UInt16 = 0
        var hasTTL = false
        var seen: Set<UInt16> = []
        for a in list {
            if let expected = A.expectedLength(a.type), expected >= 0, a.payload.count != expected {
                throw DatapathKeyError("tunnel attribute \(a.type) has length \(a.payload.count) but should have length \(expected)")
            }
            guard seen.insert(a.type).inserted else { throw DatapathKeyError("duplicate tunnel attribute \(a.type)") }
            let r = PayloadReader(a.payload)
            switch a.type {
            case A.id: flow.tunnelID = r.be64(0); flags |= FlowKey.TunnelFlags.key
            case A.ipv4Source: flow.tunnelIPv4Source = IPv4Address(rawValue: r.be32(0))
            case A.ipv4Destination: flow.tunnelIPv4Destination = IPv4Address(rawValue: r.be32(0))
            case A.ipv6Source: flow.tunnelIPv6Source = r.ipv6(0)
            case A.ipv6Destination: flow.tunnelIPv6Destination = r.ipv6(0)
            case A.tos: flow.tunnelTOS = r.u8(0)
            case A.ttl: flow.tunnelTTL = r.u8(0); hasTTL = true
            case A.dontFragment: flags |= FlowKey.TunnelFlags.dontFragment
            case A.checksum: flags |= FlowKey.TunnelFlags.checksum
            case A.oam: flags |= FlowKey.TunnelFlags.oam
            case A.transportSource: flow.tunnelTransportSource = r.be16(0)
            case A.transportDestination: flow.tunnelTransportDestination = r.be16(0)
            case A.vxlanOptions:
                for o in a.nested ?? [] where o.type == 1 {
                    let gbp = PayloadReader(o.payload).le32(0)
                    flow.tunnelGBPID = UInt16(truncatingIfNeeded: gbp)
                    flow.tunnelGBPFlags = UInt8(truncatingIfNeeded: gbp >> 16)
                }
            case A.pad: break
            default:
                throw DatapathKeyError("unsupported tunnel attribute \(a.type)")
            }
        }
        flow.tunnelFlags = flags
        guard hasTTL else { throw DatapathKeyError("tunnel options missing TTL") }
    }

    // MARK: Mask

    static func decodeMask(_ list: [DatapathKeyAttribute], key src: FlowKey, vlanLimit: Int) throws(DatapathKeyError) -> FlowMask {
        typealias T = DatapathKeyAttributeType
        var attrs = try index(list)
        var m = FlowKey()
        if let a = attrs[T.recirculationID] { m.recirculationID = u32(a) } else { m.recirculationID = .max }
        if let a = attrs[T.dpHash] { m.dpHash = u32(a) }
        if let a = attrs[T.priority] { m.skbPriority = u32(a) }
        if let a = attrs[T.skbMark] { m.packetMark = u32(a) }
        if let a = attrs[T.ctState] { m.ctState = UInt8(truncatingIfNeeded: u32(a)) }
        if let a = attrs[T.ctZone] { m.ctZone = PayloadReader(a.payload).le16(0) }
        if let a = attrs[T.ctMark] { m.ctMark = u32(a) }
        if let a = attrs[T.ctLabels] {
            let r = PayloadReader(a.payload)
            m.ctLabel = (high: r.le64(8), low: r.le64(0))
        }
        if let a = attrs[T.ctTupleIPv4] {
            let r = PayloadReader(a.payload)
            m.ctIPv4Source = IPv4Address(rawValue: r.be32(0))
            m.ctIPv4Destination = IPv4Address(rawValue: r.be32(4))
            m.ctTransportSource = r.be16(8)
            m.ctTransportDestination = r.be16(10)
            m.ctNetworkProtocol = r.u8(12)
        }
        if let a = attrs[T.ctTupleIPv6] {
            let r = PayloadReader(a.payload)
            m.ctIPv6Source = r.ipv6(0)
            m.ctIPv6Destination = r.ipv6(16)
            m.ctTransportSource = r.be16(32)
            m.ctTransportDestination = r.be16(34)
            m.ctNetworkProtocol = r.u8(36)
        }
        if let a = attrs[T.tunnel] { try decodeTunnel(a.nested ?? [], into: &m, isMask: true) }
        if let a = attrs[T.inPort] { m.inPort = DatapathPort(u32(a)) }
        if let a = attrs[T.packetType] {
            m.packetType = PayloadReader(a.payload).be32(0)
            if src.packetType >> 16 == 1 { m[.ethType] = UInt64(m.packetType & 0xffff) }
        }
        if let a = attrs[T.ethernet] {
            let r = PayloadReader(a.payload)
            m[.ethSource] = r.eth(0)
            m[.ethDestination] = r.eth(6)
        }
        try maskEtherType(attrs, &m, src)
        if src.vlans[0].tci & 0x1000 != 0 {
            var level = 0
            while level < maximumVLANs(vlanLimit) && src.vlans[level].tci & 0x1000 != 0 {
                var vlans = m.vlans
                let tci = attrs[T.vlan].map { PayloadReader($0.payload).be16(0) } ?? 0
                vlans[level] = FlowVLANHeader(tpid: UInt16(m[.ethType]), tci: tci)
                m.vlans = vlans
                m[.ethType] = 0
                guard let encap = attrs[T.encap] else { break }
                attrs = try index(encap.nested ?? [])
                try maskEtherType(attrs, &m, src)
                try maskL2_5Onward(attrs, &m, src)
                level += 1
            }
        } else {
            var vlans = m.vlans
            vlans[0] = FlowVLANHeader(tpid: 0xffff, tci: 0xffff)
            if let a = attrs[T.vlan] { vlans[0].tci = PayloadReader(a.payload).be16(0) }
            m.vlans = vlans
            try maskL2_5Onward(attrs, &m, src)
        }
        return FlowMask(words: m.words)
    }

    static func maskEtherType(_ attrs: [UInt16: DatapathKeyAttribute], _ m: inout FlowKey, _ src: FlowKey) throws(DatapathKeyError) {
        if let a = attrs[DatapathKeyAttributeType.etherType] {
            m[.ethType] = UInt64(PayloadReader(a.payload).be16(0))
            if src[.ethType] < 0x600 && m[.ethType] != 0xffff {
                throw DatapathKeyError("can't bitwise match non-Ethernet II \"Ethertype\"")
            }
        } else if src.packetType != 0 {
            m[.ethType] = 0xffff
        } else if src[.ethType] < 0x600 {
            throw DatapathKeyError("mask expected for non-Ethernet II frame")
        }
    }

    static func maskL2_5Onward(_ attrs: [UInt16: DatapathKeyAttribute], _ m: inout FlowKey, _ src: FlowKey) throws(DatapathKeyError) {
        typealias T = DatapathKeyAttributeType
        let dlType = src[.ethType]
        var l3: [UInt8]? = nil
        switch dlType {
        case 0x8847, 0x8848:
            if let a = attrs[T.mpls] {
                let r = PayloadReader(a.payload)
                guard a.payload.count % 4 == 0, !a.payload.isEmpty else { throw DatapathKeyError("MPLS LSEs have invalid length \(a.payload.count)") }
                if m.mplsLSE(0) != 0 && m[.ethType] != 0xffff { throw DatapathKeyError("unexpected MPLS Ethertype mask") }
                for i in 0..<min(3, a.payload.count / 4) { m.setMPLSLSE(i, r.be32(4 * i)) }
            }
            return
        case 0x0800:
            if let a = attrs[T.ipv4] {
                let r = PayloadReader(a.payload)
                m.ipv4Source = IPv4Address(rawValue: r.be32(0))
                m.ipv4Destination = IPv4Address(rawValue: r.be32(4))
                m.networkProtocol = IPProtocol(rawValue: r.u8(8))
                m.networkTOS = r.u8(9)
                m.networkTTL = r.u8(10)
                m.networkFragment = FragmentFlags(rawValue: r.u8(11) != 0 ? 3 : 0)
                l3 = a.payload
            }
        case 0x86dd:
            if let a = attrs[T.ipv6] {
                let r = PayloadReader(a.payload)
                m.ipv6Source = r.ipv6(0)
                m.ipv6Destination = r.ipv6(16)
                m.ipv6Label = r.be32(32)
                m.networkProtocol = IPProtocol(rawValue: r.u8(36))
                m.networkTOS = r.u8(37)
                m.networkTTL = r.u8(38)
                m.networkFragment = FragmentFlags(rawValue: r.u8(39) != 0 ? 3 : 0)
                l3 = a.payload
            }
        case 0x0806, 0x8035:
            if let a = attrs[T.arp] {
                let r = PayloadReader(a.payload)
                m.ipv4Source = IPv4Address(rawValue: r.be32(0))
                m.ipv4Destination = IPv4Address(rawValue: r.be32(4))
                m.networkProtocol = IPProtocol(rawValue: UInt8(truncatingIfNeeded: r.be16(8)))
                m[.arpSHA] = r.eth(10)
                m[.arpTHA] = r.eth(16)
                l3 = a.payload
            }
        default:
            return
        }
        if let l3, l3.contains(where: { $0 != 0 }), m[.ethType] != 0xffff {
            throw DatapathKeyError("unexpected L3 matching with masked Ethertype")
        }
        guard dlType == 0x0800 || dlType == 0x86dd, src.networkFragment.rawValue & 2 == 0 else { return }
        var hasPorts = false
        switch src.networkProtocol.rawValue {
        case 6, 17, 132:
            let t = src.networkProtocol.rawValue == 6 ? T.tcp : src.networkProtocol.rawValue == 17 ? T.udp : T.sctp
            if let a = attrs[t] {
                let r = PayloadReader(a.payload)
                m.transportSource = r.be16(0)
                m.transportDestination = r.be16(2)
                hasPorts = true
            }
            if t == T.tcp, let f = attrs[T.tcpFlags] { m.tcpFlags = PayloadReader(f.payload).be16(0) }
        case 1 where dlType == 0x0800:
            if let a = attrs[T.icmp] {
                m.transportSource = UInt16(a.payload.first ?? 0)
                m.transportDestination = UInt16(a.payload.dropFirst().first ?? 0)
                hasPorts = true
            }
        case 58 where dlType == 0x86dd:
            if let a = attrs[T.icmpv6] {
                m.transportSource = UInt16(a.payload.first ?? 0)
                m.transportDestination = UInt16(a.payload.dropFirst().first ?? 0)
                hasPorts = true
                if src.isND, let n = attrs[T.nd] {
                    let r = PayloadReader(n.payload)
                    m.ndTarget = r.ipv6(0)
                    m[.arpSHA] = r.eth(16)
                    m[.arpTHA] = r.eth(22)
                    if n.payload.contains(where: { $0 != 0 })
                        && (m.transportSource != 0xff || m.transportDestination != 0xff) {
                        throw DatapathKeyError("ICMP (src,dst) masks should be (0xff,0xff)")
                    }
                }
            }
        default:
            break
        }
        if hasPorts && (m.transportSource != 0 || m.transportDestination != 0) && m.networkProtocol.rawValue != 0xff {
            throw DatapathKeyError("flow matches on L4 ports but does not define an L4 protocol")
        }
    }
}
