import DPIF
import Datapath
import Synchronization

// OpenFlow meters (OVS's ofproto meters over `dpif_meter_set/get/del`):
// each bridge keeps its OpenFlow meters; each one is a meter of the
// bridge's datapath, whose id the datapath's bridges share out from 0.

/// A meter band as OpenFlow configures it (`struct ofputil_meter_band`).
public struct OFMeterBand: Sendable, Hashable {
    /// `OFPMBT13_DROP`.
    public static let drop: UInt16 = 1
    /// `OFPMBT13_DSCP_REMARK`.
    public static let dscpRemark: UInt16 = 2

    public var type: UInt16
    public var rate: UInt32
    public var burst: UInt32
    /// For `dscp_remark`: how much to raise the drop precedence.
    public var precLevel: UInt8

    public init(type: UInt16, rate: UInt32, burst: UInt32, precLevel: UInt8 = 0) {
        self.type = type
        self.rate = rate
        self.burst = burst
        self.precLevel = precLevel
    }
}

/// A meter as OpenFlow configures it.
public struct OFMeter: Sendable, Hashable {
    /// `OFPM13_MAX`, the last ordinary meter id.
    public static let maxID: UInt32 = 0xffff_0000
    /// `OFPM13_SLOWPATH`, `OFPM13_CONTROLLER`, `OFPM13_ALL`.
    public static let slowPathID: UInt32 = 0xffff_fffd
    public static let controllerID: UInt32 = 0xffff_fffe
    public static let allID: UInt32 = 0xffff_ffff

    /// `OFPMF13_KBPS`, `_PKTPS`, `_BURST`, `_STATS`.
    public static let kbps: UInt16 = 1, pktps: UInt16 = 2, burstFlag: UInt16 = 4, statsFlag: UInt16 = 8

    public var id: UInt32
    public var flags: UInt16
    public var bands: [OFMeterBand]

    public init(id: UInt32, flags: UInt16, bands: [OFMeterBand]) {
        self.id = id
        self.flags = flags
        self.bands = bands
    }
}

/// A meter of the table: its configuration, datapath meter and age.
public struct OFMeterEntry: Sendable {
    public var meter: OFMeter
    /// The datapath meter that enforces it.
    public let datapathID: MeterID
    /// When it was added (`OFProtoBridge.now()`).
    public let created: Duration
}

/// Why a meter-mod failed (the `OFPMMFC_*` errors).
public enum OFMeterModError: Error, Sendable, Hashable {
    case meterExists, invalidMeter, unknownMeter, badFlags, badRate, badBand, outOfMeters, outOfBands
}

/// What `meter-features` reports for the user-space datapath (dpif-netdev's).
public enum OFMeterFeatures {
    public static let maxMeters = DatapathMeters.maximumMeters
    /// `1 << OFPMBT13_DROP`.
    public static let bandTypes: UInt32 = 1 << 1
    /// KBPS, PKTPS, BURST, STATS.
    public static let capabilities: UInt32 = 0xf
    public static let maxBands = UInt8(DatapathMeters.maximumBands)
}

/// The datapath meter ids of each datapath, given out lowest first
/// (OVS's per-backer `meter_ids` pool).
enum DatapathMeterIDs {
    private static let used = Mutex<[String: Set<UInt32>]>([:])

    static func allocate(_ datapath: String) -> MeterID? {
        used.withLock { u in
            var ids = u[datapath] ?? []
            var id: UInt32 = 0
            while ids.contains(id) { id += 1 }
            guard id < DatapathMeters.maximumMeters else { return nil }
            ids.insert(id)
            u[datapath] = ids
            return MeterID(id)
        }
    }

    static func release(_ datapath: String, _ id: MeterID) {
        _ = used.withLock { $0[datapath]?.remove(id.rawValue) }
    }
}

/// One bridge's meter table. Every change goes to the datapath through
/// `datapath` when the daemon set it (not in offline traces and tests).
public final class OFMeterTable: @unchecked Sendable {
    let datapathName: String
    private let state = Mutex<[UInt32: OFMeterEntry]>([:])
    private let access = Mutex<(any DatapathAccess)?>(nil)

    init(datapathName: String) { self.datapathName = datapathName }

    /// Where meters are set: the daemon's datapaths.
    public func attach(_ datapaths: any DatapathAccess) { access.withLock { $0 = datapaths } }

    /// Meter `id`, if any.
    public func entry(_ id: UInt32) -> OFMeterEntry? { state.withLock { $0[id] } }
    /// Every meter, by id.
    public var all: [OFMeterEntry] { state.withLock { Array($0.values) }.sorted { $0.meter.id < $1.meter.id } }

