/* h_task.c: handlers for tasks, leasing the next task, annotations (blind, versioned), reviews, comments. */
#include "http/http_int.h"
#include "quality/quality.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct list_ctx {
	json_t *a;
	int64_t last;
	bool hide_gold; /* annotators: gold tasks look like any other (quality module) */
};

static int task_cb(void *ctx, const struct store_task *t)
{
	struct list_ctx *c = ctx;
	json_t *o = http_task_json(t);
	if (c->hide_gold)
		json_object_del(o, "gold");
	json_array_append_new(c->a, o);
	c->last = t->id;
	return 0;
}

int h_task_list(struct http_req *r)
{
	struct store_task_filter f = {.project_id = r->project_id, .state = -1};
	int64_t limit;
	if (http_query_id(r, "assignee", &f.assignee_id) || http_query_id(r, "after", &f.after_id) ||
	    http_query_int(r, "limit", 100, 1, 1000, &limit))
		return -1;
	f.limit = (int)limit;
	/* Annotators list only tasks they hold or held (their rejected work comes back this way); the rest of
	 * the queue is not theirs to see. */
	bool annotator = !http_has_role(r, HTTP_R_MANAGER | HTTP_R_REVIEWER | HTTP_R_VIEWER);
	if (annotator) {
		if (f.assignee_id && f.assignee_id != r->user.id)
			return HTTP_FAIL_FIELD(r, ML_EPERM, "assignee", "annotators can list only their own tasks");
		f.assignee_id = r->user.id;
	}
	const char *st = http_query(r, "state");
	if (st && *st && (f.state = store_task_state_parse(st)) < 0)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "state", "unknown task state");
	struct list_ctx c = {json_array(), 0, annotator};
	if (store_task_list(r->store, &f, task_cb, &c, &r->err) < 0) {
		json_decref(c.a);
		return -1;
	}
	size_t n = json_array_size(c.a);
	json_t *o = json_pack("{s:o}", "tasks", c.a);
	json_object_set_new(o, "next_after", n == (size_t)limit ? json_integer(c.last) : json_null());
	return http_reply_json(r, 200, o);
}

int h_task_get(struct http_req *r)
{
	struct store_task t;
	/* Annotators see only tasks they hold or held, as in the listing. */
	if (http_load_task(r, r->params[1], &t) != 0 || http_check_task_access(r, t.id) != 0)
		return -1;
	json_t *o = http_task_json(&t);
	if (!http_has_role(r, HTTP_R_MANAGER | HTTP_R_REVIEWER | HTTP_R_VIEWER))
		json_object_del(o, "gold"); /* gold tasks look like any other to annotators (quality module) */
	return http_reply_json(r, 200, o);
}

int h_task_skip(struct http_req *r)
{
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0)
		return -1;
	struct store_assignment as;
	/* Only "you hold no lease on it" is a conflict (409); a store failure stays what it is (5xx). */
	int held = store_assignment_get(r->store, t.id, r->user.id, &as, &r->err) == 0;
	if (!held && r->err.code != ML_ENOTFOUND)
		return -1;
	if (!held || as.state != STORE_ASSIGN_LEASED)
		return HTTP_FAIL(r, ML_ECONFLICT, "task %" PRId64 " is not leased to you", t.id);
	if (store_assignment_finish(r->store, t.id, r->user.id, STORE_ASSIGN_SKIPPED, ml_now_ms(), &r->err) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:I,s:b}", "task_id", (json_int_t)t.id, "skipped", 1));
}

static int prediction_cb(void *ctx, const struct store_prediction *p)
{
	char ts[40];
	ml_time_format(p->created_at, ts, sizeof ts);
	json_array_append_new(ctx, json_pack("{s:I,s:I,s:s,s:s,s:o,s:f,s:s}", "id", (json_int_t)p->id, "task_id",
					     (json_int_t)p->task_id, "model", p->model ? p->model : "", "model_version",
					     p->model_version ? p->model_version : "", "body",
					     http_json_parse_stored(p->body_json), "score", p->score, "created_at", ts));
	return 0;
}

