import Flow
import OFProto

/// One OpenFlow message: the 8-byte header's fields and the body after it.
public struct OFMessage: Equatable, Sendable {
    public var version: UInt8
    public var type: UInt8
    public var xid: UInt32
    public var body: [UInt8]

    public init(version: UInt8, type: UInt8, xid: UInt32, body: [UInt8] = []) {
        self.version = version
        self.type = type
        self.xid = xid
        self.body = body
    }

    /// The message's bytes, header included.
    public var encoded: [UInt8] {
        var w = OFWriter(capacity: 8 + body.count)
        w.u8(version); w.u8(type); w.u16(UInt16(truncatingIfNeeded: 8 + body.count)); w.u32(xid)
        w.append(body)
        return w.bytes
    }

    /// The first message in `bytes`, if complete: (message, bytes used).
    /// A length under 8 throws (the stream cannot be resynchronised).
    public static func frame(_ bytes: ArraySlice<UInt8>) throws(OFDecodeError) -> (OFMessage, Int)? {
        guard bytes.count >= 8 else { return nil }
        let b = bytes.startIndex
        let length = Int(bytes[b + 2]) << 8 | Int(bytes[b + 3])
        guard length >= 8 else { throw OFDecodeError(.badRequestLength, "message length \(length)") }
        guard bytes.count >= length else { return nil }
        let xid = UInt32(bytes[b + 4]) << 24 | UInt32(bytes[b + 5]) << 16 | UInt32(bytes[b + 6]) << 8 | UInt32(bytes[b + 7])
        return (OFMessage(version: bytes[b], type: bytes[b + 1], xid: xid, body: Array(bytes[(b + 8)..<(b + length)])), length)
    }
}

/// Message type numbers.
public enum OFType {
    public static let hello: UInt8 = 0, error: UInt8 = 1, echoRequest: UInt8 = 2, echoReply: UInt8 = 3
    public static let vendor: UInt8 = 4, featuresRequest: UInt8 = 5, featuresReply: UInt8 = 6
    public static let getConfigRequest: UInt8 = 7, getConfigReply: UInt8 = 8, setConfig: UInt8 = 9
    public static let flowMod: UInt8 = 14
    /// OFPT_GROUP_MOD (OpenFlow 1.1+).
    public static let groupMod: UInt8 = 15
    /// Stats/multipart request and reply, and barrier, by version.
    public static func statsRequest(_ v: UInt8) -> UInt8 { v == 1 ? 16 : 18 }
    public static func statsReply(_ v: UInt8) -> UInt8 { v == 1 ? 17 : 19 }
    public static func barrierRequest(_ v: UInt8) -> UInt8 { v == 1 ? 18 : 20 }
    public static func barrierReply(_ v: UInt8) -> UInt8 { v == 1 ? 19 : 21 }
}

/// HELLO with a version bitmap, and version negotiation.
public enum OFHello {
    /// The versions svs speaks: OpenFlow 1.0 and 1.3 to 1.5 (wire 1, 4-6).
    public static let supported: Set<UInt8> = [1, 4, 5, 6]

    /// A HELLO announcing `versions`.
    public static func message(versions: Set<UInt8> = supported, xid: UInt32 = 0) -> OFMessage {
        let maxV = versions.max() ?? 1
        var w = OFWriter()
        if maxV > 1 {
            var bits: UInt32 = 0
            for v in versions where v < 32 { bits |= 1 << UInt32(v) }
            w.u16(1); w.u16(8); w.u32(bits)
        }
        return OFMessage(version: maxV, type: OFType.hello, xid: xid, body: w.bytes)
    }

