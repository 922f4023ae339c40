import OVSDB

/// What a command does with its arguments (the words after its name):
/// returns the text to print, or throws the error to print.
public typealias UnixctlHandler = @Sendable (_ arguments: [String]) throws(UnixctlError) -> String

/// One control command (`unixctl_command_register`).
public struct UnixctlCommand: Sendable {
    /// `vlog/set`, `dpctl/show`, ...
    public var name: String
    /// The arguments' synopsis in `list-commands`; nil hides the command.
    public var usage: String?
    public var minimumArguments: Int
    public var maximumArguments: Int
    public var handler: UnixctlHandler

    public init(name: String, usage: String?, arguments: ClosedRange<Int>, handler: @escaping UnixctlHandler) {
        self.name = name
        self.usage = usage
        self.minimumArguments = arguments.lowerBound
        self.maximumArguments = arguments.upperBound
        self.handler = handler
    }
}

/// The commands a server answers, and their dispatch as Open vSwitch's
/// `unixctl` does it: argument counts checked against the command's limits,
/// arguments that must be strings, one command at a time (handlers never
/// run concurrently, as in Open vSwitch's single main loop).
public final class UnixctlCommands: @unchecked Sendable {
    private let lock = UnixctlLock()
    /// Held while a handler runs: commands run one at a time.
    private let execution = UnixctlLock()
    private var commands: [String: UnixctlCommand] = [:]
    /// `version`'s answer, e.g. `ovs-vswitchd (svs) 0.1.0`.
    public let version: String
    /// Counts requests and replies (`unixctl_received`, `unixctl_replied`).
    public let coverage: Coverage

    /// A registry with the built-in `list-commands` and `version`.
    public init(version: String, coverage: Coverage = .shared) {
        self.version = version
        self.coverage = coverage
        register("list-commands", usage: "", arguments: 0...0) { [unowned self] _ in self.listText() }
        register("version", usage: "", arguments: 0...0) { [version] _ in version }
    }

    /// Adds `command`; a second registration of a name replaces the first.
    public func register(_ command: UnixctlCommand) {
        lock.withLock { commands[command.name] = command }
    }

    /// Adds a command; `usage` nil hides it from `list-commands`.
    public func register(_ name: String, usage: String?, arguments: ClosedRange<Int>,
                         handler: @escaping UnixctlHandler) {
        register(UnixctlCommand(name: name, usage: usage, arguments: arguments, handler: handler))
    }

    /// The registered names, sorted.
    public var names: [String] { lock.withLock { commands.keys.sorted() } }

    public func command(named name: String) -> UnixctlCommand? { lock.withLock { commands[name] } }

    /// `list-commands`: a header, then `  NAME USAGE` sorted by name, the
    /// name padded to 23 columns (hidden commands left out).
    public func listText() -> String {
        let all = lock.withLock { commands.values.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) } }
        var out = "The available commands are:\n"
        for c in all {
            guard let usage = c.usage else { continue }
            out += "  " + c.name.padding(to: 23) + " " + usage + "\n"
        }
        return out
    }

    /// Runs `method` with `params`: the reply text (ending in a newline
    /// unless empty) or the error text.
    public func execute(method: String, params: [JSON]) -> Result<String, UnixctlError> {
        coverage.increment("unixctl_received")
        defer { coverage.increment("unixctl_replied") }
        let result: Result<String, UnixctlError>
        if let command = command(named: method) {
            if params.count < command.minimumArguments {
                result = .failure(UnixctlError("\"\(method)\" command requires at least \(command.minimumArguments) arguments"))
            } else if params.count > command.maximumArguments {
                result = .failure(UnixctlError("\"\(method)\" command takes at most \(command.maximumArguments) arguments"))
            } else {
                var arguments: [String] = []
                for p in params {
                    guard let s = p.stringValue else { break }
                    arguments.append(s)
                }
                if arguments.count < params.count {
                    result = .failure(UnixctlError("\"\(method)\" command has non-string argument"))
                } else {
                    result = execution.withLock { Result { () throws(UnixctlError) in try command.handler(arguments) } }
                }
            }
        } else {
            result = .failure(UnixctlError(
                "\"\(method)\" is not a valid command (use \"list-commands\" to see a list of valid commands)"))
        }
        return result.map(Self.terminated).mapError { UnixctlError(Self.terminated($0.message)) }
    }

    /// Open vSwitch ends a non-empty reply with a newline.
    static func terminated(_ text: String) -> String {
        text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
    }
}

extension String {
    /// Left-justified in `width` columns (`%-*s`); longer strings stay whole.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// Right-justified in `width` columns (`%*s`).
    func leftPadding(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
