#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Wire
import Datapath
import Flow
import Synchronization

/// A Linux network device reached through an AF_PACKET socket: the
/// `system` port type (`lib/netdev-linux.c`'s socket path).
///
/// The socket is raw (ETH_P_ALL), bound to the device, non-blocking,
/// promiscuous, ignores frames the host sends out of the device
/// (`PACKET_IGNORE_OUTGOING`, so our own transmissions do not come back),
/// and asks for `PACKET_AUXDATA`: a VLAN tag the kernel stripped is pushed
/// back into the frame, and a partial checksum (`TP_STATUS_CSUMNOTREADY`,
/// veths with offloads on) is completed.
///
/// Receive is one `recvmmsg` per call into a per-port slab, or (option
/// `rx_ring=true`) a walk over a TPACKET_V3 ring; either way each frame is
/// copied once into a pool buffer. Send copies each batch into a slab and
/// hands it to one `sendmmsg`. Vectors, slabs and control buffers are
/// allocated once per port.
///
/// GSO/TSO: a device with segmentation offload on (veths by default)
/// hands over TCP super-frames of up to 64 KiB. Receive slots hold a whole
/// one; a TCP frame whose IP packet exceeds the device's MTU is cut into
/// MTU-sized segments in software (`TCPSuperFrame`) before it enters the
/// datapath. Segments that do not fit the caller's batch wait in the port
/// and go first on the next `receive`. Other oversized frames are counted
/// in `rxDropped`.
///
/// Receive is called by one thread at a time (the `Port` contract). Send
/// may come from several poll threads at once (each owns receive queues
/// of other ports that output here): it holds a lock around its staging
/// slab, once per batch. The counters are behind a mutex so `stats` can be
/// read from elsewhere.
public final class SystemPort: PollablePort, @unchecked Sendable {
    public let name: String
    public let type: PortType
    public let number: DatapathPort
    /// The device's index at creation.
    public let interfaceIndex: Int32

    /// Bytes per slab slot: the largest frame received or sent.
    static let slotSize = 9216 + 64
    /// Bytes per receive slot: a GSO super-frame (64 KiB IP packet) plus link headers.
    static let receiveSlotSize = 65536 + 128
    static let slots = 32
    /// `PACKET_QDISC_BYPASS` (linux/if_packet.h).
    static let qdiscBypass: Int32 = 20
    /// Socket receive and send buffer bytes asked for.
    static let socketBuffer: Int32 = 8 << 20

    /// The device's MTU at creation: the IP size segments are cut to.
    private let mtu: Int
    /// Super-frames whose segments have not all been delivered yet.
    private var pending: [TCPSuperFrame] = []
    private let segmented = Atomic<UInt64>(0)

    /// TCP super-frames (GSO/TSO) received and cut into segments so far.
    public var superFramesSegmented: UInt64 { segmented.load(ordering: .relaxed) }
    /// The same, summed over every `SystemPort` of the process (for tests,
    /// which reach ports only through the datapath).
    static let superFramesSegmentedTotal = Atomic<UInt64>(0)

    private let fd: FileDescriptor
    private let counters = Mutex(PortStats())
    private let receiveIO: MessageVector
    private let sendIO: MessageVector
    /// The TPACKET_V3 receive ring, when the `rx_ring` option asked for one.
    private let ring: PacketRing?
    /// The TPACKET_V2 receive ring (`rx_ring=v2`).
    private let frameRing: FrameRing?
    /// `tso=true`: TCP super-frames stay whole through the datapath and
    /// leave through the kernel's GSO (`gso`).
    private let passSuperFrames: Bool
    private let gso: GSOTransmit?

