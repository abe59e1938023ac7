/* cmd_deid.c: `medlabel deid text` (de-identify files, folders, JSONL, stdin) and `medlabel deid eval`. */
#include "cli/cli.h"
#include "deid/deid_int.h"
#include "auth/auth.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAMES 64

struct text_job {
	const struct deid_engine *e;
	struct deid_opts opts;
	struct deid_known known;
	bool spans;
	bool jsonl; /* forced by --jsonl (stdin) */
	int jobs;   /* threads for JSONL records (the engine is shared; each call has its own match data) */
	long notes, phi; /* updated atomically: JSONL records run on several threads */
};

static int put_spans(struct ml_buf *b, const struct deid_result *r)
{
	if (ml_buf_putc(b, '['))
		return -1;
	for (size_t i = 0; i < r->nspans; i++) {
		const struct deid_span *s = &r->spans[i];
		if (ml_buf_printf(b, "%s{\"start\":%zu,\"end\":%zu,\"type\":\"%s\",\"source\":\"%s\",\"confidence\":%.2f}",
				  i ? "," : "", s->start, s->end, deid_type_name(s->type), deid_source_name(s->source),
				  (double)s->confidence))
			return -1;
	}
	return ml_buf_putc(b, ']');
}

/* De-identifies one plain-text note into out (replaced text, or JSON with --spans). */
static int do_text(struct text_job *j, const char *src, const char *data, size_t len, struct ml_buf *out,
		   struct ml_err *err)
{
	struct deid_result r;
	deid_result_init(&r);
	if (deid_text(j->e, data, len, &j->known, &j->opts, &r, err) != 0) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		return ml_err_set(err, err->code, "'%s': %s", src, msg);
	}
	__atomic_add_fetch(&j->notes, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&j->phi, (long)r.nspans, __ATOMIC_RELAXED);
	int rc = 0;
	if (j->spans) {
		rc |= ml_buf_puts(out, "{");
		if (r.text) {
			rc |= ml_buf_puts(out, "\"text\":");
			rc |= ml_buf_json_str(out, r.text, r.text_len);
			rc |= ml_buf_putc(out, ',');
		}
		rc |= ml_buf_puts(out, "\"spans\":");
		rc |= put_spans(out, &r);
		rc |= ml_buf_puts(out, "}\n");
	} else if (r.text) {
		rc |= ml_buf_append(out, r.text, r.text_len);
	}
	deid_result_release(&r);
	if (rc)
		return ml_err_set(err, ML_ENOMEM, "out of memory writing '%s'", src);
	return 0;
}

/* The fast path for one record: 1 done, 0 not taken (use jansson), -1 error (err set). */
static int jsonl_fast(struct text_job *j, const char *src, size_t lineno, const char *line, size_t len,
		      struct ml_buf *out, struct ml_err *err)
{
	struct deid_jsonl_text t;
	if (j->spans || !deid_jsonl_text_find(line, len, &t))
		return 0;
	struct deid_result r;
	deid_result_init(&r);
	int rc = deid_text(j->e, t.text.data ? t.text.data : "", t.text.len, &j->known, &j->opts, &r, err);
	if (rc != 0) {
		deid_jsonl_text_release(&t);
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		ml_err_set(err, err->code, "'%s' line %zu: %s", src, lineno, msg);
		return -1;
	}
	__atomic_add_fetch(&j->notes, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&j->phi, (long)r.nspans, __ATOMIC_RELAXED);
	int w = ml_buf_append(out, t.obj_start, (size_t)(t.vs - t.obj_start));
	if (r.text)
		w |= deid_json_put_string(out, r.text, r.text_len);
	else
		w |= ml_buf_append(out, t.vs, (size_t)(t.ve - t.vs));
	w |= ml_buf_append(out, t.ve, (size_t)(t.obj_end - t.ve));
	w |= ml_buf_putc(out, '\n');
	deid_result_release(&r);
	deid_jsonl_text_release(&t);
	if (w) {
		ml_err_set(err, ML_ENOMEM, "out of memory writing '%s'", src);
		return -1;
	}
	return 1;
}

