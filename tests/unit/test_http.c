/* test_http.c: path patterns, the status mapping and the route table's invariants. */
#include <dlfcn.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "http/http.h"
#include "http/http_int.h"
#include "label/label.h"
#include "store/store.h"
#include <sqlite3.h>
#include <stdio.h>

TEST(patterns_match_ids_only)
{
	int64_t v[4];
	CHECK_EQ_INT(http_pattern_match("/api/v1/projects/{project}", "/api/v1/projects/42", v, 4), 1);
	CHECK_EQ_INT(v[0], 42);
	CHECK_EQ_INT(http_pattern_match("/api/v1/projects/{project}/tasks/{task}", "/api/v1/projects/3/tasks/17", v, 4), 2);
	CHECK_EQ_INT(v[0], 3);
	CHECK_EQ_INT(v[1], 17);
	CHECK_EQ_INT(http_pattern_match("/api/v1/health", "/api/v1/health", v, 4), 0);
	const char *bad[] = {"/api/v1/projects/0", "/api/v1/projects/-1", "/api/v1/projects/01", "/api/v1/projects/abc",
			     "/api/v1/projects/1a", "/api/v1/projects/", "/api/v1/projects/1/", "/api/v1/projects/1/x",
			     "/api/v1/projects/99999999999999999999", "/api/v1/projects/9223372036854775808"};
	for (size_t i = 0; i < ML_ARRAY_LEN(bad); i++)
		CHECK(http_pattern_match("/api/v1/projects/{project}", bad[i], v, 4) == -1);
	CHECK_EQ_INT(http_pattern_match("/api/v1/projects/{project}", "/api/v1/projects/9223372036854775807", v, 4), 1);
	CHECK(v[0] == INT64_MAX);
	/* too many parameters for the room given */
	CHECK(http_pattern_match("/a/{x}/b/{y}", "/a/1/b/2", v, 1) == -1);
}

TEST(every_code_maps_to_one_status)
{
	CHECK_EQ_INT(http_status_of(ML_OK), 200);
	CHECK_EQ_INT(http_status_of(ML_EINVAL), 400);
	CHECK_EQ_INT(http_status_of(ML_ENOTFOUND), 404);
	CHECK_EQ_INT(http_status_of(ML_ECONFLICT), 409);
	CHECK_EQ_INT(http_status_of(ML_EEXIST), 409);
	CHECK_EQ_INT(http_status_of(ML_EPERM), 403);
	CHECK_EQ_INT(http_status_of(ML_ELIMIT), 413);
	CHECK_EQ_INT(http_status_of(ML_EUNSUPPORTED), 415);
	CHECK_EQ_INT(http_status_of(ML_EBUSY), 429);
	CHECK_EQ_INT(http_status_of(ML_EIO), 500);
	CHECK_EQ_INT(http_status_of(ML_ENOMEM), 503);
	CHECK_EQ_INT(http_status_of(ML_EVERSION), 500);
}

TEST(route_table_invariants)
{
	size_t n;
	const struct http_route *rt = http_routes(&n);
	CHECK(n >= 35);
	for (size_t i = 0; i < n; i++) {
		CHECK(rt[i].fn != NULL);
		CHECK(!strncmp(rt[i].pattern, "/api/v1/", 8));
		/* anything that is not a GET changes something, so it is audited */
		if (strcmp(rt[i].method, "GET"))
			CHECK(rt[i].flags & HTTP_F_AUDIT_WRITE);
		if (rt[i].access == HTTP_PROJECT) {
			CHECK(!strncmp(rt[i].pattern, "/api/v1/projects/{project}", 26));
			CHECK(rt[i].roles != 0);
		}
		CHECK(!((rt[i].flags & HTTP_F_JSON_BODY) && (rt[i].flags & HTTP_F_MULTIPART)));
		for (size_t j = i + 1; j < n; j++)
			CHECK(strcmp(rt[i].pattern, rt[j].pattern) || strcmp(rt[i].method, rt[j].method));
	}
}

TEST(routes_print_as_json)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(http_routes_json(&b) == 0);
	json_error_t je;
	json_t *v = json_loads(b.data, 0, &je);
	ml_buf_release(&b);
	CHECK(json_is_array(v));
	size_t n;
	http_routes(&n);
	CHECK_EQ_INT(json_array_size(v), n);
	json_t *first = json_array_get(v, 0);
	CHECK(json_is_string(json_object_get(first, "method")));
	CHECK(json_is_array(json_object_get(first, "roles")));
	json_decref(v);
}

