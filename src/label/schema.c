/* schema.c: parsing and validating a labeling schema document into struct label_schema. */
#include "label/label_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct label_schema_int {
	struct ml_arena arena;
	struct label_schema s;
};

/* Parser state: the arena everything is copied into, the pointer being built, and the hotkeys seen. */
struct sp {
	struct ml_arena *a;
	struct lptr p;
	struct ml_err *err;
	struct label_schema *s;
	struct label_hotkey *hk;
	size_t nhk, hkcap;
	uint32_t *mask_owner; /* mask value -> label index + 1, for the control being parsed */
};

static const char *dup_str(struct sp *sp, const char *s)
{
	return s ? ml_arena_strdup(sp->a, s) : NULL;
}

/* Reads an optional or required string field and copies it into the arena. */
static int get_str(struct sp *sp, json_t *obj, const char *key, bool required, size_t maxlen, const char **out)
{
	const char *v = NULL;
	if (lget_str(obj, key, required, maxlen, &v, &sp->p, sp->err))
		return -1;
	if (v)
		*out = dup_str(sp, v);
	return 0;
}

static int get_value(struct sp *sp, json_t *obj, const char *key, bool required, const char **out)
{
	const char *v = NULL;
	if (lget_str(obj, key, required, LABEL_MAX_VALUE, &v, &sp->p, sp->err))
		return -1;
	if (!v)
		return 0;
	if (!lvalue_ok(v))
		return lerr(sp->err, &sp->p, key,
			    "expected a value without control characters or leading or trailing spaces");
	*out = dup_str(sp, v);
	return 0;
}

static int get_name(struct sp *sp, json_t *obj, const char *key, const char **out)
{
	const char *v = NULL;
	if (lget_str(obj, key, true, 1024, &v, &sp->p, sp->err))
		return -1;
	if (!lname_ok(v))
		return lerr(sp->err, &sp->p, key,
			    "expected a name: a letter, then letters, digits, '_', '-' or '.', at most %d bytes",
			    LABEL_MAX_NAME);
	*out = dup_str(sp, v);
	return 0;
}

/* An optional name field (a per-region control's target). */
static int get_name_opt(struct sp *sp, json_t *obj, const char *key, const char **out)
{
	if (!json_object_get(obj, key))
		return 0;
	return get_name(sp, obj, key, out);
}

/* ---- hotkeys ----------------------------------------------------------------------------------------- */

static const struct {
	const char *key, *why;
} reserved_keys[] = {
	{"ctrl+z", "undo"},       {"ctrl+shift+z", "redo"}, {"ctrl+y", "redo"},  {"ctrl+s", "saving a draft"},
	{"ctrl+c", "copy"},       {"ctrl+v", "paste"},      {"ctrl+x", "cut"},   {"ctrl+a", "select all"},
	{"ctrl+f", "find"},       {"meta+z", "undo"},       {"shift+meta+z", "redo"}, {"meta+s", "saving a draft"},
	{"meta+c", "copy"},       {"meta+v", "paste"},      {"meta+x", "cut"},   {"meta+a", "select all"},
	{"meta+f", "find"},
};

int label_hotkey_normalise(const char *key, char *out, size_t outlen, struct ml_err *err)
{
	static const char *const mods[] = {"ctrl", "alt", "shift", "meta"};
	bool have[4] = {false, false, false, false};
	char tok[16], last[16] = "";
	size_t n = strlen(key);
	const char *bad = "invalid hotkey: expected [ctrl+][alt+][shift+][meta+]KEY, KEY a letter, digit, "
			  "punctuation or f1-f12";
	if (n == 0 || n > 40 || outlen < 32)
		return ml_err_set(err, ML_EINVAL, "%s", bad);
	const char *p = key;
	for (;;) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);
		if (len == 0 || len >= sizeof tok)
			return ml_err_set(err, ML_EINVAL, "%s", bad);
		for (size_t i = 0; i < len; i++) {
			char c = p[i];
			tok[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		tok[len] = '\0';
		if (!plus) {
			memcpy(last, tok, len + 1);
			break;
		}
		int m = -1;
		if (strcmp(tok, "control") == 0)
			m = 0;
		else if (strcmp(tok, "cmd") == 0)
			m = 3;
		for (int i = 0; i < 4 && m < 0; i++)
			if (strcmp(tok, mods[i]) == 0)
				m = i;
		if (m < 0)
			return ml_err_set(err, ML_EINVAL, "%s", bad);
		if (have[m])
			return ml_err_set(err, ML_EINVAL, "invalid hotkey: modifier '%s' given twice", mods[m]);
		have[m] = true;
		p = plus + 1;
	}
	bool ok = false;
	size_t ln = strlen(last);
	if (ln == 1)
		ok = last[0] > 0x20 && last[0] < 0x7f && last[0] != '+';
	else if (last[0] == 'f' && (ln == 2 || ln == 3)) {
		int fn = atoi(last + 1);
		ok = last[1] >= '1' && last[1] <= '9' && fn >= 1 && fn <= 12 && (ln == 2 || (last[2] >= '0' && last[2] <= '9'));
	}
	if (!ok)
		return ml_err_set(err, ML_EINVAL, "%s", bad);
	/* Punctuation is matched by the character typed, which already reflects Shift ("?" is Shift+/ on
	 * some layouts and not on others): Shift is not part of such a key. */
	if (ln == 1 && !((last[0] >= 'a' && last[0] <= 'z') || (last[0] >= '0' && last[0] <= '9')))
		have[2] = false;
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (have[i])
			o += (size_t)snprintf(out + o, outlen - o, "%s+", mods[i]);
	snprintf(out + o, outlen - o, "%s", last);
	for (size_t i = 0; i < ML_ARRAY_LEN(reserved_keys); i++)
		if (strcmp(out, reserved_keys[i].key) == 0)
			return ml_err_set(err, ML_EINVAL, "hotkey '%s' is reserved for %s", out, reserved_keys[i].why);
	return 0;
}

