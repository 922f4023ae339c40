@testable import DPIF
import Testing

@Suite struct TLVEncoderTests {
    @Test func integersStringsAndPadding() throws {
        var e = TLVEncoder()
        e.putU32(1, 0x0102_0304)
        e.putU8(2, 0xaa)
        e.putString(3, "br0")
        e.putBE16(4, 0x0800)
        e.putFlag(5)
        e.putU64(6, 1)
        #expect(try e.finish() == [
            8, 0, 1, 0, 4, 3, 2, 1,
            5, 0, 2, 0, 0xaa, 0, 0, 0,            // 1-byte payload, 3 pad bytes
            8, 0, 3, 0, 0x62, 0x72, 0x30, 0,      // "br0" NUL-terminated
            6, 0, 4, 0, 0x08, 0x00, 0, 0,         // be16
            4, 0, 5, 0,                           // flag
            12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 0, 0,
        ])
    }

    @Test func nestedLengthCoversInnerAttributes() throws {
        var e = TLVEncoder()
        e.putNested(7) { inner in
            inner.putU16(1, 0x1234)
            inner.putNested(2) { $0.putFlag(3) }
        }
        #expect(try e.finish() == [20, 0, 7, 0, 6, 0, 1, 0, 0x34, 0x12, 0, 0, 8, 0, 2, 0, 4, 0, 3, 0])
        var marked = TLVEncoder(marksNested: true)
        marked.putNested(7) { $0.putFlag(1) }
        #expect(try marked.finish() == [8, 0, 7, 0x80, 4, 0, 1, 0])
    }

    @Test func oversizedAttributeIsReportedNotTrapped() {
        var e = TLVEncoder()
        e.putU32(1, 1)
        e.put(2, bytes: [UInt8](repeating: 0, count: 70_000))
        e.putNested(3) { inner in
            inner.put(4, bytes: [UInt8](repeating: 0, count: 40_000))
            inner.put(5, bytes: [UInt8](repeating: 0, count: 40_000))
        }
        #expect(e.bytes.count == 8)                      // both left out
        #expect(throws: TLVError.attributeTooLong(type: 2)) { try e.finish() }
        var fits = TLVEncoder()
        fits.put(2, bytes: [UInt8](repeating: 0, count: 65_531))
        #expect((try? fits.finish())?.count == 65_536)
    }
}

@Suite struct TLVDecoderTests {
    @Test func typedGettersReadWhatTheEncoderWrote() throws {
        var e = TLVEncoder()
        e.putU8(1, 0xfe)
        e.putU16(2, 0xbeef)
        e.putU32(3, 0xdead_beef)
        e.putU64(4, 0x0102_0304_0506_0708)
        e.putBE16(5, 0x8100)
        e.putBE32(6, 0x0a00_0001)
        e.putBE64(7, 42)
        e.putString(8, "dp-é")
        e.put(9, bytes: [1, 2, 3])
        e.putI32(10, -1)
        e.putU128(11, UInt128(7) << 64 | 9)
        e.putU32Array(12, [1, 2, 3])
        let list = try TLVAttributeList(parsing: try e.finish())
        #expect(list.count == 12)
        #expect(try list.required(1).u8() == 0xfe)
        #expect(try list.required(2).u16() == 0xbeef)
        #expect(try list.required(3).u32() == 0xdead_beef)
        #expect(try list.required(4).u64() == 0x0102_0304_0506_0708)
        #expect(try list.required(5).be16() == 0x8100)
        #expect(try list.required(6).be32() == 0x0a00_0001)
        #expect(try list.required(7).be64() == 42)
        #expect(try list.required(8).string() == "dp-é")
        #expect(list[9]?.bytes() == [1, 2, 3])
        #expect(try list.required(10).i32() == -1)
        #expect(try list.required(11).u128() == UInt128(7) << 64 | 9)
        #expect(try list.required(12).u32Array() == [1, 2, 3])
        #expect(throws: TLVError.missingAttribute(13)) { try list.required(13) }
    }

    @Test func flagBitsAreStripped() throws {
        let list = try TLVAttributeList(parsing: [8, 0, 7, 0xc0, 4, 0, 1, 0])
        let a = try #require(list[7])
        #expect(a.isNested && a.isNetworkByteOrder)
        #expect(try a.nested().count == 1)
    }

