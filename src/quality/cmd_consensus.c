/* cmd_consensus.c: `medlabel consensus FILE.csv`, one label per unit from the annotators of a CSV table
 * (the same table as `medlabel agree`), by majority vote, weighted vote or Dawid-Skene. */
#include "cli/cli.h"
#include "quality/quality.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSENSUS_MAX_FILE ((size_t)4 << 30)

/* Parses "w1,w2,..." into exactly n weights. */
static int parse_weights(const char *s, size_t n, double *w)
{
	for (size_t i = 0; i < n; i++) {
		char *end;
		errno = 0;
		w[i] = strtod(s, &end);
		if (end == s || errno || !(w[i] >= 0) || isinf(w[i]))
			return -1;
		s = end;
		if (i + 1 < n) {
			if (*s != ',')
				return -1;
			s++;
		}
	}
	return *s ? -1 : 0;
}

static void put_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int run_consensus(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = NULL, *method = "majority", *weights_s = NULL, *v;
	bool json = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (cli_opt(argc, argv, &i, "--method", &v))
			method = v;
		else if (cli_opt(argc, argv, &i, "--weights", &v))
			weights_s = v;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return cli_usage_error(ctx, "one table at a time ('%s' is extra)", argv[i]);
	}
	bool ds = strcmp(method, "dawid-skene") == 0;
	if (!path)
		return cli_usage_error(ctx, "which table? usage: medlabel consensus FILE.csv [--method M]");
	if (!ds && strcmp(method, "majority") != 0 && strcmp(method, "weighted") != 0)
		return cli_usage_error(ctx, "--method wants majority, weighted or dawid-skene, not '%s'", method);
	if ((strcmp(method, "weighted") == 0) != (weights_s != NULL))
		return cli_usage_error(ctx, "--method weighted goes with --weights W1,W2,... (one per annotator)");

	struct ml_err err = {0};
	char *data;
	size_t len;
	if (ml_file_read(path, CONSENSUS_MAX_FILE, &data, &len, &err) < 0)
		return cli_fail_err(ctx, &err);
	struct agree_table t;
	int rc = agree_table_read_csv(&t, data, len, path, &err);
	ml_free(data);
	if (rc < 0)
		return cli_fail_err(ctx, &err);
	int status = CLI_OK;
	struct consensus_label *labels = NULL;
	size_t n = 0;
	double *w = NULL;
	struct consensus_vote vote = {0};
	struct consensus_ds est = {0};
	if (t.nvalues == 0) {
		status = cli_fail(ctx, "'%s': every cell is empty", path);
		goto out;
	}
	if (consensus_labels_from_table(&t, &labels, &n, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	if (weights_s) {
		w = ml_xmalloc(t.ncoders * sizeof(double));
		if (parse_weights(weights_s, t.ncoders, w) < 0) {
			status = cli_usage_error(ctx, "--weights wants %zu numbers >= 0 separated by commas", t.ncoders);
			goto out;
		}
	}
	if (ds)
		rc = consensus_dawid_skene(labels, n, t.nunits, t.ncoders, t.nvalues, NULL, &est, &err);
	else
		rc = consensus_vote(labels, n, t.nunits, t.ncoders, t.nvalues, w, &vote, &err);
	if (rc < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	const uint32_t *lab = ds ? est.label : vote.label;
	if (json) {
		printf("{\"method\":\"%s\",\"units\":%zu,", method, t.nunits);
		if (ds)
			printf("\"iterations\":%d,\"converged\":%s,\"loglik\":%.17g,", est.iterations,
			       est.converged ? "true" : "false", est.loglik);
		else
			printf("\"ties\":%zu,", vote.nties);
		struct ml_buf b;
		ml_buf_init(&b, 0);
		int e = ml_buf_puts(&b, "\"values\":[");
		for (size_t k = 0; k < t.nvalues; k++) {
			e |= k ? ml_buf_putc(&b, ',') : 0;
			e |= ml_buf_json_str(&b, t.value[k], strlen(t.value[k]));
		}
		e |= ml_buf_puts(&b, "]");
		if (ds) {
			e |= ml_buf_puts(&b, ",\"prior\":[");
			for (size_t k = 0; k < t.nvalues; k++)
				e |= ml_buf_printf(&b, "%s%.17g", k ? "," : "", est.prior[k]);
			e |= ml_buf_puts(&b, "],\"annotators\":[");
			for (size_t j = 0; j < t.ncoders; j++) {
				e |= ml_buf_puts(&b, j ? ",{\"name\":" : "{\"name\":");
				e |= ml_buf_json_str(&b, t.coder[j], strlen(t.coder[j]));
				e |= ml_buf_puts(&b, ",\"confusion\":[");
				for (size_t k = 0; k < t.nvalues; k++) {
					e |= ml_buf_puts(&b, k ? ",[" : "[");
					for (size_t l = 0; l < t.nvalues; l++)
						e |= ml_buf_printf(&b, "%s%.17g", l ? "," : "",
								   est.confusion[(j * t.nvalues + k) * t.nvalues + l]);
					e |= ml_buf_putc(&b, ']');
				}
				e |= ml_buf_puts(&b, "]}");
			}
			e |= ml_buf_putc(&b, ']');
		}
		if (e) {
			ml_buf_release(&b);
			status = cli_fail(ctx, "out of memory formatting the result");
			goto out;
		}
		fputs(b.data, stdout);
		ml_buf_release(&b);
		fputs(",\"items\":[", stdout);
		for (size_t i = 0; i < t.nunits; i++) {
			fputs(i ? ",{\"label\":" : "{\"label\":", stdout);
			if (lab[i] == AGREE_MISSING) {
				fputs("null", stdout);
			} else {
				struct ml_buf s;
				ml_buf_init(&s, 0);
				if (ml_buf_json_str(&s, t.value[lab[i]], strlen(t.value[lab[i]])) == 0)
					fputs(s.data, stdout);
				ml_buf_release(&s);
			}
			double conf = lab[i] == AGREE_MISSING ? 0
				      : ds		      ? est.posterior[i * t.nvalues + lab[i]]
							      : vote.support[i];
			printf(",\"confidence\":%.17g", conf);
			if (!ds)
				printf(",\"tie\":%s", vote.tie[i] ? "true" : "false");
			fputc('}', stdout);
		}
		fputs("]}\n", stdout);
	} else {
		printf("unit,label,confidence%s\n", ds ? "" : ",tie");
		for (size_t i = 0; i < t.nunits; i++) {
			printf("%zu,", i + 1);
			if (lab[i] != AGREE_MISSING)
				put_csv_field(stdout, t.value[lab[i]]);
			double conf = lab[i] == AGREE_MISSING ? 0
				      : ds		      ? est.posterior[i * t.nvalues + lab[i]]
							      : vote.support[i];
			printf(",%.6f", conf);
			if (!ds)
				printf(",%s", vote.tie[i] ? "yes" : "no");
			putchar('\n');
		}
	}
out:
	ml_free(w);
	ml_free(labels);
	consensus_vote_release(&vote);
	consensus_ds_release(&est);
	agree_table_release(&t);
	return status;
}

CLI_COMMAND(consensus, "consensus", "FILE.csv [--method majority|weighted|dawid-skene] [--weights W1,W2,...] [--json]",
	    "one label per unit from several annotators (table as for `agree`)", run_consensus)