/* Reads obj.hotkey (if any), normalises it and registers it; *out gets the normalised key. */
static int get_hotkey(struct sp *sp, json_t *obj, const char *control, const char *label, const char *attribute,
		      const char **out)
{
	const char *raw = NULL;
	if (lget_str(obj, "hotkey", false, 40, &raw, &sp->p, sp->err))
		return -1;
	if (!raw)
		return 0;
	char norm[32];
	struct ml_err e;
	if (label_hotkey_normalise(raw, norm, sizeof norm, &e))
		return lerr(sp->err, &sp->p, "hotkey", "%s", e.msg);
	for (size_t i = 0; i < sp->nhk; i++)
		if (strcmp(sp->hk[i].key, norm) == 0)
			return lerr(sp->err, &sp->p, "hotkey", "duplicate hotkey '%s', already used by %s", norm,
				    sp->hk[i].pointer);
	if (sp->nhk == sp->hkcap) {
		sp->hkcap = sp->hkcap ? sp->hkcap * 2 : 16;
		sp->hk = ml_xrealloc(sp->hk, sp->hkcap * sizeof *sp->hk);
	}
	struct label_hotkey *h = &sp->hk[sp->nhk++];
	memset(h, 0, sizeof *h);
	h->key = ml_arena_strdup(sp->a, norm);
	h->control = control;
	h->label = label;
	h->attribute = attribute;
	snprintf(h->pointer, sizeof h->pointer, "%s", sp->p.s);
	*out = h->key;
	return 0;
}

static int get_color(struct sp *sp, json_t *obj, const char **out)
{
	const char *c = NULL;
	if (lget_str(obj, "color", false, 16, &c, &sp->p, sp->err))
		return -1;
	if (!c)
		return 0;
	bool ok = strlen(c) == 7 && c[0] == '#';
	for (int i = 1; ok && i < 7; i++)
		ok = (c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f') || (c[i] >= 'A' && c[i] <= 'F');
	if (!ok)
		return lerr(sp->err, &sp->p, "color", "expected a colour as #rrggbb");
	char *lc = ml_arena_strdup(sp->a, c);
	for (char *q = lc; *q; q++)
		if (*q >= 'A' && *q <= 'F')
			*q = (char)(*q - 'A' + 'a');
	*out = lc;
	return 0;
}

/* An example image reference: an http(s) URL or a relative media path. Anything else (javascript:, data:,
 * absolute paths, "..") could make the UI load something the schema author did not mean to expose. */
static int get_image_ref(struct sp *sp, json_t *obj, const char **out)
{
	const char *r = NULL;
	if (lget_str(obj, "example_image", false, 2048, &r, &sp->p, sp->err))
		return -1;
	if (!r)
		return 0;
	bool ok;
	if (strncmp(r, "https://", 8) == 0 || strncmp(r, "http://", 7) == 0) {
		ok = true;
		for (const char *q = r; *q && ok; q++)
			ok = (unsigned char)*q > 0x20 && *q != 0x7f && *q != '"' && *q != '<' && *q != '>' && *q != '\\';
	} else {
		ok = r[0] != '/';
		for (const char *q = r; *q && ok; q++)
			ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
			     *q == '/' || *q == '.' || *q == '_' || *q == '-';
		ok = ok && strcmp(r, "..") != 0 && strncmp(r, "../", 3) != 0 && !strstr(r, "/../") &&
		     !(strlen(r) >= 3 && strcmp(r + strlen(r) - 3, "/..") == 0);
	}
	if (!ok)
		return lerr(sp->err, &sp->p, "example_image",
			    "expected an http(s) URL or a relative media path (letters, digits, '/', '.', '_', '-')");
	*out = dup_str(sp, r);
	return 0;
}

/* ---- sorted views ------------------------------------------------------------------------------------ */

static int cmp_str_idx(const void *a, const void *b, void *arg)
{
	const char *const *v = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	int c = strcmp(v[i], v[j]);
	return c ? c : (i < j ? -1 : i > j);
}

/* The indices of strs[0..n) sorted by string (ties by index), in the arena. Sorting also finds duplicates
 * in O(n log n): *dup is the earliest index whose string appeared before, at *first; (size_t)-1 if none. */
static uint32_t *sorted_order(struct sp *sp, const char *const *strs, size_t n, size_t *dup, size_t *first)
{
	uint32_t *order = ml_arena_alloc(sp->a, (n ? n : 1) * sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof *order, cmp_str_idx, (void *)strs);
	*dup = *first = (size_t)-1;
	for (size_t k = 0; k + 1 < n;) {
		size_t e = k + 1;
		while (e < n && strcmp(strs[order[e]], strs[order[k]]) == 0)
			e++;
		if (e > k + 1 && order[k + 1] < *dup) {
			*dup = order[k + 1];
			*first = order[k];
		}
		k = e;
	}
	return order;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct label_pair *x = a, *y = b;
	int c = strcmp(x->from, y->from);
	return c ? c : strcmp(x->to, y->to);
}

/* ---- labels ------------------------------------------------------------------------------------------ */

static int parse_label_code(struct sp *sp, json_t *lab, struct label_label *l)
{
	json_t *code = json_object_get(lab, "code");
	if (!code)
		return 0;
	size_t old = lptr_key(&sp->p, "code");
	static const char *const keys[] = {"system", "code", "display", NULL};
	if (!json_is_object(code))
		return lerr(sp->err, &sp->p, NULL, "expected an object {system, code, display}");
	if (lcheck_keys(code, keys, "a label code", &sp->p, sp->err) ||
	    get_value(sp, code, "system", true, &l->code_system) || get_value(sp, code, "code", true, &l->code) ||
	    get_str(sp, code, "display", false, LABEL_MAX_TEXT, &l->code_display))
		return -1;
	lptr_pop(&sp->p, old);
	return 0;
}

static int parse_pairs(struct sp *sp, json_t *lab, struct label_label *l)
{
	json_t *arr;
	if (lget_arr(lab, "pairs", false, 1, LABEL_MAX_LABELS, &arr, &sp->p, sp->err))
		return -1;
	if (!arr)
		return 0;
	size_t old = lptr_key(&sp->p, "pairs");
	struct label_pair *pairs = ml_arena_alloc(sp->a, json_array_size(arr) * sizeof *pairs);
	static const char *const keys[] = {"from", "to", NULL};
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *pr = json_array_get(arr, i);
		size_t o2 = lptr_idx(&sp->p, i);
		if (!json_is_object(pr))
			return lerr(sp->err, &sp->p, NULL, "expected an object {from, to}");
		if (lcheck_keys(pr, keys, "a relation pair", &sp->p, sp->err) ||
		    get_value(sp, pr, "from", true, &pairs[i].from) || get_value(sp, pr, "to", true, &pairs[i].to))
			return -1;
		lptr_pop(&sp->p, o2);
	}
	size_t n = json_array_size(arr);
	/* "from\x1fto" keys (values hold no control characters) sort and reveal duplicates in O(n log n) */
	const char **keys2 = ml_xmalloc(n * sizeof *keys2);
	for (size_t i = 0; i < n; i++)
		keys2[i] = ml_arena_printf(sp->a, "%s\x1f%s", pairs[i].from, pairs[i].to);
	size_t dup, first;
	sorted_order(sp, keys2, n, &dup, &first);
	ml_free(keys2);
	if (dup != (size_t)-1) {
		lptr_idx(&sp->p, dup);
		return lerr(sp->err, &sp->p, NULL, "duplicate pair, already listed at index %zu", first);
	}
	struct label_pair *sorted = ml_arena_alloc(sp->a, n * sizeof *sorted);
	memcpy(sorted, pairs, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_pair);
	l->pairs = pairs;
	l->pairs_sorted_ = sorted;
	l->npairs = n;
	lptr_pop(&sp->p, old);
	return 0;
}

