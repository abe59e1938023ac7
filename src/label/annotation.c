/* annotation.c: checking an annotation body (a list of results) against its labeling schema. */
#include "label/label_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What pass 1 learns about each result, for the cross-result checks of pass 2. */
struct res {
	const char *id;
	const struct label_control *c;
	size_t ci; /* index of c in the schema */
	const char *label;
	const char *region, *from, *to, *question;
	long long start, end; /* spans */
	long long frame;      /* masks: -1 when none */
	uint64_t *runs;       /* masks: [start, end) pixel intervals of ones, pairs */
	size_t nruns;
};

struct av {
	const struct label_schema *s;
	const struct label_item_ctx *ctx;
	struct ml_err *err;
	struct lptr p;
	int64_t text_cp; /* -1 unknown */
	struct ml_cp_index ix; /* byte offset of each code point of ctx->text, when given */
	struct res *res;
	size_t nres;
	/* id lookup: open addressing over result indices + 1 (0 = empty) */
	size_t *tab;
	size_t tabsize;
};

/* Ids and keys come from the request: a keyed hash (SipHash, random key per process) keeps anyone from
 * crafting a body whose ids all collide and turn the linear checks quadratic. Lookups never depend on
 * the table's order, so results stay deterministic. */
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_key_init(void)
{
	if (sodium_init() >= 0)
		randombytes_buf(hash_key, sizeof hash_key);
	else
		memset(hash_key, 0x5a, sizeof hash_key); /* no randomness: still correct, just predictable */
}

static uint64_t hash_str(const char *s)
{
	pthread_once(&hash_once, hash_key_init);
	unsigned char out[crypto_shorthash_BYTES];
	crypto_shorthash(out, (const unsigned char *)s, strlen(s), hash_key);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h;
}

/* Returns the index of the result with this id, or (size_t)-1. */
static size_t find_id(const struct av *v, const char *id)
{
	for (size_t h = hash_str(id) & (v->tabsize - 1);; h = (h + 1) & (v->tabsize - 1)) {
		if (!v->tab[h])
			return (size_t)-1;
		if (strcmp(v->res[v->tab[h] - 1].id, id) == 0)
			return v->tab[h] - 1;
	}
}

static void add_id(struct av *v, size_t idx)
{
	size_t h = hash_str(v->res[idx].id) & (v->tabsize - 1);
	while (v->tab[h])
		h = (h + 1) & (v->tabsize - 1);
	v->tab[h] = idx + 1;
}

/* A string -> result index map for the cross-result checks (one key per result at most), so that
 * "one result per region", "one per question" and "no duplicate relation" stay linear. */
struct smap {
	struct ml_arena arena;
	const char **keys;
	size_t *vals;
	size_t cap;
};

static void smap_init(struct smap *m, size_t n)
{
	ml_arena_init(&m->arena, 16384);
	for (m->cap = 16; m->cap < 2 * n + 2; m->cap *= 2)
		;
	m->keys = ml_xcalloc(m->cap, sizeof *m->keys);
	m->vals = ml_xcalloc(m->cap, sizeof *m->vals);
}

static void smap_release(struct smap *m)
{
	ml_free(m->keys);
	ml_free(m->vals);
	ml_arena_release(&m->arena);
}

/* Returns the index stored under key, or (size_t)-1 (and stores v when put is true). */
static size_t smap_find(struct smap *m, const char *key, bool put, size_t v)
{
	size_t h = hash_str(key) & (m->cap - 1);
	for (; m->keys[h]; h = (h + 1) & (m->cap - 1))
		if (strcmp(m->keys[h], key) == 0)
			return m->vals[h];
	if (put) {
		m->keys[h] = ml_arena_strdup(&m->arena, key);
		m->vals[h] = v;
	}
	return (size_t)-1;
}

/* ---- small readers --------------------------------------------------------------------------------- */

static int get_label(struct av *v, json_t *o, struct res *r)
{
	if (lget_str(o, "label", true, LABEL_MAX_VALUE, &r->label, &v->p, v->err))
		return -1;
	if (!label_control_label(r->c, r->label))
		return lerr(v->err, &v->p, "label", "label '%.64s' is not a label of control '%s'", r->label, r->c->name);
	return 0;
}

static int get_frame(struct av *v, json_t *o, const char *key, bool required, long long *frame)
{
	*frame = -1;
	if (lget_int(o, key, required, 0, 1000000000, frame, &v->p, v->err))
		return -1;
	if (*frame >= 0 && v->ctx && v->ctx->frames > 0 && *frame >= v->ctx->frames)
		return lerr(v->err, &v->p, key, "frame %lld is past the last frame of the item (%d frames)", *frame,
			    v->ctx->frames);
	return 0;
}

static bool have_size(const struct av *v)
{
	return v->ctx && v->ctx->width > 0 && v->ctx->height > 0;
}

/* A point [x, y] or the pair (x, y) read from fields: inside the image when its size is known. */
static int check_point(struct av *v, double x, double y, const char *key)
{
	if (have_size(v) && (x > v->ctx->width || y > v->ctx->height))
		return lerr(v->err, &v->p, key, "point (%g, %g) is outside the image (%dx%d)", x, y, v->ctx->width,
			    v->ctx->height);
	return 0;
}

static int get_points(struct av *v, json_t *o, const char *key, size_t minn, const char *shape)
{
	json_t *arr;
	if (lget_arr(o, key, true, 0, 1000000, &arr, &v->p, v->err))
		return -1;
	if (json_array_size(arr) < minn)
		return lerr(v->err, &v->p, key, "a %s needs at least %zu points, got %zu", shape, minn,
			    json_array_size(arr));
	size_t old = lptr_key(&v->p, key);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *pt = json_array_get(arr, i);
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", i);
		if (!json_is_array(pt) || json_array_size(pt) != 2 || !json_is_number(json_array_get(pt, 0)) ||
		    !json_is_number(json_array_get(pt, 1)))
			return lerr(v->err, &v->p, idx, "expected a point [x, y]");
		double x = json_number_value(json_array_get(pt, 0)), y = json_number_value(json_array_get(pt, 1));
		if (x < 0 || y < 0)
			return lerr(v->err, &v->p, idx, "expected coordinates >= 0");
		if (check_point(v, x, y, idx))
			return -1;
	}
	lptr_pop(&v->p, old);
	return 0;
}

