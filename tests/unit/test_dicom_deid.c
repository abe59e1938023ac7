/* test_dicom_deid.c: de-identification pieces: options, keyed UIDs, date shifts, file round trips, and the
 * file-to-file copy of untouched bytes (same output as writing from memory, through every fallback). */
#include "dicom/dicom_int.h"
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

static const uint8_t SECRET[] = "0123456789abcdef0123456789abcdef";

TEST(options_parse_and_conflict)
{
	unsigned o;
	struct ml_err err = {0};
	CHECK(dicom_deid_parse_options("modified-dates,safe-private", &o, &err) == 0);
	CHECK_EQ_INT(o, DICOM_DEID_RETAIN_MODIFIED_DATES | DICOM_DEID_RETAIN_SAFE_PRIVATE);
	CHECK(dicom_deid_parse_options("", &o, &err) == 0 && o == 0);
	CHECK(dicom_deid_parse_options("bogus", &o, &err) < 0);
	CHECK(strstr(err.msg, "'bogus'"));
	CHECK(dicom_deid_parse_options("full-dates,modified-dates", &o, &err) < 0);
}

TEST(uids_are_keyed_stable_and_valid)
{
	char a[65], b[65], c[65];
	dicom_deid_uid(SECRET, 32, "1.2.3.4", a);
	dicom_deid_uid(SECRET, 32, "1.2.3.4", b);
	dicom_deid_uid((const uint8_t *)"another secret, 32 bytes long...", 32, "1.2.3.4", c);
	CHECK_EQ_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK(!strncmp(a, "2.25.", 5));
	CHECK(strlen(a) <= 64);
	for (const char *p = a + 5; *p; p++)
		CHECK(*p >= '0' && *p <= '9');
	CHECK(a[5] != '0');
}

TEST(date_shift_is_per_patient_and_bounded)
{
	int s1 = dicom_deid_date_shift(SECRET, 32, "PID1");
	CHECK_EQ_INT(s1, dicom_deid_date_shift(SECRET, 32, "PID1"));
	CHECK(s1 <= -1 && s1 >= -3650);
	int differ = 0;
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "P%d", i);
		differ += dicom_deid_date_shift(SECRET, 32, id) != s1;
	}
	CHECK(differ >= 18);
}

TEST(deid_file_round_trip)
{
	char in[512], out[512];
	snprintf(in, sizeof in, "%s/in.dcm", test_tmpdir());
	snprintf(out, sizeof out, "%s/out.dcm", test_tmpdir());
	struct dicom_writer *w = dicom_writer_new();
	dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.4", "1.2.3.9", NULL);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0018), "1.2.3.9");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0020), "20200229");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0060), "MR");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0010), "Doe^Jane");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0020), "12345");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0030), "19700101");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x4000), "Jane Doe 12345 is allergic");
	dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, "\x01\x02\x03\x04", 4);
	struct ml_err err = {0};
	CHECK(dicom_w_save(w, in, &err) == 0);
	dicom_writer_free(w);
	struct dicom_deid_opts o = {.secret = SECRET, .secret_len = 32,
				    .options = DICOM_DEID_RETAIN_MODIFIED_DATES | DICOM_DEID_CLEAN_DESCRIPTORS};
	struct dicom_deid_result r;
	CHECK(dicom_deid_file(in, out, &o, &r, &err) == 0);
	CHECK(!r.pixel_review);
	CHECK(!strncmp(r.patient_key, "ML", 2));
	CHECK_EQ_INT(r.date_shift_days, dicom_deid_date_shift(SECRET, 32, "12345"));
	struct dicom_file *f;
	CHECK(dicom_open(out, NULL, &f, &err) == 0);
	char v[80];
	CHECK(dicom_get_str(&f->root, DICOM_TAG(0x0010, 0x0020), v, sizeof v));
	CHECK_EQ_STR(v, r.patient_key);
	CHECK(!dicom_find(&f->root, DICOM_TAG(0x0010, 0x0030)) || !dicom_get_str(&f->root, DICOM_TAG(0x0010, 0x0030), v, sizeof v) ||
	      strcmp(v, "19700101"));
	/* 2020-02-29 shifted by the patient's days */
	CHECK(dicom_get_str(&f->root, DICOM_TAG(0x0008, 0x0020), v, sizeof v));
	CHECK(strcmp(v, "20200229") != 0 && strlen(v) == 8);
	/* Patient Comments: X in the basic profile, C under Clean Descriptors: kept with identifiers blanked */
	const struct dicom_elem *pc = dicom_find(&f->root, DICOM_TAG(0x0010, 0x4000));
	CHECK(pc);
	CHECK(!memmem(pc->value, pc->len, "Jane", 4));
	CHECK(!memmem(pc->value, pc->len, "12345", 5));
	CHECK(memmem(pc->value, pc->len, "allergic", 8));
	const struct dicom_elem *px = dicom_find(&f->root, DICOM_TAG_PIXEL_DATA);
	CHECK(px && px->len == 4 && !memcmp(px->value, "\x01\x02\x03\x04", 4));
	CHECK(dicom_get_str(&f->root, DICOM_TAG(0x0012, 0x0062), v, sizeof v));
	CHECK_EQ_STR(v, "YES");
	dicom_free(f);
	CHECK(dicom_deid_file("/nonexistent/x.dcm", out, &o, &r, &err) < 0);
	CHECK(strstr(err.msg, "x.dcm"));
}

