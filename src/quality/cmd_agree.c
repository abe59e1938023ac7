/* cmd_agree.c: `medlabel agree FILE.csv --metric M`, an agreement coefficient on a plain CSV table outside
 * any project (rows are units, columns annotators, empty cell = missing, a header names the annotators). */
#include "cli/cli.h"
#include "quality/quality.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AGREE_MAX_FILE ((size_t)4 << 30)
#define AGREE_MAX_BOOT 1000000

static int read_input(const char *path, char **data, size_t *len, struct ml_err *err)
{
	if (strcmp(path, "-") != 0)
		return ml_file_read(path, AGREE_MAX_FILE, data, len, err);
	struct ml_buf b;
	ml_buf_init(&b, AGREE_MAX_FILE);
	for (;;) {
		if (ml_buf_grow(&b, 1 << 16) < 0) {
			ml_buf_release(&b);
			return ml_err_set(err, ML_ELIMIT, "standard input is larger than %zu bytes", AGREE_MAX_FILE);
		}
		ssize_t r = read(STDIN_FILENO, b.data + b.len, b.alloc - b.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ml_buf_release(&b);
			return ml_err_set(err, ML_EIO, "cannot read standard input: %s", strerror(errno));
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		b.data[b.len] = '\0';
	}
	if (!b.data && ml_buf_putc(&b, '\0') == 0)
		b.len = 0;
	*data = ml_buf_detach(&b, len);
	return *data ? 0 : ml_err_set(err, ML_ENOMEM, "out of memory reading standard input");
}

static bool parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return false;
	*out = v;
	return true;
}

static void json_num(struct ml_buf *b, double v, int *rc)
{
	*rc |= isnan(v) || isinf(v) ? ml_buf_puts(b, "null") : ml_buf_printf(b, "%.17g", v);
}

static void text_num(char *out, size_t n, double v)
{
	if (isnan(v))
		snprintf(out, n, "undefined");
	else
		snprintf(out, n, "%.4f", v);
}

enum by_kind { BY_NONE, BY_PAIR, BY_CODER, BY_LABEL };

struct breakdown_row {
	char *what;
	struct agree_result r;
	bool ok;
};

/* Computes the metric on derived tables: every coder pair, every coder against the rest's majority, every
 * value against the others. Metrics that need two coders or numbers fall back per row (ok = false). */
static int breakdown(const struct agree_table *t, enum agree_metric m, enum by_kind by, const struct agree_options *opt,
		     struct breakdown_row **rows, size_t *nrows, struct ml_err *err)
{
	size_t cap = by == BY_PAIR ? t->ncoders * (t->ncoders - 1) / 2 : by == BY_CODER ? t->ncoders : t->nvalues;
	struct breakdown_row *out = ml_calloc(cap ? cap : 1, sizeof(*out));
	if (!out)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < (by == BY_LABEL ? t->nvalues : t->ncoders); i++) {
		for (size_t j = by == BY_PAIR ? i + 1 : i; j < (by == BY_PAIR ? t->ncoders : i + 1); j++) {
			struct agree_table sub;
			struct ml_err e2;
			int rc;
			if (by == BY_PAIR) {
				size_t sel[2] = {i, j};
				rc = agree_table_select(t, sel, 2, &sub, &e2);
				out[n].what = ml_xasprintf("%s / %s", t->coder[i], t->coder[j]);
			} else if (by == BY_CODER) {
				rc = agree_table_versus_rest(t, i, &sub, &e2);
				out[n].what = ml_xasprintf("%s / rest", t->coder[i]);
			} else {
				rc = agree_table_binarize(t, (uint32_t)i, &sub, &e2);
				out[n].what = ml_xasprintf("value %zu", i + 1);
			}
			if (rc < 0) {
				*rows = out;
				*nrows = n + 1;
				*err = e2;
				return -1;
			}
			out[n].ok = agree_compute(&sub, m, opt, &out[n].r, &e2) == 0;
			agree_table_release(&sub);
			n++;
		}
	}
	*rows = out;
	*nrows = n;
	return 0;
}

