/* sqlite_items.c: items, tasks, the annotator queue (leases) and assignments in SQLite. */
#include "store/sqlite_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int sq_item_add(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id,
		struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	char hash[65];
	if (store_item_check(in, hash, err) != 0)
		return -1;
	if (overlap < 1)
		overlap = 1;
	int64_t now = ml_now_ms();
	/* Inside the caller's transaction (an import batch) a savepoint per item would cost two more
	 * statements per item; the only step that can fail after a write is the task insert, which is
	 * undone by hand below. On our own, a transaction makes the pair atomic. */
	bool own = q->depth == 0;
	if (own && sq_txn_begin(q, err))
		return -1;
	int rc = 0;
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO items(project_id, modality, source, patient_key, meta, text, media_hash, "
				      "media_type, content_hash, external_ref, created_at, visible) "
				      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", err);
	if (!st)
		rc = -1;
	int64_t iid = 0, tid = 0;
	if (!rc) {
		sqlite3_bind_int64(st, 1, in->project_id);
		sqlite3_bind_int(st, 2, (int)in->modality);
		sqlite3_bind_int(st, 3, (int)in->source);
		sq_bind_str(st, 4, in->patient_key ? in->patient_key : "");
		sq_bind_str(st, 5, in->meta_json && *in->meta_json ? in->meta_json : "{}");
		sq_bind_str(st, 6, in->text);
		sq_bind_str(st, 7, in->media_hash);
		sq_bind_str(st, 8, in->media_hash ? in->media_type : NULL);
		sqlite3_bind_text(st, 9, hash, 64, SQLITE_STATIC);
		sq_bind_str(st, 10, in->external_ref ? in->external_ref : "");
		sqlite3_bind_int64(st, 11, now);
		sqlite3_bind_int(st, 12, in->visible);
		rc = sq_step_done(q, st, err, "adding an item");
		if (rc && err && err->code == ML_ENOTFOUND)
			ml_err_set(err, ML_ENOTFOUND, "no project %lld", (long long)in->project_id);
		iid = sqlite3_last_insert_rowid(q->db);
	}
	if (!rc) {
		st = sq_prep(q, "INSERT INTO tasks(id, project_id, item_id, overlap, updated_at) VALUES (?2, ?1, ?2, ?3, ?4)", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, in->project_id);
			sqlite3_bind_int64(st, 2, iid);
			sqlite3_bind_int(st, 3, overlap);
			sqlite3_bind_int64(st, 4, now);
			rc = sq_step_done(q, st, err, "adding a task");
			tid = sqlite3_last_insert_rowid(q->db);
		}
		if (rc && !own) {
			struct ml_err ignore;
			sqlite3_stmt *del = sq_prep(q, "DELETE FROM items WHERE id = ?1", &ignore);
			if (del) {
				sqlite3_bind_int64(del, 1, iid);
				(void)sq_step_done(q, del, &ignore, "undoing an item");
			}
		}
	}
	if (own ? sq_txn_end(q, rc, err) : rc)
		return -1;
	if (item_id)
		*item_id = iid;
	if (task_id)
		*task_id = tid;
	return 0;
}

int sq_item_get(struct store *s, int64_t id, struct store_item *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_ITEM_COLS " FROM items i WHERE i.id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_read_item(st, 0, out);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading an item");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id) : -1;
}

int sq_item_set_text(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	char hash[65];
	if (store_text_hash(id, text, content_hash, hash, err) != 0)
		return -1;
	if (sq_txn_begin(q, err))
		return -1;
	/* Keep the replaced content: snapshots pinned before the edit still export it. */
	int rc = 0;
	sqlite3_stmt *st = sq_prep(q, "INSERT OR IGNORE INTO item_history(item_id, content_hash, text, replaced_at) "
				      "SELECT id, content_hash, text, ?2 FROM items WHERE id = ?1 AND content_hash <> ?3", err);
	if (!st)
		rc = -1;
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, ml_now_ms());
		sqlite3_bind_text(st, 3, hash, 64, SQLITE_STATIC);
		rc = sq_step_done(q, st, err, "keeping an item's history");
	}
	if (!rc) {
		st = sq_prep(q, "UPDATE items SET text = ?1, content_hash = ?2 WHERE id = ?3", err);
		rc = st ? 0 : -1;
		if (st) {
			sq_bind_str(st, 1, text);
			sqlite3_bind_text(st, 2, hash, 64, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, id);
			rc = sq_step_done(q, st, err, "updating an item");
			if (!rc && sq_changes(q) == 0)
				rc = ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
		}
	}
	return sq_txn_end(q, rc, err);
}

