/* cli_store.c: opening the deployment's store and naming projects, shared by the commands. */
#include "cli/cli.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_store_open(struct cli_ctx *ctx, struct store **out)
{
	struct ml_err err = {0};
	char url[4200];
	if (store_url_for(ctx->db_url, ctx->data_dir, url, sizeof url, &err))
		return cli_fail_err(ctx, &err);
	if (!strncmp(url, "sqlite:", 7)) {
		struct stat sb;
		if (stat(ctx->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return cli_fail(ctx, "no data folder at '%s' (create one with: medlabel init %s)", ctx->data_dir,
					ctx->data_dir);
	}
	if (store_open_in(url, ctx->data_dir, out, &err))
		return cli_fail_err(ctx, &err);
	return 0;
}

int cli_project(struct cli_ctx *ctx, struct store *s, const char *id_or_name, struct store_project *out)
{
	struct ml_err err = {0};
	if (store_project_find(s, id_or_name, out, &err))
		return cli_fail_err(ctx, &err);
	return 0;
}

int cli_open_project(struct cli_ctx *ctx, const char *id_or_name, struct store **s, struct store_project *p)
{
	if (cli_store_open(ctx, s))
		return -1;
	if (cli_project(ctx, *s, id_or_name, p)) {
		store_close(*s);
		*s = NULL;
		return -1;
	}
	return 0;
}
