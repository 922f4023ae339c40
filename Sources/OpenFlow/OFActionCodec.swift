import Flow
import OFProto

/// Actions and instructions on the wire, to and from `OFAction`, for
/// OpenFlow 1.0 (`ofp10` actions), 1.1 (with its legacy set actions) and
/// 1.2+ (Set-Field), with the Nicira extension actions in every version.
///
/// Encoding first applies `OFActionEncoding.roundTrip`, which rewrites the
/// list into the actions the version has (`mod_tp_dst` to `set_field` in
/// 1.3, `goto_table` to `resubmit` in 1.0...); each of those then has one
/// wire form, and decoding gives it back.
public enum OFActionCodec {
    static let nx: UInt32 = 0x2320

    // NXAST subtypes.
    enum NX: UInt16 {
        case resubmit = 1, setTunnel = 2, setQueue = 4, popQueue = 5, regMove = 6, regLoad = 7, note = 8
        case setTunnel64 = 9, resubmitTable = 14, outputReg = 15, exit = 17, decTTL = 18, finTimeout = 19
        case controller = 20, decTTLCntIDs = 21, writeMetadata = 22, pushMPLS = 23, popMPLS = 24, setMPLSTTL = 25
        case decMPLSTTL = 26, stackPush = 27, stackPop = 28, setMPLSLabel = 30, setMPLSTC = 31
        case regLoad2 = 33, conjunction = 34, ct = 35, nat = 36, controller2 = 37, outputTrunc = 39
        /// NXAST_GROUP: `group` in OpenFlow 1.0.
        case group = 40
        case multipath = 10, bundle = 12, bundleLoad = 13, learn = 16, sample = 29, sample2 = 38, sample3 = 41
        case learn2 = 45, checkPacketLarger = 49
        case clone = 42, ctClear = 43, resubmitTableCT = 44, debugSlow = 0xfe, debugRecirc = 0xff
    }

    // MARK: Ports

    static func putPort(_ p: OFPort, _ version: UInt8, _ w: inout OFWriter) {
        if version == 1 { w.u16(p.rawValue) } else { w.u32(p.rawValue >= 0xff00 ? 0xffff_0000 | UInt32(p.rawValue) : UInt32(p.rawValue)) }
    }

    static func port11(_ v: UInt32, error: OFErrorCode = .badOutPort) throws(OFDecodeError) -> OFPort {
        if v < 0xff00 { return OFPort(rawValue: UInt16(v)) }
        if v >= 0xffff_ff00 { return OFPort(rawValue: UInt16(v & 0xffff)) }
        throw OFDecodeError(error, "port \(v)")
    }

    // MARK: Field headers inside actions

    static func putHeader(_ f: OFField, version: UInt8, _ w: inout OFWriter) {
        let h = OFMatchCodec.header(for: f, oxmVersion: version >= 3 ? version : nil)
            ?? OXMHeader(name: f.name, classID: 0, field: 0, experimenter: 0, sinceVersion: 0)
        w.u16(h.classID)
        w.u8(h.field << 1)
        w.u8(UInt8(f.bytes + (h.classID == 0xffff ? 4 : 0)))
        if h.classID == 0xffff { w.u32(h.experimenter) }
    }

    static func pullHeader(_ r: inout OFReader) throws(OFDecodeError) -> (OFField, hasMask: Bool) {
        let classID = try r.u16()
        let fb = try r.u8()
        let length = Int(try r.u8())
        var exp: UInt32 = 0
        if classID == 0xffff { exp = try r.u32() }
        guard let f = OFMatchCodec.fieldsByHeader[.init(classID: classID, field: fb >> 1, experimenter: exp)] else {
            throw OFDecodeError(.badSetType, "unknown field \(classID):\(fb >> 1)")
        }
        let payload = length - (classID == 0xffff ? 4 : 0)
        guard payload == f.bytes * (fb & 1 == 1 ? 2 : 1) else { throw OFDecodeError(.badSetType, "bad field length") }
        return (f, fb & 1 == 1)
    }

    // MARK: Encoding

    /// Encodes `actions` (an `ofpacts` list, instructions included) for
    /// wire `version`: an action list for OpenFlow 1.0, instructions for 1.1+.
    public static func encode(_ actions: [OFAction], version: UInt8, match: Match) -> [UInt8] {
        let v = OFVersion(rawValue: version) ?? .of10
        let list = OFActionEncoding.roundTrip(actions, version: v, match: match)
        var w = OFWriter()
        if version == 1 {
            for a in list { encodeAction(a, version: version, &w) }
            return w.bytes
        }
        // Instructions: consecutive actions form one Apply-Actions.
        var i = 0
        while i < list.count {
            switch list[i] {
            case .meter(let id) where version <= 5:
                w.u16(6); w.u16(8); w.u32(id)
                i += 1
            case .clearActions:
                w.u16(5); w.u16(8); w.u32(0)
                i += 1
            case .writeActions(let inner):
                let start = w.count
                w.u16(3); w.u16(0); w.u32(0)
                for a in inner { encodeAction(a, version: version, &w) }
                w.set16(UInt16(w.count - start), at: start + 2)
                i += 1
            case .writeMetadata(let value, let mask):
                w.u16(2); w.u16(24); w.u32(0); w.u64(value); w.u64(mask)
                i += 1
            case .gotoTable(let t):
                w.u16(1); w.u16(8); w.u8(t); w.zeros(3)
                i += 1
            default:
                let start = w.count
                w.u16(4); w.u16(0); w.u32(0)
                while i < list.count {
                    if case .meter = list[i], version <= 5 { break }
                    if list[i].instruction != .applyActions && !(version >= 6 && list[i].instruction == .meter) { break }
                    encodeAction(list[i], version: version, &w)
                    i += 1
                }
                w.set16(UInt16(w.count - start), at: start + 2)
            }
        }
        return w.bytes
    }

