/* diff.c: what a new version of a schema breaks, and whether a given annotation is affected by it. */
#include "label/label_int.h"

#include <stdio.h>
#include <string.h>

struct label_diff_int {
	struct ml_arena arena;
	struct label_diff d;
	struct label_change *changes;
	size_t n, cap;
};

static void add(struct label_diff_int *di, enum label_change_kind kind, const char *control, const char *label,
		const char *attribute, const char *target, bool when_missing, const char *fmt, ...) ML_PRINTF(8, 9);

static void add(struct label_diff_int *di, enum label_change_kind kind, const char *control, const char *label,
		const char *attribute, const char *target, bool when_missing, const char *fmt, ...)
{
	if (di->n == di->cap) {
		di->cap = di->cap ? di->cap * 2 : 8;
		di->changes = ml_xrealloc(di->changes, di->cap * sizeof *di->changes);
	}
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	struct label_change *c = &di->changes[di->n++];
	c->kind = kind;
	c->control = ml_arena_strdup(&di->arena, control);
	c->label = label ? ml_arena_strdup(&di->arena, label) : NULL;
	c->attribute = attribute ? ml_arena_strdup(&di->arena, attribute) : NULL;
	c->target = target ? ml_arena_strdup(&di->arena, target) : NULL;
	c->when_missing = when_missing;
	c->what = ml_arena_strdup(&di->arena, what);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* True if every pair the old label allowed is still allowed by the new one. */
static bool pairs_kept(const struct label_label *o, const struct label_label *n)
{
	if (!n->npairs)
		return true;
	if (!o->npairs)
		return false;
	for (size_t k = 0; k < o->npairs; k++) {
		if (!label_pair_allowed(n, o->pairs[k].from, o->pairs[k].to))
			return false;
		if (!o->directed && !label_pair_allowed(n, o->pairs[k].to, o->pairs[k].from))
			return false;
	}
	return true;
}

static void diff_labels(struct label_diff_int *di, const struct label_control *o, const struct label_control *n)
{
	for (size_t i = 0; i < o->nlabels; i++) {
		const struct label_label *ol = &o->labels[i], *nl = label_control_label(n, ol->value);
		if (!nl) {
			add(di, LABEL_CHANGE_LABEL, o->name, ol->value, NULL, NULL, false, "label '%s' removed from control '%s'",
			    ol->value, o->name);
			continue;
		}
		if (ol->mask_value != nl->mask_value)
			add(di, LABEL_CHANGE_LABEL, o->name, ol->value, NULL, NULL, false,
			    "label '%s' of control '%s' changed mask value from %d to %d", ol->value, o->name, ol->mask_value,
			    nl->mask_value);
		else if (o->kind == LABEL_KIND_RELATION && ((!ol->directed && nl->directed) || !pairs_kept(ol, nl)))
			add(di, LABEL_CHANGE_LABEL, o->name, ol->value, NULL, NULL, false,
			    "relation '%s' of control '%s' allows fewer pairs", ol->value, o->name);
	}
}

static void diff_attributes(struct label_diff_int *di, const struct label_control *o, const struct label_control *n)
{
	for (size_t i = 0; i < o->nattributes; i++) {
		const struct label_attribute *oa = &o->attributes[i], *na = label_control_attribute(n, oa->name);
		if (!na) {
			add(di, LABEL_CHANGE_ATTRIBUTE, o->name, NULL, oa->name, NULL, false,
			    "attribute '%s' removed from control '%s'", oa->name, o->name);
			continue;
		}
		if (oa->type != na->type) {
			add(di, LABEL_CHANGE_ATTRIBUTE, o->name, NULL, oa->name, NULL, false,
			    "attribute '%s' of control '%s' changed type", oa->name, o->name);
			continue;
		}
		for (size_t k = 0; k < oa->nvalues; k++)
			if (!in_list(na->values, na->nvalues, oa->values[k])) {
				add(di, LABEL_CHANGE_ATTRIBUTE, o->name, NULL, oa->name, NULL, false,
				    "value '%s' removed from attribute '%s' of control '%s'", oa->values[k], oa->name, o->name);
				break;
			}
	}
	for (size_t i = 0; i < n->nattributes; i++) {
		const struct label_attribute *na = &n->attributes[i], *oa = label_control_attribute(o, na->name);
		if (na->required && (!oa || !oa->required))
			add(di, LABEL_CHANGE_ATTRIBUTE, o->name, NULL, na->name, NULL, true,
			    "attribute '%s' of control '%s' became required", na->name, o->name);
	}
}

static void diff_codings(struct label_diff_int *di, const struct label_control *o, const struct label_control *n)
{
	for (size_t i = 0; i < o->ncodings; i++) {
		const struct label_coding *oc = &o->codings[i], *nc = NULL;
		for (size_t k = 0; k < n->ncodings && !nc; k++)
			if (strcmp(n->codings[k].system, oc->system) == 0)
				nc = &n->codings[k];
		if (!nc)
			add(di, LABEL_CHANGE_CODING, o->name, NULL, NULL, NULL, false,
			    "code system '%s' removed from control '%s'", oc->system, o->name);
		else if ((nc->version && !str_eq(nc->version, oc->version)) || (nc->subtree && !str_eq(nc->subtree, oc->subtree)))
			add(di, LABEL_CHANGE_CODING, o->name, NULL, NULL, NULL, false,
			    "code system '%s' of control '%s' changed version or subtree", oc->system, o->name);
	}
}

/* Changes that break every result of a control; returns true if one was found (and recorded). */
static bool diff_control(struct label_diff_int *di, const struct label_control *o, const struct label_control *n)
{
	const char *why = NULL;
	if (o->kind != n->kind)
		why = "changed kind";
	else if (!str_eq(o->target, n->target))
		why = "changed target";
	else if (o->multiple && !n->multiple)
		why = "no longer allows several choices";
	else if (o->overlap && !n->overlap)
		why = "no longer allows overlap";
	else if (o->part_shape != n->part_shape)
		why = "changed part shape";
	else if (n->max_length && (!o->max_length || n->max_length < o->max_length))
		why = "lowered its maximum length";
	else if (o->multiline && !n->multiline)
		why = "no longer allows several lines";
	else if (o->transcription != n->transcription &&
		 (n->transcription == LABEL_TRANSCRIPTION_REQUIRED || n->transcription == LABEL_TRANSCRIPTION_NONE))
		why = "changed its transcription rule";
	for (size_t i = 0; !why && i < o->npoints; i++)
		if (!in_list(n->points, n->npoints, o->points[i]))
			why = "removed a keypoint";
	for (size_t i = 0; !why && i < o->nbetween; i++)
		if (!in_list(n->between, n->nbetween, o->between[i]))
			why = "links fewer controls";
	if (!why && n->nquestions) {
		if (!o->nquestions)
			why = "codes fewer questions";
		for (size_t i = 0; !why && i < o->nquestions; i++)
			if (!in_list(n->questions, n->nquestions, o->questions[i]))
				why = "codes fewer questions";
	}
	if (!why)
		return false;
	add(di, LABEL_CHANGE_CONTROL, o->name, NULL, NULL, NULL, false, "control '%s' %s", o->name, why);
	return true;
}

int label_schema_diff(const struct label_schema *old_schema, const struct label_schema *new_schema,
		      struct label_diff **out, struct ml_err *err)
{
	*out = NULL;
	if (!old_schema || !new_schema)
		return ml_err_set(err, ML_EINVAL, "label_schema_diff needs two schemas");
	struct label_diff_int *di = ml_calloc(1, sizeof *di);
	if (!di)
		return ml_err_set(err, ML_ENOMEM, "out of memory comparing schemas");
	ml_arena_init(&di->arena, 4096);
	di->d.internal_ = di;
	for (size_t i = 0; i < old_schema->ncontrols; i++) {
		const struct label_control *o = &old_schema->controls[i];
		const struct label_control *n = label_schema_control(new_schema, o->name);
		if (!n) {
			add(di, LABEL_CHANGE_CONTROL, o->name, NULL, NULL, NULL, false, "control '%s' removed", o->name);
			continue;
		}
		if (diff_control(di, o, n))
			continue;
		diff_labels(di, o, n);
		diff_attributes(di, o, n);
		diff_codings(di, o, n);
	}
	for (size_t i = 0; i < new_schema->ncontrols; i++) {
		const struct label_control *n = &new_schema->controls[i];
		const struct label_control *o = label_schema_control(old_schema, n->name);
		if (n->required && (!o || !o->required || o->kind != n->kind))
			add(di, LABEL_CHANGE_REQUIRED, n->name, NULL, NULL, n->target, true, "control '%s' became required%s%s",
			    n->name, n->target ? " for every result of " : "", n->target ? n->target : "");
	}
	di->d.changes = di->changes;
	di->d.nchanges = di->n;
	*out = &di->d;
	return 0;
}

void label_diff_free(struct label_diff *d)
{
	if (!d)
		return;
	struct label_diff_int *di = d->internal_;
	ml_free(di->changes);
	ml_arena_release(&di->arena);
	ml_free(di);
}

/* ---- is an annotation affected? ------------------------------------------------------------------------ */

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool result_uses_label(json_t *r, const char *label)
{
	const char *l = str_of(r, "label");
	if (l && strcmp(l, label) == 0)
		return true;
	size_t i;
	json_t *ch;
	json_array_foreach(json_object_get(r, "choices"), i, ch)
		if (json_is_string(ch) && strcmp(json_string_value(ch), label) == 0)
			return true;
	return false;
}

static bool change_affects(const struct label_change *c, json_t *results)
{
	size_t i;
	json_t *r;
	if (c->kind == LABEL_CHANGE_REQUIRED) {
		if (!c->target) {
			json_array_foreach(results, i, r)
				if (str_eq(str_of(r, "control"), c->control))
					return false;
			return true;
		}
		/* per-region: affected if some region of the target has no result of this control */
		json_array_foreach(results, i, r) {
			if (!str_eq(str_of(r, "control"), c->target) || !str_of(r, "id"))
				continue;
			bool found = false;
			size_t k;
			json_t *q;
			json_array_foreach(results, k, q)
				if (str_eq(str_of(q, "control"), c->control) && str_eq(str_of(q, "region"), str_of(r, "id")))
					found = true;
			if (!found)
				return true;
		}
		return false;
	}
	json_array_foreach(results, i, r) {
		if (!str_eq(str_of(r, "control"), c->control))
			continue;
		switch (c->kind) {
		case LABEL_CHANGE_CONTROL: return true;
		case LABEL_CHANGE_LABEL:
			if (result_uses_label(r, c->label))
				return true;
			break;
		case LABEL_CHANGE_ATTRIBUTE: {
			json_t *at = json_object_get(r, "attributes");
			bool has = json_is_object(at) && json_object_get(at, c->attribute);
			if (has != c->when_missing)
				return true;
			break;
		}
		case LABEL_CHANGE_CODING:
			if (json_array_size(json_object_get(r, "codes")) > 0)
				return true;
			break;
		default: break;
		}
	}
	return false;
}

int label_annotation_affected(const struct label_diff *d, const char *json, size_t len, struct ml_err *err)
{
	json_t *root = label_json_load(json, len, LABEL_MAX_ANNOTATION_BYTES, "annotation", err);
	if (!root)
		return -1;
	json_t *results = json_object_get(root, "results");
	if (!json_is_array(results)) {
		json_decref(root);
		return ml_err_field(err, ML_EINVAL, "/results", "annotation has no results array");
	}
	int affected = 0;
	for (size_t i = 0; d && i < d->nchanges && !affected; i++)
		affected = change_affects(&d->changes[i], results);
	json_decref(root);
	return affected;
}
