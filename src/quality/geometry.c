/* geometry.c: IoU of boxes and simple polygons (ear clipping + Sutherland-Hodgman on triangle pairs), the
 * Hungarian algorithm, and one-to-one object matching at an IoU threshold. */
#include "quality/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double agree_box_iou(const struct agree_box *a, const struct agree_box *b)
{
	double ax0 = fmin(a->x0, a->x1), ax1 = fmax(a->x0, a->x1), ay0 = fmin(a->y0, a->y1), ay1 = fmax(a->y0, a->y1);
	double bx0 = fmin(b->x0, b->x1), bx1 = fmax(b->x0, b->x1), by0 = fmin(b->y0, b->y1), by1 = fmax(b->y0, b->y1);
	double iw = fmin(ax1, bx1) - fmax(ax0, bx0), ih = fmin(ay1, by1) - fmax(ay0, by0);
	if (!(iw > 0) || !(ih > 0))
		return 0;
	double inter = iw * ih, uni = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter;
	return uni > 0 ? inter / uni : 0;
}

double agree_polygon_area(const struct agree_point *p, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		const struct agree_point *a = &p[i], *b = &p[(i + 1) % n];
		s += a->x * b->y - b->x * a->y;
	}
	return s / 2;
}

static double cross(struct agree_point o, struct agree_point a, struct agree_point b)
{
	return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

static bool on_segment(struct agree_point p, struct agree_point q, struct agree_point r)
{
	return fmin(p.x, q.x) <= r.x && r.x <= fmax(p.x, q.x) && fmin(p.y, q.y) <= r.y && r.y <= fmax(p.y, q.y);
}

/* Closed segments p1p2 and q1q2 share a point. */
static bool segments_meet(struct agree_point p1, struct agree_point p2, struct agree_point q1, struct agree_point q2)
{
	double d1 = cross(q1, q2, p1), d2 = cross(q1, q2, p2), d3 = cross(p1, p2, q1), d4 = cross(p1, p2, q2);
	if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
		return true;
	return (d1 == 0 && on_segment(q1, q2, p1)) || (d2 == 0 && on_segment(q1, q2, p2)) ||
	       (d3 == 0 && on_segment(p1, p2, q1)) || (d4 == 0 && on_segment(p1, p2, q2));
}

/* Copies the vertices without a repeated closing vertex or consecutive duplicates, counter-clockwise. */
static int clean_polygon(const struct agree_point *in, size_t n, const char *which, struct agree_point **out,
			 size_t *nout, struct ml_err *err)
{
	if (n > AGREE_MAX_POLYGON_VERTICES)
		return ml_err_set(err, ML_ELIMIT, "polygon %s: %zu vertices, at most %d", which, n, AGREE_MAX_POLYGON_VERTICES);
	struct agree_point *p = ml_malloc((n ? n : 1) * sizeof(*p));
	if (!p)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(in[i].x) || !isfinite(in[i].y)) {
			ml_free(p);
			return ml_err_set(err, ML_EINVAL, "polygon %s: vertex %zu is not a finite point", which, i);
		}
		if (k && p[k - 1].x == in[i].x && p[k - 1].y == in[i].y)
			continue;
		p[k++] = in[i];
	}
	while (k > 1 && p[k - 1].x == p[0].x && p[k - 1].y == p[0].y)
		k--;
	if (k < 3) {
		ml_free(p);
		return ml_err_set(err, ML_EINVAL, "polygon %s: needs at least 3 distinct vertices", which);
	}
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++) {
			bool adjacent = j == i + 1 || (i == 0 && j == k - 1);
			if (adjacent)
				continue;
			if (segments_meet(p[i], p[(i + 1) % k], p[j], p[(j + 1) % k])) {
				ml_free(p);
				return ml_err_set(err, ML_EINVAL, "polygon %s: edges %zu and %zu cross or touch (not a simple polygon)",
						  which, i, j);
			}
		}
	if (agree_polygon_area(p, k) < 0)
		for (size_t i = 0; i < k / 2; i++) {
			struct agree_point t = p[i];
			p[i] = p[k - 1 - i];
			p[k - 1 - i] = t;
		}
	*out = p;
	*nout = k;
	return 0;
}

