import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// Without UTF-8 the terminal shows "?" for every character past ASCII: the console's own
/// punctuation (dashes, arrows, ellipses, the input cursor) must have ASCII stand-ins, so only
/// data that is not ASCII (a Korean name) can come out as "?".
final class ASCIIFallbackTests: XCTestCase {
    private func nonASCII(_ screen: Screen, ignoring data: [String]) -> String {
        var text = screen.text
        for value in data { text = text.replacingOccurrences(of: value, with: "") }
        return String(text.unicodeScalars.filter { $0.value > 127 }.map(Character.init))
    }

    private let names = Fixtures.users.map(\.name)

    func testTheDashboardIsASCII() {
        let screen = ConsoleView.render(Fixtures.state(width: 120, height: 30, ascii: true))
        XCTAssertEqual(nonASCII(screen, ignoring: names), "", screen.text)
        XCTAssertTrue(screen.text.contains("1-12 of 60"), screen.text)
        XCTAssertTrue(screen.text.contains("CREATED > PENDING"), screen.text)
    }

    func testFormsHelpAndDetailAreASCII() {
        var state = Fixtures.newOrderForm()
        state.asciiOnly = true
        Fixtures.press(&state, .backTab)
        XCTAssertEqual(nonASCII(ConsoleView.render(state), ignoring: names), "", ConsoleView.render(state).text)
        state = Fixtures.state(width: 80, height: 24, ascii: true)
        Fixtures.press(&state, .char("?"))
        XCTAssertEqual(nonASCII(ConsoleView.render(state), ignoring: names), "", ConsoleView.render(state).text)
    }
}
