/// The Internet checksum (RFC 1071), its pseudo-headers, and incremental
/// updates (RFC 1624).
///
/// Values are host-order readings of the big-endian 16-bit fields: a
/// checksum field read with `loadBigEndian` compares with what these
/// functions return, and is written back with `storeBigEndian`.
///
/// A *partial sum* is a one's-complement sum folded to 16 bits but not yet
/// complemented, kept in a `UInt32` so several can be added before
/// `finish(_:)`. Chained `sum(_:initial:)` calls must hand it even-length
/// pieces, except for the last one.
public enum InternetChecksum {
    /// Folds a 32-bit accumulator to a 16-bit one's-complement sum.
    @inlinable @inline(__always)
    public static func fold(_ partial: UInt32) -> UInt32 {
        var s = (partial & 0xffff) &+ (partial >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        return s
    }

    /// Complements a partial sum into the value a checksum field holds.
    @inlinable @inline(__always)
    public static func finish(_ partial: UInt32) -> UInt16 {
        ~UInt16(truncatingIfNeeded: fold(partial))
    }

    /// Adds `bytes`, read as big-endian 16-bit words, to `initial`, and
    /// returns the partial sum (at most `0xffff`).
    ///
    /// The loop adds 64-bit words with end-around carry, four at a time;
    /// the byte order is fixed once at the end (the one's-complement sum
    /// commutes with byte swapping).
    @inlinable
    public static func sum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return fold(initial) }
        var acc: UInt64 = 0
        var carries: UInt64 = 0
        var i = 0
        while n &- i >= 32 {
            let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let b = base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)
            let c = base.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self)
            let d = base.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self)
            var o: Bool
            (acc, o) = acc.addingReportingOverflow(a); carries &+= o ? 1 : 0
            (acc, o) = acc.addingReportingOverflow(b); carries &+= o ? 1 : 0
            (acc, o) = acc.addingReportingOverflow(c); carries &+= o ? 1 : 0
            (acc, o) = acc.addingReportingOverflow(d); carries &+= o ? 1 : 0
            i &+= 32
        }
        while n &- i >= 8 {
            let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let o: Bool
            (acc, o) = acc.addingReportingOverflow(a); carries &+= o ? 1 : 0
            i &+= 8
        }
        // The tail: at most 7 bytes, added as a 32-bit, 16-bit and 8-bit
        // piece in the same lanes a 64-bit load would have used. Lanes only
        // matter modulo 16 bits, so each piece sits in the low bits.
        var tail: UInt64 = 0
        if n &- i >= 4 {
            tail &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            i &+= 4
        }
        if n &- i >= 2 {
            tail &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i &+= 2
        }
        if n &- i == 1 {
            let byte = UInt64(base.load(fromByteOffset: i, as: UInt8.self))
            #if _endian(little)
            tail &+= byte
            #else
            tail &+= byte << 8
            #endif
        }
        let o: Bool
        (acc, o) = acc.addingReportingOverflow(tail); carries &+= o ? 1 : 0
        // Fold 64 -> 32 -> 16 bits, adding the carries back in.
        var s = (acc & 0xffff_ffff) &+ (acc >> 32) &+ carries
        s = (s & 0xffff_ffff) &+ (s >> 32)
        s = (s & 0xffff) &+ (s >> 16 & 0xffff) &+ (s >> 32)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        let native = UInt16(truncatingIfNeeded: s)
        return fold(UInt32(UInt16(bigEndian: native)) &+ fold(initial))
    }

    /// The checksum of `bytes` (with `initial` from a pseudo-header, if any).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt16 {
        finish(sum(bytes, initial: initial))
    }

    /// The checksum of `bytes` (with `initial` from a pseudo-header, if any).
    public static func checksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 {
        bytes.withUnsafeBytes { checksum($0, initial: initial) }
    }

    /// The partial sum of the IPv4 pseudo-header for TCP, UDP and the like:
    /// source, destination, protocol and the upper-layer length.
    @inlinable
    public static func pseudoHeaderSum(source: IPv4Address, destination: IPv4Address,
                                       protocol proto: IPProtocol, length: Int) -> UInt32 {
        var s = (source.rawValue >> 16) &+ (source.rawValue & 0xffff)
        s &+= (destination.rawValue >> 16) &+ (destination.rawValue & 0xffff)
        s &+= UInt32(proto.rawValue)
        s &+= UInt32(truncatingIfNeeded: length) >> 16 &+ UInt32(truncatingIfNeeded: length) & 0xffff
        return fold(s)
    }

    /// The partial sum of the IPv6 pseudo-header (RFC 8200 section 8.1):
    /// source, destination, 32-bit upper-layer length and next header.
    @inlinable
    public static func pseudoHeaderSum(source: IPv6Address, destination: IPv6Address,
                                       nextHeader: IPProtocol, length: Int) -> UInt32 {
        var s: UInt64 = addressSum(source) &+ addressSum(destination)
        s &+= UInt64(nextHeader.rawValue)
        let l = UInt64(UInt32(truncatingIfNeeded: length))
        s &+= (l >> 16) &+ (l & 0xffff)
        s = (s & 0xffff_ffff) &+ (s >> 32)
        return fold(UInt32(truncatingIfNeeded: s) &+ UInt32(truncatingIfNeeded: s >> 32))
    }

    @inlinable @inline(__always)
    static func addressSum(_ a: IPv6Address) -> UInt64 {
        func halves(_ x: UInt64) -> UInt64 {
            (x >> 48) &+ (x >> 32 & 0xffff) &+ (x >> 16 & 0xffff) &+ (x & 0xffff)
        }
        return halves(a.high) &+ halves(a.low)
    }

    // MARK: Incremental updates (RFC 1624, equation 3)

    /// The checksum after a 16-bit word covered by it changed from `old`
    /// to `new`: `HC' = ~(~HC + ~m + m')`.
    ///
    /// The word must sit at an even offset from the start of the covered
    /// bytes; for a lone byte use `update(_:replacingByte:with:atEvenOffset:)`.
    @inlinable @inline(__always)
    public static func update(_ checksum: UInt16, replacing old: UInt16, with new: UInt16) -> UInt16 {
        let s = UInt32(~checksum) &+ UInt32(~old) &+ UInt32(new)
        return finish(s)
    }

    /// The checksum after a 32-bit field at an even offset changed.
    @inlinable @inline(__always)
    public static func update(_ checksum: UInt16, replacing old: UInt32, with new: UInt32) -> UInt16 {
        var s = UInt32(~checksum)
        s &+= UInt32(~UInt16(truncatingIfNeeded: old >> 16)) &+ UInt32(~UInt16(truncatingIfNeeded: old))
        s &+= (new >> 16) &+ (new & 0xffff)
        return finish(s)
    }

    /// The checksum after a byte changed; `atEvenOffset` says whether the
    /// byte is the high (even offset) or low half of its 16-bit word.
    @inlinable @inline(__always)
    public static func update(_ checksum: UInt16, replacingByte old: UInt8, with new: UInt8,
                              atEvenOffset: Bool) -> UInt16 {
        atEvenOffset
            ? update(checksum, replacing: UInt16(old) << 8, with: UInt16(new) << 8)
            : update(checksum, replacing: UInt16(old), with: UInt16(new))
    }

    /// The checksum after an IPv4 address (at an even offset) changed.
    @inlinable @inline(__always)
    public static func update(_ checksum: UInt16, replacing old: IPv4Address, with new: IPv4Address) -> UInt16 {
        update(checksum, replacing: old.rawValue, with: new.rawValue)
    }

    /// The checksum after an IPv6 address (at an even offset) changed.
    @inlinable
    public static func update(_ checksum: UInt16, replacing old: IPv6Address, with new: IPv6Address) -> UInt16 {
        var s = UInt64(~checksum)
        s &+= 8 &* 0xffff &- addressSum(old)   // eight ~m terms, 0xffff - m each
        s &+= addressSum(new)
        s = (s & 0xffff_ffff) &+ (s >> 32)
        return finish(UInt32(truncatingIfNeeded: s) &+ UInt32(truncatingIfNeeded: s >> 32))
    }

    /// The checksum after an Ethernet address (at an even offset) changed.
    @inlinable
    public static func update(_ checksum: UInt16, replacing old: EthernetAddress, with new: EthernetAddress) -> UInt16 {
        var s = UInt32(~checksum)
        for shift in stride(from: 32, through: 0, by: -16) {
            s &+= UInt32(~UInt16(truncatingIfNeeded: old.rawValue >> UInt64(shift)))
            s &+= UInt32(UInt16(truncatingIfNeeded: new.rawValue >> UInt64(shift)))
        }
        return finish(s)
    }
}

