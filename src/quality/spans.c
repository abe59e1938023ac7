/* spans.c: agreement on text spans (exact, overlap and token F1; Krippendorff's unitizing alpha) and
 * token-voting consensus. Positions are code points; everything is sort-and-sweep, O(n log n). */
#include "quality/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_spans(const struct agree_span *s, size_t n, const char *which, struct ml_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].end <= s[i].start)
			return ml_err_set(err, ML_EINVAL, "span %zu of %s: end %llu is not after start %llu", i, which,
					  (unsigned long long)s[i].end, (unsigned long long)s[i].start);
	return 0;
}

static int cmp_label_start(const void *x, const void *y)
{
	const struct agree_span *a = x, *b = y;
	if (a->label != b->label)
		return a->label < b->label ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->end > b->end) - (a->end < b->end);
}

/* Copies the spans with `label` (all if AGREE_MISSING), sorted by (label, start, end). */
static struct agree_span *filtered(const struct agree_span *s, size_t n, uint32_t label, size_t *nout)
{
	struct agree_span *c = ml_malloc((n ? n : 1) * sizeof(*c));
	if (!c)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (label == AGREE_MISSING || s[i].label == label)
			c[k++] = s[i];
	qsort(c, k, sizeof(*c), cmp_label_start);
	*nout = k;
	return c;
}

/* Spans of x found in y (same label, sharing a code point); both sorted by (label, start). */
static uint64_t overlap_found(const struct agree_span *x, size_t nx, const struct agree_span *y, size_t ny)
{
	uint64_t found = 0;
	size_t lo = 0;
	while (lo < ny) {
		size_t hi = lo;
		while (hi < ny && y[hi].label == y[lo].label)
			hi++;
		/* prefix maximum of end over y[lo..hi), so "some span starting before e ends after s" is one lookup */
		uint64_t *pmax = ml_malloc((hi - lo) * sizeof(uint64_t));
		if (!pmax)
			return UINT64_MAX;
		for (size_t k = lo; k < hi; k++)
			pmax[k - lo] = k > lo && pmax[k - lo - 1] > y[k].end ? pmax[k - lo - 1] : y[k].end;
		for (size_t i = 0; i < nx; i++) {
			if (x[i].label != y[lo].label)
				continue;
			size_t a = lo, b = hi; /* first y with start >= x.end */
			while (a < b) {
				size_t mid = a + (b - a) / 2;
				if (y[mid].start < x[i].end)
					a = mid + 1;
				else
					b = mid;
			}
			if (a > lo && pmax[a - 1 - lo] > x[i].start)
				found++;
		}
		ml_free(pmax);
		lo = hi;
	}
	return found;
}

/* Union of sorted spans of one label into disjoint intervals, in place; returns the count. */
static size_t union_in_place(struct agree_span *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && s[k - 1].label == s[i].label && s[i].start <= s[k - 1].end) {
			if (s[i].end > s[k - 1].end)
				s[k - 1].end = s[i].end;
		} else {
			s[k++] = s[i];
		}
	}
	return k;
}

