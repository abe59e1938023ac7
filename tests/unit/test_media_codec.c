/* test_media_codec.c: native pixel data, RLE, lossless/baseline JPEG, JPEG-LS and JPEG 2000 decoding,
 * encapsulated frame lookup and LUTs, on images the tests generate and encode themselves. */
#include "core/core.h"
#include "harness.h"
#include "media/media.h"

/* The encoders are compiled into this test binary (the Makefile links one object per test). */
#include "media_testenc.c"

#include <stdlib.h>

static struct media_image_desc desc(uint32_t rows, uint32_t cols, uint16_t spp, uint16_t ba, uint16_t bs,
				    uint16_t pr, enum media_pi pi, const char *ts)
{
	struct media_image_desc d;
	memset(&d, 0, sizeof(d));
	d.rows = rows;
	d.columns = cols;
	d.samples_per_pixel = spp;
	d.bits_allocated = ba;
	d.bits_stored = bs;
	d.high_bit = (uint16_t)(bs - 1);
	d.pixel_representation = pr;
	d.photometric = pi;
	d.number_of_frames = 1;
	snprintf(d.transfer_syntax, sizeof(d.transfer_syntax), "%s", ts);
	return d;
}

#define TS_LE "1.2.840.10008.1.2.1"
#define TS_BE "1.2.840.10008.1.2.2"
#define TS_RLE "1.2.840.10008.1.2.5"
#define TS_JPEG_LL "1.2.840.10008.1.2.4.70"
#define TS_JPEG_BASE "1.2.840.10008.1.2.4.50"
#define TS_JLS "1.2.840.10008.1.2.4.80"
#define TS_JLS_NEAR "1.2.840.10008.1.2.4.81"
#define TS_J2K "1.2.840.10008.1.2.4.90"

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

TEST(native_signed_12_of_16_bits_sign_extends)
{
	struct media_image_desc d = desc(4, 5, 1, 16, 12, 1, MEDIA_PI_MONOCHROME2, TS_LE);
	uint16_t raw[20];
	int16_t want[20];
	for (int i = 0; i < 20; i++) {
		want[i] = (int16_t)(i * 200 - 2048);
		raw[i] = (uint16_t)(((uint16_t)want[i] & 0x0FFF) | 0xA000); /* garbage above the high bit */
	}
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_native(&d, (uint8_t *)raw, sizeof(raw), 0, &f, &err) == 0);
	CHECK_EQ_INT(f.dtype, MEDIA_I16);
	for (int i = 0; i < 20; i++)
		CHECK_EQ_INT(((int16_t *)f.data)[i], want[i]);
	media_frame_release(&f);
}

TEST(native_unsigned_masks_and_honours_high_bit)
{
	struct media_image_desc d = desc(1, 3, 1, 16, 10, 0, MEDIA_PI_MONOCHROME2, TS_LE);
	d.high_bit = 11; /* stored bits 2..11 */
	uint16_t raw[3] = {(uint16_t)(1023u << 2 | 3u), (uint16_t)(5u << 2 | 0xF000u), 0};
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_native(&d, (uint8_t *)raw, sizeof(raw), 0, &f, &err) == 0);
	CHECK_EQ_INT(((uint16_t *)f.data)[0], 1023);
	CHECK_EQ_INT(((uint16_t *)f.data)[1], 5);
	media_frame_release(&f);
}

TEST(native_planar_rgb_second_frame)
{
	struct media_image_desc d = desc(2, 3, 3, 8, 8, 0, MEDIA_PI_RGB, TS_LE);
	d.planar_configuration = 1;
	d.number_of_frames = 2;
	uint8_t raw[36];
	for (int i = 0; i < 36; i++)
		raw[i] = (uint8_t)i;
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_native(&d, raw, sizeof(raw), 1, &f, &err) == 0);
	/* frame 1 starts at byte 18: R plane 18..23, G 24..29, B 30..35 */
	uint8_t *o = f.data;
	CHECK_EQ_INT(o[0], 18);
	CHECK_EQ_INT(o[1], 24);
	CHECK_EQ_INT(o[2], 30);
	CHECK_EQ_INT(o[5 * 3 + 2], 35);
	CHECK(media_decode_native(&d, raw, sizeof(raw), 2, &f, &err) < 0);
	CHECK(media_decode_native(&d, raw, 30, 1, &f, &err) < 0);
	CHECK(strstr(err.msg, "too short") != NULL);
	media_frame_release(&f);
}