/* A box x, y, w, h read from o (an annotation result or a video keyframe). */
static int get_box(struct av *v, json_t *o)
{
	double x = 0, y = 0, w = 0, h = 0;
	if (lget_num(o, "x", true, 0, &x, &v->p, v->err) || lget_num(o, "y", true, 0, &y, &v->p, v->err) ||
	    lget_num(o, "w", true, 0, &w, &v->p, v->err) || lget_num(o, "h", true, 0, &h, &v->p, v->err))
		return -1;
	if (w <= 0)
		return lerr(v->err, &v->p, "w", "expected a width > 0");
	if (h <= 0)
		return lerr(v->err, &v->p, "h", "expected a height > 0");
	if (have_size(v) && (x + w > v->ctx->width || y + h > v->ctx->height))
		return lerr(v->err, &v->p, NULL, "box (%g, %g, %g x %g) extends outside the image (%dx%d)", x, y, w, h,
			    v->ctx->width, v->ctx->height);
	return 0;
}

static int get_angle(struct av *v, json_t *o)
{
	double a = 0;
	if (lget_num(o, "angle", false, -360, &a, &v->p, v->err))
		return -1;
	if (a > 360)
		return lerr(v->err, &v->p, "angle", "expected an angle in degrees from -360 to 360");
	return 0;
}

/* Run-length encoded mask {size: [height, width], counts: [...]}: runs alternate 0s and 1s, row-major,
 * starting with 0s. Collects the intervals of 1s into r->runs for the overlap check. */
static int get_rle(struct av *v, json_t *o, struct res *r)
{
	json_t *rle = json_object_get(o, "rle");
	if (!rle)
		return lerr(v->err, &v->p, NULL, "missing required field 'rle'");
	size_t old = lptr_key(&v->p, "rle");
	static const char *const keys[] = {"size", "counts", NULL};
	if (!json_is_object(rle))
		return lerr(v->err, &v->p, NULL, "expected an object {size: [height, width], counts: [...]}");
	if (lcheck_keys(rle, keys, "an RLE mask", &v->p, v->err))
		return -1;
	json_t *size, *counts;
	if (lget_arr(rle, "size", true, 2, 2, &size, &v->p, v->err))
		return -1;
	json_t *hj = json_array_get(size, 0), *wj = json_array_get(size, 1);
	if (!json_is_integer(hj) || !json_is_integer(wj) || json_integer_value(hj) < 1 || json_integer_value(wj) < 1 ||
	    json_integer_value(hj) > 65535 || json_integer_value(wj) > 65535)
		return lerr(v->err, &v->p, "size", "expected [height, width], integers from 1 to 65535");
	long long hh = json_integer_value(hj), ww = json_integer_value(wj);
	if (have_size(v) && (hh != v->ctx->height || ww != v->ctx->width))
		return lerr(v->err, &v->p, "size", "mask size %lldx%lld (width x height) does not match the image (%dx%d)",
			    ww, hh, v->ctx->width, v->ctx->height);
	if (lget_arr(rle, "counts", true, 1, 0, &counts, &v->p, v->err))
		return -1;
	uint64_t total = (uint64_t)hh * (uint64_t)ww, pos = 0;
	size_t n = json_array_size(counts);
	if (r) {
		r->runs = ml_xmalloc((n / 2 + 1) * 2 * sizeof *r->runs);
		r->nruns = 0;
	}
	size_t o2 = lptr_key(&v->p, "counts");
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(counts, i);
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", i);
		if (!json_is_integer(c) || json_integer_value(c) < 0)
			return lerr(v->err, &v->p, idx, "expected a run length (an integer >= 0)");
		uint64_t len = (uint64_t)json_integer_value(c);
		if (len == 0 && i > 0)
			return lerr(v->err, &v->p, idx, "empty run; only the first run (of 0s) may be 0");
		if (len > total - pos)
			return lerr(v->err, &v->p, idx, "runs cover more than the %llu pixels of the mask",
				    (unsigned long long)total);
		if (r && (i & 1)) {
			r->runs[2 * r->nruns] = pos;
			r->runs[2 * r->nruns + 1] = pos + len;
			r->nruns++;
		}
		pos += len;
	}
	lptr_pop(&v->p, o2);
	if (pos != total)
		return lerr(v->err, &v->p, "counts", "runs cover %llu pixels, expected %lld x %lld = %llu",
			    (unsigned long long)pos, hh, ww, (unsigned long long)total);
	lptr_pop(&v->p, old);
	return 0;
}

static int get_attributes(struct av *v, json_t *o, const struct label_control *c)
{
	json_t *at = json_object_get(o, "attributes");
	if (at && !json_is_object(at))
		return lerr(v->err, &v->p, "attributes", "expected an object of attribute values");
	if (at) {
		size_t old = lptr_key(&v->p, "attributes");
		const char *key;
		json_t *val;
		json_object_foreach(at, key, val) {
			const struct label_attribute *a = label_control_attribute(c, key);
			if (!a)
				return lerr(v->err, &v->p, key, "unknown attribute '%.64s' for control '%s'", key, c->name);
			if (a->type == LABEL_ATTR_BOOLEAN && !json_is_boolean(val))
				return lerr(v->err, &v->p, key, "expected true or false");
			if (a->type != LABEL_ATTR_BOOLEAN && (!json_is_string(val) || json_string_length(val) == 0))
				return lerr(v->err, &v->p, key, "expected a non-empty string");
			if (a->type == LABEL_ATTR_TEXT && json_string_length(val) > LABEL_MAX_TEXT)
				return lerr(v->err, &v->p, key, "expected at most %d bytes", LABEL_MAX_TEXT);
			if (a->type == LABEL_ATTR_CHOICE) {
				bool found = false;
				for (size_t i = 0; i < a->nvalues && !found; i++)
					found = strcmp(a->values[i], json_string_value(val)) == 0;
				if (!found)
					return lerr(v->err, &v->p, key, "value '%.64s' is not one of attribute '%s''s values",
						    json_string_value(val), a->name);
			}
		}
		lptr_pop(&v->p, old);
	}
	for (size_t i = 0; i < c->nattributes; i++)
		if (c->attributes[i].required && (!at || !json_object_get(at, c->attributes[i].name)))
			return lerr(v->err, &v->p, at ? "attributes" : NULL, "missing required attribute '%s'",
				    c->attributes[i].name);
	return 0;
}

