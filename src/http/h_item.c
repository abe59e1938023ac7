/* h_item.c: handlers for items: listing, adding (JSON or multipart upload), content, media with ranges. */
#include "http/http_int.h"

#include "deid/deid.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"

struct item_list_ctx {
	json_t *a;
	int64_t last;
	int want, got;
	const char *patient; /* only this patient's items, NULL = all */
	bool show_hidden;    /* managers and reviewers see items awaiting de-identification review */
};

static int item_cb(void *ctx, const struct store_item *it)
{
	struct item_list_ctx *c = ctx;
	c->last = it->id;
	if (!it->visible && !c->show_hidden)
		return 0;
	if (c->patient && strcmp(c->patient, it->patient_key ? it->patient_key : ""))
		return 0;
	json_array_append_new(c->a, http_item_json(it, false));
	return ++c->got >= c->want ? 1 : 0;
}

int h_item_list(struct http_req *r)
{
	int64_t after, limit;
	if (http_query_id(r, "after", &after) || http_query_int(r, "limit", 100, 1, 1000, &limit))
		return -1;
	/* An item awaiting de-identification review is listed (metadata only) to those who review it. */
	struct item_list_ctx c = {json_array(), 0, (int)limit, 0, http_query(r, "patient"), false};
	if (c.patient && !*c.patient)
		c.patient = NULL;
	c.show_hidden = http_has_role(r, HTTP_R_MANAGER | HTTP_R_REVIEWER);
	if (store_item_list(r->store, r->project_id, after, item_cb, &c, &r->err) < 0) {
		json_decref(c.a);
		return -1;
	}
	json_t *o = json_pack("{s:o}", "items", c.a);
	json_object_set_new(o, "next_after", c.got >= c.want ? json_integer(c.last) : json_null());
	return http_reply_json(r, 200, o);
}

int http_project_overlap(struct http_req *r)
{
	json_t *s = http_json_parse_stored(r->project.settings_json);
	json_t *v = json_object_get(s, "overlap");
	int overlap = json_is_integer(v) ? (int)json_integer_value(v) : 1;
	json_decref(s);
	return overlap < 1 ? 1 : overlap;
}

static int check_patient_key(struct http_req *r, const char *key)
{
	if (key && strlen(key) > 128)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/patient_key", "patient_key longer than 128 bytes");
	return 0;
}

static int reply_item(struct http_req *r, int64_t item_id, int64_t task_id)
{
	snprintf(r->object_suffix, sizeof r->object_suffix, "/%" PRId64, item_id);
	return http_reply_json(r, 201, json_pack("{s:I,s:I}", "id", (json_int_t)item_id, "task_id", (json_int_t)task_id));
}

int h_item_create(struct http_req *r)
{
	static const char *const allowed[] = {"text", "meta", "patient_key", "source", "external_ref", NULL};
	const char *text, *patient_key, *source, *external_ref;
	if (http_json_only(r, r->json, allowed) || http_json_str(r, r->json, "text", true, &text) ||
	    http_json_str(r, r->json, "patient_key", false, &patient_key) ||
	    http_json_str(r, r->json, "source", false, &source) ||
	    http_json_str(r, r->json, "external_ref", false, &external_ref) || check_patient_key(r, patient_key))
		return -1;
	json_t *meta = json_object_get(r->json, "meta");
	if (meta && !json_is_object(meta))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/meta", "'meta' must be a JSON object");
	struct store_item it = {.project_id = r->project_id, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
				.patient_key = (char *)(patient_key ? patient_key : ""),
				.external_ref = (char *)(external_ref ? external_ref : ""), .text = (char *)text,
				.visible = true};
	if (source && !(it.source = store_source_parse(source)))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/source", "source must be ehr, imaging, survey or other");
	it.meta_json = meta ? http_json_text(r, meta) : "{}";
	if (!it.meta_json)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	auth_secret_hash(text, it.content_hash);
	/* A project that requires de-identification gets the item de-identified before it is stored, exactly
	 * as io_import_files does for imports (deid_import_apply: one policy for every way in). */
	struct deid_import *di = NULL;
	struct deid_import_out dout;
	deid_import_out_init(&dout);
	if (deid_import_new(r->project.settings_json, r->srv->cfg.data_dir, &di, &r->err) != 0)
		return -1;
	if (di) {
		int drc = deid_import_apply(di, &it, &dout, &r->err);
		if (drc != 0) {
			deid_import_free(di);
			return -1;
		}
		it.text = dout.text;
		it.meta_json = dout.meta_json;
		it.visible = dout.visible;
		memcpy(it.content_hash, dout.content_hash, sizeof it.content_hash);
	}
	int64_t item_id, task_id;
	int rc = store_begin(r->store, &r->err);
	if (rc == 0)
		rc = store_item_add(r->store, &it, http_project_overlap(r), &item_id, &task_id, &r->err);
	if (rc == 0 && dout.prediction_json) {
		struct store_prediction pr = {.task_id = task_id, .model = "medlabel-deid", .model_version = ML_VERSION,
					      .body_json = dout.prediction_json, .score = 1.0};
		rc = store_prediction_add(r->store, &pr, NULL, &r->err);
	}
	if (rc == 0)
		rc = store_commit(r->store, &r->err);
	else
		store_rollback(r->store);
	deid_import_out_release(&dout);
	deid_import_free(di);
	if (rc != 0)
		return -1;
	return reply_item(r, item_id, task_id);
}

