import AsyncHTTPClient
import Foundation
import NIOCore
import OrderPayCore

extension Supervisor {
    /// When `up` gives up on a child that is running but no longer answering.
    ///
    /// A process can stop serving without exiting: an order service once ended up with both event
    /// loops blocked on each other's database connections and answered nothing, `/health`
    /// included, until it was killed by hand. Liveness is any answer to `GET /health`, whatever
    /// its status: a service whose database is down answers 503 promptly, and restarting it would
    /// not bring the database back (it could not pass its start-up health check either, so it
    /// would be restarted over and over while it could still have told clients what is wrong).
    public struct Liveness: Sendable {
        /// Time between two looks (a look ends with an answer or after `answerTimeout`).
        public var interval: Duration
        /// How long a look waits for an answer: longer than any `/health` takes to say that a
        /// dependency is down (the gateway's registry look: 5 s; a service's checks: 2 s).
        public var answerTimeout: Duration
        /// No answer at all for this long, over at least two looks in a row: the child is stopped
        /// (SIGTERM, then SIGKILL after `grace`) and restarted as if it had died.
        public var timeout: Duration
        public var grace: Duration

        public init(interval: Duration = .seconds(5), answerTimeout: Duration = .seconds(10), timeout: Duration = .seconds(30),
                    grace: Duration = .seconds(5)) {
            self.interval = interval
            self.answerTimeout = answerTimeout
            self.timeout = timeout
            self.grace = grace
        }
    }

    /// Watches `process`, the child's supervised process, until it is replaced, exits or `up`
    /// stops; ends it if it stops answering for `liveness.timeout`. Its exit then restarts it
    /// through the usual path (`exited`), with the usual backoff.
    ///
    /// Silence is measured on a clock that stops while the machine sleeps: a laptop waking up
    /// has not seen its children silent for the hours it slept.
    func watchLiveness(of child: Child, process: Process) {
        guard let liveness else { return }
        Task { [weak self] in
            let clock = SuspendingClock()
            var lastAnswer = clock.now
            var failedInARow = 0
            while true {
                try? await Task.sleep(for: liveness.interval)
                guard let self, self.isSupervised(process, as: child) else { return }
                if await self.answersHealth(child, within: liveness.answerTimeout) {
                    lastAnswer = clock.now
                    failedInARow = 0
                    continue
                }
                failedInARow += 1
                let silence = clock.now - lastAnswer
                guard silence >= liveness.timeout, failedInARow >= 2, self.isSupervised(process, as: child) else { continue }
                let seconds = Int(silence.components.seconds)
                self.logger.error("\(child.name) (pid \(process.processIdentifier)) has not answered /health for \(seconds) s; stopping it to restart it")
                self.noteSilent(child, since: ContinuousClock.now - silence)
                await Self.end(process, grace: liveness.grace)
                return
            }
        }
    }

    /// Any HTTP answer counts, 503 included (see `Liveness`).
    private func answersHealth(_ child: Child, within timeout: Duration) async -> Bool {
        guard let response = try? await HTTPClient.shared.execute(healthRequest(child), timeout: TimeAmount(timeout)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return true
    }

    /// SIGTERM, so a child that is merely slow can still stop cleanly; SIGKILL if it is still
    /// there after `grace` (a hung process does not get through its graceful stop).
    static func end(_ process: Process, grace: Duration) async {
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
