import Foundation
import Synchronization
import Testing
import Datapath
import DPIF
import Flow
@testable import NetDevices

/// Poll threads on their own OS threads, over in-memory (`dummy`) ports:
/// flows put and deleted while they run, exact counters read while they
/// run, ports added and removed under traffic, the pmd-stats text, and
/// sleeping when idle. No root needed.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct PollThreadTests {
    /// The dummy ports a registry made, by name.
    final class Made: @unchecked Sendable {
        let ports = Mutex<[String: DummyPort]>([:])
        subscript(name: String) -> DummyPort { ports.withLock { $0[name]! } }
    }

    static func datapath(threads: Int) throws -> (LocalDatapath, Made) {
        let made = Made()
        var registry = PortTypeRegistry.netDevices
        registry.register(.dummy) { (configuration, number) throws(PortError) in
            let p = try DummyPort(configuration: configuration, number: number)
            made.ports.withLock { $0[configuration.name] = p }
            return p
        }
        let dp = try LocalDatapath(name: "pt\(threads)", registry: registry, localType: .dummyInternal,
                                   pollThreadCount: threads)
        return (dp, made)
    }

    static func crossFlow(_ dp: LocalDatapath, from: UInt32, to: UInt32) throws {
        var key = FlowKey()
        key.inPort = DatapathPort(rawValue: from)
        var mask = FlowMask.catchAll
        mask.setExact(.inPort)
        try dp.putFlow(FlowPut(key: key, mask: mask, actions: [.output(DatapathPort(rawValue: to))]))
    }

    static func selector(inPort: UInt32) -> FlowSelector {
        var key = FlowKey()
        key.inPort = DatapathPort(rawValue: inPort)
        return .key(key)
    }

    /// A 60-byte frame of a local experimental EtherType, numbered `i`.
    static func frame(_ i: Int) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: 60)
        f[0] = 0x02; f[5] = 0x02; f[6] = 0x02; f[11] = 0x01
        f[12] = 0x88; f[13] = 0xb5
        f[14] = UInt8(i >> 8 & 0xff); f[15] = UInt8(i & 0xff)
        return f
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    @Test(arguments: [1, 2])
    func forwardsAndCountsWhileRunning(threads: Int) throws {
        let (dp, made) = try Self.datapath(threads: threads)
        try dp.addPort(PortConfiguration(name: "p1", type: .dummy))
        try dp.addPort(PortConfiguration(name: "p2", type: .dummy))
        dp.startPollThreads()
        defer { dp.stopPollThreads() }
        #expect(dp.pollThreadsRunning)
        try Self.crossFlow(dp, from: 1, to: 2)
        try Self.crossFlow(dp, from: 2, to: 1)
        var sent = 0
        for chunk in 0..<20 {
            sent += made["p1"].inject(contentsOf: (0..<50).map { Self.frame(chunk * 50 + $0) })
        }
        #expect(sent == 1000)
        var received: [[UInt8]] = []
        #expect(Self.eventually { received += made["p2"].drainTransmitted(); return received.count >= 1000 })
        #expect(received.count == 1000)
        #expect(received.first == Self.frame(0) && received.last == Self.frame(999))

        // Read while the threads run: asked of the threads, so exact.
        let flow = try dp.getFlow(Self.selector(inPort: 1))
        #expect(flow.counters.packets == 1000)
        #expect(flow.counters.bytes == 60_000)
        let stats = dp.statistics()
        #expect(stats.datapath.hit == 1000)
        #expect(stats.datapath.missed == 0)
        let reports = dp.pollThreadReports()
        #expect(reports.count == threads)
        #expect(reports.map(\.stats.receivedPackets).reduce(0, +) == 1000)
        // Every port is some thread's receive queue, once.
        let queues = reports.flatMap(\.receiveQueues).map(\.name).sorted()
        #expect(queues == ["p1", "p2", "pt\(threads)"])
        #expect(reports.flatMap(\.receiveQueues).first { $0.name == "p1" }?.packets == 1000)

        // The OVS text.
        let text = dp.formatPollThreadStats()
        #expect(text.components(separatedBy: "pmd thread numa_id 0 core_id ").count == threads + 1)
        let receivedLines = text.split(separator: "\n").filter { $0.hasPrefix("  packets received: ") }
        #expect(receivedLines.compactMap { Int($0.split(separator: " ").last!) }.reduce(0, +) == 1000)
        #expect(text.contains("  miss with failed upcall: 0\n"))
        let rxq = dp.formatReceiveQueues()
        #expect(rxq.hasPrefix("Displaying last 60 seconds pmd usage %\npmd thread numa_id 0 core_id 0:\n  isolated : false\n"))
        #expect(rxq.contains("  port: p1                queue-id:  0 (enabled)   pmd usage: "))

        // A deleted flow stops matching: its packets become upcalls.
        _ = try dp.deleteFlow(Self.selector(inPort: 1))
        made["p1"].inject(contentsOf: (0..<10).map { Self.frame($0) })
        var upcalls: [Upcall] = []
        #expect(Self.eventually { upcalls += dp.receiveUpcalls(maxCount: 100); return upcalls.count >= 10 })
        #expect(upcalls.count == 10)
        #expect(upcalls.allSatisfy { $0.kind == .miss && $0.key.inPort == DatapathPort(rawValue: 1) })
        #expect(made["p2"].drainTransmitted().isEmpty)
    }

    @Test func portsComeAndGoUnderTraffic() throws {
        let (dp, made) = try Self.datapath(threads: 2)
        for name in ["p1", "p2", "p3", "p4"] { try dp.addPort(PortConfiguration(name: name, type: .dummy)) }
        try Self.crossFlow(dp, from: 1, to: 2)
        try Self.crossFlow(dp, from: 3, to: 4)
        dp.startPollThreads()
        defer { dp.stopPollThreads() }
        var toTwo = 0, toFour = 0
        for round in 0..<200 {
            made["p1"].inject(Self.frame(round))
            if round < 100 { made["p3"].inject(Self.frame(round)) }
            if round == 100 {
                // Port 3 goes once its frames are in (frames a removed port
                // still holds are lost with it); its thread drops the queue
                // before this returns. Port 5 arrives and forwards at once.
                #expect(Self.eventually { made["p3"].pendingReceiveCount == 0 })
                try dp.deletePort(DatapathPort(rawValue: 3))
                try dp.addPort(PortConfiguration(name: "p5", type: .dummy))
                try Self.crossFlow(dp, from: 5, to: 4)
            }
            if round >= 100 { made["p5"].inject(Self.frame(round)) }
            if round % 20 == 0 { usleep(500) }
        }
        var two: [[UInt8]] = [], four: [[UInt8]] = []
        #expect(Self.eventually {
            two += made["p2"].drainTransmitted()
            four += made["p4"].drainTransmitted()
            return two.count >= 200 && four.count >= 200
        })
        toTwo = two.count
        toFour = four.count
        // Port 1's traffic was not disturbed; port 5 took over from port 3.
        #expect(toTwo == 200)
        #expect(two == (0..<200).map { Self.frame($0) })
        #expect(toFour == 200)
        let queues = dp.pollThreadReports().flatMap(\.receiveQueues).map(\.name).sorted()
        #expect(queues == ["p1", "p2", "p4", "p5", "pt2"])
        #expect(throws: DPIFError.self) { try dp.port(named: "p3") }
    }

    @Test func idleThreadsSleepAndPollWorksAfterStop() throws {
        let (dp, made) = try Self.datapath(threads: 1)
        try dp.addPort(PortConfiguration(name: "p1", type: .dummy))
        try dp.addPort(PortConfiguration(name: "p2", type: .dummy))
        try Self.crossFlow(dp, from: 1, to: 2)
        dp.startPollThreads()
        #expect(dp.poll() == 0)   // the threads poll, not the caller
        usleep(50_000)
        let before = dp.pollThreadReports()[0]
        usleep(500_000)
        let after = dp.pollThreadReports()[0]
        #expect(after.sleeps > before.sleeps)
        // Half a second idle costs the thread far less than half a second of CPU.
        #expect(after.cpuNanoseconds - before.cpuNanoseconds < 100_000_000)
        dp.stopPollThreads()
        #expect(!dp.pollThreadsRunning)
        made["p1"].inject(Self.frame(7))
        #expect(dp.poll() == 1)
        #expect(made["p2"].drainTransmitted() == [Self.frame(7)])
    }

    /// The thread count changes (1 -> 3 -> thread 1 only -> 0 and 1) while
    /// frames flow: nothing lost or reordered, flow counters never go back
    /// (those of removed threads are kept), every port on exactly one thread.
    @Test func threadCountChangesUnderTraffic() throws {
        let (dp, made) = try Self.datapath(threads: 1)
        for name in ["p1", "p2", "p3", "p4"] { try dp.addPort(PortConfiguration(name: name, type: .dummy)) }
        try Self.crossFlow(dp, from: 1, to: 2)
        try Self.crossFlow(dp, from: 3, to: 4)
        dp.startPollThreads()
        defer { dp.stopPollThreads() }
        var two: [[UInt8]] = [], four: [[UInt8]] = []
        let changes: [Int: [Int]] = [50: [0, 1, 2], 100: [1], 150: [0, 1]]
        for round in 0..<200 {
            made["p1"].inject(Self.frame(round))
            made["p3"].inject(Self.frame(round))
            if let ids = changes[round] {
                // Frames already queued are received by whichever thread
                // owns the queue after the change.
                dp.setPollThreads(ids: ids)
                #expect(dp.pollThreads.map(\.id) == ids)
                let queues = dp.pollThreadReports().flatMap(\.receiveQueues).map(\.name).sorted()
                #expect(queues == ["p1", "p2", "p3", "p4", "pt1"])
            }
            two += made["p2"].drainTransmitted()
            four += made["p4"].drainTransmitted()
        }
        #expect(Self.eventually {
            two += made["p2"].drainTransmitted()
            four += made["p4"].drainTransmitted()
            return two.count >= 200 && four.count >= 200
        })
        #expect(two == (0..<200).map { Self.frame($0) })
        #expect(four == (0..<200).map { Self.frame($0) })
        #expect(try dp.getFlow(Self.selector(inPort: 1)).counters.packets == 200)
        #expect(try dp.getFlow(Self.selector(inPort: 3)).counters.packets == 200)
        #expect(dp.pollThreadReports().map(\.id) == [0, 1])
        // A new flow reaches every thread, old and new.
        try Self.crossFlow(dp, from: 2, to: 1)
        made["p2"].inject(contentsOf: (0..<20).map { Self.frame($0) })
        var one: [[UInt8]] = []
        #expect(Self.eventually { one += made["p1"].drainTransmitted(); return one.count >= 20 })
        #expect(dp.statistics().datapath.missed == 0)
    }

    /// A handler waiting for upcalls wakes when one is queued, not after
    /// its timeout.
    @Test func upcallWaiterWakesOnEnqueue() throws {
        let queue = UpcallQueue(capacity: 8)
        let start = Date()
        let producer = Thread {
            usleep(20_000)
            var one = [DatapathUpcall(kind: .miss, packet: Self.frame(1), key: FlowKey(), metadata: PacketMetadata())]
            queue.enqueue(&one)
        }
        producer.start()
        queue.waitForUpcalls(timeoutMilliseconds: 2000)
        let waited = Date().timeIntervalSince(start)
        #expect(queue.count == 1)
        #expect(waited < 1.0)
    }
}
