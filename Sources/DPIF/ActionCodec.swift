import Flow
import Datapath
import Wire

/// `OVS_ACTION_ATTR_*`: datapath action attribute numbers (the uapi's,
/// including the user-space-only ones from 23 on).
public enum OVSActionAttribute {
    public static let output: UInt16 = 1
    public static let userspace: UInt16 = 2
    public static let set: UInt16 = 3
    public static let pushVLAN: UInt16 = 4
    public static let popVLAN: UInt16 = 5
    public static let sample: UInt16 = 6
    public static let recirculate: UInt16 = 7
    public static let hash: UInt16 = 8
    public static let pushMPLS: UInt16 = 9
    public static let popMPLS: UInt16 = 10
    public static let setMasked: UInt16 = 11
    public static let conntrack: UInt16 = 12
    public static let truncate: UInt16 = 13
    public static let pushEthernet: UInt16 = 14
    public static let popEthernet: UInt16 = 15
    public static let conntrackClear: UInt16 = 16
    public static let pushNSH: UInt16 = 17
    public static let popNSH: UInt16 = 18
    public static let meter: UInt16 = 19
    public static let clone: UInt16 = 20
    public static let checkPacketLength: UInt16 = 21
    public static let addMPLS: UInt16 = 22
    public static let tunnelPush: UInt16 = 23
    public static let tunnelPop: UInt16 = 24
    public static let drop: UInt16 = 25
    public static let loadBalancedOutput: UInt16 = 26
}

/// Nested attribute numbers of the actions that nest.
enum UserspaceAttr {
    static let pid: UInt16 = 1, userdata: UInt16 = 2, egressTunnelPort: UInt16 = 3, actions: UInt16 = 4
}
enum SampleAttr {
    static let probability: UInt16 = 1, actions: UInt16 = 2
}
enum CheckPacketLengthAttr {
    static let length: UInt16 = 1, ifGreater: UInt16 = 2, ifLessOrEqual: UInt16 = 3
}
enum ConntrackAttr {
    static let commit: UInt16 = 1, zone: UInt16 = 2, mark: UInt16 = 3, labels: UInt16 = 4
    static let helper: UInt16 = 5, nat: UInt16 = 6, forceCommit: UInt16 = 7, eventMask: UInt16 = 8
    static let timeout: UInt16 = 9
}
enum NATAttr {
    static let source: UInt16 = 1, destination: UInt16 = 2, ipMin: UInt16 = 3, ipMax: UInt16 = 4
    static let protoMin: UInt16 = 5, protoMax: UInt16 = 6, persistent: UInt16 = 7
    static let protoHash: UInt16 = 8, protoRandom: UInt16 = 9
}

/// Encodes and decodes lists of `DatapathAction` as `OVS_ACTION_ATTR_*`
/// attributes, nested where Open vSwitch nests them.
public enum DatapathActionCodec {
    /// The attributes of `actions` (the payload of an `ACTIONS` attribute).
    public static func encode(_ actions: [DatapathAction]) throws(TLVError) -> [UInt8] {
        var e = TLVEncoder()
        e.putActions(actions)
        return try e.finish()
    }

    /// Reads a list of actions (the payload of an `ACTIONS` attribute).
    public static func decode(_ bytes: [UInt8]) throws(TLVError) -> [DatapathAction] {
        try decode(TLVAttributeList(parsing: bytes), depth: 0)
    }

    static func decode(_ list: TLVAttributeList, depth: Int) throws(TLVError) -> [DatapathAction] {
        guard depth <= TLV.maximumNesting else { throw .nestingTooDeep(offset: list.startOffset) }
        var out: [DatapathAction] = []
        out.reserveCapacity(list.count)
        for a in list { out.append(try decodeAction(a, depth: depth)) }
        return out
    }

