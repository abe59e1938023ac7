/* test_quality_report.c: the project report from a real store: span F1 per annotator pair equals
 * agree_span_f1 summed over the tasks, choice agreement equals agree_compute on the same table, gold
 * accuracy; the qualification record and the gold-aware lease. */
#include "harness.h"
#include "quality/quality.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

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

TEST(report_spans_choices_and_gold)
{
	struct store *s = open_store("report");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t p, u1, u2;
	CHECK(store_project_create(s, "p", "", &p, &err) == 0);
	CHECK(store_user_create(s, "ann1", "", false, &u1, &err) == 0);
	CHECK(store_user_create(s, "ann2", "", false, &u2, &err) == 0);
	/* Three tasks with spans and a choice; the third is gold with a reference. */
	const char *b1[3] = {
		"{\"results\":[{\"id\":\"a\",\"control\":\"m\",\"label\":\"x\",\"start\":0,\"end\":5,\"text\":\"abcde\"},"
		"{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"m\",\"label\":\"x\",\"start\":2,\"end\":6,\"text\":\"cdef\"},"
		"{\"id\":\"b\",\"control\":\"m\",\"label\":\"y\",\"start\":8,\"end\":9,\"text\":\"i\"},"
		"{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"no\"]}]}",
		"{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}",
	};
	const char *b2[3] = {
		"{\"results\":[{\"id\":\"a\",\"control\":\"m\",\"label\":\"x\",\"start\":0,\"end\":5,\"text\":\"abcde\"},"
		"{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"m\",\"label\":\"x\",\"start\":3,\"end\":6,\"text\":\"def\"},"
		"{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}",
		"{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"no\"]}]}",
	};
	int64_t t[3];
	for (int i = 0; i < 3; i++) {
		CHECK((t[i] = add_task(s, p, "abcdefghij", 2)) > 0);
		CHECK(annotate(s, t[i], u1, "human", b1[i]) == 0);
		CHECK(annotate(s, t[i], u2, "human", b2[i]) == 0);
	}
	CHECK(store_task_set_gold(s, t[2], true, &err) == 0);
	CHECK(annotate(s, t[2], 0, "gold", "{\"results\":[{\"id\":\"g\",\"control\":\"r\",\"choices\":[\"yes\"]}]}") == 0);

	char *out;
	struct quality_report_options o = {0};
	CHECK(quality_report_json(s, p, &o, &out, &err) == 0);
	json_t *r = json_loads(out, 0, NULL);
	ml_free(out);
	CHECK(r != NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(r, "tasks"), "gold")), 1);
	json_t *controls = json_object_get(r, "controls"), *m = NULL, *rc = NULL;
	for (size_t i = 0; i < json_array_size(controls); i++) {
		json_t *c = json_array_get(controls, i);
		if (!strcmp(json_string_value(json_object_get(c, "control")), "m"))
			m = c;
		else
			rc = c;
	}
	CHECK(m && rc);
	/* Token F1 over both tasks: a = {0-5 x, 2-6 x, 8-9 y} = 5 + 4 + 1 = 10 positions, b = 5 + 3 = 8, both 5 + 3. */
	json_t *pair = json_array_get(json_object_get(m, "per_pair"), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "tasks")), 2);
	CHECK_NEAR(json_real_value(json_object_get(json_object_get(pair, "token"), "f1")), 2.0 * 8 / 18, 1e-12);
	/* Exact: task 1 matches 1 of 1/1, task 2 matches 0 of 2/1: P = 1/2, R = 1/3. */
	CHECK_NEAR(json_real_value(json_object_get(json_object_get(pair, "exact"), "precision")), 0.5, 1e-12);
	CHECK_NEAR(json_real_value(json_object_get(json_object_get(pair, "exact"), "recall")), 1.0 / 3, 1e-12);
	/* The choice control: Cohen's kappa on yes/yes, no/yes, yes/no. */
	uint32_t cell[] = {1, 1, 0, 1, 1, 0};
	const char *vals[] = {"no", "yes"};
	struct agree_table tb;
	CHECK(agree_table_from_codes(&tb, 3, 2, cell, 2, NULL, NULL, vals, &err) == 0);
	struct agree_result ar;
	CHECK(agree_compute(&tb, AGREE_ALPHA_NOMINAL, NULL, &ar, &err) == 0);
	json_t *alpha = json_object_get(json_object_get(rc, "overall"), "alpha-nominal");
	CHECK_NEAR(json_number_value(json_object_get(alpha, "value")), ar.value, 1e-12);
	agree_table_release(&tb);
	/* Gold accuracy: ann1 said yes (right), ann2 no (wrong). */
	json_t *gold = json_object_get(r, "gold_accuracy");
	CHECK_EQ_INT(json_array_size(gold), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *g = json_array_get(gold, i);
		double want = !strcmp(json_string_value(json_object_get(g, "annotator")), "ann1") ? 1 : 0;
		CHECK_NEAR(json_real_value(json_object_get(g, "accuracy")), want, 0);
	}
	json_decref(r);

	/* Qualification: with a threshold of 1 over 1 answer, ann1 is promoted, ann2 stays in training. */
	CHECK(store_project_set_settings(s, p, "{\"qualification_threshold\":1,\"qualification_min_answers\":1}", &err) == 0);
	struct store_project proj;
	CHECK(store_project_get(s, p, &proj, &err) == 0);
	struct store_annotator_quality q;
	CHECK(quality_evaluate_annotator(s, &proj, u1, 1000, &q, &err) == 0);
	CHECK_EQ_INT(q.state, STORE_QUAL_QUALIFIED);
	CHECK(quality_evaluate_annotator(s, &proj, u2, 1000, &q, &err) == 0);
	CHECK_EQ_INT(q.state, STORE_QUAL_TRAINING);
	CHECK(store_annotator_quality_get(s, p, u2, &q, &err) == 0);
	CHECK_EQ_INT(q.answers, 1);
	/* A trainee is served only gold tasks: a new user gets the gold task, and then nothing. */
	int64_t u3;
	CHECK(store_user_create(s, "ann3", "", false, &u3, &err) == 0);
	struct store_task got;
	CHECK(quality_lease_next(s, &proj, u3, 2000, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t[2]);
	CHECK(store_assignment_finish(s, got.id, u3, STORE_ASSIGN_SUBMITTED, 2001, &err) == 0);
	CHECK(quality_lease_next(s, &proj, u3, 2002, 60000, &got, &err) < 0);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	/* Suspended annotators get nothing at all. */
	struct store_annotator_quality sus = {p, u3, STORE_QUAL_SUSPENDED, 0, 0, 3000};
	CHECK(store_annotator_quality_set(s, &sus, &err) == 0);
	CHECK(quality_lease_next(s, &proj, u3, 3001, 60000, &got, &err) < 0);
	CHECK_EQ_INT(err.code, ML_EPERM);
	store_project_release(&proj);
	store_close(s);
}

