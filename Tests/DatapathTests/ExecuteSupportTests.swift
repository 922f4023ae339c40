import Datapath
import Flow
import Testing
import Wire

// Shared pieces of the executor tests: a sink that records what it is
// given, a runner, an independent checksum verifier, and fixtures.

/// What the executor handed the sink, with a copy of the frame.
struct Recorded: Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case output(DatapathPort)
        case userspace(UInt32)
        case recirculate(UInt32)
        case drop(DropReason)
    }
    var kind: Kind
    var bytes: [UInt8]
    var metadata: PacketMetadata

    var description: String { "\(kind) \(bytes.count) bytes" }
}

/// A sink that records every call in order.
struct RecordingSink: ActionSink {
    var events: [Recorded] = []
    /// Where recorded packets go back to (else they are freed).
    var pool: PacketPool?

    init(pool: PacketPool? = nil) { self.pool = pool }

    mutating func record(_ kind: Recorded.Kind, _ packet: consuming PacketBuffer) {
        events.append(Recorded(kind: kind, bytes: packet.copyBytes(), metadata: packet.metadata))
        if let pool { pool.recycle(packet) }
    }

    mutating func output(_ packet: consuming PacketBuffer, to port: DatapathPort) {
        record(.output(port), packet)
    }
    mutating func userspace(_ packet: consuming PacketBuffer, action: UserspaceAction) {
        record(.userspace(action.pid), packet)
    }
    mutating func recirculate(_ packet: consuming PacketBuffer, id: UInt32) {
        record(.recirculate(id), packet)
    }
    mutating func drop(_ packet: consuming PacketBuffer, reason: DropReason) {
        record(.drop(reason), packet)
    }

    var outputs: [Recorded] { events.filter { if case .output = $0.kind { true } else { false } } }
}

/// Runs `actions` on a copy of `bytes` and returns what reached the sink.
func execute(_ actions: [DatapathAction], on bytes: [UInt8], metadata: PacketMetadata = PacketMetadata(),
             executor: inout ActionExecutor, pool: PacketPool) -> [Recorded] {
    var packet = pool.allocate(copying: bytes)
    packet.metadata = metadata
    var sink = RecordingSink(pool: pool)
    executor.execute(actions, on: packet, key: FlowKey(), pool: pool, sink: &sink)
    return sink.events
}

/// Runs `actions` with a fresh, seeded executor and pool.
func execute(_ actions: [DatapathAction], on bytes: [UInt8], metadata: PacketMetadata = PacketMetadata(),
             seed: UInt64 = 1) -> [Recorded] {
    var executor = ActionExecutor(seed: seed)
    let pool = PacketPool(capacity: 8, frameCapacity: 2048, headroom: 64)
    return execute(actions, on: bytes, metadata: metadata, executor: &executor, pool: pool)
}

/// Why a frame's checksums do not verify, or `nil` when they all do.
/// Independent of the executor: walks the frame with Wire's views.
/// Headers that are absent or cut short are not judged.
func checksumProblem(_ frame: [UInt8], packetType: UInt32 = 0) -> String? {
    var bytes = frame
    return bytes.withUnsafeMutableBytes { raw -> String? in
        var offset = 0
        var type: EtherType
        if packetType == 0 {
            guard let l2 = try? EthernetLayers(parsing: UnsafeRawBufferPointer(raw)) else { return nil }
            offset = l2.networkOffset
            type = l2.etherType
        } else {
            type = EtherType(rawValue: UInt16(truncatingIfNeeded: packetType))
        }
        if type.isMPLS {
            var stack = MPLSLabelStackIterator(UnsafeRawBufferPointer(raw.window(from: offset)))
            while stack.next() != nil {}
            offset += stack.offset
            guard offset < raw.count else { return nil }
            type = raw[offset] >> 4 == 4 ? .ipv4 : raw[offset] >> 4 == 6 ? .ipv6 : .none
        }
        if type == .ipv4 {
            guard let ip = try? IPv4View(validating: raw.window(from: offset)) else { return nil }
            guard ip.isChecksumValid else { return "IPv4 header" }
            guard !ip.isFragment else { return nil }
            return transportProblem(ip.protocol, ip.payload, pseudoHeaderSum: { ip.pseudoHeaderSum() })
        }
        if type == .ipv6 {
            guard let ip = try? IPv6View(validating: raw.window(from: offset)),
                  let upper = try? ip.upperLayer(), !upper.isFragment else { return nil }
            let l4 = raw.window(offset + upper.offset..<offset + 40 + Int(ip.payloadLength))
            var destination = ip.destination
            // A routing header with segments left: the final destination.
            var walk = ip.extensionHeaders
            while let h = try? walk.next() {
                if h.kind == .ipv6Route, let r = try? IPv6RoutingHeader(parsing: UnsafeRawBufferPointer(h.bytes)),
                   let final = r.finalDestination { destination = final }
            }
            return transportProblem(upper.protocol, l4, pseudoHeaderSum: {
                InternetChecksum.pseudoHeaderSum(source: ip.source, destination: destination,
                                                 nextHeader: upper.protocol, length: l4.count)
            })
        }
        return nil
    }
}

