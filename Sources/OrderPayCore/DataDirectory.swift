import Foundation

/// The data directory every OrderPay process keeps its files in.
public enum DataDirectory {
    /// Creates `path` (and its parents) unless it exists; a path that cannot be one (a file is
    /// there, the disk is read-only, no permission) is a one-line error, not Foundation's dump.
    public static func create(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw AppError(.unavailable, "cannot create data directory \(path): \(reason(error, creating: path))")
        }
    }

    /// The system's words for why (Foundation's own are "error 512" or "doesn't exist").
    private static func reason(_ error: Error, creating path: String) -> String {
        // The path itself, or a parent, that is a file.
        var candidate = path
        while !candidate.isEmpty, candidate != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return "\(candidate) is a file"
            }
            candidate = (candidate as NSString).deletingLastPathComponent
        }
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if mkdir(path, 0o755) != 0, errno != EEXIST { return String(cString: strerror(errno)) }
        return (error as NSError).localizedDescription
    }

    /// Writes `contents` to `file` (mode 0600) only if no file is there yet, atomically: a process
    /// reading it never sees half of it, and of two processes writing at once one wins and the
    /// other gets the winner's. Returns what the file holds.
    public static func createOnce(_ file: String, contents: String) throws -> String {
        let temporary = file + ".\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw writeError(file) }
        defer { unlink(temporary) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw writeError(file) }
        if link(temporary, file) == 0 { return contents }
        guard errno == EEXIST else { throw writeError(file) }
        return (try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
    }

    private static func writeError(_ file: String) -> AppError {
        AppError(.unavailable, "cannot write \(file): \(String(cString: strerror(errno)))")
    }
}
