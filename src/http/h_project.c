/* h_project.c: handlers for projects, members, labeling schemas and the audit trail. */
#include "http/http_int.h"

#include "deid/deid.h"
#include "quality/quality.h"

#include <inttypes.h>
#include <string.h>

#include "auth/auth.h"


struct project_list_ctx {
	struct http_req *r;
	json_t *a;
	int rc;
};

static int project_cb(void *ctx, const struct store_project *p)
{
	struct project_list_ctx *c = ctx;
	enum store_role role = STORE_ROLE_NONE;
	if (!c->r->user.admin) {
		struct ml_err err;
		if (store_member_role(c->r->store, p->id, c->r->user.id, &role, &err) != 0 && err.code != ML_ENOTFOUND) {
			c->r->err = err;
			c->rc = -1;
			return 1;
		}
		if (role == STORE_ROLE_NONE)
			return 0;
	}
	json_array_append_new(c->a, http_project_json(p, role, c->r->user.admin));
	return 0;
}

int h_project_list(struct http_req *r)
{
	struct project_list_ctx c = {r, json_array(), 0};
	if (store_project_list(r->store, project_cb, &c, &r->err) < 0 || c.rc) {
		json_decref(c.a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "projects", c.a));
}

int h_project_create(struct http_req *r)
{
	static const char *const allowed[] = {"name", "description", NULL};
	const char *name, *desc;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "name", true, &name) ||
	    http_json_str(r, r->json, "description", false, &desc))
		return -1;
	if (!*name || strlen(name) > 200)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/name", "project name must have 1 to 200 bytes");
	if (name[strspn(name, "0123456789")] == '\0')
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/name", "project name must not be all digits (it would read as an id)");
	int64_t id;
	if (store_project_create(r->store, name, desc ? desc : "", &id, &r->err) != 0)
		return -1;
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, id);
	struct store_project p;
	if (store_project_get(r->store, id, &p, &r->err) != 0)
		return -1;
	json_t *o = http_project_json(&p, STORE_ROLE_NONE, true);
	store_project_release(&p);
	return http_reply_json(r, 201, o);
}

int h_project_get(struct http_req *r)
{
	json_t *o = http_project_json(&r->project, r->role, http_is_admin(r));
	struct store_project_counts c;
	if (store_project_counts(r->store, r->project_id, &c, &r->err) != 0) {
		json_decref(o);
		return -1;
	}
	json_t *states = json_object();
	for (int st = STORE_TASK_OPEN; st <= STORE_TASK_DONE; st++)
		json_object_set_new(states, store_task_state_name((enum store_task_state)st), json_integer(c.tasks_by_state[st]));
	json_object_set_new(o, "counts", json_pack("{s:I,s:I,s:o}", "items", (json_int_t)c.items, "annotations",
						   (json_int_t)c.annotations, "tasks", states));
	return http_reply_json(r, 200, o);
}

/* Project settings the API understands, with their ranges. */
static int check_setting(struct http_req *r, const char *key, json_t *v)
{
	char ptr[64];
	snprintf(ptr, sizeof ptr, "/settings/%s", key);
	if (!strcmp(key, "overlap") || !strcmp(key, "lease_seconds")) {
		json_int_t lo = !strcmp(key, "overlap") ? 1 : 10, hi = !strcmp(key, "overlap") ? 20 : 7 * 86400;
		if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be an integer from %lld to %lld", key,
					       (long long)lo, (long long)hi);
		return 0;
	}
	if (!strcmp(key, "agreement_threshold") || !strcmp(key, "gold_rate") || !strcmp(key, "qualification_threshold")) {
		if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be a number from 0 to 1", key);
		return 0;
	}
	if (!strcmp(key, "qualification_min_answers")) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be an integer from 1 to 100000", key);
		return 0;
	}
	/* Quality module: revalidation of gold answers and demotion (src/quality/quality.h). */
	if (!strcmp(key, "gold_repeat_every")) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be an integer from 1 to 100000", key);
		return 0;
	}
	if (!strcmp(key, "gold_revalidate_days")) {
		if (!json_is_number(v) || !(json_number_value(v) > 0) || json_number_value(v) > 3650)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be a number of days above 0, at most 3650", key);
		return 0;
	}
	if (!strcmp(key, "qualification_demote")) {
		const char *d = json_string_value(v);
		if (!d || (strcmp(d, "training") != 0 && strcmp(d, "suspend") != 0))
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be \"training\" or \"suspend\"", key);
		return 0;
	}
	if (!strcmp(key, "deid_required")) {
		if (!json_is_boolean(v))
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "'%s' must be true or false", key);
		return 0;
	}
	if (!strcmp(key, "deid")) {
		/* de-identification on import (deid_import_*): {"text": MODE, "review": BOOL, "control": NAME} */
		struct deid_import_cfg cfg;
		struct ml_err e = {0};
		if (deid_import_cfg_from_json(v, &cfg, &e) != 0)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "%s", e.msg);
		return 0;
	}
	return HTTP_FAIL_FIELD(r, ML_EINVAL, ptr, "unknown setting");
}

