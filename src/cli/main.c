/* main.c: global options and dispatch to the registered commands. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const struct cli_command *cli_commands[];
extern int cli_ncommands;

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct cli_command *const *)a)->name, (*(const struct cli_command *const *)b)->name);
}

static void print_help(FILE *out)
{
	fprintf(out, "usage: medlabel [--data DIR] [--db URL] COMMAND [ARGS]\n\n"
		     "medlabel: collect, de-identify and label clinical data.\n\n"
		     "  --data DIR   the deployment's data folder (default $MEDLABEL_DATA or ./data)\n"
		     "  --db URL     the database: postgres://USER@HOST/DB for PostgreSQL (default $MEDLABEL_DB,\n"
		     "               else DIR/medlabel.db); media and the deployment secret stay in DIR\n"
		     "  --version    print the version\n\ncommands:\n");
	qsort(cli_commands, (size_t)cli_ncommands, sizeof cli_commands[0], by_name);
	for (int i = 0; i < cli_ncommands; i++)
		fprintf(out, "  %-18s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(out, "\nRun 'medlabel COMMAND --help' for a command's arguments.\n");
}

static const struct cli_command *find(int argc, char **argv, int *words)
{
	if (argc >= 2) {
		char two[128];
		snprintf(two, sizeof two, "%s %s", argv[0], argv[1]);
		for (int i = 0; i < cli_ncommands; i++)
			if (!strcmp(cli_commands[i]->name, two)) {
				*words = 2;
				return cli_commands[i];
			}
	}
	for (int i = 0; i < cli_ncommands; i++)
		if (!strcmp(cli_commands[i]->name, argv[0])) {
			*words = 1;
			return cli_commands[i];
		}
	return NULL;
}

/* Lists the subcommands of a group ("deid" -> "deid text", "deid dicom") when only the group is named. */
static int print_group(const char *group, FILE *out)
{
	size_t n = strlen(group);
	int found = 0;
	for (int i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = cli_commands[i];
		if (!strncmp(c->name, group, n) && c->name[n] == ' ') {
			if (!found)
				fprintf(out, "usage: medlabel %s SUBCOMMAND\n\n", group);
			fprintf(out, "  medlabel %s %s\n      %s\n", c->name, c->usage, c->summary);
			found++;
		}
	}
	return found;
}

int main(int argc, char **argv)
{
	/* Databases, media and secrets hold PHI: nothing medlabel creates is readable by other users. */
	umask(077);
	struct cli_ctx ctx = {.data_dir = getenv("MEDLABEL_DATA"), .prog = "medlabel"};
	if (!ctx.data_dir || !*ctx.data_dir)
		ctx.data_dir = "./data";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--data", &v)) {
			ctx.data_dir = v;
		} else if (cli_opt(argc, argv, &i, "--db", &v)) {
			ctx.db_url = v;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("medlabel %s\n", ML_VERSION);
			return 0;
		} else {
			fprintf(stderr, "medlabel: unknown option '%s'\n", argv[i]);
			return CLI_USAGE;
		}
	}
	if (i == argc) {
		print_help(stderr);
		return CLI_USAGE;
	}
	int words = 0;
	const struct cli_command *cmd = find(argc - i, argv + i, &words);
	if (!cmd) {
		if (print_group(argv[i], stderr))
			return (i + 1 < argc && strcmp(argv[i + 1], "--help")) ? CLI_USAGE : 0;
		fprintf(stderr, "medlabel: unknown command '%s' (see medlabel --help)\n", argv[i]);
		return CLI_USAGE;
	}
	ctx.command = cmd->name;
	int sub_argc = argc - i - words;
	char **sub_argv = argv + i + words;
	for (int k = 0; k < sub_argc; k++) {
		if (!strcmp(sub_argv[k], "--")) break;
		if (!strcmp(sub_argv[k], "--help") || !strcmp(sub_argv[k], "-h")) {
			printf("usage: medlabel %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
			return 0;
		}
	}
	return cmd->run(&ctx, sub_argc, sub_argv);
}
