import Foundation

/// CPU time from /proc, for `bench http`'s account of where the CPU went in each run: the proxy's
/// and the order service's time per request, and the share of the machine left idle. On a shared
/// machine the throughput ratio moves with the neighbours; these say why one proxy is ahead.
struct MachineCPU {
    /// Clock ticks in user space and in the kernel.
    struct Ticks: Equatable {
        var user = 0
        var system = 0
        var total: Int { user + system }

        static func - (a: Ticks, b: Ticks) -> Ticks { Ticks(user: a.user - b.user, system: a.system - b.system) }
    }

    /// Clock ticks of a process (all its threads) and of every direct child it has.
    static func ticks(ofProcessAndChildren pid: Int32) -> Ticks {
        guard pid > 0 else { return Ticks() }   // no process (the children of "0" would be init's)
        var sum = processTicks(pid) ?? Ticks()
        for child in children(of: pid) {
            guard let ticks = processTicks(child) else { continue }
            sum.user += ticks.user
            sum.system += ticks.system
        }
        return sum
    }

    /// (busy, total) clock ticks of the whole machine since boot.
    static func machineTicks() -> (busy: Int, total: Int) {
        guard let line = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8))?.split(separator: "\n").first else { return (0, 0) }
        let fields = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard fields.count >= 5 else { return (0, 0) }
        let total = fields.prefix(8).reduce(0, +)
        return (total - fields[3] - fields[4], total)   // idle and iowait are not busy
    }

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime and stime: fields 14 and 15 of /proc/<pid>/stat, counted after the command's ")".
    private static func processTicks(_ pid: Int32) -> Ticks? {
        guard let stat = statFields(pid), stat.count > 12, let user = Int(stat[11]), let system = Int(stat[12]) else { return nil }
        return Ticks(user: user, system: system)
    }

    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: end)...].split(separator: " ")
    }

    private static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            // Field 4 of /proc/<pid>/stat is the parent's pid (index 1 after the command).
            statFields(candidate).flatMap { $0.count > 1 ? Int32($0[1]) : nil } == pid
        }
    }
}
