/* buf.c: growable byte buffer with a cap checked before every allocation. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

void ml_buf_init(struct ml_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void ml_buf_release(struct ml_buf *b)
{
	ml_free(b->data);
	ml_buf_init(b, b->cap);
}

void ml_buf_reset(struct ml_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int ml_buf_grow(struct ml_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return -1;
	size_t need = b->len + extra + 1;
	if (b->cap && need - 1 > b->cap)
		return -1;
	if (need <= b->alloc)
		return 0;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (b->cap && n > b->cap + 1)
		n = b->cap + 1 > need ? b->cap + 1 : need;
	char *p = ml_realloc(b->data, n);
	if (!p)
		return -1;
	b->data = p;
	b->alloc = n;
	return 0;
}

int ml_buf_append(struct ml_buf *b, const void *p, size_t n)
{
	if (ml_buf_grow(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int ml_buf_puts(struct ml_buf *b, const char *s) { return ml_buf_append(b, s, strlen(s)); }
int ml_buf_putc(struct ml_buf *b, char c) { return ml_buf_append(b, &c, 1); }

int ml_buf_printf(struct ml_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || ml_buf_grow(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

size_t ml_json_escape_byte(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789abcdef";
	out[0] = '\\';
	switch (c) {
	case '"': out[1] = '"'; return 2;
	case '\\': out[1] = '\\'; return 2;
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	case '\b': out[1] = 'b'; return 2;
	case '\f': out[1] = 'f'; return 2;
	}
	out[1] = 'u'; out[2] = '0'; out[3] = '0';
	out[4] = hex[c >> 4]; out[5] = hex[c & 15];
	return 6;
}

int ml_buf_json_str(struct ml_buf *b, const char *s, size_t n)
{
	if (ml_buf_putc(b, '"'))
		return -1;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (ml_buf_append(b, s + start, i - start))
			return -1;
		char esc[6];
		if (ml_buf_append(b, esc, ml_json_escape_byte(c, esc)))
			return -1;
		start = i + 1;
	}
	if (ml_buf_append(b, s + start, n - start))
		return -1;
	return ml_buf_putc(b, '"');
}

char *ml_buf_detach(struct ml_buf *b, size_t *len)
{
	char *d = b->data;
	if (len)
		*len = b->len;
	if (!d)
		d = ml_xstrdup("");
	ml_buf_init(b, b->cap);
	return d;
}
