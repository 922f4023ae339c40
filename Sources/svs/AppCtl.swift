import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Unixctl

/// `svs appctl [-t TARGET] [--timeout=SECS] COMMAND [ARG...]`: sends one
/// command to a running daemon, as `ovs-appctl`: the result goes to
/// standard output; a command's error to standard error, exit status 2;
/// failing to reach the daemon, exit status 1.
struct AppCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appctl", abstract: "Send a command to a running daemon (as ovs-appctl).")
    @Argument(parsing: .captureForPassthrough, help: "[-t TARGET] [--timeout=SECS] COMMAND [ARG...]")
    var arguments: [String] = []

    static let usage = """
        svs appctl, for querying and controlling a running svs (or Open vSwitch) daemon
        usage: svs appctl [TARGET] COMMAND [ARG...]
        Targets:
          -t, --target=TARGET  pidfile or socket to contact (default: ovs-vswitchd)
        Common commands:
          list-commands      List commands supported by the target
          version            Print version of the target
          vlog/list          List current logging levels
          vlog/list-pattern  List logging patterns for each destination.
          vlog/set [SPEC]    Set log levels
        Other options:
          --timeout=SECS     wait at most SECS seconds for a response
          -h, --help         Print this helpful information

        """

    func run() throws {
        var target: String?
        var timeout: Int32 = 0
        var i = 0
        func fail(_ message: String) -> Never {
            printError("svs appctl: \(message)")
            Glibc.exit(1)
        }
        while i < arguments.count, arguments[i].hasPrefix("-"), arguments[i].count > 1 {
            let a = arguments[i]
            i += 1
            var name = a
            var value: String?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq])
                value = String(a[a.index(after: eq)...])
            } else if a.hasPrefix("-t"), a.count > 2, !a.hasPrefix("--") {
                name = "-t"
                value = String(a.dropFirst(2))
            }
            func argument() -> String {
                if let value { return value }
                guard i < arguments.count else { fail("option '\(name)' requires an argument") }
                i += 1
                return arguments[i - 1]
            }
            switch name {
            case "-t", "--target":
                if target != nil { fail("-t or --target may be specified only once") }
                target = argument()
            case "-T", "--timeout":
                let text = argument()
                guard let t = Int32(text), t > 0 else { fail("value \(text) on -T or --timeout is invalid") }
                timeout = t
            case "-e", "--execute": break
            case "-h", "--help":
                print(Self.usage, terminator: "")
                return
            case "-V", "--version":
                print("svs appctl \(SVSVersion.number)")
                return
            default:
                fail("unrecognized option '\(a)'")
            }
        }
        guard i < arguments.count else { fail("at least one non-option argument is required (use --help for help)") }
        let command = arguments[i]
        let commandArguments = Array(arguments[(i + 1)...])
        let targetName = target ?? "ovs-vswitchd"

        let path: String
        do throws(UnixctlError) {
            path = try UnixctlTarget.socketPath(for: targetName)
        } catch {
            fail(error.message)
        }
        let client: UnixctlClient
        do throws(SystemError) {
            client = try UnixctlClient(path: path)
        } catch {
            fail("cannot connect to \"\(path)\" (\(error.reason))")
        }
        let result: Result<String, UnixctlError>
        do throws(UnixctlClient.Failure) {
            result = try client.transact(command, commandArguments, timeout: timeout > 0 ? timeout * 1000 : -1)
        } catch {
            if error == .timeout { fail("timeout after \(timeout) seconds") }
            fail("\(targetName): transaction error (\(error))")
        }
        switch result {
        case .success(let text):
            writeAll(1, text)
        case .failure(let error):
            writeAll(2, error.message)
            printError("svs appctl: \(targetName): server returned an error")
            throw ExitCode(2)
        }
    }

    private func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { break }
            offset += n
        }
    }
}
