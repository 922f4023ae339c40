import Flow
import Datapath
@testable import DPIF
import Testing
import Wire

/// One message of any family, for table-driven tests.
struct AnyMessage: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var encode: @Sendable () throws(TLVError) -> [UInt8]
    var roundTrips: @Sendable ([UInt8]) throws(TLVError) -> Bool

    init<M: DPIFMessage>(_ description: String, _ message: M) {
        testDescription = "\(M.self): \(description)"
        encode = { () throws(TLVError) in try message.encoded() }
        roundTrips = { (bytes) throws(TLVError) in try M(decoding: bytes) == message }
    }
}

let key = KeyAttributes { e in
    e.putU32(OVSKeyAttribute.inPort, 1)
    e.putBE16(OVSKeyAttribute.etherType, 0x0800)
}
let someActions: [DatapathAction] = [.pushVLAN(VLANPush(vlanID: 10)), .output(DatapathPort(2))]

let messageTable: [AnyMessage] = [
    AnyMessage("new", DatapathRequest.new(name: "br0", upcallPID: 7, features: [.unaligned, .vportPIDs])),
    AnyMessage("get by index", DatapathRequest(command: .get, datapathIndex: 5)),
    AnyMessage("dump", DatapathRequest(command: .dump)),
    AnyMessage("set", DatapathRequest(command: .set, datapathIndex: 5, masksCacheSize: 256, perCPUUpcallPIDs: [1, 2])),
    AnyMessage("del by name", DatapathRequest(command: .delete, name: "br0")),
    AnyMessage("reply", DatapathReply(command: .get, datapathIndex: 5, name: "br0", upcallPID: 7,
                                      stats: DatapathStats(hit: 10, missed: 2, lost: 1, flows: 3),
                                      megaflowStats: MegaflowStats(maskHits: 30, masks: 2, cacheHits: 8),
                                      userFeatures: [.unaligned])),
    AnyMessage("new", VportRequest(command: .new, datapathIndex: 5, type: .netdev, name: "p1", upcallPIDs: [9])),
    AnyMessage("new vxlan", VportRequest(command: .new, datapathIndex: 5, portNumber: DatapathPort(4), type: .vxlan,
                                         name: "vx0", options: VportOptions(destinationPort: 4789, extensions: [1]),
                                         upcallPIDs: [9, 10])),
    AnyMessage("del", VportRequest(command: .delete, datapathIndex: 5, portNumber: DatapathPort(4))),
    AnyMessage("dump", VportRequest(command: .dump, datapathIndex: 5)),
    AnyMessage("reply", VportReply(command: .new, datapathIndex: 5, portNumber: DatapathPort(1), type: .netdev,
                                   name: "p1", upcallPIDs: [9], stats: PortStats(rxPackets: 1, txBytes: 60),
                                   ifindex: 12, netnsID: -1)),
    AnyMessage("new", FlowRequest(command: .new, datapathIndex: 5, key: key, mask: key, actions: someActions,
                                  ufid: FlowUFID(rawValue: 0x1234), ufidFlags: [.omitKey])),
    AnyMessage("new drop", FlowRequest(command: .new, datapathIndex: 5, key: key, actions: [])),
    AnyMessage("get by ufid", FlowRequest(command: .get, datapathIndex: 5, ufid: FlowUFID(rawValue: 1))),
    AnyMessage("set clear", FlowRequest(command: .set, datapathIndex: 5, key: key, actions: someActions, clearsStats: true)),
    AnyMessage("flush", FlowRequest(command: .delete, datapathIndex: 5)),
    AnyMessage("dump", FlowRequest(command: .dump, datapathIndex: 5, ufidFlags: [.omitActions], isProbe: true)),
    AnyMessage("reply", FlowReply(command: .get, datapathIndex: 5, key: key, mask: key, actions: someActions,
                                  ufid: FlowUFID(rawValue: UInt128.max), stats: FlowStats(packets: 3, bytes: 180),
                                  used: .milliseconds(123_456), tcpFlags: 0x12)),
    AnyMessage("execute", PacketExecute(datapathIndex: 5, packet: [1, 2, 3, 4, 5], key: key, actions: someActions,
                                        mru: 1500, hash: 99)),
    AnyMessage("miss", PacketUpcall(kind: .miss, datapathIndex: 5, packet: [1, 2, 3], key: key)),
    AnyMessage("action", PacketUpcall(kind: .action, datapathIndex: 5, packet: [1, 2, 3], key: key, userdata: [7, 7],
                                      egressTunnelKey: TunnelMetadata(tunnelID: 1, ipv4Destination: IPv4Address(1, 1, 1, 1)),
                                      actions: someActions, originalLength: 1500)),
    AnyMessage("features", MeterRequest(command: .features, datapathIndex: 5)),
    AnyMessage("set", MeterRequest(command: .set, datapathIndex: 5, meterID: MeterID(1), flags: .kilobitsPerSecond,
                                   bands: [MeterBand(rate: 1000, burst: 100)])),
    AnyMessage("del", MeterRequest(command: .delete, datapathIndex: 5, meterID: MeterID(1))),
    AnyMessage("get clear", MeterRequest(command: .get, datapathIndex: 5, meterID: MeterID(1), clearsStats: true)),
    AnyMessage("features", MeterReply(command: .features, datapathIndex: 5, bands: [MeterBand(type: .drop, rate: 0, burst: 0)],
                                      maximumMeters: 1024, maximumBands: 1)),
    AnyMessage("stats", MeterReply(command: .get, datapathIndex: 5, meterID: MeterID(1), stats: FlowStats(packets: 9, bytes: 900),
                                   bands: [MeterBand(rate: 10, burst: 1, stats: FlowStats(packets: 2, bytes: 200))],
                                   used: .seconds(5))),
    AnyMessage("set", ConntrackLimitMessage(command: .set, limits: [ZoneLimit(zone: .default, limit: 100),
                                                                    ZoneLimit(zone: .zone(3), limit: 10)])),
    AnyMessage("get", ConntrackLimitMessage(command: .get, limits: [ZoneLimit(zone: .zone(3))])),
    AnyMessage("get all", ConntrackLimitMessage(command: .get)),
    AnyMessage("reply", ConntrackLimitMessage(command: .get, limits: [ZoneLimit(zone: .zone(65535), limit: 5, count: 4)])),
]

