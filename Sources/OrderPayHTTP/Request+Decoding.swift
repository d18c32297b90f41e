import Foundation
import Hummingbird
import OrderPayCore

extension Request {
    /// Decodes the JSON body with the shared coders. Anything malformed becomes a 400 that names
    /// the field; an empty body is a 400 too.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: OrderPayRequestContext) async throws -> T {
        guard let value = try await decodeJSONIfPresent(type, context: context) else {
            throw HTTPProblem.badRequest("a JSON request body is required")
        }
        return value
    }

    /// Like `decodeJSON`, but an empty body is nil (for routes whose body is optional).
    func decodeJSONIfPresent<T: Decodable>(_ type: T.Type, context: OrderPayRequestContext) async throws -> T? {
        if let contentType = headers[.contentType], !contentType.lowercased().contains("json") {
            throw HTTPProblem(status: 415, title: "Unsupported media type", slug: "unsupported-media-type",
                              detail: "request body must be application/json, not \(contentType)")
        }
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw HTTPProblem(status: 413, title: "Content too large", slug: "content-too-large",
                              detail: "request body is larger than \(context.maxUploadSize) bytes")
        }
        let data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        do {
            return try JSONCoding.decoder.decode(T.self, from: data)
        } catch DecodingError.dataCorrupted(let corrupted) where corrupted.codingPath.isEmpty {
            throw JSONNumberProbe.diagnose(T.self, data: data)
        } catch let error as DecodingError {
            throw error.problem
        } catch let error as AppError {
            throw error
        } catch {
            throw HTTPProblem.badRequest("request body could not be decoded: \(error)")
        }
    }
}
