/// OpenFlow tables, actions and translation (issue 4). See DESIGN.md.
public enum OFProto {}