    private static func decodeAction(_ a: TLVAttribute, depth: Int) throws(TLVError) -> DatapathAction {
        typealias A = OVSActionAttribute
        switch a.type {
        case A.output: return .output(DatapathPort(try a.u32()))
        case A.userspace: return .userspace(try userspace(a.nested()))
        case A.set:
            return .set(try SetField(attribute: single(a)))
        case A.setMasked:
            return .setMasked(try MaskedSetField(attribute: single(a)))
        case A.pushVLAN:
            var r = ByteReader(try a.fixed(4))
            guard let tpid = VLANTagProtocol(rawValue: r.be16()) else {
                throw .badValue(type: a.type, offset: a.offset)
            }
            return .pushVLAN(VLANPush(tagProtocol: tpid, tci: r.be16()))
        case A.popVLAN: try a.flag(); return .popVLAN
        case A.sample:
            let list = try a.nested()
            let probability = try list.required(SampleAttr.probability).u32()
            let actions = try decode(list.required(SampleAttr.actions).nested(), depth: depth + 1)
            return .sample(SampleAction(probability: probability, actions: actions))
        case A.recirculate: return .recirculate(try a.u32())
        case A.hash:
            var r = ByteReader(try a.fixed(8))
            return .hash(HashAction(algorithm: HashAlgorithm(rawValue: r.le32()), basis: r.le32()))
        case A.pushMPLS:
            var r = ByteReader(try a.fixed(8))
            let entry = MPLSLabelStackEntry(rawValue: r.be32())
            return .pushMPLS(MPLSPush(entry: entry, etherType: EtherType(rawValue: r.be16())))
        case A.popMPLS: return .popMPLS(EtherType(rawValue: try a.be16()))
        case A.addMPLS:
            var r = ByteReader(try a.fixed(8))
            let entry = MPLSLabelStackEntry(rawValue: r.be32())
            let etherType = EtherType(rawValue: r.be16())
            let flags = r.le16()
            return .addMPLS(MPLSAdd(entry: entry, etherType: etherType, isL3Tunnel: flags & 1 != 0))
        case A.conntrack: return .conntrack(try conntrack(a.nested()))
        case A.conntrackClear: try a.flag(); return .conntrackClear
        case A.truncate: return .truncate(try a.u32())
        case A.pushEthernet: return .pushEthernet(try a.value())
        case A.popEthernet: try a.flag(); return .popEthernet
        case A.meter: return .meter(MeterID(try a.u32()))
        case A.clone: return .clone(try decode(a.nested(), depth: depth + 1))
        case A.checkPacketLength:
            let list = try a.nested()
            let length = try list.required(CheckPacketLengthAttr.length).u16()
            let greater = try decode(list.required(CheckPacketLengthAttr.ifGreater).nested(), depth: depth + 1)
            let lessOrEqual = try decode(list.required(CheckPacketLengthAttr.ifLessOrEqual).nested(),
                                         depth: depth + 1)
            return .checkPacketLength(CheckPacketLength(length: length, ifGreater: greater,
                                                        ifLessOrEqual: lessOrEqual))
        case A.tunnelPush:
            let p = a.payload
            guard p.count >= 16 else { throw .badLength(type: a.type, offset: a.offset) }
            var r = ByteReader(p)
            let tunnelPort = DatapathPort(r.le32())
            let outPort = DatapathPort(r.le32())
            let headerLength = Int(r.le32())
            let tunnelType = TunnelType(rawValue: r.le32())
            guard headerLength == p.count - 16, headerLength <= TunnelPush.maximumHeaderLength else {
                throw .badValue(type: a.type, offset: a.offset)
            }
            return .tunnelPush(TunnelPush(tunnelPort: tunnelPort, outPort: outPort, tunnelType: tunnelType,
                                          header: Array(p.dropFirst(16))))
        case A.tunnelPop: return .tunnelPop(DatapathPort(try a.u32()))
        case A.drop: return .drop(DropCode(rawValue: try a.u32()))
        case A.loadBalancedOutput: return .loadBalancedOutput(bondID: try a.u32())
        default: throw .unexpectedType(a.type, offset: a.offset)
        }
    }

    /// The one attribute nested in a `set`/`set_masked`.
    private static func single(_ a: TLVAttribute) throws(TLVError) -> TLVAttribute {
        let list = try a.nested()
        guard list.count == 1, let inner = list.attributes.first else {
            throw .badValue(type: a.type, offset: a.offset)
        }
        return inner
    }

    private static func userspace(_ list: TLVAttributeList) throws(TLVError) -> UserspaceAction {
        UserspaceAction(pid: try list.required(UserspaceAttr.pid).u32(),
                        userdata: list[UserspaceAttr.userdata]?.bytes(),
                        egressTunnelPort: try list.optional(UserspaceAttr.egressTunnelPort) { (a) throws(TLVError) in
                            DatapathPort(try a.u32())
                        },
                        includesActions: try list.flag(UserspaceAttr.actions))
    }

