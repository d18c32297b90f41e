import AsyncHTTPClient
import Foundation
import NIOCore
import OrderPayCore
import OrderPayGateway
import OrderPayHTTP
import OrderPayServices

/// Replays a dead letter at an instance of the service that runs its consumer group, for
/// `orderpay serve` processes that do not run it: the gateway sends every `/api/events` request to
/// the order service, whose process runs only the order-service consumers. Consumer groups are
/// named after their services' apps (`payment-service` is `PAYMENT-SERVICE` in the registry).
///
/// The owner's answer is the answer: its success, or its problem with the owner's status and
/// detail. The next instance is tried only when one could not be reached at all.
struct RegistryDeadLetterHandover: DeadLetterHandover {
    let services: PeerServices
    /// Below the gateway's upstream timeout (30 s), so the caller hears this process's account of
    /// a slow owner rather than the gateway's.
    var timeout: TimeAmount = .seconds(20)

    func replay(_ letter: DeadLetter, callerToken: String?) async throws -> DeadLetter {
        let app = letter.group.uppercased()
        let instances = await services.instances(of: app)
        guard !instances.isEmpty else {
            throw AppError(.unavailable, "dead letter \(letter.id) belongs to consumer group \(letter.group), and no \(app) "
                                         + "instance is up to replay it; nothing was replayed")
        }
        var unreachable: [String] = []
        for instance in instances {
            // Only an instance that could not be reached is passed over: once the request may
            // have arrived, it may be running there, and another instance must not run it too.
            let outcome: PeerServices.Outcome
            do {
                outcome = try await services.send(request(letter, at: instance, callerToken: callerToken), timeout: timeout)
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw HTTPProblem(status: 504, detail: "\(app) at \(instance.authority) did not answer the replay of dead letter "
                                  + "\(letter.id) within \(timeout.nanoseconds / 1_000_000_000) s; it may still finish there "
                                  + "(list the dead letters to see)")
            } catch {
                throw HTTPProblem(status: 502, detail: "\(app) at \(instance.authority) broke off the replay of dead letter "
                                  + "\(letter.id) (\(error)); it may have run there (list the dead letters to see)")
            }
            switch outcome {
            case .unreachable(let reason):
                unreachable.append("\(instance.authority): \(reason)")
            case .answered(let response, let body) where response.status == .ok:
                guard let replayed = try? JSONCoding.decoder.decode(DeadLetter.self, from: Data(buffer: body)) else {
                    throw HTTPProblem(status: 502, detail: "\(app) at \(instance.authority) replayed dead letter \(letter.id) "
                                      + "but its answer could not be read")
                }
                return replayed
            case .answered(let response, let body):
                throw ownersProblem(status: Int(response.status.code), body: Data(buffer: body), app: app, at: instance)
            }
        }
        throw AppError(.unavailable, "dead letter \(letter.id) belongs to consumer group \(letter.group), and no \(app) instance "
                                     + "could be reached to replay it (\(unreachable.joined(separator: "; "))); nothing was replayed")
    }

    private func request(_ letter: DeadLetter, at instance: ServiceDirectory.Endpoint, callerToken: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: instance.baseURL + "/api/events/dead-letters/\(letter.id)/replay")
        request.method = .POST
        if let callerToken { request.headers.add(name: "Authorization", value: "Bearer \(callerToken)") }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: DeadLetterReplayRequest.handoverHeader, value: letter.event.eventId)
        return request
    }

    /// The owner's refusal as it gave it (409 already replayed, the handler's failure…).
    private func ownersProblem(status: Int, body: Data, app: String, at instance: ServiceDirectory.Endpoint) -> HTTPProblem {
        if let problem = try? JSONCoding.decoder.decode(ProblemDetails.self, from: body) {
            return HTTPProblem(status: problem.status, detail: problem.detail, errors: problem.errors)
        }
        return HTTPProblem(status: 502, detail: "\(app) at \(instance.authority) answered the replay with HTTP \(status)")
    }
}
