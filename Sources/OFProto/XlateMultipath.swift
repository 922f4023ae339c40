import Datapath
import Flow

// `multipath` and `bundle`/`bundle_load` in translation (OVS's
// lib/multipath.c, lib/bundle.c): a hash of some of the flow's fields
// (`flow_hash_fields`) chooses a link or a member port; the fields hashed
// are un-wildcarded (`flow_mask_hash_fields`). The hashes are Open vSwitch's
// (the portable murmur `hash_add`/`hash_finish` and Jenkins' `jhash_bytes`,
// over the bytes of `struct flow` as x86 memory holds them), so the same
// packet takes the same link as in Open vSwitch.

/// Open vSwitch's hash functions (lib/hash.h portable variant, lib/jhash.c).
enum OVSHash {
    static func rotate(_ x: UInt32, _ k: UInt32) -> UInt32 { x << k | x >> (32 - k) }

    // The murmur steps are the datapath's (`dp_hash` uses them too).
    static func add(_ hash: UInt32, _ data: UInt32) -> UInt32 { MurmurHash.add(hash, data) }
    static func add64(_ hash: UInt32, _ data: UInt64) -> UInt32 { MurmurHash.add64(hash, data) }
    static func finish(_ hash: UInt32, _ final: UInt32) -> UInt32 { MurmurHash.finish(hash, final) }

    /// `hash_2words`.
    static func twoWords(_ x: UInt32, _ y: UInt32) -> UInt32 { finish(add(add(x, 0), y), 8) }

    /// `jhash_bytes`: Bob Jenkins' lookup3 over `bytes` (little-endian words).
    static func jhash(_ bytes: [UInt8], basis: UInt32) -> UInt32 {
        var a = 0xdead_beef &+ UInt32(truncatingIfNeeded: bytes.count) &+ basis
        var b = a, c = a
        func word(_ i: Int) -> UInt32 {
            var w: UInt32 = 0
            for k in 0..<4 where i + k < bytes.count { w |= UInt32(bytes[i + k]) << (8 * UInt32(k)) }
            return w
        }
        func mix() {
            a &-= c; a ^= rotate(c, 4); c &+= b
            b &-= a; b ^= rotate(a, 6); a &+= c
            c &-= b; c ^= rotate(b, 8); b &+= a
            a &-= c; a ^= rotate(c, 16); c &+= b
            b &-= a; b ^= rotate(a, 19); a &+= c
            c &-= b; c ^= rotate(b, 4); b &+= a
        }
        func finalMix() {
            c ^= b; c &-= rotate(b, 14)
            a ^= c; a &-= rotate(c, 11)
            b ^= a; b &-= rotate(a, 25)
            c ^= b; c &-= rotate(b, 16)
            a ^= c; a &-= rotate(c, 4)
            b ^= a; b &-= rotate(a, 14)
            c ^= b; c &-= rotate(b, 24)
        }
        var i = 0, n = bytes.count
        while n >= 12 {
            a &+= word(i); b &+= word(i + 4); c &+= word(i + 8)
            mix()
            n -= 12; i += 12
        }
        if n > 0 {
            a &+= word(i); b &+= word(i + 4); c &+= word(i + 8)
            finalMix()
        }
        return c
    }
}

/// The field sets of `multipath` and `bundle` (`enum nx_hash_fields`).
enum FlowHashFields: String {
    case ethSource = "eth_src"
    case symmetricL4 = "symmetric_l4"
    case symmetricL3L4 = "symmetric_l3l4"
    case symmetricL3L4UDP = "symmetric_l3l4+udp"
    case networkSource = "nw_src"
    case networkDestination = "nw_dst"
    case symmetricL3 = "symmetric_l3"
}

