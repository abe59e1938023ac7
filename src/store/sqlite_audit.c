/* sqlite_audit.c: the append-only, hash-chained audit trail in SQLite. */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <string.h>

int sq_audit_append(struct store *s, struct store_audit *rec, void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq),
		    void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	/* The write lock taken by BEGIN IMMEDIATE is what serialises appends across processes: nobody can
	 * read the same last record and append a sibling of ours. */
	if (sq_txn_begin(q, err))
		return -1;
	int rc = 0;
	sqlite3_stmt *st = sq_prep(q, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", err);
	if (!st)
		rc = -1;
	if (!rc) {
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			rec->seq = sqlite3_column_int64(st, 0) + 1;
			sq_col_copy(st, 1, rec->prev_hash, sizeof rec->prev_hash);
		} else if (r == SQLITE_DONE) {
			rec->seq = 1;
			rec->prev_hash[0] = 0;
		} else {
			rc = sq_fail(q, err, "reading the audit trail");
		}
		sqlite3_reset(st);
	}
	if (!rc) {
		if (!rec->at)
			rec->at = ml_now_ms();
		if (!rec->scheme)
			rec->scheme = STORE_AUDIT_KEYED;
		if (chain)
			chain(ctx, rec);
		st = sq_prep(q, "INSERT INTO audit(seq, at, user_id, role, action, object, client, status, prev_hash, hash, scheme) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, rec->seq);
			sqlite3_bind_int64(st, 2, rec->at);
			sqlite3_bind_int64(st, 3, rec->user_id);
			sq_bind_str(st, 4, rec->role);
			sq_bind_str(st, 5, rec->action);
			sq_bind_str(st, 6, rec->object);
			sq_bind_str(st, 7, rec->client);
			sqlite3_bind_int(st, 8, rec->status);
			sq_bind_str(st, 9, rec->prev_hash);
			sq_bind_str(st, 10, rec->hash);
			sqlite3_bind_int(st, 11, rec->scheme);
			rc = sq_step_done(q, st, err, "appending to the audit trail");
		}
	}
	return sq_txn_end(q, rc, err);
}

int sq_audit_list(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a),
		  void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT seq, at, user_id, role, action, object, client, status, prev_hash, hash, scheme FROM audit "
				      "WHERE seq > ?1 AND (?2 = 0 OR at >= ?2) AND (?3 = 0 OR at < ?3) AND (?4 = 0 OR user_id = ?4) "
				      "AND (?5 IS NULL OR substr(action, 1, length(?5)) = ?5) "
				      "AND (?6 IS NULL OR substr(object, 1, length(?6)) = ?6) ORDER BY seq LIMIT ?7", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, f->after_seq);
	sqlite3_bind_int64(st, 2, f->since);
	sqlite3_bind_int64(st, 3, f->until);
	sqlite3_bind_int64(st, 4, f->user_id);
	sq_bind_str(st, 5, f->action_prefix);
	sq_bind_str(st, 6, f->object_prefix);
	sqlite3_bind_int64(st, 7, f->limit > 0 ? f->limit : -1);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit a;
		memset(&a, 0, sizeof a);
		a.seq = sqlite3_column_int64(st, 0);
		a.at = sqlite3_column_int64(st, 1);
		a.user_id = sqlite3_column_int64(st, 2);
		sq_col_copy(st, 3, a.role, sizeof a.role);
		sq_col_copy(st, 4, a.action, sizeof a.action);
		sq_col_copy(st, 5, a.object, sizeof a.object);
		sq_col_copy(st, 6, a.client, sizeof a.client);
		a.status = sqlite3_column_int(st, 7);
		sq_col_copy(st, 8, a.prev_hash, sizeof a.prev_hash);
		sq_col_copy(st, 9, a.hash, sizeof a.hash);
		a.scheme = sqlite3_column_int(st, 10);
		if ((ret = cb(ctx, &a)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing the audit trail");
	sqlite3_reset(st);
	return ret;
}
