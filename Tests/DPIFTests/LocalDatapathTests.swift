import Datapath
import DPIF
import Flow
import Testing

/// An in-memory port (DPIFTests does not link NetDevices).
final class MemoryPort: Port {
    let name: String
    let type: PortType
    let number: DatapathPort
    var stats = PortStats()
    var inbox: [[UInt8]] = []
    var sent: [[UInt8]] = []

    init(name: String, type: PortType, number: DatapathPort) {
        self.name = name
        self.type = type
        self.number = number
    }

    func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int {
        var n = 0
        while !inbox.isEmpty && !batch.isFull {
            var p = pool.allocate(copying: inbox.removeFirst())
            p.metadata.inPort = number
            if let refused = batch.append(p) { pool.recycle(refused) }
            n += 1
        }
        stats.rxPackets += UInt64(n)
        return n
    }

    func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError) {
        var b = batch
        var frames: [[UInt8]] = []
        while let p = b.removeLast() {
            frames.append(p.copyBytes())
            pool.recycle(p)
        }
        sent += frames.reversed()
        stats.txPackets += UInt64(frames.count)
    }
}

final class MemoryPorts: @unchecked Sendable {
    var made: [String: MemoryPort] = [:]
    var registry: PortTypeRegistry {
        var r = PortTypeRegistry()
        r.register("memory") { [self] c, n in
            let p = MemoryPort(name: c.name, type: c.type, number: n)
            made[c.name] = p
            return p
        }
        return r
    }
}

func frame(dst: UInt32 = 0x0a00_0002, sport: UInt16 = 1234) -> [UInt8] {
    func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }
    let eth: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00]
    let ip: [UInt8] = [0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0] + be32(0x0a00_0001) + be32(dst)
    return eth + ip + be16(sport) + be16(53) + be16(26) + [0, 0] + [UInt8](repeating: 7, count: 18)
}

func flowKey(_ f: [UInt8], inPort: DatapathPort) -> FlowKey {
    f.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: inPort.rawValue) }
}

let dstOnly: FlowMask = {
    var m = FlowMask.catchAll
    m.setExact(.inPort)
    m.setExact(.ethType)
    m.setExact(.ipv4Destination)
    return m
}()

struct Switch {
    let ports = MemoryPorts()
    let dp: LocalDatapath
    let p1: MemoryPort
    let p2: MemoryPort

    init(upcallCapacity: Int = 4096, cache: CacheConfiguration = CacheConfiguration()) throws {
        dp = try LocalDatapath(name: "dp0", registry: ports.registry, localType: "memory",
                               upcallQueueCapacity: upcallCapacity, cacheConfiguration: cache)
        try dp.addPort(PortConfiguration(name: "p1", type: "memory"))
        try dp.addPort(PortConfiguration(name: "p2", type: "memory"))
        p1 = ports.made["p1"]!
        p2 = ports.made["p2"]!
    }

    func put(_ dst: UInt32, actions: [DatapathAction] = [.output(DatapathPort(2))],
             flags: FlowPutFlags = [.create], ufid: FlowUFID? = nil) throws(DPIFError) -> FlowCounters? {
        try dp.putFlow(FlowPut(key: flowKey(frame(dst: dst), inPort: DatapathPort(1)), mask: dstOnly,
                               actions: actions, ufid: ufid, flags: flags))
    }
}

@Suite struct FlowOperationTests {
    @Test func putCreateModifyAndTheirErrors() throws {
        let s = try Switch()
        #expect(try s.put(1) == nil)
        #expect(throws: DPIFError.flowExists) { try s.put(1) }
        #expect(throws: DPIFError.noSuchFlow) { try s.put(2, flags: [.modify]) }
        #expect(throws: DPIFError.noSuchFlow) { try s.put(2, flags: []) }
        let previous = try s.put(1, actions: [.output(DatapathPort(1))], flags: [.modify])
        #expect(previous == FlowCounters())
        _ = try s.put(2, flags: [.create, .modify])
        _ = try s.put(2, actions: [], flags: [.create, .modify])
        #expect(s.dp.statistics().datapath.flows == 2)
        let f = try s.dp.getFlow(.key(flowKey(frame(dst: 1), inPort: DatapathPort(1))))
        #expect(f.actions == [.output(DatapathPort(1))])
        #expect(f.mask == dstOnly)
        #expect(f.key == flowKey(frame(dst: 1), inPort: DatapathPort(1)).masked(by: dstOnly))
        #expect(try s.dp.getFlow(.ufid(f.ufid)).actions == f.actions)
    }

