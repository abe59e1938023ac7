/* report.c: a project's quality report from the store: agreement per control (overall, per label, per
 * annotator pair with confusion matrices, per annotator against the rest, per day), span F1 between
 * annotators, and each annotator's accuracy on gold tasks over time. */
#include "quality/quality.h"
#include "quality/quality_int.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

struct task_ref {
	int64_t id, item_id;
	bool gold;
};

struct tasks {
	struct task_ref *v;
	size_t n, alloc;
};

static int collect_task(void *ctx, const struct store_task *t)
{
	struct tasks *ts = ctx;
	if (ts->n == ts->alloc) {
		size_t a = ts->alloc ? ts->alloc * 2 : 256;
		struct task_ref *p = ml_realloc(ts->v, a * sizeof(*p));
		if (!p)
			return -1;
		ts->v = p;
		ts->alloc = a;
	}
	ts->v[ts->n++] = (struct task_ref){t->id, t->item_id, t->gold};
	return 0;
}

/* One annotation as the report needs it. */
struct ann {
	int64_t user_id, created_at;
	bool gold; /* the reference labels of a gold task (kind "gold") */
	json_t *body;
};

struct anns {
	struct ann *v;
	size_t n, alloc;
};

static int collect_ann(void *ctx, const struct store_annotation *a)
{
	struct anns *as = ctx;
	bool human = a->user_id > 0 && (!a->kind || strcmp(a->kind, "human") == 0);
	bool gold = a->kind && strcmp(a->kind, "gold") == 0;
	if (!human && !gold)
		return 0; /* model predictions, consensus and adjudicated versions are not annotator agreement */
	json_t *body = json_loads(a->body_json ? a->body_json : "", 0, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	if (as->n == as->alloc) {
		size_t n = as->alloc ? as->alloc * 2 : 8;
		struct ann *p = ml_realloc(as->v, n * sizeof(*p));
		if (!p) {
			json_decref(body);
			return -1;
		}
		as->v = p;
		as->alloc = n;
	}
	as->v[as->n++] = (struct ann){a->user_id, a->created_at, gold && !human, body};
	return 0;
}

/* ---- growing arrays of small records -------------------------------------------------------------- */

struct choice_obs {
	uint32_t unit, value;
	int64_t user;
};

struct span_obs {
	uint32_t unit;
	int64_t user;
	struct agree_span s;
};

struct box_obs {
	uint32_t unit, label;
	int64_t user, frame; /* frame -1 when absent */
	struct agree_box b;
};

/* Mask agreement of one annotator pair on one control, summed over the tasks both masked. */
struct mask_pair {
	int64_t a, b; /* users, a's column before b's */
	uint64_t tasks, units, hd_units, hd_units_mm; /* hd_units_mm: of hd_units, those measured in mm */
	double dice_sum, hd95_sum;
};

enum { KIND_CHOICE, KIND_SPAN, KIND_BOX, KIND_MASK };

/* Per control, what the annotators said. Values (choice labels) are interned per control. */
struct control {
	char *name;
	int kind; /* KIND_* */
	struct box_obs *bx;
	size_t nbx, bxalloc;
	struct choice_obs *c;
	size_t nc, calloc_;
	struct span_obs *sp;
	size_t nsp, spalloc;
	struct mask_pair *mp;
	size_t nmp, mpalloc;
	char **values;
	size_t nvalues, valloc;
};

struct report {
	struct control *ctl;
	size_t nctl, ctlalloc;
	int64_t *users; /* column of each annotator */
	size_t nusers, ualloc;
	int64_t *unit_day; /* per task: day (ms / DAY_MS) of its latest human annotation */
	size_t nunits;
	/* gold accuracy: per (user, day) counts */
	struct gold_obs {
		int64_t user, day;
		uint32_t right, total;
	} *gold;
	size_t ngold, galloc;
};

#define PUSH(arr, n, alloc, val)                                                                    \
	do {                                                                                        \
		if ((n) == (alloc)) {                                                               \
			size_t a_ = (alloc) ? (alloc) * 2 : 64;                                     \
			void *p_ = ml_realloc((arr), a_ * sizeof(*(arr)));                          \
			if (!p_)                                                                    \
				return -1;                                                          \
			(arr) = p_;                                                                 \
			(alloc) = a_;                                                               \
		}                                                                                   \
		(arr)[(n)++] = (val);                                                               \
	} while (0)

static int user_col(struct report *r, int64_t user, size_t *col)
{
	for (size_t i = 0; i < r->nusers; i++)
		if (r->users[i] == user) {
			*col = i;
			return 0;
		}
	PUSH(r->users, r->nusers, r->ualloc, user);
	*col = r->nusers - 1;
	return 0;
}

static struct control *control_of(struct report *r, const char *name, int kind)
{
	for (size_t i = 0; i < r->nctl; i++)
		if (strcmp(r->ctl[i].name, name) == 0)
			return r->ctl[i].kind == kind ? &r->ctl[i] : NULL;
	if (r->nctl == r->ctlalloc) {
		size_t a = r->ctlalloc ? r->ctlalloc * 2 : 8;
		struct control *p = ml_realloc(r->ctl, a * sizeof(*p));
		if (!p)
			return NULL;
		r->ctl = p;
		r->ctlalloc = a;
	}
	struct control *c = &r->ctl[r->nctl];
	memset(c, 0, sizeof(*c));
	if (!(c->name = ml_strdup(name)))
		return NULL;
	c->kind = kind;
	r->nctl++;
	return c;
}

static int value_code(struct control *c, const char *v, uint32_t *code)
{
	for (size_t i = 0; i < c->nvalues; i++)
		if (strcmp(c->values[i], v) == 0) {
			*code = (uint32_t)i;
			return 0;
		}
	char *d = ml_strdup(v);
	if (!d)
		return -1;
	PUSH(c->values, c->nvalues, c->valloc, d);
	*code = (uint32_t)(c->nvalues - 1);
	return 0;
}

/* The single choice of an item-level result, or NULL (several choices are not a nominal value). */
static const char *single_choice(json_t *res)
{
	json_t *ch = json_object_get(res, "choices");
	if (json_object_get(res, "region") || !json_is_array(ch) || json_array_size(ch) != 1)
		return NULL;
	return json_string_value(json_array_get(ch, 0));
}

static int record_annotation(struct report *r, uint32_t unit, const struct ann *a)
{
	json_t *results = json_object_get(a->body, "results");
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *res = json_array_get(results, i);
		const char *control = json_string_value(json_object_get(res, "control"));
		if (!control)
			continue;
		const char *v = single_choice(res);
		json_t *st = json_object_get(res, "start"), *en = json_object_get(res, "end"), *lab = json_object_get(res, "label");
		if (v) {
			struct control *c = control_of(r, control, KIND_CHOICE);
			uint32_t code;
			if (!c)
				continue;
			if (value_code(c, v, &code) < 0)
				return -1;
			PUSH(c->c, c->nc, c->calloc_, ((struct choice_obs){unit, code, a->user_id}));
		} else if (json_is_integer(st) && json_is_integer(en) && json_is_string(lab) && json_integer_value(st) >= 0 &&
			   json_integer_value(en) > json_integer_value(st)) {
			struct control *c = control_of(r, control, KIND_SPAN);
			uint32_t code;
			if (!c)
				continue;
			if (value_code(c, json_string_value(lab), &code) < 0)
				return -1;
			struct agree_span s = {(uint64_t)json_integer_value(st), (uint64_t)json_integer_value(en), code, 0};
			PUSH(c->sp, c->nsp, c->spalloc, ((struct span_obs){unit, a->user_id, s}));
		} else if (json_is_number(json_object_get(res, "x")) && json_is_number(json_object_get(res, "y")) &&
			   json_is_number(json_object_get(res, "w")) && json_is_number(json_object_get(res, "h")) &&
			   json_is_string(lab)) {
			struct control *c = control_of(r, control, KIND_BOX);
			uint32_t code;
			if (!c)
				continue;
			if (value_code(c, json_string_value(lab), &code) < 0)
				return -1;
			double x = json_number_value(json_object_get(res, "x")), y = json_number_value(json_object_get(res, "y"));
			json_t *fr = json_object_get(res, "frame");
			struct box_obs bo = {unit, code, a->user_id, json_is_integer(fr) ? json_integer_value(fr) : -1,
					     {x, y, x + json_number_value(json_object_get(res, "w")),
					      y + json_number_value(json_object_get(res, "h"))}};
			PUSH(c->bx, c->nbx, c->bxalloc, bo);
		} else if (qmask_is_mask_result(res)) {
			if (!control_of(r, control, KIND_MASK)) /* compared per task in record_masks */
				continue;
		}
	}
	return 0;
}

