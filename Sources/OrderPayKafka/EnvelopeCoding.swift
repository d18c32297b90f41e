import Foundation
import OrderPayCore

/// The Kafka message value is the event envelope as JSON. The offset inside is meaningless (-1 when
/// produced): readers take the message's own partition offset instead.
enum EnvelopeCoding {
    static func message(_ event: SerializedEvent) throws -> OutgoingMessage {
        let payload = try EventPayload.decode(type: event.type, json: event.payload)
        let draft = EventDraft(eventId: event.eventId, occurredAt: event.occurredAt, traceId: event.traceId, payload: payload)
        return try message(draft)
    }

    static func message(_ draft: EventDraft) throws -> OutgoingMessage {
        let envelope = EventEnvelope(draft: draft, offset: -1)
        return OutgoingMessage(topic: draft.topic.rawValue, key: draft.key, value: try JSONCoding.encoder.encode(envelope))
    }

    static func decode(_ message: ReceivedMessage) throws -> EventEnvelope {
        var envelope = try JSONCoding.decoder.decode(EventEnvelope.self, from: message.value)
        envelope.offset = message.offset
        return envelope
    }
}
