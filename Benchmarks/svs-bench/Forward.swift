import ArgumentParser
import Datapath
import DPIF
import Flow
import NetDevices
#if canImport(Glibc)
import Glibc
#endif

/// `svs-bench forward`: an svs datapath over real Linux devices, driven by
/// its poll threads, with datapath flows installed through DPIF. By
/// default ports 1 and 2 (the first two `--port`s) forward everything to
/// each other (`in_port(1) -> 2` and back); `--flow` replaces that.
/// Runs for `--seconds` (0: until SIGTERM or SIGINT), prints `ready` once
/// forwarding, and at the end the poll threads' figures and, with
/// `--stats`, `pmd-stats-show` and `pmd-rxq-show`.
struct ForwardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward", abstract: "Forward between Linux interfaces with poll threads.")

    @Option(name: .customLong("port"), help: "A system port (an interface name); numbered from 1 in order.")
    var ports: [String] = []

    @Option(name: .customLong("internal"), help: "An internal (TAP) port to create, numbered after the system ports.")
    var internals: [String] = []

    @Option(name: .customLong("flow"), help: "A datapath flow 'MATCH ACTIONS' (dpctl syntax; split at the last space).")
    var flows: [String] = []

    @Option(name: .customLong("pair"), help: "A:B: forward everything from port A to B and back (matching in_port only). Default 1:2 when no --flow.")
    var pairs: [String] = []

    @Option(help: "Poll threads.") var threads: Int = 1

    @Option(help: "Seconds to run (0: until SIGTERM/SIGINT).") var seconds: Double = 0

    @Option(name: .customLong("remove"), help: "NAME@SECONDS: delete port NAME after SECONDS.")
    var removals: [String] = []

    @Option(help: "Microseconds a poll thread spins after its last packet before sleeping.")
    var idleSpinUs: Int = Int(PollWorkerConfiguration.defaultIdleSpinNanoseconds / 1000)

    @Option(help: "Packets within the spin window that make a poll thread spin (1: any packet).")
    var spinMinPackets: Int = PollWorkerConfiguration.defaultSpinMinimumPackets

    @Option(help: "Receive mode of the system ports: mmsg (recvmmsg), v3 (TPACKET_V3 ring), v2 (TPACKET_V2 ring).")
    var rx = "mmsg"

    @Flag(help: "System ports keep TCP super-frames whole (tso=true): the kernel segments them on output.")
    var tso = false

    @Flag(help: "Print pmd-stats-show and pmd-rxq-show at the end.") var stats = false

    @Option(help: "Datapath name (also the local port's name; a dummy device).") var name = "svsPdp"

    func validate() throws {
        guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be 1...64") }
        guard ["mmsg", "v2", "v3"].contains(rx) else { throw ValidationError("--rx must be mmsg, v2 or v3") }
        guard !ports.isEmpty || !internals.isEmpty else { throw ValidationError("give at least one --port") }
        for r in removals where r.split(separator: "@").count != 2 || Double(r.split(separator: "@")[1]) == nil {
            throw ValidationError("--remove wants NAME@SECONDS, not \(r)")
        }
    }

    func run() throws {
        let registry = DatapathRegistry(portTypes: .netDevices, localType: .dummyInternal)
        let control = DatapathControl(registry: registry)
        let dp: LocalDatapath
        do {
            dp = try registry.create(name: name, pollThreadCount: threads)
            var options: [String: String] = [:]
            if rx != "mmsg" { options["rx_ring"] = rx }
            if tso { options["tso"] = "true" }
            for p in ports { try dp.addPort(PortConfiguration(name: p, type: .system, options: options)) }
            for p in internals { try dp.addPort(PortConfiguration(name: p, type: .internal)) }
            let crossed = pairs.isEmpty && flows.isEmpty ? ["1:2"] : pairs
            for pair in crossed {
                let ends = pair.split(separator: ":").compactMap { UInt32($0) }
                guard ends.count == 2 else { throw ValidationError("--pair wants A:B, not \(pair)") }
                for (from, to) in [(ends[0], ends[1]), (ends[1], ends[0])] {
                    var key = FlowKey()
                    key.inPort = DatapathPort(rawValue: from)
                    var mask = FlowMask.catchAll
                    mask.setExact(.inPort)
                    try dp.putFlow(FlowPut(key: key, mask: mask, actions: [.output(DatapathPort(rawValue: to))]))
                }
            }
            for spec in flows {
                guard let cut = spec.lastIndex(of: " ") else { throw ValidationError("bad --flow \(spec)") }
                _ = try control.run(["add-flow", name, String(spec[..<cut]), String(spec[spec.index(after: cut)...])])
            }
        } catch let e as DPIFError {
            throw ValidationError("\(e)")
        } catch let e as DatapathControlError {
            throw ValidationError("\(e)")
        }

        // Signals are taken synchronously below; the poll threads inherit the mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        dp.startPollThreads(PollWorkerConfiguration(idleSpinNanoseconds: UInt64(max(0, idleSpinUs)) * 1000,
                                                       spinMinimumPackets: max(1, spinMinPackets)))
        print("ready")
        fflush(nil)

        var pending = removals.map { r -> (String, Double) in
            let parts = r.split(separator: "@")
            return (String(parts[0]), Double(parts[1])!)
        }
        let start = DatapathClock.nanoseconds
        while true {
            let elapsed = Double(DatapathClock.nanoseconds - start) / 1e9
            if seconds > 0, elapsed >= seconds { break }
            for (i, (port, at)) in pending.enumerated().reversed() where elapsed >= at {
                do {
                    let number = try dp.port(named: port).number
                    try dp.deletePort(number)
                    print("removed \(port) at \(String(format: "%.2f", elapsed))")
                } catch {
                    print("remove \(port): \(error)")
                }
                fflush(nil)
                pending.remove(at: i)
            }
            var wait = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            if sigtimedwait(&signals, nil, &wait) > 0 { break }
        }
        let elapsed = Double(DatapathClock.nanoseconds - start) / 1e9
        let reports = dp.pollThreadReports()
        dp.stopPollThreads()
        var packets: UInt64 = 0, busy: UInt64 = 0, cpu: UInt64 = 0
        for r in reports {
            packets &+= r.stats.receivedPackets
            busy &+= r.stats.busyNanoseconds
            cpu &+= r.cpuNanoseconds
        }
        report("forward_packets", Double(packets), "packets")
        report("forward_rate", Double(packets) / max(elapsed, 1e-9), "packets/s")
        report("forward_time_per_packet", packets > 0 ? Double(busy) / Double(packets) : 0, "ns")
        report("forward_thread_cpu", Double(cpu) / 1e9 / max(elapsed, 1e-9) * 100, "%")
        for p in dp.dumpPorts() {
            print("port \(p.number) \(p.name) rx \(p.stats.rxPackets) tx \(p.stats.txPackets)"
                  + " rx_dropped \(p.stats.rxDropped) tx_dropped \(p.stats.txDropped) tx_errors \(p.stats.txErrors)")
        }
        if stats {
            print(PollThreadText.statsShow(reports), terminator: "")
            print(PollThreadText.rxqShow(reports), terminator: "")
        }
        try? registry.delete(name: name)
    }
}
