import Foundation

/// A TCP forwarder in its own process (a few lines of Python) from a loopback port to a server:
/// killed, the server is out of reach as if it had gone down; started again on the same port, it
/// is back. For tests of outages of a real PostgreSQL server shared by the whole test run.
public final class TCPForwarder {
    static let script = #"""
    import socket, sys, threading
    target = (sys.argv[1], int(sys.argv[2]))
    server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[3]))); server.listen(64)
    print(server.getsockname()[1], flush=True)
    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data: break
                b.sendall(data)
        except OSError: pass
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(target)
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    """#

    public let port: Int
    private let process: Process

    /// Forwards `listen` (0: a free port) to `host`:`targetPort`.
    public init(to host: String, _ targetPort: Int, on listen: Int = 0) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, host, String(targetPort), String(listen)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        guard port > 0 else {
            stop()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the TCP forwarder did not start"])
        }
    }

    /// Stops the forwarder's process where it is (SIGSTOP), as a frozen server: its connections
    /// stay open and new ones are still accepted by the kernel, but nothing is relayed or answered.
    public func freeze() { kill(process.processIdentifier, SIGSTOP) }

    /// Lets a frozen forwarder go on (SIGCONT).
    public func thaw() { kill(process.processIdentifier, SIGCONT) }

    /// Ends the forwarder and every connection through it. SIGKILL: a child of the test runner
    /// inherits its SIGTERM ignored.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
