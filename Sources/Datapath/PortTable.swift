import Flow

/// The ports of one datapath, by number and by name.
///
/// Port 0 is the local port: it is made with the table, carries the
/// datapath's name, and cannot be removed (as `OVS_DP_CMD_NEW` creates it
/// in the seeds). New ports get the number they ask for or the lowest
/// free one from 1.
///
/// A value type: copying the table is how a poll thread gets a snapshot
/// that later changes do not disturb (the ports themselves are shared).
public struct PortTable {
    /// The highest port number the table hands out.
    public static let maximumNumber = DatapathPort(rawValue: 0xfffe)
    /// The longest port name the table accepts, in UTF-8 bytes (device
    /// types may be stricter: Linux interfaces allow 15).
    public static let maximumNameLength = 255

    /// The datapath's name, which is also the local port's name.
    public let datapathName: String
    private var byNumber: [DatapathPort: any Port] = [:]
    private var byName: [String: DatapathPort] = [:]

    /// Makes the table and its local port, number 0, named `datapathName`,
    /// of type `localType` from `registry`.
    public init(datapathName: String, localType: PortType = .internal,
                registry: PortTypeRegistry) throws(PortError) {
        try Self.validate(name: datapathName)
        self.datapathName = datapathName
        let local = try registry.makePort(
            PortConfiguration(name: datapathName, type: localType, requestedNumber: .local),
            number: .local)
        try insert(local)
    }

    /// Makes the table around an already made local port, which must be
    /// number 0 and carry the datapath's name.
    public init(localPort: any Port) throws(PortError) {
        try Self.validate(name: localPort.name)
        guard localPort.number == .local else { throw .numberInUse(localPort.number) }
        datapathName = localPort.name
        try insert(localPort)
    }

    private static func validate(name: String) throws(PortError) {
        guard !name.isEmpty, name.utf8.count <= maximumNameLength, !name.utf8.contains(0) else {
            throw .invalidName(name)
        }
    }

    /// The local port.
    public var local: any Port { byNumber[.local]! }

    /// Ports in the table, the local port included.
    public var count: Int { byNumber.count }

    /// Every port, by ascending number.
    public var ports: [any Port] {
        byNumber.keys.sorted().map { byNumber[$0]! }
    }

    /// The port with `number`, if any.
    @inlinable public subscript(number: DatapathPort) -> (any Port)? { port(number: number) }

    /// The port with `number`, if any.
    public func port(number: DatapathPort) -> (any Port)? { byNumber[number] }

    /// The port named `name`, if any.
    public func port(named name: String) -> (any Port)? {
        byName[name].flatMap { byNumber[$0] }
    }

    /// The number of the port named `name`, if any.
    public func number(named name: String) -> DatapathPort? { byName[name] }

    /// The lowest unused number from 1, `nil` when every number is taken.
    public func nextFreeNumber() -> DatapathPort? {
        var n: UInt32 = 1
        while n <= Self.maximumNumber.rawValue {
            if byNumber[DatapathPort(n)] == nil { return DatapathPort(n) }
            n += 1
        }
        return nil
    }

    /// Makes a port from `configuration` through `registry` and adds it.
    /// The port gets its requested number or the lowest free one.
    @discardableResult
    public mutating func add(_ configuration: PortConfiguration,
                             registry: PortTypeRegistry) throws(PortError) -> any Port {
        try Self.validate(name: configuration.name)
        guard byName[configuration.name] == nil else { throw .nameInUse(configuration.name) }
        let number: DatapathPort
        if let requested = configuration.requestedNumber {
            guard requested != .local, requested <= Self.maximumNumber, byNumber[requested] == nil else {
                throw .numberInUse(requested)
            }
            number = requested
        } else {
            guard let free = nextFreeNumber() else { throw .tableFull }
            number = free
        }
        let port = try registry.makePort(configuration, number: number)
        try insert(port)
        return port
    }

    /// Adds a port that was made elsewhere with its number already chosen.
    public mutating func add(_ port: any Port) throws(PortError) {
        guard port.number != .local else { throw .numberInUse(.local) }
        try insert(port)
    }

    private mutating func insert(_ port: any Port) throws(PortError) {
        try Self.validate(name: port.name)
        guard port.number <= Self.maximumNumber else { throw .numberInUse(port.number) }
        guard byNumber[port.number] == nil else { throw .numberInUse(port.number) }
        guard byName[port.name] == nil else { throw .nameInUse(port.name) }
        byNumber[port.number] = port
        byName[port.name] = port.number
    }

    /// Removes and returns the port with `number`.
    @discardableResult
    public mutating func remove(number: DatapathPort) throws(PortError) -> any Port {
        guard number != .local else { throw .cannotRemoveLocalPort }
        guard let port = byNumber.removeValue(forKey: number) else { throw .noSuchPort(number.description) }
        byName[port.name] = nil
        return port
    }

    /// Removes and returns the port named `name`.
    @discardableResult
    public mutating func remove(named name: String) throws(PortError) -> any Port {
        guard let number = byName[name] else { throw .noSuchPort(name) }
        return try remove(number: number)
    }
}
