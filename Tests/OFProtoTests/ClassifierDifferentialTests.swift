import Flow
import Foundation
import OFProto
import Testing

/// The classifier's wildcards against Open vSwitch's: the same rules
/// (`actions=drop`, so translation adds nothing) loaded into a real
/// `ovs-vswitchd` and into a `Classifier`; for each packet, the `Megaflow:`
/// line of `ofproto/trace` must equal the classifier's wildcards plus the
/// fields translation always un-wildcards (recirc_id, packet_type, in_port,
/// dl_type, nw_frag for IP).
@Suite struct ClassifierDifferentialTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func address(_ rng: inout ClassifierRNG) -> String {
        // 10.0-7.0-7.x: rules and packets share prefixes.
        "10.\(Int.random(in: 0...7, using: &rng)).\(Int.random(in: 0...7, using: &rng)).\(Int.random(in: 0...255, using: &rng))"
    }

    static func ruleText(_ rng: inout ClassifierRNG) -> String {
        var parts: [String] = []
        if Bool.random(using: &rng) { parts.append("in_port=\(Int.random(in: 1...3, using: &rng))") }
        let proto = ["ip", "tcp", "udp", "arp", "tcp"].randomElement(using: &rng)!
        parts.append(proto)
        let src = proto == "arp" ? "arp_spa" : "nw_src", dst = proto == "arp" ? "arp_tpa" : "nw_dst"
        for name in [src, dst] where Int.random(in: 0..<3, using: &rng) > 0 {
            parts.append("\(name)=\(address(&rng))/\([16, 18, 20, 24, 28, 32].randomElement(using: &rng)!)")
        }
        if proto == "tcp" || proto == "udp" {
            if Bool.random(using: &rng) {
                parts.append("tp_dst=\([22, 80, 443, 8080].randomElement(using: &rng)!)")
            } else if Bool.random(using: &rng) {
                parts.append("tp_src=0x\(String(Int.random(in: 0...0xffff, using: &rng) & 0xff00, radix: 16))/0xff00")
            }
        }
        return parts.joined(separator: ",")
    }

    static func packetText(_ rng: inout ClassifierRNG) -> String {
        let port = Int.random(in: 1...3, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return "in_port=\(port),arp,arp_spa=\(address(&rng)),arp_tpa=\(address(&rng))"
        // (ofproto/trace takes udp_src/udp_dst for UDP: tp_src means TCP's.)
        case 1: return "in_port=\(port),udp,nw_src=\(address(&rng)),nw_dst=\(address(&rng)),udp_src=\(Int.random(in: 1...65535, using: &rng)),udp_dst=\([22, 53, 80, 443].randomElement(using: &rng)!)"
        default: return "in_port=\(port),tcp,nw_src=\(address(&rng)),nw_dst=\(address(&rng)),tp_src=\(Int.random(in: 1...65535, using: &rng)),tp_dst=\([22, 80, 443, 8080].randomElement(using: &rng)!)"
        }
    }

    /// (SVS_DEBUG_DIFF=1 prints every pair of megaflows.)
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ovs-vswitchd")),
          arguments: [UInt64(0xd1ff), 0x5eed])
    func megaflowsMatchOpenVSwitch(seed: UInt64) throws {
        var rng = ClassifierRNG(state: seed)
        let classifier = Classifier()
        let version = ClassifierVersion(rawValue: 1)
        var texts: [String] = []
        var seen = Set<Match>()
        // Unique priorities: which of two equal-priority overlapping rules
        // wins is not specified, and may differ from OVS.
        var priorities = Array(1...400).shuffled(using: &rng)
        while texts.count < 300 {
            let text = Self.ruleText(&rng)
            let match = try Match(parsing: text).normalized()
            guard seen.insert(match).inserted else { continue }
            let priority = priorities.removeLast()
            classifier.insert(ClassifierRule(match: match, priority: priority), version: version)
            texts.append("priority=\(priority),\(text),actions=drop")
        }
        classifier.insert(ClassifierRule(match: .catchAll, priority: 0), version: version)
        texts.append("priority=0,actions=drop")
        let packets = (0..<300).map { _ in Self.packetText(&rng) }

        let dir = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask,
                                              appropriateFor: URL(fileURLWithPath: "/tmp"), create: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try (texts.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("flows.txt"), atomically: true, encoding: .utf8)
        try (packets.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("packets.txt"), atomically: true, encoding: .utf8)
        let script = """
            set -e
            . '\(Self.repository.path)/tests/lib/ovs.sh'
            ovs_start svsC-classifier >/dev/null 2>&1
            ovs-vsctl --timeout=10 add-br br0 -- set bridge br0 datapath_type=dummy
            for p in 1 2 3; do ovs-vsctl --timeout=10 add-port br0 p$p -- set interface p$p type=dummy ofport_request=$p; done
            ovs-ofctl add-flows br0 '\(dir.path)/flows.txt'
            while read -r f; do ovs-appctl ofproto/trace br0 "$f" | grep '^Megaflow:' || echo "Megaflow: ? $f"; done < '\(dir.path)/packets.txt'
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["600", "/bin/bash", "-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("Megaflow: ") }
        try #require(lines.count == packets.count)
        let untraced = lines.filter { $0.hasPrefix("Megaflow: ?") }
        try #require(untraced.isEmpty, "no megaflow for \(untraced.count) packets: \(untraced.prefix(3))")

        var mismatches: [String] = []
        for (packet, line) in zip(packets, lines) {
            let key = try Match(parsing: packet).key
            var wildcards = FlowMask.catchAll
            _ = classifier.lookup(key, version: version, wildcards: &wildcards)
            // What translation always un-wildcards.
            let isIP = key[.ethType] == 0x0800
            let base = try Match(parsing: "recirc_id=0,eth,in_port=1,dl_type=0x\(String(key[.ethType], radix: 16))"
                                    + (isIP ? ",nw_frag=no" : "")).mask
            let ours = wildcards.union(base)
            let theirs = try Match(parsing: String(line.dropFirst("Megaflow: ".count))).mask
            if ProcessInfo.processInfo.environment["SVS_DEBUG_DIFF"] != nil {
                print("DIFF \(packet)\n  ovs: \(line)\n  svs: \(Match(key: key, mask: ours).formatted())")
            }
            if ours != theirs {
                let shown = Match(key: key, mask: ours).formatted()
                mismatches.append("\(packet)\n  ovs: \(line.dropFirst(10))\n  svs: \(shown)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(packets.count) differ:\n\(mismatches.prefix(5).joined(separator: "\n"))")
    }
}
