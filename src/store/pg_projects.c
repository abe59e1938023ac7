/* pg_projects.c: projects, members and versioned labeling schemas in PostgreSQL. */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROJECT_COLS "p.id, p.name, p.description, p.settings, " \
	"(SELECT coalesce(max(version), 0) FROM schemas WHERE project_id = p.id), p.created_at"

static void read_project(const PGresult *r, int i, struct store_project *p)
{
	p->id = pg_i64(r, i, 0);
	p->name = pg_dup(r, i, 1, false);
	p->description = pg_dup(r, i, 2, false);
	p->settings_json = pg_dup(r, i, 3, false);
	p->schema_version = pg_int(r, i, 4);
	p->created_at = pg_i64(r, i, 5);
}

/* 0 with *out filled, 1 when there is no row, -1 on error. */
static int one_project(PGresult *r, struct store_project *out)
{
	memset(out, 0, sizeof *out);
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		read_project(r, 0, out);
	PQclear(r);
	return found ? 0 : 1;
}

int pq_project_create(struct store *s, const char *name, const char *description, int64_t *id, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	struct pq_args a = {0};
	pa_str(&a, name);
	pa_str(&a, description ? description : "");
	pa_i64(&a, ml_now_ms());
	PGresult *r = pq_run_sp(q, "INSERT INTO projects(name, description, created_at) VALUES ($1, $2, $3) RETURNING id", &a, err,
			     "creating a project");
	if (r && id)
		*id = pg_i64(r, 0, 0);
	int rc = r ? 0 : -1;
	PQclear(r);
	if (rc) {
		if (err && err->code == ML_EEXIST)
			ml_err_set(err, ML_EEXIST, "a project named '%s' already exists", name);
		return -1;
	}
	return 0;
}

int pq_project_get(struct store *s, int64_t id, struct store_project *out, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, id);
	int rc = one_project(pq_run((struct pq *)s, "SELECT " PROJECT_COLS " FROM projects p WHERE p.id = $1", &a, err,
				    "reading a project"), out);
	if (rc == 1)
		return ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)id);
	return rc;
}

int pq_project_find(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err)
{
	char *end = NULL;
	long long id = strtoll(id_or_name, &end, 10);
	if (*id_or_name && end && !*end && id > 0) {
		struct ml_err e2;
		if (pq_project_get(s, id, out, &e2) == 0)
			return 0;
		if (e2.code != ML_ENOTFOUND) {
			if (err)
				*err = e2;
			return -1;
		}
	}
	struct pq_args a = {0};
	pa_str(&a, id_or_name);
	int rc = one_project(pq_run((struct pq *)s, "SELECT " PROJECT_COLS " FROM projects p WHERE p.name = $1", &a, err,
				    "reading a project"), out);
	if (rc == 1)
		return ml_err_set(err, ML_ENOTFOUND, "no project '%s'", id_or_name);
	return rc;
}

int pq_project_list(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx, struct ml_err *err)
{
	PGresult *r = pq_run((struct pq *)s, "SELECT " PROJECT_COLS " FROM projects p ORDER BY p.id", NULL, err, "listing projects");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_project p;
		read_project(r, i, &p);
		ret = cb(ctx, &p);
		store_project_release(&p);
	}
	PQclear(r);
	return ret;
}

int pq_project_set_settings(struct store *s, int64_t id, const char *settings_json, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	struct pq_args a = {0};
	pa_str(&a, settings_json ? settings_json : "{}");
	pa_i64(&a, id);
	int64_t n = 0;
	int rc = pq_do_sp(q, "UPDATE projects SET settings = $1 WHERE id = $2", &a, &n, err, "updating project settings");
	if (rc == 0 && n == 0)
		rc = ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)id);
	return rc;
}

int pq_project_counts(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	memset(out, 0, sizeof *out);
	/* One snapshot so the three counts agree with each other (unless the caller has a transaction). */
	bool own;
	if (pq_read_begin(q, &own, err))
		return -1;
	struct pq_args a = {0};
	pa_i64(&a, id);
	int ret = 0;
	PGresult *r = pq_run(q, "SELECT count(*) FROM items WHERE project_id = $1", &a, err, "counting items");
	if (r)
		out->items = pg_i64(r, 0, 0);
	else
		ret = -1;
	PQclear(r);
	if (!ret) {
		r = pq_run(q, "SELECT state, count(*) FROM tasks WHERE project_id = $1 GROUP BY state", &a, err, "counting tasks");
		if (!r)
			ret = -1;
		for (int i = 0; r && i < PQntuples(r); i++) {
			int state = pg_int(r, i, 0);
			if (state >= 0 && state < (int)ML_ARRAY_LEN(out->tasks_by_state))
				out->tasks_by_state[state] = pg_i64(r, i, 1);
		}
		PQclear(r);
	}
	if (!ret) {
		r = pq_run(q, "SELECT count(*) FROM annotations a JOIN tasks t ON t.id = a.task_id WHERE t.project_id = $1", &a, err,
			   "counting annotations");
		if (r)
			out->annotations = pg_i64(r, 0, 0);
		else
			ret = -1;
		PQclear(r);
	}
	pq_read_end(q, own);
	return ret;
}

