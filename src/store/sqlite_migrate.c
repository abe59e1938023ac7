/* sqlite_migrate.c: the ordered list of schema migrations and applying them on open.
 *
 * Each entry brings the database from version N-1 to N, in its own write transaction, and records N in
 * PRAGMA user_version (the authority) and in the `migrations` table (when, by which medlabel). To change
 * the schema, append an entry: never edit a released one, since databases in the field already ran it.
 * tests/unit/test_store_migrate.c builds a database at every earlier version and migrates it, so a new
 * entry is tested without touching the test. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <string.h>

struct migration {
	int version;
	const char *what;
	const char *sql;
};

static const struct migration migrations[] = {
	{1, "core tables",
	 "CREATE TABLE migrations(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL,"
	 "  medlabel_version TEXT NOT NULL);"
	 "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	 "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	 "  password_hash TEXT NOT NULL DEFAULT '', admin INTEGER NOT NULL DEFAULT 0,"
	 "  disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	 "CREATE TABLE sessions(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  token_hash TEXT NOT NULL UNIQUE, csrf TEXT NOT NULL, created_at INTEGER NOT NULL,"
	 "  expires_at INTEGER NOT NULL);"
	 "CREATE INDEX sessions_user ON sessions(user_id);"
	 "CREATE TABLE tokens(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
	 "  last_used_at INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX tokens_user ON tokens(user_id);"
	 "CREATE TABLE login_failures(id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL);"
	 "CREATE INDEX login_failures_key ON login_failures(key, at);"
	 "CREATE TABLE projects(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	 "  description TEXT NOT NULL DEFAULT '', settings TEXT NOT NULL DEFAULT '{}',"
	 "  created_at INTEGER NOT NULL);"
	 "CREATE TABLE members(project_id INTEGER NOT NULL REFERENCES projects(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id), role INTEGER NOT NULL,"
	 "  PRIMARY KEY(project_id, user_id)) WITHOUT ROWID;"
	 "CREATE TABLE schemas(project_id INTEGER NOT NULL REFERENCES projects(id), version INTEGER NOT NULL,"
	 "  body TEXT NOT NULL, hash TEXT NOT NULL, author_id INTEGER REFERENCES users(id),"
	 "  created_at INTEGER NOT NULL, PRIMARY KEY(project_id, version));"
	 "CREATE TABLE items(id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
	 "  modality INTEGER NOT NULL, source INTEGER NOT NULL, patient_key TEXT NOT NULL DEFAULT '',"
	 "  meta TEXT NOT NULL DEFAULT '{}', text TEXT, media_hash TEXT, media_type TEXT,"
	 "  content_hash TEXT NOT NULL, external_ref TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,"
	 "  visible INTEGER NOT NULL DEFAULT 1);"
	 "CREATE INDEX items_project ON items(project_id, id);"
	 /* One task per item, so the task shares its item's id: no second index to keep on import. */
	 "CREATE TABLE tasks(id INTEGER PRIMARY KEY REFERENCES items(id), project_id INTEGER NOT NULL REFERENCES projects(id),"
	 "  item_id INTEGER NOT NULL REFERENCES items(id) CHECK (item_id = id), state INTEGER NOT NULL DEFAULT 0,"
	 "  overlap INTEGER NOT NULL DEFAULT 1, submitted INTEGER NOT NULL DEFAULT 0,"
	 "  gold INTEGER NOT NULL DEFAULT 0, priority REAL NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);"
	 "CREATE INDEX tasks_queue ON tasks(project_id, state, priority DESC, id);"
	 "CREATE TABLE assignments(task_id INTEGER NOT NULL REFERENCES tasks(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id), state INTEGER NOT NULL,"
	 "  leased_at INTEGER NOT NULL, lease_expires_at INTEGER NOT NULL,"
	 "  PRIMARY KEY(task_id, user_id)) WITHOUT ROWID;"
	 "CREATE INDEX assignments_user ON assignments(user_id, state);"
	 "CREATE TABLE annotations(id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id),"
	 "  user_id INTEGER REFERENCES users(id), model TEXT, model_version TEXT, kind TEXT NOT NULL,"
	 "  latest INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL);"
	 "CREATE INDEX annotations_task ON annotations(task_id, id);"
	 "CREATE TABLE annotation_versions(annotation_id INTEGER NOT NULL REFERENCES annotations(id),"
	 "  version INTEGER NOT NULL, author_id INTEGER REFERENCES users(id), schema_version INTEGER NOT NULL,"
	 "  body TEXT NOT NULL, seconds_spent REAL NOT NULL DEFAULT 0, validated INTEGER NOT NULL DEFAULT 0,"
	 "  created_at INTEGER NOT NULL, PRIMARY KEY(annotation_id, version)) WITHOUT ROWID;"
	 "CREATE TABLE predictions(id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id),"
	 "  model TEXT NOT NULL, model_version TEXT NOT NULL DEFAULT '', body TEXT NOT NULL,"
	 "  score REAL NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	 "CREATE INDEX predictions_task ON predictions(task_id, id);"
	 "CREATE TABLE reviews(id INTEGER PRIMARY KEY, annotation_id INTEGER NOT NULL REFERENCES annotations(id),"
	 "  annotation_version INTEGER NOT NULL, reviewer_id INTEGER NOT NULL REFERENCES users(id),"
	 "  decision INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);"
	 "CREATE INDEX reviews_annotation ON reviews(annotation_id, id);"
	 "CREATE TABLE comments(id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id), body TEXT NOT NULL, created_at INTEGER NOT NULL);"
	 "CREATE INDEX comments_task ON comments(task_id, id);"
	 "CREATE TABLE audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, user_id INTEGER NOT NULL DEFAULT 0,"
	 "  role TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, client TEXT NOT NULL,"
	 "  status INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	 "CREATE INDEX audit_at ON audit(at);"},
	{2, "snapshots, item content history, export and audit indexes",
	 "CREATE TABLE snapshots(id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
	 "  name TEXT NOT NULL, manifest TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL,"
	 "  UNIQUE(project_id, name));"
	 /* What a snapshot pinned: the content hash and task state of each item and the version of each
	  * annotation, so later edits leave the snapshot's export unchanged. */
	 "CREATE TABLE snapshot_items(snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
	 "  item_id INTEGER NOT NULL REFERENCES items(id), content_hash TEXT NOT NULL,"
	 "  task_state INTEGER NOT NULL, gold INTEGER NOT NULL, PRIMARY KEY(snapshot_id, item_id)) WITHOUT ROWID;"
	 "CREATE TABLE snapshot_annotations(snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
	 "  item_id INTEGER NOT NULL, annotation_id INTEGER NOT NULL REFERENCES annotations(id),"
	 "  version INTEGER NOT NULL, PRIMARY KEY(snapshot_id, item_id, annotation_id)) WITHOUT ROWID;"
	 /* Earlier contents of items whose text was replaced (de-identification), by content hash, so a
	  * snapshot taken before the edit re-exports the text it pinned. */
	 "CREATE TABLE item_history(item_id INTEGER NOT NULL REFERENCES items(id), content_hash TEXT NOT NULL,"
	 "  text TEXT, replaced_at INTEGER NOT NULL, PRIMARY KEY(item_id, content_hash)) WITHOUT ROWID;"
	 "CREATE INDEX audit_user ON audit(user_id, seq);"
	 "CREATE INDEX items_patient ON items(project_id, patient_key);"},
	/* quality module: each annotator's qualification per project (no row = in training). */
	{3, "annotator qualification",
	 "CREATE TABLE annotator_quality(project_id INTEGER NOT NULL REFERENCES projects(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id), state INTEGER NOT NULL DEFAULT 0,"
	 "  accuracy REAL NOT NULL DEFAULT 0, answers INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,"
	 "  PRIMARY KEY(project_id, user_id)) WITHOUT ROWID;"},
	/* The queue's next task in (priority, id) order straight from an index: with one index over all
	 * states, `state IN (open, in-progress) ORDER BY priority` sorted every open task on each lease.
	 * The partial index holds only open and in-progress tasks. */
	{4, "task queue index for leasing, task state index for listing",
	 "DROP INDEX tasks_queue;"
	 "CREATE INDEX tasks_open ON tasks(project_id, priority DESC, id) WHERE state IN (0, 1);"
	 "CREATE INDEX tasks_state ON tasks(project_id, state, id);"},
	/* tasks.full_until: a lower bound on when a slot of the task can free up by itself (the earliest live
	 * lease's expiry), set when a lease takes the last slot and cleared by anything that frees one
	 * (skip, release, an overlap change, a state change). In the queue index, so that the lease query
	 * steps over the tasks other annotators hold from the index alone: without it each lease read every
	 * held task's row and counted its assignments (64 connections, 64 held tasks at the head of the queue).
	 * A hint only: the slot count in the lease query still decides. */
	{5, "queue index skips fully leased tasks",
	 "ALTER TABLE tasks ADD COLUMN full_until INTEGER NOT NULL DEFAULT 0;"
	 "DROP INDEX tasks_open;"
	 "CREATE INDEX tasks_open ON tasks(project_id, priority DESC, id, full_until) WHERE state IN (0, 1);"},
	/* audit.scheme: how each record's hash was made. Records of older databases keep the unkeyed BLAKE2b
	 * chain they were written with (1); from now on records are chained with BLAKE2b keyed from the
	 * deployment secret (2), which someone who can write the database but lacks the secret cannot
	 * recompute. A migration cannot re-key the old records (the store does not hold the secret), and
	 * re-keying would erase the evidence the old chain carries; the first keyed record links to the
	 * last unkeyed one and so seals them (src/auth/auth.h). */
	{6, "audit records say how their hash was made",
	 "ALTER TABLE audit ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;"},
};