static int parse_labels(struct sp *sp, json_t *ctl, struct label_control *c)
{
	json_t *arr;
	if (lget_arr(ctl, "labels", true, 1, LABEL_MAX_LABELS, &arr, &sp->p, sp->err))
		return -1;
	size_t n = json_array_size(arr);
	struct label_label *labels = ml_arena_alloc(sp->a, n * sizeof *labels);
	memset(labels, 0, n * sizeof *labels);
	bool masks = c->kind == LABEL_KIND_MASK || c->kind == LABEL_KIND_OBJECT3D;
	bool rel = c->kind == LABEL_KIND_RELATION;
	static const char *const base[] = {"value", "title", "description", "hotkey", "color", "code", NULL};
	static const char *const mask_keys[] = {"value", "title", "description", "hotkey", "color", "code",
						"mask_value", NULL};
	static const char *const rel_keys[] = {"value", "title", "description", "hotkey", "color", "code",
					       "directed", "pairs", NULL};
	size_t old = lptr_key(&sp->p, "labels");
	for (size_t i = 0; i < n; i++) {
		json_t *lab = json_array_get(arr, i);
		struct label_label *l = &labels[i];
		size_t o2 = lptr_idx(&sp->p, i);
		if (!json_is_object(lab))
			return lerr(sp->err, &sp->p, NULL, "expected a label object {value, ...}");
		if (lcheck_keys(lab, masks ? mask_keys : rel ? rel_keys : base, "a label", &sp->p, sp->err))
			return -1;
		if (get_value(sp, lab, "value", true, &l->value))
			return -1;
		if (get_str(sp, lab, "title", false, LABEL_MAX_TEXT, &l->title) ||
		    get_str(sp, lab, "description", false, LABEL_MAX_TEXT, &l->description) ||
		    get_hotkey(sp, lab, c->name, l->value, NULL, &l->hotkey) || get_color(sp, lab, &l->color) ||
		    parse_label_code(sp, lab, l))
			return -1;
		if (!l->title)
			l->title = l->value;
		if (masks) {
			long long mv = (long long)i + 1;
			if (lget_int(lab, "mask_value", false, 1, 65535, &mv, &sp->p, sp->err))
				return -1;
			l->mask_value = (int)mv;
			if (!sp->mask_owner)
				sp->mask_owner = ml_xmalloc(65536 * sizeof *sp->mask_owner);
			if (i == 0)
				memset(sp->mask_owner, 0, 65536 * sizeof *sp->mask_owner);
			uint32_t owner = sp->mask_owner[l->mask_value]; /* label index + 1, 0 = free */
			if (owner) {
				struct lptr q = sp->p;
				lptr_pop(&q, o2);
				lptr_idx(&q, owner - 1);
				return lerr(sp->err, &sp->p, json_object_get(lab, "mask_value") ? "mask_value" : NULL,
					    "duplicate mask_value %d, already used by %s", l->mask_value, q.s);
			}
			sp->mask_owner[l->mask_value] = (uint32_t)i + 1;
		}
		if (rel) {
			l->directed = true;
			if (lget_bool(lab, "directed", &l->directed, &sp->p, sp->err) || parse_pairs(sp, lab, l))
				return -1;
		}
		lptr_pop(&sp->p, o2);
	}
	const char **values = ml_xmalloc(n * sizeof *values);
	for (size_t i = 0; i < n; i++)
		values[i] = labels[i].value;
	size_t dup, first;
	c->label_order_ = sorted_order(sp, values, n, &dup, &first);
	ml_free(values);
	if (dup != (size_t)-1) {
		struct lptr q = sp->p;
		lptr_idx(&q, first);
		lptr_idx(&sp->p, dup);
		return lerr(sp->err, &sp->p, "value", "duplicate label '%s', already used by %s", labels[dup].value, q.s);
	}
	lptr_pop(&sp->p, old);
	c->labels = labels;
	c->nlabels = n;
	return 0;
}

