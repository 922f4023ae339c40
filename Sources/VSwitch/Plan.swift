/// The datapath a bridge's `datapath_type` leads to.
public enum DatapathKind: Sendable, Hashable {
    /// `""` or `netdev`: the shared user-space datapath `ovs-netdev`.
    case netdev
    /// `dummy`: the in-memory test datapath `ovs-dummy` (Open vSwitch's
    /// port numbering for tests).
    case dummy
    /// A type svs cannot make: `system` (no kernel module) or unknown.
    case unavailable(String)

    public init(datapathType: String) {
        switch datapathType {
        case "", "netdev": self = .netdev
        case "dummy": self = .dummy
        default: self = .unavailable(datapathType)
        }
    }

    /// The datapath's name, `nil` when it cannot be made.
    public var datapathName: String? {
        switch self {
        case .netdev: "ovs-netdev"
        case .dummy: "ovs-dummy"
        case .unavailable: nil
        }
    }

    /// The datapath port type of an interface of `type` in this datapath
    /// (`dpif_port_open_type`); `nil` for patch ports, which have none.
    public func portType(forInterfaceType type: String) -> String? {
        switch type {
        case "patch": return nil
        case "", "system": return "system"
        case "internal": return self == .dummy ? "dummy-internal" : "tap"
        default: return type
        }
    }
}

/// What a running bridge looks like to the planner.
public struct RunningBridgeSummary: Sendable, Hashable {
    public var datapathType: String
    /// Interfaces that have a device (or a patch port), by name, with what
    /// made them.
    public var interfaces: [String: DeviceKey]
    /// Their OpenFlow port numbers.
    public var ofports: [String: UInt16]
    public init(datapathType: String, interfaces: [String: DeviceKey], ofports: [String: UInt16] = [:]) {
        self.datapathType = datapathType
        self.interfaces = interfaces
        self.ofports = ofports
    }
}

/// What one reconfiguration does, computed from what runs and what the
/// database asks for: only what changed is touched.
public struct ReconfigurationPlan: Sendable, Hashable {
    /// Bridges that are gone, or whose datapath type changed (re-created).
    public var bridgesToRemove: [String] = []
    /// Bridges to create (new, or re-created), sorted.
    public var bridgesToAdd: [String] = []
    /// Interfaces of kept bridges to remove (gone, moved, or changed), as (bridge, interface).
    public var interfacesToRemove: [BridgeInterface] = []
    /// Interfaces to create, as (bridge, interface), in creation order:
    /// per bridge, those that request an OpenFlow port number first, then
    /// the others (so that they do not take a requested number), each by
    /// name. Interfaces that failed before are tried again.
    public var interfacesToAdd: [BridgeInterface] = []

    public struct BridgeInterface: Sendable, Hashable, CustomStringConvertible {
        public var bridge: String
        public var interface: String
        public init(_ bridge: String, _ interface: String) {
            self.bridge = bridge
            self.interface = interface
        }
        public var description: String { "\(bridge)/\(interface)" }
    }

    public init() {}

    /// The plan that turns `running` into `desired`. A bridge's own
    /// interface (named like it) is its local port, made with the bridge,
    /// and is never in the interface lists.
    ///
    /// As Open vSwitch's `bridge_delete_or_reconfigure_ports`: an
    /// interface whose type or options changed is re-created; one whose
    /// `ofport_request` differs from its port number is removed and added
    /// back, with the interface that holds the requested number unless
    /// that one requested it too.
    public init(running: [String: RunningBridgeSummary], desired: SwitchSpec) {
        for name in running.keys.sorted() {
            guard let want = desired.bridges[name],
                  want.datapathType == running[name]!.datapathType else {
                bridgesToRemove.append(name)
                continue
            }
        }
        let removed = Set(bridgesToRemove)
        for name in desired.bridges.keys.sorted() where running[name] == nil || removed.contains(name) {
            bridgesToAdd.append(name)
        }
        for name in desired.bridges.keys.sorted() {
            let want = desired.bridges[name]!
            let wanted = want.interfaces.filter { $0.interface.name != name }
            var wantedKeys: [String: DeviceKey] = [:]
            for (_, i) in wanted { wantedKeys[i.name] = i.deviceKey }
            let summary = running[name].flatMap { removed.contains(name) ? nil : $0 }
            let have = summary?.interfaces ?? [:]
            let ofports = summary?.ofports ?? [:]
            var requests: [String: UInt16] = [:]
            for (_, i) in wanted { requests[i.name] = i.ofportRequest }
            var remove = Set(have.keys.filter { wantedKeys[$0] != have[$0] })
            for iface in have.keys.sorted() where !remove.contains(iface) {
                guard let request = requests[iface], let current = ofports[iface], request != current else { continue }
                remove.insert(iface)
                if let victim = ofports.first(where: { $0.value == request })?.key, requests[victim] != request {
                    remove.insert(victim)
                }
            }
            for iface in remove.sorted() { interfacesToRemove.append(BridgeInterface(name, iface)) }
            let toAdd = wanted.filter { have[$0.interface.name] == nil || remove.contains($0.interface.name) }
            for (_, i) in toAdd where i.ofportRequest != nil { interfacesToAdd.append(BridgeInterface(name, i.name)) }
            for (_, i) in toAdd where i.ofportRequest == nil { interfacesToAdd.append(BridgeInterface(name, i.name)) }
        }
    }

    public var isEmpty: Bool {
        bridgesToRemove.isEmpty && bridgesToAdd.isEmpty && interfacesToRemove.isEmpty && interfacesToAdd.isEmpty
    }
}
