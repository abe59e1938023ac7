/* test_store_migrate.c: databases from every earlier schema version migrate on open; a database from a
 * newer medlabel is refused. New migrations are covered without editing this file.
 * test_store_migrate_pg.c runs the same cases on PostgreSQL. */
#include "harness.h"
#include "store/store.h"
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void db_path(char *out, size_t n, const char *name, int v)
{
#ifdef STORE_TEST_PG
	char db[64];
	snprintf(db, sizeof db, "%s-%d", name, v);
	if (!test_pg_url(db, out, n))
		snprintf(out, n, "postgresql://no-test-database");
#else
	snprintf(out, n, "%s/%s-%d.db", test_tmpdir(), name, v);
	remove(out);
#endif
}

#ifdef STORE_TEST_PG
#define open_at(path, v, s, err) store_pg_open(path, NULL, v, s, err)
#define force_version store_pg_force_version
#else
#define open_at store_sqlite_open_at
#define force_version store_sqlite_force_version
#endif

TEST(both_backends_know_the_same_schema_version)
{
	CHECK_EQ_INT(store_pg_schema_version(), store_schema_version());
}

TEST(migrates_from_every_earlier_version)
{
	int latest = store_schema_version();
	CHECK(latest >= 2);
	for (int v = 1; v < latest; v++) {
		char path[1024];
		db_path(path, sizeof path, "old", v);
		struct ml_err err;
		struct store *s;
		CHECK(open_at(path, v, &s, &err) == 0);
		CHECK_EQ_INT(store_db_version(s), v);
		/* Data written by the old version: the v1 tables every later version keeps. */
		int64_t p, u, item, task, a;
		CHECK(store_project_create(s, "legacy", "from v", &p, &err) == 0);
		CHECK(store_user_create(s, "ann", "h", false, &u, &err) == 0);
		struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
					.text = (char *)"old note ü", .meta_json = (char *)"{\"a\":[1,2]}", .visible = true};
		CHECK(store_item_add(s, &it, 2, &item, &task, &err) == 0);
		struct store_annotation an = {.task_id = task, .user_id = u, .schema_version = 1, .body_json = (char *)"{}"};
		CHECK(store_annotation_create(s, &an, &a, &err) == 0);
		store_close(s);

		CHECK(store_open(path, &s, &err) == 0);
		CHECK_EQ_INT(store_db_version(s), latest);
		struct store_item got;
		CHECK(store_item_get(s, item, &got, &err) == 0);
		CHECK_EQ_STR(got.text, "old note ü");
		CHECK_EQ_STR(got.meta_json, "{\"a\":[1,2]}");
		store_item_release(&got);
		struct store_task t;
		CHECK(store_task_get(s, task, &t, &err) == 0);
		CHECK_EQ_INT(t.overlap, 2);
		int nv;
		CHECK(store_annotation_update(s, a, 1, "{\"x\":1}", 1, u, 0, false, &nv, &err) == 0);
		/* Features of the newest version work on the migrated database. */
		struct store_snapshot sn = {.project_id = p, .name = (char *)"after-migration"};
		int64_t sid, ni;
		CHECK(store_snapshot_create(s, &sn, &sid, &err) == 0);
		CHECK(store_snapshot_pin(s, sid, -1, &ni, NULL, &err) == 0);
		CHECK_EQ_INT(ni, 1);
		store_close(s);
		/* Opening again is a no-op. */
		CHECK(store_open(path, &s, &err) == 0);
		CHECK_EQ_INT(store_db_version(s), latest);
		store_close(s);
	}
}

TEST(refuses_a_database_from_a_newer_medlabel)
{
	char path[1024];
	db_path(path, sizeof path, "newer", 0);
	struct ml_err err;
	struct store *s;
	CHECK(store_open(path, &s, &err) == 0);
	store_close(s);
	int future = store_schema_version() + 1;
	CHECK(force_version(path, future, &err) == 0);
	CHECK(store_open(path, &s, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EVERSION);
	char want[128];
	snprintf(want, sizeof want, "schema version %d (written by medlabel 99.0.0)", future);
	CHECK(strstr(err.msg, want) != NULL);
	snprintf(want, sizeof want, "this medlabel %s knows versions up to %d", ML_VERSION, store_schema_version());
	CHECK(strstr(err.msg, want) != NULL);
	/* refused, not modified: still refused the second time */
	CHECK(store_open(path, &s, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EVERSION);
#ifndef STORE_TEST_PG
	CHECK(store_sqlite_open_at(path, 0, &s, &err) == -1);
#endif
}

TEST(two_processes_migrate_a_new_database_at_once)
{
	char path[1024];
	db_path(path, sizeof path, "race", 0);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct store *s;
			struct ml_err err;
			if (store_open(path, &s, &err)) {
				fprintf(stdout, "# child: %s\n", err.msg);
				_exit(1);
			}
			int ok = store_db_version(s) == store_schema_version();
			store_close(s);
			_exit(ok ? 0 : 1);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		CHECK(waitpid(kids[k], &st, 0) == kids[k]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}
