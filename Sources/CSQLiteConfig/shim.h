#ifndef ORDERPAY_SQLITE_CONFIG_SHIM_H
#define ORDERPAY_SQLITE_CONFIG_SHIM_H

/* sqlite3_config is variadic, which Swift cannot call. Declared here rather than by including
   sqlite3.h, which GRDB's own module already brings in. */
int sqlite3_config(int option, ...);

/* SQLITE_CONFIG_MEMSTATUS (sqlite3.h): 0 turns off SQLite's allocation statistics. With them on,
   every sqlite3_malloc and sqlite3_free takes one process-wide mutex, and threads working on
   different databases at once queue on it. Valid only before SQLite initialises (the first open). */
static inline int orderpay_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(9, 0);
}

#endif
