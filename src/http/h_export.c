/* h_export.c: GET /projects/{id}/export streams JSONL from a content-reader callback, a page at a time. */
#include "http/http_int.h"

#include <inttypes.h>
#include <string.h>

#define EXPORT_PAGE 64

/* The stream's state lives until MHD calls export_free; it owns nothing of the request. */
struct export_stream {
	struct store *store; /* the worker thread's store: MHD calls the reader on the connection's thread */
	int64_t project_id;
	int64_t after_task;
	bool done;
	struct ml_buf out;
	size_t sent;
	struct ml_err err;
};

struct page_ctx {
	struct export_stream *x;
	int64_t ids[EXPORT_PAGE][2]; /* task id, item id */
	int n;
};

static int page_cb(void *ctx, const struct store_task *t)
{
	struct page_ctx *p = ctx;
	p->ids[p->n][0] = t->id;
	p->ids[p->n][1] = t->item_id;
	return ++p->n >= EXPORT_PAGE ? 1 : 0;
}

struct ann_ctx {
	struct ml_buf *out;
	int n;
	int rc;
};

static int ann_cb(void *ctx, const struct store_annotation *a)
{
	struct ann_ctx *c = ctx;
	if (ml_buf_printf(c->out, "%s{\"id\":%" PRId64 ",\"version\":%d,\"user_id\":%" PRId64 ",\"schema_version\":%d,"
				  "\"kind\":\"%s\",\"validated\":%s,\"body\":%s}",
			  c->n++ ? "," : "", a->id, a->version, a->user_id, a->schema_version, a->kind ? a->kind : "human",
			  a->validated ? "true" : "false", a->body_json ? a->body_json : "null")) {
		c->rc = -1;
		return 1;
	}
	return 0;
}

/* Formats the next page of tasks into x->out; sets done at the end. */
static int fill(struct export_stream *x)
{
	struct page_ctx p = {.x = x};
	struct store_task_filter f = {.project_id = x->project_id, .state = -1, .after_id = x->after_task,
				      .limit = EXPORT_PAGE};
	if (store_task_list(x->store, &f, page_cb, &p, &x->err) < 0)
		return -1;
	if (p.n == 0) {
		x->done = true;
		return 0;
	}
	for (int i = 0; i < p.n; i++) {
		struct store_item it;
		x->after_task = p.ids[i][0];
		if (store_item_get(x->store, p.ids[i][1], &it, &x->err) != 0)
			return -1;
		if (!it.visible) {
			store_item_release(&it);
			continue;
		}
		int rc = ml_buf_printf(&x->out, "{\"item_id\":%" PRId64 ",\"task_id\":%" PRId64 ",\"modality\":\"%s\",\"meta\":%s",
				       it.id, p.ids[i][0], store_modality_name(it.modality), it.meta_json ? it.meta_json : "{}");
		if (!rc && it.text)
			rc = ml_buf_puts(&x->out, ",\"text\":") || ml_buf_json_str(&x->out, it.text, strlen(it.text));
		if (!rc && it.media_hash)
			rc = ml_buf_printf(&x->out, ",\"media_hash\":\"%s\"", it.media_hash);
		if (!rc)
			rc = ml_buf_printf(&x->out, ",\"content_hash\":\"%s\",\"annotations\":[", it.content_hash);
		store_item_release(&it);
		if (rc)
			return ml_err_set(&x->err, ML_ENOMEM, "out of memory");
		struct ann_ctx ac = {&x->out, 0, 0};
		if (store_annotation_list(x->store, p.ids[i][0], 0, ann_cb, &ac, &x->err) < 0 || ac.rc)
			return -1;
		if (ml_buf_puts(&x->out, "]}\n"))
			return ml_err_set(&x->err, ML_ENOMEM, "out of memory");
	}
	return 0;
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct export_stream *x = cls;
	while (x->sent == x->out.len) {
		ml_buf_reset(&x->out);
		x->sent = 0;
		if (x->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (fill(x) != 0) {
			/* Headers are gone already: cut the stream so the client sees a truncated download. */
			ml_log(ML_LOG_ERROR, "export of project %" PRId64 " failed: %s", x->project_id, x->err.msg);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	size_t n = x->out.len - x->sent;
	if (n > max)
		n = max;
	memcpy(buf, x->out.data + x->sent, n);
	x->sent += n;
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	struct export_stream *x = cls;
	ml_buf_release(&x->out);
	ml_free(x);
}

int h_export(struct http_req *r)
{
	const char *fmt = http_query(r, "format");
	if (fmt && strcmp(fmt, "jsonl") != 0)
		return HTTP_FAIL_FIELD(r, ML_EUNSUPPORTED, "format", "only format=jsonl is served over HTTP");
	struct export_stream *x = ml_calloc(1, sizeof *x);
	if (!x)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	x->store = r->store;
	x->project_id = r->project_id;
	ml_buf_init(&x->out, 0);
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, export_read, x, export_free);
	if (!resp) {
		export_free(x);
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	}
	MHD_add_response_header(resp, "Content-Type", "application/x-ndjson; charset=utf-8");
	char cd[96];
	snprintf(cd, sizeof cd, "attachment; filename=\"project-%" PRId64 ".jsonl\"", r->project_id);
	MHD_add_response_header(resp, "Content-Disposition", cd);
	return http_queue(r, 200, resp);
}