/* One JSONL record: "text" is replaced (other fields kept); with --spans a "deid_spans" field is added. */
static int do_jsonl_line(struct text_job *j, const char *src, size_t lineno, const char *line, size_t len,
			 struct ml_buf *out, struct ml_err *err)
{
	int fr = jsonl_fast(j, src, lineno, line, len, out, err);
	if (fr != 0)
		return fr > 0 ? 0 : -1;
	json_error_t je;
	json_t *obj = json_loadb(line, len, 0, &je);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return ml_err_set(err, ML_EINVAL, "'%s' line %zu: not a JSON object (column %d)", src, lineno, obj ? 1 : je.column);
	}
	json_t *t = json_object_get(obj, "text");
	if (!json_is_string(t)) {
		json_decref(obj);
		return ml_err_set(err, ML_EINVAL, "'%s' line %zu: no string field \"text\"", src, lineno);
	}
	struct deid_result r;
	deid_result_init(&r);
	if (deid_text(j->e, json_string_value(t), json_string_length(t), &j->known, &j->opts, &r, err) != 0) {
		json_decref(obj);
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		return ml_err_set(err, err->code, "'%s' line %zu: %s", src, lineno, msg);
	}
	__atomic_add_fetch(&j->notes, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&j->phi, (long)r.nspans, __ATOMIC_RELAXED);
	if (r.text)
		json_object_set_new(obj, "text", json_stringn(r.text, r.text_len));
	if (j->spans) {
		json_t *arr = json_array();
		for (size_t i = 0; i < r.nspans; i++)
			json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:s,s:f}", "start", (json_int_t)r.spans[i].start,
							     "end", (json_int_t)r.spans[i].end, "type",
							     deid_type_name(r.spans[i].type), "source",
							     deid_source_name(r.spans[i].source), "confidence",
							     (double)r.spans[i].confidence));
		json_object_set_new(obj, "deid_spans", arr);
	}
	deid_result_release(&r);
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!s)
		return ml_err_set(err, ML_ENOMEM, "out of memory writing '%s'", src);
	int rc = ml_buf_puts(out, s) || ml_buf_putc(out, '\n');
	free(s);
	return rc ? ml_err_set(err, ML_ENOMEM, "out of memory writing '%s'", src) : 0;
}

static bool is_jsonl(const char *path)
{
	size_t l = strlen(path);
	return (l > 6 && !strcmp(path + l - 6, ".jsonl")) || (l > 7 && !strcmp(path + l - 7, ".ndjson"));
}

static int write_out(const char *path, const struct ml_buf *b, struct ml_err *err)
{
	if (!strcmp(path, "-")) {
		if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
			return ml_err_set(err, ML_EIO, "cannot write to standard output");
		return fflush(stdout) == 0 ? 0 : ml_err_set(err, ML_EIO, "cannot write to standard output");
	}
	return ml_file_write_atomic(path, b->data ? b->data : "", b->len, err);
}

/* A batch of JSONL records, de-identified by several threads and written back in input order. */
struct rec {
	char *line;
	size_t len, lineno;
	struct ml_buf out;
	struct ml_err err;
	int rc;
};
struct batch {
	struct text_job *j;
	const char *src;
	struct rec *r;
	size_t n;
	int stride, first;
};

static void *batch_worker(void *p)
{
	struct batch *b = p;
	for (size_t k = (size_t)b->first; k < b->n; k += (size_t)b->stride) {
		struct rec *r = &b->r[k];
		r->rc = do_jsonl_line(b->j, b->src, r->lineno, r->line, r->len, &r->out, &r->err);
	}
	return NULL;
}

