/* tokenize.c: the Unicode tokenizer (word runs, one token per CJK character) and NFKC case folding. */
#include "text/text_int.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { C_SPACE = 0, C_WORD, C_PUNCT, C_NL };

/* ASCII classes, so the common case never calls into utf8proc. */
static const uint8_t ascii_class[128] = {
	['\t'] = C_SPACE, ['\n'] = C_NL, ['\v'] = C_SPACE, ['\f'] = C_SPACE, ['\r'] = C_SPACE, [' '] = C_SPACE,
	['!'] = C_PUNCT, ['"'] = C_PUNCT, ['#'] = C_PUNCT, ['$'] = C_PUNCT, ['%'] = C_PUNCT, ['&'] = C_PUNCT,
	['\''] = C_PUNCT, ['('] = C_PUNCT, [')'] = C_PUNCT, ['*'] = C_PUNCT, ['+'] = C_PUNCT, [','] = C_PUNCT,
	['-'] = C_PUNCT, ['.'] = C_PUNCT, ['/'] = C_PUNCT, [':'] = C_PUNCT, [';'] = C_PUNCT, ['<'] = C_PUNCT,
	['='] = C_PUNCT, ['>'] = C_PUNCT, ['?'] = C_PUNCT, ['@'] = C_PUNCT, ['['] = C_PUNCT, ['\\'] = C_PUNCT,
	[']'] = C_PUNCT, ['^'] = C_PUNCT, ['_'] = C_PUNCT, ['`'] = C_PUNCT, ['{'] = C_PUNCT, ['|'] = C_PUNCT,
	['}'] = C_PUNCT, ['~'] = C_PUNCT, [127] = C_SPACE,
	['0'] = C_WORD, ['1'] = C_WORD, ['2'] = C_WORD, ['3'] = C_WORD, ['4'] = C_WORD, ['5'] = C_WORD,
	['6'] = C_WORD, ['7'] = C_WORD, ['8'] = C_WORD, ['9'] = C_WORD,
	['A'] = C_WORD, ['B'] = C_WORD, ['C'] = C_WORD, ['D'] = C_WORD, ['E'] = C_WORD, ['F'] = C_WORD,
	['G'] = C_WORD, ['H'] = C_WORD, ['I'] = C_WORD, ['J'] = C_WORD, ['K'] = C_WORD, ['L'] = C_WORD,
	['M'] = C_WORD, ['N'] = C_WORD, ['O'] = C_WORD, ['P'] = C_WORD, ['Q'] = C_WORD, ['R'] = C_WORD,
	['S'] = C_WORD, ['T'] = C_WORD, ['U'] = C_WORD, ['V'] = C_WORD, ['W'] = C_WORD, ['X'] = C_WORD,
	['Y'] = C_WORD, ['Z'] = C_WORD,
	['a'] = C_WORD, ['b'] = C_WORD, ['c'] = C_WORD, ['d'] = C_WORD, ['e'] = C_WORD, ['f'] = C_WORD,
	['g'] = C_WORD, ['h'] = C_WORD, ['i'] = C_WORD, ['j'] = C_WORD, ['k'] = C_WORD, ['l'] = C_WORD,
	['m'] = C_WORD, ['n'] = C_WORD, ['o'] = C_WORD, ['p'] = C_WORD, ['q'] = C_WORD, ['r'] = C_WORD,
	['s'] = C_WORD, ['t'] = C_WORD, ['u'] = C_WORD, ['v'] = C_WORD, ['w'] = C_WORD, ['x'] = C_WORD,
	['y'] = C_WORD, ['z'] = C_WORD,
};

/* Scripts written without spaces: each character is a token (ideographs, kana, Hangul syllables). */
bool text_cp_is_cjk(uint32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FA1F);
}

static int cp_class(uint32_t cp)
{
	if (cp < 128)
		return ascii_class[cp] ? ascii_class[cp] : C_SPACE; /* other controls */
	if (cp == 0x2028 || cp == 0x2029 || cp == 0x85)
		return C_NL;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return C_WORD;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_CC:
	case UTF8PROC_CATEGORY_CF: /* zero-width joiners and direction marks join nothing here */
		return C_SPACE;
	default:
		return C_PUNCT;
	}
}

static bool is_terminator(uint32_t cp)
{
	return cp == '.' || cp == '!' || cp == '?' || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == 0x061F ||
	       cp == 0x06D4 || cp == ';' || cp == 0xFF1B ||
	       /* Chinese clinical text strings clauses with full-width commas; each is its own context scope */
	       cp == 0xFF0C || cp == 0x3001;
}

void text_tokens_release(struct text_tokens *t)
{
	ml_free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

static int push(struct text_tokens *t, uint32_t cs, uint32_t ce, uint32_t bs, uint32_t be, bool punct)
{
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 256;
		struct text_token *v = ml_realloc(t->v, na * sizeof *v);
		if (!v)
			return -1;
		t->v = v;
		t->alloc = na;
	}
	t->v[t->n++] = (struct text_token){.start = cs, .end = ce, .bstart = bs, .bend = be, .punct = punct};
	return 0;
}