/* ---- attributes, codings, string lists ---------------------------------------------------------------- */

static int parse_attributes(struct sp *sp, json_t *ctl, struct label_control *c)
{
	json_t *arr;
	if (lget_arr(ctl, "attributes", false, 1, 64, &arr, &sp->p, sp->err))
		return -1;
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	struct label_attribute *attrs = ml_arena_alloc(sp->a, n * sizeof *attrs);
	memset(attrs, 0, n * sizeof *attrs);
	static const char *const keys[] = {"name", "title", "type", "values", "default", "required", "hotkey", NULL};
	size_t old = lptr_key(&sp->p, "attributes");
	for (size_t i = 0; i < n; i++) {
		json_t *at = json_array_get(arr, i);
		struct label_attribute *a = &attrs[i];
		size_t o2 = lptr_idx(&sp->p, i);
		if (!json_is_object(at))
			return lerr(sp->err, &sp->p, NULL, "expected an attribute object {name, type, ...}");
		if (lcheck_keys(at, keys, "an attribute", &sp->p, sp->err) || get_name(sp, at, "name", &a->name))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(attrs[j].name, a->name) == 0)
				return lerr(sp->err, &sp->p, "name", "duplicate attribute '%s'", a->name);
		const char *type = NULL;
		if (lget_str(at, "type", true, 32, &type, &sp->p, sp->err))
			return -1;
		if (strcmp(type, "boolean") == 0)
			a->type = LABEL_ATTR_BOOLEAN;
		else if (strcmp(type, "choice") == 0)
			a->type = LABEL_ATTR_CHOICE;
		else if (strcmp(type, "text") == 0)
			a->type = LABEL_ATTR_TEXT;
		else
			return lerr(sp->err, &sp->p, "type", "unknown attribute type; expected boolean, choice or text");
		if (get_str(sp, at, "title", false, LABEL_MAX_TEXT, &a->title) ||
		    lget_bool(at, "required", &a->required, &sp->p, sp->err))
			return -1;
		if (!a->title)
			a->title = a->name;
		json_t *vals = json_object_get(at, "values");
		if (a->type == LABEL_ATTR_CHOICE) {
			if (lget_arr(at, "values", true, 1, 1000, &vals, &sp->p, sp->err))
				return -1;
			size_t nv = json_array_size(vals);
			const char **v = ml_arena_alloc(sp->a, nv * sizeof *v);
			size_t o3 = lptr_key(&sp->p, "values");
			for (size_t j = 0; j < nv; j++) {
				json_t *e = json_array_get(vals, j);
				char idx[24];
				snprintf(idx, sizeof idx, "%zu", j);
				if (!json_is_string(e) || !lvalue_ok(json_string_value(e)))
					return lerr(sp->err, &sp->p, idx, "expected a value string");
				v[j] = dup_str(sp, json_string_value(e));
				for (size_t k = 0; k < j; k++)
					if (strcmp(v[k], v[j]) == 0)
						return lerr(sp->err, &sp->p, idx, "duplicate value '%s'", v[j]);
			}
			lptr_pop(&sp->p, o3);
			a->values = v;
			a->nvalues = nv;
		} else if (vals) {
			return lerr(sp->err, &sp->p, "values", "only choice attributes take values");
		}
		json_t *def = json_object_get(at, "default");
		if (def) {
			if (a->type == LABEL_ATTR_BOOLEAN) {
				if (!json_is_boolean(def))
					return lerr(sp->err, &sp->p, "default", "expected true or false");
				a->default_value = json_is_true(def) ? "true" : "false";
			} else {
				if (get_str(sp, at, "default", false, LABEL_MAX_TEXT, &a->default_value))
					return -1;
				bool found = a->type == LABEL_ATTR_TEXT;
				for (size_t j = 0; j < a->nvalues && !found; j++)
					found = strcmp(a->values[j], a->default_value) == 0;
				if (!found)
					return lerr(sp->err, &sp->p, "default", "default '%s' is not one of the values",
						    a->default_value);
			}
		}
		if (json_object_get(at, "hotkey") && a->type != LABEL_ATTR_BOOLEAN)
			return lerr(sp->err, &sp->p, "hotkey", "only boolean attributes take a hotkey");
		if (get_hotkey(sp, at, c->name, NULL, a->name, &a->hotkey))
			return -1;
		lptr_pop(&sp->p, o2);
	}
	lptr_pop(&sp->p, old);
	c->attributes = attrs;
	c->nattributes = n;
	return 0;
}

