/* sqlite_int.h: what the SQLite backend files share: the handle, the statement cache, transactions,
 * error mapping and column helpers. Each sqlite_*.c file implements one group of store functions. */
#ifndef ML_STORE_SQLITE_INT_H
#define ML_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_int.h"

#define SQ_CACHE 256 /* power of two, > the number of distinct statements */

struct sq {
	struct store base;
	sqlite3 *db;
	int depth; /* transaction nesting: 0 none, 1 BEGIN IMMEDIATE, >1 savepoints */
	struct sq_ckpt *ckpt; /* the background checkpointer, NULL until the WAL first grows */
	int wal_pages;        /* frames in the WAL after this connection's last commit (the WAL hook's count) */
	/* Prepared statements keyed by the address of their SQL literal: each call site passes the same
	 * string, so the pointer identifies the statement without hashing the text. */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[SQ_CACHE];
};

extern const struct store_ops sq_ops;

/* The cached statement for sql, reset and with bindings cleared; NULL with err filled on failure. */
sqlite3_stmt *sq_prep(struct sq *q, const char *sql, struct ml_err *err);
/* Fills err from the connection's last error ("database error while WHAT: ...") and returns -1. */
int sq_fail(struct sq *q, struct ml_err *err, const char *what);
/* Runs a statement without parameters or results (cached). */
int sq_exec(struct sq *q, const char *sql, struct ml_err *err);
/* Steps a prepared one-shot statement to SQLITE_DONE and resets it; -1 with err on failure. */
int sq_step_done(struct sq *q, sqlite3_stmt *st, struct ml_err *err, const char *what);
/* *rows = sqlite3_changes after a successful sq_step_done. */
int sq_changes(struct sq *q);

/* Write transactions, nesting through savepoints (see store.h). sq_txn_end commits when rc == 0 and
 * rolls back otherwise; it returns rc, or -1 if the commit itself failed. */
int sq_txn_begin(struct sq *q, struct ml_err *err);
int sq_txn_end(struct sq *q, int rc, struct ml_err *err);

/* Binds an id, NULL for 0 (foreign keys that may be absent). */
int sq_bind_id(sqlite3_stmt *st, int i, int64_t v);
/* Binds a C string (NULL binds NULL); the text must stay valid until the statement is reset. */
int sq_bind_str(sqlite3_stmt *st, int i, const char *s);
/* A heap copy of a text column; NULL stays NULL when keep_null, else becomes "". */
char *sq_col_dup(sqlite3_stmt *st, int i, bool keep_null);
/* Copies a text column into a fixed array, truncating. */
void sq_col_copy(sqlite3_stmt *st, int i, char *out, size_t outlen);

/* Background WAL checkpoints (sqlite_checkpoint.c): attach after open, detach before close. */
void sq_ckpt_attach(struct sq *q);
void sq_ckpt_detach(struct sq *q);

/* Migrations (sqlite_migrate.c): brings the database to `upto` (0 = the latest). */
int sq_migrate(struct sq *q, int upto, struct ml_err *err);
int sq_latest_version(void);

/* Row readers shared between files. Column order is given by the *_COLS macros. */
#define SQ_ITEM_COLS "i.id, i.project_id, i.modality, i.source, i.patient_key, i.meta, i.text, i.media_hash, " \
		     "i.media_type, i.content_hash, i.external_ref, i.created_at, i.visible"
void sq_read_item(sqlite3_stmt *st, int col, struct store_item *it); /* owning copies */
#define SQ_TASK_COLS "t.id, t.project_id, t.item_id, t.state, t.overlap, t.submitted, t.gold, t.priority, t.updated_at"
#define SQ_TASK_NCOLS 9 /* columns in SQ_TASK_COLS */
void sq_read_task(sqlite3_stmt *st, int col, struct store_task *t);
#define SQ_ANN_COLS "a.id, v.version, a.task_id, a.user_id, a.model, a.model_version, v.schema_version, v.body, " \
		    "v.seconds_spent, v.validated, a.kind, v.created_at, v.author_id, t.item_id"
void sq_read_annotation(sqlite3_stmt *st, int col, struct store_annotation *a); /* owning copies */

