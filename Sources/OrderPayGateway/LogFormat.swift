import Foundation

/// How `orderpay serve` and `orderpay up` write their log lines: text for a person at a
/// terminal, one JSON object per line for a log collector.
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json

    public static let environmentKey = "ORDERPAY_LOG_FORMAT"

    /// `--log-format`, else `ORDERPAY_LOG_FORMAT`, else JSON unless standard error is a terminal.
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                               standardErrorIsTerminal: Bool = isatty(2) == 1) throws -> LogFormat {
        if let flag { return try parse(flag, from: "--log-format") }
        if let value = environment[environmentKey], !value.isEmpty { return try parse(value, from: environmentKey) }
        return standardErrorIsTerminal ? .text : .json
    }

    private static func parse(_ value: String, from origin: String) throws -> LogFormat {
        guard let format = LogFormat(rawValue: value.lowercased()) else {
            throw LogFormatError(message: "\(origin) must be text or json, not '\(value)'")
        }
        return format
    }
}

public struct LogFormatError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
