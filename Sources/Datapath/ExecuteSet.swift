import Flow
import Wire

// `set` and `set_masked`: Open vSwitch's odp_execute_set_action and
// odp_execute_masked_set_action with lib/packets.c's packet_set_*.
//
// A whole-key `set` is a masked set whose mask is all ones, so both run
// the same code. Each masked field becomes `(old & ~mask) | (value & mask)`.
// A set on a header the packet does not have (or that is cut short) does
// nothing, as in OVS. Checksums are adjusted incrementally (RFC 1624), so a
// packet whose checksums verified still verifies after any rewrite.

/// `(old & ~mask) | (value & mask)`.
@inline(__always)
func merged<T: FixedWidthInteger>(_ old: T, _ value: T, _ mask: T) -> T {
    (old & ~mask) | (value & mask)
}

extension EthernetAddress {
    @inline(__always) func merged(_ value: EthernetAddress, _ mask: EthernetAddress) -> EthernetAddress {
        EthernetAddress(rawValue: Datapath.merged(rawValue, value.rawValue, mask.rawValue))
    }
}

extension IPv4Address {
    @inline(__always) func merged(_ value: IPv4Address, _ mask: IPv4Address) -> IPv4Address {
        IPv4Address(rawValue: Datapath.merged(rawValue, value.rawValue, mask.rawValue))
    }
}

extension IPv6Address {
    @inline(__always) func merged(_ value: IPv6Address, _ mask: IPv6Address) -> IPv6Address {
        IPv6Address(high: Datapath.merged(high, value.high, mask.high),
                    low: Datapath.merged(low, value.low, mask.low))
    }
    @inline(__always) var isZero: Bool { high | low == 0 }
    static let allOnes = IPv6Address(high: .max, low: .max)
}

extension EthernetKey {
    static let allOnes = EthernetKey(source: .broadcast, destination: .broadcast)
}

extension IPv4Key {
    static let allOnes = IPv4Key(source: IPv4Address(rawValue: .max), destination: IPv4Address(rawValue: .max),
                                 proto: IPProtocol(rawValue: .max), tos: .max, ttl: .max,
                                 fragment: FragmentType(rawValue: .max))
}

extension IPv6Key {
    static let allOnes = IPv6Key(source: .allOnes, destination: .allOnes, label: 0xf_ffff,
                                 proto: IPProtocol(rawValue: .max), trafficClass: .max, hopLimit: .max,
                                 fragment: FragmentType(rawValue: .max))
}

extension TransportPorts {
    static let allOnes = TransportPorts(source: .max, destination: .max)
}

extension ICMPKey {
    static let allOnes = ICMPKey(type: .max, code: .max)
}

extension ARPKey {
    static let allOnes = ARPKey(senderIP: IPv4Address(rawValue: .max), targetIP: IPv4Address(rawValue: .max),
                                operation: .max, senderMAC: .broadcast, targetMAC: .broadcast)
}

extension NDKey {
    static let allOnes = NDKey(target: .allOnes, sourceLinkLayer: .broadcast, targetLinkLayer: .broadcast)
}

