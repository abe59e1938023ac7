/* fmt_dicom_seg.c: the "dicom-seg" exporter: one binary DICOM Segmentation (PS3.3 A.51) per DICOM series item,
 * one segment per schema label drawn on it (masks, polygons, object3d parts), written with the project's
 * DICOM writer.
 *
 * Usage: medlabel export P --format dicom-seg --out DIR/index.jsonl; the SEG files go next to the index as
 * DIR/item-ID.seg.dcm and the index lists them with their BLAKE2b-256 and segments.
 *
 * What viewers get wrong and we must not (OHIF/XNAT reports of flipped and merged SEGs):
 *  - Frames are ordered by segment, then by slice position along the normal of Image Orientation
 *    (io_img_series_load's slots), never by file or instance order; each frame carries its own Plane
 *    Position (Patient), copied from the source frame it was drawn on, and a Derivation Image reference to
 *    that frame's SOP Instance UID, so a reader that sorts by either lands on the same slice.
 *  - Each frame names its segment (Segment Identification Sequence) and the Dimension Index Values
 *    (segment number, 1-based slice slot) with the Dimension Index Sequence that declares them, so a
 *    multi-segment SEG is read as separate segments.
 * Reproducible: no clock is read; the SOP Instance, Series and Dimension Organization UIDs are "2.25."
 * UIDs from a BLAKE2b hash, keyed with the deployment secret, of the source series and the exported bits.
 * Content Date/Time repeat the study's. */
#include "io/img_int.h"

#include "assist/assist.h"
#include "auth/auth.h"
#include "dicom/dicom.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_SOP_CLASS "1.2.840.10008.5.1.4.1.1.66.4"
#define T(g, e) DICOM_TAG(0x##g, 0x##e)
#define SEG_MAX_SEGMENTS 65535u

struct seg_state {
	struct label_schema *schema;
	uint8_t secret[AUTH_SECRET_MAX];
	size_t secret_len;
};

struct segment {
	const struct label_control *control;
	const struct label_label *label;
	size_t order;        /* schema position: control index * LABEL_MAX_LABELS + label index */
	uint8_t **slices;    /* per slot, plane bytes or NULL */
	uint16_t number;     /* 1-based, after sorting */
};

struct seg_build {
	const struct io_img_series *s;
	const struct label_schema *schema;
	struct segment *segs;
	size_t nsegs;
	uint32_t nslots;
	size_t plane;
};

static int seg_region(void *ctx, const struct io_img_region *r, struct ml_err *err)
{
	struct seg_build *b = ctx;
	uint32_t slot = b->s->frames[r->frame].slot;
	if (slot == IO_IMG_NO_SLOT || slot >= b->nslots)
		return ml_err_set(err, ML_EINVAL, "annotation %lld: frame %u is not part of the series volume",
				  (long long)r->annotation_id, r->frame);
	size_t order = (size_t)(r->control - b->schema->controls) * LABEL_MAX_LABELS + (size_t)(r->label - r->control->labels);
	struct segment *sg = NULL;
	for (size_t i = 0; i < b->nsegs && !sg; i++)
		if (b->segs[i].order == order)
			sg = &b->segs[i];
	if (!sg) {
		if (b->nsegs == SEG_MAX_SEGMENTS)
			return ml_err_set(err, ML_ELIMIT, "more than %u segments in one item", SEG_MAX_SEGMENTS);
		b->segs = ml_xrealloc(b->segs, (b->nsegs + 1) * sizeof *b->segs);
		sg = &b->segs[b->nsegs++];
		*sg = (struct segment){.control = r->control, .label = r->label, .order = order,
				       .slices = ml_xcalloc(b->nslots, sizeof *sg->slices)};
	}
	if (!sg->slices[slot]) {
		sg->slices[slot] = ml_calloc(1, b->plane);
		if (!sg->slices[slot])
			return ml_err_set(err, ML_ENOMEM, "out of memory for a segmentation frame");
	}
	for (size_t i = 0; i < b->plane; i++)
		sg->slices[slot][i] |= r->mask[i] != 0;
	return 0;
}

static int by_order(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool any_set(const uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i])
			return true;
	return false;
}

/* One SEG frame: which segment, which slot. */
struct seg_frame {
	const struct segment *seg;
	uint32_t slot;
};

static void w_code(struct dicom_writer *w, uint32_t seq, const char *value, const char *scheme, const char *meaning)
{
	dicom_w_seq_begin(w, seq, false);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, T(0008, 0100), value);
	dicom_w_str(w, T(0008, 0102), scheme);
	dicom_w_str(w, T(0008, 0104), meaning);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
}

