/* cmd_init.c: `medlabel init [DIR]`: creates a data folder with its database and media folder. */
#include "auth/auth.h"
#include "cli/cli.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int run_init(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *dir = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		if (dir)
			return cli_usage_error(ctx, "expected one folder, got '%s' and '%s'", dir, argv[i]);
		dir = argv[i];
	}
	if (!dir)
		dir = ctx->data_dir;
	struct ml_err err = {0};
	char media[4200], db[4200];
	snprintf(media, sizeof media, "%s/media", dir);
	uint8_t secret[AUTH_SECRET_MAX];
	size_t secret_len;
	if (ml_mkdirs(dir, 0750, &err) || ml_mkdirs(media, 0750, &err) ||
	    auth_deployment_secret(dir, true, secret, &secret_len, &err) ||
	    store_url_for(ctx->db_url, dir, db, sizeof db, &err))
		return cli_fail_err(ctx, &err);
	struct store *s;
	if (store_open_in(db, dir, &s, &err))
		return cli_fail_err(ctx, &err);
	printf("initialised '%s' (schema version %d)\n", dir, store_db_version(s));
	store_close(s);
	return CLI_OK;
}

CLI_COMMAND(init, "init", "[DIR]", "create a data folder (database and media store); DIR defaults to --data", run_init)
