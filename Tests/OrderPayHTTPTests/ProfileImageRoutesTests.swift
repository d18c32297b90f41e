import Foundation
import Hummingbird
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

/// `POST/GET /api/users/{id}/profile-image`: multipart upload checked by content, stored in the data dir.
final class ProfileImageRoutesTests: XCTestCase {
    /// A real 1×1 PNG and GIF; a JPEG header with filler.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")!
    static let gif = Data(base64Encoded: "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")!
    static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [UInt8](repeating: 0x42, count: 300) + [0xFF, 0xD9])

    func testUploadServeAndReplace() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let kim = try await client.token(t.customer)
            let id = t.customer.id
            try await client.call(.get, "/api/users/\(id)/profile-image", token: kim).problem(404, containing: "no profile image")

            let uploaded = try await client.upload("/api/users/\(id)/profile-image", token: kim, file: Self.png, fileName: "me.png")
            XCTAssertEqual(uploaded.status, .ok, uploaded.text)
            XCTAssertEqual(try uploaded.decode(User.self).profileImageUrl, "/api/users/\(id)/profile-image")
            let stored = (t.directory as NSString).appendingPathComponent("profile-images/\(id).png")
            XCTAssertEqual(FileManager.default.contents(atPath: stored), Self.png)

            let served = try await client.call(.get, "/api/users/\(id)/profile-image", token: kim)
            XCTAssertEqual(served.status, .ok)
            XCTAssertEqual(served.headers[.contentType], "image/png")
            XCTAssertEqual(served.headers[HTTPFields.Element.Name("X-Content-Type-Options")!], "nosniff")   // browsers must not second-guess the type
            XCTAssertEqual(Data(served.body.readableBytesView), Self.png, "served back byte for byte")
            let me = try await client.call(.get, "/api/users/me", token: kim).decode(User.self)
            XCTAssertEqual(me.profileImageUrl, "/api/users/\(id)/profile-image")

            // Replaced by a GIF whose name and declared type say otherwise: the content decides.
            let replaced = try await client.upload("/api/users/\(id)/profile-image", token: kim, file: Self.gif,
                                                   fileName: "photo.jpg", partType: "image/jpeg")
            XCTAssertEqual(replaced.status, .ok, replaced.text)
            let gif = try await client.call(.get, "/api/users/\(id)/profile-image", token: kim)
            XCTAssertEqual(gif.headers[.contentType], "image/gif")
            XCTAssertEqual(Data(gif.body.readableBytesView), Self.gif)
            XCTAssertFalse(FileManager.default.fileExists(atPath: stored), "the old PNG is removed")

            // An admin may set anyone's; the user may read it back.
            let admin = try await client.token(t.admin)
            let byAdmin = try await client.upload("/api/users/\(id)/profile-image", token: admin, file: Self.jpeg, fileName: "x.jpeg")
            XCTAssertEqual(byAdmin.status, .ok, byAdmin.text)
            let jpeg = try await client.call(.get, "/api/users/\(id)/profile-image", token: kim)
            XCTAssertEqual(jpeg.headers[.contentType], "image/jpeg")
            XCTAssertEqual(Data(jpeg.body.readableBytesView), Self.jpeg)
            let asAdmin = try await client.call(.get, "/api/users/\(id)/profile-image", token: admin)
            XCTAssertEqual(asAdmin.status, .ok)
        }
    }

    func testRefusesOtherUsersAndBadInput() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let kim = try await client.token(t.customer)
            let path = "/api/users/\(t.customer.id)/profile-image"

            // Someone else's account: 404 as for a missing one, nothing stored.
            let lee = try await client.token(t.other)
            try await client.upload(path, token: lee, file: Self.png).problem(404)
            try await client.call(.get, path, token: lee).problem(404)
            try await client.upload("/api/users/9999/profile-image", token: kim, file: Self.png).problem(404)
            try await client.upload(path, token: nil, file: Self.png).problem(401)
            XCTAssertFalse(FileManager.default.fileExists(atPath: (t.directory as NSString).appendingPathComponent("profile-images/\(t.customer.id).png")))

            // A ".png" that is really text, declared image/png.
            let text = Data("this is not an image, whatever its name says".utf8)
            try await client.upload(path, token: kim, file: text, fileName: "avatar.png", partType: "image/png")
                .problem(415, containing: "not a PNG, JPEG or GIF")
            // Larger than 2 MiB, though it starts like a PNG.
            let large = Self.png + Data(count: (2 << 20) + 1 - Self.png.count)
            try await client.upload(path, token: kim, file: large).problem(413, containing: "2097152")
            let huge = Self.png + Data(count: 3 << 20)
            try await client.upload(path, token: kim, file: huge).problem(413)
            let exactly = Self.png + Data(count: (2 << 20) - Self.png.count)
            let atLimit = try await client.upload(path, token: kim, file: exactly)
            XCTAssertEqual(atLimit.status, .ok, "2 MiB itself is allowed: \(atLimit.text)")

            try await client.call(.post, path, token: kim, json: #"{"file":"iVBOR"}"#).problem(415, containing: "multipart/form-data")
            try await client.raw(path, token: kim, contentType: "multipart/form-data", body: "x").problem(400, containing: "boundary")
            try await client.raw(path, token: kim, contentType: "multipart/form-data; boundary=abc", body: "no parts here at all")
                .problem(400)
            let textField = "--abc\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nKim\r\n--abc--\r\n"
            try await client.raw(path, token: kim, contentType: "multipart/form-data; boundary=abc", body: textField)
                .problem(400, containing: "'file'")
            try await client.upload(path, token: kim, file: Data()).problem(400, containing: "empty")
            try await client.upload(path, token: kim, file: Self.png, field: "avatar").problem(400, containing: "named 'file', not 'note', 'avatar'")
            let twice = "--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nA\r\n"
                + "--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\n\r\nB\r\n--abc--\r\n"
            try await client.raw(path, token: kim, contentType: "multipart/form-data; boundary=abc", body: twice)
                .problem(400, containing: "exactly one")
            try await client.upload("/api/users/abc/profile-image", token: kim, file: Self.png).problem(400)
        }
    }

    /// A token issued before its account was locked uploads nothing (it is still valid for its
    /// 5 minutes), and nothing is written before the refusal.
    func testALockedUsersEarlierTokenUploadsNothing() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let lee = try await client.token(t.other)
            try await t.system.auth.setStatus(actor: .system("tests"), id: t.other.id, status: .locked)
            try await client.upload("/api/users/\(t.other.id)/profile-image", token: lee, file: Self.png)
                .problem(403, containing: "your account is LOCKED")
            try await client.call(.put, "/api/users/\(t.other.id)", token: lee, json: #"{"name":"Someone Else"}"#)
                .problem(403, containing: "only an ACTIVE account can edit profiles")
            XCTAssertFalse(FileManager.default.fileExists(atPath: (t.directory as NSString).appendingPathComponent("profile-images/\(t.other.id).png")))
        }
    }
}

extension TestClientProtocol {
    /// POSTs `file` as the `file` field of a multipart/form-data body.
    func upload(_ uri: String, token: String?, file: Data, fileName: String = "image.png", field: String = "file",
                partType: String = "application/octet-stream") async throws -> TestResponse {
        let boundary = "orderpay-\(UUID().uuidString)"
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(fileName)\"\r\n")
        body.writeString("Content-Type: \(partType)\r\n\r\n")
        body.writeBytes(file)
        body.writeString("\r\n--\(boundary)--\r\n")
        var headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .post, headers: headers, body: body)
    }

    func raw(_ uri: String, token: String, contentType: String, body: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: contentType, .authorization: "Bearer \(token)"],
                          body: ByteBuffer(string: body))
    }
}
