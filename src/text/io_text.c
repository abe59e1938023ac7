/* io_text.c: the text module's import and export formats, registered with the io plug-in registry:
 * importers fhir and csv; exporters conll, spacy, brat, fhir and survey-csv. */
#include "io/io.h"
#include "label/label.h"
#include "text/text_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- importers ------------------------------------------------------------------------------------------ */

struct report_ctx {
	const char *path;
	io_emit_fn emit;
	void *emit_ctx;
	long shown;
};

/* Per-resource problems go to the log (ids and positions only); the first 1000, then a count. */
static void report(void *ctx, const struct text_problem *p)
{
	struct report_ctx *rc = ctx;
	if (++rc->shown > 1000)
		return;
	char where[96] = "";
	if (p->line && p->column)
		snprintf(where, sizeof where, "line %ld column %ld: ", p->line, p->column);
	else if (p->line && p->entry >= 0)
		snprintf(where, sizeof where, "line %ld entry %ld: ", p->line, p->entry);
	else if (p->line)
		snprintf(where, sizeof where, "line %ld: ", p->line);
	else if (p->entry >= 0)
		snprintf(where, sizeof where, "entry %ld: ", p->entry);
	char res[160] = "";
	if (p->resource_type && *p->resource_type)
		snprintf(res, sizeof res, "%s%s%s: ", p->resource_type, p->id && *p->id ? "/" : "", p->id ? p->id : "");
	ml_log(p->skipped_only ? ML_LOG_INFO : ML_LOG_WARN, "'%s': %s%s%s", rc->path, where, res, p->msg);
}

static int fwd_emit(void *ctx, const struct store_item *it, struct ml_err *err)
{
	struct report_ctx *rc = ctx;
	return rc->emit(rc->emit_ctx, it, err);
}

static int import_fhir(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx, struct ml_err *err)
{
	struct report_ctx rc = {.path = path, .emit = emit, .emit_ctx = ctx};
	struct text_import_opts o = {.project_id = opts->project_id, .emit = fwd_emit, .report = report, .ctx = &rc,
				     .max_line = opts->max_item_bytes ? opts->max_item_bytes : IO_MAX_ITEM_BYTES};
	struct text_import_stats st;
	if (text_fhir_import(path, &o, &st, err))
		return -1;
	ml_log(ML_LOG_INFO, "'%s': %ld documents, %ld survey responses, %ld observations and %ld conditions attached, "
			    "%ld patients, %ld rejected, %ld skipped",
	       path, st.documents, st.surveys, st.observations, st.conditions, st.patients, st.errors, st.skipped);
	return 0;
}

IO_IMPORTER(fhir, "fhir", ".fhir.json,.fhir.ndjson,.fhir.jsonl",
	    "FHIR R4 Bundle or Bulk Data NDJSON: DocumentReference, DiagnosticReport, QuestionnaireResponse; "
	    "Observation and Condition attached to their patient's items; Patient ids as keys",
	    import_fhir)

static int import_csv(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx, struct ml_err *err)
{
	if (!opts->options || !*opts->options)
		return ml_err_set(err, ML_EINVAL,
				  "csv import needs a column mapping: --format-opt text=COLUMN[,patient=COLUMN,ref=COLUMN,"
				  "meta.NAME=COLUMN]");
	struct text_csv_map map;
	if (text_csv_map_parse(opts->options, &map, err))
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f) {
		text_csv_map_release(&map);
		return ml_err_set(err, ML_EIO, "cannot open '%s': %s", path, strerror(errno));
	}
	struct report_ctx rc = {.path = path, .emit = emit, .emit_ctx = ctx};
	struct text_import_opts o = {.project_id = opts->project_id, .emit = fwd_emit, .report = report, .ctx = &rc,
				     .max_line = opts->max_item_bytes ? opts->max_item_bytes : IO_MAX_ITEM_BYTES};
	struct text_import_stats st;
	int r = text_csv_import(f, path, &map, &o, &st, err);
	fclose(f);
	text_csv_map_release(&map);
	if (!r)
		ml_log(ML_LOG_INFO, "'%s': %ld rows imported, %ld rejected, %ld blank", path, st.rows, st.errors, st.skipped);
	return r;
}

