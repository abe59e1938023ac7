/* tagger.c: dictionary pre-annotation — a token trie over an ontology's terms (longest match), and
 * NegEx-style context: negation, uncertainty, history and family-member triggers within a sentence. */
#include "text/text_int.h"

#include <stdlib.h>
#include <string.h>

/* Trigger kinds, a bit set: "ruled out" negates both before and after. */
enum {
	TR_PRE_NEG = 1, TR_POST_NEG = 2, TR_PSEUDO = 4, TR_PRE_UNC = 8, TR_POST_UNC = 16,
	TR_PRE_HIST = 32, TR_POST_HIST = 64, TR_PRE_FAM = 128, TR_TERM = 256,
};

struct trigger_def {
	const char *phrase;
	unsigned kind;
};

/* English after NegEx (Chapman et al. 2001) and ConText; Chinese and Arabic equivalents of the common ones. */
static const struct trigger_def TRIGGERS[] = {
	/* negation before the concept */
	{"no", TR_PRE_NEG}, {"not", TR_PRE_NEG}, {"denies", TR_PRE_NEG}, {"denied", TR_PRE_NEG}, {"deny", TR_PRE_NEG},
	{"denying", TR_PRE_NEG}, {"without", TR_PRE_NEG}, {"no evidence of", TR_PRE_NEG}, {"no evidence", TR_PRE_NEG},
	{"negative for", TR_PRE_NEG}, {"free of", TR_PRE_NEG}, {"absence of", TR_PRE_NEG}, {"no signs of", TR_PRE_NEG},
	{"no sign of", TR_PRE_NEG}, {"never had", TR_PRE_NEG}, {"never", TR_PRE_NEG}, {"non", TR_PRE_NEG},
	{"fails to reveal", TR_PRE_NEG}, {"no history of", TR_PRE_NEG}, {"no new", TR_PRE_NEG}, {"nor", TR_PRE_NEG},
	{"ruled out", TR_PRE_NEG | TR_POST_NEG}, {"rules out", TR_PRE_NEG}, {"resolution of", TR_PRE_NEG},
	/* negation after */
	{"was ruled out", TR_POST_NEG}, {"is ruled out", TR_POST_NEG}, {"are ruled out", TR_POST_NEG},
	{"been ruled out", TR_POST_NEG}, {"absent", TR_POST_NEG}, {"not seen", TR_POST_NEG},
	{"not present", TR_POST_NEG}, {"negative", TR_POST_NEG}, {"resolved", TR_POST_NEG},
	/* pseudo-triggers: look like triggers, negate nothing */
	{"no increase", TR_PSEUDO}, {"no change", TR_PSEUDO}, {"no significant change", TR_PSEUDO},
	{"no interval change", TR_PSEUDO}, {"not only", TR_PSEUDO}, {"no further", TR_PSEUDO},
	{"not necessarily", TR_PSEUDO}, {"without difficulty", TR_PSEUDO}, {"gram negative", TR_PSEUDO},
	{"not cause", TR_PSEUDO}, {"not drain", TR_PSEUDO}, {"no suspicious change", TR_PSEUDO},
	{"not extend", TR_PSEUDO},
	/* uncertainty */
	{"possible", TR_PRE_UNC}, {"possibly", TR_PRE_UNC}, {"probable", TR_PRE_UNC}, {"probably", TR_PRE_UNC},
	{"suspected", TR_PRE_UNC | TR_POST_UNC}, {"suspect", TR_PRE_UNC}, {"suspicious for", TR_PRE_UNC},
	{"suspicion of", TR_PRE_UNC}, {"rule out", TR_PRE_UNC}, {"to rule out", TR_PRE_UNC}, {"r o", TR_PRE_UNC},
	{"questionable", TR_PRE_UNC}, {"question of", TR_PRE_UNC}, {"may have", TR_PRE_UNC}, {"might have", TR_PRE_UNC},
	{"could be", TR_PRE_UNC}, {"concern for", TR_PRE_UNC}, {"concerning for", TR_PRE_UNC},
	{"cannot rule out", TR_PRE_UNC}, {"can not rule out", TR_PRE_UNC}, {"cannot exclude", TR_PRE_UNC},
	{"differential diagnosis", TR_PRE_UNC}, {"ddx", TR_PRE_UNC}, {"presumed", TR_PRE_UNC},
	{"suggestive of", TR_PRE_UNC}, {"evaluate for", TR_PRE_UNC}, {"not certain whether", TR_PRE_UNC},
	{"is possible", TR_POST_UNC}, {"cannot be excluded", TR_POST_UNC}, {"cannot be ruled out", TR_POST_UNC},
	{"not ruled out", TR_POST_UNC}, {"not been ruled out", TR_POST_UNC}, {"unlikely", TR_POST_UNC},
	{"is questionable", TR_POST_UNC}, {"uncertain", TR_POST_UNC},
	/* history */
	{"history of", TR_PRE_HIST}, {"hx of", TR_PRE_HIST}, {"hx", TR_PRE_HIST}, {"h o", TR_PRE_HIST},
	{"past history of", TR_PRE_HIST}, {"past medical history", TR_PRE_HIST}, {"pmh", TR_PRE_HIST},
	{"previous", TR_PRE_HIST}, {"previously", TR_PRE_HIST}, {"prior", TR_PRE_HIST}, {"status post", TR_PRE_HIST},
	{"s p", TR_PRE_HIST}, {"history", TR_PRE_HIST}, {"remote", TR_PRE_HIST},
	/* family members */
	{"mother", TR_PRE_FAM}, {"father", TR_PRE_FAM}, {"sister", TR_PRE_FAM}, {"brother", TR_PRE_FAM},
	{"sibling", TR_PRE_FAM}, {"siblings", TR_PRE_FAM}, {"aunt", TR_PRE_FAM}, {"uncle", TR_PRE_FAM},
	{"grandmother", TR_PRE_FAM}, {"grandfather", TR_PRE_FAM}, {"cousin", TR_PRE_FAM}, {"son", TR_PRE_FAM},
	{"daughter", TR_PRE_FAM}, {"parent", TR_PRE_FAM}, {"parents", TR_PRE_FAM}, {"mom", TR_PRE_FAM},
	{"dad", TR_PRE_FAM}, {"family history", TR_PRE_FAM}, {"family history of", TR_PRE_FAM}, {"fhx", TR_PRE_FAM},
	{"fh", TR_PRE_FAM}, {"maternal", TR_PRE_FAM}, {"paternal", TR_PRE_FAM}, {"family", TR_PRE_FAM},
	/* terminators: the scope of a trigger ends here */
	{"but", TR_TERM}, {"however", TR_TERM}, {"although", TR_TERM}, {"though", TR_TERM}, {"except", TR_TERM},
	{"apart from", TR_TERM}, {"aside from", TR_TERM}, {"yet", TR_TERM}, {"whereas", TR_TERM},
	{"nevertheless", TR_TERM}, {"nonetheless", TR_TERM}, {"which", TR_TERM}, {"secondary to", TR_TERM},
	{"presents with", TR_TERM}, {"complains of", TR_TERM},
	/* Chinese */
	{"无", TR_PRE_NEG}, {"没有", TR_PRE_NEG}, {"否认", TR_PRE_NEG}, {"未见", TR_PRE_NEG}, {"未", TR_PRE_NEG},
	{"不", TR_PRE_NEG}, {"非", TR_PRE_NEG}, {"排除", TR_PRE_NEG}, {"未发现", TR_PRE_NEG}, {"未闻及", TR_PRE_NEG},
	{"阴性", TR_POST_NEG}, {"已排除", TR_POST_NEG}, {"无变化", TR_PSEUDO}, {"无明显变化", TR_PSEUDO},
	{"可能", TR_PRE_UNC | TR_POST_UNC}, {"疑似", TR_PRE_UNC}, {"疑为", TR_PRE_UNC}, {"考虑", TR_PRE_UNC},
	{"待排", TR_PRE_UNC | TR_POST_UNC}, {"不除外", TR_PRE_UNC}, {"待查", TR_POST_UNC},
	{"既往", TR_PRE_HIST}, {"既往史", TR_PRE_HIST}, {"病史", TR_POST_HIST}, {"史", TR_POST_HIST},
	{"母亲", TR_PRE_FAM}, {"父亲", TR_PRE_FAM}, {"母", TR_PRE_FAM}, {"父", TR_PRE_FAM}, {"姐姐", TR_PRE_FAM},
	{"妹妹", TR_PRE_FAM}, {"哥哥", TR_PRE_FAM}, {"弟弟", TR_PRE_FAM}, {"家族史", TR_PRE_FAM}, {"家族", TR_PRE_FAM},
	{"祖母", TR_PRE_FAM}, {"祖父", TR_PRE_FAM}, {"外祖母", TR_PRE_FAM},
	{"但", TR_TERM}, {"但是", TR_TERM}, {"然而", TR_TERM}, {"不过", TR_TERM},
	/* Arabic (folding drops the short vowels, so one spelling covers vocalised text) */
	{"لا", TR_PRE_NEG}, {"لم", TR_PRE_NEG}, {"ليس", TR_PRE_NEG}, {"ليست", TR_PRE_NEG}, {"بدون", TR_PRE_NEG},
	{"ينفي", TR_PRE_NEG}, {"تنفي", TR_PRE_NEG}, {"نفى", TR_PRE_NEG}, {"عدم", TR_PRE_NEG}, {"لا يوجد", TR_PRE_NEG},
	{"لا توجد", TR_PRE_NEG}, {"غير", TR_PRE_NEG}, {"خالي من", TR_PRE_NEG}, {"سلبي", TR_POST_NEG},
	{"سلبية", TR_POST_NEG}, {"محتمل", TR_PRE_UNC | TR_POST_UNC}, {"محتملة", TR_POST_UNC}, {"احتمال", TR_PRE_UNC},
	{"يشتبه", TR_PRE_UNC}, {"اشتباه", TR_PRE_UNC}, {"ربما", TR_PRE_UNC}, {"قد يكون", TR_PRE_UNC},
	{"تاريخ", TR_PRE_HIST}, {"سابقة", TR_PRE_HIST}, {"سابق", TR_PRE_HIST}, {"تاريخ مرضي", TR_PRE_HIST},
	{"الأم", TR_PRE_FAM}, {"الام", TR_PRE_FAM}, {"أمه", TR_PRE_FAM}, {"امه", TR_PRE_FAM}, {"والدته", TR_PRE_FAM},
	{"والدة", TR_PRE_FAM}, {"الأب", TR_PRE_FAM}, {"الاب", TR_PRE_FAM}, {"أبوه", TR_PRE_FAM}, {"والده", TR_PRE_FAM},
	{"أخته", TR_PRE_FAM}, {"أخوه", TR_PRE_FAM}, {"الأخت", TR_PRE_FAM}, {"الأخ", TR_PRE_FAM}, {"جدته", TR_PRE_FAM},
	{"جده", TR_PRE_FAM}, {"تاريخ عائلي", TR_PRE_FAM}, {"عائلي", TR_PRE_FAM},
	{"لكن", TR_TERM}, {"ولكن", TR_TERM}, {"باستثناء", TR_TERM},
};

