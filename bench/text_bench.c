/* text_bench.c: the driver behind bench/text_tagger.sh and bench/fhir_import.sh. Generates its own data
 * (a 20,000-term dictionary, notes, NDJSON DocumentReferences) deterministically and times src/text.
 *
 *   text_bench tagger MB TERMS      tag MB of generated notes; also tokenizer-only as a floor
 *   text_bench search TERMS QUERIES ontology search latency percentiles
 *   text_bench gen-notes MB FILE    write the notes (one per line) for the `cat` floor
 *   text_bench gen-ndjson N FILE    N NDJSON DocumentReferences (plus an Observation every 10)
 *   text_bench fhir FILE            import FILE with a counting emit: items/s and peak RSS
 */
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *PRE[] = {"cardio", "neuro", "hepato", "nephro", "gastro", "dermato", "osteo", "myo", "pulmo",
			    "hemato", "angio", "arthro", "encephalo", "retino", "oto", "rhino", "chondro", "lympho",
			    "thyro", "cysto", "colo", "pancreato", "spleno", "vasculo"};
static const char *ROOT[] = {"pathy", "itis", "osis", "algia", "megaly", "plasia", "trophy", "sclerosis", "malacia",
			     "stenosis", "ectasia", "rrhagia", "spasm", "lithiasis", "cele", "penia"};
static const char *MOD[] = {"acute", "chronic", "congenital", "bilateral", "left", "right", "severe", "mild",
			    "recurrent", "progressive", "focal", "diffuse", "juvenile", "familial", "atypical", "primary"};
static const char *FILL[] = {"the", "patient", "was", "seen", "in", "clinic", "today", "with", "a", "of", "and",
			     "reports", "for", "on", "after", "follow", "up", "visit", "exam", "shows", "noted", "plan",
			     "continue", "current", "medication", "dose", "daily", "mg", "blood", "pressure", "stable",
			     "review", "imaging", "labs", "within", "normal", "limits", "discussed", "options", "her",
			     "his", "at", "this", "time", "will", "return", "weeks", "referred", "to", "specialist"};
static const char *TRIG[] = {"no", "denies", "history of", "mother had", "possible", "no evidence of", "but",
			     "negative for", "rule out", "father with"};

/* Term i of the synthetic dictionary: "<mod> <pre><root>" or "<pre><root> <pre><root>". */
static void term(int i, char *out, size_t n)
{
	int np = (int)ML_ARRAY_LEN(PRE), nr = (int)ML_ARRAY_LEN(ROOT), nm = (int)ML_ARRAY_LEN(MOD);
	int w = np * nr;
	if (i < nm * w)
		snprintf(out, n, "%s %s%s", MOD[i / w], PRE[(i % w) / nr], ROOT[i % nr]);
	else {
		int k = i - nm * w;
		snprintf(out, n, "%s%s %s%s", PRE[(k / w) % np], ROOT[(k / w / np) % nr], PRE[(k % w) / nr], ROOT[k % nr]);
	}
}

static struct text_ontology *dictionary(int nterms)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	if (ml_buf_puts(&b, "code,display,synonyms\n"))
		abort();
	char t[128], s[128];
	for (int i = 0; i < nterms; i++) {
		term(i, t, sizeof t);
		term((i * 7 + 3) % (nterms * 2) + nterms, s, sizeof s); /* a synonym outside the displays */
		if (ml_buf_printf(&b, "SY:%07d,%s,%s\n", i, t, s))
			abort();
	}
	struct text_ontology *o = text_ontology_new();
	struct ml_err err;
	if (text_ontology_parse_mem(b.data, b.len, TEXT_ONTO_CSV, o, &err) || text_ontology_index(o, &err)) {
		fprintf(stderr, "dictionary: %s\n", err.msg);
		exit(1);
	}
	o->name = "SYNTH";
	ml_buf_release(&b);
	return o;
}

/* Notes of 500..3000 bytes: filler sentences with dictionary terms (15% of slots) and triggers (6%). */
static char *notes(size_t mb, int nterms, size_t **offs, size_t *nnotes)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	size_t cap = 1024, n = 0;
	size_t *o = malloc(cap * sizeof *o);
	char t[128];
	while (b.len < mb << 20) {
		if (n + 1 >= cap)
			o = realloc(o, (cap *= 2) * sizeof *o);
		o[n++] = b.len;
		size_t target = b.len + 500 + rnd(2500);
		while (b.len < target) {
			int words = 6 + (int)rnd(14);
			for (int w = 0; w < words; w++) {
				unsigned r = rnd(100);
				const char *s;
				if (r < 15) {
					term((int)rnd((unsigned)nterms), t, sizeof t);
					s = t;
				} else if (r < 21) {
					s = TRIG[rnd(ML_ARRAY_LEN(TRIG))];
				} else {
					s = FILL[rnd(ML_ARRAY_LEN(FILL))];
				}
				if (ml_buf_puts(&b, s) || ml_buf_putc(&b, w + 1 < words ? ' ' : '.'))
					abort();
			}
			if (ml_buf_putc(&b, ' '))
				abort();
		}
		b.data[b.len - 1] = '\n';
	}
	o[n] = b.len;
	*offs = o;
	*nnotes = n;
	return ml_buf_detach(&b, NULL);
}

