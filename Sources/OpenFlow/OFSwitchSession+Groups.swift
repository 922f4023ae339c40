import Flow
import OFProto

// Groups and meters on an OpenFlow connection: OFPT_GROUP_MOD (OpenFlow
// 1.1-1.4 and 1.5 forms, and Nicira's NXT_GROUP_MOD in OpenFlow 1.0, which
// carries the 1.5 form), OFPT_METER_MOD (1.3+), and the multipart requests
// GROUP, GROUP_DESC, GROUP_FEATURES, METER, METER_CONFIG and METER_FEATURES
// (NXST_GROUP* in OpenFlow 1.0), as Open vSwitch 3.1 answers them.

extension OFErrorCode {
    /// `OFPET_GROUP_MOD_FAILED` (OpenFlow 1.0: a Nicira vendor error with the same type and code).
    static func groupMod(_ name: String, _ code: UInt16) -> OFErrorCode {
        OFErrorCode(name, of10: Triplet(vendor: nx, 6, code), of11: Triplet(6, code), of12: Triplet(6, code))
    }
    /// `OFPET13_METER_MOD_FAILED`.
    static func meterMod(_ name: String, _ code: UInt16) -> OFErrorCode {
        OFErrorCode(name, of10: Triplet(vendor: nx, 12, code), of11: Triplet(vendor: nx, 12, code), of12: Triplet(12, code))
    }
    public static let groupExists = groupMod("OFPGMFC_GROUP_EXISTS", 0)
    public static let invalidGroup = groupMod("OFPGMFC_INVALID_GROUP", 1)
    public static let watchUnsupported = groupMod("OFPGMFC_WATCH_UNSUPPORTED", 6)
    public static let unknownGroup = groupMod("OFPGMFC_UNKNOWN_GROUP", 8)
    public static let badGroupType = groupMod("OFPGMFC_BAD_TYPE", 10)
    public static let badGroupCommand = groupMod("OFPGMFC_BAD_COMMAND", 11)
    public static let badBucket = groupMod("OFPGMFC_BAD_BUCKET", 12)
    public static let badWatch = groupMod("OFPGMFC_BAD_WATCH", 13)
    public static let unknownBucket = groupMod("OFPGMFC_UNKNOWN_BUCKET", 15)
    public static let bucketExists = groupMod("OFPGMFC_BUCKET_EXISTS", 16)

    /// `OFPBPC_BAD_TYPE` and `OFPBPC_BAD_LEN` (properties exist in OpenFlow 1.5 and NXT_GROUP_MOD only here).
    public static let badPropertyType = OFErrorCode("OFPBPC_BAD_TYPE", of10: Triplet(vendor: nx, 13, 2),
                                                    of11: Triplet(vendor: nx, 13, 2), of12: Triplet(14, 0))
    public static let badPropertyLength = OFErrorCode("OFPBPC_BAD_LEN", of10: Triplet(vendor: nx, 13, 3),
                                                      of11: Triplet(vendor: nx, 13, 3), of12: Triplet(14, 1))

    public static let meterExists = meterMod("OFPMMFC_METER_EXISTS", 1)
    public static let invalidMeter = meterMod("OFPMMFC_INVALID_METER", 2)
    public static let unknownMeter = meterMod("OFPMMFC_UNKNOWN_METER", 3)
    public static let badMeterCommand = meterMod("OFPMMFC_BAD_COMMAND", 4)
    public static let badMeterFlags = meterMod("OFPMMFC_BAD_FLAGS", 5)
    public static let badMeterRate = meterMod("OFPMMFC_BAD_RATE", 6)
    public static let badMeterBand = meterMod("OFPMMFC_BAD_BAND", 8)
    public static let outOfMeters = meterMod("OFPMMFC_OUT_OF_METERS", 10)
    public static let outOfBands = meterMod("OFPMMFC_OUT_OF_BANDS", 11)

    /// The group and meter errors, for decoding replies (tests).
    public static let groupAndMeterErrors: [OFErrorCode] = [
        groupExists, invalidGroup, watchUnsupported, unknownGroup, badGroupType, badGroupCommand, badBucket,
        badWatch, unknownBucket, bucketExists, meterExists, invalidMeter, unknownMeter, badMeterCommand,
        badMeterFlags, badMeterRate, badMeterBand, outOfMeters, outOfBands, badPropertyType, badPropertyLength,
    ]
}