static int parse_codings(struct sp *sp, json_t *ctl, struct label_control *c, bool required)
{
	json_t *arr;
	if (lget_arr(ctl, "codings", required, 1, 32, &arr, &sp->p, sp->err))
		return -1;
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	struct label_coding *cods = ml_arena_alloc(sp->a, n * sizeof *cods);
	memset(cods, 0, n * sizeof *cods);
	static const char *const keys[] = {"system", "version", "subtree", "title", NULL};
	size_t old = lptr_key(&sp->p, "codings");
	for (size_t i = 0; i < n; i++) {
		json_t *co = json_array_get(arr, i);
		size_t o2 = lptr_idx(&sp->p, i);
		if (!json_is_object(co))
			return lerr(sp->err, &sp->p, NULL, "expected a coding object {system, version, subtree}");
		if (lcheck_keys(co, keys, "a coding", &sp->p, sp->err) ||
		    get_value(sp, co, "system", true, &cods[i].system) ||
		    get_value(sp, co, "version", false, &cods[i].version) ||
		    get_value(sp, co, "subtree", false, &cods[i].subtree) ||
		    get_str(sp, co, "title", false, LABEL_MAX_TEXT, &cods[i].title))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cods[j].system, cods[i].system) == 0)
				return lerr(sp->err, &sp->p, "system", "duplicate code system '%s', already declared at index %zu",
					    cods[i].system, j);
		if (!cods[i].title)
			cods[i].title = cods[i].system;
		lptr_pop(&sp->p, o2);
	}
	lptr_pop(&sp->p, old);
	c->codings = cods;
	c->ncodings = n;
	return 0;
}

/* An array of unique strings; names=true requires lname_ok, else lvalue_ok. *sorted (if non-NULL) gets the
 * strings in strcmp order for binary search. */
static int parse_strings(struct sp *sp, json_t *obj, const char *key, bool required, size_t maxn, bool names,
			 const char *const **out, size_t *nout, const char *const **sorted)
{
	json_t *arr;
	if (lget_arr(obj, key, required, 1, maxn, &arr, &sp->p, sp->err))
		return -1;
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	const char **v = ml_arena_alloc(sp->a, n * sizeof *v);
	size_t old = lptr_key(&sp->p, key);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", i);
		if (!json_is_string(e))
			return lerr(sp->err, &sp->p, idx, "expected a string");
		const char *str = json_string_value(e);
		if (names ? !lname_ok(str) : !lvalue_ok(str) || strlen(str) != json_string_length(e))
			return lerr(sp->err, &sp->p, idx,
				    names ? "expected a name: a letter, then letters, digits, '_', '-' or '.'"
					  : "expected a value without control characters or leading or trailing spaces");
		v[i] = dup_str(sp, str);
	}
	size_t dup, first;
	uint32_t *order = sorted_order(sp, v, n, &dup, &first);
	if (dup != (size_t)-1) {
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", dup);
		return lerr(sp->err, &sp->p, idx, "duplicate '%s', already at index %zu", v[dup], first);
	}
	if (sorted) {
		const char **sv = ml_arena_alloc(sp->a, n * sizeof *sv);
		for (size_t i = 0; i < n; i++)
			sv[i] = v[order[i]];
		*sorted = sv;
	}
	lptr_pop(&sp->p, old);
	*out = v;
	*nout = n;
	return 0;
}

static int parse_skeleton(struct sp *sp, json_t *ctl, struct label_control *c)
{
	json_t *arr;
	if (lget_arr(ctl, "skeleton", false, 1, 1000, &arr, &sp->p, sp->err))
		return -1;
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	struct label_edge *edges = ml_arena_alloc(sp->a, n * sizeof *edges);
	/* which point pairs are joined already, and by which edge (+1): at most 200 points */
	static const size_t maxp = 200;
	uint16_t *joined = ml_xcalloc(maxp * maxp, sizeof *joined);
	int rc = -1;
	size_t old = lptr_key(&sp->p, "skeleton");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		size_t o2 = lptr_idx(&sp->p, i);
		if (!json_is_array(e) || json_array_size(e) != 2 || !json_is_string(json_array_get(e, 0)) ||
		    !json_is_string(json_array_get(e, 1))) {
			lerr(sp->err, &sp->p, NULL, "expected a pair of point names [\"a\", \"b\"]");
			goto out;
		}
		size_t ends[2];
		for (int k = 0; k < 2; k++) {
			const char *nm = json_string_value(json_array_get(e, (size_t)k));
			size_t j;
			for (j = 0; j < c->npoints; j++)
				if (strcmp(c->points[j], nm) == 0)
					break;
			if (j == c->npoints) {
				lerr(sp->err, &sp->p, k ? "1" : "0", "'%.64s' is not one of the control's points", nm);
				goto out;
			}
			ends[k] = j;
		}
		if (ends[0] == ends[1]) {
			lerr(sp->err, &sp->p, NULL, "an edge must join two different points");
			goto out;
		}
		size_t lo = ends[0] < ends[1] ? ends[0] : ends[1], hi = ends[0] ^ ends[1] ^ lo;
		if (joined[lo * maxp + hi]) {
			lerr(sp->err, &sp->p, NULL, "duplicate edge, already at index %u", joined[lo * maxp + hi] - 1u);
			goto out;
		}
		joined[lo * maxp + hi] = (uint16_t)(i + 1);
		edges[i].a = ends[0];
		edges[i].b = ends[1];
		lptr_pop(&sp->p, o2);
	}
	lptr_pop(&sp->p, old);
	c->skeleton = edges;
	c->nskeleton = n;
	rc = 0;
