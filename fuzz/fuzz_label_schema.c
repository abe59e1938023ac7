/* fuzz_label_schema.c: libFuzzer target for schema parsing, annotation validation and schema diffs.
 *
 * Input layout: SCHEMA [ "\n--\n" ANNOTATION [ "\n--\n" TEXT ] ]. The schema is parsed; if it is valid the
 * annotation is validated against it twice (without and with an item context derived from the input, so
 * the bounds checks run), the schema is diffed against itself (which must be empty) and the annotation is
 * checked for being affected. Crashes, leaks, sanitizer reports and a non-empty self-diff are bugs. */
#include "label/label.h"

#include <stdlib.h>
#include <string.h>

static const char *find_sep(const char *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (memcmp(p + i, "\n--\n", 4) == 0)
			return p + i;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *sep = find_sep(p, size);
	size_t slen = sep ? (size_t)(sep - p) : size;
	struct label_schema *s = NULL;
	struct ml_err err;
	if (label_schema_parse(p, slen, &s, &err)) {
		if (s)
			abort(); /* failure must leave *out NULL */
		return 0;
	}
	struct label_diff *d = NULL;
	if (label_schema_diff(s, s, &d, &err) || d->nchanges != 0)
		abort();
	for (size_t i = 0; i < s->nhotkeys; i++)
		if (label_schema_hotkey(s, s->hotkeys[i].key) != &s->hotkeys[i])
			abort();
	if (sep) {
		const char *ann = sep + 4;
		size_t rest = size - slen - 4;
		const char *sep2 = find_sep(ann, rest);
		size_t alen = sep2 ? (size_t)(sep2 - ann) : rest;
		(void)label_annotation_validate(s, ann, alen, NULL, &err);
		struct label_item_ctx ctx;
		label_item_ctx_init(&ctx);
		if (sep2) {
			ctx.text = sep2 + 4;
			ctx.text_len = rest - alen - 4;
		} else {
			ctx.text_cp = (int64_t)(alen % 97);
		}
		ctx.width = 1 + (int)(alen % 64);
		ctx.height = 1 + (int)(slen % 64);
		ctx.frames = 1 + (int)(size % 8);
		ctx.duration = 10;
		(void)label_annotation_validate(s, ann, alen, &ctx, &err);
		(void)label_annotation_affected(d, ann, alen, &err);
	}
	label_diff_free(d);
	label_schema_free(s);
	return 0;
}
