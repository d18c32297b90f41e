import Foundation
import OrderPayCore

/// Checks, before signing in, that the URL is the gateway's. Pointed at a service's own port
/// (8082 instead of 8000), the console signed in (at the auth service) or failed oddly, and then
/// every pane said "no route": a service serves only its own paths. The gateway is the one that
/// serves `/api/registry`, and refuses it without a token with a Bearer challenge; a service
/// answers 404 there, the registry a Basic challenge (or 404 without credentials).
enum GatewayProbe {
    private struct Document: Decodable {
        struct Info: Decodable { var title: String? }
        var info: Info?
    }

    static func check(_ transport: GatewayTransport) async throws {
        let response = try await transport.exchange("GET", "/api/registry")
        let basic = response.header("WWW-Authenticate")?.lowercased().hasPrefix("basic") ?? false
        guard response.status == 404 || (response.status == 401 && basic) else { return }
        let found = await identify(transport).map { "is the \($0), not the gateway" } ?? "is not the OrderPay gateway (it does not serve /api/registry)"
        throw AppError(.validation, "\(transport.baseURL) \(found): the console needs the gateway's URL (`orderpay up` prints it; by default port 8000)",
                       fieldErrors: [.init(field: "gatewayURL", message: "not the gateway")])
    }

    /// What answers there, by the title of its OpenAPI document ("OrderPay orders service").
    private static func identify(_ transport: GatewayTransport) async -> String? {
        guard let response = try? await transport.exchange("GET", "/openapi.json"), response.isSuccess,
              let title = (try? JSONDecoder().decode(Document.self, from: response.body))?.info?.title,
              title.hasPrefix("OrderPay"), !title.contains("\n") else { return nil }
        return title
    }
}
