import Datapath
import DPIF
import NetDevices
import Unixctl

/// The `netdev-dummy/...` test commands of `ovs-vswitchd --enable-dummy`
/// (Open vSwitch's `lib/netdev-dummy.c`), for the in-memory `dummy` ports.
enum VSwitchdDummyCommands {
    static func register(on commands: UnixctlCommands, datapaths: VSwitchdDatapaths) {
        // `netdev-dummy/receive NAME PACKET...`: PACKET in hexadecimal
        // (Open vSwitch also takes a flow, which svs does not compose).
        commands.register("netdev-dummy/receive", usage: "name [--qid queue_id] packet|flow [--len packet_len]",
                          arguments: 2...Int(Int32.max)) { arguments throws(UnixctlError) in
            let name = arguments[0]
            var frames: [[UInt8]] = []
            var i = 1
            while i < arguments.count {
                let a = arguments[i]
                if a == "--qid" || a == "--len" { i += 2; continue }
                guard let frame = parseHex(a) else { throw UnixctlError("svs: packets must be hexadecimal: \(a)") }
                frames.append(frame)
                i += 1
            }
            let port = datapaths.withRegistry { registry -> DummyPort? in
                for dp in registry.names {
                    if let p = (try? registry.open(name: dp))?.device(named: name) as? DummyPort { return p }
                }
                return nil
            }
            guard let port else { throw UnixctlError("no such dummy netdev") }
            port.inject(contentsOf: frames)
            return ""
        }
    }

    /// The bytes of an even-length hexadecimal string (nil if it is not one).
    static func parseHex(_ s: String) -> [UInt8]? {
        let digits = Array(s.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var i = 0
        while i < digits.count {
            guard let hi = value(digits[i]), let lo = value(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
