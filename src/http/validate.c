/* validate.c: schemas and annotation bodies checked by the label module, with a per-thread schema cache. */
#include "http/http_int.h"

#include <string.h>

#include "label/label.h"

/* Parsing a schema costs far more than validating one body, and a project's schema version never changes
 * once stored: each worker thread keeps the few it used last, keyed by (project, version). */
#define CACHE_SLOTS 8
struct cached_schema {
	int64_t project_id;
	int version;
	struct label_schema *schema;
	uint64_t used;
};
static __thread struct cached_schema cache[CACHE_SLOTS];
static __thread uint64_t cache_clock;

int http_schema_validate(const char *schema_json, struct ml_err *err)
{
	struct label_schema *s;
	if (label_schema_parse(schema_json, strlen(schema_json), &s, err) != 0)
		return -1;
	label_schema_free(s);
	return 0;
}

static const struct label_schema *schema_for(int64_t project_id, int version, const char *schema_json, struct ml_err *err)
{
	struct cached_schema *victim = &cache[0];
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].schema && cache[i].project_id == project_id && cache[i].version == version) {
			cache[i].used = ++cache_clock;
			return cache[i].schema;
		}
		if (cache[i].used < victim->used)
			victim = &cache[i];
	}
	struct label_schema *s;
	if (label_schema_parse(schema_json, strlen(schema_json), &s, err) != 0)
		return NULL;
	if (victim->schema)
		label_schema_free(victim->schema);
	*victim = (struct cached_schema){project_id, version, s, ++cache_clock};
	return s;
}

int http_annotation_validate(int64_t project_id, int version, const char *schema_json, const char *body_json,
			     const char *item_text, struct ml_err *err)
{
	const struct label_schema *s = schema_for(project_id, version, schema_json, err);
	if (!s) {
		/* The stored schema was validated when it was set; failing now means a newer or damaged one. */
		ml_err_field(err, ML_ECONFLICT, "", "the project's schema version %d cannot be used: %s", version, err->msg);
		return -1;
	}
	struct label_item_ctx ctx;
	label_item_ctx_init(&ctx);
	if (item_text) {
		ctx.text = item_text;
		ctx.text_len = strlen(item_text);
	}
	return label_annotation_validate(s, body_json, strlen(body_json), &ctx, err);
}
