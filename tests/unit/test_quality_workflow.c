/* test_quality_workflow.c: revalidation (gold tasks come back to an annotator after N submissions or after
 * some days, and their accuracy follows their latest answers), demotion of a qualified annotator whose gold
 * accuracy falls, and that an annotator's repeated answers count once in agreement and consensus. */
#include "harness.h"
#include "quality/quality.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static struct store *open_store(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
	struct store *s = NULL;
	struct ml_err err;
	if (store_open(path, &s, &err))
		return NULL;
	return s;
}

static int64_t add_task(struct store *s, int64_t project, const char *text, int overlap)
{
	struct store_item it = {.project_id = project, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
				.patient_key = (char *)"", .meta_json = (char *)"{}", .text = (char *)text, .visible = true};
	int64_t item, task = 0;
	struct ml_err err;
	if (store_item_add(s, &it, overlap, &item, &task, &err))
		return 0;
	return task;
}

static int annotate(struct store *s, int64_t task, int64_t user, const char *kind, const char *body)
{
	struct store_annotation a = {.task_id = task, .user_id = user, .schema_version = 1, .body_json = (char *)body,
				     .validated = true, .kind = (char *)kind, .model = user ? NULL : (char *)"reference"};
	int64_t id;
	struct ml_err err;
	return store_annotation_create(s, &a, &id, &err);
}

#define YES "{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}"
#define NO "{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"no\"]}]}"

/* A project with `ngold` gold tasks (reference "yes") and `nreg` regular ones. */
static int64_t setup(struct store *s, const char *settings, int ngold, int nreg, int64_t *gold, int64_t *user)
{
	struct ml_err err;
	int64_t p;
	if (store_project_create(s, "p", "", &p, &err) || store_project_set_settings(s, p, settings, &err) ||
	    store_user_create(s, "ann", "", false, user, &err))
		return 0;
	for (int i = 0; i < ngold; i++) {
		gold[i] = add_task(s, p, "gold text", 1);
		if (!gold[i] || store_task_set_gold(s, gold[i], true, &err) || annotate(s, gold[i], 0, "gold", YES))
			return 0;
	}
	for (int i = 0; i < nreg; i++)
		if (!add_task(s, p, "regular text", 1))
			return 0;
	return p;
}

/* Leases the next task at `now` and submits `body`; returns the task or 0. */
static int64_t work(struct store *s, struct store_project *p, int64_t user, int64_t now, const char *body)
{
	struct store_task t;
	struct ml_err err;
	if (quality_lease_next(s, p, user, now, 60000, &t, &err))
		return 0;
	if (annotate(s, t.id, user, "human", body) || store_assignment_finish(s, t.id, user, STORE_ASSIGN_SUBMITTED, now + 1, &err))
		return 0;
	return t.id;
}

TEST(gold_repeats_after_n_submissions)
{
	struct store *s = open_store("repeat_n");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t gold[1], u;
	/* Half gold, the gold task comes back once 2 more tasks were submitted after it. */
	int64_t pid = setup(s, "{\"gold_rate\":0.5,\"gold_repeat_every\":2}", 1, 6, gold, &u);
	CHECK(pid > 0);
	struct store_project p;
	CHECK(store_project_get(s, pid, &p, &err) == 0);
	int64_t now = 1000000, seen_gold = 0;
	int64_t order[7];
	for (int i = 0; i < 7; i++) {
		order[i] = work(s, &p, u, now + i * 10, YES);
		CHECK(order[i] > 0);
		seen_gold += order[i] == gold[0];
	}
	/* Without revalidation the single gold task is met once. With it, gold is due at every other task
	 * (rate 0.5) and comes back once two later submissions followed it: G R R G R R G. */
	CHECK_EQ_INT(order[0], gold[0]);
	CHECK(order[1] != gold[0] && order[2] != gold[0]);
	CHECK_EQ_INT(order[3], gold[0]);
	CHECK(order[4] != gold[0] && order[5] != gold[0]);
	CHECK_EQ_INT(order[6], gold[0]);
	CHECK_EQ_INT(seen_gold, 3);
	/* Each repeat is a new annotation; the accuracy counts the latest answer: right, then wrong. */
	struct store_annotator_quality q;
	CHECK(quality_evaluate_annotator(s, &p, u, now + 100, &q, &err) == 0);
	CHECK_EQ_INT(q.answers, 1);
	CHECK_NEAR(q.accuracy, 1, 0);
	int64_t t;
	for (int i = 0; i < 4 && (t = work(s, &p, u, now + 200 + i * 10, NO)) != gold[0]; i++)
		CHECK(t > 0);
	CHECK_EQ_INT(t, gold[0]);
	CHECK(quality_evaluate_annotator(s, &p, u, now + 300, &q, &err) == 0);
	CHECK_EQ_INT(q.answers, 1);
	CHECK_NEAR(q.accuracy, 0, 0);
	store_project_release(&p);
	store_close(s);
}