IO_IMPORTER(csv, "csv", ".csv",
	    "CSV (RFC 4180) with a header; --format-opt maps columns: text=note,patient=pid,ref=id,meta.visit=date",
	    import_csv)

/* BRAT: NAME.ann with its NAME.txt becomes one item carrying the annotation (kind gold). --format-opt
 * "control=ents,relations=rel" names the schema controls of the spans and relations. */
static void opt_value(const char *opts, const char *key, char *out, size_t n, const char *dflt)
{
	snprintf(out, n, "%s", dflt);
	size_t kl = strlen(key);
	for (const char *p = opts; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l > kl && !strncmp(p, key, kl) && p[kl] == '=')
			snprintf(out, n, "%.*s", (int)(l - kl - 1), p + kl + 1);
		p += l + (p[l] == ',');
	}
}

static int import_brat(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx, struct ml_err *err)
{
	size_t pl = strlen(path);
	if (pl < 4 || (strcasecmp(path + pl - 4, ".ann") && strcasecmp(path + pl - 4, ".txt")))
		return ml_err_set(err, ML_EINVAL, "'%s': a BRAT document is NAME.ann with NAME.txt beside it", path);
	char txtp[4096], annp[4096];
	snprintf(txtp, sizeof txtp, "%.*s.txt", (int)(pl - 4), path);
	snprintf(annp, sizeof annp, "%.*s.ann", (int)(pl - 4), path);
	size_t max = opts->max_item_bytes ? opts->max_item_bytes : IO_MAX_ITEM_BYTES;
	char *text = NULL, *ann = NULL;
	size_t tlen, alen, bad;
	struct text_doc d;
	text_doc_init(&d);
	struct ml_buf body;
	ml_buf_init(&body, 0);
	int rc = -1;
	if (ml_file_read(txtp, max, &text, &tlen, err) || ml_file_read(annp, max, &ann, &alen, err))
		goto out;
	if (!ml_utf8_valid(text, tlen, &bad)) {
		ml_err_set(err, ML_EINVAL, "'%s': invalid UTF-8 at byte %zu", txtp, bad);
		goto out;
	}
	if (text_brat_read(ann, alen, &d, err)) {
		io_err_at_line(err, annp, 0);
		goto out;
	}
	size_t ncp = ml_utf8_cp_count(text, tlen);
	char control[64], relc[64];
	opt_value(opts->options, "control", control, sizeof control, "entities");
	opt_value(opts->options, "relations", relc, sizeof relc, "relations");
	for (int i = 0; i < d.nspans; i++) {
		if (d.spans[i].end > ncp) {
			ml_err_set(err, ML_EINVAL, "'%s': %s ends at %u, past the end of the text (%zu characters)", annp,
				   d.spans[i].id, d.spans[i].end, ncp);
			goto out;
		}
		d.spans[i].control = text_doc_strdup(&d, control);
	}
	for (int i = 0; i < d.nrels; i++)
		d.rels[i].control = text_doc_strdup(&d, relc);
	if (text_doc_to_body(&d, text, tlen, &body)) {
		ml_err_set(err, ML_ENOMEM, "out of memory");
		goto out;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char ref[300];
	snprintf(ref, sizeof ref, "brat:%.*s", (int)strlen(base) - 4, base);
	struct store_item it = {.project_id = opts->project_id, .modality = STORE_MOD_TEXT,
				.source = opts->source ? opts->source : STORE_SRC_OTHER, .patient_key = "",
				.meta_json = "{}", .text = text, .external_ref = ref, .visible = true};
	text_content_hash(text, tlen, it.content_hash);
	if (emit(ctx, &it, err))
		goto out;
	if (opts->emit_annotation) {
		struct store_annotation a = {.body_json = body.data, .kind = "gold", .model = "brat-import"};
		if (opts->emit_annotation(ctx, &a, err))
			goto out;
	}
	rc = 0;
out:
	ml_free(text);
	ml_free(ann);
	ml_buf_release(&body);
	text_doc_release(&d);
	return rc;
}

IO_IMPORTER(brat, "brat", ".ann",
	    "BRAT standoff: NAME.ann + NAME.txt, one item with its spans, attributes, relations and codes (gold); "
	    "--format-opt control=NAME,relations=NAME",
	    import_brat)

/* ---- exporters: shared ---------------------------------------------------------------------------------- */

/* The annotation an item's single-label export uses: adjudicated, then gold, consensus, human, model; among
 * equals the most recent. */
static int kind_rank(const char *k)
{
	static const char *const order[] = {"model", "human", "consensus", "gold", "adjudicated"};
	for (int i = 0; i < (int)ML_ARRAY_LEN(order); i++)
		if (k && !strcmp(k, order[i]))
			return i + 1;
	return 0;
}

static const struct store_annotation *pick(const struct io_export_row *r)
{
	const struct store_annotation *best = NULL;
	for (size_t i = 0; i < r->nanns; i++) {
		const struct store_annotation *a = &r->anns[i];
		if (!best || kind_rank(a->kind) > kind_rank(best->kind) ||
		    (kind_rank(a->kind) == kind_rank(best->kind) &&
		     (a->created_at > best->created_at || (a->created_at == best->created_at && a->id > best->id))))
			best = a;
	}
	return best;
}

struct tx_state {
	struct label_schema *schema;
	struct text_fhir_writer fw;
	json_t *systems; /* ontology name -> system URI (fhir) */
	json_t *types;   /* BRAT: entity and relation types seen, for annotation.conf */
	json_t *rtypes;
};

static int tx_begin(struct io_export *ex, struct ml_err *err)
{
	struct tx_state *st = ml_calloc(1, sizeof *st);
	if (!st)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	ex->state = st;
	if (ex->schema_json && label_schema_parse(ex->schema_json, strlen(ex->schema_json), &st->schema, err))
		return -1;
	return 0;
}

static int tx_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	struct tx_state *st = ex->state;
	if (st) {
		label_schema_free(st->schema);
		json_decref(st->systems);
		json_decref(st->types);
		json_decref(st->rtypes);
		ml_free(st);
		ex->state = NULL;
	}
	return 0;
}

