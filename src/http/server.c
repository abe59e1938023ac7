/* server.c: the libmicrohttpd daemon, request lifecycle, dispatch, authentication, errors and headers. */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " \
	    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "            \
	    "form-action 'self'; frame-ancestors 'none'"

static struct http_server g_srv;
/* The user who must change their password first; checked against the store only for that user. */
static _Atomic int64_t must_change_uid;
/* Serialises this process's write transactions (see http.h). */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

void http_write_lock(void)
{
	pthread_mutex_lock(&write_lock);
}

void http_write_unlock(void)
{
	pthread_mutex_unlock(&write_lock);
}

/* ---- one store per worker thread ----------------------------------------------------------------- */

#define MAX_STORES 256
static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *all_stores[MAX_STORES];
static int nstores;
static __thread struct store *t_store;

static struct store *thread_store(struct ml_err *err)
{
	if (t_store)
		return t_store;
	struct store *s;
	if (store_open_in(g_srv.db_path, g_srv.cfg.data_dir, &s, err) != 0)
		return NULL;
	pthread_mutex_lock(&stores_lock);
	if (nstores < MAX_STORES)
		all_stores[nstores++] = s;
	pthread_mutex_unlock(&stores_lock);
	t_store = s;
	return s;
}

static void close_stores(void)
{
	pthread_mutex_lock(&stores_lock);
	for (int i = 0; i < nstores; i++)
		store_close(all_stores[i]);
	nstores = 0;
	pthread_mutex_unlock(&stores_lock);
}

/* ---- status mapping and replies ------------------------------------------------------------------ */

int http_status_of(enum ml_code code)
{
	switch (code) {
	case ML_OK: return 200;
	case ML_EINVAL: return 400;
	case ML_ENOTFOUND: return 404;
	case ML_ECONFLICT: return 409;
	case ML_EEXIST: return 409;
	case ML_EPERM: return 403;
	case ML_ELIMIT: return 413;
	case ML_EUNSUPPORTED: return 415;
	case ML_EBUSY: return 429;
	case ML_ENOMEM: return 503;
	case ML_EIO: return 500;
	case ML_EVERSION: return 500;
	}
	return 500;
}

void http_config_init(struct http_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "127.0.0.1:8080";
	cfg->data_dir = "./data";
	cfg->max_body = 8u << 20;
	cfg->max_upload = 1ull << 30;
	/* One worker per core: writes are serialised anyway, and more threads measured slower (more lock
	 * hand-offs and context switches per request, bench/RESULTS.md). */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->threads = (unsigned)(cores > 0 ? cores : 2);
}

/* The answer when libmicrohttpd cannot allocate a response: a fixed body that needs no allocation of ours. */
static const char nomem_body[] = "{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory: try again\",\"field\":null}}";

int http_queue(struct http_req *r, int status, struct MHD_Response *resp)
{
	if (r->pending)
		MHD_destroy_response(r->pending); /* cannot happen: one response per request */
	r->pending = NULL;
	r->responded = true;
	if (!resp) {
		/* MHD_create_response_* failed (out of memory): a 503 instead, and if even that cannot be made,
		 * no response at all: send_pending then closes the connection (the client sees it reset, never
		 * a success). A handler's writes are rolled back for any status >= 400. */
		status = 503;
		resp = MHD_create_response_from_buffer(sizeof nomem_body - 1, (void *)nomem_body, MHD_RESPMEM_PERSISTENT);
		r->status = status;
		if (!resp) {
			ml_err_set(&r->err, ML_ENOMEM, "out of memory");
			return -1;
		}
		MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	}
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	if (g_srv.tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
	if (!strncmp(r->path, "/api/", 5) && !MHD_get_response_header(resp, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	r->pending = resp;
	r->status = status;
	return 0;
}

struct MHD_Response *http_response_json_text(char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text); /* MHD takes ownership only of a response it made */
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	return resp;
}

/* Hands the response to MHD. MHD_NO (close the connection) when there is none: a request answered
 * without a response object could otherwise only wait for the connection timeout. */
static enum MHD_Result send_pending(struct http_req *r)
{
	if (!r->pending)
		return MHD_NO;
	enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, r->pending);
	if (ok != MHD_YES)
		ml_log(ML_LOG_WARN, "%s %s: cannot queue the response", r->method, r->route ? r->route->pattern : "static");
	MHD_destroy_response(r->pending);
	r->pending = NULL;
	return ok;
}

int http_reply_json(struct http_req *r, int status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	/* no text (out of memory, or v NULL because a json_pack failed): http_queue answers 503 */
	return http_queue(r, status, text ? http_response_json_text(text) : NULL);
}

static int reply_error(struct http_req *r, int status, const char *code, const char *field, const char *msg)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", json_string(msg));
	json_object_set_new(e, "field", field && *field ? json_string(field) : json_null());
	return http_reply_json(r, status, json_pack("{s:o}", "error", e));
}

