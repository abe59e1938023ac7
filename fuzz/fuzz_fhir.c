/* fuzz_fhir.c: libFuzzer target for the FHIR importer (NDJSON or one document) via an in-memory file. */
#include "text/text.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int emit(void *ctx, const struct store_item *it, struct ml_err *err)
{
	(void)ctx;
	(void)err;
	/* touch what an importer hands over: every string must be valid and NUL-terminated */
	volatile size_t n = strlen(it->text) + strlen(it->meta_json) + strlen(it->patient_key) + strlen(it->external_ref);
	(void)n;
	return 0;
}

static void report(void *ctx, const struct text_problem *p)
{
	(void)ctx;
	volatile size_t n = strlen(p->msg) + strlen(p->id) + strlen(p->resource_type);
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fhir", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct text_import_opts o = {.emit = emit, .report = report, .max_line = 1 << 16, .max_document = 1 << 20,
				     .max_struct_bytes = 1 << 20, .max_fields_per_item = 8};
	struct text_import_stats st;
	struct ml_err err;
	(void)text_fhir_import(path, &o, &st, &err);
	close(fd);
	return 0;
}
