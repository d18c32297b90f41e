/// How a listening address is written in a URL and reached from this machine.
public enum HostAddress {
    /// The address other processes on this machine reach a server on: a wildcard listener
    /// (`0.0.0.0`, `::`) is reached through loopback.
    public static func reachable(_ host: String) -> String {
        switch host {
        case "0.0.0.0": return "127.0.0.1"
        case "::", "[::]": return "::1"
        default: return host
        }
    }

    /// `host:port` as a URL's authority: an IPv6 address goes in brackets (`[::1]:8000`), since
    /// its own colons would otherwise read as the port's, and a zone's `%` is written `%25`
    /// (RFC 6874: `[fe80::1%25eth0]`).
    public static func authority(_ host: String, port: Int) -> String {
        guard host.contains(":") && !host.hasPrefix("[") else { return "\(host):\(port)" }
        guard let zone = host.firstIndex(of: "%"), !host[zone...].hasPrefix("%25") else { return "[\(host)]:\(port)" }
        return "[\(host[..<zone])%25\(host[host.index(after: zone)...])]:\(port)"
    }

    /// `http://host:port` for a server listening on `host` (wildcards made reachable).
    public static func httpURL(_ host: String, port: Int) -> String {
        "http://" + authority(reachable(host), port: port)
    }
}
