/* import.c: the import driver: an importer runs on a helper thread and hands copies of its items, in
 * batches, through a small bounded queue to the calling thread, which writes them to the store in
 * transactions. Parsing, validation and content hashing thus overlap with SQLite's work. */
#include "io/io_int.h"

#include "deid/deid.h"

#include <pthread.h>
#include <string.h>

#define QB_ENTRIES 256          /* entries per batch */
#define QB_BYTES (4u << 20)     /* or this many bytes of copied strings */
#define Q_SLOTS 4               /* batches in flight between the threads */

enum { ENT_ITEM, ENT_ANN, ENT_PRED };

struct qent {
	int kind;
	struct store_item it;
	struct store_annotation an;
	struct store_prediction pr;
};

struct qbatch {
	struct qent e[QB_ENTRIES];
	int n;
	size_t bytes;
	struct ml_arena arena;
	bool end;            /* the producer is done: rc and err tell how */
	int rc;
	struct ml_err err;
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	struct qbatch *slot[Q_SLOTS];
	int head, count;
	bool cancel;         /* the consumer failed: the producer stops at its next item */
	/* producer side */
	struct qbatch *cur;
	const char *const *files;
	int nfiles;
	const struct io_importer *forced;
	struct io_import_opts opts;
	/* the project's de-identification policy (NULL: none). Applied here, on the parsing thread, before
	 * an item is queued: the original text of a de-identified item never reaches the writer. */
	const struct deid_import *deid;
};

static struct qbatch *batch_new(void)
{
	struct qbatch *b = ml_xcalloc(1, sizeof *b);
	ml_arena_init(&b->arena, 1 << 20);
	return b;
}

static void batch_free(struct qbatch *b)
{
	if (b) {
		ml_arena_release(&b->arena);
		ml_free(b);
	}
}

static void push(struct pipe *p, struct qbatch *b)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == Q_SLOTS)
		pthread_cond_wait(&p->not_full, &p->mu);
	p->slot[(p->head + p->count) % Q_SLOTS] = b;
	p->count++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
}

static struct qbatch *pop(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == 0)
		pthread_cond_wait(&p->not_empty, &p->mu);
	struct qbatch *b = p->slot[p->head];
	p->head = (p->head + 1) % Q_SLOTS;
	p->count--;
	pthread_cond_signal(&p->not_full);
	pthread_mutex_unlock(&p->mu);
	return b;
}

static bool cancelled(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	bool c = p->cancel;
	pthread_mutex_unlock(&p->mu);
	return c;
}

static char *dup_or_null(struct ml_arena *a, const char *s, size_t *bytes)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	*bytes += n + 1;
	return ml_arena_strndup(a, s, n);
}

static struct qent *next_entry(struct pipe *p)
{
	if (p->cur->n == QB_ENTRIES || p->cur->bytes >= QB_BYTES) {
		push(p, p->cur);
		p->cur = batch_new();
	}
	return &p->cur->e[p->cur->n++];
}

static int prod_emit(void *ctx, const struct store_item *item, struct ml_err *err)
{
	struct pipe *p = ctx;
	if ((p->cur->n & 63) == 0 && cancelled(p))
		return ml_err_set(err, ML_EBUSY, "import stopped");
	struct deid_import_out dout;
	deid_import_out_init(&dout);
	if (p->deid) {
		if (deid_import_apply(p->deid, item, &dout, err) != 0)
			return -1;
	}
	struct qent *e = next_entry(p);
	struct qbatch *b = p->cur;
	memset(e, 0, sizeof *e);
	e->kind = ENT_ITEM;
	e->it = *item;
	if (p->deid) {
		e->it.text = dout.text ? dout.text : item->text;
		e->it.meta_json = dout.meta_json;
		e->it.visible = dout.visible;
		if (dout.content_hash[0])
			memcpy(e->it.content_hash, dout.content_hash, sizeof e->it.content_hash);
		item = &e->it; /* copy the de-identified fields below */
	}
	e->it.patient_key = dup_or_null(&b->arena, item->patient_key, &b->bytes);
	e->it.meta_json = dup_or_null(&b->arena, item->meta_json, &b->bytes);
	e->it.text = dup_or_null(&b->arena, item->text, &b->bytes);
	e->it.media_hash = dup_or_null(&b->arena, item->media_hash, &b->bytes);
	e->it.media_type = dup_or_null(&b->arena, item->media_type, &b->bytes);
	e->it.external_ref = dup_or_null(&b->arena, item->external_ref, &b->bytes);
	/* hash here, on the parsing thread, so the writer does not */
	if (!e->it.content_hash[0] && e->it.text)
		store_hash_hex(e->it.text, strlen(e->it.text), e->it.content_hash);
	if (dout.prediction_json) {
		/* review mode: the engine's proposed spans, attached to the item's task by the writer */
		struct qent *pe = next_entry(p);
		memset(pe, 0, sizeof *pe);
		pe->kind = ENT_PRED;
		pe->pr.model = (char *)"medlabel-deid";
		pe->pr.model_version = (char *)ML_VERSION;
		pe->pr.body_json = dup_or_null(&p->cur->arena, dout.prediction_json, &p->cur->bytes);
		pe->pr.score = 1.0;
	}
	deid_import_out_release(&dout);
	return 0;
}

