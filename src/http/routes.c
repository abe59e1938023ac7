/* routes.c: the route table, the single source of truth of the API, and path-pattern matching. */
#include "http/http_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P "/api/v1/projects/{project}"
#define RW HTTP_F_AUDIT_WRITE
#define RR HTTP_F_AUDIT_READ
#define JB HTTP_F_JSON_BODY
#define SLOW HTTP_F_SLOW
#define ALL HTTP_R_ALL
#define MGR HTTP_R_MANAGER
#define ANN HTTP_R_ANNOTATOR
#define REV HTTP_R_REVIEWER
#define VIEW HTTP_R_VIEWER

static const struct http_route builtin[] = {
	{"GET", "/api/v1/health", h_health, HTTP_PUBLIC, 0, 0, "health", "liveness probe"},
	{"POST", "/api/v1/login", h_login, HTTP_PUBLIC, 0, RW | JB | SLOW, "session.login", "log in, set the session cookie"},
	{"POST", "/api/v1/logout", h_logout, HTTP_USER, 0, RW, "session.logout", "end the session"},
	{"GET", "/api/v1/me", h_me, HTTP_USER, 0, 0, "me.read", "the calling user"},
	{"POST", "/api/v1/me/password", h_me_password, HTTP_USER, 0, RW | JB | SLOW, "me.password", "change own password"},
	{"GET", "/api/v1/tokens", h_token_list, HTTP_USER, 0, 0, "token.list", "own API tokens"},
	{"POST", "/api/v1/tokens", h_token_create, HTTP_USER, 0, RW | JB, "token.create", "create an API token"},
	{"DELETE", "/api/v1/tokens/{token}", h_token_revoke, HTTP_USER, 0, RW, "token.revoke", "revoke an API token"},
	{"GET", "/api/v1/users", h_user_list, HTTP_ADMIN, 0, 0, "user.list", "all users"},
	{"POST", "/api/v1/users", h_user_create, HTTP_ADMIN, 0, RW | JB | SLOW, "user.create", "create a user"},
	{"GET", "/api/v1/users/{user}", h_user_get, HTTP_ADMIN, 0, 0, "user.read", "one user"},
	{"PATCH", "/api/v1/users/{user}", h_user_update, HTTP_ADMIN, 0, RW | JB | SLOW, "user.update",
	 "disable, enable, make admin, set password"},
	{"GET", "/api/v1/audit", h_audit_list, HTTP_ADMIN, 0, 0, "audit.list", "the audit trail"},
	{"POST", "/api/v1/schemas/validate", h_schema_validate, HTTP_USER, 0, RW | JB, "schema.validate",
	 "check a labeling schema without storing it"},
	{"GET", "/api/v1/projects", h_project_list, HTTP_USER, 0, 0, "project.list", "projects the caller belongs to"},
	{"POST", "/api/v1/projects", h_project_create, HTTP_ADMIN, 0, RW | JB, "project.create", "create a project"},
	{"GET", P, h_project_get, HTTP_PROJECT, ALL, 0, "project.read", "one project with counts"},
	{"PATCH", P, h_project_update, HTTP_PROJECT, MGR, RW | JB, "project.update", "change project settings"},
	{"GET", P "/members", h_member_list, HTTP_PROJECT, ALL, 0, "member.list", "project members and roles"},
	{"PUT", P "/members/{user}", h_member_set, HTTP_PROJECT, MGR, RW | JB, "member.set", "add a member or change a role"},
	{"DELETE", P "/members/{user}", h_member_remove, HTTP_PROJECT, MGR, RW, "member.remove", "remove a member"},
	{"GET", P "/schema", h_schema_get, HTTP_PROJECT, ALL, 0, "schema.read", "the labeling schema"},
	{"PUT", P "/schema", h_schema_set, HTTP_PROJECT, MGR, RW | JB, "schema.set", "set a new schema version"},
	{"GET", P "/items", h_item_list, HTTP_PROJECT, MGR | REV | VIEW, 0, "item.list", "items (metadata only)"},
	{"POST", P "/items", h_item_create, HTTP_PROJECT, MGR, RW | JB, "item.create", "add a text item"},
	{"POST", P "/import", h_item_import, HTTP_PROJECT, MGR, RW | HTTP_F_MULTIPART | SLOW, "item.import",
	 "import one file (JSONL, text, CSV, FHIR, DICOM...) through the import formats, all or nothing"},
	{"POST", P "/items/upload", h_item_upload, HTTP_PROJECT, MGR, RW | HTTP_F_MULTIPART | SLOW, "item.upload",
	 "upload a media item (multipart)"},
	{"GET", P "/items/{item}", h_item_get, HTTP_PROJECT, ALL, RR, "item.read", "an item with its content"},
	{"POST", P "/items/{item}/deid", h_item_deid, HTTP_PROJECT, MGR | REV, RW | JB, "item.deid",
	 "review-mode de-identification: replace the reviewed PHI spans of a hidden item and release it"},
	{"GET", P "/items/{item}/media", h_item_media, HTTP_PROJECT, ALL, RR, "item.media", "an item's media (ranges)"},
	{"GET", P "/items/{item}/history", h_item_history, HTTP_PROJECT, ALL, RR, "item.history",
	 "the same patient's items of the same modality (a survey trajectory), for whoever may read the item"},
	{"GET", P "/items/{item}/frames/{frame}", h_item_frame, HTTP_PROJECT, ALL, RR, "item.frame",
	 "one frame (1-based) of a DICOM item as PNG or raw 16-bit samples"},
	{"GET", P "/tasks", h_task_list, HTTP_PROJECT, ALL, 0, "task.list",
	 "tasks, filtered, paginated (annotators: their own)"},
	{"GET", P "/tasks/{task}", h_task_get, HTTP_PROJECT, ALL, 0, "task.read", "one task"},
	{"GET", P "/next", h_next, HTTP_PROJECT, ANN | MGR, RW, "task.lease", "lease the caller's next task"},
	{"POST", P "/tasks/{task}/skip", h_task_skip, HTTP_PROJECT, ANN | MGR, RW, "task.skip",
	 "give back a leased task without annotating it"},
	{"GET", P "/tasks/{task}/predictions", h_prediction_list, HTTP_PROJECT, ALL, RR, "prediction.list",
	 "model predictions for a task"},
	{"GET", P "/tasks/{task}/annotations", h_annotation_list, HTTP_PROJECT, ALL, RR, "annotation.list",
	 "annotations of a task the caller may see"},
	{"POST", P "/tasks/{task}/annotations", h_annotation_create, HTTP_PROJECT, ANN | MGR, RW | JB,
	 "annotation.create", "submit an annotation for a leased task"},
	{"GET", P "/annotations/{annotation}", h_annotation_get, HTTP_PROJECT, ALL, RR, "annotation.read",
	 "one annotation (latest version)"},
	{"PUT", P "/annotations/{annotation}", h_annotation_update, HTTP_PROJECT, ANN | REV | MGR, RW | JB,
	 "annotation.update", "new version, If-Match the current one"},
	{"GET", P "/annotations/{annotation}/reviews", h_review_list, HTTP_PROJECT, ALL, 0, "review.list",
	 "reviews of an annotation"},
	{"POST", P "/annotations/{annotation}/reviews", h_review_create, HTTP_PROJECT, REV | MGR, RW | JB,
	 "review.create", "accept or reject an annotation"},
	{"GET", P "/tasks/{task}/comments", h_comment_list, HTTP_PROJECT, ALL, RR, "comment.list", "comments on a task"},
	{"POST", P "/tasks/{task}/comments", h_comment_create, HTTP_PROJECT, ANN | REV | MGR, RW | JB,
	 "comment.create", "comment on a task"},
	{"GET", P "/export", h_export, HTTP_PROJECT, MGR | VIEW, RR, "project.export", "stream the project as JSONL"},
	{"GET", P "/audit", h_project_audit, HTTP_PROJECT, MGR | VIEW, 0, "audit.list", "the project's audit trail"},
	{"GET", P "/quality", h_quality_get, HTTP_PROJECT, MGR | REV | VIEW, 0, "quality.read",
	 "agreement per control, label, pair, annotator and day; span F1; gold accuracy"},
	{"POST", P "/annotators/{user}/suspend", h_annotator_suspend, HTTP_PROJECT, MGR, RW, "annotator.suspend",
	 "stop an annotator's work in the project (no task until reinstated)"},
	{"POST", P "/annotators/{user}/reinstate", h_annotator_reinstate, HTTP_PROJECT, MGR, RW, "annotator.reinstate",
	 "let a suspended or demoted annotator work again, as qualified"},
	{"GET", P "/tasks/{task}/adjudication", h_adjudication_get, HTTP_PROJECT, REV | MGR, RR, "adjudication.read",
	 "every annotation of a task with its versions, the agreement and a suggested consensus"},
	{"POST", P "/tasks/{task}/adjudication", h_adjudication_create, HTTP_PROJECT, REV | MGR, RW | JB,
	 "adjudication.create", "the adjudicator's decision: an annotation of kind adjudicated; the task is done"},
};

