/* pg_annotations.c: versioned annotations, predictions, reviews and comments in PostgreSQL. */
#include "store/pg_int.h"

#include <stdint.h>
#include <string.h>

/* Walks the rows of an annotation query whose columns start with PG_ANN_COLS; clears r. */
static int each_annotation(PGresult *r, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx)
{
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_annotation a;
		pg_read_annotation(r, i, 0, &a);
		ret = cb(ctx, &a);
		store_annotation_release(&a);
	}
	PQclear(r);
	return ret;
}

static int add_version(struct pq *q, int64_t id, int version, int64_t author_id, int schema_version, const char *body,
		       double seconds, bool validated, int64_t now, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, id);
	pa_i64(&a, version);
	pa_id(&a, author_id);
	pa_i64(&a, schema_version);
	pa_str(&a, body);
	pa_dbl(&a, seconds);
	pa_i64(&a, validated);
	pa_i64(&a, now);
	return pq_do(q, "INSERT INTO annotation_versions(annotation_id, version, author_id, schema_version, body, seconds_spent, "
			"validated, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", &a, NULL, err,
		     "adding an annotation version");
}

int pq_annotation_create(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (!in->body_json)
		return ml_err_set(err, ML_EINVAL, "annotation has no body");
	if (!in->user_id && !in->model)
		return ml_err_set(err, ML_EINVAL, "annotation has neither a user nor a model");
	int64_t now = ml_now_ms();
	if (pq_txn_begin(q, err))
		return -1;
	struct pq_args a = {0};
	pa_i64(&a, in->task_id);
	pa_id(&a, in->user_id);
	pa_str(&a, in->model);
	pa_str(&a, in->model_version);
	pa_str(&a, in->kind && *in->kind ? in->kind : (in->model ? "model" : "human"));
	pa_i64(&a, now);
	PGresult *r = pq_run(q, "INSERT INTO annotations(task_id, user_id, model, model_version, kind, latest, created_at) "
				"VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id", &a, err, "creating an annotation");
	int rc = r ? 0 : -1;
	int64_t aid = r ? pg_i64(r, 0, 0) : 0;
	PQclear(r);
	if (rc && err && err->code == ML_ENOTFOUND)
		ml_err_set(err, ML_ENOTFOUND, "no task %lld or no user %lld", (long long)in->task_id, (long long)in->user_id);
	if (!rc)
		rc = add_version(q, aid, 1, in->author_id ? in->author_id : in->user_id, in->schema_version, in->body_json,
				 in->seconds_spent, in->validated, now, err);
	if (pq_txn_end(q, rc, err))
		return -1;
	if (id)
		*id = aid;
	return 0;
}

int pq_annotation_update(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version,
			 int64_t author_id, double seconds_spent, bool validated, int *new_version, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (!body_json)
		return ml_err_set(err, ML_EINVAL, "annotation has no body");
	if (pq_txn_begin(q, err))
		return -1;
	/* FOR UPDATE makes read-compare-insert atomic across servers: two editors who both read version 3
	 * cannot both add version 4; the second waits, then sees 4 and gets ML_ECONFLICT. */
	struct pq_args a = {0};
	pa_i64(&a, id);
	PGresult *r = pq_run(q, "SELECT latest FROM annotations WHERE id = $1 FOR UPDATE", &a, err, "reading an annotation");
	int rc = r ? 0 : -1, latest = 0;
	if (r && PQntuples(r) == 0)
		rc = ml_err_set(err, ML_ENOTFOUND, "no annotation %lld", (long long)id);
	else if (r)
		latest = pg_int(r, 0, 0);
	PQclear(r);
	if (!rc && latest != expected_version)
		rc = ml_err_set(err, ML_ECONFLICT, "annotation %lld is at version %d, not %d: reload and edit again",
				(long long)id, latest, expected_version);
	if (!rc)
		rc = add_version(q, id, latest + 1, author_id, schema_version, body_json, seconds_spent, validated, ml_now_ms(),
				 err);
	if (!rc) {
		struct pq_args b = {0};
		pa_i64(&b, id);
		pa_i64(&b, latest + 1);
		rc = pq_do(q, "UPDATE annotations SET latest = $2 WHERE id = $1", &b, NULL, err, "updating an annotation");
	}
	if (pq_txn_end(q, rc, err))
		return -1;
	if (new_version)
		*new_version = latest + 1;
	return 0;
}

