import Foundation
import OrderPayCore

/// The image formats a profile image may have, recognised by their first bytes (never by the
/// file name or the declared content type).
public enum ImageFormat: String, CaseIterable, Sendable {
    case png, jpeg, gif

    public var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .gif: "image/gif"
        }
    }

    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .gif: "gif"
        }
    }

    /// PNG `89 50 4E 47 0D 0A 1A 0A`, JPEG `FF D8 FF`, GIF `GIF87a` / `GIF89a`.
    public static func detect(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) { return .gif }
        return nil
    }
}

/// Profile images as files: `<data>/profile-images/<userId>.<ext>`, each written to a temporary
/// file in the same directory and renamed into place, so a reader sees the old image or the new
/// one, never half of one.
public final class ProfileImageStore: @unchecked Sendable {
    public let directory: String
    /// Largest accepted image, in bytes.
    public let maxBytes: Int
    private let lock = NSLock()

    public init(dataDirectory: String, maxBytes: Int = 2 << 20) {
        directory = (dataDirectory as NSString).appendingPathComponent("profile-images")
        self.maxBytes = maxBytes
    }

    func path(_ userId: Int64, _ format: ImageFormat) -> String {
        (directory as NSString).appendingPathComponent("\(userId).\(format.fileExtension)")
    }

    /// Stores the image and removes the user's image in any other format.
    public func save(userId: Int64, bytes: Data, format: ImageFormat) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = (directory as NSString).appendingPathComponent(".\(userId).\(UUID().uuidString).tmp")
            try bytes.write(to: URL(fileURLWithPath: temporary))
            try lock.withLock {
                guard rename(temporary, path(userId, format)) == 0 else {
                    let reason = String(cString: strerror(errno))
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw AppError(.unavailable, "cannot store the profile image: \(reason)")
                }
                for other in ImageFormat.allCases where other != format {
                    try? FileManager.default.removeItem(atPath: path(userId, other))
                }
            }
        } catch let error as AppError {
            throw error
        } catch {
            throw AppError(.unavailable, "cannot store the profile image: \(error.localizedDescription)")
        }
    }

    /// The user's image and its format, or nil when they have none.
    public func load(userId: Int64) throws -> (bytes: Data, format: ImageFormat)? {
        let candidates = ImageFormat.allCases.compactMap { format -> (ImageFormat, Date)? in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path(userId, format)) else { return nil }
            return (format, attributes[.modificationDate] as? Date ?? .distantPast)
        }
        guard let (stored, _) = candidates.max(by: { $0.1 < $1.1 }) else { return nil }
        guard let bytes = FileManager.default.contents(atPath: path(userId, stored)) else { return nil }
        // The bytes decide, as on upload.
        return (bytes, ImageFormat.detect(bytes) ?? stored)
    }
}
