import Foundation

/// One operator action as the audit log keeps it.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var at: Date
    public var who: String
    public var mode: String
    public var action: String
    public var outcome: String
    public var ok: Bool

    public init(at: Date, who: String, mode: String, action: String, outcome: String, ok: Bool) {
        self.at = at; self.who = who; self.mode = mode; self.action = action; self.outcome = outcome; self.ok = ok
    }
}

/// Every action an operator takes, appended as a JSON line to `audit.log` in the data dir, with
/// failures as well as successes. Appends are O_APPEND writes of whole lines, so two consoles on
/// one data dir interleave lines, never bytes within one.
public final class AuditLog: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private let encoder: JSONEncoder = {
        let e = JSONEncoder(); e.dateEncodingStrategy = .iso8601; e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]; return e
    }()

    public init(path: String) { self.path = path }

    public func append(_ entry: AuditEntry) throws {
        var line = try encoder.encode(entry)
        line.append(0x0A)
        try lock.withLock {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
            guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
            defer { close(fd) }
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == line.count else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        }
    }

    /// The newest `limit` entries, oldest first. Lines that do not parse (a torn last line) are skipped.
    public func recent(limit: Int = 500) -> [AuditEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder(); decoder.dateDecodingStrategy = .iso8601
        let lines = data.split(separator: 0x0A).suffix(limit)
        return lines.compactMap { try? decoder.decode(AuditEntry.self, from: Data($0)) }
    }
}