/* Loads the chosen annotation of a text row into d; 1 when the row has nothing to export. Choices whose
 * schema label carries a code (survey answers, classes) get that code. */
static int load_doc(struct io_export *ex, const struct io_export_row *r, struct text_doc *d, struct ml_err *err)
{
	struct tx_state *st = ex->state;
	const struct store_annotation *a = pick(r);
	if (!r->item->text || !a)
		return 1;
	long ncp = (long)ml_utf8_cp_count(r->item->text, strlen(r->item->text));
	if (text_doc_from_body(d, a->body_json ? a->body_json : "{\"results\":[]}", ncp, err)) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		return ml_err_set(err, ML_EINVAL, "item %lld, annotation %lld: %s", (long long)r->item->id, (long long)a->id, msg);
	}
	if (st && st->schema)
		for (int i = 0; i < d->nclasses; i++) {
			struct text_class *c = &d->classes[i];
			const struct label_control *ctl = c->control ? label_schema_control(st->schema, c->control) : NULL;
			const struct label_label *l = ctl && c->label ? label_control_label(ctl, c->label) : NULL;
			if (l && l->code && !c->code) {
				c->system = text_doc_strdup(d, l->code_system);
				c->code = text_doc_strdup(d, l->code);
				c->display = text_doc_strdup(d, l->code_display);
			}
		}
	text_doc_sort(d);
	return 0;
}

/* ---- conll, spacy ----------------------------------------------------------------------------------------- */

static int conll_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct text_doc d;
	text_doc_init(&d);
	int rc = load_doc(ex, r, &d, err);
	if (rc == 0)
		rc = text_export_conll(ex->out, r->item->text, strlen(r->item->text), &d, err);
	text_doc_release(&d);
	return rc < 0 ? -1 : 0;
}

