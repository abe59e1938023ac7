/* sqlite_quality.c: the quality module's rows (annotator qualification, migration 3) and the gold-aware
 * lease used to mix gold tasks into annotators' queues. */
#include "store/sqlite_int.h"

#include <string.h>

static void read_quality(sqlite3_stmt *st, struct store_annotator_quality *out)
{
	out->project_id = sqlite3_column_int64(st, 0);
	out->user_id = sqlite3_column_int64(st, 1);
	out->state = (enum store_qual_state)sqlite3_column_int(st, 2);
	out->accuracy = sqlite3_column_double(st, 3);
	out->answers = sqlite3_column_int64(st, 4);
	out->updated_at = sqlite3_column_int64(st, 5);
}

int sq_annotator_quality_get(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out,
			     struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT project_id, user_id, state, accuracy, answers, updated_at FROM annotator_quality "
				      "WHERE project_id = ?1 AND user_id = ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, user_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_quality(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_fail(q, err, "reading an annotator's qualification");
	return ml_err_set(err, ML_ENOTFOUND, "user %lld has no qualification record in project %lld", (long long)user_id,
			  (long long)project_id);
}

int sq_annotator_quality_set(struct store *s, const struct store_annotator_quality *in, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if ((unsigned)in->state > STORE_QUAL_SUSPENDED)
		return ml_err_set(err, ML_EINVAL, "unknown qualification state %d", (int)in->state);
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO annotator_quality(project_id, user_id, state, accuracy, answers, updated_at) "
				      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(project_id, user_id) DO UPDATE SET "
				      "state = ?3, accuracy = ?4, answers = ?5, updated_at = ?6", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, in->project_id);
	sqlite3_bind_int64(st, 2, in->user_id);
	sqlite3_bind_int(st, 3, (int)in->state);
	sqlite3_bind_double(st, 4, in->accuracy);
	sqlite3_bind_int64(st, 5, in->answers);
	sqlite3_bind_int64(st, 6, in->updated_at);
	return sq_step_done(q, st, err, "saving an annotator's qualification");
}

int sq_annotator_quality_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotator_quality *q),
			      void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT project_id, user_id, state, accuracy, answers, updated_at FROM annotator_quality "
				      "WHERE project_id = ?1 ORDER BY user_id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_annotator_quality row;
		read_quality(st, &row);
		if ((ret = cb(ctx, &row)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing qualifications");
	sqlite3_reset(st);
	return ret;
}

int sq_user_submitted_counts(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold,
			     struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	*all = *gold = 0;
	sqlite3_stmt *st = sq_prep(q, "SELECT count(*), coalesce(sum(t.gold), 0) FROM assignments a JOIN tasks t ON t.id = a.task_id "
				      "WHERE a.user_id = ?1 AND t.project_id = ?2 AND a.state = 1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, project_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*all = sqlite3_column_int64(st, 0);
		*gold = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : sq_fail(q, err, "counting submissions");
}

int sq_gold_repeat(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id,
		   struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	*task_id = 0;
	if (sq_txn_begin(q, err))
		return -1;
	/* lease_expires_at of a submitted assignment is its submission time (assignment_finish clamps it to
	 * now), so it orders the user's submissions. */
	sqlite3_stmt *st = sq_prep(q, "SELECT a.task_id FROM assignments a JOIN tasks t ON t.id = a.task_id "
				      "WHERE t.project_id = ?1 AND t.gold = 1 AND a.user_id = ?2 AND a.state = 1 AND "
				      "(a.lease_expires_at <= ?3 OR (?4 > 0 AND (SELECT count(*) FROM assignments b JOIN tasks u "
				      "  ON u.id = b.task_id WHERE u.project_id = ?1 AND b.user_id = ?2 AND b.state = 1 AND "
				      "  b.lease_expires_at > a.lease_expires_at) >= ?4)) "
				      "ORDER BY a.lease_expires_at, a.task_id LIMIT 1", err);
	int rc = st ? 0 : -1;
	if (st) {
		sqlite3_bind_int64(st, 1, project_id);
		sqlite3_bind_int64(st, 2, user_id);
		sqlite3_bind_int64(st, 3, before);
		sqlite3_bind_int64(st, 4, every);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			*task_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			rc = sq_fail(q, err, "looking for a gold task to repeat");
	}
	if (!rc && *task_id) {
		st = sq_prep(q, "UPDATE assignments SET state = 4 WHERE task_id = ?1 AND user_id = ?2", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, *task_id);
			sqlite3_bind_int64(st, 2, user_id);
			rc = sq_step_done(q, st, err, "returning a gold task");
		}
	}
	rc = sq_txn_end(q, rc, err);
	if (!rc && !*task_id)
		return ml_err_set(err, ML_ENOTFOUND, "no gold task due again for user %lld", (long long)user_id);
	return rc;
}
