/* fmt_jsonl.c: JSON Lines import ({"text":…,"meta":…,"patient_key":…,"external_ref":…} per line) and
 * export (one item per line with its task, split and annotations with provenance; the manifest as the
 * last line when writing to stdout). */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- import ---- */

struct jl_fields {
	struct ml_buf text, patient, ref, key, src;
	struct ml_buf meta;
};

/* ml_utf8_valid with a fast path: runs of ASCII are skipped 8 bytes at a time (most notes are mostly
 * ASCII), the rest is checked by the core function. */
static bool utf8_valid_fast(const char *s, size_t n, size_t *bad)
{
	size_t i = 0;
	while (i < n) {
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		while (i < n && (unsigned char)s[i] < 0x80)
			i++;
		if (i == n)
			return true;
		/* a non-ASCII stretch: validate up to the next ASCII byte after it */
		size_t j = i;
		while (j < n && (unsigned char)s[j] >= 0x80)
			j++;
		size_t off;
		if (!ml_utf8_valid(s + i, j - i, &off)) {
			*bad = i + off;
			return false;
		}
		i = j;
	}
	return true;
}

/* Parses one line into f and it; returns 0, 1 for a blank line, -1 with err (position within the line). */
static int parse_line(const char *line, size_t len, struct jl_fields *f, struct store_item *it,
		      const struct io_import_opts *opts, struct ml_err *err)
{
	const char *end = line + len, *p = io_json_ws(line, end);
	if (p == end)
		return 1;
	size_t bad;
	if (!utf8_valid_fast(line, len, &bad))
		return ml_err_set(err, ML_EINVAL, "invalid UTF-8 at byte %zu", bad + 1);
	if (*p != '{')
		return ml_err_set(err, ML_EINVAL, "expected a JSON object at byte %zu", (size_t)(p - line) + 1);
	p = io_json_ws(p + 1, end);
	bool have_text = false, have_meta = false, have_patient = false, have_ref = false, have_src = false;
	ml_buf_reset(&f->meta);
	if (p < end && *p == '}') {
		p++;
	} else {
		for (;;) {
			p = io_json_ws(p, end);
			const char *kstart = p;
			if (p >= end || *p != '"')
				return ml_err_set(err, ML_EINVAL, "expected a key at byte %zu", (size_t)(p - line) + 1);
			if (io_json_string(&p, end, line, &f->key, err))
				return -1;
			p = io_json_ws(p, end);
			if (p >= end || *p != ':')
				return ml_err_set(err, ML_EINVAL, "expected ':' at byte %zu", (size_t)(p - line) + 1);
			p = io_json_ws(p + 1, end);
			const char *k = f->key.data ? f->key.data : "";
			struct ml_buf *dst = NULL;
			bool *seen = NULL;
			if (!strcmp(k, "text"))
				dst = &f->text, seen = &have_text;
			else if (!strcmp(k, "patient_key"))
				dst = &f->patient, seen = &have_patient;
			else if (!strcmp(k, "external_ref"))
				dst = &f->ref, seen = &have_ref;
			else if (!strcmp(k, "source"))
				dst = &f->src, seen = &have_src;
			if (dst || !strcmp(k, "meta")) {
				if (dst ? *seen : have_meta)
					return ml_err_field(err, ML_EINVAL, k, "duplicate key '%s' at byte %zu", k,
							    (size_t)(kstart - line) + 1);
			}
			if (dst) {
				*seen = true;
				if (strcmp(k, "text") != 0 && end - p >= 4 && !memcmp(p, "null", 4)) {
					p += 4; /* null patient_key / external_ref / source = absent */
					ml_buf_reset(dst);
				} else if (p >= end || *p != '"') {
					return ml_err_field(err, ML_EINVAL, k, "'%s' must be a string (byte %zu)", k,
							    (size_t)(p - line) + 1);
				} else if (io_json_string(&p, end, line, dst, err)) {
					return -1;
				}
			} else if (!strcmp(k, "meta")) {
				have_meta = true;
				const char *vstart = p;
				if (io_json_skip(&p, end, line, err))
					return -1;
				if (*vstart == '{') {
					/* kept verbatim: numbers, key order and escapes round-trip exactly */
					if (ml_buf_append(&f->meta, vstart, (size_t)(p - vstart)))
						return ml_err_set(err, ML_ENOMEM, "out of memory");
				} else if (!(p - vstart == 4 && !memcmp(vstart, "null", 4))) {
					return ml_err_field(err, ML_EINVAL, "meta", "'meta' must be an object (byte %zu)",
							    (size_t)(vstart - line) + 1);
				}
			} else if (io_json_skip(&p, end, line, err)) { /* other keys (ids of an earlier export...) */
				return -1;
			}
			p = io_json_ws(p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == '}') {
				p++;
				break;
			}
			return ml_err_set(err, ML_EINVAL, "expected ',' or '}' at byte %zu", (size_t)(p - line) + 1);
		}
	}
	p = io_json_ws(p, end);
	if (p != end)
		return ml_err_set(err, ML_EINVAL, "unexpected data after the object at byte %zu", (size_t)(p - line) + 1);
	if (!have_text)
		return ml_err_field(err, ML_EINVAL, "text", "no 'text' field");
	memset(it, 0, sizeof *it);
	it->project_id = opts->project_id;
	it->modality = STORE_MOD_TEXT;
	it->source = opts->source ? opts->source : STORE_SRC_OTHER;
	if (have_src && f->src.len) {
		it->source = store_source_parse(f->src.data);
		if (!it->source)
			return ml_err_field(err, ML_EINVAL, "source",
					    "'source' must be one of ehr, imaging, survey, other");
	}
	if (ml_buf_putc(&f->text, 0) || ml_buf_putc(&f->meta, 0))
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	f->text.len--;
	f->meta.len--;
	it->text = f->text.data;
	it->meta_json = f->meta.len ? f->meta.data : (char *)"{}";
	it->patient_key = have_patient && f->patient.data ? f->patient.data : (char *)"";
	it->external_ref = have_ref && f->ref.data ? f->ref.data : (char *)"";
	it->visible = true;
	return 0;
}

