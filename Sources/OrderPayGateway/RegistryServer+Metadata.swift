import Foundation
import Hummingbird
import OrderPayCore
import OrderPayHTTP

extension RegistryServer {
    /// Eureka's `PUT /eureka/apps/{app}/{id}/metadata?key=value&…`: sets those entries of the
    /// instance's metadata map, keeping the rest, as a Eureka server does. Tools use it to tag an
    /// instance (a zone, a version, a canary flag) without the instance registering again; the
    /// instance's own next registration replaces the whole description, as on Eureka.
    func updateMetadata<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        let app = try context.parameters.require("app"), id = try Self.instanceID(context)
        let entries: [String: String]
        do {
            entries = try Self.metadataEntries(request.uri.query ?? "")
        } catch let problem as HTTPProblem {
            return JSONResponses.problem(problem)
        }
        let renewalInterval = registry.renewalInterval, leaseDuration = registry.leaseDuration
        return try await respond {
            try await registry.changeDescriptor(app: app, instanceId: id) { stored in
                // An instance registered without a description of its own is described as a
                // listing shows it, so the entries land in the same JSON a listing returns.
                var described = stored.descriptor.flatMap { try? JSONDecoder().decode(EurekaInstance.self, from: Data($0.utf8)) }
                    ?? EurekaInstance(stored, renewalInterval: renewalInterval, leaseDuration: leaseDuration)
                // Java's Eureka client sends an empty map as {"@class": "java.util.Collections$EmptyMap"}:
                // a type marker, not an entry, and wrong once the map has entries.
                var values = described.metadata?.values ?? [:]
                values["@class"] = nil
                described.metadata = EurekaInstance.StringMap(values.merging(entries) { $1 })
                return String(decoding: try JSONEncoder().encode(described), as: UTF8.self)
            }
        }
    }

    /// The query's `key=value` pairs, decoded as Eureka's (Jersey's) server decodes them: percent
    /// escapes, and `+` as a space. A key given twice or none at all is refused, as is a control
    /// character (listings reach terminals and logs).
    static func metadataEntries(_ query: String) throws -> [String: String] {
        func decode(_ part: Substring) -> String? { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
        var entries: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(halves[0]), let value = halves.count > 1 ? decode(halves[1]) : "" else {
                throw HTTPProblem.badRequest("metadata '\(String(pair).echoed)' is not percent-encoded UTF-8")
            }
            guard !key.isEmpty, key.utf8.count <= 255 else {
                throw HTTPProblem.badRequest("a metadata key must be 1–255 bytes")
            }
            guard !key.containsControlCharacters, !value.containsControlCharacters else {
                throw HTTPProblem.badRequest("metadata '\(key.echoed)' must not contain control characters")
            }
            guard entries.updateValue(value, forKey: key) == nil else { throw HTTPProblem.givenMoreThanOnce(queryParameter: key.echoed) }
        }
        guard !entries.isEmpty else {
            throw HTTPProblem.badRequest("give the metadata to set as query parameters: …/metadata?key=value")
        }
        return entries
    }
}
