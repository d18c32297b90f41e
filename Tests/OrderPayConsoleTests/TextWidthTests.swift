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
