import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

/// Every query parameter is checked, not only those a route reads: a control character in any
/// name or value, or percent-encoding that does not decode (`%zz`, a lone `%`, bytes that are not
/// UTF-8), is a 400. They were ignored (`/api/orders/1?x=%00` was 200), and a search for `%zz`
/// answered an empty page as if it had looked.
final class QueryStringTests: XCTestCase {
    func testMalformedOrControlCharacterParametersAreRefusedWhereverTheyAre() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let admin = try await client.token(t.admin)
            let order = try await client.call(.post, "/api/orders", token: admin, body: t.placeRequest()).decode(Order.self)
            for (uri, detail) in [("/api/orders/\(order.id)?x=%00", "query parameter 'x' must not contain control characters"),
                                  ("/api/users?bogus=%07", "query parameter 'bogus' must not contain control characters"),
                                  ("/api/users?%07=1", "must not contain control characters"),
                                  ("/api/users?q=%zz", "percent-encoding"),
                                  ("/api/users?q=%", "percent-encoding"),
                                  ("/api/users?q=%e9", "percent-encoding"),
                                  ("/health?x=%0", "percent-encoding")] {
                try await client.call(.get, uri, token: admin).problem(400, containing: detail)
            }
            // Well-formed escapes are text as before: `%25` is a percent sign, `+` and `%20` spaces.
            for uri in ["/api/users?q=%25", "/api/users?q=Kim+Min", "/api/users?q=caf%C3%A9&other=%20", "/api/orders/\(order.id)?x="] {
                let fine = try await client.call(.get, uri, token: admin)
                XCTAssertEqual(fine.status, .ok, "\(uri): \(fine.text)")
            }
        }
    }
}
