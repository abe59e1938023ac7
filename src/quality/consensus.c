/* consensus.c: one label per item from several annotators: majority and weighted vote with ties
 * reported, and Dawid-Skene EM (annotator confusion matrices and item posteriors). */
#include "quality/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int consensus_labels_from_table(const struct agree_table *t, struct consensus_label **labels, size_t *n,
				struct ml_err *err)
{
	size_t count = 0;
	for (size_t i = 0; i < t->nunits * t->ncoders; i++)
		count += t->cell[i] != AGREE_MISSING;
	struct consensus_label *l = ml_malloc((count ? count : 1) * sizeof(*l));
	if (!l)
		return ml_err_set(err, ML_ENOMEM, "out of memory for %zu labels", count);
	size_t k = 0;
	for (size_t u = 0; u < t->nunits; u++)
		for (size_t c = 0; c < t->ncoders; c++) {
			uint32_t v = t->cell[u * t->ncoders + c];
			if (v != AGREE_MISSING)
				l[k++] = (struct consensus_label){(uint32_t)u, (uint32_t)c, v};
		}
	*labels = l;
	*n = count;
	return 0;
}

/* Checks the triples and groups them by item: order[start[i] .. start[i+1]) are item i's labels. */
static int group_by_item(const struct consensus_label *l, size_t n, size_t nitems, size_t nannotators, size_t nlabels,
			 size_t **start_out, uint32_t **order_out, struct ml_err *err)
{
	if (nlabels == 0 || nlabels > AGREE_MAX_VALUES)
		return ml_err_set(err, ML_EINVAL, "the number of labels must be 1 to %d, not %zu", AGREE_MAX_VALUES, nlabels);
	if (n > UINT32_MAX)
		return ml_err_set(err, ML_ELIMIT, "more than %u labels", UINT32_MAX);
	size_t *start = ml_calloc(nitems + 1, sizeof(size_t));
	uint32_t *order = ml_malloc((n ? n : 1) * sizeof(uint32_t));
	uint32_t *last = ml_malloc((nannotators ? nannotators : 1) * sizeof(uint32_t));
	if (!start || !order || !last) {
		ml_free(start);
		ml_free(order);
		ml_free(last);
		return ml_err_set(err, ML_ENOMEM, "out of memory grouping %zu labels", n);
	}
	for (size_t k = 0; k < n; k++) {
		if (l[k].item >= nitems || l[k].annotator >= nannotators || l[k].label >= nlabels) {
			ml_free(start);
			ml_free(order);
			ml_free(last);
			return ml_err_set(err, ML_EINVAL, "label %zu: item, annotator or label out of range", k);
		}
		start[l[k].item + 1]++;
	}
	for (size_t i = 0; i < nitems; i++)
		start[i + 1] += start[i];
	size_t *fill = ml_malloc((nitems ? nitems : 1) * sizeof(size_t));
	if (!fill) {
		ml_free(start);
		ml_free(order);
		ml_free(last);
		return ml_err_set(err, ML_ENOMEM, "out of memory grouping %zu labels", n);
	}
	memcpy(fill, start, nitems * sizeof(size_t));
	for (size_t k = 0; k < n; k++)
		order[fill[l[k].item]++] = (uint32_t)k;
	ml_free(fill);
	for (size_t j = 0; j < nannotators; j++)
		last[j] = UINT32_MAX;
	for (size_t i = 0; i < nitems; i++)
		for (size_t p = start[i]; p < start[i + 1]; p++) {
			const struct consensus_label *x = &l[order[p]];
			if (last[x->annotator] == (uint32_t)i) {
				ml_err_set(err, ML_EINVAL, "label %u: annotator %u labelled item %u twice", order[p],
					   x->annotator, x->item);
				ml_free(start);
				ml_free(order);
				ml_free(last);
				return -1;
			}
			last[x->annotator] = (uint32_t)i;
		}
	ml_free(last);
	*start_out = start;
	*order_out = order;
	return 0;
}

void consensus_vote_release(struct consensus_vote *v)
{
	ml_free(v->label);
	ml_free(v->tie);
	ml_free(v->support);
	memset(v, 0, sizeof(*v));
}

