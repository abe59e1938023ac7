/* store_copy.c: `medlabel db copy`: every table, row by row with its ids, from one store into an empty
 * one of either backend, in one transaction of the destination. */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

/* Parents before children, so foreign keys hold after every row. The schema's `migrations` table is not
 * copied: the destination records its own migrations (and must be at the same version). A test
 * (tests/unit/test_store_copy.c) compares this list with the tables and columns of a fresh database, so
 * a migration that adds a table or column fails it until the table is listed here. */
const struct store_copy_table store_copy_tables[] = {
	{"settings", "key, value", 2, "key", false},
	{"users", "id, name, password_hash, admin, disabled, created_at", 6, "id", true},
	{"sessions", "id, user_id, token_hash, csrf, created_at, expires_at", 6, "id", true},
	{"tokens", "id, user_id, name, token_hash, created_at, last_used_at, revoked", 7, "id", true},
	{"login_failures", "id, key, at", 3, "id", true},
	{"projects", "id, name, description, settings, created_at", 5, "id", true},
	{"members", "project_id, user_id, role", 3, "project_id, user_id", false},
	{"schemas", "project_id, version, body, hash, author_id, created_at", 6, "project_id, version", false},
	{"items", "id, project_id, modality, source, patient_key, meta, text, media_hash, media_type, content_hash, "
		  "external_ref, created_at, visible", 13, "id", true},
	{"tasks", "id, project_id, item_id, state, overlap, submitted, gold, priority, updated_at, full_until", 10, "id", false},
	{"assignments", "task_id, user_id, state, leased_at, lease_expires_at", 5, "task_id, user_id", false},
	{"annotations", "id, task_id, user_id, model, model_version, kind, latest, created_at", 8, "id", true},
	{"annotation_versions", "annotation_id, version, author_id, schema_version, body, seconds_spent, validated, created_at", 8,
	 "annotation_id, version", false},
	{"predictions", "id, task_id, model, model_version, body, score, created_at", 7, "id", true},
	{"reviews", "id, annotation_id, annotation_version, reviewer_id, decision, comment, created_at", 7, "id", true},
	{"comments", "id, task_id, user_id, body, created_at", 5, "id", true},
	{"audit", "seq, at, user_id, role, action, object, client, status, prev_hash, hash, scheme", 11, "seq", false},
	{"snapshots", "id, project_id, name, manifest, created_at", 5, "id", true},
	{"snapshot_items", "snapshot_id, item_id, content_hash, task_state, gold", 5, "snapshot_id, item_id", false},
	{"snapshot_annotations", "snapshot_id, item_id, annotation_id, version", 4, "snapshot_id, item_id, annotation_id", false},
	{"item_history", "item_id, content_hash, text, replaced_at", 4, "item_id, content_hash", false},
	{"annotator_quality", "project_id, user_id, state, accuracy, answers, updated_at", 6, "project_id, user_id", false},
};
const size_t store_copy_ntables = ML_ARRAY_LEN(store_copy_tables);

struct copy_ctx {
	struct store *dst;
	const struct store_copy_table *t;
	int64_t rows;
	struct ml_err *err;
};

static int copy_row(void *ctx, const char *const *vals)
{
	struct copy_ctx *c = ctx;
	if (c->dst->ops->raw_write(c->dst, c->t, vals, c->err))
		return -1;
	c->rows++;
	return 0;
}

int store_copy(struct store *src, struct store *dst, int64_t *rows, struct ml_err *err)
{
	if (rows)
		*rows = 0;
	if (src->db_version != dst->db_version)
		return ml_err_set(err, ML_EVERSION, "the source has schema version %d and the destination %d: both must be "
				  "opened by the same medlabel", src->db_version, dst->db_version);
	for (size_t i = 0; i < store_copy_ntables; i++) {
		int64_t n = 0;
		if (dst->ops->raw_count(dst, store_copy_tables[i].name, &n, err))
			return -1;
		if (n)
			return ml_err_set(err, ML_ECONFLICT, "the destination is not empty (table %s has %lld row%s): copy "
					  "into a new, empty database", store_copy_tables[i].name, (long long)n, n == 1 ? "" : "s");
	}
	/* The source is read inside a transaction too, so the copy is one consistent state of it. */
	if (src->ops->raw_read_begin(src, err))
		return -1;
	if (store_begin(dst, err)) {
		store_rollback(src);
		return -1;
	}
	struct copy_ctx c = {.dst = dst, .err = err};
	int rc = 0;
	for (size_t i = 0; i < store_copy_ntables && !rc; i++) {
		c.t = &store_copy_tables[i];
		rc = src->ops->raw_read(src, c.t, copy_row, &c, err);
		if (rc > 0) /* a callback's failure */
			rc = -1;
	}
	if (!rc)
		rc = dst->ops->raw_done(dst, err);
	store_rollback(src); /* read only */
	if (rc) {
		store_rollback(dst);
		return -1;
	}
	if (store_commit(dst, err))
		return -1;
	if (rows)
		*rows = c.rows;
	return 0;
}
