import Foundation
import Hummingbird
import OrderPayCore
import OrderPayHTTP

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

    /// An RFC 9457 problem document in the services' shape ({type, title, status, detail,
    /// errors[]}, the type a `urn:orderpay:problem:` URN), for the gateway's and the registry's
    /// own errors: a client reads one format whoever answered.
    static func problemData(status: Int, title: String, detail: String, errors: [AppError.FieldError] = []) -> Data {
        let body: [String: Any] = [
            "type": "urn:orderpay:problem:" + ProblemNames.slug(status: status), "title": ProblemNames.title(status: status, fallback: title),
            "status": status, "detail": detail, "errors": errors.map { ["field": $0.field, "message": $0.message] },
        ]
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
    }

    /// A problem the services' routes would throw (a 400 naming its parameter, say), answered
    /// the same way by the registry, whose routes are not theirs.
    public static func problem(_ problem: HTTPProblem) -> Response {
        let status = HTTPResponse.Status(code: problem.status)
        let data = problemData(status: problem.status, title: problem.title, detail: problem.detail, errors: problem.errors)
        return Response(status: status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func problem(_ error: AppError) -> Response {
        let status = HTTPResponse.Status(code: error.kind.httpStatus)
        let data = problemData(status: status.code, title: error.kind.title, detail: error.message, errors: error.fieldErrors)
        return Response(status: status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
