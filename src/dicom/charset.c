/* charset.c: Specific Character Set (0008,0005) to UTF-8, including ISO 2022 code extensions (PS3.5 6.1). */
#include "dicom/dicom_int.h"

#include <errno.h>
#include <iconv.h>

/* How a run of bytes is decoded. */
enum enc {
	ENC_ASCII,    /* also JIS X 0201 romaji (IR 14), read as ASCII like pydicom */
	ENC_LATIN1,   /* decoded by hand: the common case */
	ENC_KATAKANA, /* JIS X 0201 katakana (IR 13 G1): 0xA1..0xDF -> U+FF61.. */
	ENC_UTF8,
	ENC_ICONV,    /* through iconv with the name below */
	ENC_JIS0208,  /* G0 two-byte: re-encoded as EUC-JP */
	ENC_JIS0212,  /* G0 two-byte: re-encoded as EUC-JP with SS3 */
};

struct cset {
	enum enc enc;
	const char *iconv_name;
};

static const struct cset CS_ASCII = {ENC_ASCII, NULL};

static const struct {
	const char *term;       /* defined term, without the "ISO 2022 " / "ISO_" prefix differences */
	struct cset g1;         /* the set for bytes >= 0x80 */
	const char *esc;        /* escape sequence designating it (after ESC), for ISO 2022 */
} SETS[] = {
	{"IR 100", {ENC_LATIN1, NULL}, "-A"},
	{"IR 101", {ENC_ICONV, "ISO-8859-2"}, "-B"},
	{"IR 109", {ENC_ICONV, "ISO-8859-3"}, "-C"},
	{"IR 110", {ENC_ICONV, "ISO-8859-4"}, "-D"},
	{"IR 144", {ENC_ICONV, "ISO-8859-5"}, "-L"},
	{"IR 127", {ENC_ICONV, "ISO-8859-6"}, "-G"},
	{"IR 126", {ENC_ICONV, "ISO-8859-7"}, "-F"},
	{"IR 138", {ENC_ICONV, "ISO-8859-8"}, "-H"},
	{"IR 148", {ENC_ICONV, "ISO-8859-9"}, "-M"},
	{"IR 203", {ENC_ICONV, "ISO-8859-15"}, "-b"},
	{"IR 166", {ENC_ICONV, "TIS-620"}, "-T"},
	{"IR 13", {ENC_KATAKANA, NULL}, ")I"},
	{"IR 149", {ENC_ICONV, "EUC-KR"}, "$)C"},
	{"IR 58", {ENC_ICONV, "GB2312"}, "$)A"},
};

static int put_cp(struct ml_buf *out, uint32_t cp)
{
	char u[4];
	size_t n = ml_utf8_encode(cp, u);
	return ml_buf_append(out, u, n);
}

static int put_replacement(struct ml_buf *out)
{
	return put_cp(out, 0xFFFD);
}

