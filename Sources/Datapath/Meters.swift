import Synchronization

/// One band of a datapath meter as configured: packets over `rate` are
/// dropped (the only band type the user-space datapath has, as in
/// `dpif-netdev`).
public struct DatapathMeterBand: Hashable, Sendable {
    /// Kilobits per second, or packets per second.
    public var rate: UInt32
    /// Kilobits, or packets; 0 means `rate`.
    public var burst: UInt32
    public init(rate: UInt32, burst: UInt32) {
        self.rate = rate
        self.burst = burst
    }
}

/// A meter's configuration: its unit and bands.
public struct DatapathMeterConfig: Hashable, Sendable {
    /// Rates in kbit/s (else packets/s).
    public var kilobits: Bool
    public var bands: [DatapathMeterBand]
    public init(kilobits: Bool, bands: [DatapathMeterBand]) {
        self.kilobits = kilobits
        self.bands = bands
    }
}

/// What a meter has seen: packets and bytes in, and per band the packets
/// and bytes it dropped.
public struct DatapathMeterStats: Hashable, Sendable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var bands: [FlowStats] = []
    /// When the meter last saw a packet (datapath clock, ms; 0: never).
    public var usedMilliseconds: UInt64 = 0
    public init() {}
}

/// Why a meter could not be set (`dpif_meter_set`'s errors).
public enum DatapathMeterError: Error, Hashable, Sendable {
    /// The id is beyond `DatapathMeters.maximumMeters` (EFBIG).
    case idOutOfRange
    /// More than `maximumBands` bands (EINVAL).
    case tooManyBands
    /// A band's rate is 0 (EDOM).
    case zeroRate
}

/// The meters of one datapath, shared by its poll threads (OVS's
/// `dp_netdev_run_meter`): token buckets per band, refilled at the band's
/// rate up to its burst. A packet the buckets cannot pay for is dropped by
/// the band with the highest rate it exceeds.
///
/// One lock guards the table: a packet's metering is a dictionary lookup
/// and a few integer operations under it, with no allocation.
public final class DatapathMeters: @unchecked Sendable {
    /// `MAX_METERS` of dpif-netdev.
    public static let maximumMeters: UInt32 = 1 << 18
    /// `MAX_BANDS` of dpif-netdev.
    public static let maximumBands: UInt32 = 8

    /// A band's bucket, in thousandths of a packet or in bits.
    struct Band {
        var rate: UInt64
        /// The bucket's size (burst × 1000).
        var capacity: UInt64
        var tokens: UInt64
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
    }

    struct Meter {
        var kilobits: Bool
        var bands: [Band]
        /// Last refill, datapath clock milliseconds.
        var refilled: UInt64
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
        var used: UInt64 = 0

        init(_ config: DatapathMeterConfig, now: UInt64) {
            kilobits = config.kilobits
            bands = config.bands.map { b in
                let burst = UInt64(b.burst == 0 ? b.rate : b.burst) &* 1000
                // Start with a full bucket.
                return Band(rate: UInt64(b.rate), capacity: burst, tokens: burst)
            }
            refilled = now
        }

        /// Meters one packet of `size` bytes at `now`: true if it passes.
        mutating func apply(size: Int, now: UInt64) -> Bool {
            let elapsed = now > refilled ? now &- refilled : 0
            refilled = max(refilled, now)
            packets &+= 1
            bytes &+= UInt64(size)
            used = now
            let cost: UInt64 = kilobits ? UInt64(size) &* 8 : 1000
            var exceeded = -1
            var exceededRate: UInt64 = 0
            for i in bands.indices {
                // Tokens come at `rate` per millisecond (kbit/s = bit/ms,
                // packet/s = milli-packet/ms).
                let refill = elapsed &* bands[i].rate
                bands[i].tokens = min(bands[i].capacity, bands[i].tokens &+ refill)
                if bands[i].tokens >= cost {
                    bands[i].tokens &-= cost
                } else if bands[i].rate > exceededRate || exceeded < 0 {
                    exceeded = i
                    exceededRate = bands[i].rate
                }
            }
            guard exceeded >= 0 else { return true }
            bands[exceeded].packets &+= 1
            bands[exceeded].bytes &+= UInt64(size)
            return false
        }
    }

    private let table = Mutex<[UInt32: Meter]>([:])

    public init() {}

    /// Creates or replaces meter `id` (counters start again).
    public func set(_ id: MeterID, _ config: DatapathMeterConfig, now: UInt64 = DatapathClock.milliseconds)
        throws(DatapathMeterError) {
        guard id.rawValue < Self.maximumMeters else { throw .idOutOfRange }
        guard config.bands.count <= Int(Self.maximumBands) else { throw .tooManyBands }
        guard config.bands.allSatisfy({ $0.rate > 0 }) else { throw .zeroRate }
        let meter = Meter(config, now: now)
        table.withLock { $0[id.rawValue] = meter }
    }

    /// Removes meter `id`; returns its last counters, nil if there was none.
    @discardableResult
    public func delete(_ id: MeterID) -> DatapathMeterStats? {
        table.withLock { $0.removeValue(forKey: id.rawValue) }.map(Self.stats)
    }

    /// Meter `id`'s counters, nil if there is none.
    public func stats(_ id: MeterID) -> DatapathMeterStats? {
        table.withLock { $0[id.rawValue] }.map(Self.stats)
    }

    /// The ids of every meter.
    public var ids: [MeterID] { table.withLock { $0.keys.sorted().map { MeterID($0) } } }

    /// The configuration of meter `id` as set.
    public func config(_ id: MeterID) -> DatapathMeterConfig? {
        table.withLock { $0[id.rawValue] }.map { m in
            DatapathMeterConfig(kilobits: m.kilobits,
                                bands: m.bands.map { DatapathMeterBand(rate: UInt32($0.rate), burst: UInt32($0.capacity / 1000)) })
        }
    }

    private static func stats(_ m: Meter) -> DatapathMeterStats {
        var s = DatapathMeterStats()
        s.packets = m.packets
        s.bytes = m.bytes
        s.bands = m.bands.map { FlowStats(packets: $0.packets, bytes: $0.bytes) }
        s.usedMilliseconds = m.used
        return s
    }

    /// Meters one packet of `size` bytes through meter `id` at `now`
    /// (datapath clock, ms): true if it may go on. A missing meter passes
    /// everything, as in OVS.
    @inlinable
    public func admit(_ id: MeterID, size: Int, now: UInt64 = DatapathClock.milliseconds) -> Bool {
        admitLocked(id.rawValue, size: size, now: now)
    }

    @usableFromInline
    func admitLocked(_ id: UInt32, size: Int, now: UInt64) -> Bool {
        table.withLock { t in t[id]?.apply(size: size, now: now) ?? true }
    }
}