#define MAX_TOKEN_BYTES 256

struct vslot {
	uint64_t hash;
	uint32_t off, len;
	int32_t id; /* -1 = empty */
};

struct eslot {
	uint64_t key;  /* node << 32 | token id; 0 = empty (the root never has token id 0 at node 0... see edge_key) */
	int32_t child;
};

struct trie {
	struct eslot *e;
	size_t mask, n;
	int nnodes;
	int *first, *count; /* per node: range in the payload array (terms or trigger kinds) */
};

struct term {
	int concept;
	int node;
	const char *form; /* the term as written: abbreviations match it case-sensitively */
	bool cs, preferred;
};

struct text_tagger {
	const struct text_ontology *o;
	struct text_tagger_opts opts;
	char *label, *control;
	struct vslot *v;
	size_t vmask, vn;
	struct ml_buf pool;
	struct trie terms, trig;
	struct term *t;
	size_t nt, at;
	unsigned *trig_kind; /* per trigger node (0: not a trigger end) */
	/* scratch, reused between documents */
	struct text_tokens tk;
	int32_t *ids;
	size_t aids;
	struct ml_buf fold;
};

/* ---- the vocabulary ------------------------------------------------------------------------------------ */

static int vocab_find(const struct text_tagger *tg, const char *s, size_t n, uint64_t h)
{
	for (size_t i = h & tg->vmask;; i = (i + 1) & tg->vmask) {
		const struct vslot *sl = &tg->v[i];
		if (sl->id < 0)
			return -1;
		if (sl->hash == h && sl->len == n && !memcmp(tg->pool.data + sl->off, s, n))
			return sl->id;
	}
}

