import Wire

/// A packet's metadata laid out as key words, the form extraction copies
/// from (as OVS's `miniflow_extract` pushes `struct pkt_metadata`): the
/// tunnel only when its destination is set, conntrack zone/mark/label only
/// with a nonzero state, the original tuple only with a nonzero state and a
/// matching IP version.
@usableFromInline struct ExtractionMetadata {
    /// The metadata fields (only the metadata segment is read).
    var fields: FlowKey
    /// The conntrack original tuple, in the `ct*` fields of a key.
    var conntrackTuple: FlowKey
    /// True if `conntrackTuple` is IPv6 (OVS's `ct_orig_tuple_ipv6`).
    var conntrackTupleIsIPv6: Bool

    init(_ md: PacketMetadata) {
        var f = FlowKey()
        f.inPort = md.inPort
        f.recirculationID = md.recirculationID
        f.dpHash = md.dpHash
        f.skbPriority = md.skbPriority
        f.packetMark = md.packetMark
        f.packetType = md.packetType
        let t = md.tunnel
        if t.isPresent {
            f.tunnelIPv4Source = t.ipv4Source
            f.tunnelIPv4Destination = t.ipv4Destination
            f.tunnelIPv6Source = t.ipv6Source
            f.tunnelIPv6Destination = t.ipv6Destination
            f.tunnelTOS = t.tos
            f.tunnelTTL = t.ttl
            f.tunnelTransportSource = t.sourcePort
            f.tunnelTransportDestination = t.destinationPort
            var flags = t.flags.rawValue
            if let id = t.tunnelID {
                f.tunnelID = id
                flags |= FlowKey.TunnelFlags.key
            }
            f.tunnelFlags = flags
        }
        let ct = md.conntrack
        f.ctState = UInt8(truncatingIfNeeded: ct.state.rawValue)
        f.ctZone = ct.zone
        f.ctMark = ct.mark
        f.ctLabel = (UInt64(truncatingIfNeeded: ct.labels >> 64), UInt64(truncatingIfNeeded: ct.labels))
        fields = f
        var tuple = FlowKey()
        conntrackTupleIsIPv6 = false
        if let o = ct.originalTuple {
            tuple.ctNetworkProtocol = o.networkProtocol
            tuple.ctTransportSource = o.sourcePort
            tuple.ctTransportDestination = o.destinationPort
            switch o.addresses {
            case let .ipv4(source, destination):
                tuple.ctIPv4Source = source
                tuple.ctIPv4Destination = destination
            case let .ipv6(source, destination):
                tuple.ctIPv6Source = source
                tuple.ctIPv6Destination = destination
                conntrackTupleIsIPv6 = true
            }
        }
        conntrackTuple = tuple
    }
}

