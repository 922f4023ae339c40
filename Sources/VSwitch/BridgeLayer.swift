#if canImport(Glibc)
import Glibc
#endif
import DPIF
import Datapath
import Flow
import Logging
import NetDevices
import OFProto
import OpenFlow
import OVSDB
import OVSDBClient
import Synchronization
import Wire

/// The bridge layer (Open vSwitch's `bridge.c`): keeps a replica of the
/// Open_vSwitch, Bridge, Port and Interface tables, turns them into
/// datapath ports, OpenFlow ports and slow-path bridges, changing only what
/// changed, and writes the outcome back (`ofport`, `error`, link state,
/// `datapath_id`, `cur_cfg`...).
///
/// All its work happens on the thread that calls `run`; `shutdown` runs
/// after `run` returned.
public final class BridgeLayer: @unchecked Sendable {
    public struct Options: Sendable {
        /// `unix:PATH` or `tcp:IP:PORT` of the OVSDB server.
        public var databaseRemote: String
        /// Where `<bridge>.mgmt` sockets go.
        public var runDirectory: String
        /// `--enable-dummy`: internal ports of netdev bridges are in memory
        /// (`dummy-internal`) rather than TAP devices; the `dummy` datapath
        /// type is listed in `datapath_types`.
        public var enableDummy: Bool
        public init(databaseRemote: String, runDirectory: String, enableDummy: Bool = false) {
            self.databaseRemote = databaseRemote
            self.runDirectory = runDirectory
            self.enableDummy = enableDummy
        }
    }

    /// The slow path's bridges, kept in step with the database.
    public let ofprotoBridges = OFProtoBridges()
    let options: Options
    let host: any VSwitchDatapathHost
    let logger = Logger(label: "bridge")
    /// Runs `OpenFlowManagementServer`s: false in unit tests.
    let serveOpenFlow: Bool

    var bridges: [String: RunningBridge] = [:]
    var slowPaths: [String: SlowPath] = [:] {
        didSet { runningSlowPaths.withLock { $0 = slowPaths.keys.sorted().map { slowPaths[$0]! } } }
    }
    /// The slow paths, by datapath name, for commands on other threads.
    let runningSlowPaths = Mutex<[SlowPath]>([])
    /// Every running slow path, by datapath name (`upcall/show`).
    public var allSlowPaths: [SlowPath] { runningSlowPaths.withLock { $0 } }
    /// Numbers the MACs of dummy devices, as `netdev-dummy` does (aa:55:aa:55:00:01...).
    var dummyDevices: UInt32 = 0
    let clockStart = ContinuousClock.now
    /// What the last reconfiguration applied.
    var appliedConfiguration: [String: BridgeSpec]?
    var appliedNextCfg: Int64 = -1
    /// What `dpif/show` and `ofproto/list` print.
    let showState = Mutex(BridgeShowState())

    public init(options: Options, host: any VSwitchDatapathHost, serveOpenFlow: Bool = true) {
        self.options = options
        self.host = host
        self.serveOpenFlow = serveOpenFlow
    }

    /// Milliseconds since the layer was made (for OpenFlow port reuse).
    var nowMilliseconds: Int64 {
        let (s, a) = (ContinuousClock.now - clockStart).components
        return s * 1000 + a / 1_000_000_000_000_000
    }

    // MARK: The loop

