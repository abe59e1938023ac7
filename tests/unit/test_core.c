/* test_core.c: buffers, arenas, UTF-8 offsets, time parsing, atomic files. */
#include "core/core.h"
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

TEST(buf_respects_cap)
{
	struct ml_buf b;
	ml_buf_init(&b, 8);
	CHECK(ml_buf_puts(&b, "12345678") == 0);
	CHECK(ml_buf_putc(&b, 'x') == -1);
	CHECK_EQ_STR(b.data, "12345678");
	ml_buf_release(&b);
}

TEST(buf_json_escapes_controls)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(ml_buf_json_str(&b, "a\"b\\\n\x01é", 8) == 0);
	CHECK_EQ_STR(b.data, "\"a\\\"b\\\\\\n\\u0001é\"");
	ml_buf_release(&b);
}

TEST(utf8_code_point_offsets)
{
	const char *s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80z"; /* a é 中 😀 z */
	size_t n = strlen(s);
	CHECK_EQ_INT(ml_utf8_cp_count(s, n), 5);
	CHECK_EQ_INT(ml_utf8_cp_to_byte(s, n, 3), 6);
	CHECK_EQ_INT(ml_utf8_cp_to_byte(s, n, 4), 10);
	CHECK_EQ_INT(ml_utf8_byte_to_cp(s, n, 10), 4);
	struct ml_cp_index ix;
	CHECK(ml_cp_index_build(&ix, s, n) == 0);
	CHECK_EQ_INT(ml_cp_index_cp_of_byte(&ix, 6), 3);
	CHECK_EQ_INT(ix.byte_of_cp[5], n);
	ml_cp_index_release(&ix);
}

TEST(utf8_rejects_overlong_and_surrogates)
{
	size_t bad = 0;
	CHECK(!ml_utf8_valid("ab\xC0\x80", 4, &bad));
	CHECK_EQ_INT(bad, 2);
	CHECK(!ml_utf8_valid("\xED\xA0\x80", 3, &bad));
	CHECK(!ml_utf8_valid("\xE4\xB8", 2, &bad));
	CHECK(ml_utf8_valid("\xE4\xB8\xAD", 3, &bad));
}

TEST(time_round_trip)
{
	int64_t ms;
	CHECK(ml_time_parse("2026-11-27T09:16:32.123Z", &ms) == 0);
	char out[40];
	ml_time_format(ms, out, sizeof out);
	CHECK_EQ_STR(out, "2026-11-27T09:16:32.123Z");
	CHECK(ml_time_parse("2000-02-29", &ms) == 0);
	CHECK_EQ_INT(ms, 951782400000LL);
	CHECK(ml_time_parse("2000-13-01", &ms) == -1);
	CHECK(ml_time_parse("2020-01-01T10:00:00+02:00", &ms) == 0);
	ml_time_format(ms, out, sizeof out);
	CHECK_EQ_STR(out, "2020-01-01T08:00:00.000Z");
}

TEST(arena_many_allocations)
{
	struct ml_arena a;
	ml_arena_init(&a, 128);
	for (int i = 0; i < 1000; i++) {
		char *s = ml_arena_printf(&a, "item-%d", i);
		CHECK(((uintptr_t)s & 15) == 0);
	}
	CHECK_EQ_STR(ml_arena_strdup(&a, "end"), "end");
	ml_arena_release(&a);
}

TEST(atomic_write_then_read)
{
	char path[512];
	snprintf(path, sizeof path, "%s/a/b/file.txt", test_tmpdir());
	struct ml_err err;
	char dir[512];
	snprintf(dir, sizeof dir, "%s/a/b", test_tmpdir());
	CHECK(ml_mkdirs(dir, 0755, &err) == 0);
	CHECK(ml_file_write_atomic(path, "hello", 5, &err) == 0);
	char *data;
	size_t len;
	CHECK(ml_file_read(path, 100, &data, &len, &err) == 0);
	CHECK_EQ_INT(len, 5);
	CHECK_EQ_STR(data, "hello");
	ml_free(data);
	CHECK(ml_file_read(path, 3, &data, &len, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ELIMIT);
}

/* Two threads of one process replacing the same file (the ontology registry from two requests): each
 * write must succeed and leave one writer's whole content, never a failed rename or a mix of the two. */
struct atomic_writer {
	const char *path;
	char fill;
	int failures;
};

static void *atomic_writer_run(void *arg)
{
	struct atomic_writer *w = arg;
	static char data[2][64 * 1024];
	char *d = data[w->fill == 'b'];
	memset(d, w->fill, sizeof data[0]);
	for (int i = 0; i < 200; i++) {
		struct ml_err err;
		if (ml_file_write_atomic(w->path, d, sizeof data[0], &err) != 0)
			w->failures++;
	}
	return NULL;
}

TEST(atomic_write_from_two_threads)
{
	char path[512];
	snprintf(path, sizeof path, "%s/two-writers.txt", test_tmpdir());
	struct atomic_writer a = {path, 'a', 0}, b = {path, 'b', 0};
	pthread_t ta, tb;
	CHECK(pthread_create(&ta, NULL, atomic_writer_run, &a) == 0);
	CHECK(pthread_create(&tb, NULL, atomic_writer_run, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ_INT(a.failures, 0);
	CHECK_EQ_INT(b.failures, 0);
	char *data;
	size_t len;
	struct ml_err err;
	CHECK(ml_file_read(path, 1 << 20, &data, &len, &err) == 0);
	CHECK_EQ_INT(len, 64 * 1024);
	size_t same = 0;
	while (same < len && data[same] == data[0])
		same++;
	CHECK_EQ_INT(same, len);
	ml_free(data);
}

TEST(alloc_failure_injection)
{
	ml_alloc_fail_at(2);
	void *a = ml_malloc(10), *b = ml_malloc(10), *c = ml_malloc(10);
	CHECK(a && !b && c);
	ml_free(a);
	ml_free(c);
}
