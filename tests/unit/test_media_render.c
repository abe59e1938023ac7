/* test_media_render.c: VOI windows (linear, linear exact, sigmoid), presets, VOI LUT, MONOCHROME1, PNG
 * output decoded back with libspng, thumbnails and raw 16-bit frames. */
#include "core/core.h"
#include "harness.h"
#include "media/media.h"

#include <spng.h>
#include <stdlib.h>

static void ramp(struct media_frame *f, uint32_t rows, uint32_t cols, int start, int stepv)
{
	struct ml_err err;
	if (media_frame_alloc(f, rows, cols, 1, MEDIA_I16, &err) < 0)
		abort();
	f->photometric = MEDIA_PI_MONOCHROME2;
	f->bits_stored = 16;
	for (size_t i = 0; i < (size_t)rows * cols; i++)
		((int16_t *)f->data)[i] = (int16_t)(start + (int)i * stepv);
}

/* Decodes PNG bytes with libspng into 8-bit pixels; returns channels or -1. */
static int png_decode(const struct ml_buf *png, uint8_t **out, uint32_t *w, uint32_t *h)
{
	spng_ctx *ctx = spng_ctx_new(0);
	struct spng_ihdr ihdr;
	size_t n = 0;
	if (spng_set_png_buffer(ctx, png->data, png->len) || spng_get_ihdr(ctx, &ihdr)) {
		spng_ctx_free(ctx);
		return -1;
	}
	int fmt = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE ? SPNG_FMT_G8 : SPNG_FMT_RGB8;
	if (spng_decoded_image_size(ctx, fmt, &n)) {
		spng_ctx_free(ctx);
		return -1;
	}
	*out = malloc(n);
	int rc = spng_decode_image(ctx, *out, n, fmt, 0);
	spng_ctx_free(ctx);
	*w = ihdr.width;
	*h = ihdr.height;
	return rc ? -1 : (fmt == SPNG_FMT_G8 ? 1 : 3);
}

TEST(window_linear_follows_ps33_formula)
{
	/* CT ramp from -1024 HU (stored 0, intercept -1024) in steps of 4. */
	struct media_frame f;
	media_frame_init(&f);
	ramp(&f, 16, 64, 0, 4);
	struct media_render_params p;
	media_render_params_init(&p);
	p.intercept = -1024;
	const struct media_preset *brain = media_preset_find("BRAIN");
	CHECK(brain != NULL);
	p.has_window = true;
	p.center = brain->center;
	p.width = brain->width;
	uint8_t *o = NULL;
	uint16_t s;
	struct ml_err err;
	CHECK(media_render_8bit(&f, &p, &o, &s, &err) == 0);
	CHECK_EQ_INT(s, 1);
	for (size_t i = 0; i < 16 * 64; i++) {
		double x = (double)i * 4 - 1024, y;
		if (x <= 40 - 0.5 - 79.0 / 2)
			y = 0;
		else if (x > 40 - 0.5 + 79.0 / 2)
			y = 255;
		else
			y = ((x - 39.5) / 79 + 0.5) * 255;
		CHECK_EQ_INT(o[i], lround(y));
	}
	ml_free(o);
	/* Linear exact and sigmoid at the centre. */
	p.center = 0;
	p.width = 100;
	p.voi_fn = media_voi_fn_parse("LINEAR_EXACT");
	CHECK(media_render_8bit(&f, &p, &o, &s, &err) == 0);
	CHECK_EQ_INT(o[256], 128); /* x = 0: (0/100 + 0.5) * 255 = 127.5 → 128 */
	CHECK_EQ_INT(o[256 - 13], 0); /* x = -52 */
	ml_free(o);
	p.voi_fn = MEDIA_VOI_SIGMOID;
	CHECK(media_render_8bit(&f, &p, &o, &s, &err) == 0);
	CHECK_EQ_INT(o[256], 128);
	CHECK_EQ_INT(o[256 + 25], lround(255 / (1 + exp(-4.0))));
	ml_free(o);
	CHECK(media_preset_find("lung")->width == 1500);
	CHECK(media_preset_find("nope") == NULL);
	media_frame_release(&f);
}

