#if canImport(Glibc)
import Glibc
#endif
import Logging
import OVSDB
import Testing
@testable import Unixctl

// MARK: Stream framing and messages

@Test func splitterFindsConcatenatedValuesAcrossReads() throws {
    var splitter = JSONFramer()
    var values: [[UInt8]] = []
    let text = #"{"a":"}{[\"x"} [1,[2]]  {"b":{}}"#
    let bytes = Array(text.utf8)
    // Feed one byte at a time: values split anywhere still come out whole.
    for b in bytes { try splitter.feed([b], into: &values) }
    #expect(values.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":"}{[\"x"}"#, "[1,[2]]", #"{"b":{}}"#])
    #expect(!splitter.isInsideValue)
}

@Test(arguments: [("garbage", JSONFramer.FramingError.garbage(UInt8(ascii: "g"))),
                  ("\"string\"", .garbage(UInt8(ascii: "\""))),
                  ("{}]", .garbage(UInt8(ascii: "]")))])
func splitterRejectsWhatCannotStartAValue(_ input: String, _ failure: JSONFramer.FramingError) {
    var splitter = JSONFramer()
    var values: [[UInt8]] = []
    #expect(throws: failure) { try splitter.feed(Array(input.utf8), into: &values) }
}

@Test func splitterLimitsValueLength() {
    var splitter = JSONFramer(maxMessageSize: 16)
    var values: [[UInt8]] = []
    #expect(throws: JSONFramer.FramingError.tooLarge) {
        try splitter.feed(Array("[\"aaaaaaaaaaaaaaaaaaaaaaaaa\"]".utf8), into: &values)
    }
}

@Test func messagesRoundTripInOpenVSwitchShape() throws {
    let request = UnixctlMessage.request(method: "vlog/set", params: [.string("dpif:dbg")], id: .int(0))
    #expect(request.json.text == #"{"method":"vlog/set","params":["dpif:dbg"],"id":0}"#)
    #expect(try UnixctlMessage(json: request.json) == request)
    let reply = UnixctlMessage.reply(result: .string("ok\n"), id: .int(3))
    #expect(reply.json.text == #"{"result":"ok\n","error":null,"id":3}"#)
    #expect(try UnixctlMessage(json: reply.json) == reply)
    let error = UnixctlMessage.error(error: .string("bad\n"), id: .string("x"))
    #expect(try UnixctlMessage(json: error.json) == error)
    #expect(try UnixctlMessage(json: JSON.parse(#"{"method":"m","params":[],"id":null}"#))
        == .notification(method: "m", params: []))
}

@Test(arguments: [
    #"[1]"#, #"{"method":1,"params":[],"id":1}"#, #"{"method":"m","params":"x","id":1}"#,
    #"{"method":"m","id":1}"#, #"{"method":"m","params":[],"id":1,"x":0}"#, #"{"result":"r"}"#,
])
func malformedMessagesAreRejected(_ text: String) throws {
    let json = try JSON.parse(text)
    #expect(throws: UnixctlError.self) { try UnixctlMessage(json: json) }
}

// MARK: The registry

func registry() -> UnixctlCommands {
    let commands = UnixctlCommands(version: "ovs-vswitchd (svs) 9.9.9", coverage: Coverage())
    commands.register("echo", usage: "WORD...", arguments: 1...2) { $0.joined(separator: " ") }
    commands.register("fail", usage: "", arguments: 0...0) { _ throws(UnixctlError) in throw UnixctlError("it failed") }
    commands.register("hidden", usage: nil, arguments: 0...0) { _ in "" }
    return commands
}

