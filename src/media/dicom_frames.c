/* dicom_frames.c: the glue between the DICOM parser (src/dicom) and media: image descriptions, frames,
 * palettes and VOI LUTs, per-frame geometry of enhanced multi-frame images, and rendering a file's frame. */
#include "media/media.h"
#include "media/media_int.h"

#include "dicom/dicom.h"

#include <stdio.h>
#include <string.h>

void media_dicom_release(struct media_dicom_image *mi)
{
	media_palette_release(&mi->palette);
	media_lut_release(&mi->voi_lut);
	media_lut_release(&mi->modality_lut);
	media_encap_release(&mi->encap);
	memset(mi, 0, sizeof(*mi));
}

/* Reads a LUT descriptor (3 values; the first mapped value may be US or SS). */
static bool lut_descriptor(const struct dicom_elem *e, int32_t d[3])
{
	int64_t v[3];
	if (!e || dicom_elem_vm(e) < 3)
		return false;
	for (uint32_t i = 0; i < 3; i++)
		if (dicom_elem_int(e, i, &v[i]) < 0)
			return false;
	d[0] = (int32_t)(v[0] & 0xFFFF);
	d[1] = (int32_t)v[1];
	d[2] = (int32_t)v[2];
	return true;
}

static int load_palette(const struct dicom_file *f, struct media_dicom_image *mi, struct ml_err *err)
{
	struct media_lut *lut[3] = {&mi->palette.red, &mi->palette.green, &mi->palette.blue};
	for (int c = 0; c < 3; c++) {
		int32_t d[3];
		if (!lut_descriptor(dicom_find(&f->root, DICOM_TAG(0x0028, 0x1101 + c)), d))
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': PALETTE COLOR without descriptor (0028,%04X)",
					  f->name, 0x1101 + c);
		const struct dicom_elem *data = dicom_find(&f->root, DICOM_TAG(0x0028, 0x1201 + c));
		const struct dicom_elem *seg = dicom_find(&f->root, DICOM_TAG(0x0028, 0x1221 + c));
		int rc;
		if (data && data->len)
			rc = media_lut_set(lut[c], d, data->value, data->len, err);
		else if (seg && seg->len)
			rc = media_lut_set_segmented(lut[c], d, seg->value, seg->len, err);
		else
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': PALETTE COLOR without LUT data (0028,%04X)",
					  f->name, 0x1201 + c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int media_dicom_load(const struct dicom_file *f, struct media_dicom_image *mi, struct ml_err *err)
{
	memset(mi, 0, sizeof(*mi));
	mi->file = f;
	struct dicom_image img;
	if (dicom_image_get(f, &img, err) < 0)
		return -1;
	struct media_image_desc *d = &mi->desc;
	if (img.pixel_data->tag == DICOM_TAG(0x7FE0, 0x0008))
		d->float_pixels = 32;
	else if (img.pixel_data->tag == DICOM_TAG(0x7FE0, 0x0009))
		d->float_pixels = 64;
	d->rows = img.rows;
	d->columns = img.columns;
	d->samples_per_pixel = (uint16_t)img.samples_per_pixel;
	d->bits_allocated = (uint16_t)img.bits_allocated;
	d->bits_stored = (uint16_t)img.bits_stored;
	d->high_bit = (uint16_t)img.high_bit;
	d->pixel_representation = (uint16_t)img.pixel_representation;
	d->planar_configuration = (uint16_t)img.planar_configuration;
	d->number_of_frames = img.number_of_frames;
	d->photometric = media_pi_parse(img.photometric);
	snprintf(d->transfer_syntax, sizeof(d->transfer_syntax), "%s", img.transfer_syntax);
	if (media_desc_validate(d, err) < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
		return ml_err_set(err, err ? err->code : ML_EINVAL, "cannot read '%s': %s", f->name, msg);
	}
	enum media_syntax ts = media_syntax_of_uid(d->transfer_syntax);
	if (ts == MEDIA_TS_UNKNOWN)
		return ml_err_set(err, ML_EUNSUPPORTED, "cannot read '%s': unsupported transfer syntax", f->name);
	media_render_params_init(&mi->render);
	mi->render.slope = img.rescale_slope == 0 ? 1 : img.rescale_slope;
	mi->render.intercept = img.rescale_intercept;
	if (img.nwindows && img.window_width[0] > 0) {
		mi->render.has_window = true;
		mi->render.center = img.window_center[0];
		mi->render.width = img.window_width[0];
	}
	mi->render.voi_fn = media_voi_fn_parse(img.voi_lut_function);
	const struct dicom_elem *vs = img.voi_lut_sequence;
	if (vs && vs->vr == DICOM_VR_SQ && vs->nitems > 0) {
		int32_t desc[3];
		const struct dicom_elem *data = dicom_find(&vs->items[0], DICOM_TAG(0x0028, 0x3006));
		if (lut_descriptor(dicom_find(&vs->items[0], DICOM_TAG(0x0028, 0x3002)), desc) && data &&
		    media_lut_set(&mi->voi_lut, desc, data->value, data->len, err) == 0)
			mi->render.voi_lut = &mi->voi_lut;
	}
	const struct dicom_elem *ms = img.modality_lut_sequence;
	if (ms && ms->vr == DICOM_VR_SQ && ms->nitems > 0) {
		int32_t desc[3];
		const struct dicom_elem *data = dicom_find(&ms->items[0], DICOM_TAG(0x0028, 0x3006));
		if (lut_descriptor(dicom_find(&ms->items[0], DICOM_TAG(0x0028, 0x3002)), desc) && data &&
		    media_lut_set(&mi->modality_lut, desc, data->value, data->len, err) == 0)
			mi->render.modality_lut = &mi->modality_lut;
	}
	if (d->photometric == MEDIA_PI_PALETTE_COLOR) {
		if (load_palette(f, mi, err) < 0) {
			media_dicom_release(mi);
			return -1;
		}
		mi->render.palette = &mi->palette;
	}
	const struct dicom_elem *pd = img.pixel_data;
	if (media_syntax_is_encapsulated(ts)) {
		if (!(pd->flags & DICOM_EF_ENCAPSULATED) || pd->nitems < 1) {
			media_dicom_release(mi);
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': compressed syntax but pixel data (7FE0,0010) "
					  "at byte %llu is not encapsulated", f->name, (unsigned long long)pd->offset);
		}
		mi->encap.bot = pd->items[0].value;
		mi->encap.bot_len = pd->items[0].len;
		uint64_t base = pd->nitems > 1 ? pd->items[1].offset : 0;
		for (uint32_t k = 1; k < pd->nitems; k++) {
			if (media_encap_add_fragment(&mi->encap, pd->items[k].value, pd->items[k].len, err) < 0) {
				media_dicom_release(mi);
				return -1;
			}
			/* Offsets as the tables count them: from the first fragment's item header. */
			mi->encap.frags[mi->encap.nfrags - 1].offset = pd->items[k].offset - base;
		}
		if (img.extended_offsets && img.extended_offsets->len) {
			mi->encap.eot = img.extended_offsets->value;
			mi->encap.eot_len = img.extended_offsets->len;
			if (img.extended_lengths) {
				mi->encap.eot_lengths = img.extended_lengths->value;
				mi->encap.eot_lengths_len = img.extended_lengths->len;
			}
		}
	} else {
		mi->native = pd->value;
		mi->native_len = pd->len;
	}
	return 0;
}

