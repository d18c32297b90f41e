import CNcurses
import Foundation
import OrderPayConsole

/// The real terminal, through ncursesw: reads keys, paints the grid (ncurses sends only the cells
/// that changed), follows resizes, and restores the terminal on every way out.
public final class NcursesTerminal: TerminalDevice, @unchecked Sendable {
    public private(set) var width = 80
    public private(set) var height = 24
    public private(set) var colorDepth: ColorDepth = .mono
    public private(set) var unicode = true
    private let forceMono: Bool
    private var started = false
    private var pairs: [Int64: Int16] = [:]
    private var wideBuffer = [wchar_t](repeating: 0, count: 8)

    /// Output to a file instead of the terminal: what `orderpay bench console` measures.
    private let files: (output: UnsafeMutablePointer<FILE>, input: UnsafeMutablePointer<FILE>)?
    private var screen: OpaquePointer?
    private var inputFD: Int32 { files.map { fileno($0.input) } ?? STDIN_FILENO }

    /// `noColor`: --no-color, or NO_COLOR in the environment.
    public init(noColor: Bool) { forceMono = noColor; files = nil }

    /// A terminal of type `term` whose bytes go to `output` (size from LINES and COLUMNS).
    public init(term: String, output: UnsafeMutablePointer<FILE>, input: UnsafeMutablePointer<FILE>) {
        forceMono = false
        files = (output, input)
        setenv("TERM", term, 1)
    }

