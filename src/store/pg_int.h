/* pg_int.h: what the PostgreSQL backend files share: the handle, the prepared-statement cache, parameter
 * lists, transactions, error mapping and column helpers. Each pg_*.c file implements one group of store
 * functions, with the same semantics and errors as the matching sqlite_*.c file. */
#ifndef ML_STORE_PG_INT_H
#define ML_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store/store_int.h"

#define PQ_CACHE 256 /* power of two, > the number of distinct statements */
#define PQ_MAXARGS 16

struct pq {
	struct store base;
	PGconn *conn;
	int depth;          /* transaction nesting: 0 none, 1 BEGIN, >1 savepoints */
	char file[4200];    /* "DATA/medlabel.pg" when opened with a data folder (store_file), else "" */
	unsigned nprepared; /* names statements s1, s2, ... on this connection */
	const struct store_copy_table *copying; /* db copy: the table whose COPY FROM STDIN is open */
	/* Prepared statements keyed by the address of their SQL literal, as in the SQLite backend. */
	struct {
		const char *sql;
		char name[16];
	} cache[PQ_CACHE];
};

extern const struct store_ops pq_ops;

/* Text parameters of one statement: NULL is SQL NULL. Numbers are formatted into buf. */
struct pq_args {
	int n;
	const char *v[PQ_MAXARGS];
	char buf[PQ_MAXARGS][32];
};
void pa_i64(struct pq_args *a, int64_t v);
void pa_id(struct pq_args *a, int64_t v); /* NULL for 0 (foreign keys that may be absent) */
void pa_dbl(struct pq_args *a, double v);
void pa_str(struct pq_args *a, const char *s); /* borrowed: must outlive the call */

/* Runs a cached prepared statement; returns its result (rows or command status) or NULL with err filled
 * ("database error while WHAT: ..."). The caller PQclear()s the result. */
PGresult *pq_run(struct pq *q, const char *sql, const struct pq_args *a, struct ml_err *err, const char *what);
/* pq_run for a single statement that may fail inside the caller's transaction. It needs a savepoint: in
 * PostgreSQL an error aborts the whole transaction, in SQLite only the statement. SAVEPOINT, the statement
 * and RELEASE go in one round trip; outside a transaction it is pq_run (the statement commits alone). */
PGresult *pq_run_sp(struct pq *q, const char *sql, const struct pq_args *a, struct ml_err *err, const char *what);
/* Runs a statement and discards the result; *rows (may be NULL) receives the affected row count. */
int pq_do(struct pq *q, const char *sql, const struct pq_args *a, int64_t *rows, struct ml_err *err, const char *what);
/* pq_do through pq_run_sp. */
int pq_do_sp(struct pq *q, const char *sql, const struct pq_args *a, int64_t *rows, struct ml_err *err, const char *what);
/* Runs a statement without parameters, unprepared (transaction control, DDL). */
int pq_exec(struct pq *q, const char *sql, struct ml_err *err, const char *what);

/* Write transactions, nesting through savepoints (see store.h). pq_txn_end commits when rc == 0 and
 * rolls back otherwise; it returns rc, or -1 if the commit itself failed. */
int pq_txn_begin(struct pq *q, struct ml_err *err);
int pq_txn_end(struct pq *q, int rc, struct ml_err *err);
/* A read-only snapshot for several statements (counts, export scan), unless the caller has a transaction:
 * *own tells pq_read_end whether to end it. */
int pq_read_begin(struct pq *q, bool *own, struct ml_err *err);
void pq_read_end(struct pq *q, bool own);

/* Scans by id range (lo, lo + span]: each page's work is bounded whatever plan PostgreSQL picks (see
 * pg_snapshots.c). pq_max_id runs `sql` (one bigint parameter, one bigint result: the last id). */
#define PQ_SPAN_MIN 512
#define PQ_SPAN_MAX 16384
int pq_max_id(struct pq *q, const char *sql, int64_t key, int64_t *max, struct ml_err *err);
int64_t pq_next_span(int64_t span, int rows);

