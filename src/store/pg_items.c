/* pg_items.c: items, tasks, the annotator queue (leases) and assignments in PostgreSQL.
 *
 * Leasing across several servers: a lease takes a transaction-level advisory lock on its project, so
 * leases of one project run one at a time whichever server serves them, as SQLite's single writer made
 * them; each statement after the lock sees every lease committed before it. Finishing and returning
 * lock the task row first, so their recounts see each other's rows. */
#include "store/pg_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int pq_item_add(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id,
		struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	char hash[65];
	if (store_item_check(in, hash, err) != 0)
		return -1;
	if (overlap < 1)
		overlap = 1;
	int64_t now = ml_now_ms();
	struct pq_args a = {0};
	pa_i64(&a, in->project_id);
	pa_i64(&a, (int)in->modality);
	pa_i64(&a, (int)in->source);
	pa_str(&a, in->patient_key ? in->patient_key : "");
	pa_str(&a, in->meta_json && *in->meta_json ? in->meta_json : "{}");
	pa_str(&a, in->text);
	pa_str(&a, in->media_hash);
	pa_str(&a, in->media_hash ? in->media_type : NULL);
	pa_str(&a, hash);
	pa_str(&a, in->external_ref ? in->external_ref : "");
	pa_i64(&a, now);
	pa_i64(&a, in->visible);
	pa_i64(&a, overlap);
	/* One statement for the pair (the task shares its item's id), so it needs no transaction of its own;
	 * inside the caller's, a savepoint sent with it. */
	PGresult *r = pq_run_sp(q, "WITH i AS (INSERT INTO items(project_id, modality, source, patient_key, meta, text, media_hash, "
				"media_type, content_hash, external_ref, created_at, visible) "
				"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id) "
				"INSERT INTO tasks(id, project_id, item_id, overlap, updated_at) "
				"SELECT id, $1, id, $13, $11 FROM i RETURNING id",
			     &a, err, "adding an item");
	int rc = r ? 0 : -1;
	int64_t id = r && PQntuples(r) ? pg_i64(r, 0, 0) : 0;
	PQclear(r);
	if (rc && err && err->code == ML_ENOTFOUND)
		ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)in->project_id);
	if (rc)
		return -1;
	if (item_id)
		*item_id = id;
	if (task_id)
		*task_id = id;
	return 0;
}

int pq_item_get(struct store *s, int64_t id, struct store_item *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_i64(&a, id);
	PGresult *r = pq_run((struct pq *)s, "SELECT " PG_ITEM_COLS " FROM items i WHERE i.id = $1", &a, err, "reading an item");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		pg_read_item(r, 0, 0, out);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
}

int pq_item_set_text(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	char hash[65];
	if (store_text_hash(id, text, content_hash, hash, err) != 0)
		return -1;
	if (pq_txn_begin(q, err))
		return -1;
	/* Keep the replaced content: snapshots pinned before the edit still export it. */
	struct pq_args a = {0};
	pa_i64(&a, id);
	pa_i64(&a, ml_now_ms());
	pa_str(&a, hash);
	int rc = pq_do(q, "INSERT INTO item_history(item_id, content_hash, text, replaced_at) "
			  "SELECT id, content_hash, text, $2 FROM items WHERE id = $1 AND content_hash <> $3 "
			  "ON CONFLICT DO NOTHING", &a, NULL, err, "keeping an item's history");
	if (!rc) {
		struct pq_args b = {0};
		pa_str(&b, text);
		pa_str(&b, hash);
		pa_i64(&b, id);
		int64_t n = 0;
		rc = pq_do(q, "UPDATE items SET text = $1, content_hash = $2 WHERE id = $3", &b, &n, err, "updating an item");
		if (!rc && n == 0)
			rc = ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
	}
	return pq_txn_end(q, rc, err);
}

int pq_item_set_visible(struct store *s, int64_t id, bool visible, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, visible);
	pa_i64(&a, id);
	int64_t n = 0;
	if (pq_do((struct pq *)s, "UPDATE items SET visible = $1 WHERE id = $2", &a, &n, err, "updating an item"))
		return -1;
	return n ? 0 : ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
}

