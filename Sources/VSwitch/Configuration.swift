import OFProto
import OVSDB
import OVSDBClient

/// One Interface row as the bridge layer reads it.
public struct InterfaceSpec: Sendable, Hashable {
    public var uuid: UUID
    public var name: String
    /// The `type` column (`""` means `system`).
    public var type: String
    public var options: [String: String]
    /// `ofport_request`, if set and in range.
    public var ofportRequest: UInt16?
    /// The `ofport` the database holds now (a request when the daemon
    /// restarts, as Open vSwitch's `iface_pick_ofport` does).
    public var recordedOFPort: UInt16?

    public init(uuid: UUID = UUID(hi: 0, lo: 0), name: String, type: String = "", options: [String: String] = [:],
                ofportRequest: UInt16? = nil, recordedOFPort: UInt16? = nil) {
        self.uuid = uuid
        self.name = name
        self.type = type
        self.options = options
        self.ofportRequest = ofportRequest
        self.recordedOFPort = recordedOFPort
    }

    /// What makes the device: a change here re-creates it.
    public var deviceKey: DeviceKey { DeviceKey(type: type, options: options) }
}

/// The columns of an interface whose change re-creates its device.
public struct DeviceKey: Sendable, Hashable {
    public var type: String
    public var options: [String: String]
    public init(type: String, options: [String: String] = [:]) {
        self.type = type
        self.options = options
    }
}

/// One Port row (its VLAN settings) with its interfaces.
public struct PortSpec: Sendable, Hashable {
    public var uuid: UUID
    public var name: String
    public var interfaces: [InterfaceSpec]
    public var tag: UInt16?
    public var trunks: [UInt16]
    public var vlanMode: PortVLANMode?
    public var customerVLANs: [UInt16]

    public init(uuid: UUID = UUID(hi: 0, lo: 0), name: String, interfaces: [InterfaceSpec], tag: UInt16? = nil,
                trunks: [UInt16] = [], vlanMode: PortVLANMode? = nil, customerVLANs: [UInt16] = []) {
        self.uuid = uuid
        self.name = name
        self.interfaces = interfaces
        self.tag = tag
        self.trunks = trunks
        self.vlanMode = vlanMode
        self.customerVLANs = customerVLANs
    }
}

/// One Bridge row with its ports.
public struct BridgeSpec: Sendable, Hashable {
    public var uuid: UUID
    public var name: String
    /// `datapath_type` (`""` means `system` in Open vSwitch; svs treats it as `netdev`).
    public var datapathType: String
    public var failMode: String?
    public var otherConfig: [String: String]
    public var ports: [PortSpec]
    /// The Controller rows (Controllers.swift) and the `protocols` column.
    public var controllers: [ControllerSpec] = []
    public var protocols: [String] = []

    public init(uuid: UUID = UUID(hi: 0, lo: 0), name: String, datapathType: String = "", failMode: String? = nil,
                otherConfig: [String: String] = [:], ports: [PortSpec] = []) {
        self.uuid = uuid
        self.name = name
        self.datapathType = datapathType
        self.failMode = failMode
        self.otherConfig = otherConfig
        self.ports = ports
    }

    /// Every interface of every port, with its port, sorted by name (the
    /// order new interfaces are created in).
    public var interfaces: [(port: PortSpec, interface: InterfaceSpec)] {
        ports.flatMap { p in p.interfaces.map { (p, $0) } }.sorted { $0.interface.name < $1.interface.name }
    }

    /// The slow path's settings from `fail_mode` and `other_config`.
    public var settings: BridgeSettings {
        var s = BridgeSettings()
        // No default NORMAL flow in secure mode, nor while controllers are set.
        s.failSecure = failMode == "secure" || !controllers.isEmpty
        if let t = otherConfig["mac-aging-time"].flatMap({ Int($0) }), t > 0 { s.macAgingTime = t }
        if let n = otherConfig["mac-table-size"].flatMap({ Int($0) }), n > 0 { s.macTableSize = n }
        return s
    }
}

/// The whole configuration the bridge layer acts on: the Open_vSwitch
/// row's bridges (only those it references, as Open vSwitch does) and its
/// `next_cfg`.
public struct SwitchSpec: Sendable, Hashable {
    public var rootUUID: UUID?
    public var nextCfg: Int64
    public var curCfg: Int64
    /// Bridges by name.
    public var bridges: [String: BridgeSpec]
    /// The Open_vSwitch row's `other_config` (`flow-limit`, `n-handler-threads`...).
    public var otherConfig: [String: String] = [:]

