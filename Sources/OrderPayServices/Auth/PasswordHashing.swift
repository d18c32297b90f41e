import HummingbirdBcrypt
import OrderPayCore

/// Bcrypt, run off the caller's thread: a hash or a check costs tens of milliseconds of CPU by
/// design, which on an HTTP service's event loop would hold every other connection of that loop.
enum PasswordHashing {
    static func hash(_ password: String, cost: UInt8) async -> String {
        await Offload.run { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async -> Bool {
        await Offload.run { Bcrypt.verify(password, hash: hash) }
    }
}
