/* engine_int.h: what the engine's files share (tokens.c, patterns.c, names.c, resolve.c, engine.c): the
 * per-note context (the note, its tokens, the candidate spans), the token helpers every rule asks, the word
 * lists, and each phase's entry point. Internal to the engine; deid_int.h is what the whole module shares. */
#ifndef MEDLABEL_DEID_ENGINE_INT_H
#define MEDLABEL_DEID_ENGINE_INT_H

#include "deid/deid_int.h"

#include <ctype.h>
#include <string.h>

/* ---- per-note context ----------------------------------------------------------------------------------- */

/* A token of the note (flags: TF_* of deid_int.h). */
struct tok {
	uint32_t start, end;
	uint16_t flags;
	uint8_t nl_before;  /* a line break between the previous token and this one */
	uint8_t sp_before;  /* spaces/tabs before (capped) */
	uint32_t dflags;    /* dictionary flags of the folded word */
	uint32_t hash;      /* TF_ASCII: deid_word_hash of the folded word (its low bits: word lists, dictionary) */
	char punct;         /* a one-byte punctuation token: its byte (tok_punct compares it); otherwise 0 */
};

/* One note being de-identified: its text, tokens and candidate spans. */
struct ctx {
	const struct deid_engine *e;
	const char *s;
	size_t n;
	struct tok *t;
	size_t nt, at;
	struct deid_cand *c;
	size_t nc, ac;
	uint8_t *protect; /* per token: part of an eponym phrase (not a name) */
	char *low;        /* the note with ASCII letters lower-cased, for the patterns' literal prefilter */
};

static inline void add_cand(struct ctx *x, size_t start, size_t end, int type, int source, int prio, float conf)
{
	if (end <= start || end > x->n)
		return;
	/* spans never start or end with whitespace */
	while (start < end && isspace((unsigned char)x->s[start]))
		start++;
	while (end > start && isspace((unsigned char)x->s[end - 1]))
		end--;
	if (end <= start)
		return;
	if (x->nc == x->ac) {
		x->ac = x->ac ? x->ac * 2 : 64;
		x->c = ml_xrealloc(x->c, x->ac * sizeof *x->c);
	}
	x->c[x->nc++] = (struct deid_cand){(uint32_t)start, (uint32_t)end, (uint8_t)type, (uint8_t)source,
					   (int16_t)prio, conf};
}

static inline size_t tlen(const struct tok *t)
{
	return t->end - t->start;
}

/* Is token i the word w (lower case; ASCII letters compared without case, as strncasecmp did)? x->low is
 * the note with its ASCII letters lower-cased and every other byte kept, so this is a length test and a
 * memcmp; inline, so the strlen of a literal w is a constant. */
static inline bool tok_is(const struct ctx *x, size_t i, const char *w)
{
	if (i >= x->nt)
		return false;
	size_t n = strlen(w);
	return tlen(&x->t[i]) == n && !memcmp(x->low + x->t[i].start, w, n);
}

/* Is token i the one-byte punctuation mark c (never NUL: a token that is no such mark caches 0)? */
static inline bool tok_punct(const struct ctx *x, size_t i, char c)
{
	return i < x->nt && x->t[i].punct == c;
}

/* The token before token i if it is a word (x->nt if not). */
static inline size_t prev_word_of(const struct ctx *x, size_t i)
{
	return i > 0 && (x->t[i - 1].flags & TF_WORD) ? i - 1 : x->nt;
}

/* Is token j joined to token i by a single space on one line? */
static inline bool joined(const struct ctx *x, size_t j)
{
	return j < x->nt && !x->t[j].nl_before && x->t[j].sp_before <= 1;
}

/* The ASCII digits in s[0..n). */
static inline int count_digits(const char *s, size_t n)
{
	int d = 0;
	for (size_t i = 0; i < n; i++)
		d += isdigit((unsigned char)s[i]) != 0;
	return d;
}

/* A fixed list of lower-case words that the context rules ask about a few hundred times per note, mostly
 * about words that are not there: deid_in_list answers from a hash set of its words, built on the list's first
 * use and published with a compare-and-swap (threads share the lists; a loser frees its copy). The set
 * lives as long as the process, like the list. WORD_LIST declares one, at file or function scope. The set
 * hashes with deid_word_hash, so a token's hash from the tokenizer finds it without hashing again. */
