/* sqlite_users.c: users, sessions, API tokens and login throttling in SQLite. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <string.h>

#define USER_COLS "id, name, password_hash, admin, disabled, created_at"

static void read_user(sqlite3_stmt *st, struct store_user *u)
{
	u->id = sqlite3_column_int64(st, 0);
	u->name = sq_col_dup(st, 1, false);
	u->password_hash = sq_col_dup(st, 2, false);
	u->admin = sqlite3_column_int(st, 3) != 0;
	u->disabled = sqlite3_column_int(st, 4) != 0;
	u->created_at = sqlite3_column_int64(st, 5);
}

/* Steps st once: a row fills *u, none is ML_ENOTFOUND naming `what`. Resets st. */
static int one_user(struct sq *q, sqlite3_stmt *st, struct store_user *u, const char *what, struct ml_err *err)
{
	memset(u, 0, sizeof *u);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_user(st, u);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a user");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "no such user %s", what) : -1;
}

int sq_user_create(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id,
		   struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO users(name, password_hash, admin, created_at) VALUES (?1, ?2, ?3, ?4)", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, name);
	sq_bind_str(st, 2, password_hash ? password_hash : "");
	sqlite3_bind_int(st, 3, admin);
	sqlite3_bind_int64(st, 4, ml_now_ms());
	if (sq_step_done(q, st, err, "creating a user")) {
		if (err && err->code == ML_EEXIST)
			ml_err_set(err, ML_EEXIST, "a user with that name already exists");
		return -1;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_user_get(struct store *s, int64_t id, struct store_user *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " USER_COLS " FROM users WHERE id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	char what[32];
	snprintf(what, sizeof what, "%lld", (long long)id);
	return one_user(q, st, out, what, err);
}

int sq_user_by_name(struct store *s, const char *name, struct store_user *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " USER_COLS " FROM users WHERE name = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, name);
	return one_user(q, st, out, "by that name", err);
}

int sq_user_list(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " USER_COLS " FROM users ORDER BY id", err);
	if (!st)
		return -1;
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_user u;
		read_user(st, &u);
		ret = cb(ctx, &u);
		store_user_release(&u);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing users");
	sqlite3_reset(st);
	return ret;
}

/* Runs an UPDATE bound to (?1 = value, ?2 = id) and reports ML_ENOTFOUND when no row matched. */
static int update_user(struct sq *q, const char *sql, int64_t id, int value, const char *text, struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, sql, err);
	if (!st)
		return -1;
	if (text)
		sq_bind_str(st, 1, text);
	else
		sqlite3_bind_int(st, 1, value);
	sqlite3_bind_int64(st, 2, id);
	if (sq_step_done(q, st, err, "updating a user"))
		return -1;
	if (sq_changes(q) == 0)
		return ml_err_set(err, ML_ENOTFOUND, "no such user %lld", (long long)id);
	return 0;
}

int sq_user_set_password(struct store *s, int64_t id, const char *password_hash, struct ml_err *err)
{
	return update_user((struct sq *)s, "UPDATE users SET password_hash = ?1 WHERE id = ?2", id, 0,
			   password_hash ? password_hash : "", err);
}

int sq_user_set_admin(struct store *s, int64_t id, bool admin, struct ml_err *err)
{
	return update_user((struct sq *)s, "UPDATE users SET admin = ?1 WHERE id = ?2", id, admin, NULL, err);
}

int sq_user_set_disabled(struct store *s, int64_t id, bool disabled, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (sq_txn_begin(q, err))
		return -1;
	int rc = update_user(q, "UPDATE users SET disabled = ?1 WHERE id = ?2", id, disabled, NULL, err);
	if (rc == 0 && disabled) {
		sqlite3_stmt *st = sq_prep(q, "DELETE FROM sessions WHERE user_id = ?1", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			rc = sq_step_done(q, st, err, "deleting sessions");
		}
		if (rc == 0) {
			st = sq_prep(q, "UPDATE tokens SET revoked = 1 WHERE user_id = ?1", err);
			rc = st ? 0 : -1;
			if (st) {
				sqlite3_bind_int64(st, 1, id);
				rc = sq_step_done(q, st, err, "revoking tokens");
			}
		}
	}
	return sq_txn_end(q, rc, err);
}

/* ---- sessions ---- */

