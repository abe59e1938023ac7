/* test_store_copy.c: store_copy (`medlabel db copy`) moves every table with its ids between backends:
 * the copy list matches the schema, a round trip SQLite -> PostgreSQL -> SQLite gives back the same rows,
 * the audit chain and the export, id sequences continue after the copied rows, a non-empty destination
 * is refused. The PostgreSQL cases run on a throwaway cluster and are skipped without one. */
#include "harness.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store/pg_int.h"
#include "store/sqlite_int.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct store *open_sqlite(const char *name)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
	remove(path);
	struct store *s = NULL;
	struct ml_err err;
	if (store_open(path, &s, &err))
		fprintf(stdout, "# open %s: %s\n", path, err.msg);
	return s;
}

static struct store *open_pg(const char *name)
{
	char url[1024];
	if (!test_pg_url(name, url, sizeof url))
		return NULL;
	struct store *s = NULL;
	struct ml_err err;
	if (store_open(url, &s, &err))
		fprintf(stdout, "# open %s: %s\n", url, err.msg);
	return s;
}

/* ---- a text dump of every copied table, numbers normalised (each backend prints doubles its way) ---- */

struct dump {
	char *buf;
	size_t len, cap;
	int ncols;
};

static void dump_add(struct dump *d, const char *s)
{
	size_t n = strlen(s);
	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->buf = ml_xrealloc(d->buf, d->cap);
	}
	memcpy(d->buf + d->len, s, n + 1);
	d->len += n;
}

static int dump_row(void *ctx, const char *const *vals)
{
	struct dump *d = ctx;
	for (int c = 0; c < d->ncols; c++) {
		char num[40];
		const char *v = vals[c];
		char *end = NULL;
		if (v && *v && strpbrk(v, ".eE") && (strtod(v, &end), end && !*end)) {
			snprintf(num, sizeof num, "%.17g", strtod(v, NULL));
			v = num;
		}
		dump_add(d, v ? v : "<null>");
		dump_add(d, c + 1 < d->ncols ? "|" : "\n");
	}
	return 0;
}

static char *dump_all(struct store *s)
{
	struct dump d = {0};
	struct ml_err err;
	dump_add(&d, "");
	for (size_t i = 0; i < store_copy_ntables; i++) {
		dump_add(&d, "## ");
		dump_add(&d, store_copy_tables[i].name);
		dump_add(&d, "\n");
		d.ncols = store_copy_tables[i].ncols;
		if (s->ops->raw_read(s, &store_copy_tables[i], dump_row, &d, &err)) {
			fprintf(stdout, "# dump %s: %s\n", store_copy_tables[i].name, err.msg);
			ml_free(d.buf);
			return NULL;
		}
	}
	return d.buf;
}

static int export_row(void *ctx, const struct store_export_row *r)
{
	struct dump *d = ctx;
	char line[256];
	snprintf(line, sizeof line, "%lld %s %d %d:", (long long)r->item->id, r->item->content_hash, (int)r->task->state,
		 (int)r->nanns);
	dump_add(d, line);
	dump_add(d, r->item->text ? r->item->text : "<media>");
	for (size_t i = 0; i < r->nanns; i++) {
		snprintf(line, sizeof line, " [%lld v%d %.17g ", (long long)r->anns[i].id, r->anns[i].version,
			 r->anns[i].seconds_spent);
		dump_add(d, line);
		dump_add(d, r->anns[i].body_json);
		dump_add(d, "]");
	}
	dump_add(d, "\n");
	return 0;
}

static char *export_all(struct store *s, int64_t project, int64_t snapshot)
{
	struct dump d = {0};
	struct ml_err err;
	dump_add(&d, "");
	if (store_export_scan(s, project, snapshot, -1, export_row, &d, &err)) {
		fprintf(stdout, "# export: %s\n", err.msg);
		ml_free(d.buf);
		return NULL;
	}
	return d.buf;
}

