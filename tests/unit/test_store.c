/* test_store.c: every function of the store interface against the SQLite backend, one database per case.
 * test_store_pg.c includes this file with STORE_TEST_PG defined to run the same cases against the
 * PostgreSQL backend (a throwaway cluster per run); cases about SQLite files only are left out there. */
#include "harness.h"
#include "store/store.h"
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static struct store *fresh(const char *name)
{
	char path[1024];
#ifdef STORE_TEST_PG
	if (!test_pg_url(name, path, sizeof path))
		return NULL;
#else
	snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
	remove(path);
#endif
	struct store *s = NULL;
	struct ml_err err = {0};
	if (store_open(path, &s, &err)) {
		fprintf(stdout, "# open %s: %s\n", path, err.msg);
		return NULL;
	}
	return s;
}

static int64_t add_text_item(struct store *s, int64_t project, const char *text, const char *patient, int overlap,
			     int64_t *task)
{
	struct store_item it = {.project_id = project, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
				.patient_key = (char *)patient, .meta_json = (char *)"{\"k\":1}", .text = (char *)text,
				.visible = true};
	int64_t id = 0;
	struct ml_err err;
	if (store_item_add(s, &it, overlap, &id, task, &err))
		return 0;
	return id;
}

static int count_cb(void *ctx, const void *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}
#define COUNTER(type) ((int (*)(void *, const type *))count_cb)

TEST(open_records_latest_version)
{
	struct store *s = fresh("version");
	CHECK(s);
	CHECK_EQ_INT(store_db_version(s), store_schema_version());
	CHECK(store_schema_version() >= 2);
	store_close(s);
}

