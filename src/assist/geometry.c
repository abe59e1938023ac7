/* geometry.c: polygon rasterisation, thresholds, region growing, connected components, hole filling,
 * shape-based interpolation and Dice, on masks and value grids (see assist.h). */
#include "assist/assist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int grid_size(const uint32_t dims[3], size_t *n, struct ml_err *err)
{
	uint64_t v = (uint64_t)dims[0] * dims[1] * (dims[2] ? dims[2] : 1);
	if (dims[0] == 0 || dims[1] == 0 || v > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_ELIMIT, "grid of %ux%ux%u is empty or too large", (unsigned)dims[0],
				  (unsigned)dims[1], (unsigned)dims[2]);
	*n = (size_t)v;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int assist_polygon_fill(const double *xy, size_t n, uint32_t h, uint32_t w, uint8_t v, uint8_t *mask,
			struct ml_err *err)
{
	if (n < 3)
		return ml_err_set(err, ML_EINVAL, "a polygon needs at least 3 points, got %zu", n);
	if ((uint64_t)h * w > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_ELIMIT, "mask of %ux%u too large", (unsigned)w, (unsigned)h);
	for (size_t i = 0; i < 2 * n; i++)
		if (!isfinite(xy[i]))
			return ml_err_set(err, ML_EINVAL, "polygon point %zu is not a finite number", i / 2);
	double *xs = ml_malloc(n * sizeof(double));
	if (!xs)
		return ml_err_set(err, ML_ENOMEM, "out of memory filling a polygon");
	for (uint32_t y = 0; y < h; y++) {
		double yc = y + 0.5;
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			double x0 = xy[2 * i], y0 = xy[2 * i + 1];
			double x1 = xy[2 * ((i + 1) % n)], y1 = xy[2 * ((i + 1) % n) + 1];
			/* Half-open rule: a vertex on the scanline counts for one of its two edges only. */
			if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0))
				xs[k++] = x0 + (yc - y0) * (x1 - x0) / (y1 - y0);
		}
		qsort(xs, k, sizeof(double), cmp_double);
		for (size_t i = 0; i + 1 < k; i += 2) {
			double a = ceil(xs[i] - 0.5), b = ceil(xs[i + 1] - 0.5);
			if (a < 0)
				a = 0;
			if (b > w)
				b = w;
			for (double x = a; x < b; x++)
				mask[(size_t)y * w + (size_t)x] = v;
		}
	}
	ml_free(xs);
	return 0;
}

int assist_threshold(const struct assist_grid *g, float lo, float hi, uint8_t *mask, struct ml_err *err)
{
	size_t n = 0;
	if (grid_size(g->dims, &n, err) < 0)
		return -1;
	if (!g->values)
		return ml_err_set(err, ML_EINVAL, "threshold needs values");
	for (size_t i = 0; i < n; i++)
		mask[i] = g->values[i] >= lo && g->values[i] <= hi;
	return 0;
}

/* Neighbour offsets for a connectivity; returns their count (into off[26][3]). */
static int neighbours(int connectivity, bool three_d, int off[26][3])
{
	int k = 0;
	for (int dz = -1; dz <= 1; dz++)
		for (int dy = -1; dy <= 1; dy++)
			for (int dx = -1; dx <= 1; dx++) {
				int m = abs(dx) + abs(dy) + abs(dz);
				if (m == 0 || (!three_d && dz))
					continue;
				bool ok = (connectivity == 4 || connectivity == 6) ? m == 1
					  : connectivity == 8                      ? dz == 0
										   : true;
				if (ok) {
					off[k][0] = dx;
					off[k][1] = dy;
					off[k][2] = dz;
					k++;
				}
			}
	return k;
}

static int check_conn(int c, struct ml_err *err)
{
	if (c != 4 && c != 8 && c != 6 && c != 26)
		return ml_err_set(err, ML_EINVAL, "connectivity must be 4, 8, 6 or 26, not %d", c);
	return 0;
}

/* Breadth-first flood from start over voxels accepted by `in` (a mask value or a value range). */
struct flood {
	const uint32_t *dims;
	int off[26][3];
	int noff;
	size_t *queue;
};

