import Flow
import OFProto
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// glibc's `malloc_trim` (malloc.h is not in the Glibc module): returns
/// free heap memory to the system.
@_silgen_name("malloc_trim")
func glibcMallocTrim(_ pad: Int) -> Int32

/// The time origin of rule timestamps: the slow path's (`OFProtoBridge.now()`).
enum OpenFlowClock {
    static func now() -> Duration { OFProtoBridge.now() }
}

/// One OpenFlow connection's protocol state and message handling, apart
/// from its socket: bytes of messages in, messages out. The management
/// server runs one per client; tests drive it directly.
public final class OFSwitchSession {
    let bridge: OFProtoBridge
    let datapathID: UInt64
    /// The negotiated version; nil until the peer's HELLO.
    public private(set) var version: UInt8?
    public private(set) var format = OFConnectionFormat(version: 1)
    /// Set when the connection must close (failed negotiation).
    public private(set) var closing = false
    /// Where long replies go message by message as they are made (a flow
    /// dump), before `handle` returns; nil: `handle` returns them with the
    /// others. Whoever sets it sends what it gets in order, before what
    /// `handle` returns.
    public var stream: ((OFMessage) -> Void)?
    /// Open bundles (OpenFlow 1.4+, OFSwitchSession+Bundles.swift).
    var bundles: [UInt32: OFOpenBundle] = [:]
    /// Role, miss_send_len, packet-in format, async masks (OFSwitchSession+Controller.swift).
    let controllerState: Mutex<OFAsyncSettings>
    /// The versions this connection may negotiate (the Bridge's `protocols`).
    public let allowedVersions: Set<UInt8>

    /// `isService`: a management-socket connection (no asynchronous
    /// messages until it asks), rather than a controller's.
    public init(bridge: OFProtoBridge, datapathID: UInt64, isService: Bool = true,
                allowedVersions: Set<UInt8> = OFHello.supported) {
        self.bridge = bridge
        self.datapathID = datapathID
        self.allowedVersions = allowedVersions.isEmpty ? OFHello.supported : allowedVersions
        controllerState = Mutex(OFAsyncSettings(isService: isService, missSendLength: isService ? 0 : 128))
    }

    /// Our HELLO, sent when the connection opens.
    public func hello() -> OFMessage { OFHello.message(versions: allowedVersions) }

    func error(_ e: OFErrorCode, for m: OFMessage, version v: UInt8? = nil) -> OFMessage {
        let ver = v ?? version ?? m.version
        return OFMessage(version: ver, type: OFType.error, xid: m.xid,
                         body: e.body(version: ver, data: m.encoded))
    }

    /// Handles one message; returns the replies in order.
    public func handle(_ m: OFMessage) -> [OFMessage] {
        guard let v = version else {
            guard m.type == OFType.hello else {
                closing = true
                return [error(.badType, for: m, version: min(max(m.version, 1), 6))]
            }
            guard let chosen = OFHello.negotiate(ours: allowedVersions, peer: m) else {
                closing = true
                let ver = min(max(m.version, 1), 6)
                var body = OFWriter()
                body.u16(0); body.u16(0)
                body.append(Array("We support versions 0x01, 0x04 to 0x06, you support 0x\(String(m.version, radix: 16)).".utf8))
                return [OFMessage(version: ver, type: OFType.error, xid: m.xid, body: body.bytes)]
            }
            version = chosen
            format = OFConnectionFormat(version: chosen)
            return []
        }
        guard m.version == v else { return [error(.badVersion, for: m)] }
        do {
            return try dispatch(m, v)
        } catch {
            return [self.error(error.error, for: m)]
        }
    }