/* Gold accuracy: an annotation is right on a control when its single choice equals the reference's. */
static int record_gold(struct report *r, const struct ann *gold, const struct ann *a)
{
	json_t *gres = json_object_get(gold->body, "results"), *ares = json_object_get(a->body, "results");
	uint32_t right = 0, total = 0;
	for (size_t i = 0; i < json_array_size(gres); i++) {
		const char *control = json_string_value(json_object_get(json_array_get(gres, i), "control"));
		const char *want = single_choice(json_array_get(gres, i));
		if (!control || !want)
			continue;
		const char *got = NULL;
		for (size_t k = 0; k < json_array_size(ares); k++) {
			const char *c2 = json_string_value(json_object_get(json_array_get(ares, k), "control"));
			if (c2 && strcmp(c2, control) == 0)
				got = single_choice(json_array_get(ares, k));
		}
		total++;
		right += got && strcmp(got, want) == 0;
	}
	if (total == 0)
		return 0;
	int64_t day = a->created_at / DAY_MS;
	for (size_t i = 0; i < r->ngold; i++)
		if (r->gold[i].user == a->user_id && r->gold[i].day == day) {
			r->gold[i].right += right;
			r->gold[i].total += total;
			return 0;
		}
	PUSH(r->gold, r->ngold, r->galloc, ((struct gold_obs){a->user_id, day, right, total}));
	return 0;
}

