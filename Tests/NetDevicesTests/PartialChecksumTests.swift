import Testing
import Wire
@testable import NetDevices

/// Completing a `CHECKSUM_PARTIAL` frame gives the checksum a full
/// computation gives.
struct PartialChecksumTests {
    /// An Ethernet/IPv4/UDP-or-TCP frame with a correct L4 checksum.
    static func frame(udp: Bool, vlan: Bool, payload: Int) -> [UInt8] {
        var f: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]
        if vlan { f += [0x81, 0x00, 0x00, 0x64] }
        f += [0x08, 0x00]
        let l4Length = (udp ? 8 : 20) + payload
        let total = 20 + l4Length
        let ip = f.count
        f += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0, 64, udp ? 17 : 6, 0, 0,
              10, 0, 0, 1, 10, 0, 0, 2]
        let l4 = f.count
        if udp {
            f += [0x30, 0x39, 0x00, 0x35, UInt8(l4Length >> 8), UInt8(l4Length & 0xff), 0, 0]
        } else {
            f += [0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]
        }
        f += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let pseudo = InternetChecksum.pseudoHeaderSum(
            source: IPv4Address(rawValue: 0x0a00_0001), destination: IPv4Address(rawValue: 0x0a00_0002),
            protocol: IPProtocol(rawValue: udp ? 17 : 6), length: l4Length)
        let sum = Array(f[l4...]).withUnsafeBytes { InternetChecksum.checksum($0, initial: pseudo) }
        let at = l4 + (udp ? 6 : 16)
        f[at] = UInt8(sum >> 8)
        f[at + 1] = UInt8(sum & 0xff)
        _ = ip
        // Ethernet padding the checksum must not cover.
        return f + [0xee, 0xee]
    }

    @Test(arguments: [(false, false, 100), (false, true, 1), (true, false, 33), (true, true, 0)])
    func completesPseudoHeaderOnlyChecksum(udp: Bool, vlan: Bool, payload: Int) {
        let good = Self.frame(udp: udp, vlan: vlan, payload: payload)
        // What the kernel hands over: the field holds the folded pseudo-header sum.
        var partial = good
        let l4 = 14 + (vlan ? 4 : 0) + 20
        let at = l4 + (udp ? 6 : 16)
        let l4Length = (udp ? 8 : 20) + payload
        let pseudo = InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(
            source: IPv4Address(rawValue: 0x0a00_0001), destination: IPv4Address(rawValue: 0x0a00_0002),
            protocol: IPProtocol(rawValue: udp ? 17 : 6), length: l4Length))
        partial[at] = UInt8(pseudo >> 8)
        partial[at + 1] = UInt8(pseudo & 0xff)
        let done = partial.withUnsafeMutableBytes { PartialChecksum.complete($0) }
        #expect(done)
        #expect(partial == good)
    }

    @Test func leavesOtherFramesAlone() {
        var arp: [UInt8] = [UInt8](repeating: 0xff, count: 12) + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        let before = arp
        #expect(!arp.withUnsafeMutableBytes { PartialChecksum.complete($0) })
        #expect(arp == before)
        var short: [UInt8] = [1, 2, 3]
        #expect(!short.withUnsafeMutableBytes { PartialChecksum.complete($0) })
    }
}
