import Foundation
import NIOHTTP1
import OrderPayCore
import OrderPayGateway
import OrderPayServer
import OrderPayServices
import XCTest

/// The registry over its Eureka REST API: leases, eviction, renewals, the JSON shape.
final class RegistryLeaseTests: XCTestCase {
    static let json = [("Accept", "application/json")]

    func testInstanceThatStopsRenewingIsEvictedWhileRenewingOnesStay() async throws {
        try await GatewayTestCluster.with { c in
            let registry = EurekaClient(baseURL: c.registryURL)
            let registeredBefore = ContinuousClock.now
            try await registry.register(app: "SILENT-SERVICE", instanceId: "silent-1", host: "127.0.0.1", port: 9)
            let listed = try await c.call(.GET, "/eureka/apps/SILENT-SERVICE", headers: Self.json, on: c.registryURL)
            XCTAssertEqual(listed.status, 200, listed.text)
            XCTAssertTrue(listed.text.contains("silent-1"))

            // Never renewed: gone once its lease (3 s) ends. Bounded wait.
            let gone = try await Self.poll(timeout: .seconds(20)) {
                try await c.call(.GET, "/eureka/apps/SILENT-SERVICE", headers: Self.json, on: c.registryURL).status == 404
            }
            XCTAssertTrue(gone, "an instance that stopped renewing is still listed")
            // Not before its lease ended (leases are kept in whole seconds, hence the second of slack).
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - registeredBefore, .seconds(c.options.leaseSeconds - 1))

            // The services renew every 0.5 s and outlived several such leases.
            let apps = try await c.call(.GET, "/eureka/apps", headers: Self.json, on: c.registryURL)
            let names = try Self.applications(apps).map { $0["name"] as? String }
            XCTAssertEqual(Set(names.compactMap { $0 }), ["AUTH-SERVICE", "ORDER-SERVICE", "PAYMENT-SERVICE"])

            // A renewal of the evicted instance is refused with 404, so its client knows to register again.
            try await c.call(.PUT, "/eureka/apps/SILENT-SERVICE/silent-1", on: c.registryURL).problem(404)
            try await c.call(.GET, "/eureka/nowhere", on: c.registryURL).problem(404, containing: "no route for GET /eureka/nowhere")
            do {
                try await registry.renew(app: "SILENT-SERVICE", instanceId: "silent-1")
                XCTFail("renewing an evicted instance should fail")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .notFound)
            }
        }
    }

    /// A service whose registration disappears (say the registry lost it) finds out on its next
    /// renewal and registers again.
    func testServiceRegistersAgainAfterLosingItsLease() async throws {
        try await GatewayTestCluster.with { c in
            let orders = c.host(.orders)
            let id = orders.system.instanceId
            let cancelled = try await c.call(.DELETE, "/eureka/apps/ORDER-SERVICE/\(id)", on: c.registryURL)
            XCTAssertEqual(cancelled.status, 200, cancelled.text)
            try await c.call(.GET, "/eureka/apps/ORDER-SERVICE/\(id)", headers: Self.json, on: c.registryURL).problem(404)
            let back = try await Self.poll(timeout: .seconds(15)) {
                try await c.call(.GET, "/eureka/apps/ORDER-SERVICE/\(id)", headers: Self.json, on: c.registryURL).status == 200
            }
            XCTAssertTrue(back, "the order service did not register again")
        }
    }

    func testEurekaRESTAPIAndJSON() async throws {
        try await GatewayTestCluster.with { c in
            let apps = try await c.call(.GET, "/eureka/apps", headers: Self.json, on: c.registryURL)
            XCTAssertEqual(apps.status, 200, apps.text)
            let body = try XCTUnwrap(try apps.json()["applications"] as? [String: Any])
            XCTAssertEqual(body["versions__delta"] as? String, "1")
            XCTAssertEqual(body["apps__hashcode"] as? String, "UP_3_")
            let orders = try XCTUnwrap(try Self.applications(apps).first { $0["name"] as? String == "ORDER-SERVICE" })
            let instance = try XCTUnwrap((orders["instance"] as? [[String: Any]])?.first)
            let port = c.host(.orders).server.port
            XCTAssertEqual(instance["instanceId"] as? String, "127.0.0.1:\(port)")
            XCTAssertEqual(instance["app"] as? String, "ORDER-SERVICE")
            XCTAssertEqual(instance["ipAddr"] as? String, "127.0.0.1")
            XCTAssertEqual(instance["status"] as? String, "UP")
            XCTAssertEqual((instance["port"] as? [String: Any])?["$"] as? Int, port)
            XCTAssertEqual((instance["port"] as? [String: Any])?["@enabled"] as? String, "true")
            XCTAssertEqual((instance["leaseInfo"] as? [String: Any])?["durationInSecs"] as? Int, 3)
            XCTAssertEqual((instance["dataCenterInfo"] as? [String: Any])?["name"] as? String, "MyOwn")
            XCTAssertEqual(instance["healthCheckUrl"] as? String, "http://127.0.0.1:\(port)/health")

            // The delta Eureka clients poll between full fetches is not kept: 403, as a Eureka server
            // with deltas disabled answers, and the client fetches the full list.
            try await c.call(.GET, "/eureka/apps/delta", headers: Self.json, on: c.registryURL).problem(403, containing: "fetch /eureka/apps")

            // A registration as Spring Cloud sends it: port as a string, no instanceId, timestamps
            // as numbers.
            let spring = #"""
            {"instance":{"hostName":"127.0.0.1","app":"BILLING","ipAddr":"127.0.0.1","status":"UP",
             "port":{"$":"9090","@enabled":"true"},"dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"},
             "lastUpdatedTimestamp":1795754537000,"lastDirtyTimestamp":"1795754537000"}}
            """#
            let registered = try await c.call(.POST, "/eureka/apps/BILLING", json: spring, on: c.registryURL)
            XCTAssertEqual(registered.status, 204, registered.text)
            let id = "127.0.0.1:billing:9090"
            let one = try await c.call(.GET, "/eureka/apps/BILLING/\(id)", headers: Self.json, on: c.registryURL)
            XCTAssertEqual(one.status, 200, one.text)
            XCTAssertEqual(((try one.json()["instance"] as? [String: Any])?["port"] as? [String: Any])?["$"] as? Int, 9090)
            try await c.call(.PUT, "/eureka/apps/BILLING/\(id)", on: c.registryURL).expect(200)
            try await c.call(.PUT, "/eureka/apps/BILLING/nobody", on: c.registryURL).problem(404)
            // Its own lastDirtyTimestamp is kept; a heartbeat saying it changed since is a 404,
            // upon which a Eureka client registers its new description again.
            XCTAssertEqual((try one.json()["instance"] as? [String: Any])?["lastDirtyTimestamp"] as? String, "1795754537000")
            try await c.call(.PUT, "/eureka/apps/BILLING/\(id)?status=UP&lastDirtyTimestamp=1795754537000", on: c.registryURL).expect(200)
            try await c.call(.PUT, "/eureka/apps/BILLING/\(id)?status=UP&lastDirtyTimestamp=1795754599000", on: c.registryURL)
                .problem(404, containing: "register again")

            let out = try await c.call(.PUT, "/eureka/apps/BILLING/\(id)/status?value=OUT_OF_SERVICE", on: c.registryURL)
            XCTAssertEqual(out.status, 200, out.text)
            let billing = try await c.call(.GET, "/eureka/apps/BILLING", headers: Self.json, on: c.registryURL)
            XCTAssertTrue(billing.text.contains(#""status":"OUT_OF_SERVICE""#), billing.text)
            // The override outlasts the client registering itself again (as on Eureka).
            try await c.call(.POST, "/eureka/apps/BILLING", json: spring, on: c.registryURL).expect(204)
            let reRegistered = try await c.call(.GET, "/eureka/apps/BILLING/\(id)", headers: Self.json, on: c.registryURL)
            for field in [#""status":"OUT_OF_SERVICE""#, #""overriddenStatus":"OUT_OF_SERVICE""#] {
                XCTAssertTrue(reRegistered.text.contains(field), reRegistered.text)
            }
            try await c.call(.PUT, "/eureka/apps/BILLING/\(id)/status?value=SIDEWAYS", on: c.registryURL).problem(400)
            try await c.call(.PUT, "/eureka/apps/BILLING/\(id)/status?value=UNKNOWN", on: c.registryURL).problem(400, containing: "DELETE")
            // Removing the override sets the status given with the removal (else UP).
            try await c.call(.DELETE, "/eureka/apps/BILLING/\(id)/status?value=STARTING", on: c.registryURL).expect(200)
            let starting = try await c.call(.GET, "/eureka/apps/BILLING/\(id)", headers: Self.json, on: c.registryURL)
            XCTAssertTrue(starting.text.contains(#""status":"STARTING""#), starting.text)
            try await c.call(.DELETE, "/eureka/apps/BILLING/\(id)/status", on: c.registryURL).expect(200)
            let up = try await c.call(.GET, "/eureka/apps/BILLING/\(id)", headers: Self.json, on: c.registryURL)
            XCTAssertTrue(up.text.contains(#""status":"UP""#), up.text)

            try await c.call(.DELETE, "/eureka/apps/BILLING/\(id)", on: c.registryURL).expect(200)
            try await c.call(.DELETE, "/eureka/apps/BILLING/\(id)", on: c.registryURL).problem(404)
            try await c.call(.GET, "/eureka/apps/BILLING", headers: Self.json, on: c.registryURL).problem(404)
            try await c.call(.POST, "/eureka/apps/BILLING", json: #"{"instance":{"app":"BILLING"}}"#, on: c.registryURL)
                .problem(400, containing: "hostName")
            try await c.call(.POST, "/eureka/apps/BILLING", json: "not json", on: c.registryURL).problem(400)
            try await Self.registryRefusals(c)

            // The gateway's view of the same registry (admin only).
            let admin = try await c.token(c.admin)
            let view = try await c.call(.GET, "/api/registry", token: admin)
            XCTAssertEqual(view.status, 200, view.text)
            XCTAssertTrue(view.text.contains("PAYMENT-SERVICE"), view.text)
            try await c.call(.GET, "/api/registry", token: try await c.token(c.customer)).problem(403)
            try await c.call(.GET, "/api/registry").problem(401, containing: "missing bearer access token")
            let head = try await c.call(.HEAD, "/health")
            XCTAssertEqual(head.status, 200)
            XCTAssertTrue(head.body.isEmpty, "HEAD has no body")
            // The gateway's own paths answer GET and HEAD only, and say so.
            for (method, path) in [(HTTPMethod.POST, "/api/registry"), (.DELETE, "/health")] {
                let refused = try await c.call(method, path, token: admin)
                _ = try refused.problem(405, containing: "allowed: GET, HEAD")
                XCTAssertEqual(refused.headers.first(name: "Allow"), "GET, HEAD")
            }
        }
    }

    /// What an instance says about itself when it registers (URLs, metadata, an HTTPS port, its
    /// own lease) is what other clients get when they list it, and its lease is the one it asked
    /// for; the gateway never routes to an instance whose plain HTTP port is off.
    func testAnInstancesOwnDescriptionAndLeaseAreKept() async throws {
        try await GatewayTestCluster.with { c in
            let secure = #"""
            {"instance":{"instanceId":"billing-tls","hostName":"billing.internal","app":"ORDER-SERVICE","ipAddr":"127.0.0.1","status":"UP",
             "port":{"$":9,"@enabled":"false"},"securePort":{"$":8443,"@enabled":"true"},
             "homePageUrl":"https://billing.internal:8443/","healthCheckUrl":"https://billing.internal:8443/actuator/health",
             "secureVipAddress":"billing","metadata":{"zone":"eu-1","management.port":8444,"secure":true,"gone":null},
             "overriddenStatus":"OUT_OF_SERVICE","actionType":"DELETED","asgName":"billing-asg",
             "leaseInfo":{"renewalIntervalInSecs":10,"durationInSecs":40},
             "dataCenterInfo":{"@class":"com.netflix.appinfo.AmazonInfo","name":"Amazon","metadata":{"availability-zone":"eu-west-1a"}}}}
            """#
            try await c.call(.POST, "/eureka/apps/ORDER-SERVICE", json: secure, on: c.registryURL).expect(204)
            // A port out of range is refused, the HTTPS one too (it was listed back as given).
            let outOfRange = secure.replacingOccurrences(of: #""$":8443"#, with: #""$":70000"#)
                .replacingOccurrences(of: "billing-tls", with: "billing-bad-port")
            try await c.call(.POST, "/eureka/apps/ORDER-SERVICE", json: outOfRange, on: c.registryURL).problem(400, containing: "0–65535")
            let listed = try await c.call(.GET, "/eureka/apps/ORDER-SERVICE/billing-tls", headers: Self.json, on: c.registryURL)
            XCTAssertEqual(listed.status, 200, listed.text)
            let instance = try XCTUnwrap(try listed.json()["instance"] as? [String: Any])
            XCTAssertEqual(instance["hostName"] as? String, "billing.internal")
            XCTAssertEqual(instance["homePageUrl"] as? String, "https://billing.internal:8443/")
            XCTAssertEqual(instance["healthCheckUrl"] as? String, "https://billing.internal:8443/actuator/health")
            XCTAssertEqual(instance["metadata"] as? [String: String], ["zone": "eu-1", "management.port": "8444", "secure": "true"])
            XCTAssertEqual(instance["asgName"] as? String, "billing-asg")
            XCTAssertEqual(((instance["dataCenterInfo"] as? [String: Any])?["metadata"] as? [String: String])?["availability-zone"], "eu-west-1a")
            // The registry's own fields are the registry's, whatever the description said.
            XCTAssertEqual(instance["overriddenStatus"] as? String, "UNKNOWN")
            XCTAssertEqual(instance["actionType"] as? String, "ADDED")
            XCTAssertEqual((instance["securePort"] as? [String: Any])?["@enabled"] as? String, "true")
            XCTAssertEqual((instance["port"] as? [String: Any])?["@enabled"] as? String, "false")
            XCTAssertEqual((instance["dataCenterInfo"] as? [String: Any])?["name"] as? String, "Amazon")
            let lease = try XCTUnwrap(instance["leaseInfo"] as? [String: Any])
            XCTAssertEqual(lease["durationInSecs"] as? Int, 40)
            XCTAssertEqual(lease["renewalIntervalInSecs"] as? Int, 10)
            XCTAssertNotNil(lease["lastRenewalTimestamp"] as? Int, "the registry's own fields are filled in")
            XCTAssertEqual(instance["status"] as? String, "UP")

            // Its own 40 s lease outlives the registry's 3 s one; OrderPay's services ask for none.
            try await Task.sleep(for: .seconds(c.options.leaseSeconds + 1.5))
            try await c.call(.GET, "/eureka/apps/ORDER-SERVICE/billing-tls", headers: Self.json, on: c.registryURL).expect(200)
            let ours = try await c.call(.GET, "/eureka/apps/ORDER-SERVICE/\(c.host(.orders).system.instanceId)", headers: Self.json,
                                        on: c.registryURL)
            XCTAssertEqual(((try ours.json()["instance"] as? [String: Any])?["leaseInfo"] as? [String: Any])?["durationInSecs"] as? Int,
                           Int(c.options.leaseSeconds))

            // HTTPS only: listed, but not a place the gateway sends requests to.
            let directory = ServiceDirectory(client: EurekaClient(baseURL: c.registryURL), logger: c.logger)
            try await directory.refresh()
            XCTAssertTrue(directory.instances.contains { $0.instanceId == "billing-tls" })
            XCTAssertEqual(directory.candidates(for: "ORDER-SERVICE").map(\.instanceId), [c.host(.orders).system.instanceId])
            try await c.refreshGateway()
            let views = try await c.call(.GET, "/api/registry", token: try await c.token(c.admin)).decode([RegistryInstanceView].self)
            XCTAssertEqual(views.first { $0.instanceId == "billing-tls" }?.address, "https://127.0.0.1:8443")

            // A lease beyond a day is capped (refusing it would keep that client out for good); a
            // description too large to keep is refused.
            let forever = secure.replacingOccurrences(of: #""durationInSecs":40"#, with: #""durationInSecs":9999999"#)
            try await c.call(.POST, "/eureka/apps/ORDER-SERVICE", json: forever, on: c.registryURL).expect(204)
            let capped = try await c.call(.GET, "/eureka/apps/ORDER-SERVICE/billing-tls", headers: Self.json, on: c.registryURL)
            XCTAssertEqual(((try capped.json()["instance"] as? [String: Any])?["leaseInfo"] as? [String: Any])?["durationInSecs"] as? Int,
                           86_400)
            let padded = secure.replacingOccurrences(of: #""zone":"eu-1""#, with: #""zone":"\#(String(repeating: "z", count: 20_000))""#)
            try await c.call(.POST, "/eureka/apps/ORDER-SERVICE", json: padded, on: c.registryURL).problem(422, containing: "16 KB")
        }
    }

    /// Input the registry refuses, each with a problem naming why (never a 5xx or a bare status),
    /// and odd but valid input it takes.
    static func registryRefusals(_ c: GatewayTestCluster) async throws {
        func instance(_ fields: String) -> String {
            #"{"instance":{"hostName":"h","app":"ODD","ipAddr":"127.0.0.1","status":"UP","port":{"$":9},"# + fields + "}}"
        }
        let url = c.registryURL
        // JSON only: XML asked for or sent is said so.
        try await c.call(.GET, "/eureka/apps", headers: [("Accept", "application/xml")], on: url).problem(406, containing: "JSON only")
        try await c.call(.POST, "/eureka/apps/ODD", json: "<instance/>", headers: [("Content-Type", "application/xml")], on: url)
            .problem(415, containing: "Content-Type: application/json")
        try await c.call(.GET, "/eureka/apps", headers: [("Accept", "application/xml, application/json;q=0.9")], on: url).expect(200)
        // A part that is only parameters crashed the registry.
        try await c.call(.GET, "/eureka/apps", headers: [("Accept", ";")], on: url).expect(200)
        try await c.call(.GET, "/eureka/apps/ORDER-SERVICE", headers: [("Accept", "text/html,;")], on: url).expect(200)
        // Filed under the path's application only if the instance says it belongs there (Eureka's 400).
        try await c.call(.POST, "/eureka/apps/ODD", json: instance(#""instanceId":"x""#).replacingOccurrences(of: #""app":"ODD""#, with: #""app":"OTHER""#),
                         on: url).problem(400, containing: "does not match the application in the path")
        // Statuses are Eureka's; control characters would reach terminals and logs.
        try await c.call(.POST, "/eureka/apps/ODD", json: instance(#""instanceId":"x""#).replacingOccurrences(of: #""UP""#, with: #""SIDEWAYS""#),
                         on: url).problem(400, containing: "instance.status")
        for (field, json) in [("instanceId", #""instanceId":"esc\u001b[31mRED""#), ("instanceId", #""instanceId":"a\u0000b""#),
                              ("homePageUrl", #""instanceId":"x","homePageUrl":"http://h/\r\nX: y""#),
                              ("metadata", #""instanceId":"x","metadata":{"k":"v\n"}"#)] {
            try await c.call(.POST, "/eureka/apps/ODD", json: instance(json), on: url).problem(400, containing: "instance.\(field)")
        }
        try await c.call(.POST, "/eureka/apps/ODD", json: instance(#""instanceId":"x""#).replacingOccurrences(of: #""ipAddr":"127.0.0.1""#, with: #""ipAddr":"a b""#),
                         on: url).problem(422, containing: "address")
        // Numbers: a whole number as a number or a string; anything else names the field.
        try await c.call(.POST, "/eureka/apps/ODD", json: instance(#""instanceId":"x","leaseInfo":{"durationInSecs":5.5}"#), on: url)
            .problem(400, containing: "leaseInfo.durationInSecs")
        try await c.call(.POST, "/eureka/apps/ODD", json: instance(#""instanceId":"x","countryId":"one""#), on: url).problem(400, containing: "countryId")
        // Too large to read: a problem, not a bare 413.
        let huge = instance(#""instanceId":"x","asgName":""# + "\"" + String(repeating: "a", count: 300_000) + "\"")
        try await c.call(.POST, "/eureka/apps/ODD", json: huge, on: url).problem(413, containing: "at most 256 KB")

        // An id that needs percent-encoding is reachable under its encoded form; UNKNOWN is a
        // status of its own (listed, not routed); numbers may come as strings; long numbers keep
        // their digits.
        try await c.call(.POST, "/eureka/apps/ODD", json: instance(#""instanceId":"has space/ü","status":"UNKNOWN","leaseInfo":{"durationInSecs":"30"},"metadata":{"big":12345678901234567890}"#)
            .replacingOccurrences(of: #""status":"UP","#, with: ""), on: url).expect(204)
        let odd = try await c.call(.GET, "/eureka/apps/ODD/has%20space%2F%C3%BC", headers: Self.json, on: url)
        XCTAssertEqual(odd.status, 200, odd.text)
        let listed = try XCTUnwrap(try odd.json()["instance"] as? [String: Any])
        XCTAssertEqual(listed["status"] as? String, "UNKNOWN")
        XCTAssertEqual((listed["leaseInfo"] as? [String: Any])?["durationInSecs"] as? Int, 30)
        XCTAssertEqual((listed["metadata"] as? [String: String])?["big"], "12345678901234567890")
        try await c.call(.PUT, "/eureka/apps/ODD/has%20space%2F%C3%BC", on: url).expect(200)
        try await c.call(.DELETE, "/eureka/apps/ODD/has%20space%2F%C3%BC", on: url).expect(200)
    }

    /// Listed at the address it is stored under (the one the gateway routes to), even if its
    /// description says otherwise.
    func testAListingTakesTheAddressFromTheStoredInstance() throws {
        let stored = ServiceInstance(app: "BILLING", instanceId: "b", host: "10.0.0.2", port: 9002, status: .up,
                                     registeredAt: Date(), lastRenewedAt: Date(), leaseExpiresAt: Date() + 90,
                                     descriptor: #"{"hostName":"billing","app":"OTHER","status":"DOWN","ipAddr":"10.0.0.1","port":{"$":9001,"@enabled":"true"}}"#)
        let listed = EurekaInstance(stored, renewalInterval: 30, leaseDuration: 90)
        XCTAssertEqual(listed.ipAddr, "10.0.0.2")
        XCTAssertEqual(listed.port?.value, 9002)
        XCTAssertEqual(listed.app, "BILLING")
        XCTAssertEqual(listed.status, "UP")
        XCTAssertEqual(listed.hostName, "billing")

        // A lease the registry extended after a restart reads as renewed then: it ends
        // `durationInSecs` after `lastRenewalTimestamp`, as Eureka's clients compute it.
        let renewed = Date(timeIntervalSince1970: 1_800_000_000)
        let extended = ServiceInstance(app: "BILLING", instanceId: "b", host: "10.0.0.2", port: 9002, status: .up, registeredAt: renewed,
                                       lastRenewedAt: renewed, leaseExpiresAt: renewed + 200)
        let lease = try XCTUnwrap(EurekaInstance(extended, renewalInterval: 30, leaseDuration: 90).leaseInfo)
        XCTAssertEqual(lease.lastRenewalTimestamp, Int64((renewed + 110).timeIntervalSince1970 * 1000))
    }

    /// The registry documents exactly the routes it serves: every operation in its OpenAPI document
    /// is routed (no "no route" 404), and a path it does not serve is not in the document.
    func testRegistryOpenAPIMatchesItsRoutes() async throws {
        try await GatewayTestCluster.with { c in
            let reply = try await c.call(.GET, "/openapi.json", on: c.registryURL).expect(200)
            let document = try reply.json()
            XCTAssertEqual(document["openapi"] as? String, "3.1.0")
            let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
            var operations = 0
            for (path, item) in paths {
                let concrete = path.replacingOccurrences(of: "{app}", with: "ORDER-SERVICE").replacingOccurrences(of: "{id}", with: "nobody")
                    .replacingOccurrences(of: "{vip}", with: "x").replacingOccurrences(of: "{svip}", with: "x")
                for method in ["get", "post", "put", "delete"] where item[method] != nil {
                    operations += 1
                    let reply = try await c.call(HTTPMethod(rawValue: method.uppercased()), concrete + (path.hasSuffix("/status") ? "?value=UP" : ""),
                                                 json: method == "post" ? "{}" : nil, on: c.registryURL)
                    XCTAssertFalse(reply.text.contains("no route for"), "\(method) \(path) is documented but not routed: \(reply.text)")
                }
                // Any other method: 405, naming exactly the documented ones, and HEAD after GET, which
                // is answered wherever GET is (as the services' Allow says).
                let documented = ["get", "post", "put", "delete"].filter { item[$0] != nil }.map { $0.uppercased() }
                let allowed = documented.flatMap { $0 == "GET" ? ["GET", "HEAD"] : [$0] }.joined(separator: ", ")
                for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] where !documented.contains(method) {
                    let refused = try await c.call(HTTPMethod(rawValue: method), concrete, on: c.registryURL)
                    _ = try refused.problem(405, containing: "allowed: \(allowed)")
                    XCTAssertEqual(refused.headers.first(name: "Allow"), allowed, "\(method) \(path)")
                }
            }
            XCTAssertEqual(operations, 16)
            XCTAssertNil(paths["/eureka/v2/apps"])
        }
    }

    /// The gateway and the registry serve /metrics like the services: request counts and
    /// latencies by route pattern (never a raw path), and the registry's leases.
    func testGatewayAndRegistryServeMetrics() async throws {
        try await GatewayTestCluster.with { c in
            let token = try await c.token(c.customer)
            _ = try await c.call(.GET, "/api/orders/424242", token: token).expect(404)
            _ = try await c.call(.GET, "/api/users/me", token: token).expect(200)
            _ = try await c.call(.GET, "/nowhere").expect(404)
            let gateway = try await c.call(.GET, "/metrics")
            XCTAssertEqual(gateway.status, 200, gateway.text)
            XCTAssertEqual(gateway.headers.first(name: "Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
            for line in [#"http_requests_total{method="GET",route="/api/orders/**",status="404"} 1"#,
                         #"http_requests_total{method="GET",route="/api/users/**",status="200"} 1"#,
                         #"http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
                         #"http_request_duration_seconds_count{method="GET",route="/api/users/**",status="200"} 1"#] {
                XCTAssertTrue(gateway.text.contains(line), "missing \(line) in\n\(gateway.text)")
            }
            XCTAssertFalse(gateway.text.contains("424242"), "no raw paths as labels")

            _ = try await c.call(.GET, "/eureka/apps", headers: Self.json, on: c.registryURL).expect(200)
            // A scraper asking for text only gets it: the registry's JSON-only rule is Eureka's API's.
            let registry = try await c.call(.GET, "/metrics", headers: [("Accept", "text/plain;version=0.0.4")], on: c.registryURL)
            XCTAssertEqual(registry.status, 200, registry.text)
            XCTAssertTrue(registry.text.contains(#"http_requests_total{method="GET",route="/eureka/apps",status="200"}"#), registry.text)
            XCTAssertTrue(registry.text.contains(#"orderpay_registered_instances{app="ORDER-SERVICE",status="UP"} 1"#), registry.text)
        }
    }

    static func applications(_ reply: Reply) throws -> [[String: Any]] {
        let body = try XCTUnwrap(try reply.json()["applications"] as? [String: Any], reply.text)
        return try XCTUnwrap(body["application"] as? [[String: Any]], reply.text)
    }

    /// Checks `condition` every 100 ms until it holds or `timeout` passes.
    static func poll(timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
