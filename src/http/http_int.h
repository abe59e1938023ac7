/* http_int.h: what the dispatcher shares with route handlers: those of this module and those other modules
 * register with HTTP_ROUTE (see http.h). */
#ifndef ML_HTTP_INT_H
#define ML_HTTP_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>

#include "http/http.h"

#define HTTP_MAX_PARAMS 4

struct http_server; /* server.c */

/* One request. Everything allocated for it comes from `arena` or is released by http_req_free. */
struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct ml_arena arena;
	struct store *store; /* this worker thread's store */
	const struct http_route *route;
	const char *method, *path;
	int64_t params[HTTP_MAX_PARAMS];
	int nparams;
	char client[64];
	int64_t started_ns;

	/* body */
	struct ml_buf body;
	bool body_too_large;
	json_t *json; /* parsed body for HTTP_F_JSON_BODY routes */

	/* multipart upload state (upload.c) */
	struct MHD_PostProcessor *pp;
	struct http_upload *upload;

	/* who is calling */
	bool authed, via_cookie;
	struct store_user user;
	char session_hash[65];
	char csrf[65];
	/* project routes */
	int64_t project_id;
	enum store_role role;
	struct store_project project;
	bool have_project;

	/* the outcome */
	struct MHD_Response *pending; /* queued by http_queue, handed to MHD after the commit */
	bool queued;                  /* handed to the writer thread, connection suspended */
	bool written;                 /* the writer has run it and committed; resume sends the response */
	struct http_req *next_queued;
	bool responded;
	int status;
	struct ml_err err;
	char object_suffix[32]; /* "/17" for a created object, appended to the audit object */
	int64_t audit_user;    /* for login: the user who logged in */
};

/* Server-wide settings the handlers need. */
struct http_server {
	struct http_config cfg;
	bool tls;
	char *web_dir;
	char db_path[4096];
};

/* ---- replies (server.c) --------------------------------------------------------------------------- */

/* Sets the response (taking resp) with the security headers, status and, for API responses, Cache-Control:
 * no-store. The dispatcher hands it to MHD once the request's transaction has committed. resp NULL (a
 * failed MHD_create_response_*) gives a 503, or -1 and a closed connection if none can be made. */
int http_queue(struct http_req *r, int status, struct MHD_Response *resp);
/* A response owning text (malloc'd JSON, freed on failure too) with its Content-Type; NULL if libmicrohttpd
 * cannot allocate one. Every MHD_create_response_* result goes to http_queue, which answers 503 for NULL
 * (or, without memory even for that, closes the connection): a handler never dereferences a NULL response. */
struct MHD_Response *http_response_json_text(char *text);
/* Sends a JSON value (stolen reference) with status. */
int http_reply_json(struct http_req *r, int status, json_t *v);
/* Sends {"error":{...}} from r->err (status from http_status_of) */
int http_reply_err(struct http_req *r);
/* Sends an error with an explicit protocol status (401, 405, 415, 416...). */
int http_reply_status(struct http_req *r, int status, const char *code, const char *field, const char *fmt, ...)
	ML_PRINTF(5, 6);
/* Handler shortcut: fill r->err and return -1. */
#define HTTP_FAIL(r, code, ...) ml_err_set(&(r)->err, (code), __VA_ARGS__)
#define HTTP_FAIL_FIELD(r, code, field, ...) ml_err_field(&(r)->err, (code), (field), __VA_ARGS__)

/* The in-process write lock (server.c). Handlers of HTTP_F_SLOW routes, which run on the worker threads,
 * take it around their writes (never around the slow part), so that they queue behind the writer thread
 * instead of sleeping in SQLite's busy handler. */
void http_write_lock(void);
void http_write_unlock(void);

/* ---- request helpers (util.c) --------------------------------------------------------------------- */

const char *http_header(struct http_req *r, const char *name);
const char *http_query(struct http_req *r, const char *name);
/* Parses a positive id query argument; 0 if absent. -1 with r->err if malformed. */
int http_query_id(struct http_req *r, const char *name, int64_t *out) ML_MUST_CHECK;
int http_query_int(struct http_req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out) ML_MUST_CHECK;

/* A Range header against a file of size bytes: 1 = serve the whole file (no header, another unit, or
 * several ranges), 0 = one range [*from, *from + *len), -1 = unsatisfiable (416). */
int http_parse_range(const char *header, uint64_t size, uint64_t *from, uint64_t *len);
/* An If-Match header naming an annotation version: "3", W/"3" or 3. 0 and *version, or -1. */
int http_parse_if_match(const char *header, int *version);

/* Checks that obj is an object whose keys are all in allowed (NULL-terminated); ML_EINVAL naming the first
 * unknown field as a JSON pointer. */
int http_json_only(struct http_req *r, json_t *obj, const char *const *allowed) ML_MUST_CHECK;
/* Gets a string member (required or not); ML_EINVAL with the field if of the wrong type. */
int http_json_str(struct http_req *r, json_t *obj, const char *key, bool required, const char **out) ML_MUST_CHECK;
int http_json_bool(struct http_req *r, json_t *obj, const char *key, bool *out) ML_MUST_CHECK; /* absent: unchanged */
/* Prefixes r->err.field with a JSON pointer ("/body"), for errors of a nested document. */
void http_err_prefix_field(struct http_req *r, const char *prefix);
/* Serialises a JSON value to text in the arena (compact, keys in insertion order). */
char *http_json_text(struct http_req *r, json_t *v);
/* Parses stored JSON text for a response; a null JSON value if the text does not parse. */
json_t *http_json_parse_stored(const char *text);

