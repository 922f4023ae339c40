import Testing
@testable import Wire

@Suite struct InternetChecksumTests {
    @Test func rfc1071Example() {
        // RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2.
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        #expect(bytes.withUnsafeBytes { InternetChecksum.sum($0) } == 0xddf2)
        #expect(InternetChecksum.checksum(bytes) == 0x220d)
    }

    @Test func emptyAndOddLengths() {
        #expect(InternetChecksum.checksum([]) == 0xffff)
        #expect(InternetChecksum.checksum([0x12]) == ~UInt16(0x1200))
        #expect(InternetChecksum.checksum([0x12, 0x34, 0x56]) == ~UInt16(0x1234 + 0x5600))
    }

    /// The 64-bit loop agrees with the obvious 16-bit one for every length
    /// up to 300, at every alignment, with a random initial sum.
    @Test(arguments: 0..<8)
    func fastSumMatchesReference(misalignment: Int) {
        var rng = SplitMix64(seed: 0x5eed + UInt64(misalignment))
        for length in 0...300 {
            let data = rng.bytes(length + misalignment)
            let initial = UInt32.random(in: 0...0x3_ffff, using: &rng)
            let slice = Array(data[misalignment...])
            let fast = data.withUnsafeBytes { raw in
                InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: raw[misalignment...]), initial: initial)
            }
            #expect(fast == referenceSum(slice, initial: initial), "length \(length)")
        }
    }

    @Test(arguments: [UInt8(0xff), 0x00, 0x80, 0x7f])
    func fastSumCarriesOnLongRuns(fill: UInt8) {
        for length in [8, 64, 1500, 9000, 65535] {
            let data = [UInt8](repeating: fill, count: length)
            #expect(data.withUnsafeBytes { InternetChecksum.sum($0) } == referenceSum(data))
        }
    }

    @Test func pseudoHeaderIPv4MatchesExplicitBytes() {
        var rng = SplitMix64(seed: 4)
        for _ in 0..<500 {
            let s = IPv4Address(rawValue: rng.next32()), d = IPv4Address(rawValue: rng.next32())
            let proto = IPProtocol(rawValue: UInt8.random(in: 0...255, using: &rng))
            let length = Int.random(in: 0...65535, using: &rng)
            let bytes = bigEndianBytes(s.rawValue) + bigEndianBytes(d.rawValue)
                + [0, proto.rawValue] + bigEndianBytes(UInt16(length))
            #expect(InternetChecksum.pseudoHeaderSum(source: s, destination: d, protocol: proto, length: length)
                    == referenceSum(bytes))
        }
    }

    @Test func pseudoHeaderIPv6MatchesExplicitBytes() {
        var rng = SplitMix64(seed: 6)
        for _ in 0..<500 {
            let s = IPv6Address(high: rng.next(), low: rng.next())
            let d = IPv6Address(high: rng.next(), low: rng.next())
            let proto = IPProtocol(rawValue: UInt8.random(in: 0...255, using: &rng))
            let length = Int(rng.next32() >> UInt32.random(in: 0...31, using: &rng))
            let bytes = s.octets + d.octets + bigEndianBytes(UInt32(length)) + [0, 0, 0, proto.rawValue]
            #expect(InternetChecksum.pseudoHeaderSum(source: s, destination: d, nextHeader: proto, length: length)
                    == referenceSum(bytes))
        }
    }
}

/// RFC 1624 updates agree with a full recomputation, over random data.
@Suite struct IncrementalChecksumTests {
    enum Width: String, CaseIterable, Sendable { case word16, word32, ipv4, ipv6, mac, evenByte, oddByte }

