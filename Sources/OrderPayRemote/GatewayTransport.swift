import Foundation
import OrderPayCore

/// The gateway's address plus a libcurl client: builds URLs and JSON requests, turns transport
/// failures and error statuses into `AppError`s, and decodes bodies with OrderPay's shared coders.
final class GatewayTransport: Sendable {
    let baseURL: String
    let client: CurlClient
    let requestTimeout: TimeInterval
    /// When set, a 429 is waited out and the request sent again (see `RateLimitPatience`).
    let patience: RateLimitPatience?

    init(baseURL: String, client: CurlClient, requestTimeout: TimeInterval, patience: RateLimitPatience? = nil) {
        self.baseURL = baseURL; self.client = client; self.requestTimeout = requestTimeout; self.patience = patience
    }

    /// `http://host:port` from what an operator types: a bare `host:port` gets `http://`, a
    /// trailing slash is dropped; anything that is not an http(s) URL with a host is refused.
    static func normalize(_ text: String) throws -> String {
        var url = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !url.contains("://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw AppError(.validation, "'\(text)' is not a gateway URL (expected http://host:port)",
                           fieldErrors: [.init(field: "gatewayURL", message: "expected http://host:port")])
        }
        return url
    }

    func url(_ path: String, query: [(String, String?)] = []) -> String {
        let pairs = query.compactMap { name, value in value.map { "\(Self.escape(name))=\(Self.escape($0))" } }
        return baseURL + path + (pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&"))
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// One exchange; any status comes back (callers decide), transport failures throw `AppError(.unavailable)`.
    /// With `patience`, a 429 is first waited out and the request sent again, for as long as it allows.
    func exchange(_ method: String, _ path: String, query: [(String, String?)] = [], body: Data? = nil,
                  token: String? = nil, headers extra: [(name: String, value: String)] = []) async throws -> HTTPResponseMessage {
        while true {
            let response = try await exchangeOnce(method, path, query: query, body: body, token: token, headers: extra)
            guard let patience else { return response }
            guard response.status == 429 else {
                patience.answered()
                return response
            }
            guard try await patience.waited(after: ProblemMapping.error(for: response)) else { return response }
        }
    }

    private func exchangeOnce(_ method: String, _ path: String, query: [(String, String?)], body: Data?,
                              token: String?, headers extra: [(name: String, value: String)]) async throws -> HTTPResponseMessage {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if body != nil {
            headers.append(("Content-Type", "application/json"))
        } else if method != "GET" {
            headers.append(("Content-Type", ""))   // not libcurl's form-urlencoded default for an empty POST
        }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        headers += extra
        let request = HTTPRequestSpec(method: method, url: url(path, query: query), headers: headers, body: body, timeout: requestTimeout)
        do {
            return try await client.send(request)
        } catch let failure as TransferFailure {
            throw failure.appError(baseURL: baseURL)
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        do {
            return try JSONCoding.encoder.encode(value)
        } catch {
            throw AppError(.internal, "could not encode the request: \(error)")
        }
    }

    /// The body of a 2xx response as `T`; an error status becomes its `AppError`, an unreadable body
    /// an internal error naming what was expected (never a crash).
    static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponseMessage) throws -> T {
        guard response.isSuccess else { throw ProblemMapping.error(for: response) }
        do {
            return try JSONCoding.decoder.decode(T.self, from: response.body)
        } catch {
            throw AppError(.internal, "the gateway sent an unreadable \(T.self): \(describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            let at = path(context.codingPath)
            return (at.isEmpty ? "" : "'\(at)': ") + context.debugDescription
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}