int consensus_vote(const struct consensus_label *labels, size_t n, size_t nitems, size_t nannotators, size_t nlabels,
		   const double *weights, struct consensus_vote *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	if (weights)
		for (size_t j = 0; j < nannotators; j++)
			if (!(weights[j] >= 0) || isinf(weights[j]))
				return ml_err_set(err, ML_EINVAL, "annotator %zu: weight must be finite and >= 0", j);
	size_t *start;
	uint32_t *order;
	if (group_by_item(labels, n, nitems, nannotators, nlabels, &start, &order, err) < 0)
		return -1;
	double *score = ml_calloc(nlabels, sizeof(double));
	out->label = ml_malloc((nitems ? nitems : 1) * sizeof(uint32_t));
	out->tie = ml_calloc(nitems ? nitems : 1, sizeof(bool));
	out->support = ml_calloc(nitems ? nitems : 1, sizeof(double));
	if (!score || !out->label || !out->tie || !out->support) {
		ml_free(score);
		ml_free(start);
		ml_free(order);
		consensus_vote_release(out);
		return ml_err_set(err, ML_ENOMEM, "out of memory voting on %zu items", nitems);
	}
	out->nitems = nitems;
	for (size_t i = 0; i < nitems; i++) {
		out->label[i] = AGREE_MISSING;
		double total = 0;
		for (size_t p = start[i]; p < start[i + 1]; p++) {
			const struct consensus_label *x = &labels[order[p]];
			double w = weights ? weights[x->annotator] : 1.0;
			score[x->label] += w;
			total += w;
		}
		double best = -1;
		uint32_t bl = AGREE_MISSING;
		bool tie = false;
		for (size_t p = start[i]; p < start[i + 1]; p++)
			if (score[labels[order[p]].label] > best)
				best = score[labels[order[p]].label];
		for (size_t p = start[i]; p < start[i + 1]; p++) {
			uint32_t k = labels[order[p]].label;
			if (score[k] != best || k == bl)
				continue;
			if (bl != AGREE_MISSING)
				tie = true;
			if (bl == AGREE_MISSING || k < bl)
				bl = k;
		}
		if (start[i + 1] > start[i]) {
			out->label[i] = bl;
			out->tie[i] = tie;
			out->support[i] = total > 0 ? best / total : 0;
			out->nties += tie;
		}
		for (size_t p = start[i]; p < start[i + 1]; p++)
			score[labels[order[p]].label] = 0;
	}
	ml_free(score);
	ml_free(start);
	ml_free(order);
	return 0;
}

void consensus_ds_release(struct consensus_ds *ds)
{
	ml_free(ds->prior);
	ml_free(ds->confusion);
	ml_free(ds->posterior);
	ml_free(ds->label);
	memset(ds, 0, sizeof(*ds));
}

