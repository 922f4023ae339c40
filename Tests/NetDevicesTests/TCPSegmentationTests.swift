import Testing
@testable import NetDevices

/// `TCPSuperFrame` against hand-built IPv4 and IPv6 super-frames.
struct TCPSegmentationTests {
    static func sum(_ b: [UInt8], _ from: Int, _ count: Int, _ initial: UInt32 = 0) -> UInt32 {
        var s = initial
        var i = from
        while i + 1 < from + count { s += UInt32(b[i]) << 8 | UInt32(b[i + 1]); i += 2 }
        if i < from + count { s += UInt32(b[i]) << 8 }
        return s
    }

    static func fold(_ s: UInt32) -> UInt16 {
        var s = s
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return UInt16(s)
    }

    static func superFrame(ipv6: Bool, payload: Int) -> [UInt8] {
        var f: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + (ipv6 ? [0x86, 0xdd] : [0x08, 0x00])
        let tcpLength = 32 + payload
        if ipv6 {
            f += [0x60, 0, 0, 0, UInt8(tcpLength >> 8), UInt8(tcpLength & 0xff), 6, 64]
            f += [UInt8](repeating: 0xfd, count: 15) + [1] + [UInt8](repeating: 0xfd, count: 15) + [2]
        } else {
            let total = 20 + tcpLength
            f += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
                  10, 0, 0, 1, 10, 0, 0, 2]
        }
        // Ports, seq 0xfffffff0 (wraps), ack, data offset 8 words, flags CWR|PSH|ACK|FIN, window, csum, urg, 12 option bytes.
        f += [0x13, 0x89, 0xc0, 0x00, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1, 0x80, 0x80 | 0x08 | 0x10 | 0x01, 0xff, 0xff,
              0, 0, 0, 0] + [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]
        f += (0..<payload).map { UInt8(truncatingIfNeeded: $0 * 7) }
        return f
    }

    @Test(arguments: [false, true])
    func cutsIntoMTUSizedSegmentsWithValidChecksums(ipv6: Bool) throws {
        let payload = 10_000
        let frame = Self.superFrame(ipv6: ipv6, payload: payload)
        var sf = try #require(TCPSuperFrame(frame, mtu: 1500))
        let l3 = 14, l4 = ipv6 ? 54 : 34
        let mss = 1500 - (l4 - l3) - 32
        var data: [UInt8] = []
        var segments = 0
        var expectedSeq: UInt32 = 0xffff_fff0
        while !sf.isFinished {
            var out = [UInt8](repeating: 0, count: sf.nextFrameLength)
            out.withUnsafeMutableBytes { sf.emit(into: $0) }
            #expect(out.count - l3 <= 1500)
            let chunk = out.count - l4 - 32
            #expect(chunk == min(mss, payload - data.count))
            if ipv6 {
                #expect(Int(out[l3 + 4]) << 8 | Int(out[l3 + 5]) == 32 + chunk)
            } else {
                #expect(Int(out[l3 + 2]) << 8 | Int(out[l3 + 3]) == out.count - l3)
                #expect(Int(out[l3 + 4]) << 8 | Int(out[l3 + 5]) == 0x1234 + segments)
                #expect(Self.fold(Self.sum(out, l3, 20)) == 0xffff)
            }
            let seq = UInt32(out[l4 + 4]) << 24 | UInt32(out[l4 + 5]) << 16 | UInt32(out[l4 + 6]) << 8 | UInt32(out[l4 + 7])
            #expect(seq == expectedSeq)
            expectedSeq &+= UInt32(chunk)
            let last = data.count + chunk == payload
            #expect(out[l4 + 13] == (segments == 0 ? 0x80 : 0) | 0x10 | (last ? 0x09 : 0))
            let pseudo = ipv6 ? Self.sum(out, l3 + 8, 32) : Self.sum(out, l3 + 12, 8)
            #expect(Self.fold(Self.sum(out, l4, out.count - l4, pseudo + 6 + UInt32(out.count - l4))) == 0xffff)
            data += out[(l4 + 32)...]
            segments += 1
        }
        #expect(segments == (payload + mss - 1) / mss)
        #expect(data == Array(frame[(l4 + 32)...]))
    }

    @Test func leavesSmallAndNonTCPFramesAlone() {
        #expect(TCPSuperFrame(Self.superFrame(ipv6: false, payload: 1000), mtu: 1500) == nil)
        var udp = Self.superFrame(ipv6: false, payload: 5000)
        udp[23] = 17
        #expect(TCPSuperFrame(udp, mtu: 1500) == nil)
    }
}
