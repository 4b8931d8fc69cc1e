// libzint (Debian libzint-dev) ships no pkg-config file; the header lives in /usr/include.
#include <zint.h>

// Swift imports zint_symbol's fixed arrays as tuples; `encoded_data` is a 200 x 144 tuple whose
// copies make the Swift compiler run for many minutes. These accessors read them in C.

/// Whether the module at (row, column) is dark (rows are bit-packed, least significant bit first).
static inline int tm_zint_module_is_set(const struct zint_symbol *symbol, int row, int column) {
    return (symbol->encoded_data[row][column >> 3] >> (column & 7)) & 1;
}

/// The error or warning text of the last encoding.
static inline const char *tm_zint_error_text(const struct zint_symbol *symbol) {
    return symbol->errtxt;
}
