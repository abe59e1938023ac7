/* deid_int.h: what the files of src/deid share inside the module (not part of its public interface). */
#ifndef ML_DEID_INT_H
#define ML_DEID_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "deid/deid.h"

/* ---- compiled-in data (data.c) ---------------------------------------------------------------------- */
extern const char deid_data_first[], deid_data_last[], deid_data_cities[], deid_data_states[],
	deid_data_countries[], deid_data_professions[], deid_data_eponyms[], deid_data_clinical[],
	deid_data_ambiguous[], deid_data_english[];

/* ---- words: comparing and hashing folded words (dict.c, tokens.c) ------------------------------------ */
/* Are a[0..n) and b[0..n) the same bytes? For the short words of the dictionary and the word lists, where a
 * call to memcmp costs more than the comparison. */
static inline bool deid_same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* FNV-1a of s[0..n): the hash of the dictionary and of the engine's word lists (one function, so a token's
 * hash computed once serves both). */
static inline uint64_t deid_word_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The first 8 bytes of s[0..n) as a number, zero beyond n: equal for two keys of one length exactly when
 * their first 8 bytes are. */
static inline uint64_t deid_head8(const char *s, size_t n)
{
	uint64_t w = 0;
	if (n >= 8) {
		memcpy(&w, s, 8);
		return w;
	}
	memcpy(&w, s, n);
	return w;
}

/* ---- dictionary: lower-case key -> flags (dict.c) --------------------------------------------------- */
enum {
	DF_FIRST = 1u << 0,
	DF_LAST = 1u << 1,
	DF_CITY = 1u << 2,
	DF_STATE = 1u << 3,      /* full state name */
	DF_STATE_ABBR = 1u << 4, /* postal abbreviation */
	DF_COUNTRY = 1u << 5,
	DF_PROFESSION = 1u << 6,
	DF_EPONYM = 1u << 7,
	DF_CLINICAL = 1u << 8,
	DF_AMBIG = 1u << 9,   /* also an ordinary English word */
	DF_STOP = 1u << 10,   /* function word, never part of a name */
	DF_ORG = 1u << 11,    /* a named organisation (chain, insurer) */
	DF_CRED = 1u << 12,   /* a credential after a provider's name (MD, RN) */
	DF_TITLE_DR = 1u << 13,
	DF_TITLE_PT = 1u << 14,
	DF_RELATION = 1u << 15, /* wife, son, niece... */
	DF_EPO_NEXT = 1u << 16, /* a word that turns a preceding name into an eponym (disease, sign) */
	DF_MONTHDAY = 1u << 17, /* month and weekday names */
	DF_GENERIC = 1u << 18,  /* generic service words (a clinic named only by these is not PHI) */
	DF_ENGLISH = 1u << 19,  /* an ordinary lower-case English word */
	DF_MW = 1u << 20,       /* the first word of a multi-word entry ("lee" of "lee silverman") */
	DF_CUE = 1u << 21       /* a word that starts a context rule ("by", "aka", "sincerely"): names.c looks closer */
};

struct deid_dict {
	struct deid_dict_slot {
		const char *key; /* the folded key (arena); NULL: an empty slot */
		uint64_t head;   /* deid_head8 of the key: most words are compared in one step, without a loop
				  * whose end the CPU mispredicts nor a read of the key */
		uint32_t len;
		uint32_t flags;
	} *slots;
	size_t mask, count;
	struct ml_arena arena;
	/* surrogate pools (keys owned by the arena) */
	const char **first, **last, **cities;
	size_t nfirst, nlast, ncities;
};
int deid_dict_build(struct deid_dict *d) ML_MUST_CHECK;
void deid_dict_release(struct deid_dict *d);
/* Flags of the lower-cased key s[0..n) (0 if absent). s may be mixed case: it is folded here. */
uint32_t deid_dict_get(const struct deid_dict *d, const char *s, size_t n);

/* The slot of the folded key k[0..n) whose deid_word_hash is h (its low 32 bits do: the table has fewer
 * slots) and whose deid_head8 is head: its own, or the empty one where it would go. */
static inline struct deid_dict_slot *deid_dict_slot_at(const struct deid_dict *d, const char *k, size_t n, uint64_t h,
						       uint64_t head)
{
	size_t i = h & d->mask;
	for (;;) {
		struct deid_dict_slot *sl = &d->slots[i];
		if (!sl->key || (sl->head == head && sl->len == n && (n <= 8 || deid_same(sl->key + 8, k + 8, n - 8))))
			return sl;
		i = (i + 1) & d->mask;
	}
}

/* deid_dict_get for a key already folded (deid_fold's output, e.g. an ASCII word lower-cased) whose
 * deid_word_hash is h and deid_head8 head: the engine hashes each token once and asks the dictionary and its
 * word lists with it. Inline: the tokenizer asks it for nearly every word. */