static int get_codes_in(struct av *v, json_t *o, const struct label_control *c, bool required, bool multiple,
			struct smap *seen);

static int get_codes(struct av *v, json_t *o, const struct label_control *c, bool required, bool multiple)
{
	/* most results carry one or two codes: compare those directly, hash only longer lists */
	json_t *arr = json_object_get(o, "codes");
	if (!json_is_array(arr) || json_array_size(arr) <= 8)
		return get_codes_in(v, o, c, required, multiple, NULL);
	struct smap seen;
	smap_init(&seen, json_array_size(arr));
	int rc = get_codes_in(v, o, c, required, multiple, &seen);
	smap_release(&seen);
	return rc;
}

static int get_codes_in(struct av *v, json_t *o, const struct label_control *c, bool required, bool multiple,
			struct smap *seen)
{
	json_t *arr;
	if (lget_arr(o, "codes", required, 1, 1000, &arr, &v->p, v->err))
		return -1;
	if (!arr)
		return 0;
	if (!multiple && json_array_size(arr) > 1)
		return lerr(v->err, &v->p, "codes", "control '%s' takes one code, got %zu", c->name, json_array_size(arr));
	static const char *const keys[] = {"system", "code", "version", "display", NULL};
	size_t old = lptr_key(&v->p, "codes");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *co = json_array_get(arr, i);
		size_t o2 = lptr_idx(&v->p, i);
		const char *sys = NULL, *code = NULL, *ver = NULL, *disp = NULL;
		if (!json_is_object(co))
			return lerr(v->err, &v->p, NULL, "expected a code object {system, code, version, display}");
		if (lcheck_keys(co, keys, "a code", &v->p, v->err) ||
		    lget_str(co, "system", true, LABEL_MAX_VALUE, &sys, &v->p, v->err) ||
		    lget_str(co, "code", true, LABEL_MAX_VALUE, &code, &v->p, v->err) ||
		    lget_str(co, "version", false, LABEL_MAX_VALUE, &ver, &v->p, v->err) ||
		    lget_str(co, "display", false, LABEL_MAX_TEXT, &disp, &v->p, v->err))
			return -1;
		const struct label_coding *cod = NULL;
		for (size_t k = 0; k < c->ncodings && !cod; k++)
			if (strcmp(c->codings[k].system, sys) == 0)
				cod = &c->codings[k];
		if (!cod)
			return lerr(v->err, &v->p, "system", "code system '%.64s' is not allowed by control '%s'", sys,
				    c->name);
		if (cod->version && !ver)
			return lerr(v->err, &v->p, NULL, "missing required field 'version' (control '%s' uses %s version %s)",
				    c->name, cod->system, cod->version);
		if (cod->version && strcmp(cod->version, ver) != 0)
			return lerr(v->err, &v->p, "version", "version '%.64s' does not match the control's %s version %s",
				    ver, cod->system, cod->version);
		if (!lvalue_ok(code))
			return lerr(v->err, &v->p, "code", "expected a code without control characters or leading or "
				    "trailing spaces");
		size_t k = (size_t)-1;
		if (seen) {
			/* the system is one of the control's (a value without control characters), so \x1f separates */
			char *key = ml_xasprintf("%s\x1f%s", sys, code);
			k = smap_find(seen, key, true, i);
			ml_free(key);
		} else {
			for (size_t j = 0; j < i && k == (size_t)-1; j++) {
				json_t *prev = json_array_get(arr, j);
				if (strcmp(json_string_value(json_object_get(prev, "system")), sys) == 0 &&
				    strcmp(json_string_value(json_object_get(prev, "code")), code) == 0)
					k = j;
			}
		}
		if (k != (size_t)-1)
			return lerr(v->err, &v->p, "code", "duplicate code %s %.64s, already at index %zu", sys, code, k);
		if (v->ctx && v->ctx->code_check) {
			int rc = v->ctx->code_check(v->ctx->code_check_arg, sys, ver ? ver : cod->version, code, cod->subtree);
			if (rc == 1)
				return lerr(v->err, &v->p, "code", "code '%.64s' is not in %s", code, sys);
			if (rc == 2)
				return lerr(v->err, &v->p, "code", "code '%.64s' is not under %s in %s", code, cod->subtree, sys);
		}
		lptr_pop(&v->p, o2);
	}
	lptr_pop(&v->p, old);
	return 0;
}

static int get_choices(struct av *v, json_t *o, const struct label_control *c)
{
	json_t *arr;
	if (lget_arr(o, "choices", true, 1, LABEL_MAX_LABELS, &arr, &v->p, v->err))
		return -1;
	if (!c->multiple && json_array_size(arr) > 1)
		return lerr(v->err, &v->p, "choices", "control '%s' takes one choice, got %zu", c->name,
			    json_array_size(arr));
	size_t old = lptr_key(&v->p, "choices");
	uint8_t *seen = ml_xcalloc(c->nlabels / 8 + 1, 1); /* one bit per label of the control */
	int rc = 0;
	for (size_t i = 0; i < json_array_size(arr) && !rc; i++) {
		json_t *ch = json_array_get(arr, i);
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", i);
		const struct label_label *l = json_is_string(ch) ? label_control_label(c, json_string_value(ch)) : NULL;
		if (!json_is_string(ch)) {
			rc = lerr(v->err, &v->p, idx, "expected a label value");
		} else if (!l) {
			rc = lerr(v->err, &v->p, idx, "label '%.64s' is not a label of control '%s'", json_string_value(ch),
				  c->name);
		} else {
			size_t li = (size_t)(l - c->labels);
			if (seen[li / 8] & (1u << (li % 8)))
				rc = lerr(v->err, &v->p, idx, "duplicate choice '%.64s'", json_string_value(ch));
			seen[li / 8] |= (uint8_t)(1u << (li % 8));
		}
	}
	ml_free(seen);
	if (!rc)
		lptr_pop(&v->p, old);
	return rc;
}

