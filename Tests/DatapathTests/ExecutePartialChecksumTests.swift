import Datapath
import Flow
import Testing
import Wire

/// A packet whose TCP checksum is still partial (`checksumPartial`, as a
/// super-frame kept whole for GSO arrives) goes out untouched when its
/// actions only output, and is completed before anything else reads or
/// rewrites it.
struct ExecutePartialChecksumTests {
    static let port1 = DatapathPort(rawValue: 1)

    /// `frame` (Ethernet/IPv4/TCP, correct checksums) with its TCP checksum
    /// field holding only the pseudo-header sum, as `CHECKSUM_PARTIAL` has it.
    static func partial(_ frame: [UInt8]) -> [UInt8] {
        var b = frame
        let l3 = 14, l4 = 14 + Int(b[14] & 0x0f) * 4
        let tcpLength = b.count - l4
        let pseudo = b.withUnsafeBytes { InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: $0[(l3 + 12)..<(l3 + 20)])) }
        let sum = InternetChecksum.fold(pseudo &+ 6 &+ UInt32(tcpLength))
        b[l4 + 16] = UInt8(sum >> 8)
        b[l4 + 17] = UInt8(sum & 0xff)
        return b
    }

    static let whole = ethernet().ipv4(ip1, ip2).tcp(1000, 80).payload(payload).bytes
    static var flagged: PacketMetadata {
        var md = PacketMetadata()
        md.checksumPartial = true
        return md
    }

    @Test func outputsOnlyLeaveThePartialChecksum() throws {
        let frame = Self.partial(Self.whole)
        #expect(frame != Self.whole)
        #expect(checksumProblem(frame) != nil)
        let events = execute([.output(Self.port1), .output(Self.port1)], on: frame, metadata: Self.flagged)
        #expect(events.count == 2)
        for e in events {
            #expect(e.bytes == frame)
            #expect(e.metadata.checksumPartial)
        }
    }

    @Test func otherActionsCompleteItFirst() throws {
        let frame = Self.partial(Self.whole)
        let set: DatapathAction = .set(.ipv4(IPv4Key(source: ip3, destination: ip2, proto: .tcp, tos: 0, ttl: 64)))
        let events = execute([set, .output(Self.port1)], on: frame, metadata: Self.flagged)
        let out = try #require(events.first)
        #expect(!out.metadata.checksumPartial)
        #expect(checksumProblem(out.bytes) == nil)
        #expect(out.bytes == ethernet().ipv4(ip3, ip2).tcp(1000, 80).payload(payload).bytes)

        let up = execute([.userspace(UserspaceAction(pid: 7))], on: frame, metadata: Self.flagged)
        #expect(up.first?.bytes == Self.whole)
        #expect(up.first?.metadata.checksumPartial == false)
    }

    @Test func completingClearsTheFlagOnce() {
        let pool = PacketPool(capacity: 2, frameCapacity: 2048, headroom: 64)
        var packet = pool.allocate(copying: Self.partial(Self.whole))
        packet.metadata.checksumPartial = true
        packet.completeChecksum()
        #expect(packet.copyBytes() == Self.whole)
        #expect(!packet.metadata.checksumPartial)
        packet.completeChecksum()    // not partial any more: nothing to do
        #expect(packet.copyBytes() == Self.whole)
        pool.recycle(packet)
    }
}
