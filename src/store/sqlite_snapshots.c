/* sqlite_snapshots.c: pinned snapshots and the export scan (items with tasks and annotations, merged
 * from two ordered cursors) in SQLite. */
#include "store/sqlite_int.h"

#include <string.h>

static void read_snapshot(sqlite3_stmt *st, struct store_snapshot *sn)
{
	sn->id = sqlite3_column_int64(st, 0);
	sn->project_id = sqlite3_column_int64(st, 1);
	sn->name = sq_col_dup(st, 2, false);
	sn->manifest_json = sq_col_dup(st, 3, false);
	sn->created_at = sqlite3_column_int64(st, 4);
}

int sq_snapshot_create(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (!in->name || !*in->name)
		return ml_err_set(err, ML_EINVAL, "a snapshot needs a name");
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO snapshots(project_id, name, manifest, created_at) VALUES (?1, ?2, ?3, ?4)", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, in->project_id);
	sq_bind_str(st, 2, in->name);
	sq_bind_str(st, 3, in->manifest_json ? in->manifest_json : "{}");
	sqlite3_bind_int64(st, 4, in->created_at ? in->created_at : ml_now_ms());
	if (sq_step_done(q, st, err, "creating a snapshot")) {
		if (err && err->code == ML_EEXIST)
			ml_err_set(err, ML_EEXIST, "project %lld already has a snapshot named '%s'", (long long)in->project_id,
				   in->name);
		return -1;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_snapshot_get(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prep(q, "SELECT id, project_id, name, manifest, created_at FROM snapshots "
				      "WHERE project_id = ?1 AND name = ?2", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	sq_bind_str(st, 2, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_snapshot(st, out);
	else if (rc != SQLITE_DONE)
		sq_fail(q, err, "reading a snapshot");
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ml_err_set(err, ML_ENOTFOUND, "project %lld has no snapshot '%s'", (long long)project_id,
					      name) : -1;
}

int sq_snapshot_set_manifest(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "UPDATE snapshots SET manifest = ?2 WHERE id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sq_bind_str(st, 2, manifest_json ? manifest_json : "{}");
	if (sq_step_done(q, st, err, "updating a snapshot"))
		return -1;
	return sq_changes(q) ? 0 : ml_err_set(err, ML_ENOTFOUND, "no snapshot %lld", (long long)id);
}

int sq_snapshot_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn), void *ctx,
		     struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	sqlite3_stmt *st = sq_prep(q, "SELECT id, project_id, name, manifest, created_at FROM snapshots WHERE project_id = ?1 "
				      "ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, project_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_snapshot sn;
		read_snapshot(st, &sn);
		ret = cb(ctx, &sn);
		store_snapshot_release(&sn);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "listing snapshots");
	sqlite3_reset(st);
	return ret;
}

static int count_of(struct sq *q, const char *sql, int64_t id, int64_t *out, struct ml_err *err)
{
	sqlite3_stmt *st = sq_prep(q, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : sq_fail(q, err, "counting a snapshot");
}

int sq_snapshot_pin(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (sq_txn_begin(q, err))
		return -1;
	int rc = 0;
	/* Only visible items: those still awaiting required de-identification never leave the store. */
	sqlite3_stmt *st = sq_prep(q, "INSERT INTO snapshot_items(snapshot_id, item_id, content_hash, task_state, gold) "
				      "SELECT sn.id, i.id, i.content_hash, t.state, t.gold FROM snapshots sn "
				      "JOIN items i ON i.project_id = sn.project_id JOIN tasks t ON t.id = i.id "
				      "WHERE sn.id = ?1 AND i.visible AND (?2 < 0 OR t.state = ?2)", err);
	if (!st)
		rc = -1;
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, state);
		rc = sq_step_done(q, st, err, "pinning a snapshot's items");
	}
	if (!rc) {
		st = sq_prep(q, "INSERT INTO snapshot_annotations(snapshot_id, item_id, annotation_id, version) "
				"SELECT si.snapshot_id, si.item_id, a.id, a.latest FROM snapshot_items si "
				"JOIN tasks t ON t.id = si.item_id JOIN annotations a ON a.task_id = t.id "
				"WHERE si.snapshot_id = ?1", err);
		rc = st ? 0 : -1;
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			rc = sq_step_done(q, st, err, "pinning a snapshot's annotations");
		}
	}
	if (!rc)
		rc = count_of(q, "SELECT count(*) FROM snapshot_items WHERE snapshot_id = ?1", id, items, err);
	if (!rc)
		rc = count_of(q, "SELECT count(*) FROM snapshot_annotations WHERE snapshot_id = ?1", id, annotations, err);
	return sq_txn_end(q, rc, err);
}

/* ---- export scan ---- */

#define LIVE_ITEMS "SELECT " SQ_ITEM_COLS ", " SQ_TASK_COLS " FROM items i JOIN tasks t ON t.id = i.id " \
	"WHERE i.project_id = ?1 AND i.visible AND (?2 < 0 OR t.state = ?2) ORDER BY i.id"
#define LIVE_ANNS "SELECT " SQ_ANN_COLS " FROM items i JOIN tasks t ON t.id = i.id JOIN annotations a ON a.task_id = t.id " \
	"JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.latest " \
	"WHERE i.project_id = ?1 AND i.visible AND (?2 < 0 OR t.state = ?2) ORDER BY i.id, a.id"
