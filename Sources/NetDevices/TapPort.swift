#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Datapath
import Flow
import Synchronization

/// The datapath's own device: a TAP (`/dev/net/tun`, IFF_TAP|IFF_NO_PI)
/// named after the port and brought up, so the host stack sees what the
/// datapath sends to it. The `internal` port type.
///
/// One `read` per received frame and one `write` per sent frame (the
/// kernel's TAP has no batched calls short of vhost).
public final class TapPort: PollablePort, @unchecked Sendable {
    public let name: String
    public let type: PortType
    public let number: DatapathPort

    static let frameLimit = 65536

    private let fd: FileDescriptor
    private let counters = Mutex(PortStats())
    private let scratch: UnsafeMutableRawBufferPointer
    /// The device's MTU at creation: TCP super-frames (from `tso=true`
    /// system ports) are cut to it before they reach the host stack.
    private let mtu: Int

    /// Creates (or attaches to) TAP `configuration.name` and brings it up.
    public init(configuration: PortConfiguration, number: DatapathPort) throws(PortError) {
        name = configuration.name
        type = configuration.type
        self.number = number
        guard !name.isEmpty, name.utf8.count < 16 else { throw .invalidName(name) }
        let tun: FileDescriptor
        do {
            tun = try FileDescriptor.open("/dev/net/tun", flags: O_RDWR)
        } catch { throw error.portError }
        do {
            try tun.attachTap(name)
            try tun.setNonBlocking()
            try InterfaceInfo.bringUp(name)
        } catch {
            tun.close()
            throw error.portError
        }
        fd = tun
        mtu = (try? InterfaceInfo.read(name).mtu) ?? 1500
        scratch = .allocate(byteCount: Self.frameLimit, alignment: 64)
    }

    deinit {
        fd.close()
        scratch.deallocate()
    }

    public var stats: PortStats { counters.withLock { $0 } }

    /// The TAP's descriptor: readable when the host sent a frame.
    public var pollDescriptor: Int32 { fd.rawValue }

    /// The device's MTU, address and link state, read now.
    public func interfaceInfo() throws(PortError) -> InterfaceInfo {
        do { return try InterfaceInfo.read(name) } catch { throw error.portError }
    }

    public func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int {
        var packets: UInt64 = 0, bytes: UInt64 = 0, dropped: UInt64 = 0
        var failure: Errno?
        while batch.remainingCapacity > 0 {
            let n: Int
            do {
                guard let got = try fd.read(into: scratch) else { break }
                n = got
            } catch {
                failure = error
                break
            }
            guard n > 0 else { break }
            var packet = pool.allocate(copying: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            packet.metadata.inPort = number
            if let refused = batch.append(packet) {
                pool.recycle(refused)
                dropped &+= 1
                break
            }
            packets &+= 1
            bytes &+= UInt64(n)
        }
        counters.withLock {
            $0.rxPackets &+= packets
            $0.rxBytes &+= bytes
            $0.rxDropped &+= dropped
            if failure != nil { $0.rxErrors &+= 1 }
        }
        if let failure, packets == 0, failure.rawValue != EIO { throw failure.portError }
        return Int(packets)
    }

    /// Writes a TCP super-frame as MTU-sized segments; anything else that
    /// big is dropped. Returns (segments written, their bytes, dropped).
    private func writeSegments(_ frame: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64) {
        guard var superFrame = TCPSuperFrame(Array(frame), mtu: mtu) else { return (0, 0, 1) }
        var sent: UInt64 = 0, bytes: UInt64 = 0, dropped: UInt64 = 0
        while !superFrame.isFinished {
            let length = superFrame.nextFrameLength
            // Not `scratch`: sends may run beside the receiving thread.
            let written = withUnsafeTemporaryAllocation(byteCount: length, alignment: 16) { segment in
                superFrame.emit(into: segment)
                return (try? fd.write(UnsafeRawBufferPointer(segment))) ?? nil
            }
            if written != nil {
                sent &+= 1
                bytes &+= UInt64(length)
            } else {
                dropped &+= 1
            }
        }
        return (sent, bytes, dropped)
    }

    public func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError) {
        var packets: UInt64 = 0, bytes: UInt64 = 0, dropped: UInt64 = 0, errors: UInt64 = 0
        batch.forEachPacket { _, packet in
            if packet.count > mtu &+ 22 {
                let (sent, sentBytes, failed) = packet.withUnsafeBytes { writeSegments($0) }
                packets &+= sent
                bytes &+= sentBytes
                dropped &+= failed
                return
            }
            let result: Int?
            do {
                result = try packet.withUnsafeBytes { (b) throws(Errno) in try fd.write(b) }
            } catch {
                errors &+= 1
                return
            }
            if let n = result {
                packets &+= 1
                bytes &+= UInt64(n)
            } else {
                dropped &+= 1
            }
        }
        pool.recycle(batch)
        counters.withLock {
            $0.txPackets &+= packets
            $0.txBytes &+= bytes
            $0.txDropped &+= dropped
            $0.txErrors &+= errors
        }
    }
}