    /// The versions a peer's HELLO allows (`ofputil_decode_hello`).
    public static func peerVersions(_ m: OFMessage) -> Set<UInt8> {
        var r = OFReader(m.body)
        while r.remaining >= 4 {
            guard let type = try? r.u16(), let len = try? r.u16(), len >= 4 else { break }
            guard var e = try? r.sub(Int(len) - 4) else { break }
            try? r.skip(min(r.remaining, (8 - Int(len) % 8) % 8))
            if type == 1 {
                var set = Set<UInt8>()
                var base: UInt8 = 0
                while let word = try? e.u32() {
                    for i in 0..<32 where word & (1 << UInt32(i)) != 0 { set.insert(base &+ UInt8(i)) }
                    base &+= 32
                }
                return set
            }
        }
        return Set((1...max(1, m.version)).map { $0 })
    }

    /// The version both ends speak, if any.
    public static func negotiate(ours: Set<UInt8> = supported, peer: OFMessage) -> UInt8? {
        ours.intersection(peerVersions(peer)).max()
    }
}

/// A flow-mod command.
public enum OFFlowModCommand: UInt8, Sendable {
    case add = 0, modify = 1, modifyStrict = 2, delete = 3, deleteStrict = 4
}

/// A decoded flow-mod (OVS's `ofputil_flow_mod`).
public struct OFFlowMod: Equatable, Sendable {
    public var command: OFFlowModCommand = .add
    public var match: Match = .catchAll
    public var priority: UInt16 = 0x8000
    public var cookie: UInt64 = 0
    public var cookieMask: UInt64 = 0
    /// The cookie a modify gives the rules (`UInt64.max`: keep theirs).
    public var newCookie: UInt64 = .max
    /// 255: all tables (delete) or not given.
    public var table: UInt8 = 0
    public var idleTimeout: UInt16 = 0
    public var hardTimeout: UInt16 = 0
    public var importance: UInt16 = 0
    /// `OFPFF13_*` bits.
    public var flags: UInt16 = 0
    public var bufferID: UInt32 = 0xffff_ffff
    public var outPort: OFPort = .any
    public var outGroup: UInt32 = 0xffff_ffff
    public var actions: [OFAction] = []
    public init() {}
}

/// The flow-format state of a connection (NXT_SET_FLOW_FORMAT,
/// NXT_FLOW_MOD_TABLE_ID).
public struct OFConnectionFormat: Sendable, Equatable {
    public var version: UInt8
    public var nxm = false
    public var flowModTableID = false
    public init(version: UInt8) { self.version = version }
}

extension OFFlowMod {
    static func flags(fromWire f: UInt16, version: UInt8) -> UInt16 {
        var out = f & 3
        if version >= 3 { out |= f & 4 }
        if version >= 4 { out |= f & 0x18 }
        return out
    }

    /// Decodes an OpenFlow 1.0 `OFPT_FLOW_MOD` body.
    public static func decodeOF10(_ body: [UInt8], format: OFConnectionFormat) throws(OFDecodeError) -> OFFlowMod {
        var r = OFReader(body)
        var fm = OFFlowMod()
        fm.match = try OFMatchCodec.decodeOF10(&r)
        fm.cookie = try r.u64()
        let f = try fm.decodeOF10Fields(&r, format: format)
        if f & 4 != 0 { throw OFDecodeError(.badFlags, "emergency flow") }
        fm.newCookie = fm.cookie
        fm.cookie = 0
        var rest = r.rest()
        rest.shortError = .badActionLength
        fm.actions = try OFActionCodec.decodeActions(&rest, version: 1)
        fm.match = fm.match.normalized()
        return fm
    }

    /// The fields OpenFlow 1.0's and Nicira's flow-mods share, from
    /// `command` to `flags`; returns the raw flags.
    mutating func decodeOF10Fields(_ r: inout OFReader, format: OFConnectionFormat) throws(OFDecodeError) -> UInt16 {
        try setCommand(try r.u16(), tableIDs: format.flowModTableID)
        idleTimeout = try r.u16(); hardTimeout = try r.u16(); priority = try r.u16()
        bufferID = try r.u32(); outPort = OFPort(rawValue: try r.u16())
        let f = try r.u16()
        flags = (f & 3) | 4
        return f
    }

