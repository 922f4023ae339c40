import Datapath
import Flow
import NetDevices
import Testing
import Wire

/// A 64-byte Ethernet/IPv4/TCP frame (checksums zero: extraction ignores them).
func tcpFrame(src: UInt32 = 0x0a00_0001, dst: UInt32 = 0x0a00_0002, sport: UInt16 = 1234, dport: UInt16 = 80,
              flags: UInt8 = 0x18) -> [UInt8] {
    func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }
    let eth: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00]
    let ip: [UInt8] = [0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 6, 0, 0] + be32(src) + be32(dst)
    let tcp: [UInt8] = be16(sport) + be16(dport) + be32(1) + be32(1) + [0x50, flags] + be16(8192) + [0, 0, 0, 0]
    return eth + ip + tcp + [UInt8](repeating: 0xab, count: 64 - 54)
}

func key(of frame: [UInt8], inPort: DatapathPort) -> FlowKey {
    frame.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: inPort.rawValue) }
}

/// A mask on in_port, eth_type and the IPv4 destination.
let dstMask: FlowMask = {
    var m = FlowMask.catchAll
    m.setExact(.inPort)
    m.setExact(.ethType)
    m.setExact(.ipv4Destination)
    return m
}()

/// A poll thread with dummy ports 1 and 2 and its upcall queue.
struct Rig {
    let thread: PollThread
    let upcalls: UpcallQueue
    let p1: DummyPort
    let p2: DummyPort

    init(configuration: CacheConfiguration = CacheConfiguration(exactMatchInsertInverseProbability: 1),
         upcallCapacity: Int = 1024) throws {
        upcalls = UpcallQueue(capacity: upcallCapacity)
        thread = PollThread(upcalls: upcalls, configuration: configuration)
        p1 = try DummyPort(configuration: PortConfiguration(name: "p1", type: .dummy), number: DatapathPort(1))
        p2 = try DummyPort(configuration: PortConfiguration(name: "p2", type: .dummy), number: DatapathPort(2))
        thread.control.send(.ports(PortSnapshot([DatapathPort(1): p1, DatapathPort(2): p2])))
    }

    func install(_ key: FlowKey, _ mask: FlowMask = dstMask, actions: [DatapathAction] = [.output(DatapathPort(2))],
                 ufid: UInt128? = nil) -> FlowRecord {
        let r = FlowRecord(key: key, mask: mask, actions: actions, ufid: ufid ?? FlowRecord.ufid(forKey: key))
        thread.control.send(.install(r))
        return r
    }

    /// Sends `frames` as one batch received on port 1.
    func send(_ frames: [[UInt8]]) {
        var batch = PacketBatch()
        for f in frames {
            var p = thread.pool.allocate(copying: f)
            p.metadata.inPort = DatapathPort(1)
            if let refused = batch.append(p) { thread.pool.recycle(refused) }
        }
        thread.process(batch, from: DatapathPort(1))
    }
}

@Suite struct PacketPathTests {
    @Test func missGoesUpOncePerPacketWithItsKey() throws {
        let rig = try Rig()
        let frames = (0..<5).map { tcpFrame(sport: UInt16(1000 + $0)) } + [tcpFrame(sport: 1000)]
        rig.send(frames)
        let ups = rig.upcalls.dequeue()
        #expect(ups.count == 6)
        for (u, f) in zip(ups, frames) {
            #expect(u.kind == .miss)
            #expect(u.packet == f)
            #expect(u.key == key(of: f, inPort: DatapathPort(1)))
            #expect(u.metadata.inPort == DatapathPort(1))
        }
        #expect(rig.thread.stats.misses == 6)
        #expect(rig.thread.stats.hits == 0)
        #expect(rig.p2.drainTransmitted().isEmpty)
        #expect(rig.thread.pool.stats.fallbackAllocations == 0)
    }

    @Test func afterAPutPacketsHitAndCount() throws {
        let rig = try Rig(configuration: CacheConfiguration(exactMatchEnabled: false))
        let f = tcpFrame(flags: 0x02)
        let r = rig.install(key(of: f, inPort: DatapathPort(1)))
        rig.send([f, tcpFrame(sport: 9, flags: 0x10), tcpFrame(dst: 0x0a00_0009)])
        #expect(rig.upcalls.count == 1)                       // other destination
        #expect(rig.p2.drainTransmitted() == [f, tcpFrame(sport: 9, flags: 0x10)])
        let c = try #require(rig.thread.counters(forUFID: r.ufid))
        #expect(c.packets == 2)
        #expect(c.bytes == 128)
        #expect(c.tcpFlags == 0x12)
        #expect(c.usedMilliseconds > 0)
        #expect(rig.thread.stats.megaflowHits == 2)
        #expect(rig.thread.stats.misses == 1)
        #expect(rig.thread.stats.subtableLookups == 2)
    }

    @Test func upcallQueueOverflowIsCountedAsLost() throws {
        let rig = try Rig(upcallCapacity: 4)
        rig.send((0..<10).map { tcpFrame(sport: UInt16($0)) })
        #expect(rig.upcalls.count == 4)
        #expect(rig.thread.stats.misses == 10)
        #expect(rig.thread.stats.lost == 6)
        #expect(rig.thread.stats.drops[.upcallQueueFull] == 6)
        #expect(rig.thread.pool.stats.fallbackAllocations == 0)
    }

