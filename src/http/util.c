/* util.c: request helpers for handlers: headers, query arguments, JSON body checks, JSON views of rows. */
#include "http/http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int http_query_int(struct http_req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *v = http_query(r, name);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, name, "query argument '%s' must be an integer from %lld to %lld", name,
				       (long long)min, (long long)max);
	*out = x;
	return 0;
}

int http_query_id(struct http_req *r, const char *name, int64_t *out)
{
	return http_query_int(r, name, 0, 0, INT64_MAX, out);
}

int http_json_only(struct http_req *r, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, key)) {
				ok = true;
				break;
			}
		if (!ok) {
			char ptr[128];
			/* The key is user input: name it only if it is short and plain, never echo arbitrary bytes. */
			bool plain = strlen(key) < 64;
			for (const char *c = key; plain && *c; c++)
				plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
			snprintf(ptr, sizeof ptr, "/%s", plain ? key : "?");
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "unknown field");
		}
	}
	return 0;
}

int http_json_str(struct http_req *r, json_t *obj, const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	char ptr[96];
	snprintf(ptr, sizeof ptr, "/%s", key);
	if (!v || json_is_null(v)) {
		if (required)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "missing required field '%s'", key);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "field '%s' must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "field '%s' contains a NUL character", key);
	*out = json_string_value(v);
	return 0;
}

int http_json_bool(struct http_req *r, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		char ptr[96];
		snprintf(ptr, sizeof ptr, "/%s", key);
		return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "field '%s' must be true or false", key);
	}
	*out = json_is_true(v);
	return 0;
}

char *http_json_text(struct http_req *r, json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		return NULL;
	char *a = ml_arena_strdup(&r->arena, t);
	free(t);
	return a;
}

json_t *http_json_parse_stored(const char *text)
{
	if (!text)
		return json_null();
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

static json_t *time_json(int64_t ms)
{
	if (!ms)
		return json_null();
	char ts[40];
	ml_time_format(ms, ts, sizeof ts);
	return json_string(ts);
}

json_t *http_user_json(const struct store_user *u)
{
	return json_pack("{s:I,s:s,s:b,s:b,s:o}", "id", (json_int_t)u->id, "name", u->name, "admin", u->admin,
			 "disabled", u->disabled, "created_at", time_json(u->created_at));
}

json_t *http_project_json(const struct store_project *p, enum store_role role, bool admin)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:i,s:o,s:s}", "id", (json_int_t)p->id, "name", p->name, "description",
			 p->description ? p->description : "", "settings", http_json_parse_stored(p->settings_json),
			 "schema_version", p->schema_version, "created_at", time_json(p->created_at), "role",
			 admin ? "admin" : store_role_name(role));
}

json_t *http_item_json(const struct store_item *it, bool with_content)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:o,s:s,s:o,s:b}", "id", (json_int_t)it->id, "project_id",
			      (json_int_t)it->project_id, "modality", store_modality_name(it->modality), "source",
			      store_source_name(it->source), "patient_key", it->patient_key ? it->patient_key : "", "meta",
			      http_json_parse_stored(it->meta_json), "content_hash", it->content_hash, "created_at",
			      time_json(it->created_at), "visible", it->visible);
	if (it->media_type)
		json_object_set_new(o, "media_type", json_string(it->media_type));
	/* FHIR traceability ("DocumentReference/abc"): an identifier of the source system, so content-level. */
	if (with_content && it->external_ref && it->external_ref[0])
		json_object_set_new(o, "external_ref", json_string(it->external_ref));
	if (with_content && it->text)
		json_object_set_new(o, "text", json_string(it->text));
	return o;
}

json_t *http_task_json(const struct store_task *t)
{
	return json_pack("{s:I,s:I,s:I,s:s,s:i,s:i,s:b,s:f,s:o}", "id", (json_int_t)t->id, "project_id",
			 (json_int_t)t->project_id, "item_id", (json_int_t)t->item_id, "state",
			 store_task_state_name(t->state), "overlap", t->overlap, "submitted", t->submitted, "gold", t->gold,
			 "priority", t->priority, "updated_at", time_json(t->updated_at));
}

json_t *http_annotation_json(const struct store_annotation *a)
{
	json_t *o = json_pack("{s:I,s:i,s:I,s:I,s:i,s:o,s:f,s:b,s:s,s:o}", "id", (json_int_t)a->id, "version", a->version,
			      "task_id", (json_int_t)a->task_id, "user_id", (json_int_t)a->user_id, "schema_version",
			      a->schema_version, "body", http_json_parse_stored(a->body_json), "seconds_spent",
			      a->seconds_spent, "validated", a->validated, "kind", a->kind ? a->kind : "human",
			      "created_at", time_json(a->created_at));
	if (a->model)
		json_object_set_new(o, "model", json_pack("{s:s,s:s}", "name", a->model, "version",
							  a->model_version ? a->model_version : ""));
	return o;
}

