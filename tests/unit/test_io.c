/* test_io.c: the io module: format registry, JSONL and text importers, the JSON scanner, splits, and
 * the export driver's manifest and snapshot guarantees. */
#include "harness.h"
#include "io/io.h"
#include "io/io_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *write_tmp(const char *name, const char *content, size_t len)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	fwrite(content, 1, len, f);
	fclose(f);
	return path;
}

struct got {
	int n;
	char text[8][128];
	char meta[8][128];
	char patient[8][32];
	int fail_at; /* emit fails on this item (1-based), 0 = never */
};

static int collect(void *ctx, const struct store_item *it, struct ml_err *err)
{
	struct got *g = ctx;
	if (g->fail_at && g->n + 1 == g->fail_at)
		return ml_err_set(err, ML_EINVAL, "rejected by the caller");
	if (g->n < 8) {
		snprintf(g->text[g->n], sizeof g->text[0], "%s", it->text);
		snprintf(g->meta[g->n], sizeof g->meta[0], "%s", it->meta_json);
		snprintf(g->patient[g->n], sizeof g->patient[0], "%s", it->patient_key);
	}
	g->n++;
	return 0;
}

TEST(registry_finds_and_guesses_formats)
{
	CHECK(io_importer_find("jsonl") != NULL);
	CHECK(io_importer_find("text") != NULL);
	CHECK(io_importer_find("nope") == NULL);
	CHECK(io_exporter_find("jsonl") != NULL);
	CHECK_EQ_STR(io_importer_guess("/x/notes.JSONL")->name, "jsonl");
	CHECK_EQ_STR(io_importer_guess("a.ndjson")->name, "jsonl");
	CHECK_EQ_STR(io_importer_guess("a.txt")->name, "text");
	CHECK(io_importer_guess("a.docx") == NULL);
	CHECK(io_importer_guess("jsonl") == NULL);
}

TEST(jsonl_importer_decodes_lines)
{
	const char *src = "{\"text\":\"a\\u00e9\\ud83d\\ude00\\n\",\"meta\":{\"k\": [1, 2.5e3]},\"patient_key\":\"p1\"}\r\n"
			  "\n"
			  "   \n"
			  "{\"id\":7,\"annotations\":[{\"x\":null}],\"text\":\"\",\"meta\":null,\"patient_key\":null}\n"
			  "{\"text\":\"last, no newline\"}";
	char *path = write_tmp("ok.jsonl", src, strlen(src));
	struct got g = {0};
	struct io_import_opts opts = {.project_id = 1};
	struct ml_err err = {0};
	CHECK(io_importer_find("jsonl")->import(path, &opts, collect, &g, &err) == 0);
	CHECK_EQ_INT(g.n, 3);
	CHECK_EQ_STR(g.text[0], "a\xc3\xa9\xf0\x9f\x98\x80\n");
	CHECK_EQ_STR(g.meta[0], "{\"k\": [1, 2.5e3]}");
	CHECK_EQ_STR(g.patient[0], "p1");
	CHECK_EQ_STR(g.text[1], "");
	CHECK_EQ_STR(g.meta[1], "{}");
	CHECK_EQ_STR(g.patient[1], "");
	CHECK_EQ_STR(g.text[2], "last, no newline");
}

