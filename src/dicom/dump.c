/* dump.c: a dataset as dcmdump-like text and as the DICOM JSON model (PS3.18 F.2). */
#include "dicom/dicom_int.h"

#include <math.h>
#include <stdlib.h>

#define TEXT_CUT 64 /* characters of a value shown in the text dump before "..." */

static const char *ts_name(const char *ts)
{
	if (!strcmp(ts, DICOM_TS_IMPLICIT_LE))
		return "Little Endian Implicit";
	if (!strcmp(ts, DICOM_TS_EXPLICIT_LE))
		return "Little Endian Explicit";
	if (!strcmp(ts, DICOM_TS_EXPLICIT_BE))
		return "Big Endian Explicit";
	if (!strcmp(ts, DICOM_TS_DEFLATED_LE))
		return "Deflated Explicit VR Little Endian";
	return ts;
}

static const char *keyword_of(const struct dicom_item *it, uint32_t tag, char *buf, size_t n)
{
	uint16_t g = DICOM_GROUP(tag), el = DICOM_ELEMENT(tag);
	if (g & 1) {
		if (el == 0)
			return "PrivateGroupLength";
		if (el >= 0x0010 && el <= 0x00FF)
			return "PrivateCreator";
		char c[68];
		if (dicom_private_creator(it, tag, c, sizeof c)) {
			snprintf(buf, n, "Private [%s]", c);
			return buf;
		}
		return "Unknown Tag & Data";
	}
	struct dicom_dict_info d;
	if (dicom_dict_lookup(tag, &d) && *d.keyword)
		return d.keyword;
	if (el == 0)
		return "GenericGroupLength";
	return "Unknown Tag & Data";
}

/* Appends s[0..n) to out, replacing control characters, cut at TEXT_CUT code points. */
static int put_cut(struct ml_buf *out, const char *s, size_t n)
{
	size_t cps = 0, i = 0;
	while (i < n) {
		if (cps == TEXT_CUT)
			return ml_buf_puts(out, "...");
		uint32_t cp;
		size_t k = ml_utf8_decode(s + i, n - i, &cp);
		if (!k)
			k = 1, cp = '?';
		if (cp < 0x20 || cp == 0x7F) {
			if (ml_buf_putc(out, '.') < 0)
				return -1;
		} else if (ml_buf_append(out, s + i, k) < 0) {
			return -1;
		}
		i += k;
		cps++;
	}
	return 0;
}