int h_prediction_list(struct http_req *r)
{
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0 || http_check_task_access(r, t.id) != 0)
		return -1;
	json_t *a = json_array();
	if (store_prediction_list(r->store, t.id, prediction_cb, a, &r->err) < 0) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "predictions", a));
}

static int64_t project_int_setting(struct http_req *r, const char *key, int64_t def)
{
	json_t *s = http_json_parse_stored(r->project.settings_json);
	json_t *v = json_object_get(s, key);
	int64_t x = json_is_integer(v) ? json_integer_value(v) : def;
	json_decref(s);
	return x;
}

int h_next(struct http_req *r)
{
	int64_t lease_ms = project_int_setting(r, "lease_seconds", 900) * 1000;
	int64_t now = ml_now_ms();
	struct store_task t;
	/* The quality module's lease: gold tasks mixed in at the project's rate, trainees on the gold set. */
	if (quality_lease_next(r->store, &r->project, r->user.id, now, lease_ms, &t, &r->err) != 0) {
		if (r->err.code != ML_ENOTFOUND)
			return -1;
		return http_reply_json(r, 200, json_pack("{s:n}", "task"));
	}
	snprintf(r->object_suffix, sizeof r->object_suffix, "/tasks/%" PRId64, t.id);
	struct store_assignment as;
	int64_t expires = now + lease_ms;
	if (store_assignment_get(r->store, t.id, r->user.id, &as, &r->err) == 0)
		expires = as.lease_expires_at;
	else if (r->err.code != ML_ENOTFOUND)
		return -1; /* a store failure: 5xx, and the writer rolls the lease back */
	char ts[40];
	ml_time_format(expires, ts, sizeof ts);
	json_t *tj = http_task_json(&t);
	json_object_del(tj, "gold");
	return http_reply_json(r, 200, json_pack("{s:o,s:s}", "task", tj, "lease_expires_at", ts));
}

/* ---- annotations ---------------------------------------------------------------------------------- */

/* Blind labeling: who may see annotation a of task t. */
static bool can_see(struct http_req *r, const struct store_task *t, int64_t author)
{
	if (http_has_role(r, HTTP_R_MANAGER | HTTP_R_VIEWER) || author == r->user.id)
		return true;
	if (r->role == STORE_ROLE_REVIEWER && t->state >= STORE_TASK_SUBMITTED)
		return true;
	/* Annotators see the others' once the task is reviewed, except on a gold task: it is served to every
	 * trainee whatever its state, and its annotations hold the reference answers. */
	return t->state == STORE_TASK_DONE && !t->gold;
}

static int ann_cb(void *ctx, const struct store_annotation *a)
{
	json_array_append_new(ctx, http_annotation_json(a));
	return 0;
}

int h_annotation_list(struct http_req *r)
{
	struct store_task t;
	/* A done task's annotations are visible to its annotators only: to anyone else (a gold task's are the
	 * answer key) the task does not exist. */
	if (http_load_task(r, r->params[1], &t) != 0 || http_check_task_access(r, t.id) != 0)
		return -1;
	int64_t only = can_see(r, &t, 0) ? 0 : r->user.id;
	json_t *a = json_array();
	if (store_annotation_list(r->store, t.id, only, ann_cb, a, &r->err) < 0) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o,s:b}", "annotations", a, "blind", only != 0));
}

static int reply_annotation(struct http_req *r, int status, int64_t id)
{
	struct store_annotation a;
	if (store_annotation_get(r->store, id, 0, &a, &r->err) != 0)
		return -1;
	json_t *o = http_annotation_json(&a);
	int version = a.version;
	store_annotation_release(&a);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	struct MHD_Response *resp = http_response_json_text(text);
	char etag[32];
	snprintf(etag, sizeof etag, "\"%d\"", version);
	if (resp)
		MHD_add_response_header(resp, "ETag", etag);
	return http_queue(r, status, resp); /* 503 without a response, and the writer rolls the change back */
}