TEST(jsonl_importer_reports_file_and_line)
{
	struct {
		const char *src, *msg;
	} cases[] = {
		{"{\"text\":\"a\"}\n{\"text\":1}\n", "line 2: 'text' must be a string (byte 9)"},
		{"{\"text\":\"a\",\"meta\":{\"x\":01}}\n", "line 1: expected ',' or '}' at byte 26"},
		{"{\"text\":\"a\",\"meta\":{\"x\":-}}\n", "line 1: bad number at byte 26"},
		{"{\"text\":\"a\",\"meta\":{\"x\":tru}}\n", "line 1: bad literal at byte 25"},
		{"{\"text\":\"a\\q\"}\n", "line 1: bad escape in string at byte 11"},
		{"{\"text\":\"a\"\n", "line 1: expected ',' or '}' at byte 12"},
		{"{\"text\" \"a\"}\n", "line 1: expected ':' at byte 9"},
		{"{\"text\":\"tab\there\"}\n", "line 1: control character in string at byte 13"},
		{"{\"meta\":{\"a\":[1,2}}\n", "line 1: expected ',' or ']' at byte 18"},
	};
	for (size_t i = 0; i < ML_ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof name, "bad%zu.jsonl", i);
		char *path = write_tmp(name, cases[i].src, strlen(cases[i].src));
		struct got g = {0};
		struct io_import_opts opts = {.project_id = 1};
		struct ml_err err = {0};
		CHECK(io_importer_find("jsonl")->import(path, &opts, collect, &g, &err) == -1);
		char want[700];
		snprintf(want, sizeof want, "'%s': %s", path, cases[i].msg);
		CHECK_EQ_STR(err.msg, want);
		CHECK_EQ_INT(err.code, ML_EINVAL);
	}
}

