import Foundation

/// The JSON settings every module shares: camelCase keys, ISO-8601 UTC timestamps with milliseconds.
public enum JSONCoding {
    private static let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func string(from date: Date) -> String { date.formatted(format) }

    public static func date(from text: String) -> Date? {
        (try? format.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    /// Shared instances: creating coders per event showed up in profiles; configured once, they
    /// are safe to use from several threads.
    public static let encoder: JSONEncoder = makeEncoder()
    public static let decoder: JSONDecoder = makeDecoder()

    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(string(from: date))
        }
        return encoder
    }

    public static var prettyEncoder: JSONEncoder {
        let encoder = makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO-8601 timestamp")
            }
            return date
        }
        return decoder
    }
}