int h_project_update(struct http_req *r)
{
	static const char *const allowed[] = {"settings", NULL};
	if (http_json_only(r, r->json, allowed))
		return -1;
	json_t *in = json_object_get(r->json, "settings");
	if (!json_is_object(in))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/settings", "'settings' must be an object");
	json_t *cur = http_json_parse_stored(r->project.settings_json);
	if (!json_is_object(cur)) {
		json_decref(cur);
		cur = json_object();
	}
	const char *key;
	json_t *v;
	json_object_foreach(in, key, v)
	{
		if (check_setting(r, key, v) != 0) {
			json_decref(cur);
			return -1;
		}
		json_object_set(cur, key, v);
	}
	char *text = http_json_text(r, cur);
	json_decref(cur);
	if (!text)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	if (store_project_set_settings(r->store, r->project_id, text, &r->err) != 0)
		return -1;
	struct store_project p;
	if (store_project_get(r->store, r->project_id, &p, &r->err) != 0)
		return -1;
	json_t *o = http_project_json(&p, r->role, http_is_admin(r));
	store_project_release(&p);
	return http_reply_json(r, 200, o);
}

static int member_cb(void *ctx, const struct store_member *m)
{
	json_array_append_new(ctx, json_pack("{s:I,s:s,s:s}", "user_id", (json_int_t)m->user_id, "name", m->user_name,
					     "role", store_role_name(m->role)));
	return 0;
}

int h_member_list(struct http_req *r)
{
	json_t *a = json_array();
	if (store_member_list(r->store, r->project_id, member_cb, a, &r->err) != 0) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "members", a));
}

int h_member_set(struct http_req *r)
{
	static const char *const allowed[] = {"role", NULL};
	const char *role_name;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "role", true, &role_name))
		return -1;
	enum store_role role = store_role_parse(role_name);
	if (role == STORE_ROLE_NONE)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/role", "role must be manager, annotator, reviewer or viewer");
	struct store_user u;
	if (store_user_get(r->store, r->params[1], &u, &r->err) != 0)
		return -1;
	store_user_release(&u);
	if (store_member_set(r->store, r->project_id, r->params[1], role, &r->err) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:I,s:s}", "user_id", (json_int_t)r->params[1], "role",
						 store_role_name(role)));
}

int h_member_remove(struct http_req *r)
{
	if (store_member_remove(r->store, r->project_id, r->params[1], &r->err) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:I,s:b}", "user_id", (json_int_t)r->params[1], "removed", 1));
}

int h_schema_get(struct http_req *r)
{
	char *json;
	int version;
	if (store_schema_get(r->store, r->project_id, 0, &json, &version, &r->err) != 0)
		return -1;
	json_t *o = json_pack("{s:i,s:o}", "version", version, "schema", http_json_parse_stored(json));
	ml_free(json);
	return http_reply_json(r, 200, o);
}

/* The body {"schema": {...}}: the schema as text (arena), checked by the label module. */
static int schema_from_body(struct http_req *r, char **text)
{
	static const char *const allowed[] = {"schema", NULL};
	if (http_json_only(r, r->json, allowed))
		return -1;
	json_t *schema = json_object_get(r->json, "schema");
	if (!schema)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/schema", "missing required field 'schema'");
	*text = http_json_text(r, schema);
	if (!*text)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	if (http_schema_validate(*text, &r->err) != 0) {
		/* The validator's pointers are relative to the schema document: prefix them with /schema. */
		http_err_prefix_field(r, "/schema");
		return -1;
	}
	return 0;
}

