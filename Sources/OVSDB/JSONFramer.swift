/// Splits a byte stream of concatenated JSON values (RFC 7047 §4: no
/// delimiters) into the texts of complete top-level values. It only tracks
/// string/escape state and bracket depth; `JSON.parse` validates each text.
/// Top-level values must be objects or arrays (JSON-RPC messages are objects).
/// The OVSDB server and client and the unixctl (`ovs-appctl`) protocol all
/// read their streams through it.
public struct JSONFramer: Sendable {
    public enum FramingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A byte outside any value that is not whitespace or `{`/`[`.
        case garbage(UInt8)
        /// A value grew past `maxMessageSize`.
        case tooLarge

        public var description: String {
            switch self {
            case .garbage(let b): "syntax error at beginning of input (byte 0x\(String(b, radix: 16)))"
            case .tooLarge: "message too long"
            }
        }
    }

    public var maxMessageSize: Int
    private var current: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escape = false

    public init(maxMessageSize: Int = 64 << 20) {
        self.maxMessageSize = maxMessageSize
    }

    /// True while a value has started but not ended.
    public var isInsideValue: Bool { depth > 0 }

    /// Consumes `bytes`; returns the complete values they finished, in order.
    /// After an error the framer must be discarded (the stream is lost).
    public mutating func feed<S: Sequence>(_ bytes: S) throws(FramingError) -> [[UInt8]] where S.Element == UInt8 {
        var out: [[UInt8]] = []
        try feed(bytes, into: &out)
        return out
    }

    /// Like `feed(_:)`, but values completed before an error stay in `out`.
    public mutating func feed<S: Sequence>(_ bytes: S, into out: inout [[UInt8]]) throws(FramingError) where S.Element == UInt8 {
        for b in bytes {
            if depth == 0 {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D: continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    current = [b]
                    depth = 1
                    inString = false
                    escape = false
                    continue
                default:
                    throw .garbage(b)
                }
            }
            current.append(b)
            if current.count > maxMessageSize { throw .tooLarge }
            if inString {
                if escape {
                    escape = false
                } else if b == UInt8(ascii: "\\") {
                    escape = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    out.append(current)
                    current = []
                }
            default: break
            }
        }
    }
}
