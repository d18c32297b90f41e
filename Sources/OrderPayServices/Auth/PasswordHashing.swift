import Foundation
import HummingbirdBcrypt
import OrderPayCore

/// Bcrypt, run off the caller's thread: a hash or a check costs tens of milliseconds of CPU by
/// design, which on an HTTP service's event loop would hold every other connection of that loop.
/// At most `gate.limit` hashes run or wait at once; beyond that a login, signup or password change
/// is refused with 503 at once rather than queued behind a flood.
enum PasswordHashing {
    /// The process's: hashes share its cores whichever service asks. Eight per core is about half
    /// a second of queue at cost 10.
    static let processGate = AdmissionGate(limit: 8 * max(1, ProcessInfo.processInfo.activeProcessorCount))

    static func hash(_ password: String, cost: UInt8, gate: AdmissionGate) async throws -> String {
        try await gate.run(refusal: busy) { await Offload.run { Bcrypt.hash(password, cost: cost) } }
    }

    static func verify(_ password: String, hash: String, gate: AdmissionGate) async throws -> Bool {
        try await gate.run(refusal: busy) { await Offload.run { Bcrypt.verify(password, hash: hash) } }
    }

    private static func busy() -> Error {
        AppError(.unavailable, "too many password checks are in progress; try again in a moment")
    }
}
