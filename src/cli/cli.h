/* cli: the `medlabel` command line. Each command lives in its own src/<module>/cmd_*.c or src/cli/cmd_*.c
 * and registers itself with CLI_COMMAND, so adding a command touches no shared table:
 *
 *   static int run_dump(struct cli_ctx *ctx, int argc, char **argv);
 *   CLI_COMMAND(dicom_dump, "dicom dump", "FILE [--json]", "print a DICOM dataset", run_dump);
 *
 * A name may have two words ("deid text"); the dispatcher tries the two-word name first.
 * run() receives argv starting after the command name. Exit codes: 0 success, 1 bad input (the message
 * names the file and line or byte offset), 2 usage error. `--help` is handled by the dispatcher for
 * every command, from the usage and summary strings; a command may print more itself.
 */
#ifndef ML_CLI_H
#define ML_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

enum { CLI_OK = 0, CLI_BAD_INPUT = 1, CLI_USAGE = 2 };

struct cli_ctx {
	const char *data_dir; /* --data, MEDLABEL_DATA, or "./data" */
	const char *db_url;   /* --db or MEDLABEL_DB: the database (postgres://...); NULL = DATA/medlabel.db */
	const char *prog;     /* "medlabel" */
	const char *command;  /* the full command name being run */
};

struct cli_command {
	const char *name;    /* "serve", "deid text" */
	const char *usage;   /* arguments after the name */
	const char *summary; /* one line */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

void cli_register(const struct cli_command *cmd);

#define CLI_COMMAND(id, name_, usage_, summary_, fn)                                               \
	static const struct cli_command cli_cmd_##id = {name_, usage_, summary_, fn};              \
	__attribute__((constructor)) static void cli_register_##id(void) { cli_register(&cli_cmd_##id); }

/* Prints "medlabel CMD: message" and returns CLI_USAGE. */
int cli_usage_error(struct cli_ctx *ctx, const char *fmt, ...) ML_PRINTF(2, 3);
/* Prints "medlabel CMD: message" and returns CLI_BAD_INPUT. */
int cli_fail(struct cli_ctx *ctx, const char *fmt, ...) ML_PRINTF(2, 3);
/* Prints the error and returns CLI_BAD_INPUT (or CLI_USAGE for nothing). */
int cli_fail_err(struct cli_ctx *ctx, const struct ml_err *err);

/* Option parsing helper: returns true and sets *value when argv[*i] is `--name VALUE` or `--name=VALUE`. */
bool cli_opt(int argc, char **argv, int *i, const char *name, const char **value);

/* Opens the deployment's store: $MEDLABEL_STORE if set (a store URL, see store.h), else the SQLite file
 * DATA/medlabel.db, where DATA must exist (made by `medlabel init`). On failure prints the error and
 * returns CLI_BAD_INPUT; 0 on success. */
struct store;
struct store_project;
int cli_store_open(struct cli_ctx *ctx, struct store **out);
/* Finds a project by id or name; prints the error and returns CLI_BAD_INPUT if there is none. The
 * caller releases *out with store_project_release. */
int cli_project(struct cli_ctx *ctx, struct store *s, const char *id_or_name, struct store_project *out);
/* Both at once, for the many commands that work on one project: on failure the store is closed and the
 * error printed; on success the caller closes *s and releases *p. */
int cli_open_project(struct cli_ctx *ctx, const char *id_or_name, struct store **s, struct store_project *p);

/* A progress bar on stderr, drawn only when stderr is a terminal and the work has taken over a second. */
struct cli_progress {
	const char *label;
	uint64_t total; /* 0 if unknown */
	int64_t started_ns, last_draw_ns;
	bool drawn;
};
void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total);
void cli_progress_update(struct cli_progress *p, uint64_t done);
void cli_progress_finish(struct cli_progress *p, uint64_t done);

#endif
