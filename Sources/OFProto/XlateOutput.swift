import Datapath
import Flow
import Wire

// Output (ports, patch ports, flooding) and the commit of flow changes to
// datapath `set`/`push`/`pop` actions (OVS's `commit_odp_actions`).

extension XlateContext {
    /// `xlate_output_action`.
    mutating func outputAction(_ port: OFPort, controllerLength: UInt16, mayPacketIn: Bool, isLast: Bool) {
        switch port {
        case .inPort:
            composeOutput(flow.openFlowInPort, isLast: isLast)
        case .table:
            tableAction(inPort: flow.openFlowInPort, table: 0, mayPacketIn: mayPacketIn, honorMiss: true,
                        isLast: false, runner: .direct)
        case .normal:
            normal()
        case .flood:
            flood(all: false, isLast: isLast)
        case .all:
            flood(all: true, isLast: isLast)
        case .controller:
            controllerAction(maxLength: controllerLength, reason: inActionSet ? 3 : 1)
        case .any:
            break
        default:
            if port != flow.openFlowInPort {
                composeOutput(port, isLast: isLast)
            } else {
                report(.warn, "skipping output to input port")
            }
        }
    }

    /// `flood_packets`.
    mutating func flood(all: Bool, isLast: Bool) {
        let inPort = flow.openFlowInPort
        for p in config.ports where p.ofport != inPort && (all || !config.openFlowConfig(p.ofport).contains(.noFlood)) {
            composeOutput(p.ofport, isLast: false)
        }
    }

    /// `compose_output_action__`.
    mutating func composeOutput(_ ofport: OFPort, isLast: Bool) {
        guard let port = config.port(ofport) else {
            report(.warn, "Nonexistent output port")
            return
        }
        if config.openFlowConfig(ofport).contains(.noForward) {
            report(.detail, "OFPPC_NO_FWD set, skipping output")
            return
        }
        if let peer = port.patchPeer, port.type == "patch" {
            patchOutput(from: port, peerName: peer, isLast: isLast)
            return
        }
        guard let dp = port.datapathPort else { return }
        let saved = (flow[.vlan0], flow[.vlan1], flow[.networkTOS], flow[.ethDestination], flow[.ethSource],
                     flow[.packetType], flow[.ethType])
        commit()
        actions.append(.output(dp))
        flow[.vlan0] = saved.0
        flow[.vlan1] = saved.1
        flow[.networkTOS] = saved.2
        flow[.ethDestination] = saved.3
        flow[.ethSource] = saved.4
        flow[.packetType] = saved.5
        flow[.ethType] = saved.6
    }

    /// `patch_port_output`: continues the translation in the peer bridge.
    mutating func patchOutput(from port: BridgePort, peerName: String, isLast: Bool) {
        guard let (peerBridge, peerPort) = bridges.owner(ofPort: peerName), peerPort.type == "patch",
              peerPort.patchPeer == port.name else { return }
        let oldFlow = flow, oldTunnelMask = (0...16).map { wc.words[$0] }
        let oldBridge = bridge, oldConfig = config, oldStack = stack, oldSet = actionSet, oldTrace = trace
        let oldHasGroup = actionSetHasGroup
        stack = []
        actionSet = []
        actionSetHasGroup = false
        flow.openFlowInPort = peerPort.ofport
        flow.metadata = 0
        for w in 0...16 {
            flow.words[w] = 0
            wc.words[w] = 0
        }
        for i in 0..<16 { flow.setRegister(i, 0) }
        flow[.actionSetOutput] = 0
        // Conntrack state is cleared.
        flow[.ctState] = 0
        flow[.ctZone] = 0
        flow[.ctMark] = 0
        flow.ctLabel = (0, 0)
        flow[.ctNetworkProtocol] = 0
        flow[.ctIPv4Source] = 0
        flow[.ctIPv4Destination] = 0
        flow.ctIPv6Source = .any
        flow.ctIPv6Destination = .any
        flow[.ctTransportSource] = 0
        flow[.ctTransportDestination] = 0
        if tracing { trace = report(.bridge, "bridge(\"\(peerBridge.name)\")") }
        bridge = peerBridge
        config = peerBridge.snapshot

        // `may_receive` of the peer (PortConfig.swift).
        if mayReceive(peerPort.ofport) {
            tableAction(inPort: flow.openFlowInPort, table: 0, mayPacketIn: true, honorMiss: true,
                        isLast: isLast, runner: .clone)
            executeActionSet()
        }
        countPatchTraffic(out: port.ofport, outConfig: oldConfig, peer: peerPort.ofport)

        trace = oldTrace
        flow = oldFlow
        bridge = oldBridge
        config = oldConfig
        actionSet = oldSet
        actionSetHasGroup = oldHasGroup
        stack = oldStack
        for w in 0...16 { wc.words[w] = oldTunnelMask[w] }
        exit = false
        error = nil
    }

