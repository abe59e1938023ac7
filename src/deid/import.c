/* import.c: de-identification on import: a project's "deid" setting, applied to each text item before it
 * is stored (or, in review mode, turned into hidden items with proposed PHI spans for a human to check). */
#include "deid/deid_int.h"

#include "auth/auth.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct deid_import {
	struct deid_import_cfg cfg;
	const struct deid_engine *engine; /* the process-wide one (deid_engine_shared) */
	uint8_t secret[AUTH_SECRET_MAX];
	size_t secret_len;
};

int deid_import_cfg_parse(const char *settings_json, struct deid_import_cfg *cfg, struct ml_err *err)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->mode = DEID_MODE_SURROGATE;
	snprintf(cfg->control, sizeof cfg->control, "%s", "phi");
	json_error_t je;
	json_t *root = json_loads(settings_json ? settings_json : "{}", 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return ml_err_set(err, ML_EINVAL, "project settings are not a JSON object");
	}
	int rc = deid_import_cfg_from_json(json_object_get(root, "deid"), cfg, err);
	json_decref(root);
	return rc;
}

int deid_import_cfg_from_json(const void *deid_obj, struct deid_import_cfg *cfg, struct ml_err *err)
{
	const json_t *d = deid_obj;
	memset(cfg, 0, sizeof *cfg);
	cfg->mode = DEID_MODE_SURROGATE;
	snprintf(cfg->control, sizeof cfg->control, "%s", "phi");
	if (!d || json_is_null(d))
		return 0; /* not required */
	if (!json_is_object(d))
		return ml_err_set(err, ML_EINVAL, "'deid' must be an object such as {\"text\": \"surrogate\"}");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)d, key, v)
	{
		if (!strcmp(key, "text")) {
			int m = json_is_string(v) ? deid_mode_parse(json_string_value(v)) : -1;
			if (m < 0 || m == DEID_MODE_NONE)
				return ml_err_set(err, ML_EINVAL, "'deid.text' must be \"surrogate\", \"tag\" or \"mask\"");
			cfg->mode = (enum deid_mode)m;
			cfg->enabled = true;
		} else if (!strcmp(key, "review")) {
			if (!json_is_boolean(v))
				return ml_err_set(err, ML_EINVAL, "'deid.review' must be true or false");
			cfg->review = json_is_true(v);
		} else if (!strcmp(key, "control")) {
			const char *c = json_string_value(v);
			if (!c || !*c || strlen(c) >= sizeof cfg->control)
				return ml_err_set(err, ML_EINVAL, "'deid.control' must be a control name of 1 to 64 bytes");
			snprintf(cfg->control, sizeof cfg->control, "%s", c);
		} else {
			return ml_err_set(err, ML_EINVAL, "'deid.%s' is not a de-identification setting (text, review, control)",
					  key);
		}
	}
	if (!cfg->enabled)
		return ml_err_set(err, ML_EINVAL, "'deid.text' is required (\"surrogate\", \"tag\" or \"mask\")");
	return 0;
}

/* One engine per process for imports and API calls: building one takes ~20 ms (dictionaries, JIT), which
 * would dominate a POST of one item; it is read-only once built, so every thread can share it. It lives
 * until the process exits. */
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;
static struct deid_engine *shared_engine;
static struct ml_err shared_err;

static void shared_build(void)
{
	shared_engine = deid_engine_new(&shared_err);
}

const struct deid_engine *deid_engine_shared(struct ml_err *err)
{
	pthread_once(&shared_once, shared_build);
	if (!shared_engine && err)
		*err = shared_err;
	return shared_engine;
}