/* ---- one result, by kind ------------------------------------------------------------------------------ */

static const char *const *result_keys(const struct label_control *c)
{
#define RC "id", "control", "score"
	static const char *const classification[] = {RC, "choices", NULL};
	static const char *const classification_r[] = {RC, "choices", "region", NULL};
	static const char *const span[] = {RC, "label", "start", "end", "text", "attributes", NULL};
	static const char *const span_c[] = {RC, "label", "start", "end", "text", "attributes", "codes", NULL};
	static const char *const relation[] = {RC, "label", "from", "to", NULL};
	static const char *const coded[] = {RC, "codes", NULL};
	static const char *const coded_r[] = {RC, "codes", "region", NULL};
	static const char *const text[] = {RC, "text", NULL};
	static const char *const text_r[] = {RC, "text", "region", NULL};
	static const char *const box[] = {RC, "label", "x", "y", "w", "h", "frame", "attributes", NULL};
	static const char *const rbox[] = {RC, "label", "cx", "cy", "w", "h", "angle", "frame", "attributes", NULL};
	static const char *const poly[] = {RC, "label", "points", "frame", "attributes", NULL};
	static const char *const kp[] = {RC, "label", "keypoints", "frame", "attributes", NULL};
	static const char *const ellipse[] = {RC, "label", "cx", "cy", "rx", "ry", "angle", "frame", "attributes", NULL};
	static const char *const mask[] = {RC, "label", "rle", "frame", "attributes", NULL};
	static const char *const obj3d[] = {RC, "label", "parts", "attributes", NULL};
	static const char *const audio[] = {RC, "label", "start", "end", "attributes", NULL};
	static const char *const audio_t[] = {RC, "label", "start", "end", "text", "attributes", NULL};
	static const char *const video[] = {RC, "label", "keyframes", "attributes", NULL};
	static const char *const survey[] = {RC, "question", "choices", NULL};
	static const char *const survey_c[] = {RC, "question", "choices", "codes", NULL};
#undef RC
	switch (c->kind) {
	case LABEL_KIND_CLASSIFICATION: return c->target ? classification_r : classification;
	case LABEL_KIND_SPAN: return c->ncodings ? span_c : span;
	case LABEL_KIND_RELATION: return relation;
	case LABEL_KIND_CODED: return c->target ? coded_r : coded;
	case LABEL_KIND_TEXT: return c->target ? text_r : text;
	case LABEL_KIND_BOX: return box;
	case LABEL_KIND_ROTATED_BOX: return rbox;
	case LABEL_KIND_POLYGON:
	case LABEL_KIND_POLYLINE: return poly;
	case LABEL_KIND_KEYPOINTS: return kp;
	case LABEL_KIND_ELLIPSE: return ellipse;
	case LABEL_KIND_MASK: return mask;
	case LABEL_KIND_OBJECT3D: return obj3d;
	case LABEL_KIND_AUDIO_SEGMENT: return c->transcription ? audio_t : audio;
	case LABEL_KIND_VIDEO_TRACK: return video;
	case LABEL_KIND_SURVEY_CODE: return c->ncodings ? survey_c : survey;
	default: return classification;
	}
}

static int check_span(struct av *v, json_t *o, struct res *r)
{
	const char *text = NULL;
	if (get_label(v, o, r) || lget_int(o, "start", true, 0, INT64_MAX, &r->start, &v->p, v->err) ||
	    lget_int(o, "end", true, 0, INT64_MAX, &r->end, &v->p, v->err))
		return -1;
	if (r->end <= r->start)
		return lerr(v->err, &v->p, "end", "span end %lld must be greater than its start %lld", r->end, r->start);
	if (v->text_cp >= 0 && r->end > v->text_cp)
		return lerr(v->err, &v->p, "end", "span end %lld is past the end of the text (%lld code points)", r->end,
			    (long long)v->text_cp);
	if (lget_str(o, "text", true, SIZE_MAX, &text, &v->p, v->err))
		return -1;
	size_t tlen = json_string_length(json_object_get(o, "text"));
	if (ml_utf8_cp_count(text, tlen) != (size_t)(r->end - r->start))
		return lerr(v->err, &v->p, "text", "span text has %zu code points, expected end - start = %lld",
			    ml_utf8_cp_count(text, tlen), r->end - r->start);
	if (v->ctx && v->ctx->text) {
		size_t b0 = v->ix.byte_of_cp[r->start], b1 = v->ix.byte_of_cp[r->end];
		if (b1 - b0 != tlen || memcmp(v->ctx->text + b0, text, tlen) != 0)
			return lerr(v->err, &v->p, "text", "span text does not match the item text at [%lld, %lld)", r->start,
				    r->end);
	}
	if (get_attributes(v, o, r->c))
		return -1;
	return r->c->ncodings ? get_codes(v, o, r->c, false, true) : 0;
}

static int check_keypoints(struct av *v, json_t *o, struct res *r)
{
	json_t *arr;
	if (lget_arr(o, "keypoints", true, 1, r->c->npoints, &arr, &v->p, v->err))
		return -1;
	static const char *const keys[] = {"name", "x", "y", "visible", NULL};
	size_t old = lptr_key(&v->p, "keypoints");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *kp = json_array_get(arr, i);
		size_t o2 = lptr_idx(&v->p, i);
		const char *name = NULL;
		double x = 0, y = 0;
		bool vis = true;
		if (!json_is_object(kp))
			return lerr(v->err, &v->p, NULL, "expected a keypoint {name, x, y, visible}");
		if (lcheck_keys(kp, keys, "a keypoint", &v->p, v->err) ||
		    lget_str(kp, "name", true, LABEL_MAX_NAME, &name, &v->p, v->err))
			return -1;
		size_t j;
		for (j = 0; j < r->c->npoints; j++)
			if (strcmp(r->c->points[j], name) == 0)
				break;
		if (j == r->c->npoints)
			return lerr(v->err, &v->p, "name", "'%s' is not a point of control '%s'", name, r->c->name);
		for (size_t k = 0; k < i; k++)
			if (strcmp(json_string_value(json_object_get(json_array_get(arr, k), "name")), name) == 0)
				return lerr(v->err, &v->p, "name", "duplicate keypoint '%s', already at index %zu", name, k);
		if (lget_num(kp, "x", true, 0, &x, &v->p, v->err) || lget_num(kp, "y", true, 0, &y, &v->p, v->err) ||
		    lget_bool(kp, "visible", &vis, &v->p, v->err))
			return -1;
		if (have_size(v) && (x > v->ctx->width || y > v->ctx->height))
			return lerr(v->err, &v->p, NULL, "keypoint '%s' (%g, %g) is outside the image (%dx%d)", name, x, y,
				    v->ctx->width, v->ctx->height);
		lptr_pop(&v->p, o2);
	}
	lptr_pop(&v->p, old);
	return 0;
}