    func dispatch(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        switch m.type {
        case OFType.hello: return []
        case OFType.error: return []
        case OFType.echoRequest: return [OFMessage(version: v, type: OFType.echoReply, xid: m.xid, body: m.body)]
        case OFType.echoReply: return []
        case OFType.featuresRequest: return [featuresReply(m)]
        case OFType.getConfigRequest: return getConfigReply(m, v)
        case OFType.setConfig: return try setConfig(m)
        case 13: return try packetOut(m, v)
        case 24 where v >= 4:
            var r = OFReader(m.body)
            return try roleRequest(m, v, nx: false, &r)
        case 26 where v >= 4: return getAsyncReply(m, v)
        case 28 where v == 4:
            var r = OFReader(m.body)
            return try setAsync(m, &r)
        case 28 where v >= 5: return try setAsyncProperties(m)
        case OFType.vendor: return try vendor(m, v)
        case OFType.flowMod:
            try requireNotSlave()
            let fm = v == 1 ? try OFFlowMod.decodeOF10(m.body, format: format) : try OFFlowMod.decodeOF11(m.body, version: v)
            try apply(fm)
            return []
        case OFType.barrierRequest(v):
            guard m.body.isEmpty else { throw OFDecodeError(.badRequestLength) }
            return [OFMessage(version: v, type: OFType.barrierReply(v), xid: m.xid)]
        case OFType.statsRequest(v): return try stats(m, v)
        case 15 where v >= 2:   // OFPT_GROUP_MOD
            try requireNotSlave()
            return try groupMod(m.body, v)
        case 29 where v >= 4:   // OFPT_METER_MOD
            try requireNotSlave()
            return try meterMod(m, v)
        case 33 where v >= 5:
            try requireNotSlave()
            return try bundleControl(m, v)
        case 34 where v >= 5: return try bundleAdd(m, v)
        // Ports, queues and tables (OFSwitchSession+Ports.swift).
        case 15 where v == 1, 16 where v >= 2: return try portMod(m, v)
        case 17 where v >= 2: return try tableMod(m, v)
        case 20 where v == 1, 22 where v >= 2 && v <= 4: return try queueGetConfig(m, v)
        default:
            throw OFDecodeError(.badType, "message type \(m.type)")
        }
    }

    // MARK: Nicira extensions

    func vendor(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        let vendorID = try r.u32()
        guard vendorID == 0x2320 else { throw OFDecodeError(.badVendor, "vendor \(vendorID)") }
        let subtype = try r.u32()
        switch subtype {
        case 12:    // NXT_SET_FLOW_FORMAT
            guard r.remaining == 4 else { throw OFDecodeError(.badRequestLength) }
            let f = try r.u32()
            guard v == 1, f == 0 || f == 2 else { throw OFDecodeError(.badRequestPermission, "flow format \(f)") }
            format.nxm = f == 2
            return []
        case 15:    // NXT_FLOW_MOD_TABLE_ID
            guard r.remaining == 8 else { throw OFDecodeError(.badRequestLength) }
            format.flowModTableID = try r.u8() != 0
            return []
        case 16:    // NXT_SET_PACKET_IN_FORMAT
            guard r.remaining == 4 else { throw OFDecodeError(.badRequestLength) }
            let f = try r.u32()
            guard f <= 2 else { throw OFDecodeError(.badRequestPermission, "packet-in format \(f)") }
            setPacketInFormat(f)
            return []
        case 20:    // NXT_SET_CONTROLLER_ID
            try setControllerID(&r)
            return []
        case 10: return try roleRequest(m, v, nx: true, &r)     // NXT_ROLE_REQUEST
        case 19: return try setAsync(m, &r)                     // NXT_SET_ASYNC_CONFIG
        case 31 where v == 1:   // NXT_GROUP_MOD
            try requireNotSlave()
            return try groupMod(Array(m.body[r.offset...]), 1)
        case 13 where v == 1:   // NXT_FLOW_MOD
            try requireNotSlave()
            let fm = try OFFlowMod.decodeNX(&r, format: format)
            try apply(fm)
            return []
        default:
            throw OFDecodeError(.badSubtype, "NXT \(subtype)")
        }
    }

    // MARK: Flow mods

