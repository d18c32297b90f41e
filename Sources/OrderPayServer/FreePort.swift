import Foundation

public enum FreePort {
    /// Asks the kernel for a free loopback port (bind to 0, read it back, release it).
    public static func find() -> Int { find(count: 1)[0] }

    /// `count` distinct free loopback ports: each probe's socket stays bound until all are found,
    /// so the kernel cannot hand one port out twice (`up --random-ports` gave two children the
    /// same one when probes were released one by one). Another process can still take one
    /// before its server binds it.
    public static func find(count: Int) -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        return (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}
