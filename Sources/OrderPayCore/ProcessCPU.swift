import Foundation

/// CPU time this process has used (user + system), for benchmarks that report CPU per operation:
/// on a shared machine, wall-clock rates move with the neighbours' load, CPU per operation much less.
public enum ProcessCPU {
    public static func seconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
