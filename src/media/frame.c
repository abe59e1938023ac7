/* frame.c: image descriptions, decoded frames, native pixel data, lookup tables and colour conversion. */
#include "media/media.h"
#include "media/media_int.h"

#include <math.h>
#include <string.h>

static const struct {
	enum media_pi pi;
	const char *name;
} pi_names[] = {
	{MEDIA_PI_MONOCHROME1, "MONOCHROME1"},   {MEDIA_PI_MONOCHROME2, "MONOCHROME2"},
	{MEDIA_PI_RGB, "RGB"},                   {MEDIA_PI_YBR_FULL, "YBR_FULL"},
	{MEDIA_PI_YBR_FULL_422, "YBR_FULL_422"}, {MEDIA_PI_YBR_PARTIAL_420, "YBR_PARTIAL_420"},
	{MEDIA_PI_YBR_ICT, "YBR_ICT"},           {MEDIA_PI_YBR_RCT, "YBR_RCT"},
	{MEDIA_PI_PALETTE_COLOR, "PALETTE COLOR"},
};

enum media_pi media_pi_parse(const char *s)
{
	if (!s)
		return MEDIA_PI_UNKNOWN;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	for (size_t i = 0; i < ML_ARRAY_LEN(pi_names); i++)
		if (strlen(pi_names[i].name) == n && memcmp(pi_names[i].name, s, n) == 0)
			return pi_names[i].pi;
	return MEDIA_PI_UNKNOWN;
}

const char *media_pi_name(enum media_pi pi)
{
	for (size_t i = 0; i < ML_ARRAY_LEN(pi_names); i++)
		if (pi_names[i].pi == pi)
			return pi_names[i].name;
	return "UNKNOWN";
}

enum media_syntax media_syntax_of_uid(const char *uid)
{
	static const struct {
		const char *uid;
		enum media_syntax ts;
	} map[] = {
		{"1.2.840.10008.1.2", MEDIA_TS_NATIVE_LE},         {"1.2.840.10008.1.2.1", MEDIA_TS_NATIVE_LE},
		{"1.2.840.10008.1.2.1.99", MEDIA_TS_NATIVE_LE},    {"1.2.840.10008.1.2.2", MEDIA_TS_NATIVE_BE},
		{"1.2.840.10008.1.2.4.50", MEDIA_TS_JPEG_BASELINE}, {"1.2.840.10008.1.2.4.51", MEDIA_TS_JPEG_EXTENDED},
		{"1.2.840.10008.1.2.4.57", MEDIA_TS_JPEG_LOSSLESS}, {"1.2.840.10008.1.2.4.70", MEDIA_TS_JPEG_LOSSLESS},
		{"1.2.840.10008.1.2.4.80", MEDIA_TS_JPEGLS},       {"1.2.840.10008.1.2.4.81", MEDIA_TS_JPEGLS},
		{"1.2.840.10008.1.2.4.90", MEDIA_TS_J2K},          {"1.2.840.10008.1.2.4.91", MEDIA_TS_J2K},
		{"1.2.840.10008.1.2.4.92", MEDIA_TS_J2K},          {"1.2.840.10008.1.2.4.93", MEDIA_TS_J2K},
		{"1.2.840.10008.1.2.4.201", MEDIA_TS_J2K},         {"1.2.840.10008.1.2.4.202", MEDIA_TS_J2K},
		{"1.2.840.10008.1.2.4.203", MEDIA_TS_J2K},         {"1.2.840.10008.1.2.5", MEDIA_TS_RLE},
	};
	if (!uid)
		return MEDIA_TS_UNKNOWN;
	size_t n = strlen(uid);
	while (n > 0 && (uid[n - 1] == ' ' || uid[n - 1] == '\0'))
		n--;
	for (size_t i = 0; i < ML_ARRAY_LEN(map); i++)
		if (strlen(map[i].uid) == n && memcmp(map[i].uid, uid, n) == 0)
			return map[i].ts;
	return MEDIA_TS_UNKNOWN;
}

