/* render.c: frames to display pixels: Modality LUT (rescale), VOI (window or LUT), MONOCHROME1 inversion,
 * box-filter thumbnails, PNG encoding with libspng, and raw 16-bit frames for browser-side windowing. */
#include "media/media.h"
#include "media/media_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spng.h>

const struct media_preset media_presets[] = {
	{"lung", -600, 1500},   {"mediastinum", 50, 350}, {"bone", 500, 2000},
	{"brain", 40, 80},      {"abdomen", 50, 400},
};
const size_t media_npresets = ML_ARRAY_LEN(media_presets);

const struct media_preset *media_preset_find(const char *name)
{
	for (size_t i = 0; name && i < media_npresets; i++)
		if (strcasecmp(name, media_presets[i].name) == 0)
			return &media_presets[i];
	return NULL;
}

enum media_voi_fn media_voi_fn_parse(const char *s)
{
	if (s && strncasecmp(s, "LINEAR_EXACT", 12) == 0)
		return MEDIA_VOI_LINEAR_EXACT;
	if (s && strncasecmp(s, "SIGMOID", 7) == 0)
		return MEDIA_VOI_SIGMOID;
	return MEDIA_VOI_LINEAR;
}

void media_render_params_init(struct media_render_params *p)
{
	memset(p, 0, sizeof(*p));
	p->slope = 1;
}

/* VOI window per PS3.3 C.11.2.1.2 mapped to 0..255. */
static double window(double x, double c, double w, enum media_voi_fn fn)
{
	double y;
	switch (fn) {
	case MEDIA_VOI_LINEAR_EXACT:
		if (w <= 0)
			w = 1e-9;
		if (x <= c - w / 2)
			return 0;
		if (x > c + w / 2)
			return 255;
		y = ((x - c) / w + 0.5) * 255;
		break;
	case MEDIA_VOI_SIGMOID:
		if (w <= 0)
			w = 1e-9;
		y = 255 / (1 + exp(-4 * (x - c) / w));
		break;
	default:
		if (w < 1)
			w = 1;
		if (x <= c - 0.5 - (w - 1) / 2)
			return 0;
		if (x > c - 0.5 + (w - 1) / 2)
			return 255;
		y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
	}
	return y < 0 ? 0 : y > 255 ? 255 : y;
}

struct grey_map {
	const struct media_render_params *p;
	double slope, intercept, lo, hi; /* lo/hi: rescaled range when there is no window */
	bool invert;
	double lut_max;
};

static uint8_t grey_value(const struct grey_map *g, double stored)
{
	double m = g->p->modality_lut && g->p->modality_lut->data
			   ? media_lut_lookup(g->p->modality_lut, (int64_t)stored)
			   : stored * g->slope + g->intercept;
	double y;
	const struct media_render_params *p = g->p;
	if (p->has_window) {
		y = window(m, p->center, p->width, p->voi_fn);
	} else if (p->voi_lut && p->voi_lut->data) {
		y = media_lut_lookup(p->voi_lut, (int64_t)floor(m)) * 255.0 / g->lut_max;
	} else if (g->hi > g->lo) {
		y = (m - g->lo) / (g->hi - g->lo) * 255;
	} else {
		y = 0;
	}
	if (y != y)
		y = 0; /* NaN (float pixel data) shows as black */
	long v = lround(y);
	if (v < 0)
		v = 0;
	if (v > 255)
		v = 255;
	return (uint8_t)(g->invert ? 255 - v : v);
}