    @Test func deleteByKeyAndByUFID() throws {
        let s = try Switch()
        _ = try s.put(1)
        _ = try s.put(2, ufid: FlowUFID(rawValue: 42))
        let gone = try s.dp.deleteFlow(.ufid(FlowUFID(rawValue: 42)))
        #expect(gone.ufid.rawValue == 42)
        #expect(throws: DPIFError.noSuchFlow) { try s.dp.deleteFlow(.ufid(FlowUFID(rawValue: 42))) }
        try s.dp.deleteFlow(.key(flowKey(frame(dst: 1), inPort: DatapathPort(1))))
        #expect(s.dp.dumpAllFlows().isEmpty)
        #expect(s.dp.statistics().datapath.flows == 0)
    }

    @Test func dumpPagesThroughEveryFlowOnce() throws {
        let s = try Switch()
        for d in 0..<250 { _ = try s.put(UInt32(d)) }
        var seen: [UInt128] = []
        var cursor: FlowDumpCursor? = .start
        var pages = 0
        while let c = cursor {
            let page = s.dp.dumpFlows(from: c, maxCount: 64)
            #expect(page.flows.count <= 64)
            seen += page.flows.map(\.ufid.rawValue)
            cursor = page.next
            pages += 1
        }
        #expect(pages == 4)
        #expect(seen.count == 250)
        #expect(Set(seen).count == 250)
    }

    @Test func flushAndLimit() throws {
        let s = try Switch()
        s.dp.flowLimit = 10
        for d in 0..<10 { _ = try s.put(UInt32(d)) }
        #expect(throws: DPIFError.flowTableFull) { try s.put(10) }
        #expect(DPIFError.flowTableFull.errno == 27)
        // Modifying an existing flow is allowed at the limit.
        _ = try s.put(3, actions: [], flags: [.modify])
        s.dp.flushFlows()
        #expect(s.dp.dumpAllFlows().isEmpty)
        _ = try s.put(10)
        s.p1.inbox = [frame(dst: 3), frame(dst: 10)]
        s.dp.poll()
        #expect(s.p2.sent == [frame(dst: 10)])          // flushed flows no longer forward
        #expect(s.dp.receiveUpcalls(maxCount: 10).count == 1)
    }

