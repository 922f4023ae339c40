/// pcapng (draft-ietf-opsawg-pcapng): section header, interface description,
/// enhanced and simple packet blocks, in either byte order. Other blocks
/// are skipped.

/// One interface a pcapng section describes.
public struct PcapNGInterface: Hashable, Sendable {
    public var linkType: UInt16
    /// 0 means no limit.
    public var snapLength: UInt32
    /// Timestamp units per second (from `if_tsresol`; 10^6 by default).
    public var ticksPerSecond: UInt64
    /// Seconds added to every timestamp (`if_tsoffset`).
    public var timestampOffset: Int64

    public init(linkType: UInt16, snapLength: UInt32 = 0, ticksPerSecond: UInt64 = 1_000_000,
                timestampOffset: Int64 = 0) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.ticksPerSecond = ticksPerSecond
        self.timestampOffset = timestampOffset
    }
}

/// A packet with the interface it was captured on.
public struct PcapNGRecord: Hashable, Sendable {
    /// Index into the section's interfaces.
    public var interfaceID: UInt32
    public var packet: CapturedPacket
}

/// Parses a pcapng file held in memory.
public struct PcapNGReader: Sendable {
    /// The section header block type (the same in both byte orders).
    public static let sectionHeaderType: UInt32 = 0x0a0d_0d0a
    public static let interfaceDescriptionType: UInt32 = 1
    public static let obsoletePacketType: UInt32 = 2
    public static let simplePacketType: UInt32 = 3
    public static let enhancedPacketType: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1a2b_3c4d

    /// The interfaces of the current section, in IDB order.
    public private(set) var interfaces: [PcapNGInterface] = []
    /// True when the current section is big-endian.
    public private(set) var isBigEndian = false
    private let bytes: [UInt8]
    private var offset = 0

    /// Reads the first section header; `.badMagic` if the file does not
    /// start with one.
    public init(bytes: [UInt8]) throws(PcapError) {
        self.bytes = bytes
        guard bytes.count >= 12 else { throw .truncatedHeader }
        let type = load32(0, bigEndian: false)
        guard type == Self.sectionHeaderType else { throw .badMagic(type) }
        try readSectionHeader()
    }

    private func load32(_ at: Int, bigEndian: Bool) -> UInt32 {
        let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }
    private func load32(_ at: Int) -> UInt32 { load32(at, bigEndian: isBigEndian) }
    private func load16(_ at: Int) -> UInt16 {
        let v = UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        return isBigEndian ? v.byteSwapped : v
    }
    private func load64(_ at: Int) -> UInt64 {
        // pcapng 64-bit option values are in the section's byte order.
        let a = UInt64(load32(at)), b = UInt64(load32(at + 4))
        return isBigEndian ? a << 32 | b : b << 32 | a
    }

    /// Reads the section header block at `offset`, then moves past it.
    private mutating func readSectionHeader() throws(PcapError) {
        guard bytes.count - offset >= 28 else { throw .truncatedHeader }
        let magic = load32(offset + 8, bigEndian: false)
        switch magic {
        case Self.byteOrderMagic: isBigEndian = false
        case Self.byteOrderMagic.byteSwapped: isBigEndian = true
        default: throw .badMagic(magic)
        }
        let length = try blockLength(at: offset)
        interfaces = []
        offset += length
    }

    /// Checks the block at `at`: its length is at least 12, a multiple of 4,
    /// within the file, and repeated at its end.
    private func blockLength(at: Int) throws(PcapError) -> Int {
        guard bytes.count - at >= 12 else { throw .malformedBlock(offset: at) }
        let length = Int(load32(at + 4))
        guard length >= 12, length % 4 == 0, length <= bytes.count - at,
              load32(at + length - 4) == UInt32(length) else { throw .malformedBlock(offset: at) }
        return length
    }

    /// The next packet, `nil` at a clean end of file.
    public mutating func next() throws(PcapError) -> CapturedPacket? {
        try nextRecord()?.packet
    }

