#include <zbar.h>

// zbar_fourcc is a macro; the image format of 8-bit grey.
static inline unsigned long tm_zbar_format_grey(void) { return zbar_fourcc('Y', '8', '0', '0'); }