    static func nxHeader(_ sub: NX, _ w: inout OFWriter) -> Int {
        let start = w.count
        w.u16(0xffff); w.u16(0); w.u32(nx); w.u16(sub.rawValue)
        return start
    }
    static func finish(_ start: Int, _ w: inout OFWriter) {
        let len = w.count - start
        w.zeros((8 - len % 8) % 8)
        w.set16(UInt16(w.count - start), at: start + 2)
    }

    static func ofsNbits(_ ofs: Int, _ bits: Int) -> UInt16 { UInt16(truncatingIfNeeded: ofs << 6 | (bits - 1)) }

    static func setFieldTLV(_ f: OFField, _ value: UInt128, _ mask: UInt128, masked: Bool, version: UInt8, _ w: inout OFWriter) {
        let h = OFMatchCodec.header(for: f, oxmVersion: version >= 3 ? version : nil)
            ?? OXMHeader(name: f.name, classID: 0, field: 0, experimenter: 0, sinceVersion: 0)
        let exp = h.classID == 0xffff
        w.u16(h.classID)
        w.u8(h.field << 1 | (masked ? 1 : 0))
        w.u8(UInt8(f.bytes * (masked ? 2 : 1) + (exp ? 4 : 0)))
        if exp { w.u32(h.experimenter) }
        w.uint(value, bytes: f.bytes)
        if masked { w.uint(mask, bytes: f.bytes) }
    }