    /// Opens the socket on device `configuration.name`.
    ///
    /// Options: `rx_ring=true` (or `v3`) receives through a TPACKET_V3 ring
    /// instead of `recvmmsg` (fewest system calls, but a frame may wait up
    /// to the 1 ms block timer); `rx_ring=v2` through a TPACKET_V2 ring
    /// (no system call per batch and no timer; 8 MiB of 2 KiB slots per
    /// port, bigger frames read with `recvmmsg`). `tso=true` keeps TCP
    /// super-frames whole: received ones enter the datapath as one packet
    /// (checksum completed), and super-frames sent here go to the kernel's
    /// GSO with a virtio-net header; without it they are cut into segments
    /// on receive. Either way a super-frame sent to a port cuts it if that
    /// port's own `tso` is off.
    public init(configuration: PortConfiguration, number: DatapathPort) throws(PortError) {
        name = configuration.name
        type = configuration.type
        self.number = number
        let ifindex: Int32
        do {
            let info = try InterfaceInfo.read(name)
            ifindex = info.index
            mtu = info.mtu
        } catch {
            if error.rawValue == ENODEV { throw .noSuchPort(name) }
            throw error.portError
        }
        interfaceIndex = ifindex
        let useRing: Bool, useFrames: Bool
        switch configuration.options["rx_ring"] {
        case nil, "false": (useRing, useFrames) = (false, false)
        case "true", "v3": (useRing, useFrames) = (true, false)
        case "v2": (useRing, useFrames) = (false, true)
        case let other?: throw .badOption(name: "rx_ring", value: other)
        }
        let passSuperFrames: Bool
        switch configuration.options["tso"] {
        case nil, "false": passSuperFrames = false
        case "true": passSuperFrames = true
        case let other?: throw .badOption(name: "tso", value: other)
        }
        self.passSuperFrames = passSuperFrames
        do {
            gso = passSuperFrames ? try GSOTransmit(interfaceIndex: ifindex, bufferBytes: Self.socketBuffer) : nil
        } catch { throw error.portError }
        let socket: FileDescriptor
        do {
            socket = try FileDescriptor.socket(domain: AF_PACKET, type: Int32(SOCK_RAW.rawValue),
                                               protocol: Int32(CLinux_ETH_P_ALL.bigEndian))
        } catch { throw error.portError }
        do {
            try socket.setOption(level: CLinux_SOL_PACKET, name: CLinux_PACKET_AUXDATA, value: 1)
            // Best effort: kernels before 4.20 lack it (then we would see our own frames).
            try? socket.setOption(level: CLinux_SOL_PACKET, name: CLinux_PACKET_IGNORE_OUTGOING, value: 1)
            // Transmit straight to the driver, skipping the qdisc layer
            // (as a switch port should; best effort).
            try? socket.setOption(level: CLinux_SOL_PACKET, name: Self.qdiscBypass, value: 1)
            // A deep socket queue rides out the moments the poll thread is
            // not scheduled (best effort: FORCE needs CAP_NET_ADMIN).
            if (try? socket.setOption(level: SOL_SOCKET, name: SO_RCVBUFFORCE, value: Self.socketBuffer)) == nil {
                try? socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: Self.socketBuffer)
            }
            if (try? socket.setOption(level: SOL_SOCKET, name: SO_SNDBUFFORCE, value: Self.socketBuffer)) == nil {
                try? socket.setOption(level: SOL_SOCKET, name: SO_SNDBUF, value: Self.socketBuffer)
            }
            ring = useRing ? try PacketRing(socket: socket) : nil
            frameRing = useFrames ? try FrameRing(socket: socket) : nil
            try socket.bindPacket(interfaceIndex: ifindex, protocol: CLinux_ETH_P_ALL)
            try socket.addPromiscuousMembership(interfaceIndex: ifindex)
            try socket.setNonBlocking()
        } catch {
            socket.close()
            throw error.portError
        }
        fd = socket
        receiveIO = MessageVector(slots: Self.slots, slotSize: Self.receiveSlotSize, withControl: true)
        sendIO = MessageVector(slots: Self.slots, slotSize: Self.slotSize, withControl: false)
    }

    deinit { fd.close() }

    /// The socket: readable when frames wait (or a ring block is ready).
    public var pollDescriptor: Int32 { fd.rawValue }

    /// Serializes `send` between poll threads (the staging slab is shared).
    private let sendLock = Mutex(())

    public var stats: PortStats { counters.withLock { $0 } }

    /// Super-frames go whole to GSO or are cut and summed here: either way
    /// a partial TCP checksum is fine.
    public var acceptsPartialChecksums: Bool { true }

    /// The device's MTU, address and link state, read now.
    public func interfaceInfo() throws(PortError) -> InterfaceInfo {
        do { return try InterfaceInfo.read(name) } catch { throw error.portError }
    }

    public func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int {
        var tally = Tally()
        if !pending.isEmpty { deliverPending(into: &batch, pool: pool, tally: &tally) }
        let room = min(batch.remainingCapacity, Self.slots)
        guard room > 0 else {
            commit(tally)
            return Int(tally.packets)
        }
        if let ring {
            _ = ring.drain(limit: room) { frame in
                if frame.isOutgoing { return }
                deliver(frame.bytes, status: frame.status, tci: frame.vlanTCI, tpid: frame.vlanTPID,
                        into: &batch, pool: pool, tally: &tally)
            }
        } else if let frameRing {
            let truncated = frameRing.truncatedFrames
            _ = frameRing.drain(limit: room, { frame in
                if frame.isOutgoing { return }
                deliver(frame.bytes, status: frame.status, tci: frame.vlanTCI, tpid: frame.vlanTPID,
                        into: &batch, pool: pool, tally: &tally)
            }, copied: {
                // Too big for a slot: the whole frame waits on the socket.
                receiveIO.prepareForReceive(count: 1)
                guard (try? fd.receiveMessages(receiveIO.messages(count: 1))) == 1,
                      !receiveIO.isOutgoing(0), let frame = receiveIO.receivedFrame(0) else {
                    tally.dropped &+= 1
                    return
                }
                let aux = receiveIO.auxdata(0)
                deliver(frame, status: aux?.tp_status ?? 0, tci: aux?.tp_vlan_tci ?? 0,
                        tpid: aux?.tp_vlan_tpid ?? 0, into: &batch, pool: pool, tally: &tally)
            })
            tally.dropped &+= frameRing.truncatedFrames &- truncated
        } else {
            receiveIO.prepareForReceive(count: room)
            let got: Int
            do {
                got = try fd.receiveMessages(receiveIO.messages(count: room))
            } catch {
                if error == .networkDown { return 0 }
                counters.withLock { $0.rxErrors &+= 1 }
                throw error.portError
            }
            for i in 0..<got {
                // Our own transmissions, where PACKET_IGNORE_OUTGOING is missing.
                if receiveIO.isOutgoing(i) { continue }
                guard let frame = receiveIO.receivedFrame(i) else { tally.dropped &+= 1; continue }
                if let aux = receiveIO.auxdata(i) {
                    deliver(frame, status: aux.tp_status, tci: aux.tp_vlan_tci, tpid: aux.tp_vlan_tpid,
                            into: &batch, pool: pool, tally: &tally)
                } else {
                    deliver(frame, status: 0, tci: 0, tpid: 0, into: &batch, pool: pool, tally: &tally)
                }
            }
        }
        if !pending.isEmpty { deliverPending(into: &batch, pool: pool, tally: &tally) }
        commit(tally)
        return Int(tally.packets)
    }

    private func commit(_ tally: Tally) {
        if tally.packets > 0 || tally.dropped > 0 {
            counters.withLock {
                $0.rxPackets &+= tally.packets
                $0.rxBytes &+= tally.bytes
                $0.rxDropped &+= tally.dropped
            }
        }
    }

    /// Moves segments of pending super-frames into `batch` while it has room.
    private func deliverPending(into batch: inout PacketBatch, pool: PacketPool, tally: inout Tally) {
        var done = 0
        while done < pending.count, batch.remainingCapacity > 0 {
            let length = pending[done].nextFrameLength
            var packet = length <= pool.frameCapacity
                ? pool.allocate() : PacketBuffer(frameCapacity: length, headroom: pool.headroom)
            do {
                try packet.append(count: length)
            } catch {
                pool.recycle(packet)
                tally.dropped &+= 1
                done += 1
                continue
            }
            packet.withUnsafeMutableBytes { pending[done].emit(into: $0) }
            if pending[done].isFinished { done += 1 }
            enqueue(packet, into: &batch, pool: pool, tally: &tally)
        }
        if done > 0 { pending.removeFirst(done) }
    }

    /// Receive counters of one call, added to `stats` once.
    private struct Tally {
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
        var dropped: UInt64 = 0
    }

    /// Copies one received frame into a pool buffer, putting back the VLAN
    /// tag the kernel stripped and completing a partial checksum, as the
    /// kernel's `status` (`TP_STATUS_*`) says; appends it to `batch`.
    /// A TCP super-frame (GSO, bigger than the MTU allows) goes whole into
    /// a buffer of its own with `tso=true`, or is cut into segments.
    @inline(__always)
    private func deliver(_ frame: UnsafeRawBufferPointer, status: UInt32, tci: UInt16, tpid: UInt16,
                         into batch: inout PacketBatch, pool: PacketPool, tally: inout Tally) {
        let large = frame.count > mtu &+ 22
        var packet = !large ? pool.allocate()
            : frame.count &+ 4 <= PacketPool.largeFrameCapacity ? pool.allocateLarge()
            : PacketBuffer(frameCapacity: frame.count &+ 4, headroom: pool.headroom)
        guard Self.copy(frame, status: status, tci: tci, tpid: tpid, into: &packet) else {
            pool.recycle(packet)
            tally.dropped &+= 1
            return
        }
        if large, packet.withUnsafeBytes({ TCPSuperFrame.layout($0, mtu: mtu) }) == nil {
            // Too big and not TCP: nothing can send it on.
            pool.recycle(packet)
            tally.dropped &+= 1
            return
        }
        if large, !passSuperFrames {
            let bytes = packet.withUnsafeBytes { [UInt8]($0) }
            pool.recycle(packet)
            guard let superFrame = TCPSuperFrame(bytes, mtu: mtu) else { tally.dropped &+= 1; return }
            pending.append(superFrame)
            segmented.add(1, ordering: .relaxed)
            Self.superFramesSegmentedTotal.add(1, ordering: .relaxed)
            return
        }
        if status & CLinux_TP_STATUS_CSUMNOTREADY != 0 {
            if large {
                // Whole to GSO, which fills the checksum in (or cut into
                // segments, each summed): completed only if needed.
                packet.metadata.checksumPartial = true
            } else {
                packet.withUnsafeMutableBytes { _ = PartialChecksum.complete($0) }
            }
        }
        enqueue(packet, into: &batch, pool: pool, tally: &tally)
    }

    /// Appends `frame` to `packet` with the VLAN tag the kernel took off
    /// (`tci`, `tpid`) put back after the addresses; false if it does not fit.
    @inline(__always)
    private static func copy(_ frame: UnsafeRawBufferPointer, status: UInt32, tci: UInt16, tpid: UInt16,
                             into packet: inout PacketBuffer) -> Bool {
        do {
            guard status & CLinux_TP_STATUS_VLAN_VALID != 0 || tci != 0, frame.count >= 12 else {
                try packet.append(contentsOf: frame)
                return true
            }
            let tpid = status & CLinux_TP_STATUS_VLAN_TPID_VALID != 0 ? tpid : 0x8100
            let tag: (UInt8, UInt8, UInt8, UInt8) = (UInt8(tpid >> 8), UInt8(tpid & 0xff),
                                                     UInt8(tci >> 8), UInt8(tci & 0xff))
            try packet.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[0..<12]))
            try withUnsafeBytes(of: tag) { (t) throws(PacketBufferError) in try packet.append(contentsOf: t) }
            try packet.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[12...]))
            return true
        } catch {
            return false
        }
    }

    /// Hands a received packet to `batch` as this port's, counting it, or
    /// its drop when the batch is full.
    @inline(__always)
    private func enqueue(_ packet: consuming PacketBuffer, into batch: inout PacketBatch, pool: PacketPool,
                         tally: inout Tally) {
        packet.metadata.inPort = number
        let length = UInt64(packet.count)
        if let refused = batch.append(packet) {
            pool.recycle(refused)
            tally.dropped &+= 1
            return
        }
        tally.packets &+= 1
        tally.bytes &+= length
    }

    public func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError) {
        var b = batch
        sendLock.withLock { _ in sendLocked(&b, pool: pool) }
    }

    /// Transmit counters of one `send`, added to `stats` once.
    private struct SendTally {
        var staged = 0
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
        var errors: UInt64 = 0
        var dropped: UInt64 = 0
    }

    private func sendLocked(_ batch: inout PacketBatch, pool: PacketPool) {
        var t = SendTally()
        let largest = mtu &+ 22
        batch.forEachPacket { _, packet in
            if packet.count > largest {
                // A TCP super-frame: whole to the kernel's GSO, or cut here.
                flushStaged(&t)
                packet.withUnsafeMutableBytes { sendLarge($0, &t) }
                return
            }
            if t.staged == Self.slots { flushStaged(&t) }
            if packet.withUnsafeBytes({ sendIO.stage($0, at: t.staged) }) {
                t.staged &+= 1
            } else {
                t.dropped &+= 1
            }
        }
        flushStaged(&t)
        pool.recycle(&batch)
        counters.withLock {
            $0.txPackets &+= t.packets
            $0.txBytes &+= t.bytes
            $0.txErrors &+= t.errors
            $0.txDropped &+= t.dropped
        }
    }

    /// Sends the staged frames with `sendmmsg` and empties the stage.
    private func flushStaged(_ t: inout SendTally) {
        let count = t.staged
        guard count > 0 else { return }
        t.staged = 0
        var sent = 0
        var errors: UInt64 = 0
        var attempts = 0
        while sent < count, attempts < 4 {
            attempts &+= 1
            do {
                let n = try fd.sendMessages(sendIO.messages(from: sent, count: count &- sent))
                if n == 0 { break }
                for i in sent..<(sent &+ n) { t.bytes &+= UInt64(sendIO.stagedLength(i)) }
                sent &+= n
            } catch {
                // The first message of the rest failed: count it and skip it.
                errors &+= 1
                sent &+= 1
            }
        }
        t.packets &+= UInt64(sent) &- errors
        t.errors &+= errors
        t.dropped &+= UInt64(count &- sent)
    }

    /// A frame bigger than the MTU allows: a TCP super-frame goes whole to
    /// the GSO socket (`tso=true`) or is cut into segments here; anything
    /// else is dropped.
    private func sendLarge(_ frame: UnsafeMutableRawBufferPointer, _ t: inout SendTally) {
        if let gso, gso.send(frame, mtu: mtu) {
            t.packets &+= 1
            t.bytes &+= UInt64(frame.count)
            return
        }
        guard var superFrame = TCPSuperFrame(Array(UnsafeRawBufferPointer(frame)), mtu: mtu) else {
            t.dropped &+= 1
            return
        }
        while !superFrame.isFinished {
            let length = superFrame.nextFrameLength
            guard length <= sendIO.slotSize else { t.dropped &+= 1; return }
            if t.staged == Self.slots { flushStaged(&t) }
            sendIO.stage(length: length, at: t.staged) { superFrame.emit(into: $0) }
            t.staged &+= 1
        }
        flushStaged(&t)
    }
}