int media_dicom_decode(const struct media_dicom_image *mi, uint32_t index, struct media_frame *out,
		       struct ml_err *err)
{
	const char *name = mi->file ? mi->file->name : "?";
	int rc;
	if (mi->native) {
		rc = media_decode_native(&mi->desc, mi->native, mi->native_len, index, out, err);
	} else {
		size_t first, count;
		uint64_t trim;
		rc = media_encap_frame(&mi->encap, mi->desc.number_of_frames, index, &first, &count, &trim, err);
		if (rc == 0) {
			struct media_fragment one;
			const struct media_fragment *fr = &mi->encap.frags[first];
			if (trim && count == 1 && trim < fr->len) {
				one = *fr;
				one.len = (size_t)trim;
				fr = &one;
			}
			rc = media_decode_fragments(&mi->desc, fr, count, out, err);
		}
	}
	if (rc < 0 && err) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		ml_err_set(err, err->code, "cannot decode frame %u of '%s': %s", (unsigned)index, name, msg);
	}
	return rc;
}

static bool doubles(const struct dicom_item *it, uint32_t tag, double *out, uint32_t n)
{
	const struct dicom_elem *e = it ? dicom_find(it, tag) : NULL;
	if (!e || dicom_elem_vm(e) < n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (dicom_elem_double(e, i, &out[i]) < 0)
			return false;
	return true;
}

/* Item 0 of sequence seq_tag inside item it, or NULL. */
static const struct dicom_item *sub_item(const struct dicom_item *it, uint32_t seq_tag)
{
	const struct dicom_elem *s = it ? dicom_find(it, seq_tag) : NULL;
	return s && s->vr == DICOM_VR_SQ && s->nitems ? &s->items[0] : NULL;
}

int media_dicom_slices(const struct dicom_file *f, struct media_slice **out, size_t *n, struct ml_err *err)
{
	struct dicom_image img;
	*out = NULL;
	*n = 0;
	if (dicom_image_get(f, &img, err) < 0)
		return -1;
	struct media_slice base;
	memset(&base, 0, sizeof(base));
	dicom_get_str(&f->root, DICOM_TAG(0x0020, 0x000D), base.study_uid, sizeof(base.study_uid));
	dicom_get_str(&f->root, DICOM_TAG(0x0020, 0x000E), base.series_uid, sizeof(base.series_uid));
	dicom_get_str(&f->root, DICOM_TAG_SOP_INSTANCE_UID, base.sop_uid, sizeof(base.sop_uid));
	int64_t inst = 0;
	if (dicom_get_int(&f->root, DICOM_TAG(0x0020, 0x0013), &inst))
		base.instance_number = (int32_t)inst;
	memcpy(base.ipp, img.image_position, sizeof(base.ipp));
	memcpy(base.iop, img.image_orientation, sizeof(base.iop));
	memcpy(base.spacing, img.pixel_spacing, sizeof(base.spacing));
	base.rows = img.rows;
	base.columns = img.columns;
	base.slope = img.rescale_slope == 0 ? 1 : img.rescale_slope;
	base.intercept = img.rescale_intercept;
	/* Enhanced images keep rescale in the functional groups: shared first, per-frame below. */
	const struct dicom_item *spvt = sub_item(img.shared_groups, DICOM_TAG(0x0028, 0x9145));
	if (spvt) {
		double v;
		if (dicom_get_double(spvt, DICOM_TAG(0x0028, 0x1053), &v) && v != 0)
			base.slope = v;
		if (dicom_get_double(spvt, DICOM_TAG(0x0028, 0x1052), &v))
			base.intercept = v;
	}
	uint32_t nf = img.number_of_frames;
	struct media_slice *s = ml_calloc(nf, sizeof(*s));
	if (!s)
		return ml_err_set(err, ML_ENOMEM, "out of memory for %u slices of '%s'", (unsigned)nf, f->name);
	const struct dicom_elem *pf = img.per_frame_groups;
	if (pf && (pf->vr != DICOM_VR_SQ || pf->nitems < nf)) {
		ml_free(s);
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': per-frame functional groups (5200,9230) have %u items "
				  "for %u frames", f->name, pf->vr == DICOM_VR_SQ ? (unsigned)pf->nitems : 0u, (unsigned)nf);
	}
	for (uint32_t i = 0; i < nf; i++) {
		s[i] = base;
		s[i].frame = i;
		if (!pf)
			continue;
		const struct dicom_item *fg = &pf->items[i];
		doubles(sub_item(fg, DICOM_TAG(0x0020, 0x9113)), DICOM_TAG(0x0020, 0x0032), s[i].ipp, 3);
		doubles(sub_item(fg, DICOM_TAG(0x0020, 0x9116)), DICOM_TAG(0x0020, 0x0037), s[i].iop, 6);
		doubles(sub_item(fg, DICOM_TAG(0x0028, 0x9110)), DICOM_TAG(0x0028, 0x0030), s[i].spacing, 2);
		const struct dicom_item *pvt = sub_item(fg, DICOM_TAG(0x0028, 0x9145));
		if (pvt) {
			double v;
			if (dicom_get_double(pvt, DICOM_TAG(0x0028, 0x1053), &v) && v != 0)
				s[i].slope = v;
			if (dicom_get_double(pvt, DICOM_TAG(0x0028, 0x1052), &v))
				s[i].intercept = v;
		}
	}
	*out = s;
	*n = nf;
	return 0;
}

