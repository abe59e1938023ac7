/* nifti.c: NIfTI-1 and NIfTI-2 volumes through libnifti2 (Debian libnifti2-dev), converted between
 * NIfTI's RAS+ world and DICOM's LPS+ patient space by negating the first two rows of the affine. */
#include "media/media.h"
#include "media/media_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nifti2_io.h>

#define NIFTI_MAX_FILE ((uint64_t)4 << 30)

static int dtype_of(int dt, enum media_dtype *out)
{
	switch (dt) {
	case DT_UINT8: *out = MEDIA_U8; return 0;
	case DT_INT8: *out = MEDIA_I8; return 0;
	case DT_INT16: *out = MEDIA_I16; return 0;
	case DT_UINT16: *out = MEDIA_U16; return 0;
	case DT_INT32: *out = MEDIA_I32; return 0;
	case DT_UINT32: *out = MEDIA_U32; return 0;
	case DT_FLOAT32: *out = MEDIA_F32; return 0;
	case DT_FLOAT64: *out = MEDIA_F32; return 0; /* narrowed: volumes carry at most 32-bit samples */
	default: return -1;
	}
}

static uint64_t rd(const uint8_t *p, int n, bool swap)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[swap ? n - 1 - i : i] << (8 * i);
	return v;
}

/* Our own checks of an uncompressed header before libnifti sees the file: sizes, dimensions, datatype and
 * that the data fit in the file, so a truncated or hostile file is refused with a precise message. Gzipped
 * files are left to libnifti (their length is only known after inflating). */
static int nifti_precheck(const char *path, uint64_t fsize, struct ml_err *err)
{
	uint8_t h[540];
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return ml_err_set(err, ML_EIO, "cannot read '%s'", path);
	size_t got = fread(h, 1, sizeof(h), fp);
	fclose(fp);
	if (got >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return 0;
	if (got < 348)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': %zu bytes, shorter than a NIfTI header", path, got);
	uint32_t sz = (uint32_t)rd(h, 4, false);
	bool swap = false;
	if (sz != 348 && sz != 540) {
		swap = true;
		sz = (uint32_t)rd(h, 4, true);
	}
	if (sz != 348 && sz != 540)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': header size at byte 0 is neither 348 nor 540", path);
	if (sz == 540 && got < 540)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': NIfTI-2 header truncated at byte %zu", path, got);
	int64_t dim[8];
	int64_t bitpix, vox;
	if (sz == 348) {
		for (int i = 0; i < 8; i++)
			dim[i] = (int16_t)rd(h + 40 + 2 * i, 2, swap);
		bitpix = (int16_t)rd(h + 72, 2, swap);
		uint32_t fb = (uint32_t)rd(h + 108, 4, swap);
		float f;
		memcpy(&f, &fb, 4);
		if (!(f >= 0 && f < 1e12))
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': invalid vox_offset at byte 108", path);
		vox = (int64_t)f;
		bool single = memcmp(h + 344, "n+1", 4) == 0;
		if (!single && memcmp(h + 344, "ni1", 4) != 0)
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': not a NIfTI-1 file (magic at byte 344)", path);
		/* A .hdr/.img pair: libnifti would go looking for a second file, and has crashed on crafted
		 * pair headers (found by fuzz_nifti): medlabel stores volumes as single files, so refuse it. */
		if (!single)
			return ml_err_set(err, ML_EUNSUPPORTED,
					  "cannot read '%s': a .hdr/.img pair; give a single-file NIfTI (.nii or .nii.gz)", path);
		if (vox < 348)
			vox = 352;
	} else {
		for (int i = 0; i < 8; i++)
			dim[i] = (int64_t)rd(h + 16 + 8 * i, 8, swap);
		bitpix = (int16_t)rd(h + 14, 2, swap);
		vox = (int64_t)rd(h + 168, 8, swap);
		if (memcmp(h + 4, "n+2", 4) != 0)
			return memcmp(h + 4, "ni2", 4) == 0
				       ? ml_err_set(err, ML_EUNSUPPORTED,
						    "cannot read '%s': a .hdr/.img pair; give a single-file NIfTI (.nii or .nii.gz)", path)
				       : ml_err_set(err, ML_EINVAL, "cannot read '%s': not a NIfTI-2 file (magic at byte 4)", path);
		if (vox < 540)
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': vox_offset inside the header", path);
	}
	if (dim[0] < 1 || dim[0] > 7)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': dim[0] = %lld", path, (long long)dim[0]);
	uint64_t nvox = 1;
	for (int i = 1; i <= dim[0]; i++) {
		if (dim[i] < 1 || dim[i] > (1 << 24))
			return ml_err_set(err, ML_EINVAL, "cannot read '%s': dim[%d] = %lld", path, i, (long long)dim[i]);
		if (nvox > ((uint64_t)1 << 40) / (uint64_t)dim[i])
			return ml_err_set(err, ML_ELIMIT, "cannot read '%s': too many voxels", path);
		nvox *= (uint64_t)dim[i];
	}
	if (bitpix < 1 || bitpix > 256 || bitpix % 8)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': bitpix %lld", path, (long long)bitpix);
	uint64_t need = (uint64_t)vox + nvox * (uint64_t)(bitpix / 8);
	if (need > fsize)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': data need %llu bytes, the file has %llu", path,
				  (unsigned long long)need, (unsigned long long)fsize);
	return 0;
}

