import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore
import OrderPayServices

/// A Eureka client: registers, renews and cancels this process's instances, and lists everyone's.
public final class EurekaClient: ServiceRegistrar, @unchecked Sendable {
    /// Without the credentials a URL may carry (they are sent as a header, never shown).
    public let baseURL: String
    /// Sent with every request when the registry requires them (see `RegistryCredentials`).
    let credentials: RegistryCredentials?
    /// A registry URL whose credentials do not parse: refused rather than sent without them.
    let configurationError: Error?
    public let renewalInterval: TimeInterval
    let http: HTTPClient
    let timeout: TimeAmount

    /// Keeps a connection to the registry at most 5 s idle: well inside the registry's own idle
    /// timeout (at least 10 s), so a renewal is never sent on a connection the registry is
    /// closing. (The shared client keeps them 60 s, as long as the registry's default timeout.)
    public static let registryHTTP = HTTPClient(eventLoopGroupProvider: .singleton,
                                                configuration: .init(connectionPool: .init(idleTimeout: .seconds(5))))

    /// - Parameter credentials: the registry's user and password; by default those in `baseURL`
    ///   (`http://user:password@host:8761`, as Eureka clients take them), else
    ///   `ORDERPAY_REGISTRY_CREDENTIALS`.
    public init(baseURL: String, credentials: RegistryCredentials? = nil, renewalInterval: TimeInterval = 30,
                http: HTTPClient = EurekaClient.registryHTTP, timeout: TimeAmount = .seconds(5)) {
        var parsed: (url: String, credentials: RegistryCredentials?)
        do {
            parsed = try RegistryCredentials.split(url: baseURL)
            configurationError = nil
        } catch {
            // Said by every call (`requireReachable` at start), never with the password in it.
            parsed = (RegistryCredentials.redacted(baseURL), nil)
            configurationError = error
        }
        self.baseURL = parsed.url.hasSuffix("/") ? String(parsed.url.dropLast()) : parsed.url
        self.credentials = credentials ?? parsed.credentials ?? (try? RegistryCredentials.fromEnvironment())
        self.renewalInterval = renewalInterval
        self.http = http
        self.timeout = timeout
    }

    public func register(app: String, instanceId: String, host: String, port: Int) async throws {
        let body = try JSONEncoder().encode(EurekaInstanceEnvelope(instance: EurekaInstance(app: app, instanceId: instanceId, host: host, port: port,
                                                                                                    renewalInterval: renewalInterval)))
        let status = try await send(.POST, "/eureka/apps/\(app)", body: body).status
        try refuseUnauthorized(status)
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
        try refuseUnauthorized(response.status)
        guard response.status == .ok else { throw AppError(.unavailable, "registry at \(baseURL) answered HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: 8 << 20)
        return try JSONDecoder().decode(EurekaApplications.self, from: Data(buffer: body)).applications.application.flatMap(\.instance)
    }

    func expectKnown(_ status: HTTPResponseStatus, app: String, instanceId: String) async throws {
        if status == .notFound { throw AppError.notFound("instance \(instanceId) of \(app) is not registered") }
        try refuseUnauthorized(status)
        guard (200..<300).contains(Int(status.code)) else {
            throw AppError(.unavailable, "registry at \(baseURL) answered HTTP \(status.code)")
        }
    }

    /// Lists once, to fail a starting process at once: "unreachable" unless the registry answered
    /// and refused our credentials, which says so.
    public func requireReachable() async throws {
        do {
            _ = try await instances()
        } catch {
            throw startupError(error)
        }
    }

    /// A failed first listing as a starting process reports it (see `requireReachable`).
    public func startupError(_ error: Error) -> Error {
        if let error = error as? AppError, error.kind == .unauthorized || error.kind == .validation { return error }
        return AppError(.unavailable, "registry at \(baseURL) is unreachable; start it first (orderpay serve registry) or pass --registry URL")
    }

    /// A registry that wants credentials we lack (or does not take ours) says so in one line.
    func refuseUnauthorized(_ status: HTTPResponseStatus) throws {
        guard status == .unauthorized else { return }
        throw AppError(.unauthorized, credentials == nil
            ? "registry at \(baseURL) requires credentials: set \(RegistryCredentials.environmentVariable)=user:password or put them in the registry URL"
            : "registry at \(baseURL) refused the credentials for user \(credentials!.user)")
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> HTTPClientResponse {
        if let configurationError { throw configurationError }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let credentials { request.headers.add(name: "Authorization", value: credentials.basicAuthorization) }
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
