import Flow
import Datapath
import Foundation
import NetDevices
import Testing
import Wire

@Suite struct PortTableTests {
    let registry = PortTypeRegistry.netDevices

    func makeTable() throws -> PortTable {
        try PortTable(datapathName: "br0", localType: .dummyInternal, registry: registry)
    }

    @Test func localPortIsMadeWithTheTable() throws {
        let table = try makeTable()
        #expect(table.count == 1)
        #expect(table.local.number == .local)
        #expect(table.local.name == "br0")
        #expect(table.port(named: "br0")?.number == .local)
        #expect(throws: PortError.unsupportedType(.internal)) {
            try PortTable(datapathName: "br1", registry: PortTypeRegistry())
        }
        #expect(throws: PortError.invalidName("")) {
            try PortTable(datapathName: "", localType: .dummy, registry: registry)
        }
    }

    @Test func addLookupRemove() throws {
        var table = try makeTable()
        let p1 = try table.add(PortConfiguration(name: "p1", type: .dummy), registry: registry)
        let p2 = try table.add(PortConfiguration(name: "p2", type: .dummy), registry: registry)
        let p9 = try table.add(PortConfiguration(name: "p9", type: .dummy, requestedNumber: DatapathPort(9)),
                               registry: registry)
        #expect(p1.number == DatapathPort(1))
        #expect(p2.number == DatapathPort(2))
        #expect(p9.number == DatapathPort(9))
        #expect(table.ports.map(\.name) == ["br0", "p1", "p2", "p9"])
        #expect(table[DatapathPort(2)]?.name == "p2")
        #expect(table.number(named: "p9") == DatapathPort(9))

        #expect(throws: PortError.nameInUse("p1")) {
            try table.add(PortConfiguration(name: "p1", type: .dummy), registry: registry)
        }
        #expect(throws: PortError.numberInUse(DatapathPort(9))) {
            try table.add(PortConfiguration(name: "x", type: .dummy, requestedNumber: DatapathPort(9)),
                          registry: registry)
        }
        #expect(throws: PortError.numberInUse(.local)) {
            try table.add(PortConfiguration(name: "x", type: .dummy, requestedNumber: .local), registry: registry)
        }
        #expect(throws: PortError.unsupportedType("vxlan")) {
            try table.add(PortConfiguration(name: "x", type: "vxlan"), registry: registry)
        }

        try table.remove(number: DatapathPort(1))
        #expect(table.port(named: "p1") == nil)
        #expect(table.nextFreeNumber() == DatapathPort(1))
        let again = try table.add(PortConfiguration(name: "p1b", type: .dummy), registry: registry)
        #expect(again.number == DatapathPort(1))
        try table.remove(named: "p9")
        #expect(table.count == 3)
        #expect(throws: PortError.noSuchPort("p9")) { try table.remove(named: "p9") }
        #expect(throws: PortError.cannotRemoveLocalPort) { try table.remove(named: "br0") }
        #expect(throws: PortError.cannotRemoveLocalPort) { try table.remove(number: .local) }
    }

    @Test func copiesAreSnapshots() throws {
        var table = try makeTable()
        let snapshot = table
        try table.add(PortConfiguration(name: "p1", type: .dummy), registry: registry)
        #expect(snapshot.count == 1)
        #expect(table.count == 2)
    }

    @Test func registryListsTypes() {
        #expect(registry.types == [.dummy, .dummyInternal, .internal, .system])
        #expect(registry.supports(.dummy) && registry.supports(.system))
        #expect(!registry.supports(PortType(rawValue: "vxlan")))
    }
}

@Suite struct DummyPortTests {
    func makePort(_ options: [String: String] = [:]) throws -> DummyPort {
        try DummyPort(configuration: PortConfiguration(name: "p1", type: .dummy, options: options),
                      number: DatapathPort(3))
    }

