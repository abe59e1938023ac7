/* test_quality_consensus.c: majority and weighted vote (ties), Dawid-Skene on simulated annotators whose
 * confusion matrices are known. */
#include "harness.h"
#include "quality/quality.h"

#include <stdlib.h>

TEST(majority_vote_and_ties)
{
	/* item 0: a a b -> a; item 1: a b -> tie (a); item 2: nobody; item 3: c */
	struct consensus_label l[] = {{0, 0, 0}, {0, 1, 0}, {0, 2, 1}, {1, 0, 0}, {1, 1, 1}, {3, 2, 2}};
	struct consensus_vote v;
	struct ml_err err;
	CHECK(consensus_vote(l, 6, 4, 3, 3, NULL, &v, &err) == 0);
	CHECK_EQ_INT(v.label[0], 0);
	CHECK(!v.tie[0]);
	CHECK_NEAR(v.support[0], 2.0 / 3, 1e-12);
	CHECK_EQ_INT(v.label[1], 0);
	CHECK(v.tie[1]);
	CHECK_EQ_INT(v.label[2], AGREE_MISSING);
	CHECK_EQ_INT(v.label[3], 2);
	CHECK_EQ_INT(v.nties, 1);
	consensus_vote_release(&v);
	/* Annotator 2 outweighs the other two together: item 0 flips to b; annotator 1 outweighs annotator 0,
	 * which breaks the tie on item 1. */
	double w[] = {1, 1.5, 2.6};
	CHECK(consensus_vote(l, 6, 4, 3, 3, w, &v, &err) == 0);
	CHECK_EQ_INT(v.label[0], 1);
	CHECK_NEAR(v.support[0], 2.6 / 5.1, 1e-12);
	CHECK(!v.tie[1]);
	CHECK_EQ_INT(v.label[1], 1);
	CHECK_EQ_INT(v.nties, 0);
	consensus_vote_release(&v);
}

TEST(vote_rejects_bad_input)
{
	struct consensus_label dup[] = {{0, 1, 0}, {0, 1, 1}};
	struct consensus_vote v;
	struct ml_err err;
	CHECK(consensus_vote(dup, 2, 1, 2, 2, NULL, &v, &err) < 0);
	CHECK(strstr(err.msg, "twice") != NULL);
	struct consensus_label oor[] = {{0, 5, 0}};
	CHECK(consensus_vote(oor, 1, 1, 2, 2, NULL, &v, &err) < 0);
	double w[] = {1, -1};
	struct consensus_label ok[] = {{0, 0, 0}};
	CHECK(consensus_vote(ok, 1, 1, 2, 2, w, &v, &err) < 0);
}

/* Simulates nitems items with a true class each, labelled by `per_item` distinct random annotators whose
 * labels follow their own confusion matrix. */
struct sim {
	size_t nitems, nann, K, n;
	double *conf; /* nann x K x K */
	uint32_t *truth;
	struct consensus_label *l;
};

static void simulate(struct sim *s, size_t nitems, size_t nann, size_t K, size_t per_item, uint64_t seed)
{
	struct agree_rng r;
	agree_rng_seed(&r, seed);
	s->nitems = nitems;
	s->nann = nann;
	s->K = K;
	s->conf = ml_xcalloc(nann * K * K, sizeof(double));
	for (size_t j = 0; j < nann; j++) {
		bool spammer = j % 5 == 4; /* every fifth annotator answers at random */
		double acc = 0.55 + 0.4 * agree_rng_unit(&r);
		for (size_t k = 0; k < K; k++) {
			double *row = s->conf + (j * K + k) * K, rest = 0;
			for (size_t l = 0; l < K; l++)
				rest += row[l] = l == k ? 0 : 0.2 + agree_rng_unit(&r);
			for (size_t l = 0; l < K; l++)
				row[l] = spammer ? 1.0 / (double)K : (l == k ? acc : (1 - acc) * row[l] / rest);
		}
	}
	s->truth = ml_xmalloc(nitems * sizeof(uint32_t));
	s->l = ml_xmalloc(nitems * per_item * sizeof(*s->l));
	s->n = 0;
	uint32_t *chosen = ml_xmalloc(per_item * sizeof(uint32_t));
	for (size_t i = 0; i < nitems; i++) {
		/* class priors 0.5, 0.3, 0.2 (K = 3) */
		double u = agree_rng_unit(&r);
		uint32_t k = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
		s->truth[i] = k;
		size_t got = 0;
		while (got < per_item) {
			uint32_t j = (uint32_t)agree_rng_below(&r, nann);
			bool dup = false;
			for (size_t q = 0; q < got; q++)
				dup |= chosen[q] == j;
			if (dup)
				continue;
			chosen[got++] = j;
			double x = agree_rng_unit(&r), c = 0;
			uint32_t lab = (uint32_t)K - 1;
			for (size_t l = 0; l < K; l++) {
				c += s->conf[(j * K + k) * K + l];
				if (x < c) {
					lab = (uint32_t)l;
					break;
				}
			}
			s->l[s->n++] = (struct consensus_label){(uint32_t)i, j, lab};
		}
	}
	ml_free(chosen);
}

