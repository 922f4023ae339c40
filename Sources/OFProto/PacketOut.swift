import DPIF
import Datapath
import Flow
import Synchronization

// Packet-out (OVS's `ofproto_packet_out` / `packet_execute`): the actions
// of an OFPT_PACKET_OUT are translated against the frame, as if it had
// arrived on `in_port`, and the resulting datapath actions are executed
// once. Nothing is cached.

/// Why a packet-out could not be executed.
public enum PacketOutError: Error, Sendable, Equatable {
    /// `in_port` is neither a port of the bridge nor LOCAL/CONTROLLER/NONE (OFPBRC_BAD_PORT).
    case badInPort
    /// The bridge has no datapath to run it on.
    case noDatapath
    /// The frame is empty or the datapath refused it.
    case failed(String)
}

extension BridgeAsyncMessages {
    /// The slow path that executes this bridge's packet-outs (the bridge
    /// layer sets it when it makes the bridge).
    public var slowPath: SlowPath? {
        get { executor.withLock { $0 } }
        set { executor.withLock { $0 = newValue } }
    }
}

extension OFProtoBridge {
    /// Executes a packet-out: `actions` applied to `packet` as received on
    /// `inPort` (a port of the bridge, or LOCAL, CONTROLLER or NONE).
    public func packetOut(_ packet: [UInt8], inPort: OFPort, actions: [OFAction]) throws(PacketOutError) {
        guard let slowPath = asyncMessages.slowPath else { throw .noDatapath }
        try slowPath.packetOut(packet, inPort: inPort, actions: actions, bridge: self)
    }
}

extension SlowPath {
    /// Translates `actions` for `packet` arriving on `inPort` of `bridge`
    /// and executes the result on the datapath.
    public func packetOut(_ packet: [UInt8], inPort: OFPort, actions: [OFAction],
                          bridge: OFProtoBridge) throws(PacketOutError) {
        guard !packet.isEmpty else { throw .failed("empty packet") }
        let config = bridge.snapshot
        var datapathInPort = DatapathPort.none
        switch inPort {
        case .controller, .any:
            break
        default:
            guard let p = config.port(inPort) else { throw .badInPort }
            datapathInPort = p.datapathPort ?? .none
        }
        var flow = packet.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: datapathInPort.rawValue) }
        flow.openFlowInPort = inPort
        var ctx = XlateContext(bridges: bridges, bridge: bridge, flow: flow, mayLearn: true, trace: nil)
        ctx.wcInit()
        ctx.inPacketOut = true
        ctx.doActions(actions, isLast: true)
        if ctx.error == nil { ctx.executeActionSet() }
        guard ctx.error == nil, !ctx.actions.isEmpty else { return }
        var metadata = PacketMetadata()
        metadata.inPort = datapathInPort
        let execution = PacketExecution(packet: packet, metadata: metadata, actions: ctx.actions)
        let result = access.withDatapath(named: datapathName) { dp -> Result<Void, DPIFError> in
            Result { () throws(DPIFError) in try dp.execute(execution) }
        }
        switch result {
        case nil: throw .noDatapath
        case .failure(let e)?: throw .failed("\(e)")
        case .success?: return
        }
    }
}