int http_reply_err(struct http_req *r)
{
	if (r->err.code == ML_OK)
		ml_err_set(&r->err, ML_EIO, "internal error");
	int status = http_status_of(r->err.code);
	if (status >= 500)
		ml_log(ML_LOG_ERROR, "%s %s: %s", r->method, r->route ? r->route->pattern : r->path, r->err.msg);
	return reply_error(r, status, ml_code_name(r->err.code), r->err.field, r->err.msg);
}

int http_reply_status(struct http_req *r, int status, const char *code, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return reply_error(r, status, code, field, msg);
}

/* ---- authentication ------------------------------------------------------------------------------ */

static const char *cookie_value(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

/* Returns 0 when the caller is known (r->authed), 1 when anonymous, -1 on a store error. */
static int authenticate(struct http_req *r)
{
	const char *authz = http_header(r, "Authorization");
	int64_t now = ml_now_ms();
	struct ml_err err;
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return 1;
		const char *tok = authz + 7;
		while (*tok == ' ')
			tok++;
		if (strncmp(tok, AUTH_TOKEN_PREFIX, strlen(AUTH_TOKEN_PREFIX)) != 0 || strlen(tok) != 68)
			return 1;
		char hash[65];
		auth_secret_hash(tok, hash);
		struct store_token t;
		if (store_token_by_hash(r->store, hash, &t, &err) != 0)
			return err.code == ML_ENOTFOUND ? 1 : (r->err = err, -1);
		bool revoked = t.revoked;
		int64_t tid = t.id, uid = t.user_id, last = t.last_used_at;
		store_token_release(&t);
		if (revoked)
			return 1;
		if (store_user_get(r->store, uid, &r->user, &err) != 0)
			return err.code == ML_ENOTFOUND ? 1 : (r->err = err, -1);
		if (r->user.disabled) {
			store_user_release(&r->user);
			return 1;
		}
		/* Last use to the minute: a write per request would halve throughput for nothing. */
		if (now - last > 60000) {
			/* Under the write lock, so it never waits in SQLite's sleeping busy handler for the writer. */
			pthread_mutex_lock(&write_lock);
			if (store_token_touch(r->store, tid, now, &err) != 0)
				ml_log(ML_LOG_WARN, "cannot record use of token %lld: %s", (long long)tid, err.msg);
			pthread_mutex_unlock(&write_lock);
		}
		r->authed = true;
		return 0;
	}
	const char *sid = cookie_value(r, "ml_session");
	if (!sid || strlen(sid) != 64)
		return 1;
	auth_secret_hash(sid, r->session_hash);
	struct store_session ss;
	if (store_session_get(r->store, r->session_hash, &ss, &err) != 0)
		return err.code == ML_ENOTFOUND ? 1 : (r->err = err, -1);
	if (ss.expires_at <= now)
		return 1;
	if (store_user_get(r->store, ss.user_id, &r->user, &err) != 0)
		return err.code == ML_ENOTFOUND ? 1 : (r->err = err, -1);
	if (r->user.disabled) {
		store_user_release(&r->user);
		return 1;
	}
	memcpy(r->csrf, ss.csrf, sizeof r->csrf);
	r->authed = r->via_cookie = true;
	return 0;
}