TEST(settings_round_trip)
{
	struct store *s = fresh("settings");
	struct ml_err err;
	char *v = NULL;
	CHECK(store_setting_get(s, "secret", &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(store_setting_set(s, "secret", "abc", &err) == 0);
	CHECK(store_setting_set(s, "secret", "def", &err) == 0);
	CHECK(store_setting_get(s, "secret", &v, &err) == 0);
	CHECK_EQ_STR(v, "def");
	ml_free(v);
	store_close(s);
}

TEST(users_create_find_update)
{
	struct store *s = fresh("users");
	struct ml_err err;
	int64_t a, b;
	CHECK(store_user_create(s, "alice", "hash1", true, &a, &err) == 0);
	CHECK(store_user_create(s, "bob", NULL, false, &b, &err) == 0);
	CHECK(store_user_create(s, "alice", "x", false, NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EEXIST);
	struct store_user u;
	CHECK(store_user_get(s, a, &u, &err) == 0);
	CHECK_EQ_STR(u.name, "alice");
	CHECK_EQ_STR(u.password_hash, "hash1");
	CHECK(u.admin && !u.disabled && u.created_at > 0);
	store_user_release(&u);
	CHECK(store_user_by_name(s, "bob", &u, &err) == 0);
	CHECK_EQ_INT(u.id, b);
	CHECK_EQ_STR(u.password_hash, "");
	store_user_release(&u);
	CHECK(store_user_by_name(s, "carol", &u, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(store_user_set_password(s, b, "hash2", &err) == 0);
	CHECK(store_user_set_admin(s, b, true, &err) == 0);
	CHECK(store_user_get(s, b, &u, &err) == 0);
	CHECK_EQ_STR(u.password_hash, "hash2");
	CHECK(u.admin);
	store_user_release(&u);
	CHECK(store_user_set_password(s, 999, "x", &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	int n = 0;
	CHECK(store_user_list(s, COUNTER(struct store_user), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	store_close(s);
}

TEST(disabling_a_user_ends_sessions_and_tokens)
{
	struct store *s = fresh("disable");
	struct ml_err err;
	int64_t u, tok;
	CHECK(store_user_create(s, "alice", "h", false, &u, &err) == 0);
	struct store_session se = {.user_id = u, .created_at = 10, .expires_at = 1000};
	strcpy(se.token_hash, "aa");
	strcpy(se.csrf, "cc");
	CHECK(store_session_create(s, &se, NULL, &err) == 0);
	CHECK(store_token_create(s, u, "ci", "tt", &tok, &err) == 0);
	CHECK(store_user_set_disabled(s, u, true, &err) == 0);
	struct store_session got;
	CHECK(store_session_get(s, "aa", &got, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	struct store_token t;
	CHECK(store_token_by_hash(s, "tt", &t, &err) == 0);
	CHECK(t.revoked);
	store_token_release(&t);
	struct store_user uu;
	CHECK(store_user_get(s, u, &uu, &err) == 0);
	CHECK(uu.disabled);
	store_user_release(&uu);
	store_close(s);
}

TEST(sessions_and_tokens)
{
	struct store *s = fresh("sessions");
	struct ml_err err;
	int64_t u;
	CHECK(store_user_create(s, "alice", "h", false, &u, &err) == 0);
	struct store_session a = {.user_id = u, .created_at = 10, .expires_at = 100}, b = a;
	strcpy(a.token_hash, "h1");
	strcpy(a.csrf, "c1");
	strcpy(b.token_hash, "h2");
	strcpy(b.csrf, "c2");
	b.expires_at = 500;
	CHECK(store_session_create(s, &a, NULL, &err) == 0);
	CHECK(store_session_create(s, &b, NULL, &err) == 0);
	struct store_session got;
	CHECK(store_session_get(s, "h1", &got, &err) == 0);
	CHECK_EQ_STR(got.csrf, "c1");
	CHECK_EQ_INT(got.expires_at, 100);
	CHECK(store_session_delete_expired(s, 200, &err) == 0);
	CHECK(store_session_get(s, "h1", &got, &err) == -1);
	CHECK(store_session_get(s, "h2", &got, &err) == 0);
	CHECK(store_session_delete(s, "h2", &err) == 0);
	CHECK(store_session_delete(s, "h2", &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	/* a new password: every session of the user but the one kept, no one else's */
	int64_t v;
	CHECK(store_user_create(s, "bob", "h", false, &v, &err) == 0);
	struct store_session c = {.user_id = u, .created_at = 10, .expires_at = 900}, d = c, o = c;
	strcpy(c.token_hash, "h3");
	strcpy(d.token_hash, "h4");
	o.user_id = v;
	strcpy(o.token_hash, "h5");
	CHECK(store_session_create(s, &c, NULL, &err) == 0);
	CHECK(store_session_create(s, &d, NULL, &err) == 0);
	CHECK(store_session_create(s, &o, NULL, &err) == 0);
	CHECK(store_session_delete_user(s, u, "h4", &err) == 0);
	CHECK(store_session_get(s, "h3", &got, &err) == -1);
	CHECK(store_session_get(s, "h4", &got, &err) == 0);
	CHECK(store_session_get(s, "h5", &got, &err) == 0);
	CHECK(store_session_delete_user(s, u, NULL, &err) == 0);
	CHECK(store_session_get(s, "h4", &got, &err) == -1);
	CHECK(store_session_get(s, "h5", &got, &err) == 0);

	int64_t t1, t2;
	CHECK(store_token_create(s, u, "one", "th1", &t1, &err) == 0);
	CHECK(store_token_create(s, u, "two", "th2", &t2, &err) == 0);
	CHECK(store_token_create(s, u, "dup", "th2", NULL, &err) == -1);
	CHECK(store_token_touch(s, t1, 777, &err) == 0);
	CHECK(store_token_revoke(s, t2, &err) == 0);
	struct store_token t;
	CHECK(store_token_by_hash(s, "th1", &t, &err) == 0);
	CHECK_EQ_INT(t.last_used_at, 777);
	CHECK_EQ_STR(t.name, "one");
	CHECK(!t.revoked);
	store_token_release(&t);
	int n = 0;
	CHECK(store_token_list(s, u, COUNTER(struct store_token), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	CHECK(store_token_revoke(s, 12345, &err) == -1);
	store_close(s);
}

TEST(login_failures_count_and_clear)
{
	struct store *s = fresh("logins");
	struct ml_err err;
	for (int i = 0; i < 5; i++)
		CHECK(store_login_failure_add(s, "user:alice", 100 + i * 10, &err) == 0);
	CHECK(store_login_failure_add(s, "addr:1.2.3.4", 100, &err) == 0);
	int64_t n;
	CHECK(store_login_failure_count(s, "user:alice", 120, &n, &err) == 0);
	CHECK_EQ_INT(n, 3);
	CHECK(store_login_failure_clear(s, "user:alice", &err) == 0);
	CHECK(store_login_failure_count(s, "user:alice", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 0);
	CHECK(store_login_failure_count(s, "addr:1.2.3.4", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	store_close(s);
}

TEST(projects_members_schemas)
{
	struct store *s = fresh("projects");
	struct ml_err err;
	int64_t p, p2, u;
	CHECK(store_project_create(s, "notes", "discharge notes", &p, &err) == 0);
	CHECK(store_project_create(s, "42", NULL, &p2, &err) == 0);
	CHECK(store_project_create(s, "notes", "", NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EEXIST);
	struct store_project pr;
	CHECK(store_project_find(s, "notes", &pr, &err) == 0);
	CHECK_EQ_INT(pr.id, p);
	CHECK_EQ_STR(pr.description, "discharge notes");
	CHECK_EQ_STR(pr.settings_json, "{}");
	CHECK_EQ_INT(pr.schema_version, 0);
	store_project_release(&pr);
	char idstr[32];
	snprintf(idstr, sizeof idstr, "%lld", (long long)p2);
	CHECK(store_project_find(s, idstr, &pr, &err) == 0);
	CHECK_EQ_STR(pr.name, "42");
	store_project_release(&pr);
	CHECK(store_project_find(s, "42", &pr, &err) == 0); /* no project 42 by id: found by name */
	CHECK_EQ_INT(pr.id, p2);
	store_project_release(&pr);
	CHECK(store_project_find(s, "nope", &pr, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(store_project_set_settings(s, p, "{\"overlap\":3}", &err) == 0);
	CHECK(store_project_get(s, p, &pr, &err) == 0);
	CHECK_EQ_STR(pr.settings_json, "{\"overlap\":3}");
	store_project_release(&pr);
	int n = 0;
	CHECK(store_project_list(s, COUNTER(struct store_project), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);

	CHECK(store_user_create(s, "alice", "h", false, &u, &err) == 0);
	enum store_role role;
	CHECK(store_member_role(s, p, u, &role, &err) == 0);
	CHECK_EQ_INT(role, STORE_ROLE_NONE);
	CHECK(store_member_set(s, p, u, STORE_ROLE_ANNOTATOR, &err) == 0);
	CHECK(store_member_set(s, p, u, STORE_ROLE_REVIEWER, &err) == 0);
	CHECK(store_member_role(s, p, u, &role, &err) == 0);
	CHECK_EQ_INT(role, STORE_ROLE_REVIEWER);
	n = 0;
	CHECK(store_member_list(s, p, COUNTER(struct store_member), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	CHECK(store_member_set(s, p, 999, STORE_ROLE_VIEWER, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(store_member_remove(s, p, u, &err) == 0);
	CHECK(store_member_remove(s, p, u, &err) == -1);
	CHECK_EQ_STR(store_role_name(STORE_ROLE_MANAGER), "manager");
	CHECK_EQ_INT(store_role_parse("annotator"), STORE_ROLE_ANNOTATOR);
	CHECK_EQ_INT(store_role_parse("boss"), STORE_ROLE_NONE);

	int v;
	char *json;
	CHECK(store_schema_get(s, p, 0, &json, &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(store_schema_add(s, p, "{\"v\":1}", u, &v, &err) == 0);
	CHECK_EQ_INT(v, 1);
	CHECK(store_schema_add(s, p, "{\"v\":2}", 0, &v, &err) == 0);
	CHECK_EQ_INT(v, 2);
	CHECK(store_schema_get(s, p, 0, &json, &v, &err) == 0);
	CHECK_EQ_STR(json, "{\"v\":2}");
	CHECK_EQ_INT(v, 2);
	ml_free(json);
	CHECK(store_schema_get(s, p, 1, &json, &v, &err) == 0);
	CHECK_EQ_STR(json, "{\"v\":1}");
	ml_free(json);
	CHECK(store_schema_get(s, p, 3, &json, &v, &err) == -1);
	CHECK(store_schema_add(s, 999, "{}", 0, &v, &err) == -1);
	CHECK(store_project_get(s, p, &pr, &err) == 0);
	CHECK_EQ_INT(pr.schema_version, 2);
	store_project_release(&pr);
	store_close(s);
}

TEST(items_and_tasks)
{
	struct store *s = fresh("items");
	struct ml_err err;
	int64_t p, task;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	int64_t a = add_text_item(s, p, "Pt seen 3/4 — ok 😀", "pat-1", 2, &task);
	CHECK(a > 0 && task > 0);
	int64_t b = add_text_item(s, p, "second", "", 1, NULL);
	CHECK(b > a);
	struct store_item it;
	CHECK(store_item_get(s, a, &it, &err) == 0);
	CHECK_EQ_STR(it.text, "Pt seen 3/4 — ok 😀");
	CHECK_EQ_STR(it.patient_key, "pat-1");
	CHECK_EQ_STR(it.meta_json, "{\"k\":1}");
	CHECK_EQ_INT(strlen(it.content_hash), 64);
	CHECK(it.media_hash == NULL && it.visible && it.modality == STORE_MOD_TEXT && it.source == STORE_SRC_EHR);
	char expect[65];
	store_hash_hex(it.text, strlen(it.text), expect);
	CHECK_EQ_STR(it.content_hash, expect);
	store_item_release(&it);

	CHECK(store_item_set_text(s, a, "[NAME] seen", NULL, &err) == 0);
	CHECK(store_item_set_visible(s, a, false, &err) == 0);
	CHECK(store_item_get(s, a, &it, &err) == 0);
	CHECK_EQ_STR(it.text, "[NAME] seen");
	CHECK(!it.visible);
	CHECK(strcmp(it.content_hash, expect) != 0);
	store_item_release(&it);
	CHECK(store_item_set_text(s, 999, "x", NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);

	struct store_item bad = {.project_id = p, .modality = 99, .source = STORE_SRC_EHR, .text = (char *)"x"};
	CHECK(store_item_add(s, &bad, 1, NULL, NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EINVAL);
	bad.modality = STORE_MOD_TEXT;
	bad.project_id = 999;
	CHECK(store_item_add(s, &bad, 1, NULL, NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	struct store_item media = {.project_id = p, .modality = STORE_MOD_IMAGE, .source = STORE_SRC_IMAGING,
				   .media_hash = (char *)"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				   .media_type = (char *)"image/png", .visible = true};
	int64_t m;
	CHECK(store_item_add(s, &media, 1, &m, NULL, &err) == 0);
	CHECK(store_item_get(s, m, &it, &err) == 0);
	CHECK(it.text == NULL);
	CHECK_EQ_STR(it.media_type, "image/png");
	CHECK_EQ_STR(it.content_hash, media.media_hash);
	store_item_release(&it);

	int n = 0;
	CHECK(store_item_list(s, p, a, COUNTER(struct store_item), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);

	struct store_task t;
	CHECK(store_task_get(s, task, &t, &err) == 0);
	CHECK_EQ_INT(t.item_id, a);
	CHECK_EQ_INT(t.overlap, 2);
	CHECK_EQ_INT(t.state, STORE_TASK_OPEN);
	CHECK(store_task_set_state(s, task, STORE_TASK_DONE, &err) == 0);
	CHECK(store_task_set_overlap(s, task, 3, &err) == 0);
	CHECK(store_task_set_overlap(s, task, 0, &err) == -1);
	CHECK(store_task_set_gold(s, task, true, &err) == 0);
	CHECK(store_task_set_priority(s, task, 0.75, &err) == 0);
	CHECK(store_task_get(s, task, &t, &err) == 0);
	CHECK_EQ_INT(t.state, STORE_TASK_DONE);
	CHECK_EQ_INT(t.overlap, 3);
	CHECK(t.gold);
	CHECK_NEAR(t.priority, 0.75, 1e-12);
	CHECK(store_task_set_state(s, 999, STORE_TASK_DONE, &err) == -1);
	struct store_task_filter f = {.project_id = p, .state = -1};
	n = 0;
	CHECK(store_task_list(s, &f, COUNTER(struct store_task), &n, &err) == 0);
	CHECK_EQ_INT(n, 3);
	f.state = STORE_TASK_DONE;
	n = 0;
	CHECK(store_task_list(s, &f, COUNTER(struct store_task), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	f.state = -1;
	f.limit = 2;
	n = 0;
	CHECK(store_task_list(s, &f, COUNTER(struct store_task), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(store_task_state_name(STORE_TASK_ADJUDICATION), "adjudication");
	CHECK_EQ_INT(store_task_state_parse("in-review"), STORE_TASK_IN_REVIEW);
	CHECK_EQ_INT(store_task_state_parse("bogus"), -1);
	CHECK_EQ_STR(store_modality_name(STORE_MOD_DICOM_SERIES), "dicom-series");
	CHECK_EQ_INT(store_modality_parse("volume"), STORE_MOD_VOLUME);
	CHECK_EQ_INT(store_source_parse("survey"), STORE_SRC_SURVEY);
	CHECK_EQ_INT(store_source_parse("x"), 0);

	struct store_project_counts c;
	CHECK(store_project_counts(s, p, &c, &err) == 0);
	CHECK_EQ_INT(c.items, 3);
	CHECK_EQ_INT(c.tasks_by_state[STORE_TASK_OPEN], 2);
	CHECK_EQ_INT(c.tasks_by_state[STORE_TASK_DONE], 1);
	store_close(s);
}

TEST(lease_respects_overlap_and_users)
{
	struct store *s = fresh("lease");
	struct ml_err err;
	int64_t p, u1, u2, u3, t1, t2;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	CHECK(store_user_create(s, "a", "", false, &u1, &err) == 0);
	CHECK(store_user_create(s, "b", "", false, &u2, &err) == 0);
	CHECK(store_user_create(s, "c", "", false, &u3, &err) == 0);
	CHECK(add_text_item(s, p, "one", "", 2, &t1) > 0);
	CHECK(add_text_item(s, p, "two", "", 1, &t2) > 0);
	CHECK(store_task_set_priority(s, t2, 1.0, &err) == 0); /* t2 first */
	struct store_task got;
	CHECK(store_task_lease_next(s, p, u1, 1000, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t2);
	CHECK_EQ_INT(got.state, STORE_TASK_IN_PROGRESS);
	CHECK(store_task_lease_next(s, p, u1, 1001, 60000, &got, &err) == 0); /* own lease first */
	CHECK_EQ_INT(got.id, t2);
	CHECK(store_task_lease_next(s, p, u2, 1002, 60000, &got, &err) == 0); /* t2 full: t1 */
	CHECK_EQ_INT(got.id, t1);
	CHECK(store_task_lease_next(s, p, u3, 1003, 60000, &got, &err) == 0); /* second slot of t1 */
	CHECK_EQ_INT(got.id, t1);
	int64_t u4;
	CHECK(store_user_create(s, "d", "", false, &u4, &err) == 0);
	CHECK(store_task_lease_next(s, p, u4, 1004, 60000, &got, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	/* After u1's lease expires, u4 gets t2. */
	CHECK(store_task_lease_next(s, p, u4, 70000, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t2);
	struct store_assignment as;
	CHECK(store_assignment_get(s, t2, u4, &as, &err) == 0);
	CHECK_EQ_INT(as.state, STORE_ASSIGN_LEASED);
	CHECK_EQ_INT(as.lease_expires_at, 130000);
	CHECK(store_assignment_finish(s, t2, u4, STORE_ASSIGN_SUBMITTED, 70500, &err) == 0);
	struct store_task t;
	CHECK(store_task_get(s, t2, &t, &err) == 0);
	CHECK_EQ_INT(t.submitted, 1);
	CHECK_EQ_INT(t.state, STORE_TASK_SUBMITTED);
	/* t1: u2 submits, u3 releases: one of two slots done, the task stays in progress. */
	CHECK(store_assignment_finish(s, t1, u2, STORE_ASSIGN_SUBMITTED, 2000, &err) == 0);
	CHECK(store_assignment_finish(s, t1, u3, STORE_ASSIGN_RELEASED, 2001, &err) == 0);
	CHECK(store_task_get(s, t1, &t, &err) == 0);
	CHECK_EQ_INT(t.submitted, 1);
	CHECK_EQ_INT(t.state, STORE_TASK_IN_PROGRESS);
	/* u2 already submitted t1: never a second slot of it. */
	CHECK(store_task_lease_next(s, p, u2, 2002, 60000, &got, &err) == -1);
	CHECK(store_task_lease_next(s, p, u3, 2003, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t1);
	CHECK(store_assignment_finish(s, t1, u3, STORE_ASSIGN_SUBMITTED, 2004, &err) == 0);
	CHECK(store_task_get(s, t1, &t, &err) == 0);
	CHECK_EQ_INT(t.submitted, 2);
	CHECK_EQ_INT(t.state, STORE_TASK_SUBMITTED);
	CHECK(store_assignment_finish(s, t1, 999, STORE_ASSIGN_SUBMITTED, 1, &err) == -1);
	CHECK(store_assignment_finish(s, t1, u3, STORE_ASSIGN_LEASED, 1, &err) == -1);
	CHECK(store_task_lease_next(s, p, u1, 1, 0, &got, &err) == -1);
	struct store_task_filter f = {.project_id = p, .state = -1, .assignee_id = u3};
	int n = 0;
	CHECK(store_task_list(s, &f, COUNTER(struct store_task), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	store_close(s);
}

/* tasks.full_until (migration 5) lets the queue index skip fully leased tasks; every way a slot frees up
 * must make the task leasable again at once: a skip, an overlap raised, a state change, the lease's expiry. */
TEST(lease_full_hint_never_hides_a_free_slot)
{
	struct store *s = fresh("lease_hint");
	struct ml_err err;
	int64_t p, u[5], t1;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof name, "u%d", i);
		CHECK(store_user_create(s, name, "", false, &u[i], &err) == 0);
	}
	CHECK(add_text_item(s, p, "one", "", 1, &t1) > 0);
	struct store_task got;
	CHECK(store_task_lease_next(s, p, u[0], 1000, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t1);
	CHECK(store_task_lease_next(s, p, u[1], 1001, 60000, &got, &err) == -1); /* full */
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	/* a skip frees the slot */
	CHECK(store_assignment_finish(s, t1, u[0], STORE_ASSIGN_SKIPPED, 1002, &err) == 0);
	CHECK(store_task_lease_next(s, p, u[1], 1003, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t1);
	CHECK(store_task_lease_next(s, p, u[2], 1004, 60000, &got, &err) == -1);
	/* a second slot */
	CHECK(store_task_set_overlap(s, t1, 2, &err) == 0);
	CHECK(store_task_lease_next(s, p, u[2], 1005, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t1);
	CHECK(store_task_lease_next(s, p, u[3], 1006, 60000, &got, &err) == -1);
	/* the earlier of the two leases (u1's, until 61003) expires: its slot is free, not before */
	CHECK(store_task_lease_next(s, p, u[3], 61002, 60000, &got, &err) == -1);
	CHECK(store_task_lease_next(s, p, u[3], 61003, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t1);
	/* a release, then a state change back to the queue */
	CHECK(store_task_lease_next(s, p, u[4], 61004, 60000, &got, &err) == -1);
	CHECK(store_assignment_finish(s, t1, u[3], STORE_ASSIGN_RELEASED, 61005, &err) == 0);
	CHECK(store_task_lease_next(s, p, u[4], 61006, 60000, &got, &err) == 0);
	CHECK_EQ_INT(got.id, t1);
	store_close(s);
}

TEST(annotation_versions_and_conflicts)
{
	struct store *s = fresh("annotations");
	struct ml_err err;
	int64_t p, u, u2, task;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	CHECK(store_user_create(s, "a", "", false, &u, &err) == 0);
	CHECK(store_user_create(s, "b", "", false, &u2, &err) == 0);
	int64_t item = add_text_item(s, p, "text", "", 1, &task);
	struct store_annotation in = {.task_id = task, .user_id = u, .schema_version = 1, .body_json = (char *)"{\"l\":1}",
				      .seconds_spent = 12.5, .kind = (char *)"human"};
	int64_t a;
	CHECK(store_annotation_create(s, &in, &a, &err) == 0);
	int v;
	CHECK(store_annotation_update(s, a, 1, "{\"l\":2}", 2, u2, 3.0, true, &v, &err) == 0);
	CHECK_EQ_INT(v, 2);
	/* A second editor who also read version 1 loses. */
	CHECK(store_annotation_update(s, a, 1, "{\"l\":3}", 2, u, 1.0, false, &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ECONFLICT);
	CHECK(store_annotation_update(s, 999, 1, "{}", 1, u, 0, false, &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	struct store_annotation got;
	CHECK(store_annotation_get(s, a, 0, &got, &err) == 0);
	CHECK_EQ_INT(got.version, 2);
	CHECK_EQ_STR(got.body_json, "{\"l\":2}");
	CHECK_EQ_INT(got.schema_version, 2);
	CHECK_EQ_INT(got.user_id, u);
	CHECK_EQ_INT(got.author_id, u2);
	CHECK_EQ_INT(got.item_id, item);
	CHECK(got.validated);
	CHECK_EQ_STR(got.kind, "human");
	store_annotation_release(&got);
	CHECK(store_annotation_get(s, a, 1, &got, &err) == 0);
	CHECK_EQ_STR(got.body_json, "{\"l\":1}");
	CHECK_NEAR(got.seconds_spent, 12.5, 1e-9);
	CHECK(!got.validated);
	store_annotation_release(&got);
	CHECK(store_annotation_get(s, a, 7, &got, &err) == -1);

	struct store_annotation model = {.task_id = task, .model = (char *)"ner", .model_version = (char *)"1.2",
					 .schema_version = 2, .body_json = (char *)"{}"};
	int64_t m;
	CHECK(store_annotation_create(s, &model, &m, &err) == 0);
	CHECK(store_annotation_get(s, m, 0, &got, &err) == 0);
	CHECK_EQ_STR(got.kind, "model");
	CHECK_EQ_STR(got.model_version, "1.2");
	CHECK_EQ_INT(got.user_id, 0);
	store_annotation_release(&got);
	struct store_annotation nobody = {.task_id = task, .body_json = (char *)"{}"};
	CHECK(store_annotation_create(s, &nobody, NULL, &err) == -1);

	int n = 0;
	CHECK(store_annotation_list(s, task, 0, COUNTER(struct store_annotation), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	n = 0;
	CHECK(store_annotation_list(s, task, u, COUNTER(struct store_annotation), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	n = 0;
	CHECK(store_annotation_history(s, a, COUNTER(struct store_annotation), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	n = 0;
	CHECK(store_annotation_list_project(s, p, COUNTER(struct store_annotation), &n, &err) == 0);
	CHECK_EQ_INT(n, 2);

	struct store_prediction pr = {.task_id = task, .model = (char *)"m", .body_json = (char *)"{\"x\":1}", .score = 0.4};
	CHECK(store_prediction_add(s, &pr, NULL, &err) == 0);
	n = 0;
	CHECK(store_prediction_list(s, task, COUNTER(struct store_prediction), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	struct store_review rv = {.annotation_id = a, .annotation_version = 2, .reviewer_id = u2,
				  .decision = STORE_REVIEW_REJECT, .comment = (char *)"span too long"};
	CHECK(store_review_add(s, &rv, NULL, &err) == 0);
	rv.annotation_version = 5;
	CHECK(store_review_add(s, &rv, NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	n = 0;
	CHECK(store_review_list(s, a, COUNTER(struct store_review), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	CHECK(store_comment_add(s, task, u, "is this a date?", NULL, &err) == 0);
	CHECK(store_comment_add(s, 999, u, "x", NULL, &err) == -1);
	n = 0;
	CHECK(store_comment_list(s, task, COUNTER(struct store_comment), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	struct store_project_counts c;
	CHECK(store_project_counts(s, p, &c, &err) == 0);
	CHECK_EQ_INT(c.annotations, 2);
	store_close(s);
}

static void test_chain(void *ctx, struct store_audit *r)
{
	(void)ctx;
	char prev[16];
	memcpy(prev, r->prev_hash, sizeof prev - 1);
	prev[sizeof prev - 1] = 0;
	snprintf(r->hash, sizeof r->hash, "h%lld<%s", (long long)r->seq, prev);
}

static int audit_collect(void *ctx, const struct store_audit *a)
{
	int64_t *seqs = ctx;
	seqs[seqs[0] + 1] = a->seq;
	seqs[0]++;
	return 0;
}

TEST(audit_chain_and_filters)
{
	struct store *s = fresh("audit");
	struct ml_err err;
	for (int i = 0; i < 5; i++) {
		struct store_audit r = {.at = 1000 + i, .user_id = i % 2 ? 7 : 0, .status = 200};
		snprintf(r.action, sizeof r.action, "%s", i < 3 ? "item.read" : "login");
		snprintf(r.object, sizeof r.object, "project/%d", i);
		CHECK(store_audit_append(s, &r, test_chain, NULL, &err) == 0);
		CHECK_EQ_INT(r.seq, i + 1);
		if (i == 0)
			CHECK_EQ_STR(r.prev_hash, "");
		else
			CHECK(r.prev_hash[0] == 'h');
	}
	int64_t seqs[16] = {0};
	struct store_audit_filter f = {.action_prefix = "item."};
	CHECK(store_audit_list(s, &f, audit_collect, seqs, &err) == 0);
	CHECK_EQ_INT(seqs[0], 3);
	memset(seqs, 0, sizeof seqs);
	struct store_audit_filter f2 = {.user_id = 7, .since = 1001, .until = 1004};
	CHECK(store_audit_list(s, &f2, audit_collect, seqs, &err) == 0);
	CHECK_EQ_INT(seqs[0], 2);
	CHECK_EQ_INT(seqs[1], 2);
	CHECK_EQ_INT(seqs[2], 4);
	memset(seqs, 0, sizeof seqs);
	struct store_audit_filter f3 = {.after_seq = 2, .limit = 2, .object_prefix = "project/"};
	CHECK(store_audit_list(s, &f3, audit_collect, seqs, &err) == 0);
	CHECK_EQ_INT(seqs[0], 2);
	CHECK_EQ_INT(seqs[1], 3);
	store_close(s);
}

TEST(nested_transactions_are_savepoints)
{
	struct store *s = fresh("txn");
	struct ml_err err;
	int64_t p;
	CHECK(store_begin(s, &err) == 0);
	CHECK(store_project_create(s, "kept", NULL, &p, &err) == 0);
	CHECK(store_begin(s, &err) == 0);
	CHECK(store_project_create(s, "undone", NULL, NULL, &err) == 0);
	store_rollback(s);
	/* a failing call inside the transaction undoes only itself */
	struct store_item bad = {.project_id = 999, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER, .text = (char *)"x"};
	CHECK(store_item_add(s, &bad, 1, NULL, NULL, &err) == -1);
	CHECK(add_text_item(s, p, "in txn", "", 1, NULL) > 0);
	CHECK(store_commit(s, &err) == 0);
	struct store_project pr;
	CHECK(store_project_find(s, "kept", &pr, &err) == 0);
	store_project_release(&pr);
	CHECK(store_project_find(s, "undone", &pr, &err) == -1);
	struct store_project_counts c;
	CHECK(store_project_counts(s, p, &c, &err) == 0);
	CHECK_EQ_INT(c.items, 1);
	/* outer rollback undoes everything */
	CHECK(store_begin(s, &err) == 0);
	CHECK(add_text_item(s, p, "gone", "", 1, NULL) > 0);
	store_rollback(s);
	CHECK(store_project_counts(s, p, &c, &err) == 0);
	CHECK_EQ_INT(c.items, 1);
	CHECK(store_commit(s, &err) == -1);
	store_close(s);
}

struct scan_log {
	char buf[4096];
};

static int scan_cb(void *ctx, const struct store_export_row *r)
{
	struct scan_log *l = ctx;
	size_t n = strlen(l->buf);
	snprintf(l->buf + n, sizeof l->buf - n, "[%s|%s|%d", r->item->text, store_task_state_name(r->task->state),
		 (int)r->nanns);
	for (size_t i = 0; i < r->nanns; i++) {
		n = strlen(l->buf);
		snprintf(l->buf + n, sizeof l->buf - n, "|v%d:%s", r->anns[i].version, r->anns[i].body_json);
	}
	n = strlen(l->buf);
	snprintf(l->buf + n, sizeof l->buf - n, "]");
	return 0;
}

TEST(snapshot_pins_items_and_annotation_versions)
{
	struct store *s = fresh("snapshot");
	struct ml_err err;
	int64_t p, u, t1, t2;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	CHECK(store_user_create(s, "a", "", false, &u, &err) == 0);
	int64_t i1 = add_text_item(s, p, "first", "p1", 1, &t1);
	CHECK(add_text_item(s, p, "second", "p2", 1, &t2) > 0);
	struct store_annotation in = {.task_id = t1, .user_id = u, .schema_version = 1, .body_json = (char *)"A"};
	int64_t a;
	CHECK(store_annotation_create(s, &in, &a, &err) == 0);
	struct scan_log live = {{0}};
	CHECK(store_export_scan(s, p, 0, -1, scan_cb, &live, &err) == 0);
	CHECK_EQ_STR(live.buf, "[first|open|1|v1:A][second|open|0]");

	struct store_snapshot sn = {.project_id = p, .name = (char *)"v1", .manifest_json = (char *)"{}"};
	int64_t sid, ni, na;
	CHECK(store_snapshot_create(s, &sn, &sid, &err) == 0);
	CHECK(store_snapshot_create(s, &sn, NULL, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EEXIST);
	CHECK(store_snapshot_pin(s, sid, -1, &ni, &na, &err) == 0);
	CHECK_EQ_INT(ni, 2);
	CHECK_EQ_INT(na, 1);
	/* later edits: a new annotation version, new text, a new item, a new task state */
	int v;
	CHECK(store_annotation_update(s, a, 1, "B", 1, u, 0, false, &v, &err) == 0);
	CHECK(store_item_set_text(s, i1, "FIRST", NULL, &err) == 0);
	CHECK(add_text_item(s, p, "third", "p3", 1, NULL) > 0);
	CHECK(store_task_set_state(s, t2, STORE_TASK_DONE, &err) == 0);
	struct scan_log pinned = {{0}};
	CHECK(store_export_scan(s, p, sid, -1, scan_cb, &pinned, &err) == 0);
	CHECK_EQ_STR(pinned.buf, "[first|open|1|v1:A][second|open|0]");
	struct scan_log now = {{0}};
	CHECK(store_export_scan(s, p, 0, -1, scan_cb, &now, &err) == 0);
	CHECK_EQ_STR(now.buf, "[FIRST|open|1|v2:B][second|done|0][third|open|0]");
	struct scan_log done = {{0}};
	CHECK(store_export_scan(s, p, 0, STORE_TASK_DONE, scan_cb, &done, &err) == 0);
	CHECK_EQ_STR(done.buf, "[second|done|0]");

	CHECK(store_snapshot_set_manifest(s, sid, "{\"items\":2}", &err) == 0);
	struct store_snapshot got;
	CHECK(store_snapshot_get(s, p, "v1", &got, &err) == 0);
	CHECK_EQ_STR(got.manifest_json, "{\"items\":2}");
	store_snapshot_release(&got);
	CHECK(store_snapshot_get(s, p, "v2", &got, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	int n = 0;
	CHECK(store_snapshot_list(s, p, COUNTER(struct store_snapshot), &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	store_close(s);
}

TEST(media_is_content_addressed)
{
	const char *dir = test_tmpdir();
	struct ml_err err;
	char h1[65], h2[65], path[1024];
	CHECK(store_media_put_mem(dir, "pixels", 6, h1, &err) == 0);
	char expect[65];
	store_hash_hex("pixels", 6, expect);
	CHECK_EQ_STR(h1, expect);
	CHECK(store_media_path(dir, h1, path, sizeof path, &err) == 0);
	char want[1024];
	snprintf(want, sizeof want, "%s/media/%.2s/%s", dir, h1, h1 + 2);
	CHECK_EQ_STR(path, want);
	char *data;
	size_t len;
	CHECK(ml_file_read(path, 100, &data, &len, &err) == 0);
	CHECK(len == 6 && !memcmp(data, "pixels", 6));
	ml_free(data);
	char src[1024];
	snprintf(src, sizeof src, "%s/src.bin", dir);
	CHECK(ml_file_write_atomic(src, "pixels", 6, &err) == 0);
	CHECK(store_media_put_file(dir, src, 100, h2, &err) == 0);
	CHECK_EQ_STR(h2, h1);
	CHECK(store_media_put_file(dir, src, 5, h2, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ELIMIT);
	CHECK(store_media_put_file(dir, "/nonexistent/x", 5, h2, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(store_media_path(dir, "../../etc/passwd", path, sizeof path, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EINVAL);
	CHECK(store_media_path(dir, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", path, sizeof path, &err) == -1);
	/* no temporary file is left behind */
	char tmpd[1024];
	snprintf(tmpd, sizeof tmpd, "%s/media/tmp", dir);
	char cmd[1100];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", tmpd);
	CHECK(system(cmd) == 0);
}

TEST(item_meta_is_replaced_with_an_object_only)
{
	struct store *s = fresh("meta");
	CHECK(s);
	struct ml_err err;
	int64_t p;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	int64_t id = add_text_item(s, p, "x", "", 1, NULL);
	CHECK(id > 0);
	CHECK(store_item_set_meta(s, id, "{\"site\":\"b\",\"n\":[1,2]}", &err) == 0);
	struct store_item it;
	CHECK(store_item_get(s, id, &it, &err) == 0);
	CHECK_EQ_STR(it.meta_json, "{\"site\":\"b\",\"n\":[1,2]}");
	store_item_release(&it);
	CHECK(store_item_set_meta(s, id, "[1]", &err) == -1);
	CHECK_EQ_INT(err.code, ML_EINVAL);
	CHECK(store_item_set_meta(s, id + 100, "{}", &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	store_close(s);
}

struct order_check {
	int64_t last, n;
	bool ok;
};

static int ordered_item(void *ctx, const struct store_item *it)
{
	struct order_check *c = ctx;
	c->ok = c->ok && it->id > c->last;
	c->last = it->id;
	c->n++;
	return 0;
}

static int ordered_row(void *ctx, const struct store_export_row *r)
{
	return ordered_item(ctx, r->item);
}

static int ordered_audit(void *ctx, const struct store_audit *a)
{
	struct order_check *c = ctx;
	c->ok = c->ok && a->seq == c->last + 1;
	c->last = a->seq;
	c->n++;
	return 0;
}

/* Scans that page (items, export, audit) see every row once, in order, whether the project's ids are
 * dense or spread among another project's. */
TEST(long_scans_see_every_row_in_order)
{
	struct store *s = fresh("long_scans");
	CHECK(s);
	struct ml_err err;
	int64_t p1, p2;
	CHECK(store_project_create(s, "dense", NULL, &p1, &err) == 0);
	CHECK(store_project_create(s, "sparse", NULL, &p2, &err) == 0);
	CHECK(store_begin(s, &err) == 0);
	int n1 = 0, n2_after_1000 = 0;
	for (int i = 0; i < 3000; i++) { /* p1 gets every 7th item, then a long run */
		bool first = i % 7 == 0 || i >= 2400;
		int64_t id = add_text_item(s, first ? p1 : p2, "t", "", 1, NULL);
		CHECK(id > 0);
		n1 += first;
		n2_after_1000 += !first && id > 1000;
	}
	CHECK(store_commit(s, &err) == 0);
	struct order_check c = {.ok = true};
	CHECK(store_item_list(s, p1, 0, ordered_item, &c, &err) == 0);
	CHECK(c.ok);
	CHECK_EQ_INT(c.n, n1);
	struct order_check c2 = {.ok = true};
	CHECK(store_item_list(s, p2, 1000, ordered_item, &c2, &err) == 0);
	CHECK(c2.ok);
	CHECK_EQ_INT(c2.n, n2_after_1000);
	struct order_check c3 = {.ok = true};
	CHECK(store_export_scan(s, p1, 0, -1, ordered_row, &c3, &err) == 0);
	CHECK(c3.ok);
	CHECK_EQ_INT(c3.n, c.n);
	CHECK(store_begin(s, &err) == 0);
	for (int i = 0; i < 1500; i++) {
		struct store_audit r = {.status = 200};
		CHECK(store_audit_append(s, &r, test_chain, NULL, &err) == 0);
	}
	CHECK(store_commit(s, &err) == 0);
	struct order_check c4 = {.ok = true, .last = 100};
	struct store_audit_filter f = {.after_seq = 100, .limit = 1300};
	CHECK(store_audit_list(s, &f, ordered_audit, &c4, &err) == 0);
	CHECK(c4.ok);
	CHECK_EQ_INT(c4.n, 1300);
	store_close(s);
}

#ifdef STORE_TEST_PG
#include <libpq-fe.h>

/* Ends every other session on the server, as a restart or a network cut would. */
static bool cut_connections(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
				"WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1;
	PQclear(r);
	PQfinish(c);
	return ok;
}

TEST(lost_connection_is_an_io_error_then_reconnects)
{
	char url[1024];
	CHECK(test_pg_url("lost", url, sizeof url));
	struct store *s = NULL;
	struct ml_err err;
	CHECK(store_open(url, &s, &err) == 0);
	CHECK(store_setting_set(s, "k", "v", &err) == 0);
	CHECK(cut_connections(url));
	char *v = NULL;
	CHECK(store_setting_get(s, "k", &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EIO);
	CHECK(strstr(err.msg, "connection") != NULL);
	/* the next call, outside a transaction, reconnects (prepared statements are prepared again) */
	CHECK(store_setting_get(s, "k", &v, &err) == 0);
	CHECK_EQ_STR(v, "v");
	ml_free(v);
	/* inside a transaction the loss fails the transaction; the rollback ends it and work goes on */
	CHECK(store_begin(s, &err) == 0);
	CHECK(cut_connections(url));
	CHECK(store_setting_set(s, "k", "w", &err) == -1);
	CHECK_EQ_INT(err.code, ML_EIO);
	store_rollback(s);
	CHECK(store_setting_get(s, "k", &v, &err) == 0);
	CHECK_EQ_STR(v, "v");
	ml_free(v);
	store_close(s);
}
#endif

TEST(open_rejects_bad_urls)
{
	struct store *s;
	struct ml_err err;
	CHECK(store_open("", &s, &err) == -1);
	/* nothing listens on port 1: a PostgreSQL URL that cannot connect is an I/O error naming the server */
	CHECK(store_open("postgres://medlabel:secret@127.0.0.1:1/x?connect_timeout=2", &s, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EIO);
	CHECK(strstr(err.msg, "127.0.0.1") != NULL);
	CHECK(strstr(err.msg, "secret") == NULL); /* the password never shows */
	CHECK(store_open("postgresql://127.0.0.1:1/x?user=u&password=secret&connect_timeout=2", &s, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EIO);
	CHECK(strstr(err.msg, "secret") == NULL);
	CHECK(strstr(err.msg, "connect_timeout=2") != NULL);
	CHECK(store_open("/nonexistent-dir/x/y.db", &s, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EIO);
	char url[600];
	snprintf(url, sizeof url, "sqlite:%s/url.db", test_tmpdir());
	CHECK(store_open(url, &s, &err) == 0);
	store_close(s);
}

#ifndef STORE_TEST_PG
TEST(wal_is_checkpointed_in_the_background)
{
	/* While the store stays open and keeps writing, the helper thread copies the WAL into the database
	 * file: without it the database file would stay at its initial size until close. */
	char path[512];
	snprintf(path, sizeof path, "%s/ckpt.db", test_tmpdir());
	remove(path);
	struct store *s = NULL;
	struct ml_err err;
	CHECK(store_open(path, &s, &err) == 0);
	int64_t p;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	static char text[2048];
	memset(text, 'x', sizeof text - 1);
	struct stat sb;
	bool grew = false;
	for (int batch = 0; batch < 40 && !grew; batch++) {
		CHECK(store_begin(s, &err) == 0);
		for (int i = 0; i < 1000; i++) {
			text[i % 2000] = (char)('a' + batch % 26);
			struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER,
						.text = text, .visible = true};
			CHECK(store_item_add(s, &it, 1, NULL, NULL, &err) == 0);
		}
		CHECK(store_commit(s, &err) == 0);
		for (int wait = 0; wait < 20 && !grew; wait++) {
			CHECK(stat(path, &sb) == 0);
			grew = sb.st_size > (16 << 20);
			if (!grew && batch >= 20) {
				struct timespec ts = {0, 20 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
	}
	CHECK(grew);
	store_close(s);
}

/* store_wal_checkpoint, as the HTTP writer calls it between transactions: the WAL is backfilled whole and
 * restarted by the next transaction, so it stays the size of what is written between two calls however
 * long the writing goes on; without the calls it grows with everything written. */
static off_t wal_size_after_rounds(const char *name, bool checkpoint)
{
	char path[512], wal[600];
	snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
	snprintf(wal, sizeof wal, "%s-wal", path);
	remove(path);
	struct store *s = NULL;
	struct ml_err err;
	if (store_open(path, &s, &err) != 0)
		return -1;
	int64_t p;
	bool ok = store_project_create(s, "p", NULL, &p, &err) == 0;
	static char text[4000];
	memset(text, 'x', sizeof text - 1);
	off_t biggest = 0;
	for (int round = 0; ok && round < 30; round++) {
		ok = store_begin(s, &err) == 0;
		for (int i = 0; ok && i < 40; i++) { /* about 20 pages of 8 KiB */
			text[i] = (char)('a' + round % 26);
			struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER,
						.text = text, .visible = true};
			ok = store_item_add(s, &it, 1, NULL, NULL, &err) == 0;
		}
		ok = ok && store_commit(s, &err) == 0;
		if (ok && checkpoint)
			ok = store_wal_checkpoint(s, 16, &err) == 0;
		struct stat sb;
		if (stat(wal, &sb) == 0 && sb.st_size > biggest)
			biggest = sb.st_size;
	}
	store_close(s);
	if (!ok)
		fprintf(stdout, "# %s: %s\n", name, err.msg);
	return ok ? biggest : -1;
}

TEST(the_writer_checkpoint_keeps_the_wal_short)
{
	off_t with = wal_size_after_rounds("writer_ckpt", true), without = wal_size_after_rounds("no_writer_ckpt", false);
	fprintf(stdout, "# WAL peak: %lld bytes with writer checkpoints, %lld without\n", (long long)with,
		(long long)without);
	CHECK(with > 0 && without > 0);
	CHECK(without > (off_t)6 << 20); /* 30 rounds: all of it */
	CHECK(with < (off_t)2 << 20);    /* a round or two */
}
#endif
