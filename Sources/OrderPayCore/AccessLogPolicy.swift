/// Which requests the access logs (the services' and the gateway's) write at debug level
/// rather than info.
public enum AccessLogPolicy {
    /// A `/health` answered 200: `orderpay up` asks every child every 5 s, and a load balancer
    /// as often, which would bury the traffic in check lines. A failing check stays at info, and
    /// every check is still counted in `/metrics`.
    public static func isRoutineHealthCheck(path: String, status: Int) -> Bool {
        status == 200 && path == "/health"
    }
}