bool media_syntax_is_encapsulated(enum media_syntax ts)
{
	return ts >= MEDIA_TS_JPEG_BASELINE;
}

bool media_syntax_uid_is_lossy(const char *uid)
{
	static const char *lossy[] = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
				      "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203"};
	if (!uid)
		return false;
	for (size_t i = 0; i < ML_ARRAY_LEN(lossy); i++)
		if (strncmp(uid, lossy[i], strlen(lossy[i])) == 0 &&
		    (uid[strlen(lossy[i])] == '\0' || uid[strlen(lossy[i])] == ' '))
			return true;
	return false;
}

int media_desc_validate(const struct media_image_desc *d, struct ml_err *err)
{
	if (d->rows == 0 || d->columns == 0 || d->rows > MEDIA_MAX_DIM || d->columns > MEDIA_MAX_DIM)
		return ml_err_set(err, ML_EINVAL, "invalid image size %ux%u", (unsigned)d->rows, (unsigned)d->columns);
	if (d->samples_per_pixel != 1 && d->samples_per_pixel != 3)
		return ml_err_set(err, ML_EUNSUPPORTED, "unsupported samples per pixel %u",
				  (unsigned)d->samples_per_pixel);
	if (d->float_pixels) {
		if (d->float_pixels != d->bits_allocated || (d->float_pixels != 32 && d->float_pixels != 64))
			return ml_err_set(err, ML_EINVAL, "float pixel data with %u bits allocated",
					  (unsigned)d->bits_allocated);
		if (d->samples_per_pixel != 1)
			return ml_err_set(err, ML_EUNSUPPORTED, "float pixel data with %u samples per pixel",
					  (unsigned)d->samples_per_pixel);
	} else if (d->bits_allocated != 1 && d->bits_allocated != 8 && d->bits_allocated != 16 &&
		   d->bits_allocated != 32) {
		return ml_err_set(err, ML_EUNSUPPORTED, "unsupported bits allocated %u", (unsigned)d->bits_allocated);
	}
	if (!d->float_pixels && (d->bits_stored == 0 || d->bits_stored > d->bits_allocated))
		return ml_err_set(err, ML_EINVAL, "bits stored %u does not fit bits allocated %u",
				  (unsigned)d->bits_stored, (unsigned)d->bits_allocated);
	if (!d->float_pixels && (d->high_bit >= d->bits_allocated || d->high_bit + 1 < d->bits_stored))
		return ml_err_set(err, ML_EINVAL, "high bit %u inconsistent with bits stored %u", (unsigned)d->high_bit,
				  (unsigned)d->bits_stored);
	if (d->pixel_representation > 1)
		return ml_err_set(err, ML_EINVAL, "invalid pixel representation %u", (unsigned)d->pixel_representation);
	if (d->number_of_frames == 0)
		return ml_err_set(err, ML_EINVAL, "number of frames is 0");
	bool mono = d->photometric == MEDIA_PI_MONOCHROME1 || d->photometric == MEDIA_PI_MONOCHROME2 ||
		    d->photometric == MEDIA_PI_PALETTE_COLOR;
	if (d->photometric == MEDIA_PI_UNKNOWN)
		return ml_err_set(err, ML_EUNSUPPORTED, "unsupported photometric interpretation");
	if (mono != (d->samples_per_pixel == 1))
		return ml_err_set(err, ML_EINVAL, "photometric interpretation %s with %u samples per pixel",
				  media_pi_name(d->photometric), (unsigned)d->samples_per_pixel);
	if (media_desc_frame_bytes(d) == 0)
		return ml_err_set(err, ML_ELIMIT, "frame too large");
	return 0;
}

