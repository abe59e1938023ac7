/* h_account.c: handlers for login and logout, the caller's account and tokens, and user administration. */
#include "http/http_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int h_health(struct http_req *r)
{
	return http_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "ok", "version", ML_VERSION));
}

/* User names: 1..64 of [A-Za-z0-9._@-], so they are safe in every context we print them. */
static int check_user_name(struct http_req *r, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/name", "user name must have 1 to 64 characters");
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '-' || *c == '@'))
			return HTTP_FAIL_FIELD(r, ML_EINVAL, "/name", "user name may hold only letters, digits and . _ - @");
	return 0;
}

/* A hash to verify against when the name is unknown, so a wrong name costs the same time as a wrong
 * password and timing does not tell which accounts exist. */
static char dummy_hash[AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy_hash(void)
{
	char pw[33];
	struct ml_err err;
	auth_password_generate(pw, 32);
	if (auth_password_hash(pw, dummy_hash, &err) != 0)
		dummy_hash[0] = '\0';
}

int h_login(struct http_req *r)
{
	static const char *const allowed[] = {"name", "password", NULL};
	const char *name, *password;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "name", true, &name) ||
	    http_json_str(r, r->json, "password", true, &password))
		return -1;
	int64_t now = ml_now_ms();
	if (auth_login_allowed(r->store, name, r->client, now, &r->err) != 0)
		return -1;
	struct store_user u;
	struct ml_err err;
	bool ok = false;
	if (store_user_by_name(r->store, name, &u, &err) == 0) {
		ok = !u.disabled && auth_password_verify(u.password_hash, password);
		if (!ok)
			store_user_release(&u);
	} else if (err.code != ML_ENOTFOUND) {
		r->err = err;
		return -1;
	} else {
		pthread_once(&dummy_once, make_dummy_hash);
		(void)auth_password_verify(dummy_hash, password);
	}
	if (!ok) {
		http_write_lock();
		int rc = auth_login_failed(r->store, name, r->client, now, &r->err);
		http_write_unlock();
		if (rc != 0)
			return -1;
		return http_reply_status(r, 401, "unauthenticated", NULL, "wrong user name or password");
	}
	r->audit_user = u.id;
	struct store_session ss;
	memset(&ss, 0, sizeof ss);
	char secret[65];
	auth_secret_new(secret);
	auth_secret_hash(secret, ss.token_hash);
	auth_secret_new(ss.csrf);
	ss.user_id = u.id;
	ss.created_at = now;
	ss.expires_at = now + AUTH_SESSION_MS;
	int64_t sid;
	json_t *user = http_user_json(&u);
	store_user_release(&u);
	/* Logins are rare enough to carry the sweep of expired sessions. */
	http_write_lock();
	int wrc = auth_login_succeeded(r->store, name, &r->err) != 0 ||
		  store_session_delete_expired(r->store, now, &r->err) != 0 ||
		  store_session_create(r->store, &ss, &sid, &r->err) != 0;
	http_write_unlock();
	if (wrc) {
		json_decref(user);
		return -1;
	}
	char *cookie = ml_arena_printf(&r->arena, "ml_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
				       secret, (long long)(AUTH_SESSION_MS / 1000), r->srv->tls ? "; Secure" : "");
	json_t *body = json_pack("{s:o,s:s,s:b}", "user", user, "csrf", ss.csrf, "must_change_password",
				 auth_must_change_user(r->store) == ss.user_id);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	struct MHD_Response *resp = http_response_json_text(text);
	if (resp)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	return http_queue(r, 200, resp); /* 503 without a response: the session is never handed out */
}

