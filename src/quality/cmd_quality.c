/* cmd_quality.c: `medlabel quality report PROJECT` (the dashboard's data as text or JSON) and
 * `medlabel quality consensus PROJECT` (stores a consensus annotation per task with two or more human
 * annotations, and sends tasks below the project's agreement threshold to adjudication). */
#include "auth/auth.h"
#include "cli/cli.h"
#include "quality/quality.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void print_value(json_t *x)
{
	json_t *v = json_object_get(x, "value"), *ci = json_object_get(x, "ci95");
	if (json_is_number(v))
		printf("%.4f", json_number_value(v));
	else
		printf("undefined");
	if (json_is_array(ci))
		printf(" (95%% CI %.4f to %.4f)", json_number_value(json_array_get(ci, 0)), json_number_value(json_array_get(ci, 1)));
	printf(", %lld units", (long long)json_integer_value(json_object_get(x, "units")));
}

static void print_report(json_t *r)
{
	json_t *t = json_object_get(r, "tasks");
	printf("project %lld '%s' (%s)\n", (long long)json_integer_value(json_object_get(r, "project")),
	       json_string_value(json_object_get(r, "name")), json_string_value(json_object_get(r, "generated_at")));
	printf("tasks: %lld, with two or more annotators: %lld, gold: %lld; annotators: %lld\n",
	       (long long)json_integer_value(json_object_get(t, "total")),
	       (long long)json_integer_value(json_object_get(t, "with_two_or_more_annotators")),
	       (long long)json_integer_value(json_object_get(t, "gold")),
	       (long long)json_integer_value(json_object_get(t, "annotators")));
	size_t i, k;
	json_t *c, *x;
	json_array_foreach(json_object_get(r, "controls"), i, c)
	{
		const char *kind = json_string_value(json_object_get(c, "kind"));
		printf("\ncontrol '%s' (%s)\n", json_string_value(json_object_get(c, "control")), kind);
		if (strcmp(kind, "choice") == 0) {
			const char *key;
			json_object_foreach(json_object_get(c, "overall"), key, x)
			{
				printf("  %-16s ", key);
				print_value(x);
				putchar('\n');
			}
			printf("  per label (alpha-nominal, label against the rest):\n");
			json_array_foreach(json_object_get(c, "per_label"), k, x)
			{
				printf("    %-24s ", json_string_value(json_object_get(x, "label")));
				print_value(x);
				putchar('\n');
			}
			printf("  per annotator pair (Cohen's kappa):\n");
			json_array_foreach(json_object_get(c, "per_pair"), k, x)
			{
				printf("    %s / %s: ", json_string_value(json_object_get(x, "a")), json_string_value(json_object_get(x, "b")));
				print_value(x);
				putchar('\n');
			}
			printf("  per annotator (Cohen's kappa against the majority of the others):\n");
			json_array_foreach(json_object_get(c, "per_annotator"), k, x)
			{
				printf("    %-24s ", json_string_value(json_object_get(x, "annotator")));
				print_value(x);
				putchar('\n');
			}
			printf("  over time (alpha-nominal by day of the latest annotation):\n");
			json_array_foreach(json_object_get(c, "over_time"), k, x)
			{
				printf("    %s  ", json_string_value(json_object_get(x, "day")));
				print_value(x);
				putchar('\n');
			}
		} else if (strcmp(kind, "box") == 0) {
			json_array_foreach(json_object_get(c, "per_pair"), k, x)
			{
				json_t *mi = json_object_get(x, "mean_iou");
				printf("  %s / %s over %lld tasks: %lld of %lld / %lld boxes matched at IoU >= 0.5, F1 %.4f, "
				       "mean IoU %s%.4f\n",
				       json_string_value(json_object_get(x, "a")), json_string_value(json_object_get(x, "b")),
				       (long long)json_integer_value(json_object_get(x, "tasks")),
				       (long long)json_integer_value(json_object_get(x, "matched")),
				       (long long)json_integer_value(json_object_get(x, "boxes_a")),
				       (long long)json_integer_value(json_object_get(x, "boxes_b")),
				       json_number_value(json_object_get(x, "f1")), json_is_number(mi) ? "" : "undefined ",
				       json_is_number(mi) ? json_number_value(mi) : 0.0);
			}
		} else {
			json_array_foreach(json_object_get(c, "per_pair"), k, x)
			{
				printf("  %s / %s over %lld tasks: F1 exact %.4f, overlap %.4f, token %.4f\n",
				       json_string_value(json_object_get(x, "a")), json_string_value(json_object_get(x, "b")),
				       (long long)json_integer_value(json_object_get(x, "tasks")),
				       json_number_value(json_object_get(json_object_get(x, "exact"), "f1")),
				       json_number_value(json_object_get(json_object_get(x, "overlap"), "f1")),
				       json_number_value(json_object_get(json_object_get(x, "token"), "f1")));
			}
		}
	}
	json_t *g = json_object_get(r, "gold_accuracy");
	if (json_array_size(g)) {
		printf("\naccuracy on gold tasks:\n");
		json_array_foreach(g, i, x)
		printf("  %-24s %.4f over %lld answers\n", json_string_value(json_object_get(x, "annotator")),
		       json_number_value(json_object_get(x, "accuracy")), (long long)json_integer_value(json_object_get(x, "answers")));
	}
}