    static func outputsTo(_ actions: [OFAction], port: OFPort, group: UInt32) -> Bool {
        for a in actions {
            switch a {
            case .output(let p, _), .enqueue(let p, _), .outputTruncate(let p, _):
                if p == port { return true }
            case .controller: if port == .controller { return true }
            case .group(let g): if g == group { return true }
            case .clone(let inner), .writeActions(let inner):
                if outputsTo(inner, port: port, group: group) { return true }
            case .conntrack(let c): if outputsTo(c.actions, port: port, group: group) { return true }
            default: break
            }
        }
        return false
    }

    func criteria(match: Match, strict: UInt16?, cookie: UInt64, cookieMask: UInt64, outPort: OFPort,
                  outGroup: UInt32) -> OpenFlowRuleCriteria<[OFAction]> {
        var filter: ((OpenFlowRule<[OFAction]>) -> Bool)? = nil
        if outPort != .any || outGroup != 0xffff_ffff {
            filter = { rule in
                (outPort == .any || Self.outputsTo(rule.actions, port: outPort, group: 0xffff_fffe))
                    && (outGroup == 0xffff_ffff || Self.outputsTo(rule.actions, port: OFPort(rawValue: 0xfff0), group: outGroup))
            }
        }
        return OpenFlowRuleCriteria(match: match, strictPriority: strict, cookie: cookie, cookieMask: cookieMask, filter: filter)
    }

    func apply(_ fm: OFFlowMod) throws(OFDecodeError) {
        // The groups and meters a new flow names must exist (OVS:
        // OFPBAC_BAD_OUT_GROUP, OFPMMFC_INVALID_METER).
        if fm.command == .add || fm.command == .modify || fm.command == .modifyStrict {
            try checkGroupsAndMeters(fm.actions)
        }
        let now = OpenFlowClock.now()
        let removed: Int
        do {
            removed = try bridge.pipeline.transaction { (tx) throws(OpenFlowTableError) -> Int in try apply(fm, in: tx, now: now) }
        } catch {
            throw Self.decodeError(error)
        }
        // A large delete leaves the allocator with free pages it keeps
        // unless told: give them back, as `del-flows` of a big table should.
        if removed >= 1000 { _ = glibcMallocTrim(0) }
    }

    static func decodeError(_ error: OpenFlowTableError) -> OFDecodeError {
        switch error {
        case .overlap: return OFDecodeError(.overlap)
        case .tableFull: return OFDecodeError(.tableFull)
        case .badTableID: return OFDecodeError(.badTableID)
        }
    }

    /// Applies one flow-mod inside transaction `tx`.
    /// Returns the number of rules it removed.
    @discardableResult
    func apply(_ fm: OFFlowMod, in tx: OpenFlowTransaction<[OFAction]>, now: Duration) throws(OpenFlowTableError) -> Int {
        // The table drops check_overlap and reset_counts from a rule's
        // flags (they act at the flow-mod only); Open vSwitch still reports
        // them in flow stats, so they ride along in two private bits.
        var ruleFlags = OpenFlowRuleFlags(rawValue: fm.flags & 0x1f)
        if fm.flags & 2 != 0 { ruleFlags.insert(Self.shownCheckOverlap) }
        if fm.flags & 4 != 0 { ruleFlags.insert(Self.shownResetCounts) }
        let spec = OpenFlowRuleSpec<[OFAction]>(match: fm.match, priority: fm.priority,
                                                cookie: fm.newCookie,
                                                idleTimeout: fm.idleTimeout, hardTimeout: fm.hardTimeout,
                                                flags: ruleFlags, importance: fm.importance,
                                                actions: SharedActionLists.shared(fm.actions))
        let isDelete = fm.command == .delete || fm.command == .deleteStrict
        let strict: UInt16? = fm.command == .modifyStrict || fm.command == .deleteStrict ? fm.priority : nil
        let crit = criteria(match: fm.match, strict: strict, cookie: fm.cookie, cookieMask: fm.cookieMask,
                            outPort: isDelete ? fm.outPort : .any, outGroup: isDelete ? fm.outGroup : 0xffff_ffff)
        let table = OpenFlowTableID(fm.table)
        switch fm.command {
        case .add:
            guard table != .all else { throw OpenFlowTableError.badTableID }
            try tx.add(spec, table: table, now: now)
        case .modify, .modifyStrict:
            let changed = try tx.modify(table: table, crit, actions: spec.actions,
                                        newCookie: fm.newCookie == .max ? nil : fm.newCookie,
                                        resetCounts: fm.flags & 4 != 0,
                                        addIfNone: table == .all ? nil : spec, now: now)
            if changed.isEmpty && table == .all && fm.cookieMask == 0 && fm.newCookie != .max {
                try tx.add(spec, table: OpenFlowTableID(0), now: now)
            }
        case .delete, .deleteStrict:
            let removed = tx.delete(table: table, crit)
            bridge.postRemoved(removed, reason: .delete)
            return removed.count
        }
        return 0
    }