out:
	ml_free(joined);
	return rc;
}

/* ---- controls ---------------------------------------------------------------------------------------- */

#define COMMON "name", "kind", "title", "instructions", "example_image", "required"
#define REGION COMMON, "labels", "attributes"
static const char *const *kind_keys(enum label_kind k)
{
	static const char *const classification[] = {COMMON, "labels", "multiple", "target", NULL};
	static const char *const span[] = {REGION, "overlap", "codings", NULL};
	static const char *const relation[] = {COMMON, "labels", "between", NULL};
	static const char *const coded[] = {COMMON, "codings", "multiple", "target", NULL};
	static const char *const text[] = {COMMON, "max_length", "multiline", "target", NULL};
	static const char *const shape[] = {REGION, NULL};
	static const char *const keypoints[] = {REGION, "points", "skeleton", NULL};
	static const char *const mask[] = {REGION, "overlap", NULL};
	static const char *const object3d[] = {REGION, "part_shape", NULL};
	static const char *const audio[] = {REGION, "transcription", NULL};
	static const char *const survey[] = {COMMON, "labels", "multiple", "questions", "codings", NULL};
	switch (k) {
	case LABEL_KIND_CLASSIFICATION: return classification;
	case LABEL_KIND_SPAN: return span;
	case LABEL_KIND_RELATION: return relation;
	case LABEL_KIND_CODED: return coded;
	case LABEL_KIND_TEXT: return text;
	case LABEL_KIND_KEYPOINTS: return keypoints;
	case LABEL_KIND_MASK: return mask;
	case LABEL_KIND_OBJECT3D: return object3d;
	case LABEL_KIND_AUDIO_SEGMENT: return audio;
	case LABEL_KIND_SURVEY_CODE: return survey;
	default: return shape;
	}
}

static int parse_control(struct sp *sp, json_t *ctl, size_t idx, struct label_control *c)
{
	if (!json_is_object(ctl))
		return lerr(sp->err, &sp->p, NULL, "expected a control object {name, kind, ...}");
	const char *kind = NULL;
	if (lget_str(ctl, "kind", true, 64, &kind, &sp->p, sp->err))
		return -1;
	c->kind = label_kind_parse(kind);
	if (c->kind == LABEL_KIND_NONE)
		return lerr(sp->err, &sp->p, "kind",
			    "unknown control kind; expected classification, span, relation, coded, text, box, "
			    "rotated_box, polygon, polyline, keypoints, ellipse, mask, object3d, audio_segment, "
			    "video_track or survey_code");
	char what[64];
	snprintf(what, sizeof what, "%s %s control", strchr("aeiou", kind[0]) ? "an" : "a", kind);
	if (lcheck_keys(ctl, kind_keys(c->kind), what, &sp->p, sp->err) || get_name(sp, ctl, "name", &c->name))
		return -1;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(sp->s->controls[j].name, c->name) == 0)
			return lerr(sp->err, &sp->p, "name", "duplicate control name '%s', already used by /controls/%zu",
				    c->name, j);
	if (!(lkind_modalities(c->kind) & sp->s->modalities)) {
		char mods[160] = "";
		size_t o = 0;
		for (int b = 1; b <= 7; b++)
			if (sp->s->modalities & (1u << b))
				o += (size_t)snprintf(mods + o, sizeof mods - o, "%s%s", o ? ", " : "", lmodality_name(b));
		return lerr(sp->err, &sp->p, "kind", "control kind '%s' does not apply to the schema's modalities (%s)",
			    kind, mods);
	}
	if (get_str(sp, ctl, "title", false, LABEL_MAX_TEXT, &c->title) ||
	    get_str(sp, ctl, "instructions", false, LABEL_MAX_TEXT, &c->instructions) ||
	    get_image_ref(sp, ctl, &c->example_image) ||
	    lget_bool(ctl, "required", &c->required, &sp->p, sp->err) ||
	    lget_bool(ctl, "multiple", &c->multiple, &sp->p, sp->err) ||
	    lget_bool(ctl, "overlap", &c->overlap, &sp->p, sp->err) || get_name_opt(sp, ctl, "target", &c->target))
		return -1;
	if (!c->title)
		c->title = c->name;
	if (json_object_get(ctl, "labels") && parse_labels(sp, ctl, c))
		return -1;
	/* survey answers may be coded with labels, with ontology codes, or both */
	bool codes_instead = c->kind == LABEL_KIND_SURVEY_CODE && json_object_get(ctl, "codings");
	if (json_object_get(ctl, "labels") == NULL && c->kind != LABEL_KIND_CODED && c->kind != LABEL_KIND_TEXT &&
	    !codes_instead)
		return lerr(sp->err, &sp->p, NULL, "missing required field 'labels'");
	if (parse_attributes(sp, ctl, c) || parse_codings(sp, ctl, c, c->kind == LABEL_KIND_CODED))
		return -1;
	switch (c->kind) {
	case LABEL_KIND_RELATION:
		return parse_strings(sp, ctl, "between", true, 64, true, &c->between, &c->nbetween, NULL);
	case LABEL_KIND_KEYPOINTS:
		if (parse_strings(sp, ctl, "points", true, 200, true, &c->points, &c->npoints, NULL))
			return -1;
		return parse_skeleton(sp, ctl, c);
	case LABEL_KIND_TEXT: {
		long long ml = 0;
		if (lget_int(ctl, "max_length", false, 1, 10000000, &ml, &sp->p, sp->err) ||
		    lget_bool(ctl, "multiline", &c->multiline, &sp->p, sp->err))
			return -1;
		c->max_length = (size_t)ml;
		return 0;
	}
	case LABEL_KIND_AUDIO_SEGMENT: {
		const char *t = NULL;
		if (lget_str(ctl, "transcription", false, 32, &t, &sp->p, sp->err))
			return -1;
		if (!t || strcmp(t, "none") == 0)
			c->transcription = LABEL_TRANSCRIPTION_NONE;
		else if (strcmp(t, "optional") == 0)
			c->transcription = LABEL_TRANSCRIPTION_OPTIONAL;
		else if (strcmp(t, "required") == 0)
			c->transcription = LABEL_TRANSCRIPTION_REQUIRED;
		else
			return lerr(sp->err, &sp->p, "transcription", "expected none, optional or required");
		return 0;
	}
	case LABEL_KIND_SURVEY_CODE:
		return parse_strings(sp, ctl, "questions", false, 10000, false, &c->questions, &c->nquestions,
				     &c->questions_sorted_);
	case LABEL_KIND_OBJECT3D: {
		const char *ps = NULL;
		if (lget_str(ctl, "part_shape", false, 32, &ps, &sp->p, sp->err))
			return -1;
		if (!ps || strcmp(ps, "mask") == 0)
			c->part_shape = LABEL_KIND_MASK;
		else if (strcmp(ps, "polygon") == 0)
			c->part_shape = LABEL_KIND_POLYGON;
		else
			return lerr(sp->err, &sp->p, "part_shape", "expected mask or polygon");
		return 0;
	}
	default: return 0;
	}
}

