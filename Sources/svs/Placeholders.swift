import ArgumentParser

/// Thrown by subcommands whose issue has not landed yet: a clear error, exit 1.
struct NotYetImplemented: Error, CustomStringConvertible {
    var what: String
    var description: String { "svs: \(what) is not implemented yet" }
}

struct VSCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vsctl", abstract: "Configure the switch database (as ovs-vsctl).")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { throw NotYetImplemented(what: "vsctl") }
}
