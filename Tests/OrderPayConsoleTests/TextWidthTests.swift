import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// The console lays out text by its own widths; the terminal (ncurses, through the C library)
/// by Unicode's East Asian Width. Where they disagree, everything right of the character on that
/// row shifts: a customer named "Jo ✅" pushed the users pane's border and the registry pane
/// beside it one column over, mixing two lease columns into "8790s".
final class TextWidthTests: XCTestCase {
    func testEmojiThatTerminalsDrawTwoColumnsWideAreTwoColumns() {
        for wide in ["✅", "⌚", "⏳", "⭐", "❌", "⚡", "☕", "🍕", "😀", "🚀", "🤖", "🥑", "🫠"] {
            XCTAssertEqual(TextWidth.of(wide), 2, "\(wide) U+\(String(wide.unicodeScalars.first!.value, radix: 16, uppercase: true))")
        }
    }

    func testNarrowSymbolsStayOneColumn() {
        // Text-presentation symbols (East Asian Width N or A) are one column in the C library too.
        for narrow in ["✓", "✗", "◷", "▲", "·", "→", "…", "❤", "☀", "🌡", "é", "Ω"] {
            XCTAssertEqual(TextWidth.of(narrow), 1, "\(narrow) U+\(String(narrow.unicodeScalars.first!.value, radix: 16, uppercase: true))")
        }
    }

    func testHangulCJKAndFullwidthAreTwoColumnsAndCombiningMarksNone() {
        XCTAssertEqual(TextWidth.of("김민준"), 6)
        XCTAssertEqual(TextWidth.of("東京"), 4)
        XCTAssertEqual(TextWidth.of("ＡＢ"), 4)
        XCTAssertEqual(TextWidth.of("e\u{301}"), 1)
        XCTAssertEqual(TextWidth.of("\u{200B}"), 0)
    }
}

/// Graphemes of several scalars, measured as terminals draw them.
final class GraphemeWidthTests: XCTestCase {
    /// A flag is two regional indicators: one glyph two columns wide (each indicator is one
    /// column to wcwidth, so ncurses counts two as well).
    func testFlagsAreTwoColumns() {
        for flag in ["🇰🇷", "🇺🇸", "🇯🇵"] {
            XCTAssertEqual(flag.count, 1)
            XCTAssertEqual(TextWidth.of(flag), 2, flag)
        }
        XCTAssertEqual(TextWidth.of("김🇰🇷x"), 5)
    }

    /// U+FE0F asks for the emoji presentation, which terminals draw two columns wide.
    func testEmojiPresentationSelectorMakesTwoColumns() {
        for emoji in ["❤\u{FE0F}", "✔\u{FE0F}", "☀\u{FE0F}", "1\u{FE0F}\u{20E3}"] {
            XCTAssertEqual(emoji.count, 1)
            XCTAssertEqual(TextWidth.of(emoji), 2, emoji.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        XCTAssertEqual(TextWidth.of("❤\u{FE0E}"), 1, "text presentation stays narrow")
    }

    func testAFlagKeepsARowAligned() {
        var screen = Screen(width: 10, height: 1)
        let used = screen.put("🇰🇷 Seoul", x: 0, y: 0, role: .body)
        XCTAssertEqual(used, 8)
        XCTAssertTrue(screen[1, 0].continuation, "the flag's second column")
        XCTAssertEqual(screen[3, 0].text, "S", "the name starts where the terminal draws it")
    }
}
