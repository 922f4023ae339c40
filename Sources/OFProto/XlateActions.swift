import Datapath
import Flow
import Wire

// The OpenFlow actions of translation (`do_xlate_actions`).

extension XlateContext {
    /// Runs an action list; `isLast` when nothing follows it.
    mutating func doActions(_ acts: [OFAction], isLast: Bool) {
        if acts.isEmpty {
            report(.action, "drop")
            return
        }
        for (i, a) in acts.enumerated() {
            if error != nil || exit { break }
            let last = isLast && i == acts.count - 1 && actionSet.isEmpty
            if tracing {
                // A 128-bit `load` is two NXAST_REG_LOAD actions in Open vSwitch.
                let text = OFAction.format([a])
                if case .setField(_, _, _, .load) = a, text.contains(",load:") {
                    for part in text.split(separator: ",load:").enumerated() {
                        report(.action, part.offset == 0 ? String(part.element) : "load:" + part.element)
                    }
                } else {
                    report(.action, text)
                }
            }
            switch a {
            case .output(let port, let maxLength):
                outputAction(port, controllerLength: maxLength, mayPacketIn: true, isLast: last)
            case .controller(let c):
                controllerAction(maxLength: c.maxLength, reason: c.reason, controllerID: c.controllerID,
                                 userdata: c.userdata)
            case .enqueue(let port, let queue):
                // `xlate_enqueue_action`: output with the queue's priority
                // (dpif-netdev maps queue N to priority N).
                wc.setExact(.skbPriority)
                let saved = flow.skbPriority
                flow.skbPriority = queue
                composeOutput(port == .inPort ? flow.openFlowInPort : port, isLast: last)
                flow.skbPriority = saved
            case .outputRegister(let src, let maxLength):
                let v = src.field.value(in: flow) >> UInt128(src.offset) & ones(src.bits)
                if v <= 0xffff {
                    report(.detail, "output port is \(v)")
                    var m = FlowKey(words: wc.words)
                    src.field.write(.max, mask: ones(src.bits) << UInt128(src.offset), into: &m)
                    wc.words = m.words
                    outputAction(OFPort(rawValue: UInt16(v)), controllerLength: maxLength, mayPacketIn: false, isLast: last)
                } else {
                    report(.warn, "output port \(v) is out of range")
                }
            case .setVLANVID(let vid, let push):
                wc[.vlan0TCI] |= 0x1fff
                if flow[.vlan0TCI] & 0x1000 != 0 || push {
                    if flow[.vlan0TPID] == 0 { flow[.vlan0TPID] = 0x8100 }
                    flow[.vlan0TCI] = (flow[.vlan0TCI] & ~0xfff) | UInt64(vid & 0xfff) | 0x1000
                }
            case .setVLANPCP(let pcp, let push):
                wc[.vlan0TCI] |= 0xf000
                if flow[.vlan0TCI] & 0x1000 != 0 || push {
                    if flow[.vlan0TPID] == 0 { flow[.vlan0TPID] = 0x8100 }
                    flow[.vlan0TCI] = (flow[.vlan0TCI] & ~0xe000) | UInt64(pcp & 7) << 13 | 0x1000
                }
            case .stripVLAN:
                popVLAN()
            case .pushVLAN(let ethertype):
                let n = vlanCount(flow)
                if n > 0 { wc[.vlan0] = 0xffff_ffff }
                if n > 1 { wc[.vlan1] = 0xffff_ffff }
                flow[.vlan1] = flow[.vlan0]
                flow[.vlan0TPID] = UInt64(ethertype)
                flow[.vlan0TCI] = 0x1000
            case .setEthSource(let mac):
                wc.setExact(.ethSource)
                flow[.ethSource] = mac
            case .setEthDestination(let mac):
                wc.setExact(.ethDestination)
                flow[.ethDestination] = mac
            case .setIPv4Source(let ip):
                if flow[.ethType] == 0x0800 {
                    wc.setExact(.networkProtocol)
                    wc.setExact(.ipv4Source)
                    flow[.ipv4Source] = UInt64(ip)
                }
            case .setIPv4Destination(let ip):
                if flow[.ethType] == 0x0800 {
                    wc.setExact(.networkProtocol)
                    wc.setExact(.ipv4Destination)
                    flow[.ipv4Destination] = UInt64(ip)
                }
            case .setIPDSCP(let dscp):
                if flow.isIPAny {
                    wc.setExact(.networkProtocol)
                    wc[.networkTOS] |= 0xfc
                    flow[.networkTOS] = (flow[.networkTOS] & 3) | UInt64(dscp & 0xfc)
                }
            case .setIPECN(let ecn):
                if flow.isIPAny {
                    wc.setExact(.networkProtocol)
                    wc[.networkTOS] |= 3
                    flow[.networkTOS] = (flow[.networkTOS] & 0xfc) | UInt64(ecn & 3)
                }
            case .setIPTTL(let ttl):
                if flow.isIPAny {
                    wc.setExact(.networkProtocol)
                    wc.setExact(.networkTTL)
                    flow[.networkTTL] = UInt64(ttl)
                }
            case .setTransportSource(let p):
                if flow.isIPAny && !flow.networkFragment.contains(.later) {
                    wc.setExact(.networkProtocol)
                    wc.setExact(.transportSource)
                    flow[.transportSource] = UInt64(p)
                }
            case .setTransportDestination(let p):
                if flow.isIPAny && !flow.networkFragment.contains(.later) {
                    wc.setExact(.networkProtocol)
                    wc.setExact(.transportDestination)
                    flow[.transportDestination] = UInt64(p)
                }
            case .resubmit(let r):
                let inPort = r.inPort == .inPort ? flow.openFlowInPort : r.inPort
                let table = r.table == 255 ? tableID : r.table
                if r.withConntrackOriginal {
                    report(.error, "resubmit(ct) with non-tracked or non-IP packet!")
                    continue
                }
                tableAction(inPort: inPort, table: table, mayPacketIn: false, honorMiss: false, isLast: last, runner: .direct)
            case .gotoTable(let t):
                tableAction(inPort: flow.openFlowInPort, table: t, mayPacketIn: true, honorMiss: true, isLast: last, runner: .direct)
            case .setTunnel(let id, _):
                flow.tunnelID = id
            case .setQueue(let q):
                wc.setExact(.skbPriority)
                // dpif-netdev maps queue N to priority N (`dpif_queue_to_priority`).
                flow.skbPriority = q
            case .popQueue:
                wc.setExact(.skbPriority)
                if flow.skbPriority != origSkbPriority {
                    flow.skbPriority = origSkbPriority
                    let q = origSkbPriority
                    report(.detail, "queue = " + (q == 0 ? "0" : "0x" + String(q, radix: 16)))
                }
            case .move(let src, let dst):
                if prerequisites(dst.field) && prerequisites(src.field) {
                    let v = src.field.value(in: flow) >> UInt128(src.offset) & ones(src.bits)
                    var m = FlowKey(words: wc.words)
                    src.field.write(.max, mask: ones(src.bits) << UInt128(src.offset), into: &m)
                    dst.field.write(.max, mask: ones(dst.bits) << UInt128(dst.offset), into: &m)
                    wc.words = m.words
                    dst.field.write(v << UInt128(dst.offset), mask: ones(dst.bits) << UInt128(dst.offset), into: &flow)
                }
                reportSubfield(dst)
            case .setField(let field, let value, let mask, _):
                if prerequisites(field) {
                    setFieldValue(field, value, mask)
                } else {
                    report(.warn, "unmet prerequisites for \(field.name), set_field ignored")
                }
            case .stackPush(let sf):
                var m = FlowKey(words: wc.words)
                sf.field.write(.max, mask: ones(sf.bits) << UInt128(sf.offset), into: &m)
                wc.words = m.words
                stack.append(sf.field.value(in: flow) >> UInt128(sf.offset) & ones(sf.bits))
            case .stackPop(let sf):
                if let v = stack.popLast() {
                    var m = FlowKey(words: wc.words)
                    sf.field.write(.max, mask: ones(sf.bits) << UInt128(sf.offset), into: &m)
                    wc.words = m.words
                    sf.field.write(v << UInt128(sf.offset), mask: ones(sf.bits) << UInt128(sf.offset), into: &flow)
                    reportSubfield(sf)
                } else {
                    report(.error, "stack underflow")
                }
            case .pushMPLS(let ethertype):
                pushMPLS(ethertype)
            case .popMPLS(let ethertype):
                popMPLS(ethertype)
            case .setMPLSLabel(let label):
                if flow.ethType.isMPLSType {
                    wc[.mplsLSE0] |= 0xffff_f000
                    flow[.mplsLSE0] = (flow[.mplsLSE0] & 0xfff) | UInt64(label & 0xfffff) << 12
                }
            case .setMPLSTC(let tc):
                if flow.ethType.isMPLSType {
                    wc[.mplsLSE0] |= 0xe00
                    flow[.mplsLSE0] = (flow[.mplsLSE0] & ~0xe00) | UInt64(tc & 7) << 9
                }
            case .setMPLSTTL(let ttl):
                if flow.ethType.isMPLSType {
                    wc[.mplsLSE0] |= 0xff
                    flow[.mplsLSE0] = (flow[.mplsLSE0] & ~0xff) | UInt64(ttl)
                }
            case .decrementMPLSTTL:
                if flow.ethType.isMPLSType {
                    let ttl = flow[.mplsLSE0] & 0xff
                    wc[.mplsLSE0] |= 0xff
                    if ttl > 1 {
                        flow[.mplsLSE0] = (flow[.mplsLSE0] & ~0xff) | (ttl - 1)
                        continue
                    }
                    controllerAction(maxLength: 0xffff, reason: 2)
                }
                report(.warn, "MPLS decrement TTL exception")
                return
            case .decrementTTL(let ids, _):
                wc.setExact(.networkTTL)
                if flow.isIPAny {
                    wc.setExact(.networkProtocol)
                    if flow.networkTTL > 1 {
                        flow.networkTTL -= 1
                    } else {
                        for _ in ids { controllerAction(maxLength: 0xffff, reason: 2) }
                        report(.warn, "IPv\(flow[.ethType] == 0x0800 ? 4 : 6) decrement TTL exception")
                        return
                    }
                }
            case .note:
                break
            case .exit:
                exit = true
            case .clearActions:
                reportActionSet("was")
                actionSet = []
                actionSetHasGroup = false
                flow[.actionSetOutput] = 0
            case .writeActions(let written):
                if !actionSetHasGroup {
                    for w in written {
                        if case .output(let p, _) = w { flow[.actionSetOutput] = UInt64(p.rawValue) }
                        if case .group = w {
                            flow[.actionSetOutput] = 0
                            actionSetHasGroup = true
                            break
                        }
                    }
                }
                OFActionSet.write(written, into: &actionSet)
                reportActionSet("is")
            case .writeMetadata(let value, let mask):
                flow.metadata = (flow.metadata & ~mask) | (value & mask)
            case .clone(let inner):
                cloneActions(inner, isLast: last)
            case .conjunction:
                report(.error, "executing no-op conjunction action")
            case .finTimeout(let f):
                wc.setExact(.networkProtocol)
                finTimeoutAction(f)
            case .conntrackClear:
                break
            case .debugSlowPath:
                slow = true
                slowAction = true
            case .learn(let l):
                learnAction(l)
            case .multipath(let m):
                multipathAction(m)
            case .bundle(let b):
                bundleAction(b, isLast: last)
            case .sample:
                // Without IPFIX (svs has none) OVS's xlate_sample_action does nothing.
                break
            case .group(let id):
                if !groupAction(id, isLast: last) { return }
            case .meter(let id):
                // `xlate_meter_action`: the datapath meter behind meter `id`.
                if let m = bridge.meters.entry(id) { actions.append(.meter(m.datapathID)) }
            case .outputTruncate, .checkPacketLarger,
                 .conntrack, .nat, .deleteField, .decrementNSHTTL, .debugRecirculate:
                // Not translated by svs yet: they add no datapath action.
                report(.warn, "svs does not translate this action yet")
            }
        }
    }