static int check_object3d(struct av *v, json_t *o, struct res *r)
{
	json_t *arr;
	if (lget_arr(o, "parts", true, 1, 100000, &arr, &v->p, v->err))
		return -1;
	static const char *const mask_keys[] = {"frame", "rle", NULL};
	static const char *const poly_keys[] = {"frame", "points", NULL};
	bool mask = r->c->part_shape != LABEL_KIND_POLYGON;
	size_t old = lptr_key(&v->p, "parts");
	long long prev = -1;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *part = json_array_get(arr, i);
		size_t o2 = lptr_idx(&v->p, i);
		long long frame;
		if (!json_is_object(part))
			return lerr(v->err, &v->p, NULL, mask ? "expected a part {frame, rle}" : "expected a part {frame, points}");
		if (lcheck_keys(part, mask ? mask_keys : poly_keys, mask ? "a mask part" : "a polygon part", &v->p, v->err) ||
		    get_frame(v, part, "frame", true, &frame))
			return -1;
		if (frame <= prev)
			return lerr(v->err, &v->p, "frame", "parts must be in increasing frame order, one per frame (%lld after %lld)",
				    frame, prev);
		prev = frame;
		if (mask ? get_rle(v, part, NULL) : get_points(v, part, "points", 3, "polygon"))
			return -1;
		lptr_pop(&v->p, o2);
	}
	lptr_pop(&v->p, old);
	return get_attributes(v, o, r->c);
}

static int check_video(struct av *v, json_t *o, struct res *r)
{
	json_t *arr;
	if (lget_arr(o, "keyframes", true, 1, 10000000, &arr, &v->p, v->err))
		return -1;
	static const char *const keys[] = {"frame", "x", "y", "w", "h", "outside", NULL};
	size_t old = lptr_key(&v->p, "keyframes");
	long long prev = -1;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *kf = json_array_get(arr, i);
		size_t o2 = lptr_idx(&v->p, i);
		long long frame;
		bool outside = false;
		if (!json_is_object(kf))
			return lerr(v->err, &v->p, NULL, "expected a keyframe {frame, x, y, w, h, outside}");
		if (lcheck_keys(kf, keys, "a keyframe", &v->p, v->err) || get_frame(v, kf, "frame", true, &frame) ||
		    lget_bool(kf, "outside", &outside, &v->p, v->err))
			return -1;
		if (frame <= prev)
			return lerr(v->err, &v->p, "frame", "keyframes must be in increasing frame order (%lld after %lld)",
				    frame, prev);
		prev = frame;
		if (get_box(v, kf))
			return -1;
		lptr_pop(&v->p, o2);
	}
	lptr_pop(&v->p, old);
	return get_attributes(v, o, r->c);
}