static int run_iconv(const char *name, const uint8_t *s, size_t n, struct ml_buf *out)
{
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1) {
		for (size_t i = 0; i < n; i++)
			if (put_replacement(out) < 0)
				return -1;
		return 0;
	}
	char *in = (char *)s;
	size_t inleft = n;
	char tmp[256];
	int rc = 0;
	while (inleft) {
		char *o = tmp;
		size_t oleft = sizeof tmp;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		if (ml_buf_append(out, tmp, sizeof tmp - oleft) < 0) {
			rc = -1;
			break;
		}
		if (r == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or EINVAL (incomplete at the end): one replacement character per bad byte */
			if (put_replacement(out) < 0) {
				rc = -1;
				break;
			}
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return rc;
}

static int decode_run(struct cset cs, const uint8_t *s, size_t n, struct ml_buf *out)
{
	switch (cs.enc) {
	case ENC_ASCII:
	case ENC_LATIN1:
		for (size_t i = 0; i < n; i++) {
			if (s[i] < 0x80) {
				if (ml_buf_putc(out, (char)s[i]) < 0)
					return -1;
			} else if (put_cp(out, s[i]) < 0) { /* no charset: Latin-1 like pydicom's default */
				return -1;
			}
		}
		return 0;
	case ENC_KATAKANA:
		for (size_t i = 0; i < n; i++) {
			int rc;
			if (s[i] < 0x80)
				rc = ml_buf_putc(out, (char)s[i]);
			else if (s[i] >= 0xA1 && s[i] <= 0xDF)
				rc = put_cp(out, 0xFF61 + (uint32_t)(s[i] - 0xA1));
			else
				rc = put_replacement(out);
			if (rc < 0)
				return -1;
		}
		return 0;
	case ENC_UTF8: {
		size_t i = 0;
		while (i < n) {
			uint32_t cp;
			size_t k = ml_utf8_decode((const char *)s + i, n - i, &cp);
			if (k == 0) {
				if (put_replacement(out) < 0)
					return -1;
				i++;
			} else {
				if (ml_buf_append(out, s + i, k) < 0)
					return -1;
				i += k;
			}
		}
		return 0;
	}
	case ENC_ICONV:
		return run_iconv(cs.iconv_name, s, n, out);
	case ENC_JIS0208:
	case ENC_JIS0212: {
		/* GL two-byte codes: set the high bits (and prefix SS3 for JIS X 0212) to get EUC-JP. */
		uint8_t tmp[384];
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (k + 3 > sizeof tmp) {
				if (run_iconv("EUC-JP", tmp, k, out) < 0)
					return -1;
				k = 0;
			}
			if (cs.enc == ENC_JIS0212 && !(i & 1))
				tmp[k++] = 0x8F;
			tmp[k++] = (uint8_t)(s[i] | 0x80);
		}
		return run_iconv("EUC-JP", tmp, k, out);
	}
	}
	return 0;
}

/* One term of (0008,0005): trimmed. */
struct term {
	const char *s;
	size_t n;
};

static bool term_is(struct term t, const char *lit)
{
	return t.n == strlen(lit) && !memcmp(t.s, lit, t.n);
}

/* The G1 set of a defined term ("ISO_IR 100" or "ISO 2022 IR 100"); G0 is ASCII for all of them except
 * IR 87/159 (two-byte G0), handled by the caller. */
static bool term_g1(struct term t, struct cset *g1)
{
	const char *p;
	size_t n;
	if (t.n > 7 && !memcmp(t.s, "ISO_IR ", 7)) {
		p = t.s + 4;
		n = t.n - 4;
	} else if (t.n > 9 && !memcmp(t.s, "ISO 2022 ", 9)) {
		p = t.s + 9;
		n = t.n - 9;
	} else {
		return false;
	}
	for (size_t i = 0; i < ML_ARRAY_LEN(SETS); i++)
		if (strlen(SETS[i].term) == n && !memcmp(SETS[i].term, p, n)) {
			*g1 = SETS[i].g1;
			return true;
		}
	return false;
}

