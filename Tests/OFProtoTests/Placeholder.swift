import Testing
@testable import OFProto

@Test func ofprotoLinks() { #expect(Bool(true)) }
