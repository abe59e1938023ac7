/* workflow.c: gold tasks mixed into annotators' queues, qualification of new annotators on the gold set,
 * and their accuracy against gold. Settings come from the project's settings JSON. */
#include "label/label.h"
#include "quality/quality.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

void quality_settings_read(const char *settings_json, struct quality_settings *qs)
{
	qs->gold_rate = 0;
	qs->qualification_threshold = NAN;
	qs->qualification_min_answers = 5;
	qs->agreement_threshold = NAN;
	qs->gold_revalidate_ms = 0;
	qs->gold_repeat_every = 0;
	qs->demote = QUALITY_DEMOTE_NONE;
	json_t *s = json_loads(settings_json ? settings_json : "{}", 0, NULL);
	json_t *v;
	if (json_is_number(v = json_object_get(s, "gold_rate")) && json_number_value(v) >= 0 && json_number_value(v) <= 1)
		qs->gold_rate = json_number_value(v);
	if (json_is_number(v = json_object_get(s, "qualification_threshold")) && json_number_value(v) >= 0 &&
	    json_number_value(v) <= 1)
		qs->qualification_threshold = json_number_value(v);
	if (json_is_integer(v = json_object_get(s, "qualification_min_answers")) && json_integer_value(v) >= 1)
		qs->qualification_min_answers = json_integer_value(v);
	if (json_is_number(v = json_object_get(s, "agreement_threshold")) && json_number_value(v) >= 0 &&
	    json_number_value(v) <= 1)
		qs->agreement_threshold = json_number_value(v);
	/* Up to ten years; fractions of a day are allowed (tests, intensive projects). */
	if (json_is_number(v = json_object_get(s, "gold_revalidate_days")) && json_number_value(v) > 0 &&
	    json_number_value(v) <= 3650)
		qs->gold_revalidate_ms = (int64_t)(json_number_value(v) * 86400000.0);
	if (json_is_integer(v = json_object_get(s, "gold_repeat_every")) && json_integer_value(v) >= 1)
		qs->gold_repeat_every = json_integer_value(v);
	const char *d = json_string_value(json_object_get(s, "qualification_demote"));
	if (d && strcmp(d, "training") == 0)
		qs->demote = QUALITY_DEMOTE_TRAINING;
	else if (d && strcmp(d, "suspend") == 0)
		qs->demote = QUALITY_DEMOTE_SUSPEND;
	json_decref(s);
}

/* Revalidation: when the user has no gold task left, one they answered long enough ago comes back (the
 * store returns their assignment), and the gold lease is tried again. */
static int lease_gold(struct store *s, const struct store_project *p, const struct quality_settings *qs, int64_t user_id,
		      int64_t now, int64_t lease_ms, struct store_task *out, struct ml_err *err)
{
	if (store_task_lease_filtered(s, p->id, user_id, now, lease_ms, 1, out, err) == 0)
		return 0;
	if ((err && err->code != ML_ENOTFOUND) || (qs->gold_revalidate_ms <= 0 && qs->gold_repeat_every <= 0))
		return -1;
	int64_t task_id;
	struct ml_err e2;
	int64_t before = qs->gold_revalidate_ms > 0 ? now - qs->gold_revalidate_ms : INT64_MIN;
	if (store_gold_repeat(s, p->id, user_id, before, qs->gold_repeat_every, &task_id, &e2) != 0) {
		if (e2.code == ML_ENOTFOUND)
			return -1; /* err still says no gold task left */
		return ml_err_set(err, e2.code, "%s", e2.msg);
	}
	return store_task_lease_filtered(s, p->id, user_id, now, lease_ms, 1, out, err);
}