@Test func registryChecksArgumentsAsOpenVSwitch() {
    let c = registry()
    #expect(c.execute(method: "echo", params: [.string("a"), .string("b")]) == .success("a b\n"))
    #expect(c.execute(method: "echo", params: [.string("a\n")]) == .success("a\n"))
    #expect(c.execute(method: "echo", params: []) == .failure(UnixctlError("\"echo\" command requires at least 1 arguments\n")))
    #expect(c.execute(method: "echo", params: [.string("1"), .string("2"), .string("3")])
        == .failure(UnixctlError("\"echo\" command takes at most 2 arguments\n")))
    #expect(c.execute(method: "echo", params: [.int(1)]) == .failure(UnixctlError("\"echo\" command has non-string argument\n")))
    #expect(c.execute(method: "nope", params: []) == .failure(UnixctlError(
        "\"nope\" is not a valid command (use \"list-commands\" to see a list of valid commands)\n")))
    #expect(c.execute(method: "fail", params: []) == .failure(UnixctlError("it failed\n")))
    #expect(c.execute(method: "version", params: []) == .success("ovs-vswitchd (svs) 9.9.9\n"))
    #expect(c.execute(method: "hidden", params: []) == .success(""))
}

@Test func listCommandsIsSortedPaddedAndHidesUsagelessCommands() {
    let text = registry().listText()
    #expect(text == """
        The available commands are:
          echo                    WORD...
          fail                    
          list-commands           
          version                 

        """)
}

// MARK: Logging

@Test func vlogSetParsesSpecsAsOpenVSwitch() {
    let v = VLog()
    v.register(module: "dpif")
    v.register(module: "bridge")
    #expect(v.apply("dpif:file:off") == nil)
    #expect(v.level(of: "dpif", at: .file) == .off)
    #expect(v.level(of: "dpif", at: .console) == .info)
    #expect(v.apply("bridge:dbg") == nil)
    #expect(VLogDestination.allCases.allSatisfy { v.level(of: "bridge", at: $0) == .dbg })
    #expect(v.apply("console:WARN") == nil)
    #expect(v.level(of: "dpif", at: .console) == .warn)
    #expect(v.apply("ANY:syslog:err") == nil)
    #expect(v.level(of: "vlog", at: .syslog) == .err)
    #expect(v.apply("foo") == "no destination, level, or module \"foo\"")
    #expect(v.apply("dpif:bridge") == "cannot specify multiple modules")
    #expect(v.apply("file:console") == "cannot specify multiple destinations")
    #expect(v.apply("info:dbg") == "cannot specify multiple levels")
    #expect(v.apply("PATTERN:nowhere:%m") == "unknown destination \"nowhere\"")
    // A module registered later starts from the levels given to all.
    v.register(module: "zzz")
    #expect(v.level(of: "zzz", at: .syslog) == .err)
}

@Test func vlogListHasOpenVSwitchColumns() {
    let v = VLog()
    v.register(module: "dpif_netdev")
    _ = v.apply("console:off")
    _ = v.apply("dpif_netdev:file:dbg")
    #expect(v.levelsText() == """
                         console    syslog    file
                         -------    ------    ------
        dpif_netdev        OFF       INFO        DBG
        vlog               OFF       INFO       INFO

        """)
    #expect(v.patternsText().contains("FILE     none                              %D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m\n"))
}

@Test func logLinesFollowThePattern() {
    let record = VLog.Record(module: "bridge", level: .warn, message: "hello", sequence: 42,
                             time: timespec(tv_sec: 1_795_262_400 - 4 * 3600 - 86400, tv_nsec: 7_000_000), thread: nil,
                             program: "ovs-vswitchd", uptime: 5)
    #expect(record.formatted(VLogDestination.file.defaultPattern) == "2026-11-20T08:00:00.007Z|00042|bridge|WARN|hello")
    #expect(record.formatted(VLogDestination.console.defaultPattern) == "2026-11-20T08:00:00Z|00042|bridge|WARN|hello")
    #expect(record.formatted("%-8c|%5p|%A|%%|%r") == "bridge  | WARN|ovs-vswitchd|%|5")
    var threaded = record
    threaded.thread = "handler1"
    #expect(threaded.formatted("%c%T") == "bridge(handler1)")
}

@Test func swiftLogMessagesReachTheFileAtTheModulesLevel() throws {
    let v = VLog()
    v.usesSyslog = false
    _ = v.apply("console:off")
    // Without %T: tests run on worker threads, whose names would show.
    #expect(v.apply("PATTERN:file:%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c|%p|%m") == nil)
    let path = "/tmp/svs-unixctl-test-\(getpid()).log"
    unlink(path)
    defer { unlink(path) }
    try v.openLogFile(path)
    let logger = Logger(label: "vswitchd") { VLogHandler(label: $0, vlog: v) }
    logger.debug("not shown at INFO")
    logger.info("shown")
    _ = v.apply("vswitchd:file:dbg")
    logger.debug("now shown")
    _ = v.apply("vswitchd:file:off")
    logger.error("hidden again")
    v.closeLogFile()
    let lines = try String(decoding: readAll(path), as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.allSatisfy { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|\d{5}\|[a-z]+\|[A-Z]+\|.*/) != nil })
    #expect(lines[0].hasSuffix("|00001|vlog|INFO|opened log file \(path)"))
    #expect(lines[1].hasSuffix("|00002|vswitchd|INFO|shown"))
    #expect(lines[2].hasSuffix("|00003|vswitchd|DBG|now shown"))
}

func readAll(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw SystemError(path, errno: errno) }
    defer { close(fd) }
    var out: [UInt8] = []
    while true {
        let chunk = try UnixSocket.read(fd)
        if chunk.isEmpty { return out }
        out += chunk
    }
}

// MARK: Coverage and memory

@Test func coverageShowsHitCountersAndCountsTheRest() {
    let c = Coverage()
    c.define(["never_a", "never_b"])
    c.increment("hit", by: 3)
    let start: UInt64 = 1_000_000
    c.run(now: start)
    c.run(now: start + 5_000)
    let text = c.showText()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines[0].hasPrefix("Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash="))
    #expect(lines[1] == "hit                        0.6/sec     0.050/sec        0.0000/sec   total: 3")
    #expect(lines[2] == "2 events never hit")
    // The fingerprint changes when another counter is hit.
    let before = lines[0]
    c.increment("never_a")
    #expect(c.showText().split(separator: "\n")[0] != before)
}

@Test func memoryReportSortsPairs() {
    let m = MemoryReport()
    m.register { [("ports", 2), ("flows", 10)] }
    m.register { [("handlers", 1)] }
    #expect(m.showText() == "flows:10 handlers:1 ports:2")
}

// MARK: Server and client over a socket

func withServer(_ body: (UnixctlServer, String) throws -> Void) throws {
    let path = "/tmp/svs-unixctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).ctl"
    let commands = registry()
    let server = try UnixctlServer(path: path, commands: commands, logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
    server.start()
    defer { server.stop() }
    try body(server, path)
}

@Test func clientAndServerTalk() throws {
    try withServer { _, path in
        let client = try UnixctlClient(path: path)
        #expect(try client.transact("echo", ["hi", "there"], timeout: 5000) == .success("hi there\n"))
        #expect(try client.transact("fail", [], timeout: 5000) == .failure(UnixctlError("it failed\n")))
        #expect(try client.transact("version", [], timeout: 5000) == .success("ovs-vswitchd (svs) 9.9.9\n"))
    }
}

@Test func serverServesSeveralClientsAtOnce() throws {
    try withServer { _, path in
        let clients = try (0..<8).map { _ in try UnixctlClient(path: path) }
        for (i, c) in clients.enumerated().reversed() {
            #expect(try c.transact("echo", ["\(i)"], timeout: 5000) == .success("\(i)\n"))
        }
    }
}

/// Sends raw bytes on a new connection; returns what comes back until the
/// server closes it (or 2 s pass).
func raw(_ path: String, _ text: String) throws -> (reply: String, closed: Bool) {
    let fd = try UnixSocket.connect(path: path)
    defer { close(fd) }
    try UnixSocket.writeAll(fd, Array(text.utf8))
    var out: [UInt8] = []
    for _ in 0..<20 {
        guard UnixSocket.waitReadable(fd, milliseconds: 100) else { continue }
        let chunk = try UnixSocket.read(fd)
        if chunk.isEmpty { return (String(decoding: out, as: UTF8.self), true) }
        out += chunk
    }
    return (String(decoding: out, as: UTF8.self), false)
}

@Test func badInputClosesOnlyThatConnection() throws {
    try withServer { server, path in
        let survivor = try UnixctlClient(path: path)
        #expect(try survivor.transact("echo", ["before"], timeout: 5000) == .success("before\n"))

        let garbage = try raw(path, "this is not json")
        #expect(garbage.closed)
        #expect(garbage.reply.hasPrefix(#"{"result":null,"error":"syntax error"#))

        let badJSON = try raw(path, #"{"method":"echo","params":[1,]}"#)
        #expect(badJSON.closed)
        #expect(badJSON.reply.contains(#""error":"#))

        let notObject = try raw(path, "[1,2,3]")
        #expect(notObject.closed)
        #expect(notObject.reply == #"{"result":null,"error":"message is not a JSON object","id":null}"#)

        let notification = try raw(path, #"{"method":"echo","params":["x"],"id":null}"#)
        #expect(notification.closed && notification.reply.isEmpty)

        // Two requests in one write get two replies, in order.
        let two = try raw(path, #"{"method":"echo","params":["a"],"id":1}{"method":"nope","params":[],"id":2}"#)
        #expect(two.reply.hasPrefix(#"{"result":"a\n","error":null,"id":1}{"result":null,"error":"\"nope\" is not"#))
        #expect(!two.closed)

        #expect(try survivor.transact("echo", ["after"], timeout: 5000) == .success("after\n"))
        _ = server
    }
}

@Test func stoppedServerRemovesItsSocket() throws {
    let path = "/tmp/svs-unixctl-stop-\(getpid()).ctl"
    let server = try UnixctlServer(path: path, commands: registry())
    server.start()
    #expect(access(path, F_OK) == 0)
    server.stop()
    #expect(access(path, F_OK) != 0)
    #expect(throws: SystemError.self) { try UnixctlClient(path: path) }
}

// MARK: Pid files and targets

@Test func pidfileIsLockedWhileHeldAndStaleAfter() throws {
    let dir = "/tmp/svs-unixctl-run-\(getpid())"
    mkdir(dir, 0o700)
    defer { rmdir(dir) }
    let path = dir + "/ovs-vswitchd.pid"
    do {
        let pidfile = try Pidfile.create(path: path)
        // F_GETLK never reports the caller's own lock, so the lock is
        // checked from another process by tests/appctl (ovs-appctl reads it).
        let text = String(decoding: try readAll(path), as: UTF8.self)
        #expect(text == "\(getpid())\n")
        pidfile.remove()
        #expect(access(path, F_OK) != 0)
    }
    // A file nobody locks is stale.
    let fd = open(path, O_CREAT | O_WRONLY, 0o644)
    try UnixSocket.writeAllFile(fd, Array("12345\n".utf8))
    close(fd)
    defer { unlink(path) }
    guard case .failure(let e) = Pidfile.read(path) else { Issue.record("stale pidfile read as live"); return }
    #expect(e.errno == ESRCH)
    #expect(throws: UnixctlError("cannot read pidfile \"\(dir)/nosuch.pid\" (No such file or directory)")) {
        try UnixctlTarget.socketPath(for: "nosuch", runDirectory: dir)
    }
    #expect(try UnixctlTarget.socketPath(for: "/abs/path.ctl", runDirectory: dir) == "/abs/path.ctl")
}

@Test func logFileReopensAfterRotationAndClose() throws {
    let v = VLog()
    v.usesSyslog = false
    _ = v.apply("console:off")
    #expect(v.apply("PATTERN:file:%c|%p|%m") == nil)
    let path = "/tmp/svs-unixctl-rotate-\(getpid()).log"
    unlink(path)
    unlink(path + ".1")
    defer { unlink(path); unlink(path + ".1") }
    try v.openLogFile(path)
    try v.reopenLogFile()   // same file: nothing written
    rename(path, path + ".1")
    try v.reopenLogFile()
    v.closeLogFile()
    v.log(module: "vlog", level: .info, "while closed")
    #expect(v.logFilePath == path)
    try v.reopenLogFile()
    let old = String(decoding: try readAll(path + ".1"), as: UTF8.self)
    let new = String(decoding: try readAll(path), as: UTF8.self)
    #expect(old == "vlog|INFO|opened log file \(path)\nvlog|INFO|closing log file\n")
    #expect(new == "vlog|INFO|opened log file \(path)\nvlog|INFO|opened log file \(path)\n")
}