    mutating func setCommand(_ raw: UInt16, tableIDs: Bool) throws(OFDecodeError) {
        let low = UInt8(raw & 0xff)
        guard let c = OFFlowModCommand(rawValue: low) else { throw OFDecodeError(.badCommand, "command \(raw)") }
        command = c
        table = tableIDs ? UInt8(raw >> 8) : (c == .delete || c == .deleteStrict ? 255 : 0)
        if !tableIDs && raw >> 8 != 0 { throw OFDecodeError(.badCommand, "command \(raw)") }
        if tableIDs && c != .delete && c != .deleteStrict && table == 255 { table = 0 }
    }

    /// Decodes a Nicira `NXT_FLOW_MOD` body (after vendor and subtype).
    public static func decodeNX(_ r: inout OFReader, format: OFConnectionFormat) throws(OFDecodeError) -> OFFlowMod {
        var fm = OFFlowMod()
        fm.cookie = try r.u64()
        _ = try fm.decodeOF10Fields(&r, format: format)
        let matchLen = Int(try r.u16())
        try r.skip(6)
        var cookie: (UInt64, UInt64)? = nil
        fm.match = try OFMatchCodec.decodeNXM(&r, length: matchLen, cookie: &cookie)
        fm.newCookie = fm.cookie
        (fm.cookie, fm.cookieMask) = cookie ?? (0, 0)
        if fm.command == .add && fm.cookieMask != 0 { throw OFDecodeError(.nxmInvalid, "cookie mask on add") }
        var rest = r.rest()
        rest.shortError = .badActionLength
        fm.actions = try OFActionCodec.decodeActions(&rest, version: 1)
        return fm
    }

    /// Decodes an OpenFlow 1.1+ `OFPT_FLOW_MOD` body.
    public static func decodeOF11(_ body: [UInt8], version: UInt8) throws(OFDecodeError) -> OFFlowMod {
        var r = OFReader(body)
        var fm = OFFlowMod()
        fm.cookie = try r.u64(); fm.cookieMask = try r.u64()
        fm.table = try r.u8()
        let c = try r.u8()
        guard let command = OFFlowModCommand(rawValue: c) else { throw OFDecodeError(.badCommand, "command \(c)") }
        fm.command = command
        fm.idleTimeout = try r.u16(); fm.hardTimeout = try r.u16(); fm.priority = try r.u16()
        fm.bufferID = try r.u32()
        fm.outPort = try OFActionCodec.port11(try r.u32(), error: .badPort)
        fm.outGroup = try r.u32()
        let f = try r.u16()
        guard f & ~0x1f == 0 else { throw OFDecodeError(.badFlags, "flags \(f)") }
        fm.flags = flags(fromWire: f, version: version)
        if version <= 2 { fm.flags |= 4 }
        let importance = try r.u16()
        fm.importance = version >= 5 ? importance : 0
        guard version >= 3 else { throw OFDecodeError(.badVersion, "OpenFlow 1.1 flow mods") }
        fm.match = try OFMatchCodec.decodeOXM(&r)
        if fm.command == .add && fm.table == 255 { throw OFDecodeError(.flowModBadTableID, "table 255") }
        if fm.command == .add {
            fm.newCookie = fm.cookie
            fm.cookie = 0
            fm.cookieMask = 0
        }
        var rest = r.rest()
        rest.shortError = .badInstructionLength
        fm.actions = try OFActionCodec.decodeInstructions(&rest, version: version)
        return fm
    }