int media_nifti_read(const char *path, struct media_volume *v, struct ml_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return ml_err_set(err, ML_ENOTFOUND, "cannot read '%s': no such file", path);
	if ((uint64_t)st.st_size > NIFTI_MAX_FILE)
		return ml_err_set(err, ML_ELIMIT, "cannot read '%s': file larger than %llu bytes", path,
				  (unsigned long long)NIFTI_MAX_FILE);
	if (nifti_precheck(path, (uint64_t)st.st_size, err) < 0)
		return -1;
	nifti_set_debug_level(0);
	/* The header first: sizes are checked before libnifti allocates the data. */
	nifti_image *nim = nifti_image_read(path, 0);
	if (!nim)
		return ml_err_set(err, ML_EINVAL, "cannot read '%s': not a NIfTI-1/2 file or corrupt header", path);
	int rc = -1;
	enum media_dtype dt;
	if (dtype_of(nim->datatype, &dt) < 0) {
		ml_err_set(err, ML_EUNSUPPORTED, "cannot read '%s': NIfTI datatype %d is not supported", path, nim->datatype);
		goto done;
	}
	int64_t nx = nim->nx, ny = nim->ny > 0 ? nim->ny : 1, nz = nim->nz > 0 ? nim->nz : 1;
	if (nim->ndim < 1 || nx < 1 || nx > UINT32_MAX || ny > UINT32_MAX || nz > UINT32_MAX ||
	    (uint64_t)nx * ny * nz > ((uint64_t)1 << 31)) {
		ml_err_set(err, ML_ELIMIT, "cannot read '%s': invalid or too large dimensions", path);
		goto done;
	}
	if ((uint64_t)nim->nvox * (uint64_t)nim->nbyper > NIFTI_MAX_FILE * 4) {
		ml_err_set(err, ML_ELIMIT, "cannot read '%s': data too large", path);
		goto done;
	}
	if (nifti_image_load(nim) < 0 || !nim->data) {
		ml_err_set(err, ML_EINVAL, "cannot read '%s': image data truncated or unreadable", path);
		goto done;
	}
	bool scaled = nim->scl_slope != 0 && !(nim->scl_slope == 1 && nim->scl_inter == 0) && isfinite(nim->scl_slope);
	if (scaled)
		dt = MEDIA_F32;
	uint32_t dims[3] = {(uint32_t)nx, (uint32_t)ny, (uint32_t)nz};
	if (media_volume_alloc(v, dims, dt, err) < 0)
		goto done;
	size_t n = (size_t)nx * ny * nz; /* a 4-D file gives its first volume */
	double slope = scaled ? nim->scl_slope : 1, inter = scaled ? nim->scl_inter : 0;
	if (!scaled && nim->datatype != DT_FLOAT64) {
		memcpy(v->data, nim->data, n * media_dtype_size(dt));
	} else {
		for (size_t i = 0; i < n; i++) {
			double x;
			switch (nim->datatype) {
			case DT_UINT8: x = ((uint8_t *)nim->data)[i]; break;
			case DT_INT8: x = ((int8_t *)nim->data)[i]; break;
			case DT_INT16: x = ((int16_t *)nim->data)[i]; break;
			case DT_UINT16: x = ((uint16_t *)nim->data)[i]; break;
			case DT_INT32: x = ((int32_t *)nim->data)[i]; break;
			case DT_UINT32: x = ((uint32_t *)nim->data)[i]; break;
			case DT_FLOAT32: x = ((float *)nim->data)[i]; break;
			default: x = ((double *)nim->data)[i]; break;
			}
			((float *)v->data)[i] = (float)(x * slope + inter);
		}
	}
	nifti_dmat44 m;
	if (nim->sform_code > 0) {
		m = nim->sto_xyz;
	} else if (nim->qform_code > 0) {
		m = nim->qto_xyz;
	} else {
		memset(&m, 0, sizeof(m));
		m.m[0][0] = nim->dx > 0 ? nim->dx : 1;
		m.m[1][1] = nim->dy > 0 ? nim->dy : 1;
		m.m[2][2] = nim->dz > 0 ? nim->dz : 1;
		m.m[3][3] = 1;
	}
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++)
			v->affine[r][c] = (r < 2 ? -1 : 1) * m.m[r][c];
	for (int c = 0; c < 3; c++)
		v->spacing[c] = sqrt(m.m[0][c] * m.m[0][c] + m.m[1][c] * m.m[1][c] + m.m[2][c] * m.m[2][c]);
	rc = 0;
