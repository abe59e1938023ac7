/* store_int.h: what a store backend implements, shared by store.c (dispatch) and the backends.
 *
 * A backend allocates its own handle whose first member is `struct store`, fills `ops` with its table,
 * and registers an opener for its URL scheme in store.c. Callers see only store.h; store.c forwards
 * each public function through the table, so a PostgreSQL backend (src/store/pg*.c) is one more table.
 */
#ifndef ML_STORE_INT_H
#define ML_STORE_INT_H

#include "store/store.h"

/* One table as `medlabel db copy` moves it (store_copy.c): its columns in a fixed order, the order of its
 * rows (parents before children), and whether its first column is a generated id that the destination's
 * id sequence must continue after. Both backends have every table with these exact columns. */
struct store_copy_table {
	const char *name;
	const char *cols;  /* "id, name, ..." */
	int ncols;
	const char *order; /* ORDER BY clause */
	bool serial;       /* id column numbered by the database */
};
extern const struct store_copy_table store_copy_tables[];
extern const size_t store_copy_ntables;

struct store_ops {
	const char *name; /* "sqlite", "postgres" */
	void (*close)(struct store *s);
	const char *(*file)(struct store *s); /* the database file, "" in memory */
	int (*wal_checkpoint)(struct store *s, int min_pages, struct ml_err *err);
	int (*begin)(struct store *s, struct ml_err *err);
	int (*commit)(struct store *s, struct ml_err *err);
	void (*rollback)(struct store *s);
	int (*setting_get)(struct store *s, const char *key, char **value, struct ml_err *err);
	int (*setting_set)(struct store *s, const char *key, const char *value, struct ml_err *err);
	int (*user_create)(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id, struct ml_err *err);
	int (*user_get)(struct store *s, int64_t id, struct store_user *out, struct ml_err *err);
	int (*user_by_name)(struct store *s, const char *name, struct store_user *out, struct ml_err *err);
	int (*user_list)(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx, struct ml_err *err);
	int (*user_set_password)(struct store *s, int64_t id, const char *password_hash, struct ml_err *err);
	int (*user_set_disabled)(struct store *s, int64_t id, bool disabled, struct ml_err *err);
	int (*user_set_admin)(struct store *s, int64_t id, bool admin, struct ml_err *err);
	int (*session_create)(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err);
	int (*session_get)(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err);
	int (*session_delete)(struct store *s, const char *token_hash, struct ml_err *err);
	int (*session_delete_expired)(struct store *s, int64_t now, struct ml_err *err);
	int (*session_delete_user)(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err);
	int (*token_create)(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id, struct ml_err *err);
	int (*token_by_hash)(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err);
	int (*token_touch)(struct store *s, int64_t id, int64_t now, struct ml_err *err);
	int (*token_revoke)(struct store *s, int64_t id, struct ml_err *err);
	int (*token_list)(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx, struct ml_err *err);
	int (*login_failure_add)(struct store *s, const char *key, int64_t now, struct ml_err *err);
	int (*login_failure_count)(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err);
	int (*login_failure_clear)(struct store *s, const char *key, struct ml_err *err);
	int (*login_failure_prune)(struct store *s, int64_t before, struct ml_err *err);
	int (*project_create)(struct store *s, const char *name, const char *description, int64_t *id, struct ml_err *err);
	int (*project_get)(struct store *s, int64_t id, struct store_project *out, struct ml_err *err);
	int (*project_find)(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err);
	int (*project_list)(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx, struct ml_err *err);
	int (*project_set_settings)(struct store *s, int64_t id, const char *settings_json, struct ml_err *err);
	int (*project_counts)(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err);
	int (*member_set)(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err);
	int (*member_remove)(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err);
	int (*member_role)(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err);
	int (*member_list)(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx, struct ml_err *err);
	int (*schema_add)(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version, struct ml_err *err);
	int (*schema_get)(struct store *s, int64_t project_id, int version, char **json, int *got_version, struct ml_err *err);
	int (*item_add)(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id, struct ml_err *err);
	int (*item_get)(struct store *s, int64_t id, struct store_item *out, struct ml_err *err);
	int (*item_set_text)(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err);
	int (*item_set_visible)(struct store *s, int64_t id, bool visible, struct ml_err *err);
	int (*item_set_meta)(struct store *s, int64_t id, const char *meta_json, struct ml_err *err);
	int (*item_list)(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it), void *ctx, struct ml_err *err);
	int (*task_get)(struct store *s, int64_t id, struct store_task *out, struct ml_err *err);
	int (*task_list)(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t), void *ctx, struct ml_err *err);
	int (*task_set_state)(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err);
	int (*task_set_overlap)(struct store *s, int64_t id, int overlap, struct ml_err *err);
	int (*task_set_gold)(struct store *s, int64_t id, bool gold, struct ml_err *err);
	int (*task_set_priority)(struct store *s, int64_t id, double priority, struct ml_err *err);
	int (*task_lease_next)(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, struct store_task *out, struct ml_err *err);
	int (*assignment_get)(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out, struct ml_err *err);
	int (*assignment_return)(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err);
	int (*assignment_finish)(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state st, int64_t now, struct ml_err *err);
	int (*annotation_create)(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err);
	int (*annotation_update)(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version, int64_t author_id, double seconds_spent, bool validated, int *new_version, struct ml_err *err);
	int (*annotation_get)(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err);
	int (*annotation_list)(struct store *s, int64_t task_id, int64_t user_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
	int (*annotation_history)(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
	int (*annotation_list_project)(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err);
	int (*prediction_add)(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err);
	int (*prediction_list)(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx, struct ml_err *err);
	int (*review_add)(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err);
	int (*review_list)(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx, struct ml_err *err);
	int (*comment_add)(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err);
	int (*comment_list)(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx, struct ml_err *err);
	int (*audit_append)(struct store *s, struct store_audit *rec, void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq), void *ctx, struct ml_err *err);
	int (*audit_list)(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a), void *ctx, struct ml_err *err);
	int (*snapshot_create)(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err);
	int (*snapshot_get)(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out, struct ml_err *err);
	int (*snapshot_set_manifest)(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err);
	int (*snapshot_list)(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn), void *ctx, struct ml_err *err);
	int (*snapshot_pin)(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations, struct ml_err *err);
	int (*export_scan)(struct store *s, int64_t project_id, int64_t snapshot_id, int state, int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err);
	/* quality module (migration 3) */
	int (*annotator_quality_get)(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out, struct ml_err *err);
	int (*annotator_quality_set)(struct store *s, const struct store_annotator_quality *in, struct ml_err *err);
	int (*annotator_quality_list)(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotator_quality *q), void *ctx, struct ml_err *err);
	int (*task_lease_filtered)(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold, struct store_task *out, struct ml_err *err);
	int (*user_submitted_counts)(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold, struct ml_err *err);
	int (*gold_repeat)(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id, struct ml_err *err);
	/* db copy: rows of one table as text (NULL for SQL NULL; real numbers in a form that reads back
	 * exactly), written back as text; raw_done runs after the last row (id sequences). */
	int (*raw_count)(struct store *s, const char *table, int64_t *n, struct ml_err *err);
	/* a read-only transaction that sees one state of the database; store_rollback ends it */
	int (*raw_read_begin)(struct store *s, struct ml_err *err);
	int (*raw_read)(struct store *s, const struct store_copy_table *t, int (*cb)(void *ctx, const char *const *vals), void *ctx, struct ml_err *err);
	int (*raw_write)(struct store *s, const struct store_copy_table *t, const char *const *vals, struct ml_err *err);
	int (*raw_done)(struct store *s, struct ml_err *err);
};

