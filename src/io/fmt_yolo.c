/* fmt_yolo.c: the "yolo" exporter (Ultralytics layout): a label file per image with one line per object,
 * class index and coordinates normalised by the image size, plus classes.txt.
 *
 * Usage: medlabel export P --format yolo --out DIR/index.jsonl [--format-opt detect|segment]. Next to the
 * index: DIR/classes.txt (one class per line: the labels of the schema's 2-D region controls in schema
 * order, class = COCO category - 1) and DIR/labels/STEM.txt for each image with objects, STEM being
 * "item-ID" for an image item and "item-ID-fNNNNN" for a frame of a DICOM series. The index lists every
 * image (negatives with "labels": null) with the BLAKE2b-256 of its label file.
 * detect: "class cx cy w h". segment: "class x1 y1 x2 y2 ...": polygons as drawn, boxes, rotated boxes and
 * ellipses as their outline, masks as the outer boundary of each 8-connected component traced along pixel
 * edges (so the polygon encloses exactly the component's pixels when it has no holes). Keypoints are not
 * exported (YOLO pose is another layout). Coordinates are printed with 6 decimals, clamped to [0, 1].
 * With the option "images" (--format-opt images, or segment,images) every image is written too, as
 * DIR/images/STEM.EXT: an image item's own file (.png, .jpg), a DICOM frame rendered to 8-bit PNG with
 * the file's first window (else its full range), as GET /api/v1/items/{id}/frames/{n} serves it. */
#include "io/img_int.h"

#include "assist/assist.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct yolo_state {
	struct label_schema *schema; /* first: io_img_state_end frees it */
	bool segment, images;
	char labels_dir[4200], images_dir[4200];
};

/* "detect", "segment", "images", or a comma-separated pair of a mode and "images". */
static int parse_options(const char *o, bool *segment, bool *images, struct ml_err *err)
{
	*segment = *images = false;
	if (!o || !*o)
		return 0;
	char buf[64];
	if (strlen(o) >= sizeof buf)
		return ml_err_set(err, ML_EINVAL, "the yolo options are too long");
	strcpy(buf, o);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "segment"))
			*segment = true;
		else if (!strcmp(t, "images"))
			*images = true;
		else if (strcmp(t, "detect"))
			return ml_err_set(err, ML_EINVAL, "unknown yolo option '%s' (expected detect, segment and/or images)", t);
	}
	return 0;
}

static int yolo_begin(struct io_export *ex, struct ml_err *err)
{
	if (!ex->out_dir || !ex->out_path)
		return ml_err_set(err, ML_EINVAL, "the yolo export writes a folder: give --out DIR/index.jsonl");
	bool segment, images;
	if (parse_options(ex->options, &segment, &images, err))
		return -1;
	struct label_schema *schema;
	if (io_img_schema(ex, "yolo", &schema, err))
		return -1;
	struct yolo_state *st = ml_xcalloc(1, sizeof *st);
	st->schema = schema;
	st->segment = segment;
	st->images = images;
	ex->state = st;
	snprintf(st->labels_dir, sizeof st->labels_dir, "%s/labels", ex->out_dir);
	snprintf(st->images_dir, sizeof st->images_dir, "%s/images", ex->out_dir);
	if (ml_mkdirs(st->labels_dir, 0755, err) || (images && ml_mkdirs(st->images_dir, 0755, err)))
		return -1;
	struct ml_buf b;
	ml_buf_init(&b, 0);
	int bad = 0;
	for (size_t c = 0; c < schema->ncontrols && !bad; c++) {
		const struct label_control *ctl = &schema->controls[c];
		if (!io_img_kind_is_2d(ctl->kind))
			continue;
		for (size_t l = 0; l < ctl->nlabels && !bad; l++) {
			/* one name per line: line breaks inside a value would shift every class after it */
			for (const char *p = ctl->labels[l].value; *p && !bad; p++)
				bad = ml_buf_putc(&b, *p == '\n' || *p == '\r' ? ' ' : *p);
			bad = bad || ml_buf_putc(&b, '\n');
		}
	}
	char path[4300];
	snprintf(path, sizeof path, "%s/classes.txt", ex->out_dir);
	int rc = bad ? ml_err_set(err, ML_ENOMEM, "out of memory") : ml_file_write_atomic(path, b.data ? b.data : "", b.len, err);
	ml_buf_release(&b);
	return rc;
}

struct yolo_row {
	struct yolo_state *st;
	struct ml_buf *lines; /* per frame */
	uint32_t w, h;
	uint32_t *labels;     /* component labels for mask tracing */
	struct ml_buf poly;
};

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Traces the outer boundary of component `comp` along pixel edges, starting at the top-left corner of its
 * first pixel in scan order, keeping the component on the right; appends the corners where the direction
 * changes as normalised "x y" pairs. */