int quality_lease_next(struct store *s, const struct store_project *p, int64_t user_id, int64_t now, int64_t lease_ms,
		       struct store_task *out, struct ml_err *err)
{
	struct quality_settings qs;
	quality_settings_read(p->settings_json, &qs);
	struct store_annotator_quality aq;
	struct ml_err e2;
	enum store_qual_state state = STORE_QUAL_TRAINING;
	if (store_annotator_quality_get(s, p->id, user_id, &aq, &e2) == 0)
		state = aq.state;
	else if (e2.code != ML_ENOTFOUND)
		return ml_err_set(err, e2.code, "%s", e2.msg);
	if (state == STORE_QUAL_SUSPENDED)
		return ml_err_set(err, ML_EPERM, "you are suspended from labeling in this project");
	if (!isnan(qs.qualification_threshold) && state != STORE_QUAL_QUALIFIED) {
		/* In training: the qualification set (the gold tasks) and nothing else. */
		if (lease_gold(s, p, &qs, user_id, now, lease_ms, out, err) == 0)
			return 0;
		if (err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "qualification set finished: waiting for promotion");
		return -1;
	}
	if (qs.gold_rate <= 0) /* no mixing asked for: the plain queue, gold tasks included as ordinary ones */
		return store_task_lease_next(s, p->id, user_id, now, lease_ms, out, err);
	/* Gold next when the user's share of gold submissions is below the rate, so over any stretch of work
	 * the share stays within one task of gold_rate; each kind falls back to the other when exhausted. */
	int64_t all, gold;
	if (store_user_submitted_counts(s, p->id, user_id, &all, &gold, err) < 0)
		return -1;
	int first = (double)gold < qs.gold_rate * (double)(all + 1) ? 1 : 0;
	if ((first ? lease_gold(s, p, &qs, user_id, now, lease_ms, out, err)
		   : store_task_lease_filtered(s, p->id, user_id, now, lease_ms, 0, out, err)) == 0)
		return 0;
	if (err && err->code != ML_ENOTFOUND)
		return -1;
	return !first ? lease_gold(s, p, &qs, user_id, now, lease_ms, out, err)
		      : store_task_lease_filtered(s, p->id, user_id, now, lease_ms, 0, out, err);
}

/* The single choice of an item-level result, or NULL. */
static const char *single_choice(json_t *res)
{
	json_t *ch = json_object_get(res, "choices");
	if (json_object_get(res, "region") || !json_is_array(ch) || json_array_size(ch) != 1)
		return NULL;
	return json_string_value(json_array_get(ch, 0));
}

int quality_gold_compare(const char *gold_body, const char *body, int64_t *right, int64_t *total)
{
	json_t *g = json_loads(gold_body ? gold_body : "", 0, NULL), *a = json_loads(body ? body : "", 0, NULL);
	json_t *gres = json_object_get(g, "results"), *ares = json_object_get(a, "results");
	*right = *total = 0;
	for (size_t i = 0; i < json_array_size(gres); i++) {
		const char *control = json_string_value(json_object_get(json_array_get(gres, i), "control"));
		const char *want = single_choice(json_array_get(gres, i));
		if (!control || !want)
			continue;
		const char *got = NULL;
		for (size_t k = 0; k < json_array_size(ares); k++) {
			const char *c2 = json_string_value(json_object_get(json_array_get(ares, k), "control"));
			if (c2 && strcmp(c2, control) == 0)
				got = single_choice(json_array_get(ares, k));
		}
		(*total)++;
		*right += got && strcmp(got, want) == 0;
	}
	json_decref(g);
	json_decref(a);
	return 0;
}

struct gold_scan {
	int64_t *ids;
	size_t n, alloc;
};

static int gold_task_cb(void *ctx, const struct store_task *t)
{
	struct gold_scan *g = ctx;
	if (!t->gold)
		return 0;
	if (g->n == g->alloc) {
		size_t a = g->alloc ? g->alloc * 2 : 64;
		int64_t *p = ml_realloc(g->ids, a * sizeof(*p));
		if (!p)
			return -1;
		g->ids = p;
		g->alloc = a;
	}
	g->ids[g->n++] = t->id;
	return 0;
}

struct pair_scan {
	int64_t user_id;
	char *gold, *mine;
};

static int pair_cb(void *ctx, const struct store_annotation *a)
{
	struct pair_scan *ps = ctx;
	char **slot = NULL;
	if (a->kind && strcmp(a->kind, "gold") == 0 && a->user_id <= 0)
		slot = &ps->gold;
	else if (a->user_id == ps->user_id && (!a->kind || strcmp(a->kind, "human") == 0))
		slot = &ps->mine;
	if (!slot)
		return 0;
	ml_free(*slot);
	*slot = ml_strdup(a->body_json ? a->body_json : "");
	return *slot ? 0 : -1;
}

