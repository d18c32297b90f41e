import Foundation

/// What the runtime reads from a terminal.
public enum TerminalInput: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// The terminal is gone (SSH dropped, stdin closed): quit without waiting for a key.
    case hangup
}

/// A terminal the console runs on: the real one (ncurses) or a headless one (tests, benchmarks).
/// All calls come from the runtime's own UI thread.
public protocol TerminalDevice: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var colorDepth: ColorDepth { get }
    /// Whether the terminal can show UTF-8 (frames and glyphs), else ASCII stand-ins are drawn.
    var unicode: Bool { get }
    func start() throws
    /// Restores the terminal. Safe to call more than once.
    func stop()
    /// Blocks until input arrives, `wakeFD` becomes readable, or `timeout` seconds pass.
    func waitForInput(timeout: Double, wakeFD: Int32) -> [TerminalInput]
    func present(_ screen: Screen, theme: Theme)
    /// Puts text on the operator's clipboard (OSC 52, which terminals honour over SSH too).
    func copy(_ text: String)
}

/// A terminal with no screen: frames are kept, not painted. For tests, `--script` dry runs and
/// `orderpay bench console`.
public final class HeadlessTerminal: TerminalDevice, @unchecked Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public let colorDepth: ColorDepth = .c256
    public let unicode = true
    public private(set) var frames = 0
    public private(set) var lastScreen: Screen?
    public private(set) var copied: [String] = []
    private var pending: [TerminalInput] = []
    private let lock = NSLock()

    public init(width: Int, height: Int) { self.width = width; self.height = height }

    public func start() throws {}
    public func stop() {}

    /// Queues input as if typed (thread-safe); the runtime sees it on its next wait.
    public func feed(_ input: [TerminalInput]) {
        lock.withLock {
            pending += input
            for case .resize(let w, let h) in input { width = w; height = h }
        }
    }

    public func waitForInput(timeout: Double, wakeFD: Int32) -> [TerminalInput] {
        let queued: [TerminalInput] = lock.withLock { defer { pending = [] }; return pending }
        if !queued.isEmpty { return queued }
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(max(0, min(timeout, 3600)) * 1000))
        return lock.withLock { defer { pending = [] }; return pending }
    }

    public func present(_ screen: Screen, theme: Theme) {
        frames += 1
        lastScreen = screen
    }

    public func copy(_ text: String) { copied.append(text) }
}
