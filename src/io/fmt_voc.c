/* fmt_voc.c: the "voc" exporter: one Pascal VOC XML annotation per image with objects.
 *
 * Usage: medlabel export P --format voc --out DIR/index.jsonl; files go to DIR/Annotations/STEM.xml (STEM
 * as in the yolo exporter: "item-ID" or "item-ID-fNNNNN" for a DICOM frame), and the index lists every
 * image with the BLAKE2b-256 of its XML (negatives with "xml": null). Each object has the label as its
 * name, the control as <medlabel_control>, pose Unspecified, truncated when the box touches the border,
 * difficult 0 and a bndbox in VOC's 1-based inclusive pixel coordinates (xmin = floor(x) + 1,
 * xmax = ceil(x + w)), clamped to the image; masks, polygons and object3d parts give their bounding
 * box and set <segmented>1</segmented>. Keypoints are not exported. Text is XML-escaped. */
#include "io/img_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct voc_state {
	struct label_schema *schema; /* first: io_img_state_end frees it */
	char dir[4200];
};

static int voc_begin(struct io_export *ex, struct ml_err *err)
{
	if (!ex->out_dir || !ex->out_path)
		return ml_err_set(err, ML_EINVAL, "the voc export writes a folder: give --out DIR/index.jsonl");
	if (ex->options && *ex->options)
		return ml_err_set(err, ML_EINVAL, "the voc export takes no options ('%s')", ex->options);
	struct label_schema *schema;
	if (io_img_schema(ex, "voc", &schema, err))
		return -1;
	struct voc_state *st = ml_xcalloc(1, sizeof *st);
	st->schema = schema;
	ex->state = st;
	snprintf(st->dir, sizeof st->dir, "%s/Annotations", ex->out_dir);
	return ml_mkdirs(st->dir, 0755, err);
}

struct voc_row {
	FILE **files;       /* per frame, memory streams */
	char **bufs;
	size_t *lens;
	bool *segmented;
	uint32_t w, h;
};

static long clampl(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int voc_shape(void *ctx, const struct io_img_shape *s, struct ml_err *err)
{
	struct voc_row *vr = ctx;
	if (s->kind == LABEL_KIND_KEYPOINTS || (s->mask && s->area == 0))
		return 0;
	FILE *f = vr->files[s->frame];
	if (!f) {
		f = vr->files[s->frame] = open_memstream(&vr->bufs[s->frame], &vr->lens[s->frame]);
		if (!f)
			return ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	if (s->kind != LABEL_KIND_BOX && s->kind != LABEL_KIND_ROTATED_BOX && s->kind != LABEL_KIND_ELLIPSE)
		vr->segmented[s->frame] = true;
	long xmin = clampl((long)floor(s->bbox[0]) + 1, 1, vr->w), ymin = clampl((long)floor(s->bbox[1]) + 1, 1, vr->h);
	long xmax = clampl((long)ceil(s->bbox[0] + s->bbox[2]), 1, vr->w), ymax = clampl((long)ceil(s->bbox[1] + s->bbox[3]), 1, vr->h);
	if (xmax < xmin)
		xmax = xmin;
	if (ymax < ymin)
		ymax = ymin;
	bool truncated = xmin == 1 || ymin == 1 || xmax == (long)vr->w || ymax == (long)vr->h;
	fputs("\t<object>\n\t\t<name>", f);
	io_img_put_xml(f, s->label->value);
	fputs("</name>\n\t\t<medlabel_control>", f);
	io_img_put_xml(f, s->control->name);
	fprintf(f, "</medlabel_control>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>%d</truncated>\n"
		   "\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>%ld</xmin>\n\t\t\t<ymin>%ld</ymin>\n"
		   "\t\t\t<xmax>%ld</xmax>\n\t\t\t<ymax>%ld</ymax>\n\t\t</bndbox>\n\t</object>\n",
		truncated, xmin, ymin, xmax, ymax);
	return 0;
}

static int voc_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct voc_state *st = ex->state;
	const struct store_item *it = r->item;
	if (it->modality != STORE_MOD_IMAGE && it->modality != STORE_MOD_DICOM_SERIES)
		return 0;
	struct io_img_view v;
	if (io_img_view_of(ex->data_dir, it, &v, err))
		return -1;
	struct voc_row vr = {.w = v.w, .h = v.h};
	vr.files = ml_xcalloc(v.nframes, sizeof *vr.files);
	vr.bufs = ml_xcalloc(v.nframes, sizeof *vr.bufs);
	vr.lens = ml_xcalloc(v.nframes, sizeof *vr.lens);
	vr.segmented = ml_xcalloc(v.nframes, sizeof *vr.segmented);
	int rc = io_img_each_shape(st->schema, r, v.h, v.w, v.nframes, voc_shape, &vr, err);
	struct ml_buf x;
	ml_buf_init(&x, 0);
	for (uint32_t f = 0; f < v.nframes; f++) {
		if (vr.files[f])
			fclose(vr.files[f]);
		if (rc)
			continue;
		char stem[64], path[4400], hash[65];
		if (v.series)
			snprintf(stem, sizeof stem, "item-%lld-f%05u", (long long)it->id, f);
		else
			snprintf(stem, sizeof stem, "item-%lld", (long long)it->id);
		fprintf(ex->out, "{\"image\":\"%s\",\"item\":%lld,", stem, (long long)it->id);
		if (v.series)
			fprintf(ex->out, "\"frame\":%u,", f);
		if (!vr.files[f]) {
			fputs("\"xml\":null}\n", ex->out);
			continue;
		}
		ml_buf_reset(&x);
		if (ml_buf_printf(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<annotation>\n\t<folder>medlabel</folder>\n"
				      "\t<filename>%s</filename>\n\t<source>\n\t\t<database>medlabel</database>\n\t</source>\n"
				      "\t<size>\n\t\t<width>%u</width>\n\t\t<height>%u</height>\n\t\t<depth>%d</depth>\n\t</size>\n"
				      "\t<segmented>%d</segmented>\n",
				  stem, v.w, v.h, v.series ? 1 : 3, vr.segmented[f]) ||
		    ml_buf_append(&x, vr.bufs[f], vr.lens[f]) || ml_buf_puts(&x, "</annotation>\n")) {
			rc = ml_err_set(err, ML_ENOMEM, "out of memory");
			continue;
		}
		snprintf(path, sizeof path, "%s/%s.xml", st->dir, stem);
		rc = ml_file_write_atomic(path, x.data, x.len, err);
		if (!rc) {
			store_hash_hex(x.data, x.len, hash);
			fprintf(ex->out, "\"xml\":\"Annotations/%s.xml\",\"blake2b\":\"%s\"}\n", stem, hash);
		}
	}
	for (uint32_t f = 0; f < v.nframes; f++)
		free(vr.bufs[f]); /* open_memstream buffers come from malloc */
	ml_buf_release(&x);
	ml_free(vr.files);
	ml_free(vr.bufs);
	ml_free(vr.lens);
	ml_free(vr.segmented);
	return rc;
}

IO_EXPORTER(voc, {.name = "voc", .writes_folder = true, .extension = ".jsonl",
		  .summary = "Pascal VOC XML per image (boxes; masks and polygons as their boxes), next to an index",
		  .begin = voc_begin, .row = voc_row, .end = io_img_state_end})
