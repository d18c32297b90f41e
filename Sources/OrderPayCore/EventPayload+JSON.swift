/// The JSON text of an event payload, written field by field.
///
/// Every event a service publishes is encoded once, inside the transaction that writes it, and
/// Foundation's JSONEncoder (boxing each value, sorting the keys, going through Decimal for
/// money) was 7 % of `bench flow`'s CPU. The three payloads are small and fixed, so they are
/// written here directly, keys in sorted order, byte for byte what `JSONCoding.encoder` writes:
/// `EventPayloadJSONTests` holds the two to each other on random payloads. Decoding stays with
/// JSONDecoder; it is off the hot path (events are served from memory after they are written).
extension EventPayload {
    public func encodedJSON() -> String {
        var json = JSONObjectText()
        switch self {
        case .orderCreated(let p):
            json.field("orderId", p.orderId)
            json.field("orderNumber", p.orderNumber)
            json.field("paymentMethod", p.paymentMethod.rawValue)
            json.field("paymentToken", p.paymentToken)
            json.field("totalAmount", p.totalAmount)
            json.field("userId", p.userId)
        case .paymentProcessed(let p):
            json.field("amount", p.amount)
            json.field("attempt", Int64(p.attempt))
            json.field("failureReason", p.failureReason)
            json.field("orderId", p.orderId)
            json.field("paymentId", p.paymentId)
            json.field("status", p.status.rawValue)
        case .orderStatusUpdated(let p):
            json.field("from", p.from?.rawValue)
            json.field("orderId", p.orderId)
            json.field("reason", p.reason)
            json.field("to", p.to.rawValue)
            json.field("userId", p.userId)
        case .undecodable(let e):
            return e.json   // as it was stored
        }
        return json.finished()
    }
}
