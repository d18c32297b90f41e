import Foundation

public enum Topic: String, Codable, CaseIterable, Sendable {
    case orderCreated = "order-created"
    case paymentProcessed = "payment-processed"
    case orderStatusUpdated = "order-status-updated"
}

public struct OrderCreated: Codable, Equatable, Sendable {
    public var orderId: Int64
    public var orderNumber: String
    public var userId: Int64
    public var totalAmount: Money
    public var paymentMethod: PaymentMethod
    /// A payment provider's token (never card data), needed by the payment service to charge.
    public var paymentToken: String

    public init(orderId: Int64, orderNumber: String, userId: Int64, totalAmount: Money, paymentMethod: PaymentMethod, paymentToken: String) {
        self.orderId = orderId; self.orderNumber = orderNumber; self.userId = userId
        self.totalAmount = totalAmount; self.paymentMethod = paymentMethod; self.paymentToken = paymentToken
    }
}

public enum PaymentOutcome: String, Codable, Sendable {
    case success = "SUCCESS", failed = "FAILED", refunded = "REFUNDED"
    /// An operator gave up collecting the payment (it was PENDING or FAILED): the order is cancelled.
    case cancelled = "CANCELLED"
}

public struct PaymentProcessed: Codable, Equatable, Sendable {
    public var orderId: Int64
    public var paymentId: Int64
    public var amount: Money
    public var status: PaymentOutcome
    public var failureReason: String?
    /// 1 for the first charge, 2+ for retries: lets the order service ignore stale outcomes.
    public var attempt: Int

    public init(orderId: Int64, paymentId: Int64, amount: Money, status: PaymentOutcome, failureReason: String?, attempt: Int) {
        self.orderId = orderId; self.paymentId = paymentId; self.amount = amount
        self.status = status; self.failureReason = failureReason; self.attempt = attempt
    }
}

public struct OrderStatusUpdated: Codable, Equatable, Sendable {
    public var orderId: Int64
    public var userId: Int64
    public var from: OrderStatus?
    public var to: OrderStatus
    public var reason: String?

    public init(orderId: Int64, userId: Int64, from: OrderStatus?, to: OrderStatus, reason: String?) {
        self.orderId = orderId; self.userId = userId; self.from = from; self.to = to; self.reason = reason
    }
}

/// An event this build cannot read: a type it does not know or a payload that does not decode
/// (written by a newer version during an upgrade, say). It is carried as it was, so a consumer
/// sets it aside as a dead letter instead of stopping at it for good, and readers still show it.
public struct UndecodableEvent: Equatable, Sendable {
    public var topic: Topic
    public var type: String
    /// The payload's text as stored (empty when it came through a decoder that does not keep it).
    public var json: String
    public var key: String
    public var reason: String

    public init(topic: Topic, type: String, json: String, key: String, reason: String) {
        self.topic = topic; self.type = type; self.json = json; self.key = key; self.reason = reason
    }
}

public enum EventPayload: Equatable, Sendable {
    case orderCreated(OrderCreated)
    case paymentProcessed(PaymentProcessed)
    case orderStatusUpdated(OrderStatusUpdated)
    case undecodable(UndecodableEvent)

    public var topic: Topic {
        switch self {
        case .orderCreated: .orderCreated
        case .paymentProcessed: .paymentProcessed
        case .orderStatusUpdated: .orderStatusUpdated
        case .undecodable(let e): e.topic
        }
    }

    public var typeName: String {
        switch self {
        case .orderCreated: "OrderCreated"
        case .paymentProcessed: "PaymentProcessed"
        case .orderStatusUpdated: "OrderStatusUpdated"
        case .undecodable(let e): e.type
        }
    }

    public var orderId: Int64 {
        switch self {
        case .orderCreated(let p): p.orderId
        case .paymentProcessed(let p): p.orderId
        case .orderStatusUpdated(let p): p.orderId
        case .undecodable(let e): Int64(e.key) ?? 0
        }
    }

    /// `decode`, or the event as it is when it cannot be: for readers of a log, which must get
    /// past it (see `UndecodableEvent`).
    public static func decodeOrKeep(topic: Topic, type: String, json: String, key: String) -> EventPayload {
        do {
            return try decode(type: type, json: json)
        } catch {
            return .undecodable(UndecodableEvent(topic: topic, type: type, json: json, key: key, reason: "\(error)"))
        }
    }

    public static func decode(type: String, json: String) throws -> EventPayload {
        let data = Data(json.utf8)
        switch type {
        case "OrderCreated": return .orderCreated(try JSONCoding.decoder.decode(OrderCreated.self, from: data))
        case "PaymentProcessed": return .paymentProcessed(try JSONCoding.decoder.decode(PaymentProcessed.self, from: data))
        case "OrderStatusUpdated": return .orderStatusUpdated(try JSONCoding.decoder.decode(OrderStatusUpdated.self, from: data))
        default: throw AppError(.internal, "unknown event type \(type)")
        }
    }
}

/// An event before the log has given it an offset: what a service writes to its outbox.
public struct EventDraft: Equatable, Sendable {
    public var eventId: String
    public var occurredAt: Date
    public var traceId: String?
    public var payload: EventPayload

    public init(eventId: String = TimeOrderedID.make(), occurredAt: Date, traceId: String? = nil, payload: EventPayload) {
        self.eventId = eventId; self.occurredAt = occurredAt; self.traceId = traceId; self.payload = payload
    }

