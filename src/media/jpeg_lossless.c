/* jpeg_lossless.c: our own decoder for lossless JPEG (ITU T.81 process 14, SOF3): Huffman-coded
 * differences from predictors 1-7, point transform, restart intervals, 2-16 bits, interleaved or one scan
 * per component. libjpeg-turbo 2.1 (Debian 12) cannot decode these streams. */
#include "media/media.h"
#include "media/media_int.h"
#include "media/jpeg_int.h"

#include <string.h>

struct comp {
	uint8_t id;
	uint8_t table;
	bool seen;
};

struct ljpeg {
	const uint8_t *p;
	size_t n;
	struct jpeg_huff huff[4];
	struct comp comp[4];
	int ncomp, precision;
	uint32_t width, height;
	unsigned restart;
	bool have_sof;
};

static int decode_scan(struct ljpeg *j, size_t *pos, const int *cidx, int ns, int psv, int pt, uint16_t *out,
		       int outc, struct ml_err *err)
{
	struct jpeg_bits b = {.p = j->p, .n = j->n, .pos = *pos};
	uint32_t mask = (j->precision >= 16) ? 0xFFFFu : ((1u << j->precision) - 1);
	int32_t initial = 1 << (j->precision - pt - 1);
	uint64_t mcu = 0, since_restart = 0;
	uint64_t restart_start = 0; /* MCU index where the current interval began */
	for (uint32_t y = 0; y < j->height; y++) {
		for (uint32_t x = 0; x < j->width; x++, mcu++) {
			if (j->restart && since_restart == j->restart) {
				if (jpeg_bits_restart(&b) < 0)
					return ml_err_set(err, ML_EINVAL, "missing JPEG restart marker near byte %zu", b.pos);
				since_restart = 0;
				restart_start = mcu;
			}
			bool first_in_interval = mcu == restart_start;
			/* the first line of the image or of a restart interval predicts from the left only */
			bool restart_row = mcu - restart_start < j->width;
			for (int c = 0; c < ns; c++) {
				const struct jpeg_huff *h = &j->huff[j->comp[cidx[c]].table];
				int t = jpeg_huff_decode(&b, h);
				if (t < 0 || t > 16)
					return ml_err_set(err, ML_EINVAL, "bad Huffman code in lossless JPEG near byte %zu",
							  b.pos);
				int32_t diff;
				if (t == 0)
					diff = 0;
				else if (t == 16)
					diff = 32768;
				else {
					uint32_t v = jpeg_bits_get(&b, t);
					diff = (int32_t)v;
					if (v < (1u << (t - 1)))
						diff = (int32_t)v - (int32_t)((1u << t) - 1);
				}
				size_t o = ((size_t)y * j->width + x) * outc + cidx[c];
				int32_t pred;
				if (first_in_interval) {
					pred = initial;
				} else if (restart_row) {
					pred = out[o - outc]; /* Ra */
				} else if (x == 0) {
					pred = out[o - (size_t)j->width * outc]; /* Rb */
				} else {
					int32_t ra = out[o - outc], rb = out[o - (size_t)j->width * outc],
						rc = out[o - (size_t)j->width * outc - outc];
					switch (psv) {
					case 1: pred = ra; break;
					case 2: pred = rb; break;
					case 3: pred = rc; break;
					case 4: pred = ra + rb - rc; break;
					case 5: pred = ra + ((rb - rc) >> 1); break;
					case 6: pred = rb + ((ra - rc) >> 1); break;
					default: pred = (ra + rb) >> 1; break;
					}
				}
				out[o] = (uint16_t)(((uint32_t)(pred + diff)) & 0xFFFFu & (mask >> pt));
			}
			since_restart++;
		}
	}
	/* Continue after the entropy-coded data: find the next marker. */
	size_t p = b.pos;
	while (p + 1 < j->n && !(j->p[p] == 0xFF && j->p[p + 1] != 0x00 && j->p[p + 1] != 0xFF &&
				 !(j->p[p + 1] >= 0xD0 && j->p[p + 1] <= 0xD7)))
		p++;
	*pos = p;
	return 0;
}

