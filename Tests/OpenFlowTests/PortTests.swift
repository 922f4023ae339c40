import Datapath
import Flow
import Foundation
import OFProto
import Testing
import Wire
@testable import OpenFlow


/// Port statistics, queues, port-mods and table-mods (OFSwitchSession+Ports.swift).
@Suite struct PortMessageTests {
    static let p1MAC: UInt64 = 0xaa55_aa55_0001

    func session(_ v: UInt8, bridge: OFProtoBridge? = nil) -> OFSwitchSession {
        var settings = BridgeSettings()
        settings.failSecure = true
        let b = bridge ?? OFProtoBridge(name: "br0", datapathName: "none", settings: settings)
        if bridge == nil {
            b.setPorts([BridgePort(name: "p1", ofport: OFPort(rawValue: 1), datapathPort: DatapathPort(rawValue: 1), type: "dummy",
                                   mac: EthernetAddress(rawValue: Self.p1MAC)),
                        BridgePort(name: "br0", ofport: .local, datapathPort: nil, type: "internal")])
        }
        let s = OFSwitchSession(bridge: b, datapathID: 1)
        _ = s.handle(OFHello.message(versions: [v]))
        return s
    }

    func error(_ replies: [OFMessage]) -> String? {
        guard replies.count == 1, replies[0].type == OFType.error else { return nil }
        var r = OFReader(replies[0].body)
        guard let t = try? r.u16(), let c = try? r.u16() else { return nil }
        return "\(t),\(c)"
    }

    func statsRequest(_ v: UInt8, type: UInt16, _ body: [UInt8]) -> OFMessage {
        var w = OFWriter()
        w.u16(type); w.u16(0)
        if v >= 2 { w.zeros(4) }
        w.append(body)
        return OFMessage(version: v, type: OFType.statsRequest(v), xid: 5, body: w.bytes)
    }

    func portMod(_ v: UInt8, port: UInt32, mac: UInt64, config: UInt32, mask: UInt32, props: [UInt8] = []) -> OFMessage {
        var w = OFWriter()
        if v == 1 {
            w.u16(UInt16(port)); w.uint(UInt128(mac), bytes: 6); w.u32(config); w.u32(mask); w.u32(0); w.zeros(4)
            return OFMessage(version: 1, type: 15, xid: 6, body: w.bytes)
        }
        w.u32(port); w.zeros(4); w.uint(UInt128(mac), bytes: 6); w.zeros(2); w.u32(config); w.u32(mask)
        if v <= 4 { w.u32(0); w.zeros(4) } else { w.append(props) }
        return OFMessage(version: v, type: 16, xid: 6, body: w.bytes)
    }

    // MARK: Counters

    @Test func counterEntriesHaveEachVersionsLayout() {
        var s = PortStats()
        s.rxPackets = 1; s.rxBytes = 34; s.txPackets = 2; s.txBytes = 76; s.rxDropped = 9
        let dummy = OFPortCounters(type: .dummy, stats: s)
        #expect(dummy.rxDropped == .max && dummy.rxPackets == 1 && dummy.custom.count == 6)
        let system = OFPortCounters(type: .system, stats: s)
        #expect(system.rxDropped == 9 && system.collisions == 0 && system.custom.isEmpty)
        let port = OFPort(rawValue: 1)
        #expect(dummy.encode(port: port, duration: .seconds(2), version: 1).count == 104)
        #expect(dummy.encode(port: port, duration: .seconds(2), version: 4).count == 112)
        for v: UInt8 in [5, 6] {
            let e = dummy.encode(port: port, duration: .seconds(2), version: v)
            #expect(e.count % 8 == 0)
            #expect(Int(e[0]) << 8 | Int(e[1]) == e.count)
            #expect(system.encode(port: port, duration: .seconds(2), version: v).count == 80 + 40 + 184)
        }
    }

