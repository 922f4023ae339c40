import Testing
import Flow
import Wire

/// SplitMix64: a small seeded generator so property tests are repeatable.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

func randomKey(_ g: inout SplitMix) -> FlowKey {
    FlowKey(words: (0..<FlowKey.wordCount).map { _ in g.next() })
}

/// A mask of whole fields and random bit runs, sparse like real megaflows.
func randomMask(_ g: inout SplitMix) -> FlowMask {
    var m = FlowMask.catchAll
    for i in 0..<FlowKey.wordCount where g.next() % 4 == 0 {
        m.words[i] = g.next() % 2 == 0 ? .max : g.next()
    }
    return m
}

@Test func keysEqualUnderMaskHashEqual() {
    var g = SplitMix(state: 1)
    for _ in 0..<2000 {
        let mask = randomMask(&g)
        let a = randomKey(&g)
        // b agrees with a on every bit the mask keeps; random elsewhere.
        var b = randomKey(&g)
        for i in 0..<FlowKey.wordCount {
            b.words[i] = (a.words[i] & mask.words[i]) | (b.words[i] & ~mask.words[i])
        }
        #expect(a.equals(b, under: mask))
        #expect(a.maskedHash(mask) == b.maskedHash(mask))
        #expect(a.maskedHash(mask, basis: 7) == b.maskedHash(mask, basis: 7))
        #expect(Match(key: a, mask: mask) == Match(key: b, mask: mask))
    }
}

@Test func hashesSeparateDifferentKeys() {
    var g = SplitMix(state: 2)
    var seen = Set<UInt64>()
    let base = randomKey(&g)
    // Single-bit changes anywhere must change the full hash.
    for w in 0..<FlowKey.wordCount {
        for bit in stride(from: 0, to: 64, by: 7) {
            var k = base
            k.words[w] ^= 1 << UInt64(bit)
            seen.insert(k.fullHash)
        }
    }
    #expect(seen.count == FlowKey.wordCount * 10)
    #expect(!seen.contains(base.fullHash))
}

@Test func fullHashIsMaskedHashWithExactMaskAndStable() {
    var g = SplitMix(state: 3)
    let k = randomKey(&g)
    #expect(k.fullHash == k.maskedHash(.exact))
    #expect(FlowKey().maskedHash(.catchAll) == randomKey(&g).maskedHash(.catchAll))
    // Hashes are part of nothing persistent, but must not vary between runs.
    #expect(FlowKey().fullHash == FlowKey().fullHash)
    #expect(FlowKey().fullHash == 14_052_270_361_402_928_366)
}

@Test func matchKeepsItsKeyNormalised() {
    var g = SplitMix(state: 4)
    for _ in 0..<200 {
        let key = randomKey(&g)
        let mask = randomMask(&g)
        var m = Match(key: key, mask: mask)
        #expect(m.key == key.masked(by: mask))
        #expect(m.matches(key))
        m.set(.transportDestination, to: 0xffff_1234, mask: 0x00ff)
        #expect(m.key[.transportDestination] == 0x34)
        #expect(m.mask[.transportDestination] == 0xff)
        m.update { k, _ in k.words[3] = .max }
        #expect(m.key.words[3] == m.mask.words[3])
    }
}

@Test func maskAlgebra() {
    var g = SplitMix(state: 5)
    let a = randomMask(&g), b = randomMask(&g)
    #expect(a.intersection(b).hasExtra(comparedTo: a) == false)
    #expect(a.union(b).hasExtra(comparedTo: a) == b.hasExtra(comparedTo: a))
    #expect(FlowMask.catchAll.isCatchAll && !FlowMask.exact.isCatchAll)
    var m = FlowMask.catchAll
    m.setExact(.ipv4Source)
    #expect(m.words[FlowField.ipv4Source.word] == 0xffff_ffff_0000_0000)
    #expect(m.isSignificant(.ipv4Source) && !m.isSignificant(.ipv4Destination))
    m.wildcard(.ipv4Source)
    #expect(m.isCatchAll)
}

