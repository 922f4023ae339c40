import Datapath
import Flow
@testable import OFProto
import Testing
import Wire

// Groups and meters in translation, without Open vSwitch (tests/groups
// compares them with it): bucket choice, liveness, symmetry of select,
// the megaflow of select, statistics, meters to datapath meters.

func bucket(_ id: UInt32, weight: UInt16 = 0, watchPort: OFPort = .any, watchGroup: UInt32 = OFGroupBucket.noGroup,
            _ actions: String) throws -> OFGroupBucket {
    OFGroupBucket(id: id, weight: weight, watchPort: watchPort, watchGroup: watchGroup,
                  actions: try FlowModText.parse("actions=" + actions).actions)
}

@Suite struct GroupTranslationTests {
    func key(_ fields: (inout FlowKey) -> Void) -> FlowKey {
        var k = FlowKey()
        k.openFlowInPort = OFPort(rawValue: 1)
        k[.ethType] = 0x0800
        k[.networkProtocol] = 6
        fields(&k)
        return k
    }

    @Test func allRunsEveryBucketOnACopyAndCountsEveryBucket() throws {
        let b = try xlateBridges(br0Flows: ["in_port=1,actions=group:1,output:2"])
        let br0 = try #require(b.bridge(named: "br0"))
        try br0.groups.add(OFGroup(id: 1, type: .all, buckets: [
            try bucket(0, "mod_vlan_vid:7,output:3"), try bucket(1, "output:100"),
        ]), now: .zero)
        let r = b.translate(key { _ in }, bridge: br0, mayLearn: true)
        // The VLAN set in bucket 0 does not reach bucket 1 nor the output after the group.
        #expect(DatapathActionText.formatted(r.actions) == "push_vlan(vid=7,pcp=0),3,pop_vlan,2")
        #expect(r.groups.count == 1)
        for g in r.groups { g.account(packets: 3, bytes: 300) }
        let c = try #require(br0.groups.group(1)).counters.snapshot
        #expect(c.packets == 3 && c.buckets.map(\.packets) == [3, 3])
    }

    @Test func fastFailoverTakesTheFirstLiveBucket() throws {
        let b = try xlateBridges(br0Flows: ["in_port=1,actions=group:2"])
        let br0 = try #require(b.bridge(named: "br0"))
        try br0.groups.add(OFGroup(id: 2, type: .fastFailover, buckets: [
            try bucket(0, watchPort: OFPort(rawValue: 9), "output:9"),
            try bucket(1, watchGroup: 3, "output:2"),
            try bucket(2, watchPort: OFPort(rawValue: 3), "output:3"),
        ]), now: .zero)
        var r = b.translate(key { _ in }, bridge: br0, mayLearn: false)
        #expect(r.actions == [.output(DatapathPort(3))])
        // Group 3 has a live bucket: bucket 1 becomes live.
        try br0.groups.add(OFGroup(id: 3, type: .all, buckets: [try bucket(0, "output:1")]), now: .zero)
        r = b.translate(key { _ in }, bridge: br0, mayLearn: false)
        #expect(r.actions == [.output(DatapathPort(2))])
        // A port that goes down is not live.
        var ports = br0.ports
        for i in ports.indices where ports[i].name == "p3" { ports[i].isLive = false }
        br0.setPorts(ports)
        br0.groups.delete(3)
        r = b.translate(key { _ in }, bridge: br0, mayLearn: false)
        #expect(r.actions.isEmpty)
    }

    @Test func selectIsSymmetricAndMatchesWhatItHashed() throws {
        let b = try xlateBridges(br0Flows: ["in_port=1,actions=group:4"])
        let br0 = try #require(b.bridge(named: "br0"))
        try br0.groups.add(OFGroup(id: 4, type: .select, buckets: [
            try bucket(0, weight: 1, "output:2"), try bucket(1, weight: 1, "output:3"), try bucket(2, weight: 0, "output:100"),
        ]), now: .zero)
        var seen: Set<[DatapathAction]> = []
        for i in 0..<64 {
            let forward = key { k in
                k[.ipv4Source] = 0x0a00_0001 + UInt64(i); k[.ipv4Destination] = 0x0a00_0101
                k[.transportSource] = 1000 + UInt64(i); k[.transportDestination] = 80
            }
            let reverse = key { k in
                k[.ipv4Source] = 0x0a00_0101; k[.ipv4Destination] = 0x0a00_0001 + UInt64(i)
                k[.transportSource] = 80; k[.transportDestination] = 1000 + UInt64(i)
            }
            let f = b.translate(forward, bridge: br0, mayLearn: false)
            let r = b.translate(reverse, bridge: br0, mayLearn: false)
            #expect(f.actions == r.actions)
            #expect(f.actions != [.output(DatapathPort(100))])   // weight 0 is never chosen
            #expect(f.mask[.ipv4Source] == FlowField.ipv4Source.maxValue)
            #expect(f.mask[.transportDestination] == FlowField.transportDestination.maxValue)
            seen.insert(f.actions)
        }
        #expect(seen.count == 2)
    }

