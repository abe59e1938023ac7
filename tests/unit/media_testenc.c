/* media_testenc.c: encoders for generated test images (see media_testenc.h). */
#include "media_testenc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <charls/charls.h>
#include <jpeglib.h>
#include <openjpeg.h>

/* ---- lossless JPEG writer ---- */

struct bw {
	struct ml_buf *out;
	uint32_t acc;
	int n;
};

static void bw_put(struct bw *b, uint32_t v, int k)
{
	for (int i = k - 1; i >= 0; i--) {
		b->acc = (b->acc << 1) | ((v >> i) & 1);
		if (++b->n == 8) {
			char c = (char)b->acc;
			if (ml_buf_putc(b->out, c) < 0)
				return;
			if ((uint8_t)c == 0xFF && ml_buf_putc(b->out, 0) < 0)
				return;
			b->acc = 0;
			b->n = 0;
		}
	}
}

static void bw_flush(struct bw *b)
{
	while (b->n)
		bw_put(b, 1, 1);
}

static void put16(struct ml_buf *o, unsigned v)
{
	char b[2] = {(char)(v >> 8), (char)v};
	if (ml_buf_append(o, b, 2) < 0)
		return;
}

int testenc_jpeg_lossless(const uint16_t *px, int w, int h, int ncomp, int precision, int psv, int pt, int restart,
			  struct ml_buf *o)
{
	put16(o, 0xFFD8);
	put16(o, 0xFFC3);
	put16(o, 8 + 3 * ncomp);
	if (ml_buf_putc(o, (char)precision) < 0)
		return -1;
	put16(o, (unsigned)h);
	put16(o, (unsigned)w);
	if (ml_buf_putc(o, (char)ncomp) < 0)
		return -1;
	for (int c = 0; c < ncomp; c++) {
		char cc[3] = {(char)(c + 1), 0x11, 0};
		if (ml_buf_append(o, cc, 3) < 0)
			return -1;
	}
	/* One table: the 17 categories, all with 5-bit codes 0..16. */
	put16(o, 0xFFC4);
	put16(o, 2 + 1 + 16 + 17);
	if (ml_buf_putc(o, 0) < 0)
		return -1;
	for (int l = 1; l <= 16; l++)
		if (ml_buf_putc(o, l == 5 ? 17 : 0) < 0)
			return -1;
	for (int s = 0; s < 17; s++)
		if (ml_buf_putc(o, (char)s) < 0)
			return -1;
	if (restart) {
		put16(o, 0xFFDD);
		put16(o, 4);
		put16(o, (unsigned)restart);
	}
	put16(o, 0xFFDA);
	put16(o, 6 + 2 * ncomp);
	if (ml_buf_putc(o, (char)ncomp) < 0)
		return -1;
	for (int c = 0; c < ncomp; c++) {
		char cc[2] = {(char)(c + 1), 0};
		if (ml_buf_append(o, cc, 2) < 0)
			return -1;
	}
	char ss[3] = {(char)psv, 0, (char)pt};
	if (ml_buf_append(o, ss, 3) < 0)
		return -1;
	struct bw b = {o, 0, 0};
	int64_t mcu = 0, start = 0;
	int rst = 0;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++, mcu++) {
			if (restart && mcu > 0 && mcu % restart == 0) {
				bw_flush(&b);
				put16(o, 0xFFD0 + (rst++ & 7));
				start = mcu;
			}
			bool first_row = mcu - start < w;
			for (int c = 0; c < ncomp; c++) {
#define S(yy, xx) ((int32_t)(px[((size_t)(yy) * w + (xx)) * ncomp + c] >> pt))
				int32_t pred, v = S(y, x);
				if (mcu == start)
					pred = 1 << (precision - pt - 1);
				else if (first_row)
					pred = S(y, x - 1);
				else if (x == 0)
					pred = S(y - 1, x);
				else {
					int32_t ra = S(y, x - 1), rb = S(y - 1, x), rc = S(y - 1, x - 1);
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
#undef S
				int32_t d = (int32_t)(int16_t)(uint16_t)(v - pred);
				int t = 0;
				if ((uint16_t)(v - pred) == 0x8000)
					t = 16;
				else
					for (int32_t a = d < 0 ? -d : d; a; a >>= 1)
						t++;
				bw_put(&b, (uint32_t)t, 5);
				if (t > 0 && t < 16)
					bw_put(&b, (uint32_t)(d < 0 ? d + (1 << t) - 1 : d), t);
			}
		}
	}
	bw_flush(&b);
	put16(o, 0xFFD9);
	return 0;
}

/* ---- baseline JPEG via libjpeg-turbo ---- */

int testenc_jpeg_baseline(const uint8_t *px, int w, int h, int ncomp, int quality, int ycc, struct ml_buf *out)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *mem = NULL;
	unsigned long len = 0;
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &len);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = ncomp;
	c.in_color_space = ncomp == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	if (ncomp == 3 && !ycc)
		jpeg_set_colorspace(&c, JCS_RGB);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * w * ncomp);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	int rc = ml_buf_append(out, mem, len);
	free(mem);
	return rc;
}

/* ---- JPEG-LS via CharLS ---- */

