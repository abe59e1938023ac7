/* body.c: consensus of several annotation bodies of one item, written as an annotation body (choices by
 * weighted plurality, spans by token voting, boxes by Hungarian clustering). */
#include "label/label.h"
#include "quality/quality.h"
#include "quality/quality_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX_ANNOTATORS 1024
#define BODY_MAX_LABELS 10000

/* Strings interned per control (labels, choices): index = code. Names point into the parsed JSON. */
struct names {
	const char **v;
	size_t n, alloc;
};

static int names_code(struct names *nm, const char *s, uint32_t *code)
{
	for (size_t i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], s) == 0) {
			*code = (uint32_t)i;
			return 0;
		}
	if (nm->n >= BODY_MAX_LABELS)
		return -1;
	if (nm->n == nm->alloc) {
		size_t a = nm->alloc ? nm->alloc * 2 : 16;
		const char **p = ml_realloc(nm->v, a * sizeof(*p));
		if (!p)
			return -1;
		nm->v = p;
		nm->alloc = a;
	}
	nm->v[nm->n] = s;
	*code = (uint32_t)nm->n++;
	return 0;
}

struct ctx {
	json_t **docs;
	size_t n;
	const double *w;
	double wtotal;
	double box_iou;
	json_t *results;
	size_t next_id;
	struct consensus_body_report *rep;
	struct ml_err *err;
};

static double weight(const struct ctx *c, size_t a)
{
	return c->w ? c->w[a] : 1.0;
}

static void add_result(struct ctx *c, json_t *r, const char *control)
{
	char id[32];
	snprintf(id, sizeof(id), "c%zu", ++c->next_id);
	json_object_set_new(r, "id", json_string(id));
	json_object_set_new(r, "control", json_string(control));
	json_array_append_new(c->results, r);
	c->rep->results++;
}

static void note_skipped(struct consensus_body_report *rep, const char *control)
{
	size_t len = strlen(rep->skipped);
	if (len + strlen(control) + 5 >= sizeof(rep->skipped)) {
		if (len + 4 < sizeof(rep->skipped) && (len < 3 || strcmp(rep->skipped + len - 3, "...") != 0))
			strcat(rep->skipped, len ? ",..." : "...");
		return;
	}
	if (len)
		strcat(rep->skipped, ",");
	strcat(rep->skipped, control);
}

/* Results of `control` in annotator a's body. */
#define FOREACH_RESULT(c, a, control, r)                                                                   \
	for (size_t i_ = 0; i_ < json_array_size(json_object_get((c)->docs[a], "results")); i_++)          \
		if (((r) = json_array_get(json_object_get((c)->docs[a], "results"), i_)) &&                \
		    json_is_string(json_object_get((r), "control")) &&                                     \
		    strcmp(json_string_value(json_object_get((r), "control")), (control)) == 0)

static int merge_choices(struct ctx *c, const char *control)
{
	struct names nm = {0};
	double *votes = NULL;
	double answered = 0;
	bool single = true;
	json_t *r;
	int rc = -1;
	for (size_t a = 0; a < c->n; a++) {
		bool any = false;
		FOREACH_RESULT(c, a, control, r)
		{
			json_t *ch = json_object_get(r, "choices");
			if (!json_is_array(ch))
				continue;
			if (json_array_size(ch) != 1)
				single = false;
			for (size_t k = 0; k < json_array_size(ch); k++) {
				uint32_t code;
				size_t before = nm.n;
				if (!json_is_string(json_array_get(ch, k)) ||
				    names_code(&nm, json_string_value(json_array_get(ch, k)), &code) < 0)
					goto out;
				if (nm.n > before) {
					double *p = ml_realloc(votes, nm.n * sizeof(double));
					if (!p)
						goto out;
					votes = p;
					votes[code] = 0;
				}
				votes[code] += weight(c, a);
			}
			any = true;
			break; /* an item-level control has one result per annotation */
		}
		if (any)
			answered += weight(c, a);
	}
	if (nm.n == 0 || answered <= 0) {
		rc = 0;
		goto out;
	}
	json_t *choices = json_array();
	if (single) {
		size_t best = 0;
		bool tie = false;
		for (size_t k = 1; k < nm.n; k++) {
			if (votes[k] > votes[best]) {
				best = k;
				tie = false;
			} else if (votes[k] == votes[best]) {
				tie = true;
			}
		}
		if (tie) {
			c->rep->ties++;
			json_decref(choices);
			rc = 0;
			goto out;
		}
		json_array_append_new(choices, json_string(nm.v[best]));
	} else {
		for (size_t k = 0; k < nm.n; k++)
			if (votes[k] > answered / 2)
				json_array_append_new(choices, json_string(nm.v[k]));
	}
	if (json_array_size(choices) == 0) {
		json_decref(choices);
		rc = 0;
		goto out;
	}
	json_t *res = json_object();
	json_object_set_new(res, "choices", choices);
	add_result(c, res, control);
	rc = 0;
out:
	ml_free(nm.v);
	ml_free(votes);
	return rc < 0 ? ml_err_set(c->err, ML_EINVAL, "control '%s': malformed choices", control) : 0;
}

