import Testing
@testable import Wire

@Test func ethernetAddressRoundTrip() {
    let a = EthernetAddress(0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc)
    #expect(a.description == "00:1b:21:aa:bb:cc")
    #expect(EthernetAddress("00:1b:21:aa:bb:cc") == a)
    #expect(!a.isMulticast && EthernetAddress.broadcast.isMulticast)
}

@Test func ipv6TextMatchesInetNtop() {
    #expect(IPv6Address("fe80::1")?.description == "fe80::1")
    #expect(IPv6Address("::ffff:10.0.0.1")?.description == "::ffff:10.0.0.1")
    #expect(IPv6Address("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
}

@Test func pcapRoundTrip() throws {
    var w = PcapWriter()
    w.write(CapturedPacket(seconds: 7, nanoseconds: 5000, data: [1, 2, 3], originalLength: 60))
    var r = try PcapReader(bytes: w.bytes)
    let p = try r.next()
    #expect(p == CapturedPacket(seconds: 7, nanoseconds: 5000, data: [1, 2, 3], originalLength: 60))
    #expect(try r.next() == nil)
}