#define MAX_EXTRA_ROUTES 128
static const struct http_route *extra[MAX_EXTRA_ROUTES];
static size_t nextra;
static struct http_route *all;
static size_t nall;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

void http_route_register(const struct http_route *rt)
{
	if (nextra == MAX_EXTRA_ROUTES) {
		fputs("medlabel: too many HTTP routes registered\n", stderr);
		abort();
	}
	extra[nextra++] = rt;
}

static int by_pattern(const void *a, const void *b)
{
	const struct http_route *x = a, *y = b;
	int c = strcmp(x->pattern, y->pattern);
	return c ? c : strcmp(x->method, y->method);
}

/* Built once, after every constructor has run: builtin routes in table order, then the registered ones
 * sorted, so the listing is the same whatever the link order. */
static void build_all(void)
{
	nall = ML_ARRAY_LEN(builtin) + nextra;
	all = ml_xcalloc(nall, sizeof *all);
	memcpy(all, builtin, sizeof builtin);
	for (size_t i = 0; i < nextra; i++)
		all[ML_ARRAY_LEN(builtin) + i] = *extra[i];
	qsort(all + ML_ARRAY_LEN(builtin), nextra, sizeof *all, by_pattern);
	for (size_t i = 0; i < nall; i++)
		for (size_t j = i + 1; j < nall; j++)
			if (!strcmp(all[i].pattern, all[j].pattern) && !strcmp(all[i].method, all[j].method)) {
				fprintf(stderr, "medlabel: route %s %s registered twice\n", all[i].method, all[i].pattern);
				abort();
			}
}