static size_t flood(struct flood *fl, size_t start, bool (*in)(void *, size_t), void *ctx, void (*mark)(void *, size_t))
{
	size_t head = 0, tail = 0, nx = fl->dims[0], ny = fl->dims[1], nz = fl->dims[2] ? fl->dims[2] : 1;
	fl->queue[tail++] = start;
	mark(ctx, start);
	while (head < tail) {
		size_t i = fl->queue[head++];
		long x = (long)(i % nx), y = (long)((i / nx) % ny), z = (long)(i / (nx * ny));
		for (int k = 0; k < fl->noff; k++) {
			long X = x + fl->off[k][0], Y = y + fl->off[k][1], Z = z + fl->off[k][2];
			if (X < 0 || Y < 0 || Z < 0 || X >= (long)nx || Y >= (long)ny || Z >= (long)nz)
				continue;
			size_t j = ((size_t)Z * ny + (size_t)Y) * nx + (size_t)X;
			if (in(ctx, j)) {
				mark(ctx, j);
				fl->queue[tail++] = j;
			}
		}
	}
	return tail;
}

struct grow_ctx {
	const float *v;
	float lo, hi;
	uint8_t *seen, *mask;
};
static bool grow_in(void *c, size_t i)
{
	struct grow_ctx *g = c;
	return !g->seen[i] && g->v[i] >= g->lo && g->v[i] <= g->hi;
}
static void grow_mark(void *c, size_t i)
{
	struct grow_ctx *g = c;
	g->seen[i] = 1;
	g->mask[i] = 1;
}

int assist_region_grow(const struct assist_grid *g, const uint32_t seed[3], float lo, float hi, int connectivity,
		       uint8_t *mask, size_t *count, struct ml_err *err)
{
	size_t n = 0;
	*count = 0;
	if (grid_size(g->dims, &n, err) < 0 || check_conn(connectivity, err) < 0)
		return -1;
	uint32_t nz = g->dims[2] ? g->dims[2] : 1;
	if (!g->values)
		return ml_err_set(err, ML_EINVAL, "region growing needs values");
	if (seed[0] >= g->dims[0] || seed[1] >= g->dims[1] || seed[2] >= nz)
		return ml_err_set(err, ML_EINVAL, "seed (%u,%u,%u) outside the grid", (unsigned)seed[0], (unsigned)seed[1],
				  (unsigned)seed[2]);
	size_t s = ((size_t)seed[2] * g->dims[1] + seed[1]) * g->dims[0] + seed[0];
	if (!(g->values[s] >= lo && g->values[s] <= hi))
		return 0;
	struct flood fl = {.dims = g->dims};
	fl.noff = neighbours(connectivity, nz > 1, fl.off);
	fl.queue = ml_malloc(n * sizeof(size_t));
	uint8_t *seen = ml_calloc(n, 1);
	if (!fl.queue || !seen) {
		ml_free(fl.queue);
		ml_free(seen);
		return ml_err_set(err, ML_ENOMEM, "out of memory growing a region");
	}
	struct grow_ctx c = {g->values, lo, hi, seen, mask};
	*count = flood(&fl, s, grow_in, &c, grow_mark);
	ml_free(fl.queue);
	ml_free(seen);
	return 0;
}

int assist_magic_wand(const struct assist_grid *g, const uint32_t seed[3], float tolerance, int connectivity,
		      uint8_t *mask, size_t *count, struct ml_err *err)
{
	uint32_t nz = g->dims[2] ? g->dims[2] : 1;
	*count = 0;
	if (!g->values || seed[0] >= g->dims[0] || seed[1] >= g->dims[1] || seed[2] >= nz)
		return ml_err_set(err, ML_EINVAL, "magic wand seed outside the grid or no values");
	if (!(tolerance >= 0))
		return ml_err_set(err, ML_EINVAL, "magic wand tolerance must be non-negative");
	float v = g->values[((size_t)seed[2] * g->dims[1] + seed[1]) * g->dims[0] + seed[0]];
	return assist_region_grow(g, seed, v - tolerance, v + tolerance, connectivity, mask, count, err);
}

void assist_pack_bits(const uint8_t *mask, size_t n, uint8_t *out, unsigned bit_offset)
{
	for (size_t i = 0; i < n; i++) {
		size_t b = i + bit_offset;
		uint8_t bit = (uint8_t)(1u << (b & 7));
		if (mask[i])
			out[b >> 3] |= bit;
		else
			out[b >> 3] &= (uint8_t)~bit;
	}
}

void assist_unpack_bits(const uint8_t *bits, size_t n, unsigned bit_offset, uint8_t *mask)
{
	for (size_t i = 0; i < n; i++) {
		size_t b = i + bit_offset;
		mask[i] = (bits[b >> 3] >> (b & 7)) & 1;
	}
}

