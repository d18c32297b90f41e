import Foundation
import OrderPayCore
import OrderPayServices
import XCTest

/// An access token outlives a lock, a deactivation, a delete or a demotion by up to its 5
/// minutes; the auth service refuses the changes such a leftover token asks for.
final class LeftoverTokenTests: AuthTestCase {
    func testAProfileEditWithALockedUsersTokenIsRefused() async throws {
        let admin = Actor(try await makeAdmin())
        let alice = try await signup()
        let aliceActor = Actor(alice)
        _ = try await auth.updateProfile(actor: aliceActor, id: alice.id, UpdateProfileRequest(name: "Alice A."))

        try await auth.setStatus(actor: admin, id: alice.id, status: .locked)
        await assertFails(.forbidden, "your account is LOCKED; only an ACTIVE account can edit profiles") {
            try await self.auth.updateProfile(actor: aliceActor, id: alice.id, UpdateProfileRequest(name: "Mallory"))
        }
        let stored = try await auth.user(actor: admin, id: alice.id)
        XCTAssertEqual(stored.name, "Alice A.", "the refused edit changed the profile")
        // Reads stay open to it, and an admin still edits the locked profile.
        _ = try await auth.user(actor: aliceActor, id: alice.id)
        _ = try await auth.updateProfile(actor: admin, id: alice.id, UpdateProfileRequest(name: "Alice B."))

        // Nor a password change, which would hand the account to whoever holds the token.
        await assertFails(.forbidden, "only an ACTIVE account can change passwords") {
            try await self.auth.changePassword(actor: aliceActor, id: alice.id, ChangePasswordRequest(
                currentPassword: "password1", newPassword: "password-new-1", confirmPassword: "password-new-1"))
        }

        try await auth.setStatus(actor: admin, id: alice.id, status: .active)
        _ = try await auth.updateProfile(actor: aliceActor, id: alice.id, UpdateProfileRequest(name: "Alice C."))
        _ = try await auth.login(email: alice.email, password: "password1")
    }

    func testALockedAdminsTokenChangesNobody() async throws {
        let firstUser = try await makeAdmin()
        let first = Actor(firstUser)
        let second = try await makeAdmin("second@example.com")
        let alice = try await signup()
        try await auth.setStatus(actor: first, id: second.id, status: .inactive)
        let leftover = Actor(second)
        await assertFails(.forbidden, "your account is INACTIVE") {
            try await self.auth.setStatus(actor: leftover, id: firstUser.id, status: .locked)
        }
        await assertFails(.forbidden) { try await self.auth.changeRoles(actor: leftover, id: alice.id, roles: [.admin]) }
        await assertFails(.forbidden) { try await self.auth.deleteUser(actor: leftover, id: alice.id) }
        await assertFails(.forbidden) {
            try await self.auth.createUser(actor: leftover, CreateUserRequest(email: "x@example.com", password: "password1", name: "X"))
        }
        let firstNow = try await auth.user(actor: first, id: try XCTUnwrap(first.userId))
        XCTAssertEqual(firstNow.status, .active)
        let aliceNow = try await auth.user(actor: first, id: alice.id)
        XCTAssertEqual(aliceNow.roles, [.user])

        // Deleted: the same, and the command line (no user) is never refused.
        try await auth.deleteUser(actor: first, id: second.id)
        await assertFails(.forbidden, "your account is DELETED") { try await self.auth.deleteUser(actor: leftover, id: alice.id) }
        try await auth.setStatus(actor: system, id: second.id, status: .active)
    }

    /// A demoted admin's token still says ROLE_ADMIN. Were it believed, its holder could give the
    /// role back to themselves and keep it for good; every admin change reads the roles as they are.
    func testADemotedAdminsTokenChangesNobodyAndCannotPromoteItself() async throws {
        let first = Actor(try await makeAdmin())
        let secondUser = try await makeAdmin("second@example.com")
        let alice = try await signup()
        let leftover = Actor(secondUser)
        try await auth.changeRoles(actor: first, id: secondUser.id, roles: [.user])

        let noLonger = "your account is no longer an admin"
        await assertFails(.forbidden, noLonger) { try await self.auth.changeRoles(actor: leftover, id: secondUser.id, roles: [.admin, .user]) }
        await assertFails(.forbidden, noLonger) { try await self.auth.changeRoles(actor: leftover, id: alice.id, roles: [.admin]) }
        await assertFails(.forbidden, noLonger) { try await self.auth.setStatus(actor: leftover, id: alice.id, status: .locked) }
        await assertFails(.forbidden, noLonger) { try await self.auth.deleteUser(actor: leftover, id: alice.id) }
        await assertFails(.forbidden, noLonger) {
            try await self.auth.createUser(actor: leftover, CreateUserRequest(email: "x@example.com", password: "password1", name: "X", roles: [.admin]))
        }
        await assertFails(.forbidden, noLonger) {
            try await self.auth.updateProfile(actor: leftover, id: alice.id, UpdateProfileRequest(name: "Mallory"))
        }
        let secondNow = try await auth.user(actor: first, id: secondUser.id)
        XCTAssertEqual(secondNow.roles, [.user])
        let aliceNow = try await auth.user(actor: first, id: alice.id)
        XCTAssertEqual(aliceNow.status, .active)
        XCTAssertEqual(aliceNow.name, alice.name)
        // Their own profile is still theirs to edit.
        _ = try await auth.updateProfile(actor: leftover, id: secondUser.id, UpdateProfileRequest(name: "Second, demoted"))
    }
}
