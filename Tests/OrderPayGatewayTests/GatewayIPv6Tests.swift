import Foundation
import OrderPayCore
import XCTest

/// The whole system on the IPv6 loopback (`--host ::1`): addresses are written `[::1]:port`
/// wherever they become URLs, so services register, the gateway routes and orders get paid.
final class GatewayIPv6Tests: XCTestCase {
    func testAClusterOnIPv6LoopbackPlacesAndPaysOrders() async throws {
        try XCTSkipUnless(Self.ipv6LoopbackWorks(), "no IPv6 loopback on this machine")
        var options = GatewayTestCluster.Options()
        options.host = "::1"
        try await GatewayTestCluster.with(options) { c in
            XCTAssertTrue(c.gatewayURL.hasPrefix("http://[::1]:"), c.gatewayURL)
            let token = try await c.token(c.customer)
            let placed = try await c.placeOrder(token: token)
            let paid = try await c.waitForOrder(placed.id, token: token)
            XCTAssertEqual(paid.status, .paid)

            let admin = try await c.token(c.admin)
            let registry = try await c.call(.GET, "/api/registry", token: admin)
            XCTAssertEqual(registry.status, 200, registry.text)
            let addresses = try registry.decode([RegistryInstanceView].self).map(\.address)
            XCTAssertEqual(addresses.count, 3, registry.text)
            XCTAssertTrue(addresses.allSatisfy { $0.hasPrefix("[::1]:") }, "\(addresses)")

            let eureka = try await Reply.send(.GET, c.registryURL + "/eureka/apps/ORDER-SERVICE", headers: [("Accept", "application/json")])
            XCTAssertTrue(eureka.text.contains(#""homePageUrl":"http://[::1]:"#), eureka.text)
        }
    }

    func testAddressesAreWrittenForURLs() {
        XCTAssertEqual(HostAddress.httpURL("::1", port: 8000), "http://[::1]:8000")
        XCTAssertEqual(HostAddress.httpURL("::", port: 8000), "http://[::1]:8000")
        XCTAssertEqual(HostAddress.httpURL("0.0.0.0", port: 8761), "http://127.0.0.1:8761")
        XCTAssertEqual(HostAddress.httpURL("10.0.0.5", port: 8081), "http://10.0.0.5:8081")
        XCTAssertEqual(HostAddress.authority("[fe80::1]", port: 1), "[fe80::1]:1")
        XCTAssertEqual(HostAddress.authority("orders.internal", port: 8082), "orders.internal:8082")
        XCTAssertEqual(HostAddress.httpURL("fe80::1%eth0", port: 8082), "http://[fe80::1%25eth0]:8082")
        XCTAssertEqual(HostAddress.hostHeader("fe80::1%eth0", port: 8082), "[fe80::1]:8082")
        XCTAssertEqual(HostAddress.hostHeader("::1", port: 8082), "[::1]:8082")
    }

    private static func ipv6LoopbackWorks() -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
    }
}
