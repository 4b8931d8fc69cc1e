#include <ft2build.h>
#include FT_FREETYPE_H

// Load flags and pixel modes are macros or enums Swift sees awkwardly; these return them plainly.
static inline FT_Int32 tm_ft_load_mono(void) { return FT_LOAD_TARGET_MONO; }
static inline FT_Int32 tm_ft_render_mono(void) { return FT_LOAD_RENDER | FT_LOAD_TARGET_MONO; }
static inline int tm_ft_pixel_mode_mono(void) { return FT_PIXEL_MODE_MONO; }
