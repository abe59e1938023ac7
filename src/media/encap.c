/* encap.c: encapsulated Pixel Data: items, offset tables and which fragments make up a frame. */
#include "media/media.h"
#include "media/media_int.h"

#include <string.h>

#define MAX_FRAGMENTS (1u << 24)

void media_encap_init(struct media_encap *e)
{
	memset(e, 0, sizeof(*e));
}

void media_encap_release(struct media_encap *e)
{
	ml_free(e->frags);
	media_encap_init(e);
}

static int push_fragment(struct media_encap *e, const uint8_t *data, size_t len, uint64_t offset, struct ml_err *err)
{
	if (e->nfrags >= MAX_FRAGMENTS)
		return ml_err_set(err, ML_ELIMIT, "more than %u fragments", MAX_FRAGMENTS);
	/* Grow by powers of two: the array is reallocated only when nfrags reaches one. */
	if ((e->nfrags & (e->nfrags - 1)) == 0) {
		size_t cap = e->nfrags ? e->nfrags * 2 : 1;
		struct media_fragment *f = ml_realloc(e->frags, cap * sizeof(*f));
		if (!f)
			return ml_err_set(err, ML_ENOMEM, "out of memory for fragments");
		e->frags = f;
	}
	e->frags[e->nfrags++] = (struct media_fragment){data, len, offset};
	return 0;
}

int media_encap_add_fragment(struct media_encap *e, const uint8_t *data, size_t len, struct ml_err *err)
{
	uint64_t off = 0;
	if (e->nfrags)
		off = e->frags[e->nfrags - 1].offset + 8 + e->frags[e->nfrags - 1].len;
	return push_fragment(e, data, len, off, err);
}

int media_encap_parse(struct media_encap *e, const uint8_t *value, size_t len, struct ml_err *err)
{
	size_t pos = 0;
	bool first = true;
	size_t base = 0;
	while (pos < len) {
		if (len - pos < 8)
			return ml_err_set(err, ML_EINVAL, "truncated item header at byte %zu of pixel data", pos);
		uint16_t group = (uint16_t)(value[pos] | value[pos + 1] << 8);
		uint16_t elem = (uint16_t)(value[pos + 2] | value[pos + 3] << 8);
		uint32_t ilen = media_rd32le(value + pos + 4);
		if (group == 0xFFFE && elem == 0xE0DD)
			return first ? ml_err_set(err, ML_EINVAL, "pixel data has no offset table item") : 0;
		if (group != 0xFFFE || elem != 0xE000)
			return ml_err_set(err, ML_EINVAL, "expected item tag at byte %zu of pixel data, found (%04X,%04X)",
					  pos, (unsigned)group, (unsigned)elem);
		if (ilen == 0xFFFFFFFFu || ilen > len - pos - 8)
			return ml_err_set(err, ML_EINVAL, "item length %u at byte %zu exceeds the pixel data",
					  (unsigned)ilen, pos);
		if (first) {
			e->bot = value + pos + 8;
			e->bot_len = ilen;
			first = false;
			base = pos + 8 + ilen;
		} else if (push_fragment(e, value + pos + 8, ilen, pos - base, err) < 0) {
			return -1;
		}
		pos += 8 + (size_t)ilen;
	}
	if (first)
		return ml_err_set(err, ML_EINVAL, "pixel data has no offset table item");
	return 0;
}

/* True if a fragment starts a new codestream: JPEG SOI, J2K SOC+SIZ or a JP2 signature box. */
static bool starts_frame(const struct media_fragment *f)
{
	const uint8_t *p = f->data;
	if (f->len >= 2 && p[0] == 0xFF && p[1] == 0xD8)
		return true;
	if (f->len >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51)
		return true;
	static const uint8_t jp2[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
	return f->len >= 12 && memcmp(p, jp2, 12) == 0;
}

/* Index of the fragment whose item starts at offset off, or nfrags if none. */
static size_t frag_at(const struct media_encap *e, uint64_t off)
{
	size_t lo = 0, hi = e->nfrags;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e->frags[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->nfrags && e->frags[lo].offset == off ? lo : e->nfrags;
}

int media_encap_frame(const struct media_encap *e, uint32_t nframes, uint32_t index, size_t *first, size_t *count,
		      uint64_t *trim, struct ml_err *err)
{
	*trim = 0;
	if (nframes == 0 || index >= nframes)
		return ml_err_set(err, ML_EINVAL, "frame %u out of range (%u frames)", (unsigned)index, (unsigned)nframes);
	if (e->nfrags == 0)
		return ml_err_set(err, ML_EINVAL, "encapsulated pixel data has no fragments");
	if (e->eot && e->eot_len) {
		if (e->eot_len / 8 < nframes || (e->eot_lengths && e->eot_lengths_len / 8 < nframes))
			return ml_err_set(err, ML_EINVAL, "extended offset table has %zu entries for %u frames",
					  e->eot_len / 8, (unsigned)nframes);
		uint64_t off = media_rd64le(e->eot + (size_t)index * 8);
		size_t a = frag_at(e, off);
		if (a == e->nfrags)
			return ml_err_set(err, ML_EINVAL, "extended offset table entry %u (%llu) is not at a fragment",
					  (unsigned)index, (unsigned long long)off);
		size_t b = e->nfrags;
		if (index + 1 < nframes) {
			b = frag_at(e, media_rd64le(e->eot + (size_t)(index + 1) * 8));
			if (b == e->nfrags || b <= a)
				return ml_err_set(err, ML_EINVAL, "extended offset table entry %u is invalid",
						  (unsigned)index + 1);
		}
		*first = a;
		*count = b - a;
		if (e->eot_lengths)
			*trim = media_rd64le(e->eot_lengths + (size_t)index * 8);
		return 0;
	}
	if (e->bot_len) {
		if (e->bot_len % 4 || e->bot_len / 4 != nframes)
			return ml_err_set(err, ML_EINVAL, "basic offset table of %zu bytes for %u frames", e->bot_len,
					  (unsigned)nframes);
		uint64_t off = media_rd32le(e->bot + (size_t)index * 4);
		size_t a = frag_at(e, off);
		if (a == e->nfrags)
			return ml_err_set(err, ML_EINVAL, "basic offset table entry %u (%llu) is not at a fragment",
					  (unsigned)index, (unsigned long long)off);
		size_t b = e->nfrags;
		if (index + 1 < nframes) {
			b = frag_at(e, media_rd32le(e->bot + (size_t)(index + 1) * 4));
			if (b == e->nfrags || b <= a)
				return ml_err_set(err, ML_EINVAL, "basic offset table entry %u is invalid",
						  (unsigned)index + 1);
		}
		*first = a;
		*count = b - a;
		return 0;
	}
	if (nframes == 1) {
		*first = 0;
		*count = e->nfrags;
		return 0;
	}
	if (e->nfrags == nframes) {
		*first = index;
		*count = 1;
		return 0;
	}
	/* No table and more fragments than frames: a frame starts at each fragment opening a codestream. */
	uint32_t seen = 0;
	for (size_t i = 0; i < e->nfrags; i++) {
		if (i == 0 || starts_frame(&e->frags[i])) {
			if (seen == index) {
				size_t j = i + 1;
				while (j < e->nfrags && !starts_frame(&e->frags[j]))
					j++;
				*first = i;
				*count = j - i;
				return 0;
			}
			seen++;
		}
	}
	return ml_err_set(err, ML_EINVAL, "cannot find frame %u among %zu fragments without an offset table",
			  (unsigned)index, e->nfrags);
}
