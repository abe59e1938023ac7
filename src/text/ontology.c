/* ontology.c: ontologies in memory — OBO 1.4, FHIR CodeSystem and CSV parsers, code lookup, hierarchy. */
#include "text/text_int.h"
#include "text/onto_int.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ONTOLOGY_FILE ((size_t)1 << 30)
#define MAX_TERMS_PER_CONCEPT 10000

struct text_ontology *text_ontology_new(void)
{
	struct text_ontology *o = ml_xcalloc(1, sizeof *o);
	ml_arena_init(&o->arena, 1 << 18);
	return o;
}

void text_ontology_free(struct text_ontology *o)
{
	if (!o)
		return;
	text_onto_index_free(o->ix);
	ml_free(o->concepts);
	ml_free(o->code_slots);
	ml_arena_release(&o->arena);
	ml_free(o);
}

/* ---- building concepts ------------------------------------------------------------------------------- */

/* A concept under construction: string lists on the heap, copied into the arena when committed. */
struct strvec {
	char **v;
	int n, a;
};

static int strvec_push(struct strvec *s, char *str)
{
	if (s->n >= MAX_TERMS_PER_CONCEPT)
		return -1;
	if (s->n == s->a) {
		int na = s->a ? s->a * 2 : 8;
		char **v = ml_realloc(s->v, (size_t)na * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->a = na;
	}
	s->v[s->n++] = str;
	return 0;
}

struct draft {
	char *code, *display;
	struct strvec syn, parents, alts;
	bool obsolete;
	long line; /* where it started, for messages */
};

static void draft_reset(struct draft *d)
{
	d->code = d->display = NULL;
	d->syn.n = d->parents.n = d->alts.n = 0;
	d->obsolete = false;
	d->line = 0;
}

static void draft_release(struct draft *d)
{
	ml_free(d->syn.v);
	ml_free(d->parents.v);
	ml_free(d->alts.v);
	memset(d, 0, sizeof *d);
}

static char **arena_vec(struct ml_arena *a, const struct strvec *s)
{
	if (!s->n)
		return NULL;
	char **v = ml_arena_alloc(a, (size_t)s->n * sizeof *v);
	memcpy(v, s->v, (size_t)s->n * sizeof *v);
	return v;
}

static int commit(struct text_ontology *o, struct draft *d, struct ml_err *err, const char *what)
{
	if (!d->code || !*d->code)
		return ml_err_set(err, ML_EINVAL, "%s: a concept without a code", what);
	if (!d->display || !*d->display)
		d->display = d->syn.n ? d->syn.v[0] : d->code;
	if (o->n == o->alloc) {
		int na = o->alloc ? o->alloc * 2 : 1024;
		struct text_concept *v = ml_realloc(o->concepts, (size_t)na * sizeof *v);
		if (!v)
			return ml_err_set(err, ML_ENOMEM, "out of memory");
		o->concepts = v;
		o->alloc = na;
	}
	/* Drop synonyms identical to the display: search would only list them twice. */
	int k = 0;
	for (int i = 0; i < d->syn.n; i++)
		if (strcmp(d->syn.v[i], d->display))
			d->syn.v[k++] = d->syn.v[i];
	d->syn.n = k;
	struct text_concept *c = &o->concepts[o->n++];
	memset(c, 0, sizeof *c);
	c->code = d->code;
	c->display = d->display;
	c->synonyms = arena_vec(&o->arena, &d->syn);
	c->nsyn = d->syn.n;
	c->parent_codes = arena_vec(&o->arena, &d->parents);
	c->nparents = d->parents.n;
	c->alt_codes = arena_vec(&o->arena, &d->alts);
	c->nalt = d->alts.n;
	c->obsolete = d->obsolete;
	return 0;
}

static bool valid_utf8(const char *s, size_t n)
{
	size_t bad;
	return ml_utf8_valid(s, n, &bad);
}

/* ---- OBO 1.4 ------------------------------------------------------------------------------------------- */

/* Strips an unescaped trailing "! comment" and "{modifiers}" and surrounding blanks, in place. */
static char *obo_value(char *v)
{
	bool inq = false;
	for (char *p = v; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		else if (!inq && *p == '!') {
			*p = '\0';
			break;
		}
	}
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	if (n && v[n - 1] == '}') {
		char *b = strrchr(v, '{');
		if (b) {
			*b = '\0';
			n = strlen(v);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				v[--n] = '\0';
		}
	}
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

/* Parses a quoted OBO string at *p ("text with \" escapes"), returns it in the arena and advances *p. */
static char *obo_quoted(struct ml_arena *a, char **p)
{
	char *s = *p;
	if (*s != '"')
		return NULL;
	s++;
	char *out = ml_arena_alloc(a, strlen(s) + 1), *o = out;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? ' ' : *s == 't' ? ' ' : *s;
		} else {
			*o++ = *s;
		}
	}
	if (*s != '"')
		return NULL;
	*o = '\0';
	*p = s + 1;
	return out;
}