TEST(deid_puts_unordered_input_in_order)
{
	/* a bare implicit VR dataset with tags out of order and one duplicated */
	static const uint8_t ds[] = {
		0x10, 0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x00, 'P', 'I', 'D', '1',  /* PatientID */
		0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 'C', 'T',            /* Modality */
		0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 'M', 'R',            /* Modality again */
		0x08, 0x00, 0x18, 0x00, 0x04, 0x00, 0x00, 0x00, '1', '.', '2', 0,    /* SOPInstanceUID */
	};
	char in[512], out[512];
	snprintf(in, sizeof in, "%s/unordered.dcm", test_tmpdir());
	snprintf(out, sizeof out, "%s/unordered.out.dcm", test_tmpdir());
	struct ml_err err = {0};
	CHECK(ml_file_write_atomic(in, ds, sizeof ds, &err) == 0);
	struct dicom_deid_opts o = {.secret = SECRET, .secret_len = 32};
	struct dicom_deid_result r;
	CHECK(dicom_deid_file(in, out, &o, &r, &err) == 0);
	struct dicom_file *f;
	CHECK(dicom_open(out, NULL, &f, &err) == 0);
	CHECK(f->root.sorted);
	char v[16];
	CHECK(dicom_get_str(&f->root, DICOM_TAG(0x0008, 0x0060), v, sizeof v));
	CHECK_EQ_STR(v, "CT");
	dicom_free(f);
}

/* ---- the file-to-file copy of untouched bytes gives the same output as writing everything ----------- */

#include <zlib.h>

#define BIG 200000 /* pixel data well above the 64 kB copy threshold */

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	/* pseudo-random: incompressible (the deflated case stays above the map threshold), and a byte-swapped
	 * copy never equals the original */
	uint32_t x = 2463534242u + seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 24);
	}
}

static void app(struct ml_buf *b, const void *p, size_t n)
{
	if (ml_buf_append(b, p, n) < 0)
		abort();
}

static int save_buf(const char *path, const struct ml_buf *b)
{
	struct ml_err err = {0};
	return ml_file_write_atomic(path, b->data, b->len, &err);
}

/* The dataset part (after preamble and meta group) of a writer's explicit VR little endian output. */
static size_t dataset_start(const struct ml_buf *b)
{
	const uint8_t *p = (const uint8_t *)b->data;
	uint32_t gl = (uint32_t)p[140] | (uint32_t)p[141] << 8 | (uint32_t)p[142] << 16 | (uint32_t)p[143] << 24;
	return 144 + gl;
}

static void put_be_elem(struct ml_buf *b, uint16_t g, uint16_t e, const char *vr, const void *v, uint32_t len)
{
	uint8_t h[12] = {(uint8_t)(g >> 8), (uint8_t)g, (uint8_t)(e >> 8), (uint8_t)e, (uint8_t)vr[0], (uint8_t)vr[1]};
	bool lng = !strcmp(vr, "OW") || !strcmp(vr, "OB") || !strcmp(vr, "SQ") || !strcmp(vr, "UN");
	if (lng) {
		h[8] = (uint8_t)(len >> 24), h[9] = (uint8_t)(len >> 16), h[10] = (uint8_t)(len >> 8), h[11] = (uint8_t)len;
		app(b, h, 12);
	} else {
		h[6] = (uint8_t)(len >> 8), h[7] = (uint8_t)len;
		app(b, h, 8);
	}
	app(b, v, len);
}

