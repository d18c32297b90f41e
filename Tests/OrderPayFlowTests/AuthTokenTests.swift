import Crypto
import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayEmbedded
import OrderPayTestSupport
import XCTest

/// Access and refresh tokens: their claims, what is refused, rotation, reuse and logout.
final class AuthTokenTests: AuthTestCase {
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
}