static int vocab_grow(struct text_tagger *tg)
{
	size_t cap = (tg->vmask + 1) * 2;
	struct vslot *nv = ml_malloc(cap * sizeof *nv);
	if (!nv)
		return -1;
	for (size_t i = 0; i < cap; i++)
		nv[i].id = -1;
	for (size_t i = 0; i <= tg->vmask; i++) {
		if (tg->v[i].id < 0)
			continue;
		size_t k = tg->v[i].hash & (cap - 1);
		while (nv[k].id >= 0)
			k = (k + 1) & (cap - 1);
		nv[k] = tg->v[i];
	}
	ml_free(tg->v);
	tg->v = nv;
	tg->vmask = cap - 1;
	return 0;
}

static int vocab_add(struct text_tagger *tg, const char *s, size_t n)
{
	uint64_t h = text_hash64(s, n);
	int id = vocab_find(tg, s, n, h);
	if (id >= 0)
		return id;
	if ((tg->vn + 1) * 2 > tg->vmask + 1 && vocab_grow(tg))
		return -1;
	size_t off = tg->pool.len;
	if (ml_buf_append(&tg->pool, s, n))
		return -1;
	size_t i = h & tg->vmask;
	while (tg->v[i].id >= 0)
		i = (i + 1) & tg->vmask;
	tg->v[i] = (struct vslot){h, (uint32_t)off, (uint32_t)n, (int32_t)tg->vn};
	return (int)tg->vn++;
}

