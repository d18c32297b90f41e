import Foundation

/// A client on a plain socket, for tests that need what an HTTP client library will not send:
/// malformed or pipelined requests, requests that stop half way.
public enum RawSocketClient {
    /// What came back, and whether the server closed the connection (false: it was still open
    /// when `readTimeout` ran out).
    public struct Outcome: Sendable {
        public let text: String
        public let closedByServer: Bool
        /// Closed with a reset (our bytes unread there), not in order.
        public let reset: Bool
    }

    /// Connects to 127.0.0.1:`port`, writes `pieces` with `pause` between them, then reads until
    /// the server closes the connection or nothing arrives for `readTimeout`.
    /// - Parameters:
    ///   - stall: how long to wait before reading anything (a client that stops reading).
    ///   - receiveBuffer: SO_RCVBUF, small so that a stalled client's window closes early.
    ///   - halfClose: shut down the sending side once everything is written (`nc -N`), then read.
    public static func exchange(port: Int, _ pieces: [String], pause: Duration = .zero, stall: Duration = .zero,
                                receiveBuffer: Int32? = nil, readTimeout: Int = 10, halfClose: Bool = false) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
                var address = loopbackAddress(port: port)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { return continuation.resume(throwing: POSIXError(.ECONNREFUSED)) }
                func sleep(_ duration: Duration) {
                    Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
                }
                for (index, piece) in pieces.enumerated() {
                    if index > 0 { sleep(pause) }
                    let bytes = Array(piece.utf8)
                    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                if halfClose { shutdown(fd, Int32(SHUT_WR)) }
                sleep(stall)
                var received: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65536)
                var closed = false, reset = false
                while true {
                    let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count <= 0 {
                        // 0: an orderly close; ECONNRESET: closed with our bytes unread. A timeout is neither.
                        reset = count < 0 && errno == ECONNRESET
                        closed = count == 0 || reset
                        break
                    }
                    received.append(contentsOf: chunk[0..<count])
                }
                continuation.resume(returning: Outcome(text: String(decoding: received, as: UTF8.self), closedByServer: closed, reset: reset))
            }
        }
    }
}
