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
    /// its own colons would otherwise read as the port's.
    public static func authority(_ host: String, port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `http://host:port` for a server listening on `host` (wildcards made reachable).
    public static func httpURL(_ host: String, port: Int) -> String {
        "http://" + authority(reachable(host), port: port)
    }
}
