/* fuzz_deid.c: arbitrary bytes as a note: the engine must never crash, and every offset it returns must lie
 * inside the text, sorted and non-overlapping, and map through the offset map both ways; the windowed
 * pattern scan must give the spans of the whole-note reference scan. */
#include "deid/deid_int.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct deid_engine *e;
	if (!e) {
		struct ml_err err = {0};
		e = deid_engine_new(&err);
		if (!e)
			abort();
	}
	struct deid_result r;
	deid_result_init(&r);
	struct deid_opts o;
	deid_opts_init(&o);
	/* the first byte picks the mode so every replacement path is exercised */
	o.mode = size ? (enum deid_mode)(data[0] % 4) : DEID_MODE_TAG;
	o.patient_key = "fuzz";
	struct ml_err err = {0};
	if (deid_text(e, (const char *)data, size, NULL, &o, &r, &err) != 0)
		return 0; /* invalid UTF-8 is refused with an error */
	size_t ncp = ml_utf8_cp_count((const char *)data, size);
	if (r.in_ncp != ncp)
		abort();
	size_t prev_end = 0;
	for (size_t i = 0; i < r.nspans; i++) {
		if (r.spans[i].start >= r.spans[i].end || r.spans[i].end > ncp || r.spans[i].start < prev_end)
			abort();
		prev_end = r.spans[i].end;
		if (r.text) {
			size_t os, oe, is, ie;
			deid_map_span_to_output(&r, r.spans[i].start, r.spans[i].end, &os, &oe);
			if (oe > r.out_ncp)
				abort();
			deid_map_span_to_input(&r, os, oe, &is, &ie);
			if (is != r.spans[i].start || ie != r.spans[i].end)
				abort();
		}
	}
	if (r.text && !ml_utf8_valid(r.text, r.text_len, NULL))
		abort();
	struct deid_result ref;
	deid_result_init(&ref);
	if (deid_text_reference(e, (const char *)data, size, NULL, &o, &ref, &err) != 0 || ref.nspans != r.nspans)
		abort();
	for (size_t i = 0; i < r.nspans; i++)
		if (ref.spans[i].start != r.spans[i].start || ref.spans[i].end != r.spans[i].end ||
		    ref.spans[i].type != r.spans[i].type)
			abort();
	deid_result_release(&ref);
	deid_result_release(&r);
	return 0;
}
