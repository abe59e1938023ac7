/* rle.c: COCO run-length encoding of masks: column-major counts and pycocotools' compressed strings. */
#include "assist/assist.h"

#include <string.h>

static int check_dims(uint32_t h, uint32_t w, struct ml_err *err)
{
	if ((uint64_t)h * w > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_ELIMIT, "mask of %ux%u too large", (unsigned)w, (unsigned)h);
	return 0;
}

int assist_coco_rle_encode(const uint8_t *mask, uint32_t h, uint32_t w, uint32_t **counts, size_t *n,
			   struct ml_err *err)
{
	*counts = NULL;
	*n = 0;
	if (check_dims(h, w, err) < 0)
		return -1;
	size_t total = (size_t)h * w, cap = 16, k = 0;
	uint32_t *c = ml_malloc(cap * sizeof(uint32_t));
	if (!c)
		return ml_err_set(err, ML_ENOMEM, "out of memory encoding a mask");
	uint8_t cur = 0;
	uint32_t run = 0;
	for (size_t i = 0; i < total; i++) {
		/* Column-major walk: i = x * h + y. */
		size_t x = i / h, y = i % h;
		uint8_t v = mask[y * w + x] ? 1 : 0;
		if (v != cur) {
			if (k + 1 >= cap) {
				uint32_t *g = ml_realloc(c, (cap *= 2) * sizeof(uint32_t));
				if (!g) {
					ml_free(c);
					return ml_err_set(err, ML_ENOMEM, "out of memory encoding a mask");
				}
				c = g;
			}
			c[k++] = run;
			run = 0;
			cur = v;
		}
		run++;
	}
	if (k + 1 >= cap) {
		uint32_t *g = ml_realloc(c, (cap + 1) * sizeof(uint32_t));
		if (!g) {
			ml_free(c);
			return ml_err_set(err, ML_ENOMEM, "out of memory encoding a mask");
		}
		c = g;
	}
	c[k++] = run;
	*counts = c;
	*n = k;
	return 0;
}

int assist_coco_rle_decode(const uint32_t *counts, size_t n, uint32_t h, uint32_t w, uint8_t *mask,
			   struct ml_err *err)
{
	if (check_dims(h, w, err) < 0)
		return -1;
	size_t total = (size_t)h * w, pos = 0;
	for (size_t k = 0; k < n; k++) {
		if (counts[k] > total - pos)
			return ml_err_set(err, ML_EINVAL, "RLE run %zu goes past the %zu pixels of the mask", k, total);
		for (uint32_t r = 0; r < counts[k]; r++, pos++)
			mask[(pos % h) * w + pos / h] = (uint8_t)(k & 1);
	}
	if (pos != total)
		return ml_err_set(err, ML_EINVAL, "RLE runs cover %zu of %zu pixels", pos, total);
	return 0;
}

int assist_coco_rle_to_string(const uint32_t *counts, size_t n, struct ml_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		/* From the third count on, the difference to the count two before is stored. */
		int64_t x = counts[i];
		if (i > 2)
			x -= counts[i - 2];
		bool more = true;
		while (more) {
			int c = (int)(x & 0x1f);
			x >>= 5; /* arithmetic shift: negative deltas end at -1 */
			more = (c & 0x10) ? x != -1 : x != 0;
			if (more)
				c |= 0x20;
			if (ml_buf_putc(out, (char)(c + 48)) < 0)
				return -1;
		}
	}
	return 0;
}

int assist_coco_rle_from_string(const char *s, size_t len, uint32_t **counts, size_t *n, struct ml_err *err)
{
	*counts = NULL;
	*n = 0;
	uint32_t *c = ml_malloc((len + 1) * sizeof(uint32_t));
	if (!c)
		return ml_err_set(err, ML_ENOMEM, "out of memory decoding a mask");
	size_t m = 0, p = 0;
	while (p < len) {
		int64_t x = 0;
		int k = 0;
		bool more = true;
		while (more) {
			if (p >= len || k > 6) {
				ml_free(c);
				return ml_err_set(err, ML_EINVAL, "RLE string truncated at character %zu", p);
			}
			int ch = (unsigned char)s[p] - 48;
			if (ch < 0 || ch > 63) {
				ml_free(c);
				return ml_err_set(err, ML_EINVAL, "invalid RLE character at %zu", p);
			}
			x |= (int64_t)(ch & 0x1f) << (5 * k);
			more = ch & 0x20;
			p++;
			k++;
			if (!more && (ch & 0x10))
				x |= (int64_t)-1 * ((int64_t)1 << (5 * k)); /* sign-extend */
		}
		if (m > 2)
			x += c[m - 2];
		if (x < 0 || x > UINT32_MAX) {
			ml_free(c);
			return ml_err_set(err, ML_EINVAL, "RLE run %zu out of range", m);
		}
		c[m++] = (uint32_t)x;
	}
	*counts = c;
	*n = m;
	return 0;
}
