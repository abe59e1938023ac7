/* fuzz_deid_jsonl.c: libFuzzer target for the JSONL record scanner of `medlabel deid text` (src/deid/jsonl.c),
 * held to jansson, which the command falls back on:
 * - a record the scanner takes must be one json_loadb takes, an object whose "text" is the string the scanner
 *   decoded; splicing that text back in, escaped by deid_json_put_string, gives an equal object;
 * - any valid UTF-8 string without NUL written by deid_json_put_string reads back as itself.
 * A record the scanner does not take may be anything (jansson then decides). */
#include "deid/deid_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_put_string(const char *s, size_t n)
{
	if (!ml_utf8_valid(s, n, NULL) || memchr(s, 0, n))
		return;
	struct ml_buf b;
	ml_buf_init(&b, 0);
	if (deid_json_put_string(&b, s, n) != 0)
		abort();
	json_error_t je;
	json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY, &je);
	if (!v || !json_is_string(v) || json_string_length(v) != n || memcmp(json_string_value(v), s, n))
		abort();
	json_decref(v);
	ml_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	check_put_string(line, size);
	struct deid_jsonl_text t;
	if (!deid_jsonl_text_find(line, size, &t))
		return 0;
	json_error_t je;
	json_t *obj = json_loadb(line, size, 0, &je);
	if (!obj || !json_is_object(obj))
		abort(); /* taken, but jansson refuses it */
	json_t *text = json_object_get(obj, "text");
	if (!json_is_string(text) || json_string_length(text) != t.text.len ||
	    (t.text.len && memcmp(json_string_value(text), t.text.data, t.text.len)))
		abort();
	/* the splice, with the same text: an equal object */
	struct ml_buf out;
	ml_buf_init(&out, 0);
	int w = ml_buf_append(&out, t.obj_start, (size_t)(t.vs - t.obj_start));
	w |= deid_json_put_string(&out, t.text.data ? t.text.data : "", t.text.len);
	w |= ml_buf_append(&out, t.ve, (size_t)(t.obj_end - t.ve));
	if (w)
		abort();
	json_t *again = json_loadb(out.data, out.len, 0, &je);
	if (!again || !json_equal(obj, again))
		abort();
	json_decref(again);
	json_decref(obj);
	ml_buf_release(&out);
	deid_jsonl_text_release(&t);
	return 0;
}
