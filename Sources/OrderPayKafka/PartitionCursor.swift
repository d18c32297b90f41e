import Foundation
import OrderPayCore

/// Where a reader of every partition stands: for each partition of each topic, the offset of the
/// next message it has not delivered (the last delivered offset + 1; 0 before any). Partition
/// offsets are Kafka's own, so any process reading the same cluster can resume from it, unlike
/// the ring's sequence numbers.
///
/// Spelt as an event stream id: `k1.` and the base64url (unpadded) of, per topic, its number
/// (`topicNumbers`), its partition count and one unsigned LEB128 varint offset per partition,
/// followed by a 16-bit checksum of those bytes. The checksum makes a cut or mistyped id a 400
/// rather than other offsets (which would silently repeat or skip events). `k1` is the version:
/// a different layout gets another prefix. 3 topics × 6 partitions with offsets in the
/// millions take about 100 characters.
struct PartitionCursor: Equatable, Sendable {
    static let prefix = "k1."
    /// A topic's number in the encoding: fixed here, not Topic.allCases's order, which may change.
    static let topicNumbers: [Topic: UInt8] = [.orderCreated: 0, .paymentProcessed: 1, .orderStatusUpdated: 2]
    static let maximumPartitions = 10_000
    static let maximumTextLength = 4096

    /// Per topic, the next offset of each partition (index = partition).
    private(set) var offsets: [Topic: [Int64]]

    init(offsets: [Topic: [Int64]]) { self.offsets = offsets }

    /// The next offset of a partition; 0 for one the cursor does not know (a partition added
    /// after the cursor was made holds only later events).
    func next(_ topic: Topic, _ partition: Int32) -> Int64 {
        guard let list = offsets[topic], partition >= 0, Int(partition) < list.count else { return 0 }
        return list[Int(partition)]
    }

    /// Records that the message at `offset` was delivered.
    mutating func deliver(_ topic: Topic, _ partition: Int32, offset: Int64) {
        guard partition >= 0 else { return }
        var list = offsets[topic] ?? []
        if Int(partition) >= list.count { list += Array(repeating: 0, count: Int(partition) + 1 - list.count) }
        list[Int(partition)] = offset + 1
        offsets[topic] = list
    }

    var text: String {
        var bytes: [UInt8] = []
        for (topic, number) in Self.topicNumbers.sorted(by: { $0.value < $1.value }) {
            guard let list = offsets[topic], !list.isEmpty else { continue }
            bytes.append(number)
            Self.appendVarint(UInt64(list.count), to: &bytes)
            for offset in list { Self.appendVarint(UInt64(max(0, offset)), to: &bytes) }
        }
        let check = Self.checksum(bytes)
        bytes += [UInt8(check >> 8), UInt8(check & 0xFF)]
        return Self.prefix + Self.base64URL(bytes)
    }

    /// The cursor `text` spells, or nil when it is none (wrong prefix or alphabet, cut short,
    /// checksum off, a topic twice, an offset out of range).
    init?(text: String) {
        guard text.count <= Self.maximumTextLength, text.hasPrefix(Self.prefix),
              let bytes = Self.bytes(base64URL: String(text.dropFirst(Self.prefix.count))), bytes.count >= 2 else { return nil }
        let body = Array(bytes.dropLast(2))
        guard Self.checksum(body) == UInt16(bytes[bytes.count - 2]) << 8 | UInt16(bytes[bytes.count - 1]) else { return nil }
        let topics = Dictionary(uniqueKeysWithValues: Self.topicNumbers.map { ($0.value, $0.key) })
        var offsets: [Topic: [Int64]] = [:]
        var index = 0
        while index < body.count {
            let number = body[index]
            index += 1
            // A topic this version does not know (a newer one's) is skipped: its events are not streamed here.
            guard let count = Self.readVarint(body, at: &index), count <= UInt64(Self.maximumPartitions) else { return nil }
            var list: [Int64] = []
            for _ in 0..<count {
                guard let value = Self.readVarint(body, at: &index), value <= UInt64(Int64.max) else { return nil }
                list.append(Int64(value))
            }
            guard let topic = topics[number] else { continue }
            guard offsets[topic] == nil else { return nil }
            offsets[topic] = list
        }
        self.offsets = offsets
    }

    // MARK: - Bytes

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private static func readVarint(_ bytes: [UInt8], at index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// FNV-1a (32 bits) folded to 16.
    private static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return UInt16(truncatingIfNeeded: hash >> 16) ^ UInt16(truncatingIfNeeded: hash)
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func bytes(base64URL text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                                       || (0x61...0x7A).contains($0) }), text.count % 4 != 1 else { return nil }
        let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = standard + String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: padded).map { [UInt8]($0) }
    }
}
