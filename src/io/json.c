/* json.c: a small validating JSON scanner for import (one JSONL line at a time, no tree built) and the
 * JSON writing helpers exporters share. Faster than building a DOM, and it keeps a value's original
 * bytes so metadata round-trips exactly (number spellings, key order, escapes). */
#include "io/io_int.h"

#include <string.h>

const char *io_json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int fail_at(struct ml_err *err, const char *base, const char *p, const char *what)
{
	return ml_err_set(err, ML_EINVAL, "%s at byte %zu", what, (size_t)(p - base) + 1);
}

static int hex4(const char *p, const char *end, uint32_t *v)
{
	if (end - p < 4)
		return -1;
	uint32_t x = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

/* Scans a string starting at its quote; when out is non-NULL decodes it. */
static int scan_string(const char **pp, const char *end, const char *base, struct ml_buf *out, bool allow_nul,
		       struct ml_err *err)
{
	const char *p = *pp + 1;
	if (out)
		ml_buf_reset(out);
	for (;;) {
		const char *run = p;
		while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			p++;
		if (out && p > run && ml_buf_append(out, run, (size_t)(p - run)))
			return ml_err_set(err, ML_ELIMIT, "string too long at byte %zu", (size_t)(run - base) + 1);
		if (p >= end)
			return fail_at(err, base, p, "unterminated string");
		if (*p == '"') {
			*pp = p + 1;
			return 0;
		}
		if ((unsigned char)*p < 0x20)
			return fail_at(err, base, p, "control character in string");
		/* backslash */
		if (p + 1 >= end)
			return fail_at(err, base, p, "unterminated escape");
		char c = p[1], lit = 0;
		switch (c) {
		case '"': lit = '"'; break;
		case '\\': lit = '\\'; break;
		case '/': lit = '/'; break;
		case 'b': lit = '\b'; break;
		case 'f': lit = '\f'; break;
		case 'n': lit = '\n'; break;
		case 'r': lit = '\r'; break;
		case 't': lit = '\t'; break;
		case 'u': {
			uint32_t cp;
			if (hex4(p + 2, end, &cp))
				return fail_at(err, base, p, "bad \\u escape");
			const char *q = p + 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;
				if (end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return fail_at(err, base, p, "unpaired surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				q += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return fail_at(err, base, p, "unpaired surrogate in \\u escape");
			}
			if (cp == 0 && !allow_nul)
				return fail_at(err, base, p, "U+0000 is not allowed in text");
			if (out) {
				char u8[4];
				size_t n = ml_utf8_encode(cp, u8);
				if (ml_buf_append(out, u8, n))
					return ml_err_set(err, ML_ELIMIT, "string too long at byte %zu", (size_t)(p - base) + 1);
			}
			p = q;
			continue;
		}
		default:
			return fail_at(err, base, p, "bad escape in string");
		}
		if (out && ml_buf_putc(out, lit))
			return ml_err_set(err, ML_ELIMIT, "string too long at byte %zu", (size_t)(p - base) + 1);
		p += 2;
	}
}

int io_json_string(const char **p, const char *end, const char *base, struct ml_buf *out, struct ml_err *err)
{
	if (*p >= end || **p != '"')
		return fail_at(err, base, *p, "expected a string");
	return scan_string(p, end, base, out, false, err);
}

static int skip_number(const char **pp, const char *end, const char *base, struct ml_err *err)
{
	const char *p = *pp;
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return fail_at(err, base, p, "bad number");
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return fail_at(err, base, p, "bad number");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail_at(err, base, p, "bad number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail_at(err, base, p, "bad number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	return 0;
}

static int skip_value(const char **pp, const char *end, const char *base, int depth, struct ml_err *err)
{
	const char *p = io_json_ws(*pp, end);
	if (p >= end)
		return fail_at(err, base, p, "expected a value");
	if (depth > IO_JSON_MAX_DEPTH)
		return fail_at(err, base, p, "nesting too deep");
	switch (*p) {
	case '"':
		if (scan_string(&p, end, base, NULL, true, err))
			return -1;
		break;
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';
		p = io_json_ws(p + 1, end);
		if (p < end && *p == close) {
			p++;
			break;
		}
		for (;;) {
			if (obj) {
				p = io_json_ws(p, end);
				if (p >= end || *p != '"')
					return fail_at(err, base, p, "expected a key");
				if (scan_string(&p, end, base, NULL, true, err))
					return -1;
				p = io_json_ws(p, end);
				if (p >= end || *p != ':')
					return fail_at(err, base, p, "expected ':'");
				p++;
			}
			if (skip_value(&p, end, base, depth + 1, err))
				return -1;
			p = io_json_ws(p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == close) {
				p++;
				break;
			}
			return fail_at(err, base, p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		break;
	}
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4))
			return fail_at(err, base, p, "bad literal");
		p += 4;
		break;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5))
			return fail_at(err, base, p, "bad literal");
		p += 5;
		break;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4))
			return fail_at(err, base, p, "bad literal");
		p += 4;
		break;
	default:
		if (skip_number(&p, end, base, err))
			return -1;
	}
	*pp = p;
	return 0;
}

int io_json_skip(const char **p, const char *end, const char *base, struct ml_err *err)
{
	return skip_value(p, end, base, 0, err);
}

/* ---- writing ---- */

/* True if any byte of w is zero (the classic bit trick), used below to find bytes to escape 8 at a time. */
#define HAS_ZERO(w) (((w) - 0x0101010101010101ull) & ~(w) & 0x8080808080808080ull)

/* True if one of the 8 bytes at p needs escaping: a control byte, '"' or '\\'. */
static inline bool needs_escape8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	uint64_t ctl = (w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull; /* bytes < 0x20 */
	return ctl || HAS_ZERO(w ^ 0x2222222222222222ull) || HAS_ZERO(w ^ 0x5C5C5C5C5C5C5C5Cull);
}

void io_put_json_str(FILE *f, const char *s, size_t n)
{
	putc_unlocked('"', f);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		while (i + 8 <= n && !needs_escape8(s + i))
			i += 8;
		if (i >= n)
			break;
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (i > start)
			fwrite_unlocked(s + start, 1, i - start, f);
		char esc[6];
		fwrite_unlocked(esc, 1, ml_json_escape_byte(c, esc), f);
		start = i + 1;
	}
	if (n > start)
		fwrite_unlocked(s + start, 1, n - start, f);
	putc_unlocked('"', f);
}

void io_put_json_time(FILE *f, int64_t ms)
{
	char t[40];
	ml_time_format(ms, t, sizeof t);
	putc_unlocked('"', f);
	fputs_unlocked(t, f);
	putc_unlocked('"', f);
}
