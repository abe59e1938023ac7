/* img_common.c: helpers of the imaging exporters: series geometry from stored DICOM instances, annotation
 * regions rasterised to masks, image sizes from PNG/JPEG headers, derived UIDs and DS values. */
#include "io/img_int.h"

#include "assist/assist.h"
#include "dicom/dicom.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- series --------------------------------------------------------------------------------------- */

void io_img_series_init(struct io_img_series *s)
{
	memset(s, 0, sizeof *s);
	media_volume_init(&s->vol);
}

void io_img_series_release(struct io_img_series *s)
{
	for (size_t i = 0; i < s->ninstances; i++)
		ml_free(s->paths[i]);
	ml_free(s->paths);
	ml_free(s->frames);
	media_volume_release(&s->vol);
	io_img_series_init(s);
}

static void copy_str(const struct dicom_item *r, uint32_t tag, char *out, size_t n)
{
	if (!dicom_get_str(r, tag, out, n))
		out[0] = 0;
}

static void source_attrs(const struct dicom_file *f, struct io_img_source *src)
{
	const struct dicom_item *r = &f->root;
	copy_str(r, DICOM_TAG(0x0008, 0x0016), src->sop_class, sizeof src->sop_class);
	copy_str(r, DICOM_TAG(0x0020, 0x000D), src->study_uid, sizeof src->study_uid);
	copy_str(r, DICOM_TAG(0x0020, 0x000E), src->series_uid, sizeof src->series_uid);
	copy_str(r, DICOM_TAG(0x0020, 0x0052), src->for_uid, sizeof src->for_uid);
	copy_str(r, DICOM_TAG(0x0008, 0x0060), src->modality, sizeof src->modality);
	copy_str(r, DICOM_TAG(0x0010, 0x0010), src->patient_name, sizeof src->patient_name);
	copy_str(r, DICOM_TAG(0x0010, 0x0020), src->patient_id, sizeof src->patient_id);
	copy_str(r, DICOM_TAG(0x0010, 0x0030), src->birth_date, sizeof src->birth_date);
	copy_str(r, DICOM_TAG(0x0010, 0x0040), src->sex, sizeof src->sex);
	copy_str(r, DICOM_TAG(0x0008, 0x0020), src->study_date, sizeof src->study_date);
	copy_str(r, DICOM_TAG(0x0008, 0x0030), src->study_time, sizeof src->study_time);
	copy_str(r, DICOM_TAG(0x0020, 0x0010), src->study_id, sizeof src->study_id);
	copy_str(r, DICOM_TAG(0x0008, 0x0050), src->accession, sizeof src->accession);
	copy_str(r, DICOM_TAG(0x0008, 0x0090), src->referring, sizeof src->referring);
}

#define IO_IMG_MAX_FRAMES 100000u /* per series item */

/* Decodes every frame of every instance into its slot of s->vol (rescaled values). */
static int load_pixels(struct io_img_series *s, const struct media_slice *all, struct ml_err *err)
{
	size_t k = 0;
	for (size_t i = 0; i < s->ninstances; i++) {
		struct dicom_file *f;
		if (dicom_open(s->paths[i], NULL, &f, err))
			return -1;
		struct media_dicom_image mi;
		memset(&mi, 0, sizeof mi);
		int rc = media_dicom_load(f, &mi, err), loaded = rc == 0;
		while (!rc && k < s->nframes && s->frames[k].instance == i) {
			struct media_frame fr;
			media_frame_init(&fr);
			if (s->frames[k].slot != IO_IMG_NO_SLOT) {
				rc = media_dicom_decode(&mi, s->frames[k].file_frame, &fr, err);
				if (!rc)
					rc = media_volume_put_slice(&s->vol, s->frames[k].slot, &fr, all[k].slope,
								    all[k].intercept, err);
			}
			media_frame_release(&fr);
			k++;
		}
		if (loaded)
			media_dicom_release(&mi);
		dicom_free(f);
		if (rc)
			return -1;
	}
	return 0;
}