static int run_report(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *v;
	bool json = false;
	unsigned long long nboot = 200, seed = 1;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (cli_opt(argc, argv, &i, "--bootstrap", &v)) {
			if (!parse_count(v, 100000, &nboot))
				return cli_usage_error(ctx, "--bootstrap wants a count from 0 to 100000, not '%s'", v);
		} else if (cli_opt(argc, argv, &i, "--seed", &v)) {
			if (!parse_count(v, UINT64_MAX, &seed))
				return cli_usage_error(ctx, "--seed wants a non-negative integer, not '%s'", v);
		} else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!project)
			project = argv[i];
		else
			return cli_usage_error(ctx, "one project at a time ('%s' is extra)", argv[i]);
	}
	if (!project)
		return cli_usage_error(ctx, "which project? usage: medlabel quality report PROJECT [--json]");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct quality_report_options o = {.nboot = (size_t)nboot, .seed = seed};
	struct ml_err err = {0};
	char *out;
	int status = CLI_OK;
	if (quality_report_json(s, p.id, &o, &out, &err) < 0) {
		status = cli_fail_err(ctx, &err);
	} else {
		if (json) {
			puts(out);
		} else {
			json_t *r = json_loads(out, 0, NULL);
			if (r)
				print_report(r);
			json_decref(r);
		}
		ml_free(out);
	}
	store_project_release(&p);
	store_close(s);
	return status;
}

/* ---- stored consensus and adjudication routing ---------------------------------------------------------- */

struct task_ids {
	int64_t *id;
	size_t n, alloc;
};

static int collect_id(void *ctx, const struct store_task *t)
{
	struct task_ids *ts = ctx;
	if (ts->n == ts->alloc) {
		size_t a = ts->alloc ? ts->alloc * 2 : 256;
		int64_t *p = ml_realloc(ts->id, a * sizeof(*p));
		if (!p)
			return -1;
		ts->id = p;
		ts->alloc = a;
	}
	ts->id[ts->n++] = t->id;
	return 0;
}