size_t media_desc_frame_bytes(const struct media_image_desc *d)
{
	uint64_t px = (uint64_t)d->rows * d->columns * d->samples_per_pixel;
	uint64_t bytes;
	if (d->bits_allocated == 1)
		bytes = (px + 7) / 8;
	else
		bytes = px * (d->bits_allocated / 8);
	if (d->photometric == MEDIA_PI_YBR_FULL_422 && d->samples_per_pixel == 3 &&
	    !media_syntax_is_encapsulated(media_syntax_of_uid(d->transfer_syntax)))
		bytes = bytes / 3 * 2;
	if (bytes == 0 || bytes > MEDIA_MAX_FRAME_BYTES)
		return 0;
	return (size_t)bytes;
}

/* ---- frames ---------------------------------------------------------------------------------------- */

size_t media_dtype_size(enum media_dtype t)
{
	switch (t) {
	case MEDIA_U8:
	case MEDIA_I8:
		return 1;
	case MEDIA_U16:
	case MEDIA_I16:
		return 2;
	default:
		return 4;
	}
}

const char *media_dtype_name(enum media_dtype t)
{
	static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32"};
	return (unsigned)t < ML_ARRAY_LEN(names) ? names[t] : "?";
}

void media_frame_init(struct media_frame *f)
{
	memset(f, 0, sizeof(*f));
}

void media_frame_release(struct media_frame *f)
{
	ml_free(f->data);
	media_frame_init(f);
}

int media_frame_alloc(struct media_frame *f, uint32_t rows, uint32_t columns, uint16_t samples,
		      enum media_dtype dtype, struct ml_err *err)
{
	uint64_t n = (uint64_t)rows * columns * samples * media_dtype_size(dtype);
	if (rows == 0 || columns == 0 || samples == 0 || n > MEDIA_MAX_FRAME_BYTES)
		return ml_err_set(err, ML_ELIMIT, "frame of %ux%ux%u too large", (unsigned)rows, (unsigned)columns,
				  (unsigned)samples);
	void *p = ml_calloc(1, (size_t)n);
	if (!p)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a frame of %llu bytes", (unsigned long long)n);
	ml_free(f->data);
	f->data = p;
	f->len = (size_t)n;
	f->rows = rows;
	f->columns = columns;
	f->samples = samples;
	f->dtype = dtype;
	return 0;
}

double media_frame_get(const struct media_frame *f, size_t i)
{
	switch (f->dtype) {
	case MEDIA_U8: return ((const uint8_t *)f->data)[i];
	case MEDIA_I8: return ((const int8_t *)f->data)[i];
	case MEDIA_U16: return ((const uint16_t *)f->data)[i];
	case MEDIA_I16: return ((const int16_t *)f->data)[i];
	case MEDIA_U32: return ((const uint32_t *)f->data)[i];
	case MEDIA_I32: return ((const int32_t *)f->data)[i];
	case MEDIA_F32: return ((const float *)f->data)[i];
	}
	return 0;
}

enum media_dtype media_dtype_for(unsigned bits_allocated, bool is_signed)
{
	if (bits_allocated <= 8)
		return is_signed ? MEDIA_I8 : MEDIA_U8;
	if (bits_allocated <= 16)
		return is_signed ? MEDIA_I16 : MEDIA_U16;
	return is_signed ? MEDIA_I32 : MEDIA_U32;
}

/* Keeps bits [high_bit-bits_stored+1 .. high_bit] of each sample: sign-extended when signed, else masked. */
void media_frame_fix_bits(struct media_frame *f, unsigned bits_allocated, unsigned bits_stored, unsigned high_bit,
			  bool is_signed)
{
	unsigned shift = high_bit + 1 - bits_stored;
	size_t n = f->len / media_dtype_size(f->dtype);
	f->bits_stored = (uint16_t)bits_stored;
	if (bits_stored >= bits_allocated || bits_allocated == 1)
		return;
	uint32_t mask = bits_stored >= 32 ? 0xffffffffu : ((1u << bits_stored) - 1);
	uint32_t sign = 1u << (bits_stored - 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		switch (f->dtype) {
		case MEDIA_U8: case MEDIA_I8: v = ((uint8_t *)f->data)[i]; break;
		case MEDIA_U16: case MEDIA_I16: v = ((uint16_t *)f->data)[i]; break;
		default: v = ((uint32_t *)f->data)[i]; break;
		}
		v = (v >> shift) & mask;
		if (is_signed && (v & sign))
			v |= ~mask;
		switch (f->dtype) {
		case MEDIA_U8: case MEDIA_I8: ((uint8_t *)f->data)[i] = (uint8_t)v; break;
		case MEDIA_U16: case MEDIA_I16: ((uint16_t *)f->data)[i] = (uint16_t)v; break;
		default: ((uint32_t *)f->data)[i] = v; break;
		}
	}
}

