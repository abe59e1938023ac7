/* fmt_measure.c: the "measurements-csv" exporter: one CSV row per mask, polygon or 3-D object of the DICOM
 * series and volume items: area (mm²) of a 2-D region, volume (ml) of an object3d, RECIST longest
 * diameter (mm, the largest in-plane diameter over its slices), and the mean, SD, min and max of the
 * rescaled intensities (HU for CT) inside, from the pixels of the source volume (io_img_series_load with
 * pixels, or the NIfTI of a volume item).
 *
 * Columns: item_id, annotation_id, result_id, control, label, kind, frames ("2", or "3-5" for an object),
 * voxels, area_mm2 (2-D regions), volume_ml (objects), longest_diameter_mm, mean, sd, min, max. Text is
 * quoted as RFC 4180 says. Statistics of an object are combined from its slices (counts, sums, sums of
 * squares), so an object never needs a full-volume mask. Values print with %.6g: the same labels give the
 * same bytes. */
#include "io/img_int.h"

#include "assist/assist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ms_state {
	struct label_schema *schema; /* first: io_img_state_end frees it */
};

static int ms_begin(struct io_export *ex, struct ml_err *err)
{
	if (ex->options && *ex->options)
		return ml_err_set(err, ML_EINVAL, "the measurements-csv export takes no options ('%s')", ex->options);
	struct label_schema *schema;
	if (io_img_schema(ex, "measurements-csv", &schema, err))
		return -1;
	struct ms_state *st = ml_xcalloc(1, sizeof *st);
	st->schema = schema;
	ex->state = st;
	fputs("item_id,annotation_id,result_id,control,label,kind,frames,voxels,area_mm2,volume_ml,"
	      "longest_diameter_mm,mean,sd,min,max\n", ex->out);
	return 0;
}

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One object being measured: the parts of one result. */
struct acc {
	bool open;
	int64_t annotation_id;
	char result_id[LABEL_MAX_VALUE + 1];
	const struct label_control *control;
	const struct label_label *label;
	uint32_t fmin, fmax;
	size_t count;
	double sum, sum2, min, max, diameter;
};

struct ms_row {
	FILE *out;
	const struct store_item *it;
	const struct media_volume *vol;  /* F32 values */
	const struct io_img_series *series; /* NULL for volume items */
	double spacing[3];               /* x (columns), y (rows), z (slices), mm */
	float *slice;                    /* values of one slice */
	struct acc a;
};

static void put_g(FILE *f, double v)
{
	if (v > -1e-12 && v < 1e-12)
		v = 0;
	fprintf(f, ",%.6g", v);
}

static void flush(struct ms_row *m)
{
	struct acc *a = &m->a;
	if (!a->open)
		return;
	FILE *f = m->out;
	bool obj = a->control->kind == LABEL_KIND_OBJECT3D;
	fprintf(f, "%lld,%lld,", (long long)m->it->id, (long long)a->annotation_id);
	csv_str(f, a->result_id);
	fputc(',', f);
	csv_str(f, a->control->name);
	fputc(',', f);
	csv_str(f, a->label->value);
	fprintf(f, ",%s,", label_kind_name(a->control->kind));
	if (a->fmin == a->fmax)
		fprintf(f, "%u", a->fmin);
	else
		fprintf(f, "%u-%u", a->fmin, a->fmax);
	fprintf(f, ",%zu", a->count);
	double px = m->spacing[0] * m->spacing[1];
	if (obj)
		fputc(',', f), put_g(f, (double)a->count * px * m->spacing[2] / 1000.0);
	else
		put_g(f, (double)a->count * px), fputc(',', f);
	put_g(f, a->diameter);
	if (a->count) {
		double mean = a->sum / (double)a->count, var = a->sum2 / (double)a->count - mean * mean;
		put_g(f, mean);
		put_g(f, var > 0 ? sqrt(var) : 0);
		put_g(f, a->min);
		put_g(f, a->max);
	} else {
		fputs(",,,,", f);
	}
	fputc('\n', f);
	a->open = false;
}

