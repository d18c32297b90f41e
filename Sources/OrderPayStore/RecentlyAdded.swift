/// A map that keeps only the `capacity` keys added last: adding one more lets the oldest go.
/// The bound counts additions, not what is left, so values taken out early (`remove`) still
/// leave room only as they age out; a key added twice counts twice.
struct RecentlyAdded<Key: Hashable, Value> {
    let capacity: Int
    private var values: [Key: Value] = [:]
    private var order: [Key] = []   // oldest first
    private var evicted = 0         // how much of `order` is gone already

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: Key) -> Value? { values[key] }

    /// Adds `value`; returns the values that aged out to make room.
    @discardableResult
    mutating func add(_ value: Value, for key: Key) -> [Value] {
        values[key] = value
        order.append(key)
        var gone: [Value] = []
        while order.count - evicted > capacity {
            if let old = values.removeValue(forKey: order[evicted]) { gone.append(old) }
            evicted += 1
        }
        if evicted > capacity {   // drop the aged-out keys now and then, not one at a time
            order.removeFirst(evicted)
            evicted = 0
        }
        return gone
    }

    mutating func remove(_ key: Key) -> Value? { values.removeValue(forKey: key) }
}