    @Test(arguments: Width.allCases)
    func updateMatchesRecompute(width: Width) {
        var rng = SplitMix64(seed: 0x1624)
        for _ in 0..<3000 {
            let length = 2 * Int.random(in: 10...64, using: &rng)
            var data = rng.bytes(length)
            let before = InternetChecksum.checksum(data)
            let fieldLength: Int
            switch width {
            case .word16: fieldLength = 2
            case .word32, .ipv4: fieldLength = 4
            case .ipv6: fieldLength = 16
            case .mac: fieldLength = 6
            case .evenByte, .oddByte: fieldLength = 1
            }
            var at = 2 * Int.random(in: 0...((length - fieldLength) / 2), using: &rng)
            if width == .oddByte { at += 1 }
            let old = Array(data[at..<at + fieldLength])
            let new = rng.bytes(fieldLength)
            data.replaceSubrange(at..<at + fieldLength, with: new)
            let after = InternetChecksum.checksum(data)
            let updated: UInt16
            switch width {
            case .word16:
                updated = InternetChecksum.update(before, replacing: be16(old), with: be16(new))
            case .word32:
                updated = InternetChecksum.update(before, replacing: be32(old), with: be32(new))
            case .ipv4:
                updated = InternetChecksum.update(before, replacing: IPv4Address(rawValue: be32(old)),
                                                  with: IPv4Address(rawValue: be32(new)))
            case .ipv6:
                updated = InternetChecksum.update(before, replacing: IPv6Address(octets: old)!,
                                                  with: IPv6Address(octets: new)!)
            case .mac:
                updated = InternetChecksum.update(before, replacing: EthernetAddress(old[0], old[1], old[2], old[3], old[4], old[5]),
                                                  with: EthernetAddress(new[0], new[1], new[2], new[3], new[4], new[5]))
            case .evenByte, .oddByte:
                updated = InternetChecksum.update(before, replacingByte: old[0], with: new[0],
                                                  atEvenOffset: width == .evenByte)
            }
            #expect(updated == after)
        }
    }

    /// A checksum field inside the data stays valid through updates (the
    /// way the datapath uses them on real headers).
    @Test func embeddedChecksumStaysValid() {
        var rng = SplitMix64(seed: 77)
        for _ in 0..<2000 {
            var data = rng.bytes(2 * Int.random(in: 4...40, using: &rng))
            data[0] = 0; data[1] = 0
            let c = InternetChecksum.checksum(data)
            data[0] = UInt8(c >> 8); data[1] = UInt8(c & 0xff)
            #expect(InternetChecksum.checksum(data) == 0)
            for _ in 0..<5 {
                let at = 2 * Int.random(in: 1..<(data.count / 2), using: &rng)
                let old = be16(Array(data[at..<at + 2]))
                let new = UInt16.random(in: 0...0xffff, using: &rng)
                data[at] = UInt8(new >> 8); data[at + 1] = UInt8(new & 0xff)
                let field = InternetChecksum.update(be16(Array(data[0..<2])), replacing: old, with: new)
                data[0] = UInt8(field >> 8); data[1] = UInt8(field & 0xff)
                #expect(InternetChecksum.sum(data.withUnsafeBytes { UnsafeRawBufferPointer($0) }) == 0xffff)
            }
        }
    }
}

@Suite struct CRC32CTests {
    static let vectors: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xe306_9283),
        ([UInt8](repeating: 0, count: 32), 0x8a91_36aa),
        ([UInt8](repeating: 0xff, count: 32), 0x62a8_ab43),
        ((0..<32).map { UInt8($0) }, 0x46dd_794e),
        ((0..<32).map { UInt8(31 - $0) }, 0x113f_db5c),
        ([], 0),
    ]

    /// Check value and the RFC 3720 (iSCSI) appendix B.4 vectors.
    @Test(arguments: vectors)
    func knownVectors(_ data: [UInt8], _ crc: UInt32) {
        #expect(CRC32C.checksum(data) == crc)
    }

    @Test func matchesBitwiseReferenceAndChains() {
        var rng = SplitMix64(seed: 32)
        for length in 0..<200 {
            let data = rng.bytes(length)
            let crc = CRC32C.checksum(data)
            #expect(crc == referenceCRC32C(data))
            let cut = length == 0 ? 0 : Int.random(in: 0...length, using: &rng)
            let chained = CRC32C.checksum(Array(data[cut...]), continuing: CRC32C.checksum(Array(data[..<cut])))
            #expect(chained == crc)
        }
    }
}

extension SplitMix64 {
    mutating func next32() -> UInt32 { UInt32(truncatingIfNeeded: next()) }
}

func bigEndianBytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    (0..<MemoryLayout<T>.size).reversed().map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }
}
func be16(_ b: [UInt8]) -> UInt16 { UInt16(b[0]) << 8 | UInt16(b[1]) }
func be32(_ b: [UInt8]) -> UInt32 { UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]) }