/// `mmsghdr`/`iovec` vectors over a slab of `slots` frames, allocated once
/// per port; the OS glue's one home for raw memory in `NetDevices`.
final class MessageVector {
    let slots: Int
    let slotSize: Int
    private let slab: UnsafeMutableRawPointer
    private let headers: UnsafeMutableBufferPointer<CLinux_mmsghdr>
    private let vectors: UnsafeMutableBufferPointer<iovec>
    private let control: UnsafeMutableRawPointer?
    private let controlSpace: Int
    private let names: UnsafeMutableBufferPointer<sockaddr_ll>?

    init(slots: Int, slotSize: Int, withControl: Bool) {
        self.slots = slots
        self.slotSize = slotSize
        slab = .allocate(byteCount: slots * slotSize, alignment: 64)
        headers = .allocate(capacity: slots)
        headers.initialize(repeating: CLinux_mmsghdr())
        vectors = .allocate(capacity: slots)
        controlSpace = withControl ? CLinux_auxdata_space() : 0
        control = withControl ? .allocate(byteCount: slots * controlSpace, alignment: 16) : nil
        names = withControl ? .allocate(capacity: slots) : nil
        names?.initialize(repeating: sockaddr_ll())
        for i in 0..<slots {
            vectors[i] = iovec(iov_base: slab + i * slotSize, iov_len: slotSize)
            headers[i].msg_hdr.msg_iov = vectors.baseAddress! + i
            headers[i].msg_hdr.msg_iovlen = 1
        }
    }

