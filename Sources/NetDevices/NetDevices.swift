import Datapath

/// Linux I/O behind the datapath's `Port` protocol: AF_PACKET (`system`),
/// TAP (`internal`), AF_XDP, and the in-memory `dummy` devices tests use.
///
/// `system` (AF_PACKET, `SystemPort`), `internal` (TAP, `TapPort`),
/// `dummy` and `dummy-internal` (memory, `DummyPort`).
extension PortTypeRegistry {
    /// A registry with every port type this module provides.
    public static var netDevices: PortTypeRegistry {
        var registry = PortTypeRegistry()
        registry.registerNetDevices()
        return registry
    }

    /// Registers every port type this module provides.
    public mutating func registerNetDevices() {
        register(.system) { (configuration, number) throws(PortError) in
            try SystemPort(configuration: configuration, number: number)
        }
        register(.internal) { (configuration, number) throws(PortError) in
            try TapPort(configuration: configuration, number: number)
        }
        register(.dummy) { (configuration, number) throws(PortError) in
            try DummyPort(configuration: configuration, number: number)
        }
        register(.dummyInternal) { (configuration, number) throws(PortError) in
            try DummyPort(configuration: configuration, number: number)
        }
    }
}