TEST(full_range_voi_lut_and_monochrome1)
{
	struct media_frame f;
	media_frame_init(&f);
	ramp(&f, 1, 256, 100, 1);
	struct ml_err err;
	uint8_t *o;
	uint16_t s;
	CHECK(media_render_8bit(&f, NULL, &o, &s, &err) == 0);
	CHECK_EQ_INT(o[0], 0);
	CHECK_EQ_INT(o[255], 255);
	ml_free(o);
	f.photometric = MEDIA_PI_MONOCHROME1;
	CHECK(media_render_8bit(&f, NULL, &o, &s, &err) == 0);
	CHECK_EQ_INT(o[0], 255);
	CHECK_EQ_INT(o[255], 0);
	ml_free(o);
	f.photometric = MEDIA_PI_MONOCHROME2;
	/* VOI LUT: 4 entries from 200, 12-bit output. */
	struct media_lut lut;
	media_lut_init(&lut);
	uint16_t data[4] = {0, 1365, 2730, 4095};
	int32_t d[3] = {4, 200, 12};
	CHECK(media_lut_set(&lut, d, (uint8_t *)data, 8, &err) == 0);
	struct media_render_params p;
	media_render_params_init(&p);
	p.voi_lut = &lut;
	CHECK(media_render_8bit(&f, &p, &o, &s, &err) == 0);
	CHECK_EQ_INT(o[0], 0);     /* 100 < first */
	CHECK_EQ_INT(o[101], 85);  /* 201 → 1365/4095*255 */
	CHECK_EQ_INT(o[255], 255); /* past the end */
	ml_free(o);
	media_lut_release(&lut);
	media_frame_release(&f);
}

TEST(png_output_decodes_to_the_rendered_pixels)
{
	struct media_frame f;
	media_frame_init(&f);
	ramp(&f, 20, 30, -500, 3);
	struct media_render_params p;
	media_render_params_init(&p);
	p.has_window = true;
	p.center = -300;
	p.width = 1000;
	struct ml_buf png;
	ml_buf_init(&png, 0);
	struct ml_err err;
	CHECK(media_render_png(&f, &p, 0, &png, &err) == 0);
	uint8_t *pix = NULL, *want = NULL;
	uint32_t w, h;
	uint16_t s;
	CHECK_EQ_INT(png_decode(&png, &pix, &w, &h), 1);
	CHECK_EQ_INT(w, 30);
	CHECK_EQ_INT(h, 20);
	CHECK(media_render_8bit(&f, &p, &want, &s, &err) == 0);
	CHECK(memcmp(pix, want, 600) == 0);
	free(pix);
	ml_free(want);
	/* Thumbnail: 30x20 → at most 8 on the larger side. */
	ml_buf_reset(&png);
	CHECK(media_render_png(&f, &p, 8, &png, &err) == 0);
	CHECK_EQ_INT(png_decode(&png, &pix, &w, &h), 1);
	CHECK_EQ_INT(w, 8);
	CHECK_EQ_INT(h, 5);
	free(pix);
	ml_buf_release(&png);
	media_frame_release(&f);
}

TEST(downscale_averages_boxes)
{
	uint8_t in[4 * 4] = {0, 10, 100, 100, 20, 30, 100, 100, 255, 255, 0, 0, 255, 255, 0, 2};
	uint8_t *o;
	uint32_t r, c;
	struct ml_err err;
	CHECK(media_downscale(in, 4, 4, 1, 2, &o, &r, &c, &err) == 0);
	CHECK_EQ_INT(r, 2);
	CHECK_EQ_INT(c, 2);
	CHECK_EQ_INT(o[0], 15);
	CHECK_EQ_INT(o[1], 100);
	CHECK_EQ_INT(o[2], 255);
	CHECK_EQ_INT(o[3], 1); /* (0+0+0+2)/4 = 0.5 rounds to 1 */
	ml_free(o);
	CHECK(media_downscale(in, 4, 4, 1, 0, &o, &r, &c, &err) < 0);
}