int sq_session_create(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO sessions(user_id, token_hash, csrf, created_at, expires_at) "
				      "VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, in->user_id);
	sq_bind_str(st, 2, in->token_hash);
	sq_bind_str(st, 3, in->csrf);
	sqlite3_bind_int64(st, 4, in->created_at);
	sqlite3_bind_int64(st, 5, in->expires_at);
	if (sq_step_done(q, st, err, "creating a session"))
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_session_get(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT id, user_id, token_hash, csrf, created_at, expires_at FROM sessions "
				      "WHERE token_hash = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, token_hash);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->user_id = sqlite3_column_int64(st, 1);
		sq_col_copy(st, 2, out->token_hash, sizeof out->token_hash);
		sq_col_copy(st, 3, out->csrf, sizeof out->csrf);
		out->created_at = sqlite3_column_int64(st, 4);
		out->expires_at = sqlite3_column_int64(st, 5);
	} else if (rc != SQLITE_DONE) {
		sq_fail(q, err, "reading a session");
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "no such session") : -1;
}

int sq_session_delete(struct store *s, const char *token_hash, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "DELETE FROM sessions WHERE token_hash = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, token_hash);
	if (sq_step_done(q, st, err, "deleting a session"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no such session");
}

int sq_session_delete_user(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_str(st, 2, keep_hash ? keep_hash : "");
	return sq_step_done(q, st, err, "deleting sessions") ? -1 : 0;
}

int sq_session_delete_expired(struct store *s, int64_t now, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "DELETE FROM sessions WHERE expires_at <= ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	return sq_step_done(q, st, err, "deleting expired sessions");
}

/* ---- API tokens ---- */

#define TOKEN_COLS "id, user_id, name, token_hash, created_at, last_used_at, revoked"

static void read_token(sqlite3_stmt *st, struct store_token *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->user_id = sqlite3_column_int64(st, 1);
	t->name = sq_col_dup(st, 2, false);
	sq_col_copy(st, 3, t->token_hash, sizeof t->token_hash);
	t->created_at = sqlite3_column_int64(st, 4);
	t->last_used_at = sqlite3_column_int64(st, 5);
	t->revoked = sqlite3_column_int(st, 6) != 0;
}

int sq_token_create(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id,
		    struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO tokens(user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_str(st, 2, name ? name : "");
	sq_bind_str(st, 3, token_hash);
	sqlite3_bind_int64(st, 4, ml_now_ms());
	if (sq_step_done(q, st, err, "creating a token"))
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_token_by_hash(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT " TOKEN_COLS " FROM tokens WHERE token_hash = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, token_hash);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_token(st, out);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a token");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "no such token") : -1;
}

static int token_update(struct sq *q, const char *sql, int64_t id, int64_t v, struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_int64(st, 2, id);
	if (sq_step_done(q, st, err, "updating a token"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no such token %lld", (long long)id);
}

int sq_token_touch(struct store *s, int64_t id, int64_t now, struct ml_err *err)
{
	return token_update((struct sq *)s, "UPDATE tokens SET last_used_at = ?1 WHERE id = ?2", id, now, err);
}

int sq_token_revoke(struct store *s, int64_t id, struct ml_err *err)
{
	return token_update((struct sq *)s, "UPDATE tokens SET revoked = ?1 WHERE id = ?2", id, 1, err);
}

int sq_token_list(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx,
		  struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " TOKEN_COLS " FROM tokens WHERE ?1 = 0 OR user_id = ?1 ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_token t;
		read_token(st, &t);
		ret = cb(ctx, &t);
		store_token_release(&t);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing tokens");
	sqlite3_reset(st);
	return ret;
}

/* ---- login throttling ---- */

int sq_login_failure_add(struct store *s, const char *key, int64_t now, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO login_failures(key, at) VALUES (?1, ?2)", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	return sq_step_done(q, st, err, "recording a failed login");
}

int sq_login_failure_prune(struct store *s, int64_t before, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "DELETE FROM login_failures WHERE at < ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	return sq_step_done(q, st, err, "forgetting old failed logins");
}

int sq_login_failure_count(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	*count = 0;
	sqlite3_stmt *st = sq_prep(q, "SELECT count(*) FROM login_failures WHERE key = ?1 AND at >= ?2", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, key);
	sqlite3_bind_int64(st, 2, since);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		sq_fail(q, err, "counting failed logins");
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int sq_login_failure_clear(struct store *s, const char *key, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "DELETE FROM login_failures WHERE key = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, key);
	return sq_step_done(q, st, err, "clearing failed logins");
}
