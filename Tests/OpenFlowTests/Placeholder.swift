import Testing
@testable import OpenFlow

// Replaced by the real tests of the target.
@Test func openflowLinks() { #expect(Bool(true)) }