static int prod_emit_ann(void *ctx, const struct store_annotation *a, struct ml_err *err)
{
	struct pipe *p = ctx;
	struct qent *e = next_entry(p);
	struct qbatch *b = p->cur;
	memset(e, 0, sizeof *e);
	e->kind = ENT_ANN;
	e->an = *a;
	e->an.model = dup_or_null(&b->arena, a->model, &b->bytes);
	e->an.model_version = dup_or_null(&b->arena, a->model_version, &b->bytes);
	e->an.body_json = dup_or_null(&b->arena, a->body_json, &b->bytes);
	e->an.kind = dup_or_null(&b->arena, a->kind, &b->bytes);
	(void)err;
	return 0;
}

static void *producer(void *arg)
{
	struct pipe *p = arg;
	pthread_setname_np(pthread_self(), "ml-import");
	p->cur = batch_new();
	int rc = 0;
	struct ml_err err = {0};
	for (int k = 0; k < p->nfiles && rc == 0; k++) {
		const struct io_importer *imp = p->forced ? p->forced : io_importer_guess(p->files[k]);
		if (!imp)
			rc = ml_err_set(&err, ML_EINVAL, "'%s': unknown format (use --format)", p->files[k]);
		else
			rc = imp->import(p->files[k], &p->opts, prod_emit, p, &err);
	}
	struct qbatch *last = p->cur;
	p->cur = NULL;
	if (last->n) {
		push(p, last);
		last = batch_new();
	}
	last->end = true;
	last->rc = rc;
	last->err = err;
	push(p, last);
	return NULL;
}

int io_import_files(struct store *s, int64_t project_id, const char *const *files, int nfiles,
		    const struct io_importer *forced, const struct io_import_opts *opts, int overlap, long batch,
		    void (*progress)(void *ctx, uint64_t items), void *progress_ctx, struct io_import_stats *stats,
		    struct ml_err *err)
{
	memset(stats, 0, sizeof *stats);
	/* De-identification required by the project's settings ("deid"): one engine for the whole import. */
	struct deid_import *deid = NULL;
	struct store_project proj;
	if (store_project_get(s, project_id, &proj, err) != 0)
		return -1;
	int drc = deid_import_new(proj.settings_json, opts->data_dir, &deid, err);
	store_project_release(&proj);
	if (drc != 0)
		return -1;
	struct pipe *p = ml_xcalloc(1, sizeof *p);
	p->deid = deid;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	p->files = files;
	p->nfiles = nfiles;
	p->forced = forced;
	p->opts = *opts;
	p->opts.project_id = project_id;
	p->opts.emit_annotation = prod_emit_ann;
	pthread_t th;
	if (pthread_create(&th, NULL, producer, p) != 0) {
		deid_import_free(deid);
		ml_free(p);
		return ml_err_set(err, ML_ENOMEM, "cannot start the import thread");
	}
	int rc = 0;
	long in_batch = 0;
	int64_t last_task = 0;
	for (;;) {
		struct qbatch *b = pop(p);
		for (int i = 0; i < b->n && rc == 0; i++) {
			struct qent *e = &b->e[i];
			if (in_batch == 0 && (rc = store_begin(s, err)))
				break;
			if (e->kind == ENT_ITEM) {
				e->it.project_id = project_id; /* never trust an importer with where things go */
				if ((rc = store_item_add(s, &e->it, overlap, NULL, &last_task, err)))
					break;
				stats->items++;
				if (progress && (stats->items & 1023) == 0)
					progress(progress_ctx, stats->items);
			} else if (e->kind == ENT_PRED) {
				e->pr.task_id = last_task;
				if ((rc = store_prediction_add(s, &e->pr, NULL, err)))
					break;
			} else {
				if (!last_task) {
					rc = ml_err_set(err, ML_EINVAL, "labels before any item");
					break;
				}
				e->an.task_id = last_task;
				e->an.user_id = 0;
				if (!e->an.model)
					e->an.model = (char *)"import";
				if (!e->an.kind)
					e->an.kind = (char *)"gold";
				if ((rc = store_annotation_create(s, &e->an, NULL, err)))
					break;
				stats->annotations++;
			}
			if (++in_batch >= batch) {
				if ((rc = store_commit(s, err)))
					break;
				in_batch = 0;
				stats->committed = stats->items;
			}
		}
		bool end = b->end;
		if (end && rc == 0 && b->rc) {
			rc = -1;
			if (err)
				*err = b->err;
		}
		batch_free(b);
		if (rc && !end) {
			/* stop the producer and drain what it still sends */
			pthread_mutex_lock(&p->mu);
			p->cancel = true;
			pthread_mutex_unlock(&p->mu);
			for (;;) {
				struct qbatch *d = pop(p);
				bool e2 = d->end;
				batch_free(d);
				if (e2)
					break;
			}
			break;
		}
		if (end)
			break;
	}
	pthread_join(th, NULL);
	if (in_batch) {
		if (rc == 0 && store_commit(s, err) == 0)
			stats->committed = stats->items;
		else {
			store_rollback(s);
			rc = -1;
		}
	}
	if (progress)
		progress(progress_ctx, stats->items);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	ml_free(p);
	deid_import_free(deid);
	return rc;
}