int agree_span_f1(const struct agree_span *a, size_t na, const struct agree_span *b, size_t nb,
		  enum agree_span_match mode, uint32_t label, struct agree_f1 *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	if (check_spans(a, na, "a", err) < 0 || check_spans(b, nb, "b", err) < 0)
		return -1;
	size_t ka, kb;
	struct agree_span *x = filtered(a, na, label, &ka), *y = filtered(b, nb, label, &kb);
	if (!x || !y) {
		ml_free(x);
		ml_free(y);
		return ml_err_set(err, ML_ENOMEM, "out of memory comparing spans");
	}
	if (mode == AGREE_SPAN_EXACT) {
		size_t ux = 0, uy = 0;
		for (size_t i = 0; i < ka; i++)
			if (!ux || cmp_label_start(&x[ux - 1], &x[i]) != 0)
				x[ux++] = x[i];
		for (size_t i = 0; i < kb; i++)
			if (!uy || cmp_label_start(&y[uy - 1], &y[i]) != 0)
				y[uy++] = y[i];
		uint64_t tp = 0;
		for (size_t i = 0, j = 0; i < ux && j < uy;) {
			int c = cmp_label_start(&x[i], &y[j]);
			if (c == 0) {
				tp++;
				i++;
				j++;
			} else if (c < 0) {
				i++;
			} else {
				j++;
			}
		}
		out->na = ux;
		out->nb = uy;
		out->found_a = out->found_b = tp;
	} else if (mode == AGREE_SPAN_OVERLAP) {
		out->na = ka;
		out->nb = kb;
		out->found_a = overlap_found(x, ka, y, kb);
		out->found_b = overlap_found(y, kb, x, ka);
		if (out->found_a == UINT64_MAX || out->found_b == UINT64_MAX) {
			ml_free(x);
			ml_free(y);
			return ml_err_set(err, ML_ENOMEM, "out of memory comparing spans");
		}
	} else {
		size_t ux = union_in_place(x, ka), uy = union_in_place(y, kb);
		uint64_t tp = 0;
		for (size_t i = 0; i < ux; i++)
			out->na += x[i].end - x[i].start;
		for (size_t j = 0; j < uy; j++)
			out->nb += y[j].end - y[j].start;
		for (size_t i = 0, j = 0; i < ux && j < uy;) {
			if (x[i].label != y[j].label) {
				if (x[i].label < y[j].label)
					i++;
				else
					j++;
				continue;
			}
			uint64_t lo = x[i].start > y[j].start ? x[i].start : y[j].start;
			uint64_t hi = x[i].end < y[j].end ? x[i].end : y[j].end;
			if (hi > lo)
				tp += hi - lo;
			if (x[i].end < y[j].end)
				i++;
			else
				j++;
		}
		out->found_a = out->found_b = tp;
	}
	ml_free(x);
	ml_free(y);
	if (out->na == 0 && out->nb == 0) {
		out->precision = out->recall = out->f1 = 1;
		return 0;
	}
	out->precision = out->nb ? (double)out->found_b / (double)out->nb : 0;
	out->recall = out->na ? (double)out->found_a / (double)out->na : 0;
	double s = out->precision + out->recall;
	out->f1 = s > 0 ? 2 * out->precision * out->recall / s : 0;
	return 0;
}

/* ---- unitizing alpha ---------------------------------------------------------------------------------- */

void agree_ualpha_release(struct agree_ualpha *u)
{
	ml_free(u->dobs);
	ml_free(u->dexp);
	ml_free(u->alpha);
	memset(u, 0, sizeof(*u));
}

struct segment {
	double b, l; /* begin, length */
	bool unit;
};

/* Squared difference of two segments that share a position (Krippendorff 2004, ch. 12). */
static double seg_delta(const struct segment *g, const struct segment *h)
{
	if (g->unit && h->unit) {
		double db = g->b - h->b, de = (g->b + g->l) - (h->b + h->l);
		return db * db + de * de;
	}
	if (g->unit && !h->unit && g->b >= h->b && g->b + g->l <= h->b + h->l)
		return g->l * g->l;
	if (!g->unit && h->unit && h->b >= g->b && h->b + h->l <= g->b + g->l)
		return h->l * h->l;
	return 0;
}

