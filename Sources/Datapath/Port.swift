import Flow

/// A port's device type, the `type` column of the Interface table
/// (`system`, `internal`, `dummy`...). Every string is valid; a
/// `PortTypeRegistry` decides which ones can be made.
public struct PortType: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    /// A Linux network device, reached through AF_PACKET.
    public static let system = PortType(rawValue: "system")
    /// The datapath's own device (a TAP), like the local port.
    public static let `internal` = PortType(rawValue: "internal")
    /// An in-memory device for tests (`lib/netdev-dummy.c`).
    public static let dummy = PortType(rawValue: "dummy")
    /// An in-memory device standing in for `internal` in tests.
    public static let dummyInternal = PortType(rawValue: "dummy-internal")

    public var description: String { rawValue }
}

/// Per-port counters, the fields of `struct ovs_vport_stats`.
public struct PortStats: Hashable, Sendable {
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var rxBytes: UInt64
    public var txBytes: UInt64
    public var rxErrors: UInt64
    public var txErrors: UInt64
    public var rxDropped: UInt64
    public var txDropped: UInt64

    public init(rxPackets: UInt64 = 0, txPackets: UInt64 = 0, rxBytes: UInt64 = 0, txBytes: UInt64 = 0,
                rxErrors: UInt64 = 0, txErrors: UInt64 = 0, rxDropped: UInt64 = 0, txDropped: UInt64 = 0) {
        self.rxPackets = rxPackets
        self.txPackets = txPackets
        self.rxBytes = rxBytes
        self.txBytes = txBytes
        self.rxErrors = rxErrors
        self.txErrors = txErrors
        self.rxDropped = rxDropped
        self.txDropped = txDropped
    }
}

/// Why a port could not be made, found, or used.
public enum PortError: Error, Hashable, Sendable {
    /// No factory is registered for this type.
    case unsupportedType(PortType)
    /// An option has a value the port type does not accept.
    case badOption(name: String, value: String)
    /// The name is empty or too long.
    case invalidName(String)
    /// Another port already has this name.
    case nameInUse(String)
    /// Another port already has this number.
    case numberInUse(DatapathPort)
    /// Every port number is taken.
    case tableFull
    /// No port with this number or name.
    case noSuchPort(String)
    /// The local port lives and dies with its datapath.
    case cannotRemoveLocalPort
    /// The device is closed or gone.
    case closed
    /// A system call failed with this `errno`.
    case system(errno: Int32)
    /// A file could not be read or written (pcap options).
    case file(path: String, errno: Int32)
    /// A capture file could not be parsed.
    case badCapture(path: String)
}

/// What a port is made from: the Interface row's name, type and options,
/// and the port number it asked for (`ofport_request` mapped to the datapath).
public struct PortConfiguration: Hashable, Sendable {
    public var name: String
    public var type: PortType
    public var requestedNumber: DatapathPort?
    public var options: [String: String]

    public init(name: String, type: PortType, requestedNumber: DatapathPort? = nil,
                options: [String: String] = [:]) {
        self.name = name
        self.type = type
        self.requestedNumber = requestedNumber
        self.options = options
    }
}

/// A device that moves frames in bursts: one vport of a datapath.
///
/// Contracts (what `lib/netdev-provider.h` says in prose):
/// - `receive` never blocks; it appends at most `batch.remainingCapacity`
///   frames, taking buffers from `pool`, sets each packet's
///   `metadata.inPort` to `number`, and returns how many it appended
///   (0 when nothing waits).
/// - `send` takes the batch: afterwards the port owns every packet, sent or
///   not, and returns the buffers to `pool`. Packets it could not send are
///   counted in `stats.txDropped`/`txErrors`, not thrown back.
/// - Both are called by one thread at a time per port.
public protocol Port: AnyObject {
    /// The device's name (the Interface name; the datapath's name for port 0).
    var name: String { get }
    var type: PortType { get }
    /// The port's number in its datapath, fixed at creation.
    var number: DatapathPort { get }
    /// Counters since the port was made.
    var stats: PortStats { get }

    /// Appends received frames to `batch` without blocking; returns how many.
    func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int
    /// Transmits every packet in `batch`, then recycles them into `pool`.
    func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError)
    /// True if `send` takes packets whose checksum is still partial
    /// (`PacketMetadata.checksumPartial`); the datapath completes them for
    /// ports that do not (the default).
    var acceptsPartialChecksums: Bool { get }
}

extension Port {
    public var acceptsPartialChecksums: Bool { false }
}

/// Makes ports of one type: given the configuration and the number the
/// table chose, returns the port or a `PortError`.
public typealias PortFactory = @Sendable (PortConfiguration, DatapathPort) throws(PortError) -> any Port

/// The port types a datapath can make, by name, so new device kinds
/// (`system`, `internal`, AF_XDP) plug in without the datapath knowing them.
/// `NetDevices` provides the registry with its types filled in.
public struct PortTypeRegistry: Sendable {
    private var factories: [PortType: PortFactory] = [:]

    /// An empty registry.
    public init() {}

    /// Registers (or replaces) the factory for `type`.
    public mutating func register(_ type: PortType, _ factory: @escaping PortFactory) {
        factories[type] = factory
    }

    /// The registered types, sorted by name.
    public var types: [PortType] { factories.keys.sorted { $0.rawValue < $1.rawValue } }

    /// True when `type` can be made.
    public func supports(_ type: PortType) -> Bool { factories[type] != nil }

    /// Makes a port of `configuration.type` with number `number`.
    public func makePort(_ configuration: PortConfiguration,
                         number: DatapathPort) throws(PortError) -> any Port {
        guard let factory = factories[configuration.type] else {
            throw .unsupportedType(configuration.type)
        }
        return try factory(configuration, number)
    }
}
