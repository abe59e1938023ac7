/* test_quality_geometry.c: box and polygon IoU (against exact areas and a fine raster), the Hungarian
 * algorithm against brute force, object matching, Dice, the distance transform and surface distances
 * against brute force, and STAPLE on generated masks with known rater quality. */
#include "harness.h"
#include "quality/quality.h"

#include <stdlib.h>

TEST(box_iou_known_values)
{
	struct agree_box a = {0, 0, 2, 2}, b = {1, 1, 3, 3}, c = {2, 0, 4, 2}, d = {3, 3, 1, 1};
	CHECK_NEAR(agree_box_iou(&a, &b), 1.0 / 7, 1e-15);
	CHECK_NEAR(agree_box_iou(&a, &c), 0, 0); /* touching edges share no area */
	CHECK_NEAR(agree_box_iou(&a, &a), 1, 0);
	CHECK_NEAR(agree_box_iou(&b, &d), 1, 0); /* swapped corners */
}

static double raster_iou(const struct agree_point *a, size_t na, const struct agree_point *b, size_t nb, double lo,
			 double hi, int steps)
{
	/* Even-odd point-in-polygon at the centre of each raster cell. */
	size_t inter = 0, uni = 0;
	double h = (hi - lo) / steps;
	for (int i = 0; i < steps; i++)
		for (int j = 0; j < steps; j++) {
			double x = lo + (i + 0.5) * h, y = lo + (j + 0.5) * h;
			bool in[2] = {false, false};
			const struct agree_point *ps[2] = {a, b};
			size_t ns[2] = {na, nb};
			for (int k = 0; k < 2; k++)
				for (size_t e = 0, f = ns[k] - 1; e < ns[k]; f = e++) {
					struct agree_point p = ps[k][e], q = ps[k][f];
					if ((p.y > y) != (q.y > y) && x < (q.x - p.x) * (y - p.y) / (q.y - p.y) + p.x)
						in[k] = !in[k];
				}
			inter += in[0] && in[1];
			uni += in[0] || in[1];
		}
	return (double)inter / (double)uni;
}

TEST(polygon_iou_exact_cases)
{
	struct ml_err err;
	double iou;
	/* Axis-aligned squares: the box formula. Clockwise b with a repeated closing vertex. */
	struct agree_point a[] = {{0, 0}, {2, 0}, {2, 2}, {0, 2}};
	struct agree_point b[] = {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}};
	CHECK(agree_polygon_iou(a, 4, b, 5, &iou, &err) == 0);
	CHECK_NEAR(iou, 1.0 / 7, 1e-12);
	/* An L (area 3) and the unit square in its notch: no overlap. */
	struct agree_point L[] = {{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}};
	struct agree_point notch[] = {{1, 1}, {2, 1}, {2, 2}, {1, 2}};
	CHECK(agree_polygon_iou(L, 6, notch, 4, &iou, &err) == 0);
	CHECK_NEAR(iou, 0, 1e-12);
	/* The L and the 2x2 square: intersection 3, union 4. */
	CHECK(agree_polygon_iou(L, 6, a, 4, &iou, &err) == 0);
	CHECK_NEAR(iou, 0.75, 1e-12);
	/* A square and the same square rotated by 45 degrees about its centre: intersection is the regular
	 * octagon of area 2(sqrt2 - 1) * side^2 ... for side 2: 8 (sqrt2 - 1); union 8 - that. */
	double r = sqrt(2);
	struct agree_point rot[] = {{1, 1 - r}, {1 + r, 1}, {1, 1 + r}, {1 - r, 1}};
	CHECK(agree_polygon_iou(a, 4, rot, 4, &iou, &err) == 0);
	double oct = 8 * (r - 1);
	CHECK_NEAR(iou, oct / (8 - oct), 1e-12);
	/* Collinear extra vertices change nothing. */
	struct agree_point a2[] = {{0, 0}, {1, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 1}};
	CHECK(agree_polygon_iou(a2, 6, b, 5, &iou, &err) == 0);
	CHECK_NEAR(iou, 1.0 / 7, 1e-12);
}