int io_img_series_load(const char *data_dir, const struct store_item *it, bool pixels, enum media_dtype dtype,
		    struct io_img_series *s, struct ml_err *err)
{
	io_img_series_init(s);
	if (it->modality != STORE_MOD_DICOM_SERIES)
		return ml_err_set(err, ML_EINVAL, "item %lld is not a DICOM series", (long long)it->id);
	json_error_t je;
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, &je);
	json_t *insts = json_object_get(json_object_get(meta, "dicom"), "instances");
	if (!json_is_array(insts) || json_array_size(insts) == 0 || json_array_size(insts) > IO_IMG_MAX_FRAMES) {
		json_decref(meta);
		return ml_err_set(err, ML_EINVAL, "item %lld: meta.dicom.instances is missing or not a list of 1..%u instances",
				  (long long)it->id, IO_IMG_MAX_FRAMES);
	}
	struct media_slice *all = NULL;
	size_t nall = 0;
	int rc = 0;
	s->ninstances = json_array_size(insts);
	s->paths = ml_xcalloc(s->ninstances, sizeof *s->paths);
	for (size_t i = 0; i < s->ninstances && !rc; i++) {
		const char *hash = json_string_value(json_object_get(json_array_get(insts, i), "media"));
		char path[4200];
		if (!hash) {
			rc = ml_err_set(err, ML_EINVAL, "item %lld: instance %zu has no media hash", (long long)it->id, i);
			break;
		}
		if (store_media_path(data_dir, hash, path, sizeof path, err)) {
			rc = -1;
			break;
		}
		s->paths[i] = ml_xstrdup(path);
		struct dicom_file *f; /* the whole file: media_dicom_slices checks the image description */
		if (dicom_open(path, NULL, &f, err)) {
			rc = -1;
			break;
		}
		struct media_slice *sl = NULL;
		size_t n = 0;
		rc = media_dicom_slices(f, &sl, &n, err);
		if (!rc && i == 0)
			source_attrs(f, &s->src);
		if (!rc && n > 1)
			s->src.multiframe = true;
		dicom_free(f);
		if (rc)
			break;
		if (nall + n > IO_IMG_MAX_FRAMES) {
			ml_free(sl);
			rc = ml_err_set(err, ML_ELIMIT, "item %lld has more than %u frames", (long long)it->id, IO_IMG_MAX_FRAMES);
			break;
		}
		all = ml_xrealloc(all, (nall + n) * sizeof *all);
		for (size_t j = 0; j < n; j++) {
			all[nall + j] = sl[j];
			all[nall + j].user = (void *)(uintptr_t)i;
		}
		nall += n;
		ml_free(sl);
	}
	json_decref(meta);
	struct media_series_plan plan;
	media_series_plan_init(&plan);
	if (!rc)
		rc = media_series_plan(all, nall, 0, &plan, err);
	if (!rc)
		rc = media_volume_from_plan(&s->vol, all, &plan, pixels ? MEDIA_F32 : dtype, err);
	if (!rc) {
		s->nframes = nall;
		s->frames = ml_xcalloc(nall, sizeof *s->frames);
		for (size_t k = 0; k < nall; k++) {
			struct io_img_frame *fr = &s->frames[k];
			snprintf(fr->sop_uid, sizeof fr->sop_uid, "%s", all[k].sop_uid);
			fr->file_frame = all[k].frame;
			fr->instance = (size_t)(uintptr_t)all[k].user;
			fr->slot = IO_IMG_NO_SLOT;
			memcpy(fr->ipp, all[k].ipp, sizeof fr->ipp);
		}
		for (size_t i = 0; i < plan.n; i++)
			s->frames[plan.order[i]].slot = plan.slot[i];
		s->rows = all[0].rows;
		s->cols = all[0].columns;
		memcpy(s->iop, all[0].iop, sizeof s->iop);
		memcpy(s->pixel_spacing, all[0].spacing, sizeof s->pixel_spacing);
		s->step = s->vol.spacing[2];
		if (pixels)
			rc = load_pixels(s, all, err);
	}
	media_series_plan_release(&plan);
	ml_free(all);
	if (rc)
		io_img_series_release(s);
	return rc;
}