    private static func conntrack(_ list: TLVAttributeList) throws(TLVError) -> ConntrackAction {
        typealias C = ConntrackAttr
        var ct = ConntrackAction()
        ct.commit = try list.flag(C.commit)
        ct.forceCommit = try list.flag(C.forceCommit)
        ct.zone = try list.optional(C.zone) { (a) throws(TLVError) in try a.u16() } ?? 0
        ct.mark = try list.optional(C.mark) { (a) throws(TLVError) in try a.masked(UInt32.self) }
        ct.labels = try list.optional(C.labels) { (a) throws(TLVError) in
            var r = ByteReader(try a.fixed(32))
            let value = r.u128BE()
            return Masked(value, mask: r.u128BE())
        }
        ct.helper = try list.optional(C.helper) { (a) throws(TLVError) in try a.string() }
        ct.timeoutPolicy = try list.optional(C.timeout) { (a) throws(TLVError) in try a.string() }
        ct.eventMask = try list.optional(C.eventMask) { (a) throws(TLVError) in try a.u32() }
        ct.nat = try list.optional(C.nat) { (a) throws(TLVError) in try nat(a.nested()) }
        return ct
    }

    private static func nat(_ list: TLVAttributeList) throws(TLVError) -> NATAction {
        typealias N = NATAttr
        var nat = NATAction()
        let isSource = try list.flag(N.source)
        let isDestination = try list.flag(N.destination)
        switch (isSource, isDestination) {
        case (true, true):
            throw .badValue(type: N.destination, offset: list[N.destination]?.offset ?? list.startOffset)
        case (true, false): nat.kind = .source
        case (false, true): nat.kind = .destination
        case (false, false): nat.kind = nil
        }
        nat.minimumAddress = try list.optional(N.ipMin, natAddress)
        nat.maximumAddress = try list.optional(N.ipMax, natAddress)
        nat.minimumPort = try list.optional(N.protoMin) { (a) throws(TLVError) in try a.u16() }
        nat.maximumPort = try list.optional(N.protoMax) { (a) throws(TLVError) in try a.u16() }
        nat.isPersistent = try list.flag(N.persistent)
        nat.usesHashedPorts = try list.flag(N.protoHash)
        nat.usesRandomPorts = try list.flag(N.protoRandom)
        return nat
    }

    private static func natAddress(_ a: TLVAttribute) throws(TLVError) -> NATAddress {
        var r = ByteReader(a.payload)
        switch a.payload.count {
        case 4: return .ipv4(r.ipv4())
        case 16: return .ipv6(r.ipv6())
        default: throw .badLength(type: a.type, offset: a.offset)
        }
    }
}

extension TLVEncoder {
    /// Writes each action as an `OVS_ACTION_ATTR_*` attribute.
    public mutating func putActions(_ actions: [DatapathAction]) {
        for action in actions { putAction(action) }
    }

    /// A nested attribute of type `type` holding `actions`.
    public mutating func putActions(_ type: UInt16, _ actions: [DatapathAction]) {
        putNested(type) { $0.putActions(actions) }
    }