extension FlowKey {
    /// The bytes of a big-endian value, as memory holds a network-order field.
    private static func bigEndianBytes(_ v: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(count - 1 - $0))) }
    }

    private var ipv6SourceBytes: [UInt8] {
        Self.bigEndianBytes(self[.ipv6SourceHigh], count: 8) + Self.bigEndianBytes(self[.ipv6SourceLow], count: 8)
    }

    private var ipv6DestinationBytes: [UInt8] {
        Self.bigEndianBytes(self[.ipv6DestinationHigh], count: 8) + Self.bigEndianBytes(self[.ipv6DestinationLow], count: 8)
    }

    /// A 16-bit network-order field read as x86 reads it from memory.
    private static func memory16(_ v: UInt64) -> UInt32 { UInt32(UInt16(truncatingIfNeeded: v).byteSwapped) }

    /// `flow_hash_fields`.
    func hash(_ fields: FlowHashFields, basis: UInt16) -> UInt32 {
        let basis = UInt32(basis)
        let ethType = self[.ethType]
        switch fields {
        case .ethSource:
            return OVSHash.jhash(Self.bigEndianBytes(self[.ethSource], count: 6), basis: basis)
        case .symmetricL4:
            // struct { union { be32; in6_addr }; be16 eth_type, vlan_tci, tp_port;
            // eth_addr; u8 ip_proto; } (32 bytes with padding).
            var b = [UInt8](repeating: 0, count: 32)
            let macs = Self.bigEndianBytes(self[.ethSource] ^ self[.ethDestination], count: 6)
            b.replaceSubrange(22..<28, with: macs)
            let vlans = (self[.vlan0TCI] ^ self[.vlan1TCI]) & 0xfff
            b.replaceSubrange(18..<20, with: Self.bigEndianBytes(vlans, count: 2))
            b.replaceSubrange(16..<18, with: Self.bigEndianBytes(ethType, count: 2))
            var proto: UInt64?
            if ethType == 0x0800 {
                b.replaceSubrange(0..<4, with: Self.bigEndianBytes(self[.ipv4Source] ^ self[.ipv4Destination], count: 4))
                proto = self[.networkProtocol]
            } else if ethType == 0x86dd {
                b.replaceSubrange(0..<16, with: zip(ipv6SourceBytes, ipv6DestinationBytes).map { $0 ^ $1 })
                proto = self[.networkProtocol]
            }
            if let proto {
                b[28] = UInt8(proto)
                if proto == 6 || proto == 132 {
                    b.replaceSubrange(20..<22, with: Self.bigEndianBytes(self[.transportSource] ^ self[.transportDestination], count: 2))
                }
            }
            return OVSHash.jhash(b, basis: basis)
        case .symmetricL3L4, .symmetricL3L4UDP:
            var h = basis
            if ethType == 0x0800 {
                h = OVSHash.add(h, UInt32(UInt32(truncatingIfNeeded: self[.ipv4Source] ^ self[.ipv4Destination]).byteSwapped))
            } else if ethType == 0x86dd {
                h = OVSHash.add64(h, (self[.ipv6SourceHigh] ^ self[.ipv6DestinationHigh]).byteSwapped)
                h = OVSHash.add64(h, (self[.ipv6SourceLow] ^ self[.ipv6DestinationLow]).byteSwapped)
            } else {
                return symmetricL2Hash(basis: basis)
            }
            let proto = self[.networkProtocol]
            h = OVSHash.add(h, UInt32(proto))
            if self[.networkFragment] & 3 == 0
                && (proto == 6 || proto == 132 || (fields == .symmetricL3L4UDP && proto == 17)) {
                h = OVSHash.add(h, Self.memory16(self[.transportSource] ^ self[.transportDestination]))
            }
            return OVSHash.finish(h, basis)
        case .networkSource, .networkDestination:
            let v4: FlowField = fields == .networkSource ? .ipv4Source : .ipv4Destination
            if ethType == 0x0800 { return OVSHash.jhash(Self.bigEndianBytes(self[v4], count: 4), basis: basis) }
            if ethType == 0x86dd {
                return OVSHash.jhash(fields == .networkSource ? ipv6SourceBytes : ipv6DestinationBytes, basis: basis)
            }
            return basis
        case .symmetricL3:
            // struct { union { be32; in6_addr }; be16 eth_type; } (20 bytes).
            var b = [UInt8](repeating: 0, count: 20)
            b.replaceSubrange(16..<18, with: Self.bigEndianBytes(ethType, count: 2))
            if ethType == 0x0800 {
                b.replaceSubrange(0..<4, with: Self.bigEndianBytes(self[.ipv4Source] ^ self[.ipv4Destination], count: 4))
            } else if ethType == 0x86dd {
                b.replaceSubrange(0..<16, with: zip(ipv6SourceBytes, ipv6DestinationBytes).map { $0 ^ $1 })
            }
            return OVSHash.jhash(b, basis: basis)
        }
    }

    /// `flow_hash_symmetric_l2`.
    private func symmetricL2Hash(basis: UInt32) -> UInt32 {
        guard self[.packetType] == 0 else { return 0 }
        let vlans = (self[.vlan0TCI] ^ self[.vlan1TCI]) & 0xfff
        let macs = Self.bigEndianBytes(self[.ethSource] ^ self[.ethDestination], count: 6) + [0, 0]
        func word(_ b: ArraySlice<UInt8>) -> UInt32 {
            b.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        }
        var h = basis
        h = OVSHash.add(h, Self.memory16(self[.ethType]) | Self.memory16(vlans) << 16)
        h = OVSHash.add(h, word(macs[0..<4]))
        h = OVSHash.add(h, word(macs[4..<8]))
        return OVSHash.finish(h, basis)
    }
}

