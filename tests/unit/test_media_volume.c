/* test_media_volume.c: slice sorting, gap/duplicate/spacing reports and affines on generated oblique,
 * anisotropic series; NIfTI round trips through our writer and reader and through python3-nibabel. */
#include "core/core.h"
#include "harness.h"
#include "media/media.h"

#include <stdlib.h>
#include <unistd.h>

/* An oblique orientation: the axial frame rotated 20° about z then 30° about x. */
static void oblique(double iop[6])
{
	double a = 20 * M_PI / 180, b = 30 * M_PI / 180;
	double row[3] = {cos(a), sin(a), 0}, col[3] = {-sin(a), cos(a), 0};
	/* rotate about x by b */
	double r2[3] = {row[0], row[1] * cos(b) - row[2] * sin(b), row[1] * sin(b) + row[2] * cos(b)};
	double c2[3] = {col[0], col[1] * cos(b) - col[2] * sin(b), col[1] * sin(b) + col[2] * cos(b)};
	memcpy(iop, r2, sizeof(r2));
	memcpy(iop + 3, c2, sizeof(c2));
}

static void normal_of(const double iop[6], double n[3])
{
	n[0] = iop[1] * iop[5] - iop[2] * iop[4];
	n[1] = iop[2] * iop[3] - iop[0] * iop[5];
	n[2] = iop[0] * iop[4] - iop[1] * iop[3];
}

enum { NS = 12, ROWS = 6, COLS = 5 };
static const double STEP = 2.5, PS_ROW = 0.9, PS_COL = 0.7;
static const double ORIGIN[3] = {-100.5, 42.25, 17};

/* Slices 0..NS-1 at ORIGIN + k*STEP*normal, minus slice 5, plus a duplicate of slice 3 and a slice from
 * another series, shuffled. user = k. */
static size_t make_series(struct media_slice *s, double iop[6])
{
	double n[3];
	oblique(iop);
	normal_of(iop, n);
	size_t m = 0;
	for (int k = 0; k < NS; k++) {
		if (k == 5)
			continue;
		struct media_slice *x = &s[m++];
		memset(x, 0, sizeof(*x));
		strcpy(x->study_uid, "1.2.3");
		strcpy(x->series_uid, "1.2.3.4");
		snprintf(x->sop_uid, sizeof(x->sop_uid), "1.2.3.4.%d", k);
		x->instance_number = NS - k; /* reversed: order must come from geometry */
		for (int i = 0; i < 3; i++)
			x->ipp[i] = ORIGIN[i] + k * STEP * n[i];
		memcpy(x->iop, iop, 6 * sizeof(double));
		x->spacing[0] = PS_ROW;
		x->spacing[1] = PS_COL;
		x->rows = ROWS;
		x->columns = COLS;
		x->user = (void *)(intptr_t)k;
	}
	s[m] = s[2]; /* duplicate of k = 3 (s[2] holds k = 3 since k = 5 is skipped later) */
	s[m].ipp[0] += 1e-5;
	m++;
	s[m] = s[0];
	strcpy(s[m].series_uid, "9.9");
	m++;
	/* shuffle deterministically */
	uint32_t r = 7;
	for (size_t i = m - 1; i > 0; i--) {
		r = r * 1103515245u + 12345u;
		size_t j = (r >> 8) % (i + 1);
		struct media_slice t = s[i];
		s[i] = s[j];
		s[j] = t;
	}
	return m;
}

