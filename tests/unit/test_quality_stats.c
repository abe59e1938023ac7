/* test_quality_stats.c: agreement coefficients on published worked examples, the CSV reader, derived
 * tables, the coincidence matrix and the bootstrap. The NLTK / scikit-learn comparisons on random tables
 * are in tests/integration/test_quality_agree.py. */
#include "harness.h"
#include "quality/quality.h"

#include <stdlib.h>

static double metric(const struct agree_table *t, enum agree_metric m)
{
	struct agree_result r;
	struct ml_err err;
	if (agree_compute(t, m, NULL, &r, &err) < 0)
		return -99;
	return r.value;
}

/* Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories; kappa = 0.210. */
TEST(fleiss_wikipedia_example)
{
	static const int counts[10][5] = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0},
					  {2, 2, 8, 1, 1},  {7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2},
					  {6, 5, 2, 1, 0},  {0, 2, 2, 3, 7}};
	uint32_t cell[10 * 14];
	for (int u = 0; u < 10; u++) {
		int r = 0;
		for (int k = 0; k < 5; k++)
			for (int i = 0; i < counts[u][k]; i++)
				cell[u * 14 + r++] = (uint32_t)k;
		CHECK_EQ_INT(r, 14);
	}
	struct agree_table t;
	struct ml_err err;
	CHECK(agree_table_from_codes(&t, 10, 14, cell, 5, NULL, NULL, NULL, &err) == 0);
	double k = metric(&t, AGREE_FLEISS);
	CHECK_NEAR(k, 0.210, 0.0005);
	/* P-bar = 0.378 in the article. */
	CHECK_NEAR(metric(&t, AGREE_PERCENT), 0.378, 0.0005);
	struct agree_result r;
	CHECK(agree_compute(&t, AGREE_FLEISS, NULL, &r, &err) == 0);
	CHECK_EQ_INT(r.units, 10);
	CHECK_EQ_INT(r.pairable_values, 140);
	agree_table_release(&t);
}

static const char *kripp_csv = "A,B,C,D\n1,1,,1\n2,2,3,2\n3,3,3,3\n3,3,3,3\n2,2,2,2\n1,2,3,4\n4,4,4,4\n1,1,2,1\n"
			       "2,2,2,2\n,5,5,5\n,,1,1\n,3,,\n";

/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 observers x 12 units example. */
TEST(krippendorff_published_example)
{
	struct agree_table t;
	struct ml_err err;
	CHECK(agree_table_read_csv(&t, kripp_csv, strlen(kripp_csv), "k.csv", &err) == 0);
	CHECK_EQ_INT(t.nunits, 12);
	CHECK_EQ_INT(t.ncoders, 4);
	CHECK_EQ_INT(t.nvalues, 5);
	CHECK(t.numeric);
	CHECK_NEAR(metric(&t, AGREE_ALPHA_NOMINAL), 0.743, 0.0005);
	CHECK_NEAR(metric(&t, AGREE_ALPHA_ORDINAL), 0.815, 0.0005);
	CHECK_NEAR(metric(&t, AGREE_ALPHA_INTERVAL), 0.849, 0.0005);
	CHECK_NEAR(metric(&t, AGREE_ALPHA_RATIO), 0.797, 0.0005);
	/* The coincidence matrix by hand: n.. = 40; o_11 = 3 (unit 1) + 2 (unit 8) + 2 (unit 11) = 7;
	 * o_12 = 1/3 (unit 6) + 3/3 (unit 8) = 4/3. */
	double *o;
	size_t n;
	CHECK(agree_coincidence(&t, &o, &n, &err) == 0);
	CHECK_EQ_INT(n, 40);
	double total = 0;
	for (int i = 0; i < 25; i++)
		total += o[i];
	CHECK_NEAR(total, 40, 1e-12);
	CHECK_NEAR(o[0], 7, 1e-12);
	CHECK_NEAR(o[1], 4.0 / 3, 1e-12);
	for (int c = 0; c < 5; c++)
		for (int k = 0; k < 5; k++)
			CHECK_NEAR(o[c * 5 + k], o[k * 5 + c], 1e-12);
	ml_free(o);
	agree_table_release(&t);
}