int h_logout(struct http_req *r)
{
	if (r->via_cookie && store_session_delete(r->store, r->session_hash, &r->err) != 0)
		return -1;
	static const char body[] = "{\"ok\":true}";
	struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (resp) {
		MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
		MHD_add_response_header(resp, "Set-Cookie", "ml_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	}
	return http_queue(r, 200, resp);
}

int h_me(struct http_req *r)
{
	json_t *o = http_user_json(&r->user);
	json_object_set_new(o, "must_change_password", json_boolean(auth_must_change_user(r->store) == r->user.id));
	if (r->via_cookie)
		json_object_set_new(o, "csrf", json_string(r->csrf));
	return http_reply_json(r, 200, o);
}

int h_me_password(struct http_req *r)
{
	static const char *const allowed[] = {"old_password", "new_password", NULL};
	const char *oldp, *newp;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "old_password", true, &oldp) ||
	    http_json_str(r, r->json, "new_password", true, &newp))
		return -1;
	/* Throttled like a login, on the same counters (this account, this address): whoever holds a stolen
	 * session or token must not be able to guess the current password here instead of at the login. */
	int64_t now = ml_now_ms();
	if (auth_login_allowed(r->store, r->user.name, r->client, now, &r->err) != 0)
		return -1;
	if (!auth_password_verify(r->user.password_hash, oldp)) {
		http_write_lock();
		int frc = auth_login_failed(r->store, r->user.name, r->client, now, &r->err);
		http_write_unlock();
		if (frc != 0)
			return -1;
		return HTTP_FAIL_FIELD(r, ML_EPERM, "/old_password", "the current password is wrong");
	}
	char hash[AUTH_HASH_MAX];
	if (auth_password_hash(newp, hash, &r->err) != 0) {
		snprintf(r->err.field, sizeof r->err.field, "/new_password");
		return -1;
	}
	/* Whoever else is logged in as this user (with the old password) is logged out; this session stays. */
	http_write_lock();
	int rc = store_begin(r->store, &r->err) != 0;
	if (!rc) {
		rc = store_user_set_password(r->store, r->user.id, hash, &r->err) != 0 ||
		     store_session_delete_user(r->store, r->user.id, r->via_cookie ? r->session_hash : NULL, &r->err) != 0 ||
		     auth_must_change_clear(r->store, r->user.id, &r->err) != 0 ||
		     auth_login_succeeded(r->store, r->user.name, &r->err) != 0 || store_commit(r->store, &r->err) != 0;
		if (rc)
			store_rollback(r->store);
	}
	http_write_unlock();
	if (rc)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static json_t *token_json(const struct store_token *t)
{
	char ts[40], lu[40];
	ml_time_format(t->created_at, ts, sizeof ts);
	if (t->last_used_at)
		ml_time_format(t->last_used_at, lu, sizeof lu);
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:b}", "id", (json_int_t)t->id, "user_id", (json_int_t)t->user_id, "name",
			 t->name ? t->name : "", "created_at", ts, "last_used_at",
			 t->last_used_at ? json_string(lu) : json_null(), "revoked", t->revoked);
}

static int token_cb(void *ctx, const struct store_token *t)
{
	json_array_append_new(ctx, token_json(t));
	return 0;
}

int h_token_list(struct http_req *r)
{
	json_t *a = json_array();
	if (store_token_list(r->store, r->user.id, token_cb, a, &r->err) != 0) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "tokens", a));
}

int h_token_create(struct http_req *r)
{
	static const char *const allowed[] = {"name", NULL};
	const char *name;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "name", false, &name))
		return -1;
	if (name && strlen(name) > 100)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/name", "token name longer than 100 bytes");
	char *secret;
	int64_t id;
	if (auth_token_create(r->store, r->user.id, name ? name : "", &secret, &id, &r->err) != 0)
		return -1;
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, id);
	json_t *o = json_pack("{s:I,s:s}", "id", (json_int_t)id, "token", secret);
	ml_free(secret);
	return http_reply_json(r, 201, o);
}