    @Test func portStatsPrintAsOpenVSwitchPrintsThem() throws {
        for v: UInt8 in [1, 4, 5, 6] {
            let s = session(v)
            let request = statsRequest(v, type: 4, v == 1 ? [0xff, 0xff, 0, 0, 0, 0, 0, 0] : [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
            let replies = s.handle(request)
            #expect(replies.count == 1 && replies[0].type == OFType.statsReply(v))
            if let printed = ofpPrint(replies[0]) {
                #expect(printed.contains(": 2 ports"))
                #expect(printed.contains("port  1: rx pkts=0, bytes=0, drop=?, errs=?, frame=?, over=?, crc=?"))
                #expect(printed.contains("port LOCAL: rx pkts=0"))
                #expect(printed.contains("duration=") == (v >= 4))
            }
            // One port, an unknown one, a truncated request.
            let one = s.handle(statsRequest(v, type: 4, v == 1 ? [0, 1, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 1, 0, 0, 0, 0]))
            if let printed = ofpPrint(one[0]) { #expect(printed.contains(": 1 ports")) }
            let none = s.handle(statsRequest(v, type: 4, v == 1 ? [0, 9, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 9, 0, 0, 0, 0]))
            if let printed = ofpPrint(none[0]) { #expect(printed.contains(": 0 ports")) }
            #expect(error(s.handle(statsRequest(v, type: 4, [0, 1]))) == "1,6")
        }
    }

    // MARK: Queues

    @Test func queuesAreQueueZeroWithUnknownCounters() throws {
        let s = session(4)
        let all = s.handle(statsRequest(4, type: 5, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
        if let printed = ofpPrint(all[0]) {
            #expect(printed.contains("2 queues"))
            #expect(printed.contains("port 1 queue 0: bytes=?, pkts=?, errors=?, duration=?"))
        }
        #expect(error(s.handle(statsRequest(4, type: 5, [0, 0, 0, 1, 0, 0, 0, 5]))) == "9,1")
        #expect(error(s.handle(statsRequest(4, type: 5, [0, 0, 0, 7, 0, 0, 0, 0]))) == "9,0")
        let config = s.handle(OFMessage(version: 4, type: 22, xid: 3, body: [0, 0, 0, 1, 0, 0, 0, 0]))
        #expect(config.count == 1 && config[0].type == 23)
        if let printed = ofpPrint(config[0]) { #expect(printed.contains("port=1\nqueue 0:")) }
        #expect(error(s.handle(OFMessage(version: 4, type: 22, xid: 3, body: [0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0]))) == "9,0")
        let s10 = session(1)
        #expect(error(s10.handle(OFMessage(version: 1, type: 20, xid: 3, body: [0xff, 0xfe, 0, 0]))) == "5,0")
        // A patch port has no queue: an empty reply for all queues, BAD_QUEUE for queue 0.
        s.bridge.setPorts(s.bridge.ports + [BridgePort(name: "pa", ofport: OFPort(rawValue: 7), datapathPort: nil,
                                                       type: "patch", patchPeer: "pb")])
        let patch = s.handle(statsRequest(4, type: 5, [0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff]))
        if let printed = ofpPrint(patch[0]) { #expect(printed.contains("0 queues")) }
        #expect(error(s.handle(statsRequest(4, type: 5, [0, 0, 0, 7, 0, 0, 0, 0]))) == "9,1")
        let s14 = session(5)
        let desc = s14.handle(statsRequest(5, type: 15, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
        if let printed = ofpPrint(desc[0]) { #expect(printed.contains("port=1\nqueue 0:\nport=LOCAL\nqueue 0:")) }
    }

    // MARK: Port mod

    @Test func portModDecodesEachVersion() throws {
        let m10 = portMod(1, port: 1, mac: Self.p1MAC, config: 0x7f, mask: 0x14)
        let d10 = try OFSwitchSession.decodePortMod(m10.body, version: 1)
        #expect(d10.port == OFPort(rawValue: 1) && d10.hardwareAddress == Self.p1MAC)
        #expect(d10.config == [.noReceive, .noFlood] && d10.mask == [.noReceive, .noFlood])
        // 1.1+ has no NO_FLOOD: it is dropped from config and mask.
        let d13 = try OFSwitchSession.decodePortMod(portMod(4, port: 1, mac: 0, config: 0x30, mask: 0x30).body, version: 4)
        #expect(d13.config == [.noForward] && d13.mask == [.noForward])
        let ethernet: [UInt8] = [0, 0, 0, 8, 0, 0, 0x20, 0]
        let d14 = try OFSwitchSession.decodePortMod(portMod(5, port: 0xffff_fffe, mac: 0, config: 1, mask: 1, props: ethernet).body, version: 5)
        #expect(d14.port == .local && d14.config == .portDown && d14.advertise == 0x2000)
        #expect(throws: OFDecodeError.self) {
            try OFSwitchSession.decodePortMod(portMod(5, port: 1, mac: 0, config: 1, mask: 1, props: [0, 9, 0, 8, 0, 0, 0, 0]).body, version: 5)
        }
        #expect(throws: OFDecodeError.self) { try OFSwitchSession.decodePortMod(Array(m10.body.prefix(20)), version: 1) }
    }

    @Test func portModSetsBitsShownInDescriptionsAndStatus() throws {
        let s = session(1)
        let bridge = s.bridge
        #expect(s.handle(portMod(1, port: 1, mac: Self.p1MAC, config: 0x10, mask: 0x10)).isEmpty)
        #expect(bridge.portConfig(OFPort(rawValue: 1)) == .noFlood)
        #expect(error(s.handle(portMod(1, port: 9, mac: Self.p1MAC, config: 0x10, mask: 0x10))) == "4,0")
        #expect(error(s.handle(portMod(1, port: 1, mac: 1, config: 0x10, mask: 0x10))) == "4,1")
        #expect(s.handle(portMod(1, port: 1, mac: Self.p1MAC, config: 1, mask: 1)).isEmpty)
        let features = s.handle(OFMessage(version: 1, type: OFType.featuresRequest, xid: 8))
        if let printed = ofpPrint(features[0]) {
            #expect(printed.contains(" 1(p1): addr:aa:55:aa:55:00:01\n     config:     PORT_DOWN NO_FLOOD\n     state:      LINK_DOWN"))
        }
        // OpenFlow 1.3 shows PORT_DOWN only; NO_FLOOD is not in its encoding.
        let s13 = session(4, bridge: bridge)
        let desc = s13.handle(statsRequest(4, type: 13, []))
        if let printed = ofpPrint(desc[0]) {
            #expect(printed.contains("config:     PORT_DOWN\n     state:      LINK_DOWN"))
        }
        // A NO_FLOOD change is invisible in 1.3: no port status there; 1.0 gets one.
        let change = PortModification(port: bridge.ports[0], old: .portDown, new: [.portDown, .noFlood],
                                      oldLinkDown: true, newLinkDown: true, source: nil)
        #expect(s13.portModifiedStatus(change, 4) == nil)
        let status = try #require(s.portModifiedStatus(change, 1))
        if let printed = ofpPrint(status) { #expect(printed.hasPrefix("OFPT_PORT_STATUS (xid=0x0): MOD: 1(p1)")) }
        // Not back to the connection that asked, before 1.5.
        var own = change
        own.source = ObjectIdentifier(s)
        #expect(s.portModifiedStatus(own, 1) == nil)
    }

    // MARK: Robustness

    @Test func arbitraryBodiesGetRepliesOrErrorsNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        for v: UInt8 in [1, 4, 5, 6] {
            let s = session(v)
            let types: [UInt8] = v == 1 ? [15, 20] : [16, 17, 22]
            for _ in 0..<300 {
                let n = Int.random(in: 0...80, using: &rng)
                var body = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                // Mostly well-formed property headers keep the decoders busy past the fixed part.
                if n > 28, Bool.random(using: &rng) { body[24] = 0; body[25] = UInt8.random(in: 0...4); body[26] = 0; body[27] = UInt8.random(in: 0...12) }
                for t in types {
                    _ = s.handle(OFMessage(version: v, type: t, xid: 1, body: body))
                }
                for st: UInt16 in [4, 5, 13, 14, 15] {
                    _ = s.handle(statsRequest(v, type: st, Array(body.prefix(Int.random(in: 0...12, using: &rng)))))
                }
            }
            // Still answering.
            #expect(s.handle(OFMessage(version: v, type: OFType.echoRequest, xid: 2)).map(\.type) == [OFType.echoReply])
        }
    }

    // MARK: Table mod

    @Test func tableModAndTableDescription() throws {
        let s = session(5)
        // table 2: eviction on, vacancy events 20..80.
        var w = OFWriter()
        w.u8(2); w.zeros(3); w.u32(4 | 8); w.u16(3); w.u16(8); w.u8(20); w.u8(80); w.u8(0); w.zeros(1)
        #expect(s.handle(OFMessage(version: 5, type: 17, xid: 9, body: w.bytes)).isEmpty)
        let settings = s.bridge.tableSettings(2)
        #expect(settings.eviction && settings.vacancyEvents && settings.vacancyDown == 20 && settings.vacancyUp == 80)
        #expect(error(s.handle(OFMessage(version: 5, type: 17, xid: 9, body: [254, 0, 0, 0, 0, 0, 0, 4]))) == "8,2")
        var bad = OFWriter()
        bad.u8(2); bad.zeros(3); bad.u32(8); bad.u16(3); bad.u16(8); bad.u8(80); bad.u8(20); bad.u8(0); bad.zeros(1)
        #expect(error(s.handle(OFMessage(version: 5, type: 17, xid: 9, body: bad.bytes))) == "14,2")
        let desc = s.handle(statsRequest(5, type: 14, []))
        #expect(desc.count == 1)
        if let printed = ofpPrint(desc[0]) {
            #expect(printed.contains("table 2:\n   eviction=on eviction_flags=OTHER|IMPORTANCE|LIFETIME\n   vacancy=on vacancy_down=20% vacancy_up=80% vacancy=100%"))
            #expect(printed.contains("table 3:\n   eviction=off eviction_flags=OTHER|IMPORTANCE|LIFETIME\n   vacancy=off"))
        }
        #expect(OFSwitchSession.vacancy(rules: 0) == 100 && OFSwitchSession.vacancy(rules: 1) == 99)
    }
}
