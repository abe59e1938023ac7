/* cmd_db.c: `medlabel db copy SRC DST`: moves a deployment's database between backends (SQLite ->
 * PostgreSQL and back) with every row and id, so the audit chain verifies and exports stay identical. */
#include "cli/cli.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int run_copy(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *src_url = NULL, *dst_url = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		if (!src_url)
			src_url = argv[i];
		else if (!dst_url)
			dst_url = argv[i];
		else
			return cli_usage_error(ctx, "expected two databases (SRC DST), got a third: '%s'", argv[i]);
	}
	if (!src_url || !dst_url)
		return cli_usage_error(ctx, "expected a source and a destination database");
	if (!strcmp(src_url, dst_url))
		return cli_usage_error(ctx, "the source and the destination are the same database");
	/* Opening the destination creates and migrates it if it is new: store_copy then checks it is empty. */
	struct ml_err err = {0};
	struct store *src = NULL, *dst = NULL;
	if (store_open_in(src_url, ctx->data_dir, &src, &err))
		return cli_fail(ctx, "source: %s", err.msg);
	if (store_open_in(dst_url, ctx->data_dir, &dst, &err)) {
		store_close(src);
		return cli_fail(ctx, "destination: %s", err.msg);
	}
	int64_t rows = 0;
	int rc = CLI_OK;
	if (store_copy(src, dst, &rows, &err))
		rc = cli_fail_err(ctx, &err);
	else
		printf("copied %lld rows (schema version %d)\n", (long long)rows, store_db_version(dst));
	store_close(dst);
	store_close(src);
	return rc;
}

CLI_COMMAND(db_copy, "db copy", "SRC_URL DST_URL",
	    "copy every table (ids kept) into an empty database: sqlite:PATH or postgres://USER@HOST/DB, either way",
	    run_copy)