    /// The next packet with its interface, `nil` at a clean end of file.
    public mutating func nextRecord() throws(PcapError) -> PcapNGRecord? {
        while offset < bytes.count {
            let start = offset
            guard bytes.count - start >= 12 else { throw .malformedBlock(offset: start) }
            if load32(start, bigEndian: false) == Self.sectionHeaderType {
                try readSectionHeader()
                continue
            }
            let type = load32(start)
            let length = try blockLength(at: start)
            offset = start + length
            let body = start + 8
            let bodyLength = length - 12
            switch type {
            case Self.interfaceDescriptionType:
                guard bodyLength >= 8 else { throw .malformedBlock(offset: start) }
                var interface = PcapNGInterface(linkType: load16(body), snapLength: load32(body + 4))
                try readInterfaceOptions(&interface, from: body + 8, to: body + bodyLength, block: start)
                interfaces.append(interface)
            case Self.enhancedPacketType:
                guard bodyLength >= 20 else { throw .malformedBlock(offset: start) }
                let id = load32(body)
                let ticks = UInt64(load32(body + 4)) << 32 | UInt64(load32(body + 8))
                let captured = Int(load32(body + 12))
                let original = load32(body + 16)
                guard captured <= bodyLength - 20 else { throw .malformedBlock(offset: start) }
                return try record(id, ticks, Array(bytes[body + 20 ..< body + 20 + captured]), original)
            case Self.obsoletePacketType:
                guard bodyLength >= 20 else { throw .malformedBlock(offset: start) }
                let id = UInt32(load16(body))
                let ticks = UInt64(load32(body + 4)) << 32 | UInt64(load32(body + 8))
                let captured = Int(load32(body + 12))
                let original = load32(body + 16)
                guard captured <= bodyLength - 20 else { throw .malformedBlock(offset: start) }
                return try record(id, ticks, Array(bytes[body + 20 ..< body + 20 + captured]), original)
            case Self.simplePacketType:
                guard bodyLength >= 4 else { throw .malformedBlock(offset: start) }
                guard let interface = interfaces.first else { throw .unknownInterface(0) }
                let original = load32(body)
                var captured = min(Int(original), bodyLength - 4)
                if interface.snapLength != 0 { captured = min(captured, Int(interface.snapLength)) }
                return PcapNGRecord(interfaceID: 0,
                                    packet: CapturedPacket(data: Array(bytes[body + 4 ..< body + 4 + captured]),
                                                           originalLength: original))
            default:
                continue
            }
        }
        return nil
    }

    /// Every remaining packet.
    public mutating func readAll() throws(PcapError) -> [CapturedPacket] {
        var all: [CapturedPacket] = []
        while let p = try next() { all.append(p) }
        return all
    }

    private func record(_ id: UInt32, _ ticks: UInt64, _ data: [UInt8], _ original: UInt32) throws(PcapError) -> PcapNGRecord {
        guard Int(id) < interfaces.count else { throw .unknownInterface(id) }
        let interface = interfaces[Int(id)]
        let perSecond = interface.ticksPerSecond
        let seconds = Int64(truncatingIfNeeded: ticks / perSecond) &+ interface.timestampOffset
        let fraction = ticks % perSecond
        let nanos = fraction.multipliedFullWidth(by: 1_000_000_000)
        let (nanoseconds, _) = perSecond.dividingFullWidth(nanos)
        return PcapNGRecord(interfaceID: id,
                            packet: CapturedPacket(seconds: UInt32(truncatingIfNeeded: seconds),
                                                   nanoseconds: UInt32(truncatingIfNeeded: nanoseconds),
                                                   data: data, originalLength: original))
    }

    private func readInterfaceOptions(_ interface: inout PcapNGInterface, from start: Int, to end: Int,
                                      block: Int) throws(PcapError) {
        var at = start
        while end - at >= 4 {
            let code = load16(at)
            let length = Int(load16(at + 2))
            let padded = (length + 3) & ~3
            guard padded <= end - at - 4 else { throw .malformedBlock(offset: block) }
            let value = at + 4
            switch code {
            case 0:
                return
            case 9 where length >= 1:   // if_tsresol
                let r = bytes[value]
                if r & 0x80 == 0 {
                    guard r <= 19 else { throw .malformedBlock(offset: block) }
                    var p: UInt64 = 1
                    for _ in 0..<r { p *= 10 }
                    interface.ticksPerSecond = p
                } else {
                    guard r & 0x7f <= 63 else { throw .malformedBlock(offset: block) }
                    interface.ticksPerSecond = 1 << UInt64(r & 0x7f)
                }
            case 14 where length >= 8:  // if_tsoffset
                interface.timestampOffset = Int64(bitPattern: load64(value))
            default:
                break
            }
            at = value + padded
        }
    }
}