static int parse_obo(struct text_ontology *o, char *data, size_t len, struct ml_err *err)
{
	struct draft d = {0};
	int in_term = 0; /* 1 in a [Term] stanza, -1 in another stanza, 0 in the header */
	long line = 0;
	char *ontology = NULL, *data_version = NULL;
	char *p = data, *end = data + len;
	int rc = -1;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		*eol = '\0';
		line++;
		char *l = p;
		p = nl ? nl + 1 : end;
		size_t ll = strlen(l);
		if (ll && l[ll - 1] == '\r')
			l[--ll] = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l || *l == '!')
			continue;
		if (*l == '[') {
			if (in_term == 1 && commit(o, &d, err, "obo")) {
				ml_err_set(err, ML_EINVAL, "line %ld: [Term] stanza without an id", d.line);
				goto out;
			}
			draft_reset(&d);
			in_term = !strncmp(l, "[Term]", 6) ? 1 : -1;
			d.line = line;
			continue;
		}
		char *colon = strchr(l, ':');
		if (!colon) {
			ml_err_set(err, ML_EINVAL, "line %ld: expected 'tag: value'", line);
			goto out;
		}
		*colon = '\0';
		char *tag = l, *val = colon + 1;
		if (in_term == 0) {
			val = obo_value(val);
			if (!strcmp(tag, "ontology"))
				ontology = ml_arena_strdup(&o->arena, val);
			else if (!strcmp(tag, "data-version"))
				data_version = ml_arena_strdup(&o->arena, val);
			continue;
		}
		if (in_term < 0)
			continue;
		if (!strcmp(tag, "synonym")) {
			char *v = val;
			while (*v == ' ')
				v++;
			char *syn = obo_quoted(&o->arena, &v);
			if (!syn) {
				ml_err_set(err, ML_EINVAL, "line %ld: synonym needs a quoted string", line);
				goto out;
			}
			while (*v == ' ')
				v++;
			if (!strncmp(v, "BROAD", 5)) /* a broader term names a different concept */
				continue;
			if (*syn && strvec_push(&d.syn, syn)) {
				ml_err_set(err, ML_ELIMIT, "line %ld: too many synonyms", line);
				goto out;
			}
			continue;
		}
		val = obo_value(val);
		if (!strcmp(tag, "id")) {
			if (d.code) {
				ml_err_set(err, ML_EINVAL, "line %ld: a second id in one [Term]", line);
				goto out;
			}
			if (!*val) {
				ml_err_set(err, ML_EINVAL, "line %ld: empty id", line);
				goto out;
			}
			d.code = ml_arena_strdup(&o->arena, val);
		} else if (!strcmp(tag, "name")) {
			d.display = ml_arena_strdup(&o->arena, val);
		} else if (!strcmp(tag, "is_a")) {
			if (*val && strvec_push(&d.parents, ml_arena_strdup(&o->arena, val))) {
				ml_err_set(err, ML_ELIMIT, "line %ld: too many parents", line);
				goto out;
			}
		} else if (!strcmp(tag, "alt_id")) {
			if (*val && strvec_push(&d.alts, ml_arena_strdup(&o->arena, val))) {
				ml_err_set(err, ML_ELIMIT, "line %ld: too many alt_ids", line);
				goto out;
			}
		} else if (!strcmp(tag, "is_obsolete")) {
			d.obsolete = !strcmp(val, "true");
		}
	}
	if (in_term == 1 && commit(o, &d, err, "obo")) {
		ml_err_set(err, ML_EINVAL, "line %ld: [Term] stanza without an id", d.line);
		goto out;
	}
	if (!o->name && ontology)
		o->name = ontology;
	if (!o->system && ontology)
		o->system = ml_arena_printf(&o->arena, "http://purl.obolibrary.org/obo/%s.owl", ontology);
	if (!o->version && data_version) {
		const char *slash = strrchr(data_version, '/');
		/* "hp/releases/2024-01-16" -> "2024-01-16" */
		o->version = ml_arena_strdup(&o->arena, slash ? slash + 1 : data_version);
	}
	rc = 0;
