/* test_quality_spans.c: span F1 (exact, overlap, token) on hand cases and against a brute force over
 * positions, Krippendorff's unitizing alpha on his published examples (1995 and 2004), token voting. */
#include "harness.h"
#include "quality/quality.h"

#include <stdlib.h>

TEST(span_f1_hand_cases)
{
	/* a: [0,5) x, [10,20) y, [30,35) x;  b: [0,5) x, [12,18) y, [40,45) x, [0,5) x (duplicate) */
	struct agree_span a[] = {{0, 5, 0, 0}, {10, 20, 1, 0}, {30, 35, 0, 0}};
	struct agree_span b[] = {{0, 5, 0, 1}, {12, 18, 1, 1}, {40, 45, 0, 1}, {0, 5, 0, 1}};
	struct agree_f1 f;
	struct ml_err err;
	CHECK(agree_span_f1(a, 3, b, 4, AGREE_SPAN_EXACT, AGREE_MISSING, &f, &err) == 0);
	CHECK_EQ_INT(f.na, 3);
	CHECK_EQ_INT(f.nb, 3);
	CHECK_EQ_INT(f.found_a, 1);
	CHECK_NEAR(f.f1, 2.0 / 6, 1e-12);
	CHECK(agree_span_f1(a, 3, b, 4, AGREE_SPAN_OVERLAP, AGREE_MISSING, &f, &err) == 0);
	CHECK_EQ_INT(f.found_a, 2); /* [0,5) and [10,20) */
	CHECK_EQ_INT(f.found_b, 3); /* both copies of [0,5) and [12,18) */
	CHECK_NEAR(f.recall, 2.0 / 3, 1e-12);
	CHECK_NEAR(f.precision, 3.0 / 4, 1e-12);
	CHECK(agree_span_f1(a, 3, b, 4, AGREE_SPAN_TOKEN, AGREE_MISSING, &f, &err) == 0);
	CHECK_EQ_INT(f.na, 20);
	CHECK_EQ_INT(f.nb, 16);
	CHECK_EQ_INT(f.found_a, 11);
	CHECK_NEAR(f.f1, 22.0 / 36, 1e-12);
	/* Per label: y only. */
	CHECK(agree_span_f1(a, 3, b, 4, AGREE_SPAN_TOKEN, 1, &f, &err) == 0);
	CHECK_EQ_INT(f.found_a, 6);
	CHECK_NEAR(f.f1, 12.0 / 16, 1e-12);
	/* A label mismatch is no match. */
	struct agree_span c[] = {{0, 5, 1, 1}};
	CHECK(agree_span_f1(a, 1, c, 1, AGREE_SPAN_OVERLAP, AGREE_MISSING, &f, &err) == 0);
	CHECK_NEAR(f.f1, 0, 0);
	CHECK(agree_span_f1(a, 0, c, 0, AGREE_SPAN_EXACT, AGREE_MISSING, &f, &err) == 0);
	CHECK_NEAR(f.f1, 1, 0);
	struct agree_span bad[] = {{5, 5, 0, 0}};
	CHECK(agree_span_f1(bad, 1, c, 1, AGREE_SPAN_EXACT, AGREE_MISSING, &f, &err) < 0);
}

TEST(span_f1_against_brute_force)
{
	struct agree_rng r;
	agree_rng_seed(&r, 41);
	for (int trial = 0; trial < 200; trial++) {
		struct agree_span a[12], b[12];
		size_t na = agree_rng_below(&r, 12), nb = agree_rng_below(&r, 12);
		for (size_t i = 0; i < na; i++) {
			uint64_t s = agree_rng_below(&r, 60);
			a[i] = (struct agree_span){s, s + 1 + agree_rng_below(&r, 8), (uint32_t)agree_rng_below(&r, 3), 0};
		}
		for (size_t i = 0; i < nb; i++) {
			uint64_t s = agree_rng_below(&r, 60);
			b[i] = (struct agree_span){s, s + 1 + agree_rng_below(&r, 8), (uint32_t)agree_rng_below(&r, 3), 1};
		}
		/* overlap, brute force */
		uint64_t fa = 0, fb = 0;
		for (size_t i = 0; i < na; i++) {
			bool hit = false;
			for (size_t j = 0; j < nb; j++)
				hit |= a[i].label == b[j].label && a[i].start < b[j].end && b[j].start < a[i].end;
			fa += hit;
		}
		for (size_t j = 0; j < nb; j++) {
			bool hit = false;
			for (size_t i = 0; i < na; i++)
				hit |= a[i].label == b[j].label && a[i].start < b[j].end && b[j].start < a[i].end;
			fb += hit;
		}
		struct agree_f1 f;
		struct ml_err err;
		CHECK(agree_span_f1(a, na, b, nb, AGREE_SPAN_OVERLAP, AGREE_MISSING, &f, &err) == 0);
		CHECK_EQ_INT(f.found_a, fa);
		CHECK_EQ_INT(f.found_b, fb);
		/* token, brute force over positions and labels */
		uint64_t ta = 0, tb = 0, tp = 0;
		for (uint32_t l = 0; l < 3; l++)
			for (uint64_t p = 0; p < 70; p++) {
				bool x = false, y = false;
				for (size_t i = 0; i < na; i++)
					x |= a[i].label == l && a[i].start <= p && p < a[i].end;
				for (size_t j = 0; j < nb; j++)
					y |= b[j].label == l && b[j].start <= p && p < b[j].end;
				ta += x;
				tb += y;
				tp += x && y;
			}
		CHECK(agree_span_f1(a, na, b, nb, AGREE_SPAN_TOKEN, AGREE_MISSING, &f, &err) == 0);
		CHECK_EQ_INT(f.na, ta);
		CHECK_EQ_INT(f.nb, tb);
		CHECK_EQ_INT(f.found_a, tp);
	}
}

