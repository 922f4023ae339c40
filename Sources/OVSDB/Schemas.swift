/// svs's Open_vSwitch database schema: the tables, columns, types and
/// constraints of Open vSwitch 3.1's `vswitch.ovsschema` (schema version
/// 8.3.1), so the real `ovs-vsctl` and `ovs-vswitchd` find what they expect.
/// Written one column per line, tables and columns in name order.
/// `Tests/OVSDBServerTests` compares it with the installed file.
public enum Schemas {
    /// The Open_vSwitch schema as JSON text.
    public static let vswitchText = #"""
{"name": "Open_vSwitch", "version": "8.3.1",
 "tables": {
  "AutoAttach": {
   "columns": {
    "mappings": {"type": {"key": {"maxInteger": 16777215, "minInteger": 0, "type": "integer"}, "max": "unlimited", "min": 0, "value": {"maxInteger": 4095, "minInteger": 0, "type": "integer"}}},
    "system_description": {"type": "string"},
    "system_name": {"type": "string"}
   }},
  "Bridge": {
   "indexes": [["name"]],
   "columns": {
    "auto_attach": {"type": {"key": {"refTable": "AutoAttach", "type": "uuid"}, "max": 1, "min": 0}},
    "controller": {"type": {"key": {"refTable": "Controller", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "datapath_id": {"ephemeral": true, "type": {"key": "string", "max": 1, "min": 0}},
    "datapath_type": {"type": "string"},
    "datapath_version": {"type": "string"},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "fail_mode": {"type": {"key": {"enum": ["set", ["standalone", "secure"]], "type": "string"}, "max": 1, "min": 0}},
    "flood_vlans": {"type": {"key": {"maxInteger": 4095, "minInteger": 0, "type": "integer"}, "max": 4096, "min": 0}},
    "flow_tables": {"type": {"key": {"maxInteger": 254, "minInteger": 0, "type": "integer"}, "max": "unlimited", "min": 0, "value": {"refTable": "Flow_Table", "type": "uuid"}}},
    "ipfix": {"type": {"key": {"refTable": "IPFIX", "type": "uuid"}, "max": 1, "min": 0}},
    "mcast_snooping_enable": {"type": "boolean"},
    "mirrors": {"type": {"key": {"refTable": "Mirror", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "name": {"mutable": false, "type": "string"},
    "netflow": {"type": {"key": {"refTable": "NetFlow", "type": "uuid"}, "max": 1, "min": 0}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "ports": {"type": {"key": {"refTable": "Port", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "protocols": {"type": {"key": {"enum": ["set", ["OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15"]], "type": "string"}, "max": "unlimited", "min": 0}},
    "rstp_enable": {"type": "boolean"},
    "rstp_status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "sflow": {"type": {"key": {"refTable": "sFlow", "type": "uuid"}, "max": 1, "min": 0}},
    "status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "stp_enable": {"type": "boolean"}
   }},
  "CT_Timeout_Policy": {
   "columns": {
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "timeouts": {"type": {"key": {"enum": ["set", ["tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close", "tcp_syn_sent2", "tcp_retransmit", "tcp_unack", "udp_first", "udp_single", "udp_multiple", "icmp_first", "icmp_reply"]], "type": "string"}, "max": "unlimited", "min": 0, "value": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}}}
   }},
  "CT_Zone": {
   "columns": {
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "timeout_policy": {"type": {"key": {"refTable": "CT_Timeout_Policy", "type": "uuid"}, "max": 1, "min": 0}}
   }},
  "Controller": {
   "columns": {
    "connection_mode": {"type": {"key": {"enum": ["set", ["in-band", "out-of-band"]], "type": "string"}, "max": 1, "min": 0}},
    "controller_burst_limit": {"type": {"key": {"minInteger": 25, "type": "integer"}, "max": 1, "min": 0}},
    "controller_queue_size": {"type": {"key": {"maxInteger": 512, "minInteger": 1, "type": "integer"}, "max": 1, "min": 0}},
    "controller_rate_limit": {"type": {"key": {"minInteger": 100, "type": "integer"}, "max": 1, "min": 0}},
    "enable_async_messages": {"type": {"key": {"type": "boolean"}, "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "inactivity_probe": {"type": {"key": "integer", "max": 1, "min": 0}},
    "is_connected": {"ephemeral": true, "type": "boolean"},
    "local_gateway": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "local_ip": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "local_netmask": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "max_backoff": {"type": {"key": {"minInteger": 1000, "type": "integer"}, "max": 1, "min": 0}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "role": {"ephemeral": true, "type": {"key": {"enum": ["set", ["other", "master", "slave"]], "type": "string"}, "max": 1, "min": 0}},
    "status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "target": {"type": "string"},
    "type": {"type": {"key": {"enum": ["set", ["primary", "service"]], "type": "string"}, "max": 1, "min": 0}}
   }},
  "Datapath": {
   "columns": {
    "capabilities": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "ct_zones": {"type": {"key": {"maxInteger": 65535, "minInteger": 0, "type": "integer"}, "max": "unlimited", "min": 0, "value": {"refTable": "CT_Zone", "type": "uuid"}}},
    "datapath_version": {"type": "string"},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}}
   }},
  "Flow_Sample_Collector_Set": {
   "isRoot": true, "indexes": [["id", "bridge"]],
   "columns": {
    "bridge": {"type": {"key": {"refTable": "Bridge", "type": "uuid"}, "max": 1, "min": 1}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "id": {"type": {"key": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}, "max": 1, "min": 1}},
    "ipfix": {"type": {"key": {"refTable": "IPFIX", "type": "uuid"}, "max": 1, "min": 0}}
   }},
  "Flow_Table": {
   "columns": {
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "flow_limit": {"type": {"key": {"minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "groups": {"type": {"key": "string", "max": "unlimited", "min": 0}},
    "name": {"type": {"key": "string", "max": 1, "min": 0}},
    "overflow_policy": {"type": {"key": {"enum": ["set", ["refuse", "evict"]], "type": "string"}, "max": 1, "min": 0}},
    "prefixes": {"type": {"key": "string", "max": 3, "min": 0}}
   }},
  "IPFIX": {
   "columns": {
    "cache_active_timeout": {"type": {"key": {"maxInteger": 4200, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "cache_max_flows": {"type": {"key": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "obs_domain_id": {"type": {"key": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "obs_point_id": {"type": {"key": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "sampling": {"type": {"key": {"maxInteger": 4294967295, "minInteger": 1, "type": "integer"}, "max": 1, "min": 0}},
    "targets": {"type": {"key": "string", "max": "unlimited", "min": 0}}
   }},
  "Interface": {
   "indexes": [["name"]],
   "columns": {
    "admin_state": {"ephemeral": true, "type": {"key": {"enum": ["set", ["up", "down"]], "type": "string"}, "max": 1, "min": 0}},
    "bfd": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "bfd_status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "cfm_fault": {"ephemeral": true, "type": {"key": {"type": "boolean"}, "max": 1, "min": 0}},
    "cfm_fault_status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0}},
    "cfm_flap_count": {"type": {"key": {"type": "integer"}, "max": 1, "min": 0}},
    "cfm_health": {"ephemeral": true, "type": {"key": {"maxInteger": 100, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "cfm_mpid": {"type": {"key": {"type": "integer"}, "max": 1, "min": 0}},
    "cfm_remote_mpids": {"ephemeral": true, "type": {"key": {"type": "integer"}, "max": "unlimited", "min": 0}},
    "cfm_remote_opstate": {"ephemeral": true, "type": {"key": {"enum": ["set", ["up", "down"]], "type": "string"}, "max": 1, "min": 0}},
    "duplex": {"ephemeral": true, "type": {"key": {"enum": ["set", ["half", "full"]], "type": "string"}, "max": 1, "min": 0}},
    "error": {"type": {"key": "string", "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "ifindex": {"ephemeral": true, "type": {"key": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "ingress_policing_burst": {"type": {"key": {"minInteger": 0, "type": "integer"}}},
    "ingress_policing_kpkts_burst": {"type": {"key": {"minInteger": 0, "type": "integer"}}},
    "ingress_policing_kpkts_rate": {"type": {"key": {"minInteger": 0, "type": "integer"}}},
    "ingress_policing_rate": {"type": {"key": {"minInteger": 0, "type": "integer"}}},
    "lacp_current": {"ephemeral": true, "type": {"key": {"type": "boolean"}, "max": 1, "min": 0}},
    "link_resets": {"ephemeral": true, "type": {"key": {"type": "integer"}, "max": 1, "min": 0}},
    "link_speed": {"ephemeral": true, "type": {"key": "integer", "max": 1, "min": 0}},
    "link_state": {"ephemeral": true, "type": {"key": {"enum": ["set", ["up", "down"]], "type": "string"}, "max": 1, "min": 0}},
    "lldp": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "mac": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "mac_in_use": {"ephemeral": true, "type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "mtu": {"ephemeral": true, "type": {"key": "integer", "max": 1, "min": 0}},
    "mtu_request": {"type": {"key": {"minInteger": 1, "type": "integer"}, "max": 1, "min": 0}},
    "name": {"mutable": false, "type": "string"},
    "ofport": {"type": {"key": "integer", "max": 1, "min": 0}},
    "ofport_request": {"type": {"key": {"maxInteger": 65279, "minInteger": 1, "type": "integer"}, "max": 1, "min": 0}},
    "options": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "statistics": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "integer"}},
    "status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "type": {"type": "string"}
   }},
  "Manager": {
   "indexes": [["target"]],
   "columns": {
    "connection_mode": {"type": {"key": {"enum": ["set", ["in-band", "out-of-band"]], "type": "string"}, "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "inactivity_probe": {"type": {"key": "integer", "max": 1, "min": 0}},
    "is_connected": {"ephemeral": true, "type": "boolean"},
    "max_backoff": {"type": {"key": {"minInteger": 1000, "type": "integer"}, "max": 1, "min": 0}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "target": {"type": "string"}
   }},
  "Mirror": {
   "columns": {
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "name": {"type": "string"},
    "output_port": {"type": {"key": {"refTable": "Port", "refType": "weak", "type": "uuid"}, "max": 1, "min": 0}},
    "output_vlan": {"type": {"key": {"maxInteger": 4095, "minInteger": 1, "type": "integer"}, "max": 1, "min": 0}},
    "select_all": {"type": "boolean"},
    "select_dst_port": {"type": {"key": {"refTable": "Port", "refType": "weak", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "select_src_port": {"type": {"key": {"refTable": "Port", "refType": "weak", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "select_vlan": {"type": {"key": {"maxInteger": 4095, "minInteger": 0, "type": "integer"}, "max": 4096, "min": 0}},
    "snaplen": {"type": {"key": {"maxInteger": 65535, "minInteger": 14, "type": "integer"}, "max": 1, "min": 0}},
    "statistics": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "integer"}}
   }},
  "NetFlow": {
   "columns": {
    "active_timeout": {"type": {"key": {"minInteger": -1, "type": "integer"}}},
    "add_id_to_interface": {"type": "boolean"},
    "engine_id": {"type": {"key": {"maxInteger": 255, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "engine_type": {"type": {"key": {"maxInteger": 255, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "targets": {"type": {"key": {"type": "string"}, "max": "unlimited", "min": 1}}
   }},
  "Open_vSwitch": {
   "isRoot": true, "maxRows": 1,
   "columns": {
    "bridges": {"type": {"key": {"refTable": "Bridge", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "cur_cfg": {"type": "integer"},
    "datapath_types": {"type": {"key": {"type": "string"}, "max": "unlimited", "min": 0}},
    "datapaths": {"type": {"key": {"type": "string"}, "max": "unlimited", "min": 0, "value": {"refTable": "Datapath", "type": "uuid"}}},
    "db_version": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "dpdk_initialized": {"type": "boolean"},
    "dpdk_version": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "iface_types": {"type": {"key": {"type": "string"}, "max": "unlimited", "min": 0}},
    "manager_options": {"type": {"key": {"refTable": "Manager", "type": "uuid"}, "max": "unlimited", "min": 0}},
    "next_cfg": {"type": "integer"},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "ovs_version": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "ssl": {"type": {"key": {"refTable": "SSL", "type": "uuid"}, "max": 1, "min": 0}},
    "statistics": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "system_type": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "system_version": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}}
   }},
  "Port": {
   "indexes": [["name"]],
   "columns": {
    "bond_active_slave": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "bond_downdelay": {"type": "integer"},
    "bond_fake_iface": {"type": "boolean"},
    "bond_mode": {"type": {"key": {"enum": ["set", ["balance-tcp", "balance-slb", "active-backup"]], "type": "string"}, "max": 1, "min": 0}},
    "bond_updelay": {"type": "integer"},
    "cvlans": {"type": {"key": {"maxInteger": 4095, "minInteger": 0, "type": "integer"}, "max": 4096, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "fake_bridge": {"type": "boolean"},
    "interfaces": {"type": {"key": {"refTable": "Interface", "type": "uuid"}, "max": "unlimited", "min": 1}},
    "lacp": {"type": {"key": {"enum": ["set", ["active", "passive", "off"]], "type": "string"}, "max": 1, "min": 0}},
    "mac": {"type": {"key": {"type": "string"}, "max": 1, "min": 0}},
    "name": {"mutable": false, "type": "string"},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "protected": {"type": "boolean"},
    "qos": {"type": {"key": {"refTable": "QoS", "type": "uuid"}, "max": 1, "min": 0}},
    "rstp_statistics": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "integer"}},
    "rstp_status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "statistics": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "integer"}},
    "status": {"ephemeral": true, "type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "tag": {"type": {"key": {"maxInteger": 4095, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "trunks": {"type": {"key": {"maxInteger": 4095, "minInteger": 0, "type": "integer"}, "max": 4096, "min": 0}},
    "vlan_mode": {"type": {"key": {"enum": ["set", ["trunk", "access", "native-tagged", "native-untagged", "dot1q-tunnel"]], "type": "string"}, "max": 1, "min": 0}}
   }},
  "QoS": {
   "isRoot": true,
   "columns": {
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "queues": {"type": {"key": {"maxInteger": 4294967295, "minInteger": 0, "type": "integer"}, "max": "unlimited", "min": 0, "value": {"refTable": "Queue", "type": "uuid"}}},
    "type": {"type": "string"}
   }},
  "Queue": {
   "isRoot": true,
   "columns": {
    "dscp": {"type": {"key": {"maxInteger": 63, "minInteger": 0, "type": "integer"}, "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "other_config": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}}
   }},
  "SSL": {
   "maxRows": 1,
   "columns": {
    "bootstrap_ca_cert": {"type": "boolean"},
    "ca_cert": {"type": "string"},
    "certificate": {"type": "string"},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "private_key": {"type": "string"}
   }},
  "sFlow": {
   "columns": {
    "agent": {"type": {"key": "string", "max": 1, "min": 0}},
    "external_ids": {"type": {"key": "string", "max": "unlimited", "min": 0, "value": "string"}},
    "header": {"type": {"key": "integer", "max": 1, "min": 0}},
    "polling": {"type": {"key": "integer", "max": 1, "min": 0}},
    "sampling": {"type": {"key": "integer", "max": 1, "min": 0}},
    "targets": {"type": {"key": "string", "max": "unlimited", "min": 1}}
   }}
 }}
"""#

    /// The `_Server` database's schema (Open vSwitch's `ovsdb/_server.ovsschema`):
    /// one row per database the server serves.
    public static let serverText = #"""
{"name": "_Server", "version": "1.2.0",
 "tables": {
  "Database": {
   "isRoot": true,
   "columns": {
    "name": {"type": "string"},
    "model": {"type": {"key": {"type": "string", "enum": ["set", ["standalone", "clustered", "relay"]]}}},
    "connected": {"type": "boolean"},
    "leader": {"type": "boolean"},
    "schema": {"type": {"key": {"type": "string"}, "min": 0, "max": 1}},
    "cid": {"type": {"key": {"type": "uuid"}, "min": 0, "max": 1}},
    "sid": {"type": {"key": {"type": "uuid"}, "min": 0, "max": 1}},
    "index": {"type": {"key": {"type": "integer"}, "min": 0, "max": 1}}
   }}
 }}
"""#

    /// The parsed Open_vSwitch schema.
    public static func vswitch() -> DatabaseSchema {
        // The text is a constant that the tests parse: failure is a bug.
        try! DatabaseSchema(text: vswitchText)
    }

    /// The parsed `_Server` schema.
    public static func server() -> DatabaseSchema {
        try! DatabaseSchema(text: serverText)
    }
}
