/* dicomweb.c: the DICOMweb client: QIDO-RS, WADO-RS (multipart/related) and STOW-RS over libcurl. */
#include "pacs/pacs.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int pacs_uid_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
		if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return 1;
}

void pacs_uids_free(char **uids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ml_free(uids[i]);
	ml_free(uids);
}

struct resp {
	struct ml_buf body;
	char content_type[512];
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	if (ml_buf_append(&r->body, p, size * n)) {
		r->too_big = true;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n;
	if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
		size_t off = 13;
		while (off < len && (p[off] == ' ' || p[off] == '\t'))
			off++;
		size_t m = len - off;
		while (m && (p[off + m - 1] == '\r' || p[off + m - 1] == '\n'))
			m--;
		if (m >= sizeof r->content_type)
			m = sizeof r->content_type - 1;
		memcpy(r->content_type, p + off, m);
		r->content_type[m] = 0;
	}
	return len;
}

/* One request: GET (body NULL) or POST. *status receives the HTTP status. */
static int request(const struct pacs_conn *c, const char *what, const char *url, const char *accept,
		   const char *content_type, const void *body, size_t body_len, struct resp *r, long *status,
		   struct ml_err *err)
{
	CURL *h = curl_easy_init();
	if (!h)
		return ml_err_set(err, ML_ENOMEM, "%s: cannot start an HTTP client", what);
	struct curl_slist *hdrs = NULL;
	char line[600];
	snprintf(line, sizeof line, "Accept: %s", accept);
	hdrs = curl_slist_append(hdrs, line);
	if (content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (c->token && *c->token) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s > 0 ? c->timeout_s : 600L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	CURLcode cc = curl_easy_perform(h);
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (r->too_big)
		return ml_err_set(err, ML_ELIMIT, "%s: the response is larger than %zu MiB", what, PACS_MAX_RESPONSE >> 20);
	if (cc != CURLE_OK)
		return ml_err_set(err, ML_EIO, "%s: %s", what, curl_easy_strerror(cc));
	return 0;
}

static void resp_init(struct resp *r)
{
	memset(r, 0, sizeof *r);
	ml_buf_init(&r->body, PACS_MAX_RESPONSE);
}

/* {url}/studies/{study}{suffix} */
static int make_url(const struct pacs_conn *c, const char *study, const char *suffix, char *out, size_t n,
		    struct ml_err *err)
{
	if (strncmp(c->url, "http://", 7) && strncmp(c->url, "https://", 8))
		return ml_err_set(err, ML_EINVAL, "the DICOMweb URL must start with http:// or https://");
	if (study && !pacs_uid_valid(study))
		return ml_err_set(err, ML_EINVAL, "the study UID must be 1 to 64 digits and dots");
	size_t ul = strlen(c->url);
	while (ul && c->url[ul - 1] == '/')
		ul--;
	int w = study ? snprintf(out, n, "%.*s/studies/%s%s", (int)ul, c->url, study, suffix)
		      : snprintf(out, n, "%.*s/studies%s", (int)ul, c->url, suffix);
	if (w < 0 || (size_t)w >= n)
		return ml_err_set(err, ML_EINVAL, "the DICOMweb URL is too long");
	return 0;
}

int pacs_qido_instances(const struct pacs_conn *c, const char *study, char ***uids, size_t *n, struct ml_err *err)
{
	*uids = NULL;
	*n = 0;
	char url[4300];
	if (make_url(c, study, "/instances?includefield=00080018", url, sizeof url, err))
		return -1;
	struct resp r;
	resp_init(&r);
	long status;
	int rc = request(c, "QIDO-RS search", url, "application/dicom+json", NULL, NULL, 0, &r, &status, err);
	if (!rc && (status == 204 || status == 404 || (status == 200 && r.body.len == 0)))
		rc = ml_err_set(err, ML_ENOTFOUND, "QIDO-RS search: the server has no instance of that study");
	else if (!rc && status != 200)
		rc = ml_err_set(err, ML_EIO, "QIDO-RS search: the server answered HTTP %ld", status);
	json_t *arr = NULL;
	if (!rc) {
		json_error_t je;
		arr = json_loadb(r.body.data, r.body.len, 0, &je);
		if (!json_is_array(arr))
			rc = ml_err_set(err, ML_EINVAL, "QIDO-RS search: the answer is not a JSON array (at byte %d)", je.position);
		else if (json_array_size(arr) == 0)
			rc = ml_err_set(err, ML_ENOTFOUND, "QIDO-RS search: the server has no instance of that study");
	}
	if (!rc) {
		size_t m = json_array_size(arr);
		*uids = ml_xcalloc(m, sizeof **uids);
		for (size_t i = 0; i < m; i++) {
			json_t *v = json_object_get(json_object_get(json_array_get(arr, i), "00080018"), "Value");
			const char *s = json_string_value(json_array_get(v, 0));
			if (!s || !pacs_uid_valid(s)) {
				rc = ml_err_set(err, ML_EINVAL, "QIDO-RS search: result %zu has no valid SOP Instance UID", i);
				break;
			}
			(*uids)[(*n)++] = ml_xstrdup(s);
		}
		if (rc) {
			pacs_uids_free(*uids, *n);
			*uids = NULL;
			*n = 0;
		}
	}
	json_decref(arr);
	ml_buf_release(&r.body);
	return rc;
}

int pacs_boundary_of(const char *ct, char *out, size_t outlen)
{
	const char *p = ct;
	while ((p = strcasestr(p, "boundary=")) != NULL) {
		if (p == ct || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t')
			break;
		p++;
	}
	if (!p)
		return -1;
	p += 9;
	size_t n = 0;
	if (*p == '"') {
		p++;
		while (p[n] && p[n] != '"')
			n++;
	} else {
		while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
			n++;
	}
	if (n == 0 || n > 70 || n >= outlen) /* RFC 2046: at most 70 characters */
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

int pacs_multipart_parse(const char *body, size_t len, const char *boundary,
			 int (*fn)(void *ctx, const char *data, size_t len, struct ml_err *err), void *ctx,
			 struct ml_err *err)
{
	char delim[80];
	int dl = snprintf(delim, sizeof delim, "--%s", boundary);
	if (dl < 3 || (size_t)dl >= sizeof delim)
		return ml_err_set(err, ML_EINVAL, "multipart: bad boundary");
	const char *end = body + len;
	const char *p = memmem(body, len, delim, (size_t)dl);
	if (!p)
		return ml_err_set(err, ML_EINVAL, "multipart: the boundary never occurs in the %zu-byte body", len);
	for (;;) {
		p += dl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0; /* the close delimiter */
		/* skip transport padding and the line break after the delimiter */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (p < end && *p == '\n')
			p++;
		else
			return ml_err_set(err, ML_EINVAL, "multipart: no line break after the boundary at byte %zu",
					  (size_t)(p - body));
		/* headers end at an empty line */
		const char *hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		size_t skip = 4;
		if (!hdr_end) {
			hdr_end = memmem(p, (size_t)(end - p), "\n\n", 2);
			skip = 2;
		}
		if (p < end && (*p == '\r' || *p == '\n')) { /* a part without headers */
			hdr_end = p;
			skip = *p == '\r' ? 2 : 1;
		}
		if (!hdr_end)
			return ml_err_set(err, ML_EINVAL, "multipart: a part's headers never end (byte %zu)", (size_t)(p - body));
		const char *data = hdr_end + skip;
		if (data > end)
			return ml_err_set(err, ML_EINVAL, "multipart: truncated part at byte %zu", (size_t)(p - body));
		const char *next = memmem(data, (size_t)(end - data), delim, (size_t)dl);
		if (!next)
			return ml_err_set(err, ML_EINVAL, "multipart: the part at byte %zu has no closing boundary",
					  (size_t)(data - body));
		const char *dend = next;
		if (dend - data >= 2 && dend[-2] == '\r' && dend[-1] == '\n')
			dend -= 2;
		else if (dend - data >= 1 && dend[-1] == '\n')
			dend -= 1;
		if (fn(ctx, data, (size_t)(dend - data), err))
			return -1;
		p = next;
	}
}

struct save_ctx {
	const char *dir;
	size_t n;
};

static int save_part(void *ctx, const char *data, size_t len, struct ml_err *err)
{
	struct save_ctx *s = ctx;
	char path[4300];
	snprintf(path, sizeof path, "%s/inst-%05zu.dcm", s->dir, s->n);
	if (ml_file_write_atomic(path, data, len, err))
		return -1;
	s->n++;
	return 0;
}

int pacs_wado_study(const struct pacs_conn *c, const char *study, const char *dir, size_t *nfiles, struct ml_err *err)
{
	*nfiles = 0;
	char url[4300];
	if (make_url(c, study, "", url, sizeof url, err))
		return -1;
	struct resp r;
	resp_init(&r);
	long status;
	int rc = request(c, "WADO-RS retrieve", url, "multipart/related; type=\"application/dicom\"", NULL, NULL, 0, &r,
			 &status, err);
	if (!rc && status == 404)
		rc = ml_err_set(err, ML_ENOTFOUND, "WADO-RS retrieve: the server has no such study");
	else if (!rc && status != 200)
		rc = ml_err_set(err, ML_EIO, "WADO-RS retrieve: the server answered HTTP %ld", status);
	char boundary[80];
	if (!rc && (strncasecmp(r.content_type, "multipart/related", 17) ||
		    pacs_boundary_of(r.content_type, boundary, sizeof boundary)))
		rc = ml_err_set(err, ML_EINVAL, "WADO-RS retrieve: the answer is not multipart/related with a boundary");
	struct save_ctx s = {.dir = dir};
	if (!rc)
		rc = pacs_multipart_parse(r.body.data, r.body.len, boundary, save_part, &s, err);
	*nfiles = s.n;
	ml_buf_release(&r.body);
	return rc;
}

int pacs_stow(const struct pacs_conn *c, const char *const *files, size_t n, size_t *stored, struct ml_err *err)
{
	*stored = 0;
	char url[4300];
	if (make_url(c, NULL, "", url, sizeof url, err))
		return -1;
	/* a boundary derived from the content (reproducible requests), checked not to occur in it */
	struct ml_buf body;
	ml_buf_init(&body, PACS_MAX_RESPONSE);
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 16);
	struct ml_map *maps = ml_xcalloc(n ? n : 1, sizeof *maps);
	int rc = 0;
	size_t opened = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (ml_map_open(&maps[i], files[i], err))
			rc = -1;
		else {
			opened++;
			crypto_generichash_update(&hs, maps[i].data, maps[i].len);
		}
	}
	uint8_t h[16];
	char hex[33], boundary[64], ct[160];
	crypto_generichash_final(&hs, h, sizeof h);
	ml_hex_encode(h, sizeof h, hex);
	snprintf(boundary, sizeof boundary, "medlabel-%s", hex);
	for (size_t i = 0; i < n && !rc; i++) {
		if (memmem(maps[i].data, maps[i].len, boundary, strlen(boundary)))
			rc = ml_err_set(err, ML_EINVAL, "STOW-RS: file %zu contains the multipart boundary", i);
		else if (ml_buf_printf(&body, "--%s\r\nContent-Type: application/dicom\r\n\r\n", boundary) ||
			 ml_buf_append(&body, maps[i].data, maps[i].len) || ml_buf_puts(&body, "\r\n"))
			rc = ml_err_set(err, ML_ELIMIT, "STOW-RS: the request would exceed %zu MiB", PACS_MAX_RESPONSE >> 20);
	}
	for (size_t i = 0; i < opened; i++)
		ml_map_release(&maps[i]);
	ml_free(maps);
	if (!rc && ml_buf_printf(&body, "--%s--\r\n", boundary))
		rc = ml_err_set(err, ML_ENOMEM, "out of memory");
	snprintf(ct, sizeof ct, "multipart/related; type=\"application/dicom\"; boundary=%s", boundary);
	struct resp r;
	resp_init(&r);
	long status = 0;
	if (!rc)
		rc = request(c, "STOW-RS store", url, "application/dicom+json", ct, body.data, body.len, &r, &status, err);
	ml_buf_release(&body);
	if (!rc && status != 200 && status != 202)
		rc = ml_err_set(err, ML_EIO, "STOW-RS store: the server answered HTTP %ld", status);
	if (!rc) {
		json_error_t je;
		json_t *doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &je);
		json_t *ok = json_object_get(json_object_get(doc, "00081199"), "Value");
		json_t *failed = json_object_get(json_object_get(doc, "00081198"), "Value");
		*stored = json_array_size(ok);
		if (json_array_size(failed) || status == 202)
			rc = ml_err_set(err, ML_EIO, "STOW-RS store: the server refused %zu of %zu instances",
					json_array_size(failed) ? json_array_size(failed) : n - *stored, n);
		else if (!doc && r.body.len)
			rc = ml_err_set(err, ML_EINVAL, "STOW-RS store: the answer is not JSON (at byte %d)", je.position);
		else if (!doc)
			*stored = n; /* 200 with an empty body: everything was stored */
		json_decref(doc);
	}
	ml_buf_release(&r.body);
	return rc;
}
