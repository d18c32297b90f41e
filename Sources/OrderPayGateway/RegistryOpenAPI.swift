import Foundation

/// `GET /openapi.json` of the registry: its Eureka REST API as `RegistryServer` serves it, plus
/// the health and metrics endpoints every OrderPay service has. Written out by hand because the
/// registry's routes are Eureka's, not described by `APIRouter`; `RegistryLeaseTests` checks that
/// every route it calls is in here.
enum RegistryOpenAPI {
    static let document: [String: Any] = [
        "openapi": "3.1.0",
        "info": ["title": "OrderPay registry (Eureka REST API)", "version": "1.0.0"],
        "paths": withCredentials(paths),
        "components": ["schemas": schemas, "securitySchemes": ["registryBasic": [
            "type": "http", "scheme": "basic",
            "description": "required on /eureka/** when the registry has credentials (ORDERPAY_REGISTRY_CREDENTIALS); otherwise open",
        ]]],
    ]

    /// Eureka's operations take the registry's credentials, required only when it has some: each
    /// gets `security` with the anonymous alternative, and a 401.
    private static func withCredentials(_ paths: [String: Any]) -> [String: Any] {
        var result = paths
        for (path, item) in paths where path.hasPrefix("/eureka/") {
            guard var operations = item as? [String: Any] else { continue }
            for (method, operation) in operations where method != "parameters" {
                guard var operation = operation as? [String: Any] else { continue }
                operation["security"] = [[String: [String]](), ["registryBasic": [String]()]]
                var responses = operation["responses"] as? [String: Any] ?? [:]
                responses["401"] = ["description": "the registry has credentials and the request did not carry them",
                                    "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]] as [String: Any]
                operation["responses"] = responses
                operations[method] = operation
            }
            result[path] = operations
        }
        return result
    }

    static var json: Data { (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data() }

    private static let problem: [String: Any] = [
        "description": "problem", "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
    ]
    private static let ok: [String: Any] = ["description": "done (empty body)"]

    private static func parameter(_ name: String, _ description: String, in place: String = "path") -> [String: Any] {
        ["name": name, "in": place, "required": place == "path", "description": description, "schema": ["type": "string"]]
    }

    private static func json(_ ref: String, _ description: String) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(ref)"]]]]
    }

    /// `/eureka/vips/{vip}` and `/eureka/svips/{svip}`.
    private static func vipLookup(secure: Bool) -> [String: Any] {
        let (name, field, kind) = secure ? ("svip", "secureVipAddress", "secure VIP") : ("vip", "vipAddress", "VIP")
        return [
            "parameters": [parameter(name, "a \(kind) address (an instance's \(field), one of its comma-separated names)")],
            "get": [
                "operationId": secure ? "listBySecureVipAddress" : "listByVipAddress",
                "summary": "The instances under a \(kind) address, by application",
                "responses": ["200": json("Applications", "the applications"), "404": problem],
            ] as [String: Any],
        ]
    }

    private static let app = parameter("app", "application name, any case (ORDER-SERVICE)")
    private static let id = parameter("id", "instance id")

    private static let paths: [String: Any] = [
        "/eureka/apps": ["get": [
            "operationId": "listApplications", "summary": "Every registered application with its instances",
            "responses": ["200": json("Applications", "the applications")],
        ]],
        "/eureka/apps/delta": ["get": [
            "operationId": "listDelta",
            "summary": "The changes Eureka clients poll for between full fetches: not kept (403, as Eureka with deltas disabled), so clients fetch the full list",
            "responses": ["403": ["description": "deltas are not kept; fetch /eureka/apps",
                                  "content": ["application/problem+json": ["schema": ["type": "object"]]]]],
        ]],
        "/eureka/apps/{app}": [
            "parameters": [app],
            "post": [
                "operationId": "registerInstance", "summary": "Registers (or re-registers) an instance; its lease starts now",
                "requestBody": ["required": true, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/InstanceEnvelope"]]]],
                "responses": ["204": ["description": "registered"], "400": problem, "422": problem],
            ] as [String: Any],
            "get": [
                "operationId": "getApplication", "summary": "One application's instances",
                "responses": ["200": json("ApplicationEnvelope", "the application"), "404": problem],
            ] as [String: Any],
        ],
        "/eureka/apps/{app}/{id}": [
            "parameters": [app, id],
            "get": [
                "operationId": "getInstance", "summary": "One instance",
                "responses": ["200": json("InstanceEnvelope", "the instance"), "404": problem],
            ] as [String: Any],
            "put": [
                "operationId": "renewLease", "summary": "Renews the instance's lease (a heartbeat); 404 tells the client to register again",
                "parameters": [["name": "lastDirtyTimestamp", "in": "query", "required": false, "schema": ["type": "string"],
                                "description": "the client's description's last change, ms since 1970 (as Eureka clients send it): newer than the registered one renews but answers 404, so the client registers again; not a whole number, ignored"]],
                "responses": ["200": ok, "400": problem, "404": problem],
            ] as [String: Any],
            "delete": [
                "operationId": "cancelLease", "summary": "Cancels the instance's lease: it leaves the registry",
                "responses": ["200": ok, "404": problem],
            ] as [String: Any],
        ],
        "/eureka/apps/{app}/{id}/status": [
            "parameters": [app, id],
            "put": [
                "operationId": "overrideStatus",
                "summary": "Overrides the instance's status until the override is removed or the instance cancelled or evicted (registering again with UP or OUT_OF_SERVICE keeps it)",
                "parameters": [["name": "value", "in": "query", "required": true, "schema": ["$ref": "#/components/schemas/OverrideStatus"]]],
                "responses": ["200": ok, "400": problem, "404": problem],
            ] as [String: Any],
            "delete": [
                "operationId": "removeStatusOverride", "summary": "Removes the override, leaving the instance at value (else UP)",
                "parameters": [["name": "value", "in": "query", "required": false, "schema": ["$ref": "#/components/schemas/Status"]]],
                "responses": ["200": ok, "400": problem, "404": problem],
            ] as [String: Any],
        ],
        "/eureka/apps/{app}/{id}/metadata": [
            "parameters": [app, id],
            "put": [
                "operationId": "updateMetadata",
                "summary": "Sets the metadata entries given as query parameters (?key=value&…), keeping the instance's others, until it registers its own description again",
                "parameters": [["name": "entries", "in": "query", "required": true, "style": "form", "explode": true,
                                "schema": ["type": "object", "minProperties": 1, "additionalProperties": ["type": "string"]]]],
                "responses": ["200": ok, "400": problem, "404": problem, "422": problem],
            ] as [String: Any],
        ],
        "/eureka/instances/{id}": [
            "parameters": [id],
            "get": [
                "operationId": "getInstanceById", "summary": "One instance, by its id alone (whichever application it is in)",
                "responses": ["200": json("InstanceEnvelope", "the instance"), "404": problem],
            ] as [String: Any],
        ],
        "/eureka/vips/{vip}": vipLookup(secure: false),
        "/eureka/svips/{svip}": vipLookup(secure: true),
        "/health": ["get": [
            "operationId": "health", "summary": "Liveness and readiness (the registry's database)",
            "responses": [
                "200": json("Health", "UP: every check (the database) answered within 2 s"),
                "503": json("Health", "DOWN: a check failed or did not answer within 2 s; its error says why"),
            ] as [String: Any],
        ]],
        "/metrics": ["get": [
            "operationId": "metrics", "summary": "Prometheus metrics: requests by route, method and status; instances by app and status",
            "responses": ["200": ["description": "Prometheus text exposition format",
                                  "content": ["text/plain; version=0.0.4": ["schema": ["type": "string"]]]]],
        ]],
        "/openapi.json": ["get": [
            "operationId": "openAPI", "summary": "This document",
            "responses": ["200": ["description": "OpenAPI 3.1", "content": ["application/json": ["schema": ["type": "object"]]]]],
        ]],
    ]

    private static let port: [String: Any] = [
        "type": "object", "required": ["$"],
        "properties": ["$": ["type": ["integer", "string"], "minimum": 0, "maximum": 65535,
                             "pattern": "^ *(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]) *$",
                             "description": "0–65535, as a number or its digits"],
                       "@enabled": ["type": ["boolean", "string"]]] as [String: Any],
    ]

    /// Eureka's string maps; numbers and booleans are taken as their text, nulls dropped.
    private static let stringMap: [String: Any] = [
        "type": "object", "additionalProperties": ["type": ["string", "number", "boolean", "null"]],
    ]

    private static let schemas: [String: Any] = [
        "Status": ["type": "string", "enum": ["STARTING", "UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"]],
        "OverrideStatus": ["type": "string", "enum": ["STARTING", "UP", "DOWN", "OUT_OF_SERVICE"],
                           "description": "UNKNOWN is no status to override with: DELETE the override instead"],
        "Instance": [
            "type": "object", "required": ["hostName", "app", "status"],
            "description": "Eureka's instance JSON; a registration needs port.$ too. The fields listed are kept and listed back (at most 16 KB in all; others are dropped); the registry sets instanceId, app, ipAddr, port.$, status, overriddenStatus, the lease's timestamps and actionType itself",
            "properties": [
                "instanceId": ["type": "string"], "hostName": ["type": "string"], "app": ["type": "string"],
                "ipAddr": ["type": "string"], "status": ["type": "string"], "overriddenStatus": ["type": "string"],
                "port": port, "securePort": port, "vipAddress": ["type": "string"],
                "secureVipAddress": ["type": "string"], "appGroupName": ["type": "string"], "asgName": ["type": "string"],
                "countryId": ["type": "integer"],
                "homePageUrl": ["type": "string"], "statusPageUrl": ["type": "string"], "healthCheckUrl": ["type": "string"],
                "secureHealthCheckUrl": ["type": "string"],
                "metadata": stringMap,
                "dataCenterInfo": ["type": "object", "properties": ["@class": ["type": "string"], "name": ["type": "string"],
                                                                   "metadata": stringMap] as [String: Any]],
                "leaseInfo": ["type": "object", "properties": [
                    "renewalIntervalInSecs": ["type": "integer"], "durationInSecs": ["type": "integer"],
                    "registrationTimestamp": ["type": "integer"], "lastRenewalTimestamp": ["type": "integer"],
                    "evictionTimestamp": ["type": "integer"], "serviceUpTimestamp": ["type": "integer"],
                ] as [String: Any]],
                "lastUpdatedTimestamp": ["type": "string"], "lastDirtyTimestamp": ["type": "string"], "actionType": ["type": "string"],
            ] as [String: Any],
        ] as [String: Any],
        "InstanceEnvelope": ["type": "object", "required": ["instance"], "properties": ["instance": ["$ref": "#/components/schemas/Instance"]]],
        "Application": [
            "type": "object", "required": ["name", "instance"],
            "properties": ["name": ["type": "string"], "instance": ["type": "array", "items": ["$ref": "#/components/schemas/Instance"]]],
        ] as [String: Any],
        "ApplicationEnvelope": ["type": "object", "required": ["application"],
                                "properties": ["application": ["$ref": "#/components/schemas/Application"]]],
        "Applications": ["type": "object", "required": ["applications"], "properties": ["applications": [
            "type": "object", "required": ["versions__delta", "apps__hashcode", "application"],
            "properties": ["versions__delta": ["type": "string"], "apps__hashcode": ["type": "string"],
                           "application": ["type": "array", "items": ["$ref": "#/components/schemas/Application"]]] as [String: Any],
        ] as [String: Any]]],
        // The services' Health, as every OrderPay process reports it.
        "Health": [
            "type": "object", "required": ["status", "checks"],
            "properties": [
                "status": ["type": "string", "enum": ["UP", "DOWN"]],
                "checks": ["type": "object", "additionalProperties": [
                    "type": "object", "required": ["status"],
                    "properties": ["status": ["type": "string", "enum": ["UP", "DOWN"]], "error": ["type": "string"]],
                ] as [String: Any]],
            ] as [String: Any],
        ] as [String: Any],
        "Problem": [
            "type": "object", "required": ["type", "title", "status", "detail", "errors"],
            "properties": ["type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
                           "detail": ["type": "string"], "errors": ["type": "array", "items": ["type": "object"]]] as [String: Any],
        ] as [String: Any],
    ]
}