/* ---- JSON output -------------------------------------------------------------------------------------- */

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void day_string(int64_t day, char *out, size_t n)
{
	char buf[40];
	ml_time_format(day * DAY_MS, buf, sizeof(buf));
	snprintf(out, n, "%.10s", buf);
}

static json_t *result_json(const struct agree_table *t, enum agree_metric m, const struct agree_options *opt)
{
	struct agree_result res;
	struct ml_err e;
	if (agree_compute(t, m, opt, &res, &e) < 0)
		return json_pack("{s:s,s:n,s:s}", "metric", agree_metric_name(m), "value", "note", e.msg);
	json_t *o = json_pack("{s:s,s:o,s:I,s:I}", "metric", agree_metric_name(m), "value", num(res.value), "units",
			      (json_int_t)res.units, "pairable_values", (json_int_t)res.pairable_values);
	json_object_set_new(o, "ci95", res.boot_used ? json_pack("[o,o]", num(res.ci_lo), num(res.ci_hi)) : json_null());
	return o;
}

static const char *user_name(struct store *s, int64_t id, char *buf, size_t n)
{
	struct store_user u;
	struct ml_err e;
	if (store_user_get(s, id, &u, &e) == 0) {
		snprintf(buf, n, "%s", u.name);
		store_user_release(&u);
	} else {
		snprintf(buf, n, "user %lld", (long long)id);
	}
	return buf;
}

static json_t *choice_control_json(struct store *s, struct report *r, struct control *c, const struct agree_options *opt,
				   struct ml_err *err)
{
	size_t nunits = r->nunits, ncoders = r->nusers;
	uint32_t *cell = ml_malloc((nunits > 0 && ncoders > 0 ? nunits * ncoders : 1) * sizeof(uint32_t));
	if (!cell)
		return NULL;
	for (size_t i = 0; i < nunits * ncoders; i++)
		cell[i] = AGREE_MISSING;
	for (size_t i = 0; i < c->nc; i++) {
		size_t col;
		if (user_col(r, c->c[i].user, &col) < 0 || col >= ncoders) {
			ml_free(cell);
			return NULL;
		}
		cell[c->c[i].unit * ncoders + col] = c->c[i].value;
	}
	struct agree_table t;
	if (agree_table_from_codes(&t, nunits, ncoders, cell, c->nvalues, NULL, NULL, (const char *const *)c->values, err) < 0) {
		ml_free(cell);
		return NULL;
	}
	json_t *o = json_pack("{s:s,s:s,s:I}", "control", c->name, "kind", "choice", "labels_given", (json_int_t)c->nc);
	json_t *labels = json_array();
	for (size_t v = 0; v < c->nvalues; v++)
		json_array_append_new(labels, json_string(c->values[v]));
	json_object_set_new(o, "labels", labels);
	json_t *overall = json_object();
	static const enum agree_metric ms[] = {AGREE_ALPHA_NOMINAL, AGREE_FLEISS, AGREE_AC1, AGREE_PERCENT};
	for (size_t i = 0; i < ML_ARRAY_LEN(ms); i++)
		json_object_set_new(overall, agree_metric_name(ms[i]), result_json(&t, ms[i], opt));
	json_object_set_new(o, "overall", overall);
	/* per label: that label against the others */
	json_t *per_label = json_array();
	for (uint32_t v = 0; v < c->nvalues; v++) {
		struct agree_table b;
		if (agree_table_binarize(&t, v, &b, err) < 0)
			continue;
		json_t *x = result_json(&b, AGREE_ALPHA_NOMINAL, opt);
		json_object_set_new(x, "label", json_string(c->values[v]));
		json_array_append_new(per_label, x);
		agree_table_release(&b);
	}
	json_object_set_new(o, "per_label", per_label);
	/* per pair: Cohen's kappa and the confusion matrix (rows: a's labels, columns: b's) */
	json_t *pairs = json_array();
	char na[160], nb[160];
	for (size_t a = 0; a < ncoders; a++)
		for (size_t b = a + 1; b < ncoders; b++) {
			uint64_t *cm;
			size_t sel[2] = {a, b};
			struct agree_table p;
			if (agree_table_select(&t, sel, 2, &p, err) < 0)
				continue;
			json_t *x = result_json(&p, AGREE_COHEN, opt);
			agree_table_release(&p);
			if (json_integer_value(json_object_get(x, "units")) == 0 && json_is_null(json_object_get(x, "value")) &&
			    json_object_get(x, "note")) {
				json_decref(x); /* the pair never labelled the same task */
				continue;
			}
			json_object_set_new(x, "a", json_string(user_name(s, r->users[a], na, sizeof(na))));
			json_object_set_new(x, "b", json_string(user_name(s, r->users[b], nb, sizeof(nb))));
			if (agree_confusion(&t, a, b, &cm, err) == 0) {
				json_t *rows = json_array();
				for (size_t i = 0; i < c->nvalues; i++) {
					json_t *row = json_array();
					for (size_t j = 0; j < c->nvalues; j++)
						json_array_append_new(row, json_integer((json_int_t)cm[i * c->nvalues + j]));
					json_array_append_new(rows, row);
				}
				json_object_set_new(x, "confusion", rows);
				ml_free(cm);
			}
			json_array_append_new(pairs, x);
		}
	json_object_set_new(o, "per_pair", pairs);
	/* per annotator: Cohen's kappa against the majority of the others */
	json_t *per_ann = json_array();
	for (size_t a = 0; a < ncoders; a++) {
		struct agree_table v;
		if (agree_table_versus_rest(&t, a, &v, err) < 0)
			continue;
		json_t *x = result_json(&v, AGREE_COHEN, opt);
		agree_table_release(&v);
		if (json_object_get(x, "note")) {
			json_decref(x);
			continue;
		}
		json_object_set_new(x, "annotator", json_string(user_name(s, r->users[a], na, sizeof(na))));
		json_array_append_new(per_ann, x);
	}
	json_object_set_new(o, "per_annotator", per_ann);
	/* over time: alpha of the units whose latest annotation fell on each day */
	json_t *days = json_array();
	int64_t *seen = ml_malloc((nunits ? nunits : 1) * sizeof(int64_t));
	size_t nseen = 0;
	for (size_t u = 0; seen && u < nunits; u++) {
		bool dup = false;
		for (size_t k = 0; k < nseen; k++)
			dup |= seen[k] == r->unit_day[u];
		if (!dup)
			seen[nseen++] = r->unit_day[u];
	}
	for (size_t i = 1; i < nseen; i++) /* few distinct days: insertion sort */
		for (size_t k = i; k > 0 && seen[k - 1] > seen[k]; k--) {
			int64_t tmp = seen[k];
			seen[k] = seen[k - 1];
			seen[k - 1] = tmp;
		}
	uint32_t *dcell = ml_malloc((nunits > 0 && ncoders > 0 ? nunits * ncoders : 1) * sizeof(uint32_t));
	for (size_t d = 0; seen && dcell && d < nseen; d++) {
		size_t k = 0;
		for (size_t u = 0; u < nunits; u++)
			if (r->unit_day[u] == seen[d])
				memcpy(dcell + (k++) * ncoders, cell + u * ncoders, ncoders * sizeof(uint32_t));
		struct agree_table dt;
		if (k == 0 || agree_table_from_codes(&dt, k, ncoders, dcell, c->nvalues, NULL, NULL, NULL, err) < 0)
			continue;
		struct agree_options no_boot = {0};
		json_t *x = result_json(&dt, AGREE_ALPHA_NOMINAL, &no_boot);
		agree_table_release(&dt);
		char day[16];
		day_string(seen[d], day, sizeof(day));
		json_object_set_new(x, "day", json_string(day));
		json_array_append_new(days, x);
	}
	ml_free(dcell);
	ml_free(seen);
	json_object_set_new(o, "over_time", days);
	agree_table_release(&t);
	ml_free(cell);
	return o;
}

