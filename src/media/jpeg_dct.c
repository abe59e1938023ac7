/* jpeg_dct.c: our own decoder for sequential DCT JPEG with Huffman coding (processes 1, 2 and 4: baseline
 * and extended) at any sample precision, used for 12-bit lossy frames that Debian 12's libjpeg-turbo (8-bit
 * build) cannot decode. Float IDCT, box upsampling of subsampled components. Progressive and arithmetic
 * coding are refused. */
#include "media/media.h"
#include "media/media_int.h"
#include "media/jpeg_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const uint8_t zigzag[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
				   12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
				   35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
				   58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

struct dct_comp {
	uint8_t id, h, v, tq, td, ta;
	int32_t pred;
	uint32_t bw, bh;      /* blocks across and down in the padded plane */
	float *plane;         /* bw*8 x bh*8 samples */
	bool seen;
};

struct dct {
	const uint8_t *p;
	size_t n;
	uint16_t q[4][64]; /* natural order */
	bool qdef[4];
	struct jpeg_huff dc[4], ac[4];
	struct dct_comp c[4];
	int nc, precision, hmax, vmax;
	uint32_t w, h, mcux, mcuy;
	unsigned restart;
	float cosine[8][8];
};

static void idct_block(const struct dct *j, const float in[64], float *out, size_t stride)
{
	float tmp[64];
	for (int y = 0; y < 8; y++) /* rows: along u */
		for (int x = 0; x < 8; x++) {
			float s = 0;
			for (int u = 0; u < 8; u++)
				s += j->cosine[x][u] * in[y * 8 + u];
			tmp[y * 8 + x] = s;
		}
	for (int x = 0; x < 8; x++) /* columns: along v */
		for (int y = 0; y < 8; y++) {
			float s = 0;
			for (int v = 0; v < 8; v++)
				s += j->cosine[y][v] * tmp[v * 8 + x];
			out[(size_t)y * stride + x] = s;
		}
}

static inline int32_t extend(uint32_t v, int t)
{
	return t == 0 ? 0 : (v < (1u << (t - 1)) ? (int32_t)v - (int32_t)((1u << t) - 1) : (int32_t)v);
}

static int decode_block(struct dct *j, struct jpeg_bits *b, struct dct_comp *c, uint32_t bx, uint32_t by)
{
	float coef[64] = {0};
	const uint16_t *q = j->q[c->tq];
	int t = jpeg_huff_decode(b, &j->dc[c->td]);
	if (t < 0 || t > 16)
		return -1;
	c->pred += extend(jpeg_bits_get(b, t), t);
	coef[0] = (float)c->pred * q[0];
	for (int k = 1; k < 64;) {
		int rs = jpeg_huff_decode(b, &j->ac[c->ta]);
		if (rs < 0)
			return -1;
		int r = rs >> 4, s = rs & 15;
		if (s == 0) {
			if (r != 15)
				break;
			k += 16;
			continue;
		}
		k += r;
		if (k > 63)
			return -1;
		coef[zigzag[k]] = (float)extend(jpeg_bits_get(b, s), s) * q[zigzag[k]];
		k++;
	}
	if (bx >= c->bw || by >= c->bh)
		return 0; /* padding block outside the plane of a non-interleaved scan */
	size_t stride = (size_t)c->bw * 8;
	idct_block(j, coef, c->plane + (size_t)by * 8 * stride + (size_t)bx * 8, stride);
	return 0;
}

static int decode_scan(struct dct *j, size_t *pos, int *ci, int ns, struct ml_err *err)
{
	struct jpeg_bits b = {.p = j->p, .n = j->n, .pos = *pos};
	uint32_t mx, my;
	if (ns == 1) {
		struct dct_comp *c = &j->c[ci[0]];
		uint32_t cw = (j->w * c->h + j->hmax - 1) / j->hmax, ch = (j->h * c->v + j->vmax - 1) / j->vmax;
		mx = (cw + 7) / 8;
		my = (ch + 7) / 8;
	} else {
		mx = j->mcux;
		my = j->mcuy;
	}
	for (int k = 0; k < ns; k++)
		j->c[ci[k]].pred = 0;
	uint64_t mcu = 0;
	for (uint32_t y = 0; y < my; y++) {
		for (uint32_t x = 0; x < mx; x++, mcu++) {
			if (j->restart && mcu > 0 && mcu % j->restart == 0) {
				if (jpeg_bits_restart(&b) < 0)
					return ml_err_set(err, ML_EINVAL, "missing JPEG restart marker near byte %zu", b.pos);
				for (int k = 0; k < ns; k++)
					j->c[ci[k]].pred = 0;
			}
			for (int k = 0; k < ns; k++) {
				struct dct_comp *c = &j->c[ci[k]];
				int bh = ns == 1 ? 1 : c->v, bw = ns == 1 ? 1 : c->h;
				for (int v = 0; v < bh; v++)
					for (int h = 0; h < bw; h++)
						if (decode_block(j, &b, c, x * (uint32_t)bw + (uint32_t)h,
								 y * (uint32_t)bh + (uint32_t)v) < 0)
							return ml_err_set(err, ML_EINVAL,
									  "corrupt JPEG entropy data near byte %zu", b.pos);
			}
		}
	}
	size_t p = b.pos;
	while (p + 1 < j->n && !(j->p[p] == 0xFF && j->p[p + 1] != 0x00 && j->p[p + 1] != 0xFF &&
				 !(j->p[p + 1] >= 0xD0 && j->p[p + 1] <= 0xD7)))
		p++;
	*pos = p;
	return 0;
}

