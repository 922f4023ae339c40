import OFProto

/// The Open_vSwitch row's `other_config` keys for the datapath's poll
/// threads and the slow path's threads and timers.
///
/// - `pmd-cpu-mask` (hex, `0x` optional): one poll thread per set bit,
///   numbered (and pinned to) that CPU, as in Open vSwitch;
/// - `n-pmd-threads` (svs): a plain count of threads, numbered 0..N-1 and
///   not pinned, used when there is no valid mask; 1 by default;
/// - `pmd-idle-spin-us` (svs): microseconds a thread keeps polling after
///   its last packet before it sleeps (`PollWorkerConfiguration`'s default
///   when unset);
/// - `pmd-rxq-assign`: only `roundrobin` is done (other values are read as it);
/// - `max-idle` (ms, 10000 by default), `n-handler-threads`.
public struct PollThreadSettings: Sendable, Hashable {
    /// The poll threads' numbers (OVS's core ids), at least one.
    public var threadIDs: [Int]
    /// The CPU each thread is pinned to, by thread number.
    public var cpus: [Int: Int]
    /// `pmd-idle-spin-us`, if set.
    public var idleSpinMicroseconds: Int?

    /// The most poll threads per datapath.
    public static let maximumThreads = 64

    public init(threadIDs: [Int] = [0], cpus: [Int: Int] = [:], idleSpinMicroseconds: Int? = nil) {
        self.threadIDs = threadIDs
        self.cpus = cpus
        self.idleSpinMicroseconds = idleSpinMicroseconds
    }

    /// The settings `otherConfig` asks for; invalid values count as unset.
    public init(otherConfig: [String: String]) {
        self.init()
        if let cores = otherConfig["pmd-cpu-mask"].flatMap(Self.cores(mask:)), !cores.isEmpty {
            threadIDs = Array(cores.prefix(Self.maximumThreads))
            for c in threadIDs { cpus[c] = c }
        } else if let n = otherConfig["n-pmd-threads"].flatMap({ Int($0) }), n > 0 {
            threadIDs = Array(0..<min(n, Self.maximumThreads))
        }
        if let us = otherConfig["pmd-idle-spin-us"].flatMap({ Int($0) }), us >= 0, us <= 10_000_000 {
            idleSpinMicroseconds = us
        }
    }

    /// The set bits of a hexadecimal CPU mask (`0x3`, `f0`), lowest first;
    /// nil if it is not hexadecimal.
    public static func cores(mask: String) -> [Int]? {
        var digits = Substring(mask)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 64 else { return nil }
        var cores: [Int] = []
        for (position, c) in digits.reversed().enumerated() {
            guard let v = c.hexDigitValue else { return nil }
            for bit in 0..<4 where v & (1 << bit) != 0 { cores.append(position * 4 + bit) }
        }
        return cores
    }
}

extension SwitchSpec {
    /// The poll threads `other_config` asks for.
    public var pollThreads: PollThreadSettings { PollThreadSettings(otherConfig: otherConfig) }

    /// `other_config:max-idle` in milliseconds (Open vSwitch's default
    /// 10000; at least 100).
    public var maxIdleMilliseconds: Int {
        otherConfig["max-idle"].flatMap { Int($0) }.flatMap { $0 > 0 ? max(100, $0) : nil } ?? 10_000
    }
}

/// A datapath host that runs poll threads the bridge layer can configure
/// (the daemon; unit tests' hosts need not).
public protocol PollThreadHost: AnyObject {
    /// Gives every datapath (and those made later) these poll threads.
    func configurePollThreads(_ settings: PollThreadSettings)
}

extension BridgeLayer {
    /// Applies the thread and timer settings of `spec` to the datapaths'
    /// poll threads and to the slow paths (after every reconfiguration).
    func applyThreadSettings(_ spec: SwitchSpec) {
        (host as? any PollThreadHost)?.configurePollThreads(spec.pollThreads)
        let maxIdle = Duration.milliseconds(spec.maxIdleMilliseconds)
        for (_, s) in slowPaths {
            if s.maxIdle != maxIdle { s.maxIdle = maxIdle }
            s.setHandlerThreads(spec.handlerThreads)
        }
    }
}