TEST(jsonl_importer_limits_line_length_and_depth)
{
	char big[300];
	memset(big, 'a', sizeof big);
	memcpy(big, "{\"text\":\"", 9);
	memcpy(big + sizeof big - 3, "\"}\n", 3);
	char *path = write_tmp("long.jsonl", big, sizeof big);
	struct got g = {0};
	struct io_import_opts opts = {.project_id = 1, .max_item_bytes = 100};
	struct ml_err err = {0};
	CHECK(io_importer_find("jsonl")->import(path, &opts, collect, &g, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ELIMIT);
	CHECK(strstr(err.msg, "line 1: longer than 100 bytes") != NULL);
	/* deeply nested metadata is refused, not a stack overflow */
	static char deep[20000];
	size_t n = 0;
	n += (size_t)sprintf(deep, "{\"text\":\"x\",\"meta\":{\"a\":");
	for (int i = 0; i < 5000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 5000; i++)
		deep[n++] = ']';
	n += (size_t)sprintf(deep + n, "}}\n");
	path = write_tmp("deep.jsonl", deep, n);
	struct io_import_opts o2 = {.project_id = 1};
	CHECK(io_importer_find("jsonl")->import(path, &o2, collect, &g, &err) == -1);
	CHECK(strstr(err.msg, "nesting too deep") != NULL);
}

TEST(emit_errors_get_the_position)
{
	const char *src = "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n";
	char *path = write_tmp("emit.jsonl", src, strlen(src));
	struct got g = {.fail_at = 2};
	struct io_import_opts opts = {.project_id = 1};
	struct ml_err err = {0};
	CHECK(io_importer_find("jsonl")->import(path, &opts, collect, &g, &err) == -1);
	char want[600];
	snprintf(want, sizeof want, "'%s': line 2: rejected by the caller", path);
	CHECK_EQ_STR(err.msg, want);
	CHECK_EQ_INT(g.n, 1);
}

TEST(lines_span_read_blocks)
{
	/* lines longer than the 1 MiB read block and lines crossing block ends */
	size_t n = (3u << 20) + 100;
	char *src = malloc(n);
	size_t pos = 0;
	int lines = 0;
	while (pos + 2 < n) {
		size_t len = (size_t)(lines % 3 == 0 ? 1500000 : 777);
		if (pos + len + 1 > n)
			len = n - pos - 1;
		memset(src + pos, 'x', len);
		pos += len;
		src[pos++] = '\n';
		lines++;
	}
	char *path = write_tmp("blocks.txt", src, pos);
	struct io_lines r;
	struct ml_err err;
	CHECK(io_lines_open(&r, path, 2000000, &err) == 0);
	const char *line;
	size_t len, total = 0;
	int got = 0, rc;
	while ((rc = io_lines_next(&r, path, &line, &len, &err)) == 1) {
		for (size_t i = 0; i < len; i++)
			if (line[i] != 'x') {
				got = -1000;
				break;
			}
		total += len + 1;
		got++;
	}
	io_lines_close(&r);
	free(src);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(got, lines);
	CHECK_EQ_INT(total, pos);
}

TEST(text_importer_one_item_per_file)
{
	char *path = write_tmp("note.txt", "\xEF\xBB\xBFhello\n", 9);
	struct got g = {0};
	struct io_import_opts opts = {.project_id = 1};
	struct ml_err err = {0};
	CHECK(io_importer_find("text")->import(path, &opts, collect, &g, &err) == 0);
	CHECK_EQ_INT(g.n, 1);
	CHECK_EQ_STR(g.text[0], "hello\n");
	CHECK_EQ_STR(g.meta[0], "{\"file\":\"note.txt\"}");
	path = write_tmp("nul.txt", "ab\0c", 4);
	CHECK(io_importer_find("text")->import(path, &opts, collect, &g, &err) == -1);
	CHECK(strstr(err.msg, "NUL byte at byte 3") != NULL);
}

TEST(split_parse_and_assign)
{
	struct io_split sp;
	struct ml_err err;
	CHECK(io_split_parse("train=0.8,val=0.1,test=0.1", &sp, &err) == 0);
	CHECK_EQ_INT(sp.n, 3);
	CHECK_EQ_STR(sp.name[2], "test");
	CHECK_EQ_STR(sp.seed, "medlabel");
	const char *bad[] = {"", "train", "train=0.5", "a=0.5,a=0.5", "a=x", "a=1,", "=1", "a b=1", "a=1.5", "a=0,b=1"};
	for (size_t i = 0; i < ML_ARRAY_LEN(bad); i++)
		CHECK(io_split_parse(bad[i], &sp, &err) == -1);
	CHECK(io_split_parse("a=0.5,b=0.5", &sp, &err) == 0);
	sp.by_patient = true;
	int counts[2] = {0};
	for (int i = 0; i < 2000; i++) {
		char pk[32];
		snprintf(pk, sizeof pk, "pt%d", i / 4);
		struct store_item it = {.id = i + 1, .patient_key = pk};
		const char *part = io_split_assign(&sp, &it);
		counts[part == sp.name[1]]++;
		/* the same patient always lands in the same part, whatever the item */
		struct store_item other = {.id = 99999, .patient_key = pk};
		CHECK(io_split_assign(&sp, &other) == part);
	}
	CHECK(counts[0] > 800 && counts[1] > 800);
	/* keyed: another seed moves some patients */
	struct io_split sp2 = sp;
	snprintf(sp2.seed, sizeof sp2.seed, "other");
	int moved = 0;
	for (int i = 0; i < 200; i++) {
		char pk[32];
		snprintf(pk, sizeof pk, "pt%d", i);
		struct store_item it = {.id = 1, .patient_key = pk};
		moved += strcmp(io_split_assign(&sp, &it), io_split_assign(&sp2, &it)) != 0;
	}
	CHECK(moved > 50);
	/* a known vector, so the split never changes silently between versions */
	struct store_item fixed = {.id = 1, .patient_key = (char *)"patient-0001"};
	CHECK(io_split_parse("train=0.8,val=0.1,test=0.1", &sp, &err) == 0);
	sp.by_patient = true;
	const char *part = io_split_assign(&sp, &fixed);
	CHECK(part != NULL);
	char expect[32];
	snprintf(expect, sizeof expect, "%s", part);
	CHECK(strcmp(io_split_assign(&sp, &fixed), expect) == 0);
}

TEST(json_writer_escapes)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *in = "a\"b\\c\n\x01\x7f é";
	io_put_json_str(f, in, strlen(in));
	fclose(f);
	CHECK_EQ_STR(buf, "\"a\\\"b\\\\c\\n\\u0001\x7f é\"");
	free(buf);
}

