#if canImport(Glibc)
import Glibc
#endif
import Logging

/// A log level, from `off` (nothing) to `dbg` (everything), as Open vSwitch's.
public enum VLogLevel: Int, Comparable, CaseIterable, Sendable {
    case off, emer, err, warn, info, dbg

    public static func < (a: VLogLevel, b: VLogLevel) -> Bool { a.rawValue < b.rawValue }

    /// `OFF`, `EMER`, `ERR`, `WARN`, `INFO`, `DBG`.
    public var name: String { ["OFF", "EMER", "ERR", "WARN", "INFO", "DBG"][rawValue] }

    /// A level from its name, any case.
    public init?(name: String) {
        guard let l = VLogLevel.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = l
    }

    /// swift-log's level of a message → the level it logs at.
    public init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .dbg
        case .info, .notice: self = .info
        case .warning: self = .warn
        case .error: self = .err
        case .critical: self = .emer
        }
    }

    /// The lowest swift-log level that this level lets through.
    public var loggerLevel: Logger.Level {
        switch self {
        case .dbg: .trace
        case .info: .info
        case .warn: .warning
        case .err: .error
        case .emer, .off: .critical
        }
    }

    /// The syslog priority.
    var syslogPriority: Int32 {
        switch self {
        case .off, .emer: LOG_ALERT
        case .err: LOG_ERR
        case .warn: LOG_WARNING
        case .info: LOG_NOTICE
        case .dbg: LOG_DEBUG
        }
    }
}

/// Where log messages go.
public enum VLogDestination: Int, CaseIterable, Sendable {
    case syslog, console, file

    /// `syslog`, `console`, `file`.
    public var name: String { ["syslog", "console", "file"][rawValue] }

    public init?(name: String) {
        guard let d = VLogDestination.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = d
    }

    /// The line pattern each destination starts with.
    public var defaultPattern: String {
        switch self {
        case .syslog: "ovs|%05N|%c%T|%p|%m"
        case .console: "%D{%Y-%m-%dT%H:%M:%SZ}|%05N|%c%T|%p|%m"
        case .file: "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m"
        }
    }
}

/// Open vSwitch's logging (`vlog`): named modules, each with a level per
/// destination (console, syslog, file), lines formatted by a pattern per
/// destination, and the `vlog/...` control commands that change them at
/// run time. swift-log reaches it through `VLogHandler`.
public final class VLog: @unchecked Sendable {
    /// The process's logging.
    public static let shared = VLog()

    private let lock = UnixctlLock()
    private var levels: [String: [VLogLevel]] = [:]
    /// Levels a module registered later starts with (`vlog/set` with no
    /// module changes them too).
    private var defaultLevels: [VLogLevel] = Array(repeating: .info, count: VLogDestination.allCases.count)
    private var patterns: [String] = VLogDestination.allCases.map(\.defaultPattern)
    private var logFile: (path: String, fd: Int32)?
    private var sequence: UInt32 = 0
    private let start = Coverage.monotonicMilliseconds
    /// `%A`: the program's name.
    public var programName: String {
        get { lock.withLock { program } }
        set { lock.withLock { program = newValue } }
    }
    private var program = "svs"
    /// The console's file descriptor (standard error).
    public var consoleDescriptor: Int32 = 2
    /// The syslog facility (`vlog/set FACILITY:NAME`).
    private var facility: Int32 = LOG_DAEMON

    /// Syslog facilities by name, as Open vSwitch accepts them.
    static let facilities: [String: Int32] = [
        "kern": 0 << 3, "user": 1 << 3, "mail": 2 << 3, "daemon": 3 << 3, "auth": 4 << 3, "syslog": 5 << 3,
        "lpr": 6 << 3, "news": 7 << 3, "uucp": 8 << 3, "clock": 9 << 3, "ftp": 11 << 3, "ntp": 12 << 3,
        "audit": 13 << 3, "alert": 14 << 3, "clock2": 15 << 3, "local0": 16 << 3, "local1": 17 << 3,
        "local2": 18 << 3, "local3": 19 << 3, "local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3,
        "local7": 23 << 3,
    ]

    /// Whether messages at or above the syslog level go to syslog(3).
    public var usesSyslog = true

    public init() {
        register(module: "vlog")
    }

    /// Declares a module (levels as the defaults); a known name is kept.
    public func register(module: String) {
        lock.withLock {
            if levels[module] == nil { levels[module] = defaultLevels }
        }
    }

    /// Every module, sorted.
    public var modules: [String] { lock.withLock { levels.keys.sorted() } }

