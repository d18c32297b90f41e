import Foundation
import NIOHTTP1
import OrderPayGateway
import XCTest

/// Eureka's `PUT /eureka/apps/{app}/{id}/metadata?key=value`, as operators' tools send it.
final class RegistryMetadataTests: XCTestCase {
    static let json = [("Accept", "application/json")]
    static let billing = #"""
    {"instance":{"instanceId":"billing-1","hostName":"127.0.0.1","app":"BILLING","ipAddr":"127.0.0.1","status":"UP",
     "port":{"$":9090,"@enabled":"true"},"metadata":{"zone":"eu-1","owner":"payments-team"},
     "dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"}}}
    """#

    func testMetadataEntriesAreSetAndTheRestKeptUntilTheInstanceRegistersAgain() async throws {
        try await GatewayTestCluster.with { c in
            try await c.call(.POST, "/eureka/apps/BILLING", json: Self.billing, on: c.registryURL).expect(204)
            // Percent escapes and `+` decode as Eureka's server decodes them.
            try await c.call(.PUT, "/eureka/apps/BILLING/billing-1/metadata?zone=eu-2&version=2.1&note=a+b%26c&caf%C3%A9=ol%C3%A9",
                             on: c.registryURL).expect(200)
            let expected = ["zone": "eu-2", "owner": "payments-team", "version": "2.1", "note": "a b&c", "café": "olé"]
            let m1 = try await Self.metadata(c, "BILLING", "billing-1")
            XCTAssertEqual(m1, expected)
            // A heartbeat does not undo it, and the instance keeps its status and lease.
            try await c.call(.PUT, "/eureka/apps/BILLING/billing-1", on: c.registryURL).expect(200)
            let m2 = try await Self.metadata(c, "BILLING", "billing-1")
            XCTAssertEqual(m2, expected)
            let listed = try await c.call(.GET, "/eureka/apps/BILLING/billing-1", headers: Self.json, on: c.registryURL).expect(200)
            XCTAssertEqual((try listed.json()["instance"] as? [String: Any])?["status"] as? String, "UP")

            // Its own registration is its whole description again, as on Eureka.
            try await c.call(.POST, "/eureka/apps/BILLING", json: Self.billing, on: c.registryURL).expect(204)
            let m3 = try await Self.metadata(c, "BILLING", "billing-1")
            XCTAssertEqual(m3, ["zone": "eu-1", "owner": "payments-team"])
        }
    }

    func testAnOrderPayServiceIsTaggedAndStillRouted() async throws {
        try await GatewayTestCluster.with { c in
            let id = c.host(.orders).system.instanceId
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
            let before = try await Self.instance(c, "ORDER-SERVICE", encoded)
            try await c.call(.PUT, "/eureka/apps/ORDER-SERVICE/\(encoded)/metadata?canary=true", on: c.registryURL).expect(200)
            let after = try await Self.instance(c, "ORDER-SERVICE", encoded)
            XCTAssertEqual((after["metadata"] as? [String: String])?["canary"], "true")
            // Everything the gateway routes by is as it was.
            for key in ["ipAddr", "status", "healthCheckUrl", "homePageUrl", "vipAddress"] {
                XCTAssertEqual(after[key] as? String, before[key] as? String, key)
            }
            XCTAssertEqual((after["port"] as? [String: Any])?["$"] as? Int, c.host(.orders).server.port)
            // Still UP and routed to (the gateway refreshes its view every 200 ms here).
            try await Task.sleep(for: .milliseconds(500))
            try await c.call(.GET, "/api/orders", token: try await c.token(c.customer)).expect(200)
        }
    }

    /// Java's client sends an empty metadata map with its type marker; a PUT leaves real entries only.
    func testJavasEmptyMapMarkerGivesWayToEntries() async throws {
        try await GatewayTestCluster.with { c in
            let java = Self.billing.replacingOccurrences(of: #""metadata":{"zone":"eu-1","owner":"payments-team"}"#,
                                                         with: #""metadata":{"@class":"java.util.Collections$EmptyMap"}"#)
            try await c.call(.POST, "/eureka/apps/BILLING", json: java, on: c.registryURL).expect(204)
            try await c.call(.PUT, "/eureka/apps/BILLING/billing-1/metadata?zone=eu-3", on: c.registryURL).expect(200)
            let m = try await Self.metadata(c, "BILLING", "billing-1")
            XCTAssertEqual(m, ["zone": "eu-3"])
        }
    }

    func testBadMetadataIsRefusedAndNothingChanges() async throws {
        try await GatewayTestCluster.with { c in
            try await c.call(.POST, "/eureka/apps/BILLING", json: Self.billing, on: c.registryURL).expect(204)
            let path = "/eureka/apps/BILLING/billing-1/metadata"
            try await c.call(.PUT, path, on: c.registryURL).problem(400, containing: "?key=value")
            try await c.call(.PUT, path + "?zone=a&zone=b", on: c.registryURL).problem(400, containing: "'zone' is given more than once")
            try await c.call(.PUT, path + "?zo%6Ee=a&zone=b", on: c.registryURL).problem(400, containing: "'zone' is given more than once")
            try await c.call(.PUT, path + "?zone=%1B%5B2J", on: c.registryURL).problem(400, containing: "control characters")
            try await c.call(.PUT, path + "?=x", on: c.registryURL).problem(400, containing: "1–255 bytes")
            try await c.call(.PUT, path + "?zone=%FF", on: c.registryURL).problem(400, containing: "percent-encoded UTF-8")
            try await c.call(.PUT, path + "?big=" + String(repeating: "x", count: 17_000), on: c.registryURL).problem(422, containing: "larger than its 16 KB")
            try await c.call(.PUT, "/eureka/apps/BILLING/nobody/metadata?zone=x", on: c.registryURL).problem(404, containing: "not registered")
            let m4 = try await Self.metadata(c, "BILLING", "billing-1")
            XCTAssertEqual(m4, ["zone": "eu-1", "owner": "payments-team"])
        }
    }

    static func instance(_ c: GatewayTestCluster, _ app: String, _ id: String) async throws -> [String: Any] {
        let reply = try await c.call(.GET, "/eureka/apps/\(app)/\(id)", headers: json, on: c.registryURL).expect(200)
        return try XCTUnwrap(try reply.json()["instance"] as? [String: Any], reply.text)
    }

    static func metadata(_ c: GatewayTestCluster, _ app: String, _ id: String) async throws -> [String: String] {
        let found = try await instance(c, app, id)
        return try XCTUnwrap(found["metadata"] as? [String: String], "\(found)")
    }
}
