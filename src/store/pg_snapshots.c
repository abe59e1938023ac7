/* pg_snapshots.c: pinned snapshots, the export scan and the quality module's rows (annotator
 * qualification, submitted counts, gold repeats) in PostgreSQL. */
#include "store/pg_int.h"

#include <string.h>

static void read_snapshot(const PGresult *r, int i, struct store_snapshot *sn)
{
	sn->id = pg_i64(r, i, 0);
	sn->project_id = pg_i64(r, i, 1);
	sn->name = pg_dup(r, i, 2, false);
	sn->manifest_json = pg_dup(r, i, 3, false);
	sn->created_at = pg_i64(r, i, 4);
}

int pq_snapshot_create(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (!in->name || !*in->name)
		return ml_err_set(err, ML_EINVAL, "a snapshot needs a name");
	struct pq_args a = {0};
	pa_i64(&a, in->project_id);
	pa_str(&a, in->name);
	pa_str(&a, in->manifest_json ? in->manifest_json : "{}");
	pa_i64(&a, in->created_at ? in->created_at : ml_now_ms());
	PGresult *r = pq_run_sp(q, "INSERT INTO snapshots(project_id, name, manifest, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
			     &a, err, "creating a snapshot");
	int rc = r ? 0 : -1;
	if (r && id)
		*id = pg_i64(r, 0, 0);
	PQclear(r);
	if (rc) {
		if (err && err->code == ML_EEXIST)
			ml_err_set(err, ML_EEXIST, "project %lld already has a snapshot named '%s'", (long long)in->project_id,
				   in->name);
		return -1;
	}
	return 0;
}

int pq_snapshot_get(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_str(&a, name);
	PGresult *r = pq_run((struct pq *)s, "SELECT id, project_id, name, manifest, created_at FROM snapshots "
					     "WHERE project_id = $1 AND name = $2", &a, err, "reading a snapshot");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		read_snapshot(r, 0, out);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "project %lld has no snapshot '%s'", (long long)project_id, name);
}

int pq_snapshot_set_manifest(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, id);
	pa_str(&a, manifest_json ? manifest_json : "{}");
	int64_t n = 0;
	if (pq_do((struct pq *)s, "UPDATE snapshots SET manifest = $2 WHERE id = $1", &a, &n, err, "updating a snapshot"))
		return -1;
	return n ? 0 : ml_err_set(err, ML_ENOTFOUND, "no snapshot %lld", (long long)id);
}

int pq_snapshot_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn), void *ctx,
		     struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT id, project_id, name, manifest, created_at FROM snapshots WHERE project_id = $1 "
					     "ORDER BY id", &a, err, "listing snapshots");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_snapshot sn;
		read_snapshot(r, i, &sn);
		ret = cb(ctx, &sn);
		store_snapshot_release(&sn);
	}
	PQclear(r);
	return ret;
}

static int count_of(struct pq *q, const char *sql, int64_t id, int64_t *out, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, id);
	PGresult *r = pq_run(q, sql, &a, err, "counting a snapshot");
	if (!r)
		return -1;
	if (out)
		*out = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int pq_snapshot_pin(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (pq_txn_begin(q, err))
		return -1;
	struct pq_args a = {0};
	pa_i64(&a, id);
	pa_i64(&a, state);
	/* Only visible items: those still awaiting required de-identification never leave the store. */
	int rc = pq_do(q, "INSERT INTO snapshot_items(snapshot_id, item_id, content_hash, task_state, gold) "
			  "SELECT sn.id, i.id, i.content_hash, t.state, t.gold FROM snapshots sn "
			  "JOIN items i ON i.project_id = sn.project_id JOIN tasks t ON t.id = i.id "
			  "WHERE sn.id = $1 AND i.visible <> 0 AND ($2::integer < 0 OR t.state = $2)", &a, NULL, err,
		       "pinning a snapshot's items");
	if (!rc) {
		struct pq_args b = {0};
		pa_i64(&b, id);
		rc = pq_do(q, "INSERT INTO snapshot_annotations(snapshot_id, item_id, annotation_id, version) "
			      "SELECT si.snapshot_id, si.item_id, a.id, a.latest FROM snapshot_items si "
			      "JOIN tasks t ON t.id = si.item_id JOIN annotations a ON a.task_id = t.id "
			      "WHERE si.snapshot_id = $1", &b, NULL, err, "pinning a snapshot's annotations");
	}
	if (!rc)
		rc = count_of(q, "SELECT count(*) FROM snapshot_items WHERE snapshot_id = $1", id, items, err);
	if (!rc)
		rc = count_of(q, "SELECT count(*) FROM snapshot_annotations WHERE snapshot_id = $1", id, annotations, err);
	return pq_txn_end(q, rc, err);
}