static json_t *f1_sum_json(uint64_t na, uint64_t nb, uint64_t fa, uint64_t fb)
{
	double p = nb ? (double)fb / (double)nb : 0, rr = na ? (double)fa / (double)na : 0;
	double f1 = na + nb == 0 ? 1 : (p + rr > 0 ? 2 * p * rr / (p + rr) : 0);
	return json_pack("{s:f,s:f,s:f}", "f1", f1, "precision", p, "recall", rr);
}

/* Span controls: micro-averaged F1 per annotator pair over the tasks both annotated, overall and per label. */
static json_t *span_control_json(struct store *s, struct report *r, struct control *c, struct ml_err *err)
{
	json_t *o = json_pack("{s:s,s:s,s:I}", "control", c->name, "kind", "span", "spans", (json_int_t)c->nsp);
	json_t *pairs = json_array();
	size_t nl = c->nvalues;
	/* sums[mode][label + 1][na, nb, fa, fb]; label index 0 = all labels */
	uint64_t(*sums)[4] = ml_calloc(3 * (nl + 1), sizeof(*sums));
	struct agree_span *sa = ml_malloc((c->nsp ? c->nsp : 1) * sizeof(*sa)), *sb = ml_malloc((c->nsp ? c->nsp : 1) * sizeof(*sb));
	char na_[160], nb_[160];
	/* Spans grouped by task (a stable counting sort), so each task's spans are one range. */
	size_t *first = ml_calloc(r->nunits + 1, sizeof(size_t));
	struct span_obs *byunit = ml_malloc((c->nsp ? c->nsp : 1) * sizeof(*byunit));
	if (!sums || !sa || !sb || !first || !byunit)
		goto out;
	for (size_t i = 0; i < c->nsp; i++)
		first[c->sp[i].unit + 1]++;
	for (size_t u = 0; u < r->nunits; u++)
		first[u + 1] += first[u];
	for (size_t i = 0; i < c->nsp; i++)
		byunit[first[c->sp[i].unit]++] = c->sp[i];
	for (size_t u = r->nunits; u > 0; u--) /* the fill moved each start to the next: shift back */
		first[u] = first[u - 1];
	first[0] = 0;
	for (size_t a = 0; a < r->nusers; a++)
		for (size_t b = a + 1; b < r->nusers; b++) {
			memset(sums, 0, 3 * (nl + 1) * sizeof(*sums));
			size_t docs = 0;
			for (size_t u = 0; u < r->nunits; u++) {
				size_t ka = 0, kb = 0;
				bool has_a = false, has_b = false;
				for (size_t i = first[u]; i < first[u + 1]; i++) {
					if (byunit[i].user == r->users[a])
						sa[ka++] = byunit[i].s, has_a = true;
					else if (byunit[i].user == r->users[b])
						sb[kb++] = byunit[i].s, has_b = true;
				}
				if (!has_a || !has_b)
					continue; /* a task counts for a pair when both marked spans in it */
				docs++;
				for (int mode = 0; mode < 3; mode++)
					for (size_t l = 0; l <= nl; l++) {
						struct agree_f1 f;
						uint32_t lab = l == 0 ? AGREE_MISSING : (uint32_t)(l - 1);
						if (agree_span_f1(sa, ka, sb, kb, (enum agree_span_match)mode, lab, &f, err) < 0)
							continue;
						uint64_t *x = sums[mode * (nl + 1) + l];
						x[0] += f.na;
						x[1] += f.nb;
						x[2] += f.found_a;
						x[3] += f.found_b;
					}
			}
			if (!docs)
				continue;
			json_t *p = json_pack("{s:s,s:s,s:I}", "a", user_name(s, r->users[a], na_, sizeof(na_)), "b",
					      user_name(s, r->users[b], nb_, sizeof(nb_)), "tasks", (json_int_t)docs);
			static const char *const mode_name[] = {"exact", "overlap", "token"};
			for (int mode = 0; mode < 3; mode++) {
				uint64_t *x = sums[mode * (nl + 1)];
				json_object_set_new(p, mode_name[mode], f1_sum_json(x[0], x[1], x[2], x[3]));
			}
			json_t *pl = json_object();
			for (size_t l = 1; l <= nl; l++) {
				json_t *lo = json_object();
				for (int mode = 0; mode < 3; mode++) {
					uint64_t *x = sums[mode * (nl + 1) + l];
					json_object_set_new(lo, mode_name[mode], f1_sum_json(x[0], x[1], x[2], x[3]));
				}
				json_object_set_new(pl, c->values[l - 1], lo);
			}
			json_object_set_new(p, "per_label", pl);
			json_array_append_new(pairs, p);
		}
out:
	ml_free(sums);
	ml_free(sa);
	ml_free(sb);
	ml_free(first);
	ml_free(byunit);
	json_object_set_new(o, "per_pair", pairs);
	return o;
}

