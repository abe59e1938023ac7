/* core: the small toolkit every medlabel module builds on.
 *
 * Errors. Fallible functions return an int status (0 = success) and, when they take a `struct ml_err *`,
 * fill it with a code and a one-line message in git style: lower case, no full stop, the subject quoted
 * ("cannot read 'x.dcm': truncated element (0028,0010) at byte 812"). Messages never contain PHI: name the
 * file, the line or byte offset and the field, never the value found there.
 *
 * Memory. Three lifecycles, named the same way everywhere (git's convention):
 *   _init     prepares a caller-owned struct, allocates nothing or little;
 *   _release  frees what the struct owns and leaves it re-initialisable (the struct itself is the caller's);
 *   _free     frees a heap object created by a _new function, and the object itself.
 * A function whose name ends in _dup or _detach returns memory the caller must free() with ml_free.
 * All allocation goes through ml_malloc/ml_realloc so tests can fail the Nth allocation (ML_FAIL_ALLOC).
 * The x-variants abort on exhaustion: use them where there is no sensible recovery.
 *
 * Buffers filled from outside input carry a cap (struct ml_buf.cap), checked before growing.
 *
 * Text. Strings are UTF-8. Character offsets exposed anywhere in medlabel are Unicode code points; the
 * ml_utf8_* helpers convert between byte and code-point offsets.
 */
#ifndef ML_CORE_H
#define ML_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_MUST_CHECK __attribute__((warn_unused_result))
#define ML_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ML_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define ML_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------------------------------------- */

enum ml_code {
	ML_OK = 0,
	ML_EINVAL,    /* bad input: malformed data, failed validation */
	ML_ENOTFOUND, /* the named object does not exist (or the caller may not know it exists) */
	ML_ECONFLICT, /* a stale version, a duplicate, a lost race */
	ML_EEXIST,    /* already exists */
	ML_EPERM,     /* not allowed */
	ML_ELIMIT,    /* a size or count limit was exceeded */
	ML_EIO,       /* the file system or database failed */
	ML_ENOMEM,
	ML_EUNSUPPORTED, /* valid input that this build cannot handle */
	ML_EBUSY,        /* try again later */
	ML_EVERSION      /* data written by a newer medlabel */
};

struct ml_err {
	enum ml_code code;
	char msg[512];
	char field[128]; /* optional: JSON pointer or field name the error is about */
};

/* Sets err (if non-NULL) and returns -1, so `return ml_err_set(...)` reads naturally. */
int ml_err_set(struct ml_err *err, enum ml_code code, const char *fmt, ...) ML_PRINTF(3, 4);
int ml_err_setv(struct ml_err *err, enum ml_code code, const char *fmt, va_list ap);
/* Like ml_err_set, also records the field (a JSON pointer such as "/labels/2/hotkey"). */
int ml_err_field(struct ml_err *err, enum ml_code code, const char *field, const char *fmt, ...)
	ML_PRINTF(4, 5);
void ml_err_clear(struct ml_err *err);
const char *ml_code_name(enum ml_code code);

/* ---- allocation ------------------------------------------------------------------------------------ */

void *ml_malloc(size_t n) ML_MUST_CHECK;
void *ml_calloc(size_t count, size_t size) ML_MUST_CHECK;
void *ml_realloc(void *p, size_t n) ML_MUST_CHECK;
char *ml_strdup(const char *s) ML_MUST_CHECK;
char *ml_strndup(const char *s, size_t n) ML_MUST_CHECK;
void ml_free(void *p);
/* Abort with a message when memory is exhausted. */
void *ml_xmalloc(size_t n);
void *ml_xcalloc(size_t count, size_t size);
void *ml_xrealloc(void *p, size_t n);
char *ml_xstrdup(const char *s);
char *ml_xstrndup(const char *s, size_t n);
char *ml_xasprintf(const char *fmt, ...) ML_PRINTF(1, 2);
/* Test hook: the nth allocation from now (1-based) fails; 0 disables. */
void ml_alloc_fail_at(long nth);

/* ---- growable byte buffer with a cap --------------------------------------------------------------- */

struct ml_buf {
	char *data; /* always NUL-terminated when non-NULL; owned by the buffer */
	size_t len;
	size_t alloc;
	size_t cap; /* growing past cap fails with ML_ELIMIT; 0 means no cap */
};

void ml_buf_init(struct ml_buf *b, size_t cap);
void ml_buf_release(struct ml_buf *b);
void ml_buf_reset(struct ml_buf *b); /* len = 0, keeps the allocation */
int ml_buf_grow(struct ml_buf *b, size_t extra) ML_MUST_CHECK; /* -1 past cap or on OOM */
int ml_buf_append(struct ml_buf *b, const void *p, size_t n) ML_MUST_CHECK;
int ml_buf_puts(struct ml_buf *b, const char *s) ML_MUST_CHECK;
int ml_buf_putc(struct ml_buf *b, char c) ML_MUST_CHECK;
int ml_buf_printf(struct ml_buf *b, const char *fmt, ...) ML_PRINTF(2, 3) ML_MUST_CHECK;
/* The JSON escape of one byte that must be escaped (a control character, '"' or '\\') into out; returns
 * its length (2 or 6). Shared by every JSON string writer. */
