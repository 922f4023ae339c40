import Flow

/// OpenFlow fields as `set_field`, `load`, `move`, `learn` and the OpenFlow
/// wire codec see them: Open vSwitch's `mf_field` table
/// (`include/openvswitch/meta-flow.h`): names, widths, masking,
/// prerequisites, writability, NXM/OXM code points and OpenFlow 1.0/1.1
/// support. The table below is the data of that header; matching itself
/// lives in `Flow` (`Match`).

/// An NXM or OXM header: class, field number and, for experimenter OXMs, the
/// experimenter ID. `sinceVersion` is the OpenFlow wire version (3 = 1.2,
/// 4 = 1.3, 6 = 1.5) from which the OXM form is used; 0 for NXM headers.
public struct OXMHeader: Hashable, Sendable {
    /// The header's name (`NXM_OF_ETH_SRC`, `OXM_OF_TCP_DST`, ...).
    public let name: String
    /// The OXM class: 0x0000 NXM_OF, 0x0001 NXM_NX, 0x8000 OpenFlow basic,
    /// 0x8001 packet registers, 0xffff experimenter.
    public let classID: UInt16
    /// The field number within the class (7 bits).
    public let field: UInt8
    /// The experimenter ID of an experimenter OXM (0x00002320 Nicira,
    /// 0x4f4e4600 ONF), else 0.
    public let experimenter: UInt32
    /// Wire version from which this header is used (0: any).
    public let sinceVersion: UInt8

    public init(name: String, classID: UInt16, field: UInt8, experimenter: UInt32, sinceVersion: UInt8) {
        self.name = name
        self.classID = classID
        self.field = field
        self.experimenter = experimenter
        self.sinceVersion = sinceVersion
    }

    /// True for experimenter OXMs (which `NXAST_REG_LOAD` cannot carry).
    public var isExperimenter: Bool { classID == 0xffff }
}

/// How a field's value is written in text (`enum mf_string`).
public enum OFFieldFormat: Sendable {
    case decimal, hexadecimal, ipv4, ipv6, ethernet
    case ofp10Port, ofp11Port
    case fragment, tunnelFlags, tcpFlags, ctState, packetType
}

/// What a packet must be for a field to exist (`enum mf_prereqs`).
public enum OFFieldPrerequisite: Sendable {
    case none, ethernet, vlanVID, mpls, ipv4, ipv6, ip, arp
    case tcp, udp, sctp, icmpv4, icmpv6, nd, ndSolicit, ndAdvert, nsh, conntrack
}

/// How OpenFlow 1.0 / 1.1 can match a field (`enum mf_maskable` for those versions).
public enum OFLegacySupport: Sendable {
    case none, exact, cidr, bitwise
}

/// One OpenFlow field.
public struct OFField: Hashable, Sendable, CustomStringConvertible {
    /// Index in `OFField.all`.
    public let id: Int
    /// Open vSwitch's name (`eth_src`, `reg3`, `tcp_dst`).
    public let name: String
    /// The other accepted name (`dl_src`, `tp_dst`), if any.
    public let alias: String?
    /// Width in bytes of the field's value.
    public let bytes: Int
    /// Significant bits (less than `bytes * 8` for `vlan_vid`, `mpls_label`, ...).
    public let bits: Int
    /// True if matches may mask it bit by bit.
    public let maskable: Bool
    /// How values are written.
    public let format: OFFieldFormat
    /// What the packet must be for the field to exist.
    public let prerequisite: OFFieldPrerequisite
    /// True if actions may write it (`set_field`, `load`, `move` destination).
    public let writable: Bool
    /// True for variable-length fields (tunnel metadata).
    public let variableLength: Bool
    /// The Nicira extensible match header, if the field has one.
    public let nxm: OXMHeader?
    /// The OpenFlow 1.2+ header, if the field has one.
    public let oxm: OXMHeader?
    /// OpenFlow 1.0 matching support.
    public let of10: OFLegacySupport
    /// OpenFlow 1.1 matching support.
    public let of11: OFLegacySupport

    public var description: String { name }
    public static func == (a: OFField, b: OFField) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// All ones over the field's significant bits.
    public var allOnes: UInt128 { bits >= 128 ? .max : (UInt128(1) << UInt128(bits)) - 1 }

