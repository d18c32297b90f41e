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
        return (error as NSError).localizedDescription
    }

    /// Writes `contents` to `file` (mode 0600) only if no file is there yet, atomically: a process
    /// reading it never sees half of it, and of two processes writing at once one wins and the
    /// other gets the winner's. Returns what the file holds.
    public static func createOnce(_ file: String, contents: String) throws -> String {
        let existing = { (try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "" }
        let temporary = file + ".\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        try write(contents, to: temporary).orThrow()
        defer { unlink(temporary) }
        if link(temporary, file) == 0 { return contents }
        let linkError = errno
        switch linkError {
        case EEXIST:
            return existing()
        case EPERM, ENOTSUP, EXDEV, EMLINK:
            // A file system without hard links (some FUSE and network mounts): an exclusive
            // create, written in place.
            let failure = write(contents, to: file)
            if failure?.code == EEXIST { return existing() }
            try failure.orThrow()
            return contents
        default:
            throw AppError(.unavailable, "cannot write \(file): \(String(cString: strerror(linkError)))")
        }
    }

    struct WriteFailure: Error {
        let code: Int32
        let error: AppError
    }

    /// Creates `path` (it must not exist) holding `contents`, synced; nil when done.
    private static func write(_ contents: String, to path: String) -> WriteFailure? {
        func failure(_ code: Int32, _ reason: String? = nil) -> WriteFailure {
            WriteFailure(code: code, error: AppError(.unavailable, "cannot write \(path): \(reason ?? String(cString: strerror(code)))"))
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return failure(errno) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        if written < 0 { return failure(errno) }
        if written != bytes.count { return failure(0, "the disk took \(written) of \(bytes.count) bytes") }
        return fsync(fd) == 0 ? nil : failure(errno)
    }
}

private extension Optional where Wrapped == DataDirectory.WriteFailure {
    func orThrow() throws { if let failure = self { throw failure.error } }
}
