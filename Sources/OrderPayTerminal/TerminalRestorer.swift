import CNcurses
import Foundation

/// Puts the terminal back however the console ends: a normal quit, SIGHUP/SIGTERM (a dropped
/// SSH session), or a crash signal, after which the default action (a core dump) still happens.
enum TerminalRestorer {
    nonisolated(unsafe) static var active = false
    nonisolated(unsafe) static var hangup: sig_atomic_t = 0

    static var hangupRequested: Bool { hangup != 0 }

    static func install() {
        active = true
        for sig in [SIGHUP, SIGTERM, SIGINT, SIGQUIT] {
            signal(sig) { _ in TerminalRestorer.hangup = 1 }
        }
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
