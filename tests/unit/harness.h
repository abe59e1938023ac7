/* harness.h: the unit-test harness. Each tests/unit/test_*.c file becomes one binary; TEST() cases
 * register themselves and run in file order. Output is one "ok - NAME" or "not ok - NAME" line per case
 * and a closing "N passed, N failed" line that tests/run.sh adds up.
 *
 *   TEST(parses_empty_dataset) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_EQ_STR(s, "x"); }
 *
 * A failed CHECK reports file:line and ends that case; later cases still run.
 * Run one binary with a substring argument to run only matching cases.
 * test_tmpdir() gives a fresh directory per binary run, removed at exit unless KEEP_TMP is set.
 */
#ifndef ML_TEST_HARNESS_H
#define ML_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int test_failed_now(void);
const char *test_tmpdir(void);
/* PostgreSQL for the store tests: the first call starts a throwaway cluster (initdb + pg_ctl from
 * /usr/lib/postgresql/N/bin, as user nobody when run as root, on a Unix socket in a temporary folder),
 * stopped and removed at exit. test_pg_skip_reason() is NULL when the cluster runs, else why not.
 * test_pg_url() (re)creates an empty schema `name` (a database of its own as far as medlabel can tell: the
 * URL sets search_path to it) and writes its URL into out; NULL on failure. */
const char *test_pg_skip_reason(void);
const char *test_pg_url(const char *name, char *out, size_t outlen);

#define TEST(name)                                                                                  \
	static void name(void);                                                                     \
	__attribute__((constructor)) static void test_reg_##name(void) { test_register(#name, name); } \
	static void name(void)

#define CHECK(cond)                                                                                 \
	do {                                                                                        \
		if (!(cond)) {                                                                      \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                          \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                          \
	do {                                                                                        \
		long long va_ = (long long)(a), vb_ = (long long)(b);                               \
		if (va_ != vb_) {                                                                   \
			test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, va_, vb_);  \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                          \
	do {                                                                                        \
		const char *sa_ = (a), *sb_ = (b);                                                  \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                        \
			test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,         \
				  sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                      \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                                                       \
	do {                                                                                        \
		double da_ = (double)(a), db_ = (double)(b);                                        \
		if (!(fabs(da_ - db_) <= (eps))) {                                                  \
			test_fail(__FILE__, __LINE__, "%s ~= %s: %.12g != %.12g", #a, #b, da_, db_); \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#endif
