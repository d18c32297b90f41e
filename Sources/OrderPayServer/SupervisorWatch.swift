import Foundation
import Logging

/// A child of `orderpay up` stops by itself when `up` is gone without stopping it (`kill -9`, an
/// out-of-memory kill, a crash), instead of serving on as an orphan that holds its port and
/// makes the next `up` fail with "port in use".
///
/// `up` names itself in the child's environment; the child checks once a second whether its
/// parent is still that process (an orphan is adopted by init or a subreaper) and, if not,
/// raises SIGTERM on itself: a child already serving stops through the same graceful path as a
/// stop from `up` (finishing requests in flight, leaving the registry); one still starting ends
/// at once (SIGTERM's default action), having served nothing yet.
/// Not `PR_SET_PDEATHSIG`: that signal follows the *thread* that forked the child, and `up`
/// forks from Swift concurrency's pool threads, which come and go.
public enum SupervisorWatch {
    public static let environmentKey = "ORDERPAY_SUPERVISOR_PID"

    /// Starts watching if this process was started by a supervisor (does nothing otherwise); call it
    /// first thing, after resetting SIGTERM to its default action. `lingering`: how long to serve
    /// on once the supervisor is gone: the registry's, so the services, which notice at the same
    /// time, can still leave it (else their entries outlive them, and a registry started again on
    /// the same data dir renews them).
    public static func start(logger: Logger, lingering: Duration = .zero,
                             environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let supervisor = environment[environmentKey].flatMap(pid_t.init), supervisor > 0 else { return }
        Task.detached {
            repeat {
                try? await Task.sleep(for: .seconds(1))
            } while getppid() == supervisor
            logger.error("the supervisor (pid \(supervisor)) is gone; stopping\(lingering > .zero ? " in \(lingering)" : "")")
            try? await Task.sleep(for: lingering)
            kill(getpid(), SIGTERM)
        }
    }
}
