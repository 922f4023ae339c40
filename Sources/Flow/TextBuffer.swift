#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Wire

/// An append-only UTF-8 buffer for building text without `String`
/// interpolation (the formatters write thousands of lines per second).
public struct TextBuffer: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }
    public var string: String { String(decoding: bytes, as: UTF8.self) }
    public mutating func removeAll(keepingCapacity: Bool = true) { bytes.removeAll(keepingCapacity: keepingCapacity) }

    @inlinable public mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    public mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }
    @inlinable public mutating func append(byte: UInt8) { bytes.append(byte) }

    /// Removes one trailing `byte` if present (OVS's `ds_chomp`).
    public mutating func chomp(_ byte: UInt8) {
        if bytes.last == byte { bytes.removeLast() }
    }

    /// Decimal, as `%u`.
    public mutating func append(decimal v: UInt64) {
        if v < 10 { bytes.append(0x30 &+ UInt8(v)); return }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of scratch
        withUnsafeMutableBytes(of: &tmp) { buf in
            var n = 0
            var x = v
            while x > 0 {
                buf[23 - n] = 0x30 &+ UInt8(x % 10)
                x /= 10
                n += 1
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(24 - n)...]))
        }
    }

    /// Lower-case hex without prefix, at least `width` digits (as `%0*x`).
    public mutating func append(hex v: UInt64, width: Int = 1) {
        var digits = 1
        var x = v >> 4
        while x > 0 { digits += 1; x >>= 4 }
        if width > digits {
            for _ in 0..<(width - digits) { bytes.append(0x30) }
        }
        var i = digits - 1
        while i >= 0 {
            let d = UInt8((v >> UInt64(4 * i)) & 0xf)
            bytes.append(d < 10 ? 0x30 &+ d : 0x57 &+ d)
            i -= 1
        }
    }

    /// As `%#x`: `0x` then hex, except `0` for zero.
    public mutating func append(alternateHex v: UInt64) {
        if v == 0 { bytes.append(0x30); return }
        append("0x")
        append(hex: v)
    }

    /// `aa:bb:cc:dd:ee:ff`.
    public mutating func append(ethernet a: UInt64) {
        for i in 0..<6 {
            if i > 0 { bytes.append(0x3a) }
            append(hex: (a >> UInt64(40 - 8 * i)) & 0xff, width: 2)
        }
    }

    /// Dotted quad.
    public mutating func append(ipv4 a: UInt32) {
        append(decimal: UInt64(a >> 24)); bytes.append(0x2e)
        append(decimal: UInt64(a >> 16 & 0xff)); bytes.append(0x2e)
        append(decimal: UInt64(a >> 8 & 0xff)); bytes.append(0x2e)
        append(decimal: UInt64(a & 0xff))
    }

    /// The C library's `inet_ntop` text of an IPv6 address (what OVS prints).
    public mutating func append(ipv6 a: IPv6Address) {
        var raw = (a.high.bigEndian, a.low.bigEndian)
        var out: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeBytes(of: &raw) { src in
            withUnsafeMutableBytes(of: &out) { dst in
                let cdst = dst.baseAddress!.assumingMemoryBound(to: CChar.self)
                if inet_ntop(AF_INET6, src.baseAddress, cdst, socklen_t(dst.count)) != nil {
                    let n = strlen(cdst)
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: dst.baseAddress, count: n))
                } else {
                    append("::")
                }
            }
        }
    }
}