/* Expands YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair) in f into full YBR_FULL, in place (reallocates). */
static int expand_422(struct media_frame *f, const uint8_t *src, size_t srclen, unsigned bytes, struct ml_err *err)
{
	/* Each row has columns pixels; pairs are formed along rows, an odd last column shares its pair. */
	size_t pairs_per_row = (f->columns + 1) / 2;
	size_t need = (size_t)f->rows * pairs_per_row * 4 * bytes;
	if (srclen < need)
		return ml_err_set(err, ML_EINVAL, "YBR_FULL_422 data of %zu bytes, %zu expected", srclen, need);
	for (uint32_t r = 0; r < f->rows; r++) {
		for (size_t p = 0; p < pairs_per_row; p++) {
			const uint8_t *q = src + ((size_t)r * pairs_per_row + p) * 4 * bytes;
			for (unsigned k = 0; k < 2; k++) {
				size_t c = p * 2 + k;
				if (c >= f->columns)
					break;
				size_t o = ((size_t)r * f->columns + c) * 3;
				if (bytes == 1) {
					uint8_t *d = f->data;
					d[o] = q[k];
					d[o + 1] = q[2];
					d[o + 2] = q[3];
				} else {
					uint16_t *d = f->data;
					const uint16_t *w = (const uint16_t *)(const void *)q;
					uint16_t t[4];
					memcpy(t, w, sizeof(t));
					d[o] = t[k];
					d[o + 1] = t[2];
					d[o + 2] = t[3];
				}
			}
		}
	}
	return 0;
}

