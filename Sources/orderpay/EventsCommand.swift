import ArgumentParser
import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Read the event log and its dead letters.",
        subcommands: [Tail.self, DeadLetters.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print events; --follow keeps printing new ones.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this topic (order-created, payment-processed, order-status-updated).") var topic: String?
        @Option(help: "Start at this offset (of --topic; without --topic, at this log sequence number).") var from: Int64?
        @Option(help: "How many recent events to print when --from is not given.") var last = 20
        @Flag(help: "Keep waiting for new events (Ctrl-C stops).") var follow = false

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let topics: Set<Topic>? = try topic.map { name in
                    guard let topic = Topic(rawValue: name) else {
                        throw AppError.validation("'\(name)' is not a topic (\(Topic.allCases.map(\.rawValue).joined(separator: ", ")))", field: "topic")
                    }
                    return [topic]
                }
                var cursor: Int64
                if let from {
                    if let topic = topics?.first {
                        cursor = try await Self.position(before: from, of: topic, in: system.events)
                    } else {
                        cursor = max(0, from - 1)
                    }
                } else {
                    let recent = try await system.events.latest(count: max(0, last), topics: topics)
                    recent.forEach { print(line($0)) }
                    let newest = try await system.events.latest(count: 1, topics: nil).last?.sequence ?? 0
                    cursor = recent.last?.sequence ?? newest
                }
                // Following outlives a database restart, as the services do: a read the store
                // cannot answer now is said once on stderr and tried again every second, from the
                // same position, so nothing is missed or printed twice. (It ended the command.)
                // A page at a time until one comes back empty: that is the end of the log for now,
                // where a plain tail stops and --follow waits. (Inside `repeat … while follow`, the
                // `continue` after a full page went to the condition, so without --follow only the
                // first 500 events were printed.)
                var outage = false
                while true {
                    let seen = system.events.appended.current
                    let batch: [LoggedEvent]
                    do {
                        batch = try await system.events.tail(after: cursor, topics: topics, limit: Self.pageSize)
                    } catch {
                        let failure = (error as? AppError) ?? EmbeddedSystem.storageFailure(error)
                        guard follow, let failure, failure.kind == .unavailable else { throw error }
                        if !outage {
                            FileHandle.standardError.write(Data("warning: \(failure.message); still following, trying again every second\n".utf8))
                        }
                        outage = true
                        try await Task.sleep(for: .seconds(1))
                        continue
                    }
                    if outage {
                        FileHandle.standardError.write(Data("following again\n".utf8))
                        outage = false
                    }
                    batch.forEach { print(line($0)) }
                    if let last = batch.last { cursor = last.sequence; continue }
                    fflush(stdout)
                    guard follow else { break }
                    await system.events.appended.wait(after: seen, timeout: .milliseconds(200))
                }
            }
        }

        /// Events read at a time, here and in the lookup below: what the command holds in memory
        /// however long the topic or the log is.
        static let pageSize = 500

        /// The log position just before `topic`'s event at `offset` (or the first after it), where
        /// a tail of that topic starts; when there is none yet, the position of the topic's newest
        /// event, so only new ones follow. Found a page of the topic at a time: it loaded the
        /// whole topic to look the event up, all of it in memory at once.
        static func position(before offset: Int64, of topic: Topic, in events: any EventLog) async throws -> Int64 {
            guard let first = try await events.read(topic: topic, from: offset, limit: 1).first else {
                return try await events.latest(count: 1, topics: [topic]).last?.sequence ?? 0
            }
            var cursor: Int64 = 0
            while true {
                let page = try await events.tail(after: cursor, topics: [topic], limit: pageSize)
                if let match = page.first(where: { $0.envelope.eventId == first.eventId }) { return match.sequence - 1 }
                // Gone meanwhile (a Kafka ring moved on): after the topic's newest, as before.
                guard let last = page.last else { return cursor }
                cursor = last.sequence
            }
        }

        func line(_ event: LoggedEvent) -> String {
            if options.json {
                return String(decoding: (try? JSONCoding.encoder.encode(event.envelope)) ?? Data(), as: UTF8.self)
            }
            let e = event.envelope
            let json = e.payload.encodedJSON()
            return "\(e.occurredAt.short)  #\(event.sequence)  \(e.topic.rawValue)@\(e.offset)  key=\(e.key)  \(json)"
        }
    }

    struct DeadLetters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dead-letters", abstract: "List dead letters, or replay one.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Hand this dead letter to its consumer again.") var replay: Int64?
        @Flag(help: "Include dead letters already replayed.") var all = false

        func run() async throws {
            try await CLI.run(options, workers: replay != nil) { system in
                if let replay {
                    let letter = try await system.replayDeadLetter(id: replay)
                    try CLI.emit(letter, options) { "dead letter \(letter.id) replayed to \(letter.group)" }
                    return
                }
                let letters = try await system.events.deadLetters(includeReplayed: all)
                try CLI.emit(letters, options) {
                    var table = TextTable("ID", "GROUP", "TOPIC", "OFFSET", "ATTEMPTS", "FAILED", "REPLAYED", "ERROR")
                    for d in letters {
                        table.add(String(d.id), d.group, d.event.topic.rawValue, String(d.event.offset), String(d.attempts),
                                  d.failedAt.short, d.replayedAt?.short ?? "-", d.error)
                    }
                    return table.rendered
                }
            }
        }
    }
}