static int import_jsonl(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx,
			struct ml_err *err)
{
	size_t max = opts->max_item_bytes ? opts->max_item_bytes : IO_MAX_ITEM_BYTES;
	struct io_lines r;
	if (io_lines_open(&r, path, max, err))
		return -1;
	struct jl_fields f;
	ml_buf_init(&f.text, max + 1);
	ml_buf_init(&f.patient, 4096);
	ml_buf_init(&f.ref, 4096);
	ml_buf_init(&f.key, 4096);
	ml_buf_init(&f.src, 64);
	ml_buf_init(&f.meta, max + 1);
	int ret = 0;
	const char *line;
	size_t len;
	int got;
	while ((got = io_lines_next(&r, path, &line, &len, err)) == 1) {
		struct store_item it;
		int rc = parse_line(line, len, &f, &it, opts, err);
		if (rc == 1)
			continue;
		if (rc) {
			ret = io_err_at_line(err, path, r.lineno);
			break;
		}
		if (emit(ctx, &it, err)) {
			ret = -1;
			if (err && (err->code == ML_EINVAL || err->code == ML_ELIMIT))
				io_err_at_line(err, path, r.lineno);
			break;
		}
	}
	if (got < 0)
		ret = -1;
	io_lines_close(&r);
	ml_buf_release(&f.text);
	ml_buf_release(&f.patient);
	ml_buf_release(&f.ref);
	ml_buf_release(&f.key);
	ml_buf_release(&f.src);
	ml_buf_release(&f.meta);
	return ret;
}

IO_IMPORTER(jsonl, "jsonl", ".jsonl,.ndjson", "JSON Lines: {\"text\":…,\"meta\":{…},\"patient_key\":…,\"external_ref\":…}",
	    import_jsonl)

/* ---- export ---- */

struct jl_user {
	int64_t id;
	char *name;
};

struct jl_state {
	struct jl_user *users; /* small cache of user names for provenance (users are few) */
	size_t nusers, ausers;
};

static const char *user_name(struct io_export *ex, struct jl_state *st, int64_t id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < st->nusers; i++)
		if (st->users[i].id == id)
			return st->users[i].name;
	struct store_user u;
	struct ml_err e;
	char *name = NULL;
	if (ex->store && store_user_get(ex->store, id, &u, &e) == 0) {
		name = u.name;
		u.name = NULL;
		store_user_release(&u);
	}
	if (st->nusers == st->ausers) {
		st->ausers = st->ausers ? 2 * st->ausers : 16;
		st->users = ml_xrealloc(st->users, st->ausers * sizeof *st->users);
	}
	st->users[st->nusers].id = id;
	st->users[st->nusers].name = name;
	return st->users[st->nusers++].name;
}

static int jl_begin(struct io_export *ex, struct ml_err *err)
{
	ex->state = ml_calloc(1, sizeof(struct jl_state));
	return ex->state ? 0 : ml_err_set(err, ML_ENOMEM, "out of memory");
}