/* References between controls are resolved once all controls are known, so their order does not matter. */
static int resolve_control(struct sp *sp, size_t i)
{
	const struct label_control *c = &sp->s->controls[i];
	struct lptr *p = &sp->p;
	if (c->target) {
		const struct label_control *t = label_schema_control(sp->s, c->target);
		if (!t)
			return lerr(sp->err, p, "target", "target '%s' is not a control of this schema", c->target);
		if (t == c)
			return lerr(sp->err, p, "target", "a control cannot target itself");
		if (!label_kind_is_region(t->kind))
			return lerr(sp->err, p, "target", "target '%s' is a %s control; expected a region control (span, box, "
				    "polygon, mask, object3d...)", c->target, label_kind_name(t->kind));
	}
	for (size_t b = 0; b < c->nbetween; b++) {
		const struct label_control *t = label_schema_control(sp->s, c->between[b]);
		struct lptr q = *p;
		lptr_key(&q, "between");
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", b);
		if (!t)
			return lerr(sp->err, &q, idx, "'%s' is not a control of this schema", c->between[b]);
		if (!label_kind_is_region(t->kind))
			return lerr(sp->err, &q, idx, "'%s' is a %s control; relations link region controls", c->between[b],
				    label_kind_name(t->kind));
	}
	for (size_t l = 0; l < c->nlabels; l++) {
		const struct label_label *lab = &c->labels[l];
		for (size_t k = 0; k < lab->npairs; k++) {
			for (int end = 0; end < 2; end++) {
				const char *v = end ? lab->pairs[k].to : lab->pairs[k].from;
				bool found = false;
				for (size_t b = 0; b < c->nbetween && !found; b++)
					found = label_control_label(label_schema_control(sp->s, c->between[b]), v) != NULL;
				if (!found) {
					struct lptr q = *p;
					lptr_key(&q, "labels");
					lptr_idx(&q, l);
					lptr_key(&q, "pairs");
					lptr_idx(&q, k);
					return lerr(sp->err, &q, end ? "to" : "from",
						    "'%s' is not a label of the controls this relation links", v);
				}
			}
		}
	}
	return 0;
}

/* ---- the document ------------------------------------------------------------------------------------ */