    static let shownCheckOverlap = OpenFlowRuleFlags(rawValue: 1 << 14)
    static let shownResetCounts = OpenFlowRuleFlags(rawValue: 1 << 15)

    /// The `OFPFF13_*` flags a flow-stats reply carries for `rule`.
    static func statsFlags(_ rule: OpenFlowRule<[OFAction]>) -> UInt16 {
        var f = rule.flags.rawValue & 0x19
        if rule.flags.contains(shownCheckOverlap) { f |= 2 }
        if rule.flags.contains(shownResetCounts) { f |= 4 }
        return f
    }

    // MARK: Features and ports

    struct PortInfo {
        var number: OFPort; var name: String; var mac: UInt64
        /// The OpenFlow configuration bits and the link state (OFSwitchSession+Ports.swift).
        var config: OFPortConfig = []
        var linkUp = true
    }

    func portList() -> [PortInfo] {
        let states = bridge.portStates()
        var ports = bridge.ports.map { portInfo($0, config: states[$0.ofport.rawValue]?.config ?? []) }
        if !ports.contains(where: { $0.number == OFPort.local }) {
            ports.append(PortInfo(number: .local, name: bridge.name, mac: 0))
        }
        return ports.sorted { $0.number.rawValue < $1.number.rawValue }
    }


    func putName(_ name: String, _ w: inout OFWriter) {
        let b = Array(name.utf8.prefix(15))
        w.append(b); w.zeros(16 - b.count)
    }

    func portBytes(_ p: PortInfo, _ v: UInt8) -> [UInt8] {
        var w = OFWriter()
        let (config, state) = Self.portConfigAndState(p, v)
        if v == 1 {
            w.u16(p.number.rawValue); w.uint(UInt128(p.mac), bytes: 6); putName(p.name, &w)
            w.u32(config); w.u32(state); w.zeros(16)
        } else if v <= 4 {
            OFActionCodec.putPort(p.number, v, &w); w.zeros(4); w.uint(UInt128(p.mac), bytes: 6); w.zeros(2)
            putName(p.name, &w); w.u32(config); w.u32(state); w.zeros(24)
        } else {
            OFActionCodec.putPort(p.number, v, &w); w.u16(72); w.zeros(2); w.uint(UInt128(p.mac), bytes: 6); w.zeros(2)
            putName(p.name, &w); w.u32(config); w.u32(state)
            w.u16(0); w.u16(32); w.zeros(4); w.zeros(24)
        }
        return w.bytes
    }

    func featuresReply(_ m: OFMessage) -> OFMessage {
        let v = version ?? 1
        var w = OFWriter()
        w.u64(datapathID); w.u32(0); w.u8(254)
        if v >= 4 { w.u8(0); w.zeros(2) } else { w.zeros(3) }
        // Capabilities: flow, table, port, queue stats (+ARP match IP in 1.0).
        w.u32(v == 1 ? 0xc7 : (v >= 5 ? 0x4f | 1 << 9 : 0x4f))
        if v == 1 { w.u32(0xfff) } else { w.u32(0) }
        if v <= 3 { for p in portList() { w.append(portBytes(p, v)) } }
        return OFMessage(version: v, type: OFType.featuresReply, xid: m.xid, body: w.bytes)
    }

