import Foundation
import Hummingbird
import Logging
import NIOCore
import OrderPayCore
import OrderPayHTTP
import OrderPayServices

/// The registry over Eureka's REST API, so any Eureka client (Spring Cloud's included) can register,
/// renew, cancel and discover; OrderPay's own services use this same API.
public struct RegistryServer: Sendable {
    public let registry: RegistryService

    public init(registry: RegistryService) { self.registry = registry }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let eureka = router.group("eureka/apps")
        eureka.get { _, _ in try await self.applications() }
        eureka.get("delta") { _, _ in self.delta() }
        eureka.post(":app") { request, context in try await self.register(request, context) }
        eureka.get(":app") { _, context in try await self.application(try context.parameters.require("app")) }
        eureka.get(":app/:id") { _, context in
            try await self.instance(app: try context.parameters.require("app"), id: try Self.instanceID(context))
        }
        eureka.put(":app/:id") { request, context in try await self.renew(request, context) }
        eureka.delete(":app/:id") { _, context in
            try await self.respond { try await registry.cancel(app: try context.parameters.require("app"), instanceId: try Self.instanceID(context)) }
        }
        eureka.put(":app/:id/status") { request, context in try await self.overrideStatus(request, context, remove: false) }
        eureka.delete(":app/:id/status") { request, context in try await self.overrideStatus(request, context, remove: true) }
        eureka.put(":app/:id/metadata") { request, context in try await self.updateMetadata(request, context) }
        router.get("eureka/instances/:id") { _, context in try await self.instance(id: try Self.instanceID(context)) }
        router.get("eureka/vips/:vip") { _, context in try await self.instances(vip: try context.parameters.require("vip"), secure: false) }
        router.get("eureka/svips/:svip") { _, context in try await self.instances(vip: try context.parameters.require("svip"), secure: true) }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: RegistryOpenAPI.json)))
        }
    }

    /// The `{id}` path segment as the instance registered it: clients percent-encode ids with
    /// spaces, slashes or non-ASCII letters, and the router hands the segment over still encoded.
    static func instanceID<Context: RequestContext>(_ context: Context) throws -> String {
        let raw = try context.parameters.require("id")
        return raw.removingPercentEncoding ?? raw
    }

    /// Evicts expired leases until cancelled (listings evict too; either logs each eviction).
    public func runEviction(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            _ = try? await registry.evictExpired()
        }
    }

    func respond(_ body: () async throws -> Void) async throws -> Response {
        do {
            try await body()
            return Response(status: .ok)
        } catch let error as AppError {
            return JSONResponses.problem(error)
        }
    }

    static let maxRegistrationBytes = 256 * 1024

    func register<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        let app = try context.parameters.require("app")
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxRegistrationBytes)
        } catch is NIOTooManyBytesError {
            return JSONResponses.problem(.contentTooLarge, "a registration is at most \(Self.maxRegistrationBytes / 1024) KB")
        }
        let envelope: EurekaInstanceEnvelope
        do {
            envelope = try JSONDecoder().decode(EurekaInstanceEnvelope.self, from: Data(buffer: body))
        } catch {
            return JSONResponses.problem(.badRequest, "body must be Eureka instance JSON {\"instance\": {...}}: \(Self.describe(error))")
        }
        let instance = envelope.instance
        // Eureka's own check: the instance says which application it belongs to, and a path
        // naming another would file it (and build its id) under the body's.
        guard instance.app.uppercased() == app.uppercased() else {
            return JSONResponses.problem(.badRequest, "instance.app '\(instance.app.echoed)' does not match the application in the path, \(app.echoed)")
        }
        guard let port = instance.port?.value else {
            return JSONResponses.problem(.badRequest, "instance.port.$ is required")
        }
        guard let status = InstanceStatus(rawValue: instance.status.uppercased()) else {
            return JSONResponses.problem(.badRequest, "instance.status must be one of \(InstanceStatus.allCases.map(\.rawValue).joined(separator: ", ")), not '\(instance.status.echoed)'")
        }
        if let field = instance.fieldWithControlCharacters {
            return JSONResponses.problem(.badRequest, "instance.\(field) must not contain control characters")
        }
        do {
            // Eureka's rule: a duration of 0 or less (or none) means the server's own.
            let ownLease = instance.leaseInfo?.durationInSecs.flatMap { $0 > 0 ? TimeInterval($0) : nil }
            let descriptor = try JSONEncoder().encode(instance)
            try await registry.register(app: app, instanceId: instance.resolvedInstanceId, host: instance.ipAddr ?? instance.hostName,
                                        port: port, status: status, leaseDuration: ownLease,
                                        descriptor: String(decoding: descriptor, as: UTF8.self))
            return Response(status: .noContent)
        } catch let error as AppError {
            return JSONResponses.problem(error)
        }
    }

    /// A heartbeat. As on Eureka, one carrying a `lastDirtyTimestamp` newer than the instance
    /// registered with renews the lease but answers 404: the client's description changed (its
    /// metadata, say), and a Eureka client registers again on a 404, so the change arrives.
    func renew<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        let app = try context.parameters.require("app"), id = try Self.instanceID(context)
        let renewed: ServiceInstance, lastDirty: String?
        do {
            lastDirty = try Self.query("lastDirtyTimestamp", of: request)
            renewed = try await registry.renew(app: app, instanceId: id)
        } catch let problem as HTTPProblem {
            return JSONResponses.problem(problem)
        } catch let error as AppError {
            return JSONResponses.problem(error)
        }
        if let sent = lastDirty.flatMap({ Int64($0) }),
           let registered = renewed.descriptor.flatMap({ try? JSONDecoder().decode(EurekaInstance.self, from: Data($0.utf8)) })?
               .lastDirtyTimestamp.flatMap({ Int64($0.millis) }),
           sent > registered {
            return JSONResponses.problem(.notFound, "instance \(id) of \(app.uppercased()) changed since it registered "
                                                    + "(lastDirtyTimestamp \(sent) > \(registered)); register again")
        }
        return Response(status: .ok)
    }

    func applications() async throws -> Response {
        let instances = try await registry.instances()
        let grouped = Dictionary(grouping: instances, by: \.app)
        let apps = grouped.keys.sorted().map { name in
            EurekaApplication(name: name, instance: grouped[name, default: []].map(eureka))
        }
        return try JSONResponses.json(EurekaApplications(apps))
    }

    /// `GET /eureka/apps/delta`, which Eureka clients poll between full fetches: 403, as a Eureka
    /// server with deltas disabled answers, and the client fetches the full list instead. (An
    /// empty delta would be wrong: `apps__hashcode` only counts instances by status, so a client
    /// would not notice an instance replaced by another.)
    func delta() -> Response {
        JSONResponses.problem(.forbidden, "deltas are not kept; fetch /eureka/apps")
    }

    func application(_ app: String) async throws -> Response {
        let instances = try await registry.instances(app: app)
        guard !instances.isEmpty else { return JSONResponses.problem(.notFound, "no instances of \(app.uppercased())") }
        return try JSONResponses.json(EurekaApplicationEnvelope(application: EurekaApplication(name: app.uppercased(), instance: instances.map(eureka))))
    }

    func instance(app: String, id: String) async throws -> Response {
        guard let found = try await registry.instances(app: app).first(where: { $0.instanceId == id }) else {
            return JSONResponses.problem(.notFound, "instance \(id) of \(app.uppercased()) is not registered")
        }
        return try JSONResponses.json(EurekaInstanceEnvelope(instance: eureka(found)))
    }

    func instance(id: String) async throws -> Response {
        guard let found = try await registry.instances().first(where: { $0.instanceId == id }) else {
            return JSONResponses.problem(.notFound, "instance \(id) is not registered")
        }
        return try JSONResponses.json(EurekaInstanceEnvelope(instance: eureka(found)))
    }

    /// Eureka's VIP lookups: an instance's (secure) VIP address may list several names.
    func instances(vip: String, secure: Bool) async throws -> Response {
        let wanted = vip.lowercased()
        let matching = try await registry.instances().map(eureka).filter { instance in
            let names = (secure ? instance.secureVipAddress : instance.vipAddress) ?? ""
            return names.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == wanted }
        }
        guard !matching.isEmpty else {
            return JSONResponses.problem(.notFound, "no instances under \(secure ? "secure VIP" : "VIP") address \(vip)")
        }
        let grouped = Dictionary(grouping: matching, by: \.app)
        return try JSONResponses.json(EurekaApplications(grouped.keys.sorted().map { EurekaApplication(name: $0, instance: grouped[$0, default: []]) }))
    }

    func overrideStatus<Context: RequestContext>(_ request: Request, _ context: Context, remove: Bool) async throws -> Response {
        let app = try context.parameters.require("app"), id = try Self.instanceID(context)
        let given: String?
        do {
            given = try Self.query("value", of: request)
        } catch let problem as HTTPProblem {
            return JSONResponses.problem(problem)
        }
        let value = given ?? (remove ? "UP" : "")
        guard let status = InstanceStatus(rawValue: value.uppercased()) else {
            let allowed = InstanceStatus.allCases.filter { remove || $0 != .unknown }.map(\.rawValue)
            return JSONResponses.problem(.badRequest, "value must be one of \(allowed.joined(separator: ", "))")
        }
        // UNKNOWN is what a listing says when there is no override: as one, it would pin the
        // instance to a status never routed to, while listings said it had none.
        if !remove && status == .unknown {
            return JSONResponses.problem(.badRequest, "UNKNOWN is not a status to override with; DELETE the override to remove it")
        }
        // Removing the override: the status given with it (Eureka's `value`), else UP.
        return try await respond {
            if remove {
                _ = try await registry.removeStatusOverride(app: app, instanceId: id, status: status)
            } else {
                _ = try await registry.overrideStatus(app: app, instanceId: id, status: status)
            }
        }
    }

    /// A query parameter's value (nil when absent), refused as the services refuse it when given
    /// twice: `?value=UP&value=OUT_OF_SERVICE` took the first, silently (under a percent-encoded
    /// name too: `?valu%65=…`).
    static func query(_ name: String, of request: Request) throws -> String? {
        let values = request.queryValues(named: name)
        guard values.count < 2 else { throw HTTPProblem.givenMoreThanOnce(queryParameter: name) }
        return values.first.map(String.init)
    }

    func eureka(_ instance: ServiceInstance) -> EurekaInstance {
        EurekaInstance(instance, renewalInterval: registry.renewalInterval, leaseDuration: registry.leaseDuration)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing field \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// The registry's errors as problem+json, like every other OrderPay service's (without it a path
/// no route matches got a bare 404 with an empty body), and its content negotiation: it speaks
/// Eureka's JSON only, so a client asking for XML alone gets 406 and an XML body 415, instead of
/// JSON it cannot read or a "not valid JSON" 400.
public struct RegistryProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Eureka's API only: /metrics is Prometheus text, whatever a scraper says it accepts.
        if request.uri.path.hasPrefix("/eureka/"), let accept = request.headers[.accept], !Self.acceptsJSON(accept) {
            return JSONResponses.problem(.notAcceptable, "the registry answers JSON only (Accept: application/json), not \(accept.echoed)")
        }
        if request.method == .post, let type = request.headers[.contentType], !type.lowercased().contains("json") {
            return JSONResponses.problem(.unsupportedMediaType, "a registration is Eureka's instance JSON (Content-Type: application/json), not \(type.echoed)")
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let allowed = Self.methods(serving: request.uri.path)
            if error.status == .notFound, !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                let allow = allowed.joined(separator: ", ")
                return JSONResponses.problem(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path) (allowed: \(allow))",
                                             headers: [.allow: allow])
            }
            let detail = error.status == .notFound ? "no route for \(request.method.rawValue) \(request.uri.path)"
                                                   : (error.body ?? error.status.reasonPhrase)
            return JSONResponses.problem(error.status, detail)
        } catch {
            // The store failing (PostgreSQL down, SQLite locked past its busy timeout or out of
            // disk) reached the client as a 500 with an empty body.
            let appError = (error as? AppError) ?? (error as? any AppErrorConvertible)?.appError
                ?? AppError(.internal, "an unexpected error occurred")
            if appError.kind == .internal || appError.kind == .unavailable {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            }
            var response = JSONResponses.problem(appError)
            if appError.kind == .unavailable { response.headers[.retryAfter] = "1" }
            return response
        }
    }

    static func acceptsJSON(_ accept: String) -> Bool {
        // `prefix(while:)`, not `split(…)[0]`: a part that is only parameters (`Accept: ;`) has
        // no first piece, and indexing it crashed the registry.
        let types = accept.lowercased().split(separator: ",").map { String($0.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces) }
        return types.isEmpty || types.contains { $0.contains("json") || $0 == "*/*" || $0 == "application/*" || $0.isEmpty }
    }

    /// The registry's routes (`*`: any one segment) and their methods, as its OpenAPI document
    /// lists them (a test holds the two together).
    static var routes: [(pattern: [String], methods: [String])] { [
        (["eureka", "apps"], ["GET"]), (["eureka", "apps", "delta"], ["GET"]), (["eureka", "apps", "*"], ["GET", "POST"]),
        (["eureka", "apps", "*", "*"], ["GET", "PUT", "DELETE"]), (["eureka", "apps", "*", "*", "status"], ["PUT", "DELETE"]),
        (["eureka", "apps", "*", "*", "metadata"], ["PUT"]),
        (["eureka", "instances", "*"], ["GET"]), (["eureka", "vips", "*"], ["GET"]), (["eureka", "svips", "*"], ["GET"]),
        (["openapi.json"], ["GET"]), (["health"], ["GET"]), (["metrics"], ["GET"]),
    ] }

    /// The methods of the route the router picks for `path`: a literal segment beats a capture.
    /// HEAD is answered wherever GET is (RegistryHost's router generates it), so it is listed after GET.
    static func methods(serving path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        let rank = { (pattern: [String]) in pattern.map { $0 == "*" ? 1 : 0 } }
        var methods = routes.filter { $0.pattern.count == segments.count && zip($0.pattern, segments).allSatisfy { $0 == "*" || $0 == $1 } }
            .min { rank($0.pattern).lexicographicallyPrecedes(rank($1.pattern)) }?.methods ?? []
        if let get = methods.firstIndex(of: "GET") { methods.insert("HEAD", at: get + 1) }
        return methods
    }
}