    public func start() throws {
        setlocale(LC_ALL, "")
        if let codeset = nl_langinfo(nl_item(CODESET)) { unicode = String(cString: codeset).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8" }
        if let files {
            screen = newterm(nil, files.output, files.input)
            guard screen != nil else { throw TerminalError("cannot open a terminal of type \(ProcessInfo.processInfo.environment["TERM"] ?? "?")") }
        } else {
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
                throw TerminalError("the console needs a terminal (use --plain or a subcommand for scripts and pipes)")
            }
            guard initscr() != nil else { throw TerminalError("cannot initialise the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset"))") }
        }
        started = true
        TerminalRestorer.install()
        raw(); noecho(); nonl()
        keypad(op_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        nodelay(op_stdscr(), true)
        mousemask(0, nil)
        if !forceMono, has_colors() {
            start_color()
            use_default_colors()
            colorDepth = op_colors() >= 256 ? .c256 : op_colors() >= 8 ? .c8 : .mono
        }
        width = Int(op_cols()); height = Int(op_lines())
    }

    public func stop() {
        guard started else { return }
        started = false
        TerminalRestorer.restore()
        if let screen { delscreen(screen); self.screen = nil }
    }

    /// Makes the next `present` repaint every cell (a full redraw, as after a terminal reset).
    public func forceFullRepaint() { clearok(op_stdscr(), true) }

    public func waitForInput(timeout: Double, wakeFD: Int32) -> [TerminalInput] {
        var fds = [pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: TerminalRestorer.signalPipe[0], events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 3, Int32(max(0, timeout) * 1000))
        if TerminalRestorer.hangupRequested { return [.hangup] }
        // Signals arrive on whichever thread; their handler writes to a pipe this poll watches.
        if TerminalRestorer.takeResize() {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
                resizeterm(Int32(size.ws_row), Int32(size.ws_col))
                width = Int(size.ws_col); height = Int(size.ws_row)
                return [.resize(width: width, height: height)]
            }
        }
        guard ready > 0 else { return [] }
        if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return [.hangup] }
        guard fds[0].revents & Int16(POLLIN) != 0 else { return [] }
        var out: [TerminalInput] = []
        var ch: wint_t = 0
        var reads = 0
        while true {
            let status = op_get_wch(&ch)
            if status == ERR { break }
            reads += 1
            if status == op_key_code_yes() {
                if Int32(ch) == KEY_RESIZE {
                    width = Int(op_cols()); height = Int(op_lines())
                    out.append(.resize(width: width, height: height))
                } else if let key = Self.functionKey(Int32(ch)) {
                    out.append(.key(key))
                }
            } else if let key = Self.characterKey(UInt32(ch)) {
                out.append(.key(key))
            }
        }
        // Readable but nothing to read: the other end has gone (a dropped SSH session).
        if reads == 0 && out.isEmpty {
            var probe: UInt8 = 0
            if read(inputFD, &probe, 0) < 0 || Self.atEOF(inputFD) { return [.hangup] }
        }
        return out
    }

    /// stdin at end of file (the pty's other side closed): a zero-timeout poll reports it readable
    /// while ncurses reads nothing.
    static func atEOF(_ fd: Int32) -> Bool {
        var available: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &available) == 0 && available == 0
    }

    static func characterKey(_ code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .ctrl(Character(Unicode.Scalar(code + 96)!))
        default: return Unicode.Scalar(code).map { .char(Character($0)) }
        }
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_NPAGE: .pageDown
        case KEY_PPAGE: .pageUp
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_BTAB: .backTab
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_ENTER: .enter
        case KEY_F0 + 1 ... KEY_F0 + 12: .function(Int(code - KEY_F0))
        default: nil
        }
    }

    public func present(_ screen: Screen, theme: Theme) {
        guard started else { return }
        var styles: [CellRole: (attr_t, Int16)] = [:]
        for y in 0..<min(screen.height, height) {
            for x in 0..<min(screen.width, width) {
                let cell = screen[x, y]
                if cell.continuation { continue }
                let (attrs, pair) = styles[cell.role] ?? {
                    let resolved = resolve(theme.style(cell.role, depth: colorDepth))
                    styles[cell.role] = resolved
                    return resolved
                }()
                // A flag is two spacing characters, which one curses cell cannot hold (setcchar
                // refuses it): each indicator goes in a cell of its own, side by side, and the
                // terminal joins them into the flag it draws over both.
                let scalars = cell.text.unicodeScalars
                if scalars.count == 2, scalars.allSatisfy({ (0x1F1E6...0x1F1FF).contains($0.value) }), x + 1 < min(screen.width, width) {
                    put(String(scalars.first!), x: x, y: y, attrs: attrs, pair: pair)
                    put(String(scalars.last!), x: x + 1, y: y, attrs: attrs, pair: pair)
                    continue
                }
                put(cell.text, x: x, y: y, attrs: attrs, pair: pair)
            }
        }
        wnoutrefresh(op_stdscr())
        doupdate()
    }

    private func put(_ text: String, x: Int, y: Int, attrs: attr_t, pair: Int16) {
        var count = 0
        for scalar in text.unicodeScalars where count < 6 {
            wideBuffer[count] = wchar_t(bitPattern: scalar.value); count += 1
        }
        if count == 0 { wideBuffer[0] = 32; count = 1 }
        if !unicode, wideBuffer[0] > 127 { wideBuffer[0] = 63; count = 1 } // '?' on ASCII terminals
        wideBuffer[count] = 0
        _ = op_put_cell(Int32(y), Int32(x), wideBuffer, attrs, pair)
    }

    private func resolve(_ style: Style) -> (attr_t, Int16) {
        var attrs = op_a_normal()
        for attribute in style.attributes {
            switch attribute {
            case .bold: attrs |= op_a_bold()
            case .reverse: attrs |= op_a_reverse()
            case .underline: attrs |= op_a_underline()
            case .dim: attrs |= op_a_dim()
            }
        }
        guard colorDepth != .mono else { return (attrs, 0) }
        let fg = style.foreground.index(for: colorDepth), bg = style.background.index(for: colorDepth)
        if fg == -1 && bg == -1 { return (attrs, 0) }
        let key = Int64(fg) << 16 | Int64(bg & 0xFFFF)
        if let pair = pairs[key] { return (attrs, pair) }
        let next = Int16(pairs.count + 1)
        guard Int32(next) < op_color_pairs() else { return (attrs, 0) }
        init_pair(next, Int16(fg), Int16(bg))
        pairs[key] = next
        return (attrs, next)
    }

    public func copy(_ text: String) {
        let sequence = "\u{1B}]52;c;\(Data(text.utf8).base64EncodedString())\u{07}"
        FileHandle.standardOutput.write(Data(sequence.utf8))
    }
}

public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
