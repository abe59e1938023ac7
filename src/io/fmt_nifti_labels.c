/* fmt_nifti_labels.c: the "nifti-labels" exporter: one NIfTI label map per DICOM series (or volume) item, on
 * the source volume's grid and affine, each voxel holding the mask_value of the label drawn on it.
 *
 * Usage: medlabel export P --format nifti-labels --out DIR/index.jsonl. The label maps go next to the
 * index as DIR/item-ID.nii.gz (--format-opt nii: uncompressed .nii); the index (the hashed stream) lists
 * each file with its BLAKE2b-256, its dimensions and the label values, so the manifest covers the maps.
 * Masks, polygons and object3d parts are rasterised on their frame's slice: a frame's slice is found by
 * position along the slice normal (io_img_series_load), never by file order, so the map is aligned with the
 * volume that media_volume_from_plan builds and that viewers build from the same DICOM series. Where
 * regions overlap the later one (annotation id order, then body order) wins. The gzip stream of zlib has
 * no timestamp, so the same labels give the same bytes. */
#include "io/img_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nl_state {
	struct label_schema *schema; /* first: io_img_state_end frees it */
	enum media_dtype dtype;
	bool gz;
};

static int nl_begin(struct io_export *ex, struct ml_err *err)
{
	if (!ex->out_dir || !ex->out_path)
		return ml_err_set(err, ML_EINVAL, "the nifti-labels export writes one file per item: give --out DIR/index.jsonl");
	bool gz = true;
	if (ex->options && *ex->options) {
		if (!strcmp(ex->options, "nii"))
			gz = false;
		else if (strcmp(ex->options, "gz"))
			return ml_err_set(err, ML_EINVAL, "unknown nifti-labels option '%s' (expected nii or gz)", ex->options);
	}
	struct label_schema *schema;
	if (io_img_schema(ex, "nifti-labels", &schema, err))
		return -1;
	struct nl_state *st = ml_xcalloc(1, sizeof *st);
	st->schema = schema;
	st->gz = gz;
	st->dtype = MEDIA_U8;
	for (size_t c = 0; c < schema->ncontrols; c++)
		for (size_t l = 0; l < schema->controls[c].nlabels; l++)
			if (io_img_mask_value(&schema->controls[c], &schema->controls[c].labels[l]) > 255)
				st->dtype = MEDIA_U16;
	ex->state = st;
	return 0;
}

struct nl_paint {
	struct media_volume *vol;
	const struct io_img_series *series; /* NULL for volume items: frame = slice */
	bool any;
};

static int nl_region(void *ctx, const struct io_img_region *r, struct ml_err *err)
{
	struct nl_paint *p = ctx;
	uint32_t k = r->frame;
	if (p->series)
		k = p->series->frames[r->frame].slot;
	if (k == IO_IMG_NO_SLOT || k >= p->vol->dims[2])
		return ml_err_set(err, ML_EINVAL, "annotation %lld: frame %u is not part of the item's volume",
				  (long long)r->annotation_id, r->frame);
	size_t plane = (size_t)r->w * r->h;
	for (size_t i = 0; i < plane; i++) {
		if (!r->mask[i])
			continue;
		size_t at = (size_t)k * plane + i;
		if (p->vol->dtype == MEDIA_U16)
			((uint16_t *)p->vol->data)[at] = (uint16_t)r->mask_value;
		else
			((uint8_t *)p->vol->data)[at] = (uint8_t)r->mask_value;
		p->any = true;
	}
	return 0;
}

static int put_labels(FILE *out, const struct label_schema *schema)
{
	fputs(",\"labels\":[", out);
	bool first = true;
	for (size_t c = 0; c < schema->ncontrols; c++) {
		const struct label_control *ctl = &schema->controls[c];
		if (ctl->kind != LABEL_KIND_MASK && ctl->kind != LABEL_KIND_POLYGON && ctl->kind != LABEL_KIND_OBJECT3D)
			continue;
		for (size_t l = 0; l < ctl->nlabels; l++) {
			fputs(first ? "{\"control\":" : ",{\"control\":", out);
			first = false;
			io_put_json_str(out, ctl->name, strlen(ctl->name));
			fputs(",\"label\":", out);
			io_put_json_str(out, ctl->labels[l].value, strlen(ctl->labels[l].value));
			fprintf(out, ",\"value\":%d}", io_img_mask_value(ctl, &ctl->labels[l]));
		}
	}
	fputs("]", out);
	return 0;
}

static int nl_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct nl_state *st = ex->state;
	const struct store_item *it = r->item;
	if ((it->modality != STORE_MOD_DICOM_SERIES && it->modality != STORE_MOD_VOLUME) || r->nanns == 0)
		return 0;
	struct io_img_series s;
	struct media_volume vol;
	io_img_series_init(&s);
	media_volume_init(&vol);
	struct nl_paint paint = {.vol = &vol};
	int rc;
	if (it->modality == STORE_MOD_DICOM_SERIES) {
		rc = io_img_series_load(ex->data_dir, it, false, st->dtype, &s, err);
		if (!rc) {
			vol = s.vol; /* take the label map over */
			media_volume_init(&s.vol);
			paint.series = &s;
		}
	} else {
		struct media_volume src;
		media_volume_init(&src);
		rc = io_img_volume_read(ex->data_dir, it, &src, err);
		if (!rc)
			rc = media_volume_like(&vol, &src, st->dtype, err);
		media_volume_release(&src);
	}
	if (!rc)
		rc = io_img_each_region(st->schema, r, vol.dims[1], vol.dims[0], paint.series ? (uint32_t)s.nframes : vol.dims[2],
				     nl_region, &paint, err);
	char name[64], path[4300], hash[65];
	snprintf(name, sizeof name, "item-%lld.nii%s", (long long)it->id, st->gz ? ".gz" : "");
	snprintf(path, sizeof path, "%s/%s", ex->out_dir, name);
	if (!rc)
		rc = media_nifti_write(path, &vol, err);
	if (!rc)
		rc = io_img_file_hash(path, hash, err);
	if (!rc) {
		fprintf(ex->out, "{\"item\":%lld,\"file\":\"%s\",\"blake2b\":\"%s\",\"dims\":[%u,%u,%u]", (long long)it->id,
			name, hash, vol.dims[0], vol.dims[1], vol.dims[2]);
		put_labels(ex->out, st->schema);
		fputs("}\n", ex->out);
	}
	media_volume_release(&vol);
	io_img_series_release(&s);
	return rc;
}

IO_EXPORTER(nifti_labels, {.name = "nifti-labels", .writes_folder = true, .extension = ".jsonl",
			   .summary = "NIfTI label maps aligned with each series' affine (one file per item next to an index)",
			   .begin = nl_begin, .row = nl_row, .end = io_img_state_end})
