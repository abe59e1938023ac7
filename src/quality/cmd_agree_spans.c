/* cmd_agree_spans.c: `medlabel agree spans FILE.json`, agreement between annotators' text spans of one
 * document: exact / overlap / token F1 per annotator pair (overall and per label), Krippendorff's
 * unitizing alpha, and the token-voting consensus.
 *
 * Input: {"begin": 0, "length": N, "annotators": [{"name": "ann1", "spans": [{"start": 0, "end": 5,
 * "label": "drug"}, ...]}, ...]}; begin defaults to 0, length to the largest end minus begin; offsets are
 * code points. */
#include "cli/cli.h"
#include "quality/quality.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SPANS_MAX_FILE ((size_t)256 << 20)
#define SPANS_MAX_LABELS 10000

struct spans_input {
	struct agree_span *s;
	size_t n;
	size_t *first; /* per annotator: index of its first span (spans are stored annotator by annotator) */
	const char **ann;
	size_t nann;
	const char **label;
	size_t nlabels;
	uint64_t begin, length;
};

static int label_code(struct spans_input *in, const char *name, uint32_t *code)
{
	for (size_t i = 0; i < in->nlabels; i++)
		if (strcmp(in->label[i], name) == 0) {
			*code = (uint32_t)i;
			return 0;
		}
	if (in->nlabels >= SPANS_MAX_LABELS)
		return -1;
	in->label[in->nlabels] = name;
	*code = (uint32_t)in->nlabels++;
	return 0;
}

static int get_offset(json_t *o, const char *key, uint64_t *v)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

static int parse_input(json_t *root, const char *path, struct spans_input *in, struct ml_err *err)
{
	json_t *anns = json_object_get(root, "annotators");
	if (!json_is_object(root) || !json_is_array(anns))
		return ml_err_set(err, ML_EINVAL, "'%s': expected an object with an \"annotators\" array", path);
	in->nann = json_array_size(anns);
	if (in->nann < 2 || in->nann > AGREE_MAX_CODERS)
		return ml_err_set(err, ML_EINVAL, "'%s': /annotators needs 2 to %d annotators, has %zu", path, AGREE_MAX_CODERS,
				  in->nann);
	size_t total = 0;
	for (size_t a = 0; a < in->nann; a++) {
		json_t *an = json_array_get(anns, a), *sp = json_object_get(an, "spans");
		if (!json_is_string(json_object_get(an, "name")) || !json_is_array(sp))
			return ml_err_set(err, ML_EINVAL, "'%s': /annotators/%zu needs \"name\" and a \"spans\" array", path, a);
		total += json_array_size(sp);
	}
	in->s = ml_malloc((total ? total : 1) * sizeof(*in->s));
	in->first = ml_malloc((in->nann + 1) * sizeof(size_t));
	in->ann = ml_malloc(in->nann * sizeof(char *));
	in->label = ml_malloc(SPANS_MAX_LABELS * sizeof(char *));
	if (!in->s || !in->first || !in->ann || !in->label)
		return ml_err_set(err, ML_ENOMEM, "out of memory reading '%s'", path);
	uint64_t maxend = 0;
	for (size_t a = 0; a < in->nann; a++) {
		json_t *an = json_array_get(anns, a), *sp = json_object_get(an, "spans");
		in->ann[a] = json_string_value(json_object_get(an, "name"));
		in->first[a] = in->n;
		for (size_t i = 0; i < json_array_size(sp); i++) {
			json_t *o = json_array_get(sp, i);
			struct agree_span s = {0, 0, 0, (uint32_t)a};
			json_t *lab = json_object_get(o, "label");
			if (!json_is_object(o) || get_offset(o, "start", &s.start) < 0 || get_offset(o, "end", &s.end) < 0 ||
			    !json_is_string(lab))
				return ml_err_set(err, ML_EINVAL,
						  "'%s': /annotators/%zu/spans/%zu needs integer \"start\" and \"end\" >= 0 and a "
						  "string \"label\"", path, a, i);
			if (s.end <= s.start)
				return ml_err_set(err, ML_EINVAL, "'%s': /annotators/%zu/spans/%zu: end is not after start", path,
						  a, i);
			if (label_code(in, json_string_value(lab), &s.label) < 0)
				return ml_err_set(err, ML_ELIMIT, "'%s': more than %d labels", path, SPANS_MAX_LABELS);
			if (s.end > maxend)
				maxend = s.end;
			in->s[in->n++] = s;
		}
	}
	in->first[in->nann] = in->n;
	in->begin = 0;
	if (json_object_get(root, "begin") && get_offset(root, "begin", &in->begin) < 0)
		return ml_err_set(err, ML_EINVAL, "'%s': /begin must be an integer >= 0", path);
	if (json_object_get(root, "length")) {
		if (get_offset(root, "length", &in->length) < 0)
			return ml_err_set(err, ML_EINVAL, "'%s': /length must be an integer >= 0", path);
	} else {
		in->length = maxend > in->begin ? maxend - in->begin : 0;
	}
	if (in->nlabels == 0)
		return ml_err_set(err, ML_EINVAL, "'%s': no annotator marked any span", path);
	return 0;
}