    /// The level of `module` at `destination` (nil: no such module).
    public func level(of module: String, at destination: VLogDestination) -> VLogLevel? {
        lock.withLock { levels[module]?[destination.rawValue] }
    }

    /// Sets `module`'s level (all modules if nil) at `destination` (all if nil).
    public func setLevel(_ level: VLogLevel, module: String?, destination: VLogDestination?) {
        lock.withLock {
            let names = module.map { [$0] } ?? Array(levels.keys)
            let destinations = destination.map { [$0] } ?? VLogDestination.allCases
            for n in names {
                var l = levels[n] ?? defaultLevels
                for d in destinations { l[d.rawValue] = level }
                levels[n] = l
            }
            if module == nil {
                for d in destinations { defaultLevels[d.rawValue] = level }
            }
        }
    }

    /// The most verbose level `module` logs at anywhere (the file counts only
    /// while one is open).
    public func effectiveLevel(of module: String) -> VLogLevel {
        lock.withLock {
            let l = levels[module] ?? defaultLevels
            var m = VLogLevel.off
            for d in VLogDestination.allCases where d != .file || (logFile?.fd ?? -1) >= 0 {
                if d == .syslog && !usesSyslog { continue }
                m = max(m, l[d.rawValue])
            }
            return m
        }
    }

    // MARK: Specifications

    /// Applies one `vlog/set` (or `-v`) specification: words separated by
    /// spaces, commas or colons naming at most one module, destination and
    /// level (`ANY` matches all); `PATTERN:DEST:TEXT` sets a pattern.
    /// Returns the error Open vSwitch gives, nil on success.
    public func apply(_ spec: String) -> String? {
        let separators: Set<Character> = [" ", ",", ":", "\t"]
        var rest = Substring(spec)
        func nextWord() -> Substring? {
            rest = rest.drop { separators.contains($0) }
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex { separators.contains($0) } ?? rest.endIndex
            let w = rest[..<end]
            rest = rest[end...]
            if !rest.isEmpty { rest = rest.dropFirst() }
            return w
        }
        guard let first = nextWord() else {
            setLevel(.dbg, module: nil, destination: nil)
            return nil
        }
        if first.lowercased() == "pattern" {
            guard let d = nextWord() else { return "missing destination" }
            let destinations: [VLogDestination]
            if d.lowercased() == "any" {
                destinations = VLogDestination.allCases
            } else if let one = VLogDestination(name: String(d)) {
                destinations = [one]
            } else {
                return "unknown destination \"\(d)\""
            }
            let pattern = String(rest)
            lock.withLock {
                for one in destinations { patterns[one.rawValue] = pattern.isEmpty ? one.defaultPattern : pattern }
            }
            return nil
        }
        if first.lowercased() == "facility" {
            guard let value = Self.facilities[String(rest).lowercased()] else { return "invalid facility" }
            lock.withLock { facility = value }
            return nil
        }
        var module: String?
        var destination: VLogDestination?
        var level: VLogLevel?
        var word: Substring? = first
        let known = Set(modules)
        while let w = word {
            let text = String(w)
            if text.lowercased() == "any" {
                // matches everything
            } else if let d = VLogDestination(name: text) {
                if destination != nil { return "cannot specify multiple destinations" }
                destination = d
            } else if let l = VLogLevel(name: text) {
                if level != nil { return "cannot specify multiple levels" }
                level = l
            } else if known.contains(text) {
                if module != nil { return "cannot specify multiple modules" }
                module = text
            } else {
                return "no destination, level, or module \"\(text)\""
            }
            word = nextWord()
        }
        setLevel(level ?? .dbg, module: module, destination: destination)
        return nil
    }

    // MARK: Reports

    /// `vlog/list`: a level per destination for every module.
    public func levelsText() -> String {
        lock.withLock {
            var out = "                 console    syslog    file\n"
            out += "                 -------    ------    ------\n"
            var lines: [String] = []
            for (name, l) in levels {
                lines.append(name.padding(to: 16) + "  " + l[VLogDestination.console.rawValue].name.leftPadding(to: 4)
                    + "       " + l[VLogDestination.syslog.rawValue].name.leftPadding(to: 4)
                    + "       " + l[VLogDestination.file.rawValue].name.leftPadding(to: 4) + "\n")
            }
            lines.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            return out + lines.joined()
        }
    }