struct wordset {
	size_t mask;
	struct {
		const char *w; /* NULL: empty */
		size_t len;
	} slot[]; /* open addressing, mask + 1 slots */
};
struct word_list {
	const char *const *words; /* NULL-terminated */
	struct wordset *set;      /* built on first use, then never changed */
};
#define WORD_LIST(name, ...)                                                                             \
	static const char *const name##_words[] = {__VA_ARGS__, NULL};                                   \
	static struct word_list name = {name##_words, NULL}

/* The list's set, built on first use; NULL only when out of memory. */
struct wordset *deid_word_list_set(struct word_list *list);

/* Is s[0..n), whose deid_word_hash has the low bits h, one of the list's words? */
static inline bool in_list_n(const char *s, size_t n, uint64_t h, struct word_list *list)
{
	struct wordset *ws = deid_word_list_set(list);
	if (!ws) { /* out of memory: the plain scan */
		for (const char *const *p = list->words; *p; p++)
			if (strlen(*p) == n && !memcmp(*p, s, n))
				return true;
		return false;
	}
	for (size_t j = h & ws->mask; ws->slot[j].w; j = (j + 1) & ws->mask)
		if (ws->slot[j].len == n && deid_same(ws->slot[j].w, s, n))
			return true;
	return false;
}

/* ---- tokens.c: the tokenizer and what the rules ask about tokens ------------------------------------------ */

/* Splits x->s into x->t (words with their flags, folded hash and dictionary flags; punctuation). */
void deid_tokenize(struct ctx *x);
/* Index of the token containing or following byte offset off. */
size_t deid_tok_at(const struct ctx *x, size_t off);
/* The folded word of token i into out (cap bytes, truncated as deid_fold does). */
void deid_tok_fold_into(const struct ctx *x, size_t i, char *out, size_t cap);
/* The folded word before / after byte offset off on the same line ("" if none). */
void deid_prev_word(const struct ctx *x, size_t off, char *out, size_t cap);
void deid_next_word(const struct ctx *x, size_t off, char *out, size_t cap);
/* Is w (lower case) one of the list's words? */
bool deid_in_list(const char *w, struct word_list *list);
/* Is token i, folded into at most cap - 1 bytes, one of the list's words? */
bool deid_tok_in(const struct ctx *x, size_t i, struct word_list *list, size_t cap);
/* Is token i, folded (accents too), the word w (lower case, shorter than 64 bytes)? */
bool deid_tok_fold_is(const struct ctx *x, size_t i, const char *w);
/* Dictionary flags of the text s[a..b). */
uint32_t deid_span_dict(const struct ctx *x, size_t a, size_t b);
/* Does the text just before off (same line, within back bytes) hold the word w (lower case)? */
bool deid_near_before(const struct ctx *x, size_t off, size_t back, const char *w);

/* ---- patterns.c: the PCRE2 pattern layer ------------------------------------------------------------------ */

/* Compiles the patterns and builds the literal automaton into e; -1 with err set (the caller frees e). */
int deid_patterns_build(struct deid_engine *e, struct ml_err *err);
/* Frees what deid_patterns_build made (any part of it). */
void deid_patterns_release(struct deid_engine *e);
/* Adds the candidates of every pattern; reference: whole-note scans (deid_text_reference). */
void deid_scan_patterns(struct ctx *x, pcre2_match_data *md, pcre2_match_context *mc, bool reference);

/* ---- names.c: names, places and the other word-level rules ------------------------------------------------- */

void deid_mark_eponyms(struct ctx *x);
void deid_context_names(struct ctx *x);
void deid_cue_names(struct ctx *x);
void deid_professions(struct ctx *x);
void deid_dict_layer(struct ctx *x);
void deid_known_layer(struct ctx *x, const struct deid_known *known);
/* After a first resolution (acc[0..nacc)): other mentions of names found, names in another script, lists of
 * given names. */
void deid_coreference(struct ctx *x, const struct deid_cand *acc, size_t nacc);
void deid_script_names(struct ctx *x, const struct deid_cand *acc, size_t nacc);
void deid_list_names(struct ctx *x, const struct deid_cand *acc, size_t nacc);
/* Dictionary flags of alphabetic token i without a possessive ending. */
uint32_t deid_stem_flags(const struct ctx *x, size_t i);

#endif
