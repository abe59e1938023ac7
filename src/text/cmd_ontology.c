/* cmd_ontology.c: `medlabel ontology load|list|search|show`. */
#include "cli/cli.h"
#include "store/store.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --project P (a name or id) to a project id; 0 when absent. */
static int project_id_of(struct cli_ctx *ctx, const char *project, int64_t *id)
{
	*id = 0;
	if (!project)
		return 0;
	struct store *s;
	if (cli_store_open(ctx, &s))
		return -1;
	struct store_project p;
	int rc = cli_project(ctx, s, project, &p);
	if (!rc) {
		*id = p.id;
		store_project_release(&p);
	}
	store_close(s);
	return rc ? -1 : 0;
}

/* The name a file suggests: "hp.obo" -> "hp". */
static char *name_from_path(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	char *n = ml_xstrdup(b);
	char *dot = strchr(n, '.');
	if (dot && dot != n)
		*dot = '\0';
	return n;
}

static int run_load(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *file = NULL, *name = NULL, *version = NULL, *project = NULL, *system = NULL, *format = NULL;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--name", &v))
			name = v;
		else if (cli_opt(argc, argv, &i, "--version", &v))
			version = v;
		else if (cli_opt(argc, argv, &i, "--project", &v))
			project = v;
		else if (cli_opt(argc, argv, &i, "--system", &v))
			system = v;
		else if (cli_opt(argc, argv, &i, "--format", &v))
			format = v;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (file)
			return cli_usage_error(ctx, "expected one FILE");
		else
			file = argv[i];
	}
	if (!file)
		return cli_usage_error(ctx, "missing FILE");
	enum text_onto_format fmt = TEXT_ONTO_AUTO;
	if (format) {
		if (!strcasecmp(format, "obo"))
			fmt = TEXT_ONTO_OBO;
		else if (!strcasecmp(format, "codesystem") || !strcasecmp(format, "fhir"))
			fmt = TEXT_ONTO_CODESYSTEM;
		else if (!strcasecmp(format, "csv"))
			fmt = TEXT_ONTO_CSV;
		else
			return cli_usage_error(ctx, "--format must be obo, codesystem or csv");
	}
	int64_t pid;
	if (project_id_of(ctx, project, &pid))
		return CLI_BAD_INPUT;
	struct text_ontology *o = text_ontology_new();
	struct ml_err err = {0};
	int rc = CLI_OK;
	char *fname = NULL;
	if (text_ontology_parse(file, fmt, o, &err) || text_ontology_index(o, &err)) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	/* The name given wins; then the file's own (OBO "ontology:", CodeSystem.name); then the file name. */
	if (name)
		o->name = ml_arena_strdup(&o->arena, name);
	else if (!o->name)
		o->name = fname = name_from_path(file);
	if (version)
		o->version = ml_arena_strdup(&o->arena, version);
	if (system)
		o->system = ml_arena_strdup(&o->arena, system);
	o->project_id = pid;
	if (text_ontology_save(ctx->data_dir, o, &err)) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	printf("loaded ontology %lld: %s version %s (%d concepts%s), system %s\n", (long long)o->id, o->name, o->version,
	       o->n, pid ? ", project only" : "", o->system);
	if (o->unknown_parents)
		fprintf(stderr, "%s %s: %ld parent references name no concept of the file (ignored)\n", ctx->prog,
			ctx->command, o->unknown_parents);
out:
	text_ontology_free(o);
	ml_free(fname);
	return rc;
}

CLI_COMMAND(ontology_load, "ontology load", "FILE [--name N] [--version V] [--system URI] [--project P] [--format obo|codesystem|csv]",
	    "load an ontology (OBO 1.4, FHIR CodeSystem JSON, or CSV code,display,synonyms,parent)", run_load)

