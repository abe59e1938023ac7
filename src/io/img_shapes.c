/* img_shapes.c: annotation results as 2-D shapes (outline, box, mask, keypoints) for COCO, YOLO and VOC,
 * and the images (an image item, or each frame of a DICOM series) they are drawn on. */
#include "io/img_int.h"

#include "assist/assist.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool io_img_kind_is_2d(enum label_kind k)
{
	return k == LABEL_KIND_BOX || k == LABEL_KIND_ROTATED_BOX || k == LABEL_KIND_POLYGON || k == LABEL_KIND_ELLIPSE ||
	       k == LABEL_KIND_KEYPOINTS || k == LABEL_KIND_MASK || k == LABEL_KIND_OBJECT3D;
}

int io_img_category(const struct label_schema *s, const struct label_control *c, const struct label_label *l)
{
	int n = 0;
	for (size_t i = 0; i < s->ncontrols; i++) {
		const struct label_control *ci = &s->controls[i];
		if (!io_img_kind_is_2d(ci->kind))
			continue;
		if (ci == c)
			return n + (int)(l - c->labels) + 1;
		n += (int)ci->nlabels;
	}
	return 0;
}

int io_img_view_of(const char *data_dir, const struct store_item *it, struct io_img_view *v, struct ml_err *err)
{
	memset(v, 0, sizeof *v);
	if (it->modality == STORE_MOD_IMAGE) {
		v->nframes = 1;
		return io_img_image_size(data_dir, it, &v->w, &v->h, err);
	}
	if (it->modality != STORE_MOD_DICOM_SERIES)
		return ml_err_set(err, ML_EUNSUPPORTED, "item %lld is neither an image nor a DICOM series", (long long)it->id);
	json_error_t je;
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, &je);
	json_t *d = json_object_get(meta, "dicom");
	json_int_t r = json_integer_value(json_object_get(d, "rows")), c = json_integer_value(json_object_get(d, "columns"));
	json_int_t f = json_integer_value(json_object_get(d, "frames"));
	json_decref(meta);
	if (r < 1 || c < 1 || r > MEDIA_MAX_DIM || c > MEDIA_MAX_DIM || f < 1 || f > 1000000)
		return ml_err_set(err, ML_EINVAL, "item %lld: meta.dicom lacks valid rows, columns and frames", (long long)it->id);
	v->h = (uint32_t)r;
	v->w = (uint32_t)c;
	v->nframes = (uint32_t)f;
	v->series = true;
	return 0;
}

void io_img_put_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				fputc(' ', f); /* not allowed in XML 1.0 */
			else
				fputc(*s, f);
		}
	}
}

struct shape_walk {
	const struct io_export_row *row;
	const struct label_schema *schema;
	const struct store_annotation *ann;
	size_t result;
	uint32_t h, w, nframes;
	uint8_t *mask;
	struct io_img_scratch scratch; /* mask runs and polygon points */
	double *xy;                    /* outlines of boxes and ellipses */
	size_t xycap;
	double *kp;
	io_img_shape_fn fn;
	void *ctx;
};

static int sbad(struct shape_walk *sw, struct ml_err *err, const char *what)
{
	return ml_err_set(err, ML_EINVAL, "item %lld, annotation %lld, result %zu: %s", (long long)sw->row->item->id,
			  (long long)sw->ann->id, sw->result, what);
}

static bool num(json_t *o, const char *k, double *v)
{
	json_t *x = json_object_get(o, k);
	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return isfinite(*v);
}

static void xy_room(struct shape_walk *sw, size_t n)
{
	if (n > sw->xycap) {
		sw->xy = ml_xrealloc(sw->xy, n * 2 * sizeof *sw->xy);
		sw->xycap = n;
	}
}