extension XlateContext {
    /// `flow_mask_hash_fields`.
    mutating func maskHashFields(_ fields: FlowHashFields) {
        let ethType = flow[.ethType]
        func addresses(source: Bool, destination: Bool) {
            if ethType == 0x0800 {
                if source { wc.setExact(.ipv4Source) }
                if destination { wc.setExact(.ipv4Destination) }
            } else if ethType == 0x86dd {
                if source { wc.setExact(.ipv6SourceHigh); wc.setExact(.ipv6SourceLow) }
                if destination { wc.setExact(.ipv6DestinationHigh); wc.setExact(.ipv6DestinationLow) }
            }
        }
        switch fields {
        case .ethSource:
            wc.setExact(.ethSource)
        case .symmetricL4:
            wc.setExact(.ethSource)
            wc.setExact(.ethDestination)
            addresses(source: true, destination: true)
            if flow.isIPAny {
                wc.setExact(.networkProtocol)
                if flow[.networkProtocol] != 17 {
                    if flow[.networkProtocol] != 1 {
                        wc.setExact(.transportSource)
                        wc.setExact(.transportDestination)
                    } else {
                        wc[.transportSource] |= 0xff
                        wc[.transportDestination] |= 0xff
                    }
                }
            }
            wc[.vlan0TCI] |= 0x1fff
            wc[.vlan1TCI] |= 0x1fff
        case .symmetricL3L4, .symmetricL3L4UDP:
            let notFragment = flow[.networkFragment] & 3 == 0
            if fields == .symmetricL3L4UDP && flow.isIPAny && flow[.networkProtocol] == 17 && notFragment {
                wc.setExact(.transportSource)
                wc.setExact(.transportDestination)
            }
            guard ethType == 0x0800 || ethType == 0x86dd else { break }
            addresses(source: true, destination: true)
            wc.setExact(.networkProtocol)
            if (flow[.networkProtocol] == 6 || flow[.networkProtocol] == 132) && notFragment {
                wc.setExact(.transportSource)
                wc.setExact(.transportDestination)
            }
        case .networkSource:
            addresses(source: true, destination: false)
        case .networkDestination:
            addresses(source: false, destination: true)
        case .symmetricL3:
            addresses(source: true, destination: true)
        }
    }