int pq_item_set_meta(struct store *s, int64_t id, const char *meta_json, struct ml_err *err)
{
	/* the column holds an object: refuse anything else rather than store what readers cannot parse */
	json_error_t je;
	json_t *m = meta_json ? json_loads(meta_json, 0, &je) : NULL;
	bool ok = json_is_object(m);
	json_decref(m);
	if (!ok)
		return ml_err_set(err, ML_EINVAL, "metadata of item %lld is not a JSON object", (long long)id);
	struct pq_args a = {0};
	pa_str(&a, meta_json);
	pa_i64(&a, id);
	int64_t n = 0;
	if (pq_do_sp((struct pq *)s, "UPDATE items SET meta = $1 WHERE id = $2", &a, &n, err, "updating an item"))
		return -1;
	return n ? 0 : ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
}

int pq_item_list(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it),
		 void *ctx, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	/* By id ranges (pq_next_span): a project's items never sit in memory all at once, and no page costs
	 * more than its range. No transaction: the callback may write through this handle. */
	int64_t last = 0;
	if (pq_max_id(q, "SELECT coalesce(max(id), 0) FROM items WHERE project_id = $1", project_id, &last, err))
		return -1;
	int ret = 0;
	int64_t lo = after_id, span = PQ_SPAN_MIN;
	while (!ret && lo < last) {
		int64_t hi = lo + span;
		struct pq_args a = {0};
		pa_i64(&a, project_id);
		pa_i64(&a, lo);
		pa_i64(&a, hi);
		PGresult *r = pq_run(q, "SELECT " PG_ITEM_COLS " FROM items i WHERE i.project_id = $1 AND i.id > $2 AND i.id <= $3 "
					"ORDER BY i.id", &a, err, "listing items");
		if (!r)
			return -1;
		int n = PQntuples(r);
		for (int i = 0; i < n && !ret; i++) {
			struct store_item it;
			pg_read_item(r, i, 0, &it);
			ret = cb(ctx, &it);
			store_item_release(&it);
		}
		PQclear(r);
		span = pq_next_span(span, n);
		lo = hi;
	}
	return ret;
}

/* ---- tasks ---- */

int pq_task_get(struct store *s, int64_t id, struct store_task *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_i64(&a, id);
	PGresult *r = pq_run((struct pq *)s, "SELECT " PG_TASK_COLS " FROM tasks t WHERE t.id = $1", &a, err, "reading a task");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		pg_read_task(r, 0, 0, out);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "no task %lld", (long long)id);
}

int pq_task_list(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t),
		 void *ctx, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, f->project_id);
	pa_i64(&a, f->state);
	pa_i64(&a, f->assignee_id);
	pa_i64(&a, f->after_id);
	if (f->limit > 0)
		pa_i64(&a, f->limit);
	else
		pa_str(&a, NULL); /* LIMIT NULL: no limit */
	PGresult *r = pq_run((struct pq *)s, "SELECT " PG_TASK_COLS " FROM tasks t WHERE t.project_id = $1 "
					     "AND ($2::integer < 0 OR t.state = $2) AND t.id > $4 AND ($3::bigint = 0 OR EXISTS "
					     "(SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.user_id = $3)) "
					     "ORDER BY t.id LIMIT $5::bigint", &a, err, "listing tasks");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_task t;
		pg_read_task(r, i, 0, &t);
		ret = cb(ctx, &t);
	}
	PQclear(r);
	return ret;
}

static int task_update(struct pq *q, const char *sql, int64_t id, int64_t iv, double dv, bool real, struct ml_err *err)
{
	struct pq_args a = {0};
	if (real)
		pa_dbl(&a, dv);
	else
		pa_i64(&a, iv);
	pa_i64(&a, id);
	pa_i64(&a, ml_now_ms());
	int64_t n = 0;
	if (pq_do(q, sql, &a, &n, err, "updating a task"))
		return -1;
	return n ? 0 : ml_err_set(err, ML_ENOTFOUND, "no task %lld", (long long)id);
}

