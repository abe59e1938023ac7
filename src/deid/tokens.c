/* tokens.c: the deid engine's tokenizer (ASCII by table, the rest by utf8proc categories; each word folded,
 * hashed and looked up in the dictionary once) and the questions the rules ask about tokens and word lists. */
#include "deid/engine_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* utf8proc_iterate with the ASCII case inline (most notes are ASCII). */
static inline utf8proc_ssize_t cp_next(const utf8proc_uint8_t *s, utf8proc_ssize_t n, int32_t *cp)
{
	if (n > 0 && *s < 0x80) {
		*cp = *s;
		return 1;
	}
	return utf8proc_iterate(s, n, cp);
}

/* utf8proc_category with the ASCII case inline: letters, digits and the space get their own category; every
 * other ASCII code point is punctuation, a symbol or a control, which the tokenizer treats alike (not a
 * word character, not a space separator), so PO stands for them all. */
static inline utf8proc_category_t cat_of(int32_t cp)
{
	if (cp >= 0x80)
		return utf8proc_category(cp);
	if (cp >= 'a' && cp <= 'z')
		return UTF8PROC_CATEGORY_LL;
	if (cp >= 'A' && cp <= 'Z')
		return UTF8PROC_CATEGORY_LU;
	if (cp >= '0' && cp <= '9')
		return UTF8PROC_CATEGORY_ND;
	return cp == ' ' ? UTF8PROC_CATEGORY_ZS : UTF8PROC_CATEGORY_PO;
}

static inline bool cat_word(utf8proc_category_t c)
{
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}

/* What an ASCII byte is to the tokenizer (every byte below 0x80 is a code point of its own); the word classes
 * are bits, so a word's loop ORs them together. Bytes from 0x80 start a longer code point (BC_HIGH). */
enum { BC_PUNCT = 0, BC_LOWER = 1, BC_UPPER = 2, BC_DIGIT = 4, BC_SPACE = 8, BC_NL = 16, BC_HIGH = 32 };
#define BC_WORD (BC_LOWER | BC_UPPER | BC_DIGIT)
#define BC_L BC_LOWER
#define BC_U BC_UPPER
#define BC_D BC_DIGIT
#define BC_H BC_HIGH
#define BC_HROW BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H
static const uint8_t BYTE_CLASS[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, BC_SPACE, BC_NL, 0, 0, BC_NL, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ BC_SPACE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x30 */ BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, 0, 0, 0, 0, 0, 0,
	/* 0x40 */ 0, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U,
	/* 0x50 */ BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, 0, 0, 0, 0, 0,
	/* 0x60 */ 0, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L,
	/* 0x70 */ BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, 0, 0, 0, 0, 0,
	/* 0x80 */ BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW,
};
#undef BC_L
#undef BC_U
#undef BC_D
#undef BC_H
#undef BC_HROW

/* A new token at byte i; the token array is sized from the note's length once, so it rarely grows. */
static inline __attribute__((always_inline)) struct tok *tok_push(struct ctx *x, size_t i, int nl, int sp)
{
	if (x->nt == x->at) {
		/* a token and the blank after it take about four bytes of a note: a quarter of its length is
		 * room for most notes in one allocation (at most 64 Ki tokens at first: a long note of blanks
		 * needs none) */
		size_t first = x->n / 4 + 64 < 65536 ? x->n / 4 + 64 : 65536;
		size_t want = x->at ? x->at * 2 : first;
		x->at = want;
		x->t = ml_xrealloc(x->t, x->at * sizeof *x->t);
	}
	struct tok *t = &x->t[x->nt++];
	*t = (struct tok){.start = (uint32_t)i, .nl_before = (uint8_t)nl, .sp_before = (uint8_t)(sp > 255 ? 255 : sp)};
	return t;
}