static void bbox_of_points(struct io_img_shape *s)
{
	double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
	for (size_t i = 0; i < s->npts; i++) {
		x0 = fmin(x0, s->xy[2 * i]);
		x1 = fmax(x1, s->xy[2 * i]);
		y0 = fmin(y0, s->xy[2 * i + 1]);
		y1 = fmax(y1, s->xy[2 * i + 1]);
	}
	s->bbox[0] = x0, s->bbox[1] = y0, s->bbox[2] = x1 - x0, s->bbox[3] = y1 - y0;
	double a = 0;
	for (size_t i = 0; i < s->npts; i++) {
		size_t j = (i + 1) % s->npts;
		a += s->xy[2 * i] * s->xy[2 * j + 1] - s->xy[2 * j] * s->xy[2 * i + 1];
	}
	s->area = fabs(a) / 2;
}

/* Area and bounding box straight from the row-major runs (no pass over the pixels): a run inside one row
 * spans its columns; a run over several rows touches column 0 and column w - 1. */
static void bbox_of_runs(struct io_img_shape *s, const uint32_t *counts, size_t nc)
{
	uint32_t x0 = UINT32_MAX, y0 = UINT32_MAX, x1 = 0, y1 = 0, w = s->w;
	size_t pos = 0, n = 0;
	for (size_t i = 0; i < nc; i++) {
		size_t a = pos, b = pos + counts[i];
		pos = b;
		if (!(i & 1) || b == a)
			continue;
		n += b - a;
		uint32_t ra = (uint32_t)(a / w), rb = (uint32_t)((b - 1) / w);
		uint32_t xa = ra == rb ? (uint32_t)(a % w) : 0, xb = ra == rb ? (uint32_t)((b - 1) % w) : w - 1;
		if (xa < x0) x0 = xa;
		if (xb > x1) x1 = xb;
		if (ra < y0) y0 = ra;
		if (rb > y1) y1 = rb;
	}
	s->area = (double)n;
	if (!n) {
		memset(s->bbox, 0, sizeof s->bbox);
		return;
	}
	s->bbox[0] = x0, s->bbox[1] = y0, s->bbox[2] = x1 - x0 + 1.0, s->bbox[3] = y1 - y0 + 1.0;
}

static int points_of(struct shape_walk *sw, json_t *pts, struct io_img_shape *s, struct ml_err *err)
{
	const char *why = NULL;
	int rc = io_img_points_read(pts, &sw->scratch, &s->npts, &why, err);
	if (rc)
		return rc > 0 ? sbad(sw, err, why) : -1;
	s->xy = sw->scratch.xy;
	s->kind = LABEL_KIND_POLYGON;
	bbox_of_points(s);
	return 0;
}

static int mask_of(struct shape_walk *sw, json_t *rle, struct io_img_shape *s, struct ml_err *err)
{
	const char *why = NULL;
	size_t nc;
	int rc = io_img_rle_read(rle, sw->h, sw->w, &sw->scratch, sw->mask, &nc, &why, err);
	if (rc)
		return rc > 0 ? sbad(sw, err, why) : -1;
	s->mask = sw->mask;
	s->kind = LABEL_KIND_MASK;
	bbox_of_runs(s, sw->scratch.counts, nc);
	return 0;
}

static int frame_in(struct shape_walk *sw, json_t *o, uint32_t *frame, struct ml_err *err)
{
	json_t *f = json_object_get(o, "frame");
	*frame = 0;
	if (!f)
		return 0;
	if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) >= (json_int_t)sw->nframes)
		return sbad(sw, err, "frame is out of range");
	*frame = (uint32_t)json_integer_value(f);
	return 0;
}