int testenc_jpegls(const void *px, int w, int h, int ncomp, int bits, int near, int interleave, struct ml_buf *out)
{
	charls_jpegls_encoder *e = charls_jpegls_encoder_create();
	charls_frame_info fi = {(uint32_t)w, (uint32_t)h, bits, ncomp};
	size_t cap = 0, written = 0;
	uint8_t *planar = NULL;
	int rc = -1;
	if (charls_jpegls_encoder_set_frame_info(e, &fi) || charls_jpegls_encoder_set_near_lossless(e, near) ||
	    charls_jpegls_encoder_set_interleave_mode(e, (charls_interleave_mode)interleave) ||
	    charls_jpegls_encoder_get_estimated_destination_size(e, &cap))
		goto done;
	if (ml_buf_grow(out, cap) < 0)
		goto done;
	size_t bytes = bits > 8 ? 2 : 1;
	size_t insize = (size_t)w * h * ncomp * bytes;
	/* Interleave mode none takes planar input: one whole plane per component. */
	if (interleave == 0 && ncomp > 1) {
		planar = malloc(insize);
		size_t npx = (size_t)w * h;
		for (size_t p = 0; p < npx; p++)
			for (int c = 0; c < ncomp; c++)
				memcpy(planar + (c * npx + p) * bytes, (const uint8_t *)px + (p * ncomp + c) * bytes, bytes);
		px = planar;
	}
	if (charls_jpegls_encoder_set_destination_buffer(e, out->data + out->len, cap) ||
	    charls_jpegls_encoder_encode_from_buffer(e, px, insize, 0) ||
	    charls_jpegls_encoder_get_bytes_written(e, &written))
		goto done;
	out->len += written;
	rc = 0;
done:
	free(planar);
	charls_jpegls_encoder_destroy(e);
	return rc;
}

/* ---- J2K via openjpeg ---- */

struct mw {
	struct ml_buf *b;
	size_t pos;
};

/* A seekable in-memory output: openjpeg goes back to patch JP2 box lengths. */
static OPJ_SIZE_T mw_write(void *buf, OPJ_SIZE_T n, void *user)
{
	struct mw *m = user;
	if (m->pos + n > m->b->len) {
		if (ml_buf_grow(m->b, m->pos + n - m->b->len) < 0)
			return (OPJ_SIZE_T)-1;
		m->b->len = m->pos + n;
	}
	memcpy(m->b->data + m->pos, buf, n);
	m->pos += n;
	return n;
}
static OPJ_OFF_T mw_skip(OPJ_OFF_T n, void *user)
{
	struct mw *m = user;
	if (n < 0)
		return -1;
	if (m->pos + (size_t)n > m->b->len) {
		size_t extra = m->pos + (size_t)n - m->b->len;
		if (ml_buf_grow(m->b, extra) < 0)
			return -1;
		memset(m->b->data + m->b->len, 0, extra);
		m->b->len += extra;
	}
	m->pos += (size_t)n;
	return n;
}
static OPJ_BOOL mw_seek(OPJ_OFF_T n, void *user)
{
	struct mw *m = user;
	if (n < 0 || (size_t)n > m->b->len)
		return OPJ_FALSE;
	m->pos = (size_t)n;
	return OPJ_TRUE;
}

int testenc_j2k(const int32_t *px, int w, int h, int ncomp, int prec, int sgnd, int jp2, struct ml_buf *out)
{
	opj_image_cmptparm_t cp[3];
	memset(cp, 0, sizeof(cp));
	for (int c = 0; c < ncomp; c++) {
		cp[c].dx = cp[c].dy = 1;
		cp[c].w = (OPJ_UINT32)w;
		cp[c].h = (OPJ_UINT32)h;
		cp[c].prec = (OPJ_UINT32)prec;
		cp[c].sgnd = (OPJ_UINT32)sgnd;
	}
	opj_image_t *img = opj_image_create((OPJ_UINT32)ncomp, cp, ncomp == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY);
	if (!img)
		return -1;
	img->x1 = (OPJ_UINT32)w;
	img->y1 = (OPJ_UINT32)h;
	for (int c = 0; c < ncomp; c++)
		for (size_t i = 0; i < (size_t)w * h; i++)
			img->comps[c].data[i] = px[i * ncomp + c];
	opj_cparameters_t par;
	opj_set_default_encoder_parameters(&par);
	par.tcp_numlayers = 1;
	par.tcp_rates[0] = 0; /* lossless */
	par.cp_disto_alloc = 1;
	par.numresolution = 3;
	par.tcp_mct = ncomp == 3 ? 1 : 0;
	opj_codec_t *codec = opj_create_compress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	opj_stream_t *st = opj_stream_create(1 << 16, OPJ_FALSE);
	struct mw m = {out, out->len};
	opj_stream_set_user_data(st, &m, NULL);
	opj_stream_set_write_function(st, mw_write);
	opj_stream_set_skip_function(st, mw_skip);
	opj_stream_set_seek_function(st, mw_seek);
	int rc = -1;
	if (opj_setup_encoder(codec, &par, img) && opj_start_compress(codec, img, st) && opj_encode(codec, st) &&
	    opj_end_compress(codec, st))
		rc = 0;
	opj_stream_destroy(st);
	opj_destroy_codec(codec);
	opj_image_destroy(img);
	return rc;
}