TEST(gold_repeats_after_days_only)
{
	struct store *s = open_store("repeat_days");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t gold[1], u;
	int64_t pid = setup(s, "{\"gold_rate\":0.5,\"gold_revalidate_days\":1}", 1, 10, gold, &u);
	CHECK(pid > 0);
	struct store_project p;
	CHECK(store_project_get(s, pid, &p, &err) == 0);
	int64_t day = 86400000, now = 5 * day;
	CHECK_EQ_INT(work(s, &p, u, now, YES), gold[0]);
	/* The same day: gold is due but not yet old enough, so regular tasks come. */
	for (int i = 1; i <= 3; i++) {
		int64_t t = work(s, &p, u, now + i * 1000, YES);
		CHECK(t > 0 && t != gold[0]);
	}
	/* A day later it comes back, and the store's answer is the user's own returned assignment. */
	struct store_task t;
	CHECK(quality_lease_next(s, &p, u, now + day + 5000, 60000, &t, &err) == 0);
	CHECK_EQ_INT(t.id, gold[0]);
	/* Nothing else is due: store_gold_repeat says so. */
	int64_t tid;
	CHECK(store_gold_repeat(s, pid, u, now + day + 5000 - day, 0, &tid, &err) < 0);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	store_project_release(&p);
	store_close(s);
}

TEST(demotion_and_suspension)
{
	struct store *s = open_store("demote");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t gold[2], u;
	int64_t pid = setup(s,
			    "{\"qualification_threshold\":0.75,\"qualification_min_answers\":2,\"gold_rate\":0.5,"
			    "\"gold_repeat_every\":1,\"qualification_demote\":\"training\"}",
			    2, 4, gold, &u);
	CHECK(pid > 0);
	struct store_project p;
	CHECK(store_project_get(s, pid, &p, &err) == 0);
	struct store_annotator_quality q;
	int64_t now = 1000000;
	/* Training: two right gold answers promote. */
	CHECK(work(s, &p, u, now, YES) > 0);
	CHECK(work(s, &p, u, now + 10, YES) > 0);
	CHECK(quality_evaluate_annotator(s, &p, u, now + 20, &q, &err) == 0);
	CHECK_EQ_INT(q.state, STORE_QUAL_QUALIFIED);
	/* Qualified: the gold tasks come back and two wrong answers bring accuracy to 0: back to training. */
	int wrong = 0;
	for (int i = 0; i < 8 && wrong < 2; i++) {
		struct store_task t;
		CHECK(quality_lease_next(s, &p, u, now + 100 + i * 10, 60000, &t, &err) == 0);
		bool g = t.id == gold[0] || t.id == gold[1];
		CHECK(annotate(s, t.id, u, "human", g ? NO : YES) == 0);
		CHECK(store_assignment_finish(s, t.id, u, STORE_ASSIGN_SUBMITTED, now + 101 + i * 10, &err) == 0);
		wrong += g;
	}
	CHECK_EQ_INT(wrong, 2);
	CHECK(quality_evaluate_annotator(s, &p, u, now + 300, &q, &err) == 0);
	CHECK_NEAR(q.accuracy, 0, 0);
	CHECK_EQ_INT(q.state, STORE_QUAL_TRAINING);
	/* With "suspend" instead, the same drop suspends. */
	CHECK(store_annotator_quality_set(s, &(struct store_annotator_quality){pid, u, STORE_QUAL_QUALIFIED, 1, 2, now}, &err) == 0);
	CHECK(store_project_set_settings(s, pid,
					 "{\"qualification_threshold\":0.75,\"qualification_min_answers\":2,"
					 "\"qualification_demote\":\"suspend\"}",
					 &err) == 0);
	store_project_release(&p);
	CHECK(store_project_get(s, pid, &p, &err) == 0);
	CHECK(quality_evaluate_annotator(s, &p, u, now + 400, &q, &err) == 0);
	CHECK_EQ_INT(q.state, STORE_QUAL_SUSPENDED);
	struct store_task t;
	CHECK(quality_lease_next(s, &p, u, now + 500, 60000, &t, &err) < 0);
	CHECK_EQ_INT(err.code, ML_EPERM);
	/* A later evaluation does not lift a suspension. */
	CHECK(quality_evaluate_annotator(s, &p, u, now + 600, &q, &err) == 0);
	CHECK_EQ_INT(q.state, STORE_QUAL_SUSPENDED);
	store_project_release(&p);
	store_close(s);
}

