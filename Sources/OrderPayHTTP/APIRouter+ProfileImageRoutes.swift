import Foundation
import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/users/{id}/profile-image`: upload (multipart/form-data, one file field `file`) and
/// download of a user's profile image. The same rule as the account itself: the user or an admin;
/// anyone else gets 404, as for a missing user.
public func addProfileImageRoutes(to api: APIRouter, auth: AuthService, tokens: TokenService, store: ProfileImageStore) {
    let tag = "users", user = RouteAccess.user(tokens)
    let path = "/api/users/{id}/profile-image"
    let mebibytes = store.maxBytes >> 20

    api.on(RouteDescriptor(method: .post, path: path, tag: tag,
                           summary: "Upload a profile image (the user or an admin): multipart/form-data with one file field 'file'; "
                               + "PNG, JPEG or GIF by content, at most \(mebibytes) MiB (413), other content 415",
                           access: user, body: "ProfileImageUpload", bodyContentType: "multipart/form-data",
                           response: .json("User"),
                           problems: [403: "a token issued before the caller's account was locked, deactivated or deleted"])) { request, context in
        let actor = try context.requireActor()
        let id = try context.pathID()
        // Who may, before reading a byte of the body.
        let current = try await auth.user(actor: actor, id: id)
        try await auth.requireActiveCaller(actor, to: "upload profile images", asAdmin: actor.userId != id, own: current)
        if current.status == .deleted { throw AppError.conflict("user \(id) is deleted") }
        let upload = try await MultipartUpload.file(named: "file", from: request, limit: store.maxBytes)
        guard let format = ImageFormat.detect(upload.bytes) else {
            throw HTTPProblem(status: 415, detail: "the file\(upload.fileName.map { " '\($0.echoed)'" } ?? "") is not a PNG, JPEG or GIF image "
                                  + "(judged by its content, not its name or declared type)")
        }
        let bytes = upload.bytes
        try await Offload.run { try store.save(userId: id, bytes: bytes, format: format) }
        let url = "/api/users/\(id)/profile-image"
        return try .json(try await auth.updateProfile(actor: actor, id: id, UpdateProfileRequest(profileImageUrl: url)))
    }
    api.on(RouteDescriptor(method: .get, path: path, tag: tag, summary: "The user's profile image (the user or an admin)",
                           access: user,
                           response: .binary(contentTypes: ImageFormat.allCases.map(\.contentType), description: "the image as uploaded"))) { _, context in
        let id = try context.pathID()
        _ = try await auth.user(actor: try context.requireActor(), id: id)
        guard let image = try await Offload.run({ try store.load(userId: id) }) else { throw AppError.notFound("user \(id) has no profile image") }
        return Response(status: .ok, headers: [.contentType: image.format.contentType, .contentLength: String(image.bytes.count),
                                               .cacheControl: "private, no-cache", .contentTypeOptions: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(bytes: image.bytes)))
    }
}