static void w_ds(struct dicom_writer *w, uint32_t tag, const double *v, size_t n)
{
	char buf[200] = "", one[20];
	for (size_t i = 0; i < n; i++) {
		io_img_ds(v[i], one);
		if (i)
			strcat(buf, "\\");
		strcat(buf, one);
	}
	dicom_w_str(w, tag, buf);
}

static void w_at(struct dicom_writer *w, uint32_t tag, uint32_t value)
{
	uint8_t b[4] = {(uint8_t)(value >> 16), (uint8_t)(value >> 24), (uint8_t)value, (uint8_t)(value >> 8)};
	dicom_w_elem(w, tag, DICOM_VR_AT, b, 4);
}

/* A code system name as a DICOM Coding Scheme Designator. */
static const char *scheme_of(const char *system)
{
	if (!strcmp(system, "SNOMED CT") || !strcmp(system, "http://snomed.info/sct") || !strcmp(system, "SNOMED"))
		return "SCT";
	if (!strcasecmp(system, "radlex") || !strcmp(system, "http://radlex.org"))
		return "RADLEX";
	return system;
}

static void derive_uid(const uint8_t digest[32], const char *what, char out[65])
{
	uint8_t h[16];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, digest, 32);
	crypto_generichash_update(&st, (const uint8_t *)what, strlen(what));
	crypto_generichash_final(&st, h, sizeof h);
	dicom_uid_from_128(h, out);
}

static void w_str_trunc(struct dicom_writer *w, uint32_t tag, const char *s, size_t max)
{
	char buf[256];
	size_t n = strlen(s);
	if (max > sizeof buf - 1)
		max = sizeof buf - 1;
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80) /* do not cut a UTF-8 sequence */
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	dicom_w_str(w, tag, buf);
}

static int write_seg(const struct seg_state *st, const struct store_item *it, const struct io_img_series *s,
		     struct segment *segs, size_t nsegs, uint32_t nslots, const char *path, size_t *nframes_out,
		     struct ml_err *err)
{
	size_t plane = (size_t)s->rows * s->cols;
	/* slot -> the source frame drawn on it (the first in item order) */
	size_t *src_of = ml_xmalloc((size_t)nslots * sizeof *src_of);
	for (uint32_t k = 0; k < nslots; k++)
		src_of[k] = SIZE_MAX;
	for (size_t f = s->nframes; f-- > 0;)
		if (s->frames[f].slot != IO_IMG_NO_SLOT)
			src_of[s->frames[f].slot] = f;
	struct seg_frame *fr = NULL;
	size_t nfr = 0;
	for (size_t g = 0; g < nsegs; g++)
		for (uint32_t k = 0; k < nslots; k++)
			if (segs[g].slices[k] && any_set(segs[g].slices[k], plane)) {
				fr = ml_xrealloc(fr, (nfr + 1) * sizeof *fr);
				fr[nfr++] = (struct seg_frame){.seg = &segs[g], .slot = k};
			}
	*nframes_out = nfr;
	if (nfr == 0) {
		ml_free(src_of);
		ml_free(fr);
		return 0;
	}
	size_t bits = nfr * plane, nbytes = (bits + 7) / 8;
	nbytes += nbytes & 1;
	uint8_t *pix = ml_calloc(1, nbytes);
	if (!pix) {
		ml_free(src_of);
		ml_free(fr);
		return ml_err_set(err, ML_ENOMEM, "out of memory for %zu segmentation frames", nfr);
	}
	for (size_t i = 0; i < nfr; i++)
		assist_pack_bits(fr[i].seg->slices[fr[i].slot], plane, pix + (i * plane) / 8, (unsigned)((i * plane) % 8));

