import ArgumentParser
import Flow
import OFProto

/// `svs ofctl normalize-match` (hidden): reads one match per line on stdin
/// and prints it as `ovs-ofctl parse-flow` prints a flow's match: parsed,
/// normalised (fields without prerequisites dropped) and formatted; or
/// `error: MESSAGE` with Open vSwitch's wording. For differential tests.
struct NormalizeMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize-match", abstract: "Parse and print OpenFlow matches read on stdin.",
        shouldDisplay: false)

    func run() throws {
        var out = ""
        while let line = readLine(strippingNewline: true) {
            do {
                let parsed = try Match.parse(line)
                // OpenFlow cannot carry skb_priority: ovs-ofctl refuses the flow.
                if parsed.match.mask[.skbPriority] != 0 {
                    out += "error: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)\n"
                    continue
                }
                out += parsed.match.normalized().formatted(priority: parsed.priority)
                out += "\n"
            } catch {
                out += "error: \(error.message)\n"
            }
            if out.utf8.count > 1 << 16 { print(out, terminator: ""); out = "" }
        }
        print(out, terminator: "")
    }
}

/// `svs ofctl parse-flow [-O VERSION] FLOW` (hidden): prints what
/// `ovs-ofctl parse-flow` prints for an `add-flow` line: the usable
/// protocols, the chosen protocol and the flow-mod as the chosen OpenFlow
/// version carries it, or `ovs-ofctl: ERROR`. With `--batch`, reads one
/// flow per line on stdin and separates the outputs with `--` lines.
struct ParseFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-flow", abstract: "Parse and print an OpenFlow flow as ovs-ofctl parse-flow.",
        shouldDisplay: false)
    @Option(name: .customShort("O"), help: "OpenFlow version (OpenFlow10, OpenFlow13, ...).") var version: String = "OpenFlow10"
    @Flag(help: "Read flows on stdin, one per line.") var batch = false
    @Argument var flow: String?

    func run() throws {
        let versions: [String: OFVersion] = [
            "OpenFlow10": .of10, "OpenFlow11": .of11, "OpenFlow12": .of12, "OpenFlow13": .of13,
            "OpenFlow14": .of14, "OpenFlow15": .of15,
        ]
        guard let v = versions[version] else { throw ValidationError("unknown version \(version)") }
        if batch {
            var out = ""
            while let line = readLine(strippingNewline: true) {
                out += FlowModText.parseFlowOutput(line, version: v)
                out += "--\n"
                if out.utf8.count > 1 << 16 { print(out, terminator: ""); out = "" }
            }
            print(out, terminator: "")
            return
        }
        guard let flow else { throw ValidationError("'parse-flow' command requires at least 1 arguments") }
        print(FlowModText.parseFlowOutput(flow, version: v), terminator: "")
    }
}

/// `svs ofctl dump-flows-format -O VERSION` (hidden): reads `add-flow`
/// lines on stdin and prints each as `ovs-ofctl -O VERSION dump-flows` shows
/// it after `ovs-ofctl -O VERSION add-flow` on a fresh switch (zero
/// counters, duration 0s), or `error: MESSAGE`. For differential tests.
struct DumpFlowsFormat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-flows-format", abstract: "Print flows as dump-flows shows them.", shouldDisplay: false)
    @Option(name: .customShort("O"), help: "OpenFlow version (OpenFlow10, OpenFlow13, ...).") var version: String = "OpenFlow10"

    func run() throws {
        let versions: [String: OFVersion] = [
            "OpenFlow10": .of10, "OpenFlow11": .of11, "OpenFlow12": .of12, "OpenFlow13": .of13,
            "OpenFlow14": .of14, "OpenFlow15": .of15,
        ]
        guard let v = versions[version] else { throw ValidationError("unknown version \(version)") }
        var out = ""
        while let line = readLine(strippingNewline: true) {
            do {
                let flow = try FlowModText.parse(line)
                var stats = FlowStatsCounters()
                if v == .of10 { stats.idleAge = 0 }
                out += flow.dumpFlowsLine(stats, addedWith: v, dumpedWith: v) + "\n"
            } catch {
                out += "error: \(error.message)\n"
            }
        }
        print(out, terminator: "")
    }
}