    /// Connects to the database (again and again while it cannot), monitors
    /// the four tables and reconfigures on every change, refreshing link
    /// status every second, until `shouldStop` returns true (checked at
    /// least every 100 ms).
    public func run(shouldStop: () -> Bool) {
        var lastFailure: String?
        while !shouldStop() {
            do throws(OVSDBClientError) {
                let client = try OVSDBClient(remote: options.databaseRemote)
                let schema = try client.schema("Open_vSwitch")
                try client.monitor("Open_vSwitch", schema: schema,
                                   tables: ["Open_vSwitch": nil, "Bridge": nil, "Port": nil, "Interface": nil,
                                            "Controller": nil])
                if lastFailure != nil { logger.info("\(options.databaseRemote): connected") }
                lastFailure = nil
                var applied = -1
                var lastRefresh = ContinuousClock.now
                var lastStatistics = ContinuousClock.now - .seconds(10)
                while !shouldStop() {
                    if client.updatesApplied != applied {
                        applied = client.updatesApplied
                        let spec = SwitchSpec(replica: client.replica)
                        // As Open vSwitch: the daemon's own status writes
                        // do not reconfigure; a new next_cfg always does.
                        let configuration = spec.configuration
                        if configuration != appliedConfiguration || spec.nextCfg != appliedNextCfg {
                            apply(spec)
                            appliedConfiguration = configuration
                            appliedNextCfg = spec.nextCfg
                        }
                        try writeStatus(client, completing: true)
                        lastRefresh = ContinuousClock.now
                    } else if ContinuousClock.now - lastRefresh >= .seconds(1) {
                        // Link state every second; counters every 5 s
                        // (Open vSwitch's default stats-update-interval).
                        let spec = SwitchSpec(replica: client.replica)
                        if reopenReplacedDevices(spec) || linkStatesChanged() { publish(spec) }
                        tickOpenFlow()
                        let statistics = ContinuousClock.now - lastStatistics >= .seconds(5)
                        try writeStatus(client, completing: false, statistics: statistics)
                        if statistics { lastStatistics = ContinuousClock.now }
                        lastRefresh = ContinuousClock.now
                    }
                    // Take every update that waits before reconfiguring.
                    if try client.poll(timeout: .milliseconds(100)) {
                        while try client.poll(timeout: .zero) {}
                    }
                }
            } catch {
                let text = "\(options.databaseRemote): database connection failed (\(error))"
                if text != lastFailure { logger.warning("\(text), retrying") }
                lastFailure = text
                for _ in 0..<10 where !shouldStop() { usleep(100_000) }
            }
        }
    }

    /// Stops the management servers and slow paths; with `cleanup`, also
    /// removes every port the layer made (`exit --cleanup`).
    public func shutdown(cleanup: Bool) {
        for name in bridges.keys.sorted() {
            let b = bridges[name]!
            b.management?.stop()
            b.management = nil
            stopControllers(b)
            if cleanup { removeBridge(name) }
        }
        for (_, s) in slowPaths { s.stop() }
        slowPaths = [:]
    }

    /// Applies `spec`: the plan's removals first, then creations; then the
    /// slow path's bridges and ports are replaced.
    public func apply(_ spec: SwitchSpec) {
        let plan = ReconfigurationPlan(running: bridges.mapValues(\.summary), desired: spec)
        for name in plan.bridgesToRemove { removeBridge(name) }
        for item in plan.interfacesToRemove { removeInterface(item.interface, from: item.bridge) }
        reopenReplacedDevices(spec)
        for name in plan.bridgesToAdd { addBridge(spec.bridges[name]!, root: spec) }
        for item in plan.interfacesToAdd {
            guard let b = bridges[item.bridge], let bridgeSpec = spec.bridges[item.bridge],
                  let (port, iface) = bridgeSpec.interfaces.first(where: { $0.interface.name == item.interface })
            else { continue }
            addInterface(iface, port: port, to: b)
        }
        publish(spec)
        // The datapaths' flow limit (`other_config:flow-limit`).
        for dp in slowPaths.keys { _ = host.withDatapath(named: dp) { $0.flowLimit = spec.flowLimit } }
        applyThreadSettings(spec)
    }