int quality_evaluate_annotator(struct store *s, const struct store_project *p, int64_t user_id, int64_t now,
			       struct store_annotator_quality *out, struct ml_err *err)
{
	struct quality_settings qs;
	quality_settings_read(p->settings_json, &qs);
	struct gold_scan g = {0};
	struct store_task_filter f = {.project_id = p->id, .state = -1};
	if (store_task_list(s, &f, gold_task_cb, &g, err) < 0) {
		ml_free(g.ids);
		return -1;
	}
	int64_t right = 0, total = 0;
	for (size_t i = 0; i < g.n; i++) {
		struct pair_scan ps = {.user_id = user_id};
		if (store_annotation_list(s, g.ids[i], 0, pair_cb, &ps, err) < 0) {
			ml_free(ps.gold);
			ml_free(ps.mine);
			ml_free(g.ids);
			return -1;
		}
		if (ps.gold && ps.mine) {
			int64_t r, t;
			quality_gold_compare(ps.gold, ps.mine, &r, &t);
			right += r;
			total += t;
		}
		ml_free(ps.gold);
		ml_free(ps.mine);
	}
	ml_free(g.ids);
	struct store_annotator_quality cur;
	struct ml_err e2;
	enum store_qual_state state = STORE_QUAL_TRAINING;
	if (store_annotator_quality_get(s, p->id, user_id, &cur, &e2) == 0)
		state = cur.state;
	double acc = total ? (double)right / (double)total : 0;
	/* Promotion of a trainee; demotion of a qualified annotator whose accuracy (over the latest answer to
	 * each gold task, which revalidation keeps recent) fell below the threshold, when the project asks for
	 * it (qualification_demote). A suspended annotator stays suspended until a manager reinstates them. */
	if (state == STORE_QUAL_TRAINING && !isnan(qs.qualification_threshold) && total >= qs.qualification_min_answers &&
	    acc >= qs.qualification_threshold)
		state = STORE_QUAL_QUALIFIED;
	else if (state == STORE_QUAL_QUALIFIED && qs.demote != QUALITY_DEMOTE_NONE && !isnan(qs.qualification_threshold) &&
		 total >= qs.qualification_min_answers && acc < qs.qualification_threshold)
		state = qs.demote == QUALITY_DEMOTE_SUSPEND ? STORE_QUAL_SUSPENDED : STORE_QUAL_TRAINING;
	*out = (struct store_annotator_quality){p->id, user_id, state, acc, total, now};
	return store_annotator_quality_set(s, out, err);
}

int quality_set_annotator_state(struct store *s, int64_t project_id, int64_t user_id, int state,
				int64_t now, struct store_annotator_quality *out, struct ml_err *err)
{
	enum store_role role;
	if (store_member_role(s, project_id, user_id, &role, err) != 0)
		return -1;
	if (role == STORE_ROLE_NONE)
		return ml_err_set(err, ML_ENOTFOUND, "user %lld is not a member of project %lld", (long long)user_id,
				  (long long)project_id);
	struct store_annotator_quality cur;
	struct ml_err e2;
	if (store_annotator_quality_get(s, project_id, user_id, &cur, &e2) != 0) {
		if (e2.code != ML_ENOTFOUND)
			return ml_err_set(err, e2.code, "%s", e2.msg);
		cur = (struct store_annotator_quality){project_id, user_id, STORE_QUAL_TRAINING, 0, 0, now};
	}
	/* The accuracy record is kept: only the state is the manager's decision. */
	cur.state = (enum store_qual_state)state;
	cur.updated_at = now;
	*out = cur;
	return store_annotator_quality_set(s, out, err);
}

/* ---- revalidation after a schema change ------------------------------------------------------------ */

struct reval_ann {
	int64_t id;
	int version, schema_version;
	double seconds;
	char *body;
};

struct reval_list {
	struct reval_ann *v;
	size_t n, alloc;
	int latest;
};

static int reval_cb(void *ctx, const struct store_annotation *a)
{
	struct reval_list *l = ctx;
	/* Human labels made under an older schema and not already waiting for revalidation. */
	if (a->user_id <= 0 || !a->validated || a->schema_version >= l->latest || (a->kind && strcmp(a->kind, "human") != 0))
		return 0;
	if (l->n == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 16;
		struct reval_ann *p = ml_realloc(l->v, n * sizeof(*p));
		if (!p)
			return -1;
		l->v = p;
		l->alloc = n;
	}
	char *b = ml_strdup(a->body_json ? a->body_json : "");
	if (!b)
		return -1;
	l->v[l->n++] = (struct reval_ann){a->id, a->version, a->schema_version, a->seconds_spent, b};
	return 0;
}

