import Foundation
import Hummingbird
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

/// A query parameter given twice is ambiguous (frameworks and proxies disagree on which one
/// counts, as with a JSON key given twice): 400 naming it, never one of them picked silently.
final class DuplicateQueryTests: XCTestCase {
    func testAQueryParameterGivenTwiceIsRefused() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let admin = try await client.token(t.admin)
            // Whose order is it? It was placed for the first user named, silently.
            let placed = try await client.call(.post, "/api/orders?userId=\(t.customer.id)&userId=\(t.other.id)", token: admin, body: t.placeRequest())
            try placed.problem(400, containing: "'userId' is given more than once")
            // A percent-encoded name is the same name (`%49` is `I`): given twice all the same.
            // The literal lookup saw one `userId` and placed the order for the second user.
            let encoded = try await client.call(.post, "/api/orders?user%49d=\(t.customer.id)&userId=\(t.other.id)", token: admin,
                                                body: t.placeRequest())
            try encoded.problem(400, containing: "'userId' is given more than once")
            let orders = try await client.call(.get, "/api/orders", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(orders.totalElements, 0, "nothing placed")

            try await client.call(.get, "/api/orders?status=PAID&status=FAILED", token: admin).problem(400, containing: "'status'")
            try await client.call(.get, "/api/payments?size=1&size=2", token: admin).problem(400, containing: "'size'")
            try await client.call(.get, "/api/users?q=kim&q=", token: admin).problem(400, containing: "'q'")
            try await client.call(.get, "/api/orders?st%61tus=PAID&status=FAILED", token: admin).problem(400, containing: "'status'")
            // Once each is fine, and so are different parameters.
            let listed = try await client.call(.get, "/api/orders?status=PAID&page=0&size=5", token: admin)
            XCTAssertEqual(listed.status, .ok, listed.text)
        }
    }
}