static void run_batch(struct text_job *j, const char *src, struct rec *r, size_t n)
{
	int jobs = j->jobs > 1 && n > 1 ? j->jobs : 1;
	struct batch b[64];
	pthread_t th[64];
	if (jobs > 64)
		jobs = 64;
	int started = 0;
	for (int t = 0; t < jobs; t++) {
		b[t] = (struct batch){j, src, r, n, jobs, t};
		if (t == 0)
			continue; /* the calling thread takes stripe 0 */
		if (pthread_create(&th[t], NULL, batch_worker, &b[t]) != 0)
			break;
		started = t;
	}
	if (started + 1 < jobs) {
		/* could not start every thread: the calling thread does the missing stripes */
		for (int t = started + 1; t < jobs; t++)
			batch_worker(&b[t]);
	}
	batch_worker(&b[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
}

/* JSONL is streamed record by record (a bulk export may be larger than memory): read with getline, write
 * to a temporary file beside OUT that replaces it only when every record succeeded. */
static int do_jsonl_stream(struct text_job *j, const char *in, const char *out, struct ml_err *err)
{
	bool from_stdin = !strcmp(in, "-"), to_stdout = !strcmp(out, "-");
	const char *src = from_stdin ? "<stdin>" : in;
	FILE *fi = from_stdin ? stdin : fopen(in, "rb");
	if (!fi)
		return ml_err_set(err, ML_EIO, "cannot read '%s': %s", in, strerror(errno));
	char *tmp = to_stdout ? NULL : ml_xasprintf("%s.tmp.%ld", out, (long)getpid());
	FILE *fo = to_stdout ? stdout : fopen(tmp, "wb");
	int rc = 0;
	if (!fo) {
		rc = ml_err_set(err, ML_EIO, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	/* records are read in batches so several threads can work while the output keeps the input order */
	enum { BATCH = 256 };
	struct rec *recs = ml_xcalloc(BATCH, sizeof *recs);
	size_t lineno = 0;
	bool eof = false;
	while (rc == 0 && !eof) {
		size_t nr = 0;
		while (nr < BATCH) {
			char *line = NULL;
			size_t cap = 0;
			ssize_t n = getline(&line, &cap, fi);
			if (n < 0) {
				free(line);
				eof = true;
				break;
			}
			lineno++;
			if ((size_t)n > DEID_MAX_TEXT * 2) {
				free(line);
				rc = ml_err_set(err, ML_ELIMIT, "'%s' line %zu: record larger than %zu bytes", src, lineno,
						(size_t)DEID_MAX_TEXT * 2);
				break;
			}
			size_t q = 0;
			while (q < (size_t)n && (line[q] == ' ' || line[q] == '\t' || line[q] == '\r' || line[q] == '\n'))
				q++;
			if (q == (size_t)n) {
				free(line);
				continue;
			}
			recs[nr] = (struct rec){.line = line, .len = (size_t)n, .lineno = lineno};
			ml_buf_init(&recs[nr].out, 0);
			/* room for the record as it was (a replaced one is about as long): no regrowth per record */
			if (ml_buf_grow(&recs[nr].out, (size_t)n + (size_t)n / 8 + 64) != 0) {
				free(line);
				rc = ml_err_set(err, ML_ENOMEM, "out of memory reading '%s'", src);
				break;
			}
			nr++;
		}
		if (rc == 0)
			run_batch(j, src, recs, nr);
		for (size_t k = 0; k < nr; k++) {
			if (rc == 0 && recs[k].rc != 0) {
				*err = recs[k].err;
				rc = -1;
			}
			if (rc == 0 && recs[k].out.len && fwrite(recs[k].out.data, 1, recs[k].out.len, fo) != recs[k].out.len)
				rc = ml_err_set(err, ML_EIO, "cannot write '%s'", to_stdout ? "<stdout>" : out);
			ml_buf_release(&recs[k].out);
			free(recs[k].line);
		}
	}
	ml_free(recs);
	if (rc == 0 && ferror(fi))
		rc = ml_err_set(err, ML_EIO, "cannot read '%s'", src);
	if (to_stdout) {
		if (fflush(fo) != 0 && rc == 0)
			rc = ml_err_set(err, ML_EIO, "cannot write to standard output");
	} else {
		if ((fflush(fo) != 0 || fsync(fileno(fo)) != 0) && rc == 0)
			rc = ml_err_set(err, ML_EIO, "cannot write '%s': %s", out, strerror(errno));
		if (fclose(fo) != 0 && rc == 0)
			rc = ml_err_set(err, ML_EIO, "cannot write '%s': %s", out, strerror(errno));
		if (rc == 0 && rename(tmp, out) != 0)
			rc = ml_err_set(err, ML_EIO, "cannot rename to '%s': %s", out, strerror(errno));
		if (rc != 0)
			unlink(tmp);
	}
out:
	if (!from_stdin)
		fclose(fi);
	ml_free(tmp);
	return rc;
}

static int do_file(struct text_job *j, const char *in, const char *out, struct ml_err *err)
{
	if (j->jsonl || is_jsonl(in))
		return do_jsonl_stream(j, in, out, err);
	char *data = NULL;
	size_t len = 0;
	if (!strcmp(in, "-")) {
		struct ml_buf b;
		ml_buf_init(&b, DEID_MAX_TEXT);
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
			if (ml_buf_append(&b, chunk, n) != 0) {
				ml_buf_release(&b);
				return ml_err_set(err, ML_ELIMIT, "standard input is larger than %zu bytes", (size_t)DEID_MAX_TEXT);
			}
		data = ml_buf_detach(&b, &len);
		if (!data)
			data = ml_xstrdup(""), len = 0;
	} else if (ml_file_read(in, DEID_MAX_TEXT, &data, &len, err) != 0) {
		return -1;
	}
	struct ml_buf o;
	ml_buf_init(&o, 0);
	const char *src = strcmp(in, "-") ? in : "<stdin>";
	int rc = do_text(j, src, data, len, &o, err);
	ml_free(data);
	if (rc == 0)
		rc = write_out(out, &o, err);
	ml_buf_release(&o);
	return rc;
}

static int do_dir(struct text_job *j, const char *in, const char *out, int depth, struct ml_err *err)
{
	if (depth > 32)
		return ml_err_set(err, ML_ELIMIT, "'%s': folders nested too deeply", in);
	if (ml_mkdirs(out, 0755, err) != 0)
		return -1;
	DIR *d = opendir(in);
	if (!d)
		return ml_err_set(err, ML_EIO, "cannot open folder '%s': %s", in, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *ip = ml_xasprintf("%s/%s", in, de->d_name), *op = ml_xasprintf("%s/%s", out, de->d_name);
		struct stat st;
		if (stat(ip, &st) != 0)
			rc = ml_err_set(err, ML_EIO, "cannot read '%s': %s", ip, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = do_dir(j, ip, op, depth + 1, err);
		else if (S_ISREG(st.st_mode))
			rc = do_file(j, ip, op, err);
		ml_free(ip);
		ml_free(op);
	}
	closedir(d);
	return rc;
}

/* The surrogate key: --secret-file, else the deployment's own secret when the --data folder has one, so that
 * `deid text` gives the same surrogates and date shifts as import into that deployment. One reader for both
 * (auth_secret_file_read): one file always gives one key. Returns 1 when there is neither. */
static int read_secret(struct cli_ctx *ctx, const char *path, struct text_job *j, uint8_t **secret, struct ml_err *err)
{
	uint8_t *buf = ml_xmalloc(AUTH_SECRET_MAX);
	size_t len = 0;
	int rc = path ? auth_secret_file_read(path, buf, &len, err) : auth_deployment_secret(ctx->data_dir, false, buf, &len, err);
	if (rc != 0) {
		ml_free(buf);
		return !path && err->code == ML_ENOTFOUND ? 1 : -1;
	}
	*secret = buf;
	j->opts.secret = buf;
	j->opts.secret_len = len;
	return 0;
}

static int run_text(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2] = {NULL, NULL}, *v;
	int npos = 0;
	const char *names[MAX_NAMES], *mrns[MAX_NAMES];
	size_t nnames = 0, nmrns = 0;
	struct text_job j;
	memset(&j, 0, sizeof j);
	deid_opts_init(&j.opts);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	j.jobs = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int)ncpu;
	const char *secret_file = NULL;
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--mode", &v)) {
			int m = deid_mode_parse(v);
			if (m < 0)
				return cli_usage_error(ctx, "unknown --mode (use tag, mask, surrogate or none)");
			j.opts.mode = (enum deid_mode)m;
		} else if (cli_opt(argc, argv, &i, "--secret-file", &v)) {
			secret_file = v;
		} else if (cli_opt(argc, argv, &i, "--patient-key", &v)) {
			j.opts.patient_key = v;
		} else if (cli_opt(argc, argv, &i, "--known-name", &v)) {
			if (nnames == MAX_NAMES)
				return cli_usage_error(ctx, "at most %d --known-name options", MAX_NAMES);
			names[nnames++] = v;
		} else if (cli_opt(argc, argv, &i, "--known-mrn", &v)) {
			if (nmrns == MAX_NAMES)
				return cli_usage_error(ctx, "at most %d --known-mrn options", MAX_NAMES);
			mrns[nmrns++] = v;
		} else if (!strcmp(argv[i], "--spans")) {
			j.spans = true;
		} else if (!strcmp(argv[i], "--jsonl")) {
			j.jsonl = true;
		} else if (cli_opt(argc, argv, &i, "--jobs", &v)) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || n < 1 || n > 64)
				return cli_usage_error(ctx, "--jobs takes a number from 1 to 64");
			j.jobs = (int)n;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage_error(ctx, "unknown option (see --help)");
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			return cli_usage_error(ctx, "expected IN and OUT");
		}
	}
	if (npos != 2)
		return cli_usage_error(ctx, "expected IN and OUT (use - for standard input or output)");
	j.known = (struct deid_known){names, nnames, mrns, nmrns};
	struct ml_err err = {0};
	uint8_t *secret = NULL;
	int src = read_secret(ctx, secret_file, &j, &secret, &err);
	if (src < 0)
		return cli_fail_err(ctx, &err);
	if (j.opts.mode == DEID_MODE_SURROGATE && !secret)
		ml_log(ML_LOG_WARN, "deid text: surrogate mode without --secret-file or a deployment secret in --data "
				    "uses a fixed key; surrogates are "
				    "predictable");
	j.e = deid_engine_new(&err);
	if (!j.e) {
		ml_free(secret);
		return cli_fail_err(ctx, &err);
	}
	struct stat st;
	int rc;
	if (strcmp(pos[0], "-") && stat(pos[0], &st) != 0)
		rc = ml_err_set(&err, ML_ENOTFOUND, "cannot read '%s': %s", pos[0], strerror(errno));
	else if (strcmp(pos[0], "-") && S_ISDIR(st.st_mode)) {
		if (!strcmp(pos[1], "-"))
			rc = ml_err_set(&err, ML_EINVAL, "a folder IN needs a folder OUT, not standard output");
		else
			rc = do_dir(&j, pos[0], pos[1], 0, &err);
	} else
		rc = do_file(&j, pos[0], pos[1], &err);
	deid_engine_free((struct deid_engine *)j.e);
	if (secret) {
		memset(secret, 0, j.opts.secret_len);
		ml_free(secret);
	}
	if (rc != 0)
		return cli_fail_err(ctx, &err);
	if (strcmp(pos[1], "-"))
		fprintf(stderr, "de-identified %ld note%s, %ld PHI span%s\n", j.notes, j.notes == 1 ? "" : "s", j.phi,
			j.phi == 1 ? "" : "s");
	return CLI_OK;
}

