import Foundation
import Hummingbird
import HummingbirdTesting
import OrderPayCore
import OrderPayKafka
import OrderPayTestSupport
import XCTest

/// `/api/events/stream` with Kafka: an event id is a cursor of partition offsets, so a stream
/// resumed on another process (another instance behind the gateway, or one started after a
/// restart) goes on exactly where it stopped: no event twice, none left out.
final class KafkaStreamResumeTests: XCTestCase {
    private var cluster: KafkaMockCluster!
    private var directory = ""

    override func setUp() async throws {
        cluster = try KafkaMockCluster()
        directory = try temporaryDirectory("orderpay-kafka-stream").path
    }

    override func tearDown() async throws { cluster = nil }

    func testAStreamResumedOnAnotherReaderGetsExactlyTheRest() async throws {
        let a = try await KafkaStreamReader(cluster: cluster, directory: directory)
        defer { a.close() }
        let produced = try await produceOrders(30, through: a.kafka.log)
        try await a.waitForEvents(30)
        // Another instance, started once the events were in Kafka: it numbers them its own way.
        let b = try await KafkaStreamReader(cluster: cluster, directory: directory)
        defer { b.close() }
        try await b.waitForEvents(30)

        let first = try await a.stream("from=1&limit=12")
        XCTAssertEqual(first.count, 12)
        XCTAssertTrue(first.allSatisfy { $0.id.hasPrefix("k1.") }, "ids: \(first.map(\.id))")

        let rest = try await b.stream("limit=18", lastEventID: first.last?.id)
        let seen = (first + rest).compactMap(\.orderId)
        XCTAssertEqual(seen.count, 30)
        XCTAssertEqual(Set(seen), Set(produced), "every event once")
        XCTAssertEqual(Set(seen).count, seen.count, "no event twice: \(seen)")

        // Back on the first instance, from the second's last id: only what came since.
        let later = try await produceOrders(5, from: 100, through: b.kafka.log)
        let since = try await a.stream("limit=5&from=\(rest.last?.id ?? "")")
        XCTAssertEqual(since.compactMap(\.orderId).sorted(), later)
    }

    /// A reader started after a restart, whose ring holds a few events per partition, resumes
    /// from a cursor older than its ring: the rest is read from Kafka itself.
    func testACursorOlderThanTheRingIsReadFromKafka() async throws {
        let a = try await KafkaStreamReader(cluster: cluster, directory: directory)
        let produced = try await produceOrders(60, through: a.kafka.log)
        try await a.waitForEvents(60)
        let first = try await a.stream("from=1&limit=7")
        a.close()   // the process stops; the client keeps its last id

        let restarted = try await KafkaStreamReader(cluster: cluster, directory: directory, ringCapacity: 18)
        defer { restarted.close() }
        // 18 events over 18 partitions: it starts one event before each partition's end.
        try await restarted.waitForEvents(1)
        let ringHolds = try await restarted.kafka.log.latest(count: 100, topics: nil).count
        XCTAssertLessThan(ringHolds, 60 - 7, "the ring must not reach back to the cursor for this test to mean anything")

        let rest = try await restarted.stream("limit=53", lastEventID: first.last?.id)
        let seen = (first + rest).compactMap(\.orderId)
        XCTAssertEqual(seen.count, 60)
        XCTAssertEqual(Set(seen), Set(produced))
        XCTAssertTrue(rest.allSatisfy { $0.id.hasPrefix("k1.") })
    }

    /// `/api/events?after=`: pages continue from the last one's nextAfter, on whichever instance
    /// answers, without the repeats and gaps of paging by partition offset (`from`).
    func testPagesAfterACursorGoOnAcrossReadersWithoutRepeatsOrGaps() async throws {
        let a = try await KafkaStreamReader(cluster: cluster, directory: directory)
        defer { a.close() }
        let produced = try await produceOrders(25, through: a.kafka.log)
        try await a.waitForEvents(25)
        let b = try await KafkaStreamReader(cluster: cluster, directory: directory)
        defer { b.close() }
        try await b.waitForEvents(25)

        let first = try await a.stream("from=1&limit=1")
        var seen = first.compactMap(\.orderId)
        var after = try XCTUnwrap(first.first?.id)
        for turn in 0..<20 {   // 25 events in pages of 7: a handful of pages, not 20
            let page = try await (turn.isMultiple(of: 2) ? b : a).page("topic=order-created&limit=7&after=\(after)")
            if page.events.isEmpty { break }
            XCTAssertLessThanOrEqual(page.events.count, 7)
            seen += page.events.map(\.payload.orderId)
            after = try XCTUnwrap(page.nextAfter)
        }
        XCTAssertEqual(seen.count, 25, "\(seen)")
        XCTAssertEqual(Set(seen), Set(produced))
    }

    func testAMalformedCursorIsABadRequestNamingWhereItCameFrom() async throws {
        let a = try await KafkaStreamReader(cluster: cluster, directory: directory)
        defer { a.close() }
        _ = try await produceOrders(3, through: a.kafka.log)
        try await a.waitForEvents(3)
        let good = try await a.stream("from=1&limit=1")
        let id = try XCTUnwrap(good.first?.id)
        let token = a.adminToken
        try await a.test { client in
            // One character changed: the checksum refuses it rather than read other offsets.
            let last = id.last == "A" ? "B" : "A"
            let altered = String(id.dropLast()) + String(last)
            for bad in ["yesterday", "k1.", "k1.!!!!", "k2." + id.dropFirst(3), altered, String(id.dropLast(2))] {
                let header = try await client.stream("limit=1", token: token, lastEventID: bad)
                try Self.assertBadRequest(header, naming: "Last-Event-ID", sent: bad)
                let encoded = bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? bad
                let query = try await client.stream("limit=1&from=\(encoded)", token: token)
                try Self.assertBadRequest(query, naming: "'from'", sent: bad)
                let page = try await client.execute(uri: "/api/events?topic=order-created&after=\(encoded)",
                                                    method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
                try Self.assertBadRequest(page, naming: "'after'", sent: bad)
            }
        }
    }

    private static func assertBadRequest(_ response: TestResponse, naming name: String, sent: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let body = String(buffer: response.body)
        XCTAssertEqual(response.status.code, 400, "\(sent): \(body)", file: file, line: line)
        XCTAssertEqual(response.headers[.contentType], "application/problem+json", file: file, line: line)
        XCTAssertTrue(body.contains(name), "\(sent): \(body) should name \(name)", file: file, line: line)
    }
}
