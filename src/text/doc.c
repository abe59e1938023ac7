/* doc.c: a document's text annotations in memory, and their conversion from and to annotation bodies. */
#include "text/text_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESULTS 1000000

void text_doc_init(struct text_doc *d)
{
	memset(d, 0, sizeof *d);
	ml_arena_init(&d->arena, 1 << 14);
}

void text_doc_release(struct text_doc *d)
{
	ml_free(d->spans);
	ml_free(d->rels);
	ml_free(d->classes);
	ml_arena_release(&d->arena);
	text_doc_init(d);
}

char *text_doc_strdup(struct text_doc *d, const char *s)
{
	return s ? ml_arena_strdup(&d->arena, s) : NULL;
}

static void *grow(void *v, int *alloc, int n, size_t size)
{
	if (n < *alloc)
		return v;
	int na = *alloc ? *alloc * 2 : 16;
	void *nv = ml_xrealloc(v, (size_t)na * size);
	*alloc = na;
	return nv;
}

struct text_span *text_doc_add_span(struct text_doc *d, uint32_t start, uint32_t end, const char *label)
{
	d->spans = grow(d->spans, &d->aspans, d->nspans, sizeof *d->spans);
	struct text_span *s = &d->spans[d->nspans++];
	memset(s, 0, sizeof *s);
	s->start = start;
	s->end = end;
	s->label = text_doc_strdup(d, label);
	s->score = -1;
	return s;
}

struct text_relation *text_doc_add_relation(struct text_doc *d, const char *from, const char *to, const char *label)
{
	d->rels = grow(d->rels, &d->arels, d->nrels, sizeof *d->rels);
	struct text_relation *r = &d->rels[d->nrels++];
	memset(r, 0, sizeof *r);
	r->from = text_doc_strdup(d, from);
	r->to = text_doc_strdup(d, to);
	r->label = text_doc_strdup(d, label);
	return r;
}

struct text_class *text_doc_add_class(struct text_doc *d)
{
	d->classes = grow(d->classes, &d->aclasses, d->nclasses, sizeof *d->classes);
	struct text_class *c = &d->classes[d->nclasses++];
	memset(c, 0, sizeof *c);
	return c;
}

