import NIOCore

/// Timeouts on one event loop (the upstream timeout of every exchange waiting for its response
/// head; the client timeout of every connection waiting for a request), checked by one timer per
/// loop instead of a timer per request: arming and cancelling a scheduled callback for each
/// request (a priority-queue insert and a linear-search removal) showed up in profiles, while
/// adding to and removing from this list is O(1). A deadline fires at most one `tick` late. The
/// timer only runs while something is waiting, so a gateway without connections does not wake
/// up. Only its own loop touches it (hence `@unchecked Sendable`).
final class LoopDeadlines: NIOScheduledCallbackHandler, @unchecked Sendable {
    /// Something with a deadline; `deadlineSlot` is this list's bookkeeping.
    protocol Waiter: AnyObject {
        var deadlineSlot: Int { get set }
        var deadline: NIODeadline { get }
        func deadlinePassed()
    }

    let eventLoop: EventLoop
    let tick: TimeAmount
    private var waiting: [any Waiter] = []
    private var timer: NIOScheduledCallback?

    init(eventLoop: EventLoop, tick: TimeAmount) {
        self.eventLoop = eventLoop
        self.tick = tick
    }

    func add(_ waiter: any Waiter) {
        guard waiter.deadlineSlot < 0 else { return }
        waiter.deadlineSlot = waiting.count
        waiting.append(waiter)
        if timer == nil { timer = try? eventLoop.assumeIsolated().scheduleCallback(in: tick, handler: self) }
    }

    func remove(_ waiter: any Waiter) {
        let slot = waiter.deadlineSlot
        guard slot >= 0, slot < waiting.count, waiting[slot] === waiter else { return }
        waiter.deadlineSlot = -1
        let last = waiting.removeLast()
        if slot < waiting.count {
            waiting[slot] = last
            last.deadlineSlot = slot
        }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        let now = NIODeadline.now()
        let expired = waiting.filter { $0.deadline <= now }
        for waiter in expired {
            remove(waiter)
            waiter.deadlinePassed()
        }
        if !waiting.isEmpty && timer == nil { timer = try? self.eventLoop.assumeIsolated().scheduleCallback(in: tick, handler: self) }
    }
}
