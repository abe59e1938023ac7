/* search.c: the ontology search index — sorted normalised terms (exact, prefix), sorted distinct tokens with
 * postings (token prefix), bounded Damerau-Levenshtein over the distinct tokens (typos) — and ranking. */
#include "text/text_int.h"
#include "text/onto_int.h"

#include <float.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUERY 512
#define MAX_QTOK 16
#define MAX_FUZZY_LEN 48

struct entry {
	int concept;
	const char *term;  /* the display or synonym as written */
	const char *norm;  /* folded tokens joined by single spaces */
	uint32_t normlen;
	bool preferred;
};

struct tok {
	const char *s;     /* points into some entry's norm */
	uint32_t len;
	uint32_t cp_off;   /* into cps[] */
	uint16_t ncp;
	int post_off, npost;
};

struct text_onto_index {
	struct entry *e;
	int ne;
	int *by_norm;      /* entry ids sorted by norm */
	struct tok *t;
	int nt;
	int *post;         /* entry ids */
	uint32_t *cps;     /* the code points of every distinct token */
	struct ml_arena arena;
};

void text_onto_index_free(struct text_onto_index *ix)
{
	if (!ix)
		return;
	ml_free(ix->e);
	ml_free(ix->by_norm);
	ml_free(ix->t);
	ml_free(ix->post);
	ml_free(ix->cps);
	ml_arena_release(&ix->arena);
	ml_free(ix);
}

/* Folds s and re-joins its tokens with single spaces, so "Non-small  cell" and "non small cell" agree. */
static int normalise(const char *s, size_t n, struct ml_buf *fold, struct text_tokens *tk, struct ml_buf *out)
{
	ml_buf_reset(fold);
	ml_buf_reset(out);
	if (text_fold(s, n, fold))
		return -1;
	struct ml_err e;
	if (text_tokenize(fold->data ? fold->data : "", fold->len, false, tk, &e))
		return -1;
	for (size_t i = 0; i < tk->n; i++) {
		if ((i && ml_buf_putc(out, ' ')) ||
		    ml_buf_append(out, fold->data + tk->v[i].bstart, tk->v[i].bend - tk->v[i].bstart))
			return -1;
	}
	if (!out->data && ml_buf_puts(out, ""))
		return -1;
	return 0;
}

static const struct text_onto_index *sort_ix; /* qsort has no context argument; building is single-threaded */

static int cmp_norm(const void *a, const void *b)
{
	const struct entry *x = &sort_ix->e[*(const int *)a], *y = &sort_ix->e[*(const int *)b];
	return strcmp(x->norm, y->norm);
}

struct pair {
	const char *s;
	uint32_t len;
	int entry;
};

static int cmp_bytes(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al < bl ? -1 : al > bl);
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = cmp_bytes(x->s, x->len, y->s, y->len);
	return c ? c : (x->entry < y->entry ? -1 : x->entry > y->entry);
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