int io_img_volume_read(const char *data_dir, const struct store_item *it, struct media_volume *v, struct ml_err *err)
{
	char path[4200], dir[4200], link[4300];
	if (!it->media_hash)
		return ml_err_set(err, ML_EINVAL, "volume item %lld has no media", (long long)it->id);
	if (store_media_path(data_dir, it->media_hash, path, sizeof path, err))
		return -1;
	uint8_t magic[2] = {0, 0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return ml_err_set(err, ML_ENOTFOUND, "volume item %lld: its media file is missing", (long long)it->id);
	size_t got = fread(magic, 1, 2, f);
	fclose(f);
	snprintf(dir, sizeof dir, "%s/tmp-vol-XXXXXX", data_dir);
	if (!mkdtemp(dir))
		return ml_err_set(err, ML_EIO, "cannot create a work folder in the data folder");
	snprintf(link, sizeof link, "%s/v.nii%s", dir, got == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? ".gz" : "");
	int rc = symlink(path, link) ? ml_err_set(err, ML_EIO, "cannot link the volume of item %lld", (long long)it->id)
				     : media_nifti_read(link, v, err);
	unlink(link);
	rmdir(dir);
	return rc;
}

/* ---- regions ------------------------------------------------------------------------------------------ */

int io_img_mask_value(const struct label_control *c, const struct label_label *l)
{
	if (l->mask_value > 0)
		return l->mask_value;
	return (int)(l - c->labels) + 1;
}

int io_img_schema(const struct io_export *ex, const char *format, struct label_schema **out, struct ml_err *err)
{
	*out = NULL;
	if (!ex->schema_json)
		return ml_err_set(err, ML_EINVAL, "the %s export needs the project's labeling schema (none is set)", format);
	return label_schema_parse(ex->schema_json, strlen(ex->schema_json), out, err);
}

void io_img_scratch_release(struct io_img_scratch *s)
{
	ml_free(s->counts);
	ml_free(s->xy);
	memset(s, 0, sizeof *s);
}

int io_img_rle_read(json_t *rle, uint32_t h, uint32_t w, struct io_img_scratch *s, uint8_t *mask, size_t *nruns,
		    const char **why, struct ml_err *err)
{
	size_t n = (size_t)h * w;
	json_t *size = json_object_get(rle, "size"), *counts = json_object_get(rle, "counts");
	if (!json_is_array(size) || json_array_size(size) != 2 || !json_is_array(counts))
		return *why = "rle needs size [h, w] and a counts list", 1;
	if (json_integer_value(json_array_get(size, 0)) != (json_int_t)h ||
	    json_integer_value(json_array_get(size, 1)) != (json_int_t)w)
		return *why = "the mask size differs from the image size", 1;
	size_t nc = json_array_size(counts);
	if (nc > n + 1)
		return *why = "the mask has more runs than pixels", 1;
	if (nc > s->counts_cap) {
		uint32_t *c = ml_realloc(s->counts, (nc ? nc : 1) * sizeof *c);
		if (!c)
			return ml_err_set(err, ML_ENOMEM, "out of memory for %zu mask runs", nc), -1;
		s->counts = c;
		s->counts_cap = nc;
	}
	for (size_t i = 0; i < nc; i++) {
		json_t *c = json_array_get(counts, i);
		if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > (json_int_t)n)
			return *why = "mask counts must be integers within the image", 1;
		s->counts[i] = (uint32_t)json_integer_value(c);
	}
	struct ml_err derr;
	if (label_rle_decode(s->counts, nc, h, w, mask, &derr))
		return *why = "the mask runs do not add up to the image size", 1;
	*nruns = nc;
	return 0;
}

int io_img_points_read(json_t *pts, struct io_img_scratch *s, size_t *npts, const char **why, struct ml_err *err)
{
	size_t np = json_array_size(pts);
	if (np < 3 || np > 1000000)
		return *why = "a polygon needs 3 to 1,000,000 points", 1;
	if (np > s->xy_cap) {
		double *xy = ml_realloc(s->xy, np * 2 * sizeof *xy);
		if (!xy)
			return ml_err_set(err, ML_ENOMEM, "out of memory for %zu polygon points", np), -1;
		s->xy = xy;
		s->xy_cap = np;
	}
	for (size_t i = 0; i < np; i++) {
		json_t *p = json_array_get(pts, i);
		if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_number(json_array_get(p, 0)) ||
		    !json_is_number(json_array_get(p, 1)))
			return *why = "polygon points must be [x, y] numbers", 1;
		s->xy[2 * i] = json_number_value(json_array_get(p, 0));
		s->xy[2 * i + 1] = json_number_value(json_array_get(p, 1));
	}
	*npts = np;
	return 0;
}

struct region_walk {
	const struct io_export_row *row;
	const struct store_annotation *ann;
	size_t result;
	uint32_t h, w, nframes;
	uint8_t *mask;
	struct io_img_scratch scratch;
	io_img_region_fn fn;
	void *ctx;
};

