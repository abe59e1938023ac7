/* media_int.h: helpers shared by the files of src/media, not part of its public interface. */
#ifndef ML_MEDIA_INT_H
#define ML_MEDIA_INT_H

#include "media/media.h"

/* The sample type a decoder produces for a bit depth (<= 8 → 8-bit, <= 16 → 16-bit, else 32-bit). */
enum media_dtype media_dtype_for(unsigned bits_allocated, bool is_signed);
/* Keeps the stored bits of each sample: sign-extended from the high bit when signed, masked otherwise. */
void media_frame_fix_bits(struct media_frame *f, unsigned bits_allocated, unsigned bits_stored, unsigned high_bit,
			  bool is_signed);

/* First SOFn marker of a JPEG stream: *sof = n, *precision = sample bits; -1 if none is found. */
int media_jpeg_sof(const uint8_t *p, size_t n, int *sof, int *precision);

/* Our sequential DCT (Huffman) decoder for precisions libjpeg-turbo cannot handle (jpeg_dct.c). */
int media_decode_jpeg_dct(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
			  struct ml_err *err);

static inline uint16_t media_rd16be(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t media_rd32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t media_rd64le(const uint8_t *p)
{
	return (uint64_t)media_rd32le(p) | (uint64_t)media_rd32le(p + 4) << 32;
}

#endif