static int run_agree(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = NULL, *metric_s = NULL, *v, *by_s = NULL;
	bool json = false;
	unsigned long long nboot = 1000, seed = 1;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (cli_opt(argc, argv, &i, "--metric", &v)) {
			metric_s = v;
		} else if (cli_opt(argc, argv, &i, "--by", &v)) {
			by_s = v;
		} else if (cli_opt(argc, argv, &i, "--bootstrap", &v)) {
			if (!parse_count(v, AGREE_MAX_BOOT, &nboot))
				return cli_usage_error(ctx, "--bootstrap wants a count from 0 to %d, not '%s'", AGREE_MAX_BOOT, v);
		} else if (cli_opt(argc, argv, &i, "--seed", &v)) {
			if (!parse_count(v, UINT64_MAX, &seed))
				return cli_usage_error(ctx, "--seed wants a non-negative integer, not '%s'", v);
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		} else if (!path) {
			path = argv[i];
		} else {
			return cli_usage_error(ctx, "one table at a time ('%s' is extra)", argv[i]);
		}
	}
	if (!path)
		return cli_usage_error(ctx, "which table? usage: medlabel agree FILE.csv --metric M");
	if (!metric_s)
		return cli_usage_error(ctx, "--metric is required: percent, cohen, cohen-linear, cohen-quadratic, fleiss, "
					    "kappa-mean, multi-kappa, s, alpha-nominal, alpha-ordinal, alpha-interval, "
					    "alpha-ratio or ac1");
	enum agree_metric m;
	if (agree_metric_parse(metric_s, &m) < 0)
		return cli_usage_error(ctx, "unknown metric '%s' (see --help)", metric_s);
	enum by_kind by = BY_NONE;
	if (by_s) {
		if (strcmp(by_s, "pair") == 0)
			by = BY_PAIR;
		else if (strcmp(by_s, "coder") == 0)
			by = BY_CODER;
		else if (strcmp(by_s, "label") == 0)
			by = BY_LABEL;
		else
			return cli_usage_error(ctx, "--by wants pair, coder or label, not '%s'", by_s);
	}

	struct ml_err err = {0};
	char *data = NULL;
	size_t len = 0;
	if (read_input(path, &data, &len, &err) < 0)
		return cli_fail_err(ctx, &err);
	struct agree_table t;
	int rc = agree_table_read_csv(&t, data, len, strcmp(path, "-") == 0 ? "<stdin>" : path, &err);
	ml_free(data);
	if (rc < 0)
		return cli_fail_err(ctx, &err);
	struct agree_options opt = {.nboot = (size_t)nboot, .seed = seed};
	struct agree_result r;
	struct breakdown_row *rows = NULL;
	size_t nrows = 0;
	int status = CLI_OK;
	/* Cohen's kappa by pair or by coder on more than two annotators: the overall value is the mean of the rows. */
	bool pair_mean = (by == BY_PAIR || by == BY_CODER) && m >= AGREE_COHEN && m <= AGREE_COHEN_QUADRATIC && t.ncoders > 2;
	struct agree_options no_boot = {0};
	if (agree_compute(&t, pair_mean ? AGREE_KAPPA_MEAN : m, pair_mean ? &no_boot : &opt, &r, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	r.metric = m;
	if (by != BY_NONE && breakdown(&t, m, by, &opt, &rows, &nrows, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	if (pair_mean) {
		double sum = 0, n = 0;
		for (size_t i = 0; i < nrows; i++)
			if (rows[i].ok) {
				sum += rows[i].r.value;
				n++;
			}
		r.value = n > 0 ? sum / n : NAN;
	}
	if (json) {
		struct ml_buf b;
		ml_buf_init(&b, 0);
		int e = ml_buf_printf(&b, "{\"metric\":\"%s\",\"value\":", agree_metric_name(m));
		json_num(&b, r.value, &e);
		e |= ml_buf_printf(&b, ",\"units\":%zu,\"pairable_values\":%zu,\"ci95\":", r.units, r.pairable_values);
		if (r.boot_used) {
			e |= ml_buf_putc(&b, '[');
			json_num(&b, r.ci_lo, &e);
			e |= ml_buf_putc(&b, ',');
			json_num(&b, r.ci_hi, &e);
			e |= ml_buf_putc(&b, ']');
		} else {
			e |= ml_buf_puts(&b, "null");
		}
		if (by != BY_NONE) {
			e |= ml_buf_printf(&b, ",\"by\":\"%s\",\"breakdown\":[", by_s);
			for (size_t i = 0; i < nrows; i++) {
				e |= ml_buf_puts(&b, i ? ",{\"what\":" : "{\"what\":");
				e |= ml_buf_json_str(&b, rows[i].what, strlen(rows[i].what));
				e |= ml_buf_puts(&b, ",\"value\":");
				json_num(&b, rows[i].ok ? rows[i].r.value : NAN, &e);
				e |= ml_buf_printf(&b, ",\"units\":%zu,\"ci95\":", rows[i].ok ? rows[i].r.units : 0);
				if (rows[i].ok && rows[i].r.boot_used) {
					e |= ml_buf_putc(&b, '[');
					json_num(&b, rows[i].r.ci_lo, &e);
					e |= ml_buf_putc(&b, ',');
					json_num(&b, rows[i].r.ci_hi, &e);
					e |= ml_buf_putc(&b, ']');
				} else {
					e |= ml_buf_puts(&b, "null");
				}
				e |= ml_buf_putc(&b, '}');
			}
			e |= ml_buf_putc(&b, ']');
		}
		e |= ml_buf_puts(&b, "}\n");
		if (e)
			status = cli_fail(ctx, "out of memory formatting the result");
		else
			fputs(b.data, stdout);
		ml_buf_release(&b);
	} else {
		char val[32], lo[32], hi[32];
		text_num(val, sizeof(val), r.value);
		printf("%s: %s\n", agree_metric_name(m), val);
		if (r.boot_used) {
			text_num(lo, sizeof(lo), r.ci_lo);
			text_num(hi, sizeof(hi), r.ci_hi);
			printf("95%% CI: %s to %s (bootstrap over units, %zu replicates, seed %llu)\n", lo, hi, r.boot_used,
			       seed);
		} else if (nboot && !pair_mean) {
			printf("95%% CI: undefined (no bootstrap replicate gave a defined value)\n");
		}
		printf("units: %zu of %zu rows (%s)\n", r.units, t.nunits,
		       t.ncoders == 2 && m <= AGREE_COHEN_QUADRATIC ? "rated by both annotators"
								 : "rated by two or more annotators");
		printf("pairable values: %zu\n", r.pairable_values);
		printf("annotators: %zu, distinct values: %zu%s\n", t.ncoders, t.nvalues, t.numeric ? " (numeric)" : "");
		if (by != BY_NONE) {
			printf("\nby %s:\n", by_s);
			for (size_t i = 0; i < nrows; i++) {
				text_num(val, sizeof(val), rows[i].ok ? rows[i].r.value : NAN);
				printf("  %-30s %10s  units %zu", rows[i].what, val, rows[i].ok ? rows[i].r.units : 0);
				if (rows[i].ok && rows[i].r.boot_used) {
					text_num(lo, sizeof(lo), rows[i].r.ci_lo);
					text_num(hi, sizeof(hi), rows[i].r.ci_hi);
					printf("  95%% CI %s to %s", lo, hi);
				}
				putchar('\n');
			}
		}
	}
out:
	for (size_t i = 0; i < nrows; i++)
		ml_free(rows[i].what);
	ml_free(rows);
	agree_table_release(&t);
	return status;
}

CLI_COMMAND(agree, "agree",
	    "FILE.csv --metric percent|cohen|cohen-linear|cohen-quadratic|fleiss|kappa-mean|multi-kappa|s|"
	    "alpha-nominal|alpha-ordinal|alpha-interval|alpha-ratio|ac1 [--json] [--bootstrap N (default 1000, 0 = none)] [--seed S] "
	    "[--by pair|coder|label]",
	    "agreement between annotators on a CSV table (rows = units, columns = annotators, empty = missing)",
	    run_agree)
