/* fmt_coco.c: the "coco" exporter: one COCO JSON (instances and keypoints) for the image items and the frames
 * of DICOM series items of a project.
 *
 * Images: an image item is one image ("item-ID"); a DICOM series item gives one image per frame
 * ("item-ID-fNNNNN", with "medlabel_item" and "frame"), so frames without labels are listed as negatives.
 * Image and annotation ids are numbered in export order (items by id, frames ascending, results in body
 * order), so the same labels give the same bytes. Categories: every label of the schema's 2-D region
 * controls, numbered in schema order; a keypoints control's categories carry its point names and its
 * skeleton (1-based, as COCO wants). Annotations: boxes (bbox, area w*h), polygons, rotated boxes and
 * ellipses (segmentation polygons; an ellipse as a 64-gon), masks and object3d parts (compressed COCO RLE,
 * column-major as pycocotools counts it; the string via assist_coco_rle_to_string), keypoints ([x, y, v] per point, v = 2
 * visible, 1 hidden, 0 absent). Object3d parts carry "medlabel_object" so a 3-D object stays one object.
 * Annotations are streamed; only the images list (about 150 bytes per image) is held until the end. */
#include "io/img_int.h"

#include "assist/assist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct coco_state {
	struct label_schema *schema;
	struct ml_buf images;
	uint64_t next_image, next_ann;
	bool first_ann;
	struct ml_buf rle;
	uint8_t *colmajor;      /* scratch: the mask transposed */
	size_t colmajor_len;
	uint32_t *counts;       /* scratch: COCO counts */
	size_t counts_cap;
	/* the image being labelled */
	uint64_t image_base;
	uint32_t w, h;
};

static void put_num(FILE *f, double v)
{
	if (v > -1e-12 && v < 1e-12)
		v = 0;
	fprintf(f, "%.10g", v);
}

/* COCO counts (column-major runs, background first) of a row-major mask whose foreground lies within the
 * box x0..x1, y0..y1. The same runs as assist_coco_rle_encode, which reads the whole mask column by column
 * with a stride of w bytes; here only the box is transposed (in 32x32 tiles) and scanned, and the
 * background around it is added as run lengths: on 512x512 masks this is many times faster. */
struct runs {
	struct coco_state *st;
	uint8_t cur;
	size_t run, n;
	bool oom;
};

static void push_run(struct runs *r)
{
	struct coco_state *st = r->st;
	if (r->n == st->counts_cap) {
		size_t cap = st->counts_cap ? st->counts_cap * 2 : 1024;
		uint32_t *c = ml_realloc(st->counts, cap * sizeof *c);
		if (!c) {
			r->oom = true;
			return;
		}
		st->counts = c;
		st->counts_cap = cap;
	}
	st->counts[r->n++] = (uint32_t)r->run;
}

static inline void add_run(struct runs *r, uint8_t v, size_t len)
{
	if (!len)
		return;
	if (v == r->cur) {
		r->run += len;
		return;
	}
	push_run(r);
	r->cur = v;
	r->run = len;
}

static int coco_counts(struct coco_state *st, const uint8_t *m, uint32_t h, uint32_t w, uint32_t x0, uint32_t y0,
		       uint32_t x1, uint32_t y1, size_t *n, struct ml_err *err)
{
	uint32_t bw = x1 - x0 + 1, bh = y1 - y0 + 1;
	size_t box = (size_t)bw * bh;
	if (st->colmajor_len < box) {
		ml_free(st->colmajor);
		st->colmajor = ml_malloc(box);
		st->colmajor_len = st->colmajor ? box : 0;
		if (!st->colmajor)
			return ml_err_set(err, ML_ENOMEM, "out of memory for a %ux%u mask", w, h);
	}
	uint8_t *t = st->colmajor;
	for (uint32_t by = y0; by <= y1; by += 32)
		for (uint32_t bx = x0; bx <= x1; bx += 32) {
			uint32_t ey = by + 32 <= y1 ? by + 32 : y1 + 1, ex = bx + 32 <= x1 ? bx + 32 : x1 + 1;
			for (uint32_t y = by; y < ey; y++)
				for (uint32_t x = bx; x < ex; x++)
					t[(size_t)(x - x0) * bh + (y - y0)] = m[(size_t)y * w + x] != 0;
		}
	struct runs r = {.st = st};
	add_run(&r, 0, (size_t)x0 * h);
	for (uint32_t x = 0; x < bw; x++) {
		add_run(&r, 0, y0);
		const uint8_t *col = t + (size_t)x * bh;
		for (uint32_t y = 0; y < bh; y++)
			add_run(&r, col[y], 1);
		add_run(&r, 0, h - 1 - y1);
	}
	add_run(&r, 0, (size_t)(w - 1 - x1) * h);
	push_run(&r);
	if (r.oom)
		return ml_err_set(err, ML_ENOMEM, "out of memory for RLE counts");
	*n = r.n;
	return 0;
}

