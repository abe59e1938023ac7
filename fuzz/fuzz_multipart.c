/* fuzz_multipart.c: libFuzzer target for the DICOMweb multipart/related parser (WADO-RS answers) and the
 * boundary of a Content-Type: the first line of the input is the Content-Type, the rest the body. */
#include "pacs/pacs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_part(void *ctx, const char *p, size_t len, struct ml_err *err)
{
	(void)err;
	const char **body = ctx;
	/* every part lies inside the body */
	if (p < body[0] || p + len > body[1])
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	size_t hl = (size_t)(nl - data);
	char *ct = malloc(hl + 1);
	memcpy(ct, data, hl);
	ct[hl] = 0;
	char boundary[80];
	if (pacs_boundary_of(ct, boundary, sizeof boundary) == 0) {
		size_t bl = size - hl - 1;
		char *body = malloc(bl ? bl : 1); /* an exact-size copy so reads past the end are caught */
		memcpy(body, nl + 1, bl);
		const char *range[2] = {body, body + bl};
		struct ml_err err;
		(void)pacs_multipart_parse(body, bl, boundary, on_part, range, &err);
		free(body);
	}
	free(ct);
	return 0;
}
