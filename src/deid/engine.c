/* engine.c: the deid engine: its types' names, building and freeing it, and deid_text, which runs the phases
 * (tokens.c, patterns.c, names.c, resolve.c) over one note and replaces its spans (replace.c). */
#include "deid/engine_int.h"

#include <ctype.h>
#include <pthread.h>
#include <strings.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static const char *const TYPE_NAMES[DEID_NTYPES] = {
	"PATIENT", "DOCTOR", "USERNAME", "PROFESSION", "ROOM", "DEPARTMENT", "HOSPITAL", "ORGANIZATION",
	"STREET", "CITY", "STATE", "COUNTRY", "ZIP", "LOCATION_OTHER", "AGE", "DATE", "PHONE", "FAX", "EMAIL",
	"URL", "IPADDR", "SSN", "MEDICALRECORD", "HEALTHPLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE", "BIOID",
	"IDNUM"};

const char *deid_type_name(enum deid_type t)
{
	return (unsigned)t < DEID_NTYPES ? TYPE_NAMES[t] : NULL;
}

int deid_type_parse(const char *s, size_t n)
{
	for (int i = 0; i < DEID_NTYPES; i++)
		if (strlen(TYPE_NAMES[i]) == n && !memcmp(TYPE_NAMES[i], s, n))
			return i;
	return -1;
}

const char *deid_source_name(enum deid_source s)
{
	static const char *const names[] = {"known", "pattern", "context", "dict"};
	return (unsigned)s < 4 ? names[s] : "unknown";
}

