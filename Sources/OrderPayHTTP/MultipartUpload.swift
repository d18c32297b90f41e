import Foundation
import Hummingbird
import MultipartKit
import OrderPayCore

/// One file from a `multipart/form-data` body, parsed with MultipartKit. Every way the body can
/// be wrong is a 4xx problem naming what is wrong.
struct MultipartUpload {
    var fieldName: String
    var fileName: String?
    var bytes: Data
    /// Longer than the limit (the bytes past it were not kept).
    var oversized = false

    static let maxParts = 16

    /// The part named `field` (or, when no part has that name, the only part that carries a
    /// file name). `limit` bounds the file; the whole body may exceed it by 64 KiB of framing.
    static func file(named field: String, from request: Request, limit: Int) async throws -> MultipartUpload {
        let boundary = try boundary(request.headers[.contentType])
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit + 64 * 1024)
        } catch {
            throw tooLarge(limit)
        }
        let parts = try parse(buffer, boundary: boundary, limit: limit)
        let named = parts.filter { $0.fieldName == field }
        if named.count > 1 { throw HTTPProblem.badRequest("send exactly one '\(field)' field, not \(named.count)", field: field) }
        guard let part = named.first else {
            let others = parts.prefix(5).map { "'\($0.fieldName.echoed)'" }.joined(separator: ", ") + (parts.count > 5 ? ", …" : "")
            throw HTTPProblem.badRequest(parts.isEmpty ? "the multipart body has no complete part"
                                                       : "expected one file field named '\(field)', not \(others)", field: field)
        }
        guard !part.oversized else { throw tooLarge(limit) }
        guard !part.bytes.isEmpty else { throw HTTPProblem.badRequest("the uploaded file is empty", field: field) }
        return part
    }

    static func tooLarge(_ limit: Int) -> HTTPProblem {
        HTTPProblem(status: 413, detail: "the image must be at most \(limit) bytes (\(limit >> 20) MiB)")
    }

    /// `multipart/form-data; boundary=…` (quoted or not), else 415 / 400.
    static func boundary(_ contentType: String?) throws -> String {
        guard let contentType else {
            throw HTTPProblem(status: 415, detail: "request body must be multipart/form-data with a file field")
        }
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parameters.first?.lowercased() == "multipart/form-data" else {
            throw HTTPProblem(status: 415, detail: "request body must be multipart/form-data, not \(contentType.echoed)")
        }
        let value = parameters.dropFirst().lazy.compactMap(Self.parameter).first { $0.name == "boundary" }?.value
        guard let value, !value.isEmpty, value.utf8.count <= 70 else {
            throw HTTPProblem.badRequest("the multipart/form-data content type needs a boundary of 1–70 characters")
        }
        return value
    }

    /// `name=value` or `name="value"`; the name in lower case.
    static func parameter(_ text: some StringProtocol) -> (name: String, value: String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let name = text[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        var value = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return (name, value)
    }

    static func parse(_ buffer: ByteBuffer, boundary: String, limit: Int) throws -> [MultipartUpload] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartUpload] = []
        var disposition: String?
        var body = Data()
        var oversized = false
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { disposition = value }
        }
        parser.onBody = { chunk in
            if body.count + chunk.readableBytes > limit { oversized = true; return }
            body.append(contentsOf: chunk.readableBytesView)
        }
        parser.onPartComplete = {
            let fields = (disposition ?? "").split(separator: ";").dropFirst().compactMap(Self.parameter)
            let name = fields.first { $0.name == "name" }?.value ?? ""
            let fileName = fields.first { $0.name == "filename" }?.value
            parts.append(MultipartUpload(fieldName: name, fileName: fileName, bytes: body, oversized: oversized))
            disposition = nil
            body = Data()
            oversized = false
        }
        do {
            try parser.execute(buffer)
        } catch {
            throw HTTPProblem.badRequest("the multipart body is malformed (boundary '\(boundary.echoed)')")
        }
        if parts.count > maxParts { throw HTTPProblem.badRequest("the multipart body has more than \(maxParts) parts") }
        return parts
    }
}