const struct http_route *http_routes(size_t *n)
{
	pthread_once(&all_once, build_all);
	*n = nall;
	return all;
}

static const char *access_name(enum http_access a)
{
	switch (a) {
	case HTTP_PUBLIC: return "public";
	case HTTP_USER: return "user";
	case HTTP_ADMIN: return "admin";
	case HTTP_PROJECT: return "project";
	}
	return "?";
}

int http_routes_json(struct ml_buf *b)
{
	size_t n;
	const struct http_route *routes = http_routes(&n);
	if (ml_buf_puts(b, "["))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct http_route *rt = &routes[i];
		if (ml_buf_printf(b, "%s\n{\"method\":\"%s\",\"path\":\"%s\",\"access\":\"%s\",\"roles\":[", i ? "," : "",
				  rt->method, rt->pattern, access_name(rt->access)))
			return -1;
		int k = 0;
		for (int role = STORE_ROLE_VIEWER; role <= STORE_ROLE_MANAGER; role++)
			if (rt->access == HTTP_PROJECT && (rt->roles & (1u << role)))
				if (ml_buf_printf(b, "%s\"%s\"", k++ ? "," : "", store_role_name((enum store_role)role)))
					return -1;
		if (ml_buf_printf(b, "],\"audited\":%s,\"json_body\":%s,\"multipart\":%s,\"action\":\"%s\",\"summary\":\"%s\"}",
				  (rt->flags & (HTTP_F_AUDIT_READ | HTTP_F_AUDIT_WRITE)) ? "true" : "false",
				  (rt->flags & HTTP_F_JSON_BODY) ? "true" : "false",
				  (rt->flags & HTTP_F_MULTIPART) ? "true" : "false", rt->action, rt->summary))
			return -1;
	}
	return ml_buf_puts(b, "\n]\n");
}

int http_pattern_match(const char *pattern, const char *path, int64_t *values, int max)
{
	int n = 0;
	const char *p = pattern, *s = path;
	while (*p) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close)
				return -1;
			p = close + 1;
			if (*s < '1' || *s > '9')
				return -1;
			int64_t v = 0;
			while (*s >= '0' && *s <= '9') {
				int d = *s++ - '0';
				if (v > (INT64_MAX - d) / 10)
					return -1;
				v = v * 10 + d;
			}
			if (*s && *s != '/')
				return -1;
			if (n >= max)
				return -1;
			values[n++] = v;
			continue;
		}
		if (*p != *s)
			return -1;
		p++, s++;
	}
	return *s ? -1 : n;
}