/* The backend's implementations, one per entry of struct store_ops, defined across sqlite_*.c. */
void sq_close(struct store *s);
int sq_begin(struct store *s, struct ml_err *err);
int sq_commit(struct store *s, struct ml_err *err);
void sq_rollback(struct store *s);
int sq_setting_get(struct store *s, const char *key, char **value, struct ml_err *err);
int sq_setting_set(struct store *s, const char *key, const char *value, struct ml_err *err);
int sq_user_create(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id, struct ml_err *err);
int sq_user_get(struct store *s, int64_t id, struct store_user *out, struct ml_err *err);
int sq_user_by_name(struct store *s, const char *name, struct store_user *out, struct ml_err *err);
int sq_user_list(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx, struct ml_err *err);
int sq_user_set_password(struct store *s, int64_t id, const char *password_hash, struct ml_err *err);
int sq_user_set_disabled(struct store *s, int64_t id, bool disabled, struct ml_err *err);
int sq_user_set_admin(struct store *s, int64_t id, bool admin, struct ml_err *err);
int sq_session_create(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err);
int sq_session_get(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err);
int sq_session_delete(struct store *s, const char *token_hash, struct ml_err *err);
int sq_session_delete_expired(struct store *s, int64_t now, struct ml_err *err);
int sq_session_delete_user(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err);
int sq_token_create(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id, struct ml_err *err);
int sq_token_by_hash(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err);
int sq_token_touch(struct store *s, int64_t id, int64_t now, struct ml_err *err);
int sq_token_revoke(struct store *s, int64_t id, struct ml_err *err);
int sq_token_list(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx, struct ml_err *err);
int sq_login_failure_add(struct store *s, const char *key, int64_t now, struct ml_err *err);
int sq_login_failure_count(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err);
int sq_login_failure_clear(struct store *s, const char *key, struct ml_err *err);
int sq_login_failure_prune(struct store *s, int64_t before, struct ml_err *err);
int sq_project_create(struct store *s, const char *name, const char *description, int64_t *id, struct ml_err *err);
int sq_project_get(struct store *s, int64_t id, struct store_project *out, struct ml_err *err);
int sq_project_find(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err);
int sq_project_list(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx, struct ml_err *err);
int sq_project_set_settings(struct store *s, int64_t id, const char *settings_json, struct ml_err *err);
int sq_project_counts(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err);
int sq_member_set(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err);
int sq_member_remove(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err);
int sq_member_role(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err);
int sq_member_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx, struct ml_err *err);
int sq_schema_add(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version, struct ml_err *err);
int sq_schema_get(struct store *s, int64_t project_id, int version, char **json, int *got_version, struct ml_err *err);
int sq_item_add(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id, struct ml_err *err);
int sq_item_get(struct store *s, int64_t id, struct store_item *out, struct ml_err *err);
int sq_item_set_text(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err);
int sq_item_set_visible(struct store *s, int64_t id, bool visible, struct ml_err *err);
int sq_item_set_meta(struct store *s, int64_t id, const char *meta_json, struct ml_err *err);
int sq_item_list(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it), void *ctx, struct ml_err *err);
int sq_task_get(struct store *s, int64_t id, struct store_task *out, struct ml_err *err);
int sq_task_list(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t), void *ctx, struct ml_err *err);
int sq_task_set_state(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err);
int sq_task_set_overlap(struct store *s, int64_t id, int overlap, struct ml_err *err);
int sq_task_set_gold(struct store *s, int64_t id, bool gold, struct ml_err *err);
int sq_task_set_priority(struct store *s, int64_t id, double priority, struct ml_err *err);
int sq_task_lease_next(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, struct store_task *out, struct ml_err *err);
int sq_assignment_get(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out, struct ml_err *err);
int sq_assignment_return(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err);
int sq_assignment_finish(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state st, int64_t now, struct ml_err *err);
int sq_annotation_create(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err);
int sq_annotation_update(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version, int64_t author_id, double seconds_spent, bool validated, int *new_version, struct ml_err *err);
int sq_annotation_get(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err);
int sq_annotation_list(struct store *s, int64_t task_id, int64_t user_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
int sq_annotation_history(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
int sq_annotation_list_project(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
int sq_prediction_add(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err);
int sq_prediction_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx, struct ml_err *err);
int sq_review_add(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err);
int sq_review_list(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx, struct ml_err *err);
int sq_comment_add(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err);
int sq_comment_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx, struct ml_err *err);
int sq_audit_append(struct store *s, struct store_audit *rec, void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq), void *ctx, struct ml_err *err);
int sq_wal_checkpoint(struct store *s, int min_pages, struct ml_err *err);
int sq_audit_list(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a), void *ctx, struct ml_err *err);
int sq_snapshot_create(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err);
int sq_snapshot_get(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out, struct ml_err *err);
int sq_snapshot_set_manifest(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err);
int sq_snapshot_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn), void *ctx, struct ml_err *err);
int sq_snapshot_pin(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations, struct ml_err *err);
int sq_export_scan(struct store *s, int64_t project_id, int64_t snapshot_id, int state, int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err);
/* quality module (sqlite_quality.c) */
int sq_annotator_quality_get(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out, struct ml_err *err);
int sq_annotator_quality_set(struct store *s, const struct store_annotator_quality *in, struct ml_err *err);
int sq_annotator_quality_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotator_quality *q), void *ctx, struct ml_err *err);
int sq_gold_repeat(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id, struct ml_err *err);
int sq_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold, struct store_task *out, struct ml_err *err);
int sq_user_submitted_counts(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold, struct ml_err *err);

#endif