/// A decoded group-mod (`struct ofputil_group_mod`).
public struct OFGroupMod: Sendable, Hashable {
    /// `OFPGC11_ADD` 0, `MODIFY` 1, `DELETE` 2, `OFPGC15_INSERT_BUCKET` 3,
    /// `OFPGC15_REMOVE_BUCKET` 5, OVS's `ADD_OR_MOD` 0x8000.
    public var command: UInt16
    public var type: UInt8
    public var groupID: UInt32
    public var commandBucketID: UInt32
    public var buckets: [OFGroupBucket]
    public var properties: [UInt8]
    /// From the NTR selection method property, if any.
    public var selectionMethod = ""
    public var selectionParameter: UInt64 = 0
    public var hashFields: [OFGroupHashField] = []

    static let add: UInt16 = 0, modify: UInt16 = 1, delete: UInt16 = 2, insertBucket: UInt16 = 3
    static let removeBucket: UInt16 = 5, addOrModify: UInt16 = 0x8000
    static let bucketMax: UInt32 = 0xffff_ff00, bucketFirst: UInt32 = 0xffff_fffd
    static let bucketLast: UInt32 = 0xffff_fffe, bucketAll: UInt32 = 0xffff_ffff

    /// Decodes a group-mod body: the OpenFlow 1.5 form for `version` 1
    /// (NXT_GROUP_MOD, after the vendor header) and 6, the 1.1 form else.
    public static func decode(_ body: [UInt8], version: UInt8) throws(OFDecodeError) -> OFGroupMod {
        var r = OFReader(body)
        var gm = OFGroupMod(command: try r.u16(), type: try r.u8(), groupID: 0, commandBucketID: bucketAll,
                            buckets: [], properties: [])
        try r.skip(1)
        gm.groupID = try r.u32()
        if version == 1 || version >= 6 {
            let bucketsLength = Int(try r.u16())
            try r.skip(2)
            gm.commandBucketID = try r.u32()
            var ok = false
            switch gm.command {
            case removeBucket, insertBucket:
                ok = gm.commandBucketID <= bucketMax || gm.commandBucketID == bucketFirst
                    || gm.commandBucketID == bucketLast || (gm.command == removeBucket && gm.commandBucketID == bucketAll)
            default:
                ok = gm.commandBucketID == bucketAll
            }
            guard ok else { throw OFDecodeError(.badBucket, "command bucket id \(gm.commandBucketID)") }
            guard bucketsLength <= r.remaining else { throw OFDecodeError(.badRequestLength, "bucket array") }
            var list = try r.sub(bucketsLength)
            gm.buckets = try decode15Buckets(&list, version: version, type: gm.type)
            gm.properties = try r.take(r.remaining)
            gm.readSelectionMethod()
        } else {
            var id: UInt32 = 0
            while !r.isAtEnd {
                guard r.remaining >= 16, let len16 = r.peek16() else { throw OFDecodeError(.badBucket, "bucket header") }
                let len = Int(len16)
                guard len >= 16, len <= r.remaining else { throw OFDecodeError(.badBucket, "bucket length \(len)") }
                var b = try r.sub(len)
                try b.skip(2)
                let weight = try b.u16()
                let watchPort = try OFActionCodec.port11(try b.u32(), error: .badWatch)
                let watchGroup = try b.u32()
                try b.skip(4)
                let actions = try OFActionCodec.decodeActions(&b, version: version)
                gm.buckets.append(OFGroupBucket(id: id, weight: weight, watchPort: watchPort, watchGroup: watchGroup,
                                                actions: actions))
                id += 1
            }
            if version >= 4 && gm.command == delete && !gm.buckets.isEmpty {
                throw OFDecodeError(.invalidGroup, "delete with buckets")
            }
        }
        try gm.check()
        return gm
    }

