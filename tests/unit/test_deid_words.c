/* test_deid_words.c: the engine's word machinery against plain versions of it: the tokenizer's per-token
 * cache (flags, folded word, hash, dictionary flags, word-list answers) against a tokenizer that folds and
 * looks up every word the slow way, and the candidate resolution against a plain stable sort and byte map,
 * on generated text (ASCII, accents, other scripts, curly quotes, odd spaces) and random candidate sets. */
#include "deid/deid_int.h"
#include "deid_testengine.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* ---- a plain tokenizer: one code point at a time through utf8proc, each word folded and looked up ---- */

struct ref_tok {
	uint32_t start, end;
	uint16_t flags;
	uint8_t nl, sp;
	uint32_t dflags;
};

static bool word_cat(utf8proc_category_t c)
{
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}

static bool letter_cat(utf8proc_category_t c)
{
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

static size_t ref_tokenize(const struct deid_engine *e, const char *s, size_t n, struct ref_tok *out, size_t cap)
{
	size_t nt = 0, i = 0;
	int nl = 0, sp = 0;
	while (i < n && nt < cap) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0) {
			i++;
			continue;
		}
		if (cp == '\n' || cp == '\r') {
			nl = 1, sp = 0, i += (size_t)k;
			continue;
		}
		if (cp == ' ' || cp == '\t' || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS) {
			sp++, i += (size_t)k;
			continue;
		}
		struct ref_tok *t = &out[nt++];
		memset(t, 0, sizeof *t);
		t->start = (uint32_t)i;
		t->nl = (uint8_t)nl;
		t->sp = (uint8_t)(sp > 255 ? 255 : sp);
		nl = sp = 0;
		if (!word_cat(utf8proc_category(cp))) {
			t->flags = TF_PUNCT;
			i += (size_t)k;
			t->end = (uint32_t)i;
			continue;
		}
		int letters = 0, upper = 0, lower = 0, digits = 0, nonlatin = 0;
		bool first = true;
		while (i < n) {
			k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
			if (k <= 0)
				break;
			utf8proc_category_t c = utf8proc_category(cp);
			if (word_cat(c)) {
				if (c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO)
					digits++;
				else if (letter_cat(c)) {
					letters++;
					if (c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT) {
						upper++;
						if (first)
							t->flags |= TF_CAP;
					} else if (c == UTF8PROC_CATEGORY_LL)
						lower++;
					if (cp >= 0x250)
						nonlatin++;
				}
				first = false;
				i += (size_t)k;
				continue;
			}
			/* an apostrophe or hyphen between two letters stays inside the word */
			if ((cp == '\'' || cp == 0x2019 || cp == '-') && letters && !digits && i + (size_t)k < n) {
				int32_t nx;
				utf8proc_ssize_t k2 = utf8proc_iterate((const utf8proc_uint8_t *)s + i + k,
								       (utf8proc_ssize_t)(n - i - (size_t)k), &nx);
				if (k2 > 0 && letter_cat(utf8proc_category(nx))) {
					i += (size_t)k;
					continue;
				}
			}
			break;
		}
		t->end = (uint32_t)i;
		t->flags |= TF_WORD;
		if (digits)
			t->flags |= TF_NUM;
		if (letters && !digits)
			t->flags |= TF_ALPHA;
		if (letters && upper == letters)
			t->flags |= TF_UPPER;
		if (letters && lower == letters)
			t->flags |= TF_LOWER;
		if (nonlatin)
			t->flags |= TF_NONLATIN;
		if (letters && t->end - t->start < 64)
			t->dflags = deid_dict_get(&e->dict, s + t->start, t->end - t->start);
	}
	return nt;
}

/* The probe list of deid_tokens (tokens.c), folded. */
static bool in_probe(const char *w)
{
	static const char *const probe[] = {"van", "de", "md", "rn", "patient", "name", "by", "with", "tablet",
		"started", "park", "wife", "plaza", "i'm", "o'brien", "smith-jones", "jos\xC3\xA9", "jose", "muller", NULL};
	for (int k = 0; probe[k]; k++)
		if (!strcmp(probe[k], w))
			return true;
	return false;
}

/* Pieces of generated text: words of every case and shape, accents, other scripts, punctuation of one and
 * more bytes, and the blanks the tokenizer tells apart. */
