// ncursesw for Swift: the wide-character API (SwiftPM drops pkg-config's -D_XOPEN_SOURCE), and
// functions for what ncurses offers only as macros or mutable globals.
#ifndef ORDERPAY_CNCURSES_SHIM_H
#define ORDERPAY_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>

static inline WINDOW *op_stdscr(void) { return stdscr; }
static inline int op_lines(void) { return LINES; }
static inline int op_cols(void) { return COLS; }
static inline int op_colors(void) { return COLORS; }
static inline int op_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t op_a_bold(void) { return A_BOLD; }
static inline attr_t op_a_reverse(void) { return A_REVERSE; }
static inline attr_t op_a_underline(void) { return A_UNDERLINE; }
static inline attr_t op_a_dim(void) { return A_DIM; }
static inline attr_t op_a_normal(void) { return A_NORMAL; }
static inline int op_key_code_yes(void) { return KEY_CODE_YES; }

/// Writes one character cell (a UTF-8 grapheme already converted to wide chars) with attributes and a colour pair.
static inline int op_put_cell(int y, int x, const wchar_t *wch, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, wch, attrs, pair, NULL) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

static inline int op_get_wch(wint_t *out) { return wget_wch(stdscr, out); }
#endif