extension ActionExecutor {
    /// Runs a `set`; returns true when the header layout may have changed.
    @usableFromInline
    static func applySet(_ field: SetField, to packet: inout PacketBuffer, layout: PacketLayout) -> Bool {
        switch field {
        case .ethernet(let key):
            packet.withUnsafeMutableBytes { setEthernet(key, mask: .allOnes, $0, layout) }
        case .ipv4(let key):
            packet.withUnsafeMutableBytes { setIPv4(key, mask: .allOnes, $0, layout) }
        case .ipv6(let key):
            packet.withUnsafeMutableBytes { setIPv6(key, mask: .allOnes, $0, layout) }
        case .tcp(let key):
            packet.withUnsafeMutableBytes { setTCP(key, mask: .allOnes, $0, layout) }
        case .udp(let key):
            packet.withUnsafeMutableBytes { setUDP(key, mask: .allOnes, $0, layout) }
        case .sctp(let key):
            packet.withUnsafeMutableBytes { setSCTP(key, mask: .allOnes, $0, layout) }
        case .icmp(let key):
            packet.withUnsafeMutableBytes { setICMP(key, mask: .allOnes, version6: false, $0, layout) }
        case .icmpv6(let key):
            packet.withUnsafeMutableBytes { setICMP(key, mask: .allOnes, version6: true, $0, layout) }
        case .arp(let key):
            packet.withUnsafeMutableBytes { setARP(key, mask: .allOnes, $0, layout) }
        case .nd(let key):
            packet.withUnsafeMutableBytes { setND(key, mask: .allOnes, $0, layout) }
        case .mpls(let entry):
            return packet.withUnsafeMutableBytes { setMPLS(entry.rawValue, mask: .max, $0, layout) }
        case .skbPriority(let value):
            packet.metadata.skbPriority = value
        case .packetMark(let value):
            packet.metadata.packetMark = value
        case .tunnel(let tunnel):
            // OVS replaces the whole tunnel key (masks are not supported).
            packet.metadata.tunnel = tunnel
        }
        return false
    }

    /// Runs a `set_masked`; returns true when the header layout may have changed.
    @usableFromInline
    static func applySetMasked(_ field: MaskedSetField, to packet: inout PacketBuffer, layout: PacketLayout) -> Bool {
        switch field {
        case .ethernet(let m):
            packet.withUnsafeMutableBytes { setEthernet(m.value, mask: m.mask, $0, layout) }
        case .ipv4(let m):
            packet.withUnsafeMutableBytes { setIPv4(m.value, mask: m.mask, $0, layout) }
        case .ipv6(let m):
            packet.withUnsafeMutableBytes { setIPv6(m.value, mask: m.mask, $0, layout) }
        case .tcp(let m):
            packet.withUnsafeMutableBytes { setTCP(m.value, mask: m.mask, $0, layout) }
        case .udp(let m):
            packet.withUnsafeMutableBytes { setUDP(m.value, mask: m.mask, $0, layout) }
        case .sctp(let m):
            packet.withUnsafeMutableBytes { setSCTP(m.value, mask: m.mask, $0, layout) }
        case .icmp(let m):
            packet.withUnsafeMutableBytes { setICMP(m.value, mask: m.mask, version6: false, $0, layout) }
        case .icmpv6(let m):
            packet.withUnsafeMutableBytes { setICMP(m.value, mask: m.mask, version6: true, $0, layout) }
        case .arp(let m):
            packet.withUnsafeMutableBytes { setARP(m.value, mask: m.mask, $0, layout) }
        case .nd(let m):
            packet.withUnsafeMutableBytes { setND(m.value, mask: m.mask, $0, layout) }
        case .mpls(let m):
            return packet.withUnsafeMutableBytes { setMPLS(m.value.rawValue, mask: m.mask.rawValue, $0, layout) }
        case .skbPriority(let m):
            packet.metadata.skbPriority = merged(packet.metadata.skbPriority, m.value, m.mask)
        case .packetMark(let m):
            packet.metadata.packetMark = merged(packet.metadata.packetMark, m.value, m.mask)
        }
        return false
    }

    // MARK: L2 and MPLS

    static func setEthernet(_ value: EthernetKey, mask: EthernetKey, _ frame: UnsafeMutableRawBufferPointer,
                            _ layout: PacketLayout) {
        guard layout.hasEthernet, frame.count >= EthernetField.headerLength else { return }
        let source = frame.loadEthernetAddress(at: EthernetField.source)
        frame.storeEthernetAddress(source.merged(value.source, mask.source), at: EthernetField.source)
        let destination = frame.loadEthernetAddress(at: EthernetField.destination)
        frame.storeEthernetAddress(destination.merged(value.destination, mask.destination),
                                   at: EthernetField.destination)
    }

