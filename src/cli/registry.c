/* registry.c: the command table that CLI_COMMAND fills, and helpers shared by commands. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_MAX_COMMANDS 128

const struct cli_command *cli_commands[CLI_MAX_COMMANDS];
int cli_ncommands;

void cli_register(const struct cli_command *cmd)
{
	if (cli_ncommands == CLI_MAX_COMMANDS) {
		fputs("medlabel: too many commands registered\n", stderr);
		abort();
	}
	cli_commands[cli_ncommands++] = cmd;
}

static void vreport(struct cli_ctx *ctx, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s %s: ", ctx->prog, ctx->command ? ctx->command : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int cli_fail(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, fmt, ap);
	va_end(ap);
	return CLI_BAD_INPUT;
}

int cli_fail_err(struct cli_ctx *ctx, const struct ml_err *err)
{
	return cli_fail(ctx, "%s", err->msg[0] ? err->msg : ml_code_name(err->code));
}

bool cli_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return false;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n] == '\0' && *i + 1 < argc) {
		*value = argv[++*i];
		return true;
	}
	return false;
}

void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total)
{
	p->label = label;
	p->total = total;
	p->started_ns = ml_monotonic_ns();
	p->last_draw_ns = 0;
	p->drawn = false;
}

static void draw(struct cli_progress *p, uint64_t done, int64_t now)
{
	double secs = (double)(now - p->started_ns) / 1e9;
	double rate = secs > 0 ? (double)done / secs : 0;
	if (p->total) {
		int width = 30, filled = (int)((double)done / (double)p->total * width);
		if (filled > width)
			filled = width;
		fprintf(stderr, "\r%s [%.*s%*s] %llu/%llu %.0f/s", p->label, filled,
			"##############################", width - filled, "", (unsigned long long)done,
			(unsigned long long)p->total, rate);
	} else {
		fprintf(stderr, "\r%s %llu %.0f/s", p->label, (unsigned long long)done, rate);
	}
	p->drawn = true;
	p->last_draw_ns = now;
}

void cli_progress_update(struct cli_progress *p, uint64_t done)
{
	int64_t now = ml_monotonic_ns();
	if (now - p->started_ns < 1000000000LL || now - p->last_draw_ns < 100000000LL)
		return;
	if (!isatty(STDERR_FILENO))
		return;
	draw(p, done, now);
}

void cli_progress_finish(struct cli_progress *p, uint64_t done)
{
	if (!p->drawn)
		return;
	draw(p, done, ml_monotonic_ns());
	fputc('\n', stderr);
}
