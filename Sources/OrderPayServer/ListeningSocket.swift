import Foundation

/// Whether a process itself listens on a TCP port (Linux /proc): a supervisor's health check
/// must reach its own child, not whatever else answers on that port.
public enum ListeningSocket {
    /// True when one of `pid`'s open file descriptors is a socket listening on `port` (IPv4 or IPv6).
    public static func isOwned(by pid: Int32, port: Int) -> Bool {
        let listening = inodes(listeningOn: port)
        guard !listening.isEmpty, let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return false }
        for fd in fds {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                  target.hasPrefix("socket:["), target.hasSuffix("]") else { continue }
            if listening.contains(String(target.dropFirst(8).dropLast())) { return true }
        }
        return false
    }

    /// The inodes of the sockets in LISTEN state (`0A`) on `port`, from /proc/net/tcp and tcp6:
    /// `sl local_address rem_address st … inode`, the address as `HEXIP:HEXPORT`.
    static func inodes(listeningOn port: Int) -> Set<String> {
        let suffix = ":" + String(format: "%04X", port)
        var found = Set<String>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: Foundation's `String(contentsOfFile:)` and `Data(contentsOf:)` take a
            // /proc file's size from stat (0) and return only the first page (~26 sockets), so on a
            // machine with more sockets a child's listener was missed and `up` gave up on it.
            guard let data = try? FileHandle(forReadingFrom: URL(fileURLWithPath: table)).readToEnd() else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[1].hasSuffix(suffix), fields[3] == "0A" else { continue }
                found.insert(String(fields[9]))
            }
        }
        return found
    }
}