TEST(series_sorts_oblique_slices_and_reports_gap_and_duplicate)
{
	struct media_slice s[NS + 4];
	double iop[6];
	size_t m = make_series(s, iop);
	size_t ref = 0;
	while (strcmp(s[ref].series_uid, "1.2.3.4"))
		ref++;
	struct media_series_plan plan;
	media_series_plan_init(&plan);
	struct ml_err err;
	CHECK(media_series_plan(s, m, ref, &plan, &err) == 0);
	CHECK_EQ_INT(plan.n, NS - 1);
	CHECK_EQ_INT(plan.report.duplicates, 1);
	CHECK_EQ_INT(plan.report.gaps, 1);
	CHECK_EQ_INT(plan.report.missing, 1);
	CHECK(!plan.report.inconsistent_spacing);
	CHECK_NEAR(plan.report.step, STEP, 1e-9);
	CHECK_EQ_INT(plan.nslots, NS);
	for (size_t i = 0; i < plan.n; i++) {
		int k = (int)(intptr_t)s[plan.order[i]].user;
		CHECK_EQ_INT(plan.slot[i], k);
	}
	CHECK(strstr(plan.report.summary, "1 gaps (1 missing)") != NULL);
	size_t group[NS + 4];
	CHECK_EQ_INT(media_series_group(s, m, group), 2);

	/* Volume: voxel (i, j, k) holds 1000k + 10j + i; the affine maps it to the generated position. */
	struct media_volume v;
	media_volume_init(&v);
	CHECK(media_volume_from_plan(&v, s, &plan, MEDIA_I16, &err) == 0);
	CHECK_EQ_INT(v.dims[0], COLS);
	CHECK_EQ_INT(v.dims[1], ROWS);
	CHECK_EQ_INT(v.dims[2], NS);
	CHECK_NEAR(v.spacing[0], PS_COL, 1e-12);
	CHECK_NEAR(v.spacing[1], PS_ROW, 1e-12);
	for (size_t i = 0; i < plan.n; i++) {
		int k = (int)(intptr_t)s[plan.order[i]].user;
		struct media_frame f;
		media_frame_init(&f);
		CHECK(media_frame_alloc(&f, ROWS, COLS, 1, MEDIA_U16, &err) == 0);
		for (int y = 0; y < ROWS; y++)
			for (int x = 0; x < COLS; x++)
				((uint16_t *)f.data)[y * COLS + x] = (uint16_t)(1000 * k + 10 * y + x + 1024);
		CHECK(media_volume_put_slice(&v, plan.slot[i], &f, 1, -1024, &err) == 0);
		media_frame_release(&f);
	}
	CHECK_NEAR(media_volume_get(&v, 3, 4, 7), 7043, 0);
	CHECK_NEAR(media_volume_get(&v, 3, 4, 5), 0, 0); /* the missing slice stays empty */
	double n[3];
	normal_of(iop, n);
	double ijk[3] = {3, 4, 7}, xyz[3], back[3];
	media_volume_voxel_to_patient(&v, ijk, xyz);
	for (int r = 0; r < 3; r++)
		CHECK_NEAR(xyz[r], ORIGIN[r] + 3 * PS_COL * iop[r] + 4 * PS_ROW * iop[3 + r] + 7 * STEP * n[r], 1e-9);
	CHECK(media_volume_patient_to_voxel(&v, xyz, back) == 0);
	for (int r = 0; r < 3; r++)
		CHECK_NEAR(back[r], ijk[r], 1e-9);
	media_volume_release(&v);
	media_series_plan_release(&plan);
}

TEST(series_irregular_spacing_is_reported_not_guessed)
{
	struct media_slice s[5];
	double z[5] = {0, 2, 4, 7.1, 9.1};
	for (int k = 0; k < 5; k++) {
		memset(&s[k], 0, sizeof(s[k]));
		strcpy(s[k].series_uid, "1");
		double iop[6] = {1, 0, 0, 0, 1, 0};
		memcpy(s[k].iop, iop, sizeof(iop));
		s[k].ipp[2] = z[4 - k];
		s[k].spacing[0] = s[k].spacing[1] = 1;
		s[k].rows = s[k].columns = 4;
	}
	struct media_series_plan plan;
	media_series_plan_init(&plan);
	struct ml_err err;
	CHECK(media_series_plan(s, 5, 0, &plan, &err) == 0);
	CHECK(plan.report.inconsistent_spacing);
	CHECK_EQ_INT(plan.report.gaps, 0);
	CHECK_EQ_INT(plan.nslots, 5);
	CHECK_EQ_INT(plan.order[0], 4);
	CHECK_NEAR(plan.report.max_step, 3.1, 1e-9);
	/* Degenerate orientation and missing spacing are errors. */
	s[0].iop[3] = 1;
	s[0].iop[4] = 0;
	CHECK(media_series_plan(s, 5, 0, &plan, &err) < 0);
	CHECK(strstr(err.msg, "(0020,0037)") != NULL);
	s[1].spacing[0] = 0;
	CHECK(media_series_plan(s, 5, 1, &plan, &err) < 0);
	media_series_plan_release(&plan);
}

