/* export.c: the export driver: picks the rows (live or a pinned snapshot), assigns splits, streams them
 * through an exporter into a hashed output, and writes the manifest. */
#include "io/io_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the scan ---- */

struct run {
	struct io_export ex;
	const struct io_exporter *exp;
	const struct io_split *split;
	uint64_t split_counts[IO_MAX_SPLITS];
	uint64_t items, annotations, total;
	crypto_generichash_state content; /* over what is exported: ids, content hashes, annotation versions */
	const struct io_export_opts *opts;
	struct ml_err *err;
};

static int on_row(void *ctx, const struct store_export_row *r)
{
	struct run *run = ctx;
	struct io_export_row row = {.item = r->item, .task = r->task, .anns = r->anns, .nanns = r->nanns};
	if (run->split) {
		row.split = io_split_assign(run->split, r->item);
		for (int i = 0; i < run->split->n; i++)
			if (row.split == run->split->name[i])
				run->split_counts[i]++;
	}
	char rec[160];
	int n = snprintf(rec, sizeof rec, "item %lld %s %d %d\n", (long long)r->item->id, r->item->content_hash,
			 (int)r->task->state, (int)r->task->gold);
	crypto_generichash_update(&run->content, (const unsigned char *)rec, (size_t)n);
	for (size_t i = 0; i < r->nanns; i++) {
		n = snprintf(rec, sizeof rec, "ann %lld %d\n", (long long)r->anns[i].id, r->anns[i].version);
		crypto_generichash_update(&run->content, (const unsigned char *)rec, (size_t)n);
	}
	if (run->exp->row(&run->ex, &row, run->err))
		return -1;
	run->items++;
	run->annotations += r->nanns;
	if (run->opts->progress && (run->items & 1023) == 0)
		run->opts->progress(run->opts->progress_ctx, run->items, run->total);
	return 0;
}

/* ---- snapshot spec ---- */

struct spec {
	int state;
	char split[256]; /* canonical "train=0.8,..."; "" = none */
	bool by_patient;
	char seed[64];
	int schema_version;
	char schema_hash[65];
	char content[65]; /* "" until the first export recorded it */
	int64_t created_at;
	char version[32];
};

