/* test_assist.c: COCO RLE (known strings and round trips), polygon fill, region growing, components, hole
 * filling and shape-based interpolation on generated shapes with known answers (Dice against the truth). */
#include "assist/assist.h"
#include "core/core.h"
#include "harness.h"

#include <stdlib.h>

static uint32_t rng = 99;
static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Disc of radius r at (cx, cy), pixel centres. */
static void disc(uint8_t *m, uint32_t h, uint32_t w, double cx, double cy, double r)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
			m[y * w + x] = dx * dx + dy * dy <= r * r;
		}
}

TEST(coco_rle_known_strings_and_round_trip)
{
	/* [[0,1],[1,1]]: column-major 0,1,1,1 → counts [1,3] → "13" */
	uint8_t m[4] = {0, 1, 1, 1}, back[4];
	uint32_t *c;
	size_t n;
	struct ml_err err;
	CHECK(assist_coco_rle_encode(m, 2, 2, &c, &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(c[0], 1);
	CHECK_EQ_INT(c[1], 3);
	struct ml_buf s;
	ml_buf_init(&s, 0);
	CHECK(assist_coco_rle_to_string(c, n, &s) == 0);
	CHECK_EQ_STR(s.data, "13");
	ml_free(c);
	/* Multi-character values and deltas (from the fourth count on): [100, 5, 40, 5] is stored as
	 * 100, 5, 40, 5-5=0; 100 = 4 + 3*32 → 'T' (4|0x20 + 48), '3'; 40 = 8 + 1*32 → 'X', '1'. */
	uint32_t k[4] = {100, 5, 40, 5};
	ml_buf_reset(&s);
	CHECK(assist_coco_rle_to_string(k, 4, &s) == 0);
	CHECK_EQ_STR(s.data, "T35X10");
	CHECK(assist_coco_rle_from_string(s.data, s.len, &c, &n, &err) == 0);
	CHECK_EQ_INT(n, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(c[i], k[i]);
	ml_free(c);
	/* Random masks round trip through counts and strings. */
	enum { H = 23, W = 31 };
	uint8_t r[H * W], r2[H * W];
	for (int t = 0; t < 50; t++) {
		for (int i = 0; i < H * W; i++)
			r[i] = (rnd() % 7) < (uint32_t)(t % 7);
		CHECK(assist_coco_rle_encode(r, H, W, &c, &n, &err) == 0);
		ml_buf_reset(&s);
		CHECK(assist_coco_rle_to_string(c, n, &s) == 0);
		ml_free(c);
		CHECK(assist_coco_rle_from_string(s.data, s.len, &c, &n, &err) == 0);
		CHECK(assist_coco_rle_decode(c, n, H, W, r2, &err) == 0);
		CHECK(memcmp(r, r2, sizeof(r)) == 0);
		ml_free(c);
	}
	uint32_t bad[2] = {3, 2};
	CHECK(assist_coco_rle_decode(bad, 2, 2, 2, back, &err) < 0);
	CHECK(assist_coco_rle_from_string("1\x7f", 2, &c, &n, &err) < 0);
	ml_buf_release(&s);
}

TEST(polygon_fill_matches_analytic_shapes)
{
	enum { H = 64, W = 80 };
	uint8_t m[H * W] = {0}, truth[H * W];
	/* Axis-aligned rectangle with corners on pixel edges: exact. */
	double rect[8] = {10, 5, 30, 5, 30, 25, 10, 25};
	struct ml_err err;
	CHECK(assist_polygon_fill(rect, 4, H, W, 1, m, &err) == 0);
	size_t cnt = 0;
	for (int i = 0; i < H * W; i++)
		cnt += m[i];
	CHECK_EQ_INT(cnt, 20 * 20);
	CHECK(m[5 * W + 10] && !m[4 * W + 10] && !m[5 * W + 30]);
	/* 128-gon approximating a disc: Dice against the analytic disc. */
	double poly[256];
	for (int i = 0; i < 128; i++) {
		poly[2 * i] = 40 + 20 * cos(2 * M_PI * i / 128);
		poly[2 * i + 1] = 30 + 20 * sin(2 * M_PI * i / 128);
	}
	memset(m, 0, sizeof(m));
	CHECK(assist_polygon_fill(poly, 128, H, W, 1, m, &err) == 0);
	disc(truth, H, W, 40, 30, 20);
	CHECK(assist_dice(m, truth, H * W) > 0.99);
	/* A polygon partly outside is clipped; a concave one follows the even-odd rule. */
	double out[8] = {-10, -10, 200, -10, 200, 3, -10, 3};
	memset(m, 0, sizeof(m));
	CHECK(assist_polygon_fill(out, 4, H, W, 2, m, &err) == 0);
	CHECK_EQ_INT(m[2 * W + W - 1], 2);
	CHECK_EQ_INT(m[3 * W], 0);
	double bad[6] = {0, 0, NAN, 1, 2, 2};
	CHECK(assist_polygon_fill(bad, 3, H, W, 1, m, &err) < 0);
	CHECK(assist_polygon_fill(bad, 2, H, W, 1, m, &err) < 0);
}

TEST(region_grow_recovers_a_noisy_sphere)
{
	enum { N = 40 };
	uint32_t dims[3] = {N, N, N};
	float *v = malloc(sizeof(float) * N * N * N);
	uint8_t *truth = calloc(N * N * N, 1), *m = calloc(N * N * N, 1);
	for (int z = 0; z < N; z++)
		for (int y = 0; y < N; y++)
			for (int x = 0; x < N; x++) {
				size_t i = ((size_t)z * N + y) * N + x;
				double d = sqrt(pow(x - 20.0, 2) + pow(y - 18.0, 2) + pow(z - 21.0, 2));
				truth[i] = d <= 12;
				/* a 60 HU lesion in 0 HU tissue, noise of +-15, and a separate 60 HU blob far away */
				v[i] = (float)((truth[i] ? 60 : 0) + (int)(rnd() % 31) - 15);
				if (sqrt(pow(x - 3.0, 2) + pow(y - 3.0, 2) + pow(z - 3.0, 2)) <= 2) {
					v[i] = 60;
				}
			}
	struct assist_grid g = {{N, N, N}, v};
	uint32_t seed[3] = {20, 18, 21};
	size_t count;
	struct ml_err err;
	CHECK(assist_region_grow(&g, seed, 40, 100, 6, m, &count, &err) == 0);
	CHECK(assist_dice(m, truth, N * N * N) > 0.98);
	CHECK(!m[(3 * N + 3) * N + 3]); /* the far blob is not connected */
	size_t grown = 0;
	for (size_t i = 0; i < (size_t)N * N * N; i++)
		grown += m[i];
	CHECK_EQ_INT(grown, count);
	/* Threshold takes both; components separate them. */
	CHECK(assist_threshold(&g, 40, 100, m, &err) == 0);
	uint32_t *labels = malloc(sizeof(uint32_t) * N * N * N), ncomp;
	size_t *sizes;
	CHECK(assist_components(m, dims, 6, labels, &ncomp, &sizes, &err) == 0);
	CHECK_EQ_INT(ncomp, 2);
	CHECK_EQ_INT(labels[(3 * N + 3) * N + 3], 1);
	CHECK_EQ_INT(sizes[2], count);
	ml_free(sizes);
	uint32_t bad_seed[3] = {N, 0, 0};
	CHECK(assist_region_grow(&g, bad_seed, 40, 100, 6, m, &count, &err) < 0);
	CHECK(assist_region_grow(&g, seed, 40, 100, 5, m, &count, &err) < 0);
	free(labels);
	free(v);
	free(truth);
	free(m);
}

TEST(components_connectivity_4_vs_8)
{
	/* Two pixels touching diagonally: 2 components with 4-connectivity, 1 with 8. */
	uint8_t m[9] = {1, 0, 0, 0, 1, 0, 0, 0, 0};
	uint32_t dims[3] = {3, 3, 1}, labels[9], n;
	size_t *sizes;
	struct ml_err err;
	CHECK(assist_components(m, dims, 4, labels, &n, &sizes, &err) == 0);
	CHECK_EQ_INT(n, 2);
	ml_free(sizes);
	CHECK(assist_components(m, dims, 8, labels, &n, &sizes, &err) == 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(sizes[1], 2);
	ml_free(sizes);
}

TEST(fill_holes_turns_rings_into_discs)
{
	enum { H = 50, W = 60 };
	uint8_t ring[H * W], inner[H * W], full[H * W];
	disc(full, H, W, 30, 25, 15);
	disc(inner, H, W, 30, 25, 8);
	for (int i = 0; i < H * W; i++)
		ring[i] = full[i] && !inner[i];
	/* An open ring (cut to the border) must not be filled. */
	uint8_t open[H * W];
	memcpy(open, ring, sizeof(ring));
	uint32_t dims[3] = {W, H, 1};
	struct ml_err err;
	CHECK(assist_fill_holes(ring, dims, true, &err) == 0);
	CHECK(memcmp(ring, full, sizeof(full)) == 0);
	for (int y = 0; y < 25; y++)
		open[y * W + 30] = 0;
	uint8_t before[H * W];
	memcpy(before, open, sizeof(open));
	CHECK(assist_fill_holes(open, dims, true, &err) == 0);
	CHECK(memcmp(open, before, sizeof(open)) == 0);
	/* 3-D: a hollow cube shell is filled in 3-D mode but not slice by slice at its caps. */
	enum { S = 12 };
	uint8_t cube[S * S * S] = {0};
	for (int z = 2; z < 10; z++)
		for (int y = 2; y < 10; y++)
			for (int x = 2; x < 10; x++)
				cube[(z * S + y) * S + x] = (x == 2 || x == 9 || y == 2 || y == 9 || z == 2 || z == 9);
	uint32_t d3[3] = {S, S, S};
	CHECK(assist_fill_holes(cube, d3, false, &err) == 0);
	CHECK_EQ_INT(cube[(5 * S + 5) * S + 5], 1);
}

TEST(shape_based_interpolation_between_discs)
{
	enum { H = 64, W = 64 };
	uint8_t a[H * W], b[H * W], mid[H * W], truth[H * W];
	disc(a, H, W, 32, 32, 10);
	disc(b, H, W, 32, 32, 20);
	struct ml_err err;
	CHECK(assist_interpolate(a, b, H, W, 0.5, mid, &err) == 0);
	disc(truth, H, W, 32, 32, 15);
	CHECK(assist_dice(mid, truth, H * W) > 0.97);
	CHECK(assist_interpolate(a, b, H, W, 0, mid, &err) == 0);
	CHECK(memcmp(mid, a, sizeof(a)) == 0);
	CHECK(assist_interpolate(a, b, H, W, 1, mid, &err) == 0);
	CHECK(memcmp(mid, b, sizeof(b)) == 0);
	/* A moving disc that overlaps its next position: halfway between centres 26 and 38. (Shapes that do
	 * not overlap at all vanish in between: the known limit of distance-map blending.) */
	disc(a, H, W, 26, 32, 10);
	disc(b, H, W, 38, 32, 10);
	CHECK(assist_interpolate(a, b, H, W, 0.5, mid, &err) == 0);
	disc(truth, H, W, 32, 32, 10);
	/* Distance-map blending of a translated disc gives a rounded lens of the right extent along the motion
	 * (20 pixels on the centre row), slightly narrower across it: Dice about 0.88 against the true disc. */
	CHECK(assist_dice(mid, truth, H * W) > 0.85);
	int row = 0;
	for (int x = 0; x < W; x++)
		row += mid[32 * W + x];
	CHECK(row >= 19 && row <= 21);
	CHECK(assist_interpolate(a, b, H, W, 1.5, mid, &err) < 0);
}

TEST(measurements_on_known_shapes)
{
	/* A 10x6 rectangle of value 5 and 7 (half each) at 0.5 x 2 mm pixels (1 mm² each): 60 mm², mean 6, SD 1. */
	enum { H = 20, W = 30 };
	uint8_t m[H * W] = {0};
	float v[H * W];
	for (int i = 0; i < H * W; i++)
		v[i] = -1000;
	for (int y = 4; y < 10; y++)
		for (int x = 3; x < 13; x++) {
			m[y * W + x] = 1;
			v[y * W + x] = x < 8 ? 5 : 7;
		}
	struct assist_grid g = {{W, H, 1}, v};
	double sp[3] = {0.5, 2, 0};
	struct assist_stats st;
	struct ml_err err;
	CHECK(assist_measure(&g, m, sp, &st, &err) == 0);
	CHECK_EQ_INT(st.count, 60);
	CHECK_NEAR(st.size, 60.0, 1e-9);
	CHECK_NEAR(st.mean, 6, 1e-9);
	CHECK_NEAR(st.sd, 1, 1e-9);
	CHECK_NEAR(st.min, 5, 0);
	CHECK_NEAR(st.max, 7, 0);
	/* Longest diameter: the rectangle's diagonal: 10 px * 0.5 = 5 mm by 6 px * 2 = 12 mm → 13 mm. */
	double d, ends[4];
	CHECK(assist_longest_diameter(m, H, W, sp, &d, ends, &err) == 0);
	CHECK_NEAR(d, 13, 1e-9);
	/* A sphere of radius 10 voxels at 1 mm: about 4.19 ml. */
	enum { N = 30 };
	uint8_t *s = calloc(N * N * N, 1);
	for (int z = 0; z < N; z++)
		for (int y = 0; y < N; y++)
			for (int x = 0; x < N; x++)
				s[(z * N + y) * N + x] = pow(x - 14.5, 2) + pow(y - 14.5, 2) + pow(z - 14.5, 2) <= 100;
	struct assist_grid g3 = {{N, N, N}, NULL};
	double sp3[3] = {1, 1, 1};
	CHECK(assist_measure(&g3, s, sp3, &st, &err) == 0);
	CHECK_NEAR(st.size, 4.0 / 3 * M_PI * 1000 / 1000, 0.1);
	free(s);
	/* A disc of radius 15 px at 0.7 mm: diameter close to 21 mm (pixel corners add up to one pixel). */
	uint8_t dm[64 * 64];
	disc(dm, 64, 64, 32, 32, 15);
	double sp2[2] = {0.7, 0.7};
	CHECK(assist_longest_diameter(dm, 64, 64, sp2, &d, NULL, &err) == 0);
	CHECK(d >= 21 - 0.01 && d <= 22.5);
	uint8_t empty[4] = {0};
	CHECK(assist_longest_diameter(empty, 2, 2, sp2, &d, NULL, &err) == 0);
	CHECK_NEAR(d, 0, 0);
	double a[4] = {0, 0, 10, 10}, b[4] = {10, 20, 30, 10}, o[4];
	CHECK(assist_box_interpolate(a, 2, b, 6, 3, o, &err) == 0);
	CHECK_NEAR(o[0], 2.5, 1e-12);
	CHECK_NEAR(o[1], 5, 1e-12);
	CHECK_NEAR(o[2], 15, 1e-12);
	CHECK(assist_box_interpolate(a, 2, b, 6, 7, o, &err) < 0);
}

TEST(magic_wand_and_seg_bit_packing)
{
	enum { H = 16, W = 16 };
	float v[H * W];
	uint8_t truth[H * W], m[H * W] = {0};
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			truth[y * W + x] = x >= 4 && x < 12 && y >= 3 && y < 9;
			v[y * W + x] = truth[y * W + x] ? 200.0f + (float)(x % 3) : 50.0f;
		}
	struct assist_grid g = {{W, H, 1}, v};
	uint32_t seed[3] = {6, 5, 0};
	size_t count;
	struct ml_err err;
	CHECK(assist_magic_wand(&g, seed, 5, 4, m, &count, &err) == 0);
	CHECK_EQ_INT(count, 48);
	CHECK(memcmp(m, truth, sizeof(m)) == 0);
	/* Two frames of 9 pixels packed back to back: 18 bits in 3 bytes, frame 1 starting at bit 9. */
	uint8_t f0[9] = {1, 0, 1, 1, 0, 0, 0, 0, 1}, f1[9] = {0, 1, 1, 1, 1, 1, 1, 1, 0}, bits[3] = {0};
	assist_pack_bits(f0, 9, bits, 0);
	assist_pack_bits(f1, 9, bits + 1, 1);
	CHECK_EQ_INT(bits[0], 0x0D);        /* 1,0,1,1,0,0,0,0 LSB first */
	CHECK_EQ_INT(bits[1], 0x01 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80); /* f0[8], then f1[0..6] */
	CHECK_EQ_INT(bits[2], 0x01);        /* f1[7] = 1, f1[8] = 0 */
	uint8_t back[9];
	assist_unpack_bits(bits + 1, 9, 1, back);
	CHECK(memcmp(back, f1, 9) == 0);
}