int media_decode_native(const struct media_image_desc *d, const uint8_t *pixels, size_t len, uint32_t index,
			struct media_frame *out, struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	if (index >= d->number_of_frames)
		return ml_err_set(err, ML_EINVAL, "frame %u out of range (%u frames)", (unsigned)index,
				  (unsigned)d->number_of_frames);
	bool be = media_syntax_of_uid(d->transfer_syntax) == MEDIA_TS_NATIVE_BE;
	bool sgn = d->pixel_representation == 1;
	size_t fb = media_desc_frame_bytes(d);
	uint64_t npx = (uint64_t)d->rows * d->columns;
	if (d->float_pixels) {
		/* IEEE floats (OF) or doubles (OD), little endian unless the syntax is big endian; narrowed to F32. */
		uint64_t off = (uint64_t)fb * index;
		if (off + fb > len)
			return ml_err_set(err, ML_EINVAL, "float pixel data of %zu bytes too short for frame %u", len,
					  (unsigned)index);
		if (media_frame_alloc(out, d->rows, d->columns, 1, MEDIA_F32, err) < 0)
			return -1;
		unsigned w = d->float_pixels / 8;
		for (uint64_t i = 0; i < npx; i++) {
			uint8_t b[8];
			for (unsigned k = 0; k < w; k++)
				b[k] = pixels[off + i * w + (be ? w - 1 - k : k)];
			float v;
			if (w == 4) {
				memcpy(&v, b, 4);
			} else {
				double dv;
				memcpy(&dv, b, 8);
				v = (float)dv;
			}
			((float *)out->data)[i] = v;
		}
		out->photometric = d->photometric;
		out->bits_stored = 32;
		return 0;
	}
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, media_dtype_for(d->bits_allocated, sgn),
			      err) < 0)
		return -1;
	out->photometric = d->photometric;
	if (d->bits_allocated == 1) {
		/* Frames of 1-bit data follow each other without padding to a byte boundary. */
		uint64_t nbits = npx * d->samples_per_pixel;
		uint64_t start = nbits * index;
		if ((start + nbits + 7) / 8 > len)
			return ml_err_set(err, ML_EINVAL, "pixel data of %zu bytes too short for frame %u", len,
					  (unsigned)index);
		uint8_t *o = out->data;
		for (uint64_t i = 0; i < nbits; i++) {
			uint64_t b = start + i;
			o[i] = (pixels[b >> 3] >> (b & 7)) & 1;
		}
		out->bits_stored = 1;
		return 0;
	}
	uint64_t off = (uint64_t)fb * index;
	if (off + fb > len)
		return ml_err_set(err, ML_EINVAL, "pixel data of %zu bytes too short for frame %u (%zu bytes each)", len,
				  (unsigned)index, fb);
	const uint8_t *src = pixels + off;
	unsigned bytes = d->bits_allocated / 8;
	if (d->photometric == MEDIA_PI_YBR_FULL_422 && d->samples_per_pixel == 3) {
		if (expand_422(out, src, fb, bytes, err) < 0)
			return -1;
		out->photometric = MEDIA_PI_YBR_FULL;
	} else if (d->samples_per_pixel == 3 && d->planar_configuration == 1) {
		uint8_t *o = out->data;
		for (uint64_t p = 0; p < npx; p++)
			for (unsigned s = 0; s < 3; s++)
				memcpy(o + (p * 3 + s) * bytes, src + (s * npx + p) * bytes, bytes);
	} else {
		memcpy(out->data, src, fb);
	}
	if (be && bytes > 1) {
		uint8_t *o = out->data;
		for (size_t i = 0; i + bytes <= out->len; i += bytes) {
			for (unsigned a = 0, b = bytes - 1; a < b; a++, b--) {
				uint8_t t = o[i + a];
				o[i + a] = o[i + b];
				o[i + b] = t;
			}
		}
	}
	media_frame_fix_bits(out, d->bits_allocated, d->bits_stored, d->high_bit, sgn);
	return 0;
}

/* ---- lookup tables --------------------------------------------------------------------------------- */

void media_lut_init(struct media_lut *l)
{
	memset(l, 0, sizeof(*l));
}

void media_lut_release(struct media_lut *l)
{
	ml_free(l->data);
	media_lut_init(l);
}

static int lut_prepare(struct media_lut *l, const int32_t desc[3], struct ml_err *err)
{
	uint32_t entries = desc[0] == 0 ? 65536u : (uint32_t)desc[0];
	if (desc[0] < 0 || entries > 65536)
		return ml_err_set(err, ML_EINVAL, "invalid LUT descriptor entry count %d", (int)desc[0]);
	if (desc[2] < 1 || desc[2] > 16)
		return ml_err_set(err, ML_EINVAL, "invalid LUT descriptor bit depth %d", (int)desc[2]);
	uint16_t *p = ml_calloc(entries, sizeof(uint16_t));
	if (!p)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a LUT");
	ml_free(l->data);
	l->data = p;
	l->entries = entries;
	l->first = desc[1];
	l->bits = (uint16_t)desc[2];
	return 0;
}

int media_lut_set(struct media_lut *l, const int32_t desc[3], const uint8_t *data, size_t len, struct ml_err *err)
{
	if (lut_prepare(l, desc, err) < 0)
		return -1;
	if (len >= (size_t)l->entries * 2) {
		for (uint32_t i = 0; i < l->entries; i++)
			l->data[i] = (uint16_t)(data[2 * i] | data[2 * i + 1] << 8);
	} else if (l->bits <= 8 && len >= l->entries) {
		for (uint32_t i = 0; i < l->entries; i++)
			l->data[i] = data[i];
	} else {
		uint32_t n = l->entries;
		media_lut_release(l);
		return ml_err_set(err, ML_EINVAL, "LUT data of %zu bytes too short for %u entries", len, (unsigned)n);
	}
	return 0;
}

