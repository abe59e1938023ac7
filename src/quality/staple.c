/* staple.c: STAPLE consensus of binary masks (rater sensitivity, specificity, voxel posteriors), run on
 * the distinct patterns of votes rather than on every voxel. */
#include "quality/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void consensus_staple_release(struct consensus_staple *s)
{
	ml_free(s->sensitivity);
	ml_free(s->specificity);
	ml_free(s->posterior);
	memset(s, 0, sizeof(*s));
}

struct pattern_set {
	uint64_t *key;   /* capacity slots; a pattern is stored as key + 1 in `used` */
	uint32_t *index; /* slot -> pattern index */
	bool *used;
	size_t cap, n;
	uint64_t *pat;  /* n patterns */
	double *count; /* voxels with each pattern */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static long pattern_find(const struct pattern_set *ps, uint64_t key)
{
	size_t j = mix(key) & (ps->cap - 1);
	while (ps->used[j]) {
		if (ps->key[j] == key)
			return ps->index[j];
		j = (j + 1) & (ps->cap - 1);
	}
	return -1;
}

static int pattern_add(struct pattern_set *ps, uint64_t key)
{
	size_t j = mix(key) & (ps->cap - 1);
	while (ps->used[j]) {
		if (ps->key[j] == key) {
			ps->count[ps->index[j]]++;
			return 0;
		}
		j = (j + 1) & (ps->cap - 1);
	}
	ps->used[j] = true;
	ps->key[j] = key;
	ps->index[j] = (uint32_t)ps->n;
	ps->pat[ps->n] = key;
	ps->count[ps->n] = 1;
	ps->n++;
	return 0;
}

/* log clamped away from 0: a rater with p or q at exactly 1 must not make both hypotheses impossible. */
static double slog(double x)
{
	return log(fmax(x, 1e-300));
}

static uint64_t voxel_pattern(const uint8_t *const *masks, size_t nraters, size_t i)
{
	uint64_t key = 0;
	for (size_t j = 0; j < nraters; j++)
		key |= (uint64_t)(masks[j][i] != 0) << j;
	return key;
}

int consensus_staple(const uint8_t *const *masks, size_t nraters, size_t nvoxels, const struct consensus_staple_options *opt,
		     struct consensus_staple *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	if (nraters == 0 || nraters > 64)
		return ml_err_set(err, ML_EINVAL, "STAPLE needs 1 to 64 raters, not %zu", nraters);
	if (nvoxels == 0)
		return ml_err_set(err, ML_EINVAL, "STAPLE needs at least one voxel");
	double tol = opt && opt->tol > 0 ? opt->tol : 1e-8;
	int max_iter = opt && opt->max_iter > 0 ? opt->max_iter : 200;
	/* At most min(voxels, 2^raters) patterns; the table is twice that, rounded to a power of two. */
	size_t maxp = nraters < 30 && ((size_t)1 << nraters) < nvoxels ? (size_t)1 << nraters : nvoxels;
	size_t cap = 16;
	while (cap < 2 * maxp)
		cap *= 2;
	struct pattern_set ps = {.cap = cap};
	ps.key = ml_malloc(cap * sizeof(uint64_t));
	ps.index = ml_malloc(cap * sizeof(uint32_t));
	ps.used = ml_calloc(cap, sizeof(bool));
	ps.pat = ml_malloc(maxp * sizeof(uint64_t));
	ps.count = ml_malloc(maxp * sizeof(double));
	double *W = ml_malloc(maxp * sizeof(double));
	out->sensitivity = ml_malloc(nraters * sizeof(double));
	out->specificity = ml_malloc(nraters * sizeof(double));
	out->posterior = ml_malloc(nvoxels * sizeof(float));
	int rc = -1;
	if (!ps.key || !ps.index || !ps.used || !ps.pat || !ps.count || !W || !out->sensitivity || !out->specificity ||
	    !out->posterior) {
		ml_err_set(err, ML_ENOMEM, "out of memory for STAPLE on %zu voxels", nvoxels);
		goto out;
	}
	out->nraters = nraters;
	out->nvoxels = nvoxels;
	double fg = 0;
	for (size_t i = 0; i < nvoxels; i++) {
		uint64_t key = voxel_pattern(masks, nraters, i);
		fg += (double)__builtin_popcountll(key);
		if (pattern_add(&ps, key) < 0)
			goto out;
	}
	double f = fg / ((double)nvoxels * (double)nraters);
	out->prior = f;
	double *p = out->sensitivity, *q = out->specificity;
	for (size_t j = 0; j < nraters; j++)
		p[j] = q[j] = 0.9;
	for (int it = 1; it <= max_iter; it++) {
		/* E-step: W = P(foreground | votes) per pattern, in logs so many raters do not underflow. */
		for (size_t k = 0; k < ps.n; k++) {
			double la = slog(f), lb = slog(1 - f);
			for (size_t j = 0; j < nraters; j++) {
				bool d = (ps.pat[k] >> j) & 1;
				la += slog(d ? p[j] : 1 - p[j]);
				lb += slog(d ? 1 - q[j] : q[j]);
			}
			W[k] = f <= 0 ? 0 : f >= 1 ? 1 : 1 / (1 + exp(lb - la));
		}
		/* M-step: p_j = sum W d / sum W, q_j = sum (1-W)(1-d) / sum (1-W). */
		double sw = 0, snw = 0, change = 0;
		for (size_t k = 0; k < ps.n; k++) {
			sw += ps.count[k] * W[k];
			snw += ps.count[k] * (1 - W[k]);
		}
		for (size_t j = 0; j < nraters; j++) {
			double a = 0, b = 0;
			for (size_t k = 0; k < ps.n; k++) {
				bool d = (ps.pat[k] >> j) & 1;
				if (d)
					a += ps.count[k] * W[k];
				else
					b += ps.count[k] * (1 - W[k]);
			}
			double np = sw > 0 ? a / sw : p[j], nq = snw > 0 ? b / snw : q[j];
			change = fmax(change, fmax(fabs(np - p[j]), fabs(nq - q[j])));
			p[j] = np;
			q[j] = nq;
		}
		out->iterations = it;
		if (change <= tol) {
			out->converged = true;
			break;
		}
	}
	/* Final posteriors under the final parameters. */
	for (size_t k = 0; k < ps.n; k++) {
		double la = slog(f), lb = slog(1 - f);
		for (size_t j = 0; j < nraters; j++) {
			bool d = (ps.pat[k] >> j) & 1;
			la += slog(d ? p[j] : 1 - p[j]);
			lb += slog(d ? 1 - q[j] : q[j]);
		}
		W[k] = f <= 0 ? 0 : f >= 1 ? 1 : 1 / (1 + exp(lb - la));
	}
	for (size_t i = 0; i < nvoxels; i++)
		out->posterior[i] = (float)W[pattern_find(&ps, voxel_pattern(masks, nraters, i))];
	rc = 0;
out:
	ml_free(ps.key);
	ml_free(ps.index);
	ml_free(ps.used);
	ml_free(ps.pat);
	ml_free(ps.count);
	ml_free(W);
	if (rc < 0)
		consensus_staple_release(out);
	return rc;
}