static int coco_begin(struct io_export *ex, struct ml_err *err)
{
	struct label_schema *schema;
	if (io_img_schema(ex, "coco", &schema, err))
		return -1;
	struct coco_state *st = ml_xcalloc(1, sizeof *st);
	st->schema = schema;
	st->next_image = st->next_ann = 1;
	st->first_ann = true;
	ml_buf_init(&st->images, 0);
	ml_buf_init(&st->rle, 0);
	ex->state = st;
	FILE *f = ex->out;
	fputs("{\"info\":{\"description\":\"medlabel export\",\"version\":\"1.0\",\"contributor\":\"medlabel\"},"
	      "\"licenses\":[],\"categories\":[", f);
	bool first = true;
	for (size_t c = 0; c < schema->ncontrols; c++) {
		const struct label_control *ctl = &schema->controls[c];
		if (!io_img_kind_is_2d(ctl->kind))
			continue;
		for (size_t l = 0; l < ctl->nlabels; l++) {
			fprintf(f, "%s{\"id\":%d,\"name\":", first ? "" : ",", io_img_category(schema, ctl, &ctl->labels[l]));
			first = false;
			io_put_json_str(f, ctl->labels[l].value, strlen(ctl->labels[l].value));
			fputs(",\"supercategory\":", f);
			io_put_json_str(f, ctl->name, strlen(ctl->name));
			if (ctl->kind == LABEL_KIND_KEYPOINTS) {
				fputs(",\"keypoints\":[", f);
				for (size_t p = 0; p < ctl->npoints; p++) {
					if (p)
						fputc(',', f);
					io_put_json_str(f, ctl->points[p], strlen(ctl->points[p]));
				}
				fputs("],\"skeleton\":[", f);
				for (size_t e = 0; e < ctl->nskeleton; e++)
					fprintf(f, "%s[%zu,%zu]", e ? "," : "", ctl->skeleton[e].a + 1, ctl->skeleton[e].b + 1);
				fputc(']', f);
			}
			fputc('}', f);
		}
	}
	fputs("],\"annotations\":[", f);
	return 0;
}

struct coco_row {
	struct io_export *ex;
	struct coco_state *st;
	const struct store_item *it;
};