@Suite struct MessageTests {
    @Test(arguments: messageTable)
    func roundTrips(_ m: AnyMessage) throws {
        let bytes = try m.encode()
        #expect(bytes.count % 4 == 0)
        #expect(try m.roundTrips(bytes))
    }

    @Test func datapathNewIsLaidOutAsOpenVSwitchDoes() throws {
        let bytes = try DatapathRequest.new(name: "br0", upcallPID: 7, features: [.unaligned]).encoded()
        #expect(bytes == [1, 2, 0, 0, 0, 0, 0, 0,                // cmd NEW, version 2, dp_ifindex 0
                          8, 0, 1, 0, 0x62, 0x72, 0x30, 0,       // OVS_DP_ATTR_NAME "br0"
                          8, 0, 2, 0, 7, 0, 0, 0,                // OVS_DP_ATTR_UPCALL_PID
                          8, 0, 5, 0, 1, 0, 0, 0])               // OVS_DP_ATTR_USER_FEATURES
    }

    @Test func ctLimitIsAnArrayOfZoneStructs() throws {
        let bytes = try ConntrackLimitMessage(command: .set, datapathIndex: 0,
                                              limits: [ZoneLimit(zone: .default, limit: 10),
                                                       ZoneLimit(zone: .zone(2), limit: 3)]).encoded()
        #expect(bytes == [1, 1, 0, 0, 0, 0, 0, 0,
                          28, 0, 1, 0,
                          0xff, 0xff, 0xff, 0xff, 10, 0, 0, 0, 0, 0, 0, 0,
                          2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0])
        #expect(try ConntrackLimitMessage(decoding: bytes).defaultLimit == 10)
    }

    @Test func dumpIsGetWithTheDumpFlag() throws {
        let bytes = try FlowRequest(command: .dump, datapathIndex: 3).encoded()
        #expect(bytes == [3, 1, 1, 0, 3, 0, 0, 0])
        #expect(try FlowRequest(decoding: [3, 1, 0, 0, 3, 0, 0, 0] + [20, 0, 9, 0] + [UInt8](repeating: 1, count: 16))
            .command == .get)
    }

    @Test func randomizedMessagesRoundTrip() throws {
        var g = Gen(seed: 42)
        for _ in 0..<300 {
            try check(g.datapathRequest())
            try check(g.datapathReply())
            try check(g.vportRequest())
            try check(g.vportReply())
            try check(g.flowRequest())
            try check(g.flowReply())
            try check(g.packetExecute())
            try check(g.packetUpcall())
            try check(g.meterRequest())
            try check(g.meterReply())
            try check(g.conntrackLimits())
        }
    }

    func check<M: DPIFMessage>(_ m: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let decoded = try M(decoding: m.encoded())
        #expect(decoded == m, sourceLocation: sourceLocation)
    }

    struct RuleCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var bytes: @Sendable () throws -> [UInt8]
        var decode: @Sendable ([UInt8]) throws(TLVError) -> Void
        var error: TLVError
    }

    static func header(_ cmd: UInt8, _ version: UInt8) -> [UInt8] { [cmd, version, 0, 0, 0, 0, 0, 0] }

    @Test(arguments: [
        RuleCase(testDescription: "dp new without pid",
                 bytes: { header(1, 2) + [8, 0, 1, 0, 0x62, 0x72, 0x30, 0] },
                 decode: { (b) throws(TLVError) in _ = try DatapathRequest(decoding: b) },
                 error: .missingAttribute(2)),
        RuleCase(testDescription: "dp reply without stats",
                 bytes: { header(3, 2) + [8, 0, 1, 0, 0x62, 0x72, 0x30, 0] },
                 decode: { (b) throws(TLVError) in _ = try DatapathReply(decoding: b) },
                 error: .missingAttribute(3)),
        RuleCase(testDescription: "vport new without type",
                 bytes: { header(1, 1) + [7, 0, 3, 0, 0x70, 0x31, 0, 0, 8, 0, 5, 0, 1, 0, 0, 0] },
                 decode: { (b) throws(TLVError) in _ = try VportRequest(decoding: b) },
                 error: .missingAttribute(2)),
        RuleCase(testDescription: "flow new without actions",
                 bytes: { header(1, 1) + [4, 0, 1, 0] },
                 decode: { (b) throws(TLVError) in _ = try FlowRequest(decoding: b) },
                 error: .missingAttribute(2)),
        RuleCase(testDescription: "flow get without key or ufid",
                 bytes: { header(3, 1) },
                 decode: { (b) throws(TLVError) in _ = try FlowRequest(decoding: b) },
                 error: .missingAttribute(1)),
        RuleCase(testDescription: "execute without packet",
                 bytes: { header(3, 1) + [4, 0, 2, 0, 4, 0, 3, 0] },
                 decode: { (b) throws(TLVError) in _ = try PacketExecute(decoding: b) },
                 error: .missingAttribute(1)),
        RuleCase(testDescription: "execute sent as upcall",
                 bytes: { header(3, 1) },
                 decode: { (b) throws(TLVError) in _ = try PacketUpcall(decoding: b) },
                 error: .unknownCommand(3)),
        RuleCase(testDescription: "meter set without bands",
                 bytes: { header(2, 1) + [8, 0, 1, 0, 1, 0, 0, 0] },
                 decode: { (b) throws(TLVError) in _ = try MeterRequest(decoding: b) },
                 error: .missingAttribute(4)),
        RuleCase(testDescription: "meter features reply without maxima",
                 bytes: { header(1, 1) },
                 decode: { (b) throws(TLVError) in _ = try MeterReply(decoding: b) },
                 error: .missingAttribute(7)),
        RuleCase(testDescription: "datapath command 9",
                 bytes: { header(9, 2) },
                 decode: { (b) throws(TLVError) in _ = try DatapathRequest(decoding: b) },
                 error: .unknownCommand(9)),
        RuleCase(testDescription: "ct_limit command 0",
                 bytes: { header(0, 1) },
                 decode: { (b) throws(TLVError) in _ = try ConntrackLimitMessage(decoding: b) },
                 error: .unknownCommand(0)),
        RuleCase(testDescription: "ct_limit 11-byte entry",
                 bytes: { header(1, 1) + [15, 0, 1, 0] + [UInt8](repeating: 0, count: 11) + [0] },
                 decode: { (b) throws(TLVError) in _ = try ConntrackLimitMessage(decoding: b) },
                 error: .badLength(type: 1, offset: 8)),
        RuleCase(testDescription: "ct_limit zone 70000",
                 bytes: { header(1, 1) + [16, 0, 1, 0, 0x70, 0x11, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
                 decode: { (b) throws(TLVError) in _ = try ConntrackLimitMessage(decoding: b) },
                 error: .badValue(type: 1, offset: 12)),
        RuleCase(testDescription: "header only 7 bytes",
                 bytes: { [1, 2, 0, 0, 0, 0, 0] },
                 decode: { (b) throws(TLVError) in _ = try DatapathRequest(decoding: b) },
                 error: .truncated(offset: 0)),
        RuleCase(testDescription: "flow key that is not attributes",
                 bytes: { header(1, 1) + [7, 0, 1, 0, 9, 0, 1, 0, 4, 0, 2, 0] },
                 decode: { (b) throws(TLVError) in _ = try FlowRequest(decoding: b) },
                 error: .truncated(offset: 12)),
    ])
    func rulesGiveTypedErrors(_ c: RuleCase) throws {
        let bytes = try c.bytes()
        #expect(throws: c.error) { try c.decode(bytes) }
    }
}
