/* sqlite.c: the SQLite backend's connection: opening (pragmas, migrations), the prepared-statement
 * cache, nested transactions, settings, shared row readers and the ops table. */
#include "store/sqlite_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a writer waits for another process's write transaction before giving up (ML_EIO, "database is locked"). */
#define SQ_BUSY_TIMEOUT_MS 30000

static size_t slot_of(const char *sql)
{
	uintptr_t p = (uintptr_t)sql;
	p ^= p >> 17;
	p *= 0x9E3779B97F4A7C15ull;
	return (size_t)(p >> 40) & (SQ_CACHE - 1);
}

sqlite3_stmt *sq_prep(struct sq *q, const char *sql, struct ml_err *err)
{
	size_t i = slot_of(sql);
	for (size_t n = 0; n < SQ_CACHE; n++, i = (i + 1) & (SQ_CACHE - 1)) {
		if (q->cache[i].sql == sql) {
			sqlite3_stmt *st = q->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
		if (!q->cache[i].sql) {
			sqlite3_stmt *st = NULL;
			if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
				sq_fail(q, err, "preparing a statement");
				return NULL;
			}
			q->cache[i].sql = sql;
			q->cache[i].st = st;
			return st;
		}
	}
	ml_err_set(err, ML_EIO, "statement cache full");
	return NULL;
}

int sq_fail(struct sq *q, struct ml_err *err, const char *what)
{
	int ext = sqlite3_extended_errcode(q->db);
	enum ml_code code = ML_EIO;
	switch (ext) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		code = ML_EEXIST;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		code = ML_ENOTFOUND;
		break;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		code = ML_EINVAL;
		break;
	default:
		/* A locked or full database is the server's trouble, not the request's: ML_EIO (a 5xx over HTTP),
		 * never ML_EBUSY (429, "you ask too often") or ML_ELIMIT (413, "your body is too large"). */
		break;
	}
	/* sqlite3_errmsg names constraints and columns, never values: safe to show. */
	return ml_err_set(err, code, "database error while %s: %s", what, sqlite3_errmsg(q->db));
}

int sq_step_done(struct sq *q, sqlite3_stmt *st, struct ml_err *err, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sq_fail(q, err, what);
	sqlite3_reset(st);
	return ret;
}

int sq_changes(struct sq *q)
{
	return sqlite3_changes(q->db);
}

int sq_exec(struct sq *q, const char *sql, struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, sql, err);
	if (!st)
		return -1;
	return sq_step_done(q, st, err, "running a statement");
}

