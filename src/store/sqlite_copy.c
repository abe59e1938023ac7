/* sqlite_copy.c: raw rows of the SQLite backend for `medlabel db copy` (store_copy.c). */
#include "store/sqlite_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SQ_COPY_MAXCOLS 32

/* The INSERT of each copied table, built once: sq_prep caches statements by the address of their text,
 * so the text must live as long as the process. */
static char insert_sql[64][1400];
static pthread_once_t insert_once = PTHREAD_ONCE_INIT;

static void build_inserts(void)
{
	for (size_t i = 0; i < store_copy_ntables && i < ML_ARRAY_LEN(insert_sql); i++) {
		const struct store_copy_table *t = &store_copy_tables[i];
		char *sql = insert_sql[i];
		size_t cap = sizeof insert_sql[i];
		int n = snprintf(sql, cap, "INSERT INTO %s(%s) VALUES (", t->name, t->cols);
		for (int c = 0; c < t->ncols && n > 0 && (size_t)n < cap - 8; c++)
			n += snprintf(sql + n, cap - (size_t)n, "%s?%d", c ? ", " : "", c + 1);
		if (n > 0 && (size_t)n < cap - 2)
			snprintf(sql + n, cap - (size_t)n, ")");
	}
}

int sq_raw_count(struct store *s, const char *table, int64_t *n, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sq_fail(q, err, "counting rows");
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int sq_raw_read_begin(struct store *s, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (q->depth)
		return ml_err_set(err, ML_EINVAL, "a copy cannot start inside a transaction");
	/* A deferred transaction: in WAL mode its first read fixes the state it sees, without locking out
	 * writers. */
	if (sq_exec(q, "BEGIN", err))
		return -1;
	q->depth = 1;
	return 0;
}

int sq_raw_read(struct store *s, const struct store_copy_table *t, int (*cb)(void *ctx, const char *const *vals), void *ctx,
		struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (t->ncols > SQ_COPY_MAXCOLS)
		return ml_err_set(err, ML_ELIMIT, "table %s has too many columns to copy", t->name);
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", t->cols, t->name, t->order);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return sq_fail(q, err, "reading a table");
	}
	const char *vals[SQ_COPY_MAXCOLS];
	char num[SQ_COPY_MAXCOLS][32];
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < t->ncols; c++) {
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_NULL:
				vals[c] = NULL;
				break;
			case SQLITE_FLOAT:
				/* %.17g: the same double on the other side (SQLite's own text form keeps 15 digits) */
				snprintf(num[c], sizeof num[c], "%.17g", sqlite3_column_double(st, c));
				vals[c] = num[c];
				break;
			default:
				vals[c] = (const char *)sqlite3_column_text(st, c);
			}
		}
		if ((ret = cb(ctx, vals)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sq_fail(q, err, "reading a table");
	sqlite3_finalize(st);
	return ret;
}

int sq_raw_write(struct store *s, const struct store_copy_table *t, const char *const *vals, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	pthread_once(&insert_once, build_inserts);
	size_t i = (size_t)(t - store_copy_tables);
	if (i >= store_copy_ntables || i >= ML_ARRAY_LEN(insert_sql))
		return ml_err_set(err, ML_EINVAL, "unknown table to copy");
	sqlite3_stmt *st = sq_prep(q, insert_sql[i], err);
	if (!st)
		return -1;
	for (int c = 0; c < t->ncols; c++)
		sq_bind_str(st, c + 1, vals[c]);
	return sq_step_done(q, st, err, "writing a copied row");
}

int sq_raw_done(struct store *s, struct ml_err *err)
{
	/* Row ids continue after the largest by themselves. */
	(void)s;
	(void)err;
	return 0;
}