/* ---- tries --------------------------------------------------------------------------------------------- */

static uint64_t edge_key(int node, int tok)
{
	return ((uint64_t)(uint32_t)node << 32 | (uint32_t)tok) + 1; /* +1: key 0 marks an empty slot */
}

static int trie_child(const struct trie *t, int node, int tok)
{
	uint64_t k = edge_key(node, tok);
	uint64_t h = k * 0x9E3779B97F4A7C15ULL;
	for (size_t i = (h >> 20) & t->mask;; i = (i + 1) & t->mask) {
		if (t->e[i].key == k)
			return t->e[i].child;
		if (!t->e[i].key)
			return -1;
	}
}

static int trie_init(struct trie *t)
{
	t->mask = 1023;
	t->n = 0;
	t->nnodes = 1; /* the root */
	t->e = ml_calloc(t->mask + 1, sizeof *t->e);
	return t->e ? 0 : -1;
}

static void trie_release(struct trie *t)
{
	ml_free(t->e);
	ml_free(t->first);
	ml_free(t->count);
	memset(t, 0, sizeof *t);
}

static int trie_put(struct trie *t, uint64_t k, int child)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ULL;
	size_t i = (h >> 20) & t->mask;
	while (t->e[i].key)
		i = (i + 1) & t->mask;
	t->e[i] = (struct eslot){k, child};
	return 0;
}

static int trie_step(struct trie *t, int node, int tok)
{
	int c = trie_child(t, node, tok);
	if (c >= 0)
		return c;
	if ((t->n + 1) * 2 > t->mask + 1) {
		size_t old = t->mask + 1;
		struct eslot *oe = t->e;
		t->mask = old * 2 - 1;
		t->e = ml_calloc(t->mask + 1, sizeof *t->e);
		if (!t->e) {
			t->e = oe;
			t->mask = old - 1;
			return -1;
		}
		for (size_t i = 0; i < old; i++)
			if (oe[i].key)
				trie_put(t, oe[i].key, oe[i].child);
		ml_free(oe);
	}
	c = t->nnodes++;
	trie_put(t, edge_key(node, tok), c);
	t->n++;
	return c;
}

