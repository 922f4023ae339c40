import Flow
import Foundation
import OFProto
import Synchronization
import Testing
@testable import OpenFlow

/// The ARP request the packet-in tests carry (42 bytes).
private let arp: [UInt8] = hexBytes("ffffffffffff00000000000108060001080006040001000000000001c0a80001000000000000c0a80002")

private func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

private func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }


/// A packet-in as a `controller` action after `load:5->reg3` in a rule
/// with cookie 0x12, on in_port 1.
private func samplePacketIn(reason: PacketInReason = .action, table: UInt8 = 0) -> PacketIn {
    var flow = FlowKey()
    flow.openFlowInPort = OFPort(rawValue: 1)
    OFField.named("reg3")!.write(5, mask: 0xffff_ffff, into: &flow)
    return PacketIn(packet: arp, reason: reason, tableID: table, cookie: 0x12, metadata: PacketIn.metadata(of: flow))
}

@Suite struct PacketInEncodingTests {
    // The first lines `ovs-ofctl monitor` printed for the same packet-in
    // from a real ovs-vswitchd 3.1 (flow `cookie=0x12,in_port=1,
    // actions=load:5->NXM_NX_REG3[],controller`, packet-out `table`).
    static let expected: [(version: UInt8, format: UInt32, text: String)] = [
        (1, 2, "NXT_PACKET_IN2 (xid=0x0): cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via action) data_len=42 (unbuffered)"),
        (1, 1, "NXT_PACKET_IN (xid=0x0): cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via action) data_len=42 (unbuffered)"),
        (4, 0, "OFPT_PACKET_IN (OF1.3) (xid=0x0): cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via action) data_len=42 (unbuffered)"),
        (4, 2, "NXT_PACKET_IN2 (OF1.3) (xid=0x0): cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via action) data_len=42 (unbuffered)"),
        (5, 0, "OFPT_PACKET_IN (OF1.4) (xid=0x0): cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via action) data_len=42 (unbuffered)"),
        (6, 0, "OFPT_PACKET_IN (OF1.5) (xid=0x0): cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via action) data_len=42 (unbuffered)"),
    ]

    @Test func everyFormatDecodesInOVS() throws {
        for e in Self.expected {
            let m = OFSwitchSession.encodePacketIn(samplePacketIn(), version: e.version, format: e.format)
            guard let printed = ofpPrint(m) else { return }
            let lines = printed.split(separator: "\n").map(String.init)
            #expect(lines.first == e.text, "v\(e.version) format \(e.format)")
            #expect(lines.dropFirst().first?.hasPrefix("arp,vlan_tci=0x0000,dl_src=00:00:00:00:00:01") == true)
        }
    }

    @Test func openFlow10PacketInCarriesOnlyThePort() throws {
        let m = OFSwitchSession.encodePacketIn(samplePacketIn(), version: 1, format: 0)
        // buffer_id, total_len, in_port, reason, pad, then the frame.
        #expect(Array(m.body.prefix(10)) == [0xff, 0xff, 0xff, 0xff, 0, 42, 0, 1, 1, 0])
        #expect(Array(m.body.dropFirst(10)) == arp)
        if let printed = ofpPrint(m) {
            #expect(printed.hasPrefix("OFPT_PACKET_IN (xid=0x0): total_len=42 in_port=1 (via action) data_len=42 (unbuffered)"))
        }
    }

    @Test func reasonsPerVersion() {
        // encode_packet_in_reason: misses and the OF1.4 reasons.
        #expect(PacketInReason.explicitMiss.wire(version: 1) == 1)
        #expect(PacketInReason.explicitMiss.wire(version: 4) == 0)
        #expect(PacketInReason.implicitMiss.wire(version: 1) == 0)
        #expect(PacketInReason.packetOut.wire(version: 4) == 1)
        #expect(PacketInReason.packetOut.wire(version: 5) == 5)
        #expect(PacketInReason.actionSet.wire(version: 6) == 3)
        let m = OFSwitchSession.encodePacketIn(samplePacketIn(reason: .explicitMiss, table: 3), version: 4, format: 0)
        if let printed = ofpPrint(m) {
            #expect(printed.hasPrefix("OFPT_PACKET_IN (OF1.3) (xid=0x0): table_id=3 cookie=0x12 total_len=42 reg3=0x5,in_port=1 (via no_match)"))
        }
    }
}

