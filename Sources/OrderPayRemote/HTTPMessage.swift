import Foundation
import OrderPayCore

/// One HTTP request as the remote backend sends it.
struct HTTPRequestSpec: Sendable {
    var method: String
    var url: String
    /// Sent in this order; a name may repeat.
    var headers: [(name: String, value: String)]
    var body: Data?
    /// The whole exchange, connect included; nil waits for ever (an event stream).
    var timeout: TimeInterval?

    init(method: String, url: String, headers: [(name: String, value: String)] = [], body: Data? = nil, timeout: TimeInterval? = 30) {
        self.method = method; self.url = url; self.headers = headers; self.body = body; self.timeout = timeout
    }
}

/// A response: status, headers (names lower-cased, the last value of a repeated name wins) and body.
struct HTTPResponseMessage: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var isSuccess: Bool { (200..<300).contains(status) }
}

/// Why a transfer produced no response.
enum TransferFailure: Error, Sendable, Equatable {
    /// The caller cancelled it (its task was cancelled, or the stream was stopped).
    case cancelled
    /// Nothing arrived for longer than the idle limit (a dead event-stream connection).
    case idle
    /// libcurl's verdict: refused, timed out, reset, unresolvable…
    case transport(code: Int, message: String, timedOut: Bool)
}

extension TransferFailure {
    /// How the console shows a transport failure: `gateway unreachable at URL: reason`.
    func appError(baseURL: String) -> Error {
        switch self {
        case .cancelled: return CancellationError()
        case .idle: return AppErrorFactory.unreachable(baseURL, "no data for too long; the connection looks dead")
        case .transport(_, let message, _): return AppErrorFactory.unreachable(baseURL, message)
        }
    }
}

enum AppErrorFactory {
    static let unreachablePrefix = "gateway unreachable at "

    static func unreachable(_ baseURL: String, _ reason: String) -> AppError {
        AppError(.unavailable, unreachablePrefix + "\(baseURL): \(reason)")
    }

    /// Whether `error` is a transport failure (nothing answered), not an answer from the gateway
    /// such as a 503 for a service down behind it: both are `.unavailable`.
    static func isUnreachable(_ error: AppError) -> Bool {
        error.kind == .unavailable && error.message.hasPrefix(unreachablePrefix)
    }
}

/// An error status the gateway answered with, its status kept (an `AppError` keeps only its
/// kind, and 502, 503 and 504 are all `.unavailable`), so the stream can say "504 from the gateway".
struct GatewayAnswer: Error {
    let status: Int
    let error: AppError
}
