import Foundation
import Hummingbird
import OrderPayCore

extension Response {
    /// A JSON response encoded with the shared encoder (camelCase keys, exact money, ISO-8601 UTC).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        json(bytes: try JSONCoding.encoder.encode(value), status: status, headers: extra)
    }

    /// The same JSON as the generic `json`, written by the order's own encoder (see `Order+JSON`).
    static func json(_ order: Order, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        json(bytes: order.encodedJSON(), status: status, headers: extra)
    }

    static func json(_ page: Page<Order>, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        json(bytes: page.encodedJSON(), status: status, headers: extra)
    }

    private static func json(bytes: some Collection<UInt8>, status: HTTPResponse.Status, headers extra: HTTPFields) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .contentLength: String(bytes.count)]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        let buffer = ByteBuffer(string: text)
        return Response(status: status, headers: [.contentType: contentType, .contentLength: String(buffer.readableBytes)],
                        body: .init(byteBuffer: buffer))
    }

    static var noContent: Response { Response(status: .noContent) }
}
