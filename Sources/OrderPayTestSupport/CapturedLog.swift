import Foundation
import Logging

/// What a server logged, for tests that check it: give loggers `handler`
/// (`Logger(label: "x") { _ in log.handler }`) and read `messages`.
public final class CapturedLog: @unchecked Sendable {
    public struct Entry: Sendable {
        public let message: String
        public let metadata: [String: String]
        public let level: Logger.Level
    }

    private let lock = NSLock()
    private var entries: [Entry] = []

    public init() {}

    public var messages: [Entry] { lock.withLock { entries } }

    /// A handler with a value's level and metadata, as swift-log expects: one logger quieted, or
    /// given a request's metadata, leaves the others as they were (a shared handler object let a
    /// quieted database logger silence every server writing here).
    public var handler: Handler { Handler(log: self) }

    func append(_ entry: Entry) { lock.withLock { entries.append(entry) } }

    public struct Handler: LogHandler {
        let log: CapturedLog
        public var metadata: Logger.Metadata = [:]
        public var logLevel: Logger.Level = .info

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        public func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            log.append(Entry(message: event.message.description, metadata: merged, level: event.level))
        }
    }
}