    /// Encodes the flow-mod as `version` (OpenFlow 1.0 standard when
    /// `version` is 1 and `nxm` false; NXT_FLOW_MOD when `nxm`). The
    /// message is complete (header with `xid`).
    public func encode(version: UInt8, nxm: Bool = false, tableIDs: Bool = false, xid: UInt32 = 0) -> OFMessage {
        var w = OFWriter()
        let acts = OFActionCodec.encode(actions, version: version, match: match)
        let wireFlags = version <= 2 ? flags & 3 : (version == 3 ? flags & 7 : flags & 0x1f)
        if version == 1 {
            let cmd = UInt16(command.rawValue) | (tableIDs ? UInt16(table) << 8 : 0)
            if nxm {
                w.u32(0x2320); w.u32(13)
                w.u64(newCookie); w.u16(cmd); w.u16(idleTimeout); w.u16(hardTimeout); w.u16(priority)
                w.u32(bufferID); w.u16(outPort.rawValue); w.u16(wireFlags)
                var mw = OFWriter()
                if cookieMask != 0 {
                    mw.u16(1); mw.u8(30 << 1 | 1); mw.u8(16); mw.u64(cookie); mw.u64(cookieMask)
                }
                OFMatchCodec.writeEntries(OFMatchCodec.entries(match, oxmVersion: nil), into: &mw)
                let m = mw.bytes
                w.u16(UInt16(m.count)); w.zeros(6)
                w.append(m); w.pad(to: 8)
                w.append(acts)
                return OFMessage(version: 1, type: OFType.vendor, xid: xid, body: w.bytes)
            }
            OFMatchCodec.encodeOF10(match, into: &w)
            w.u64(newCookie); w.u16(cmd); w.u16(idleTimeout); w.u16(hardTimeout); w.u16(priority)
            w.u32(bufferID); w.u16(outPort.rawValue); w.u16(wireFlags)
            w.append(acts)
            return OFMessage(version: 1, type: OFType.flowMod, xid: xid, body: w.bytes)
        }
        if command == .add { w.u64(newCookie); w.u64(0) } else { w.u64(cookie); w.u64(cookieMask) }
        w.u8(table); w.u8(command.rawValue)
        w.u16(idleTimeout); w.u16(hardTimeout); w.u16(priority); w.u32(bufferID)
        OFActionCodec.putPort(outPort, version, &w)
        w.u32(outGroup); w.u16(wireFlags); w.u16(version >= 5 ? importance : 0)
        w.append(OFMatchCodec.encodeOXM(match, version: version))
        w.append(acts)
        return OFMessage(version: version, type: OFType.flowMod, xid: xid, body: w.bytes)
    }
}

/// Statistics request/reply framing.
public enum OFStats {
    public static let more: UInt16 = 1

    /// Splits a stats reply into messages of at most 65535 bytes.
    /// `prefix` is the reply header after the OpenFlow header up to the
    /// entries (with the flags at `flagsOffset`).
    public static func replies(version: UInt8, xid: UInt32, prefix: [UInt8], flagsOffset: Int,
                               entries: [[UInt8]]) -> [OFMessage] {
        var builder = ReplyBuilder(version: version, xid: xid, prefix: prefix, flagsOffset: flagsOffset)
        var out: [OFMessage] = []
        for e in entries { if let full = builder.add(e) { out.append(full) } }
        out.append(builder.finish())
        return out
    }

    /// A stats reply built one entry at a time, so that a long one (a dump
    /// of 100,000 flows) can be sent message by message instead of held
    /// whole in memory.
    public struct ReplyBuilder {
        let version: UInt8
        let xid: UInt32
        let prefix: [UInt8]
        let flagsOffset: Int
        var body: [UInt8]

        public init(version: UInt8, xid: UInt32, prefix: [UInt8], flagsOffset: Int) {
            self.version = version
            self.xid = xid
            self.prefix = prefix
            self.flagsOffset = flagsOffset
            body = prefix
        }

        /// Adds an entry; returns the message it filled (flagged "more"),
        /// if the entry did not fit in it.
        public mutating func add(_ entry: [UInt8]) -> OFMessage? {
            var full: OFMessage? = nil
            if 8 + body.count + entry.count > 0xffff && body.count > prefix.count {
                body[flagsOffset] = 0; body[flagsOffset + 1] = 1
                full = OFMessage(version: version, type: OFType.statsReply(version), xid: xid, body: body)
                body = prefix
            }
            body.append(contentsOf: entry)
            return full
        }

        /// The last message.
        public mutating func finish() -> OFMessage {
            defer { body = prefix }
            return OFMessage(version: version, type: OFType.statsReply(version), xid: xid, body: body)
        }
    }
}
