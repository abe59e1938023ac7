/* csv.c: a streaming RFC 4180 reader and the CSV importer driven by a column mapping. */
#include "text/text_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define MAX_FIELDS 4096

void text_csv_reader_init(struct text_csv_reader *r, FILE *in, const char *name, size_t max_record)
{
	memset(r, 0, sizeof *r);
	r->in = in;
	r->name = name ? name : "(csv)";
	r->line = 0;
	r->next_line = 1;
	r->max_record = max_record ? max_record : DEFAULT_MAX_RECORD;
	ml_buf_init(&r->rec, r->max_record);
}

void text_csv_reader_release(struct text_csv_reader *r)
{
	ml_buf_release(&r->rec);
	ml_free(r->off);
	ml_free(r->flen);
	r->off = NULL;
	r->flen = NULL;
	r->alloc_fields = 0;
}

static int start_field(struct text_csv_reader *r)
{
	if (r->nfields == r->alloc_fields) {
		if (r->alloc_fields >= MAX_FIELDS)
			return -1;
		int na = r->alloc_fields ? r->alloc_fields * 2 : 16;
		size_t *o = ml_realloc(r->off, (size_t)na * sizeof *o);
		if (!o)
			return -1;
		r->off = o;
		size_t *l = ml_realloc(r->flen, (size_t)na * sizeof *l);
		if (!l)
			return -1;
		r->flen = l;
		r->alloc_fields = na;
	}
	r->off[r->nfields] = r->rec.len;
	r->flen[r->nfields] = 0;
	r->nfields++;
	return 0;
}

static int end_field(struct text_csv_reader *r)
{
	r->flen[r->nfields - 1] = r->rec.len - r->off[r->nfields - 1];
	return ml_buf_putc(&r->rec, '\0');
}

/* Skips to the end of the current physical line after an error. */
static void skip_line(struct text_csv_reader *r, int c)
{
	while (c != EOF && c != '\n')
		c = getc_unlocked(r->in);
	if (c == '\n')
		r->next_line++;
}

/* Records where and what went wrong (what is a constant string) and fills err. */
static int rd_err(struct text_csv_reader *r, struct ml_err *err, enum ml_code code, long line, long col, const char *what)
{
	r->err_line = line;
	r->err_col = col;
	r->err_what = what;
	return ml_err_set(err, code, "'%s' line %ld column %ld: %s", r->name, line, col, what);
}

int text_csv_next(struct text_csv_reader *r, struct ml_err *err)
{
	FILE *in = r->in;
	ml_buf_reset(&r->rec);
	r->nfields = 0;
	int c = getc_unlocked(in);
	if (!r->started) {
		r->started = true;
		if (c == 0xEF) { /* UTF-8 byte order mark */
			int c2 = getc_unlocked(in), c3 = getc_unlocked(in);
			if (c2 != 0xBB || c3 != 0xBF) {
				skip_line(r, c3);
				return rd_err(r, err, ML_EINVAL, 1, 1, "malformed byte order mark");
			}
			c = getc_unlocked(in);
		}
	}
	if (c == EOF)
		return ferror(in) ? rd_err(r, err, ML_EIO, r->next_line, 1, "read error") : 0;
	r->line = r->next_line;
	long col = 1;
	for (;;) {
		if (start_field(r))
			goto toomany;
		if (c == '"') {
			long qline = r->next_line, qcol = col;
			for (;;) {
				c = getc_unlocked(in);
				if ((c & 0xC0) != 0x80)
					col++;
				if (c == EOF) {
					return rd_err(r, err, ML_EINVAL, qline, qcol, "unterminated quoted field");
				}
				if (c == '"') {
					c = getc_unlocked(in);
					if (c == '"') {
						col++;
					} else {
						break;
					}
				} else if (c == '\n') {
					r->next_line++;
					col = 1;
				}
				if (ml_buf_putc(&r->rec, (char)c))
					goto toolong;
			}
			if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
				long eline = r->next_line, ecol = col;
				skip_line(r, c);
				return rd_err(r, err, ML_EINVAL, eline, ecol, "unexpected character after a closing quote");
			}
		} else {
			while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
				if (c == '"') {
					long eline = r->next_line, ecol = col;
					skip_line(r, c);
					return rd_err(r, err, ML_EINVAL, eline, ecol, "quote inside an unquoted field");
				}
				if (ml_buf_putc(&r->rec, (char)c))
					goto toolong;
				c = getc_unlocked(in);
				if ((c & 0xC0) != 0x80)
					col++;
			}
		}
		if (end_field(r))
			goto toolong;
		if (c == ',') {
			c = getc_unlocked(in);
			col++;
			continue;
		}
		if (c == '\r') {
			c = getc_unlocked(in);
			if (c != '\n' && c != EOF)
				ungetc(c, in);
		}
		if (c == '\n')
			r->next_line++;
		return 1;
	}
