/* media_testenc.h: small encoders the media tests use to make their own inputs (libjpeg-turbo for
 * baseline JPEG, CharLS for JPEG-LS, openjpeg for J2K, and a minimal lossless-JPEG writer). */
#ifndef ML_MEDIA_TESTENC_H
#define ML_MEDIA_TESTENC_H

#include "core/core.h"

#include <stdint.h>

/* Lossless JPEG (SOF3) of 16-bit samples (interleaved components), predictor psv, point transform pt,
 * restart interval in MCUs (0 = none). Returns 0 and fills out. */
int testenc_jpeg_lossless(const uint16_t *px, int w, int h, int ncomp, int precision, int psv, int pt,
			  int restart, struct ml_buf *out);
/* Baseline JPEG of 8-bit grey or RGB (ncomp 1 or 3) at the given quality; ycc: convert RGB to YCbCr. */
int testenc_jpeg_baseline(const uint8_t *px, int w, int h, int ncomp, int quality, int ycc, struct ml_buf *out);
/* JPEG-LS of 8- or 16-bit samples; near = 0 for lossless; interleave 0 none, 1 line, 2 sample. */
int testenc_jpegls(const void *px, int w, int h, int ncomp, int bits, int near, int interleave, struct ml_buf *out);
/* J2K codestream (or JP2 file when jp2 != 0), lossless, from int32 samples (interleaved). */
int testenc_j2k(const int32_t *px, int w, int h, int ncomp, int prec, int sgnd, int jp2, struct ml_buf *out);

#endif