/// CRC-32C (Castagnoli), the checksum of SCTP (RFC 9260 appendix A).
///
/// Slicing-by-8 over a table built on first use.
public enum CRC32C {
    @usableFromInline static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82f6_3b78 : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xff)]
            }
        }
        return t
    }()

    /// The CRC-32C of `bytes`, continuing a previous result `crc`
    /// (0 to start). `checksum("123456789") == 0xe3069283`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        guard let base = bytes.baseAddress else { return crc }
        let n = bytes.count
        var i = 0
        table.withUnsafeBufferPointer { t in
            while n &- i >= 8 {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ UInt64(c)
                c = t[7 &* 256 &+ Int(w & 0xff)] ^ t[6 &* 256 &+ Int(w >> 8 & 0xff)]
                    ^ t[5 &* 256 &+ Int(w >> 16 & 0xff)] ^ t[4 &* 256 &+ Int(w >> 24 & 0xff)]
                    ^ t[3 &* 256 &+ Int(w >> 32 & 0xff)] ^ t[2 &* 256 &+ Int(w >> 40 & 0xff)]
                    ^ t[256 &+ Int(w >> 48 & 0xff)] ^ t[Int(w >> 56)]
                i &+= 8
            }
            while i < n {
                c = (c >> 8) ^ t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xff)]
                i &+= 1
            }
        }
        return ~c
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }
}

/// A view whose 16-bit Internet checksum covers all of `bytes`, after an
/// optional pseudo-header (TCP, ICMPv6; ICMPv4 and IGMP with none).
/// Conforming views share one way to compute, verify and fill it. (UDP keeps
/// its own: a zero UDP checksum means "absent".)
public protocol InternetChecksummedView {
    var bytes: UnsafeMutableRawBufferPointer { get }
    var checksum: UInt16 { get nonmutating set }
}

extension InternetChecksummedView {
    /// The checksum the bytes should carry, given the pseudo-header's
    /// partial sum (0 when there is none).
    @inlinable public func computeChecksum(pseudoHeaderSum: UInt32) -> UInt16 {
        InternetChecksum.finish(InternetChecksum.sum(UnsafeRawBufferPointer(bytes), initial: pseudoHeaderSum)
                                &+ UInt32(~checksum))
    }
    /// True when the checksum verifies.
    @inlinable public func isChecksumValid(pseudoHeaderSum: UInt32) -> Bool {
        InternetChecksum.sum(UnsafeRawBufferPointer(bytes), initial: pseudoHeaderSum) == 0xffff
    }
    /// Computes and stores the checksum.
    @inlinable public func fillChecksum(pseudoHeaderSum: UInt32) {
        checksum = 0
        checksum = InternetChecksum.checksum(UnsafeRawBufferPointer(bytes), initial: pseudoHeaderSum)
    }
}