/* ---- request lifecycle --------------------------------------------------------------------------- */

static void client_address(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(r->client, sizeof r->client, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client, sizeof r->client);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client, sizeof r->client);
}

static bool content_type_is(struct http_req *r, const char *want)
{
	const char *ct = http_header(r, "Content-Type");
	if (!ct)
		return false;
	size_t n = strlen(want);
	return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Finds the route; sets 404 / 405 replies itself. */
static int find_route(struct http_req *r)
{
	size_t n;
	const struct http_route *rt = http_routes(&n);
	bool path_matched = false;
	char allow[64] = "";
	for (size_t i = 0; i < n; i++) {
		int64_t vals[HTTP_MAX_PARAMS];
		int k = http_pattern_match(rt[i].pattern, r->path, vals, HTTP_MAX_PARAMS);
		if (k < 0)
			continue;
		if (!strcmp(rt[i].method, r->method)) {
			r->route = &rt[i];
			memcpy(r->params, vals, sizeof vals);
			r->nparams = k;
			return 0;
		}
		path_matched = true;
		size_t used = strlen(allow);
		snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", rt[i].method);
	}
	if (path_matched) {
		http_reply_status(r, 405, "method_not_allowed", NULL, "method %s not allowed here", r->method);
		return -1;
	}
	http_reply_status(r, 404, "not_found", NULL, "no such resource");
	return -1;
}

static int authorize(struct http_req *r)
{
	const struct http_route *rt = r->route;
	if (rt->access == HTTP_PUBLIC)
		return 0;
	int a = authenticate(r);
	if (a < 0)
		return http_reply_err(r), -1;
	if (a > 0)
		return http_reply_status(r, 401, "unauthenticated", NULL, "log in or send a valid API token"), -1;
	if (r->via_cookie && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		const char *tok = http_header(r, "X-CSRF-Token");
		if (!tok || !auth_secret_equal(tok, r->csrf))
			return http_reply_status(r, 403, "csrf", "X-CSRF-Token",
						 "missing or wrong X-CSRF-Token for a cookie-authenticated write"),
			       -1;
	}
	if (r->user.id == atomic_load(&must_change_uid)) {
		if (auth_must_change_user(r->store) != r->user.id) {
			atomic_store(&must_change_uid, 0);
		} else if (rt->fn != h_me && rt->fn != h_me_password && rt->fn != h_logout) {
			return http_reply_status(r, 403, "password_change_required", NULL,
						 "change the one-time password first (POST /api/v1/me/password)"),
			       -1;
		}
	}
	if (rt->access == HTTP_ADMIN && !r->user.admin)
		return http_reply_status(r, 403, "perm", NULL, "administrators only"), -1;
	if (rt->access != HTTP_PROJECT)
		return 0;
	r->project_id = r->params[0];
	struct ml_err err;
	enum store_role role = STORE_ROLE_NONE;
	if (store_member_role(r->store, r->project_id, r->user.id, &role, &err) != 0 && err.code != ML_ENOTFOUND) {
		r->err = err;
		return http_reply_err(r), -1;
	}
	r->role = role;
	if (role == STORE_ROLE_NONE && !r->user.admin)
		return http_reply_status(r, 404, "not_found", NULL, "no such resource"), -1;
	if (store_project_get(r->store, r->project_id, &r->project, &err) != 0) {
		if (err.code == ML_ENOTFOUND)
			return http_reply_status(r, 404, "not_found", NULL, "no such resource"), -1;
		r->err = err;
		return http_reply_err(r), -1;
	}
	r->have_project = true;
	if (!r->user.admin && !(rt->roles & (1u << role)))
		return http_reply_status(r, 403, "perm", NULL, "your role in this project does not allow this"), -1;
	return 0;
}

/* Everything decided from the request line and headers, before any body byte is read. */
static void begin(struct http_req *r)
{
	client_address(r);
	if (strncmp(r->path, "/api/", 5) != 0) {
		http_static(r);
		if (!r->responded)
			http_reply_status(r, 404, "not_found", NULL, "no such resource");
		return;
	}
	if (find_route(r) != 0)
		return;
	if (authorize(r) != 0)
		return;
	const struct http_route *rt = r->route;
	const char *cl = http_header(r, "Content-Length");
	uint64_t limit = (rt->flags & HTTP_F_MULTIPART) ? g_srv.cfg.max_upload
			 : (rt->flags & HTTP_F_JSON_BODY) ? g_srv.cfg.max_body
							  : 0;
	if (cl) {
		char *end;
		errno = 0;
		unsigned long long len = strtoull(cl, &end, 10);
		if (errno || *end || end == cl) {
			http_reply_status(r, 400, "invalid", "Content-Length", "malformed Content-Length");
			return;
		}
		if (len > limit) {
			r->body_too_large = true;
			if (limit == 0)
				http_reply_status(r, 400, "invalid", NULL, "this request takes no body");
			else
				http_reply_status(r, 413, "limit", NULL, "body of %llu bytes exceeds the limit of %llu", len,
						  (unsigned long long)limit);
			return;
		}
	}
	if (rt->flags & HTTP_F_JSON_BODY) {
		if (!content_type_is(r, "application/json")) {
			http_reply_status(r, 415, "unsupported", "Content-Type", "send Content-Type: application/json");
			return;
		}
		ml_buf_init(&r->body, g_srv.cfg.max_body);
	} else if (rt->flags & HTTP_F_MULTIPART) {
		if (!content_type_is(r, "multipart/form-data")) {
			http_reply_status(r, 415, "unsupported", "Content-Type", "send Content-Type: multipart/form-data");
			return;
		}
		if (http_upload_begin(r) != 0) {
			http_reply_err(r);
			return;
		}
	} else {
		ml_buf_init(&r->body, 1); /* no body expected: any byte is too many */
	}
}

static int parse_json_body(struct http_req *r)
{
	size_t bad;
	if (!ml_utf8_valid(r->body.data ? r->body.data : "", r->body.len, &bad))
		return HTTP_FAIL(r, ML_EINVAL, "body is not valid UTF-8 at byte %zu", bad);
	if (r->body.len == 0)
		return HTTP_FAIL(r, ML_EINVAL, "empty body: a JSON object is expected");
	json_error_t je;
	r->json = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!r->json)
		/* jansson counts the bytes consumed including the offending one; we report its 0-based offset. */
		return HTTP_FAIL(r, ML_EINVAL, "malformed JSON at byte %d: %s", je.position > 0 ? je.position - 1 : 0,
				 je.text);
	if (!json_is_object(r->json))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "", "a JSON object is expected");
	return 0;
}

