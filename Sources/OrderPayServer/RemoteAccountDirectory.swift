import AsyncHTTPClient
import Foundation
import NIOCore
import OrderPayCore
import OrderPayGateway
import OrderPayServices

/// The accounts as the auth service knows them, for `orderpay serve orders|payments`, which keep
/// none of their own: `GET /api/users/{id}` with the caller's own token (the auth service checks
/// it again: an admin may read anyone, a user themselves), at each instance the registry lists as
/// UP (read as the gateway reads it; `PeerServices`) until one answers. A lookup only reads, so
/// any failure at one instance moves on to the next.
///
/// `status` asks every time. `recentStatus` (a user placing their own orders: the hot path) shares
/// one request among everyone asking about the same account and keeps its answer for `maxAge`
/// (2 s), counted from when the request was sent: so a lock or delete stops a user's orders at
/// most 2 s after it commits, and a user placing orders costs the auth service at most one
/// request per 2 s. A failed request is not kept: the next caller asks again.
struct RemoteAccountDirectory: AccountDirectory {
    let services: PeerServices
    var timeout: TimeAmount = .seconds(5)
    let recent: RecentAnswers<Int64, UserStatus?>

    init(services: PeerServices, maxAge: Duration = .seconds(2)) {
        self.services = services
        recent = RecentAnswers(maxAge: maxAge)
    }

    func recentStatus(ofUser id: Int64, callerToken: String?) async throws -> UserStatus? {
        try await recent.value(for: id) { try await status(ofUser: id, callerToken: callerToken) }
    }

    private struct Account: Decodable {
        let status: UserStatus
    }

    func status(ofUser id: Int64, callerToken: String?) async throws -> UserStatus? {
        guard let callerToken else { throw AppError(.unavailable, "cannot check user \(id) with the auth service: no caller token") }
        let instances = await services.instances(of: ServiceKind.auth.appName)
        guard !instances.isEmpty else { throw AppError(.unavailable, "cannot check user \(id): no auth-service instance is up") }
        var failure = ""
        for instance in instances {
            var request = HTTPClientRequest(url: instance.baseURL + "/api/users/\(id)")
            request.headers.add(name: "Authorization", value: "Bearer \(callerToken)")
            request.headers.add(name: "Accept", value: "application/json")
            do {
                switch try await services.send(request, timeout: timeout) {
                case .answered(let response, let body) where response.status == .ok:
                    return try JSONCoding.decoder.decode(Account.self, from: Data(buffer: body)).status
                case .answered(let response, _) where response.status == .notFound: return nil
                case .answered(let response, _): failure = "HTTP \(response.status.code)"
                case .unreachable(let reason): failure = reason
                }
            } catch {
                failure = "\(error)"
            }
        }
        throw AppError(.unavailable, "cannot check user \(id) with the auth service (\(failure))")
    }
}

/// Answers kept for a short while: a lookup whose key was asked at most `maxAge` ago (counted from
/// when that request started) shares its answer, in flight or done; otherwise it starts a new one.
/// Failures are dropped at once. Expired entries are swept as new ones arrive, so the table holds
/// about the keys asked in the last `maxAge`.
final class RecentAnswers<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private struct Entry {
        let started: ContinuousClock.Instant
        let answer: Task<Value, Error>
    }

    let maxAge: Duration
    private let clock = ContinuousClock()
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var nextSweep: ContinuousClock.Instant

    init(maxAge: Duration) {
        self.maxAge = maxAge
        nextSweep = clock.now + maxAge
    }

    func value(for key: Key, _ ask: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let now = clock.now
        let answer: Task<Value, Error> = lock.withLock {
            if let entry = entries[key], now - entry.started < maxAge { return entry.answer }
            if now >= nextSweep {
                entries = entries.filter { now - $0.value.started < maxAge }
                nextSweep = now + maxAge
            }
            let task = Task { try await ask() }
            entries[key] = Entry(started: now, answer: task)
            return task
        }
        do {
            return try await answer.value
        } catch {
            lock.withLock { if entries[key]?.answer == answer { entries[key] = nil } }
            throw error
        }
    }
}