int pq_annotation_get(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_i64(&a, id);
	pa_i64(&a, version);
	PGresult *r = pq_run((struct pq *)s, "SELECT " PG_ANN_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id "
					     "JOIN annotation_versions v ON v.annotation_id = a.id "
					     "AND v.version = CASE WHEN $2::integer = 0 THEN a.latest ELSE $2 END WHERE a.id = $1",
			     &a, err, "reading an annotation");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		pg_read_annotation(r, 0, 0, out);
	PQclear(r);
	if (found)
		return 0;
	if (version)
		return ml_err_set(err, ML_ENOTFOUND, "annotation %lld has no version %d", (long long)id, version);
	return ml_err_set(err, ML_ENOTFOUND, "no annotation %lld", (long long)id);
}

int pq_annotation_list(struct store *s, int64_t task_id, int64_t user_id,
		       int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	pa_i64(&a, user_id);
	return each_annotation(pq_run((struct pq *)s, "SELECT " PG_ANN_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id "
						      "JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.latest "
						      "WHERE a.task_id = $1 AND ($2::bigint = 0 OR a.user_id = $2) ORDER BY a.id",
				      &a, err, "listing annotations"),
			       cb, ctx);
}

int pq_annotation_history(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx,
			  struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, id);
	return each_annotation(pq_run((struct pq *)s, "SELECT " PG_ANN_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id "
						      "JOIN annotation_versions v ON v.annotation_id = a.id WHERE a.id = $1 "
						      "ORDER BY v.version", &a, err, "listing annotations"),
			       cb, ctx);
}

int pq_annotation_list_project(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a),
			       void *ctx, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	return each_annotation(pq_run((struct pq *)s, "SELECT " PG_ANN_COLS " FROM tasks t JOIN annotations a ON a.task_id = t.id "
						      "JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.latest "
						      "WHERE t.project_id = $1 ORDER BY t.item_id, a.id", &a, err,
				      "listing annotations"),
			       cb, ctx);
}

/* ---- predictions ---- */

/* An INSERT ... RETURNING id, in a savepoint inside the caller's transaction. */
static int insert_id(struct pq *q, const char *sql, const struct pq_args *a, int64_t *id, int64_t *rows, struct ml_err *err,
		     const char *what)
{
	PGresult *r = pq_run_sp(q, sql, a, err, what);
	int rc = r ? 0 : -1;
	if (r && rows)
		*rows = PQntuples(r);
	if (r && id)
		*id = PQntuples(r) ? pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return rc;
}

int pq_prediction_add(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err)
{
	if (!in->model || !in->body_json)
		return ml_err_set(err, ML_EINVAL, "prediction needs a model and a body");
	struct pq_args a = {0};
	pa_i64(&a, in->task_id);
	pa_str(&a, in->model);
	pa_str(&a, in->model_version ? in->model_version : "");
	pa_str(&a, in->body_json);
	pa_dbl(&a, in->score);
	pa_i64(&a, in->created_at ? in->created_at : ml_now_ms());
	return insert_id((struct pq *)s, "INSERT INTO predictions(task_id, model, model_version, body, score, created_at) "
					 "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", &a, id, NULL, err, "adding a prediction");
}

int pq_prediction_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx,
		       struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT id, task_id, model, model_version, body, score, created_at FROM predictions "
					     "WHERE task_id = $1 ORDER BY id", &a, err, "listing predictions");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_prediction p = {
			.id = pg_i64(r, i, 0),
			.task_id = pg_i64(r, i, 1),
			.model = pg_dup(r, i, 2, false),
			.model_version = pg_dup(r, i, 3, false),
			.body_json = pg_dup(r, i, 4, false),
			.score = pg_dbl(r, i, 5),
			.created_at = pg_i64(r, i, 6),
		};
		ret = cb(ctx, &p);
		store_prediction_release(&p);
	}
	PQclear(r);
	return ret;
}

