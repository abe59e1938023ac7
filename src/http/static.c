/* static.c: the web UI's files from the web folder: index.html at /, assets under /static/, with ETags. */
#include "http/http_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext, *type;
} mime_types[] = {
	{".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
	{".json", "application/json"},          {".svg", "image/svg+xml"},
	{".png", "image/png"},                  {".jpg", "image/jpeg"},
	{".ico", "image/x-icon"},               {".woff2", "font/woff2"},
	{".wasm", "application/wasm"},          {".map", "application/json"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < ML_ARRAY_LEN(mime_types); i++)
			if (!strcmp(dot, mime_types[i].ext))
				return mime_types[i].type;
	return "application/octet-stream";
}

/* Only plain relative paths: segments of [A-Za-z0-9._-], none starting with a dot (no "..", no hidden files). */
static bool safe_rel_path(const char *p)
{
	if (!*p || strlen(p) > 200)
		return false;
	bool seg_start = true;
	for (const char *c = p; *c; c++) {
		if (*c == '/') {
			if (seg_start)
				return false; /* empty segment */
			seg_start = true;
			continue;
		}
		if (seg_start && *c == '.')
			return false;
		seg_start = false;
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '-'))
			return false;
	}
	return !seg_start;
}

int http_static(struct http_req *r)
{
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		http_reply_status(r, 405, "method_not_allowed", NULL, "method %s not allowed here", r->method);
		return 0;
	}
	const char *rel;
	if (!strcmp(r->path, "/") || !strcmp(r->path, "/index.html"))
		rel = "index.html";
	else if (!strncmp(r->path, "/static/", 8))
		rel = r->path + 1;
	else
		return -1;
	if (!safe_rel_path(rel)) {
		http_reply_status(r, 400, "invalid", "path", "malformed static file path");
		return 0;
	}
	if (!r->srv->web_dir)
		return -1;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", r->srv->web_dir, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char etag[64];
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
	const char *inm = http_header(r, "If-None-Match");
	struct MHD_Response *resp;
	int status = 200;
	if (inm && !strcmp(inm, etag)) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		status = 304;
	} else {
		resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
		if (!resp)
			close(fd); /* MHD owns the descriptor only of a response it made */
		else
			MHD_add_response_header(resp, "Content-Type", mime_of(rel));
	}
	if (!resp) {
		http_queue(r, status, NULL); /* 503 */
		return 0;
	}
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	http_queue(r, status, resp);
	return 0;
}

/* Finds the web folder: --web, else web/ next to the binary's checkout (build/medlabel -> ../web), else ./web. */
char *http_find_web_dir(const char *configured)
{
	if (configured)
		return realpath(configured, NULL);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char cand[PATH_MAX + 16];
			snprintf(cand, sizeof cand, "%s/../web", exe);
			char *rp = realpath(cand, NULL);
			if (rp)
				return rp;
			snprintf(cand, sizeof cand, "%s/web", exe);
			if ((rp = realpath(cand, NULL)))
				return rp;
		}
	}
	return realpath("web", NULL);
}
