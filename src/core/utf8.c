/* utf8.c: validation, decoding and code-point offset conversion (offsets everywhere are code points). */
#include "core/core.h"

#include <string.h>

size_t ml_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
	else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
	else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

size_t ml_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) { out[0] = (char)cp; return 1; }
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

bool ml_utf8_valid(const char *s, size_t n, size_t *bad_offset)
{
	size_t i = 0;
	while (i < n) {
		/* eight ASCII bytes at a time (most text is ASCII) */
		uint64_t w;
		if (n - i >= 8 && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull))) {
			i += 8;
			continue;
		}
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t l = ml_utf8_decode(s + i, n - i, &cp);
		if (!l) {
			if (bad_offset)
				*bad_offset = i;
			return false;
		}
		i += l;
	}
	return true;
}

/* Continuation bytes are 10xxxxxx: every other byte starts a code point. */
size_t ml_utf8_cp_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xC0) != 0x80;
	return count;
}

size_t ml_utf8_cp_to_byte(const char *s, size_t n, size_t cp)
{
	size_t seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (seen == cp)
				return i;
			seen++;
		}
	}
	return n;
}

size_t ml_utf8_byte_to_cp(const char *s, size_t n, size_t off)
{
	return ml_utf8_cp_count(s, off < n ? off : n);
}

int ml_cp_index_build(struct ml_cp_index *ix, const char *s, size_t n)
{
	size_t ncp = ml_utf8_cp_count(s, n);
	ix->byte_of_cp = ml_malloc((ncp + 1) * sizeof *ix->byte_of_cp);
	if (!ix->byte_of_cp || n > UINT32_MAX)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			ix->byte_of_cp[k++] = (uint32_t)i;
	ix->byte_of_cp[k] = (uint32_t)n;
	ix->ncp = ncp;
	return 0;
}

void ml_cp_index_release(struct ml_cp_index *ix)
{
	ml_free(ix->byte_of_cp);
	ix->byte_of_cp = NULL;
	ix->ncp = 0;
}

size_t ml_cp_index_cp_of_byte(const struct ml_cp_index *ix, size_t off)
{
	size_t lo = 0, hi = ix->ncp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->byte_of_cp[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