/* Reads {"body": {...}, "seconds_spent": n} for task t and validates the body against the project's latest
 * schema and the item; returns the body as text (arena) and the schema version. */
static int annotation_input(struct http_req *r, const struct store_task *t, char **body_text, double *seconds,
			    int *schema_version)
{
	static const char *const allowed[] = {"body", "seconds_spent", NULL};
	if (http_json_only(r, r->json, allowed))
		return -1;
	json_t *body = json_object_get(r->json, "body");
	if (!json_is_object(body))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/body", "'body' must be a JSON object");
	json_t *sec = json_object_get(r->json, "seconds_spent");
	*seconds = 0;
	if (sec) {
		if (!json_is_number(sec) || json_number_value(sec) < 0 || json_number_value(sec) > 86400 * 7)
			return HTTP_FAIL_FIELD(r, ML_EINVAL, "/seconds_spent", "'seconds_spent' must be a number from 0 to 604800");
		*seconds = json_number_value(sec);
	}
	*body_text = http_json_text(r, body);
	if (!*body_text)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	char *schema;
	if (store_schema_get(r->store, r->project_id, 0, &schema, schema_version, &r->err) != 0) {
		if (r->err.code == ML_ENOTFOUND)
			return HTTP_FAIL(r, ML_ECONFLICT, "the project has no labeling schema yet");
		return -1;
	}
	struct store_item it;
	if (store_item_get(r->store, t->item_id, &it, &r->err) != 0) {
		ml_free(schema);
		return -1;
	}
	int rc = http_annotation_validate(r->project_id, *schema_version, schema, *body_text, &it, &r->err);
	store_item_release(&it);
	ml_free(schema);
	if (rc != 0) {
		http_err_prefix_field(r, "/body");
		return -1;
	}
	return 0;
}

int h_annotation_create(struct http_req *r)
{
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0)
		return -1;
	char *body;
	double seconds;
	int schema_version;
	if (annotation_input(r, &t, &body, &seconds, &schema_version) != 0)
		return -1;
	int64_t now = ml_now_ms();
	struct store_assignment as;
	struct ml_err err;
	if (store_assignment_get(r->store, t.id, r->user.id, &as, &err) != 0) {
		if (err.code != ML_ENOTFOUND)
			return r->err = err, -1;
		return HTTP_FAIL(r, ML_ECONFLICT, "task %" PRId64 " is not leased to you: GET /projects/%" PRId64 "/next first",
				 t.id, r->project_id);
	}
	if (as.state == STORE_ASSIGN_SUBMITTED || as.state == STORE_ASSIGN_RETURNED)
		return HTTP_FAIL(r, ML_ECONFLICT, "you have already submitted an annotation for task %" PRId64 "; update it instead",
				 t.id);
	if (as.state != STORE_ASSIGN_LEASED || as.lease_expires_at <= now)
		return HTTP_FAIL(r, ML_ECONFLICT, "your lease on task %" PRId64 " has expired: GET .../next again", t.id);
	struct store_annotation in = {.task_id = t.id, .user_id = r->user.id, .schema_version = schema_version,
				      .body_json = body, .seconds_spent = seconds, .validated = true, .kind = "human"};
	int64_t id;
	if (store_begin(r->store, &r->err) != 0)
		return -1;
	if (store_annotation_create(r->store, &in, &id, &r->err) != 0 ||
	    store_assignment_finish(r->store, t.id, r->user.id, STORE_ASSIGN_SUBMITTED, now, &r->err) != 0 ||
	    store_commit(r->store, &r->err) != 0) {
		store_rollback(r->store);
		return -1;
	}
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, id);
	/* Quality module: a gold answer updates the annotator's accuracy and qualification; a task whose
	 * annotators have all submitted gets its consensus, and goes to adjudication below the threshold. */
	struct ml_err qerr;
	if (t.gold) {
		struct store_annotator_quality aq;
		if (quality_evaluate_annotator(r->store, &r->project, r->user.id, now, &aq, &qerr) != 0)
			ml_log(ML_LOG_WARN, "quality: cannot evaluate user %" PRId64 ": %s", r->user.id, qerr.msg);
	}
	struct store_task after;
	struct quality_task_outcome oc;
	if (store_task_get(r->store, t.id, &after, &qerr) == 0 && after.state == STORE_TASK_SUBMITTED &&
	    quality_task_consensus(r->store, &r->project, t.id, 0.5, false, &oc, &qerr) != 0)
		ml_log(ML_LOG_WARN, "quality: no consensus for task %" PRId64 ": %s", t.id, qerr.msg);
	return reply_annotation(r, 201, id);
}