static int cmp_span(const void *a, const void *b)
{
	const struct text_span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	int c = strcmp(x->label ? x->label : "", y->label ? y->label : "");
	return c ? c : strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

void text_doc_sort(struct text_doc *d)
{
	if (d->nspans > 1)
		qsort(d->spans, (size_t)d->nspans, sizeof *d->spans, cmp_span);
}

/* ---- from a body ---------------------------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void set_code(struct text_doc *d, const json_t *code, char **sys, char **c, char **disp, char **ver)
{
	*sys = text_doc_strdup(d, jstr(code, "system"));
	*c = text_doc_strdup(d, jstr(code, "code"));
	*disp = text_doc_strdup(d, jstr(code, "display"));
	*ver = text_doc_strdup(d, jstr(code, "version"));
}

static unsigned attrs_of(const json_t *at)
{
	unsigned a = 0;
	if (json_is_true(json_object_get(at, "negated")))
		a |= TEXT_ATTR_NEGATED;
	if (json_is_true(json_object_get(at, "uncertain")))
		a |= TEXT_ATTR_UNCERTAIN;
	if (json_is_true(json_object_get(at, "historical")))
		a |= TEXT_ATTR_HISTORICAL;
	if (json_is_true(json_object_get(at, "family")))
		a |= TEXT_ATTR_FAMILY;
	const char *v;
	if ((v = jstr(at, "certainty")) && !strcmp(v, "uncertain"))
		a |= TEXT_ATTR_UNCERTAIN;
	if ((v = jstr(at, "temporality")) && !strcmp(v, "historical"))
		a |= TEXT_ATTR_HISTORICAL;
	if ((v = jstr(at, "experiencer")) && !strcmp(v, "family"))
		a |= TEXT_ATTR_FAMILY;
	return a;
}

int text_doc_from_body(struct text_doc *d, const char *body_json, long text_cp, struct ml_err *err)
{
	json_error_t je;
	json_t *root = json_loads(body_json, 0, &je);
	if (!root)
		return ml_err_set(err, ML_EINVAL, "annotation body: malformed JSON at byte %d", je.position);
	const json_t *results = json_object_get(root, "results");
	int rc = -1;
	if (!json_is_array(results)) {
		ml_err_field(err, ML_EINVAL, "/results", "annotation body has no results array");
		goto out;
	}
	if (json_array_size(results) > MAX_RESULTS) {
		ml_err_set(err, ML_ELIMIT, "annotation body has more than %d results", MAX_RESULTS);
		goto out;
	}
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r)
	{
		const char *id = jstr(r, "id"), *control = jstr(r, "control"), *label = jstr(r, "label");
		const json_t *st = json_object_get(r, "start"), *en = json_object_get(r, "end");
		const json_t *codes = json_object_get(r, "codes"), *choices = json_object_get(r, "choices");
		if (json_is_integer(st) && json_is_integer(en) && label) {
			json_int_t s = json_integer_value(st), e = json_integer_value(en);
			if (s < 0 || e <= s || s > UINT32_MAX || e > UINT32_MAX || (text_cp >= 0 && e > text_cp)) {
				ml_err_field(err, ML_EINVAL, "/results", "result %zu: span [%lld, %lld) is outside the text", i,
					     (long long)s, (long long)e);
				goto out;
			}
			struct text_span *sp = text_doc_add_span(d, (uint32_t)s, (uint32_t)e, label);
			sp->id = text_doc_strdup(d, id);
			sp->control = text_doc_strdup(d, control);
			sp->attrs = attrs_of(json_object_get(r, "attributes"));
			const json_t *sc = json_object_get(r, "score");
			if (json_is_number(sc))
				sp->score = json_number_value(sc);
			const json_t *c0 = json_array_get(codes, 0);
			if (c0)
				set_code(d, c0, &sp->system, &sp->code, &sp->display, &sp->version);
		} else if (jstr(r, "from") && jstr(r, "to") && label) {
			struct text_relation *rel = text_doc_add_relation(d, jstr(r, "from"), jstr(r, "to"), label);
			rel->id = text_doc_strdup(d, id);
			rel->control = text_doc_strdup(d, control);
		} else if (json_is_array(codes)) {
			size_t k;
			json_t *c;
			json_array_foreach(codes, k, c)
			{
				struct text_class *cl = text_doc_add_class(d);
				cl->id = text_doc_strdup(d, id);
				cl->control = text_doc_strdup(d, control);
				set_code(d, c, &cl->system, &cl->code, &cl->display, &cl->version);
				cl->question = text_doc_strdup(d, jstr(r, "question"));
			}
		} else if (json_is_array(choices)) {
			size_t k;
			json_t *c;
			json_array_foreach(choices, k, c)
			{
				if (!json_is_string(c))
					continue;
				struct text_class *cl = text_doc_add_class(d);
				cl->id = text_doc_strdup(d, id);
				cl->control = text_doc_strdup(d, control);
				cl->label = text_doc_strdup(d, json_string_value(c));
				cl->question = text_doc_strdup(d, jstr(r, "question"));
			}
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- to a body ---------------------------------------------------------------------------------------- */

static int put_kv(struct ml_buf *b, const char *k, const char *v)
{
	if (!v)
		return 0;
	return ml_buf_printf(b, ",\"%s\":", k) || ml_buf_json_str(b, v, strlen(v));
}

static int put_code(struct ml_buf *b, const char *sys, const char *code, const char *ver, const char *disp)
{
	return ml_buf_puts(b, "{\"system\":") || ml_buf_json_str(b, sys ? sys : "", sys ? strlen(sys) : 0) ||
	       put_kv(b, "code", code) || put_kv(b, "version", ver) || put_kv(b, "display", disp) || ml_buf_putc(b, '}');
}

int text_doc_to_body(const struct text_doc *d, const char *text, size_t len, struct ml_buf *out)
{
	struct ml_cp_index ix;
	if (ml_cp_index_build(&ix, text, len))
		return -1;
	int rc = -1;
	if (ml_buf_puts(out, "{\"results\":["))
		goto out;
	int n = 0;
	for (int i = 0; i < d->nspans; i++) {
		const struct text_span *s = &d->spans[i];
		if (s->end > ix.ncp || s->start >= s->end)
			goto out;
		uint32_t b0 = ix.byte_of_cp[s->start], b1 = ix.byte_of_cp[s->end];
		char idbuf[32];
		snprintf(idbuf, sizeof idbuf, "T%d", i + 1);
		if ((n++ && ml_buf_putc(out, ',')) || ml_buf_puts(out, "{\"id\":") ||
		    ml_buf_json_str(out, s->id ? s->id : idbuf, strlen(s->id ? s->id : idbuf)) ||
		    put_kv(out, "control", s->control ? s->control : "entities") || put_kv(out, "label", s->label) ||
		    ml_buf_printf(out, ",\"start\":%u,\"end\":%u,\"text\":", s->start, s->end) ||
		    ml_buf_json_str(out, text + b0, b1 - b0))
			goto out;
		if (s->attrs) {
			int k = 0;
			if (ml_buf_puts(out, ",\"attributes\":{"))
				goto out;
			if ((s->attrs & TEXT_ATTR_NEGATED) && ml_buf_printf(out, "%s\"negated\":true", k++ ? "," : ""))
				goto out;
			if ((s->attrs & TEXT_ATTR_UNCERTAIN) && ml_buf_printf(out, "%s\"certainty\":\"uncertain\"", k++ ? "," : ""))
				goto out;
			if ((s->attrs & TEXT_ATTR_HISTORICAL) &&
			    ml_buf_printf(out, "%s\"temporality\":\"historical\"", k++ ? "," : ""))
				goto out;
			if ((s->attrs & TEXT_ATTR_FAMILY) && ml_buf_printf(out, "%s\"experiencer\":\"family\"", k++ ? "," : ""))
				goto out;
			if (ml_buf_putc(out, '}'))
				goto out;
		}
		if (s->code && (ml_buf_puts(out, ",\"codes\":[") || put_code(out, s->system, s->code, s->version, s->display) ||
				ml_buf_putc(out, ']')))
			goto out;
		if (s->score >= 0 && ml_buf_printf(out, ",\"score\":%.6g", s->score))
			goto out;
		if (ml_buf_putc(out, '}'))
			goto out;
	}
	for (int i = 0; i < d->nrels; i++) {
		const struct text_relation *r = &d->rels[i];
		char idbuf[32];
		snprintf(idbuf, sizeof idbuf, "R%d", i + 1);
		if ((n++ && ml_buf_putc(out, ',')) || ml_buf_puts(out, "{\"id\":") ||
		    ml_buf_json_str(out, r->id ? r->id : idbuf, strlen(r->id ? r->id : idbuf)) ||
		    put_kv(out, "control", r->control ? r->control : "relations") || put_kv(out, "label", r->label) ||
		    put_kv(out, "from", r->from) || put_kv(out, "to", r->to) || ml_buf_putc(out, '}'))
			goto out;
	}
	for (int i = 0; i < d->nclasses; i++) {
		const struct text_class *c = &d->classes[i];
		char idbuf[32];
		snprintf(idbuf, sizeof idbuf, "C%d", i + 1);
		if ((n++ && ml_buf_putc(out, ',')) || ml_buf_puts(out, "{\"id\":") ||
		    ml_buf_json_str(out, c->id ? c->id : idbuf, strlen(c->id ? c->id : idbuf)) ||
		    put_kv(out, "control", c->control ? c->control : "codes") || put_kv(out, "question", c->question))
			goto out;
		if (c->code) {
			if (ml_buf_puts(out, ",\"codes\":[") || put_code(out, c->system, c->code, c->version, c->display) ||
			    ml_buf_putc(out, ']'))
				goto out;
		} else if (c->label) {
			if (ml_buf_puts(out, ",\"choices\":[") || ml_buf_json_str(out, c->label, strlen(c->label)) ||
			    ml_buf_putc(out, ']'))
				goto out;
		}
		if (ml_buf_putc(out, '}'))
			goto out;
	}
	rc = ml_buf_puts(out, "]}");
out:
	ml_cp_index_release(&ix);
	return rc;
}
