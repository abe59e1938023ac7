/* jpeg.c: JPEG baseline and extended 8-bit frames through libjpeg-turbo; lossless (SOF3) streams go to our
 * own decoder in jpeg_lossless.c. Colour follows the DICOM Photometric Interpretation, as dcmtk does:
 * YBR_* data is converted from YCbCr to RGB, RGB data is taken as stored. */
#include "media/media.h"
#include "media/media_int.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

/* Finds the first SOFn marker: its n (0-15) and sample precision. Returns -1 if there is none. */
int media_jpeg_sof(const uint8_t *p, size_t n, int *sof, int *precision)
{
	size_t pos = 2;
	if (n < 4 || p[0] != 0xFF || p[1] != 0xD8)
		return -1;
	while (pos + 4 <= n) {
		if (p[pos] != 0xFF)
			return -1;
		uint8_t m = p[pos + 1];
		if (m == 0xFF) {
			pos++;
			continue;
		}
		if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
			pos += 2;
			continue;
		}
		uint16_t len = media_rd16be(p + pos + 2);
		if (len < 2 || len > n - pos - 2)
			return -1;
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (len < 8)
				return -1;
			*sof = m - 0xC0;
			*precision = p[pos + 4];
			return 0;
		}
		if (m == 0xDA || m == 0xD9)
			return -1;
		pos += 2 + (size_t)len;
	}
	return -1;
}

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	int warnings;
};

static void jerr_exit(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;
	c->err->format_message(c, e->msg);
	longjmp(e->jb, 1);
}

static void jerr_emit(j_common_ptr c, int level)
{
	/* Warnings (level -1: corrupt data, premature end) are counted; trace messages are dropped. */
	if (level < 0)
		((struct jerr *)c->err)->warnings++;
}

int media_decode_jpeg(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
		      struct ml_err *err)
{
	if (media_desc_validate(d, err) < 0)
		return -1;
	int sof = -1, prec = 0;
	if (media_jpeg_sof(p, n, &sof, &prec) < 0)
		return ml_err_set(err, ML_EINVAL, "not a JPEG stream or no frame header (%zu bytes)", n);
	if (sof == 3 || sof == 7 || sof == 11 || sof == 15)
		return media_decode_jpeg_lossless(d, p, n, out, err);
	if (prec != 8) /* libjpeg-turbo 2.1 in Debian 12 is built for 8-bit samples only */
		return media_decode_jpeg_dct(d, p, n, out, err);
	struct jpeg_decompress_struct cinfo;
	struct jerr je;
	memset(&je, 0, sizeof(je));
	cinfo.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = jerr_exit;
	je.pub.emit_message = jerr_emit;
	/* Volatile: modified between setjmp and a possible longjmp. */
	volatile int created = 0;
	JSAMPROW row;
	if (setjmp(je.jb)) {
		if (created)
			jpeg_destroy_decompress(&cinfo);
		/* libjpeg's messages describe the stream structure only, never pixel values. */
		return ml_err_set(err, ML_EINVAL, "corrupt JPEG stream: %s", je.msg);
	}
	jpeg_create_decompress(&cinfo);
	created = 1;
	jpeg_mem_src(&cinfo, p, (unsigned long)n);
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.image_width != d->columns || cinfo.image_height != d->rows ||
	    (cinfo.num_components != d->samples_per_pixel)) {
		int w = (int)cinfo.image_width, h = (int)cinfo.image_height, c = cinfo.num_components;
		jpeg_destroy_decompress(&cinfo);
		return ml_err_set(err, ML_EINVAL, "JPEG is %dx%d with %d components, the dataset says %ux%u with %u", w,
				  h, c, (unsigned)d->columns, (unsigned)d->rows, (unsigned)d->samples_per_pixel);
	}
	enum media_pi pi = d->photometric;
	if (cinfo.num_components == 3) {
		if (pi == MEDIA_PI_RGB) {
			cinfo.jpeg_color_space = JCS_RGB;
			cinfo.out_color_space = JCS_RGB;
		} else {
			cinfo.jpeg_color_space = JCS_YCbCr;
			cinfo.out_color_space = JCS_RGB;
			pi = MEDIA_PI_RGB;
		}
	} else {
		cinfo.out_color_space = JCS_GRAYSCALE;
	}
	jpeg_start_decompress(&cinfo);
	if (media_frame_alloc(out, d->rows, d->columns, d->samples_per_pixel, MEDIA_U8, err) < 0) {
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	size_t stride = (size_t)d->columns * d->samples_per_pixel;
	while (cinfo.output_scanline < cinfo.output_height) {
		row = (uint8_t *)out->data + (size_t)cinfo.output_scanline * stride;
		if (jpeg_read_scanlines(&cinfo, &row, 1) != 1)
			break;
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	out->photometric = pi;
	out->bits_stored = 8;
	if (d->pixel_representation == 1 && d->samples_per_pixel == 1) {
		/* Signed 8-bit data were encoded as their two's complement bit patterns. */
		out->dtype = MEDIA_I8;
		media_frame_fix_bits(out, 8, d->bits_stored < 8 ? d->bits_stored : 8, d->bits_stored < 8 ? d->bits_stored - 1 : 7,
				     true);
	}
	return 0;
}