static inline uint32_t deid_dict_get_folded(const struct deid_dict *d, const char *f, size_t n, uint64_t h, uint64_t head)
{
	if (!n || n >= 256)
		return 0;
	const struct deid_dict_slot *sl = deid_dict_slot_at(d, f, n, h, head);
	return sl->key ? sl->flags : 0;
}

/* ---- engine ------------------------------------------------------------------------------------------ */
#define DEID_MAX_GROUPS 3
struct deid_pattern {
	pcre2_code *re;
	int kind; /* post-check applied to each match (patterns.c) */
	int prio;
	float conf;
	struct {
		int group;
		int type;
	} out[DEID_MAX_GROUPS];
	int nout;
	/* literals, one of which the lower-cased note must contain for the pattern to run (none: always);
	 * ids into the engine's needle table, all of which are found in one pass over the note */
	uint16_t *need;
	size_t nneed;
	bool jit; /* JIT-compiled: matched with pcre2_jit_match (skips the interpreter's checks) */
	/* lead patterns (patterns.c: pat_def.lead): the same regex compiled anchored, tried only at the
	 * positions where the note holds one of the need literals (bit set in needmask) */
	pcre2_code *re_lead;
	bool lead_jit;
	uint64_t *needmask;
	/* windowed patterns (patterns.c: scan_windowed): the regex compiled with PCRE2_USE_OFFSET_LIMIT and
	 * searched only just before its sites; win/check say what a site is, back/start are byte classes
	 * (256-bit sets) of what a match may hold before a site and start with */
	pcre2_code *re_win;
	bool win_jit;
	int win, check, list;
	bool exact; /* patterns.c: pat_def.exact (the check is the regex: no regex call per site) */
	uint16_t index; /* in the engine's table */
	uint64_t wback[4], wstart[4];
	uint64_t first[4]; /* lead patterns: bytes a match can start with (has_first: known) */
	bool has_first;
	bool has_start;
	bool lead_wb; /* lead patterns: every match starts at a word boundary (the regex opens with \b) */
	bool lead_month; /* lead patterns: every match starts with a month's name (patterns.c: pat_def.lead_month) */
};

/* Bounds of the engine's tables that the per-note scratch of the pattern layer (patterns.c: deid_scan_patterns)
 * holds on the stack; deid_engine_new refuses tables that exceed them. */
#define DEID_MAX_PATS 128
#define DEID_MAX_NEEDLES 1024

/* The patterns' literals, deduplicated, indexed by their first one or two bytes so that one pass over a
 * note finds which of them it contains (instead of one memmem per literal per pattern). */
struct deid_needles {
	char **s;
	uint8_t *len;
	size_t n;
	int32_t head1[256];  /* one-byte literals: the id, or -1 */
	int32_t *head2;      /* 65536 chains of literals of two or more bytes by their first two bytes */
	uint64_t has2[1024]; /* bit per two-byte key: head2 has a chain there */
	int32_t *next;
	uint8_t *record;     /* per literal: its positions are wanted (a lead pattern needs it) */
	uint32_t *pat_first; /* per literal: the patterns wanting its positions are pats[pat_first[id] ..
			      * pat_first[id + 1]) */
	uint16_t *pats;
	uint8_t *pats_wb;    /* per entry of pats: that pattern is a lead pattern opening with \b */
	/* per literal: every pattern that lists it in its need list (need_pats[need_first[id] ..
	 * need_first[id + 1])), so the patterns a note needs run are found from the literals it holds */
	uint32_t *need_first;
	uint16_t *need_pats;
	uint64_t always_run[DEID_MAX_PATS / 64]; /* bit per pattern without a need list (runs on every note) */
	/* the same literals as an Aho-Corasick automaton (patterns.c: ac_build, find_needles_ac). delta holds one
	 * row of ncls + 1 entries per state: the row offset of the next state per byte class (premultiplied, so
	 * a step is one add and one load), then the first state of the state's output chain. States are numbered
	 * so that those with an output come last: row offsets >= emit_from are theirs. */
	uint8_t cls[256];
	size_t ncls;
	uint32_t *delta;
	uint32_t emit_from;
	size_t maxlen;   /* the longest literal (a state depends only on that many last bytes) */
	int32_t *solo;   /* one-byte literals whose positions no pattern wants: found by memchr, not the automaton */
	size_t nsolo;
	/* the output of the emitting states: a state's row holds, in its column ncls, the index of its first
	 * record; its records follow one another, the last one marked */
	struct deid_ac_rec {
		uint16_t id;     /* the literal */
		uint8_t len;     /* its length */
		uint8_t last;    /* the last literal of the state's output */
		uint32_t pfirst; /* its patterns wanting positions: pats[pfirst .. pfirst + npat) */
		uint32_t npat;
	} *recs;
	size_t nrecs;
};


