import Datapath
import Flow
import Testing
import Wire

let tcpFrame = ethernet().ipv4(ip1, ip2).tcp(1000, 80).payload(count: 100).build()
let port1 = DatapathPort(1)
let port2 = DatapathPort(2)
let port3 = DatapathPort(3)

@Suite struct ExecuteControlTests {
    @Test func outputsInOrderWithCopies() {
        let events = execute([.output(port1), .output(port2), .output(port3)], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port1), .output(port2), .output(port3)])
        #expect(events.allSatisfy { $0.bytes == tcpFrame })
    }

    @Test func outputThenSetThenOutput() {
        let events = execute([.output(port1), .set(.ethernet(EthernetKey(source: mac3, destination: mac4))),
                              .output(port2)], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port1), .output(port2)])
        #expect(events[0].bytes == tcpFrame)
        #expect(events[1].bytes == ethernet(mac3, mac4).ipv4(ip1, ip2).tcp(1000, 80).payload(count: 100).build())
    }

    @Test func emptyActionsGiveThePacketBack() {
        let pool = PacketPool(capacity: 4, frameCapacity: 2048, headroom: 64)
        var executor = ActionExecutor(seed: 1)
        let events = execute([], on: tcpFrame, executor: &executor, pool: pool)
        #expect(events.isEmpty)
        #expect(pool.available == 4)
        #expect(pool.stats.fallbackAllocations == 0)
    }

    @Test func everyCopyComesFromThePoolAndNothingLeaks() {
        let pool = PacketPool(capacity: 8, frameCapacity: 2048, headroom: 64)
        var executor = ActionExecutor(seed: 1)
        let actions: [DatapathAction] = [
            .clone([.pushVLAN(VLANPush(vlanID: 3)), .output(port2)]),
            .sample(SampleAction(probability: .max, actions: [.userspace(UserspaceAction(pid: 9))])),
            .checkPacketLength(CheckPacketLength(length: 100, ifGreater: [.output(port3)], ifLessOrEqual: [])),
            .set(.ipv4(IPv4Key(source: ip3, destination: ip2, ttl: 1))),
            .recirculate(5),
        ]
        for _ in 0..<10 {
            let events = execute(actions, on: tcpFrame, executor: &executor, pool: pool)
            #expect(events.map(\.kind) == [.output(port2), .userspace(9), .output(port3), .recirculate(5)])
        }
        // Every copy came from the pool and every buffer went back.
        #expect(pool.stats.fallbackAllocations == 0)
        #expect(pool.available == 8)
    }

    @Test func truncCutsTheNextOutputOnly() {
        let events = execute([.truncate(64), .output(port1), .output(port2)], on: tcpFrame)
        #expect(events.count == 2)
        #expect(events[0].bytes == Array(tcpFrame.prefix(64)))
        #expect(events[0].metadata.cutLength == 0)
        #expect(events[1].bytes == tcpFrame)
    }

    @Test func truncAsLastOutputAndNeverBelowEthernet() {
        var events = execute([.truncate(100), .output(port1)], on: tcpFrame)
        #expect(events.first?.bytes == Array(tcpFrame.prefix(100)))
        events = execute([.truncate(3), .output(port1)], on: tcpFrame)
        #expect(events.first?.bytes == Array(tcpFrame.prefix(14)))
        events = execute([.truncate(5000), .output(port1)], on: tcpFrame)
        #expect(events.first?.bytes == tcpFrame)
    }

    @Test func truncAppliesToUserspaceAndClone() {
        let events = execute([.truncate(60), .clone([.output(port1)]), .userspace(UserspaceAction(pid: 3)),
                              .output(port2)], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port1), .userspace(3), .output(port2)])
        // The clone carried the cut; the original forgot it after the clone.
        #expect(events.map { $0.bytes.count } == [60, tcpFrame.count, tcpFrame.count])
        let userspace = execute([.truncate(60), .userspace(UserspaceAction(pid: 3)), .output(port2)], on: tcpFrame)
        #expect(userspace.map { $0.bytes.count } == [60, tcpFrame.count])
    }

    @Test func cloneLeavesTheOriginalUnchanged() {
        let events = execute([.clone([.set(.ipv4(IPv4Key(source: ip3, destination: ip4, ttl: 1))), .popVLAN,
                                      .output(port2)]),
                              .output(port1)], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port2), .output(port1)])
        #expect(events[0].bytes == ethernet().ipv4(ip3, ip4, ttl: 1).tcp(1000, 80).payload(count: 100).build())
        #expect(events[1].bytes == tcpFrame)
    }

    @Test func cloneAsLastActionUsesThePacket() {
        let events = execute([.output(port1), .clone([.output(port2), .output(port3)])], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port1), .output(port2), .output(port3)])
    }

    @Test func sampleProbabilities() {
        let always = execute([.sample(SampleAction(probability: .max, actions: [.output(port2)])), .output(port1)],
                             on: tcpFrame)
        #expect(always.map(\.kind) == [.output(port2), .output(port1)])
        let never = execute([.sample(SampleAction(probability: 0, actions: [.output(port2)])), .output(port1)],
                            on: tcpFrame)
        #expect(never.map(\.kind) == [.output(port1)])
        // An unsampled packet stolen by a last `sample` counts as a sample drop (OVS).
        let last = execute([.sample(SampleAction(probability: 0, actions: [.output(port2)]))], on: tcpFrame)
        #expect(last.map(\.kind) == [.drop(.sampleError)])
    }

    @Test func sampleFiresAtAboutItsProbability() {
        var executor = ActionExecutor(seed: 42)
        let pool = PacketPool(capacity: 8, frameCapacity: 256, headroom: 64)
        let frame = ethernet().ipv4(ip1, ip2).build()
        let quarter = UInt32.max / 4
        var hits = 0
        for _ in 0..<4000 {
            let events = execute([.sample(SampleAction(probability: quarter, actions: [.output(port2)])),
                                  .output(port1)], on: frame, executor: &executor, pool: pool)
            hits += events.count - 1
        }
        #expect((850...1150).contains(hits), "\(hits) of 4000")
        // Same seed, same draws.
        var a = SampleRandom(seed: 7), b = SampleRandom(seed: 7)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    }

    @Test func checkPacketLengthChoosesABranch() {
        let cpl = { (length: UInt16) -> DatapathAction in
            .checkPacketLength(CheckPacketLength(length: length, ifGreater: [.output(port2)],
                                                 ifLessOrEqual: [.output(port3)]))
        }
        let size = UInt16(tcpFrame.count)
        #expect(execute([cpl(size - 1), .output(port1)], on: tcpFrame).map(\.kind) == [.output(port2), .output(port1)])
        #expect(execute([cpl(size), .output(port1)], on: tcpFrame).map(\.kind) == [.output(port3), .output(port1)])
        #expect(execute([cpl(size)], on: tcpFrame).map(\.kind) == [.output(port3)])
        // L2 padding does not count; a pending trunc does.
        let padded = ethernet().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).build(minimumLength: 60)
        #expect(execute([cpl(42)], on: padded).map(\.kind) == [.output(port3)])
        #expect(execute([cpl(41)], on: padded).map(\.kind) == [.output(port2)])
        #expect(execute([.truncate(50), cpl(50)], on: tcpFrame).map(\.kind) == [.output(port3)])
        // Changes in a branch stay in the branch.
        let events = execute([.checkPacketLength(CheckPacketLength(length: 0, ifGreater: [.popVLAN, .pushVLAN(VLANPush(vlanID: 1)), .output(port2)],
                                                                   ifLessOrEqual: [])), .output(port1)], on: tcpFrame)
        #expect(events.count == 2)
        #expect(events[0].bytes.count == tcpFrame.count + 4)
        #expect(events[1].bytes == tcpFrame)
    }

    @Test func userspaceRecirculateAndDrop() {
        let ua = UserspaceAction(pid: 77, userdata: [1, 2, 3])
        let events = execute([.userspace(ua), .recirculate(12), .output(port1), .drop(.ok)], on: tcpFrame)
        #expect(events.map(\.kind) == [.userspace(77), .recirculate(12), .output(port1), .drop(.explicitDrop)])
        #expect(events[1].metadata.recirculationID == 12)
        #expect(events.allSatisfy { $0.bytes == tcpFrame })
        #expect(execute([.recirculate(3)], on: tcpFrame).map(\.kind) == [.recirculate(3)])
        #expect(execute([.userspace(ua)], on: tcpFrame).map(\.kind) == [.userspace(77)])
        #expect(execute([.drop(.tooManyMPLSLabels), .output(port1)], on: tcpFrame).map(\.kind) == [.drop(.explicitDrop)])
    }

    @Test(arguments: [
        (DatapathAction.conntrack(ConntrackAction(commit: true)), DropReason.actionError),
        (.tunnelPush(TunnelPush(tunnelPort: DatapathPort(4), outPort: port1, tunnelType: .vxlan, header: [0])), .tunnelPushError),
        (.tunnelPop(DatapathPort(4)), .tunnelPopError),
        (.loadBalancedOutput(bondID: 1), .invalidBond),
    ])
    func actionsOfLaterIssuesDrop(_ action: DatapathAction, _ reason: DropReason) {
        let events = execute([.output(port1), action, .output(port2)], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port1), .drop(reason)])
    }

    /// A sink without meters lets a `meter` action pass everything (MeterTests has the dropping ones).
    @Test func meterWithoutMetersPasses() {
        let events = execute([.output(port1), .meter(MeterID(rawValue: 1)), .output(port2)], on: tcpFrame)
        #expect(events.map(\.kind) == [.output(port1), .output(port2)])
    }

    @Test func metadataSets() {
        let tunnel = TunnelMetadata(tunnelID: 42, ipv4Source: ip1, ipv4Destination: ip2, ttl: 64, flags: [.dontFragment],
                                    destinationPort: 4789)
        var md = PacketMetadata(skbPriority: 0x1111_1111, packetMark: 0xaaaa_aaaa)
        md.conntrack = ConntrackMetadata(state: [.tracked, .established], zone: 5, mark: 9, labels: 1)
        let events = execute([.set(.skbPriority(7)), .setMasked(.packetMark(Masked(0x0000_5555, mask: 0x0000_ffff))),
                              .set(.tunnel(tunnel)), .conntrackClear, .output(port1)], on: tcpFrame, metadata: md)
        #expect(events.count == 1)
        let out = events[0].metadata
        #expect(out.skbPriority == 7)
        #expect(out.packetMark == 0xaaaa_5555)
        #expect(out.tunnel == tunnel)
        #expect(out.conntrack == ConntrackMetadata())
        #expect(events[0].bytes == tcpFrame)
        let masked = execute([.setMasked(.skbPriority(Masked(0xffff_0000, mask: 0x00ff_0000))), .output(port1)],
                             on: tcpFrame, metadata: md)
        #expect(masked.first?.metadata.skbPriority == 0x11ff_1111)
    }

    @Test func hashIsStoredAndFollowsTheFiveTuple() {
        func hash(_ frame: [UInt8], _ action: HashAction) -> UInt32? {
            execute([.hash(action), .output(port1)], on: frame).first?.metadata.dpHash
        }
        let forward = ethernet().ipv4(ip1, ip2).tcp(1000, 80).payload(payload).build()
        let reverse = ethernet(mac2, mac1).ipv4(ip2, ip1).tcp(80, 1000).build()
        let other = ethernet().ipv4(ip1, ip2).tcp(1001, 80).build()
        let l4 = HashAction(algorithm: .l4, basis: 0)
        let sym = HashAction(algorithm: .symmetricL4, basis: 0)
        let h = hash(forward, l4)
        #expect(h != nil && h != 0)
        // Only the 5-tuple counts: other bytes do not change it.
        #expect(hash(ethernet(mac3, mac4).ipv4(ip1, ip2, ttl: 3).tcp(1000, 80).build(), l4) == h)
        #expect(hash(other, l4) != h)
        #expect(hash(forward, HashAction(algorithm: .l4, basis: 1)) != h)
        #expect(hash(reverse, l4) != h)
        #expect(hash(forward, sym) == hash(reverse, sym))
        #expect(hash(forward, sym) != hash(other, sym))
        let v6 = ethernet().ipv6(ip6a, ip6b).udp(sourcePort: 5, destinationPort: 6).build()
        let v6r = ethernet().ipv6(ip6b, ip6a).udp(sourcePort: 6, destinationPort: 5).build()
        #expect(hash(v6, sym) == hash(v6r, sym))
        #expect(hash(v6, l4) != hash(v6r, l4))
        // A set before the hash is seen by it (the flow is taken again).
        let after = execute([.set(.tcp(TransportPorts(source: 1001, destination: 80))), .hash(l4), .output(port1)],
                            on: forward).first?.metadata.dpHash
        #expect(after == hash(other, l4))
        // Non-IP: L2 fields, symmetric.
        let arp = ethernet(mac1, mac2).arp(senderHardwareAddress: mac1, senderProtocolAddress: ip1, targetProtocolAddress: ip2).build()
        let arpBack = ethernet(mac2, mac1).arp(senderHardwareAddress: mac2, senderProtocolAddress: ip2, targetProtocolAddress: ip1).build()
        #expect(hash(arp, sym) == hash(arpBack, sym))
    }

    @Test func sctpKeepsAWrongChecksumWrongByTheSameAmount() {
        var frame = ethernet().ipv4(ip1, ip2).sctp(sourcePort: 1, destinationPort: 2).payload(payload).build()
        let crcAt = 14 + 20 + 8
        frame[crcAt] ^= 0x5a   // corrupt the CRC
        let out = execute([.set(.sctp(TransportPorts(source: 3, destination: 4))), .output(port1)], on: frame)
        var correct = ethernet().ipv4(ip1, ip2).sctp(sourcePort: 3, destinationPort: 4).payload(payload).build()
        correct[crcAt] ^= 0x5a
        #expect(out.first?.bytes == correct)
    }

    @Test func nestingIsBounded() {
        func nested(_ depth: Int) -> [DatapathAction] {
            var actions: [DatapathAction] = [.output(port2)]
            for i in 0..<depth {
                switch i % 3 {
                case 0: actions = [.clone(actions)]
                case 1: actions = [.sample(SampleAction(probability: .max, actions: actions))]
                default: actions = [.checkPacketLength(CheckPacketLength(length: 0, ifGreater: actions, ifLessOrEqual: []))]
                }
            }
            return actions
        }
        let limit = ActionExecutor.maximumDepth
        #expect(execute(nested(limit) + [.output(port1)], on: tcpFrame).map(\.kind) == [.output(port2), .output(port1)])
        #expect(execute(nested(limit + 1) + [.output(port1)], on: tcpFrame).map(\.kind)
                == [.drop(.actionsTooDeep), .output(port1)])
        #expect(execute(nested(limit + 1), on: tcpFrame).map(\.kind) == [.drop(.actionsTooDeep)])
    }

    @Test func batchRunsEveryPacketInOrder() {
        let pool = PacketPool(capacity: 40, frameCapacity: 256, headroom: 64)
        var executor = ActionExecutor(seed: 3)
        var batch = PacketBatch()
        for i in 0..<32 {
            #expect(appended(&batch, pool.allocate(copying: ethernet().ipv4(ip1, IPv4Address(10, 0, 1, UInt8(i))).build())))
        }
        var sink = RecordingSink()
        executor.execute([.set(.ipv4(IPv4Key(source: ip3, destination: ip2, ttl: 9))), .output(port1)],
                         on: &batch, pool: pool, sink: &sink)
        let isEmpty = batch.isEmpty
        #expect(isEmpty)
        #expect(sink.events.count == 32)
        #expect(sink.events.allSatisfy { $0.bytes == ethernet().ipv4(ip3, ip2, ttl: 9).build() })
    }

    @Test func staticEntryPointWorks() {
        let pool = PacketPool(capacity: 4, frameCapacity: 256, headroom: 64)
        var sink = RecordingSink()
        let frame = ethernet().ipv4(ip1, ip2).build()
        ActionExecutor.execute([.sample(SampleAction(probability: UInt32.max / 2, actions: [])), .output(port1)],
                               on: pool.allocate(copying: frame), key: FlowKey(), pool: pool, sink: &sink)
        #expect(sink.events.map(\.kind) == [.output(port1)])
    }

    @Test func pushWithoutRoomDrops() {
        // A buffer with no headroom and no tailroom cannot take a tag.
        let frame = ethernet().ipv4(ip1, ip2).build()
        var packet = PacketBuffer(copying: frame, headroom: 0, tailroom: 0)
        packet.metadata = PacketMetadata()
        let pool = PacketPool(capacity: 2, frameCapacity: 256, headroom: 64)
        var sink = RecordingSink()
        ActionExecutor.execute([.pushVLAN(VLANPush(vlanID: 1)), .output(port1)], on: packet, key: FlowKey(),
                               pool: pool, sink: &sink)
        #expect(sink.events.map(\.kind) == [.drop(.actionError)])
    }
}