/* The pinned content: the current text if its hash still matches, else the replaced text kept in
 * item_history. Task fields that the snapshot does not pin are zero so they cannot leak later edits. */
#define SNAP_ITEMS "SELECT i.id, i.project_id, i.modality, i.source, i.patient_key, i.meta, " \
	"CASE WHEN i.content_hash = si.content_hash THEN i.text ELSE (SELECT h.text FROM item_history h " \
	"  WHERE h.item_id = i.id AND h.content_hash = si.content_hash) END, " \
	"i.media_hash, i.media_type, si.content_hash, i.external_ref, i.created_at, 1, " \
	"t.id, t.project_id, t.item_id, si.task_state, 0, 0, si.gold, 0, 0 " \
	"FROM snapshot_items si JOIN items i ON i.id = si.item_id JOIN tasks t ON t.id = i.id " \
	"WHERE si.snapshot_id = ?1 ORDER BY si.item_id"
#define SNAP_ANNS "SELECT " SQ_ANN_COLS " FROM snapshot_annotations sa JOIN annotations a ON a.id = sa.annotation_id " \
	"JOIN tasks t ON t.id = a.task_id JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = sa.version " \
	"WHERE sa.snapshot_id = ?1 ORDER BY sa.item_id, sa.annotation_id"

/* Borrowed view of an item row: the strings point into SQLite's row buffers, valid until the next step. */
static void view_item(sqlite3_stmt *st, struct store_item *it)
{
	it->id = sqlite3_column_int64(st, 0);
	it->project_id = sqlite3_column_int64(st, 1);
	it->modality = (enum store_modality)sqlite3_column_int(st, 2);
	it->source = (enum store_source)sqlite3_column_int(st, 3);
	it->patient_key = (char *)sqlite3_column_text(st, 4);
	it->meta_json = (char *)sqlite3_column_text(st, 5);
	it->text = (char *)sqlite3_column_text(st, 6);
	it->media_hash = (char *)sqlite3_column_text(st, 7);
	it->media_type = (char *)sqlite3_column_text(st, 8);
	sq_col_copy(st, 9, it->content_hash, sizeof it->content_hash);
	it->external_ref = (char *)sqlite3_column_text(st, 10);
	it->created_at = sqlite3_column_int64(st, 11);
	it->visible = sqlite3_column_int(st, 12) != 0;
	if (!it->patient_key)
		it->patient_key = (char *)"";
	if (!it->meta_json)
		it->meta_json = (char *)"{}";
	if (!it->external_ref)
		it->external_ref = (char *)"";
}

int sq_export_scan(struct store *s, int64_t project_id, int64_t snapshot_id, int state,
		   int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	bool own = q->depth == 0;
	if (own && sq_exec(q, "BEGIN", err)) /* one read snapshot of the database for both cursors */
		return -1;
	int ret = 0;
	sqlite3_stmt *items = sq_prep(q, snapshot_id ? SNAP_ITEMS : LIVE_ITEMS, err);
	sqlite3_stmt *anns = items ? sq_prep(q, snapshot_id ? SNAP_ANNS : LIVE_ANNS, err) : NULL;
	if (!items || !anns) {
		ret = -1;
		goto done;
	}
	sqlite3_bind_int64(items, 1, snapshot_id ? snapshot_id : project_id);
	sqlite3_bind_int64(anns, 1, snapshot_id ? snapshot_id : project_id);
	if (!snapshot_id) {
		sqlite3_bind_int(items, 2, state);
		sqlite3_bind_int(anns, 2, state);
	}
	struct store_annotation *vec = NULL;
	size_t nvec = 0, avec = 0;
	int arc = sqlite3_step(anns); /* the annotation cursor runs one row ahead */
	int irc;
	while ((irc = sqlite3_step(items)) == SQLITE_ROW) {
		struct store_item it;
		struct store_task task;
		memset(&it, 0, sizeof it);
		view_item(items, &it);
		sq_read_task(items, 13, &task);
		if (snapshot_id && !it.text && !it.media_hash) {
			ret = ml_err_set(err, ML_ECONFLICT, "snapshot %lld: the pinned content of item %lld is gone",
					 (long long)snapshot_id, (long long)it.id);
			break;
		}
		while (arc == SQLITE_ROW && sqlite3_column_int64(anns, 13) < it.id)
			arc = sqlite3_step(anns);
		while (arc == SQLITE_ROW && sqlite3_column_int64(anns, 13) == it.id) {
			if (nvec == avec) {
				avec = avec ? 2 * avec : 8;
				vec = ml_xrealloc(vec, avec * sizeof *vec);
			}
			sq_read_annotation(anns, 0, &vec[nvec++]);
			arc = sqlite3_step(anns);
		}
		struct store_export_row row = {.item = &it, .task = &task, .anns = vec, .nanns = nvec};
		ret = cb(ctx, &row);
		for (size_t k = 0; k < nvec; k++)
			store_annotation_release(&vec[k]);
		nvec = 0;
		if (ret)
			break;
	}
	ml_free(vec);
	if (!ret && irc != SQLITE_DONE)
		ret = sq_fail(q, err, "reading items for export");
	else if (!ret && arc != SQLITE_DONE && arc != SQLITE_ROW)
		ret = sq_fail(q, err, "reading annotations for export");
	sqlite3_reset(items);
	sqlite3_reset(anns);
done:;
	struct ml_err ignore;
	if (own)
		(void)sq_exec(q, "COMMIT", &ignore);
	return ret;
}
