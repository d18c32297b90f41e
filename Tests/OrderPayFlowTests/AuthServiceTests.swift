import Crypto
import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayEmbedded
import OrderPayTestSupport
import XCTest

final class AuthServiceTests: XCTestCase {
    private var directory: URL!
    private var stores: ServiceStores!
    private var clock: ManualClock!
    private var tokens: TokenService!
    private var auth: AuthService!
    private let secret = "test-secret-that-is-long-enough-for-hs256!"
    private let system = Actor.system("tests")

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
    private func signup(_ email: String = "alice@example.com", password: String = "password1",
                        name: String = "Alice") async throws -> User {
        try await auth.signup(SignupRequest(email: email, password: password, name: name))
    }

    private func makeAdmin(_ email: String = "admin@example.com") async throws -> User {
        try await auth.createUser(actor: system, CreateUserRequest(
            email: email, password: "adminpass1", name: "Admin", roles: [.admin, .user]))
    }

    private func assertFails<T>(_ kind: AppError.Kind, _ message: String? = nil, field: String? = nil,
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

    private func payload(of jwt: String) throws -> [String: Any] { try part(1, of: jwt) }

    private func part(_ index: Int, of jwt: String) throws -> [String: Any] {
        var part = String(jwt.split(separator: ".")[index]).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while part.count % 4 != 0 { part += "=" }
        let data = try XCTUnwrap(Data(base64Encoded: part))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: Signup and login

    func testSignupAndLogin() async throws {
        let user = try await auth.signup(SignupRequest(email: "  Alice@Example.COM ", password: "password1",
                                                       name: " Alice ", phoneNumber: "+49 30 1234", address: "Main St 1"))
        XCTAssertEqual(user.email, "alice@example.com")
        XCTAssertEqual(user.name, "Alice")
        XCTAssertEqual(user.roles, [.user])
        XCTAssertEqual(user.status, .active)
        XCTAssertEqual(user.phoneNumber, "+49 30 1234")

        let pair = try await auth.login(email: "ALICE@example.com", password: "password1")
        XCTAssertEqual(pair.tokenType, "Bearer")
        XCTAssertEqual(pair.expiresIn, 300)
        let actor = try await tokens.verify(pair.accessToken)
        XCTAssertEqual(actor, Actor(userId: user.id, email: "alice@example.com", roles: [.user]))

        let byEmail = try await auth.user(email: "Alice@Example.com")
        XCTAssertEqual(byEmail?.id, user.id)
        let unknown = try await auth.user(email: "nobody@example.com")
        XCTAssertNil(unknown)
        let count = try await auth.countUsers()
        XCTAssertEqual(count, 1)

        await assertFails(.unauthorized, "invalid email or password") { try await self.auth.login(email: "alice@example.com", password: "wrong-pass") }
        await assertFails(.unauthorized, "invalid email or password") { try await self.auth.login(email: "bob@example.com", password: "password1") }
    }

    func testDuplicateEmailIsRejectedCaseInsensitively() async throws {
        try await signup("alice@example.com")
        await assertFails(.conflict, "email already registered") { try await self.signup("ALICE@Example.com") }
        // The store's unique index holds even when the service's pre-check is bypassed.
        await assertFails(.conflict, "email already registered") {
            try await self.stores.auth.insertUser(NewUser(email: "Alice@EXAMPLE.com", passwordHash: "x", name: "Dup", createdAt: Date()))
        }
    }

    func testSignupValidation() async throws {
        await assertFails(.validation, field: "name") { try await self.signup(name: "A") }
        await assertFails(.validation, field: "name") { try await self.signup(name: String(repeating: "n", count: 101)) }
        await assertFails(.validation, field: "password") { try await self.signup(password: "short") }
        await assertFails(.validation, field: "email") { try await self.signup("not-an-email") }
        for refused in ["<script>@y.z", "a\"b@example.com", "a..b@example.com", ".a@example.com", "a@-example.com", "a@example..com",
                        "a\u{202E}moc.elpmaxe@x.com", "a@exa_mple.com", "a@example", "\(String(repeating: "l", count: 65))@example.com"] {
            await assertFails(.validation, field: "email") { try await self.signup(refused) }
        }
        for accepted in ["o'brien+tag@example.co.uk", "user_1@sub-domain.example.org", "josé@exämple.de", "用户@例子.中国"] {
            _ = try await signup(accepted)
        }
        // Bidirectional overrides would reorder what a console or a log shows after them; the
        // direction marks of right-to-left text are fine.
        await assertFails(.validation, field: "name") { try await self.signup(name: "Eve\u{202E}nimda") }
        await assertFails(.validation, field: "name") { try await self.signup(name: "Eve\u{2066}x") }
        _ = try await signup("rtl@example.com", name: "\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{200F} 2")
        // One account however the é was typed (composed or e + combining accent).
        await assertFails(.conflict, "email already registered") { try await self.signup("jose\u{301}@ex\u{E4}mple.de") }
        // A fullwidth look-alike is the same address, not a second account that looks like it.
        await assertFails(.conflict, "email already registered") { try await self.signup("o'brien+tag@ｅxample.co.uk") }
        await assertFails(.validation, field: "phoneNumber") {
            try await self.auth.signup(SignupRequest(email: "a@example.com", password: "password1", name: "Al",
                                                     phoneNumber: String(repeating: "1", count: 21)))
        }
        await assertFails(.validation, field: "address") {
            try await self.auth.signup(SignupRequest(email: "a@example.com", password: "password1", name: "Al",
                                                     address: String(repeating: "a", count: 501)))
        }
        // Control characters would reach terminals and logs as escape sequences.
        await assertFails(.validation, field: "name") { try await self.signup(name: "Eve\u{1B}[2J") }
        await assertFails(.validation, field: "address") {
            try await self.auth.signup(SignupRequest(email: "a@example.com", password: "password1", name: "Al", address: "Elm St\u{7}"))
        }
        await assertFails(.validation, field: "phoneNumber") {
            try await self.auth.signup(SignupRequest(email: "a@example.com", password: "password1", name: "Al", phoneNumber: "12\u{0}34"))
        }
        // Every problem is reported at once.
        do {
            _ = try await auth.signup(SignupRequest(email: "bad", password: "x", name: "A"))
            XCTFail("expected validation error")
        } catch let error as AppError {
            XCTAssertEqual(Set(error.fieldErrors.map(\.field)), ["email", "password", "name"])
        }
        let count = try await auth.countUsers()
        XCTAssertEqual(count, 5, "only the accepted addresses")
    }

    func testUpdateProfile() async throws {
        let user = try await signup()
        let me = Actor(user)
        await assertFails(.validation, field: "name") { try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(name: "A")) }
        await assertFails(.validation, field: "phoneNumber") {
            try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(phoneNumber: String(repeating: "1", count: 21)))
        }
        await assertFails(.validation, field: "address") {
            try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(address: String(repeating: "a", count: 501)))
        }
        await assertFails(.validation, field: "name") { try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(name: "Al\u{9B}31m")) }
        await assertFails(.validation, field: "profileImageUrl") {
            try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(profileImageUrl: "https://x/\u{7F}.png"))
        }
        // A link a client may render as an image: http(s) with a host, or a path on this server.
        // `/\host` leaves the server as `//host` does in a browser; `http://@/x` names no host.
        for link in ["javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/a.png", "https://", "ftp://x/a.png", "/a b.png",
                     "/\\evil.example/a.png", "https:\\\\evil.example/a.png", "http://@/a.png", "https://user@/a.png", "http://:80/a.png", "http://[]/a.png"] {
            await assertFails(.validation, field: "profileImageUrl") {
                try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(profileImageUrl: link))
            }
        }
        let own = try await auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(profileImageUrl: "/api/users/\(user.id)/profile-image"))
        XCTAssertEqual(own.profileImageUrl, "/api/users/\(user.id)/profile-image")
        for link in ["https://user@img.example.com/a.png", "http://[::1]:8080/a.png", "http://img.example.com:8080"] {
            let taken = try await auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(profileImageUrl: link))
            XCTAssertEqual(taken.profileImageUrl, link)
        }

        clock.advance(by: 10)
        let updated = try await auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(
            name: "Alice Smith", phoneNumber: "12345", address: "Elm St 2", profileImageUrl: "https://img.example.com/a.png"))
        XCTAssertEqual(updated.name, "Alice Smith")
        XCTAssertEqual(updated.phoneNumber, "12345")
        XCTAssertEqual(updated.address, "Elm St 2")
        XCTAssertEqual(updated.profileImageUrl, "https://img.example.com/a.png")
        XCTAssertEqual(updated.updatedAt, clock.now())

        // Absent fields are kept; an empty one is cleared.
        let cleared = try await auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(phoneNumber: ""))
        XCTAssertEqual(cleared.name, "Alice Smith")
        XCTAssertNil(cleared.phoneNumber)
        XCTAssertEqual(cleared.address, "Elm St 2")
    }

    func testChangePassword() async throws {
        let user = try await signup()
        let me = Actor(user)
        let session = try await auth.login(email: user.email, password: "password1")

        await assertFails(.validation, field: "confirmPassword") {
            try await self.auth.changePassword(actor: me, id: user.id, ChangePasswordRequest(
                currentPassword: "password1", newPassword: "newpassword1", confirmPassword: "newpassword2"))
        }
        await assertFails(.validation, field: "currentPassword") {
            try await self.auth.changePassword(actor: me, id: user.id, ChangePasswordRequest(
                currentPassword: "wrong-password", newPassword: "newpassword1", confirmPassword: "newpassword1"))
        }
        await assertFails(.validation, field: "newPassword") {
            try await self.auth.changePassword(actor: me, id: user.id, ChangePasswordRequest(
                currentPassword: "password1", newPassword: "short", confirmPassword: "short"))
        }
        await assertFails(.validation, field: "newPassword") {
            try await self.auth.changePassword(actor: me, id: user.id, ChangePasswordRequest(
                currentPassword: "password1", newPassword: "password1", confirmPassword: "password1"))
        }
        let admin = try await makeAdmin()
        await assertFails(.forbidden) {
            try await self.auth.changePassword(actor: Actor(admin), id: user.id, ChangePasswordRequest(
                currentPassword: "password1", newPassword: "newpassword1", confirmPassword: "newpassword1"))
        }

        clock.advance(by: 60)
        try await auth.changePassword(actor: me, id: user.id, ChangePasswordRequest(
            currentPassword: "password1", newPassword: "newpassword1", confirmPassword: "newpassword1"))
        let reloaded = try await auth.user(actor: me, id: user.id)
        XCTAssertEqual(reloaded.lastPasswordChangeAt, clock.now())

        await assertFails(.unauthorized, "revoked") { try await self.auth.refresh(refreshToken: session.refreshToken) }
        await assertFails(.unauthorized, "invalid email or password") { try await self.auth.login(email: user.email, password: "password1") }
        _ = try await auth.login(email: user.email, password: "newpassword1")
    }

    // MARK: Access tokens

    func testAccessTokenClaimsAndExpiry() async throws {
        let user = try await signup()
        let pair = try await auth.login(email: user.email, password: "password1")
        let claims = try payload(of: pair.accessToken)
        let now = clock.now().timeIntervalSince1970
        XCTAssertEqual(claims["sub"] as? String, String(user.id))
        XCTAssertEqual(claims["email"] as? String, "alice@example.com")
        XCTAssertEqual(claims["roles"] as? [String], ["ROLE_USER"])
        XCTAssertEqual(claims["iss"] as? String, "orderpay")
        XCTAssertEqual(claims["iat"] as? Double, now)
        XCTAssertEqual(claims["exp"] as? Double, now + 300)
        XCTAssertNotNil(UUID(uuidString: try XCTUnwrap(claims["jti"] as? String)))
        XCTAssertEqual(try part(0, of: pair.accessToken)["alg"] as? String, "HS256")

        clock.advance(by: 299)
        _ = try await tokens.verify(pair.accessToken)
        clock.advance(by: 1)
        await assertFails(.unauthorized, "access token expired") { try await self.tokens.verify(pair.accessToken) }
    }

    func testTamperedAndForeignTokensAreRejected() async throws {
        let user = try await signup()
        let token = try await tokens.issueAccessToken(for: user)
        let parts = token.split(separator: ".").map(String.init)

        // Claim admin rights by rewriting the payload while keeping the signature.
        let forged = try JSONSerialization.data(withJSONObject: try payload(of: token).merging(["roles": ["ROLE_ADMIN"]]) { $1 })
        let forgedPart = forged.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        await assertFails(.unauthorized, "invalid access token") { try await self.tokens.verify([parts[0], forgedPart, parts[2]].joined(separator: ".")) }

        var signature = Array(parts[2])
        signature[5] = signature[5] == "A" ? "B" : "A"
        await assertFails(.unauthorized, "invalid access token") { try await self.tokens.verify([parts[0], parts[1], String(signature)].joined(separator: ".")) }
        await assertFails(.unauthorized, "invalid access token") { try await self.tokens.verify("not.a.jwt") }
        await assertFails(.unauthorized, "invalid access token") { try await self.tokens.verify("") }

        let otherKey = TokenService(secret: "a-completely-different-secret-value!!", clock: clock)
        let foreign = try await otherKey.issueAccessToken(for: user)
        await assertFails(.unauthorized, "invalid access token") { try await self.tokens.verify(foreign) }
    }

    func testWrongIssuerIsRejected() async throws {
        let user = try await signup()
        let otherIssuer = TokenService(secret: secret, issuer: "someone-else", clock: clock)
        let token = try await otherIssuer.issueAccessToken(for: user)
        await assertFails(.unauthorized, "access token has the wrong issuer") { try await self.tokens.verify(token) }
    }

    func testRoleCheck() async throws {
        let user = try await signup()
        let admin = try await makeAdmin()
        let userToken = try await tokens.issueAccessToken(for: user)
        let adminToken = try await tokens.issueAccessToken(for: admin)

        await assertFails(.forbidden, "ROLE_ADMIN") { try await self.tokens.verify(userToken, requiring: .admin) }
        let asUser = try await tokens.verify(userToken, requiring: .user)
        XCTAssertEqual(asUser.userId, user.id)
        let asAdmin = try await tokens.verify(adminToken, requiring: .admin)
        XCTAssertTrue(asAdmin.isAdmin)
    }

    // MARK: Refresh tokens

    func testRefreshRotation() async throws {
        let user = try await signup()
        let first = try await auth.login(email: user.email, password: "password1")
        XCTAssertEqual(first.refreshToken.count, 43) // 32 bytes, base64url, unpadded
        XCTAssertNil(first.refreshToken.rangeOfCharacter(from: CharacterSet(charactersIn: "+/=")))

        // Only the SHA-256 digest is stored.
        let digest = SHA256.hash(data: Data(first.refreshToken.utf8)).map { String(format: "%02x", $0) }.joined()
        let storedByDigest = try await stores.auth.refreshToken(hash: digest)
        XCTAssertEqual(storedByDigest?.userId, user.id)
        let storedByToken = try await stores.auth.refreshToken(hash: first.refreshToken)
        XCTAssertNil(storedByToken)

        clock.advance(by: 600)
        let second = try await auth.refresh(refreshToken: first.refreshToken)
        XCTAssertNotEqual(second.refreshToken, first.refreshToken)
        _ = try await tokens.verify(second.accessToken)
        let third = try await auth.refresh(refreshToken: second.refreshToken)
        _ = try await tokens.verify(third.accessToken)

        let rotated = try await stores.auth.refreshToken(hash: digest)
        XCTAssertEqual(rotated?.usedAt, clock.now())

        await assertFails(.unauthorized, "invalid refresh token") { try await self.auth.refresh(refreshToken: "made-up") }
        clock.advance(by: 30 * 24 * 3600)
        await assertFails(.unauthorized, "refresh token expired") { try await self.auth.refresh(refreshToken: third.refreshToken) }
    }

    func testReuseRevokesTheWholeFamily() async throws {
        let user = try await signup()
        let first = try await auth.login(email: user.email, password: "password1")
        let otherDevice = try await auth.login(email: user.email, password: "password1")
        let second = try await auth.refresh(refreshToken: first.refreshToken)

        await assertFails(.unauthorized, "already used") { try await self.auth.refresh(refreshToken: first.refreshToken) }
        // The newest token of the family is revoked too, so a thief's rotated copy dies as well.
        await assertFails(.unauthorized, "revoked") { try await self.auth.refresh(refreshToken: second.refreshToken) }
        // Another login (another family) is untouched.
        _ = try await auth.refresh(refreshToken: otherDevice.refreshToken)
    }

    func testLogout() async throws {
        let user = try await signup()
        let first = try await auth.login(email: user.email, password: "password1")
        let second = try await auth.refresh(refreshToken: first.refreshToken)
        // Someone else's access token does not end this session.
        let mallory = Actor(try await signup("mallory@example.com", name: "Mallory"))
        await assertFails(.forbidden, "another account") { try await self.auth.logout(actor: mallory, refreshToken: second.refreshToken) }
        let third = try await auth.refresh(refreshToken: second.refreshToken)
        try await auth.logout(actor: Actor(user), refreshToken: third.refreshToken)
        await assertFails(.unauthorized, "revoked") { try await self.auth.refresh(refreshToken: third.refreshToken) }
        try await auth.logout(actor: Actor(user), refreshToken: third.refreshToken) // idempotent
        await assertFails(.unauthorized, "invalid refresh token") { try await self.auth.logout(actor: Actor(user), refreshToken: "unknown") }
    }

    // MARK: Lockout and status

    func testLockoutAfterFiveWrongPasswords() async throws {
        let user = try await signup()
        for _ in 1...4 {
            await assertFails(.unauthorized, "invalid email or password") { try await self.auth.login(email: user.email, password: "wrong-pass") }
        }
        await assertFails(.unauthorized, "temporarily locked") { try await self.auth.login(email: user.email, password: "wrong-pass") }
        let locked = try await auth.user(actor: Actor(user), id: user.id)
        XCTAssertEqual(locked.lockedUntil, clock.now() + 15 * 60)

        await assertFails(.unauthorized, "try again in 15 minutes") { try await self.auth.login(email: user.email, password: "password1") }
        clock.advance(by: 14 * 60 + 30)
        await assertFails(.unauthorized, "try again in 1 minute") { try await self.auth.login(email: user.email, password: "password1") }
        clock.advance(by: 30)
        _ = try await auth.login(email: user.email, password: "password1")
        let unlocked = try await auth.user(actor: Actor(user), id: user.id)
        XCTAssertNil(unlocked.lockedUntil)

        // A success resets the counter: four failures, a success, four more do not lock.
        for _ in 1...4 { _ = try? await auth.login(email: user.email, password: "wrong-pass") }
        _ = try await auth.login(email: user.email, password: "password1")
        for _ in 1...4 { _ = try? await auth.login(email: user.email, password: "wrong-pass") }
        _ = try await auth.login(email: user.email, password: "password1")
    }

    func testLockedInactiveAndDeletedAccountsCannotLogIn() async throws {
        let admin = Actor(try await makeAdmin())
        let user = try await signup()
        let session = try await auth.login(email: user.email, password: "password1")

        let locked = try await auth.setStatus(actor: admin, id: user.id, status: .locked)
        XCTAssertEqual(locked.status, .locked)
        await assertFails(.unauthorized, "account is locked") { try await self.auth.login(email: user.email, password: "password1") }
        // Wrong password does not reveal the status.
        await assertFails(.unauthorized, "invalid email or password") { try await self.auth.login(email: user.email, password: "wrong-pass") }
        await assertFails(.unauthorized) { try await self.auth.refresh(refreshToken: session.refreshToken) }

        try await auth.setStatus(actor: admin, id: user.id, status: .inactive)
        await assertFails(.unauthorized, "account is inactive") { try await self.auth.login(email: user.email, password: "password1") }

        try await auth.setStatus(actor: admin, id: user.id, status: .active)
        let again = try await auth.login(email: user.email, password: "password1")

        try await auth.deleteUser(actor: admin, id: user.id)
        let deleted = try await auth.user(actor: admin, id: user.id)
        XCTAssertEqual(deleted.status, .deleted)
        await assertFails(.unauthorized, "account is deleted") { try await self.auth.login(email: user.email, password: "password1") }
        await assertFails(.unauthorized, "revoked") { try await self.auth.refresh(refreshToken: again.refreshToken) }

        // Admins cannot lock themselves out.
        await assertFails(.forbidden) { try await self.auth.deleteUser(actor: admin, id: admin.userId!) }
        await assertFails(.forbidden) { try await self.auth.setStatus(actor: admin, id: admin.userId!, status: .locked) }
    }

    // MARK: Authorization

    func testNonAdminCannotAdminister() async throws {
        let user = try await signup()
        let other = try await signup("bob@example.com", name: "Bob")
        let me = Actor(user)

        await assertFails(.forbidden) { try await self.auth.listUsers(actor: me, filter: UserFilter(), page: PageRequest()) }
        await assertFails(.forbidden) {
            try await self.auth.createUser(actor: me, CreateUserRequest(email: "eve@example.com", password: "password1", name: "Eve", roles: [.admin]))
        }
        await assertFails(.forbidden) { try await self.auth.changeRoles(actor: me, id: user.id, roles: [.admin]) }
        await assertFails(.forbidden) { try await self.auth.setStatus(actor: me, id: other.id, status: .locked) }
        await assertFails(.forbidden) { try await self.auth.deleteUser(actor: me, id: other.id) }
        let reloaded = try await auth.user(actor: me, id: user.id)
        XCTAssertEqual(reloaded.roles, [.user])
    }

    func testUserCannotReadOrEditAnotherUser() async throws {
        let alice = try await signup()
        let bob = try await signup("bob@example.com", name: "Bob")
        let admin = Actor(try await makeAdmin())

        await assertFails(.notFound) { try await self.auth.user(actor: Actor(alice), id: bob.id) }
        await assertFails(.notFound) { try await self.auth.user(actor: Actor(alice), id: 9_999) }
        await assertFails(.notFound) { try await self.auth.updateProfile(actor: Actor(alice), id: bob.id, UpdateProfileRequest(name: "Hacked")) }
        let me = try await auth.user(actor: Actor(alice), id: alice.id)
        XCTAssertEqual(me, alice)
        let seenByAdmin = try await auth.user(actor: admin, id: bob.id)
        XCTAssertEqual(seenByAdmin.email, "bob@example.com")
        await assertFails(.notFound) { try await self.auth.user(actor: admin, id: 9_999) }
    }

    func testAdminCreatesListsAndChangesRoles() async throws {
        let admin = Actor(try await makeAdmin())
        clock.advance(by: 1)
        let created = try await auth.createUser(actor: admin, CreateUserRequest(
            email: "Carol@Example.com", password: "password1", name: "Carol", roles: [.admin], status: .inactive))
        XCTAssertEqual(created.roles, [.admin])
        XCTAssertEqual(created.status, .inactive)
        clock.advance(by: 1)
        let dave = try await signup("dave@example.com", name: "Dave Jones")
        clock.advance(by: 1)
        try await signup("erin@sample.org", name: "Erin")

        let all = try await auth.listUsers(actor: admin, filter: UserFilter(), page: PageRequest(page: 0, size: 3))
        XCTAssertEqual(all.content.map(\.email), ["erin@sample.org", "dave@example.com", "carol@example.com"])
        XCTAssertEqual(all.totalElements, 4)
        XCTAssertEqual(all.totalPages, 2)

        let byText = try await auth.listUsers(actor: admin, filter: UserFilter(text: "JONES"), page: PageRequest())
        XCTAssertEqual(byText.content.map(\.id), [dave.id])
        let byEmailText = try await auth.listUsers(actor: admin, filter: UserFilter(text: "EXAMPLE"), page: PageRequest())
        XCTAssertEqual(byEmailText.totalElements, 3)
        let admins = try await auth.listUsers(actor: admin, filter: UserFilter(role: .admin), page: PageRequest())
        XCTAssertEqual(admins.totalElements, 2)
        let inactive = try await auth.listUsers(actor: admin, filter: UserFilter(status: .inactive), page: PageRequest())
        XCTAssertEqual(inactive.content.map(\.id), [created.id])
        // Search text is bounded (SQL LIKE refuses very long patterns) and printable.
        let longest = try await auth.listUsers(actor: admin, filter: UserFilter(text: String(repeating: "%", count: 100)), page: PageRequest())
        XCTAssertEqual(longest.totalElements, 0)
        await assertFails(.validation, field: "q") {
            try await self.auth.listUsers(actor: admin, filter: UserFilter(text: String(repeating: "_", count: 101)), page: PageRequest())
        }
        await assertFails(.validation, field: "q") { try await self.auth.listUsers(actor: admin, filter: UserFilter(text: "da\u{0}ve"), page: PageRequest()) }

        await assertFails(.validation, field: "roles") { try await self.auth.changeRoles(actor: admin, id: dave.id, roles: []) }
        let promoted = try await auth.changeRoles(actor: admin, id: dave.id, roles: [.user, .admin, .user])
        XCTAssertEqual(promoted.roles, [.admin, .user])
        let pair = try await auth.login(email: "dave@example.com", password: "password1")
        let actor = try await tokens.verify(pair.accessToken, requiring: .admin)
        XCTAssertEqual(actor.userId, dave.id)
        let count = try await auth.countUsers()
        XCTAssertEqual(count, 4)
    }
}