/* Box controls: per annotator pair, boxes matched one to one at IoU >= 0.5 (same label and frame) in each
 * task both boxed, micro-averaged: precision, recall, F1 and the mean IoU of the matched pairs. */
static json_t *box_control_json(struct store *s, struct report *r, struct control *c, struct ml_err *err)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:f}", "control", c->name, "kind", "box", "boxes", (json_int_t)c->nbx,
			      "iou_threshold", 0.5);
	json_t *pairs = json_array();
	size_t *first = ml_calloc(r->nunits + 1, sizeof(size_t));
	struct box_obs *byunit = ml_malloc((c->nbx ? c->nbx : 1) * sizeof(*byunit));
	const struct box_obs **ba = ml_malloc((c->nbx ? c->nbx : 1) * sizeof(*ba));
	const struct box_obs **bb = ml_malloc((c->nbx ? c->nbx : 1) * sizeof(*bb));
	char na_[160], nb_[160];
	if (!first || !byunit || !ba || !bb)
		goto out;
	for (size_t i = 0; i < c->nbx; i++)
		first[c->bx[i].unit + 1]++;
	for (size_t u = 0; u < r->nunits; u++)
		first[u + 1] += first[u];
	for (size_t i = 0; i < c->nbx; i++)
		byunit[first[c->bx[i].unit]++] = c->bx[i];
	for (size_t u = r->nunits; u > 0; u--)
		first[u] = first[u - 1];
	first[0] = 0;
	for (size_t a = 0; a < r->nusers; a++)
		for (size_t b = a + 1; b < r->nusers; b++) {
			size_t docs = 0, na = 0, nb = 0, matched = 0;
			double iou_sum = 0;
			for (size_t u = 0; u < r->nunits; u++) {
				size_t ka = 0, kb = 0;
				for (size_t i = first[u]; i < first[u + 1]; i++) {
					if (byunit[i].user == r->users[a])
						ba[ka++] = &byunit[i];
					else if (byunit[i].user == r->users[b])
						bb[kb++] = &byunit[i];
				}
				if (!ka || !kb)
					continue;
				double *iou = ml_malloc(ka * kb * sizeof(double));
				if (!iou)
					goto out;
				for (size_t i = 0; i < ka; i++)
					for (size_t j = 0; j < kb; j++)
						iou[i * kb + j] = ba[i]->label == bb[j]->label && ba[i]->frame == bb[j]->frame
									  ? agree_box_iou(&ba[i]->b, &bb[j]->b)
									  : 0;
				struct agree_match m;
				int rc = agree_match_iou(iou, ka, kb, 0.5, &m, err);
				ml_free(iou);
				if (rc < 0)
					goto out;
				docs++;
				na += ka;
				nb += kb;
				matched += m.matched;
				if (m.matched)
					iou_sum += m.mean_iou * (double)m.matched;
				agree_match_release(&m);
			}
			if (!docs)
				continue;
			json_t *p = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "a", user_name(s, r->users[a], na_, sizeof(na_)), "b",
					      user_name(s, r->users[b], nb_, sizeof(nb_)), "tasks", (json_int_t)docs, "boxes_a",
					      (json_int_t)na, "boxes_b", (json_int_t)nb, "matched", (json_int_t)matched);
			json_object_set_new(p, "precision", json_real((double)matched / (double)nb));
			json_object_set_new(p, "recall", json_real((double)matched / (double)na));
			json_object_set_new(p, "f1", json_real(2.0 * (double)matched / (double)(na + nb)));
			json_object_set_new(p, "mean_iou", matched ? json_real(iou_sum / (double)matched) : json_null());
			json_array_append_new(pairs, p);
		}