void media_dicom_series_init(struct media_dicom_series *s)
{
	memset(s, 0, sizeof(*s));
}

void media_dicom_series_release(struct media_dicom_series *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		ml_free(s->files[i]);
	ml_free(s->files);
	ml_free(s->slices);
	media_dicom_series_init(s);
}

int media_dicom_series_read(struct media_dicom_series *s, const char *const *paths, size_t n, struct ml_err *err)
{
	struct dicom_read_opts opts;
	memset(&opts, 0, sizeof(opts));
	s->files = ml_calloc(n ? n : 1, sizeof(char *));
	if (!s->files)
		return ml_err_set(err, ML_ENOMEM, "out of memory for %zu files", n);
	for (size_t i = 0; i < n; i++) {
		struct dicom_file *f = NULL;
		struct media_slice *sl = NULL;
		size_t k = 0;
		if (dicom_open(paths[i], &opts, &f, err) < 0)
			return -1;
		int rc = media_dicom_slices(f, &sl, &k, err);
		dicom_free(f);
		if (rc < 0)
			return -1;
		struct media_slice *grown = ml_realloc(s->slices, (s->n + k) * sizeof(*grown));
		s->files[s->nfiles] = ml_strdup(paths[i]);
		if (!grown || !s->files[s->nfiles]) {
			if (grown)
				s->slices = grown;
			ml_free(sl);
			return ml_err_set(err, ML_ENOMEM, "out of memory reading a series");
		}
		s->slices = grown;
		for (size_t j = 0; j < k; j++) {
			sl[j].user = (void *)(uintptr_t)s->nfiles;
			s->slices[s->n + j] = sl[j];
		}
		s->n += k;
		s->nfiles++;
		ml_free(sl);
	}
	return 0;
}

