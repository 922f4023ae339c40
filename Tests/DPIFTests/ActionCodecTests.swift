import Flow
import Datapath
@testable import DPIF
import Testing
import Wire

struct ActionFixture: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var action: DatapathAction
    /// The attribute as Open vSwitch lays it out (little-endian host).
    var bytes: [UInt8]
}

@Suite struct ActionCodecTests {
    @Test(arguments: [
        ActionFixture(testDescription: "output(5)", action: .output(DatapathPort(5)),
                      bytes: [8, 0, 1, 0, 5, 0, 0, 0]),
        ActionFixture(testDescription: "push_vlan(vid=5)", action: .pushVLAN(VLANPush(vlanID: 5)),
                      bytes: [8, 0, 4, 0, 0x81, 0x00, 0x10, 0x05]),
        ActionFixture(testDescription: "push_vlan(tpid=0x88a8)", action: .pushVLAN(VLANPush(tagProtocol: .service, tci: 0x2064)),
                      bytes: [8, 0, 4, 0, 0x88, 0xa8, 0x20, 0x64]),
        ActionFixture(testDescription: "pop_vlan", action: .popVLAN, bytes: [4, 0, 5, 0]),
        ActionFixture(testDescription: "recirc(0x10)", action: .recirculate(0x10), bytes: [8, 0, 7, 0, 0x10, 0, 0, 0]),
        ActionFixture(testDescription: "hash(l4, 1)", action: .hash(HashAction(algorithm: .l4, basis: 1)),
                      bytes: [12, 0, 8, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
        ActionFixture(testDescription: "push_mpls(label=16)",
                      action: .pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(rawValue: 0x0001_0140), etherType: .mpls)),
                      bytes: [12, 0, 9, 0, 0x00, 0x01, 0x01, 0x40, 0x88, 0x47, 0, 0]),
        ActionFixture(testDescription: "pop_mpls(0x0800)", action: .popMPLS(.ipv4), bytes: [6, 0, 10, 0, 0x08, 0x00, 0, 0]),
        ActionFixture(testDescription: "trunc(100)", action: .truncate(100), bytes: [8, 0, 13, 0, 100, 0, 0, 0]),
        ActionFixture(testDescription: "meter(3)", action: .meter(MeterID(3)), bytes: [8, 0, 19, 0, 3, 0, 0, 0]),
        ActionFixture(testDescription: "ct_clear", action: .conntrackClear, bytes: [4, 0, 16, 0]),
        ActionFixture(testDescription: "drop", action: .drop(.ok), bytes: [8, 0, 25, 0, 0, 0, 0, 0]),
        ActionFixture(testDescription: "set(ipv4)",
                      action: .set(.ipv4(IPv4Key(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2),
                                                 proto: .tcp, tos: 0, ttl: 64, fragment: .none))),
                      bytes: [20, 0, 3, 0, 16, 0, 7, 0, 10, 0, 0, 1, 10, 0, 0, 2, 6, 0, 64, 0]),
        ActionFixture(testDescription: "set(skb_mark)", action: .set(.packetMark(0x1234)),
                      bytes: [12, 0, 3, 0, 8, 0, 15, 0, 0x34, 0x12, 0, 0]),
        ActionFixture(testDescription: "set_masked(tcp)",
                      action: .setMasked(.tcp(Masked(TransportPorts(source: 0, destination: 80),
                                                     mask: TransportPorts(source: 0, destination: 0xffff)))),
                      bytes: [16, 0, 11, 0, 12, 0, 9, 0, 0, 0, 0, 80, 0, 0, 0xff, 0xff]),
        ActionFixture(testDescription: "set(tunnel(tun_id=5,dst=1.2.3.4,ttl=64))",
                      action: .set(.tunnel(TunnelMetadata(tunnelID: 5, ipv4Destination: IPv4Address(1, 2, 3, 4), ttl: 64))),
                      bytes: [36, 0, 3, 0, 32, 0, 16, 0,
                              12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
                              8, 0, 2, 0, 1, 2, 3, 4,
                              5, 0, 4, 0, 64, 0, 0, 0]),
        ActionFixture(testDescription: "sample(always, output(1))",
                      action: .sample(SampleAction(probability: .max, actions: [.output(DatapathPort(1))])),
                      bytes: [24, 0, 6, 0, 8, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 12, 0, 2, 0, 8, 0, 1, 0, 1, 0, 0, 0]),
        ActionFixture(testDescription: "clone(pop_vlan)", action: .clone([.popVLAN]), bytes: [8, 0, 20, 0, 4, 0, 5, 0]),
        ActionFixture(testDescription: "check_pkt_len(size=200,gt(drop),le(output(2)))",
                      action: .checkPacketLength(CheckPacketLength(length: 200, ifGreater: [],
                                                                   ifLessOrEqual: [.output(DatapathPort(2))])),
                      bytes: [28, 0, 21, 0, 6, 0, 1, 0, 200, 0, 0, 0, 4, 0, 2, 0, 12, 0, 3, 0, 8, 0, 1, 0, 2, 0, 0, 0]),
        ActionFixture(testDescription: "userspace(pid=9,userdata(01 02))",
                      action: .userspace(UserspaceAction(pid: 9, userdata: [1, 2])),
                      bytes: [20, 0, 2, 0, 8, 0, 1, 0, 9, 0, 0, 0, 6, 0, 2, 0, 1, 2, 0, 0]),
        ActionFixture(testDescription: "ct(commit,zone=5)", action: .conntrack(ConntrackAction(commit: true, zone: 5)),
                      bytes: [16, 0, 12, 0, 4, 0, 1, 0, 6, 0, 2, 0, 5, 0, 0, 0]),
        ActionFixture(testDescription: "tnl_pop(4)", action: .tunnelPop(DatapathPort(4)), bytes: [8, 0, 24, 0, 4, 0, 0, 0]),
        ActionFixture(testDescription: "tnl_push(header 2 bytes)",
                      action: .tunnelPush(TunnelPush(tunnelPort: DatapathPort(4), outPort: DatapathPort(1),
                                                     tunnelType: .vxlan, header: [0xaa, 0xbb])),
                      bytes: [22, 0, 23, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0xaa, 0xbb, 0, 0]),
    ])
    func encodesAsOpenVSwitchDoes(_ f: ActionFixture) throws {
        #expect(try DatapathActionCodec.encode([f.action]) == f.bytes)
        #expect(try DatapathActionCodec.decode(f.bytes) == [f.action])
    }

    @Test func everyActionKindRoundTrips() throws {
        var g = Gen(seed: 1)
        var kinds = Set<String>()
        for _ in 0..<3_000 {
            let actions = g.actions()
            for a in actions { kinds.insert(String(describing: a).prefix { $0 != "(" }.description) }
            #expect(try DatapathActionCodec.decode(DatapathActionCodec.encode(actions)) == actions)
        }
        #expect(kinds.count == 24)          // every case of DatapathAction
    }

    @Test func everySetFieldRoundTrips() throws {
        var g = Gen(seed: 2)
        for _ in 0..<2_000 {
            let actions: [DatapathAction] = [.set(g.setField()), .setMasked(g.maskedField())]
            #expect(try DatapathActionCodec.decode(DatapathActionCodec.encode(actions)) == actions)
        }
    }

    @Test func unknownActionIsUnexpected() {
        #expect(throws: TLVError.unexpectedType(99, offset: 0)) { try DatapathActionCodec.decode([4, 0, 99, 0]) }
        #expect(throws: TLVError.unexpectedType(17, offset: 0)) { try DatapathActionCodec.decode([4, 0, 17, 0]) }
        // set() with an unknown key
        #expect(throws: TLVError.unexpectedType(40, offset: 4)) {
            try DatapathActionCodec.decode([8, 0, 3, 0, 4, 0, 40, 0])
        }
        // set_masked(tunnel) is not an action Open vSwitch has
        #expect(throws: TLVError.unexpectedType(16, offset: 4)) {
            try DatapathActionCodec.decode([8, 0, 11, 0, 4, 0, 16, 0])
        }
    }

    @Test func badPayloadsAreTypedErrors() {
        // push_vlan with TPID 0x0800
        #expect(throws: TLVError.badValue(type: 4, offset: 0)) {
            try DatapathActionCodec.decode([8, 0, 4, 0, 0x08, 0x00, 0, 5])
        }
        // output with 2 bytes
        #expect(throws: TLVError.badLength(type: 1, offset: 0)) { try DatapathActionCodec.decode([6, 0, 1, 0, 1, 0, 0, 0]) }
        // set with two keys
        #expect(throws: TLVError.badValue(type: 3, offset: 0)) {
            try DatapathActionCodec.decode([20, 0, 3, 0, 8, 0, 15, 0, 1, 0, 0, 0, 8, 0, 2, 0, 1, 0, 0, 0])
        }
        // set(ipv4) one byte short
        #expect(throws: TLVError.badLength(type: 7, offset: 4)) {
            try DatapathActionCodec.decode([19, 0, 3, 0, 15, 0, 7, 0] + [UInt8](repeating: 0, count: 12))
        }
        // sample without probability
        #expect(throws: TLVError.missingAttribute(1)) { try DatapathActionCodec.decode([8, 0, 6, 0, 4, 0, 2, 0]) }
        // tnl_push whose header_len disagrees with the payload
        #expect(throws: TLVError.badValue(type: 23, offset: 0)) {
            try DatapathActionCodec.decode([20, 0, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])
        }
        // nat with both src and dst
        #expect(throws: TLVError.self) {
            try DatapathActionCodec.decode([16, 0, 12, 0, 12, 0, 6, 0, 4, 0, 1, 0, 4, 0, 2, 0])
        }
        // tunnel key with Geneve options (not supported yet)
        #expect(throws: TLVError.unexpectedType(8, offset: 8)) {
            try DatapathActionCodec.decode([12, 0, 3, 0, 8, 0, 16, 0, 4, 0, 8, 0])
        }
    }

    @Test func nestingDeeperThanSixteenIsRefused() throws {
        var deep: [DatapathAction] = [.popVLAN]
        for _ in 0..<16 { deep = [.clone(deep)] }
        #expect(try DatapathActionCodec.decode(DatapathActionCodec.encode(deep)) == deep)
        let tooDeep: [DatapathAction] = [.clone(deep)]
        #expect(throws: TLVError.nestingTooDeep(offset: 68)) {
            try DatapathActionCodec.decode(DatapathActionCodec.encode(tooDeep))
        }
        // Thousands of levels of raw nesting stop at the limit, not the stack.
        var bytes: [UInt8] = []
        for _ in 0..<10_000 {
            let length = bytes.count + 4
            bytes = [UInt8(length & 0xff), UInt8(length >> 8), 20, 0] + bytes
            if bytes.count > 60_000 { break }
        }
        #expect(throws: TLVError.self) { try DatapathActionCodec.decode(bytes) }
    }
}
