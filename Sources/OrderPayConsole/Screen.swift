/// What a cell means, not how it looks: a theme maps roles to colours and attributes, so status is
/// never carried by colour alone (the words and glyphs are in the text itself).
public enum CellRole: String, CaseIterable, Sendable, Hashable {
    case body, frame, focus, title, header, hint, hintKey
    case tableHeader, cursor, marked
    case ok, pending, warn, fail, muted
    case eventOrder, eventPayment, eventStatus
    case toast, error, banner, input
}

/// One terminal cell. A wide character occupies its cell and the next, which holds `continuation`.
public struct Cell: Equatable, Sendable {
    public var text: String
    public var role: CellRole
    public var continuation: Bool

    public static let blank = Cell(text: " ", role: .body, continuation: false)
    public init(text: String, role: CellRole, continuation: Bool = false) { self.text = text; self.role = role; self.continuation = continuation }
}

/// The view's output: a grid of styled cells that a terminal adapter paints, or a test reads as text.
public struct Screen: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Writes `text` at (x, y), clipped to `maxWidth` columns and the screen; returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: CellRole, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, x + (maxWidth ?? width))
        var col = x
        for ch in text {
            let w = TextWidth.of(ch)
            if w == 0 { continue }
            if ch == "\n" || ch == "\t" || ch.unicodeScalars.first.map({ $0.value < 0x20 || $0.value == 0x7F }) == true {
                if col >= 0 && col < limit { cells[y * width + col] = Cell(text: " ", role: role) }
                col += 1; continue
            }
            if col + w > limit { break }
            if col >= 0 {
                cells[y * width + col] = Cell(text: String(ch), role: role)
                if w == 2 { cells[y * width + col + 1] = Cell(text: "", role: role, continuation: true) }
            }
            col += w
        }
        return col - x
    }

    /// Fills a rectangle with spaces of `role`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, role: CellRole) {
        for row in max(0, y)..<min(height, y + h) {
            for col in max(0, x)..<min(width, x + w) { cells[row * width + col] = Cell(text: " ", role: role) }
        }
    }

    /// The console's own punctuation as ASCII, for a terminal without UTF-8 (which shows "?" for
    /// anything else: "1?12 of 60", "CREATED ? PENDING"). One column each, so nothing moves; text
    /// with other characters (a name in Hangul) is left as it is.
    static let asciiStandIns: [String: String] = [
        "–": "-", "—": "-", "→": ">", "←": "<", "↑": "^", "↓": "v", "…": "~", "▏": "|",
        "◂": "<", "▸": ">", "•": "*", "●": "*", "×": "x", "·": "-", "▲": "!",
    ]

    public mutating func useASCIIStandIns() {
        for i in cells.indices {
            if let standIn = Self.asciiStandIns[cells[i].text] { cells[i].text = standIn }
        }
    }

    /// Re-styles a run of cells (a cursor row, say) without changing their text.
    public mutating func restyle(x: Int, y: Int, width w: Int, role: CellRole) {
        guard y >= 0, y < height else { return }
        for col in max(0, x)..<min(width, x + w) { cells[y * width + col].role = role }
    }

    /// The screen as plain text, one line per row, trailing spaces trimmed: what snapshot tests compare.
    public var text: String {
        (0..<height).map { row in
            var line = ""
            for col in 0..<width where !cells[row * width + col].continuation { line += cells[row * width + col].text }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// One row as text (for tests and `--plain`).
    public func line(_ row: Int) -> String {
        var line = ""
        for col in 0..<width where !cells[row * width + col].continuation { line += cells[row * width + col].text }
        return line
    }
}