    /// The name `load`/`move`/`output:` print for the field
    /// (`mf_format_subfield`): the NXM header's name when the field has a
    /// non-OXM-only header usable in OpenFlow 1.0, else the first header's name, else `name`.
    public var subfieldName: String {
        if let nxm { return nxm.name }
        if let oxm { return oxm.name }
        return name
    }

    /// Looks a field up by its name or alias (`mf_from_name`).
    public static func named(_ name: String) -> OFField? { byName[name] }

    /// Looks a field up by an NXM/OXM header name (`nxm_field_by_name`), as
    /// `load:`/`move:` subfields are written (`NXM_NX_REG0`, `OXM_OF_TCP_DST`).
    public static func headerNamed(_ name: String) -> OFField? { byHeaderName[name] }

    private static let byName: [String: OFField] = {
        var d: [String: OFField] = [:]
        for f in all {
            d[f.name] = f
            if let a = f.alias { d[a] = f }
        }
        return d
    }()

    private static let byHeaderName: [String: OFField] = {
        var d: [String: OFField] = [:]
        for f in all {
            if let h = f.nxm, d[h.name] == nil { d[h.name] = f }
            if let h = f.oxm, d[h.name] == nil { d[h.name] = f }
        }
        for (name, field) in extraHeaderNames { if let f = OFField.named(field) { d[name] = f } }
        return d
    }()

    /// Headers that a field has besides its first NXM and OXM ones.
    private static let extraHeaderNames: [(String, String)] = [
        ("OXM_OF_TCP_FLAGS", "tcp_flags"), ("OXM_OF_ACTSET_OUTPUT", "actset_output"),
    ]

