/* test_dicom.c: dictionary, reader, writer round trips, charsets, malformed input and image attributes. */
#include "dicom/dicom.h"
#include "harness.h"

#include <stdlib.h>
#include <zlib.h>

static struct dicom_file *parse_buf(struct ml_buf *b, struct ml_err *err)
{
	struct dicom_file *f = NULL;
	if (dicom_parse((const uint8_t *)b->data, b->len, "t.dcm", NULL, &f, err) < 0)
		return NULL;
	return f;
}

static void build_sample(struct dicom_writer *w, bool undefined)
{
	dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.4", "1.2.3.4.5", NULL);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0005), "ISO_IR 192");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0016), "1.2.840.10008.5.1.4.1.1.4");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0018), "1.2.3.4.5");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0060), "MR");
	dicom_w_seq_begin(w, DICOM_TAG(0x0008, 0x1140), undefined);
	for (int i = 0; i < 2; i++) {
		dicom_w_item_begin(w, undefined);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1150), "1.2.840.10008.5.1.4.1.1.4");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1155), i ? "1.2.3.7" : "1.2.3.6");
		dicom_w_item_end(w);
	}
	dicom_w_seq_end(w);
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0010), "Müller^Jürgen");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0020), "ID123");
	dicom_w_str(w, DICOM_TAG(0x0018, 0x0050), "1.5");
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0032), "-10\\20.5\\3");
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0037), "1\\0\\0\\0\\1\\0");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0002), 1);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0004), "MONOCHROME2");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0008), "2");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), 4);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0011), 3);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0030), "0.5\\0.25");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0100), 16);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0101), 12);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0102), 11);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0103), 0);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1050), "40\\400");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1051), "80\\2000");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1052), "-1024");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1053), "1");
	dicom_w_str(w, DICOM_TAG(0x0029, 0x0010), "ACME 1.0");
	dicom_w_elem(w, DICOM_TAG(0x0029, 0x1001), DICOM_VR_LO, "secret", 6);
	static uint8_t px[2 * 4 * 3 * 2];
	for (size_t i = 0; i < sizeof px; i++)
		px[i] = (uint8_t)i;
	dicom_w_elem_ref(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, px, sizeof px);
}

TEST(dictionary_lookups)
{
	struct dicom_dict_info d;
	CHECK(dicom_dict_lookup(DICOM_TAG(0x0010, 0x0010), &d));
	CHECK_EQ_STR(d.keyword, "PatientName");
	CHECK_EQ_INT(d.vr[0], DICOM_VR_PN);
	CHECK_EQ_STR(d.vm, "1");
	uint32_t tag = 0;
	CHECK(dicom_dict_tag("PixelData", &tag));
	CHECK_EQ_INT(tag, DICOM_TAG_PIXEL_DATA);
	CHECK(dicom_dict_tag("StudyInstanceUID", &tag));
	CHECK_EQ_INT(tag, DICOM_TAG(0x0020, 0x000D));
	CHECK(!dicom_dict_tag("NoSuchKeyword", &tag));
	/* repeating groups: overlay rows in group 6002, curve data in 5004 */
	CHECK(dicom_dict_lookup(DICOM_TAG(0x6002, 0x0010), &d));
	CHECK_EQ_STR(d.keyword, "OverlayRows");
	CHECK(dicom_dict_lookup(DICOM_TAG(0x5004, 0x0005), &d));
	CHECK_EQ_STR(d.keyword, "CurveDimensions");
	CHECK(!dicom_dict_lookup(DICOM_TAG(0x0029, 0x1001), &d));
	CHECK(dicom_dict_lookup(DICOM_TAG(0x0028, 0x0106), &d)); /* US or SS */
	CHECK_EQ_INT(d.vr[0], DICOM_VR_US);
	CHECK_EQ_INT(d.vr[1], DICOM_VR_SS);
}