struct id_list {
	int64_t *v;
	size_t n, alloc;
};

static int task_id_cb(void *ctx, const struct store_task *t)
{
	struct id_list *l = ctx;
	if (l->n == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 256;
		int64_t *p = ml_realloc(l->v, n * sizeof(*p));
		if (!p)
			return -1;
		l->v = p;
		l->alloc = n;
	}
	l->v[l->n++] = t->id;
	return 0;
}

int quality_mark_revalidation(struct store *s, int64_t project_id, size_t *checked, size_t *marked, struct ml_err *err)
{
	*checked = *marked = 0;
	char *latest_json = NULL;
	int latest = 0;
	if (store_schema_get(s, project_id, 0, &latest_json, &latest, err) < 0)
		return err && err->code == ML_ENOTFOUND ? 0 : -1; /* no schema, nothing to revalidate */
	struct label_schema *latest_schema = NULL;
	struct label_diff **diffs = ml_calloc((size_t)latest + 1, sizeof(*diffs)); /* per older version */
	bool *tried = ml_calloc((size_t)latest + 1, sizeof(bool));
	struct id_list tasks = {0};
	struct reval_list anns = {.latest = latest};
	int rc = -1;
	if (!diffs || !tried) {
		ml_err_set(err, ML_ENOMEM, "out of memory");
		goto out;
	}
	if (label_schema_parse(latest_json, strlen(latest_json), &latest_schema, err) < 0)
		goto out;
	struct store_task_filter f = {.project_id = project_id, .state = -1};
	if (store_task_list(s, &f, task_id_cb, &tasks, err) < 0)
		goto out;
	for (size_t i = 0; i < tasks.n; i++) {
		for (size_t k = 0; k < anns.n; k++)
			ml_free(anns.v[k].body);
		anns.n = 0;
		if (store_annotation_list(s, tasks.v[i], 0, reval_cb, &anns, err) < 0)
			goto out;
		for (size_t k = 0; k < anns.n; k++) {
			struct reval_ann *a = &anns.v[k];
			if (a->schema_version <= 0 || a->schema_version > latest)
				continue;
			if (!tried[a->schema_version]) { /* the diff from that version to the latest, once */
				tried[a->schema_version] = true;
				char *old_json = NULL;
				int got;
				struct label_schema *old_schema = NULL;
				struct ml_err e2;
				if (store_schema_get(s, project_id, a->schema_version, &old_json, &got, &e2) == 0 &&
				    label_schema_parse(old_json, strlen(old_json), &old_schema, &e2) == 0 &&
				    label_schema_diff(old_schema, latest_schema, &diffs[a->schema_version], &e2) < 0)
					diffs[a->schema_version] = NULL;
				label_schema_free(old_schema);
				ml_free(old_json);
			}
			struct label_diff *d = diffs[a->schema_version];
			if (!d)
				continue;
			(*checked)++;
			struct ml_err e3;
			if (d->nchanges == 0 || label_annotation_affected(d, a->body, strlen(a->body), &e3) != 1)
				continue;
			/* Marked: a new version with the same labels, validated = false, authored by nobody (0). */
			int nv;
			if (store_annotation_update(s, a->id, a->version, a->body, a->schema_version, 0, a->seconds, false, &nv,
						    err) < 0)
				goto out;
			(*marked)++;
		}
	}
	rc = 0;
out:
	for (size_t k = 0; k < anns.n; k++)
		ml_free(anns.v[k].body);
	ml_free(anns.v);
	ml_free(tasks.v);
	for (int v = 0; diffs && v <= latest; v++)
		if (diffs[v])
			label_diff_free(diffs[v]);
	ml_free(diffs);
	ml_free(tried);
	label_schema_free(latest_schema);
	ml_free(latest_json);
	return rc;
}

/* ---- per-task consensus and routing to adjudication --------------------------------------------------- */

struct task_anns {
	char **body;
	int64_t *user; /* whose each body is: one body per annotator, their latest */
	size_t n, alloc;
	int64_t consensus_id; /* an existing consensus annotation, 0 if none */
	int consensus_version;
	char *consensus_body;
};

