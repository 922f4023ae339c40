import DPIF
import Unixctl

/// The `dpctl/...` control commands of `ovs-vswitchd`, with Open vSwitch's
/// usage texts and argument limits (options count against the limits, as
/// in Open vSwitch), over `DatapathControl`.
enum VSwitchdDpctlCommands {
    /// name, usage, minimum and maximum arguments (`lib/dpctl.c`).
    static let table: [(String, String, Int, Int)] = [
        ("add-dp", "dp [iface...]", 1, Int(Int32.max)),
        ("del-dp", "dp", 1, 1),
        ("add-if", "dp iface...", 2, Int(Int32.max)),
        ("del-if", "dp iface...", 2, Int(Int32.max)),
        ("dump-dps", "", 0, 0),
        ("show", "[-s] [dp...]", 0, Int(Int32.max)),
        ("dump-flows", "[-m] [--names] [dp] [filter=..] [type=..] [pmd=..]", 0, 6),
        ("add-flow", "[dp] flow actions", 2, 3),
        ("mod-flow", "[dp] flow actions", 2, 3),
        ("get-flow", "[dp] ufid", 1, 2),
        ("del-flow", "[dp] flow", 1, 2),
        ("del-flows", "[dp] [file]", 0, 2),
    ]

    /// The program name Open vSwitch's dpctl errors begin with.
    static let programName = "ovs-vswitchd"

    static func register(on commands: UnixctlCommands, datapaths: VSwitchdDatapaths) {
        commands.register("dpif-netdev/pmd-stats-show", usage: "[-pmd core] [dp]", arguments: 0...3) { arguments throws(UnixctlError) in
            try datapaths.pmdStatsText(arguments)
        }
        commands.register("dpif-netdev/pmd-rxq-show", usage: "[-pmd core] [-secs secs] [dp]", arguments: 0...5) { arguments throws(UnixctlError) in
            try datapaths.pmdRxqText(arguments)
        }
        commands.register("dpif-netdev/pmd-stats-clear", usage: "[-pmd core] [dp]", arguments: 0...3) { arguments throws(UnixctlError) in
            try datapaths.clearPMDStats(arguments)
            return ""
        }
        for (name, usage, minimum, maximum) in table {
            commands.register("dpctl/\(name)", usage: usage, arguments: minimum...maximum) { arguments throws(UnixctlError) in
                let (options, rest) = try parseOptions(arguments)
                switch datapaths.dpctl([name] + options + rest) {
                case .success(let text): return text
                case .failure(let error): throw UnixctlError("\(programName): \(error)\n")
                }
            }
        }
    }

    /// Leading options as `dpctl_unixctl_handler` reads them (`-s`, `-m`,
    /// bundles like `-ms`, `--statistics`, `--more`, `--clear`,
    /// `--may-create`, `--names`, `--no-names`), in the spelling
    /// `DatapathControl` takes; the rest from the first non-option on.
    static func parseOptions(_ arguments: [String]) throws(UnixctlError) -> ([String], [String]) {
        var options: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") {
                switch a {
                case "--statistics": options.append("-s")
                case "--more": options.append("-m")
                case "--clear", "--may-create": options.append(a)
                case "--names", "--no-names": break
                default: throw UnixctlError("Unrecognized option \(a)")
                }
            } else if a.hasPrefix("-"), a.count > 1 {
                for c in a.dropFirst() {
                    switch c {
                    case "m": options.append("-m")
                    case "s": options.append("-s")
                    default: throw UnixctlError("Unrecognized option -\(c)")
                    }
                }
            } else {
                break
            }
            i += 1
        }
        return (options, Array(arguments[i...]))
    }
}
