import CRdKafka
import Foundation
import Logging

/// Routes librdkafka's own log lines (broker connects, retries, group changes) to swift-log instead
/// of stderr, where they would tear through the console and `--plain` output.
enum KafkaLogging {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current = Logger(label: "orderpay.kafka")

    /// The logger librdkafka lines go to (the last KafkaEvents created sets it).
    static var logger: Logger {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    /// Installs the forwarding callback on a configuration.
    static func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_log_cb(conf) { handle, level, facility, message in
            let text = message.map { String(cString: $0) } ?? ""
            let name = handle.flatMap { rd_kafka_name($0) }.map { String(cString: $0) } ?? "rdkafka"
            let metadata: Logger.Metadata = ["client": "\(name)", "facility": "\(facility.map { String(cString: $0) } ?? "")"]
            // syslog levels, one step down: librdkafka reports every refused connection of an
            // outage as an error, while OrderPay's own logs say what failed and what it does next.
            let swiftLevel: Logger.Level = switch level {
            case ...2: .critical
            case 3: .warning
            case 4, 5: .notice
            case 6: .info
            default: .debug
            }
            guard let repeats = KafkaLogging.repeats(of: name + " " + text) else { return }
            var shown = metadata
            if repeats > 0 { shown["repeated"] = "\(repeats) times since last shown" }
            KafkaLogging.logger.log(level: swiftLevel, "\(text)", metadata: shown)
        }
    }

    /// How long the same line is held back after it is logged: through a broker outage librdkafka
    /// says the same thing for every reconnect, each twice (as FAIL and as ERROR), hundreds of
    /// lines a minute that buried OrderPay's own.
    static let quietPeriod: Duration = .seconds(30)
    nonisolated(unsafe) private static var shown: [String: (at: ContinuousClock.Instant, heldBack: Int)] = [:]

    /// Nil when `line` was logged within the quiet period (it is counted); else how many times it
    /// was held back since it was last logged.
    static func repeats(of line: String, now: ContinuousClock.Instant = .now) -> Int? {
        lock.withLock {
            if let last = shown[line], now - last.at < quietPeriod {
                shown[line]?.heldBack += 1
                return nil
            }
            if shown.count > 1_000 { shown.removeAll() }
            let heldBack = shown[line]?.heldBack ?? 0
            shown[line] = (now, 0)
            return heldBack
        }
    }
}
