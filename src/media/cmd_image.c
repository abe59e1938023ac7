/* cmd_image.c: `medlabel image ...`: decode and render DICOM frames, build volumes from DICOM series,
 * read NIfTI files. Used by people and by the pixel conformance tests. */
#include "cli/cli.h"
#include "dicom/dicom.h"
#include "media/media.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int write_out(struct cli_ctx *ctx, const char *path, const void *p, size_t n)
{
	struct ml_err err;
	if (!path || strcmp(path, "-") == 0) {
		if (fwrite(p, 1, n, stdout) != n)
			return cli_fail(ctx, "cannot write to standard output");
		return 0;
	}
	if (ml_file_write_atomic(path, p, n, &err) < 0)
		return cli_fail_err(ctx, &err);
	return 0;
}

/* image frame FILE [--frame N] [--format png|raw16|decoded] [--preset P] [--window C,W] [--thumb N] [--out F] */
static int run_frame(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *file = NULL, *out = NULL, *format = "png", *v;
	struct media_frame_request req;
	memset(&req, 0, sizeof(req));
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--frame", &v)) {
			if (parse_u32(v, &req.frame) < 0)
				return cli_usage_error(ctx, "--frame wants a number");
		} else if (cli_opt(argc, argv, &i, "--format", &v)) {
			format = v;
		} else if (cli_opt(argc, argv, &i, "--preset", &v)) {
			req.preset = v;
		} else if (cli_opt(argc, argv, &i, "--window", &v)) {
			if (sscanf(v, "%lf,%lf", &req.center, &req.width) != 2)
				return cli_usage_error(ctx, "--window wants CENTER,WIDTH");
			req.has_window = true;
		} else if (cli_opt(argc, argv, &i, "--thumb", &v)) {
			if (parse_u32(v, &req.max_size) < 0)
				return cli_usage_error(ctx, "--thumb wants a size in pixels");
		} else if (cli_opt(argc, argv, &i, "--out", &v)) {
			out = v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		} else if (!file) {
			file = argv[i];
		} else {
			return cli_usage_error(ctx, "one file at a time");
		}
	}
	if (!file)
		return cli_usage_error(ctx, "which file?");
	struct ml_err err;
	struct ml_buf body, meta;
	ml_buf_init(&body, 0);
	ml_buf_init(&meta, 0);
	int rc = CLI_OK;
	if (strcmp(format, "decoded") == 0) {
		/* The decoded samples as they are (little endian, interleaved) and their description on stdout. */
		struct dicom_file *f = NULL;
		struct dicom_read_opts opts;
		memset(&opts, 0, sizeof(opts));
		struct media_dicom_image mi;
		struct media_frame fr;
		media_frame_init(&fr);
		if (dicom_open(file, &opts, &f, &err) < 0)
			return cli_fail_err(ctx, &err);
		if (media_dicom_load(f, &mi, &err) < 0) {
			dicom_free(f);
			return cli_fail_err(ctx, &err);
		}
		if (media_dicom_decode(&mi, req.frame, &fr, &err) < 0) {
			rc = cli_fail_err(ctx, &err);
		} else {
			printf("{\"rows\":%u,\"columns\":%u,\"samples\":%u,\"dtype\":\"%s\",\"photometric\":\"%s\","
			       "\"bits_stored\":%u,\"frames\":%u}\n",
			       (unsigned)fr.rows, (unsigned)fr.columns, (unsigned)fr.samples, media_dtype_name(fr.dtype),
			       media_pi_name(fr.photometric), (unsigned)fr.bits_stored, (unsigned)mi.desc.number_of_frames);
			fflush(stdout);
			rc = out ? write_out(ctx, out, fr.data, fr.len) : CLI_OK;
		}
		media_frame_release(&fr);
		media_dicom_release(&mi);
		dicom_free(f);
		return rc;
	}
	if (strcmp(format, "png") == 0)
		req.format = MEDIA_FORMAT_PNG;
	else if (strcmp(format, "raw16") == 0)
		req.format = MEDIA_FORMAT_RAW16;
	else
		return cli_usage_error(ctx, "--format is png, raw16 or decoded");
	const char *ctype;
	if (media_dicom_render(file, &req, &body, &meta, &ctype, &err) < 0) {
		rc = cli_fail_err(ctx, &err);
	} else {
		if (meta.len)
			fprintf(out ? stdout : stderr, "%s\n", meta.data);
		rc = write_out(ctx, out, body.data, body.len);
	}
	ml_buf_release(&body);
	ml_buf_release(&meta);
	return rc;
}
CLI_COMMAND(image_frame, "image frame", "FILE [--frame N] [--format png|raw16|decoded] [--preset NAME] "
	    "[--window C,W] [--thumb N] [--out PATH]", "decode and render one frame of a DICOM file", run_frame);