static int cmp_annot_start(const void *x, const void *y)
{
	const struct agree_span *a = x, *b = y;
	if (a->annotator != b->annotator)
		return a->annotator < b->annotator ? -1 : 1;
	return (a->start > b->start) - (a->start < b->start);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

int agree_unitizing_alpha(const struct agree_span *s, size_t n, size_t nannotators, size_t nlabels, uint64_t begin,
			  uint64_t length, struct agree_ualpha *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	if (nannotators < 2)
		return ml_err_set(err, ML_EINVAL, "unitizing alpha needs at least two annotators");
	if (length == 0 || begin + length < begin)
		return ml_err_set(err, ML_EINVAL, "the continuum must have a length > 0");
	if (nlabels == 0 || nlabels > AGREE_MAX_VALUES)
		return ml_err_set(err, ML_EINVAL, "unitizing alpha needs 1 to %d labels", AGREE_MAX_VALUES);
	if (check_spans(s, n, "the spans", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i].start < begin || s[i].end > begin + length)
			return ml_err_set(err, ML_EINVAL, "span %zu lies outside the continuum", i);
		if (s[i].label >= nlabels || s[i].annotator >= nannotators)
			return ml_err_set(err, ML_EINVAL, "span %zu: label or annotator out of range", i);
	}
	struct agree_span *c = ml_malloc((n ? n : 1) * sizeof(*c));
	struct segment *seg = ml_malloc((2 * n + nannotators) * sizeof(*seg));
	size_t *first = ml_malloc((nannotators + 1) * sizeof(size_t));
	double *gaps = ml_malloc((n + nannotators) * sizeof(double)), *suffix = ml_malloc((n + nannotators + 1) * sizeof(double));
	out->dobs = ml_calloc(nlabels, sizeof(double));
	out->dexp = ml_calloc(nlabels, sizeof(double));
	out->alpha = ml_malloc(nlabels * sizeof(double));
	int rc = -1;
	if (!c || !seg || !first || !gaps || !suffix || !out->dobs || !out->dexp || !out->alpha) {
		ml_err_set(err, ML_ENOMEM, "out of memory for unitizing alpha");
		goto out;
	}
	out->nlabels = nlabels;
	/* Spans grouped by label, then annotator, then start. */
	memcpy(c, s, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_label_start);
	double m = (double)nannotators, L = (double)length, sum_do = 0, sum_de = 0;
	size_t lo = 0;
	for (uint32_t lab = 0; lab < nlabels; lab++) {
		size_t hi = lo;
		while (hi < n && c[hi].label == lab)
			hi++;
		qsort(c + lo, hi - lo, sizeof(*c), cmp_annot_start);
		/* Segments of each annotator: units of this label and the gaps between them, covering the continuum. */
		size_t ns = 0, ngaps = 0, p = lo;
		double nunits = 0, sq = 0;
		for (size_t a = 0; a < nannotators; a++) {
			first[a] = ns;
			uint64_t pos = begin;
			for (; p < hi && c[p].annotator == a; p++) {
				if (c[p].start < pos) {
					ml_err_set(err, ML_EINVAL, "annotator %zu has overlapping spans with label %u", a, lab);
					goto out;
				}
				if (c[p].start > pos) {
					seg[ns++] = (struct segment){(double)pos, (double)(c[p].start - pos), false};
					gaps[ngaps++] = (double)(c[p].start - pos);
				}
				double l = (double)(c[p].end - c[p].start);
				seg[ns++] = (struct segment){(double)c[p].start, l, true};
				nunits++;
				sq += l * (l - 1);
				pos = c[p].end;
			}
			if (pos < begin + length) {
				seg[ns++] = (struct segment){(double)pos, (double)(begin + length - pos), false};
				gaps[ngaps++] = (double)(begin + length - pos);
			}
		}
		first[nannotators] = ns;
		/* Observed: merge each pair's segment lists; every pair of segments sharing a position meets once. */
		double dsum = 0;
		for (size_t i = 0; i < nannotators; i++)
			for (size_t j = i + 1; j < nannotators; j++) {
				size_t x = first[i], y = first[j];
				while (x < first[i + 1] && y < first[j + 1]) {
					dsum += seg_delta(&seg[x], &seg[y]);
					double ex = seg[x].b + seg[x].l, ey = seg[y].b + seg[y].l;
					if (ex <= ey)
						x++;
					if (ey <= ex)
						y++;
				}
			}
		double dobs = 2 * dsum / (m * (m - 1) * L * L);
		/* Expected: each unit of length l against all placements among the observed units and gaps:
		 * (N_c - 1)(2l^3 - 3l^2 + l)/3 + l^2 sum_{gaps h >= l} (h - l + 1), times 2/L, over
		 * mL(mL - 1) - sum l(l - 1). */
		qsort(gaps, ngaps, sizeof(double), cmp_double);
		suffix[ngaps] = 0;
		for (size_t g = ngaps; g-- > 0;)
			suffix[g] = suffix[g + 1] + gaps[g];
		double num = 0;
		for (size_t x = 0; x < ns; x++) {
			if (!seg[x].unit)
				continue;
			double l = seg[x].l;
			size_t a = 0, b = ngaps; /* first gap >= l */
			while (a < b) {
				size_t mid = a + (b - a) / 2;
				if (gaps[mid] < l)
					a = mid + 1;
				else
					b = mid;
			}
			double fit = suffix[a] - (l - 1) * (double)(ngaps - a);
			num += (nunits - 1) * (2 * l * l * l - 3 * l * l + l) / 3 + l * l * fit;
		}
		double den = m * L * (m * L - 1) - sq;
		double dexp = den > 0 ? num * (2 / L) / den : 0;
		out->dobs[lab] = dobs;
		out->dexp[lab] = dexp;
		out->alpha[lab] = dexp > 0 ? 1 - dobs / dexp : NAN;
		sum_do += dobs;
		sum_de += dexp;
		lo = hi;
	}
	out->overall = sum_de > 0 ? 1 - sum_do / sum_de : NAN;
	rc = 0;
out:
	ml_free(c);
	ml_free(seg);
	ml_free(first);
	ml_free(gaps);
	ml_free(suffix);
	if (rc < 0)
		agree_ualpha_release(out);
	return rc;
}