    /// System ports whose Linux device was deleted and made again (its
    /// ifindex changed) are opened again, on the same OpenFlow port;
    /// returns true if any was. (A device that is gone stays as it is,
    /// link down, until it comes back.)
    @discardableResult
    func reopenReplacedDevices(_ spec: SwitchSpec) -> Bool {
        var reopened = false
        for name in bridges.keys.sorted() {
            let b = bridges[name]!
            guard let bridgeSpec = spec.bridges[name], let dp = b.kind.datapathName else { continue }
            for (ifaceName, device) in b.interfaces.sorted(by: { $0.key < $1.key }) {
                guard let old = device.ifindex, let now = try? InterfaceInfo.read(ifaceName), now.index != old,
                      let (port, iface) = bridgeSpec.interfaces.first(where: { $0.interface.name == ifaceName })
                else { continue }
                logger.info("bridge \(name): interface \(ifaceName) was made again (ifindex \(old) -> \(now.index)), reopening")
                deleteDevice(device, datapath: dp)
                b.interfaces[ifaceName] = nil
                b.allocator.release(device.ofport, now: nowMilliseconds)
                var again = iface
                again.ofportRequest = device.ofport
                addInterface(again, port: port, to: b)
                reopened = true
            }
        }
        return reopened
    }

    // MARK: Bridges

    func addBridge(_ spec: BridgeSpec, root: SwitchSpec) {
        let kind = DatapathKind(datapathType: spec.datapathType)
        let b = RunningBridge(name: spec.name, datapathType: spec.datapathType, kind: kind)
        bridges[spec.name] = b
        guard let dpName = kind.datapathName else {
            // No kernel module in svs: as Open vSwitch on a host without it.
            if spec.datapathType == "system" {
                Logger(label: "dpif_netlink").info(
                    "Generic Netlink family 'ovs_datapath' does not exist. The Open vSwitch kernel module is probably not loaded.")
            } else {
                Logger(label: "ofproto").warning("unknown datapath type \(spec.datapathType)")
                Logger(label: "ofproto").warning("could not create datapath \(spec.name) of unknown type \(spec.datapathType)")
            }
            b.creationError = "Address family not supported by protocol"
            logger.error("failed to create bridge \(spec.name): Address family not supported by protocol")
            return
        }
        let localType: PortType = kind == .dummy || options.enableDummy ? .dummyInternal : .internal
        do throws(DPIFError) {
            try host.createDatapath(named: dpName, localType: localType, typeName: kind == .dummy ? "dummy" : "netdev")
        } catch {
            b.creationError = Self.strerror(error.errno)
            logger.error("failed to create bridge \(spec.name): \(b.creationError!)")
            return
        }
        if slowPaths[dpName] == nil {
            let s = SlowPath(datapathName: dpName, access: host, bridges: ofprotoBridges,
                             handlerThreads: root.handlerThreads, revalidatorThreads: root.revalidatorThreads)
            s.start()
            slowPaths[dpName] = s
        }
        // The local port: an internal device named like the bridge.
        let local = InterfaceSpec(name: spec.name, type: "internal")
        switch makeDevice(local, in: b, datapath: dpName) {
        case .failure(let failure):
            b.creationError = failure.description
            logger.error("failed to create bridge \(spec.name): \(failure)")
            return
        case .success(var device):
            device.ofport = OFPort.local.rawValue
            b.local = device
        }
        b.ofproto = OFProtoBridge(name: spec.name, datapathName: dpName, settings: spec.settings)
        b.ofproto?.asyncMessages.slowPath = slowPaths[dpName]
        b.ofproto?.meters.attach(host)
        followPortDown(b)
        b.datapathID = Self.datapathID(spec, mac: b.bridgeMAC(spec))
        logger.info("bridge \(spec.name): added interface \(spec.name) on port \(OFPort.local.rawValue)")
        logger.info("bridge \(spec.name): using datapath ID \(Self.hex16(b.datapathID))")
        startManagement(b)
    }

    /// Serves the bridge's OpenFlow management socket `RUNDIR/<bridge>.mgmt`.
    func startManagement(_ b: RunningBridge) {
        guard serveOpenFlow, let ofproto = b.ofproto else { return }
        let path = options.runDirectory + "/" + b.name + ".mgmt"
        let server = OpenFlowManagementServer(bridge: ofproto, socketPath: path, datapathID: b.datapathID)
        do {
            try server.start()
            b.management = server
            Logger(label: "connmgr").info("\(b.name): added service controller \"punix:\(path)\"")
        } catch {
            Logger(label: "connmgr").error("\(b.name): \(path): could not listen (\(error))")
        }
    }