static int coco_shape(void *ctx, const struct io_img_shape *s, struct ml_err *err)
{
	struct coco_row *cr = ctx;
	struct coco_state *st = cr->st;
	FILE *f = cr->ex->out;
	if (s->mask && s->area == 0)
		return 0; /* an empty mask is no instance */
	fprintf(f, "%s\n{\"id\":%llu,\"image_id\":%llu,\"category_id\":%d,\"iscrowd\":0,\"area\":",
		st->first_ann ? "" : ",", (unsigned long long)st->next_ann++,
		(unsigned long long)(st->image_base + s->frame), s->category);
	st->first_ann = false;
	put_num(f, s->area);
	fputs(",\"bbox\":[", f);
	for (int i = 0; i < 4; i++) {
		if (i)
			fputc(',', f);
		put_num(f, s->bbox[i]);
	}
	fputs("],\"segmentation\":", f);
	if (s->mask) {
		size_t n = 0;
		uint32_t x0 = (uint32_t)s->bbox[0], y0 = (uint32_t)s->bbox[1];
		if (coco_counts(st, s->mask, s->h, s->w, x0, y0, x0 + (uint32_t)s->bbox[2] - 1, y0 + (uint32_t)s->bbox[3] - 1,
				&n, err))
			return -1;
		ml_buf_reset(&st->rle);
		if (assist_coco_rle_to_string(st->counts, n, &st->rle))
			return ml_err_set(err, ML_ENOMEM, "out of memory for an RLE string");
		fprintf(f, "{\"size\":[%u,%u],\"counts\":", s->h, s->w);
		io_put_json_str(f, st->rle.data, st->rle.len);
		fputc('}', f);
	} else if (s->kind != LABEL_KIND_BOX && s->npts >= 3) {
		fputs("[[", f);
		for (size_t i = 0; i < s->npts; i++) {
			if (i)
				fputc(',', f);
			put_num(f, s->xy[2 * i]);
			fputc(',', f);
			put_num(f, s->xy[2 * i + 1]);
		}
		fputs("]]", f);
	} else {
		fputs("[]", f);
	}
	if (s->kp) {
		fputs(",\"keypoints\":[", f);
		for (size_t p = 0; p < s->control->npoints; p++) {
			if (p)
				fputc(',', f);
			put_num(f, s->kp[3 * p]);
			fputc(',', f);
			put_num(f, s->kp[3 * p + 1]);
			fprintf(f, ",%d", (int)s->kp[3 * p + 2]);
		}
		fprintf(f, "],\"num_keypoints\":%zu", s->nkp_labelled);
	}
	fprintf(f, ",\"medlabel_annotation\":%lld,\"medlabel_result\":", (long long)s->annotation_id);
	io_put_json_str(f, s->result_id, strlen(s->result_id));
	if (s->part) {
		fprintf(f, ",\"medlabel_object\":\"%lld/", (long long)s->annotation_id);
		/* the result id inside a string: escape it and drop the quotes */
		struct ml_buf b;
		ml_buf_init(&b, 0);
		if (ml_buf_json_str(&b, s->result_id, strlen(s->result_id)) == 0 && b.len >= 2)
			fwrite(b.data + 1, 1, b.len - 2, f);
		ml_buf_release(&b);
		fputc('"', f);
	}
	fputc('}', f);
	return 0;
}

static int coco_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct coco_state *st = ex->state;
	const struct store_item *it = r->item;
	if (it->modality != STORE_MOD_IMAGE && it->modality != STORE_MOD_DICOM_SERIES)
		return 0;
	struct io_img_view v;
	if (io_img_view_of(ex->data_dir, it, &v, err))
		return -1;
	st->image_base = st->next_image;
	for (uint32_t f = 0; f < v.nframes; f++) {
		int bad = ml_buf_printf(&st->images, "%s\n{\"id\":%llu,\"width\":%u,\"height\":%u,\"file_name\":\"item-%lld",
					st->images.len ? "," : "", (unsigned long long)(st->next_image + f), v.w, v.h,
					(long long)it->id);
		if (!bad && v.series)
			bad = ml_buf_printf(&st->images, "-f%05u\",\"frame\":%u", f, f);
		else if (!bad)
			bad = ml_buf_puts(&st->images, "\"");
		if (!bad)
			bad = ml_buf_printf(&st->images, ",\"medlabel_item\":%lld", (long long)it->id);
		if (!bad && it->media_hash && !v.series)
			bad = ml_buf_printf(&st->images, ",\"media\":\"%s\"", it->media_hash);
		if (!bad)
			bad = ml_buf_puts(&st->images, "}");
		if (bad)
			return ml_err_set(err, ML_ENOMEM, "out of memory for the images list");
	}
	st->next_image += v.nframes;
	struct coco_row cr = {.ex = ex, .st = st, .it = it};
	return io_img_each_shape(st->schema, r, v.h, v.w, v.nframes, coco_shape, &cr, err);
}

static int coco_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	struct coco_state *st = ex->state;
	if (!st)
		return 0;
	if (ok) {
		fputs("\n],\"images\":[", ex->out);
		fwrite(st->images.data ? st->images.data : "", 1, st->images.len, ex->out);
		fputs("\n]}\n", ex->out);
	}
	label_schema_free(st->schema);
	ml_buf_release(&st->images);
	ml_buf_release(&st->rle);
	ml_free(st->colmajor);
	ml_free(st->counts);
	ml_free(st);
	ex->state = NULL;
	return 0;
}

IO_EXPORTER(coco, {.name = "coco", .extension = ".json",
		   .summary = "COCO instances and keypoints (boxes, polygons, RLE masks) for images and DICOM frames",
		   .begin = coco_begin, .row = coco_row, .end = coco_end})
