import Foundation
import OrderPayConsole
import XCTest

final class KeyScriptTests: XCTestCase {
    func testParsesKeysTextWaitsAndComments() throws {
        let script = try KeyScript.parse("""
        # place an order
        n
        <Tab><Tab>2<Enter>
        wait 250ms
        wait-for "PAID" 5s
        type wait here
        :q<Enter>
        """)
        XCTAssertEqual(script.steps, [
            .keys([.char("n")], line: 2),
            .keys([.tab, .tab, .char("2"), .enter], line: 3),
            .wait(milliseconds: 250),
            .waitFor("PAID", milliseconds: 5000, line: 5),
            .keys("wait here".map { Key.char($0) }, line: 6),
            .keys([.char(":"), .char("q"), .enter], line: 7),
        ])
    }

    func testUnknownKeyNamesItsLine() {
        XCTAssertThrowsError(try KeyScript.parse("n\n\n<Tab><Bogus>")) { error in
            XCTAssertEqual("\(error)", "line 3: unknown key <Bogus>")
        }
        XCTAssertThrowsError(try KeyScript.parse("wait soon")) { XCTAssertEqual("\($0)", "line 1: expected a duration like 500ms or 2s after 'wait'") }
        XCTAssertThrowsError(try KeyScript.parse("wait-for PAID")) { XCTAssertTrue("\($0)".hasPrefix("line 1:")) }
    }

    /// `<Enter` without its `>` was typed as `<`, `E`, `n`, … (a sort, the new-order form …).
    func testAnUnterminatedKeyNameIsAnErrorNotKeys() {
        XCTAssertThrowsError(try KeyScript.parse("n\n# fill in\n<Tab>2<Enter")) { error in
            XCTAssertEqual("\(error)", "line 3: unterminated key <Enter (missing '>'; a literal < is <lt>)")
        }
        XCTAssertThrowsError(try KeyScript.parse("<C-r and more")) { XCTAssertTrue("\($0)".hasPrefix("line 1: unterminated key <C-r ")) }
    }

    func testALiteralLessThanIsStillTypeable() throws {
        XCTAssertEqual(try KeyScript.parse("<lt>x<lt>").steps, [.keys([.char("<"), .char("x"), .char("<")], line: 1)])
        XCTAssertEqual(try KeyScript.parse("< <2").steps, [.keys([.char("<"), .char(" "), .char("<"), .char("2")], line: 1)])
        XCTAssertEqual(try KeyScript.parse("type <Enter").steps, [.keys("<Enter".map { Key.char($0) }, line: 1)])
    }

    func testANegativeOrEndlessWaitIsAnError() {
        XCTAssertThrowsError(try KeyScript.parse("n\nwait -5s")) { XCTAssertEqual("\($0)", "line 2: a duration cannot be negative: '-5s'") }
        XCTAssertThrowsError(try KeyScript.parse("wait-for \"PAID\" -1ms")) { XCTAssertEqual("\($0)", "line 1: a duration cannot be negative: '-1ms'") }
        XCTAssertThrowsError(try KeyScript.parse("wait infs")) { XCTAssertTrue("\($0)".hasPrefix("line 1: expected a duration")) }
        XCTAssertThrowsError(try KeyScript.parse("wait 1e300s")) { XCTAssertEqual("\($0)", "line 1: '1e300s' is longer than a day") }
        XCTAssertEqual(try KeyScript.parse("wait 0ms").steps, [.wait(milliseconds: 0)])
    }

    func testEveryKeyRoundTripsThroughItsScriptName() throws {
        let keys: [Key] = [.enter, .escape, .tab, .backTab, .backspace, .delete, .up, .down, .left, .right, .pageUp, .pageDown,
                           .home, .end, .ctrl("r"), .function(5), .char(" "), .char("<"), .char(">"), .char("x")]
        for key in keys { XCTAssertEqual(Key(name: key.scriptName), key, key.scriptName) }
    }

    func testShippedDemosParse() throws {
        let demos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../demos").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: demos.path).filter { $0.hasSuffix(".keys") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            let text = try String(contentsOf: demos.appendingPathComponent(file), encoding: .utf8)
            XCTAssertNoThrow(try KeyScript.parse(text), file)
        }
    }
}

final class ThemeTests: XCTestCase {
    var themes: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../themes").standardized }

    func testShippedThemesParseAndCoverEveryRole() throws {
        for name in ["default", "light", "mono", "high-contrast", "deuteranopia"] {
            let theme = try ThemeLoader.load(name, searchPath: [themes.path])
            XCTAssertEqual(Set(theme.styles.keys), Set(CellRole.allCases), name)
        }
    }