    mutating func putAction(_ action: DatapathAction) {
        typealias A = OVSActionAttribute
        switch action {
        case .output(let port): putU32(A.output, port.rawValue)
        case .userspace(let u):
            putNested(A.userspace) { e in
                e.putU32(UserspaceAttr.pid, u.pid)
                if let data = u.userdata { e.put(UserspaceAttr.userdata, bytes: data) }
                if let port = u.egressTunnelPort { e.putU32(UserspaceAttr.egressTunnelPort, port.rawValue) }
                if u.includesActions { e.putFlag(UserspaceAttr.actions) }
            }
        case .set(let field): putNested(A.set) { field.encode(into: &$0) }
        case .setMasked(let field): putNested(A.setMasked) { field.encode(into: &$0) }
        case .pushVLAN(let v):
            put(A.pushVLAN) {
                $0.appendBigEndian(UInt64(v.tagProtocol.rawValue), 2)
                $0.appendBigEndian(UInt64(v.tci), 2)
            }
        case .popVLAN: putFlag(A.popVLAN)
        case .sample(let s):
            putNested(A.sample) { e in
                e.putU32(SampleAttr.probability, s.probability)
                e.putActions(SampleAttr.actions, s.actions)
            }
        case .recirculate(let id): putU32(A.recirculate, id)
        case .hash(let h):
            put(A.hash) {
                $0.appendLittleEndian(UInt64(h.algorithm.rawValue), 4)
                $0.appendLittleEndian(UInt64(h.basis), 4)
            }
        case .pushMPLS(let m):
            put(A.pushMPLS) {
                $0.appendBigEndian(UInt64(m.entry.rawValue), 4)
                $0.appendBigEndian(UInt64(m.etherType.rawValue), 2)
                $0.appendZeros(2)
            }
        case .popMPLS(let etherType): putBE16(A.popMPLS, etherType.rawValue)
        case .addMPLS(let m):
            put(A.addMPLS) {
                $0.appendBigEndian(UInt64(m.entry.rawValue), 4)
                $0.appendBigEndian(UInt64(m.etherType.rawValue), 2)
                $0.appendLittleEndian(m.isL3Tunnel ? 1 : 0, 2)
            }
        case .conntrack(let ct): putNested(A.conntrack) { $0.putConntrack(ct) }
        case .conntrackClear: putFlag(A.conntrackClear)
        case .truncate(let length): putU32(A.truncate, length)
        case .pushEthernet(let k): putFixed(A.pushEthernet, k)
        case .popEthernet: putFlag(A.popEthernet)
        case .meter(let id): putU32(A.meter, id.rawValue)
        case .clone(let actions): putActions(A.clone, actions)
        case .checkPacketLength(let c):
            putNested(A.checkPacketLength) { e in
                e.putU16(CheckPacketLengthAttr.length, c.length)
                e.putActions(CheckPacketLengthAttr.ifGreater, c.ifGreater)
                e.putActions(CheckPacketLengthAttr.ifLessOrEqual, c.ifLessOrEqual)
            }
        case .tunnelPush(let t):
            put(A.tunnelPush) {
                $0.appendLittleEndian(UInt64(t.tunnelPort.rawValue), 4)
                $0.appendLittleEndian(UInt64(t.outPort.rawValue), 4)
                $0.appendLittleEndian(UInt64(t.header.count), 4)
                $0.appendLittleEndian(UInt64(t.tunnelType.rawValue), 4)
                $0 += t.header
            }
        case .tunnelPop(let port): putU32(A.tunnelPop, port.rawValue)
        case .drop(let code): putU32(A.drop, code.rawValue)
        case .loadBalancedOutput(let bond): putU32(A.loadBalancedOutput, bond)
        }
    }

    mutating func putConntrack(_ ct: ConntrackAction) {
        typealias C = ConntrackAttr
        if ct.commit { putFlag(C.commit) }
        if ct.forceCommit { putFlag(C.forceCommit) }
        if ct.zone != 0 { putU16(C.zone, ct.zone) }
        if let mark = ct.mark { putMasked(C.mark, mark) }
        if let labels = ct.labels {
            put(C.labels) {
                $0.appendBigEndian(labels.value)
                $0.appendBigEndian(labels.mask)
            }
        }
        if let helper = ct.helper { putString(C.helper, helper) }
        if let timeout = ct.timeoutPolicy { putString(C.timeout, timeout) }
        if let mask = ct.eventMask { putU32(C.eventMask, mask) }
        if let nat = ct.nat {
            putNested(C.nat) { e in
                typealias N = NATAttr
                switch nat.kind {
                case .source: e.putFlag(N.source)
                case .destination: e.putFlag(N.destination)
                case nil: break
                }
                if let a = nat.minimumAddress { e.putNATAddress(N.ipMin, a) }
                if let a = nat.maximumAddress { e.putNATAddress(N.ipMax, a) }
                if let p = nat.minimumPort { e.putU16(N.protoMin, p) }
                if let p = nat.maximumPort { e.putU16(N.protoMax, p) }
                if nat.isPersistent { e.putFlag(N.persistent) }
                if nat.usesHashedPorts { e.putFlag(N.protoHash) }
                if nat.usesRandomPorts { e.putFlag(N.protoRandom) }
            }
        }
    }

    mutating func putNATAddress(_ type: UInt16, _ address: NATAddress) {
        switch address {
        case .ipv4(let a): put(type) { $0.append(a) }
        case .ipv6(let a): put(type) { $0.append(a) }
        }
    }
}
