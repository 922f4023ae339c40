import Datapath
import Flow
import Wire

// `ofproto/trace` (OVS's ofproto-dpif-trace.c) and the entry point of
// translation for upcalls.

extension OFProtoBridges {
    /// Translates `flow` (in_port in OpenFlow numbering) through `bridge`.
    /// `mayLearn`: the packet is real (NORMAL learns its source MAC).
    public func translate(_ flow: FlowKey, bridge: OFProtoBridge, mayLearn: Bool) -> XlateResult {
        var ctx = XlateContext(bridges: self, bridge: bridge, flow: flow, mayLearn: mayLearn, trace: nil)
        ctx.run()
        return ctx.result
    }
}

extension XlateContext {
    var result: XlateResult {
        XlateResult(actions: error == nil ? actions : [], mask: wc, finalFlow: flow, error: error, rules: rules,
                    slowPath: slow, groups: groupHits)
    }
}

extension OFProtoCommands {
    /// `ofproto/trace` in full (see `trace`).
    static func runTrace(_ arguments: [String], bridges: OFProtoBridges) throws(OFProtoCommandError) -> String {
        var args: [String] = []
        var generate = false
        for a in arguments {
            if a == "-generate" || a == "--generate" {
                generate = true
            } else if a.hasPrefix("-") {
                throw OFProtoCommandError("\(a): unknown option")
            } else if args.count >= 3 {
                throw OFProtoCommandError("too many arguments")
            } else {
                args.append(a)
            }
        }
        // A packet in hex after the flow (`eth_from_hex`).
        var packet: [UInt8]? = nil
        if !generate && args.count > 1, let last = args.last {
            if isHexPacket(last) && last.utf8.count >= 28 {
                packet = hexBytes(last)
                args.removeLast()
            } else if args.count > 2 {
                throw OFProtoCommandError(isHexPacket(last) ? "Packet data too short for Ethernet"
                                                            : "Trailing garbage in packet data")
            }
        }
        guard args.count == 1 || args.count == 2 else { throw OFProtoCommandError("Syntax error") }

        // The datapath ("backer").
        let datapaths = Set(bridges.all.map(\.datapathName))
        var backer: String? = nil
        if args.count == 2 {
            let name = args[0]
            backer = datapaths.first { $0 == name || $0 == "ovs-" + name || "ovs-" + $0 == name }
        } else if datapaths.count == 1 {
            backer = datapaths.first
        }

        var flow: FlowKey
        let bridge: OFProtoBridge
        var text = args[args.count - 1]
        if let backer { text = datapathPortNamesResolved(text, datapath: backer, bridges: bridges) }
        if let parsed = try? parseODPFlow(text) {
            guard let backer else { throw OFProtoCommandError("Cannot find the datapath") }
            flow = parsed.key
            let dp = flow.inPort
            guard let (b, p) = bridges.port(datapath: backer, dp) else {
                throw OFProtoCommandError("no OpenFlow port for datapath port \(dp.rawValue)")
            }
            bridge = b
            flow.openFlowInPort = p.ofport
        } else if args.count != 2 {
            var message = "syntax error"
            do throws(DatapathKeyError) { _ = try parseODPFlow(text) } catch { message = error.message }
            throw OFProtoCommandError("\(message) (or the bridge name was omitted)")
        } else {
            guard let b = bridges.bridge(named: args[0]) else { throw OFProtoCommandError("\(args[0]): unknown bridge") }
            bridge = b
            text = portNamesResolved(text, bridge: b)
            try validateExactFlow(text)
            do {
                flow = try Match.parse(text).match.key
            } catch {
                var message = error.message
                if message.hasPrefix("unknown keyword ") {
                    message = "\(text): unknown field " + message.dropFirst("unknown keyword ".count)
                }
                throw OFProtoCommandError("Bad openflow flow syntax: \(message)")
            }
            // No in_port given: OFPP_NONE.
            if flow[.inPort] == 0 { flow[.inPort] = 0xffff }
        }

        if let packet {
            // The flow's metadata and the packet's headers (`pkt_metadata_from_flow`, `flow_extract`).
            var k = packet.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: UInt32(flow.openFlowInPort.rawValue)) }
            k.skbPriority = flow.skbPriority
            k.packetMark = flow.packetMark
            k.recirculationID = flow.recirculationID
            k.dpHash = flow.dpHash
            flow = k
        }
        // A VLAN given in OpenFlow syntax is an 802.1Q header.
        if flow[.vlan0TCI] & 0x1000 != 0 && flow[.vlan0TPID] == 0 { flow[.vlan0TPID] = 0x8100 }
        if flow[.vlan1TCI] & 0x1000 != 0 && flow[.vlan1TPID] == 0 { flow[.vlan1TPID] = 0x8100 }
        let root = TraceNode(.table, "")
        var ctx = XlateContext(bridges: bridges, bridge: bridge, flow: flow, mayLearn: generate || packet != nil, trace: root)
        ctx.run()

        var out = "Flow: " + flow.formatted() + "\n"
        TraceNode.print(root.subs, level: 0, into: &out)
        out += "\nFinal flow: "
        out += ctx.flow == flow ? "unchanged" : ctx.flow.formatted()
        out += "\n"
        out += "Megaflow: " + Match(key: flow, mask: ctx.wc).formatted() + "\n"
        out += "Datapath actions: " + DatapathActionText.formatted(ctx.error == nil ? ctx.actions : [])
        if let e = ctx.error {
            out += "\nTranslation failed (\(dropCodeText(e))), packet is dropped.\n"
        } else if ctx.slowAction {
            out += "\nThis flow is handled by the userspace slow path because it:"
            out += "\n  - Uses action(s) not supported by datapath."
        }
        return out
    }

    /// `in_port=NAME` (or `in_port="NAME"`) naming a port of `bridge` written
    /// as its OpenFlow number, as OVS's trace reads the flow with the
    /// bridge's port map. Numbers and the reserved names (`LOCAL`, ...) are
    /// left as they are.
    static func portNamesResolved(_ text: String, bridge: OFProtoBridge) -> String {
        guard text.contains("in_port=") else { return text }
        let reserved: Set<String> = ["IN_PORT", "TABLE", "NORMAL", "FLOOD", "ALL", "CONTROLLER", "LOCAL", "ANY",
                                     "NONE", "UNSET"]
        let ports = bridge.ports
        let tokens = text.split(separator: ",", omittingEmptySubsequences: false).map { token -> String in
            guard token.hasPrefix("in_port=") else { return String(token) }
            var name = String(token.dropFirst("in_port=".count))
            if name.count >= 2 && name.hasPrefix("\"") && name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
            guard !name.isEmpty, !name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  !reserved.contains(name.uppercased()),
                  let port = ports.first(where: { $0.name == name }) else { return String(token) }
            return "in_port=\(port.ofport.rawValue)"
        }
        return tokens.joined(separator: ",")
    }

    /// `in_port(NAME)` naming a port of datapath `datapath` written as its
    /// datapath port number (OVS reads a datapath flow with the names of the
    /// datapath's ports).
    static func datapathPortNamesResolved(_ text: String, datapath: String, bridges: OFProtoBridges) -> String {
        guard let start = text.firstRange(of: "in_port("),
              let end = text[start.upperBound...].firstIndex(of: ")") else { return text }
        let name = String(text[start.upperBound..<end])
        guard !name.isEmpty, !name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return text }
        for b in bridges.all where b.datapathName == datapath {
            if let dp = b.ports.first(where: { $0.name == name })?.datapathPort {
                var out = text
                out.replaceSubrange(start.upperBound..<end, with: "\(dp.rawValue)")
                return out
            }
        }
        return text
    }

    /// The checks of `parse_ofp_exact_flow`, in its order, field by field:
    /// a protocol shorthand may not set the Ethernet type (or the network
    /// protocol) twice; a field must be known, have its prerequisites met by
    /// what came before it, not be set already (nonzero), and have an exact
    /// value (no mask).
    static func validateExactFlow(_ text: String) throws(OFProtoCommandError) {
        func fail(_ m: String) -> OFProtoCommandError { OFProtoCommandError("Bad openflow flow syntax: \(m)") }
        let shorthands: [String: Bool] = [  // name: sets nw_proto
            "ip": false, "ipv4": false, "ipv6": false, "arp": false, "rarp": false, "mpls": false, "mplsm": false,
            "icmp": true, "icmp6": true, "tcp": true, "tcp6": true, "udp": true, "udp6": true, "sctp": true,
            "sctp6": true,
        ]
        let tokens = text.split(separator: ",").map(String.init)
        for (i, token) in tokens.enumerated() {
            let kv = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = kv[0], value = kv.count > 1 ? kv[1] : ""
            guard let before = try? Match.parse(tokens[..<i].joined(separator: ",")).match.key else { return }
            if kv.count == 1, let setsProtocol = shorthands[name] {
                if before[.ethType] != 0 { throw fail("\(text): Ethernet type set multiple times") }
                if setsProtocol && before[.networkProtocol] != 0 {
                    throw fail("\(text): network protocol set multiple times")
                }
                continue
            }
            guard let field = OFField.named(name) else {
                if case .failure(let e) = Result(catching: { () throws(MatchParseError) in try Match.parse(token) }),
                   e.message.hasPrefix("unknown keyword ") {
                    throw fail("\(text): unknown field \(name)")
                }
                continue
            }
            if !field.prerequisitesHold(key: before) {
                throw fail("\(text): prerequisites not met for setting \(name)")
            }
            if field.value(in: before) != 0 { throw fail("\(text): field \(name) set multiple times") }
            let parsed: Match
            do {
                parsed = try Match.parse(token).match
            } catch {
                throw fail("\(text): bad value for \(name) (\(error.message))")
            }
            var maskKey = FlowKey()
            maskKey.words = parsed.mask.words
            if (value.contains("/") || value.hasPrefix("+") || value.hasPrefix("-")),
               field.storage != .none, field.value(in: maskKey) != field.allOnes {
                throw fail("\(text): bad value for \(name) (\(value): wildcards not allowed here)")
            }
        }
    }

    /// A datapath flow as `odp_flow_key_to_flow` reads it for a trace: a
    /// key that stops before the transport header (OVS's "too little")
    /// is taken with zero ports.
    static func parseODPFlow(_ text: String) throws(DatapathKeyError) -> (key: FlowKey, mask: FlowMask) {
        do {
            return try DatapathKeyAttributes.parseFlow(text)
        } catch {
            let m = error.description
            for (name, filler) in [("tcp", "tcp(src=0,dst=0)"), ("udp", "udp(src=0,dst=0)"), ("sctp", "sctp(src=0,dst=0)"),
                                   ("icmp", "icmp(type=0,code=0)"), ("icmpv6", "icmpv6(type=0,code=0)")]
            where m == "flow key lacks \(name)()" {
                return try DatapathKeyAttributes.parseFlow(text + "," + filler)
            }
            throw error
        }
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        let digits = Array(s.utf8).map { c -> UInt8 in
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: c - 55
            }
        }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func isHexPacket(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count % 2 == 0 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }

    /// `xlate_strerror`.
    static func dropCodeText(_ e: DropCode) -> String {
        switch e {
        case .bridgeNotFound: "Bridge not found"
        case .recursionTooDeep: "Recursion too deep"
        case .tooManyResubmits: "Too many resubmits"
        case .stackTooDeep: "Stack too deep"
        case .noRecirculationContext: "No recirculation context"
        case .recirculationConflict: "Recirculation conflict"
        case .tooManyMPLSLabels: "Too many MPLS labels"
        case .invalidTunnelMetadata: "Invalid tunnel metadata"
        case .unsupportedPacketType: "Unsupported packet type"
        case .congestionDrop: "Congestion Drop"
        case .forwardingDisabled: "Forwarding is disabled"
        default: "OK"
        }
    }

    /// `fdb/show BRIDGE`.
    public static func fdbShow(_ arguments: [String], bridges: OFProtoBridges) throws(OFProtoCommandError) -> String {
        guard arguments.count == 1, let b = bridges.bridge(named: arguments[0]) else {
            throw OFProtoCommandError("no such bridge")
        }
        var out = " port  VLAN  MAC                Age\n"
        let cfg = b.snapshot
        for e in b.macTable.entries {
            let port = cfg.port(named: e.port).map { $0.ofport.description } ?? "?"
            out += pad(port, 5) + "  " + pad(String(e.vlan), 4) + "  " + e.mac.description + "  "
                + pad(String(b.macTable.age(of: e)), 3) + "\n"
        }
        return out
    }

    /// `fdb/flush [BRIDGE]`.
    public static func fdbFlush(_ arguments: [String], bridges: OFProtoBridges) throws(OFProtoCommandError) -> String {
        if let name = arguments.first {
            guard let b = bridges.bridge(named: name) else { throw OFProtoCommandError("no such bridge") }
            b.macTable.flush()
        } else {
            for b in bridges.all { b.macTable.flush() }
        }
        return "table successfully flushed"
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : String(repeating: " ", count: n - s.count) + s
    }
}
