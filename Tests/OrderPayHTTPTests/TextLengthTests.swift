import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

/// Lengths are counted as /openapi.json's maxLength counts them, in code points (JSON Schema),
/// not in what a reader sees as characters: `e` and a combining accent are two. A name of 200
/// code points in 100 such pairs was taken although the document says at most 100.
final class TextLengthTests: XCTestCase {
    static let accented = "e\u{301}"   // é written as two code points: one character on screen

    func testMaxLengthCountsCodePointsAsTheDocumentDoes() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let admin = try await client.token(t.admin)
            func profile(_ field: String, _ text: String) async throws -> TestResponse {
                try await client.call(.put, "/api/users/\(t.customer.id)", token: customer, json: #"{"\#(field)":"\#(text)"}"#)
            }
            for (field, limit) in [("name", 100), ("phoneNumber", 20), ("address", 500)] {
                let over = try await profile(field, String(repeating: Self.accented, count: limit / 2) + "x").problem(422)
                XCTAssertEqual(over.errors.map(\.field), [field])
                let at = try await profile(field, String(repeating: Self.accented, count: limit / 2))
                XCTAssertEqual(at.status, .ok, "\(field): \(at.text)")
            }
            // Two code points are a name of two, as the document's minimum counts them.
            let short = try await profile("name", Self.accented)
            XCTAssertEqual(short.status, .ok, short.text)

            func product(sku: String, name: String) async throws -> TestResponse {
                try await client.call(.post, "/api/products", token: admin, json: #"{"sku":"\#(sku)","name":"\#(name)","unitPrice":1}"#)
            }
            let longSKU = try await product(sku: String(repeating: Self.accented, count: 32) + "x", name: "n").problem(422)
            XCTAssertEqual(longSKU.errors.map(\.field), ["sku"])
            let longName = try await product(sku: "S1", name: String(repeating: Self.accented, count: 100) + "x").problem(422)
            XCTAssertEqual(longName.errors.map(\.field), ["name"])
            let fits = try await product(sku: String(repeating: Self.accented, count: 32), name: String(repeating: Self.accented, count: 100))
            XCTAssertEqual(fits.status, .created, fits.text)

            try await client.call(.get, "/api/users?q=" + String(repeating: "e%CC%81", count: 50) + "x", token: admin)
                .problem(422, containing: "at most 100 characters")
        }
    }
}
