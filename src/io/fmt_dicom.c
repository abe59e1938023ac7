/* fmt_dicom.c: DICOM import. A file is one item; a folder becomes one item per series, its instances
 * sorted along the slice normal (Image Position projected on the normal of Image Orientation, then
 * Instance Number) and stored content-addressed under DATA/media. With the option "deid" (or
 * "deid=OPTIONS", the PS3.15 options of `medlabel deid dicom`) every file is de-identified before it is
 * stored, so PHI never reaches the media folder. Patient ID is never stored: the item's patient key is
 * the de-identification pseudonym, or a keyed hash of Patient ID under the deployment secret. */
#include "io/io_int.h"

#include "auth/auth.h"
#include "dicom/dicom.h"

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG_SOP_INSTANCE_UID 0x00080018u
#define TAG_MODALITY 0x00080060u
#define TAG_PATIENT_ID 0x00100020u
#define TAG_STUDY_UID 0x0020000Du
#define TAG_SERIES_UID 0x0020000Eu
#define TAG_INSTANCE_NUMBER 0x00200013u
#define TAG_IMAGE_POSITION 0x00200032u
#define TAG_IMAGE_ORIENTATION 0x00200037u
#define TAG_NUMBER_OF_FRAMES 0x00280008u
#define TAG_ROWS 0x00280010u
#define TAG_COLUMNS 0x00280011u
#define TAG_PIXEL_SPACING 0x00280030u

#define MAX_FILES 200000 /* per imported folder */

struct instance {
	char *path;               /* owned */
	char series[65], study[65], modality[17];
	char patient_key[80];
	double position;          /* along the slice normal; 0 when unknown */
	int64_t number;           /* Instance Number; 0 when absent */
	int64_t frames, rows, columns;
	double spacing[2];        /* Pixel Spacing: between rows, between columns (mm); 0 when absent */
	char media[65];
	char review[96];          /* why the pixels need a look (de-identification), "" if not */
};

struct walk {
	struct instance *v;
	size_t n, cap;
	bool too_many;
};
static __thread struct walk *walk_tls;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	struct walk *w = walk_tls;
	if (type != FTW_F)
		return 0;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (base[0] == '.' || !strcmp(base, "DICOMDIR"))
		return 0;
	if (w->n == MAX_FILES) {
		w->too_many = true;
		return 1;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->v = ml_xrealloc(w->v, w->cap * sizeof *w->v);
	}
	memset(&w->v[w->n], 0, sizeof w->v[w->n]);
	w->v[w->n++].path = ml_xstrdup(path);
	return 0;
}

