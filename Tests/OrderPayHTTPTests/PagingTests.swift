import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

/// A page far past the end is an empty page that says which page it is: the page asked for, not
/// another number (`page=9223372036854775807` was echoed as 46116860184273879, the page the
/// offset's overflow guard clamped it to).
final class PagingTests: XCTestCase {
    func testAPageFarPastTheEndIsEmptyAndEchoedAsAsked() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let admin = try await client.token(t.admin)
            _ = try await client.call(.post, "/api/orders", token: admin, body: t.placeRequest())
            for path in ["/api/orders", "/api/payments", "/api/users", "/api/orders/status/PAID", "/api/payments/status/SUCCESS"] {
                for (page, size) in [(Int.max, 200), (Int.max, 1), (461_168_601_842_738_791, 20), (46_116_860_184_273_880, 200)] {
                    let far = try await client.call(.get, "\(path)?page=\(page)&size=\(size)", token: admin)
                    XCTAssertEqual(far.status, .ok, "\(path) page \(page): \(far.text)")
                    let json = try far.json()
                    XCTAssertEqual(json["page"] as? Int, page, "\(path): \(far.text)")
                    XCTAssertEqual(json["size"] as? Int, size, path)
                    XCTAssertEqual((json["content"] as? [Any])?.count, 0, path)
                }
                // Past Int64 is not a page number at all.
                try await client.call(.get, "\(path)?page=9223372036854775808", token: admin).problem(400, containing: "'page'")
            }
        }
    }
}