static const char *const PIECES[] = {
	"patient", "Patient", "PATIENT", "name", "Name", "de", "De", "van", "Van", "MD", "md", "RN", "rn", "by", "By",
	"with", "tablet", "Tablet", "started", "park", "Park", "wife", "plaza", "Jose", "JOSE", "Jos\xC3\xA9",
	"jos\xC3\xA9", "M\xC3\xBCller", "muller", "MULLER", "\xC5\xBDivkovi\xC4\x87", "O'Brien", "o'brien", "O'",
	"Smith-Jones", "smith-jones", "Smith-", "-Jones", "d\xE2\x80\x99" "Arcy", "I'm", "i'm", "I\xE2\x80\x99m",
	"Bell's", "Bell\xE2\x80\x99s", "Amanda's", "Parkinson's", "12abc", "abc12", "ab-12", "a'1", "x", "X", "J.",
	"2/6", "5/5", "mg", "Coumadin", "Hashimoto", "Foley", "Lee", "Silverman", "LEE", "Lincoln", "Boston",
	"New", "Hampshire", "\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E", "\xD9\x8A\xD9\x88\xD8\xB3\xD9\x81",
	"\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1", "\xC7\x85" "ab", "a\xCC\x81" "b", "\xE2\x85\xA0" "V",
	"pneumonoultramicroscopicsilicovolcanoconiosis", "Pneumonoultramicroscopicsilicovolcanoconiosisxxxxxxxxxxxxxxxxxxxxx",
	"\xC3\x9F" "trasse", "STRA\xC3\x9F" "E", "\xEF\xBC\xA1\xEF\xBC\xA2", ",", ".", ":", ";", "(", ")", "\"", "'", "-",
	"\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x99", "\xEF\xBC\x88", "#", "&", "/", "\x01", "\x7F",
};
static const char *const BLANKS[] = {" ", " ", " ", "", "  ", "\t", "\n", "\r\n", "\xC2\xA0", "\xE2\x80\x83", " \n "};

static size_t gen_text(char *buf, size_t cap)
{
	size_t n = 0;
	size_t npieces = sizeof PIECES / sizeof PIECES[0], nblanks = sizeof BLANKS / sizeof BLANKS[0];
	for (;;) {
		const char *p = PIECES[rnd((unsigned)npieces)], *b = BLANKS[rnd((unsigned)nblanks)];
		size_t pl = strlen(p), bl = strlen(b);
		if (n + pl + bl >= cap)
			break;
		memcpy(buf + n, p, pl);
		n += pl;
		memcpy(buf + n, b, bl);
		n += bl;
	}
	return n;
}

TEST(token_cache_matches_a_plain_tokenizer)
{
	struct deid_engine *e = engine();
	CHECK(e != NULL);
	enum { CAP = 4000 };
	static char text[CAP];
	static struct ref_tok ref[CAP];
	for (int round = 0; round < 300; round++) {
		/* short notes too, so words end at the very end of the buffer */
		size_t len = gen_text(text, round % 3 == 0 ? 40 + rnd(60) : CAP);
		size_t nr = ref_tokenize(e, text, len, ref, CAP);
		struct deid_token_info *v = NULL;
		size_t nt = deid_tokens(e, text, len, &v);
		CHECK_EQ_INT(nt, nr);
		for (size_t i = 0; i < nt; i++) {
			const struct deid_token_info *t = &v[i];
			const struct ref_tok *r = &ref[i];
			size_t tl = t->end - t->start;
			CHECK_EQ_INT(t->start, r->start);
			CHECK_EQ_INT(t->end, r->end);
			CHECK_EQ_INT(t->flags & ~TF_ASCII, r->flags);
			CHECK_EQ_INT(t->nl_before, r->nl);
			CHECK_EQ_INT(t->sp_before, r->sp);
			CHECK_EQ_INT(t->dflags, r->dflags);
			bool ascii = deid_ascii(text + t->start, tl);
			CHECK_EQ_INT(!!(t->flags & TF_ASCII), ascii);
			char fold[64];
			size_t fl = deid_fold(text + t->start, tl, fold, sizeof fold);
			CHECK_EQ_STR(t->fold, fold);
			if (ascii) {
				/* the whole word lower-cased (fold stops at 63 bytes) */
				char low[CAP];
				for (size_t q = 0; q < tl; q++)
					low[q] = (char)(text[t->start + q] >= 'A' && text[t->start + q] <= 'Z' ? text[t->start + q] + 32
													   : text[t->start + q]);
				CHECK_EQ_INT(t->hash, (uint32_t)deid_word_hash(low, tl));
				CHECK(fl == (tl < 64 ? tl : 63) && !memcmp(low, fold, fl));
			}
			CHECK_EQ_INT(t->punct, (r->flags & TF_PUNCT) && tl == 1 ? text[t->start] : 0);
			char f16[16], f8[8];
			deid_fold(text + t->start, tl, f16, sizeof f16);
			deid_fold(text + t->start, tl, f8, sizeof f8);
			CHECK_EQ_INT(t->in_probe16, in_probe(f16));
			CHECK_EQ_INT(t->in_probe8, in_probe(f8));
			CHECK_EQ_INT(t->is_jose, !strcmp(fold, "jose"));
			if (r->flags & TF_ALPHA) {
				const char *end = text + t->end;
				size_t pl = tl > 2 && end[-1] == 's' && end[-2] == '\'' ? 2 :
					    tl > 4 && end[-1] == 's' && !memcmp(end - 4, "\xE2\x80\x99", 3) ? 4 : 0;
				uint32_t want = pl ? deid_dict_get(&e->dict, text + t->start, tl - pl) : r->dflags;
				CHECK_EQ_INT(t->stem, want);
			}
			CHECK_EQ_INT(t->prev_word, i > 0 && (ref[i - 1].flags & TF_WORD) ? i - 1 : nt);
		}
		ml_free(v);
		if (test_failed_now())
			return;
	}
}

