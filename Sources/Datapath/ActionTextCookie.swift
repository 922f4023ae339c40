import Flow
import Wire

/// The userdata of `userspace` actions that Open vSwitch's slow path writes
/// (`struct user_action_cookie`, 48 bytes, host order except the VLAN TCI
/// and rule cookie): printed and read as `sFlow(...)`, `slow_path(...)`,
/// `flow_sample(...)`, `ipfix(...)` and `controller(...)`.
enum UserspaceCookie {
    static let size = 48
    static let sFlow: UInt16 = 1, slowPath: UInt16 = 2, flowSample: UInt16 = 3, ipfix: UInt16 = 4, controller: UInt16 = 5

    /// Names of the slow-path reasons (`SLOW_PATH_REASONS`), lowest bit first.
    static func reasonName(_ bit: UInt32) -> String? {
        switch bit {
        case 1: "cfm"
        case 2: "bfd"
        case 4: "lacp"
        case 8: "stp"
        case 16: "lldp"
        case 32: "action"
        case 64: "match"
        default: nil
        }
    }

    /// Appends `,sFlow(...)` etc. when `d` is a cookie of a known type.
    static func format(_ d: [UInt8], into out: inout TextBuffer) -> Bool {
        guard d.count == size else { return false }
        let r = Reader(d)
        func le16(_ i: Int) -> UInt64 { UInt64(r.u8(i)) | UInt64(r.u8(i + 1)) << 8 }
        func le32(_ i: Int) -> UInt64 { UInt64(r.le32(i)) }
        switch UInt16(le16(0)) {
        case sFlow:
            let tci = r.be16(20)
            out.append(",sFlow(vid="); out.append(decimal: UInt64(tci & 0xfff))
            out.append(",pcp="); out.append(decimal: UInt64(tci >> 13))
            out.append(",output="); out.append(decimal: le32(24)); out.append(")")
        case slowPath:
            out.append(",slow_path(")
            var flags = TextBuffer()
            formatFlagsComma(&flags, UInt32(le32(24)))
            out.bytes += flags.bytes
            out.append(")")
        case flowSample:
            out.append(",flow_sample(probability="); out.append(decimal: le16(20))
            out.append(",collector_set_id="); out.append(decimal: le32(24))
            out.append(",obs_domain_id="); out.append(decimal: le32(28))
            out.append(",obs_point_id="); out.append(decimal: le32(32))
            out.append(",output_port="); out.append(decimal: le32(36))
            switch le32(40) {
            case 1: out.append(",ingress")
            case 2: out.append(",egress")
            default: break
            }
            out.append(")")
        case ipfix:
            out.append(",ipfix(output_port="); out.append(decimal: le32(20)); out.append(")")
        case controller:
            out.append(",controller(reason="); out.append(decimal: le16(22))
            out.append(",dont_send="); out.append(decimal: r.u8(20) != 0 ? 1 : 0)
            out.append(",continuation="); out.append(decimal: r.u8(21) != 0 ? 1 : 0)
            out.append(",recirc_id="); out.append(decimal: le32(24))
            out.append(",rule_cookie="); out.append(alternateHex: r.be64(28))
            out.append(",controller_id="); out.append(decimal: le16(36))
            out.append(",max_len="); out.append(decimal: le16(38))
            out.append(")")
        default:
            return false
        }
        return true
    }

    /// `format_flags` with `,` between names.
    static func formatFlagsComma(_ out: inout TextBuffer, _ flags: UInt32) {
        if flags == 0 { out.append("0"); return }
        var bad: UInt32 = 0
        var f = flags
        while f != 0 {
            let bit = f & (~f &+ 1)
            if let n = reasonName(bit) { out.append(n); out.append(",") } else { bad |= bit }
            f &= ~bit
        }
        if bad != 0 { out.append("0x"); out.append(hex: UInt64(bad)); out.append(",") }
        out.chomp(0x2c)
    }

    /// Reads `,sFlow(...)` ... `,controller(...)` after `pid=N`, as
    /// `parse_odp_userspace_action` does; `nil` if none follows.
    static func parse(_ s: inout DatapathTextScanner) throws(DatapathKeyError) -> [UInt8]? {
        var c = [UInt8](repeating: 0, count: size)
        func put16(_ i: Int, _ v: UInt64) { c[i] = UInt8(truncatingIfNeeded: v); c[i + 1] = UInt8(truncatingIfNeeded: v >> 8) }
        func put32(_ i: Int, _ v: UInt64) { for k in 0..<4 { c[i + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) } }
        func number(_ width: Int) throws(DatapathKeyError) -> UInt64 {
            guard let v = s.scanInt(width: width) else { throw s.error("expected a number") }
            return v
        }
        func decimal(_ width: Int) throws(DatapathKeyError) -> UInt64 {
            guard let v = s.scanDecimal(width: width) else { throw s.error("expected a number") }
            return v
        }
        func expect(_ p: StaticString) throws(DatapathKeyError) {
            guard s.take(p) else { throw s.error("expected \(p)") }
        }
        put16(2, 0xffff)   // ofp_in_port = OFPP_NONE
        if s.take(",sFlow(vid=") {
            let vid = try number(32)
            try expect(",pcp=")
            let pcp = try number(32)
            try expect(",output=")
            let output = try number(32)
            try expect(")")
            var tci = UInt16(truncatingIfNeeded: vid | pcp << 13)
            if tci != 0 { tci |= 0x1000 }
            put16(0, UInt64(sFlow))
            c[20] = UInt8(tci >> 8); c[21] = UInt8(truncatingIfNeeded: tci)
            put32(24, output)
        } else if s.take(",slow_path(") {
            let (reason, _) = try s.scanFlags(allowed: 0x7f, name: reasonName)
            try expect(")")
            put16(0, UInt64(slowPath))
            put32(24, UInt64(reason))
        } else if s.take(",flow_sample(probability=") {
            put16(0, UInt64(flowSample))
            put16(20, try number(16))
            try expect(",collector_set_id="); put32(24, try number(32))
            try expect(",obs_domain_id="); put32(28, try number(32))
            try expect(",obs_point_id="); put32(32, try number(32))
            try expect(",output_port="); put32(36, try number(32))
            if s.take(",ingress") { put32(40, 1) } else if s.take(",egress") { put32(40, 2) }
            try expect(")")
        } else if s.take(",ipfix(output_port=") {
            put16(0, UInt64(ipfix))
            put32(20, try number(32))
            try expect(")")
        } else if s.take(",controller(reason=") {
            put16(0, UInt64(controller))
            put16(22, try decimal(16))
            try expect(",dont_send="); c[20] = try decimal(8) != 0 ? 1 : 0
            try expect(",continuation="); c[21] = try decimal(8) != 0 ? 1 : 0
            try expect(",recirc_id="); put32(24, try decimal(32))
            try expect(",rule_cookie=")
            _ = s.take("0x")
            guard let cookie = s.scanHex(width: 64) else { throw s.error("expected a cookie") }
            for k in 0..<8 { c[28 + k] = UInt8(truncatingIfNeeded: cookie >> UInt64(56 - 8 * k)) }
            try expect(",controller_id="); put16(36, try decimal(16))
            try expect(",max_len="); put16(38, try decimal(16))
            try expect(")")
        } else {
            return nil
        }
        return c
    }
}