static int run_consensus_store(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *v;
	bool json = false, dry = false;
	double box_iou = 0.5;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry = true;
		else if (cli_opt(argc, argv, &i, "--box-iou", &v)) {
			char *end;
			box_iou = strtod(v, &end);
			if (*end || !(box_iou > 0 && box_iou <= 1))
				return cli_usage_error(ctx, "--box-iou wants a number in (0, 1], not '%s'", v);
		} else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!project)
			project = argv[i];
		else
			return cli_usage_error(ctx, "one project at a time ('%s' is extra)", argv[i]);
	}
	if (!project)
		return cli_usage_error(ctx, "which project? usage: medlabel quality consensus PROJECT [--dry-run]");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct quality_settings qs;
	quality_settings_read(p.settings_json, &qs);
	double threshold = qs.agreement_threshold;
	struct ml_err err = {0};
	struct task_ids ts = {0};
	struct store_task_filter f = {.project_id = p.id, .state = -1};
	size_t created = 0, updated = 0, unchanged = 0, adjudication = 0, compared = 0, ties = 0;
	int status = CLI_OK;
	if (store_task_list(s, &f, collect_id, &ts, &err) < 0 || (!dry && store_begin(s, &err) < 0)) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	for (size_t i = 0; i < ts.n; i++) {
		struct quality_task_outcome oc;
		if (quality_task_consensus(s, &p, ts.id[i], box_iou, dry, &oc, &err) < 0)
			goto fail;
		compared += oc.compared;
		adjudication += oc.to_adjudication;
		ties += oc.ties;
		created += oc.consensus == QUALITY_CONSENSUS_CREATED;
		updated += oc.consensus == QUALITY_CONSENSUS_UPDATED;
		unchanged += oc.consensus == QUALITY_CONSENSUS_UNCHANGED;
	}
	if (!dry && store_commit(s, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	if (json)
		printf("{\"project\":%lld,\"tasks_compared\":%zu,\"created\":%zu,\"updated\":%zu,\"unchanged\":%zu,"
		       "\"to_adjudication\":%zu,\"ties\":%zu,\"dry_run\":%s}\n",
		       (long long)p.id, compared, created, updated, unchanged, adjudication, ties, dry ? "true" : "false");
	else
		printf("%s%zu tasks with two or more annotations: %zu consensus annotations created, %zu updated, %zu "
		       "unchanged; %zu sent to adjudication (threshold %s); %zu ties left without a result\n",
		       dry ? "dry run: " : "", compared, created, updated, unchanged, adjudication,
		       isnan(threshold) ? "not set" : "set", ties);
	goto out;
fail:
	if (!dry)
		store_rollback(s);
	status = cli_fail_err(ctx, &err);
out:
	ml_free(ts.id);
	store_project_release(&p);
	store_close(s);
	return status;
}

CLI_COMMAND(quality_report, "quality report", "PROJECT [--json] [--bootstrap N] [--seed S]",
	    "agreement per control, label, annotator pair and day; span F1; gold accuracy", run_report)
CLI_COMMAND(quality_consensus, "quality consensus", "PROJECT [--box-iou X] [--dry-run] [--json]",
	    "store a consensus annotation per multiply-annotated task; route low agreement to adjudication",
	    run_consensus_store)

/* ---- gold tasks and qualification ------------------------------------------------------------------------ */

static int run_gold(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *task_s = NULL, *labels = NULL, *v;
	bool off = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--off") == 0)
			off = true;
		else if (cli_opt(argc, argv, &i, "--labels", &v))
			labels = v;
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!project)
			project = argv[i];
		else if (!task_s)
			task_s = argv[i];
		else
			return cli_usage_error(ctx, "one task at a time ('%s' is extra)", argv[i]);
	}
	unsigned long long task_id;
	if (!project || !task_s || !parse_count(task_s, INT64_MAX, &task_id) || task_id == 0)
		return cli_usage_error(ctx, "usage: medlabel quality gold PROJECT TASK --labels BODY.json | --off");
	if (!off && !labels)
		return cli_usage_error(ctx, "a gold task needs its reference labels: --labels BODY.json");
	struct ml_err err = {0};
	char *body = NULL;
	size_t len;
	if (labels) {
		if (ml_file_read(labels, 16u << 20, &body, &len, &err) < 0)
			return cli_fail_err(ctx, &err);
		json_error_t je;
		json_t *b = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
		bool ok = b && json_is_array(json_object_get(b, "results"));
		json_decref(b);
		if (!ok) {
			ml_free(body);
			return cli_fail(ctx, "'%s': not an annotation body (line %d: %s)", labels, b ? 1 : je.line,
					b ? "no \"results\" array" : je.text);
		}
	}
	struct store *s;
	if (cli_store_open(ctx, &s)) {
		ml_free(body);
		return CLI_BAD_INPUT;
	}
	struct store_project p;
	int status = CLI_OK;
	if (cli_project(ctx, s, project, &p)) {
		ml_free(body);
		store_close(s);
		return CLI_BAD_INPUT;
	}
	struct store_task t;
	if (store_task_get(s, (int64_t)task_id, &t, &err) < 0 || t.project_id != p.id) {
		status = cli_fail(ctx, "project %lld has no task %llu", (long long)p.id, task_id);
		goto out;
	}
	if (store_begin(s, &err) < 0 || store_task_set_gold(s, t.id, !off, &err) < 0)
		goto fail;
	if (!off) {
		struct store_annotation an = {.task_id = t.id, .model = (char *)"reference", .schema_version = p.schema_version,
					      .body_json = body, .kind = (char *)"gold", .validated = true};
		int64_t id;
		if (store_annotation_create(s, &an, &id, &err) < 0)
			goto fail;
	}
	if (store_commit(s, &err) < 0)
		goto fail;
	printf("task %lld %s\n", (long long)t.id, off ? "is no longer gold" : "is gold, with its reference labels");
	goto out;