static int text_value(const struct dicom_item *it, const struct dicom_elem *e, struct ml_buf *out)
{
	int unit = dicom_vr_unit(e->vr);
	if (!e->len)
		return ml_buf_puts(out, "(no value available)");
	if (dicom_vr_is_string(e->vr)) {
		struct ml_buf s;
		ml_buf_init(&s, 0);
		int rc = dicom_elem_utf8(it, e, &s);
		if (rc == 0)
			rc = ml_buf_putc(out, '[') < 0 || put_cut(out, s.data ? s.data : "", s.len) < 0 ||
					     ml_buf_putc(out, ']') < 0
				     ? -1
				     : 0;
		ml_buf_release(&s);
		return rc;
	}
	uint32_t vm = unit == 1 ? e->len : dicom_elem_vm(e);
	size_t start = out->len;
	for (uint32_t i = 0; i < vm; i++) {
		if (out->len - start > TEXT_CUT)
			return ml_buf_puts(out, "...");
		if (i && ml_buf_putc(out, '\\') < 0)
			return -1;
		int rc;
		int64_t iv;
		double dv;
		if (e->vr == DICOM_VR_AT && dicom_elem_int(e, i, &iv) == 0)
			rc = ml_buf_printf(out, "(%04X,%04X)", (unsigned)(iv >> 16), (unsigned)(iv & 0xFFFF));
		else if (unit == 1)
			rc = ml_buf_printf(out, "%02x", e->value[i]);
		else if ((e->vr == DICOM_VR_OW) && dicom_elem_int(e, i, &iv) == 0)
			rc = ml_buf_printf(out, "%04x", (unsigned)iv);
		else if ((e->vr == DICOM_VR_FL || e->vr == DICOM_VR_FD || e->vr == DICOM_VR_OF || e->vr == DICOM_VR_OD) &&
			 dicom_elem_double(e, i, &dv) == 0)
			rc = ml_buf_printf(out, "%.9g", dv);
		else if (e->vr == DICOM_VR_UV && e->len >= 8 * (i + 1))
			rc = ml_buf_printf(out, "%llu",
					   (unsigned long long)dicom_rd64(e->value + 8 * i, e->flags & DICOM_EF_BIG_ENDIAN));
		else if (dicom_elem_int(e, i, &iv) == 0)
			rc = ml_buf_printf(out, "%lld", (long long)iv);
		else
			rc = ml_buf_puts(out, "?");
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int text_line_end(struct ml_buf *out, size_t line_start, const struct dicom_item *it,
			 const struct dicom_elem *e, const char *len_text)
{
	char kb[96];
	size_t col = ml_utf8_cp_count(out->data + line_start, out->len - line_start);
	for (; col < 56; col++)
		if (ml_buf_putc(out, ' ') < 0)
			return -1;
	return ml_buf_printf(out, " # %s, %u %s\n", len_text, dicom_elem_vm(e), keyword_of(it, e->tag, kb, sizeof kb));
}

static int text_item(const struct dicom_item *it, int depth, struct ml_buf *out)
{
	char vb[3], lt[32];
	for (uint32_t i = 0; i < it->nelems; i++) {
		const struct dicom_elem *e = &it->elems[i];
		size_t ls = out->len;
		if (ml_buf_printf(out, "%*s(%04X,%04X) %s ", depth * 2, "", DICOM_GROUP(e->tag), DICOM_ELEMENT(e->tag),
				  dicom_vr_name(e->vr, vb)) < 0)
			return -1;
		if (e->flags & DICOM_EF_UNDEF_LEN)
			snprintf(lt, sizeof lt, "u/l");
		else
			snprintf(lt, sizeof lt, "%u", e->len);
		if (e->vr == DICOM_VR_SQ) {
			if (ml_buf_printf(out, "(Sequence with %s length #=%u)",
					  e->flags & DICOM_EF_UNDEF_LEN ? "undefined" : "explicit", e->nitems) < 0 ||
			    text_line_end(out, ls, it, e, lt) < 0)
				return -1;
			for (uint32_t k = 0; k < e->nitems; k++) {
				const struct dicom_item *sub = &e->items[k];
				if (ml_buf_printf(out, "%*s(FFFE,E000) na (Item with %s length #=%u)\n", depth * 2 + 2, "",
						  sub->undef_len ? "undefined" : "explicit", sub->nelems) < 0 ||
				    text_item(sub, depth + 2, out) < 0)
					return -1;
			}
			continue;
		}
		if (e->flags & DICOM_EF_ENCAPSULATED) {
			if (ml_buf_printf(out, "(PixelSequence #=%u)", e->nitems) < 0 || text_line_end(out, ls, it, e, lt) < 0)
				return -1;
			for (uint32_t k = 0; k < e->nitems; k++)
				if (ml_buf_printf(out, "%*s(FFFE,E000) pi (%s, %u bytes at byte %llu)\n", depth * 2 + 2, "",
						  k ? "fragment" : "offset table", e->items[k].len,
						  (unsigned long long)e->items[k].offset) < 0)
					return -1;
			continue;
		}
		if (text_value(it, e, out) < 0 || text_line_end(out, ls, it, e, lt) < 0)
			return -1;
	}
	return 0;
}

int dicom_dump_text(const struct dicom_file *f, struct ml_buf *out, struct ml_err *err)
{
	int rc = 0;
	if (f->meta.nelems)
		rc = ml_buf_printf(out, "# Dicom-File-Format\n\n# Dicom-Meta-Information-Header\n"
					"# Used TransferSyntax: Little Endian Explicit\n") < 0 ||
		     text_item(&f->meta, 0, out) < 0 || ml_buf_putc(out, '\n') < 0;
	if (!rc)
		rc = ml_buf_printf(out, "# Dicom-Data-Set\n# Used TransferSyntax: %s\n", ts_name(f->transfer_syntax)) < 0 ||
		     text_item(&f->root, 0, out) < 0;
	if (!rc && f->stopped_before_pixels)
		rc = ml_buf_printf(out, "# stopped before pixel data at byte %zu\n", f->pixel_offset) < 0;
	if (rc)
		return ml_err_set(err, ML_ENOMEM, "cannot dump '%s': out of memory", f->name);
	return 0;
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

struct json_ctx {
	const struct dicom_file *f;
	struct ml_buf *out;
	size_t bulk_threshold; /* 0: always inline */
	const char *uri;       /* file URI for BulkDataURI */
};

static int json_str(struct ml_buf *out, const char *s, size_t n)
{
	return ml_buf_json_str(out, s, n);
}

/* A JSON number for an IS/DS string, or the string itself when it is not one. */
static int json_number_text(struct ml_buf *out, const uint8_t *p, size_t n, bool integer)
{
	char buf[48];
	if (n == 0 || n >= sizeof buf)
		return json_str(out, (const char *)p, n);
	memcpy(buf, p, n);
	buf[n] = 0;
	char *end;
	if (integer) {
		long long v = strtoll(buf, &end, 10);
		if (*end == 0)
			return ml_buf_printf(out, "%lld", v);
	} else {
		double d = strtod(buf, &end);
		if (*end == 0 && isfinite(d))
			return ml_buf_printf(out, "%.17g", d);
	}
	return json_str(out, buf, n);
}

static int json_item(struct json_ctx *c, const struct dicom_item *it);

static int json_pn(struct ml_buf *out, const char *s, size_t n)
{
	static const char *groups[] = {"Alphabetic", "Ideographic", "Phonetic"};
	if (ml_buf_putc(out, '{') < 0)
		return -1;
	size_t i = 0;
	bool first = true;
	for (int g = 0; g < 3 && i <= n; g++) {
		size_t j = i;
		while (j < n && s[j] != '=')
			j++;
		size_t k = j;
		while (k > i && s[k - 1] == ' ')
			k--;
		if (k > i) {
			if ((!first && ml_buf_putc(out, ',') < 0) || ml_buf_printf(out, "\"%s\":", groups[g]) < 0 ||
			    json_str(out, s + i, k - i) < 0)
				return -1;
			first = false;
		}
		i = j + 1;
	}
	return ml_buf_putc(out, '}');
}

static int json_elem(struct json_ctx *c, const struct dicom_item *it, const struct dicom_elem *e)
{
	struct ml_buf *out = c->out;
	char vb[3];
	if (ml_buf_printf(out, "\"%04X%04X\":{\"vr\":\"%s\"", DICOM_GROUP(e->tag), DICOM_ELEMENT(e->tag),
			  dicom_vr_name(e->vr, vb)) < 0)
		return -1;
	if (e->vr == DICOM_VR_SQ) {
		if (e->nitems) {
			if (ml_buf_puts(out, ",\"Value\":[") < 0)
				return -1;
			for (uint32_t k = 0; k < e->nitems; k++)
				if ((k && ml_buf_putc(out, ',') < 0) || json_item(c, &e->items[k]) < 0)
					return -1;
			if (ml_buf_putc(out, ']') < 0)
				return -1;
		}
		return ml_buf_putc(out, '}');
	}
	if (!e->len)
		return ml_buf_putc(out, '}');
	int unit = dicom_vr_unit(e->vr);
	bool binary = unit == 1 || e->vr == DICOM_VR_OW || e->vr == DICOM_VR_OF || e->vr == DICOM_VR_OD ||
		      e->vr == DICOM_VR_OL || e->vr == DICOM_VR_OV || (e->flags & DICOM_EF_ENCAPSULATED);
	if (binary) {
		if (c->bulk_threshold && e->len > c->bulk_threshold && c->uri && !c->f->inflated) {
			/* The value's place in the file: a client fetches it with a byte range. */
			uint64_t off = (uint64_t)(e->value - c->f->data);
			if (ml_buf_puts(out, ",\"BulkDataURI\":") < 0)
				return -1;
			struct ml_buf u;
			ml_buf_init(&u, 0);
			int rc = ml_buf_printf(&u, "%s?offset=%llu&length=%u", c->uri, (unsigned long long)off, e->len);
			if (rc == 0)
				rc = ml_buf_json_str(out, u.data, u.len);
			ml_buf_release(&u);
			return rc < 0 ? -1 : ml_buf_putc(out, '}');
		}
		if (ml_buf_puts(out, ",\"InlineBinary\":\"") < 0 || dicom_base64(out, e->value, e->len) < 0)
			return -1;
		return ml_buf_puts(out, "\"}");
	}
	if (ml_buf_puts(out, ",\"Value\":[") < 0)
		return -1;
	if (unit) {
		uint32_t vm = dicom_elem_vm(e);
		for (uint32_t i = 0; i < vm; i++) {
			int64_t iv;
			double dv;
			int rc;
			if (i && ml_buf_putc(out, ',') < 0)
				return -1;
			if (e->vr == DICOM_VR_AT && dicom_elem_int(e, i, &iv) == 0)
				rc = ml_buf_printf(out, "\"%08llX\"", (unsigned long long)iv);
			else if ((e->vr == DICOM_VR_FL || e->vr == DICOM_VR_FD) && dicom_elem_double(e, i, &dv) == 0)
				rc = isfinite(dv) ? ml_buf_printf(out, e->vr == DICOM_VR_FL ? "%.9g" : "%.17g", dv)
						  : ml_buf_puts(out, "null");
			else if (e->vr == DICOM_VR_UV)
				rc = ml_buf_printf(out, "%llu",
						   (unsigned long long)dicom_rd64(e->value + 8 * i,
										  e->flags & DICOM_EF_BIG_ENDIAN));
			else if (dicom_elem_int(e, i, &iv) == 0)
				rc = ml_buf_printf(out, "%lld", (long long)iv);
			else
				rc = ml_buf_puts(out, "null");
			if (rc < 0)
				return -1;
		}
		return ml_buf_puts(out, "]}");
	}
	/* Strings: decode the whole value, then split on backslashes (UTF-8 never contains 0x5C in a
	 * multi-byte sequence, and ISO 2022 / GB18030 values are decoded before splitting). */
	struct ml_buf s;
	ml_buf_init(&s, 0);
	if (dicom_elem_utf8(it, e, &s) < 0) {
		ml_buf_release(&s);
		return -1;
	}
	const char *p = s.data ? s.data : "";
	size_t n = s.len, i = 0;
	bool single = e->vr == DICOM_VR_LT || e->vr == DICOM_VR_ST || e->vr == DICOM_VR_UT || e->vr == DICOM_VR_UR;
	int rc = 0;
	for (uint32_t k = 0; rc == 0 && i <= n; k++) {
		size_t j = single ? n : i;
		while (j < n && p[j] != '\\')
			j++;
		size_t a = i, b = j;
		if (e->vr != DICOM_VR_LT && e->vr != DICOM_VR_ST && e->vr != DICOM_VR_UT)
			while (a < b && p[a] == ' ')
				a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == 0))
			b--;
		if (k && ml_buf_putc(out, ',') < 0)
			rc = -1;
		else if (b == a)
			rc = ml_buf_puts(out, "null");
		else if (e->vr == DICOM_VR_PN)
			rc = json_pn(out, p + a, b - a);
		else if (e->vr == DICOM_VR_IS || e->vr == DICOM_VR_DS)
			rc = json_number_text(out, (const uint8_t *)p + a, b - a, e->vr == DICOM_VR_IS);
		else
			rc = json_str(out, p + a, b - a);
		i = j + 1;
		if (single)
			break;
	}
	ml_buf_release(&s);
	if (rc < 0)
		return -1;
	return ml_buf_puts(out, "]}");
}

static int json_item(struct json_ctx *c, const struct dicom_item *it)
{
	if (ml_buf_putc(c->out, '{') < 0)
		return -1;
	bool first = true;
	for (uint32_t i = 0; i < it->nelems; i++) {
		const struct dicom_elem *e = &it->elems[i];
		/* Group lengths are left out, as PS3.18 F.2 recommends and pydicom does. */
		if (DICOM_ELEMENT(e->tag) == 0)
			continue;
		if ((!first && ml_buf_putc(c->out, ',') < 0) || json_elem(c, it, e) < 0)
			return -1;
		first = false;
	}
	return ml_buf_putc(c->out, '}');
}

int dicom_dump_json(const struct dicom_file *f, const struct dicom_json_opts *o, struct ml_buf *out,
		    struct ml_err *err)
{
	static const struct dicom_json_opts defaults;
	if (!o)
		o = &defaults;
	struct json_ctx c = {.f = f, .out = out, .bulk_threshold = o->bulk_threshold, .uri = o->bulk_uri};
	int rc;
	if (o->with_meta) {
		rc = ml_buf_puts(out, "{\"meta\":") < 0 || json_item(&c, &f->meta) < 0 ||
		     ml_buf_puts(out, ",\"dataset\":") < 0 || json_item(&c, &f->root) < 0 || ml_buf_putc(out, '}') < 0;
	} else {
		rc = json_item(&c, &f->root) < 0;
	}
	if (!rc)
		rc = ml_buf_putc(out, '\n') < 0;
	if (rc)
		return ml_err_set(err, ML_ENOMEM, "cannot dump '%s': out of memory", f->name);
	return 0;
}
