/* test_media_nifti_pair.c: .hdr/.img pair headers are refused before libnifti sees them (a crafted NIfTI-2
 * pair header overflowed libnifti's stack; found by fuzz_nifti). */
#include "harness.h"
#include "media/media.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void write_header(const char *path, const char *magic, int size)
{
	uint8_t h[540] = {0};
	int32_t sz = size;
	memcpy(h, &sz, 4);
	if (size == 540)
		memcpy(h + 4, magic, 4);
	else
		memcpy(h + 344, magic, 4);
	FILE *f = fopen(path, "wb");
	fwrite(h, 1, (size_t)size, f);
	fclose(f);
}

TEST(nifti_pairs_are_refused_before_libnifti)
{
	char path[512];
	struct media_volume v;
	struct ml_err err;
	snprintf(path, sizeof path, "%s/pair2.nii", test_tmpdir());
	write_header(path, "ni2", 540);
	CHECK(media_nifti_read(path, &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EUNSUPPORTED);
	CHECK(strstr(err.msg, ".hdr/.img pair") != NULL);
	snprintf(path, sizeof path, "%s/pair1.nii", test_tmpdir());
	write_header(path, "ni1", 348);
	CHECK(media_nifti_read(path, &v, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EUNSUPPORTED);
}
