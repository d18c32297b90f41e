/// The bytes of request bodies one event loop holds at a time, across all its connections. A
/// body is collected whole before it is forwarded (see `IncomingRequest`), so without a cap a
/// hundred clients each declaring the 10 MiB limit and sending all but its last byte held a
/// gigabyte. A body declared with a Content-Length reserves all of it when its head arrives (so it
/// is refused before any of it is sent); a chunked one reserves as it grows. Over the cap the
/// request gets 503 with Retry-After. Only its own loop touches it (hence `@unchecked Sendable`).
final class BodyBudget: @unchecked Sendable {
    let limit: Int
    private(set) var used = 0

    init(limit: Int) { self.limit = limit }

    /// Takes `bytes` from the budget; false (and nothing taken) when they do not fit.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes <= limit - used else { return false }
        used += bytes
        return true
    }

    func release(_ bytes: Int) {
        used = max(0, used - bytes)
    }
}