fail:
	store_rollback(s);
	status = cli_fail_err(ctx, &err);
out:
	ml_free(body);
	store_project_release(&p);
	store_close(s);
	return status;
}

struct member_ids {
	int64_t id[4096];
	size_t n;
};

static int member_cb(void *ctx, const struct store_member *m)
{
	struct member_ids *ms = ctx;
	if (m->role == STORE_ROLE_ANNOTATOR && ms->n < ML_ARRAY_LEN(ms->id))
		ms->id[ms->n++] = m->user_id;
	return 0;
}

static int run_qualify(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL;
	bool json = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!project)
			project = argv[i];
		else
			return cli_usage_error(ctx, "one project at a time ('%s' is extra)", argv[i]);
	}
	if (!project)
		return cli_usage_error(ctx, "which project? usage: medlabel quality qualify PROJECT [--json]");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	struct member_ids *ms = ml_xcalloc(1, sizeof(*ms));
	int status = CLI_OK;
	if (store_member_list(s, p.id, member_cb, ms, &err) < 0 || store_begin(s, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	if (json)
		fputs("{\"annotators\":[", stdout);
	for (size_t i = 0; i < ms->n; i++) {
		struct store_annotator_quality q;
		if (quality_evaluate_annotator(s, &p, ms->id[i], ml_now_ms(), &q, &err) < 0) {
			store_rollback(s);
			status = cli_fail_err(ctx, &err);
			goto out;
		}
		struct store_user u;
		struct ml_err e2;
		char name[160] = "?";
		if (store_user_get(s, ms->id[i], &u, &e2) == 0) {
			snprintf(name, sizeof(name), "%s", u.name);
			store_user_release(&u);
		}
		if (json) {
			struct ml_buf b;
			ml_buf_init(&b, 0);
			if (ml_buf_json_str(&b, name, strlen(name)) == 0)
				printf("%s{\"user_id\":%lld,\"name\":%s,\"state\":\"%s\",\"accuracy\":%.17g,\"answers\":%lld}",
				       i ? "," : "", (long long)ms->id[i], b.data, store_qual_state_name(q.state), q.accuracy,
				       (long long)q.answers);
			ml_buf_release(&b);
		} else {
			printf("%-24s %-10s accuracy %.4f over %lld gold answers\n", name, store_qual_state_name(q.state),
			       q.accuracy, (long long)q.answers);
		}
	}
	if (json)
		fputs("]}\n", stdout);
	if (store_commit(s, &err) < 0)
		status = cli_fail_err(ctx, &err);
out:
	ml_free(ms);
	store_project_release(&p);
	store_close(s);
	return status;
}

CLI_COMMAND(quality_gold, "quality gold", "PROJECT TASK --labels BODY.json | --off",
	    "make a task gold with its reference labels (or no longer gold)", run_gold)
CLI_COMMAND(quality_qualify, "quality qualify", "PROJECT [--json]",
	    "recompute annotators' accuracy on gold tasks and promote trainees above the threshold", run_qualify)

static int run_revalidate(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1 || argv[0][0] == '-')
		return cli_usage_error(ctx, "usage: medlabel quality revalidate PROJECT");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, argv[0], &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	size_t checked, marked;
	int status = CLI_OK;
	if (store_begin(s, &err) < 0 || quality_mark_revalidation(s, p.id, &checked, &marked, &err) < 0 ||
	    store_commit(s, &err) < 0) {
		store_rollback(s);
		status = cli_fail_err(ctx, &err);
	} else {
		printf("%zu annotations made under an older schema checked, %zu marked for revalidation\n", checked, marked);
	}
	store_project_release(&p);
	store_close(s);
	return status;
}

