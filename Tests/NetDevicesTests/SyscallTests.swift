import Foundation
import Testing
@testable import NetDevices

/// The syscall wrappers: "nothing now" is a value, failures are typed
/// `Errno`s, nothing traps.
struct SyscallTests {
    /// A non-blocking datagram socket pair.
    static func pair() throws -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
        let a = FileDescriptor(rawValue: fds[0]), b = FileDescriptor(rawValue: fds[1])
        try a.setNonBlocking()
        try b.setNonBlocking()
        return (a, b)
    }

    @Test func emptyReadIsNilAndDataRoundTrips() throws {
        let (a, b) = try Self.pair()
        defer { a.close(); b.close() }
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try a.read(into: $0) } == nil)
        #expect(try !a.waitForInput(timeoutMilliseconds: 10))
        #expect(try ([1, 2, 3] as [UInt8]).withUnsafeBytes { try b.write($0) } == 3)
        #expect(try a.waitForInput(timeoutMilliseconds: 1000))
        #expect(try buffer.withUnsafeMutableBytes { try a.read(into: $0) } == 3)
        #expect(Array(buffer[0..<3]) == [1, 2, 3])
    }

    @Test func failuresAreTypedErrno() throws {
        let closed = FileDescriptor(rawValue: -1)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: Errno(rawValue: EBADF)) { try buffer.withUnsafeMutableBytes { try closed.read(into: $0) } }
        #expect(throws: Errno(rawValue: EBADF)) { try closed.setNonBlocking() }
        #expect(throws: Errno(rawValue: ENOENT)) { try FileDescriptor.open("/nonexistent/svst", flags: O_RDONLY) }
        #expect(throws: Errno(rawValue: ENODEV)) { try InterfaceInfo.read("svst-none0") }
        #expect(Errno(rawValue: ENODEV).description.contains("19"))
    }

    @Test func loopbackInterfaceInfo() throws {
        let lo = try InterfaceInfo.read("lo")
        #expect(lo.index == 1)
        #expect(lo.isUp)
        #expect(lo.mtu > 0)
        #expect(lo.hardwareAddress == [0, 0, 0, 0, 0, 0])
    }
}