toolong:
	skip_line(r, c);
	return rd_err(r, err, ML_ELIMIT, r->line, 1, "record longer than the size limit");
toomany:
	skip_line(r, c);
	return rd_err(r, err, ML_ELIMIT, r->line, 1, "more than 4096 fields");
}

/* ---- the column mapping -------------------------------------------------------------------------------- */

static bool valid_target(const char *t)
{
	if (!strcmp(t, "text") || !strcmp(t, "patient") || !strcmp(t, "ref") || !strcmp(t, "modality"))
		return true;
	if (strncmp(t, "meta.", 5) || !t[5])
		return false;
	const char *p = t + 5;
	char prev = '.';
	for (; *p; p++) {
		char c = *p;
		if (c == '.' && prev == '.')
			return false;
		if (!(c == '.' || c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
		prev = c;
	}
	return prev != '.';
}

void text_csv_map_release(struct text_csv_map *map)
{
	for (int i = 0; i < map->n; i++) {
		ml_free(map->v[i].target);
		ml_free(map->v[i].column);
	}
	ml_free(map->v);
	map->v = NULL;
	map->n = 0;
}

int text_csv_map_parse(const char *spec, struct text_csv_map *map, struct ml_err *err)
{
	map->v = NULL;
	map->n = 0;
	const char *p = spec;
	bool has_text = false;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p || eq == p + n - 1) {
			text_csv_map_release(map);
			return ml_err_set(err, ML_EINVAL, "bad --map entry '%.*s': expected target=column", (int)n, p);
		}
		char *target = ml_strndup(p, (size_t)(eq - p));
		char *column = ml_strndup(eq + 1, (size_t)(p + n - eq - 1));
		struct text_csv_map_entry *nv = ml_realloc(map->v, (size_t)(map->n + 1) * sizeof *nv);
		if (!target || !column || !nv) {
			ml_free(target);
			ml_free(column);
			if (nv)
				map->v = nv;
			text_csv_map_release(map);
			return ml_err_set(err, ML_ENOMEM, "out of memory");
		}
		map->v = nv;
		map->v[map->n++] = (struct text_csv_map_entry){target, column, -1};
		if (!valid_target(target)) {
			ml_err_set(err, ML_EINVAL,
				   "bad --map target '%s': use text, patient, ref, modality or meta.NAME", target);
			text_csv_map_release(map);
			return -1;
		}
		for (int i = 0; i < map->n - 1; i++)
			if (!strcmp(map->v[i].target, target)) {
				ml_err_set(err, ML_EINVAL, "--map names target '%s' twice", target);
				text_csv_map_release(map);
				return -1;
			}
		has_text |= !strcmp(target, "text");
		p += n;
		if (*p == ',')
			p++;
	}
	if (!has_text) {
		text_csv_map_release(map);
		return ml_err_set(err, ML_EINVAL, "--map must name the text column (text=COLUMN)");
	}
	return 0;
}

/* Sets meta.a.b.c = value, creating the intermediate objects. */
static void meta_set_path(json_t *meta, const char *path, const char *value)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *o = meta;
	char *save = NULL;
	char *tok = strtok_r(buf, ".", &save);
	while (tok) {
		char *next = strtok_r(NULL, ".", &save);
		if (!next) {
			json_object_set_new(o, tok, json_string(value));
			break;
		}
		json_t *child = json_object_get(o, tok);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(o, tok, child);
		}
		o = child;
		tok = next;
	}
}

