/* cmd_tag.c: `medlabel tag`: dictionary pre-annotation of a project's text items (stored as predictions,
 * never as validated labels), or of files (printed), for trying an ontology out. */
#include "cli/cli.h"
#include "label/label.h"
#include "store/store.h"
#include "text/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define BATCH 500

/* --ontology: a file to parse, or a loaded ontology's id or name. */
static int get_ontology(struct cli_ctx *ctx, const char *arg, int64_t project_id, struct text_ontology **o,
			struct ml_err *err)
{
	struct stat sb;
	if (stat(arg, &sb) == 0 && S_ISREG(sb.st_mode)) {
		*o = text_ontology_new();
		if (text_ontology_parse(arg, TEXT_ONTO_AUTO, *o, err) || text_ontology_index(*o, err)) {
			text_ontology_free(*o);
			*o = NULL;
			return -1;
		}
		if (!(*o)->name) {
			const char *b = strrchr(arg, '/');
			(*o)->name = ml_arena_strdup(&(*o)->arena, b ? b + 1 : arg);
		}
		return 0;
	}
	return text_ontology_open(ctx->data_dir, arg, project_id, o, err);
}

/* How the project's schema wants the tagger's output: which span control and label, which attributes it
 * declares, and whether the control takes codes from this ontology. */
struct target {
	const struct label_control *ctl;
	const char *control, *label;
	unsigned attrs;
	bool codes;
};

static bool has_choice(const struct label_attribute *a, const char *value)
{
	for (size_t i = 0; a && a->type == LABEL_ATTR_CHOICE && i < a->nvalues; i++)
		if (!strcmp(a->values[i], value))
			return true;
	return false;
}

static bool coding_matches(const struct label_control *c, const struct text_ontology *o)
{
	for (size_t i = 0; i < c->ncodings; i++) {
		const char *s = c->codings[i].system;
		if ((o->name && !strcasecmp(s, o->name)) || (o->system && !strcmp(s, o->system)))
			return true;
	}
	return false;
}

static int choose_target(struct cli_ctx *ctx, const struct label_schema *s, const struct text_ontology *o,
			 const char *control, const char *label, struct target *t)
{
	const struct label_control *c = NULL;
	if (control) {
		c = label_schema_control(s, control);
		if (!c || c->kind != LABEL_KIND_SPAN)
			return cli_fail(ctx, "the project's schema has no span control '%s'", control);
	} else {
		for (size_t i = 0; i < s->ncontrols && !c; i++)
			if (s->controls[i].kind == LABEL_KIND_SPAN && coding_matches(&s->controls[i], o))
				c = &s->controls[i];
		for (size_t i = 0; i < s->ncontrols && !c; i++)
			if (s->controls[i].kind == LABEL_KIND_SPAN)
				c = &s->controls[i];
		if (!c)
			return cli_fail(ctx, "the project's schema has no span control to hold the tagger's spans");
	}
	if (label && !label_control_label(c, label))
		return cli_fail(ctx, "span control '%s' has no label '%s'", c->name, label);
	if (!label && !c->nlabels)
		return cli_fail(ctx, "span control '%s' has no labels", c->name);
	t->ctl = c;
	t->control = c->name;
	t->label = label ? label : c->labels[0].value;
	t->codes = coding_matches(c, o);
	if (c->ncodings && !t->codes)
		return cli_fail(ctx, "span control '%s' takes codes from other code systems than '%s'", c->name, o->name);
	const struct label_attribute *a;
	t->attrs = 0;
	if ((a = label_control_attribute(c, "negated")) && a->type == LABEL_ATTR_BOOLEAN)
		t->attrs |= TEXT_ATTR_NEGATED;
	if (has_choice(label_control_attribute(c, "certainty"), "uncertain"))
		t->attrs |= TEXT_ATTR_UNCERTAIN;
	if (has_choice(label_control_attribute(c, "temporality"), "historical"))
		t->attrs |= TEXT_ATTR_HISTORICAL;
	if (has_choice(label_control_attribute(c, "experiencer"), "family"))
		t->attrs |= TEXT_ATTR_FAMILY;
	return 0;
}

struct task_ref {
	int64_t task, item;
};
struct task_list {
	struct task_ref *v;
	size_t n, a;
};

static int collect_task(void *ctx, const struct store_task *t)
{
	struct task_list *l = ctx;
	if (l->n == l->a) {
		l->a = l->a ? l->a * 2 : 1024;
		l->v = ml_xrealloc(l->v, l->a * sizeof *l->v);
	}
	l->v[l->n++] = (struct task_ref){t->id, t->item_id};
	return 0;
}

struct seen {
	const char *model, *version;
	bool found;
};

static int check_pred(void *ctx, const struct store_prediction *p)
{
	struct seen *s = ctx;
	if (p->model && p->model_version && !strcmp(p->model, s->model) && !strcmp(p->model_version, s->version))
		s->found = true;
	return 0;
}

/* Required attributes the tagger did not set get the schema's default, or for the four it knows the value
 * meaning "not found" (negated false, certainty certain, temporality current, experiencer patient), so a
 * prediction stays valid under schemas that require them. Returns a new body (free with free()). */
