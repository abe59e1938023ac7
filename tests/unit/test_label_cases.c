/* test_label_cases.c: the table-driven schema and annotation cases in tests/data/label/ (JSON files), each
 * asserting the exact error message and JSON pointer (or success), and the documented examples in
 * docs/examples/ validating. Case file layout: see tests/data/label/README.md. */
#include "harness.h"
#include "label/label.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>

static const char *root_dir(void)
{
	const char *r = getenv("MEDLABEL_ROOT");
	return r && *r ? r : ".";
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of files in dir starting with prefix and ending with suffix; NULL-terminated. */
static char **list_files(const char *dir, const char *prefix, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	*n = 0;
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t ln = strlen(e->d_name), ls = strlen(suffix);
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || ln < ls || strcmp(e->d_name + ln - ls, suffix) != 0)
			continue;
		names = realloc(names, (*n + 2) * sizeof *names);
		names[(*n)++] = strdup(e->d_name);
		names[*n] = NULL;
	}
	closedir(d);
	if (names)
		qsort(names, *n, sizeof *names, cmp_names);
	return names;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A code_check callback for the cases: ctx.codes lists known codes with their ancestors. */
static int case_code_check(void *arg, const char *system, const char *version, const char *code, const char *subtree)
{
	json_t *codes = arg;
	size_t i;
	json_t *c;
	(void)version;
	json_array_foreach(codes, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "system")), system) != 0 ||
		    strcmp(json_string_value(json_object_get(c, "code")), code) != 0)
			continue;
		if (!subtree || strcmp(subtree, code) == 0)
			return 0;
		size_t k;
		json_t *anc;
		json_array_foreach(json_object_get(c, "ancestors"), k, anc)
			if (strcmp(json_string_value(anc), subtree) == 0)
				return 0;
		return 2;
	}
	return 1;
}

/* Text of a "schema"/"annotation" member (dumped compactly, order kept) or of its "*_text" twin. */
static char *doc_text(json_t *obj, const char *key)
{
	char textkey[64];
	snprintf(textkey, sizeof textkey, "%s_text", key);
	json_t *t = json_object_get(obj, textkey);
	if (json_is_string(t))
		return strdup(json_string_value(t));
	json_t *v = json_object_get(obj, key);
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* Compares the outcome with the case's expectation; returns 1 if it matched. */
static int expect(const char *file, const char *name, json_t *cs, int rc, const struct ml_err *err)
{
	const char *want = json_string_value(json_object_get(cs, "error"));
	const char *field = json_string_value(json_object_get(cs, "field"));
	const char *code = json_string_value(json_object_get(cs, "code"));
	if (!want) {
		if (rc == 0)
			return 1;
		printf("#   %s: case '%s': expected success, got %s: %s\n", file, name, err->field, err->msg);
		return 0;
	}
	if (rc == 0) {
		printf("#   %s: case '%s': expected error \"%s\", got success\n", file, name, want);
		return 0;
	}
	if (strcmp(err->msg, want) != 0 || strcmp(err->field, field ? field : "") != 0 ||
	    (code && strcmp(ml_code_name(err->code), code) != 0)) {
		printf("#   %s: case '%s':\n#     want %s \"%s\" (%s)\n#     got  %s \"%s\" (%s)\n", file, name,
		       field ? field : "", want, code ? code : "-", err->field, err->msg, ml_code_name(err->code));
		return 0;
	}
	return 1;
}

/* Runs every case of one file; returns the number of cases, adds failures to *failed. */
static int run_file(const char *path, const char *file, int *failed)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		printf("#   %s: cannot load: %s at line %d\n", file, je.text, je.line);
		(*failed)++;
		return 0;
	}
	struct label_schema *shared = NULL;
	struct ml_err err;
	char *shared_text = doc_text(doc, "schema");
	if (shared_text && label_schema_parse(shared_text, strlen(shared_text), &shared, &err)) {
		printf("#   %s: shared schema invalid: %s: %s\n", file, err.field, err.msg);
		(*failed)++;
	}
	free(shared_text);
	json_t *cases = json_object_get(doc, "cases");
	size_t i;
	json_t *cs;
	int ncases = 0;
	json_array_foreach(cases, i, cs) {
		const char *name = json_string_value(json_object_get(cs, "name"));
		char fallback[32];
		if (!name) {
			snprintf(fallback, sizeof fallback, "#%zu", i);
			name = fallback;
		}
		ncases++;
		ml_err_clear(&err);
		int rc;
		char *ann = doc_text(cs, "annotation");
		if (ann) {
			struct label_schema *s = shared;
			char *own = doc_text(cs, "schema");
			if (own && label_schema_parse(own, strlen(own), &s, &err)) {
				printf("#   %s: case '%s': its schema is invalid: %s: %s\n", file, name, err.field, err.msg);
				(*failed)++;
				free(own);
				free(ann);
				continue;
			}
			if (!s) {
				printf("#   %s: case '%s': no schema\n", file, name);
				(*failed)++;
				free(ann);
				continue;
			}
			struct label_item_ctx ctx;
			label_item_ctx_init(&ctx);
			json_t *c = json_object_get(cs, "ctx");
			const char *qs[64];
			if (c) {
				json_t *v;
				if ((v = json_object_get(c, "text"))) {
					ctx.text = json_string_value(v);
					ctx.text_len = json_string_length(v);
				}
				if ((v = json_object_get(c, "text_cp")))
					ctx.text_cp = json_integer_value(v);
				ctx.width = (int)json_integer_value(json_object_get(c, "width"));
				ctx.height = (int)json_integer_value(json_object_get(c, "height"));
				ctx.frames = (int)json_integer_value(json_object_get(c, "frames"));
				ctx.duration = json_number_value(json_object_get(c, "duration"));
				size_t k;
				json_array_foreach(json_object_get(c, "questions"), k, v)
					if (k < 64)
						qs[ctx.nquestions++] = json_string_value(v);
				ctx.questions = qs;
				if ((v = json_object_get(c, "codes"))) {
					ctx.code_check = case_code_check;
					ctx.code_check_arg = v;
				}
			}
			rc = label_annotation_validate(s, ann, strlen(ann), &ctx, &err);
			if (s != shared)
				label_schema_free(s);
			free(own);
			free(ann);
		} else {
			char *sch = doc_text(cs, "schema");
			struct label_schema *s = NULL;
			rc = label_schema_parse(sch ? sch : "", sch ? strlen(sch) : 0, &s, &err);
			if (rc == 0 && !s)
				rc = -2;
			label_schema_free(s);
			free(sch);
		}
		if (!expect(file, name, cs, rc, &err))
			(*failed)++;
	}
	label_schema_free(shared);
	json_decref(doc);
	return ncases;
}

