/* cmd_import.c: `medlabel import PROJECT FILE...`: streams files through an importer into the store in
 * batches, each batch one transaction, so a crash or a bad line never leaves half an item behind. */
#include "cli/cli.h"
#include "io/io.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_progress(void *ctx, uint64_t items)
{
	cli_progress_update(ctx, items);
}

/* The project's default overlap from its settings ({"overlap": N}); 1 when unset. */
static int project_overlap(const struct store_project *p)
{
	json_t *o = json_loads(p->settings_json, 0, NULL);
	int ov = 1;
	if (o && json_is_integer(json_object_get(o, "overlap")))
		ov = (int)json_integer_value(json_object_get(o, "overlap"));
	json_decref(o);
	return ov < 1 ? 1 : ov;
}

static int run_import(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *format = NULL, *source = NULL, *fopt = NULL;
	long batch = 5000;
	const char **files = ml_xcalloc((size_t)argc + 1, sizeof *files);
	int nfiles = 0;
	int rc = CLI_OK;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--format", &v)) {
			format = v;
		} else if (cli_opt(argc, argv, &i, "--source", &v)) {
			source = v;
		} else if (cli_opt(argc, argv, &i, "--format-opt", &v)) {
			fopt = v;
		} else if (cli_opt(argc, argv, &i, "--batch", &v)) {
			char *end;
			batch = strtol(v, &end, 10);
			if (*end || batch < 1 || batch > 1000000) {
				rc = cli_usage_error(ctx, "--batch must be a number from 1 to 1000000");
				goto out;
			}
		} else if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++)
				files[nfiles++] = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = cli_usage_error(ctx, "unknown option '%s'", argv[i]);
			goto out;
		} else if (!project) {
			project = argv[i];
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (!project || !nfiles) {
		rc = cli_usage_error(ctx, "expected PROJECT FILE...");
		goto out;
	}
	const struct io_importer *forced = NULL;
	if (format && !(forced = io_importer_find(format))) {
		rc = cli_usage_error(ctx, "unknown import format '%s' (see medlabel formats)", format);
		goto out;
	}
	enum store_source src = STORE_SRC_OTHER;
	if (source && !(src = store_source_parse(source))) {
		rc = cli_usage_error(ctx, "--source must be one of ehr, imaging, survey, other");
		goto out;
	}
	for (int k = 0; k < nfiles && !forced; k++)
		if (!io_importer_guess(files[k])) {
			rc = cli_usage_error(ctx, "cannot tell the format of '%s' from its name: use --format", files[k]);
			goto out;
		}
	struct store *s;
	if (cli_store_open(ctx, &s)) {
		rc = CLI_BAD_INPUT;
		goto out;
	}
	struct store_project p;
	if (cli_project(ctx, s, project, &p)) {
		store_close(s);
		rc = CLI_BAD_INPUT;
		goto out;
	}
	struct cli_progress prog;
	cli_progress_init(&prog, "import", 0);
	struct io_import_opts opts = {.project_id = p.id, .data_dir = ctx->data_dir, .modality = STORE_MOD_TEXT,
				      .source = src, .options = fopt};
	struct io_import_stats st;
	struct ml_err err = {0};
	if (io_import_files(s, p.id, files, nfiles, forced, &opts, project_overlap(&p), batch, on_progress, &prog, &st,
			    &err))
		rc = cli_fail_err(ctx, &err);
	cli_progress_finish(&prog, st.items);
	if (rc == CLI_OK)
		printf("imported %llu items into project %lld\n", (unsigned long long)st.items, (long long)p.id);
	else if (st.committed)
		fprintf(stderr, "%s %s: %llu items of earlier batches were kept; the batch with the error was not imported\n",
			ctx->prog, ctx->command, (unsigned long long)st.committed);
	store_project_release(&p);
	store_close(s);
out:
	ml_free(files);
	return rc;
}

CLI_COMMAND(import, "import", "PROJECT FILE... [--format NAME] [--source ehr|imaging|survey|other] [--batch N]",
	    "import items (.jsonl lines {\"text\":…,\"meta\":…}, .txt files, or --format NAME; see medlabel formats)",
	    run_import)