private func transportProblem(_ proto: IPProtocol, _ l4: UnsafeMutableRawBufferPointer,
                              pseudoHeaderSum: () -> UInt32) -> String? {
    switch proto {
    case .tcp:
        guard let v = try? TCPView(validating: l4) else { return nil }
        return v.isChecksumValid(pseudoHeaderSum: pseudoHeaderSum()) ? nil : "TCP"
    case .udp:
        guard let v = try? UDPView(validating: l4) else { return nil }
        return v.isChecksumValid(pseudoHeaderSum: pseudoHeaderSum()) ? nil : "UDP"
    case .icmp:
        guard let v = try? ICMPv4View(validating: l4) else { return nil }
        return v.isChecksumValid ? nil : "ICMP"
    case .icmpv6:
        guard let v = try? ICMPv6View(validating: l4) else { return nil }
        return v.isChecksumValid(pseudoHeaderSum: pseudoHeaderSum()) ? nil : "ICMPv6"
    case .sctp:
        guard let v = try? SCTPView(validating: l4) else { return nil }
        return v.isChecksumValid ? nil : "SCTP"
    default:
        return nil
    }
}

/// A deterministic generator (ExecuteRandom), so failures reproduce.
struct ExecuteRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
}

// MARK: Fixtures

let mac1 = EthernetAddress(0x02, 0, 0, 0, 0, 1)
let mac2 = EthernetAddress(0x02, 0, 0, 0, 0, 2)
let mac3 = EthernetAddress(0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f)
let mac4 = EthernetAddress(0x50, 0x54, 0x00, 0x12, 0x34, 0x56)
let ip1 = IPv4Address(10, 0, 0, 1)
let ip2 = IPv4Address(10, 0, 0, 2)
let ip3 = IPv4Address(192, 168, 7, 9)
let ip4 = IPv4Address(172, 16, 255, 254)
let ip6a = IPv6Address("2001:db8::1")!
let ip6b = IPv6Address("2001:db8::2")!
let ip6c = IPv6Address("fe80::1234:5678:9abc:def0")!
let ip6d = IPv6Address("ff02::1:ff00:1")!

func ethernet(_ source: EthernetAddress = mac1, _ destination: EthernetAddress = mac2) -> PacketBuilder {
    PacketBuilder.ethernet(source: source, destination: destination)
}

extension PacketBuilder {
    func ipv4(_ s: IPv4Address, _ d: IPv4Address, tos: UInt8 = 0, ttl: UInt8 = 64) -> PacketBuilder {
        ipv4(source: s, destination: d, ttl: ttl, typeOfService: tos, identification: 0x1234)
    }
    func ipv6(_ s: IPv6Address, _ d: IPv6Address, tc: UInt8 = 0, label: UInt32 = 0, hop: UInt8 = 64) -> PacketBuilder {
        ipv6(source: s, destination: d, hopLimit: hop, trafficClass: tc, flowLabel: label)
    }
    func tcp(_ s: UInt16, _ d: UInt16) -> PacketBuilder {
        tcp(sourcePort: s, destinationPort: d, sequenceNumber: 0x0102_0304, flags: [.syn, .ack])
    }
}