/* ---- header parsers (internal, http_int.h) ---- */

TEST(range_headers)
{
	uint64_t from = 7, len = 7;
	CHECK_EQ_INT(http_parse_range(NULL, 100, &from, &len), 1);
	CHECK_EQ_INT(http_parse_range("items=0-1", 100, &from, &len), 1);
	CHECK_EQ_INT(http_parse_range("bytes=0-1,5-6", 100, &from, &len), 1);
	CHECK_EQ_INT(http_parse_range("bytes=10-19", 100, &from, &len), 0);
	CHECK(from == 10 && len == 10);
	CHECK_EQ_INT(http_parse_range("bytes=90-", 100, &from, &len), 0);
	CHECK(from == 90 && len == 10);
	CHECK_EQ_INT(http_parse_range("bytes=90-1000", 100, &from, &len), 0); /* clamped to the end */
	CHECK(from == 90 && len == 10);
	CHECK_EQ_INT(http_parse_range("bytes=-10", 100, &from, &len), 0);
	CHECK(from == 90 && len == 10);
	CHECK_EQ_INT(http_parse_range("bytes=-1000", 100, &from, &len), 0);
	CHECK(from == 0 && len == 100);
	CHECK_EQ_INT(http_parse_range("bytes=0-0", 1, &from, &len), 0);
	CHECK(from == 0 && len == 1);
	const char *bad[] = {"bytes=100-", "bytes=5-3", "bytes=-0", "bytes=-", "bytes=", "bytes=a-b", "bytes= 1-2",
			     "bytes=+1-2", "bytes=1--2", "bytes=0-1x", "bytes=-5x", "bytes=99999999999999999999-",
			     "bytes=18446744073709551615-"};
	for (size_t i = 0; i < ML_ARRAY_LEN(bad); i++)
		CHECK(http_parse_range(bad[i], 100, &from, &len) == -1);
	CHECK_EQ_INT(http_parse_range("bytes=0-", 0, &from, &len), -1); /* nothing to serve in an empty file */
	CHECK_EQ_INT(http_parse_range("bytes=-1", 0, &from, &len), -1);
}

TEST(if_match_headers)
{
	int v = 0;
	CHECK(http_parse_if_match("\"3\"", &v) == 0 && v == 3);
	CHECK(http_parse_if_match("W/\"12\"", &v) == 0 && v == 12);
	CHECK(http_parse_if_match("7", &v) == 0 && v == 7);
	const char *bad[] = {"", "\"\"", "\"3", "3\"", "0", "-1", "+3", " 3", "\"3\" ", "3,4", "*", "abc",
			     "99999999999", "W/"};
	for (size_t i = 0; i < ML_ARRAY_LEN(bad); i++)
		CHECK(http_parse_if_match(bad[i], &v) == -1);
}

/* A stored schema that no longer parses: the message keeps the parser's reason after its own prefix (it
 * was formatted from err->msg into err->msg, overlapping buffers, which garbled or repeated the text). */
TEST(unusable_stored_schema_is_explained)
{
	struct store_item it = {.id = 1, .project_id = 1, .modality = STORE_MOD_TEXT, .text = "a note", .meta_json = "{}"};
	struct ml_err err;
	ml_err_clear(&err);
	struct ml_err want;
	struct label_schema *s = NULL;
	CHECK(label_schema_parse("{\"format\": 1}", 13, &s, &want) != 0);
	CHECK(http_annotation_validate(9, 3, "{\"format\": 1}", "{\"format\":1,\"results\":[]}", &it, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ECONFLICT);
	static const char prefix[] = "the project's schema version 3 cannot be used: ";
	CHECK(!strncmp(err.msg, prefix, sizeof prefix - 1));
	CHECK_EQ_STR(err.msg + sizeof prefix - 1, want.msg);
}

/* libmicrohttpd's response constructors return NULL when out of memory. This test binary's own definition
 * of MHD_create_response_from_buffer takes precedence over the library's (ELF symbol interposition), so
 * the server code under test sees it fail on demand; otherwise it forwards to the real one. */
static int mhd_fail_next; /* how many of the next calls fail */
struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	if (mhd_fail_next > 0) {
		mhd_fail_next--;
		return NULL;
	}
	typedef struct MHD_Response *(*real_fn)(size_t, void *, enum MHD_ResponseMemoryMode);
	static real_fn real;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "MHD_create_response_from_buffer");
	return real(size, buffer, mode);
}

static void fake_request(struct http_req *r)
{
	memset(r, 0, sizeof *r);
	r->path = "/api/v1/projects/1/tasks/2/annotations";
	r->method = "POST";
}