/* Column helpers: a NULL column reads as 0 / "". */
int64_t pg_i64(const PGresult *r, int row, int col);
int pg_int(const PGresult *r, int row, int col);
double pg_dbl(const PGresult *r, int row, int col);
char *pg_dup(const PGresult *r, int row, int col, bool keep_null); /* heap copy; NULL stays NULL when keep_null */
void pg_copy(const PGresult *r, int row, int col, char *out, size_t outlen);
const char *pg_str(const PGresult *r, int row, int col); /* borrowed; NULL for SQL NULL */

/* Row readers, in the column order of the matching *_COLS macro (the same as the SQLite backend's). */
#define PG_ITEM_COLS "i.id, i.project_id, i.modality, i.source, i.patient_key, i.meta, i.text, i.media_hash, " \
		     "i.media_type, i.content_hash, i.external_ref, i.created_at, i.visible"
void pg_read_item(const PGresult *r, int row, int col, struct store_item *it);
#define PG_TASK_COLS "t.id, t.project_id, t.item_id, t.state, t.overlap, t.submitted, t.gold, t.priority, t.updated_at"
void pg_read_task(const PGresult *r, int row, int col, struct store_task *t);
#define PG_ANN_COLS "a.id, v.version, a.task_id, a.user_id, a.model, a.model_version, v.schema_version, v.body, " \
		    "v.seconds_spent, v.validated, a.kind, v.created_at, v.author_id, t.item_id"
void pg_read_annotation(const PGresult *r, int row, int col, struct store_annotation *a);

/* Migrations (pg_migrate.c): brings the database to `upto` (0 = the latest). */
int pq_migrate(struct pq *q, int upto, struct ml_err *err);
int store_pg_latest_version(void);

/* Advisory lock keys (written out as decimals in the SQL): migrations (0x6d6c0001, 0), the audit chain
 * (0x6d6c0002, 0), a project's queue (0x6d6c0003, project id), and the write lock every write transaction
 * takes at BEGIN (0x6d6c0004, one bigint key). */

