/* h_export.c: GET /projects/{id}/export streams any registered io exporter through a pipe, never in memory.
 *
 * A producer thread with its own store runs store_export_scan (one consistent read transaction) and hands
 * each row to the exporter, which writes into the pipe; MHD sends what comes out of the other end. The pipe
 * is the backpressure: a slow client blocks the producer, a client that goes away makes its writes fail
 * (EPIPE) and the scan stop. Memory stays at one row plus the pipe buffer, whatever the project's size. */
#include "http/http_int.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"

#define MAX_EXPORTS 4 /* running at once; more get 429 rather than a thread each */
static atomic_int running_exports;

struct export_job {
	char db_path[4096];
	char data_dir[4096];
	int64_t project_id;
	const struct io_exporter *exp;
	int fd; /* write end of the pipe */
};

struct scan_ctx {
	struct io_export *ex;
	const struct io_exporter *exp;
	struct ml_err *err;
};

static int scan_row(void *arg, const struct store_export_row *row)
{
	struct scan_ctx *c = arg;
	struct io_export_row r = {.item = row->item, .task = row->task, .anns = row->anns, .nanns = row->nanns};
	if (c->exp->row(c->ex, &r, c->err) != 0)
		return 1;
	if (ferror(c->ex->out)) {
		ml_err_set(c->err, ML_EIO, "the client stopped reading");
		return 1;
	}
	return 0;
}

static void *export_thread(void *arg)
{
	struct export_job *job = arg;
	struct ml_err err = {0};
	struct store *s = NULL;
	struct store_project p = {0};
	char *schema = NULL;
	int schema_version = 0;
	bool have_project = false, ok = false;
	FILE *out = fdopen(job->fd, "w");
	if (!out) {
		close(job->fd);
		goto done;
	}
	if (store_open_in(job->db_path, job->data_dir, &s, &err) != 0 || store_project_get(s, job->project_id, &p, &err) != 0)
		goto finish;
	have_project = true;
	if (store_schema_get(s, job->project_id, 0, &schema, &schema_version, &err) != 0) {
		if (err.code != ML_ENOTFOUND)
			goto finish;
		schema = NULL;
		schema_version = 0;
	}
	struct io_export ex = {.out = out, .data_dir = job->data_dir, .store = s, .project = &p,
			       .schema_json = schema, .schema_version = schema_version};
	if (job->exp->begin && job->exp->begin(&ex, &err) != 0)
		goto finish;
	struct scan_ctx c = {&ex, job->exp, &err};
	int rc = store_export_scan(s, job->project_id, 0, -1, scan_row, &c, &err);
	ok = rc == 0;
	struct ml_err end_err;
	if (job->exp->end && job->exp->end(&ex, ok, &end_err) != 0 && ok) {
		err = end_err;
		ok = false;
	}
finish:
	if (!ok && out && !ferror(out)) {
		/* The status line is long gone: a last record tells a reader the stream is incomplete. */
		fprintf(out, "{\"error\":{\"code\":\"%s\",\"message\":\"export failed; the output is incomplete\"}}\n",
			ml_code_name(err.code));
	}
	if (!ok)
		ml_log(ML_LOG_ERROR, "export of project %" PRId64 " failed: %s", job->project_id, err.msg);
	if (out)
		fclose(out); /* the reader sees the end of the stream */
	ml_free(schema);
	if (have_project)
		store_project_release(&p);
	if (s)
		store_close(s);
done:
	ml_free(job);
	atomic_fetch_sub(&running_exports, 1);
	return NULL;
}

int h_export(struct http_req *r)
{
	const char *fmt = http_query(r, "format");
	if (!fmt || !*fmt)
		fmt = "jsonl";
	const struct io_exporter *exp = io_exporter_find(fmt);
	if (!exp)
		return HTTP_FAIL_FIELD(r, ML_EUNSUPPORTED, "format", "unknown export format");
	if (exp->writes_folder)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "format",
				       "format '%s' writes a folder of files: use 'medlabel export --format %s --out DIR/index.jsonl'",
				       exp->name, exp->name);
	if (atomic_fetch_add(&running_exports, 1) >= MAX_EXPORTS) {
		atomic_fetch_sub(&running_exports, 1);
		return HTTP_FAIL(r, ML_EBUSY, "too many exports running: try again shortly");
	}
	struct export_job *job = ml_calloc(1, sizeof *job);
	int fds[2] = {-1, -1};
	if (!job || pipe2(fds, O_CLOEXEC) != 0) {
		ml_free(job);
		atomic_fetch_sub(&running_exports, 1);
		return HTTP_FAIL(r, ML_EIO, "cannot start the export");
	}
	snprintf(job->db_path, sizeof job->db_path, "%s", r->srv->db_path);
	snprintf(job->data_dir, sizeof job->data_dir, "%s", r->srv->cfg.data_dir);
	job->project_id = r->project_id;
	job->exp = exp;
	job->fd = fds[1];
	struct MHD_Response *resp = MHD_create_response_from_pipe(fds[0]);
	if (!resp) {
		close(fds[0]);
		close(fds[1]);
		ml_free(job);
		atomic_fetch_sub(&running_exports, 1);
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	}
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &attr, export_thread, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		MHD_destroy_response(resp); /* closes fds[0] */
		close(fds[1]);
		ml_free(job);
		atomic_fetch_sub(&running_exports, 1);
		return HTTP_FAIL(r, ML_EIO, "cannot start the export thread");
	}
	MHD_add_response_header(resp, "Content-Type",
				!strcmp(exp->name, "jsonl") ? "application/x-ndjson; charset=utf-8" : "application/octet-stream");
	char cd[160];
	snprintf(cd, sizeof cd, "attachment; filename=\"project-%" PRId64 "%s\"", r->project_id,
		 exp->extension ? exp->extension : "");
	MHD_add_response_header(resp, "Content-Disposition", cd);
	return http_queue(r, 200, resp);
}