int pq_task_set_state(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err)
{
	if ((unsigned)st > STORE_TASK_DONE)
		return ml_err_set(err, ML_EINVAL, "unknown task state %d", (int)st);
	return task_update((struct pq *)s, "UPDATE tasks SET state = $1, full_until = 0, updated_at = $3 WHERE id = $2", id, st, 0,
			   false, err);
}

int pq_task_set_overlap(struct store *s, int64_t id, int overlap, struct ml_err *err)
{
	if (overlap < 1)
		return ml_err_set(err, ML_EINVAL, "overlap must be at least 1, not %d", overlap);
	return task_update((struct pq *)s, "UPDATE tasks SET overlap = $1, full_until = 0, updated_at = $3 WHERE id = $2", id,
			   overlap, 0, false, err);
}

int pq_task_set_gold(struct store *s, int64_t id, bool gold, struct ml_err *err)
{
	return task_update((struct pq *)s, "UPDATE tasks SET gold = $1, updated_at = $3 WHERE id = $2", id, gold, 0, false, err);
}

int pq_task_set_priority(struct store *s, int64_t id, double priority, struct ml_err *err)
{
	return task_update((struct pq *)s, "UPDATE tasks SET priority = $1, updated_at = $3 WHERE id = $2", id, 0, priority, true,
			   err);
}

/* ---- the queue ---- */

/* As in the SQLite backend: the user's own work first (returned, then a live lease), then the first task
 * with a free slot. Runs under the project's queue lock (see lease()). */
static int find_lease(struct pq *q, int64_t project_id, int64_t user_id, int64_t now, int gold, struct store_task *out,
		      bool *own, struct ml_err *err)
{
	static const char *const own_sql[2] = {
		"SELECT " PG_TASK_COLS " FROM assignments a JOIN tasks t ON t.id = a.task_id "
		"WHERE a.user_id = $1 AND a.state = 4 AND t.project_id = $2 AND (t.state IN (0, 1) OR t.gold = 1) "
		"AND $3::bigint IS NOT NULL ORDER BY a.leased_at, t.id LIMIT 1",
		"SELECT " PG_TASK_COLS " FROM assignments a JOIN tasks t ON t.id = a.task_id "
		"WHERE a.user_id = $1 AND a.state = 0 AND a.lease_expires_at > $3 AND t.project_id = $2 "
		"AND (t.state IN (0, 1) OR t.gold = 1) ORDER BY a.leased_at, t.id LIMIT 1",
	};
	struct pq_args a = {0};
	pa_i64(&a, user_id);
	pa_i64(&a, project_id);
	pa_i64(&a, now);
	for (int k = 0; k < 2; k++) {
		PGresult *r = pq_run(q, own_sql[k], &a, err, "looking up a lease");
		if (!r)
			return -1;
		int found = PQntuples(r) > 0;
		if (found)
			pg_read_task(r, 0, 0, out);
		PQclear(r);
		if (found) {
			*own = k == 1; /* a returned one is leased afresh */
			return 0;
		}
	}
	*own = false;
#define LEASE_FROM "SELECT " PG_TASK_COLS " FROM tasks t WHERE t.project_id = $1 "
#define LEASE_ELIGIBLE                                                                                        \
	"AND EXISTS (SELECT 1 FROM items vi WHERE vi.id = t.item_id AND vi.visible <> 0) "                    \
	"AND NOT EXISTS (SELECT 1 FROM assignments o WHERE o.task_id = t.id AND o.user_id = $2 AND o.state IN (1, 2)) "
#define LEASE_SLOT_FREE                                                                                       \
	"AND (SELECT count(*) FROM assignments b WHERE b.task_id = t.id AND b.user_id <> $2 AND "             \
	"  (b.state IN (1, 4) OR (b.state = 0 AND b.lease_expires_at > $3))) < t.overlap "
#define LEASE_ORDER "ORDER BY t.priority DESC, t.id LIMIT 1"
	static const char *const sql[3] = {
		LEASE_FROM "AND t.state IN (0, 1) AND t.full_until <= $3 " LEASE_ELIGIBLE LEASE_SLOT_FREE LEASE_ORDER,
		LEASE_FROM "AND t.gold = 0 AND t.state IN (0, 1) AND t.full_until <= $3 " LEASE_ELIGIBLE LEASE_SLOT_FREE LEASE_ORDER,
		/* gold: every annotator once, any state, no overlap limit */
		LEASE_FROM "AND t.gold = 1 AND $3::bigint IS NOT NULL " LEASE_ELIGIBLE LEASE_ORDER,
	};
	struct pq_args b = {0};
	pa_i64(&b, project_id);
	pa_i64(&b, user_id);
	pa_i64(&b, now);
	PGresult *r = pq_run(q, sql[gold < 0 ? 0 : gold ? 2 : 1], &b, err, "looking for a task");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		pg_read_task(r, 0, 0, out);
	PQclear(r);
	if (found)
		return 0;
	return ml_err_set(err, ML_ENOTFOUND, "no %stask left for user %lld in project %lld",
			  gold < 0 ? "" : gold ? "gold " : "regular ", (long long)user_id, (long long)project_id);
}

