import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayEmbedded
import OrderPayTestSupport
import GRDB
import XCTest

final class RegistryTests: XCTestCase {
    /// Stores on a data dir of their own (removed after the test) and a clock the test moves.
    private func freshStores() async throws -> (ServiceStores, ManualClock) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-reg-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return (try await TestEngine.stores(directory: directory), ManualClock())
    }

    func testLeasesRenewExpireAndEvict() async throws {
        let (stores, clock) = try await freshStores()
        let registry = RegistryService(repository: stores.registry, clock: clock, leaseDuration: 90)

        try await registry.register(app: "order-service", instanceId: "a", host: "127.0.0.1", port: 8082)
        try await registry.register(app: "ORDER-SERVICE", instanceId: "b", host: "127.0.0.1", port: 8092)
        await assertEqual(try await registry.instances(app: "order-service").map(\.instanceId), ["a", "b"])

        clock.advance(by: 60)
        try await registry.renew(app: "order-service", instanceId: "a")
        clock.advance(by: 60)   // b's lease (90 s) has ended, a's was renewed 60 s ago
        let live = try await registry.instances()
        XCTAssertEqual(live.map(\.instanceId), ["a"])
        XCTAssertEqual(live.first?.lastRenewedAt, clock.now() - 60)
        await XCTAssertThrowsAppError(.notFound, try await registry.renew(app: "order-service", instanceId: "b"))

        let out = try await registry.overrideStatus(app: "ORDER-SERVICE", instanceId: "a", status: .outOfService)
        XCTAssertEqual(out.status, .outOfService)
        try await registry.cancel(app: "ORDER-SERVICE", instanceId: "a")
        await assertEqual(try await registry.instances().count, 0)
        await XCTAssertThrowsAppError(.validation, try await registry.register(app: "bad app!", instanceId: "x", host: "h", port: 1))
    }

    /// An operator's status outlasts the instance registering itself again (as on Eureka), except
    /// when the instance says it is down or starting; removing it, cancelling or eviction end it.
    func testAStatusOverrideOutlastsReRegistration() async throws {
        let (stores, clock) = try await freshStores()
        let registry = RegistryService(repository: stores.registry, clock: clock, leaseDuration: 90)
        func register(_ status: InstanceStatus = .up) async throws -> ServiceInstance {
            try await registry.register(app: "order-service", instanceId: "a", host: "127.0.0.1", port: 8082, status: status)
        }
        let first = try await register()
        XCTAssertNil(first.overriddenStatus)

        let out = try await registry.overrideStatus(app: "order-service", instanceId: "a", status: .outOfService)
        XCTAssertEqual([out.status, out.overriddenStatus], [.outOfService, .outOfService])
        clock.advance(by: 10)
        let again = try await register()
        XCTAssertEqual([again.status, again.overriddenStatus], [.outOfService, .outOfService])
        XCTAssertEqual(again.registeredAt, first.registeredAt)
        XCTAssertEqual(again.lastRenewedAt, clock.now())
        // The instance's own DOWN stands (it knows it cannot serve); the override is still there.
        let down = try await register(.down)
        XCTAssertEqual([down.status, down.overriddenStatus], [.down, .outOfService])
        await assertEqual(try await register().status, .outOfService)
        await assertEqual(try await registry.instances().map(\.overriddenStatus), [.outOfService])

        let removed = try await registry.removeStatusOverride(app: "order-service", instanceId: "a", status: .up)
        XCTAssertEqual(removed.status, .up)
        XCTAssertNil(removed.overriddenStatus)
        await assertEqual(try await register(.outOfService).status, .outOfService)   // its own word, no override
        await assertEqual(try await register().status, .up)

        // An override of UP holds an instance that registers itself OUT_OF_SERVICE in service.
        _ = try await registry.overrideStatus(app: "order-service", instanceId: "a", status: .up)
        await assertEqual(try await register(.outOfService).status, .up)

        // Cancelling ends the override with the instance.
        _ = try await registry.overrideStatus(app: "order-service", instanceId: "a", status: .outOfService)
        try await registry.cancel(app: "order-service", instanceId: "a")
        let fresh = try await register()
        XCTAssertEqual(fresh.status, .up)
        XCTAssertNil(fresh.overriddenStatus)
        // So does eviction.
        _ = try await registry.overrideStatus(app: "order-service", instanceId: "a", status: .outOfService)
        clock.advance(by: 91)
        await assertEqual(try await registry.evictExpired().map(\.instanceId), ["a"])
        await assertEqual(try await register().status, .up)
        await XCTAssertThrowsAppError(.notFound, try await registry.overrideStatus(app: "order-service", instanceId: "b", status: .up))
    }

    /// A registry restarted after its instances' leases ran out gives them a lease to renew in
    /// instead of evicting them on its first listing; one that does not renew goes a lease later.
    func testARestartedRegistryGivesStoredLeasesTimeToRenew() async throws {
        let (stores, clock) = try await freshStores()
        let before = RegistryService(repository: stores.registry, clock: clock, leaseDuration: 20)
        try await before.register(app: "ORDER-SERVICE", instanceId: "live", host: "127.0.0.1", port: 8082)
        try await before.register(app: "ORDER-SERVICE", instanceId: "gone", host: "127.0.0.1", port: 8092)

        clock.advance(by: 25)   // the registry was down past both leases
        let restarted = RegistryService(repository: stores.registry, clock: clock, leaseDuration: 20)
        try await restarted.extendLeasesAfterRestart()
        await assertEqual(try await restarted.instances().map(\.instanceId), ["gone", "live"])
        clock.advance(by: 10)
        try await restarted.renew(app: "ORDER-SERVICE", instanceId: "live")
        clock.advance(by: 15)
        await assertEqual(try await restarted.instances().map(\.instanceId), ["live"])
    }

    /// An instance's own lease (Eureka's `leaseInfo.durationInSecs`) is the one it gets at
    /// registration, at each renewal and after a restart; a request beyond a day is capped.
    func testAnInstancesOwnLeaseIsKeptThroughRenewalsAndRestarts() async throws {
        let (stores, clock) = try await freshStores()
        let registry = RegistryService(repository: stores.registry, clock: clock, leaseDuration: 90)
        try await registry.register(app: "BILLING", instanceId: "long", host: "10.0.0.1", port: 1, leaseDuration: 300,
                                    descriptor: #"{"hostName":"billing"}"#)
        try await registry.register(app: "BILLING", instanceId: "default", host: "10.0.0.2", port: 1)
        let capped = try await registry.register(app: "BILLING", instanceId: "forever", host: "10.0.0.3", port: 1, leaseDuration: 1e9)
        XCTAssertEqual(capped.leaseDuration, RegistryService.longestLease)

        clock.advance(by: 200)
        let renewed = try await registry.renew(app: "BILLING", instanceId: "long")
        XCTAssertEqual(renewed.leaseExpiresAt, clock.now() + 300)
        XCTAssertEqual(renewed.descriptor, #"{"hostName":"billing"}"#, "a renewal keeps the description")
        await assertEqual(try await registry.instances().map(\.instanceId), ["forever", "long"])

        clock.advance(by: 250)   // down past "long"'s 300 s lease: a restart gives it 300 s again
        let restarted = RegistryService(repository: stores.registry, clock: clock, leaseDuration: 90)
        try await restarted.extendLeasesAfterRestart()
        clock.advance(by: 200)
        await assertEqual(try await restarted.instances().map(\.instanceId), ["forever", "long"])
    }

    /// A data dir from before instances kept their own lease and description: its registry
    /// opens, its leases stay, and they renew and list as before.
    func testARegistryFromBeforeOwnLeasesOpensAndRenews() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-reg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/registry.sqlite"
        // What the earlier version created: its one migration, and a lease in it.
        let old = try DatabaseQueue(path: path)
        var v1 = DatabaseMigrator()
        v1.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE instances (app TEXT NOT NULL, instance_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL,
                    status TEXT NOT NULL, registered_at REAL NOT NULL, last_renewed_at REAL NOT NULL, lease_expires_at REAL NOT NULL,
                    PRIMARY KEY (app, instance_id));
                INSERT INTO instances VALUES ('ORDER-SERVICE', 'old', '127.0.0.1', 8082, 'UP', 1000, 1000, 1090);
                INSERT INTO instances VALUES ('ORDER-SERVICE', 'out', '127.0.0.1', 8092, 'OUT_OF_SERVICE', 1000, 1000, 1090);
                """)
        }
        try v1.migrate(old)
        try old.close()

        let clock = ManualClock(Date(timeIntervalSince1970: 1050))
        let registry = RegistryService(repository: try SQLiteRegistryStore(path: path), clock: clock, leaseDuration: 90)
        let listed = try await registry.instances()
        let kept = try XCTUnwrap(listed.first)
        XCTAssertEqual(kept.instanceId, "old")
        XCTAssertNil(kept.leaseDuration)
        XCTAssertNil(kept.descriptor)
        XCTAssertNil(kept.overriddenStatus)
        // Listed as overridden before, an OUT_OF_SERVICE instance stays out through its next registration.
        XCTAssertEqual(listed.last?.overriddenStatus, .outOfService)
        let again = try await registry.register(app: "ORDER-SERVICE", instanceId: "out", host: "127.0.0.1", port: 8092)
        XCTAssertEqual(again.status, .outOfService)
        let renewed = try await registry.renew(app: "ORDER-SERVICE", instanceId: "old")
        XCTAssertEqual(renewed.leaseExpiresAt, clock.now() + 90)
    }

    func testEmbeddedServicesRegisterWhileRunning() async throws {
        let t = try await TestSystem.make()
        let apps = try await t.system.registry.instances().map(\.app)
        XCTAssertEqual(Set(apps), ["AUTH-SERVICE", "ORDER-SERVICE", "PAYMENT-SERVICE"])
        await t.system.stop()
        // A stopped system has released its database: look from a second one on the same data.
        let observer = try await EmbeddedSystem.start(t.configuration(workers: false), logger: TestSystem.quietLogger())
        await assertEqual(try await observer.registry.instances().count, 0)
        await observer.stop()
        try? FileManager.default.removeItem(atPath: t.directory)
    }
}
