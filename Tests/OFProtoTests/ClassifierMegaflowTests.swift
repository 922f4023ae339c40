import Flow
import OFProto
import Testing

/// The wildcards a lookup returns are as narrow as OVS's: staged lookup
/// and prefix tries keep fields the answer did not depend on wildcarded.
@Suite struct ClassifierMegaflowTests {
    static func rule(_ build: (inout Match) -> Void, priority: Int) -> ClassifierRule {
        var m = Match.catchAll
        build(&m)
        return ClassifierRule(match: m, priority: priority)
    }

    static func key(inPort: UInt64 = 1, ethType: UInt64 = 0x0800, nwDst: UInt32 = 0x0a00_0001,
                    tpDst: UInt64 = 80) -> FlowKey {
        var k = FlowKey()
        k[.inPort] = inPort
        k[.ethType] = ethType
        k[.ipv4Destination] = UInt64(nwDst)
        k[.ipv4Source] = 0xc0a8_0101
        k[.networkProtocol] = 6
        k[.transportDestination] = tpDst
        k[.transportSource] = 33333
        return k
    }

    static func mask(_ fields: [(FlowField, UInt64)]) -> FlowMask {
        var m = FlowMask.catchAll
        for (f, bits) in fields { m[f] = bits }
        return m
    }

    static let v = ClassifierVersion(rawValue: 1)

    static func fiveTuple() -> Classifier {
        let c = Classifier(prefixFields: [])
        c.insert(rule({
            $0.set(.inPort, to: 1); $0.set(.ethType, to: 0x0800); $0.set(.ipv4Destination, to: 0x0a00_0001)
            $0.set(.networkProtocol, to: 6); $0.set(.transportDestination, to: 80)
        }, priority: 100), version: v)
        return c
    }

    @Test func aMetadataMissUnwildcardsOnlyMetadata() {
        var wc = FlowMask.catchAll
        #expect(Self.fiveTuple().lookup(Self.key(inPort: 2), version: Self.v, wildcards: &wc) == nil)
        #expect(wc == Self.mask([(.inPort, FlowField.inPort.maxValue)]))
    }

    @Test func anL2MissStopsBeforeL3() {
        var wc = FlowMask.catchAll
        #expect(Self.fiveTuple().lookup(Self.key(ethType: 0x86dd), version: Self.v, wildcards: &wc) == nil)
        #expect(wc == Self.mask([(.inPort, FlowField.inPort.maxValue), (.ethType, 0xffff)]))
    }