static int lease(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
		 struct store_task *out, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	memset(out, 0, sizeof *out);
	if (lease_ms <= 0)
		return ml_err_set(err, ML_EINVAL, "lease duration must be positive");
	if (pq_txn_begin(q, err))
		return -1;
	struct pq_args l = {0};
	pa_i64(&l, project_id);
	/* Leases of one project, one at a time across every server on this database. */
	int rc = pq_do(q, "SELECT pg_advisory_xact_lock(1835794435, ($1::bigint % 2147483647)::integer)", &l, NULL, err,
		       "locking the queue");
	bool own = false;
	if (!rc)
		rc = find_lease(q, project_id, user_id, now, gold, out, &own, err);
	if (rc == 0 && !own) {
		struct pq_args a = {0};
		pa_i64(&a, out->id);
		pa_i64(&a, user_id);
		pa_i64(&a, now);
		pa_i64(&a, now + lease_ms);
		rc = pq_do(q, "INSERT INTO assignments(task_id, user_id, state, leased_at, lease_expires_at) "
			      "VALUES ($1, $2, 0, $3, $4) ON CONFLICT(task_id, user_id) DO UPDATE SET "
			      "state = 0, leased_at = $3, lease_expires_at = $4", &a, NULL, err, "leasing a task");
		/* Open -> in progress; full_until as in the SQLite backend (migration 5). */
		if (rc == 0) {
			struct pq_args b = {0};
			pa_i64(&b, out->id);
			pa_i64(&b, now);
			rc = pq_do(q, "UPDATE tasks SET state = CASE WHEN state = 0 THEN 1 ELSE state END, "
				      "updated_at = CASE WHEN state = 0 THEN $2 ELSE updated_at END, full_until = "
				      "(SELECT CASE WHEN count(*) >= tasks.overlap THEN coalesce(min(CASE WHEN a.state = 0 "
				      "THEN a.lease_expires_at END), 0) ELSE 0 END FROM assignments a WHERE a.task_id = $1 AND "
				      "(a.state IN (1, 4) OR (a.state = 0 AND a.lease_expires_at > $2))) WHERE id = $1", &b, NULL,
				   err, "updating a task");
			if (rc == 0 && out->state == STORE_TASK_OPEN) {
				out->state = STORE_TASK_IN_PROGRESS;
				out->updated_at = now;
			}
		}
	}
	return pq_txn_end(q, rc, err);
}

int pq_task_lease_next(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms,
		       struct store_task *out, struct ml_err *err)
{
	return lease(s, project_id, user_id, now, lease_ms, -1, out, err);
}