TEST(polygon_iou_concave_random_against_raster)
{
	/* Star-shaped concave polygons (random radii around a centre) are simple; compare with a 1000 x 1000
	 * raster estimate. */
	struct agree_rng r;
	agree_rng_seed(&r, 5);
	for (int trial = 0; trial < 6; trial++) {
		struct agree_point a[12], b[9];
		for (int i = 0; i < 12; i++) {
			double t = 2 * M_PI * i / 12, rad = 1 + 2 * agree_rng_unit(&r);
			a[i] = (struct agree_point){5 + rad * cos(t), 5 + rad * sin(t)};
		}
		for (int i = 0; i < 9; i++) {
			double t = -2 * M_PI * i / 9, rad = 1 + 2.5 * agree_rng_unit(&r);
			b[i] = (struct agree_point){5.7 + rad * cos(t), 4.6 + rad * sin(t)};
		}
		double iou;
		struct ml_err err;
		CHECK(agree_polygon_iou(a, 12, b, 9, &iou, &err) == 0);
		double est = raster_iou(a, 12, b, 9, 0, 10, 1000);
		CHECK_NEAR(iou, est, 3e-3);
	}
}

TEST(polygon_errors)
{
	struct ml_err err;
	double iou;
	struct agree_point bow[] = {{0, 0}, {2, 2}, {2, 0}, {0, 2}}; /* a bow tie crosses itself */
	struct agree_point sq[] = {{0, 0}, {1, 0}, {1, 1}};
	CHECK(agree_polygon_iou(bow, 4, sq, 3, &iou, &err) < 0);
	CHECK(strstr(err.msg, "not a simple polygon") != NULL);
	struct agree_point two[] = {{0, 0}, {1, 0}, {0, 0}};
	CHECK(agree_polygon_iou(two, 3, sq, 3, &iou, &err) < 0);
	struct agree_point nanp[] = {{0, 0}, {NAN, 0}, {0, 1}};
	CHECK(agree_polygon_iou(nanp, 3, sq, 3, &iou, &err) < 0);
}

static double brute_best(const double *c, size_t n, size_t m, size_t row, bool *used)
{
	/* Minimum over all ways to give rows row..n-1 distinct columns (n <= m). */
	if (row == n)
		return 0;
	double best = INFINITY;
	for (size_t j = 0; j < m; j++) {
		if (used[j])
			continue;
		used[j] = true;
		double v = c[row * m + j] + brute_best(c, n, m, row + 1, used);
		used[j] = false;
		if (v < best)
			best = v;
	}
	return best;
}

TEST(hungarian_matches_brute_force)
{
	struct agree_rng r;
	agree_rng_seed(&r, 17);
	for (int trial = 0; trial < 300; trial++) {
		size_t n = 1 + agree_rng_below(&r, 6), m = 1 + agree_rng_below(&r, 6);
		double c[36], ct[36];
		for (size_t i = 0; i < n * m; i++)
			c[i] = trial % 3 == 0 ? (double)agree_rng_below(&r, 4) : agree_rng_unit(&r) * 10 - 3; /* ties too */
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < m; j++)
				ct[j * n + i] = c[i * m + j];
		bool used[6] = {false};
		double want = n <= m ? brute_best(c, n, m, 0, used) : brute_best(ct, m, n, 0, used);
		long a[6];
		double total;
		struct ml_err err;
		CHECK(agree_hungarian(c, n, m, a, &total, &err) == 0);
		CHECK_NEAR(total, want, 1e-9);
		/* The assignment is what the total says, and one-to-one. */
		double sum = 0;
		size_t assigned = 0;
		bool col_used[6] = {false};
		for (size_t i = 0; i < n; i++) {
			if (a[i] < 0)
				continue;
			CHECK(!col_used[a[i]]);
			col_used[a[i]] = true;
			sum += c[i * m + (size_t)a[i]];
			assigned++;
		}
		CHECK_EQ_INT(assigned, n < m ? n : m);
		CHECK_NEAR(sum, total, 1e-9);
	}
}

