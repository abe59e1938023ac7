/* test_store_concurrency.c: several processes and threads writing one database: no lost writes, no
 * double-leased slot, an audit chain without gaps or forks. test_store_concurrency_pg.c runs the same
 * cases on PostgreSQL, where each process is what a second server would be. */
#include "harness.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dbpath[1024];

static struct store *open_db(void)
{
	struct store *s = NULL;
	struct ml_err err;
	if (store_open(dbpath, &s, &err)) {
		fprintf(stdout, "# open: %s\n", err.msg);
		return NULL;
	}
	return s;
}

static void new_db(const char *name)
{
#ifdef STORE_TEST_PG
	if (!test_pg_url(name, dbpath, sizeof dbpath))
		snprintf(dbpath, sizeof dbpath, "postgresql://no-test-database");
#else
	snprintf(dbpath, sizeof dbpath, "%s/%s.db", test_tmpdir(), name);
	remove(dbpath);
#endif
}

/* Forks n children running fn(k); true if all exit 0. */
static bool run_children(int n, int (*fn)(int k))
{
	pid_t kids[8];
	for (int k = 0; k < n; k++) {
		fflush(stdout);
		kids[k] = fork();
		if (kids[k] == 0)
			_exit(fn(k));
	}
	bool ok = true;
	for (int k = 0; k < n; k++) {
		int st;
		if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = false;
	}
	return ok;
}

static int64_t project_id;

static int writer(int k)
{
	struct store *s = open_db();
	if (!s)
		return 1;
	struct ml_err err;
	for (int batch = 0; batch < 20; batch++) {
		if (store_begin(s, &err))
			return 2;
		for (int i = 0; i < 25; i++) {
			char text[64];
			snprintf(text, sizeof text, "proc %d batch %d item %d", k, batch, i);
			struct store_item it = {.project_id = project_id, .modality = STORE_MOD_TEXT,
						.source = STORE_SRC_OTHER, .text = text, .visible = true};
			if (store_item_add(s, &it, 1, NULL, NULL, &err))
				return 3;
		}
		if (store_commit(s, &err))
			return 4;
		/* and single-statement writes in between */
		if (store_setting_set(s, k ? "b" : "a", "x", &err))
			return 5;
	}
	store_close(s);
	return 0;
}

TEST(two_processes_write_at_once)
{
	new_db("writers");
	struct store *s = open_db();
	CHECK(s);
	struct ml_err err;
	CHECK(store_project_create(s, "p", NULL, &project_id, &err) == 0);
	CHECK(run_children(2, writer));
	struct store_project_counts c;
	CHECK(store_project_counts(s, project_id, &c, &err) == 0);
	CHECK_EQ_INT(c.items, 1000);
	CHECK_EQ_INT(c.tasks_by_state[STORE_TASK_OPEN], 1000);
	store_close(s);
}

/* ---- lease races ---- */

#define NTASKS 40
#define USERS_PER_WORKER 24
static int64_t users[128];

/* Each worker leases as its own users, never finishing, so every lease holds a slot until it expires. */
static int lease_worker(int k)
{
	struct store *s = open_db();
	if (!s)
		return 1;
	int got = 0;
	for (int u = 0; u < USERS_PER_WORKER; u++) {
		struct store_task t;
		struct ml_err err;
		for (int tries = 0; tries < 3; tries++) {
			if (store_task_lease_next(s, project_id, users[k * USERS_PER_WORKER + u], 1000, 3600000, &t, &err) == 0) {
				got++;
				/* asking again returns the same lease, never a second slot */
				struct store_task again;
				if (store_task_lease_next(s, project_id, users[k * USERS_PER_WORKER + u], 1001, 3600000, &again,
							  &err) || again.id != t.id)
					return 7;
			} else if (err.code != ML_ENOTFOUND) {
				fprintf(stdout, "# lease: %s\n", err.msg);
				return 2;
			}
			break;
		}
	}
	store_close(s);
	return 0;
}

static void *lease_thread(void *arg)
{
	return (void *)(intptr_t)lease_worker((int)(intptr_t)arg);
}

