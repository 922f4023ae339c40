import ArgumentParser
import Flow

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