static void put_str_or_null(FILE *f, const char *s)
{
	if (s)
		io_put_json_str(f, s, strlen(s));
	else
		fputs_unlocked("null", f);
}

/* fputs of a decimal integer, without printf's parsing (this runs for every exported item). */
static void put_i64(FILE *f, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof buf - p), f);
}

static int jl_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	FILE *f = ex->out;
	struct jl_state *st = ex->state;
	const struct store_item *it = r->item;
	fputs_unlocked("{\"id\":", f);
	put_i64(f, it->id);
	fputs_unlocked(",\"modality\":\"", f);
	fputs_unlocked(store_modality_name(it->modality), f);
	fputs_unlocked("\",\"source\":\"", f);
	fputs_unlocked(store_source_name(it->source), f);
	fputs_unlocked("\",\"patient_key\":", f);
	io_put_json_str(f, it->patient_key, strlen(it->patient_key));
	fputs_unlocked(",\"external_ref\":", f);
	io_put_json_str(f, it->external_ref, strlen(it->external_ref));
	fputs_unlocked(",\"content_hash\":\"", f);
	fputs_unlocked(it->content_hash, f);
	fputs_unlocked("\",\"created_at\":", f);
	io_put_json_time(f, it->created_at);
	if (it->text) {
		fputs_unlocked(",\"text\":", f);
		io_put_json_str(f, it->text, strlen(it->text));
	} else {
		fputs_unlocked(",\"media_hash\":", f);
		put_str_or_null(f, it->media_hash);
		fputs_unlocked(",\"media_type\":", f);
		put_str_or_null(f, it->media_type);
	}
	fputs_unlocked(",\"meta\":", f);
	fputs_unlocked(it->meta_json, f); /* stored verbatim as validated JSON */
	fputs_unlocked(",\"task\":{\"id\":", f);
	put_i64(f, r->task->id);
	fputs_unlocked(",\"state\":\"", f);
	fputs_unlocked(store_task_state_name(r->task->state), f);
	fputs_unlocked(r->task->gold ? "\",\"gold\":true}" : "\",\"gold\":false}", f);
	if (r->split) {
		fputs_unlocked(",\"split\":", f);
		io_put_json_str(f, r->split, strlen(r->split));
	}
	fputs_unlocked(",\"annotations\":[", f);
	for (size_t i = 0; i < r->nanns; i++) {
		const struct store_annotation *a = &r->anns[i];
		fprintf(f, "%s{\"id\":%lld,\"version\":%d,\"kind\":", i ? "," : "", (long long)a->id, a->version);
		put_str_or_null(f, a->kind);
		fputs_unlocked(",\"user_id\":", f);
		if (a->user_id)
			fprintf(f, "%lld", (long long)a->user_id);
		else
			fputs_unlocked("null", f);
		fputs_unlocked(",\"user\":", f);
		put_str_or_null(f, user_name(ex, st, a->user_id));
		fputs_unlocked(",\"author\":", f);
		put_str_or_null(f, user_name(ex, st, a->author_id));
		fputs_unlocked(",\"model\":", f);
		put_str_or_null(f, a->model);
		fputs_unlocked(",\"model_version\":", f);
		put_str_or_null(f, a->model_version);
		fprintf(f, ",\"schema_version\":%d,\"created_at\":", a->schema_version);
		io_put_json_time(f, a->created_at);
		fprintf(f, ",\"seconds_spent\":%.3f,\"validated\":%s,\"labels\":", a->seconds_spent,
			a->validated ? "true" : "false");
		fputs_unlocked(a->body_json && *a->body_json ? a->body_json : "null", f);
		putc_unlocked('}', f);
	}
	fputs_unlocked("]}\n", f);
	(void)err;
	return 0;
}

static int jl_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	struct jl_state *st = ex->state;
	if (st) {
		for (size_t i = 0; i < st->nusers; i++)
			ml_free(st->users[i].name);
		ml_free(st->users);
		ml_free(st);
		ex->state = NULL;
	}
	return 0;
}

static int jl_manifest(struct io_export *ex, const char *manifest_json, struct ml_err *err)
{
	fputs_unlocked("{\"manifest\":", ex->out);
	fputs_unlocked(manifest_json, ex->out);
	fputs_unlocked("}\n", ex->out);
	return 0;
}

IO_EXPORTER(jsonl, {.name = "jsonl", .extension = ".jsonl",
		    .summary = "JSON Lines: one item per line with task, split and annotations (with provenance)",
		    .begin = jl_begin, .row = jl_row, .end = jl_end, .manifest = jl_manifest})
