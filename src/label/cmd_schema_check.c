/* cmd_schema_check.c: `medlabel schema check FILE` validates a labeling schema (and optionally an
 * annotation body against it) without touching any project. */
#include "cli/cli.h"
#include "label/label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_at(struct cli_ctx *ctx, const char *path, const struct ml_err *err)
{
	if (err->field[0])
		return cli_fail(ctx, "'%s': %s: %s", path, err->field, err->msg);
	return cli_fail(ctx, "'%s': %s", path, err->msg);
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int run_schema_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *schema_path = NULL, *ann_path = NULL, *text_path = NULL, *v;
	struct label_item_ctx ictx;
	label_item_ctx_init(&ictx);
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--annotation", &v)) {
			ann_path = v;
		} else if (cli_opt(argc, argv, &i, "--text", &v)) {
			text_path = v;
		} else if (cli_opt(argc, argv, &i, "--size", &v)) {
			long w, h;
			const char *x = strchr(v, 'x');
			char wbuf[16];
			if (!x || (size_t)(x - v) >= sizeof wbuf)
				return cli_usage_error(ctx, "--size expects WIDTHxHEIGHT, e.g. 512x512");
			memcpy(wbuf, v, (size_t)(x - v));
			wbuf[x - v] = '\0';
			if (parse_count(wbuf, 65535, &w) || parse_count(x + 1, 65535, &h))
				return cli_usage_error(ctx, "--size expects WIDTHxHEIGHT, e.g. 512x512");
			ictx.width = (int)w;
			ictx.height = (int)h;
		} else if (cli_opt(argc, argv, &i, "--frames", &v)) {
			long f;
			if (parse_count(v, 1000000000L, &f))
				return cli_usage_error(ctx, "--frames expects a positive integer");
			ictx.frames = (int)f;
		} else if (cli_opt(argc, argv, &i, "--duration", &v)) {
			char *end;
			ictx.duration = strtod(v, &end);
			if (end == v || *end || !(ictx.duration > 0))
				return cli_usage_error(ctx, "--duration expects seconds > 0");
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		} else if (!schema_path) {
			schema_path = argv[i];
		} else {
			return cli_usage_error(ctx, "expected one schema FILE");
		}
	}
	if (!schema_path)
		return cli_usage_error(ctx, "usage: %s schema check FILE [--annotation FILE [--text FILE] "
				       "[--size WxH] [--frames N] [--duration S]]", ctx->prog);
	if ((text_path || ictx.width || ictx.frames || ictx.duration > 0) && !ann_path)
		return cli_usage_error(ctx, "--text, --size, --frames and --duration describe the item of --annotation");

	struct ml_err err;
	ml_err_clear(&err);
	char *json = NULL, *ann = NULL, *text = NULL;
	size_t len = 0, alen = 0, tlen = 0;
	struct label_schema *s = NULL;
	int rc = CLI_BAD_INPUT;
	if (ml_file_read(schema_path, LABEL_MAX_SCHEMA_BYTES, &json, &len, &err)) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	if (label_schema_parse(json, len, &s, &err)) {
		rc = fail_at(ctx, schema_path, &err);
		goto out;
	}
	if (ann_path) {
		if (ml_file_read(ann_path, LABEL_MAX_ANNOTATION_BYTES, &ann, &alen, &err) ||
		    (text_path && ml_file_read(text_path, 256u << 20, &text, &tlen, &err))) {
			rc = cli_fail_err(ctx, &err);
			goto out;
		}
		ictx.text = text;
		ictx.text_len = tlen;
		if (label_annotation_validate(s, ann, alen, &ictx, &err)) {
			rc = fail_at(ctx, ann_path, &err);
			goto out;
		}
	}
	printf("OK\n");
	rc = CLI_OK;
out:
	label_schema_free(s);
	ml_free(json);
	ml_free(ann);
	ml_free(text);
	return rc;
}

CLI_COMMAND(schema_check, "schema check", "FILE [--annotation FILE [--text FILE] [--size WxH] [--frames N] [--duration S]]",
	    "validate a labeling schema (and an annotation body against it)", run_schema_check);
