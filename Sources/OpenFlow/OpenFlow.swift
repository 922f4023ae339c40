/// The OpenFlow wire protocol and its connections (namespace).
public enum OpenFlow {}
