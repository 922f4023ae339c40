import Testing
@testable import Wire

/// scapy 2.8.0 `wrpcapng` of two frames: a UDP datagram at
/// 1700000000.123456 and an ARP request at 1700000001.5 (microsecond
/// resolution, no IDB options; `tcpdump -r` reads it).
let scapyPcapNG: [UInt8] = [
    0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x14, 0x00, 0x00, 0x00,
    0x06, 0x00, 0x00, 0x00, 0x4c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x0a, 0x06, 0x00,
    0x40, 0x22, 0x20, 0x18, 0x2a, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x66, 0x77, 0x88, 0x99,
    0xaa, 0xbb, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x00, 0x01,
    0x00, 0x00, 0x40, 0x11, 0x66, 0xce, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x08, 0xeb, 0xd8, 0x00, 0x00, 0x4c, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
    0x4c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x0a, 0x06, 0x00, 0x60, 0x23, 0x35, 0x18,
    0x2a, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x11,
    0x22, 0x33, 0x44, 0x55, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x11,
    0x22, 0x33, 0x44, 0x55, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00,
    0x00, 0x09, 0x00, 0x00, 0x4c, 0x00, 0x00, 0x00,
]

let samplePackets: [CapturedPacket] = [
    CapturedPacket(seconds: 1_700_000_000, nanoseconds: 123_456_789, data: Fixtures.tcpSyn),
    CapturedPacket(seconds: 7, nanoseconds: 5000, data: [1, 2, 3], originalLength: 60),
    CapturedPacket(seconds: 0, nanoseconds: 0, data: []),
    CapturedPacket(seconds: 0xffff_ffff, nanoseconds: 999_999_999, data: Fixtures.vxlan),
]

@Suite struct PcapTests {
    @Test func readsScapyPcapNG() throws {
        var r = try PcapReader(bytes: scapyPcapNG)
        #expect(r.format == .pcapng && r.linkType == 1 && !r.isNanosecond)
        let all = try r.readAll()
        #expect(all.count == 2)
        #expect(all[0].seconds == 1_700_000_000 && all[0].nanoseconds == 123_456_000)
        #expect(all[0].data.count == 42 && all[0].originalLength == 42)
        #expect(dissect(all[0].data).last == "udp 1>2 len 8 csum true")
        #expect(all[1].seconds == 1_700_000_001 && all[1].nanoseconds == 500_000_000)
        #expect(dissect(all[1].data).last == "arp 1 00:11:22:33:44:55 10.0.0.1 00:00:00:00:00:00 10.0.0.9")
        var ng = try PcapNGReader(bytes: scapyPcapNG)
        _ = try ng.next()
        #expect(ng.interfaces == [PcapNGInterface(linkType: 1, snapLength: 262_144)])
    }

    @Test(arguments: [false, true])
    func classicRoundTrip(nanosecond: Bool) throws {
        var w = PcapWriter(linkType: 1, nanosecond: nanosecond)
        for p in samplePackets { w.write(p) }
        var r = try PcapReader(bytes: w.bytes)
        #expect(r.format == .pcap && r.isNanosecond == nanosecond && r.linkType == 1)
        let back = try r.readAll()
        let expected = samplePackets.map { p in
            var q = p
            if !nanosecond { q.nanoseconds = p.nanoseconds / 1000 * 1000 }
            return q
        }
        #expect(back == expected)
    }

    @Test func classicBigEndianIsRead() throws {
        // A big-endian microsecond header and one record, by hand.
        var bytes: [UInt8] = [0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1]
        bytes += [0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 64, 0xab, 0xcd]
        var r = try PcapReader(bytes: bytes)
        #expect(try r.next() == CapturedPacket(seconds: 9, nanoseconds: 7000, data: [0xab, 0xcd], originalLength: 64))
        #expect(try r.next() == nil)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func pcapngRoundTrip(bigEndian: Bool, nanosecond: Bool) throws {
        var w = PcapNGWriter(linkType: 1, snapLength: 0, nanosecond: nanosecond, bigEndian: bigEndian)
        let second = w.addInterface(linkType: 101, snapLength: 1500)
        for (i, p) in samplePackets.enumerated() { w.write(p, interface: i % 2 == 0 ? 0 : second) }
        var ng = try PcapNGReader(bytes: w.bytes)
        var records: [PcapNGRecord] = []
        while let r = try ng.nextRecord() { records.append(r) }
        #expect(ng.isBigEndian == bigEndian)
        #expect(ng.interfaces.map(\.linkType) == [1, 101])
        #expect(records.map(\.interfaceID) == [0, 1, 0, 1])
        let expected = samplePackets.map { p in
            var q = p
            if !nanosecond { q.nanoseconds = p.nanoseconds / 1000 * 1000 }
            return q
        }
        #expect(records.map(\.packet) == expected)
        var auto = try PcapReader(bytes: w.bytes)
        #expect(auto.format == .pcapng && auto.isNanosecond == nanosecond)
        #expect(try auto.readAll() == expected)
    }

