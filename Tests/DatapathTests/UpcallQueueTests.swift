import Datapath
import Flow
import Testing

/// The upcall queue keeps one bounded queue per input port.
struct UpcallQueueTests {
    func misses(from port: UInt32, count: Int, tag: UInt8 = 0) -> [DatapathUpcall] {
        (0..<count).map { i in
            DatapathUpcall(kind: .miss, packet: [tag, UInt8(truncatingIfNeeded: i)], key: FlowKey(),
                           metadata: PacketMetadata(inPort: DatapathPort(port)))
        }
    }

    /// A port that floods misses fills its own queue; another port's miss
    /// still gets through, and handlers see the ports in turn.
    @Test func aFloodingPortDoesNotStarveTheOthers() {
        let queue = UpcallQueue(capacity: 8)
        var flood = misses(from: 1, count: 100, tag: 1)
        #expect(queue.enqueue(&flood) == 8)          // 92 lost on port 1 only
        var quiet = misses(from: 2, count: 1, tag: 2)
        #expect(queue.enqueue(&quiet) == 1)
        #expect(queue.count == 9 && queue.count(from: DatapathPort(1)) == 8)
        let first = queue.dequeue(maxCount: 2)
        #expect(first.map(\.metadata.inPort.rawValue).sorted() == [1, 2])
        let rest = queue.dequeue()
        #expect(rest.count == 7 && rest.allSatisfy { $0.metadata.inPort == DatapathPort(1) })
        // Each port's upcalls stay in arrival order.
        #expect((first.filter { $0.packet[0] == 1 } + rest).map { $0.packet[1] } == Array(0..<8))
        #expect(queue.count == 0 && queue.dequeue().isEmpty)
    }

    @Test func roundRobinOverManyPorts() {
        let queue = UpcallQueue(capacity: 100)
        for port in 1...4 {
            var batch = misses(from: UInt32(port), count: 3)
            queue.enqueue(&batch)
        }
        let order = queue.dequeue().map(\.metadata.inPort.rawValue)
        #expect(order == [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])
    }
}