    @Test func injectedFramesAreReceivedInBatchesOf32() throws {
        let port = try makePort()
        let pool = PacketPool(capacity: 64)
        for i in 0..<40 { #expect(port.inject([UInt8(i), 0xff])) }
        var batch = PacketBatch()
        #expect(try port.receive(into: &batch, pool: pool) == 32)
        #expect(batch[0].metadata.inPort == DatapathPort(3))
        #expect(batch[31].copyBytes() == [31, 0xff])
        #expect(try port.receive(into: &batch, pool: pool) == 0)   // batch full
        pool.recycle(&batch)
        #expect(try port.receive(into: &batch, pool: pool) == 8)
        #expect(batch[0].copyBytes() == [32, 0xff])
        #expect(port.stats.rxPackets == 40)
        #expect(port.stats.rxBytes == 80)
        pool.recycle(&batch)
        #expect(try port.receive(into: &batch, pool: pool) == 0)
    }

    @Test func sentFramesAreDrainedInOrderAndRecycled() throws {
        let port = try makePort()
        let pool = PacketPool(capacity: 4)
        var batch = PacketBatch()
        for i in 0..<3 { _ = batch.append(pool.allocate(copying: [UInt8(i), 1, 2])) }
        try port.send(batch, pool: pool)
        #expect(pool.available == 4)
        #expect(port.drainTransmitted() == [[0, 1, 2], [1, 1, 2], [2, 1, 2]])
        #expect(port.drainTransmitted().isEmpty)
        #expect(port.stats.txPackets == 3)
        #expect(port.stats.txBytes == 9)
    }

    @Test func fullReceiveQueueDropsAndCounts() throws {
        let port = try makePort(["rx_queue_limit": "2"])
        #expect(port.inject([1]))
        #expect(port.inject([2]))
        #expect(!port.inject([3]))
        #expect(port.stats.rxDropped == 1)
        #expect(port.pendingReceiveCount == 2)
        #expect(throws: PortError.badOption(name: "rx_queue_limit", value: "zero")) {
            try makePort(["rx_queue_limit": "zero"])
        }
    }

    @Test func pcapInputAndOutput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("svs-dummy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.pcap").path
        let tx = dir.appendingPathComponent("tx.pcap").path
        let rx = dir.appendingPathComponent("rx.pcap").path

        var writer = PcapWriter()
        let frames: [[UInt8]] = [[1, 2, 3, 4], [5, 6], Array(repeating: 0xab, count: 60)]
        for f in frames { writer.write(CapturedPacket(data: f)) }
        _ = FileManager.default.createFile(atPath: input, contents: Data(writer.bytes))

        let port = try makePort(["input_pcap": input, "tx_pcap": tx, "rxq_pcap": rx])
        #expect(port.pendingReceiveCount == 3)
        let pool = PacketPool(capacity: 8)
        var batch = PacketBatch()
        #expect(try port.receive(into: &batch, pool: pool) == 3)
        try port.send(batch.take(), pool: pool)
        try port.send(batch.take(), pool: pool)          // empty batch: nothing written

        var txReader = try PcapReader(bytes: Array(FileManager.default.contents(atPath: tx)!))
        #expect(try txReader.readAll().map(\.data) == frames)
        var rxReader = try PcapReader(bytes: Array(FileManager.default.contents(atPath: rx)!))
        #expect(try rxReader.readAll().map(\.data) == frames)

        // Appending to an existing capture keeps one file header.
        let again = try makePort(["tx_pcap": tx])
        _ = batch.append(pool.allocate(copying: [9]))
        try again.send(batch.take(), pool: pool)
        var appended = try PcapReader(bytes: Array(FileManager.default.contents(atPath: tx)!))
        #expect(try appended.readAll().map(\.data) == frames + [[9]])
    }

    @Test func missingOrBadInputCaptureIsAnError() throws {
        #expect(throws: PortError.self) { try makePort(["input_pcap": "/nonexistent/x.pcap"]) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("svs-bad-\(getpid()).pcap").path
        _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PortError.badCapture(path: path)) { try makePort(["input_pcap": path]) }
    }

    @Test func usableThroughTheProtocol() throws {
        let port: any Datapath.Port = try makePort()
        (port as? DummyPort)?.inject([1, 2])
        let pool = PacketPool(capacity: 2)
        var batch = PacketBatch()
        #expect(try port.receive(into: &batch, pool: pool) == 1)
        try port.send(batch, pool: pool)
        #expect((port as? DummyPort)?.drainTransmitted() == [[1, 2]])
    }
}
