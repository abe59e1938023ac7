/* test_dicom_deid.c: de-identification pieces: options, keyed UIDs, date shifts, a file round trip. */
#include "dicom/dicom.h"
#include "harness.h"

#include <stdlib.h>

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