static void roundtrip(bool undefined)
{
	struct dicom_writer *w = dicom_writer_new();
	build_sample(w, undefined);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	CHECK(b.len > 132 && !memcmp(b.data + 128, "DICM", 4));
	struct dicom_file *f = parse_buf(&b, &err);
	if (!f)
		test_fail(__FILE__, __LINE__, "%s", err.msg);
	CHECK(f);
	CHECK_EQ_STR(f->transfer_syntax, DICOM_TS_EXPLICIT_LE);
	char s[80];
	CHECK_EQ_STR(dicom_elem_str(dicom_find(&f->meta, DICOM_TAG(0x0002, 0x0003)), 0, s, sizeof s), "1.2.3.4.5");
	int64_t glen;
	CHECK(dicom_get_int(&f->meta, DICOM_TAG(0x0002, 0x0000), &glen));
	CHECK(glen > 50 && glen < 300);
	const struct dicom_elem *seq = dicom_find(&f->root, DICOM_TAG(0x0008, 0x1140));
	CHECK(seq && seq->vr == DICOM_VR_SQ);
	CHECK_EQ_INT(seq->nitems, 2);
	CHECK_EQ_INT(seq->items[1].parent == &f->root, 1);
	CHECK_EQ_STR(dicom_elem_str(dicom_find(&seq->items[1], DICOM_TAG(0x0008, 0x1155)), 0, s, sizeof s), "1.2.3.7");
	struct ml_buf u;
	ml_buf_init(&u, 0);
	CHECK(dicom_elem_utf8(&f->root, dicom_find(&f->root, DICOM_TAG(0x0010, 0x0010)), &u) == 0);
	CHECK_EQ_STR(u.data, "Müller^Jürgen");
	ml_buf_release(&u);
	char cb[64];
	CHECK_EQ_STR(dicom_private_creator(&f->root, DICOM_TAG(0x0029, 0x1001), cb, sizeof cb), "ACME 1.0");
	const struct dicom_elem *pe = dicom_find_private(&f->root, 0x0029, "ACME 1.0", 0x01);
	CHECK(pe && pe->len == 6 && !memcmp(pe->value, "secret", 6));
	struct dicom_image img;
	CHECK(dicom_image_get(f, &img, &err) == 0);
	CHECK_EQ_INT(img.rows, 4);
	CHECK_EQ_INT(img.columns, 3);
	CHECK_EQ_INT(img.number_of_frames, 2);
	CHECK_EQ_INT(img.bits_stored, 12);
	CHECK_EQ_INT(img.nwindows, 2);
	CHECK_NEAR(img.window_width[1], 2000, 1e-9);
	CHECK_NEAR(img.rescale_intercept, -1024, 1e-9);
	CHECK_NEAR(img.image_position[1], 20.5, 1e-9);
	CHECK_NEAR(img.pixel_spacing[1], 0.25, 1e-9);
	CHECK(img.has_slice_thickness);
	CHECK_EQ_STR(img.photometric, "MONOCHROME2");
	const uint8_t *fr;
	size_t flen;
	CHECK(dicom_frame_native(f, &img, 1, &fr, &flen, &err) == 0);
	CHECK_EQ_INT(flen, 24);
	CHECK_EQ_INT(fr[0], 24);
	CHECK(dicom_frame_native(f, &img, 2, &fr, &flen, &err) < 0);
	dicom_free(f);
	ml_buf_release(&b);
}

TEST(write_read_defined_lengths)
{
	roundtrip(false);
}

TEST(write_read_undefined_lengths)
{
	roundtrip(true);
}

TEST(stop_before_pixels_does_not_record_pixels)
{
	struct dicom_writer *w = dicom_writer_new();
	build_sample(w, false);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	struct dicom_read_opts o = {.stop_before_pixels = true};
	struct dicom_file *f = NULL;
	CHECK(dicom_parse((const uint8_t *)b.data, b.len, "t.dcm", &o, &f, &err) == 0);
	CHECK(f->stopped_before_pixels);
	CHECK(!dicom_find(&f->root, DICOM_TAG_PIXEL_DATA));
	struct dicom_image img;
	CHECK(dicom_image_get(f, &img, &err) < 0);
	dicom_free(f);
	ml_buf_release(&b);
}