static int check_result(struct av *v, json_t *o, struct res *r)
{
	const struct label_control *c = r->c;
	long long frame = -1;
	switch (c->kind) {
	case LABEL_KIND_CLASSIFICATION:
		return get_choices(v, o, c);
	case LABEL_KIND_SPAN:
		return check_span(v, o, r);
	case LABEL_KIND_RELATION:
		if (get_label(v, o, r) || lget_str(o, "from", true, LABEL_MAX_VALUE, &r->from, &v->p, v->err) ||
		    lget_str(o, "to", true, LABEL_MAX_VALUE, &r->to, &v->p, v->err))
			return -1;
		return 0;
	case LABEL_KIND_CODED:
		return get_codes(v, o, c, true, c->multiple);
	case LABEL_KIND_TEXT: {
		const char *t = NULL;
		if (lget_str(o, "text", true, SIZE_MAX, &t, &v->p, v->err))
			return -1;
		size_t n = json_string_length(json_object_get(o, "text"));
		if (c->max_length && ml_utf8_cp_count(t, n) > c->max_length)
			return lerr(v->err, &v->p, "text", "text is %zu code points, more than control '%s' allows (%zu)",
				    ml_utf8_cp_count(t, n), c->name, c->max_length);
		if (!c->multiline && memchr(t, '\n', n))
			return lerr(v->err, &v->p, "text", "control '%s' takes a single line", c->name);
		return 0;
	}
	case LABEL_KIND_BOX:
		if (get_label(v, o, r) || get_frame(v, o, "frame", false, &frame) || get_box(v, o))
			return -1;
		return get_attributes(v, o, c);
	case LABEL_KIND_ROTATED_BOX:
	case LABEL_KIND_ELLIPSE: {
		bool rb = c->kind == LABEL_KIND_ROTATED_BOX;
		double cx = 0, cy = 0, a = 0, b = 0;
		const char *ka = rb ? "w" : "rx", *kb = rb ? "h" : "ry";
		if (get_label(v, o, r) || get_frame(v, o, "frame", false, &frame) ||
		    lget_num(o, "cx", true, 0, &cx, &v->p, v->err) || lget_num(o, "cy", true, 0, &cy, &v->p, v->err) ||
		    lget_num(o, ka, true, 0, &a, &v->p, v->err) || lget_num(o, kb, true, 0, &b, &v->p, v->err) ||
		    get_angle(v, o))
			return -1;
		if (a <= 0)
			return lerr(v->err, &v->p, ka, "expected a number > 0");
		if (b <= 0)
			return lerr(v->err, &v->p, kb, "expected a number > 0");
		if (have_size(v) && (cx > v->ctx->width || cy > v->ctx->height))
			return lerr(v->err, &v->p, NULL, "centre (%g, %g) is outside the image (%dx%d)", cx, cy,
				    v->ctx->width, v->ctx->height);
		return get_attributes(v, o, c);
	}
	case LABEL_KIND_POLYGON:
	case LABEL_KIND_POLYLINE: {
		bool pg = c->kind == LABEL_KIND_POLYGON;
		if (get_label(v, o, r) || get_frame(v, o, "frame", false, &frame) ||
		    get_points(v, o, "points", pg ? 3 : 2, pg ? "polygon" : "polyline"))
			return -1;
		return get_attributes(v, o, c);
	}
	case LABEL_KIND_KEYPOINTS:
		if (get_label(v, o, r) || get_frame(v, o, "frame", false, &frame) || check_keypoints(v, o, r))
			return -1;
		return get_attributes(v, o, c);
	case LABEL_KIND_MASK:
		if (get_label(v, o, r) || get_frame(v, o, "frame", false, &r->frame) || get_rle(v, o, r))
			return -1;
		return get_attributes(v, o, c);
	case LABEL_KIND_OBJECT3D:
		if (get_label(v, o, r))
			return -1;
		return check_object3d(v, o, r);
	case LABEL_KIND_AUDIO_SEGMENT: {
		double s0 = 0, s1 = 0;
		const char *t = NULL;
		if (get_label(v, o, r) || lget_num(o, "start", true, 0, &s0, &v->p, v->err) ||
		    lget_num(o, "end", true, 0, &s1, &v->p, v->err))
			return -1;
		if (s1 <= s0)
			return lerr(v->err, &v->p, "end", "segment end %g s must be after its start %g s", s1, s0);
		if (v->ctx && v->ctx->duration > 0 && s1 > v->ctx->duration)
			return lerr(v->err, &v->p, "end", "segment end %g s is past the end of the recording (%g s)", s1,
				    v->ctx->duration);
		if (c->transcription &&
		    lget_str(o, "text", c->transcription == LABEL_TRANSCRIPTION_REQUIRED, SIZE_MAX, &t, &v->p, v->err))
			return -1;
		return get_attributes(v, o, c);
	}
	case LABEL_KIND_VIDEO_TRACK:
		if (get_label(v, o, r))
			return -1;
		return check_video(v, o, r);
	case LABEL_KIND_SURVEY_CODE:
		if (lget_str(o, "question", true, LABEL_MAX_VALUE, &r->question, &v->p, v->err))
			return -1;
		if (!lvalue_ok(r->question))
			return lerr(v->err, &v->p, "question", "expected a question id without control characters or "
				    "leading or trailing spaces");
		if (!label_control_has_question(c, r->question))
			return lerr(v->err, &v->p, "question", "question '%.64s' is not coded by control '%s'", r->question,
				    c->name);
		if (v->ctx && v->ctx->nquestions) {
			bool found = false;
			for (size_t i = 0; i < v->ctx->nquestions && !found; i++)
				found = strcmp(v->ctx->questions[i], r->question) == 0;
			if (!found)
				return lerr(v->err, &v->p, "question", "question '%.64s' is not in the item", r->question);
		}
		if (c->ncodings) {
			/* coded with labels, codes or both: at least one of them */
			bool ch = json_object_get(o, "choices") != NULL, co = json_object_get(o, "codes") != NULL;
			if (!ch && !co)
				return lerr(v->err, &v->p, NULL, c->nlabels ? "missing required field 'choices' or 'codes'"
									   : "missing required field 'codes'");
			if (ch && !c->nlabels)
				return lerr(v->err, &v->p, "choices", "control '%s' has no labels; code the answer with 'codes'",
					    c->name);
			if ((ch && get_choices(v, o, c)) || (co && get_codes(v, o, c, true, c->multiple)))
				return -1;
			return 0;
		}
		return get_choices(v, o, c);
	default:
		return 0;
	}
}

/* Pass 1: each result on its own. */
static int check_one(struct av *v, json_t *o, size_t i)
{
	struct res *r = &v->res[i];
	r->frame = -1;
	if (!json_is_object(o))
		return lerr(v->err, &v->p, NULL, "expected a result object {id, control, ...}");
	const char *control = NULL;
	if (lget_str(o, "control", true, LABEL_MAX_NAME, &control, &v->p, v->err))
		return -1;
	r->c = label_schema_control(v->s, control);
	if (!r->c)
		return lerr(v->err, &v->p, "control", "unknown control '%s'", control);
	r->ci = (size_t)(r->c - v->s->controls);
	char what[64];
	const char *kn = label_kind_name(r->c->kind);
	snprintf(what, sizeof what, "%s %s result", strchr("aeiou", kn[0]) ? "an" : "a", kn);
	if (lcheck_keys(o, result_keys(r->c), what, &v->p, v->err))
		return -1;
	if (lget_str(o, "id", true, LABEL_MAX_VALUE, &r->id, &v->p, v->err))
		return -1;
	if (!lvalue_ok(r->id))
		return lerr(v->err, &v->p, "id", "expected an id without control characters or leading or trailing spaces");
	size_t prev = find_id(v, r->id);
	if (prev != (size_t)-1)
		return lerr(v->err, &v->p, "id", "duplicate result id '%.64s', already used by /results/%zu", r->id, prev);
	add_id(v, i);
	double score = 0;
	if (lget_num(o, "score", false, 0, &score, &v->p, v->err))
		return -1;
	if (score > 1)
		return lerr(v->err, &v->p, "score", "expected a score from 0 to 1");
	if (r->c->target && lget_str(o, "region", true, LABEL_MAX_VALUE, &r->region, &v->p, v->err))
		return -1;
	return check_result(v, o, r);
}

/* ---- pass 2: results against each other -------------------------------------------------------------- */