	/* UIDs from what the SEG says: keyed so they cannot be recomputed outside this deployment */
	uint8_t digest[32];
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, st->secret, st->secret_len, sizeof digest);
	crypto_generichash_update(&hs, (const uint8_t *)"medlabel-seg-1", 15);
	crypto_generichash_update(&hs, (const uint8_t *)it->content_hash, strlen(it->content_hash));
	crypto_generichash_update(&hs, (const uint8_t *)s->src.series_uid, strlen(s->src.series_uid) + 1);
	for (size_t g = 0; g < nsegs; g++) {
		crypto_generichash_update(&hs, (const uint8_t *)segs[g].control->name, strlen(segs[g].control->name) + 1);
		crypto_generichash_update(&hs, (const uint8_t *)segs[g].label->value, strlen(segs[g].label->value) + 1);
	}
	for (size_t i = 0; i < nfr; i++) {
		uint8_t key[8] = {(uint8_t)fr[i].seg->number, (uint8_t)(fr[i].seg->number >> 8), (uint8_t)fr[i].slot,
				  (uint8_t)(fr[i].slot >> 8), (uint8_t)(fr[i].slot >> 16), (uint8_t)(fr[i].slot >> 24), 0, 0};
		crypto_generichash_update(&hs, key, sizeof key);
	}
	crypto_generichash_update(&hs, pix, nbytes);
	crypto_generichash_final(&hs, digest, sizeof digest);
	char sop_uid[65], series_uid[65], dimorg_uid[65], study_uid[65], for_uid[65];
	derive_uid(digest, "sop", sop_uid);
	derive_uid(digest, "series", series_uid);
	derive_uid(digest, "dimension-organization", dimorg_uid);
	if (s->src.study_uid[0])
		snprintf(study_uid, sizeof study_uid, "%s", s->src.study_uid);
	else
		derive_uid(digest, "study", study_uid);
	if (s->src.for_uid[0])
		snprintf(for_uid, sizeof for_uid, "%s", s->src.for_uid);
	else
		derive_uid(digest, "frame-of-reference", for_uid);

	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, SEG_SOP_CLASS, sop_uid, NULL);
	dicom_w_str(w, T(0008, 0005), "ISO_IR 192");
	dicom_w_str(w, T(0008, 0008), "DERIVED\\PRIMARY");
	dicom_w_str(w, T(0008, 0016), SEG_SOP_CLASS);
	dicom_w_str(w, T(0008, 0018), sop_uid);
	dicom_w_str(w, T(0008, 0020), s->src.study_date);
	dicom_w_str(w, T(0008, 0023), s->src.study_date);
	dicom_w_str(w, T(0008, 0030), s->src.study_time);
	dicom_w_str(w, T(0008, 0033), s->src.study_time);
	dicom_w_str(w, T(0008, 0050), s->src.accession);
	dicom_w_str(w, T(0008, 0060), "SEG");
	dicom_w_str(w, T(0008, 0070), "medlabel");
	dicom_w_str(w, T(0008, 0090), s->src.referring);
	dicom_w_str(w, T(0008, 103E), "medlabel segmentation");
	dicom_w_str(w, T(0008, 1090), "medlabel");
	/* Referenced Series Sequence: every source instance this SEG was drawn on */
	dicom_w_seq_begin(w, T(0008, 1115), false);
	dicom_w_item_begin(w, false);
	dicom_w_seq_begin(w, T(0008, 114A), false);
	for (size_t i = 0; i < s->ninstances; i++) {
		size_t f = 0;
		while (f < s->nframes && s->frames[f].instance != i)
			f++;
		if (f == s->nframes)
			continue;
		dicom_w_item_begin(w, false);
		dicom_w_str(w, T(0008, 1150), s->src.sop_class);
		dicom_w_str(w, T(0008, 1155), s->frames[f].sop_uid);
		dicom_w_item_end(w);
	}
	dicom_w_seq_end(w);
	dicom_w_str(w, T(0020, 000E), s->src.series_uid);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_str(w, T(0010, 0010), s->src.patient_name);
	dicom_w_str(w, T(0010, 0020), s->src.patient_id);
	dicom_w_str(w, T(0010, 0030), s->src.birth_date);
	dicom_w_str(w, T(0010, 0040), s->src.sex);
	dicom_w_str(w, T(0018, 1000), "1"); /* Enhanced General Equipment: Type 1 */
	dicom_w_str(w, T(0018, 1020), "medlabel");
	dicom_w_str(w, T(0020, 000D), study_uid);
	dicom_w_str(w, T(0020, 000E), series_uid);
	dicom_w_str(w, T(0020, 0010), s->src.study_id);
	dicom_w_str(w, T(0020, 0011), "9901");
	dicom_w_str(w, T(0020, 0013), "1");
	dicom_w_str(w, T(0020, 0052), for_uid);
	dicom_w_str(w, T(0020, 1040), "");
	dicom_w_seq_begin(w, T(0020, 9221), false);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, T(0020, 9164), dimorg_uid);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	/* Dimension Index Sequence: (segment number, position) */
	dicom_w_seq_begin(w, T(0020, 9222), false);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, T(0020, 9164), dimorg_uid);
	w_at(w, T(0020, 9165), T(0062, 000B));
	w_at(w, T(0020, 9167), T(0062, 000A));
	dicom_w_str(w, T(0020, 9421), "ReferencedSegmentNumber");
	dicom_w_item_end(w);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, T(0020, 9164), dimorg_uid);
	w_at(w, T(0020, 9165), T(0020, 0032));
	w_at(w, T(0020, 9167), T(0020, 9113));
	dicom_w_str(w, T(0020, 9421), "ImagePositionPatient");
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_us(w, T(0028, 0002), 1);
	dicom_w_str(w, T(0028, 0004), "MONOCHROME2");
	char num[24];
	snprintf(num, sizeof num, "%zu", nfr);
	dicom_w_str(w, T(0028, 0008), num);
	dicom_w_us(w, T(0028, 0010), (uint16_t)s->rows);
	dicom_w_us(w, T(0028, 0011), (uint16_t)s->cols);
	dicom_w_us(w, T(0028, 0100), 1);
	dicom_w_us(w, T(0028, 0101), 1);
	dicom_w_us(w, T(0028, 0102), 0);
	dicom_w_us(w, T(0028, 0103), 0);
	dicom_w_str(w, T(0028, 2110), "00");
	dicom_w_str(w, T(0062, 0001), "BINARY");
	dicom_w_seq_begin(w, T(0062, 0002), false);
	for (size_t g = 0; g < nsegs; g++) {
		const struct segment *sg = &segs[g];
		dicom_w_item_begin(w, false);
		w_code(w, T(0062, 0003), "91723000", "SCT", "Anatomical Structure");
		dicom_w_us(w, T(0062, 0004), sg->number);
		w_str_trunc(w, T(0062, 0005), sg->label->value, 64);
		w_str_trunc(w, T(0062, 0006), sg->control->name, 64);
		dicom_w_str(w, T(0062, 0008), "MANUAL");
		if (sg->label->code && sg->label->code_system)
			w_code(w, T(0062, 000F), sg->label->code, scheme_of(sg->label->code_system),
			       sg->label->code_display ? sg->label->code_display : sg->label->value);
		else
			w_code(w, T(0062, 000F), "85756007", "SCT", "Tissue");
		dicom_w_item_end(w);
	}
	dicom_w_seq_end(w);
	dicom_w_str(w, T(0070, 0080), "SEGMENTATION");
	dicom_w_str(w, T(0070, 0081), "");
	dicom_w_str(w, T(0070, 0084), "");
	/* Shared Functional Groups: orientation and pixel measures are the source series' own */
	dicom_w_seq_begin(w, T(5200, 9229), false);
	dicom_w_item_begin(w, false);
	dicom_w_seq_begin(w, T(0020, 9116), false);
	dicom_w_item_begin(w, false);
	w_ds(w, T(0020, 0037), s->iop, 6);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_seq_begin(w, T(0028, 9110), false);
	dicom_w_item_begin(w, false);
	w_ds(w, T(0018, 0050), &s->step, 1);
	w_ds(w, T(0018, 0088), &s->step, 1);
	w_ds(w, T(0028, 0030), s->pixel_spacing, 2);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	/* Per-frame Functional Groups */
	dicom_w_seq_begin(w, T(5200, 9230), false);
	for (size_t i = 0; i < nfr; i++) {
		const struct io_img_frame *src = &s->frames[src_of[fr[i].slot]];
		dicom_w_item_begin(w, false);
		dicom_w_seq_begin(w, T(0008, 9124), false);
		dicom_w_item_begin(w, false);
		dicom_w_seq_begin(w, T(0008, 2112), false);
		dicom_w_item_begin(w, false);
		dicom_w_str(w, T(0008, 1150), s->src.sop_class);
		dicom_w_str(w, T(0008, 1155), src->sop_uid);
		if (s->src.multiframe) {
			snprintf(num, sizeof num, "%u", src->file_frame + 1);
			dicom_w_str(w, T(0008, 1160), num);
		}
		w_code(w, T(0040, A170), "121322", "DCM", "Source image for image processing operation");
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		w_code(w, T(0008, 9215), "113076", "DCM", "Segmentation");
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_seq_begin(w, T(0020, 9111), false);
		dicom_w_item_begin(w, false);
		uint32_t div[2] = {fr[i].seg->number, fr[i].slot + 1};
		uint8_t divb[8];
		for (int j = 0; j < 2; j++)
			for (int b = 0; b < 4; b++)
				divb[j * 4 + b] = (uint8_t)(div[j] >> (8 * b));
		dicom_w_elem(w, T(0020, 9157), DICOM_VR_UL, divb, sizeof divb);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_seq_begin(w, T(0020, 9113), false);
		dicom_w_item_begin(w, false);
		w_ds(w, T(0020, 0032), src->ipp, 3);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_seq_begin(w, T(0062, 000A), false);
		dicom_w_item_begin(w, false);
		dicom_w_us(w, T(0062, 000B), fr[i].seg->number);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_item_end(w);
	}
	dicom_w_seq_end(w);
	dicom_w_elem_ref(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OB, pix, nbytes);
	int rc = dicom_w_save(w, path, err);
	dicom_writer_free(w);
	ml_free(pix);
	ml_free(fr);
	ml_free(src_of);
	return rc;
}

