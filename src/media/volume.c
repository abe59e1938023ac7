/* volume.c: slices → volumes: grouping by series, sorting along the normal of Image Orientation (Patient),
 * detection of gaps, duplicates and irregular spacing, the voxel → patient (LPS) affine, voxel access. */
#include "media/media.h"
#include "media/media_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VOXELS ((uint64_t)1 << 31)

void media_series_plan_init(struct media_series_plan *p)
{
	memset(p, 0, sizeof(*p));
}

void media_series_plan_release(struct media_series_plan *p)
{
	ml_free(p->order);
	ml_free(p->slot);
	media_series_plan_init(p);
}

size_t media_series_group(const struct media_slice *slices, size_t n, size_t *group)
{
	size_t ngroups = 0;
	for (size_t i = 0; i < n; i++) {
		group[i] = SIZE_MAX;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(slices[i].study_uid, slices[j].study_uid) == 0 &&
			    strcmp(slices[i].series_uid, slices[j].series_uid) == 0) {
				group[i] = group[j];
				break;
			}
		}
		if (group[i] == SIZE_MAX)
			group[i] = ngroups++;
	}
	return ngroups;
}

static double dot3(const double *a, const double *b)
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static bool same_geometry(const struct media_slice *a, const struct media_slice *b)
{
	if (strcmp(a->study_uid, b->study_uid) || strcmp(a->series_uid, b->series_uid))
		return false;
	if (a->rows != b->rows || a->columns != b->columns)
		return false;
	for (int i = 0; i < 6; i++)
		if (fabs(a->iop[i] - b->iop[i]) > 1e-4)
			return false;
	for (int i = 0; i < 2; i++)
		if (fabs(a->spacing[i] - b->spacing[i]) > 1e-4 * (fabs(a->spacing[i]) + 1))
			return false;
	return true;
}

struct keyed {
	double d;
	int32_t instance;
	size_t idx;
};

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	if (a->d != b->d)
		return a->d < b->d ? -1 : 1;
	if (a->instance != b->instance)
		return a->instance < b->instance ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

int media_series_plan(const struct media_slice *slices, size_t n, size_t ref, struct media_series_plan *plan,
		      struct ml_err *err)
{
	media_series_plan_release(plan);
	if (n == 0 || ref >= n)
		return ml_err_set(err, ML_EINVAL, "no slices to plan a volume from");
	const struct media_slice *r = &slices[ref];
	const double *row = r->iop, *col = r->iop + 3;
	double nr = sqrt(dot3(row, row)), nc = sqrt(dot3(col, col));
	if (fabs(nr - 1) > 1e-2 || fabs(nc - 1) > 1e-2 || fabs(dot3(row, col)) > 1e-2)
		return ml_err_set(err, ML_EINVAL, "image orientation (0020,0037) is not two orthonormal directions");
	if (!(r->spacing[0] > 0) || !(r->spacing[1] > 0))
		return ml_err_set(err, ML_EINVAL, "pixel spacing (0028,0030) is missing or not positive");
	double *nm = plan->normal;
	nm[0] = row[1] * col[2] - row[2] * col[1];
	nm[1] = row[2] * col[0] - row[0] * col[2];
	nm[2] = row[0] * col[1] - row[1] * col[0];
	double len = sqrt(dot3(nm, nm));
	for (int i = 0; i < 3; i++)
		nm[i] /= len;
	struct keyed *k = ml_malloc(n * sizeof(*k));
	if (!k)
		return ml_err_set(err, ML_ENOMEM, "out of memory planning %zu slices", n);
	size_t m = 0;
	struct media_series_report *rep = &plan->report;
	for (size_t i = 0; i < n; i++) {
		if (!same_geometry(&slices[i], r)) {
			if (!strcmp(slices[i].study_uid, r->study_uid) && !strcmp(slices[i].series_uid, r->series_uid)) {
				rep->mixed_geometry = true;
				rep->excluded++;
			}
			continue;
		}
		k[m++] = (struct keyed){dot3(slices[i].ipp, nm), slices[i].instance_number, i};
	}
	qsort(k, m, sizeof(*k), cmp_keyed);
	/* Steps between neighbours; a duplicate is a step below a thousandth of the pixel size. */
	double tol = 1e-3 * fmin(r->spacing[0], r->spacing[1]);
	plan->order = ml_malloc(m * sizeof(size_t));
	plan->slot = ml_malloc(m * sizeof(uint32_t));
	double *steps = ml_malloc((m ? m : 1) * sizeof(double));
	double *pos = ml_malloc(m * sizeof(double));
	if (!plan->order || !plan->slot || !steps || !pos) {
		ml_free(k);
		ml_free(steps);
		ml_free(pos);
		media_series_plan_release(plan);
		return ml_err_set(err, ML_ENOMEM, "out of memory planning %zu slices", n);
	}
	size_t u = 0;
	for (size_t i = 0; i < m; i++) {
		if (u > 0 && k[i].d - pos[u - 1] < tol) {
			rep->duplicates++;
			continue;
		}
		pos[u] = k[i].d;
		plan->order[u++] = k[i].idx;
	}
	ml_free(k);
	plan->n = u;
	size_t ns = u > 1 ? u - 1 : 0;
	for (size_t i = 0; i < ns; i++)
		steps[i] = pos[i + 1] - pos[i];
	double step = 0;
	if (ns) {
		double *sorted = ml_malloc(ns * sizeof(double));
		if (!sorted) {
			ml_free(steps);
			ml_free(pos);
			media_series_plan_release(plan);
			return ml_err_set(err, ML_ENOMEM, "out of memory planning %zu slices", n);
		}
		memcpy(sorted, steps, ns * sizeof(double));
		qsort(sorted, ns, sizeof(double), cmp_double);
		step = sorted[ns / 2];
		rep->min_step = sorted[0];
		rep->max_step = sorted[ns - 1];
		ml_free(sorted);
	}
	rep->step = step;
	/* Classify the steps: regular (within 1%), a gap (a near-multiple of the step), or irregular. */
	bool irregular = false;
	for (size_t i = 0; i < ns; i++) {
		double ratio = steps[i] / step;
		long mult = lround(ratio);
		if (fabs(ratio - 1) <= 0.01)
			continue;
		if (mult >= 2 && fabs(ratio - (double)mult) <= 0.01 * (double)mult) {
			rep->gaps++;
			rep->missing += (size_t)(mult - 1);
		} else {
			irregular = true;
		}
	}
	rep->inconsistent_spacing = irregular;
	uint32_t slot = 0;
	for (size_t i = 0; i < u; i++) {
		if (i > 0)
			slot += irregular ? 1 : (uint32_t)lround(steps[i - 1] / step);
		plan->slot[i] = slot;
	}
	plan->nslots = u ? slot + 1 : 0;
	ml_free(steps);
	ml_free(pos);
	snprintf(rep->summary, sizeof(rep->summary),
		 "%zu slices, step %.4g mm (%.4g..%.4g), %zu duplicates, %zu gaps (%zu missing)%s%s", plan->n, step,
		 rep->min_step, rep->max_step, rep->duplicates, rep->gaps, rep->missing,
		 irregular ? ", irregular spacing" : "", rep->excluded ? ", slices of other geometry excluded" : "");
	return 0;
}