/* ---- multipart upload ----------------------------------------------------------------------------- */

#define FIELD_MAX (64 * 1024)

struct http_upload {
	int fd;
	char tmp[4096];
	uint64_t written;
	bool have_file;
	char media_type[128];
	char filename[128];      /* the client's name of the file, sanitised (for import formats and messages) */
	struct ml_buf fields[4]; /* meta, modality, source, patient_key */
};
static const char *const upload_fields[] = {"meta", "modality", "source", "patient_key"};

/* Keeps the base name's [A-Za-z0-9._-] characters (others become '_'); never empty, never hidden. */
static void sanitise_filename(const char *in, char *out, size_t n)
{
	const char *base = in ? strrchr(in, '/') : NULL;
	base = base ? base + 1 : (in ? in : "");
	const char *b2 = strrchr(base, '\\');
	base = b2 ? b2 + 1 : base;
	size_t k = 0;
	for (const char *c = base; *c && k + 1 < n; c++)
		out[k++] = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    *c == '.' || *c == '-' || *c == '_') ? *c : '_';
	out[k] = '\0';
	if (k == 0 || out[0] == '.') { /* "upload" + the name, cut to fit */
		char tmp[128];
		snprintf(tmp, sizeof tmp, "%.100s", out);
		snprintf(out, n, "upload%.*s", (int)(n > 7 ? n - 7 : 0), tmp);
	}
}

static enum MHD_Result upload_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
				   const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
				   size_t size)
{
	struct http_req *r = cls;
	struct http_upload *u = r->upload;
	if (!strcmp(key, "file")) {
		if (off == 0) {
			if (u->have_file && u->written > 0) {
				ml_err_field(&r->err, ML_EINVAL, "file", "only one file per upload");
				return MHD_NO;
			}
			u->have_file = true;
			snprintf(u->media_type, sizeof u->media_type, "%s",
				 content_type ? content_type : "application/octet-stream");
			sanitise_filename(filename, u->filename, sizeof u->filename);
		}
		if (u->written + size > r->srv->cfg.max_upload) {
			r->body_too_large = true;
			return MHD_NO;
		}
		size_t done = 0;
		while (done < size) {
			ssize_t w = write(u->fd, data + done, size - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				ml_err_set(&r->err, ML_EIO, "cannot write the upload to disk: %s", strerror(errno));
				return MHD_NO;
			}
			done += (size_t)w;
		}
		u->written += size;
		return MHD_YES;
	}
	for (size_t i = 0; i < ML_ARRAY_LEN(upload_fields); i++)
		if (!strcmp(key, upload_fields[i])) {
			if (ml_buf_append(&u->fields[i], data, size) != 0) {
				ml_err_field(&r->err, ML_EINVAL, key, "form field '%s' longer than %d bytes", key, FIELD_MAX);
				return MHD_NO;
			}
			return MHD_YES;
		}
	ml_err_field(&r->err, ML_EINVAL, "", "unknown form field");
	return MHD_NO;
}