size_t media_dicom_series_find(const struct media_dicom_series *s, const char *series_uid)
{
	if (!series_uid || !series_uid[0])
		return s->n ? 0 : SIZE_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->slices[i].series_uid, series_uid) == 0)
			return i;
	return SIZE_MAX;
}

int media_dicom_volume(const struct media_dicom_series *s, const struct media_series_plan *plan, bool as_float,
		       struct media_volume *v, struct ml_err *err)
{
	bool fl = as_float;
	for (size_t i = 0; i < plan->n; i++) {
		const struct media_slice *sl = &s->slices[plan->order[i]];
		if (sl->slope != 1 || sl->intercept != (double)(int64_t)sl->intercept)
			fl = true;
	}
	if (media_volume_from_plan(v, s->slices, plan, fl ? MEDIA_F32 : MEDIA_I32, err) < 0)
		return -1;
	struct dicom_read_opts opts;
	memset(&opts, 0, sizeof(opts));
	/* Slices of one file are usually consecutive in the plan: keep the last file open. */
	struct dicom_file *f = NULL;
	struct media_dicom_image mi;
	memset(&mi, 0, sizeof(mi));
	size_t open_file = SIZE_MAX;
	int rc = 0;
	for (size_t i = 0; i < plan->n && rc == 0; i++) {
		const struct media_slice *sl = &s->slices[plan->order[i]];
		size_t fi = (size_t)(uintptr_t)sl->user;
		if (fi >= s->nfiles) {
			rc = ml_err_set(err, ML_EINVAL, "slice %zu has no source file", i);
			break;
		}
		if (fi != open_file) {
			media_dicom_release(&mi);
			dicom_free(f);
			f = NULL;
			open_file = SIZE_MAX;
			if (dicom_open(s->files[fi], &opts, &f, err) < 0 || media_dicom_load(f, &mi, err) < 0) {
				rc = -1;
				break;
			}
			open_file = fi;
		}
		struct media_frame fr;
		media_frame_init(&fr);
		if (media_dicom_decode(&mi, sl->frame, &fr, err) < 0 ||
		    media_volume_put_slice(v, plan->slot[i], &fr, sl->slope, sl->intercept, err) < 0)
			rc = -1;
		media_frame_release(&fr);
	}
	media_dicom_release(&mi);
	dicom_free(f);
	if (rc < 0)
		media_volume_release(v);
	return rc;
}

