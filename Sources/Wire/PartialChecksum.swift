/// Completes the L4 checksum of a frame the kernel handed over with
/// `CHECKSUM_PARTIAL` (`TP_STATUS_CSUMNOTREADY`): the checksum field holds
/// the pseudo-header sum and the sum over the L4 bytes is still owed, as
/// `skb_checksum_help` would add it. AF_PACKET's auxdata gives no
/// `csum_start`/`csum_offset`, so they are found by parsing: Ethernet,
/// up to two VLAN tags, IPv4 (unfragmented) or IPv6 (hop-by-hop, routing
/// and destination options skipped), then TCP (offset 16) or UDP (offset 6).
public enum PartialChecksum {
    /// Where the checksum is, or nil if the frame is not TCP/UDP over IP.
    public struct Location: Equatable, Sendable {
        /// Offset of the IP header (after Ethernet and VLAN tags).
        public var network: Int
        /// IPv4 (else IPv6).
        public var isIPv4: Bool
        /// Offset of the TCP/UDP header.
        public var start: Int
        /// End of the IP packet (at most the frame's end).
        public var end: Int
        public var fieldOffset: Int
        public var isUDP: Bool
    }

    public static func locate(_ b: UnsafeRawBufferPointer) -> Location? {
        var off = 12
        guard b.count >= 14 else { return nil }
        var type = UInt16(b[off]) << 8 | UInt16(b[off + 1])
        off += 2
        var tags = 0
        while type == 0x8100 || type == 0x88a8, tags < 2 {
            guard b.count >= off + 4 else { return nil }
            type = UInt16(b[off + 2]) << 8 | UInt16(b[off + 3])
            off += 4
            tags += 1
        }
        var proto: UInt8
        var l4: Int
        var end: Int
        switch type {
        case 0x0800:
            guard b.count >= off + 20, b[off] >> 4 == 4 else { return nil }
            let ihl = Int(b[off] & 0x0f) * 4
            let total = Int(b[off + 2]) << 8 | Int(b[off + 3])
            let fragment = (UInt16(b[off + 6]) << 8 | UInt16(b[off + 7])) & 0x3fff
            guard ihl >= 20, fragment == 0, total >= ihl else { return nil }
            proto = b[off + 9]
            l4 = off + ihl
            end = min(b.count, off + total)
        case 0x86dd:
            guard b.count >= off + 40, b[off] >> 4 == 6 else { return nil }
            let payload = Int(b[off + 4]) << 8 | Int(b[off + 5])
            proto = b[off + 6]
            l4 = off + 40
            end = min(b.count, l4 + payload)
            var hops = 0
            while proto == 0 || proto == 43 || proto == 60, hops < 8 {
                guard end >= l4 + 8 else { return nil }
                proto = b[l4]
                l4 += (Int(b[l4 + 1]) + 1) * 8
                hops += 1
            }
        default:
            return nil
        }
        switch proto {
        case 6: guard end >= l4 + 20 else { return nil }
            return Location(network: off, isIPv4: type == 0x0800, start: l4, end: end, fieldOffset: 16, isUDP: false)
        case 17: guard end >= l4 + 8 else { return nil }
            return Location(network: off, isIPv4: type == 0x0800, start: l4, end: end, fieldOffset: 6, isUDP: true)
        default: return nil
        }
    }

    /// Completes the checksum in place; false if the frame has no TCP/UDP checksum to complete.
    @discardableResult
    public static func complete(_ frame: UnsafeMutableRawBufferPointer) -> Bool {
        guard let at = locate(UnsafeRawBufferPointer(frame)) else { return false }
        let segment = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(frame)[at.start..<at.end])
        var value = InternetChecksum.finish(InternetChecksum.sum(segment))
        if at.isUDP, value == 0 { value = 0xffff }
        frame[at.start + at.fieldOffset] = UInt8(value >> 8)
        frame[at.start + at.fieldOffset + 1] = UInt8(value & 0xff)
        return true
    }
}