out:
	draft_release(&d);
	return rc;
}

/* ---- FHIR CodeSystem ----------------------------------------------------------------------------------- */

static bool cs_inactive(const json_t *c)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(c, "property"), i, p)
	{
		const char *code = json_string_value(json_object_get(p, "code"));
		if (!code)
			continue;
		if ((!strcmp(code, "inactive") || !strcmp(code, "deprecated")) && json_is_true(json_object_get(p, "valueBoolean")))
			return true;
		const char *vc = json_string_value(json_object_get(p, "valueCode"));
		if (!strcmp(code, "status") && vc && (!strcmp(vc, "retired") || !strcmp(vc, "deprecated")))
			return true;
	}
	return false;
}

static int cs_concepts(struct text_ontology *o, const json_t *arr, const char *parent, const char *where, int depth,
		       struct ml_err *err)
{
	if (depth > 64)
		return ml_err_set(err, ML_EINVAL, "%s: concepts nested more than 64 levels", where);
	if (arr && !json_is_array(arr))
		return ml_err_set(err, ML_EINVAL, "%s: concept is not an array", where);
	size_t i;
	json_t *c;
	json_array_foreach(arr, i, c)
	{
		char here[256];
		snprintf(here, sizeof here, "%s/concept/%zu", where, i);
		const char *code = json_string_value(json_object_get(c, "code"));
		if (!code || !*code)
			return ml_err_set(err, ML_EINVAL, "%s: missing code", here);
		struct draft d = {0};
		d.code = ml_arena_strdup(&o->arena, code);
		const char *disp = json_string_value(json_object_get(c, "display"));
		if (disp)
			d.display = ml_arena_strdup(&o->arena, disp);
		size_t k;
		json_t *des;
		json_array_foreach(json_object_get(c, "designation"), k, des)
		{
			const char *v = json_string_value(json_object_get(des, "value"));
			if (v && *v && strvec_push(&d.syn, ml_arena_strdup(&o->arena, v))) {
				draft_release(&d);
				return ml_err_set(err, ML_ELIMIT, "%s: too many designations", here);
			}
		}
		if (parent)
			(void)strvec_push(&d.parents, (char *)parent);
		json_t *p;
		json_array_foreach(json_object_get(c, "property"), k, p)
		{
			const char *pc = json_string_value(json_object_get(p, "code"));
			const char *vc = json_string_value(json_object_get(p, "valueCode"));
			if (pc && vc && (!strcmp(pc, "parent") || !strcmp(pc, "subsumedBy")))
				(void)strvec_push(&d.parents, ml_arena_strdup(&o->arena, vc));
		}
		d.obsolete = cs_inactive(c);
		int rc = commit(o, &d, err, here);
		const char *self = d.code;
		draft_release(&d);
		if (rc)
			return -1;
		if (cs_concepts(o, json_object_get(c, "concept"), self, here, depth + 1, err))
			return -1;
	}
	return 0;
}

