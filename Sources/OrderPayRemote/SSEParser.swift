import Foundation

/// One server-sent event: `id`, `event` and the `data` lines joined by newlines.
struct SSEMessage: Sendable, Equatable {
    var id: String?
    var event: String
    var data: String
}

/// An incremental parser for `text/event-stream` (the WHATWG rules OrderPay's server needs):
/// bytes arrive in arbitrary chunks; lines end in LF, CRLF or CR; a blank line dispatches the
/// event; `:` lines are comments (keep-alives); an event without data is dropped; the last `id`
/// seen persists (`lastEventID`), as a browser's EventSource keeps it for reconnecting.
struct SSEParser {
    private var pending: [UInt8] = []
    private var skipLeadingLF = false
    private var id: String?
    private var event = ""
    private var data: [String] = []
    private var hasData = false
    private(set) var lastEventID: String?

    init(lastEventID: String? = nil) { self.lastEventID = lastEventID }

    /// Feeds a chunk and returns the events it completed, in order.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEMessage] where Bytes.Element == UInt8 {
        var messages: [SSEMessage] = []
        for byte in bytes {
            if skipLeadingLF {
                skipLeadingLF = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A, 0x0D:
                skipLeadingLF = byte == 0x0D
                let line = String(decoding: pending, as: UTF8.self)
                pending.removeAll(keepingCapacity: true)
                if let message = process(line) { messages.append(message) }
            default:
                pending.append(byte)
            }
        }
        return messages
    }

    private mutating func process(_ line: String) -> SSEMessage? {
        if line.isEmpty { return dispatch() }
        if line.hasPrefix(":") { return nil }
        let field: Substring, value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            var rest = line[line.index(after: colon)...]
            if rest.hasPrefix(" ") { rest = rest.dropFirst() }
            value = rest
        } else {
            field = Substring(line); value = ""
        }
        switch field {
        case "data": data.append(String(value)); hasData = true
        case "event": event = String(value)
        case "id" where !value.contains("\0"): id = String(value)
        default: break   // retry and unknown fields: ignored
        }
        return nil
    }

    private mutating func dispatch() -> SSEMessage? {
        if let id { lastEventID = id }
        defer { id = nil; event = ""; data = []; hasData = false }
        guard hasData else { return nil }
        return SSEMessage(id: id ?? lastEventID, event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n"))
    }
}