/* Is the code point at byte i a letter (categories LU..LO)? */
static bool letter_at(const char *s, size_t n, size_t i)
{
	int32_t cp;
	utf8proc_ssize_t k = cp_next((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
	return k > 0 && cat_of(cp) >= UTF8PROC_CATEGORY_LU && cat_of(cp) <= UTF8PROC_CATEGORY_LO;
}

/* deid_head8 of x->low[start, start + len), without its loop (whose end the CPU mispredicts): 8 bytes loaded
 * at once and the ones past the word masked off, wherever the buffer (the note and its NUL) holds 8 bytes
 * from start, which is everywhere but at the very end of a note. */
static inline uint64_t low_head8(const struct ctx *x, size_t start, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (start + 8 <= x->n + 1) {
		uint64_t w;
		memcpy(&w, x->low + start, 8);
		return len >= 8 ? w : w & ((1ull << (8 * len)) - 1);
	}
#endif
	return deid_head8(x->low + start, len);
}

/* What a word holds, as bits: ASCII classes (BC_LOWER, BC_UPPER, BC_DIGIT), other letters and marks. */
enum { W_OTHER_LETTER = 64, W_MARK = 128 };
#define W_LETTERS (BC_LOWER | BC_UPPER | W_OTHER_LETTER)

/* A word's flags from what it holds: index (seen & 7) | (other letters ? 8 : 0) of tok_word's seen bits. */
#define WF_LETTERS(sn) ((sn) & (BC_LOWER | BC_UPPER | 8))
#define WF(sn)                                                                                       \
	(TF_WORD | ((sn) & BC_DIGIT ? TF_NUM : WF_LETTERS(sn) ? TF_ALPHA : 0) |                     \
	 (WF_LETTERS(sn) && !((sn) & (BC_LOWER | 8)) ? TF_UPPER : 0) |                               \
	 (WF_LETTERS(sn) && !((sn) & (BC_UPPER | 8)) ? TF_LOWER : 0))
static const uint16_t WORD_FLAGS[16] = {WF(0), WF(1), WF(2),  WF(3),  WF(4),  WF(5),  WF(6),  WF(7),
					WF(8), WF(9), WF(10), WF(11), WF(12), WF(13), WF(14), WF(15)};
#undef WF
#undef WF_LETTERS

static inline uint16_t word_flags(unsigned seen)
{
	return WORD_FLAGS[(seen & 7) | (seen & W_OTHER_LETTER ? 8 : 0)];
}

/* The word starting at byte i (its first code point is a word character): letters and digits, with an
 * apostrophe or hyphen between two letters kept inside (O'Brien, Smith-Jones). Sets t's flags, hash and
 * dictionary flags; returns the byte after the word. */
static inline __attribute__((always_inline)) size_t tok_word(struct ctx *x, struct tok *t, size_t i)
{
	const char *s = x->s;
	const unsigned char *u = (const unsigned char *)s;
	size_t n = x->n;
	unsigned seen = 0;
	bool ascii = true, nonlatin = false;
	/* FNV-1a of the folded word (deid_word_hash), while it is ASCII: letters, digits, "'" and "-" all fold
	 * to their byte with bit 0x20 set */
	uint64_t h = 1469598103934665603ull;
	if (BYTE_CLASS[u[i]] == BC_UPPER)
		t->flags |= TF_CAP;
	for (;;) {
		uint8_t c;
		while (i < n && ((c = BYTE_CLASS[u[i]]) & BC_WORD)) {
			seen |= c;
			h = (h ^ (u[i] | 0x20u)) * 1099511628211ull;
			i++;
		}
		if (i >= n)
			break;
		unsigned char b = u[i];
		if (b < 0x80) {
			/* an apostrophe or hyphen between two letters stays inside the word */
			if ((b == '\'' || b == '-') && (seen & W_LETTERS) && !(seen & BC_DIGIT) && i + 1 < n &&
			    letter_at(s, n, i + 1)) {
				h = (h ^ b) * 1099511628211ull;
				i++;
				continue;
			}
			break;
		}
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			break;
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat_word(cat)) {
			if (!seen && !(t->flags & TF_CAP) && (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT))
				t->flags |= TF_CAP; /* the word's first code point */
			ascii = false;
			if (cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO)
				seen |= BC_DIGIT;
			else if (cat <= UTF8PROC_CATEGORY_LO) {
				seen |= cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT ? BC_UPPER :
					cat == UTF8PROC_CATEGORY_LL ? BC_LOWER : W_OTHER_LETTER;
				if (cp >= 0x250)
					nonlatin = true;
			} else {
				seen |= W_MARK; /* a word character, neither letter nor digit */
			}
			i += (size_t)k;
			continue;
		}
		/* the curly apostrophe (U+2019) between two letters stays inside the word too */
		if (cp == 0x2019 && (seen & W_LETTERS) && !(seen & BC_DIGIT) && i + (size_t)k < n &&
		    letter_at(s, n, i + (size_t)k)) {
			ascii = false;
			i += (size_t)k;
			continue;
		}
		break;
	}
	t->end = (uint32_t)i;
	bool letters = (seen & W_LETTERS) != 0;
	uint16_t f = word_flags(seen);
	if (nonlatin)
		f |= TF_NONLATIN;
	size_t len = i - t->start;
	if (ascii) {
		/* the folded word of an ASCII token is its lower-cased bytes (x->low): hashed once here, for the
		 * dictionary now and the word lists of the rules later */
		f |= TF_ASCII;
		t->hash = (uint32_t)h;
		if (letters && len < 64)
			t->dflags = deid_dict_get_folded(&x->e->dict, x->low + t->start, len, h, low_head8(x, t->start, len));
	} else if (letters && len < 64) {
		t->dflags = deid_dict_get(&x->e->dict, s + t->start, len);
	}
	t->flags |= f;
	return i;
}

void deid_tokenize(struct ctx *x)
{
	const char *s = x->s;
	size_t n = x->n, i = 0;
	int nl = 0, sp = 0;
	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x80) {
			uint8_t c = BYTE_CLASS[b];
			if (c == BC_NL) {
				nl = 1;
				sp = 0;
				i++;
				continue;
			}
			if (c == BC_SPACE) {
				sp++;
				i++;
				continue;
			}
			struct tok *t = tok_push(x, i, nl, sp);
			nl = sp = 0;
			if (c == BC_PUNCT) {
				t->flags = TF_PUNCT | TF_ASCII;
				t->punct = (char)b;
				t->hash = (uint32_t)deid_word_hash(x->low + i, 1);
				t->end = (uint32_t)++i;
				continue;
			}
			i = tok_word(x, t, i);
			continue;
		}
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0) {
			i++;
			continue;
		}
		utf8proc_category_t c = utf8proc_category(cp);
		if (c == UTF8PROC_CATEGORY_ZS) {
			sp++;
			i += (size_t)k;
			continue;
		}
		struct tok *t = tok_push(x, i, nl, sp);
		nl = sp = 0;
		if (!cat_word(c)) {
			t->flags = TF_PUNCT;
			i += (size_t)k;
			t->end = (uint32_t)i;
			continue;
		}
		i = tok_word(x, t, i);
	}
}

