/* deid.c: PS3.15 Annex E de-identification, streaming a mapped file through the profile table into the writer. */
#include "dicom/dicom_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

static const struct {
	const char *name;
	unsigned bit;
} OPTION_NAMES[] = {
	{"safe-private", DICOM_DEID_RETAIN_SAFE_PRIVATE},  {"uids", DICOM_DEID_RETAIN_UIDS},
	{"device-id", DICOM_DEID_RETAIN_DEVICE_ID},        {"institution-id", DICOM_DEID_RETAIN_INSTITUTION_ID},
	{"patient-chars", DICOM_DEID_RETAIN_PATIENT_CHARS}, {"full-dates", DICOM_DEID_RETAIN_FULL_DATES},
	{"modified-dates", DICOM_DEID_RETAIN_MODIFIED_DATES}, {"clean-descriptors", DICOM_DEID_CLEAN_DESCRIPTORS},
	{"clean-structured", DICOM_DEID_CLEAN_STRUCTURED}, {"clean-graphics", DICOM_DEID_CLEAN_GRAPHICS},
};

/* CID 7050 codes of the profile and each option (PS3.16). */
static const struct {
	unsigned bit; /* 0: the basic profile itself */
	const char *code, *meaning;
} METHOD_CODES[] = {
	{0, "113100", "Basic Application Confidentiality Profile"},
	{DICOM_DEID_CLEAN_GRAPHICS, "113103", "Clean Graphics Option"},
	{DICOM_DEID_CLEAN_STRUCTURED, "113104", "Clean Structured Content Option"},
	{DICOM_DEID_CLEAN_DESCRIPTORS, "113105", "Clean Descriptors Option"},
	{DICOM_DEID_RETAIN_FULL_DATES, "113106", "Retain Longitudinal Temporal Information Full Dates Option"},
	{DICOM_DEID_RETAIN_MODIFIED_DATES, "113107", "Retain Longitudinal Temporal Information Modified Dates Option"},
	{DICOM_DEID_RETAIN_PATIENT_CHARS, "113108", "Retain Patient Characteristics Option"},
	{DICOM_DEID_RETAIN_DEVICE_ID, "113109", "Retain Device Identity Option"},
	{DICOM_DEID_RETAIN_UIDS, "113110", "Retain UIDs Option"},
	{DICOM_DEID_RETAIN_SAFE_PRIVATE, "113111", "Retain Safe Private Option"},
	{DICOM_DEID_RETAIN_INSTITUTION_ID, "113112", "Retain Institution Identity Option"},
};

/* Option bit -> table column. */
static const struct {
	unsigned bit;
	int col;
} OPTION_COLS[] = {
	{DICOM_DEID_RETAIN_SAFE_PRIVATE, DEID_COL_SAFE_PRIV}, {DICOM_DEID_RETAIN_UIDS, DEID_COL_UIDS},
	{DICOM_DEID_RETAIN_DEVICE_ID, DEID_COL_DEV_ID},       {DICOM_DEID_RETAIN_INSTITUTION_ID, DEID_COL_INST_ID},
	{DICOM_DEID_RETAIN_PATIENT_CHARS, DEID_COL_PAT_CHARS}, {DICOM_DEID_RETAIN_FULL_DATES, DEID_COL_FULL_DATES},
	{DICOM_DEID_RETAIN_MODIFIED_DATES, DEID_COL_MOD_DATES}, {DICOM_DEID_CLEAN_DESCRIPTORS, DEID_COL_CLEAN_DESC},
	{DICOM_DEID_CLEAN_STRUCTURED, DEID_COL_CLEAN_STRUCT}, {DICOM_DEID_CLEAN_GRAPHICS, DEID_COL_CLEAN_GRAPH},
};

