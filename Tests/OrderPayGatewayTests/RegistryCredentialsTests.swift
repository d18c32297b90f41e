import Foundation
import OrderPayCore
import OrderPayGateway
import OrderPayServices
import OrderPayTestSupport
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
            // The router reads `//eureka/apps` as `/eureka/apps`: so does the check.
            for path in ["//eureka/apps", "///eureka/apps/", "/eureka//apps/AUTH-SERVICE"] {
                try await c.call(.GET, path, headers: json, on: c.registryURL).problem(401)
            }
            let sneaked = try await RawSocketClient.exchange(port: try XCTUnwrap(URL(string: c.registryURL)?.port), [
                "POST //eureka/apps/AUTH-SERVICE HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(instance.utf8.count)\r\n"
                + "Connection: close\r\n\r\n" + instance])
            XCTAssertTrue(sneaked.text.hasPrefix("HTTP/1.1 401 "), sneaked.text)

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

        let split = try RegistryCredentials.split(url: "http://eureka:p%40ss@127.0.0.1:8761/eureka")
        XCTAssertEqual(split.url, "http://127.0.0.1:8761/eureka")
        XCTAssertEqual(split.credentials, try RegistryCredentials(parsing: "eureka:p@ss"))
        XCTAssertNil(try RegistryCredentials.split(url: "http://127.0.0.1:8761").credentials)
        // Decoded once: `%2541` is the three characters `%41`, not `A`.
        XCTAssertEqual(try RegistryCredentials.split(url: "http://eureka:p%2541ss@h:1").credentials?.password, "p%41ss")
        // A password that does not parse is said so, with the URL redacted, never sent without it.
        for url in ["http://eureka:s3cr#t@127.0.0.1:8761", "http://eureka:s3cr/t@127.0.0.1:8761", "http://us%3Aer:pw@h:1", "http://eureka:pa%20ss@h:1"] {
            XCTAssertThrowsError(try RegistryCredentials.split(url: url), url) { error in
                let message = (error as? AppError)?.message ?? ""
                XCTAssertFalse(message.contains("s3cr") || message.contains("pa%20ss") || message.contains("us%3Aer"), message)
            }
        }
        XCTAssertEqual(RegistryCredentials.redacted("http://eureka:s3cr/t@127.0.0.1:8761"), "http://…@127.0.0.1:8761")

        XCTAssertTrue(Self.credentials.accepts(authorization: Self.credentials.basicAuthorization))
        XCTAssertFalse(Self.credentials.accepts(authorization: Self.credentials.basicAuthorization + "x"))
        XCTAssertFalse(Self.credentials.accepts(authorization: "Basic " + Data("eureka:s3cret-pa56".utf8).base64EncodedString()))
        XCTAssertFalse(Self.credentials.accepts(authorization: nil))
        // The scheme in any case (RFC 9110 §11.1).
        XCTAssertTrue(Self.credentials.accepts(authorization: "basic " + Data("eureka:s3cret-pa55".utf8).base64EncodedString()))
        XCTAssertFalse(Self.credentials.accepts(authorization: "Bearer " + Data("eureka:s3cret-pa55".utf8).base64EncodedString()))
    }
}