/* Body checks common to every route; replies itself on failure. */
static void prepare(struct http_req *r)
{
	if (r->body_too_large) {
		if (r->route->flags & (HTTP_F_JSON_BODY | HTTP_F_MULTIPART))
			http_reply_status(r, 413, "limit", NULL, "body exceeds the limit");
		else
			http_reply_status(r, 400, "invalid", NULL, "this request takes no body");
		return;
	}
	if ((r->route->flags & HTTP_F_JSON_BODY) && parse_json_body(r) != 0)
		http_reply_err(r);
}

static void run_handler(struct http_req *r)
{
	int rc = r->route->fn(r);
	if (r->responded)
		return;
	if (rc == 0) /* a handler that reports success must have answered */
		ml_err_set(&r->err, ML_EIO, "handler gave no response");
	http_reply_err(r);
}

static void log_request(struct http_req *r)
{
	if (r->route)
		ml_log(ML_LOG_DEBUG, "%s %s %d user %lld %.2f ms", r->method, r->route->pattern, r->status,
		       (long long)(r->authed ? r->user.id : 0), (double)(ml_monotonic_ns() - r->started_ns) / 1e6);
}

static void audit_append(struct http_req *r)
{
	char object[96];
	snprintf(object, sizeof object, "%s%s", r->path + strlen("/api/v1/"), r->object_suffix);
	struct ml_err err;
	int64_t uid = r->authed ? r->user.id : r->audit_user;
	if (auth_audit_record(r->store, uid, http_role_name(r), r->route->action, object, r->client, r->status, &err) != 0)
		ml_log(ML_LOG_ERROR, "cannot append to the audit trail (%s %s): %s", r->route->action, object, err.msg);
}