out:
	ml_free(first);
	ml_free(byunit);
	ml_free(ba);
	ml_free(bb);
	json_object_set_new(o, "per_pair", pairs);
	return o;
}

/* Revalidation gives an annotator several annotations of one gold task: agreement compares each
 * annotator's latest one (gold accuracy counts every answer, by day). Annotations come in id order. */
static bool superseded(const struct ann *as, size_t n, size_t k)
{
	for (size_t j = k + 1; j < n; j++)
		if (!as[j].gold && as[j].user_id == as[k].user_id)
			return true;
	return false;
}

/* Masks: for each mask control and each pair of the task's annotators who both masked it, every (label,
 * frame) either of them drew is a unit: Dice of the two planes (an undrawn plane is empty, Dice 0) and,
 * where both are non-empty, HD95 (agree_surface_distances) in mm when the item records its pixel spacing
 * (spacing = {between rows, between columns}), else in pixels. An annotation whose masks do not decode
 * (impossible after validation at submission) is left out of the comparison. */
static int record_masks(struct report *r, const struct ann *as, size_t n, const double spacing[2], struct ml_err *err)
{
	bool mm = spacing[0] > 0 && spacing[1] > 0;
	struct qmask_set *sets = NULL;
	int rc = -1;
	for (size_t ci = 0; ci < r->nctl; ci++) {
		struct control *c = &r->ctl[ci];
		if (c->kind != KIND_MASK)
			continue;
		sets = ml_calloc(n ? n : 1, sizeof(*sets));
		bool *has = ml_calloc(n ? n : 1, sizeof(bool));
		if (!sets || !has) {
			ml_free(has);
			goto out;
		}
		size_t with = 0;
		for (size_t k = 0; k < n; k++) {
			struct ml_err e2;
			if (as[k].gold || superseded(as, n, k))
				continue;
			json_t *res = json_object_get(as[k].body, "results");
			for (size_t i = 0; i < json_array_size(res) && !has[k]; i++) {
				const char *cn = json_string_value(json_object_get(json_array_get(res, i), "control"));
				has[k] = cn && strcmp(cn, c->name) == 0 && qmask_is_mask_result(json_array_get(res, i));
			}
			if (has[k] && qmask_collect(as[k].body, c->name, "annotation", &sets[k], &e2) != 0)
				has[k] = false;
			with += has[k];
		}
		for (size_t x = 0; x < n && with >= 2; x++)
			for (size_t y = 0; y < n; y++) {
				if (!has[x] || !has[y] || x == y || as[x].user_id == as[y].user_id)
					continue;
				size_t cx, cy;
				if (user_col(r, as[x].user_id, &cx) < 0 || user_col(r, as[y].user_id, &cy) < 0 || cx > cy)
					continue; /* each unordered pair once, in column order */
				struct mask_pair *mp = NULL;
				for (size_t i = 0; i < c->nmp && !mp; i++)
					if (c->mp[i].a == as[x].user_id && c->mp[i].b == as[y].user_id)
						mp = &c->mp[i];
				if (!mp) {
					if (c->nmp == c->mpalloc) {
						size_t a = c->mpalloc ? c->mpalloc * 2 : 8;
						struct mask_pair *p = ml_realloc(c->mp, a * sizeof(*p));
						if (!p) {
							ml_free(has);
							goto out;
						}
						c->mp = p;
						c->mpalloc = a;
					}
					mp = &c->mp[c->nmp++];
					*mp = (struct mask_pair){.a = as[x].user_id, .b = as[y].user_id};
				}
				mp->tasks++;
				for (int side = 0; side < 2; side++) {
					const struct qmask_set *one = side ? &sets[y] : &sets[x], *other = side ? &sets[x] : &sets[y];
					for (size_t i = 0; i < one->n; i++) {
						const struct qmask_plane *p = &one->p[i], *q = qmask_find(other, p->label, p->frame);
						if (side && q)
							continue; /* counted from x's side */
						mp->units++;
						if (!q || q->h != p->h || q->w != p->w)
							continue; /* drawn by one only (or sizes differ): Dice 0 */
						double sx = mm ? spacing[1] : 1, sy = mm ? spacing[0] : 1;
						struct agree_mask ma = {p->v, p->w, p->h, 1, sx, sy, 1}, mb = {q->v, q->w, q->h, 1, sx, sy, 1};
						double dice;
						if (agree_dice(&ma, &mb, &dice, err) != 0) {
							ml_free(has);
							goto out;
						}
						mp->dice_sum += dice;
						struct agree_surface_distance sd;
						struct ml_err e3;
						if (p->area && q->area && agree_surface_distances(&ma, &mb, &sd, &e3) == 0) {
							mp->hd95_sum += sd.hd95;
							mp->hd_units++;
							mp->hd_units_mm += mm;
						}
					}
				}
			}
		for (size_t k = 0; k < n; k++)
			qmask_set_release(&sets[k]);
		ml_free(sets);
		sets = NULL;
		ml_free(has);
	}
	rc = 0;
out:
	if (rc != 0 && (!err || err->code == ML_OK))
		ml_err_set(err, ML_ENOMEM, "out of memory comparing masks");
	if (sets) {
		for (size_t k = 0; k < n; k++)
			qmask_set_release(&sets[k]);
		ml_free(sets);
	}
	return rc;
}