    static func decode15Buckets(_ r: inout OFReader, version: UInt8, type: UInt8) throws(OFDecodeError) -> [OFGroupBucket] {
        var out: [OFGroupBucket] = []
        while !r.isAtEnd {
            guard r.remaining >= 8, let len16 = r.peek16(), let alen16 = r.peek16(at: 2) else {
                throw OFDecodeError(.badBucket, "bucket header")
            }
            let len = Int(len16), actionsLength = Int(alen16)
            guard len >= 8, len <= r.remaining, actionsLength <= len - 8 else {
                throw OFDecodeError(.badBucket, "bucket length \(len)")
            }
            var b = try r.sub(len)
            try b.skip(4)
            let id = try b.u32()
            var a = try b.sub(actionsLength)
            let actions = try OFActionCodec.decodeActions(&a, version: version)
            var weight: UInt16 = type == 1 ? 1 : 0
            var watchPort: UInt32 = 0xffff_ffff, watchGroup: UInt32 = 0xffff_ffff
            while !b.isAtEnd {
                // `ofpprop_pull`: 8-byte aligned properties.
                guard b.remaining >= 4, let ptype = b.peek16(), let plen16 = b.peek16(at: 2) else {
                    throw OFDecodeError(.badPropertyLength, "bucket property")
                }
                let plen = Int(plen16), padded = (Int(plen16) + 7) / 8 * 8
                guard plen >= 4, padded <= b.remaining else { throw OFDecodeError(.badPropertyLength, "bucket property length") }
                var p = try b.sub(padded)
                try p.skip(4)
                let payload = plen - 4
                switch ptype {
                case 0:
                    guard payload >= 2 else { throw OFDecodeError(.badPropertyLength, "weight") }
                    weight = try p.u16()
                case 1:
                    guard payload == 4 else { throw OFDecodeError(.badPropertyLength, "watch_port") }
                    watchPort = try p.u32()
                case 2:
                    guard payload == 4 else { throw OFDecodeError(.badPropertyLength, "watch_group") }
                    watchGroup = try p.u32()
                default: throw OFDecodeError(.badPropertyType, "bucket property \(ptype)")
                }
            }
            guard id <= bucketMax else { throw OFDecodeError(.badBucket, "bucket id \(id)") }
            out.append(OFGroupBucket(id: id, weight: weight, watchPort: try OFActionCodec.port11(watchPort, error: .badWatch),
                                     watchGroup: watchGroup, actions: actions))
        }
        if Set(out.map(\.id)).count != out.count { throw OFDecodeError(.badBucket, "duplicate bucket id") }
        return out
    }

    /// Reads the NTR selection method property (experimenter 0x154d, type
    /// 1: method name, parameter, and the hashed fields as OXM entries whose
    /// values are masks). A property it cannot read leaves the default.
    mutating func readSelectionMethod() {
        var r = OFReader(properties)
        while r.remaining >= 4, let type = r.peek16(), let len16 = r.peek16(at: 2) {
            let len = Int(len16), padded = (len + 7) / 8 * 8
            guard len >= 4, let sub = try? r.sub(min(padded, r.remaining)) else { return }
            guard type == 0xffff, len >= 40 else { continue }
            var p = OFReader(sub.bytes, offset: sub.offset, end: sub.offset + len)
            guard (try? p.skip(4)) != nil, (try? p.u32()) == 0x154d, (try? p.u32()) == 1, (try? p.skip(4)) != nil,
                  let name = try? p.take(16), let param = try? p.u64() else { continue }
            var fields: [OFGroupHashField] = []
            while !p.isAtEnd {
                guard let (f, masked) = try? OFActionCodec.pullHeader(&p), let mask = try? p.uint(bytes: f.bytes) else { break }
                if masked { _ = try? p.skip(f.bytes) }
                fields.append(OFGroupHashField(field: f, mask: mask))
            }
            selectionMethod = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
            selectionParameter = param
            hashFields = fields
        }
    }

    /// `ofputil_check_group_mod`.
    func check() throws(OFDecodeError) {
        switch type {
        case 2:
            if command != Self.delete && buckets.count != 1 { throw OFDecodeError(.invalidGroup, "indirect group bucket count") }
        case 0, 1, 3: break
        default: throw OFDecodeError(.badGroupType)
        }
        switch command {
        case Self.add, Self.modify, Self.addOrModify, Self.delete, Self.insertBucket: break
        case Self.removeBucket: if !buckets.isEmpty { throw OFDecodeError(.badBucket) }
        default: throw OFDecodeError(.badGroupCommand)
        }
        for b in buckets {
            if b.weight != 0 && type != 1 && command != Self.insertBucket { throw OFDecodeError(.invalidGroup, "weight") }
            switch type {
            case 0, 2: if b.hasLiveness { throw OFDecodeError(.watchUnsupported) }
            case 3: if !b.hasLiveness { throw OFDecodeError(.invalidGroup, "fast failover bucket without watch") }
            default: break
            }
        }
    }
}

extension OFSwitchSession {
    // MARK: Validation of flow-mods

