import Flow
import Wire

// The NORMAL action: an 802.1Q learning switch (OVS's `xlate_normal`).

/// Up to two VLAN headers as NORMAL sees them (OVS's `struct xvlan`).
struct XVLAN: Equatable {
    var tpid: (UInt16, UInt16) = (0, 0)
    var vid: (UInt16, UInt16) = (0, 0)
    /// PCP bits in place (0xe000).
    var pcp: (UInt16, UInt16) = (0, 0)

    static func == (a: XVLAN, b: XVLAN) -> Bool {
        a.tpid == b.tpid && a.vid == b.vid && a.pcp == b.pcp
    }

    /// `xvlan_extract`.
    init(_ k: FlowKey) {
        if isVLANTPID(k[.vlan0TPID]) && k[.vlan0TCI] & 0x1000 != 0 {
            tpid.0 = UInt16(k[.vlan0TPID]); vid.0 = UInt16(k[.vlan0TCI] & 0xfff); pcp.0 = UInt16(k[.vlan0TCI] & 0xe000)
            if isVLANTPID(k[.vlan1TPID]) && k[.vlan1TCI] & 0x1000 != 0 {
                tpid.1 = UInt16(k[.vlan1TPID]); vid.1 = UInt16(k[.vlan1TCI] & 0xfff); pcp.1 = UInt16(k[.vlan1TCI] & 0xe000)
            }
        }
    }
    init() {}

    mutating func pop() {
        tpid = (tpid.1, 0); vid = (vid.1, 0); pcp = (pcp.1, 0)
    }
    mutating func pushUninit() {
        tpid = (0, tpid.0); vid = (0, vid.0); pcp = (0, pcp.0)
    }

    /// `xvlan_put` (priority tags never).
    func put(into k: inout FlowKey) {
        for i in 0..<2 {
            let v = i == 0 ? vid.0 : vid.1, p = i == 0 ? pcp.0 : pcp.1, t = i == 0 ? tpid.0 : tpid.1
            var tci = UInt64(v | (p & 0xe000))
            if tci != 0 {
                tci |= 0x1000
                k[i == 0 ? .vlan0TPID : .vlan1TPID] = UInt64(t != 0 ? t : 0x8100)
            }
            k[i == 0 ? .vlan0TCI : .vlan1TCI] = tci
        }
    }
}

/// A port's VLAN configuration as NORMAL uses it (OVS's xbundle fields).
struct PortVLANs {
    var mode: PortVLANMode
    /// The access/native VLAN (0 for trunks).
    var vlan: UInt16
    /// Trunked VLANs; nil: all.
    var trunks: Set<UInt16>?
    var cvlans: Set<UInt16>?

    init(_ p: BridgePort) {
        mode = p.vlanMode ?? (p.tag != nil ? .access : .trunk)
        vlan = mode == .trunk ? 0 : (p.tag ?? 0)
        cvlans = p.customerVLANs.isEmpty ? nil : Set(p.customerVLANs)
        switch mode {
        case .access: trunks = nil
        case .trunk, .dot1qTunnel: trunks = p.trunks.isEmpty ? nil : Set(p.trunks)
        case .nativeTagged, .nativeUntagged:
            var t = p.trunks.isEmpty ? nil : Set(p.trunks)
            if vlan != 0 && (t == nil || !t!.contains(vlan) || t!.contains(0)) {
                var all = t ?? Set(0..<4096)
                all.insert(vlan)
                all.remove(0)
                t = all
            }
            trunks = t
        }
    }

    func trunksVLAN(_ v: UInt16) -> Bool { mode != .access && (trunks?.contains(v) ?? true) }
    func allowsCVLAN(_ v: UInt16) -> Bool { cvlans?.contains(v) ?? true }

    /// `xbundle_includes_vlan`.
    func includes(_ x: XVLAN) -> Bool {
        switch mode {
        case .access: return x.vid.0 == vlan && x.vid.1 == 0
        case .trunk, .nativeTagged, .nativeUntagged: return trunksVLAN(x.vid.0)
        case .dot1qTunnel: return x.vid.0 == vlan && allowsCVLAN(x.vid.1)
        }
    }

    /// `xvlan_input_translate`.
    func inputTranslate(_ i: XVLAN) -> XVLAN {
        var x = XVLAN()
        switch mode {
        case .access:
            x.tpid.0 = i.tpid.0 != 0 ? i.tpid.0 : 0x8100
            x.vid.0 = vlan
            x.pcp.0 = i.pcp.0
        case .trunk:
            x = i
        case .nativeTagged, .nativeUntagged:
            x = i
            if i.vid.0 == 0 {
                x.tpid.0 = i.tpid.0 != 0 ? i.tpid.0 : 0x8100
                x.vid.0 = vlan
                x.pcp.0 = i.pcp.0
            }
        case .dot1qTunnel:
            x = i
            x.pushUninit()
            x.tpid.0 = 0x88a8
            x.vid.0 = vlan
            x.pcp.0 = 0
        }
        return x
    }

    /// `xvlan_output_translate`.
    func outputTranslate(_ x: XVLAN) -> XVLAN {
        switch mode {
        case .access: return XVLAN()
        case .trunk, .nativeTagged: return x
        case .nativeUntagged:
            var o = x
            if x.vid.0 == vlan { o.pop() }
            return o
        case .dot1qTunnel:
            var o = x
            o.pop()
            return o
        }
    }
}