    // MARK: Helpers

    func ones(_ bits: Int) -> UInt128 { bits >= 128 ? .max : (UInt128(1) << UInt128(bits)) - 1 }

    /// `mf_are_prereqs_ok` with wildcard tracking.
    mutating func prerequisites(_ field: OFField) -> Bool {
        switch field.prerequisite {
        case .tcp, .udp, .sctp, .icmpv4, .icmpv6:
            if flow.isIPAny { wc.setExact(.networkProtocol) }
        case .nd, .ndSolicit, .ndAdvert:
            if flow.isIPAny { wc.setExact(.networkProtocol) }
            if flow[.ethType] == 0x86dd && flow[.networkProtocol] == 58 {
                wc[.transportSource] |= 0xff
                wc[.transportDestination] |= 0xff
            }
        case .vlanVID:
            wc[.vlan0TCI] |= 0x1000
        default: break
        }
        return field.prerequisitesHold(key: flow)
    }

    /// `set_field`: writes the value and unwildcards the written bits.
    mutating func setFieldValue(_ field: OFField, _ value: UInt128, _ mask: UInt128) {
        var m = FlowKey(words: wc.words)
        switch FieldStorageCache.kind[field.id] {
        case .dlVLAN:
            m[.vlan0TCI] |= 0x1fff
            wc.words = m.words
            if value & 0xffff == 0xffff && mask & 0xfff == 0xfff {
                flow[.vlan0TCI] = 0
            } else {
                flow[.vlan0TCI] = (flow[.vlan0TCI] & ~(UInt64(mask) & 0xfff)) | (UInt64(value & mask) & 0xfff) | 0x1000
            }
            return
        case .vlanPCP:
            m[.vlan0TCI] |= 0xf000
            wc.words = m.words
            flow[.vlan0TCI] = (flow[.vlan0TCI] & ~0xe000) | (UInt64(value & 7) << 13) | 0x1000
            return
        case .ipHeader:
            // Rewriting the IP (or ARP) header matches its protocol (opcode),
            // as Debian's Open vSwitch 3.1 does.
            if flow.isIPAny || flow[.ethType] == 0x0806 { m[.networkProtocol] = 0xff }
            field.write(.max, mask: mask, into: &m)
            wc.words = m.words
            field.write(value, mask: mask, into: &flow)
        default:
            field.write(.max, mask: mask, into: &m)
            wc.words = m.words
            field.write(value, mask: mask, into: &flow)
        }
    }