static int bad(struct region_walk *rw, struct ml_err *err, const char *what)
{
	return ml_err_set(err, ML_EINVAL, "item %lld, annotation %lld, result %zu: %s", (long long)rw->row->item->id,
			  (long long)rw->ann->id, rw->result, what);
}

/* Rasterises an {"size":[h,w],"counts":[...]} or a points list into rw->mask. */
static int rasterise(struct region_walk *rw, json_t *rle, json_t *points, struct ml_err *err)
{
	const char *why = NULL;
	size_t n;
	int rc = rle ? io_img_rle_read(rle, rw->h, rw->w, &rw->scratch, rw->mask, &n, &why, err)
		     : io_img_points_read(points, &rw->scratch, &n, &why, err);
	if (rc)
		return rc > 0 ? bad(rw, err, why) : -1;
	if (rle)
		return 0;
	memset(rw->mask, 0, (size_t)rw->h * rw->w);
	return assist_polygon_fill(rw->scratch.xy, n, rw->h, rw->w, 1, rw->mask, err);
}

static int frame_of(struct region_walk *rw, json_t *o, uint32_t *frame, struct ml_err *err)
{
	json_t *f = json_object_get(o, "frame");
	*frame = 0;
	if (!f)
		return 0;
	if (!json_is_integer(f) || json_integer_value(f) < 0 ||
	    (rw->nframes && json_integer_value(f) >= (json_int_t)rw->nframes))
		return bad(rw, err, "frame is out of range");
	*frame = (uint32_t)json_integer_value(f);
	return 0;
}

static int one_result(struct region_walk *rw, const struct label_schema *schema, json_t *res, struct ml_err *err)
{
	const struct label_control *c = label_schema_control(schema, json_string_value(json_object_get(res, "control")) ?
								       json_string_value(json_object_get(res, "control")) : "");
	if (!c || (c->kind != LABEL_KIND_MASK && c->kind != LABEL_KIND_POLYGON && c->kind != LABEL_KIND_OBJECT3D))
		return 0;
	const char *lv = json_string_value(json_object_get(res, "label"));
	const struct label_label *l = lv ? label_control_label(c, lv) : NULL;
	if (!l && c->nlabels == 1)
		l = &c->labels[0];
	if (!l)
		return bad(rw, err, "the result names no label of its control");
	struct io_img_region r = {.control = c, .label = l, .mask_value = io_img_mask_value(c, l),
			       .annotation_id = rw->ann->id, .result_id = json_string_value(json_object_get(res, "id")),
			       .mask = rw->mask, .h = rw->h, .w = rw->w};
	if (c->kind != LABEL_KIND_OBJECT3D) {
		json_t *rle = json_object_get(res, "rle"), *pts = json_object_get(res, "points");
		if (c->kind == LABEL_KIND_MASK ? !json_is_object(rle) : !json_is_array(pts))
			return bad(rw, err, c->kind == LABEL_KIND_MASK ? "a mask result needs rle" : "a polygon needs points");
		if (frame_of(rw, res, &r.frame, err) || rasterise(rw, c->kind == LABEL_KIND_MASK ? rle : NULL, pts, err))
			return -1;
		return rw->fn(rw->ctx, &r, err);
	}
	json_t *parts = json_object_get(res, "parts");
	if (!json_is_array(parts))
		return bad(rw, err, "an object3d result needs parts");
	for (size_t i = 0; i < json_array_size(parts); i++) {
		json_t *p = json_array_get(parts, i), *rle = json_object_get(p, "rle"), *pts = json_object_get(p, "points");
		if (!json_is_object(rle) && !json_is_array(pts))
			return bad(rw, err, "an object3d part needs rle or points");
		if (frame_of(rw, p, &r.frame, err) || rasterise(rw, json_is_object(rle) ? rle : NULL, pts, err) ||
		    rw->fn(rw->ctx, &r, err))
			return -1;
	}
	return 0;
}