static void canonical_split(const struct io_split *sp, char *out, size_t outlen)
{
	out[0] = 0;
	if (!sp)
		return;
	size_t n = 0;
	for (int i = 0; i < sp->n && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s=%g", i ? "," : "", sp->name[i], sp->frac[i]);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int spec_parse(const char *json, struct spec *sp, struct ml_err *err)
{
	memset(sp, 0, sizeof *sp);
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return ml_err_set(err, ML_EIO, "snapshot record is damaged");
	}
	sp->state = (int)json_integer_value(json_object_get(o, "task_state"));
	snprintf(sp->split, sizeof sp->split, "%s", jstr(o, "split"));
	sp->by_patient = json_is_true(json_object_get(o, "group_by_patient"));
	snprintf(sp->seed, sizeof sp->seed, "%s", jstr(o, "split_seed"));
	sp->schema_version = (int)json_integer_value(json_object_get(o, "schema_version"));
	snprintf(sp->schema_hash, sizeof sp->schema_hash, "%s", jstr(o, "schema_blake2b"));
	snprintf(sp->content, sizeof sp->content, "%s", jstr(o, "content_blake2b"));
	sp->created_at = json_integer_value(json_object_get(o, "created_at"));
	snprintf(sp->version, sizeof sp->version, "%s", jstr(o, "medlabel_version"));
	json_decref(o);
	return 0;
}

static char *spec_json(const struct spec *sp, uint64_t items, uint64_t anns)
{
	json_t *o = json_object();
	json_object_set_new(o, "task_state", json_integer(sp->state));
	json_object_set_new(o, "split", json_string(sp->split));
	json_object_set_new(o, "group_by_patient", json_boolean(sp->by_patient));
	json_object_set_new(o, "split_seed", json_string(sp->seed));
	json_object_set_new(o, "schema_version", json_integer(sp->schema_version));
	json_object_set_new(o, "schema_blake2b", json_string(sp->schema_hash));
	json_object_set_new(o, "content_blake2b", json_string(sp->content));
	json_object_set_new(o, "created_at", json_integer(sp->created_at));
	json_object_set_new(o, "medlabel_version", json_string(sp->version));
	json_object_set_new(o, "items", json_integer((json_int_t)items));
	json_object_set_new(o, "annotations", json_integer((json_int_t)anns));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	char *copy = s ? ml_xstrdup(s) : ml_xstrdup("{}");
	free(s);
	return copy;
}

/* ---- the manifest ---- */

static void put_str(struct ml_buf *b, const char *s)
{
	if (ml_buf_json_str(b, s, strlen(s)))
		abort(); /* no cap on this buffer: only OOM, which ml_x* treat as fatal too */
}

static char *manifest(struct run *run, const struct store_project *p, const char *snapshot, const struct spec *sp,
		      const char *content, const char *sha, uint64_t bytes, bool in_stream)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	char t[40];
	int rc = ml_buf_printf(&b, "{\"medlabel_version\":\"%s\",\"format\":", ML_VERSION);
	put_str(&b, run->exp->name);
	rc |= ml_buf_printf(&b, ",\"project\":{\"id\":%lld,\"name\":", (long long)p->id);
	put_str(&b, p->name);
	rc |= ml_buf_puts(&b, "},\"snapshot\":");
	if (snapshot) {
		rc |= ml_buf_puts(&b, "{\"name\":");
		put_str(&b, snapshot);
		ml_time_format(sp->created_at, t, sizeof t);
		rc |= ml_buf_printf(&b, ",\"created_at\":\"%s\",\"medlabel_version\":", t);
		put_str(&b, sp->version);
		rc |= ml_buf_puts(&b, "}");
	} else {
		/* only live exports carry the time: a snapshot's manifest must be the same bytes every time */
		ml_time_format(ml_now_ms(), t, sizeof t);
		rc |= ml_buf_printf(&b, "null,\"exported_at\":\"%s\"", t);
	}
	rc |= ml_buf_printf(&b, ",\"filters\":{\"task_state\":\"%s\",\"visible_only\":true}",
			    sp->state < 0 ? "any" : store_task_state_name((enum store_task_state)sp->state));
	rc |= ml_buf_puts(&b, ",\"split\":");
	if (run->split) {
		rc |= ml_buf_puts(&b, "{\"parts\":[");
		for (int i = 0; i < run->split->n; i++) {
			rc |= ml_buf_printf(&b, "%s{\"name\":", i ? "," : "");
			put_str(&b, run->split->name[i]);
			rc |= ml_buf_printf(&b, ",\"fraction\":%g,\"items\":%llu}", run->split->frac[i],
					    (unsigned long long)run->split_counts[i]);
		}
		rc |= ml_buf_printf(&b, "],\"group_by\":\"%s\",\"seed\":", run->split->by_patient ? "patient" : "item");
		put_str(&b, run->split->seed);
		rc |= ml_buf_puts(&b, ",\"method\":\"keyed BLAKE2b-256 of the patient key (or item id) onto [0,1)\"}");
	} else {
		rc |= ml_buf_puts(&b, "null");
	}
	if (sp->schema_version)
		rc |= ml_buf_printf(&b, ",\"schema\":{\"version\":%d,\"blake2b\":\"%s\"}", sp->schema_version, sp->schema_hash);
	else
		rc |= ml_buf_puts(&b, ",\"schema\":null");
	rc |= ml_buf_printf(&b, ",\"counts\":{\"items\":%llu,\"annotations\":%llu},\"content_blake2b\":\"%s\"",
			    (unsigned long long)run->items, (unsigned long long)run->annotations, content);
	rc |= ml_buf_printf(&b, ",\"output\":{\"blake2b\":\"%s\",\"bytes\":%llu,\"covers\":\"%s\"}}", sha,
			    (unsigned long long)bytes, in_stream ? "the records before this manifest" : "the whole file");
	if (rc)
		abort();
	return ml_buf_detach(&b, NULL);
}

/* ---- the driver ---- */

int io_export_run(struct store *s, const struct store_project *p, const struct io_export_opts *opts,
		  struct io_export_result *res, struct ml_err *err)
{
	memset(res, 0, sizeof *res);
	const char *fmt = opts->format ? opts->format : "jsonl";
	const struct io_exporter *exp = io_exporter_find(fmt);
	if (!exp)
		return ml_err_set(err, ML_EINVAL, "unknown export format '%s'", fmt);
	if (!opts->out_path && !opts->manifest_path && !exp->manifest)
		return ml_err_set(err, ML_EINVAL, "format '%s' cannot carry its manifest on stdout: use --out PATH or "
				  "--manifest PATH", fmt);