int text_onto_index_build(struct text_ontology *o, struct ml_err *err)
{
	struct text_onto_index *ix = ml_calloc(1, sizeof *ix);
	if (!ix)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	ml_arena_init(&ix->arena, 1 << 18);
	size_t ne = 0;
	for (int i = 0; i < o->n; i++)
		ne += 1 + (size_t)o->concepts[i].nsyn;
	ix->e = ml_malloc((ne ? ne : 1) * sizeof *ix->e);
	struct ml_buf fold, norm;
	ml_buf_init(&fold, 0);
	ml_buf_init(&norm, 0);
	struct text_tokens tk = {0};
	struct pair *pairs = NULL;
	size_t npairs = 0, apairs = 0;
	if (!ix->e)
		goto oom;
	for (int i = 0; i < o->n; i++) {
		const struct text_concept *c = &o->concepts[i];
		for (int k = -1; k < c->nsyn; k++) {
			const char *term = k < 0 ? c->display : c->synonyms[k];
			if (normalise(term, strlen(term), &fold, &tk, &norm))
				goto oom;
			if (!norm.len)
				continue;
			struct entry *e = &ix->e[ix->ne];
			e->concept = i;
			e->term = term;
			e->norm = ml_arena_strndup(&ix->arena, norm.data, norm.len);
			e->normlen = (uint32_t)norm.len;
			e->preferred = k < 0;
			const char *p = e->norm;
			while (*p) {
				size_t l = strcspn(p, " ");
				if (npairs == apairs) {
					apairs = apairs ? apairs * 2 : 4096;
					struct pair *np = ml_realloc(pairs, apairs * sizeof *np);
					if (!np)
						goto oom;
					pairs = np;
				}
				pairs[npairs++] = (struct pair){p, (uint32_t)l, ix->ne};
				p += l;
				if (*p == ' ')
					p++;
			}
			ix->ne++;
		}
	}
	ix->by_norm = ml_malloc(((size_t)ix->ne + 1) * sizeof(int));
	if (!ix->by_norm)
		goto oom;
	for (int i = 0; i < ix->ne; i++)
		ix->by_norm[i] = i;
	pthread_mutex_lock(&sort_lock);
	sort_ix = ix;
	qsort(ix->by_norm, (size_t)ix->ne, sizeof(int), cmp_norm);
	pthread_mutex_unlock(&sort_lock);
	if (npairs)
		qsort(pairs, npairs, sizeof *pairs, cmp_pair);
	/* Distinct tokens with their postings and code points. */
	ix->t = ml_malloc((npairs + 1) * sizeof *ix->t);
	ix->post = ml_malloc((npairs + 1) * sizeof(int));
	size_t ncp_total = 0;
	for (size_t i = 0; i < npairs; i++)
		if (i == 0 || cmp_bytes(pairs[i].s, pairs[i].len, pairs[i - 1].s, pairs[i - 1].len))
			ncp_total += pairs[i].len;
	ix->cps = ml_malloc((ncp_total + 1) * sizeof(uint32_t));
	if (!ix->t || !ix->post || !ix->cps)
		goto oom;
	size_t npost = 0, cpo = 0;
	for (size_t i = 0; i < npairs; i++) {
		bool fresh = i == 0 || cmp_bytes(pairs[i].s, pairs[i].len, pairs[i - 1].s, pairs[i - 1].len);
		if (fresh) {
			struct tok *t = &ix->t[ix->nt++];
			t->s = pairs[i].s;
			t->len = pairs[i].len;
			t->post_off = (int)npost;
			t->npost = 0;
			t->cp_off = (uint32_t)cpo;
			size_t b = 0, n = 0;
			while (b < t->len) {
				uint32_t cp;
				size_t l = ml_utf8_decode(t->s + b, t->len - b, &cp);
				if (!l)
					break;
				if (n < MAX_FUZZY_LEN)
					ix->cps[cpo + n++] = cp;
				b += l;
			}
			t->ncp = (uint16_t)n;
			cpo += n;
		} else if (pairs[i].entry == pairs[i - 1].entry) {
			continue;
		}
		ix->post[npost++] = pairs[i].entry;
		ix->t[ix->nt - 1].npost++;
	}
	ml_free(pairs);
	ml_buf_release(&fold);
	ml_buf_release(&norm);
	text_tokens_release(&tk);
	o->ix = ix;
	return 0;
oom:
	ml_free(pairs);
	ml_buf_release(&fold);
	ml_buf_release(&norm);
	text_tokens_release(&tk);
	text_onto_index_free(ix);
	return ml_err_set(err, ML_ENOMEM, "out of memory building the search index");
}

/* ---- querying ------------------------------------------------------------------------------------------ */

/* Optimal-string-alignment distance of a against b (or against the best prefix of b when prefix), or
 * max + 1 as soon as it must exceed max. */