    /// Rewrites the top label stack entry; true when the bottom-of-stack bit
    /// changed (the network header moved).
    static func setMPLS(_ value: UInt32, mask: UInt32, _ frame: UnsafeMutableRawBufferPointer,
                        _ layout: PacketLayout) -> Bool {
        let at = layout.mplsOffset
        guard at >= 0, frame.count &- at >= MPLSField.headerLength else { return false }
        let old: UInt32 = frame.loadBigEndian(at: at)
        let new = merged(old, value, mask)
        frame.storeBigEndian(new, at: at)
        return (old ^ new) & MPLSField.bottomOfStackMask != 0
    }

    static func setARP(_ value: ARPKey, mask: ARPKey, _ frame: UnsafeMutableRawBufferPointer,
                       _ layout: PacketLayout) {
        guard layout.etherType == .arp || layout.etherType == .rarp, layout.l3Offset >= 0,
              let arp = try? ARPView(validating: frame.window(from: layout.l3Offset)) else { return }
        arp.operation = ARPOperation(rawValue: merged(arp.operation.rawValue, value.operation, mask.operation))
        arp.senderHardwareAddress = arp.senderHardwareAddress.merged(value.senderMAC, mask.senderMAC)
        arp.senderProtocolAddress = arp.senderProtocolAddress.merged(value.senderIP, mask.senderIP)
        arp.targetHardwareAddress = arp.targetHardwareAddress.merged(value.targetMAC, mask.targetMAC)
        arp.targetProtocolAddress = arp.targetProtocolAddress.merged(value.targetIP, mask.targetIP)
    }

    // MARK: L3

    static func setIPv4(_ value: IPv4Key, mask: IPv4Key, _ frame: UnsafeMutableRawBufferPointer,
                        _ layout: PacketLayout) {
        guard layout.isIPv4,
              let ip = try? IPv4View(validating: frame.window(layout.l3Offset..<layout.l3End)) else { return }
        if mask.source != .any {
            let old = ip.source
            let new = old.merged(value.source, mask.source)
            if new != old {
                updateTransportChecksum(frame, layout, replacing: old, with: new)
                ip.setSourceUpdatingChecksum(new)
            }
        }
        if mask.destination != .any {
            let old = ip.destination
            let new = old.merged(value.destination, mask.destination)
            if new != old {
                updateTransportChecksum(frame, layout, replacing: old, with: new)
                ip.setDestinationUpdatingChecksum(new)
            }
        }
        if mask.tos != 0 {
            let new = merged(ip.typeOfService, value.tos, mask.tos)
            if new != ip.typeOfService { ip.setTypeOfServiceUpdatingChecksum(new) }
        }
        if mask.ttl != 0 {
            let new = merged(ip.ttl, value.ttl, mask.ttl)
            if new != ip.ttl { ip.setTTLUpdatingChecksum(new) }
        }
    }

    /// Carries an IPv4 address change into the TCP or UDP checksum (the
    /// pseudo-header covers it). A UDP checksum of 0 (none) stays 0.
    static func updateTransportChecksum(_ frame: UnsafeMutableRawBufferPointer, _ layout: PacketLayout,
                                        replacing old: IPv4Address, with new: IPv4Address) {
        let l4 = layout.l4Offset
        guard l4 >= 0 else { return }
        let length = layout.l4Length
        if layout.ipProtocol == .tcp, length >= TCPField.minimumLength {
            let at = l4 &+ TCPField.checksum
            frame.storeBigEndian(InternetChecksum.update(frame.loadBigEndian(at: at), replacing: old, with: new), at: at)
        } else if layout.ipProtocol == .udp, length >= UDPField.headerLength {
            let at = l4 &+ UDPField.checksum
            let checksum: UInt16 = frame.loadBigEndian(at: at)
            guard checksum != 0 else { return }
            let updated = InternetChecksum.update(checksum, replacing: old, with: new)
            frame.storeBigEndian(updated == 0 ? 0xffff : updated, at: at)
        }
    }