    static func encodeAction(_ a: OFAction, version: UInt8, _ w: inout OFWriter) {
        let of10 = version == 1
        switch a {
        case .output(let port, let maxLength):
            if of10 { w.u16(0); w.u16(8); w.u16(port.rawValue); w.u16(maxLength) } else {
                w.u16(0); w.u16(16); putPort(port, version, &w); w.u16(maxLength); w.zeros(6)
            }
        case .controller(let c):
            if c.userdata.isEmpty && !c.pause && c.meterID == 0 {
                let s = nxHeader(.controller, &w)
                w.u16(c.maxLength); w.u16(c.controllerID); w.u8(c.reason); w.u8(0)
                finish(s, &w)
            } else {
                let s = nxHeader(.controller2, &w)
                w.zeros(6)
                func prop(_ type: UInt16, _ body: (inout OFWriter) -> Void) {
                    let ps = w.count
                    w.u16(type); w.u16(0)
                    body(&w)
                    w.set16(UInt16(w.count - ps), at: ps + 2)
                    w.zeros((8 - (w.count - ps) % 8) % 8)
                }
                if c.maxLength != 0xffff { prop(0) { $0.u16(c.maxLength) } }
                if c.controllerID != 0 { prop(1) { $0.u16(c.controllerID) } }
                if c.reason != 1 { prop(2) { $0.u8(c.reason) } }
                if !c.userdata.isEmpty { prop(3) { $0.append(c.userdata) } }
                if c.pause { prop(4) { _ in } }
                if c.meterID != 0 { prop(5) { $0.u32(c.meterID) } }
                finish(s, &w)
            }
        case .enqueue(let port, let queue):
            w.u16(11); w.u16(16); w.u16(port.rawValue); w.zeros(6); w.u32(queue)
        case .outputRegister(let src, let maxLength):
            let s = nxHeader(.outputReg, &w)
            w.u16(ofsNbits(src.offset, src.bits)); putHeader(src.field, version: 1, &w); w.u16(maxLength); w.zeros(6)
            finish(s, &w)
        case .group(let g):
            if of10 { let s = nxHeader(.group, &w); w.zeros(2); w.u32(g); finish(s, &w) } else { w.u16(22); w.u16(8); w.u32(g) }
        case .outputTruncate(let port, let maxLength):
            let s = nxHeader(.outputTrunc, &w)
            w.u16(port.rawValue); w.u32(maxLength)
            finish(s, &w)
        case .setVLANVID(let v, _):
            w.u16(1); w.u16(8); w.u16(v); w.u16(0)
        case .setVLANPCP(let p, _):
            w.u16(2); w.u16(8); w.u8(p); w.zeros(3)
        case .stripVLAN:
            if of10 { w.u16(3); w.u16(8); w.u32(0) } else { w.u16(18); w.u16(8); w.u32(0) }
        case .pushVLAN(let t):
            w.u16(17); w.u16(8); w.u16(t); w.u16(0)
        case .setEthSource(let m):
            w.u16(of10 ? 4 : 3); w.u16(16); w.uint(UInt128(m), bytes: 6); w.zeros(6)
        case .setEthDestination(let m):
            w.u16(of10 ? 5 : 4); w.u16(16); w.uint(UInt128(m), bytes: 6); w.zeros(6)
        case .setIPv4Source(let ip):
            w.u16(of10 ? 6 : 5); w.u16(8); w.u32(ip)
        case .setIPv4Destination(let ip):
            w.u16(of10 ? 7 : 6); w.u16(8); w.u32(ip)
        case .setIPDSCP(let tos):
            w.u16(of10 ? 8 : 7); w.u16(8); w.u8(tos); w.zeros(3)
        case .setIPECN(let e):
            w.u16(8); w.u16(8); w.u8(e); w.zeros(3)
        case .setIPTTL(let t):
            w.u16(23); w.u16(8); w.u8(t); w.zeros(3)
        case .setTransportSource(let p):
            w.u16(9); w.u16(8); w.u16(p); w.u16(0)
        case .setTransportDestination(let p):
            w.u16(10); w.u16(8); w.u16(p); w.u16(0)
        case .setField(let f, let value, let mask, let origin):
            let full = f.bytes >= 16 ? UInt128.max : (UInt128(1) << UInt128(f.bytes * 8)) - 1
            if version >= 3 && origin == .setField {
                let s = w.count
                w.u16(25); w.u16(0)
                let masked = mask & full != full && mask != f.allOnes
                setFieldTLV(f, value, mask, masked: masked, version: version, &w)
                finish(s, &w)
            } else if origin == .load2 || f.nxm == nil && (f.oxm?.isExperimenter ?? true) {
                let s = nxHeader(.regLoad2, &w)
                let masked = mask & full != full && mask != f.allOnes
                setFieldTLV(f, value, mask, masked: masked, version: 1, &w)
                finish(s, &w)
            } else {
                // NXAST_REG_LOAD, one per contiguous run of mask bits (64 at most).
                var m = mask
                while m != 0 {
                    let ofs = m.trailingZeroBitCount
                    var n = 0
                    while n < 64 && ofs + n < 128 && (m >> UInt128(ofs + n)) & 1 == 1 { n += 1 }
                    let s = nxHeader(.regLoad, &w)
                    w.u16(ofsNbits(ofs, n)); putHeader(f, version: 1, &w)
                    let ones: UInt128 = n >= 128 ? .max : (UInt128(1) << UInt128(n)) - 1
                    w.u64(UInt64(truncatingIfNeeded: (value >> UInt128(ofs)) & ones))
                    finish(s, &w)
                    m &= ~(ones << UInt128(ofs))
                }
            }
        case .move(let src, let dst):
            if version >= 6 {
                let s = w.count
                w.u16(28); w.u16(0); w.u16(UInt16(dst.bits)); w.u16(UInt16(src.offset)); w.u16(UInt16(dst.offset)); w.zeros(2)
                putHeader(src.field, version: version, &w); putHeader(dst.field, version: version, &w)
                finish(s, &w)
            } else {
                let s = nxHeader(.regMove, &w)
                w.u16(UInt16(dst.bits)); w.u16(UInt16(src.offset)); w.u16(UInt16(dst.offset))
                putHeader(src.field, version: 1, &w); putHeader(dst.field, version: 1, &w)
                finish(s, &w)
            }
        case .stackPush(let sf), .stackPop(let sf):
            var isPush = false
            if case .stackPush = a { isPush = true }
            let s = nxHeader(isPush ? .stackPush : .stackPop, &w)
            w.u16(UInt16(sf.offset)); putHeader(sf.field, version: 1, &w); w.u16(UInt16(sf.bits)); w.zeros(6)
            finish(s, &w)
        case .decrementTTL(let ids, let explicit):
            if !explicit && ids == [0] {
                if of10 { let s = nxHeader(.decTTL, &w); finish(s, &w) } else { w.u16(24); w.u16(8); w.u32(0) }
            } else {
                let s = nxHeader(.decTTLCntIDs, &w)
                w.u16(UInt16(ids.count)); w.zeros(4)
                for id in ids { w.u16(id) }
                finish(s, &w)
            }
        case .setMPLSLabel(let l):
            if of10 { let s = nxHeader(.setMPLSLabel, &w); w.zeros(2); w.u32(l); finish(s, &w) } else { w.u16(13); w.u16(8); w.u32(l) }
        case .setMPLSTC(let t):
            if of10 { let s = nxHeader(.setMPLSTC, &w); w.u8(t); finish(s, &w) } else { w.u16(14); w.u16(8); w.u8(t); w.zeros(3) }
        case .setMPLSTTL(let t):
            if of10 { let s = nxHeader(.setMPLSTTL, &w); w.u8(t); finish(s, &w) } else { w.u16(15); w.u16(8); w.u8(t); w.zeros(3) }
        case .decrementMPLSTTL:
            if of10 { let s = nxHeader(.decMPLSTTL, &w); finish(s, &w) } else { w.u16(16); w.u16(8); w.u32(0) }
        case .pushMPLS(let t):
            if of10 { let s = nxHeader(.pushMPLS, &w); w.u16(t); finish(s, &w) } else { w.u16(19); w.u16(8); w.u16(t); w.u16(0) }
        case .popMPLS(let t):
            if of10 { let s = nxHeader(.popMPLS, &w); w.u16(t); finish(s, &w) } else { w.u16(20); w.u16(8); w.u16(t); w.u16(0) }
        case .setTunnel(let id, let is64):
            if is64 { let s = nxHeader(.setTunnel64, &w); w.zeros(6); w.u64(id); finish(s, &w) } else {
                let s = nxHeader(.setTunnel, &w); w.zeros(2); w.u32(UInt32(truncatingIfNeeded: id)); finish(s, &w)
            }
        case .setQueue(let q):
            if of10 { let s = nxHeader(.setQueue, &w); w.zeros(2); w.u32(q); finish(s, &w) } else { w.u16(21); w.u16(8); w.u32(q) }
        case .popQueue:
            let s = nxHeader(.popQueue, &w); finish(s, &w)
        case .finTimeout(let f):
            let s = nxHeader(.finTimeout, &w); w.u16(f.idle); w.u16(f.hard); finish(s, &w)
        case .resubmit(let r):
            if r.withConntrackOriginal {
                let s = nxHeader(.resubmitTableCT, &w); w.u16(r.inPort.rawValue); w.u8(r.table); finish(s, &w)
            } else if r.inPort != .inPort && r.table == 255 {
                let s = nxHeader(.resubmit, &w); w.u16(r.inPort.rawValue); finish(s, &w)
            } else {
                let s = nxHeader(.resubmitTable, &w); w.u16(r.inPort.rawValue); w.u8(r.table); finish(s, &w)
            }
        case .conjunction(let id, let clause, let n):
            let s = nxHeader(.conjunction, &w); w.u8(clause); w.u8(n); w.u32(id); finish(s, &w)
        case .note(let bytes):
            let s = nxHeader(.note, &w); w.append(bytes); finish(s, &w)
        case .exit:
            let s = nxHeader(.exit, &w); finish(s, &w)
        case .clone(let inner):
            let s = nxHeader(.clone, &w); w.zeros(6)
            for x in inner { encodeAction(x, version: version, &w) }
            finish(s, &w)
        case .conntrack(let c):
            let s = nxHeader(.ct, &w)
            w.u16((c.commit ? 1 : 0) | (c.force ? 2 : 0))
            if let src = c.zoneSource {
                putHeader(src.field, version: 1, &w); w.u16(ofsNbits(src.offset, src.bits))
            } else {
                w.u32(0); w.u16(c.zone)
            }
            w.u8(c.recirculationTable); w.zeros(3); w.u16(c.alg)
            for x in c.actions { encodeAction(x, version: version, &w) }
            finish(s, &w)
        case .nat(let n):
            let s = nxHeader(.nat, &w)
            w.zeros(2)
            var flags: UInt16 = 0
            if n.kind == .source { flags |= 1 }
            if n.kind == .destination { flags |= 2 }
            if n.persistent { flags |= 4 }
            if n.hash { flags |= 8 }
            if n.random { flags |= 16 }
            var present: UInt16 = 0
            var body = OFWriter()
            switch n.addressMin {
            case .v4(let a)?:
                present |= 1; body.u32(a)
                if case .v4(let b)? = n.addressMax { present |= 2; body.u32(b) }
            case .v6(let a)?:
                present |= 4; body.uint(a, bytes: 16)
                if case .v6(let b)? = n.addressMax { present |= 8; body.uint(b, bytes: 16) }
            case nil: break
            }
            if n.portMin != 0 { present |= 16; body.u16(n.portMin) }
            if n.portMax != 0 { present |= 32; body.u16(n.portMax) }
            w.u16(flags); w.u16(present); w.append(body.bytes)
            finish(s, &w)
        case .conntrackClear:
            let s = nxHeader(.ctClear, &w); finish(s, &w)
        case .debugRecirculate:
            let s = nxHeader(.debugRecirc, &w); finish(s, &w)
        case .debugSlowPath:
            let s = nxHeader(.debugSlow, &w); finish(s, &w)
        case .writeMetadata(let value, let mask):
            let s = nxHeader(.writeMetadata, &w); w.zeros(6); w.u64(value); w.u64(mask); finish(s, &w)
        case .meter(let id):
            if version >= 6 { w.u16(29); w.u16(8); w.u32(id) }
        case .clearActions, .writeActions, .gotoTable:
            break
        case .learn(let l):
            encodeLearn(l, &w)
        case .multipath(let m):
            let s = nxHeader(.multipath, &w)
            w.u16(UInt16(hashFields.firstIndex(of: m.fields) ?? 0)); w.u16(m.basis); w.u16(0)
            w.u16(UInt16(multipathAlgorithms.firstIndex(of: m.algorithm) ?? 0)); w.u16(m.maxLink); w.u32(m.argument)
            w.u16(0); w.u16(ofsNbits(m.destination.offset, m.destination.bits)); putHeader(m.destination.field, version: 1, &w)
            finish(s, &w)
        case .bundle(let b):
            let s = nxHeader(b.destination == nil ? .bundle : .bundleLoad, &w)
            w.u16(b.algorithm == "hrw" ? 1 : 0); w.u16(UInt16(hashFields.firstIndex(of: b.fields) ?? 0)); w.u16(b.basis)
            w.u32(0x0000_0002)          // NXM_OF_IN_PORT: members are OpenFlow ports
            w.u16(UInt16(b.members.count))
            if let d = b.destination {
                w.u16(ofsNbits(d.offset, d.bits)); putHeader(d.field, version: 1, &w)
            } else {
                w.u16(0); w.u32(0)
            }
            w.zeros(4)
            for m in b.members { w.u16(m.rawValue) }
            finish(s, &w)
        case .sample(let a):
            if a.direction != 0 || a.samplingPort != .any {
                let s = nxHeader(a.direction != 0 ? .sample3 : .sample2, &w)
                w.u16(a.probability); w.u32(a.collectorSetID); w.u32(a.observationDomainID); w.u32(a.observationPointID)
                w.u16(a.samplingPort.rawValue); w.u8(a.direction); w.zeros(5)
                finish(s, &w)
            } else {
                let s = nxHeader(.sample, &w)
                w.u16(a.probability); w.u32(a.collectorSetID); w.u32(a.observationDomainID); w.u32(a.observationPointID)
                finish(s, &w)
            }
        case .checkPacketLarger(let length, let d):
            let s = nxHeader(.checkPacketLarger, &w)
            w.u16(length); w.u16(UInt16(d.offset)); putHeader(d.field, version: 1, &w)
            w.zeros(24 - (w.count - s))
            finish(s, &w)
        case .deleteField, .decrementNSHTTL:
            // Not encodable yet: such rules are refused on input.
            break
        }
    }