CLI_COMMAND(deid_text, "deid text",
	    "IN OUT [--mode tag|mask|surrogate|none] [--secret-file F] [--patient-key K] [--known-name N]... "
	    "[--known-mrn M]... [--spans] [--jsonl] [--jobs N]",
	    "de-identify clinical text: a file, a folder (recursive), JSONL records ({\"text\":...}) or - for stdin/stdout",
	    run_text)

static void print_counts(const char *name, const struct deid_counts *c)
{
	double p = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 1.0;
	double r = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 1.0;
	double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
	printf("  %-18s %6ld %6ld %6ld   %.3f  %.3f  %.3f\n", name, c->tp, c->fp, c->fn, p, r, f);
}

static void print_level(const char *title, const struct deid_scores *s, const struct deid_counts *overall,
			const struct deid_counts *by)
{
	printf("%s\n  %-18s %6s %6s %6s   %-5s  %-5s  %-5s\n", title, "type", "tp", "fp", "fn", "prec", "rec", "f1");
	print_counts("OVERALL", overall);
	for (size_t i = 0; i < s->ntypes; i++)
		if (by[i].tp || by[i].fp || by[i].fn)
			print_counts(s->type_names[i], &by[i]);
	printf("\n");
}

static int run_eval(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *gold = NULL, *v, *notes = NULL, *half = NULL;
	bool json = false, misses = false;
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--gold", &v))
			gold = v;
		else if (cli_opt(argc, argv, &i, "--notes", &v))
			notes = v;
		else if (cli_opt(argc, argv, &i, "--half", &v))
			half = v;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--misses"))
			misses = true;
		else
			return cli_usage_error(ctx, "unknown argument (see --help)");
	}
	if (!gold)
		return cli_usage_error(ctx, "--gold DIR_OR_JSON is required");
	struct deid_eval_sel sel = {0, LONG_MAX, DEID_EVAL_ALL};
	if (notes) {
		char *end;
		sel.first = strtol(notes, &end, 10);
		if (*end != '-')
			return cli_usage_error(ctx, "--notes takes a range such as 1-40");
		sel.last = strtol(end + 1, &end, 10);
		if (*end || sel.last < sel.first)
			return cli_usage_error(ctx, "--notes takes a range such as 1-40");
	}
	if (half) {
		if (!strcmp(half, "even"))
			sel.half = DEID_EVAL_EVEN;
		else if (!strcmp(half, "odd"))
			sel.half = DEID_EVAL_ODD;
		else
			return cli_usage_error(ctx, "--half takes even or odd");
	}
	struct ml_err err = {0};
	struct deid_engine *e = deid_engine_new(&err);
	if (!e)
		return cli_fail_err(ctx, &err);
	struct deid_eval ev;
	deid_eval_init(&ev);
	int64_t t0 = ml_monotonic_ns();
	int rc = deid_eval_run(e, gold, notes || half ? &sel : NULL, &ev, &err);
	double secs = (double)(ml_monotonic_ns() - t0) / 1e9;
	deid_engine_free(e);
	if (rc != 0) {
		deid_eval_release(&ev);
		return cli_fail_err(ctx, &err);
	}
	if (json) {
		struct ml_buf b;
		ml_buf_init(&b, 0);
		if (deid_eval_json(&ev, &b) == 0)
			printf("%s\n", b.data);
		ml_buf_release(&b);
	} else {
		printf("%ld notes scored in %.2f s\n\n", ev.scores.notes, secs);
		print_level("token level (binary overall; by gold type, fp by predicted type)", &ev.scores,
			    &ev.scores.token, ev.scores.tok_by);
		print_level("entity level, exact span and category", &ev.scores, &ev.scores.exact, ev.scores.exact_by);
		print_level("entity level, overlapping span, same category", &ev.scores, &ev.scores.overlap,
			    ev.scores.overlap_by);
	}
	if (misses) {
		/* the gold set is the user's own file, shown on their own terminal (stdout, never a log) */
		FILE *o = json ? stderr : stdout;
		fprintf(o, "missed gold spans (%zu):\n", ev.nmisses);
		for (size_t i = 0; i < ev.nmisses; i++)
			fprintf(o, "  %s %-14s %zu-%zu  [%s]  ...%s...\n", ev.misses[i].note, ev.misses[i].type,
				ev.misses[i].start, ev.misses[i].end, ev.misses[i].text, ev.misses[i].context);
		fprintf(o, "false positives (%zu):\n", ev.nfalse_pos);
		for (size_t i = 0; i < ev.nfalse_pos; i++)
			fprintf(o, "  %s %-14s %zu-%zu  [%s]  ...%s...\n", ev.false_pos[i].note, ev.false_pos[i].type,
				ev.false_pos[i].start, ev.false_pos[i].end, ev.false_pos[i].text, ev.false_pos[i].context);
	}
	deid_eval_release(&ev);
	return CLI_OK;
}

