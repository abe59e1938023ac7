/* image.c: image attributes and the location of each frame's pixel bytes (native or encapsulated). */
#include "dicom/dicom_int.h"

static uint32_t get_u(const struct dicom_item *it, uint32_t tag, uint32_t dflt)
{
	int64_t v;
	if (!dicom_get_int(it, tag, &v) || v < 0 || v > UINT32_MAX)
		return dflt;
	return (uint32_t)v;
}

static int get_doubles(const struct dicom_item *it, uint32_t tag, double *out, uint32_t n)
{
	const struct dicom_elem *e = dicom_find(it, tag);
	if (!e || dicom_elem_vm(e) < n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (dicom_elem_double(e, i, &out[i]) < 0)
			return 0;
	return 1;
}

/* Attributes that enhanced multi-frame images keep in the shared functional groups. */
static const struct dicom_item *group_item(const struct dicom_item *shared, uint32_t seq_tag)
{
	const struct dicom_elem *s = dicom_find(shared, seq_tag);
	return s && s->vr == DICOM_VR_SQ && s->nitems ? &s->items[0] : NULL;
}

int dicom_image_get(const struct dicom_file *f, struct dicom_image *img, struct ml_err *err)
{
	const struct dicom_item *ds = &f->root;
	memset(img, 0, sizeof *img);
	if (f->stopped_before_pixels)
		return ml_err_set(err, ML_EINVAL, "cannot read pixels of '%s': it was read without pixel data", f->name);
	img->pixel_data = dicom_find(ds, DICOM_TAG_PIXEL_DATA);
	if (!img->pixel_data)
		img->pixel_data = dicom_find(ds, DICOM_TAG(0x7FE0, 0x0008));
	if (!img->pixel_data)
		img->pixel_data = dicom_find(ds, DICOM_TAG(0x7FE0, 0x0009));
	if (!img->pixel_data)
		return ml_err_set(err, ML_EINVAL, "cannot read pixels of '%s': no pixel data", f->name);
	img->rows = get_u(ds, DICOM_TAG(0x0028, 0x0010), 0);
	img->columns = get_u(ds, DICOM_TAG(0x0028, 0x0011), 0);
	img->samples_per_pixel = get_u(ds, DICOM_TAG(0x0028, 0x0002), 1);
	img->bits_allocated = get_u(ds, DICOM_TAG(0x0028, 0x0100), 0);
	img->bits_stored = get_u(ds, DICOM_TAG(0x0028, 0x0101), img->bits_allocated);
	img->high_bit = get_u(ds, DICOM_TAG(0x0028, 0x0102), img->bits_stored ? img->bits_stored - 1 : 0);
	img->pixel_representation = get_u(ds, DICOM_TAG(0x0028, 0x0103), 0);
	img->planar_configuration = get_u(ds, DICOM_TAG(0x0028, 0x0006), 0);
	img->number_of_frames = get_u(ds, DICOM_TAG(0x0028, 0x0008), 1);
	if (img->number_of_frames == 0)
		img->number_of_frames = 1;
	if (!dicom_get_str(ds, DICOM_TAG(0x0028, 0x0004), img->photometric, sizeof img->photometric))
		snprintf(img->photometric, sizeof img->photometric, "%s",
			 img->samples_per_pixel == 3 ? "RGB" : "MONOCHROME2");
	snprintf(img->transfer_syntax, sizeof img->transfer_syntax, "%s", f->transfer_syntax);
	img->encapsulated = img->pixel_data->flags & DICOM_EF_ENCAPSULATED;
	img->big_endian = img->pixel_data->flags & DICOM_EF_BIG_ENDIAN;
	if (img->pixel_data->tag == DICOM_TAG(0x7FE0, 0x0008))
		img->bits_allocated = img->bits_allocated ? img->bits_allocated : 32;
	if (img->pixel_data->tag == DICOM_TAG(0x7FE0, 0x0009))
		img->bits_allocated = img->bits_allocated ? img->bits_allocated : 64;
	if (!img->rows || !img->columns || !img->bits_allocated)
		return ml_err_set(err, ML_EINVAL, "cannot read pixels of '%s': rows, columns or bits allocated missing",
				  f->name);
	if (img->bits_allocated > 64 || (img->bits_allocated != 1 && img->bits_allocated % 8) ||
	    img->bits_stored > img->bits_allocated || img->high_bit >= img->bits_allocated ||
	    img->samples_per_pixel == 0 || img->samples_per_pixel > 4)
		return ml_err_set(err, ML_EINVAL, "cannot read pixels of '%s': inconsistent bits or samples per pixel",
				  f->name);
	uint64_t bits = (uint64_t)img->rows * img->columns * img->samples_per_pixel * img->bits_allocated;
	img->frame_bytes = (size_t)((bits + 7) / 8);

	const struct dicom_elem *sh = dicom_find(ds, DICOM_TAG(0x5200, 0x9229));
	img->shared_groups = sh && sh->vr == DICOM_VR_SQ && sh->nitems ? &sh->items[0] : NULL;
	img->per_frame_groups = dicom_find(ds, DICOM_TAG(0x5200, 0x9230));

	/* Rescale, window, position: from the dataset, else from the shared functional groups. */
	const struct dicom_item *trans = group_item(img->shared_groups, DICOM_TAG(0x0028, 0x9145));
	const struct dicom_item *src = dicom_find(ds, DICOM_TAG(0x0028, 0x1053)) ? ds : trans;
	img->rescale_slope = 1;
	if (src && dicom_get_double(src, DICOM_TAG(0x0028, 0x1053), &img->rescale_slope)) {
		img->has_rescale = true;
		if (!dicom_get_double(src, DICOM_TAG(0x0028, 0x1052), &img->rescale_intercept))
			img->rescale_intercept = 0;
		dicom_get_str(src, DICOM_TAG(0x0028, 0x1054), img->rescale_type, sizeof img->rescale_type);
	}
	const struct dicom_item *voi = group_item(img->shared_groups, DICOM_TAG(0x0028, 0x9132));
	src = dicom_find(ds, DICOM_TAG(0x0028, 0x1050)) ? ds : voi;
	const struct dicom_elem *wc = src ? dicom_find(src, DICOM_TAG(0x0028, 0x1050)) : NULL;
	const struct dicom_elem *ww = src ? dicom_find(src, DICOM_TAG(0x0028, 0x1051)) : NULL;
	if (wc && ww) {
		uint32_t n = dicom_elem_vm(wc) < dicom_elem_vm(ww) ? dicom_elem_vm(wc) : dicom_elem_vm(ww);
		for (uint32_t i = 0; i < n && img->nwindows < 8; i++)
			if (dicom_elem_double(wc, i, &img->window_center[img->nwindows]) == 0 &&
			    dicom_elem_double(ww, i, &img->window_width[img->nwindows]) == 0)
				img->nwindows++;
	}
	if (!src || !dicom_get_str(src, DICOM_TAG(0x0028, 0x1056), img->voi_lut_function, sizeof img->voi_lut_function))
		snprintf(img->voi_lut_function, sizeof img->voi_lut_function, "LINEAR");
	img->voi_lut_sequence = dicom_find(ds, DICOM_TAG(0x0028, 0x3010));
	img->modality_lut_sequence = dicom_find(ds, DICOM_TAG(0x0028, 0x3000));
	for (int c = 0; c < 3; c++) {
		const struct dicom_elem *d = dicom_find(ds, DICOM_TAG(0x0028, 0x1101 + c));
		struct dicom_lut *l = &img->palette[c];
		int64_t v0, v1, v2;
		if (d && dicom_elem_int(d, 0, &v0) == 0 && dicom_elem_int(d, 1, &v1) == 0 &&
		    dicom_elem_int(d, 2, &v2) == 0) {
			l->present = true;
			l->entries = v0 == 0 ? 65536 : (uint32_t)(v0 & 0xFFFF);
			l->first_mapped = (int32_t)v1;
			l->bits = (uint32_t)v2;
			l->data = dicom_find(ds, DICOM_TAG(0x0028, 0x1201 + c));
		}
	}
	const struct dicom_item *plane = group_item(img->shared_groups, DICOM_TAG(0x0020, 0x9113));
	const struct dicom_item *orient = group_item(img->shared_groups, DICOM_TAG(0x0020, 0x9116));
	const struct dicom_item *measures = group_item(img->shared_groups, DICOM_TAG(0x0028, 0x9110));
	img->has_position = get_doubles(ds, DICOM_TAG(0x0020, 0x0032), img->image_position, 3) ||
			    (plane && get_doubles(plane, DICOM_TAG(0x0020, 0x0032), img->image_position, 3));
	img->has_orientation = get_doubles(ds, DICOM_TAG(0x0020, 0x0037), img->image_orientation, 6) ||
			       (orient && get_doubles(orient, DICOM_TAG(0x0020, 0x0037), img->image_orientation, 6));
	img->has_spacing = get_doubles(ds, DICOM_TAG(0x0028, 0x0030), img->pixel_spacing, 2) ||
			   (measures && get_doubles(measures, DICOM_TAG(0x0028, 0x0030), img->pixel_spacing, 2));
	img->has_slice_thickness = dicom_get_double(ds, DICOM_TAG(0x0018, 0x0050), &img->slice_thickness) ||
				   (measures && dicom_get_double(measures, DICOM_TAG(0x0018, 0x0050), &img->slice_thickness));
	img->extended_offsets = dicom_find(ds, DICOM_TAG(0x7FE0, 0x0001));
	img->extended_lengths = dicom_find(ds, DICOM_TAG(0x7FE0, 0x0002));
	return 0;
}

const struct dicom_item *dicom_frame_group(const struct dicom_image *img, uint32_t frame, uint32_t seq_tag)
{
	const struct dicom_elem *pf = img->per_frame_groups;
	if (pf && pf->vr == DICOM_VR_SQ && frame < pf->nitems) {
		const struct dicom_item *g = group_item(&pf->items[frame], seq_tag);
		if (g)
			return g;
	}
	return img->shared_groups ? group_item(img->shared_groups, seq_tag) : NULL;
}

int dicom_frame_native(const struct dicom_file *f, const struct dicom_image *img, uint32_t frame,
		       const uint8_t **data, size_t *len, struct ml_err *err)
{
	if (img->encapsulated)
		return ml_err_set(err, ML_EINVAL, "cannot read frame %u of '%s': pixel data is encapsulated", frame,
				  f->name);
	if (frame >= img->number_of_frames)
		return ml_err_set(err, ML_EINVAL, "cannot read frame %u of '%s': it has %u frames", frame, f->name,
				  img->number_of_frames);
	uint64_t start;
	if (img->bits_allocated == 1) {
		/* 1-bit frames are packed back to back and need not start on a byte boundary (PS3.5 8.1.1);
		 * the caller gets the bytes covering the frame and works out the bit offset itself. */
		uint64_t bits = (uint64_t)img->rows * img->columns * img->samples_per_pixel;
		start = bits * frame / 8;
	} else {
		start = (uint64_t)img->frame_bytes * frame;
	}
	uint64_t need = start + img->frame_bytes;
	if (need > img->pixel_data->len)
		return ml_err_set(err, ML_EINVAL,
				  "cannot read frame %u of '%s': pixel data (7FE0,0010) has %u bytes, frame needs %llu",
				  frame, f->name, img->pixel_data->len, (unsigned long long)need);
	*data = img->pixel_data->value + start;
	*len = img->frame_bytes;
	return 0;
}

static bool starts_frame(const struct dicom_item *frag)
{
	const uint8_t *p = frag->value;
	/* JPEG / JPEG-LS SOI, JPEG 2000 codestream SOC+SIZ or JP2 signature box */
	return frag->len >= 4 && ((p[0] == 0xFF && p[1] == 0xD8) || (p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF) ||
				  (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0x0C));
}

int dicom_frame_fragments(const struct dicom_file *f, const struct dicom_image *img, uint32_t frame,
			  const struct dicom_item **first, uint32_t *count, struct ml_err *err)
{
	const struct dicom_elem *pd = img->pixel_data;
	if (!img->encapsulated || pd->nitems < 1)
		return ml_err_set(err, ML_EINVAL, "cannot read frame %u of '%s': pixel data is not encapsulated", frame,
				  f->name);
	if (frame >= img->number_of_frames)
		return ml_err_set(err, ML_EINVAL, "cannot read frame %u of '%s': it has %u frames", frame, f->name,
				  img->number_of_frames);
	const struct dicom_item *frags = pd->items + 1; /* after the basic offset table */
	uint32_t nfrags = pd->nitems - 1;
	if (nfrags == 0)
		return ml_err_set(err, ML_EINVAL, "cannot read frame %u of '%s': pixel data has no fragments", frame,
				  f->name);
	uint64_t base = frags[0].offset;
	/* Offsets (extended table, else basic table) are relative to the first fragment's item header. */
	uint64_t off_start = 0, off_next = UINT64_MAX;
	bool have = false;
	const struct dicom_elem *eot = img->extended_offsets;
	const struct dicom_item *bot = &pd->items[0];
	if (eot && eot->len / 8 >= img->number_of_frames) {
		bool be = eot->flags & DICOM_EF_BIG_ENDIAN;
		off_start = dicom_rd64(eot->value + (size_t)frame * 8, be);
		if (frame + 1 < img->number_of_frames)
			off_next = dicom_rd64(eot->value + (size_t)(frame + 1) * 8, be);
		have = true;
	} else if (bot->len >= 4 * (uint64_t)img->number_of_frames && bot->len > 0) {
		off_start = dicom_rd32(bot->value + (size_t)frame * 4, false);
		if (frame + 1 < img->number_of_frames)
			off_next = dicom_rd32(bot->value + (size_t)(frame + 1) * 4, false);
		have = true;
	}
	if (have) {
		uint32_t k = 0;
		while (k < nfrags && frags[k].offset - base < off_start)
			k++;
		if (k == nfrags || frags[k].offset - base != off_start)
			return ml_err_set(err, ML_EINVAL,
					  "cannot read frame %u of '%s': offset table entry %llu is not a fragment start",
					  frame, f->name, (unsigned long long)off_start);
		uint32_t e = k;
		while (e < nfrags && frags[e].offset - base < off_next)
			e++;
		*first = &frags[k];
		*count = e - k;
		return 0;
	}
	if (img->number_of_frames == 1) {
		*first = frags;
		*count = nfrags;
		return 0;
	}
	if (nfrags == img->number_of_frames) {
		*first = &frags[frame];
		*count = 1;
		return 0;
	}
	/* No offset table and several fragments per frame: frames begin at codestream start markers. */
	uint32_t seen = 0, k = 0;
	for (; k < nfrags; k++)
		if (starts_frame(&frags[k]) && seen++ == frame)
			break;
	if (k == nfrags)
		return ml_err_set(err, ML_EINVAL, "cannot read frame %u of '%s': cannot locate it among %u fragments",
				  frame, f->name, nfrags);
	uint32_t e = k + 1;
	while (e < nfrags && !starts_frame(&frags[e]))
		e++;
	*first = &frags[k];
	*count = e - k;
	return 0;
}
