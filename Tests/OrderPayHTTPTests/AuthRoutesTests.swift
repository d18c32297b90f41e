import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

final class AuthRoutesTests: XCTestCase {
    func testSignupLoginAndLogout() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let signup = try await client.call(.post, "/api/auth/signup",
                                               body: SignupRequest(email: "new@example.com", password: "password-9", name: "New User"))
            XCTAssertEqual(signup.status, .created, signup.text)
            let user = try signup.decode(User.self)
            XCTAssertEqual(user.email, "new@example.com")
            XCTAssertEqual(user.roles, [.user])
            XCTAssertFalse(signup.text.contains("password"), "no password or hash may leave the server")

            let pair = try await client.login("new@example.com", password: "password-9")
            XCTAssertEqual(pair.tokenType, "Bearer")
            XCTAssertEqual(pair.expiresIn, 300)
            let body = try await client.call(.post, "/api/auth/login", json: #"{"email":"new@example.com","password":"password-9"}"#).json()
            XCTAssertEqual(Set(body.keys), ["accessToken", "refreshToken", "tokenType", "expiresIn"])

            let me = try await client.call(.get, "/api/users/me", token: pair.accessToken)
            XCTAssertEqual(try me.decode(User.self).id, user.id)

            let logout = try await client.call(.post, "/api/auth/logout", token: pair.accessToken,
                                               body: RefreshTokenRequest(refreshToken: pair.refreshToken))
            XCTAssertEqual(logout.status, .noContent)
            XCTAssertEqual(logout.body.readableBytes, 0)
            try await client.call(.post, "/api/auth/refresh", body: RefreshTokenRequest(refreshToken: pair.refreshToken))
                .problem(401, containing: "revoked")
        }
    }

    func testSignupValidationAndDuplicates() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let invalid = try await client.call(.post, "/api/auth/signup", json: #"{"email":"nope","password":"short","name":"X"}"#)
            let problem = try invalid.problem(422)
            XCTAssertEqual(Set(problem.errors.map(\.field)), ["email", "password", "name"])
            XCTAssertEqual(problem.title, "Validation failed")

            try await client.call(.post, "/api/auth/signup", body: SignupRequest(email: "KIM@example.com", password: "password-1", name: "Kim"))
                .problem(409, containing: "already registered")
            try await client.call(.post, "/api/auth/signup", json: #"{"email":"a@b.co","password":"password-1"}"#)
                .problem(400, containing: "name")
        }
    }

    /// The duplicate-key check reads a body of many keys in one pass (it once copied its key set
    /// per key: a 1.8 MB body took most of a minute).
    func testABodyOfManyUnknownKeysIsReadOnce() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let junk = (0..<100_000).map { "\"k\($0)\":0" }.joined(separator: ",")
            let body = #"{"email":"\#(t.customer.email)","password":"\#(HTTPTestSystem.password)",\#(junk)}"#
            let response = try await client.call(.post, "/api/auth/login", json: body)
            XCTAssertEqual(response.status, .ok, String(response.text.prefix(300)))
            try await client.call(.post, "/api/auth/login", json: #"{"email":"a@b.c",\#(junk),"k99999":1,"password":"x"}"#)
                .problem(400, containing: "field 'k99999' appears twice")
        }
    }

    func testWrongPasswordIs401WithChallenge() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let response = try await client.call(.post, "/api/auth/login", body: LoginRequest(email: t.customer.email, password: "wrong-password"))
            try response.problem(401, containing: "invalid email or password")
            XCTAssertEqual(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer"), true)
        }
    }

    /// With every place for password checks taken, a login is refused at once with 503 and
    /// Retry-After, not queued; once a place frees up, it goes through.
    func testLoginsBeyondThePasswordCheckLimitGet503() async throws {
        struct Busy: Error {}
        let gate = AdmissionGate(limit: 1)
        let t = try await HTTPTestSystem.make(passwordGate: gate)
        try await t.test { client in
            let (release, releaser) = AsyncStream<Void>.makeStream()
            let (held, holder) = AsyncStream<Void>.makeStream()
            let holding = Task {
                try await gate.run(refusal: { Busy() }) {
                    holder.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            let refused = try await client.call(.post, "/api/auth/login", body: LoginRequest(email: t.customer.email, password: HTTPTestSystem.password))
            try refused.problem(503, containing: "too many password checks")
            XCTAssertEqual(refused.headers[.retryAfter], "1")
            // Unknown emails take the same path (a dummy check), so they are refused alike.
            try await client.call(.post, "/api/auth/login", body: LoginRequest(email: "nobody@example.com", password: "whatever1"))
                .problem(503)

            releaser.yield()
            try await holding.value
            let pair = try await client.login(t.customer.email)
            XCTAssertFalse(pair.accessToken.isEmpty)
        }
    }

    func testRefreshRotatesAndReuseRevokesTheFamily() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let first = try await client.login(t.customer.email)
            let second = try await client.call(.post, "/api/auth/refresh", body: RefreshTokenRequest(refreshToken: first.refreshToken))
            XCTAssertEqual(second.status, .ok, second.text)
            let rotated = try second.decode(TokenPair.self)
            XCTAssertNotEqual(rotated.refreshToken, first.refreshToken)
            let me = try await client.call(.get, "/api/users/me", token: rotated.accessToken)
            XCTAssertEqual(me.status, .ok)

            // The old token again: reuse. It is refused and the newer token dies with it.
            try await client.call(.post, "/api/auth/refresh", body: RefreshTokenRequest(refreshToken: first.refreshToken))
                .problem(401, containing: "already used")
            try await client.call(.post, "/api/auth/refresh", body: RefreshTokenRequest(refreshToken: rotated.refreshToken))
                .problem(401, containing: "revoked")
        }
    }

    func testProtectedRoutesNeedAValidBearerToken() async throws {
        let t = try await HTTPTestSystem.make()
        let expired = try await TokenService(secret: HTTPTestSystem.jwtSecret, clock: ManualClock(Date() - 3600))
            .issueAccessToken(for: t.customer)
        let foreignIssuer = try await TokenService(secret: HTTPTestSystem.jwtSecret, issuer: "someone-else", clock: SystemClock())
            .issueAccessToken(for: t.customer)
        let otherSecret = try await TokenService(secret: "another-secret-another-secret-0123456789", clock: SystemClock())
            .issueAccessToken(for: t.admin)
        try await t.test { client in
            let missing = try await client.call(.get, "/api/orders")
            try missing.problem(401, containing: "missing bearer token")
            XCTAssertEqual(missing.headers[.wwwAuthenticate], #"Bearer realm="orderpay""#)

            let valid = try await client.token(t.customer)
            var parts = valid.split(separator: ".").map(String.init)
            // Flip the payload to claim another subject, keeping the original signature.
            let payload = Data(base64URL: parts[1])!
            let forged = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "\"sub\":\"\(t.customer.id)\"", with: "\"sub\":\"\(t.admin.id)\"")
            parts[1] = Data(forged.utf8).base64URLEncoded
            let tampered = parts.joined(separator: ".")

            for (token, detail) in [(expired, "expired"), (tampered, "invalid"), (foreignIssuer, "issuer"), (otherSecret, "invalid"),
                                    ("not-a-jwt", "invalid")] {
                let response = try await client.call(.get, "/api/orders", token: token)
                try response.problem(401, containing: detail)
                XCTAssertEqual(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#), true)
            }
            try await client.call(.get, "/api/orders", headers: [.authorization: "Basic a2ltOnB3"]).problem(401, containing: "Bearer")
            let ok = try await client.call(.get, "/api/orders", token: valid)
            XCTAssertEqual(ok.status, .ok)
        }
    }

    func testLogoutNeedsAnAccessToken() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let pair = try await client.login(t.customer.email)
            try await client.call(.post, "/api/auth/logout", body: RefreshTokenRequest(refreshToken: pair.refreshToken)).problem(401)
        }
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }

    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