    /// Every action of `actions`, nested lists flattened (`OFPACT_FOR_EACH_FLATTENED`).
    static func flattened(_ actions: [OFAction]) -> [OFAction] {
        var out: [OFAction] = []
        for a in actions {
            out.append(a)
            switch a {
            case .clone(let inner), .writeActions(let inner): out += flattened(inner)
            case .conntrack(let c): out += flattened(c.actions)
            default: break
            }
        }
        return out
    }

    /// `ofproto_check_ofpacts`: the meters and groups a flow names must exist.
    func checkGroupsAndMeters(_ actions: [OFAction]) throws(OFDecodeError) {
        for a in Self.flattened(actions) {
            switch a {
            case .meter(let id):
                if bridge.meters.entry(id) == nil { throw OFDecodeError(.invalidMeter, "meter \(id)") }
            case .group(let id):
                if !bridge.groups.contains(id) { throw OFDecodeError(.badOutGroup, "group \(id)") }
            default: break
            }
        }
    }

    /// The rules, in any table, whose actions name something `names` picks out.
    static func naming(_ names: @escaping (OFAction) -> Bool) -> OpenFlowRuleCriteria<[OFAction]> {
        OpenFlowRuleCriteria(match: .catchAll, filter: { rule in Self.flattened(rule.actions).contains(where: names) })
    }

    /// The rules that name one of `groups` (a group-mod deleted them).
    static func naming(groups: [UInt32]) -> OpenFlowRuleCriteria<[OFAction]> {
        naming { if case .group(let id) = $0 { groups.contains(id) } else { false } }
    }

    /// Deletes the flows `crit` picks out (a group or meter that went away
    /// takes its flows along, as in OVS).
    func deleteFlows(_ crit: OpenFlowRuleCriteria<[OFAction]>) {
        _ = bridge.pipeline.transaction { tx in tx.delete(table: .all, crit) }
    }

    /// The rules whose actions name something `names` picks out.
    func countFlows(where names: @escaping (OFAction) -> Bool) -> Int {
        bridge.pipeline.read { $0.rules(in: .all, matching: Self.naming(names)) }.count
    }

    // MARK: Group mod

    /// OFPT_GROUP_MOD, or NXT_GROUP_MOD's body (`version` 1).
    func groupMod(_ body: [UInt8], _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        let gm = try OFGroupMod.decode(body, version: v)
        let deleted = try apply(gm, now: OpenFlowClock.now())
        if !deleted.isEmpty { deleteFlows(Self.naming(groups: deleted)) }
        return []
    }

    /// Applies `gm` to the group table; returns the groups it deleted
    /// (whose flows the caller deletes).
    func apply(_ gm: OFGroupMod, now: Duration) throws(OFDecodeError) -> [UInt32] {
        let group = OFGroup(id: gm.groupID, type: OFGroupType(rawValue: gm.type) ?? .all, buckets: gm.buckets,
                            properties: gm.properties, selectionMethod: gm.selectionMethod,
                            selectionParameter: gm.selectionParameter, hashFields: gm.hashFields)
        do throws(OFGroupModError) {
            switch gm.command {
            case OFGroupMod.add:
                try bridge.groups.add(group, now: now)
            case OFGroupMod.modify, OFGroupMod.addOrModify:
                try bridge.groups.modify(group, mayCreate: gm.command == OFGroupMod.addOrModify, now: now)
            case OFGroupMod.delete:
                return bridge.groups.delete(gm.groupID)
            case OFGroupMod.insertBucket:
                try bridge.groups.insertBuckets(group: gm.groupID, gm.buckets, before: gm.commandBucketID)
            default:
                try bridge.groups.removeBuckets(group: gm.groupID, bucket: gm.commandBucketID)
            }
        } catch {
            switch error {
            case .groupExists: throw OFDecodeError(.groupExists)
            case .invalidGroup: throw OFDecodeError(.invalidGroup)
            case .unknownGroup: throw OFDecodeError(.unknownGroup)
            case .unknownBucket: throw OFDecodeError(.unknownBucket)
            case .bucketExists: throw OFDecodeError(.bucketExists)
            case .badBucket: throw OFDecodeError(.badBucket)
            }
        }
        return []
    }

    // MARK: Meter mod