    func removeBridge(_ name: String) {
        guard let b = bridges.removeValue(forKey: name) else { return }
        b.management?.stop()
        b.management = nil
        stopControllers(b)
        for iface in b.interfaces.keys.sorted() { removeInterface(iface, from: b, logging: false) }
        if let local = b.local, let dp = b.kind.datapathName, let number = local.datapathPort {
            _ = host.withDatapath(named: dp) { dpif in try? dpif.deletePort(number) }
        }
        b.local = nil
        // A datapath no bridge uses loses its slow path; the dummy one goes too.
        if let dp = b.kind.datapathName, !bridges.values.contains(where: { $0.kind.datapathName == dp && $0.creationError == nil }) {
            slowPaths.removeValue(forKey: dp)?.stop()
            if b.kind == .dummy { host.deleteDatapath(named: dp) }
        }
    }

    // MARK: Interfaces

    func addInterface(_ iface: InterfaceSpec, port: PortSpec, to b: RunningBridge) {
        b.failures[iface.name] = nil
        guard b.creationError == nil, let dpName = b.kind.datapathName else { return }
        switch makeDevice(iface, in: b, datapath: dpName) {
        case .failure(let failure):
            b.failures[iface.name] = failure.description
            logger.warning("\(failure.description)")
        case .success(var device):
            guard let ofport = b.allocator.allocate(request: iface.ofportRequest ?? iface.recordedOFPort,
                                                     now: nowMilliseconds) else {
                deleteDevice(device, datapath: dpName)
                let text = "could not add network device \(iface.name) to ofproto (\(Self.strerror(EFBIG)))"
                b.failures[iface.name] = text
                logger.warning("\(text)")
                return
            }
            device.ofport = ofport
            b.interfaces[iface.name] = device
            logger.info("bridge \(b.name): added interface \(iface.name) on port \(ofport)")
        }
    }

    func removeInterface(_ name: String, from bridgeName: String) {
        guard let b = bridges[bridgeName] else { return }
        removeInterface(name, from: b, logging: true)
    }

    func removeInterface(_ name: String, from b: RunningBridge, logging: Bool) {
        b.failures[name] = nil
        guard let device = b.interfaces.removeValue(forKey: name) else { return }
        if let dp = b.kind.datapathName { deleteDevice(device, datapath: dp) }
        b.allocator.release(device.ofport, now: nowMilliseconds)
        if logging { logger.info("bridge \(b.name): deleted interface \(name) on port \(device.ofport)") }
    }

    /// Makes the datapath port (none for a patch port) of `iface`.
    func makeDevice(_ iface: InterfaceSpec, in b: RunningBridge, datapath: String) -> Result<RunningInterface, InterfaceFailure> {
        var device = RunningInterface(name: iface.name, type: iface.type, key: iface.deviceKey)
        guard var portType = b.kind.portType(forInterfaceType: iface.type) else {
            // A patch port: only its peer matters.
            guard let peer = iface.options["peer"], !peer.isEmpty else {
                return .failure(InterfaceFailure("\(iface.name): patch type requires valid 'peer' argument"))
            }
            guard peer != iface.name else {
                return .failure(InterfaceFailure("\(iface.name): patch peer must not be self"))
            }
            device.patchPeer = peer
            device.mac = Self.randomMAC()
            return .success(device)
        }
        if portType == "tap", options.enableDummy, iface.type == "internal" { portType = "dummy-internal" }
        let result = host.withDatapath(named: datapath) { dpif -> Result<DatapathPort, DPIFError> in
            var requested: DatapathPort?
            if b.kind == .dummy {
                let used = Set(dpif.dumpPorts().map(\.number.rawValue))
                requested = DatapathPortNumbering.dummy(name: iface.name, inUse: used).map { DatapathPort($0) }
            }
            return Result { () throws(DPIFError) in
                try dpif.addPort(PortConfiguration(name: iface.name, type: PortType(rawValue: portType),
                                                   requestedNumber: requested, options: iface.options))
            }
        }
        switch result {
        case nil:
            return .failure(InterfaceFailure("could not open network device \(iface.name) (\(Self.strerror(ENODEV)))"))
        case .failure(let error)?:
            return .failure(Self.failure(iface.name, error))
        case .success(let number)?:
            device.datapathPort = number
            device.portType = portType
            if portType == "system" { device.ifindex = (try? InterfaceInfo.read(iface.name))?.index }
            // Open vSwitch numbers its dummy devices (the addresses show it);
            // an internal port of a netdev bridge is a TAP there.
            if portType == "dummy" || (portType == "dummy-internal" && b.kind == .dummy) {
                dummyDevices += 1
                device.mac = EthernetAddress(0xaa, 0x55, 0xaa, 0x55, UInt8(truncatingIfNeeded: dummyDevices >> 8),
                                             UInt8(truncatingIfNeeded: dummyDevices))
            }
            return .success(device)
        }
    }