/* ---- reviews ---- */

int pq_review_add(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err)
{
	if (in->decision != STORE_REVIEW_ACCEPT && in->decision != STORE_REVIEW_REJECT)
		return ml_err_set(err, ML_EINVAL, "unknown review decision %d", (int)in->decision);
	struct pq_args a = {0};
	pa_i64(&a, in->annotation_id);
	pa_i64(&a, in->annotation_version);
	pa_i64(&a, in->reviewer_id);
	pa_i64(&a, (int)in->decision);
	pa_str(&a, in->comment ? in->comment : "");
	pa_i64(&a, in->created_at ? in->created_at : ml_now_ms());
	int64_t rows = 0;
	if (insert_id((struct pq *)s, "INSERT INTO reviews(annotation_id, annotation_version, reviewer_id, decision, comment, "
				      "created_at) SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM annotation_versions "
				      "WHERE annotation_id = $1 AND version = $2) RETURNING id", &a, id, &rows, err, "adding a review"))
		return -1;
	if (rows == 0)
		return ml_err_set(err, ML_ENOTFOUND, "annotation %lld has no version %d", (long long)in->annotation_id,
				  in->annotation_version);
	return 0;
}

int pq_review_list(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx,
		   struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, annotation_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT id, annotation_id, annotation_version, reviewer_id, decision, comment, created_at "
					     "FROM reviews WHERE annotation_id = $1 ORDER BY id", &a, err, "listing reviews");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_review rv = {
			.id = pg_i64(r, i, 0),
			.annotation_id = pg_i64(r, i, 1),
			.annotation_version = pg_int(r, i, 2),
			.reviewer_id = pg_i64(r, i, 3),
			.decision = (enum store_review_decision)pg_int(r, i, 4),
			.comment = pg_dup(r, i, 5, false),
			.created_at = pg_i64(r, i, 6),
		};
		ret = cb(ctx, &rv);
		store_review_release(&rv);
	}
	PQclear(r);
	return ret;
}

/* ---- comments ---- */

int pq_comment_add(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err)
{
	if (!body)
		return ml_err_set(err, ML_EINVAL, "comment has no body");
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	pa_i64(&a, user_id);
	pa_str(&a, body);
	pa_i64(&a, ml_now_ms());
	if (insert_id((struct pq *)s, "INSERT INTO comments(task_id, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
		      &a, id, NULL, err, "adding a comment")) {
		if (err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "no task %lld or no user %lld", (long long)task_id, (long long)user_id);
		return -1;
	}
	return 0;
}

int pq_comment_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx,
		    struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT id, task_id, user_id, body, created_at FROM comments WHERE task_id = $1 ORDER BY id",
			     &a, err, "listing comments");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_comment c = {
			.id = pg_i64(r, i, 0),
			.task_id = pg_i64(r, i, 1),
			.user_id = pg_i64(r, i, 2),
			.body = pg_dup(r, i, 3, false),
			.created_at = pg_i64(r, i, 4),
		};
		ret = cb(ctx, &c);
		store_comment_release(&c);
	}
	PQclear(r);
	return ret;
}

/* ---- audit trail ---- */