static void put_implicit(struct ml_buf *b, uint16_t g, uint16_t e, const void *v, uint32_t len)
{
	uint8_t h[8] = {(uint8_t)g, (uint8_t)(g >> 8), (uint8_t)e, (uint8_t)(e >> 8),
			(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
	app(b, h, 8);
	app(b, v, len);
}

static void common_header(struct dicom_writer *w)
{
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0016), "1.2.840.10008.5.1.4.1.1.2");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0018), "1.2.3.4.5.6");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0020), "20240101");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0060), "CT");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0010), "Doe^John");
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0020), "PID-77");
	dicom_w_str(w, DICOM_TAG(0x0020, 0x000D), "1.2.3.4.5");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), 100);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0011), 1000);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0100), 16);
}

/* Writes case `which` to path; returns the minimum bytes the copy must move (0: must not copy). */
static long make_case(int which, const char *path)
{
	uint8_t *px = ml_xmalloc(BIG + 2);
	fill_pattern(px, BIG + 2, (unsigned)which);
	struct dicom_writer *w = dicom_writer_new();
	struct ml_buf b;
	ml_buf_init(&b, 0);
	struct ml_err err = {0};
	long expect = -1;
	switch (which) {
	case 0: /* plain: pixel data last, the whole tail copied */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", NULL);
		common_header(w);
		dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, px, BIG);
		expect = BIG;
		break;
	case 1: /* kept and removed elements after the pixel data */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", NULL);
		common_header(w);
		dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, px, BIG);
		dicom_w_elem(w, DICOM_TAG(0x7FE0, 0x0020), DICOM_VR_OW, "\x01\x02\x03\x04", 4);
		dicom_w_str(w, DICOM_TAG(0x7FE1, 0x0010), "ACME PRIVATE");
		dicom_w_elem(w, DICOM_TAG(0x7FE1, 0x1000), DICOM_VR_OB, "secret", 6);
		dicom_w_elem(w, DICOM_TAG(0xFFFC, 0xFFFC), DICOM_VR_OB, "\0\0\0\0", 4);
		expect = BIG;
		break;
	case 2: /* pixel data in sequences: an icon (removed) and a LUT in a kept undefined-length sequence */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", NULL);
		common_header(w);
		dicom_w_seq_begin(w, DICOM_TAG(0x0028, 0x3010), true);
		dicom_w_item_begin(w, true);
		dicom_w_elem(w, DICOM_TAG(0x0028, 0x3002), DICOM_VR_US, "\0\x10\0\0\x10\0", 6);
		dicom_w_elem(w, DICOM_TAG(0x0028, 0x3006), DICOM_VR_OW, px + 1, BIG);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_seq_begin(w, DICOM_TAG(0x0088, 0x0200), false);
		dicom_w_item_begin(w, false);
		dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), 10);
		dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, px, BIG);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, px + 2, BIG);
		expect = 2 * BIG;
		break;
	case 3: /* undefined-length encapsulated pixel data: offset table and three fragments */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", "1.2.840.10008.1.2.4.50");
		common_header(w);
		dicom_w_encap_begin(w, DICOM_TAG_PIXEL_DATA);
		dicom_w_fragment(w, "", 0, false);
		dicom_w_fragment(w, px, 70000, false);
		dicom_w_fragment(w, px + 70000, 100, false);
		dicom_w_fragment(w, px + 70100, BIG - 70100, false);
		dicom_w_encap_end(w);
		expect = BIG;
		break;
	case 4: { /* deflated: values come from the inflated copy, never copied from the file */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", NULL);
		common_header(w);
		dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, px, BIG);
		struct ml_buf full, meta;
		ml_buf_init(&full, 0);
		ml_buf_init(&meta, 0);
		if (dicom_w_to_buf(w, &full, &err) == 0) {
			struct dicom_writer *m = dicom_writer_new();
			dicom_w_meta(m, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", DICOM_TS_DEFLATED_LE);
			if (dicom_w_to_buf(m, &meta, &err) == 0) {
				size_t ds = dataset_start(&full);
				uLongf cap = compressBound((uLong)(full.len - ds)) + 64;
				uint8_t *z = ml_xmalloc(cap);
				z_stream zs = {0};
				deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
				zs.next_in = (Bytef *)full.data + ds;
				zs.avail_in = (uInt)(full.len - ds);
				zs.next_out = z;
				zs.avail_out = (uInt)cap;
				deflate(&zs, Z_FINISH);
				app(&b, meta.data, meta.len);
				app(&b, z, zs.total_out);
				deflateEnd(&zs);
				ml_free(z);
			}
			dicom_writer_free(m);
		}
		ml_buf_release(&full);
		ml_buf_release(&meta);
		expect = 0;
		break;
	}
	case 5: { /* explicit VR big endian: values are byte-swapped, so nothing can be copied */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", DICOM_TS_EXPLICIT_BE);
		if (dicom_w_to_buf(w, &b, &err) == 0) {
			put_be_elem(&b, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2\0", 26);
			put_be_elem(&b, 0x0008, 0x0018, "UI", "1.2.3.4.5.6\0", 12);
			put_be_elem(&b, 0x0010, 0x0010, "PN", "Doe^John", 8);
			put_be_elem(&b, 0x0028, 0x0010, "US", "\x00\x64", 2);
			put_be_elem(&b, 0x0028, 0x0011, "US", "\x03\xE8", 2);
			put_be_elem(&b, 0x0028, 0x0100, "US", "\x00\x10", 2);
			put_be_elem(&b, 0x7FE0, 0x0010, "OW", px, BIG);
		}
		expect = 0;
		break;
	}
	case 6: { /* implicit VR little endian: headers change, the pixel value is copied */
		dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", DICOM_TS_IMPLICIT_LE);
		if (dicom_w_to_buf(w, &b, &err) == 0) {
			put_implicit(&b, 0x0008, 0x0016, "1.2.840.10008.5.1.4.1.1.2\0", 26);
			put_implicit(&b, 0x0008, 0x0018, "1.2.3.4.5.6\0", 12);
			put_implicit(&b, 0x0010, 0x0010, "Doe^John", 8);
			put_implicit(&b, 0x0028, 0x0100, "\x10\x00", 2);
			put_implicit(&b, 0x7FE0, 0x0010, px, BIG);
		}
		expect = BIG;
		break;
	}
	}
	int rc = b.len ? save_buf(path, &b) : dicom_w_save(w, path, &err);
	dicom_writer_free(w);
	ml_buf_release(&b);
	ml_free(px);
	return rc == 0 ? expect : -1;
}