IO_EXPORTER(conll, {.name = "conll", .extension = ".conll",
		    .summary = "CoNLL-2003 BIO tags per token (docs/text-formats.md describes the tokenizer)",
		    .begin = tx_begin, .row = conll_row, .end = tx_end})

static int spacy_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct text_doc d;
	text_doc_init(&d);
	int rc = load_doc(ex, r, &d, err);
	if (rc == 0) {
		json_t *m = json_pack("{s:I, s:s, s:s}", "item", (json_int_t)r->item->id, "external_ref",
				      r->item->external_ref ? r->item->external_ref : "", "patient_key",
				      r->item->patient_key ? r->item->patient_key : "");
		if (r->split)
			json_object_set_new(m, "split", json_string(r->split));
		char *ms = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(m);
		rc = ms ? text_export_spacy(ex->out, r->item->text, strlen(r->item->text), &d, ms, err)
			: ml_err_set(err, ML_ENOMEM, "out of memory");
		free(ms);
	}
	text_doc_release(&d);
	return rc < 0 ? -1 : 0;
}

IO_EXPORTER(spacy, {.name = "spacy", .extension = ".jsonl",
		    .summary = "spaCy-style JSON Lines: text, ents (code-point offsets, codes, attributes), relations, cats",
		    .begin = tx_begin, .row = spacy_row, .end = tx_end})

/* ---- brat ------------------------------------------------------------------------------------------------ */

static int brat_begin(struct io_export *ex, struct ml_err *err)
{
	if (!ex->out_dir)
		return ml_err_set(err, ML_EINVAL, "brat writes a folder of .txt/.ann files: give --out DIR/index.txt");
	if (tx_begin(ex, err))
		return -1;
	struct tx_state *st = ex->state;
	st->types = json_object();
	st->rtypes = json_object();
	return 0;
}

static int brat_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct tx_state *st = ex->state;
	struct text_doc d;
	text_doc_init(&d);
	int rc = load_doc(ex, r, &d, err);
	if (rc == 0) {
		char base[64];
		snprintf(base, sizeof base, "item-%lld", (long long)r->item->id);
		rc = text_export_brat(ex->out_dir, base, r->item->text, strlen(r->item->text), &d, err);
		/* The index (what the manifest hashes) lists the files with the content hash of the text. */
		if (!rc && fprintf(ex->out, "%s.txt\t%s.ann\t%s\n", base, base, r->item->content_hash) < 0)
			rc = ml_err_set(err, ML_EIO, "cannot write the BRAT index: %s", strerror(errno));
		for (int i = 0; i < d.nspans; i++)
			json_object_set_new(st->types, d.spans[i].label ? d.spans[i].label : "Entity", json_true());
		for (int i = 0; i < d.nrels; i++)
			json_object_set_new(st->rtypes, d.rels[i].label ? d.rels[i].label : "Relation", json_true());
	}
	text_doc_release(&d);
	return rc < 0 ? -1 : 0;
}

/* annotation.conf, so the folder opens in brat as is. */
static int brat_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	struct tx_state *st = ex->state;
	int rc = 0;
	if (ok && st) {
		struct ml_buf b;
		ml_buf_init(&b, 0);
		const char *k;
		json_t *v;
		int w = ml_buf_puts(&b, "[entities]\n");
		json_object_foreach(st->types, k, v)
		{
			for (const char *p = k; *p; p++)
				w |= ml_buf_putc(&b, *p == ' ' ? '_' : *p);
			w |= ml_buf_putc(&b, '\n');
		}
		w |= ml_buf_puts(&b, "\n[relations]\n");
		json_object_foreach(st->rtypes, k, v)
		{
			for (const char *p = k; *p; p++)
				w |= ml_buf_putc(&b, *p == ' ' ? '_' : *p);
			w |= ml_buf_puts(&b, "\tArg1:<ENTITY>, Arg2:<ENTITY>\n");
		}
		w |= ml_buf_puts(&b, "\n[events]\n\n[attributes]\nNegated\tArg:<ENTITY>\nUncertain\tArg:<ENTITY>\n"
				     "Historical\tArg:<ENTITY>\nFamily\tArg:<ENTITY>\n");
		char path[4200];
		snprintf(path, sizeof path, "%s/annotation.conf", ex->out_dir);
		rc = w ? ml_err_set(err, ML_ENOMEM, "out of memory") : ml_file_write_atomic(path, b.data, b.len, err);
		ml_buf_release(&b);
	}
	tx_end(ex, ok, err);
	return rc;
}