TEST(every_truncation_is_an_error_not_a_crash)
{
	struct dicom_writer *w = dicom_writer_new();
	build_sample(w, true);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	int errors = 0;
	for (size_t n = 133; n < b.len; n++) {
		/* copy, so the sanitizers see reads past the truncated end */
		uint8_t *c = malloc(n);
		memcpy(c, b.data, n);
		struct dicom_file *f = NULL;
		if (dicom_parse(c, n, "t.dcm", NULL, &f, &err) < 0) {
			errors++;
			CHECK(strstr(err.msg, "cannot read 't.dcm'"));
			CHECK(strstr(err.msg, "byte"));
		}
		dicom_free(f);
		free(c);
	}
	/* Every cut inside the dataset must fail except cuts right between top-level elements. */
	CHECK(errors > (int)(b.len - 133) * 3 / 4);
	ml_buf_release(&b);
}

TEST(length_error_names_tag_and_offset)
{
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2", "1.3", NULL);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), 512);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	/* patch the length of (0028,0010) to 512 */
	size_t at = b.len - 10;
	CHECK(b.data[at] == 0x28 && b.data[at + 2] == 0x10);
	b.data[at + 6] = 0x00;
	b.data[at + 7] = 0x02;
	struct dicom_file *f = parse_buf(&b, &err);
	CHECK(!f);
	char want[160];
	snprintf(want, sizeof want,
		 "cannot read 't.dcm': element (0028,0010) length 512 exceeds the 2 bytes left at byte %zu", at);
	CHECK_EQ_STR(err.msg, want);
	ml_buf_release(&b);
}

/* A hand-made implicit VR bare dataset and an explicit big endian one. */
TEST(bare_implicit_and_big_endian)
{
	static const uint8_t impl[] = {
		0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 'C', 'T',                   /* Modality */
		0x28, 0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,                 /* Rows 512 */
		0x08, 0x00, 0x40, 0x11, 0xFF, 0xFF, 0xFF, 0xFF,                             /* SQ undefined */
		0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,                             /* item */
		0x08, 0x00, 0x55, 0x11, 0x04, 0x00, 0x00, 0x00, '1', '.', '2', 0,           /* UID */
		0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0,
	};
	struct dicom_file *f = NULL;
	struct ml_err err = {0};
	CHECK(dicom_parse(impl, sizeof impl, "i.dcm", NULL, &f, &err) == 0);
	CHECK(f->implicit_vr);
	int64_t rows;
	CHECK(dicom_get_int(&f->root, DICOM_TAG(0x0028, 0x0010), &rows));
	CHECK_EQ_INT(rows, 512);
	const struct dicom_elem *sq = dicom_find(&f->root, DICOM_TAG(0x0008, 0x1140));
	CHECK(sq && sq->vr == DICOM_VR_SQ && sq->nitems == 1);
	char s[16];
	CHECK(dicom_get_str(&sq->items[0], DICOM_TAG(0x0008, 0x1155), s, sizeof s));
	CHECK_EQ_STR(s, "1.2");
	dicom_free(f);
	static const uint8_t be[] = {
		0x00, 0x08, 0x00, 0x60, 'C', 'S', 0x00, 0x02, 'M', 'R',
		0x00, 0x28, 0x00, 0x10, 'U', 'S', 0x00, 0x02, 0x02, 0x00,
	};
	CHECK(dicom_parse(be, sizeof be, "b.dcm", NULL, &f, &err) == 0);
	CHECK(f->big_endian && !f->implicit_vr);
	CHECK(dicom_get_int(&f->root, DICOM_TAG(0x0028, 0x0010), &rows));
	CHECK_EQ_INT(rows, 512);
	dicom_free(f);
}