/* ---- export scan ---- */

/* Pages by id range, (lo, hi]: a "> lo ORDER BY id LIMIT n" page can be planned as a scan of every later
 * row and a sort (PostgreSQL's estimates for a table not yet analysed after a big import are tiny), which
 * makes a scan quadratic; a range bounds each page's work whatever the plan. */
#define LIVE_ITEMS "SELECT " PG_ITEM_COLS ", " PG_TASK_COLS " FROM items i JOIN tasks t ON t.id = i.id " \
	"WHERE i.project_id = $1 AND i.visible <> 0 AND ($2::integer < 0 OR t.state = $2) AND i.id > $3 AND i.id <= $4 " \
	"ORDER BY i.id"
#define LIVE_ANNS "SELECT " PG_ANN_COLS " FROM items i JOIN tasks t ON t.id = i.id JOIN annotations a ON a.task_id = t.id " \
	"JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.latest " \
	"WHERE i.project_id = $1 AND i.visible <> 0 AND ($2::integer < 0 OR t.state = $2) AND i.id > $3 AND i.id <= $4 " \
	"ORDER BY i.id, a.id"
#define LIVE_MAX "SELECT coalesce(max(id), 0) FROM items WHERE project_id = $1"
/* The pinned content: the current text if its hash still matches, else the replaced text kept in
 * item_history. Task fields that the snapshot does not pin are zero. ($2 is unused but keeps one
 * argument list for both kinds.) */
#define SNAP_ITEMS "SELECT i.id, i.project_id, i.modality, i.source, i.patient_key, i.meta, " \
	"CASE WHEN i.content_hash = si.content_hash THEN i.text ELSE (SELECT h.text FROM item_history h " \
	"  WHERE h.item_id = i.id AND h.content_hash = si.content_hash) END, " \
	"i.media_hash, i.media_type, si.content_hash, i.external_ref, i.created_at, 1, " \
	"t.id, t.project_id, t.item_id, si.task_state, 0, 0, si.gold, 0, 0 " \
	"FROM snapshot_items si JOIN items i ON i.id = si.item_id JOIN tasks t ON t.id = i.id " \
	"WHERE si.snapshot_id = $1 AND $2::integer IS NOT NULL AND si.item_id > $3 AND si.item_id <= $4 ORDER BY si.item_id"
#define SNAP_ANNS "SELECT " PG_ANN_COLS " FROM snapshot_annotations sa JOIN annotations a ON a.id = sa.annotation_id " \
	"JOIN tasks t ON t.id = a.task_id JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = sa.version " \
	"WHERE sa.snapshot_id = $1 AND $2::integer IS NOT NULL AND sa.item_id > $3 AND sa.item_id <= $4 " \
	"ORDER BY sa.item_id, sa.annotation_id"
#define SNAP_MAX "SELECT coalesce(max(item_id), 0) FROM snapshot_items WHERE snapshot_id = $1"

