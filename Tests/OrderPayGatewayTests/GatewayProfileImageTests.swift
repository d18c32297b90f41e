import Foundation
import NIOHTTP1
import OrderPayCore
import XCTest

/// A binary upload and download through the gateway to the auth service.
final class GatewayProfileImageTests: XCTestCase {
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")!

    func testProfileImageRoundTripsByteForByte() async throws {
        try await GatewayTestCluster.with { c in
            let kim = try await c.token(c.customer)
            let path = "/api/users/\(c.customer.id)/profile-image"
            // Every byte value, after the PNG signature, so nothing is mangled as text on the way.
            let image = Self.png + Data((0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let boundary = "gw-\(UUID().uuidString)"
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            body += image
            body += Data("\r\n--\(boundary)--\r\n".utf8)
            let uploaded = try await Reply.send(.POST, c.gatewayURL + path, token: kim,
                                                headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], bytes: body)
            XCTAssertEqual(uploaded.status, 200, uploaded.text)
            XCTAssertEqual(try uploaded.decode(User.self).profileImageUrl, path)

            let served = try await c.call(.GET, path, token: kim)
            XCTAssertEqual(served.status, 200)
            XCTAssertEqual(served.headers.first(name: "Content-Type"), "image/png")
            XCTAssertEqual(served.body, image)
            try await c.call(.GET, path, token: try await c.token(c.other)).problem(404)
            try await c.call(.GET, path).problem(401)

            let text = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\nplain text\r\n--\(boundary)--\r\n".utf8)
            try await Reply.send(.POST, c.gatewayURL + path, token: kim,
                                 headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], bytes: text).problem(415)
        }
    }
}
