import Foundation
import OrderPayCore

public struct ConsoleOptions: Sendable {
    public var readOnly = false
    public var eventCapacity = 10_000
    /// Events shown from before the console started.
    public var backlog = 200
    public var auditPath: String?
    public var script: KeyScript?
    /// Script speed: 2 plays twice as fast.
    public var speed = 1.0
    /// Frames are coalesced: at most one per this many seconds (20 frames/s).
    public var frameInterval = 0.05
    public init() {}
}

/// Runs the console: owns the state, feeds it messages (keys, backend answers, time), runs the
/// effects `update` asks for, and paints at most ~20 frames a second, only when something changed.
/// The UI loop runs on its own thread and sleeps in poll(2) between inputs: idle costs nothing.
public final class ConsoleRuntime: @unchecked Sendable {
    public let backend: any Backend
    let terminal: any TerminalDevice
    let options: ConsoleOptions
    let audit: AuditLog?
    private(set) var theme: Theme

    // Touched only on the UI thread.
    private(set) var state: ConsoleState
    private var dirty = true
    private var lastFrame = Date.distantPast
    private var inflight: [String: Bool] = [:]  // key → load again when done

    // Shared with tasks: guarded by `lock`.
    private let lock = NSLock()
    private var inbox: [Message] = []
    private var inputs: [TerminalInput] = []
    private var lastScreenText = ""
    private var scriptFailure: String?
    private var completions: [(String, Effect)] = []
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var taskSerial = 0
    private let wakePipe: [Int32]

    public init(backend: any Backend, terminal: any TerminalDevice, theme: Theme, options: ConsoleOptions = ConsoleOptions()) {
        self.backend = backend; self.terminal = terminal; self.theme = theme; self.options = options
        audit = options.auditPath.map(AuditLog.init(path:))
        var state = ConsoleState(eventCapacity: options.eventCapacity)
        state.modeName = backend.modeName; state.endpoint = backend.endpoint; state.operatorName = backend.operatorName
        state.readOnly = options.readOnly; state.themeName = theme.name
        self.state = state
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakePipe = fds
    }

    deinit { close(wakePipe[0]); close(wakePipe[1]) }

    /// Hands a message to the UI thread from anywhere.
    public func post(_ message: Message) {
        lock.withLock { inbox.append(message) }
        wake()
    }

    /// Input as if typed, from anywhere (scripts, tests).
    public func inject(_ input: [TerminalInput]) {
        lock.withLock { inputs += input }
        wake()
    }

    /// Background work running now: fetches, the event stream, a script.
    public var tasksRunning: Int { lock.withLock { tasks.count } }

    /// The screen last painted, as text: what `wait-for` looks at.
    public var screenText: String { lock.withLock { lastScreenText } }

    private func wake() { var byte: UInt8 = 1; _ = write(wakePipe[1], &byte, 1) }

    /// Runs until the operator quits; returns the script's failure, if any. Call from any async
    /// context: the loop gets a thread of its own.
    public func run() async throws -> String? {
        try terminal.start()
        return await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                loop()
                terminal.stop()
                continuation.resume(returning: lock.withLock { scriptFailure })
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    func loop() {
        state.width = terminal.width; state.height = terminal.height
        state.asciiOnly = !terminal.unicode
        state.now = Date()
        execute(ConsoleUpdate.start(&state))
        startStream()
        if let script = options.script { startScript(script) }
        while !state.quitting {
            let now = Date()
            let nextTick = 1 - now.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
            let frameDue = dirty ? max(0, options.frameInterval - now.timeIntervalSince(lastFrame)) : nextTick
            var received = terminal.waitForInput(timeout: min(nextTick, frameDue), wakeFD: wakePipe[0])
            drainWakePipe()
            let (messages, injected) = lock.withLock { defer { inbox = []; inputs = [] }; return (inbox, inputs) }
            received += injected
            for input in received {
                switch input {
                case .key(let key): apply(.key(key))
                case .resize(let w, let h): apply(.resize(width: w, height: h))
                case .hangup: state.quitting = true
                }
            }
            for message in messages { apply(message) }
            finishCompletions()
            let after = Date()
            if Int(after.timeIntervalSince1970) != Int(state.now.timeIntervalSince1970) { apply(.tick(after)) }
            if dirty, after.timeIntervalSince(lastFrame) >= options.frameInterval || state.quitting { paint() }
        }
        lock.withLock { Array(tasks.values) }.forEach { $0.cancel() }
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakePipe[0], &buffer, buffer.count) > 0 {}
    }

    func apply(_ message: Message) {
        execute(ConsoleUpdate.update(&state, message))
        dirty = true
    }

    func paint() {
        let screen = ConsoleView.render(state)
        terminal.present(screen, theme: theme)
        lastFrame = Date()
        dirty = false
        let text = screen.text
        lock.withLock { lastScreenText = text }
    }