static void drop_request(struct http_req *r)
{
	if (r->pending)
		MHD_destroy_response(r->pending);
	r->pending = NULL;
}

TEST(failed_responses_become_503_or_a_closed_connection)
{
	struct http_req r;
	/* a JSON reply whose response cannot be made: a 503 with the security headers instead */
	fake_request(&r);
	mhd_fail_next = 1;
	CHECK_EQ_INT(http_reply_json(&r, 201, json_pack("{s:i}", "id", 7)), 0);
	CHECK(r.responded);
	CHECK_EQ_INT(r.status, 503);
	CHECK(r.pending != NULL);
	CHECK(r.pending && MHD_get_response_header(r.pending, "Content-Security-Policy") != NULL);
	CHECK(r.pending && !strncmp(MHD_get_response_header(r.pending, "Content-Type"), "application/json", 16));
	drop_request(&r);
	/* not even the 503 can be made: no response at all (the dispatcher closes the connection) and an
	 * error status, so the writer rolls the request's changes back */
	fake_request(&r);
	mhd_fail_next = 2;
	CHECK_EQ_INT(http_reply_json(&r, 201, json_pack("{s:i}", "id", 7)), -1);
	CHECK(r.responded);
	CHECK(r.pending == NULL);
	CHECK_EQ_INT(r.status, 503);
	CHECK_EQ_INT(r.err.code, ML_ENOMEM);
	/* the text helper frees its buffer when it cannot wrap it (ASan's leak check would say otherwise) */
	mhd_fail_next = 1;
	CHECK(http_response_json_text(strdup("{}")) == NULL);
	/* a handler building its own response: logout without a cookie session */
	fake_request(&r);
	r.path = "/api/v1/logout";
	mhd_fail_next = 1;
	CHECK_EQ_INT(h_logout(&r), 0);
	CHECK_EQ_INT(r.status, 503);
	CHECK(r.pending != NULL);
	drop_request(&r);
	/* and when nothing fails, the status asked for */
	fake_request(&r);
	CHECK_EQ_INT(http_reply_json(&r, 201, json_pack("{s:i}", "id", 7)), 0);
	CHECK_EQ_INT(r.status, 201);
	drop_request(&r);
	mhd_fail_next = 0;
}

/* A store failure inside a handler is a 5xx; only a real conflict (no lease on the task) is a 409. The
 * assignments table is renamed away behind the store's back, so every query on it fails with an SQLite
 * error, as a corrupt or unreadable database would. */
TEST(store_errors_in_handlers_are_5xx_not_409)
{
	char path[512];
	snprintf(path, sizeof path, "%s/handler_errors.db", test_tmpdir());
	remove(path);
	struct store *s = NULL;
	struct ml_err err;
	CHECK(store_open(path, &s, &err) == 0);
	if (!s)
		return;
	int64_t p, u, item, task;
	CHECK(store_project_create(s, "p", NULL, &p, &err) == 0);
	CHECK(store_user_create(s, "a", "", false, &u, &err) == 0);
	CHECK(store_member_set(s, p, u, STORE_ROLE_ANNOTATOR, &err) == 0);
	struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
				.meta_json = (char *)"{}", .text = (char *)"a note", .visible = true};
	CHECK(store_item_add(s, &it, 1, &item, &task, &err) == 0);

	struct http_req r;
	fake_request(&r);
	r.store = s;
	r.project_id = p;
	r.params[0] = p;
	r.params[1] = task;
	r.nparams = 2;
	r.authed = true;
	r.user.id = u;
	r.role = STORE_ROLE_ANNOTATOR;
	CHECK(store_project_get(s, p, &r.project, &err) == 0);
	/* the real conflict first: skipping a task nobody leased to you */
	CHECK_EQ_INT(h_task_skip(&r), -1);
	CHECK_EQ_INT(http_status_of(r.err.code), 409);

	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "ALTER TABLE assignments RENAME TO assignments_gone", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	ml_err_clear(&r.err);
	CHECK_EQ_INT(h_task_skip(&r), -1);
	CHECK(http_status_of(r.err.code) >= 500);
	ml_err_clear(&r.err);
	r.path = "/api/v1/projects/1/next";
	CHECK(h_next(&r) != 0 || r.status >= 500); /* the handler fails or answers 5xx itself */
	if (!r.responded)
		CHECK(http_status_of(r.err.code) >= 500);
	drop_request(&r);
	store_project_release(&r.project);
	store_close(s);
}