static int parse_doc(struct sp *sp, json_t *root)
{
	struct label_schema *s = sp->s;
	static const char *const keys[] = {"format", "name", "version", "title", "instructions",
					   "example_image", "modalities", "controls", NULL};
	if (lcheck_keys(root, keys, "the schema", &sp->p, sp->err))
		return -1;
	long long fmt = 0;
	json_t *f = json_object_get(root, "format");
	if (!f)
		return lerr(sp->err, &sp->p, NULL, "missing required field 'format'");
	if (json_is_integer(f) && json_integer_value(f) > LABEL_FORMAT) {
		lerr(sp->err, &sp->p, "format", "schema format %lld is newer than this medlabel supports (%d)",
		     (long long)json_integer_value(f), LABEL_FORMAT);
		if (sp->err)
			sp->err->code = ML_EVERSION;
		return -1;
	}
	if (lget_int(root, "format", true, 1, LABEL_FORMAT, &fmt, &sp->p, sp->err))
		return -1;
	s->format = (int)fmt;
	if (get_str(sp, root, "name", true, 128, &s->name) || get_str(sp, root, "version", false, 64, &s->version) ||
	    get_str(sp, root, "title", false, LABEL_MAX_TEXT, &s->title) ||
	    get_str(sp, root, "instructions", false, LABEL_MAX_TEXT, &s->instructions) ||
	    get_image_ref(sp, root, &s->example_image))
		return -1;
	json_t *mods;
	if (lget_arr(root, "modalities", false, 1, 7, &mods, &sp->p, sp->err))
		return -1;
	s->modalities = mods ? 0 : LMOD_ALL;
	for (size_t i = 0; mods && i < json_array_size(mods); i++) {
		json_t *m = json_array_get(mods, i);
		size_t old = lptr_key(&sp->p, "modalities");
		char idx[24];
		snprintf(idx, sizeof idx, "%zu", i);
		unsigned bit = json_is_string(m) ? lmodality_bit(json_string_value(m)) : 0;
		if (!bit)
			return lerr(sp->err, &sp->p, idx,
				    "expected a modality: text, image, dicom-series, volume, audio, video or survey");
		if (s->modalities & bit)
			return lerr(sp->err, &sp->p, idx, "duplicate modality '%s'", json_string_value(m));
		s->modalities |= bit;
		lptr_pop(&sp->p, old);
	}
	json_t *ctls;
	if (lget_arr(root, "controls", true, 1, LABEL_MAX_CONTROLS, &ctls, &sp->p, sp->err))
		return -1;
	size_t n = json_array_size(ctls);
	struct label_control *controls = ml_arena_alloc(sp->a, n * sizeof *controls);
	memset(controls, 0, n * sizeof *controls);
	s->controls = controls;
	size_t old = lptr_key(&sp->p, "controls");
	for (size_t i = 0; i < n; i++) {
		size_t o2 = lptr_idx(&sp->p, i);
		s->ncontrols = i; /* so the duplicate-name check sees only earlier controls */
		if (parse_control(sp, json_array_get(ctls, i), i, &controls[i]))
			return -1;
		lptr_pop(&sp->p, o2);
	}
	s->ncontrols = n;
	const char **names = ml_xmalloc(n * sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = controls[i].name;
	size_t dup, first; /* none: parse_control refused duplicate names */
	s->control_order_ = sorted_order(sp, names, n, &dup, &first);
	ml_free(names);
	for (size_t i = 0; i < n; i++) {
		size_t o2 = lptr_idx(&sp->p, i);
		if (resolve_control(sp, i))
			return -1;
		lptr_pop(&sp->p, o2);
	}
	lptr_pop(&sp->p, old);
	struct label_hotkey *hk = ml_arena_alloc(sp->a, (sp->nhk ? sp->nhk : 1) * sizeof *hk);
	if (sp->nhk)
		memcpy(hk, sp->hk, sp->nhk * sizeof *hk);
	s->hotkeys = hk;
	s->nhotkeys = sp->nhk;
	return 0;
}

int label_schema_parse(const char *json, size_t len, struct label_schema **out, struct ml_err *err)
{
	*out = NULL;
	json_t *root = label_json_load(json, len, LABEL_MAX_SCHEMA_BYTES, "schema", err);
	if (!root)
		return -1;
	struct label_schema_int *si = ml_calloc(1, sizeof *si);
	if (!si) {
		json_decref(root);
		return ml_err_set(err, ML_ENOMEM, "out of memory parsing a schema");
	}
	ml_arena_init(&si->arena, 16384);
	si->s.internal_ = si;
	struct sp sp = {.a = &si->arena, .err = err, .s = &si->s};
	lptr_init(&sp.p);
	int rc = parse_doc(&sp, root);
	ml_free(sp.hk);
	ml_free(sp.mask_owner);
	json_decref(root);
	if (rc) {
		label_schema_free(&si->s);
		return -1;
	}
	*out = &si->s;
	return 0;
}

void label_schema_free(struct label_schema *s)
{
	if (!s)
		return;
	struct label_schema_int *si = s->internal_;
	ml_arena_release(&si->arena);
	ml_free(si);
}

/* ---- introspection ----------------------------------------------------------------------------------- */

const struct label_control *label_schema_control(const struct label_schema *s, const char *name)
{
	if (!s || !name)
		return NULL;
	size_t lo = 0, hi = s->ncontrols;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct label_control *c = &s->controls[s->control_order_[mid]];
		int cmp = strcmp(c->name, name);
		if (cmp == 0)
			return c;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct label_label *label_control_label(const struct label_control *c, const char *value)
{
	if (!c || !value)
		return NULL;
	size_t lo = 0, hi = c->nlabels;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct label_label *l = &c->labels[c->label_order_[mid]];
		int cmp = strcmp(l->value, value);
		if (cmp == 0)
			return l;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool label_control_has_question(const struct label_control *c, const char *question)
{
	if (!c || !question)
		return false;
	if (!c->nquestions)
		return true;
	size_t lo = 0, hi = c->nquestions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->questions_sorted_[mid], question);
		if (cmp == 0)
			return true;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool label_pair_allowed(const struct label_label *l, const char *from, const char *to)
{
	if (!l || !from || !to)
		return false;
	if (!l->npairs)
		return true;
	struct label_pair key = {from, to}, rev = {to, from};
	if (bsearch(&key, l->pairs_sorted_, l->npairs, sizeof key, cmp_pair))
		return true;
	return !l->directed && bsearch(&rev, l->pairs_sorted_, l->npairs, sizeof rev, cmp_pair);
}

const struct label_attribute *label_control_attribute(const struct label_control *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->nattributes; i++)
		if (strcmp(c->attributes[i].name, name) == 0)
			return &c->attributes[i];
	return NULL;
}

const struct label_hotkey *label_schema_hotkey(const struct label_schema *s, const char *key)
{
	char norm[32];
	if (!s || !key || label_hotkey_normalise(key, norm, sizeof norm, NULL))
		return NULL;
	for (size_t i = 0; i < s->nhotkeys; i++)
		if (strcmp(s->hotkeys[i].key, norm) == 0)
			return &s->hotkeys[i];
	return NULL;
}
