/* h_frames.c: GET .../items/{item}/frames/{frame}: one frame of a DICOM item rendered to PNG (windowed
 * on the server: ?preset=lung or ?wc=&ww=, ?max= for thumbnails) or as raw 16-bit samples
 * (?format=raw) for a browser that windows itself, with the sample layout in X- headers. Frame numbers
 * are 1-based, as DICOM numbers frames; a series item maps them to its instances in slice order. */
#include "http/http_int.h"

#include "media/media.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Finds the media file and the frame within it for series frame `frame` (0-based). */
static int locate(struct http_req *r, const struct store_item *it, int64_t frame, char *hash, uint32_t *within)
{
	json_error_t je;
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, &je);
	json_t *inst = json_object_get(json_object_get(meta, "dicom"), "instances");
	int rc = -1;
	if (!json_is_array(inst)) {
		/* A single DICOM file stored without series metadata. */
		snprintf(hash, 65, "%s", it->media_hash);
		*within = (uint32_t)frame;
		rc = 0;
		goto done;
	}
	size_t i;
	json_t *v;
	int64_t first = 0;
	json_array_foreach(inst, i, v) {
		json_int_t n = json_integer_value(json_object_get(v, "frames"));
		const char *h = json_string_value(json_object_get(v, "media"));
		if (n < 1 || !h || strlen(h) != 64)
			break;
		if (frame < first + n) {
			snprintf(hash, 65, "%s", h);
			*within = (uint32_t)(frame - first);
			rc = 0;
			goto done;
		}
		first += n;
	}
	HTTP_FAIL_FIELD(r, ML_ENOTFOUND, "frame", "item %" PRId64 " has %" PRId64 " frames", it->id, first);
done:
	json_decref(meta);
	return rc;
}

static int query_double(struct http_req *r, const char *name, double *out)
{
	const char *v = http_query(r, name);
	if (!v)
		return 0;
	char *end;
	*out = strtod(v, &end);
	if (end == v || *end)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, name, "'%s' must be a number", name);
	return 1;
}

int h_item_frame(struct http_req *r)
{
	struct media_frame_request req = {.frame = 0, .format = MEDIA_FORMAT_PNG};
	const char *fmt = http_query(r, "format");
	if (fmt && !strcmp(fmt, "raw"))
		req.format = MEDIA_FORMAT_RAW16;
	else if (fmt && strcmp(fmt, "png"))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "format", "format must be png or raw");
	req.preset = http_query(r, "preset");
	if (req.preset && !media_preset_find(req.preset))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "preset", "unknown preset (lung, mediastinum, bone, brain, abdomen)");
	int hc = query_double(r, "wc", &req.center), hw = query_double(r, "ww", &req.width);
	if (hc < 0 || hw < 0)
		return -1;
	if (hc != hw)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, hc ? "ww" : "wc", "give both wc and ww");
	if (hc && req.width <= 0)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "ww", "window width must be positive");
	req.has_window = hc == 1;
	int64_t max;
	if (http_query_int(r, "max", 0, 0, 4096, &max) != 0)
		return -1;
	req.max_size = (uint32_t)max;

	struct store_item it;
	if (http_load_item(r, r->params[1], &it) != 0)
		return -1;
	char hash[65] = "", path[4096];
	int rc = -1;
	if (it.modality != STORE_MOD_DICOM_SERIES || !it.media_hash)
		HTTP_FAIL(r, ML_ENOTFOUND, "item %" PRId64 " is not a DICOM item", it.id);
	else if (locate(r, &it, r->params[2] - 1, hash, &req.frame) == 0 &&
		 store_media_path(r->srv->cfg.data_dir, hash, path, sizeof path, &r->err) == 0)
		rc = 0;
	store_item_release(&it);
	if (rc)
		return -1;

	char etag[160];
	snprintf(etag, sizeof etag, "\"%s-%u-%d-%s-%g-%g-%u\"", hash, req.frame, (int)req.format,
		 req.preset ? req.preset : "", req.has_window ? req.center : 0, req.has_window ? req.width : 0, req.max_size);
	const char *inm = http_header(r, "If-None-Match");
	if (inm && !strcmp(inm, etag)) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "ETag", etag);
		return http_queue(r, 304, resp); /* 503 without one */
	}
	struct ml_buf body, meta;
	ml_buf_init(&body, 0);
	ml_buf_init(&meta, 0);
	const char *type = NULL;
	if (media_dicom_render(path, &req, &body, &meta, &type, &r->err) != 0) {
		ml_buf_release(&body);
		ml_buf_release(&meta);
		return -1;
	}
	size_t len;
	char *data = ml_buf_detach(&body, &len);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		ml_free(data); /* MHD frees the buffer only of a response it made */
		ml_buf_release(&meta);
		return http_queue(r, 200, NULL); /* 503 */
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "private, max-age=3600");
	if (req.format == MEDIA_FORMAT_RAW16 && meta.data) {
		/* The layout, for the browser's own windowing: X-Rows, X-Columns, X-Pixel-Signed, slope... */
		json_error_t je;
		json_t *m = json_loads(meta.data, 0, &je);
		char v[64];
		static const struct { const char *key, *header; } map[] = {
			{"rows", "X-Rows"}, {"columns", "X-Columns"}, {"slope", "X-Rescale-Slope"},
			{"intercept", "X-Rescale-Intercept"}, {"window_center", "X-Window-Center"},
			{"window_width", "X-Window-Width"}, {"samples", "X-Samples"}};
		for (size_t k = 0; m && k < sizeof map / sizeof map[0]; k++) {
			json_t *x = json_object_get(m, map[k].key);
			if (json_is_number(x)) {
				snprintf(v, sizeof v, "%.10g", json_number_value(x));
				MHD_add_response_header(resp, map[k].header, v);
			}
		}
		MHD_add_response_header(resp, "X-Pixel-Signed", json_is_true(json_object_get(m, "signed")) ? "1" : "0");
		json_decref(m);
	}
	ml_buf_release(&meta);
	return http_queue(r, 200, resp);
}
