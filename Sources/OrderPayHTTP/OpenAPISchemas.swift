import OrderPayCore
import OrderPayServices

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

    // MARK: - What the services accept, so the document says it too

    /// The characters `containsControlCharacters` refuses: C0, DEL, C1 and the bidi overrides.
    static let controlCharacters = #"\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069"#
    /// Text without control characters (as the services check text people read).
    static let printablePattern = "^[^\(controlCharacters)]*$"

    /// Text people read: at most `maxLength` characters, no control characters, and, when
    /// `minVisible` is set, at least that many characters other than spaces (the services trim
    /// before counting, so "  " is empty).
    static func text(maxLength: Int, minVisible: Int = 0) -> JSONValue {
        let visible = "[^\\s\(controlCharacters)]"
        let other = "[^\(controlCharacters)]*"
        let pattern = minVisible == 0 ? printablePattern
            : "^" + other + Array(repeating: visible + other, count: minVisible).joined() + "$"
        return ["type": "string", "maxLength": .integer(maxLength), "pattern": .string(pattern)]
    }

    /// Any text a request may carry: all but NUL.
    static let anyText = ref("TextWithoutNUL")
    /// A reason people will read: trimmed, 1–500 characters.
    static let reason = text(maxLength: 500, minVisible: 1)
    /// A simulated processor's payment token.
    static let paymentToken: JSONValue = ["type": "string", "pattern": "^tok_[A-Za-z0-9_]{1,64}$",
                                          "description": "tok_ and 1–64 letters, digits or _ (tok_visa pays; see the README for the others)"]
    /// A password as the auth service takes it: bcrypt reads at most 72 bytes.
    static let password: JSONValue = ["type": "string", "minLength": 8, "maxLength": 72, "pattern": "^[^\\u0000]*$",
                                      "description": "8 characters to 72 bytes of UTF-8"]
    /// An id in a path: positive.
    static let pathID: JSONValue = ["type": "integer", "format": "int64", "minimum": 1, "maximum": .integer(Int(Int64.max))]
    /// An amount a client sends: positive, within what 64 bits of cents hold.
    static let positiveMoney: JSONValue = ["allOf": [ref("Money")], "exclusiveMinimum": 0,
                                           "maximum": .integer(Int(Int64.max / 100))]
    /// Any JSON without a NUL character in its text: the services refuse `\u0000` anywhere in a
    /// body, in fields they ignore too (see `Request.decodeJSON`), and ignore fields they do not
    /// know. Every request object allows such extra fields.
    static let anyJSONWithoutNUL: JSONValue = ["anyOf": [
        ["type": ["null", "boolean", "number"]],
        anyText,
        ["type": "array", "items": ref("AnyJSONWithoutNUL")],
        ["type": "object", "propertyNames": anyText, "additionalProperties": ref("AnyJSONWithoutNUL")],
    ]]

    /// A request body: the named fields, and any others without a NUL (ignored). An optional
    /// field may be null, read as absent.
    static func request(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        let fields = Dictionary(uniqueKeysWithValues: properties.map { name, schema in
            (name, required.contains(name) ? schema : ["anyOf": [schema, ["type": "null"]]])
        })
        return ["type": "object", "properties": .object(fields), "required": .array(required.sorted().map(JSONValue.string)),
                "propertyNames": anyText, "additionalProperties": ref("AnyJSONWithoutNUL")]
    }

    static func page(of item: String) -> JSONValue {
        object(["content": array(ref(item)), "page": integer, "size": integer, "totalElements": integer, "totalPages": integer],
               required: ["content", "page", "size", "totalElements", "totalPages"])
    }

    /// The fields of a new account (signup, an admin's create).
    static let newAccount: [String: JSONValue] = [
        "email": ["type": "string", "format": "email", "maxLength": 254,
                  "description": "an unquoted address; letters of any script allowed (RFC 6531)"],
        "password": password, "name": personName, "phoneNumber": phoneNumber, "address": postalAddress,
    ]
    static let personName = text(maxLength: 100, minVisible: 2)
    static let phoneNumber = text(maxLength: 20)
    static let postalAddress = text(maxLength: 500)
    static let profileImageUrl: JSONValue = [
        "type": "string", "maxLength": 2048,
        "pattern": .string(ProfileImageLink.pattern),
        "description": "empty (no image), a path on this server (such as /api/users/{id}/profile-image) or an http(s) URL: a host name, an optional port, then nothing or a path (no user-info, no IP literal)",
    ]

    static let all: [String: JSONValue] = [
        "Money": ["type": "number", "multipleOf": .number(0.01),
                  "description": "an exact amount with at most two decimals, written as a JSON number (never rounded through a float)"],
        "TextWithoutNUL": ["type": "string", "pattern": "^[^\\u0000]*$"],
        "AnyJSONWithoutNUL": anyJSONWithoutNUL,
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
        "SignupRequest": request(newAccount, required: ["email", "password", "name"]),
        "CreateUserRequest": request(newAccount.merging(["roles": ["type": "array", "items": ref("Role"), "minItems": 1,
                                                                   "description": "default [ROLE_USER]; admin or ADMIN is read as ROLE_ADMIN"],
                                                         "status": ref("UserStatus")]) { $1 },
                                     required: ["email", "password", "name"]),
        "UpdateProfileRequest": request(["name": personName, "phoneNumber": phoneNumber, "address": postalAddress,
                                         "profileImageUrl": profileImageUrl],
                                        required: []),
        "ChangePasswordRequest": request(["currentPassword": anyText, "newPassword": password,
                                          "confirmPassword": ["allOf": [anyText], "description": "newPassword again"]],
                                         required: ["currentPassword", "newPassword", "confirmPassword"]),
        "ChangeRolesRequest": request(["roles": ["type": "array", "items": ref("Role"), "minItems": 1,
                                                 "description": "admin or ADMIN is read as ROLE_ADMIN"]],
                                      required: ["roles"]),
        "ChangeStatusRequest": request(["status": ref("UserStatus")], required: ["status"]),
        "LoginRequest": request(["email": anyText, "password": anyText], required: ["email", "password"]),
        "RefreshTokenRequest": request(["refreshToken": anyText], required: ["refreshToken"]),
        "TokenPair": object(["accessToken": string, "refreshToken": string, "tokenType": ["type": "string", "const": "Bearer"],
                             "expiresIn": integer],
                            required: ["accessToken", "refreshToken", "tokenType", "expiresIn"]),

        "Product": object(["id": id, "sku": string, "name": string, "unitPrice": ref("Money"), "active": boolean],
                          required: ["id", "sku", "name", "unitPrice", "active"]),
        "ProductRequest": request(["sku": text(maxLength: 64, minVisible: 1), "name": text(maxLength: 200, minVisible: 1),
                                   "unitPrice": positiveMoney, "active": boolean],
                                  required: ["sku", "name", "unitPrice"]),

        "OrderStatus": enumeration(OrderStatus.allCases.map(\.rawValue)),
        "PaymentMethod": enumeration(PaymentMethod.allCases.map(\.rawValue)),
        "PlaceOrderItem": request(["productId": id, "quantity": ["type": "integer", "minimum": 1, "maximum": .integer(OrderService.maxQuantity)]],
                                  required: ["productId", "quantity"]),
        "PlaceOrderRequest": request(["items": ["type": "array", "items": ref("PlaceOrderItem"),
                                                "minItems": 1, "maxItems": .integer(OrderService.maxItems)],
                                      "shippingAddress": text(maxLength: 500, minVisible: 1),
                                      "paymentMethod": ref("PaymentMethod"), "paymentToken": paymentToken],
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
        "CancelOrderRequest": request(["reason": reason], required: []),

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
        "RetryPaymentRequest": request(["paymentToken": paymentToken], required: []),
        "RefundRequest": request(["reason": reason], required: ["reason"]),

        "Topic": enumeration(Topic.allCases.map(\.rawValue)),
        "EventEnvelope": object(["eventId": string, "topic": ref("Topic"), "type": string, "key": string, "offset": id,
                                 "occurredAt": dateTime, "traceId": nullable("string"),
                                 "payload": ["type": "object", "description": "OrderCreated, PaymentProcessed or OrderStatusUpdated, as `type` says"]],
                                required: ["eventId", "topic", "type", "key", "offset", "occurredAt", "payload"]),
        "EventPage": object(["topic": ref("Topic"), "from": id, "limit": integer, "nextOffset": id, "endOffset": id,
                             "events": array(ref("EventEnvelope")), "nextAfter": string],
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
