/* h_ontology.c: the ontology routes — list, search, parents, children — global (/api/v1/ontologies, global
 * ontologies only) and per project (/api/v1/projects/{project}/ontologies, global ones and the project's).
 * Ontologies come from the process-wide cache (text_ontology_get), so a search costs only the search. */
#include "http/http_int.h"
#include "text/text.h"

#include <stdio.h>
#include <string.h>

static int64_t scope_of(struct http_req *r)
{
	return r->have_project ? r->project_id : 0;
}

static int list_cb(void *ctx, const struct text_ontology_info *i)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "id", (json_int_t)i->id, "name",
					     i->name, "version", i->version, "system", i->system, "hash", i->hash,
					     "concepts", i->concepts, "project_id", (json_int_t)i->project_id, "loaded_at",
					     (json_int_t)i->loaded_at));
	return 0;
}

static int h_ontology_list(struct http_req *r)
{
	json_t *a = json_array();
	if (text_ontology_list(r->srv->cfg.data_dir, scope_of(r), list_cb, a, &r->err)) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "ontologies", a));
}

/* The ontology of the path's last id parameter, visible in this scope (404 otherwise). */
static int get_onto(struct http_req *r, const struct text_ontology **o)
{
	char id[32];
	snprintf(id, sizeof id, "%lld", (long long)r->params[r->nparams - 1]);
	return text_ontology_get(r->srv->cfg.data_dir, id, scope_of(r), o, &r->err);
}

static json_t *from_buf(struct ml_buf *b)
{
	json_t *v = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	ml_buf_release(b);
	return v;
}

static int h_ontology_get(struct http_req *r)
{
	const struct text_ontology *o;
	if (get_onto(r, &o))
		return -1;
	return http_reply_json(r, 200, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:I}", "id", (json_int_t)o->id, "name",
						 o->name, "version", o->version, "system", o->system, "hash", o->hash,
						 "concepts", o->n, "project_id", (json_int_t)o->project_id));
}

static int h_ontology_search(struct http_req *r)
{
	const struct text_ontology *o;
	int64_t limit;
	if (http_query_int(r, "limit", 20, 1, 200, &limit) || get_onto(r, &o))
		return -1;
	const char *q = http_query(r, "q");
	if (!q)
		q = "";
	struct text_hit hits[200];
	int n = text_ontology_search(o, q, hits, (int)limit, &r->err);
	if (n < 0) {
		snprintf(r->err.field, sizeof r->err.field, "q");
		return -1;
	}
	struct ml_buf b;
	ml_buf_init(&b, 0);
	if (text_ontology_hits_json(o, hits, n, &b)) {
		ml_buf_release(&b);
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	}
	return http_reply_json(r, 200, json_pack("{s:I, s:o}", "ontology", (json_int_t)o->id, "hits", from_buf(&b)));
}

/* ?code= names the concept; parents of nothing are none, children of nothing are the top-level concepts. */
static int relatives(struct http_req *r, bool parents)
{
	const struct text_ontology *o;
	int64_t limit;
	if (http_query_int(r, "limit", 1000, 1, 10000, &limit) || get_onto(r, &o))
		return -1;
	const char *code = http_query(r, "code");
	struct ml_buf b;
	ml_buf_init(&b, 0);
	if (code && *code) {
		int c = text_ontology_find_code(o, code);
		if (c < 0)
			return HTTP_FAIL_FIELD(r, ML_ENOTFOUND, "code", "no code '%.64s' in ontology %lld", code, (long long)o->id);
		if (parents ? text_ontology_parents_json(o, c, &b) : text_ontology_children_json(o, c, &b)) {
			ml_buf_release(&b);
			return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
		}
		return http_reply_json(r, 200, json_pack("{s:s, s:o}", "code", o->concepts[c].code,
							 parents ? "parents" : "children", from_buf(&b)));
	}
	json_t *a = json_array();
	for (int i = 0; !parents && i < o->n && (int64_t)json_array_size(a) < limit; i++)
		if (!o->concepts[i].nresolved && !o->concepts[i].obsolete)
			json_array_append_new(a, json_pack("{s:s, s:s}", "code", o->concepts[i].code, "display",
							   o->concepts[i].display));
	return http_reply_json(r, 200, json_pack("{s:n, s:o}", "code", parents ? "parents" : "children", a));
}

static int h_ontology_parents(struct http_req *r)
{
	return relatives(r, true);
}

static int h_ontology_children(struct http_req *r)
{
	return relatives(r, false);
}

#define OP "/api/v1/projects/{project}/ontologies"
HTTP_ROUTE(onto_list, {"GET", "/api/v1/ontologies", h_ontology_list, HTTP_USER, 0, 0, "ontology.list",
		       "global ontologies"});
HTTP_ROUTE(onto_get, {"GET", "/api/v1/ontologies/{ontology}", h_ontology_get, HTTP_USER, 0, 0, "ontology.read",
		      "one global ontology"});
HTTP_ROUTE(onto_search, {"GET", "/api/v1/ontologies/{ontology}/search", h_ontology_search, HTTP_USER, 0, 0,
			 "ontology.search", "ranked concept search (?q=, &limit=)"});
HTTP_ROUTE(onto_parents, {"GET", "/api/v1/ontologies/{ontology}/parents", h_ontology_parents, HTTP_USER, 0, 0,
			  "ontology.parents", "direct parents of ?code="});
HTTP_ROUTE(onto_children, {"GET", "/api/v1/ontologies/{ontology}/children", h_ontology_children, HTTP_USER, 0, 0,
			   "ontology.children", "direct children of ?code= (top-level concepts without it)"});
HTTP_ROUTE(ponto_list, {"GET", OP, h_ontology_list, HTTP_PROJECT, HTTP_R_ALL, 0, "ontology.list",
			"ontologies the project may use (global and its own)"});
HTTP_ROUTE(ponto_get, {"GET", OP "/{ontology}", h_ontology_get, HTTP_PROJECT, HTTP_R_ALL, 0, "ontology.read",
		       "one ontology the project may use"});
HTTP_ROUTE(ponto_search, {"GET", OP "/{ontology}/search", h_ontology_search, HTTP_PROJECT, HTTP_R_ALL, 0,
			  "ontology.search", "ranked concept search (?q=, &limit=)"});
HTTP_ROUTE(ponto_parents, {"GET", OP "/{ontology}/parents", h_ontology_parents, HTTP_PROJECT, HTTP_R_ALL, 0,
			   "ontology.parents", "direct parents of ?code="});
HTTP_ROUTE(ponto_children, {"GET", OP "/{ontology}/children", h_ontology_children, HTTP_PROJECT, HTTP_R_ALL, 0,
			    "ontology.children", "direct children of ?code= (top-level concepts without it)"});