    @Test func packetsOfSeveralFlowsKeepTheirOrderPerPort() throws {
        let rig = try Rig()
        let a = tcpFrame(dst: 1), b = tcpFrame(dst: 2)
        _ = rig.install(key(of: a, inPort: DatapathPort(1)), actions: [.output(DatapathPort(2))])
        _ = rig.install(key(of: b, inPort: DatapathPort(1)), actions: [.output(DatapathPort(1)), .output(DatapathPort(2))])
        let batch = (0..<32).map { i in i % 3 == 0 ? b : tcpFrame(dst: 1, sport: UInt16(i)) }
        rig.send(batch)
        #expect(rig.p1.drainTransmitted() == batch.filter { $0 == b })
        #expect(rig.p2.drainTransmitted().count == 32)
        #expect(rig.thread.stats.hits == 32)
    }

    @Test func outputToAMissingPortIsCounted() throws {
        let rig = try Rig()
        let f = tcpFrame()
        _ = rig.install(key(of: f, inPort: DatapathPort(1)), actions: [.output(DatapathPort(7))])
        rig.send([f, f])
        #expect(rig.thread.stats.drops[.invalidPort] == 2)
    }

    @Test func executeRunsActionsWithoutAFlow() throws {
        let rig = try Rig()
        var p = rig.thread.pool.allocate(copying: tcpFrame())
        p.metadata.inPort = DatapathPort(1)
        rig.thread.execute([.output(DatapathPort(1)), .output(DatapathPort(2))], on: p)
        #expect(rig.p1.drainTransmitted() == [tcpFrame()])
        #expect(rig.p2.drainTransmitted() == [tcpFrame()])
    }
}

@Suite struct ExactMatchCacheTests {
    @Test func hitsAfterAClassifierHitAndDiesWithTheFlow() throws {
        let rig = try Rig()
        let f = tcpFrame()
        let r = rig.install(key(of: f, inPort: DatapathPort(1)))
        rig.send([f])
        #expect(rig.thread.stats.megaflowHits == 1)
        #expect(rig.thread.stats.exactMatchHits == 0)
        #expect(rig.thread.exactMatchCount == 1)
        rig.send([f, f])
        #expect(rig.thread.stats.exactMatchHits == 2)
        #expect(rig.thread.stats.megaflowHits == 1)
        #expect(rig.p2.drainTransmitted().count == 3)

        // A different key of the same megaflow misses the EMC.
        rig.send([tcpFrame(sport: 4)])
        #expect(rig.thread.stats.megaflowHits == 2)
        #expect(rig.p2.drainTransmitted() == [tcpFrame(sport: 4)])

        // The flow dies: its entries stop matching at once.
        rig.thread.control.send(.remove(ufid: r.ufid))
        rig.send([f])
        #expect(rig.thread.stats.exactMatchHits == 2)
        #expect(rig.thread.stats.misses == 1)
        #expect(rig.thread.exactMatchCount == 0)

        // A new flow reuses the slot: the stale entry must not revive.
        var narrower = dstMask
        narrower.setExact(.transportSource)
        _ = rig.install(key(of: f, inPort: DatapathPort(1)), narrower, actions: [.output(DatapathPort(1))], ufid: 99)
        rig.send([f])
        #expect(rig.p1.drainTransmitted() == [f])
        #expect(rig.p2.drainTransmitted().isEmpty)
        #expect(rig.thread.stats.megaflowHits == 3)
    }

    @Test func insertionProbabilityZeroNeverInserts() throws {
        let rig = try Rig(configuration: CacheConfiguration(exactMatchInsertInverseProbability: 0))
        let f = tcpFrame()
        _ = rig.install(key(of: f, inPort: DatapathPort(1)))
        for _ in 0..<5 { rig.send([f]) }
        #expect(rig.thread.stats.exactMatchHits == 0)
        #expect(rig.thread.stats.megaflowHits == 5)
    }

    @Test func modifiedActionsApplyToCachedEntries() throws {
        let rig = try Rig()
        let f = tcpFrame()
        let r = rig.install(key(of: f, inPort: DatapathPort(1)))
        rig.send([f, f])
        rig.thread.control.send(.modify(ufid: r.ufid, actions: [.output(DatapathPort(1))], clearCounters: true))
        rig.send([f])
        // The second packet of the first batch was looked up before the
        // first one's entry went in: one EMC hit, in the last batch.
        #expect(rig.thread.stats.exactMatchHits == 1)
        #expect(rig.p1.drainTransmitted() == [f])
        #expect(rig.thread.counters(forUFID: r.ufid)?.packets == 1)
    }