int deid_mode_parse(const char *s)
{
	static const char *const names[] = {"none", "tag", "mask", "surrogate"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

void deid_opts_init(struct deid_opts *o)
{
	memset(o, 0, sizeof *o);
	o->mode = DEID_MODE_TAG;
}

void deid_result_init(struct deid_result *r)
{
	memset(r, 0, sizeof *r);
}

void deid_result_release(struct deid_result *r)
{
	ml_free(r->spans);
	ml_free(r->text);
	ml_free(r->segs);
	memset(r, 0, sizeof *r);
}

struct deid_engine *deid_engine_new(struct ml_err *err)
{
	struct deid_engine *e = ml_calloc(1, sizeof *e);
	if (!e) {
		ml_err_set(err, ML_ENOMEM, "out of memory building the de-identification engine");
		return NULL;
	}
	if (deid_dict_build(&e->dict) != 0) {
		ml_err_set(err, ML_EINVAL, "de-identification dictionaries are empty (build problem)");
		deid_engine_free(e);
		return NULL;
	}
	if (deid_patterns_build(e, err) != 0) {
		deid_engine_free(e);
		return NULL;
	}
	return e;
}

void deid_engine_free(struct deid_engine *e)
{
	if (!e)
		return;
	deid_patterns_release(e);
	deid_dict_release(&e->dict);
	ml_free(e);
}

/* text_run's per-note buffers and PCRE2 match data, kept by each thread between notes (a note's set-up was
 * a dozen allocations, a few per cent of the time of a short note). Freed when the thread ends; buffers
 * grown for a note above SCRATCH_KEEP bytes are freed after it. */
enum { SCRATCH_KEEP = 1 << 20 };
struct run_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	char *copy, *low; /* the note NUL-terminated, and its ASCII lower-case copy */
	size_t cap;       /* bytes of copy and low */
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;

static void scratch_buffers_free(struct run_scratch *sc)
{
	ml_free(sc->copy);
	ml_free(sc->low);
	sc->copy = sc->low = NULL;
	sc->cap = 0;
}

static void scratch_free(void *p)
{
	struct run_scratch *sc = p;
	if (!sc)
		return;
	scratch_buffers_free(sc);
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mc);
	ml_free(sc);
}

static void scratch_key_make(void)
{
	scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's scratch with room for a note of len bytes; NULL when out of memory. If no thread key could
 * be made, *owned is set and the caller frees the scratch after the note. */
static struct run_scratch *scratch_get(size_t len, bool *owned)
{
	pthread_once(&scratch_once, scratch_key_make);
	struct run_scratch *sc = scratch_key_ok ? pthread_getspecific(scratch_key) : NULL;
	*owned = false;
	if (!sc) {
		sc = ml_calloc(1, sizeof *sc);
		if (!sc)
			return NULL;
		sc->md = pcre2_match_data_create(16, NULL);
		sc->mc = pcre2_match_context_create(NULL);
		if (!sc->md || !sc->mc) {
			scratch_free(sc);
			return NULL;
		}
		if (!scratch_key_ok || pthread_setspecific(scratch_key, sc) != 0)
			*owned = true;
	}
	if (sc->cap < len + 1) {
		scratch_buffers_free(sc);
		size_t cap = len + 1 > 4096 ? len + 1 : 4096;
		sc->copy = ml_malloc(cap);
		sc->low = ml_malloc(cap);
		if (!sc->copy || !sc->low) {
			scratch_buffers_free(sc);
			if (*owned)
				scratch_free(sc);
			return NULL;
		}
		sc->cap = cap;
	}
	return sc;
}

/* After a note: a one-off scratch is freed, a big note's buffers are not kept. */
static void scratch_put(struct run_scratch *sc, bool owned)
{
	if (owned)
		scratch_free(sc);
	else if (sc->cap > SCRATCH_KEEP)
		scratch_buffers_free(sc);
}

static int text_run(const struct deid_engine *e, const char *text, size_t len, const struct deid_known *known,
		    const struct deid_opts *opts, struct deid_result *out, bool reference, struct ml_err *err)
{
	deid_result_release(out);
	struct deid_opts defopts;
	if (!opts) {
		deid_opts_init(&defopts);
		opts = &defopts;
	}
	if (len > DEID_MAX_TEXT)
		return ml_err_set(err, ML_ELIMIT, "note of %zu bytes is larger than the %zu-byte limit", len,
				  (size_t)DEID_MAX_TEXT);
	size_t bad;
	if (!ml_utf8_valid(text, len, &bad))
		return ml_err_set(err, ML_EINVAL, "note is not valid UTF-8 at byte %zu", bad);
	bool owned;
	struct run_scratch *sc = scratch_get(len, &owned);
	if (!sc)
		return ml_err_set(err, ML_ENOMEM, "out of memory de-identifying a note");
	/* a NUL-terminated copy: the number checks read digits with atoi, and the caller's text need not end */
	char *copy = sc->copy;
	if (len)
		memcpy(copy, text, len);
	copy[len] = 0;
	struct ctx x = {.e = e, .s = copy, .n = len};
	int rc = -1;
	pcre2_match_data *md = sc->md;
	pcre2_match_context *mc = sc->mc;
	struct ml_cp_index ix = {0};
	x.low = sc->low;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)copy[i];
		/* ASCII only, as tolower in the C locale; without a branch, so the compiler can vectorise it */
		x.low[i] = (char)(c + ((unsigned)(c - 'A') < 26u) * 32);
	}
	x.low[len] = 0;
	deid_tokenize(&x);
	x.protect = ml_xcalloc(x.nt + 1, 1);
	deid_mark_eponyms(&x);
	deid_scan_patterns(&x, md, mc, reference);
	deid_context_names(&x);
	deid_cue_names(&x);
	deid_professions(&x);
	deid_dict_layer(&x);
	deid_known_layer(&x, known);
	/* first resolution, then names found once are looked for everywhere, then resolve again */
	size_t n1 = x.nc;
	struct deid_cand *snap = ml_xmalloc((n1 + 1) * sizeof *snap);
	if (n1)
		memcpy(snap, x.c, n1 * sizeof *snap);
	size_t nacc = deid_resolve(snap, n1, len);
	deid_coreference(&x, snap, nacc);
	deid_script_names(&x, snap, nacc);
	deid_list_names(&x, snap, nacc);
	ml_free(snap);
	size_t nfinal = deid_resolve(x.c, x.nc, len);
	/* an ASCII note (the usual case) needs no index: code points are bytes */
	bool ascii = deid_ascii(x.s, len);
	if (!ascii && ml_cp_index_build(&ix, x.s, len) != 0) {
		ml_err_set(err, ML_ENOMEM, "out of memory de-identifying a note");
		goto out;
	}
	out->spans = ml_xcalloc(nfinal + 1, sizeof *out->spans);
	for (size_t i = 0; i < nfinal; i++) {
		struct deid_span *sp = &out->spans[out->nspans++];
		sp->start = ascii ? x.c[i].start : ml_cp_index_cp_of_byte(&ix, x.c[i].start);
		sp->end = ascii ? x.c[i].end : ml_cp_index_cp_of_byte(&ix, x.c[i].end);
		sp->type = x.c[i].type;
		sp->source = x.c[i].source;
		sp->confidence = x.c[i].conf;
	}
	out->in_ncp = ascii ? len : ix.ncp;
	if (opts->mode != DEID_MODE_NONE || opts->keep_map) {
		if (deid_replace(e, x.s, len, x.c, nfinal, opts, out, err) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		deid_result_release(out);
	ml_cp_index_release(&ix);
	ml_free(x.t);
	ml_free(x.c);
	ml_free(x.protect);
	scratch_put(sc, owned);
	return rc;
}

int deid_text(const struct deid_engine *e, const char *text, size_t len, const struct deid_known *known,
	      const struct deid_opts *opts, struct deid_result *out, struct ml_err *err)
{
	return text_run(e, text, len, known, opts, out, false, err);
}

int deid_text_reference(const struct deid_engine *e, const char *text, size_t len, const struct deid_known *known,
			const struct deid_opts *opts, struct deid_result *out, struct ml_err *err)
{
	return text_run(e, text, len, known, opts, out, true, err);
}