/* Files given on the command line, folders expanded one level (sorted names). */
static int collect(const char *path, char ***list, size_t *n)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int k = scandir(path, &ents, NULL, alphasort);
		if (k < 0)
			return -1;
		for (int i = 0; i < k; i++) {
			if (ents[i]->d_name[0] != '.') {
				char *p = ml_xasprintf("%s/%s", path, ents[i]->d_name);
				struct stat s2;
				if (stat(p, &s2) == 0 && S_ISREG(s2.st_mode)) {
					*list = ml_xrealloc(*list, (*n + 1) * sizeof(char *));
					(*list)[(*n)++] = p;
				} else {
					ml_free(p);
				}
			}
			free(ents[i]);
		}
		free(ents);
		return 0;
	}
	*list = ml_xrealloc(*list, (*n + 1) * sizeof(char *));
	(*list)[(*n)++] = ml_xstrdup(path);
	return 0;
}

/* image volume FILE|DIR... [--series UID] [--nifti OUT] [--float]: prints the series report as JSON. */
static int run_volume(struct cli_ctx *ctx, int argc, char **argv)
{
	char **files = NULL;
	size_t nfiles = 0;
	const char *nifti = NULL, *series = NULL, *v;
	bool as_float = false;
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--nifti", &v))
			nifti = v;
		else if (cli_opt(argc, argv, &i, "--series", &v))
			series = v;
		else if (strcmp(argv[i], "--float") == 0)
			as_float = true;
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (collect(argv[i], &files, &nfiles) < 0)
			return cli_fail(ctx, "cannot read '%s'", argv[i]);
	}
	if (nfiles == 0)
		return cli_usage_error(ctx, "which files?");
	struct ml_err err;
	int rc = CLI_OK;
	struct media_dicom_series ser;
	media_dicom_series_init(&ser);
	struct media_series_plan plan;
	media_series_plan_init(&plan);
	struct media_volume vol;
	media_volume_init(&vol);
	size_t ref = 0;
	if (media_dicom_series_read(&ser, (const char *const *)files, nfiles, &err) < 0)
		rc = cli_fail_err(ctx, &err);
	else if ((ref = media_dicom_series_find(&ser, series)) == SIZE_MAX)
		rc = cli_fail(ctx, "no slice of series '%s' among %zu files", series ? series : "", nfiles);
	else if (media_series_plan(ser.slices, ser.n, ref, &plan, &err) < 0)
		rc = cli_fail_err(ctx, &err);
	else if (nifti && (media_dicom_volume(&ser, &plan, as_float, &vol, &err) < 0 ||
			   media_nifti_write(nifti, &vol, &err) < 0))
		rc = cli_fail_err(ctx, &err);
	if (rc == CLI_OK) {
		const struct media_series_report *r = &plan.report;
		printf("{\"slices\":%zu,\"slots\":%u,\"step\":%.17g,\"duplicates\":%zu,\"gaps\":%zu,\"missing\":%zu,"
		       "\"inconsistent_spacing\":%s,\"excluded\":%zu,\"summary\":\"%s\"}\n",
		       plan.n, (unsigned)plan.nslots, r->step, r->duplicates, r->gaps, r->missing,
		       r->inconsistent_spacing ? "true" : "false", r->excluded, r->summary);
	}
	media_volume_release(&vol);
	media_series_plan_release(&plan);
	media_dicom_series_release(&ser);
	for (size_t i = 0; i < nfiles; i++)
		ml_free(files[i]);
	ml_free(files);
	return rc;
}
CLI_COMMAND(image_volume, "image volume", "FILE|DIR... [--series UID] [--nifti OUT.nii[.gz]] [--float]",
	    "sort a DICOM series into a volume, report gaps and spacing, write NIfTI", run_volume);

/* image nifti FILE: dims, spacing, LPS affine and value range as JSON. */
static int run_nifti(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(ctx, "one NIfTI file");
	struct media_volume v;
	media_volume_init(&v);
	struct ml_err err;
	if (media_nifti_read(argv[0], &v, &err) < 0)
		return cli_fail_err(ctx, &err);
	double lo = INFINITY, hi = -INFINITY;
	size_t n = (size_t)v.dims[0] * v.dims[1] * v.dims[2];
	struct media_frame view = {.dtype = v.dtype, .data = v.data};
	for (size_t i = 0; i < n; i++) {
		double x = media_frame_get(&view, i);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	printf("{\"dims\":[%u,%u,%u],\"dtype\":\"%s\",\"spacing\":[%.17g,%.17g,%.17g],\"min\":%.17g,\"max\":%.17g,"
	       "\"affine_lps\":[",
	       (unsigned)v.dims[0], (unsigned)v.dims[1], (unsigned)v.dims[2], media_dtype_name(v.dtype), v.spacing[0],
	       v.spacing[1], v.spacing[2], lo, hi);
	for (int r = 0; r < 4; r++)
		printf("%s[%.17g,%.17g,%.17g,%.17g]", r ? "," : "", v.affine[r][0], v.affine[r][1], v.affine[r][2],
		       v.affine[r][3]);
	printf("]}\n");
	media_volume_release(&v);
	return CLI_OK;
}
CLI_COMMAND(image_nifti, "image nifti", "FILE", "print a NIfTI volume's geometry and value range", run_nifti);