static void chain(void *ctx, struct store_audit *r)
{
	(void)ctx;
	unsigned long h = 5381;
	for (const char *p = r->prev_hash; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h = h * 33 + (unsigned long)r->seq;
	snprintf(r->hash, sizeof r->hash, "%016lx", h);
}

/* Rows in every table, with fractions, NULLs, non-ASCII text, several versions and a replaced text. */
static bool populate(struct store *s, int64_t *project, int64_t *snapshot)
{
	struct ml_err err;
	int64_t u1, u2, p, tok, item[4], task[4], a1, a2, sid;
	if (store_setting_set(s, "secret-check", "0.1", &err) || store_user_create(s, "ann", "hash1", false, &u1, &err) ||
	    store_user_create(s, "rev", "", true, &u2, &err) || store_token_create(s, u1, "ci", "t1hash", &tok, &err) ||
	    store_token_touch(s, tok, 1234, &err) || store_login_failure_add(s, "user:x", 99, &err) ||
	    store_project_create(s, "copy me", "déjà vu", &p, &err) || store_project_set_settings(s, p, "{\"overlap\":2}", &err) ||
	    store_member_set(s, p, u1, STORE_ROLE_ANNOTATOR, &err) || store_member_set(s, p, u2, STORE_ROLE_REVIEWER, &err))
		return false;
	struct store_session sess = {.user_id = u1, .token_hash = "sesshash", .csrf = "csrf", .created_at = 1, .expires_at = 2};
	int64_t sess_id;
	int v;
	if (store_session_create(s, &sess, &sess_id, &err) || store_schema_add(s, p, "{\"labels\":[]}", u2, &v, &err) ||
	    store_schema_add(s, p, "{\"labels\":[1]}", 0, &v, &err))
		return false;
	for (int i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof text, "note %d — ü", i);
		struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
					.patient_key = (char *)"pk", .meta_json = (char *)"{\"n\":1}", .text = text,
					.visible = i != 3};
		if (store_item_add(s, &it, 2, &item[i], &task[i], &err))
			return false;
	}
	struct store_task t;
	if (store_task_set_priority(s, task[1], 0.1, &err) || store_task_set_gold(s, task[2], true, &err) ||
	    store_task_lease_next(s, p, u1, 1000, 60000, &t, &err))
		return false;
	struct store_annotation an = {.task_id = t.id, .user_id = u1, .schema_version = 1, .body_json = (char *)"{\"a\":1}",
				      .seconds_spent = 1.1};
	if (store_annotation_create(s, &an, &a1, &err) || store_annotation_update(s, a1, 1, "{\"a\":2}", 2, u1, 2.2, true, &v, &err) ||
	    store_assignment_finish(s, t.id, u1, STORE_ASSIGN_SUBMITTED, 2000, &err))
		return false;
	struct store_annotation model = {.task_id = task[0], .model = (char *)"m", .model_version = (char *)"1",
					 .schema_version = 2, .body_json = (char *)"{\"p\":0.3}"};
	struct store_prediction pr = {.task_id = task[0], .model = (char *)"m", .body_json = (char *)"{}", .score = 0.7};
	struct store_review rv = {.annotation_id = a1, .annotation_version = 2, .reviewer_id = u2,
				  .decision = STORE_REVIEW_REJECT, .comment = (char *)"again"};
	int64_t id;
	if (store_annotation_create(s, &model, &a2, &err) || store_prediction_add(s, &pr, &id, &err) ||
	    store_review_add(s, &rv, &id, &err) || store_comment_add(s, task[0], u2, "see line 2\tand \\N or \\.\nend\r\n\\", &id, &err) ||
	    store_assignment_return(s, t.id, u1, 3000, &err))
		return false;
	struct store_snapshot sn = {.project_id = p, .name = (char *)"v1", .manifest_json = (char *)"{}"};
	if (store_snapshot_create(s, &sn, &sid, &err) || store_snapshot_pin(s, sid, -1, NULL, NULL, &err) ||
	    store_item_set_text(s, item[0], "note 0 replaced", NULL, &err))
		return false;
	struct store_annotator_quality q = {.project_id = p, .user_id = u1, .state = STORE_QUAL_QUALIFIED, .accuracy = 0.9,
					    .answers = 10, .updated_at = 5};
	if (store_annotator_quality_set(s, &q, &err))
		return false;
	for (int i = 0; i < 5; i++) {
		struct store_audit r = {.user_id = u1, .status = 200, .scheme = STORE_AUDIT_UNKEYED + (i > 2)};
		snprintf(r.action, sizeof r.action, "item.read");
		snprintf(r.object, sizeof r.object, "project/%lld/item/%d", (long long)p, i);
		if (store_audit_append(s, &r, chain, NULL, &err))
			return false;
	}
	*project = p;
	*snapshot = sid;
	return true;
}

TEST(copy_list_matches_the_schema)
{
	/* every table of a fresh database but `migrations`, with exactly the listed columns */
	struct store *s = open_sqlite("schema");
	CHECK(s);
	store_close(s);
	char path[600];
	snprintf(path, sizeof path, "%s/schema.db", test_tmpdir());
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
				     "AND name <> 'migrations' ORDER BY name", -1, &st, NULL) == SQLITE_OK);
	int ntables = 0;
	bool ok = true;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		ntables++;
		const struct store_copy_table *t = NULL;
		for (size_t i = 0; i < store_copy_ntables; i++)
			if (!strcmp(store_copy_tables[i].name, name))
				t = &store_copy_tables[i];
		if (!t) {
			fprintf(stdout, "# table %s is not copied\n", name);
			ok = false;
			continue;
		}
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", name);
		sqlite3_stmt *cols;
		CHECK(sqlite3_prepare_v2(db, sql, -1, &cols, NULL) == SQLITE_OK);
		char have[1024] = "";
		while (sqlite3_step(cols) == SQLITE_ROW) {
			size_t n = strlen(have);
			snprintf(have + n, sizeof have - n, "%s%s", n ? ", " : "", (const char *)sqlite3_column_text(cols, 0));
		}
		sqlite3_finalize(cols);
		if (strcmp(have, t->cols)) {
			fprintf(stdout, "# table %s has columns (%s), the copy list (%s)\n", name, have, t->cols);
			ok = false;
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	CHECK(ok);
	CHECK_EQ_INT(ntables, (int)store_copy_ntables);
}

