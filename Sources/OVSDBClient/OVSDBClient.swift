/// A blocking client of OVSDB servers (RFC 7047 section 4).
public enum OVSDBClientModule {}
