/// Packets and bytes that matched a flow or passed a meter band
/// (`struct ovs_flow_stats`).
public struct FlowStats: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// A datapath's lookup counters (`struct ovs_dp_stats`).
public struct DatapathStats: Hashable, Sendable {
    /// Packets that matched a flow.
    public var hit: UInt64
    /// Packets that matched no flow and went up as upcalls.
    public var missed: UInt64
    /// Misses that could not be queued for the slow path.
    public var lost: UInt64
    /// Flows in the datapath now.
    public var flows: UInt64
    public init(hit: UInt64 = 0, missed: UInt64 = 0, lost: UInt64 = 0, flows: UInt64 = 0) {
        self.hit = hit
        self.missed = missed
        self.lost = lost
        self.flows = flows
    }
}

/// The megaflow classifier's counters (`struct ovs_dp_megaflow_stats`).
public struct MegaflowStats: Hashable, Sendable {
    /// Masks visited over all lookups.
    public var maskHits: UInt64
    /// Masks in the classifier now.
    public var masks: UInt32
    /// Lookups answered by the mask cache.
    public var cacheHits: UInt64
    public init(maskHits: UInt64 = 0, masks: UInt32 = 0, cacheHits: UInt64 = 0) {
        self.maskHits = maskHits
        self.masks = masks
        self.cacheHits = cacheHits
    }
}

/// A meter's number inside a datapath.
public struct MeterID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}