int media_decode_jpeg_dct(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
			  struct ml_err *err)
{
	struct dct *j = ml_calloc(1, sizeof(*j));
	if (!j)
		return ml_err_set(err, ML_ENOMEM, "out of memory decoding JPEG");
	int rc = -1;
	j->p = p;
	j->n = n;
	for (int x = 0; x < 8; x++)
		for (int u = 0; u < 8; u++)
			j->cosine[x][u] = (float)((u == 0 ? M_SQRT1_2 : 1.0) / 2 * cos((2 * x + 1) * u * M_PI / 16));
	size_t pos = 2;
	int scans = 0;
	bool sof = false;
	while (pos + 2 <= n) {
		if (p[pos] != 0xFF) {
			ml_err_set(err, ML_EINVAL, "expected a JPEG marker at byte %zu", pos);
			goto done;
		}
		uint8_t m = p[pos + 1];
		if (m == 0xFF) {
			pos++;
			continue;
		}
		if (m == 0xD9)
			break;
		if ((m >= 0xD0 && m <= 0xD8) || m == 0x01) {
			pos += 2;
			continue;
		}
		if (pos + 4 > n || media_rd16be(p + pos + 2) < 2 || media_rd16be(p + pos + 2) > n - pos - 2) {
			ml_err_set(err, ML_EINVAL, "JPEG segment truncated at byte %zu", pos);
			goto done;
		}
		size_t len = media_rd16be(p + pos + 2), sl = len - 2;
		const uint8_t *s = p + pos + 4;
		if (m == 0xC0 || m == 0xC1) {
			if (sof || sl < 6)
				goto bad;
			j->precision = s[0];
			j->h = media_rd16be(s + 1);
			j->w = media_rd16be(s + 3);
			j->nc = s[5];
			if ((j->precision != 8 && j->precision != 12) || j->nc < 1 || j->nc > 4 || j->w == 0 || j->h == 0 ||
			    sl < 6 + 3 * (size_t)j->nc)
				goto bad;
			if (j->w != d->columns || j->h != d->rows || j->nc != d->samples_per_pixel) {
				ml_err_set(err, ML_EINVAL, "JPEG is %ux%u with %d components, the dataset says %ux%u with %u",
					   (unsigned)j->w, (unsigned)j->h, j->nc, (unsigned)d->columns, (unsigned)d->rows,
					   (unsigned)d->samples_per_pixel);
				goto done;
			}
			j->hmax = j->vmax = 1;
			for (int c = 0; c < j->nc; c++) {
				struct dct_comp *cp = &j->c[c];
				cp->id = s[6 + 3 * c];
				cp->h = s[7 + 3 * c] >> 4;
				cp->v = s[7 + 3 * c] & 15;
				cp->tq = s[8 + 3 * c];
				if (cp->h < 1 || cp->h > 4 || cp->v < 1 || cp->v > 4 || cp->tq > 3)
					goto bad;
				j->hmax = cp->h > j->hmax ? cp->h : j->hmax;
				j->vmax = cp->v > j->vmax ? cp->v : j->vmax;
			}
			j->mcux = (j->w + 8u * j->hmax - 1) / (8u * j->hmax);
			j->mcuy = (j->h + 8u * j->vmax - 1) / (8u * j->vmax);
			for (int c = 0; c < j->nc; c++) {
				struct dct_comp *cp = &j->c[c];
				cp->bw = j->mcux * cp->h;
				cp->bh = j->mcuy * cp->v;
				cp->plane = ml_calloc((size_t)cp->bw * cp->bh * 64, sizeof(float));
				if (!cp->plane) {
					ml_err_set(err, ML_ENOMEM, "out of memory decoding JPEG");
					goto done;
				}
			}
			sof = true;
		} else if (m >= 0xC2 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			ml_err_set(err, ML_EUNSUPPORTED, "JPEG frame type SOF%d is not supported for %d-bit data", m - 0xC0,
				   j->precision ? j->precision : 12);
			goto done;
		} else if (m == 0xDB) {
			size_t q = 0;
			while (q < sl) {
				int pq = s[q] >> 4, tq = s[q] & 15;
				size_t need = 1 + 64 * (pq ? 2 : 1);
				if (tq > 3 || pq > 1 || sl - q < need)
					goto bad;
				for (int k = 0; k < 64; k++)
					j->q[tq][zigzag[k]] = pq ? media_rd16be(s + q + 1 + 2 * k) : s[q + 1 + k];
				j->qdef[tq] = true;
				q += need;
			}
		} else if (m == 0xC4) {
			size_t q = 0;
			while (q < sl) {
				if (sl - q < 17)
					goto bad;
				int tc = s[q] >> 4, th = s[q] & 15;
				size_t total = 0;
				for (int i = 0; i < 16; i++)
					total += s[q + 1 + i];
				if (tc > 1 || th > 3 || total > 256 || sl - q - 17 < total)
					goto bad;
				if (jpeg_build_huff(tc ? &j->ac[th] : &j->dc[th], s + q + 1, s + q + 17, total) < 0)
					goto bad;
				q += 17 + total;
			}
		} else if (m == 0xDD) {
			if (sl < 2)
				goto bad;
			j->restart = media_rd16be(s);
		} else if (m == 0xDA) {
			if (!sof || sl < 1)
				goto bad;
			int ns = s[0], ci[4];
			if (ns < 1 || ns > j->nc || sl < 1 + 2 * (size_t)ns + 3)
				goto bad;
			for (int c = 0; c < ns; c++) {
				int k;
				for (k = 0; k < j->nc; k++)
					if (j->c[k].id == s[1 + 2 * c])
						break;
				if (k == j->nc)
					goto bad;
				j->c[k].td = s[2 + 2 * c] >> 4;
				j->c[k].ta = s[2 + 2 * c] & 15;
				if (j->c[k].td > 3 || j->c[k].ta > 3 || !j->dc[j->c[k].td].defined ||
				    !j->ac[j->c[k].ta].defined || !j->qdef[j->c[k].tq])
					goto bad;
				j->c[k].seen = true;
				ci[c] = k;
			}
			/* Ss/Se/Ah/Al other than 0/63/0 are invalid in a sequential scan; some encoders write Se = 0
			 * anyway. Like libjpeg we decode the scan as a full sequential one. */
			pos += 2 + len;
			if (decode_scan(j, &pos, ci, ns, err) < 0)
				goto done;
			scans++;
			continue;
		}
		pos += 2 + len;
	}
	if (!sof || scans == 0) {
		ml_err_set(err, ML_EINVAL, "JPEG without a frame or scan");
		goto done;
	}
	bool sgn = d->pixel_representation == 1 && d->samples_per_pixel == 1;
	unsigned ba = j->precision > 8 ? 16 : 8;
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, media_dtype_for(ba, sgn), err) < 0)
		goto done;
	float shift = (float)(1 << (j->precision - 1)), maxv = (float)((1 << j->precision) - 1);
	for (int c = 0; c < j->nc; c++) {
		struct dct_comp *cp = &j->c[c];
		size_t stride = (size_t)cp->bw * 8;
		for (uint32_t y = 0; y < j->h; y++)
			for (uint32_t x = 0; x < j->w; x++) {
				/* Subsampled components are replicated over their hmax/h x vmax/v boxes. */
				uint32_t sx = x * cp->h / j->hmax, sy = y * cp->v / j->vmax;
				float v = cp->plane[(size_t)sy * stride + sx] + shift;
				v = v < 0 ? 0 : v > maxv ? maxv : v;
				uint32_t iv = (uint32_t)lrintf(v);
				size_t o = ((size_t)y * j->w + x) * j->nc + c;
				if (ba == 8)
					((uint8_t *)out->data)[o] = (uint8_t)iv;
				else
					((uint16_t *)out->data)[o] = (uint16_t)iv;
			}
	}
	out->photometric = d->photometric;
	out->bits_stored = (uint16_t)j->precision;
	if (sgn)
		media_frame_fix_bits(out, ba, (unsigned)j->precision, (unsigned)j->precision - 1, true);
	if (j->nc == 3 && d->photometric != MEDIA_PI_RGB) {
		out->photometric = MEDIA_PI_YBR_FULL;
		if (media_frame_to_rgb(out, NULL, err) < 0)
			goto done;
	}
	rc = 0;
	goto done;
bad:
	ml_err_set(err, ML_EINVAL, "invalid JPEG segment FF%02X at byte %zu", (unsigned)p[pos + 1], pos);
done:
	for (int c = 0; c < 4; c++)
		ml_free(j->c[c].plane);
	ml_free(j);
	return rc;
}
