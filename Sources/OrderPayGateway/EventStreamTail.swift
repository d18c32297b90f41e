import NIOCore

/// The last bytes of a server-sent event stream relayed so far: enough to tell whether the
/// stream stands between two events (after the blank line that ends one: `\n\n`, `\r\n\r\n` or
/// `\r\r`), also when that blank line arrived split over two reads. Before any body it does.
struct EventStreamTail {
    /// The last four bytes, the latest in the low byte.
    private var bytes: UInt32 = 0x0A0A

    var atEventBoundary: Bool {
        bytes & 0xFFFF == 0x0A0A || bytes == 0x0D0A_0D0A || bytes & 0xFFFF == 0x0D0D
    }

    mutating func append(_ chunk: ByteBuffer) {
        for byte in chunk.readableBytesView.suffix(4) { bytes = bytes << 8 | UInt32(byte) }
    }

    /// Appends `chunk` up to the end of the event in progress and says how many bytes that
    /// took (0 between events); nil when the event goes on past the chunk (all of it appended).
    mutating func appendToEventEnd(_ chunk: ByteBuffer) -> Int? {
        if atEventBoundary { return 0 }
        for (offset, byte) in chunk.readableBytesView.enumerated() {
            bytes = bytes << 8 | UInt32(byte)
            if atEventBoundary { return offset + 1 }
        }
        return nil
    }
}