/* ---- volumes --------------------------------------------------------------------------------------- */

void media_volume_init(struct media_volume *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < 4; i++)
		v->affine[i][i] = 1;
	v->spacing[0] = v->spacing[1] = v->spacing[2] = 1;
}

void media_volume_release(struct media_volume *v)
{
	ml_free(v->data);
	media_volume_init(v);
}

int media_volume_alloc(struct media_volume *v, const uint32_t dims[3], enum media_dtype dtype, struct ml_err *err)
{
	uint64_t nvox = (uint64_t)dims[0] * dims[1] * dims[2];
	if (nvox == 0 || nvox > MAX_VOXELS || nvox * media_dtype_size(dtype) > ((uint64_t)1 << 33))
		return ml_err_set(err, ML_ELIMIT, "volume of %ux%ux%u voxels is empty or too large", (unsigned)dims[0],
				  (unsigned)dims[1], (unsigned)dims[2]);
	void *p = ml_calloc((size_t)nvox, media_dtype_size(dtype));
	if (!p)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a volume of %llu voxels", (unsigned long long)nvox);
	ml_free(v->data);
	v->data = p;
	v->len = (size_t)nvox * media_dtype_size(dtype);
	memcpy(v->dims, dims, sizeof(v->dims));
	v->dtype = dtype;
	return 0;
}

int media_volume_like(struct media_volume *v, const struct media_volume *src, enum media_dtype dtype,
		      struct ml_err *err)
{
	if (media_volume_alloc(v, src->dims, dtype, err) < 0)
		return -1;
	memcpy(v->spacing, src->spacing, sizeof(v->spacing));
	memcpy(v->affine, src->affine, sizeof(v->affine));
	return 0;
}

void media_affine_from_geometry(double a[4][4], const double iop[6], const double ipp[3], const double ps[2],
				double step)
{
	double nm[3] = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
			iop[0] * iop[4] - iop[1] * iop[3]};
	double l = sqrt(dot3(nm, nm));
	for (int r = 0; r < 3; r++) {
		a[r][0] = iop[r] * ps[1];     /* i: along a row, column spacing */
		a[r][1] = iop[3 + r] * ps[0]; /* j: down a column, row spacing */
		a[r][2] = (l > 0 ? nm[r] / l : 0) * step;
		a[r][3] = ipp[r];
	}
	a[3][0] = a[3][1] = a[3][2] = 0;
	a[3][3] = 1;
}

