/* fuzz_dicom.c: libFuzzer target for the DICOM reader and everything that walks a parsed file (dumps,
 * image attributes, frame lookup). Any input must give a dataset or an error, never a crash or a hang. */
#include "dicom/dicom.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicom_read_opts opts = {.inflate_limit = 16 << 20, .stop_before_pixels = size & 1};
	struct dicom_file *f = NULL;
	struct ml_err err = {0};
	if (dicom_parse(data, size, "fuzz.dcm", &opts, &f, &err) < 0)
		return 0;
	struct ml_buf out;
	ml_buf_init(&out, 64 << 20);
	if (dicom_dump_text(f, &out, &err) == 0) {
		ml_buf_reset(&out);
		struct dicom_json_opts jo = {.with_meta = true};
		if (dicom_dump_json(f, &jo, &out, &err) < 0)
			(void)0;
	}
	ml_buf_release(&out);
	struct dicom_image img;
	if (dicom_image_get(f, &img, &err) == 0) {
		for (uint32_t fr = 0; fr < img.number_of_frames && fr < 4; fr++) {
			const uint8_t *p;
			size_t n;
			const struct dicom_item *first;
			uint32_t count;
			if (img.encapsulated) {
				if (dicom_frame_fragments(f, &img, fr, &first, &count, &err) == 0)
					for (uint32_t k = 0; k < count; k++)
						if (first[k].len)
							(void)first[k].value[first[k].len - 1];
			} else if (dicom_frame_native(f, &img, fr, &p, &n, &err) == 0 && n) {
				(void)p[n - 1];
			}
		}
	}
	dicom_free(f);
	return 0;
}
