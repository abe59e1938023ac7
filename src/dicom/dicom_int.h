/* dicom_int.h: what the files of src/dicom share inside the module (tables, byte helpers). */
#ifndef ML_DICOM_INT_H
#define ML_DICOM_INT_H

#include "dicom/dicom.h"

#include <stdio.h>
#include <string.h>

struct dicom_dict_entry {
	uint32_t tag, mask;
	uint32_t keyword, name, vm; /* offsets into dicom_dict_strings */
	uint16_t vr[3];
	uint8_t retired;
};
extern const char *const dicom_dict_strings;
extern const struct dicom_dict_entry dicom_dict_entries[];
extern const size_t dicom_dict_count;
extern const uint16_t dicom_dict_by_keyword[];
extern const size_t dicom_dict_keyword_count;

/* Profile actions (PS3.15 Table E.1-1); combinations are resolved in deid.c. */
enum dicom_deid_action {
	DEID_ACT_NONE = 0,
	DEID_ACT_D, DEID_ACT_Z, DEID_ACT_X, DEID_ACT_K, DEID_ACT_C, DEID_ACT_U,
	DEID_ACT_XZ, DEID_ACT_XD, DEID_ACT_XZD, DEID_ACT_ZD, DEID_ACT_XZU,
};
/* Option columns, in the order gen_tables.py writes them. */
enum { DEID_COL_SAFE_PRIV, DEID_COL_UIDS, DEID_COL_DEV_ID, DEID_COL_INST_ID, DEID_COL_PAT_CHARS,
       DEID_COL_FULL_DATES, DEID_COL_MOD_DATES, DEID_COL_CLEAN_DESC, DEID_COL_CLEAN_STRUCT,
       DEID_COL_CLEAN_GRAPH, DEID_NCOLS };
struct dicom_deid_rule {
	uint32_t tag, mask;
	uint8_t private_row; /* the "(GGGG,EEEE) where GGGG is odd" row */
	uint8_t basic;
	uint8_t opt[DEID_NCOLS];
};
extern const struct dicom_deid_rule dicom_deid_rules[];
extern const size_t dicom_deid_rule_count;

/* PS3.15 Table E.3.10-1 (safe_private_table.c): private attributes kept by Retain Safe Private. */
struct dicom_safe_private {
	const char *creator; /* private creator value, trailing spaces trimmed */
	uint16_t group;
	uint8_t elem;        /* yy of (gggg,xxyy) */
	uint16_t vr;
	const char *meaning;
};
extern const struct dicom_safe_private dicom_safe_private_rows[];
extern const size_t dicom_safe_private_count;

static inline uint16_t dicom_rd16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}
static inline uint32_t dicom_rd32(const uint8_t *p, bool be)
{
	return be ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3])
		  : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}
static inline uint64_t dicom_rd64(const uint8_t *p, bool be)
{
	uint64_t hi = dicom_rd32(p, be), lo = dicom_rd32(p + 4, be);
	return be ? (hi << 32 | lo) : (lo << 32 | hi);
}

/* VRs whose explicit encoding has a 2-byte reserved field and a 4-byte length. */
static inline bool dicom_vr_long(uint16_t vr)
{
	switch (vr) {
	case DICOM_VR_OB: case DICOM_VR_OD: case DICOM_VR_OF: case DICOM_VR_OL: case DICOM_VR_OV:
	case DICOM_VR_OW: case DICOM_VR_SQ: case DICOM_VR_UC: case DICOM_VR_UR: case DICOM_VR_UT:
	case DICOM_VR_UN: case DICOM_VR_SV: case DICOM_VR_UV:
		return true;
	default:
		return false;
	}
}
/* Size of one binary value for numeric VRs (byte swapping unit), 0 for strings, 1 for OB/UN. */
int dicom_vr_unit(uint16_t vr);
bool dicom_vr_is_string(uint16_t vr);
/* Text VRs subject to Specific Character Set. */
bool dicom_vr_is_text(uint16_t vr);
/* The padding byte of a VR: NUL for UI and binary, space for strings. */
char dicom_vr_pad(uint16_t vr);
/* The default VR for a tag read in implicit VR, resolving "US or SS" and "OB or OW" like pydicom does. */
uint16_t dicom_implicit_vr(uint32_t tag, int pixel_representation, int bits_allocated);

/* Tests: make dicom_w_save start at sendfile (1) or write from the map (2), as when copy_file_range (and
 * then sendfile) is refused by the file systems, so every fallback is checked to give the same bytes. */
void dicom_w_copy_start(struct dicom_writer *w, int how);

/* Base64 for JSON InlineBinary. */
int dicom_base64(struct ml_buf *out, const uint8_t *p, size_t n) ML_MUST_CHECK;

#endif