    func deleteDevice(_ device: RunningInterface, datapath: String) {
        guard let number = device.datapathPort else { return }
        _ = host.withDatapath(named: datapath) { dpif in try? dpif.deletePort(number) }
    }

    /// Open vSwitch's `error` text for a port that could not be made.
    static func failure(_ name: String, _ error: DPIFError) -> InterfaceFailure {
        if case .port(let e) = error {
            switch e {
            case .nameInUse, .numberInUse, .tableFull:
                return InterfaceFailure("could not add network device \(name) to ofproto (\(strerror(error.errno)))")
            case .unsupportedType:
                return InterfaceFailure("could not open network device \(name) (\(strerror(EAFNOSUPPORT)))")
            case .file(_, let errno):
                return InterfaceFailure("could not open network device \(name) (\(strerror(errno)))")
            default:
                break
            }
        }
        return InterfaceFailure("could not open network device \(name) (\(strerror(error.errno)))")
    }

    static func strerror(_ errno: Int32) -> String {
        Glibc.strerror(errno).map { String(cString: $0) } ?? "error \(errno)"
    }

    /// A random unicast, locally administered address (`eth_addr_random`).
    static func randomMAC() -> EthernetAddress {
        var g = SystemRandomNumberGenerator()
        var v = g.next() & 0xffff_ffff_ffff
        v &= ~(UInt64(0x01) << 40)
        v |= UInt64(0x02) << 40
        return EthernetAddress(rawValue: v)
    }

    static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    /// `other_config:datapath-id` (16 hex digits) if valid, else the bridge's MAC.
    static func datapathID(_ spec: BridgeSpec, mac: EthernetAddress) -> UInt64 {
        if let text = spec.otherConfig["datapath-id"] {
            let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
            if digits.count == 16, let v = UInt64(digits, radix: 16) { return v }
        }
        return mac.rawValue
    }

    // MARK: The slow path's view

    /// Gives every bridge its ports (VLAN settings from the Port rows) and
    /// settings, and the slow path the set of bridges.
    func publish(_ spec: SwitchSpec) {
        var all: [OFProtoBridge] = []
        for name in bridges.keys.sorted() {
            let b = bridges[name]!
            guard let ofproto = b.ofproto, let bridgeSpec = spec.bridges[name] else { continue }
            // other_config:datapath-id or hwaddr changed: the new ID, announced
            // by a new management server.
            let datapathID = Self.datapathID(bridgeSpec, mac: b.bridgeMAC(bridgeSpec))
            if datapathID != b.datapathID {
                b.datapathID = datapathID
                logger.info("bridge \(name): using datapath ID \(Self.hex16(datapathID))")
                b.management?.stop()
                b.management = nil
                startManagement(b)
            }
            var ports: [BridgePort] = []
            var sawLocal = false
            for port in bridgeSpec.ports {
                for iface in port.interfaces {
                    let device = iface.name == name ? b.local : b.interfaces[iface.name]
                    guard let device else { continue }
                    if iface.name == name { sawLocal = true }
                    ports.append(device.bridgePort(port: port))
                }
            }
            if !sawLocal, let local = b.local { ports.append(local.bridgePort(port: nil)) }
            if b.local != nil, let i = ports.firstIndex(where: { $0.ofport == .local }) {
                ports[i].mac = b.bridgeMAC(bridgeSpec)
            }
            ofproto.setPorts(ports.sorted { $0.ofport.rawValue < $1.ofport.rawValue })
            applyControllers(b, bridgeSpec, ofproto: ofproto)
            ofproto.update(settings: bridgeSpec.settings)
            all.append(ofproto)
        }
        ofprotoBridges.set(all)
        recordShowState()
    }