static void mark_end(struct text_tokens *t)
{
	if (t->n)
		t->v[t->n - 1].sentence_end = true;
}

int text_tokenize(const char *s, size_t n, bool punct, struct text_tokens *out, struct ml_err *err)
{
	out->n = 0;
	if (n > UINT32_MAX - 1)
		return ml_err_set(err, ML_ELIMIT, "text longer than 4 GiB");
	size_t i = 0;
	uint32_t cpi = 0;
	long wstart = -1;     /* byte start of the open word token */
	uint32_t wcp = 0;     /* its code-point start */
	bool line_blank = false; /* only spaces since the last newline */
	while (i < n) {
		uint32_t cp;
		size_t len;
		uint8_t c = (uint8_t)s[i];
		if (c < 0x80) {
			cp = c;
			len = 1;
		} else {
			len = ml_utf8_decode(s + i, n - i, &cp);
			if (!len)
				return ml_err_set(err, ML_EINVAL, "invalid UTF-8 at byte %zu", i);
		}
		int cls = cp_class(cp);
		bool cjk = cls == C_WORD && cp >= 0x3040 && text_cp_is_cjk(cp);
		if (cls != C_WORD || cjk) {
			if (wstart >= 0) {
				if (push(out, wcp, cpi, (uint32_t)wstart, (uint32_t)i, false))
					goto oom;
				wstart = -1;
			}
		}
		if (cjk) {
			if (push(out, cpi, cpi + 1, (uint32_t)i, (uint32_t)(i + len), false))
				goto oom;
			line_blank = false;
		} else if (cls == C_WORD) {
			if (wstart < 0) {
				wstart = (long)i;
				wcp = cpi;
			}
			line_blank = false;
		} else if (cls == C_NL) {
			if (line_blank)
				mark_end(out); /* a blank line ends the sentence */
			line_blank = true;
			/* A list item on the next line ("- ", "* ", "• ", "2. ") also starts a new sentence. */
			size_t k = i + len;
			while (k < n && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k < n && (s[k] == '-' || s[k] == '*' || (n - k >= 3 && !memcmp(s + k, "\xE2\x80\xA2", 3)) ||
				      (s[k] >= '0' && s[k] <= '9' && k + 1 < n && (s[k + 1] == '.' || s[k + 1] == ')'))))
				mark_end(out);
		} else if (cls == C_PUNCT) {
			line_blank = false;
			if (punct && push(out, cpi, cpi + 1, (uint32_t)i, (uint32_t)(i + len), true))
				goto oom;
			if (cp == '?' && out->n) {
				/* the question flag goes on the word before the '?' */
				for (size_t k = out->n; k-- > 0;)
					if (!out->v[k].punct) {
						out->v[k].question = true;
						break;
					}
			}
			/* "3.5" and "e.g." do not end sentences: a period followed by a word character does not. */
			if (is_terminator(cp)) {
				bool next_word = i + len < n && (uint8_t)s[i + len] < 0x80 &&
						 ascii_class[(uint8_t)s[i + len]] == C_WORD;
				if (!(cp == '.' && next_word))
					mark_end(out);
			}
		}
		i += len;
		cpi++;
	}
	if (wstart >= 0 && push(out, wcp, cpi, (uint32_t)wstart, (uint32_t)n, false))
		goto oom;
	mark_end(out);
	return 0;
oom:
	return ml_err_set(err, ML_ENOMEM, "out of memory tokenizing");
}

/* Arabic short vowels and other tashkeel, superscript alef, tatweel: optional in writing, so ignored. */
static bool arabic_ignorable(uint32_t cp)
{
	return (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || cp == 0x0640;
}

int text_fold(const char *s, size_t n, struct ml_buf *out)
{
	size_t i = 0;
	for (; i < n && (uint8_t)s[i] < 0x80; i++)
		;
	if (i == n) {
		if (ml_buf_grow(out, n))
			return -1;
		char *d = out->data + out->len;
		for (size_t k = 0; k < n; k++) {
			char c = s[k];
			d[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		out->len += n;
		out->data[out->len] = '\0';
		return 0;
	}
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &m,
					  UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
						  UTF8PROC_IGNORE);
	if (r < 0)
		return -1;
	int rc = 0;
	for (utf8proc_ssize_t k = 0; k < r && !rc;) {
		uint32_t cp;
		size_t len = ml_utf8_decode((const char *)m + k, (size_t)(r - k), &cp);
		if (!len) {
			rc = -1;
			break;
		}
		if (!arabic_ignorable(cp))
			rc = ml_buf_append(out, m + k, len);
		k += (utf8proc_ssize_t)len;
	}
	free(m);
	return rc;
}