TEST(sqlite_to_sqlite_keeps_every_row)
{
	struct store *a = open_sqlite("src"), *b = open_sqlite("dst");
	CHECK(a && b);
	int64_t p, sid;
	CHECK(populate(a, &p, &sid));
	struct ml_err err;
	int64_t rows;
	CHECK(store_copy(a, b, &rows, &err) == 0);
	CHECK(rows > 40);
	char *da = dump_all(a), *db = dump_all(b);
	CHECK(da && db);
	CHECK_EQ_STR(db, da);
	ml_free(da);
	ml_free(db);
	/* a second copy into the now full destination is refused, and changes nothing */
	CHECK(store_copy(a, b, &rows, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ECONFLICT);
	CHECK(strstr(err.msg, "not empty") != NULL);
	store_close(a);
	store_close(b);
}

TEST(sqlite_to_postgres_and_back)
{
	const char *why = test_pg_skip_reason();
	if (why) {
		printf("skip - sqlite_to_postgres_and_back: %s\n", why);
		return;
	}
	struct store *a = open_sqlite("orig"), *pg = open_pg("copy"), *back = open_sqlite("back");
	CHECK(a && pg && back);
	int64_t p, sid;
	CHECK(populate(a, &p, &sid));
	struct ml_err err;
	int64_t rows, rows2;
	CHECK(store_copy(a, pg, &rows, &err) == 0);
	char *da = dump_all(a), *dp = dump_all(pg);
	CHECK(da && dp);
	CHECK_EQ_STR(dp, da);
	/* the export (live and pinned) and the audit chain read the same through either backend */
	char *ea = export_all(a, p, 0), *ep = export_all(pg, p, 0), *sa = export_all(a, p, sid), *sp = export_all(pg, p, sid);
	CHECK(ea && ep && sa && sp);
	CHECK_EQ_STR(ep, ea);
	CHECK_EQ_STR(sp, sa);
	CHECK(strstr(sa, "note 0 — ü") != NULL); /* the snapshot still exports the text it pinned */
	ml_free(ea);
	ml_free(ep);
	ml_free(sa);
	ml_free(sp);
	/* and back again */
	CHECK(store_copy(pg, back, &rows2, &err) == 0);
	CHECK_EQ_INT(rows2, rows);
	char *db = dump_all(back);
	CHECK(db);
	CHECK_EQ_STR(db, da);
	ml_free(da);
	ml_free(dp);
	ml_free(db);
	/* new rows continue after the copied ids */
	int64_t u;
	CHECK(store_user_create(pg, "after-copy", "", false, &u, &err) == 0);
	CHECK_EQ_INT(u, 3);
	struct store_item it = {.project_id = p, .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER, .text = (char *)"x",
				.visible = true};
	int64_t item;
	CHECK(store_item_add(pg, &it, 1, &item, NULL, &err) == 0);
	CHECK_EQ_INT(item, 5);
	/* the audit chain goes on from the copied head */
	struct store_audit r = {.status = 200};
	CHECK(store_audit_append(pg, &r, chain, NULL, &err) == 0);
	CHECK_EQ_INT(r.seq, 6);
	/* a non-empty PostgreSQL destination is refused */
	CHECK(store_copy(a, pg, &rows, &err) == -1);
	CHECK_EQ_INT(err.code, ML_ECONFLICT);
	CHECK(strstr(err.msg, "not empty") != NULL);
	store_close(a);
	store_close(pg);
	store_close(back);
}

/* Every store function the SQLite backend implements, the PostgreSQL one does too (a new op added to
 * store_int.h for SQLite only would be a NULL call on PostgreSQL). Only the WAL checkpoint is SQLite's
 * alone: store.c treats a missing one as nothing to do. */
TEST(postgres_backend_implements_every_op)
{
	typedef void (*fn)(void);
	size_t first = offsetof(struct store_ops, close), n = (sizeof(struct store_ops) - first) / sizeof(fn);
	int missing = 0;
	for (size_t i = 0; i < n; i++) {
		size_t off = first + i * sizeof(fn);
		if (off == offsetof(struct store_ops, wal_checkpoint))
			continue;
		fn sq, pq;
		memcpy(&sq, (const char *)&sq_ops + off, sizeof sq);
		memcpy(&pq, (const char *)&pq_ops + off, sizeof pq);
		if (sq && !pq) {
			fprintf(stdout, "# struct store_ops entry at offset %zu has no PostgreSQL implementation\n", off);
			missing++;
		}
	}
	CHECK_EQ_INT(missing, 0);
}
