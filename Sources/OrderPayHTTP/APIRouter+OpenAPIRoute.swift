import Foundation
import Hummingbird

/// `GET /openapi.json` (public): the OpenAPI 3.1 description of every route mounted on `api`,
/// built at request time from its route table, so routes mounted after this call are included.
public func addOpenAPIRoute(to api: APIRouter, title: String = "OrderPay API", version: String = "1.0.0") {
    let table = api.table
    api.on(RouteDescriptor(method: .get, path: "/openapi.json", tag: "operations", summary: "This API's OpenAPI 3.1 description",
                           access: .anonymous,
                           response: .text(contentType: "application/json", description: "an OpenAPI 3.1 document"))) { _, _ in
        try .json(OpenAPIDocument.build(routes: table.routes, title: title, version: version))
    }
}
