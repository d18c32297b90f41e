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
            throw HTTPProblem(status: 415, detail: "request body must be application/json, not \(contentType.echoed)")
        }
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw HTTPProblem(status: 413, detail: "request body is larger than \(context.maxUploadSize) bytes")
        }
        let data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        // SQLite (through GRDB) keeps text only up to its first NUL: a name of "\u0000\u0000" would
        // pass its length check and be stored empty. No field has a use for one.
        if Self.containsEscapedNUL(data) {
            throw HTTPProblem.badRequest("text must not contain NUL characters (\\u0000)")
        }
        let value: T
        do {
            value = try JSONCoding.decoder.decode(T.self, from: data)
        } catch DecodingError.dataCorrupted(let corrupted) where corrupted.codingPath.isEmpty {
            throw JSONNumberProbe.diagnose(T.self, data: data)
        } catch let error as DecodingError {
            throw error.problem
        } catch let error as AppError {
            throw error
        } catch {
            throw HTTPProblem.badRequest("request body could not be decoded: \(error)")
        }
        if let key = JSONDuplicateKeys.first(in: data) {
            throw HTTPProblem.badRequest("field '\(key.echoed)' appears twice in one object; send each field once", field: key.echoed)
        }
        return value
    }

    /// Whether a JSON text holds `\u0000` as an escape (not as an escaped backslash followed by
    /// "u0000"). Raw control characters are invalid JSON, so the escape is the only way in.
    static func containsEscapedNUL(_ bytes: Data) -> Bool {
        let escape = Array("u0000".utf8)
        var backslashes = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                backslashes += 1
            } else {
                if backslashes % 2 == 1, byte == UInt8(ascii: "u"), bytes.endIndex - index >= 5,
                   bytes[index..<index + 5].elementsEqual(escape) {
                    return true
                }
                backslashes = 0
            }
            index += 1
        }
        return false
    }
}
