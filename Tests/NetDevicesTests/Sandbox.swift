import Foundation
import Testing
import Datapath
import DPIF
@testable import NetDevices

/// Runs `arguments` (looked up on PATH) and returns its exit status and
/// output; kills it after `timeout` seconds.
@discardableResult
func run(_ arguments: [String], timeout: Double = 10) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Drain the pipe while waiting, so a chatty child cannot block.
    let handle = out.fileHandleForReading
    let reader = Thread.detachNewThreadWithResult { handle.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning, Date() < deadline { usleep(20_000) }
    if p.isRunning {
        p.terminate()
        usleep(100_000)
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
    p.waitUntilExit()
    let data = reader.value(timeout: 2) ?? Data()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs a command that must succeed.
func must(_ arguments: [String], timeout: Double = 10) throws {
    let r = try run(arguments, timeout: timeout)
    guard r.status == 0 else {
        throw SandboxError.commandFailed(arguments.joined(separator: " ") + ": \(r.status) \(r.output)")
    }
}

enum SandboxError: Error { case commandFailed(String), notRoot }

/// A value computed on a plain thread, waited for with a bound.
final class ThreadResult<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: T?
    func set(_ v: T) { condition.lock(); result = v; condition.broadcast(); condition.unlock() }
    func value(timeout: Double) -> T? {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while result == nil, condition.wait(until: deadline) {}
        return result
    }
}

extension Thread {
    static func detachNewThreadWithResult<T: Sendable>(_ body: @escaping @Sendable () -> T) -> ThreadResult<T> {
        let r = ThreadResult<T>()
        Thread.detachNewThread { r.set(body()) }
        return r
    }
}

/// Fails the test clearly unless we run as root.
func requireRoot() throws {
    guard geteuid() == 0 else {
        Issue.record("NetDevicesTests need root (network namespaces, veth, TAP, AF_PACKET)")
        throw SandboxError.notRoot
    }
}

/// Two namespaces `<prefix>-a` and `<prefix>-b`, each holding one end of a
/// veth pair whose other end (`<prefix>a`, `<prefix>b`) stays in the root
/// namespace, addressed 10.X.Y.1/24 and 10.X.Y.2/24. Everything is removed
/// by `tearDown()` (call it in a `defer`).
struct Sandbox {
    let prefix: String
    let subnet: String
    var namespaceA: String { prefix + "-a" }
    var namespaceB: String { prefix + "-b" }
    /// Root-namespace veth ends, the datapath's `system` ports.
    var rootA: String { prefix + "a" }
    var rootB: String { prefix + "b" }
    /// The veth ends inside the namespaces.
    var innerA: String { rootA + "n" }
    var innerB: String { rootB + "n" }
    var addressA: String { subnet + ".1" }
    var addressB: String { subnet + ".2" }
    /// IPv6 addresses of the namespace ends (a /64 from the same randomness).
    var address6A: String { subnet6 + "::1" }
    var address6B: String { subnet6 + "::2" }
    var subnet6: String {
        "fd00:5e5:" + subnet.split(separator: ".").dropFirst().map { String(Int($0)!, radix: 16) }.joined(separator: ":")
    }
    /// A TAP name for tests that want one.
    var tap: String { prefix + "t" }

    init() {
        prefix = "svst" + String(UInt16.random(in: 0x1000...0xffff), radix: 16)
        subnet = "10.\(Int.random(in: 200...250)).\(Int.random(in: 1...254))"
    }

    /// Creates the namespaces and veths. `withB: false` leaves B without a veth.
    func setUp(withB: Bool = true) throws {
        try requireRoot()
        var ends = [(namespaceA, rootA, addressA)]
        if withB { ends.append((namespaceB, rootB, addressB)) } else { try must(["ip", "netns", "add", namespaceB]) }
        for (ns, root, address) in ends {
            let inner = root + "n"
            try must(["ip", "netns", "add", ns])
            try must(["ip", "link", "add", root, "type", "veth", "peer", "name", inner])
            try must(["ip", "link", "set", inner, "netns", ns])
            try must(["ip", "-n", ns, "link", "set", "lo", "up"])
            try must(["ip", "-n", ns, "addr", "add", address + "/24", "dev", inner])
            let address6 = address == addressA ? address6A : address6B
            try must(["ip", "-n", ns, "addr", "add", address6 + "/64", "dev", inner, "nodad"])
            try must(["ip", "-n", ns, "link", "set", inner, "up"])
            // Default offloads stay on: partial checksums and TSO/GSO
            // super-frames reach the `system` ports, which must cope.
            _ = try? run(["sysctl", "-qw", "net.ipv6.conf.\(root).disable_ipv6=1"])
            try must(["ip", "link", "set", root, "up"])
        }
    }

    /// Removes everything `setUp` may have made; never throws.
    func tearDown() {
        for ns in [namespaceA, namespaceB] { _ = try? run(["ip", "netns", "del", ns]) }
        for link in [rootA, rootB] { _ = try? run(["ip", "link", "del", link]) }
    }

    /// Runs a command inside namespace `ns`.
    @discardableResult
    func exec(_ ns: String, _ arguments: [String], timeout: Double = 10) throws -> (status: Int32, output: String) {
        try run(["ip", "netns", "exec", ns] + arguments, timeout: timeout)
    }
}

/// Calls `dp.poll()` on a plain thread until stopped, sleeping briefly when idle.
final class Poller: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private let done = ThreadResult<Bool>()

    init(_ dp: LocalDatapath) {
        nonisolated(unsafe) let dp = dp
        Thread.detachNewThread { [self] in
            while !isStopped {
                if dp.poll() == 0 { usleep(200) }
            }
            done.set(true)
        }
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Stops the thread and waits for it (at most 2 s).
    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        _ = done.value(timeout: 2)
    }
}
