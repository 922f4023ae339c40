import Testing
@testable import OVSDBClient

@Test func ovsdbclientLinks() { #expect(Bool(true)) }