struct deid_engine {
	struct deid_pattern *pats;
	size_t npats;
	struct deid_needles needles;
	struct deid_dict dict;
	uint32_t state_safe[26]; /* patterns.c: the city-state pattern's state codes, bit b of [a] for letters a, b */
};

/* A candidate span in bytes, before overlaps are resolved. */
struct deid_cand {
	uint32_t start, end;
	uint8_t type, source;
	int16_t prio;
	float conf;
};

/* The resolution of deid_text's candidates (resolve.c): keeps the best non-overlapping candidates of c[0..n)
 * (higher priority first, then the longer, then the earlier start, then the one added first) and moves them,
 * sorted by start, to the front of c; returns how many. Every candidate has start < end <= textlen. */
size_t deid_resolve(struct deid_cand *c, size_t n, size_t textlen);

/* Token flags (tokens.c: the tokenizer). */
enum {
	TF_WORD = 1,
	TF_NUM = 2,
	TF_CAP = 4,
	TF_UPPER = 8,
	TF_LOWER = 16,
	TF_PUNCT = 32,
	TF_ALPHA = 64,
	TF_NONLATIN = 128,
	TF_ASCII = 256 /* every byte ASCII: the folded word is the note's lower-cased bytes, hash its deid_word_hash */
};

/* What the tokenizer caches about a token, and what the rules read from that cache, for the tests (which
 * compare it with a tokenizer of their own and with deid_fold, deid_dict_get and deid_word_hash): deid_tokens
 * tokenizes text (valid UTF-8) and returns the number of tokens, their info in *out (ml_free it). */
struct deid_token_info {
	uint32_t start, end;
	uint16_t flags;
	uint8_t nl_before, sp_before;
	uint32_t dflags, hash; /* hash: TF_ASCII tokens */
	char punct;            /* a one-byte punctuation token's byte, else 0 */
	char fold[64];         /* the folded token, truncated as deid_fold does into 64 bytes */
	bool in_probe16, in_probe8; /* one of a fixed probe list (tokens.c), folded into 16 / 8 bytes */
	bool is_jose;               /* folded, the word "jose" */
	uint32_t stem;              /* alphabetic tokens: dictionary flags without a possessive ending */
	uint32_t prev_word;         /* the index of the word token before it, or the token count */
};
size_t deid_tokens(const struct deid_engine *e, const char *text, size_t len, struct deid_token_info **out);

/* ---- JSONL records of `deid text` (jsonl.c) ----------------------------------------------------------- */

/* A record taken by the splicing path: the object's bytes, its top-level "text" value (quotes included) and
 * that value decoded (owned: deid_jsonl_text_release). */
struct deid_jsonl_text {
	const char *obj_start, *obj_end; /* the object, without the white space around it */
	const char *vs, *ve;             /* the "text" value */
	struct ml_buf text;
};
/* 1 when line[0..len) is a JSON object with one top-level string "text" that json_loadb would take (t filled),
 * 0 when it is not (nothing to release: the caller parses it with jansson, which reports what is wrong). */
int deid_jsonl_text_find(const char *line, size_t len, struct deid_jsonl_text *t);
void deid_jsonl_text_release(struct deid_jsonl_text *t);
/* Appends s[0..n) as a JSON string, escaped as json_dumps(JSON_COMPACT) escapes it. */
int deid_json_put_string(struct ml_buf *o, const char *s, size_t n) ML_MUST_CHECK;

/* Replacement (replace.c): writes r->text and r->segs for the byte spans, in the opts mode. */
int deid_replace(const struct deid_engine *e, const char *text, size_t len, const struct deid_cand *spans,
		 size_t n, const struct deid_opts *opts, struct deid_result *r, struct ml_err *err) ML_MUST_CHECK;

/* deid_text with every pattern scanned over the whole note (no windows): the reference the differential
 * test compares deid_text with. */
int deid_text_reference(const struct deid_engine *e, const char *text, size_t len, const struct deid_known *known,
			const struct deid_opts *opts, struct deid_result *out, struct ml_err *err) ML_MUST_CHECK;

/* Is s[0..n) all ASCII (so code point offsets are byte offsets)? Eight bytes at a time. */
static inline bool deid_ascii(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t acc = 0, w;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return !(acc & 0x8080808080808080ull);
}

/* Case folding of short ASCII/UTF-8 strings for dictionary keys; returns the length written (< cap). */
size_t deid_fold(const char *s, size_t n, char *out, size_t cap);

#endif
