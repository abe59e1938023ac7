/* sqlite_checkpoint.c: WAL checkpoints on a background thread, so writers never wait for them.
 *
 * SQLite's default is to checkpoint inside the commit that pushes the WAL past 1000 pages: that commit
 * then copies the WAL into the database and fsyncs both, and a bulk import spends much of its time
 * there. Instead a WAL hook wakes a helper thread with its own connection, which runs PASSIVE
 * checkpoints (they never block writers or readers) while the writer goes on. If the helper cannot keep
 * up and the WAL grows past SQ_CKPT_HARD pages, the writer checkpoints inline as SQLite would. */
#include "store/sqlite_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SQ_CKPT_PAGES 2048   /* wake the helper every 16 MiB of WAL (8 KiB pages) */
#define SQ_CKPT_HARD 131072  /* 1 GiB: checkpoint inline, the helper is not keeping up */

struct sq_ckpt {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t idle_cv; /* signalled when a pass ends */
	bool started, pending, stop, running;
	char *path;
};

static void *ckpt_main(void *arg)
{
	struct sq_ckpt *c = arg;
	pthread_setname_np(pthread_self(), "ml-checkpoint");
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL;
	} else {
		sqlite3_busy_timeout(db, 1000);
		/* A connection learns that the database is in WAL mode only when it first reads it; until then
		 * a checkpoint call does nothing. */
		(void)sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	}
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->pending && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->pending = false;
		c->running = true;
		pthread_mutex_unlock(&c->mu);
		if (db)
			(void)sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->running = false;
		pthread_cond_broadcast(&c->idle_cv);
	}
	pthread_mutex_unlock(&c->mu);
	sqlite3_close(db);
	return NULL;
}

/* Asks the helper thread for a pass (starting it the first time); false if there is no thread. */
static bool ckpt_wake(struct sq_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	if (!c->started)
		c->started = pthread_create(&c->thread, NULL, ckpt_main, c) == 0;
	c->pending = true;
	pthread_cond_signal(&c->cv);
	bool started = c->started;
	pthread_mutex_unlock(&c->mu);
	return started;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq *q = arg;
	q->wal_pages = pages;
	if (pages >= SQ_CKPT_HARD || !q->ckpt) {
		if (pages >= SQ_CKPT_PAGES / 2 && !q->ckpt)
			(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		else if (pages >= SQ_CKPT_HARD)
			(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (pages < SQ_CKPT_PAGES)
		return SQLITE_OK;
	if (!ckpt_wake(q->ckpt)) /* no thread: do it here, as SQLite would */
		(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

void sq_ckpt_attach(struct sq *q)
{
	const char *path = sqlite3_db_filename(q->db, "main");
	struct sq_ckpt *c = (path && *path) ? ml_calloc(1, sizeof *c) : NULL;
	if (c) {
		c->path = ml_strdup(path);
		if (!c->path) {
			ml_free(c);
			c = NULL;
		} else {
			pthread_mutex_init(&c->mu, NULL);
			pthread_cond_init(&c->cv, NULL);
			pthread_cond_init(&c->idle_cv, NULL);
		}
	}
	q->ckpt = c; /* without it (memory databases, OOM) the hook checkpoints inline */
	sqlite3_wal_hook(q->db, wal_hook, q);
}

void sq_ckpt_detach(struct sq *q)
{
	struct sq_ckpt *c = q->ckpt;
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	bool started = c->started;
	pthread_mutex_unlock(&c->mu);
	if (started)
		pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->idle_cv);
	ml_free(c->path);
	ml_free(c);
	q->ckpt = NULL;
	sqlite3_wal_hook(q->db, NULL, NULL);
}

int sq_wal_checkpoint(struct store *s, int min_pages, struct ml_err *err)
{
	struct sq *q = (struct sq *)s;
	if (q->depth > 0 || q->wal_pages < min_pages / 2)
		return 0;
	/* Half way, the helper thread starts a pass while this writer goes on: it does the bulk of the copying
	 * and syncing on another core. At min_pages the writer finishes the job itself, between transactions,
	 * which leaves only what was appended since the helper's pass (nothing at all, often) to copy. */
	if (q->wal_pages < min_pages && q->ckpt && ckpt_wake(q->ckpt))
		return 0;
	/* The helper may be in the middle of its pass (it holds the checkpoint lock, and a second checkpointer
	 * would get SQLITE_BUSY and leave the WAL to grow): let it finish, then copy what it could not. */
	struct sq_ckpt *c = q->ckpt;
	if (c) {
		pthread_mutex_lock(&c->mu);
		while (c->running)
			pthread_cond_wait(&c->idle_cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
	}
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	q->wal_pages = 0; /* until the next commit says otherwise */
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0; /* another checkpointer (the helper thread, another process) is at it */
	if (rc != SQLITE_OK)
		return sq_fail(q, err, "checkpointing the WAL");
	return 0;
}
