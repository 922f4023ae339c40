import OFProto

// The link state of the OpenFlow ports (OFPPS_LINK_DOWN / OFPPS_LIVE in
// port descriptions and port status, fast-failover liveness): read from
// the Linux device of `system` and `tap` ports when the ports are
// published, and checked again on every status refresh.

extension BridgeLayer {
    /// True when some published port's link state no longer matches its
    /// device's (a cable pulled, `ip link set ... down`): the ports must be
    /// published again.
    func linkStatesChanged() -> Bool {
        for (_, b) in bridges {
            guard let ofproto = b.ofproto else { continue }
            for port in ofproto.ports {
                let device = port.ofport == .local ? b.local : b.interfaces[port.name]
                guard let device, device.portType == "system" || device.portType == "tap" else { continue }
                if device.liveStatus().linkUp != port.isLive { return true }
            }
        }
        return false
    }
}
