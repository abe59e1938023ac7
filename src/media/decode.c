/* decode.c: one encapsulated frame: joins its fragments and hands the codestream to the codec of the
 * transfer syntax. */
#include "media/media.h"
#include "media/media_int.h"

#include <string.h>

int media_decode_fragments(const struct media_image_desc *d, const struct media_fragment *frags, size_t n,
			   struct media_frame *out, struct ml_err *err)
{
	enum media_syntax ts = media_syntax_of_uid(d->transfer_syntax);
	if (!media_syntax_is_encapsulated(ts))
		return ml_err_set(err, ML_EUNSUPPORTED, "transfer syntax '%s' is not an encapsulated one",
				  d->transfer_syntax);
	if (n == 0)
		return ml_err_set(err, ML_EINVAL, "frame has no fragments");
	const uint8_t *p = frags[0].data;
	size_t len = frags[0].len;
	uint8_t *joined = NULL;
	if (n > 1) {
		/* Codecs want one contiguous stream; frames split over fragments are copied once. */
		size_t total = 0;
		for (size_t i = 0; i < n; i++) {
			if (frags[i].len > MEDIA_MAX_FRAME_BYTES - total)
				return ml_err_set(err, ML_ELIMIT, "frame fragments exceed %zu bytes", MEDIA_MAX_FRAME_BYTES);
			total += frags[i].len;
		}
		joined = ml_malloc(total ? total : 1);
		if (!joined)
			return ml_err_set(err, ML_ENOMEM, "out of memory joining %zu fragments", n);
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			memcpy(joined + o, frags[i].data, frags[i].len);
			o += frags[i].len;
		}
		p = joined;
		len = total;
	}
	int rc;
	switch (ts) {
	case MEDIA_TS_JPEG_BASELINE:
	case MEDIA_TS_JPEG_EXTENDED:
	case MEDIA_TS_JPEG_LOSSLESS:
		rc = media_decode_jpeg(d, p, len, out, err);
		break;
	case MEDIA_TS_JPEGLS:
		rc = media_decode_jpegls(d, p, len, out, err);
		break;
	case MEDIA_TS_J2K:
		rc = media_decode_j2k(d, p, len, out, err);
		break;
	case MEDIA_TS_RLE:
		rc = media_decode_rle(d, p, len, out, err);
		break;
	default:
		rc = ml_err_set(err, ML_EUNSUPPORTED, "unsupported transfer syntax '%s'", d->transfer_syntax);
	}
	ml_free(joined);
	return rc;
}