static int print_info(void *ctx, const struct text_ontology_info *i)
{
	bool json = *(bool *)ctx;
	if (json) {
		struct ml_buf b;
		ml_buf_init(&b, 0);
		int w = ml_buf_printf(&b, "{\"id\":%lld,\"name\":", (long long)i->id) ||
			ml_buf_json_str(&b, i->name, strlen(i->name)) || ml_buf_puts(&b, ",\"version\":") ||
			ml_buf_json_str(&b, i->version, strlen(i->version)) || ml_buf_puts(&b, ",\"system\":") ||
			ml_buf_json_str(&b, i->system, strlen(i->system)) ||
			ml_buf_printf(&b, ",\"hash\":\"%s\",\"concepts\":%d,\"project_id\":%lld}", i->hash, i->concepts,
				      (long long)i->project_id);
		if (!w)
			puts(b.data);
		ml_buf_release(&b);
	} else {
		char when[40];
		ml_time_format(i->loaded_at, when, sizeof when);
		printf("%4lld  %-16s %-14s %8d concepts  %s  %s%s\n", (long long)i->id, i->name, i->version, i->concepts,
		       when, i->project_id ? "project " : "global", "");
	}
	return 0;
}

static int run_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL;
	bool json = false;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--project", &v))
			project = v;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cli_usage_error(ctx, "unknown argument '%s'", argv[i]);
	}
	int64_t pid = -1;
	if (project && project_id_of(ctx, project, &pid))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	if (text_ontology_list(ctx->data_dir, pid, print_info, &json, &err))
		return cli_fail_err(ctx, &err);
	return CLI_OK;
}

CLI_COMMAND(ontology_list, "ontology list", "[--project P] [--json]", "list the loaded ontologies", run_list)

static int run_search(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *id = NULL, *q = NULL, *project = NULL;
	int limit = 20;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--limit", &v)) {
			limit = atoi(v);
			if (limit < 1 || limit > 1000)
				return cli_usage_error(ctx, "--limit must be 1..1000");
		} else if (cli_opt(argc, argv, &i, "--project", &v)) {
			project = v;
		} else if (!id) {
			id = argv[i];
		} else if (!q) {
			q = argv[i];
		} else {
			return cli_usage_error(ctx, "expected ONTOLOGY QUERY");
		}
	}
	if (!id || !q)
		return cli_usage_error(ctx, "expected ONTOLOGY QUERY");
	int64_t pid = -1;
	if (project && project_id_of(ctx, project, &pid))
		return CLI_BAD_INPUT;
	struct text_ontology *o;
	struct ml_err err = {0};
	if (text_ontology_open(ctx->data_dir, id, pid, &o, &err))
		return cli_fail_err(ctx, &err);
	struct text_hit *hits = ml_xcalloc((size_t)limit, sizeof *hits);
	int64_t t0 = ml_monotonic_ns();
	int n = text_ontology_search(o, q, hits, limit, &err);
	int64_t dt = ml_monotonic_ns() - t0;
	int rc = CLI_OK;
	if (n < 0) {
		rc = cli_fail_err(ctx, &err);
	} else {
		struct ml_buf b;
		ml_buf_init(&b, 0);
		if (text_ontology_hits_json(o, hits, n, &b) == 0)
			puts(b.data);
		ml_buf_release(&b);
		fprintf(stderr, "%d hits in %.3f ms\n", n, (double)dt / 1e6);
	}
	ml_free(hits);
	text_ontology_free(o);
	return rc;
}

CLI_COMMAND(ontology_search, "ontology search", "ONTOLOGY QUERY [--limit N] [--project P]",
	    "search an ontology (exact, prefix, token, typo-tolerant), JSON hits on stdout", run_search)

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error(ctx, "expected ONTOLOGY CODE");
	struct text_ontology *o;
	struct ml_err err = {0};
	if (text_ontology_open(ctx->data_dir, argv[0], -1, &o, &err))
		return cli_fail_err(ctx, &err);
	int c = text_ontology_find_code(o, argv[1]);
	int rc = CLI_OK;
	if (c < 0) {
		rc = cli_fail(ctx, "no code '%s' in ontology '%s'", argv[1], argv[0]);
	} else {
		struct ml_buf b;
		ml_buf_init(&b, 0);
		if (text_ontology_concept_json(o, c, &b) == 0)
			puts(b.data);
		ml_buf_release(&b);
	}
	text_ontology_free(o);
	return rc;
}

CLI_COMMAND(ontology_show, "ontology show", "ONTOLOGY CODE", "one concept with its synonyms, parents and children (JSON)",
	    run_show)
