import Flow
import Synchronization
import Wire

// The `hash` action (dp_hash) and `sample`'s random draws.

/// Open vSwitch's murmur-style `hash_add` / `hash_finish` (lib/hash.h,
/// the portable variant), so `dp_hash` spreads as OVS's does and the slow
/// path's `multipath`/`bundle` choose as OVS's do.
public enum MurmurHash {
    /// `hash_add`.
    @inline(__always)
    public static func add(_ hash: UInt32, _ data: UInt32) -> UInt32 {
        var h = hash
        if data != 0 {
            var d = data &* 0xcc9e_2d51
            d = d << 15 | d >> 17
            d = d &* 0x1b87_3593
            h ^= d
        }
        h = h << 13 | h >> 19
        return h &* 5 &+ 0xe654_6b64
    }

    /// `hash_add64`.
    @inline(__always)
    public static func add64(_ hash: UInt32, _ data: UInt64) -> UInt32 {
        add(add(hash, UInt32(truncatingIfNeeded: data)), UInt32(truncatingIfNeeded: data >> 32))
    }

    /// `hash_finish`.
    @inline(__always)
    public static func finish(_ hash: UInt32, _ final: UInt32) -> UInt32 {
        var h = hash ^ final
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return h
    }
}

/// The fields of the flow the hash reads, taken from the packet as it is
/// now (OVS extracts the flow again, since earlier actions may have
/// rewritten it). Values are as OVS's `struct flow` holds them in memory:
/// network order, read as little-endian words on x86.
struct HashFields {
    var ipv4Source: UInt32 = 0
    var ipv4Destination: UInt32 = 0
    var ipv6Source = IPv6Address.any
    var ipv6Destination = IPv6Address.any
    var networkProtocol: UInt8 = 0
    var transportSource: UInt16 = 0
    var transportDestination: UInt16 = 0

    init(_ frame: UnsafeMutableRawBufferPointer, _ layout: PacketLayout) {
        if layout.isIPv4 {
            ipv4Source = frame.loadBigEndian(at: layout.l3Offset &+ IPv4Field.source)
            ipv4Destination = frame.loadBigEndian(at: layout.l3Offset &+ IPv4Field.destination)
            networkProtocol = layout.ipProtocol.rawValue
        } else if layout.isIPv6 {
            ipv6Source = frame.loadIPv6Address(at: layout.l3Offset &+ IPv6Field.source)
            ipv6Destination = frame.loadIPv6Address(at: layout.l3Offset &+ IPv6Field.destination)
            networkProtocol = layout.ipProtocol.rawValue
        } else if layout.etherType == .arp || layout.etherType == .rarp, layout.l3Offset >= 0,
                  let arp = try? ARPView(validating: frame.window(from: layout.l3Offset)) {
            ipv4Source = arp.senderProtocolAddress.rawValue
            ipv4Destination = arp.targetProtocolAddress.rawValue
            let op = arp.operation.rawValue
            networkProtocol = op <= 0xff ? UInt8(op) : 0
            return
        } else {
            return
        }
        let l4 = layout.l4Offset
        guard l4 >= 0 else { return }
        let length = layout.l4Length
        switch layout.ipProtocol {
        case .tcp:
            guard (try? TCPView(validating: frame.window(l4..<layout.l3End))) != nil else { return }
        case .udp:
            guard length >= UDPField.headerLength else { return }
        case .sctp:
            guard length >= SCTPField.headerLength else { return }
        case .icmp, .icmpv6:
            // OVS keeps ICMP type and code in tp_src and tp_dst.
            guard length >= ICMPv4Field.headerLength else { return }
            transportSource = UInt16(frame[l4])
            transportDestination = UInt16(frame[l4 &+ 1])
            return
        default:
            return
        }
        transportSource = frame.loadBigEndian(at: l4)
        transportDestination = frame.loadBigEndian(at: l4 &+ 2)
    }

    /// `ports` as one 32-bit word, as OVS reads `tp_src` and `tp_dst` together.
    var portsWord: UInt32 {
        UInt32(transportSource.bigEndian) | UInt32(transportDestination.bigEndian) << 16
    }
}

extension ActionExecutor {
    /// OVS's flow_hash_5tuple: addresses, protocol, ports; the basis seeds it.
    @usableFromInline
    static func l4Hash(_ frame: UnsafeMutableRawBufferPointer, layout: PacketLayout, basis: UInt32) -> UInt32 {
        var hash = basis
        let type = layout.etherType
        guard type == .ipv4 || type == .ipv6 || type == .arp else { return MurmurHash.finish(hash, 42) }
        let f = HashFields(frame, layout)
        if type == .ipv6 {
            hash = MurmurHash.add64(hash, f.ipv6Source.high.bigEndian)
            hash = MurmurHash.add64(hash, f.ipv6Source.low.bigEndian)
            hash = MurmurHash.add64(hash, f.ipv6Destination.high.bigEndian)
            hash = MurmurHash.add64(hash, f.ipv6Destination.low.bigEndian)
        } else {
            hash = MurmurHash.add(hash, f.ipv4Source.bigEndian)
            hash = MurmurHash.add(hash, f.ipv4Destination.bigEndian)
        }
        hash = MurmurHash.add(hash, UInt32(f.networkProtocol))
        let p = IPProtocol(rawValue: f.networkProtocol)
        if p == .tcp || p == .udp || p == .sctp || p == .icmp || p == .icmpv6 {
            hash = MurmurHash.add(hash, f.portsWord)
        }
        return MurmurHash.finish(hash, 42)
    }