    // MARK: Statistics

    func statsPrefix(_ v: UInt8, type: UInt16, nxSubtype: UInt32? = nil) -> [UInt8] {
        var w = OFWriter()
        w.u16(type); w.u16(0)
        if v >= 2 { w.u32(0) }
        if let s = nxSubtype { w.u32(0x2320); w.u32(s); if v == 1 { w.u32(0) } }
        return w.bytes
    }

    struct FlowQuery {
        var table: UInt8 = 255
        var outPort: OFPort = .any
        var outGroup: UInt32 = 0xffff_ffff
        var cookie: UInt64 = 0
        var cookieMask: UInt64 = 0
        var match: Match = .catchAll
    }

    func stats(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        let type = try r.u16()
        _ = try r.u16()
        if v >= 2 { try r.skip(4) }
        switch type {
        case 0:     // DESC
            var w = OFWriter()
            func field(_ s: String, _ n: Int) { let b = Array(s.utf8.prefix(n - 1)); w.append(b); w.zeros(n - b.count) }
            field("Open vSwitch", 256); field("svs", 256); field("3.1.0", 256); field("None", 32); field("None", 256)
            return [OFMessage(version: v, type: OFType.statsReply(v), xid: m.xid, body: statsPrefix(v, type: 0) + w.bytes)]
        case 1, 2:  // FLOW, AGGREGATE
            var q = FlowQuery()
            if v == 1 {
                q.match = try OFMatchCodec.decodeOF10(&r)
                q.table = try r.u8(); try r.skip(1); q.outPort = OFPort(rawValue: try r.u16())
            } else {
                q.table = try r.u8(); try r.skip(3)
                q.outPort = try OFActionCodec.port11(try r.u32(), error: .badPort)
                q.outGroup = try r.u32(); try r.skip(4)
                q.cookie = try r.u64(); q.cookieMask = try r.u64()
                q.match = try OFMatchCodec.decodeOXM(&r)
            }
            return type == 1 ? flowStats(m, v, q, nx: false) : aggregate(m, v, q, nx: false)
        case 3:     // TABLE
            var entries: [[UInt8]] = []
            let counts = bridge.pipeline.read { rd in (0..<254).map { rd.ruleCount(in: OpenFlowTableID(UInt8($0))) } }
            for t in 0..<254 {
                var w = OFWriter()
                if v == 1 {
                    w.u8(UInt8(t)); w.zeros(3); w.zeros(32); w.u32(0x3fffff); w.u32(1_000_000)
                    w.u32(UInt32(clamping: counts[t])); w.u64(0); w.u64(0)
                } else {
                    w.u8(UInt8(t)); w.zeros(3); w.u32(UInt32(clamping: counts[t])); w.u64(0); w.u64(0)
                }
                entries.append(w.bytes)
            }
            return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 3), flagsOffset: 2, entries: entries)
        case 12 where v >= 4:   // TABLE_FEATURES
            guard r.isAtEnd else { throw OFDecodeError(.badRequestPermission, "table features changes") }
            var entries: [[UInt8]] = []
            for t in 0..<254 {
                var w = OFWriter()
                w.u16(0); w.u8(UInt8(t)); w.zeros(5); w.zeros(32)
                w.u64(.max); w.u64(.max); w.u32(v >= 5 ? 0 : 3); w.u32(1_000_000)
                // The required properties, empty: instructions, next tables,
                // write/apply actions, match, wildcards, write/apply set-field.
                for prop: UInt16 in [0, 2, 4, 6, 8, 10, 12, 14] { w.u16(prop); w.u16(4); w.zeros(4) }
                w.set16(UInt16(w.count), at: 0)
                entries.append(w.bytes)
            }
            return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 12), flagsOffset: 2, entries: entries)
        case 6...8 where v >= 2:    // GROUP, GROUP_DESC, GROUP_FEATURES
            return try groupStats(m, v, kind: Int(type), prefix: statsPrefix(v, type: type), &r)
        case 9...11 where v >= 4:    // METER, METER_CONFIG, METER_FEATURES
            return try meterStats(m, v, kind: Int(type), prefix: statsPrefix(v, type: type), &r)
        case 4: return try portStats(m, v, &r)              // PORT (OFSwitchSession+Ports.swift)
        case 5: return try queueStats(m, v, &r)             // QUEUE
        case 14 where v >= 5: return try tableDesc(m, v, &r)    // TABLE_DESC
        case 15 where v >= 5: return try queueDesc(m, v, &r)    // QUEUE_DESC
        case 13:    // PORT_DESC (1.5: of one port or all)
            let port = try portDescFilter(v, &r)
            let entries = portList().filter { port == .any || $0.number == port }.map { portBytes($0, v) }
            return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 13), flagsOffset: 2, entries: entries)
        case 0xffff:
            let vendorID = try r.u32()
            guard vendorID == 0x2320 else { throw OFDecodeError(.badVendor, "stats vendor \(vendorID)") }
            let subtype = try r.u32()
            if v == 1, (7...9).contains(subtype) {  // NXST_GROUP, NXST_GROUP_DESC, NXST_GROUP_FEATURES
                try r.skip(4)
                return try groupStats(m, v, kind: Int(subtype) - 1, prefix: statsPrefix(v, type: 0xffff, nxSubtype: subtype), &r)
            }
            guard v == 1, subtype <= 1 else { throw OFDecodeError(.badSubtype, "NXST \(subtype)") }
            try r.skip(4)
            var q = FlowQuery()
            q.outPort = OFPort(rawValue: try r.u16())
            let matchLen = Int(try r.u16())
            q.table = try r.u8(); try r.skip(3)
            var cookie: (UInt64, UInt64)? = nil
            q.match = try OFMatchCodec.decodeNXM(&r, length: matchLen, cookie: &cookie)
            if let (c, cm) = cookie { q.cookie = c; q.cookieMask = cm }
            return subtype == 0 ? flowStats(m, v, q, nx: true) : aggregate(m, v, q, nx: true)
        default:
            throw OFDecodeError(.badStat, "stats type \(type)")
        }
    }

    func selectRules(_ q: FlowQuery) -> [OpenFlowRule<[OFAction]>] {
        let crit = criteria(match: q.match, strict: nil, cookie: q.cookie, cookieMask: q.cookieMask,
                            outPort: q.outPort, outGroup: q.outGroup)
        return bridge.pipeline.read { $0.rules(in: OpenFlowTableID(q.table), matching: crit) }
    }

    func flowStats(_ m: OFMessage, _ v: UInt8, _ q: FlowQuery, nx: Bool) -> [OFMessage] {
        let now = OpenFlowClock.now()
        let prefix = nx ? statsPrefix(v, type: 0xffff, nxSubtype: 0) : statsPrefix(v, type: 1)
        var replies = OFStats.ReplyBuilder(version: v, xid: m.xid, prefix: prefix, flagsOffset: 2)
        var out: [OFMessage] = []
        func emit(_ m: OFMessage) { if let stream { stream(m) } else { out.append(m) } }
        for rule in selectRules(q) {
            let age = now - rule.created
            let (sec, atto) = age.components
            let dsec = UInt32(clamping: max(0, sec)), dnsec = UInt32(clamping: max(0, atto / 1_000_000_000))
            let idleAge = UInt16(clamping: max(0, (now - rule.used).components.seconds))
            let hardAge = UInt16(clamping: max(0, (now - rule.modified).components.seconds))
            var w = OFWriter()
            if nx {
                let match = OFMatchCodec.encodeFields(rule.match, oxmVersion: nil)
                w.u16(0); w.u8(rule.table.rawValue); w.u8(0); w.u32(dsec); w.u32(dnsec)
                w.u16(rule.openFlowPriority); w.u16(rule.idleTimeout); w.u16(rule.hardTimeout)
                w.u16(UInt16(match.count)); w.u16(idleAge &+ 1); w.u16(hardAge &+ 1)
                w.u64(rule.cookie); w.u64(rule.packetCount); w.u64(rule.byteCount)
                w.append(match); w.pad(to: 8)
                w.append(OFActionCodec.encode(rule.actions, version: 1, match: rule.match))
            } else if v == 1 {
                w.u16(0); w.u8(rule.table.rawValue); w.u8(0)
                OFMatchCodec.encodeOF10(rule.match, into: &w)
                w.u32(dsec); w.u32(dnsec); w.u16(rule.openFlowPriority); w.u16(rule.idleTimeout); w.u16(rule.hardTimeout)
                w.zeros(6); w.u64(rule.cookie); w.u64(rule.packetCount); w.u64(rule.byteCount)
                w.append(OFActionCodec.encode(rule.actions, version: 1, match: rule.match))
            } else if v <= 5 {
                w.u16(0); w.u8(rule.table.rawValue); w.u8(0); w.u32(dsec); w.u32(dnsec)
                w.u16(rule.openFlowPriority); w.u16(rule.idleTimeout); w.u16(rule.hardTimeout)
                w.u16(v >= 4 ? Self.statsFlags(rule) : 0); w.u16(v >= 5 ? rule.importance : 0); w.zeros(2)
                w.u64(rule.cookie); w.u64(rule.packetCount); w.u64(rule.byteCount)
                w.append(OFMatchCodec.encodeOXM(rule.match, version: v))
                w.append(OFActionCodec.encode(rule.actions, version: v, match: rule.match))
            } else {
                w.u16(0); w.zeros(2); w.u8(rule.table.rawValue); w.u8(0)
                w.u16(rule.openFlowPriority); w.u16(rule.idleTimeout); w.u16(rule.hardTimeout)
                w.u16(Self.statsFlags(rule)); w.u16(rule.importance); w.u64(rule.cookie)
                w.append(OFMatchCodec.encodeOXM(rule.match, version: v))
                let s = w.count
                w.u16(0); w.u16(0)
                w.u16(0x8002); w.u8(0 << 1); w.u8(8); w.u64(UInt64(dsec) << 32 | UInt64(dnsec))
                w.u16(0x8002); w.u8(1 << 1); w.u8(8); w.u64(UInt64(idleAge) << 32)
                w.u16(0x8002); w.u8(4 << 1); w.u8(8); w.u64(rule.packetCount)
                w.u16(0x8002); w.u8(5 << 1); w.u8(8); w.u64(rule.byteCount)
                w.set16(UInt16(w.count - s), at: s + 2)
                w.pad(to: 8)
                w.append(OFActionCodec.encode(rule.actions, version: v, match: rule.match))
            }
            w.set16(UInt16(truncatingIfNeeded: w.count), at: 0)
            if let full = replies.add(w.bytes) { emit(full) }
        }
        emit(replies.finish())
        return out
    }

    func aggregate(_ m: OFMessage, _ v: UInt8, _ q: FlowQuery, nx: Bool) -> [OFMessage] {
        let rules = selectRules(q)
        var packets: UInt64 = 0, bytes: UInt64 = 0
        for r in rules { packets &+= r.packetCount; bytes &+= r.byteCount }
        var w = OFWriter()
        if v >= 6 {
            w.u16(0); w.u16(0)
            w.u16(0x8002); w.u8(3 << 1); w.u8(4); w.u32(UInt32(clamping: rules.count))
            w.u16(0x8002); w.u8(4 << 1); w.u8(8); w.u64(packets)
            w.u16(0x8002); w.u8(5 << 1); w.u8(8); w.u64(bytes)
            w.set16(UInt16(w.count), at: 2)
            w.pad(to: 8)
        } else {
            w.u64(packets); w.u64(bytes); w.u32(UInt32(clamping: rules.count)); w.zeros(4)
        }
        let prefix = nx ? statsPrefix(v, type: 0xffff, nxSubtype: 1) : statsPrefix(v, type: 2)
        return [OFMessage(version: v, type: OFType.statsReply(v), xid: m.xid, body: prefix + w.bytes)]
    }
}
