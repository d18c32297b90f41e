/// The shipped themes, compiled in, so a binary copied away from the repository (no `themes/` folder
/// beside or above it) still has `--theme default`, `:theme mono` and the rest. `themes/*.theme` stay
/// the files users read, edit and copy, and a file found on the search path wins over these; each
/// text here is that file verbatim (ThemeTests fails when the two differ: copy the file in again).
public enum BuiltinThemes {
    public static let sources: [String: String] = [
        "default": #"""
        # OrderPay default (dark). role = foreground background [bold reverse underline dim]
        # Colours: a name (red, bright-red), #rrggbb, a 0–255 palette index, or default (transparent).
        body         = default default
        frame        = 240 default
        focus        = #5fd7ff default bold
        title        = #87afd7 default bold
        header       = #e4e4e4 #303a4a bold
        hint         = 250 236
        hintKey      = #ffd75f 236 bold
        tableHeader  = #87afd7 default bold underline
        cursor       = #1c1c1c #5fafff
        marked       = #ffaf5f default bold
        ok           = #87d787 default
        pending      = #ffd75f default
        warn         = #ffaf5f default
        fail         = #ff5f5f default bold
        muted        = 244 default
        eventOrder   = #87afff default
        eventPayment = #d7afff default
        eventStatus  = #87d7d7 default
        toast        = #1c1c1c #87d787
        error        = #ffffff #d70000 bold
        banner       = #1c1c1c #ffaf00 bold
        input        = #ffffff 238

        """#,
        "light": #"""
        # OrderPay light: for terminals with a light background.
        body         = #1c1c1c default
        frame        = 248 default
        focus        = #005faf default bold
        title        = #005f87 default bold
        header       = #ffffff #005f87 bold
        hint         = #303030 254
        hintKey      = #870000 254 bold
        tableHeader  = #005f87 default bold underline
        cursor       = #ffffff #0087d7
        marked       = #af5f00 default bold
        ok           = #008700 default
        pending      = #875f00 default
        warn         = #af5f00 default
        fail         = #d70000 default bold
        muted        = 242 default
        eventOrder   = #005fd7 default
        eventPayment = #8700af default
        eventStatus  = #00875f default
        toast        = #ffffff #008700
        error        = #ffffff #d70000 bold
        banner       = #000000 #ffd700 bold
        input        = #000000 252

        """#,
        "mono": #"""
        # OrderPay mono: no colours at all, attributes only (also what NO_COLOR and --no-color give).
        body         = default default
        frame        = default default dim
        focus        = default default bold
        title        = default default bold
        header       = default default reverse bold
        hint         = default default
        hintKey      = default default bold
        tableHeader  = default default bold underline
        cursor       = default default reverse
        marked       = default default underline bold
        ok           = default default
        pending      = default default
        warn         = default default underline
        fail         = default default bold
        muted        = default default dim
        eventOrder   = default default
        eventPayment = default default
        eventStatus  = default default
        toast        = default default reverse
        error        = default default reverse bold
        banner       = default default reverse bold
        input        = default default reverse

        """#,
        "high-contrast": #"""
        # OrderPay high contrast: pure black and white with the brightest colours for status.
        body         = bright-white black
        frame        = bright-white black
        focus        = bright-yellow black bold
        title        = bright-white black bold
        header       = black bright-white bold
        hint         = black bright-white
        hintKey      = black bright-white bold underline
        tableHeader  = bright-white black bold underline
        cursor       = black bright-yellow bold
        marked       = bright-magenta black bold underline
        ok           = bright-green black bold
        pending      = bright-yellow black bold
        warn         = bright-yellow black bold underline
        fail         = bright-red black bold
        muted        = white black
        eventOrder   = bright-cyan black
        eventPayment = bright-magenta black
        eventStatus  = bright-white black
        toast        = black bright-green bold
        error        = bright-white red bold
        banner       = black bright-yellow bold
        input        = black bright-white

        """#,
        "deuteranopia": #"""
        # OrderPay deuteranopia-safe: blue/orange instead of green/red (Okabe–Ito palette); status words
        # and glyphs carry the meaning as well.
        body         = default default
        frame        = 242 default
        focus        = #56b4e9 default bold
        title        = #56b4e9 default bold
        header       = #ffffff #0072b2 bold
        hint         = 252 236
        hintKey      = #f0e442 236 bold
        tableHeader  = #56b4e9 default bold underline
        cursor       = #000000 #56b4e9
        marked       = #f0e442 default bold
        ok           = #0072b2 default bold
        pending      = #f0e442 default
        warn         = #e69f00 default underline
        fail         = #d55e00 default bold
        muted        = 245 default
        eventOrder   = #56b4e9 default
        eventPayment = #cc79a7 default
        eventStatus  = #009e73 default
        toast        = #000000 #56b4e9
        error        = #ffffff #d55e00 bold
        banner       = #000000 #e69f00 bold
        input        = #ffffff 238

        """#,
    ]
}