int http_upload_begin(struct http_req *r)
{
	struct http_upload *u = ml_calloc(1, sizeof *u);
	if (!u)
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	for (size_t i = 0; i < ML_ARRAY_LEN(u->fields); i++)
		ml_buf_init(&u->fields[i], FIELD_MAX);
	r->upload = u;
	u->fd = -1;
	char dir[2048];
	if ((size_t)snprintf(dir, sizeof dir, "%s/tmp", r->srv->cfg.data_dir) >= sizeof dir)
		return HTTP_FAIL(r, ML_EINVAL, "data folder path too long");
	if (ml_mkdirs(dir, 0700, &r->err) != 0)
		return -1;
	snprintf(u->tmp, sizeof u->tmp, "%s/upload-XXXXXX", dir);
	u->fd = mkstemp(u->tmp);
	if (u->fd < 0) {
		u->tmp[0] = '\0';
		return HTTP_FAIL(r, ML_EIO, "cannot create a temporary upload file: %s", strerror(errno));
	}
	r->pp = MHD_create_post_processor(r->conn, 64 * 1024, upload_iter, r);
	if (!r->pp)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "Content-Type", "multipart/form-data needs a boundary");
	return 0;
}

void http_upload_info(struct http_req *r, struct http_upload_info *out)
{
	struct http_upload *u = r->upload;
	out->have_file = u && u->have_file;
	out->size = u ? u->written : 0;
	out->tmp_path = u ? u->tmp : "";
	out->filename = u && u->filename[0] ? u->filename : "upload";
	out->media_type = u ? u->media_type : "";
}

void http_upload_forget_tmp(struct http_req *r)
{
	if (r->upload)
		r->upload->tmp[0] = '\0';
}

void http_upload_free(struct http_req *r)
{
	struct http_upload *u = r->upload;
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->tmp[0])
		unlink(u->tmp);
	for (size_t i = 0; i < ML_ARRAY_LEN(u->fields); i++)
		ml_buf_release(&u->fields[i]);
	ml_free(u);
	r->upload = NULL;
}

static enum store_modality modality_of(const char *media_type)
{
	if (!strncmp(media_type, "image/", 6))
		return STORE_MOD_IMAGE;
	if (!strncmp(media_type, "audio/", 6))
		return STORE_MOD_AUDIO;
	if (!strncmp(media_type, "video/", 6))
		return STORE_MOD_VIDEO;
	if (!strcmp(media_type, "application/dicom"))
		return STORE_MOD_DICOM_SERIES;
	return 0;
}

static bool plain_media_type(const char *t)
{
	/* type/subtype of token characters only: it is sent back as a Content-Type header. */
	const char *slash = strchr(t, '/');
	if (!slash || slash == t || !slash[1] || strlen(t) > 100)
		return false;
	for (const char *c = t; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      strchr("/.+-", *c)))
			return false;
	return strchr(slash + 1, '/') == NULL;
}

int h_item_upload(struct http_req *r)
{
	struct http_upload *u = r->upload;
	if (r->err.code != ML_OK)
		return -1;
	if (!u->have_file || u->written == 0)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "file", "the upload has no (or an empty) 'file' part");
	const char *meta = u->fields[0].len ? u->fields[0].data : "{}";
	const char *mod = u->fields[1].len ? u->fields[1].data : NULL;
	const char *src = u->fields[2].len ? u->fields[2].data : NULL;
	const char *pkey = u->fields[3].len ? u->fields[3].data : "";
	for (size_t i = 0; i < ML_ARRAY_LEN(u->fields); i++) {
		size_t bad;
		if (u->fields[i].len && (!ml_utf8_valid(u->fields[i].data, u->fields[i].len, &bad) ||
					 strlen(u->fields[i].data) != u->fields[i].len))
			return HTTP_FAIL_FIELD(r, ML_EINVAL, upload_fields[i], "form field '%s' is not valid UTF-8 text",
					       upload_fields[i]);
	}
	json_error_t je;
	json_t *mj = json_loads(meta, JSON_REJECT_DUPLICATES, &je);
	bool meta_ok = json_is_object(mj);
	json_decref(mj);
	if (!meta_ok)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "meta", "form field 'meta' must be a JSON object");
	if (check_patient_key(r, pkey))
		return -1;
	if (!plain_media_type(u->media_type))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "file", "the file part has a malformed Content-Type");
	struct store_item it = {.project_id = r->project_id, .source = STORE_SRC_IMAGING, .patient_key = (char *)pkey,
				.meta_json = (char *)meta, .media_type = u->media_type, .external_ref = "",
				.visible = true};
	it.modality = mod ? store_modality_parse(mod) : modality_of(u->media_type);
	if (!it.modality)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "modality", "unknown modality (send a 'modality' field)");
	if (src && !(it.source = store_source_parse(src)))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "source", "source must be ehr, imaging, survey or other");
	if (fsync(u->fd) != 0)
		return HTTP_FAIL(r, ML_EIO, "cannot sync the upload: %s", strerror(errno));
	char hash[65];
	if (store_media_put_file(r->srv->cfg.data_dir, u->tmp, r->srv->cfg.max_upload, hash, &r->err) != 0)
		return -1;
	it.media_hash = hash;
	memcpy(it.content_hash, hash, sizeof it.content_hash);
	int64_t item_id, task_id;
	http_write_lock();
	int rc = store_item_add(r->store, &it, http_project_overlap(r), &item_id, &task_id, &r->err);
	http_write_unlock();
	if (rc != 0)
		return -1;
	return reply_item(r, item_id, task_id);
}

