/* fuzz_csv.c: libFuzzer target for the RFC 4180 reader and the mapped CSV import. The first input byte picks
 * a mapping, so header resolution and meta nesting are exercised as well as the field syntax. */
#include "text/text.h"

#include <stdio.h>
#include <string.h>

static int emit(void *ctx, const struct store_item *it, struct ml_err *err)
{
	(void)ctx;
	(void)err;
	volatile size_t n = strlen(it->text) + strlen(it->meta_json) + strlen(it->patient_key);
	(void)n;
	return 0;
}

static void report(void *ctx, const struct text_problem *p)
{
	(void)ctx;
	volatile size_t n = strlen(p->msg);
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const maps[] = {"text=a", "text=a,patient=b", "text=note,patient=pid,meta.visit.date=c,ref=d",
					   "text=b,modality=a,meta.x=c"};
	if (size < 1)
		return 0;
	const char *spec = maps[data[0] % 4];
	FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	struct text_csv_map map;
	struct ml_err err;
	if (text_csv_map_parse(spec, &map, &err) == 0) {
		struct text_import_opts o = {.emit = emit, .report = report, .max_line = 1 << 16};
		(void)text_csv_import(f, "fuzz.csv", &map, &o, NULL, &err);
		text_csv_map_release(&map);
	}
	fclose(f);
	return 0;
}