/* Finds one token of a user (tokens are listed per user; there are few). */
struct token_find {
	int64_t id;
	bool found, revoked;
};
static int token_find_cb(void *ctx, const struct store_token *t)
{
	struct token_find *f = ctx;
	if (t->id == f->id) {
		f->found = true;
		f->revoked = t->revoked;
		return 1;
	}
	return 0;
}

int h_token_revoke(struct http_req *r)
{
	struct token_find f = {.id = r->params[0]};
	if (store_token_list(r->store, r->user.id, token_find_cb, &f, &r->err) < 0)
		return -1;
	if (!f.found && !r->user.admin)
		return HTTP_FAIL(r, ML_ENOTFOUND, "no such token");
	if (store_token_revoke(r->store, f.id, &r->err) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)f.id, "revoked", 1));
}

static int user_cb(void *ctx, const struct store_user *u)
{
	json_array_append_new(ctx, http_user_json(u));
	return 0;
}

int h_user_list(struct http_req *r)
{
	json_t *a = json_array();
	if (store_user_list(r->store, user_cb, a, &r->err) != 0) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "users", a));
}

int h_user_create(struct http_req *r)
{
	static const char *const allowed[] = {"name", "password", "admin", NULL};
	const char *name, *password;
	bool admin = false;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "name", true, &name) ||
	    http_json_str(r, r->json, "password", true, &password) || http_json_bool(r, r->json, "admin", &admin) ||
	    check_user_name(r, name))
		return -1;
	char hash[AUTH_HASH_MAX];
	int64_t id;
	if (auth_password_hash(password, hash, &r->err) != 0)
		return -1;
	http_write_lock();
	int rc = store_user_create(r->store, name, hash, admin, &id, &r->err);
	http_write_unlock();
	if (rc != 0)
		return -1;
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, id);
	struct store_user u;
	if (store_user_get(r->store, id, &u, &r->err) != 0)
		return -1;
	json_t *o = http_user_json(&u);
	store_user_release(&u);
	return http_reply_json(r, 201, o);
}

int h_user_get(struct http_req *r)
{
	struct store_user u;
	if (store_user_get(r->store, r->params[0], &u, &r->err) != 0)
		return -1;
	json_t *o = http_user_json(&u);
	store_user_release(&u);
	return http_reply_json(r, 200, o);
}

int h_user_update(struct http_req *r)
{
	static const char *const allowed[] = {"disabled", "admin", "password", NULL};
	int64_t id = r->params[0];
	struct store_user u;
	if (store_user_get(r->store, id, &u, &r->err) != 0)
		return -1;
	bool disabled = u.disabled, admin = u.admin;
	store_user_release(&u);
	const char *password;
	if (http_json_only(r, r->json, allowed) || http_json_bool(r, r->json, "disabled", &disabled) ||
	    http_json_bool(r, r->json, "admin", &admin) || http_json_str(r, r->json, "password", false, &password))
		return -1;
	if (id == r->user.id && (disabled || !admin))
		return HTTP_FAIL(r, ML_ECONFLICT, "an administrator cannot disable or demote themselves");
	char hash[AUTH_HASH_MAX];
	if (password && auth_password_hash(password, hash, &r->err) != 0)
		return -1;
	http_write_lock();
	if (store_begin(r->store, &r->err) != 0) {
		http_write_unlock();
		return -1;
	}
	if (store_user_set_disabled(r->store, id, disabled, &r->err) != 0 ||
	    store_user_set_admin(r->store, id, admin, &r->err) != 0 ||
	    (password && (store_user_set_password(r->store, id, hash, &r->err) != 0 ||
			  store_session_delete_user(r->store, id, NULL, &r->err) != 0)) ||
	    store_commit(r->store, &r->err) != 0) {
		store_rollback(r->store);
		http_write_unlock();
		return -1;
	}
	http_write_unlock();
	if (store_user_get(r->store, id, &u, &r->err) != 0)
		return -1;
	json_t *o = http_user_json(&u);
	store_user_release(&u);
	return http_reply_json(r, 200, o);
}
