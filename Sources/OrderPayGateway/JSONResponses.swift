import Foundation
import Hummingbird
import OrderPayCore

/// JSON and problem+json responses built with OrderPay's shared coders (exact money, ISO dates).
public enum JSONResponses {
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONCoding.encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func problem(_ status: HTTPResponse.Status, _ detail: String, headers extra: HTTPFields = [:]) -> Response {
        let data = problemData(status: status.code, title: status.reasonPhrase, detail: detail)
        var headers = extra
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An RFC 9457 problem document; the gateway's own errors use it too.
    static func problemData(status: Int, title: String, detail: String) -> Data {
        let body: [String: Any] = ["type": "about:blank", "title": title, "status": status, "detail": detail]
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
    }

    public static func problem(_ error: AppError) -> Response {
        let status = HTTPResponse.Status(code: error.kind.httpStatus)
        var body: [String: Any] = ["type": "about:blank", "title": error.kind.title, "status": status.code, "detail": error.message]
        if !error.fieldErrors.isEmpty { body["errors"] = error.fieldErrors.map { ["field": $0.field, "message": $0.message] } }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
