import ArgumentParser

/// Thrown by subcommands whose issue has not landed yet: a clear error, exit 1.
struct NotYetImplemented: Error, CustomStringConvertible {
    var what: String
    var description: String { "svs: \(what) is not implemented yet" }
}

struct VSwitchd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vswitchd", abstract: "Run the switch daemon with its embedded database.")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { throw NotYetImplemented(what: "vswitchd") }
}

struct AppCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appctl", abstract: "Send a command to a running daemon (as ovs-appctl).")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { throw NotYetImplemented(what: "appctl") }
}