struct tri {
	struct agree_point v[3];
	double x0, y0, x1, y1; /* bounding box */
};

static bool in_triangle(struct agree_point a, struct agree_point b, struct agree_point c, struct agree_point r)
{
	return cross(a, b, r) >= 0 && cross(b, c, r) >= 0 && cross(c, a, r) >= 0;
}

/* Ear clipping of a counter-clockwise simple polygon into at most n - 2 triangles. */
static int triangulate(const struct agree_point *p, size_t n, const char *which, struct tri **out, size_t *nout,
		       struct ml_err *err)
{
	size_t *prev = ml_malloc(n * sizeof(size_t)), *next = ml_malloc(n * sizeof(size_t));
	struct tri *t = ml_malloc(n * sizeof(*t));
	if (!prev || !next || !t) {
		ml_free(prev);
		ml_free(next);
		ml_free(t);
		return ml_err_set(err, ML_ENOMEM, "out of memory triangulating");
	}
	for (size_t i = 0; i < n; i++) {
		prev[i] = (i + n - 1) % n;
		next[i] = (i + 1) % n;
	}
	size_t left = n, nt = 0, i = 0, misses = 0;
	while (left > 3) {
		size_t a = prev[i], c = next[i];
		double cr = cross(p[a], p[i], p[c]);
		bool ear = cr > 0;
		if (ear)
			for (size_t r = next[c]; r != a; r = next[r]) {
				if ((p[r].x == p[a].x && p[r].y == p[a].y) || (p[r].x == p[c].x && p[r].y == p[c].y) ||
				    (p[r].x == p[i].x && p[r].y == p[i].y))
					continue;
				if (in_triangle(p[a], p[i], p[c], p[r])) {
					ear = false;
					break;
				}
			}
		if (ear || cr == 0) { /* a collinear vertex is cut off as an empty triangle */
			if (ear)
				t[nt++] = (struct tri){{p[a], p[i], p[c]}, 0, 0, 0, 0};
			next[a] = c;
			prev[c] = a;
			left--;
			i = c;
			misses = 0;
			continue;
		}
		i = c;
		if (++misses > left) {
			ml_free(prev);
			ml_free(next);
			ml_free(t);
			return ml_err_set(err, ML_EINVAL, "polygon %s: cannot be triangulated (degenerate)", which);
		}
	}
	if (cross(p[prev[i]], p[i], p[next[i]]) > 0)
		t[nt++] = (struct tri){{p[prev[i]], p[i], p[next[i]]}, 0, 0, 0, 0};
	for (size_t k = 0; k < nt; k++) {
		t[k].x0 = fmin(t[k].v[0].x, fmin(t[k].v[1].x, t[k].v[2].x));
		t[k].x1 = fmax(t[k].v[0].x, fmax(t[k].v[1].x, t[k].v[2].x));
		t[k].y0 = fmin(t[k].v[0].y, fmin(t[k].v[1].y, t[k].v[2].y));
		t[k].y1 = fmax(t[k].v[0].y, fmax(t[k].v[1].y, t[k].v[2].y));
	}
	ml_free(prev);
	ml_free(next);
	*out = t;
	*nout = nt;
	return 0;
}

/* Area of the intersection of two counter-clockwise triangles: Sutherland-Hodgman clipping of one by the
 * three edges of the other (both convex, so the clipped polygon is exactly the intersection). */
static double tri_intersection_area(const struct tri *s, const struct tri *c)
{
	struct agree_point buf[2][12];
	size_t n = 3;
	memcpy(buf[0], s->v, sizeof(s->v));
	int cur = 0;
	for (int e = 0; e < 3 && n > 0; e++) {
		struct agree_point a = c->v[e], b = c->v[(e + 1) % 3];
		struct agree_point *in = buf[cur], *out = buf[cur ^ 1];
		size_t m = 0;
		for (size_t k = 0; k < n; k++) {
			struct agree_point p = in[k], q = in[(k + 1) % n];
			double dp = cross(a, b, p), dq = cross(a, b, q);
			if (dp >= 0)
				out[m++] = p;
			if ((dp > 0 && dq < 0) || (dp < 0 && dq > 0)) {
				double t = dp / (dp - dq);
				out[m++] = (struct agree_point){p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)};
			}
		}
		n = m;
		cur ^= 1;
	}
	return n >= 3 ? fabs(agree_polygon_area(buf[cur], n)) : 0;
}