    static func setIPv6(_ value: IPv6Key, mask: IPv6Key, _ frame: UnsafeMutableRawBufferPointer,
                        _ layout: PacketLayout) {
        guard layout.isIPv6,
              let ip = try? IPv6View(validating: frame.window(layout.l3Offset..<layout.l3End)) else { return }
        if !mask.source.isZero {
            let old = ip.source
            let new = old.merged(value.source, mask.source)
            if new != old {
                updateTransportChecksum(frame, layout, replacing: old, with: new)
                ip.source = new
            }
        }
        if !mask.destination.isZero {
            let old = ip.destination
            let new = old.merged(value.destination, mask.destination)
            if new != old {
                // With segments left, the pseudo-header holds the final
                // destination, not this one.
                if !layout.hasActiveRoutingHeader {
                    updateTransportChecksum(frame, layout, replacing: old, with: new)
                }
                ip.destination = new
            }
        }
        if mask.trafficClass != 0 {
            ip.trafficClass = merged(ip.trafficClass, value.trafficClass, mask.trafficClass)
        }
        if mask.label & 0xf_ffff != 0 {
            ip.flowLabel = merged(ip.flowLabel, value.label, mask.label & 0xf_ffff)
        }
        if mask.hopLimit != 0 {
            ip.hopLimit = merged(ip.hopLimit, value.hopLimit, mask.hopLimit)
        }
    }

    /// Carries an IPv6 address change into the TCP, UDP or ICMPv6 checksum
    /// (OVS's packet_update_csum128).
    static func updateTransportChecksum(_ frame: UnsafeMutableRawBufferPointer, _ layout: PacketLayout,
                                        replacing old: IPv6Address, with new: IPv6Address) {
        let l4 = layout.l4Offset
        guard l4 >= 0 else { return }
        let length = layout.l4Length
        let at: Int
        switch layout.ipProtocol {
        case .tcp where length >= TCPField.minimumLength:
            at = l4 &+ TCPField.checksum
        case .udp where length >= UDPField.headerLength:
            at = l4 &+ UDPField.checksum
            let checksum: UInt16 = frame.loadBigEndian(at: at)
            guard checksum != 0 else { return }
            let updated = InternetChecksum.update(checksum, replacing: old, with: new)
            frame.storeBigEndian(updated == 0 ? 0xffff : updated, at: at)
            return
        case .icmpv6 where length >= 4:
            at = l4 &+ ICMPv6Field.checksum
        default:
            return
        }
        frame.storeBigEndian(InternetChecksum.update(frame.loadBigEndian(at: at), replacing: old, with: new), at: at)
    }

    // MARK: L4

    static func setTCP(_ value: TransportPorts, mask: TransportPorts, _ frame: UnsafeMutableRawBufferPointer,
                       _ layout: PacketLayout) {
        let l4 = layout.l4Offset
        guard l4 >= 0, layout.ipProtocol == .tcp,
              let tcp = try? TCPView(validating: frame.window(l4..<layout.l3End)) else { return }
        var checksum = tcp.checksum
        let source = merged(tcp.sourcePort, value.source, mask.source)
        if source != tcp.sourcePort {
            checksum = InternetChecksum.update(checksum, replacing: tcp.sourcePort, with: source)
            tcp.sourcePort = source
        }
        let destination = merged(tcp.destinationPort, value.destination, mask.destination)
        if destination != tcp.destinationPort {
            checksum = InternetChecksum.update(checksum, replacing: tcp.destinationPort, with: destination)
            tcp.destinationPort = destination
        }
        tcp.checksum = checksum
    }

    static func setUDP(_ value: TransportPorts, mask: TransportPorts, _ frame: UnsafeMutableRawBufferPointer,
                       _ layout: PacketLayout) {
        let l4 = layout.l4Offset
        guard l4 >= 0, layout.ipProtocol == .udp, layout.l4Length >= UDPField.headerLength else { return }
        let udp = frame.window(l4..<layout.l3End)
        let oldSource: UInt16 = udp.loadBigEndian(at: UDPField.sourcePort)
        let oldDestination: UInt16 = udp.loadBigEndian(at: UDPField.destinationPort)
        let source = merged(oldSource, value.source, mask.source)
        let destination = merged(oldDestination, value.destination, mask.destination)
        udp.storeBigEndian(source, at: UDPField.sourcePort)
        udp.storeBigEndian(destination, at: UDPField.destinationPort)
        var checksum: UInt16 = udp.loadBigEndian(at: UDPField.checksum)
        guard checksum != 0 else { return }   // no checksum: stays none
        checksum = InternetChecksum.update(checksum, replacing: oldSource, with: source)
        checksum = InternetChecksum.update(checksum, replacing: oldDestination, with: destination)
        udp.storeBigEndian(checksum == 0 ? 0xffff : checksum, at: UDPField.checksum)
    }

