/// The ovs-appctl control protocol and command registry.
public enum UnixctlModule {}
