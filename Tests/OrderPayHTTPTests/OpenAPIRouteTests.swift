import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

final class OpenAPIRouteTests: XCTestCase {
    /// Every route the brief asks for; the document must list exactly what is mounted.
    static let expected: Set<String> = [
        "POST /api/auth/signup", "POST /api/auth/login", "POST /api/auth/refresh", "POST /api/auth/logout",
        "GET /api/users", "GET /api/users/me", "GET /api/users/{id}", "POST /api/users", "PUT /api/users/{id}",
        "DELETE /api/users/{id}", "PUT /api/users/{id}/password", "PUT /api/users/{id}/roles", "PUT /api/users/{id}/status",
        "POST /api/users/{id}/profile-image", "GET /api/users/{id}/profile-image",
        "GET /api/products", "GET /api/products/{id}", "POST /api/products", "PUT /api/products/{id}",
        "POST /api/orders", "GET /api/orders", "GET /api/orders/{id}", "GET /api/orders/status/{status}",
        "GET /api/orders/{id}/history", "POST /api/orders/{id}/cancel", "POST /api/orders/{id}/complete",
        "GET /api/payments/{id}", "GET /api/payments/{id}/history", "GET /api/payments/order/{orderId}", "GET /api/payments", "GET /api/payments/status/{status}",
        "POST /api/payments/{id}/retry", "POST /api/payments/{id}/cancel", "POST /api/payments/{id}/refund/initiate",
        "POST /api/payments/{id}/refund/process",
        "GET /api/events", "GET /api/events/stream", "GET /api/events/dead-letters", "POST /api/events/dead-letters/{id}/replay",
        "GET /health", "GET /metrics", "GET /openapi.json",
    ]

