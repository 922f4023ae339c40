import Flow
import Wire

// Header pushes and pops: Open vSwitch's eth_push_vlan, eth_pop_vlan,
// push_mpls, pop_mpls, add_mpls, push_eth, pop_eth (lib/packets.c).
// New bytes come from the buffer's headroom. Those that return Bool return
// false only when the buffer has no room (the executor then drops with
// `.actionError`); a push or pop that does not apply to the packet does
// nothing, as in OVS.

/// Moves `count` bytes of `frame` from `source` to `destination` (the
/// ranges may overlap). Callers keep both ranges inside the frame.
@inline(__always)
func moveBytes(_ frame: UnsafeMutableRawBufferPointer, from source: Int, to destination: Int, count: Int) {
    if destination < source {
        var i = 0
        while i < count {
            frame[destination &+ i] = frame[source &+ i]
            i &+= 1
        }
    } else if destination > source {
        var i = count
        while i > 0 {
            i &-= 1
            frame[destination &+ i] = frame[source &+ i]
        }
    }
}

/// OVS's `packet_type` for an L3 packet of `etherType`.
@inline(__always)
func l3PacketType(_ etherType: EtherType) -> UInt32 {
    0x1_0000 | UInt32(etherType.rawValue)
}

extension ActionExecutor {
    /// Inserts an 802.1Q/802.1ad tag after the MAC addresses. The CFI bit,
    /// which OVS uses to mean "tag present", is cleared on the wire.
    @usableFromInline
    static func pushVLAN(_ tag: VLANPush, on packet: inout PacketBuffer, layout: PacketLayout) -> Bool {
        guard layout.hasEthernet else { return true }
        do { try packet.push(VLANField.headerLength) } catch { return false }
        packet.withUnsafeMutableBytes { frame in
            moveBytes(frame, from: VLANField.headerLength, to: 0, count: EthernetField.etherType)
            frame.storeBigEndian(tag.tagProtocol.rawValue, at: EthernetField.etherType)
            frame.storeBigEndian(tag.tci & ~0x1000, at: EthernetField.headerLength &+ VLANField.tci)
        }
        return true
    }

    /// Removes the outermost VLAN tag, if there is one.
    @usableFromInline
    static func popVLAN(on packet: inout PacketBuffer, layout: PacketLayout) {
        guard layout.hasEthernet,
              packet.count >= EthernetField.headerLength &+ VLANField.headerLength else { return }
        let isTagged = packet.withUnsafeMutableBytes { frame in
            let tpid: UInt16 = frame.loadBigEndian(at: EthernetField.etherType)
            guard EtherType(rawValue: tpid).isVLAN else { return false }
            moveBytes(frame, from: 0, to: VLANField.headerLength, count: EthernetField.etherType)
            return true
        }
        if isTagged { try? packet.pull(VLANField.headerLength) }
    }

    /// Pushes `entry` on top of the label stack, after the L2 headers; the
    /// EtherType naming the stack becomes `etherType` (OVS's push_mpls).
    @usableFromInline
    static func pushMPLS(_ entry: UInt32, etherType: EtherType, on packet: inout PacketBuffer,
                         layout: PacketLayout) -> Bool {
        guard etherType.isMPLS else { return true }
        let at = layout.mplsOffset >= 0 ? layout.mplsOffset : layout.l3Offset
        guard at >= 0, at <= packet.count else { return true }
        do { try packet.push(MPLSField.headerLength) } catch { return false }
        packet.withUnsafeMutableBytes { frame in
            moveBytes(frame, from: MPLSField.headerLength, to: 0, count: at)
            frame.storeBigEndian(entry, at: at)
            if layout.typeFieldOffset >= 0 {
                frame.storeBigEndian(etherType.rawValue, at: layout.typeFieldOffset)
            }
        }
        if !layout.hasEthernet { packet.metadata.packetType = l3PacketType(etherType) }
        return true
    }

    /// Pops the top label stack entry; the EtherType naming the stack
    /// becomes `etherType` (OVS's pop_mpls). A packet without L2 headers
    /// becomes an L3 packet of `etherType` (Ethernet for 0x6558).
    @usableFromInline
    static func popMPLS(_ etherType: EtherType, on packet: inout PacketBuffer, layout: PacketLayout) {
        let at = layout.mplsOffset
        guard at >= 0, packet.count &- at >= MPLSField.headerLength else { return }
        packet.withUnsafeMutableBytes { frame in
            if layout.typeFieldOffset >= 0 {
                frame.storeBigEndian(etherType.rawValue, at: layout.typeFieldOffset)
            }
            moveBytes(frame, from: 0, to: MPLSField.headerLength, count: at)
        }
        try? packet.pull(MPLSField.headerLength)
        if at == 0 {
            packet.metadata.packetType = etherType == .transparentEthernet ? 0 : l3PacketType(etherType)
        }
    }

    /// OVS's add_mpls: with the L3-tunnel flag, a `push_mpls`; without it,
    /// the entry goes in front of everything and the packet becomes an L3
    /// MPLS packet.
    @usableFromInline
    static func addMPLS(_ add: MPLSAdd, on packet: inout PacketBuffer, layout: PacketLayout) -> Bool {
        guard add.etherType.isMPLS else { return true }
        if add.isL3Tunnel {
            return pushMPLS(add.entry.rawValue, etherType: add.etherType, on: &packet, layout: layout)
        }
        do { try packet.push(MPLSField.headerLength) } catch { return false }
        packet.withUnsafeMutableBytes { $0.storeBigEndian(add.entry.rawValue, at: 0) }
        packet.metadata.packetType = l3PacketType(add.etherType)
        return true
    }

    /// Puts an Ethernet header on an L3 packet (an Ethernet packet is left
    /// alone; OVS asserts this never happens).
    @usableFromInline
    static func pushEthernet(_ addresses: EthernetKey, on packet: inout PacketBuffer) -> Bool {
        let packetType = packet.metadata.packetType
        guard packetType != 0 else { return true }
        do { try packet.push(EthernetField.headerLength) } catch { return false }
        packet.withUnsafeMutableBytes { frame in
            frame.storeEthernetAddress(addresses.destination, at: EthernetField.destination)
            frame.storeEthernetAddress(addresses.source, at: EthernetField.source)
            frame.storeBigEndian(UInt16(truncatingIfNeeded: packetType), at: EthernetField.etherType)
        }
        packet.metadata.packetType = 0
        return true
    }

    /// Removes the Ethernet header and any VLAN tags, making the packet an
    /// L3 packet of the EtherType they named. A packet without a network
    /// header (802.3 without SNAP, runts) is left alone.
    @usableFromInline
    static func popEthernet(on packet: inout PacketBuffer, layout: PacketLayout) {
        guard layout.hasEthernet else { return }
        let at = layout.mplsOffset >= 0 ? layout.mplsOffset : layout.l3Offset
        guard at >= 2, at <= packet.count else { return }
        let etherType = packet.withUnsafeMutableBytes { EtherType(rawValue: $0.loadBigEndian(at: at &- 2)) }
        try? packet.pull(at)
        packet.metadata.packetType = l3PacketType(etherType)
    }
}