    /// `xlate_report_subfield`.
    mutating func reportSubfield(_ sf: OFSubfield) {
        guard tracing else { return }
        var s = sf.formatted + " is now "
        let v = sf.field.value(in: flow)
        if sf.offset == 0 && sf.bits >= sf.field.bits {
            s += sf.field.formatValue(v)
        } else {
            let part = v >> UInt128(sf.offset) & ones(sf.bits)
            s += part == 0 ? "0" : "0x" + String(part, radix: 16)
        }
        report(.detail, s)
    }

    mutating func reportActionSet(_ verb: String) {
        guard tracing else { return }
        let list = OFActionSet.executionList(actionSet)
        if list.isEmpty {
            report(.detail, "action set \(verb) empty")
        } else {
            report(.detail, "action set \(verb): " + OFAction.format(list))
        }
    }

    func vlanCount(_ k: FlowKey) -> Int {
        if k[.vlan0TCI] & 0x1000 == 0 { return 0 }
        return k[.vlan1TCI] & 0x1000 == 0 ? 1 : 2
    }

    /// `flow_pop_vlan`.
    mutating func popVLAN() {
        let n = vlanCount(flow)
        if n > 1 {
            wc[.vlan1] = 0xffff_ffff
            flow[.vlan0] = flow[.vlan1]
        }
        if n > 0 {
            if n == 1 { flow[.vlan0] = 0 } else { flow[.vlan1] = 0 }
        }
    }

