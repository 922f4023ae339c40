import ArgumentParser
import DPIF
import NetDevices
#if canImport(Glibc)
import Glibc
#endif

/// `svs dpctl COMMAND [ARG...]`: the `ovs-dpctl` commands.
///
/// Until `svs vswitchd` serves them over its control socket, the commands
/// run on datapaths inside this process: `--batch` reads one command a line
/// from standard input (quoted as in a shell) and runs them in order on the
/// same datapaths, printing what `ovs-dpctl` prints.
struct DPCtlRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run dpctl commands (add-dp, show, add-flow, dump-flows...).",
        shouldDisplay: false)

    @Flag(name: .long, help: "Read commands from standard input, one a line.")
    var batch = false

    @Option(name: .long, help: .hidden)
    var mark: String?

    @Argument(parsing: .captureForPassthrough, help: "COMMAND [ARG...]")
    var arguments: [String] = []

    func run() throws {
        let control = DatapathControl(registry: DatapathRegistry(portTypes: .netDevices, localType: .dummyInternal))
        var failures = 0
        var commands: [[String]] = arguments.isEmpty ? [] : [arguments]
        if batch {
            while let line = readLine() {
                let words = ShellWords.split(line)
                if words.isEmpty || words[0].hasPrefix("#") { continue }
                commands.append(words)
            }
        }
        guard !commands.isEmpty else { throw ValidationError("missing command; try: svs dpctl --batch < commands") }
        for command in commands {
            var status = 0
            do {
                print(try control.run(command), terminator: "")
            } catch {
                printError("svs dpctl: \(error)")
                failures += 1
                status = 2
            }
            // Tests split the output per command on this line; errors too.
            if let mark {
                print("\(mark) \(status)")
                printError(mark)
            }
        }
        if failures > 0 { throw ExitCode(2) }
    }
}

/// Splits a command line into words, honouring single and double quotes
/// and backslash escapes (enough for dpctl's flow and action strings).
enum ShellWords {
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in line {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" && quote != "'" { escaped = true; inWord = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" { quote = c; inWord = true; continue }
            if c == " " || c == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        bytes.withUnsafeMutableBytes { p in _ = Glibc.write(2, p.baseAddress, p.count) }
    }
}
