import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayKafka
import OrderPayServices
import XCTest

/// Kafka failures that can reach HTTP (/health, /api/events, /metrics) say "unavailable, retry"
/// (503), and the end offsets recover once the cluster moved its partitions.
final class KafkaErrorTests: XCTestCase {
    func testEndOffsetsFollowLeadersThatMoved() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start()
        let (customer, product) = try await kafka.customer(on: system)
        let placed = try await system.orders.place(actor: customer, kafka.order(product))
        _ = try await system.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(30))
        let before = try await system.events.endOffset(topic: .orderCreated)
        XCTAssertEqual(before, 1)

        kafka.cluster.moveLeaders(of: .orderCreated)
        let after = try await system.events.endOffset(topic: .orderCreated)
        XCTAssertEqual(after, before)
        await system.stop()
    }

    func testKafkaOutOfReachIsUnavailableNotAnUnexpectedError() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start()
        kafka.cluster.setBrokers(up: false)
        defer { kafka.cluster.setBrokers(up: true) }
        for (name, query) in [("endOffset", { _ = try await system.events.endOffset(topic: .orderCreated) }),
                              ("lag", { _ = try await system.events.lag(group: PaymentService.consumerGroup, topic: .orderCreated) })]
            as [(String, () async throws -> Void)] {
            do {
                try await query()
                XCTFail("\(name) with every broker down")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .unavailable, name)
                XCTAssertEqual(error.retryAfter, 1, name)
            } catch {
                XCTFail("\(name): untranslated \(type(of: error)): \(error)")
            }
        }
        kafka.cluster.setBrokers(up: true)
        await system.stop()
    }
}
