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
