/* pg_users.c: users, sessions, API tokens and login throttling in PostgreSQL. */
#include "store/pg_int.h"

#include <stdio.h>
#include <string.h>

#define USER_COLS "id, name, password_hash, admin, disabled, created_at"

static void read_user(const PGresult *r, int i, struct store_user *u)
{
	u->id = pg_i64(r, i, 0);
	u->name = pg_dup(r, i, 1, false);
	u->password_hash = pg_dup(r, i, 2, false);
	u->admin = pg_int(r, i, 3) != 0;
	u->disabled = pg_int(r, i, 4) != 0;
	u->created_at = pg_i64(r, i, 5);
}

static int one_user(PGresult *r, struct store_user *u, const char *what, struct ml_err *err)
{
	memset(u, 0, sizeof *u);
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		read_user(r, 0, u);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "no such user %s", what);
}

/* Runs an INSERT ... RETURNING id inside a savepoint when the caller has a transaction. */
static int insert_id(struct pq *q, const char *sql, const struct pq_args *a, int64_t *id, struct ml_err *err,
		     const char *what)
{
	PGresult *r = pq_run_sp(q, sql, a, err, what);
	int rc = r ? 0 : -1;
	if (r && id)
		*id = PQntuples(r) ? pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return rc;
}

int pq_user_create(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id,
		   struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	struct pq_args a = {0};
	pa_str(&a, name);
	pa_str(&a, password_hash ? password_hash : "");
	pa_i64(&a, admin);
	pa_i64(&a, ml_now_ms());
	if (insert_id(q, "INSERT INTO users(name, password_hash, admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id", &a,
		      id, err, "creating a user")) {
		if (err && err->code == ML_EEXIST)
			ml_err_set(err, ML_EEXIST, "a user with that name already exists");
		return -1;
	}
	return 0;
}

int pq_user_get(struct store *s, int64_t id, struct store_user *out, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	struct pq_args a = {0};
	pa_i64(&a, id);
	char what[32];
	snprintf(what, sizeof what, "%lld", (long long)id);
	return one_user(pq_run(q, "SELECT " USER_COLS " FROM users WHERE id = $1", &a, err, "reading a user"), out, what, err);
}

int pq_user_by_name(struct store *s, const char *name, struct store_user *out, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	struct pq_args a = {0};
	pa_str(&a, name);
	return one_user(pq_run(q, "SELECT " USER_COLS " FROM users WHERE name = $1", &a, err, "reading a user"), out,
			"by that name", err);
}

int pq_user_list(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	PGresult *r = pq_run(q, "SELECT " USER_COLS " FROM users ORDER BY id", NULL, err, "listing users");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_user u;
		read_user(r, i, &u);
		ret = cb(ctx, &u);
		store_user_release(&u);
	}
	PQclear(r);
	return ret;
}

/* An UPDATE bound to ($1 = value, $2 = id) that reports ML_ENOTFOUND when no row matched. */
static int update_row(struct pq *q, const char *sql, int64_t id, int64_t value, const char *text, const char *noun,
		      struct ml_err *err)
{
	struct pq_args a = {0};
	if (text)
		pa_str(&a, text);
	else
		pa_i64(&a, value);
	pa_i64(&a, id);
	int64_t n = 0;
	int rc = pq_do_sp(q, sql, &a, &n, err, "updating a row");
	if (rc == 0 && n == 0)
		rc = ml_err_set(err, ML_ENOTFOUND, "no such %s %lld", noun, (long long)id);
	return rc;
}

int pq_user_set_password(struct store *s, int64_t id, const char *password_hash, struct ml_err *err)
{
	return update_row((struct pq *)s, "UPDATE users SET password_hash = $1 WHERE id = $2", id, 0,
			  password_hash ? password_hash : "", "user", err);
}

int pq_user_set_admin(struct store *s, int64_t id, bool admin, struct ml_err *err)
{
	return update_row((struct pq *)s, "UPDATE users SET admin = $1 WHERE id = $2", id, admin, NULL, "user", err);
}

int pq_user_set_disabled(struct store *s, int64_t id, bool disabled, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (pq_txn_begin(q, err))
		return -1;
	int rc = update_row(q, "UPDATE users SET disabled = $1 WHERE id = $2", id, disabled, NULL, "user", err);
	if (rc == 0 && disabled) {
		struct pq_args a = {0};
		pa_i64(&a, id);
		rc = pq_do(q, "DELETE FROM sessions WHERE user_id = $1", &a, NULL, err, "deleting sessions");
		if (rc == 0)
			rc = pq_do(q, "UPDATE tokens SET revoked = 1 WHERE user_id = $1", &a, NULL, err, "revoking tokens");
	}
	return pq_txn_end(q, rc, err);
}

/* ---- sessions ---- */