/* ---- reading -------------------------------------------------------------------------------------- */

int h_item_get(struct http_req *r)
{
	struct store_item it;
	if (http_load_item(r, r->params[1], &it) != 0)
		return -1;
	json_t *o = http_item_json(&it, true);
	store_item_release(&it);
	return http_reply_json(r, 200, o);
}

/* Media types a browser may render from our origin: images (not SVG, which runs scripts), audio, video.
 * Anything else an uploader declared (text/html, text/javascript...) would run as our own page or script
 * (the CSP allows scripts from 'self'), so it is sent as an opaque download. */
static bool inline_media_type(const char *t)
{
	static const char *const ok[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
					 "image/tiff", "application/dicom", "application/octet-stream", NULL};
	for (const char *const *k = ok; *k; k++)
		if (!strcmp(t, *k))
			return true;
	return !strncmp(t, "audio/", 6) || !strncmp(t, "video/", 6);
}

int h_item_media(struct http_req *r)
{
	struct store_item it;
	if (http_load_item(r, r->params[1], &it) != 0)
		return -1;
	if (!it.media_hash) {
		store_item_release(&it);
		return HTTP_FAIL(r, ML_ENOTFOUND, "this item has no media");
	}
	char path[4096], etag[80], type[128];
	snprintf(etag, sizeof etag, "\"%s\"", it.media_hash);
	snprintf(type, sizeof type, "%s", it.media_type ? it.media_type : "application/octet-stream");
	bool attachment = !inline_media_type(type);
	if (attachment)
		snprintf(type, sizeof type, "application/octet-stream");
	int rc = store_media_path(r->srv->cfg.data_dir, it.media_hash, path, sizeof path, &r->err);
	store_item_release(&it);
	if (rc != 0)
		return -1;
	const char *inm = http_header(r, "If-None-Match");
	if (inm && (!strcmp(inm, etag) || !strcmp(inm, "*"))) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "ETag", etag);
		return http_queue(r, 304, resp); /* 503 without one */
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return HTTP_FAIL(r, ML_EIO, "media file of item %" PRId64 " is missing", r->params[1]);
	}
	uint64_t size = (uint64_t)st.st_size, from = 0, len = size;
	/* If-Range with a different ETag means the client's copy is stale: send everything. */
	const char *ifr = http_header(r, "If-Range");
	int pr = (ifr && strcmp(ifr, etag)) ? 1 : http_parse_range(http_header(r, "Range"), size, &from, &len);
	if (pr < 0) {
		close(fd);
		http_reply_status(r, 416, "range_not_satisfiable", "Range", "the requested range is outside the file");
		return 0; /* Content-Range on a 416 is optional; the JSON says why */
	}
	struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, from);
	if (!resp) {
		close(fd);
		return HTTP_FAIL(r, ML_ENOMEM, "out of memory");
	}
	MHD_add_response_header(resp, "Content-Type", type);
	/* Uploaded bytes are never a document of ours: no scripts, no same-origin rights, whatever they hold. */
	MHD_add_response_header(resp, "Content-Security-Policy", "sandbox; default-src 'none'");
	if (attachment)
		MHD_add_response_header(resp, "Content-Disposition", "attachment");
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	MHD_add_response_header(resp, "Cache-Control", "private, max-age=0, must-revalidate");
	if (pr == 0) {
		char cr[96];
		snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from,
			 (unsigned long long)(from + len - 1), (unsigned long long)size);
		MHD_add_response_header(resp, "Content-Range", cr);
		return http_queue(r, 206, resp);
	}
	return http_queue(r, 200, resp);
}

