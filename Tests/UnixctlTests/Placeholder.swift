import Testing
@testable import Unixctl

@Test func unixctlLinks() { #expect(Bool(true)) }
