import Foundation
import OrderPayCore

/// The user and password a registry may require (HTTP Basic) of whoever registers, renews,
/// cancels, overrides or lists, as a Eureka server secured with Spring Security does. Without
/// them anyone who can reach the registry could register a fake AUTH-SERVICE, receive the
/// gateway's traffic and collect users' passwords and tokens.
///
/// Off unless set: `ORDERPAY_REGISTRY_CREDENTIALS=user:password` for the registry and its clients
/// (`up` passes its environment on to every process it starts), or, on a client, in the registry
/// URL as Eureka clients take them (`http://user:password@host:8761`).
public struct RegistryCredentials: Sendable, Equatable {
    public let user: String
    public let password: String

    public static let environmentVariable = "ORDERPAY_REGISTRY_CREDENTIALS"

    /// `user:password`: a user without `:` and a password, both non-empty and printable ASCII.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw AppError(.validation, "registry credentials must be user:password")
        }
        let user = String(text[..<colon]), password = String(text[text.index(after: colon)...])
        guard !user.isEmpty, !password.isEmpty, (user + password).unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw AppError(.validation, "registry credentials must be user:password, both non-empty printable ASCII without spaces")
        }
        self.user = user; self.password = password
    }

    /// From `ORDERPAY_REGISTRY_CREDENTIALS`; nil when unset or empty, an error when malformed
    /// (a typo must not leave the registry open).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistryCredentials? {
        guard let text = environment[environmentVariable], !text.isEmpty else { return nil }
        do {
            return try RegistryCredentials(parsing: text)
        } catch {
            throw AppError(.validation, "\(environmentVariable) must be user:password, both non-empty printable ASCII without spaces")
        }
    }

    /// The `Authorization` header's value.
    public var basicAuthorization: String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }

    /// Whether an `Authorization` header carries these credentials. Compared without an early
    /// exit, so the time taken tells nothing of how much of a guess was right.
    public func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let expected = Array(basicAuthorization.utf8), given = Array(header.trimmingHTTPWhitespace().utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        return difference == 0
    }

    /// A registry URL without the credentials in it (for requests and for messages, which must
    /// not show the password), and those credentials, percent-decoded.
    public static func split(url: String) -> (url: String, credentials: RegistryCredentials?) {
        guard var components = URLComponents(string: url), let user = components.user, !user.isEmpty else { return (url, nil) }
        let password = components.password ?? ""
        components.user = nil
        components.password = nil
        let bare = components.string ?? url
        let decode = { (text: String) in text.removingPercentEncoding ?? text }
        return (bare, try? RegistryCredentials(parsing: "\(decode(user)):\(decode(password))"))
    }
}