/// Raw reads. Callers check bounds first; the pointer is never dereferenced
/// past `count` bytes of the packet.
@inline(__always) private func u8(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
    UInt64(p.load(fromByteOffset: o, as: UInt8.self))
}
@inline(__always) private func be16(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
    UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
}
@inline(__always) private func be32(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
    UInt64(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
}
@inline(__always) private func be64(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
}
/// Six bytes at `o` as the high 48 bits of a word (low 16 bits zero).
@inline(__always) private func mac48High(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
    be32(p, o) << 32 | be16(p, o + 4) << 16
}

extension FlowKey {
    /// Extracts the flow of an Ethernet frame received on `inPort`
    /// (a datapath port number; `0xffff` is OpenFlow's ANY, as
    /// `ovs-ofctl parse-pcap` uses). Never traps, whatever the bytes.
    ///
    /// Reproduces Open vSwitch 3.1's `flow_extract`: fields OVS leaves unset
    /// (after truncation or a failed sanity check) stay zero.
    public init(extractingFrom packet: UnsafeRawBufferPointer, inPort: UInt32) {
        self.init()
        words[27] = UInt64(inPort)
        if let base = packet.baseAddress {
            extractHeaders(base, packet.count, packetType: 0, ct: nil)
        }
    }

    /// Replaces the key with the flow of `packet` received on `inPort`, in
    /// place: the same as `init(extractingFrom:inPort:)` without copying the
    /// 464-byte key out (use it to fill a batch's key array).
    public mutating func extract(from packet: UnsafeRawBufferPointer, inPort: UInt32) {
        words = FlowWords(repeating: 0)
        words[27] = UInt64(inPort)
        if let base = packet.baseAddress {
            extractHeaders(base, packet.count, packetType: 0, ct: nil)
        }
    }

    /// Extracts the flow of a packet with full metadata (tunnel, conntrack,
    /// packet type). A nonzero `packetType` makes the packet an L3 packet
    /// whose EtherType is the type's low 16 bits, as OVS does.
    public init(extractingFrom packet: UnsafeRawBufferPointer, metadata: PacketMetadata) {
        self.init()
        let md = ExtractionMetadata(metadata)
        let f = md.fields
        // Tunnel: only with a destination.
        if f.words[0] & 0xffff_ffff_0000_0000 != 0 || f.words[1] | f.words[2] != 0 {
            var w = words.mutableSpan
            let t = f.words.span
            for i in 0..<17 { w[i] = t[i] }
        }
        words[26] = f.words[26]                       // skb_priority, pkt_mark
        words[27] = f.words[27]                       // dp_hash, in_port
        let ctState = f[.ctState]
        self[.recirculationID] = f[.recirculationID]
        if ctState != 0 {
            self[.ctState] = ctState
            self[.ctZone] = f[.ctZone]
            self[.ctMark] = f[.ctMark]
            words[30] = f.words[30]
            words[31] = f.words[31]
        }
        self[.packetType] = f[.packetType]
        if let base = packet.baseAddress {
            withUnsafePointer(to: md) { ct in
                extractHeaders(base, packet.count, packetType: f.packetType, ct: ctState != 0 ? ct : nil)
            }
        } else if f.packetType != 0 {
            self[.ethType] = UInt64(f.packetType & 0xffff)
        }
    }

    /// The single pass over the headers (OVS's `miniflow_extract`). `ct`
    /// carries the conntrack original tuple when the packet has a ct state.
    @inline(__always)
    mutating func extractHeaders(_ p: UnsafeRawPointer, _ count: Int, packetType: UInt32,
                                 ct: UnsafePointer<ExtractionMetadata>?) {
        var off = 0
        var size = count
        let dlType: UInt64

        // MARK: L2
        if packetType == 0 {
            guard size >= 14 else { return }
            var w33 = mac48High(p, 0)
            words[34] = mac48High(p, 6)
            off = 12
            size -= 12
            // VLAN headers: at most two, each needs 4 bytes plus an EtherType after it.
            var vlanWord: UInt64 = 0
            var tpid = be16(p, off)
            if (tpid == 0x8100 || tpid == 0x88a8) && size >= 6 {
                vlanWord = (be32(p, off) | 0x1000) << 32
                off += 4
                size -= 4
                tpid = be16(p, off)
                if (tpid == 0x8100 || tpid == 0x88a8) && size >= 6 {
                    vlanWord |= be32(p, off) | 0x1000
                    off += 4
                    size -= 4
                }
            }
            words[35] = vlanWord
            // EtherType, or 802.2 LLC/SNAP.
            let proto = be16(p, off)
            off += 2
            size -= 2
            if proto >= 0x600 {
                dlType = proto
            } else if size < 8 {
                dlType = 0x5ff
            } else if be32(p, off) == 0xaaaa_0300 && be16(p, off + 4) == 0 {
                // DSAP, SSAP = 0xaa, control 0x03, OUI 00:00:00.
                let snapType = be16(p, off + 6)
                off += 8
                size -= 8
                dlType = snapType >= 0x600 ? snapType : 0x5ff
            } else {
                dlType = 0x5ff
            }
            w33 |= dlType
            words[33] = w33
        } else {
            dlType = UInt64(packetType & 0xffff)
            words[33] = dlType
        }

        // MARK: MPLS (nothing below is parsed)
        if dlType == 0x8847 || dlType == 0x8848 {
            var n = 0
            var w36: UInt64 = 0, w37: UInt64 = 0
            while size >= 4 {
                let lse = be32(p, off)
                if n == 0 { w36 = lse << 32 } else if n == 1 { w36 |= lse } else if n == 2 { w37 = lse << 32 }
                n += 1
                off += 4
                size -= 4
                if lse & 0x100 != 0 { break }
            }
            words[36] = w36
            words[37] = w37
            return
        }

        // MARK: L3
        var nwFrag: UInt64 = 0
        let nwTOS: UInt64, nwTTL: UInt64
        var nwProto: UInt64
        var ctTP: UInt64 = 0          // ct_tp_src << 16 | ct_tp_dst
        if dlType == 0x0800 {
            guard size >= 20 else { return }
            let ipLen = Int(u8(p, off) & 0x0f) &* 4
            guard ipLen >= 20, size >= ipLen else { return }
            let totLen = Int(be16(p, off + 2))
            guard totLen <= size, ipLen <= totLen, size - totLen <= 0xffff else { return }
            size = totLen
            words[38] = be64(p, off + 12)
            if let ct, !ct.pointee.conntrackTupleIsIPv6 {
                let proto = ct.pointee.conntrackTuple[.ctNetworkProtocol]
                self[.ctNetworkProtocol] = proto
                if proto != 0 {
                    words[39] = ct.pointee.conntrackTuple.words[39]
                    ctTP = ct.pointee.conntrackTuple.words[56] & 0xffff_ffff
                }
            }
            nwTOS = u8(p, off + 1)
            nwTTL = u8(p, off + 8)
            nwProto = u8(p, off + 9)
            let fragOff = be16(p, off + 6)
            if fragOff & 0x3fff != 0 {
                nwFrag = fragOff & 0x1fff != 0 ? 3 : 1
            }
            off += ipLen
            size -= ipLen
            words[48] = nwFrag << 24 | nwTOS << 16 | nwTTL << 8 | nwProto
        } else if dlType == 0x86dd {
            guard size >= 40 else { return }
            let plen = Int(be16(p, off + 4))
            guard plen + 40 <= size, size - (plen + 40) <= 0xffff else { return }
            words[40] = be64(p, off + 8)
            words[41] = be64(p, off + 16)
            words[42] = be64(p, off + 24)
            words[43] = be64(p, off + 32)
            if let ct, ct.pointee.conntrackTupleIsIPv6 {
                let proto = ct.pointee.conntrackTuple[.ctNetworkProtocol]
                self[.ctNetworkProtocol] = proto
                if proto != 0 {
                    words[44] = ct.pointee.conntrackTuple.words[44]
                    words[45] = ct.pointee.conntrackTuple.words[45]
                    words[46] = ct.pointee.conntrackTuple.words[46]
                    words[47] = ct.pointee.conntrackTuple.words[47]
                    ctTP = ct.pointee.conntrackTuple.words[56] & 0xffff_ffff
                }
            }
            let tcFlow = be32(p, off)
            nwTOS = (tcFlow >> 20) & 0xff
            nwTTL = u8(p, off + 7)
            nwProto = u8(p, off + 6)
            off += 40
            size = plen
            // Extension headers until a terminal (or unknown) one.
            while true {
                if nwProto != 0 && nwProto != 43 && nwProto != 60 && nwProto != 51 && nwProto != 44 {
                    break
                }
                guard size >= 8 else { return }
                if nwProto == 44 {
                    let offlg = be16(p, off + 2)
                    nwProto = u8(p, off)
                    off += 8
                    size -= 8
                    if offlg != 0 {
                        nwFrag = 1
                        if offlg & 0xfff8 != 0 {
                            nwFrag = 3
                            nwProto = 44
                            break
                        }
                    }
                } else {
                    let len = nwProto == 51 ? (Int(u8(p, off + 1)) + 2) * 4 : (Int(u8(p, off + 1)) + 1) * 8
                    nwProto = u8(p, off)
                    guard size >= len else { return }
                    off += len
                    size -= len
                }
            }
            words[48] = (tcFlow & 0xfffff) << 32 | nwFrag << 24 | nwTOS << 16 | nwTTL << 8 | nwProto
        } else {
            if dlType == 0x0806 || dlType == 0x8035 {
                guard size >= 28,
                      be32(p, off) == 0x0001_0800,          // Ethernet, IPv4
                      be16(p, off + 4) == 0x0604            // hlen 6, plen 4
                else { return }
                words[38] = be32(p, off + 14) << 32 | be32(p, off + 24)
                let op = be16(p, off + 6)
                if op <= 0xff { words[48] = op }
                words[51] = mac48High(p, off + 8)
                words[52] = mac48High(p, off + 18)
            } else if dlType == 0x894f {
                extractNSH(p, off, size)
            }
            return
        }

        // MARK: L4
        guard nwFrag & 2 == 0 else { return }
        switch nwProto {
        case 6:  // TCP
            guard size >= 20 else { return }
            let ctl = be16(p, off + 12)
            let hdrLen = Int(ctl >> 12) &* 4
            guard hdrLen >= 20, size >= hdrLen else { return }
            words[51] = ctl & 0x0fff
            words[56] = be32(p, off) << 32 | ctTP
        case 17:  // UDP
            guard size >= 8 else { return }
            words[56] = be32(p, off) << 32 | ctTP
        case 132:  // SCTP
            guard size >= 12 else { return }
            words[56] = be32(p, off) << 32 | ctTP
        case 1:  // ICMP
            guard size >= 8 else { return }
            words[56] = u8(p, off) << 48 | u8(p, off + 1) << 32 | ctTP
        case 2:  // IGMP
            guard size >= 8 else { return }
            words[56] = u8(p, off) << 48 | u8(p, off + 1) << 32 | ctTP
            words[57] = be32(p, off + 4) << 32
        case 58:  // ICMPv6
            guard size >= 8 else { return }
            let type = u8(p, off), code = u8(p, off + 1)
            guard code == 0, type == 135 || type == 136 else {
                words[56] = type << 48 | code << 32 | ctTP
                return
            }
            extractND(p, off, size, type: type)
        default:
            return
        }
    }

    /// Neighbor solicitation/advertisement: target and link-layer options,
    /// with OVS's rules (a repeated option invalidates target and addresses;
    /// the first option type seen is kept either way).
    @inline(__always)
    private mutating func extractND(_ p: UnsafeRawPointer, _ start: Int, _ total: Int, type: UInt64) {
        let reserved = be32(p, start + 4)
        var off = start + 8
        var size = total - 8
        var sll: UInt64 = 0, tll: UInt64 = 0, optType: UInt64 = 0
        var targetHigh: UInt64 = 0, targetLow: UInt64 = 0
        if size >= 16 {
            targetHigh = be64(p, off)
            targetLow = be64(p, off + 8)
            off += 16
            size -= 16
            while size >= 8 {
                let t = u8(p, off)
                let len = Int(u8(p, off + 1)) &* 8
                if len == 0 || len > size { break }
                if len == 8 && (t == 1 || t == 2) {
                    let mac = mac48High(p, off + 2)
                    if t == 1 {
                        if sll != 0 { sll = 0; tll = 0; targetHigh = 0; targetLow = 0; break }
                        sll = mac
                    } else {
                        if tll != 0 { sll = 0; tll = 0; targetHigh = 0; targetLow = 0; break }
                        tll = mac
                    }
                    if optType == 0 { optType = t }
                }
                off += len
                size -= len
            }
        }
        words[49] = targetHigh
        words[50] = targetLow
        words[51] = sll | optType
        words[52] = tll
        words[56] = type << 48
        words[57] = reserved << 32
    }

    /// Network Service Header (MD type 1 context; type 2 parsed without it).
    private mutating func extractNSH(_ p: UnsafeRawPointer, _ off: Int, _ size: Int) {
        guard size >= 8 else { return }
        let vftl = be16(p, off)
        let length = Int(vftl & 0x3f) &* 4
        guard vftl >> 14 == 0, length <= size else { return }
        let mdType = u8(p, off + 2)
        var c0: UInt64 = 0, c1: UInt64 = 0
        if mdType == 1 {
            guard length == 24 else { return }
            c0 = be64(p, off + 8)
            c1 = be64(p, off + 16)
        } else if mdType == 2 {
            guard length >= 8 else { return }
        }
        words[53] = ((vftl >> 12) & 3) << 56 | ((vftl >> 6) & 0x3f) << 48 | mdType << 40
            | u8(p, off + 3) << 32 | be32(p, off + 4)
        words[54] = c0
        words[55] = c1
    }
}
