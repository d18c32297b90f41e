import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore
import OrderPayHTTP
import OrderPayServices

/// The gateway's own endpoints: health, the combined OpenAPI document and the registry view.
/// Rare, so they are plain async code; proxied requests never come here.
enum GatewayEndpoints {
    enum Endpoint {
        case health, openAPI, registry, metrics

        init?(method: HTTPMethod, path: String) {
            guard method == .GET || method == .HEAD else { return nil }
            self.init(path: path)
        }

        /// The endpoint at `path`, whatever the method (they all answer GET and HEAD only).
        init?(path: String) {
            switch GatewayRoutes.withoutTrailingSlashes(path) {
            case "/health": self = .health
            case "/openapi.json": self = .openAPI
            case "/api/registry": self = .registry
            case "/metrics": self = .metrics
            default: return nil
            }
        }
    }

    static func respond(_ endpoint: Endpoint, _ gateway: Gateway, _ request: IncomingRequest) async -> GatewayReply {
        do {
            switch endpoint {
            case .health: return try await health(gateway)
            case .openAPI: return try await openAPI(gateway)
            case .registry: return try await registry(gateway, request)
            case .metrics:
                let text = await gateway.metrics.render(gauges: [])
                return GatewayReply(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                                    body: ByteBuffer(string: text))
            }
        } catch {
            return .problem(.internalServerError, "\(error)")
        }
    }

    /// How old the registry listing `/health` and `/api/registry` report on may be.
    static let healthMaxAge: TimeAmount = .seconds(1)

    /// UP when the registry answered within the last second or so (the background refresh's
    /// listing, or one made for this check and shared by every check meanwhile). Shaped as every
    /// other OrderPay process's health, with the registry as the gateway's one check.
    static func health(_ gateway: Gateway) async throws -> GatewayReply {
        do {
            try await gateway.directory.refreshIfOlder(than: healthMaxAge)
            return try .json(HealthReport(status: "UP", checks: ["registry": .init(status: "UP")]))
        } catch {
            let check = HealthReport.Check(status: "DOWN", error: (error as? AppError)?.message ?? "\(error)")
            return try .json(HealthReport(status: "DOWN", checks: ["registry": check]), status: .serviceUnavailable)
        }
    }

    /// Every instance with app, status, address, age of its last heartbeat and time left on its lease (admin).
    static func registry(_ gateway: Gateway, _ request: IncomingRequest) async throws -> GatewayReply {
        do {
            guard let token = Gateway.bearer(request.head.headers) else { throw AppError.unauthorized("missing bearer access token") }
            let actor = try await gateway.tokens.verify(token)
            guard actor.isAdmin else { return .problem(.forbidden, "only an admin can see the registry") }
        } catch {
            return .refused(error)
        }
        do {
            // As fresh as /health's: consoles ask every few seconds each, and one listing serves them all.
            try await gateway.directory.refreshIfOlder(than: healthMaxAge)
        } catch {
            return .problem(.serviceUnavailable, "registry unreachable: \(error)")
        }
        let now = Date().timeIntervalSince1970
        let views = gateway.directory.instances.map { i -> RegistryInstanceView in
            let renewed = i.leaseInfo?.lastRenewalTimestamp.map { Double($0) / 1000 }
            return RegistryInstanceView(app: i.app, instanceId: i.resolvedInstanceId, status: i.status, address: i.servingAddress,
                                        lastHeartbeatAgeSeconds: renewed.map { max(0, now - $0) },
                                        leaseExpiresInSeconds: renewed.map { $0 + Double(i.leaseInfo?.durationInSecs ?? 90) - now })
        }
        return try .json(views)
    }

    /// One document for the whole API: each service's paths, fetched from a live instance (the
    /// next one when an instance does not answer), with every component section they refer to
    /// (schemas, shared responses, security schemes) so each `$ref` and security requirement resolves.
    static func openAPI(_ gateway: Gateway) async throws -> GatewayReply {
        var paths: [String: Any] = [:]
        var components: [String: [String: Any]] = [:]
        for app in Set(GatewayRoutes.table.map(\.app)).sorted() {
            for endpoint in gateway.directory.candidates(for: app) {
                guard let document = await fetchDocument(endpoint) else { continue }
                for (path, item) in document["paths"] as? [String: Any] ?? [:] where GatewayRoutes.app(for: path) == app {
                    paths[path] = item
                }
                for (section, entries) in document["components"] as? [String: Any] ?? [:] {
                    for (name, value) in entries as? [String: Any] ?? [:] { components[section, default: [:]][name] = value }
                }
                break
            }
        }
        // The gateway's own route: no service documents it.
        paths["/api/registry"] = registryPathItem
        components["securitySchemes", default: [:]]["bearerAuth"] = ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]
        let combined: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "OrderPay API (through the gateway)", "version": "1.0.0"],
            "paths": paths,
            "components": components,
        ]
        return .json(try JSONSerialization.data(withJSONObject: combined, options: [.sortedKeys]))
    }

    static let registryPathItem: [String: Any] = {
        let problem: [String: Any] = ["description": "problem", "content": ["application/problem+json": ["schema": ["type": "object"]]]]
        let number: [String: Any] = ["type": ["number", "null"]]
        let instance: [String: Any] = [
            "type": "object",
            "required": ["app", "instanceId", "status", "address"],
            "properties": ["app": ["type": "string"], "instanceId": ["type": "string"], "status": ["type": "string"],
                           "address": ["type": "string", "description": "host:port"],
                           "lastHeartbeatAgeSeconds": number, "leaseExpiresInSeconds": number],
        ]
        return ["get": [
            "operationId": "getApiRegistry", "tags": ["registry"],
            "summary": "Every registered instance: app, status, address, seconds since its last heartbeat, lease left (admin)",
            "security": [["bearerAuth": [String]()]],
            "responses": [
                "200": ["description": "success", "content": ["application/json": ["schema": ["type": "array", "items": instance]]]],
                "401": problem, "403": problem, "503": problem,
            ] as [String: Any],
        ] as [String: Any]]
    }()

    static func fetchDocument(_ endpoint: ServiceDirectory.Endpoint) async -> [String: Any]? {
        var request = HTTPClientRequest(url: endpoint.baseURL + "/openapi.json")
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), response.status == .ok,
              let buffer = try? await response.body.collect(upTo: 4 << 20) else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any]
    }
}
