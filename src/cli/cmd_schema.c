/* cmd_schema.c: `medlabel schema set|show`: a project's labeling schema, versioned. */
#include "cli/cli.h"
#include "label/label.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_set(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error(ctx, "expected PROJECT FILE");
	struct ml_err err = {0};
	char *json;
	size_t len;
	if (ml_file_read(argv[1], LABEL_MAX_SCHEMA_BYTES, &json, &len, &err))
		return cli_fail_err(ctx, &err);
	/* Validated by the label module (format, controls, hotkeys, references), stored verbatim. */
	struct label_schema *schema = NULL;
	if (label_schema_parse(json, len, &schema, &err)) {
		ml_free(json);
		if (err.field[0])
			return cli_fail(ctx, "'%s': %s (at %s)", argv[1], err.msg, err.field);
		return cli_fail(ctx, "'%s': %s", argv[1], err.msg);
	}
	label_schema_free(schema);
	struct store *s;
	if (cli_store_open(ctx, &s)) {
		ml_free(json);
		return CLI_BAD_INPUT;
	}
	struct store_project p;
	int rc = cli_project(ctx, s, argv[0], &p);
	if (rc == CLI_OK) {
		int v;
		if (store_schema_add(s, p.id, json, 0, &v, &err))
			rc = cli_fail_err(ctx, &err);
		else
			printf("schema version %d\n", v);
		store_project_release(&p);
	}
	ml_free(json);
	store_close(s);
	return rc;
}

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL;
	long version = 0;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--version", &v)) {
			char *end;
			version = strtol(v, &end, 10);
			if (*end || version < 1)
				return cli_usage_error(ctx, "--version must be a positive number");
		} else if (argv[i][0] == '-') {
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		} else if (project) {
			return cli_usage_error(ctx, "expected one PROJECT");
		} else {
			project = argv[i];
		}
	}
	if (!project)
		return cli_usage_error(ctx, "missing PROJECT");
	struct store *s;
	if (cli_store_open(ctx, &s))
		return CLI_BAD_INPUT;
	struct store_project p;
	int rc = cli_project(ctx, s, project, &p);
	if (rc == CLI_OK) {
		struct ml_err err = {0};
		char *json;
		int got;
		if (store_schema_get(s, p.id, (int)version, &json, &got, &err)) {
			rc = cli_fail_err(ctx, &err);
		} else {
			fputs(json, stdout);
			if (!*json || json[strlen(json) - 1] != '\n')
				putchar('\n');
			ml_free(json);
		}
		store_project_release(&p);
	}
	store_close(s);
	return rc;
}

CLI_COMMAND(schema_set, "schema set", "PROJECT FILE", "store FILE as the project's next labeling schema version", run_set)
CLI_COMMAND(schema_show, "schema show", "PROJECT [--version N]", "print a project's labeling schema (latest by default)",
	    run_show)