int text_csv_import(FILE *in, const char *name, const struct text_csv_map *map, const struct text_import_opts *opts,
		    struct text_import_stats *stats, struct ml_err *err)
{
	struct text_import_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	struct text_csv_reader r;
	text_csv_reader_init(&r, in, name, opts->max_line);
	int rc = -1;
	int ncols = 0;
	/* The header. */
	int h = text_csv_next(&r, err);
	if (h <= 0) {
		if (h == 0)
			ml_err_set(err, ML_EINVAL, "'%s' is empty (a header row is required)", r.name);
		goto out;
	}
	ncols = r.nfields;
	for (int i = 0; i < map->n; i++) {
		struct text_csv_map_entry *e = &map->v[i];
		e->col = -1;
		for (int pass = 0; pass < 2 && e->col < 0; pass++)
			for (int c = 0; c < ncols; c++) {
				const char *hn = text_csv_field(&r, c);
				if (pass == 0 ? !strcmp(hn, e->column) : !strcasecmp(hn, e->column)) {
					e->col = c;
					break;
				}
			}
		if (e->col < 0) {
			ml_err_set(err, ML_EINVAL, "'%s': column '%s' (--map %s) is not in the header", r.name, e->column,
				   e->target);
			goto out;
		}
	}
	for (;;) {
		struct ml_err e = {0};
		int got = text_csv_next(&r, &e);
		if (got == 0)
			break;
		struct text_problem p = {.line = r.line, .entry = -1, .resource_type = "", .id = ""};
		if (got < 0) {
			if (e.code == ML_EIO) {
				*err = e;
				goto out;
			}
			stats->errors++;
			p.msg = r.err_what;
			p.line = r.err_line;
			p.column = r.err_col;
			if (opts->report)
				opts->report(opts->ctx, &p);
			continue;
		}
		if (r.nfields == 1 && r.flen[0] == 0) {
			stats->skipped++;
			continue;
		}
		char msg[200];
		if (r.nfields != ncols) {
			snprintf(msg, sizeof msg, "%d fields where the header has %d", r.nfields, ncols);
			goto bad_row;
		}
		const char *text = NULL, *patient = "", *ref = "";
		enum store_modality mod = STORE_MOD_TEXT;
		json_t *meta = json_object();
		bool bad = false;
		for (int i = 0; i < map->n && !bad; i++) {
			const struct text_csv_map_entry *me = &map->v[i];
			const char *v = text_csv_field(&r, me->col);
			size_t vlen = r.flen[me->col], off;
			if (!ml_utf8_valid(v, vlen, &off)) {
				snprintf(msg, sizeof msg, "column '%s' is not valid UTF-8 at byte %zu", me->column, off);
				bad = true;
			} else if (memchr(v, '\0', vlen)) {
				snprintf(msg, sizeof msg, "column '%s' contains a NUL byte", me->column);
				bad = true;
			} else if (!strcmp(me->target, "text")) {
				text = v;
				if (!vlen) {
					snprintf(msg, sizeof msg, "empty text in column '%s'", me->column);
					bad = true;
				}
			} else if (!strcmp(me->target, "patient")) {
				patient = v;
				if (vlen > 128 || v[strcspn(v, "\r\n\t")]) {
					snprintf(msg, sizeof msg, "patient key in column '%s' is longer than 128 bytes or has control characters",
						 me->column);
					bad = true;
				}
			} else if (!strcmp(me->target, "ref")) {
				ref = v;
			} else if (!strcmp(me->target, "modality")) {
				mod = !strcmp(v, "survey") ? STORE_MOD_SURVEY : !strcmp(v, "text") ? STORE_MOD_TEXT : 0;
				if (!mod) {
					snprintf(msg, sizeof msg, "modality in column '%s' must be text or survey", me->column);
					bad = true;
				}
			} else {
				meta_set_path(meta, me->target + 5, v);
			}
		}
		if (bad) {
			json_decref(meta);
			goto bad_row;
		}
		{
			char *meta_s = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(meta);
			if (!meta_s) {
				ml_err_set(err, ML_ENOMEM, "out of memory");
				goto out;
			}
			struct store_item it = {.project_id = opts->project_id, .modality = mod,
						.source = mod == STORE_MOD_SURVEY ? STORE_SRC_SURVEY : STORE_SRC_EHR,
						.patient_key = (char *)patient, .meta_json = meta_s, .text = (char *)text,
						.external_ref = (char *)ref, .visible = true};
			text_content_hash(text, strlen(text), it.content_hash);
			int erc = opts->emit ? opts->emit(opts->ctx, &it, err) : 0;
			free(meta_s);
			if (erc)
				goto out;
			stats->rows++;
		}
		continue;
	bad_row:
		stats->errors++;
		p.msg = msg;
		if (opts->report)
			opts->report(opts->ctx, &p);
	}
	rc = 0;
out:
	text_csv_reader_release(&r);
	return rc;
}