TEST(task_agreement_of_bodies)
{
	const char *same[] = {"{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}",
			      "{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"yes\"]}]}",
			      "{\"results\":[{\"id\":\"c\",\"control\":\"r\",\"choices\":[\"no\"]}]}"};
	double a;
	struct ml_err err;
	CHECK(agree_bodies(same, 3, &a, &err) == 0);
	CHECK_NEAR(a, 1.0 / 3, 1e-12); /* one agreeing pair of three */
	CHECK(agree_bodies(same, 2, &a, &err) == 0);
	CHECK_NEAR(a, 1, 0);
	CHECK(agree_bodies(same, 1, &a, &err) == 0);
	CHECK(isnan(a));
	const char *bad[] = {"[]"};
	CHECK(agree_bodies(bad, 1, &a, &err) < 0);
	/* Masks: 4 x 6, rows 0-1 against rows 1-2 (Dice 0.5) and a spleen only the second drew (0): 0.25 for
	 * the pair; the third annotator did not mask, so only one pair counts. */
	const char *masks[] = {
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"rle\":{\"size\":[4,6],\"counts\":[0,12,12]}}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"rle\":{\"size\":[4,6],\"counts\":[6,12,6]}},"
		"{\"id\":\"b\",\"control\":\"seg\",\"label\":\"spleen\",\"rle\":{\"size\":[4,6],\"counts\":[23,1]}}]}",
		"{\"results\":[]}"};
	CHECK(agree_bodies(masks, 3, &a, &err) == 0);
	CHECK_NEAR(a, 0.25, 1e-12);
	CHECK(agree_bodies(masks, 1, &a, &err) == 0);
	CHECK(isnan(a));
	/* A span control whose spans are all malformed (empty) compares nothing (found by fuzz_quality_body:
	 * pointer arithmetic on no spans at all). */
	const char *empty_spans[] = {"{\"results\":[{\"id\":\"a\",\"control\":\"m\",\"label\":\"x\",\"start\":5,\"end\":5}]}",
				     "{\"results\":[{\"id\":\"a\",\"control\":\"m\",\"label\":\"x\",\"start\":7,\"end\":7}]}"};
	CHECK(agree_bodies(empty_spans, 2, &a, &err) == 0);
	CHECK_NEAR(a, 1, 0); /* both marked nothing: token F1 1 */
	const char *badmask[] = {"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"x\",\"rle\":{\"size\":[2,2],\"counts\":[1]}}]}"};
	CHECK(agree_bodies(badmask, 1, &a, &err) < 0);
	CHECK(strstr(err.msg, "annotation 0") != NULL);
}