int consensus_dawid_skene(const struct consensus_label *labels, size_t n, size_t nitems, size_t nannotators,
			  size_t nlabels, const struct consensus_ds_options *opt, struct consensus_ds *out,
			  struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	double tol = opt && opt->tol > 0 ? opt->tol : 1e-7;
	int max_iter = opt && opt->max_iter > 0 ? opt->max_iter : 100;
	double smooth = opt ? opt->smoothing : 0.01;
	if (!(smooth >= 0) || isinf(smooth))
		return ml_err_set(err, ML_EINVAL, "Dawid-Skene smoothing must be finite and >= 0");
	size_t K = nlabels;
	if (K > 4096)
		return ml_err_set(err, ML_ELIMIT, "Dawid-Skene on %zu labels: at most 4096", K);
	if (nannotators > SIZE_MAX / (K * K * sizeof(double)) || nitems > SIZE_MAX / (K * sizeof(double)))
		return ml_err_set(err, ML_ELIMIT, "Dawid-Skene problem too large");
	size_t *start;
	uint32_t *order;
	if (group_by_item(labels, n, nitems, nannotators, nlabels, &start, &order, err) < 0)
		return -1;
	/* Labels copied in item order: the E-step then walks memory straight through. */
	uint32_t *ann = ml_malloc((n ? n : 1) * sizeof(uint32_t)), *lab = ml_malloc((n ? n : 1) * sizeof(uint32_t));
	double *logc = ml_malloc((nannotators ? nannotators : 1) * K * K * sizeof(double)); /* [j][given][true] */
	double *lp = ml_malloc(K * sizeof(double));
	out->prior = ml_malloc(K * sizeof(double));
	out->confusion = ml_calloc((nannotators ? nannotators : 1) * K * K, sizeof(double));
	out->posterior = ml_calloc((nitems ? nitems : 1) * K, sizeof(double));
	out->label = ml_malloc((nitems ? nitems : 1) * sizeof(uint32_t));
	int rc = -1;
	if (!ann || !lab || !logc || !lp || !out->prior || !out->confusion || !out->posterior || !out->label) {
		ml_err_set(err, ML_ENOMEM, "out of memory for Dawid-Skene on %zu labels", n);
		goto out;
	}
	out->nitems = nitems;
	out->nannotators = nannotators;
	out->nlabels = K;
	for (size_t p = 0; p < n; p++) {
		ann[p] = labels[order[p]].annotator;
		lab[p] = labels[order[p]].label;
	}
	double *T = out->posterior, *conf = out->confusion, *prior = out->prior;
	size_t labelled = 0;
	/* Initialisation: each item's vote shares (the soft majority vote). */
	for (size_t i = 0; i < nitems; i++) {
		size_t m = start[i + 1] - start[i];
		if (!m)
			continue;
		labelled++;
		for (size_t p = start[i]; p < start[i + 1]; p++)
			T[i * K + lab[p]] += 1.0 / (double)m;
	}
	double prev = -INFINITY;
	for (int it = 1; it <= max_iter; it++) {
		/* M-step. */
		for (size_t k = 0; k < K; k++)
			prior[k] = smooth;
		for (size_t i = 0; i < nitems; i++)
			if (start[i + 1] > start[i])
				for (size_t k = 0; k < K; k++)
					prior[k] += T[i * K + k];
		for (size_t k = 0; k < K; k++)
			prior[k] /= (double)labelled + smooth * (double)K;
		for (size_t x = 0; x < nannotators * K * K; x++)
			conf[x] = smooth;
		for (size_t i = 0; i < nitems; i++)
			for (size_t p = start[i]; p < start[i + 1]; p++) {
				double *row = conf + (size_t)ann[p] * K * K;
				for (size_t k = 0; k < K; k++)
					row[k * K + lab[p]] += T[i * K + k];
			}
		for (size_t j = 0; j < nannotators; j++)
			for (size_t k = 0; k < K; k++) {
				double *row = conf + (j * K + k) * K, s = 0;
				for (size_t l = 0; l < K; l++)
					s += row[l];
				for (size_t l = 0; l < K; l++) {
					row[l] = s > 0 ? row[l] / s : 1.0 / (double)K;
					logc[(j * K + l) * K + k] = log(row[l]);
				}
			}
		/* E-step, and the log-likelihood of the labels under the parameters just estimated. */
		double ll = 0;
		for (size_t i = 0; i < nitems; i++) {
			if (start[i + 1] == start[i]) {
				memcpy(T + i * K, prior, K * sizeof(double));
				continue;
			}
			for (size_t k = 0; k < K; k++)
				lp[k] = log(prior[k]);
			for (size_t p = start[i]; p < start[i + 1]; p++) {
				const double *lc = logc + ((size_t)ann[p] * K + lab[p]) * K;
				for (size_t k = 0; k < K; k++)
					lp[k] += lc[k];
			}
			double mx = lp[0];
			for (size_t k = 1; k < K; k++)
				if (lp[k] > mx)
					mx = lp[k];
			double s = 0;
			for (size_t k = 0; k < K; k++)
				s += (lp[k] = exp(lp[k] - mx));
			for (size_t k = 0; k < K; k++)
				T[i * K + k] = lp[k] / s;
			ll += mx + log(s);
		}
		out->iterations = it;
		out->loglik = ll;
		if (fabs(ll - prev) <= tol * fabs(ll)) {
			out->converged = true;
			break;
		}
		prev = ll;
	}
	for (size_t i = 0; i < nitems; i++) {
		out->label[i] = AGREE_MISSING;
		if (start[i + 1] == start[i])
			continue;
		uint32_t best = 0;
		for (size_t k = 1; k < K; k++)
			if (T[i * K + k] > T[i * K + best])
				best = (uint32_t)k;
		out->label[i] = best;
	}
	rc = 0;
out:
	ml_free(ann);
	ml_free(lab);
	ml_free(logc);
	ml_free(lp);
	ml_free(start);
	ml_free(order);
	if (rc < 0)
		consensus_ds_release(out);
	return rc;
}