TEST(cohen_needs_two_coders_and_interval_needs_numbers)
{
	struct agree_table t;
	struct ml_err err;
	const char *csv = "a,b,c\nx,y,x\ny,y,y\n";
	CHECK(agree_table_read_csv(&t, csv, strlen(csv), "t.csv", &err) == 0);
	struct agree_result r;
	CHECK(agree_compute(&t, AGREE_COHEN, NULL, &r, &err) < 0);
	CHECK(strstr(err.msg, "exactly two annotators") != NULL);
	CHECK(agree_compute(&t, AGREE_ALPHA_INTERVAL, NULL, &r, &err) < 0);
	CHECK(strstr(err.msg, "line 2 column 1") != NULL);
	agree_table_release(&t);
}

TEST(csv_numeric_values_merge_and_order)
{
	struct agree_table t;
	struct ml_err err;
	const char *csv = "a,b\n10,1.0\n1,2\n 2 ,\"10\"\n";
	CHECK(agree_table_read_csv(&t, csv, strlen(csv), "t.csv", &err) == 0);
	CHECK(t.numeric);
	CHECK_EQ_INT(t.nvalues, 3); /* 1 = 1.0 */
	CHECK_NEAR(t.num[0], 1, 0);
	CHECK_NEAR(t.num[2], 10, 0);
	CHECK_EQ_INT(t.cell[0], 2);
	CHECK_EQ_INT(t.cell[1], 0);
	CHECK_EQ_INT(t.cell[4], 1);
	CHECK_EQ_INT(t.cell[5], 2);
	agree_table_release(&t);
	/* A non-number makes the table categorical, ordered by bytes. */
	const char *csv2 = "a,b\nb,a\nc,\n";
	CHECK(agree_table_read_csv(&t, csv2, strlen(csv2), "t.csv", &err) == 0);
	CHECK(!t.numeric);
	CHECK_EQ_STR(t.value[0], "a");
	CHECK_EQ_INT(t.cell[3], AGREE_MISSING);
	agree_table_release(&t);
}

