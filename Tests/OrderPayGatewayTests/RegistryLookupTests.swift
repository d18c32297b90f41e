import Foundation
import OrderPayGateway
import XCTest

/// Eureka's other lookups: an instance by its id alone, and instances by (secure) VIP address.
final class RegistryLookupTests: XCTestCase {
    func testInstancesAreFoundByIdAndByVipAddress() async throws {
        try await GatewayTestCluster.with { c in
            let json = [("Accept", "application/json")]
            let registration = #"""
            {"instance":{"instanceId":"billing-1","hostName":"billing.internal","app":"BILLING","ipAddr":"127.0.0.1","status":"UP",
             "port":{"$":9,"@enabled":"true"},"vipAddress":"billing, Billing-V2","secureVipAddress":"billing-secure"}}
            """#
            try await c.call(.POST, "/eureka/apps/BILLING", json: registration, on: c.registryURL).expect(204)

            let byId = try await c.call(.GET, "/eureka/instances/billing-1", headers: json, on: c.registryURL).expect(200).json()
            let instance = try XCTUnwrap(byId["instance"] as? [String: Any])
            XCTAssertEqual(instance["app"] as? String, "BILLING")
            XCTAssertEqual(instance["hostName"] as? String, "billing.internal")
            try await c.call(.GET, "/eureka/instances/nobody", headers: json, on: c.registryURL).problem(404, containing: "nobody")

            for path in ["/eureka/vips/billing-v2", "/eureka/vips/billing", "/eureka/svips/billing-secure"] {
                let apps = try await c.call(.GET, path, headers: json, on: c.registryURL).expect(200)
                let names = try RegistryLeaseTests.applications(apps).map { $0["name"] as? String }
                XCTAssertEqual(names, ["BILLING"], path)
            }
            // Our own services are under their app's name in lower case.
            let orders = try await c.call(.GET, "/eureka/vips/order-service", headers: json, on: c.registryURL).expect(200)
            XCTAssertEqual(try RegistryLeaseTests.applications(orders).map { $0["name"] as? String }, ["ORDER-SERVICE"])
            try await c.call(.GET, "/eureka/vips/billing-secure", headers: json, on: c.registryURL).problem(404, containing: "VIP address")
        }
    }
}