/// Writes a pcapng file in memory: one section, one or more interfaces,
/// enhanced packet blocks (or simple ones on request).
public struct PcapNGWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// The interfaces described so far.
    public private(set) var interfaces: [PcapNGInterface] = []
    /// True when the file is written big-endian.
    public let isBigEndian: Bool
    private let isNanosecond: Bool

    /// Starts a section and describes interface 0. Nanosecond timestamps
    /// are announced with `if_tsresol` 9; otherwise the microsecond default.
    public init(linkType: UInt16 = 1, snapLength: UInt32 = 0, nanosecond: Bool = true, bigEndian: Bool = false) {
        isBigEndian = bigEndian
        isNanosecond = nanosecond
        // Section header: magic, version 1.0, section length unknown (-1), no options.
        var body: [UInt8] = []
        append32(&body, 0x1a2b_3c4d)
        append16(&body, 1); append16(&body, 0)
        append32(&body, 0xffff_ffff); append32(&body, 0xffff_ffff)
        appendBlock(PcapNGReader.sectionHeaderType, body)
        addInterface(linkType: linkType, snapLength: snapLength)
    }

    /// Describes another interface; returns its ID.
    @discardableResult
    public mutating func addInterface(linkType: UInt16 = 1, snapLength: UInt32 = 0) -> UInt32 {
        var body: [UInt8] = []
        append16(&body, linkType); append16(&body, 0)
        append32(&body, snapLength)
        if isNanosecond {
            append16(&body, 9); append16(&body, 1)      // if_tsresol = 10^-9
            body += [9, 0, 0, 0]
            append16(&body, 0); append16(&body, 0)      // opt_endofopt
        }
        appendBlock(PcapNGReader.interfaceDescriptionType, body)
        interfaces.append(PcapNGInterface(linkType: linkType, snapLength: snapLength,
                                          ticksPerSecond: isNanosecond ? 1_000_000_000 : 1_000_000))
        return UInt32(interfaces.count - 1)
    }

    /// Appends an enhanced packet block on `interface`.
    public mutating func write(_ packet: CapturedPacket, interface: UInt32 = 0) {
        let ticks = UInt64(packet.seconds) * (isNanosecond ? 1_000_000_000 : 1_000_000)
            + UInt64(isNanosecond ? packet.nanoseconds : packet.nanoseconds / 1000)
        var body: [UInt8] = []
        append32(&body, interface)
        append32(&body, UInt32(truncatingIfNeeded: ticks >> 32))
        append32(&body, UInt32(truncatingIfNeeded: ticks))
        append32(&body, UInt32(packet.data.count))
        append32(&body, packet.originalLength)
        body += packet.data
        body += [UInt8](repeating: 0, count: (4 - packet.data.count % 4) % 4)
        appendBlock(PcapNGReader.enhancedPacketType, body)
    }

    /// Appends a simple packet block (no timestamp, interface 0).
    public mutating func writeSimple(_ packet: CapturedPacket) {
        var body: [UInt8] = []
        append32(&body, packet.originalLength)
        body += packet.data
        body += [UInt8](repeating: 0, count: (4 - packet.data.count % 4) % 4)
        appendBlock(PcapNGReader.simplePacketType, body)
    }

    /// Appends a block of any type (the body is padded to 4 bytes).
    public mutating func writeBlock(type: UInt32, body: [UInt8]) {
        appendBlock(type, body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4))
    }

    private mutating func appendBlock(_ type: UInt32, _ body: [UInt8]) {
        let length = UInt32(12 + body.count)
        var block: [UInt8] = []
        append32(&block, type)
        append32(&block, length)
        block += body
        append32(&block, length)
        bytes += block
    }

    private func append32(_ out: inout [UInt8], _ v: UInt32) {
        let w = isBigEndian ? v.byteSwapped : v
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: w >> (8 * i))) }
    }
    private func append16(_ out: inout [UInt8], _ v: UInt16) {
        let w = isBigEndian ? v.byteSwapped : v
        for i in 0..<2 { out.append(UInt8(truncatingIfNeeded: w >> (8 * i))) }
    }
}