/* Appends the audit record of an audited route that did not go through the writer (early refusals,
 * slow routes), under the write lock, then sends the response. */
static enum MHD_Result finish(struct http_req *r)
{
	bool audited = r->route && r->store && (r->route->flags & (HTTP_F_AUDIT_READ | HTTP_F_AUDIT_WRITE));
	if (audited) {
		pthread_mutex_lock(&write_lock);
		audit_append(r);
		pthread_mutex_unlock(&write_lock);
	}
	log_request(r);
	return send_pending(r);
}

/* ---- the writer: group commit of audited requests ------------------------------------------------- *
 *
 * Every request that writes (and every audited content read) runs on one writer thread with its own store,
 * many requests per transaction: the MHD thread suspends the connection and queues the request; the writer
 * takes everything queued, runs the handlers and appends their audit records in one transaction, commits,
 * and resumes the connections, whose responses go out only now. Each commit costs a WAL write and a few
 * lock system calls whatever it holds, so under load the cost per request falls with the batch size,
 * while a lone request waits for nobody. Requests see each other's changes in queue order, exactly as if
 * they had run one by one. */
#define WRITER_BATCH 256
#define WRITER_CKPT_PAGES 2048 /* 16 MiB of WAL (the helper thread starts at half) */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static struct http_req *queue_head, *queue_tail;
static bool writer_running, writer_stop;
static pthread_t writer_thread;

static bool enqueue(struct http_req *r)
{
	pthread_mutex_lock(&queue_lock);
	bool ok = writer_running && !writer_stop;
	if (ok) {
		r->queued = true;
		r->next_queued = NULL;
		if (queue_tail)
			queue_tail->next_queued = r;
		else
			queue_head = r;
		queue_tail = r;
		/* Suspend before the writer can resume it: still under the queue lock. */
		MHD_suspend_connection(r->conn);
		pthread_cond_signal(&queue_cond);
	}
	pthread_mutex_unlock(&queue_lock);
	return ok;
}

static void write_batch(struct store *s, struct http_req *batch)
{
	struct ml_err err;
	pthread_mutex_lock(&write_lock);
	bool open = store_begin(s, &err) == 0;
	if (!open)
		ml_log(ML_LOG_ERROR, "writer: cannot begin a transaction: %s", err.msg);
	for (struct http_req *r = batch; r; r = r->next_queued) {
		r->store = s;
		if (!open) {
			r->err = err;
			http_reply_err(r);
			continue;
		}
		/* Each request in its own savepoint: one that fails after some of its writes (an annotation stored,
		 * then the task's state not) must leave nothing behind in the batch's commit. Its audit record is
		 * appended outside, so refusals are recorded too. */
		if (store_begin(s, &r->err) != 0) {
			http_reply_err(r);
		} else {
			run_handler(r);
			if (r->status >= 400)
				store_rollback(s);
			else if (store_commit(s, &r->err) != 0) {
				store_rollback(s);
				if (r->pending)
					MHD_destroy_response(r->pending);
				r->pending = NULL;
				r->responded = false;
				http_reply_err(r);
			}
		}
		audit_append(r);
	}
	if (open && store_commit(s, &err) != 0) {
		store_rollback(s);
		ml_log(ML_LOG_ERROR, "writer: commit failed: %s", err.msg);
		for (struct http_req *r = batch; r; r = r->next_queued) {
			if (r->pending)
				MHD_destroy_response(r->pending);
			r->pending = NULL;
			r->responded = false;
			ml_err_set(&r->err, ML_EIO, "the change could not be saved");
			http_reply_err(r);
			audit_append(r);
		}
	}
	pthread_mutex_unlock(&write_lock);
}

