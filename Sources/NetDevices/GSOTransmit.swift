#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Wire

/// Transmit of whole TCP super-frames (`tso=true` on a `system` port): a
/// second AF_PACKET socket on the device with `PACKET_VNET_HDR`, so each
/// super-frame goes down with a `virtio_net_hdr` asking the kernel to
/// segment it (GSO) and to fill the TCP checksum (`NEEDS_CSUM`). Through a
/// veth the peer receives it still whole, as the Linux bridge would pass
/// it, instead of ~45 segments cut and checksummed in user space.
///
/// The datapath holds super-frames with complete checksums (receive
/// completes partial ones), so actions may rewrite them like any packet;
/// just before sending, the TCP checksum field is set back to the
/// pseudo-header sum that `NEEDS_CSUM` expects.
final class GSOTransmit {
    private let fd: FileDescriptor

    static let packetVnetHeader: Int32 = 15    // PACKET_VNET_HDR
    static let needsChecksum: UInt8 = 1        // VIRTIO_NET_HDR_F_NEEDS_CSUM
    static let tcpV4: UInt8 = 1                // VIRTIO_NET_HDR_GSO_TCPV4
    static let tcpV6: UInt8 = 4                // VIRTIO_NET_HDR_GSO_TCPV6

    init(interfaceIndex: Int32, bufferBytes: Int32) throws(Errno) {
        let socket = try FileDescriptor.socket(domain: AF_PACKET, type: Int32(SOCK_RAW.rawValue), protocol: 0)
        do {
            try socket.setOption(level: CLinux_SOL_PACKET, name: Self.packetVnetHeader, value: 1)
            if (try? socket.setOption(level: SOL_SOCKET, name: SO_SNDBUFFORCE, value: bufferBytes)) == nil {
                try? socket.setOption(level: SOL_SOCKET, name: SO_SNDBUF, value: bufferBytes)
            }
            try socket.bindPacket(interfaceIndex: interfaceIndex, protocol: 0)
            try socket.setNonBlocking()
        } catch {
            socket.close()
            throw error
        }
        fd = socket
    }

    deinit { fd.close() }

    /// Sends `frame` (a TCP super-frame whose IP packet exceeds `mtu`) for
    /// the kernel to segment into `mtu`-sized packets. Returns false if the
    /// frame is not TCP over IP or the kernel refused it.
    func send(_ frame: UnsafeMutableRawBufferPointer, mtu: Int) -> Bool {
        guard var header = Self.prepare(frame, mtu: mtu), let base = frame.baseAddress else { return false }
        return withUnsafeMutableBytes(of: &header) { h in
            var vectors = (iovec(iov_base: h.baseAddress, iov_len: h.count),
                           iovec(iov_base: base, iov_len: frame.count))
            return withUnsafeMutableBytes(of: &vectors) { v in
                var message = msghdr()
                message.msg_iov = v.baseAddress!.assumingMemoryBound(to: iovec.self)
                message.msg_iovlen = 2
                while true {
                    let n = sendmsg(fd.rawValue, &message, Int32(MSG_DONTWAIT))
                    if n >= 0 { return true }
                    if errno == EINTR { continue }
                    return false
                }
            }
        }
    }

    /// The `virtio_net_hdr` (10 bytes, host order) for `frame`, after
    /// writing the pseudo-header sum into its TCP checksum field.
    static func prepare(_ frame: UnsafeMutableRawBufferPointer, mtu: Int) -> (UInt8, UInt8, UInt16, UInt16, UInt16, UInt16)? {
        let b = UnsafeRawBufferPointer(frame)
        guard let at = PartialChecksum.locate(b), !at.isUDP else { return nil }
        let l3 = at.network
        let l4 = at.start
        guard at.end >= l4 + 20 else { return nil }
        let tcpHeader = Int(b[l4 + 12] >> 4) * 4
        guard tcpHeader >= 20, l4 + tcpHeader <= at.end else { return nil }
        let mss = mtu - (l4 - l3) - tcpHeader
        guard mss > 0 else { return nil }
        let tcpLength = at.end - l4
        var sum: UInt32
        let isIPv4 = at.isIPv4
        if isIPv4 {
            sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[(l3 + 12)..<(l3 + 20)]))
        } else {
            sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[(l3 + 8)..<(l3 + 40)]))
        }
        sum = InternetChecksum.fold(sum &+ 6 &+ UInt32(tcpLength & 0xffff) &+ UInt32(tcpLength >> 16))
        frame[l4 + 16] = UInt8(sum >> 8 & 0xff)
        frame[l4 + 17] = UInt8(sum & 0xff)
        return (needsChecksum, isIPv4 ? tcpV4 : tcpV6, UInt16(l4 + tcpHeader), UInt16(mss), UInt16(l4), 16)
    }
}