TEST(native_big_endian_and_32_bit)
{
	struct media_image_desc d = desc(1, 2, 1, 16, 16, 0, MEDIA_PI_MONOCHROME2, TS_BE);
	uint8_t raw[4] = {0x12, 0x34, 0xAB, 0xCD};
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_native(&d, raw, 4, 0, &f, &err) == 0);
	CHECK_EQ_INT(((uint16_t *)f.data)[0], 0x1234);
	CHECK_EQ_INT(((uint16_t *)f.data)[1], 0xABCD);
	d = desc(1, 2, 1, 32, 32, 1, MEDIA_PI_MONOCHROME2, TS_LE);
	int32_t v[2] = {-100000, 7};
	CHECK(media_decode_native(&d, (uint8_t *)v, 8, 0, &f, &err) == 0);
	CHECK_EQ_INT(f.dtype, MEDIA_I32);
	CHECK_EQ_INT(((int32_t *)f.data)[0], -100000);
	media_frame_release(&f);
}

TEST(native_one_bit_frames_are_not_byte_aligned)
{
	struct media_image_desc d = desc(3, 3, 1, 1, 1, 0, MEDIA_PI_MONOCHROME2, TS_LE);
	d.high_bit = 0;
	d.number_of_frames = 2;
	/* 18 bits: frame 0 = 101010101, frame 1 = 111000111 (LSB first) */
	int bits[18] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1};
	uint8_t raw[3] = {0};
	for (int i = 0; i < 18; i++)
		raw[i / 8] |= (uint8_t)(bits[i] << (i % 8));
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_native(&d, raw, 3, 1, &f, &err) == 0);
	for (int i = 0; i < 9; i++)
		CHECK_EQ_INT(((uint8_t *)f.data)[i], bits[9 + i]);
	media_frame_release(&f);
}

TEST(native_ybr_full_422_upsamples_and_converts)
{
	struct media_image_desc d = desc(1, 4, 3, 8, 8, 0, MEDIA_PI_YBR_FULL_422, TS_LE);
	uint8_t raw[8] = {10, 20, 128, 128, 200, 210, 128, 255};
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_native(&d, raw, 8, 0, &f, &err) == 0);
	uint8_t *o = f.data;
	CHECK_EQ_INT(f.photometric, MEDIA_PI_YBR_FULL);
	CHECK_EQ_INT(o[3], 20);
	CHECK_EQ_INT(o[4], 128);
	CHECK_EQ_INT(o[9], 210);
	CHECK_EQ_INT(o[11], 255);
	CHECK(media_frame_to_rgb(&f, NULL, &err) == 0);
	o = f.data;
	CHECK_EQ_INT(o[0], 10); /* grey stays grey */
	CHECK_EQ_INT(o[1], 10);
	CHECK_EQ_INT(o[9], 255); /* Y 210 + 1.402*127 clamps */
	media_frame_release(&f);
}

