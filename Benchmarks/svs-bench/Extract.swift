import ArgumentParser
import Flow

/// `svs-bench extract`: flow key extraction from one 64-byte frame, repeated
/// for a fixed time per frame kind.
struct ExtractBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract", abstract: "Time FlowKey extraction on 64-byte frames.")

    @Option(help: "Seconds to measure each frame kind.") var seconds: Double = 1.0

    static let cases: [(name: String, frame: [UInt8])] = [
        ("ipv4_tcp", Frames.ipv4TCP()),
        ("ipv6_udp", Frames.ipv6UDP()),
        ("vlan_ipv4_tcp", Frames.ipv4TCP(vlan: 100)),
    ]

    func run() {
        for (name, frame) in Self.cases {
            precondition(frame.count == 64, "\(name) is \(frame.count) bytes")
            let (packets, elapsed) = frame.withUnsafeBytes { measure(frame: $0) }
            report("extract.\(name).ns_per_packet", elapsed.nanoseconds / Double(packets), "ns")
            report("extract.\(name).packets_per_second", Double(packets) * 1e9 / elapsed.nanoseconds, "pps")
        }
    }

    /// Extracts from `frame` in rounds of 1,000 until the time is up.
    func measure(frame: UnsafeRawBufferPointer) -> (packets: Int, elapsed: Duration) {
        let clock = ContinuousClock()
        let round = 1000
        // Warm-up: caches, branch predictors, lazy globals.
        for _ in 0..<round { blackHole(FlowKey(extractingFrom: frame, inPort: 1)) }
        let budget = Duration.nanoseconds(Int64(seconds * 1e9))
        var packets = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<round {
                // Every key escapes into blackHole, so no extraction is skipped.
                blackHole(FlowKey(extractingFrom: frame, inPort: 1))
            }
            packets += round
            elapsed = clock.now - start
        } while elapsed < budget
        return (packets, elapsed)
    }
}
