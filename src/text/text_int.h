/* text_int.h: helpers shared inside src/text (not part of the module's public contract). */
#ifndef ML_TEXT_INT_H
#define ML_TEXT_INT_H

#include "text/text.h"

/* hex BLAKE2b-256 of the bytes, as the store names content. */
void text_content_hash(const void *data, size_t len, char out[65]);
/* FHIR id syntax [A-Za-z0-9-.]{1,64}. */
bool text_fhir_id_valid(const char *s);
/* Ideographs, kana, Hangul syllables: one token per character. */
bool text_cp_is_cjk(uint32_t cp);
/* 64-bit FNV-1a, used by the tagger's and search's hash tables. */
static inline uint64_t text_hash64(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#endif