/* ---- resolution ---------------------------------------------------------------------------------------- */

/* the order of resolution: priority, then length (higher first), then start; ties keep their order */
static bool ref_after(const struct deid_cand *a, const struct deid_cand *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	uint32_t la = a->end - a->start, lb = b->end - b->start;
	if (la != lb)
		return la < lb;
	return a->start > b->start;
}

static size_t ref_resolve(struct deid_cand *c, size_t n, size_t textlen)
{
	for (size_t i = 1; i < n; i++) { /* insertion sort: stable */
		struct deid_cand v = c[i];
		size_t j = i;
		while (j > 0 && ref_after(&c[j - 1], &v)) {
			c[j] = c[j - 1];
			j--;
		}
		c[j] = v;
	}
	uint8_t *taken = calloc(textlen + 1, 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool free_ = true;
		for (uint32_t b = c[i].start; b < c[i].end; b++)
			free_ &= !taken[b];
		if (!free_)
			continue;
		memset(taken + c[i].start, 1, c[i].end - c[i].start);
		c[k++] = c[i];
	}
	free(taken);
	for (size_t i = 1; i < k; i++) {
		struct deid_cand v = c[i];
		size_t j = i;
		while (j > 0 && c[j - 1].start > v.start) {
			c[j] = c[j - 1];
			j--;
		}
		c[j] = v;
	}
	return k;
}

/* n random candidates in a text of textlen bytes: spans of 1 to 40 bytes (some up to 300, crossing many
 * 64-bit words of the bitmap), priorities in [plo, phi], with exact repeats (told apart by type, so the
 * check sees whether ties kept their order). */
static void gen_cands(struct deid_cand *c, size_t n, size_t textlen, int plo, int phi)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && rnd(8) == 0) {
			c[i] = c[rnd((unsigned)i)];
			c[i].type = (uint8_t)rnd(40);
			continue;
		}
		uint32_t len = rnd(10) == 0 ? 1 + rnd(300) : 1 + rnd(40);
		if (len > textlen)
			len = (uint32_t)textlen;
		/* half of them near the start, so they crowd and overlap */
		size_t room = textlen - len + 1, zone = rnd(2) ? (room < 200 ? room : 200) : room;
		uint32_t start = rnd((unsigned)zone);
		c[i] = (struct deid_cand){start, start + len, (uint8_t)rnd(40), (uint8_t)rnd(4),
					  (int16_t)(plo + (int)rnd((unsigned)(phi - plo + 1))), (float)rnd(100) / 100.f};
	}
}

static bool same_cands(const struct deid_cand *a, const struct deid_cand *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end || a[i].type != b[i].type || a[i].source != b[i].source ||
		    a[i].prio != b[i].prio || a[i].conf != b[i].conf)
			return false;
	return true;
}

TEST(resolution_keeps_the_best_candidates_in_the_plain_order)
{
	/* sizes on both sides of the fast paths' limits: a note's usual few dozen, more than the packed keys
	 * hold (256), long runs of one priority (the merge sort), priorities the keys cannot hold (negative,
	 * above 255, a range too wide to count), and a note too long for the keys (1 MiB) */
	static const struct {
		size_t n, textlen;
		int plo, phi;
	} cases[] = {
		{0, 100, 0, 100},        {1, 10, 0, 100},         {2, 5, 50, 50},          {40, 700, 40, 90},
		{64, 700, 0, 100},       {65, 700, 44, 46},       {200, 2000, 0, 120},     {256, 3000, 0, 255},
		{257, 3000, 0, 255},     {600, 5000, 50, 52},     {300, 4000, -5, 100},    {300, 4000, 0, 300},
		{300, 4000, -300, 300},  {100, 1u << 20, 0, 100}, {2000, 40000, 0, 100},   {90, 64, 0, 3},
	};
	static struct deid_cand a[2000], b[2000];
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		for (int round = 0; round < 20; round++) {
			size_t n = cases[k].n;
			gen_cands(a, n, cases[k].textlen, cases[k].plo, cases[k].phi);
			memcpy(b, a, n * sizeof *a);
			size_t got = deid_resolve(a, n, cases[k].textlen);
			size_t want = ref_resolve(b, n, cases[k].textlen);
			CHECK_EQ_INT(got, want);
			if (!same_cands(a, b, got))
				test_fail(__FILE__, __LINE__, "case %zu round %d: kept candidates differ", k, round);
			if (test_failed_now())
				return;
		}
	}
}
