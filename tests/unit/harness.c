/* harness.c: runs the registered TEST cases and prints the tally. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TESTS 2048

static struct {
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static int ntests, current_failed;
static char tmpdir[256];

void test_register(const char *name, test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	current_failed = 1;
}

int test_failed_now(void) { return current_failed; }

static void remove_tmpdir(void)
{
	if (tmpdir[0] && !getenv("KEEP_TMP")) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", tmpdir);
	}
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/medlabel-test-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failed = 0;
		tests[i].fn();
		printf("%s - %s\n", current_failed ? "not ok" : "ok", tests[i].name);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* ---- a throwaway PostgreSQL cluster (test_pg_url) ---- */

#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>

static char pg_dir[64];
static char pg_bin[256];
static int pg_state; /* 0 not tried, 1 running (ours), 2 running (shared), -1 unavailable */
static char pg_why[400];

/* Runs a PostgreSQL program as the cluster's owner: initdb refuses to run as root. */
static int pg_run(const char *fmt, const char *arg)
{
	char cmd[1800], inner[1200];
	snprintf(inner, sizeof inner, fmt, pg_bin, pg_dir, arg ? arg : "");
	if (getuid() == 0)
		snprintf(cmd, sizeof cmd, "runuser -u nobody -- sh -c \"%s\" >>'%s/setup.log' 2>&1", inner, pg_dir);
	else
		snprintf(cmd, sizeof cmd, "sh -c \"%s\" >>'%s/setup.log' 2>&1", inner, pg_dir);
	return system(cmd);
}

static void pg_stop(void)
{
	if (pg_state != 1)
		return;
	(void)pg_run("%s/pg_ctl -D %s/data -m immediate stop%s", NULL);
	if (!getenv("KEEP_TMP")) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", pg_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", pg_dir);
	}
	pg_state = 0;
}

static void pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int pg_start(void)
{
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		snprintf(pg_why, sizeof pg_why, "PostgreSQL server binaries absent (/usr/lib/postgresql/*/bin/initdb)");
		return -1;
	}
	snprintf(pg_bin, sizeof pg_bin, "%.*s", (int)(strlen(g.gl_pathv[g.gl_pathc - 1]) - strlen("/initdb")),
		 g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	snprintf(pg_dir, sizeof pg_dir, "/tmp/medlabel-pg-XXXXXX");
	if (!mkdtemp(pg_dir)) {
		snprintf(pg_why, sizeof pg_why, "cannot make a folder for PostgreSQL");
		return -1;
	}
	if (getuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		if (!pw || chown(pg_dir, pw->pw_uid, pw->pw_gid) != 0) {
			snprintf(pg_why, sizeof pg_why, "cannot hand %s to user nobody", pg_dir);
			return -1;
		}
	}
	pg_state = 1; /* from here on pg_stop cleans up */
	atexit(pg_stop);
	/* Unix socket only, no fsync (a test cluster need not survive a crash), room for two servers'
	 * connections. */
	if (pg_run("%s/initdb -D %s/data -U medlabel --auth=trust -E UTF8 --locale=C --no-sync -N%s", NULL) != 0 ||
	    pg_run("%s/pg_ctl -D %s/data -w -t 30 -o '-k %s -c listen_addresses= -c fsync=off "
		   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300' start", pg_dir) != 0) {
		snprintf(pg_why, sizeof pg_why, "could not start a PostgreSQL cluster (see %s/setup.log)", pg_dir);
		setenv("KEEP_TMP", "1", 0);
		return -1;
	}
	return 1;
}

const char *test_pg_skip_reason(void)
{
	/* tests/run.sh starts one cluster for all the test programs (tests/pg_cluster.sh) */
	const char *shared = getenv("MEDLABEL_TEST_PG_DIR");
	if (pg_state == 0 && shared && *shared && strlen(shared) < sizeof pg_dir) {
		char sock[300];
		struct stat sb;
		snprintf(sock, sizeof sock, "%s/.s.PGSQL.5432", shared);
		if (stat(sock, &sb) == 0) {
			snprintf(pg_dir, sizeof pg_dir, "%s", shared);
			pg_state = 2; /* not ours to stop */
		}
	}
	if (pg_state == 0)
		pg_state = pg_start();
	return pg_state > 0 ? NULL : pg_why;
}

const char *test_pg_url(const char *name, char *out, size_t outlen)
{
	if (test_pg_skip_reason())
		return NULL;
	/* One schema per name in one database, found through search_path: creating a schema is a
	 * catalogue insert, creating a database copies a template (ten times slower). */
	char admin[512];
	snprintf(admin, sizeof admin, "postgresql:///postgres?host=%s&user=medlabel", pg_dir);
	PGconn *c = PQconnectdb(admin);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stdout, "# cannot connect to the test cluster: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, pg_quiet, NULL); /* "drop cascades to ..." */
	char sql[300];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE; CREATE SCHEMA \"%s\"", name, name);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stdout, "# cannot create schema %s: %s", name, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	if (!ok)
		return NULL;
	/* options=-c search_path=NAME, percent-encoded as a URI query value */
	snprintf(out, outlen, "postgresql:///postgres?host=%s&user=medlabel&options=-csearch_path%%3D%s", pg_dir, name);
	return out;
}
