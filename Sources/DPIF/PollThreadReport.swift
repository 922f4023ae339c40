import Datapath

/// The poll threads' statistics in the text of `ovs-appctl
/// dpif-netdev/pmd-stats-show` and `dpif-netdev/pmd-rxq-show` (Open vSwitch
/// 3.1), for the appctl commands of the same names.
///
/// svs counts time in nanoseconds where OVS counts TSC cycles: the
/// "cycles" lines carry nanoseconds. Every thread is reported as NUMA node
/// 0, its `core_id` the poll thread's number. `pmd-rxq-show` shares are
/// over the thread's whole life, not the last 60 seconds.
public enum PollThreadText {
    private static func fixed2(_ x: Double) -> String {
        let scaled = (x * 100).rounded()
        guard scaled.isFinite, abs(scaled) < 1e17 else { return String(x) }
        let v = Int64(scaled)
        let whole = v / 100, frac = abs(v % 100)
        return "\(v < 0 && whole == 0 ? "-" : "")\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }

    public static func header(_ r: PollWorkerReport) -> String {
        "pmd thread numa_id 0 core_id \(r.id):\n"
    }

    /// `dpif-netdev/pmd-stats-show`. `title` names a thread (OVS's
    /// `pmd thread numa_id 0 core_id N:` by default; `main thread:` for the
    /// thread that polls non-PMD ports).
    public static func statsShow(_ reports: [PollWorkerReport],
                                 title: (PollWorkerReport) -> String = header) -> String {
        var out = ""
        for r in reports.sorted(by: { $0.id < $1.id }) {
            let s = r.stats
            let received = s.receivedPackets
            let passes = received > 0 ? Double(received &+ s.recirculations) / Double(received) : 0
            let lookups = s.megaflowHits > 0 ? Double(s.subtableLookups) / Double(s.megaflowHits) : 0
            let perBatch = r.outputBatches > 0 ? Double(r.outputPackets) / Double(r.outputBatches) : 0
            out += title(r)
            out += "  packets received: \(received)\n"
            out += "  packet recirculations: \(s.recirculations)\n"
            out += "  avg. datapath passes per packet: \(fixed2(passes))\n"
            out += "  phwol hits: 0\n"
            out += "  mfex opt hits: 0\n"
            out += "  simple match hits: 0\n"
            out += "  emc hits: \(s.exactMatchHits)\n"
            out += "  smc hits: \(s.signatureMatchHits)\n"
            out += "  megaflow hits: \(s.megaflowHits)\n"
            out += "  avg. subtable lookups per megaflow hit: \(fixed2(lookups))\n"
            out += "  miss with success upcall: \(s.misses &- s.lost)\n"
            out += "  miss with failed upcall: \(s.lost)\n"
            out += "  avg. packets per output batch: \(fixed2(perBatch))\n"
            let total = r.idleNanoseconds &+ r.busyNanoseconds
            guard total > 0 else { continue }
            out += "  idle cycles: \(r.idleNanoseconds) (\(fixed2(Double(r.idleNanoseconds) / Double(total) * 100))%)\n"
            out += "  processing cycles: \(r.busyNanoseconds) (\(fixed2(Double(r.busyNanoseconds) / Double(total) * 100))%)\n"
            guard received > 0 else { continue }
            out += "  avg cycles per packet: \(fixed2(Double(total) / Double(received))) (\(total)/\(received))\n"
            out += "  avg processing cycles per packet: \(fixed2(Double(r.busyNanoseconds) / Double(received)))"
                + " (\(r.busyNanoseconds)/\(received))\n"
        }
        return out
    }

    /// `dpif-netdev/pmd-rxq-show`.
    public static func rxqShow(_ reports: [PollWorkerReport]) -> String {
        var out = ""
        for (n, r) in reports.sorted(by: { $0.id < $1.id }).enumerated() {
            if n == 0 { out += "Displaying last 60 seconds pmd usage %\n" }
            out += header(r) + "  isolated : false\n"
            let total = r.idleNanoseconds &+ r.busyNanoseconds
            var used: UInt64 = 0
            for q in r.receiveQueues.sorted(by: { $0.name < $1.name }) {
                used &+= q.busyNanoseconds
                let name = q.name.count < 16 ? q.name + String(repeating: " ", count: 16 - q.name.count) : q.name
                out += "  port: \(name)  queue-id:  0 (enabled)   pmd usage: "
                out += total > 0 ? pad2(q.busyNanoseconds * 100 / total) + " %" : "NOT AVAIL"
                out += "\n"
            }
            if !r.receiveQueues.isEmpty {
                out += "  overhead: "
                if total > 0 {
                    let overhead = r.busyNanoseconds > used ? r.busyNanoseconds - used : 0
                    out += pad2(overhead * 100 / total) + " %"
                } else {
                    out += "NOT AVAIL"
                }
                out += "\n"
            }
        }
        return out
    }

    private static func pad2(_ v: UInt64) -> String { v < 10 ? " \(v)" : "\(v)" }
}

extension LocalDatapath {
    /// `ovs-appctl dpif-netdev/pmd-stats-show` for this datapath.
    public func formatPollThreadStats() -> String { PollThreadText.statsShow(pollThreadReports()) }

    /// `ovs-appctl dpif-netdev/pmd-rxq-show` for this datapath.
    public func formatReceiveQueues() -> String { PollThreadText.rxqShow(pollThreadReports()) }
}