/* Loads an annotation of this project that the caller may see; 404 otherwise. */
static int load_annotation(struct http_req *r, int64_t id, struct store_annotation *a, struct store_task *t)
{
	if (store_annotation_get(r->store, id, 0, a, &r->err) != 0)
		return -1;
	if (store_task_get(r->store, a->task_id, t, &r->err) != 0 || t->project_id != r->project_id ||
	    !can_see(r, t, a->user_id)) {
		store_annotation_release(a);
		return HTTP_FAIL(r, ML_ENOTFOUND, "no such annotation in this project");
	}
	if (http_check_task_access(r, t->id) != 0) { /* annotators: only tasks they hold or held */
		store_annotation_release(a);
		return r->err.code == ML_ENOTFOUND ? HTTP_FAIL(r, ML_ENOTFOUND, "no such annotation in this project") : -1;
	}
	return 0;
}

int h_annotation_get(struct http_req *r)
{
	struct store_annotation a;
	struct store_task t;
	if (load_annotation(r, r->params[1], &a, &t) != 0)
		return -1;
	store_annotation_release(&a);
	return reply_annotation(r, 200, r->params[1]);
}

int h_annotation_update(struct http_req *r)
{
	struct store_annotation a;
	struct store_task t;
	if (load_annotation(r, r->params[1], &a, &t) != 0)
		return -1;
	int64_t author = a.user_id;
	store_annotation_release(&a);
	bool is_author = author == r->user.id;
	if (!is_author && !http_has_role(r, HTTP_R_REVIEWER | HTTP_R_MANAGER))
		return HTTP_FAIL(r, ML_EPERM, "only the author, a reviewer or a manager may edit an annotation");
	if (!http_has_role(r, HTTP_R_REVIEWER | HTTP_R_MANAGER) && t.state == STORE_TASK_DONE)
		return HTTP_FAIL(r, ML_ECONFLICT, "the task is done: its annotations are final");
	const char *im = http_header(r, "If-Match");
	if (!im)
		return http_reply_status(r, 428, "precondition_required", "If-Match",
					 "send If-Match with the version you edited (its ETag)");
	int expected;
	if (http_parse_if_match(im, &expected) != 0)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "If-Match", "If-Match must be an annotation version such as \"3\"");
	char *body;
	double seconds;
	int schema_version;
	if (annotation_input(r, &t, &body, &seconds, &schema_version) != 0)
		return -1;
	int newv;
	if (store_begin(r->store, &r->err) != 0)
		return -1;
	if (store_annotation_update(r->store, r->params[1], expected, body, schema_version, r->user.id, seconds, true, &newv,
				    &r->err) != 0)
		goto rollback;
	/* A rejected annotation was returned to its author (RETURNED, or LEASED again once .../next handed the
	 * task back to them): revising it submits it again for review. */
	if (is_author) {
		struct store_assignment as;
		struct ml_err e2;
		if (store_assignment_get(r->store, t.id, r->user.id, &as, &e2) == 0 &&
		    (as.state == STORE_ASSIGN_RETURNED || as.state == STORE_ASSIGN_LEASED) &&
		    store_assignment_finish(r->store, t.id, r->user.id, STORE_ASSIGN_SUBMITTED, ml_now_ms(), &r->err) != 0)
			goto rollback;
	}
	if (store_commit(r->store, &r->err) != 0)
		goto rollback;
	/* Quality module: an annotator's revised gold answer counts at once (promotion, demotion). */
	if (is_author && t.gold) {
		struct store_annotator_quality aq;
		struct ml_err qerr;
		if (quality_evaluate_annotator(r->store, &r->project, r->user.id, ml_now_ms(), &aq, &qerr) != 0)
			ml_log(ML_LOG_WARN, "quality: cannot evaluate user %" PRId64 ": %s", r->user.id, qerr.msg);
	}
	return reply_annotation(r, 200, r->params[1]);