int dicom_charset_to_utf8(const char *charset, size_t charset_len, const uint8_t *s, size_t n, bool pn,
			  struct ml_buf *out)
{
	struct term terms[8];
	size_t nterms = 0;
	bool ext = false;
	if (charset) {
		size_t i = 0;
		while (i <= charset_len && nterms < ML_ARRAY_LEN(terms)) {
			size_t j = i;
			while (j < charset_len && charset[j] != '\\')
				j++;
			struct term t = {charset + i, j - i};
			while (t.n && (t.s[0] == ' '))
				t.s++, t.n--;
			while (t.n && (t.s[t.n - 1] == ' ' || t.s[t.n - 1] == 0))
				t.n--;
			terms[nterms++] = t;
			if (t.n >= 8 && !memcmp(t.s, "ISO 2022", 8))
				ext = true;
			i = j + 1;
		}
	}
	struct cset g0 = CS_ASCII, g1 = {ENC_LATIN1, NULL};
	if (nterms && !ext) {
		/* One character set for the whole value (only the first term counts without code extensions). */
		struct term t = terms[0];
		if (term_is(t, "ISO_IR 192"))
			return decode_run((struct cset){ENC_UTF8, NULL}, s, n, out);
		if (term_is(t, "GB18030"))
			return decode_run((struct cset){ENC_ICONV, "GB18030"}, s, n, out);
		if (term_is(t, "GBK"))
			return decode_run((struct cset){ENC_ICONV, "GBK"}, s, n, out);
		if (!term_g1(t, &g1))
			g1 = (struct cset){ENC_LATIN1, NULL};
		bool ascii = true;
		for (size_t i = 0; i < n && ascii; i++)
			ascii = s[i] < 0x80;
		if (ascii)
			return ml_buf_append(out, s, n);
		if (g1.enc == ENC_LATIN1 || g1.enc == ENC_KATAKANA)
			return decode_run(g1, s, n, out);
		return run_iconv(g1.iconv_name, s, n, out);
	}
	/* ISO 2022: the first term sets the initial G0/G1; escapes switch; delimiters restore the initial. */
	struct cset init_g0 = CS_ASCII, init_g1 = {ENC_LATIN1, NULL};
	if (nterms) {
		struct cset t1;
		if (term_is(terms[0], "ISO 2022 IR 87"))
			init_g0 = (struct cset){ENC_JIS0208, NULL};
		else if (term_g1(terms[0], &t1))
			init_g1 = t1;
	}
	g0 = init_g0;
	g1 = init_g1;
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c == 0x1B) {
			const char *e = (const char *)s + i + 1;
			size_t left = n - i - 1;
			size_t used = 0;
			if (left >= 2 && !memcmp(e, "(B", 2))
				g0 = CS_ASCII, used = 2;
			else if (left >= 2 && !memcmp(e, "(J", 2))
				g0 = CS_ASCII, used = 2;
			else if (left >= 2 && !memcmp(e, "$B", 2))
				g0 = (struct cset){ENC_JIS0208, NULL}, used = 2;
			else if (left >= 2 && !memcmp(e, "$@", 2))
				g0 = (struct cset){ENC_JIS0208, NULL}, used = 2;
			else if (left >= 3 && !memcmp(e, "$(D", 3))
				g0 = (struct cset){ENC_JIS0212, NULL}, used = 3;
			else {
				for (size_t k = 0; k < ML_ARRAY_LEN(SETS); k++) {
					size_t el = strlen(SETS[k].esc);
					if (left >= el && !memcmp(e, SETS[k].esc, el)) {
						g1 = SETS[k].g1;
						used = el;
						break;
					}
				}
			}
			if (!used) {
				if (put_replacement(out) < 0)
					return -1;
				i++;
			} else {
				i += 1 + used;
			}
			continue;
		}
		/* A run of bytes in one state, up to the next escape or delimiter. */
		size_t j = i;
		if (c < 0x80) {
			if (g0.enc == ENC_JIS0208 || g0.enc == ENC_JIS0212) {
				while (j < n && s[j] != 0x1B && s[j] >= 0x21 && s[j] < 0x7F)
					j++;
				if (j == i) {
					/* a control or space inside a two-byte G0: passes as ASCII */
					if (ml_buf_putc(out, (char)c) < 0)
						return -1;
					i++;
					continue;
				}
				if (decode_run(g0, s + i, (j - i) & ~(size_t)1, out) < 0)
					return -1;
				if ((j - i) & 1 && put_replacement(out) < 0)
					return -1;
				i = j;
				continue;
			}
			bool delim = c == '\\' || c == '\r' || c == '\n' || c == '\t' || c == '\f' ||
				     (pn && (c == '^' || c == '='));
			if (ml_buf_putc(out, (char)c) < 0)
				return -1;
			i++;
			if (delim) {
				g0 = init_g0;
				g1 = init_g1;
			}
			continue;
		}
		while (j < n && s[j] >= 0x80)
			j++;
		if (decode_run(g1, s + i, j - i, out) < 0)
			return -1;
		i = j;
	}
	return 0;
}