    // MARK: Commit

    /// `commit_odp_actions`: datapath actions that make the packet (as
    /// `base` describes it) look like `flow`.
    mutating func commit() {
        if flow[.packetType] == 0 && base[.packetType] == 0 { commitEthernet() }
        var mplsDone = false
        if base.ethType.isMPLSType && !flow.ethType.isMPLSType {
            commitMPLS()
            mplsDone = true
        }
        commitNetwork()
        commitPorts()
        commitICMP()
        if !mplsDone { commitMPLS() }
        commitVLAN()
        commitPriority()
        commitMark()
    }

    /// Per-field masks of the fields that differ between flow and base
    /// (`keycmp_mask`): the wildcard mask on differing fields, zero elsewhere.
    private func diffMask(_ f: FlowField) -> UInt64 {
        flow[f] == base[f] ? 0 : wc[f]
    }

    mutating func commitEthernet() {
        let ms = diffMask(.ethSource), md = diffMask(.ethDestination)
        guard flow[.ethSource] != base[.ethSource] || flow[.ethDestination] != base[.ethDestination] else { return }
        let full = ms == FlowField.ethSource.maxValue && md == FlowField.ethDestination.maxValue
        let key = EthernetKey(source: EthernetAddress(rawValue: flow[.ethSource]),
                              destination: EthernetAddress(rawValue: flow[.ethDestination]))
        if full {
            actions.append(.set(.ethernet(key)))
        } else {
            let mask = EthernetKey(source: EthernetAddress(rawValue: ms), destination: EthernetAddress(rawValue: md))
            let value = EthernetKey(source: EthernetAddress(rawValue: flow[.ethSource] & ms),
                                    destination: EthernetAddress(rawValue: flow[.ethDestination] & md))
            actions.append(.setMasked(.ethernet(Masked(value, mask: mask))))
        }
        base[.ethSource] = flow[.ethSource]
        base[.ethDestination] = flow[.ethDestination]
        if full {
            wc.setExact(.ethSource)
            wc.setExact(.ethDestination)
        }
    }

    mutating func commitNetwork() {
        guard flow[.networkProtocol] != 0 else { return }
        switch base[.ethType] {
        case 0x0800:
            let fields: [FlowField] = [.ipv4Source, .ipv4Destination, .networkTOS, .networkTTL]
            guard fields.contains(where: { flow[$0] != base[$0] }) else { return }
            let m = fields.map { diffMask($0) }
            let value = IPv4Key(source: IPv4Address(rawValue: UInt32(flow[.ipv4Source] & m[0])),
                                destination: IPv4Address(rawValue: UInt32(flow[.ipv4Destination] & m[1])),
                                tos: UInt8(flow[.networkTOS] & m[2]), ttl: UInt8(flow[.networkTTL] & m[3]))
            let mask = IPv4Key(source: IPv4Address(rawValue: UInt32(m[0])), destination: IPv4Address(rawValue: UInt32(m[1])),
                               tos: UInt8(m[2]), ttl: UInt8(m[3]))
            actions.append(.setMasked(.ipv4(Masked(value, mask: mask))))
            for f in fields { base[f] = flow[f] }
        case 0x86dd:
            let pairs: [FlowField] = [.ipv6SourceHigh, .ipv6SourceLow, .ipv6DestinationHigh, .ipv6DestinationLow]
            let small: [FlowField] = [.ipv6Label, .networkTOS, .networkTTL]
            let srcDiff = flow.ipv6Source != base.ipv6Source, dstDiff = flow.ipv6Destination != base.ipv6Destination
            guard srcDiff || dstDiff || small.contains(where: { flow[$0] != base[$0] }) else { return }
            let sm = srcDiff ? IPv6Address(high: wc.words[pairs[0].word], low: wc.words[pairs[1].word]) : .any
            let dm = dstDiff ? IPv6Address(high: wc.words[pairs[2].word], low: wc.words[pairs[3].word]) : .any
            let m = small.map { diffMask($0) }
            let value = IPv6Key(source: IPv6Address(high: flow.ipv6Source.high & sm.high, low: flow.ipv6Source.low & sm.low),
                                destination: IPv6Address(high: flow.ipv6Destination.high & dm.high,
                                                         low: flow.ipv6Destination.low & dm.low),
                                label: UInt32(flow[.ipv6Label] & m[0] & 0xfffff),
                                trafficClass: UInt8(flow[.networkTOS] & m[1]), hopLimit: UInt8(flow[.networkTTL] & m[2]))
            let mask = IPv6Key(source: sm, destination: dm, label: UInt32(m[0] & 0xfffff), trafficClass: UInt8(m[1]),
                               hopLimit: UInt8(m[2]))
            actions.append(.setMasked(.ipv6(Masked(value, mask: mask))))
            base.ipv6Source = flow.ipv6Source
            base.ipv6Destination = flow.ipv6Destination
            for f in small { base[f] = flow[f] }
        case 0x0806:
            commitARP()
        default:
            break
        }
    }

