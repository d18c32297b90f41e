import Foundation
import OrderPayCore

/// Orders whose status this process just committed, handed to in-process observers right after
/// the commit: for a watcher that must know the moment an order reached a status (the flow
/// benchmark's place → PAID), without reading every order back or waiting for the change's
/// `order-status-updated` event to be copied to the log (one more commit).
public final class OrderStatusFeed: @unchecked Sendable {
    public typealias Observer = @Sendable ([Order]) -> Void
    private let lock = NSLock()
    private var observers: [Int: Observer] = [:]
    private var lastToken = 0

    public init() {}

    /// Calls `observer` with each batch of changed orders until `stopObserving(token)`.
    public func observe(_ observer: @escaping Observer) -> Int {
        lock.withLock {
            lastToken += 1
            observers[lastToken] = observer
            return lastToken
        }
    }

    public func stopObserving(_ token: Int) {
        lock.withLock { _ = observers.removeValue(forKey: token) }
    }

    func publish(_ orders: [Order]) {
        guard !orders.isEmpty else { return }
        let current = lock.withLock { Array(observers.values) }
        for observer in current { observer(orders) }
    }
}
