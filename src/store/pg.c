/* pg.c: the PostgreSQL backend's connection: opening (migrations), the prepared-statement cache,
 * parameters and error mapping, nested transactions, settings, row readers, raw rows for `db copy` and the
 * ops table. */
#include "store/pg_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters ---- */

static const char *pa_slot(struct pq_args *a)
{
	return a->n < PQ_MAXARGS ? a->buf[a->n] : NULL;
}

void pa_i64(struct pq_args *a, int64_t v)
{
	if (a->n >= PQ_MAXARGS)
		return;
	snprintf(a->buf[a->n], sizeof a->buf[a->n], "%" PRId64, v);
	a->v[a->n] = pa_slot(a);
	a->n++;
}

void pa_id(struct pq_args *a, int64_t v)
{
	if (v)
		pa_i64(a, v);
	else
		pa_str(a, NULL);
}

void pa_dbl(struct pq_args *a, double v)
{
	if (a->n >= PQ_MAXARGS)
		return;
	/* %.17g reads back to the same double in both databases */
	snprintf(a->buf[a->n], sizeof a->buf[a->n], "%.17g", v);
	a->v[a->n] = pa_slot(a);
	a->n++;
}

void pa_str(struct pq_args *a, const char *s)
{
	if (a->n >= PQ_MAXARGS)
		return;
	a->v[a->n++] = s;
}

/* ---- errors and statements ---- */

/* Maps a failed result to an ml_code. Only the primary message is shown: PostgreSQL puts the offending
 * values (possibly PHI) in the DETAIL field, never in the primary message. */
static int pq_fail(struct pq *q, const PGresult *r, struct ml_err *err, const char *what)
{
	if (PQstatus(q->conn) != CONNECTION_OK)
		return ml_err_set(err, ML_EIO, "database error while %s: the connection to PostgreSQL was lost", what);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(q->conn);
	enum ml_code code = ML_EIO;
	if (state) {
		if (!strcmp(state, "23505"))
			code = ML_EEXIST; /* unique_violation */
		else if (!strcmp(state, "23503"))
			code = ML_ENOTFOUND; /* foreign_key_violation */
		else if (!strcmp(state, "23514") || !strcmp(state, "23502"))
			code = ML_EINVAL; /* check_violation, not_null_violation */
		else if (!strcmp(state, "22021") || !strcmp(state, "22P05"))
			code = ML_EINVAL; /* text that is not UTF-8, or holds a NUL */
	}
	return ml_err_set(err, code, "database error while %s: %s", what, msg && *msg ? msg : "unknown error");
}

static size_t slot_of(const char *sql)
{
	uintptr_t p = (uintptr_t)sql;
	p ^= p >> 17;
	p *= 0x9E3779B97F4A7C15ull;
	return (size_t)(p >> 40) & (PQ_CACHE - 1);
}

/* After a lost connection: reconnect (only between transactions: a transaction cannot survive it) and
 * forget the statements prepared on the old connection. */
static void pq_reconnect(struct pq *q)
{
	if (q->depth > 0 || PQstatus(q->conn) == CONNECTION_OK)
		return;
	PQreset(q->conn);
	memset(q->cache, 0, sizeof q->cache);
	q->nprepared = 0;
}

static const char *pq_prepared(struct pq *q, const char *sql, struct ml_err *err)
{
	size_t i = slot_of(sql);
	for (size_t n = 0; n < PQ_CACHE; n++, i = (i + 1) & (PQ_CACHE - 1)) {
		if (q->cache[i].sql == sql)
			return q->cache[i].name;
		if (!q->cache[i].sql) {
			char name[16];
			snprintf(name, sizeof name, "s%u", ++q->nprepared);
			PGresult *r = PQprepare(q->conn, name, sql, 0, NULL);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				pq_fail(q, r, err, "preparing a statement");
				PQclear(r);
				return NULL;
			}
			PQclear(r);
			q->cache[i].sql = sql;
			memcpy(q->cache[i].name, name, sizeof name);
			return q->cache[i].name;
		}
	}
	ml_err_set(err, ML_EIO, "statement cache full");
	return NULL;
}