int media_volume_from_plan(struct media_volume *v, const struct media_slice *slices,
			   const struct media_series_plan *plan, enum media_dtype dtype, struct ml_err *err)
{
	if (plan->n == 0)
		return ml_err_set(err, ML_EINVAL, "empty slice plan");
	const struct media_slice *s0 = &slices[plan->order[0]];
	uint32_t dims[3] = {s0->columns, s0->rows, plan->nslots};
	if (media_volume_alloc(v, dims, dtype, err) < 0)
		return -1;
	double step = plan->report.step > 0 ? plan->report.step : 1;
	if (plan->n == 1)
		step = 1;
	media_affine_from_geometry(v->affine, s0->iop, s0->ipp, s0->spacing, step);
	v->spacing[0] = s0->spacing[1];
	v->spacing[1] = s0->spacing[0];
	v->spacing[2] = step;
	return 0;
}

static void store(struct media_volume *v, size_t i, double x)
{
	switch (v->dtype) {
	case MEDIA_F32: ((float *)v->data)[i] = (float)x; return;
	default: break;
	}
	double lo, hi;
	switch (v->dtype) {
	case MEDIA_U8: lo = 0; hi = 255; break;
	case MEDIA_I8: lo = -128; hi = 127; break;
	case MEDIA_U16: lo = 0; hi = 65535; break;
	case MEDIA_I16: lo = -32768; hi = 32767; break;
	case MEDIA_U32: lo = 0; hi = 4294967295.0; break;
	default: lo = -2147483648.0; hi = 2147483647.0; break;
	}
	x = floor(x + 0.5);
	x = x < lo ? lo : x > hi ? hi : x;
	switch (v->dtype) {
	case MEDIA_U8: ((uint8_t *)v->data)[i] = (uint8_t)x; break;
	case MEDIA_I8: ((int8_t *)v->data)[i] = (int8_t)x; break;
	case MEDIA_U16: ((uint16_t *)v->data)[i] = (uint16_t)x; break;
	case MEDIA_I16: ((int16_t *)v->data)[i] = (int16_t)x; break;
	case MEDIA_U32: ((uint32_t *)v->data)[i] = (uint32_t)x; break;
	default: ((int32_t *)v->data)[i] = (int32_t)x; break;
	}
}

int media_volume_put_slice(struct media_volume *v, uint32_t k, const struct media_frame *f, double slope,
			   double intercept, struct ml_err *err)
{
	if (k >= v->dims[2])
		return ml_err_set(err, ML_EINVAL, "slice %u outside a volume of %u slices", (unsigned)k,
				  (unsigned)v->dims[2]);
	if (f->samples != 1 || f->columns != v->dims[0] || f->rows != v->dims[1])
		return ml_err_set(err, ML_EINVAL, "frame of %ux%ux%u does not fit a volume of %ux%u", (unsigned)f->columns,
				  (unsigned)f->rows, (unsigned)f->samples, (unsigned)v->dims[0], (unsigned)v->dims[1]);
	if (slope == 0)
		slope = 1;
	size_t plane = (size_t)v->dims[0] * v->dims[1];
	for (size_t i = 0; i < plane; i++)
		store(v, (size_t)k * plane + i, media_frame_get(f, i) * slope + intercept);
	return 0;
}

double media_volume_get(const struct media_volume *v, uint32_t i, uint32_t j, uint32_t k)
{
	size_t idx = ((size_t)k * v->dims[1] + j) * v->dims[0] + i;
	struct media_frame view = {.dtype = v->dtype, .data = v->data};
	return media_frame_get(&view, idx);
}

void media_volume_voxel_to_patient(const struct media_volume *v, const double ijk[3], double xyz[3])
{
	for (int r = 0; r < 3; r++)
		xyz[r] = v->affine[r][0] * ijk[0] + v->affine[r][1] * ijk[1] + v->affine[r][2] * ijk[2] + v->affine[r][3];
}

int media_volume_patient_to_voxel(const struct media_volume *v, const double xyz[3], double ijk[3])
{
	/* Inverse of the 3x3 part by cofactors; the translation is subtracted first. */
	const double(*a)[4] = v->affine;
	double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
		     a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
	if (fabs(det) < 1e-12)
		return -1;
	double inv[3][3] = {
		{(a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det, (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det,
		 (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det},
		{(a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det, (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det,
		 (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det},
		{(a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det, (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det,
		 (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det},
	};
	double d[3] = {xyz[0] - a[0][3], xyz[1] - a[1][3], xyz[2] - a[2][3]};
	for (int r = 0; r < 3; r++)
		ijk[r] = inv[r][0] * d[0] + inv[r][1] * d[1] + inv[r][2] * d[2];
	return 0;
}