/* Krippendorff, Content Analysis (2004), p. 254 (as used by DKPro Statistics' tests): continuum
 * [150, 450), two observers, labels c (0) and k (1). */
TEST(unitizing_alpha_krippendorff_2004)
{
	struct agree_span s[] = {
		{225, 295, 0, 0}, {370, 400, 0, 0}, {220, 300, 0, 1}, {355, 375, 0, 1}, {400, 420, 0, 1},
		{180, 240, 1, 0}, {300, 350, 1, 0}, {180, 240, 1, 1}, {300, 350, 1, 1},
	};
	struct agree_ualpha u;
	struct ml_err err;
	CHECK(agree_unitizing_alpha(s, 9, 2, 2, 150, 300, &u, &err) == 0);
	/* Observed for c by hand: 50 + 850 + 400 per ordered pair, 2 x 1300 / (2 x 1 x 300^2). */
	CHECK_NEAR(u.dobs[0], 2600.0 / 180000, 1e-15);
	CHECK_NEAR(u.dobs[0], 0.0144, 0.0001);
	CHECK_NEAR(u.dexp[0], 0.0532, 0.0001);
	CHECK_NEAR(u.alpha[0], 0.7286, 0.0001);
	CHECK_NEAR(u.dobs[1], 0, 1e-15);
	CHECK_NEAR(u.dexp[1], 0.0490, 0.0001);
	CHECK_NEAR(u.alpha[1], 1, 1e-12);
	CHECK_NEAR(u.overall, 0.8591, 0.0005);
	agree_ualpha_release(&u);
}

/* Krippendorff (1995), "On the reliability of unitizing continuous data", p. 57: four pairs of observers
 * (A-D, here four labels) on a continuum of 24, stretched by `k` to approach the continuous case. */
static size_t example_1995(struct agree_span *s, uint64_t k)
{
	static const unsigned u[][4] = {
		{2, 8, 0, 0},  {14, 6, 0, 0}, {4, 4, 1, 0},  {15, 2, 1, 0},                                 /* A */
		{0, 18, 0, 1}, {0, 2, 1, 1},  {2, 1, 1, 1},  {3, 1, 1, 1},  {4, 1, 1, 1}, {5, 1, 1, 1},     /* B */
		{6, 3, 1, 1},  {9, 1, 1, 1},                                                                /* B */
		{2, 6, 0, 2},  {10, 2, 0, 2}, {14, 4, 0, 2}, {20, 2, 0, 2}, {0, 2, 1, 2}, {4, 4, 1, 2},     /* C */
		{10, 4, 1, 2}, {16, 2, 1, 2}, {20, 2, 1, 2},                                                /* C */
		{0, 2, 0, 3},  {2, 8, 0, 3},  {10, 4, 0, 3}, {14, 6, 0, 3}, {20, 4, 0, 3}, {0, 4, 1, 3},    /* D */
		{4, 4, 1, 3},  {8, 7, 1, 3},  {15, 2, 1, 3}, {17, 7, 1, 3},                                 /* D */
	};
	size_t n = ML_ARRAY_LEN(u);
	for (size_t i = 0; i < n; i++)
		s[i] = (struct agree_span){u[i][0] * k, (u[i][0] + u[i][1]) * k, u[i][3], u[i][2]};
	return n;
}