    deinit {
        slab.deallocate()
        headers.deallocate()
        vectors.deallocate()
        control?.deallocate()
        names?.deallocate()
    }

    /// Resets the first `count` headers for a receive.
    func prepareForReceive(count: Int) {
        for i in 0..<count {
            vectors[i].iov_len = slotSize
            headers[i].msg_len = 0
            headers[i].msg_hdr.msg_flags = 0
            if let control {
                headers[i].msg_hdr.msg_control = control + i * controlSpace
                headers[i].msg_hdr.msg_controllen = controlSpace
            }
            if let names {
                headers[i].msg_hdr.msg_name = UnsafeMutableRawPointer(names.baseAddress! + i)
                headers[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_ll>.size)
            }
        }
    }

    func messages(count: Int) -> UnsafeMutableBufferPointer<CLinux_mmsghdr> {
        UnsafeMutableBufferPointer(rebasing: headers[0..<count])
    }

    func messages(from start: Int, count: Int) -> UnsafeMutableBufferPointer<CLinux_mmsghdr> {
        UnsafeMutableBufferPointer(rebasing: headers[start..<(start + count)])
    }

    /// The bytes of received message `i`, or nil if it was truncated.
    func receivedFrame(_ i: Int) -> UnsafeRawBufferPointer? {
        if headers[i].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0 { return nil }
        let n = min(Int(headers[i].msg_len), slotSize)
        return UnsafeRawBufferPointer(start: slab + i * slotSize, count: n)
    }

