import Foundation
import Hummingbird
import Logging
import OrderPayCore

/// Turns every error a route (or the router's not-found responder) throws into an
/// `application/problem+json` response, so no error leaves the server in another shape.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = OrderPayRequestContext

    /// The mounted routes, to tell a path served under other methods (405) from an unknown one (404).
    let routes: RouteTable?

    public init(routes: RouteTable? = nil) { self.routes = routes }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.map { Self.methods(serving: request.uri.path, in: $0.routes) } ?? []
            // The path is served under this very method, so the route itself answered 404.
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else {
                return Self.response(for: error, request: request, context: context)
            }
            let allow = allowed.joined(separator: ", ")
            return ProblemDetails(HTTPProblem(status: 405, detail: "\(request.method.rawValue) is not allowed on \(request.uri.path) (allowed: \(allow))"))
                .response(headers: [.allow: allow])
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    /// The methods of the route pattern the router picks for `path`: of the patterns that match
    /// (`{name}` for any one segment), the one with a literal where the others have a capture, at
    /// the first segment where they differ (so `/api/users/me` is served by `/me` alone, never by
    /// `/{id}`). The router answers only that pattern's methods.
    static func methods(serving path: String, in routes: [RouteDescriptor]) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        // Per pattern, 0 for a literal segment and 1 for a capture: the smallest sequence wins.
        var best: [Int]?
        var methods: [String] = []
        for route in routes {
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count, zip(pattern, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { continue }
            let rank = pattern.map { $0.hasPrefix("{") ? 1 : 0 }
            if let current = best, current.lexicographicallyPrecedes(rank) { continue }
            if best != rank { methods = [] }
            best = rank
            if !methods.contains(route.method.rawValue) { methods.append(route.method.rawValue) }
        }
        // HEAD is answered wherever GET is (APIRouter).
        if let get = methods.firstIndex(of: "GET"), !methods.contains("HEAD") { methods.insert("HEAD", at: get + 1) }
        return methods
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        let problem: ProblemDetails
        switch error {
        case let error as AppError:
            problem = ProblemDetails(error)
        case let error as any AppErrorConvertible:
            // A store's own error (SQLite's disk full, a lock held past the busy timeout).
            problem = ProblemDetails(error.appError)
        case let error as HTTPProblem:
            problem = ProblemDetails(error)
        case let error as DecodingError:
            problem = ProblemDetails(error.problem)
        case let error as HTTPError:
            problem = ProblemDetails(Self.problem(for: error, request: request))
        case let error as any HTTPResponseError:
            let status = error.status
            problem = ProblemDetails(HTTPProblem(status: status.code, detail: status.reasonPhrase, reasonPhrase: status.reasonPhrase))
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            problem = ProblemDetails(type: ProblemDetails.typeURI(AppError.Kind.internal.slug), title: AppError.Kind.internal.title,
                                     status: 500, detail: "an unexpected error occurred (request \(context.requestId))")
        }
        var headers: HTTPFields = [:]
        if problem.status == 401 { headers[.wwwAuthenticate] = Self.challenge(problem, request: request) }
        // Unavailable for now (too many password checks at once, a store out of reach): worth a retry.
        if problem.status == 503 { headers[.retryAfter] = "1" }
        return problem.response(headers: headers)
    }

    private static func problem(for error: HTTPError, request: Request) -> HTTPProblem {
        let status = error.status
        switch status.code {
        case 404:
            return .notFound("no route for \(request.method.rawValue) \(request.uri.path)")
        case 413:
            return HTTPProblem(status: 413, detail: error.body ?? "request body is too large")
        default:
            return HTTPProblem(status: status.code, detail: error.body ?? status.reasonPhrase, reasonPhrase: status.reasonPhrase)
        }
    }

    /// RFC 6750: a bare challenge when no credentials came, `invalid_token` when they were refused.
    private static func challenge(_ problem: ProblemDetails, request: Request) -> String {
        guard request.headers[.authorization] != nil else { return #"Bearer realm="orderpay""# }
        let description = problem.detail.replacingOccurrences(of: "\"", with: "'")
        return #"Bearer realm="orderpay", error="invalid_token", error_description="\#(description)""#
    }
}
