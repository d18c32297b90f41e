import OrderPayConsole
import OrderPayCore
import XCTest

/// Screens as text at the sizes operators use: a wide dashboard, a classic 80×24 (tabs), too small.
final class ViewSnapshotTests: XCTestCase {
    func testWideDashboard() {
        assertSnapshot(ConsoleView.render(Fixtures.state(width: 200, height: 50)), "dashboard-200x50")
    }

    func testStandardTerminalUsesTabs() {
        let screen = ConsoleView.render(Fixtures.state(width: 80, height: 24))
        assertSnapshot(screen, "dashboard-80x24")
        XCTAssertTrue(screen.line(1).contains("2 Orders"), screen.text)
    }

    func testTooSmallSaysWhatItNeeds() {
        let screen = ConsoleView.render(Fixtures.state(width: 50, height: 10))
        assertSnapshot(screen, "too-small-50x10")
        XCTAssertTrue(screen.text.contains("terminal too small: needs 60×16"))
    }

    func testASCIIFallbackHasNoUnicodeFrames() {
        let screen = ConsoleView.render(Fixtures.state(width: 120, height: 30, ascii: true))
        assertSnapshot(screen, "dashboard-ascii-120x30")
        XCTAssertFalse(screen.text.contains("─"))
        XCTAssertTrue(screen.text.contains("x FAILED"), "status keeps a glyph and its word without UTF-8")
    }

    /// `/` filters the page on screen, not the whole list: the title says how many of the page's
    /// rows match, beside the list's range and total.
    func testAFilteredPaneSaysItsMatchesAreOfThisPage() {
        var state = Fixtures.state(width: 160, height: 45)
        Fixtures.press(&state, .char("/"))
        Fixtures.type(&state, "failed")
        Fixtures.press(&state, .enter)
        let title = ConsoleView.render(state).text.split(separator: "\n").first { $0.contains("Orders") }
        XCTAssertTrue(title?.contains("/failed: 1 of 6 on this page") == true, String(title ?? "no title"))
    }