/* Inserts the folded tokens of phrase; returns the end node, or -1 (skipped: nothing to match). */
static int insert_phrase(struct text_tagger *tg, struct trie *t, const char *phrase, size_t *ntok)
{
	ml_buf_reset(&tg->fold);
	if (text_fold(phrase, strlen(phrase), &tg->fold))
		return -2;
	struct ml_err e;
	if (text_tokenize(tg->fold.data ? tg->fold.data : "", tg->fold.len, false, &tg->tk, &e))
		return -1;
	*ntok = tg->tk.n;
	if (!tg->tk.n)
		return -1;
	int node = 0;
	for (size_t i = 0; i < tg->tk.n; i++) {
		const struct text_token *k = &tg->tk.v[i];
		if (k->bend - k->bstart > MAX_TOKEN_BYTES)
			return -1;
		int id = vocab_add(tg, tg->fold.data + k->bstart, k->bend - k->bstart);
		if (id < 0)
			return -2;
		node = trie_step(t, node, id);
		if (node < 0)
			return -2;
	}
	return node;
}

/* A term of 2..5 ASCII capitals ("HTN", "COPD") is an abbreviation: matched case-sensitively only. */
static bool is_abbrev(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

/* Single ASCII letters and bare numbers would match everywhere. */
static bool too_generic(const struct text_tagger *tg)
{
	if (tg->tk.n != 1)
		return false;
	const struct text_token *k = &tg->tk.v[0];
	const char *s = tg->fold.data + k->bstart;
	size_t n = k->bend - k->bstart;
	if (n == 1 && (uint8_t)s[0] < 0x80)
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int cmp_term(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->preferred != y->preferred)
		return x->preferred ? -1 : 1;
	return x->concept < y->concept ? -1 : x->concept > y->concept;
}

void text_tagger_free(struct text_tagger *tg)
{
	if (!tg)
		return;
	ml_free(tg->v);
	ml_buf_release(&tg->pool);
	trie_release(&tg->terms);
	trie_release(&tg->trig);
	ml_free(tg->t);
	ml_free(tg->trig_kind);
	text_tokens_release(&tg->tk);
	ml_free(tg->ids);
	ml_buf_release(&tg->fold);
	ml_free(tg->label);
	ml_free(tg->control);
	ml_free(tg);
}

int text_tagger_new(const struct text_ontology *o, const struct text_tagger_opts *opts, struct text_tagger **out,
		    struct ml_err *err)
{
	*out = NULL;
	struct text_tagger *tg = ml_calloc(1, sizeof *tg);
	if (!tg)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	tg->o = o;
	if (opts)
		tg->opts = *opts;
	if (tg->opts.scope_tokens <= 0)
		tg->opts.scope_tokens = 8;
	if (!tg->opts.attrs_mask)
		tg->opts.attrs_mask = TEXT_ATTR_NEGATED | TEXT_ATTR_UNCERTAIN | TEXT_ATTR_HISTORICAL | TEXT_ATTR_FAMILY;
	tg->label = ml_strdup(tg->opts.label ? tg->opts.label : "Concept");
	tg->control = ml_strdup(tg->opts.control ? tg->opts.control : "entities");
	ml_buf_init(&tg->pool, 0);
	ml_buf_init(&tg->fold, 0);
	tg->vmask = 4095;
	tg->v = ml_malloc((tg->vmask + 1) * sizeof *tg->v);
	if (!tg->label || !tg->control || !tg->v || trie_init(&tg->terms) || trie_init(&tg->trig))
		goto oom;
	for (size_t i = 0; i <= tg->vmask; i++)
		tg->v[i].id = -1;
	for (int c = 0; c < o->n; c++) {
		const struct text_concept *cc = &o->concepts[c];
		if (cc->obsolete && !tg->opts.include_obsolete)
			continue;
		for (int k = -1; k < cc->nsyn; k++) {
			const char *term = k < 0 ? cc->display : cc->synonyms[k];
			size_t ntok;
			int node = insert_phrase(tg, &tg->terms, term, &ntok);
			if (node == -2)
				goto oom;
			if (node < 0 || too_generic(tg))
				continue;
			if (tg->nt == tg->at) {
				size_t na = tg->at ? tg->at * 2 : 4096;
				struct term *nv = ml_realloc(tg->t, na * sizeof *nv);
				if (!nv)
					goto oom;
				tg->t = nv;
				tg->at = na;
			}
			tg->t[tg->nt++] = (struct term){c, node, term, is_abbrev(term), k < 0};
		}
	}
	if (tg->nt > 1)
		qsort(tg->t, tg->nt, sizeof *tg->t, cmp_term);
	tg->terms.first = ml_malloc(((size_t)tg->terms.nnodes + 1) * sizeof(int));
	tg->terms.count = ml_calloc((size_t)tg->terms.nnodes + 1, sizeof(int));
	if (!tg->terms.first || !tg->terms.count)
		goto oom;
	for (size_t i = tg->nt; i-- > 0;) {
		tg->terms.first[tg->t[i].node] = (int)i;
		tg->terms.count[tg->t[i].node]++;
	}
	/* Triggers; a phrase listed twice keeps the union of its kinds. */
	int *tnode = ml_malloc(ML_ARRAY_LEN(TRIGGERS) * sizeof(int));
	if (!tnode)
		goto oom;
	for (size_t i = 0; i < ML_ARRAY_LEN(TRIGGERS); i++) {
		size_t ntok;
		tnode[i] = insert_phrase(tg, &tg->trig, TRIGGERS[i].phrase, &ntok);
		if (tnode[i] == -2) {
			ml_free(tnode);
			goto oom;
		}
	}
	tg->trig_kind = ml_calloc((size_t)tg->trig.nnodes + 1, sizeof(unsigned));
	if (!tg->trig_kind) {
		ml_free(tnode);
		goto oom;
	}
	for (size_t i = 0; i < ML_ARRAY_LEN(TRIGGERS); i++)
		if (tnode[i] > 0)
			tg->trig_kind[tnode[i]] |= TRIGGERS[i].kind;
	ml_free(tnode);
	*out = tg;
	return 0;
oom:
	text_tagger_free(tg);
	return ml_err_set(err, ML_ENOMEM, "out of memory building the tagger");
}

size_t text_tagger_terms(const struct text_tagger *tg)
{
	return tg->nt;
}

/* ---- tagging ------------------------------------------------------------------------------------------- */

struct tmatch {
	int a, b; /* token range, inclusive */
	unsigned kind;
};

/* Arabic writes the article and some particles onto the word: "الحمى" is "the fever", "والحمى" "and the
 * fever". A token the vocabulary lacks is looked up again without them (light stemming), so a dictionary
 * term written without the article still matches; the span keeps the whole token. */
static int arabic_clitic(const struct text_tagger *tg, const char *s, size_t n)
{
	static const char *const prefixes[] = {"\xD9\x88\xD8\xA7\xD9\x84", /* وال */ "\xD8\xA8\xD8\xA7\xD9\x84", /* بال */
					       "\xD9\x81\xD8\xA7\xD9\x84", /* فال */ "\xD9\x83\xD8\xA7\xD9\x84", /* كال */
					       "\xD8\xA7\xD9\x84",            /* ال */ "\xD9\x84\xD9\x84",  /* لل */
					       "\xD9\x88"};                                               /* و */
	for (size_t k = 0; k < ML_ARRAY_LEN(prefixes); k++) {
		size_t pl = strlen(prefixes[k]);
		if (n > pl + 2 && !memcmp(s, prefixes[k], pl)) { /* keep at least two letters */
			int id = vocab_find(tg, s + pl, n - pl, text_hash64(s + pl, n - pl));
			if (id >= 0)
				return id;
		}
	}
	return -1;
}

/* The vocabulary id of every token (-1: in no term or trigger). */
static int lookup_ids(struct text_tagger *tg, const char *text)
{
	if (tg->tk.n > tg->aids) {
		size_t na = tg->tk.n * 2;
		int32_t *ni = ml_realloc(tg->ids, na * sizeof *ni);
		if (!ni)
			return -1;
		tg->ids = ni;
		tg->aids = na;
	}
	char low[MAX_TOKEN_BYTES];
	for (size_t i = 0; i < tg->tk.n; i++) {
		const struct text_token *k = &tg->tk.v[i];
		size_t n = k->bend - k->bstart;
		const char *s = text + k->bstart;
		if (n > MAX_TOKEN_BYTES) {
			tg->ids[i] = -1;
			continue;
		}
		/* ASCII fast path: lower-case and hash in one loop. */
		uint64_t h = 1469598103934665603ULL;
		size_t j = 0;
		for (; j < n; j++) {
			uint8_t c = (uint8_t)s[j];
			if (c >= 0x80)
				break;
			if (c >= 'A' && c <= 'Z')
				c += 32;
			low[j] = (char)c;
			h = (h ^ c) * 1099511628211ULL;
		}
		if (j == n) {
			tg->ids[i] = vocab_find(tg, low, n, h);
			/* English plurals: "seizures" finds the term "seizure" when the plural itself is not a term
			 * word ("no seizures" must be tagged and negated). Not for "-ss" ("abscess") or short words. */
			if (tg->ids[i] < 0 && n > 4 && low[n - 1] == 's' && low[n - 2] != 's' && low[n - 2] != 'u')
				tg->ids[i] = vocab_find(tg, low, n - 1, text_hash64(low, n - 1));
			continue;
		}
		ml_buf_reset(&tg->fold);
		if (text_fold(s, n, &tg->fold))
			return -1;
		tg->ids[i] = tg->fold.len ? vocab_find(tg, tg->fold.data, tg->fold.len,
						       text_hash64(tg->fold.data, tg->fold.len))
					  : -1;
		if (tg->ids[i] < 0)
			tg->ids[i] = arabic_clitic(tg, tg->fold.data, tg->fold.len);
	}
	return 0;
}

/* Longest match of the trie at token i; returns the last token of the match or -1. For terms, *term gets
 * the chosen term (the preferred display first, then the lowest concept; abbreviations only if the text
 * has exactly their case). */
static int longest(const struct text_tagger *tg, const struct trie *t, const char *text, size_t i, int *payload)
{
	int node = 0, best = -1;
	for (size_t j = i; j < tg->tk.n; j++) {
		if (tg->ids[j] < 0)
			break;
		node = trie_child(t, node, tg->ids[j]);
		if (node < 0)
			break;
		if (t == &tg->trig) {
			if (tg->trig_kind[node]) {
				best = (int)j;
				*payload = node;
			}
		} else {
			int f = t->first[node], n = t->count[node];
			for (int k = 0; k < n; k++) {
				const struct term *tm = &tg->t[f + k];
				if (tm->cs) {
					size_t b0 = tg->tk.v[i].bstart, b1 = tg->tk.v[j].bend;
					if (b1 - b0 != strlen(tm->form) || memcmp(text + b0, tm->form, b1 - b0))
						continue;
				}
				best = (int)j;
				*payload = f + k;
				break;
			}
		}
		if (tg->tk.v[j].sentence_end)
			break;
	}
	return best;
}

int text_tagger_run(struct text_tagger *tg, const char *text, size_t len, struct text_doc *doc, struct ml_err *err)
{
	if (text_tokenize(text, len, false, &tg->tk, err))
		return -1;
	if (lookup_ids(tg, text))
		return ml_err_set(err, ML_ENOMEM, "out of memory tagging");
	size_t n = tg->tk.n;
	/* Triggers, left to right, longest first. */
	struct tmatch *tr = NULL;
	size_t ntr = 0, atr = 0;
	int *sent = ml_malloc((n + 1) * sizeof(int));
	if (!sent)
		return ml_err_set(err, ML_ENOMEM, "out of memory tagging");
	for (size_t i = 0, s = 0; i < n; i++) {
		sent[i] = (int)s;
		if (tg->tk.v[i].sentence_end)
			s++;
	}
	for (size_t i = 0; i < n;) {
		int node = 0;
		int j = tg->ids[i] < 0 ? -1 : longest(tg, &tg->trig, text, i, &node);
		if (j < 0) {
			i++;
			continue;
		}
		if (ntr == atr) {
			atr = atr ? atr * 2 : 64;
			struct tmatch *nt = ml_realloc(tr, atr * sizeof *nt);
			if (!nt) {
				ml_free(tr);
				ml_free(sent);
				return ml_err_set(err, ML_ENOMEM, "out of memory tagging");
			}
			tr = nt;
		}
		tr[ntr++] = (struct tmatch){(int)i, j, tg->trig_kind[node]};
		i = (size_t)j + 1;
	}
	/* Concepts, left to right, longest first; each gets the context of the triggers around it. */
	int scope = tg->opts.scope_tokens;
	size_t ti = 0; /* first trigger starting at or after the current concept */
	int nspan = doc->nspans;
	char *label = NULL, *control = NULL, *system = NULL, *version = NULL;
	for (size_t i = 0; i < n;) {
		int tix = -1;
		int j = tg->ids[i] < 0 ? -1 : longest(tg, &tg->terms, text, i, &tix);
		if (j < 0) {
			i++;
			continue;
		}
		const struct term *tm = &tg->t[tix];
		const struct text_concept *c = &tg->o->concepts[tm->concept];
		unsigned attrs = 0;
		while (ti < ntr && tr[ti].a < (int)i)
			ti++;
		/* Backwards: triggers ending before the concept, same sentence, within the scope, no terminator. */
		for (size_t k = ti; k-- > 0;) {
			const struct tmatch *m = &tr[k];
			if (m->b >= (int)i)
				continue; /* overlaps the concept */
			if (sent[m->b] != sent[i] || (int)i - m->b - 1 > scope || (m->kind & TR_TERM))
				break;
			if (m->kind & TR_PRE_NEG)
				attrs |= TEXT_ATTR_NEGATED;
			if (m->kind & TR_PRE_UNC)
				attrs |= TEXT_ATTR_UNCERTAIN;
			if (m->kind & TR_PRE_HIST)
				attrs |= TEXT_ATTR_HISTORICAL;
			if (m->kind & TR_PRE_FAM)
				attrs |= TEXT_ATTR_FAMILY;
		}
		/* Forwards: triggers after the concept. */
		for (size_t k = ti; k < ntr; k++) {
			const struct tmatch *m = &tr[k];
			if (m->a <= j)
				continue;
			if (sent[m->a] != sent[j] || m->a - j - 1 > scope || (m->kind & TR_TERM))
				break;
			if (m->kind & TR_POST_NEG)
				attrs |= TEXT_ATTR_NEGATED;
			if (m->kind & TR_POST_UNC)
				attrs |= TEXT_ATTR_UNCERTAIN;
			if (m->kind & TR_POST_HIST)
				attrs |= TEXT_ATTR_HISTORICAL;
		}
		/* "pneumonia?" and the clinical shorthand "?pneumonia" */
		if (tg->tk.v[j].question || (tg->tk.v[i].bstart > 0 && text[tg->tk.v[i].bstart - 1] == '?'))
			attrs |= TEXT_ATTR_UNCERTAIN;
		if (!label) { /* the strings every span of this run shares: copied into the document once */
			label = text_doc_strdup(doc, tg->label);
			control = text_doc_strdup(doc, tg->control);
			system = text_doc_strdup(doc, tg->o->name ? tg->o->name : tg->o->system);
			version = text_doc_strdup(doc, tg->o->version);
		}
		struct text_span *sp = text_doc_add_span(doc, tg->tk.v[i].start, tg->tk.v[j].end, NULL);
		/* "T<n>" without printf: this runs once per match */
		char id[16], *e = id + sizeof id;
		*--e = '\0';
		for (unsigned v = (unsigned)++nspan; v; v /= 10)
			*--e = (char)('0' + v % 10);
		*--e = 'T';
		sp->id = ml_arena_strndup(&doc->arena, e, (size_t)(id + sizeof id - 1 - e));
		sp->label = label;
		sp->control = control;
		sp->system = system;
		sp->code = c->code; /* the ontology's own strings: it outlives the tagger and so the run */
		sp->display = c->display;
		sp->version = version;
		sp->attrs = attrs & tg->opts.attrs_mask;
		sp->score = 1.0;
		i = (size_t)j + 1;
	}
	ml_free(tr);
	ml_free(sent);
	return 0;
}
