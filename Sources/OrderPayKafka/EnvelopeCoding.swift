import Foundation
import OrderPayCore

/// The Kafka message value is the event envelope as JSON. The offset inside is meaningless (-1 when
/// produced): readers take the message's own partition offset instead.
enum EnvelopeCoding {
    static func message(_ event: SerializedEvent) throws -> OutgoingMessage {
        // An event this version cannot read (from an outbox a newer version wrote) travels as it
        // is: its consumers set it aside as a dead letter, where failing here would hold the relay.
        let payload = EventPayload.decodeOrKeep(topic: event.topic, type: event.type, json: event.payload, key: event.key)
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
        // A payload this version cannot read (a newer producer's) is kept as the producer wrote
        // it, so its dead letter can be replayed once this service understands it.
        if case .undecodable(var unreadable) = envelope.payload, unreadable.json.isEmpty,
           let text = JSONMemberText.value(of: "payload", in: message.value) {
            unreadable.json = text
            envelope.payload = .undecodable(unreadable)
        }
        return envelope
    }
}
