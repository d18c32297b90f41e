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
                        // Translate a topic offset into a log position.
                        let first = try await system.events.read(topic: topic, from: from, limit: 1).first
                        let recent = try await system.events.latest(count: Int.max, topics: topics)
                        cursor = recent.first { $0.envelope.eventId == first?.eventId }.map { $0.sequence - 1 } ?? (recent.last?.sequence ?? 0)
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
                var outage = false
                repeat {
                    let seen = system.events.appended.current
                    let batch: [LoggedEvent]
                    do {
                        batch = try await system.events.tail(after: cursor, topics: topics, limit: 500)
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
                    if follow { await system.events.appended.wait(after: seen, timeout: .milliseconds(200)) }
                } while follow
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