bool http_is_admin(struct http_req *r)
{
	return r->authed && r->user.admin;
}

const char *http_role_name(struct http_req *r)
{
	if (!r->authed)
		return "anonymous";
	if (r->user.admin)
		return "admin";
	if (r->route && r->route->access == HTTP_PROJECT)
		return store_role_name(r->role);
	return "user";
}

bool http_has_role(struct http_req *r, unsigned mask)
{
	return http_is_admin(r) || (mask & (1u << r->role));
}

int http_load_task(struct http_req *r, int64_t id, struct store_task *out)
{
	if (store_task_get(r->store, id, out, &r->err) != 0)
		return -1;
	if (out->project_id != r->project_id)
		return HTTP_FAIL(r, ML_ENOTFOUND, "no such task in this project");
	return 0;
}

int http_check_task_access(struct http_req *r, int64_t task_id)
{
	if (http_has_role(r, HTTP_R_MANAGER | HTTP_R_REVIEWER | HTTP_R_VIEWER))
		return 0;
	struct store_assignment as;
	struct ml_err err;
	if (store_assignment_get(r->store, task_id, r->user.id, &as, &err) == 0)
		return 0;
	if (err.code != ML_ENOTFOUND)
		return r->err = err, -1;
	return HTTP_FAIL(r, ML_ENOTFOUND, "no such task in this project");
}

int http_load_item(struct http_req *r, int64_t id, struct store_item *out)
{
	/* An item's task has the item's id (the store's schema holds tasks.item_id = tasks.id), so "holds or
	 * held a task of this item" is one assignment lookup, not a walk through every task the annotator
	 * ever held. */
	if (http_check_task_access(r, id) != 0)
		return r->err.code == ML_ENOTFOUND ? HTTP_FAIL(r, ML_ENOTFOUND, "no such item in this project") : -1;
	if (store_item_get(r->store, id, out, &r->err) != 0)
		return -1;
	/* A hidden item (awaiting de-identification review) is shown to managers and reviewers, who check its
	 * PHI spans, and to nobody else. */
	if (out->project_id != r->project_id ||
	    (!out->visible && !http_has_role(r, HTTP_R_MANAGER | HTTP_R_REVIEWER))) {
		store_item_release(out);
		return HTTP_FAIL(r, ML_ENOTFOUND, "no such item in this project");
	}
	return 0;
}

void http_err_prefix_field(struct http_req *r, const char *prefix)
{
	size_t p = strlen(prefix), n = strlen(r->err.field);
	if (p + n >= sizeof r->err.field)
		n = sizeof r->err.field - 1 - p;
	memmove(r->err.field + p, r->err.field, n);
	memcpy(r->err.field, prefix, p);
	r->err.field[p + n] = '\0';
}

/* Digits only (strtoull alone would take spaces, signs and wrap negative numbers); -1 past 2^64-1. */
static int parse_digits(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (p == s)
		return -1;
	*end = p;
	*out = v;
	return 0;
}

int http_parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len)
{
	if (!h || strncmp(h, "bytes=", 6) != 0)
		return 1; /* absent, or a unit we do not serve: the whole file */
	h += 6;
	if (strchr(h, ','))
		return 1; /* several ranges: the whole file, which RFC 9110 allows */
	const char *end;
	uint64_t a, b;
	if (*h == '-') { /* the last n bytes */
		if (parse_digits(h + 1, &end, &b) != 0 || *end || b == 0 || size == 0)
			return -1;
		if (b > size)
			b = size;
		*from = size - b;
		*len = b;
		return 0;
	}
	if (parse_digits(h, &end, &a) != 0 || *end != '-')
		return -1;
	if (a >= size)
		return -1;
	b = size - 1;
	if (end[1]) {
		uint64_t last;
		if (parse_digits(end + 1, &end, &last) != 0 || *end)
			return -1;
		if (last < a)
			return -1;
		if (last < b)
			b = last;
	}
	*from = a;
	*len = b - a + 1;
	return 0;
}

int http_parse_if_match(const char *v, int *version)
{
	if (!strncmp(v, "W/", 2))
		v += 2;
	bool quoted = *v == '"';
	if (quoted)
		v++;
	const char *end;
	uint64_t x;
	if (parse_digits(v, &end, &x) != 0 || x == 0 || x > 1000000000)
		return -1;
	if (quoted && *end++ != '"')
		return -1;
	if (*end)
		return -1;
	*version = (int)x;
	return 0;
}
