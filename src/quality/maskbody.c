/* maskbody.c: masks of annotation bodies (mask and object3d results, row-major RLE) decoded into one plane
 * per (label, frame) and annotator, for mask agreement and STAPLE consensus. */
#include "label/label.h"
#include "quality/quality_int.h"

#include <string.h>

bool qmask_is_mask_result(json_t *res)
{
	if (json_is_object(json_object_get(res, "rle")))
		return true;
	json_t *parts = json_object_get(res, "parts");
	return json_is_array(parts) && json_is_object(json_object_get(json_array_get(parts, 0), "rle"));
}

void qmask_set_release(struct qmask_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		ml_free(s->p[i].v);
	ml_free(s->p);
	memset(s, 0, sizeof(*s));
}

const struct qmask_plane *qmask_find(const struct qmask_set *s, const char *label, int64_t frame)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->p[i].frame == frame && strcmp(s->p[i].label, label) == 0)
			return &s->p[i];
	return NULL;
}

/* Decodes one {"size": [h, w], "counts": [...]} and ORs it into the set's (label, frame) plane. */
static int add_rle(struct qmask_set *s, const char *label, int64_t frame, json_t *rle, const char *who, const char *control,
		   uint64_t *total, struct ml_err *err)
{
	json_t *size = json_object_get(rle, "size"), *counts = json_object_get(rle, "counts");
	json_t *hj = json_array_get(size, 0), *wj = json_array_get(size, 1);
	if (!json_is_array(size) || json_array_size(size) != 2 || !json_is_integer(hj) || !json_is_integer(wj) ||
	    json_integer_value(hj) < 1 || json_integer_value(wj) < 1 || json_integer_value(hj) > UINT32_MAX ||
	    json_integer_value(wj) > UINT32_MAX || !json_is_array(counts))
		return ml_err_set(err, ML_EINVAL, "%s, control '%s': an rle needs \"size\": [height, width] and \"counts\"", who,
				  control);
	uint64_t h = (uint64_t)json_integer_value(hj), w = (uint64_t)json_integer_value(wj);
	if (h * w > QMASK_MAX_PIXELS || *total + h * w > QMASK_MAX_TOTAL_PIXELS)
		return ml_err_set(err, ML_ELIMIT, "%s, control '%s': masks larger than %u pixels are not compared", who, control,
				  QMASK_MAX_TOTAL_PIXELS);
	size_t nc = json_array_size(counts);
	if (nc > h * w + 1)
		return ml_err_set(err, ML_EINVAL, "%s, control '%s': more runs than pixels", who, control);
	uint32_t *c = ml_malloc((nc ? nc : 1) * sizeof(*c));
	uint8_t *m = ml_malloc(h * w);
	if (!c || !m) {
		ml_free(c);
		ml_free(m);
		return ml_err_set(err, ML_ENOMEM, "out of memory decoding a mask");
	}
	for (size_t i = 0; i < nc; i++) {
		json_t *x = json_array_get(counts, i);
		if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > UINT32_MAX) {
			ml_free(c);
			ml_free(m);
			return ml_err_set(err, ML_EINVAL, "%s, control '%s': rle count %zu is not a run length", who, control, i);
		}
		c[i] = (uint32_t)json_integer_value(x);
	}
	struct ml_err e2;
	int rc = label_rle_decode(c, nc, (uint32_t)h, (uint32_t)w, m, &e2);
	ml_free(c);
	if (rc != 0) {
		ml_free(m);
		return ml_err_set(err, ML_EINVAL, "%s, control '%s': %s", who, control, e2.msg);
	}
	struct qmask_plane *p = (struct qmask_plane *)qmask_find(s, label, frame);
	if (p) {
		if (p->h != h || p->w != w) {
			ml_free(m);
			return ml_err_set(err, ML_EINVAL, "%s, control '%s': masks of one frame differ in size", who, control);
		}
		for (uint64_t i = 0; i < h * w; i++)
			if (m[i] && !p->v[i]) {
				p->v[i] = 1;
				p->area++;
			}
		ml_free(m);
		return 0;
	}
	if (s->n == s->alloc) {
		size_t a = s->alloc ? s->alloc * 2 : 8;
		struct qmask_plane *np = ml_realloc(s->p, a * sizeof(*np));
		if (!np) {
			ml_free(m);
			return ml_err_set(err, ML_ENOMEM, "out of memory decoding a mask");
		}
		s->p = np;
		s->alloc = a;
	}
	uint64_t area = 0;
	for (uint64_t i = 0; i < h * w; i++)
		area += m[i];
	s->p[s->n++] = (struct qmask_plane){label, frame, (uint32_t)h, (uint32_t)w, m, area};
	*total += h * w;
	return 0;
}

int qmask_collect(json_t *body, const char *control, const char *who, struct qmask_set *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	json_t *results = json_object_get(body, "results");
	uint64_t total = 0;
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *r = json_array_get(results, i);
		const char *c = json_string_value(json_object_get(r, "control"));
		if (!c || strcmp(c, control) != 0 || !qmask_is_mask_result(r))
			continue;
		const char *label = json_string_value(json_object_get(r, "label"));
		if (!label) {
			qmask_set_release(out);
			return ml_err_set(err, ML_EINVAL, "%s, control '%s': a mask result without a label", who, control);
		}
		json_t *parts = json_object_get(r, "parts");
		if (json_is_array(parts)) {
			out->object3d = true;
			for (size_t k = 0; k < json_array_size(parts); k++) {
				json_t *pt = json_array_get(parts, k), *fr = json_object_get(pt, "frame"), *rle = json_object_get(pt, "rle");
				if (!rle)
					continue; /* a polygon part */
				if (!json_is_integer(fr) || json_integer_value(fr) < 0) {
					qmask_set_release(out);
					return ml_err_set(err, ML_EINVAL, "%s, control '%s': an object part needs a frame", who, control);
				}
				if (add_rle(out, label, json_integer_value(fr), rle, who, control, &total, err) != 0) {
					qmask_set_release(out);
					return -1;
				}
			}
			continue;
		}
		json_t *fr = json_object_get(r, "frame");
		if (fr && (!json_is_integer(fr) || json_integer_value(fr) < 0)) {
			qmask_set_release(out);
			return ml_err_set(err, ML_EINVAL, "%s, control '%s': frame must be a non-negative integer", who, control);
		}
		if (add_rle(out, label, fr ? json_integer_value(fr) : -1, json_object_get(r, "rle"), who, control, &total, err) != 0) {
			qmask_set_release(out);
			return -1;
		}
	}
	return 0;
}