/* Prepares a project with NTASKS tasks of overlap `overlap` and nworkers * USERS_PER_WORKER users. */
static bool setup_queue(const char *name, int overlap, int nworkers)
{
	new_db(name);
	struct store *s = open_db();
	if (!s)
		return false;
	struct ml_err err;
	if (store_project_create(s, "q", NULL, &project_id, &err))
		return false;
	if (store_begin(s, &err))
		return false;
	for (int i = 0; i < NTASKS; i++) {
		struct store_item it = {.project_id = project_id, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER,
					.text = (char *)"t", .visible = true};
		if (store_item_add(s, &it, overlap, NULL, NULL, &err))
			return false;
	}
	for (int u = 0; u < nworkers * USERS_PER_WORKER; u++) {
		char nm[32];
		snprintf(nm, sizeof nm, "u%d", u);
		if (store_user_create(s, nm, "", false, &users[u], &err))
			return false;
	}
	if (store_commit(s, &err))
		return false;
	store_close(s);
	return true;
}

static int count_cb(void *ctx, const struct store_task *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

/* Every task must hold exactly `overlap` leases: never more (double-leased), and all of them taken since
 * there were more users than slots. */
static bool check_slots(int overlap)
{
	struct store *s = open_db();
	if (!s)
		return false;
	struct ml_err err;
	bool ok = true;
	for (int64_t task = 1; task <= NTASKS; task++) {
		int held = 0;
		for (int u = 0; u < 128 && users[u]; u++) {
			struct store_assignment a;
			if (store_assignment_get(s, task, users[u], &a, &err) == 0)
				held++;
		}
		if (held != overlap) {
			fprintf(stdout, "# task %lld holds %d leases, want %d\n", (long long)task, held, overlap);
			ok = false;
		}
	}
	int n = 0;
	struct store_task_filter f = {.project_id = project_id, .state = STORE_TASK_IN_PROGRESS};
	if (store_task_list(s, &f, count_cb, &n, &err) || n != NTASKS)
		ok = false;
	store_close(s);
	return ok;
}

TEST(lease_race_between_threads)
{
	memset(users, 0, sizeof users);
	enum { NTHREADS = 4 };
	CHECK(setup_queue("lease-threads", 1, NTHREADS));
	pthread_t th[NTHREADS];
	for (int k = 0; k < NTHREADS; k++)
		CHECK(pthread_create(&th[k], NULL, lease_thread, (void *)(intptr_t)k) == 0);
	bool ok = true;
	for (int k = 0; k < NTHREADS; k++) {
		void *rv;
		pthread_join(th[k], &rv);
		if (rv)
			ok = false;
	}
	CHECK(ok);
	CHECK(check_slots(1));
}

TEST(lease_race_between_processes)
{
	memset(users, 0, sizeof users);
	CHECK(setup_queue("lease-procs", 2, 4));
	CHECK(run_children(4, lease_worker));
	CHECK(check_slots(2));
}

/* ---- audit appends ---- */

static void chain(void *ctx, struct store_audit *r)
{
	/* a stand-in for auth's BLAKE2b chain: any function of the previous hash and the record */
	unsigned long h = 5381;
	for (const char *p = r->prev_hash; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h = h * 33 + (unsigned long)r->seq;
	snprintf(r->hash, sizeof r->hash, "%016lx", h);
}

static int auditor(int k)
{
	struct store *s = open_db();
	if (!s)
		return 1;
	for (int i = 0; i < 150; i++) {
		struct store_audit r = {.user_id = k + 1, .status = 200};
		snprintf(r.action, sizeof r.action, "item.read");
		snprintf(r.object, sizeof r.object, "project/1/item/%d", i);
		struct ml_err err;
		if (store_audit_append(s, &r, chain, NULL, &err))
			return 2;
	}
	store_close(s);
	return 0;
}

struct audit_check {
	int64_t expect_seq;
	char prev[129];
	bool ok;
};

static int audit_cb(void *ctx, const struct store_audit *a)
{
	struct audit_check *c = ctx;
	struct store_audit copy = *a;
	chain(NULL, &copy);
	if (a->seq != c->expect_seq || strcmp(a->prev_hash, c->prev) || strcmp(copy.hash, a->hash))
		c->ok = false;
	c->expect_seq++;
	snprintf(c->prev, sizeof c->prev, "%s", a->hash);
	return 0;
}

TEST(audit_appends_from_two_processes_form_one_chain)
{
	new_db("audit");
	struct store *s = open_db();
	CHECK(s);
	store_close(s);
	CHECK(run_children(2, auditor));
	s = open_db();
	struct audit_check c = {.expect_seq = 1, .ok = true};
	struct store_audit_filter f = {0};
	struct ml_err err;
	CHECK(store_audit_list(s, &f, audit_cb, &c, &err) == 0);
	store_close(s);
	CHECK(c.ok);
	CHECK_EQ_INT(c.expect_seq, 301);
}
