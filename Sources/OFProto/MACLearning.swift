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

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion/refresh order for LRU eviction and `fdb/show` (oldest first).
        var order: [Key] = []
        var agingTime: Double = 300
        var maxEntries = 8192
        var moved = 0
        var learned = 0
        var evicted = 0
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
            while $0.entries.count > $0.maxEntries, let k = $0.order.first {
                $0.order.removeFirst()
                $0.entries[k] = nil
                $0.evicted += 1
            }
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
            if var e = s.entries[key], now - e.refreshed < s.agingTime {
                let moved = e.port != port
                e.port = port
                e.refreshed = now
                s.entries[key] = e
                if let i = s.order.firstIndex(of: key) { s.order.remove(at: i) }
                s.order.append(key)
                if moved { s.moved += 1 }
                return moved
            }
            if s.entries[key] != nil, let i = s.order.firstIndex(of: key) {
                s.order.remove(at: i)       // expired entry: learn afresh
            }
            while s.entries.count >= s.maxEntries, let k = s.order.first {
                s.order.removeFirst()
                if s.entries[k] != nil { s.entries[k] = nil; s.evicted += 1 }
            }
            s.entries[key] = Entry(mac: mac, vlan: vlan, port: port, refreshed: now)
            s.order.append(key)
            s.learned += 1
            return true
        }
    }

    /// The port `mac` was learned on in `vlan`, if the entry has not aged out.
    public func lookup(_ mac: EthernetAddress, vlan: UInt16) -> String? {
        if mac.isMulticast { return nil }
        let now = clock()
        return state.withLock { s in
            guard let e = s.entries[Key(mac: mac.rawValue, vlan: vlan)], now - e.refreshed < s.agingTime else { return nil }
            return e.port
        }
    }

    /// Removes aged entries; returns how many.
    @discardableResult
    public func expire() -> Int {
        let now = clock()
        return state.withLock { s in
            let old = s.order.filter { k in s.entries[k].map { now - $0.refreshed >= s.agingTime } ?? true }
            for k in old { s.entries[k] = nil }
            if !old.isEmpty { s.order.removeAll { s.entries[$0] == nil } }
            return old.count
        }
    }

    /// Removes every entry (`fdb/flush`), or those of `port`.
    public func flush(port: String? = nil) {
        state.withLock { s in
            if let port {
                s.entries = s.entries.filter { $0.value.port != port }
                s.order.removeAll { s.entries[$0] == nil }
            } else {
                s.entries = [:]
                s.order = []
            }
        }
    }

    /// Live entries, oldest first.
    public var entries: [Entry] {
        let now = clock()
        return state.withLock { s in
            s.order.compactMap { s.entries[$0] }.filter { now - $0.refreshed < s.agingTime }
        }
    }

    /// Seconds since `entry` was refreshed.
    public func age(of entry: Entry) -> Int { Int(clock() - entry.refreshed) }

    /// Counters: learned, moved, evicted.
    public var statistics: (learned: Int, moved: Int, evicted: Int) {
        state.withLock { ($0.learned, $0.moved, $0.evicted) }
    }
}

extension ContinuousClock.Instant {
    /// A fixed origin for `monotonicSeconds` (the process's first use).
    static let zeroish = ContinuousClock.now
}