    // MARK: Status

    /// Writes what the database should say about the running bridges:
    /// Interface `ofport`, `error`, `admin_state`, `link_state`,
    /// `mac_in_use`, `ifindex`; Bridge `datapath_id`, `datapath_version`;
    /// Open_vSwitch `datapath_types`, `iface_types`, `dpdk_*` and, when
    /// `completing` a reconfiguration, `cur_cfg` = `next_cfg`. Only
    /// columns whose value differs are written.
    func writeStatus(_ client: OVSDBClient, completing: Bool, statistics: Bool = false) throws(OVSDBClientError) {
        let replica = client.replica
        let spec = SwitchSpec(replica: replica)
        var t = Transaction(database: "Open_vSwitch")
        for (table, rows) in statusUpdates(spec, completing: completing, statistics: statistics) {
            for (uuid, columns) in rows {
                let current = replica.rows(table)[uuid] ?? [:]
                guard let tableSchema = replica.schema?.tables[table] else { continue }
                var changed: [String: JSON] = [:]
                for (column, value) in columns {
                    guard let type = tableSchema.columns[column]?.type else { continue }
                    if (current[column] ?? Datum.defaultValue(type)) != value { changed[column] = value.json(type) }
                }
                if !changed.isEmpty { t.update(table, where: [.uuid(uuid)], changed) }
            }
        }
        guard !t.operations.isEmpty else { return }
        logger.debug("status: \(JSON.array(t.operations).text)")
        _ = try client.transact(t, timeout: .seconds(10))
    }

