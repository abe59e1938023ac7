/* resolve.c: the resolution of candidate spans into the best non-overlapping ones (deid_resolve). */
#include "deid/engine_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* Does candidate a come after b in the order of resolution: priority, then length (higher first), then start? */
static inline bool by_rank(const struct deid_cand *a, const struct deid_cand *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	uint32_t la = a->end - a->start, lb = b->end - b->start;
	if (la != lb)
		return la < lb;
	return a->start > b->start;
}

static inline bool by_start(const struct deid_cand *a, const struct deid_cand *b)
{
	return a->start > b->start;
}

/* Stable sorts of candidates (ties of by_rank keep the order the layers added them in, as glibc's qsort, a
 * merge sort, kept them): insertion sort for the few dozen candidates of a note, a merge sort beyond.
 * One function per order, so the comparison is inlined. */
#define CAND_SORT(name, after)                                                                          \
	static void name##_insert(struct deid_cand *c, size_t n)                                        \
	{                                                                                               \
		for (size_t i = 1; i < n; i++) {                                                        \
			struct deid_cand v = c[i];                                                      \
			size_t j = i;                                                                   \
			while (j > 0 && after(&c[j - 1], &v)) {                                         \
				c[j] = c[j - 1];                                                        \
				j--;                                                                    \
			}                                                                               \
			c[j] = v;                                                                       \
		}                                                                                       \
	}                                                                                               \
	static void name##_merge(struct deid_cand *c, size_t n, struct deid_cand *tmp)                  \
	{                                                                                               \
		if (n <= 32) {                                                                          \
			name##_insert(c, n);                                                            \
			return;                                                                         \
		}                                                                                       \
		size_t h = n / 2, i = 0, j = h, k = 0;                                                  \
		name##_merge(c, h, tmp);                                                                \
		name##_merge(c + h, n - h, tmp);                                                        \
		/* the left run wins ties: stable */                                                    \
		while (i < h && j < n)                                                                  \
			tmp[k++] = after(&c[i], &c[j]) ? c[j++] : c[i++];                               \
		while (i < h)                                                                           \
			tmp[k++] = c[i++];                                                              \
		memcpy(c, tmp, k * sizeof *c); /* the rest of the right run is in place already */     \
	}                                                                                               \
	static void name(struct deid_cand *c, size_t n)                                                 \
	{                                                                                               \
		if (n <= 64) {                                                                          \
			name##_insert(c, n);                                                            \
			return;                                                                         \
		}                                                                                       \
		struct deid_cand *tmp = ml_xmalloc(n * sizeof *tmp);                                    \
		name##_merge(c, n, tmp);                                                                \
		ml_free(tmp);                                                                           \
	}
CAND_SORT(sort_by_rank_cmp, by_rank)
CAND_SORT(sort_by_start, by_start)
#undef CAND_SORT

/* The stable sort by rank, as a counting sort by priority (the layers use a few dozen priorities, so a note's
 * candidates spread over many small runs) and a sort of each run by length and start: the same order as
 * sort_by_rank_cmp, with far fewer moves and mispredicted branches than one insertion sort over them all. */
static void sort_by_rank(struct deid_cand *c, size_t n)
{
	if (n < 2)
		return;
	int lo = c[0].prio, hi = c[0].prio;
	for (size_t i = 1; i < n; i++) {
		lo = c[i].prio < lo ? c[i].prio : lo;
		hi = c[i].prio > hi ? c[i].prio : hi;
	}
	enum { RANGE = 256, SMALL = 128 };
	if (hi - lo >= RANGE) {
		sort_by_rank_cmp(c, n);
		return;
	}
	uint32_t at[RANGE + 1];
	size_t buckets = (size_t)(hi - lo) + 1;
	memset(at, 0, (buckets + 1) * sizeof at[0]);
	for (size_t i = 0; i < n; i++)
		at[hi - c[i].prio + 1]++; /* higher priority first */
	for (size_t b = 1; b <= buckets; b++)
		at[b] += at[b - 1];
	struct deid_cand small[SMALL], *tmp = n <= SMALL ? small : ml_xmalloc(n * sizeof *tmp);
	for (size_t i = 0; i < n; i++)
		tmp[at[hi - c[i].prio]++] = c[i]; /* in input order within a priority: stable */
	memcpy(c, tmp, n * sizeof *c);
	if (tmp != small)
		ml_free(tmp);
	/* at[b] is now the end of run b: each run, one priority, sorted by length and start (a merge sort for
	 * a long run) */
	for (size_t b = 0, from = 0; b < buckets; from = at[b], b++)
		if (at[b] - from > 1)
			sort_by_rank_cmp(c + from, at[b] - from);
}