/* The pixel spacing a DICOM item's metadata records ({"dicom": {"spacing": [rows, columns]}}); left at 0 when
 * it has none (then distances stay in pixels). */
static void item_spacing(struct store *s, int64_t item_id, double spacing[2])
{
	struct store_item it;
	struct ml_err e;
	if (store_item_get(s, item_id, &it, &e) != 0)
		return;
	json_error_t je;
	json_t *meta = json_loads(it.meta_json ? it.meta_json : "{}", 0, &je);
	json_t *sp = json_object_get(json_object_get(meta, "dicom"), "spacing");
	if (json_is_array(sp) && json_array_size(sp) == 2 && json_is_number(json_array_get(sp, 0)) &&
	    json_is_number(json_array_get(sp, 1))) {
		spacing[0] = json_number_value(json_array_get(sp, 0));
		spacing[1] = json_number_value(json_array_get(sp, 1));
	}
	json_decref(meta);
	store_item_release(&it);
}

static json_t *mask_control_json(struct store *s, struct report *r, struct control *c)
{
	/* Distances are in mm when every HD95 measured came from an item with its pixel spacing. */
	uint64_t hd = 0, hd_mm = 0;
	for (size_t i = 0; i < c->nmp; i++) {
		hd += c->mp[i].hd_units;
		hd_mm += c->mp[i].hd_units_mm;
	}
	const char *units = hd && hd_mm == hd ? "mm" : hd_mm ? "mixed (mm where the item's spacing is known)" : "pixels";
	json_t *o = json_pack("{s:s,s:s,s:s}", "control", c->name, "kind", "mask", "units", units);
	json_t *pairs = json_array();
	char na_[160], nb_[160];
	for (size_t i = 0; i < c->nmp; i++) {
		const struct mask_pair *mp = &c->mp[i];
		json_t *p = json_pack("{s:s,s:s,s:I,s:I}", "a", user_name(s, mp->a, na_, sizeof(na_)), "b",
				      user_name(s, mp->b, nb_, sizeof(nb_)), "tasks", (json_int_t)mp->tasks, "masks",
				      (json_int_t)mp->units);
		json_object_set_new(p, "mean_dice", mp->units ? json_real(mp->dice_sum / (double)mp->units) : json_null());
		json_object_set_new(p, "mean_hd95", mp->hd_units ? json_real(mp->hd95_sum / (double)mp->hd_units) : json_null());
		json_object_set_new(p, "hd95_masks", json_integer((json_int_t)mp->hd_units));
		json_array_append_new(pairs, p);
	}
	json_object_set_new(o, "per_pair", pairs);
	return o;
}

static void report_release(struct report *r)
{
	for (size_t i = 0; i < r->nctl; i++) {
		struct control *c = &r->ctl[i];
		ml_free(c->name);
		ml_free(c->c);
		ml_free(c->sp);
		ml_free(c->bx);
		ml_free(c->mp);
		for (size_t v = 0; v < c->nvalues; v++)
			ml_free(c->values[v]);
		ml_free(c->values);
	}
	ml_free(r->ctl);
	ml_free(r->users);
	ml_free(r->unit_day);
	ml_free(r->gold);
}