static int render_grey(const struct media_frame *f, const struct media_render_params *p, uint8_t *out,
		       struct ml_err *err)
{
	size_t n = (size_t)f->rows * f->columns;
	struct grey_map g = {p, p->slope == 0 ? 1 : p->slope, p->intercept, 0, 0, false, 1};
	g.invert = p->invert || f->photometric == MEDIA_PI_MONOCHROME1;
	if (p->voi_lut && p->voi_lut->data)
		g.lut_max = (double)((1u << p->voi_lut->bits) - 1);
	double smin = INFINITY, smax = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		double v = media_frame_get(f, i);
		if (v < smin) /* NaN compares false and is skipped */
			smin = v;
		if (v > smax)
			smax = v;
	}
	if (!(smin <= smax))
		smin = smax = 0; /* all NaN */
	double a = smin * g.slope + g.intercept, b = smax * g.slope + g.intercept;
	if (p->modality_lut && p->modality_lut->data) {
		/* The full range of a modality LUT's output over the stored range. */
		a = INFINITY;
		b = -INFINITY;
		for (double v = smin; v <= smax && v - smin < 65536; v++) {
			double m = media_lut_lookup(p->modality_lut, (int64_t)v);
			a = m < a ? m : a;
			b = m > b ? m : b;
		}
	}
	g.lo = a < b ? a : b;
	g.hi = a < b ? b : a;
	if (f->dtype != MEDIA_F32 && smax - smin < 65536) {
		/* Integer samples: one table over the stored range, then a lookup per pixel. */
		long base = (long)smin;
		size_t span = (size_t)(smax - smin) + 1;
		uint8_t *lut = ml_malloc(span);
		if (!lut)
			return ml_err_set(err, ML_ENOMEM, "out of memory rendering a frame");
		for (size_t i = 0; i < span; i++)
			lut[i] = grey_value(&g, (double)(base + (long)i));
		for (size_t i = 0; i < n; i++)
			out[i] = lut[(long)media_frame_get(f, i) - base];
		ml_free(lut);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = grey_value(&g, media_frame_get(f, i));
	return 0;
}