/* ---- token voting ------------------------------------------------------------------------------------- */

struct event {
	uint64_t pos;
	uint32_t label;
	int delta;
};

static int cmp_event(const void *x, const void *y)
{
	const struct event *a = x, *b = y;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

static int cmp_annot_label_start(const void *x, const void *y)
{
	const struct agree_span *a = x, *b = y;
	if (a->annotator != b->annotator)
		return a->annotator < b->annotator ? -1 : 1;
	return cmp_label_start(x, y);
}

int consensus_span_vote(const struct agree_span *s, size_t n, size_t nannotators, size_t nlabels, size_t min_votes,
			struct agree_span **out, size_t *nout, uint64_t *tied_points, struct ml_err *err)
{
	*out = NULL;
	*nout = 0;
	if (tied_points)
		*tied_points = 0;
	if (nannotators == 0 || nlabels == 0 || nlabels > AGREE_MAX_VALUES)
		return ml_err_set(err, ML_EINVAL, "token voting needs annotators and 1 to %d labels", AGREE_MAX_VALUES);
	if (check_spans(s, n, "the spans", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i].label >= nlabels || s[i].annotator >= nannotators)
			return ml_err_set(err, ML_EINVAL, "span %zu: label or annotator out of range", i);
	size_t need = min_votes ? min_votes : nannotators / 2 + 1;
	struct agree_span *c = ml_malloc((n ? n : 1) * sizeof(*c)), *res = ml_malloc((n ? 2 * n : 1) * sizeof(*res));
	struct event *ev = ml_malloc((n ? 2 * n : 1) * sizeof(*ev));
	uint32_t *count = ml_calloc(nlabels, sizeof(uint32_t));
	uint32_t *active = ml_malloc(nlabels * sizeof(uint32_t)); /* labels with a non-zero count */
	size_t *slot = ml_malloc(nlabels * sizeof(size_t));
	if (!c || !res || !ev || !count || !active || !slot) {
		ml_free(c);
		ml_free(res);
		ml_free(ev);
		ml_free(count);
		ml_free(active);
		ml_free(slot);
		return ml_err_set(err, ML_ENOMEM, "out of memory for token voting");
	}
	/* One vote per annotator and label: merge each annotator's overlapping spans of a label. */
	memcpy(c, s, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_annot_label_start);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && c[k - 1].annotator == c[i].annotator && c[k - 1].label == c[i].label && c[i].start <= c[k - 1].end) {
			if (c[i].end > c[k - 1].end)
				c[k - 1].end = c[i].end;
		} else {
			c[k++] = c[i];
		}
	}
	size_t ne = 0;
	for (size_t i = 0; i < k; i++) {
		ev[ne++] = (struct event){c[i].start, c[i].label, +1};
		ev[ne++] = (struct event){c[i].end, c[i].label, -1};
	}
	qsort(ev, ne, sizeof(*ev), cmp_event);
	size_t nactive = 0, nres = 0;
	uint64_t ties = 0;
	for (size_t e = 0; e < ne;) {
		uint64_t pos = ev[e].pos;
		for (; e < ne && ev[e].pos == pos; e++) {
			uint32_t l = ev[e].label;
			if (ev[e].delta > 0 && count[l]++ == 0) {
				slot[l] = nactive;
				active[nactive++] = l;
			} else if (ev[e].delta < 0 && --count[l] == 0) {
				uint32_t last = active[--nactive];
				active[slot[l]] = last;
				slot[last] = slot[l];
			}
		}
		if (e == ne)
			break;
		uint64_t next = ev[e].pos;
		uint32_t best = AGREE_MISSING, bestc = 0;
		bool tie = false;
		for (size_t i = 0; i < nactive; i++) {
			uint32_t l = active[i];
			if (count[l] > bestc) {
				bestc = count[l];
				best = l;
				tie = false;
			} else if (count[l] == bestc) {
				tie = true;
			}
		}
		if (bestc < need)
			continue;
		if (tie) {
			ties += next - pos;
			continue;
		}
		if (nres && res[nres - 1].label == best && res[nres - 1].end == pos)
			res[nres - 1].end = next;
		else
			res[nres++] = (struct agree_span){pos, next, best, 0};
	}
	ml_free(c);
	ml_free(ev);
	ml_free(count);
	ml_free(active);
	ml_free(slot);
	*out = res;
	*nout = nres;
	if (tied_points)
		*tied_points = ties;
	return 0;
}