/* Appends segments from words[pos..end) into l; `depth` stops indirect segments pointing at indirect ones. */
static int lut_segments(struct media_lut *l, const uint16_t *w, size_t nw, size_t pos, size_t end, uint32_t *out,
			int depth, size_t max_segments, struct ml_err *err)
{
	size_t segs = 0;
	while (pos < end && segs < max_segments) {
		if (pos + 2 > nw)
			return ml_err_set(err, ML_EINVAL, "segmented LUT truncated at word %zu", pos);
		uint16_t op = w[pos], n = w[pos + 1];
		segs++;
		if (op == 0) {
			if (pos + 2 + n > nw || *out + n > l->entries)
				return ml_err_set(err, ML_EINVAL, "segmented LUT discrete segment overflows at word %zu", pos);
			memcpy(l->data + *out, w + pos + 2, n * sizeof(uint16_t));
			*out += n;
			pos += 2u + n;
		} else if (op == 1) {
			if (*out == 0 || pos + 3 > nw || *out + n > l->entries)
				return ml_err_set(err, ML_EINVAL, "segmented LUT linear segment invalid at word %zu", pos);
			double y0 = l->data[*out - 1], y1 = w[pos + 2];
			for (uint16_t i = 1; i <= n; i++)
				l->data[(*out)++] = (uint16_t)lround(y0 + (y1 - y0) * i / n);
			pos += 3;
		} else if (op == 2) {
			if (depth > 0 || pos + 4 > nw)
				return ml_err_set(err, ML_EINVAL, "segmented LUT indirect segment invalid at word %zu", pos);
			size_t boff = (size_t)w[pos + 2] | (size_t)w[pos + 3] << 16;
			if (boff % 2 || boff / 2 >= nw)
				return ml_err_set(err, ML_EINVAL, "segmented LUT indirect offset out of range at word %zu", pos);
			if (lut_segments(l, w, nw, boff / 2, nw, out, depth + 1, n, err) < 0)
				return -1;
			pos += 4;
		} else {
			return ml_err_set(err, ML_EINVAL, "segmented LUT unknown opcode %u at word %zu", (unsigned)op, pos);
		}
	}
	return 0;
}

int media_lut_set_segmented(struct media_lut *l, const int32_t desc[3], const uint8_t *data, size_t len,
			    struct ml_err *err)
{
	if (lut_prepare(l, desc, err) < 0)
		return -1;
	size_t nw = len / 2;
	uint16_t *w = ml_malloc(nw ? nw * sizeof(uint16_t) : 1);
	if (!w)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a LUT");
	for (size_t i = 0; i < nw; i++)
		w[i] = (uint16_t)(data[2 * i] | data[2 * i + 1] << 8);
	uint32_t out = 0;
	int rc = lut_segments(l, w, nw, 0, nw, &out, 0, SIZE_MAX, err);
	ml_free(w);
	if (rc == 0 && out != l->entries)
		rc = ml_err_set(err, ML_EINVAL, "segmented LUT gives %u entries, descriptor says %u", (unsigned)out,
				(unsigned)l->entries);
	if (rc < 0)
		media_lut_release(l);
	return rc;
}

uint16_t media_lut_lookup(const struct media_lut *l, int64_t v)
{
	if (!l->data || l->entries == 0)
		return 0;
	int64_t i = v - l->first;
	if (i < 0)
		i = 0;
	if (i >= (int64_t)l->entries)
		i = l->entries - 1;
	return l->data[i];
}

void media_palette_init(struct media_palette *p)
{
	media_lut_init(&p->red);
	media_lut_init(&p->green);
	media_lut_init(&p->blue);
}

void media_palette_release(struct media_palette *p)
{
	media_lut_release(&p->red);
	media_lut_release(&p->green);
	media_lut_release(&p->blue);
}

