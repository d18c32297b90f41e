/// The values of the integer keys added last, in a ring of `capacity` slots: key k lives in slot
/// k mod capacity, beside its key, and a newer key in the same slot lets it go. For keys that
/// mostly rise one by one (log offsets, outbox ids, log sequences) that keeps about the last
/// `capacity` of them, like `RecentlyAdded`, but a lookup is an index and a compare: no hashing,
/// and nothing is allocated once the ring is built. (`RecentlyAdded`'s dictionary and order list
/// for these were 5 % of `bench flow`'s CPU.)
struct RecentRing<Value> {
    private var slots: [(key: Int64, value: Value)?]

    init(capacity: Int) {
        precondition(capacity > 0, "a ring needs a slot")
        slots = Array(repeating: nil, count: capacity)
    }

    private func slot(_ key: Int64) -> Int { Int(key.magnitude % UInt64(slots.count)) }

    subscript(key: Int64) -> Value? {
        guard let entry = slots[slot(key)], entry.key == key else { return nil }
        return entry.value
    }

    /// Adds `value` for `key`; returns what was in its slot under another key (it aged out).
    @discardableResult
    mutating func add(_ value: Value, for key: Int64) -> (key: Int64, value: Value)? {
        let index = slot(key)
        let old = slots[index]
        slots[index] = (key, value)
        guard let old, old.key != key else { return nil }
        return old
    }
}