int pq_max_id(struct pq *q, const char *sql, int64_t key, int64_t *max, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, key);
	PGresult *r = pq_run(q, sql, &a, err, "finding the last row");
	if (!r)
		return -1;
	*max = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int64_t pq_next_span(int64_t span, int rows)
{
	/* sparse ids (other projects' items in between): widen; dense: narrow, so a page holds a few
	 * hundred to a few thousand rows */
	if (rows < 256 && span < PQ_SPAN_MAX)
		return span * 2;
	if (rows > 2048 && span > PQ_SPAN_MIN)
		return span / 2;
	return span;
}

int pq_export_scan(struct store *s, int64_t project_id, int64_t snapshot_id, int state,
		   int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	bool own;
	if (pq_read_begin(q, &own, err)) /* one snapshot of the database for every page */
		return -1;
	int64_t key = snapshot_id ? snapshot_id : project_id, last = 0;
	int ret = pq_max_id(q, snapshot_id ? SNAP_MAX : LIVE_MAX, key, &last, err);
	struct store_annotation *vec = NULL;
	size_t avec = 0;
	int64_t lo = 0, span = PQ_SPAN_MIN;
	while (!ret && lo < last) {
		int64_t hi = lo + span;
		struct pq_args a = {0};
		pa_i64(&a, key);
		pa_i64(&a, state);
		pa_i64(&a, lo);
		pa_i64(&a, hi);
		PGresult *items = pq_run(q, snapshot_id ? SNAP_ITEMS : LIVE_ITEMS, &a, err, "reading items for export");
		PGresult *anns = items ? pq_run(q, snapshot_id ? SNAP_ANNS : LIVE_ANNS, &a, err, "reading annotations for export")
				       : NULL;
		if (!items || !anns) {
			PQclear(items);
			ret = -1;
			break;
		}
		int n = PQntuples(items), na = PQntuples(anns), k = 0;
		for (int i = 0; i < n && !ret; i++) {
			struct store_item it;
			struct store_task task;
			memset(&it, 0, sizeof it);
			pg_read_item(items, i, 0, &it);
			pg_read_task(items, i, 13, &task);
			if (snapshot_id && !it.text && !it.media_hash) {
				ret = ml_err_set(err, ML_ECONFLICT, "snapshot %lld: the pinned content of item %lld is gone",
						 (long long)snapshot_id, (long long)it.id);
				store_item_release(&it);
				break;
			}
			size_t nvec = 0;
			while (k < na && pg_i64(anns, k, 13) < it.id)
				k++;
			while (k < na && pg_i64(anns, k, 13) == it.id) {
				if (nvec == avec) {
					avec = avec ? 2 * avec : 8;
					vec = ml_xrealloc(vec, avec * sizeof *vec);
				}
				pg_read_annotation(anns, k++, 0, &vec[nvec++]);
			}
			struct store_export_row row = {.item = &it, .task = &task, .anns = vec, .nanns = nvec};
			ret = cb(ctx, &row);
			for (size_t j = 0; j < nvec; j++)
				store_annotation_release(&vec[j]);
			store_item_release(&it);
		}
		PQclear(anns);
		PQclear(items);
		span = pq_next_span(span, n);
		lo = hi;
	}
	ml_free(vec);
	pq_read_end(q, own);
	return ret;
}

/* ---- quality module ---- */

static void read_quality(const PGresult *r, int i, struct store_annotator_quality *out)
{
	out->project_id = pg_i64(r, i, 0);
	out->user_id = pg_i64(r, i, 1);
	out->state = (enum store_qual_state)pg_int(r, i, 2);
	out->accuracy = pg_dbl(r, i, 3);
	out->answers = pg_i64(r, i, 4);
	out->updated_at = pg_i64(r, i, 5);
}

int pq_annotator_quality_get(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out,
			     struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_i64(&a, user_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT project_id, user_id, state, accuracy, answers, updated_at FROM annotator_quality "
					     "WHERE project_id = $1 AND user_id = $2", &a, err,
			     "reading an annotator's qualification");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		read_quality(r, 0, out);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "user %lld has no qualification record in project %lld",
				      (long long)user_id, (long long)project_id);
}

