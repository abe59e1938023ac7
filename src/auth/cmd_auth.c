/* cmd_auth.c: `medlabel user ...`, `medlabel token ...` and `medlabel audit verify|export`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cli/cli.h"

static int open_store(struct cli_ctx *ctx, struct store **s)
{
	char db[4200];
	struct ml_err err;
	if (auth_init() != 0)
		return cli_fail(ctx, "cannot initialise libsodium");
	if (ml_mkdirs(ctx->data_dir, 0700, &err) != 0 || store_url_for(ctx->db_url, ctx->data_dir, db, sizeof db, &err) != 0 ||
	    store_open_in(db, ctx->data_dir, s, &err) != 0)
		return cli_fail_err(ctx, &err);
	return 0;
}

/* Reads a password: one line from stdin with --password-stdin, else twice from the terminal unechoed. */
static int read_password(struct cli_ctx *ctx, bool from_stdin, char *out, size_t n)
{
	if (from_stdin || !isatty(STDIN_FILENO)) {
		if (!fgets(out, (int)n, stdin))
			return cli_fail(ctx, "no password on standard input");
		out[strcspn(out, "\r\n")] = '\0';
		return 0;
	}
	struct termios old, quiet;
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	char again[1100];
	fprintf(stderr, "password: ");
	tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	bool ok = fgets(out, (int)n, stdin) != NULL;
	fprintf(stderr, "\nagain: ");
	ok = ok && fgets(again, sizeof again, stdin) != NULL;
	tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fprintf(stderr, "\n");
	if (!ok)
		return cli_fail(ctx, "no password given");
	out[strcspn(out, "\r\n")] = '\0';
	again[strcspn(again, "\r\n")] = '\0';
	if (strcmp(out, again) != 0)
		return cli_fail(ctx, "the passwords differ");
	return 0;
}

static int run_user_add(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL;
	bool admin = false, from_stdin = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--admin"))
			admin = true;
		else if (!strcmp(argv[i], "--password-stdin"))
			from_stdin = true;
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return cli_usage_error(ctx, "one user name expected");
	}
	if (!name)
		return cli_usage_error(ctx, "missing user name");
	if (!*name || strlen(name) > 64 || name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")])
		return cli_fail(ctx, "user name must have 1 to 64 of letters, digits and . _ - @");
	char password[1100], hash[AUTH_HASH_MAX];
	struct store *s;
	int rc;
	if ((rc = open_store(ctx, &s)) != 0)
		return rc;
	if ((rc = read_password(ctx, from_stdin, password, sizeof password)) != 0)
		goto out;
	struct ml_err err;
	int64_t id;
	if (auth_password_hash(password, hash, &err) != 0 || store_user_create(s, name, hash, admin, &id, &err) != 0) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	char obj[64];
	snprintf(obj, sizeof obj, "users/%" PRId64, id);
	if (auth_audit_record(s, 0, "cli", "user.create", obj, "cli", 0, &err) != 0) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	printf("%" PRId64 "\n", id);
out:
	store_close(s);
	return rc;
}

static int user_print(void *c, const struct store_user *u)
{
	char ts[40];
	ml_time_format(u->created_at, ts, sizeof ts);
	printf("%" PRId64 "\t%s\t%s%s\t%s\n", u->id, u->name, u->admin ? "admin" : "user", u->disabled ? ",disabled" : "", ts);
	return 0;
}

static int run_user_list(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage_error(ctx, "no arguments expected");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct ml_err err;
	if (store_user_list(s, user_print, NULL, &err) < 0)
		rc = cli_fail_err(ctx, &err);
	store_close(s);
	return rc;
}

static int find_user(struct cli_ctx *ctx, struct store *s, const char *name, struct store_user *u)
{
	struct ml_err err;
	if (store_user_by_name(s, name, u, &err) != 0)
		return err.code == ML_ENOTFOUND ? cli_fail(ctx, "no user '%s'", name) : cli_fail_err(ctx, &err);
	return 0;
}