    /// `commit_set_arp_action`: a masked set of the ARP fields that
    /// changed (the datapath cannot do it: the flow takes the slow path).
    mutating func commitARP() {
        let fields: [FlowField] = [.ipv4Source, .ipv4Destination, .networkProtocol, .arpSHA, .arpTHA]
        guard fields.contains(where: { flow[$0] != base[$0] }) else { return }
        let m = fields.map { diffMask($0) }
        let opMask: UInt16 = m[2] == 0xff ? 0xffff : UInt16(m[2])
        let full = m[0] == 0xffff_ffff && m[1] == 0xffff_ffff && opMask == 0xffff
            && m[3] == FlowField.arpSHA.maxValue && m[4] == FlowField.arpTHA.maxValue
        let op = flow[.networkProtocol] == 0xff ? UInt16.max : UInt16(flow[.networkProtocol])
        let key = ARPKey(senderIP: IPv4Address(rawValue: UInt32(flow[.ipv4Source])),
                         targetIP: IPv4Address(rawValue: UInt32(flow[.ipv4Destination])), operation: op,
                         senderMAC: EthernetAddress(rawValue: flow[.arpSHA]), targetMAC: EthernetAddress(rawValue: flow[.arpTHA]))
        if full {
            actions.append(.set(.arp(key)))
        } else {
            let value = ARPKey(senderIP: IPv4Address(rawValue: UInt32(flow[.ipv4Source] & m[0])),
                               targetIP: IPv4Address(rawValue: UInt32(flow[.ipv4Destination] & m[1])),
                               operation: op & opMask, senderMAC: EthernetAddress(rawValue: flow[.arpSHA] & m[3]),
                               targetMAC: EthernetAddress(rawValue: flow[.arpTHA] & m[4]))
            let mask = ARPKey(senderIP: IPv4Address(rawValue: UInt32(m[0])), targetIP: IPv4Address(rawValue: UInt32(m[1])),
                              operation: opMask, senderMAC: EthernetAddress(rawValue: m[3]),
                              targetMAC: EthernetAddress(rawValue: m[4]))
            actions.append(.setMasked(.arp(Masked(value, mask: mask))))
        }
        for f in fields { base[f] = flow[f] }
        slow = true
        slowAction = true
    }

    mutating func commitPorts() {
        guard flow[.networkProtocol] != 0, base.isIPAny else { return }
        let proto = flow[.networkProtocol]
        guard proto == 6 || proto == 17 || proto == 132 else { return }
        guard flow[.transportSource] != base[.transportSource] || flow[.transportDestination] != base[.transportDestination]
        else { return }
        let ms = diffMask(.transportSource), md = diffMask(.transportDestination)
        let full = ms == 0xffff && md == 0xffff
        let key = TransportPorts(source: UInt16(flow[.transportSource]), destination: UInt16(flow[.transportDestination]))
        let set: DatapathAction
        if full {
            set = .set(proto == 6 ? .tcp(key) : proto == 17 ? .udp(key) : .sctp(key))
        } else {
            let v = Masked(TransportPorts(source: UInt16(flow[.transportSource] & ms),
                                          destination: UInt16(flow[.transportDestination] & md)),
                           mask: TransportPorts(source: UInt16(ms), destination: UInt16(md)))
            set = .setMasked(proto == 6 ? .tcp(v) : proto == 17 ? .udp(v) : .sctp(v))
        }
        actions.append(set)
        base[.transportSource] = flow[.transportSource]
        base[.transportDestination] = flow[.transportDestination]
    }

