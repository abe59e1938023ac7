/* fuzz_quality_body.c: libFuzzer target for consensus and agreement on annotation bodies (choices, spans,
 * boxes, masks as RLE and object3d parts): the input is up to 4 bodies separated by NUL bytes. Whatever
 * they hold, consensus_bodies and agree_bodies either fail cleanly or give a JSON body / a number in [0, 1]. */
#include "quality/quality.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *bodies[4];
	size_t n = 0;
	for (char *p = buf; n < 4 && p <= buf + size; p += strlen(p) + 1)
		bodies[n++] = p;
	char *out = NULL;
	struct consensus_body_report rep;
	struct ml_err err;
	if (consensus_bodies(bodies, n, NULL, NULL, &out, &rep, &err) == 0) {
		json_t *j = json_loads(out, 0, NULL);
		if (!json_is_array(json_object_get(j, "results")))
			abort();
		json_decref(j);
		ml_free(out);
	}
	double a;
	if (agree_bodies(bodies, n, &a, &err) == 0 && !isnan(a) && (a < -1e-12 || a > 1 + 1e-12))
		abort();
	free(buf);
	return 0;
}
