import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The JSON form of a line: `{"timestamp":"2026-11-27T21:11:35.123Z","level":"info",
/// "label":"orderpay.gateway","source":"OrderPayGateway","message":"GET /health 200",…}` with the
/// metadata as further members, sorted by key (a key that would clash with one of the five
/// above is written as `metadata.<key>`). Values are strings as swift-log holds them, lists and
/// maps as JSON arrays and objects. Timestamps are UTC with milliseconds, so lines from several
/// processes sort into one order.
extension LineLogHandler {
    static let reservedKeys: Set<String> = ["timestamp", "level", "label", "source", "message"]

    func logJSON(_ event: LogEvent) {
        var effective = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { effective.merge(provided) { $1 } }
        if let explicit = event.metadata, !explicit.isEmpty { effective.merge(explicit) { $1 } }
        if let error = event.error {
            effective["error.message"] = "\(error)"
            effective["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let timestamp = Self.utcClock.now()
        output.append(deferrable: batchesOnEventLoops && event.level <= .info) { bytes in
            appendJSONLine(timestamp: timestamp, level: event.level, source: event.source, into: &bytes) { bytes in
                Self.appendJSONString(event.message.description, into: &bytes)
            } members: { bytes in
                for (key, value) in effective.sorted(by: { $0.key < $1.key }) {
                    Self.appendMember(Self.reservedKeys.contains(key) ? "metadata." + key : key, value, into: &bytes)
                }
            }
        }
    }

    /// The line `logJSON` writes for the access log's `logger.info` (see `logAccess`).
    func logAccessJSON(method: String, path: String, status: UInt, requestId: String, milliseconds: UInt64, source: String,
                       note: String?, client: String?, upstream: String?) {
        let timestamp = Self.utcClock.now()
        output.append(deferrable: batchesOnEventLoops) { bytes in
            appendJSONLine(timestamp: timestamp, level: .info, source: source, into: &bytes) { bytes in
                bytes.append(UInt8(ascii: "\""))
                Self.appendEscaped(method, into: &bytes)
                bytes.append(UInt8(ascii: " "))
                Self.appendEscaped(path, into: &bytes)
                bytes.append(UInt8(ascii: " "))
                Self.appendDecimal(UInt64(status), into: &bytes)
                if let note {
                    bytes.append(contentsOf: " (".utf8)
                    Self.appendEscaped(note, into: &bytes)
                    bytes.append(UInt8(ascii: ")"))
                }
                bytes.append(UInt8(ascii: "\""))
            } members: { bytes in
                if let client {
                    bytes.append(contentsOf: #","client":"#.utf8)
                    Self.appendJSONString(client, into: &bytes)
                }
                bytes.append(contentsOf: #","ms":""#.utf8)
                Self.appendDecimal(milliseconds, into: &bytes)
                bytes.append(contentsOf: #"","requestId":"#.utf8)
                Self.appendJSONString(requestId, into: &bytes)
                if let upstream {
                    bytes.append(contentsOf: #","upstream":"#.utf8)
                    Self.appendJSONString(upstream, into: &bytes)
                }
            }
        }
    }

    private func appendJSONLine(timestamp: UTCMillisecondClock.Instant, level: Logger.Level, source: String, into bytes: inout [UInt8],
                                message: (inout [UInt8]) -> Void, members: (inout [UInt8]) -> Void) {
        bytes.append(contentsOf: #"{"timestamp":""#.utf8)
        bytes.append(contentsOf: timestamp.second.utf8)
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(timestamp.millisecond / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(timestamp.millisecond / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(timestamp.millisecond % 10))
        bytes.append(contentsOf: #"Z","level":""#.utf8)
        bytes.append(contentsOf: level.rawValue.utf8)
        bytes.append(contentsOf: #"","label":"#.utf8)
        Self.appendJSONString(label, into: &bytes)
        bytes.append(contentsOf: #","source":"#.utf8)
        Self.appendJSONString(source, into: &bytes)
        bytes.append(contentsOf: #","message":"#.utf8)
        message(&bytes)
        members(&bytes)
        bytes.append(contentsOf: "}\n".utf8)
    }

    private static func appendMember(_ key: String, _ value: Logger.MetadataValue, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: ","))
        appendJSONString(key, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendJSONValue(value, into: &bytes)
    }

    private static func appendJSONValue(_ value: Logger.MetadataValue, into bytes: inout [UInt8]) {
        switch value {
        case .string(let text): appendJSONString(text, into: &bytes)
        case .stringConvertible(let convertible): appendJSONString(convertible.description, into: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSONValue(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSONString(key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                appendJSONValue(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    static func appendJSONString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(text, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// RFC 8259's escapes: quote, backslash and the control characters; everything else is
    /// UTF-8 as it is.
    static func appendEscaped(_ text: String, into bytes: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
    }

    static let utcClock = UTCMillisecondClock()
}

/// The UTC time as `%Y-%m-%dT%H:%M:%S` (formatted again only when the second changes) and its
/// milliseconds.
final class UTCMillisecondClock: @unchecked Sendable {
    struct Instant {
        let second: String
        let millisecond: Int
    }

    private let lock = NSLock()
    private var cachedSecond: time_t = -1
    private var text = ""

    func now() -> Instant {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let millisecond = Int(spec.tv_nsec / 1_000_000)
        if let cached = lock.withLock({ cachedSecond == spec.tv_sec ? text : nil }) {
            return Instant(second: cached, millisecond: millisecond)
        }
        var seconds = spec.tv_sec
        var utc = tm()
        var buffer = [Int8](repeating: 0, count: 32)
        guard gmtime_r(&seconds, &utc) != nil else { return Instant(second: "1970-01-01T00:00:00", millisecond: 0) }
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &utc)
        let formatted = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        lock.withLock { cachedSecond = spec.tv_sec; text = formatted }
        return Instant(second: formatted, millisecond: millisecond)
    }
}
