/* h_quality.c: GET /api/v1/projects/{project}/quality, the quality dashboard's data (quality_report_json). */
#include "http/http_int.h"
#include "quality/quality.h"

int h_quality_get(struct http_req *r)
{
	int64_t nboot, seed;
	if (http_query_int(r, "bootstrap", 200, 0, 10000, &nboot) || http_query_int(r, "seed", 1, 0, INT64_MAX, &seed))
		return -1;
	struct quality_report_options o = {.nboot = (size_t)nboot, .seed = (uint64_t)seed};
	char *out;
	if (quality_report_json(r->store, r->project_id, &o, &out, &r->err) < 0)
		return -1;
	json_t *v = json_loads(out, 0, NULL);
	ml_free(out);
	if (!v)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory building the quality report");
	return http_reply_json(r, 200, v);
}
