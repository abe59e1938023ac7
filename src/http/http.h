/* http: the medlabel HTTP server (libmicrohttpd + jansson): the JSON API under /api/v1, media, the web UI.
 *
 * The route table (routes.c, http_routes()) is the single source of truth for what the server answers:
 * method, path pattern with {name} parameters (always positive integer ids), handler, who may call it and
 * whether the call is audited. The dispatcher (server.c) does everything that is the same for every route,
 * so handlers cannot forget it:
 *   - body limit checked against Content-Length before anything is allocated (413), bounded buffering,
 *     Content-Type checked (415), UTF-8 and JSON validated (400 with the byte offset);
 *   - authentication: `Authorization: Bearer mlt_...` API tokens or the `ml_session` cookie; cookie-
 *     authenticated writes need the session's CSRF token in `X-CSRF-Token` (403 otherwise);
 *   - authorisation: public, any user, admin only, or a set of project roles. A caller who is not a member
 *     of the project named in the path gets 404, exactly as for a project that does not exist;
 *   - one mapping from `enum ml_code` to an HTTP status (http_status_of), errors as
 *     {"error":{"code","message","field"}}. Handlers report outcomes as codes and pass store errors on
 *     unchanged, so a database failure is a 5xx and 409 means a real conflict (a stale version, no lease);
 *     only statuses that no result code stands for (401, 405, 415, 416, 428) are named directly;
 *   - security headers on every response (CSP without inline script, nosniff, Referrer-Policy, framing
 *     denied, HSTS under TLS);
 *   - an audit record (auth_audit_record) for every route that reads item content or writes anything,
 *     whatever the outcome, holding ids only;
 *   - group commit: audited requests run on one writer thread (server.c), many per transaction; a
 *     handler's changes and its audit record commit together, and the response is held (the connection
 *     suspended) until the commit, so a client is never told 201 for a change that was not saved.
 *     Routes marked HTTP_F_SLOW (password hashing, file copies) run on the worker threads instead and
 *     append their audit record in a transaction of their own. An in-process write lock orders the
 *     writer and those (SQLite has one writer anyway; a mutex hands the turn over at once where SQLite's
 *     busy handler would sleep and poll).
 * Each worker thread of the MHD thread pool opens its own store (the store is single-threaded).
 */
#ifndef ML_HTTP_H
#define ML_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"

struct http_config {
	const char *listen;   /* "ADDR:PORT", default 127.0.0.1:8080 */
	const char *data_dir; /* the deployment folder (medlabel.db, media/) */
	const char *db_url;   /* the database (--db); NULL = DATA_DIR/medlabel.db (store_url_for) */
	const char *web_dir;  /* static UI files; NULL = none found */
	const char *tls_cert, *tls_key; /* PEM files; both or neither */
	size_t max_body;      /* JSON bodies, default 8 MiB */
	uint64_t max_upload;  /* multipart uploads, default 1 GiB */
	unsigned threads;     /* worker threads, default one per core */
	int64_t must_change_uid; /* a user who may only change their password (the first-run admin), 0 = none */
};
void http_config_init(struct http_config *cfg);

/* Serves until SIGINT or SIGTERM. Returns 0 on a clean stop, -1 if the server cannot start. */
int http_serve(const struct http_config *cfg, struct ml_err *err) ML_MUST_CHECK;

/* ---- the route table ------------------------------------------------------------------------------ */

enum http_access {
	HTTP_PUBLIC = 0, /* no login needed */
	HTTP_USER,       /* any logged-in, enabled user */
	HTTP_ADMIN,      /* global admins only */
	HTTP_PROJECT     /* members of the project in the path with one of the route's roles (admins always) */
};

/* Bits of http_route.roles. */
#define HTTP_R_VIEWER (1u << STORE_ROLE_VIEWER)
#define HTTP_R_ANNOTATOR (1u << STORE_ROLE_ANNOTATOR)
#define HTTP_R_REVIEWER (1u << STORE_ROLE_REVIEWER)
#define HTTP_R_MANAGER (1u << STORE_ROLE_MANAGER)
#define HTTP_R_ALL (HTTP_R_VIEWER | HTTP_R_ANNOTATOR | HTTP_R_REVIEWER | HTTP_R_MANAGER)

/* Bits of http_route.flags. */
#define HTTP_F_AUDIT_READ 1u  /* reads item content: audited */
#define HTTP_F_AUDIT_WRITE 2u /* changes something: audited */
#define HTTP_F_JSON_BODY 4u   /* takes a JSON body (Content-Type application/json) */
#define HTTP_F_MULTIPART 8u   /* takes a multipart/form-data upload streamed to disk */
#define HTTP_F_SLOW 16u       /* hashes a password or copies a file: runs outside the write lock */

struct http_req;
typedef int (*http_handler)(struct http_req *r);

struct http_route {
	const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *pattern; /* "/api/v1/projects/{project}/tasks/{task}" */
	http_handler fn;
	enum http_access access;
	unsigned roles; /* for HTTP_PROJECT */
	unsigned flags;
	const char *action;  /* audit action, "annotation.create" */
	const char *summary;
};

/* All routes: the table of routes.c followed by those other modules registered (sorted by pattern, then
 * method, once the server starts). The dispatcher, --print-routes and the tests all read this one list. */
const struct http_route *http_routes(size_t *n);

/* Other modules add their routes from their own files, like CLI commands, and write the handler against
 * http/http_int.h (the request, replies, helpers):
 *
 *   static int h_quality(struct http_req *r);
 *   HTTP_ROUTE(quality, {"GET", "/api/v1/projects/{project}/quality", h_quality, HTTP_PROJECT,
 *                        HTTP_R_MANAGER | HTTP_R_REVIEWER, 0, "quality.read", "agreement figures"});
 *
 * Registering a (method, pattern) that already exists aborts at start-up: two handlers for one route is a
 * bug that must not depend on link order. */
void http_route_register(const struct http_route *rt);
#define HTTP_ROUTE(id, ...)                                                                        \
	static const struct http_route http_route_##id = __VA_ARGS__;                              \
	__attribute__((constructor)) static void http_route_register_##id(void) { http_route_register(&http_route_##id); }
/* The table as JSON (for `medlabel serve --print-routes --json` and the authorisation-matrix test). */
int http_routes_json(struct ml_buf *b) ML_MUST_CHECK;

/* The one place where a handler's result code becomes an HTTP status. */
int http_status_of(enum ml_code code);

/* Matches path against pattern; on success fills up to max params (name pointers into pattern are not
 * kept: values only, in pattern order) and returns their count, else -1. Ids must be 1..2^63-1 decimal. */
int http_pattern_match(const char *pattern, const char *path, int64_t *values, int max);

#endif
