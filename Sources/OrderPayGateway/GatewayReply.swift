import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore

/// A whole response the gateway writes itself (its own endpoints and its problem+json errors),
/// as opposed to one it relays from a service.
struct GatewayReply {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    static func json(_ data: Data, status: HTTPResponseStatus = .ok) -> GatewayReply {
        GatewayReply(status: status, headers: ["Content-Type": "application/json"], body: ByteBuffer(bytes: data))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) throws -> GatewayReply {
        json(try JSONCoding.encoder.encode(value), status: status)
    }

    static func problem(_ status: HTTPResponseStatus, _ detail: String, headers extra: HTTPHeaders = [:]) -> GatewayReply {
        var headers = extra
        headers.add(name: "Content-Type", value: "application/problem+json")
        let data = JSONResponses.problemData(status: Int(status.code), title: status.reasonPhrase, detail: detail)
        return GatewayReply(status: status, headers: headers, body: ByteBuffer(bytes: data))
    }

    /// 401 (with the challenge RFC 6750 asks for) or 403, from TokenService's error.
    static func refused(_ error: Error) -> GatewayReply {
        guard let error = error as? AppError else {
            return problem(.unauthorized, "invalid access token", headers: ["WWW-Authenticate": "Bearer"])
        }
        return problem(error.kind == .forbidden ? .forbidden : .unauthorized, error.message, headers: ["WWW-Authenticate": "Bearer"])
    }
}

/// Header names compared ASCII case-insensitively without lowercasing a copy of each name (this
/// runs for every header of every proxied request and response).
enum HeaderName {
    /// `lowercase` must be lowercase ASCII letters and dashes: `| 0x20` folds exactly the
    /// uppercase letters onto them among the characters a header name may contain.
    static func equals(_ name: String, _ lowercase: StaticString) -> Bool {
        guard name.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in name.utf8.elementsEqual(expected) { $0 | 0x20 == $1 } }
    }

    /// Connection-level headers (RFC 9110 §7.6.1) that describe one hop, never forwarded.
    static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: return equals(name, "te")
        case 7: return equals(name, "trailer") || equals(name, "upgrade")
        case 10: return equals(name, "connection") || equals(name, "keep-alive")
        case 17: return equals(name, "transfer-encoding")
        case 18: return equals(name, "proxy-authenticate")
        case 19: return equals(name, "proxy-authorization")
        default: return false
        }
    }
}