static int osa_bounded(const uint32_t *a, int m, const uint32_t *b, int n, int max, bool prefix)
{
	if (!prefix && abs(m - n) > max)
		return max + 1;
	if (prefix && n > m + max)
		n = m + max;
	int rows[3][MAX_FUZZY_LEN + 2];
	int *pp = rows[0], *p = rows[1], *c = rows[2];
	for (int j = 0; j <= n; j++)
		p[j] = j;
	for (int i = 1; i <= m; i++) {
		c[0] = i;
		int rowmin = c[0];
		for (int j = 1; j <= n; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = p[j - 1] + cost;
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > max)
			return max + 1;
		int *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	if (!prefix)
		return p[n];
	int best = max + 1;
	for (int j = 0; j <= n; j++)
		if (p[j] < best)
			best = p[j];
	return best;
}

/* First distinct token >= s (binary search). */
static int tok_lower(const struct text_onto_index *ix, const char *s, uint32_t len)
{
	int lo = 0, hi = ix->nt;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cmp_bytes(ix->t[mid].s, ix->t[mid].len, s, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct qstate {
	const struct text_ontology *o;
	const struct text_onto_index *ix;
	double *best;          /* per concept, DBL_MAX if untouched */
	int *best_entry;
	int *touched;
	int ntouched;
	uint16_t *count;       /* per entry: query tokens matched so far */
	int16_t *stamp;        /* per entry: the last query token that counted it */
	uint16_t *dist;        /* per entry: edits summed over the query tokens (typo pass) */
	uint8_t *tdist;        /* per distinct token: its distance to the current query token, 255 = none */
};

/* Score: the class first, then (typos) fewer edits, then shorter terms, displays before synonyms. */
static void offer_dist(struct qstate *q, int entry, enum text_match cls, int dist)
{
	const struct entry *e = &q->ix->e[entry];
	if (q->o->concepts[e->concept].obsolete)
		return;
	double s = (double)cls * 100000.0 + dist * 1000.0 + e->normlen + (e->preferred ? 0 : 8);
	if (q->best[e->concept] == DBL_MAX)
		q->touched[q->ntouched++] = e->concept;
	if (s < q->best[e->concept]) {
		q->best[e->concept] = s;
		q->best_entry[e->concept] = entry;
	}
}

static void offer(struct qstate *q, int entry, enum text_match cls)
{
	offer_dist(q, entry, cls, 0);
}

/* Counts, for query token j, every entry holding token t (once per j). */
static void count_postings(struct qstate *q, const struct tok *t, int j)
{
	for (int k = 0; k < t->npost; k++) {
		int e = q->ix->post[t->post_off + k];
		if (q->stamp[e] != j) {
			q->stamp[e] = (int16_t)j;
			q->count[e]++;
		}
	}
}

static void count_postings_dist(struct qstate *q, const struct tok *t, int j, int dd)
{
	for (int k = 0; k < t->npost; k++) {
		int e = q->ix->post[t->post_off + k];
		if (q->stamp[e] != j) {
			q->stamp[e] = (int16_t)j;
			q->count[e]++;
			q->dist[e] = (uint16_t)(q->dist[e] + dd);
		}
	}
}

static __thread const struct qstate *tls_q;

static int cmp_hit(const void *a, const void *b)
{
	const struct qstate *q = tls_q;
	int x = *(const int *)a, y = *(const int *)b;
	if (q->best[x] != q->best[y])
		return q->best[x] < q->best[y] ? -1 : 1;
	return strcmp(q->o->concepts[x].code, q->o->concepts[y].code);
}

int text_ontology_search(const struct text_ontology *o, const char *query, struct text_hit *hits, int max, struct ml_err *err)
{
	const struct text_onto_index *ix = o->ix;
	if (!ix)
		return ml_err_set(err, ML_EINVAL, "the ontology is not indexed");
	size_t qlen = strlen(query), bad;
	if (qlen > MAX_QUERY)
		return ml_err_set(err, ML_ELIMIT, "query longer than %d bytes", MAX_QUERY);
	if (!ml_utf8_valid(query, qlen, &bad))
		return ml_err_set(err, ML_EINVAL, "query is not valid UTF-8 at byte %zu", bad);
	if (max <= 0)
		return 0;
	struct ml_buf fold, norm;
	ml_buf_init(&fold, 0);
	ml_buf_init(&norm, 0);
	struct text_tokens tk = {0};
	struct qstate q = {.o = o, .ix = ix};
	int nhits = -1;
	q.best = ml_malloc(((size_t)o->n + 1) * sizeof(double));
	q.best_entry = ml_malloc(((size_t)o->n + 1) * sizeof(int));
	q.touched = ml_malloc(((size_t)o->n + 1) * sizeof(int));
	q.count = ml_calloc((size_t)ix->ne + 1, sizeof(uint16_t));
	q.stamp = ml_malloc(((size_t)ix->ne + 1) * sizeof(int16_t));
	q.dist = ml_calloc((size_t)ix->ne + 1, sizeof(uint16_t));
	q.tdist = ml_malloc((size_t)ix->nt + 1);
	if (!q.best || !q.best_entry || !q.touched || !q.count || !q.stamp || !q.dist || !q.tdist ||
	    normalise(query, qlen, &fold, &tk, &norm)) {
		ml_err_set(err, ML_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < o->n; i++)
		q.best[i] = DBL_MAX;
	memset(q.stamp, 0xff, ((size_t)ix->ne + 1) * sizeof(int16_t));
	/* A code typed as is ("HP:0001250") is the best possible match. */
	{
		char code[MAX_QUERY + 1];
		const char *b = query;
		while (*b == ' ')
			b++;
		snprintf(code, sizeof code, "%s", b);
		size_t cl = strlen(code);
		while (cl && code[cl - 1] == ' ')
			code[--cl] = '\0';
		int c = text_ontology_find_code(o, code);
		if (c >= 0 && !o->concepts[c].obsolete) {
			q.best[c] = -1;
			q.best_entry[c] = -1;
			q.touched[q.ntouched++] = c;
		}
	}
	if (!norm.len)
		goto rank;
	/* Exact and prefix over whole terms. */
	{
		int lo = 0, hi = ix->ne;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (strcmp(ix->e[ix->by_norm[mid]].norm, norm.data) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (int i = lo; i < ix->ne; i++) {
			const struct entry *e = &ix->e[ix->by_norm[i]];
			if (strncmp(e->norm, norm.data, norm.len))
				break;
			offer(&q, ix->by_norm[i], e->normlen == norm.len ? TEXT_MATCH_EXACT : TEXT_MATCH_PREFIX);
		}
	}
	/* The query's tokens. */
	const char *qt[MAX_QTOK];
	uint32_t qtl[MAX_QTOK];
	int nq = 0;
	for (const char *p = norm.data; *p && nq < MAX_QTOK;) {
		size_t l = strcspn(p, " ");
		qt[nq] = p;
		qtl[nq++] = (uint32_t)l;
		p += l;
		if (*p == ' ')
			p++;
	}
	/* Token prefix: every query token is a prefix of some token of the term. */
	for (int j = 0; j < nq; j++)
		for (int t = tok_lower(ix, qt[j], qtl[j]); t < ix->nt; t++) {
			if (ix->t[t].len < qtl[j] || memcmp(ix->t[t].s, qt[j], qtl[j]))
				break;
			count_postings(&q, &ix->t[t], j);
		}
	for (int e = 0; e < ix->ne; e++)
		if (q.count[e] == nq)
			offer(&q, e, TEXT_MATCH_TOKEN);
	/* Typos: only when the stricter classes left room. */
	if (q.ntouched < max) {
		memset(q.count, 0, ((size_t)ix->ne + 1) * sizeof(uint16_t));
		memset(q.stamp, 0xff, ((size_t)ix->ne + 1) * sizeof(int16_t));
		for (int j = 0; j < nq; j++) {
			uint32_t qc[MAX_FUZZY_LEN];
			int m = 0;
			for (uint32_t b = 0; b < qtl[j] && m < MAX_FUZZY_LEN;) {
				uint32_t cp;
				size_t l = ml_utf8_decode(qt[j] + b, qtl[j] - b, &cp);
				if (!l)
					break;
				qc[m++] = cp;
				b += (uint32_t)l;
			}
			int d = m >= 8 ? 2 : m >= 3 ? 1 : 0;
			bool last = j == nq - 1;
			for (int t = 0; t < ix->nt; t++) {
				const struct tok *tt = &ix->t[t];
				if (tt->len >= qtl[j] && !memcmp(tt->s, qt[j], qtl[j]))
					q.tdist[t] = 0; /* a plain prefix still counts next to typo'd tokens */
				else if (!d || tt->ncp == 0)
					q.tdist[t] = 255;
				else {
					int dd = osa_bounded(qc, m, ix->cps + tt->cp_off, tt->ncp, d, last);
					q.tdist[t] = (uint8_t)(dd <= d ? dd : 255);
				}
			}
			/* Closest tokens first, so an entry counted for token j carries its smallest distance. */
			for (int dd = 0; dd <= d; dd++)
				for (int t = 0; t < ix->nt; t++)
					if (q.tdist[t] == dd)
						count_postings_dist(&q, &ix->t[t], j, dd);
		}
		for (int e = 0; e < ix->ne; e++)
			if (q.count[e] == nq)
				offer_dist(&q, e, TEXT_MATCH_FUZZY, q.dist[e]);
	}
rank:
	tls_q = &q;
	if (q.ntouched > 1)
		qsort(q.touched, (size_t)q.ntouched, sizeof(int), cmp_hit);
	nhits = q.ntouched < max ? q.ntouched : max;
	for (int i = 0; i < nhits; i++) {
		int c = q.touched[i];
		int e = q.best_entry[c];
		hits[i].concept = c;
		hits[i].score = q.best[c];
		if (e < 0) {
			hits[i].match = TEXT_MATCH_EXACT;
			hits[i].matched = o->concepts[c].code;
		} else {
			hits[i].match = (enum text_match)(int)(q.best[c] / 100000.0);
			hits[i].matched = ix->e[e].term;
		}
	}
out:
	ml_free(q.best);
	ml_free(q.best_entry);
	ml_free(q.touched);
	ml_free(q.count);
	ml_free(q.stamp);
	ml_free(q.dist);
	ml_free(q.tdist);
	ml_buf_release(&fold);
	ml_buf_release(&norm);
	text_tokens_release(&tk);
	return nhits;
}