    /// SCTP's CRC-32c is not linear in the one's-complement sense; like OVS's
    /// packet_set_sctp_port, keep whatever error the old checksum had:
    /// `new = old ^ crc(before) ^ crc(after)`.
    static func setSCTP(_ value: TransportPorts, mask: TransportPorts, _ frame: UnsafeMutableRawBufferPointer,
                        _ layout: PacketLayout) {
        let l4 = layout.l4Offset
        guard l4 >= 0, layout.ipProtocol == .sctp,
              let sctp = try? SCTPView(validating: frame.window(l4..<layout.l3End)) else { return }
        let source = merged(sctp.sourcePort, value.source, mask.source)
        let destination = merged(sctp.destinationPort, value.destination, mask.destination)
        guard source != sctp.sourcePort || destination != sctp.destinationPort else { return }
        let before = sctp.computeChecksum()
        sctp.sourcePort = source
        sctp.destinationPort = destination
        sctp.checksum ^= before ^ sctp.computeChecksum()
    }

    static func setICMP(_ value: ICMPKey, mask: ICMPKey, version6: Bool, _ frame: UnsafeMutableRawBufferPointer,
                        _ layout: PacketLayout) {
        let l4 = layout.l4Offset
        guard l4 >= 0, layout.l4Length >= ICMPv4Field.headerLength else { return }
        if version6 {
            guard layout.isIPv6, layout.ipProtocol == .icmpv6 else { return }
        } else {
            guard layout.isIPv4, layout.ipProtocol == .icmp else { return }
        }
        let old: UInt16 = frame.loadBigEndian(at: l4)   // type, code
        let new = merged(old, UInt16(value.type) << 8 | UInt16(value.code), UInt16(mask.type) << 8 | UInt16(mask.code))
        guard new != old else { return }
        frame.storeBigEndian(new, at: l4)
        let at = l4 &+ ICMPv4Field.checksum
        frame.storeBigEndian(InternetChecksum.update(frame.loadBigEndian(at: at), replacing: old, with: new), at: at)
    }

    /// Target, then the first source or target link-layer address option
    /// (OVS rewrites only the first such option; a packet has one).
    static func setND(_ value: NDKey, mask: NDKey, _ frame: UnsafeMutableRawBufferPointer,
                      _ layout: PacketLayout) {
        let l4 = layout.l4Offset
        guard l4 >= 0, layout.isIPv6, layout.ipProtocol == .icmpv6,
              let nd = try? NeighborDiscoveryView(validating: frame.window(l4..<layout.l3End)) else { return }
        var checksum = nd.checksum
        if !mask.target.isZero {
            let old = nd.target
            let new = old.merged(value.target, mask.target)
            if new != old {
                checksum = InternetChecksum.update(checksum, replacing: old, with: new)
                nd.target = new
            }
        }
        var options = nd.options
        while true {
            let next: NDOptionView?
            do { next = try options.next() } catch { break }
            guard let option = next else { break }
            guard let old = option.linkLayerAddress else { continue }
            let new = option.type == .sourceLinkLayerAddress
                ? old.merged(value.sourceLinkLayer, mask.sourceLinkLayer)
                : old.merged(value.targetLinkLayer, mask.targetLinkLayer)
            if new != old {
                checksum = InternetChecksum.update(checksum, replacing: old, with: new)
                option.linkLayerAddress = new
            }
            break
        }
        nd.checksum = checksum
    }
}