/* Index of the token containing or following byte offset off. */
size_t deid_tok_at(const struct ctx *x, size_t off)
{
	size_t lo = 0, hi = x->nt;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (x->t[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The folded word of token i into out (cap bytes, truncated as deid_fold does); an ASCII token is copied from
 * x->low, which holds it folded already. */
void deid_tok_fold_into(const struct ctx *x, size_t i, char *out, size_t cap)
{
	const struct tok *t = &x->t[i];
	if (t->flags & TF_ASCII) {
		size_t n = tlen(t) < cap ? tlen(t) : cap - 1;
		memcpy(out, x->low + t->start, n);
		out[n] = 0;
		return;
	}
	deid_fold(x->s + t->start, tlen(t), out, cap);
}

/* Index of the word token ending at or before byte offset off, if the token just before off is a word;
 * x->nt if none. */
static size_t prev_word_tok(const struct ctx *x, size_t off)
{
	size_t i = deid_tok_at(x, off);
	while (i > 0) {
		i--;
		if (x->t[i].end > off)
			continue;
		return (x->t[i].flags & TF_WORD) ? i : x->nt;
	}
	return x->nt;
}

/* Lower-case word before byte offset off on the same line (out gets "" if none). */
void deid_prev_word(const struct ctx *x, size_t off, char *out, size_t cap)
{
	out[0] = 0;
	size_t i = prev_word_tok(x, off);
	if (i < x->nt)
		deid_tok_fold_into(x, i, out, cap);
}

void deid_next_word(const struct ctx *x, size_t off, char *out, size_t cap)
{
	out[0] = 0;
	size_t i = deid_tok_at(x, off);
	if (i < x->nt && x->t[i].start < off)
		i++;
	if (i < x->nt && (x->t[i].flags & TF_WORD) && !x->t[i].nl_before)
		deid_tok_fold_into(x, i, out, cap);
}

static struct wordset *wordset_build(const char *const *words)
{
	size_t n = 0;
	while (words[n])
		n++;
	size_t cap = 16;
	while (cap < 2 * n + 2)
		cap *= 2;
	struct wordset *ws = ml_calloc(1, sizeof *ws + cap * sizeof ws->slot[0]);
	if (!ws)
		return NULL;
	ws->mask = cap - 1;
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(words[k]);
		size_t j = deid_word_hash(words[k], len) & ws->mask;
		while (ws->slot[j].w && strcmp(ws->slot[j].w, words[k]))
			j = (j + 1) & ws->mask;
		ws->slot[j].w = words[k];
		ws->slot[j].len = len;
	}
	return ws;
}

/* The list's set, built on first use; NULL only when out of memory. */
struct wordset *deid_word_list_set(struct word_list *list)
{
	struct wordset *ws = __atomic_load_n(&list->set, __ATOMIC_ACQUIRE);
	if (ws)
		return ws;
	struct wordset *mine = wordset_build(list->words), *none = NULL;
	if (!mine)
		return NULL;
	if (__atomic_compare_exchange_n(&list->set, &none, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return mine;
	ml_free(mine); /* another thread's, published first */
	return none;
}

bool deid_in_list(const char *w, struct word_list *list)
{
	size_t n = strlen(w);
	return in_list_n(w, n, deid_word_hash(w, n), list);
}

/* Is token i, folded into at most cap - 1 bytes (the buffer its rule used to fold it into), one of the
 * list's words? An ASCII token is answered from its hash and x->low without folding or hashing again. */
bool deid_tok_in(const struct ctx *x, size_t i, struct word_list *list, size_t cap)
{
	const struct tok *t = &x->t[i];
	if (t->flags & TF_ASCII) {
		const char *w = x->low + t->start;
		if (tlen(t) < cap)
			return in_list_n(w, tlen(t), t->hash, list);
		return in_list_n(w, cap - 1, deid_word_hash(w, cap - 1), list);
	}
	char buf[128];
	deid_fold(x->s + t->start, tlen(t), buf, cap < sizeof buf ? cap : sizeof buf);
	return deid_in_list(buf, list);
}

/* Is token i, folded, the word w (lower case, shorter than 64 bytes)? Unlike tok_is, which compares the
 * token's bytes, this folds accents too ("bý" is "by"), as the rules that fold their words did. */
bool deid_tok_fold_is(const struct ctx *x, size_t i, const char *w)
{
	if (i >= x->nt)
		return false;
	if (x->t[i].flags & TF_ASCII)
		return tok_is(x, i, w);
	char buf[64];
	deid_tok_fold_into(x, i, buf, sizeof buf);
	return !strcmp(buf, w);
}

/* Dictionary flags of the text s[a..b) (a word or a phrase of a few): folded and hashed from x->low when it
 * is ASCII, as deid_dict_get would fold it. */
uint32_t deid_span_dict(const struct ctx *x, size_t a, size_t b)
{
	if (deid_ascii(x->s + a, b - a))
		return deid_dict_get_folded(&x->e->dict, x->low + a, b - a, deid_word_hash(x->low + a, b - a),
					    deid_head8(x->low + a, b - a));
	return deid_dict_get(&x->e->dict, x->s + a, b - a);
}

/* Does the text just before off (same line, within back bytes) contain word w (case-insensitive)? w is lower
 * case, so it is compared with x->low (the note with ASCII letters lower-cased, as strncasecmp folds them);
 * a position is tried only where the first byte matches. */
bool deid_near_before(const struct ctx *x, size_t off, size_t back, const char *w)
{
	size_t from = off > back ? off - back : 0;
	for (size_t i = off; i > from; i--)
		if (x->s[i - 1] == '\n') {
			from = i;
			break;
		}
	size_t wl = strlen(w);
	if (!wl || from + wl > off)
		return false;
	const char *low = x->low;
	for (size_t i = from, last = off - wl; i <= last; i++) {
		const char *p = memchr(low + i, w[0], last + 1 - i);
		if (!p)
			return false;
		i = (size_t)(p - low);
		if (!memcmp(p, w, wl) && (i == 0 || !isalpha((unsigned char)x->s[i - 1])) &&
		    (i + wl >= x->n || !isalpha((unsigned char)x->s[i + wl])))
			return true;
	}
	return false;
}


/* ---- tokens for the tests ----------------------------------------------------------------------------- */

size_t deid_tokens(const struct deid_engine *e, const char *text, size_t len, struct deid_token_info **out)
{
	char *low = ml_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	low[len] = 0;
	struct ctx x = {.e = e, .s = text, .n = len, .low = low};
	deid_tokenize(&x);
	struct deid_token_info *v = ml_xcalloc(x.nt + 1, sizeof *v);
	for (size_t i = 0; i < x.nt; i++) {
		const struct tok *t = &x.t[i];
		char fold[64];
		deid_tok_fold_into(&x, i, fold, sizeof fold);
		v[i] = (struct deid_token_info){.start = t->start, .end = t->end, .flags = t->flags, .nl_before = t->nl_before,
						 .sp_before = t->sp_before, .dflags = t->dflags, .hash = t->hash,
						 .punct = t->punct};
		memcpy(v[i].fold, fold, sizeof fold);
		/* what the rules ask of the token, answered from its cache (the test asks the slow way) */
		WORD_LIST(probe, "van", "de", "md", "rn", "patient", "name", "by", "with", "tablet", "started",
			"park", "wife", "plaza", "i'm", "o'brien", "smith-jones", "jos\xC3\xA9", "jose", "muller");
		v[i].in_probe16 = deid_tok_in(&x, i, &probe, 16);
		v[i].in_probe8 = deid_tok_in(&x, i, &probe, 8);
		v[i].is_jose = deid_tok_fold_is(&x, i, "jose");
		v[i].stem = (t->flags & TF_ALPHA) ? deid_stem_flags(&x, i) : 0;
		v[i].prev_word = (uint32_t)prev_word_of(&x, i);
	}
	*out = v;
	size_t n = x.nt;
	ml_free(x.t);
	ml_free(low);
	return n;
}