    func testDocumentListsExactlyTheMountedRoutes() async throws {
        let t = try await HTTPTestSystem.make()
        let mounted = Set(t.api.routes.map { "\($0.method.rawValue) \($0.path)" })
        XCTAssertEqual(mounted, Self.expected)
        XCTAssertEqual(t.api.routes.count, Self.expected.count, "no route mounted twice")
        try await t.test { client in
            let response = try await client.call(.get, "/openapi.json")
            XCTAssertEqual(response.status, .ok)
            let document = try response.json()
            XCTAssertEqual(document["openapi"] as? String, "3.1.0")
            let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
            var documented: Set<String> = []
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            XCTAssertEqual(documented, mounted)

            // Protected operations declare bearer auth; public ones none.
            let orders = try XCTUnwrap(paths["/api/orders"]?["post"] as? [String: Any])
            XCTAssertEqual((orders["security"] as? [[String: Any]])?.first?.keys.first, "bearerAuth")
            let requestBody = try XCTUnwrap(orders["requestBody"] as? [String: Any])
            XCTAssertTrue("\(requestBody)".contains("#/components/schemas/PlaceOrderRequest"))
            XCTAssertNotNil((orders["responses"] as? [String: Any])?["201"])
            // A repeated Idempotency-Key answers 200 with the same Order body.
            let replay = try XCTUnwrap((orders["responses"] as? [String: Any])?["200"] as? [String: Any])
            XCTAssertTrue("\(replay)".contains("#/components/schemas/Order"), "\(replay)")
            let users = try XCTUnwrap(paths["/api/users"]?["get"] as? [String: Any])
            let search = try XCTUnwrap((users["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "q" })
            XCTAssertEqual((search["schema"] as? [String: Any])?["maxLength"] as? Int, 100)
            let describing = try XCTUnwrap(paths["/openapi.json"]?["get"] as? [String: Any])
            let documentOK = (describing["responses"] as? [String: Any])?["200"] as? [String: Any]
            let documentSchema = ((documentOK?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
            XCTAssertEqual(documentSchema?["type"] as? String, "object", "the document is a JSON object, not a string")
            let history = try XCTUnwrap(paths["/api/events"]?["get"] as? [String: Any])
            let topic = try XCTUnwrap((history["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "topic" })
            XCTAssertEqual(topic["required"] as? Bool, true, "the route refuses a request without it")
            // Writes may be refused for the state they meet (409); reads are not.
            let cancel = try XCTUnwrap(paths["/api/orders/{id}/cancel"]?["post"] as? [String: Any])
            XCTAssertNotNil((cancel["responses"] as? [String: Any])?["409"])
            let list = try XCTUnwrap(paths["/api/orders"]?["get"] as? [String: Any])
            XCTAssertNil((list["responses"] as? [String: Any])?["409"])
            // A user route that refuses another user's id says so (403), as admin routes do.
            XCTAssertNotNil((list["responses"] as? [String: Any])?["403"])
            XCTAssertNotNil(((paths["/api/payments"]?["get"] as? [String: Any])?["responses"] as? [String: Any])?["403"])
            XCTAssertNotNil(((paths["/api/users/{id}/password"]?["put"] as? [String: Any])?["responses"] as? [String: Any])?["403"])
            XCTAssertNotNil((users["responses"] as? [String: Any])?["422"], "a search text too long is a 422")
            // Replay explains where the letter goes and its own refusals (an unreadable event: 409).
            let replayLetter = try XCTUnwrap(paths["/api/events/dead-letters/{id}/replay"]?["post"] as? [String: Any])
            XCTAssertTrue((replayLetter["description"] as? String ?? "").contains("PAYMENT-SERVICE"), "\(replayLetter)")
            let replayAnswers = try XCTUnwrap(replayLetter["responses"] as? [String: [String: Any]])
            XCTAssertTrue((replayAnswers["409"]?["description"] as? String ?? "").contains("cannot read"), "\(replayAnswers)")
            XCTAssertNotNil(replayAnswers["503"])
            XCTAssertNotNil(replayAnswers["504"])
            let upload = try XCTUnwrap(paths["/api/users/{id}/profile-image"]?["post"] as? [String: Any])
            let uploadContent = try XCTUnwrap((upload["requestBody"] as? [String: Any])?["content"] as? [String: Any])
            XCTAssertEqual(Array(uploadContent.keys), ["multipart/form-data"])
            let image = try XCTUnwrap(paths["/api/users/{id}/profile-image"]?["get"] as? [String: Any])
            let imageTypes = ((image["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: Any]
            XCTAssertEqual(Set(imageTypes?.keys.map { $0 } ?? []), ["image/png", "image/jpeg", "image/gif"])
            let login = try XCTUnwrap(paths["/api/auth/login"]?["post"] as? [String: Any])
            XCTAssertEqual((login["security"] as? [Any])?.count, 0)

            // Every $ref resolves to a component.
            let components = try XCTUnwrap(document["components"] as? [String: Any])
            let schemas = try XCTUnwrap(components["schemas"] as? [String: Any])
            let responses = try XCTUnwrap(components["responses"] as? [String: Any])
            for ref in Self.refs(in: document) {
                let name = String(ref.split(separator: "/").last!)
                if ref.hasPrefix("#/components/schemas/") { XCTAssertNotNil(schemas[name], ref) }
                else if ref.hasPrefix("#/components/responses/") { XCTAssertNotNil(responses[name], ref) }
                else { XCTFail("unexpected ref \(ref)") }
            }
            XCTAssertNotNil(schemas["Problem"])
        }
    }

    /// The document states the rules the services check, so a client can know them before it is
    /// refused (scripts/api-contract.sh holds the running services to them).
    func testDocumentSaysWhatTheServicesAccept() async throws {
        let t = try await HTTPTestSystem.make()
        let document = OpenAPIDocument.build(routes: t.api.routes, title: "t", version: "1")
        await t.stop()
        let schemas = try XCTUnwrap(document["components"]?["schemas"]?.objectValue)
        func property(_ schema: String, _ name: String) throws -> [String: JSONValue] {
            let field = try XCTUnwrap(schemas[schema]?["properties"]?[name]?.objectValue, "\(schema).\(name)")
            // An optional field is `anyOf: [its schema, null]`.
            if case .array(let choices)? = field["anyOf"], let first = choices.first?.objectValue { return first }
            return field
        }
        func parameter(_ path: String, _ method: String, _ name: String) throws -> [String: JSONValue] {
            guard case .array(let parameters)? = document["paths"]?[path]?[method]?["parameters"] else { throw XCTSkip("no parameters") }
            return try XCTUnwrap(parameters.compactMap(\.objectValue).first { $0["name"] == .string(name) }, "\(method) \(path) \(name)")
        }
        let items = try property("PlaceOrderRequest", "items")
        XCTAssertEqual(items["minItems"], 1)
        XCTAssertEqual(items["maxItems"], .integer(OrderService.maxItems))
        XCTAssertEqual(try property("PlaceOrderItem", "quantity")["maximum"], .integer(OrderService.maxQuantity))
        XCTAssertEqual(try property("ProductRequest", "unitPrice")["exclusiveMinimum"], 0)
        XCTAssertEqual(try property("SignupRequest", "name")["maxLength"], 100)
        XCTAssertEqual(try parameter("/api/orders/{id}", "get", "id")["schema"]?["minimum"], 1)
        XCTAssertEqual(try parameter("/api/orders", "get", "size")["allowEmptyValue"], true, "?size= reads as no size")
        XCTAssertEqual(try parameter("/api/events", "get", "last")["schema"]?["maximum"], 1000)

        // The text pattern refuses exactly the characters the services refuse.
        guard case .string(let printable)? = try parameter("/api/users", "get", "q")["schema"]?["pattern"] else {
            return XCTFail("q has no pattern")
        }
        // Whole matches only: ICU's `$` also matches before a final line break (NEL among them),
        // where ECMA's, which JSON Schema uses, does not.
        func matchesWhole(_ regex: NSRegularExpression, _ text: String) -> Bool {
            regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))?.range.length == (text as NSString).length
        }
        let regex = try NSRegularExpression(pattern: printable)
        for sample in ["plain", "é 김 😀", "tab\there", "bell\u{7}", "del\u{7F}", "c1\u{85}", "rlo\u{202E}x", "lri\u{2066}x", "zwsp\u{200B}"] {
            XCTAssertEqual(matchesWhole(regex, sample), !sample.containsControlCharacters, sample.debugDescription)
        }
        guard case .string(let token)? = try property("PlaceOrderRequest", "paymentToken")["pattern"] else { return XCTFail("no token pattern") }
        let tokenRegex = try NSRegularExpression(pattern: token)
        for sample in ["tok_visa", "tok_", "tok_a-b", "visa", "tok_" + String(repeating: "x", count: 65)] {
            XCTAssertEqual(matchesWhole(tokenRegex, sample), SimulatedPaymentProcessor.isWellFormed(sample), sample)
        }
    }

    /// The hand-written schemas name the same fields the DTOs encode.
    func testSchemasMatchTheEncodedDTOs() async throws {
        let t = try await HTTPTestSystem.make()
        let document = OpenAPIDocument.build(routes: t.api.routes, title: "t", version: "1")
        let schemas = try XCTUnwrap(document["components"]?["schemas"]?.objectValue)
        let order = try await t.system.orders.place(actor: Actor(t.customer), t.placeRequest())
        let pair = try await t.system.auth.login(email: t.customer.email, password: HTTPTestSystem.password)
        let samples: [(String, any Encodable)] = [
            ("Order", order), ("OrderItem", order.orderItems[0]), ("User", t.customer), ("Product", t.keyboard), ("TokenPair", pair),
            ("Problem", ProblemDetails(AppError.validation("bad", field: "x"))),
        ]
        for (name, sample) in samples {
            let encoded = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONCoding.encoder.encode(sample)) as? [String: Any])
            let schema = try XCTUnwrap(schemas[name]?.objectValue, name)
            let properties = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
            guard case .array(let required)? = schema["required"] else { return XCTFail("\(name) has no required list") }
            XCTAssertTrue(Set(encoded.keys).isSubset(of: properties), "\(name): \(Set(encoded.keys).subtracting(properties)) undocumented")
            let requiredNames = Set(required.compactMap { if case .string(let s) = $0 { s } else { nil } })
            XCTAssertTrue(requiredNames.isSubset(of: Set(encoded.keys)), "\(name): required \(requiredNames.subtracting(encoded.keys)) missing")
        }
        await t.stop()
    }

    static func refs(in value: Any) -> [String] {
        switch value {
        case let object as [String: Any]:
            if let ref = object["$ref"] as? String { return [ref] }
            return object.values.flatMap(refs(in:))
        case let array as [Any]:
            return array.flatMap(refs(in:))
        default:
            return []
        }
    }
}