static struct store *fresh_store(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
	remove(path);
	struct store *s = NULL;
	struct ml_err err;
	return store_open(path, &s, &err) == 0 ? s : NULL;
}

static char *slurp(const char *path)
{
	char *d;
	size_t n;
	struct ml_err err;
	return ml_file_read(path, 1 << 24, &d, &n, &err) == 0 ? d : NULL;
}

TEST(export_driver_snapshots_are_byte_identical)
{
	struct store *s = fresh_store("export");
	CHECK(s);
	struct ml_err err;
	int64_t p, u;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	CHECK(store_user_create(s, "annie", "", false, &u, &err) == 0);
	int64_t task = 0;
	for (int i = 0; i < 20; i++) {
		char text[32], pk[16];
		snprintf(text, sizeof text, "note %d", i);
		snprintf(pk, sizeof pk, "p%d", i % 4);
		struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR, .text = text,
					.patient_key = pk, .meta_json = (char *)"{}", .visible = true};
		CHECK(store_item_add(s, &it, 1, NULL, i == 0 ? &task : NULL, &err) == 0);
	}
	struct store_annotation a = {.task_id = task, .user_id = u, .schema_version = 0, .body_json = (char *)"{\"l\":1}",
				     .seconds_spent = 4.5, .kind = (char *)"human"};
	int64_t aid;
	CHECK(store_annotation_create(s, &a, &aid, &err) == 0);
	struct store_project pr;
	CHECK(store_project_get(s, p, &pr, &err) == 0);
	struct io_split sp;
	CHECK(io_split_parse("train=0.5,test=0.5", &sp, &err) == 0);
	sp.by_patient = true;
	char out1[512], out2[512], m1[600], m2[600];
	snprintf(out1, sizeof out1, "%s/e1.jsonl", test_tmpdir());
	snprintf(out2, sizeof out2, "%s/e2.jsonl", test_tmpdir());
	struct io_export_opts o = {.format = "jsonl", .out_path = out1, .snapshot = "s1", .split = &sp, .state = -1};
	struct io_export_result res;
	CHECK(io_export_run(s, &pr, &o, &res, &err) == 0);
	CHECK(res.snapshot_created);
	CHECK_EQ_INT(res.items, 20);
	CHECK_EQ_INT(res.annotations, 1);
	/* edit after the snapshot */
	int v;
	CHECK(store_annotation_update(s, aid, 1, "{\"l\":2}", 0, u, 1, true, &v, &err) == 0);
	struct io_export_opts o2 = {.format = "jsonl", .out_path = out2, .snapshot = "s1", .state = -1};
	CHECK(io_export_run(s, &pr, &o2, &res, &err) == 0);
	CHECK(!res.snapshot_created);
	char *a1 = slurp(out1), *a2 = slurp(out2);
	CHECK(a1 && a2);
	CHECK_EQ_STR(a1, a2);
	CHECK(strstr(a1, "\"labels\":{\"l\":1}") != NULL);
	CHECK(strstr(a1, "\"user\":\"annie\"") != NULL);
	CHECK(strstr(a1, "\"seconds_spent\":4.500") != NULL);
	ml_free(a1);
	ml_free(a2);
	snprintf(m1, sizeof m1, "%s.manifest.json", out1);
	snprintf(m2, sizeof m2, "%s.manifest.json", out2);
	a1 = slurp(m1);
	a2 = slurp(m2);
	CHECK(a1 && a2);
	CHECK_EQ_STR(a1, a2);
	CHECK(strstr(a1, "\"counts\":{\"items\":20,\"annotations\":1}") != NULL);
	ml_free(a1);
	ml_free(a2);
	/* conflicting options on an existing snapshot */
	struct io_export_opts o3 = {.format = "jsonl", .out_path = out2, .snapshot = "s1", .state = STORE_TASK_DONE};
	CHECK(io_export_run(s, &pr, &o3, &res, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EINVAL);
	struct io_export_opts o4 = {.format = "nope", .state = -1};
	CHECK(io_export_run(s, &pr, &o4, &res, &err) == -1);
	store_project_release(&pr);
	store_close(s);
}

