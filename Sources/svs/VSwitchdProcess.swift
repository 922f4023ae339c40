#if canImport(Glibc)
import Glibc
#endif
import Unixctl

/// Daemon housekeeping: detaching from the terminal, signals.
enum VSwitchdProcess {
    /// The write end of the pipe on which a detached child tells its parent
    /// it is ready (-1 when not detaching).
    nonisolated(unsafe) static var readyPipe: Int32 = -1

    /// `--detach`, first half (`daemonize_start`): forks; the parent waits
    /// until the child reports ready (exit 0) or dies (exit 1) and never
    /// returns; the child starts a new session and returns. Call before any
    /// thread starts.
    static func detach() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatal("pipe failed: \(SystemError.describe(errno))") }
        let pid = fork()
        if pid < 0 { fatal("could not fork: \(SystemError.describe(errno))") }
        if pid > 0 {
            close(fds[1])
            var byte: UInt8 = 0
            var n = 0
            repeat { n = read(fds[0], &byte, 1) } while n < 0 && errno == EINTR
            if n == 1 { exit(0) }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 1
            exit(code == 0 ? 1 : code)
        }
        close(fds[0])
        readyPipe = fds[1]
        setsid()
    }

    /// `--detach`, second half (`daemonize_complete`): standard input, output
    /// and error go to /dev/null, the working directory to `/` (unless
    /// `keepDirectory`), and the parent is told to exit.
    static func detachComplete(keepDirectory: Bool) {
        guard readyPipe >= 0 else { return }
        if !keepDirectory { _ = chdir("/") }
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            for fd: Int32 in 0...2 { dup2(null, fd) }
            if null > 2 { close(null) }
        }
        var byte: UInt8 = 0
        _ = write(readyPipe, &byte, 1)
        close(readyPipe)
        readyPipe = -1
    }

    /// Prints `svs vswitchd: MESSAGE` and exits 1 (the parent of a detached
    /// child sees the child die and exits 1 too).
    static func fatal(_ message: String) -> Never {
        var text = "svs vswitchd: \(message)\n"
        text.withUTF8 { p in _ = write(2, p.baseAddress, p.count) }
        exit(1)
    }

    /// The signals that end the daemon.
    static let terminating: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks the terminating signals (threads started later inherit the
    /// mask, so only `waitForSignal` sees them) and ignores SIGPIPE.
    static func blockSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in terminating { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits up to `milliseconds` for a terminating signal; returns it, or nil.
    static func waitForSignal(milliseconds: Int) -> Int32? {
        var set = sigset_t()
        sigemptyset(&set)
        for s in terminating { sigaddset(&set, s) }
        var timeout = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        let s = sigtimedwait(&set, nil, &timeout)
        return s > 0 ? s : nil
    }
}
