import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// The events pane's topic filter shows the topic's last events, not only those still in the
/// live ring of all topics: the filter asks for the topic's history, which goes in front.
final class EventsFilterTests: XCTestCase {
    private static func processed(_ offset: Int64) -> StreamedEvent {
        Fixtures.event(offset, .paymentProcessed(PaymentProcessed(orderId: offset, paymentId: offset, amount: Money("1.00")!,
                                                                  status: .success, failureReason: nil, attempt: 1)))
    }

    private static func created(_ offset: Int64) -> StreamedEvent {
        Fixtures.event(offset, .orderCreated(OrderCreated(orderId: offset, orderNumber: "0190-\(offset)", userId: 2,
                                                          totalAmount: Money("1.00")!, paymentMethod: .creditCard, paymentToken: "tok_visa")))
    }

    private func offsets(_ state: ConsoleState) -> [Int64] { state.events.shown.map(\.event.envelope.offset) }

    private func filter(_ state: inout ConsoleState, _ topic: String) -> [Effect] {
        Fixtures.press(&state, .char(":")) + "events topic=\(topic)".flatMap { Fixtures.press(&state, .char($0)) }
            + Fixtures.press(&state, .enter)
    }

    func testATopicFilterShowsTheTopicsHistoryBeyondTheLiveRing() {
        var state = ConsoleState(eventCapacity: 4)
        _ = ConsoleUpdate.update(&state, .events([Self.processed(0)] + (1...4).map(Self.created)))
        XCTAssertEqual(state.events.events.map(\.envelope.offset), [1, 2, 3, 4], "the payment event left the live ring")

        XCTAssertTrue(filter(&state, "payment-processed").contains(.loadTopicHistory(.paymentProcessed)))
        XCTAssertEqual(offsets(state), [])
        _ = ConsoleUpdate.update(&state, .topicHistoryLoaded(.paymentProcessed, .success([Self.processed(0)])))
        XCTAssertEqual(offsets(state), [0])
        _ = ConsoleUpdate.update(&state, .events([Self.created(5), Self.processed(6)]))
        XCTAssertEqual(offsets(state), [0, 6], "live events of the topic join it")
        XCTAssertTrue(ConsoleView.render(state).text.contains("topic=payment-processed"))

        XCTAssertFalse(Fixtures.press(&state, .escape).contains { if case .loadTopicHistory = $0 { true } else { false } })
        XCTAssertNil(state.events.topic)
        XCTAssertEqual(offsets(state), [3, 4, 5, 6], "without a filter: the live ring")
    }

    func testHistoryGoesInFrontWithoutMovingTheSelection() {
        var state = ConsoleState(eventCapacity: 3)
        _ = ConsoleUpdate.update(&state, .events([Self.processed(10), Self.created(11), Self.processed(12)]))
        _ = filter(&state, "payment-processed")
        XCTAssertEqual(offsets(state), [10, 12])
        Fixtures.press(&state, .char("4"), .up)
        XCTAssertFalse(state.events.follow)
        func selected() -> Int64? { state.events.shown.first { $0.index == state.events.cursor }?.event.envelope.offset }
        XCTAssertEqual(selected(), 10)
        Fixtures.press(&state, .char("p"))

        let history = [7, 8, 9, 10, 12].map { Self.processed(Int64($0)) }
        _ = ConsoleUpdate.update(&state, .topicHistoryLoaded(.paymentProcessed, .success(history)))
        XCTAssertEqual(offsets(state), [9, 10, 12], "room for one more: the newest of the older ones")
        XCTAssertEqual(selected(), 10, "the selection stays on its event")
        XCTAssertEqual(state.events.newWhilePaused, 0, "history is not news")
        _ = ConsoleUpdate.update(&state, .events([Self.processed(13)]))
        XCTAssertEqual(state.events.newWhilePaused, 1)
        XCTAssertEqual(offsets(state), [10, 12], "paused: the new event waits (the oldest made room for it)")
    }

    /// With Kafka, offsets count per partition: an event with a lower offset can be newer. Live
    /// events are never dropped for it, and history is matched to the ring by event id.
    func testPartitionOffsetsNeitherDropNorDuplicateEvents() {
        func processed(_ offset: Int64, _ id: String) -> StreamedEvent {
            var event = Self.processed(offset)
            event.envelope.eventId = id
            return event
        }
        var state = ConsoleState(eventCapacity: 10)
        _ = ConsoleUpdate.update(&state, .events([processed(120, "p3-120")]))
        _ = filter(&state, "payment-processed")
        _ = ConsoleUpdate.update(&state, .events([processed(40, "p0-40")]))
        XCTAssertEqual(state.events.shown.map(\.event.envelope.eventId), ["p3-120", "p0-40"])
        let history = [processed(119, "p3-119"), processed(39, "p0-39"), processed(120, "p3-120")]
        _ = ConsoleUpdate.update(&state, .topicHistoryLoaded(.paymentProcessed, .success(history)))
        XCTAssertEqual(state.events.shown.map(\.event.envelope.eventId), ["p3-119", "p0-39", "p3-120", "p0-40"])
    }

    /// Scrolled (not following) onto a topic with nothing in the live ring: once its history
    /// arrives, the newest is selected.
    func testHistoryOnAnEmptyFilterSelectsTheNewest() {
        var state = ConsoleState(eventCapacity: 10)
        _ = ConsoleUpdate.update(&state, .events((1...3).map(Self.created)))
        Fixtures.press(&state, .char("4"), .up)
        XCTAssertFalse(state.events.follow)
        _ = filter(&state, "payment-processed")
        _ = ConsoleUpdate.update(&state, .topicHistoryLoaded(.paymentProcessed, .success([Self.processed(0), Self.processed(4)])))
        XCTAssertEqual(state.events.shown.first { $0.index == state.events.cursor }?.event.envelope.offset, 4)
    }

    func testHistoryForAnEarlierFilterIsIgnoredAndAFailedLoadIsSaid() {
        var state = ConsoleState(eventCapacity: 10)
        _ = ConsoleUpdate.update(&state, .tick(Fixtures.now))
        _ = ConsoleUpdate.update(&state, .events([Self.processed(1), Self.created(2)]))
        _ = filter(&state, "payment-processed")
        XCTAssertTrue(filter(&state, "order-created").contains(.loadTopicHistory(.orderCreated)))
        _ = ConsoleUpdate.update(&state, .topicHistoryLoaded(.paymentProcessed, .success([Self.processed(0)])))
        XCTAssertEqual(offsets(state), [2])
        _ = ConsoleUpdate.update(&state, .topicHistoryLoaded(.orderCreated, .failure(AppError(.unavailable, "gateway down"))))
        XCTAssertEqual(offsets(state), [2])
        XCTAssertTrue(state.toasts.contains { $0.isError && $0.text.contains("gateway down") }, "\(state.toasts)")
    }
}