/* A test importer: N items named in the file ("count N [fail-at K] [labels]"), to drive the import
 * driver through its batching, labels and failure paths. */
static int import_counted(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx,
			  struct ml_err *err)
{
	char *spec;
	size_t len;
	if (ml_file_read(path, 4096, &spec, &len, err))
		return -1;
	long n = 0, fail_at = 0;
	bool labels = strstr(spec, "labels") != NULL;
	sscanf(spec, "count %ld", &n);
	char *f = strstr(spec, "fail-at ");
	if (f)
		fail_at = strtol(f + 8, NULL, 10);
	ml_free(spec);
	for (long i = 1; i <= n; i++) {
		if (i == fail_at)
			return ml_err_set(err, ML_EINVAL, "'%s': line %ld: made-up failure", path, i);
		char text[64], meta[64];
		snprintf(text, sizeof text, "item %ld", i);
		snprintf(meta, sizeof meta, "{\"i\":%ld}", i);
		struct store_item it = {.project_id = 999, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER,
					.text = text, .meta_json = meta, .patient_key = (char *)"", .external_ref = (char *)"",
					.visible = true};
		if (emit(ctx, &it, err))
			return -1;
		if (labels && opts->emit_annotation) {
			struct store_annotation a = {.body_json = meta, .kind = (char *)"gold"};
			if (opts->emit_annotation(ctx, &a, err))
				return -1;
		}
	}
	return 0;
}
IO_IMPORTER(counted, "counted", ".counted", "test importer", import_counted)

static int check_order(void *ctx, const struct store_export_row *r)
{
	long *next = ctx;
	char want[32];
	snprintf(want, sizeof want, "item %ld", *next);
	if (strcmp(r->item->text, want))
		return 1;
	if (r->nanns && strcmp(r->anns[0].body_json, r->item->meta_json))
		return 2;
	(*next)++;
	return 0;
}

TEST(import_driver_batches_in_order_with_labels)
{
	struct store *s = fresh_store("import-driver");
	CHECK(s);
	struct ml_err err;
	int64_t p;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	const char *files[2];
	char a[600], b[600];
	snprintf(a, sizeof a, "%s", write_tmp("a.counted", "count 3000 labels", 17));
	snprintf(b, sizeof b, "%s", write_tmp("b.counted", "count 1234", 10));
	files[0] = a;
	files[1] = b;
	struct io_import_opts opts = {0};
	struct io_import_stats st;
	CHECK(io_import_files(s, p, files, 2, NULL, &opts, 2, 700, NULL, NULL, &st, &err) == 0);
	CHECK_EQ_INT(st.items, 4234);
	CHECK_EQ_INT(st.committed, 4234);
	CHECK_EQ_INT(st.annotations, 3000);
	struct store_project_counts c;
	CHECK(store_project_counts(s, p, &c, &err) == 0);
	CHECK_EQ_INT(c.items, 4234);
	CHECK_EQ_INT(c.annotations, 3000);
	long next = 1;
	/* the first file's items are in order with their labels; then the second file restarts at 1 */
	CHECK(store_export_scan(s, p, 0, -1, check_order, &next, &err) == 1 || next == 3001);
	CHECK_EQ_INT(next, 3001);
	store_close(s);
}

