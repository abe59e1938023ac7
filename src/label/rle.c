/* rle.c: the row-major run-length encoding of masks in annotation bodies, both ways. */
#include "label/label_int.h"

int label_rle_decode(const uint32_t *counts, size_t ncounts, uint32_t height, uint32_t width, uint8_t *mask,
		     struct ml_err *err)
{
	uint64_t total = (uint64_t)height * width, pos = 0;
	if (ncounts == 0)
		return ml_err_set(err, ML_EINVAL, "empty RLE: no runs");
	for (size_t i = 0; i < ncounts; i++) {
		uint64_t len = counts[i];
		if (len == 0 && i > 0)
			return ml_err_set(err, ML_EINVAL, "RLE run %zu is empty; only the first run (of 0s) may be 0", i);
		if (len > total - pos)
			return ml_err_set(err, ML_EINVAL, "RLE runs cover more than the %llu pixels of the mask",
					  (unsigned long long)total);
		memset(mask + pos, (int)(i & 1), (size_t)len);
		pos += len;
	}
	if (pos != total)
		return ml_err_set(err, ML_EINVAL, "RLE runs cover %llu pixels, expected %u x %u = %llu",
				  (unsigned long long)pos, height, width, (unsigned long long)total);
	return 0;
}

size_t label_rle_encode(const uint8_t *mask, uint32_t height, uint32_t width, uint32_t *counts)
{
	size_t total = (size_t)height * width, n = 0, run = 0;
	int cur = 0; /* the first run is background, possibly empty */
	for (size_t i = 0; i < total; i++) {
		int px = mask[i] != 0;
		if (px != cur) {
			counts[n++] = (uint32_t)run;
			run = 0;
			cur = px;
		}
		run++;
	}
	counts[n++] = (uint32_t)run;
	return n;
}
