import Crypto
import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayEmbedded
import OrderPayTestSupport
import XCTest

/// An auth service on fresh stores with a clock the test moves, and the helpers its tests share.
class AuthTestCase: XCTestCase {
    var directory: URL!
    var stores: ServiceStores!
    var clock: ManualClock!
    var tokens: TokenService!
    var auth: AuthService!
    let secret = "test-secret-that-is-long-enough-for-hs256!"
    let system = Actor.system("tests")

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("auth-tests-\(UUID().uuidString)")
        stores = try await TestEngine.stores(directory: directory.path)
        clock = ManualClock()
        tokens = TokenService(secret: secret, clock: clock)
        auth = AuthService(repository: stores.auth, tokens: tokens, clock: clock, bcryptCost: 4)
    }

    override func tearDownWithError() throws {
        stores?.close()
        auth = nil; tokens = nil; stores = nil
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    @discardableResult
    func signup(_ email: String = "alice@example.com", password: String = "password1",
                        name: String = "Alice") async throws -> User {
        try await auth.signup(SignupRequest(email: email, password: password, name: name))
    }

    func makeAdmin(_ email: String = "admin@example.com") async throws -> User {
        try await auth.createUser(actor: system, CreateUserRequest(
            email: email, password: "adminpass1", name: "Admin", roles: [.admin, .user]))
    }

    func assertFails<T>(_ kind: AppError.Kind, _ message: String? = nil, field: String? = nil,
                                file: StaticString = #filePath, line: UInt = #line,
                                _ body: () async throws -> T) async {
        do {
            _ = try await body()
            XCTFail("expected \(kind) error", file: file, line: line)
        } catch let error as AppError {
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            if let message { XCTAssertTrue(error.message.contains(message), "message was: \(error.message)", file: file, line: line) }
            if let field {
                XCTAssertTrue(error.fieldErrors.contains { $0.field == field }, "fields: \(error.fieldErrors)", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func payload(of jwt: String) throws -> [String: Any] { try part(1, of: jwt) }

    func part(_ index: Int, of jwt: String) throws -> [String: Any] {
        var part = String(jwt.split(separator: ".")[index]).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while part.count % 4 != 0 { part += "=" }
        let data = try XCTUnwrap(Data(base64Encoded: part))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