static int by_series_then_position(const void *a, const void *b)
{
	const struct instance *x = a, *y = b;
	int c = strcmp(x->series, y->series);
	if (c)
		return c;
	if (x->position != y->position)
		return x->position < y->position ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Reads what grouping and sorting need; the header only, never the pixels. */
static int read_header(struct instance *in, const uint8_t *secret, size_t secret_len, struct ml_err *err)
{
	struct dicom_read_opts ro = {.stop_before_pixels = true};
	struct dicom_file *f;
	if (dicom_open(in->path, &ro, &f, err))
		return -1;
	const struct dicom_item *r = &f->root;
	if (!dicom_get_str(r, TAG_SERIES_UID, in->series, sizeof in->series) &&
	    !dicom_get_str(r, TAG_SOP_INSTANCE_UID, in->series, sizeof in->series))
		snprintf(in->series, sizeof in->series, "%s", in->path); /* no UIDs at all: one item per file */
	dicom_get_str(r, TAG_STUDY_UID, in->study, sizeof in->study);
	dicom_get_str(r, TAG_MODALITY, in->modality, sizeof in->modality);
	if (!dicom_get_int(r, TAG_NUMBER_OF_FRAMES, &in->frames) || in->frames < 1)
		in->frames = 1;
	dicom_get_int(r, TAG_ROWS, &in->rows);
	dicom_get_int(r, TAG_COLUMNS, &in->columns);
	dicom_get_int(r, TAG_INSTANCE_NUMBER, &in->number);
	const struct dicom_elem *ps = dicom_find(r, TAG_PIXEL_SPACING);
	if (!ps || dicom_elem_double(ps, 0, &in->spacing[0]) || dicom_elem_double(ps, 1, &in->spacing[1]) ||
	    !(in->spacing[0] > 0) || !(in->spacing[1] > 0))
		in->spacing[0] = in->spacing[1] = 0;
	const struct dicom_elem *ipp = dicom_find(r, TAG_IMAGE_POSITION), *iop = dicom_find(r, TAG_IMAGE_ORIENTATION);
	double p[3], o[6];
	bool have = ipp && iop;
	for (int i = 0; have && i < 3; i++)
		have = dicom_elem_double(ipp, (uint32_t)i, &p[i]) == 0;
	for (int i = 0; have && i < 6; i++)
		have = dicom_elem_double(iop, (uint32_t)i, &o[i]) == 0;
	if (have) {
		double nrm[3] = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
		in->position = p[0] * nrm[0] + p[1] * nrm[1] + p[2] * nrm[2];
	}
	char pid[80] = "";
	if (dicom_get_str(r, TAG_PATIENT_ID, pid, sizeof pid) && pid[0]) {
		uint8_t h[16];
		char hex[33];
		crypto_generichash(h, sizeof h, (const uint8_t *)pid, strlen(pid), secret, secret_len);
		ml_hex_encode(h, sizeof h, hex);
		snprintf(in->patient_key, sizeof in->patient_key, "pt-%.16s", hex);
		sodium_memzero(pid, sizeof pid);
	}
	dicom_free(f);
	return 0;
}

/* Stores one instance in the media folder, de-identified first when asked. */
static int store_instance(struct instance *in, const struct io_import_opts *opts, bool deid, unsigned deid_options,
			  const uint8_t *secret, size_t secret_len, struct ml_err *err)
{
	if (!deid)
		return store_media_put_file(opts->data_dir, in->path, 0, in->media, err);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s/media/.deid-%ld-%p.dcm", opts->data_dir, (long)getpid(), (void *)in);
	struct dicom_deid_opts d = {.options = deid_options, .secret = secret, .secret_len = secret_len};
	struct dicom_deid_result res;
	int rc = dicom_deid_file(in->path, tmp, &d, &res, err);
	if (rc == 0) {
		rc = store_media_put_file(opts->data_dir, tmp, 0, in->media, err);
		snprintf(in->patient_key, sizeof in->patient_key, "%s", res.patient_key);
		if (res.pixel_review)
			snprintf(in->review, sizeof in->review, "%s", res.review_reason);
	}
	unlink(tmp);
	return rc;
}

/* One item for instances v[0..n) of one series. */
static int emit_series(struct instance *v, size_t n, const struct io_import_opts *opts, io_emit_fn emit, void *ctx,
		       struct ml_err *err)
{
	struct ml_buf meta;
	ml_buf_init(&meta, 0);
	int64_t frames = 0;
	const char *review = "";
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 32);
	int bad = ml_buf_printf(&meta, "{\"dicom\":{\"modality\":") ||
		  ml_buf_json_str(&meta, v[0].modality, strlen(v[0].modality)) ||
		  ml_buf_printf(&meta, ",\"rows\":%lld,\"columns\":%lld,", (long long)v[0].rows, (long long)v[0].columns) ||
		  (v[0].spacing[0] > 0 && ml_buf_printf(&meta, "\"spacing\":[%.10g,%.10g],", v[0].spacing[0], v[0].spacing[1])) ||
		  ml_buf_puts(&meta, "\"instances\":[");
	for (size_t i = 0; i < n && !bad; i++) {
		frames += v[i].frames;
		if (v[i].review[0])
			review = v[i].review;
		crypto_generichash_update(&hs, (const uint8_t *)v[i].media, 64);
		bad = ml_buf_printf(&meta, "%s{\"media\":\"%s\",\"frames\":%lld,\"position\":%.6f}", i ? "," : "",
				    v[i].media, (long long)v[i].frames, v[i].position);
	}
	if (!bad)
		bad = ml_buf_printf(&meta, "],\"frames\":%lld", (long long)frames) ||
		      (review[0] && (ml_buf_puts(&meta, ",\"pixel_review\":") || ml_buf_json_str(&meta, review, strlen(review)))) ||
		      ml_buf_puts(&meta, "},\"frames\":") || ml_buf_printf(&meta, "%lld}", (long long)frames);
	if (bad) {
		ml_buf_release(&meta);
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	uint8_t h[32];
	crypto_generichash_final(&hs, h, sizeof h);
	struct store_item it = {.project_id = opts->project_id, .modality = STORE_MOD_DICOM_SERIES,
				.source = opts->source ? opts->source : STORE_SRC_IMAGING,
				.patient_key = v[0].patient_key, .meta_json = meta.data, .media_hash = v[0].media,
				.media_type = (char *)"application/dicom", .external_ref = (char *)"", .visible = true};
	ml_hex_encode(h, sizeof h, it.content_hash);
	int rc = emit(ctx, &it, err);
	ml_buf_release(&meta);
	return rc;
}

static int parse_options(const char *options, bool *deid, unsigned *deid_options, struct ml_err *err)
{
	*deid = false;
	*deid_options = 0;
	if (!options || !*options)
		return 0;
	if (!strcmp(options, "deid")) {
		*deid = true;
		return 0;
	}
	if (!strncmp(options, "deid=", 5)) {
		*deid = true;
		return dicom_deid_parse_options(options + 5, deid_options, err);
	}
	return ml_err_set(err, ML_EINVAL, "unknown DICOM import option '%s' (expected deid or deid=OPTIONS)", options);
}

static int import_dicom(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx,
			struct ml_err *err)
{
	bool deid;
	unsigned deid_options;
	if (parse_options(opts->options, &deid, &deid_options, err))
		return -1;
	if (!opts->data_dir)
		return ml_err_set(err, ML_EINVAL, "'%s': DICOM import needs the data folder to store media", path);
	uint8_t secret[AUTH_SECRET_MAX];
	size_t secret_len;
	if (auth_deployment_secret(opts->data_dir, true, secret, &secret_len, err))
		return -1;
	struct walk w = {0};
	walk_tls = &w;
	int ret = 0;
	struct stat st;
	if (stat(path, &st)) {
		ret = ml_err_set(err, ML_ENOTFOUND, "cannot read '%s'", path);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		if (nftw(path, collect, 32, FTW_PHYS) < 0) {
			ret = ml_err_set(err, ML_EIO, "cannot walk '%s'", path);
			goto done;
		}
		if (w.too_many) {
			ret = ml_err_set(err, ML_ELIMIT, "'%s' holds more than %d files: import it in parts", path, MAX_FILES);
			goto done;
		}
	} else {
		collect(path, &st, FTW_F, NULL);
	}
	for (size_t i = 0; i < w.n; i++)
		if (read_header(&w.v[i], secret, secret_len, err)) {
			ret = -1;
			goto done;
		}
	qsort(w.v, w.n, sizeof *w.v, by_series_then_position);
	for (size_t i = 0; i < w.n;) {
		size_t j = i;
		while (j < w.n && !strcmp(w.v[j].series, w.v[i].series))
			j++;
		for (size_t k = i; k < j; k++)
			if (store_instance(&w.v[k], opts, deid, deid_options, secret, secret_len, err)) {
				ret = -1;
				goto done;
			}
		if (emit_series(w.v + i, j - i, opts, emit, ctx, err)) {
			ret = -1;
			if (err && err->code == ML_EINVAL)
				io_err_at_line(err, w.v[i].path, 0);
			goto done;
		}
		i = j;
	}
done:
	for (size_t i = 0; i < w.n; i++)
		ml_free(w.v[i].path);
	ml_free(w.v);
	walk_tls = NULL;
	sodium_memzero(secret, sizeof secret);
	return ret;
}

IO_IMPORTER(dicom, "dicom", ".dcm,.dicom", "DICOM files or folders: one item per series, optionally de-identified (--format-opt deid)",
	    import_dicom)
