import Datapath
import Flow

/// Serves the typed messages of the datapath and vport families against
/// the datapaths of a `DatapathRegistry` (the part of the message
/// interface that does not depend on the flow-key encoding). Each request
/// gets its replies (several for `dump`) or a `DPIFError`.
public struct DPIFMessageServer {
    public let registry: DatapathRegistry
    /// Port type made for a vport type on `new` (`netdev` → `system`,
    /// `internal` → `internal`); `nil` refuses the type.
    public var portType: (VportType) -> PortType?

    public init(registry: DatapathRegistry,
                portType: @escaping (VportType) -> PortType? = DPIFMessageServer.defaultPortType) {
        self.registry = registry
        self.portType = portType
    }

    /// `netdev` → `system`, `internal` → `internal`; tunnels are not supported yet.
    public static func defaultPortType(_ type: VportType) -> PortType? {
        switch type {
        case .netdev: .system
        case .internal: .internal
        default: nil
        }
    }

    /// The vport type a port is reported as.
    public static func vportType(_ type: PortType) -> VportType {
        type == .internal || type == .dummyInternal ? .internal : .netdev
    }

    // MARK: Datapath family

    private func datapath(index: Int32, name: String?) throws(DPIFError) -> LocalDatapath {
        if index != 0 { return try registry.open(index: index) }
        guard let name else { throw .invalid("no datapath index or name") }
        return try registry.open(name: name)
    }

    private func reply(_ command: DPIFCommand, _ dp: LocalDatapath, features: DatapathFeatures? = nil) -> DatapathReply {
        let s = dp.statistics()
        return DatapathReply(command: command, datapathIndex: dp.index, name: dp.name, stats: s.datapath,
                             megaflowStats: s.megaflow, userFeatures: features)
    }

    /// Handles a datapath-family request.
    public func handle(_ request: DatapathRequest) throws(DPIFError) -> [DatapathReply] {
        switch request.command {
        case .new:
            guard let name = request.name else { throw .invalid("NEW needs a name") }
            let dp = try registry.create(name: name)
            return [reply(.new, dp, features: request.userFeatures)]
        case .delete:
            let dp = try datapath(index: request.datapathIndex, name: request.name)
            let r = reply(.delete, dp)
            try registry.delete(name: dp.name)
            return [r]
        case .get:
            return [reply(.get, try datapath(index: request.datapathIndex, name: request.name))]
        case .set:
            return [reply(.set, try datapath(index: request.datapathIndex, name: request.name),
                          features: request.userFeatures)]
        case .dump:
            var out: [DatapathReply] = []
            for name in registry.names { out.append(reply(.dump, try registry.open(name: name))) }
            return out
        }
    }

    // MARK: Vport family

    private func reply(_ command: DPIFCommand, _ dp: LocalDatapath, _ p: DPIFPort) -> VportReply {
        VportReply(command: command, datapathIndex: dp.index, portNumber: p.number,
                   type: Self.vportType(p.type), name: p.name, stats: p.stats)
    }

    private func port(_ dp: LocalDatapath, _ request: VportRequest) throws(DPIFError) -> DPIFPort {
        if let n = request.portNumber { return try dp.port(number: n) }
        guard let name = request.name else { throw .invalid("no port number or name") }
        return try dp.port(named: name)
    }

    /// Handles a vport-family request.
    public func handle(_ request: VportRequest) throws(DPIFError) -> [VportReply] {
        let dp = try registry.open(index: request.datapathIndex)
        switch request.command {
        case .new:
            guard let name = request.name, let vtype = request.type else { throw .invalid("NEW needs name and type") }
            guard let type = portType(vtype) else { throw .notSupported("vport type \(vtype.rawValue)") }
            let number = try dp.addPort(PortConfiguration(name: name, type: type, requestedNumber: request.portNumber))
            return [reply(.new, dp, try dp.port(number: number))]
        case .delete:
            let p = try port(dp, request)
            try dp.deletePort(p.number)
            return [reply(.delete, dp, p)]
        case .get:
            return [reply(.get, dp, try port(dp, request))]
        case .set:
            return [reply(.set, dp, try port(dp, request))]
        case .dump:
            return dp.dumpPorts().map { reply(.dump, dp, $0) }
        }
    }
}
