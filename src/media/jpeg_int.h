/* jpeg_int.h: Huffman tables and the entropy-coded bit reader shared by our own JPEG decoders
 * (jpeg_lossless.c for process 14, jpeg_dct.c for 12-bit sequential DCT). */
#ifndef ML_MEDIA_JPEG_INT_H
#define ML_MEDIA_JPEG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct jpeg_huff {
	bool defined;
	int32_t maxcode[18]; /* largest code of each length, -1 if none */
	int32_t valptr[17];  /* index into vals of the first code of each length */
	int32_t mincode[17];
	uint8_t vals[256];
	uint8_t look_len[256]; /* fast path: codes of up to 8 bits; 0 = not in the table */
	uint8_t look_val[256];
};

struct jpeg_bits {
	const uint8_t *p;
	size_t n, pos;
	uint64_t acc;
	int cnt;
	bool marker; /* hit a marker: feed zeros */
};

static inline int jpeg_build_huff(struct jpeg_huff *h, const uint8_t counts[16], const uint8_t *vals, size_t nvals)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->vals, vals, nvals);
	int32_t code = 0, k = 0;
	for (int len = 1; len <= 16; len++) {
		h->valptr[len] = k;
		h->mincode[len] = code;
		code += counts[len - 1];
		k += counts[len - 1];
		h->maxcode[len] = counts[len - 1] ? code - 1 : -1;
		if (code > (1 << len))
			return -1; /* over-subscribed code */
		code <<= 1;
	}
	h->maxcode[17] = 0x7fffffff;
	/* Lookup table for the first 8 bits. */
	k = 0;
	code = 0;
	for (int len = 1; len <= 8; len++) {
		for (int i = 0; i < counts[len - 1]; i++, k++) {
			int32_t c = h->mincode[len] + i;
			int shift = 8 - len;
			for (int32_t f = c << shift; f < ((c + 1) << shift); f++) {
				h->look_len[f] = (uint8_t)len;
				h->look_val[f] = h->vals[k];
			}
		}
	}
	h->defined = true;
	return 0;
}

static inline void jpeg_bits_fill(struct jpeg_bits *b)
{
	while (b->cnt <= 56) {
		uint8_t c = 0;
		if (!b->marker && b->pos < b->n) {
			c = b->p[b->pos];
			if (c == 0xFF) {
				uint8_t nx = b->pos + 1 < b->n ? b->p[b->pos + 1] : 0xD9;
				if (nx == 0x00) {
					b->pos += 2;
				} else if (nx == 0xFF) {
					b->pos++; /* fill byte */
					continue;
				} else {
					b->marker = true;
					c = 0;
				}
			} else {
				b->pos++;
			}
		}
		b->acc |= (uint64_t)c << (56 - b->cnt);
		b->cnt += 8;
	}
}

static inline uint32_t jpeg_bits_get(struct jpeg_bits *b, int k)
{
	if (k == 0)
		return 0;
	if (b->cnt < k)
		jpeg_bits_fill(b);
	uint32_t v = (uint32_t)(b->acc >> (64 - k));
	b->acc <<= k;
	b->cnt -= k;
	return v;
}

static inline int jpeg_huff_decode(struct jpeg_bits *b, const struct jpeg_huff *h)
{
	if (b->cnt < 16)
		jpeg_bits_fill(b);
	unsigned peek = (unsigned)(b->acc >> 56);
	if (h->look_len[peek]) {
		int l = h->look_len[peek];
		b->acc <<= l;
		b->cnt -= l;
		return h->look_val[peek];
	}
	int32_t code = 0;
	for (int len = 1; len <= 16; len++) {
		code = (code << 1) | (int32_t)jpeg_bits_get(b, 1);
		if (code <= h->maxcode[len] && h->maxcode[len] >= 0)
			return h->vals[h->valptr[len] + code - h->mincode[len]];
	}
	return -1;
}

/* Skips to the RSTn marker expected after a restart interval and resets the bit reader. */
static inline int jpeg_bits_restart(struct jpeg_bits *b)
{
	b->acc = 0;
	b->cnt = 0;
	b->marker = false;
	while (b->pos + 1 < b->n) {
		if (b->p[b->pos] == 0xFF && b->p[b->pos + 1] >= 0xD0 && b->p[b->pos + 1] <= 0xD7) {
			b->pos += 2;
			return 0;
		}
		if (b->p[b->pos] == 0xFF && b->p[b->pos + 1] != 0x00 && b->p[b->pos + 1] != 0xFF)
			return -1;
		b->pos++;
	}
	return -1;
}

#endif
