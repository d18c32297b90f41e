import Foundation
import OrderPayCore

/// Authorized calls: the session's token on every request; on a 401 the token is refreshed once
/// and the request sent again (a 401 means it was refused before anything was done).
extension RemoteBackend {
    func call(_ method: String, _ path: String, query: [(String, String?)] = [], body: Data? = nil,
              headers: [(name: String, value: String)] = []) async throws -> HTTPResponseMessage {
        let token = try await session.accessToken()
        let response = try await transport.exchange(method, path, query: query, body: body, token: token, headers: headers)
        guard response.status == 401 else { return response }
        let fresh = try await session.refreshed(after: token)
        return try await transport.exchange(method, path, query: query, body: body, token: fresh, headers: headers)
    }

    func get<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String?)] = []) async throws -> T {
        try GatewayTransport.decode(T.self, from: try await call("GET", path, query: query))
    }

    func send<T: Decodable>(_ type: T.Type, _ method: String, _ path: String, query: [(String, String?)] = [],
                            json: (any Encodable)? = nil, headers: [(name: String, value: String)] = []) async throws -> T {
        let body = try json.map { try GatewayTransport.encode($0) }
        return try GatewayTransport.decode(T.self, from: try await call(method, path, query: query, body: body, headers: headers))
    }

    /// A call whose success has no body worth reading (204, or a body the caller ignores).
    func perform(_ method: String, _ path: String, json: (any Encodable)? = nil) async throws {
        let body = try json.map { try GatewayTransport.encode($0) }
        let response = try await call(method, path, body: body)
        guard response.isSuccess else { throw ProblemMapping.error(for: response) }
    }
}