TEST(unitizing_alpha_krippendorff_1995)
{
	struct agree_span s[40];
	size_t n = example_1995(s, 1);
	struct agree_ualpha u;
	struct ml_err err;
	CHECK(agree_unitizing_alpha(s, n, 2, 4, 0, 24, &u, &err) == 0);
	CHECK_NEAR(u.dobs[0], 0.03125, 0.00001);
	CHECK_NEAR(u.dobs[1], 2.26736, 0.00001);
	CHECK_NEAR(u.dobs[2], 0.02777, 0.00001);
	CHECK_NEAR(u.dobs[3], 0.38715, 0.00001);
	agree_ualpha_release(&u);
	n = example_1995(s, 50000);
	CHECK(agree_unitizing_alpha(s, n, 2, 4, 0, 24 * 50000, &u, &err) == 0);
	CHECK_NEAR(u.dobs[2], 0.02777, 0.00001); /* observed disagreement does not depend on the stretch */
	CHECK_NEAR(u.dexp[0], 0.06990, 0.005);
	CHECK_NEAR(u.dexp[1], 1.17731, 0.005);
	CHECK_NEAR(u.dexp[2], 0.08642, 0.005);
	CHECK_NEAR(u.dexp[3], 0.41445, 0.005);
	CHECK_NEAR(u.alpha[0], 0.553, 0.02);
	CHECK_NEAR(u.alpha[1], -0.926, 0.02);
	CHECK_NEAR(u.alpha[2], 0.679, 0.02);
	CHECK_NEAR(u.alpha[3], 0.066, 0.02);
	agree_ualpha_release(&u);
}

TEST(unitizing_alpha_errors_and_perfect_agreement)
{
	struct agree_span same[] = {{3, 7, 0, 0}, {10, 12, 0, 0}, {3, 7, 0, 1}, {10, 12, 0, 1}};
	struct agree_ualpha u;
	struct ml_err err;
	CHECK(agree_unitizing_alpha(same, 4, 2, 1, 0, 20, &u, &err) == 0);
	CHECK_NEAR(u.alpha[0], 1, 1e-12);
	agree_ualpha_release(&u);
	struct agree_span overlap[] = {{3, 7, 0, 0}, {5, 9, 0, 0}};
	CHECK(agree_unitizing_alpha(overlap, 2, 2, 1, 0, 20, &u, &err) < 0);
	CHECK(strstr(err.msg, "overlapping") != NULL);
	struct agree_span outside[] = {{3, 30, 0, 0}};
	CHECK(agree_unitizing_alpha(outside, 1, 2, 1, 0, 20, &u, &err) < 0);
}

TEST(token_voting)
{
	/* Three annotators: x on [0,10), [2,10), [5,12); y on [20,25) twice (annotator 1's two copies vote
	 * once) and [22,30) by annotator 2; a tie x/y on [40,45) with annotators 0 (x) and 1 (y) and 2 (x)
	 * giving x 2 votes... */
	struct agree_span s[] = {
		{0, 10, 0, 0}, {2, 10, 0, 1}, {5, 12, 0, 2},                  /* x: 2+ votes on [2,10) */
		{20, 25, 1, 1}, {21, 25, 1, 1}, {22, 30, 1, 2}, {20, 23, 1, 0}, /* y: 2+ votes on [20,25) */
		{40, 45, 0, 0}, {40, 45, 1, 1},                                /* 1 vote each: below majority */
		{50, 55, 0, 0}, {50, 55, 0, 1}, {50, 55, 1, 2},                /* x wins 2:1 */
	};
	struct agree_span *out;
	size_t n;
	uint64_t ties;
	struct ml_err err;
	CHECK(consensus_span_vote(s, ML_ARRAY_LEN(s), 3, 2, 0, &out, &n, &ties, &err) == 0);
	CHECK_EQ_INT(n, 3);
	CHECK(out[0].start == 2 && out[0].end == 10 && out[0].label == 0);
	CHECK(out[1].start == 20 && out[1].end == 25 && out[1].label == 1);
	CHECK(out[2].start == 50 && out[2].end == 55 && out[2].label == 0);
	CHECK_EQ_INT(ties, 0);
	ml_free(out);
	/* min_votes 1: every covered point; [40,45) is an x/y tie. */
	CHECK(consensus_span_vote(s, ML_ARRAY_LEN(s), 3, 2, 1, &out, &n, &ties, &err) == 0);
	CHECK_EQ_INT(ties, 5);
	CHECK(out[0].start == 0 && out[0].end == 12);
	ml_free(out);
}
