import ArgumentParser
import Datapath
import Flow
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `svs dpctl`: the datapath tools (as `ovs-dpctl`). For now only the
/// hidden `normalize` helper of the differential tests.
struct DPCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpctl", abstract: "Inspect and program the datapath (as ovs-dpctl).",
        subcommands: [DPCtlRun.self, Normalize.self], defaultSubcommand: DPCtlRun.self)
}

/// `svs dpctl normalize`: reads lines `KEY<TAB>ACTIONS` from stdin and prints,
/// for each, `KEY, actions:ACTIONS` as the userspace datapath would list the
/// flow after `dpctl/add-flow KEY ACTIONS` (parse, store, format), or
/// `error: MESSAGE` when svs refuses it.
struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize", abstract: "Parse datapath flows from stdin and print them as dump-flows would.",
        shouldDisplay: false)

    @Option(name: .customLong("vlan-limit"), help: "Open vSwitch's other_config:vlan-limit (0: no limit).")
    var vlanLimit: Int = 1

    func run() throws {
        var out = TextBuffer(capacity: 1 << 16)
        while let line = readLine(strippingNewline: true) {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let keyText = String(parts[0])
            let actionText = parts.count > 1 ? String(parts[1]) : "drop"
            do {
                let (key, mask) = try DatapathKeyAttributes.parseFlow(keyText, vlanLimit: vlanLimit)
                let actions = try DatapathActionText.parse(actionText)
                out.append(DatapathKeyAttributes.formatted(key: key, mask: mask, vlanLimit: vlanLimit))
                out.append(", actions:")
                DatapathActionText.format(actions, into: &out)
            } catch {
                out.append("error: ")
                out.append("\(error)")
            }
            out.append(byte: 0x0a)
        }
        out.bytes.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = write(1, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}