static int parse_codesystem(struct text_ontology *o, const char *data, size_t len, struct ml_err *err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je);
	if (!root)
		return ml_err_set(err, ML_EINVAL, "invalid JSON at line %d column %d", je.line, je.column);
	int rc = -1;
	const char *rt = json_string_value(json_object_get(root, "resourceType"));
	if (!rt || strcmp(rt, "CodeSystem")) {
		ml_err_set(err, ML_EINVAL, "resourceType is not CodeSystem");
		goto out;
	}
	const char *url = json_string_value(json_object_get(root, "url"));
	const char *ver = json_string_value(json_object_get(root, "version"));
	const char *name = json_string_value(json_object_get(root, "name"));
	if (!o->system && url)
		o->system = ml_arena_strdup(&o->arena, url);
	if (!o->version && ver)
		o->version = ml_arena_strdup(&o->arena, ver);
	if (!o->name && name)
		o->name = ml_arena_strdup(&o->arena, name);
	rc = cs_concepts(o, json_object_get(root, "concept"), NULL, "", 0, err);
out:
	json_decref(root);
	return rc;
}

/* ---- CSV: code, display, synonyms (a|b), parent (a|b) ---------------------------------------------- */

static int split_bar(struct ml_arena *a, const char *s, struct strvec *out)
{
	while (*s) {
		size_t n = strcspn(s, "|");
		const char *b = s, *e = s + n;
		while (b < e && *b == ' ')
			b++;
		while (e > b && e[-1] == ' ')
			e--;
		if (e > b && strvec_push(out, ml_arena_strndup(a, b, (size_t)(e - b))))
			return -1;
		s += n;
		if (*s == '|')
			s++;
	}
	return 0;
}

static int find_col(const struct text_csv_reader *r, const char *const *names)
{
	for (const char *const *n = names; *n; n++)
		for (int i = 0; i < r->nfields; i++)
			if (!strcasecmp(text_csv_field(r, i), *n))
				return i;
	return -1;
}

static int parse_csv(struct text_ontology *o, const char *data, size_t len, struct ml_err *err)
{
	FILE *f = fmemopen((void *)data, len, "r");
	if (!f)
		return ml_err_set(err, ML_ENOMEM, "cannot read the CSV: %s", strerror(errno));
	struct text_csv_reader r;
	text_csv_reader_init(&r, f, "csv", 1 << 20);
	struct draft d = {0};
	int rc = -1;
	int got = text_csv_next(&r, err);
	if (got <= 0) {
		if (!got)
			ml_err_set(err, ML_EINVAL, "empty CSV: a header with code and display is required");
		goto out;
	}
	static const char *const code_n[] = {"code", "id", NULL};
	static const char *const disp_n[] = {"display", "name", "description", "label", "term", NULL};
	static const char *const syn_n[] = {"synonyms", "synonym", NULL};
	static const char *const par_n[] = {"parent", "parents", "is_a", NULL};
	int cc = find_col(&r, code_n), dc = find_col(&r, disp_n), sc = find_col(&r, syn_n), pc = find_col(&r, par_n);
	int ncols = r.nfields;
	if (cc < 0 || dc < 0) {
		ml_err_set(err, ML_EINVAL, "line 1: the header needs a code and a display column");
		goto out;
	}
	while ((got = text_csv_next(&r, err)) != 0) {
		if (got < 0) {
			/* "'csv' line N column C: ..." -> "line N column C: ..." */
			memmove(err->msg, err->msg + 6, strlen(err->msg + 6) + 1);
			goto out;
		}
		if (r.nfields == 1 && !r.flen[0])
			continue;
		if (r.nfields != ncols) {
			ml_err_set(err, ML_EINVAL, "line %ld: %d fields where the header has %d", r.line, r.nfields, ncols);
			goto out;
		}
		for (int i = 0; i < r.nfields; i++)
			if (!valid_utf8(text_csv_field(&r, i), r.flen[i])) {
				ml_err_set(err, ML_EINVAL, "line %ld column %d: invalid UTF-8", r.line, i + 1);
				goto out;
			}
		draft_reset(&d);
		d.line = r.line;
		d.code = ml_arena_strdup(&o->arena, text_csv_field(&r, cc));
		d.display = ml_arena_strdup(&o->arena, text_csv_field(&r, dc));
		if ((sc >= 0 && split_bar(&o->arena, text_csv_field(&r, sc), &d.syn)) ||
		    (pc >= 0 && split_bar(&o->arena, text_csv_field(&r, pc), &d.parents))) {
			ml_err_set(err, ML_ELIMIT, "line %ld: too many synonyms or parents", r.line);
			goto out;
		}
		char where[32];
		snprintf(where, sizeof where, "line %ld", r.line);
		if (commit(o, &d, err, where))
			goto out;
	}
	rc = 0;
out:
	draft_release(&d);
	text_csv_reader_release(&r);
	fclose(f);
	return rc;
}