static const char *conv(const char *cs, const char *bytes, bool pn)
{
	static struct ml_buf b;
	ml_buf_release(&b);
	if (dicom_charset_to_utf8(cs, cs ? strlen(cs) : 0, (const uint8_t *)bytes, strlen(bytes), pn, &b) < 0)
		return NULL;
	return b.data ? b.data : "";
}

TEST(charsets_single_byte_and_unicode)
{
	CHECK_EQ_STR(conv("ISO_IR 100", "Buc^J\xe9r\xf4me", true), "Buc^Jérôme");
	CHECK_EQ_STR(conv("ISO_IR 144", "\xbb\xee\xda\xe1\xd5\xdc\xd1\xe3\xe0\xd3", true), "Люксембург");
	CHECK_EQ_STR(conv("ISO_IR 192", "Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1=", true),
		     "Wang^XiaoDong=王^小東=");
	CHECK_EQ_STR(conv("GB18030", "Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=", true), "Wang^XiaoDong=王^小东=");
	CHECK_EQ_STR(conv("ISO_IR 126", "\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2", true), "Διονυσιος");
	CHECK_EQ_STR(conv(NULL, "plain", false), "plain");
	CHECK_EQ_STR(conv("ISO_IR 192", "bad\xff", false), "bad\xef\xbf\xbd");
}

TEST(charsets_iso2022_japanese_korean)
{
	/* PS3.5 Annex H: Yamada^Tarou=山田^太郎=やまだ^たろう */
	CHECK_EQ_STR(conv("\\ISO 2022 IR 87",
			  "Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B", true),
		     "Yamada^Tarou=山田^太郎=やまだ^たろう");
	/* PS3.5 Annex H, IR 13 + IR 87: ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう */
	CHECK_EQ_STR(conv("ISO 2022 IR 13\\ISO 2022 IR 87",
			  "\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^"
			  "\x1b$B$?$m$&\x1b(J",
			  true),
		     "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう");
	/* PS3.5 Annex I: Hong^Gildong=洪^吉洞=홍^길동 */
	CHECK_EQ_STR(conv("\\ISO 2022 IR 149",
			  "Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf",
			  true),
		     "Hong^Gildong=洪^吉洞=홍^길동");
	/* JIS X 0212 via ESC $ ( D */
	CHECK_EQ_STR(conv("\\ISO 2022 IR 159", "\x1b$(D+!\x1b(B", false), "á");
}

TEST(charset_from_file_written_by_our_writer)
{
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2", "1.3", NULL);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0005), "\\ISO 2022 IR 149");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0010),
		    "Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf");
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	struct dicom_file *f = parse_buf(&b, &err);
	CHECK(f);
	struct ml_buf u;
	ml_buf_init(&u, 0);
	CHECK(dicom_elem_utf8(&f->root, dicom_find(&f->root, DICOM_TAG(0x0010, 0x0010)), &u) == 0);
	CHECK_EQ_STR(u.data, "Hong^Gildong=洪^吉洞=홍^길동");
	ml_buf_release(&u);
	dicom_free(f);
	ml_buf_release(&b);
}

TEST(writer_reports_misuse)
{
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2", "1.3", NULL);
	dicom_w_seq_begin(w, DICOM_TAG(0x0008, 0x1140), false);
	dicom_w_item_begin(w, false);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) < 0);
	CHECK(strstr(err.msg, "left open"));
	dicom_writer_free(w);
	w = dicom_writer_new();
	dicom_w_item_end(w);
	CHECK(dicom_w_to_buf(w, &b, &err) < 0);
	dicom_writer_free(w);
	ml_buf_release(&b);
}

