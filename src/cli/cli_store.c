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
	const char *url = getenv("MEDLABEL_STORE");
	char path[4200];
	if (!url || !*url) {
		struct stat sb;
		if (stat(ctx->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return cli_fail(ctx, "no data folder at '%s' (create one with: medlabel init %s)", ctx->data_dir,
					ctx->data_dir);
		snprintf(path, sizeof path, "sqlite:%s/medlabel.db", ctx->data_dir);
		url = path;
	}
	if (store_open(url, out, &err))
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