static void sim_free(struct sim *s)
{
	ml_free(s->conf);
	ml_free(s->truth);
	ml_free(s->l);
}

TEST(dawid_skene_recovers_known_confusion)
{
	struct sim s;
	simulate(&s, 6000, 15, 3, 5, 11);
	struct consensus_ds ds;
	struct ml_err err;
	CHECK(consensus_dawid_skene(s.l, s.n, s.nitems, s.nann, s.K, NULL, &ds, &err) == 0);
	CHECK(ds.converged);
	double maxerr = 0;
	for (size_t x = 0; x < s.nann * 9; x++) {
		double e = fabs(ds.confusion[x] - s.conf[x]);
		if (e > maxerr)
			maxerr = e;
	}
	/* ~2000 labels per annotator, the rarest class ~400 of them: sampling error is a few hundredths. */
	if (maxerr > 0.08)
		test_fail(__FILE__, __LINE__, "confusion error %.3f", maxerr);
	CHECK(maxerr <= 0.08);
	CHECK_NEAR(ds.prior[0], 0.5, 0.03);
	CHECK_NEAR(ds.prior[1], 0.3, 0.03);
	CHECK_NEAR(ds.prior[2], 0.2, 0.03);
	/* Posteriors are distributions; DS beats the majority vote because it discounts the spammers. */
	size_t ds_right = 0, mv_right = 0;
	struct consensus_vote v;
	CHECK(consensus_vote(s.l, s.n, s.nitems, s.nann, s.K, NULL, &v, &err) == 0);
	for (size_t i = 0; i < s.nitems; i++) {
		double sum = ds.posterior[i * 3] + ds.posterior[i * 3 + 1] + ds.posterior[i * 3 + 2];
		CHECK_NEAR(sum, 1, 1e-9);
		ds_right += ds.label[i] == s.truth[i];
		mv_right += v.label[i] == s.truth[i];
	}
	CHECK(ds_right > mv_right);
	CHECK(ds_right > s.nitems * 85 / 100);
	consensus_vote_release(&v);
	consensus_ds_release(&ds);
	sim_free(&s);
}

TEST(dawid_skene_handles_unlabelled_items_and_options)
{
	struct consensus_label l[] = {{0, 0, 1}, {0, 1, 1}, {2, 0, 0}, {2, 1, 0}, {3, 0, 1}, {3, 1, 0}};
	struct consensus_ds ds;
	struct ml_err err;
	struct consensus_ds_options o = {.tol = 1e-12, .max_iter = 3, .smoothing = 0};
	CHECK(consensus_dawid_skene(l, 6, 4, 2, 2, &o, &ds, &err) == 0);
	CHECK(ds.iterations <= 3);
	CHECK_EQ_INT(ds.label[1], AGREE_MISSING);
	CHECK_NEAR(ds.posterior[2] + ds.posterior[3], 1, 1e-12); /* item 1 keeps the prior */
	CHECK_NEAR(ds.posterior[2], ds.prior[0], 1e-12);
	CHECK_EQ_INT(ds.label[0], 1);
	CHECK_EQ_INT(ds.label[2], 0);
	consensus_ds_release(&ds);
	struct consensus_label dup[] = {{0, 0, 1}, {0, 0, 1}};
	CHECK(consensus_dawid_skene(dup, 2, 1, 1, 2, NULL, &ds, &err) < 0);
	o.smoothing = -1;
	CHECK(consensus_dawid_skene(l, 6, 4, 2, 2, &o, &ds, &err) < 0);
}

TEST(labels_from_table)
{
	uint32_t cell[] = {0, AGREE_MISSING, 1, 1};
	struct agree_table t;
	struct ml_err err;
	CHECK(agree_table_from_codes(&t, 2, 2, cell, 2, NULL, NULL, NULL, &err) == 0);
	struct consensus_label *l;
	size_t n;
	CHECK(consensus_labels_from_table(&t, &l, &n, &err) == 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(l[1].item, 1);
	CHECK_EQ_INT(l[1].annotator, 0);
	CHECK_EQ_INT(l[1].label, 1);
	ml_free(l);
	agree_table_release(&t);
}