CLI_COMMAND(quality_revalidate, "quality revalidate", "PROJECT",
	    "mark annotations that the latest schema change affects for revalidation", run_revalidate)

/* ---- suspending and reinstating an annotator -------------------------------------------------------------- */

/* `medlabel quality suspend|reinstate PROJECT USER`: the manager's decision, in one transaction with its
 * audit record (the same action names as the HTTP routes). */
static int run_set_state(struct cli_ctx *ctx, int argc, char **argv, bool suspend)
{
	const char *verb = suspend ? "suspend" : "reinstate";
	if (argc != 2 || argv[0][0] == '-' || argv[1][0] == '-')
		return cli_usage_error(ctx, "usage: medlabel quality %s PROJECT USER", verb);
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, argv[0], &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	struct store_user u;
	int status = CLI_OK;
	if (store_user_by_name(s, argv[1], &u, &err) != 0) {
		status = err.code == ML_ENOTFOUND ? cli_fail(ctx, "no user named '%s'", argv[1]) : cli_fail_err(ctx, &err);
		store_project_release(&p);
		store_close(s);
		return status;
	}
	char obj[96];
	snprintf(obj, sizeof obj, "projects/%" PRId64 "/annotators/%" PRId64 "/%s", p.id, u.id, verb);
	struct store_annotator_quality q;
	if (store_begin(s, &err) != 0) {
		status = cli_fail_err(ctx, &err);
	} else if (quality_set_annotator_state(s, p.id, u.id, suspend ? STORE_QUAL_SUSPENDED : STORE_QUAL_QUALIFIED,
					       ml_now_ms(), &q, &err) != 0 ||
		   auth_audit_record(s, 0, "cli", suspend ? "annotator.suspend" : "annotator.reinstate", obj, "cli", 0, &err) != 0 ||
		   store_commit(s, &err) != 0) {
		store_rollback(s);
		status = err.code == ML_ENOTFOUND ? cli_fail(ctx, "user '%s' is not a member of project '%s'", argv[1], p.name)
						  : cli_fail_err(ctx, &err);
	} else {
		printf("%s: %s in project %s (gold accuracy %.4f over %lld answers)\n", u.name, store_qual_state_name(q.state),
		       p.name, q.accuracy, (long long)q.answers);
	}
	store_user_release(&u);
	store_project_release(&p);
	store_close(s);
	return status;
}

static int run_suspend(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_set_state(ctx, argc, argv, true);
}

static int run_reinstate(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_set_state(ctx, argc, argv, false);
}

CLI_COMMAND(quality_suspend, "quality suspend", "PROJECT USER",
	    "stop an annotator's work in a project (no task until reinstated); audited", run_suspend)