CLI_COMMAND(deid_eval, "deid eval", "--gold DIR|FILE.json [--json] [--misses] [--notes A-B] [--half even|odd]",
	    "score text de-identification against BRAT (NNN.txt + NNN.ann) or Presidio JSON gold", run_eval)

/* ---- deid apply: finish review-mode de-identification -------------------------------------------- */

struct apply_ctx {
	struct store_task *tasks;
	size_t n, cap;
};

static int collect_task(void *ctx, const struct store_task *t)
{
	struct apply_ctx *a = ctx;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->tasks = ml_xrealloc(a->tasks, a->cap * sizeof *a->tasks);
	}
	a->tasks[a->n++] = *t;
	return 0;
}

static int run_apply(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL;
	bool accept = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--accept-proposals"))
			accept = true;
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!project)
			project = argv[i];
		else
			return cli_usage_error(ctx, "unexpected argument '%s'", argv[i]);
	}
	if (!project)
		return cli_usage_error(ctx, "expected PROJECT");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	struct deid_import *di = NULL;
	int rc = CLI_OK;
	struct apply_ctx a = {0};
	if (deid_import_new(p.settings_json, ctx->data_dir, &di, &err) != 0) {
		rc = cli_fail_err(ctx, &err);
	} else if (!di || !deid_import_config(di)->review) {
		rc = cli_usage_error(ctx, "project %lld does not use review-mode de-identification", (long long)p.id);
	} else {
		struct store_task_filter f = {.project_id = p.id, .state = -1};
		if (store_task_list(s, &f, collect_task, &a, &err) != 0)
			rc = cli_fail_err(ctx, &err);
		size_t done = 0, waiting = 0;
		for (size_t i = 0; i < a.n && rc == CLI_OK; i++) {
			bool applied = false;
			if (deid_review_apply(s, di, &a.tasks[i], NULL, accept, &applied, &err) != 0)
				rc = cli_fail_err(ctx, &err);
			done += applied;
		}
		if (rc == CLI_OK) {
			struct store_item it;
			for (size_t i = 0; i < a.n; i++)
				if (store_item_get(s, a.tasks[i].item_id, &it, &err) == 0) {
					waiting += !it.visible;
					store_item_release(&it);
				}
			printf("de-identified and released %zu items; %zu still await review\n", done, waiting);
		}
	}
	ml_free(a.tasks);
	deid_import_free(di);
	store_project_release(&p);
	store_close(s);
	return rc;
}

CLI_COMMAND(deid_apply, "deid apply", "PROJECT [--accept-proposals]",
	    "replace the reviewed PHI spans of a review-mode project's hidden items and release them to annotators",
	    run_apply)