    /// Loads `value` into `dst`, un-wildcarding it (`nxm_reg_load`).
    mutating func loadSubfield(_ dst: OFSubfield, _ value: UInt128) {
        let mask = ones(dst.bits) << UInt128(dst.offset)
        var w = FlowKey(words: wc.words)
        dst.field.write(.max, mask: mask, into: &w)
        wc.words = w.words
        dst.field.write((value << UInt128(dst.offset)) & mask, mask: mask, into: &flow)
    }

    /// `multipath_execute`.
    mutating func multipathAction(_ mp: MultipathAction) {
        guard let fields = FlowHashFields(rawValue: mp.fields) else { return }
        let hash = flow.hash(fields, basis: mp.basis)
        let link = Self.multipathLink(hash: hash, algorithm: mp.algorithm, links: UInt32(mp.maxLink) + 1,
                                      argument: mp.argument)
        maskHashFields(fields)
        loadSubfield(mp.destination, UInt128(link))
        reportSubfield(mp.destination)
    }

    /// `multipath_algorithm`.
    static func multipathLink(hash: UInt32, algorithm: String, links n: UInt32, argument: UInt32) -> UInt16 {
        func hrw() -> UInt16 {
            var best: UInt32 = 0, bestWeight = OVSHash.twoWords(hash, 0)
            if n > 1 {
                for link in 1..<n {
                    let w = OVSHash.twoWords(hash, link)
                    if w > bestWeight { best = link; bestWeight = w }
                }
            }
            return UInt16(truncatingIfNeeded: best)
        }
        func iterHash(_ modulo: UInt32) -> UInt16 {
            var m = modulo
            if m < n || m / 2 > n {
                var x = n &- 1
                x |= x >> 1; x |= x >> 2; x |= x >> 4; x |= x >> 8
                m = x &+ 1
            }
            var i: UInt32 = 0, link: UInt32
            repeat {
                link = OVSHash.twoWords(hash, i) % m
                i &+= 1
            } while link >= n
            return UInt16(truncatingIfNeeded: link)
        }
        switch algorithm {
        case "modulo_n": return UInt16(truncatingIfNeeded: hash % n)
        case "hash_threshold": return n == 1 ? 0 : UInt16(truncatingIfNeeded: hash / (UInt32.max / n + 1))
        case "hrw": return n <= 64 ? hrw() : iterHash(0)
        case "iter_hash": return iterHash(argument)
        default: return 0
        }
    }

    /// `bundle_execute` with `member_enabled_cb`: the member chosen, or
    /// `none` if no member may be used.
    mutating func bundleMember(_ b: BundleAction) -> OFPort {
        func enabled(_ p: OFPort) -> Bool {
            switch p {
            case .inPort, .table, .normal, .flood, .all, .any: true
            case .controller: false
            default: config.port(p) != nil
            }
        }
        if b.algorithm == "active_backup" {
            return b.members.first(where: enabled) ?? .any
        }
        guard let fields = FlowHashFields(rawValue: b.fields) else { return .any }
        if b.members.count > 1 { maskHashFields(fields) }
        let hash = flow.hash(fields, basis: b.basis)
        var best = -1
        var bestHash: UInt32 = 0
        for (i, p) in b.members.enumerated() where enabled(p) {
            let h = OVSHash.twoWords(UInt32(i), hash)
            if best < 0 || h > bestHash {
                best = i
                bestHash = h
            }
        }
        return best >= 0 ? b.members[best] : .any
    }

    /// `xlate_bundle_action`.
    mutating func bundleAction(_ b: BundleAction, isLast: Bool) {
        let port = bundleMember(b)
        if let dst = b.destination {
            loadSubfield(dst, UInt128(port.rawValue))
            reportSubfield(dst)
        } else {
            outputAction(port, controllerLength: 0, mayPacketIn: false, isLast: isLast)
        }
    }
}
