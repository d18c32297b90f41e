import CRdKafka
import Foundation
import OrderPayCore

/// One message to produce: the key picks the partition (an order's events share one).
struct OutgoingMessage: Sendable {
    let topic: String
    let key: String
    let value: Data
}

/// An idempotent, acks=all producer. `send` returns once the brokers acknowledged every message of
/// the batch (delivery reports), or throws if any was not; a dedicated thread serves the reports.
final class KafkaProducer: @unchecked Sendable {
    private let handle: OpaquePointer
    private let topicsLock = NSLock()
    private var topics: [String: OpaquePointer] = [:]
    private let closed = StopFlag()
    private let pollerDone = DispatchSemaphore(value: 0)

    init(config: KafkaConfig) throws {
        handle = try config.client(RD_KAFKA_PRODUCER, [
            ("enable.idempotence", "true"),
            ("acks", "all"),
            // murmur2 like the Java clients: another producer of the same keys agrees on partitions.
            ("partitioner", "murmur2_random"),
            ("linger.ms", "2"),
        ]) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                Unmanaged<DeliveryTracker>.fromOpaque(opaque).takeRetainedValue().delivered(message.pointee.err)
            }
        }
        // The thread holds the handle and the flag, not self, so the producer can go away anywhere.
        nonisolated(unsafe) let handle = self.handle
        let done = pollerDone, closed = self.closed
        let thread = Thread {
            while !closed.isSet { rd_kafka_poll(handle, 100) }
            done.signal()
        }
        thread.name = "kafka-producer-poll"
        thread.start()
    }

    /// Produces every message and waits for all delivery reports. Cancellation stops the wait
    /// (the messages may still be delivered: the caller's outbox keeps them until a later success).
    func send(_ messages: [OutgoingMessage]) async throws {
        guard !messages.isEmpty else { return }
        let tracker = DeliveryTracker(count: messages.count)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                tracker.start(continuation)
                for message in messages {
                    if let error = produce(message, tracker: tracker) {
                        tracker.fail(error)
                        return
                    }
                }
            }
        } onCancel: {
            tracker.cancel()
        }
    }

    private func produce(_ message: OutgoingMessage, tracker: DeliveryTracker) -> Error? {
        if closed.isSet { return AppError(.unavailable, "Kafka producer is closed") }
        guard let topic = topicHandle(message.topic) else {
            return KafkaError(rd_kafka_last_error(), "cannot open topic \(message.topic)")
        }
        let opaque = Unmanaged.passRetained(tracker).toOpaque()
        let key = Array(message.key.utf8)
        let result = message.value.withUnsafeBytes { value in
            op_rd_kafka_produce(topic, key, key.count, value.baseAddress, value.count, opaque)
        }
        if result != 0 {
            Unmanaged<DeliveryTracker>.fromOpaque(opaque).release()
            return KafkaError(rd_kafka_last_error(), "cannot produce to \(message.topic)")
        }
        return nil
    }

    private func topicHandle(_ name: String) -> OpaquePointer? {
        topicsLock.withLock {
            if let existing = topics[name] { return existing }
            let created = rd_kafka_topic_new(handle, name, nil)
            topics[name] = created
            return created
        }
    }

    /// Waits briefly for messages in flight, drops the rest (their outbox rows are still there, so
    /// nothing is lost: the next relay re-sends them) and destroys the handle.
    func close(flushFor timeout: Duration = .seconds(2)) {
        guard closed.set() else { return }
        pollerDone.wait()
        let milliseconds = Int32(timeout.components.seconds * 1000)
        if rd_kafka_flush(handle, milliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_purge(handle, op_rd_kafka_purge_all())
            rd_kafka_poll(handle, 0)   // serve the purged messages' reports: releases their trackers
        }
        topicsLock.withLock {
            topics.values.forEach { rd_kafka_topic_destroy($0) }
            topics.removeAll()
        }
        rd_kafka_destroy(handle)
    }

    deinit { close(flushFor: .zero) }
}

/// Counts one batch's delivery reports and resumes its waiter once: after the last report, at the
/// first failure, or on cancellation. Late reports after that only release their retain.
final class DeliveryTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int
    private var continuation: CheckedContinuation<Void, Error>?
    private var finished = false
    private var pendingResult: Result<Void, Error>?

    init(count: Int) { remaining = count }

    func start(_ continuation: CheckedContinuation<Void, Error>) {
        let early: Result<Void, Error>? = lock.withLock {
            if let pendingResult { return pendingResult }
            self.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func delivered(_ error: rd_kafka_resp_err_t) {
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            finish(.failure(KafkaError(error, "delivery failed")))
            return
        }
        let done = lock.withLock { () -> Bool in remaining -= 1; return remaining == 0 }
        if done { finish(.success(())) }
    }

    func fail(_ error: Error) {
        finish(.failure(error))
    }

    func cancel() { finish(.failure(CancellationError())) }

    private func finish(_ result: Result<Void, Error>) {
        let waiter: CheckedContinuation<Void, Error>? = lock.withLock {
            guard !finished else { return nil }
            finished = true
            guard let continuation else { pendingResult = result; return nil }
            self.continuation = nil
            return continuation
        }
        waiter?.resume(with: result)
    }
}

/// A one-way switch shared with a thread: `set` returns true only for the caller that flipped it.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() -> Bool {
        lock.withLock { () -> Bool in
            defer { value = true }
            return !value
        }
    }
}