    @Test func operateAppliesEachOperation() throws {
        let s = try Switch()
        let key = flowKey(frame(dst: 5), inPort: DatapathPort(1))
        let results = s.dp.operate([
            .put(FlowPut(key: key, mask: dstOnly, actions: [.output(DatapathPort(2))])),
            .put(FlowPut(key: key, mask: dstOnly, actions: [.output(DatapathPort(2))])),
            .get(.key(key)),
            .execute(PacketExecution(packet: frame(dst: 5), metadata: PacketMetadata(inPort: DatapathPort(1)),
                                     actions: [.output(DatapathPort(1))])),
            .delete(.key(key)),
        ])
        #expect(results.count == 5)
        if case .failure(let e) = results[1] { #expect(e == .flowExists) } else { Issue.record("second put") }
        if case .success(.flow(let f)) = results[2] { #expect(f.mask == dstOnly) } else { Issue.record("get") }
        #expect(s.p1.sent == [frame(dst: 5)])
        #expect(s.dp.dumpAllFlows().isEmpty)
    }
}

@Suite struct PacketPathThroughDPIFTests {
    @Test func missUpcallPutExecuteThenHit() throws {
        let s = try Switch()
        s.p1.inbox = [frame(dst: 7)]
        s.dp.poll()
        let ups = s.dp.receiveUpcalls(maxCount: 100)
        #expect(ups.count == 1)
        let up = try #require(ups.first)
        #expect(up.kind == .miss)
        #expect(up.inPort == DatapathPort(1))
        #expect(up.key == flowKey(frame(dst: 7), inPort: DatapathPort(1)))

        // The slow path's answer: install the megaflow, execute the packet.
        try s.dp.putFlow(FlowPut(key: up.key, mask: dstOnly, actions: [.output(DatapathPort(2))]))
        try s.dp.execute(PacketExecution(packet: up.packet, metadata: up.metadata, actions: [.output(DatapathPort(2))]))
        #expect(s.p2.sent == [frame(dst: 7)])

        s.p1.inbox = [frame(dst: 7, sport: 1), frame(dst: 7, sport: 2)]
        s.dp.poll()
        #expect(s.dp.receiveUpcalls(maxCount: 100).isEmpty)
        #expect(s.p2.sent.count == 3)
        let st = s.dp.statistics()
        #expect(st.datapath.hit == 2)
        #expect(st.datapath.missed == 1)
        #expect(st.datapath.lost == 0)
        #expect(st.datapath.flows == 1)
        #expect(st.megaflow.masks == 1)
        #expect(st.megaflow.maskHits == 2)
        let flow = try s.dp.getFlow(.key(up.key))
        #expect(flow.counters.packets == 2)
        #expect(flow.counters.bytes == UInt64(2 * frame().count))
        #expect(st.summary.contains("lookups: hit:2 missed:1 lost:0"))
        #expect(!st.summary.contains("masks:"), "dpif-netdev prints no masks line")
        #expect(st.maskHitsPerPacket > 0.66 && st.maskHitsPerPacket < 0.67)
    }

    @Test func executeOutputsOnAPort() throws {
        let s = try Switch()
        try s.dp.execute(PacketExecution(packet: frame(), metadata: PacketMetadata(inPort: .local),
                                         actions: [.output(DatapathPort(1)), .output(DatapathPort(2))]))
        #expect(s.p1.sent == [frame()])
        #expect(s.p2.sent == [frame()])
        #expect(throws: DPIFError.invalid("empty packet")) {
            try s.dp.execute(PacketExecution(packet: [], metadata: PacketMetadata(), actions: []))
        }
    }

    @Test func overflowingTheUpcallQueueCountsLost() throws {
        let s = try Switch(upcallCapacity: 3)
        s.p1.inbox = (0..<8).map { frame(sport: UInt16($0)) }
        s.dp.poll()
        let st = s.dp.statistics()
        #expect(st.datapath.missed == 8)
        #expect(st.datapath.lost == 5)
        #expect(s.dp.receiveUpcalls(maxCount: 100).count == 3)
    }

    @Test func userspaceActionSendsAnActionUpcall() throws {
        let s = try Switch()
        _ = try s.put(9, actions: [.userspace(UserspaceAction(pid: 77, userdata: [1, 2, 3]))])
        s.p1.inbox = [frame(dst: 9)]
        s.dp.poll()
        let ups = s.dp.receiveUpcalls(maxCount: 10)
        // Today's executor may not implement `userspace` yet: then it drops.
        if let up = ups.first {
            #expect(up.kind == .action)
            #expect(up.userdata == [1, 2, 3])
            #expect(up.pid == 77)
            #expect(up.key == flowKey(frame(dst: 9), inPort: DatapathPort(1)))
        } else {
            #expect(s.dp.statistics().pollThreads[0].drops.total == 1)
        }
    }
}

@Suite struct DatapathAndPortTests {
    @Test func registryCreatesOpensDeletes() throws {
        let ports = MemoryPorts()
        let registry = DatapathRegistry(portTypes: ports.registry, localType: "memory")
        let a = try registry.create(name: "a")
        #expect(throws: DPIFError.datapathExists("a")) { try registry.create(name: "a") }
        #expect(try registry.open(name: "a") === a)
        #expect(try registry.open(index: a.index) === a)
        #expect(registry.names == ["a"])
        try registry.delete(name: "a")
        #expect(throws: DPIFError.noSuchDatapath("a")) { try registry.open(name: "a") }
        #expect(DPIFError.noSuchDatapath("a").errno == 19)
    }

    @Test func portsAddDeleteDump() throws {
        let s = try Switch()
        #expect(s.dp.dumpPorts().map(\.name) == ["dp0", "p1", "p2"])
        #expect(try s.dp.port(named: "p2").number == DatapathPort(2))
        #expect(try s.dp.port(number: DatapathPort(1)).name == "p1")
        #expect(throws: DPIFError.port(.nameInUse("p1"))) { try s.dp.addPort(PortConfiguration(name: "p1", type: "memory")) }
        try s.dp.deletePort(DatapathPort(2))
        #expect(throws: DPIFError.port(.cannotRemoveLocalPort)) { try s.dp.deletePort(.local) }
        // Output to a deleted port is counted, not sent.
        _ = try s.put(1)
        s.p1.inbox = [frame(dst: 1)]
        s.dp.poll()
        #expect(s.p2.sent.isEmpty)
        #expect(s.dp.statistics().pollThreads[0].drops[.invalidPort] == 1)
    }

