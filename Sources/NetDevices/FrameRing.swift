#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Synchronization

/// A TPACKET_V2 receive ring mapped from an AF_PACKET socket: fixed-size
/// frame slots, each handed to user space as soon as the kernel filled it
/// (unlike TPACKET_V3, whose blocks wait for a retire timer), so a busy
/// poll thread receives with no system call and no added latency, and
/// `poll(2)` wakes on every frame.
///
/// Slots are 2 KiB, 4096 of them (8 MiB per port): deep enough to ride
/// out the moments the poll thread is not scheduled. A frame too big for
/// a slot (a GSO super-frame, a jumbo frame) is also queued whole on the
/// socket (`PACKET_COPY_THRESH`, status `TP_STATUS_COPY`): its slot keeps
/// its place in the order and the callback is told to read it with
/// `recvmsg`. A frame's bytes stay valid only inside the `drain` callback
/// that sees them.
final class FrameRing {
    let frameSize: Int
    let frameCount: Int
    private let base: UnsafeMutableRawPointer
    private var next = 0

    static let packetVersion: Int32 = 10       // PACKET_VERSION
    static let packetRxRing: Int32 = 5         // PACKET_RX_RING
    static let tpacketV2: Int32 = 1            // TPACKET_V2
    static let statusUser: UInt32 = 1          // TP_STATUS_USER
    static let statusCopy: UInt32 = 2          // TP_STATUS_COPY
    static let packetCopyThreshold: Int32 = 7  // PACKET_COPY_THRESH

    // tpacket2_hdr offsets (linux/if_packet.h) and the sockaddr_ll after it.
    static let statusOffset = 0
    static let lengthOffset = 4
    static let snapLengthOffset = 8
    static let macOffset = 12
    static let vlanTCIOffset = 24
    static let vlanTPIDOffset = 26
    static let addressOffset = 32              // TPACKET_ALIGN(sizeof(tpacket2_hdr))
    static let packetTypeOffset = addressOffset + 10   // sockaddr_ll.sll_pkttype

    /// Sets the socket to TPACKET_V2 and maps `frameCount` slots of
    /// `frameSize` bytes (a multiple of the page size).
    init(socket fd: FileDescriptor, frameSize: Int = 2048, frameCount: Int = 4096,
         blockSize: Int = 1 << 16) throws(Errno) {
        var version = Self.tpacketV2
        guard setsockopt(fd.rawValue, CLinux_SOL_PACKET, Self.packetVersion, &version,
                         socklen_t(MemoryLayout<Int32>.size)) == 0 else { throw Errno.current }
        var threshold: Int32 = 1
        guard setsockopt(fd.rawValue, CLinux_SOL_PACKET, Self.packetCopyThreshold, &threshold,
                         socklen_t(MemoryLayout<Int32>.size)) == 0 else { throw Errno.current }
        // struct tpacket_req { block_size, block_nr, frame_size, frame_nr }.
        let perBlock = blockSize / frameSize
        var request: (UInt32, UInt32, UInt32, UInt32) = (UInt32(blockSize), UInt32(frameCount / perBlock),
                                                         UInt32(frameSize), UInt32(frameCount))
        guard setsockopt(fd.rawValue, CLinux_SOL_PACKET, Self.packetRxRing, &request,
                         socklen_t(MemoryLayout.size(ofValue: request))) == 0 else { throw Errno.current }
        let mapped = mmap(nil, frameSize * frameCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, 0)
        guard let mapped, mapped != MAP_FAILED else { throw Errno.current }
        base = mapped
        self.frameSize = frameSize
        self.frameCount = frameCount
    }

    deinit { munmap(base, frameSize * frameCount) }

    /// Calls `body` for up to `limit` frames in arrival order, handing each
    /// slot back after its callback; returns how many. A frame too big for
    /// its slot comes to `copied` instead: it waits whole on the socket.
    func drain(limit: Int, _ body: (PacketRing.Frame) -> Void, copied: () -> Void) -> Int {
        var n = 0
        while n < limit {
            let slot = base + next * frameSize
            let status = slot.load(fromByteOffset: Self.statusOffset, as: UInt32.self)
            guard status & Self.statusUser != 0 else { break }
            atomicMemoryFence(ordering: .acquiring)
            let snap = Int(slot.load(fromByteOffset: Self.snapLengthOffset, as: UInt32.self))
            let mac = Int(slot.load(fromByteOffset: Self.macOffset, as: UInt16.self))
            let length = min(snap, max(0, frameSize - mac))
            let truncated = Int(slot.load(fromByteOffset: Self.lengthOffset, as: UInt32.self)) > length
            if status & Self.statusCopy != 0 {
                copied()
            } else if !truncated {
                body(PacketRing.Frame(
                    bytes: UnsafeRawBufferPointer(start: slot + mac, count: length), status: status,
                    vlanTCI: slot.load(fromByteOffset: Self.vlanTCIOffset, as: UInt16.self),
                    vlanTPID: slot.load(fromByteOffset: Self.vlanTPIDOffset, as: UInt16.self),
                    isOutgoing: slot.load(fromByteOffset: Self.packetTypeOffset, as: UInt8.self)
                        == UInt8(CLinux_PACKET_OUTGOING)))
            } else {
                truncatedFrames &+= 1
            }
            atomicMemoryFence(ordering: .releasing)
            slot.storeBytes(of: 0, toByteOffset: Self.statusOffset, as: UInt32.self)
            next = next + 1 == frameCount ? 0 : next + 1
            n += 1
        }
        return n
    }

    /// Frames too big for a slot and not copied to the socket, skipped.
    private(set) var truncatedFrames: UInt64 = 0
}