/* ---- members ---- */

int pq_member_set(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (role == STORE_ROLE_NONE)
		return pq_member_remove(s, project_id, user_id, err);
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_i64(&a, user_id);
	pa_i64(&a, (int)role);
	int rc = pq_do_sp(q, "INSERT INTO members(project_id, user_id, role) VALUES ($1, $2, $3) "
			  "ON CONFLICT(project_id, user_id) DO UPDATE SET role = excluded.role", &a, NULL, err, "setting a member");
	if (rc) {
		if (err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "no project %lld or no user %lld", (long long)project_id,
				   (long long)user_id);
		return -1;
	}
	return 0;
}

int pq_member_remove(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_i64(&a, user_id);
	int64_t n = 0;
	if (pq_do((struct pq *)s, "DELETE FROM members WHERE project_id = $1 AND user_id = $2", &a, &n, err, "removing a member"))
		return -1;
	return n ? 0 : ml_err_set(err, ML_ENOTFOUND, "user %lld is not a member of project %lld", (long long)user_id,
				  (long long)project_id);
}

int pq_member_role(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err)
{
	*role = STORE_ROLE_NONE;
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_i64(&a, user_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT role FROM members WHERE project_id = $1 AND user_id = $2", &a, err,
			     "reading a member");
	if (!r)
		return -1;
	if (PQntuples(r))
		*role = (enum store_role)pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

int pq_member_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx,
		   struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	/* COLLATE "C": byte order, as SQLite sorts, whatever the database's locale. */
	PGresult *r = pq_run((struct pq *)s, "SELECT m.user_id, u.name, m.role FROM members m JOIN users u ON u.id = m.user_id "
					     "WHERE m.project_id = $1 ORDER BY u.name COLLATE \"C\"", &a, err, "listing members");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_member m = {
			.user_id = pg_i64(r, i, 0),
			.user_name = pg_str(r, i, 1),
			.role = (enum store_role)pg_int(r, i, 2),
		};
		ret = cb(ctx, &m);
	}
	PQclear(r);
	return ret;
}

/* ---- schemas ---- */

int pq_schema_add(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version,
		  struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (pq_txn_begin(q, err))
		return -1;
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	/* The project row lock numbers versions one writer at a time across servers. */
	PGresult *r = pq_run(q, "SELECT (SELECT coalesce(max(version), 0) + 1 FROM schemas WHERE project_id = $1) "
				"FROM projects WHERE id = $1 FOR UPDATE", &a, err, "numbering a schema");
	int rc = r ? 0 : -1, v = 0;
	if (r && PQntuples(r) == 0)
		rc = ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)project_id);
	else if (r)
		v = pg_int(r, 0, 0);
	PQclear(r);
	if (!rc) {
		char hash[65];
		store_hash_hex(schema_json, strlen(schema_json), hash);
		struct pq_args b = {0};
		pa_i64(&b, project_id);
		pa_i64(&b, v);
		pa_str(&b, schema_json);
		pa_str(&b, hash);
		pa_id(&b, author_id);
		pa_i64(&b, ml_now_ms());
		rc = pq_do(q, "INSERT INTO schemas(project_id, version, body, hash, author_id, created_at) "
			      "VALUES ($1, $2, $3, $4, $5, $6)", &b, NULL, err, "storing a schema");
	}
	if (pq_txn_end(q, rc, err))
		return -1;
	if (version)
		*version = v;
	return 0;
}

int pq_schema_get(struct store *s, int64_t project_id, int version, char **json, int *got_version, struct ml_err *err)
{
	*json = NULL;
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_i64(&a, version);
	PGresult *r = pq_run((struct pq *)s, "SELECT body, version FROM schemas WHERE project_id = $1 AND "
					     "($2::integer = 0 OR version = $2) ORDER BY version DESC LIMIT 1", &a, err,
			     "reading a schema");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found) {
		*json = pg_dup(r, 0, 0, false);
		if (got_version)
			*got_version = pg_int(r, 0, 1);
	}
	PQclear(r);
	if (found)
		return 0;
	if (version)
		return ml_err_set(err, ML_ENOTFOUND, "project %lld has no schema version %d", (long long)project_id, version);
	return ml_err_set(err, ML_ENOTFOUND, "project %lld has no schema", (long long)project_id);
}
