/* j2k.c: JPEG 2000 (J2K codestreams and JP2 files, lossless, lossy and HTJ2K) through openjpeg, read from
 * memory. Signedness follows the codestream; values are then fitted to the dataset's pixel representation. */
#include "media/media.h"
#include "media/media_int.h"

#include <stdio.h>
#include <string.h>

#include <openjpeg.h>

struct memstream {
	const uint8_t *p;
	size_t n, pos;
};

static OPJ_SIZE_T ms_read(void *buf, OPJ_SIZE_T nb, void *user)
{
	struct memstream *m = user;
	if (m->pos >= m->n)
		return (OPJ_SIZE_T)-1;
	size_t k = m->n - m->pos < nb ? m->n - m->pos : nb;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return k;
}

static OPJ_OFF_T ms_skip(OPJ_OFF_T nb, void *user)
{
	struct memstream *m = user;
	if (nb < 0) {
		if ((size_t)-nb > m->pos)
			return -1;
		m->pos -= (size_t)-nb;
		return nb;
	}
	if ((uint64_t)nb > m->n - m->pos)
		nb = (OPJ_OFF_T)(m->n - m->pos);
	m->pos += (size_t)nb;
	return nb;
}

static OPJ_BOOL ms_seek(OPJ_OFF_T nb, void *user)
{
	struct memstream *m = user;
	if (nb < 0 || (uint64_t)nb > m->n)
		return OPJ_FALSE;
	m->pos = (size_t)nb;
	return OPJ_TRUE;
}

static void quiet(const char *msg, void *user)
{
	(void)msg;
	(void)user;
}

static void keep_error(const char *msg, void *user)
{
	char *dst = user;
	if (!dst[0]) {
		snprintf(dst, 160, "%s", msg);
		size_t l = strlen(dst);
		while (l && (dst[l - 1] == '\n' || dst[l - 1] == ' '))
			dst[--l] = 0;
	}
}

int media_decode_j2k(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
		     struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	static const uint8_t jp2sig[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
	OPJ_CODEC_FORMAT fmt;
	if (n >= 12 && memcmp(p, jp2sig, 12) == 0)
		fmt = OPJ_CODEC_JP2;
	else if (n >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51)
		fmt = OPJ_CODEC_J2K;
	else
		return ml_err_set(err, ML_EINVAL, "not a JPEG 2000 codestream or JP2 file (%zu bytes)", n);
	struct memstream ms = {p, n, 0};
	char emsg[160] = "";
	opj_codec_t *codec = opj_create_decompress(fmt);
	opj_stream_t *st = opj_stream_create(1 << 16, OPJ_TRUE);
	opj_image_t *img = NULL;
	int rc = -1;
	if (!codec || !st) {
		ml_err_set(err, ML_ENOMEM, "out of memory for a JPEG 2000 decoder");
		goto done;
	}
	opj_set_info_handler(codec, quiet, NULL);
	opj_set_warning_handler(codec, quiet, NULL);
	opj_set_error_handler(codec, keep_error, emsg);
	opj_stream_set_user_data(st, &ms, NULL);
	opj_stream_set_user_data_length(st, n);
	opj_stream_set_read_function(st, ms_read);
	opj_stream_set_skip_function(st, ms_skip);
	opj_stream_set_seek_function(st, ms_seek);
	opj_dparameters_t par;
	opj_set_default_decoder_parameters(&par);
	if (!opj_setup_decoder(codec, &par) || !opj_read_header(st, codec, &img) || !img) {
		ml_err_set(err, ML_EINVAL, "corrupt JPEG 2000 header: %s", emsg[0] ? emsg : "unreadable");
		goto done;
	}
	uint32_t w = img->x1 - img->x0, h = img->y1 - img->y0;
	if (w != d->columns || h != d->rows || img->numcomps != d->samples_per_pixel) {
		ml_err_set(err, ML_EINVAL, "JPEG 2000 is %ux%u with %u components, the dataset says %ux%u with %u",
			   (unsigned)w, (unsigned)h, (unsigned)img->numcomps, (unsigned)d->columns, (unsigned)d->rows,
			   (unsigned)d->samples_per_pixel);
		goto done;
	}
	if (!opj_decode(codec, st, img) || !opj_end_decompress(codec, st)) {
		ml_err_set(err, ML_EINVAL, "corrupt JPEG 2000 stream: %s", emsg[0] ? emsg : "decoding failed");
		goto done;
	}
	for (unsigned c = 0; c < img->numcomps; c++) {
		opj_image_comp_t *cp = &img->comps[c];
		if (!cp->data || cp->w != w || cp->h != h || cp->dx != 1 || cp->dy != 1 || cp->prec < 1 || cp->prec > 32) {
			ml_err_set(err, ML_EUNSUPPORTED, "JPEG 2000 component %u is subsampled or has %u bits", c,
				   (unsigned)cp->prec);
			goto done;
		}
	}
	bool sgn = d->pixel_representation == 1;
	unsigned prec = img->comps[0].prec;
	unsigned ba = d->bits_allocated < 8 ? 8 : d->bits_allocated;
	if (prec > ba)
		ba = prec <= 16 ? 16 : 32;
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, media_dtype_for(ba, sgn), err) < 0)
		goto done;
	size_t npx = (size_t)w * h;
	for (size_t i = 0; i < npx; i++) {
		for (unsigned c = 0; c < img->numcomps; c++) {
			int32_t v = img->comps[c].data[i];
			size_t o = i * img->numcomps + c;
			switch (out->dtype) {
			case MEDIA_U8: case MEDIA_I8: ((uint8_t *)out->data)[o] = (uint8_t)v; break;
			case MEDIA_U16: case MEDIA_I16: ((uint16_t *)out->data)[o] = (uint16_t)v; break;
			default: ((uint32_t *)out->data)[o] = (uint32_t)v; break;
			}
		}
	}
	out->photometric = d->photometric;
	/* YBR_ICT and YBR_RCT name the J2K multi-component transform, which openjpeg inverts while decoding:
	 * the samples are RGB (as pydicom and GDCM give them). */
	if (d->photometric == MEDIA_PI_YBR_ICT || d->photometric == MEDIA_PI_YBR_RCT)
		out->photometric = MEDIA_PI_RGB;
	/* A codestream of unsigned samples in a signed dataset (or the reverse) is reinterpreted by the
	 * dataset's Pixel Representation, as pydicom and dcmtk do; bits stored never exceed the precision. */
	unsigned bs = d->bits_stored > prec ? d->bits_stored : prec;
	if (bs > ba)
		bs = ba;
	if (img->comps[0].sgnd && !sgn)
		bs = prec;
	media_frame_fix_bits(out, ba, bs, bs - 1, sgn);
	out->bits_stored = (uint16_t)bs;
	rc = 0;
done:
	if (img)
		opj_image_destroy(img);
	if (st)
		opj_stream_destroy(st);
	if (codec)
		opj_destroy_codec(codec);
	return rc;
}