size_t ml_json_escape_byte(unsigned char c, char out[6]);
/* Appends s as a JSON string literal, quotes included; s must be valid UTF-8. */
int ml_buf_json_str(struct ml_buf *b, const char *s, size_t n) ML_MUST_CHECK;
/* Hands the data to the caller (free with ml_free) and re-initialises b. */
char *ml_buf_detach(struct ml_buf *b, size_t *len);

/* ---- arena: many small allocations released together (per request, per imported file) ------------- */

struct ml_arena_chunk;
struct ml_arena {
	struct ml_arena_chunk *head;
	size_t chunk_size;
};

void ml_arena_init(struct ml_arena *a, size_t chunk_size);
void ml_arena_release(struct ml_arena *a);
void *ml_arena_alloc(struct ml_arena *a, size_t n); /* aborts on exhaustion; 16-byte aligned */
char *ml_arena_strdup(struct ml_arena *a, const char *s);
char *ml_arena_strndup(struct ml_arena *a, const char *s, size_t n);
char *ml_arena_printf(struct ml_arena *a, const char *fmt, ...) ML_PRINTF(2, 3);

/* ---- UTF-8 and code-point offsets ----------------------------------------------------------------- */

/* True if s[0..n) is valid UTF-8 (no overlongs, no surrogates); on false *bad_offset = first bad byte. */
bool ml_utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* Decodes one code point at s (n bytes available); returns its length in bytes, or 0 if invalid. */
size_t ml_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encodes cp into out (4 bytes room); returns the byte length. */
size_t ml_utf8_encode(uint32_t cp, char out[4]);
/* Number of code points in valid UTF-8 s[0..n). */
size_t ml_utf8_cp_count(const char *s, size_t n);
/* Byte offset of code point index cp in valid UTF-8; returns n if cp is past the end. */
size_t ml_utf8_cp_to_byte(const char *s, size_t n, size_t cp);
/* Code point index of byte offset off (which must lie on a code point boundary). */
size_t ml_utf8_byte_to_cp(const char *s, size_t n, size_t off);

/* A table to convert many offsets in one text quickly: built once, O(1) per lookup. */
struct ml_cp_index {
	uint32_t *byte_of_cp; /* byte offset of each code point, plus one entry for the end */
	size_t ncp;
};
int ml_cp_index_build(struct ml_cp_index *ix, const char *s, size_t n) ML_MUST_CHECK;
void ml_cp_index_release(struct ml_cp_index *ix);
/* Code point index of a byte offset (binary search); off must be a boundary. */
size_t ml_cp_index_cp_of_byte(const struct ml_cp_index *ix, size_t off);

/* ---- files ----------------------------------------------------------------------------------------- */

/* Reads a whole file, failing with ML_ELIMIT past max bytes; *out is NUL-terminated, free with ml_free. */
int ml_file_read(const char *path, size_t max, char **out, size_t *len, struct ml_err *err) ML_MUST_CHECK;
/* Writes via a temporary file in the same folder, fsync, rename: readers never see half a file. */
int ml_file_write_atomic(const char *path, const void *data, size_t len, struct ml_err *err) ML_MUST_CHECK;
/* mkdir -p with the given mode. */
int ml_mkdirs(const char *path, unsigned mode, struct ml_err *err) ML_MUST_CHECK;
/* A read-only memory map of a whole file (len 0 maps nothing and is fine). */
struct ml_map {
	const uint8_t *data;
	size_t len;
};
int ml_map_open(struct ml_map *m, const char *path, struct ml_err *err) ML_MUST_CHECK;
void ml_map_release(struct ml_map *m);

/* ---- time, logging, hex ---------------------------------------------------------------------------- */

int64_t ml_now_ms(void);            /* wall clock, milliseconds since the epoch */
int64_t ml_monotonic_ns(void);      /* for durations */
/* Formats ms since epoch as RFC 3339 UTC with milliseconds ("2026-11-27T09:16:32.123Z"); out >= 32 bytes. */
void ml_time_format(int64_t ms, char *out, size_t outlen);
/* Parses RFC 3339 / ISO 8601 (date, or date and time with Z or offset); returns -1 if malformed. */
int ml_time_parse(const char *s, int64_t *ms) ML_MUST_CHECK;

enum ml_log_level { ML_LOG_DEBUG, ML_LOG_INFO, ML_LOG_WARN, ML_LOG_ERROR };
/* Server and CLI diagnostics on stderr. Never pass item content, names or other PHI: ids only. */
void ml_log(enum ml_log_level level, const char *fmt, ...) ML_PRINTF(2, 3);
void ml_log_set_level(enum ml_log_level level);

void ml_hex_encode(const uint8_t *in, size_t n, char *out); /* out has 2n+1 bytes */
int ml_hex_decode(const char *in, uint8_t *out, size_t outlen) ML_MUST_CHECK; /* needs exactly 2*outlen digits */

#endif
