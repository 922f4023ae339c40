import Flow
import Synchronization
import Wire

/// A bridge's MAC learning table (OVS's `lib/mac-learning.c`): which port a
/// source MAC was last seen on, per VLAN, with aging and a size limit
/// (the least recently learned entry goes first when the table is full).
///
/// Ports are kept by name, so an entry survives a reconfiguration that
/// keeps its port. Thread-safe: handlers learn and look up concurrently.
public final class MACLearningTable: @unchecked Sendable {
    /// One learned address.
    public struct Entry: Sendable, Hashable {
        public var mac: EthernetAddress
        public var vlan: UInt16
        /// The port's name.
        public var port: String
        /// When the entry was last refreshed (seconds of the table's clock).
        public var refreshed: Double
    }

    private struct Key: Hashable {
        var mac: UInt64
        var vlan: UInt16
    }

    private struct Slot {
        var entry: Entry
        /// Refresh order (higher: more recent), for eviction and `fdb/show`.
        var sequence: UInt64
    }

    private struct State {
        var entries: [Key: Slot] = [:]
        var sequence: UInt64 = 0
        var agingTime: Double = 300
        var maxEntries = 8192
        var moved = 0
        var learned = 0
        var evicted = 0
        var expired = 0

        /// Removes the least recently refreshed entry.
        mutating func evictOldest() {
            guard let oldest = entries.min(by: { $0.value.sequence < $1.value.sequence })?.key else { return }
            entries[oldest] = nil
            evicted += 1
        }
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> Double

    /// `clock` returns seconds (monotonic); tests pass their own.
    public init(agingTime: Int = 300, maxEntries: Int = 8192,
                clock: @escaping @Sendable () -> Double = MACLearningTable.monotonicSeconds) {
        self.clock = clock
        state.withLock {
            $0.agingTime = Double(agingTime)
            $0.maxEntries = max(1, maxEntries)
        }
    }

    /// Seconds of the monotonic clock.
    public static func monotonicSeconds() -> Double {
        let d = ContinuousClock.now - ContinuousClock.Instant.zeroish
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }

    /// Changes the aging time and the size limit.
    public func configure(agingTime: Int, maxEntries: Int) {
        state.withLock {
            $0.agingTime = Double(agingTime)
            $0.maxEntries = max(1, maxEntries)
            while $0.entries.count > $0.maxEntries { $0.evictOldest() }
        }
    }

    /// Learns that `mac` is on `port` in `vlan`. Returns true if the table
    /// changed (new entry or a move), as `mac_learning_update`.
    @discardableResult
    public func learn(_ mac: EthernetAddress, vlan: UInt16, port: String) -> Bool {
        if mac.isMulticast { return false }
        let now = clock()
        let key = Key(mac: mac.rawValue, vlan: vlan)
        return state.withLock { s in
            s.sequence &+= 1
            if var slot = s.entries[key], now - slot.entry.refreshed < s.agingTime {
                let moved = slot.entry.port != port
                // As OVS, an entry is refreshed at most once per second of
                // its (whole-second) clock.
                if !moved && Int(now) == Int(slot.entry.refreshed) { return false }
                if moved { slot.entry.port = port }
                slot.entry.refreshed = now
                slot.sequence = s.sequence
                s.entries[key] = slot
                if moved { s.moved += 1 }
                return moved
            }
            if s.entries[key] == nil {
                while s.entries.count >= s.maxEntries { s.evictOldest() }
            }
            s.entries[key] = Slot(entry: Entry(mac: mac, vlan: vlan, port: port, refreshed: now), sequence: s.sequence)
            s.learned += 1
            return true
        }
    }

    /// The port `mac` was learned on in `vlan`, if the entry has not aged out.
    public func lookup(_ mac: EthernetAddress, vlan: UInt16) -> String? {
        if mac.isMulticast { return nil }
        let now = clock()
        return state.withLock { s in
            guard let slot = s.entries[Key(mac: mac.rawValue, vlan: vlan)], now - slot.entry.refreshed < s.agingTime
            else { return nil }
            return slot.entry.port
        }
    }

    /// Removes aged entries; returns how many.
    @discardableResult
    public func expire() -> Int {
        let now = clock()
        return state.withLock { s in
            let before = s.entries.count
            s.entries = s.entries.filter { now - $0.value.entry.refreshed < s.agingTime }
            s.expired += before - s.entries.count
            return before - s.entries.count
        }
    }

    /// Removes every entry (`fdb/flush`), or those of `port`.
    public func flush(port: String? = nil) {
        state.withLock { s in
            let before = s.entries.count
            if let port {
                s.entries = s.entries.filter { $0.value.entry.port != port }
            } else {
                s.entries = [:]
            }
            s.expired += before - s.entries.count
        }
    }

    /// Live entries, oldest first.
    public var entries: [Entry] {
        let now = clock()
        return state.withLock { s in
            s.entries.values.sorted { $0.sequence < $1.sequence }.map(\.entry).filter { now - $0.refreshed < s.agingTime }
        }
    }

    /// Seconds since `entry` was refreshed.
    public func age(of entry: Entry) -> Int { Int(clock() - entry.refreshed) }

    /// Counters: learned, moved, evicted (table full), expired (aged out).
    public var statistics: (learned: Int, moved: Int, evicted: Int, expired: Int) {
        state.withLock { ($0.learned, $0.moved, $0.evicted, $0.expired) }
    }
}

extension ContinuousClock.Instant {
    /// A fixed origin for `monotonicSeconds` (the process's first use).
    static let zeroish = ContinuousClock.now
}
