/* rle.c: RLE Lossless (DICOM PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment
 * per byte plane, most significant plane of each sample first. */
#include "media/media.h"
#include "media/media_int.h"

#include <string.h>

/* Decodes one PackBits segment into out[0..n) with stride `step`; returns bytes produced or -1. */
static int64_t unpack_segment(const uint8_t *p, size_t len, uint8_t *out, size_t n, size_t step)
{
	size_t pos = 0, o = 0;
	while (pos < len && o < n) {
		int8_t h = (int8_t)p[pos++];
		if (h >= 0) {
			size_t cnt = (size_t)h + 1;
			if (cnt > len - pos)
				return -1;
			for (size_t i = 0; i < cnt && o < n; i++)
				out[(o++) * step] = p[pos + i];
			pos += cnt;
		} else if (h != -128) {
			size_t cnt = (size_t)(1 - h);
			if (pos >= len)
				return -1;
			uint8_t v = p[pos++];
			for (size_t i = 0; i < cnt && o < n; i++)
				out[(o++) * step] = v;
		}
	}
	return (int64_t)o;
}

int media_decode_rle(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
		     struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	if (d->bits_allocated < 8)
		return ml_err_set(err, ML_EUNSUPPORTED, "RLE with %u bits allocated", (unsigned)d->bits_allocated);
	if (n < 64)
		return ml_err_set(err, ML_EINVAL, "RLE header truncated: %zu bytes", n);
	unsigned bytes = d->bits_allocated / 8;
	uint32_t nseg = media_rd32le(p);
	uint32_t want = (uint32_t)bytes * d->samples_per_pixel;
	if (nseg != want || nseg > 15)
		return ml_err_set(err, ML_EINVAL, "RLE has %u segments, %u expected", (unsigned)nseg, (unsigned)want);
	bool sgn = d->pixel_representation == 1;
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, media_dtype_for(d->bits_allocated, sgn),
			      err) < 0)
		return -1;
	out->photometric = d->photometric;
	size_t npx = (size_t)d->rows * d->columns;
	size_t step = (size_t)bytes * d->samples_per_pixel;
	uint8_t *o = out->data;
	for (uint32_t s = 0; s < nseg; s++) {
		uint32_t start = media_rd32le(p + 4 + 4 * s);
		uint32_t end = s + 1 < nseg ? media_rd32le(p + 8 + 4 * s) : (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
		if (start < 64 || start > n || end < start || end > n)
			return ml_err_set(err, ML_EINVAL, "RLE segment %u offset %u out of range (%zu bytes)", (unsigned)s,
					  (unsigned)start, n);
		unsigned sample = s / bytes, plane = s % bytes; /* plane 0 = most significant byte */
		size_t base = (size_t)sample * bytes + (bytes - 1 - plane);
		int64_t got = unpack_segment(p + start, end - start, o + base, npx, step);
		if (got < 0)
			return ml_err_set(err, ML_EINVAL, "RLE segment %u is corrupt (run past byte %u)", (unsigned)s,
					  (unsigned)end);
		if ((size_t)got < npx)
			return ml_err_set(err, ML_EINVAL, "RLE segment %u decodes to %lld of %zu bytes", (unsigned)s,
					  (long long)got, npx);
	}
	media_frame_fix_bits(out, d->bits_allocated, d->bits_stored, d->high_bit, sgn);
	return 0;
}

/* PackBits of one byte plane: literal runs of up to 128 bytes, repeat runs of 2..128. */
static int pack_plane(const uint8_t *src, size_t n, size_t step, struct ml_buf *out)
{
	size_t i = 0, start = out->len;
	while (i < n) {
		size_t run = 1;
		while (i + run < n && run < 128 && src[(i + run) * step] == src[i * step])
			run++;
		if (run >= 2) {
			char h[2] = {(char)(int8_t)(1 - (int)run), (char)src[i * step]};
			if (ml_buf_append(out, h, 2) < 0)
				return -1;
			i += run;
			continue;
		}
		size_t lit = 1;
		while (i + lit < n && lit < 128 &&
		       !(i + lit + 1 < n && src[(i + lit) * step] == src[(i + lit + 1) * step]))
			lit++;
		if (ml_buf_putc(out, (char)(lit - 1)) < 0)
			return -1;
		for (size_t k = 0; k < lit; k++)
			if (ml_buf_putc(out, (char)src[(i + k) * step]) < 0)
				return -1;
		i += lit;
	}
	if ((out->len - start) % 2 && ml_buf_putc(out, (char)0x80) < 0) /* -128 is a no-op: pads to even length */
		return -1;
	return 0;
}

int media_encode_rle(const struct media_image_desc *d, const uint8_t *frame, size_t len, struct ml_buf *out,
		     struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	if (d->bits_allocated < 8)
		return ml_err_set(err, ML_EUNSUPPORTED, "RLE with %u bits allocated", (unsigned)d->bits_allocated);
	unsigned bytes = d->bits_allocated / 8;
	size_t npx = (size_t)d->rows * d->columns;
	size_t need = npx * bytes * d->samples_per_pixel;
	if (len < need)
		return ml_err_set(err, ML_EINVAL, "frame of %zu bytes, %zu expected", len, need);
	uint32_t nseg = bytes * d->samples_per_pixel;
	size_t hdr = out->len;
	uint8_t h[64] = {0};
	if (ml_buf_append(out, h, 64) < 0)
		goto oom;
	h[0] = (uint8_t)nseg;
	for (uint32_t s = 0; s < nseg; s++) {
		size_t off = out->len - hdr;
		h[4 + 4 * s] = (uint8_t)off;
		h[5 + 4 * s] = (uint8_t)(off >> 8);
		h[6 + 4 * s] = (uint8_t)(off >> 16);
		h[7 + 4 * s] = (uint8_t)(off >> 24);
		unsigned sample = s / bytes, plane = s % bytes;
		/* Planar configuration 0 input: sample values interleaved. */
		size_t base = (size_t)sample * bytes + (bytes - 1 - plane);
		size_t step = (size_t)bytes * d->samples_per_pixel;
		if (d->planar_configuration == 1) {
			base = (size_t)sample * npx * bytes + (bytes - 1 - plane);
			step = bytes;
		}
		if (pack_plane(frame + base, npx, step, out) < 0)
			goto oom;
	}
	memcpy(out->data + hdr, h, 64);
	return 0;
oom:
	return ml_err_set(err, ML_ENOMEM, "out of memory encoding RLE");
}