int quality_report_json(struct store *s, int64_t project_id, const struct quality_report_options *opt, char **out,
			struct ml_err *err)
{
	*out = NULL;
	struct store_project proj;
	if (store_project_get(s, project_id, &proj, err) < 0)
		return -1;
	struct tasks ts = {0};
	struct store_task_filter f = {.project_id = project_id, .state = -1};
	struct report r = {0};
	struct anns as = {0};
	json_t *root = NULL;
	int rc = -1;
	if (store_task_list(s, &f, collect_task, &ts, err) < 0)
		goto out;
	if (ts.n > UINT32_MAX) {
		ml_err_set(err, ML_ELIMIT, "project %lld has too many tasks for a report", (long long)project_id);
		goto out;
	}
	r.unit_day = ml_calloc(ts.n ? ts.n : 1, sizeof(int64_t));
	if (!r.unit_day)
		goto oom;
	size_t multi = 0, gold_tasks = 0;
	for (size_t i = 0; i < ts.n; i++) {
		for (size_t k = 0; k < as.n; k++)
			json_decref(as.v[k].body);
		as.n = 0;
		if (store_annotation_list(s, ts.v[i].id, 0, collect_ann, &as, err) < 0)
			goto out;
		const struct ann *gold = NULL;
		size_t humans = 0;
		for (size_t k = 0; k < as.n; k++) {
			if (as.v[k].gold) {
				gold = &as.v[k];
				continue;
			}
			humans++;
			size_t col;
			if (user_col(&r, as.v[k].user_id, &col) < 0)
				goto oom;
			if (as.v[k].created_at / DAY_MS > r.unit_day[i])
				r.unit_day[i] = as.v[k].created_at / DAY_MS;
			if (superseded(as.v, as.n, k)) {
				humans--;
				continue;
			}
			if (record_annotation(&r, (uint32_t)i, &as.v[k]) < 0)
				goto oom;
		}
		double spacing[2] = {0, 0};
		for (size_t c = 0; humans >= 2 && c < r.nctl && !spacing[0]; c++)
			if (r.ctl[c].kind == KIND_MASK) /* only mask controls need the item */
				item_spacing(s, ts.v[i].item_id, spacing);
		if (humans >= 2 && record_masks(&r, as.v, as.n, spacing, err) < 0)
			goto out;
		multi += humans >= 2;
		if (ts.v[i].gold) {
			gold_tasks++;
			for (size_t k = 0; gold && k < as.n; k++)
				if (!as.v[k].gold && record_gold(&r, gold, &as.v[k]) < 0)
					goto oom;
		}
	}
	r.nunits = ts.n;
	struct agree_options aopt = {.nboot = opt ? opt->nboot : 0, .seed = opt ? opt->seed : 1};
	char gen[40], name[160];
	ml_time_format(ml_now_ms(), gen, sizeof(gen));
	root = json_pack("{s:I,s:s,s:s,s:{s:I,s:I,s:I,s:I}}", "project", (json_int_t)project_id, "name", proj.name,
			 "generated_at", gen, "tasks", "total", (json_int_t)ts.n, "with_two_or_more_annotators",
			 (json_int_t)multi, "gold", (json_int_t)gold_tasks, "annotators", (json_int_t)r.nusers);
	json_t *controls = json_array();
	for (size_t i = 0; i < r.nctl; i++) {
		json_t *x = r.ctl[i].kind == KIND_SPAN   ? span_control_json(s, &r, &r.ctl[i], err)
			    : r.ctl[i].kind == KIND_BOX  ? box_control_json(s, &r, &r.ctl[i], err)
			    : r.ctl[i].kind == KIND_MASK ? mask_control_json(s, &r, &r.ctl[i])
							: choice_control_json(s, &r, &r.ctl[i], &aopt, err);
		if (!x)
			goto oom;
		json_array_append_new(controls, x);
	}
	json_object_set_new(root, "controls", controls);
	/* gold accuracy per annotator, overall and by day */
	json_t *gold = json_array();
	for (size_t u = 0; u < r.nusers; u++) {
		uint64_t right = 0, total = 0;
		json_t *days = json_array();
		for (size_t i = 0; i < r.ngold; i++) {
			if (r.gold[i].user != r.users[u])
				continue;
			right += r.gold[i].right;
			total += r.gold[i].total;
			char day[16];
			day_string(r.gold[i].day, day, sizeof(day));
			json_array_append_new(days, json_pack("{s:s,s:I,s:f}", "day", day, "answers", (json_int_t)r.gold[i].total,
							      "accuracy", (double)r.gold[i].right / r.gold[i].total));
		}
		if (!total) {
			json_decref(days);
			continue;
		}
		json_array_append_new(gold, json_pack("{s:s,s:I,s:f,s:o}", "annotator", user_name(s, r.users[u], name, sizeof(name)),
						      "answers", (json_int_t)total, "accuracy", (double)right / (double)total,
						      "by_day", days));
	}
	json_object_set_new(root, "gold_accuracy", gold);
	char *txt = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!txt)
		goto oom;
	*out = ml_strdup(txt);
	free(txt);
	if (!*out)
		goto oom;
	rc = 0;
	goto out;
oom:
	if (!err || err->code == ML_OK || err->msg[0] == '\0')
		ml_err_set(err, ML_ENOMEM, "out of memory building the quality report");
out:
	for (size_t k = 0; k < as.n; k++)
		json_decref(as.v[k].body);
	ml_free(as.v);
	ml_free(ts.v);
	report_release(&r);
	json_decref(root);
	store_project_release(&proj);
	return rc;
}
