import AsyncHTTPClient
import Foundation
import NIOCore
import OrderPayCore
import OrderPayGateway
import OrderPayServices

/// The accounts as the auth service knows them, for `orderpay serve orders`, which keeps none of
/// its own: `GET /api/users/{id}` with the admin's own token (the auth service checks it again),
/// at each instance the registry lists as UP (read as the gateway reads it) until one answers.
struct RemoteAccountDirectory: AccountDirectory {
    let services: ServiceDirectory
    var http: HTTPClient = .shared
    var timeout: TimeAmount = .seconds(5)

    private struct Account: Decodable {
        let status: UserStatus
    }

    func status(ofUser id: Int64, callerToken: String?) async throws -> UserStatus? {
        guard let callerToken else { throw AppError(.unavailable, "cannot check user \(id) with the auth service: no caller token") }
        try await services.refresh()
        let instances = services.candidates(for: ServiceKind.auth.appName)
        guard !instances.isEmpty else { throw AppError(.unavailable, "cannot check user \(id): no auth-service instance is up") }
        var failure = ""
        for instance in instances {
            var request = HTTPClientRequest(url: instance.baseURL + "/api/users/\(id)")
            request.headers.add(name: "Authorization", value: "Bearer \(callerToken)")
            request.headers.add(name: "Accept", value: "application/json")
            do {
                let response = try await http.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: 1 << 20)
                switch response.status {
                case .ok: return try JSONCoding.decoder.decode(Account.self, from: Data(buffer: body)).status
                case .notFound: return nil
                default: failure = "HTTP \(response.status.code)"
                }
            } catch {
                failure = "\(error)"
            }
        }
        throw AppError(.unavailable, "cannot check user \(id) with the auth service (\(failure))")
    }
}