    /// The status columns wanted, by table and row.
    public func statusUpdates(_ spec: SwitchSpec, completing: Bool,
                              statistics: Bool = false) -> [(String, [(UUID, [String: Datum])])] {
        let none = Datum()
        func int(_ n: Int64) -> Datum { Datum(keys: [.integer(n)]) }
        func str(_ s: String) -> Datum { Datum(keys: [.string(s)]) }
        var interfaces: [(UUID, [String: Datum])] = []
        var bridgeRows: [(UUID, [String: Datum])] = []
        for name in spec.bridges.keys.sorted() {
            let bridgeSpec = spec.bridges[name]!
            guard let b = bridges[name] else { continue }
            if b.creationError != nil {
                bridgeRows.append((bridgeSpec.uuid, ["datapath_id": none, "datapath_version": str("")]))
            } else {
                bridgeRows.append((bridgeSpec.uuid, ["datapath_id": str(Self.hex16(b.datapathID)),
                                                     "datapath_version": str("<built-in>")]))
            }
            for (_, iface) in bridgeSpec.interfaces {
                var columns: [String: Datum] = ["ofport": none, "error": none, "admin_state": none,
                                                "link_state": none, "mac_in_use": none, "ifindex": none]
                if b.creationError != nil {
                    // A bridge that could not be made leaves its interfaces blank.
                } else if let failure = b.failures[iface.name] {
                    columns["ofport"] = int(-1)
                    columns["error"] = str(failure)
                } else if let device = iface.name == name ? b.local : b.interfaces[iface.name] {
                    columns["ofport"] = int(Int64(device.ofport))
                    if let peer = device.patchPeer, !hasPatchPeer(device.name, peer: peer, kind: b.kind) {
                        // Open vSwitch's `vport_get_status`.
                        let type = b.kind == .dummy ? "dummy" : "netdev"
                        columns["error"] = str("No usable peer '\(peer)' exists in '\(type)' datapath.")
                    }
                    let live = device.liveStatus()
                    columns["admin_state"] = str(live.adminUp ? "up" : "down")
                    columns["link_state"] = str(live.linkUp ? "up" : "down")
                    let mac = device.ofport == OFPort.local.rawValue ? b.bridgeMAC(bridgeSpec) : live.mac
                    if let mac { columns["mac_in_use"] = str(mac.description) }
                    columns["ifindex"] = int(Int64(live.ifindex))
                    columns["link_resets"] = int(0)
                    if let mtu = live.mtu { columns["mtu"] = int(Int64(mtu)) }
                    if statistics { columns["statistics"] = counters(device, bridge: b) }
                } else {
                    continue
                }
                interfaces.append((iface.uuid, columns))
            }
        }
        var out: [(String, [(UUID, [String: Datum])])] = [("Interface", interfaces), ("Bridge", bridgeRows),
                                                          ("Controller", controllerStatusRows(spec))]
        if let root = spec.rootUUID {
            var types = ["netdev"]
            if options.enableDummy { types.insert("dummy", at: 0) }
            var columns: [String: Datum] = [
                "datapath_types": Datum(keys: types.map { .string($0) }),
                "iface_types": Datum(keys: Self.interfaceTypes.map { .string($0) }),
                "dpdk_initialized": Datum(keys: [.boolean(false)]),
                "dpdk_version": str("none"),
            ]
            if completing { columns["cur_cfg"] = int(spec.nextCfg) }
            out.append(("Open_vSwitch", [(root, columns)]))
        }
        return out
    }

    /// The Interface `statistics` map of a device: its datapath port's
    /// counters (zero for patch ports, as Open vSwitch shows them).
    func counters(_ device: RunningInterface, bridge b: RunningBridge) -> Datum {
        var pairs: [(String, UInt64)]
        if let number = device.datapathPort, let dp = b.kind.datapathName,
           let stats = host.withDatapath(named: dp, { try? $0.port(number: number).stats }) ?? nil {
            pairs = [("rx_packets", stats.rxPackets), ("tx_packets", stats.txPackets), ("rx_bytes", stats.rxBytes),
                     ("tx_bytes", stats.txBytes), ("rx_dropped", stats.rxDropped), ("tx_dropped", stats.txDropped),
                     ("rx_errors", stats.rxErrors), ("tx_errors", stats.txErrors)]
        } else {
            pairs = [("rx_packets", 0), ("tx_packets", 0), ("rx_bytes", 0), ("tx_bytes", 0)]
        }
        pairs.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        return Datum(keys: pairs.map { .string($0.0) }, values: pairs.map { .integer(Int64(bitPattern: $0.1)) })
    }

    /// True when patch port `name`'s peer is a patch port of a bridge in
    /// the same datapath whose own peer is `name`.
    func hasPatchPeer(_ name: String, peer: String, kind: DatapathKind) -> Bool {
        bridges.values.contains { b in
            b.kind == kind && b.creationError == nil && b.interfaces[peer]?.patchPeer == name
        }
    }

    /// The interface types svs makes, sorted (`iface_types`).
    public static let interfaceTypes = ["dummy", "dummy-internal", "internal", "patch", "system", "tap"]
}