/* ---- entry points -------------------------------------------------------------------------------------- */

static enum text_onto_format sniff(const char *data, size_t len)
{
	size_t i = 0;
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
		i++;
	if (i < len && data[i] == '{')
		return TEXT_ONTO_CODESYSTEM;
	if (memmem(data, len < 65536 ? len : 65536, "[Term]", 6) ||
	    (len - i >= 15 && !memcmp(data + i, "format-version:", 15)))
		return TEXT_ONTO_OBO;
	return TEXT_ONTO_CSV;
}

int text_ontology_parse_mem(const char *data, size_t len, enum text_onto_format fmt, struct text_ontology *o,
			    struct ml_err *err)
{
	if (fmt == TEXT_ONTO_AUTO)
		fmt = sniff(data, len);
	uint8_t h[32];
	char hex[65];
	crypto_generichash(h, sizeof h, (const uint8_t *)data, len, NULL, 0);
	ml_hex_encode(h, sizeof h, hex);
	o->hash = ml_arena_strdup(&o->arena, hex);
	int rc;
	if (fmt == TEXT_ONTO_OBO || fmt == TEXT_ONTO_CSV) {
		size_t bad;
		if (!ml_utf8_valid(data, len, &bad))
			return ml_err_set(err, ML_EINVAL, "invalid UTF-8 at byte %zu", bad);
	}
	if (fmt == TEXT_ONTO_OBO) {
		char *copy = ml_malloc(len + 1); /* the OBO parser cuts lines in place */
		if (!copy)
			return ml_err_set(err, ML_ENOMEM, "out of memory");
		memcpy(copy, data, len);
		copy[len] = '\0';
		rc = parse_obo(o, copy, len, err);
		ml_free(copy);
	} else if (fmt == TEXT_ONTO_CODESYSTEM) {
		rc = parse_codesystem(o, data, len, err);
	} else {
		rc = parse_csv(o, data, len, err);
	}
	if (rc)
		return -1;
	if (o->n == 0)
		return ml_err_set(err, ML_EINVAL, "no concepts found");
	return 0;
}

int text_ontology_parse(const char *path, enum text_onto_format fmt, struct text_ontology *o, struct ml_err *err)
{
	char *data;
	size_t len;
	if (ml_file_read(path, MAX_ONTOLOGY_FILE, &data, &len, err))
		return -1;
	int rc = text_ontology_parse_mem(data, len, fmt, o, err);
	ml_free(data);
	if (rc) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		ml_err_set(err, err->code, "cannot load ontology '%s': %s", path, msg);
	}
	return rc;
}

/* ---- codes and hierarchy ------------------------------------------------------------------------------- */