static int cmp_span(const void *a, const void *b, void *arg)
{
	const struct res *res = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (res[i].start != res[j].start)
		return res[i].start < res[j].start ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int check_span_overlap(struct av *v, size_t ci, size_t *idx)
{
	size_t n = 0;
	for (size_t i = 0; i < v->nres; i++)
		if (v->res[i].ci == ci)
			idx[n++] = i;
	qsort_r(idx, n, sizeof *idx, cmp_span, v->res);
	size_t far = (size_t)-1; /* the earlier span reaching furthest right */
	for (size_t k = 0; k < n; k++) {
		const struct res *r = &v->res[idx[k]];
		if (far != (size_t)-1 && v->res[far].end > r->start) {
			size_t a = far < idx[k] ? far : idx[k], b = far < idx[k] ? idx[k] : far;
			struct lptr q;
			lptr_init(&q);
			lptr_key(&q, "results");
			lptr_idx(&q, b);
			return lerr(v->err, &q, NULL, "span [%lld, %lld) overlaps /results/%zu [%lld, %lld) and control '%s' "
				    "does not allow overlap", v->res[b].start, v->res[b].end, a, v->res[a].start,
				    v->res[a].end, v->s->controls[ci].name);
		}
		if (far == (size_t)-1 || r->end > v->res[far].end)
			far = idx[k];
	}
	return 0;
}

/* One run of foreground pixels of one mask result, for the overlap sweep. */
struct run {
	long long frame;
	uint64_t start, end;
	size_t res;
};

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->res < y->res ? -1 : x->res > y->res;
}

/* Masks of a control without overlap must not share pixels on the same frame. All their runs are sorted by
 * (frame, start) and swept once, remembering the run reaching furthest: O(R log R) for R runs, however many
 * masks a frame has. A mask's own runs never overlap each other, so an overlap is always between two
 * results; the error names the later of the two. */
static int check_mask_overlap(struct av *v, size_t ci)
{
	size_t n = 0;
	for (size_t i = 0; i < v->nres; i++)
		if (v->res[i].ci == ci)
			n += v->res[i].nruns;
	if (n < 2)
		return 0;
	struct run *runs = ml_xmalloc(n * sizeof *runs);
	size_t k = 0;
	for (size_t i = 0; i < v->nres; i++)
		for (size_t j = 0; v->res[i].ci == ci && j < v->res[i].nruns; j++)
			runs[k++] = (struct run){v->res[i].frame, v->res[i].runs[2 * j], v->res[i].runs[2 * j + 1], i};
	qsort(runs, n, sizeof *runs, cmp_run);
	int rc = 0;
	size_t far = 0;
	for (size_t x = 1; x < n && !rc; x++) {
		if (runs[x].frame != runs[far].frame) {
			far = x;
			continue;
		}
		if (runs[x].start < runs[far].end) {
			size_t a = runs[x].res < runs[far].res ? runs[x].res : runs[far].res;
			size_t b = runs[x].res < runs[far].res ? runs[far].res : runs[x].res;
			struct lptr q;
			lptr_init(&q);
			lptr_key(&q, "results");
			lptr_idx(&q, b);
			rc = lerr(v->err, &q, "rle", "mask overlaps /results/%zu and control '%s' does not allow overlap", a,
				  v->s->controls[ci].name);
		} else if (runs[x].end > runs[far].end) {
			far = x;
		}
	}
	ml_free(runs);
	return rc;
}

static int check_relation(struct av *v, size_t i, struct smap *seen)
{
	const struct res *r = &v->res[i];
	const struct res *end[2] = {NULL, NULL};
	for (int e = 0; e < 2; e++) {
		const char *key = e ? "to" : "from", *id = e ? r->to : r->from;
		size_t j = find_id(v, id);
		if (j == (size_t)-1)
			return lerr(v->err, &v->p, key, "'%.64s' is not the id of a result in this annotation", id);
		bool linked = false;
		for (size_t b = 0; b < r->c->nbetween && !linked; b++)
			linked = strcmp(r->c->between[b], v->res[j].c->name) == 0;
		if (!linked)
			return lerr(v->err, &v->p, key, "'%.64s' is a result of control '%s', which relation control '%s' does "
				    "not link", id, v->res[j].c->name, r->c->name);
		end[e] = &v->res[j];
	}
	if (end[0] == end[1])
		return lerr(v->err, &v->p, "to", "a relation must link two different results");
	const struct label_label *l = label_control_label(r->c, r->label);
	if (!label_pair_allowed(l, end[0]->label, end[1]->label))
		return lerr(v->err, &v->p, "label", "relation '%s' does not allow '%s' -> '%s'", r->label, end[0]->label,
			    end[1]->label);
	/* Keys join fields with \x1f, which ids, labels and questions cannot contain (lvalue_ok), so two
	 * different relations never share a key. */
	char *key = ml_xasprintf("L\x1f%zu\x1f%s\x1f%s\x1f%s", r->ci, r->label, r->from, r->to);
	size_t k = smap_find(seen, key, false, 0);
	if (k == (size_t)-1 && !l->directed) {
		char *rev = ml_xasprintf("L\x1f%zu\x1f%s\x1f%s\x1f%s", r->ci, r->label, r->to, r->from);
		k = smap_find(seen, rev, false, 0);
		ml_free(rev);
	}
	if (k == (size_t)-1)
		smap_find(seen, key, true, i);
	ml_free(key);
	if (k != (size_t)-1)
		return lerr(v->err, &v->p, NULL, "duplicate relation, already at /results/%zu", k);
	return 0;
}

