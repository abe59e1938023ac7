/* h_import.c: POST .../import: one uploaded file through the import formats (JSONL, text, CSV, FHIR,
 * DICOM...), chosen by ?format= or by the file's name, exactly as `medlabel import` does, in one
 * transaction (a file with an error imports nothing). The answer names
 * the file and, on bad input, the line or byte offset, so the UI can show an error per file. */
#include "http/http_int.h"

#include "io/io.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The upload's temporary file, renamed into a private folder under its client-side name so that import
 * errors name the user's file rather than a temporary one. */
static int stage_upload(struct http_req *r, char *dir, size_t dn, char *path, size_t pn)
{
	struct http_upload_info info;
	http_upload_info(r, &info);
	if (!info.have_file || info.size == 0)
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "file", "the upload has no (or an empty) 'file' part");
	snprintf(dir, dn, "%s/tmp/import-XXXXXX", r->srv->cfg.data_dir);
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return HTTP_FAIL(r, ML_EIO, "cannot create a temporary folder for the import");
	}
	snprintf(path, pn, "%s/%s", dir, info.filename);
	if (rename(info.tmp_path, path) != 0)
		return HTTP_FAIL(r, ML_EIO, "cannot stage the uploaded file");
	http_upload_forget_tmp(r);
	return 0;
}

int h_item_import(struct http_req *r)
{
	if (r->err.code != ML_OK)
		return -1;
	const char *format = http_query(r, "format");
	const struct io_importer *imp = NULL;
	if (format && !(imp = io_importer_find(format)))
		return HTTP_FAIL_FIELD(r, ML_EINVAL, "format", "unknown import format");
	char dir[4200] = "", path[4400];
	int rc = -1;
	struct io_import_stats stats = {0};
	if (stage_upload(r, dir, sizeof dir, path, sizeof path) != 0)
		goto done;
	const char *name = strrchr(path, '/') + 1;
	if (!imp && !(imp = io_importer_guess(name))) {
		HTTP_FAIL_FIELD(r, ML_EINVAL, "format", "cannot tell the format of '%s' from its name: choose one", name);
		goto done;
	}
	struct io_import_opts opts = {.project_id = r->project_id, .data_dir = r->srv->cfg.data_dir,
				      .modality = STORE_MOD_TEXT, .source = STORE_SRC_OTHER,
				      .options = http_query(r, "options")};
	const char *files[1] = {path};
	/* One transaction for the whole file, under the write lock like every other write outside the writer:
	 * otherwise the writer's BEGIN IMMEDIATE sleeps in SQLite's busy handler behind a long import and fails
	 * its whole batch once the busy timeout is over. */
	http_write_lock();
	int irc = io_import_files(r->store, r->project_id, files, 1, imp, &opts, http_project_overlap(r), INT32_MAX, NULL,
				  NULL, &stats, &r->err);
	http_write_unlock();
	if (irc != 0) {
		/* Messages name the staged path; show the user's file name instead. */
		char *at = strstr(r->err.msg, dir);
		if (at) {
			size_t skip = strlen(dir) + 1;
			memmove(at, at + skip, strlen(at + skip) + 1);
		}
		goto done;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s,s:s,s:I}", "file", name, "format", imp->name, "imported",
					       (json_int_t)stats.committed));
done:
	if (dir[0]) {
		unlink(path);
		rmdir(dir);
	}
	return rc;
}