    static let hashFields = ["eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp", "nw_src", "nw_dst", "symmetric_l3"]
    static let multipathAlgorithms = ["modulo_n", "hash_threshold", "hrw", "iter_hash"]

    /// NXAST_LEARN, or NXAST_LEARN2 with a limit or a result destination.
    static func encodeLearn(_ l: LearnAction, _ w: inout OFWriter) {
        let two = l.limit != 0 || l.resultDestination != nil
        let s = nxHeader(two ? .learn2 : .learn, &w)
        var flags: UInt16 = 0
        if l.sendFlowRemoved { flags |= 1 }
        if l.deleteLearned { flags |= 2 }
        if l.resultDestination != nil { flags |= 4 }
        w.u16(l.idleTimeout); w.u16(l.hardTimeout); w.u16(l.priority); w.u64(l.cookie)
        w.u16(flags); w.u8(l.table); w.u8(0); w.u16(l.finIdleTimeout); w.u16(l.finHardTimeout)
        if two {
            w.u32(l.limit); w.u16(UInt16(l.resultDestination?.offset ?? 0)); w.u16(0)
            if let d = l.resultDestination { putHeader(d.field, version: 1, &w) }
        }
        func immediate(_ v: UInt128, bits: Int) {
            let n = 2 * ((bits + 15) / 16)
            w.uint(v, bytes: n)
        }
        for spec in l.specs {
            switch spec {
            case .matchField(let d, let src):
                w.u16(UInt16(d.bits)); putHeader(src.field, version: 1, &w); w.u16(UInt16(src.offset))
                putHeader(d.field, version: 1, &w); w.u16(UInt16(d.offset))
            case .matchValue(let d, let v):
                w.u16(UInt16(d.bits) | 1 << 13); immediate(v, bits: d.bits)
                putHeader(d.field, version: 1, &w); w.u16(UInt16(d.offset))
            case .loadField(let d, let src):
                w.u16(UInt16(d.bits) | 1 << 11); putHeader(src.field, version: 1, &w); w.u16(UInt16(src.offset))
                putHeader(d.field, version: 1, &w); w.u16(UInt16(d.offset))
            case .loadValue(let d, let v):
                w.u16(UInt16(d.bits) | 1 << 11 | 1 << 13); immediate(v, bits: d.bits)
                putHeader(d.field, version: 1, &w); w.u16(UInt16(d.offset))
            case .output(let src):
                w.u16(UInt16(src.bits) | 2 << 11); putHeader(src.field, version: 1, &w); w.u16(UInt16(src.offset))
            }
        }
        finish(s, &w)
    }