int sq_latest_version(void)
{
	return migrations[ML_ARRAY_LEN(migrations) - 1].version;
}

static int read_version(struct sq *q, int *v, struct ml_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sq_fail(q, err, "reading the schema version");
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Which medlabel wrote version v (for the refusal message); "an unknown version" if not recorded. */
static void writer_of(struct sq *q, int v, char *out, size_t outlen)
{
	sqlite3_stmt *st = NULL;
	snprintf(out, outlen, "an unknown version");
	if (sqlite3_prepare_v2(q->db, "SELECT medlabel_version FROM migrations WHERE version = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, v);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}

static int refuse_newer(struct sq *q, int v, struct ml_err *err)
{
	char writer[64];
	writer_of(q, v, writer, sizeof writer);
	const char *path = sqlite3_db_filename(q->db, "main");
	return ml_err_set(err, ML_EVERSION,
			  "database '%s' has schema version %d (written by medlabel %s); this medlabel %s knows "
			  "versions up to %d: upgrade medlabel",
			  path && *path ? path : ":memory:", v, writer, ML_VERSION, sq_latest_version());
}

static int apply(struct sq *q, const struct migration *m, struct ml_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(q->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
		ml_err_set(err, ML_EIO, "migration to schema version %d (%s) failed: %s", m->version, m->what,
			   msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	char sql[160];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", m->version);
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(q, err, "recording the schema version");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(q->db, "INSERT INTO migrations(version, applied_at, medlabel_version) VALUES (?1, ?2, ?3)",
			       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q, err, "recording a migration");
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_int64(st, 2, ml_now_ms());
	sqlite3_bind_text(st, 3, ML_VERSION, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q, err, "recording a migration");
	return 0;
}

int sq_migrate(struct sq *q, int upto, struct ml_err *err)
{
	int target = upto ? upto : sq_latest_version();
	int v;
	if (read_version(q, &v, err))
		return -1;
	if (v > sq_latest_version())
		return refuse_newer(q, v, err);
	for (size_t i = 0; i < ML_ARRAY_LEN(migrations) && v < target; i++) {
		const struct migration *m = &migrations[i];
		if (m->version <= v)
			continue;
		if (sq_txn_begin(q, err))
			return -1;
		/* Another process may have migrated while we waited for the write lock. */
		int now;
		int rc = read_version(q, &now, err);
		if (rc == 0 && now > sq_latest_version())
			rc = refuse_newer(q, now, err);
		if (rc == 0 && now < m->version)
			rc = apply(q, m, err);
		if (sq_txn_end(q, rc, err))
			return -1;
		if (read_version(q, &v, err))
			return -1;
	}
	q->base.db_version = v;
	return 0;
}

int store_sqlite_force_version(const char *path, int v, struct ml_err *err)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return ml_err_set(err, ML_EIO, "cannot open database '%s'", path);
	}
	char sql[256];
	snprintf(sql, sizeof sql,
		 "BEGIN; INSERT OR REPLACE INTO migrations(version, applied_at, medlabel_version) "
		 "VALUES (%d, 0, '99.0.0'); PRAGMA user_version = %d; COMMIT;", v, v);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : ml_err_set(err, ML_EIO, "cannot set the schema version of '%s'", path);
}
