import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/products`: the catalog. Anyone signed in reads it; admins change it.
public func addProductRoutes(to api: APIRouter, orders: OrderService, tokens: TokenService) {
    let tag = "products", user = RouteAccess.user(tokens), admin = RouteAccess.admin(tokens)
    api.on(RouteDescriptor(method: .get, path: "/api/products", tag: tag, summary: "The catalog", access: user,
                           response: .jsonArray("Product"),
                           query: [ParameterDoc("includeInactive", .boolean, "also list retired products")])) { request, _ in
        try .json(try await orders.products(includeInactive: try request.queryBool("includeInactive") ?? false))
    }
    api.on(RouteDescriptor(method: .get, path: "/api/products/{id}", tag: tag, summary: "One product", access: user,
                           response: .json("Product"))) { _, context in
        try .json(try await orders.product(id: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .post, path: "/api/products", tag: tag, summary: "Add a product", access: admin,
                           body: "ProductRequest", response: .json("Product", status: 201))) { request, context in
        let body = try await request.decodeJSON(ProductRequest.self, context: context)
        let product = try await orders.createProduct(actor: try context.requireActor(), sku: body.sku, name: body.name,
                                                     unitPrice: body.unitPrice, active: body.active ?? true)
        return try .json(product, status: .created)
    }
    api.on(RouteDescriptor(method: .put, path: "/api/products/{id}", tag: tag, summary: "Replace a product", access: admin,
                           body: "ProductRequest", response: .json("Product"))) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSON(ProductRequest.self, context: context)
        let active = try await body.active.asyncOr { try await orders.product(id: id).active }
        let product = Product(id: id, sku: body.sku, name: body.name, unitPrice: body.unitPrice, active: active)
        return try .json(try await orders.updateProduct(actor: try context.requireActor(), product))
    }
}

extension Optional {
    /// `self ?? fallback()` for a fallback that must await.
    func asyncOr(_ fallback: () async throws -> Wrapped) async rethrows -> Wrapped {
        if let value = self { return value }
        return try await fallback()
    }
}