    static func decodeLearn(_ r: inout OFReader, two: Bool) throws(OFDecodeError) -> OFAction {
        var l = LearnAction()
        l.idleTimeout = try r.u16(); l.hardTimeout = try r.u16(); l.priority = try r.u16(); l.cookie = try r.u64()
        let flags = try r.u16()
        guard flags & ~(two ? 7 : 3) == 0 else { throw OFDecodeError(.badActionArgument, "learn flags") }
        l.sendFlowRemoved = flags & 1 != 0; l.deleteLearned = flags & 2 != 0
        l.table = try r.u8(); try r.skip(1)
        guard l.table != 255 else { throw OFDecodeError(.badActionArgument, "learn table") }
        l.finIdleTimeout = try r.u16(); l.finHardTimeout = try r.u16()
        if two {
            l.limit = try r.u32()
            let ofs = Int(try r.u16()); try r.skip(2)
            if flags & 4 != 0 {
                let (f, _) = try pullHeader(&r)
                l.resultDestination = try subfield(f, ofs, 1)
            }
        }
        while r.remaining >= 2 {
            let header = try r.u16()
            if header == 0 { break }
            let n = Int(header & 0x3ff), srcImmediate = header & (1 << 13) != 0, dst = (header >> 11) & 3
            guard n > 0, dst <= 2, header & 0xc000 == 0 else { throw OFDecodeError(.badActionArgument, "learn spec") }
            var src: OFSubfield? = nil
            var value: UInt128 = 0
            if srcImmediate {
                guard dst != 2 else { throw OFDecodeError(.badActionArgument, "learn output immediate") }
                let nbytes = 2 * ((n + 15) / 16)
                guard nbytes <= 16 else { throw OFDecodeError(.badActionArgument, "learn immediate") }
                value = try r.uint(bytes: nbytes)
            } else {
                let (f, _) = try pullHeader(&r)
                src = try subfield(f, Int(try r.u16()), n)
            }
            if dst == 2 {
                l.specs.append(.output(source: src!))
                continue
            }
            let (df, _) = try pullHeader(&r)
            let d = try subfield(df, Int(try r.u16()), n)
            switch (dst, src) {
            case (0, let s?): l.specs.append(.matchField(destination: d, source: s))
            case (0, nil): l.specs.append(.matchValue(destination: d, value: value))
            case (_, let s?): l.specs.append(.loadField(destination: d, source: s))
            default: l.specs.append(.loadValue(destination: d, value: value))
            }
        }
        guard r.isAtEnd || r.bytes[r.offset..<r.end].allSatisfy({ $0 == 0 }) else {
            throw OFDecodeError(.badActionArgument, "learn padding")
        }
        return .learn(l)
    }

    // MARK: Decoding

    /// Decodes an OpenFlow 1.0 action list.
    public static func decodeActions(_ r: inout OFReader, version: UInt8) throws(OFDecodeError) -> [OFAction] {
        guard r.remaining % 8 == 0 else { throw OFDecodeError(.badRequestLength, "actions length \(r.remaining)") }
        var out: [OFAction] = []
        while !r.isAtEnd {
            var a = try r.element("action", error: .badActionLength)
            out.append(contentsOf: try decodeAction(&a, version: version))
        }
        return out
    }

