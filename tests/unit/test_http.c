/* test_http.c: path patterns, the status mapping and the route table's invariants. */
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "http/http.h"

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