static char *fill_required(const char *body, const struct label_control *c)
{
	json_t *root = json_loads(body, 0, NULL);
	if (!root)
		return NULL;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(root, "results"), i, r)
	{
		json_t *at = json_object_get(r, "attributes");
		for (size_t k = 0; k < c->nattributes; k++) {
			const struct label_attribute *a = &c->attributes[k];
			if (!a->required || (at && json_object_get(at, a->name)))
				continue;
			json_t *v = NULL;
			if (a->default_value)
				v = a->type == LABEL_ATTR_BOOLEAN ? json_boolean(!strcmp(a->default_value, "true"))
								  : json_string(a->default_value);
			else if (a->type == LABEL_ATTR_BOOLEAN && !strcmp(a->name, "negated"))
				v = json_false();
			else if (!strcmp(a->name, "certainty") && has_choice(a, "certain"))
				v = json_string("certain");
			else if (!strcmp(a->name, "temporality") && has_choice(a, "current"))
				v = json_string("current");
			else if (!strcmp(a->name, "experiencer") && has_choice(a, "patient"))
				v = json_string("patient");
			if (!v)
				continue; /* validation will say which attribute is missing */
			if (!at) {
				at = json_object();
				json_object_set_new(r, "attributes", at);
			}
			json_object_set_new(at, a->name, v);
		}
	}
	char *out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}

static void strip_codes(struct text_doc *d)
{
	for (int i = 0; i < d->nspans; i++)
		d->spans[i].system = d->spans[i].code = d->spans[i].display = d->spans[i].version = NULL;
}

static int tag_project(struct cli_ctx *ctx, const char *project, const char *onto_arg, const char *control,
		       const char *label)
{
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	int rc = CLI_OK;
	struct text_ontology *o = NULL;
	struct label_schema *schema = NULL;
	struct text_tagger *tg = NULL;
	struct task_list tl = {0};
	struct ml_buf body;
	ml_buf_init(&body, 0);
	char *schema_json = NULL;
	int schema_version = 0;
	if (get_ontology(ctx, onto_arg, p.id, &o, &err)) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	struct target t = {.control = control ? control : "entities", .label = label ? label : "Concept",
			   .attrs = 0, .codes = true};
	if (store_schema_get(s, p.id, 0, &schema_json, &schema_version, &err) == 0) {
		if (label_schema_parse(schema_json, strlen(schema_json), &schema, &err)) {
			rc = cli_fail_err(ctx, &err);
			goto out;
		}
		if (choose_target(ctx, schema, o, control, label, &t)) {
			rc = CLI_BAD_INPUT;
			goto out;
		}
	} else if (err.code != ML_ENOTFOUND) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	struct text_tagger_opts topts = {.control = t.control, .label = t.label, .attrs_mask = t.attrs};
	if (!schema)
		topts.attrs_mask = 0; /* all four: nothing to conform to */
	if (text_tagger_new(o, &topts, &tg, &err)) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	char version[256];
	snprintf(version, sizeof version, "%s+%s@%s", TEXT_TAGGER_VERSION, o->name ? o->name : "", o->version ? o->version : "");
	struct store_task_filter f = {.project_id = p.id, .state = -1};
	if (store_task_list(s, &f, collect_task, &tl, &err)) {
		rc = cli_fail_err(ctx, &err);
		goto out;
	}
	long tagged = 0, skipped = 0, invalid = 0, spans = 0, in_batch = 0;
	struct cli_progress prog;
	cli_progress_init(&prog, "tag", tl.n);
	for (size_t i = 0; i < tl.n && rc == CLI_OK; i++) {
		struct store_item it;
		if (store_item_get(s, tl.v[i].item, &it, &err)) {
			rc = cli_fail_err(ctx, &err);
			break;
		}
		struct seen sn = {TEXT_TAGGER_NAME, version, false};
		if (!it.text || store_prediction_list(s, tl.v[i].task, check_pred, &sn, &err) || sn.found) {
			skipped++;
			store_item_release(&it);
			continue;
		}
		struct text_doc d;
		text_doc_init(&d);
		size_t len = strlen(it.text);
		ml_buf_reset(&body);
		if (text_tagger_run(tg, it.text, len, &d, &err)) {
			/* one bad item (not UTF-8) does not stop the others */
			ml_log(ML_LOG_WARN, "item %lld: %s", (long long)it.id, err.msg);
			invalid++;
			goto next;
		}
		if (!t.codes)
			strip_codes(&d);
		if (text_doc_to_body(&d, it.text, len, &body)) {
			rc = cli_fail(ctx, "out of memory");
			goto next;
		}
		if (schema && t.ctl && t.ctl->nattributes) {
			char *filled = fill_required(body.data, t.ctl);
			if (filled) {
				ml_buf_reset(&body);
				if (ml_buf_puts(&body, filled)) {
					free(filled);
					rc = cli_fail(ctx, "out of memory");
					goto next;
				}
				free(filled);
			}
		}
		if (schema) {
			struct label_item_ctx ic;
			label_item_ctx_init(&ic);
			ic.text = it.text;
			ic.text_len = len;
			if (label_annotation_validate(schema, body.data, body.len, &ic, &err)) {
				ml_log(ML_LOG_WARN, "item %lld: prediction does not fit the schema (%s): not stored", (long long)it.id,
				       err.msg);
				invalid++;
				goto next;
			}
		}
		if (in_batch == 0 && store_begin(s, &err)) {
			rc = cli_fail_err(ctx, &err);
			goto next;
		}
		struct store_prediction pr = {.task_id = tl.v[i].task, .model = (char *)TEXT_TAGGER_NAME,
					      .model_version = version, .body_json = body.data, .score = 1.0};
		if (store_prediction_add(s, &pr, NULL, &err)) {
			store_rollback(s);
			in_batch = 0;
			rc = cli_fail_err(ctx, &err);
			goto next;
		}
		tagged++;
		spans += d.nspans;
		if (++in_batch == BATCH) {
			if (store_commit(s, &err))
				rc = cli_fail_err(ctx, &err);
			in_batch = 0;
		}
	next:
		text_doc_release(&d);
		store_item_release(&it);
		cli_progress_update(&prog, i + 1);
	}
	if (in_batch && rc == CLI_OK && store_commit(s, &err))
		rc = cli_fail_err(ctx, &err);
	cli_progress_finish(&prog, tl.n);
	if (rc == CLI_OK)
		printf("tagged %ld items with %s %s (%ld spans, control '%s', label '%s'); %ld skipped, %ld not stored\n",
		       tagged, TEXT_TAGGER_NAME, version, spans, t.control, t.label, skipped, invalid);
out:
	ml_free(tl.v);
	ml_free(schema_json);
	ml_buf_release(&body);
	text_tagger_free(tg);
	label_schema_free(schema);
	text_ontology_free(o);
	store_project_release(&p);
	store_close(s);
	return rc;
}