/* The common head of every backend handle. */
struct store {
	const struct store_ops *ops;
	int db_version; /* the schema version recorded in the database, after migrations */
};

/* SQLite backend (sqlite.c). path is a file name; ":memory:" works for tests. */
int store_sqlite_open(const char *path, struct store **out, struct ml_err *err) ML_MUST_CHECK;
/* Test hook: opens a database applying migrations only up to version `upto` (1..store_schema_version()),
 * to build databases "from an earlier medlabel" that store_open must then migrate. */
int store_sqlite_open_at(const char *path, int upto, struct store **out, struct ml_err *err) ML_MUST_CHECK;
/* Test hook: records schema version v in the database as if a newer medlabel had written it. */
int store_sqlite_force_version(const char *path, int v, struct ml_err *err) ML_MUST_CHECK;

/* PostgreSQL backend (pg.c). url is a libpq connection URI (postgres://...); data_dir (may be NULL) is the
 * deployment folder that store_file() reports. */
int store_pg_open(const char *url, const char *data_dir, int upto, struct store **out, struct ml_err *err) ML_MUST_CHECK;
/* The latest version of the PostgreSQL migrations: always store_schema_version() (a test checks). */
int store_pg_schema_version(void);
/* Test hook: records schema version v as if a newer medlabel had written it. */
int store_pg_force_version(const char *url, int v, struct ml_err *err) ML_MUST_CHECK;


/* Checks an item before a backend stores it and gives its content hash (the given one, else the text's,
 * else the media's): one set of rules for every backend. */
int store_item_check(const struct store_item *in, char hash[65], struct ml_err *err) ML_MUST_CHECK;
/* The content hash for item_set_text: content_hash when given (checked), else the text's. */
int store_text_hash(int64_t id, const char *text, const char *content_hash, char hash[65], struct ml_err *err)
	ML_MUST_CHECK;

#endif