    /// Every field, in Open vSwitch's order.
    public static let all: [OFField] = [
        OFField(id: 0, name: "dp_hash", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_DP_HASH", classID: 0x0001, field: 35, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "NXOXM_ET_DP_HASH", classID: 0xffff, field: 0, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 1, name: "recirc_id", alias: nil, bytes: 4, bits: 32, maskable: false, format: .decimal, prerequisite: .none, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_RECIRC_ID", classID: 0x0001, field: 36, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 2, name: "packet_type", alias: nil, bytes: 4, bits: 32, maskable: false, format: .packetType, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PACKET_TYPE", classID: 0x8000, field: 44, experimenter: 0, sinceVersion: 6), of10: .none, of11: .none),
        OFField(id: 3, name: "conj_id", alias: nil, bytes: 4, bits: 32, maskable: false, format: .decimal, prerequisite: .none, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CONJ_ID", classID: 0x0001, field: 37, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 4, name: "tun_id", alias: "tunnel_id", bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_ID", classID: 0x0001, field: 16, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_TUNNEL_ID", classID: 0x8000, field: 38, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 5, name: "tun_src", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_IPV4_SRC", classID: 0x0001, field: 31, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 6, name: "tun_dst", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_IPV4_DST", classID: 0x0001, field: 32, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 7, name: "tun_ipv6_src", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_IPV6_SRC", classID: 0x0001, field: 109, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 8, name: "tun_ipv6_dst", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_IPV6_DST", classID: 0x0001, field: 110, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 9, name: "tun_flags", alias: nil, bytes: 2, bits: 1, maskable: true, format: .tunnelFlags, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_FLAGS", classID: 0x0001, field: 104, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 10, name: "tun_ttl", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: nil, of10: .none, of11: .none),
        OFField(id: 11, name: "tun_tos", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: nil, of10: .none, of11: .none),
        OFField(id: 12, name: "tun_gbp_id", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_GBP_ID", classID: 0x0001, field: 38, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 13, name: "tun_gbp_flags", alias: nil, bytes: 1, bits: 8, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TUN_GBP_FLAGS", classID: 0x0001, field: 39, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 14, name: "tun_erspan_idx", alias: nil, bytes: 4, bits: 20, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_ET_ERSPAN_IDX", classID: 0xffff, field: 11, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 15, name: "tun_erspan_ver", alias: nil, bytes: 1, bits: 4, maskable: true, format: .decimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_ET_ERSPAN_VER", classID: 0xffff, field: 12, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 16, name: "tun_erspan_dir", alias: nil, bytes: 1, bits: 1, maskable: true, format: .decimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_ET_ERSPAN_DIR", classID: 0xffff, field: 13, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 17, name: "tun_erspan_hwid", alias: nil, bytes: 1, bits: 6, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_ET_ERSPAN_HWID", classID: 0xffff, field: 14, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 18, name: "tun_gtpu_flags", alias: nil, bytes: 1, bits: 8, maskable: true, format: .hexadecimal, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_ET_GTPU_FLAGS", classID: 0xffff, field: 15, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 19, name: "tun_gtpu_msgtype", alias: nil, bytes: 1, bits: 8, maskable: true, format: .decimal, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_ET_GTPU_MSGTYPE", classID: 0xffff, field: 16, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 20, name: "tun_metadata0", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA0", classID: 0x0001, field: 40, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 21, name: "tun_metadata1", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA1", classID: 0x0001, field: 41, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 22, name: "tun_metadata2", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA2", classID: 0x0001, field: 42, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 23, name: "tun_metadata3", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA3", classID: 0x0001, field: 43, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 24, name: "tun_metadata4", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA4", classID: 0x0001, field: 44, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 25, name: "tun_metadata5", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA5", classID: 0x0001, field: 45, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 26, name: "tun_metadata6", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA6", classID: 0x0001, field: 46, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 27, name: "tun_metadata7", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA7", classID: 0x0001, field: 47, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 28, name: "tun_metadata8", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA8", classID: 0x0001, field: 48, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 29, name: "tun_metadata9", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA9", classID: 0x0001, field: 49, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 30, name: "tun_metadata10", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA10", classID: 0x0001, field: 50, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 31, name: "tun_metadata11", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA11", classID: 0x0001, field: 51, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 32, name: "tun_metadata12", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA12", classID: 0x0001, field: 52, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 33, name: "tun_metadata13", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA13", classID: 0x0001, field: 53, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 34, name: "tun_metadata14", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA14", classID: 0x0001, field: 54, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 35, name: "tun_metadata15", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA15", classID: 0x0001, field: 55, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 36, name: "tun_metadata16", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA16", classID: 0x0001, field: 56, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 37, name: "tun_metadata17", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA17", classID: 0x0001, field: 57, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 38, name: "tun_metadata18", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA18", classID: 0x0001, field: 58, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 39, name: "tun_metadata19", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA19", classID: 0x0001, field: 59, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 40, name: "tun_metadata20", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA20", classID: 0x0001, field: 60, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 41, name: "tun_metadata21", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA21", classID: 0x0001, field: 61, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 42, name: "tun_metadata22", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA22", classID: 0x0001, field: 62, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 43, name: "tun_metadata23", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA23", classID: 0x0001, field: 63, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 44, name: "tun_metadata24", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA24", classID: 0x0001, field: 64, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 45, name: "tun_metadata25", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA25", classID: 0x0001, field: 65, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 46, name: "tun_metadata26", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA26", classID: 0x0001, field: 66, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 47, name: "tun_metadata27", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA27", classID: 0x0001, field: 67, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 48, name: "tun_metadata28", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA28", classID: 0x0001, field: 68, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 49, name: "tun_metadata29", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA29", classID: 0x0001, field: 69, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 50, name: "tun_metadata30", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA30", classID: 0x0001, field: 70, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 51, name: "tun_metadata31", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA31", classID: 0x0001, field: 71, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 52, name: "tun_metadata32", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA32", classID: 0x0001, field: 72, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 53, name: "tun_metadata33", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA33", classID: 0x0001, field: 73, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 54, name: "tun_metadata34", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA34", classID: 0x0001, field: 74, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 55, name: "tun_metadata35", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA35", classID: 0x0001, field: 75, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 56, name: "tun_metadata36", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA36", classID: 0x0001, field: 76, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 57, name: "tun_metadata37", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA37", classID: 0x0001, field: 77, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 58, name: "tun_metadata38", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA38", classID: 0x0001, field: 78, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 59, name: "tun_metadata39", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA39", classID: 0x0001, field: 79, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 60, name: "tun_metadata40", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA40", classID: 0x0001, field: 80, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 61, name: "tun_metadata41", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA41", classID: 0x0001, field: 81, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 62, name: "tun_metadata42", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA42", classID: 0x0001, field: 82, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 63, name: "tun_metadata43", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA43", classID: 0x0001, field: 83, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 64, name: "tun_metadata44", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA44", classID: 0x0001, field: 84, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 65, name: "tun_metadata45", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA45", classID: 0x0001, field: 85, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 66, name: "tun_metadata46", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA46", classID: 0x0001, field: 86, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 67, name: "tun_metadata47", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA47", classID: 0x0001, field: 87, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 68, name: "tun_metadata48", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA48", classID: 0x0001, field: 88, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 69, name: "tun_metadata49", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA49", classID: 0x0001, field: 89, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 70, name: "tun_metadata50", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA50", classID: 0x0001, field: 90, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 71, name: "tun_metadata51", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA51", classID: 0x0001, field: 91, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 72, name: "tun_metadata52", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA52", classID: 0x0001, field: 92, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 73, name: "tun_metadata53", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA53", classID: 0x0001, field: 93, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 74, name: "tun_metadata54", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA54", classID: 0x0001, field: 94, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 75, name: "tun_metadata55", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA55", classID: 0x0001, field: 95, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 76, name: "tun_metadata56", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA56", classID: 0x0001, field: 96, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 77, name: "tun_metadata57", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA57", classID: 0x0001, field: 97, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 78, name: "tun_metadata58", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA58", classID: 0x0001, field: 98, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 79, name: "tun_metadata59", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA59", classID: 0x0001, field: 99, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 80, name: "tun_metadata60", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA60", classID: 0x0001, field: 100, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 81, name: "tun_metadata61", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA61", classID: 0x0001, field: 101, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 82, name: "tun_metadata62", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA62", classID: 0x0001, field: 102, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 83, name: "tun_metadata63", alias: nil, bytes: 124, bits: 992, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: true, nxm: OXMHeader(name: "NXM_NX_TUN_METADATA63", classID: 0x0001, field: 103, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 84, name: "metadata", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_METADATA", classID: 0x8000, field: 2, experimenter: 0, sinceVersion: 3), of10: .none, of11: .bitwise),
        OFField(id: 85, name: "in_port", alias: nil, bytes: 2, bits: 16, maskable: false, format: .ofp10Port, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_IN_PORT", classID: 0x0000, field: 0, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .exact, of11: .exact),
        OFField(id: 86, name: "in_port_oxm", alias: nil, bytes: 4, bits: 32, maskable: false, format: .ofp11Port, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_IN_PORT", classID: 0x8000, field: 0, experimenter: 0, sinceVersion: 3), of10: .none, of11: .exact),
        OFField(id: 87, name: "actset_output", alias: nil, bytes: 4, bits: 32, maskable: false, format: .ofp11Port, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "ONFOXM_ET_ACTSET_OUTPUT", classID: 0xffff, field: 43, experimenter: 0x4f4e4600, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 88, name: "skb_priority", alias: nil, bytes: 4, bits: 32, maskable: false, format: .hexadecimal, prerequisite: .none, writable: false, variableLength: false, nxm: nil, oxm: nil, of10: .none, of11: .none),
        OFField(id: 89, name: "pkt_mark", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_PKT_MARK", classID: 0x0001, field: 33, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 90, name: "ct_state", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ctState, prerequisite: .none, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_STATE", classID: 0x0001, field: 105, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 91, name: "ct_zone", alias: nil, bytes: 2, bits: 16, maskable: false, format: .hexadecimal, prerequisite: .none, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_ZONE", classID: 0x0001, field: 106, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 92, name: "ct_mark", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_MARK", classID: 0x0001, field: 107, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 93, name: "ct_label", alias: nil, bytes: 16, bits: 128, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_LABEL", classID: 0x0001, field: 108, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 94, name: "ct_nw_proto", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_NW_PROTO", classID: 0x0001, field: 119, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 95, name: "ct_nw_src", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_NW_SRC", classID: 0x0001, field: 120, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 96, name: "ct_nw_dst", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_NW_DST", classID: 0x0001, field: 121, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 97, name: "ct_ipv6_src", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_IPV6_SRC", classID: 0x0001, field: 122, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 98, name: "ct_ipv6_dst", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_IPV6_DST", classID: 0x0001, field: 123, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 99, name: "ct_tp_src", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_TP_SRC", classID: 0x0001, field: 124, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 100, name: "ct_tp_dst", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .conntrack, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_CT_TP_DST", classID: 0x0001, field: 125, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 101, name: "reg0", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG0", classID: 0x0001, field: 0, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 102, name: "reg1", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG1", classID: 0x0001, field: 1, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 103, name: "reg2", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG2", classID: 0x0001, field: 2, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 104, name: "reg3", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG3", classID: 0x0001, field: 3, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 105, name: "reg4", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG4", classID: 0x0001, field: 4, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 106, name: "reg5", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG5", classID: 0x0001, field: 5, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 107, name: "reg6", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG6", classID: 0x0001, field: 6, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 108, name: "reg7", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG7", classID: 0x0001, field: 7, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 109, name: "reg8", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG8", classID: 0x0001, field: 8, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 110, name: "reg9", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG9", classID: 0x0001, field: 9, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 111, name: "reg10", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG10", classID: 0x0001, field: 10, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 112, name: "reg11", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG11", classID: 0x0001, field: 11, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 113, name: "reg12", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG12", classID: 0x0001, field: 12, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 114, name: "reg13", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG13", classID: 0x0001, field: 13, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 115, name: "reg14", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG14", classID: 0x0001, field: 14, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 116, name: "reg15", alias: nil, bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_REG15", classID: 0x0001, field: 15, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 117, name: "xreg0", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG0", classID: 0x8001, field: 0, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 118, name: "xreg1", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG1", classID: 0x8001, field: 1, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 119, name: "xreg2", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG2", classID: 0x8001, field: 2, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 120, name: "xreg3", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG3", classID: 0x8001, field: 3, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 121, name: "xreg4", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG4", classID: 0x8001, field: 4, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 122, name: "xreg5", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG5", classID: 0x8001, field: 5, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 123, name: "xreg6", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG6", classID: 0x8001, field: 6, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 124, name: "xreg7", alias: nil, bytes: 8, bits: 64, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_PKT_REG7", classID: 0x8001, field: 7, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 125, name: "xxreg0", alias: nil, bytes: 16, bits: 128, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_XXREG0", classID: 0x0001, field: 111, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 126, name: "xxreg1", alias: nil, bytes: 16, bits: 128, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_XXREG1", classID: 0x0001, field: 112, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 127, name: "xxreg2", alias: nil, bytes: 16, bits: 128, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_XXREG2", classID: 0x0001, field: 113, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 128, name: "xxreg3", alias: nil, bytes: 16, bits: 128, maskable: true, format: .hexadecimal, prerequisite: .none, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_XXREG3", classID: 0x0001, field: 114, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 129, name: "eth_src", alias: "dl_src", bytes: 6, bits: 48, maskable: true, format: .ethernet, prerequisite: .ethernet, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ETH_SRC", classID: 0x0000, field: 2, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ETH_SRC", classID: 0x8000, field: 4, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .bitwise),
        OFField(id: 130, name: "eth_dst", alias: "dl_dst", bytes: 6, bits: 48, maskable: true, format: .ethernet, prerequisite: .ethernet, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ETH_DST", classID: 0x0000, field: 1, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ETH_DST", classID: 0x8000, field: 3, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .bitwise),
        OFField(id: 131, name: "eth_type", alias: "dl_type", bytes: 2, bits: 16, maskable: false, format: .hexadecimal, prerequisite: .ethernet, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ETH_TYPE", classID: 0x0000, field: 3, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ETH_TYPE", classID: 0x8000, field: 5, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 132, name: "vlan_tci", alias: nil, bytes: 2, bits: 16, maskable: true, format: .hexadecimal, prerequisite: .ethernet, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_VLAN_TCI", classID: 0x0000, field: 4, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .exact, of11: .exact),
        OFField(id: 133, name: "dl_vlan", alias: nil, bytes: 2, bits: 12, maskable: false, format: .decimal, prerequisite: .ethernet, writable: true, variableLength: false, nxm: nil, oxm: nil, of10: .exact, of11: .exact),
        OFField(id: 134, name: "vlan_vid", alias: nil, bytes: 2, bits: 12, maskable: true, format: .decimal, prerequisite: .ethernet, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_VLAN_VID", classID: 0x8000, field: 6, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 135, name: "dl_vlan_pcp", alias: nil, bytes: 1, bits: 3, maskable: false, format: .decimal, prerequisite: .ethernet, writable: true, variableLength: false, nxm: nil, oxm: nil, of10: .exact, of11: .exact),
        OFField(id: 136, name: "vlan_pcp", alias: nil, bytes: 1, bits: 3, maskable: false, format: .decimal, prerequisite: .vlanVID, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_VLAN_PCP", classID: 0x8000, field: 7, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 137, name: "mpls_label", alias: nil, bytes: 4, bits: 20, maskable: false, format: .decimal, prerequisite: .mpls, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_MPLS_LABEL", classID: 0x8000, field: 34, experimenter: 0, sinceVersion: 3), of10: .none, of11: .exact),
        OFField(id: 138, name: "mpls_tc", alias: nil, bytes: 1, bits: 3, maskable: false, format: .decimal, prerequisite: .mpls, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_MPLS_TC", classID: 0x8000, field: 35, experimenter: 0, sinceVersion: 3), of10: .none, of11: .exact),
        OFField(id: 139, name: "mpls_bos", alias: nil, bytes: 1, bits: 1, maskable: false, format: .decimal, prerequisite: .mpls, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_MPLS_BOS", classID: 0x8000, field: 36, experimenter: 0, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 140, name: "mpls_ttl", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .mpls, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_MPLS_TTL", classID: 0x0001, field: 30, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 141, name: "ip_src", alias: "nw_src", bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .ipv4, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_IP_SRC", classID: 0x0000, field: 7, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV4_SRC", classID: 0x8000, field: 11, experimenter: 0, sinceVersion: 3), of10: .cidr, of11: .bitwise),
        OFField(id: 142, name: "ip_dst", alias: "nw_dst", bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .ipv4, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_IP_DST", classID: 0x0000, field: 8, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV4_DST", classID: 0x8000, field: 12, experimenter: 0, sinceVersion: 3), of10: .cidr, of11: .bitwise),
        OFField(id: 143, name: "ipv6_src", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .ipv6, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_IPV6_SRC", classID: 0x0001, field: 19, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV6_SRC", classID: 0x8000, field: 26, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 144, name: "ipv6_dst", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .ipv6, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_IPV6_DST", classID: 0x0001, field: 20, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV6_DST", classID: 0x8000, field: 27, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 145, name: "ipv6_label", alias: nil, bytes: 4, bits: 20, maskable: true, format: .hexadecimal, prerequisite: .ipv6, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_IPV6_LABEL", classID: 0x0001, field: 27, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV6_FLABEL", classID: 0x8000, field: 28, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 146, name: "nw_proto", alias: "ip_proto", bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .ip, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_OF_IP_PROTO", classID: 0x0000, field: 6, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IP_PROTO", classID: 0x8000, field: 10, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 147, name: "nw_tos", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .ip, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_IP_TOS", classID: 0x0000, field: 5, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .exact, of11: .exact),
        OFField(id: 148, name: "ip_dscp", alias: nil, bytes: 1, bits: 6, maskable: false, format: .decimal, prerequisite: .ip, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_IP_DSCP", classID: 0x8000, field: 8, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 149, name: "nw_ecn", alias: "ip_ecn", bytes: 1, bits: 2, maskable: false, format: .decimal, prerequisite: .ip, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_IP_ECN", classID: 0x0001, field: 28, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IP_ECN", classID: 0x8000, field: 9, experimenter: 0, sinceVersion: 3), of10: .none, of11: .exact),
        OFField(id: 150, name: "nw_ttl", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .ip, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_IP_TTL", classID: 0x0001, field: 29, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 151, name: "ip_frag", alias: "nw_frag", bytes: 1, bits: 2, maskable: true, format: .fragment, prerequisite: .ip, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_IP_FRAG", classID: 0x0001, field: 26, experimenter: 0, sinceVersion: 0), oxm: nil, of10: .none, of11: .none),
        OFField(id: 152, name: "arp_op", alias: nil, bytes: 2, bits: 16, maskable: false, format: .decimal, prerequisite: .arp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ARP_OP", classID: 0x0000, field: 15, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ARP_OP", classID: 0x8000, field: 21, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 153, name: "arp_spa", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .arp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ARP_SPA", classID: 0x0000, field: 16, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ARP_SPA", classID: 0x8000, field: 22, experimenter: 0, sinceVersion: 3), of10: .cidr, of11: .bitwise),
        OFField(id: 154, name: "arp_tpa", alias: nil, bytes: 4, bits: 32, maskable: true, format: .ipv4, prerequisite: .arp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ARP_TPA", classID: 0x0000, field: 17, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ARP_TPA", classID: 0x8000, field: 23, experimenter: 0, sinceVersion: 3), of10: .cidr, of11: .bitwise),
        OFField(id: 155, name: "arp_sha", alias: nil, bytes: 6, bits: 48, maskable: true, format: .ethernet, prerequisite: .arp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ARP_SHA", classID: 0x0001, field: 17, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ARP_SHA", classID: 0x8000, field: 24, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 156, name: "arp_tha", alias: nil, bytes: 6, bits: 48, maskable: true, format: .ethernet, prerequisite: .arp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ARP_THA", classID: 0x0001, field: 18, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ARP_THA", classID: 0x8000, field: 25, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 157, name: "tcp_src", alias: "tp_src", bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .tcp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_TCP_SRC", classID: 0x0000, field: 9, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_TCP_SRC", classID: 0x8000, field: 13, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 158, name: "tcp_dst", alias: "tp_dst", bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .tcp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_TCP_DST", classID: 0x0000, field: 10, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_TCP_DST", classID: 0x8000, field: 14, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 159, name: "tcp_flags", alias: nil, bytes: 2, bits: 12, maskable: true, format: .tcpFlags, prerequisite: .tcp, writable: false, variableLength: false, nxm: OXMHeader(name: "NXM_NX_TCP_FLAGS", classID: 0x0001, field: 34, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "ONFOXM_ET_TCP_FLAGS", classID: 0xffff, field: 42, experimenter: 0x4f4e4600, sinceVersion: 4), of10: .none, of11: .none),
        OFField(id: 160, name: "udp_src", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .udp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_UDP_SRC", classID: 0x0000, field: 11, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_UDP_SRC", classID: 0x8000, field: 15, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 161, name: "udp_dst", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .udp, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_UDP_DST", classID: 0x0000, field: 12, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_UDP_DST", classID: 0x8000, field: 16, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 162, name: "sctp_src", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .sctp, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_SCTP_SRC", classID: 0x8000, field: 17, experimenter: 0, sinceVersion: 3), of10: .none, of11: .exact),
        OFField(id: 163, name: "sctp_dst", alias: nil, bytes: 2, bits: 16, maskable: true, format: .decimal, prerequisite: .sctp, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "OXM_OF_SCTP_DST", classID: 0x8000, field: 18, experimenter: 0, sinceVersion: 3), of10: .none, of11: .exact),
        OFField(id: 164, name: "icmp_type", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .icmpv4, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ICMP_TYPE", classID: 0x0000, field: 13, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ICMPV4_TYPE", classID: 0x8000, field: 19, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 165, name: "icmp_code", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .icmpv4, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_OF_ICMP_CODE", classID: 0x0000, field: 14, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ICMPV4_CODE", classID: 0x8000, field: 20, experimenter: 0, sinceVersion: 3), of10: .exact, of11: .exact),
        OFField(id: 166, name: "icmpv6_type", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .icmpv6, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ICMPV6_TYPE", classID: 0x0001, field: 21, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ICMPV6_TYPE", classID: 0x8000, field: 29, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 167, name: "icmpv6_code", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .icmpv6, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ICMPV6_CODE", classID: 0x0001, field: 22, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_ICMPV6_CODE", classID: 0x8000, field: 30, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 168, name: "nd_target", alias: nil, bytes: 16, bits: 128, maskable: true, format: .ipv6, prerequisite: .nd, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ND_TARGET", classID: 0x0001, field: 23, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV6_ND_TARGET", classID: 0x8000, field: 31, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 169, name: "nd_sll", alias: nil, bytes: 6, bits: 48, maskable: true, format: .ethernet, prerequisite: .ndSolicit, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ND_SLL", classID: 0x0001, field: 24, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV6_ND_SLL", classID: 0x8000, field: 32, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 170, name: "nd_tll", alias: nil, bytes: 6, bits: 48, maskable: true, format: .ethernet, prerequisite: .ndAdvert, writable: true, variableLength: false, nxm: OXMHeader(name: "NXM_NX_ND_TLL", classID: 0x0001, field: 25, experimenter: 0, sinceVersion: 0), oxm: OXMHeader(name: "OXM_OF_IPV6_ND_TLL", classID: 0x8000, field: 33, experimenter: 0, sinceVersion: 3), of10: .none, of11: .none),
        OFField(id: 171, name: "nd_reserved", alias: nil, bytes: 4, bits: 32, maskable: false, format: .decimal, prerequisite: .nd, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "ERICOXM_OF_ICMPV6_ND_RESERVED", classID: 0x1000, field: 1, experimenter: 0, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 172, name: "nd_options_type", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .nd, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE", classID: 0x1000, field: 2, experimenter: 0, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 173, name: "nsh_flags", alias: nil, bytes: 1, bits: 8, maskable: true, format: .decimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_FLAGS", classID: 0xffff, field: 1, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 174, name: "nsh_mdtype", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .nsh, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_MDTYPE", classID: 0xffff, field: 2, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 175, name: "nsh_np", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .nsh, writable: false, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_NP", classID: 0xffff, field: 3, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 176, name: "nsh_spi", alias: "nsp", bytes: 4, bits: 24, maskable: false, format: .hexadecimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_SPI", classID: 0xffff, field: 4, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 177, name: "nsh_si", alias: "nsi", bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_SI", classID: 0xffff, field: 5, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 178, name: "nsh_c1", alias: "nshc1", bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_C1", classID: 0xffff, field: 6, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 179, name: "nsh_c2", alias: "nshc2", bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_C2", classID: 0xffff, field: 7, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 180, name: "nsh_c3", alias: "nshc3", bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_C3", classID: 0xffff, field: 8, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 181, name: "nsh_c4", alias: "nshc4", bytes: 4, bits: 32, maskable: true, format: .hexadecimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_C4", classID: 0xffff, field: 9, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
        OFField(id: 182, name: "nsh_ttl", alias: nil, bytes: 1, bits: 8, maskable: false, format: .decimal, prerequisite: .nsh, writable: true, variableLength: false, nxm: nil, oxm: OXMHeader(name: "NXOXM_NSH_TTL", classID: 0xffff, field: 10, experimenter: 0x00002320, sinceVersion: 0), of10: .none, of11: .none),
    ]
}

extension OFField {
    /// Protocols that can match or set the field exactly (`usable_protocols_exact`).
    var usableExact: OFProtocols {
        if name == "dl_vlan" || name == "dl_vlan_pcp" { return .any }
        return OFField.protocols(of10: of10 != .none, of11: of11 != .none, oxm: nxm != nil || oxm != nil)
    }

    /// Protocols that can match the field with `mask` (`mf_set`'s result).
    func usableProtocols(mask: UInt128) -> OFProtocols {
        if mask == byteMask { return usableExact }
        if mask == 0 { return .any }
        guard maskable else { return [] }
        let ones = mask.nonzeroBitCount
        let isCIDR = bytes == 4 && mask == (ones == 0 ? 0 : (UInt128(0xffff_ffff) << UInt128(32 - ones)) & 0xffff_ffff)
        let of10OK = of10 == .bitwise || (of10 == .cidr && isCIDR)
        let of11OK = of11 == .bitwise
        return OFField.protocols(of10: of10OK && of10 != .none, of11: of11OK,
                                 oxm: name == "dl_vlan" || name == "dl_vlan_pcp" || nxm != nil || oxm != nil)
    }

    private static func protocols(of10: Bool, of11: Bool, oxm: Bool) -> OFProtocols {
        switch (of10, of11, oxm) {
        case (true, true, true): return .any
        case (false, true, true): return .nxmOF11Up
        case (false, false, true): return .nxmOXMAny
        case (false, false, false): return []
        default: return .any
        }
    }
}