	/* Which rows: a snapshot (existing or new) or the live project. */
	struct spec sp;
	memset(&sp, 0, sizeof sp);
	sp.state = opts->state;
	canonical_split(opts->split, sp.split, sizeof sp.split);
	sp.by_patient = opts->split && opts->split->by_patient;
	snprintf(sp.seed, sizeof sp.seed, "%s", opts->split ? opts->split->seed : "");
	struct io_split split_store;
	const struct io_split *split = opts->split;
	int64_t snap_id = 0;
	bool created = false;
	if (opts->snapshot) {
		struct store_snapshot sn;
		struct ml_err e2;
		if (store_snapshot_get(s, p->id, opts->snapshot, &sn, &e2) == 0) {
			struct spec old;
			int rc = spec_parse(sn.manifest_json, &old, err);
			snap_id = sn.id;
			store_snapshot_release(&sn);
			if (rc)
				return -1;
			if ((opts->split && (strcmp(sp.split, old.split) || sp.by_patient != old.by_patient ||
					     strcmp(sp.seed, old.seed))) ||
			    (opts->state >= 0 && opts->state != old.state))
				return ml_err_set(err, ML_EINVAL, "snapshot '%s' exists and its split and filters were fixed "
						  "when it was made: drop --split, --group-by and --state to re-export it",
						  opts->snapshot);
			sp = old;
			if (sp.split[0]) {
				if (io_split_parse(sp.split, &split_store, err))
					return -1;
				split_store.by_patient = sp.by_patient;
				snprintf(split_store.seed, sizeof split_store.seed, "%s", sp.seed);
				split = &split_store;
			} else {
				split = NULL;
			}
		} else if (e2.code != ML_ENOTFOUND) {
			if (err)
				*err = e2;
			return -1;
		} else {
			created = true;
		}
	}

	/* The schema: the pinned version (checked against its hash) or the latest. */
	char *schema = NULL;
	int schema_version = 0;
	{
		struct ml_err e2;
		if (store_schema_get(s, p->id, snap_id ? sp.schema_version : 0, &schema, &schema_version, &e2) == 0) {
			char h[65];
			store_hash_hex(schema, strlen(schema), h);
			if (snap_id && strcmp(h, sp.schema_hash)) {
				ml_free(schema);
				return ml_err_set(err, ML_ECONFLICT, "snapshot '%s': schema version %d no longer matches "
						  "its pinned hash", opts->snapshot, sp.schema_version);
			}
			sp.schema_version = schema_version;
			snprintf(sp.schema_hash, sizeof sp.schema_hash, "%s", h);
		} else if (e2.code != ML_ENOTFOUND || (snap_id && sp.schema_version)) {
			if (err)
				*err = e2;
			return -1;
		}
	}

	if (created) {
		sp.created_at = ml_now_ms();
		snprintf(sp.version, sizeof sp.version, "%s", ML_VERSION);
		char *js = spec_json(&sp, 0, 0);
		struct store_snapshot sn = {.project_id = p->id, .name = (char *)opts->snapshot, .manifest_json = js,
					    .created_at = sp.created_at};
		int64_t ni = 0, na = 0;
		int rc = store_begin(s, err);
		if (!rc)
			rc = store_snapshot_create(s, &sn, &snap_id, err);
		if (!rc)
			rc = store_snapshot_pin(s, snap_id, sp.state, &ni, &na, err);
		ml_free(js);
		if (rc) {
			store_rollback(s);
			ml_free(schema);
			return -1;
		}
		if (store_commit(s, err)) {
			ml_free(schema);
			return -1;
		}
	}