    func testShippedThemesAreBuiltInForACopiedBinary() throws {
        let names = ["default", "deuteranopia", "high-contrast", "light", "mono"]
        for name in names {
            let file = try String(contentsOf: themes.appendingPathComponent("\(name).theme"), encoding: .utf8)
            XCTAssertEqual(BuiltinThemes.sources[name], file, "BuiltinThemes.swift differs from themes/\(name).theme: copy the file's text into it")
            // No themes folder anywhere on the search path: the built-in copy loads, the same theme.
            XCTAssertEqual(try ThemeLoader.load(name, searchPath: ["/nonexistent"]), try ThemeLoader.load(name, searchPath: [themes.path]))
        }
        XCTAssertEqual(ThemeLoader.available(searchPath: []), names)
        XCTAssertThrowsError(try ThemeLoader.load("nope", searchPath: [])) {
            XCTAssertEqual("\($0)", "unknown theme 'nope' (themes: default, deuteranopia, high-contrast, light, mono)")
        }
    }

    func testAThemeFileOnTheSearchPathWinsOverTheBuiltIn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "body = red default\n".write(to: dir.appendingPathComponent("default.theme"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try ThemeLoader.load("default", searchPath: [dir.path]).style(.body).foreground, .index(1))
    }

    func testTheCursorStandsOutInAThemeThatDoesNotStyleIt() throws {
        let partial = try ThemeLoader.parse("body = default default\nok = green default\n", name: "partial", source: "partial.theme")
        for theme in [Theme.fallback, partial] {
            for depth in [ColorDepth.c256, .c8, .mono] {
                XCTAssertTrue(theme.style(.cursor, depth: depth).attributes.contains(.reverse), "\(theme.name) \(depth) cursor")
                XCTAssertTrue(theme.style(.focus, depth: depth).attributes.contains(.bold), "\(theme.name) \(depth) focus")
            }
        }
        // A theme that styles its cursor keeps that style in colour.
        let shipped = try ThemeLoader.load("default", searchPath: [themes.path])
        XCTAssertEqual(shipped.style(.cursor, depth: .c256), shipped.style(.cursor))
        XCTAssertEqual(partial.style(.ok, depth: .c256), partial.style(.ok))
    }

    func testBadThemeLineIsNamed() {
        XCTAssertThrowsError(try ThemeLoader.parse("body = default default\nfocus = cyan\n", name: "x", source: "x.theme")) {
            XCTAssertEqual("\($0)", "x.theme:2: 'focus' needs a foreground and a background colour")
        }
        XCTAssertThrowsError(try ThemeLoader.parse("# c\nbdy = red default", name: "x", source: "x.theme")) {
            XCTAssertTrue("\($0)".hasPrefix("x.theme:2: unknown role 'bdy'"))
        }
        XCTAssertThrowsError(try ThemeLoader.parse("ok = #12345 default", name: "x", source: "x.theme")) {
            XCTAssertTrue("\($0)".contains("'#12345' is not a colour"))
        }
        XCTAssertThrowsError(try ThemeLoader.parse("ok = red default blink", name: "x", source: "x.theme")) {
            XCTAssertTrue("\($0)".contains("unknown attribute 'blink'"))
        }
        XCTAssertThrowsError(try ThemeLoader.load("nope", searchPath: [themes.path])) {
            XCTAssertTrue("\($0)".contains("unknown theme 'nope' (themes: default, deuteranopia, high-contrast, light, mono)"))
        }
    }

    func testColourFallsBackFrom256To8ToNone() {
        let orange = ThemeColor(parsing: "#ffaf00")!
        XCTAssertEqual(orange.index(for: .c256), 214)
        XCTAssertEqual(orange.index(for: .c8), 3, "nearest basic colour: yellow")
        XCTAssertEqual(orange.index(for: .mono), -1)
        XCTAssertEqual(ThemeColor(parsing: "bright-red")!.index(for: .c8), 1)
        XCTAssertEqual(ThemeColor(parsing: "244")!.index(for: .c256), 244)
        XCTAssertEqual(ThemeColor(parsing: "default")!.index(for: .c256), -1)
    }

    func testMonochromeStillSetsTheCursorApart() throws {
        let theme = try ThemeLoader.load("default", searchPath: [themes.path])
        XCTAssertTrue(theme.style(.cursor, depth: .mono).attributes.contains(.reverse))
        XCTAssertTrue(theme.style(.fail, depth: .mono).attributes.contains(.bold))
    }
}