/* Corners of a box rotated by angle degrees clockwise (y down) about its centre, or an ellipse as a 64-gon. */
static void outline(struct shape_walk *sw, double cx, double cy, double a, double b, double deg, bool ellipse,
		    struct io_img_shape *s)
{
	size_t n = ellipse ? 64 : 4;
	xy_room(sw, n);
	double t = deg * M_PI / 180, ct = cos(t), st = sin(t);
	for (size_t i = 0; i < n; i++) {
		double dx, dy;
		if (ellipse) {
			double u = 2 * M_PI * (double)i / (double)n;
			dx = a * cos(u), dy = b * sin(u);
		} else {
			static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
			dx = sx[i] * a / 2, dy = sy[i] * b / 2;
		}
		sw->xy[2 * i] = cx + dx * ct - dy * st;
		sw->xy[2 * i + 1] = cy + dx * st + dy * ct;
	}
	s->xy = sw->xy;
	s->npts = n;
	bbox_of_points(s);
}

static int one_shape(struct shape_walk *sw, json_t *res, struct ml_err *err)
{
	const char *cname = json_string_value(json_object_get(res, "control"));
	const struct label_control *c = label_schema_control(sw->schema, cname ? cname : "");
	if (!c || !io_img_kind_is_2d(c->kind))
		return 0;
	const char *lv = json_string_value(json_object_get(res, "label"));
	const struct label_label *l = lv ? label_control_label(c, lv) : NULL;
	if (!l && c->nlabels == 1)
		l = &c->labels[0];
	if (!l)
		return sbad(sw, err, "the result names no label of its control");
	const char *rid = json_string_value(json_object_get(res, "id"));
	struct io_img_shape s = {.control = c, .label = l, .category = io_img_category(sw->schema, c, l), .kind = c->kind,
			      .annotation_id = sw->ann->id, .result_id = rid ? rid : "", .h = sw->h, .w = sw->w};
	double x, y, w, h, a = 0;
	switch (c->kind) {
	case LABEL_KIND_BOX:
		if (!num(res, "x", &x) || !num(res, "y", &y) || !num(res, "w", &w) || !num(res, "h", &h) || w <= 0 || h <= 0)
			return sbad(sw, err, "a box needs numbers x, y and positive w, h");
		if (frame_in(sw, res, &s.frame, err))
			return -1;
		outline(sw, x + w / 2, y + h / 2, w, h, 0, false, &s);
		s.bbox[0] = x, s.bbox[1] = y, s.bbox[2] = w, s.bbox[3] = h, s.area = w * h;
		return sw->fn(sw->ctx, &s, err);
	case LABEL_KIND_ROTATED_BOX:
	case LABEL_KIND_ELLIPSE: {
		bool ell = c->kind == LABEL_KIND_ELLIPSE;
		if (!num(res, "cx", &x) || !num(res, "cy", &y) || !num(res, ell ? "rx" : "w", &w) ||
		    !num(res, ell ? "ry" : "h", &h) || w <= 0 || h <= 0)
			return sbad(sw, err, ell ? "an ellipse needs cx, cy and positive rx, ry" : "a rotated box needs cx, cy and positive w, h");
		num(res, "angle", &a);
		if (frame_in(sw, res, &s.frame, err))
			return -1;
		outline(sw, x, y, w, h, a, ell, &s);
		return sw->fn(sw->ctx, &s, err);
	}
	case LABEL_KIND_POLYGON:
		if (frame_in(sw, res, &s.frame, err) || points_of(sw, json_object_get(res, "points"), &s, err))
			return -1;
		return sw->fn(sw->ctx, &s, err);
	case LABEL_KIND_MASK:
		if (!json_is_object(json_object_get(res, "rle")))
			return sbad(sw, err, "a mask result needs rle");
		if (frame_in(sw, res, &s.frame, err) || mask_of(sw, json_object_get(res, "rle"), &s, err))
			return -1;
		return sw->fn(sw->ctx, &s, err);
	case LABEL_KIND_KEYPOINTS: {
		json_t *kps = json_object_get(res, "keypoints");
		if (!json_is_array(kps))
			return sbad(sw, err, "a keypoints result needs keypoints");
		if (frame_in(sw, res, &s.frame, err))
			return -1;
		sw->kp = ml_xrealloc(sw->kp, (c->npoints ? c->npoints : 1) * 3 * sizeof *sw->kp);
		memset(sw->kp, 0, c->npoints * 3 * sizeof *sw->kp);
		xy_room(sw, c->npoints ? c->npoints : 1);
		size_t n = 0;
		for (size_t i = 0; i < json_array_size(kps); i++) {
			json_t *k = json_array_get(kps, i);
			const char *name = json_string_value(json_object_get(k, "name"));
			size_t p = 0;
			while (name && p < c->npoints && strcmp(c->points[p], name))
				p++;
			if (!name || p == c->npoints || !num(k, "x", &x) || !num(k, "y", &y))
				return sbad(sw, err, "a keypoint needs a name of the control's points and x, y");
			json_t *vis = json_object_get(k, "visible");
			sw->kp[3 * p] = x, sw->kp[3 * p + 1] = y, sw->kp[3 * p + 2] = json_is_false(vis) ? 1 : 2;
			sw->xy[2 * n] = x, sw->xy[2 * n + 1] = y;
			n++;
		}
		s.kp = sw->kp;
		s.nkp_labelled = n;
		s.xy = sw->xy;
		s.npts = n;
		bbox_of_points(&s);
		s.area = s.bbox[2] * s.bbox[3];
		s.xy = NULL;
		s.npts = 0;
		return sw->fn(sw->ctx, &s, err);
	}
	case LABEL_KIND_OBJECT3D: {
		json_t *parts = json_object_get(res, "parts");
		if (!json_is_array(parts))
			return sbad(sw, err, "an object3d result needs parts");
		s.part = true;
		for (size_t i = 0; i < json_array_size(parts); i++) {
			json_t *p = json_array_get(parts, i), *rle = json_object_get(p, "rle");
			s.mask = NULL, s.xy = NULL, s.npts = 0;
			if (frame_in(sw, p, &s.frame, err) ||
			    (json_is_object(rle) ? mask_of(sw, rle, &s, err) : points_of(sw, json_object_get(p, "points"), &s, err)) ||
			    sw->fn(sw->ctx, &s, err))
				return -1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int io_img_each_shape(const struct label_schema *schema, const struct io_export_row *row, uint32_t h, uint32_t w,
		   uint32_t nframes, io_img_shape_fn fn, void *ctx, struct ml_err *err)
{
	size_t n = (size_t)h * w;
	if (n == 0 || n > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_EINVAL, "item %lld: image size %ux%u is out of range", (long long)row->item->id, w, h);
	struct shape_walk sw = {.row = row, .schema = schema, .h = h, .w = w, .nframes = nframes ? nframes : 1,
				.fn = fn, .ctx = ctx};
	int rc = 0;
	for (size_t a = 0; a < row->nanns && !rc; a++) {
		sw.ann = &row->anns[a];
		json_error_t je;
		json_t *body = json_loads(sw.ann->body_json ? sw.ann->body_json : "", 0, &je);
		json_t *results = json_object_get(body, "results");
		if (!json_is_array(results)) {
			sw.result = 0;
			rc = sbad(&sw, err, "the body has no results list");
		}
		for (size_t i = 0; !rc && i < json_array_size(results); i++) {
			sw.result = i;
			json_t *res = json_array_get(results, i);
			/* masks are decoded lazily: allocate on the first one */
			if (!sw.mask && (json_object_get(res, "rle") || json_object_get(res, "parts"))) {
				sw.mask = ml_malloc(n);
				if (!sw.mask) {
					rc = ml_err_set(err, ML_ENOMEM, "out of memory for a %ux%u mask", w, h);
					break;
				}
			}
			rc = one_shape(&sw, res, err);
		}
		json_decref(body);
	}
	ml_free(sw.mask);
	io_img_scratch_release(&sw.scratch);
	ml_free(sw.xy);
	ml_free(sw.kp);
	return rc;
}
