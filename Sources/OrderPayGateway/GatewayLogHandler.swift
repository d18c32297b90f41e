import Foundation
import Logging
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// swift-log's StreamLogHandler line format (`2026-11-25T18:36:51+0000 info label: k=v [source] message`)
/// to standard error, made cheap enough for one access-log line per proxied request:
/// - the timestamp is formatted once a second (StreamLogHandler calls `localtime`, which makes
///   glibc stat /etc/localtime on every line, then `strftime`);
/// - lines go out with `write(2)`, never split across two (no FILE buffer shared by the
///   event-loop threads); lines logged at info or below on an event loop (the access log) wait
///   until that loop has handled its current batch of I/O and then leave together in one write,
///   instead of one system call per request. Warnings and errors, and lines from other threads,
///   are written at once (after any lines still waiting, so the order holds).
/// `orderpay serve gateway` bootstraps it; everything else keeps swift-log's default handler.
public struct GatewayLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:] {
        didSet { prettyMetadata = Self.prettify(metadata) }
    }
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let fileDescriptor: Int32
    private let output: LogOutput
    private var prettyMetadata: String?

    public init(label: String, fileDescriptor: Int32 = 2, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        output = LogOutput.for(fileDescriptor)
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var effective = metadata
        let provided = metadataProvider?.get() ?? [:]
        let explicit = event.metadata ?? [:]
        let pretty: String?
        if provided.isEmpty && explicit.isEmpty && event.error == nil {
            pretty = prettyMetadata
        } else if metadata.isEmpty && provided.isEmpty && event.error == nil {
            // The access log's case: only the line's own metadata, nothing to merge.
            pretty = Self.prettify(explicit)
        } else {
            if !provided.isEmpty { effective.merge(provided) { $1 } }
            if !explicit.isEmpty { effective.merge(explicit) { $1 } }
            if let error = event.error {
                effective["error.message"] = "\(error)"
                effective["error.type"] = "\(String(reflecting: type(of: error)))"
            }
            pretty = Self.prettify(effective)
        }
        // The pieces go straight into the output buffer: no line String built and grown first.
        output.append([Self.clock.timestamp(), " ", event.level.rawValue, label.isEmpty ? "" : " ", label, ":",
                       pretty == nil ? "" : " ", pretty ?? "", " [", event.source, "] ", event.message.description, "\n"],
                      deferrable: event.level <= .info)
    }

    @available(*, deprecated, renamed: "log(event:)")
    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        log(event: LogEvent(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line))
    }

    static func prettify(_ metadata: Logger.Metadata) -> String? {
        guard !metadata.isEmpty else { return nil }
        var text = ""
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            if !text.isEmpty { text += " " }
            text += key
            text += "="
            text += value.description
        }
        return text
    }

    static let clock = SecondClock()

    /// The local time as `%Y-%m-%dT%H:%M:%S%z`, formatted again only when the second changes.
    final class SecondClock: @unchecked Sendable {
        private let lock = NSLock()
        private var second: time_t = -1
        private var text = ""

        func timestamp() -> String {
            let now = time(nil)
            if let cached = lock.withLock({ second == now ? text : nil }) { return cached }
            var seconds = now
            var local = tm()
            var buffer = [Int8](repeating: 0, count: 64)
            // localtime_r, unlike localtime, does not re-read the time zone on every call.
            guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
            strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            let formatted = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            lock.withLock { second = now; text = formatted }
            return formatted
        }
    }
}

/// One file descriptor's log lines (see GatewayLogHandler): shared by every handler on it, so
/// deferred and immediate lines keep their order.
final class LogOutput: @unchecked Sendable {
    private static let lock = NSLock()
    private static var outputs: [Int32: LogOutput] = [:]

    static func `for`(_ fileDescriptor: Int32) -> LogOutput {
        lock.withLock {
            if let output = outputs[fileDescriptor] { return output }
            let output = LogOutput(fileDescriptor)
            outputs[fileDescriptor] = output
            return output
        }
    }

    let fileDescriptor: Int32
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var flushScheduled = false

    private init(_ fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    /// One line, given as the pieces it is made of.
    func append(_ line: [String], deferrable: Bool) {
        if deferrable, let loop = MultiThreadedEventLoopGroup.currentEventLoop {
            let schedule: Bool = lock.withLock {
                for piece in line { pending.append(contentsOf: piece.utf8) }
                if pending.count >= 1 << 16 { writePending() }
                defer { flushScheduled = true }
                return !flushScheduled
            }
            // Runs once the loop has handled the I/O events it woke up for.
            if schedule { loop.execute { self.flush() } }
        } else {
            lock.withLock {
                for piece in line { pending.append(contentsOf: piece.utf8) }
                writePending()
            }
        }
    }

    func flush() {
        lock.withLock {
            flushScheduled = false
            writePending()
        }
    }

    /// Called with the lock held.
    private func writePending() {
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}
