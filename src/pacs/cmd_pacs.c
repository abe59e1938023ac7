/* cmd_pacs.c: `medlabel pacs pull` (QIDO-RS, WADO-RS, then the DICOM importer) and `medlabel pacs push`
 * (the dicom-seg export, then STOW-RS). A pull leaves out segmentations, reports, presentation states and key
 * object selections (Modality SEG, SR, PR, KO): they are not images to label, and a study we pushed to
 * holds our own SEG. Retrieved files wait in a private folder inside the data folder
 * (never /tmp: they may hold PHI until the importer de-identifies them) and are removed afterwards. */
#define _XOPEN_SOURCE 700
#include "cli/cli.h"
#include "dicom/dicom.h"
#include "io/io.h"
#include "pacs/pacs.h"
#include "store/store.h"

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct pacs_args {
	const char *project, *url, *study, *fopt;
	long timeout;
};

static int parse(struct cli_ctx *ctx, int argc, char **argv, bool pull, struct pacs_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--url", &v))
			a->url = v;
		else if (pull && cli_opt(argc, argv, &i, "--study", &v))
			a->study = v;
		else if (pull && cli_opt(argc, argv, &i, "--format-opt", &v))
			a->fopt = v;
		else if (cli_opt(argc, argv, &i, "--timeout", &v)) {
			char *end;
			a->timeout = strtol(v, &end, 10);
			if (*end || a->timeout < 1 || a->timeout > 86400)
				return cli_usage_error(ctx, "--timeout must be 1 to 86400 seconds");
		} else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!a->project)
			a->project = argv[i];
		else
			return cli_usage_error(ctx, "unexpected argument '%s'", argv[i]);
	}
	if (!a->project || !a->url || (pull && !a->study))
		return cli_usage_error(ctx, pull ? "expected PROJECT --url URL --study UID" : "expected PROJECT --url URL");
	if (pull && !pacs_uid_valid(a->study))
		return cli_usage_error(ctx, "--study must be a UID (digits and dots, at most 64)");
	return 0;
}

/* Removes retrieved objects that are not images to label (segmentations, reports, presentation states,
 * key object selections: a study that was pushed to holds our own SEG); returns how many. */
static size_t drop_non_images(const char *dir, size_t nfiles)
{
	size_t dropped = 0;
	for (size_t i = 0; i < nfiles; i++) {
		char path[4300], modality[17] = "";
		snprintf(path, sizeof path, "%s/inst-%05zu.dcm", dir, i);
		struct dicom_read_opts ro = {.stop_before_pixels = true};
		struct dicom_file *f;
		struct ml_err err = {0};
		if (dicom_open(path, &ro, &f, &err))
			continue; /* the importer reports unreadable files */
		dicom_get_str(&f->root, DICOM_TAG(0x0008, 0x0060), modality, sizeof modality);
		dicom_free(f);
		if (!strcmp(modality, "SEG") || !strcmp(modality, "SR") || !strcmp(modality, "PR") || !strcmp(modality, "KO")) {
			unlink(path);
			dropped++;
		}
	}
	return dropped;
}

static int make_tmp(struct cli_ctx *ctx, char *dir, size_t n)
{
	snprintf(dir, n, "%s/tmp-pacs-XXXXXX", ctx->data_dir);
	if (!mkdtemp(dir))
		return cli_fail(ctx, "cannot create a work folder in the data folder");
	return 0;
}