static int code_slot_find(const struct text_ontology *o, const char *code)
{
	if (!o->code_slots)
		return -1;
	uint64_t h = text_hash64(code, strlen(code));
	for (size_t i = h & o->code_mask;; i = (i + 1) & o->code_mask) {
		int c = o->code_slots[i].concept;
		if (c < 0)
			return -1;
		if (o->code_slots[i].hash == h && !strcmp(o->code_slots[i].code, code))
			return c;
	}
}

static void code_slot_put(struct text_ontology *o, const char *code, int concept)
{
	uint64_t h = text_hash64(code, strlen(code));
	for (size_t i = h & o->code_mask;; i = (i + 1) & o->code_mask) {
		if (o->code_slots[i].concept < 0) {
			o->code_slots[i] = (struct text_code_slot){h, code, concept};
			return;
		}
		if (o->code_slots[i].hash == h && !strcmp(o->code_slots[i].code, code))
			return; /* first definition wins */
	}
}

int text_ontology_find_code(const struct text_ontology *o, const char *code)
{
	return code ? code_slot_find(o, code) : -1;
}

int text_ontology_index(struct text_ontology *o, struct ml_err *err)
{
	size_t ncodes = 0;
	for (int i = 0; i < o->n; i++)
		ncodes += 1 + (size_t)o->concepts[i].nalt;
	size_t cap = 16;
	while (cap < ncodes * 2)
		cap *= 2;
	ml_free(o->code_slots);
	o->code_slots = ml_malloc(cap * sizeof *o->code_slots);
	if (!o->code_slots)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	for (size_t i = 0; i < cap; i++)
		o->code_slots[i].concept = -1;
	o->code_mask = cap - 1;
	for (int i = 0; i < o->n; i++) {
		if (code_slot_find(o, o->concepts[i].code) >= 0) {
			return ml_err_set(err, ML_EINVAL, "duplicate code '%s'", o->concepts[i].code);
		}
		code_slot_put(o, o->concepts[i].code, i);
	}
	for (int i = 0; i < o->n; i++)
		for (int k = 0; k < o->concepts[i].nalt; k++)
			code_slot_put(o, o->concepts[i].alt_codes[k], i);
	/* Parents by index, then children by counting. */
	int *nchild = ml_calloc((size_t)o->n + 1, sizeof *nchild);
	if (!nchild)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	o->unknown_parents = 0;
	for (int i = 0; i < o->n; i++) {
		struct text_concept *c = &o->concepts[i];
		c->parents = c->nparents ? ml_arena_alloc(&o->arena, (size_t)c->nparents * sizeof(int)) : NULL;
		int k = 0;
		for (int j = 0; j < c->nparents; j++) {
			int p = code_slot_find(o, c->parent_codes[j]);
			if (p < 0 || p == i) {
				o->unknown_parents++;
				continue;
			}
			c->parents[k++] = p;
			nchild[p]++;
		}
		c->nresolved = k;
		c->nchildren = 0;
	}
	for (int i = 0; i < o->n; i++)
		o->concepts[i].children = nchild[i] ? ml_arena_alloc(&o->arena, (size_t)nchild[i] * sizeof(int)) : NULL;
	for (int i = 0; i < o->n; i++) {
		struct text_concept *c = &o->concepts[i];
		for (int j = 0; j < c->nresolved; j++) {
			struct text_concept *p = &o->concepts[c->parents[j]];
			p->children[p->nchildren++] = i;
		}
	}
	ml_free(nchild);
	text_onto_index_free(o->ix);
	o->ix = NULL;
	return text_onto_index_build(o, err);
}

/* ---- JSON for the API --------------------------------------------------------------------------------- */

static int concept_ref(const struct text_ontology *o, int i, struct ml_buf *out)
{
	const struct text_concept *c = &o->concepts[i];
	return ml_buf_puts(out, "{\"code\":") || ml_buf_json_str(out, c->code, strlen(c->code)) ||
	       ml_buf_puts(out, ",\"display\":") || ml_buf_json_str(out, c->display, strlen(c->display)) ||
	       ml_buf_puts(out, c->obsolete ? ",\"obsolete\":true}" : "}");
}