/* The machine is shared with other builds: throughput per core is measured in this thread's CPU time. */
static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double secs(int64_t t0)
{
	return (double)(ml_monotonic_ns() - t0) / 1e9;
}

static double cpu_secs(int64_t t0)
{
	return (double)(cpu_ns() - t0) / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int bench_tagger(size_t mb, int nterms)
{
	int64_t t0 = ml_monotonic_ns();
	struct text_ontology *o = dictionary(nterms);
	struct text_tagger *tg;
	struct ml_err err;
	if (text_tagger_new(o, NULL, &tg, &err))
		return 1;
	double build = secs(t0);
	size_t *off, n;
	char *all = notes(mb, nterms, &off, &n);
	size_t total = off[n];
	/* tokenizer alone: the floor of any matcher built on it */
	struct text_tokens tk = {0};
	t0 = cpu_ns();
	size_t ntok = 0;
	for (size_t i = 0; i < n; i++) {
		if (text_tokenize(all + off[i], off[i + 1] - off[i] - 1, false, &tk, &err))
			return 1;
		ntok += tk.n;
	}
	double tok_s = cpu_secs(t0);
	text_tokens_release(&tk);
	t0 = cpu_ns();
	int64_t w0 = ml_monotonic_ns();
	long spans = 0, neg = 0, fam = 0;
	for (size_t i = 0; i < n; i++) {
		struct text_doc d;
		text_doc_init(&d);
		if (text_tagger_run(tg, all + off[i], off[i + 1] - off[i] - 1, &d, &err))
			return 1;
		spans += d.nspans;
		for (int k = 0; k < d.nspans; k++) {
			neg += (d.spans[k].attrs & TEXT_ATTR_NEGATED) != 0;
			fam += (d.spans[k].attrs & TEXT_ATTR_FAMILY) != 0;
		}
		text_doc_release(&d);
	}
	double tag_s = cpu_secs(t0), tag_wall = secs(w0);
	printf("{\"bytes\":%zu,\"notes\":%zu,\"tokens\":%zu,\"terms\":%zu,\"build_s\":%.3f,\"tokenize_mb_s\":%.1f,"
	       "\"tag_wall_mb_s\":%.1f,\"tag_mb_s\":%.1f,\"notes_per_s\":%.0f,\"spans\":%ld,\"negated\":%ld,\"family\":%ld,\"peak_rss_kb\":%ld}\n",
	       total, n, ntok, text_tagger_terms(tg), build, total / tok_s / 1048576.0, total / tag_wall / 1048576.0,
	       total / tag_s / 1048576.0,
	       n / tag_s, spans, neg, fam, peak_rss_kb());
	free(all);
	free(off);
	text_tagger_free(tg);
	text_ontology_free(o);
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Saving to DATA/ontologies and loading back (parse the TSV, resolve the hierarchy, build the search index):
 * what a server pays the first time a route names the ontology. CPU time, best of 3. */
static double load_ms(struct text_ontology *o)
{
	char dir[] = "/tmp/medlabel-bench-onto-XXXXXX";
	struct ml_err err;
	if (!mkdtemp(dir) || text_ontology_save(dir, o, &err))
		return -1;
	double best = 1e9;
	for (int i = 0; i < 3; i++) {
		int64_t t0 = cpu_ns();
		struct text_ontology *l;
		if (text_ontology_open(dir, "SYNTH", 0, &l, &err))
			return -1;
		double ms = (double)(cpu_ns() - t0) / 1e6;
		best = ms < best ? ms : best;
		text_ontology_free(l);
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd))
		return -1;
	return best;
}

static int bench_search(int nterms, int nq)
{
	struct text_ontology *o = dictionary(nterms);
	o->version = "1";
	double load = load_ms(o);
	double *lat = malloc((size_t)nq * sizeof *lat), *clat = malloc((size_t)nq * sizeof *clat);
	struct text_hit h[20];
	struct ml_err err;
	char q[160], t[128];
	double cold = 0;
	long empty = 0;
	for (int i = 0; i < nq; i++) {
		term((int)rnd((unsigned)nterms), t, sizeof t);
		unsigned kind = rnd(4);
		if (kind == 0) { /* a prefix as typed */
			size_t l = 3 + rnd(10);
			snprintf(q, sizeof q, "%.*s", (int)l, t);
		} else if (kind == 1) { /* the whole term */
			snprintf(q, sizeof q, "%s", t);
		} else if (kind == 2) { /* a typo: swap two letters */
			snprintf(q, sizeof q, "%s", t);
			size_t l = strlen(q), p = 1 + rnd((unsigned)(l - 3));
			if (q[p] != ' ' && q[p + 1] != ' ') {
				char c = q[p];
				q[p] = q[p + 1];
				q[p + 1] = c;
			}
		} else { /* tokens out of order, the second one cut short */
			char *sp = strchr(t, ' ');
			if (sp)
				snprintf(q, sizeof q, "%s %.*s", sp + 1, (int)((sp - t) > 4 ? 4 : (sp - t)), t);
			else
				snprintf(q, sizeof q, "%s", t);
		}
		int64_t t0 = ml_monotonic_ns(), c0 = cpu_ns();
		int nh = text_ontology_search(o, q, h, 20, &err);
		lat[i] = (double)(ml_monotonic_ns() - t0) / 1e6;
		clat[i] = (double)(cpu_ns() - c0) / 1e6;
		if (i == 0)
			cold = lat[0];
		empty += nh <= 0;
	}
	qsort(lat, (size_t)nq, sizeof *lat, cmp_d);
	qsort(clat, (size_t)nq, sizeof *clat, cmp_d);
	printf("{\"concepts\":%d,\"queries\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
	       "\"cpu_p50_ms\":%.3f,\"cpu_p99_ms\":%.3f,\"cpu_max_ms\":%.3f,\"first_query_ms\":%.3f,\"no_hit\":%ld,"
	       "\"load_cpu_ms\":%.1f}\n",
	       o->n, nq, lat[nq / 2], lat[nq * 9 / 10], lat[nq * 99 / 100], lat[nq - 1], clat[nq / 2], clat[nq * 99 / 100],
	       clat[nq - 1], cold, empty, load);
	free(lat);
	free(clat);
	text_ontology_free(o);
	return 0;
}

static int gen_notes(size_t mb, const char *path)
{
	size_t *off, n;
	char *all = notes(mb, 20000, &off, &n);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(all, 1, off[n], f) != off[n] || fclose(f))
		return 1;
	free(all);
	free(off);
	return 0;
}

