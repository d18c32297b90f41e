import Foundation

extension Duration {
    /// As a TimeInterval, for dates.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
