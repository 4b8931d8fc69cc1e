// Debian's libsqlite3-dev: the same SQLite library the benchmarks' peers (the sqlite3 shell,
// Python's sqlite3 module) use.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type tm_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