    static func decodeAction(_ r: inout OFReader, version: UInt8) throws(OFDecodeError) -> [OFAction] {
        let type = try r.u16()
        let len = Int(try r.u16())
        let of10 = version == 1
        func expect(_ n: Int) throws(OFDecodeError) {
            if len != n { throw OFDecodeError(.badActionLength, "action \(type) length \(len)") }
        }
        if type == 0xffff { return try decodeExperimenter(&r, len: len, version: version) }
        if of10 {
            switch type {
            case 0: try expect(8); return [.output(port: OFPort(rawValue: try r.u16()), maxLength: try r.u16())]
            case 1:
                try expect(8); let v = try r.u16()
                guard v & ~0xfff == 0 else { throw OFDecodeError(.badActionArgument, "vlan vid") }
                return [.setVLANVID(v, pushIfNeeded: true)]
            case 2:
                try expect(8); let p = try r.u8()
                guard p <= 7 else { throw OFDecodeError(.badActionArgument, "vlan pcp") }
                return [.setVLANPCP(p, pushIfNeeded: true)]
            case 3: try expect(8); return [.stripVLAN(isPop: false)]
            case 4: try expect(16); return [.setEthSource(UInt64(try r.uint(bytes: 6)))]
            case 5: try expect(16); return [.setEthDestination(UInt64(try r.uint(bytes: 6)))]
            case 6: try expect(8); return [.setIPv4Source(try r.u32())]
            case 7: try expect(8); return [.setIPv4Destination(try r.u32())]
            case 8:
                try expect(8); let t = try r.u8()
                guard t & 3 == 0 else { throw OFDecodeError(.badActionArgument, "nw_tos") }
                return [.setIPDSCP(t)]
            case 9: try expect(8); return [.setTransportSource(try r.u16())]
            case 10: try expect(8); return [.setTransportDestination(try r.u16())]
            case 11:
                try expect(16); let p = try r.u16(); try r.skip(6)
                let port = OFPort(rawValue: p)
                guard p < 0xff00 || port == .inPort || port == .local else { throw OFDecodeError(.badOutPort, "enqueue") }
                return [.enqueue(port: port, queue: try r.u32())]
            default: throw OFDecodeError(.badActionType, "action type \(type)")
            }
        }
        switch type {
        case 0:
            try expect(16)
            let port = try port11(try r.u32())
            return [.output(port: port, maxLength: try r.u16())]
        case 1 where version == 2:
            try expect(8); let v = try r.u16()
            guard v & ~0xfff == 0 else { throw OFDecodeError(.badActionArgument, "vlan vid") }
            return [.setVLANVID(v, pushIfNeeded: false)]
        case 2 where version == 2: try expect(8); return [.setVLANPCP(try r.u8() & 7, pushIfNeeded: false)]
        case 3 where version == 2: try expect(16); return [.setEthSource(UInt64(try r.uint(bytes: 6)))]
        case 4 where version == 2: try expect(16); return [.setEthDestination(UInt64(try r.uint(bytes: 6)))]
        case 5 where version == 2: try expect(8); return [.setIPv4Source(try r.u32())]
        case 6 where version == 2: try expect(8); return [.setIPv4Destination(try r.u32())]
        case 7 where version == 2: try expect(8); return [.setIPDSCP(try r.u8() & 0xfc)]
        case 8 where version == 2: try expect(8); return [.setIPECN(try r.u8() & 3)]
        case 9 where version == 2: try expect(8); return [.setTransportSource(try r.u16())]
        case 10 where version == 2: try expect(8); return [.setTransportDestination(try r.u16())]
        case 13 where version == 2: try expect(8); return [.setMPLSLabel(try r.u32())]
        case 14 where version == 2: try expect(8); return [.setMPLSTC(try r.u8())]
        case 15: try expect(8); return [.setMPLSTTL(try r.u8())]
        case 16: try expect(8); return [.decrementMPLSTTL]
        case 17:
            try expect(8); let t = try r.u16()
            guard t == 0x8100 || t == 0x88a8 else { throw OFDecodeError(.badActionArgument, "push_vlan ethertype") }
            return [.pushVLAN(ethertype: t)]
        case 18: try expect(8); return [.stripVLAN(isPop: true)]
        case 19:
            try expect(8); let t = try r.u16()
            guard t == 0x8847 || t == 0x8848 else { throw OFDecodeError(.badActionArgument, "push_mpls ethertype") }
            return [.pushMPLS(ethertype: t)]
        case 20: try expect(8); return [.popMPLS(ethertype: try r.u16())]
        case 21: try expect(8); return [.setQueue(try r.u32())]
        case 22: try expect(8); return [.group(try r.u32())]
        case 23: try expect(8); return [.setIPTTL(try r.u8())]
        case 24: try expect(8); return [.decrementTTL(controllerIDs: [0], explicitIDs: false)]
        case 25 where version >= 3:
            let (f, masked) = try pullHeader(&r)
            guard masked == false || version >= 6 else { throw OFDecodeError(.badSetArgument, "masked set_field") }
            guard f.writable else { throw OFDecodeError(.badSetArgument, "\(f.name) is read-only") }
            let v = try r.uint(bytes: f.bytes)
            let full = OFMatchCodec.byteMask(f)
            let m = masked ? try r.uint(bytes: f.bytes) : full
            return [.setField(field: f, value: v & m, mask: m, origin: .setField)]
        case 28 where version >= 6:
            let n = Int(try r.u16()), so = Int(try r.u16()), d = Int(try r.u16())
            try r.skip(2)
            let (sf, _) = try pullHeader(&r)
            let (df, _) = try pullHeader(&r)
            return [.move(source: try subfield(sf, so, n), destination: try subfield(df, d, n))]
        case 29 where version >= 6: try expect(8); return [.meter(try r.u32())]
        default: throw OFDecodeError(.badActionType, "action type \(type)")
        }
    }

    static func subfield(_ f: OFField, _ ofs: Int, _ n: Int) throws(OFDecodeError) -> OFSubfield {
        guard n >= 1, ofs >= 0, ofs + n <= f.bits else { throw OFDecodeError(.badActionArgument, "subfield \(f.name)[\(ofs)+\(n)]") }
        return OFSubfield(field: f, offset: ofs, bits: n)
    }

