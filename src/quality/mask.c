/* mask.c: Dice overlap, exact Euclidean distance transform and surface distances (Hausdorff, HD95,
 * average symmetric surface distance) of voxel masks with anisotropic spacing. */
#include "quality/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_mask(const struct agree_mask *m, const char *which, struct ml_err *err)
{
	if (!m->v || m->nx == 0 || m->ny == 0 || m->nz == 0)
		return ml_err_set(err, ML_EINVAL, "mask %s is empty (no voxels)", which);
	if (m->nx > SIZE_MAX / m->ny / m->nz / sizeof(double))
		return ml_err_set(err, ML_ELIMIT, "mask %s is too large", which);
	if (!(m->sx > 0) || !(m->sy > 0) || !(m->sz > 0) || isinf(m->sx) || isinf(m->sy) || isinf(m->sz))
		return ml_err_set(err, ML_EINVAL, "mask %s: voxel spacing must be finite and > 0", which);
	return 0;
}

static int check_pair(const struct agree_mask *a, const struct agree_mask *b, struct ml_err *err)
{
	if (check_mask(a, "a", err) < 0 || check_mask(b, "b", err) < 0)
		return -1;
	if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz)
		return ml_err_set(err, ML_EINVAL, "masks differ in size: %zux%zux%zu and %zux%zux%zu", a->nx, a->ny, a->nz,
				  b->nx, b->ny, b->nz);
	return 0;
}

int agree_dice(const struct agree_mask *a, const struct agree_mask *b, double *dice, struct ml_err *err)
{
	if (check_pair(a, b, err) < 0)
		return -1;
	size_t n = a->nx * a->ny * a->nz, na = 0, nb = 0, both = 0;
	for (size_t i = 0; i < n; i++) {
		bool x = a->v[i] != 0, y = b->v[i] != 0;
		na += x;
		nb += y;
		both += x && y;
	}
	*dice = na + nb ? 2.0 * (double)both / (double)(na + nb) : 1.0;
	return 0;
}

/* One line of the squared distance transform with sample spacing s (Felzenszwalb & Huttenlocher 2012):
 * d[p] = min_q (s (p - q))^2 + f[q], via the lower envelope of parabolas. v, z are scratch (n, n + 1). */
static void edt_1d(const double *f, double *d, size_t n, double s, size_t *v, double *z)
{
	size_t k = 0;
	size_t first = n;
	for (size_t q = 0; q < n; q++)
		if (isfinite(f[q])) {
			first = q;
			break;
		}
	if (first == n) {
		for (size_t q = 0; q < n; q++)
			d[q] = INFINITY;
		return;
	}
	double s2 = s * s;
	v[0] = first;
	z[0] = -INFINITY;
	z[1] = INFINITY;
	for (size_t q = first + 1; q < n; q++) {
		if (!isfinite(f[q]))
			continue;
		double x;
		for (;;) {
			size_t r = v[k];
			/* intersection of the parabolas rooted at q and r, in index units */
			x = ((f[q] + s2 * (double)q * (double)q) - (f[r] + s2 * (double)r * (double)r)) /
			    (2 * s2 * ((double)q - (double)r));
			if (x <= z[k] && k > 0)
				k--;
			else
				break;
		}
		if (x <= z[k]) { /* k == 0 and the new parabola dominates from the start */
			v[0] = q;
			z[0] = -INFINITY;
			z[1] = INFINITY;
			continue;
		}
		k++;
		v[k] = q;
		z[k] = x;
		z[k + 1] = INFINITY;
	}
	k = 0;
	for (size_t q = 0; q < n; q++) {
		while (z[k + 1] < (double)q)
			k++;
		double dq = s * ((double)q - (double)v[k]);
		d[q] = dq * dq + f[v[k]];
	}
}