int deid_import_new(const char *settings_json, const char *data_dir, struct deid_import **out, struct ml_err *err)
{
	*out = NULL;
	struct deid_import_cfg cfg;
	if (deid_import_cfg_parse(settings_json, &cfg, err) != 0)
		return -1;
	if (!cfg.enabled)
		return 0;
	struct deid_import *di = ml_calloc(1, sizeof *di);
	if (!di)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	di->cfg = cfg;
	if (auth_deployment_secret(data_dir, true, di->secret, &di->secret_len, err) != 0 ||
	    !(di->engine = deid_engine_shared(err))) {
		deid_import_free(di);
		return -1;
	}
	*out = di;
	return 0;
}

void deid_import_free(struct deid_import *di)
{
	if (!di)
		return;
	sodium_memzero(di->secret, sizeof di->secret);
	ml_free(di);
}

const struct deid_import_cfg *deid_import_config(const struct deid_import *di)
{
	return &di->cfg;
}

const struct deid_engine *deid_import_engine(const struct deid_import *di)
{
	return di->engine;
}

void deid_import_opts(const struct deid_import *di, const char *patient_key, struct deid_opts *o)
{
	deid_opts_init(o);
	o->mode = di->cfg.mode;
	o->secret = di->secret;
	o->secret_len = di->secret_len;
	o->patient_key = patient_key;
}

void deid_import_out_init(struct deid_import_out *o)
{
	memset(o, 0, sizeof *o);
}

void deid_import_out_release(struct deid_import_out *o)
{
	if (o->text)
		sodium_memzero(o->text, strlen(o->text));
	ml_free(o->text);
	ml_free(o->meta_json);
	ml_free(o->prediction_json);
	memset(o, 0, sizeof *o);
}

/* Collects meta[key] (a string or an array of strings) into a NULL-terminated list of borrowed pointers. */
static const char **known_list(json_t *meta, const char *key, size_t *n, struct ml_err *err, int *rc)
{
	*n = 0;
	json_t *v = json_object_get(meta, key);
	if (!v)
		return NULL;
	size_t cap = json_is_array(v) ? json_array_size(v) : 1;
	if (cap > 1000) {
		*rc = ml_err_set(err, ML_EINVAL, "meta.%s has more than 1000 entries", key);
		return NULL;
	}
	const char **l = ml_xcalloc(cap + 1, sizeof *l);
	if (json_is_string(v)) {
		l[(*n)++] = json_string_value(v);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e)) {
				ml_free(l);
				*rc = ml_err_set(err, ML_EINVAL, "meta.%s[%zu] must be a string", key, i);
				return NULL;
			}
			l[(*n)++] = json_string_value(e);
		}
	} else {
		ml_free(l);
		*rc = ml_err_set(err, ML_EINVAL, "meta.%s must be a string or an array of strings", key);
		return NULL;
	}
	return l;
}

/* The prediction body for review mode: one span result per PHI span (no "text": the proposal must not
 * copy PHI into one more table; the offsets point into the hidden item's text). */
static char *proposal_body(const struct deid_result *r, const char *control)
{
	json_t *res = json_array();
	for (size_t i = 0; i < r->nspans; i++) {
		const struct deid_span *sp = &r->spans[i];
		char id[32];
		snprintf(id, sizeof id, "deid%zu", i + 1);
		json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:I,s:I,s:f}", "id", id, "control", control, "label",
						     deid_type_name(sp->type), "start", (json_int_t)sp->start, "end",
						     (json_int_t)sp->end, "score", (double)sp->confidence));
	}
	json_t *body = json_pack("{s:i,s:o}", "format", 1, "results", res);
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	char *out = s ? ml_xstrdup(s) : NULL;
	free(s);
	return out;
}

