#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One event counter (`COVERAGE_DEFINE`): incremented from any thread.
public final class CoverageCounter: Sendable {
    public let name: String
    private let value = Atomic<UInt64>(0)

    init(name: String) { self.name = name }

    @inlinable public func increment(by n: UInt64 = 1) { _ = incrementValue(n) }

    @usableFromInline func incrementValue(_ n: UInt64) -> UInt64 {
        value.add(n, ordering: .relaxed).newValue
    }

    /// Events counted so far.
    public var total: UInt64 { value.load(ordering: .relaxed) }
}

/// Event counters and their rates (`coverage/show`), as Open vSwitch's
/// `coverage` module: every `run` interval (5 s) the counts since the last
/// run are kept for a minute, and per-minute sums for an hour.
public final class Coverage: @unchecked Sendable {
    /// The process's counters.
    public static let shared = Coverage()

    /// Seconds between samples.
    public static let interval = 5
    static let minuteSlots = 12
    static let hourSlots = 60

    private let lock = UnixctlLock()
    private var counters: [String: CoverageCounter] = [:]
    private var order: [String] = []
    /// Per counter: totals at the last sample, the last minute's and hour's slots.
    private var lastTotals: [String: UInt64] = [:]
    private var minute: [String: [UInt64]] = [:]
    private var hour: [String: [UInt64]] = [:]
    private var samples = 0
    private var nextSample: UInt64 = 0

    public init() {}

    /// The counter named `name`, made on first use.
    public func counter(_ name: String) -> CoverageCounter {
        lock.withLock {
            if let c = counters[name] { return c }
            let c = CoverageCounter(name: name)
            counters[name] = c
            order.append(name)
            return c
        }
    }

    /// Whether a counter named `name` exists.
    public func isDefined(_ name: String) -> Bool { lock.withLock { counters[name] != nil } }

    /// Counts one event of `name`.
    public func increment(_ name: String, by n: UInt64 = 1) { counter(name).increment(by: n) }

    /// Declares counters, so that they count among those never hit.
    public func define(_ names: [String]) { for n in names { _ = counter(n) } }

    /// Takes a sample if `interval` seconds passed since the last one
    /// (`coverage_run`). `now` is in milliseconds of a monotonic clock.
    public func run(now: UInt64 = Coverage.monotonicMilliseconds) {
        lock.withLock {
            if nextSample == 0 { nextSample = now + UInt64(Self.interval * 1000) }
            while now >= nextSample {
                sampleLocked()
                nextSample += UInt64(Self.interval * 1000)
            }
        }
    }

    private func sampleLocked() {
        let slot = samples % Self.minuteSlots
        for (name, c) in counters {
            let total = c.total
            let delta = total &- (lastTotals[name] ?? 0)
            lastTotals[name] = total
            var m = minute[name] ?? Array(repeating: 0, count: Self.minuteSlots)
            m[slot] = delta
            minute[name] = m
            if slot == Self.minuteSlots - 1 {
                var h = hour[name] ?? Array(repeating: 0, count: Self.hourSlots)
                h[(samples / Self.minuteSlots) % Self.hourSlots] = m.reduce(0, &+)
                hour[name] = h
            }
        }
        samples += 1
    }

    /// `coverage/show`: a header with a fingerprint of which counters were
    /// hit, one line per counter hit (rates over the last 5 s, minute and
    /// hour, then the total), and the number never hit.
    public func showText() -> String {
        lock.withLock {
            let totals = order.map { ($0, counters[$0]!.total) }
            var out = "Event coverage, avg rate over last: \(Self.interval) seconds, last minute, last hour,  hash="
                + Self.hex8(Self.fingerprint(totals)) + ":\n"
            var neverHit = 0
            let lastSlot = (samples + Self.minuteSlots - 1) % Self.minuteSlots
            for (name, total) in totals {
                guard total > 0 else {
                    neverHit += 1
                    continue
                }
                let m = minute[name] ?? []
                let h = hour[name] ?? []
                let last = samples > 0 && !m.isEmpty ? Double(m[lastSlot]) / Double(Self.interval) : 0
                let perMinute = Double(m.reduce(0, &+)) / 60
                let perHour = Double(h.reduce(0, &+)) / 3600
                out += name.padding(to: 24) + " " + cFormat("%5.1f/sec %9.3f/sec %13.4f/sec   total: %llu\n",
                                                                last, perMinute, perHour, total)
            }
            out += "\(neverHit) events never hit\n"
            return out
        }
    }

    /// Changes when the set of counters hit, or their ranking by total,
    /// changes (Open vSwitch hashes the same facts with its own hash; this
    /// is FNV-1a, so the value differs from Open vSwitch's).
    static func fingerprint(_ totals: [(String, UInt64)]) -> UInt32 {
        let hit = totals.filter { $0.1 > 0 }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var h: UInt32 = 2_166_136_261
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 } }
        var rank = 0
        var previous: UInt64?
        for (name, total) in hit {
            if total != previous { mix(withUnsafeBytes(of: UInt32(rank).littleEndian) { Array($0) }) }
            previous = total
            rank += 1
            mix(name.utf8)
        }
        return h
    }

    static func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// Milliseconds of `CLOCK_MONOTONIC`.
    public static var monotonicMilliseconds: UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1000 + UInt64(t.tv_nsec) / 1_000_000
    }
}

/// `snprintf` with C's format rules, for numbers in column layouts copied
/// from Open vSwitch (no strings: those are padded in Swift).
func cFormat(_ format: String, _ arguments: any CVarArg...) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let n = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    guard n > 0 else { return "" }
    return String(decoding: buffer.prefix(min(Int(n), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// What parts of the process use (`memory/show`): each reporter adds
/// `name:value` pairs, printed sorted by name on one line.
public final class MemoryReport: @unchecked Sendable {
    public static let shared = MemoryReport()
    public typealias Reporter = @Sendable () -> [(String, Int)]
    private let lock = UnixctlLock()
    private var reporters: [Reporter] = []

    public init() {}

    public func register(_ reporter: @escaping Reporter) { lock.withLock { reporters.append(reporter) } }

    /// `memory/show`: `a:1 b:2` (pairs sorted by name).
    public func showText() -> String {
        let all = lock.withLock { reporters }
        var pairs: [(String, Int)] = []
        for r in all { pairs += r() }
        pairs.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        return pairs.map { "\($0.0):\($0.1)" }.joined(separator: " ")
    }
}
