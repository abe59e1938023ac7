/* jpegls.c: JPEG-LS frames (lossless and near-lossless) through CharLS's C API. */
#include "media/media.h"
#include "media/media_int.h"

#include <string.h>

#include <charls/charls.h>

int media_decode_jpegls(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
			struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	/* A truncated stream is refused before CharLS sees it: CharLS spends seconds decoding the zeros it
	 * pads a short stream with. The end-of-image marker may be followed by a padding byte. */
	bool eoi = false;
	for (size_t k = n >= 2 ? n - 2 : 0, stop = n > 6 ? n - 6 : 0; n >= 2; k--) {
		if (p[k] == 0xFF && p[k + 1] == 0xD9) {
			eoi = true;
			break;
		}
		if (k == stop)
			break;
	}
	if (!eoi)
		return ml_err_set(err, ML_EINVAL, "JPEG-LS stream of %zu bytes has no end-of-image marker (truncated)", n);
	charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
	if (!dec)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a JPEG-LS decoder");
	int rc = -1;
	uint8_t *tmp = NULL;
	charls_frame_info fi;
	charls_interleave_mode im;
	size_t size = 0;
	charls_jpegls_errc ec = charls_jpegls_decoder_set_source_buffer(dec, p, n);
	if (!ec)
		ec = charls_jpegls_decoder_read_header(dec);
	if (!ec)
		ec = charls_jpegls_decoder_get_frame_info(dec, &fi);
	if (!ec)
		ec = charls_jpegls_decoder_get_interleave_mode(dec, &im);
	if (ec) {
		ml_err_set(err, ML_EINVAL, "corrupt JPEG-LS stream: %s", charls_get_error_message(ec));
		goto done;
	}
	if (fi.width != d->columns || fi.height != d->rows || fi.component_count != d->samples_per_pixel ||
	    fi.bits_per_sample < 2 || fi.bits_per_sample > 16) {
		ml_err_set(err, ML_EINVAL, "JPEG-LS is %ux%u with %d components of %d bits, the dataset says %ux%u with %u",
			   (unsigned)fi.width, (unsigned)fi.height, (int)fi.component_count, (int)fi.bits_per_sample,
			   (unsigned)d->columns, (unsigned)d->rows, (unsigned)d->samples_per_pixel);
		goto done;
	}
	ec = charls_jpegls_decoder_get_destination_size(dec, 0, &size);
	if (ec || size > MEDIA_MAX_FRAME_BYTES) {
		ml_err_set(err, ML_ELIMIT, "JPEG-LS frame too large");
		goto done;
	}
	unsigned bytes = fi.bits_per_sample > 8 ? 2 : 1;
	size_t npx = (size_t)fi.width * fi.height;
	if (size != npx * fi.component_count * bytes) {
		ml_err_set(err, ML_EINVAL, "JPEG-LS destination size %zu unexpected", size);
		goto done;
	}
	tmp = ml_malloc(size);
	if (!tmp) {
		ml_err_set(err, ML_ENOMEM, "out of memory decoding JPEG-LS");
		goto done;
	}
	ec = charls_jpegls_decoder_decode_to_buffer(dec, tmp, size, 0);
	if (ec) {
		ml_err_set(err, ML_EINVAL, "corrupt JPEG-LS stream: %s", charls_get_error_message(ec));
		goto done;
	}
	bool sgn = d->pixel_representation == 1;
	unsigned ba = bytes == 1 ? 8 : 16;
	if (d->bits_allocated > ba)
		ba = d->bits_allocated;
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, media_dtype_for(ba, sgn), err) < 0)
		goto done;
	size_t nc = (size_t)fi.component_count;
	for (size_t i = 0; i < npx * nc; i++) {
		/* CharLS gives one plane per component for interleave mode none, interleaved pixels otherwise. */
		size_t src = i;
		if (nc > 1 && im == CHARLS_INTERLEAVE_MODE_NONE)
			src = (i % nc) * npx + i / nc;
		uint32_t v = bytes == 1 ? tmp[src] : (uint32_t)(tmp[2 * src] | tmp[2 * src + 1] << 8);
		switch (out->dtype) {
		case MEDIA_U8: case MEDIA_I8: ((uint8_t *)out->data)[i] = (uint8_t)v; break;
		case MEDIA_U16: case MEDIA_I16: ((uint16_t *)out->data)[i] = (uint16_t)v; break;
		default: ((uint32_t *)out->data)[i] = v; break;
		}
	}
	out->photometric = d->photometric;
	unsigned bs = d->bits_stored > ba ? ba : d->bits_stored;
	media_frame_fix_bits(out, ba, bs, bs - 1, sgn);
	out->bits_stored = (uint16_t)bs;
	rc = 0;
done:
	ml_free(tmp);
	charls_jpegls_decoder_destroy(dec);
	return rc;
}
