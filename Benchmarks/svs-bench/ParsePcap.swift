import ArgumentParser
import Foundation
import Wire

/// `svs-bench parse-pcap`: `svs ofctl parse-pcap` against the real
/// `ovs-ofctl parse-pcap` on the same capture, whole-process wall time.
struct ParsePcapBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-pcap",
        abstract: "Time svs ofctl parse-pcap against ovs-ofctl parse-pcap on a mixed capture.")

    @Option(help: "Packets in the capture.") var packets: Int = 200_000
    @Option(help: "Runs of each tool; the fastest counts.") var runs: Int = 3
    @Option(help: "The svs binary (default: next to svs-bench).") var svs: String?
    @Option(help: "The ovs-ofctl binary.") var ovsOfctl: String = "/usr/bin/ovs-ofctl"
    @Option(help: "Write the capture here and keep it (default: a temporary file).") var capture: String?

    func run() throws {
        let file = capture ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("svs-bench-\(getpid()).pcap").path
        defer { if capture == nil { try? FileManager.default.removeItem(atPath: file) } }
        try Data(Self.capture(packets: packets)).write(to: URL(fileURLWithPath: file))

        var failed = false
        for (tool, command) in [("svs", [svs ?? Self.siblingSVS(), "ofctl", "parse-pcap", file]),
                                ("ovs", [ovsOfctl, "parse-pcap", file])] {
            var best: Duration?
            for _ in 0..<max(1, runs) {
                let (elapsed, status, error) = try Self.time(command)
                guard status == 0 else {
                    FileHandle.standardError.write(Data(
                        "svs-bench: \(command.joined(separator: " ")) exited \(status): \(error)\n".utf8))
                    failed = true
                    best = nil
                    break
                }
                best = min(best ?? elapsed, elapsed)
            }
            if let best {
                report("parse_pcap.\(tool).ns_per_packet", best.nanoseconds / Double(packets), "ns")
                report("parse_pcap.\(tool).packets_per_second", Double(packets) * 1e9 / best.nanoseconds, "pps")
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// The `svs` executable built beside this one.
    static func siblingSVS() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("svs").path
    }

    /// Runs `command` with output to /dev/null; wall time, exit status, stderr's tail.
    static func time(_ command: [String]) throws -> (Duration, Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let elapsed = clock.now - start
        let text = String(decoding: stderr.suffix(400), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (elapsed, process.terminationStatus, text)
    }

    /// A capture of `packets` frames cycling through six kinds, with addresses
    /// and ports varying by index and sizes between 60 and 150 bytes.
    static func capture(packets: Int) -> [UInt8] {
        var writer = PcapWriter()
        for i in 0..<packets {
            let n = UInt32(truncatingIfNeeded: i)
            let host = 0x0a00_0000 | (n & 0xffff)
            let port = UInt16(truncatingIfNeeded: 1024 + i % 50_000)
            let size = 60 + i % 91
            let frame: [UInt8]
            switch i % 6 {
            case 0: frame = Frames.ipv4TCP(size: size, src: host, dst: 0x0a01_0001, sport: port, dport: 80)
            case 1: frame = Frames.ipv6UDP(size: size, src: n, dst: 2, sport: port, dport: 53)
            case 2: frame = Frames.ipv4TCP(size: size, vlan: UInt16(i % 4094 + 1), src: host, dst: 0x0a01_0002,
                                            sport: 443, dport: port)
            case 3: frame = Frames.ipv4UDP(size: size, src: host, dst: 0x0a01_0003, sport: port, dport: 4789)
            case 4: frame = Frames.arp(size: 60, senderIP: host, targetIP: 0x0a01_0004)
            default: frame = Frames.ipv4ICMP(size: size, src: host, dst: 0x0a01_0005, sequence: port)
            }
            writer.write(CapturedPacket(seconds: 1_700_000_000 + n / 1000, nanoseconds: n % 1000 * 1000, data: frame))
        }
        return writer.bytes
    }
}