    @Test func manyKeysStayConsistent() throws {
        let rig = try Rig()
        let frames = (0..<3000).map { tcpFrame(dst: UInt32($0 % 50), sport: UInt16($0)) }
        var installed = Set<UInt32>()
        for f in frames where installed.insert(key(of: f, inPort: DatapathPort(1)).ipv4Destination.rawValue).inserted {
            _ = rig.install(key(of: f, inPort: DatapathPort(1)), actions: [.output(DatapathPort(2))])
        }
        for round in 0..<2 {
            for start in stride(from: 0, to: frames.count, by: 32) {
                rig.send(Array(frames[start..<min(start + 32, frames.count)]))
            }
            // Grouping by flow reorders within a batch, never loses or adds.
            let sent = rig.p2.drainTransmitted().sorted { $0.lexicographicallyPrecedes($1) }
            #expect(sent == frames.sorted { $0.lexicographicallyPrecedes($1) }, "round \(round)")
        }
        #expect(rig.thread.stats.hits == 6000)
        #expect(rig.thread.stats.exactMatchHits >= 2500)
    }
}

@Suite struct ExactMatchCacheCoverageTests {
    /// An ARP reply: its target hardware address lives in a key word the
    /// EMC does not store, so it is never cached and always classified.
    @Test func keysWithWordsTheEMCDoesNotStoreTakeTheClassifier() throws {
        let rig = try Rig()
        let sha: [UInt8] = [0x02, 0, 0, 0, 0, 0x01], tha: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]
        let arp: [UInt8] = tha + sha + [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2] + sha + [10, 0, 0, 1] + tha
            + [10, 0, 0, 2] + [UInt8](repeating: 0, count: 18)
        let k = key(of: arp, inPort: DatapathPort(1))
        #expect(k.arpTHA.rawValue != 0)
        var m = FlowMask.catchAll
        m.setExact(.inPort)
        m.setExact(.ethType)
        _ = rig.install(k, m)
        for _ in 0..<3 { rig.send([arp]) }
        #expect(rig.thread.stats.megaflowHits == 3)
        #expect(rig.thread.stats.exactMatchHits == 0)
        #expect(rig.thread.exactMatchCount == 0)
        #expect(rig.p2.drainTransmitted() == [arp, arp, arp])
    }
}

@Suite struct SubtableRankingTests {
    /// The busiest subtable moves to the front, so its packets stop
    /// visiting the others (`masks: hit/pkt` falls towards 1).
    @Test func busiestSubtableIsSearchedFirstAfterRanking() throws {
        let rig = try Rig(configuration: CacheConfiguration(exactMatchEnabled: false, subtableRankingInterval: 0))
        // Three masks; the last installed gets all the traffic.
        var bySource = dstMask
        bySource.setExact(.ipv4Source)
        var byPort = dstMask
        byPort.setExact(.transportDestination)
        _ = rig.install(key(of: tcpFrame(dst: 1), inPort: DatapathPort(1)), dstMask)
        _ = rig.install(key(of: tcpFrame(src: 7, dst: 2), inPort: DatapathPort(1)), bySource)
        _ = rig.install(key(of: tcpFrame(dst: 3, dport: 443), inPort: DatapathPort(1)), byPort)
        let busy = Array(repeating: tcpFrame(dst: 3, dport: 443), count: 32)
        rig.send(busy)
        let before = rig.thread.stats.subtableLookups
        #expect(rig.thread.classifier.maskCount == 3)
        #expect(rig.thread.classifier.subtables.last?.mask == byPort)
        rig.thread.classifier.rank()
        #expect(rig.thread.classifier.subtables.first?.mask == byPort)
        rig.send(busy)
        #expect(rig.thread.stats.subtableLookups - before == 32)      // one subtable per packet
        #expect(before == 96)                                          // three before ranking
    }
}

@Suite struct SignatureMatchCacheTests {
    @Test func hitsAfterAClassifierHitAndFollowsTheFlowTable() throws {
        let rig = try Rig(configuration: CacheConfiguration(exactMatchEnabled: false, signatureMatchEnabled: true))
        var bySource = dstMask
        bySource.setExact(.ipv4Source)
        _ = rig.install(key(of: tcpFrame(dst: 1), inPort: DatapathPort(1)), dstMask)
        let f = tcpFrame(src: 7, dst: 2)
        let r = rig.install(key(of: f, inPort: DatapathPort(1)), bySource)
        rig.send([f])
        #expect(rig.thread.stats.megaflowHits == 1)
        rig.send([f, f, tcpFrame(src: 7, dst: 2, sport: 99)])
        #expect(rig.thread.stats.signatureMatchHits == 2)      // the new source port has its own hash
        #expect(rig.thread.stats.megaflowHits == 2)
        #expect(rig.p2.drainTransmitted().count == 4)

        // Removed: the stale entry must not forward.
        rig.thread.control.send(.remove(ufid: r.ufid))
        rig.send([f])
        #expect(rig.thread.stats.misses == 1)
        #expect(rig.p2.drainTransmitted().isEmpty)

        // Reinstalled with other actions in a slot that may be reused.
        _ = rig.install(key(of: f, inPort: DatapathPort(1)), bySource, actions: [.output(DatapathPort(1))], ufid: 5)
        rig.send([f, f])
        #expect(rig.p1.drainTransmitted() == [f, f])
    }
}