int pq_session_create(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, in->user_id);
	pa_str(&a, in->token_hash);
	pa_str(&a, in->csrf);
	pa_i64(&a, in->created_at);
	pa_i64(&a, in->expires_at);
	return insert_id((struct pq *)s, "INSERT INTO sessions(user_id, token_hash, csrf, created_at, expires_at) "
					 "VALUES ($1, $2, $3, $4, $5) RETURNING id", &a, id, err, "creating a session");
}

int pq_session_get(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_str(&a, token_hash);
	PGresult *r = pq_run(q, "SELECT id, user_id, token_hash, csrf, created_at, expires_at FROM sessions WHERE token_hash = $1",
			     &a, err, "reading a session");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found) {
		out->id = pg_i64(r, 0, 0);
		out->user_id = pg_i64(r, 0, 1);
		pg_copy(r, 0, 2, out->token_hash, sizeof out->token_hash);
		pg_copy(r, 0, 3, out->csrf, sizeof out->csrf);
		out->created_at = pg_i64(r, 0, 4);
		out->expires_at = pg_i64(r, 0, 5);
	}
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "no such session");
}

int pq_session_delete(struct store *s, const char *token_hash, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_str(&a, token_hash);
	int64_t n = 0;
	if (pq_do((struct pq *)s, "DELETE FROM sessions WHERE token_hash = $1", &a, &n, err, "deleting a session"))
		return -1;
	return n ? 0 : ml_err_set(err, ML_ENOTFOUND, "no such session");
}

int pq_session_delete_user(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, user_id);
	pa_str(&a, keep_hash ? keep_hash : "");
	return pq_do((struct pq *)s, "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", &a, NULL, err,
		     "deleting sessions");
}

int pq_session_delete_expired(struct store *s, int64_t now, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, now);
	return pq_do((struct pq *)s, "DELETE FROM sessions WHERE expires_at <= $1", &a, NULL, err,
		     "deleting expired sessions");
}

/* ---- API tokens ---- */

#define TOKEN_COLS "id, user_id, name, token_hash, created_at, last_used_at, revoked"

static void read_token(const PGresult *r, int i, struct store_token *t)
{
	t->id = pg_i64(r, i, 0);
	t->user_id = pg_i64(r, i, 1);
	t->name = pg_dup(r, i, 2, false);
	pg_copy(r, i, 3, t->token_hash, sizeof t->token_hash);
	t->created_at = pg_i64(r, i, 4);
	t->last_used_at = pg_i64(r, i, 5);
	t->revoked = pg_int(r, i, 6) != 0;
}

int pq_token_create(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id,
		    struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, user_id);
	pa_str(&a, name ? name : "");
	pa_str(&a, token_hash);
	pa_i64(&a, ml_now_ms());
	return insert_id((struct pq *)s, "INSERT INTO tokens(user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) "
					 "RETURNING id", &a, id, err, "creating a token");
}

int pq_token_by_hash(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_str(&a, token_hash);
	PGresult *r = pq_run(q, "SELECT " TOKEN_COLS " FROM tokens WHERE token_hash = $1", &a, err, "reading a token");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		read_token(r, 0, out);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "no such token");
}

int pq_token_touch(struct store *s, int64_t id, int64_t now, struct ml_err *err)
{
	return update_row((struct pq *)s, "UPDATE tokens SET last_used_at = $1 WHERE id = $2", id, now, NULL, "token", err);
}

int pq_token_revoke(struct store *s, int64_t id, struct ml_err *err)
{
	return update_row((struct pq *)s, "UPDATE tokens SET revoked = $1 WHERE id = $2", id, 1, NULL, "token", err);
}

int pq_token_list(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx,
		  struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, user_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT " TOKEN_COLS " FROM tokens WHERE $1::bigint = 0 OR user_id = $1 ORDER BY id",
			     &a, err, "listing tokens");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_token t;
		read_token(r, i, &t);
		ret = cb(ctx, &t);
		store_token_release(&t);
	}
	PQclear(r);
	return ret;
}

/* ---- login throttling ---- */

int pq_login_failure_add(struct store *s, const char *key, int64_t now, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_str(&a, key);
	pa_i64(&a, now);
	return pq_do((struct pq *)s, "INSERT INTO login_failures(key, at) VALUES ($1, $2)", &a, NULL, err,
		     "recording a failed login");
}

int pq_login_failure_prune(struct store *s, int64_t before, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, before);
	return pq_do((struct pq *)s, "DELETE FROM login_failures WHERE at < $1", &a, NULL, err, "forgetting old failed logins");
}

int pq_login_failure_count(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err)
{
	*count = 0;
	struct pq_args a = {0};
	pa_str(&a, key);
	pa_i64(&a, since);
	PGresult *r = pq_run((struct pq *)s, "SELECT count(*) FROM login_failures WHERE key = $1 AND at >= $2", &a, err,
			     "counting failed logins");
	if (!r)
		return -1;
	*count = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int pq_login_failure_clear(struct store *s, const char *key, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_str(&a, key);
	return pq_do((struct pq *)s, "DELETE FROM login_failures WHERE key = $1", &a, NULL, err, "clearing failed logins");
}