    static func decodeExperimenter(_ r: inout OFReader, len: Int, version: UInt8) throws(OFDecodeError) -> [OFAction] {
        let vendor = try r.u32()
        guard vendor == nx else { throw OFDecodeError(.badActionVendor, "vendor \(vendor)") }
        let subtype = try r.u16()
        guard let sub = NX(rawValue: subtype) else { throw OFDecodeError(.badActionVendorType, "NXAST \(subtype)") }
        func expect(_ n: Int) throws(OFDecodeError) {
            if len != n { throw OFDecodeError(.badActionLength, "NXAST \(subtype) length \(len)") }
        }
        switch sub {
        case .resubmit:
            try expect(16)
            return [.resubmit(ResubmitAction(inPort: OFPort(rawValue: try r.u16()), table: 255))]
        case .resubmitTable, .resubmitTableCT:
            try expect(16)
            let p = try r.u16(), t = try r.u8()
            return [.resubmit(ResubmitAction(inPort: OFPort(rawValue: p), table: t, withConntrackOriginal: sub == .resubmitTableCT))]
        case .setTunnel:
            try expect(16); try r.skip(2); return [.setTunnel(UInt64(try r.u32()), is64: false)]
        case .setTunnel64:
            try expect(24); try r.skip(6); return [.setTunnel(try r.u64(), is64: true)]
        case .setQueue:
            try expect(16); try r.skip(2); return [.setQueue(try r.u32())]
        case .popQueue: try expect(16); return [.popQueue]
        case .group:
            try expect(16); try r.skip(2); return [.group(try r.u32())]
        case .regMove:
            let n = Int(try r.u16()), so = Int(try r.u16()), d = Int(try r.u16())
            let (sf, _) = try pullHeader(&r)
            let (df, _) = try pullHeader(&r)
            guard df.writable else { throw OFDecodeError(.badSetArgument, "\(df.name) is read-only") }
            return [.move(source: try subfield(sf, so, n), destination: try subfield(df, d, n))]
        case .regLoad:
            try expect(24)
            let on = Int(try r.u16())
            let (f, _) = try pullHeader(&r)
            let value = try r.u64()
            let ofs = on >> 6, n = (on & 0x3f) + 1
            guard ofs + n <= f.bits else { throw OFDecodeError(.badActionArgument, "load destination") }
            guard f.writable else { throw OFDecodeError(.badSetArgument, "\(f.name) is read-only") }
            guard n >= 64 || value >> UInt64(n) == 0 else { throw OFDecodeError(.badActionArgument, "load value") }
            let ones: UInt128 = (UInt128(1) << UInt128(n)) - 1
            return [.setField(field: f, value: UInt128(value) << UInt128(ofs), mask: ones << UInt128(ofs), origin: .load)]
        case .regLoad2:
            let (f, masked) = try pullHeader(&r)
            guard f.writable else { throw OFDecodeError(.badSetArgument, "\(f.name) is read-only") }
            let v = try r.uint(bytes: f.bytes)
            let m = masked ? try r.uint(bytes: f.bytes) : OFMatchCodec.byteMask(f)
            return [.setField(field: f, value: v & m, mask: m, origin: .load2)]
        case .note:
            return [.note(try r.take(r.remaining))]
        case .outputReg:
            try expect(24)
            let on = Int(try r.u16())
            let (f, _) = try pullHeader(&r)
            let ml = try r.u16()
            return [.outputRegister(source: try subfield(f, on >> 6, (on & 0x3f) + 1), maxLength: ml)]
        case .exit: try expect(16); return [.exit]
        case .decTTL: try expect(16); return [.decrementTTL(controllerIDs: [0], explicitIDs: false)]
        case .decTTLCntIDs:
            let n = Int(try r.u16()); try r.skip(4)
            guard 16 + (2 * n + 7) / 8 * 8 == len else { throw OFDecodeError(.badActionLength, "dec_ttl ids") }
            var ids: [UInt16] = []
            for _ in 0..<n { ids.append(try r.u16()) }
            return [.decrementTTL(controllerIDs: ids, explicitIDs: true)]
        case .finTimeout:
            try expect(16)
            var f = FinTimeoutAction(); f.idle = try r.u16(); f.hard = try r.u16()
            return [.finTimeout(f)]
        case .controller:
            try expect(16)
            var c = ControllerAction()
            c.maxLength = try r.u16(); c.controllerID = try r.u16(); c.reason = try r.u8()
            return [.controller(c)]
        case .controller2:
            try r.skip(6)
            var c = ControllerAction()
            while !r.isAtEnd {
                let t = try r.u16(), l = Int(try r.u16())
                guard l >= 4 else { throw OFDecodeError(.badActionLength, "controller property") }
                var p = try r.sub(l - 4)
                try r.skip(min(r.remaining, (8 - l % 8) % 8))
                switch t {
                case 0: c.maxLength = try p.u16()
                case 1: c.controllerID = try p.u16()
                case 2: c.reason = try p.u8()
                case 3: c.userdata = try p.take(p.remaining)
                case 4: c.pause = true
                case 5: c.meterID = try p.u32()
                default: throw OFDecodeError(.badActionArgument, "controller property \(t)")
                }
            }
            return [.controller(c)]
        case .writeMetadata:
            try expect(32); try r.skip(6)
            return [.writeMetadata(value: try r.u64(), mask: try r.u64())]
        case .pushMPLS:
            try expect(16); let t = try r.u16()
            guard t == 0x8847 || t == 0x8848 else { throw OFDecodeError(.badActionArgument, "push_mpls ethertype") }
            return [.pushMPLS(ethertype: t)]
        case .popMPLS: try expect(16); return [.popMPLS(ethertype: try r.u16())]
        case .setMPLSTTL: try expect(16); return [.setMPLSTTL(try r.u8())]
        case .decMPLSTTL: try expect(16); return [.decrementMPLSTTL]
        case .setMPLSLabel: try expect(16); try r.skip(2); return [.setMPLSLabel(try r.u32())]
        case .setMPLSTC: try expect(16); return [.setMPLSTC(try r.u8())]
        case .stackPush, .stackPop:
            try expect(24)
            let ofs = Int(try r.u16())
            let (f, _) = try pullHeader(&r)
            let n = Int(try r.u16())
            let sf = try subfield(f, ofs, n)
            return [sub == .stackPush ? .stackPush(sf) : .stackPop(sf)]
        case .conjunction:
            try expect(16)
            let clause = try r.u8(), n = try r.u8(), id = try r.u32()
            guard n >= 2, n <= 64, clause < n else { throw OFDecodeError(.badActionArgument, "conjunction") }
            return [.conjunction(id: id, clause: clause, clauseCount: n)]
        case .ct:
            guard len >= 24 else { throw OFDecodeError(.badActionLength, "ct") }
            var c = ConntrackAction()
            let flags = try r.u16()
            c.commit = flags & 1 != 0; c.force = flags & 2 != 0
            if let h = r.peek32(), h != 0 {
                let (f, _) = try pullHeader(&r)
                let on = Int(try r.u16())
                c.zoneSource = try subfield(f, on >> 6, (on & 0x3f) + 1)
            } else {
                try r.skip(4); c.zone = try r.u16()
            }
            c.recirculationTable = try r.u8(); try r.skip(3); c.alg = try r.u16()
            var inner = r.rest()
            c.actions = try decodeActions(&inner, version: version)
            return [.conntrack(c)]
        case .nat:
            try r.skip(2)
            let flags = try r.u16(), present = try r.u16()
            var n = NATAction()
            if flags & 1 != 0 { n.kind = .source } else if flags & 2 != 0 { n.kind = .destination }
            n.persistent = flags & 4 != 0; n.hash = flags & 8 != 0; n.random = flags & 16 != 0
            if present & 1 != 0 { n.addressMin = .v4(try r.u32()) }
            if present & 2 != 0 { n.addressMax = .v4(try r.u32()) }
            if present & 4 != 0 { n.addressMin = .v6(try r.uint(bytes: 16)) }
            if present & 8 != 0 { n.addressMax = .v6(try r.uint(bytes: 16)) }
            if present & 16 != 0 { n.portMin = try r.u16() }
            if present & 32 != 0 { n.portMax = try r.u16() }
            return [.nat(n)]
        case .outputTrunc:
            try expect(16)
            return [.outputTruncate(port: OFPort(rawValue: try r.u16()), maxLength: try r.u32())]
        case .clone:
            try r.skip(6)
            var inner = r.rest()
            return [.clone(try decodeActions(&inner, version: version))]
        case .ctClear: try expect(16); return [.conntrackClear]
        case .learn, .learn2:
            return [try decodeLearn(&r, two: sub == .learn2)]
        case .multipath:
            try expect(32)
            let fields = Int(try r.u16()), basis = try r.u16(); try r.skip(2)
            let alg = Int(try r.u16()), maxLink = try r.u16(), arg = try r.u32(); try r.skip(2)
            let on = Int(try r.u16())
            let (f, _) = try pullHeader(&r)
            guard fields < hashFields.count, alg < multipathAlgorithms.count else {
                throw OFDecodeError(.badActionArgument, "multipath")
            }
            return [.multipath(MultipathAction(fields: hashFields[fields], basis: basis, algorithm: multipathAlgorithms[alg],
                                               maxLink: maxLink, argument: arg,
                                               destination: try subfield(f, on >> 6, (on & 0x3f) + 1)))]
        case .bundle, .bundleLoad:
            let alg = try r.u16(), fields = Int(try r.u16()), basis = try r.u16()
            let memberType = try r.u32(), n = Int(try r.u16()), on = Int(try r.u16())
            guard alg <= 1, fields < hashFields.count, memberType == 2 else { throw OFDecodeError(.badActionArgument, "bundle") }
            var dst: OFSubfield? = nil
            if sub == .bundleLoad {
                let (f, _) = try pullHeader(&r)
                dst = try subfield(f, on >> 6, (on & 0x3f) + 1)
            } else {
                try r.skip(4)
            }
            try r.skip(4)
            guard len == (32 + 2 * n + 7) / 8 * 8 else { throw OFDecodeError(.badActionLength, "bundle members") }
            var members: [OFPort] = []
            for _ in 0..<n { members.append(OFPort(rawValue: try r.u16())) }
            return [.bundle(BundleAction(fields: hashFields[fields], basis: basis, algorithm: alg == 1 ? "hrw" : "active_backup",
                                         destination: dst, members: members))]
        case .sample, .sample2, .sample3:
            try expect(sub == .sample ? 24 : 32)
            var a = SampleAction()
            a.probability = try r.u16(); a.collectorSetID = try r.u32()
            a.observationDomainID = try r.u32(); a.observationPointID = try r.u32()
            if sub != .sample {
                a.samplingPort = OFPort(rawValue: try r.u16())
                let d = try r.u8()
                a.direction = sub == .sample3 ? d : 0
                guard a.direction <= 2 else { throw OFDecodeError(.badActionArgument, "sample direction") }
            }
            guard a.probability != 0 else { throw OFDecodeError(.badActionArgument, "sample probability") }
            return [.sample(a)]
        case .checkPacketLarger:
            try expect(24)
            let length = try r.u16(), ofs = Int(try r.u16())
            let (f, _) = try pullHeader(&r)
            return [.checkPacketLarger(length: length, destination: try subfield(f, ofs, 1))]
        case .debugRecirc: return [.debugRecirculate]
        case .debugSlow: return [.debugSlowPath]
        }
    }