@Suite struct ControllerSessionTests {
    func session(_ v: UInt8, bridge: OFProtoBridge, service: Bool = false) -> OFSwitchSession {
        let s = OFSwitchSession(bridge: bridge, datapathID: 1, isService: service)
        _ = s.handle(OFHello.message(versions: [v]))
        s.publishFormat()
        OFSessionRegistry.add(s)
        return s
    }

    func newBridge() -> OFProtoBridge {
        var settings = BridgeSettings()
        settings.failSecure = true
        return OFProtoBridge(name: "br0", datapathName: "none", settings: settings)
    }

    func role(_ role: UInt32, generation: UInt64, xid: UInt32 = 7) -> OFMessage {
        var w = OFWriter()
        w.u32(role); w.zeros(4); w.u64(generation)
        return OFMessage(version: 4, type: 24, xid: xid, body: w.bytes)
    }

    func error(_ replies: [OFMessage]) -> OFErrorCode? {
        guard replies.count == 1, replies[0].type == OFType.error else { return nil }
        return OFErrorCode.decode(version: replies[0].version, body: replies[0].body)
    }

    @Test func masterSlaveAndGenerations() {
        let bridge = newBridge()
        let a = session(4, bridge: bridge), b = session(4, bridge: bridge)
        defer { OFSessionRegistry.remove(a); OFSessionRegistry.remove(b) }
        // a becomes master with generation 5.
        let r = a.handle(role(2, generation: 5))
        #expect(r.count == 1 && r[0].type == 25)
        #expect(Array(r[0].body.prefix(4)) == [0, 0, 0, 2])
        #expect(Array(r[0].body.suffix(8)) == [0, 0, 0, 0, 0, 0, 0, 5])
        // A stale generation is refused.
        #expect(error(b.handle(role(2, generation: 4))) == .roleStale)
        // b becomes master: a is demoted to slave.
        #expect(b.handle(role(2, generation: 6)).first?.type == 25)
        #expect(a.asyncSettings.role == .slave)
        #expect(b.asyncSettings.role == .master)
        // A slave cannot modify the tables or send packets.
        var fm = OFFlowMod()
        fm.actions = [.output(port: OFPort(rawValue: 1), maxLength: 0)]
        #expect(error(a.handle(fm.encode(version: 4, xid: 9))) == .isSlave)
        #expect(b.handle(fm.encode(version: 4, xid: 9)).isEmpty)
        // A slave gets no packet-ins, the master does.
        #expect(a.asyncMessage(for: .packetIn(samplePacketIn())) == nil)
        #expect(b.asyncMessage(for: .packetIn(samplePacketIn()))?.type == 10)
        // NOCHANGE reports the current role.
        let now = a.handle(role(0, generation: 0))
        #expect(Array(now[0].body.prefix(4)) == [0, 0, 0, 3])
        // A bad role.
        #expect(error(a.handle(role(9, generation: 0))) == .badRole)
        // Nicira role request: slave -> reply NX_ROLE_SLAVE (2).
        let nx = a.handle(OFMessage(version: 4, type: 4, xid: 3, body: [0, 0, 0x23, 0x20, 0, 0, 0, 10, 0, 0, 0, 1]))
        #expect(nx.count == 1 && Array(nx[0].body) == [0, 0, 0x23, 0x20, 0, 0, 0, 11, 0, 0, 0, 1])
        #expect(a.asyncSettings.role == .master && b.asyncSettings.role == .slave)
    }