    // MARK: effects

    func execute(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .load(let pane): coalesced(effect) { [backend, state] in await Self.load(pane, state, backend) }
            case .loadCounts: coalesced(effect) { [backend] in .countsLoaded(await Self.capture { try await backend.orderCounts() }) }
            case .loadDetail(let request): spawn { [backend] in await Self.detail(request, backend) }
            case .loadCatalog: spawn { [backend] in .catalogLoaded(await Self.capture { try await backend.products() }) }
            case .loadPickerUsers:
                spawn { [backend] in
                    .pickerUsersLoaded(await Self.capture { try await backend.orderCustomers() })
                }
            case .loadTopicHistory(let topic):
                // As many as the stream's backlog: a filter shows the topic's last `backlog` events.
                let count = options.backlog
                guard count > 0 else { continue }
                spawn { [backend] in .topicHistoryLoaded(topic, await Self.capture { try await backend.recentEvents(topic: topic, count: count) }) }
            case .loadDeadLetters: spawn { [backend] in .deadLettersLoaded(await Self.capture { try await backend.deadLetters() }) }
            case .loadAudit:
                let entries = audit?.recent() ?? []
                apply(.auditLoaded(entries))
            case .perform(let action): spawn { [self] in await perform(action) }
            case .copy(let text): terminal.copy(text)
            case .setTheme(let name):
                do {
                    theme = try ThemeLoader.load(name)
                    apply(.themeChanged(theme.name, error: nil))
                } catch {
                    apply(.themeChanged(name, error: "\(error)"))
                }
            case .quit: state.quitting = true
            }
        }
    }

    private func spawn(_ work: @escaping @Sendable () async -> Message) {
        track { [weak self] in
            let message = await work()
            self?.post(message)
        }
    }

    /// Runs `body` as a task held while it runs, so that quitting cancels it; one that has ended
    /// is let go. (Ended ones were kept, about 1.5 KB each: a dashboard left on fetches the
    /// registry every 2 s and the panes on every event, and grew by megabytes an hour.)
    func track(_ body: @escaping @Sendable () async -> Void) {
        lock.withLock {
            taskSerial += 1
            let id = taskSerial
            // Added under the lock, so a task that ends at once finds itself here to remove.
            tasks[id] = Task { [weak self] in
                await body()
                guard let self else { return }
                _ = self.lock.withLock { self.tasks.removeValue(forKey: id) }
            }
        }
    }

    func failScript(_ message: String) {
        lock.withLock { scriptFailure = message }
        post(.key(.ctrl("c")))
    }

    /// At most one load of a kind in flight; asked again meanwhile, it runs once more when done,
    /// with the state as it is then (a burst of events costs two fetches, not one per event).
    private func coalesced(_ effect: Effect, _ work: @escaping @Sendable () async -> Message) {
        let key = "\(effect)"
        if inflight[key] != nil { inflight[key] = true; return }
        inflight[key] = false
        track { [weak self] in
            let message = await work()
            self?.complete(key, effect, message)
        }
    }

    private func complete(_ key: String, _ effect: Effect, _ message: Message) {
        lock.withLock { inbox.append(message); completions.append((key, effect)) }
        wake()
    }

    private func finishCompletions() {
        let done = lock.withLock { defer { completions = [] }; return completions }
        for (key, effect) in done {
            let again = inflight[key] == true
            inflight[key] = nil
            if again { execute([effect]) }
        }
    }

    static func capture<T>(_ body: () async throws -> T) async -> Result<T, AppError> {
        do { return .success(try await body()) } catch let error as AppError { return .failure(error) } catch {
            return .failure(AppError(.unavailable, "\(error)"))
        }
    }

    static func load(_ pane: PaneID, _ state: ConsoleState, _ backend: any Backend) async -> Message {
        let users = state.users.request, orders = state.orders.request, payments = state.payments.request
        switch pane {
        case .users: return .usersLoaded(await capture { try await backend.users(users) }, query: users)
        case .orders: return .ordersLoaded(await capture { try await backend.orders(orders) }, eventsSeen: state.events.endIndex, query: orders)
        case .payments:
            return .paymentsLoaded(await capture { try await backend.payments(payments) }, eventsSeen: state.events.endIndex, query: payments)
        case .registry, .events: return .registryLoaded(await capture { try await backend.registry() }, at: Date())
        }
    }

    static func detail(_ request: DetailRequest, _ backend: any Backend) async -> Message {
        .detailLoaded(await capture {
            switch request {
            case .order(let id): return DetailContent.order(try await backend.orderDetail(id: id))
            case .payment(let id): return .payment(try await backend.paymentDetail(id: id))
            case .user(let id): return .user(try await backend.userDetail(id: id))
            }
        }, for: request)
    }
}