    func mplsCount(_ k: FlowKey, wc track: inout FlowMask?) -> Int {
        guard k.ethType.isMPLSType else { return 0 }
        var count = 0
        for i in 0..<3 {
            let f = mplsFieldAt(i)
            if track != nil { track![f] |= 0x100 }
            if k[f] & 0x100 != 0 { return i + 1 }
            if k[f] != 0 { count += 1 }
        }
        return count
    }

    func mplsFieldAt(_ i: Int) -> FlowField { i == 0 ? .mplsLSE0 : i == 1 ? .mplsLSE1 : .mplsLSE2 }

    /// `compose_mpls_push_action`.
    mutating func pushMPLS(_ ethertype: UInt16) {
        var t: FlowMask? = wc
        let n = mplsCount(flow, wc: &t)
        wc = t!
        if n == 0 {
            commit()
        } else if n >= 3 {
            error = .tooManyMPLSLabels
            return
        }
        if n > 0 {
            for i in 0..<n { wc[mplsFieldAt(i)] = 0xffff_ffff }
            for i in stride(from: n, through: 1, by: -1) { flow[mplsFieldAt(i)] = flow[mplsFieldAt(i - 1)] }
            flow[.mplsLSE0] = flow[.mplsLSE1] & ~0x100
        } else {
            var label: UInt64 = 0, tc: UInt64 = 0, ttl: UInt64 = 64
            if flow[.ethType] == 0x86dd { label = 2 }
            if flow.isIPAny {
                tc = (flow[.networkTOS] & 0xfc) >> 2
                wc[.networkTOS] |= 0xfc
                wc.setExact(.networkTTL)
                if flow[.networkTTL] != 0 { ttl = flow[.networkTTL] }
            }
            flow[.mplsLSE0] = label << 12 | (tc & 7) << 9 | 0x100 | ttl
            for w in FlowField.l3Start..<FlowKey.wordCount { flow.words[w] = 0 }
            flow[.dpHash] = 0
        }
        flow[.ethType] = UInt64(ethertype)
    }