    /// `vlog/list-pattern`: each destination's prefix and pattern.
    public func patternsText() -> String {
        lock.withLock {
            var out = "         prefix                            format\n"
            out += "         ------                            ------\n"
            for d in VLogDestination.allCases {
                let prefix = d == .syslog ? "<%B> %D{%h %e %T} %E %A:" : "none"
                out += d.name.uppercased().padding(to: 7) + "  " + prefix.padding(to: 32) + "  " + patterns[d.rawValue] + "\n"
            }
            return out
        }
    }

    // MARK: The log file

    /// Opens (creating, appending) the log file at `path`, as Open vSwitch
    /// does: nothing happens if it is the file already open (same inode);
    /// otherwise the old file gets `closing log file`, the new one `opened
    /// log file PATH`.
    public func openLogFile(_ path: String) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("\(path): failed to open log file", errno: errno) }
        let current = lock.withLock { logFile }
        if let current, current.fd >= 0 {
            var old = stat()
            var new = stat()
            if fstat(current.fd, &old) == 0, fstat(fd, &new) == 0, old.st_dev == new.st_dev, old.st_ino == new.st_ino {
                close(fd)
                lock.withLock { logFile = (path, current.fd) }
                return
            }
            log(module: "vlog", level: .info, "closing log file")
        }
        let old = lock.withLock { () -> Int32? in
            let old = logFile?.fd
            logFile = (path, fd)
            return old
        }
        if let old, old >= 0 { close(old) }
        log(module: "vlog", level: .info, "opened log file \(path)")
    }

    /// The log file's path (kept after `vlog/close`, for `vlog/reopen`).
    public var logFilePath: String? { lock.withLock { logFile?.path } }

    /// Whether a log file is open.
    var isLogFileOpen: Bool { lock.withLock { (logFile?.fd ?? -1) >= 0 } }

    /// Closes and reopens the log file (after rotation): `vlog/reopen`.
    public func reopenLogFile() throws(SystemError) {
        guard let path = logFilePath else { return }
        try openLogFile(path)
    }

    /// Stops writing the log file, keeping its name: `vlog/close`.
    public func closeLogFile() {
        let fd = lock.withLock { () -> Int32? in
            guard let f = logFile, f.fd >= 0 else { return nil }
            logFile = (f.path, -1)
            return f.fd
        }
        if let fd { close(fd) }
    }

    // MARK: Logging

    /// Logs `message` from `module` at `level` to every destination whose
    /// level lets it through.
    public func log(module: String, level: VLogLevel, _ message: String) {
        guard level != .off else { return }
        let now = Self.wallClock()
        let thread = Self.threadName()
        var syslogLine: String?
        var syslogFacility = LOG_DAEMON
        // Lines are written under the lock, so that the file holds them in
        // sequence-number order.
        lock.withLock {
            let l = levels[module] ?? defaultLevels
            let wanted = VLogDestination.allCases.filter { d in
                level <= l[d.rawValue] && (d != .file || (logFile?.fd ?? -1) >= 0) && (d != .syslog || usesSyslog)
            }
            guard !wanted.isEmpty else { return }
            sequence &+= 1
            let record = Record(module: module, level: level, message: message, sequence: sequence,
                                time: now, thread: thread, program: program,
                                uptime: Coverage.monotonicMilliseconds &- start, facility: facility)
            for d in wanted {
                let line = record.formatted(patterns[d.rawValue])
                switch d {
                case .console: try? UnixSocket.writeAllFile(consoleDescriptor, Array((line + "\n").utf8))
                case .file: try? UnixSocket.writeAllFile(logFile!.fd, Array((line + "\n").utf8))
                case .syslog:
                    syslogLine = line
                    syslogFacility = facility
                }
            }
        }
        if let line = syslogLine {
            line.withCString { text in
                withVaList([text]) { vsyslog(syslogFacility | level.syslogPriority, "%s", $0) }
            }
        }
    }

    /// The current time of day.
    static func wallClock() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return t
    }

    /// `nil` on the main thread, else the thread's name.
    static func threadName() -> String? { ThreadName.current() }

    /// One message being formatted.
    struct Record {
        var module: String
        var level: VLogLevel
        var message: String
        var sequence: UInt32
        var time: timespec
        var thread: String?
        var program: String
        var uptime: UInt64
        var facility: Int32 = LOG_DAEMON

        /// The line for `pattern` (`format_log_message`): `%` then an optional
        /// `-` (left-justify), `0` (zero-pad) and width, then one of
        /// `A B c d D E m N n p P r t T %`; `d`/`D` take `{strftime format}`
        /// where `###` stands for milliseconds.
        func formatted(_ pattern: String) -> String {
            var out = ""
            var chars = Array(pattern)[...]
            while let c = chars.popFirst() {
                guard c == "%", !chars.isEmpty else {
                    out.append(c)
                    continue
                }
                var leftJustify = false
                var zeroPad = false
                if chars.first == "-" { leftJustify = true; chars = chars.dropFirst() }
                if chars.first == "0" { zeroPad = true; chars = chars.dropFirst() }
                var width = 0
                while let d = chars.first, let v = d.wholeNumberValue, d.isASCII {
                    width = width * 10 + v
                    chars = chars.dropFirst()
                }
                guard let conversion = chars.popFirst() else { break }
                var field: String
                switch conversion {
                case "A": field = program
                case "B": field = String(facility | level.syslogPriority)
                case "c": field = module
                case "d", "D":
                    var format = "%Y-%m-%d %H:%M:%S.###"
                    if chars.first == "{" {
                        let body = chars.dropFirst().prefix { $0 != "}" }
                        format = String(body)
                        chars = chars.dropFirst(body.count + 1)
                        if chars.first == "}" { chars = chars.dropFirst() }
                    }
                    field = Self.formatTime(time, format, utc: conversion == "D")
                case "E":
                    var host = [CChar](repeating: 0, count: 256)
                    gethostname(&host, host.count - 1)
                    field = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                case "m": field = message
                case "N": field = String(sequence)
                case "n": field = "\n"
                case "p": field = level.name
                case "P": field = String(getpid())
                case "r": field = String(uptime)
                case "t": field = thread ?? "main"
                case "T": field = thread.map { "(\($0))" } ?? ""
                default: field = String(conversion)
                }
                if field.count < width {
                    let pad = String(repeating: zeroPad ? "0" : " ", count: width - field.count)
                    field = leftJustify ? field + pad : pad + field
                }
                out += field
            }
            return out
        }

        static func formatTime(_ t: timespec, _ format: String, utc: Bool) -> String {
            var seconds = t.tv_sec
            var parts = tm()
            if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
            var buffer = [CChar](repeating: 0, count: 128)
            let n = strftime(&buffer, buffer.count, format, &parts)
            var text = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.contains("###") {
                let ms = String(t.tv_nsec / 1_000_000)
                text = text.replacingFirst("###", with: String(repeating: "0", count: 3 - ms.count) + ms)
            }
            return text
        }
    }

    // MARK: Commands

    /// Registers `vlog/set`, `vlog/list`, `vlog/list-pattern`, `vlog/reopen`
    /// and `vlog/close` on `commands`.
    public func registerCommands(on commands: UnixctlCommands) {
        commands.register("vlog/set", usage: "{spec | PATTERN:destination:pattern}", arguments: 0...Int(Int32.max)) {
            [self] arguments throws(UnixctlError) in
            if arguments.isEmpty { setLevel(.dbg, module: nil, destination: nil) }
            for spec in arguments {
                if let error = apply(spec) { throw UnixctlError(error) }
            }
            return ""
        }
        commands.register("vlog/list", usage: "", arguments: 0...0) { [self] _ in levelsText() }
        commands.register("vlog/list-pattern", usage: "", arguments: 0...0) { [self] _ in patternsText() }
        commands.register("vlog/reopen", usage: "", arguments: 0...0) { [self] _ throws(UnixctlError) in
            guard logFilePath != nil else { throw UnixctlError("Logging to file not configured") }
            do throws(SystemError) {
                try reopenLogFile()
            } catch {
                throw UnixctlError(error.reason)
            }
            return ""
        }
        commands.register("vlog/close", usage: "", arguments: 0...0) { [self] _ in
            closeLogFile()
            return ""
        }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        return String(self[..<r.lowerBound]) + replacement + String(self[r.upperBound...])
    }

    func range(of target: String) -> Range<String.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}

/// A swift-log handler that logs through `VLog`: the logger's label is the
/// module name (registered on creation), levels come from `vlog/set`.
public struct VLogHandler: LogHandler {
    public let module: String
    public let vlog: VLog
    public var metadata: Logger.Metadata = [:]

    public init(label: String, vlog: VLog = .shared) {
        module = label
        self.vlog = vlog
        vlog.register(module: label)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The level `vlog/set` gave this module (its most verbose destination);
    /// setting it sets every destination of the module.
    public var logLevel: Logger.Level {
        get { vlog.effectiveLevel(of: module).loggerLevel }
        set { vlog.setLevel(VLogLevel(newValue), module: module, destination: nil) }
    }

    public func log(event: LogEvent) {
        var text = event.message.description
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        if !all.isEmpty {
            text += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        vlog.log(module: module, level: VLogLevel(event.level), text)
    }
}