@Test func fieldsDoNotOverlap() {
    // Setting every scalar field to all ones must fill distinct bits.
    let fields: [FlowField] = [
        .tunnelIPv4Destination, .tunnelIPv4Source, .tunnelID, .tunnelFlags, .tunnelTOS, .tunnelTTL,
        .tunnelTransportSource, .tunnelTransportDestination, .tunnelGBPID, .tunnelGBPFlags,
        .tunnelERSPANVersion, .tunnelERSPANIndex, .tunnelERSPANDirection, .tunnelERSPANHardwareID,
        .tunnelGTPUFlags, .tunnelGTPUMessageType, .tunnelOptionsLength, .metadata, .skbPriority,
        .packetMark, .dpHash, .inPort, .recirculationID, .ctState, .ctNetworkProtocol, .ctZone, .ctMark,
        .packetType, .conjunctionID, .actionSetOutput, .ethDestination, .ethType, .ethSource, .vlan0,
        .vlan1, .mplsLSE0, .mplsLSE1, .mplsLSE2, .ipv4Source, .ipv4Destination, .ctIPv4Source,
        .ctIPv4Destination, .ipv6Label, .networkFragment, .networkTOS, .networkTTL, .networkProtocol,
        .arpSHA, .tcpFlags, .arpTHA, .nshFlags, .nshTTL, .nshMDType, .nshNextProtocol, .nshPathHeader,
        .transportSource, .transportDestination, .ctTransportSource, .ctTransportDestination, .igmpGroup,
    ] + (0..<16).map { FlowField.register($0) } + (0..<4).map { FlowField.nshContext($0) }
    var seen = FlowMask.catchAll
    for f in fields {
        #expect(seen.words[f.word] & f.wordMask == 0, "overlap at \(f)")
        seen.words[f.word] |= f.wordMask
    }
}

@Test func typedAccessorsRoundTrip() {
    var k = FlowKey()
    k.inPort = DatapathPort(rawValue: 0x1_0005)
    #expect(k.openFlowInPort == OFPort(rawValue: 5))
    k.ethSource = EthernetAddress(1, 2, 3, 4, 5, 6)
    k.ethType = .ipv6
    var v = k.vlans
    v[1] = FlowVLANHeader(tpid: 0x8100, tci: 0x1234)
    k.vlans = v
    #expect(k.vlans[1].vlanID == 0x234 && k.vlans[1].isPresent && k.vlans[0].tci == 0)
    k.ipv6Source = IPv6Address("2001:db8::1")!
    k.networkFragment = [.any, .later]
    k.setMPLSLSE(2, 0xdead_beef)
    k.tunnelOptions = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    #expect(k.ethSource.description == "01:02:03:04:05:06")
    #expect(k.ethType == .ipv6)
    #expect(k.ipv6Source.description == "2001:db8::1")
    #expect(k.networkFragment.contains(.later))
    #expect(k.mplsLSE(2) == 0xdead_beef && k.mplsLSE(1) == 0)
    #expect(k.tunnelOptions == [1, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(OFPort.local.description == "LOCAL" && OFPort(rawValue: 7).description == "7")
}

@Test func hashSpreadsStructuredKeys() {
    // Keys that differ only in small, sequential field values (ports,
    // addresses) must still fill a table's buckets like random values do.
    var base = FlowKey()
    base.ethType = .ipv4
    base.networkProtocol = .tcp
    for field in [FlowField.transportSource, .ipv4Destination, .inPort, .vlan0TCI] {
        var buckets = Set<UInt64>()
        for v in 0..<65_536 {
            var k = base
            k[field] = UInt64(v)
            buckets.insert(k.fullHash & 0xffff)
        }
        // 65536 balls in 65536 bins fill about 1 - 1/e of them (41427).
        #expect(buckets.count > 40_500, "field \(field): \(buckets.count) buckets")
    }
}
