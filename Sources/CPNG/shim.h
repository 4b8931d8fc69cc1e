#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// The simplified png_image API reads any PNG without setjmp, but it cannot write 1-bit images.
// Writing therefore uses the full API, whose errors longjmp: setjmp cannot be called from Swift,
// so the whole write lives here in C, and returns either a malloc'd PNG or NULL.

static inline unsigned int tm_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline unsigned int tm_png_format_gray_alpha(void) { return PNG_FORMAT_GA; }
static inline unsigned int tm_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline int tm_png_image_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }

typedef struct { unsigned char *data; size_t size; size_t capacity; int failed; } tm_png_buffer;

static inline void tm_png_write_data(png_structp png, png_bytep bytes, png_size_t length) {
    tm_png_buffer *buffer = (tm_png_buffer *)png_get_io_ptr(png);
    if (buffer->failed) return;
    if (buffer->size + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity * 2 : 4096;
        while (capacity < buffer->size + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(buffer->data, capacity);
        if (!grown) { buffer->failed = 1; return; }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, length);
    buffer->size += length;
}

static inline void tm_png_flush(png_structp png) { (void)png; }

/// Encodes grey rows (`bit_depth` 1 or 8, rows packed MSB first, `stride` bytes apart) as a PNG
/// with the given resolution. Returns a buffer the caller frees with free(), or NULL on failure.
static inline unsigned char *tm_png_encode_gray(const unsigned char *pixels, unsigned int width, unsigned int height,
                                                int bit_depth, size_t stride, unsigned int pixels_per_metre,
                                                size_t *out_size) {
    tm_png_buffer buffer = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png) return NULL;
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); return NULL; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(buffer.data);
        return NULL;
    }
    png_set_write_fn(png, &buffer, tm_png_write_data, tm_png_flush);
    png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_pHYs(png, info, pixels_per_metre, pixels_per_metre, PNG_RESOLUTION_METER);
    /* A 1-bit label compresses almost as well at level 1 as at the default 6, and deflate was a
       third of the time of rendering a label to PNG. */
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    for (unsigned int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (buffer.failed) { free(buffer.data); return NULL; }
    *out_size = buffer.size;
    return buffer.data;
}