static int tag_files(struct cli_ctx *ctx, const char **files, int n, const char *onto_arg, const char *control,
		     const char *label)
{
	struct ml_err err = {0};
	struct text_ontology *o;
	if (get_ontology(ctx, onto_arg, -1, &o, &err))
		return cli_fail_err(ctx, &err);
	struct text_tagger *tg;
	struct text_tagger_opts topts = {.control = control, .label = label};
	if (text_tagger_new(o, &topts, &tg, &err)) {
		text_ontology_free(o);
		return cli_fail_err(ctx, &err);
	}
	int rc = CLI_OK;
	for (int i = 0; i < n && rc == CLI_OK; i++) {
		char *text;
		size_t len, bad;
		if (ml_file_read(files[i], (size_t)1 << 30, &text, &len, &err)) {
			rc = cli_fail_err(ctx, &err);
			break;
		}
		struct text_doc d;
		text_doc_init(&d);
		struct ml_buf b;
		ml_buf_init(&b, 0);
		if (!ml_utf8_valid(text, len, &bad))
			rc = cli_fail(ctx, "'%s': invalid UTF-8 at byte %zu", files[i], bad);
		else if (text_tagger_run(tg, text, len, &d, &err))
			rc = cli_fail(ctx, "'%s': %s", files[i], err.msg);
		else if (text_doc_to_body(&d, text, len, &b))
			rc = cli_fail(ctx, "out of memory");
		else
			printf("%s\n", b.data);
		ml_buf_release(&b);
		text_doc_release(&d);
		ml_free(text);
	}
	text_tagger_free(tg);
	text_ontology_free(o);
	return rc;
}

static int run_tag(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *onto = NULL, *control = NULL, *label = NULL;
	const char **files = ml_xcalloc((size_t)argc + 1, sizeof *files);
	int nfiles = 0, rc;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--ontology", &v))
			onto = v;
		else if (cli_opt(argc, argv, &i, "--file", &v))
			files[nfiles++] = v;
		else if (cli_opt(argc, argv, &i, "--control", &v))
			control = v;
		else if (cli_opt(argc, argv, &i, "--label", &v))
			label = v;
		else if (argv[i][0] == '-' && argv[i][1]) {
			ml_free(files);
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		} else if (!project)
			project = argv[i];
		else {
			ml_free(files);
			return cli_usage_error(ctx, "expected one PROJECT");
		}
	}
	if (!onto || (!project && !nfiles) || (project && nfiles))
		rc = cli_usage_error(ctx, "expected PROJECT --ontology ID, or --file NOTE... --ontology ID|FILE");
	else if (nfiles)
		rc = tag_files(ctx, files, nfiles, onto, control, label);
	else
		rc = tag_project(ctx, project, onto, control, label);
	ml_free(files);
	return rc;
}

CLI_COMMAND(tag, "tag", "PROJECT --ontology ID [--control C] [--label L] | --file NOTE... --ontology ID|FILE",
	    "pre-annotate text items with an ontology's terms (negation, uncertainty, history, family); stored as "
	    "predictions",
	    run_tag)