TEST(encapsulated_fragments_and_frames)
{
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2", "1.3", "1.2.840.10008.1.2.4.50");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0002), 1);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0008), "3");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), 8);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0011), 8);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0100), 8);
	dicom_w_encap_begin(w, DICOM_TAG_PIXEL_DATA);
	/* BOT: frame 0 at 0 (2 fragments of 8+4 and 8+4 bytes), frame 1 at 24, frame 2 at 36 */
	uint8_t bot[12] = {0, 0, 0, 0, 24, 0, 0, 0, 36, 0, 0, 0};
	dicom_w_fragment(w, bot, sizeof bot, false);
	dicom_w_fragment(w, "\xff\xd8\x01\x02", 4, false);
	dicom_w_fragment(w, "\x03\x04\xff\xd9", 4, false);
	dicom_w_fragment(w, "\xff\xd8\x05\x06", 4, false);
	dicom_w_fragment(w, "\xff\xd8\x07", 3, false); /* odd: padded to 4 */
	dicom_w_encap_end(w);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	struct dicom_file *f = parse_buf(&b, &err);
	CHECK(f);
	CHECK_EQ_STR(f->transfer_syntax, "1.2.840.10008.1.2.4.50");
	struct dicom_image img;
	CHECK(dicom_image_get(f, &img, &err) == 0);
	CHECK(img.encapsulated);
	const struct dicom_item *first;
	uint32_t count;
	CHECK(dicom_frame_fragments(f, &img, 0, &first, &count, &err) == 0);
	CHECK_EQ_INT(count, 2);
	CHECK_EQ_INT(first->value[2], 1);
	CHECK(dicom_frame_fragments(f, &img, 2, &first, &count, &err) == 0);
	CHECK_EQ_INT(count, 1);
	CHECK_EQ_INT(first->len, 4);
	CHECK_EQ_INT(first->value[2], 7);
	dicom_free(f);
	ml_buf_release(&b);
}

TEST(deep_nesting_is_refused)
{
	/* 100 nested undefined-length sequences in implicit VR: refused at the depth limit, no stack blowup */
	struct ml_buf b;
	ml_buf_init(&b, 0);
	static const uint8_t seq[] = {0x08, 0x00, 0x40, 0x11, 0xFF, 0xFF, 0xFF, 0xFF};
	static const uint8_t item[] = {0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF};
	for (int i = 0; i < 100; i++)
		CHECK(ml_buf_append(&b, seq, 8) == 0 && ml_buf_append(&b, item, 8) == 0);
	struct dicom_file *f = NULL;
	struct ml_err err = {0};
	CHECK(dicom_parse((const uint8_t *)b.data, b.len, "deep.dcm", NULL, &f, &err) < 0);
	CHECK(strstr(err.msg, "nested too deeply"));
	ml_buf_release(&b);
}

TEST(deflated_dataset_and_its_size_limit)
{
	/* meta group by our writer with the deflated syntax, then a raw-deflated explicit VR dataset */
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2", "1.3", DICOM_TS_DEFLATED_LE);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	w = dicom_writer_new();
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0060), "MR");
	static uint8_t zeros[100000];
	dicom_w_elem(w, DICOM_TAG(0x0009, 0x1001), DICOM_VR_OB, zeros, sizeof zeros);
	struct ml_buf ds;
	ml_buf_init(&ds, 0);
	CHECK(dicom_w_to_buf(w, &ds, &err) == 0);
	dicom_writer_free(w);
	uint8_t *z = malloc(ds.len + 1024);
	z_stream zs = {0};
	CHECK(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (Bytef *)ds.data;
	zs.avail_in = (uInt)ds.len;
	zs.next_out = z;
	zs.avail_out = (uInt)(ds.len + 1024);
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	size_t zlen = zs.total_out;
	deflateEnd(&zs);
	CHECK(ml_buf_append(&b, z, zlen) == 0);
	free(z);
	struct dicom_file *f = NULL;
	CHECK(dicom_parse((const uint8_t *)b.data, b.len, "z.dcm", NULL, &f, &err) == 0);
	CHECK(f->deflated);
	char s[8];
	CHECK(dicom_get_str(&f->root, DICOM_TAG(0x0008, 0x0060), s, sizeof s));
	CHECK_EQ_STR(s, "MR");
	CHECK_EQ_INT(dicom_find(&f->root, DICOM_TAG(0x0009, 0x1001))->len, sizeof zeros);
	dicom_free(f);
	struct dicom_read_opts o = {.inflate_limit = 4096};
	CHECK(dicom_parse((const uint8_t *)b.data, b.len, "z.dcm", &o, &f, &err) < 0);
	CHECK_EQ_INT(err.code, ML_ELIMIT);
	/* a corrupt deflate stream is an error too */
	b.data[b.len - 5] ^= 0x55;
	b.data[b.len - 40] ^= 0x55;
	int rc = dicom_parse((const uint8_t *)b.data, b.len, "z.dcm", NULL, &f, &err);
	if (rc == 0)
		dicom_free(f);
	ml_buf_release(&ds);
	ml_buf_release(&b);
}