    @Test func demotedMastersHearOfItInOpenFlow14() {
        let bridge = newBridge()
        let a = session(5, bridge: bridge), b = session(5, bridge: bridge)
        defer { OFSessionRegistry.remove(a); OFSessionRegistry.remove(b) }
        let heard = Mutex<[OFMessage]>([])
        a.controllerState.withLock { $0.sink = { m in heard.withLock { $0.append(m) } } }
        func role5(_ r: UInt32, _ g: UInt64) -> OFMessage {
            var m = role(r, generation: g)
            m.version = 5
            return m
        }
        _ = a.handle(role5(2, 1))
        #expect(heard.withLock { $0.isEmpty })
        _ = b.handle(role5(2, 2))
        let got = heard.withLock { $0 }
        #expect(got.count == 1 && got.first?.type == 30)
        if let m = got.first, let printed = ofpPrint(m) {
            #expect(printed.hasPrefix("OFPT_ROLE_STATUS (OF1.4) (xid=0x0): role=secondary generation_id=2 reason=primary_request"))
        }
    }

    @Test func serviceConnectionsGetPacketInsOnlyWhenTheyAsk() {
        let bridge = newBridge()
        let s = session(1, bridge: bridge, service: true)
        defer { OFSessionRegistry.remove(s) }
        #expect(s.asyncMessage(for: .packetIn(samplePacketIn())) == nil)
        _ = s.handle(OFMessage(version: 1, type: OFType.setConfig, xid: 2, body: [0, 0, 0xff, 0xfe]))
        #expect(s.asyncMessage(for: .packetIn(samplePacketIn()))?.type == 10)
        let config = s.handle(OFMessage(version: 1, type: OFType.getConfigRequest, xid: 3))
        #expect(config.first?.body == [0, 0, 0xff, 0xfe])
        // A controller id filters packet-ins.
        _ = s.handle(OFMessage(version: 1, type: 4, xid: 4, body: [0, 0, 0x23, 0x20, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 9]))
        #expect(s.asyncMessage(for: .packetIn(samplePacketIn())) == nil)
    }

    @Test func asyncConfigMasks() {
        let bridge = newBridge()
        let s = session(4, bridge: bridge)
        defer { OFSessionRegistry.remove(s) }
        // OF1.3 default: implicit misses are not sent, explicit ones are.
        #expect(s.asyncMessage(for: .packetIn(samplePacketIn(reason: .implicitMiss))) == nil)
        #expect(s.asyncMessage(for: .packetIn(samplePacketIn(reason: .explicitMiss))) != nil)
        // SET_ASYNC with only no_match (bit 0) for packet-ins.
        var w = OFWriter()
        w.u32(1); w.u32(0); w.u32(7); w.u32(7); w.u32(0xf); w.u32(0)
        #expect(s.handle(OFMessage(version: 4, type: 28, xid: 5, body: w.bytes)).isEmpty)
        #expect(s.asyncMessage(for: .packetIn(samplePacketIn(reason: .action))) == nil)
        let got = s.handle(OFMessage(version: 4, type: 26, xid: 6))
        #expect(got.first?.type == 27 && got.first?.body == w.bytes)
        // A short SET_ASYNC is refused and the session lives.
        #expect(error(s.handle(OFMessage(version: 4, type: 28, xid: 7, body: [0, 0, 0, 1]))) == .badRequestLength)
        #expect(s.handle(OFMessage(version: 4, type: 2, xid: 8)).first?.type == 3)
    }