static int rle_roundtrip(uint16_t spp, uint16_t ba, uint16_t pr, int smooth)
{
	struct media_image_desc d = desc(17, 23, spp, ba, ba, pr, spp == 3 ? MEDIA_PI_RGB : MEDIA_PI_MONOCHROME2,
					 TS_RLE);
	size_t n = media_desc_frame_bytes(&d);
	uint8_t *raw = malloc(n);
	for (size_t i = 0; i < n; i++)
		raw[i] = smooth ? (uint8_t)(i / 40) : (uint8_t)rnd();
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	struct ml_err err;
	struct media_frame f;
	media_frame_init(&f);
	int ok = media_encode_rle(&d, raw, n, &enc, &err) == 0 && enc.len % 2 == 0 &&
		 media_decode_rle(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0 && f.len == n &&
		 memcmp(f.data, raw, n) == 0;
	if (!ok)
		fprintf(stderr, "# rle spp=%u ba=%u: %s\n", spp, ba, err.msg);
	free(raw);
	ml_buf_release(&enc);
	media_frame_release(&f);
	return ok;
}

TEST(rle_round_trips)
{
	CHECK(rle_roundtrip(1, 8, 0, 1));
	CHECK(rle_roundtrip(1, 8, 0, 0));
	CHECK(rle_roundtrip(1, 16, 1, 0));
	CHECK(rle_roundtrip(1, 16, 0, 1));
	CHECK(rle_roundtrip(3, 8, 0, 0));
	CHECK(rle_roundtrip(3, 16, 0, 1));
	CHECK(rle_roundtrip(1, 32, 0, 0));
}

TEST(rle_corrupt_streams_fail_cleanly)
{
	struct media_image_desc d = desc(8, 8, 1, 16, 16, 0, MEDIA_PI_MONOCHROME2, TS_RLE);
	uint8_t raw[128];
	for (int i = 0; i < 128; i++)
		raw[i] = (uint8_t)(i * 7);
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	struct ml_err err;
	CHECK(media_encode_rle(&d, raw, sizeof(raw), &enc, &err) == 0);
	struct media_frame f;
	media_frame_init(&f);
	CHECK(media_decode_rle(&d, (uint8_t *)enc.data, 40, &f, &err) < 0);
	CHECK(strstr(err.msg, "header") != NULL);
	uint8_t *bad = malloc(enc.len);
	memcpy(bad, enc.data, enc.len);
	bad[0] = 3;
	CHECK(media_decode_rle(&d, bad, enc.len, &f, &err) < 0);
	memcpy(bad, enc.data, enc.len);
	bad[8] = 0xFF;
	bad[9] = 0xFF; /* second segment offset past the end */
	CHECK(media_decode_rle(&d, bad, enc.len, &f, &err) < 0);
	CHECK(media_decode_rle(&d, (uint8_t *)enc.data, enc.len - 10, &f, &err) < 0);
	/* Random mutations: any outcome but a crash (ASan run) is fine. */
	for (int k = 0; k < 3000; k++) {
		memcpy(bad, enc.data, enc.len);
		for (int m = 0; m < 4; m++)
			bad[rnd() % enc.len] = (uint8_t)rnd();
		if (media_decode_rle(&d, bad, enc.len, &f, &err) == 0)
			CHECK_EQ_INT(f.len, 128);
	}
	free(bad);
	media_frame_release(&f);
	ml_buf_release(&enc);
}

static int lossless_case(int w, int h, int ncomp, int prec, int psv, int pt, int restart, int pr)
{
	size_t n = (size_t)w * h * ncomp;
	uint16_t *px = malloc(n * sizeof(uint16_t));
	for (size_t i = 0; i < n; i++) {
		size_t p = i / ncomp;
		uint32_t v = (uint32_t)((p % w) * 37 + (p / w) * 11 + (rnd() % 64)) & ((1u << prec) - 1);
		if (i % 97 == 0)
			v = (1u << prec) - 1; /* extremes exercise the 16-bit modulo */
		px[i] = (uint16_t)((v >> pt) << pt);
	}
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	testenc_jpeg_lossless(px, w, h, ncomp, prec, psv, pt, restart, &enc);
	struct media_image_desc d = desc((uint32_t)h, (uint32_t)w, (uint16_t)ncomp, prec > 8 ? 16 : 8, (uint16_t)prec,
					 (uint16_t)pr, ncomp == 3 ? MEDIA_PI_RGB : MEDIA_PI_MONOCHROME2, TS_JPEG_LL);
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	int ok = media_decode_jpeg(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0;
	for (size_t i = 0; ok && i < n; i++) {
		double want = px[i];
		if (pr && prec < 16 && px[i] >= (1u << (prec - 1)))
			want -= (double)(1u << prec);
		if (pr && prec == 16 && px[i] >= 32768)
			want -= 65536;
		if (media_frame_get(&f, i) != want) {
			fprintf(stderr, "# lossless psv=%d prec=%d pt=%d rst=%d: sample %zu is %g, want %g\n", psv, prec, pt,
				restart, i, media_frame_get(&f, i), want);
			ok = 0;
		}
	}
	if (!ok && err.msg[0])
		fprintf(stderr, "# %s\n", err.msg);
	free(px);
	ml_buf_release(&enc);
	media_frame_release(&f);
	return ok;
}

TEST(jpeg_lossless_all_predictors_and_precisions)
{
	for (int psv = 1; psv <= 7; psv++) {
		CHECK(lossless_case(31, 17, 1, 8, psv, 0, 0, 0));
		CHECK(lossless_case(31, 17, 1, 12, psv, 0, 0, 0));
		CHECK(lossless_case(31, 17, 1, 16, psv, 0, 0, 0));
		CHECK(lossless_case(16, 9, 3, 8, psv, 0, 0, 0));
	}
	CHECK(lossless_case(20, 10, 1, 16, 1, 2, 0, 0));
	CHECK(lossless_case(20, 10, 1, 12, 6, 0, 40, 0)); /* restart every 2 rows */
	CHECK(lossless_case(20, 10, 1, 16, 1, 0, 0, 1));  /* signed */
	CHECK(lossless_case(20, 10, 1, 12, 7, 0, 0, 1));
}

TEST(jpeg_lossless_corrupt_streams_fail_cleanly)
{
	uint16_t px[64];
	for (int i = 0; i < 64; i++)
		px[i] = (uint16_t)(i * 100);
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	testenc_jpeg_lossless(px, 8, 8, 1, 16, 1, 0, 0, &enc);
	struct media_image_desc d = desc(8, 8, 1, 16, 16, 0, MEDIA_PI_MONOCHROME2, TS_JPEG_LL);
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	for (size_t cut = 0; cut < enc.len; cut += 3)
		if (media_decode_jpeg_lossless(&d, (uint8_t *)enc.data, cut, &f, &err) == 0) CHECK(f.data != NULL);
	uint8_t *bad = malloc(enc.len);
	for (int k = 0; k < 3000; k++) {
		memcpy(bad, enc.data, enc.len);
		for (int m = 0; m < 3; m++)
			bad[rnd() % enc.len] = (uint8_t)rnd();
		if (media_decode_jpeg(&d, bad, enc.len, &f, &err) == 0) CHECK(f.data != NULL);
	}
	d.rows = 9;
	CHECK(media_decode_jpeg(&d, (uint8_t *)enc.data, enc.len, &f, &err) < 0);
	CHECK(strstr(err.msg, "dataset says") != NULL);
	free(bad);
	media_frame_release(&f);
	ml_buf_release(&enc);
}

TEST(jpeg_baseline_grey_and_colour)
{
	enum { W = 64, H = 48 };
	uint8_t grey[W * H], rgb[W * H * 3];
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			grey[y * W + x] = (uint8_t)(x * 3 + y);
			rgb[(y * W + x) * 3] = (uint8_t)(x * 4);
			rgb[(y * W + x) * 3 + 1] = (uint8_t)(y * 5);
			rgb[(y * W + x) * 3 + 2] = 128;
		}
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	CHECK(testenc_jpeg_baseline(grey, W, H, 1, 98, 0, &enc) == 0);
	struct media_image_desc d = desc(H, W, 1, 8, 8, 0, MEDIA_PI_MONOCHROME2, TS_JPEG_BASE);
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	CHECK(media_decode_fragments(&d, &(struct media_fragment){(uint8_t *)enc.data, enc.len, 0}, 1, &f, &err) == 0);
	for (int i = 0; i < W * H; i++)
		CHECK(abs(((uint8_t *)f.data)[i] - grey[i]) <= 3);
	ml_buf_reset(&enc);
	CHECK(testenc_jpeg_baseline(rgb, W, H, 3, 98, 1, &enc) == 0);
	d = desc(H, W, 3, 8, 8, 0, MEDIA_PI_YBR_FULL_422, TS_JPEG_BASE);
	CHECK(media_decode_jpeg(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
	CHECK_EQ_INT(f.photometric, MEDIA_PI_RGB);
	for (int i = 0; i < W * H * 3; i++)
		CHECK(abs(((uint8_t *)f.data)[i] - rgb[i]) <= 6);
	ml_buf_reset(&enc);
	CHECK(testenc_jpeg_baseline(rgb, W, H, 3, 98, 0, &enc) == 0);
	d.photometric = MEDIA_PI_RGB;
	CHECK(media_decode_jpeg(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
	for (int i = 0; i < W * H * 3; i++)
		CHECK(abs(((uint8_t *)f.data)[i] - rgb[i]) <= 4);
	/* Truncated and corrupted streams: an error or a (partly grey) frame, never a crash. */
	for (size_t cut = 0; cut < enc.len; cut += 97)
		if (media_decode_jpeg(&d, (uint8_t *)enc.data, cut, &f, &err) == 0) CHECK(f.data != NULL);
	CHECK(media_decode_jpeg(&d, (uint8_t *)enc.data, 100, &f, &err) < 0 || f.len == (size_t)W * H * 3);
	media_frame_release(&f);
	ml_buf_release(&enc);
}

TEST(jpegls_lossless_and_near_lossless)
{
	enum { W = 40, H = 30 };
	uint16_t g16[W * H];
	uint8_t c8[W * H * 3];
	for (int i = 0; i < W * H; i++) {
		g16[i] = (uint16_t)((i * 37 + (int)(rnd() % 300)) & 0xFFF);
		for (int c = 0; c < 3; c++)
			c8[i * 3 + c] = (uint8_t)(i + c * 50 + (int)(rnd() % 20));
	}
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	struct ml_err err;
	struct media_frame f;
	media_frame_init(&f);
	CHECK(testenc_jpegls(g16, W, H, 1, 12, 0, 0, &enc) == 0);
	struct media_image_desc d = desc(H, W, 1, 16, 12, 0, MEDIA_PI_MONOCHROME2, TS_JLS);
	CHECK(media_decode_jpegls(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
	CHECK(memcmp(f.data, g16, sizeof(g16)) == 0);
	for (int im = 0; im <= 2; im++) {
		ml_buf_reset(&enc);
		CHECK(testenc_jpegls(c8, W, H, 3, 8, 0, im, &enc) == 0);
		d = desc(H, W, 3, 8, 8, 0, MEDIA_PI_RGB, TS_JLS);
		CHECK(media_decode_jpegls(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
		CHECK(memcmp(f.data, c8, sizeof(c8)) == 0);
	}
	ml_buf_reset(&enc);
	CHECK(testenc_jpegls(g16, W, H, 1, 12, 3, 0, &enc) == 0);
	d = desc(H, W, 1, 16, 12, 0, MEDIA_PI_MONOCHROME2, TS_JLS_NEAR);
	CHECK(media_decode_jpegls(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
	for (int i = 0; i < W * H; i++)
		CHECK(abs((int)((uint16_t *)f.data)[i] - (int)g16[i]) <= 3);
	CHECK(media_decode_jpegls(&d, (uint8_t *)enc.data, enc.len / 2, &f, &err) < 0);
	CHECK(strstr(err.msg, "end-of-image") != NULL);
	media_frame_release(&f);
	ml_buf_release(&enc);
}

TEST(j2k_lossless_codestream_and_jp2)
{
	enum { W = 33, H = 21 };
	int32_t s16[W * H], rgb[W * H * 3];
	for (int i = 0; i < W * H; i++) {
		s16[i] = (int32_t)(i * 13 % 4000) - 2000;
		for (int c = 0; c < 3; c++)
			rgb[i * 3 + c] = (i * (c + 1)) & 255;
	}
	struct ml_buf enc;
	ml_buf_init(&enc, 0);
	struct ml_err err;
	struct media_frame f;
	media_frame_init(&f);
	CHECK(testenc_j2k(s16, W, H, 1, 16, 1, 0, &enc) == 0);
	struct media_image_desc d = desc(H, W, 1, 16, 16, 1, MEDIA_PI_MONOCHROME2, TS_J2K);
	CHECK(media_decode_j2k(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
	for (int i = 0; i < W * H; i++)
		CHECK_EQ_INT(((int16_t *)f.data)[i], s16[i]);
	for (size_t cut = 0; cut < enc.len; cut += enc.len / 7 + 1)
		if (media_decode_j2k(&d, (uint8_t *)enc.data, cut, &f, &err) == 0) CHECK(f.data != NULL);
	ml_buf_reset(&enc);
	CHECK(testenc_j2k(rgb, W, H, 3, 8, 0, 1, &enc) == 0);
	d = desc(H, W, 3, 8, 8, 0, MEDIA_PI_YBR_RCT, TS_J2K);
	CHECK(media_decode_j2k(&d, (uint8_t *)enc.data, enc.len, &f, &err) == 0);
	for (int i = 0; i < W * H * 3; i++)
		CHECK_EQ_INT(((uint8_t *)f.data)[i], rgb[i]);
	media_frame_release(&f);
	ml_buf_release(&enc);
}

/* Builds an encapsulated Pixel Data value: BOT (if with_bot) then the given fragments. */
static void encap_build(struct ml_buf *b, const uint8_t **frag, const size_t *len, size_t n, const uint32_t *bot,
			size_t nbot)
{
	uint8_t hdr[8] = {0xFE, 0xFF, 0x00, 0xE0};
	uint32_t l = (uint32_t)(nbot * 4);
	memcpy(hdr + 4, &l, 4);
	CHECK(ml_buf_append(b, hdr, 8) == 0);
	CHECK(ml_buf_append(b, bot, nbot * 4) == 0);
	for (size_t i = 0; i < n; i++) {
		l = (uint32_t)len[i];
		memcpy(hdr + 4, &l, 4);
		CHECK(ml_buf_append(b, hdr, 8) == 0);
		CHECK(ml_buf_append(b, frag[i], len[i]) == 0);
	}
	uint8_t end[8] = {0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0};
	CHECK(ml_buf_append(b, end, 8) == 0);
}

TEST(encap_offset_tables_and_fragment_rules)
{
	/* Three frames: frame 1 spans two fragments. */
	static const uint8_t a[] = {0xFF, 0xD8, 1, 2}, b1[] = {0xFF, 0xD8, 3, 4, 5, 6}, b2[] = {7, 8}, c[] = {0xFF, 0xD8};
	const uint8_t *frag[] = {a, b1, b2, c};
	size_t len[] = {4, 6, 2, 2};
	uint32_t bot[] = {0, 12, 12 + 14 + 10};
	struct ml_buf v;
	ml_buf_init(&v, 0);
	encap_build(&v, frag, len, 4, bot, 3);
	struct media_encap e;
	media_encap_init(&e);
	struct ml_err err;
	CHECK(media_encap_parse(&e, (uint8_t *)v.data, v.len, &err) == 0);
	CHECK_EQ_INT(e.nfrags, 4);
	size_t first, count;
	uint64_t trim;
	CHECK(media_encap_frame(&e, 3, 1, &first, &count, &trim, &err) == 0);
	CHECK_EQ_INT(first, 1);
	CHECK_EQ_INT(count, 2);
	CHECK(media_encap_frame(&e, 3, 2, &first, &count, &trim, &err) == 0);
	CHECK_EQ_INT(first, 3);
	CHECK(media_encap_frame(&e, 2, 0, &first, &count, &trim, &err) < 0); /* BOT has 3 entries */
	media_encap_release(&e);
	/* Without a table: JPEG start markers split the frames. */
	ml_buf_reset(&v);
	encap_build(&v, frag, len, 4, NULL, 0);
	CHECK(media_encap_parse(&e, (uint8_t *)v.data, v.len, &err) == 0);
	CHECK(media_encap_frame(&e, 3, 1, &first, &count, &trim, &err) == 0);
	CHECK_EQ_INT(first, 1);
	CHECK_EQ_INT(count, 2);
	CHECK(media_encap_frame(&e, 4, 1, &first, &count, &trim, &err) == 0); /* one per fragment */
	CHECK_EQ_INT(count, 1);
	/* Extended offset table. */
	uint64_t eot[3] = {0, 12, 36}, eotl[3] = {4, 8, 2};
	e.eot = (uint8_t *)eot;
	e.eot_len = 24;
	e.eot_lengths = (uint8_t *)eotl;
	e.eot_lengths_len = 24;
	CHECK(media_encap_frame(&e, 3, 1, &first, &count, &trim, &err) == 0);
	CHECK_EQ_INT(first, 1);
	CHECK_EQ_INT(count, 2);
	CHECK_EQ_INT(trim, 8);
	eot[2] = 35;
	CHECK(media_encap_frame(&e, 3, 2, &first, &count, &trim, &err) < 0);
	media_encap_release(&e);
	/* Damaged items. */
	CHECK(media_encap_parse(&e, (uint8_t *)v.data, 13, &err) < 0);
	media_encap_release(&e);
	v.data[8] = 0x11;
	CHECK(media_encap_parse(&e, (uint8_t *)v.data, v.len, &err) < 0);
	CHECK(strstr(err.msg, "byte 8") != NULL);
	media_encap_release(&e);
	ml_buf_release(&v);
}

TEST(palette_luts_standard_and_segmented)
{
	struct media_palette pal;
	media_palette_init(&pal);
	struct ml_err err;
	uint8_t r8[4] = {0, 85, 170, 255};
	int32_t d8[3] = {4, 10, 8};
	CHECK(media_lut_set(&pal.red, d8, r8, 4, &err) == 0);
	uint16_t g16[4] = {0, 1000, 2000, 65535};
	int32_t d16[3] = {4, 10, 16};
	CHECK(media_lut_set(&pal.green, d16, (uint8_t *)g16, 8, &err) == 0);
	/* blue: segmented: discrete 2 values, linear to 300 over 2 entries */
	uint16_t seg[] = {0, 2, 100, 200, 1, 2, 300};
	CHECK(media_lut_set_segmented(&pal.blue, d16, (uint8_t *)seg, sizeof(seg), &err) == 0);
	CHECK_EQ_INT(pal.blue.data[3], 300);
	CHECK_EQ_INT(pal.blue.data[2], 250);
	uint16_t bad[] = {1, 2, 300};
	struct media_lut l;
	media_lut_init(&l);
	CHECK(media_lut_set_segmented(&l, d16, (uint8_t *)bad, sizeof(bad), &err) < 0);
	struct media_frame f;
	media_frame_init(&f);
	CHECK(media_frame_alloc(&f, 1, 3, 1, MEDIA_U8, &err) == 0);
	f.photometric = MEDIA_PI_PALETTE_COLOR;
	((uint8_t *)f.data)[0] = 9;  /* below first: entry 0 */
	((uint8_t *)f.data)[1] = 11;
	((uint8_t *)f.data)[2] = 50; /* above: last entry */
	CHECK(media_frame_to_rgb(&f, &pal, &err) == 0);
	uint16_t *o = f.data;
	CHECK_EQ_INT(f.dtype, MEDIA_U16);
	CHECK_EQ_INT(o[0], 0);
	CHECK_EQ_INT(o[3], 85);
	CHECK_EQ_INT(o[4], 1000);
	CHECK_EQ_INT(o[5], 200);
	CHECK_EQ_INT(o[8], 300);
	media_frame_release(&f);
	media_palette_release(&pal);
}

TEST(desc_validation_names_the_problem)
{
	struct ml_err err;
	struct media_image_desc d = desc(10, 10, 1, 16, 17, 0, MEDIA_PI_MONOCHROME2, TS_LE);
	CHECK(media_desc_validate(&d, &err) < 0);
	CHECK(strstr(err.msg, "bits stored") != NULL);
	d = desc(10, 10, 3, 8, 8, 0, MEDIA_PI_MONOCHROME2, TS_LE);
	CHECK(media_desc_validate(&d, &err) < 0);
	d = desc(0, 10, 1, 8, 8, 0, MEDIA_PI_MONOCHROME2, TS_LE);
	CHECK(media_desc_validate(&d, &err) < 0);
	CHECK_EQ_INT(media_syntax_of_uid("1.2.840.10008.1.2.4.70 "), MEDIA_TS_JPEG_LOSSLESS);
	CHECK(media_syntax_uid_is_lossy("1.2.840.10008.1.2.4.50"));
	CHECK(!media_syntax_uid_is_lossy("1.2.840.10008.1.2.4.90"));
}

#include "media/media_int.h"

/* Our DCT decoder (used for 12-bit data) against libjpeg-turbo on 8-bit baseline streams. */
TEST(own_dct_decoder_agrees_with_libjpeg)
{
	enum { W = 45, H = 37 };
	uint8_t px[W * H * 3];
	for (int i = 0; i < W * H * 3; i++)
		px[i] = (uint8_t)((i % (W * 3)) * 2 + (i / (W * 3)) * 3 + (int)(rnd() % 40));
	for (int ncomp = 1; ncomp <= 3; ncomp += 2) {
		struct ml_buf enc;
		ml_buf_init(&enc, 0);
		CHECK(testenc_jpeg_baseline(px, W, H, ncomp, 75, 0, &enc) == 0);
		struct media_image_desc d = desc(H, W, (uint16_t)ncomp, 8, 8, 0,
						 ncomp == 3 ? MEDIA_PI_RGB : MEDIA_PI_MONOCHROME2, TS_JPEG_BASE);
		struct media_frame a, b;
		media_frame_init(&a);
		media_frame_init(&b);
		struct ml_err err;
		CHECK(media_decode_jpeg(&d, (uint8_t *)enc.data, enc.len, &a, &err) == 0);
		CHECK(media_decode_jpeg_dct(&d, (uint8_t *)enc.data, enc.len, &b, &err) == 0);
		CHECK_EQ_INT(a.len, b.len);
		int maxd = 0;
		for (size_t i = 0; i < a.len; i++) {
			int dd = abs(((uint8_t *)a.data)[i] - ((uint8_t *)b.data)[i]);
			maxd = dd > maxd ? dd : maxd;
		}
		CHECK(maxd <= 1);
		/* Truncations and corruptions fail or decode, never crash. */
		uint8_t *bad = malloc(enc.len);
		for (int k = 0; k < 500; k++) {
			memcpy(bad, enc.data, enc.len);
			bad[rnd() % enc.len] = (uint8_t)rnd();
			size_t cut = enc.len - rnd() % (enc.len / 2);
			if (media_decode_jpeg_dct(&d, bad, cut, &b, &err) == 0)
				CHECK(b.len == a.len);
		}
		free(bad);
		media_frame_release(&a);
		media_frame_release(&b);
		ml_buf_release(&enc);
	}
}