/* ---- colour ---------------------------------------------------------------------------------------- */

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int media_frame_to_rgb(struct media_frame *f, const struct media_palette *palette, struct ml_err *err)
{
	size_t npx = (size_t)f->rows * f->columns;
	if (f->photometric == MEDIA_PI_PALETTE_COLOR) {
		if (!palette || !palette->red.data || !palette->green.data || !palette->blue.data)
			return ml_err_set(err, ML_EINVAL, "PALETTE COLOR image without a palette");
		bool wide = palette->red.bits > 8 || palette->green.bits > 8 || palette->blue.bits > 8;
		struct media_frame o;
		media_frame_init(&o);
		if (media_frame_alloc(&o, f->rows, f->columns, 3, wide ? MEDIA_U16 : MEDIA_U8, err) < 0)
			return -1;
		const struct media_lut *lut[3] = {&palette->red, &palette->green, &palette->blue};
		for (size_t i = 0; i < npx; i++) {
			int64_t v = (int64_t)media_frame_get(f, i);
			for (int c = 0; c < 3; c++) {
				uint16_t x = media_lut_lookup(lut[c], v);
				if (wide)
					((uint16_t *)o.data)[i * 3 + c] = x;
				else
					((uint8_t *)o.data)[i * 3 + c] = (uint8_t)x;
			}
		}
		o.bits_stored = wide ? 16 : 8;
		o.photometric = MEDIA_PI_RGB;
		media_frame_release(f);
		*f = o;
		return 0;
	}
	if (f->samples != 3 || f->photometric == MEDIA_PI_RGB)
		return 0;
	if (f->dtype != MEDIA_U8 && f->dtype != MEDIA_U16)
		return ml_err_set(err, ML_EUNSUPPORTED, "colour conversion of %s samples", media_dtype_name(f->dtype));
	unsigned bits = f->bits_stored ? f->bits_stored : (unsigned)media_dtype_size(f->dtype) * 8;
	double maxv = (double)((1u << bits) - 1), half = (double)(1u << (bits - 1));
	for (size_t i = 0; i < npx; i++) {
		double y = media_frame_get(f, i * 3), cb = media_frame_get(f, i * 3 + 1), cr = media_frame_get(f, i * 3 + 2);
		double r, g, b;
		switch (f->photometric) {
		case MEDIA_PI_YBR_FULL:
		case MEDIA_PI_YBR_FULL_422:
		case MEDIA_PI_YBR_ICT:
			r = y + 1.402 * (cr - half);
			g = y - 0.344136 * (cb - half) - 0.714136 * (cr - half);
			b = y + 1.772 * (cb - half);
			break;
		case MEDIA_PI_YBR_PARTIAL_420: {
			double yy = 1.1644 * (y - half / 8);
			r = yy + 1.5960 * (cr - half);
			g = yy - 0.3918 * (cb - half) - 0.8130 * (cr - half);
			b = yy + 2.0172 * (cb - half);
			break;
		}
		case MEDIA_PI_YBR_RCT: {
			/* Reversible: G = Y - floor((Cb' + Cr') / 4) with Cb' = Cb - half, Cr' = Cr - half. */
			double cbp = cb - half, crp = cr - half;
			g = y - floor((cbp + crp) / 4);
			r = crp + g;
			b = cbp + g;
			break;
		}
		default:
			return 0;
		}
		double rgb[3] = {r, g, b};
		for (int c = 0; c < 3; c++) {
			double v = floor(clampd(rgb[c], 0, maxv) + 0.5);
			if (v > maxv)
				v = maxv;
			if (f->dtype == MEDIA_U8)
				((uint8_t *)f->data)[i * 3 + c] = (uint8_t)v;
			else
				((uint16_t *)f->data)[i * 3 + c] = (uint16_t)v;
		}
	}
	f->photometric = MEDIA_PI_RGB;
	return 0;
}
