import Flow
import Wire

/// Why flow key or mask attributes could not be decoded.
public enum FlowKeyCodecError: Error, Hashable, Sendable {
    /// The bytes are not well-formed attributes.
    case tlv(TLVError)
    /// The attributes do not describe a flow the datapath accepts
    /// (`odp_flow_key_to_flow`'s errors and imperfect fits).
    case key(DatapathKeyError)
}

/// `FlowKey`/`FlowMask` ↔ `OVS_KEY_ATTR_*` attributes, as the datapath
/// interface carries them (`OVS_FLOW_ATTR_KEY`, `OVS_FLOW_ATTR_MASK`,
/// `OVS_PACKET_ATTR_KEY`): Open vSwitch's `odp_flow_key_from_flow`,
/// `odp_flow_key_from_mask`, `odp_flow_key_to_flow` and
/// `odp_flow_key_to_mask`. VLAN headers nest in `ENCAP`; the tunnel key is a
/// nested `TUNNEL` attribute; the mask has the key's shape.
///
/// `vlanLimit` is OVS's `other_config:vlan-limit` (1 by default; 0 allows
/// the most the key holds, 2).
public enum FlowKeyCodec {
    /// Types whose payload is attributes, at the key level and inside `TUNNEL`.
    static func isNested(_ type: UInt16, insideTunnel: Bool) -> Bool {
        insideTunnel ? type == DatapathTunnelAttributeType.vxlanOptions
            : type == DatapathKeyAttributeType.encap || type == DatapathKeyAttributeType.tunnel
                || type == DatapathKeyAttributeType.nsh
    }

    /// The key and mask attributes of a flow.
    public static func encode(key: FlowKey, mask: FlowMask, vlanLimit: Int = 1) -> (key: KeyAttributes, mask: KeyAttributes) {
        let (k, m) = DatapathKeyAttributes.encode(key: key, mask: mask, vlanLimit: vlanLimit)
        return (KeyAttributes(bytes: bytes(of: k)), KeyAttributes(bytes: bytes(of: m)))
    }

    /// The key attributes of an exact flow (a packet's key).
    public static func encode(key: FlowKey, vlanLimit: Int = 1) -> KeyAttributes {
        KeyAttributes(bytes: bytes(of: DatapathKeyAttributes.encode(key: key, vlanLimit: vlanLimit)))
    }

    /// The flow a key and (optional) mask describe; no mask means exact.
    public static func decode(key: KeyAttributes, mask: KeyAttributes?, vlanLimit: Int = 1) throws(FlowKeyCodecError) -> (key: FlowKey, mask: FlowMask) {
        let k: [DatapathKeyAttribute]
        var m: [DatapathKeyAttribute]? = nil
        do {
            k = try attributes(parsing: key.bytes)
            if let mask, !mask.bytes.isEmpty { m = try attributes(parsing: mask.bytes) }
        } catch {
            throw .tlv(error)
        }
        do {
            return try DatapathKeyAttributes.decode(key: k, mask: m, vlanLimit: vlanLimit)
        } catch {
            throw .key(error)
        }
    }

    /// The attributes of `bytes`, nested ones opened (at most `TLV.maximumNesting` deep).
    public static func attributes(parsing bytes: [UInt8]) throws(TLVError) -> [DatapathKeyAttribute] {
        try attributes(try TLVAttributeList(parsing: bytes), depth: 0, insideTunnel: false)
    }

    static func attributes(_ list: TLVAttributeList, depth: Int, insideTunnel: Bool) throws(TLVError) -> [DatapathKeyAttribute] {
        var out: [DatapathKeyAttribute] = []
        out.reserveCapacity(list.count)
        for a in list {
            if isNested(a.type, insideTunnel: insideTunnel) {
                guard depth < TLV.maximumNesting else { throw .nestingTooDeep(offset: a.offset) }
                let inner = try attributes(try a.nested(), depth: depth + 1,
                                           insideTunnel: insideTunnel || a.type == DatapathKeyAttributeType.tunnel)
                out.append(DatapathKeyAttribute(type: a.type, nested: inner))
            } else {
                out.append(DatapathKeyAttribute(type: a.type, payload: Array(a.payload)))
            }
        }
        return out
    }

    /// The attributes as TLV bytes.
    public static func bytes(of attributes: [DatapathKeyAttribute]) -> [UInt8] {
        var e = TLVEncoder()
        put(attributes, into: &e)
        return e.bytes
    }

    static func put(_ attributes: [DatapathKeyAttribute], into e: inout TLVEncoder) {
        for a in attributes {
            if let inner = a.nested {
                e.putNested(a.type) { put(inner, into: &$0) }
            } else {
                e.put(a.type, bytes: a.payload)
            }
        }
    }
}

extension KeyAttributes {
    /// Wraps bytes the codec wrote (well-formed by construction).
    init(bytes: [UInt8]) {
        self.init { $0.appendRaw(bytes) }
    }
}
