import Hummingbird
import OrderPayServices

/// `HTTPField` itself is not re-exported by Hummingbird; `HTTPFields.Element` is the same type.
extension HTTPFields.Element.Name {
    static let requestID = Self("X-Request-Id")!
    static let traceparent = Self("traceparent")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let lastEventID = Self("Last-Event-ID")!
    static let accelBuffering = Self("X-Accel-Buffering")!
    static let allow = Self("Allow")!
    static let contentTypeOptions = Self("X-Content-Type-Options")!
    static let replayHandover = Self(DeadLetterReplayRequest.handoverHeader)!
}
