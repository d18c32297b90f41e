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
    /// (RFC 6874: `fe80::1%eth0` is `[fe80::1%25eth0]`).
    public static func authority(_ host: String, port: Int) -> String {
        guard host.contains(":") && !host.hasPrefix("[") else { return "\(host):\(port)" }
        return "[\(host.replacingOccurrences(of: "%", with: "%25"))]:\(port)"
    }

    /// `host:port` for a request's Host header: as `authority`, without an IPv6 zone, which only
    /// means something on the sending machine (RFC 6874 §4).
    public static func hostHeader(_ host: String, port: Int) -> String {
        guard host.contains(":") && !host.hasPrefix("["), let zone = host.firstIndex(of: "%") else { return authority(host, port: port) }
        return authority(String(host[..<zone]), port: port)
    }

    /// `http://host:port` for a server listening on `host` (wildcards made reachable).
    public static func httpURL(_ host: String, port: Int) -> String {
        "http://" + authority(reachable(host), port: port)
    }
}
