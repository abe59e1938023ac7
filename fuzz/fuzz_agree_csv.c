/* fuzz_agree_csv.c: libFuzzer target for the reliability-table CSV reader, and every coefficient and the
 * vote / Dawid-Skene consensus on whatever table it accepts. */
#include "quality/quality.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agree_table t;
	struct ml_err err;
	if (agree_table_read_csv(&t, (const char *)data, size, "fuzz.csv", &err) < 0)
		return 0;
	/* The reader's invariants: every cell a valid code or missing, numbers increasing with the code. */
	for (size_t i = 0; i < t.nunits * t.ncoders; i++)
		if (t.cell[i] != AGREE_MISSING && t.cell[i] >= t.nvalues)
			abort();
	if (t.numeric)
		for (size_t v = 0; v + 1 < t.nvalues; v++)
			if (!(t.num[v] < t.num[v + 1]))
				abort();
	struct agree_options opt = {.nboot = 3, .seed = 1};
	for (int m = 0; m < AGREE_METRIC_COUNT; m++) {
		struct agree_result r;
		if (agree_compute(&t, (enum agree_metric)m, &opt, &r, &err) == 0 && r.units > t.nunits)
			abort();
	}
	struct consensus_label *l;
	size_t n;
	if (t.nvalues > 0 && t.nvalues <= 64 && consensus_labels_from_table(&t, &l, &n, &err) == 0) {
		struct consensus_vote v;
		if (consensus_vote(l, n, t.nunits, t.ncoders, t.nvalues, NULL, &v, &err) == 0)
			consensus_vote_release(&v);
		struct consensus_ds ds;
		struct consensus_ds_options o = {.tol = 1e-6, .max_iter = 5, .smoothing = 0.01};
		if (consensus_dawid_skene(l, n, t.nunits, t.ncoders, t.nvalues, &o, &ds, &err) == 0)
			consensus_ds_release(&ds);
		ml_free(l);
	}
	agree_table_release(&t);
	return 0;
}
