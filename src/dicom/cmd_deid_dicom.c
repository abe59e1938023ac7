/* cmd_deid_dicom.c: `medlabel deid dicom IN OUT`: de-identify a file or a folder tree (mirrored) in parallel. */
#include "auth/auth.h"
#include "cli/cli.h"
#include "dicom/dicom.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct job {
	char *in, *out, *rel;
};

struct jobs {
	struct job *v;
	size_t n, alloc;
};

struct run {
	struct cli_ctx *ctx;
	struct jobs *jobs;
	const struct dicom_deid_opts *opts;
	atomic_size_t next;
	atomic_size_t done, failed, review;
	pthread_mutex_t out_lock; /* one stderr line at a time */
	struct cli_progress progress;
};

static void add_job(struct jobs *j, const char *in, const char *out, const char *rel)
{
	if (j->n == j->alloc) {
		j->alloc = j->alloc ? j->alloc * 2 : 256;
		j->v = ml_xrealloc(j->v, j->alloc * sizeof *j->v);
	}
	j->v[j->n++] = (struct job){ml_xstrdup(in), ml_xstrdup(out), ml_xstrdup(rel)};
}

/* Walks in_dir, mirroring its folders under out_dir; every regular file becomes a job. */
static int collect(const char *in_dir, const char *out_dir, const char *rel, struct jobs *jobs, struct ml_err *err)
{
	if (ml_mkdirs(out_dir, 0755, err) < 0)
		return -1;
	DIR *d = opendir(in_dir);
	if (!d)
		return ml_err_set(err, ML_EIO, "cannot open folder '%s': %s", in_dir, strerror(errno));
	struct dirent *de;
	int rc = 0;
	/* sorted order would need a second pass; readdir order is fine since each file is independent */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *in = ml_xasprintf("%s/%s", in_dir, de->d_name);
		char *out = ml_xasprintf("%s/%s", out_dir, de->d_name);
		char *r = *rel ? ml_xasprintf("%s/%s", rel, de->d_name) : ml_xstrdup(de->d_name);
		/* d_type saves a stat per file; file systems that do not fill it in get one */
		bool dir = de->d_type == DT_DIR, reg = de->d_type == DT_REG;
		struct stat st;
		if (de->d_type == DT_UNKNOWN || de->d_type == DT_LNK) {
			if (stat(in, &st) < 0)
				rc = ml_err_set(err, ML_EIO, "cannot stat '%s': %s", in, strerror(errno));
			dir = rc == 0 && S_ISDIR(st.st_mode);
			reg = rc == 0 && S_ISREG(st.st_mode);
		}
		if (dir)
			rc = collect(in, out, r, jobs, err);
		else if (reg)
			add_job(jobs, in, out, r);
		ml_free(in);
		ml_free(out);
		ml_free(r);
	}
	closedir(d);
	return rc;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= r->jobs->n)
			break;
		struct job *j = &r->jobs->v[i];
		struct dicom_deid_result res;
		struct ml_err err = {0};
		if (dicom_deid_file(j->in, j->out, r->opts, &res, &err) < 0) {
			atomic_fetch_add(&r->failed, 1);
			pthread_mutex_lock(&r->out_lock);
			fprintf(stderr, "%s %s: %s\n", r->ctx->prog, r->ctx->command, err.msg);
			pthread_mutex_unlock(&r->out_lock);
			continue;
		}
		if (res.pixel_review) {
			atomic_fetch_add(&r->review, 1);
			/* the relative path and the reason only: never a value from the file */
			pthread_mutex_lock(&r->out_lock);
			fprintf(stderr, "%s %s: '%s' needs pixel review (%s)\n", r->ctx->prog, r->ctx->command, j->rel,
				res.review_reason);
			pthread_mutex_unlock(&r->out_lock);
		}
		size_t done = atomic_fetch_add(&r->done, 1) + 1;
		if (done % 256 == 0) {
			pthread_mutex_lock(&r->out_lock);
			cli_progress_update(&r->progress, done);
			pthread_mutex_unlock(&r->out_lock);
		}
	}
	return NULL;
}

/* The secret keying UIDs, pseudonyms and date shifts: --secret-file, else the deployment's own secret
 * (DATA/deployment.secret, made by `medlabel init`), never created here: a de-identification run must not
 * silently start a new pseudonym space. */
