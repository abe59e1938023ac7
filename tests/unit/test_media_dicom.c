/* test_media_dicom.c: the DICOM glue on files written here with the project's DICOM writer: native and
 * RLE-encapsulated multi-frame images decode to their source pixels, palette images (standard and
 * segmented LUTs) convert to RGB, and media_dicom_render gives the same bytes from a path and from memory. */
#include "core/core.h"
#include "dicom/dicom.h"
#include "harness.h"
#include "media/media.h"

#include <stdlib.h>

enum { R = 9, C = 7 };

static void image_attrs(struct dicom_writer *w, uint16_t spp, const char *pi, uint16_t bits, uint32_t frames)
{
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0016), "1.2.840.10008.5.1.4.1.1.7");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0018), "1.2.3.4.5");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0002), spp);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0004), pi);
	if (frames > 1) {
		char nf[16];
		snprintf(nf, sizeof(nf), "%u", (unsigned)frames);
		dicom_w_str(w, DICOM_TAG(0x0028, 0x0008), nf);
	}
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), R);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0011), C);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0100), bits);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0101), bits);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0102), (uint16_t)(bits - 1));
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0103), 0);
}

static struct dicom_file *parse(struct ml_buf *b)
{
	struct dicom_file *f = NULL;
	struct dicom_read_opts o;
	memset(&o, 0, sizeof(o));
	struct ml_err err;
	if (dicom_parse((const uint8_t *)b->data, b->len, "mem.dcm", &o, &f, &err) < 0) {
		fprintf(stderr, "# %s\n", err.msg);
		return NULL;
	}
	return f;
}

TEST(rle_multiframe_file_decodes_to_source)
{
	uint16_t px[2][R * C];
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < R * C; i++)
			px[k][i] = (uint16_t)(k * 1000 + i * 37);
	struct media_image_desc d;
	memset(&d, 0, sizeof(d));
	d.rows = R;
	d.columns = C;
	d.samples_per_pixel = 1;
	d.bits_allocated = d.bits_stored = 16;
	d.high_bit = 15;
	d.photometric = MEDIA_PI_MONOCHROME2;
	d.number_of_frames = 1;
	snprintf(d.transfer_syntax, sizeof(d.transfer_syntax), "1.2.840.10008.1.2.5");
	struct ml_buf f0, f1, file;
	ml_buf_init(&f0, 0);
	ml_buf_init(&f1, 0);
	ml_buf_init(&file, 0);
	struct ml_err err;
	CHECK(media_encode_rle(&d, (uint8_t *)px[0], sizeof(px[0]), &f0, &err) == 0);
	CHECK(media_encode_rle(&d, (uint8_t *)px[1], sizeof(px[1]), &f1, &err) == 0);
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5", "1.2.840.10008.1.2.5");
	image_attrs(w, 1, "MONOCHROME2", 16, 2);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1050), "1000");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1051), "2000");
	uint32_t bot[2] = {0, (uint32_t)(8 + f0.len)};
	dicom_w_encap_begin(w, DICOM_TAG_PIXEL_DATA);
	dicom_w_fragment(w, bot, sizeof(bot), false);
	dicom_w_fragment(w, f0.data, f0.len, false);
	dicom_w_fragment(w, f1.data, f1.len, false);
	dicom_w_encap_end(w);
	CHECK(dicom_w_to_buf(w, &file, &err) == 0);
	dicom_writer_free(w);
	struct dicom_file *df = parse(&file);
	CHECK(df != NULL);
	struct media_dicom_image mi;
	CHECK(media_dicom_load(df, &mi, &err) == 0);
	CHECK_EQ_INT(mi.desc.number_of_frames, 2);
	CHECK(mi.render.has_window);
	for (uint32_t k = 0; k < 2; k++) {
		struct media_frame fr;
		media_frame_init(&fr);
		CHECK(media_dicom_decode(&mi, k, &fr, &err) == 0);
		CHECK(memcmp(fr.data, px[k], sizeof(px[k])) == 0);
		media_frame_release(&fr);
	}
	struct media_frame fr;
	media_frame_init(&fr);
	CHECK(media_dicom_decode(&mi, 2, &fr, &err) < 0);
	CHECK(strstr(err.msg, "frame 2") != NULL);
	media_dicom_release(&mi);
	dicom_free(df);

	/* Rendering from memory and from a file gives the same PNG; raw16 carries the window. */
	char path[512];
	snprintf(path, sizeof(path), "%s/rle.dcm", test_tmpdir());
	CHECK(ml_file_write_atomic(path, file.data, file.len, &err) == 0);
	struct media_frame_request req;
	memset(&req, 0, sizeof(req));
	req.frame = 1;
	struct ml_buf a, b, meta;
	ml_buf_init(&a, 0);
	ml_buf_init(&b, 0);
	ml_buf_init(&meta, 0);
	const char *ct;
	CHECK(media_dicom_render(path, &req, &a, NULL, &ct, &err) == 0);
	CHECK_EQ_STR(ct, "image/png");
	CHECK(media_dicom_render_mem((uint8_t *)file.data, file.len, "mem.dcm", &req, &b, NULL, &ct, &err) == 0);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	CHECK(memcmp(a.data, "\x89PNG", 4) == 0);
	req.format = MEDIA_FORMAT_RAW16;
	ml_buf_reset(&b);
	CHECK(media_dicom_render(path, &req, &b, &meta, &ct, &err) == 0);
	CHECK_EQ_INT(b.len, R * C * 2);
	CHECK(memcmp(b.data, px[1], b.len) == 0);
	CHECK(strstr(meta.data, "\"window_center\":1000") != NULL);
	req.format = MEDIA_FORMAT_PNG;
	req.preset = "nope";
	CHECK(media_dicom_render(path, &req, &b, NULL, &ct, &err) < 0);
	req.preset = NULL;
	req.frame = 5;
	CHECK(media_dicom_render(path, &req, &b, NULL, &ct, &err) < 0);
	CHECK(strstr(err.msg, "out of range") != NULL);
	snprintf(path, sizeof(path), "%s/absent.dcm", test_tmpdir());
	CHECK(media_dicom_render(path, &req, &b, NULL, &ct, &err) < 0);
	ml_buf_release(&a);
	ml_buf_release(&b);
	ml_buf_release(&meta);
	ml_buf_release(&f0);
	ml_buf_release(&f1);
	ml_buf_release(&file);
}

