/* registry.c: the tables IO_IMPORTER and IO_EXPORTER fill, lookup by name and by file extension. */
#include "io/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IO_MAX_FORMATS 64

static const struct io_importer *importers[IO_MAX_FORMATS];
static int nimporters;
static const struct io_exporter *exporters[IO_MAX_FORMATS];
static int nexporters;

void io_importer_register(const struct io_importer *imp)
{
	if (nimporters == IO_MAX_FORMATS) {
		ml_log(ML_LOG_ERROR, "too many importers registered");
		abort();
	}
	importers[nimporters++] = imp;
}

void io_exporter_register(const struct io_exporter *exp)
{
	if (nexporters == IO_MAX_FORMATS) {
		ml_log(ML_LOG_ERROR, "too many exporters registered");
		abort();
	}
	exporters[nexporters++] = exp;
}

const struct io_importer *io_importer_find(const char *name)
{
	for (int i = 0; i < nimporters; i++)
		if (!strcmp(importers[i]->name, name))
			return importers[i];
	return NULL;
}

const struct io_exporter *io_exporter_find(const char *name)
{
	for (int i = 0; i < nexporters; i++)
		if (!strcmp(exporters[i]->name, name))
			return exporters[i];
	return NULL;
}

/* True if the comma-separated list exts holds an extension that path ends with (case-insensitive). */
static bool ext_match(const char *exts, const char *path)
{
	size_t plen = strlen(path);
	const char *p = exts;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n && n <= plen && !strncasecmp(path + plen - n, p, n))
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

const struct io_importer *io_importer_guess(const char *path)
{
	/* The longest matching extension wins, so ".ndjson" beats a hypothetical ".json". */
	const struct io_importer *best = NULL;
	size_t best_len = 0;
	for (int i = 0; i < nimporters; i++) {
		const char *p = importers[i]->extensions;
		while (p && *p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			char one[32];
			if (n && n < sizeof one) {
				memcpy(one, p, n);
				one[n] = 0;
				if (ext_match(one, path) && n > best_len) {
					best = importers[i];
					best_len = n;
				}
			}
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	return best;
}

static int imp_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct io_importer *const *)a)->name, (*(const struct io_importer *const *)b)->name);
}

static int exp_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct io_exporter *const *)a)->name, (*(const struct io_exporter *const *)b)->name);
}

void io_importer_each(void (*cb)(void *ctx, const struct io_importer *imp), void *ctx)
{
	qsort(importers, (size_t)nimporters, sizeof importers[0], imp_cmp);
	for (int i = 0; i < nimporters; i++)
		cb(ctx, importers[i]);
}

void io_exporter_each(void (*cb)(void *ctx, const struct io_exporter *exp), void *ctx)
{
	qsort(exporters, (size_t)nexporters, sizeof exporters[0], exp_cmp);
	for (int i = 0; i < nexporters; i++)
		cb(ctx, exporters[i]);
}

int io_err_at_line(struct ml_err *err, const char *path, uint64_t line)
{
	if (!err)
		return -1;
	char prefix[sizeof err->msg];
	int n = line ? snprintf(prefix, sizeof prefix, "'%s': line %llu: ", path, (unsigned long long)line)
		     : snprintf(prefix, sizeof prefix, "'%s': ", path);
	size_t plen = n < 0 ? 0 : (size_t)n >= sizeof prefix ? sizeof prefix - 1 : (size_t)n;
	size_t mlen = strnlen(err->msg, sizeof err->msg - 1);
	if (plen + mlen > sizeof err->msg - 1)
		mlen = sizeof err->msg - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = 0;
	return -1;
}
