/* jsonl.c: the records of `medlabel deid text` JSONL, read and rewritten without a JSON tree.
 * Parsing each record into a jansson tree and dumping it again cost about as much as the de-identification.
 * A record that is a plain JSON object with one top-level "text" string is instead checked here (full JSON
 * syntax, UTF-8, no \u0000 or lone surrogates, no number jansson could refuse as out of range: what
 * json_loadb would refuse is not taken, and the caller's jansson path reports the error) and rewritten by
 * splicing the new text in: the other fields are copied byte for byte. The new text is escaped as json_dumps
 * escapes it. fuzz/fuzz_deid_jsonl holds both to jansson. */
#include "deid/deid_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define JF_MAX_DEPTH 64

static const char *jf_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int jf_hex4(const char *p, const char *e)
{
	if (e - p < 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Bytes a JSON string cannot hold as they are: the quote, the backslash and control characters. One table
 * load per byte, instead of three comparisons, in the loops that read and write notes. */
static const uint8_t JF_SPECIAL[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1,
	[0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1,
	[0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
	['"'] = 1, ['\\'] = 1,
};

/* The first byte of [p, e) that JF_SPECIAL marks (e if none), eight bytes at a time: a note's text is mostly
 * long runs of plain bytes between line breaks. Exact: a word is passed over only if none of its bytes is
 * below 0x20, a quote or a backslash (the usual "has a byte less than / equal to" bit tricks). */
static const char *jf_plain_run(const char *p, const char *e)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	while (e - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
		uint64_t hit = ((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & high;
		/* ~w clears the high bit of bytes >= 0x80, which are plain; for the others, a borrow that sets a
		 * high bit comes from a byte below 0x20, equal to '"' or equal to '\\' (the first one found is
		 * exact; bytes after it may be flagged wrongly, so the loop stops there) */
		if (hit)
			break;
		p += 8;
	}
	while (p < e && !JF_SPECIAL[(unsigned char)*p])
		p++;
	return p;
}

/* p at the opening quote: returns the byte after the closing one (NULL if the string is not one jansson
 * takes). *esc tells whether it holds escapes; dec, if not NULL, receives the decoded bytes. */
static const char *jf_string(const char *p, const char *e, bool *esc, struct ml_buf *dec)
{
	*esc = false;
	p++;
	const char *run = p;
	while (p < e) {
		p = jf_plain_run(p, e);
		if (p >= e)
			break;
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			if (dec && ml_buf_append(dec, run, (size_t)(p - run)))
				return NULL;
			return p + 1;
		}
		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			p++;
			continue;
		}
		*esc = true;
		if (dec && ml_buf_append(dec, run, (size_t)(p - run)))
			return NULL;
		if (e - p < 2)
			return NULL;
		char o;
		switch (p[1]) {
		case '"': o = '"'; break;
		case '\\': o = '\\'; break;
		case '/': o = '/'; break;
		case 'b': o = '\b'; break;
		case 'f': o = '\f'; break;
		case 'n': o = '\n'; break;
		case 'r': o = '\r'; break;
		case 't': o = '\t'; break;
		case 'u': {
			int v = jf_hex4(p + 2, e);
			if (v <= 0) /* bad hex, or \u0000 (refused without JSON_ALLOW_NUL) */
				return NULL;
			p += 6;
			uint32_t cp = (uint32_t)v;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return NULL;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				int lo = e - p >= 6 && p[0] == '\\' && p[1] == 'u' ? jf_hex4(p + 2, e) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return NULL;
				cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
				p += 6;
			}
			char enc[4];
			size_t el = ml_utf8_encode(cp, enc);
			if (dec && ml_buf_append(dec, enc, el))
				return NULL;
			run = p;
			continue;
		}
		default:
			return NULL;
		}
		if (dec && ml_buf_putc(dec, o))
			return NULL;
		p += 2;
		run = p;
	}
	return NULL;
}

static const char *jf_value(const char *p, const char *e, int depth);
static const char *jf_number_syntax(const char *p, const char *e);

/* A number as JSON writes it; NULL also for exponents and long numbers, which jansson may refuse as out of
 * range (its path then decides). */
static const char *jf_number(const char *p, const char *e)
{
	const char *p0 = p;
	p = jf_number_syntax(p, e);
	if (!p || p - p0 > 15 || memchr(p0, 'e', (size_t)(p - p0)) || memchr(p0, 'E', (size_t)(p - p0)))
		return NULL;
	return p;
}

static const char *jf_number_syntax(const char *p, const char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e || !isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < e && isdigit((unsigned char)*p))
			p++;
	if (p < e && *p == '.') {
		p++;
		if (p >= e || !isdigit((unsigned char)*p))
			return NULL;
		while (p < e && isdigit((unsigned char)*p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !isdigit((unsigned char)*p))
			return NULL;
		while (p < e && isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

static const char *jf_value(const char *p, const char *e, int depth)
{
	if (p >= e || depth > JF_MAX_DEPTH)
		return NULL;
	bool esc;
	switch (*p) {
	case '"':
		return jf_string(p, e, &esc, NULL);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		p = jf_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= e || *p != '"' || !(p = jf_string(p, e, &esc, NULL)))
					return NULL;
				p = jf_ws(p, e);
				if (p >= e || *p != ':')
					return NULL;
				p = jf_ws(p + 1, e);
			}
			if (!(p = jf_value(p, e, depth + 1)))
				return NULL;
			p = jf_ws(p, e);
			if (p < e && *p == ',') {
				p = jf_ws(p + 1, e);
				continue;
			}
			return p < e && *p == close ? p + 1 : NULL;
		}
	}
	case 't':
		return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:
		return jf_number(p, e);
	}
}

/* Appends s[0..n) as a JSON string, escaped as json_dumps(JSON_COMPACT) escapes it. */
int deid_json_put_string(struct ml_buf *o, const char *s, size_t n)
{
	int rc = ml_buf_putc(o, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		i = (size_t)(jf_plain_run(s + i, s + n) - s);
		if (i >= n)
			break;
		unsigned char c = (unsigned char)s[i];
		rc |= ml_buf_append(o, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': rc |= ml_buf_puts(o, "\\\""); break;
		case '\\': rc |= ml_buf_puts(o, "\\\\"); break;
		case '\b': rc |= ml_buf_puts(o, "\\b"); break;
		case '\f': rc |= ml_buf_puts(o, "\\f"); break;
		case '\n': rc |= ml_buf_puts(o, "\\n"); break;
		case '\r': rc |= ml_buf_puts(o, "\\r"); break;
		case '\t': rc |= ml_buf_puts(o, "\\t"); break;
		default: rc |= ml_buf_printf(o, "\\u%04X", c); break;
		}
	}
	rc |= ml_buf_append(o, s + run, n - run);
	return rc | ml_buf_putc(o, '"');
}

int deid_jsonl_text_find(const char *line, size_t len, struct deid_jsonl_text *t)
{
	memset(t, 0, sizeof *t);
	if (!ml_utf8_valid(line, len, NULL))
		return 0;
	const char *e = line + len, *p = jf_ws(line, e);
	t->obj_start = p;
	if (p >= e || *p != '{')
		return 0;
	p = jf_ws(p + 1, e);
	if (p < e && *p == '}')
		return 0; /* no "text": the jansson path reports it */
	for (;;) {
		bool esc;
		const char *ks = p;
		if (p >= e || *p != '"' || !(p = jf_string(p, e, &esc, NULL)) || esc)
			goto not_taken;
		bool is_text = p - ks == 6 && !memcmp(ks, "\"text\"", 6);
		p = jf_ws(p, e);
		if (p >= e || *p != ':')
			goto not_taken;
		p = jf_ws(p + 1, e);
		const char *v = p;
		if (is_text) {
			if (t->vs || p >= e || *p != '"')
				goto not_taken; /* a second "text", or not a string */
			/* decoded while it is checked, into room for all of it (the decoded text is never longer) */
			ml_buf_init(&t->text, len);
			if (ml_buf_grow(&t->text, (size_t)(e - p)) != 0)
				goto not_taken;
			t->vs = v;
			if (!(p = jf_string(p, e, &esc, &t->text)))
				goto not_taken;
			t->ve = p;
		} else if (!(p = jf_value(p, e, 1))) {
			goto not_taken;
		}
		p = jf_ws(p, e);
		if (p < e && *p == ',') {
			p = jf_ws(p + 1, e);
			continue;
		}
		if (p >= e || *p != '}')
			goto not_taken;
		p++;
		break;
	}
	t->obj_end = p;
	if (!t->vs || jf_ws(p, e) != e)
		goto not_taken;
	return 1;
not_taken:
	deid_jsonl_text_release(t);
	return 0;
}

void deid_jsonl_text_release(struct deid_jsonl_text *t)
{
	ml_buf_release(&t->text);
	memset(t, 0, sizeof *t);
}