int sq_txn_begin(struct sq *q, struct ml_err *err)
{
	/* IMMEDIATE: take the write lock now. A deferred transaction that reads and then writes can fail
	 * with SQLITE_BUSY at once (no busy wait) when another process committed in between. */
	if (sq_exec(q, q->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT sp", err))
		return -1;
	q->depth++;
	return 0;
}

int sq_txn_end(struct sq *q, int rc, struct ml_err *err)
{
	if (q->depth <= 0)
		return rc;
	q->depth--;
	struct ml_err ignore;
	if (q->depth == 0) {
		if (rc == 0) {
			if (sq_exec(q, "COMMIT", err)) {
				(void)sq_exec(q, "ROLLBACK", &ignore);
				return -1;
			}
			return 0;
		}
		(void)sq_exec(q, "ROLLBACK", &ignore);
		return rc;
	}
	if (rc == 0)
		return sq_exec(q, "RELEASE sp", err);
	(void)sq_exec(q, "ROLLBACK TO sp", &ignore);
	(void)sq_exec(q, "RELEASE sp", &ignore);
	return rc;
}

int sq_bind_id(sqlite3_stmt *st, int i, int64_t v)
{
	return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

int sq_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

char *sq_col_dup(sqlite3_stmt *st, int i, bool keep_null)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return keep_null ? NULL : ml_xstrdup("");
	return ml_xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

void sq_col_copy(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= outlen)
		n = outlen - 1;
	if (n)
		memcpy(out, t, n);
	out[n] = 0;
}

void sq_read_item(sqlite3_stmt *st, int c, struct store_item *it)
{
	it->id = sqlite3_column_int64(st, c + 0);
	it->project_id = sqlite3_column_int64(st, c + 1);
	it->modality = (enum store_modality)sqlite3_column_int(st, c + 2);
	it->source = (enum store_source)sqlite3_column_int(st, c + 3);
	it->patient_key = sq_col_dup(st, c + 4, false);
	it->meta_json = sq_col_dup(st, c + 5, false);
	it->text = sq_col_dup(st, c + 6, true);
	it->media_hash = sq_col_dup(st, c + 7, true);
	it->media_type = sq_col_dup(st, c + 8, true);
	sq_col_copy(st, c + 9, it->content_hash, sizeof it->content_hash);
	it->external_ref = sq_col_dup(st, c + 10, false);
	it->created_at = sqlite3_column_int64(st, c + 11);
	it->visible = sqlite3_column_int(st, c + 12) != 0;
}

void sq_read_task(sqlite3_stmt *st, int c, struct store_task *t)
{
	t->id = sqlite3_column_int64(st, c + 0);
	t->project_id = sqlite3_column_int64(st, c + 1);
	t->item_id = sqlite3_column_int64(st, c + 2);
	t->state = (enum store_task_state)sqlite3_column_int(st, c + 3);
	t->overlap = sqlite3_column_int(st, c + 4);
	t->submitted = sqlite3_column_int(st, c + 5);
	t->gold = sqlite3_column_int(st, c + 6) != 0;
	t->priority = sqlite3_column_double(st, c + 7);
	t->updated_at = sqlite3_column_int64(st, c + 8);
}

void sq_read_annotation(sqlite3_stmt *st, int c, struct store_annotation *a)
{
	a->id = sqlite3_column_int64(st, c + 0);
	a->version = sqlite3_column_int(st, c + 1);
	a->task_id = sqlite3_column_int64(st, c + 2);
	a->user_id = sqlite3_column_int64(st, c + 3);
	a->model = sq_col_dup(st, c + 4, true);
	a->model_version = sq_col_dup(st, c + 5, true);
	a->schema_version = sqlite3_column_int(st, c + 6);
	a->body_json = sq_col_dup(st, c + 7, false);
	a->seconds_spent = sqlite3_column_double(st, c + 8);
	a->validated = sqlite3_column_int(st, c + 9) != 0;
	a->kind = sq_col_dup(st, c + 10, false);
	a->created_at = sqlite3_column_int64(st, c + 11);
	a->author_id = sqlite3_column_int64(st, c + 12);
	a->item_id = sqlite3_column_int64(st, c + 13);
}

/* ---- open and close ---- */

static int pragma(struct sq *q, const char *sql, struct ml_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ml_err_set(err, ML_EIO, "cannot configure the database: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Process-wide SQLite settings, before the library initialises: no global memory statistics (they take
 * a mutex on every allocation, a measurable cost on bulk imports). */
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;
static void sq_global_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

/* Switches a new database to WAL. The mode is stored in the file, so this is a no-op after the first
 * open; but two processes creating the database at once can see SQLITE_BUSY here, which the busy
 * handler does not cover, so retry for up to the busy timeout. */
static int set_wal(struct sq *q, struct ml_err *err)
{
	for (int waited = 0;; waited += 10) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		bool wal = rc == SQLITE_ROW && sqlite3_column_text(st, 0) &&
			   !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		if (wal)
			return 0;
		int code = sqlite3_extended_errcode(q->db) & 0xff;
		if ((rc != SQLITE_ROW && code != SQLITE_BUSY && code != SQLITE_LOCKED) || waited >= SQ_BUSY_TIMEOUT_MS)
			return ml_err_set(err, ML_EIO, "cannot switch the database to WAL mode: %s", sqlite3_errmsg(q->db));
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int open_common(const char *path, int upto, struct store **out, struct ml_err *err)
{
	*out = NULL;
	pthread_once(&sq_once, sq_global_init);
	struct sq *q = ml_calloc(1, sizeof *q);
	if (!q)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	q->base.ops = &sq_ops;
	/* NOMUTEX: one handle belongs to one thread at a time (store.h), so SQLite's own locking is waste. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &q->db, flags, NULL) != SQLITE_OK) {
		ml_err_set(err, ML_EIO, "cannot open database '%s': %s", path,
			   q->db ? sqlite3_errmsg(q->db) : "out of memory");
		sqlite3_close(q->db);
		ml_free(q);
		return -1;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, SQ_BUSY_TIMEOUT_MS);
	/* WAL: readers never block the writer and a commit is one append. synchronous=NORMAL in WAL mode
	 * keeps the database consistent after a crash or power loss (only the last commits before a power
	 * loss may be lost, never half of one); FULL would fsync the WAL on every commit. foreign_keys is
	 * per connection in SQLite, so it is set on each open. */
	/* Page size only takes effect on a new, empty database (before WAL): 8 KiB pages hold several
	 * 1 KB notes each, so a bulk import writes and syncs fewer, fuller pages. */
	if (pragma(q, "PRAGMA page_size=8192", err) || set_wal(q, err) ||
	    pragma(q, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
		      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384; PRAGMA journal_size_limit=67108864",
		   err) ||
	    sq_migrate(q, upto, err)) {
		sq_close(&q->base);
		return -1;
	}
	sq_ckpt_attach(q);
	*out = &q->base;
	return 0;
}

int store_sqlite_open(const char *path, struct store **out, struct ml_err *err)
{
	return open_common(path, 0, out, err);
}

int store_sqlite_open_at(const char *path, int upto, struct store **out, struct ml_err *err)
{
	if (upto < 1 || upto > sq_latest_version())
		return ml_err_set(err, ML_EINVAL, "no schema version %d", upto);
	return open_common(path, upto, out, err);
}

int store_schema_version(void)
{
	return sq_latest_version();
}

void sq_close(struct store *s)
{
	struct sq *q = (struct sq *)s;
	if (q->depth > 0) {
		struct ml_err ignore;
		q->depth = 1;
		(void)sq_txn_end(q, -1, &ignore);
	}
	sq_ckpt_detach(q);
	for (size_t i = 0; i < SQ_CACHE; i++)
		if (q->cache[i].st)
			sqlite3_finalize(q->cache[i].st);
	sqlite3_close(q->db);
	ml_free(q);
}

/* ---- transactions for callers ---- */

int sq_begin(struct store *s, struct ml_err *err)
{
	return sq_txn_begin((struct sq *)s, err);
}

int sq_commit(struct store *s, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (q->depth == 0)
		return ml_err_set(err, ML_EINVAL, "commit without a transaction");
	return sq_txn_end(q, 0, err);
}

void sq_rollback(struct store *s)
{
	struct sq *q = (struct sq *)s;
	struct ml_err ignore;
	if (q->depth > 0)
		(void)sq_txn_end(q, -1, &ignore);
}

/* ---- settings ---- */

int sq_setting_get(struct store *s, const char *key, char **value, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	*value = NULL;
	sqlite3_stmt *st = sq_prep(q, "SELECT value FROM settings WHERE key = ?1", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sq_col_dup(st, 0, false);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a setting");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return ml_err_set(err, ML_ENOTFOUND, "no setting '%s'", key);
	return -1;
}

int sq_setting_set(struct store *s, const char *key, const char *value, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
				      "ON CONFLICT(key) DO UPDATE SET value = excluded.value", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, key);
	sq_bind_str(st, 2, value);
	return sq_step_done(q, st, err, "writing a setting");
}

static const char *sq_file(struct store *s)
{
	const char *f = sqlite3_db_filename(((struct sq *)s)->db, "main");
	return f ? f : "";
}

const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.file = sq_file,
	.wal_checkpoint = sq_wal_checkpoint,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.setting_get = sq_setting_get,
	.setting_set = sq_setting_set,
	.user_create = sq_user_create,
	.user_get = sq_user_get,
	.user_by_name = sq_user_by_name,
	.user_list = sq_user_list,
	.user_set_password = sq_user_set_password,
	.user_set_disabled = sq_user_set_disabled,
	.user_set_admin = sq_user_set_admin,
	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_delete = sq_session_delete,
	.session_delete_expired = sq_session_delete_expired,
	.session_delete_user = sq_session_delete_user,
	.token_create = sq_token_create,
	.token_by_hash = sq_token_by_hash,
	.token_touch = sq_token_touch,
	.token_revoke = sq_token_revoke,
	.token_list = sq_token_list,
	.login_failure_add = sq_login_failure_add,
	.login_failure_count = sq_login_failure_count,
	.login_failure_clear = sq_login_failure_clear,
	.login_failure_prune = sq_login_failure_prune,
	.project_create = sq_project_create,
	.project_get = sq_project_get,
	.project_find = sq_project_find,
	.project_list = sq_project_list,
	.project_set_settings = sq_project_set_settings,
	.project_counts = sq_project_counts,
	.member_set = sq_member_set,
	.member_remove = sq_member_remove,
	.member_role = sq_member_role,
	.member_list = sq_member_list,
	.schema_add = sq_schema_add,
	.schema_get = sq_schema_get,
	.item_add = sq_item_add,
	.item_get = sq_item_get,
	.item_set_text = sq_item_set_text,
	.item_set_visible = sq_item_set_visible,
	.item_set_meta = sq_item_set_meta,
	.item_list = sq_item_list,
	.task_get = sq_task_get,
	.task_list = sq_task_list,
	.task_set_state = sq_task_set_state,
	.task_set_overlap = sq_task_set_overlap,
	.task_set_gold = sq_task_set_gold,
	.task_set_priority = sq_task_set_priority,
	.task_lease_next = sq_task_lease_next,
	.assignment_get = sq_assignment_get,
	.assignment_return = sq_assignment_return,
	.assignment_finish = sq_assignment_finish,
	.annotation_create = sq_annotation_create,
	.annotation_update = sq_annotation_update,
	.annotation_get = sq_annotation_get,
	.annotation_list = sq_annotation_list,
	.annotation_history = sq_annotation_history,
	.annotation_list_project = sq_annotation_list_project,
	.prediction_add = sq_prediction_add,
	.prediction_list = sq_prediction_list,
	.review_add = sq_review_add,
	.review_list = sq_review_list,
	.comment_add = sq_comment_add,
	.comment_list = sq_comment_list,
	.audit_append = sq_audit_append,
	.audit_list = sq_audit_list,
	.snapshot_create = sq_snapshot_create,
	.snapshot_get = sq_snapshot_get,
	.snapshot_set_manifest = sq_snapshot_set_manifest,
	.snapshot_list = sq_snapshot_list,
	.snapshot_pin = sq_snapshot_pin,
	.export_scan = sq_export_scan,
	.annotator_quality_get = sq_annotator_quality_get,
	.annotator_quality_set = sq_annotator_quality_set,
	.annotator_quality_list = sq_annotator_quality_list,
	.task_lease_filtered = sq_task_lease_filtered,
	.user_submitted_counts = sq_user_submitted_counts,
	.gold_repeat = sq_gold_repeat,
};