TEST(report_boxes_matched_per_pair)
{
	struct store *s = open_store("boxes");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t p, u1, u2;
	CHECK(store_project_create(s, "b", "", &p, &err) == 0);
	CHECK(store_user_create(s, "r1", "", false, &u1, &err) == 0);
	CHECK(store_user_create(s, "r2", "", false, &u2, &err) == 0);
	int64_t t1 = add_task(s, p, "img", 2), t2 = add_task(s, p, "img", 2);
	CHECK(t1 > 0 && t2 > 0);
	/* Task 1: one nodule each, IoU 81/119; a second box of r1 with another label unmatched.
	 * Task 2: r1's box on frame 3, r2's same box on frame 4: no match. */
	CHECK(annotate(s, t1, u1, "human",
		       "{\"results\":[{\"id\":\"a\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":20,\"y\":20,\"w\":10,\"h\":10},"
		       "{\"id\":\"b\",\"control\":\"lesion\",\"label\":\"mass\",\"x\":0,\"y\":0,\"w\":5,\"h\":5}]}") == 0);
	CHECK(annotate(s, t1, u2, "human",
		       "{\"results\":[{\"id\":\"a\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":21,\"y\":21,\"w\":10,\"h\":10},"
		       "{\"id\":\"b\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":0,\"y\":0,\"w\":5,\"h\":5}]}") == 0);
	CHECK(annotate(s, t2, u1, "human",
		       "{\"results\":[{\"id\":\"a\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":1,\"y\":1,\"w\":4,\"h\":4,\"frame\":3}]}") == 0);
	CHECK(annotate(s, t2, u2, "human",
		       "{\"results\":[{\"id\":\"a\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":1,\"y\":1,\"w\":4,\"h\":4,\"frame\":4}]}") == 0);
	char *out;
	CHECK(quality_report_json(s, p, NULL, &out, &err) == 0);
	json_t *r = json_loads(out, 0, NULL);
	ml_free(out);
	json_t *c = json_array_get(json_object_get(r, "controls"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(c, "kind")), "box");
	json_t *pair = json_array_get(json_object_get(c, "per_pair"), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "tasks")), 2);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "matched")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "boxes_a")), 3);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "boxes_b")), 3);
	CHECK_NEAR(json_real_value(json_object_get(pair, "f1")), 2.0 / 6, 1e-12);
	CHECK_NEAR(json_real_value(json_object_get(pair, "mean_iou")), 81.0 / 119, 1e-12);
	json_decref(r);
	store_close(s);
}

TEST(report_masks_dice_and_hd95_per_pair)
{
	struct store *s = open_store("report_masks");
	CHECK(s != NULL);
	struct ml_err err;
	int64_t p, u1, u2;
	CHECK(store_project_create(s, "p", "", &p, &err) == 0);
	CHECK(store_user_create(s, "ann1", "", false, &u1, &err) == 0);
	CHECK(store_user_create(s, "ann2", "", false, &u2, &err) == 0);
	int64_t t = add_task(s, p, "image", 2);
	CHECK(t > 0);
	/* 4 x 6: ann1 liver rows 0-1; ann2 liver rows 1-2 and a spleen pixel ann1 did not draw. */
	CHECK(annotate(s, t, u1, "human",
		       "{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"rle\":{\"size\":[4,6],\"counts\":[0,12,12]}}]}") == 0);
	CHECK(annotate(s, t, u2, "human",
		       "{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"rle\":{\"size\":[4,6],\"counts\":[6,12,6]}},"
		       "{\"id\":\"b\",\"control\":\"seg\",\"label\":\"spleen\",\"rle\":{\"size\":[4,6],\"counts\":[23,1]}}]}") == 0);
	char *out;
	struct quality_report_options o = {0};
	CHECK(quality_report_json(s, p, &o, &out, &err) == 0);
	json_t *r = json_loads(out, 0, NULL);
	ml_free(out);
	json_t *c = json_array_get(json_object_get(r, "controls"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(c, "kind")), "mask");
	json_t *pair = json_array_get(json_object_get(c, "per_pair"), 0);
	CHECK(pair != NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "tasks")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "masks")), 2);
	/* liver: |A & B| = 6 of 12 + 12: Dice 0.5; spleen drawn by one only: 0. */
	CHECK_NEAR(json_real_value(json_object_get(pair, "mean_dice")), 0.25, 1e-12);
	uint8_t a[24], b[24];
	for (int i = 0; i < 24; i++) {
		a[i] = i / 6 < 2;
		b[i] = i / 6 >= 1 && i / 6 < 3;
	}
	struct agree_mask ma = {a, 6, 4, 1, 1, 1, 1}, mb = {b, 6, 4, 1, 1, 1, 1};
	struct agree_surface_distance sd;
	CHECK(agree_surface_distances(&ma, &mb, &sd, &err) == 0);
	CHECK(sd.hd95 > 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(pair, "hd95_masks")), 1);
	CHECK_NEAR(json_real_value(json_object_get(pair, "mean_hd95")), sd.hd95, 1e-12);
	json_decref(r);
	store_close(s);
}