    /// OFPT_METER_MOD (OpenFlow 1.3+).
    func meterMod(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        let command = try r.u16(), flags = try r.u16(), id = try r.u32()
        guard command <= 2 else { throw OFDecodeError(.badMeterCommand) }
        if command == 2 {
            // OpenFlow has no meter 0.
            guard id != 0 else { return [] }
            let gone = bridge.meters.delete(id)
            if !gone.isEmpty { deleteFlows(Self.naming { if case .meter(let m) = $0 { gone.contains(m) } else { false } }) }
            return []
        }
        if flags & OFMeter.kbps != 0 && flags & OFMeter.pktps != 0 { throw OFDecodeError(.badMeterFlags) }
        var bands: [OFMeterBand] = []
        while r.remaining >= 16 {
            let type = try r.u16(), len = try r.u16()
            guard len == 16 else { throw OFDecodeError(.badRequestLength, "meter band length \(len)") }
            guard type == OFMeterBand.drop || type == OFMeterBand.dscpRemark else { throw OFDecodeError(.badMeterBand) }
            let rate = try r.u32(), burst = try r.u32()
            let prec = try r.u8()
            try r.skip(3)
            bands.append(OFMeterBand(type: type, rate: rate, burst: burst, precLevel: type == OFMeterBand.dscpRemark ? prec : 0))
        }
        guard r.isAtEnd else { throw OFDecodeError(.badRequestLength, "meter bands") }
        let meter = OFMeter(id: id, flags: flags, bands: bands)
        do throws(OFMeterModError) {
            if command == 0 {
                try bridge.meters.add(meter, now: OpenFlowClock.now())
            } else {
                try bridge.meters.modify(meter)
            }
        } catch {
            switch error {
            case .meterExists: throw OFDecodeError(.meterExists)
            case .invalidMeter: throw OFDecodeError(.invalidMeter)
            case .unknownMeter: throw OFDecodeError(.unknownMeter)
            case .badFlags: throw OFDecodeError(.badMeterFlags)
            case .badRate: throw OFDecodeError(.badMeterRate)
            case .badBand: throw OFDecodeError(.badMeterBand)
            case .outOfMeters: throw OFDecodeError(.outOfMeters)
            case .outOfBands: throw OFDecodeError(.outOfBands)
            }
        }
        return []
    }

    // MARK: Multipart

    /// Duration since `created` as seconds and nanoseconds.
    static func duration(since created: Duration, now: Duration) -> (UInt32, UInt32) {
        let (sec, atto) = (now - created).components
        return (UInt32(clamping: max(0, sec)), UInt32(clamping: max(0, atto / 1_000_000_000)))
    }

    /// The actions of a bucket as an OpenFlow action list for `v`.
    static func bucketActions(_ actions: [OFAction], _ v: UInt8) -> [UInt8] {
        var w = OFWriter()
        let list = OFActionEncoding.roundTrip(actions, version: OFVersion(rawValue: v) ?? .of10, match: .catchAll)
        for a in list { OFActionCodec.encodeAction(a, version: v, &w) }
        return w.bytes
    }

    /// One group's description entry (`ofputil_append_group_desc_reply`).
    static func groupDesc(_ g: OFGroup, _ v: UInt8) -> [UInt8] {
        var w = OFWriter()
        if v == 1 || v >= 6 {
            w.u16(0); w.u8(g.type.rawValue); w.u8(0); w.u32(g.id); w.u16(0); w.zeros(6)
            let start = w.count
            for b in g.buckets {
                let s = w.count
                w.u16(0); w.u16(0); w.u32(b.id)
                let actions = bucketActions(b.actions, v)
                w.append(actions)
                if g.type == .select || b.weight != 0 { w.u16(0); w.u16(8); w.u16(b.weight); w.zeros(2) }
                if b.watchPort != .any { w.u16(1); w.u16(8); OFActionCodec.putPort(b.watchPort, 4, &w) }
                if b.watchGroup != OFGroupBucket.noGroup { w.u16(2); w.u16(8); w.u32(b.watchGroup) }
                w.set16(UInt16(truncatingIfNeeded: w.count - s), at: s)
                w.set16(UInt16(truncatingIfNeeded: actions.count), at: s + 2)
            }
            w.set16(UInt16(truncatingIfNeeded: w.count - start), at: 8)
            w.append(g.properties)
        } else {
            w.u16(0); w.u8(g.type.rawValue); w.u8(0); w.u32(g.id)
            for b in g.buckets {
                let s = w.count
                w.u16(0); w.u16(b.weight); OFActionCodec.putPort(b.watchPort, v, &w); w.u32(b.watchGroup); w.zeros(4)
                w.append(bucketActions(b.actions, v))
                w.set16(UInt16(truncatingIfNeeded: w.count - s), at: s)
            }
        }
        w.set16(UInt16(truncatingIfNeeded: w.count), at: 0)
        return w.bytes
    }