int h_schema_set(struct http_req *r)
{
	char *text;
	if (schema_from_body(r, &text) != 0)
		return -1;
	int version;
	if (store_schema_add(r->store, r->project_id, text, r->user.id, &version, &r->err) != 0)
		return -1;
	/* Labels the change affects are marked for revalidation in the same transaction (quality module). */
	size_t checked, marked;
	if (quality_mark_revalidation(r->store, r->project_id, &checked, &marked, &r->err) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:i}", "version", version));
}

int h_schema_validate(struct http_req *r)
{
	char *text;
	if (schema_from_body(r, &text) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- audit ---------------------------------------------------------------------------------------- */

struct audit_ctx {
	json_t *a;
	const char *project_prefix; /* "projects/3": keep "projects/3" and "projects/3/..." only */
	size_t prefix_len;
	int64_t last_seq;
	int want, got;
};

static int audit_cb(void *ctx, const struct store_audit *rec)
{
	struct audit_ctx *c = ctx;
	c->last_seq = rec->seq;
	if (c->project_prefix) {
		char next = rec->object[c->prefix_len];
		if (strncmp(rec->object, c->project_prefix, c->prefix_len) || (next != '\0' && next != '/'))
			return 0;
	}
	struct ml_buf b;
	ml_buf_init(&b, 0);
	if (auth_audit_json(rec, &b) == 0)
		json_array_append_new(c->a, json_loads(b.data, 0, NULL));
	ml_buf_release(&b);
	return ++c->got >= c->want ? 1 : 0;
}

static int parse_time_arg(struct http_req *r, const char *name, int64_t *out)
{
	const char *v = http_query(r, name);
	*out = 0;
	if (!v || !*v)
		return 0;
	if (ml_time_parse(v, out) != 0)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, name, "'%s' must be an RFC 3339 time", name);
	return 0;
}

static int audit_list(struct http_req *r, const char *project_prefix)
{
	struct store_audit_filter f = {0};
	int64_t limit;
	if (http_query_id(r, "user", &f.user_id) || http_query_id(r, "after", &f.after_seq) ||
	    http_query_int(r, "limit", 100, 1, 1000, &limit) || parse_time_arg(r, "since", &f.since) ||
	    parse_time_arg(r, "until", &f.until))
		return -1;
	f.action_prefix = http_query(r, "action");
	const char *obj = http_query(r, "object");
	struct audit_ctx c = {.a = json_array(), .want = (int)limit};
	if (project_prefix) {
		c.project_prefix = project_prefix;
		c.prefix_len = strlen(project_prefix);
		/* A narrower object prefix inside the project is fine; anything else would escape the project. */
		if (obj && !strncmp(obj, project_prefix, c.prefix_len) && (obj[c.prefix_len] == '/' || !obj[c.prefix_len]))
			f.object_prefix = obj;
		else if (obj)
			return json_decref(c.a), HTTP_FAIL_FIELD(r, ML_EINVAL, "object", "object must lie inside this project");
		else
			f.object_prefix = project_prefix;
	} else {
		f.object_prefix = obj;
	}
	/* Page through the store until enough records pass the project filter. */
	for (;;) {
		f.limit = 500;
		c.last_seq = 0;
		int rc = store_audit_list(r->store, &f, audit_cb, &c, &r->err);
		if (rc < 0) {
			json_decref(c.a);
			return -1;
		}
		if (c.got >= c.want || c.last_seq == 0)
			break;
		f.after_seq = c.last_seq;
	}
	json_t *o = json_pack("{s:o}", "records", c.a);
	json_object_set_new(o, "next_after", c.got >= c.want ? json_integer(c.last_seq) : json_null());
	return http_reply_json(r, 200, o);
}

int h_audit_list(struct http_req *r)
{
	return audit_list(r, NULL);
}

int h_project_audit(struct http_req *r)
{
	char prefix[48];
	snprintf(prefix, sizeof prefix, "projects/%" PRId64, r->project_id);
	return audit_list(r, prefix);
}