int deid_import_apply(const struct deid_import *di, const struct store_item *in, struct deid_import_out *out,
		      struct ml_err *err)
{
	deid_import_out_init(out);
	json_error_t je;
	json_t *meta = json_loads(in->meta_json && *in->meta_json ? in->meta_json : "{}", 0, &je);
	if (!json_is_object(meta)) {
		json_decref(meta);
		return ml_err_set(err, ML_EINVAL, "item meta is not a JSON object");
	}
	int rc = 0;
	size_t nn = 0, nm = 0;
	const char **names = known_list(meta, "known_names", &nn, err, &rc);
	const char **mrns = rc ? NULL : known_list(meta, "known_mrns", &nm, err, &rc);
	struct deid_result r;
	deid_result_init(&r);
	if (rc == 0 && in->text) {
		struct deid_known known = {.names = names, .nnames = nn, .mrns = mrns, .nmrns = nm};
		struct deid_opts o;
		deid_import_opts(di, in->patient_key, &o);
		if (di->cfg.review)
			o.mode = DEID_MODE_NONE; /* spans only: the text is replaced once a human confirmed them */
		rc = deid_text(di->engine, in->text, strlen(in->text), &known, &o, &r, err);
	}
	if (rc == 0) {
		/* the identifiers themselves are PHI: they never reach the stored metadata */
		json_object_del(meta, "known_names");
		json_object_del(meta, "known_mrns");
		json_t *rec = json_pack("{s:s,s:s,s:I}", "engine", "medlabel-deid " ML_VERSION, "mode",
					in->text ? (const char *[]){"none", "tag", "mask", "surrogate"}[di->cfg.mode] : "none",
					"spans", (json_int_t)r.nspans);
		if (di->cfg.review && in->text)
			json_object_set_new(rec, "status", json_string("pending-review"));
		json_object_set_new(meta, "deid", rec);
		char *m = json_dumps(meta, JSON_COMPACT);
		out->meta_json = m ? ml_xstrdup(m) : NULL;
		free(m);
		out->visible = in->visible;
		if (!in->text) {
			/* media items are de-identified by their own format (DICOM); nothing to do here */
		} else if (di->cfg.review) {
			out->visible = false;
			out->text = ml_xstrdup(in->text);
			out->prediction_json = proposal_body(&r, di->cfg.control);
		} else {
			out->text = ml_xstrdup(r.text);
		}
		if (out->text)
			store_hash_hex(out->text, strlen(out->text), out->content_hash);
		if (!out->meta_json || (in->text && di->cfg.review && !out->prediction_json))
			rc = ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	if (r.text)
		sodium_memzero(r.text, r.text_len);
	deid_result_release(&r);
	ml_free(names);
	ml_free(mrns);
	json_decref(meta);
	if (rc)
		deid_import_out_release(out);
	return rc;
}

/* ---- review mode ----------------------------------------------------------------------------------- */

struct review_pick {
	char *body; /* latest human annotation body (owned) */
	int64_t at;
	bool proposal;
	int64_t ann_id; /* the annotation it came from (0: a proposal or a body given by the caller) */
	int ann_version, ann_schema;
};

static int pick_annotation(void *ctx, const struct store_annotation *a)
{
	struct review_pick *pk = ctx;
	if (a->model || (pk->body && a->created_at < pk->at))
		return 0;
	ml_free(pk->body);
	pk->body = ml_xstrdup(a->body_json ? a->body_json : "{}");
	pk->at = a->created_at;
	pk->ann_id = a->id;
	pk->ann_version = a->version;
	pk->ann_schema = a->schema_version;
	return 0;
}

static int pick_prediction(void *ctx, const struct store_prediction *p)
{
	struct review_pick *pk = ctx;
	if (!p->model || strcmp(p->model, "medlabel-deid") != 0)
		return 0;
	ml_free(pk->body);
	pk->body = ml_xstrdup(p->body_json ? p->body_json : "{}");
	pk->proposal = true;
	return 0;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct deid_cand *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* The body's spans of the policy's control, in bytes of text, sorted; overlapping ones are merged. */
static int body_spans(const char *body, const char *control, const char *text, size_t len, struct deid_cand **out,
		      size_t *n, struct ml_err *err)
{
	*out = NULL;
	*n = 0;
	json_error_t je;
	json_t *b = json_loads(body, 0, &je);
	json_t *res = json_object_get(b, "results");
	if (!json_is_array(res)) {
		json_decref(b);
		return ml_err_set(err, ML_EINVAL, "the review annotation has no 'results' list");
	}
	size_t ncp = ml_utf8_cp_count(text, len);
	/* byte offset of every code point, so spans convert in O(1) */
	size_t *at = ml_calloc(ncp + 1, sizeof *at);
	struct deid_cand *c = ml_calloc(json_array_size(res) + 1, sizeof *c);
	if (!at || !c) {
		ml_free(at);
		ml_free(c);
		json_decref(b);
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	for (size_t i = 0, k = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			at[k++] = i;
	at[ncp] = len;
	size_t i, m = 0;
	json_t *r;
	int rc = 0;
	json_array_foreach(res, i, r)
	{
		const char *ctl = json_string_value(json_object_get(r, "control"));
		if (!ctl || strcmp(ctl, control) != 0)
			continue;
		json_t *js = json_object_get(r, "start"), *je2 = json_object_get(r, "end");
		const char *label = json_string_value(json_object_get(r, "label"));
		if (!json_is_integer(js) || !json_is_integer(je2) || json_integer_value(js) < 0 ||
		    json_integer_value(js) >= json_integer_value(je2) || (size_t)json_integer_value(je2) > ncp) {
			rc = ml_err_set(err, ML_EINVAL, "/results/%zu: span outside the text (%zu code points)", i, ncp);
			break;
		}
		int type = label ? deid_type_parse(label, strlen(label)) : -1;
		c[m].start = (uint32_t)at[json_integer_value(js)];
		c[m].end = (uint32_t)at[json_integer_value(je2)];
		c[m].type = (uint8_t)(type >= 0 ? type : DEID_IDNUM); /* a reviewer's own label: tagged generically */
		c[m].source = DEID_SRC_CONTEXT;
		m++;
	}
	ml_free(at);
	json_decref(b);
	if (rc) {
		ml_free(c);
		return -1;
	}
	qsort(c, m, sizeof *c, cmp_cand);
	size_t w = 0;
	for (size_t k = 0; k < m; k++) {
		if (w && c[k].start < c[w - 1].end) {
			if (c[k].end > c[w - 1].end)
				c[w - 1].end = c[k].end;
			continue;
		}
		c[w++] = c[k];
	}
	*out = c;
	*n = w;
	return 0;
}

/* Byte offset of code point cp in text (clamped to its end). */
static size_t cp_byte(const char *text, size_t len, size_t cp)
{
	size_t i = 0;
	for (size_t k = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80 && k++ == cp)
			return i;
	return len;
}

/* The reviewed annotation rewritten for the de-identified text: every result with integer start/end is
 * mapped to the output's offsets and its "text" (which quoted PHI) replaced by the output's. NULL on OOM
 * or when the body does not parse (the caller then fails rather than leave PHI in the latest version). */
static char *remap_body(const char *body, const struct deid_result *r)
{
	json_error_t je;
	json_t *b = json_loads(body, 0, &je);
	json_t *res = json_object_get(b, "results");
	if (!json_is_array(res)) {
		json_decref(b);
		return NULL;
	}
	size_t i;
	json_t *x;
	json_array_foreach(res, i, x)
	{
		json_t *js = json_object_get(x, "start"), *je2 = json_object_get(x, "end");
		if (!json_is_integer(js) || !json_is_integer(je2) || json_integer_value(js) < 0 ||
		    json_integer_value(je2) < json_integer_value(js))
			continue;
		size_t a, e;
		deid_map_span_to_output(r, (size_t)json_integer_value(js), (size_t)json_integer_value(je2), &a, &e);
		json_object_set_new(x, "start", json_integer((json_int_t)a));
		json_object_set_new(x, "end", json_integer((json_int_t)e));
		if (json_object_get(x, "text")) {
			size_t ba = cp_byte(r->text, r->text_len, a), be = cp_byte(r->text, r->text_len, e);
			json_object_set_new(x, "text", json_stringn(r->text + ba, be - ba));
		}
	}
	char *txt = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	char *out = txt ? ml_xstrdup(txt) : NULL;
	free(txt);
	return out;
}

/* The item's metadata with meta.deid saying it was released after review (NULL when it does not parse). */
static char *released_meta(const char *meta_json, size_t nspans)
{
	json_error_t je;
	json_t *m = json_loads(meta_json && *meta_json ? meta_json : "{}", 0, &je);
	if (!json_is_object(m)) {
		json_decref(m);
		return NULL;
	}
	json_t *rec = json_object_get(m, "deid");
	if (!json_is_object(rec)) {
		rec = json_object();
		json_object_set_new(m, "deid", rec);
	}
	json_object_set_new(rec, "status", json_string("released"));
	json_object_set_new(rec, "spans", json_integer((json_int_t)nspans));
	char *txt = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	char *out = txt ? ml_xstrdup(txt) : NULL;
	free(txt);
	return out;
}

int deid_review_apply(struct store *s, const struct deid_import *di, const struct store_task *t,
		      const char *reviewed_body, bool accept_proposal, bool *applied, struct ml_err *err)
{
	*applied = false;
	struct store_item it;
	if (store_item_get(s, t->item_id, &it, err) != 0)
		return -1;
	int rc = 0;
	struct review_pick pk = {0};
	struct deid_cand *c = NULL;
	size_t n = 0;
	struct deid_result r;
	deid_result_init(&r);
	if (it.visible || !it.text || !strstr(it.meta_json ? it.meta_json : "", "\"pending-review\""))
		goto done;
	if (reviewed_body)
		pk.body = ml_xstrdup(reviewed_body);
	else if ((rc = store_annotation_list(s, t->id, 0, pick_annotation, &pk, err)) != 0)
		goto done;
	if (!pk.body && accept_proposal && (rc = store_prediction_list(s, t->id, pick_prediction, &pk, err)) != 0)
		goto done;
	if (!pk.body)
		goto done;
	size_t len = strlen(it.text);
	if ((rc = body_spans(pk.body, di->cfg.control, it.text, len, &c, &n, err)) != 0)
		goto done;
	struct deid_opts o;
	deid_import_opts(di, it.patient_key, &o);
	r.in_ncp = ml_utf8_cp_count(it.text, len);
	if ((rc = deid_replace(di->engine, it.text, len, c, n, &o, &r, err)) != 0)
		goto done;
	char hash[65];
	store_hash_hex(r.text, r.text_len, hash);
	if ((rc = store_begin(s, err)) != 0)
		goto done;
	rc = store_item_set_text(s, it.id, r.text, hash, err);
	if (rc == 0 && pk.ann_id) {
		/* the reviewer's annotation quoted the PHI it marked and points into the old text: its next
		 * version (what exports take) points into the new text and quotes that instead */
		char *nb = remap_body(pk.body, &r);
		int nv;
		rc = nb ? store_annotation_update(s, pk.ann_id, pk.ann_version, nb, pk.ann_schema, 0, 0, true, &nv, err)
			: ml_err_set(err, ML_EINVAL, "the review annotation of task %lld does not parse", (long long)t->id);
		ml_free(nb);
	}
	if (rc == 0) {
		/* meta.deid.status says what happened to the item: "released" once the reviewed text replaced
		 * the original (spans: how many the review replaced) */
		char *nm = released_meta(it.meta_json, n);
		rc = nm ? store_item_set_meta(s, it.id, nm, err)
			: ml_err_set(err, ML_EINVAL, "the metadata of item %lld does not parse", (long long)it.id);
		ml_free(nm);
	}
	if (rc == 0 && (rc = store_item_set_visible(s, it.id, true, err)) == 0)
		rc = store_commit(s, err);
	else
		store_rollback(s);
	*applied = rc == 0;
done:
	ml_free(pk.body);
	ml_free(c);
	deid_result_release(&r);
	store_item_release(&it);
	return rc;
}
