import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OrderPayCore
import OrderPayServices

/// The gateway's router: its own endpoints (registry view, health, combined OpenAPI) and a
/// catch-all that proxies everything else.
public enum GatewayServer {
    public static func router(gateway: Gateway) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.get("/health") { _, _ in try await health(gateway) }
        router.get("/openapi.json") { _, _ in try await openAPI(gateway) }
        // /api/registry is answered here, inside the catch-all: Hummingbird's trie does not fall
        // back to "**" once a request has entered a static "api" branch.
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options]
        for method in methods {
            router.on("**", method: method) { request, context in
                if request.method == .get && request.uri.path == "/api/registry" {
                    var response = try await registry(gateway, request)
                    let trace = TraceHeaders(request.headers)
                    response.headers[TraceHeaders.requestIdName] = trace.requestId
                    return response
                }
                return try await gateway.handle(request, context: context)
            }
        }
        return router
    }

    static func health(_ gateway: Gateway) async throws -> Response {
        do {
            try await gateway.directory.refresh()
            return try JSONResponses.json(["status": "UP", "registry": "UP"])
        } catch {
            return try JSONResponses.json(["status": "DOWN", "registry": "DOWN: \(error)"], status: .serviceUnavailable)
        }
    }

    /// Every instance with app, status, address, age of its last heartbeat and time left on its lease (admin).
    static func registry(_ gateway: Gateway, _ request: Request) async throws -> Response {
        do {
            let actor = try await gateway.tokens.verify(Gateway.bearer(request.headers) ?? "")
            guard actor.isAdmin else { return JSONResponses.problem(.forbidden, "only an admin can see the registry") }
        } catch let error as AppError {
            return JSONResponses.problem(.unauthorized, error.message, headers: [.wwwAuthenticate: "Bearer"])
        }
        do {
            try await gateway.directory.refresh()
        } catch {
            return JSONResponses.problem(.serviceUnavailable, "registry unreachable: \(error)")
        }
        let now = Date().timeIntervalSince1970
        let views = gateway.directory.instances.map { i -> RegistryInstanceView in
            let renewed = i.leaseInfo?.lastRenewalTimestamp.map { Double($0) / 1000 }
            return RegistryInstanceView(app: i.app, instanceId: i.resolvedInstanceId, status: i.status,
                                address: "\(i.ipAddr ?? i.hostName):\(i.port?.value ?? 0)",
                                lastHeartbeatAgeSeconds: renewed.map { max(0, now - $0) },
                                leaseExpiresInSeconds: renewed.map { $0 + Double(i.leaseInfo?.durationInSecs ?? 90) - now })
        }
        return try JSONResponses.json(views)
    }

    /// One document for the whole API: each service's paths, fetched from a live instance (the
    /// next one when an instance does not answer), with every component section they refer to
    /// (schemas, shared responses, security schemes) so each `$ref` and security requirement resolves.
    static func openAPI(_ gateway: Gateway) async throws -> Response {
        var paths: [String: Any] = [:]
        var components: [String: [String: Any]] = [:]
        for app in Set(GatewayRoutes.table.map(\.app)).sorted() {
            for endpoint in gateway.directory.candidates(for: app) {
                guard let document = await fetchDocument(gateway, endpoint) else { continue }
                for (path, item) in document["paths"] as? [String: Any] ?? [:] where GatewayRoutes.app(for: path) == app {
                    paths[path] = item
                }
                for (section, entries) in document["components"] as? [String: Any] ?? [:] {
                    for (name, value) in entries as? [String: Any] ?? [:] { components[section, default: [:]][name] = value }
                }
                break
            }
        }
        let combined: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "OrderPay API (through the gateway)", "version": "1.0.0"],
            "paths": paths,
            "components": components,
        ]
        let data = try JSONSerialization.data(withJSONObject: combined, options: [.sortedKeys])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func fetchDocument(_ gateway: Gateway, _ endpoint: ServiceDirectory.Endpoint) async -> [String: Any]? {
        var request = HTTPClientRequest(url: endpoint.baseURL + "/openapi.json")
        request.method = .GET
        guard let response = try? await gateway.http.execute(request, timeout: .seconds(5)), response.status == .ok,
              let buffer = try? await response.body.collect(upTo: 4 << 20) else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any]
    }
}
