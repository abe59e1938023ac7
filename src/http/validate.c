/* validate.c: schemas and annotation bodies checked by the label module, with a per-thread schema cache. */
#include "http/http_int.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>

#include "label/label.h"

/* Parsing a schema costs far more than validating one body, and a project's schema version never changes
 * once stored: each worker thread keeps the few it used last, keyed by (project, version). The cache hangs
 * off a pthread key so that it is freed when the thread ends. */
#define CACHE_SLOTS 8
struct cached_schema {
	int64_t project_id;
	int version;
	struct label_schema *schema;
	uint64_t used;
};
struct schema_cache {
	struct cached_schema slot[CACHE_SLOTS];
	uint64_t clock;
};
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
	struct schema_cache *c = p;
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].schema)
			label_schema_free(c->slot[i].schema);
	ml_free(c);
}

static void cache_key_create(void)
{
	pthread_key_create(&cache_key, cache_free);
}

static struct schema_cache *thread_cache(void)
{
	pthread_once(&cache_once, cache_key_create);
	struct schema_cache *c = pthread_getspecific(cache_key);
	if (!c && (c = ml_calloc(1, sizeof *c)) != NULL)
		pthread_setspecific(cache_key, c);
	return c;
}

int http_schema_validate(const char *schema_json, struct ml_err *err)
{
	struct label_schema *s;
	if (label_schema_parse(schema_json, strlen(schema_json), &s, err) != 0)
		return -1;
	label_schema_free(s);
	return 0;
}

/* The parsed schema, from the cache or parsed now; *tmp is set when it could not be cached (free it). */
static const struct label_schema *schema_for(int64_t project_id, int version, const char *schema_json,
					     struct label_schema **tmp, struct ml_err *err)
{
	*tmp = NULL;
	struct schema_cache *c = thread_cache();
	if (c) {
		for (int i = 0; i < CACHE_SLOTS; i++) {
			struct cached_schema *e = &c->slot[i];
			if (e->schema && e->project_id == project_id && e->version == version) {
				e->used = ++c->clock;
				return e->schema;
			}
		}
	}
	struct label_schema *s;
	if (label_schema_parse(schema_json, strlen(schema_json), &s, err) != 0)
		return NULL;
	if (!c) {
		*tmp = s;
		return s;
	}
	struct cached_schema *victim = &c->slot[0];
	for (int i = 1; i < CACHE_SLOTS; i++)
		if (c->slot[i].used < victim->used)
			victim = &c->slot[i];
	if (victim->schema)
		label_schema_free(victim->schema);
	*victim = (struct cached_schema){project_id, version, s, ++c->clock};
	return s;
}

/* What the item tells the validator beyond its text: a DICOM item's size and frame count, a survey's
 * question ids (from the metadata the importers write). Strings point into meta, which the caller frees. */
static void item_facts(const struct store_item *it, json_t *meta, struct label_item_ctx *ctx, const char **qs, size_t maxq)
{
	json_t *d = json_object_get(meta, "dicom");
	if (json_is_object(d)) {
		json_int_t rows = json_integer_value(json_object_get(d, "rows")), cols = json_integer_value(json_object_get(d, "columns")),
			   frames = json_integer_value(json_object_get(d, "frames"));
		if (rows > 0 && rows <= INT32_MAX && cols > 0 && cols <= INT32_MAX) {
			ctx->height = (int)rows;
			ctx->width = (int)cols;
		}
		if (frames > 0 && frames <= INT32_MAX)
			ctx->frames = (int)frames;
	}
	json_t *items = json_object_get(json_object_get(meta, "survey"), "items");
	if (it->modality == STORE_MOD_SURVEY && json_is_array(items) && json_array_size(items) <= maxq) {
		size_t i, n = 0;
		json_t *q;
		json_array_foreach(items, i, q) {
			const char *id = json_string_value(json_object_get(q, "linkId"));
			if (!id)
				return; /* unknown questions: do not check them */
			qs[n++] = id;
		}
		ctx->questions = qs;
		ctx->nquestions = n;
	}
}

int http_annotation_validate(int64_t project_id, int version, const char *schema_json, const char *body_json,
			     const struct store_item *it, struct ml_err *err)
{
	struct label_schema *tmp;
	const struct label_schema *s = schema_for(project_id, version, schema_json, &tmp, err);
	if (!s) {
		/* The stored schema was validated when it was set; failing now means a newer or damaged one. The
		 * reason is copied first: formatting err->msg into itself would overlap. */
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		ml_err_field(err, ML_ECONFLICT, "", "the project's schema version %d cannot be used: %s", version, why);
		return -1;
	}
	struct label_item_ctx ctx;
	label_item_ctx_init(&ctx);
	if (it->text) {
		ctx.text = it->text;
		ctx.text_len = strlen(it->text);
	}
	json_error_t je;
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, &je);
	const char *questions[512];
	item_facts(it, meta, &ctx, questions, ML_ARRAY_LEN(questions));
	int rc = label_annotation_validate(s, body_json, strlen(body_json), &ctx, err);
	json_decref(meta);
	if (tmp)
		label_schema_free(tmp);
	return rc;
}
