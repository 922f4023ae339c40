/// Reading and writing capture files: classic pcap (both byte orders,
/// micro- and nanosecond timestamps) and pcapng (see `PcapNG.swift`).
///
/// The readers work over bytes already in memory; callers read the file.
/// `PcapReader` recognises both formats by their magic numbers.

/// One captured frame.
public struct CapturedPacket: Hashable, Sendable {
    /// Capture time, seconds since the epoch.
    public var seconds: UInt32
    /// Sub-second part, in nanoseconds.
    public var nanoseconds: UInt32
    /// The captured bytes (may be fewer than `originalLength`).
    public var data: [UInt8]
    /// The frame's length on the wire.
    public var originalLength: UInt32

    public init(seconds: UInt32 = 0, nanoseconds: UInt32 = 0, data: [UInt8], originalLength: UInt32? = nil) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.data = data
        self.originalLength = originalLength ?? UInt32(data.count)
    }
}

/// Why a capture file could not be read.
public enum PcapError: Error, Hashable, Sendable {
    case badMagic(UInt32)
    case truncatedHeader
    /// A record's header or data ends early; `index` counts from 0.
    case truncatedRecord(index: Int)
    case unsupportedLinkType(UInt32)
    /// A pcapng block whose lengths contradict each other or the file;
    /// `offset` is the block's byte offset.
    case malformedBlock(offset: Int)
    /// A pcapng packet block names an interface no IDB described.
    case unknownInterface(UInt32)
}

/// The two capture file formats.
public enum CaptureFileFormat: Hashable, Sendable {
    /// Classic libpcap (`a1b2c3d4` / `a1b23c4d`).
    case pcap
    /// pcapng (section header block `0a0d0d0a`).
    case pcapng
}

/// Parses a capture file held in memory: classic pcap or pcapng, told apart
/// by the first four bytes.
///
/// For pcapng, `linkType` and `isNanosecond` describe the first interface
/// (Ethernet if the file describes none); `PcapNGReader` gives per-interface
/// detail.
public struct PcapReader: Sendable {
    /// The link type from the file header (1 is Ethernet).
    public let linkType: UInt32
    public let isNanosecond: Bool
    /// Which format the bytes are in.
    public let format: CaptureFileFormat
    private let bytes: [UInt8]
    private let bigEndian: Bool
    private var offset = 24
    private var index = 0
    private var pcapng: PcapNGReader?

    public init(bytes: [UInt8]) throws(PcapError) {
        guard bytes.count >= 4 else { throw .truncatedHeader }
        let magicLE = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        if magicLE == PcapNGReader.sectionHeaderType {
            let reader = try PcapNGReader(bytes: bytes)
            var peek = reader
            while peek.interfaces.isEmpty, (try? peek.nextRecord()) != nil {}
            let first = peek.interfaces.first
            linkType = first.map { UInt32($0.linkType) } ?? 1
            isNanosecond = (first?.ticksPerSecond ?? 1_000_000) > 1_000_000
            format = .pcapng
            pcapng = reader
            self.bytes = []
            bigEndian = false
            return
        }
        guard bytes.count >= 24 else { throw .truncatedHeader }
        switch magicLE {
        case 0xa1b2_c3d4: bigEndian = false; isNanosecond = false
        case 0xa1b2_3c4d: bigEndian = false; isNanosecond = true
        case 0xd4c3_b2a1: bigEndian = true; isNanosecond = false
        case 0x4d3c_b2a1: bigEndian = true; isNanosecond = true
        default: throw .badMagic(magicLE)
        }
        format = .pcap
        self.bytes = bytes
        linkType = Self.load32(bytes, 20, bigEndian)
    }

    private static func load32(_ b: [UInt8], _ at: Int, _ big: Bool) -> UInt32 {
        let v = UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
        return big ? v.byteSwapped : v
    }

    /// The next packet, `nil` at a clean end of file.
    public mutating func next() throws(PcapError) -> CapturedPacket? {
        if pcapng != nil { return try pcapng!.next() }
        if offset == bytes.count { return nil }
        guard bytes.count - offset >= 16 else { throw .truncatedRecord(index: index) }
        let sec = Self.load32(bytes, offset, bigEndian)
        let frac = Self.load32(bytes, offset + 4, bigEndian)
        let caplen = Int(Self.load32(bytes, offset + 8, bigEndian))
        let len = Self.load32(bytes, offset + 12, bigEndian)
        guard caplen <= bytes.count - offset - 16 else { throw .truncatedRecord(index: index) }
        let start = offset + 16
        offset = start + caplen
        index += 1
        return CapturedPacket(seconds: sec, nanoseconds: isNanosecond ? frac : frac &* 1000,
                              data: Array(bytes[start..<start + caplen]), originalLength: len)
    }

    /// Every remaining packet.
    public mutating func readAll() throws(PcapError) -> [CapturedPacket] {
        var all: [CapturedPacket] = []
        while let p = try next() { all.append(p) }
        return all
    }
}

/// Writes a classic pcap file in memory: little-endian, micro- or
/// nanosecond timestamps.
public struct PcapWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// True when timestamps are written in nanoseconds (magic `a1b23c4d`).
    public let isNanosecond: Bool

    public init(linkType: UInt32 = 1, snapLength: UInt32 = 65535, nanosecond: Bool = false) {
        isNanosecond = nanosecond
        append32(nanosecond ? 0xa1b2_3c4d : 0xa1b2_c3d4)
        append16(2); append16(4)
        append32(0); append32(0)
        append32(snapLength); append32(linkType)
    }

    public mutating func write(_ packet: CapturedPacket) {
        append32(packet.seconds)
        append32(isNanosecond ? packet.nanoseconds : packet.nanoseconds / 1000)
        append32(UInt32(packet.data.count))
        append32(packet.originalLength)
        bytes += packet.data
    }

    private mutating func append32(_ v: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
    private mutating func append16(_ v: UInt16) {
        for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
}
