import OrderPayCore

/// Component schemas for the DTOs the routes exchange (JSON Schema 2020-12, as OpenAPI 3.1 uses).
/// Field names and required lists follow the Codable types in OrderPayCore and OrderPayServices.
enum OpenAPISchemas {
    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }
    static func enumeration(_ values: [String]) -> JSONValue { ["type": "string", "enum": .array(values.map(JSONValue.string))] }
    static func nullable(_ type: String) -> JSONValue { ["type": [.string(type), "null"]] }
    static let string: JSONValue = ["type": "string"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let integer: JSONValue = ["type": "integer"]
    static let id: JSONValue = ["type": "integer", "format": "int64"]
    static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    static let nullableDateTime: JSONValue = ["type": ["string", "null"], "format": "date-time"]

    static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.sorted().map(JSONValue.string))]
    }

    static func page(of item: String) -> JSONValue {
        object(["content": array(ref(item)), "page": integer, "size": integer, "totalElements": integer, "totalPages": integer],
               required: ["content", "page", "size", "totalElements", "totalPages"])
    }

    static let all: [String: JSONValue] = [
        "Money": ["type": "number", "multipleOf": .number(0.01),
                  "description": "an exact amount with at most two decimals, written as a JSON number (never rounded through a float)"],
        "FieldError": object(["field": string, "message": string], required: ["field", "message"]),
        "Problem": object(["type": string, "title": string, "status": integer, "detail": string, "errors": array(ref("FieldError"))],
                          required: ["type", "title", "status", "detail", "errors"]),

        "Role": enumeration(Role.allCases.map(\.rawValue)),
        "UserStatus": enumeration(UserStatus.allCases.map(\.rawValue)),
        "User": object(["id": id, "email": string, "name": string, "phoneNumber": nullable("string"), "address": nullable("string"),
                        "profileImageUrl": nullable("string"), "status": ref("UserStatus"), "roles": array(ref("Role")),
                        "createdAt": dateTime, "updatedAt": dateTime, "lastPasswordChangeAt": nullableDateTime,
                        "lockedUntil": nullableDateTime],
                       required: ["id", "email", "name", "status", "roles", "createdAt", "updatedAt"]),
        "UserPage": page(of: "User"),
        "ProfileImageUpload": object(["file": ["type": "string", "format": "binary",
                                               "description": "a PNG, JPEG or GIF image (recognised by its content)"]],
                                     required: ["file"]),
        "SignupRequest": object(["email": string, "password": string, "name": string, "phoneNumber": string, "address": string],
                                required: ["email", "password", "name"]),
        "CreateUserRequest": object(["email": string, "password": string, "name": string, "phoneNumber": string, "address": string,
                                     "roles": array(ref("Role")), "status": ref("UserStatus")],
                                    required: ["email", "password", "name"]),
        "UpdateProfileRequest": object(["name": string, "phoneNumber": string, "address": string, "profileImageUrl": string], required: []),
        "ChangePasswordRequest": object(["currentPassword": string, "newPassword": string, "confirmPassword": string],
                                        required: ["currentPassword", "newPassword", "confirmPassword"]),
        "ChangeRolesRequest": object(["roles": array(string)], required: ["roles"]),
        "ChangeStatusRequest": object(["status": ref("UserStatus")], required: ["status"]),
        "LoginRequest": object(["email": string, "password": string], required: ["email", "password"]),
        "RefreshTokenRequest": object(["refreshToken": string], required: ["refreshToken"]),
        "TokenPair": object(["accessToken": string, "refreshToken": string, "tokenType": ["type": "string", "const": "Bearer"],
                             "expiresIn": integer],
                            required: ["accessToken", "refreshToken", "tokenType", "expiresIn"]),

        "Product": object(["id": id, "sku": string, "name": string, "unitPrice": ref("Money"), "active": boolean],
                          required: ["id", "sku", "name", "unitPrice", "active"]),
        "ProductRequest": object(["sku": string, "name": string, "unitPrice": ref("Money"), "active": boolean],
                                 required: ["sku", "name", "unitPrice"]),

        "OrderStatus": enumeration(OrderStatus.allCases.map(\.rawValue)),
        "PaymentMethod": enumeration(PaymentMethod.allCases.map(\.rawValue)),
        "PlaceOrderItem": object(["productId": id, "quantity": integer], required: ["productId", "quantity"]),
        "PlaceOrderRequest": object(["items": array(ref("PlaceOrderItem")), "shippingAddress": string,
                                     "paymentMethod": ref("PaymentMethod"), "paymentToken": string],
                                    required: ["items", "shippingAddress", "paymentMethod", "paymentToken"]),
        "OrderItem": object(["productId": id, "sku": string, "productName": string, "quantity": integer,
                             "unitPrice": ref("Money"), "subtotal": ref("Money")],
                            required: ["productId", "sku", "productName", "quantity", "unitPrice", "subtotal"]),
        "Order": object(["id": id, "orderNumber": string, "userId": id, "status": ref("OrderStatus"), "totalAmount": ref("Money"),
                         "shippingAddress": string, "paymentMethod": ref("PaymentMethod"), "orderItems": array(ref("OrderItem")),
                         "failureReason": nullable("string"), "paymentAttempt": integer, "createdAt": dateTime, "updatedAt": dateTime],
                        required: ["id", "orderNumber", "userId", "status", "totalAmount", "shippingAddress", "paymentMethod",
                                   "orderItems", "paymentAttempt", "createdAt", "updatedAt"]),
        "OrderPage": page(of: "Order"),
        "OrderHistoryEntry": object(["from": ref("OrderStatus"), "to": ref("OrderStatus"), "reason": nullable("string"),
                                     "actor": string, "at": dateTime],
                                    required: ["to", "actor", "at"]),
        "CancelOrderRequest": object(["reason": string], required: []),

        "PaymentStatus": enumeration(PaymentStatus.allCases.map(\.rawValue)),
        "Payment": object(["id": id, "orderId": id, "userId": id, "amount": ref("Money"), "status": ref("PaymentStatus"),
                           "paymentMethod": ref("PaymentMethod"), "attempts": integer, "failureReason": nullable("string"),
                           "transactionId": nullable("string"), "refundReason": nullable("string"),
                           "createdAt": dateTime, "updatedAt": dateTime],
                          required: ["id", "orderId", "userId", "amount", "status", "paymentMethod", "attempts", "createdAt", "updatedAt"]),
        "PaymentPage": page(of: "Payment"),
        "PaymentHistoryEntry": object(["from": ref("PaymentStatus"), "to": ref("PaymentStatus"), "attempt": integer,
                                       "reason": nullable("string"), "actor": string, "at": dateTime],
                                      required: ["to", "attempt", "actor", "at"]),
        "RetryPaymentRequest": object(["paymentToken": string], required: []),
        "RefundRequest": object(["reason": string], required: ["reason"]),

        "Topic": enumeration(Topic.allCases.map(\.rawValue)),
        "EventEnvelope": object(["eventId": string, "topic": ref("Topic"), "type": string, "key": string, "offset": id,
                                 "occurredAt": dateTime, "traceId": nullable("string"),
                                 "payload": ["type": "object", "description": "OrderCreated, PaymentProcessed or OrderStatusUpdated, as `type` says"]],
                                required: ["eventId", "topic", "type", "key", "offset", "occurredAt", "payload"]),
        "EventPage": object(["topic": ref("Topic"), "from": id, "limit": integer, "nextOffset": id, "endOffset": id,
                             "events": array(ref("EventEnvelope"))],
                            required: ["topic", "from", "limit", "nextOffset", "endOffset", "events"]),
        "DeadLetter": object(["id": id, "group": string, "event": ref("EventEnvelope"), "error": string, "attempts": integer,
                              "failedAt": dateTime, "replayedAt": nullableDateTime],
                             required: ["id", "group", "event", "error", "attempts", "failedAt"]),

        "Health": object(["status": enumeration(["UP", "DOWN"]),
                          "checks": ["type": "object", "additionalProperties":
                                        object(["status": enumeration(["UP", "DOWN"]), "error": string], required: ["status"])]],
                         required: ["status", "checks"]),
    ]
}