static int run_pull(struct cli_ctx *ctx, int argc, char **argv)
{
	struct pacs_args a;
	int rc = parse(ctx, argc, argv, true, &a);
	if (rc)
		return rc;
	struct pacs_conn c = {.url = a.url, .token = getenv("MEDLABEL_PACS_TOKEN"), .timeout_s = a.timeout};
	struct ml_err err = {0};
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, a.project, &s, &p))
		return CLI_BAD_INPUT;
	char **uids = NULL;
	size_t nuids = 0, nfiles = 0;
	char dir[4200] = "";
	rc = CLI_OK;
	if (pacs_qido_instances(&c, a.study, &uids, &nuids, &err))
		rc = cli_fail_err(ctx, &err);
	else if (make_tmp(ctx, dir, sizeof dir))
		rc = CLI_BAD_INPUT;
	else if (pacs_wado_study(&c, a.study, dir, &nfiles, &err))
		rc = cli_fail_err(ctx, &err);
	else if (nfiles != nuids)
		rc = cli_fail(ctx, "WADO-RS retrieve gave %zu instances where QIDO-RS listed %zu", nfiles, nuids);
	struct io_import_stats st = {0};
	size_t dropped = rc == CLI_OK ? drop_non_images(dir, nfiles) : 0;
	if (rc == CLI_OK && dropped == nfiles)
		rc = cli_fail(ctx, "the study holds no images (%zu segmentations, reports or presentation states)", dropped);
	if (rc == CLI_OK) {
		const char *files[1] = {dir};
		struct io_import_opts opts = {.project_id = p.id, .data_dir = ctx->data_dir, .modality = STORE_MOD_DICOM_SERIES,
					      .source = STORE_SRC_IMAGING, .options = a.fopt};
		if (io_import_files(s, p.id, files, 1, io_importer_find("dicom"), &opts, 1, 5000, NULL, NULL, &st, &err))
			rc = cli_fail_err(ctx, &err);
	}
	if (rc == CLI_OK)
		printf("pulled %zu instances (%zu segmentations, reports or presentation states left out): imported %llu "
		       "items into project %lld\n", nfiles, dropped, (unsigned long long)st.items, (long long)p.id);
	if (dir[0])
		rm_tree(dir);
	pacs_uids_free(uids, nuids);
	store_project_release(&p);
	store_close(s);
	return rc;
}

static int run_push(struct cli_ctx *ctx, int argc, char **argv)
{
	struct pacs_args a;
	int rc = parse(ctx, argc, argv, false, &a);
	if (rc)
		return rc;
	struct pacs_conn c = {.url = a.url, .token = getenv("MEDLABEL_PACS_TOKEN"), .timeout_s = a.timeout};
	struct ml_err err = {0};
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, a.project, &s, &p))
		return CLI_BAD_INPUT;
	char dir[4200], index[4300];
	rc = make_tmp(ctx, dir, sizeof dir);
	snprintf(index, sizeof index, "%s/index.jsonl", dir);
	struct io_export_opts opts = {.format = "dicom-seg", .out_path = index, .state = -1, .data_dir = ctx->data_dir};
	struct io_export_result res;
	if (rc == CLI_OK && io_export_run(s, &p, &opts, &res, &err))
		rc = cli_fail_err(ctx, &err);
	/* the SEG files the index lists, in its order */
	char **files = NULL;
	size_t n = 0;
	if (rc == CLI_OK) {
		char *text;
		size_t len;
		if (ml_file_read(index, 64u << 20, &text, &len, &err))
			rc = cli_fail_err(ctx, &err);
		for (char *line = rc ? NULL : strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			json_t *o = json_loads(line, 0, NULL);
			const char *f = json_string_value(json_object_get(o, "file"));
			if (f && !strchr(f, '/')) {
				files = ml_xrealloc(files, (n + 1) * sizeof *files);
				files[n++] = ml_xasprintf("%s/%s", dir, f);
			}
			json_decref(o);
		}
		if (!rc)
			ml_free(text);
	}
	size_t stored = 0;
	if (rc == CLI_OK && n == 0)
		printf("nothing to push: no series item of project %lld has a mask, polygon or 3-D object\n", (long long)p.id);
	else if (rc == CLI_OK && pacs_stow(&c, (const char *const *)files, n, &stored, &err))
		rc = cli_fail_err(ctx, &err);
	else if (rc == CLI_OK)
		printf("pushed %zu DICOM SEG instances\n", stored);
	for (size_t i = 0; i < n; i++)
		ml_free(files[i]);
	ml_free(files);
	rm_tree(dir);
	store_project_release(&p);
	store_close(s);
	return rc;
}

CLI_COMMAND(pacs_pull, "pacs pull", "PROJECT --url URL --study UID [--format-opt deid[=OPTIONS]] [--timeout S]",
	    "retrieve a study from a DICOMweb server (QIDO-RS, WADO-RS) and import it", run_pull)
CLI_COMMAND(pacs_push, "pacs push", "PROJECT --url URL [--timeout S]",
	    "store the project's segmentations on a DICOMweb server as DICOM SEG (STOW-RS)", run_push)
