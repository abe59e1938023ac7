/* values.c: typed access to element values (numbers, strings, UTF-8 text) in their source byte order. */
#include "dicom/dicom_int.h"

#include <errno.h>
#include <stdlib.h>

static bool is_pad(uint8_t c)
{
	return c == ' ' || c == 0;
}

/* Value idx of a backslash-separated string, trimmed; false if there is no such value. */
static bool str_component(const struct dicom_elem *e, uint32_t idx, const uint8_t **p, size_t *n)
{
	if (!e || !e->value || e->vr == DICOM_VR_SQ)
		return false;
	const uint8_t *s = e->value, *end = e->value + e->len;
	bool single = e->vr == DICOM_VR_LT || e->vr == DICOM_VR_ST || e->vr == DICOM_VR_UT || e->vr == DICOM_VR_UR;
	for (uint32_t k = 0; k < idx; k++) {
		const uint8_t *b = single ? NULL : memchr(s, '\\', (size_t)(end - s));
		if (!b)
			return false;
		s = b + 1;
	}
	const uint8_t *b = single ? NULL : memchr(s, '\\', (size_t)(end - s));
	const uint8_t *stop = b ? b : end;
	while (s < stop && is_pad(*s))
		s++;
	while (stop > s && is_pad(stop[-1]))
		stop--;
	*p = s;
	*n = (size_t)(stop - s);
	return true;
}

uint32_t dicom_elem_vm(const struct dicom_elem *e)
{
	if (e->vr == DICOM_VR_SQ)
		return e->nitems;
	if (e->len == 0)
		return 0;
	int unit = dicom_vr_unit(e->vr);
	if (unit > 1)
		return e->len / (uint32_t)unit;
	if (unit == 1)
		return 1;
	if (e->vr == DICOM_VR_LT || e->vr == DICOM_VR_ST || e->vr == DICOM_VR_UT || e->vr == DICOM_VR_UR)
		return 1;
	uint32_t vm = 1;
	for (uint32_t i = 0; i < e->len; i++)
		if (e->value[i] == '\\')
			vm++;
	return vm;
}

const char *dicom_elem_str(const struct dicom_elem *e, uint32_t idx, char *buf, size_t n)
{
	const uint8_t *p;
	size_t len;
	if (!n || !str_component(e, idx, &p, &len))
		return NULL;
	if (len >= n)
		len = n - 1;
	memcpy(buf, p, len);
	buf[len] = 0;
	return buf;
}

int dicom_elem_int(const struct dicom_elem *e, uint32_t idx, int64_t *out)
{
	if (!e || !e->value)
		return -1;
	bool be = e->flags & DICOM_EF_BIG_ENDIAN;
	const uint8_t *v = e->value;
	switch (e->vr) {
	case DICOM_VR_US:
	case DICOM_VR_OW:
		if ((uint64_t)idx * 2 + 2 > e->len)
			return -1;
		*out = dicom_rd16(v + idx * 2, be);
		return 0;
	case DICOM_VR_SS:
		if ((uint64_t)idx * 2 + 2 > e->len)
			return -1;
		*out = (int16_t)dicom_rd16(v + idx * 2, be);
		return 0;
	case DICOM_VR_UL:
	case DICOM_VR_OL:
		if ((uint64_t)idx * 4 + 4 > e->len)
			return -1;
		*out = dicom_rd32(v + idx * 4, be);
		return 0;
	case DICOM_VR_SL:
		if ((uint64_t)idx * 4 + 4 > e->len)
			return -1;
		*out = (int32_t)dicom_rd32(v + idx * 4, be);
		return 0;
	case DICOM_VR_AT:
		if ((uint64_t)idx * 4 + 4 > e->len)
			return -1;
		*out = DICOM_TAG(dicom_rd16(v + idx * 4, be), dicom_rd16(v + idx * 4 + 2, be));
		return 0;
	case DICOM_VR_SV:
	case DICOM_VR_UV:
	case DICOM_VR_OV:
		if ((uint64_t)idx * 8 + 8 > e->len)
			return -1;
		*out = (int64_t)dicom_rd64(v + idx * 8, be);
		return 0;
	case DICOM_VR_IS:
	case DICOM_VR_DS: {
		char buf[40];
		if (!dicom_elem_str(e, idx, buf, sizeof buf) || !*buf)
			return -1;
		char *end;
		errno = 0;
		if (e->vr == DICOM_VR_IS) {
			long long x = strtoll(buf, &end, 10);
			if (*end || errno)
				return -1;
			*out = x;
		} else {
			double d = strtod(buf, &end);
			if (*end || errno || d != (double)(int64_t)d)
				return -1;
			*out = (int64_t)d;
		}
		return 0;
	}
	default:
		return -1;
	}
}

int dicom_elem_double(const struct dicom_elem *e, uint32_t idx, double *out)
{
	if (!e || !e->value)
		return -1;
	bool be = e->flags & DICOM_EF_BIG_ENDIAN;
	switch (e->vr) {
	case DICOM_VR_FL:
	case DICOM_VR_OF: {
		if ((uint64_t)idx * 4 + 4 > e->len)
			return -1;
		uint32_t u = dicom_rd32(e->value + idx * 4, be);
		float f;
		memcpy(&f, &u, 4);
		*out = f;
		return 0;
	}
	case DICOM_VR_FD:
	case DICOM_VR_OD: {
		if ((uint64_t)idx * 8 + 8 > e->len)
			return -1;
		uint64_t u = dicom_rd64(e->value + idx * 8, be);
		double d;
		memcpy(&d, &u, 8);
		*out = d;
		return 0;
	}
	case DICOM_VR_DS:
	case DICOM_VR_IS: {
		char buf[40];
		if (!dicom_elem_str(e, idx, buf, sizeof buf) || !*buf)
			return -1;
		char *end;
		errno = 0;
		double d = strtod(buf, &end);
		if (*end || errno == ERANGE)
			return -1;
		*out = d;
		return 0;
	}
	default: {
		int64_t i;
		if (dicom_elem_int(e, idx, &i) < 0)
			return -1;
		*out = (double)i;
		return 0;
	}
	}
}

int dicom_elem_utf8(const struct dicom_item *it, const struct dicom_elem *e, struct ml_buf *out)
{
	size_t n = e->len;
	while (n && is_pad(e->value[n - 1]))
		n--;
	if (!dicom_vr_is_text(e->vr))
		return dicom_charset_to_utf8(NULL, 0, e->value, n, false, out);
	return dicom_charset_to_utf8((const char *)(it ? it->charset : NULL), it ? it->charset_len : 0, e->value, n,
				     e->vr == DICOM_VR_PN, out);
}

bool dicom_get_int(const struct dicom_item *it, uint32_t tag, int64_t *out)
{
	return dicom_elem_int(dicom_find(it, tag), 0, out) == 0;
}

bool dicom_get_double(const struct dicom_item *it, uint32_t tag, double *out)
{
	return dicom_elem_double(dicom_find(it, tag), 0, out) == 0;
}

bool dicom_get_str(const struct dicom_item *it, uint32_t tag, char *buf, size_t n)
{
	const char *s = dicom_elem_str(dicom_find(it, tag), 0, buf, n);
	return s && *s;
}

int dicom_base64(struct ml_buf *out, const uint8_t *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (ml_buf_grow(out, (n + 2) / 3 * 4 + 1) < 0)
		return -1;
	char *o = out->data + out->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = tbl[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = 0;
	return 0;
}