int sq_item_set_visible(struct store *s, int64_t id, bool visible, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "UPDATE items SET visible = ?1 WHERE id = ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, visible);
	sqlite3_bind_int64(st, 2, id);
	if (sq_step_done(q, st, err, "updating an item"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
}

int sq_item_set_meta(struct store *s, int64_t id, const char *meta_json, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	/* the column holds an object: refuse anything else rather than store what readers cannot parse */
	json_error_t je;
	json_t *m = meta_json ? json_loads(meta_json, 0, &je) : NULL;
	bool ok = json_is_object(m);
	json_decref(m);
	if (!ok)
		return ml_err_set(err, ML_EINVAL, "metadata of item %lld is not a JSON object", (long long)id);
	sqlite3_stmt *st = sq_prep(q, "UPDATE items SET meta = ?1 WHERE id = ?2", err);
	if (!st)
		return -1;
	sq_bind_str(st, 1, meta_json);
	sqlite3_bind_int64(st, 2, id);
	if (sq_step_done(q, st, err, "updating an item"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no item %lld", (long long)id);
}

int sq_item_list(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it),
		 void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_ITEM_COLS " FROM items i WHERE i.project_id = ?1 AND i.id > ?2 ORDER BY i.id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, after_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_item it;
		sq_read_item(st, 0, &it);
		ret = cb(ctx, &it);
		store_item_release(&it);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing items");
	sqlite3_reset(st);
	return ret;
}

/* ---- tasks ---- */

static int one_task(struct sq *q, sqlite3_stmt *st, struct store_task *out, int64_t id, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_read_task(st, 0, out);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a task");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "no task %lld", (long long)id) : -1;
}

int sq_task_get(struct store *s, int64_t id, struct store_task *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT " SQ_TASK_COLS " FROM tasks t WHERE t.id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return one_task(q, st, out, id, err);
}

int sq_task_list(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t),
		 void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	/* Two statements, so each has a plan that walks an index in id order and stops at the limit. */
	sqlite3_stmt *st = f->state < 0
		? sq_prep(q, "SELECT " SQ_TASK_COLS " FROM tasks t WHERE t.project_id = ?1 AND ?2 < 0 "
			     "AND t.id > ?4 AND (?3 = 0 OR EXISTS (SELECT 1 FROM assignments a WHERE "
			     "a.task_id = t.id AND a.user_id = ?3)) ORDER BY t.id LIMIT ?5", err)
		: sq_prep(q, "SELECT " SQ_TASK_COLS " FROM tasks t WHERE t.project_id = ?1 AND t.state = ?2 "
			     "AND t.id > ?4 AND (?3 = 0 OR EXISTS (SELECT 1 FROM assignments a WHERE "
			     "a.task_id = t.id AND a.user_id = ?3)) ORDER BY t.id LIMIT ?5", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, f->project_id);
	sqlite3_bind_int(st, 2, f->state);
	sqlite3_bind_int64(st, 3, f->assignee_id);
	sqlite3_bind_int64(st, 4, f->after_id);
	sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_task t;
		sq_read_task(st, 0, &t);
		if ((ret = cb(ctx, &t)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing tasks");
	sqlite3_reset(st);
	return ret;
}

/* UPDATE tasks SET <col> = ?1, updated_at = ?3 WHERE id = ?2 */
static int task_update(struct sq *q, const char *sql, int64_t id, sqlite3_int64 iv, double dv, bool real,
		       struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, sql, err);
	if (!st)
		return -1;
	if (real)
		sqlite3_bind_double(st, 1, dv);
	else
		sqlite3_bind_int64(st, 1, iv);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, ml_now_ms());
	if (sq_step_done(q, st, err, "updating a task"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no task %lld", (long long)id);
}

int sq_task_set_state(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err)
{
	if ((unsigned)st > STORE_TASK_DONE)
		return ml_err_set(err, ML_EINVAL, "unknown task state %d", (int)st);
	return task_update((struct sq *)s, "UPDATE tasks SET state = ?1, full_until = 0, updated_at = ?3 WHERE id = ?2", id, st, 0, false, err);
}

int sq_task_set_overlap(struct store *s, int64_t id, int overlap, struct ml_err *err)
{
	if (overlap < 1)
		return ml_err_set(err, ML_EINVAL, "overlap must be at least 1, not %d", overlap);
	return task_update((struct sq *)s, "UPDATE tasks SET overlap = ?1, full_until = 0, updated_at = ?3 WHERE id = ?2", id, overlap, 0,
			   false, err);
}

int sq_task_set_gold(struct store *s, int64_t id, bool gold, struct ml_err *err)
{
	return task_update((struct sq *)s, "UPDATE tasks SET gold = ?1, updated_at = ?3 WHERE id = ?2", id, gold, 0, false, err);
}

int sq_task_set_priority(struct store *s, int64_t id, double priority, struct ml_err *err)
{
	return task_update((struct sq *)s, "UPDATE tasks SET priority = ?1, updated_at = ?3 WHERE id = ?2", id, 0, priority,
			   true, err);
}

/* ---- the queue ---- */

/* Looks for the user's own work in the project (returned work first, then a live lease), then for the
 * first task with a free slot. `gold` filters the kind of task: -1 any (gold tasks count as ordinary
 * ones), 0 regular only, 1 gold only — gold tasks are for every annotator once, so with gold = 1 there is
 * no overlap limit and any state will do. Runs inside the caller's write transaction, which is what makes
 * it race-free: BEGIN IMMEDIATE serialises leasing across threads and processes, so no two callers can
 * both see the same free slot. *own is true when the user already holds a live lease (nothing to write). */
static int find_lease(struct sq *q, int64_t project_id, int64_t user_id, int64_t now, int gold, struct store_task *out,
		      bool *own, struct ml_err *err)
{
	/* Two probes of assignments_user (user_id, state), returned work first: one statement with
	 * "a.state = 4 OR (a.state = 0 AND ...)" can use only the user_id column of that index, so it walked
	 * every assignment the user ever had (a lease cost grew with the annotator's history: 70 us after 200
	 * submissions, and every benchmark run was slower than the last). */
	static const char *const own_sql[2] = {
		"SELECT " SQ_TASK_COLS " FROM assignments a JOIN tasks t ON t.id = a.task_id "
		"WHERE a.user_id = ?1 AND a.state = 4 AND t.project_id = ?2 AND (t.state IN (0, 1) OR t.gold = 1) "
		"ORDER BY a.leased_at, t.id LIMIT 1",
		"SELECT " SQ_TASK_COLS " FROM assignments a JOIN tasks t ON t.id = a.task_id "
		"WHERE a.user_id = ?1 AND a.state = 0 AND a.lease_expires_at > ?3 AND t.project_id = ?2 "
		"AND (t.state IN (0, 1) OR t.gold = 1) ORDER BY a.leased_at, t.id LIMIT 1",
	};
	sqlite3_stmt *st;
	int rc;
	for (int k = 0; k < 2; k++) {
		if (!(st = sq_prep(q, own_sql[k], err)))
			return -1;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, project_id);
		if (k == 1)
			sqlite3_bind_int64(st, 3, now);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			sq_read_task(st, 0, out);
			*own = k == 1; /* a returned one is leased afresh */
			sqlite3_reset(st);
			return 0;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sq_fail(q, err, "looking up a lease");
	}
	*own = false;
	/* A slot is taken by a submission, returned work or a live lease of another user; the user's own
	 * submitted or skipped assignment rules the task out for them (one user, one slot). The kind filter
	 * is spelled out in three statements, not as "?4 < 0 OR ...": SQLite cannot use the queue index
	 * through an OR on a parameter, and a full scan per lease is what made submits slow. */
#define LEASE_FROM "SELECT " SQ_TASK_COLS " FROM tasks t WHERE t.project_id = ?1 "
#define LEASE_ELIGIBLE                                                                                        \
	/* items hidden while they await de-identification review are never handed out */                    \
	"AND EXISTS (SELECT 1 FROM items vi WHERE vi.id = t.item_id AND vi.visible) "                         \
	"AND NOT EXISTS (SELECT 1 FROM assignments o WHERE o.task_id = t.id AND o.user_id = ?2 AND o.state IN (1, 2)) "
#define LEASE_SLOT_FREE                                                                                       \
	"AND (SELECT count(*) FROM assignments b WHERE b.task_id = t.id AND b.user_id <> ?2 AND "             \
	"  (b.state IN (1, 4) OR (b.state = 0 AND b.lease_expires_at > ?3))) < t.overlap "
#define LEASE_ORDER "ORDER BY t.priority DESC, t.id LIMIT 1"
	static const char *const sql[3] = {
		/* any kind */ LEASE_FROM "AND t.state IN (0, 1) AND t.full_until <= ?3 " LEASE_ELIGIBLE LEASE_SLOT_FREE
			LEASE_ORDER,
		/* regular */ LEASE_FROM "AND t.gold = 0 AND t.state IN (0, 1) AND t.full_until <= ?3 " LEASE_ELIGIBLE
			LEASE_SLOT_FREE LEASE_ORDER,
		/* gold: every annotator once, any state, no overlap limit */
		LEASE_FROM "AND t.gold = 1 " LEASE_ELIGIBLE LEASE_ORDER,
	};
	st = sq_prep(q, sql[gold < 0 ? 0 : gold ? 2 : 1], err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_read_task(st, 0, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_fail(q, err, "looking for a task");
	return ml_err_set(err, ML_ENOTFOUND, "no %stask left for user %lld in project %lld",
			  gold < 0 ? "" : gold ? "gold " : "regular ", (long long)user_id, (long long)project_id);
}

static int lease(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
		 struct store_task *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	if (lease_ms <= 0)
		return ml_err_set(err, ML_EINVAL, "lease duration must be positive");
	if (sq_txn_begin(q, err))
		return -1;
	bool own = false;
	int rc = find_lease(q, project_id, user_id, now, gold, out, &own, err);
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
		/* Open -> in progress; and if this lease took the last slot, full_until = the earliest expiry of a
		 * live lease (see migration 5: the queue index then skips the task until a slot can free up). */
		if (rc == 0) {
			st = sq_prep(q, "UPDATE tasks SET state = CASE WHEN state = 0 THEN 1 ELSE state END, "
					"updated_at = CASE WHEN state = 0 THEN ?2 ELSE updated_at END, full_until = "
					"(SELECT CASE WHEN count(*) >= tasks.overlap THEN coalesce(min(CASE WHEN a.state = 0 "
					"THEN a.lease_expires_at END), 0) ELSE 0 END FROM assignments a WHERE a.task_id = ?1 AND "
					"(a.state IN (1, 4) OR (a.state = 0 AND a.lease_expires_at > ?2))) WHERE id = ?1", err);
			rc = st ? 0 : -1;
			if (st) {
				sqlite3_bind_int64(st, 1, out->id);
				sqlite3_bind_int64(st, 2, now);
				rc = sq_step_done(q, st, err, "updating a task");
				if (out->state == STORE_TASK_OPEN) {
					out->state = STORE_TASK_IN_PROGRESS;
					out->updated_at = now;
				}
			}
		}
	}
	return sq_txn_end(q, rc, err);
}

int sq_task_lease_next(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms,
		       struct store_task *out, struct ml_err *err)
{
	return lease(s, project_id, user_id, now, lease_ms, -1, out, err);
}

int sq_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
			   struct store_task *out, struct ml_err *err)
{
	return lease(s, project_id, user_id, now, lease_ms, gold ? 1 : 0, out, err);
}

int sq_assignment_get(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out,
		      struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT state, leased_at, lease_expires_at FROM assignments WHERE task_id = ?1 "
				      "AND user_id = ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_int64(st, 2, user_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->task_id = task_id;
		out->user_id = user_id;
		out->state = (enum store_assignment_state)sqlite3_column_int(st, 0);
		out->leased_at = sqlite3_column_int64(st, 1);
		out->lease_expires_at = sqlite3_column_int64(st, 2);
	} else if (rc != SQLITE_DONE) {
		sq_fail(q, err, "reading an assignment");
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "user %lld has no assignment on task %lld",
					      (long long)user_id, (long long)task_id) : -1;
}

int sq_assignment_return(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (sq_txn_begin(q, err))
		return -1;
	sqlite3_stmt *st = sq_prep(q, "UPDATE assignments SET state = 4 WHERE task_id = ?1 AND user_id = ?2", err);
	int rc = st ? 0 : -1;
	if (st) {
		sqlite3_bind_int64(st, 1, task_id);
		sqlite3_bind_int64(st, 2, user_id);
		rc = sq_step_done(q, st, err, "returning an assignment");
		if (!rc && sq_changes(q) == 0)
			rc = ml_err_set(err, ML_ENOTFOUND, "user %lld has no assignment on task %lld", (long long)user_id,
					(long long)task_id);
	}
	if (!rc) {
		st = sq_prep(q, "UPDATE tasks SET state = 1, submitted = (SELECT count(*) FROM assignments WHERE task_id = ?1 "
				"AND state = 1), updated_at = ?2 WHERE id = ?1", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, task_id);
			sqlite3_bind_int64(st, 2, now);
			rc = sq_step_done(q, st, err, "reopening a task");
		}
	}
	return sq_txn_end(q, rc, err);
}

int sq_assignment_finish(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state state,
			 int64_t now, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (state == STORE_ASSIGN_LEASED || (unsigned)state > STORE_ASSIGN_RELEASED) /* RETURNED: sq_assignment_return */
		return ml_err_set(err, ML_EINVAL, "an assignment can only finish submitted, skipped or released");
	if (sq_txn_begin(q, err))
		return -1;
	int rc = 0;
	sqlite3_stmt *st = sq_prep(q, "UPDATE assignments SET state = ?3, lease_expires_at = min(lease_expires_at, ?4) "
				      "WHERE task_id = ?1 AND user_id = ?2", err);
	if (!st)
		rc = -1;
	if (!rc) {
		sqlite3_bind_int64(st, 1, task_id);
		sqlite3_bind_int64(st, 2, user_id);
		sqlite3_bind_int(st, 3, (int)state);
		sqlite3_bind_int64(st, 4, now);
		rc = sq_step_done(q, st, err, "finishing an assignment");
		if (!rc && sq_changes(q) == 0)
			rc = ml_err_set(err, ML_ENOTFOUND, "user %lld has no assignment on task %lld", (long long)user_id,
					(long long)task_id);
	}
	/* Recount: submitted = distinct users who submitted. A task whose slots are all submitted moves to
	 * submitted; one left with no submission and no live lease goes back to open. Later states (review,
	 * adjudication, done) belong to the quality workflow and are left alone. */
	if (!rc) {
		st = sq_prep(q, "UPDATE tasks SET submitted = (SELECT count(*) FROM assignments WHERE task_id = ?1 AND state = 1), "
				"full_until = 0, updated_at = ?2 WHERE id = ?1", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, task_id);
			sqlite3_bind_int64(st, 2, now);
			rc = sq_step_done(q, st, err, "counting submissions");
		}
	}
	if (!rc) {
		st = sq_prep(q, "UPDATE tasks SET state = CASE WHEN submitted >= overlap THEN 2 "
				"WHEN submitted = 0 AND NOT EXISTS (SELECT 1 FROM assignments WHERE task_id = ?1 AND state = 0 "
				"AND lease_expires_at > ?2) THEN 0 ELSE 1 END WHERE id = ?1 AND state IN (0, 1)", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, task_id);
			sqlite3_bind_int64(st, 2, now);
			rc = sq_step_done(q, st, err, "updating a task's state");
		}
	}
	return sq_txn_end(q, rc, err);
}