CLI_COMMAND(quality_reinstate, "quality reinstate", "PROJECT USER",
	    "let a suspended or demoted annotator work again, as qualified; audited", run_reinstate)

/* ---- overlap for a sampled share of the tasks ------------------------------------------------------------ */

struct sample_ctx {
	int64_t *id;
	size_t n, alloc;
};

static int open_task_cb(void *ctx, const struct store_task *t)
{
	struct sample_ctx *c = ctx;
	if (t->state != STORE_TASK_OPEN && t->state != STORE_TASK_IN_PROGRESS)
		return 0;
	if (c->n == c->alloc) {
		size_t a = c->alloc ? c->alloc * 2 : 256;
		int64_t *p = ml_realloc(c->id, a * sizeof(*p));
		if (!p)
			return -1;
		c->id = p;
		c->alloc = a;
	}
	c->id[c->n++] = t->id;
	return 0;
}

static int run_sample(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *v;
	double percent = -1;
	unsigned long long overlap = 0, seed = 1;
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--percent", &v)) {
			char *end;
			percent = strtod(v, &end);
			if (*end || !(percent >= 0 && percent <= 100))
				return cli_usage_error(ctx, "--percent wants a number from 0 to 100, not '%s'", v);
		} else if (cli_opt(argc, argv, &i, "--overlap", &v)) {
			if (!parse_count(v, 20, &overlap) || overlap < 1)
				return cli_usage_error(ctx, "--overlap wants an integer from 1 to 20, not '%s'", v);
		} else if (cli_opt(argc, argv, &i, "--seed", &v)) {
			if (!parse_count(v, UINT64_MAX, &seed))
				return cli_usage_error(ctx, "--seed wants a non-negative integer, not '%s'", v);
		} else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (!project)
			project = argv[i];
		else
			return cli_usage_error(ctx, "one project at a time ('%s' is extra)", argv[i]);
	}
	if (!project || percent < 0 || !overlap)
		return cli_usage_error(ctx, "usage: medlabel quality sample PROJECT --percent P --overlap N [--seed S]");
	struct store *s;
	struct store_project p;
	if (cli_open_project(ctx, project, &s, &p))
		return CLI_BAD_INPUT;
	struct ml_err err = {0};
	struct sample_ctx c = {0};
	struct store_task_filter f = {.project_id = p.id, .state = -1};
	int status = CLI_OK;
	size_t chosen = 0;
	if (store_task_list(s, &f, open_task_cb, &c, &err) < 0 || store_begin(s, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	/* Exactly round(percent% of the open tasks), chosen by a seeded shuffle: the same seed picks the same
	 * tasks, so the sample can be recomputed and audited. */
	size_t want = (size_t)llround((double)c.n * percent / 100.0);
	struct agree_rng rng;
	agree_rng_seed(&rng, seed);
	for (size_t i = 0; i < want && i < c.n; i++) {
		size_t j = i + (size_t)agree_rng_below(&rng, c.n - i);
		int64_t tmp = c.id[i];
		c.id[i] = c.id[j];
		c.id[j] = tmp;
		if (store_task_set_overlap(s, c.id[i], (int)overlap, &err) < 0) {
			store_rollback(s);
			status = cli_fail_err(ctx, &err);
			goto out;
		}
		chosen++;
	}
	if (store_commit(s, &err) < 0) {
		status = cli_fail_err(ctx, &err);
		goto out;
	}
	printf("overlap %llu set on %zu of %zu open tasks (seed %llu)\n", overlap, chosen, c.n, seed);
out:
	ml_free(c.id);
	store_project_release(&p);
	store_close(s);
	return status;
}

CLI_COMMAND(quality_sample, "quality sample", "PROJECT --percent P --overlap N [--seed S]",
	    "give a seeded random P% of the open tasks N annotators each (agreement sample)", run_sample)