    /// `other_config:flow-limit`, Open vSwitch's default 10000.
    public var flowLimit: Int {
        otherConfig["flow-limit"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? 10000
    }
    /// `other_config:n-handler-threads` (at least 1; 1 by default).
    public var handlerThreads: Int {
        otherConfig["n-handler-threads"].flatMap { Int($0) }.flatMap { $0 > 0 ? min($0, 64) : nil } ?? 1
    }
    /// `other_config:n-revalidator-threads` (at least 1; 1 by default).
    public var revalidatorThreads: Int {
        otherConfig["n-revalidator-threads"].flatMap { Int($0) }.flatMap { $0 > 0 ? min($0, 64) : nil } ?? 1
    }

    public init(rootUUID: UUID? = nil, nextCfg: Int64 = 0, curCfg: Int64 = 0, bridges: [String: BridgeSpec] = [:]) {
        self.rootUUID = rootUUID
        self.nextCfg = nextCfg
        self.curCfg = curCfg
        self.bridges = bridges
    }

    /// The bridges without what the daemon itself writes (the recorded
    /// `ofport`): a change here is a change of configuration, as Open
    /// vSwitch ignores changes of its own status columns.
    public var configuration: [String: BridgeSpec] {
        bridges.mapValues { b in
            var b = b
            for p in b.ports.indices {
                for i in b.ports[p].interfaces.indices { b.ports[p].interfaces[i].recordedOFPort = nil }
            }
            return b
        }
    }

    /// Reads the replica of the Open_vSwitch, Bridge, Port and Interface
    /// tables. Dangling references are skipped; an interface in two
    /// bridges counts in the first (by name) only, as Open vSwitch keeps
    /// one device per name.
    public init(replica: Replica) {
        self.init()
        let roots = replica.rows("Open_vSwitch")
        guard let (rootID, root) = roots.min(by: { $0.key < $1.key }) else { return }
        rootUUID = rootID
        nextCfg = root["next_cfg"]?.integer ?? 0
        curCfg = root["cur_cfg"]?.integer ?? 0
        otherConfig = root["other_config"]?.stringMap ?? [:]
        let bridgeRows = replica.rows("Bridge"), portRows = replica.rows("Port"), ifaceRows = replica.rows("Interface")
        var seenInterfaces = Set<String>()
        var seenPorts = Set<String>()
        var specs: [BridgeSpec] = []
        for bridgeID in root["bridges"]?.uuids ?? [] {
            guard let b = bridgeRows[bridgeID], let name = b["name"]?.stringValue, bridges[name] == nil,
                  !specs.contains(where: { $0.name == name }) else { continue }
            var spec = BridgeSpec(uuid: bridgeID, name: name, datapathType: b["datapath_type"]?.stringValue ?? "",
                                  failMode: b["fail_mode"]?.stringValue, otherConfig: b["other_config"]?.stringMap ?? [:])
            spec.controllers = ControllerSpec.read(bridge: b, replica: replica)
            spec.protocols = b["protocols"]?.stringSet ?? []
            for portID in b["ports"]?.uuids ?? [] {
                guard let p = portRows[portID], let portName = p["name"]?.stringValue else { continue }
                var port = PortSpec(uuid: portID, name: portName, interfaces: [])
                port.tag = p["tag"]?.integer.flatMap { (0...4095).contains($0) ? UInt16($0) : nil }
                port.trunks = (p["trunks"]?.integers ?? []).compactMap { (0...4095).contains($0) ? UInt16($0) : nil }
                port.customerVLANs = (p["cvlans"]?.integers ?? []).compactMap { (0...4095).contains($0) ? UInt16($0) : nil }
                port.vlanMode = p["vlan_mode"]?.stringValue.flatMap { PortVLANMode(rawValue: $0) }
                for ifaceID in p["interfaces"]?.uuids ?? [] {
                    guard let i = ifaceRows[ifaceID], let ifaceName = i["name"]?.stringValue else { continue }
                    let request = i["ofport_request"]?.integer.flatMap { (1..<0xff00).contains($0) ? UInt16($0) : nil }
                    let recorded = i["ofport"]?.integer.flatMap { (1..<0xff00).contains($0) ? UInt16($0) : nil }
                    port.interfaces.append(InterfaceSpec(
                        uuid: ifaceID, name: ifaceName, type: i["type"]?.stringValue ?? "",
                        options: i["options"]?.stringMap ?? [:], ofportRequest: request, recordedOFPort: recorded))
                }
                spec.ports.append(port)
            }
            specs.append(spec)
        }
        // Names are unique across bridges: the first bridge by name keeps a
        // duplicated port or interface.
        for var spec in specs.sorted(by: { $0.name < $1.name }) {
            spec.ports = spec.ports.filter { seenPorts.insert($0.name).inserted }
            for i in spec.ports.indices {
                spec.ports[i].interfaces = spec.ports[i].interfaces.filter { seenInterfaces.insert($0.name).inserted }
            }
            bridges[spec.name] = spec
        }
    }
}

extension Datum {
    /// The single string of a scalar or optional column.
    var stringValue: String? {
        if values == nil, keys.count == 1, case .string(let s) = keys[0] { return s }
        return nil
    }
    /// The single integer of a scalar or optional column.
    var integer: Int64? {
        if values == nil, keys.count == 1, case .integer(let n) = keys[0] { return n }
        return nil
    }
    var integers: [Int64] {
        keys.compactMap { if case .integer(let n) = $0 { return n }; return nil }
    }
    var uuids: [UUID] {
        keys.compactMap { if case .uuid(let u) = $0 { return u }; return nil }
    }
    var stringMap: [String: String] {
        guard let values else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in zip(keys, values) {
            if case .string(let ks) = k, case .string(let vs) = v { out[ks] = vs }
        }
        return out
    }
    var stringSet: [String] {
        keys.compactMap { if case .string(let s) = $0 { return s }; return nil }
    }
}
