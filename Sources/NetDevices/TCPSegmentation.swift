import Wire

/// Software TCP segmentation of the "super-frames" a Linux device with
/// TSO/GSO on hands an AF_PACKET socket (up to 64 KiB of TCP payload
/// behind one header): the frame is cut into segments whose IP packets fit
/// the device's MTU, as `skb_segment` + `tcp_gso_segment` would. Each
/// segment gets its IP length (and IPv4 ID and header checksum), TCP
/// sequence number and flags (CWR on the first only, FIN and PSH on the
/// last only) fixed, and a complete TCP checksum.
///
/// Handles Ethernet, up to two VLAN tags, IPv4 (with options, not a
/// fragment) and IPv6 with TCP as the next header.
struct TCPSuperFrame {
    /// The whole frame (VLAN tags already restored).
    let bytes: [UInt8]
    let l3: Int
    let l4: Int
    /// Offset of the payload (after the TCP header).
    let payload: Int
    /// End of the IP packet in `bytes`.
    let end: Int
    let isIPv4: Bool
    /// Payload bytes per segment.
    let mss: Int
    /// Next payload byte to emit, and the index of the next segment.
    var next: Int
    var index = 0

    /// Where a super-frame's headers are.
    struct Layout {
        var l3: Int
        var l4: Int
        var payload: Int
        var end: Int
        var isIPv4: Bool
        var mss: Int
    }

    /// The layout of `b` if it is TCP over IP (no IPv6 extension headers,
    /// no fragment) whose whole IP packet is in `b` and exceeds `mtu`.
    static func layout(_ b: UnsafeRawBufferPointer, mtu: Int) -> Layout? {
        guard let at = PartialChecksum.locate(b), !at.isUDP else { return nil }
        let l3 = at.network, l4 = at.start, end = at.end
        if at.isIPv4 {
            guard l3 + (Int(b[l3 + 2]) << 8 | Int(b[l3 + 3])) <= b.count else { return nil }
        } else {
            guard b[l3 + 6] == 6, l4 == l3 + 40, l4 + (Int(b[l3 + 4]) << 8 | Int(b[l3 + 5])) <= b.count else { return nil }
        }
        let thl = Int(b[l4 + 12] >> 4) * 4
        guard thl >= 20, l4 + thl <= end else { return nil }
        let mss = mtu - (l4 - l3) - thl
        guard end - l3 > mtu, mss > 0 else { return nil }
        return Layout(l3: l3, l4: l4, payload: l4 + thl, end: end, isIPv4: at.isIPv4, mss: mss)
    }

    /// A super-frame if `bytes` is TCP over IP whose IP packet exceeds `mtu`.
    init?(_ bytes: [UInt8], mtu: Int) {
        guard let at = bytes.withUnsafeBytes({ Self.layout($0, mtu: mtu) }) else { return nil }
        self.bytes = bytes
        l3 = at.l3
        l4 = at.l4
        payload = at.payload
        end = at.end
        isIPv4 = at.isIPv4
        mss = at.mss
        next = at.payload
    }

    var isFinished: Bool { next >= end }

    /// Length of the next segment's frame.
    var nextFrameLength: Int { payload + min(mss, end - next) }

    /// Writes the next segment into `out` (at least `nextFrameLength`
    /// bytes) and advances.
    mutating func emit(into out: UnsafeMutableRawBufferPointer) {
        let chunk = min(mss, end - next)
        let last = next + chunk >= end
        bytes.withUnsafeBytes { b in
            out.baseAddress!.copyMemory(from: b.baseAddress!, byteCount: payload)
            (out.baseAddress! + payload).copyMemory(from: b.baseAddress! + next, byteCount: chunk)
        }
        let ipLength = payload - l3 + chunk
        if isIPv4 {
            put16(out, l3 + 2, UInt16(ipLength))
            let id = (UInt16(out[l3 + 4]) << 8 | UInt16(out[l3 + 5])) &+ UInt16(truncatingIfNeeded: index)
            put16(out, l3 + 4, id)
            put16(out, l3 + 10, 0)
            let ihl = l4 - l3
            put16(out, l3 + 10, ~fold(sum(out, l3, ihl, 0)))
        } else {
            put16(out, l3 + 4, UInt16(ipLength - 40))
        }
        // Sequence number.
        let offset = UInt32(truncatingIfNeeded: next - payload)
        let seq = (UInt32(out[l4 + 4]) << 24 | UInt32(out[l4 + 5]) << 16 | UInt32(out[l4 + 6]) << 8
            | UInt32(out[l4 + 7])) &+ offset
        out[l4 + 4] = UInt8(seq >> 24); out[l4 + 5] = UInt8((seq >> 16) & 0xff)
        out[l4 + 6] = UInt8((seq >> 8) & 0xff); out[l4 + 7] = UInt8(seq & 0xff)
        // Flags: CWR (0x80) only on the first, FIN (0x01) and PSH (0x08) only on the last.
        var flags = out[l4 + 13]
        if index > 0 { flags &= ~0x80 }
        if !last { flags &= ~0x09 }
        out[l4 + 13] = flags
        // Checksum over the pseudo-header and the segment.
        let tcpLength = payload - l4 + chunk
        put16(out, l4 + 16, 0)
        var s: UInt32
        if isIPv4 {
            s = sum(out, l3 + 12, 8, 0)
        } else {
            s = sum(out, l3 + 8, 32, 0)
        }
        s &+= 6 &+ UInt32(tcpLength)
        s = sum(out, l4, tcpLength, s)
        put16(out, l4 + 16, ~fold(s))
        next += chunk
        index += 1
    }

    private func put16(_ out: UnsafeMutableRawBufferPointer, _ at: Int, _ v: UInt16) {
        out[at] = UInt8(v >> 8)
        out[at + 1] = UInt8(v & 0xff)
    }

    /// One's-complement partial sum of `count` bytes at `start`, big-endian words.
    private func sum(_ b: UnsafeMutableRawBufferPointer, _ start: Int, _ count: Int, _ initial: UInt32) -> UInt32 {
        InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[start..<(start + count)]),
                             initial: initial)
    }

    private func fold(_ s: UInt32) -> UInt16 { UInt16(truncatingIfNeeded: InternetChecksum.fold(s)) }
}
