import Testing
@testable import VSwitch

@Suite struct OFPortAllocatorTests {
    @Test func automaticNumbersCountUpFromOne() {
        var a = OFPortAllocator()
        #expect(a.allocate(now: 0) == 1)
        #expect(a.allocate(now: 0) == 2)
        #expect(a.allocate(now: 0) == 3)
    }

    @Test func requestIsHonouredWhenFree() {
        var a = OFPortAllocator()
        #expect(a.allocate(request: 7, now: 0) == 7)
        // The cursor is not moved by a request.
        #expect(a.allocate(now: 0) == 1)
        // A taken request falls back to the next automatic number.
        #expect(a.allocate(request: 7, now: 0) == 2)
        // Out of range requests are ignored.
        #expect(a.allocate(request: 0xff00, now: 0) == 3)
    }

    @Test func releasedNumbersAreNotReusedAtOnce() {
        // Open vSwitch: add p1, p2, delete p1, add p3 -> p3 gets 3, not 1.
        var a = OFPortAllocator()
        #expect(a.allocate(now: 0) == 1)
        #expect(a.allocate(now: 0) == 2)
        a.release(1, now: 10)
        #expect(a.allocate(now: 20) == 3)
        // But a request for a released number gets it back (restart, re-creation).
        #expect(a.allocate(request: 1, now: 30) == 1)
    }

    @Test func releasedNumbersComeBackAfterAnHour() {
        var a = OFPortAllocator()
        for _ in 1..<OFPortAllocator.automaticLimit { _ = a.allocate(now: 0) }
        #expect(a.isInUse(32767))
        a.release(5, now: 1000)
        a.release(9, now: 500)
        // Every number is taken or recently released: the least recently released.
        #expect(a.allocate(now: 2000) == 9)
        #expect(a.allocate(now: 2000) == 5)
        #expect(a.allocate(now: 2000) == nil)
        a.release(100, now: 0)
        #expect(a.allocate(now: OFPortAllocator.reuseDelay + 1) == 100)
    }
}

@Suite struct DummyPortNumberingTests {
    @Test func digitsInTheName() {
        #expect(DatapathPortNumbering.dummy(name: "p1", inUse: [0]) == 1)
        #expect(DatapathPortNumbering.dummy(name: "eth12x3", inUse: []) == 12)
        #expect(DatapathPortNumbering.dummy(name: "br0", inUse: [0]) == 100)
        #expect(DatapathPortNumbering.dummy(name: "br1", inUse: []) == 101)
    }

    @Test func noDigitsOrTakenGivesTheLowestFree() {
        #expect(DatapathPortNumbering.dummy(name: "pi", inUse: []) == nil)
        #expect(DatapathPortNumbering.dummy(name: "p3", inUse: [3]) == nil)
        #expect(DatapathPortNumbering.dummy(name: "p0", inUse: []) == nil)
        #expect(DatapathPortNumbering.dummy(name: "p99999999999", inUse: []) == nil)
    }
}