rollback:
	store_rollback(r->store);
	return -1;
}

/* ---- reviews -------------------------------------------------------------------------------------- */

static int review_cb(void *ctx, const struct store_review *rv)
{
	char ts[40];
	ml_time_format(rv->created_at, ts, sizeof ts);
	json_array_append_new(ctx, json_pack("{s:I,s:I,s:i,s:I,s:s,s:s,s:s}", "id", (json_int_t)rv->id, "annotation_id",
					     (json_int_t)rv->annotation_id, "annotation_version", rv->annotation_version,
					     "reviewer_id", (json_int_t)rv->reviewer_id, "decision",
					     rv->decision == STORE_REVIEW_ACCEPT ? "accept" : "reject", "comment",
					     rv->comment ? rv->comment : "", "created_at", ts));
	return 0;
}

int h_review_list(struct http_req *r)
{
	struct store_annotation a;
	struct store_task t;
	if (load_annotation(r, r->params[1], &a, &t) != 0)
		return -1;
	store_annotation_release(&a);
	json_t *arr = json_array();
	if (store_review_list(r->store, r->params[1], review_cb, arr, &r->err) < 0) {
		json_decref(arr);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "reviews", arr));
}

/* Overlap > 1: a task is done only when every human annotation of it is accepted in its current version
 * (its latest review is an accept of that version); until then an accept leaves it in review. */
struct accept_scan {
	int64_t *id;
	int *version;
	size_t n, alloc;
};

static int human_ann_cb(void *ctx, const struct store_annotation *a)
{
	struct accept_scan *sc = ctx;
	if (a->user_id <= 0 || (a->kind && strcmp(a->kind, "human") != 0))
		return 0;
	if (sc->n == sc->alloc) {
		size_t n = sc->alloc ? sc->alloc * 2 : 8;
		int64_t *id = ml_realloc(sc->id, n * sizeof(*id));
		if (!id)
			return -1;
		sc->id = id;
		int *v = ml_realloc(sc->version, n * sizeof(*v));
		if (!v)
			return -1;
		sc->version = v;
		sc->alloc = n;
	}
	sc->id[sc->n] = a->id;
	sc->version[sc->n++] = a->version;
	return 0;
}

struct last_review {
	int version;
	bool accept, any;
};

static int last_review_cb(void *ctx, const struct store_review *rv)
{
	struct last_review *l = ctx; /* reviews come in id order: the last one wins */
	l->any = true;
	l->version = rv->annotation_version;
	l->accept = rv->decision == STORE_REVIEW_ACCEPT;
	return 0;
}

static int all_accepted(struct http_req *r, int64_t task_id, bool *yes)
{
	struct accept_scan sc = {0};
	*yes = false;
	int rc = store_annotation_list(r->store, task_id, 0, human_ann_cb, &sc, &r->err);
	if (rc != 0 && r->err.code == ML_OK)
		rc = ml_err_set(&r->err, ML_ENOMEM, "out of memory");
	bool all = rc == 0;
	for (size_t i = 0; rc == 0 && all && i < sc.n; i++) {
		struct last_review l = {0};
		rc = store_review_list(r->store, sc.id[i], last_review_cb, &l, &r->err);
		all = l.any && l.accept && l.version == sc.version[i];
	}
	ml_free(sc.id);
	ml_free(sc.version);
	*yes = rc == 0 && all;
	return rc;
}