    mutating func commitICMP() {
        guard flow.isICMPAny else { return }
        guard flow[.transportSource] & 0xff != base[.transportSource] & 0xff
            || flow[.transportDestination] & 0xff != base[.transportDestination] & 0xff else { return }
        let key = ICMPKey(type: UInt8(flow[.transportSource] & 0xff), code: UInt8(flow[.transportDestination] & 0xff))
        actions.append(.set(flow[.ethType] == 0x0800 ? .icmp(key) : .icmpv6(key)))
        base[.transportSource] = flow[.transportSource]
        base[.transportDestination] = flow[.transportDestination]
        wc[.transportSource] |= 0xff
        wc[.transportDestination] |= 0xff
        slow = true
        slowAction = true
    }

    mutating func commitMPLS() {
        var none: FlowMask? = nil
        var baseN = mplsCount(base, wc: &none)
        let flowN = mplsCount(flow, wc: &none)
        var common = 0
        let minN = min(baseN, flowN)
        for i in 0..<minN {
            if flow[mplsFieldAt(flowN - 1 - i)] != base[mplsFieldAt(baseN - 1 - i)] { break }
            common += 1
        }
        while baseN > common {
            if baseN - 1 == common && flowN > common {
                let lse = flow[mplsFieldAt(flowN - baseN)]
                actions.append(.set(.mpls(MPLSLabelStackEntry(rawValue: UInt32(lse)))))
                base[.mplsLSE0] = lse
                common += 1
            } else {
                let type: UInt64 = (!flow.ethType.isMPLSType && baseN > 1) ? 0x8847 : flow[.ethType]
                actions.append(.popMPLS(EtherType(rawValue: UInt16(type))))
                for i in 1..<max(baseN, 1) { base[mplsFieldAt(i - 1)] = base[mplsFieldAt(i)] }
                base[mplsFieldAt(baseN - 1)] = 0
                base[.ethType] = flow[.ethType]
                baseN -= 1
            }
        }
        while baseN < flowN {
            let lse = flow[mplsFieldAt(flowN - baseN - 1)]
            actions.append(.pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(rawValue: UInt32(lse)),
                                              etherType: EtherType(rawValue: UInt16(flow[.ethType])))))
            if baseN > 0 {
                for i in stride(from: baseN, through: 1, by: -1) { base[mplsFieldAt(i)] = base[mplsFieldAt(i - 1)] }
            }
            base[.mplsLSE0] = lse
            base[.ethType] = flow[.ethType]
            baseN += 1
        }
    }

    mutating func commitVLAN() {
        var baseN = vlanCount(base), flowN = vlanCount(flow)
        // Skip the common inner headers.
        baseN -= 1
        flowN -= 1
        while baseN >= 0 && flowN >= 0 {
            let b = baseN == 0 ? base[.vlan0] : base[.vlan1]
            let f = flowN == 0 ? flow[.vlan0] : flow[.vlan1]
            if b != f { break }
            baseN -= 1
            flowN -= 1
        }
        while baseN >= 0 {
            actions.append(.popVLAN)
            if baseN == 0 { wc[.vlan0] = 0xffff_ffff } else { wc[.vlan1] = 0xffff_ffff }
            baseN -= 1
        }
        while flowN >= 0 {
            let tpid = UInt16(flowN == 0 ? flow[.vlan0TPID] : flow[.vlan1TPID])
            let tci = UInt16(flowN == 0 ? flow[.vlan0TCI] : flow[.vlan1TCI])
            actions.append(.pushVLAN(VLANPush(tagProtocol: VLANTagProtocol(rawValue: tpid) ?? .customer, tci: tci)))
            flowN -= 1
        }
        base[.vlan0] = flow[.vlan0]
        base[.vlan1] = flow[.vlan1]
    }

    mutating func commitPriority() {
        guard flow.skbPriority != base.skbPriority else { return }
        let m = UInt32(wc[.skbPriority])
        if m == .max {
            actions.append(.set(.skbPriority(flow.skbPriority)))
        } else {
            actions.append(.setMasked(.skbPriority(Masked(flow.skbPriority & m, mask: m))))
        }
        base.skbPriority = flow.skbPriority
    }

    mutating func commitMark() {
        guard flow.packetMark != base.packetMark else { return }
        let m = UInt32(wc[.packetMark])
        if m == .max {
            actions.append(.set(.packetMark(flow.packetMark)))
        } else {
            actions.append(.setMasked(.packetMark(Masked(flow.packetMark & m, mask: m))))
        }
        base.packetMark = flow.packetMark
    }
}