TEST(enhanced_multiframe_functional_groups)
{
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.4.1", "1.3", NULL);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0008), "2");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), 2);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0011), 2);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0100), 8);
	dicom_w_seq_begin(w, DICOM_TAG(0x5200, 0x9229), false); /* shared: orientation, spacing, rescale */
	dicom_w_item_begin(w, false);
	dicom_w_seq_begin(w, DICOM_TAG(0x0020, 0x9116), false);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0037), "0\\1\\0\\0\\0\\-1");
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_seq_begin(w, DICOM_TAG(0x0028, 0x9110), false);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, DICOM_TAG(0x0018, 0x0050), "2.5");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0030), "0.8\\0.9");
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_seq_begin(w, DICOM_TAG(0x0028, 0x9145), false);
	dicom_w_item_begin(w, false);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1052), "-100");
	dicom_w_str(w, DICOM_TAG(0x0028, 0x1053), "2");
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_item_end(w);
	dicom_w_seq_end(w);
	dicom_w_seq_begin(w, DICOM_TAG(0x5200, 0x9230), true); /* per frame: position */
	for (int i = 0; i < 2; i++) {
		dicom_w_item_begin(w, true);
		dicom_w_seq_begin(w, DICOM_TAG(0x0020, 0x9113), true);
		dicom_w_item_begin(w, true);
		dicom_w_str(w, DICOM_TAG(0x0020, 0x0032), i ? "0\\0\\2.5" : "0\\0\\0");
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_item_end(w);
	}
	dicom_w_seq_end(w);
	dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OB, "\1\2\3\4\5\6\7\10", 8);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	CHECK(dicom_w_to_buf(w, &b, &err) == 0);
	dicom_writer_free(w);
	struct dicom_file *f = parse_buf(&b, &err);
	CHECK(f);
	struct dicom_image img;
	CHECK(dicom_image_get(f, &img, &err) == 0);
	CHECK(img.has_orientation && img.has_spacing && img.has_slice_thickness && img.has_rescale);
	CHECK_NEAR(img.image_orientation[5], -1, 1e-12);
	CHECK_NEAR(img.pixel_spacing[1], 0.9, 1e-12);
	CHECK_NEAR(img.slice_thickness, 2.5, 1e-12);
	CHECK_NEAR(img.rescale_slope, 2, 1e-12);
	const struct dicom_item *pos = dicom_frame_group(&img, 1, DICOM_TAG(0x0020, 0x9113));
	double z;
	CHECK(pos && dicom_elem_double(dicom_find(pos, DICOM_TAG(0x0020, 0x0032)), 2, &z) == 0);
	CHECK_NEAR(z, 2.5, 1e-12);
	CHECK(dicom_frame_group(&img, 0, DICOM_TAG(0x0020, 0x9116))); /* from the shared groups */
	CHECK(!dicom_frame_group(&img, 0, DICOM_TAG(0x0018, 0x9114)));
	const uint8_t *px;
	size_t n;
	CHECK(dicom_frame_native(f, &img, 1, &px, &n, &err) == 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(px[0], 5);
	dicom_free(f);
	ml_buf_release(&b);
}