int pq_annotator_quality_set(struct store *s, const struct store_annotator_quality *in, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if ((unsigned)in->state > STORE_QUAL_SUSPENDED)
		return ml_err_set(err, ML_EINVAL, "unknown qualification state %d", (int)in->state);
	struct pq_args a = {0};
	pa_i64(&a, in->project_id);
	pa_i64(&a, in->user_id);
	pa_i64(&a, (int)in->state);
	pa_dbl(&a, in->accuracy);
	pa_i64(&a, in->answers);
	pa_i64(&a, in->updated_at);
	int rc = pq_do_sp(q, "INSERT INTO annotator_quality(project_id, user_id, state, accuracy, answers, updated_at) "
			  "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(project_id, user_id) DO UPDATE SET "
			  "state = $3, accuracy = $4, answers = $5, updated_at = $6", &a, NULL, err,
		       "saving an annotator's qualification");
	return rc;
}

int pq_annotator_quality_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotator_quality *q),
			      void *ctx, struct ml_err *err)
{
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT project_id, user_id, state, accuracy, answers, updated_at FROM annotator_quality "
					     "WHERE project_id = $1 ORDER BY user_id", &a, err, "listing qualifications");
	if (!r)
		return -1;
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		struct store_annotator_quality row;
		read_quality(r, i, &row);
		ret = cb(ctx, &row);
	}
	PQclear(r);
	return ret;
}

int pq_user_submitted_counts(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold,
			     struct ml_err *err)
{
	*all = *gold = 0;
	struct pq_args a = {0};
	pa_i64(&a, user_id);
	pa_i64(&a, project_id);
	PGresult *r = pq_run((struct pq *)s, "SELECT count(*), coalesce(sum(t.gold), 0) FROM assignments a JOIN tasks t ON t.id = a.task_id "
					     "WHERE a.user_id = $1 AND t.project_id = $2 AND a.state = 1", &a, err,
			     "counting submissions");
	if (!r)
		return -1;
	*all = pg_i64(r, 0, 0);
	*gold = pg_i64(r, 0, 1);
	PQclear(r);
	return 0;
}

int pq_gold_repeat(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id,
		   struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	*task_id = 0;
	if (pq_txn_begin(q, err))
		return -1;
	struct pq_args a = {0};
	pa_i64(&a, project_id);
	pa_i64(&a, user_id);
	pa_i64(&a, before);
	pa_i64(&a, every);
	/* FOR UPDATE OF a: two servers repeating for the same user pick (and return) one row each time. */
	PGresult *r = pq_run(q, "SELECT a.task_id FROM assignments a JOIN tasks t ON t.id = a.task_id "
				"WHERE t.project_id = $1 AND t.gold = 1 AND a.user_id = $2 AND a.state = 1 AND "
				"(a.lease_expires_at <= $3 OR ($4::bigint > 0 AND (SELECT count(*) FROM assignments b JOIN tasks u "
				"  ON u.id = b.task_id WHERE u.project_id = $1 AND b.user_id = $2 AND b.state = 1 AND "
				"  b.lease_expires_at > a.lease_expires_at) >= $4)) "
				"ORDER BY a.lease_expires_at, a.task_id LIMIT 1 FOR UPDATE OF a", &a, err,
			     "looking for a gold task to repeat");
	int rc = r ? 0 : -1;
	if (r && PQntuples(r))
		*task_id = pg_i64(r, 0, 0);
	PQclear(r);
	if (!rc && *task_id) {
		struct pq_args b = {0};
		pa_i64(&b, *task_id);
		pa_i64(&b, user_id);
		rc = pq_do(q, "UPDATE assignments SET state = 4 WHERE task_id = $1 AND user_id = $2", &b, NULL, err,
			   "returning a gold task");
	}
	rc = pq_txn_end(q, rc, err);
	if (!rc && !*task_id)
		return ml_err_set(err, ML_ENOTFOUND, "no gold task due again for user %lld", (long long)user_id);
	return rc;
}