int dicom_deid_parse_options(const char *list, unsigned *out, struct ml_err *err)
{
	*out = 0;
	const char *p = list ? list : "";
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = n == 0;
		for (size_t i = 0; i < ML_ARRAY_LEN(OPTION_NAMES) && !found; i++)
			if (strlen(OPTION_NAMES[i].name) == n && !strncmp(OPTION_NAMES[i].name, p, n)) {
				*out |= OPTION_NAMES[i].bit;
				found = true;
			}
		if (!found)
			return ml_err_set(err, ML_EINVAL, "unknown de-identification option '%.*s'", (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	if ((*out & DICOM_DEID_RETAIN_FULL_DATES) && (*out & DICOM_DEID_RETAIN_MODIFIED_DATES))
		return ml_err_set(err, ML_EINVAL, "options 'full-dates' and 'modified-dates' exclude each other");
	return 0;
}

/* ---- keyed hashes ---------------------------------------------------------------------------------- */

static void keyed(const uint8_t *secret, size_t secret_len, const char *domain, const char *s, uint8_t *out,
		  size_t outlen)
{
	uint8_t key[crypto_generichash_KEYBYTES_MAX] = {0};
	size_t klen = secret_len;
	if (klen > sizeof key)
		klen = sizeof key;
	if (klen)
		memcpy(key, secret, klen);
	if (klen < crypto_generichash_KEYBYTES_MIN)
		klen = crypto_generichash_KEYBYTES_MIN; /* zero-padded: a short secret still gives a valid key */
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, klen, outlen);
	crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
	crypto_generichash_update(&st, (const uint8_t *)s, strlen(s));
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(key, sizeof key);
}

void dicom_deid_uid(const uint8_t *secret, size_t secret_len, const char *uid, char out[65])
{
	uint8_t h[16];
	keyed(secret, secret_len, "medlabel dicom uid", uid, h, sizeof h);
	/* 2.25 UIDs are a UUID as one decimal integer (PS3.5 B.2); set the version 4 / variant bits. */
	h[6] = (uint8_t)((h[6] & 0x0F) | 0x40);
	h[8] = (uint8_t)((h[8] & 0x3F) | 0x80);
	dicom_uid_from_128(h, out);
}

void dicom_uid_from_128(const uint8_t h[16], char out[65])
{
	unsigned __int128 v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 8 | h[i];
	char digits[40]; /* 2^128 has 39 decimal digits */
	int n = 0;
	do {
		digits[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	memcpy(out, "2.25.", 5);
	for (int i = 0; i < n; i++)
		out[5 + i] = digits[n - 1 - i];
	out[5 + n] = 0;
}

int dicom_deid_date_shift(const uint8_t *secret, size_t secret_len, const char *patient_id)
{
	uint8_t h[8];
	keyed(secret, secret_len, "medlabel dicom date shift", patient_id, h, sizeof h);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return -(int)(1 + v % 3650);
}

static void patient_key(const uint8_t *secret, size_t secret_len, const char *patient_id, char *out, size_t n)
{
	uint8_t h[10];
	keyed(secret, secret_len, "medlabel patient key", patient_id, h, sizeof h);
	char hex[21];
	ml_hex_encode(h, sizeof h, hex);
	snprintf(out, n, "ML%s", hex);
}

/* ---- dates ------------------------------------------------------------------------------------------ */

/* Days from 1970-01-01 (proleptic Gregorian), after Howard Hinnant's civil-date algorithms. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

/* Shifts the YYYYMMDD at s (8 digits) by days in place; false if it is not a valid date. */
static bool shift_date8(char *s, int days)
{
	for (int i = 0; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	unsigned m = (unsigned)((s[4] - '0') * 10 + (s[5] - '0')), d = (unsigned)((s[6] - '0') * 10 + (s[7] - '0'));
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	int64_t z = days_from_civil(y, m, d) + days;
	civil_from_days(z, &y, &m, &d);
	if (y < 0 || y > 9999)
		return false;
	char b[32];
	snprintf(b, sizeof b, "%04d%02u%02u", y, m % 100, d % 100);
	memcpy(s, b, 8);
	return true;
}

/* ---- the streaming pass ----------------------------------------------------------------------------- */

enum act { A_KEEP, A_REMOVE, A_EMPTY, A_DUMMY, A_UID, A_CLEAN };

struct ctx {
	const struct dicom_deid_opts *o;
	struct dicom_deid_result *res;
	const struct dicom_file *f;
	struct dicom_writer *w;
	int shift;
	char key[80];
	/* identifiers of this dataset, removed from text kept under a Clean option */
	char ids[24][72];
	int nids;
};

static const struct dicom_deid_rule *masked_rules[64];
static size_t masked_count;
static bool masked_overflow;
static pthread_once_t masked_once = PTHREAD_ONCE_INIT;

static void index_masked(void)
{
	for (size_t i = 0; i < dicom_deid_rule_count; i++) {
		const struct dicom_deid_rule *r = &dicom_deid_rules[i];
		if (r->private_row || r->mask == 0xFFFFFFFFu)
			continue;
		if (masked_count == ML_ARRAY_LEN(masked_rules)) {
			masked_count = 0; /* the generated table outgrew the list: scan it whole (slower, still right) */
			masked_overflow = true;
			return;
		}
		masked_rules[masked_count++] = r;
	}
}

static const struct dicom_deid_rule *find_rule(uint32_t tag)
{
	size_t lo = 0, hi = dicom_deid_rule_count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct dicom_deid_rule *r = &dicom_deid_rules[mid];
		if (r->private_row || r->tag > tag)
			hi = mid;
		else if (r->tag < tag)
			lo = mid + 1;
		else if (r->mask == 0xFFFFFFFFu)
			return r;
		else
			break;
	}
	/* Repeating-group rules (50xx,xxxx), (60xx,3000)...: a handful, listed once instead of scanning the whole
	 * table for every element without a rule of its own (most of an image's elements). */
	pthread_once(&masked_once, index_masked);
	const struct dicom_deid_rule *const *list = masked_rules;
	size_t n = masked_count;
	for (size_t i = 0; i < n; i++)
		if ((tag & list[i]->mask) == list[i]->tag)
			return list[i];
	for (size_t i = 0; masked_overflow && i < dicom_deid_rule_count; i++) {
		const struct dicom_deid_rule *r = &dicom_deid_rules[i];
		if (!r->private_row && r->mask != 0xFFFFFFFFu && (tag & r->mask) == r->tag)
			return r;
	}
	return NULL;
}

static enum act resolve(const struct ctx *c, const struct dicom_deid_rule *r)
{
	bool keep = false, clean = false;
	for (size_t i = 0; i < ML_ARRAY_LEN(OPTION_COLS); i++) {
		if (!(c->o->options & OPTION_COLS[i].bit))
			continue;
		uint8_t a = r->opt[OPTION_COLS[i].col];
		if (a == DEID_ACT_C)
			clean = true;
		else if (a == DEID_ACT_K)
			keep = true;
	}
	/* An option that cleans wins over one that keeps: the cleaned value is the safer of the two. */
	if (clean)
		return A_CLEAN;
	if (keep)
		return A_KEEP;
	switch (r->basic) {
	case DEID_ACT_X:
		return A_REMOVE;
	case DEID_ACT_Z:
	case DEID_ACT_XZ: /* X unless Z is required: emptying keeps Type 2 attributes conformant */
		return A_EMPTY;
	case DEID_ACT_D:
	case DEID_ACT_XD:
	case DEID_ACT_XZD:
	case DEID_ACT_ZD: /* the dummy satisfies Type 1 as well as Type 2 */
		return A_DUMMY;
	case DEID_ACT_U:
	case DEID_ACT_XZU: /* sequences of references: keep, with every UID inside replaced */
		return A_UID;
	case DEID_ACT_K:
		return A_KEEP;
	default:
		return A_REMOVE;
	}
}

/* Whether a value could be of the table's VR: numbers in number VRs, code strings in CS, whole binary
 * values. An element read as UN (implicit VR files do not say) is judged by this alone, so a vendor's
 * free text stored where the table expects a number does not pass. */
static bool value_fits(uint16_t vr, const struct dicom_elem *e)
{
	const char *ok = NULL;
	switch (vr) {
	case DICOM_VR_DS: ok = "0123456789+-.eE \\"; break;
	case DICOM_VR_IS: ok = "0123456789+- \\"; break;
	case DICOM_VR_CS: ok = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ \\"; break;
	case DICOM_VR_LO: case DICOM_VR_SH: return true;
	default: {
		int unit = dicom_vr_unit(vr);
		return unit > 0 && e->len % (uint32_t)unit == 0;
	}
	}
	for (uint32_t i = 0; i < e->len; i++)
		if (e->value[i] && !strchr(ok, e->value[i]))
			return false;
	return true;
}

/* Retain Safe Private: a private element stays when its creator, group, element byte and VR are a row of
 * Table E.3.10-1 (safe_private_table.c) and its value fits that VR; UN and OB are accepted for the VR (an
 * implicit VR file does not carry it, and converters label such elements UN or OB). A private creator stays when its block holds such an element, so the kept
 * elements keep their meaning. */
static bool safe_private(const struct dicom_item *it, const struct dicom_elem *e)
{
	char creator[72];
	uint16_t g = DICOM_GROUP(e->tag), el = DICOM_ELEMENT(e->tag);
	if (el >= 0x0010 && el <= 0x00FF) {
		if (!dicom_elem_str(e, 0, creator, sizeof creator))
			return false;
		uint32_t first = DICOM_TAG(g, (uint32_t)el << 8), last = first | 0xFF;
		for (uint32_t i = 0; i < it->nelems; i++) {
			const struct dicom_elem *x = &it->elems[i];
			if (x->tag >= first && x->tag <= last && safe_private(it, x))
				return true;
		}
		return false;
	}
	if (el < 0x1000 || !dicom_private_creator(it, e->tag, creator, sizeof creator))
		return false;
	for (size_t i = 0; i < dicom_safe_private_count; i++) {
		const struct dicom_safe_private *r = &dicom_safe_private_rows[i];
		if (r->group == g && r->elem == (el & 0xFF) && !strcmp(r->creator, creator))
			return (e->vr == r->vr || e->vr == DICOM_VR_UN || e->vr == DICOM_VR_OB) && value_fits(r->vr, e);
	}
	return false;
}

static enum act action_for(const struct ctx *c, const struct dicom_item *it, const struct dicom_elem *e)
{
	uint32_t tag = e->tag;
	uint16_t g = DICOM_GROUP(tag);
	if (DICOM_ELEMENT(tag) == 0)
		return A_REMOVE; /* group lengths: the lengths change, and they are retired outside group 0002 */
	if (g & 1) {
		if ((c->o->options & DICOM_DEID_RETAIN_SAFE_PRIVATE) && safe_private(it, e))
			return A_KEEP;
		return A_REMOVE;
	}
	if (tag == DICOM_TAG(0x0010, 0x0010) || tag == DICOM_TAG(0x0010, 0x0020))
		return A_DUMMY; /* replaced by the pseudonym (Z allows a dummy value) */
	const struct dicom_deid_rule *r = find_rule(tag);
	if (!r)
		return A_KEEP;
	return resolve(c, r);
}

static const char *dummy_for(uint16_t vr)
{
	switch (vr) {
	case DICOM_VR_AE: return "ANONYMOUS";
	case DICOM_VR_AS: return "000D";
	case DICOM_VR_CS: return "ANONYMIZED";
	case DICOM_VR_DA: return "19000101";
	case DICOM_VR_DT: return "19000101000000";
	case DICOM_VR_TM: return "000000";
	case DICOM_VR_DS: case DICOM_VR_IS: return "0";
	case DICOM_VR_UR: return "";
	default: return "ANONYMIZED";
	}
}

/* Writes e's value converted to little endian (a big endian source), or referenced in place. */
static void write_value(struct ctx *c, const struct dicom_elem *e, uint16_t vr)
{
	int unit = dicom_vr_unit(vr);
	if (!dicom_vr_long(vr) && e->len > 0xFFFF)
		vr = DICOM_VR_UN; /* an implicit VR value too long for its VR's explicit encoding */
	if ((e->flags & DICOM_EF_BIG_ENDIAN) && unit >= 2 && e->len) {
		uint8_t *tmp = ml_xmalloc(e->len);
		size_t u = (size_t)unit == 8 || (size_t)unit == 4 ? (size_t)unit : 2;
		if (vr == DICOM_VR_AT)
			u = 2;
		size_t n = e->len - e->len % u;
		for (size_t i = 0; i < n; i += u)
			for (size_t k = 0; k < u; k++)
				tmp[i + k] = e->value[i + u - 1 - k];
		memcpy(tmp + n, e->value + n, e->len - n);
		dicom_w_elem(c->w, e->tag, vr, tmp, e->len);
		ml_free(tmp);
		return;
	}
	dicom_w_elem_ref(c->w, e->tag, vr, e->value, e->len);
}

static void write_uids(struct ctx *c, const struct dicom_elem *e)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	char uidbuf[72], out[65];
	for (uint32_t i = 0; dicom_elem_str(e, i, uidbuf, sizeof uidbuf); i++) {
		if (i && ml_buf_putc(&b, '\\') < 0)
			break;
		if (*uidbuf) {
			dicom_deid_uid(c->o->secret, c->o->secret_len, uidbuf, out);
			if (ml_buf_puts(&b, out) < 0)
				break;
			c->res->uids++;
		}
	}
	dicom_w_elem(c->w, e->tag, DICOM_VR_UI, b.data ? b.data : "", b.len);
	ml_buf_release(&b);
}

/* One date (YYYYMMDD, or the date part of a DT) shifted; anything that is not a full date becomes the
 * dummy date, so no original date passes through unshifted. */
static int put_shifted(struct ml_buf *b, const char *s, size_t n, int shift, bool dt)
{
	char d[9];
	if (n >= 8) {
		memcpy(d, s, 8);
		d[8] = 0;
		if (shift_date8(d, shift))
			return ml_buf_append(b, d, 8) < 0 || (dt && ml_buf_append(b, s + 8, n - 8) < 0) ? -1 : 0;
	}
	return n ? ml_buf_puts(b, "19000101") : 0;
}

static void write_shifted_dates(struct ctx *c, const struct dicom_elem *e)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	const char *v = (const char *)e->value;
	size_t n = e->len, i = 0;
	bool dt = e->vr == DICOM_VR_DT;
	while (n && (v[n - 1] == ' ' || v[n - 1] == 0))
		n--;
	int rc = 0;
	while (i <= n && rc == 0) {
		size_t j = i;
		while (j < n && v[j] != '\\')
			j++;
		if (i && ml_buf_putc(&b, '\\') < 0)
			rc = -1;
		/* a DA component may be a range "A-B"; in DT a '-' starts the UTC offset */
		size_t k = dt ? j : i;
		while (!dt && k < j && v[k] != '-')
			k++;
		if (rc == 0)
			rc = put_shifted(&b, v + i, k - i, c->shift, dt);
		if (rc == 0 && !dt && k < j)
			rc = ml_buf_putc(&b, '-') < 0 || put_shifted(&b, v + k + 1, j - k - 1, c->shift, false) < 0 ? -1 : 0;
		i = j + 1;
	}
	dicom_w_elem(c->w, e->tag, e->vr, b.data ? b.data : "", rc == 0 ? b.len : 0);
	ml_buf_release(&b);
}

/* Clean: text with the dataset's own identifiers removed. */
static void write_cleaned(struct ctx *c, const struct dicom_elem *e)
{
	char *v = ml_xmalloc(e->len + 1);
	memcpy(v, e->value, e->len);
	v[e->len] = 0;
	for (int k = 0; k < c->nids; k++) {
		size_t n = strlen(c->ids[k]);
		char *p = v;
		while ((p = strcasestr(p, c->ids[k])) != NULL) {
			memset(p, '*', n);
			p += n;
		}
	}
	dicom_w_elem(c->w, e->tag, e->vr, v, e->len);
	ml_free(v);
}

static void stream_item(struct ctx *c, const struct dicom_item *it, bool top);

static void add_method(struct ctx *c)
{
	char desc[256];
	snprintf(desc, sizeof desc, "medlabel %s: PS3.15 Basic Profile", ML_VERSION);
	dicom_w_str(c->w, DICOM_TAG(0x0012, 0x0062), "YES");
	dicom_w_elem(c->w, DICOM_TAG(0x0012, 0x0063), DICOM_VR_LO, desc, strlen(desc));
	dicom_w_seq_begin(c->w, DICOM_TAG(0x0012, 0x0064), false);
	for (size_t i = 0; i < ML_ARRAY_LEN(METHOD_CODES); i++) {
		if (METHOD_CODES[i].bit && !(c->o->options & METHOD_CODES[i].bit))
			continue;
		dicom_w_item_begin(c->w, false);
		dicom_w_str(c->w, DICOM_TAG(0x0008, 0x0100), METHOD_CODES[i].code);
		dicom_w_str(c->w, DICOM_TAG(0x0008, 0x0102), "DCM");
		dicom_w_str(c->w, DICOM_TAG(0x0008, 0x0104), METHOD_CODES[i].meaning);
		dicom_w_item_end(c->w);
	}
	dicom_w_seq_end(c->w);
}

static void add_longitudinal(struct ctx *c)
{
	if (c->o->options & DICOM_DEID_RETAIN_MODIFIED_DATES)
		dicom_w_str(c->w, DICOM_TAG(0x0028, 0x0303), "MODIFIED");
	else if (c->o->options & DICOM_DEID_RETAIN_FULL_DATES)
		dicom_w_str(c->w, DICOM_TAG(0x0028, 0x0303), "UNMODIFIED");
}

/* Elements we add at the top level, in tag order, replacing any the input had. */
static const struct {
	uint32_t tag;
	void (*write)(struct ctx *c);
} ADDED[] = {
	{DICOM_TAG(0x0012, 0x0062), add_method},
	{DICOM_TAG(0x0028, 0x0303), add_longitudinal},
};

static bool is_added(uint32_t tag)
{
	return tag == DICOM_TAG(0x0012, 0x0062) || tag == DICOM_TAG(0x0012, 0x0063) ||
	       tag == DICOM_TAG(0x0012, 0x0064) || tag == DICOM_TAG(0x0028, 0x0303);
}

static void write_elem(struct ctx *c, const struct dicom_item *it, const struct dicom_elem *e)
{
	enum act a = action_for(c, it, e);
	uint16_t vr = e->vr;
	bool priv = DICOM_GROUP(e->tag) & 1;
	if (a == A_REMOVE) {
		if (priv)
			c->res->removed_private++;
		else
			c->res->removed++;
		return;
	}
	if (priv)
		c->res->kept_private++;
	if (vr == DICOM_VR_SQ) {
		if (a == A_EMPTY || a == A_DUMMY) {
			dicom_w_seq_begin(c->w, e->tag, false);
			dicom_w_seq_end(c->w);
			c->res->emptied++;
			return;
		}
		dicom_w_seq_begin(c->w, e->tag, e->flags & DICOM_EF_UNDEF_LEN);
		for (uint32_t k = 0; k < e->nitems; k++) {
			dicom_w_item_begin(c->w, e->items[k].undef_len);
			stream_item(c, &e->items[k], false);
			dicom_w_item_end(c->w);
		}
		dicom_w_seq_end(c->w);
		return;
	}
	if (e->flags & DICOM_EF_ENCAPSULATED) {
		dicom_w_encap_begin(c->w, e->tag);
		for (uint32_t k = 0; k < e->nitems; k++)
			dicom_w_fragment(c->w, e->items[k].value, e->items[k].len, true);
		dicom_w_encap_end(c->w);
		return;
	}
	/* A UID anywhere is replaced when its rule says U, and also when it is kept under a rule that
	 * recurses (references inside sequences): UIDs without a rule (SOP classes, syntaxes) stay. */
	switch (a) {
	case A_KEEP:
		write_value(c, e, vr);
		return;
	case A_EMPTY:
		dicom_w_elem(c->w, e->tag, vr, "", 0);
		c->res->emptied++;
		return;
	case A_DUMMY:
		c->res->replaced++;
		if (e->tag == DICOM_TAG(0x0010, 0x0020)) {
			dicom_w_elem(c->w, e->tag, vr, c->key, strlen(c->key));
		} else if (e->tag == DICOM_TAG(0x0010, 0x0010)) {
			const char *n = c->o->patient_name ? c->o->patient_name : c->key;
			dicom_w_elem(c->w, e->tag, vr, n, strlen(n));
		} else if (vr == DICOM_VR_UI) {
			write_uids(c, e);
		} else if (dicom_vr_is_string(vr)) {
			const char *d = dummy_for(vr);
			dicom_w_elem(c->w, e->tag, vr, d, strlen(d));
		} else {
			/* binary values: zeros of the same length keep the VM right */
			uint8_t *z = ml_xcalloc(1, e->len ? e->len : 1);
			dicom_w_elem(c->w, e->tag, vr, z, e->len);
			ml_free(z);
		}
		return;
	case A_UID:
		if (vr == DICOM_VR_UI)
			write_uids(c, e);
		else
			dicom_w_elem(c->w, e->tag, vr, "", 0);
		c->res->replaced++;
		return;
	case A_CLEAN:
		c->res->replaced++;
		if (vr == DICOM_VR_DA || vr == DICOM_VR_DT) {
			if (c->o->options & DICOM_DEID_RETAIN_MODIFIED_DATES)
				write_shifted_dates(c, e);
			else
				write_value(c, e, vr);
		} else if (vr == DICOM_VR_UI) {
			write_uids(c, e);
		} else if (dicom_vr_is_text(vr) || vr == DICOM_VR_CS || vr == DICOM_VR_AE) {
			write_cleaned(c, e);
		} else {
			write_value(c, e, vr); /* numbers, times, ages: cleaning leaves them as they are */
		}
		return;
	case A_REMOVE:
		return;
	}
}

static int by_tag(const void *a, const void *b)
{
	const struct dicom_elem *x = *(const struct dicom_elem *const *)a, *y = *(const struct dicom_elem *const *)b;
	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: the first of duplicates wins */
}

static void stream_item(struct ctx *c, const struct dicom_item *it, bool top)
{
	/* Output must ascend (the writer checks); an input out of order is put in order, duplicates dropped. */
	const struct dicom_elem **order = NULL;
	if (!it->sorted && it->nelems) {
		order = ml_xmalloc(it->nelems * sizeof *order);
		for (uint32_t i = 0; i < it->nelems; i++)
			order[i] = &it->elems[i];
		qsort(order, it->nelems, sizeof *order, by_tag);
	}
	size_t next_add = 0;
	for (uint32_t i = 0; i < it->nelems; i++) {
		const struct dicom_elem *e = order ? order[i] : &it->elems[i];
		if (order && i && order[i - 1]->tag == e->tag)
			continue;
		if (top && DICOM_GROUP(e->tag) == 0x0002)
			continue; /* meta elements misplaced in the dataset: the writer makes the meta group */
		if (top) {
			while (next_add < ML_ARRAY_LEN(ADDED) && ADDED[next_add].tag < e->tag)
				ADDED[next_add++].write(c);
			if (is_added(e->tag))
				continue;
		}
		write_elem(c, it, e);
	}
	while (top && next_add < ML_ARRAY_LEN(ADDED))
		ADDED[next_add++].write(c);
	ml_free(order);
}

static void add_id(struct ctx *c, const char *s, size_t n)
{
	/* Short tokens would blank ordinary words: identifiers of 3 characters or more only. */
	while (n && (*s == ' ' || *s == '^'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '^'))
		n--;
	if (n < 3 || n >= sizeof c->ids[0] || c->nids >= (int)ML_ARRAY_LEN(c->ids))
		return;
	memcpy(c->ids[c->nids], s, n);
	c->ids[c->nids++][n] = 0;
}

static void collect_ids(struct ctx *c, const struct dicom_item *ds)
{
	static const uint32_t tags[] = {DICOM_TAG(0x0010, 0x0010), DICOM_TAG(0x0010, 0x0020), DICOM_TAG(0x0010, 0x1000),
					DICOM_TAG(0x0008, 0x0050), DICOM_TAG(0x0010, 0x0030), DICOM_TAG(0x0008, 0x0090),
					DICOM_TAG(0x0008, 0x0080), DICOM_TAG(0x0020, 0x0010), DICOM_TAG(0x0010, 0x1040)};
	for (size_t t = 0; t < ML_ARRAY_LEN(tags); t++) {
		const struct dicom_elem *e = dicom_find(ds, tags[t]);
		if (!e || !e->len || e->vr == DICOM_VR_SQ)
			continue;
		/* names split into components, IDs and other values by value */
		const char *s = (const char *)e->value;
		size_t i = 0, n = e->len;
		while (i < n) {
			size_t j = i;
			while (j < n && s[j] != '\\' && s[j] != '^' && s[j] != '=')
				j++;
			add_id(c, s + i, j - i);
			i = j + 1;
		}
	}
}

static bool pixel_review(const struct dicom_file *f, char *why, size_t n)
{
	char v[72];
	const struct dicom_item *ds = &f->root;
	if (dicom_get_str(ds, DICOM_TAG(0x0028, 0x0301), v, sizeof v) && !strcmp(v, "YES"))
		return snprintf(why, n, "burned in annotation"), true;
	if (dicom_get_str(ds, DICOM_TAG(0x0008, 0x0060), v, sizeof v) && !strcmp(v, "US"))
		return snprintf(why, n, "ultrasound"), true;
	if (dicom_get_str(ds, DICOM_TAG_SOP_CLASS_UID, v, sizeof v)) {
		if (!strncmp(v, "1.2.840.10008.5.1.4.1.1.6.", 26) || !strncmp(v, "1.2.840.10008.5.1.4.1.1.3.", 26))
			return snprintf(why, n, "ultrasound"), true;
		if (!strcmp(v, "1.2.840.10008.5.1.4.1.1.7") || !strncmp(v, "1.2.840.10008.5.1.4.1.1.7.", 26))
			return snprintf(why, n, "secondary capture"), true;
	}
	return false;
}

int dicom_deid_file(const char *in_path, const char *out_path, const struct dicom_deid_opts *opts,
		    struct dicom_deid_result *res, struct ml_err *err)
{
	memset(res, 0, sizeof *res);
	if (sodium_init() < 0)
		return ml_err_set(err, ML_EIO, "cannot initialise libsodium");
	struct dicom_file *f;
	struct dicom_read_opts ro = {.keep_fd = !opts->no_tail_copy};
	if (dicom_open(in_path, &ro, &f, err) < 0)
		return -1;
	struct ctx c = {.o = opts, .res = res, .f = f};
	char pid[80] = "", sop_class[72] = "", sop[72] = "", new_sop[72];
	dicom_get_str(&f->root, DICOM_TAG(0x0010, 0x0020), pid, sizeof pid);
	if (!*pid)
		dicom_get_str(&f->root, DICOM_TAG(0x0010, 0x0010), pid, sizeof pid);
	if (!*pid)
		dicom_get_str(&f->root, DICOM_TAG(0x0020, 0x000D), pid, sizeof pid);
	if (opts->patient_key)
		snprintf(c.key, sizeof c.key, "%s", opts->patient_key);
	else
		patient_key(opts->secret, opts->secret_len, pid, c.key, sizeof c.key);
	snprintf(res->patient_key, sizeof res->patient_key, "%s", c.key);
	c.shift = dicom_deid_date_shift(opts->secret, opts->secret_len, pid);
	if (opts->options & DICOM_DEID_RETAIN_MODIFIED_DATES)
		res->date_shift_days = c.shift;
	collect_ids(&c, &f->root);
	res->pixel_review = pixel_review(f, res->review_reason, sizeof res->review_reason);
	if (!dicom_get_str(&f->root, DICOM_TAG_SOP_CLASS_UID, sop_class, sizeof sop_class))
		dicom_get_str(&f->meta, DICOM_TAG(0x0002, 0x0002), sop_class, sizeof sop_class);
	if (!dicom_get_str(&f->root, DICOM_TAG_SOP_INSTANCE_UID, sop, sizeof sop))
		dicom_get_str(&f->meta, DICOM_TAG(0x0002, 0x0003), sop, sizeof sop);
	if (opts->options & DICOM_DEID_RETAIN_UIDS)
		snprintf(new_sop, sizeof new_sop, "%s", sop);
	else
		dicom_deid_uid(opts->secret, opts->secret_len, sop, new_sop);
	const struct dicom_elem *pd = dicom_find(&f->root, DICOM_TAG_PIXEL_DATA);
	/* The dataset is written explicit VR little endian; encapsulated pixel data keeps its syntax. */
	const char *ts = pd && (pd->flags & DICOM_EF_ENCAPSULATED) ? f->transfer_syntax : DICOM_TS_EXPLICIT_LE;
	c.w = dicom_writer_new();
	dicom_w_meta(c.w, sop_class, new_sop, ts);
	/* Values kept come from the map; a deflated file's come from the inflated copy, never from the file. */
	if (f->fd >= 0 && !f->deflated && f->data == f->map.data)
		dicom_w_source(c.w, f->map.data, f->map.len, f->fd);
	stream_item(&c, &f->root, true);
	int rc = dicom_w_save(c.w, out_path, err);
	res->copied_bytes = dicom_w_copied(c.w);
	dicom_writer_free(c.w);
	dicom_free(f);
	return rc;
}