/* The backend's implementations, one per entry of struct store_ops. */
int pq_setting_get(struct store *s, const char *key, char **value, struct ml_err *err);
int pq_setting_set(struct store *s, const char *key, const char *value, struct ml_err *err);
int pq_user_create(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id, struct ml_err *err);
int pq_user_get(struct store *s, int64_t id, struct store_user *out, struct ml_err *err);
int pq_user_by_name(struct store *s, const char *name, struct store_user *out, struct ml_err *err);
int pq_user_list(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx, struct ml_err *err);
int pq_user_set_password(struct store *s, int64_t id, const char *password_hash, struct ml_err *err);
int pq_user_set_disabled(struct store *s, int64_t id, bool disabled, struct ml_err *err);
int pq_user_set_admin(struct store *s, int64_t id, bool admin, struct ml_err *err);
int pq_session_create(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err);
int pq_session_get(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err);
int pq_session_delete(struct store *s, const char *token_hash, struct ml_err *err);
int pq_session_delete_expired(struct store *s, int64_t now, struct ml_err *err);
int pq_session_delete_user(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err);
int pq_token_create(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id, struct ml_err *err);
int pq_token_by_hash(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err);
int pq_token_touch(struct store *s, int64_t id, int64_t now, struct ml_err *err);
int pq_token_revoke(struct store *s, int64_t id, struct ml_err *err);
int pq_token_list(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx, struct ml_err *err);
int pq_login_failure_add(struct store *s, const char *key, int64_t now, struct ml_err *err);
int pq_login_failure_count(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err);
int pq_login_failure_clear(struct store *s, const char *key, struct ml_err *err);
int pq_login_failure_prune(struct store *s, int64_t before, struct ml_err *err);
int pq_project_create(struct store *s, const char *name, const char *description, int64_t *id, struct ml_err *err);
int pq_project_get(struct store *s, int64_t id, struct store_project *out, struct ml_err *err);
int pq_project_find(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err);
int pq_project_list(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx, struct ml_err *err);
int pq_project_set_settings(struct store *s, int64_t id, const char *settings_json, struct ml_err *err);
int pq_project_counts(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err);
int pq_member_set(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err);
int pq_member_remove(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err);
int pq_member_role(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err);
int pq_member_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx, struct ml_err *err);
int pq_schema_add(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version, struct ml_err *err);
int pq_schema_get(struct store *s, int64_t project_id, int version, char **json, int *got_version, struct ml_err *err);
int pq_item_add(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id, struct ml_err *err);
int pq_item_get(struct store *s, int64_t id, struct store_item *out, struct ml_err *err);
int pq_item_set_text(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err);
int pq_item_set_visible(struct store *s, int64_t id, bool visible, struct ml_err *err);
int pq_item_set_meta(struct store *s, int64_t id, const char *meta_json, struct ml_err *err);
int pq_item_list(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it), void *ctx, struct ml_err *err);
int pq_task_get(struct store *s, int64_t id, struct store_task *out, struct ml_err *err);
int pq_task_list(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t), void *ctx, struct ml_err *err);
int pq_task_set_state(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err);
int pq_task_set_overlap(struct store *s, int64_t id, int overlap, struct ml_err *err);
int pq_task_set_gold(struct store *s, int64_t id, bool gold, struct ml_err *err);
int pq_task_set_priority(struct store *s, int64_t id, double priority, struct ml_err *err);
int pq_task_lease_next(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, struct store_task *out, struct ml_err *err);
int pq_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold, struct store_task *out, struct ml_err *err);
int pq_assignment_get(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out, struct ml_err *err);
int pq_assignment_return(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err);
int pq_assignment_finish(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state st, int64_t now, struct ml_err *err);
int pq_annotation_create(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err);
int pq_annotation_update(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version, int64_t author_id, double seconds_spent, bool validated, int *new_version, struct ml_err *err);
int pq_annotation_get(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err);
int pq_annotation_list(struct store *s, int64_t task_id, int64_t user_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
int pq_annotation_history(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
int pq_annotation_list_project(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
int pq_prediction_add(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err);
int pq_prediction_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx, struct ml_err *err);
int pq_review_add(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err);
int pq_review_list(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx, struct ml_err *err);
int pq_comment_add(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err);
int pq_comment_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx, struct ml_err *err);
int pq_audit_append(struct store *s, struct store_audit *rec, void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq), void *ctx, struct ml_err *err);
int pq_audit_list(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a), void *ctx, struct ml_err *err);
int pq_snapshot_create(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err);
int pq_snapshot_get(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out, struct ml_err *err);
int pq_snapshot_set_manifest(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err);
int pq_snapshot_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn), void *ctx, struct ml_err *err);
int pq_snapshot_pin(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations, struct ml_err *err);
int pq_export_scan(struct store *s, int64_t project_id, int64_t snapshot_id, int state, int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err);
int pq_annotator_quality_get(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out, struct ml_err *err);
int pq_annotator_quality_set(struct store *s, const struct store_annotator_quality *in, struct ml_err *err);
int pq_annotator_quality_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotator_quality *q), void *ctx, struct ml_err *err);
int pq_user_submitted_counts(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold, struct ml_err *err);
int pq_gold_repeat(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id, struct ml_err *err);
/* db copy (pg.c) */
int pq_raw_read_begin(struct store *s, struct ml_err *err);
int pq_raw_count(struct store *s, const char *table, int64_t *n, struct ml_err *err);
int pq_raw_read(struct store *s, const struct store_copy_table *t, int (*cb)(void *ctx, const char *const *vals), void *ctx, struct ml_err *err);
int pq_raw_write(struct store *s, const struct store_copy_table *t, const char *const *vals, struct ml_err *err);
int pq_raw_done(struct store *s, struct ml_err *err);

#endif
