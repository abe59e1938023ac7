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

/* The user's live lease in the project, else the first task of the wanted kind with room for them. Gold
 * tasks are for every annotator once: no overlap limit, any state. Runs in the caller's write transaction. */
static int find_filtered(struct sq *q, int64_t project_id, int64_t user_id, int64_t now, int gold, struct store_task *out,
			 bool *own, struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_TASK_COLS " FROM assignments a JOIN tasks t ON t.id = a.task_id "
				      "WHERE a.user_id = ?1 AND t.project_id = ?2 AND a.state = 0 AND a.lease_expires_at > ?3 "
				      "AND (t.state IN (0, 1) OR t.gold = 1) ORDER BY a.leased_at, t.id LIMIT 1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, project_id);
	sqlite3_bind_int64(st, 3, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sq_read_task(st, 0, out);
		*own = true;
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q, err, "looking up a lease");
	*own = false;
	st = sq_prep(q, "SELECT " SQ_TASK_COLS " FROM tasks t WHERE t.project_id = ?1 AND t.gold = ?4 "
			/* items hidden while they await de-identification review are never handed out */
			"AND EXISTS (SELECT 1 FROM items vi WHERE vi.id = t.item_id AND vi.visible) "
			"AND (t.gold = 1 OR t.state IN (0, 1)) "
			"AND NOT EXISTS (SELECT 1 FROM assignments o WHERE o.task_id = t.id AND o.user_id = ?2 "
			"  AND o.state IN (1, 2)) "
			"AND (t.gold = 1 OR (SELECT count(*) FROM assignments b WHERE b.task_id = t.id AND b.user_id <> ?2 AND "
			"  (b.state = 1 OR (b.state = 0 AND b.lease_expires_at > ?3))) < t.overlap) "
			"ORDER BY t.priority DESC, t.id LIMIT 1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, gold ? 1 : 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_read_task(st, 0, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_fail(q, err, "looking for a task");
	return ml_err_set(err, ML_ENOTFOUND, "no %s task left for user %lld in project %lld", gold ? "gold" : "regular",
			  (long long)user_id, (long long)project_id);
}

int sq_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
			   struct store_task *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	if (lease_ms <= 0)
		return ml_err_set(err, ML_EINVAL, "lease duration must be positive");
	if (sq_txn_begin(q, err))
		return -1;
	bool own = false;
	int rc = find_filtered(q, project_id, user_id, now, gold, out, &own, err);
	if (rc == 0 && !own) {
		sqlite3_stmt *st = sq_prep(q, "INSERT INTO assignments(task_id, user_id, state, leased_at, lease_expires_at) "
					      "VALUES (?1, ?2, 0, ?3, ?4) ON CONFLICT(task_id, user_id) DO UPDATE SET "
					      "state = 0, leased_at = ?3, lease_expires_at = ?4", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, out->id);
			sqlite3_bind_int64(st, 2, user_id);
			sqlite3_bind_int64(st, 3, now);
			sqlite3_bind_int64(st, 4, now + lease_ms);
			rc = sq_step_done(q, st, err, "leasing a task");
		}
		if (rc == 0 && out->state == STORE_TASK_OPEN) {
			st = sq_prep(q, "UPDATE tasks SET state = 1, updated_at = ?2 WHERE id = ?1", err);
			rc = st ? 0 : -1;
			if (st) {
				sqlite3_bind_int64(st, 1, out->id);
				sqlite3_bind_int64(st, 2, now);
				rc = sq_step_done(q, st, err, "updating a task");
				out->state = STORE_TASK_IN_PROGRESS;
				out->updated_at = now;
			}
		}
	}
	return sq_txn_end(q, rc, err);
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