static bool same_file(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	struct ml_err err = {0};
	bool same = ml_file_read(a, 1 << 24, &x, &nx, &err) == 0 && ml_file_read(b, 1 << 24, &y, &ny, &err) == 0 &&
		    nx == ny && !memcmp(x, y, nx);
	ml_free(x);
	ml_free(y);
	return same;
}

TEST(deid_copies_untouched_bytes_file_to_file_with_the_same_output)
{
	static const char *names[] = {"plain", "trailing", "sequences", "encapsulated", "deflated", "big-endian",
				      "implicit"};
	for (int i = 0; i < (int)ML_ARRAY_LEN(names); i++) {
		char in[512], slow[512], fast[512];
		snprintf(in, sizeof in, "%s/tail-%s.dcm", test_tmpdir(), names[i]);
		snprintf(slow, sizeof slow, "%s/tail-%s.slow.dcm", test_tmpdir(), names[i]);
		snprintf(fast, sizeof fast, "%s/tail-%s.fast.dcm", test_tmpdir(), names[i]);
		long expect = make_case(i, in);
		CHECK(expect >= 0);
		struct ml_err err = {0};
		struct dicom_deid_opts o = {.secret = SECRET, .secret_len = 32};
		struct dicom_deid_result r1, r2;
		o.no_tail_copy = true;
		CHECK(dicom_deid_file(in, slow, &o, &r1, &err) == 0);
		CHECK_EQ_INT(r1.copied_bytes, 0);
		o.no_tail_copy = false;
		CHECK(dicom_deid_file(in, fast, &o, &r2, &err) == 0);
		if (!same_file(slow, fast))
			test_fail(__FILE__, __LINE__, "case %s: the two ways differ", names[i]);
		CHECK(same_file(slow, fast));
		if (expect == 0)
			CHECK_EQ_INT(r2.copied_bytes, 0);
		else if ((long)r2.copied_bytes < expect)
			test_fail(__FILE__, __LINE__, "case %s: copied %llu < %ld", names[i],
				  (unsigned long long)r2.copied_bytes, expect);
		CHECK(expect == 0 || (long)r2.copied_bytes >= expect);
		/* the output reads back with the pixel data intact (byte-swapped to little endian for case 5) */
		struct dicom_file *f;
		CHECK(dicom_open(fast, NULL, &f, &err) == 0);
		const struct dicom_elem *pd = dicom_find(&f->root, DICOM_TAG_PIXEL_DATA);
		CHECK(pd);
		CHECK(!dicom_find(&f->root, DICOM_TAG(0x7FE1, 0x1000)));
		CHECK(!dicom_find(&f->root, DICOM_TAG(0x0088, 0x0200)));
		if (!(pd->flags & DICOM_EF_ENCAPSULATED)) {
			uint8_t *px = ml_xmalloc(BIG + 2);
			fill_pattern(px, BIG + 2, (unsigned)i);
			const uint8_t *want = i == 2 ? px + 2 : px;
			CHECK_EQ_INT(pd->len, BIG);
			bool ok = true;
			for (size_t k = 0; k < BIG && ok; k += 2)
				ok = i == 5 ? pd->value[k] == want[k + 1] && pd->value[k + 1] == want[k]
					    : pd->value[k] == want[k] && pd->value[k + 1] == want[k + 1];
			ml_free(px);
			CHECK(ok);
		} else {
			CHECK_EQ_INT(pd->nitems, 4);
		}
		dicom_free(f);
	}
}

