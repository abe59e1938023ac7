/* test_store_review_pg.c: every case of test_store_review.c against the PostgreSQL backend, on a throwaway
 * cluster started for the run (see test_pg_url in harness.h); skipped with a message when PostgreSQL is
 * absent. */
#define STORE_TEST_PG 1
#include "test_store_review.c"

#include <stdlib.h>

__attribute__((constructor(200))) static void pg_or_skip(void)
{
	const char *why = test_pg_skip_reason();
	if (why) {
		printf("skip - test_store_review_pg: %s\n0 passed, 0 failed\n", why);
		exit(0);
	}
}
