import Testing
@testable import VSwitch

// Replaced by the real tests of the target.
@Test func vswitchLinks() { #expect(Bool(true)) }