/* ---- review-mode de-identification ---------------------------------------------------------------- */

/* POST .../items/{item}/deid {"body": ANNOTATION_BODY} (the reviewed PHI spans, results of the project's
 * deid control) or {"accept": true} (the engine's proposal as is): replaces them in the hidden item's text
 * (deid_review_apply) and makes the item visible to annotators. */
int h_item_deid(struct http_req *r)
{
	static const char *const allowed[] = {"body", "accept", NULL};
	if (http_json_only(r, r->json, allowed))
		return -1;
	json_t *body = json_object_get(r->json, "body"), *accept = json_object_get(r->json, "accept");
	if (body && !json_is_object(body))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/body", "'body' must be an annotation body object");
	if (accept && !json_is_boolean(accept))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/accept", "'accept' must be true or false");
	if (!body && !json_is_true(accept))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "/body", "send the reviewed spans as 'body', or \"accept\": true");
	struct store_item it;
	if (http_load_item(r, r->params[1], &it) != 0)
		return -1;
	bool pending = !it.visible;
	store_item_release(&it);
	if (!pending)
		return HTTP_FAIL(r, ML_ECONFLICT, "item %" PRId64 " is not awaiting de-identification review", r->params[1]);
	struct store_task task;
	/* the item's task has the item's id (tasks.item_id = tasks.id in the store's schema) */
	if (store_task_get(r->store, r->params[1], &task, &r->err) != 0) {
		if (r->err.code != ML_ENOTFOUND)
			return -1;
		return HTTP_FAIL(r, ML_ENOTFOUND, "item %" PRId64 " has no task", r->params[1]);
	}
	if (task.project_id != r->project_id || task.item_id != r->params[1])
		return HTTP_FAIL(r, ML_ENOTFOUND, "item %" PRId64 " has no task", r->params[1]);
	struct deid_import *di = NULL;
	if (deid_import_new(r->project.settings_json, r->srv->cfg.data_dir, &di, &r->err) != 0)
		return -1;
	if (!di || !deid_import_config(di)->review) {
		deid_import_free(di);
		return HTTP_FAIL(r, ML_ECONFLICT, "the project does not use review-mode de-identification");
	}
	char *text = body ? http_json_text(r, body) : NULL;
	bool applied = false;
	int rc = deid_review_apply(r->store, di, &task, text, true, &applied, &r->err);
	deid_import_free(di);
	if (rc != 0) {
		http_err_prefix_field(r, "/body");
		return -1;
	}
	if (!applied)
		return HTTP_FAIL(r, ML_ECONFLICT, "item %" PRId64 " is not awaiting de-identification review", r->params[1]);
	return http_reply_json(r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)r->params[1], "visible", 1));
}

/* ---- a patient's trajectory --------------------------------------------------------------------- */

struct history_ctx {
	const struct store_item *of;
	json_t *a;
	int n;
};

static int history_cb(void *ctx, const struct store_item *it)
{
	struct history_ctx *h = ctx;
	if (!it->visible || it->modality != h->of->modality || strcmp(it->patient_key ? it->patient_key : "", h->of->patient_key))
		return 0;
	json_array_append_new(h->a, http_item_json(it, false));
	return ++h->n >= 1000 ? 1 : 0;
}

/* GET .../items/{item}/history: the items of the same patient and modality (a survey's monthly
 * responses), in id order with their metadata, for whoever may read the item itself: a coder sees the
 * trajectory of the patient they are coding without being able to list the project. */
int h_item_history(struct http_req *r)
{
	struct store_item it;
	if (http_load_item(r, r->params[1], &it) != 0)
		return -1;
	json_t *a = json_array();
	int rc = 0;
	if (!it.patient_key || !*it.patient_key) {
		json_array_append_new(a, http_item_json(&it, false));
	} else {
		struct history_ctx h = {&it, a, 0};
		if (store_item_list(r->store, r->project_id, 0, history_cb, &h, &r->err) < 0)
			rc = -1;
	}
	store_item_release(&it);
	if (rc) {
		json_decref(a);
		return -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "items", a));
}
