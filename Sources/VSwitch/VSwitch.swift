/// The bridge layer (namespace).
public enum VSwitch {}