    /// Decodes OpenFlow 1.1+ instructions into one `ofpacts` list.
    public static func decodeInstructions(_ r: inout OFReader, version: UInt8) throws(OFDecodeError) -> [OFAction] {
        guard r.remaining % 8 == 0 else { throw OFDecodeError(.badRequestLength, "instructions length \(r.remaining)") }
        var seen = Set<UInt16>()
        var parts: [(InstructionKind, [OFAction])] = []
        while !r.isAtEnd {
            var i = try r.element("instruction", error: .badInstructionLength)
            let type = try i.u16(), len = Int(try i.u16())
            guard seen.insert(type).inserted else { throw OFDecodeError(.duplicateInstruction, "instruction \(type)") }
            switch type {
            case 1:
                guard len == 8 else { throw OFDecodeError(.badInstructionLength, "goto_table") }
                parts.append((.gotoTable, [.gotoTable(try i.u8())]))
            case 2:
                guard len == 24 else { throw OFDecodeError(.badInstructionLength, "write_metadata") }
                try i.skip(4)
                parts.append((.writeMetadata, [.writeMetadata(value: try i.u64(), mask: try i.u64())]))
            case 3:
                try i.skip(4)
                parts.append((.writeActions, [.writeActions(try decodeActions(&i, version: version))]))
            case 4:
                try i.skip(4)
                parts.append((.applyActions, try decodeActions(&i, version: version)))
            case 5:
                guard len == 8 else { throw OFDecodeError(.badInstructionLength, "clear_actions") }
                parts.append((.clearActions, [.clearActions]))
            case 6 where version >= 4:
                guard len == 8 else { throw OFDecodeError(.badInstructionLength, "meter") }
                parts.append((.meter, [.meter(try i.u32())]))
            default:
                throw OFDecodeError(.unknownInstruction, "instruction \(type)")
            }
        }
        parts.sort { $0.0 < $1.0 }
        return parts.flatMap { $0.1 }
    }
}
