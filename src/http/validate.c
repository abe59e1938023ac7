/* validate.c: schemas and annotation bodies checked by the label module, with a per-thread schema cache. */
#include "http/http_int.h"

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

int http_annotation_validate(int64_t project_id, int version, const char *schema_json, const char *body_json,
			     const char *item_text, struct ml_err *err)
{
	struct label_schema *tmp;
	const struct label_schema *s = schema_for(project_id, version, schema_json, &tmp, err);
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
	int rc = label_annotation_validate(s, body_json, strlen(body_json), &ctx, err);
	if (tmp)
		label_schema_free(tmp);
	return rc;
}
