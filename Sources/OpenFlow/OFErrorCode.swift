/// OpenFlow errors (OVS's `enum ofperr`) with their encoding in each
/// version: a standard (type, code), or a Nicira vendor triplet.
public struct OFErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// How one version carries the error.
    public struct Triplet: Hashable, Sendable {
        /// 0 for a standard error, else the vendor (0x2320 Nicira, 0x4f4e4600 ONF).
        public var vendor: UInt32
        public var type: UInt16
        public var code: UInt16
        public init(vendor: UInt32 = 0, _ type: UInt16, _ code: UInt16) {
            self.vendor = vendor
            self.type = type
            self.code = code
        }
    }

    /// Open vSwitch's name (`OFPBRC_BAD_TYPE`...).
    public let name: String
    let of10: Triplet?
    let of11: Triplet?
    let of12: Triplet?

    init(_ name: String, of10: Triplet?, of11: Triplet?, of12: Triplet?) {
        self.name = name
        self.of10 = of10
        self.of11 = of11
        self.of12 = of12
    }
    /// An error with the same standard code in every version.
    init(_ name: String, all type: UInt16, _ code: UInt16) {
        self.init(name, of10: Triplet(type, code), of11: Triplet(type, code), of12: Triplet(type, code))
    }

    public var description: String { name }

    /// The encoding for wire `version` (nil: not encodable there).
    public func triplet(version: UInt8) -> Triplet? {
        switch version {
        case 1: return of10
        case 2: return of11
        default: return of12
        }
    }

    static let nx: UInt32 = 0x2320

    public static let helloIncompatible = OFErrorCode("OFPHFC_INCOMPATIBLE", all: 0, 0)
    public static let badVersion = OFErrorCode("OFPBRC_BAD_VERSION", all: 1, 0)
    public static let badType = OFErrorCode("OFPBRC_BAD_TYPE", all: 1, 1)
    public static let badStat = OFErrorCode("OFPBRC_BAD_STAT", all: 1, 2)
    public static let badVendor = OFErrorCode("OFPBRC_BAD_VENDOR", all: 1, 3)
    public static let badSubtype = OFErrorCode("OFPBRC_BAD_SUBTYPE", all: 1, 4)
    public static let badRequestPermission = OFErrorCode("OFPBRC_EPERM", all: 1, 5)
    public static let badRequestLength = OFErrorCode("OFPBRC_BAD_LEN", all: 1, 6)
    public static let badTableID = OFErrorCode("OFPBRC_BAD_TABLE_ID", of10: Triplet(1, 512), of11: Triplet(1, 9), of12: Triplet(1, 9))
    public static let badPort = OFErrorCode("OFPBRC_BAD_PORT", of10: Triplet(1, 514), of11: Triplet(1, 514), of12: Triplet(1, 11))
    public static let nxmInvalid = OFErrorCode("NXBRC_NXM_INVALID", of10: Triplet(vendor: nx, 1, 256), of11: Triplet(vendor: nx, 1, 256), of12: Triplet(vendor: nx, 2, 0))
    public static let unencodable = OFErrorCode("NXBRC_UNENCODABLE_ERROR", of10: Triplet(vendor: nx, 1, 521), of11: Triplet(vendor: nx, 1, 521), of12: Triplet(vendor: nx, 10, 0))

    public static let badActionType = OFErrorCode("OFPBAC_BAD_TYPE", all: 2, 0)
    public static let badActionLength = OFErrorCode("OFPBAC_BAD_LEN", all: 2, 1)
    public static let badActionVendor = OFErrorCode("OFPBAC_BAD_VENDOR", all: 2, 2)
    public static let badActionVendorType = OFErrorCode("OFPBAC_BAD_VENDOR_TYPE", all: 2, 3)
    public static let badOutPort = OFErrorCode("OFPBAC_BAD_OUT_PORT", all: 2, 4)
    public static let badActionArgument = OFErrorCode("OFPBAC_BAD_ARGUMENT", all: 2, 5)
    public static let badOutGroup = OFErrorCode("OFPBAC_BAD_OUT_GROUP", all: 2, 9)
    public static let matchInconsistent = OFErrorCode("OFPBAC_MATCH_INCONSISTENT", of10: Triplet(vendor: nx, 1, 522), of11: Triplet(2, 10), of12: Triplet(2, 10))
    public static let unsupportedOrder = OFErrorCode("OFPBAC_UNSUPPORTED_ORDER", of10: nil, of11: Triplet(2, 11), of12: Triplet(2, 11))
    public static let badSetType = OFErrorCode("OFPBAC_BAD_SET_TYPE", of10: Triplet(vendor: nx, 1, 523), of11: Triplet(vendor: nx, 1, 523), of12: Triplet(2, 13))
    public static let badSetArgument = OFErrorCode("OFPBAC_BAD_SET_ARGUMENT", of10: Triplet(vendor: nx, 1, 525), of11: Triplet(vendor: nx, 1, 525), of12: Triplet(2, 15))

    public static let unknownInstruction = OFErrorCode("OFPBIC_UNKNOWN_INST", of10: nil, of11: Triplet(3, 0), of12: Triplet(3, 0))
    public static let unsupportedInstruction = OFErrorCode("OFPBIC_UNSUP_INST", of10: Triplet(vendor: nx, 2, 257), of11: Triplet(3, 1), of12: Triplet(3, 1))
    public static let badInstructionTableID = OFErrorCode("OFPBIC_BAD_TABLE_ID", of10: nil, of11: Triplet(3, 2), of12: Triplet(3, 2))
    public static let badInstructionLength = OFErrorCode("OFPBIC_BAD_LEN", of10: nil, of11: Triplet(3, 6), of12: Triplet(3, 6))
    public static let duplicateInstruction = OFErrorCode("OFPBIC_DUP_INST", of10: nil, of11: Triplet(3, 256), of12: Triplet(vendor: 0x4f4e4600, 3, 2600))

    public static let badMatchType = OFErrorCode("OFPBMC_BAD_TYPE", of10: nil, of11: Triplet(4, 0), of12: Triplet(4, 0))
    public static let badMatchLength = OFErrorCode("OFPBMC_BAD_LEN", of10: nil, of11: Triplet(4, 1), of12: Triplet(4, 1))
    public static let badField = OFErrorCode("OFPBMC_BAD_FIELD", of10: Triplet(vendor: nx, 0, 263), of11: Triplet(4, 6), of12: Triplet(4, 6))
    public static let badValue = OFErrorCode("OFPBMC_BAD_VALUE", of10: Triplet(vendor: nx, 1, 258), of11: Triplet(4, 7), of12: Triplet(4, 7))
    public static let badMask = OFErrorCode("OFPBMC_BAD_MASK", of10: Triplet(vendor: nx, 1, 259), of11: Triplet(vendor: nx, 1, 259), of12: Triplet(4, 8))
    public static let badPrerequisite = OFErrorCode("OFPBMC_BAD_PREREQ", of10: Triplet(vendor: nx, 1, 260), of11: Triplet(vendor: nx, 1, 260), of12: Triplet(4, 9))
    public static let duplicateField = OFErrorCode("OFPBMC_DUP_FIELD", of10: Triplet(vendor: nx, 1, 261), of11: Triplet(vendor: nx, 1, 261), of12: Triplet(4, 10))

    public static let tableFull = OFErrorCode("OFPFMFC_TABLE_FULL", of10: Triplet(3, 0), of11: Triplet(5, 1), of12: Triplet(5, 1))
    public static let flowModBadTableID = OFErrorCode("OFPFMFC_BAD_TABLE_ID", of10: nil, of11: Triplet(5, 2), of12: Triplet(5, 2))
    public static let overlap = OFErrorCode("OFPFMFC_OVERLAP", of10: Triplet(3, 1), of11: Triplet(5, 3), of12: Triplet(5, 3))
    public static let badCommand = OFErrorCode("OFPFMFC_BAD_COMMAND", of10: Triplet(3, 4), of11: Triplet(5, 6), of12: Triplet(5, 6))
    public static let badFlags = OFErrorCode("OFPFMFC_BAD_FLAGS", of10: Triplet(vendor: nx, 3, 258), of11: Triplet(vendor: nx, 5, 258), of12: Triplet(5, 7))

    static func bundle(_ name: String, _ code: UInt16) -> OFErrorCode {
        OFErrorCode(name, of10: nil, of11: nil, of12: Triplet(17, code))
    }
    public static let bundleBadID = bundle("OFPBFC_BAD_ID", 2)
    public static let bundleExists = bundle("OFPBFC_BUNDLE_EXIST", 3)
    public static let bundleClosed = bundle("OFPBFC_BUNDLE_CLOSED", 4)
    public static let bundleBadType = bundle("OFPBFC_BAD_TYPE", 6)
    public static let bundleBadFlags = bundle("OFPBFC_BAD_FLAGS", 7)
    public static let bundleMessageUnsupported = bundle("OFPBFC_MSG_UNSUP", 10)
    public static let bundleMessageFailed = bundle("OFPBFC_MSG_FAILED", 13)

    /// The ERROR message body (after the OpenFlow header) for `version`
    /// carrying `data` (the offending request's first bytes).
    public func body(version: UInt8, data: [UInt8]) -> [UInt8] {
        let t = triplet(version: version) ?? OFErrorCode.unencodable.triplet(version: version)!
        var w = OFWriter()
        if t.vendor == 0 {
            w.u16(t.type); w.u16(t.code)
        } else if version <= 2 {
            w.u16(0xb0c2); w.u16(0)        // NXET_VENDOR, NXVC_VENDOR_ERROR
            w.u32(t.vendor); w.u16(t.type); w.u16(t.code)
        } else {
            w.u16(0xffff); w.u16(t.type)   // OFPET12_EXPERIMENTER, exp_type
            w.u32(t.vendor)
        }
        w.append(data.prefix(max(0, 0xffff - 8 - w.count)))
        return w.bytes
    }

    /// Every error this module emits, for decoding replies (tests).
    public static let known: [OFErrorCode] = [
        helloIncompatible, badVersion, badType, badStat, badVendor, badSubtype, badRequestPermission, badRequestLength,
        badTableID, badPort, nxmInvalid, unencodable, badActionType, badActionLength, badActionVendor,
        badActionVendorType, badOutPort, badActionArgument, badOutGroup, matchInconsistent, unsupportedOrder, badSetType,
        badSetArgument, unknownInstruction, unsupportedInstruction, badInstructionTableID, badInstructionLength,
        duplicateInstruction, badMatchType, badMatchLength, badField, badValue, badMask, badPrerequisite,
        duplicateField, tableFull, flowModBadTableID, overlap, badCommand, badFlags,
        bundleBadID, bundleExists, bundleClosed, bundleBadType, bundleBadFlags, bundleMessageUnsupported, bundleMessageFailed,
        isSlave, bufferUnknown, badPacket, roleStale, badRole, asyncUnsupported,
    ]

    /// The error an ERROR body (after the header) of `version` names, if known.
    public static func decode(version: UInt8, body: [UInt8]) -> OFErrorCode? {
        var r = OFReader(body)
        guard let type = try? r.u16(), let code = try? r.u16() else { return nil }
        var t = Triplet(type, code)
        if type == 0xb0c2, code == 0, let v = try? r.u32(), let ty = try? r.u16(), let co = try? r.u16() {
            t = Triplet(vendor: v, ty, co)
        } else if type == 0xffff, let v = try? r.u32() {
            t = Triplet(vendor: v, code, 0)
        }
        return known.first { $0.triplet(version: version) == t }
    }
}
