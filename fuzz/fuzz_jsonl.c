/* fuzz_jsonl.c: libFuzzer target for the JSONL importer (line reader, JSON scanner, string decoding).
 *
 * The input is written to a memory file and imported with a small line limit. Every emitted item must
 * hold valid UTF-8 text without NUL, and metadata that is itself one valid JSON object; the importer must
 * either succeed or fail with a message naming the file. Crashes, leaks and sanitizer reports are bugs. */
#include "io/io_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_item(void *ctx, const struct store_item *it, struct ml_err *err)
{
	(void)ctx;
	(void)err;
	size_t n = strlen(it->text), bad;
	if (!ml_utf8_valid(it->text, n, &bad))
		abort();
	const char *m = it->meta_json, *end = m + strlen(m);
	struct ml_err e;
	if (*m != '{' || io_json_skip(&m, end, it->meta_json, &e) || io_json_ws(m, end) != end)
		abort();
	if (!it->patient_key || !it->external_ref)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("jsonl", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct io_import_opts opts = {.project_id = 1, .max_item_bytes = 4096};
	struct ml_err err = {0};
	const struct io_importer *imp = io_importer_find("jsonl");
	if (imp->import(path, &opts, check_item, NULL, &err) != 0 && !strstr(err.msg, path))
		abort(); /* every failure names the file */
	close(fd);
	return 0;
}