    @Test func missingPadAfterLastAttributeIsAccepted() throws {
        let list = try TLVAttributeList(parsing: [5, 0, 1, 0, 0x2a])
        #expect(try list.required(1).u8() == 0x2a)
        // ...but not in front of another attribute
        #expect(throws: TLVError.truncated(offset: 8)) {
            try TLVAttributeList(parsing: [5, 0, 1, 0, 0x2a, 0, 0, 0, 4, 0, 2])
        }
    }

    @Test func lastDuplicateWins() throws {
        let list = try TLVAttributeList(parsing: [5, 0, 1, 0, 1, 0, 0, 0, 5, 0, 1, 0, 2, 0, 0, 0])
        #expect(try list.required(1).u8() == 2)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var bytes: [UInt8]
        var error: TLVError
    }

    @Test(arguments: [
        Malformed(testDescription: "3 bytes", bytes: [4, 0, 1], error: .truncated(offset: 0)),
        Malformed(testDescription: "length 3", bytes: [3, 0, 1, 0], error: .badLength(type: 1, offset: 0)),
        Malformed(testDescription: "length 0", bytes: [0, 0, 9, 0, 0, 0, 0, 0], error: .badLength(type: 9, offset: 0)),
        Malformed(testDescription: "length past end", bytes: [9, 0, 1, 0, 1, 2, 3, 4], error: .truncated(offset: 0)),
        Malformed(testDescription: "second truncated", bytes: [4, 0, 1, 0, 8, 0, 2, 0, 1], error: .truncated(offset: 4)),
    ])
    func malformedHeaders(_ c: Malformed) {
        #expect(throws: c.error) { try TLVAttributeList(parsing: c.bytes) }
    }

    @Test func gettersCheckSizes() throws {
        let list = try TLVAttributeList(parsing: [6, 0, 1, 0, 1, 2, 0, 0, 7, 0, 2, 0, 0x61, 0x62, 0x63, 0])
        let a = try list.required(1)
        #expect(throws: TLVError.badLength(type: 1, offset: 0)) { try a.u32() }
        #expect(throws: TLVError.badLength(type: 1, offset: 0)) { try a.u8() }
        #expect(throws: TLVError.badLength(type: 1, offset: 0)) { try a.flag() }
        #expect(try a.u16() == 0x0201)
        // "abc" without NUL
        #expect(throws: TLVError.badValue(type: 2, offset: 8)) { try list.required(2).string() }
        let bad = try TLVAttributeList(parsing: [7, 0, 1, 0, 0xff, 0xfe, 0])
        #expect(throws: TLVError.badValue(type: 1, offset: 0)) { try bad.required(1).string() }
        let inner = try TLVAttributeList(parsing: [4, 0, 1, 0])
        #expect(throws: TLVError.badLength(type: 1, offset: 0)) { try inner.required(1).string() }
        let odd = try TLVAttributeList(parsing: [7, 0, 1, 0, 1, 2, 3, 0])
        #expect(throws: TLVError.badLength(type: 1, offset: 0)) { try odd.required(1).u32Array() }
    }

    @Test func offsetsAreAbsoluteInNestedLists() throws {
        // outer(1) { inner(2) with length 2 }
        let bytes: [UInt8] = [8, 0, 1, 0, 2, 0, 2, 0]
        let outer = try TLVAttributeList(parsing: bytes).required(1)
        #expect(throws: TLVError.badLength(type: 2, offset: 4)) { try outer.nested() }
    }

    /// Any bytes at all: the decoder and every getter return or throw.
    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            guard let list = try? TLVAttributeList(parsing: bytes) else { continue }
            for a in list {
                _ = try? a.u8(); _ = try? a.u16(); _ = try? a.u32(); _ = try? a.u64()
                _ = try? a.be16(); _ = try? a.be32(); _ = try? a.be64(); _ = try? a.u128()
                _ = try? a.string(); _ = try? a.u32Array(); _ = try? a.flag()
                if let inner = try? a.nested() { _ = inner.count }
            }
        }
    }
}
