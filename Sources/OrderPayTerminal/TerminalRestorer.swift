import CNcurses
import Foundation

/// Puts the terminal back however the console ends: a normal quit, SIGHUP/SIGTERM (a dropped
/// SSH session), or a crash signal, after which the default action (a core dump) still happens.
enum TerminalRestorer {
    nonisolated(unsafe) static var active = false
    nonisolated(unsafe) static var hangup: sig_atomic_t = 0
    nonisolated(unsafe) static var resized: sig_atomic_t = 0
    /// Written by signal handlers (async-signal-safe), watched by the UI thread's poll.
    nonisolated(unsafe) static var signalPipe: [Int32] = {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return fds
    }()

    static func poke() {
        var byte: UInt8 = 1
        _ = write(signalPipe[1], &byte, 1)
    }

    /// True once per SIGWINCH burst; drains the pipe.
    static func takeResize() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(signalPipe[0], &buffer, buffer.count) > 0 {}
        guard resized != 0 else { return false }
        resized = 0
        return true
    }

    static var hangupRequested: Bool { hangup != 0 }

    static func install() {
        active = true
        _ = signalPipe
        for sig in [SIGHUP, SIGTERM, SIGINT, SIGQUIT] {
            signal(sig) { _ in TerminalRestorer.hangup = 1; TerminalRestorer.poke() }
        }
        // Replaces ncurses' own SIGWINCH handler, whose KEY_RESIZE only shows once a key is read.
        signal(SIGWINCH) { _ in TerminalRestorer.resized = 1; TerminalRestorer.poke() }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(sig) { sig in
                if TerminalRestorer.active { endwin() }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
        atexit { TerminalRestorer.restore() }
    }

    static func restore() {
        guard active else { return }
        active = false
        endwin()
    }
}