int io_img_each_region(const struct label_schema *schema, const struct io_export_row *row, uint32_t h, uint32_t w,
		    uint32_t nframes, io_img_region_fn fn, void *ctx, struct ml_err *err)
{
	size_t n = (size_t)h * w;
	if (n == 0 || n > ASSIST_MAX_VOXELS)
		return ml_err_set(err, ML_EINVAL, "item %lld: image size %ux%u is out of range", (long long)row->item->id, w, h);
	struct region_walk rw = {.row = row, .h = h, .w = w, .nframes = nframes, .fn = fn, .ctx = ctx};
	rw.mask = ml_malloc(n);
	int rc = 0;
	if (!rw.mask)
		rc = ml_err_set(err, ML_ENOMEM, "out of memory for a %ux%u mask", w, h);
	for (size_t a = 0; a < row->nanns && !rc; a++) {
		rw.ann = &row->anns[a];
		json_error_t je;
		json_t *body = json_loads(rw.ann->body_json ? rw.ann->body_json : "", 0, &je);
		json_t *results = json_object_get(body, "results");
		if (!json_is_array(results)) {
			rw.result = 0;
			rc = bad(&rw, err, "the body has no results list");
		}
		for (size_t i = 0; !rc && i < json_array_size(results); i++) {
			rw.result = i;
			rc = one_result(&rw, schema, json_array_get(results, i), err);
		}
		json_decref(body);
	}
	ml_free(rw.mask);
	io_img_scratch_release(&rw.scratch);
	return rc;
}

int io_img_state_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	(void)ok;
	(void)err;
	if (ex->state) {
		struct label_schema **schema = ex->state; /* the state's first member */
		label_schema_free(*schema);
		ml_free(ex->state);
	}
	ex->state = NULL;
	return 0;
}

/* ---- 2-D image sizes --------------------------------------------------------------------------------- */

static int jpeg_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
	size_t i = 2;
	while (i + 9 < n) {
		if (p[i] != 0xFF)
			return -1;
		uint8_t m = p[i + 1];
		if (m == 0xFF) {
			i++;
			continue;
		}
		size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			*h = (uint32_t)p[i + 5] << 8 | p[i + 6];
			*w = (uint32_t)p[i + 7] << 8 | p[i + 8];
			return 0;
		}
		if (len < 2)
			return -1;
		i += 2 + len;
	}
	return -1;
}

int io_img_image_size(const char *data_dir, const struct store_item *it, uint32_t *w, uint32_t *h, struct ml_err *err)
{
	json_error_t je;
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, &je);
	json_int_t mw = json_integer_value(json_object_get(meta, "width"));
	json_int_t mh = json_integer_value(json_object_get(meta, "height"));
	json_decref(meta);
	if (mw > 0 && mh > 0 && mw <= MEDIA_MAX_DIM && mh <= MEDIA_MAX_DIM) {
		*w = (uint32_t)mw;
		*h = (uint32_t)mh;
		return 0;
	}
	if (!it->media_hash)
		return ml_err_set(err, ML_EINVAL, "item %lld has no image", (long long)it->id);
	char path[4200];
	if (store_media_path(data_dir, it->media_hash, path, sizeof path, err))
		return -1;
	struct ml_map m;
	if (ml_map_open(&m, path, err))
		return -1;
	int rc = -1;
	static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
	if (m.len >= 24 && !memcmp(m.data, png_sig, 8) && !memcmp(m.data + 12, "IHDR", 4)) {
		*w = (uint32_t)m.data[16] << 24 | (uint32_t)m.data[17] << 16 | (uint32_t)m.data[18] << 8 | m.data[19];
		*h = (uint32_t)m.data[20] << 24 | (uint32_t)m.data[21] << 16 | (uint32_t)m.data[22] << 8 | m.data[23];
		rc = 0;
	} else if (m.len > 4 && m.data[0] == 0xFF && m.data[1] == 0xD8) {
		rc = jpeg_size(m.data, m.len, w, h);
	}
	ml_map_release(&m);
	if (rc || *w == 0 || *h == 0 || *w > MEDIA_MAX_DIM || *h > MEDIA_MAX_DIM)
		return ml_err_set(err, ML_EINVAL, "item %lld: cannot tell the image size (not PNG or JPEG, and no "
				  "width/height in its meta)", (long long)it->id);
	return 0;
}

/* ---- small things --------------------------------------------------------------------------------- */

void io_img_ds(double v, char out[20])
{
	if (v > -1e-9 && v < 1e-9)
		v = 0; /* no "-0" nor "1e-17" from rounding noise */
	for (int prec = 12; prec > 1; prec--) {
		int n = snprintf(out, 20, "%.*g", prec, v);
		if (n > 0 && n <= 16)
			return;
	}
	snprintf(out, 20, "0");
}

int io_img_file_hash(const char *path, char out[65], struct ml_err *err)
{
	struct ml_map m;
	if (ml_map_open(&m, path, err))
		return -1;
	store_hash_hex(m.data, m.len, out);
	ml_map_release(&m);
	return 0;
}