    /// Unknown blocks are skipped; simple packet blocks honour the snap
    /// length; a second section resets the interfaces and byte order.
    @Test func pcapngSkipsUnknownBlocksAndReadsSimplePackets() throws {
        var w = PcapNGWriter(linkType: 1, snapLength: 16)
        w.writeBlock(type: 0x0000_0bad, body: [1, 2, 3, 4, 5])
        w.writeSimple(CapturedPacket(data: Fixtures.arpRequest))
        w.writeBlock(type: 5, body: [UInt8](repeating: 0, count: 12))    // interface statistics
        w.write(CapturedPacket(seconds: 3, data: [9, 9]))
        var other = PcapNGWriter(linkType: 228, nanosecond: false, bigEndian: true)
        other.write(CapturedPacket(seconds: 4, nanoseconds: 1000, data: [7]))
        var ng = try PcapNGReader(bytes: w.bytes + other.bytes)
        let first = try ng.nextRecord()
        #expect(first?.packet.data == Array(Fixtures.arpRequest.prefix(16)))
        #expect(first?.packet.originalLength == 42)
        #expect(try ng.next() == CapturedPacket(seconds: 3, data: [9, 9]))
        #expect(try ng.next() == CapturedPacket(seconds: 4, nanoseconds: 1000, data: [7]))
        #expect(ng.isBigEndian && ng.interfaces.map(\.linkType) == [228])
        #expect(try ng.next() == nil)
    }

    @Test func pcapngTimestampResolutionAndOffset() throws {
        // An IDB with if_tsresol = 2^-10 and if_tsoffset = 100 s, then one EPB.
        let w = PcapNGWriter(linkType: 1, nanosecond: false)
        var bytes = Array(w.bytes.prefix(28))   // the section header only
        let idbBody: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0,
                                9, 0, 1, 0, 0x8a, 0, 0, 0,
                                14, 0, 8, 0, 100, 0, 0, 0, 0, 0, 0, 0,
                                0, 0, 0, 0]
        bytes += block(1, idbBody)
        // 3.5 s = 3584 ticks of 1/1024 s.
        bytes += block(6, [0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x0e, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xee, 0, 0, 0])
        var ng = try PcapNGReader(bytes: bytes)
        #expect(try ng.next() == CapturedPacket(seconds: 103, nanoseconds: 500_000_000, data: [0xee]))
        #expect(ng.interfaces.first?.ticksPerSecond == 1024)
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var bytes: [UInt8]
        var error: PcapError
    }

    static let goodNG: [UInt8] = {
        var w = PcapNGWriter()
        w.write(CapturedPacket(seconds: 1, data: [1, 2, 3, 4, 5]))
        return w.bytes
    }()

    @Test(arguments: [
        BadFile(testDescription: "empty", bytes: [], error: .truncatedHeader),
        BadFile(testDescription: "bad magic", bytes: [1, 2, 3, 4] + [UInt8](repeating: 0, count: 20), error: .badMagic(0x0403_0201)),
        BadFile(testDescription: "short classic header", bytes: [0xd4, 0xc3, 0xb2, 0xa1, 0, 0], error: .truncatedHeader),
        BadFile(testDescription: "pcapng bad byte-order magic", bytes: [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4] + [UInt8](repeating: 0, count: 16), error: .badMagic(0x0403_0201)),
        BadFile(testDescription: "pcapng section length mismatch", bytes: [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a] + [UInt8](repeating: 0, count: 16), error: .malformedBlock(offset: 0)),
        BadFile(testDescription: "pcapng EPB cut short", bytes: Array(goodNG.dropLast(4)), error: .malformedBlock(offset: 60)),
        BadFile(testDescription: "pcapng EPB on interface 3", bytes: Array(goodNG.prefix(60)) + block(6, [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16)), error: .unknownInterface(3)),
        BadFile(testDescription: "pcapng EPB captured length past block", bytes: Array(goodNG.prefix(60)) + block(6, [0, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [9, 0, 0, 0, 9, 0, 0, 0]), error: .malformedBlock(offset: 60)),
    ])
    func badFilesThrow(_ c: BadFile) {
        let r = Result { () throws(PcapError) in
            var reader = try PcapReader(bytes: c.bytes)
            _ = try reader.readAll()
        }
        #expect(r.error == c.error)
    }

    @Test func classicTruncatedRecord() throws {
        var w = PcapWriter()
        w.write(CapturedPacket(data: [1, 2, 3, 4]))
        w.write(CapturedPacket(data: [5, 6, 7, 8]))
        var r = try PcapReader(bytes: Array(w.bytes.dropLast()))
        _ = try r.next()
        #expect(Result { () throws(PcapError) in try r.next() }.error == .truncatedRecord(index: 1))
    }
}

/// A little-endian pcapng block of `type` around `body` (padded to 4).
func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
    let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
    let length = UInt32(12 + padded.count)
    func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    return le(type) + le(length) + padded + le(length)
}