	/* The output: a temporary file renamed into place at the end, or stdout. */
	char tmp[4200] = "";
	int fd = STDOUT_FILENO;
	if (opts->out_path) {
		/* Folder formats write beside --out: make its folder, as the user named a new one. */
		char dir[4200];
		snprintf(dir, sizeof dir, "%s", opts->out_path);
		char *slash = strrchr(dir, '/');
		if (exp->writes_folder && slash && slash != dir) {
			*slash = '\0';
			if (ml_mkdirs(dir, 0750, err)) {
				ml_free(schema);
				return -1;
			}
		}
		if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", opts->out_path, (long)getpid()) >= (int)sizeof tmp) {
			ml_free(schema);
			return ml_err_set(err, ML_EINVAL, "output path too long");
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (fd < 0) {
			ml_free(schema);
			return ml_err_set(err, ML_EIO, "cannot write '%s': %s", opts->out_path, strerror(errno));
		}
	}
	struct io_sink *sink = io_sink_new(fd);
	if (!sink) {
		if (opts->out_path) {
			close(fd);
			unlink(tmp);
		}
		ml_free(schema);
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	FILE *f = io_sink_file(sink);

	char out_dir[4200] = "";
	if (opts->out_path) {
		snprintf(out_dir, sizeof out_dir, "%s", opts->out_path);
		char *slash = strrchr(out_dir, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(out_dir, sizeof out_dir, ".");
	}
	struct run run = {
		.ex = {.out = f, .out_path = opts->out_path, .out_dir = opts->out_path ? out_dir : NULL,
		       .data_dir = opts->data_dir, .store = s, .project = p, .schema_json = schema,
		       .schema_version = schema_version, .options = opts->options},
		.exp = exp, .split = split, .opts = opts, .err = err,
	};
	crypto_generichash_init(&run.content, NULL, 0, 32);
	if (opts->progress) {
		struct store_project_counts c;
		struct ml_err e2;
		if (store_project_counts(s, p->id, &c, &e2) == 0)
			run.total = (uint64_t)c.items;
	}
	int rc = exp->begin ? exp->begin(&run.ex, err) : 0;
	bool begun = rc == 0;
	if (!rc)
		rc = store_export_scan(s, p->id, snap_id, sp.state, on_row, &run, err);
	if (begun) {
		int erc = exp->end ? exp->end(&run.ex, rc == 0, err) : 0;
		if (!rc)
			rc = erc;
	}
	unsigned char ch[32];
	crypto_generichash_final(&run.content, ch, sizeof ch);
	char content[65];
	ml_hex_encode(ch, sizeof ch, content);
	if (!rc && snap_id && !created && sp.content[0] && strcmp(sp.content, content))
		rc = ml_err_set(err, ML_ECONFLICT, "snapshot '%s': pinned rows changed since it was made",
				opts->snapshot);
	char *man = NULL;
	if (!rc)
		rc = io_sink_drain(sink, err);
	if (!rc) {
		char sha[65];
		io_sink_hash(sink, sha);
		bool in_stream = !opts->out_path && !opts->manifest_path;
		man = manifest(&run, p, snap_id ? opts->snapshot : NULL, &sp, content, sha, io_sink_bytes(sink), in_stream);
		snprintf(res->blake2b, sizeof res->blake2b, "%s", sha);
		if (in_stream)
			rc = exp->manifest(&run.ex, man, err);
		if (!rc)
			rc = io_sink_drain(sink, err);
	}
	io_sink_free(sink);
	if (opts->out_path) {
		/* No fsync: an export can always be made again from the store, and the rename means a reader
		 * never sees a half-written file under the final name. */
		close(fd);
		if (!rc && rename(tmp, opts->out_path) != 0)
			rc = ml_err_set(err, ML_EIO, "cannot write '%s': %s", opts->out_path, strerror(errno));
		if (rc)
			unlink(tmp);
	}
	if (!rc && (opts->out_path || opts->manifest_path)) {
		char mpath[4300];
		if (opts->manifest_path)
			snprintf(mpath, sizeof mpath, "%s", opts->manifest_path);
		else
			snprintf(mpath, sizeof mpath, "%s.manifest.json", opts->out_path);
		size_t mlen = strlen(man);
		struct ml_buf mb;
		ml_buf_init(&mb, 0);
		if (ml_buf_append(&mb, man, mlen) || ml_buf_putc(&mb, '\n'))
			rc = ml_err_set(err, ML_ENOMEM, "out of memory");
		else
			rc = ml_file_write_atomic(mpath, mb.data, mb.len, err);
		ml_buf_release(&mb);
	}
	if (!rc && snap_id && (created || !sp.content[0])) {
		/* record what the first export saw, so later ones can prove they match */
		snprintf(sp.content, sizeof sp.content, "%s", content);
		char *js = spec_json(&sp, run.items, run.annotations);
		rc = store_snapshot_set_manifest(s, snap_id, js, err);
		ml_free(js);
	}
	if (opts->progress)
		opts->progress(opts->progress_ctx, run.items, run.total);
	ml_free(man);
	ml_free(schema);
	res->items = run.items;
	res->annotations = run.annotations;
	res->snapshot_created = created;
	return rc;
}