TEST(match_boxes_at_threshold)
{
	/* Two references; the other annotator found one of them well, one poorly, and a false positive. */
	struct agree_box a[] = {{0, 0, 10, 10}, {20, 20, 30, 30}};
	struct agree_box b[] = {{21, 21, 31, 31}, {100, 100, 110, 110}, {5, 5, 15, 15}};
	struct agree_match m;
	struct ml_err err;
	CHECK(agree_match_boxes(a, 2, b, 3, 0.5, &m, &err) == 0);
	CHECK_EQ_INT(m.matched, 1);
	CHECK_EQ_INT(m.a_to_b[0], -1); /* IoU 25/175 < 0.5 */
	CHECK_EQ_INT(m.a_to_b[1], 0);
	CHECK_NEAR(m.mean_iou, 81.0 / 119, 1e-12);
	CHECK_NEAR(m.precision, 1.0 / 3, 1e-12);
	CHECK_NEAR(m.recall, 0.5, 1e-12);
	CHECK_NEAR(m.f1, 2.0 / 5, 1e-12);
	agree_match_release(&m);
	CHECK(agree_match_boxes(a, 2, b, 3, 0.1, &m, &err) == 0);
	CHECK_EQ_INT(m.matched, 2);
	agree_match_release(&m);
	/* Most matches first: a greedy best-IoU pick would match a0-b0 (0.6) and leave a1 alone. */
	double iou[] = {0.6, 0.55, 0.52, 0.0};
	CHECK(agree_match_iou(iou, 2, 2, 0.5, &m, &err) == 0);
	CHECK_EQ_INT(m.matched, 2);
	CHECK_EQ_INT(m.a_to_b[0], 1);
	agree_match_release(&m);
	CHECK(agree_match_iou(iou, 2, 2, 0, &m, &err) < 0);
}

static uint8_t *blob(struct agree_rng *r, size_t nx, size_t ny, size_t nz, double cx, double cy, double cz, double rad)
{
	uint8_t *v = ml_xcalloc(nx * ny * nz, 1);
	for (size_t z = 0; z < nz; z++)
		for (size_t y = 0; y < ny; y++)
			for (size_t x = 0; x < nx; x++) {
				double d = sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz));
				double jitter = r ? agree_rng_unit(r) * 1.5 : 0;
				v[(z * ny + y) * nx + x] = d + jitter <= rad;
			}
	return v;
}

TEST(dice_known_values)
{
	uint8_t a[] = {1, 1, 1, 1, 0, 0}, b[] = {0, 0, 1, 1, 1, 1}, e[6] = {0};
	struct agree_mask ma = {a, 6, 1, 1, 1, 1, 1}, mb = {b, 6, 1, 1, 1, 1, 1}, me = {e, 6, 1, 1, 1, 1, 1};
	double d;
	struct ml_err err;
	CHECK(agree_dice(&ma, &mb, &d, &err) == 0);
	CHECK_NEAR(d, 0.5, 1e-15);
	CHECK(agree_dice(&me, &me, &d, &err) == 0);
	CHECK_NEAR(d, 1, 0);
	struct agree_mask small = {a, 3, 1, 1, 1, 1, 1};
	CHECK(agree_dice(&ma, &small, &d, &err) < 0);
}