int agree_edt_squared(const uint8_t *feature, size_t nx, size_t ny, size_t nz, double sx, double sy, double sz,
		      double *out, struct ml_err *err)
{
	size_t n = nx * ny * nz, len = nx > ny ? (nx > nz ? nx : nz) : (ny > nz ? ny : nz);
	double *f = ml_malloc(len * sizeof(double)), *d = ml_malloc(len * sizeof(double));
	double *z = ml_malloc((len + 1) * sizeof(double));
	size_t *v = ml_malloc(len * sizeof(size_t));
	if (!f || !d || !z || !v) {
		ml_free(f);
		ml_free(d);
		ml_free(z);
		ml_free(v);
		return ml_err_set(err, ML_ENOMEM, "out of memory for a distance transform");
	}
	for (size_t i = 0; i < n; i++)
		out[i] = feature[i] ? 0 : INFINITY;
	/* Separable: x lines, then y lines, then z lines, each exact for the squared Euclidean metric. */
	for (size_t zz = 0; zz < nz; zz++)
		for (size_t y = 0; y < ny; y++) {
			double *line = out + (zz * ny + y) * nx;
			memcpy(f, line, nx * sizeof(double));
			edt_1d(f, line, nx, sx, v, z);
		}
	if (ny > 1)
		for (size_t zz = 0; zz < nz; zz++)
			for (size_t x = 0; x < nx; x++) {
				for (size_t y = 0; y < ny; y++)
					f[y] = out[(zz * ny + y) * nx + x];
				edt_1d(f, d, ny, sy, v, z);
				for (size_t y = 0; y < ny; y++)
					out[(zz * ny + y) * nx + x] = d[y];
			}
	if (nz > 1)
		for (size_t y = 0; y < ny; y++)
			for (size_t x = 0; x < nx; x++) {
				for (size_t zz = 0; zz < nz; zz++)
					f[zz] = out[(zz * ny + y) * nx + x];
				edt_1d(f, d, nz, sz, v, z);
				for (size_t zz = 0; zz < nz; zz++)
					out[(zz * ny + y) * nx + x] = d[zz];
			}
	ml_free(f);
	ml_free(d);
	ml_free(z);
	ml_free(v);
	return 0;
}

/* Surface voxels: inside the mask with a face neighbour outside the mask or outside the image. */
static size_t surface(const struct agree_mask *m, uint8_t *s)
{
	size_t nx = m->nx, ny = m->ny, nz = m->nz, count = 0;
	for (size_t z = 0; z < nz; z++)
		for (size_t y = 0; y < ny; y++)
			for (size_t x = 0; x < nx; x++) {
				size_t i = (z * ny + y) * nx + x;
				bool in = m->v[i] != 0, edge = false;
				if (in) {
					edge = x == 0 || x + 1 == nx || y == 0 || y + 1 == ny ||
					       (nz > 1 && (z == 0 || z + 1 == nz)) || !m->v[i - 1] || !m->v[i + 1] ||
					       !m->v[i - nx] || !m->v[i + nx] ||
					       (nz > 1 && (!m->v[i - nx * ny] || !m->v[i + nx * ny]));
				}
				s[i] = edge;
				count += edge;
			}
	return count;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int agree_surface_distances(const struct agree_mask *a, const struct agree_mask *b, struct agree_surface_distance *out,
			    struct ml_err *err)
{
	if (check_pair(a, b, err) < 0)
		return -1;
	size_t n = a->nx * a->ny * a->nz;
	uint8_t *sa = ml_malloc(n), *sb = ml_malloc(n);
	double *dt = ml_malloc(n * sizeof(double));
	double *dab = NULL, *dba = NULL;
	int rc = -1;
	if (!sa || !sb || !dt) {
		ml_err_set(err, ML_ENOMEM, "out of memory for surface distances");
		goto out;
	}
	size_t na = surface(a, sa), nb = surface(b, sb);
	if (!na || !nb) {
		ml_err_set(err, ML_EINVAL, "mask %s is empty: surface distances are undefined", !na ? "a" : "b");
		goto out;
	}
	dab = ml_malloc(na * sizeof(double));
	dba = ml_malloc(nb * sizeof(double));
	if (!dab || !dba) {
		ml_err_set(err, ML_ENOMEM, "out of memory for surface distances");
		goto out;
	}
	if (agree_edt_squared(sb, a->nx, a->ny, a->nz, a->sx, a->sy, a->sz, dt, err) < 0)
		goto out;
	size_t k = 0;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		if (sa[i])
			sum += dab[k++] = sqrt(dt[i]);
	if (agree_edt_squared(sa, a->nx, a->ny, a->nz, a->sx, a->sy, a->sz, dt, err) < 0)
		goto out;
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (sb[i])
			sum += dba[k++] = sqrt(dt[i]);
	qsort(dab, na, sizeof(double), cmp_double);
	qsort(dba, nb, sizeof(double), cmp_double);
	out->hd95 = fmax(agree_quantile_sorted(dab, na, 0.95), agree_quantile_sorted(dba, nb, 0.95));
	out->hd = fmax(dab[na - 1], dba[nb - 1]);
	out->assd = sum / (double)(na + nb);
	rc = 0;
out:
	ml_free(sa);
	ml_free(sb);
	ml_free(dt);
	ml_free(dab);
	ml_free(dba);
	return rc;
}