static int run_user_passwd(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL;
	bool from_stdin = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--password-stdin"))
			from_stdin = true;
		else if (argv[i][0] == '-' || name)
			return cli_usage_error(ctx, "unexpected argument '%s'", argv[i]);
		else
			name = argv[i];
	}
	if (!name)
		return cli_usage_error(ctx, "missing user name");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct store_user u;
	char password[1100], hash[AUTH_HASH_MAX];
	struct ml_err err;
	if ((rc = find_user(ctx, s, name, &u)) != 0)
		goto out;
	int64_t id = u.id;
	store_user_release(&u);
	if ((rc = read_password(ctx, from_stdin, password, sizeof password)) != 0)
		goto out;
	char obj[64];
	snprintf(obj, sizeof obj, "users/%" PRId64, id);
	if (auth_password_hash(password, hash, &err) != 0 || store_user_set_password(s, id, hash, &err) != 0 ||
	    store_session_delete_user(s, id, NULL, &err) != 0 || auth_must_change_clear(s, id, &err) != 0 ||
	    auth_audit_record(s, 0, "cli", "user.password", obj, "cli", 0, &err) != 0)
		rc = cli_fail_err(ctx, &err);
out:
	store_close(s);
	return rc;
}

static int run_user_disable(struct cli_ctx *ctx, int argc, char **argv)
{
	bool enable = false;
	const char *name = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--enable"))
			enable = true;
		else if (argv[i][0] == '-' || name)
			return cli_usage_error(ctx, "unexpected argument '%s'", argv[i]);
		else
			name = argv[i];
	}
	if (!name)
		return cli_usage_error(ctx, "missing user name");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct store_user u;
	struct ml_err err;
	if ((rc = find_user(ctx, s, name, &u)) == 0) {
		char obj[64];
		snprintf(obj, sizeof obj, "users/%" PRId64, u.id);
		if (store_user_set_disabled(s, u.id, !enable, &err) != 0)
			rc = cli_fail_err(ctx, &err);
		else if (auth_audit_record(s, 0, "cli", enable ? "user.enable" : "user.disable", obj, "cli", 0, &err))
			rc = cli_fail_err(ctx, &err);
		store_user_release(&u);
	}
	store_close(s);
	return rc;
}

static int run_token_create(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *label = "cli";
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--name", &v))
			label = v;
		else if (argv[i][0] == '-' || name)
			return cli_usage_error(ctx, "unexpected argument '%s'", argv[i]);
		else
			name = argv[i];
	}
	if (!name)
		return cli_usage_error(ctx, "missing user name");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct store_user u;
	struct ml_err err;
	if ((rc = find_user(ctx, s, name, &u)) == 0) {
		char *secret;
		int64_t id;
		char obj[64];
		snprintf(obj, sizeof obj, "users/%" PRId64 "/tokens", u.id);
		if (u.disabled)
			rc = cli_fail(ctx, "user '%s' is disabled", name);
		else if (auth_token_create(s, u.id, label, &secret, &id, &err) != 0)
			rc = cli_fail_err(ctx, &err);
		else {
			printf("%s\n", secret);
			ml_free(secret);
			if (auth_audit_record(s, 0, "cli", "token.create", obj, "cli", 0, &err) != 0)
				rc = cli_fail_err(ctx, &err);
		}
		store_user_release(&u);
	}
	store_close(s);
	return rc;
}

static int token_print(void *c, const struct store_token *t)
{
	char ts[40], lu[40] = "never";
	ml_time_format(t->created_at, ts, sizeof ts);
	if (t->last_used_at)
		ml_time_format(t->last_used_at, lu, sizeof lu);
	printf("%" PRId64 "\t%s\tcreated %s\tlast used %s%s\n", t->id, t->name ? t->name : "", ts, lu,
	       t->revoked ? "\trevoked" : "");
	return 0;
}

static int run_token_list(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(ctx, "usage: token list USER");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct store_user u;
	struct ml_err err;
	if ((rc = find_user(ctx, s, argv[0], &u)) == 0) {
		if (store_token_list(s, u.id, token_print, NULL, &err) < 0)
			rc = cli_fail_err(ctx, &err);
		store_user_release(&u);
	}
	store_close(s);
	return rc;
}

static int run_token_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
	char *end;
	long long id = argc == 1 ? strtoll(argv[0], &end, 10) : 0;
	if (argc != 1 || *end || id <= 0)
		return cli_usage_error(ctx, "usage: token revoke TOKEN-ID");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct ml_err err;
	char obj[64];
	snprintf(obj, sizeof obj, "tokens/%lld", id);
	if (store_token_revoke(s, id, &err) != 0 || auth_audit_record(s, 0, "cli", "token.revoke", obj, "cli", 0, &err) != 0)
		rc = cli_fail_err(ctx, &err);
	store_close(s);
	return rc;
}