    /// True if received message `i` is a frame this host sent (`PACKET_OUTGOING`).
    func isOutgoing(_ i: Int) -> Bool {
        guard let names, headers[i].msg_hdr.msg_namelen >= 11 else { return false }
        return names[i].sll_pkttype == CLinux_PACKET_OUTGOING
    }

    /// The `PACKET_AUXDATA` of received message `i`, if the kernel sent one.
    func auxdata(_ i: Int) -> tpacket_auxdata? {
        var aux = tpacket_auxdata()
        return CLinux_packet_auxdata(&headers[i].msg_hdr, &aux) == 1 ? aux : nil
    }

    /// Copies `frame` into slot `i` for sending; false if it does not fit.
    func stage(_ frame: UnsafeRawBufferPointer, at i: Int) -> Bool {
        guard i < slots, frame.count <= slotSize, let base = frame.baseAddress else { return false }
        (slab + i * slotSize).copyMemory(from: base, byteCount: frame.count)
        vectors[i].iov_len = frame.count
        headers[i].msg_len = 0
        return true
    }

    func stagedLength(_ i: Int) -> Int { vectors[i].iov_len }

    /// Lets `fill` write a `length`-byte frame into slot `i` for sending.
    func stage(length: Int, at i: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        fill(UnsafeMutableRawBufferPointer(start: slab + i * slotSize, count: min(length, slotSize)))
        vectors[i].iov_len = min(length, slotSize)
        headers[i].msg_len = 0
    }
}