    @Test func missingGroupStopsTheListAndLoopsStopAtTheDepthLimit() throws {
        let b = try xlateBridges(br0Flows: ["in_port=1,actions=group:8,output:2", "in_port=2,actions=group:9"])
        let br0 = try #require(b.bridge(named: "br0"))
        var r = b.translate(key { _ in }, bridge: br0, mayLearn: false)
        #expect(r.actions.isEmpty)
        try br0.groups.add(OFGroup(id: 9, type: .indirect, buckets: [try bucket(0, "group:9")]), now: .zero)
        r = b.translate(key { $0.openFlowInPort = OFPort(rawValue: 2) }, bridge: br0, mayLearn: false)
        #expect(r.error == .recursionTooDeep)
    }

    @Test func groupTableCommands() throws {
        let t = OFGroupTable()
        try t.add(OFGroup(id: 1, type: .all, buckets: [try bucket(0, "output:1")]), now: .zero)
        #expect(throws: OFGroupModError.groupExists) { try t.add(OFGroup(id: 1, type: .all, buckets: []), now: .zero) }
        #expect(throws: OFGroupModError.invalidGroup) { try t.add(OFGroup(id: 0xffff_ff01, type: .all, buckets: []), now: .zero) }
        #expect(throws: OFGroupModError.unknownGroup) { try t.modify(OFGroup(id: 2, type: .all, buckets: []), mayCreate: false, now: .zero) }
        try t.modify(OFGroup(id: 2, type: .all, buckets: []), mayCreate: true, now: .zero)
        try t.insertBuckets(group: 1, [try bucket(5, "output:2")], before: 0xffff_fffd)
        #expect(t.group(1)?.group.buckets.map(\.id) == [5, 0])
        #expect(throws: OFGroupModError.bucketExists) { try t.insertBuckets(group: 1, [try bucket(5, "output:2")], before: 0xffff_fffe) }
        #expect(throws: OFGroupModError.unknownBucket) { try t.removeBuckets(group: 1, bucket: 77) }
        try t.removeBuckets(group: 1, bucket: 5)
        #expect(t.group(1)?.group.buckets.map(\.id) == [0])
        #expect(t.delete(OFGroup.allID).sorted() == [1, 2])
        #expect(t.all.isEmpty)
    }

    @Test func meterActionBecomesTheDatapathMeter() throws {
        let b = try xlateBridges(br0Flows: ["in_port=1,actions=meter:5,output:2"])
        let br0 = try #require(b.bridge(named: "br0"))
        var r = b.translate(key { _ in }, bridge: br0, mayLearn: false)
        #expect(r.actions == [.output(DatapathPort(2))])
        #expect(throws: OFMeterModError.badBand) {
            try br0.meters.add(OFMeter(id: 5, flags: OFMeter.kbps, bands: [OFMeterBand(type: OFMeterBand.dscpRemark, rate: 1, burst: 0)]), now: .zero)
        }
        #expect(throws: OFMeterModError.badFlags) {
            try br0.meters.add(OFMeter(id: 5, flags: 0, bands: [OFMeterBand(type: OFMeterBand.drop, rate: 1, burst: 0)]), now: .zero)
        }
        try br0.meters.add(OFMeter(id: 5, flags: OFMeter.pktps, bands: [OFMeterBand(type: OFMeterBand.drop, rate: 10, burst: 0)]), now: .zero)
        let id = try #require(br0.meters.entry(5)).datapathID
        #expect(br0.meters.entry(5)?.meter.bands.first?.burst == 10)
        r = b.translate(key { _ in }, bridge: br0, mayLearn: false)
        #expect(r.actions == [.meter(id), .output(DatapathPort(2))])
        #expect(br0.meters.delete(5) == [5])
    }
}