TEST(csv_errors_name_the_line)
{
	static const struct {
		const char *csv, *want;
	} cases[] = {
		{"", "is empty"},
		{"a,b\n", "line 1: header only"},
		{"a,b\r\n1,2\r\n1\r\n", "line 3: expected 2 fields"},
		{"a,b\n\"x\ny\",1\n\"unterminated,2\n", "line 4: unterminated"},
		{"a,b\n1,2\r3,4\n", "line 2: carriage return"},
		{"\n1,2\n", "line 1: empty header"},
	};
	for (size_t i = 0; i < ML_ARRAY_LEN(cases); i++) {
		struct agree_table t;
		struct ml_err err = {0};
		CHECK(agree_table_read_csv(&t, cases[i].csv, strlen(cases[i].csv), "f.csv", &err) < 0);
		if (!strstr(err.msg, cases[i].want)) {
			test_fail(__FILE__, __LINE__, "case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
			return;
		}
		CHECK(t.cell == NULL && t.coder == NULL);
	}
}

TEST(csv_survives_allocation_failures)
{
	/* Every allocation in the reader may fail: the result is an error, never a crash or a leak. */
	for (long nth = 1; nth < 60; nth++) {
		struct agree_table t;
		struct ml_err err;
		ml_alloc_fail_at(nth);
		int rc = agree_table_read_csv(&t, kripp_csv, strlen(kripp_csv), "k.csv", &err);
		ml_alloc_fail_at(0);
		if (rc == 0)
			agree_table_release(&t);
	}
	CHECK(1);
}

TEST(derived_tables)
{
	struct agree_table t, s;
	struct ml_err err;
	CHECK(agree_table_read_csv(&t, kripp_csv, strlen(kripp_csv), "k.csv", &err) == 0);
	size_t sel[2] = {3, 1};
	CHECK(agree_table_select(&t, sel, 2, &s, &err) == 0);
	CHECK_EQ_INT(s.ncoders, 2);
	CHECK_EQ_STR(s.coder[0], "D");
	CHECK_EQ_INT(s.cell[2 * 5 + 0], t.cell[5 * 4 + 3]);
	agree_table_release(&s);
	/* Coder C against the majority of A, B, D: unit 6 (1,2,_,4) is a three-way tie, so missing. */
	CHECK(agree_table_versus_rest(&t, 2, &s, &err) == 0);
	CHECK_EQ_INT(s.cell[5 * 2 + 1], AGREE_MISSING);
	CHECK_EQ_INT(s.cell[1 * 2 + 1], 1); /* unit 2: A, B, D say 2 (code 1) */
	CHECK_EQ_INT(s.cell[1 * 2 + 0], 2);
	agree_table_release(&s);
	CHECK(agree_table_binarize(&t, 2, &s, &err) == 0);
	CHECK_EQ_INT(s.cell[2 * 4], 1);
	CHECK_EQ_INT(s.cell[0], 0);
	CHECK_EQ_INT(s.cell[9 * 4], AGREE_MISSING);
	agree_table_release(&s);
	agree_table_release(&t);
}

TEST(bootstrap_reproducible_and_ordered)
{
	struct agree_table t;
	struct ml_err err;
	CHECK(agree_table_read_csv(&t, kripp_csv, strlen(kripp_csv), "k.csv", &err) == 0);
	struct agree_options o = {.nboot = 500, .seed = 42};
	struct agree_result a, b;
	CHECK(agree_compute(&t, AGREE_ALPHA_INTERVAL, &o, &a, &err) == 0);
	CHECK(agree_compute(&t, AGREE_ALPHA_INTERVAL, &o, &b, &err) == 0);
	CHECK(a.ci_lo == b.ci_lo && a.ci_hi == b.ci_hi);
	CHECK(a.ci_lo < a.value && a.value <= a.ci_hi);
	CHECK(a.boot_used > 400);
	agree_table_release(&t);
}

TEST(quantile_matches_numpy_linear)
{
	double v[] = {1, 2, 4, 8};
	/* numpy.percentile([1,2,4,8], 2.5) = 1.075; 97.5 -> 7.7 */
	CHECK_NEAR(agree_quantile_sorted(v, 4, 0.025), 1.075, 1e-12);
	CHECK_NEAR(agree_quantile_sorted(v, 4, 0.975), 7.7, 1e-12);
	CHECK_NEAR(agree_quantile_sorted(v, 1, 0.5), 1, 0);
}

TEST(rng_below_is_uniform_enough)
{
	struct agree_rng r;
	agree_rng_seed(&r, 3);
	int hist[7] = {0};
	for (int i = 0; i < 70000; i++)
		hist[agree_rng_below(&r, 7)]++;
	for (int k = 0; k < 7; k++)
		CHECK(hist[k] > 9500 && hist[k] < 10500);
}

TEST(perfect_agreement_and_undefined)
{
	uint32_t cell[] = {0, 0, 1, 1, 2, 2};
	struct agree_table t;
	struct ml_err err;
	CHECK(agree_table_from_codes(&t, 3, 2, cell, 3, NULL, NULL, NULL, &err) == 0);
	CHECK_NEAR(metric(&t, AGREE_COHEN), 1, 1e-15);
	CHECK_NEAR(metric(&t, AGREE_ALPHA_NOMINAL), 1, 1e-15);
	CHECK_NEAR(metric(&t, AGREE_AC1), 1, 1e-15);
	agree_table_release(&t);
	uint32_t same[] = {0, 0, 0, 0};
	CHECK(agree_table_from_codes(&t, 2, 2, same, 1, NULL, NULL, NULL, &err) == 0);
	CHECK(isnan(metric(&t, AGREE_COHEN)));
	CHECK(isnan(metric(&t, AGREE_ALPHA_NOMINAL)));
	agree_table_release(&t);
}
