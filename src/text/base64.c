/* base64.c: strict RFC 4648 base64 for FHIR attachments (whitespace between characters tolerated). */
#include "text/text.h"

#include <pthread.h>
#include <string.h>

static const char enc_tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for '=', 65 for whitespace, 255 for anything else. */
static uint8_t dec_tab[256];
static pthread_once_t dec_once = PTHREAD_ONCE_INIT;
static void dec_tab_build(void)
{
	memset(dec_tab, 255, sizeof dec_tab);
	for (int i = 0; i < 64; i++)
		dec_tab[(uint8_t)enc_tab[i]] = (uint8_t)i;
	dec_tab['='] = 64;
	dec_tab[' '] = dec_tab['\t'] = dec_tab['\r'] = dec_tab['\n'] = 65;
}
static void dec_tab_init(void) { pthread_once(&dec_once, dec_tab_build); }

int text_base64_decode(const char *in, size_t n, size_t max, char **out, size_t *outlen, struct ml_err *err)
{
	dec_tab_init();
	*out = NULL;
	*outlen = 0;
	/* Count significant characters first so the allocation is exact and checked against max. */
	size_t sig = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = dec_tab[(uint8_t)in[i]];
		if (c == 255)
			return ml_err_set(err, ML_EINVAL, "invalid base64 character at offset %zu", i);
		if (c != 65)
			sig++;
	}
	if (sig % 4 != 0)
		return ml_err_set(err, ML_EINVAL, "base64 length %zu is not a multiple of 4", sig);
	size_t cap = sig / 4 * 3;
	if (cap > max)
		return ml_err_set(err, ML_ELIMIT, "base64 data decodes to more than %zu bytes", max);
	char *buf = ml_malloc(cap + 1);
	if (!buf)
		return ml_err_set(err, ML_ENOMEM, "out of memory decoding base64");
	size_t o = 0, q = 0, pad = 0;
	uint32_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = dec_tab[(uint8_t)in[i]];
		if (c == 65)
			continue;
		if (c == 64) {
			/* Padding only in the last two positions of the last quantum. */
			if (q < 2) {
				ml_free(buf);
				return ml_err_set(err, ML_EINVAL, "misplaced base64 padding at offset %zu", i);
			}
			pad++;
			c = 0;
		} else if (pad) {
			ml_free(buf);
			return ml_err_set(err, ML_EINVAL, "base64 data after padding at offset %zu", i);
		}
		acc = acc << 6 | c;
		if (++q == 4) {
			if (pad == 1 && (acc & 0xff)) {
				ml_free(buf);
				return ml_err_set(err, ML_EINVAL, "non-zero trailing bits in base64 at offset %zu", i);
			}
			if (pad == 2 && (acc & 0xffff)) {
				ml_free(buf);
				return ml_err_set(err, ML_EINVAL, "non-zero trailing bits in base64 at offset %zu", i);
			}
			buf[o++] = (char)(acc >> 16);
			if (pad < 2)
				buf[o++] = (char)(acc >> 8);
			if (pad < 1)
				buf[o++] = (char)acc;
			acc = 0;
			q = 0;
			if (pad)
				pad = 3; /* any significant character after a padded quantum is an error */
		} else if (pad == 3) {
			ml_free(buf);
			return ml_err_set(err, ML_EINVAL, "base64 data after padding at offset %zu", i);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}

int text_base64_encode(struct ml_buf *b, const void *data, size_t n)
{
	const uint8_t *p = data;
	if (ml_buf_grow(b, (n + 2) / 3 * 4))
		return -1;
	char *o = b->data + b->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = enc_tab[v >> 18];
		*o++ = enc_tab[(v >> 12) & 63];
		*o++ = enc_tab[(v >> 6) & 63];
		*o++ = enc_tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = enc_tab[v >> 18];
		*o++ = enc_tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? enc_tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
	return 0;
}