TEST(import_driver_keeps_whole_batches_on_failure)
{
	struct store *s = fresh_store("import-fail");
	CHECK(s);
	struct ml_err err;
	int64_t p;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	char a[600];
	snprintf(a, sizeof a, "%s", write_tmp("f.counted", "count 100000 fail-at 2345", 25));
	const char *files[1] = {a};
	struct io_import_opts opts = {0};
	struct io_import_stats st;
	CHECK(io_import_files(s, p, files, 1, io_importer_find("counted"), &opts, 1, 1000, NULL, NULL, &st, &err) == -1);
	CHECK(strstr(err.msg, "line 2345: made-up failure") != NULL);
	CHECK_EQ_INT(st.committed, 2000);
	struct store_project_counts c;
	CHECK(store_project_counts(s, p, &c, &err) == 0);
	CHECK_EQ_INT(c.items, 2000);
	/* a store failure stops the producer too: the project vanishes under the importer */
	int64_t bogus = 424242;
	snprintf(a, sizeof a, "%s", write_tmp("g.counted", "count 100000", 12));
	CHECK(io_import_files(s, bogus, files, 1, io_importer_find("counted"), &opts, 1, 1000, NULL, NULL, &st, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK_EQ_INT(st.committed, 0);
	store_close(s);
}

TEST(jsonl_importer_finds_bad_utf8_anywhere)
{
	struct {
		const char *src;
		size_t at; /* 1-based byte of the first bad byte */
	} cases[] = {
		{"{\"text\":\"abcdefghijklmnop\xff\"}\n", 26},
		{"{\"text\":\"\xc3\xa9\xc3\"}\n", 12},               /* truncated before the quote */
		{"{\"text\":\"abcdefgh\xed\xa0\x80\"}\n", 18},        /* a surrogate */
		{"{\"text\":\"\xc0\xaf 12345678\"}\n", 10},           /* overlong '/' */
		{"{\"text\":\"\xe4\xb8\xad\xe6\x96\x87\xf0\x9f\x98\"}\n", 16}, /* 3 of 4 bytes */
	};
	for (size_t i = 0; i < ML_ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof name, "utf8-%zu.jsonl", i);
		char *path = write_tmp(name, cases[i].src, strlen(cases[i].src));
		struct got g = {0};
		struct io_import_opts opts = {.project_id = 1};
		struct ml_err err = {0};
		CHECK(io_importer_find("jsonl")->import(path, &opts, collect, &g, &err) == -1);
		char want[700];
		snprintf(want, sizeof want, "'%s': line 1: invalid UTF-8 at byte %zu", path, cases[i].at);
		CHECK_EQ_STR(err.msg, want);
	}
	/* and valid mixed text passes */
	const char *ok = "{\"text\":\"abc \xe4\xb8\xad\xe6\x96\x87 \xd8\xb9 e\xcc\x81 \xf0\x9f\x98\x80 end of a longer ascii run\"}\n";
	char *path = write_tmp("utf8-ok.jsonl", ok, strlen(ok));
	struct got g = {0};
	struct io_import_opts opts = {.project_id = 1};
	struct ml_err err = {0};
	CHECK(io_importer_find("jsonl")->import(path, &opts, collect, &g, &err) == 0);
	CHECK_EQ_INT(g.n, 1);
}

TEST(json_writer_matches_the_core_escaper)
{
	/* io_put_json_str skips 8 clean bytes at a time; ml_buf_json_str is the plain reference */
	unsigned seed = 12345;
	for (int round = 0; round < 2000; round++) {
		char in[64];
		size_t n = (size_t)(round % 64);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) & 0xff;
			/* mostly plain bytes, with escapes and high bytes sprinkled in */
			int c = r < 200 ? 'a' + (int)(r % 26) : r < 215 ? '"' : r < 230 ? '\\' : r < 245 ? (int)(r % 32) : (int)r;
			in[i] = (char)c;
		}
		char *got = NULL;
		size_t glen = 0;
		FILE *f = open_memstream(&got, &glen);
		io_put_json_str(f, in, n);
		fclose(f);
		struct ml_buf want;
		ml_buf_init(&want, 0);
		CHECK(ml_buf_json_str(&want, in, n) == 0);
		bool same = glen == want.len && !memcmp(got, want.data, glen);
		free(got);
		ml_buf_release(&want);
		CHECK(same);
	}
}