static int trace(const uint32_t *lab, uint32_t w, uint32_t h, uint32_t comp, size_t first, struct ml_buf *out)
{
	static const int dx[4] = {1, 0, -1, 0}, dy[4] = {0, 1, 0, -1}; /* E S W N */
	long sx = (long)(first % w), sy = (long)(first / w), x = sx, y = sy;
	int d = 0;
#define IN(px, py) ((px) >= 0 && (py) >= 0 && (px) < (long)w && (py) < (long)h && lab[(size_t)(py) * w + (size_t)(px)] == comp)
	size_t guard = 4 * ((size_t)w + 1) * ((size_t)h + 1);
	do {
		x += dx[d];
		y += dy[d];
		long lx, ly, rx, ry; /* pixels ahead-left and ahead-right of corner (x, y) */
		switch (d) {
		case 0: lx = x, ly = y - 1, rx = x, ry = y; break;
		case 1: lx = x, ly = y, rx = x - 1, ry = y; break;
		case 2: lx = x - 1, ly = y, rx = x - 1, ry = y - 1; break;
		default: lx = x - 1, ly = y - 1, rx = x, ry = y - 1; break;
		}
		int nd = IN(lx, ly) ? (d + 3) % 4 : IN(rx, ry) ? d : (d + 1) % 4;
		if (nd != d && ml_buf_printf(out, " %.6f %.6f", clamp01((double)x / w), clamp01((double)y / h)))
			return -1;
		d = nd;
	} while ((x != sx || y != sy || d != 0) && guard--);
#undef IN
	return 0;
}

static int yolo_shape(void *ctx, const struct io_img_shape *s, struct ml_err *err)
{
	struct yolo_row *yr = ctx;
	if (s->kind == LABEL_KIND_KEYPOINTS || (s->mask && s->area == 0))
		return 0;
	struct ml_buf *b = &yr->lines[s->frame];
	int cls = s->category - 1;
	int bad = 0;
	if (!yr->st->segment) {
		double x0 = clamp01(s->bbox[0] / yr->w), y0 = clamp01(s->bbox[1] / yr->h);
		double x1 = clamp01((s->bbox[0] + s->bbox[2]) / yr->w), y1 = clamp01((s->bbox[1] + s->bbox[3]) / yr->h);
		bad = ml_buf_printf(b, "%d %.6f %.6f %.6f %.6f\n", cls, (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0);
	} else if (!s->mask) {
		bad = ml_buf_printf(b, "%d", cls);
		for (size_t i = 0; i < s->npts && !bad; i++)
			bad = ml_buf_printf(b, " %.6f %.6f", clamp01(s->xy[2 * i] / yr->w), clamp01(s->xy[2 * i + 1] / yr->h));
		bad = bad || ml_buf_putc(b, '\n');
	} else {
		uint32_t dims[3] = {s->w, s->h, 1}, ncomp;
		size_t *sizes = NULL;
		if (!yr->labels && !(yr->labels = ml_malloc((size_t)s->w * s->h * sizeof *yr->labels)))
			return ml_err_set(err, ML_ENOMEM, "out of memory tracing a mask");
		if (assist_components(s->mask, dims, 8, yr->labels, &ncomp, &sizes, err))
			return -1;
		size_t n = (size_t)s->w * s->h;
		uint32_t next = 1;
		for (size_t i = 0; i < n && next <= ncomp && !bad; i++) {
			if (yr->labels[i] != next)
				continue; /* components are numbered in scan order: i is the first pixel of `next` */
			ml_buf_reset(&yr->poly);
			bad = trace(yr->labels, s->w, s->h, next, i, &yr->poly) ||
			      ml_buf_printf(b, "%d%s\n", cls, yr->poly.data ? yr->poly.data : "");
			next++;
		}
		ml_free(sizes);
	}
	return bad ? ml_err_set(err, ML_ENOMEM, "out of memory for label lines") : 0;
}

/* Writes image `f` of the item as images/STEM.EXT; *name receives "images/STEM.EXT" and hash its BLAKE2b. */
static int write_image(const struct io_export *ex, const struct yolo_state *st, const struct store_item *it,
		       const struct io_img_view *v, uint32_t f, const char *stem, char name[96], char hash[65], struct ml_err *err)
{
	char path[4400], src[4200];
	struct ml_buf body;
	ml_buf_init(&body, 0);
	int rc = 0;
	if (!v->series) {
		const char *ext = it->media_type && !strcmp(it->media_type, "image/jpeg") ? "jpg" : "png";
		if (it->media_type && strcmp(it->media_type, "image/png") && strcmp(it->media_type, "image/jpeg"))
			return ml_err_set(err, ML_EUNSUPPORTED, "item %lld: only PNG and JPEG images can be copied", (long long)it->id);
		snprintf(name, 96, "images/%s.%s", stem, ext);
		char *data;
		size_t len;
		rc = store_media_path(ex->data_dir, it->media_hash, src, sizeof src, err) ||
		     ml_file_read(src, (size_t)1 << 31, &data, &len, err);
		if (!rc) {
			snprintf(path, sizeof path, "%s/%s", ex->out_dir, name);
			rc = ml_file_write_atomic(path, data, len, err);
			if (!rc)
				store_hash_hex(data, len, hash);
			ml_free(data);
		}
		return rc;
	}
	/* which instance holds frame f */
	json_error_t je;
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, &je);
	json_t *insts = json_object_get(json_object_get(meta, "dicom"), "instances");
	const char *media = NULL;
	uint32_t first = 0, in_file = 0;
	for (size_t i = 0; i < json_array_size(insts) && !media; i++) {
		json_t *o = json_array_get(insts, i);
		json_int_t nf = json_integer_value(json_object_get(o, "frames"));
		if (nf < 1)
			nf = 1;
		if (f < first + (uint64_t)nf) {
			media = json_string_value(json_object_get(o, "media"));
			in_file = f - first;
		}
		first += (uint32_t)nf;
	}
	if (!media)
		rc = ml_err_set(err, ML_EINVAL, "item %lld: frame %u is in no instance", (long long)it->id, f);
	if (!rc)
		rc = store_media_path(ex->data_dir, media, src, sizeof src, err);
	json_decref(meta);
	struct media_frame_request req = {.frame = in_file, .format = MEDIA_FORMAT_PNG};
	const char *ct;
	if (!rc)
		rc = media_dicom_render(src, &req, &body, NULL, &ct, err);
	if (!rc) {
		snprintf(name, 96, "images/%s.png", stem);
		snprintf(path, sizeof path, "%s/%s", ex->out_dir, name);
		rc = ml_file_write_atomic(path, body.data, body.len, err);
		if (!rc)
			store_hash_hex(body.data, body.len, hash);
	}
	ml_buf_release(&body);
	return rc;
}

