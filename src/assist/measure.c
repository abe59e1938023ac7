/* measure.c: region measurements (area, volume, intensity statistics, longest diameter) and keyframe box
 * interpolation. */
#include "assist/assist.h"

#include <math.h>
#include <stdlib.h>

int assist_measure(const struct assist_grid *g, const uint8_t *mask, const double spacing[3],
		   struct assist_stats *out, struct ml_err *err)
{
	uint32_t nz = g->dims[2] ? g->dims[2] : 1;
	uint64_t n = (uint64_t)g->dims[0] * g->dims[1] * nz;
	if (n == 0 || n > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_ELIMIT, "grid is empty or too large");
	if (!(spacing[0] > 0 && spacing[1] > 0 && (nz == 1 || spacing[2] > 0)))
		return ml_err_set(err, ML_EINVAL, "voxel spacing must be positive");
	struct assist_stats s = {0};
	double sum = 0, sum2 = 0;
	for (size_t i = 0; i < (size_t)n; i++) {
		if (!mask[i])
			continue;
		s.count++;
		if (g->values) {
			double v = g->values[i];
			sum += v;
			sum2 += v * v;
			if (s.count == 1 || v < s.min)
				s.min = v;
			if (s.count == 1 || v > s.max)
				s.max = v;
		}
	}
	if (nz == 1)
		s.size = (double)s.count * spacing[0] * spacing[1];
	else
		s.size = (double)s.count * spacing[0] * spacing[1] * spacing[2] / 1000.0;
	if (s.count && g->values) {
		s.mean = sum / (double)s.count;
		double var = sum2 / (double)s.count - s.mean * s.mean;
		s.sd = var > 0 ? sqrt(var) : 0;
	}
	*out = s;
	return 0;
}

struct pt {
	double x, y;
};

static int cmp_pt(const void *a, const void *b)
{
	const struct pt *p = a, *q = b;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return p->y < q->y ? -1 : p->y > q->y;
}

static double cross(struct pt o, struct pt a, struct pt b)
{
	return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

int assist_longest_diameter(const uint8_t *mask, uint32_t h, uint32_t w, const double spacing[2], double *mm,
			    double ends[4], struct ml_err *err)
{
	*mm = 0;
	if ((uint64_t)h * w > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_ELIMIT, "mask of %ux%u too large", (unsigned)w, (unsigned)h);
	if (!(spacing[0] > 0 && spacing[1] > 0))
		return ml_err_set(err, ML_EINVAL, "pixel spacing must be positive");
	/* The corners of boundary pixels, in mm; the diameter is attained between convex hull vertices. */
	size_t cap = 256, n = 0;
	struct pt *p = ml_malloc(cap * sizeof(*p));
	if (!p)
		return ml_err_set(err, ML_ENOMEM, "out of memory measuring a region");
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			if (!mask[(size_t)y * w + x])
				continue;
			bool edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask[(size_t)y * w + x - 1] ||
				    !mask[(size_t)y * w + x + 1] || !mask[(size_t)(y - 1) * w + x] ||
				    !mask[(size_t)(y + 1) * w + x];
			if (!edge)
				continue;
			if (n + 4 > cap) {
				struct pt *q = ml_realloc(p, (cap *= 2) * sizeof(*p));
				if (!q) {
					ml_free(p);
					return ml_err_set(err, ML_ENOMEM, "out of memory measuring a region");
				}
				p = q;
			}
			for (int c = 0; c < 4; c++)
				p[n++] = (struct pt){(x + (c & 1)) * spacing[0], (y + (c >> 1)) * spacing[1]};
		}
	if (n == 0) {
		ml_free(p);
		return 0;
	}
	qsort(p, n, sizeof(*p), cmp_pt);
	struct pt *hull = ml_malloc(2 * n * sizeof(*hull));
	if (!hull) {
		ml_free(p);
		return ml_err_set(err, ML_ENOMEM, "out of memory measuring a region");
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) { /* lower hull (Andrew's monotone chain) */
		while (k >= 2 && cross(hull[k - 2], hull[k - 1], p[i]) <= 0)
			k--;
		hull[k++] = p[i];
	}
	for (size_t i = n - 1, t = k + 1; i-- > 0;) { /* upper hull */
		while (k >= t && cross(hull[k - 2], hull[k - 1], p[i]) <= 0)
			k--;
		hull[k++] = p[i];
	}
	double best = 0;
	size_t bi = 0, bj = 0;
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++) {
			double dx = hull[i].x - hull[j].x, dy = hull[i].y - hull[j].y, d = dx * dx + dy * dy;
			if (d > best) {
				best = d;
				bi = i;
				bj = j;
			}
		}
	*mm = sqrt(best);
	if (ends) {
		ends[0] = hull[bi].x / spacing[0];
		ends[1] = hull[bi].y / spacing[1];
		ends[2] = hull[bj].x / spacing[0];
		ends[3] = hull[bj].y / spacing[1];
	}
	ml_free(hull);
	ml_free(p);
	return 0;
}

int assist_box_interpolate(const double a[4], uint32_t fa, const double b[4], uint32_t fb, uint32_t f, double out[4],
			   struct ml_err *err)
{
	if (fa >= fb || f < fa || f > fb)
		return ml_err_set(err, ML_EINVAL, "frame %u is not between keyframes %u and %u", (unsigned)f, (unsigned)fa,
				  (unsigned)fb);
	double t = (double)(f - fa) / (double)(fb - fa);
	for (int i = 0; i < 4; i++)
		out[i] = a[i] + (b[i] - a[i]) * t;
	return 0;
}