    /// `ofproto-dpif`'s `meter_set` checks, as dpif-netdev answers them.
    /// The checks of ofproto's `handle_meter_mod`, made before it looks
    /// the meter up.
    static func validateID(_ m: OFMeter) throws(OFMeterModError) {
        if m.id == 0 || (m.id > OFMeter.maxID && m.id != OFMeter.slowPathID && m.id != OFMeter.controllerID) {
            throw .invalidMeter
        }
        if m.bands.count > Int(DatapathMeters.maximumBands) { throw .outOfBands }
    }

    /// The checks of `dpif_meter_set` and dpif-netdev's `meter_set`, in their order.
    static func validate(_ m: OFMeter) throws(OFMeterModError) {
        let units = m.flags & (OFMeter.kbps | OFMeter.pktps)
        if units == 0 || units == OFMeter.kbps | OFMeter.pktps { throw .badFlags }
        if m.bands.isEmpty { throw .outOfBands }
        if m.bands.contains(where: { $0.rate == 0 }) { throw .badRate }
        if m.flags & ~UInt16(OFMeterFeatures.capabilities) != 0 { throw .badFlags }
        if m.bands.contains(where: { $0.type != OFMeterBand.drop }) { throw .badBand }
    }

    /// The meter as dpif-netdev leaves it: a band without a burst gets its rate.
    static func filled(_ m: OFMeter) -> OFMeter {
        var m = m
        for i in m.bands.indices where m.bands[i].burst == 0 { m.bands[i].burst = m.bands[i].rate }
        return m
    }

    private func program(_ m: OFMeter, _ id: MeterID) {
        let request = MeterRequest(command: .set, datapathIndex: 0, meterID: id,
                                   flags: m.flags & OFMeter.pktps != 0 ? [] : .kilobitsPerSecond,
                                   bands: m.bands.map { MeterBand(type: .drop, rate: $0.rate, burst: $0.burst) })
        let a = access.withLock { $0 }
        _ = a?.withDatapath(named: datapathName) { dpif in try? dpif.meter(request) }
    }

    /// `OFPMC13_ADD`.
    public func add(_ m: OFMeter, now: Duration) throws(OFMeterModError) {
        try Self.validateID(m)
        let m = Self.filled(m)
        let id = try state.withLock { (t) throws(OFMeterModError) -> MeterID in
            guard t[m.id] == nil else { throw .meterExists }
            try Self.validate(m)
            guard let id = DatapathMeterIDs.allocate(datapathName) else { throw .outOfMeters }
            t[m.id] = OFMeterEntry(meter: m, datapathID: id, created: now)
            return id
        }
        program(m, id)
    }

    /// `OFPMC13_MODIFY`.
    public func modify(_ m: OFMeter) throws(OFMeterModError) {
        try Self.validateID(m)
        let m = Self.filled(m)
        let id = try state.withLock { (t) throws(OFMeterModError) -> MeterID in
            guard let e = t[m.id] else { throw .unknownMeter }
            try Self.validate(m)
            t[m.id] = OFMeterEntry(meter: m, datapathID: e.datapathID, created: e.created)
            return e.datapathID
        }
        program(m, id)
    }

    /// `OFPMC13_DELETE` of meter `id` (`OFMeter.allID`: every meter);
    /// returns the OpenFlow ids deleted.
    @discardableResult
    public func delete(_ id: UInt32) -> [UInt32] {
        let gone = state.withLock { t -> [OFMeterEntry] in
            if id == OFMeter.allID {
                defer { t = [:] }
                return Array(t.values)
            }
            return t.removeValue(forKey: id).map { [$0] } ?? []
        }
        let a = access.withLock { $0 }
        for e in gone {
            _ = a?.withDatapath(named: datapathName) { dpif in
                try? dpif.meter(MeterRequest(command: .delete, datapathIndex: 0, meterID: e.datapathID))
            }
            DatapathMeterIDs.release(datapathName, e.datapathID)
        }
        return gone.map(\.meter.id)
    }

    /// The datapath's counters of meter `e` (zeros when no datapath is attached).
    public func stats(_ e: OFMeterEntry) -> DatapathMeterStats {
        let a = access.withLock { $0 }
        let reply = a?.withDatapath(named: datapathName) { dpif in
            try? dpif.meter(MeterRequest(command: .get, datapathIndex: 0, meterID: e.datapathID))
        }
        var s = DatapathMeterStats()
        s.bands = Array(repeating: FlowStats(), count: e.meter.bands.count)
        if let r = reply??.first {
            s.packets = r.stats?.packets ?? 0
            s.bytes = r.stats?.bytes ?? 0
            for (i, b) in (r.bands ?? []).enumerated() where i < s.bands.count { s.bands[i] = b.stats ?? FlowStats() }
        }
        return s
    }
}