static json_t *f1_json(const struct agree_f1 *f)
{
	return json_pack("{s:f,s:f,s:f,s:I,s:I,s:I,s:I}", "f1", f->f1, "precision", f->precision, "recall", f->recall, "n_a",
			 (json_int_t)f->na, "n_b", (json_int_t)f->nb, "found_a", (json_int_t)f->found_a, "found_b",
			 (json_int_t)f->found_b);
}

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static int run_agree_spans(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = NULL;
	bool json = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return cli_usage_error(ctx, "one file at a time ('%s' is extra)", argv[i]);
	}
	if (!path)
		return cli_usage_error(ctx, "which file? usage: medlabel agree spans FILE.json [--json]");
	struct ml_err err = {0};
	char *data;
	size_t len;
	if (ml_file_read(path, SPANS_MAX_FILE, &data, &len, &err) < 0)
		return cli_fail_err(ctx, &err);
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	ml_free(data);
	if (!root)
		return cli_fail(ctx, "'%s' line %d column %d: %s", path, jerr.line, jerr.column, jerr.text);
	struct spans_input in = {0};
	int status = CLI_OK;
	json_t *out = NULL;
	struct agree_ualpha ua = {0};
	struct agree_span *cons = NULL;
	if (parse_input(root, path, &in, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto done;
	}
	out = json_object();
	json_t *labels = json_array(), *pairs = json_array();
	for (size_t k = 0; k < in.nlabels; k++)
		json_array_append_new(labels, json_string(in.label[k]));
	json_object_set_new(out, "labels", labels);
	static const char *const mode_name[] = {"exact", "overlap", "token"};
	for (size_t a = 0; a < in.nann; a++)
		for (size_t b = a + 1; b < in.nann; b++) {
			const struct agree_span *sa = in.s + in.first[a], *sb = in.s + in.first[b];
			size_t na = in.first[a + 1] - in.first[a], nb = in.first[b + 1] - in.first[b];
			json_t *p = json_pack("{s:s,s:s}", "a", in.ann[a], "b", in.ann[b]), *by = json_object();
			for (int mode = 0; mode < 3; mode++) {
				struct agree_f1 f;
				if (agree_span_f1(sa, na, sb, nb, (enum agree_span_match)mode, AGREE_MISSING, &f, &err) < 0) {
					json_decref(p);
					json_decref(by);
					status = cli_fail_err(ctx, &err);
					goto done;
				}
				json_object_set_new(p, mode_name[mode], f1_json(&f));
			}
			for (size_t k = 0; k < in.nlabels; k++) {
				json_t *lk = json_object();
				for (int mode = 0; mode < 3; mode++) {
					struct agree_f1 f;
					if (agree_span_f1(sa, na, sb, nb, (enum agree_span_match)mode, (uint32_t)k, &f, &err) == 0)
						json_object_set_new(lk, mode_name[mode], f1_json(&f));
				}
				json_object_set_new(by, in.label[k], lk);
			}
			json_object_set_new(p, "by_label", by);
			json_array_append_new(pairs, p);
		}
	json_object_set_new(out, "pairs", pairs);
	/* Unitizing alpha needs each annotator's spans of one label to be disjoint; F1 does not, so a document
	 * that breaks the rule still gets its F1 and the reason alpha is missing. */
	bool have_ua = agree_unitizing_alpha(in.s, in.n, in.nann, in.nlabels, in.begin, in.length, &ua, &err) == 0;
	if (have_ua) {
		json_t *ub = json_object();
		for (size_t k = 0; k < in.nlabels; k++)
			json_object_set_new(ub, in.label[k], num_or_null(ua.alpha[k]));
		json_object_set_new(out, "unitizing_alpha",
				    json_pack("{s:o,s:o}", "overall", num_or_null(ua.overall), "by_label", ub));
	} else {
		json_object_set_new(out, "unitizing_alpha", json_pack("{s:n,s:s}", "overall", "error", err.msg));
	}
	size_t ncons;
	uint64_t ties;
	if (consensus_span_vote(in.s, in.n, in.nann, in.nlabels, 0, &cons, &ncons, &ties, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto done;
	}
	json_t *cj = json_array();
	for (size_t i = 0; i < ncons; i++)
		json_array_append_new(cj, json_pack("{s:I,s:I,s:s}", "start", (json_int_t)cons[i].start, "end",
						    (json_int_t)cons[i].end, "label", in.label[cons[i].label]));
	json_object_set_new(out, "consensus", json_pack("{s:s,s:o,s:I}", "method", "token majority", "spans", cj,
							"tied_code_points", (json_int_t)ties));
	if (json) {
		char *s = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(17));
		if (!s) {
			status = cli_fail(ctx, "out of memory formatting the result");
			goto done;
		}
		puts(s);
		free(s);
	} else {
		printf("%zu annotators, %zu labels, %zu spans, continuum [%llu, %llu)\n\n", in.nann, in.nlabels, in.n,
		       (unsigned long long)in.begin, (unsigned long long)(in.begin + in.length));
		printf("%-32s %8s %8s %8s\n", "pair", "exact", "overlap", "token");
		size_t i = 0;
		json_t *p;
		json_array_foreach(pairs, i, p)
		{
			char name[64];
			snprintf(name, sizeof(name), "%s / %s", json_string_value(json_object_get(p, "a")),
				 json_string_value(json_object_get(p, "b")));
			printf("%-32s %8.4f %8.4f %8.4f\n", name,
			       json_real_value(json_object_get(json_object_get(p, "exact"), "f1")),
			       json_real_value(json_object_get(json_object_get(p, "overlap"), "f1")),
			       json_real_value(json_object_get(json_object_get(p, "token"), "f1")));
		}
		if (!have_ua) {
			printf("\nunitizing alpha: undefined (%s)\n", err.msg);
		} else {
			printf("\nunitizing alpha: %s%.4f\n", isnan(ua.overall) ? "undefined " : "",
			       isnan(ua.overall) ? 0.0 : ua.overall);
			for (size_t k = 0; k < in.nlabels; k++)
				printf("  %-30s %.4f\n", in.label[k], ua.alpha[k]);
		}
		printf("\nconsensus (token majority): %zu spans, %llu tied code points\n", ncons, (unsigned long long)ties);
	}
done:
	ml_free(cons);
	agree_ualpha_release(&ua);
	json_decref(out);
	ml_free(in.s);
	ml_free(in.first);
	ml_free(in.ann);
	ml_free(in.label);
	json_decref(root);
	return status;
}

CLI_COMMAND(agree_spans, "agree spans", "FILE.json [--json]",
	    "agreement on text spans: exact/overlap/token F1 per pair and label, unitizing alpha, consensus",
	    run_agree_spans)