int agree_polygon_iou(const struct agree_point *a, size_t na, const struct agree_point *b, size_t nb, double *iou,
		      struct ml_err *err)
{
	struct agree_point *pa = NULL, *pb = NULL;
	struct tri *ta = NULL, *tb = NULL;
	size_t ka, kb, nta, ntb;
	int rc = -1;
	*iou = 0;
	if (clean_polygon(a, na, "a", &pa, &ka, err) < 0 || clean_polygon(b, nb, "b", &pb, &kb, err) < 0 ||
	    triangulate(pa, ka, "a", &ta, &nta, err) < 0 || triangulate(pb, kb, "b", &tb, &ntb, err) < 0)
		goto out;
	double area_a = agree_polygon_area(pa, ka), area_b = agree_polygon_area(pb, kb), inter = 0;
	for (size_t i = 0; i < nta; i++)
		for (size_t j = 0; j < ntb; j++) {
			if (ta[i].x1 <= tb[j].x0 || tb[j].x1 <= ta[i].x0 || ta[i].y1 <= tb[j].y0 || tb[j].y1 <= ta[i].y0)
				continue;
			inter += tri_intersection_area(&ta[i], &tb[j]);
		}
	double uni = area_a + area_b - inter;
	*iou = uni > 0 ? fmin(1.0, inter / uni) : 0;
	rc = 0;
out:
	ml_free(pa);
	ml_free(pb);
	ml_free(ta);
	ml_free(tb);
	return rc;
}

/* ---- Hungarian algorithm ----------------------------------------------------------------------------- */

int agree_hungarian(const double *cost, size_t n, size_t m, long *row_to_col, double *total, struct ml_err *err)
{
	for (size_t i = 0; i < n * m; i++)
		if (!isfinite(cost[i]))
			return ml_err_set(err, ML_EINVAL, "cost (%zu, %zu) is not finite", i / m, i % m);
	if (total)
		*total = 0;
	for (size_t i = 0; i < n; i++)
		row_to_col[i] = -1;
	if (n == 0 || m == 0)
		return 0;
	bool transposed = n > m;
	size_t R = transposed ? m : n, C = transposed ? n : m; /* R <= C */
#define COST(i, j) (transposed ? cost[(j) * m + (i)] : cost[(i) * m + (j)])
	double *u = ml_calloc(R + 1, sizeof(double)), *v = ml_calloc(C + 1, sizeof(double));
	double *minv = ml_malloc((C + 1) * sizeof(double));
	size_t *p = ml_calloc(C + 1, sizeof(size_t)), *way = ml_calloc(C + 1, sizeof(size_t));
	bool *used = ml_malloc((C + 1) * sizeof(bool));
	if (!u || !v || !minv || !p || !way || !used) {
		ml_free(u);
		ml_free(v);
		ml_free(minv);
		ml_free(p);
		ml_free(way);
		ml_free(used);
		return ml_err_set(err, ML_ENOMEM, "out of memory for a %zu x %zu assignment", n, m);
	}
	/* Rows are added one at a time; each finds a shortest augmenting path in reduced costs (potentials u,
	 * v keep every reduced cost >= 0), so the assignment stays optimal for the rows added so far. */
	for (size_t i = 1; i <= R; i++) {
		p[0] = i;
		size_t j0 = 0;
		for (size_t j = 0; j <= C; j++) {
			minv[j] = INFINITY;
			used[j] = false;
		}
		do {
			used[j0] = true;
			size_t i0 = p[j0], j1 = 0;
			double delta = INFINITY;
			for (size_t j = 1; j <= C; j++) {
				if (used[j])
					continue;
				double cur = COST(i0 - 1, j - 1) - u[i0] - v[j];
				if (cur < minv[j]) {
					minv[j] = cur;
					way[j] = j0;
				}
				if (minv[j] < delta) {
					delta = minv[j];
					j1 = j;
				}
			}
			for (size_t j = 0; j <= C; j++) {
				if (used[j]) {
					u[p[j]] += delta;
					v[j] -= delta;
				} else {
					minv[j] -= delta;
				}
			}
			j0 = j1;
		} while (p[j0] != 0);
		do {
			size_t j1 = way[j0];
			p[j0] = p[j1];
			j0 = j1;
		} while (j0);
	}
	for (size_t j = 1; j <= C; j++) {
		if (!p[j])
			continue;
		size_t r = p[j] - 1, c = j - 1;
		if (transposed)
			row_to_col[c] = (long)r;
		else
			row_to_col[r] = (long)c;
		if (total)
			*total += COST(r, c);
	}
#undef COST
	ml_free(u);
	ml_free(v);
	ml_free(minv);
	ml_free(p);
	ml_free(way);
	ml_free(used);
	return 0;
}