/* JSON views of store rows. */
json_t *http_user_json(const struct store_user *u);
json_t *http_project_json(const struct store_project *p, enum store_role role, bool admin);
json_t *http_item_json(const struct store_item *it, bool with_content);
json_t *http_task_json(const struct store_task *t);
json_t *http_annotation_json(const struct store_annotation *a);

/* The effective role name for audit and responses: "admin" for admins, else the project role or "user". */
const char *http_role_name(struct http_req *r);
bool http_is_admin(struct http_req *r);
/* Has the caller (in a project route) one of the roles? Admins count as every role. */
bool http_has_role(struct http_req *r, unsigned mask);

/* Loads a project object and checks it belongs to r->project_id (404 otherwise). Data minimisation: a caller
 * who is only an annotator reads an item's content only through a task they hold or held (404 for others),
 * and http_check_task_access applies the same rule to a task's content (predictions, comments). */
int http_load_task(struct http_req *r, int64_t id, struct store_task *out) ML_MUST_CHECK;
int http_load_item(struct http_req *r, int64_t id, struct store_item *out) ML_MUST_CHECK;
int http_check_task_access(struct http_req *r, int64_t task_id) ML_MUST_CHECK;

/* ---- handlers (h_*.c) ----------------------------------------------------------------------------- */

int h_health(struct http_req *r);
int h_login(struct http_req *r);
int h_logout(struct http_req *r);
int h_me(struct http_req *r);
int h_me_password(struct http_req *r);
int h_token_list(struct http_req *r);
int h_token_create(struct http_req *r);
int h_token_revoke(struct http_req *r);
int h_user_list(struct http_req *r);
int h_user_create(struct http_req *r);
int h_user_get(struct http_req *r);
int h_user_update(struct http_req *r);
int h_project_list(struct http_req *r);
int h_project_create(struct http_req *r);
int h_project_get(struct http_req *r);
int h_project_update(struct http_req *r);
int h_member_list(struct http_req *r);
int h_member_set(struct http_req *r);
int h_member_remove(struct http_req *r);
int h_schema_get(struct http_req *r);
int h_schema_set(struct http_req *r);
int h_item_list(struct http_req *r);
int h_item_create(struct http_req *r);
int h_item_upload(struct http_req *r);
int h_item_import(struct http_req *r);
int h_item_get(struct http_req *r);
int h_item_deid(struct http_req *r);
int h_item_media(struct http_req *r);
int h_item_history(struct http_req *r);
int h_item_frame(struct http_req *r);
int h_task_list(struct http_req *r);
int h_task_get(struct http_req *r);
int h_task_skip(struct http_req *r);
int h_prediction_list(struct http_req *r);
int h_schema_validate(struct http_req *r);
int h_next(struct http_req *r);
int h_annotation_list(struct http_req *r);
int h_annotation_create(struct http_req *r);
int h_annotation_get(struct http_req *r);
int h_annotation_update(struct http_req *r);
int h_review_list(struct http_req *r);
int h_review_create(struct http_req *r);
int h_comment_list(struct http_req *r);
int h_comment_create(struct http_req *r);
int h_export(struct http_req *r);
int h_audit_list(struct http_req *r);
int h_project_audit(struct http_req *r);
/* src/quality/h_quality.c */
int h_quality_get(struct http_req *r);
int h_adjudication_get(struct http_req *r);
int h_annotator_suspend(struct http_req *r);
int h_annotator_reinstate(struct http_req *r);
int h_adjudication_create(struct http_req *r);

/* Static files of the web UI (static.c): GET / and /static/...; returns 0 if it answered. */
int http_static(struct http_req *r);

/* Labeling-schema checks (validate.c, through the label module): a schema document, and an annotation
 * body against version `version` of a project's schema (cached per thread) and what the item tells
 * (its text; a DICOM item's size and frame count; a survey's question ids). ML_EINVAL with err->field a JSON pointer relative to the checked document. */
int http_schema_validate(const char *schema_json, struct ml_err *err) ML_MUST_CHECK;
int http_annotation_validate(int64_t project_id, int version, const char *schema_json, const char *body_json,
			     const struct store_item *it, struct ml_err *err) ML_MUST_CHECK;

/* The web folder: `configured` (--web), else web/ beside the binary's checkout, else ./web; NULL if none.
 * The result is malloc'd (free()). */
char *http_find_web_dir(const char *configured);

/* Multipart upload plumbing (upload.c). */
int http_upload_begin(struct http_req *r) ML_MUST_CHECK;
int http_upload_feed(struct http_req *r, const char *data, size_t n) ML_MUST_CHECK;
void http_upload_free(struct http_req *r);
/* What an upload received: the temporary file (removed with the request unless forgotten) and its name. */
struct http_upload_info {
	bool have_file;
	uint64_t size;
	const char *tmp_path, *filename, *media_type;
};
void http_upload_info(struct http_req *r, struct http_upload_info *out);
void http_upload_forget_tmp(struct http_req *r); /* the caller moved the file and removes it itself */
/* The project's task overlap setting (1 when unset). */
int http_project_overlap(struct http_req *r);

#endif