    @Test func metersThroughTheMeterFamily() throws {
        let s = try Switch()
        let features = try s.dp.meter(MeterRequest(command: .features, datapathIndex: s.dp.index))
        #expect(features.first?.maximumMeters == DatapathMeters.maximumMeters)
        #expect(features.first?.maximumBands == DatapathMeters.maximumBands)
        #expect(throws: DPIFError.notSupported("meter band type")) {
            try s.dp.meter(MeterRequest(command: .set, datapathIndex: s.dp.index, meterID: MeterID(0),
                                        bands: [MeterBand(type: MeterBandType(rawValue: 2), rate: 1, burst: 1)]))
        }
        // 1 packet/s with a burst of 2: of 5 packets in a row, 3 are dropped.
        _ = try s.dp.meter(MeterRequest(command: .set, datapathIndex: s.dp.index, meterID: MeterID(0),
                                        bands: [MeterBand(rate: 1, burst: 2)]))
        _ = try s.put(1, actions: [.meter(MeterID(0)), .output(DatapathPort(2))])
        s.p1.inbox = Array(repeating: frame(dst: 1), count: 5)
        s.dp.poll()
        #expect(s.p2.sent.count == 2)
        #expect(s.dp.statistics().pollThreads[0].drops[.meter] == 3)
        let got = try #require(try s.dp.meter(MeterRequest(command: .get, datapathIndex: s.dp.index, meterID: MeterID(0))).first)
        #expect(got.stats?.packets == 5)
        #expect(got.bands?.first?.stats?.packets == 3)
        #expect(try s.dp.meter(MeterRequest(command: .dump, datapathIndex: s.dp.index)).count == 1)
        _ = try s.dp.meter(MeterRequest(command: .delete, datapathIndex: s.dp.index, meterID: MeterID(0)))
        #expect(throws: DPIFError.invalid("no such meter")) {
            try s.dp.meter(MeterRequest(command: .get, datapathIndex: s.dp.index, meterID: MeterID(0)))
        }
        #expect(throws: DPIFError.notSupported("ct_limit")) {
            try s.dp.conntrackLimits(ConntrackLimitMessage(command: .get, datapathIndex: s.dp.index))
        }
    }
}

@Suite struct MessageServerTests {
    @Test func datapathAndVportFamilies() throws {
        let ports = MemoryPorts()
        let registry = DatapathRegistry(portTypes: ports.registry, localType: "memory")
        let server = DPIFMessageServer(registry: registry) { $0 == .netdev ? "memory" : nil }

        // Requests travel encoded, as they would from another process.
        let new = try DatapathRequest(decoding: DatapathRequest.new(name: "ovs-netdev", upcallPID: 1).encoded())
        let created = try server.handle(new)
        #expect(created.count == 1 && created[0].name == "ovs-netdev")
        let index = created[0].datapathIndex
        #expect(throws: DPIFError.datapathExists("ovs-netdev")) { try server.handle(new) }
        #expect(try server.handle(DatapathRequest(command: .get, name: "ovs-netdev"))[0].datapathIndex == index)
        #expect(try server.handle(DatapathRequest(command: .dump)).map(\.name) == ["ovs-netdev"])

        let add = VportRequest(command: .new, datapathIndex: index, type: .netdev, name: "eth0", upcallPIDs: [1])
        let added = try server.handle(try VportRequest(decoding: add.encoded()))
        #expect(added[0].portNumber == DatapathPort(1))
        #expect(added[0].type == .netdev)
        #expect(throws: DPIFError.notSupported("vport type 4")) {
            try server.handle(VportRequest(command: .new, datapathIndex: index, type: .vxlan, name: "vx"))
        }
        let dump = try server.handle(VportRequest(command: .dump, datapathIndex: index))
        #expect(dump.map(\.name) == ["ovs-netdev", "eth0"])
        // Replies encode and decode.
        #expect(try VportReply(decoding: dump[1].encoded()) == dump[1])
        #expect(try server.handle(VportRequest(command: .get, datapathIndex: index, name: "eth0"))[0].portNumber
                == DatapathPort(1))
        _ = try server.handle(VportRequest(command: .delete, datapathIndex: index, portNumber: DatapathPort(1)))
        #expect(try server.handle(VportRequest(command: .dump, datapathIndex: index)).count == 1)

        _ = try server.handle(DatapathRequest(command: .delete, datapathIndex: index))
        #expect(registry.names.isEmpty)
    }
}
