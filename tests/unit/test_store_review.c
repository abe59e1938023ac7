/* test_store_review.c: a rejected submission goes back to its annotator and keeps its slot.
 * test_store_review_pg.c runs the same cases on PostgreSQL. */
#include "harness.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static struct store *open_fresh(const char *name)
{
	char path[1024];
#ifdef STORE_TEST_PG
	if (!test_pg_url(name, path, sizeof path))
		return NULL;
#else
	snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
#endif
	struct store *s = NULL;
	struct ml_err err;
	if (store_open(path, &s, &err))
		fprintf(stderr, "store_open: %s\n", err.msg);
	return s;
}

TEST(rejected_work_returns_to_its_annotator_first)
{
	struct store *s = open_fresh("returned");
	CHECK(s);
	struct ml_err err;
	int64_t pid, ann, other, t1, t2;
	CHECK(store_project_create(s, "p", "", &pid, &err) == 0);
	CHECK(store_user_create(s, "ann", "", false, &ann, &err) == 0);
	CHECK(store_user_create(s, "other", "", false, &other, &err) == 0);
	struct store_item it = {.project_id = pid, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER,
				.patient_key = "", .meta_json = "{}", .text = "a", .external_ref = "",
				.visible = true /* hidden items (awaiting de-identification) are never leased */};
	CHECK(store_item_add(s, &it, 1, NULL, &t1, &err) == 0);
	it.text = "b";
	CHECK(store_item_add(s, &it, 1, NULL, &t2, &err) == 0);

	struct store_task t;
	int64_t now = 1000000;
	CHECK(store_task_lease_next(s, pid, ann, now, 60000, &t, &err) == 0);
	CHECK_EQ_INT(t.id, t1);
	CHECK(store_assignment_finish(s, t1, ann, STORE_ASSIGN_SUBMITTED, now + 1, &err) == 0);
	CHECK(store_task_get(s, t1, &t, &err) == 0);
	CHECK_EQ_INT(t.state, STORE_TASK_SUBMITTED);

	/* The annotator moves on to the second task; then the first is rejected. */
	CHECK(store_task_lease_next(s, pid, ann, now + 2, 60000, &t, &err) == 0);
	CHECK_EQ_INT(t.id, t2);
	CHECK(store_assignment_return(s, t1, ann, now + 3, &err) == 0);
	CHECK(store_task_get(s, t1, &t, &err) == 0);
	CHECK_EQ_INT(t.state, STORE_TASK_IN_PROGRESS);
	CHECK_EQ_INT(t.submitted, 0);

	/* Long after any lease would have expired, the slot is still the annotator's, and first in their queue. */
	int64_t later = now + 3600000;
	CHECK(store_task_lease_next(s, pid, other, later, 60000, &t, &err) == 0);
	CHECK_EQ_INT(t.id, t2); /* t2's lease expired, so it may go to someone else; t1 may not */
	CHECK(store_task_lease_next(s, pid, ann, later, 60000, &t, &err) == 0);
	CHECK_EQ_INT(t.id, t1);
	CHECK(store_assignment_finish(s, t1, ann, STORE_ASSIGN_SUBMITTED, later + 1, &err) == 0);
	CHECK(store_task_get(s, t1, &t, &err) == 0);
	CHECK_EQ_INT(t.state, STORE_TASK_SUBMITTED);
	CHECK_EQ_INT(t.submitted, 1);
	CHECK(store_assignment_return(s, t2, 999, later, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	store_close(s);
}