static int ms_region(void *ctx, const struct io_img_region *r, struct ml_err *err)
{
	struct ms_row *m = ctx;
	const char *rid = r->result_id ? r->result_id : "";
	struct acc *a = &m->a;
	bool same = a->open && a->annotation_id == r->annotation_id && a->control == r->control &&
		    r->control->kind == LABEL_KIND_OBJECT3D && !strcmp(a->result_id, rid);
	if (!same) {
		flush(m);
		memset(a, 0, sizeof *a);
		a->open = true;
		a->annotation_id = r->annotation_id;
		snprintf(a->result_id, sizeof a->result_id, "%s", rid);
		a->control = r->control;
		a->label = r->label;
		a->fmin = a->fmax = r->frame;
	}
	uint32_t k = m->series ? m->series->frames[r->frame].slot : r->frame;
	if (k == IO_IMG_NO_SLOT || k >= m->vol->dims[2])
		return ml_err_set(err, ML_EINVAL, "annotation %lld: frame %u is not part of the item's volume",
				  (long long)r->annotation_id, r->frame);
	size_t plane = (size_t)r->w * r->h;
	memcpy(m->slice, (const float *)m->vol->data + (size_t)k * plane, plane * sizeof(float));
	struct assist_grid g = {.dims = {r->w, r->h, 1}, .values = m->slice};
	struct assist_stats s;
	double d;
	if (assist_measure(&g, r->mask, m->spacing, &s, err) ||
	    assist_longest_diameter(r->mask, r->h, r->w, m->spacing, &d, NULL, err))
		return -1;
	if (r->frame < a->fmin)
		a->fmin = r->frame;
	if (r->frame > a->fmax)
		a->fmax = r->frame;
	if (s.count) {
		if (!a->count || s.min < a->min)
			a->min = s.min;
		if (!a->count || s.max > a->max)
			a->max = s.max;
		a->sum += s.mean * (double)s.count;
		a->sum2 += (s.sd * s.sd + s.mean * s.mean) * (double)s.count;
		a->count += s.count;
	}
	if (d > a->diameter)
		a->diameter = d;
	return 0;
}

/* A volume item's NIfTI as F32 values. */
static int load_volume(const char *data_dir, const struct store_item *it, struct media_volume *v, struct ml_err *err)
{
	struct media_volume src;
	media_volume_init(&src);
	if (io_img_volume_read(data_dir, it, &src, err))
		return -1;
	if (src.dtype == MEDIA_F32) {
		*v = src;
		return 0;
	}
	int rc = media_volume_like(v, &src, MEDIA_F32, err);
	if (!rc) {
		float *out = v->data;
		for (uint32_t k = 0; k < src.dims[2]; k++)
			for (uint32_t j = 0; j < src.dims[1]; j++)
				for (uint32_t i = 0; i < src.dims[0]; i++)
					*out++ = (float)media_volume_get(&src, i, j, k);
	}
	media_volume_release(&src);
	return rc;
}

static int ms_row(struct io_export *ex, const struct io_export_row *r, struct ml_err *err)
{
	struct ms_state *st = ex->state;
	const struct store_item *it = r->item;
	if ((it->modality != STORE_MOD_DICOM_SERIES && it->modality != STORE_MOD_VOLUME) || r->nanns == 0)
		return 0;
	struct io_img_series s;
	struct media_volume vol;
	io_img_series_init(&s);
	media_volume_init(&vol);
	struct ms_row m = {.out = ex->out, .it = it};
	int rc;
	uint32_t nframes;
	if (it->modality == STORE_MOD_DICOM_SERIES) {
		rc = io_img_series_load(ex->data_dir, it, true, MEDIA_F32, &s, err);
		m.vol = &s.vol;
		m.series = &s;
		m.spacing[0] = s.pixel_spacing[1];
		m.spacing[1] = s.pixel_spacing[0];
		m.spacing[2] = s.step > 0 ? s.step : 1;
		nframes = (uint32_t)s.nframes;
	} else {
		rc = load_volume(ex->data_dir, it, &vol, err);
		m.vol = &vol;
		memcpy(m.spacing, vol.spacing, sizeof m.spacing);
		nframes = vol.dims[2];
	}
	if (!rc) {
		m.slice = ml_malloc((size_t)m.vol->dims[0] * m.vol->dims[1] * sizeof(float));
		rc = m.slice ? io_img_each_region(st->schema, r, m.vol->dims[1], m.vol->dims[0], nframes, ms_region, &m, err)
			     : ml_err_set(err, ML_ENOMEM, "out of memory");
		if (!rc)
			flush(&m);
	}
	ml_free(m.slice);
	media_volume_release(&vol);
	io_img_series_release(&s);
	return rc;
}

IO_EXPORTER(measurements_csv, {.name = "measurements-csv", .extension = ".csv",
			       .summary = "area (mm²), volume (ml), longest diameter and intensity statistics per region",
			       .begin = ms_begin, .row = ms_row, .end = io_img_state_end})
