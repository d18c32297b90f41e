import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// A wrong current password in a password change counts toward the login lockout: the same
/// counter, threshold and lock. Else a stolen access token could guess the password at the
/// rate limit.
final class PasswordChangeLockoutTests: AuthTestCase {
    private var user: User!

    override func setUp() async throws {
        try await super.setUp()
        user = try await signup()
    }

    private func change(from current: String, to new: String = "new-password1") async throws {
        try await auth.changePassword(actor: Actor(user), id: user.id,
                                      ChangePasswordRequest(currentPassword: current, newPassword: new, confirmPassword: new))
    }

    func testFiveWrongCurrentPasswordsLockTheAccountAsLoginDoes() async throws {
        for attempt in 1...4 {
            await assertFails(.validation, "current password is incorrect") { try await self.change(from: "guess\(attempt)xx") }
        }
        await assertFails(.forbidden, "temporarily locked after too many wrong passwords; try again in 15 minutes") {
            try await self.change(from: "guess5xx")
        }
        await assertEqual(try await auth.user(actor: Actor(user), id: user.id).lockedUntil, clock.now() + 15 * 60)
        // Locked: the right password is refused too, here and at login, until the lock passes.
        await assertFails(.forbidden, "temporarily locked") { try await self.change(from: "password1") }
        await assertFails(.unauthorized, "temporarily locked") { _ = try await self.auth.login(email: "alice@example.com", password: "password1") }
        clock.advance(by: 15 * 60)
        try await change(from: "password1")
        _ = try await auth.login(email: "alice@example.com", password: "new-password1")
    }

    func testWrongPasswordsAtLoginAndInAChangeShareOneCounter() async throws {
        for _ in 1...3 {
            await assertFails(.unauthorized, "invalid email or password") { _ = try await self.auth.login(email: "alice@example.com", password: "wrong-pass") }
        }
        await assertFails(.validation, "current password is incorrect") { try await self.change(from: "wrong-pass") }
        // The fifth wrong password, at login, locks.
        await assertFails(.unauthorized, "temporarily locked") { _ = try await self.auth.login(email: "alice@example.com", password: "wrong-pass") }
        await assertFails(.forbidden, "try again in 15 minutes") { try await self.change(from: "password1") }
    }

    func testARightCurrentPasswordClearsTheCount() async throws {
        for _ in 1...4 {
            await assertFails(.validation, "current password is incorrect") { try await self.change(from: "wrong-pass") }
        }
        try await change(from: "password1")
        for _ in 1...4 {
            await assertFails(.validation, "current password is incorrect") { try await self.change(from: "wrong-pass", to: "newer-password1") }
        }
        // Four after the success: not locked.
        try await change(from: "new-password1", to: "newer-password1")
        let after = try await auth.user(actor: Actor(user), id: user.id)
        XCTAssertNil(after.lockedUntil)
    }

    /// Guesses sent at once are counted before their passwords are checked: four are told
    /// "wrong", the fifth locks, the rest meet the lock unchecked (all of them were checked
    /// against a lock read before any had failed, and a dozen got "wrong").
    func testConcurrentGuessesGetNoMoreThanFiveChecks() async throws {
        let outcomes = await withTaskGroup(of: String.self) { group in
            for attempt in 0..<12 {
                group.addTask {
                    do {
                        _ = try await self.auth.login(email: "alice@example.com", password: "guess-\(attempt)")
                        return "in"
                    } catch let error as AppError {
                        return error.message.contains("temporarily locked") ? "locked" : "wrong"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.filter { $0 == "wrong" }.count, 4, "\(outcomes)")
        XCTAssertEqual(outcomes.filter { $0 == "locked" }.count, 8, "\(outcomes)")
        await assertFails(.unauthorized, "temporarily locked") { _ = try await self.auth.login(email: "alice@example.com", password: "password1") }
    }

    /// A change refused before any password is checked (a malformed new password) does not count.
    func testARefusedNewPasswordDoesNotCount() async throws {
        for _ in 1...6 {
            await assertFails(.validation, "password must be at least 8 characters") { try await self.change(from: "wrong-pass", to: "short") }
        }
        try await change(from: "password1")
    }
}
