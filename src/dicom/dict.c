/* dict.c: data dictionary lookups (tag -> entry, keyword -> tag) over the generated table, and VR facts. */
#include "dicom/dicom_int.h"

#include <stdlib.h>

static void fill(const struct dicom_dict_entry *e, struct dicom_dict_info *out)
{
	out->tag = e->tag;
	out->mask = e->mask;
	out->keyword = dicom_dict_strings + e->keyword;
	out->name = dicom_dict_strings + e->name;
	out->vm = dicom_dict_strings + e->vm;
	memcpy(out->vr, e->vr, sizeof out->vr);
	out->retired = e->retired;
}

bool dicom_dict_lookup(uint32_t tag, struct dicom_dict_info *out)
{
	size_t lo = 0, hi = dicom_dict_count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct dicom_dict_entry *e = &dicom_dict_entries[mid];
		if (e->tag < tag) {
			lo = mid + 1;
		} else if (e->tag > tag) {
			hi = mid;
		} else {
			/* Several entries may share a base tag (exact and masked): the sort puts the exact first. */
			while (mid > 0 && dicom_dict_entries[mid - 1].tag == tag)
				mid--;
			e = &dicom_dict_entries[mid];
			if (e->mask == 0xFFFFFFFFu) {
				if (out)
					fill(e, out);
				return true;
			}
			break;
		}
	}
	/* Private groups have no public entries (odd groups); the mask scan covers repeating groups. Masked
	 * entries are few (about 130): a linear scan is cheap and only runs for tags not found exactly. */
	if (DICOM_GROUP(tag) & 1)
		return false;
	for (size_t i = 0; i < dicom_dict_count; i++) {
		const struct dicom_dict_entry *e = &dicom_dict_entries[i];
		if (e->mask != 0xFFFFFFFFu && (tag & e->mask) == e->tag) {
			if (out)
				fill(e, out);
			return true;
		}
	}
	return false;
}

bool dicom_dict_tag(const char *keyword, uint32_t *tag)
{
	size_t lo = 0, hi = dicom_dict_keyword_count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct dicom_dict_entry *e = &dicom_dict_entries[dicom_dict_by_keyword[mid]];
		int c = strcmp(dicom_dict_strings + e->keyword, keyword);
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			*tag = e->tag;
			return true;
		}
	}
	return false;
}

bool dicom_vr_valid(uint16_t vr)
{
	switch (vr) {
	case DICOM_VR_AE: case DICOM_VR_AS: case DICOM_VR_AT: case DICOM_VR_CS: case DICOM_VR_DA:
	case DICOM_VR_DS: case DICOM_VR_DT: case DICOM_VR_FL: case DICOM_VR_FD: case DICOM_VR_IS:
	case DICOM_VR_LO: case DICOM_VR_LT: case DICOM_VR_OB: case DICOM_VR_OD: case DICOM_VR_OF:
	case DICOM_VR_OL: case DICOM_VR_OV: case DICOM_VR_OW: case DICOM_VR_PN: case DICOM_VR_SH:
	case DICOM_VR_SL: case DICOM_VR_SQ: case DICOM_VR_SS: case DICOM_VR_ST: case DICOM_VR_SV:
	case DICOM_VR_TM: case DICOM_VR_UC: case DICOM_VR_UI: case DICOM_VR_UL: case DICOM_VR_UN:
	case DICOM_VR_UR: case DICOM_VR_US: case DICOM_VR_UT: case DICOM_VR_UV:
		return true;
	default:
		return false;
	}
}

const char *dicom_vr_name(uint16_t vr, char buf[3])
{
	if (!dicom_vr_valid(vr))
		return "??";
	buf[0] = (char)(vr >> 8);
	buf[1] = (char)(vr & 0xFF);
	buf[2] = 0;
	return buf;
}

int dicom_vr_unit(uint16_t vr)
{
	switch (vr) {
	case DICOM_VR_US: case DICOM_VR_SS: case DICOM_VR_OW: case DICOM_VR_AT:
		return 2; /* AT swaps as two 16-bit halves */
	case DICOM_VR_UL: case DICOM_VR_SL: case DICOM_VR_FL: case DICOM_VR_OF: case DICOM_VR_OL:
		return 4;
	case DICOM_VR_FD: case DICOM_VR_OD: case DICOM_VR_SV: case DICOM_VR_UV: case DICOM_VR_OV:
		return 8;
	case DICOM_VR_OB: case DICOM_VR_UN:
		return 1;
	default:
		return 0;
	}
}

bool dicom_vr_is_string(uint16_t vr)
{
	return dicom_vr_unit(vr) == 0 && vr != DICOM_VR_SQ;
}

bool dicom_vr_is_text(uint16_t vr)
{
	switch (vr) {
	case DICOM_VR_SH: case DICOM_VR_LO: case DICOM_VR_UC: case DICOM_VR_ST: case DICOM_VR_LT:
	case DICOM_VR_UT: case DICOM_VR_PN:
		return true;
	default:
		return false;
	}
}

char dicom_vr_pad(uint16_t vr)
{
	return (vr == DICOM_VR_UI || !dicom_vr_is_string(vr)) ? '\0' : ' ';
}

uint16_t dicom_implicit_vr(uint32_t tag, int pixel_representation, int bits_allocated)
{
	uint16_t el = DICOM_ELEMENT(tag), grp = DICOM_GROUP(tag);
	if (el == 0x0000)
		return DICOM_VR_UL; /* group lengths */
	if ((grp & 1) && el >= 0x0010 && el <= 0x00FF)
		return DICOM_VR_LO; /* private creators */
	struct dicom_dict_info d;
	if ((grp & 1) || !dicom_dict_lookup(tag, &d) || !d.vr[0])
		return DICOM_VR_UN;
	if (!d.vr[1])
		return d.vr[0];
	/* Ambiguous VRs, resolved as PS3.5 and pydicom do: pixel data and overlays are OW in implicit VR;
	 * "US or SS" follows Pixel Representation; LUT data "US or OW" is OW. */
	if (tag == DICOM_TAG_PIXEL_DATA || (grp & 0xFF00) == 0x6000 || (grp & 0xFF00) == 0x5000)
		return DICOM_VR_OW;
	for (int i = 0; i < 3 && d.vr[i]; i++)
		if (d.vr[i] == DICOM_VR_OW)
			return DICOM_VR_OW;
	if (d.vr[0] == DICOM_VR_US && d.vr[1] == DICOM_VR_SS)
		return pixel_representation == 1 ? DICOM_VR_SS : DICOM_VR_US;
	(void)bits_allocated;
	return d.vr[0];
}