static int read_secret(struct cli_ctx *ctx, const char *file, uint8_t **secret, size_t *len)
{
	struct ml_err err = {0};
	uint8_t *buf = ml_xmalloc(AUTH_SECRET_MAX);
	if (!file) {
		if (auth_deployment_secret(ctx->data_dir, false, buf, len, &err) != 0) {
			ml_free(buf);
			fprintf(stderr, "%s %s: %s\n", ctx->prog, ctx->command, err.msg);
			return cli_fail(ctx, "no secret: pass --secret-file FILE or use the --data folder of a deployment");
		}
		*secret = buf;
		return 0;
	}
	if (auth_secret_file_read(file, buf, len, &err) != 0) {
		ml_free(buf);
		return cli_fail_err(ctx, &err);
	}
	*secret = buf;
	return 0;
}

static int run_deid(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *secret_file = NULL, *options = NULL, *key = NULL, *name = NULL, *v;
	long jobs_n = sysconf(_SC_NPROCESSORS_ONLN);
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--secret-file", &v))
			secret_file = v;
		else if (cli_opt(argc, argv, &i, "--options", &v))
			options = v;
		else if (cli_opt(argc, argv, &i, "--patient-key", &v))
			key = v;
		else if (cli_opt(argc, argv, &i, "--patient-name", &v))
			name = v;
		else if (cli_opt(argc, argv, &i, "--jobs", &v))
			jobs_n = strtol(v, NULL, 10);
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!in)
			in = argv[i];
		else if (!out)
			out = argv[i];
		else
			return cli_usage_error(ctx, "IN and OUT only");
	}
	if (!in || !out)
		return cli_usage_error(ctx, "IN and OUT are required");
	if (jobs_n < 1 || jobs_n > 64)
		return cli_usage_error(ctx, "--jobs must be 1 to 64");
	struct ml_err err = {0};
	struct dicom_deid_opts opts = {.patient_key = key, .patient_name = name};
	if (dicom_deid_parse_options(options, &opts.options, &err) < 0)
		return cli_usage_error(ctx, "%s", err.msg);
	uint8_t *secret = NULL;
	if (read_secret(ctx, secret_file, &secret, &opts.secret_len) != 0)
		return CLI_BAD_INPUT;
	opts.secret = secret;

	struct jobs jobs = {0};
	struct stat st;
	int rc = CLI_OK;
	if (stat(in, &st) < 0) {
		rc = cli_fail(ctx, "cannot read '%s': %s", in, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		if (collect(in, out, "", &jobs, &err) < 0) {
			rc = cli_fail_err(ctx, &err);
			goto done;
		}
	} else {
		struct stat ost;
		const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
		if (stat(out, &ost) == 0 && S_ISDIR(ost.st_mode)) {
			char *o = ml_xasprintf("%s/%s", out, base);
			add_job(&jobs, in, o, base);
			ml_free(o);
		} else {
			add_job(&jobs, in, out, base);
		}
	}
	int64_t t0 = ml_monotonic_ns();
	struct run r = {.ctx = ctx, .jobs = &jobs, .opts = &opts};
	pthread_mutex_init(&r.out_lock, NULL);
	cli_progress_init(&r.progress, "de-identifying", jobs.n);
	if ((size_t)jobs_n > jobs.n)
		jobs_n = jobs.n ? (long)jobs.n : 1;
	pthread_t th[64];
	for (long t = 1; t < jobs_n; t++)
		pthread_create(&th[t], NULL, worker, &r);
	worker(&r);
	for (long t = 1; t < jobs_n; t++)
		pthread_join(th[t], NULL);
	cli_progress_finish(&r.progress, r.done);
	pthread_mutex_destroy(&r.out_lock);
	double secs = (double)(ml_monotonic_ns() - t0) / 1e9;
	printf("de-identified %zu file(s), %zu need pixel review, %zu failed, in %.2fs\n", (size_t)r.done,
	       (size_t)r.review, (size_t)r.failed, secs);
	if (r.failed)
		rc = CLI_BAD_INPUT;
done:
	for (size_t i = 0; i < jobs.n; i++) {
		ml_free(jobs.v[i].in);
		ml_free(jobs.v[i].out);
		ml_free(jobs.v[i].rel);
	}
	ml_free(jobs.v);
	if (secret)
		memset(secret, 0, opts.secret_len);
	ml_free(secret);
	return rc;
}

CLI_COMMAND(deid_dicom, "deid dicom",
	    "IN OUT [--secret-file FILE] [--options LIST] [--patient-key KEY] [--patient-name NAME] [--jobs N]",
	    "de-identify DICOM files or folders (PS3.15 Annex E basic profile and options)", run_deid)