int pq_audit_append(struct store *s, struct store_audit *rec, void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq),
		    void *ctx, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (pq_txn_begin(q, err))
		return -1;
	/* One chain across every server: the advisory lock, held to the end of the transaction, lets one
	 * appender at a time read the last record and link to it. */
	int rc = pq_do(q, "SELECT pg_advisory_xact_lock(1835794434, 0)", NULL, NULL, err, "locking the audit trail");
	PGresult *r = rc ? NULL : pq_run(q, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", NULL, err,
					 "reading the audit trail");
	if (!rc && !r)
		rc = -1;
	if (r) {
		if (PQntuples(r)) {
			rec->seq = pg_i64(r, 0, 0) + 1;
			pg_copy(r, 0, 1, rec->prev_hash, sizeof rec->prev_hash);
		} else {
			rec->seq = 1;
			rec->prev_hash[0] = 0;
		}
		PQclear(r);
	}
	if (!rc) {
		if (!rec->at)
			rec->at = ml_now_ms();
		if (!rec->scheme)
			rec->scheme = STORE_AUDIT_KEYED;
		if (chain)
			chain(ctx, rec);
		struct pq_args a = {0};
		pa_i64(&a, rec->seq);
		pa_i64(&a, rec->at);
		pa_i64(&a, rec->user_id);
		pa_str(&a, rec->role);
		pa_str(&a, rec->action);
		pa_str(&a, rec->object);
		pa_str(&a, rec->client);
		pa_i64(&a, rec->status);
		pa_str(&a, rec->prev_hash);
		pa_str(&a, rec->hash);
		pa_i64(&a, rec->scheme);
		rc = pq_do(q, "INSERT INTO audit(seq, at, user_id, role, action, object, client, status, prev_hash, hash, scheme) "
			      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", &a, NULL, err,
			   "appending to the audit trail");
	}
	return pq_txn_end(q, rc, err);
}

int pq_audit_list(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a),
		  void *ctx, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	/* By seq ranges (pq_next_span): a verify walks the whole trail, which must neither sit in memory at
	 * once nor cost more per page as it goes. */
	int64_t last = 0;
	if (pq_max_id(q, "SELECT coalesce(max(seq), 0) FROM audit WHERE $1::bigint IS NOT NULL", 0, &last, err))
		return -1;
	int64_t lo = f->after_seq, left = f->limit > 0 ? f->limit : INT64_MAX, span = PQ_SPAN_MIN;
	int ret = 0;
	while (!ret && left > 0 && lo < last) {
		int64_t hi = lo + span;
		struct pq_args a = {0};
		pa_i64(&a, lo);
		pa_i64(&a, f->since);
		pa_i64(&a, f->until);
		pa_i64(&a, f->user_id);
		pa_str(&a, f->action_prefix);
		pa_str(&a, f->object_prefix);
		pa_i64(&a, left);
		pa_i64(&a, hi);
		PGresult *r = pq_run(q,
				     "SELECT seq, at, user_id, role, action, object, client, status, prev_hash, hash, scheme FROM audit "
				     "WHERE seq > $1 AND seq <= $8 AND ($2::bigint = 0 OR at >= $2) AND ($3::bigint = 0 OR at < $3) "
				     "AND ($4::bigint = 0 OR user_id = $4) AND ($5::text IS NULL OR starts_with(action, $5)) "
				     "AND ($6::text IS NULL OR starts_with(object, $6)) ORDER BY seq LIMIT $7",
				     &a, err, "listing the audit trail");
		if (!r)
			return -1;
		int n = PQntuples(r);
		for (int i = 0; i < n && !ret; i++) {
			struct store_audit au;
			memset(&au, 0, sizeof au);
			au.seq = pg_i64(r, i, 0);
			au.at = pg_i64(r, i, 1);
			au.user_id = pg_i64(r, i, 2);
			pg_copy(r, i, 3, au.role, sizeof au.role);
			pg_copy(r, i, 4, au.action, sizeof au.action);
			pg_copy(r, i, 5, au.object, sizeof au.object);
			pg_copy(r, i, 6, au.client, sizeof au.client);
			au.status = pg_int(r, i, 7);
			pg_copy(r, i, 8, au.prev_hash, sizeof au.prev_hash);
			pg_copy(r, i, 9, au.hash, sizeof au.hash);
			au.scheme = pg_int(r, i, 10);
			ret = cb(ctx, &au);
		}
		PQclear(r);
		left -= n;
		span = pq_next_span(span, n);
		lo = hi;
	}
	return ret;
}
