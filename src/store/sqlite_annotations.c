/* sqlite_annotations.c: versioned annotations, predictions, reviews and comments in SQLite. */
#include "store/sqlite_int.h"

#include <string.h>

/* Walks the rows of an annotation query whose columns start with SQ_ANN_COLS. */
static int each_annotation(struct sq *q, sqlite3_stmt *st, int (*cb)(void *ctx, const struct store_annotation *a),
			   void *ctx, struct ml_err *err)
{
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_annotation a;
		sq_read_annotation(st, 0, &a);
		ret = cb(ctx, &a);
		store_annotation_release(&a);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing annotations");
	sqlite3_reset(st);
	return ret;
}

static int add_version(struct sq *q, int64_t id, int version, int64_t author_id, int schema_version, const char *body,
		       double seconds, bool validated, int64_t now, struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO annotation_versions(annotation_id, version, author_id, schema_version, "
				      "body, seconds_spent, validated, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, version);
	sq_bind_id(st, 3, author_id);
	sqlite3_bind_int(st, 4, schema_version);
	sq_bind_str(st, 5, body);
	sqlite3_bind_double(st, 6, seconds);
	sqlite3_bind_int(st, 7, validated);
	sqlite3_bind_int64(st, 8, now);
	return sq_step_done(q, st, err, "adding an annotation version");
}

int sq_annotation_create(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (!in->body_json)
		return ml_err_set(err, ML_EINVAL, "annotation has no body");
	if (!in->user_id && !in->model)
		return ml_err_set(err, ML_EINVAL, "annotation has neither a user nor a model");
	int64_t now = ml_now_ms();
	if (sq_txn_begin(q, err))
		return -1;
	int rc = 0;
	int64_t aid = 0;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO annotations(task_id, user_id, model, model_version, kind, latest, created_at) "
				      "VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)", err);
	if (!st)
		rc = -1;
	if (!rc) {
		sqlite3_bind_int64(st, 1, in->task_id);
		sq_bind_id(st, 2, in->user_id);
		sq_bind_str(st, 3, in->model);
		sq_bind_str(st, 4, in->model_version);
		sq_bind_str(st, 5, in->kind && *in->kind ? in->kind : (in->model ? "model" : "human"));
		sqlite3_bind_int64(st, 6, now);
		rc = sq_step_done(q, st, err, "creating an annotation");
		if (rc && err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "no task %lld or no user %lld", (long long)in->task_id,
				   (long long)in->user_id);
		aid = sqlite3_last_insert_rowid(q->db);
	}
	if (!rc)
		rc = add_version(q, aid, 1, in->author_id ? in->author_id : in->user_id, in->schema_version, in->body_json,
				 in->seconds_spent, in->validated, now, err);
	if (sq_txn_end(q, rc, err))
		return -1;
	if (id)
		*id = aid;
	return 0;
}

int sq_annotation_update(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version,
			 int64_t author_id, double seconds_spent, bool validated, int *new_version, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (!body_json)
		return ml_err_set(err, ML_EINVAL, "annotation has no body");
	/* The write transaction makes read-compare-insert atomic across processes: two editors who both
	 * read version 3 cannot both add version 4; the second gets ML_ECONFLICT. */
	if (sq_txn_begin(q, err))
		return -1;
	int rc = 0, latest = 0;
	sqlite3_stmt *st = sq_prep(q, "SELECT latest FROM annotations WHERE id = ?1", err);
	if (!st)
		rc = -1;
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			latest = sqlite3_column_int(st, 0);
		else if (r == SQLITE_DONE)
			rc = ml_err_set(err, ML_ENOTFOUND, "no annotation %lld", (long long)id);
		else
			rc = sq_fail(q, err, "reading an annotation");
		sqlite3_reset(st);
	}
	if (!rc && latest != expected_version)
		rc = ml_err_set(err, ML_ECONFLICT, "annotation %lld is at version %d, not %d: reload and edit again",
				(long long)id, latest, expected_version);
	int64_t now = ml_now_ms();
	if (!rc)
		rc = add_version(q, id, latest + 1, author_id, schema_version, body_json, seconds_spent, validated, now, err);
	if (!rc) {
		st = sq_prep(q, "UPDATE annotations SET latest = ?2 WHERE id = ?1", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int(st, 2, latest + 1);
			rc = sq_step_done(q, st, err, "updating an annotation");
		}
	}
	if (sq_txn_end(q, rc, err))
		return -1;
	if (new_version)
		*new_version = latest + 1;
	return 0;
}

int sq_annotation_get(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_ANN_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id "
				      "JOIN annotation_versions v ON v.annotation_id = a.id "
				      "AND v.version = CASE WHEN ?2 = 0 THEN a.latest ELSE ?2 END WHERE a.id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, version);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_read_annotation(st, 0, out);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading an annotation");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -1;
	if (version)
		return ml_err_set(err, ML_ENOTFOUND, "annotation %lld has no version %d", (long long)id, version);
	return ml_err_set(err, ML_ENOTFOUND, "no annotation %lld", (long long)id);
}

