import Foundation
import Logging

/// A log handler that keeps what it is given, for tests that check what a server logged.
public final class CapturedLog: LogHandler, @unchecked Sendable {
    public struct Entry: Sendable {
        public let message: String
        public let metadata: [String: String]
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init() {}

    public var messages: [Entry] { lock.withLock { entries } }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        lock.withLock { entries.append(Entry(message: event.message.description, metadata: merged)) }
    }
}