extension XlateContext {
    /// `xlate_normal`.
    mutating func normal() {
        wc.setExact(.ethSource)
        wc.setExact(.ethDestination)
        wc[.vlan0TCI] |= 0x1fff

        let inPortNumber = flow.openFlowInPort
        let knownInPort = config.port(inPortNumber)
        if knownInPort == nil && inPortNumber != .controller && inPortNumber != .any {
            report(.error, "received packet on unknown port \(inPortNumber.rawValue)")
            report(.warn, "no input bundle, dropping")
            return
        }
        // Traffic a controller sources (in_port NONE or CONTROLLER) comes
        // from OVS's `ofpp_none_bundle`: a trunk of every VLAN, not a port
        // (no admissibility check, nothing learned).
        let inPort = knownInPort ?? BridgePort(name: "OFPP_NONE", ofport: inPortNumber, datapathPort: nil)
        if isVLANTPID(flow[.ethType]) && flow[.vlan0TCI] & 0x1000 == 0 {
            report(.warn, "partial VLAN tag, dropping")
            return
        }
        let inVLANs = config.byName[inPort.name].map { config.vlans[$0] } ?? PortVLANs(inPort)
        let inX = XVLAN(flow)
        let vid = inX.vid.0
        var valid = true
        switch inVLANs.mode {
        case .access:
            if vid != 0 {
                report(.error, "dropping VLAN \(vid) tagged packet received on port \(inPort.name) configured as VLAN \(inVLANs.vlan) access port")
                valid = false
            }
        case .nativeTagged, .nativeUntagged, .trunk:
            if !(vid == 0 && inVLANs.mode != .trunk) && !inVLANs.trunksVLAN(vid) {
                report(.error, "dropping VLAN \(vid) packet received on port \(inPort.name) not configured for trunking VLAN \(vid)")
                valid = false
            }
        case .dot1qTunnel:
            if !inVLANs.allowsCVLAN(vid) {
                report(.error, "dropping VLAN \(vid) packet received on dot1q-tunnel port \(inPort.name) that excludes this VLAN")
                valid = false
            }
        }
        guard valid else {
            report(.warn, "disallowed VLAN VID for this input port, dropping")
            return
        }
        let x = inVLANs.inputTranslate(inX)
        let vlan = x.vid.0

        // Admissibility: reserved multicast destinations are not forwarded.
        if knownInPort != nil && isReservedMAC(flow[.ethDestination]) {
            report(.detail, "packet has reserved destination MAC, dropping")
            return
        }

        _ = gratuitousARP()
        if mayLearn && knownInPort != nil && flow[.packetType] == 0 {
            if bridge.macTable.learn(flow.ethSource, vlan: vlan, port: inPort.name), tracing {
                report(.detail, "learned that \(flow.ethSource) is on port \(inPort.name) in VLAN \(vlan)")
            }
        }

        if let learned = bridge.macTable.lookup(flow.ethDestination, vlan: vlan) {
            guard let outIndex = config.byName[learned] else {
                report(.warn, "learned port is unknown, dropping")
                return
            }
            let out = config.ports[outIndex]
            if out.ofport != inPort.ofport {
                report(.detail, "forwarding to learned port")
                outputNormal(out, config.vlans[outIndex], x)
            } else {
                report(.detail, "learned port is input port, dropping")
            }
        } else {
            report(.detail, "no learned MAC for destination, flooding")
            for i in config.ports.indices where config.ports[i].ofport != inPort.ofport
                && !config.openFlowConfig(config.ports[i].ofport).contains(.noFlood) {
                if config.vlans[i].includes(x) { outputNormal(config.ports[i], config.vlans[i], x) }
            }
        }
    }

    /// `output_normal`.
    mutating func outputNormal(_ port: BridgePort, _ v: PortVLANs, _ x: XVLAN) {
        if v.mode == .dot1qTunnel && v.cvlans != nil { wc[.vlan1TCI] = 0xffff }
        let out = v.outputTranslate(x)
        let old = (flow[.vlan0], flow[.vlan1])
        out.put(into: &flow)
        composeOutput(port.ofport, isLast: false)
        flow[.vlan0] = old.0
        flow[.vlan1] = old.1
    }

    /// `is_gratuitous_arp` (its wildcard effects).
    mutating func gratuitousARP() -> Bool {
        guard flow[.ethType] == 0x0806 else { return false }
        wc.setExact(.ethDestination)
        guard flow[.ethDestination] == 0xffff_ffff_ffff else { return false }
        wc.setExact(.networkProtocol)
        if flow[.networkProtocol] == 2 { return true }
        if flow[.networkProtocol] == 1 {
            wc.setExact(.ipv4Source)
            wc.setExact(.ipv4Destination)
            return flow[.ipv4Source] == flow[.ipv4Destination]
        }
        return false
    }
}

/// `eth_addr_is_reserved`: IEEE 802.1D/802.1Q link-local groups and Cisco
/// protocol addresses that bridges do not forward.
func isReservedMAC(_ mac: UInt64) -> Bool {
    if mac & 0xffff_ffff_fff0 == 0x0180_c200_0000 { return true }
    switch mac {
    case 0x0100_0ccc_cccc, 0x0100_0ccc_cccd, 0x0100_0ccd_cdcd, 0x0100_0ccc_ccce,
         0x0100_0c00_0000, 0x0100_0ccc_ccc0, 0x0100_0ccc_ccc1, 0x0100_0ccc_ccc2, 0x0100_0ccc_ccc3,
         0x0100_0ccc_ccc4, 0x0100_0ccc_ccc5, 0x0100_0ccc_ccc6, 0x0100_0ccc_ccc7:
        return true
    default:
        return false
    }
}
