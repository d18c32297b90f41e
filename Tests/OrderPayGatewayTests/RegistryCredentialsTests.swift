import Foundation
import OrderPayCore
import OrderPayGateway
import OrderPayServices
import XCTest

/// A registry given credentials serves Eureka's API only to clients that send them (HTTP Basic),
/// so nobody else can register a fake service for the gateway to send users' requests to.
final class RegistryCredentialsTests: XCTestCase {
    static let credentials = try! RegistryCredentials(parsing: "eureka:s3cret-pa55")

    func testASecuredRegistryServesOnlyItsCredentialHolders() async throws {
        var options = GatewayTestCluster.Options()
        options.registryCredentials = Self.credentials
        try await GatewayTestCluster.with(options) { c in
            // The services registered, and the gateway found them, with the credentials in the URL.
            let token = try await c.token(c.customer)
            _ = try await c.placeOrder(token: token)

            let instance = #"{"instance":{"app":"FAKE-AUTH","hostName":"127.0.0.1","ipAddr":"127.0.0.1","status":"UP","port":{"$":9,"@enabled":"true"}}}"#
            let json = [("Accept", "application/json")]
            let anonymous = try await c.call(.POST, "/eureka/apps/AUTH-SERVICE", json: instance, on: c.registryURL)
            try anonymous.problem(401, containing: "requires credentials")
            XCTAssertEqual(anonymous.headers.first(name: "WWW-Authenticate"), #"Basic realm="orderpay-registry", charset="UTF-8""#)
            let wrong = "Basic " + Data("eureka:guess".utf8).base64EncodedString()
            try await c.call(.POST, "/eureka/apps/AUTH-SERVICE", json: instance, headers: [("Authorization", wrong)], on: c.registryURL)
                .problem(401, containing: "not accepted")
            try await c.call(.GET, "/eureka/apps", headers: json, on: c.registryURL).problem(401)
            try await c.call(.DELETE, "/eureka/apps/ORDER-SERVICE/anything", on: c.registryURL).problem(401)
            try await c.call(.GET, "/health", on: c.registryURL).expect(200)

            // Our client, with them in the URL: the password goes in a header, never in messages.
            let client = EurekaClient(baseURL: c.registryURLForClients)
            XCTAssertEqual(client.baseURL, c.registryURL)
            try await client.register(app: "SPARE-SERVICE", instanceId: "spare-1", host: "127.0.0.1", port: 9)
            let spare = try await client.instances().contains { $0.resolvedInstanceId == "spare-1" }
            XCTAssertTrue(spare)

            let without = EurekaClient(baseURL: c.registryURL, credentials: nil)
            do {
                try await without.requireReachable()
                XCTFail("a registry that wants credentials let a client without them list")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .unauthorized)
                XCTAssertTrue(error.message.contains("requires credentials"), error.message)
            }
            let guessing = EurekaClient(baseURL: c.registryURL, credentials: try RegistryCredentials(parsing: "eureka:guess"))
            do {
                try await guessing.register(app: "AUTH-SERVICE", instanceId: "evil-1", host: "127.0.0.1", port: 9)
                XCTFail("registered with the wrong password")
            } catch let error as AppError {
                XCTAssertTrue(error.message.contains("refused the credentials for user eureka"), error.message)
                XCTAssertFalse(error.message.contains("guess"), error.message)
            }
            let listed = try await client.instances().map(\.resolvedInstanceId)
            XCTAssertFalse(listed.contains("evil-1"), "\(listed)")
        }
    }

    func testCredentialsAreParsedFromTextAndFromURLs() throws {
        XCTAssertEqual(try RegistryCredentials(parsing: "a:b:c").password, "b:c")
        for bad in ["", "user", ":password", "user:", "us er:pw", "user:pä"] {
            XCTAssertThrowsError(try RegistryCredentials(parsing: bad), bad)
        }
        XCTAssertNil(try RegistryCredentials.fromEnvironment([:]))
        XCTAssertThrowsError(try RegistryCredentials.fromEnvironment([RegistryCredentials.environmentVariable: "no-colon"]))

        let split = RegistryCredentials.split(url: "http://eureka:p%40ss@127.0.0.1:8761/eureka")
        XCTAssertEqual(split.url, "http://127.0.0.1:8761/eureka")
        XCTAssertEqual(split.credentials, try RegistryCredentials(parsing: "eureka:p@ss"))
        XCTAssertNil(RegistryCredentials.split(url: "http://127.0.0.1:8761").credentials)

        XCTAssertTrue(Self.credentials.accepts(authorization: Self.credentials.basicAuthorization))
        XCTAssertFalse(Self.credentials.accepts(authorization: Self.credentials.basicAuthorization + "x"))
        XCTAssertFalse(Self.credentials.accepts(authorization: "Basic " + Data("eureka:s3cret-pa56".utf8).base64EncodedString()))
        XCTAssertFalse(Self.credentials.accepts(authorization: nil))
    }
}