static int run_dir_cases(const char *prefix, int *failed)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/tests/data/label", root_dir());
	size_t n;
	char **files = list_files(dir, prefix, ".json", &n);
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		int before = *failed, k = run_file(path, files[i], failed);
		printf("#   %s: %d cases, %d failed\n", files[i], k, *failed - before);
		total += k;
	}
	free_list(files, n);
	return total;
}

TEST(schema_cases_give_exact_errors)
{
	int failed = 0, n = run_dir_cases("schema_", &failed);
	CHECK_EQ_INT(failed, 0);
	CHECK(n >= 40);
}

TEST(annotation_cases_give_exact_errors)
{
	int failed = 0, n = run_dir_cases("annotation_", &failed);
	CHECK_EQ_INT(failed, 0);
	CHECK(n >= 40);
}

/* Every docs/examples/NAME.json schema parses, and NAME.annotation.json (with NAME.txt as the item text when
 * present) validates against it. */
TEST(documented_examples_validate)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/docs/examples", root_dir());
	size_t n;
	char **files = list_files(dir, "", ".json", &n);
	int schemas = 0, annotations = 0;
	for (size_t i = 0; i < n; i++) {
		if (strstr(files[i], ".annotation.json"))
			continue;
		char path[2048], *json = NULL;
		size_t len;
		struct ml_err err;
		struct label_schema *s = NULL;
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		CHECK(ml_file_read(path, LABEL_MAX_SCHEMA_BYTES, &json, &len, &err) == 0);
		if (label_schema_parse(json, len, &s, &err))
			test_fail(__FILE__, __LINE__, "%s: %s: %s", files[i], err.field, err.msg);
		ml_free(json);
		CHECK(s != NULL);
		schemas++;
		char base[512];
		snprintf(base, sizeof base, "%.*s", (int)(strlen(files[i]) - 5), files[i]);
		snprintf(path, sizeof path, "%s/%s.annotation.json", dir, base);
		if (ml_file_read(path, LABEL_MAX_ANNOTATION_BYTES, &json, &len, &err) == 0) {
			char tpath[2048], *text = NULL;
			size_t tlen = 0;
			struct label_item_ctx ctx;
			label_item_ctx_init(&ctx);
			snprintf(tpath, sizeof tpath, "%s/%s.txt", dir, base);
			if (ml_file_read(tpath, 1 << 20, &text, &tlen, &err) == 0) {
				ctx.text = text;
				ctx.text_len = tlen;
			}
			if (label_annotation_validate(s, json, len, &ctx, &err))
				test_fail(__FILE__, __LINE__, "%s.annotation.json: %s: %s", base, err.field, err.msg);
			annotations++;
			ml_free(text);
			ml_free(json);
		}
		label_schema_free(s);
	}
	free_list(files, n);
	CHECK(schemas >= 3);
	CHECK(annotations >= 3);
}
