import Datapath

/// Linux I/O behind the datapath's `Port` protocol: AF_PACKET (`system`),
/// TAP (`internal`), AF_XDP, and the in-memory `dummy` devices tests use.
///
/// Only `dummy` and `dummy-internal` exist so far; `system` and `internal`
/// register here when they land.
extension PortTypeRegistry {
    /// A registry with every port type this module provides.
    public static var netDevices: PortTypeRegistry {
        var registry = PortTypeRegistry()
        registry.registerNetDevices()
        return registry
    }

    /// Registers every port type this module provides.
    public mutating func registerNetDevices() {
        register(.dummy) { (configuration, number) throws(PortError) in
            try DummyPort(configuration: configuration, number: number)
        }
        register(.dummyInternal) { (configuration, number) throws(PortError) in
            try DummyPort(configuration: configuration, number: number)
        }
    }
}
