import CLinux

/// A TPACKET_V3 receive ring mapped from an AF_PACKET socket: the kernel
/// fills fixed-size blocks with variable-size frames and hands each block
/// to us whole; we read its frames in place and hand it back.
///
/// Reading never blocks: a block the kernel still owns means "nothing now".
/// A block is handed back once all its frames have been read, so a frame's
/// bytes stay valid only inside the `drain` callback that sees them.
final class PacketRing {
    /// One frame's bytes and what the kernel said about it.
    struct Frame {
        var bytes: UnsafeRawBufferPointer
        var status: UInt32
        var vlanTCI: UInt16
        var vlanTPID: UInt16
        var isOutgoing: Bool
    }

    let blockSize: Int
    let blockCount: Int
    private let base: UnsafeMutableRawPointer
    /// The block being read, and where its next unread frame is.
    private var block = 0
    private var framesLeft = 0
    private var nextFrame: UnsafeMutableRawPointer?
    /// True while we hold `block` (it is ready and not yet handed back).
    private var holding = false

    /// Sets the socket's version to TPACKET_V3 and maps a ring of
    /// `blockCount` blocks of `blockSize` bytes. Blocks are retired to us
    /// after `retireMilliseconds` even when not full.
    init(socket fd: FileDescriptor, blockSize: Int = 1 << 18, blockCount: Int = 8,
         retireMilliseconds: Int = 1) throws(Errno) {
        guard let ring = CLinux_ring_setup(fd.rawValue, UInt32(blockSize), UInt32(blockCount), 2048,
                                           UInt32(retireMilliseconds)) else { throw Errno.current }
        base = ring
        self.blockSize = blockSize
        self.blockCount = blockCount
    }

    deinit { CLinux_ring_unmap(base, blockSize * blockCount) }

    /// Calls `body` for up to `limit` frames in arrival order; returns how many.
    func drain(limit: Int, _ body: (Frame) -> Void) -> Int {
        var n = 0
        while n < limit {
            if framesLeft == 0 {
                if holding {
                    CLinux_ring_block_release(base + block * blockSize)
                    holding = false
                    block = (block + 1) % blockCount
                }
                let desc = base + block * blockSize
                guard CLinux_ring_block_ready(desc) != 0 else { break }
                holding = true
                framesLeft = Int(CLinux_ring_block_frames(desc))
                nextFrame = desc + Int(CLinux_ring_block_first(desc))
                continue
            }
            guard let header = nextFrame else { framesLeft = 0; continue }
            var info = CLinux_ring_frame()
            CLinux_ring_frame_read(header, &info)
            let start = header + Int(info.mac)
            let blockEnd = base + (block + 1) * blockSize
            let length = min(Int(info.snaplen), max(0, blockEnd - start))
            body(Frame(bytes: UnsafeRawBufferPointer(start: start, count: length), status: info.status,
                       vlanTCI: info.vlan_tci, vlanTPID: info.vlan_tpid,
                       isOutgoing: info.pkttype == CLinux_PACKET_OUTGOING))
            n += 1
            framesLeft -= 1
            nextFrame = info.next_offset == 0 ? nil : header + Int(info.next_offset)
            if nextFrame == nil { framesLeft = 0 }
        }
        return n
    }
}