static int put_common(const struct text_ontology *o, struct ml_buf *out)
{
	const char *sys = o->system ? o->system : o->name ? o->name : "";
	const char *ver = o->version ? o->version : "";
	return ml_buf_puts(out, ",\"system\":") || ml_buf_json_str(out, sys, strlen(sys)) ||
	       ml_buf_puts(out, ",\"version\":") || ml_buf_json_str(out, ver, strlen(ver));
}

int text_ontology_hits_json(const struct text_ontology *o, const struct text_hit *hits, int n, struct ml_buf *out)
{
	static const char *const names[] = {"exact", "prefix", "token", "fuzzy"};
	if (ml_buf_putc(out, '['))
		return -1;
	for (int i = 0; i < n; i++) {
		const struct text_concept *c = &o->concepts[hits[i].concept];
		if ((i && ml_buf_putc(out, ',')) || ml_buf_puts(out, "{\"code\":") ||
		    ml_buf_json_str(out, c->code, strlen(c->code)) || ml_buf_puts(out, ",\"display\":") ||
		    ml_buf_json_str(out, c->display, strlen(c->display)) || put_common(o, out) ||
		    ml_buf_printf(out, ",\"match\":\"%s\",\"matched\":", names[hits[i].match]) ||
		    ml_buf_json_str(out, hits[i].matched, strlen(hits[i].matched)) || ml_buf_putc(out, '}'))
			return -1;
	}
	return ml_buf_putc(out, ']');
}

int text_ontology_concept_json(const struct text_ontology *o, int i, struct ml_buf *out)
{
	const struct text_concept *c = &o->concepts[i];
	if (ml_buf_puts(out, "{\"code\":") || ml_buf_json_str(out, c->code, strlen(c->code)) ||
	    ml_buf_puts(out, ",\"display\":") || ml_buf_json_str(out, c->display, strlen(c->display)) ||
	    put_common(o, out) || ml_buf_printf(out, ",\"obsolete\":%s,\"synonyms\":[", c->obsolete ? "true" : "false"))
		return -1;
	for (int k = 0; k < c->nsyn; k++)
		if ((k && ml_buf_putc(out, ',')) || ml_buf_json_str(out, c->synonyms[k], strlen(c->synonyms[k])))
			return -1;
	if (ml_buf_puts(out, "],\"alt_codes\":["))
		return -1;
	for (int k = 0; k < c->nalt; k++)
		if ((k && ml_buf_putc(out, ',')) || ml_buf_json_str(out, c->alt_codes[k], strlen(c->alt_codes[k])))
			return -1;
	if (ml_buf_puts(out, "],\"parents\":["))
		return -1;
	for (int k = 0; k < c->nresolved; k++)
		if ((k && ml_buf_putc(out, ',')) || concept_ref(o, c->parents[k], out))
			return -1;
	if (ml_buf_puts(out, "],\"children\":["))
		return -1;
	for (int k = 0; k < c->nchildren; k++)
		if ((k && ml_buf_putc(out, ',')) || concept_ref(o, c->children[k], out))
			return -1;
	return ml_buf_puts(out, "]}");
}

int text_ontology_parents_json(const struct text_ontology *o, int i, struct ml_buf *out)
{
	const struct text_concept *c = &o->concepts[i];
	if (ml_buf_putc(out, '['))
		return -1;
	for (int k = 0; k < c->nresolved; k++)
		if ((k && ml_buf_putc(out, ',')) || concept_ref(o, c->parents[k], out))
			return -1;
	return ml_buf_putc(out, ']');
}

int text_ontology_children_json(const struct text_ontology *o, int i, struct ml_buf *out)
{
	const struct text_concept *c = &o->concepts[i];
	if (ml_buf_putc(out, '['))
		return -1;
	for (int k = 0; k < c->nchildren; k++)
		if ((k && ml_buf_putc(out, ',')) || concept_ref(o, c->children[k], out))
			return -1;
	return ml_buf_putc(out, ']');
}
