/* alloc.c: the one allocation wrapper, so tests can fail the Nth allocation. */
#include "core/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown; /* 0: never fail */

void ml_alloc_fail_at(long nth) { atomic_store(&fail_countdown, nth); }

static bool should_fail(void)
{
	long v = atomic_load(&fail_countdown);
	if (v <= 0)
		return false;
	return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *ml_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *ml_calloc(size_t count, size_t size) { return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1); }
void *ml_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void ml_free(void *p) { free(p); }

char *ml_strndup(const char *s, size_t n)
{
	char *d = ml_malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *ml_strdup(const char *s) { return ml_strndup(s, strlen(s)); }

static void *oom(void *p)
{
	if (!p) {
		fputs("medlabel: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *ml_xmalloc(size_t n) { return oom(ml_malloc(n)); }
void *ml_xcalloc(size_t count, size_t size) { return oom(ml_calloc(count, size)); }
void *ml_xrealloc(void *p, size_t n) { return oom(ml_realloc(p, n)); }
char *ml_xstrdup(const char *s) { return oom(ml_strdup(s)); }
char *ml_xstrndup(const char *s, size_t n) { return oom(ml_strndup(s, n)); }

char *ml_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(NULL);
	char *s = ml_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}