int sq_annotation_list(struct store *s, int64_t task_id, int64_t user_id,
		       int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_ANN_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id "
				      "JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.latest "
				      "WHERE a.task_id = ?1 AND (?2 = 0 OR a.user_id = ?2) ORDER BY a.id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_int64(st, 2, user_id);
	return each_annotation(q, st, cb, ctx, err);
}

int sq_annotation_history(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx,
			  struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_ANN_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id "
				      "JOIN annotation_versions v ON v.annotation_id = a.id WHERE a.id = ?1 ORDER BY v.version", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return each_annotation(q, st, cb, ctx, err);
}

int sq_annotation_list_project(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a),
			       void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_ANN_COLS " FROM tasks t JOIN annotations a ON a.task_id = t.id "
				      "JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.latest "
				      "WHERE t.project_id = ?1 ORDER BY t.item_id, a.id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	return each_annotation(q, st, cb, ctx, err);
}

/* ---- predictions ---- */

int sq_prediction_add(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (!in->model || !in->body_json)
		return ml_err_set(err, ML_EINVAL, "prediction needs a model and a body");
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO predictions(task_id, model, model_version, body, score, created_at) "
				      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, in->task_id);
	sq_bind_str(st, 2, in->model);
	sq_bind_str(st, 3, in->model_version ? in->model_version : "");
	sq_bind_str(st, 4, in->body_json);
	sqlite3_bind_double(st, 5, in->score);
	sqlite3_bind_int64(st, 6, in->created_at ? in->created_at : ml_now_ms());
	if (sq_step_done(q, st, err, "adding a prediction"))
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_prediction_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx,
		       struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT id, task_id, model, model_version, body, score, created_at FROM predictions "
				      "WHERE task_id = ?1 ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_prediction p = {
			.id = sqlite3_column_int64(st, 0),
			.task_id = sqlite3_column_int64(st, 1),
			.model = sq_col_dup(st, 2, false),
			.model_version = sq_col_dup(st, 3, false),
			.body_json = sq_col_dup(st, 4, false),
			.score = sqlite3_column_double(st, 5),
			.created_at = sqlite3_column_int64(st, 6),
		};
		ret = cb(ctx, &p);
		store_prediction_release(&p);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing predictions");
	sqlite3_reset(st);
	return ret;
}

/* ---- reviews ---- */

int sq_review_add(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (in->decision != STORE_REVIEW_ACCEPT && in->decision != STORE_REVIEW_REJECT)
		return ml_err_set(err, ML_EINVAL, "unknown review decision %d", (int)in->decision);
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO reviews(annotation_id, annotation_version, reviewer_id, decision, comment, "
				      "created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM annotation_versions "
				      "WHERE annotation_id = ?1 AND version = ?2)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, in->annotation_id);
	sqlite3_bind_int(st, 2, in->annotation_version);
	sqlite3_bind_int64(st, 3, in->reviewer_id);
	sqlite3_bind_int(st, 4, (int)in->decision);
	sq_bind_str(st, 5, in->comment ? in->comment : "");
	sqlite3_bind_int64(st, 6, in->created_at ? in->created_at : ml_now_ms());
	if (sq_step_done(q, st, err, "adding a review"))
		return -1;
	if (sq_changes(q) == 0)
		return ml_err_set(err, ML_ENOTFOUND, "annotation %lld has no version %d", (long long)in->annotation_id,
				  in->annotation_version);
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_review_list(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx,
		   struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT id, annotation_id, annotation_version, reviewer_id, decision, comment, created_at "
				      "FROM reviews WHERE annotation_id = ?1 ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, annotation_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_review r = {
			.id = sqlite3_column_int64(st, 0),
			.annotation_id = sqlite3_column_int64(st, 1),
			.annotation_version = sqlite3_column_int(st, 2),
			.reviewer_id = sqlite3_column_int64(st, 3),
			.decision = (enum store_review_decision)sqlite3_column_int(st, 4),
			.comment = sq_col_dup(st, 5, false),
			.created_at = sqlite3_column_int64(st, 6),
		};
		ret = cb(ctx, &r);
		store_review_release(&r);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing reviews");
	sqlite3_reset(st);
	return ret;
}

/* ---- comments ---- */

int sq_comment_add(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (!body)
		return ml_err_set(err, ML_EINVAL, "comment has no body");
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO comments(task_id, user_id, body, created_at) VALUES (?1, ?2, ?3, ?4)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_int64(st, 2, user_id);
	sq_bind_str(st, 3, body);
	sqlite3_bind_int64(st, 4, ml_now_ms());
	if (sq_step_done(q, st, err, "adding a comment")) {
		if (err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "no task %lld or no user %lld", (long long)task_id, (long long)user_id);
		return -1;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_comment_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx,
		    struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT id, task_id, user_id, body, created_at FROM comments WHERE task_id = ?1 ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_comment c = {
			.id = sqlite3_column_int64(st, 0),
			.task_id = sqlite3_column_int64(st, 1),
			.user_id = sqlite3_column_int64(st, 2),
			.body = sq_col_dup(st, 3, false),
			.created_at = sqlite3_column_int64(st, 4),
		};
		ret = cb(ctx, &c);
		store_comment_release(&c);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing comments");
	sqlite3_reset(st);
	return ret;
}
