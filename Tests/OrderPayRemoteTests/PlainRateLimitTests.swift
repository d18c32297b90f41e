import Foundation
import OrderPayConsole
import OrderPayCore
import OrderPayGateway
import OrderPayRemote
import XCTest

/// `orderpay console --plain --remote URL` against a gateway that rate limits the operator at start.
final class PlainRateLimitTests: XCTestCase {
    /// It used to end with the 429 (exit code 6); it waits out the Retry-After and carries on.
    func testPlainModeWaitsOutA429AtStartAndCarriesOn() async throws {
        // One request a second, three at once: the summary's own requests (the order counts
        // are six at once) meet 429s whatever the bucket holds.
        try await withLimitedGateway(rate: 1, burst: 3) { backend, _, notes in
            let lines = Recorder<String>()
            try await PlainConsole(backend: backend, write: { lines.append($0) }).run(until: {})
            XCTAssertTrue(lines.all.contains { $0.hasPrefix("Orders by status:") }, "\(lines.all)")
            XCTAssertTrue(lines.all.contains { $0.hasPrefix("Registry:") }, "\(lines.all)")
            XCTAssertTrue(lines.all.contains("Live events (Ctrl-C stops):"), "\(lines.all)")
            // Said once, on one line, however many requests waited.
            XCTAssertEqual(notes.all.count, 1, "\(notes.all)")
            XCTAssertTrue(notes.all.allSatisfy { $0.contains("rate limiting") && $0.contains("Retry-After") && !$0.contains("\n") },
                          "\(notes.all)")
        }
    }

    /// A gateway asking for a longer wait than the patience has left: an error at once, saying
    /// so (the console exits non-zero with it) rather than a silent wait of minutes. Once the
    /// full-screen console has taken over (`finish()`), a 429 is the caller's at once.
    func testAWaitPastTheBudgetIsAClearErrorAndFinishedPatienceHandsTheAnswerBack() async throws {
        // A request every 100 s: once the burst is spent, Retry-After is about 100 s.
        try await withLimitedGateway(rate: 0.01, burst: 3) { backend, patience, notes in
            do {
                _ = try await PlainConsole(backend: backend, write: { _ in }).summary()
                XCTFail("the summary got through a gateway asking for 100 s")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .rateLimited)
                XCTAssertTrue(error.message.contains("still rate limiting"), error.message)
                XCTAssertTrue(error.message.contains("past the 60 s waited at most"), error.message)
            }
            XCTAssertEqual(notes.all, [], "nothing was waited for")

            patience.finish()
            do {
                _ = try await backend.payments(ListQuery(page: 0, size: 5))
                XCTFail("the payments got through a gateway asking for 100 s")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .rateLimited)
                XCTAssertTrue(error.message.hasPrefix("rate limit exceeded"), error.message)
            }
        }
    }

    /// A second gateway on the live system limited to `rate` requests a second (`burst` at once),
    /// and the admin signed in through it with a patience that notes each wait in `notes`.
    private func withLimitedGateway(rate: Double, burst: Double,
                                    _ body: (RemoteBackend, RateLimitPatience, Recorder<String>) async throws -> Void) async throws {
        try await withLiveSystem { system in
            let gateway = try await system.startSecondGateway { $0.rateLimit = rate; $0.rateBurst = burst }
            do {
                let notes = Recorder<String>()
                let patience = RateLimitPatience(note: { notes.append($0) })
                var options = RemoteBackend.Options()
                options.rateLimitPatience = patience
                let backend = try await RemoteBackend(gatewayURL: gateway.baseURL, email: LiveSystem.adminEmail,
                                                      password: LiveSystem.adminPassword, options: options)
                try await body(backend, patience, notes)
            } catch {
                await gateway.stop(grace: .milliseconds(200))
                throw error
            }
            await gateway.stop(grace: .milliseconds(200))
        }
    }
}
