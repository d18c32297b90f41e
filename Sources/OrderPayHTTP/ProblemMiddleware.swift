import Foundation
import Hummingbird
import Logging
import OrderPayCore

/// Turns every error a route (or the router's not-found responder) throws into an
/// `application/problem+json` response, so no error leaves the server in another shape.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = OrderPayRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        let problem: ProblemDetails
        switch error {
        case let error as AppError:
            problem = ProblemDetails(error)
        case let error as HTTPProblem:
            problem = ProblemDetails(error)
        case let error as DecodingError:
            problem = ProblemDetails(error.problem)
        case let error as HTTPError:
            problem = ProblemDetails(Self.problem(for: error, request: request))
        case let error as any HTTPResponseError:
            let status = error.status
            problem = ProblemDetails(type: ProblemDetails.typeURI("http-\(status.code)"), title: status.reasonPhrase,
                                     status: status.code, detail: status.reasonPhrase)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            problem = ProblemDetails(type: ProblemDetails.typeURI(AppError.Kind.internal.rawValue), title: AppError.Kind.internal.title,
                                     status: 500, detail: "an unexpected error occurred (request \(context.requestId))")
        }
        var headers: HTTPFields = [:]
        if problem.status == 401 { headers[.wwwAuthenticate] = Self.challenge(problem, request: request) }
        return problem.response(headers: headers)
    }

    private static func problem(for error: HTTPError, request: Request) -> HTTPProblem {
        let status = error.status
        switch status.code {
        case 404:
            return .notFound("no route for \(request.method.rawValue) \(request.uri.path)")
        case 413:
            return HTTPProblem(status: 413, title: "Content too large", slug: "content-too-large", detail: error.body ?? "request body is too large")
        default:
            return HTTPProblem(status: status.code, title: status.reasonPhrase, slug: "http-\(status.code)",
                               detail: error.body ?? status.reasonPhrase)
        }
    }

    /// RFC 6750: a bare challenge when no credentials came, `invalid_token` when they were refused.
    private static func challenge(_ problem: ProblemDetails, request: Request) -> String {
        guard request.headers[.authorization] != nil else { return #"Bearer realm="orderpay""# }
        let description = problem.detail.replacingOccurrences(of: "\"", with: "'")
        return #"Bearer realm="orderpay", error="invalid_token", error_description="\#(description)""#
    }
}