static int collect_body(void *ctx, const struct store_annotation *a)
{
	struct task_anns *ta = ctx;
	if (a->kind && strcmp(a->kind, "consensus") == 0) {
		ta->consensus_id = a->id;
		ta->consensus_version = a->version;
		ml_free(ta->consensus_body);
		ta->consensus_body = ml_strdup(a->body_json ? a->body_json : "");
		return ta->consensus_body ? 0 : -1;
	}
	if (a->user_id <= 0 || (a->kind && strcmp(a->kind, "human") != 0) || !a->body_json)
		return 0;
	/* Revalidation gives an annotator several annotations of one gold task; annotations come in id
	 * order, so a later one replaces their earlier one. */
	for (size_t i = 0; i < ta->n; i++)
		if (ta->user[i] == a->user_id) {
			char *b = ml_strdup(a->body_json);
			if (!b)
				return -1;
			ml_free(ta->body[i]);
			ta->body[i] = b;
			return 0;
		}
	if (ta->n == ta->alloc) {
		size_t n = ta->alloc ? ta->alloc * 2 : 8;
		char **p = ml_realloc(ta->body, n * sizeof(*p));
		if (!p)
			return -1;
		ta->body = p;
		int64_t *u = ml_realloc(ta->user, n * sizeof(*u));
		if (!u)
			return -1;
		ta->user = u;
		ta->alloc = n;
	}
	ta->user[ta->n] = a->user_id;
	return (ta->body[ta->n++] = ml_strdup(a->body_json)) ? 0 : -1;
}

static void task_anns_reset(struct task_anns *ta)
{
	for (size_t i = 0; i < ta->n; i++)
		ml_free(ta->body[i]);
	ta->n = 0;
	ml_free(ta->consensus_body);
	ta->consensus_body = NULL;
	ta->consensus_id = 0;
}

int quality_task_consensus(struct store *s, const struct store_project *p, int64_t task_id, double box_iou, bool dry_run,
			   struct quality_task_outcome *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	out->agreement = NAN;
	struct quality_settings qs;
	quality_settings_read(p->settings_json, &qs);
	struct task_anns ta = {0};
	int rc = -1;
	char *body = NULL;
	if (store_annotation_list(s, task_id, 0, collect_body, &ta, err) < 0)
		goto out;
	if (ta.n < 2) {
		rc = 0;
		goto out;
	}
	out->compared = true;
	if (agree_bodies((const char *const *)ta.body, ta.n, &out->agreement, err) < 0)
		goto out;
	struct store_task task;
	if (!isnan(qs.agreement_threshold) && !isnan(out->agreement) && out->agreement < qs.agreement_threshold) {
		if (store_task_get(s, task_id, &task, err) < 0)
			goto out;
		if (task.state != STORE_TASK_ADJUDICATION && task.state != STORE_TASK_DONE) {
			if (!dry_run && store_task_set_state(s, task_id, STORE_TASK_ADJUDICATION, err) < 0)
				goto out;
			out->to_adjudication = true;
		}
	}
	struct consensus_body_options bo = {.box_iou = box_iou};
	struct consensus_body_report rep;
	if (consensus_bodies((const char *const *)ta.body, ta.n, NULL, &bo, &body, &rep, err) < 0)
		goto out;
	out->ties = rep.ties;
	if (ta.consensus_id && ta.consensus_body && strcmp(ta.consensus_body, body) == 0) {
		out->consensus = QUALITY_CONSENSUS_UNCHANGED;
	} else if (ta.consensus_id) {
		int nv;
		if (!dry_run && store_annotation_update(s, ta.consensus_id, ta.consensus_version, body, p->schema_version, 0, 0,
							false, &nv, err) < 0)
			goto out;
		out->consensus = QUALITY_CONSENSUS_UPDATED;
	} else if (rep.results > 0) {
		/* Provenance: kind "consensus", model "consensus" with the method as its version. */
		struct store_annotation an = {.task_id = task_id, .model = (char *)"consensus", .model_version = (char *)"vote",
					      .schema_version = p->schema_version, .body_json = body, .kind = (char *)"consensus"};
		int64_t id;
		if (!dry_run && store_annotation_create(s, &an, &id, err) < 0)
			goto out;
		out->consensus = QUALITY_CONSENSUS_CREATED;
	}
	rc = 0;
out:
	ml_free(body);
	task_anns_reset(&ta);
	ml_free(ta.body);
	ml_free(ta.user);
	return rc;
}