/* sort_by_rank for the usual note: each candidate's rank and index packed into a 64-bit key (priority 8 bits,
 * inverted; length 20, inverted; start 20; index 16), the keys sorted (by priority with a counting sort, then
 * by insertion: one compare and an 8-byte move a step, where the candidates' sort compares three fields and
 * moves 16 bytes), then the candidates put in their keys' order. The keys are unique, so the order is the stable one. Notes or
 * priorities the keys cannot hold take sort_by_rank. */
static void sort_ranked(struct deid_cand *c, size_t n, size_t textlen)
{
	enum { MAXN = 256 };
	bool fit = n <= MAXN && textlen < (1u << 20);
	for (size_t i = 0; i < n && fit; i++)
		fit = c[i].prio >= 0 && c[i].prio <= 255;
	if (!fit) {
		sort_by_rank(c, n);
		return;
	}
	/* the keys, then a counting sort on their priority byte (stable), then an insertion sort, which has only
	 * the disorder within each priority left to undo */
	uint64_t raw[MAXN], key[MAXN];
	uint32_t at[257];
	unsigned lo = 255, hi = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t len = c[i].end - c[i].start;
		unsigned top = 255 - (unsigned)c[i].prio;
		raw[i] = (uint64_t)top << 56 | ((1u << 20) - 1 - len) << 36 | (uint64_t)c[i].start << 16 | i;
		lo = top < lo ? top : lo;
		hi = top > hi ? top : hi;
	}
	size_t range = hi >= lo ? hi - lo : 0; /* n > 0: lo <= hi */
	memset(at, 0, (range + 2) * sizeof at[0]);
	for (size_t i = 0; i < n; i++)
		at[(raw[i] >> 56) - lo + 1]++;
	for (size_t b = 1; b <= range; b++)
		at[b] += at[b - 1];
	for (size_t i = 0; i < n; i++)
		key[at[(raw[i] >> 56) - lo]++] = raw[i];
	for (size_t i = 1; i < n; i++) {
		uint64_t v = key[i];
		size_t j = i;
		for (; j > 0 && key[j - 1] > v; j--)
			key[j] = key[j - 1];
		key[j] = v;
	}
	struct deid_cand tmp[MAXN];
	for (size_t i = 0; i < n; i++)
		tmp[i] = c[key[i] & 0xFFFF];
	memcpy(c, tmp, n * sizeof *c);
}

/* The bytes already covered by kept candidates, one bit each: a candidate's span is tested and marked with a
 * mask or two instead of a loop over its bytes. */
static bool bits_free(const uint64_t *m, uint32_t a, uint32_t b)
{
	uint32_t wa = a >> 6, wb = (b - 1) >> 6;
	uint64_t ma = ~0ull << (a & 63), mb = ~0ull >> (63 - ((b - 1) & 63));
	if (wa == wb)
		return !(m[wa] & ma & mb);
	if (m[wa] & ma)
		return false;
	for (uint32_t w = wa + 1; w < wb; w++)
		if (m[w])
			return false;
	return !(m[wb] & mb);
}

static void bits_set(uint64_t *m, uint32_t a, uint32_t b)
{
	uint32_t wa = a >> 6, wb = (b - 1) >> 6;
	uint64_t ma = ~0ull << (a & 63), mb = ~0ull >> (63 - ((b - 1) & 63));
	if (wa == wb) {
		m[wa] |= ma & mb;
		return;
	}
	m[wa] |= ma;
	for (uint32_t w = wa + 1; w < wb; w++)
		m[w] = ~0ull;
	m[wb] |= mb;
}

size_t deid_resolve(struct deid_cand *c, size_t n, size_t textlen)
{
	if (n == 0)
		return 0;
	sort_ranked(c, n, textlen);
	uint64_t small[512], *m = small;
	size_t words = textlen / 64 + 1;
	if (words > sizeof small / sizeof small[0])
		m = ml_xmalloc(words * sizeof *m);
	memset(m, 0, words * sizeof *m);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		/* add_cand keeps start < end <= textlen */
		if (!bits_free(m, c[i].start, c[i].end))
			continue;
		bits_set(m, c[i].start, c[i].end);
		c[k++] = c[i];
	}
	if (m != small)
		ml_free(m);
	sort_by_start(c, k);
	return k;
}
