import OrderPayCore
import OrderPayStore

extension EmbeddedSystem {
    /// A storage error that reached the caller untranslated, as an `AppError` (nil for any other error).
    public static func storageFailure(_ error: any Error) -> AppError? { SQLiteDatabase.failure(error) }
}