struct comp_ctx {
	const uint8_t *mask;
	uint32_t *labels;
	uint32_t label;
};
static bool comp_in(void *c, size_t i)
{
	struct comp_ctx *k = c;
	return k->mask[i] && !k->labels[i];
}
static void comp_mark(void *c, size_t i)
{
	struct comp_ctx *k = c;
	k->labels[i] = k->label;
}

int assist_components(const uint8_t *mask, const uint32_t dims[3], int connectivity, uint32_t *labels,
		      uint32_t *ncomp, size_t **sizes, struct ml_err *err)
{
	size_t n = 0;
	*ncomp = 0;
	*sizes = NULL;
	if (grid_size(dims, &n, err) < 0 || check_conn(connectivity, err) < 0)
		return -1;
	struct flood fl = {.dims = dims};
	fl.noff = neighbours(connectivity, dims[2] > 1, fl.off);
	fl.queue = ml_malloc(n * sizeof(size_t));
	size_t cap = 64, *sz = ml_malloc(cap * sizeof(size_t));
	if (!fl.queue || !sz) {
		ml_free(fl.queue);
		ml_free(sz);
		return ml_err_set(err, ML_ENOMEM, "out of memory labelling components");
	}
	memset(labels, 0, n * sizeof(uint32_t));
	sz[0] = 0;
	struct comp_ctx c = {mask, labels, 0};
	for (size_t i = 0; i < n; i++) {
		if (!mask[i] || labels[i])
			continue;
		if (c.label + 2 > cap) {
			size_t *g = ml_realloc(sz, (cap *= 2) * sizeof(size_t));
			if (!g) {
				ml_free(fl.queue);
				ml_free(sz);
				return ml_err_set(err, ML_ENOMEM, "out of memory labelling components");
			}
			sz = g;
		}
		c.label++;
		sz[c.label] = flood(&fl, i, comp_in, &c, comp_mark);
	}
	ml_free(fl.queue);
	*ncomp = c.label;
	*sizes = sz;
	return 0;
}

struct hole_ctx {
	uint8_t *mask;
	uint8_t *outside;
};
static bool hole_in(void *c, size_t i)
{
	struct hole_ctx *h = c;
	return !h->mask[i] && !h->outside[i];
}
static void hole_mark(void *c, size_t i)
{
	((struct hole_ctx *)c)->outside[i] = 1;
}

static int fill_holes_grid(uint8_t *mask, const uint32_t dims[3], struct ml_err *err)
{
	size_t n = 0;
	if (grid_size(dims, &n, err) < 0)
		return -1;
	uint32_t nx = dims[0], ny = dims[1], nz = dims[2] ? dims[2] : 1;
	struct flood fl = {.dims = dims};
	fl.noff = neighbours(nz > 1 ? 6 : 4, nz > 1, fl.off);
	fl.queue = ml_malloc(n * sizeof(size_t));
	uint8_t *outside = ml_calloc(n, 1);
	if (!fl.queue || !outside) {
		ml_free(fl.queue);
		ml_free(outside);
		return ml_err_set(err, ML_ENOMEM, "out of memory filling holes");
	}
	struct hole_ctx c = {mask, outside};
	for (uint32_t z = 0; z < nz; z++)
		for (uint32_t y = 0; y < ny; y++)
			for (uint32_t x = 0; x < nx; x++) {
				bool border = x == 0 || y == 0 || x == nx - 1 || y == ny - 1 ||
					      (nz > 1 && (z == 0 || z == nz - 1));
				size_t i = ((size_t)z * ny + y) * nx + x;
				if (border && hole_in(&c, i))
					flood(&fl, i, hole_in, &c, hole_mark);
			}
	for (size_t i = 0; i < n; i++)
		if (!mask[i] && !outside[i])
			mask[i] = 1;
	ml_free(fl.queue);
	ml_free(outside);
	return 0;
}

int assist_fill_holes(uint8_t *mask, const uint32_t dims[3], bool per_slice, struct ml_err *err)
{
	size_t n = 0;
	if (grid_size(dims, &n, err) < 0)
		return -1;
	if (!per_slice || dims[2] <= 1)
		return fill_holes_grid(mask, dims, err);
	uint32_t d2[3] = {dims[0], dims[1], 1};
	size_t plane = (size_t)dims[0] * dims[1];
	for (uint32_t z = 0; z < dims[2]; z++)
		if (fill_holes_grid(mask + z * plane, d2, err) < 0)
			return -1;
	return 0;
}

