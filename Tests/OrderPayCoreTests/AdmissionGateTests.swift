import OrderPayCore
import XCTest

final class AdmissionGateTests: XCTestCase {
    private struct Busy: Error {}

    /// Up to the limit, work runs; the next is refused without running; a place frees up when
    /// work ends, also when it throws.
    func testAdmitsUpToTheLimitAndRefusesTheRest() async throws {
        let gate = AdmissionGate(limit: 2)
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let (started, starter) = AsyncStream<Void>.makeStream()
        let held = Task {
            try await gate.run(refusal: { Busy() }) {
                try await gate.run(refusal: { Busy() }) {
                    starter.yield()
                    for await _ in release { break }
                    return 1
                }
            }
        }
        for await _ in started { break }
        XCTAssertEqual(gate.count, 2)
        var ran = false
        do {
            _ = try await gate.run(refusal: { Busy() }) { ran = true }
            XCTFail("a third was admitted")
        } catch is Busy {}
        XCTAssertFalse(ran, "refused work does not run")

        releaser.yield()
        let value = try await held.value
        XCTAssertEqual(value, 1)
        XCTAssertEqual(gate.count, 0)

        struct Failed: Error {}
        do { _ = try await gate.run(refusal: { Busy() }) { throw Failed() } } catch is Failed {}
        XCTAssertEqual(gate.count, 0, "a failure frees its place")
        let after = try await gate.run(refusal: { Busy() }) { 7 }
        XCTAssertEqual(after, 7)
    }
}