static int check_cross(struct av *v)
{
	const struct label_schema *s = v->s;
	size_t *idx = ml_xmalloc((v->nres ? v->nres : 1) * sizeof *idx);
	size_t *first = ml_xmalloc(s->ncontrols * sizeof *first); /* item-level: first result of each control */
	for (size_t c = 0; c < s->ncontrols; c++)
		first[c] = (size_t)-1;
	int rc = -1;
	struct smap seen;
	smap_init(&seen, v->nres);
	size_t old = lptr_key(&v->p, "results");
	for (size_t i = 0; i < v->nres; i++) {
		struct res *r = &v->res[i];
		const struct label_control *c = r->c;
		size_t o2 = lptr_idx(&v->p, i);
		if (c->kind == LABEL_KIND_RELATION && check_relation(v, i, &seen))
			goto out;
		if (c->target) {
			size_t j = find_id(v, r->region);
			if (j == (size_t)-1) {
				lerr(v->err, &v->p, "region", "'%.64s' is not the id of a result in this annotation", r->region);
				goto out;
			}
			if (strcmp(v->res[j].c->name, c->target) != 0) {
				lerr(v->err, &v->p, "region", "'%.64s' is a result of control '%s'; control '%s' describes "
				     "results of '%s'", r->region, v->res[j].c->name, c->name, c->target);
				goto out;
			}
			char *key = ml_xasprintf("R\x1f%zu\x1f%s", r->ci, r->region);
			size_t k = smap_find(&seen, key, true, i);
			ml_free(key);
			if (k != (size_t)-1) {
				lerr(v->err, &v->p, "region", "control '%s' already has a result for region '%.64s' at "
				     "/results/%zu", c->name, r->region, k);
				goto out;
			}
		} else if (c->kind == LABEL_KIND_CLASSIFICATION || c->kind == LABEL_KIND_CODED ||
			   c->kind == LABEL_KIND_TEXT) {
			if (first[r->ci] != (size_t)-1) {
				lerr(v->err, &v->p, "control", "control '%s' already has a result at /results/%zu", c->name,
				     first[r->ci]);
				goto out;
			}
			first[r->ci] = i;
		} else if (c->kind == LABEL_KIND_SURVEY_CODE) {
			char *key = ml_xasprintf("Q\x1f%zu\x1f%s", r->ci, r->question);
			size_t k = smap_find(&seen, key, true, i);
			ml_free(key);
			if (k != (size_t)-1) {
				lerr(v->err, &v->p, "question", "control '%s' already has a result for question '%.64s' "
				     "at /results/%zu", c->name, r->question, k);
				goto out;
			}
		}
		lptr_pop(&v->p, o2);
	}
	lptr_pop(&v->p, old);
	for (size_t c = 0; c < s->ncontrols; c++) {
		const struct label_control *ctl = &s->controls[c];
		if (ctl->kind == LABEL_KIND_SPAN && !ctl->overlap && check_span_overlap(v, c, idx))
			goto out;
		if (ctl->kind == LABEL_KIND_MASK && !ctl->overlap && check_mask_overlap(v, c))
			goto out;
	}
	for (size_t c = 0; c < s->ncontrols; c++) {
		const struct label_control *ctl = &s->controls[c];
		if (!ctl->required)
			continue;
		if (!ctl->target) {
			bool found = false;
			for (size_t i = 0; i < v->nres && !found; i++)
				found = v->res[i].ci == c;
			if (!found) {
				lerr(v->err, &v->p, "results", "missing a result for required control '%s'", ctl->name);
				goto out;
			}
			continue;
		}
		for (size_t i = 0; i < v->nres; i++) {
			if (strcmp(v->res[i].c->name, ctl->target) != 0)
				continue;
			char *key = ml_xasprintf("R\x1f%zu\x1f%s", c, v->res[i].id);
			bool found = smap_find(&seen, key, false, 0) != (size_t)-1;
			ml_free(key);
			if (!found) {
				struct lptr q;
				lptr_init(&q);
				lptr_key(&q, "results");
				lptr_idx(&q, i);
				lerr(v->err, &q, NULL, "region '%.64s' has no result for required control '%s'", v->res[i].id,
				     ctl->name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	smap_release(&seen);
	ml_free(idx);
	ml_free(first);
	return rc;
}

int label_annotation_validate(const struct label_schema *s, const char *json, size_t len,
			      const struct label_item_ctx *ctx, struct ml_err *err)
{
	if (!s)
		return ml_err_set(err, ML_EINVAL, "no schema to validate the annotation against");
	json_t *root = label_json_load(json, len, LABEL_MAX_ANNOTATION_BYTES, "annotation", err);
	if (!root)
		return -1;
	struct av v = {.s = s, .ctx = ctx, .err = err, .text_cp = -1};
	lptr_init(&v.p);
	int rc = -1;
	if (ctx && ctx->text) {
		size_t bad;
		if (!ml_utf8_valid(ctx->text, ctx->text_len, &bad)) {
			ml_err_set(err, ML_EINVAL, "the item text is not valid UTF-8 at byte %zu", bad);
			goto out;
		}
		if (ml_cp_index_build(&v.ix, ctx->text, ctx->text_len)) {
			ml_err_set(err, ML_ENOMEM, "cannot index an item text of %zu bytes", ctx->text_len);
			goto out;
		}
		v.text_cp = (int64_t)v.ix.ncp;
	} else if (ctx) {
		v.text_cp = ctx->text_cp;
	}
	static const char *const keys[] = {"format", "results", NULL};
	long long fmt = LABEL_FORMAT;
	json_t *results;
	if (lcheck_keys(root, keys, "the annotation", &v.p, err))
		goto out;
	json_t *f = json_object_get(root, "format");
	if (json_is_integer(f) && json_integer_value(f) > LABEL_FORMAT) {
		lerr(err, &v.p, "format", "annotation format %lld is newer than this medlabel supports (%d)",
		     (long long)json_integer_value(f), LABEL_FORMAT);
		if (err)
			err->code = ML_EVERSION;
		goto out;
	}
	if (lget_int(root, "format", false, 1, LABEL_FORMAT, &fmt, &v.p, err) ||
	    lget_arr(root, "results", true, 0, 0, &results, &v.p, err))
		goto out;
	v.nres = json_array_size(results);
	v.res = ml_xcalloc(v.nres ? v.nres : 1, sizeof *v.res);
	for (v.tabsize = 16; v.tabsize < 2 * v.nres; v.tabsize *= 2)
		;
	v.tab = ml_xcalloc(v.tabsize, sizeof *v.tab);
	size_t old = lptr_key(&v.p, "results");
	for (size_t i = 0; i < v.nres; i++) {
		size_t o2 = lptr_idx(&v.p, i);
		if (check_one(&v, json_array_get(results, i), i))
			goto out;
		lptr_pop(&v.p, o2);
	}
	lptr_pop(&v.p, old);
	rc = check_cross(&v);
out:
	for (size_t i = 0; v.res && i < v.nres; i++)
		ml_free(v.res[i].runs);
	ml_free(v.res);
	ml_free(v.tab);
	ml_cp_index_release(&v.ix);
	json_decref(root);
	return rc;
}