static int yolo_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct yolo_state *st = ex->state;
	const struct store_item *it = r->item;
	if (it->modality != STORE_MOD_IMAGE && it->modality != STORE_MOD_DICOM_SERIES)
		return 0;
	struct io_img_view v;
	if (io_img_view_of(ex->data_dir, it, &v, err))
		return -1;
	struct yolo_row yr = {.st = st, .w = v.w, .h = v.h};
	yr.lines = ml_xcalloc(v.nframes, sizeof *yr.lines);
	ml_buf_init(&yr.poly, 0);
	int rc = io_img_each_shape(st->schema, r, v.h, v.w, v.nframes, yolo_shape, &yr, err);
	for (uint32_t f = 0; f < v.nframes && !rc; f++) {
		char stem[64], path[4400], hash[65];
		if (v.series)
			snprintf(stem, sizeof stem, "item-%lld-f%05u", (long long)it->id, f);
		else
			snprintf(stem, sizeof stem, "item-%lld", (long long)it->id);
		fprintf(ex->out, "{\"image\":\"%s\",\"item\":%lld,", stem, (long long)it->id);
		if (v.series)
			fprintf(ex->out, "\"frame\":%u,", f);
		fprintf(ex->out, "\"width\":%u,\"height\":%u,", v.w, v.h);
		if (st->images) {
			char iname[96], ihash[65];
			if ((rc = write_image(ex, st, it, &v, f, stem, iname, ihash, err)))
				break;
			fprintf(ex->out, "\"file\":\"%s\",\"file_blake2b\":\"%s\",", iname, ihash);
		}
		fputs("\"labels\":", ex->out);
		if (!yr.lines[f].len) {
			fputs("null}\n", ex->out);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s.txt", st->labels_dir, stem);
		rc = ml_file_write_atomic(path, yr.lines[f].data, yr.lines[f].len, err);
		if (!rc) {
			store_hash_hex(yr.lines[f].data, yr.lines[f].len, hash);
			fprintf(ex->out, "\"labels/%s.txt\",\"blake2b\":\"%s\"}\n", stem, hash);
		}
	}
	for (uint32_t f = 0; f < v.nframes; f++)
		ml_buf_release(&yr.lines[f]);
	ml_free(yr.lines);
	ml_free(yr.labels);
	ml_buf_release(&yr.poly);
	return rc;
}

IO_EXPORTER(yolo, {.name = "yolo", .writes_folder = true, .extension = ".jsonl",
		   .summary = "YOLO detect or segment label files (normalised) with classes.txt, next to an index",
		   .begin = yolo_begin, .row = yolo_row, .end = io_img_state_end})