int pq_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
			   struct store_task *out, struct ml_err *err)
{
	return lease(s, project_id, user_id, now, lease_ms, gold ? 1 : 0, out, err);
}

int pq_assignment_get(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	pa_i64(&a, user_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT state, leased_at, lease_expires_at FROM assignments WHERE task_id = $1 "
					     "AND user_id = $2", &a, err, "reading an assignment");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found) {
		out->task_id = task_id;
		out->user_id = user_id;
		out->state = (enum store_assignment_state)pg_int(r, 0, 0);
		out->leased_at = pg_i64(r, 0, 1);
		out->lease_expires_at = pg_i64(r, 0, 2);
	}
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "user %lld has no assignment on task %lld", (long long)user_id,
				      (long long)task_id);
}

/* Locks the task row: recounts of its assignments then see every other writer's committed rows. */
static int lock_task(struct pq *q, int64_t task_id, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	return pq_do(q, "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", &a, NULL, err, "locking a task");
}

int pq_assignment_return(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (pq_txn_begin(q, err))
		return -1;
	int rc = lock_task(q, task_id, err);
	struct pq_args a = {0};
	pa_i64(&a, task_id);
	pa_i64(&a, user_id);
	int64_t n = 0;
	if (!rc)
		rc = pq_do(q, "UPDATE assignments SET state = 4 WHERE task_id = $1 AND user_id = $2", &a, &n, err,
			   "returning an assignment");
	if (!rc && n == 0)
		rc = ml_err_set(err, ML_ENOTFOUND, "user %lld has no assignment on task %lld", (long long)user_id,
				(long long)task_id);
	if (!rc) {
		struct pq_args b = {0};
		pa_i64(&b, task_id);
		pa_i64(&b, now);
		rc = pq_do(q, "UPDATE tasks SET state = 1, submitted = (SELECT count(*) FROM assignments WHERE task_id = $1 "
			      "AND state = 1), updated_at = $2 WHERE id = $1", &b, NULL, err, "reopening a task");
	}
	return pq_txn_end(q, rc, err);
}

int pq_assignment_finish(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state state, int64_t now,
			 struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (state == STORE_ASSIGN_LEASED || (unsigned)state > STORE_ASSIGN_RELEASED)
		return ml_err_set(err, ML_EINVAL, "an assignment can only finish submitted, skipped or released");
	if (pq_txn_begin(q, err))
		return -1;
	int rc = lock_task(q, task_id, err);
	int64_t n = 0;
	if (!rc) {
		struct pq_args a = {0};
		pa_i64(&a, task_id);
		pa_i64(&a, user_id);
		pa_i64(&a, (int)state);
		pa_i64(&a, now);
		rc = pq_do(q, "UPDATE assignments SET state = $3, lease_expires_at = least(lease_expires_at, $4) "
			      "WHERE task_id = $1 AND user_id = $2", &a, &n, err, "finishing an assignment");
	}
	if (!rc && n == 0)
		rc = ml_err_set(err, ML_ENOTFOUND, "user %lld has no assignment on task %lld", (long long)user_id,
				(long long)task_id);
	struct pq_args b = {0};
	pa_i64(&b, task_id);
	pa_i64(&b, now);
	if (!rc)
		rc = pq_do(q, "UPDATE tasks SET submitted = (SELECT count(*) FROM assignments WHERE task_id = $1 AND state = 1), "
			      "full_until = 0, updated_at = $2 WHERE id = $1", &b, NULL, err, "counting submissions");
	if (!rc)
		rc = pq_do(q, "UPDATE tasks SET state = CASE WHEN submitted >= overlap THEN 2 "
			      "WHEN submitted = 0 AND NOT EXISTS (SELECT 1 FROM assignments WHERE task_id = $1 AND state = 0 "
			      "AND lease_expires_at > $2) THEN 0 ELSE 1 END WHERE id = $1 AND state IN (0, 1)", &b, NULL, err,
			   "updating a task's state");
	return pq_txn_end(q, rc, err);
}