static int seg_begin(struct io_export *ex, struct ml_err *err)
{
	if (!ex->out_dir || !ex->out_path)
		return ml_err_set(err, ML_EINVAL, "the dicom-seg export writes one file per item: give --out DIR/index.jsonl");
	if (ex->options && *ex->options)
		return ml_err_set(err, ML_EINVAL, "the dicom-seg export takes no options ('%s')", ex->options);
	struct seg_state *st = ml_xcalloc(1, sizeof *st);
	if (io_img_schema(ex, "dicom-seg", &st->schema, err) ||
	    auth_deployment_secret(ex->data_dir, true, st->secret, &st->secret_len, err)) {
		label_schema_free(st->schema);
		ml_free(st);
		return -1;
	}
	ex->state = st;
	return 0;
}

static int seg_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct seg_state *st = ex->state;
	const struct store_item *it = r->item;
	if (it->modality != STORE_MOD_DICOM_SERIES || r->nanns == 0)
		return 0;
	struct io_img_series s;
	if (io_img_series_load(ex->data_dir, it, false, MEDIA_U8, &s, err))
		return -1;
	struct seg_build b = {.s = &s, .schema = st->schema, .nslots = s.vol.dims[2], .plane = (size_t)s.rows * s.cols};
	int rc = io_img_each_region(st->schema, r, s.rows, s.cols, (uint32_t)s.nframes, seg_region, &b, err);
	if (!rc && b.nsegs) {
		qsort(b.segs, b.nsegs, sizeof *b.segs, by_order);
		for (size_t g = 0; g < b.nsegs; g++)
			b.segs[g].number = (uint16_t)(g + 1);
		char name[64], path[4300], hash[65];
		size_t nfr = 0;
		snprintf(name, sizeof name, "item-%lld.seg.dcm", (long long)it->id);
		snprintf(path, sizeof path, "%s/%s", ex->out_dir, name);
		rc = write_seg(st, it, &s, b.segs, b.nsegs, b.nslots, path, &nfr, err);
		if (!rc && nfr)
			rc = io_img_file_hash(path, hash, err);
		if (!rc && nfr) {
			fprintf(ex->out, "{\"item\":%lld,\"file\":\"%s\",\"blake2b\":\"%s\",\"frames\":%zu,\"segments\":[",
				(long long)it->id, name, hash, nfr);
			for (size_t g = 0; g < b.nsegs; g++) {
				fprintf(ex->out, "%s{\"number\":%u,\"control\":", g ? "," : "", b.segs[g].number);
				io_put_json_str(ex->out, b.segs[g].control->name, strlen(b.segs[g].control->name));
				fputs(",\"label\":", ex->out);
				io_put_json_str(ex->out, b.segs[g].label->value, strlen(b.segs[g].label->value));
				fputs("}", ex->out);
			}
			fputs("]}\n", ex->out);
		}
	}
	for (size_t g = 0; g < b.nsegs; g++) {
		for (uint32_t k = 0; k < b.nslots; k++)
			ml_free(b.segs[g].slices[k]);
		ml_free(b.segs[g].slices);
	}
	ml_free(b.segs);
	io_img_series_release(&s);
	return rc;
}

static int seg_end(struct io_export *ex, bool ok, struct ml_err *err)
{
	struct seg_state *st = ex->state;
	if (st) {
		label_schema_free(st->schema);
		sodium_memzero(st->secret, sizeof st->secret);
		ml_free(st);
	}
	ex->state = NULL;
	return 0;
}

IO_EXPORTER(dicom_seg, {.name = "dicom-seg", .writes_folder = true, .extension = ".jsonl",
			.summary = "DICOM SEG (binary, one segment per label) per series item, next to an index",
			.begin = seg_begin, .row = seg_row, .end = seg_end})
