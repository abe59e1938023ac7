/* sqlite_projects.c: projects, members and versioned labeling schemas in SQLite. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROJECT_COLS "p.id, p.name, p.description, p.settings, " \
	"(SELECT coalesce(max(version), 0) FROM schemas WHERE project_id = p.id), p.created_at"

static void read_project(sqlite3_stmt *st, struct store_project *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->name = sq_col_dup(st, 1, false);
	p->description = sq_col_dup(st, 2, false);
	p->settings_json = sq_col_dup(st, 3, false);
	p->schema_version = sqlite3_column_int(st, 4);
	p->created_at = sqlite3_column_int64(st, 5);
}

static int one_project(struct sq *q, sqlite3_stmt *st, struct store_project *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_project(st, out);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a project");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "no such project") : -1;
}

int sq_project_create(struct store *s, const char *name, const char *description, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO projects(name, description, created_at) VALUES (?1, ?2, ?3)", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, name);
	sq_bind_str(st, 2, description ? description : "");
	sqlite3_bind_int64(st, 3, ml_now_ms());
	if (sq_step_done(q, st, err, "creating a project")) {
		if (err && err->code == ML_EEXIST)
			ml_err_set(err, ML_EEXIST, "a project named '%s' already exists", name);
		return -1;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_project_get(struct store *s, int64_t id, struct store_project *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " PROJECT_COLS " FROM projects p WHERE p.id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (one_project(q, st, out, err))
		return err && err->code == ML_ENOTFOUND ? ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)id) : -1;
	return 0;
}

int sq_project_find(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	char *end = NULL;
	long long id = strtoll(id_or_name, &end, 10);
	if (*id_or_name && end && !*end && id > 0) {
		struct ml_err e2;
		if (sq_project_get(s, id, out, &e2) == 0)
			return 0;
		if (e2.code != ML_ENOTFOUND) {
			if (err)
				*err = e2;
			return -1;
		}
	}
	sqlite3_stmt *st = sq_prep(q, "SELECT " PROJECT_COLS " FROM projects p WHERE p.name = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, id_or_name);
	if (one_project(q, st, out, err))
		return err && err->code == ML_ENOTFOUND ? ml_err_set(err, ML_ENOTFOUND, "no project '%s'", id_or_name) : -1;
	return 0;
}

int sq_project_list(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " PROJECT_COLS " FROM projects p ORDER BY p.id", err);
	if (!st)
		return -1;
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_project p;
		read_project(st, &p);
		ret = cb(ctx, &p);
		store_project_release(&p);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing projects");
	sqlite3_reset(st);
	return ret;
}

int sq_project_set_settings(struct store *s, int64_t id, const char *settings_json, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "UPDATE projects SET settings = ?1 WHERE id = ?2", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, settings_json ? settings_json : "{}");
	sqlite3_bind_int64(st, 2, id);
	if (sq_step_done(q, st, err, "updating project settings"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)id);
}

int sq_project_counts(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	/* One read transaction so the three counts agree with each other (unless the caller has one). */
	bool own = q->depth == 0;
	if (own && sq_exec(q, "BEGIN", err))
		return -1;
	int ret = 0, rc;
	sqlite3_stmt *st = sq_prep(q, "SELECT count(*) FROM items WHERE project_id = ?1", err);
	if (!st) {
		ret = -1;
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out->items = sqlite3_column_int64(st, 0);
	else
		ret = sq_fail(q, err, "counting items");
	sqlite3_reset(st);
	if (ret)
		goto done;
	st = sq_prep(q, "SELECT state, count(*) FROM tasks WHERE project_id = ?1 GROUP BY state", err);
	if (!st) {
		ret = -1;
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);
		if (state >= 0 && state < (int)ML_ARRAY_LEN(out->tasks_by_state))
			out->tasks_by_state[state] = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(q, err, "counting tasks");
	sqlite3_reset(st);
	if (ret)
		goto done;
	st = sq_prep(q, "SELECT count(*) FROM annotations a JOIN tasks t ON t.id = a.task_id WHERE t.project_id = ?1", err);
	if (!st) {
		ret = -1;
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out->annotations = sqlite3_column_int64(st, 0);
	else
		ret = sq_fail(q, err, "counting annotations");
	sqlite3_reset(st);
done:;
	struct ml_err ignore;
	if (own)
		(void)sq_exec(q, "COMMIT", &ignore);
	return ret;
}

/* ---- members ---- */

int sq_member_set(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (role == STORE_ROLE_NONE)
		return sq_member_remove(s, project_id, user_id, err);
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO members(project_id, user_id, role) VALUES (?1, ?2, ?3) "
				      "ON CONFLICT(project_id, user_id) DO UPDATE SET role = excluded.role", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int(st, 3, (int)role);
	if (sq_step_done(q, st, err, "setting a member")) {
		if (err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "no project %lld or no user %lld", (long long)project_id,
				   (long long)user_id);
		return -1;
	}
	return 0;
}

int sq_member_remove(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "DELETE FROM members WHERE project_id = ?1 AND user_id = ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, user_id);
	if (sq_step_done(q, st, err, "removing a member"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "user %lld is not a member of project %lld",
					      (long long)user_id, (long long)project_id);
}

int sq_member_role(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	*role = STORE_ROLE_NONE;
	sqlite3_stmt *st = sq_prep(q, "SELECT role FROM members WHERE project_id = ?1 AND user_id = ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, user_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*role = (enum store_role)sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a member");
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int sq_member_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx,
		   struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT m.user_id, u.name, m.role FROM members m JOIN users u ON u.id = m.user_id "
				      "WHERE m.project_id = ?1 ORDER BY u.name", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_member m = {
			.user_id = sqlite3_column_int64(st, 0),
			.user_name = (const char *)sqlite3_column_text(st, 1),
			.role = (enum store_role)sqlite3_column_int(st, 2),
		};
		if ((ret = cb(ctx, &m)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing members");
	sqlite3_reset(st);
	return ret;
}

/* ---- schemas ---- */

int sq_schema_add(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version,
		  struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (sq_txn_begin(q, err))
		return -1;
	int v = 0, rc = 0;
	sqlite3_stmt *st = sq_prep(q, "SELECT coalesce(max(version), 0) + 1 FROM schemas WHERE project_id = ?1", err);
	if (!st)
		rc = -1;
	if (!rc) {
		sqlite3_bind_int64(st, 1, project_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		else
			rc = sq_fail(q, err, "numbering a schema");
		sqlite3_reset(st);
	}
	if (!rc) {
		char hash[65];
		store_hash_hex(schema_json, strlen(schema_json), hash);
		st = sq_prep(q, "INSERT INTO schemas(project_id, version, body, hash, author_id, created_at) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, project_id);
			sqlite3_bind_int(st, 2, v);
			sq_bind_str(st, 3, schema_json);
			sq_bind_str(st, 4, hash);
			sq_bind_id(st, 5, author_id);
			sqlite3_bind_int64(st, 6, ml_now_ms());
			rc = sq_step_done(q, st, err, "storing a schema");
			if (rc && err && err->code == ML_ENOTFOUND)
				ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)project_id);
		}
	}
	if (sq_txn_end(q, rc, err))
		return -1;
	if (version)
		*version = v;
	return 0;
}

int sq_schema_get(struct store *s, int64_t project_id, int version, char **json, int *got_version, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	*json = NULL;
	sqlite3_stmt *st = sq_prep(q, "SELECT body, version FROM schemas WHERE project_id = ?1 AND "
				      "(?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int(st, 2, version);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*json = sq_col_dup(st, 0, false);
		if (got_version)
			*got_version = sqlite3_column_int(st, 1);
	} else if (rc != SQLITE_DONE) {
		sq_fail(q, err, "reading a schema");
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -1;
	if (version)
		return ml_err_set(err, ML_ENOTFOUND, "project %lld has no schema version %d", (long long)project_id, version);
	return ml_err_set(err, ML_ENOTFOUND, "project %lld has no schema", (long long)project_id);
}