/* Renders one frame of a parsed file (shared by the path and memory entry points). */
static int render_parsed(struct dicom_file *f, const struct media_frame_request *req, struct ml_buf *body,
			 struct ml_buf *meta, const char **content_type, struct ml_err *err)
{
	struct media_dicom_image mi;
	struct media_frame fr;
	media_frame_init(&fr);
	int rc = -1;
	if (media_dicom_load(f, &mi, err) < 0)
		return -1;
	if (req->frame >= mi.desc.number_of_frames) {
		ml_err_set(err, ML_EINVAL, "frame %u out of range: '%s' has %u frames", (unsigned)req->frame, f->name,
			   (unsigned)mi.desc.number_of_frames);
		goto done;
	}
	if (media_dicom_decode(&mi, req->frame, &fr, err) < 0)
		goto done;
	struct media_render_params p = mi.render;
	if (dicom_find(&f->root, DICOM_TAG(0x5200, 0x9230))) {
		/* Enhanced images may rescale each frame differently (Pixel Value Transformation per frame). */
		struct media_slice *sl = NULL;
		size_t ns = 0;
		if (media_dicom_slices(f, &sl, &ns, err) < 0)
			goto done;
		if (req->frame < ns) {
			p.slope = sl[req->frame].slope;
			p.intercept = sl[req->frame].intercept;
		}
		ml_free(sl);
	}
	if (req->preset) {
		const struct media_preset *pr = media_preset_find(req->preset);
		if (!pr) {
			ml_err_set(err, ML_EINVAL, "unknown window preset '%s'", req->preset);
			goto done;
		}
		p.has_window = true;
		p.center = pr->center;
		p.width = pr->width;
		p.voi_fn = MEDIA_VOI_LINEAR;
	}
	if (req->has_window) {
		if (!(req->width > 0)) {
			ml_err_set(err, ML_EINVAL, "window width must be positive");
			goto done;
		}
		p.has_window = true;
		p.center = req->center;
		p.width = req->width;
	}
	if (req->format == MEDIA_FORMAT_RAW16) {
		struct ml_buf tmp;
		ml_buf_init(&tmp, 0);
		rc = media_render_raw16(&fr, &p, body, meta ? meta : &tmp, err);
		ml_buf_release(&tmp);
		*content_type = "application/octet-stream";
	} else {
		rc = media_render_png(&fr, &p, req->max_size, body, err);
		*content_type = "image/png";
	}
done:
	media_frame_release(&fr);
	media_dicom_release(&mi);
	return rc;
}

int media_dicom_render(const char *path, const struct media_frame_request *req, struct ml_buf *body,
		       struct ml_buf *meta, const char **content_type, struct ml_err *err)
{
	struct dicom_file *f = NULL;
	struct dicom_read_opts opts;
	memset(&opts, 0, sizeof(opts));
	if (dicom_open(path, &opts, &f, err) < 0)
		return -1;
	int rc = render_parsed(f, req, body, meta, content_type, err);
	dicom_free(f);
	return rc;
}

int media_dicom_render_mem(const uint8_t *data, size_t len, const char *name, const struct media_frame_request *req,
			   struct ml_buf *body, struct ml_buf *meta, const char **content_type, struct ml_err *err)
{
	struct dicom_file *f = NULL;
	struct dicom_read_opts opts;
	memset(&opts, 0, sizeof(opts));
	if (dicom_parse(data, len, name, &opts, &f, err) < 0)
		return -1;
	int rc = render_parsed(f, req, body, meta, content_type, err);
	dicom_free(f);
	return rc;
}