TEST(repeated_answers_count_once_in_agreement)
{
	struct store *s = open_store("repeat_agree");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t gold[1], u, u2;
	int64_t pid = setup(s, "{\"agreement_threshold\":0.9}", 1, 0, gold, &u);
	CHECK(pid > 0);
	CHECK(store_user_create(s, "ann2", "", false, &u2, &err) == 0);
	struct store_project p;
	CHECK(store_project_get(s, pid, &p, &err) == 0);
	/* One annotator's two attempts at the gold task are not two annotators disagreeing. */
	CHECK(annotate(s, gold[0], u, "human", YES) == 0);
	CHECK(annotate(s, gold[0], u, "human", NO) == 0);
	struct quality_task_outcome oc;
	CHECK(quality_task_consensus(s, &p, gold[0], 0.5, true, &oc, &err) == 0);
	CHECK(!oc.compared);
	/* With a second annotator who says no, the latest answers agree: no adjudication. */
	CHECK(annotate(s, gold[0], u2, "human", NO) == 0);
	CHECK(quality_task_consensus(s, &p, gold[0], 0.5, true, &oc, &err) == 0);
	CHECK(oc.compared);
	CHECK_NEAR(oc.agreement, 1, 0);
	CHECK(!oc.to_adjudication);
	/* The report compares the latest answers too (percent agreement 1 on one unit), while gold accuracy
	 * counts every answer: ann 1 of 2 right, ann2 0 of 1. */
	char *out;
	struct quality_report_options o = {0};
	CHECK(quality_report_json(s, pid, &o, &out, &err) == 0);
	json_t *r = json_loads(out, 0, NULL);
	ml_free(out);
	json_t *c = json_array_get(json_object_get(r, "controls"), 0);
	json_t *pct = json_object_get(json_object_get(c, "overall"), "percent");
	CHECK_NEAR(json_number_value(json_object_get(pct, "value")), 1, 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(pct, "pairable_values")), 2);
	json_t *g = json_object_get(r, "gold_accuracy");
	CHECK_EQ_INT(json_array_size(g), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *x = json_array_get(g, i);
		bool first = !strcmp(json_string_value(json_object_get(x, "annotator")), "ann");
		CHECK_EQ_INT(json_integer_value(json_object_get(x, "answers")), first ? 2 : 1);
		CHECK_NEAR(json_number_value(json_object_get(x, "accuracy")), first ? 0.5 : 0, 1e-12);
	}
	json_decref(r);
	store_project_release(&p);
	store_close(s);
}