IO_EXPORTER(brat, {.name = "brat", .writes_folder = true, .extension = ".txt",
		   .summary = "BRAT standoff: item-ID.txt + item-ID.ann per item and annotation.conf in the --out folder",
		   .begin = brat_begin, .row = brat_row, .end = brat_end})

/* ---- fhir ------------------------------------------------------------------------------------------------ */

static int add_system(void *ctx, const struct text_ontology_info *i)
{
	json_object_set_new(ctx, i->name, json_string(i->system));
	return 0;
}

/* Ontology names as loaded here map to their system URIs; well-known names otherwise. */
static const char *uri_of(void *ctx, const char *name)
{
	struct tx_state *st = ctx;
	const char *u = name ? json_string_value(json_object_get(st->systems, name)) : NULL;
	if (u && strstr(u, ":"))
		return u;
	return text_code_system_uri(name);
}

static int fhir_begin(struct io_export *ex, struct ml_err *err)
{
	if (tx_begin(ex, err))
		return -1;
	struct tx_state *st = ex->state;
	st->systems = json_object();
	struct ml_err e;
	if (ex->data_dir && text_ontology_list(ex->data_dir, ex->project ? ex->project->id : -1, add_system, st->systems, &e))
		ml_log(ML_LOG_WARN, "ontology index unreadable: %s", e.msg);
	st->fw.uri_of = uri_of;
	st->fw.uri_ctx = st;
	if (text_fhir_writer_begin(&st->fw, ex->out))
		return ml_err_set(err, ML_EIO, "cannot write the Bundle: %s", strerror(errno));
	return 0;
}

static int fhir_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct tx_state *st = ex->state;
	struct text_doc d;
	text_doc_init(&d);
	int rc = load_doc(ex, r, &d, err);
	if (rc == 0)
		rc = text_fhir_writer_item(&st->fw, r->item, &d, err);
	text_doc_release(&d);
	return rc < 0 ? -1 : 0;
}

static int fhir_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	struct tx_state *st = ex->state;
	int rc = 0;
	if (ok && st)
		rc = text_fhir_writer_end(&st->fw, err);
	tx_end(ex, ok, err);
	return rc;
}

IO_EXPORTER(fhir, {.name = "fhir", .extension = ".json",
		   .summary = "FHIR R4 Bundle: each coded label a Condition / Observation / FamilyMemberHistory pointing "
			      "back to its source document",
		   .begin = fhir_begin, .row = fhir_row, .end = fhir_end})

/* ---- survey-csv ------------------------------------------------------------------------------------------- */

static int survey_begin(struct io_export *ex, struct ml_err *err)
{
	if (tx_begin(ex, err))
		return -1;
	return text_survey_csv_header(ex->out) ? ml_err_set(err, ML_EIO, "cannot write the CSV: %s", strerror(errno)) : 0;
}

static int survey_row_cb(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	if (r->item->modality != STORE_MOD_SURVEY)
		return 0;
	struct text_doc d;
	text_doc_init(&d);
	int rc = load_doc(ex, r, &d, err);
	if (rc == 1) { /* an uncoded response still gets its rows, with empty codes */
		text_doc_release(&d);
		text_doc_init(&d);
		rc = r->item->text ? 0 : 1;
	}
	if (rc == 0)
		rc = text_survey_csv_item(ex->out, r->item, &d, err);
	text_doc_release(&d);
	return rc < 0 ? -1 : 0;
}

IO_EXPORTER(survey_csv, {.name = "survey-csv", .extension = ".csv",
			 .summary = "survey codings: one CSV row per response x question, keyed by the pseudonymous patient",
			 .begin = survey_begin, .row = survey_row_cb, .end = tx_end})