int h_review_create(struct http_req *r)
{
	static const char *const allowed[] = {"decision", "comment", NULL};
	const char *decision, *comment;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "decision", true, &decision) ||
	    http_json_str(r, r->json, "comment", false, &comment))
		return -1;
	enum store_review_decision d;
	if (!strcmp(decision, "accept"))
		d = STORE_REVIEW_ACCEPT;
	else if (!strcmp(decision, "reject"))
		d = STORE_REVIEW_REJECT;
	else
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/decision", "decision must be 'accept' or 'reject'");
	if (comment && strlen(comment) > 10000)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/comment", "comment longer than 10000 bytes");
	struct store_annotation a;
	struct store_task t;
	if (load_annotation(r, r->params[1], &a, &t) != 0)
		return -1;
	int version = a.version;
	int64_t author = a.user_id;
	store_annotation_release(&a);
	if (author == r->user.id)
		return HTTP_FAIL(r, ML_EPERM, "you cannot review your own annotation");
	if (t.state != STORE_TASK_SUBMITTED && t.state != STORE_TASK_IN_REVIEW && t.state != STORE_TASK_ADJUDICATION)
		return HTTP_FAIL(r, ML_ECONFLICT, "task %" PRId64 " is %s, not awaiting review", t.id,
				 store_task_state_name(t.state));
	struct store_review in = {.annotation_id = r->params[1], .annotation_version = version,
				  .reviewer_id = r->user.id, .decision = d, .comment = (char *)(comment ? comment : "")};
	int64_t id;
	if (store_begin(r->store, &r->err) != 0)
		return -1;
	/* Rejected: the task goes back to its annotator, first in their queue, until they revise the annotation. */
	int64_t now = ml_now_ms();
	bool done = false;
	enum store_task_state next = STORE_TASK_IN_PROGRESS;
	if (store_review_add(r->store, &in, &id, &r->err) != 0 ||
	    (d == STORE_REVIEW_ACCEPT && all_accepted(r, t.id, &done) != 0))
		goto rollback;
	if (d == STORE_REVIEW_ACCEPT)
		next = done ? STORE_TASK_DONE : STORE_TASK_IN_REVIEW;
	if ((d == STORE_REVIEW_REJECT && author ? store_assignment_return(r->store, t.id, author, now, &r->err)
						: store_task_set_state(r->store, t.id, next, &r->err)) != 0 ||
	    store_commit(r->store, &r->err) != 0)
		goto rollback;
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, id);
	return http_reply_json(r, 201, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "decision", decision,
						 "task_state", store_task_state_name(next)));
rollback:
	store_rollback(r->store);
	return -1;
}

/* ---- comments ------------------------------------------------------------------------------------- */

static int comment_cb(void *ctx, const struct store_comment *c)
{
	char ts[40];
	ml_time_format(c->created_at, ts, sizeof ts);
	json_array_append_new(ctx, json_pack("{s:I,s:I,s:I,s:s,s:s}", "id", (json_int_t)c->id, "task_id",
					     (json_int_t)c->task_id, "user_id", (json_int_t)c->user_id, "body",
					     c->body ? c->body : "", "created_at", ts));
	return 0;
}

int h_comment_list(struct http_req *r)
{
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0 || http_check_task_access(r, t.id) != 0)
		return -1;
	json_t *a = json_array();
	if (store_comment_list(r->store, t.id, comment_cb, a, &r->err) < 0) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "comments", a));
}

int h_comment_create(struct http_req *r)
{
	static const char *const allowed[] = {"body", NULL};
	const char *body;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "body", true, &body))
		return -1;
	if (!*body || strlen(body) > 10000)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/body", "comment must have 1 to 10000 bytes");
	struct store_task t;
	if (http_load_task(r, r->params[1], &t) != 0 || http_check_task_access(r, t.id) != 0)
		return -1;
	int64_t id;
	if (store_comment_add(r->store, t.id, r->user.id, body, &id, &r->err) != 0)
		return -1;
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, id);
	return http_reply_json(r, 201, json_pack("{s:I,s:I}", "id", (json_int_t)id, "task_id", (json_int_t)t.id));
}