static void fill_volume(struct media_volume *v, enum media_dtype dt)
{
	struct ml_err err;
	uint32_t dims[3] = {7, 5, 3};
	if (media_volume_alloc(v, dims, dt, &err) < 0)
		abort();
	double iop[6], ipp[3] = {10, -20, 30}, ps[2] = {0.8, 1.3};
	oblique(iop);
	media_affine_from_geometry(v->affine, iop, ipp, ps, 2.2);
	for (uint32_t k = 0; k < 3; k++)
		for (uint32_t j = 0; j < 5; j++)
			for (uint32_t i = 0; i < 7; i++)
				((int16_t *)v->data)[(k * 5 + j) * 7 + i] = (int16_t)(100 * k + 10 * j + i - 50);
}

TEST(nifti_round_trip_through_our_writer_and_reader)
{
	struct media_volume v, w;
	media_volume_init(&v);
	media_volume_init(&w);
	fill_volume(&v, MEDIA_I16);
	struct ml_err err;
	char path[512];
	snprintf(path, sizeof(path), "%s/rt.nii.gz", test_tmpdir());
	CHECK(media_nifti_write(path, &v, &err) == 0);
	CHECK(media_nifti_read(path, &w, &err) == 0);
	CHECK_EQ_INT(w.dtype, MEDIA_I16);
	CHECK_EQ_INT(w.dims[0], 7);
	CHECK_EQ_INT(w.dims[2], 3);
	CHECK(memcmp(v.data, w.data, v.len) == 0);
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++)
			CHECK_NEAR(w.affine[r][c], v.affine[r][c], 1e-4);
	CHECK_NEAR(w.spacing[2], 2.2, 1e-5);
	/* Uncompressed and truncated: refused by our header check before libnifti reads it. */
	snprintf(path, sizeof(path), "%s/rt.nii", test_tmpdir());
	CHECK(media_nifti_write(path, &v, &err) == 0);
	CHECK(truncate(path, 352 + 7 * 5 * 3 * 2 - 1) == 0);
	CHECK(media_nifti_read(path, &w, &err) < 0);
	CHECK(strstr(err.msg, "data need 562 bytes, the file has 561") != NULL);
	snprintf(path, sizeof(path), "%s/missing.nii", test_tmpdir());
	CHECK(media_nifti_read(path, &w, &err) < 0);
	snprintf(path, sizeof(path), "%s/garbage.nii", test_tmpdir());
	CHECK(ml_file_write_atomic(path, "not a nifti file at all, just text ...", 38, &err) == 0);
	CHECK(media_nifti_read(path, &w, &err) < 0);
	media_volume_release(&v);
	media_volume_release(&w);
}

static int have_nibabel(void)
{
	return access("/usr/bin/python3", X_OK) == 0 &&
	       system("/usr/bin/python3 -c 'import nibabel, numpy' >/dev/null 2>&1") == 0;
}

