/* h_quality.c: the quality module's HTTP handlers: GET /api/v1/projects/{project}/quality (the dashboard's
 * data), suspending and reinstating annotators, and adjudication of a task (every version side by side; the adjudicator's decision). */
#include "http/http_int.h"
#include "quality/quality.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int h_quality_get(struct http_req *r)
{
	int64_t nboot, seed;
	if (http_query_int(r, "bootstrap", 200, 0, 10000, &nboot) || http_query_int(r, "seed", 1, 0, INT64_MAX, &seed))
		return -1;
	struct quality_report_options o = {.nboot = (size_t)nboot, .seed = (uint64_t)seed};
	char *out;
	if (quality_report_json(r->store, r->project_id, &o, &out, &r->err) < 0)
		return -1;
	json_t *v = json_loads(out, 0, NULL);
	ml_free(out);
	if (!v)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory building the quality report");
	return http_reply_json(r, 200, v);
}

/* POST .../annotators/{user}/suspend and .../reinstate: a manager stops an annotator's work in the project
 * (GET .../next then refuses) or lets them work again as qualified. Audited as every write route. */
static int set_state(struct http_req *r, enum store_qual_state state)
{
	struct store_annotator_quality q;
	if (quality_set_annotator_state(r->store, r->project_id, r->params[1], state, ml_now_ms(), &q, &r->err) != 0) {
		if (r->err.code == ML_ENOTFOUND)
			return HTTP_FAIL(r, ML_ENOTFOUND, "user %" PRId64 " is not a member of this project", r->params[1]);
		return -1;
	}
	json_t *o = json_pack("{s:I,s:s,s:f,s:I}", "user_id", (json_int_t)q.user_id, "state", store_qual_state_name(q.state),
			      "accuracy", q.accuracy, "answers", (json_int_t)q.answers);
	return http_reply_json(r, 200, o);
}

int h_annotator_suspend(struct http_req *r)
{
	return set_state(r, STORE_QUAL_SUSPENDED);
}

int h_annotator_reinstate(struct http_req *r)
{
	return set_state(r, STORE_QUAL_QUALIFIED);
}

/* ---- adjudication ----------------------------------------------------------------------------------- */

struct adj_ctx {
	struct http_req *r;
	json_t *anns;
	const char **bodies;
	size_t n, alloc;
	char **owned;
};

static int history_cb(void *ctx, const struct store_annotation *a)
{
	json_array_append_new(ctx, http_annotation_json(a));
	return 0;
}

static int adj_ann_cb(void *ctx, const struct store_annotation *a)
{
	struct adj_ctx *c = ctx;
	json_t *o = http_annotation_json(a);
	json_t *versions = json_array();
	struct ml_err e;
	if (store_annotation_history(c->r->store, a->id, history_cb, versions, &e) == 0)
		json_object_set_new(o, "versions", versions);
	else
		json_decref(versions);
	json_array_append_new(c->anns, o);
	if (a->user_id > 0 && (!a->kind || strcmp(a->kind, "human") == 0) && a->body_json) {
		if (c->n == c->alloc) {
			size_t n = c->alloc ? c->alloc * 2 : 8;
			char **p = ml_realloc(c->owned, n * sizeof(*p));
			if (!p)
				return -1;
			c->owned = p;
			c->alloc = n;
		}
		if (!(c->owned[c->n] = ml_strdup(a->body_json)))
			return -1;
		c->n++;
	}
	return 0;
}

/* GET .../tasks/{task}/adjudication: every annotation of the task with all its versions side by side, the
 * task's agreement and a suggested consensus body to start from. */
int h_adjudication_get(struct http_req *r)
{
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0)
		return -1;
	struct adj_ctx c = {.r = r, .anns = json_array()};
	int rc = -1;
	if (store_annotation_list(r->store, t.id, 0, adj_ann_cb, &c, &r->err) != 0)
		goto out;
	double agreement = NAN;
	char *suggestion = NULL;
	struct consensus_body_report rep;
	if (c.n >= 1 && (agree_bodies((const char *const *)c.owned, c.n, &agreement, &r->err) != 0 ||
			 consensus_bodies((const char *const *)c.owned, c.n, NULL, NULL, &suggestion, &rep, &r->err) != 0))
		goto out;
	json_t *o = json_pack("{s:I,s:s,s:O}", "task", (json_int_t)t.id, "state", store_task_state_name(t.state), "annotations",
			      c.anns);
	json_object_set_new(o, "agreement", isnan(agreement) ? json_null() : json_real(agreement));
	json_object_set_new(o, "suggestion", suggestion ? json_loads(suggestion, 0, NULL) : json_null());
	if (suggestion)
		json_object_set_new(o, "suggestion_not_merged", json_string(rep.skipped));
	ml_free(suggestion);
	rc = http_reply_json(r, 200, o);
out:
	for (size_t i = 0; i < c.n; i++)
		ml_free(c.owned[i]);
	ml_free(c.owned);
	json_decref(c.anns);
	return rc;
}

/* POST .../tasks/{task}/adjudication {"body": {...}}: the adjudicator's decision (picked or merged), stored as
 * its own annotation of kind "adjudicated" authored by the caller; the task is done. */
int h_adjudication_create(struct http_req *r)
{
	static const char *const allowed[] = {"body", NULL};
	if (http_json_only(r, r->json, allowed))
		return -1;
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0)
		return -1;
	json_t *body = json_object_get(r->json, "body");
	if (!json_is_object(body))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/body", "'body' must be a JSON object");
	char *text = http_json_text(r, body);
	if (!text)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	char *schema;
	int version;
	if (store_schema_get(r->store, r->project_id, 0, &schema, &version, &r->err) != 0) {
		if (r->err.code == ML_ENOTFOUND)
			return HTTP_FAIL(r, ML_ECONFLICT, "the project has no labeling schema yet");
		return -1;
	}
	struct store_item it;
	if (store_item_get(r->store, t.item_id, &it, &r->err) != 0) {
		ml_free(schema);
		return -1;
	}
	int rc = http_annotation_validate(r->project_id, version, schema, text, &it, &r->err);
	store_item_release(&it);
	ml_free(schema);
	if (rc != 0) {
		http_err_prefix_field(r, "/body");
		return -1;
	}
	struct store_annotation in = {.task_id = t.id, .user_id = r->user.id, .schema_version = version, .body_json = text,
				      .validated = true, .kind = "adjudicated"};
	int64_t id;
	if (store_annotation_create(r->store, &in, &id, &r->err) != 0 ||
	    store_task_set_state(r->store, t.id, STORE_TASK_DONE, &r->err) != 0)
		return -1;
	snprintf(r->object_suffix, sizeof r->object_suffix, "/adjudication/%" PRId64, id);
	struct store_annotation a;
	if (store_annotation_get(r->store, id, 0, &a, &r->err) != 0)
		return -1;
	json_t *o = http_annotation_json(&a);
	store_annotation_release(&a);
	return http_reply_json(r, 201, o);
}
