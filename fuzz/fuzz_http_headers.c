/* fuzz_http_headers.c: the HTTP header and path parsers of src/http on arbitrary bytes: Range, If-Match and
 * route pattern matching against every route. They must never crash, read out of bounds or hand back a
 * range outside the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint64_t file_size = data[0] * 37u; /* 0 .. 9435, including the empty file */
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	uint64_t from, len;
	if (http_parse_range(s, file_size, &from, &len) == 0) {
		if (len == 0 || from >= file_size || len > file_size - from)
			abort();
	}
	int v;
	if (http_parse_if_match(s, &v) == 0 && v <= 0)
		abort();
	size_t n;
	const struct http_route *rt = http_routes(&n);
	int64_t vals[HTTP_MAX_PARAMS];
	for (size_t i = 0; i < n; i++) {
		int k = http_pattern_match(rt[i].pattern, s, vals, HTTP_MAX_PARAMS);
		for (int j = 0; j < k; j++)
			if (vals[j] <= 0)
				abort();
	}
	free(s);
	return 0;
}
