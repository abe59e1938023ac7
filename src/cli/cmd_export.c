/* cmd_export.c: `medlabel export PROJECT`: streams a project (or a pinned snapshot) in a chosen format,
 * with a manifest, optional deterministic splits; and `medlabel formats`. */
#include "cli/cli.h"
#include "io/io.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct cli_progress *p = ctx;
	p->total = total;
	cli_progress_update(p, done);
}

static int run_export(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *split_spec = NULL, *group = NULL, *seed = NULL, *state = NULL;
	struct io_export_opts opts = {.format = "jsonl", .state = -1, .data_dir = ctx->data_dir};
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--format", &v))
			opts.format = v;
		else if (cli_opt(argc, argv, &i, "--out", &v))
			opts.out_path = v;
		else if (cli_opt(argc, argv, &i, "--manifest", &v))
			opts.manifest_path = v;
		else if (cli_opt(argc, argv, &i, "--snapshot", &v))
			opts.snapshot = v;
		else if (cli_opt(argc, argv, &i, "--split", &v))
			split_spec = v;
		else if (cli_opt(argc, argv, &i, "--group-by", &v))
			group = v;
		else if (cli_opt(argc, argv, &i, "--split-seed", &v))
			seed = v;
		else if (cli_opt(argc, argv, &i, "--state", &v))
			state = v;
		else if (cli_opt(argc, argv, &i, "--format-opt", &v))
			opts.options = v;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (project)
			return cli_usage_error(ctx, "expected one PROJECT");
		else
			project = argv[i];
	}
	if (!project)
		return cli_usage_error(ctx, "missing PROJECT");
	const struct io_exporter *exp = io_exporter_find(opts.format);
	if (!exp)
		return cli_usage_error(ctx, "unknown export format '%s' (see medlabel formats)", opts.format);
	if (exp->writes_folder && !opts.out_path)
		return cli_usage_error(ctx, "format '%s' writes a folder of files: give --out DIR/index.jsonl", exp->name);
	struct io_split split;
	struct ml_err err = {0};
	if (split_spec) {
		if (io_split_parse(split_spec, &split, &err))
			return cli_usage_error(ctx, "--split: %s", err.msg);
		if (group && strcmp(group, "patient") && strcmp(group, "item"))
			return cli_usage_error(ctx, "--group-by must be 'patient' or 'item'");
		split.by_patient = group && !strcmp(group, "patient");
		if (seed) {
			if (!*seed || strlen(seed) >= sizeof split.seed)
				return cli_usage_error(ctx, "--split-seed must be 1 to %zu characters", sizeof split.seed - 1);
			snprintf(split.seed, sizeof split.seed, "%s", seed);
		}
		opts.split = &split;
	} else if (group || seed) {
		return cli_usage_error(ctx, "--group-by and --split-seed need --split");
	}
	if (state && (opts.state = store_task_state_parse(state)) < 0)
		return cli_usage_error(ctx, "--state must be one of open, in-progress, submitted, in-review, adjudication, done");
	if (opts.snapshot && !*opts.snapshot)
		return cli_usage_error(ctx, "--snapshot needs a name");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct cli_progress prog;
	cli_progress_init(&prog, "export", 0);
	opts.progress = on_progress;
	opts.progress_ctx = &prog;
	struct io_export_result res;
	int rc = CLI_OK;
	if (io_export_run(s, &p, &opts, &res, &err))
		rc = err.code == ML_EINVAL && strstr(err.msg, "--") ? cli_usage_error(ctx, "%s", err.msg) : cli_fail_err(ctx, &err);
	cli_progress_finish(&prog, res.items);
	if (rc == CLI_OK && opts.out_path)
		fprintf(stderr, "exported %llu items and %llu annotations to '%s' (blake2b-256 %s)%s\n",
			(unsigned long long)res.items, (unsigned long long)res.annotations, opts.out_path, res.blake2b,
			res.snapshot_created ? "; pinned as a new snapshot" : "");
	store_project_release(&p);
	store_close(s);
	return rc;
}

CLI_COMMAND(export, "export", "PROJECT [--format jsonl] [--out PATH] [--manifest PATH] [--snapshot NAME] "
	    "[--split train=0.8,val=0.1,test=0.1 [--group-by patient] [--split-seed S]] [--state STATE]",
	    "export items with their latest annotations; --snapshot pins (or re-exports) an exact, reproducible set",
	    run_export)

static void list_importer(void *ctx, const struct io_importer *imp)
{
	(void)ctx;
	printf("  import  %-12s %-18s %s\n", imp->name, imp->extensions, imp->summary);
}

static void list_exporter(void *ctx, const struct io_exporter *exp)
{
	(void)ctx;
	printf("  export  %-12s %-18s %s%s\n", exp->name, exp->extension, exp->summary,
	       exp->manifest ? "" : " (manifest needs --out or --manifest)");
}

static int run_formats(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[0]);
	io_importer_each(list_importer, NULL);
	io_exporter_each(list_exporter, NULL);
	return CLI_OK;
}

CLI_COMMAND(formats, "formats", "", "list the import and export formats this medlabel knows", run_formats)