    /// GROUP (6), GROUP_DESC (7), GROUP_FEATURES (8) multipart requests;
    /// `prefix` is the reply's multipart header, `r` the request body.
    func groupStats(_ m: OFMessage, _ v: UInt8, kind: Int, prefix: [UInt8], _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        switch kind {
        case 6:
            let id = try r.u32()
            let entries = selectGroups(id).map { e -> [UInt8] in
                let gid = e.group.id
                let refs = countFlows { if case .group(gid) = $0 { true } else { false } }
                let c = e.counters.snapshot
                let (sec, nsec) = Self.duration(since: e.created, now: OpenFlowClock.now())
                var w = OFWriter()
                w.u16(0); w.zeros(2); w.u32(gid); w.u32(UInt32(clamping: refs)); w.zeros(4)
                w.u64(c.packets); w.u64(c.bytes); w.u32(sec); w.u32(nsec)
                for b in c.buckets { w.u64(b.packets); w.u64(b.bytes) }
                w.set16(UInt16(truncatingIfNeeded: w.count), at: 0)
                return w.bytes
            }
            return OFStats.replies(version: v, xid: m.xid, prefix: prefix, flagsOffset: 2, entries: entries)
        case 7:
            let id = v == 1 || v >= 6 ? try r.u32() : OFGroup.allID
            let entries = selectGroups(id).map { Self.groupDesc($0.group, v) }
            return OFStats.replies(version: v, xid: m.xid, prefix: prefix, flagsOffset: 2, entries: entries)
        default:
            var w = OFWriter()
            w.u32(0xf); w.u32(0x7)
            for _ in 0..<4 { w.u32(OFGroup.maxID) }
            // output, group, set_field, pop/push VLAN, set/dec TTL, MPLS,
            // set_queue (OpenFlow 1.0: every OpenFlow 1.0 action).
            for _ in 0..<4 { w.u32(v == 1 ? 0xfff : 0x3ff_8001) }
            return [OFMessage(version: v, type: OFType.statsReply(v), xid: m.xid, body: prefix + w.bytes)]
        }
    }

    func selectGroups(_ id: UInt32) -> [OFGroupEntry] {
        if id == OFGroup.allID { return bridge.groups.all }
        return bridge.groups.group(id).map { [$0] } ?? []
    }

    /// METER (9), METER_CONFIG (10), METER_FEATURES (11) multipart requests.
    func meterStats(_ m: OFMessage, _ v: UInt8, kind: Int, prefix: [UInt8], _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        if kind == 11 {
            var w = OFWriter()
            w.u32(OFMeterFeatures.maxMeters); w.u32(OFMeterFeatures.bandTypes); w.u32(OFMeterFeatures.capabilities)
            w.u8(OFMeterFeatures.maxBands); w.u8(0); w.zeros(2)
            return [OFMessage(version: v, type: OFType.statsReply(v), xid: m.xid, body: prefix + w.bytes)]
        }
        let id = try r.u32()
        let meters: [OFMeterEntry]
        if id == OFMeter.allID {
            meters = bridge.meters.all
        } else {
            guard let e = bridge.meters.entry(id) else { throw OFDecodeError(.unknownMeter) }
            meters = [e]
        }
        let now = OpenFlowClock.now()
        let entries = meters.map { e -> [UInt8] in
            var w = OFWriter()
            let meter = e.meter
            if kind == 9 {
                let mid = meter.id
                let flows = countFlows { if case .meter(mid) = $0 { true } else { false } }
                let s = bridge.meters.stats(e)
                let (sec, nsec) = Self.duration(since: e.created, now: now)
                w.u32(meter.id); w.u16(UInt16(40 + 16 * meter.bands.count)); w.zeros(6)
                w.u32(UInt32(clamping: flows)); w.u64(s.packets); w.u64(s.bytes); w.u32(sec); w.u32(nsec)
                for b in s.bands { w.u64(b.packets); w.u64(b.bytes) }
            } else {
                w.u16(0); w.u16(meter.flags); w.u32(meter.id)
                for b in meter.bands {
                    w.u16(b.type); w.u16(16); w.u32(b.rate); w.u32(b.burst)
                    w.u8(b.type == OFMeterBand.dscpRemark ? b.precLevel : 0); w.zeros(3)
                }
                w.set16(UInt16(truncatingIfNeeded: w.count), at: 0)
            }
            return w.bytes
        }
        return OFStats.replies(version: v, xid: m.xid, prefix: prefix, flagsOffset: 2, entries: entries)
    }
}
