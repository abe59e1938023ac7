/* cmd_project.c: `medlabel project create|list|show`. */
#include "cli/cli.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_create(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *desc = "", *overlap = NULL;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--description", &v))
			desc = v;
		else if (cli_opt(argc, argv, &i, "--overlap", &v))
			overlap = v;
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (name)
			return cli_usage_error(ctx, "expected one project name");
		else
			name = argv[i];
	}
	if (!name || !*name)
		return cli_usage_error(ctx, "missing project name");
	long ov = 1;
	if (overlap) {
		char *end;
		ov = strtol(overlap, &end, 10);
		if (*end || ov < 1 || ov > 100)
			return cli_usage_error(ctx, "--overlap must be a whole number from 1 to 100");
	}
	struct store *s;
	if (cli_store_open(ctx, &s))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	int64_t id;
	int rc = CLI_OK;
	if (store_project_create(s, name, desc, &id, &err)) {
		rc = cli_fail_err(ctx, &err);
	} else if (overlap) {
		char settings[64];
		snprintf(settings, sizeof settings, "{\"overlap\":%ld}", ov);
		if (store_project_set_settings(s, id, settings, &err))
			rc = cli_fail_err(ctx, &err);
	}
	if (rc == CLI_OK)
		printf("%lld\n", (long long)id);
	store_close(s);
	return rc;
}

static int print_row(void *ctx, const struct store_project *p)
{
	(void)ctx;
	printf("%lld\t%s\n", (long long)p->id, p->name);
	return 0;
}

static int run_list(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 0)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[0]);
	struct store *s;
	if (cli_store_open(ctx, &s))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	int rc = store_project_list(s, print_row, NULL, &err) ? cli_fail_err(ctx, &err) : CLI_OK;
	store_close(s);
	return rc;
}

static int print_snapshot(void *ctx, const struct store_snapshot *sn)
{
	(void)ctx;
	char t[40];
	ml_time_format(sn->created_at, t, sizeof t);
	printf("snapshot:      %s (%s)\n", sn->name, t);
	return 0;
}

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(ctx, "expected one PROJECT (id or name)");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, argv[0], &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	struct store_project_counts c;
	int rc = CLI_OK;
	if (store_project_counts(s, p.id, &c, &err)) {
		rc = cli_fail_err(ctx, &err);
	} else {
		char t[40];
		ml_time_format(p.created_at, t, sizeof t);
		printf("id:            %lld\nname:          %s\ndescription:   %s\ncreated:       %s\n", (long long)p.id,
		       p.name, p.description, t);
		if (p.schema_version)
			printf("schema:        version %d\n", p.schema_version);
		else
			printf("schema:        none\n");
		printf("settings:      %s\nitems:         %lld\nannotations:   %lld\n", p.settings_json,
		       (long long)c.items, (long long)c.annotations);
		printf("tasks:        ");
		for (int st = STORE_TASK_OPEN; st <= STORE_TASK_DONE; st++)
			printf(" %s=%lld", store_task_state_name((enum store_task_state)st), (long long)c.tasks_by_state[st]);
		printf("\n");
		if (store_snapshot_list(s, p.id, print_snapshot, NULL, &err))
			rc = cli_fail_err(ctx, &err);
	}
	store_project_release(&p);
	store_close(s);
	return rc;
}

CLI_COMMAND(project_create, "project create", "NAME [--description TEXT] [--overlap N]",
	    "create a project and print its id", run_create)
CLI_COMMAND(project_list, "project list", "", "list projects (id and name)", run_list)
CLI_COMMAND(project_show, "project show", "PROJECT", "show a project (by id or name): schema, counts, snapshots", run_show)
