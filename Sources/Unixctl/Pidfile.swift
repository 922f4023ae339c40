#if canImport(Glibc)
import Glibc
#endif

/// A daemon's pid file, as Open vSwitch keeps it: the pid and a newline,
/// and an `fcntl` write lock on the whole file held by that process for as
/// long as it runs. Readers (`ovs-appctl`) trust the pid only while it holds
/// the lock, so a file left by a killed process reads as stale.
public final class Pidfile {
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Writes this process's pid file at `path`, locked. Fails if a live
    /// process holds the file; replaces a stale one.
    public static func create(path: String) throws(SystemError) -> Pidfile {
        let pid = getpid()
        if case .success(let other) = read(path), other != pid {
            throw SystemError("\(path): already running as pid \(other), aborting", errno: EALREADY)
        }
        let temporary = "\(path).tmp\(pid)"
        let fd = open(temporary, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("\(temporary): create failed", errno: errno) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        if fcntl(fd, F_SETLK, &lock) != 0 {
            let e = errno
            close(fd)
            unlink(temporary)
            throw SystemError("\(temporary): fcntl(F_SETLK) failed", errno: e)
        }
        do {
            try UnixSocket.writeAllFile(fd, Array("\(pid)\n".utf8))
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let e = errno
            close(fd)
            unlink(temporary)
            throw SystemError("failed to rename \"\(temporary)\" to \"\(path)\"", errno: e)
        }
        return Pidfile(path: path, fd: fd)
    }

    /// Removes the file and drops the lock.
    public func remove() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { remove() }

    /// The pid of the process that holds `path`, or why there is none
    /// (`ESRCH` for a stale file), as `read_pidfile`.
    public static func read(_ path: String) -> Result<Int32, SystemError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(SystemError("\(path): open", errno: errno)) }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        guard fcntl(fd, F_GETLK, &lock) == 0 else { return .failure(SystemError("\(path): fcntl", errno: errno)) }
        guard lock.l_type != Int16(F_UNLCK) else { return .failure(SystemError("\(path): pid file is stale", errno: ESRCH)) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return .failure(SystemError("\(path): read: unexpected end of file", errno: ESRCH)) }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard let pid = Int32(text), pid == lock.l_pid else {
            return .failure(SystemError("\(path): stale pidfile for pid \(text)", errno: ESRCH))
        }
        return .success(pid)
    }
}

extension UnixSocket {
    /// Writes all of `bytes` to a file.
    static func writeAllFile(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", errno: errno)
            }
            offset += n
        }
    }
}
