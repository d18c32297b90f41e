import Foundation
import OrderPayCore
@testable import OrderPayRemote
import XCTest

/// The pure parts: the SSE parser, problem mapping, URL handling.
final class ParsingTests: XCTestCase {
    func testSSEParserAcrossChunksLineEndingsAndComments() {
        var parser = SSEParser()
        let text = ": keepalive\n\nid: 7\nevent: order-created\ndata: {\"a\":\r\ndata: 1}\r\n\r\nid: 8\rdata: x\r\rdata: no id\n\n"
        var messages: [SSEMessage] = []
        for byte in Array(text.utf8) { messages += parser.feed([byte]) }   // worst case: one byte at a time
        XCTAssertEqual(messages, [
            SSEMessage(id: "7", event: "order-created", data: "{\"a\":\n1}"),
            SSEMessage(id: "8", event: "message", data: "x"),
            SSEMessage(id: "8", event: "message", data: "no id"),
        ])
        XCTAssertEqual(parser.lastEventID, "8")
        XCTAssertEqual(parser.feed(Array("data: incomplete".utf8)), [])
    }

    func testProblemDocumentsMapToAppErrors() {
        func response(_ status: Int, _ body: String, headers: [String: String] = [:]) -> HTTPResponseMessage {
            HTTPResponseMessage(status: status, headers: headers, body: Data(body.utf8))
        }
        let validation = ProblemMapping.error(for: response(422, #"{"type":"urn:orderpay:problem:validation","title":"Validation failed","status":422,"detail":"bad","errors":[{"field":"items[0].quantity","message":"too small"}]}"#))
        XCTAssertEqual(validation, AppError(.validation, "bad", fieldErrors: [.init(field: "items[0].quantity", message: "too small")]))
        let limited = ProblemMapping.error(for: response(429, #"{"detail":"rate limit exceeded"}"#, headers: ["retry-after": "3"]))
        XCTAssertEqual(limited.kind, .rateLimited)
        XCTAssertTrue(limited.message.contains("Retry-After: 3"), limited.message)
        XCTAssertEqual(limited.retryAfter, 3, "kept as a number, so a client retrying by itself can honour it")
        XCTAssertEqual(ProblemMapping.error(for: response(503, "{}", headers: ["retry-after": "1"])).retryAfter, 1)
        XCTAssertNil(ProblemMapping.error(for: response(429, "{}", headers: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"])).retryAfter)
        XCTAssertEqual(ProblemMapping.error(for: response(400, #"{"detail":"x"}"#)).kind, .validation)
        XCTAssertEqual(ProblemMapping.error(for: response(401, "")).kind, .unauthorized)
        XCTAssertEqual(ProblemMapping.error(for: response(403, "{}")).kind, .forbidden)
        XCTAssertEqual(ProblemMapping.error(for: response(404, "not json")).kind, .notFound)
        XCTAssertEqual(ProblemMapping.error(for: response(409, "[1,2]")).kind, .conflict)
        XCTAssertEqual(ProblemMapping.error(for: response(503, "<html>")).kind, .unavailable)
        XCTAssertEqual(ProblemMapping.error(for: response(504, "")).kind, .unavailable)
        XCTAssertEqual(ProblemMapping.error(for: response(500, "boom")).kind, .internal)
    }

    func testBadJSONIsAnErrorNotACrash() {
        let response = HTTPResponseMessage(status: 200, headers: [:], body: Data(#"{"id": "seven"}"#.utf8))
        XCTAssertThrowsError(try GatewayTransport.decode(Order.self, from: response)) { error in
            XCTAssertEqual((error as? AppError)?.kind, .internal)
        }
        let money = HTTPResponseMessage(status: 200, headers: [:], body: Data(#"[0.1, 19.99, 123456789012.34]"#.utf8))
        XCTAssertEqual(try GatewayTransport.decode([Money].self, from: money), [Money("0.10")!, Money("19.99")!, Money("123456789012.34")!])
        // Money is a JSON number (as /openapi.json says): an amount written as a string is an error, not a crash.
        let quoted = HTTPResponseMessage(status: 200, headers: [:], body: Data(#"[0.1, "0.30"]"#.utf8))
        XCTAssertThrowsError(try GatewayTransport.decode([Money].self, from: quoted)) { error in
            XCTAssertEqual((error as? AppError)?.kind, .internal)
        }
        XCTAssertNil(RemoteBackend.streamedEvent(SSEMessage(id: "1", event: "order-created", data: "{oops")))
    }

    func testGatewayURLs() throws {
        XCTAssertEqual(try GatewayTransport.normalize("127.0.0.1:8000/"), "http://127.0.0.1:8000")
        XCTAssertEqual(try GatewayTransport.normalize(" https://gw.example:443 "), "https://gw.example:443")
        XCTAssertThrowsError(try GatewayTransport.normalize("http://"))
        let transport = GatewayTransport(baseURL: "http://h:1", client: CurlClient(), requestTimeout: 1)
        XCTAssertEqual(transport.url("/api/users", query: [("q", "kim lee+1@x.test"), ("status", nil), ("page", "0")]),
                       "http://h:1/api/users?q=kim%20lee%2B1%40x.test&page=0")
        XCTAssertEqual(SSEStream.seconds(0.5), "0.5s")
        XCTAssertEqual(SSEStream.seconds(10), "10s")
    }
}