TEST(colour_frames_render_rgb)
{
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_frame_alloc(&f, 1, 2, 3, MEDIA_U16, &err) == 0);
	f.photometric = MEDIA_PI_RGB;
	f.bits_stored = 12;
	uint16_t px[6] = {4095, 0, 2048, 0, 4095, 0};
	memcpy(f.data, px, sizeof(px));
	uint8_t *o;
	uint16_t s;
	CHECK(media_render_8bit(&f, NULL, &o, &s, &err) == 0);
	CHECK_EQ_INT(s, 3);
	CHECK_EQ_INT(o[0], 255);
	CHECK_EQ_INT(o[2], 128);
	CHECK_EQ_INT(o[4], 255);
	ml_free(o);
	struct ml_buf png;
	ml_buf_init(&png, 0);
	CHECK(media_render_png(&f, NULL, 0, &png, &err) == 0);
	uint8_t *pix;
	uint32_t w, h;
	CHECK_EQ_INT(png_decode(&png, &pix, &w, &h), 3);
	CHECK_EQ_INT(pix[2], 128);
	free(pix);
	ml_buf_release(&png);
	media_frame_release(&f);
}

TEST(raw16_frames_with_json_header)
{
	struct media_frame f;
	media_frame_init(&f);
	ramp(&f, 2, 3, -3, 1000);
	struct media_render_params p;
	media_render_params_init(&p);
	p.slope = 1;
	p.intercept = -1024;
	p.has_window = true;
	p.center = 40;
	p.width = 400;
	struct ml_buf raw, json;
	ml_buf_init(&raw, 0);
	ml_buf_init(&json, 0);
	struct ml_err err;
	CHECK(media_render_raw16(&f, &p, &raw, &json, &err) == 0);
	CHECK_EQ_INT(raw.len, 12);
	CHECK_EQ_INT((int16_t)((uint8_t)raw.data[0] | (uint8_t)raw.data[1] << 8), -3);
	CHECK_EQ_INT((int16_t)((uint8_t)raw.data[10] | (uint8_t)raw.data[11] << 8), 4997);
	CHECK(strstr(json.data, "\"rows\":2,\"columns\":3") != NULL);
	CHECK(strstr(json.data, "\"signed\":true") != NULL);
	CHECK(strstr(json.data, "\"intercept\":-1024") != NULL);
	CHECK(strstr(json.data, "\"window_width\":400") != NULL);
	media_frame_release(&f);
	/* 32-bit values that do not fit are requantised; raw * slope + intercept gives them back (within one step). */
	CHECK(media_frame_alloc(&f, 1, 3, 1, MEDIA_U32, &err) == 0);
	((uint32_t *)f.data)[0] = 70000;
	((uint32_t *)f.data)[1] = 1000;
	((uint32_t *)f.data)[2] = 4000000;
	ml_buf_reset(&raw);
	ml_buf_reset(&json);
	p.slope = 0.5;
	p.intercept = 10;
	CHECK(media_render_raw16(&f, &p, &raw, &json, &err) == 0);
	CHECK(strstr(json.data, "\"requantized\":true") != NULL);
	double s2 = strtod(strstr(json.data, "\"slope\":") + 8, NULL), i2 = strtod(strstr(json.data, "\"intercept\":") + 12, NULL);
	for (int k = 0; k < 3; k++) {
		uint16_t w = (uint16_t)((uint8_t)raw.data[2 * k] | (uint8_t)raw.data[2 * k + 1] << 8);
		double want = ((uint32_t *)f.data)[k] * 0.5 + 10;
		CHECK_NEAR(w * s2 + i2, want, 0.5 * (4000000 - 1000) / 65535.0 * 0.5 + 1e-6);
	}
	media_frame_release(&f);
	ml_buf_release(&raw);
	ml_buf_release(&json);
}
