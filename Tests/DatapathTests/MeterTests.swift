import Datapath
import Flow
import Testing

// The datapath's meters: token buckets per band, refilled at the band's
// rate up to its burst; a packet a band cannot pay for is dropped by the
// highest-rate band it exceeds, and counted.

@Suite struct DatapathMeterTests {
    @Test func packetRateBurstAndRefill() throws {
        let meters = DatapathMeters()
        // 10 packets/s, burst 5: the bucket starts full.
        try meters.set(MeterID(0), DatapathMeterConfig(kilobits: false, bands: [DatapathMeterBand(rate: 10, burst: 5)]), now: 1000)
        var passed = 0
        for _ in 0..<20 where meters.admit(MeterID(0), size: 100, now: 1000) { passed += 1 }
        #expect(passed == 5)
        // 300 ms later 3 packets' worth came back.
        passed = 0
        for _ in 0..<20 where meters.admit(MeterID(0), size: 100, now: 1300) { passed += 1 }
        #expect(passed == 3)
        // The bucket never holds more than the burst.
        passed = 0
        for _ in 0..<20 where meters.admit(MeterID(0), size: 100, now: 100_000) { passed += 1 }
        #expect(passed == 5)
        let s = try #require(meters.stats(MeterID(0)))
        #expect(s.packets == 60)
        #expect(s.bytes == 6000)
        #expect(s.bands == [FlowStats(packets: 47, bytes: 4700)])
        #expect(s.usedMilliseconds == 100_000)
    }

    @Test func kilobitRateCountsBits() throws {
        let meters = DatapathMeters()
        // 1000 kbit/s = 1000 bits/ms, burst 8 kbit = 8000 bits = 10 packets of 100 bytes.
        try meters.set(MeterID(3), DatapathMeterConfig(kilobits: true, bands: [DatapathMeterBand(rate: 1000, burst: 8)]), now: 0)
        var passed = 0
        for _ in 0..<30 where meters.admit(MeterID(3), size: 100, now: 0) { passed += 1 }
        #expect(passed == 10)
        // 4 ms: 4000 bits, 5 packets.
        passed = 0
        for _ in 0..<30 where meters.admit(MeterID(3), size: 100, now: 4) { passed += 1 }
        #expect(passed == 5)
        // No burst given: the bucket holds one second at the rate (the rate in kbit).
        try meters.set(MeterID(4), DatapathMeterConfig(kilobits: true, bands: [DatapathMeterBand(rate: 8, burst: 0)]), now: 0)
        passed = 0
        for _ in 0..<30 where meters.admit(MeterID(4), size: 100, now: 0) { passed += 1 }
        #expect(passed == 10)
    }

    @Test func highestRateExceededBandDrops() throws {
        let meters = DatapathMeters()
        try meters.set(MeterID(1), DatapathMeterConfig(kilobits: false, bands: [
            DatapathMeterBand(rate: 5, burst: 2), DatapathMeterBand(rate: 50, burst: 4),
        ]), now: 0)
        var passed = 0
        for _ in 0..<10 where meters.admit(MeterID(1), size: 60, now: 0) { passed += 1 }
        #expect(passed == 2)
        let s = try #require(meters.stats(MeterID(1)))
        // Packets 3 and 4 exceed only the slow band; 5 to 10 exceed both and
        // go to the faster one.
        #expect(s.bands == [FlowStats(packets: 2, bytes: 120), FlowStats(packets: 6, bytes: 360)])
    }

    @Test func badConfigurationsAndMissingMeters() throws {
        let meters = DatapathMeters()
        #expect(throws: DatapathMeterError.zeroRate) {
            try meters.set(MeterID(1), DatapathMeterConfig(kilobits: true, bands: [DatapathMeterBand(rate: 0, burst: 1)]))
        }
        #expect(throws: DatapathMeterError.idOutOfRange) {
            try meters.set(MeterID(DatapathMeters.maximumMeters), DatapathMeterConfig(kilobits: true, bands: []))
        }
        #expect(throws: DatapathMeterError.tooManyBands) {
            try meters.set(MeterID(1), DatapathMeterConfig(kilobits: true, bands: Array(repeating: DatapathMeterBand(rate: 1, burst: 1), count: 9)))
        }
        // A meter that does not exist lets everything through.
        #expect(meters.admit(MeterID(9), size: 1500))
        try meters.set(MeterID(2), DatapathMeterConfig(kilobits: false, bands: [DatapathMeterBand(rate: 1, burst: 1)]), now: 0)
        #expect(meters.admit(MeterID(2), size: 1, now: 0))
        #expect(!meters.admit(MeterID(2), size: 1, now: 0))
        #expect(meters.delete(MeterID(2))?.packets == 2)
        #expect(meters.stats(MeterID(2)) == nil)
        #expect(meters.admit(MeterID(2), size: 1, now: 0))
    }

    @Test func executorDropsWhatTheSinkMeters() throws {
        struct MeteringSink: ActionSink {
            var meters: DatapathMeters
            var sent = 0
            var dropped: [DropReason] = []
            let pool: PacketPool
            mutating func output(_ packet: consuming PacketBuffer, to port: DatapathPort) { sent += 1; pool.recycle(packet) }
            mutating func userspace(_ packet: consuming PacketBuffer, action: UserspaceAction) { pool.recycle(packet) }
            mutating func recirculate(_ packet: consuming PacketBuffer, id: UInt32) { pool.recycle(packet) }
            mutating func drop(_ packet: consuming PacketBuffer, reason: DropReason) { dropped.append(reason); pool.recycle(packet) }
            mutating func meter(_ id: MeterID, size: Int) -> Bool { meters.admit(id, size: size, now: 0) }
        }
        let pool = PacketPool(capacity: 8, frameCapacity: 2048, headroom: 64)
        let meters = DatapathMeters()
        try meters.set(MeterID(0), DatapathMeterConfig(kilobits: false, bands: [DatapathMeterBand(rate: 1, burst: 3)]), now: 0)
        var sink = MeteringSink(meters: meters, pool: pool)
        var executor = ActionExecutor(seed: 1)
        for _ in 0..<5 {
            executor.execute([.meter(MeterID(0)), .output(DatapathPort(1))], on: pool.allocate(copying: [UInt8](repeating: 0, count: 60)),
                             key: FlowKey(), pool: pool, sink: &sink)
        }
        #expect(sink.sent == 3)
        #expect(sink.dropped == [.meter, .meter])
    }
}
