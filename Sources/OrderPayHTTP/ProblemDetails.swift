import Foundation
import Hummingbird
import OrderPayCore

/// An RFC 9457 problem document: the body of every error response (`application/problem+json`).
public struct ProblemDetails: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var errors: [AppError.FieldError]

    public init(type: String, title: String, status: Int, detail: String, errors: [AppError.FieldError] = []) {
        self.type = type; self.title = title; self.status = status; self.detail = detail; self.errors = errors
    }

    public static let contentType = "application/problem+json"

    /// Problem types are URNs named after the error kind or status (`urn:orderpay:problem:validation`,
    /// `…:not-found`; see `ProblemNames`).
    static func typeURI(_ slug: String) -> String { "urn:orderpay:problem:\(slug)" }

    public init(_ error: AppError) {
        self.init(type: Self.typeURI(error.kind.slug), title: error.kind.title, status: error.kind.httpStatus,
                  detail: error.message, errors: error.fieldErrors)
    }

    public init(_ problem: HTTPProblem) {
        self.init(type: Self.typeURI(problem.slug), title: problem.title, status: problem.status,
                  detail: problem.detail, errors: problem.errors)
    }

    func response(headers extra: HTTPFields = [:]) -> Response {
        // Encoding this plain struct cannot fail; the fallback only keeps the signature non-throwing.
        let data = (try? JSONCoding.encoder.encode(self)) ?? Data(#"{"status":\#(status)}"#.utf8)
        var headers: HTTPFields = [.contentType: Self.contentType, .contentLength: String(data.count)]
        headers.append(contentsOf: extra)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An error the HTTP layer raises itself, for what the services never see: malformed JSON, a bad
/// path id or query parameter, an unknown route.
public struct HTTPProblem: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var title: String
    public var slug: String
    public var detail: String
    public var errors: [AppError.FieldError]

    public init(status: Int, title: String, slug: String, detail: String, errors: [AppError.FieldError] = []) {
        self.status = status; self.title = title; self.slug = slug; self.detail = detail; self.errors = errors
    }

    /// Named as every OrderPay server names the status (`ProblemNames`).
    public init(status: Int, detail: String, errors: [AppError.FieldError] = [], reasonPhrase: String = "") {
        self.init(status: status, title: ProblemNames.title(status: status, fallback: reasonPhrase),
                  slug: ProblemNames.slug(status: status), detail: detail, errors: errors)
    }

    /// 400, naming the offending field both in the detail and in `errors`.
    public static func badRequest(_ detail: String, field: String? = nil) -> HTTPProblem {
        HTTPProblem(status: 400, detail: detail, errors: field.map { [AppError.FieldError(field: $0, message: detail)] } ?? [])
    }

    public static func notFound(_ detail: String) -> HTTPProblem {
        HTTPProblem(status: 404, detail: detail)
    }

    public var description: String { "\(status) \(title): \(detail)" }
}
