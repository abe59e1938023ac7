/* fuzz_pixel.c: libFuzzer target for the pixel decoders. The first 4 bytes choose the codec and the image
 * description (codec, rows, columns, flags: 16-bit, 3 samples, signed, planar); the rest is the codestream
 * or, for codec 6, an encapsulated Pixel Data value; codec 7 is native data (float when flag 8 is set). Any input must decode or fail, never crash or hang. */
#include "media/media.h"
#include "media/media_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *syntax[] = {"1.2.840.10008.1.2.5",    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70",
			       "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.51",
			       "1.2.840.10008.1.2.5",    "1.2.840.10008.1.2.1"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	unsigned codec = data[0] & 7;
	struct media_image_desc d;
	memset(&d, 0, sizeof(d));
	d.rows = 1u + (data[1] & 63);
	d.columns = 1u + (data[2] & 63);
	uint8_t fl = data[3];
	d.bits_allocated = (fl & 1) ? 16 : 8;
	d.bits_stored = (fl & 1) ? ((fl & 8) ? 12 : 16) : 8;
	d.high_bit = (uint16_t)(d.bits_stored - 1);
	d.samples_per_pixel = (fl & 2) ? 3 : 1;
	d.pixel_representation = (fl & 4) ? 1 : 0;
	d.planar_configuration = (fl & 16) ? 1 : 0;
	d.photometric = (fl & 2) ? ((fl & 32) ? MEDIA_PI_YBR_FULL_422 : MEDIA_PI_RGB) : MEDIA_PI_MONOCHROME2;
	d.number_of_frames = 1u + ((fl >> 6) & 3);
	snprintf(d.transfer_syntax, sizeof(d.transfer_syntax), "%s", syntax[codec]);
	const uint8_t *p = data + 4;
	size_t n = size - 4;
	struct media_frame f;
	media_frame_init(&f);
	struct ml_err err;
	int rc = -1;
	switch (codec) {
	case 0: rc = media_decode_rle(&d, p, n, &f, &err); break;
	case 1: rc = media_decode_jpeg(&d, p, n, &f, &err); break;
	case 5: rc = media_decode_jpeg_dct(&d, p, n, &f, &err); break; /* our own DCT decoder at any precision */
	case 2: rc = media_decode_jpeg_lossless(&d, p, n, &f, &err); break;
	case 3: rc = media_decode_jpegls(&d, p, n, &f, &err); break;
	case 4: rc = media_decode_j2k(&d, p, n, &f, &err); break;
	case 6: {
		struct media_encap e;
		media_encap_init(&e);
		if (media_encap_parse(&e, p, n, &err) == 0) {
			for (uint32_t k = 0; k < d.number_of_frames; k++) {
				size_t first, count;
				uint64_t trim;
				if (media_encap_frame(&e, d.number_of_frames, k, &first, &count, &trim, &err) == 0 &&
				    media_decode_fragments(&d, e.frags + first, count, &f, &err) == 0)
					media_frame_release(&f);
			}
		}
		media_encap_release(&e);
		break;
	}
	default:
		if (fl & 8) { /* float pixel data */
			d.float_pixels = (fl & 1) ? 64 : 32;
			d.bits_allocated = d.float_pixels;
			d.samples_per_pixel = 1;
			d.photometric = MEDIA_PI_MONOCHROME2;
		}
		rc = media_decode_native(&d, p, n, d.number_of_frames - 1, &f, &err);
		break;
	}
	if (rc == 0) {
		/* Whatever decodes must also render. */
		struct ml_buf png;
		ml_buf_init(&png, 0);
		if (media_render_png(&f, NULL, 16, &png, &err) < 0 && err.code == ML_ENOMEM)
			__builtin_trap();
		ml_buf_release(&png);
		struct ml_buf raw, js;
		ml_buf_init(&raw, 0);
		ml_buf_init(&js, 0);
		if (media_render_raw16(&f, NULL, &raw, &js, &err) == 0 && raw.len != f.len / media_dtype_size(f.dtype) * 2)
			__builtin_trap();
		ml_buf_release(&raw);
		ml_buf_release(&js);
		if (media_frame_to_rgb(&f, NULL, &err) == 0 && f.samples == 3 && f.photometric != MEDIA_PI_RGB)
			__builtin_trap();
	}
	media_frame_release(&f);
	return 0;
}