    public var topic: Topic { payload.topic }
    public var key: String {
        if case .undecodable(let e) = payload { return e.key }   // as it was, numeric or not
        return String(payload.orderId)
    }
}

/// An event as the log holds it: {eventId, topic, type, key, offset, occurredAt, traceId, payload}.
public struct EventEnvelope: Equatable, Sendable, Codable {
    public var eventId: String
    public var topic: Topic
    public var key: String
    public var offset: Int64
    public var occurredAt: Date
    public var traceId: String?
    public var payload: EventPayload

    public init(draft: EventDraft, offset: Int64) {
        eventId = draft.eventId; topic = draft.topic; key = draft.key; self.offset = offset
        occurredAt = draft.occurredAt; traceId = draft.traceId; payload = draft.payload
    }

    public var type: String { payload.typeName }

    enum CodingKeys: String, CodingKey { case eventId, topic, type, key, offset, occurredAt, traceId, payload }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        eventId = try c.decode(String.self, forKey: .eventId)
        topic = try c.decode(Topic.self, forKey: .topic)
        key = try c.decode(String.self, forKey: .key)
        offset = try c.decode(Int64.self, forKey: .offset)
        occurredAt = try c.decode(Date.self, forKey: .occurredAt)
        traceId = try c.decodeIfPresent(String.self, forKey: .traceId)
        let type = try c.decode(String.self, forKey: .type)
        do {
            switch type {
            case "OrderCreated": payload = .orderCreated(try c.decode(OrderCreated.self, forKey: .payload))
            case "PaymentProcessed": payload = .paymentProcessed(try c.decode(PaymentProcessed.self, forKey: .payload))
            case "OrderStatusUpdated": payload = .orderStatusUpdated(try c.decode(OrderStatusUpdated.self, forKey: .payload))
            default: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type \(type)")
            }
        } catch {
            // An event another OrderPay process could not read, passed on with its reason and
            // text: read here if this version knows it, else kept as it came.
            let passedOn = try? c.nestedContainer(keyedBy: UndecodableKeys.self, forKey: .payload)
            let reason = try? passedOn?.decode(String.self, forKey: .undecodable)
            let raw = try? passedOn?.decode(String.self, forKey: .raw)
            if let raw, let known = try? EventPayload.decode(type: type, json: raw) {
                payload = known
            } else {
                payload = .undecodable(UndecodableEvent(topic: topic, type: type, json: raw ?? "", key: key, reason: reason ?? "\(error)"))
            }
        }
    }

    enum UndecodableKeys: String, CodingKey { case undecodable, raw }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(eventId, forKey: .eventId)
        try c.encode(topic, forKey: .topic)
        try c.encode(type, forKey: .type)
        try c.encode(key, forKey: .key)
        try c.encode(offset, forKey: .offset)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encodeIfPresent(traceId, forKey: .traceId)
        switch payload {
        case .orderCreated(let p): try c.encode(p, forKey: .payload)
        case .paymentProcessed(let p): try c.encode(p, forKey: .payload)
        case .orderStatusUpdated(let p): try c.encode(p, forKey: .payload)
        case .undecodable(let e):
            var raw = c.nestedContainer(keyedBy: UndecodableKeys.self, forKey: .payload)
            try raw.encode(e.reason, forKey: .undecodable)
            try raw.encode(e.json, forKey: .raw)
        }
    }
}

extension Collection where Element == EventEnvelope {
    /// Throws for an event this build cannot read, so the consumer retries it alone and then sets
    /// it aside as a dead letter, instead of a handler skipping what it does not recognise.
    public func throwIfUndecodable() throws {
        for event in self {
            if case .undecodable(let e) = event.payload {
                throw AppError(.internal, "event \(event.eventId) (\(e.type) on \(e.topic.rawValue)) cannot be read by this version: \(e.reason)")
            }
        }
    }
}

/// An event with its payload already as JSON text: what outboxes store and logs append, so a relay
/// copies events without decoding and re-encoding them.
public struct SerializedEvent: Equatable, Sendable {
    public var eventId: String
    public var topic: Topic
    public var type: String
    public var key: String
    public var payload: String
    public var occurredAt: Date
    public var traceId: String?

    public init(eventId: String, topic: Topic, type: String, key: String, payload: String, occurredAt: Date, traceId: String?) {
        self.eventId = eventId; self.topic = topic; self.type = type; self.key = key
        self.payload = payload; self.occurredAt = occurredAt; self.traceId = traceId
    }

    public init(_ draft: EventDraft) {
        self.init(eventId: draft.eventId, topic: draft.topic, type: draft.payload.typeName, key: draft.key,
                  payload: draft.payload.encodedJSON(), occurredAt: draft.occurredAt, traceId: draft.traceId)
    }

    /// A delivered event as text again (an unreadable one as it was kept).
    public init(_ envelope: EventEnvelope) {
        self.init(eventId: envelope.eventId, topic: envelope.topic, type: envelope.payload.typeName, key: envelope.key,
                  payload: envelope.payload.encodedJSON(), occurredAt: envelope.occurredAt, traceId: envelope.traceId)
    }

    /// The event with its payload decoded.
    public func draft() throws -> EventDraft {
        EventDraft(eventId: eventId, occurredAt: occurredAt, traceId: traceId, payload: try EventPayload.decode(type: type, json: payload))
    }
}
