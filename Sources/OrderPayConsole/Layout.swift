/// A rectangle on the screen.
public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
}

/// Where each pane goes at a given size. Shared by `update` (a table's page size is its height)
/// and `view`, so what is fetched is exactly what fits.
public struct Layout: Equatable, Sendable {
    public static let minWidth = 60
    public static let minHeight = 16
    /// Below this width the panes become tabs.
    public static let tabsBelowWidth = 100

    public var tooSmall: Bool
    public var tabs: Bool
    public var panes: [PaneID: Rect]
    /// The first row below the header (and banner).
    public var bodyTop: Int

    public init(width: Int, height: Int, focus: PaneID, banner: Bool, eventsFullscreen: Bool) {
        tooSmall = width < Layout.minWidth || height < Layout.minHeight
        tabs = width < Layout.tabsBelowWidth
        panes = [:]
        bodyTop = banner ? 2 : 1
        guard !tooSmall else { return }
        let footer = 1
        if eventsFullscreen {
            panes[.events] = Rect(x: 0, y: bodyTop, width: width, height: height - bodyTop - footer)
        } else if tabs {
            let top = bodyTop + 1 // the tab bar
            panes[focus] = Rect(x: 0, y: top, width: width, height: height - top - footer)
        } else {
            let bodyHeight = height - bodyTop - footer
            let topHeight = bodyHeight * 55 / 100
            let bottomHeight = bodyHeight - topHeight
            let ordersWidth = width * 58 / 100
            panes[.orders] = Rect(x: 0, y: bodyTop, width: ordersWidth, height: topHeight)
            panes[.payments] = Rect(x: ordersWidth, y: bodyTop, width: width - ordersWidth, height: topHeight)
            let usersWidth = width * 30 / 100, eventsWidth = width * 44 / 100
            let bottom = bodyTop + topHeight
            panes[.users] = Rect(x: 0, y: bottom, width: usersWidth, height: bottomHeight)
            panes[.events] = Rect(x: usersWidth, y: bottom, width: eventsWidth, height: bottomHeight)
            panes[.registry] = Rect(x: usersWidth + eventsWidth, y: bottom, width: width - usersWidth - eventsWidth, height: bottomHeight)
        }
    }

    public init(_ state: ConsoleState) {
        self.init(width: state.width, height: state.height, focus: state.focus, banner: state.banner != nil,
                  eventsFullscreen: state.events.fullscreen)
    }

    /// Rows a table pane can show: its height less the frame and the column header.
    public func tableRows(_ pane: PaneID) -> Int? {
        panes[pane].map { max(1, $0.height - 3) }
    }
}
