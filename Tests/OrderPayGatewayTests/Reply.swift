import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore
import XCTest

/// One HTTP exchange over loopback, body read in full (at most 8 MiB, 15 s).
struct Reply {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    static func send(_ method: HTTPMethod, _ url: String, token: String? = nil, json: String? = nil,
                     headers: [(String, String)] = [], bytes: Data? = nil, timeout: TimeAmount = .seconds(15)) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let bytes { request.body = .bytes(ByteBuffer(bytes: bytes)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 8 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }

    /// Asserts the status (the body is shown when it differs).
    @discardableResult
    func expect(_ expected: Int, file: StaticString = #filePath, line: UInt = #line) -> Reply {
        XCTAssertEqual(status, expected, text, file: file, line: line)
        return self
    }

    func decode<T: Decodable>(_ type: T.Type, file: StaticString = #filePath, line: UInt = #line) throws -> T {
        do {
            return try JSONCoding.decoder.decode(T.self, from: body)
        } catch {
            XCTFail("cannot decode \(T.self) from \(status) \(text): \(error)", file: file, line: line)
            throw error
        }
    }

    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            XCTFail("expected a JSON object, got \(text)", file: file, line: line)
            return [:]
        }
        return object
    }

    /// Asserts an `application/problem+json` answer with this status (and, if given, a detail
    /// mentioning `containing`); returns the problem's fields.
    @discardableResult
    func problem(_ expected: Int, containing: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(status, expected, text, file: file, line: line)
        XCTAssertEqual(headers.first(name: "Content-Type"), "application/problem+json", text, file: file, line: line)
        let problem = try json(file: file, line: line)
        XCTAssertEqual(problem["status"] as? Int, expected, text, file: file, line: line)
        XCTAssertFalse((problem["title"] as? String ?? "").isEmpty, text, file: file, line: line)
        // One shape whoever answered (a service, the gateway, the registry).
        XCTAssertTrue((problem["type"] as? String ?? "").hasPrefix("urn:orderpay:problem:"), text, file: file, line: line)
        XCTAssertFalse((problem["type"] as? String ?? "").contains(":http-"), "a status without a name of its own: \(text)", file: file, line: line)
        XCTAssertNotNil(problem["errors"] as? [Any], text, file: file, line: line)
        let detail = problem["detail"] as? String ?? ""
        if let containing {
            XCTAssertTrue(detail.contains(containing), "'\(detail)' should mention '\(containing)'", file: file, line: line)
        }
        return problem
    }
}