TEST(nifti_agrees_with_nibabel_both_ways)
{
	if (!have_nibabel()) {
		printf("skip - nifti_agrees_with_nibabel_both_ways: /usr/bin/python3 with nibabel absent\n");
		return;
	}
	const char *dir = test_tmpdir();
	char cmd[4096], path[512], ours[512];
	snprintf(path, sizeof(path), "%s/nib.nii", dir);
	snprintf(ours, sizeof(ours), "%s/ours.nii", dir);
	/* nibabel writes a RAS affine with rotation, scaling (scl_slope 0.5) and float data. */
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 - <<'EOF'\n"
		 "import nibabel as nib, numpy as np\n"
		 "a = np.arange(4*3*2, dtype=np.int16).reshape((4,3,2), order='F') * 3 - 7\n"
		 "aff = np.array([[0, -1.5, 0, 12], [2.0, 0, 0, -8], [0, 0, 3.25, 40], [0, 0, 0, 1]])\n"
		 "img = nib.Nifti1Image(a, aff)\n"
		 "img.header.set_slope_inter(0.5, 10)\n"
		 "nib.save(img, '%s')\n"
		 "EOF\n",
		 path);
	CHECK(system(cmd) == 0);
	struct media_volume v;
	media_volume_init(&v);
	struct ml_err err;
	CHECK(media_nifti_read(path, &v, &err) == 0);
	CHECK_EQ_INT(v.dims[0], 4);
	CHECK_EQ_INT(v.dims[1], 3);
	CHECK_EQ_INT(v.dims[2], 2);
	CHECK_EQ_INT(v.dtype, MEDIA_F32);
	/* value at (i,j,k) = ((i + 4j + 12k) * 3 - 7) * 0.5 + 10 */
	CHECK_NEAR(media_volume_get(&v, 3, 2, 1), ((3 + 8 + 12) * 3 - 7) * 0.5 + 10, 1e-6);
	/* LPS = RAS with x and y negated */
	CHECK_NEAR(v.affine[0][1], 1.5, 1e-6);
	CHECK_NEAR(v.affine[1][0], -2.0, 1e-6);
	CHECK_NEAR(v.affine[0][3], -12, 1e-6);
	CHECK_NEAR(v.affine[1][3], 8, 1e-6);
	CHECK_NEAR(v.affine[2][2], 3.25, 1e-6);
	media_volume_release(&v);

	/* A label map made like a volume lands on the same voxels in nibabel's world coordinates. */
	fill_volume(&v, MEDIA_I16);
	struct media_volume lab;
	media_volume_init(&lab);
	CHECK(media_volume_like(&lab, &v, MEDIA_U8, &err) == 0);
	((uint8_t *)lab.data)[(2 * 5 + 1) * 7 + 6] = 3; /* voxel (6, 1, 2) */
	char labels[512];
	snprintf(labels, sizeof(labels), "%s/labels.nii.gz", dir);
	CHECK(media_nifti_write(labels, &lab, &err) == 0);
	double lijk[3] = {6, 1, 2}, lxyz[3];
	media_volume_voxel_to_patient(&v, lijk, lxyz);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 - <<'EOF'\n"
		 "import nibabel as nib, numpy as np\n"
		 "img = nib.load('%s')\n"
		 "d = np.asanyarray(img.dataobj)\n"
		 "idx = np.argwhere(d == 3)\n"
		 "assert idx.tolist() == [[6, 1, 2]], idx\n"
		 "ras = img.affine @ np.array([6, 1, 2, 1.0])\n"
		 "assert np.allclose(ras[:3], [%.17g, %.17g, %.17g], atol=1e-4), ras\n"
		 "EOF\n",
		 labels, -lxyz[0], -lxyz[1], lxyz[2]);
	CHECK(system(cmd) == 0);
	media_volume_release(&lab);
	media_volume_release(&v);

	/* Our file read by nibabel: same voxels and the RAS affine. */
	fill_volume(&v, MEDIA_I16);
	CHECK(media_nifti_write(ours, &v, &err) == 0);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 - <<'EOF'\n"
		 "import nibabel as nib, numpy as np, sys\n"
		 "img = nib.load('%s')\n"
		 "d = np.asanyarray(img.dataobj)\n"
		 "assert d.shape == (7, 5, 3), d.shape\n"
		 "assert d.dtype == np.int16\n"
		 "assert d[6, 4, 2] == 200 + 40 + 6 - 50 and d[0, 0, 0] == -50\n"
		 "a = img.affine\n"
		 "want = np.array([%.17g, %.17g, %.17g, %.17g])\n"
		 "got = a @ np.array([6, 4, 2, 1.0])\n"
		 "assert np.allclose(got, want, atol=1e-4), (got, want)\n"
		 "assert img.header['sform_code'] == 1 and img.header['qform_code'] == 1\n"
		 "EOF\n",
		 ours, 0.0, 0.0, 0.0, 1.0);
	/* fill in the expected RAS position of voxel (6,4,2) */
	double ijk[3] = {6, 4, 2}, xyz[3];
	media_volume_voxel_to_patient(&v, ijk, xyz);
	char want[256];
	snprintf(want, sizeof(want), "want = np.array([%.17g, %.17g, %.17g, 1.0])", -xyz[0], -xyz[1], xyz[2]);
	char *p = strstr(cmd, "want = np.array(");
	char *e = strchr(p, '\n');
	char rest[2048];
	snprintf(rest, sizeof(rest), "%s", e);
	snprintf(p, sizeof(cmd) - (size_t)(p - cmd), "%s%s", want, rest);
	CHECK(system(cmd) == 0);
	media_volume_release(&v);
}
