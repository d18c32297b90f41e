import Foundation
import OrderPayCore

/// The user and password a registry may require (HTTP Basic) of whoever registers, renews,
/// cancels, overrides or lists, as a Eureka server secured with Spring Security does. Without
/// them anyone who can reach the registry could register a fake AUTH-SERVICE, receive the
/// gateway's traffic and collect users' passwords and tokens.
///
/// Off unless set: `ORDERPAY_REGISTRY_CREDENTIALS=user:password` for the registry and its clients
/// (`up` passes its environment on to every process it starts), or, on a client, in the registry
/// URL as Eureka clients take them (`http://user:password@host:8761`, percent-encoded).
public struct RegistryCredentials: Sendable, Equatable {
    public let user: String
    public let password: String

    public static let environmentVariable = "ORDERPAY_REGISTRY_CREDENTIALS"
    static let rule = "a user without ':' and a password, both non-empty printable ASCII without spaces"

    public init(user: String, password: String) throws {
        guard !user.isEmpty, !password.isEmpty, !user.contains(":"),
              (user + password).unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw AppError(.validation, "registry credentials must be \(Self.rule)")
        }
        self.user = user; self.password = password
    }

    /// `user:password` (the password may hold `:`).
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else { throw AppError(.validation, "registry credentials must be user:password") }
        try self.init(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    /// From `ORDERPAY_REGISTRY_CREDENTIALS`; nil when unset or empty, an error when malformed
    /// (a typo must not leave the registry open).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistryCredentials? {
        guard let text = environment[environmentVariable], !text.isEmpty else { return nil }
        do {
            return try RegistryCredentials(parsing: text)
        } catch {
            throw AppError(.validation, "\(environmentVariable) must be user:password: \(Self.rule)")
        }
    }

    /// The `Authorization` header's value.
    public var basicAuthorization: String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }

    /// Whether an `Authorization` header carries these credentials: the scheme in any case (RFC
    /// 9110 §11.1), the decoded `user:password` compared without an early exit, so the time taken
    /// tells nothing of how much of a guess was right.
    public func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.trimmingHTTPWhitespace().split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Data(base64Encoded: String(parts[1].trimmingHTTPWhitespace())) else { return false }
        let expected = Array("\(user):\(password)".utf8), given = Array(decoded)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        return difference == 0
    }

    /// A registry URL without the credentials in it (for requests and for messages, which must
    /// not show the password), and those credentials. A URL with an `@` in it whose credentials
    /// do not parse (a `#`, `/` or `?` not percent-encoded) is an error naming the URL redacted.
    public static func split(url: String) throws -> (url: String, credentials: RegistryCredentials?) {
        guard let schemeEnd = url.range(of: "://"), url[schemeEnd.upperBound...].contains("@") else { return (url, nil) }
        guard var components = URLComponents(string: url), let user = components.user, components.host?.isEmpty == false else {
            throw AppError(.validation, "the registry URL \(redacted(url)) does not parse: percent-encode its user and password")
        }
        // `user` and `password` are decoded already; decoding again would turn a `%41` into `A`.
        let credentials: RegistryCredentials
        do {
            credentials = try RegistryCredentials(user: user, password: components.password ?? "")
        } catch {
            throw AppError(.validation, "the registry URL \(redacted(url)) has unusable credentials: \(rule)")
        }
        components.user = nil
        components.password = nil
        return (components.string ?? url, credentials)
    }

    /// `http://…@host:8761`: the URL with whatever precedes its last `@` after the scheme hidden.
    public static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.range(of: "@", options: .backwards),
              at.lowerBound >= schemeEnd.upperBound else { return url }
        return String(url[..<schemeEnd.upperBound]) + "…" + String(url[at.lowerBound...])
    }
}
