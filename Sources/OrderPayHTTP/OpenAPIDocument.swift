import Foundation

/// Builds an OpenAPI 3.1 document from route descriptors: the same table that mounted the routes.
public enum OpenAPIDocument {
    public static func build(routes: [RouteDescriptor], title: String, version: String) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in routes {
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = operation(route)
        }
        let problem: JSONValue = ["description": "a problem (RFC 9457)",
                                  "content": ["application/problem+json": ["schema": OpenAPISchemas.ref("Problem")]]]
        return [
            "openapi": "3.1.0",
            "info": ["title": .string(title), "version": .string(version)],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "schemas": .object(OpenAPISchemas.all),
                "responses": ["Problem": problem],
                "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
            ],
        ]
    }

    static func operation(_ route: RouteDescriptor) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(operationId(route)),
            "summary": .string(route.summary),
            "tags": [.string(route.tag)],
            "responses": .object(responses(route)),
            "x-access": .string(route.access.name),
        ]
        var parameters: [JSONValue] = route.pathParameters.map { name in
            let schema: JSONValue = route.pathValues[name].map(OpenAPISchemas.enumeration) ?? OpenAPISchemas.pathID
            return ["name": .string(name), "in": "path", "required": true, "schema": schema]
        }
        parameters += route.query.map { parameter($0, in: "query") }
        parameters += route.headers.map { parameter($0, in: "header") }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let details = route.details { operation["description"] = .string(details) }
        if let body = route.body {
            operation["requestBody"] = ["required": .bool(route.bodyRequired),
                                        "content": .object([route.bodyContentType: ["schema": OpenAPISchemas.ref(body)]])]
        }
        switch route.access {
        case .anonymous: operation["security"] = []
        case .user, .admin: operation["security"] = [["bearerAuth": []]]
        }
        return .object(operation)
    }

    static func responses(_ route: RouteDescriptor) -> [String: JSONValue] {
        var responses: [String: JSONValue] = ["default": ["$ref": "#/components/responses/Problem"]]
        let status = String(route.response.status)
        switch route.response {
        case .json(let schema, _):
            responses[status] = ["description": "success", "content": ["application/json": ["schema": OpenAPISchemas.ref(schema)]]]
        case .jsonArray(let schema, _):
            responses[status] = ["description": "success",
                                 "content": ["application/json": ["schema": OpenAPISchemas.array(OpenAPISchemas.ref(schema))]]]
        case .empty:
            responses[status] = ["description": "done, no content"]
        case .text(let contentType, let description):
            // A JSON document without a component schema of its own (this API's description) is an object.
            let type: JSONValue = contentType.hasSuffix("json") ? "object" : "string"
            responses[status] = ["description": .string(description), "content": [contentType: ["schema": ["type": type]]]]
        case .binary(let contentTypes, let description):
            let binary: JSONValue = ["schema": ["type": "string", "format": "binary"]]
            responses[status] = ["description": .string(description),
                                 "content": .object(Dictionary(uniqueKeysWithValues: contentTypes.map { ($0, binary) }))]
        }
        if let also = route.alsoAnswers, case .object(var alternative) = responses[status] {
            alternative["description"] = .string(also.description)
            responses[String(also.status)] = .object(alternative)
        }
        var problems: [String] = []
        if route.body != nil || !route.pathParameters.isEmpty || !route.query.isEmpty { problems.append("400") }
        switch route.access {
        case .anonymous: break
        case .user: problems.append("401")
        case .admin: problems += ["401", "403"]
        }
        if !route.pathParameters.isEmpty { problems.append("404") }
        if route.body != nil { problems += ["413", "415", "422"] }
        // Any write can meet a state that refuses it (a status, a duplicate) or a concurrent change.
        if route.method != .get { problems.append("409") }
        for code in problems { responses[code] = ["$ref": "#/components/responses/Problem"] }
        for (code, when) in route.problems {
            responses[String(code)] = ["description": .string(when),
                                       "content": ["application/problem+json": ["schema": OpenAPISchemas.ref("Problem")]]]
        }
        return responses
    }

    static func parameter(_ doc: ParameterDoc, in location: String) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string(doc.kind.rawValue)]
        switch doc.kind {
        case .integer:
            let range = doc.range ?? Int(Int64.min)...Int(Int64.max)
            schema["format"] = "int64"
            schema["minimum"] = .integer(range.lowerBound)
            schema["maximum"] = .integer(range.upperBound)
        case .string where !doc.allowed.isEmpty:
            schema["enum"] = .array(doc.allowed.map(JSONValue.string))
        case .string:
            schema["pattern"] = .string(doc.pattern ?? OpenAPISchemas.printablePattern)
        case .boolean:
            break
        }
        if let maxLength = doc.maxLength { schema["maxLength"] = .integer(maxLength) }
        var parameter: [String: JSONValue] = ["name": .string(doc.name), "in": .string(location), "required": .bool(doc.required),
                                              "description": .string(doc.description), "schema": .object(schema)]
        // `?size=` is read as no size at all (`Request.query`), as Spring reads it.
        if location == "query" && !doc.required { parameter["allowEmptyValue"] = true }
        return .object(parameter)
    }

    /// `GET /api/orders/{id}/history` → `getApiOrdersIdHistory`.
    static func operationId(_ route: RouteDescriptor) -> String {
        let words = route.path.split(whereSeparator: { "/{}-".contains($0) }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return route.method.rawValue.lowercased() + words.joined()
    }
}