/* One-dimensional squared distance transform of f (lower envelope of parabolas, Felzenszwalb and
 * Huttenlocher 2012). Entries >= DT_BIG are "no feature" and take no part in the envelope, which keeps
 * the intersection arithmetic exact. d receives the result; v and z are scratch of n and n + 1. */
#define DT_BIG 1e30
static void dt1d(const double *f, size_t n, double *d, size_t *v, double *z)
{
	size_t k = 0;
	bool any = false;
	for (size_t q = 0; q < n; q++) {
		if (f[q] >= DT_BIG)
			continue;
		if (!any) {
			v[0] = q;
			z[0] = -INFINITY;
			z[1] = INFINITY;
			any = true;
			continue;
		}
		double s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * q - 2.0 * v[k]);
		while (s <= z[k]) {
			k--;
			s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * q - 2.0 * v[k]);
		}
		k++;
		v[k] = q;
		z[k] = s;
		z[k + 1] = INFINITY;
	}
	if (!any) {
		for (size_t q = 0; q < n; q++)
			d[q] = DT_BIG;
		return;
	}
	k = 0;
	for (size_t q = 0; q < n; q++) {
		while (z[k + 1] < (double)q)
			k++;
		double dq = (double)q - (double)v[k];
		d[q] = dq * dq + f[v[k]];
	}
}

/* Euclidean distance from each pixel to the nearest pixel where feature(mask) holds. */
static void edt(const uint8_t *mask, bool feature_is_fg, uint32_t h, uint32_t w, double *out, double *f, double *d,
		size_t *v, double *z)
{
	const double big = DT_BIG;
	for (size_t i = 0; i < (size_t)h * w; i++)
		out[i] = ((mask[i] != 0) == feature_is_fg) ? 0 : big;
	for (uint32_t y = 0; y < h; y++) {
		dt1d(out + (size_t)y * w, w, d, v, z);
		memcpy(out + (size_t)y * w, d, w * sizeof(double));
	}
	for (uint32_t x = 0; x < w; x++) {
		for (uint32_t y = 0; y < h; y++)
			f[y] = out[(size_t)y * w + x];
		dt1d(f, h, d, v, z);
		for (uint32_t y = 0; y < h; y++)
			out[(size_t)y * w + x] = sqrt(d[y]);
	}
}

int assist_interpolate(const uint8_t *a, const uint8_t *b, uint32_t h, uint32_t w, double t, uint8_t *out,
		       struct ml_err *err)
{
	if (h == 0 || w == 0 || (uint64_t)h * w > ASSIST_MAX_VOXELS / 8)
		return ml_err_set(err, ML_ELIMIT, "mask of %ux%u is empty or too large", (unsigned)w, (unsigned)h);
	if (!(t >= 0 && t <= 1))
		return ml_err_set(err, ML_EINVAL, "interpolation position must be in [0, 1]");
	size_t n = (size_t)h * w, m = h > w ? h : w;
	double *sa = ml_malloc(n * sizeof(double)), *sb = ml_malloc(n * sizeof(double));
	double *tmp = ml_malloc(n * sizeof(double)), *f = ml_malloc(m * sizeof(double));
	double *d = ml_malloc(m * sizeof(double)), *z = ml_malloc((m + 1) * sizeof(double));
	size_t *v = ml_malloc(m * sizeof(size_t));
	int rc = 0;
	if (!sa || !sb || !tmp || !f || !d || !z || !v) {
		rc = ml_err_set(err, ML_ENOMEM, "out of memory interpolating masks");
		goto done;
	}
	const uint8_t *src[2] = {a, b};
	double *sd[2] = {sa, sb};
	for (int s = 0; s < 2; s++) {
		/* signed distance: distance to the shape outside, minus distance to the background inside */
		edt(src[s], true, h, w, sd[s], f, d, v, z);
		edt(src[s], false, h, w, tmp, f, d, v, z);
		for (size_t i = 0; i < n; i++)
			sd[s][i] -= tmp[i];
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (1 - t) * sa[i] + t * sb[i] < 0;
done:
	ml_free(sa);
	ml_free(sb);
	ml_free(tmp);
	ml_free(f);
	ml_free(d);
	ml_free(z);
	ml_free(v);
	return rc;
}

double assist_dice(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t inter = 0, sa = 0, sb = 0;
	for (size_t i = 0; i < n; i++) {
		bool x = a[i] != 0, y = b[i] != 0;
		inter += x && y;
		sa += x;
		sb += y;
	}
	return sa + sb ? 2.0 * (double)inter / (double)(sa + sb) : 1.0;
}