TEST(edt_matches_brute_force_anisotropic)
{
	struct agree_rng r;
	agree_rng_seed(&r, 23);
	size_t nx = 13, ny = 9, nz = 7, n = nx * ny * nz;
	uint8_t *f = ml_xcalloc(n, 1);
	for (size_t i = 0; i < n; i++)
		f[i] = agree_rng_below(&r, 40) == 0;
	double *d = ml_xmalloc(n * sizeof(double));
	struct ml_err err;
	double sx = 0.7, sy = 1.3, sz = 2.5;
	CHECK(agree_edt_squared(f, nx, ny, nz, sx, sy, sz, d, &err) == 0);
	for (size_t i = 0; i < n; i++) {
		double best = INFINITY;
		for (size_t j = 0; j < n; j++) {
			if (!f[j])
				continue;
			double dx = ((double)(i % nx) - (double)(j % nx)) * sx;
			double dy = ((double)(i / nx % ny) - (double)(j / nx % ny)) * sy;
			double dz = ((double)(i / nx / ny) - (double)(j / nx / ny)) * sz;
			double v = dx * dx + dy * dy + dz * dz;
			if (v < best)
				best = v;
		}
		CHECK_NEAR(d[i], best, 1e-9);
	}
	ml_free(f);
	ml_free(d);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Brute force surface distances (O(surface^2)) with the same surface definition. */
static void brute_surface(const struct agree_mask *a, const struct agree_mask *b, struct agree_surface_distance *o)
{
	size_t nx = a->nx, ny = a->ny, nz = a->nz, n = nx * ny * nz;
	const struct agree_mask *m[2] = {a, b};
	double *dist[2];
	size_t cnt[2];
	uint8_t *s[2];
	for (int k = 0; k < 2; k++) {
		s[k] = ml_xcalloc(n, 1);
		for (size_t z = 0; z < nz; z++)
			for (size_t y = 0; y < ny; y++)
				for (size_t x = 0; x < nx; x++) {
					size_t i = (z * ny + y) * nx + x;
					if (!m[k]->v[i])
						continue;
					int nb[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};
					for (int q = 0; q < 6; q++) {
						long X = (long)x + nb[q][0], Y = (long)y + nb[q][1], Z = (long)z + nb[q][2];
						if (nz == 1 && nb[q][2])
							continue;
						if (X < 0 || Y < 0 || Z < 0 || X >= (long)nx || Y >= (long)ny || Z >= (long)nz ||
						    !m[k]->v[((size_t)Z * ny + (size_t)Y) * nx + (size_t)X])
							s[k][i] = 1;
					}
				}
	}
	double sum = 0;
	for (int k = 0; k < 2; k++) {
		dist[k] = ml_xmalloc(n * sizeof(double));
		cnt[k] = 0;
		for (size_t i = 0; i < n; i++) {
			if (!s[k][i])
				continue;
			double best = INFINITY;
			for (size_t j = 0; j < n; j++) {
				if (!s[1 - k][j])
					continue;
				double dx = ((double)(i % nx) - (double)(j % nx)) * a->sx;
				double dy = ((double)(i / nx % ny) - (double)(j / nx % ny)) * a->sy;
				double dz = ((double)(i / nx / ny) - (double)(j / nx / ny)) * a->sz;
				best = fmin(best, sqrt(dx * dx + dy * dy + dz * dz));
			}
			dist[k][cnt[k]++] = best;
			sum += best;
		}
		qsort(dist[k], cnt[k], sizeof(double), cmpd);
	}
	o->hd = fmax(dist[0][cnt[0] - 1], dist[1][cnt[1] - 1]);
	o->hd95 = fmax(agree_quantile_sorted(dist[0], cnt[0], 0.95), agree_quantile_sorted(dist[1], cnt[1], 0.95));
	o->assd = sum / (double)(cnt[0] + cnt[1]);
	for (int k = 0; k < 2; k++) {
		ml_free(dist[k]);
		ml_free(s[k]);
	}
}

TEST(surface_distances_match_brute_force)
{
	struct agree_rng r;
	agree_rng_seed(&r, 29);
	size_t nx = 20, ny = 18, nz = 12;
	uint8_t *a = blob(&r, nx, ny, nz, 9, 8, 6, 6), *b = blob(&r, nx, ny, nz, 11, 9, 5, 5.5);
	struct agree_mask ma = {a, nx, ny, nz, 0.8, 0.8, 2.0}, mb = {b, nx, ny, nz, 0.8, 0.8, 2.0};
	struct agree_surface_distance got, want;
	struct ml_err err;
	CHECK(agree_surface_distances(&ma, &mb, &got, &err) == 0);
	brute_surface(&ma, &mb, &want);
	CHECK_NEAR(got.hd, want.hd, 1e-9);
	CHECK_NEAR(got.hd95, want.hd95, 1e-9);
	CHECK_NEAR(got.assd, want.assd, 1e-9);
	CHECK(got.hd95 <= got.hd && got.hd95 > 0);
	ml_free(a);
	ml_free(b);
}

TEST(surface_distances_known_answers)
{
	/* Single voxels at (0,0) and (3,4) in 2-D: every distance is 5 (spacing 1), sqrt(6^2+4^2) with sx = 2. */
	uint8_t a[50] = {0}, b[50] = {0};
	a[0] = 1;
	b[4 * 10 + 3] = 1;
	struct agree_mask ma = {a, 10, 5, 1, 1, 1, 1}, mb = {b, 10, 5, 1, 1, 1, 1};
	struct agree_surface_distance d;
	struct ml_err err;
	CHECK(agree_surface_distances(&ma, &mb, &d, &err) == 0);
	CHECK_NEAR(d.hd, 5, 1e-12);
	CHECK_NEAR(d.hd95, 5, 1e-12);
	ma.sx = mb.sx = 2;
	CHECK(agree_surface_distances(&ma, &mb, &d, &err) == 0);
	CHECK_NEAR(d.hd, sqrt(52), 1e-12);
	/* A mask against itself: all zero. */
	CHECK(agree_surface_distances(&ma, &ma, &d, &err) == 0);
	CHECK_NEAR(d.hd, 0, 0);
	/* Two concentric squares 20x20 and 10x10 (2-D, spacing 0.5 mm): the inner square's surface is 5
	 * voxels from the outer one along the axes, so hd (from the outer corners) = 5 sqrt2 voxels. */
	size_t n = 40;
	uint8_t *o = ml_xcalloc(n * n, 1), *in = ml_xcalloc(n * n, 1);
	for (size_t y = 10; y < 30; y++)
		for (size_t x = 10; x < 30; x++) {
			o[y * n + x] = 1;
			in[y * n + x] = x >= 15 && x < 25 && y >= 15 && y < 25;
		}
	struct agree_mask mo = {o, n, n, 1, 0.5, 0.5, 1}, mi = {in, n, n, 1, 0.5, 0.5, 1};
	CHECK(agree_surface_distances(&mo, &mi, &d, &err) == 0);
	CHECK_NEAR(d.hd, 0.5 * 5 * sqrt(2), 1e-12);
	uint8_t e[50] = {0};
	struct agree_mask me = {e, 10, 5, 1, 1, 1, 1};
	CHECK(agree_surface_distances(&ma, &me, &d, &err) < 0);
	ml_free(o);
	ml_free(in);
}

TEST(staple_recovers_rater_quality)
{
	struct agree_rng r;
	agree_rng_seed(&r, 31);
	size_t nx = 48, n = nx * nx * nx;
	uint8_t *truth = blob(NULL, nx, nx, nx, 24, 24, 24, 14);
	double sens[] = {0.95, 0.9, 0.8, 0.97, 0.6}, spec[] = {0.99, 0.97, 0.995, 0.9, 0.98};
	uint8_t *m[5];
	for (int j = 0; j < 5; j++) {
		m[j] = ml_xmalloc(n);
		for (size_t i = 0; i < n; i++)
			m[j][i] = truth[i] ? agree_rng_unit(&r) < sens[j] : agree_rng_unit(&r) >= spec[j];
	}
	struct consensus_staple s;
	struct ml_err err;
	CHECK(consensus_staple((const uint8_t *const *)m, 5, n, NULL, &s, &err) == 0);
	CHECK(s.converged);
	for (int j = 0; j < 5; j++) {
		CHECK_NEAR(s.sensitivity[j], sens[j], 0.01);
		CHECK_NEAR(s.specificity[j], spec[j], 0.01);
	}
	/* The posterior follows Bayes' rule for each voxel's votes under the estimated parameters. */
	double la = log(s.prior), lb = log(1 - s.prior);
	for (int j = 0; j < 5; j++) {
		bool d = m[j][0] != 0;
		la += log(d ? s.sensitivity[j] : 1 - s.sensitivity[j]);
		lb += log(d ? 1 - s.specificity[j] : s.specificity[j]);
	}
	CHECK_NEAR(s.posterior[0], 1 / (1 + exp(lb - la)), 1e-6);
	/* The consensus (W >= 0.5) is nearly as good as the Bayes rule with the true rater parameters and the
	 * true prior (the best any per-voxel rule can do); it is not always better than the majority vote,
	 * because STAPLE's prior is the raters' mean foreground fraction, which false positives inflate. */
	double f = 0;
	for (size_t i = 0; i < n; i++)
		f += truth[i];
	f /= (double)n;
	size_t wrong = 0, oracle_wrong = 0, best_rater_wrong = n;
	for (size_t i = 0; i < n; i++) {
		wrong += (s.posterior[i] >= 0.5) != truth[i];
		double a = log(f), b = log(1 - f);
		for (int j = 0; j < 5; j++) {
			a += log(m[j][i] ? sens[j] : 1 - sens[j]);
			b += log(m[j][i] ? 1 - spec[j] : spec[j]);
		}
		oracle_wrong += (a >= b) != truth[i];
	}
	for (int j = 0; j < 5; j++) {
		size_t w = 0;
		for (size_t i = 0; i < n; i++)
			w += (m[j][i] != 0) != truth[i];
		if (w < best_rater_wrong)
			best_rater_wrong = w;
	}
	if (wrong > oracle_wrong * 11 / 10 + 10)
		printf("# staple wrong %zu, Bayes rule wrong %zu\n", wrong, oracle_wrong);
	CHECK(wrong <= oracle_wrong * 11 / 10 + 10);
	CHECK(wrong * 5 < best_rater_wrong);
	consensus_staple_release(&s);
	for (int j = 0; j < 5; j++)
		ml_free(m[j]);
	ml_free(truth);
	CHECK(consensus_staple(NULL, 0, 10, NULL, &s, &err) < 0);
}