/* ---- matching ---------------------------------------------------------------------------------------- */

void agree_match_release(struct agree_match *m)
{
	ml_free(m->a_to_b);
	memset(m, 0, sizeof(*m));
}

int agree_match_iou(const double *iou, size_t na, size_t nb, double threshold, struct agree_match *out,
		    struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!(threshold > 0) || threshold > 1)
		return ml_err_set(err, ML_EINVAL, "IoU threshold must be in (0, 1]");
	if (na && nb > SIZE_MAX / sizeof(double) / na)
		return ml_err_set(err, ML_ELIMIT, "too many objects to match");
	out->na = na;
	out->nb = nb;
	out->a_to_b = ml_malloc((na ? na : 1) * sizeof(long));
	double *cost = ml_malloc((na > 0 && nb > 0 ? na * nb : 1) * sizeof(double));
	if (!out->a_to_b || !cost) {
		ml_free(cost);
		agree_match_release(out);
		return ml_err_set(err, ML_ENOMEM, "out of memory matching %zu x %zu objects", na, nb);
	}
	/* A valid pair is worth 1 + IoU: more matches always win, then the larger total IoU. */
	for (size_t i = 0; i < na * nb; i++)
		cost[i] = iou[i] >= threshold ? -(1 + iou[i]) : 0;
	if (agree_hungarian(cost, na, nb, out->a_to_b, NULL, err) < 0) {
		ml_free(cost);
		agree_match_release(out);
		return -1;
	}
	double sum = 0;
	for (size_t i = 0; i < na; i++) {
		long j = out->a_to_b[i];
		if (j >= 0 && iou[i * nb + (size_t)j] >= threshold) {
			out->matched++;
			sum += iou[i * nb + (size_t)j];
		} else {
			out->a_to_b[i] = -1;
		}
	}
	ml_free(cost);
	out->precision = nb ? (double)out->matched / (double)nb : (na ? 0 : 1);
	out->recall = na ? (double)out->matched / (double)na : (nb ? 0 : 1);
	out->f1 = na + nb ? 2.0 * (double)out->matched / (double)(na + nb) : 1;
	out->mean_iou = out->matched ? sum / (double)out->matched : NAN;
	return 0;
}

int agree_match_boxes(const struct agree_box *a, size_t na, const struct agree_box *b, size_t nb, double threshold,
		      struct agree_match *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	if (na && nb > SIZE_MAX / sizeof(double) / na)
		return ml_err_set(err, ML_ELIMIT, "too many objects to match");
	double *iou = ml_malloc((na > 0 && nb > 0 ? na * nb : 1) * sizeof(double));
	if (!iou)
		return ml_err_set(err, ML_ENOMEM, "out of memory matching %zu x %zu boxes", na, nb);
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			iou[i * nb + j] = agree_box_iou(&a[i], &b[j]);
	int rc = agree_match_iou(iou, na, nb, threshold, out, err);
	ml_free(iou);
	return rc;
}