static void *writer_main(void *arg)
{
	struct ml_err err;
	struct store *s = NULL;
	if (store_open_in(g_srv.db_path, g_srv.cfg.data_dir, &s, &err) != 0)
		ml_log(ML_LOG_ERROR, "writer: cannot open the store: %s", err.msg);
	for (;;) {
		pthread_mutex_lock(&queue_lock);
		while (!queue_head && !writer_stop)
			pthread_cond_wait(&queue_cond, &queue_lock);
		if (!queue_head && writer_stop) {
			pthread_mutex_unlock(&queue_lock);
			break;
		}
		struct http_req *batch = queue_head, *last = batch;
		for (int n = 1; n < WRITER_BATCH && last->next_queued; n++)
			last = last->next_queued;
		queue_head = last->next_queued;
		if (!queue_head)
			queue_tail = NULL;
		last->next_queued = NULL;
		pthread_mutex_unlock(&queue_lock);
		if (s) {
			write_batch(s, batch);
		} else {
			for (struct http_req *r = batch; r; r = r->next_queued) {
				ml_err_set(&r->err, ML_EIO, "the database cannot be opened");
				http_reply_err(r);
			}
		}
		for (struct http_req *r = batch, *next; r; r = next) {
			next = r->next_queued; /* r may be freed as soon as it is resumed */
			r->written = true;
			MHD_resume_connection(r->conn);
		}
		/* With the responses on their way, keep the WAL short (see store_wal_checkpoint): done here, no
		 * frame is appended during the pass, so it backfills the whole WAL and the next batch restarts it;
		 * each pass is short because it runs often. Under the write lock: the slow routes' writes wait for it
		 * rather than race it. */
		if (s) {
			pthread_mutex_lock(&write_lock);
			if (store_wal_checkpoint(s, WRITER_CKPT_PAGES, &err) != 0)
				ml_log(ML_LOG_WARN, "writer: checkpoint failed: %s", err.msg);
			pthread_mutex_unlock(&write_lock);
		}
	}
	if (s)
		store_close(s);
	return NULL;
}

