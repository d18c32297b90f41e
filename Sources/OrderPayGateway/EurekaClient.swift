import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore
import OrderPayServices

/// A Eureka client: registers, renews and cancels this process's instances, and lists everyone's.
public final class EurekaClient: ServiceRegistrar, @unchecked Sendable {
    public let baseURL: String
    public let renewalInterval: TimeInterval
    let http: HTTPClient
    let timeout: TimeAmount

    /// Keeps a connection to the registry at most 5 s idle: well inside the registry's own idle
    /// timeout (at least 10 s), so a renewal is never sent on a connection the registry is
    /// closing. (The shared client keeps them 60 s, as long as the registry's default timeout.)
    public static let registryHTTP = HTTPClient(eventLoopGroupProvider: .singleton,
                                                configuration: .init(connectionPool: .init(idleTimeout: .seconds(5))))

    public init(baseURL: String, renewalInterval: TimeInterval = 30, http: HTTPClient = EurekaClient.registryHTTP,
                timeout: TimeAmount = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.renewalInterval = renewalInterval
        self.http = http
        self.timeout = timeout
    }

    public func register(app: String, instanceId: String, host: String, port: Int) async throws {
        let body = try JSONEncoder().encode(EurekaInstanceEnvelope(instance: EurekaInstance(app: app, instanceId: instanceId, host: host, port: port,
                                                                                                    renewalInterval: renewalInterval)))
        let status = try await send(.POST, "/eureka/apps/\(app)", body: body).status
        guard status == .noContent || status == .ok else {
            throw AppError(.unavailable, "registry at \(baseURL) refused the registration of \(app) (HTTP \(status.code))")
        }
    }

    public func renew(app: String, instanceId: String) async throws {
        try await expectKnown(try await send(.PUT, "/eureka/apps/\(app)/\(Self.escape(instanceId))").status, app: app, instanceId: instanceId)
    }

    public func cancel(app: String, instanceId: String) async throws {
        try await expectKnown(try await send(.DELETE, "/eureka/apps/\(app)/\(Self.escape(instanceId))").status, app: app, instanceId: instanceId)
    }

    public func setStatus(app: String, instanceId: String, status: InstanceStatus) async throws {
        let path = "/eureka/apps/\(app)/\(Self.escape(instanceId))/status?value=\(status.rawValue)"
        try await expectKnown(try await send(.PUT, path).status, app: app, instanceId: instanceId)
    }

    /// Every registered instance, as the registry reports it.
    public func instances() async throws -> [EurekaInstance] {
        let response = try await send(.GET, "/eureka/apps")
        guard response.status == .ok else { throw AppError(.unavailable, "registry at \(baseURL) answered HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: 8 << 20)
        return try JSONDecoder().decode(EurekaApplications.self, from: Data(buffer: body)).applications.application.flatMap(\.instance)
    }

    func expectKnown(_ status: HTTPResponseStatus, app: String, instanceId: String) async throws {
        if status == .notFound { throw AppError.notFound("instance \(instanceId) of \(app) is not registered") }
        guard (200..<300).contains(Int(status.code)) else {
            throw AppError(.unavailable, "registry at \(baseURL) answered HTTP \(status.code)")
        }
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw AppError(.unavailable, "registry at \(baseURL) is unreachable (\(error))")
        }
    }

    static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id
    }
}
