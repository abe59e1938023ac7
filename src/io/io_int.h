/* io_int.h: helpers shared inside the io module: a fast JSON scanner for one JSONL line, a bounded line
 * reader, and JSON writing helpers for exporters. */
#ifndef ML_IO_INT_H
#define ML_IO_INT_H

#include <stdio.h>

#include "io/io.h"

/* ---- JSON scanning ---- */

#define IO_JSON_MAX_DEPTH 128

/* Skips one JSON value starting at *p (after leading white space), validating it; *p ends after it.
 * s..end is valid UTF-8 (checked by the caller). On failure fills err with "what at byte N" relative to
 * base and returns -1. */
int io_json_skip(const char **p, const char *end, const char *base, struct ml_err *err);
/* Decodes the JSON string at *p (which points at its opening quote) into out (reset first), resolving
 * escapes and surrogate pairs. U+0000 is refused (C strings). *p ends after the closing quote. */
int io_json_string(const char **p, const char *end, const char *base, struct ml_buf *out, struct ml_err *err);
/* Skips JSON white space. */
const char *io_json_ws(const char *p, const char *end);

/* ---- line reading with a cap ---- */

struct io_lines {
	int fd;
	char *buf;         /* read buffer */
	size_t cap, len, pos;
	struct ml_buf line; /* assembly for lines spanning reads */
	size_t max_line;
	uint64_t lineno;
	uint64_t bytes_read;
	bool eof;
};
int io_lines_open(struct io_lines *r, const char *path, size_t max_line, struct ml_err *err) ML_MUST_CHECK;
/* Next line without its '\n' (and without a trailing '\r'): 1 = got one, 0 = end, -1 = error (too long,
 * read error), with err naming the path and line. The line stays valid until the next call. */
int io_lines_next(struct io_lines *r, const char *path, const char **line, size_t *len, struct ml_err *err);
void io_lines_close(struct io_lines *r);

/* ---- the export's output: hashed, written by a helper thread (sink.c) ---- */

struct io_sink;
struct io_sink *io_sink_new(int fd); /* NULL on OOM */
FILE *io_sink_file(struct io_sink *k);
/* Flushes everything written so far to the fd; -1 with err if any write failed. */
int io_sink_drain(struct io_sink *k, struct ml_err *err) ML_MUST_CHECK;
/* BLAKE2b-256 and count of the bytes written so far (after io_sink_drain). */
void io_sink_hash(struct io_sink *k, char out[65]);
uint64_t io_sink_bytes(struct io_sink *k);
/* Stops the writer; the fd stays open (the caller's). */
void io_sink_free(struct io_sink *k);

/* ---- writing ---- */

/* fputs of a JSON string literal of s[0..n). */
void io_put_json_str(FILE *f, const char *s, size_t n);
/* RFC 3339 time of ms since the epoch, as a JSON string. */
void io_put_json_time(FILE *f, int64_t ms);

#endif