/// A bridge as it runs.
final class RunningBridge {
    let name: String
    let datapathType: String
    let kind: DatapathKind
    /// Set when the bridge could not be made (its interfaces stay blank).
    var creationError: String?
    var ofproto: OFProtoBridge?
    var allocator = OFPortAllocator()
    /// The bridge's own port (OpenFlow `LOCAL`).
    var local: RunningInterface?
    /// Interfaces with a device, by name (the local port excluded).
    var interfaces: [String: RunningInterface] = [:]
    /// Interfaces that could not be made, with the error text.
    var failures: [String: String] = [:]
    var management: OpenFlowManagementServer?
    /// Controller connections and what they were configured from (Controllers.swift).
    var controllers: OFControllerManager?
    var controllerConfig = BridgeControllerConfig()
    var datapathID: UInt64 = 0
    /// The bridge's MAC when neither `hwaddr` nor a device gives one.
    let fallbackMAC = BridgeLayer.randomMAC()

    init(name: String, datapathType: String, kind: DatapathKind) {
        self.name = name
        self.datapathType = datapathType
        self.kind = kind
    }

    var summary: RunningBridgeSummary {
        RunningBridgeSummary(datapathType: datapathType, interfaces: interfaces.mapValues(\.key),
                             ofports: interfaces.mapValues(\.ofport))
    }

    /// The bridge's MAC (Open vSwitch's `bridge_pick_local_hw_addr`, simplified):
    /// `other_config:hwaddr` if it is a unicast address, else the local
    /// device's own address when it has a real one, else a random one kept
    /// for the bridge's life.
    func bridgeMAC(_ spec: BridgeSpec) -> EthernetAddress {
        if let text = spec.otherConfig["hwaddr"], let mac = EthernetAddress(Substring(text)), !mac.isMulticast,
           mac != .zero {
            return mac
        }
        if let local, local.portType == "tap", let mac = local.liveStatus().mac { return mac }
        return fallbackMAC
    }
}

/// An interface as it runs: its device and OpenFlow port.
struct RunningInterface: Sendable {
    var name: String
    /// The Interface `type`.
    var type: String
    var key: DeviceKey
    var ofport: UInt16 = 0
    /// The datapath port; nil for patch ports.
    var datapathPort: DatapathPort?
    /// The datapath port's type (`system`, `tap`, `dummy`...).
    var portType: String?
    var patchPeer: String?
    /// The address of an in-memory or patch device (real devices are read live).
    var mac: EthernetAddress?
    /// A system port's Linux ifindex when it was opened: another one now
    /// means the device was deleted and made again.
    var ifindex: Int32?

    init(name: String, type: String, key: DeviceKey) {
        self.name = name
        self.type = type
        self.key = key
    }

    struct Live {
        var adminUp: Bool
        var linkUp: Bool
        var mac: EthernetAddress?
        var ifindex: Int32
        /// The device's MTU (none for patch ports).
        var mtu: Int? = nil
    }

    /// Admin and link state, address and ifindex: read from the Linux
    /// device for `system` and `tap` ports; up, with the kept address and
    /// ifindex 0, for in-memory and patch ports.
    func liveStatus() -> Live {
        if portType == "system" || portType == "tap", let info = try? InterfaceInfo.read(name) {
            let o = info.hardwareAddress
            let mac = o.count == 6 ? EthernetAddress(o[0], o[1], o[2], o[3], o[4], o[5]) : nil
            return Live(adminUp: info.isUp, linkUp: info.isUp && info.isRunning, mac: mac, ifindex: info.index,
                        mtu: info.mtu)
        }
        if portType == "system" || portType == "tap" {
            return Live(adminUp: false, linkUp: false, mac: nil, ifindex: 0)
        }
        return Live(adminUp: true, linkUp: true, mac: mac, ifindex: 0, mtu: patchPeer == nil ? 1500 : nil)
    }

    func bridgePort(port: PortSpec?) -> BridgePort {
        let live = liveStatus()
        var p = BridgePort(name: name, ofport: OFPort(rawValue: ofport), datapathPort: datapathPort, type: type,
                           patchPeer: patchPeer, vlanMode: port?.vlanMode, tag: port?.tag, trunks: port?.trunks ?? [],
                           customerVLANs: port?.customerVLANs ?? [], mac: live.mac ?? mac)
        p.isLive = live.linkUp      // PortLinkState.swift
        return p
    }
}
