import Crypto
import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayEmbedded
import OrderPayTestSupport
import XCTest

final class AuthServiceTests: AuthTestCase {
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
                     "/\\evil.example/a.png", "https:\\\\evil.example/a.png", "http://@/a.png", "https://user@/a.png", "http://:80/a.png", "http://[]/a.png",
                     "https://evil.example:99999/x", "https://evil.example:-1/x", "https://evil.example:/x", "http://[::1/x",
                     "https://./x", "https://ev\u{AD}il.example/x",
                     // What the published pattern has no room for: user-info (one host shown, another
                     // loaded), an IP literal, a query or fragment straight after the host.
                     "https://user@img.example.com/a.png", "http://[::1]:8080/a.png", "https://img.example.com?x", "https://img.example.com#x"] {
            await assertFails(.validation, field: "profileImageUrl") {
                try await self.auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(profileImageUrl: link))
            }
        }
        let own = try await auth.updateProfile(actor: me, id: user.id, UpdateProfileRequest(profileImageUrl: "/api/users/\(user.id)/profile-image"))
        XCTAssertEqual(own.profileImageUrl, "/api/users/\(user.id)/profile-image")
        for link in ["http://img.example.com:8080", "https://img.example.com:65535/a.png"] {
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

    /// The CLI's operator (no user of its own) could delete, lock or demote the only admin, and
    /// leave nobody to manage users over HTTP. Not the last active one; any other, yes.
    func testTheLastActiveAdminCannotBeRemoved() async throws {
        let only = try await makeAdmin()
        let operatorActor = Actor(userId: nil, email: "cli:operator", roles: [.admin])
        for attempt in [{ try await self.auth.deleteUser(actor: operatorActor, id: only.id) },
                        { _ = try await self.auth.setStatus(actor: operatorActor, id: only.id, status: .locked) },
                        { _ = try await self.auth.setStatus(actor: operatorActor, id: only.id, status: .inactive) },
                        { _ = try await self.auth.changeRoles(actor: operatorActor, id: only.id, roles: [.user]) }] as [() async throws -> Void] {
            await assertFails(.conflict, "is the last active admin") { try await attempt() }
        }
        let stillAdmin = try await auth.user(actor: operatorActor, id: only.id)
        XCTAssertEqual(stillAdmin.status, .active)
        XCTAssertTrue(stillAdmin.roles.contains(.admin))

        // With a second active admin, either may go.
        let second = try await signup("second@example.com", name: "Second")
        _ = try await auth.changeRoles(actor: operatorActor, id: second.id, roles: [.admin])
        _ = try await auth.changeRoles(actor: operatorActor, id: only.id, roles: [.user])
        await assertFails(.conflict, "is the last active admin") { try await self.auth.deleteUser(actor: operatorActor, id: second.id) }
        // A user who is not an admin is never held back by the rule.
        try await auth.deleteUser(actor: operatorActor, id: only.id)
    }

    /// Two admins demoting each other at the same instant, with no third: each alone would pass
    /// the rule. The store checks and writes in one step, so one wins, the other gets 409, and
    /// one active admin always remains.
    func testTwoAdminsDemotingEachOtherAtOnceLeaveOneAdmin() async throws {
        let operatorActor = Actor(userId: nil, email: "cli:operator", roles: [.admin])
        var survivor = try await makeAdmin()
        for round in 0..<12 {
            let x = try await signup("x\(round)@example.com", name: "Xavier"), y = try await signup("y\(round)@example.com", name: "Yvonne")
            for user in [x, y] { _ = try await auth.changeRoles(actor: operatorActor, id: user.id, roles: [.admin]) }
            _ = try await auth.changeRoles(actor: operatorActor, id: survivor.id, roles: [.user])
            let asX = Actor(userId: x.id, email: x.email, roles: [.admin]), asY = Actor(userId: y.id, email: y.email, roles: [.admin])
            async let xDemotesY = Self.outcome { try await self.auth.changeRoles(actor: asX, id: y.id, roles: [.user]) }
            async let yDemotesX = Self.outcome { try await self.auth.changeRoles(actor: asY, id: x.id, roles: [.user]) }
            let outcomes = await [xDemotesY, yDemotesX]
            let refused = outcomes.filter { if case .failure(let error) = $0 { return (error as? AppError)?.kind == .conflict } else { return false } }
            XCTAssertEqual(refused.count, 1, "round \(round): exactly one of the two demotions is refused: \(outcomes)")
            let admins = try await auth.listUsers(actor: operatorActor, filter: UserFilter(status: .active, role: .admin), page: PageRequest())
            XCTAssertEqual(admins.totalElements, 1, "round \(round): one active admin remains")
            guard let remaining = admins.content.first else { return }
            survivor = remaining
        }
    }

    private static func outcome<T>(_ body: () async throws -> T) async -> Result<T, Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }
}
