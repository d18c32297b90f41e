import Foundation
import NIOHTTP1
import OrderPayCore
import OrderPayGateway
import XCTest

/// The gateway's /openapi.json: one valid document for the whole API.
final class GatewayOpenAPITests: XCTestCase {
    func testCombinedDocumentCoversEveryServiceAndResolves() async throws {
        try await GatewayTestCluster.with { c in
            let reply = try await c.call(.GET, "/openapi.json")
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertTrue(reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            let document = try reply.json()
            XCTAssertEqual(document["openapi"] as? String, "3.1.0")
            XCTAssertNotNil((document["info"] as? [String: Any])?["title"] as? String)
            let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])

            // Every /api path of every service, with every method, as that service documents it.
            var expected = 0
            for host in c.services {
                let own = try await c.call(.GET, "/openapi.json", on: host.server.baseURL)
                XCTAssertEqual(own.status, 200, own.text)
                let ownPaths = try XCTUnwrap(try own.json()["paths"] as? [String: [String: Any]])
                for (path, operations) in ownPaths where path.hasPrefix("/api/") {
                    XCTAssertNotNil(GatewayRoutes.app(for: path), "\(path) is not routed by the gateway")
                    for method in operations.keys {
                        expected += 1
                        XCTAssertNotNil(paths[path]?[method], "\(method.uppercased()) \(path) missing from the gateway's document")
                    }
                }
            }
            XCTAssertGreaterThan(expected, 30)
            for prefix in ["/api/auth/login", "/api/users/{id}", "/api/orders", "/api/products", "/api/payments/{id}", "/api/events/stream",
                           "/api/registry"] {
                XCTAssertNotNil(paths[prefix], prefix)
            }

            // Every reference resolves inside the combined document, and every security
            // requirement names a scheme it defines.
            let components = try XCTUnwrap(document["components"] as? [String: Any])
            for ref in Self.refs(in: document) {
                let parts = ref.split(separator: "/").map(String.init)
                XCTAssertEqual(parts.count, 4, ref)
                guard parts.count == 4, parts[0] == "#", parts[1] == "components" else { XCTFail("unexpected ref \(ref)"); continue }
                XCTAssertNotNil((components[parts[2]] as? [String: Any])?[parts[3]], "dangling \(ref)")
            }
            let schemes = try XCTUnwrap(components["securitySchemes"] as? [String: Any])
            for (path, operations) in paths {
                for (method, operation) in operations {
                    let security = (operation as? [String: Any])?["security"] as? [[String: Any]] ?? []
                    for name in security.flatMap(\.keys) {
                        XCTAssertNotNil(schemes[name], "\(method) \(path) requires undefined scheme \(name)")
                    }
                }
            }
        }
    }

    static func refs(in value: Any) -> [String] {
        switch value {
        case let object as [String: Any]:
            if let ref = object["$ref"] as? String { return [ref] }
            return object.values.flatMap(refs(in:))
        case let array as [Any]:
            return array.flatMap(refs(in:))
        default:
            return []
        }
    }
}