    /// OVS's flow_hash_symmetric_l3l4 (UDP ports left out): the same in both
    /// directions. Non-IP packets hash their L2 addresses, VLAN ids and
    /// EtherType symmetrically; L3 packets without Ethernet hash to 0.
    @usableFromInline
    static func symmetricL4Hash(_ frame: UnsafeMutableRawBufferPointer, layout: PacketLayout,
                                packetType: UInt32, basis: UInt32) -> UInt32 {
        var hash = basis
        if layout.etherType == .ipv4 {
            let f = HashFields(frame, layout)
            hash = MurmurHash.add(hash, (f.ipv4Source ^ f.ipv4Destination).bigEndian)
            hash = addSymmetricPorts(hash, f, layout)
        } else if layout.etherType == .ipv6 {
            let f = HashFields(frame, layout)
            hash = MurmurHash.add64(hash, (f.ipv6Source.high ^ f.ipv6Destination.high).bigEndian)
            hash = MurmurHash.add64(hash, (f.ipv6Source.low ^ f.ipv6Destination.low).bigEndian)
            hash = addSymmetricPorts(hash, f, layout)
        } else {
            guard packetType == 0, layout.hasEthernet else { return 0 }
            let macs = frame.loadEthernetAddress(at: EthernetField.source).rawValue
                ^ frame.loadEthernetAddress(at: EthernetField.destination).rawValue
            var vlans: UInt16 = 0
            var offset = EthernetField.etherType
            for _ in 0..<2 {
                let tpid: UInt16 = frame.loadBigEndian(at: offset)
                guard EtherType(rawValue: tpid).isVLAN, frame.count &- offset >= 2 &+ VLANField.headerLength
                else { break }
                vlans ^= frame.loadBigEndian(at: offset &+ 2, as: UInt16.self) & 0x0fff
                offset &+= VLANField.headerLength
            }
            // { eth_type, vlan_tci, eth_addr (6 bytes), pad } as three words.
            let word0 = UInt32(layout.etherType.rawValue.bigEndian) | UInt32(vlans.bigEndian) << 16
            let macBytes = (macs << 16).bigEndian   // the six octets, first octet first in memory
            hash = MurmurHash.add(hash, word0)
            hash = MurmurHash.add(hash, UInt32(truncatingIfNeeded: macBytes))
            hash = MurmurHash.add(hash, UInt32(truncatingIfNeeded: macBytes >> 32))
        }
        return MurmurHash.finish(hash, basis)
    }

    private static func addSymmetricPorts(_ hash: UInt32, _ f: HashFields, _ layout: PacketLayout) -> UInt32 {
        var hash = MurmurHash.add(hash, UInt32(f.networkProtocol))
        let p = IPProtocol(rawValue: f.networkProtocol)
        if !layout.isFragment, p == .tcp || p == .sctp {
            hash = MurmurHash.add(hash, UInt32((f.transportSource ^ f.transportDestination).bigEndian))
        }
        return hash
    }
}

/// The random numbers `sample` draws: xorshift64*, a few instructions a
/// draw. Deterministic for a given seed (tests); seed 0 takes a seed from a
/// process-wide counter on the first draw, so executors made on the fly
/// still differ.
public struct SampleRandom: Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 32 random bits.
    @inlinable public mutating func next() -> UInt32 {
        if state == 0 { state = Self.freshSeed() }
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return UInt32(truncatingIfNeeded: (state &* 0x2545_f491_4f6c_dd1d) >> 32)
    }

    /// True with probability `probability / 2^32` (`UInt32.max`: always;
    /// 0: never), as the kernel datapath's sample does.
    @inlinable public mutating func fires(probability: UInt32) -> Bool {
        switch probability {
        case 0: return false
        case .max: return true
        default: return next() < probability
        }
    }

    @usableFromInline @inline(never)
    static func freshSeed() -> UInt64 {
        // splitmix64 of a counter: distinct, never zero in practice.
        var z = seedCounter.wrappingAdd(0x9e37_79b9_7f4a_7c15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return z == 0 ? 1 : z
    }
}

/// Feeds `SampleRandom.freshSeed`.
let seedCounter = Atomic<UInt64>(0x853c_49e6_748f_ea9b)