    /// On a narrow terminal the header keeps every status's count (short names) and gives the
    /// data dir's path up instead; narrower still, it marks the counts it cannot show.
    func testANarrowHeaderKeepsTheCountsBeforeThePath() {
        var state = Fixtures.state(width: 80, height: 24)
        state.endpoint = "/home/operator/a/rather/long/data/directory/.orderpay"
        state.orderCounts = [.created: 1, .pending: 2, .paid: 180, .completed: 3, .failed: 15, .cancelled: 5]
        let header = String(ConsoleView.render(state).text.split(separator: "\n")[0])
        for count in ["CRE 1", "PEND 2", "PAID 180", "COMP 3", "FAIL 15", "CANC 5"] {
            XCTAssertTrue(header.contains(count), "\(count) missing: \(header)")
        }
        XCTAssertTrue(header.hasPrefix(" OrderPay"), header)
        state.width = 60
        let narrow = String(ConsoleView.render(state).text.split(separator: "\n")[0])
        XCTAssertTrue(narrow.contains("CRE 1"), narrow)
        XCTAssertNotNil(narrow.range(of: #"[0-9]  …\s+08:00:00 UTC"#, options: .regularExpression), "the counts end in an ellipsis: \(narrow)")
        state.readOnly = true
        let readOnly = String(ConsoleView.render(state).text.split(separator: "\n")[0])
        XCTAssertTrue(readOnly.hasPrefix(" OrderPay (read-only)"), "read-only is said at any width: \(readOnly)")
        state.width = 200
        let wide = String(ConsoleView.render(state).text.split(separator: "\n")[0])
        XCTAssertTrue(wide.contains(state.endpoint) && wide.contains("CANCELLED 5"), wide)
    }

    func testWideCharactersKeepColumnsAligned() {
        var state = Fixtures.state(width: 160, height: 45)
        Fixtures.press(&state, .char("1"))
        let screen = ConsoleView.render(state)
        let rows = screen.text.split(separator: "\n").filter { $0.contains("김민준") || $0.contains("Alice Martin") }
        XCTAssertEqual(rows.count, 2)
        // The STATUS column starts at the same display column whatever the name's script.
        let columns = rows.map { row -> Int in
            let prefix = row[..<row.range(of: "ACTIVE")!.lowerBound]
            return TextWidth.of(String(prefix))
        }
        XCTAssertEqual(columns[0], columns[1], rows.joined(separator: "\n"))
    }

    func testStatusIsNeverColourAlone() {
        let screen = ConsoleView.render(Fixtures.state())
        for word in ["✗ FAILED", "✓ PAID", "◷ PENDING", "✓ SUCCESS", "· REFUNDED", "▲ LOCKED", "✓ UP"] {
            XCTAssertTrue(screen.text.contains(word), "missing \(word)")
        }
    }

    /// The longest status word, REFUND_PENDING, fits its column whole at every layout (it was
    /// cut to "REFUND_PENDI…", the one status the operator could not read).
    func testTheLongestPaymentStatusIsShownWhole() {
        for (width, height) in [(200, 50), (160, 45), (80, 24)] {
            var state = Fixtures.state(width: width, height: height)
            Fixtures.press(&state, .char("3"))
            let rows = Fixtures.payments + [Fixtures.payment(7, .refundPending)]
            _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: rows, page: 0, total: rows.count)), eventsSeen: state.events.endIndex))
            let screen = ConsoleView.render(state).text
            XCTAssertTrue(screen.contains("◷ REFUND_PENDING "), "\(width)×\(height):\n\(screen)")
        }
    }

    func testOrderDetailShowsItemsHistoryAndPayment() {
        var state = Fixtures.state(width: 120, height: 40)
        Fixtures.press(&state, .enter)
        let detail = OrderDetail(order: Fixtures.orders[0],
                                 history: [OrderHistoryEntry(from: nil, to: .created, reason: "order placed", actor: "ops", at: Fixtures.now),
                                           OrderHistoryEntry(from: .pending, to: .failed, reason: "card declined", actor: "payment-service", at: Fixtures.now)],
                                 payment: Fixtures.payments[0], paymentHistory: [], user: Fixtures.users[1])
        _ = ConsoleUpdate.update(&state, .detailLoaded(.success(.order(detail))))
        let screen = ConsoleView.render(state)
        assertSnapshot(screen, "order-detail-120x40")
        XCTAssertTrue(screen.text.contains("Mechanical Keyboard"))
        XCTAssertTrue(screen.text.contains("PENDING → FAILED  card declined"))
        XCTAssertTrue(screen.text.contains("r retries this payment"))
    }

    /// At the smallest size a detail's long lines wrap instead of losing their ends.
    func testANarrowDetailWrapsItsLongLines() {
        var state = Fixtures.state(width: 60, height: 16)
        Fixtures.press(&state, .enter)
        var order = Fixtures.orders[0]
        order.shippingAddress = "5 Deer Park Lane, Little Snoring, Norfolk NR21 0AA, United Kingdom, c/o reception-desk-of-the-very-long-building-name-without-spaces-end"
        let detail = OrderDetail(order: order, history: [], payment: nil, paymentHistory: [], user: Fixtures.users[1])
        _ = ConsoleUpdate.update(&state, .detailLoaded(.success(.order(detail))))
        let screen = ConsoleView.render(state).text
        XCTAssertTrue(screen.contains("United Kingdom"), screen)
        XCTAssertTrue(screen.contains("spaces-end"), "a word wider than the box is broken, not cut:\n\(screen)")
    }

    func testPlaceOrderFormShowsLiveTotalAndErrors() {
        var state = Fixtures.newOrderForm()
        Fixtures.press(&state, .tab, .tab, .backspace)
        Fixtures.type(&state, "3")
        XCTAssertTrue(ConsoleView.render(state).text.contains("Total 269.70"))
        Fixtures.press(&state, .backspace)
        Fixtures.type(&state, "0")
        Fixtures.press(&state, .enter)
        let screen = ConsoleView.render(state)
        assertSnapshot(screen, "order-form-invalid-120x40")
        XCTAssertTrue(screen.text.contains("quantity must be 1–999"))
    }

    /// At the minimum size the new-order form with errors is taller than the screen: the fields
    /// scroll to keep the focused one and its error in view, and nothing is drawn over the frame.
    func testOrderFormWithErrorsAtTheMinimumSizeKeepsTheFocusedFieldInView() throws {
        var state = Fixtures.newOrderForm(width: Layout.minWidth, height: Layout.minHeight)
        Fixtures.press(&state, .tab, .tab, .backspace)
        Fixtures.type(&state, "0")                                   // quantity 1: invalid
        Fixtures.press(&state, .backTab, .backTab, .backTab, .ctrl("u"))  // token (the last field): empty
        Fixtures.press(&state, .backTab, .backTab, .ctrl("u"), .enter)    // address: empty, submit
        guard case .form(var form)? = state.topOverlay else { return XCTFail("the form closed") }
        XCTAssertEqual(form.fields.filter { $0.error != nil }.count, 3)
        let bottomBorder = "└" + String(repeating: "─", count: Layout.minWidth - 2) + "┘"
        for _ in form.fields {
            let screen = ConsoleView.render(state)
            let lines = screen.text.components(separatedBy: "\n")
            XCTAssertEqual(lines[Layout.minHeight - 2], bottomBorder, "the form's frame is whole:\n\(screen.text)")
            let focused = form.fields[form.focus]
            let row = try XCTUnwrap(lines.firstIndex { $0.contains(focused.label) && ($0.contains("▏") || $0.contains("◂")) },
                                    "focused field \(focused.label) not on screen:\n\(screen.text)")
            if let error = focused.error { XCTAssertTrue(lines[row + 1].contains(error), "its error under it:\n\(screen.text)") }
            if focused.name == "token" { assertSnapshot(screen, "order-form-invalid-60x16") }
            Fixtures.press(&state, .tab)
            guard case .form(let next)? = state.topOverlay else { return XCTFail("the form closed") }
            form = next
        }
    }

    func testHelpListsEveryBindingFromTheKeymap() {
        var state = Fixtures.state(width: 120, height: 60)
        Fixtures.press(&state, .char("?"))
        let text = ConsoleView.render(state).text
        for binding in Keymap.bindings where binding.context != .detail && binding.context != .deadLetters {
            XCTAssertTrue(text.contains(binding.help), "help lacks \(binding.help)")
        }
    }

    func testHelpScrollsToItsLastLine() {
        for (width, height) in [(140, 40), (70, 20)] {
            var state = Fixtures.state(width: width, height: height)
            Fixtures.press(&state, .char("?"))
            // The box's inside: rows 2…height-3, columns 2…width-3 (a frame and a margin each side).
            func inner(_ screen: Screen) -> [String] {
                (2..<height - 2).map { String(screen.line($0).dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces) }
            }
            // Each `j` brings one more line to the top; where it stops, the rest is the last page.
            var read: [String] = [], screen = ConsoleView.render(state)
            for _ in 0..<200 {
                Fixtures.press(&state, .char("j"))
                let next = ConsoleView.render(state)
                if next == screen { break }
                read.append(inner(screen)[0]); screen = next
            }
            read += inner(screen)
            let text = read.joined(separator: " ").split(separator: " ").joined(separator: " ")
            for binding in Keymap.bindings where !(text.contains(binding.help)) { XCTFail("\(width)×\(height): help never shows \(binding.help)") }
            XCTAssertTrue(text.hasSuffix(":theme NAME · :audit · :q"), "\(width)×\(height): \(text.suffix(80))")
            XCTAssertTrue(screen.line(1).contains("of \(read.count)"), screen.line(1))
            // G and g jump to the ends; k steps back.
            Fixtures.press(&state, .char("g"), .char("G"))
            XCTAssertEqual(ConsoleView.render(state), screen)
            Fixtures.press(&state, .char("k"))
            XCTAssertEqual(inner(ConsoleView.render(state))[1], inner(screen)[0])
            Fixtures.press(&state, .pageUp, .pageUp, .pageUp, .pageUp, .pageUp, .pageUp, .pageUp, .pageUp)
            XCTAssertEqual(inner(ConsoleView.render(state))[0], "Everywhere")
            Fixtures.press(&state, .escape)
            XCTAssertTrue(state.overlays.isEmpty)
        }
    }

    func testNarrowHeaderLeavesTheClockApart() {
        var state = Fixtures.state(width: 60, height: 16)
        state.endpoint = "/tmp/cfix/data"; state.operatorName = "cli:operator@example.com"
        let header = ConsoleView.render(state).line(0)
        XCTAssertTrue(header.hasSuffix("…  08:00:00 UTC "), header)
    }

    func testReadOnlyHidesMutatingHints() {
        var state = Fixtures.state()
        state.readOnly = true
        let footer = ConsoleView.render(state).line(state.height - 1)
        XCTAssertFalse(footer.contains("new order"), footer)
        XCTAssertTrue(footer.contains("help"), footer)
    }
}