static int run_audit_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage_error(ctx, "no arguments expected");
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct auth_audit_verifier v;
	auth_audit_verifier_init(&v);
	struct ml_err err;
	if (auth_audit_verify(s, &v, &err) != 0)
		rc = cli_fail_err(ctx, &err);
	else if (v.bad_seq) {
		fprintf(stderr, "medlabel audit verify: first bad record: %" PRId64 ": %s\n", v.bad_seq, v.why);
		rc = CLI_BAD_INPUT;
	} else {
		/* The head hash is worth writing down elsewhere: a chain can only be rewritten wholesale by someone
		 * who can also change every copy of its head. */
		printf("audit trail intact: %" PRId64 " records, head %s\n", v.checked, v.checked ? v.prev_hash : "-");
		if (v.unkeyed)
			printf("%" PRId64 " records (1 to %" PRId64 ") use the unkeyed chain of medlabel before schema 6%s\n",
			       v.unkeyed, v.unkeyed,
			       v.keyed ? ": the keyed records after them seal them" : ": no keyed record seals them yet");
	}
	store_close(s);
	return rc;
}

struct export_ctx {
	struct ml_buf b;
	int64_t n, last_seq;
	int rc;
};

static int export_cb(void *c, const struct store_audit *a)
{
	struct export_ctx *x = c;
	ml_buf_reset(&x->b);
	if (auth_audit_json(a, &x->b) != 0 || ml_buf_putc(&x->b, '\n') != 0 ||
	    fwrite(x->b.data, 1, x->b.len, stdout) != x->b.len) {
		x->rc = -1;
		return 1;
	}
	x->n++;
	x->last_seq = a->seq;
	return 0;
}

static int run_audit_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct store_audit_filter f = {0};
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--since", &v)) {
			if (ml_time_parse(v, &f.since) != 0)
				return cli_usage_error(ctx, "--since '%s' is not an RFC 3339 time", v);
		} else if (cli_opt(argc, argv, &i, "--until", &v)) {
			if (ml_time_parse(v, &f.until) != 0)
				return cli_usage_error(ctx, "--until '%s' is not an RFC 3339 time", v);
		} else
			return cli_usage_error(ctx, "unknown argument '%s'", argv[i]);
	}
	struct store *s;
	int rc = open_store(ctx, &s);
	if (rc)
		return rc;
	struct export_ctx x = {.rc = 0};
	ml_buf_init(&x.b, 0);
	struct ml_err err;
	/* Page by seq so the store never holds a long read transaction over a growing log. */
	for (;;) {
		int64_t before = x.n;
		f.limit = 1000;
		if (store_audit_list(s, &f, export_cb, &x, &err) < 0) {
			rc = cli_fail_err(ctx, &err);
			break;
		}
		if (x.rc) {
			rc = cli_fail(ctx, "cannot write to standard output");
			break;
		}
		if (x.n - before < 1000)
			break;
		f.after_seq = x.last_seq;
	}
	ml_buf_release(&x.b);
	store_close(s);
	return rc;
}

CLI_COMMAND(user_add, "user add", "NAME [--admin] [--password-stdin]", "create a user (prints the id)", run_user_add);
CLI_COMMAND(user_list, "user list", "", "list users", run_user_list);
CLI_COMMAND(user_passwd, "user passwd", "NAME [--password-stdin]", "set a user's password", run_user_passwd);
CLI_COMMAND(user_disable, "user disable", "NAME [--enable]",
	    "disable a user (their sessions and tokens stop at once), or enable again", run_user_disable);
CLI_COMMAND(token_create, "token create", "USER [--name LABEL]", "print a new API token for a user (shown once)",
	    run_token_create);
CLI_COMMAND(token_list, "token list", "USER", "list a user's API tokens with their last use", run_token_list);
CLI_COMMAND(token_revoke, "token revoke", "TOKEN-ID", "revoke an API token", run_token_revoke);
CLI_COMMAND(audit_verify, "audit verify", "", "check the audit trail's hash chain; name the first bad record",
	    run_audit_verify);
CLI_COMMAND(audit_export, "audit export", "[--since TIME] [--until TIME]", "stream the audit trail as JSONL",
	    run_audit_export);
