import Flow
import Datapath
import Synchronization
import Wire

/// An in-memory port for tests, like Open vSwitch's `lib/netdev-dummy.c`:
/// frames injected by the test are received by the datapath; frames the
/// datapath sends are kept until the test drains them.
///
/// Options (the Interface's `options` column):
/// - `pcap=FILE`: append received and sent frames to FILE (as OVS).
/// - `rxq_pcap=FILE`: append received frames to FILE (as OVS).
/// - `tx_pcap=FILE`: append sent frames to FILE (as OVS).
/// - `input_pcap=FILE` (svs): queue every frame of FILE for receive when
///   the port is made.
/// - `rx_queue_limit=N` (svs): frames the receive queue holds (default 4096);
///   injecting into a full queue drops and counts `rxDropped`.
///
/// Safe to use from several threads: a mutex guards the queues (a test
/// device; real devices keep their rings per thread).
public final class DummyPort: Port, @unchecked Sendable {
    public let name: String
    public let type: PortType
    public let number: DatapathPort
    /// Frames the receive queue holds at most.
    public let receiveQueueLimit: Int

    private struct State {
        var receiveQueue: [[UInt8]] = []
        var receiveHead = 0
        var transmitted: [[UInt8]] = []
        var stats = PortStats()

        var pendingReceive: Int { receiveQueue.count - receiveHead }

        mutating func popReceived() -> [UInt8]? {
            guard receiveHead < receiveQueue.count else { return nil }
            let frame = receiveQueue[receiveHead]
            receiveHead += 1
            if receiveHead == receiveQueue.count {
                receiveQueue.removeAll(keepingCapacity: true)
                receiveHead = 0
            } else if receiveHead >= 1024, receiveHead * 2 >= receiveQueue.count {
                receiveQueue.removeFirst(receiveHead)
                receiveHead = 0
            }
            return frame
        }
    }

    private let state = Mutex(State())
    private let receiveCapture: PcapAppender?
    private let transmitCapture: PcapAppender?

    /// Makes a dummy port from its configuration (see the type's options).
    public init(configuration: PortConfiguration, number: DatapathPort) throws(PortError) {
        name = configuration.name
        type = configuration.type
        self.number = number
        let options = configuration.options

        if let text = options["rx_queue_limit"] {
            guard let limit = Int(text), limit > 0 else { throw .badOption(name: "rx_queue_limit", value: text) }
            receiveQueueLimit = limit
        } else {
            receiveQueueLimit = 4096
        }

        if let both = options["pcap"] {
            let capture = try PcapAppender(path: both)
            receiveCapture = capture
            transmitCapture = capture
        } else {
            receiveCapture = try options["rxq_pcap"].map { (path) throws(PortError) in try PcapAppender(path: path) }
            transmitCapture = try options["tx_pcap"].map { (path) throws(PortError) in try PcapAppender(path: path) }
        }

        if let input = options["input_pcap"] {
            let bytes = try Files.readAll(input)
            let packets: [CapturedPacket]
            do {
                var reader = try PcapReader(bytes: bytes)
                packets = try reader.readAll()
            } catch {
                throw .badCapture(path: input)
            }
            inject(contentsOf: packets.map(\.data))
        }
    }

    /// Counters since the port was made.
    public var stats: PortStats { state.withLock { $0.stats } }

    // MARK: Test side

    /// Queues `frame` for the datapath to receive. Returns false (and
    /// counts `rxDropped`) when the receive queue is full.
    @discardableResult
    public func inject(_ frame: [UInt8]) -> Bool {
        inject(contentsOf: [frame]) == 1
    }

    /// Queues `frames` in order; returns how many fit.
    @discardableResult
    public func inject(contentsOf frames: [[UInt8]]) -> Int {
        let accepted: [[UInt8]] = state.withLock { s in
            let room = max(0, receiveQueueLimit - s.pendingReceive)
            let taken = Array(frames.prefix(room))
            s.receiveQueue += taken
            s.stats.rxDropped &+= UInt64(frames.count - taken.count)
            return taken
        }
        receiveCapture?.append(accepted)
        return accepted.count
    }

    /// Frames waiting to be received.
    public var pendingReceiveCount: Int { state.withLock { $0.pendingReceive } }

    /// Removes and returns every frame the datapath sent, oldest first.
    public func drainTransmitted() -> [[UInt8]] {
        state.withLock { s in
            let frames = s.transmitted
            s.transmitted = []
            return frames
        }
    }

    // MARK: Datapath side

    public func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int {
        var frames: [[UInt8]] = []
        state.withLock { s in
            let n = min(batch.remainingCapacity, s.pendingReceive)
            guard n > 0 else { return }
            frames.reserveCapacity(n)
            for _ in 0..<n {
                guard let frame = s.popReceived() else { break }
                frames.append(frame)
                s.stats.rxPackets &+= 1
                s.stats.rxBytes &+= UInt64(frame.count)
            }
        }
        for frame in frames {
            var packet = pool.allocate(copying: frame)
            packet.metadata.inPort = number
            if let refused = batch.append(packet) {
                // Cannot happen (n was bounded by the room); recycle, not trap.
                pool.recycle(refused)
            }
        }
        return frames.count
    }

    public func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError) {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(batch.count)
        var bytes: UInt64 = 0
        while let packet = batch.removeLast() {
            let frame = packet.copyBytes()
            bytes &+= UInt64(frame.count)
            frames.append(frame)
            pool.recycle(packet)
        }
        frames.reverse()
        state.withLock { s in
            s.transmitted += frames
            s.stats.txPackets &+= UInt64(frames.count)
            s.stats.txBytes &+= bytes
        }
        if let capture = transmitCapture, !capture.append(frames) {
            state.withLock { $0.stats.txErrors &+= 1 }
        }
    }
}
