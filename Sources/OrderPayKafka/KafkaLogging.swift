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
            KafkaLogging.logger.log(level: swiftLevel, "\(text)", metadata: metadata)
        }
    }
}
