import OrderPayCore
import OrderPayServices
import XCTest

final class ProcessorTests: XCTestCase {
    func charge(_ token: String, attempt: Int = 1, processor: SimulatedPaymentProcessor = .init()) async -> ChargeResult {
        await processor.charge(ChargeRequest(idempotencyKey: "k-\(token)-\(attempt)", amount: Money("10.00")!,
                                             paymentMethod: .creditCard, token: token, attempt: attempt))
    }

    func testTokensBehaveLikeAProviderTestMode() async {
        if case .declined = await charge("tok_visa") { XCTFail("tok_visa must succeed") }
        if case .declined = await charge("tok_anything_else_42") { XCTFail("well-formed tokens succeed") }
        let declined = await charge("tok_chargeDeclined", attempt: 3)
        XCTAssertEqual(declined, .declined(reason: "card declined"))
        let funds = await charge("tok_insufficientFunds")
        XCTAssertEqual(funds, .declined(reason: "insufficient funds"))
        let first = await charge("tok_processingError", attempt: 1)
        XCTAssertEqual(first, .declined(reason: "processing error"))
        if case .declined = await charge("tok_processingError", attempt: 2) { XCTFail("a retry after a processing error succeeds") }
        let malformed = await charge("visa")
        XCTAssertEqual(malformed, .declined(reason: "invalid payment token"))
    }

    func testSeededFailureRateIsDeterministicAndRoughlyRight() async {
        let processor = SimulatedPaymentProcessor(failureRate: 0.3, seed: 7)
        var failures = 0
        for i in 0..<1000 {
            let request = ChargeRequest(idempotencyKey: "order-\(i)", amount: Money("1.00")!, paymentMethod: .paypal, token: "tok_visa", attempt: 1)
            let first = await processor.charge(request)
            let again = await processor.charge(request)
            XCTAssertEqual(first, again)
            if case .declined = first { failures += 1 }
        }
        XCTAssertTrue((200...400).contains(failures), "\(failures) failures of 1000 at rate 0.3")
    }
}