int media_render_8bit(const struct media_frame *f, const struct media_render_params *p, uint8_t **out,
		      uint16_t *samples, struct ml_err *err)
{
	struct media_render_params defaults;
	if (!p) {
		media_render_params_init(&defaults);
		p = &defaults;
	}
	if (!f->data || f->rows == 0 || f->columns == 0)
		return ml_err_set(err, ML_EINVAL, "empty frame");
	size_t npx = (size_t)f->rows * f->columns;
	bool colour = f->samples == 3 || f->photometric == MEDIA_PI_PALETTE_COLOR;
	uint8_t *o = ml_malloc(npx * (colour ? 3 : 1));
	if (!o)
		return ml_err_set(err, ML_ENOMEM, "out of memory rendering a frame");
	if (!colour) {
		if (render_grey(f, p, o, err) < 0) {
			ml_free(o);
			return -1;
		}
		*out = o;
		*samples = 1;
		return 0;
	}
	/* Colour: convert a copy to RGB, then scale the stored bits to 8. */
	struct media_frame c;
	media_frame_init(&c);
	if (media_frame_alloc(&c, f->rows, f->columns, f->samples, f->dtype, err) < 0) {
		ml_free(o);
		return -1;
	}
	memcpy(c.data, f->data, f->len);
	c.photometric = f->photometric;
	c.bits_stored = f->bits_stored;
	if (media_frame_to_rgb(&c, p->palette, err) < 0) {
		media_frame_release(&c);
		ml_free(o);
		return -1;
	}
	unsigned bits = c.bits_stored ? c.bits_stored : (unsigned)media_dtype_size(c.dtype) * 8;
	if (c.photometric == MEDIA_PI_RGB && p->palette && f->photometric == MEDIA_PI_PALETTE_COLOR &&
	    c.dtype == MEDIA_U16)
		bits = 16;
	double scale = 255.0 / (bits >= 32 ? 4294967295.0 : (double)((1ull << bits) - 1));
	for (size_t i = 0; i < npx * 3; i++) {
		double v = media_frame_get(&c, i) * scale;
		o[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
	}
	media_frame_release(&c);
	*out = o;
	*samples = 3;
	return 0;
}

int media_downscale(const uint8_t *in, uint32_t rows, uint32_t cols, uint16_t samples, uint32_t max_size,
		    uint8_t **out, uint32_t *orows, uint32_t *ocols, struct ml_err *err)
{
	if (rows == 0 || cols == 0 || max_size == 0)
		return ml_err_set(err, ML_EINVAL, "invalid downscale of %ux%u to %u", (unsigned)cols, (unsigned)rows,
				  (unsigned)max_size);
	uint32_t big = rows > cols ? rows : cols;
	uint32_t r = rows, c = cols;
	if (big > max_size) {
		r = (uint32_t)(((uint64_t)rows * max_size + big / 2) / big);
		c = (uint32_t)(((uint64_t)cols * max_size + big / 2) / big);
		if (r == 0)
			r = 1;
		if (c == 0)
			c = 1;
	}
	uint8_t *o = ml_malloc((size_t)r * c * samples);
	uint32_t *acc = ml_calloc((size_t)c * samples, sizeof(uint32_t));
	if (!o || !acc) {
		ml_free(o);
		ml_free(acc);
		return ml_err_set(err, ML_ENOMEM, "out of memory for a thumbnail");
	}
	/* Each output pixel averages the source box [y0,y1) x [x0,x1); rows are summed first. */
	for (uint32_t oy = 0; oy < r; oy++) {
		uint32_t y0 = (uint32_t)((uint64_t)oy * rows / r), y1 = (uint32_t)((uint64_t)(oy + 1) * rows / r);
		if (y1 <= y0)
			y1 = y0 + 1;
		memset(acc, 0, (size_t)c * samples * sizeof(uint32_t));
		for (uint32_t ox = 0; ox < c; ox++) {
			uint32_t x0 = (uint32_t)((uint64_t)ox * cols / c), x1 = (uint32_t)((uint64_t)(ox + 1) * cols / c);
			if (x1 <= x0)
				x1 = x0 + 1;
			for (uint32_t y = y0; y < y1; y++) {
				const uint8_t *row = in + ((size_t)y * cols) * samples;
				for (uint32_t x = x0; x < x1; x++)
					for (uint16_t s = 0; s < samples; s++)
						acc[(size_t)ox * samples + s] += row[(size_t)x * samples + s];
			}
			uint32_t cnt = (y1 - y0) * (x1 - x0);
			for (uint16_t s = 0; s < samples; s++)
				o[((size_t)oy * c + ox) * samples + s] =
					(uint8_t)((acc[(size_t)ox * samples + s] + cnt / 2) / cnt);
		}
	}
	ml_free(acc);
	*out = o;
	*orows = r;
	*ocols = c;
	return 0;
}

int media_png_encode(const uint8_t *pix, uint32_t rows, uint32_t cols, uint16_t samples, struct ml_buf *out,
		     struct ml_err *err)
{
	spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
	if (!ctx)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a PNG encoder");
	struct spng_ihdr ihdr = {.width = cols, .height = rows, .bit_depth = 8,
				 .color_type = samples == 3 ? SPNG_COLOR_TYPE_TRUECOLOR : SPNG_COLOR_TYPE_GRAYSCALE};
	int rc = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
	/* Level 3 instead of 6: frames are served interactively; the size grows by only a few percent. */
	if (!rc)
		rc = spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, 3);
	if (!rc)
		rc = spng_set_ihdr(ctx, &ihdr);
	if (!rc)
		rc = spng_encode_image(ctx, pix, (size_t)rows * cols * samples, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
	size_t len = 0;
	int e2 = 0;
	void *png = rc ? NULL : spng_get_png_buffer(ctx, &len, &e2);
	spng_ctx_free(ctx);
	if (rc || !png)
		return ml_err_set(err, ML_EIO, "PNG encoding failed: %s", spng_strerror(rc ? rc : e2));
	rc = ml_buf_append(out, png, len);
	free(png); /* allocated by libspng with malloc */
	if (rc < 0)
		return ml_err_set(err, ML_ELIMIT, "PNG of %zu bytes does not fit the output buffer", len);
	return 0;
}

int media_render_png(const struct media_frame *f, const struct media_render_params *p, uint32_t max_size,
		     struct ml_buf *png, struct ml_err *err)
{
	uint8_t *pix = NULL, *small = NULL;
	uint16_t samples = 1;
	if (media_render_8bit(f, p, &pix, &samples, err) < 0)
		return -1;
	uint32_t r = f->rows, c = f->columns;
	int rc;
	if (max_size && (r > max_size || c > max_size)) {
		if (media_downscale(pix, f->rows, f->columns, samples, max_size, &small, &r, &c, err) < 0) {
			ml_free(pix);
			return -1;
		}
		rc = media_png_encode(small, r, c, samples, png, err);
	} else {
		rc = media_png_encode(pix, r, c, samples, png, err);
	}
	ml_free(pix);
	ml_free(small);
	return rc;
}

int media_render_raw16(const struct media_frame *f, const struct media_render_params *p, struct ml_buf *raw,
		       struct ml_buf *json, struct ml_err *err)
{
	struct media_render_params defaults;
	if (!p) {
		media_render_params_init(&defaults);
		p = &defaults;
	}
	size_t n = (size_t)f->rows * f->columns * f->samples;
	bool sgn = f->dtype == MEDIA_I8 || f->dtype == MEDIA_I16 || f->dtype == MEDIA_I32;
	double lo = sgn ? -32768 : 0, hi = sgn ? 32767 : 65535;
	double vmin = INFINITY, vmax = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		double v = media_frame_get(f, i);
		if (v < vmin)
			vmin = v;
		if (v > vmax)
			vmax = v;
	}
	if (!(vmin <= vmax))
		vmin = vmax = 0; /* empty or all NaN */
	double slope = p->slope == 0 ? 1 : p->slope, intercept = p->intercept;
	/* Samples that do not fit 16 bits (32-bit integers, floats) are requantised to uint16 over their range;
	 * slope and intercept are adjusted so that raw * slope + intercept still gives modality values. */
	bool requant = f->dtype == MEDIA_F32 || vmin < lo || vmax > hi;
	double q = 1, base = 0;
	if (requant) {
		sgn = false;
		base = vmin;
		q = vmax > vmin ? 65535.0 / (vmax - vmin) : 1;
		intercept = intercept + slope * vmin;
		slope = slope / q;
	}
	if (ml_buf_grow(raw, n * 2) < 0)
		return ml_err_set(err, ML_ELIMIT, "raw frame of %zu bytes does not fit the output buffer", n * 2);
	uint8_t *o = (uint8_t *)raw->data + raw->len;
	for (size_t i = 0; i < n; i++) {
		double v = media_frame_get(f, i);
		uint16_t w;
		if (requant) {
			double x = (v - base) * q;
			w = (uint16_t)(x != x ? 0 : x < 0 ? 0 : x > 65535 ? 65535 : floor(x + 0.5));
		} else {
			w = (uint16_t)(int32_t)v;
		}
		o[2 * i] = (uint8_t)w;
		o[2 * i + 1] = (uint8_t)(w >> 8);
	}
	raw->len += n * 2;
	raw->data[raw->len] = 0;
	int rc = ml_buf_printf(json,
			       "{\"rows\":%u,\"columns\":%u,\"samples\":%u,\"signed\":%s,\"bits_stored\":%u,"
			       "\"slope\":%.17g,\"intercept\":%.17g,\"photometric\":\"%s\",\"requantized\":%s",
			       (unsigned)f->rows, (unsigned)f->columns, (unsigned)f->samples, sgn ? "true" : "false",
			       requant ? 16u : (unsigned)f->bits_stored, slope, intercept, media_pi_name(f->photometric),
			       requant ? "true" : "false");
	if (!rc && p->has_window)
		rc = ml_buf_printf(json, ",\"window_center\":%.17g,\"window_width\":%.17g", p->center, p->width);
	if (!rc)
		rc = ml_buf_putc(json, '}');
	if (rc < 0)
		return ml_err_set(err, ML_ELIMIT, "raw frame header does not fit the output buffer");
	return 0;
}
