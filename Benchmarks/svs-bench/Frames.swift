/// Hand-built test frames for the benchmarks (Wire's builders are not used
/// here so the benchmarks do not move when they change).
///
/// Checksums of L4 headers are left zero: extraction does not verify them.
enum Frames {
    static let srcMAC: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
    static let dstMAC: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]

    /// Ethernet header, with an 802.1Q tag when `vlan` is given.
    static func ethernet(etherType: UInt16, vlan: UInt16? = nil,
                         src: [UInt8] = srcMAC, dst: [UInt8] = dstMAC) -> [UInt8] {
        var b = dst + src
        if let vlan { b += be16(0x8100) + be16(vlan & 0x0fff) }
        return b + be16(etherType)
    }

    /// A 20-byte IPv4 header (header checksum filled in).
    static func ipv4(proto: UInt8, src: UInt32, dst: UInt32, payloadLength: Int, ttl: UInt8 = 64) -> [UInt8] {
        var h: [UInt8] = [0x45, 0] + be16(UInt16(20 + payloadLength)) + be16(0x1234) + be16(0x4000)
        h += [ttl, proto, 0, 0] + be32(src) + be32(dst)
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        h[10] = UInt8(checksum >> 8); h[11] = UInt8(checksum & 0xff)
        return h
    }

    /// A 40-byte IPv6 header; `src`/`dst` are the low 32 bits under 2001:db8::/96.
    static func ipv6(nextHeader: UInt8, src: UInt32, dst: UInt32, payloadLength: Int) -> [UInt8] {
        let prefix: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 8)
        return [0x60, 0x00, 0x00, 0x00] + be16(UInt16(payloadLength)) + [nextHeader, 64]
            + prefix + be32(src) + prefix + be32(dst)
    }

    /// A 20-byte TCP header (ACK+PSH).
    static func tcp(src: UInt16, dst: UInt16, flags: UInt8 = 0x18) -> [UInt8] {
        be16(src) + be16(dst) + be32(1) + be32(1) + [0x50, flags] + be16(8192) + [0, 0, 0, 0]
    }

    /// An 8-byte UDP header.
    static func udp(src: UInt16, dst: UInt16, payloadLength: Int) -> [UInt8] {
        be16(src) + be16(dst) + be16(UInt16(8 + payloadLength)) + [0, 0]
    }

    /// An 8-byte ICMP echo request header.
    static func icmpEcho(id: UInt16, sequence: UInt16) -> [UInt8] {
        [8, 0, 0, 0] + be16(id) + be16(sequence)
    }

    /// A 28-byte ARP request for IPv4 over Ethernet.
    static func arpRequest(senderIP: UInt32, targetIP: UInt32) -> [UInt8] {
        be16(1) + be16(0x0800) + [6, 4] + be16(1) + srcMAC + be32(senderIP) + [0, 0, 0, 0, 0, 0] + be32(targetIP)
    }

    // MARK: whole frames

    /// Ethernet + IPv4 + TCP, with payload up to `size` bytes.
    static func ipv4TCP(size: Int = 64, vlan: UInt16? = nil, src: UInt32 = 0x0a00_0001, dst: UInt32 = 0x0a00_0002,
                        sport: UInt16 = 12345, dport: UInt16 = 80) -> [UInt8] {
        let eth = ethernet(etherType: 0x0800, vlan: vlan)
        let payload = max(0, size - eth.count - 40)
        return eth + ipv4(proto: 6, src: src, dst: dst, payloadLength: 20 + payload)
            + tcp(src: sport, dst: dport) + filler(payload)
    }

    /// Ethernet + IPv4 + UDP, with payload up to `size` bytes.
    static func ipv4UDP(size: Int = 64, src: UInt32 = 0x0a00_0001, dst: UInt32 = 0x0a00_0002,
                        sport: UInt16 = 5353, dport: UInt16 = 53) -> [UInt8] {
        let eth = ethernet(etherType: 0x0800)
        let payload = max(0, size - eth.count - 28)
        return eth + ipv4(proto: 17, src: src, dst: dst, payloadLength: 8 + payload)
            + udp(src: sport, dst: dport, payloadLength: payload) + filler(payload)
    }

    /// Ethernet + IPv6 + UDP, with payload up to `size` bytes.
    static func ipv6UDP(size: Int = 64, src: UInt32 = 1, dst: UInt32 = 2,
                        sport: UInt16 = 5353, dport: UInt16 = 53) -> [UInt8] {
        let eth = ethernet(etherType: 0x86dd)
        let payload = max(0, size - eth.count - 48)
        return eth + ipv6(nextHeader: 17, src: src, dst: dst, payloadLength: 8 + payload)
            + udp(src: sport, dst: dport, payloadLength: payload) + filler(payload)
    }

    /// Ethernet + IPv4 + ICMP echo request, with payload up to `size` bytes.
    static func ipv4ICMP(size: Int = 64, src: UInt32 = 0x0a00_0001, dst: UInt32 = 0x0a00_0002, sequence: UInt16 = 1) -> [UInt8] {
        let eth = ethernet(etherType: 0x0800)
        let payload = max(0, size - eth.count - 28)
        return eth + ipv4(proto: 1, src: src, dst: dst, payloadLength: 8 + payload)
            + icmpEcho(id: 7, sequence: sequence) + filler(payload)
    }

    /// Broadcast ARP request, padded to `size` bytes.
    static func arp(size: Int = 64, senderIP: UInt32 = 0x0a00_0001, targetIP: UInt32 = 0x0a00_0002) -> [UInt8] {
        let frame = ethernet(etherType: 0x0806, dst: [UInt8](repeating: 0xff, count: 6))
            + arpRequest(senderIP: senderIP, targetIP: targetIP)
        return frame + [UInt8](repeating: 0, count: max(0, size - frame.count))
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }
    static func filler(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0) } }
}