TEST(palette_file_with_segmented_lut_converts_to_rgb)
{
	uint8_t idx[R * C];
	for (int i = 0; i < R * C; i++)
		idx[i] = (uint8_t)(i % 4);
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.6", NULL);
	image_attrs(w, 1, "PALETTE COLOR", 8, 1);
	uint16_t desc[3] = {4, 0, 16};
	/* red: standard LUT; green and blue: segmented (discrete 1 value then linear to the end) */
	uint16_t red[4] = {0, 100, 200, 300};
	uint16_t seg_g[] = {0, 1, 1000, 1, 3, 4000};
	uint16_t seg_b[] = {0, 4, 9, 8, 7, 6};
	for (int c = 0; c < 3; c++)
		dicom_w_elem(w, DICOM_TAG(0x0028, 0x1101 + c), DICOM_VR_US, desc, sizeof(desc));
	dicom_w_elem(w, DICOM_TAG(0x0028, 0x1201), DICOM_VR_OW, red, sizeof(red));
	dicom_w_elem(w, DICOM_TAG(0x0028, 0x1222), DICOM_VR_OW, seg_g, sizeof(seg_g));
	dicom_w_elem(w, DICOM_TAG(0x0028, 0x1223), DICOM_VR_OW, seg_b, sizeof(seg_b));
	dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OB, idx, sizeof(idx));
	struct ml_buf file;
	ml_buf_init(&file, 0);
	struct ml_err err;
	CHECK(dicom_w_to_buf(w, &file, &err) == 0);
	dicom_writer_free(w);
	struct dicom_file *df = parse(&file);
	CHECK(df != NULL);
	struct media_dicom_image mi;
	CHECK(media_dicom_load(df, &mi, &err) == 0);
	struct media_frame fr;
	media_frame_init(&fr);
	CHECK(media_dicom_decode(&mi, 0, &fr, &err) == 0);
	CHECK(media_frame_to_rgb(&fr, &mi.palette, &err) == 0);
	uint16_t *o = fr.data;
	/* pixel 3 has index 3: red 300, green 4000 (linear 1000 → 4000 over 3), blue 6 */
	CHECK_EQ_INT(o[3 * 3], 300);
	CHECK_EQ_INT(o[3 * 3 + 1], 4000);
	CHECK_EQ_INT(o[3 * 3 + 2], 6);
	CHECK_EQ_INT(o[1 * 3 + 1], 2000);
	media_frame_release(&fr);
	media_dicom_release(&mi);
	dicom_free(df);
	ml_buf_release(&file);
}
