import Flow
import Wire

/// Where a packet's headers are, as the executor needs them (Open vSwitch
/// keeps these as `dp_packet`'s `l2_5_ofs`, `l3_ofs`, `l4_ofs`).
///
/// Found by a short walk over the frame (no allocation, never traps):
/// Ethernet and up to two VLAN tags, LLC/SNAP, the MPLS label stack, IPv4
/// or IPv6 with its extension headers. Offsets are -1 for a header the
/// packet does not have. Actions that move headers (push/pop) make the
/// executor walk again.
@usableFromInline
struct PacketLayout {
    /// True when the frame starts with an Ethernet header (packet type 0).
    var hasEthernet = false
    /// Offset of the EtherType field that names what starts at the MPLS
    /// stack or network header; -1 without Ethernet.
    var typeFieldOffset = -1
    /// The network protocol (MPLS when `mplsOffset` is set).
    var etherType = EtherType.none
    /// The top MPLS label stack entry.
    var mplsOffset = -1
    /// The network header (after the MPLS stack, if any).
    var l3Offset = -1
    /// Where the network packet ends (IP total/payload length): bytes after
    /// it are L2 padding. The frame's length when not IP.
    var l3End = 0
    /// The upper-layer header; -1 when absent or for a later fragment.
    var l4Offset = -1
    /// IPv4 protocol or IPv6 upper-layer next header.
    var ipProtocol = IPProtocol(rawValue: 0)
    /// True for any IP fragment.
    var isFragment = false
    /// True for a fragment other than the first.
    var isLaterFragment = false
    /// IPv6: a routing header with segments left (the pseudo-header uses
    /// the final destination, so a destination rewrite leaves L4 alone).
    var hasActiveRoutingHeader = false

    /// True for an IPv4 packet whose header validated.
    var isIPv4 = false
    /// True for an IPv6 packet whose header validated.
    var isIPv6 = false

    /// Bytes of the upper layer (up to `l3End`); 0 when there is none.
    var l4Length: Int { l4Offset < 0 ? 0 : l3End &- l4Offset }

    /// Bytes of L2 padding after the network packet.
    @usableFromInline
    func paddingLength(frameLength: Int) -> Int { frameLength &- l3End }

    @usableFromInline
    init() {}

    /// Walks `bytes`; `packetType` is `PacketMetadata.packetType` (0 for
    /// Ethernet, `0x1_0000 | EtherType` for an L3 packet).
    init(parsing bytes: UnsafeMutableRawBufferPointer, packetType: UInt32) {
        let n = bytes.count
        l3End = n
        var offset = 0
        var type: UInt16
        if packetType == 0 {
            guard n >= EthernetField.headerLength else { return }
            hasEthernet = true
            typeFieldOffset = EthernetField.etherType
            type = bytes.loadBigEndian(at: EthernetField.etherType)
            offset = EthernetField.headerLength
            for _ in 0..<2 {
                guard type == EtherType.vlan.rawValue || type == EtherType.qinq.rawValue,
                      n &- offset >= VLANField.headerLength else { break }
                typeFieldOffset = offset &+ VLANField.etherType
                type = bytes.loadBigEndian(at: typeFieldOffset)
                offset &+= VLANField.headerLength
            }
            if type < EtherType.minimum {
                // 802.3: only LLC/SNAP with OUI 0 carries an EtherType.
                guard n &- offset >= LLCSNAPField.headerLength,
                      bytes[offset] == 0xaa, bytes[offset &+ 1] == 0xaa, bytes[offset &+ 2] == 3,
                      bytes[offset &+ 3] == 0, bytes[offset &+ 4] == 0, bytes[offset &+ 5] == 0
                else { return }
                typeFieldOffset = offset &+ LLCSNAPField.etherType
                type = bytes.loadBigEndian(at: typeFieldOffset)
                offset &+= LLCSNAPField.headerLength
            }
        } else {
            type = UInt16(truncatingIfNeeded: packetType)
        }
        etherType = EtherType(rawValue: type)
        if etherType.isMPLS {
            mplsOffset = offset
            while n &- offset >= MPLSField.headerLength {
                let entry: UInt32 = bytes.loadBigEndian(at: offset)
                offset &+= MPLSField.headerLength
                if entry & MPLSField.bottomOfStackMask != 0 { break }
            }
            l3Offset = offset
            return
        }
        l3Offset = offset
        if etherType == .ipv4 {
            parseIPv4(bytes, at: offset)
        } else if etherType == .ipv6 {
            parseIPv6(bytes, at: offset)
        }
    }

    private mutating func parseIPv4(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        guard let ip = try? IPv4View(validating: bytes.window(from: offset)) else { return }
        isIPv4 = true
        l3End = offset &+ Int(ip.totalLength)
        ipProtocol = ip.protocol
        isFragment = ip.isFragment
        isLaterFragment = ip.isLaterFragment
        if !isLaterFragment { l4Offset = offset &+ ip.headerLength }
    }

    private mutating func parseIPv6(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        guard let ip = try? IPv6View(validating: bytes.window(from: offset)) else { return }
        isIPv6 = true
        l3End = offset &+ IPv6Field.headerLength &+ Int(ip.payloadLength)
        var walk = ip.extensionHeaders
        while true {
            let header: IPv6ExtensionHeaderSlice?
            do { header = try walk.next() } catch { ipProtocol = walk.nextHeader; return }
            guard let header else { break }
            if header.kind == .ipv6Fragment {
                isFragment = true
                let offsetAndFlags: UInt16 = header.bytes.loadBigEndian(at: IPv6FragmentField.offsetAndFlags)
                if offsetAndFlags >> 3 != 0 { isLaterFragment = true }
            } else if header.kind == .ipv6Route, header.bytes[IPv6ExtensionField.segmentsLeft] != 0 {
                hasActiveRoutingHeader = true
            }
        }
        ipProtocol = walk.nextHeader
        if !isLaterFragment { l4Offset = offset &+ IPv6Field.headerLength &+ walk.offset }
    }
}
