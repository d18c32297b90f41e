import Logging
import PostgresNIO

extension PostgresDatabase {
    /// LISTENs on `channel`, on a connection of its own, until the task is cancelled, and
    /// reconnects after a lost connection (backing off up to 2 s). Each notification's payload
    /// goes to `onNotification`; so does nil each time listening (re)starts, since whatever was
    /// notified while no one listened went unheard.
    func listen(on channel: String, _ onNotification: @escaping @Sendable (String?) -> Void) async {
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        onNotification(nil)
                        backoff = .milliseconds(100)
                        for try await notification in notifications { onNotification(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("listener on \(channel) lost its connection; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
    }
}