    /// `compose_mpls_pop_action`.
    mutating func popMPLS(_ ethertype: UInt16) {
        var t: FlowMask? = wc
        let n = mplsCount(flow, wc: &t)
        wc = t!
        if n == 0 { return }
        if n == 3 {
            wc[.mplsLSE2] |= 0x100
            if flow[.mplsLSE2] & 0x100 == 0 {
                error = .tooManyMPLSLabels
                actions = []
                return
            }
        }
        for i in 1..<max(n, 1) { wc[mplsFieldAt(i)] = 0xffff_ffff }
        for i in 1..<max(n, 1) { flow[mplsFieldAt(i - 1)] = flow[mplsFieldAt(i)] }
        flow[mplsFieldAt(n - 1)] = 0
        flow[.ethType] = UInt64(ethertype)
    }

    /// A `userspace` action for a packet-in (`put_controller_user_action`);
    /// the packet goes to the slow path.
    mutating func controllerAction(maxLength: UInt16, reason: UInt8, controllerID: UInt16 = 0, userdata: [UInt8] = []) {
        commit()
        // `struct user_action_cookie` of type controller (48 bytes, host order).
        var c = [UInt8](repeating: 0, count: 48)
        c[0] = 5                                    // USER_ACTION_COOKIE_CONTROLLER
        c[2] = 0xff; c[3] = 0xff                    // ofp_in_port: OFPP_NONE
        c[20] = mayLearn ? 0 : 1                    // dont_send: a trace without a packet
        let (recirc, why, cookie) = packetInID(reason: reason, userdata: userdata)
        c[22] = why
        for i in 0..<4 { c[24 + i] = UInt8(truncatingIfNeeded: recirc >> (8 * UInt32(i))) }
        for i in 0..<8 { c[28 + i] = UInt8(truncatingIfNeeded: cookie >> (56 - 8 * UInt64(i))) }
        c[36] = UInt8(truncatingIfNeeded: controllerID); c[37] = UInt8(controllerID >> 8)
        c[38] = UInt8(truncatingIfNeeded: maxLength); c[39] = UInt8(maxLength >> 8)
        actions.append(.userspace(UserspaceAction(pid: 0, userdata: c)))
        slow = true
    }
}

extension OFField {
    /// The field's value as `mf_format` prints it.
    func formatValue(_ v: UInt128) -> String {
        switch format {
        case .ipv4:
            let x = UInt32(truncatingIfNeeded: v)
            return "\(x >> 24).\(x >> 16 & 255).\(x >> 8 & 255).\(x & 255)"
        case .ethernet:
            return EthernetAddress(rawValue: UInt64(truncatingIfNeeded: v)).description
        case .decimal, .ofp10Port, .ofp11Port:
            return String(v)
        default:
            return v == 0 ? "0" : "0x" + String(v, radix: 16)
        }
    }
}

/// `OFField.storage` computed once per field: translation reads and writes
/// fields per packet, and the storage lookup goes by name.
enum FieldStorageCache {
    /// Fields `set_field` treats specially.
    enum Kind { case dlVLAN, vlanPCP, ipHeader, other }
    static let kind: [Kind] = OFField.all.map { f in
        switch f.name {
        case "dl_vlan": .dlVLAN
        case "vlan_pcp", "dl_vlan_pcp": .vlanPCP
        case "ip_src", "ip_dst", "ipv6_src", "ipv6_dst", "ipv6_label", "nw_tos", "ip_dscp", "nw_ecn", "nw_ttl",
             "arp_spa", "arp_tpa", "arp_sha", "arp_tha", "arp_op": .ipHeader
        default: .other
        }
    }
}