static void req_free(struct http_req *r)
{
	if (r->pending)
		MHD_destroy_response(r->pending);
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	http_upload_free(r);
	if (r->json)
		json_decref(r->json);
	ml_buf_release(&r->body);
	if (r->authed)
		store_user_release(&r->user);
	if (r->have_project)
		store_project_release(&r->project);
	ml_arena_release(&r->arena);
	ml_free(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_req *r = *con_cls;
	if (!r) {
		r = ml_calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->srv = &g_srv;
		r->conn = conn;
		ml_arena_init(&r->arena, 4096);
		r->started_ns = ml_monotonic_ns();
		r->method = ml_arena_strdup(&r->arena, method);
		r->path = ml_arena_strdup(&r->arena, url);
		r->store = thread_store(&r->err);
		if (!r->store) {
			http_reply_err(r);
			return send_pending(r);
		}
		begin(r);
		if (r->responded)
			return finish(r);
		return MHD_YES;
	}
	if (r->written) { /* resumed by the writer: the response is ready */
		log_request(r);
		return send_pending(r);
	}
	if (r->responded) {
		*upload_data_size = 0; /* discard the rest of a refused body */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (r->pp) {
			if (MHD_post_process(r->pp, upload_data, *upload_data_size) != MHD_YES && !r->body_too_large &&
			    r->err.code == ML_OK)
				ml_err_set(&r->err, ML_EINVAL, "malformed multipart body");
		} else if (!r->body_too_large && ml_buf_append(&r->body, upload_data, *upload_data_size) != 0) {
			r->body_too_large = true;
			ml_buf_release(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	prepare(r);
	if (!r->responded && (r->route->flags & (HTTP_F_AUDIT_READ | HTTP_F_AUDIT_WRITE)) &&
	    !(r->route->flags & HTTP_F_SLOW) && enqueue(r))
		return MHD_YES;
	if (!r->responded)
		run_handler(r);
	return finish(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;
	if (!r)
		return;
	if (r->route && !r->responded)
		ml_log(ML_LOG_DEBUG, "%s %s: connection ended before a response", r->method, r->route->pattern);
	req_free(r);
	*con_cls = NULL;
}

/* ---- starting and stopping ----------------------------------------------------------------------- */

/* Lets the writer finish what is queued; requests arriving later run inline (see enqueue). */
static void stop_writer(void)
{
	pthread_mutex_lock(&queue_lock);
	writer_stop = true;
	pthread_cond_signal(&queue_cond);
	pthread_mutex_unlock(&queue_lock);
	pthread_join(writer_thread, NULL);
	pthread_mutex_lock(&queue_lock);
	writer_running = false;
	pthread_mutex_unlock(&queue_lock);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct ml_err *err)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return ml_err_set(err, ML_EINVAL, "listen address '%s' lacks ':PORT'", listen);
	char host[64];
	size_t hn = (size_t)(colon - listen);
	if (hn >= sizeof host)
		return ml_err_set(err, ML_EINVAL, "listen address '%s' too long", listen);
	memcpy(host, listen, hn);
	host[hn] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return ml_err_set(err, ML_EINVAL, "bad port in listen address '%s'", listen);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "") || !strcmp(host, "*"))
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return ml_err_set(err, ML_EINVAL, "listen address '%s' is not an IPv4 address", listen);
	return 0;
}

int http_serve(const struct http_config *cfg, struct ml_err *err)
{
	memset(&g_srv, 0, sizeof g_srv);
	g_srv.cfg = *cfg;
	if (store_url_for(cfg->db_url, cfg->data_dir, g_srv.db_path, sizeof g_srv.db_path, err) != 0)
		return -1;
	struct sockaddr_in sa;
	if (parse_listen(cfg->listen, &sa, err) != 0)
		return -1;
	if (auth_init() != 0)
		return ml_err_set(err, ML_EIO, "cannot initialise libsodium");
	atomic_store(&must_change_uid, cfg->must_change_uid);
	g_srv.web_dir = http_find_web_dir(cfg->web_dir);
	if (cfg->web_dir && !g_srv.web_dir)
		return ml_err_set(err, ML_EINVAL, "web folder '%s' not found", cfg->web_dir);
	char *cert = NULL, *key = NULL;
	size_t len;
	if (cfg->tls_cert || cfg->tls_key) {
		if (!cfg->tls_cert || !cfg->tls_key)
			return ml_err_set(err, ML_EINVAL, "--tls-cert and --tls-key go together");
		if (ml_file_read(cfg->tls_cert, 1 << 20, &cert, &len, err) != 0)
			return -1;
		if (ml_file_read(cfg->tls_key, 1 << 20, &key, &len, err) != 0) {
			ml_free(cert);
			return -1;
		}
		g_srv.tls = true;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the worker threads inherit the mask; we sigwait below */
	signal(SIGPIPE, SIG_IGN);

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (g_srv.tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 4, NULL},
		{MHD_OPTION_SOCK_ADDR, 0, &sa},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
		{MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, 4096, NULL},
		{g_srv.tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
		{g_srv.tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key},
		{MHD_OPTION_END, 0, NULL},
	};
	writer_stop = false;
	if (pthread_create(&writer_thread, NULL, writer_main, NULL) != 0) {
		ml_free(cert);
		ml_free(key);
		return ml_err_set(err, ML_EIO, "cannot start the writer thread");
	}
	writer_running = true;
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, opts,
						MHD_OPTION_END);
	if (!d) {
		stop_writer();
		ml_free(cert);
		ml_free(key);
		return ml_err_set(err, ML_EIO, "cannot listen on %s (in use, or TLS files invalid)", cfg->listen);
	}
	printf("medlabel: serving on %s://%s (%u threads)\n", g_srv.tls ? "https" : "http", cfg->listen,
	       cfg->threads);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	ml_log(ML_LOG_INFO, "stopping on signal %d", sig);
	MHD_quiesce_daemon(d);
	stop_writer(); /* drains the queue and resumes every suspended connection */
	MHD_stop_daemon(d);
	close_stores();
	free(g_srv.web_dir);
	ml_free(cert);
	ml_free(key);
	return 0;
}