done:
	nifti_image_free(nim);
	return rc;
}

int media_nifti_write(const char *path, const struct media_volume *v, struct ml_err *err)
{
	static const int dts[] = {[MEDIA_U8] = DT_UINT8, [MEDIA_I8] = DT_INT8, [MEDIA_U16] = DT_UINT16,
				  [MEDIA_I16] = DT_INT16, [MEDIA_U32] = DT_UINT32, [MEDIA_I32] = DT_INT32,
				  [MEDIA_F32] = DT_FLOAT32};
	if (!v->data)
		return ml_err_set(err, ML_EINVAL, "cannot write '%s': empty volume", path);
	int64_t dims[8] = {3, v->dims[0], v->dims[1], v->dims[2], 1, 1, 1, 1};
	nifti_set_debug_level(0);
	nifti_image *nim = nifti_make_new_nim(dims, dts[v->dtype], 0);
	if (!nim)
		return ml_err_set(err, ML_ENOMEM, "cannot write '%s': out of memory", path);
	nifti_dmat44 m;
	memset(&m, 0, sizeof(m));
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++)
			m.m[r][c] = (r < 2 ? -1 : 1) * v->affine[r][c];
	nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
	nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
	nim->sto_xyz = m;
	nim->sto_ijk = nifti_dmat44_inverse(m);
	nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
				&nim->qoffset_y, &nim->qoffset_z, &nim->dx, &nim->dy, &nim->dz, &nim->qfac);
	nim->qto_xyz = nifti_quatern_to_dmat44(nim->quatern_b, nim->quatern_c, nim->quatern_d, nim->qoffset_x,
					       nim->qoffset_y, nim->qoffset_z, nim->dx, nim->dy, nim->dz, nim->qfac);
	nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
	nim->pixdim[1] = nim->dx;
	nim->pixdim[2] = nim->dy;
	nim->pixdim[3] = nim->dz;
	nim->pixdim[0] = nim->qfac;
	nim->xyz_units = NIFTI_UNITS_MM;
	nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
	int rc = -1;
	if (nifti_set_filenames(nim, path, 0, 1) != 0) {
		ml_err_set(err, ML_EINVAL, "cannot write '%s': the name must end in .nii or .nii.gz", path);
		goto done;
	}
	nifti_set_iname_offset(nim, 1);
	nim->data = v->data; /* borrowed for the write; detached before nifti_image_free */
	unlink(path);
	nifti_image_write(nim);
	nim->data = NULL;
	struct stat st;
	if (stat(path, &st) != 0 || st.st_size == 0) { /* gzip output can be under the 352-byte header */
		ml_err_set(err, ML_EIO, "cannot write '%s'", path);
		goto done;
	}
	rc = 0;
done:
	nim->data = NULL;
	nifti_image_free(nim);
	return rc;
}
