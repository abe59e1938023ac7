/* fuzz_nifti.c: libFuzzer target for NIfTI reading: the input is written to a temporary .nii file and read
 * back with media_nifti_read (our header checks, then libnifti2). Never a crash or a hang. */
#include "media/media.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/fuzz_nifti_%d.nii", (int)getpid());
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	struct media_volume v;
	media_volume_init(&v);
	struct ml_err err;
	if (media_nifti_read(path, &v, &err) == 0)
		media_volume_release(&v);
	unlink(path);
	return 0;
}