    @Test func anL3MissStopsBeforeL4() {
        var wc = FlowMask.catchAll
        #expect(Self.fiveTuple().lookup(Self.key(nwDst: 0x0a00_0002), version: Self.v, wildcards: &wc) == nil)
        #expect(wc == Self.mask([(.inPort, FlowField.inPort.maxValue), (.ethType, 0xffff),
                                 (.ipv4Destination, 0xffff_ffff), (.networkProtocol, 0xff)]))
    }

    @Test func aHitUnwildcardsTheWholeMask() {
        var wc = FlowMask.catchAll
        let c = Self.fiveTuple()
        let r = c.lookup(Self.key(), version: Self.v, wildcards: &wc)
        #expect(r != nil)
        #expect(wc == r!.match.mask)
    }

    static func prefixes() -> Classifier {
        let c = Classifier()      // tries on nw_dst, nw_src
        c.insert(rule({ $0.set(.ethType, to: 0x0800); $0.set(.ipv4Destination, to: 0x0a01_0000, mask: 0xffff_0000) },
                      priority: 10), version: v)
        c.insert(rule({ _ in }, priority: 0), version: v)
        return c
    }

    /// 192.168.0.1 differs from 10.1/16 in its first bit: one bit of nw_dst
    /// is enough to know the /16 subtable cannot match.
    @Test func aPrefixTrieMissNeedsOnlyTheBitsThatDiffer() {
        var wc = FlowMask.catchAll
        let r = Self.prefixes().lookup(Self.key(nwDst: 0xc0a8_0001), version: Self.v, wildcards: &wc)
        #expect(r?.priority == 0)
        #expect(wc == Self.mask([(.ethType, 0xffff), (.ipv4Destination, 0x8000_0000)]))

        // 10.2.0.1 agrees with 10.1/16 on 14 bits; the 15th rules it out.
        var wc2 = FlowMask.catchAll
        _ = Self.prefixes().lookup(Self.key(nwDst: 0x0a02_0001), version: Self.v, wildcards: &wc2)
        #expect(wc2 == Self.mask([(.ethType, 0xffff), (.ipv4Destination, 0xfffe_0000)]))
    }

    @Test func withoutTriesTheWholePrefixIsUnwildcarded() {
        let c = Self.prefixes()
        c.setPrefixFields([])
        var wc = FlowMask.catchAll
        _ = c.lookup(Self.key(nwDst: 0xc0a8_0001), version: Self.v, wildcards: &wc)
        #expect(wc == Self.mask([(.ethType, 0xffff), (.ipv4Destination, 0xffff_0000)]))
    }

    @Test func aPrefixHitUnwildcardsThePrefix() {
        var wc = FlowMask.catchAll
        let r = Self.prefixes().lookup(Self.key(nwDst: 0x0a01_0203), version: Self.v, wildcards: &wc)
        #expect(r?.priority == 10)
        #expect(wc == Self.mask([(.ethType, 0xffff), (.ipv4Destination, 0xffff_0000)]))
    }

    /// Subtables whose highest priority cannot beat the rule found are not
    /// looked at, so their fields stay wildcarded.
    @Test func lowerPrioritySubtablesAreSkipped() {
        let c = Classifier(prefixFields: [])
        c.insert(Self.rule({ $0.set(.inPort, to: 1) }, priority: 50), version: Self.v)
        c.insert(Self.rule({ $0.set(.transportDestination, to: 80) }, priority: 10), version: Self.v)
        var wc = FlowMask.catchAll
        #expect(c.lookup(Self.key(), version: Self.v, wildcards: &wc)?.priority == 50)
        #expect(wc == Self.mask([(.inPort, FlowField.inPort.maxValue)]))
    }

    @Test func ipv6PrefixTries() {
        let c = Classifier(prefixFields: [.ipv6Destination])
        c.insert(Self.rule({
            $0.set(.ethType, to: 0x86dd)
            $0.set(.ipv6DestinationHigh, to: 0x2001_0db8_0000_0000, mask: 0xffff_ffff_0000_0000)
        }, priority: 10), version: Self.v)
        var k = FlowKey()
        k[.ethType] = 0x86dd
        k[.ipv6DestinationHigh] = 0xfe80_0000_0000_0000
        var wc = FlowMask.catchAll
        #expect(c.lookup(k, version: Self.v, wildcards: &wc) == nil)
        #expect(wc == Self.mask([(.ethType, 0xffff), (.ipv6DestinationHigh, 0x8000_0000_0000_0000)]))
    }

    /// A miss on the ports: the ports trie un-wildcards only the port bits
    /// up to the first one that differs from every rule's (80 vs 443:
    /// tp_dst=0x100/0xff00), as OVS's megaflows show.
    @Test func aPortsMissUsesThePortsTrie() {
        let c = Classifier()
        c.insert(Self.rule({
            $0.set(.ethType, to: 0x0800); $0.set(.networkProtocol, to: 6); $0.set(.transportDestination, to: 80)
        }, priority: 10), version: Self.v)
        var wc = FlowMask.catchAll
        #expect(c.lookup(Self.key(tpDst: 443), version: Self.v, wildcards: &wc) == nil)
        #expect(wc == Self.mask([(.ethType, 0xffff), (.networkProtocol, 0xff), (.transportDestination, 0xff00)]))
    }

    /// Ports that match but another field of the final stage that does not
    /// (tcp_flags): that field's bits are needed, or a SYN packet would be
    /// covered by the megaflow of an ACK. (OVS un-wildcards only the ports
    /// trie's bits here; svs keeps the megaflow correct.)
    @Test func aPortsMissStillNeedsTheStagesOtherFields() {
        let c = Classifier()
        c.insert(Self.rule({
            $0.set(.ethType, to: 0x0800); $0.set(.networkProtocol, to: 6); $0.set(.transportDestination, to: 80)
            $0.set(.tcpFlags, to: 0x002)
        }, priority: 10), version: Self.v)
        var ack = Self.key(tpDst: 80)
        ack[.tcpFlags] = 0x010
        var wc = FlowMask.catchAll
        #expect(c.lookup(ack, version: Self.v, wildcards: &wc) == nil)
        #expect(wc[.tcpFlags] == FlowField.tcpFlags.maxValue)
        #expect(wc[.transportDestination] == 0xffff)
    }

    /// An ARP packet's `arp_tpa` shares `nw_dst`'s bits, but the nw_dst trie
    /// is not used for it (its prerequisite is IPv4), as in OVS: a rule on
    /// those bits alone is looked up in full.
    @Test func triesNeedTheirPrerequisite() {
        let c = Classifier()
        c.insert(Self.rule({ $0.set(.ipv4Destination, to: 0x0a01_0000, mask: 0xffff_0000) }, priority: 10),
                 version: Self.v)
        var arp = FlowMask.catchAll
        #expect(c.lookup(Self.key(ethType: 0x0806, nwDst: 0xc0a8_0001), version: Self.v, wildcards: &arp) == nil)
        #expect(arp == Self.mask([(.ethType, 0xffff), (.ipv4Destination, 0xffff_0000)]))
        var ip = FlowMask.catchAll
        #expect(c.lookup(Self.key(ethType: 0x0800, nwDst: 0xc0a8_0001), version: Self.v, wildcards: &ip) == nil)
        #expect(ip == Self.mask([(.ethType, 0xffff), (.ipv4Destination, 0x8000_0000)]))
    }

    @Test func versionsHideAndShowRules() {
        let c = Classifier()
        let old = Self.rule({ $0.set(.inPort, to: 1) }, priority: 5)
        let new = Self.rule({ $0.set(.inPort, to: 1) }, priority: 5)
        c.insert(old, version: ClassifierVersion(rawValue: 1))
        c.makeInvisible(old, from: ClassifierVersion(rawValue: 3))
        c.insert(new, version: ClassifierVersion(rawValue: 3))
        #expect(c.lookup(Self.key(), version: ClassifierVersion(rawValue: 0)) == nil)
        #expect(c.lookup(Self.key(), version: ClassifierVersion(rawValue: 2)) === old)
        #expect(c.lookup(Self.key(), version: ClassifierVersion(rawValue: 3)) === new)
        #expect(c.find(old.match, priority: 5, version: ClassifierVersion(rawValue: 2)) === old)
        #expect(c.find(old.match, priority: 5, version: ClassifierVersion(rawValue: 3)) === new)
        c.remove(old)
        #expect(c.count == 1)
        #expect(c.lookup(Self.key(), version: ClassifierVersion(rawValue: 9)) === new)
    }
}
