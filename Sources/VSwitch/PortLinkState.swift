import Logging
import NetDevices
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

    /// A port-mod's `OFPPC_PORT_DOWN` takes the port's Linux device down
    /// (`system` and `tap` ports; up again when cleared), as Open vSwitch
    /// sets its netdev's flags; the link state that follows is published
    /// by the status refresh. Runs on the connection that made the change.
    func followPortDown(_ b: RunningBridge) {
        guard let ofproto = b.ofproto else { return }
        let kind = b.kind, enableDummy = options.enableDummy
        _ = ofproto.asyncMessages.register { event in
            guard case .portModified(let change) = event else { return }
            let down = change.new.contains(.portDown)
            guard change.old.contains(.portDown) != down,
                  var type = kind.portType(forInterfaceType: change.port.type) else { return }
            if type == "tap", enableDummy, change.port.type == "internal" { type = "dummy-internal" }
            guard type == "system" || type == "tap" else { return }
            do {
                try InterfaceInfo.setAdministrativelyUp(change.port.name, !down)
            } catch {
                Logger(label: "ofproto").warning("\(change.port.name): could not set the device \(down ? "down" : "up"): \(error)")
            }
        }
    }
}
