#include <dmtx.h>

// DmtxUndefined is a macro.
static inline int tm_dmtx_undefined(void) { return DmtxUndefined; }
