import Foundation
import OrderPayCore
import PostgresNIO

/// Column reads by name with the domain's types; a NULL in a non-optional read is a schema bug
/// and throws.
extension PostgresRandomAccessRow {
    public func value<T: PostgresDecodable>(_ column: String, as _: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    public func optional<T: PostgresDecodable>(_ column: String, as _: T.Type = T.self) throws -> T? {
        let cell = self[column]
        return cell.bytes == nil ? nil : try cell.decode(T.self)
    }

    /// Money columns are NUMERIC; queries select them `::text` so no binary float is ever involved.
    public func money(_ column: String) throws -> Money {
        let text: String = try value(column)
        guard let money = Money(text) else { throw AppError(.unavailable, "column \(column) holds '\(text)', not an amount") }
        return money
    }

    public func status<S: RawRepresentable>(_ column: String, as _: S.Type, default fallback: S) throws -> S where S.RawValue == String {
        S(rawValue: try value(column, as: String.self)) ?? fallback
    }
}