TEST(deid_of_a_file_needing_no_change_copies_it_whole)
{
	/* A de-identified file, de-identified again with the same key and UIDs kept, comes out unchanged:
	 * every byte matches the input, so the whole file is copied file to file. */
	char in[512], once[512], twice[512], slow[512];
	snprintf(in, sizeof in, "%s/nochange.dcm", test_tmpdir());
	snprintf(once, sizeof once, "%s/nochange.1.dcm", test_tmpdir());
	snprintf(twice, sizeof twice, "%s/nochange.2.dcm", test_tmpdir());
	snprintf(slow, sizeof slow, "%s/nochange.2slow.dcm", test_tmpdir());
	CHECK(make_case(0, in) > 0);
	struct ml_err err = {0};
	struct dicom_deid_opts o = {.secret = SECRET, .secret_len = 32, .options = DICOM_DEID_RETAIN_UIDS};
	struct dicom_deid_result r;
	CHECK(dicom_deid_file(in, once, &o, &r, &err) == 0);
	char key[80];
	snprintf(key, sizeof key, "%s", r.patient_key);
	o.patient_key = key;
	CHECK(dicom_deid_file(once, twice, &o, &r, &err) == 0);
	CHECK(same_file(once, twice));
	struct stat st;
	CHECK(stat(twice, &st) == 0);
	CHECK_EQ_INT(r.copied_bytes, st.st_size);
	o.no_tail_copy = true;
	CHECK(dicom_deid_file(once, slow, &o, &r, &err) == 0);
	CHECK(same_file(slow, twice));
}

TEST(writer_copy_fallbacks_give_the_same_bytes)
{
	/* The same output through copy_file_range, sendfile and write from the map (the fallbacks taken when
	 * the file systems refuse): all the elements again (the whole file is the source's tail), and all but
	 * one before the pixel data (the pixel data copied on its own, the rest written). */
	char in[512];
	snprintf(in, sizeof in, "%s/fallback.dcm", test_tmpdir());
	CHECK(make_case(1, in) > 0);
	struct ml_err err = {0};
	struct dicom_read_opts ro = {.keep_fd = true};
	struct dicom_file *f;
	CHECK(dicom_open(in, &ro, &f, &err) == 0);
	CHECK(f->fd >= 0);
	struct stat st;
	CHECK(stat(in, &st) == 0);
	for (int variant = 0; variant < 2; variant++) {
		char out[3][512];
		for (int how = 0; how < 3; how++) {
			snprintf(out[how], sizeof out[how], "%s/fallback.%d.%d.dcm", test_tmpdir(), variant, how);
			struct dicom_writer *w = dicom_writer_new();
			dicom_w_meta(w, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6", NULL);
			dicom_w_source(w, f->map.data, f->map.len, f->fd);
			dicom_w_copy_start(w, how);
			for (uint32_t i = 0; i < f->root.nelems; i++) {
				const struct dicom_elem *e = &f->root.elems[i];
				if (variant == 1 && e->tag == DICOM_TAG(0x7FE0, 0x0020))
					continue;
				dicom_w_elem_ref(w, e->tag, e->vr, e->value, e->len);
			}
			CHECK(dicom_w_save(w, out[how], &err) == 0);
			uint64_t copied = dicom_w_copied(w);
			dicom_writer_free(w);
			if (how == 2)
				CHECK_EQ_INT(copied, 0);
			else if (variant == 0)
				CHECK_EQ_INT(copied, st.st_size);
			else
				CHECK(copied >= BIG && copied < (uint64_t)st.st_size);
		}
		CHECK(same_file(out[0], out[1]));
		CHECK(same_file(out[0], out[2]));
		if (variant == 0)
			CHECK(same_file(out[0], in));
		else
			CHECK(!same_file(out[0], in));
	}
	dicom_free(f);
}
