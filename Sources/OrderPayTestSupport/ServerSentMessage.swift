/// A server-sent event as a test reads it from a whole response body: `id`, `event`, and the
/// `data` lines joined by newlines.
public struct ServerSentMessage: Equatable, Sendable {
    public var id = ""
    public var event = ""
    public var data = ""

    public init(id: String = "", event: String = "", data: String = "") { self.id = id; self.event = event; self.data = data }

    /// Events only; comments (`: keepalive`) are skipped.
    public static func parse(_ text: String) -> [ServerSentMessage] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var message = ServerSentMessage()
            var seen = false
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let value = parts[1].hasPrefix(" ") ? String(parts[1].dropFirst()) : String(parts[1])
                switch parts[0] {
                case "id": message.id = value; seen = true
                case "event": message.event = value; seen = true
                case "data": message.data += message.data.isEmpty ? value : "\n" + value; seen = true
                default: break
                }
            }
            return seen ? message : nil
        }
    }
}