int media_decode_jpeg_lossless(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
			       struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	struct ljpeg j;
	memset(&j, 0, sizeof(j));
	j.p = p;
	j.n = n;
	if (n < 4 || p[0] != 0xFF || p[1] != 0xD8)
		return ml_err_set(err, ML_EINVAL, "not a JPEG stream (no SOI marker)");
	uint16_t *buf = NULL;
	int point_transform = 0;
	size_t pos = 2;
	int scans = 0;
	while (pos + 2 <= n) {
		if (p[pos] != 0xFF)
			goto bad_marker;
		uint8_t m = p[pos + 1];
		if (m == 0xFF) {
			pos++;
			continue;
		}
		if (m == 0xD9)
			break;
		if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) {
			pos += 2;
			continue;
		}
		if (pos + 4 > n)
			goto truncated;
		size_t len = media_rd16be(p + pos + 2);
		if (len < 2 || len > n - pos - 2)
			goto truncated;
		const uint8_t *s = p + pos + 4;
		size_t sl = len - 2;
		if (m == 0xC3) {
			if (j.have_sof || sl < 6)
				goto bad_segment;
			j.precision = s[0];
			j.height = media_rd16be(s + 1);
			j.width = media_rd16be(s + 3);
			j.ncomp = s[5];
			if (j.precision < 2 || j.precision > 16 || j.ncomp < 1 || j.ncomp > 4 || sl < 6 + 3 * (size_t)j.ncomp)
				goto bad_segment;
			for (int c = 0; c < j.ncomp; c++) {
				j.comp[c].id = s[6 + 3 * c];
				if (s[7 + 3 * c] != 0x11) {
					ml_free(buf);
					return ml_err_set(err, ML_EUNSUPPORTED, "lossless JPEG with subsampled component %d",
							  c);
				}
			}
			if (j.width != d->columns || j.height != d->rows || j.ncomp != d->samples_per_pixel) {
				ml_free(buf);
				return ml_err_set(err, ML_EINVAL,
						  "JPEG is %ux%u with %d components, the dataset says %ux%u with %u",
						  (unsigned)j.width, (unsigned)j.height, j.ncomp, (unsigned)d->columns,
						  (unsigned)d->rows, (unsigned)d->samples_per_pixel);
			}
			buf = ml_calloc((size_t)j.width * j.height * j.ncomp, sizeof(uint16_t));
			if (!buf)
				return ml_err_set(err, ML_ENOMEM, "out of memory decoding lossless JPEG");
			j.have_sof = true;
		} else if ((m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			ml_free(buf);
			return ml_err_set(err, ML_EUNSUPPORTED, "JPEG frame type SOF%d is not lossless", m - 0xC0);
		} else if (m == 0xC4) {
			size_t q = 0;
			while (q < sl) {
				if (sl - q < 17)
					goto bad_segment;
				int tc = s[q] >> 4, th = s[q] & 15;
				size_t total = 0;
				for (int i = 0; i < 16; i++)
					total += s[q + 1 + i];
				if (tc != 0 || th > 3 || total > 256 || sl - q - 17 < total)
					goto bad_segment;
				if (jpeg_build_huff(&j.huff[th], s + q + 1, s + q + 17, total) < 0)
					goto bad_segment;
				q += 17 + total;
			}
		} else if (m == 0xDD) {
			if (sl < 2)
				goto bad_segment;
			j.restart = media_rd16be(s);
		} else if (m == 0xDA) {
			if (!j.have_sof || sl < 1)
				goto bad_segment;
			int ns = s[0];
			if (ns < 1 || ns > j.ncomp || sl < 1 + 2 * (size_t)ns + 3)
				goto bad_segment;
			int cidx[4];
			for (int c = 0; c < ns; c++) {
				int id = s[1 + 2 * c], k;
				for (k = 0; k < j.ncomp; k++)
					if (j.comp[k].id == id)
						break;
				if (k == j.ncomp || j.comp[k].seen)
					goto bad_segment;
				j.comp[k].seen = true;
				j.comp[k].table = s[2 + 2 * c] >> 4;
				if (j.comp[k].table > 3 || !j.huff[j.comp[k].table].defined)
					goto bad_segment;
				cidx[c] = k;
			}
			int psv = s[1 + 2 * ns];
			point_transform = s[3 + 2 * ns] & 15;
			if (psv < 1 || psv > 7 || point_transform >= j.precision)
				goto bad_segment;
			pos += 2 + len;
			if (decode_scan(&j, &pos, cidx, ns, psv, point_transform, buf, j.ncomp, err) < 0) {
				ml_free(buf);
				return -1;
			}
			scans++;
			continue;
		}
		pos += 2 + len;
	}
	if (!j.have_sof || scans == 0) {
		ml_free(buf);
		return ml_err_set(err, ML_EINVAL, "lossless JPEG without a frame or scan");
	}
	for (int c = 0; c < j.ncomp; c++)
		if (!j.comp[c].seen) {
			ml_free(buf);
			return ml_err_set(err, ML_EINVAL, "lossless JPEG component %d has no scan", c);
		}
	bool sgn = d->pixel_representation == 1;
	unsigned ba = d->bits_allocated < 8 ? 8 : d->bits_allocated;
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, media_dtype_for(ba, sgn), err) < 0) {
		ml_free(buf);
		return -1;
	}
	size_t total = (size_t)j.width * j.height * j.ncomp;
	for (size_t i = 0; i < total; i++) {
		uint32_t v = (uint32_t)buf[i] << point_transform;
		switch (out->dtype) {
		case MEDIA_U8: case MEDIA_I8: ((uint8_t *)out->data)[i] = (uint8_t)v; break;
		case MEDIA_U16: case MEDIA_I16: ((uint16_t *)out->data)[i] = (uint16_t)v; break;
		default: ((uint32_t *)out->data)[i] = v; break;
		}
	}
	ml_free(buf);
	out->photometric = d->photometric;
	unsigned bs = d->bits_stored;
	if (bs > ba)
		bs = ba;
	media_frame_fix_bits(out, ba, bs, bs - 1, sgn);
	return 0;
bad_marker:
	ml_free(buf);
	return ml_err_set(err, ML_EINVAL, "expected a JPEG marker at byte %zu", pos);
truncated:
	ml_free(buf);
	return ml_err_set(err, ML_EINVAL, "JPEG segment truncated at byte %zu", pos);
bad_segment:
	ml_free(buf);
	return ml_err_set(err, ML_EINVAL, "invalid JPEG segment FF%02X at byte %zu", (unsigned)p[pos + 1], pos);
}