static int get_u64(json_t *o, const char *k, uint64_t *v)
{
	json_t *x = json_object_get(o, k);
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

static int merge_spans(struct ctx *c, const char *control)
{
	struct names nm = {0};
	size_t ns = 0, alloc = 0;
	struct agree_span *s = NULL;
	json_t **src = NULL; /* the result each span came from, for its text */
	struct agree_span *out = NULL;
	size_t nout = 0;
	uint64_t ties = 0;
	json_t *r;
	int rc = -1;
	for (size_t a = 0; a < c->n; a++) {
		FOREACH_RESULT(c, a, control, r)
		{
			struct agree_span sp = {0, 0, 0, (uint32_t)a};
			json_t *lab = json_object_get(r, "label");
			if (get_u64(r, "start", &sp.start) < 0 || get_u64(r, "end", &sp.end) < 0 || sp.end <= sp.start ||
			    !json_is_string(lab) || names_code(&nm, json_string_value(lab), &sp.label) < 0) {
				ml_err_set(c->err, ML_EINVAL, "annotation %zu, control '%s': malformed span", a, control);
				goto out;
			}
			if (ns == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				struct agree_span *p = ml_realloc(s, alloc * sizeof(*s));
				json_t **q = p ? ml_realloc(src, alloc * sizeof(*src)) : NULL;
				if (p)
					s = p;
				if (!p || !q) {
					ml_err_set(c->err, ML_ENOMEM, "out of memory merging spans");
					goto out;
				}
				src = q;
			}
			src[ns] = r;
			s[ns++] = sp;
		}
	}
	if (ns == 0) {
		rc = 0;
		goto out;
	}
	if (consensus_span_vote(s, ns, c->n, nm.n, 0, &out, &nout, &ties, c->err) < 0)
		goto out;
	if (ties)
		c->rep->ties++;
	for (size_t k = 0; k < nout; k++) {
		json_t *res = json_pack("{s:s,s:I,s:I}", "label", nm.v[out[k].label], "start", (json_int_t)out[k].start, "end",
					(json_int_t)out[k].end);
		/* The text of the consensus span is a slice of any voter's span that covers it. */
		for (size_t i = 0; i < ns; i++) {
			const char *txt = json_string_value(json_object_get(src[i], "text"));
			if (s[i].label != out[k].label || s[i].start > out[k].start || s[i].end < out[k].end || !txt)
				continue;
			size_t len = strlen(txt);
			if (!ml_utf8_valid(txt, len, NULL) || ml_utf8_cp_count(txt, len) != s[i].end - s[i].start)
				continue;
			size_t b0 = ml_utf8_cp_to_byte(txt, len, out[k].start - s[i].start);
			size_t b1 = ml_utf8_cp_to_byte(txt, len, out[k].end - s[i].start);
			json_object_set_new(res, "text", json_stringn(txt + b0, b1 - b0));
			break;
		}
		add_result(c, res, control);
	}
	rc = 0;
out:
	ml_free(nm.v);
	ml_free(s);
	ml_free(src);
	ml_free(out);
	return rc;
}

struct box_item {
	struct agree_box b;
	uint32_t label;
	int64_t frame; /* -1 when absent */
	size_t annotator;
};

struct cluster {
	uint32_t label;
	int64_t frame;
	double sx, sy, sw, sh, weight;
	struct agree_box mean;
};

static int merge_boxes(struct ctx *c, const char *control)
{
	struct names nm = {0};
	struct box_item *items = NULL;
	struct cluster *cl = NULL;
	size_t ni = 0, alloc = 0, ncl = 0, clalloc = 0;
	double *iou = NULL;
	size_t *sel = NULL, *csel = NULL;
	json_t *r;
	int rc = -1;
	for (size_t a = 0; a < c->n; a++) {
		FOREACH_RESULT(c, a, control, r)
		{
			struct box_item it = {.annotator = a, .frame = -1};
			json_t *lab = json_object_get(r, "label"), *fr = json_object_get(r, "frame");
			json_t *x = json_object_get(r, "x"), *y = json_object_get(r, "y"), *w = json_object_get(r, "w"),
			       *h = json_object_get(r, "h");
			if (!json_is_number(x) || !json_is_number(y) || !json_is_number(w) || !json_is_number(h) ||
			    !json_is_string(lab) || names_code(&nm, json_string_value(lab), &it.label) < 0 ||
			    (fr && !json_is_integer(fr))) {
				ml_err_set(c->err, ML_EINVAL, "annotation %zu, control '%s': malformed box", a, control);
				goto out;
			}
			it.b = (struct agree_box){json_number_value(x), json_number_value(y),
						  json_number_value(x) + json_number_value(w),
						  json_number_value(y) + json_number_value(h)};
			if (fr)
				it.frame = json_integer_value(fr);
			if (ni == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				struct box_item *p = ml_realloc(items, alloc * sizeof(*p));
				if (!p) {
					ml_err_set(c->err, ML_ENOMEM, "out of memory merging boxes");
					goto out;
				}
				items = p;
			}
			items[ni++] = it;
		}
	}
	sel = ml_malloc((ni ? ni : 1) * sizeof(size_t));
	csel = ml_malloc((ni ? ni : 1) * sizeof(size_t));
	iou = ml_malloc((ni ? ni * ni : 1) * sizeof(double));
	cl = ml_malloc((ni ? ni : 1) * sizeof(*cl));
	clalloc = ni;
	if (!sel || !csel || !iou || !cl) {
		ml_err_set(c->err, ML_ENOMEM, "out of memory merging boxes");
		goto out;
	}
	/* Annotator by annotator: match its boxes to the clusters of the same label and frame (one box per
	 * cluster), start new clusters with the rest. */
	for (size_t a = 0; a < c->n; a++) {
		size_t nsel = 0;
		for (size_t i = 0; i < ni; i++)
			if (items[i].annotator == a)
				sel[nsel++] = i;
		if (!nsel)
			continue;
		size_t nc = ncl;
		for (size_t k = 0; k < nc; k++)
			csel[k] = k;
		for (size_t i = 0; i < nsel; i++)
			for (size_t k = 0; k < nc; k++) {
				const struct box_item *it = &items[sel[i]];
				bool same = cl[k].label == it->label && cl[k].frame == it->frame;
				iou[i * nc + k] = same ? agree_box_iou(&it->b, &cl[k].mean) : 0;
			}
		struct agree_match m;
		if (agree_match_iou(iou, nsel, nc, c->box_iou, &m, c->err) < 0)
			goto out;
		for (size_t i = 0; i < nsel; i++) {
			const struct box_item *it = &items[sel[i]];
			size_t k;
			if (m.a_to_b[i] >= 0) {
				k = (size_t)m.a_to_b[i];
			} else {
				if (ncl == clalloc)
					break; /* cannot happen: at most one cluster per box */
				k = ncl++;
				cl[k] = (struct cluster){.label = it->label, .frame = it->frame};
			}
			double wa = weight(c, a);
			cl[k].sx += wa * it->b.x0;
			cl[k].sy += wa * it->b.y0;
			cl[k].sw += wa * (it->b.x1 - it->b.x0);
			cl[k].sh += wa * (it->b.y1 - it->b.y0);
			cl[k].weight += wa;
			if (cl[k].weight > 0)
				cl[k].mean = (struct agree_box){cl[k].sx / cl[k].weight, cl[k].sy / cl[k].weight,
								(cl[k].sx + cl[k].sw) / cl[k].weight,
								(cl[k].sy + cl[k].sh) / cl[k].weight};
		}
		agree_match_release(&m);
	}
	for (size_t k = 0; k < ncl; k++) {
		if (!(cl[k].weight > c->wtotal / 2))
			continue;
		json_t *res = json_pack("{s:s,s:f,s:f,s:f,s:f}", "label", nm.v[cl[k].label], "x", cl[k].mean.x0, "y",
					cl[k].mean.y0, "w", cl[k].mean.x1 - cl[k].mean.x0, "h", cl[k].mean.y1 - cl[k].mean.y0);
		if (cl[k].frame >= 0)
			json_object_set_new(res, "frame", json_integer(cl[k].frame));
		add_result(c, res, control);
	}
	rc = 0;
out:
	ml_free(nm.v);
	ml_free(items);
	ml_free(cl);
	ml_free(iou);
	ml_free(sel);
	ml_free(csel);
	return rc;
}

/* Masks (mask results and object3d parts): per (label, frame), STAPLE over all n annotators, each with the
 * union of their masks of that label on that frame (an annotator who drew none there is all background);
 * the consensus is the voxels with posterior >= 0.5. Objects are not matched one to one: the consensus is
 * semantic, one result per (label, frame) for masks, one object per label with a part per frame for
 * object3d. Weights are not used (STAPLE estimates each annotator's sensitivity and specificity itself). */
static int merge_masks(struct ctx *c, const char *control)
{
	struct qmask_set *sets = ml_calloc(c->n, sizeof(*sets));
	const uint8_t **raters = ml_calloc(c->n, sizeof(*raters));
	uint8_t *zeros = NULL, *cons = NULL;
	uint32_t *counts = NULL;
	json_t *objects = json_object(); /* object3d: label -> parts */
	int rc = -1;
	bool object3d = false;
	if (!sets || !raters) {
		ml_err_set(c->err, ML_ENOMEM, "out of memory merging masks");
		goto out;
	}
	if (c->n > 64) { /* STAPLE's limit */
		note_skipped(c->rep, control);
		rc = 0;
		goto out;
	}
	for (size_t a = 0; a < c->n; a++) {
		char who[32];
		snprintf(who, sizeof(who), "annotation %zu", a);
		if (qmask_collect(c->docs[a], control, who, &sets[a], c->err) != 0)
			goto out;
		object3d |= sets[a].object3d;
	}
	for (size_t a = 0; a < c->n; a++)
		for (size_t k = 0; k < sets[a].n; k++) {
			const struct qmask_plane *pl = &sets[a].p[k];
			bool done = false; /* (label, frame) merged already from an earlier annotator */
			for (size_t b = 0; b < a && !done; b++)
				done = qmask_find(&sets[b], pl->label, pl->frame) != NULL;
			if (done)
				continue;
			size_t npix = (size_t)pl->h * pl->w;
			ml_free(zeros);
			ml_free(cons);
			ml_free(counts);
			zeros = ml_calloc(npix, 1);
			cons = ml_malloc(npix);
			counts = ml_malloc((npix + 1) * sizeof(*counts));
			if (!zeros || !cons || !counts) {
				ml_err_set(c->err, ML_ENOMEM, "out of memory merging masks");
				goto out;
			}
			uint64_t fg = 0;
			for (size_t b = 0; b < c->n; b++) {
				const struct qmask_plane *q = qmask_find(&sets[b], pl->label, pl->frame);
				if (q && (q->h != pl->h || q->w != pl->w)) {
					ml_err_set(c->err, ML_EINVAL, "control '%s', label '%s': annotations %zu and %zu have masks of different sizes",
						   control, pl->label, a, b);
					goto out;
				}
				raters[b] = q ? q->v : zeros;
				fg += q ? q->area : 0;
			}
			if (fg == 0)
				continue;
			struct consensus_staple st;
			if (consensus_staple(raters, c->n, npix, NULL, &st, c->err) != 0)
				goto out;
			uint64_t area = 0;
			for (size_t i = 0; i < npix; i++)
				area += (cons[i] = st.posterior[i] >= 0.5f);
			consensus_staple_release(&st);
			if (!area)
				continue;
			size_t nc = label_rle_encode(cons, pl->h, pl->w, counts);
			json_t *cj = json_array();
			for (size_t i = 0; i < nc; i++)
				json_array_append_new(cj, json_integer(counts[i]));
			json_t *rle = json_pack("{s:[I,I],s:o}", "size", (json_int_t)pl->h, (json_int_t)pl->w, "counts", cj);
			if (object3d) {
				json_t *parts = json_object_get(objects, pl->label);
				if (!parts)
					json_object_set_new(objects, pl->label, parts = json_array());
				json_array_append_new(parts, json_pack("{s:I,s:o}", "frame", (json_int_t)(pl->frame < 0 ? 0 : pl->frame),
									"rle", rle));
			} else {
				json_t *res = json_pack("{s:s,s:o}", "label", pl->label, "rle", rle);
				if (pl->frame >= 0)
					json_object_set_new(res, "frame", json_integer(pl->frame));
				add_result(c, res, control);
			}
		}
	/* object3d: one object per label, parts in increasing frame order. */
	const char *label;
	json_t *parts;
	json_object_foreach(objects, label, parts)
	{
		size_t np = json_array_size(parts);
		for (size_t i = 1; i < np; i++) /* insertion sort by frame: parts are few */
			for (size_t j = i; j > 0; j--) {
				json_t *x = json_array_get(parts, j - 1), *y = json_array_get(parts, j);
				if (json_integer_value(json_object_get(x, "frame")) <= json_integer_value(json_object_get(y, "frame")))
					break;
				json_incref(x);
				json_array_set(parts, j - 1, y);
				json_array_set_new(parts, j, x);
			}
		add_result(c, json_pack("{s:s,s:O}", "label", label, "parts", parts), control);
	}
	rc = 0;
out:
	for (size_t a = 0; sets && a < c->n; a++)
		qmask_set_release(&sets[a]);
	ml_free(sets);
	ml_free(raters);
	ml_free(zeros);
	ml_free(cons);
	ml_free(counts);
	json_decref(objects);
	return rc;
}

int consensus_bodies(const char *const *bodies, size_t n, const double *weights, const struct consensus_body_options *opt,
		     char **out_json, struct consensus_body_report *report, struct ml_err *err)
{
	*out_json = NULL;
	memset(report, 0, sizeof(*report));
	if (n == 0 || n > BODY_MAX_ANNOTATORS)
		return ml_err_set(err, ML_EINVAL, "consensus needs 1 to %d annotations, not %zu", BODY_MAX_ANNOTATORS, n);
	struct ctx c = {.n = n, .w = weights, .box_iou = opt && opt->box_iou > 0 ? opt->box_iou : 0.5, .rep = report,
			.err = err};
	if (c.box_iou > 1)
		return ml_err_set(err, ML_EINVAL, "box IoU threshold must be in (0, 1]");
	c.docs = ml_calloc(n, sizeof(json_t *));
	if (!c.docs)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	int rc = -1;
	for (size_t a = 0; a < n; a++) {
		double wa = weight(&c, a);
		if (!(wa >= 0) || isinf(wa)) {
			ml_err_set(err, ML_EINVAL, "annotation %zu: weight must be finite and >= 0", a);
			goto out;
		}
		c.wtotal += wa;
		json_error_t je;
		c.docs[a] = json_loads(bodies[a], JSON_REJECT_DUPLICATES, &je);
		if (!c.docs[a] || !json_is_array(json_object_get(c.docs[a], "results"))) {
			ml_err_set(err, ML_EINVAL, "annotation %zu: not an annotation body (%s)", a,
				   c.docs[a] ? "no \"results\" array" : "malformed JSON");
			goto out;
		}
	}
	c.results = json_array();
	/* Controls in order of first appearance, each merged once by the shape of its results. */
	json_t *seen = json_object();
	for (size_t a = 0; a < n; a++) {
		json_t *res = json_object_get(c.docs[a], "results");
		for (size_t i = 0; i < json_array_size(res); i++) {
			json_t *r = json_array_get(res, i);
			const char *control = json_string_value(json_object_get(r, "control"));
			if (!control || json_object_get(seen, control))
				continue;
			json_object_set_new(seen, control, json_true());
			int k;
			if (json_object_get(r, "region"))
				k = (note_skipped(report, control), 0);
			else if (json_is_array(json_object_get(r, "choices")))
				k = merge_choices(&c, control);
			else if (json_object_get(r, "start") && json_object_get(r, "end"))
				k = merge_spans(&c, control);
			else if (json_object_get(r, "x") && json_object_get(r, "w") && json_object_get(r, "h"))
				k = merge_boxes(&c, control);
			else if (qmask_is_mask_result(r))
				k = merge_masks(&c, control);
			else
				k = (note_skipped(report, control), 0);
			if (k < 0) {
				json_decref(seen);
				goto out;
			}
		}
	}
	json_decref(seen);
	json_t *body = json_pack("{s:i,s:O}", "format", 1, "results", c.results);
	char *s = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(body);
	if (!s) {
		ml_err_set(err, ML_ENOMEM, "out of memory writing the consensus body");
		goto out;
	}
	*out_json = ml_strdup(s);
	free(s);
	if (!*out_json) {
		ml_err_set(err, ML_ENOMEM, "out of memory writing the consensus body");
		goto out;
	}
	rc = 0;
out:
	for (size_t a = 0; a < n; a++)
		json_decref(c.docs[a]);
	ml_free(c.docs);
	json_decref(c.results);
	return rc;
}

/* ---- one task's agreement, for routing to adjudication ------------------------------------------------ */

/* A mask control's agreement on one task: over the pairs of annotators who both masked it, the mean Dice
 * over the (label, frame) planes either drew (0 for a plane only one drew). */
static int mask_agreement(json_t **docs, size_t n, const char *control, double *csum, double *cpairs, struct ml_err *err)
{
	struct qmask_set *sets = ml_calloc(n ? n : 1, sizeof(*sets));
	if (!sets)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	int rc = -1;
	for (size_t a = 0; a < n; a++) {
		char who[32];
		snprintf(who, sizeof(who), "annotation %zu", a);
		if (qmask_collect(docs[a], control, who, &sets[a], err) != 0)
			goto out;
	}
	for (size_t x = 0; x < n; x++)
		for (size_t y = x + 1; y < n; y++) {
			if (!sets[x].n || !sets[y].n)
				continue;
			double dsum = 0;
			size_t units = 0;
			for (int side = 0; side < 2; side++) {
				const struct qmask_set *one = side ? &sets[y] : &sets[x], *other = side ? &sets[x] : &sets[y];
				for (size_t i = 0; i < one->n; i++) {
					const struct qmask_plane *p = &one->p[i], *q = qmask_find(other, p->label, p->frame);
					if (side && q)
						continue;
					units++;
					if (!q || q->h != p->h || q->w != p->w)
						continue;
					struct agree_mask ma = {p->v, p->w, p->h, 1, 1, 1, 1}, mb = {q->v, q->w, q->h, 1, 1, 1, 1};
					double d;
					if (agree_dice(&ma, &mb, &d, err) != 0)
						goto out;
					dsum += d;
				}
			}
			*csum += dsum / (double)units;
			(*cpairs)++;
		}
	rc = 0;
out:
	for (size_t a = 0; a < n; a++)
		qmask_set_release(&sets[a]);
	ml_free(sets);
	return rc;
}

int agree_bodies(const char *const *bodies, size_t n, double *agreement, struct ml_err *err)
{
	*agreement = NAN;
	if (n > BODY_MAX_ANNOTATORS)
		return ml_err_set(err, ML_ELIMIT, "at most %d annotations", BODY_MAX_ANNOTATORS);
	json_t **docs = ml_calloc(n ? n : 1, sizeof(json_t *));
	json_t *seen = json_object();
	struct agree_span *sp = NULL;
	size_t *first = ml_malloc((n + 1) * sizeof(size_t));
	int rc = -1;
	if (!docs || !first) {
		ml_err_set(err, ML_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t a = 0; a < n; a++) {
		docs[a] = json_loads(bodies[a], 0, NULL);
		if (!json_is_array(json_object_get(docs[a], "results"))) {
			ml_err_set(err, ML_EINVAL, "annotation %zu: not an annotation body", a);
			goto out;
		}
	}
	double sum = 0;
	size_t ncontrols = 0;
	for (size_t a = 0; a < n; a++) {
		json_t *res = json_object_get(docs[a], "results");
		for (size_t i = 0; i < json_array_size(res); i++) {
			json_t *r0 = json_array_get(res, i);
			const char *control = json_string_value(json_object_get(r0, "control"));
			if (!control || json_object_get(seen, control) || json_object_get(r0, "region"))
				continue;
			json_object_set_new(seen, control, json_true());
			bool choice = json_is_array(json_object_get(r0, "choices"));
			bool span = json_is_integer(json_object_get(r0, "start")) && json_is_integer(json_object_get(r0, "end"));
			if (!choice && !span && qmask_is_mask_result(r0)) {
				double msum = 0, mpairs = 0;
				if (mask_agreement(docs, n, control, &msum, &mpairs, err) != 0)
					goto out;
				if (mpairs > 0) {
					sum += msum / mpairs;
					ncontrols++;
				}
				continue;
			}
			if (!choice && !span)
				continue;
			/* Each annotator's answer: its (sorted, joined) choices, or its spans of the control. */
			struct names labels = {0};
			size_t ns = 0, alloc = 0;
			const char **answer = ml_calloc(n, sizeof(char *));
			char **joined = ml_calloc(n, sizeof(char *));
			bool ok = answer && joined;
			for (size_t b = 0; ok && b < n; b++) {
				first[b] = ns;
				json_t *rb = json_object_get(docs[b], "results");
				for (size_t k = 0; ok && k < json_array_size(rb); k++) {
					json_t *r = json_array_get(rb, k);
					const char *c2 = json_string_value(json_object_get(r, "control"));
					if (!c2 || strcmp(c2, control) != 0)
						continue;
					if (choice) {
						json_t *ch = json_object_get(r, "choices");
						char *d = json_is_array(ch) ? json_dumps(ch, JSON_COMPACT) : NULL;
						if (d) {
							free(joined[b]);
							joined[b] = d;
							answer[b] = d;
						}
					} else {
						struct agree_span s = {0, 0, 0, (uint32_t)b};
						json_t *st = json_object_get(r, "start"), *en = json_object_get(r, "end");
						const char *lab = json_string_value(json_object_get(r, "label"));
						if (!json_is_integer(st) || !json_is_integer(en) || json_integer_value(st) < 0 ||
						    json_integer_value(en) <= json_integer_value(st))
							continue;
						s.start = (uint64_t)json_integer_value(st);
						s.end = (uint64_t)json_integer_value(en);
						if (names_code(&labels, lab ? lab : "", &s.label) < 0) {
							ok = false;
							break;
						}
						if (ns == alloc) {
							alloc = alloc ? alloc * 2 : 32;
							struct agree_span *p = ml_realloc(sp, alloc * sizeof(*p));
							if (!p) {
								ok = false;
								break;
							}
							sp = p;
						}
						sp[ns++] = s;
					}
				}
			}
			first[n] = ns;
			double csum = 0, cpairs = 0;
			for (size_t x = 0; ok && x < n; x++)
				for (size_t y = x + 1; y < n; y++) {
					if (choice) {
						if (!answer[x] || !answer[y])
							continue;
						csum += strcmp(answer[x], answer[y]) == 0;
						cpairs++;
					} else {
						struct agree_f1 f;
						/* sp is NULL when no span of the control was well formed */
						if (agree_span_f1(sp ? sp + first[x] : NULL, first[x + 1] - first[x],
								  sp ? sp + first[y] : NULL, first[y + 1] - first[y], AGREE_SPAN_TOKEN,
								  AGREE_MISSING, &f, err) < 0) {
							ok = false;
							break;
						}
						csum += f.f1;
						cpairs++;
					}
				}
			for (size_t b = 0; joined && b < n; b++)
				free(joined[b]);
			ml_free(joined);
			ml_free(answer);
			ml_free(labels.v);
			if (!ok) {
				if (!err || !err->msg[0])
					ml_err_set(err, ML_ENOMEM, "out of memory");
				goto out;
			}
			if (cpairs > 0) {
				sum += csum / cpairs;
				ncontrols++;
			}
		}
	}
	if (ncontrols)
		*agreement = sum / (double)ncontrols;
	rc = 0;
out:
	for (size_t a = 0; docs && a < n; a++)
		json_decref(docs[a]);
	ml_free(docs);
	json_decref(seen);
	ml_free(sp);
	ml_free(first);
	return rc;
}