    @Test func malformedPacketOutsGetErrors() {
        let bridge = newBridge()
        let s = session(4, bridge: bridge)
        defer { OFSessionRegistry.remove(s) }
        func packetOut(buffer: UInt32 = 0xffff_ffff, inPort: UInt32 = 0xffff_fffd, actionsLength: UInt16, actions: [UInt8],
                       data: [UInt8] = arp) -> OFMessage {
            var w = OFWriter()
            w.u32(buffer); w.u32(inPort); w.u16(actionsLength); w.zeros(6)
            w.append(actions); w.append(data)
            return OFMessage(version: 4, type: 13, xid: 11, body: w.bytes)
        }
        let output: [UInt8] = [0, 0, 0, 16, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0]
        #expect(error(s.handle(OFMessage(version: 4, type: 13, xid: 1, body: [0, 0, 0]))) == .badRequestLength)
        #expect(error(s.handle(packetOut(buffer: 7, actionsLength: 16, actions: output))) == .bufferUnknown)
        #expect(error(s.handle(packetOut(actionsLength: 12, actions: output))) == .badRequestLength)
        #expect(error(s.handle(packetOut(actionsLength: 24, actions: output, data: []))) == .badRequestLength)
        #expect(error(s.handle(packetOut(inPort: 0xff00, actionsLength: 16, actions: output))) == .badPort)
        #expect(error(s.handle(packetOut(actionsLength: 8, actions: [0, 99, 0, 8, 0, 0, 0, 0]))) == .badActionType)
        // A well-formed packet-out on a bridge without a datapath.
        #expect(error(s.handle(packetOut(actionsLength: 16, actions: output))) == .badPacket)
        // Still alive.
        #expect(s.handle(OFMessage(version: 4, type: 2, xid: 8)).first?.type == 3)
    }
}

@Suite struct ControllerMiscTests {
    @Test func rateLimiterBurstThenRate() {
        var l = OFRateLimiter(rate: 100, burst: 25)
        var admitted = 0
        for _ in 0..<100 where l.admit() { admitted += 1 }
        // The burst, plus whatever a few microseconds refilled.
        #expect(admitted >= 25 && admitted <= 27)
        #expect(l.dropped >= 73)
    }

    @Test func openFlow14AsyncProperties() {
        var settings = BridgeSettings()
        settings.failSecure = true
        let s = OFSwitchSession(bridge: OFProtoBridge(name: "br0", datapathName: "none", settings: settings),
                                datapathID: 1, isService: false)
        _ = s.handle(OFHello.message(versions: [5]))
        s.publishFormat()
        // PACKET_IN_MASTER (1) = only action (bit 1).
        var w = OFWriter()
        w.u16(1); w.u16(8); w.u32(2)
        #expect(s.handle(OFMessage(version: 5, type: 28, xid: 2, body: w.bytes)).isEmpty)
        let got = s.handle(OFMessage(version: 5, type: 26, xid: 3))
        #expect(got.first?.type == 27 && got.first?.body.count == 48)
        // The master packet-in mask is the second property's value.
        #expect(got.first.map { Array($0.body[12..<16]) } == [0, 0, 0, 2])
        // An unknown property is refused.
        var bad = OFWriter()
        bad.u16(77); bad.u16(8); bad.u32(0)
        let e = s.handle(OFMessage(version: 5, type: 28, xid: 4, body: bad.bytes))
        #expect(e.first.map { OFErrorCode.decode(version: 5, body: $0.body) } == .asyncUnsupported)
    }

    @Test func targetsParse() {
        #expect(OFSocket.hostPort("127.0.0.1:6653", defaultPort: 1)! == ("127.0.0.1", 6653))
        #expect(OFSocket.hostPort("10.0.0.1", defaultPort: 6653)! == ("10.0.0.1", 6653))
        #expect(OFSocket.hostPort("[::1]:6633", defaultPort: 1)! == ("::1", 6633))
        #expect(OFSocket.hostPort("1.2.3.4:notaport", defaultPort: 1) == nil)
        if case .success = OFSocket.connect("tcp:not-an-ip:1") { Issue.record("a hostname is not an address") }
        if case .success = OFSocket.connect("ssl:1.2.3.4:1") { Issue.record("ssl is not supported") }
    }
}