PGresult *pq_run(struct pq *q, const char *sql, const struct pq_args *a, struct ml_err *err, const char *what)
{
	pq_reconnect(q);
	const char *name = pq_prepared(q, sql, err);
	if (!name)
		return NULL;
	PGresult *r = PQexecPrepared(q->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		pq_fail(q, r, err, what);
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Reads one pipelined query's result (and the NULL after it); NULL if the connection broke. */
static PGresult *pipe_result(struct pq *q)
{
	PGresult *r = PQgetResult(q->conn);
	if (r) {
		PGresult *extra;
		while ((extra = PQgetResult(q->conn)))
			PQclear(extra);
	}
	return r;
}

PGresult *pq_run_sp(struct pq *q, const char *sql, const struct pq_args *a, struct ml_err *err, const char *what)
{
	if (q->depth == 0)
		return pq_run(q, sql, a, err, what);
	const char *name = pq_prepared(q, sql, err);
	if (!name)
		return NULL;
	/* SAVEPOINT, the statement and RELEASE in one round trip (libpq's pipeline mode): an import adds
	 * its items this way, three round trips per item were most of its time. */
	if (!PQenterPipelineMode(q->conn) ||
	    !PQsendQueryParams(q->conn, "SAVEPOINT sp", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(q->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0) ||
	    !PQsendQueryParams(q->conn, "RELEASE sp", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(q->conn)) {
		ml_err_set(err, ML_EIO, "database error while %s: %s", what, PQerrorMessage(q->conn));
		(void)PQexitPipelineMode(q->conn);
		return NULL;
	}
	PGresult *sp = pipe_result(q), *r = pipe_result(q), *rel = pipe_result(q), *sync = PQgetResult(q->conn);
	bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
	PQclear(sync);
	(void)PQexitPipelineMode(q->conn);
	ExecStatusType st = PQresultStatus(r);
	bool ok = synced && PQresultStatus(sp) == PGRES_COMMAND_OK && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) &&
		  PQresultStatus(rel) == PGRES_COMMAND_OK;
	if (!ok) {
		/* the statement's own failure if it had one, else the savepoint's or the release's */
		const PGresult *why = st == PGRES_FATAL_ERROR ? r : PQresultStatus(sp) == PGRES_FATAL_ERROR ? sp : rel;
		pq_fail(q, why, err, what);
		struct ml_err ignore;
		if (PQstatus(q->conn) == CONNECTION_OK && PQresultStatus(sp) == PGRES_COMMAND_OK &&
		    PQresultStatus(rel) != PGRES_COMMAND_OK)
			(void)pq_exec(q, "ROLLBACK TO sp; RELEASE sp", &ignore, "rolling back to a savepoint");
		PQclear(r);
		r = NULL;
	}
	PQclear(sp);
	PQclear(rel);
	return r;
}

int pq_do(struct pq *q, const char *sql, const struct pq_args *a, int64_t *rows, struct ml_err *err, const char *what)
{
	PGresult *r = pq_run(q, sql, a, err, what);
	if (!r)
		return -1;
	if (rows)
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

int pq_do_sp(struct pq *q, const char *sql, const struct pq_args *a, int64_t *rows, struct ml_err *err, const char *what)
{
	PGresult *r = pq_run_sp(q, sql, a, err, what);
	if (!r)
		return -1;
	if (rows)
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

int pq_exec(struct pq *q, const char *sql, struct ml_err *err, const char *what)
{
	pq_reconnect(q);
	PGresult *r = PQexec(q->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		rc = pq_fail(q, r, err, what);
	PQclear(r);
	return rc;
}

/* ---- transactions ---- */

/* A db copy that failed between rows leaves a COPY open: end it, so the connection takes commands again. */
static void copy_abort(struct pq *q)
{
	if (!q->copying)
		return;
	q->copying = NULL;
	(void)PQputCopyEnd(q->conn, "copy abandoned");
	PGresult *r;
	while ((r = PQgetResult(q->conn)))
		PQclear(r);
}

int pq_txn_begin(struct pq *q, struct ml_err *err)
{
	/* A write transaction takes the database's write lock (a transaction-level advisory lock) when it
	 * begins, as SQLite's BEGIN IMMEDIATE does: write transactions of every server run one at a time.
	 * Without it, a server's batch of requests (src/http commits many in one transaction) holding the
	 * audit chain's lock could wait for a queue lock that another server's batch holds while that one
	 * waits for the chain: a deadlock, which PostgreSQL breaks by failing a whole batch. READ COMMITTED:
	 * each statement sees every write committed before it. The functions still lock what they read and
	 * then write (FOR UPDATE, advisory locks per queue and for the chain), so each is right on its own. */
	if (pq_exec(q, q->depth == 0 ? "BEGIN; SELECT pg_advisory_xact_lock(1835794436)" : "SAVEPOINT sp", err,
		    "starting a transaction")) {
		struct ml_err ignore;
		if (q->depth == 0)
			(void)pq_exec(q, "ROLLBACK", &ignore, "rolling back");
		return -1;
	}
	q->depth++;
	return 0;
}

int pq_txn_end(struct pq *q, int rc, struct ml_err *err)
{
	if (q->depth <= 0)
		return rc;
	copy_abort(q);
	q->depth--;
	struct ml_err ignore;
	if (q->depth == 0) {
		if (rc == 0) {
			PGresult *r = PQexec(q->conn, "COMMIT");
			/* COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK: that is a failure too. */
			int ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
			if (!ok)
				pq_fail(q, PQresultStatus(r) == PGRES_COMMAND_OK ? NULL : r, err, "committing");
			PQclear(r);
			if (!ok) {
				(void)pq_exec(q, "ROLLBACK", &ignore, "rolling back");
				return -1;
			}
			return 0;
		}
		(void)pq_exec(q, "ROLLBACK", &ignore, "rolling back");
		return rc;
	}
	if (rc == 0)
		return pq_exec(q, "RELEASE sp", err, "releasing a savepoint");
	(void)pq_exec(q, "ROLLBACK TO sp", &ignore, "rolling back to a savepoint");
	(void)pq_exec(q, "RELEASE sp", &ignore, "releasing a savepoint");
	return rc;
}

int pq_read_begin(struct pq *q, bool *own, struct ml_err *err)
{
	*own = q->depth == 0;
	if (*own && pq_exec(q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "starting a read"))
		return -1;
	return 0;
}

void pq_read_end(struct pq *q, bool own)
{
	struct ml_err ignore;
	if (own)
		(void)pq_exec(q, "COMMIT", &ignore, "ending a read");
}

/* ---- columns ---- */

const char *pg_str(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int64_t pg_i64(const PGresult *r, int row, int col)
{
	const char *s = pg_str(r, row, col);
	return s ? strtoll(s, NULL, 10) : 0;
}

int pg_int(const PGresult *r, int row, int col)
{
	return (int)pg_i64(r, row, col);
}

double pg_dbl(const PGresult *r, int row, int col)
{
	const char *s = pg_str(r, row, col);
	return s ? strtod(s, NULL) : 0;
}

char *pg_dup(const PGresult *r, int row, int col, bool keep_null)
{
	if (PQgetisnull(r, row, col))
		return keep_null ? NULL : ml_xstrdup("");
	return ml_xstrndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

void pg_copy(const PGresult *r, int row, int col, char *out, size_t outlen)
{
	const char *t = pg_str(r, row, col);
	size_t n = t ? (size_t)PQgetlength(r, row, col) : 0;
	if (n >= outlen)
		n = outlen - 1;
	if (n)
		memcpy(out, t, n);
	out[n] = 0;
}

void pg_read_item(const PGresult *r, int row, int c, struct store_item *it)
{
	it->id = pg_i64(r, row, c + 0);
	it->project_id = pg_i64(r, row, c + 1);
	it->modality = (enum store_modality)pg_int(r, row, c + 2);
	it->source = (enum store_source)pg_int(r, row, c + 3);
	it->patient_key = pg_dup(r, row, c + 4, false);
	it->meta_json = pg_dup(r, row, c + 5, false);
	it->text = pg_dup(r, row, c + 6, true);
	it->media_hash = pg_dup(r, row, c + 7, true);
	it->media_type = pg_dup(r, row, c + 8, true);
	pg_copy(r, row, c + 9, it->content_hash, sizeof it->content_hash);
	it->external_ref = pg_dup(r, row, c + 10, false);
	it->created_at = pg_i64(r, row, c + 11);
	it->visible = pg_int(r, row, c + 12) != 0;
}

void pg_read_task(const PGresult *r, int row, int c, struct store_task *t)
{
	t->id = pg_i64(r, row, c + 0);
	t->project_id = pg_i64(r, row, c + 1);
	t->item_id = pg_i64(r, row, c + 2);
	t->state = (enum store_task_state)pg_int(r, row, c + 3);
	t->overlap = pg_int(r, row, c + 4);
	t->submitted = pg_int(r, row, c + 5);
	t->gold = pg_int(r, row, c + 6) != 0;
	t->priority = pg_dbl(r, row, c + 7);
	t->updated_at = pg_i64(r, row, c + 8);
}

void pg_read_annotation(const PGresult *r, int row, int c, struct store_annotation *a)
{
	a->id = pg_i64(r, row, c + 0);
	a->version = pg_int(r, row, c + 1);
	a->task_id = pg_i64(r, row, c + 2);
	a->user_id = pg_i64(r, row, c + 3);
	a->model = pg_dup(r, row, c + 4, true);
	a->model_version = pg_dup(r, row, c + 5, true);
	a->schema_version = pg_int(r, row, c + 6);
	a->body_json = pg_dup(r, row, c + 7, false);
	a->seconds_spent = pg_dbl(r, row, c + 8);
	a->validated = pg_int(r, row, c + 9) != 0;
	a->kind = pg_dup(r, row, c + 10, false);
	a->created_at = pg_i64(r, row, c + 11);
	a->author_id = pg_i64(r, row, c + 12);
	a->item_id = pg_i64(r, row, c + 13);
}

/* ---- open and close ---- */

static void pq_notice(void *arg, const PGresult *r)
{
	/* Notices (e.g. "relation already exists, skipping") would go to stderr; they carry nothing the
	 * caller needs. */
	(void)arg;
	(void)r;
}

static void pq_close(struct store *s)
{
	struct pq *q = (struct pq *)s;
	if (q->depth > 0) {
		struct ml_err ignore;
		q->depth = 1;
		(void)pq_txn_end(q, -1, &ignore);
	}
	PQfinish(q->conn);
	ml_free(q);
}

/* The URL without its password (user:PASSWORD@ or ?password=...), for messages. */
static void url_for_message(const char *url, char *out, size_t outlen)
{
	const char *scheme = strstr(url, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	const char *colon = at && (!slash || at < slash) ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (colon)
		snprintf(out, outlen, "%.*s:***%s", (int)(colon - url), url, at);
	else
		snprintf(out, outlen, "%s", url);
	char *pw = strstr(out, "password=");
	if (pw && (pw == out || pw[-1] == '?' || pw[-1] == '&')) {
		char *end = strchr(pw, '&');
		char rest[512];
		snprintf(rest, sizeof rest, "%s", end ? end : "");
		snprintf(pw, outlen - (size_t)(pw - out), "password=***%s", rest);
	}
}

int store_pg_open(const char *url, const char *data_dir, int upto, struct store **out, struct ml_err *err)
{
	*out = NULL;
	struct pq *q = ml_calloc(1, sizeof *q);
	if (!q)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	q->base.ops = &pq_ops;
	if (data_dir && *data_dir)
		snprintf(q->file, sizeof q->file, "%s/medlabel.pg", data_dir);
	q->conn = PQconnectdb(url);
	if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
		char shown[512];
		url_for_message(url, shown, sizeof shown);
		const char *m = q->conn ? PQerrorMessage(q->conn) : "out of memory";
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		ml_err_set(err, ML_EIO, "cannot connect to PostgreSQL at '%s': %.*s", shown, (int)n, m);
		PQfinish(q->conn);
		ml_free(q);
		return -1;
	}
	PQsetNoticeReceiver(q->conn, pq_notice, NULL);
	/* UTF-8 in and out whatever the server's default; times are integers, so no time zone matters. */
	if (PQsetClientEncoding(q->conn, "UTF8") != 0) {
		ml_err_set(err, ML_EIO, "cannot use UTF-8 with this PostgreSQL database");
		pq_close(&q->base);
		return -1;
	}
	if (pq_migrate(q, upto, err)) {
		pq_close(&q->base);
		return -1;
	}
	*out = &q->base;
	return 0;
}

static const char *pq_file(struct store *s)
{
	return ((struct pq *)s)->file;
}

/* ---- transactions for callers ---- */

static int pq_begin(struct store *s, struct ml_err *err)
{
	return pq_txn_begin((struct pq *)s, err);
}

static int pq_commit(struct store *s, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (q->depth == 0)
		return ml_err_set(err, ML_EINVAL, "commit without a transaction");
	return pq_txn_end(q, 0, err);
}

static void pq_rollback(struct store *s)
{
	struct pq *q = (struct pq *)s;
	struct ml_err ignore;
	if (q->depth > 0)
		(void)pq_txn_end(q, -1, &ignore);
}

/* ---- settings ---- */

int pq_setting_get(struct store *s, const char *key, char **value, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	*value = NULL;
	struct pq_args a = {0};
	pa_str(&a, key);
	PGresult *r = pq_run(q, "SELECT value FROM settings WHERE key = $1", &a, err, "reading a setting");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		*value = pg_dup(r, 0, 0, false);
	PQclear(r);
	return found ? 0 : ml_err_set(err, ML_ENOTFOUND, "no setting '%s'", key);
}

int pq_setting_set(struct store *s, const char *key, const char *value, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	struct pq_args a = {0};
	pa_str(&a, key);
	pa_str(&a, value);
	int rc = pq_do_sp(q, "INSERT INTO settings(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		       &a, NULL, err, "writing a setting");
	return rc;
}

/* ---- raw rows for db copy ---- */

int pq_raw_read_begin(struct store *s, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (q->depth)
		return ml_err_set(err, ML_EINVAL, "a copy cannot start inside a transaction");
	if (pq_exec(q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "starting a read"))
		return -1;
	q->depth = 1;
	return 0;
}

int pq_raw_count(struct store *s, const char *table, int64_t *n, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	PGresult *r = PQexec(q->conn, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pq_fail(q, r, err, "counting rows");
		PQclear(r);
		return -1;
	}
	*n = pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int pq_raw_read(struct store *s, const struct store_copy_table *t, int (*cb)(void *ctx, const char *const *vals), void *ctx,
		struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	/* A cursor, so a large table never sits in memory whole; cursors live in a transaction (the copy's
	 * own, else one for this table). */
	bool own;
	if (pq_read_begin(q, &own, err))
		return -1;
	char sql[1024];
	snprintf(sql, sizeof sql, "DECLARE copy_cur NO SCROLL CURSOR FOR SELECT %s FROM %s ORDER BY %s", t->cols, t->name,
		 t->order);
	if (pq_exec(q, sql, err, "reading a table")) {
		pq_read_end(q, own);
		return -1;
	}
	int ret = 0;
	const char *vals[64];
	for (;;) {
		PGresult *r = PQexec(q->conn, "FETCH 1000 FROM copy_cur");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			ret = pq_fail(q, r, err, "reading a table");
			PQclear(r);
			break;
		}
		int n = PQntuples(r);
		for (int i = 0; i < n && !ret; i++) {
			for (int c = 0; c < t->ncols && c < 64; c++)
				vals[c] = pg_str(r, i, c);
			ret = cb(ctx, vals);
		}
		PQclear(r);
		if (ret || n == 0)
			break;
	}
	struct ml_err ignore;
	(void)pq_exec(q, "CLOSE copy_cur", &ignore, "closing a cursor");
	pq_read_end(q, own);
	return ret;
}

/* Ends the COPY of the table being copied, if any: the rows are checked (keys, types) now. */
static int copy_end(struct pq *q, struct ml_err *err)
{
	if (!q->copying)
		return 0;
	q->copying = NULL;
	int rc = 0;
	if (PQputCopyEnd(q->conn, NULL) != 1)
		rc = ml_err_set(err, ML_EIO, "database error while writing copied rows: %s", PQerrorMessage(q->conn));
	PGresult *r;
	while ((r = PQgetResult(q->conn))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pq_fail(q, r, err, "writing copied rows");
		PQclear(r);
	}
	return rc;
}

/* Appends v to b in COPY's text format: backslash escapes for the characters that delimit fields and
 * rows. -1 when the buffer cannot grow. */
static int copy_field(struct ml_buf *b, const char *v)
{
	if (!v)
		return ml_buf_append(b, "\\N", 2);
	for (const char *p = v; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
		if (esc ? ml_buf_append(b, esc, 2) : ml_buf_putc(b, *p))
			return -1;
	}
	return 0;
}

int pq_raw_write(struct store *s, const struct store_copy_table *t, const char *const *vals, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	/* COPY FROM STDIN: rows stream to the server without a round trip each. */
	if (q->copying != t) {
		if (copy_end(q, err))
			return -1;
		char sql[1200];
		snprintf(sql, sizeof sql, "COPY %s(%s) FROM STDIN", t->name, t->cols);
		PGresult *r = PQexec(q->conn, sql);
		int ok = PQresultStatus(r) == PGRES_COPY_IN;
		if (!ok)
			pq_fail(q, r, err, "starting to write copied rows");
		PQclear(r);
		if (!ok)
			return -1;
		q->copying = t;
	}
	struct ml_buf line;
	ml_buf_init(&line, 0);
	int rc = 0;
	for (int c = 0; c < t->ncols && !rc; c++)
		rc = (c && ml_buf_putc(&line, '\t')) || copy_field(&line, vals[c]) ? -1 : 0;
	if (rc || ml_buf_putc(&line, '\n') || line.len > INT32_MAX)
		rc = ml_err_set(err, ML_ENOMEM, "out of memory writing a copied row");
	else if (PQputCopyData(q->conn, line.data, (int)line.len) != 1)
		rc = ml_err_set(err, ML_EIO, "database error while writing copied rows: %s", PQerrorMessage(q->conn));
	ml_buf_release(&line);
	return rc;
}

int pq_raw_done(struct store *s, struct ml_err *err)
{
	struct pq *q = (struct pq *)s;
	if (copy_end(q, err))
		return -1;
	/* Rows came with their ids: the id sequences continue after the largest. */
	for (size_t i = 0; i < store_copy_ntables; i++) {
		const struct store_copy_table *t = &store_copy_tables[i];
		if (!t->serial)
			continue;
		char sql[400];
		snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 0) + 1, false) FROM %s",
			 t->name, t->name);
		if (pq_exec(q, sql, err, "continuing an id sequence"))
			return -1;
	}
	return 0;
}

const struct store_ops pq_ops = {
	.name = "postgres",
	.close = pq_close,
	.file = pq_file,
	.begin = pq_begin,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.setting_get = pq_setting_get,
	.setting_set = pq_setting_set,
	.user_create = pq_user_create,
	.user_get = pq_user_get,
	.user_by_name = pq_user_by_name,
	.user_list = pq_user_list,
	.user_set_password = pq_user_set_password,
	.user_set_disabled = pq_user_set_disabled,
	.user_set_admin = pq_user_set_admin,
	.session_create = pq_session_create,
	.session_get = pq_session_get,
	.session_delete = pq_session_delete,
	.session_delete_expired = pq_session_delete_expired,
	.session_delete_user = pq_session_delete_user,
	.token_create = pq_token_create,
	.token_by_hash = pq_token_by_hash,
	.token_touch = pq_token_touch,
	.token_revoke = pq_token_revoke,
	.token_list = pq_token_list,
	.login_failure_add = pq_login_failure_add,
	.login_failure_count = pq_login_failure_count,
	.login_failure_clear = pq_login_failure_clear,
	.login_failure_prune = pq_login_failure_prune,
	.project_create = pq_project_create,
	.project_get = pq_project_get,
	.project_find = pq_project_find,
	.project_list = pq_project_list,
	.project_set_settings = pq_project_set_settings,
	.project_counts = pq_project_counts,
	.member_set = pq_member_set,
	.member_remove = pq_member_remove,
	.member_role = pq_member_role,
	.member_list = pq_member_list,
	.schema_add = pq_schema_add,
	.schema_get = pq_schema_get,
	.item_add = pq_item_add,
	.item_get = pq_item_get,
	.item_set_text = pq_item_set_text,
	.item_set_visible = pq_item_set_visible,
	.item_set_meta = pq_item_set_meta,
	.item_list = pq_item_list,
	.task_get = pq_task_get,
	.task_list = pq_task_list,
	.task_set_state = pq_task_set_state,
	.task_set_overlap = pq_task_set_overlap,
	.task_set_gold = pq_task_set_gold,
	.task_set_priority = pq_task_set_priority,
	.task_lease_next = pq_task_lease_next,
	.assignment_get = pq_assignment_get,
	.assignment_return = pq_assignment_return,
	.assignment_finish = pq_assignment_finish,
	.annotation_create = pq_annotation_create,
	.annotation_update = pq_annotation_update,
	.annotation_get = pq_annotation_get,
	.annotation_list = pq_annotation_list,
	.annotation_history = pq_annotation_history,
	.annotation_list_project = pq_annotation_list_project,
	.prediction_add = pq_prediction_add,
	.prediction_list = pq_prediction_list,
	.review_add = pq_review_add,
	.review_list = pq_review_list,
	.comment_add = pq_comment_add,
	.comment_list = pq_comment_list,
	.audit_append = pq_audit_append,
	.audit_list = pq_audit_list,
	.snapshot_create = pq_snapshot_create,
	.snapshot_get = pq_snapshot_get,
	.snapshot_set_manifest = pq_snapshot_set_manifest,
	.snapshot_list = pq_snapshot_list,
	.snapshot_pin = pq_snapshot_pin,
	.export_scan = pq_export_scan,
	.annotator_quality_get = pq_annotator_quality_get,
	.annotator_quality_set = pq_annotator_quality_set,
	.annotator_quality_list = pq_annotator_quality_list,
	.task_lease_filtered = pq_task_lease_filtered,
	.user_submitted_counts = pq_user_submitted_counts,
	.gold_repeat = pq_gold_repeat,
	.raw_count = pq_raw_count,
	.raw_read_begin = pq_raw_read_begin,
	.raw_read = pq_raw_read,
	.raw_write = pq_raw_write,
	.raw_done = pq_raw_done,
};