static int gen_ndjson(long n, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	struct ml_buf note, b64;
	ml_buf_init(&note, 0);
	ml_buf_init(&b64, 0);
	char t[128];
	for (long i = 0; i < n; i++) {
		ml_buf_reset(&note);
		ml_buf_reset(&b64);
		int words = 30 + (int)rnd(50);
		for (int w = 0; w < words; w++) {
			const char *s = FILL[rnd(ML_ARRAY_LEN(FILL))];
			if (rnd(10) == 0) {
				term((int)rnd(20000), t, sizeof t);
				s = t;
			}
			if (ml_buf_puts(&note, s) || ml_buf_putc(&note, w + 1 < words ? ' ' : '.'))
				return 1;
		}
		if (text_base64_encode(&b64, note.data, note.len))
			return 1;
		fprintf(f,
			"{\"resourceType\":\"DocumentReference\",\"id\":\"doc-%ld\",\"status\":\"current\","
			"\"type\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"11506-3\",\"display\":\"Progress note\"}]},"
			"\"subject\":{\"reference\":\"Patient/p%ld\"},\"date\":\"2024-01-%02ld\","
			"\"content\":[{\"attachment\":{\"contentType\":\"text/plain; charset=utf-8\",\"data\":\"%s\"}}]}\n",
			i, i / 5, 1 + i % 28, b64.data);
		if (i % 10 == 0)
			fprintf(f,
				"{\"resourceType\":\"Observation\",\"id\":\"obs-%ld\",\"status\":\"final\",\"subject\":{\"reference\":"
				"\"Patient/p%ld\"},\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8310-5\"}]},"
				"\"valueQuantity\":{\"value\":%.1f,\"unit\":\"Cel\"}}\n",
				i, i / 5, 36.0 + rnd(30) / 10.0);
	}
	ml_buf_release(&note);
	ml_buf_release(&b64);
	return fclose(f) ? 1 : 0;
}

static int count_emit(void *ctx, const struct store_item *it, struct ml_err *err)
{
	(void)err;
	*(long *)ctx += (long)strlen(it->text) > 0;
	return 0;
}

static int bench_fhir(const char *path)
{
	long items = 0;
	struct text_import_opts o = {.emit = count_emit, .ctx = &items};
	struct text_import_stats st;
	struct ml_err err;
	int64_t t0 = ml_monotonic_ns(), c0 = cpu_ns();
	if (text_fhir_import(path, &o, &st, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double s = secs(t0), cs = cpu_secs(c0);
	printf("{\"items\":%ld,\"observations\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"cpu_seconds\":%.3f,"
	       "\"items_per_s\":%.0f,\"items_per_cpu_s\":%.0f,\"peak_rss_kb\":%ld}\n",
	       items, st.observations, st.errors, s, cs, items / s, items / cs, peak_rss_kb());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "tagger"))
		return bench_tagger((size_t)atol(argv[2]), atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "search"))
		return bench_search(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "gen-notes"))
		return gen_notes((size_t)atol(argv[2]), argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "gen-ndjson"))
		return gen_ndjson(atol(argv[2]), argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "fhir"))
		return bench_fhir(argv[2]);
	fprintf(stderr, "usage: text_bench tagger MB TERMS | search TERMS QUERIES | gen-notes MB FILE | "
			"gen-ndjson N FILE | fhir FILE\n");
	return 2;
}
