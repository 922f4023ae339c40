import Testing
@testable import VSwitch

/// `other_config`'s poll-thread and slow-path keys, read as the daemon
/// applies them.
struct PollThreadSettingsTests {
    @Test func defaultsToOneUnpinnedThread() {
        let s = PollThreadSettings(otherConfig: [:])
        #expect(s.threadIDs == [0])
        #expect(s.cpus.isEmpty)
        #expect(s.idleSpinMicroseconds == nil)
    }

    @Test(arguments: [
        ("0x3", [0, 1]), ("3", [0, 1]), ("0X6", [1, 2]), ("f0", [4, 5, 6, 7]), ("0x10001", [0, 16]),
    ])
    func cpuMaskGivesCoresAndPinning(mask: String, cores: [Int]) {
        let s = PollThreadSettings(otherConfig: ["pmd-cpu-mask": mask, "n-pmd-threads": "5"])
        #expect(s.threadIDs == cores)
        #expect(s.cpus == Dictionary(uniqueKeysWithValues: cores.map { ($0, $0) }))
    }

    @Test(arguments: ["", "0x", "0", "0xg1", "-1", "0x" + String(repeating: "f", count: 65)])
    func badOrEmptyMaskFallsBackToTheCount(mask: String) {
        let s = PollThreadSettings(otherConfig: ["pmd-cpu-mask": mask, "n-pmd-threads": "3"])
        #expect(s.threadIDs == [0, 1, 2])
        #expect(s.cpus.isEmpty)
    }

    @Test func countIsBoundedAndValidated() {
        #expect(PollThreadSettings(otherConfig: ["n-pmd-threads": "0"]).threadIDs == [0])
        #expect(PollThreadSettings(otherConfig: ["n-pmd-threads": "x"]).threadIDs == [0])
        #expect(PollThreadSettings(otherConfig: ["n-pmd-threads": "1000"]).threadIDs.count == PollThreadSettings.maximumThreads)
        #expect(PollThreadSettings(otherConfig: ["pmd-idle-spin-us": "250"]).idleSpinMicroseconds == 250)
        #expect(PollThreadSettings(otherConfig: ["pmd-idle-spin-us": "-1"]).idleSpinMicroseconds == nil)
    }

    @Test func maxIdle() {
        var spec = SwitchSpec()
        #expect(spec.maxIdleMilliseconds == 10_000)
        spec.otherConfig["max-idle"] = "1000"
        #expect(spec.maxIdleMilliseconds == 1000)
        spec.otherConfig["max-idle"] = "5"
        #expect(spec.maxIdleMilliseconds == 100)
        spec.otherConfig["max-idle"] = "never"
        #expect(spec.maxIdleMilliseconds == 10_000)
    }
}
