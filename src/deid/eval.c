/* eval.c: scores the engine against BRAT standoff gold (i2b2 types) or a Presidio JSON file. */
#include "deid/deid_int.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#define MAX_NOTE ((size_t)16 << 20)
#define MAX_GOLD_FILE ((size_t)512 << 20)

enum { CAT_NAME, CAT_PROF, CAT_LOC, CAT_AGE, CAT_DATE, CAT_CONTACT, CAT_ID };

static int category(int t)
{
	switch (t) {
	case DEID_PATIENT:
	case DEID_DOCTOR:
	case DEID_USERNAME:
		return CAT_NAME;
	case DEID_PROFESSION:
		return CAT_PROF;
	case DEID_AGE:
		return CAT_AGE;
	case DEID_DATE:
		return CAT_DATE;
	case DEID_PHONE:
	case DEID_FAX:
	case DEID_EMAIL:
	case DEID_URL:
	case DEID_IPADDR:
		return CAT_CONTACT;
	default:
		return t >= DEID_ROOM && t <= DEID_LOCATION_OTHER ? CAT_LOC : CAT_ID;
	}
}

/* Presidio entity types and the i2b2 type each stands for (-1: not PHI in i2b2, not scored). */
static const struct {
	const char *name;
	int type;
} PRESIDIO[] = {{"PERSON", DEID_PATIENT}, {"DATE_TIME", DEID_DATE}, {"PHONE_NUMBER", DEID_PHONE},
		{"EMAIL_ADDRESS", DEID_EMAIL}, {"US_SSN", DEID_SSN}, {"IP_ADDRESS", DEID_IPADDR},
		{"STREET_ADDRESS", DEID_STREET}, {"GPE", DEID_CITY}, {"LOCATION", DEID_LOCATION_OTHER},
		{"ORGANIZATION", DEID_ORGANIZATION}, {"ZIP_CODE", DEID_ZIP}, {"DOMAIN_NAME", DEID_URL},
		{"URL", DEID_URL}, {"AGE", DEID_AGE}, {"CREDIT_CARD", DEID_ACCOUNT}, {"IBAN_CODE", DEID_ACCOUNT},
		{"US_BANK_NUMBER", DEID_ACCOUNT}, {"US_DRIVER_LICENSE", DEID_LICENSE},
		{"MEDICAL_LICENSE", DEID_LICENSE}, {"US_PASSPORT", DEID_IDNUM}, {"US_ITIN", DEID_IDNUM},
		{"NRP", -1}, {"TITLE", -1}};

/* The Presidio name a prediction of i2b2 type t is reported under. */
static const char *presidio_name(int t)
{
	switch (t) {
	case DEID_PATIENT:
	case DEID_DOCTOR:
	case DEID_USERNAME:
		return "PERSON";
	case DEID_DATE:
		return "DATE_TIME";
	case DEID_PHONE:
	case DEID_FAX:
		return "PHONE_NUMBER";
	case DEID_EMAIL:
		return "EMAIL_ADDRESS";
	case DEID_SSN:
		return "US_SSN";
	case DEID_IPADDR:
		return "IP_ADDRESS";
	case DEID_STREET:
	case DEID_ROOM:
		return "STREET_ADDRESS";
	case DEID_CITY:
	case DEID_STATE:
	case DEID_COUNTRY:
		return "GPE";
	case DEID_LOCATION_OTHER:
		return "LOCATION";
	case DEID_HOSPITAL:
	case DEID_ORGANIZATION:
	case DEID_DEPARTMENT:
		return "ORGANIZATION";
	case DEID_ZIP:
		return "ZIP_CODE";
	case DEID_URL:
		return "DOMAIN_NAME";
	case DEID_AGE:
		return "AGE";
	case DEID_ACCOUNT:
		return "CREDIT_CARD";
	case DEID_LICENSE:
		return "US_DRIVER_LICENSE";
	case DEID_PROFESSION:
		return "PROFESSION";
	default:
		return "ID";
	}
}

struct gspan {
	size_t start, end;
	int type;     /* i2b2 type used for categories (-1 ignored) */
	int name_ix;  /* index into the score's type names */
};

void deid_eval_init(struct deid_eval *ev)
{
	memset(ev, 0, sizeof *ev);
}

static void free_misses(struct deid_miss *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ml_free(m[i].text);
		ml_free(m[i].context);
	}
	ml_free(m);
}

void deid_eval_release(struct deid_eval *ev)
{
	free_misses(ev->misses, ev->nmisses);
	free_misses(ev->false_pos, ev->nfalse_pos);
	ml_free(ev->scores.type_names);
	ml_free(ev->scores.tok_by);
	ml_free(ev->scores.exact_by);
	ml_free(ev->scores.overlap_by);
	memset(ev, 0, sizeof *ev);
}

static int type_ix(struct deid_scores *s, const char *name)
{
	for (size_t i = 0; i < s->ntypes; i++)
		if (!strcmp(s->type_names[i], name))
			return (int)i;
	size_t n = s->ntypes + 1;
	s->type_names = ml_xrealloc(s->type_names, n * sizeof *s->type_names);
	s->tok_by = ml_xrealloc(s->tok_by, n * sizeof *s->tok_by);
	s->exact_by = ml_xrealloc(s->exact_by, n * sizeof *s->exact_by);
	s->overlap_by = ml_xrealloc(s->overlap_by, n * sizeof *s->overlap_by);
	snprintf(s->type_names[s->ntypes], sizeof s->type_names[0], "%s", name);
	memset(&s->tok_by[s->ntypes], 0, sizeof s->tok_by[0]);
	memset(&s->exact_by[s->ntypes], 0, sizeof s->exact_by[0]);
	memset(&s->overlap_by[s->ntypes], 0, sizeof s->overlap_by[0]);
	return (int)s->ntypes++;
}

/* Text of code points [a, b) of s (with cps index), newlines shown as spaces. */
static char *slice(const char *s, const struct ml_cp_index *ix, size_t a, size_t b)
{
	if (a > ix->ncp)
		a = ix->ncp;
	if (b > ix->ncp)
		b = ix->ncp;
	size_t ba = ix->byte_of_cp[a], bb = ix->byte_of_cp[b];
	char *r = ml_xstrndup(s + ba, bb - ba);
	for (char *p = r; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	return r;
}

static void add_miss(struct deid_miss **arr, size_t *n, const char *note, const char *type, const char *s,
		     const struct ml_cp_index *ix, size_t a, size_t b)
{
	if (*n % 64 == 0)
		*arr = ml_xrealloc(*arr, (*n + 64) * sizeof **arr);
	struct deid_miss *m = &(*arr)[(*n)++];
	memset(m, 0, sizeof *m);
	snprintf(m->note, sizeof m->note, "%s", note);
	snprintf(m->type, sizeof m->type, "%s", type);
	m->start = a;
	m->end = b;
	m->text = slice(s, ix, a, b);
	m->context = slice(s, ix, a > 30 ? a - 30 : 0, b + 30);
}

/* Scores one note. presidio: gold type names are Presidio's and predictions are reported as such. */
static int score_note(const struct deid_engine *e, const char *note, const char *text, size_t len,
		      struct gspan *gold, size_t ngold, bool presidio, struct deid_eval *ev, struct ml_err *err)
{
	struct deid_result r;
	deid_result_init(&r);
	struct deid_opts o;
	deid_opts_init(&o);
	o.mode = DEID_MODE_NONE;
	if (deid_text(e, text, len, NULL, &o, &r, err) != 0)
		return -1;
	struct ml_cp_index ix;
	if (ml_cp_index_build(&ix, text, len) != 0) {
		deid_result_release(&r);
		return ml_err_set(err, ML_ENOMEM, "out of memory scoring '%s'", note);
	}
	size_t ncp = ix.ncp;
	int *gat = ml_xmalloc((ncp + 1) * sizeof *gat), *pat = ml_xmalloc((ncp + 1) * sizeof *pat);
	for (size_t i = 0; i <= ncp; i++)
		gat[i] = pat[i] = -1;
	for (size_t g = 0; g < ngold; g++)
		for (size_t c = gold[g].start; c < gold[g].end && c < ncp; c++)
			gat[c] = (int)g;
	for (size_t p = 0; p < r.nspans; p++)
		for (size_t c = r.spans[p].start; c < r.spans[p].end && c < ncp; c++)
			pat[c] = (int)p;
	struct deid_scores *S = &ev->scores;
	/* token level */
	uint8_t *gmiss = ml_xcalloc(ngold + 1, 1);
	for (size_t c = 0; c < ncp;) {
		int32_t cp;
		size_t b0 = ix.byte_of_cp[c];
		utf8proc_iterate((const utf8proc_uint8_t *)text + b0, (utf8proc_ssize_t)(len - b0), &cp);
		utf8proc_category_t cat = utf8proc_category(cp);
		if (!(cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO)) {
			c++;
			continue;
		}
		size_t a = c;
		while (c < ncp) {
			b0 = ix.byte_of_cp[c];
			utf8proc_iterate((const utf8proc_uint8_t *)text + b0, (utf8proc_ssize_t)(len - b0), &cp);
			cat = utf8proc_category(cp);
			if (!(cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO))
				break;
			c++;
		}
		int g = -1, p = -1;
		for (size_t q = a; q < c; q++) {
			if (g < 0 && gat[q] >= 0)
				g = gat[q];
			if (p < 0 && pat[q] >= 0)
				p = pat[q];
		}
		if (g >= 0 && gold[g].type < 0)
			continue; /* inside a span that is not scored */
		if (g >= 0) {
			struct deid_counts *bt = &S->tok_by[gold[g].name_ix];
			if (p >= 0)
				S->token.tp++, bt->tp++;
			else
				S->token.fn++, bt->fn++, gmiss[g] = 1;
		} else if (p >= 0) {
			S->token.fp++;
			const char *nm = presidio ? presidio_name(r.spans[p].type) : deid_type_name(r.spans[p].type);
			S->tok_by[type_ix(S, nm)].fp++;
		}
	}
	/* entity level */
	for (size_t g = 0; g < ngold; g++) {
		if (gold[g].type < 0)
			continue;
		bool exact = false, over = false;
		for (size_t p = 0; p < r.nspans; p++) {
			if (category(r.spans[p].type) != category(gold[g].type))
				continue;
			if (r.spans[p].start == gold[g].start && r.spans[p].end == gold[g].end)
				exact = true;
			if (r.spans[p].start < gold[g].end && gold[g].start < r.spans[p].end)
				over = true;
		}
		int k = gold[g].name_ix;
		if (exact)
			S->exact.tp++, S->exact_by[k].tp++;
		else
			S->exact.fn++, S->exact_by[k].fn++;
		if (over)
			S->overlap.tp++, S->overlap_by[k].tp++;
		else
			S->overlap.fn++, S->overlap_by[k].fn++;
		if (gmiss[g])
			add_miss(&ev->misses, &ev->nmisses, note, S->type_names[k], text, &ix, gold[g].start, gold[g].end);
	}
	for (size_t p = 0; p < r.nspans; p++) {
		bool exact = false, over = false, ignored = false;
		for (size_t g = 0; g < ngold; g++) {
			bool ov = r.spans[p].start < gold[g].end && gold[g].start < r.spans[p].end;
			if (gold[g].type < 0) {
				ignored |= ov;
				continue;
			}
			if (category(r.spans[p].type) != category(gold[g].type))
				continue;
			if (r.spans[p].start == gold[g].start && r.spans[p].end == gold[g].end)
				exact = true;
			over |= ov;
		}
		if (ignored)
			continue;
		const char *nm = presidio ? presidio_name(r.spans[p].type) : deid_type_name(r.spans[p].type);
		int k = type_ix(S, nm);
		if (!exact)
			S->exact.fp++, S->exact_by[k].fp++;
		if (!over) {
			S->overlap.fp++, S->overlap_by[k].fp++;
			add_miss(&ev->false_pos, &ev->nfalse_pos, note, nm, text, &ix, r.spans[p].start, r.spans[p].end);
		}
	}
	S->notes++;
	ml_free(gmiss);
	ml_free(gat);
	ml_free(pat);
	ml_cp_index_release(&ix);
	deid_result_release(&r);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses one .ann file: "T1<TAB>TYPE start end<TAB>text" lines ("start end;start end" fragments are
 * taken from the first start to the last end). Lines of other kinds (relations, notes) are skipped. */
static int parse_ann(const char *path, const char *data, size_t ncp, struct deid_scores *S, struct gspan **out,
		     size_t *nout, struct ml_err *err)
{
	size_t line = 0;
	for (const char *p = data; *p;) {
		line++;
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (n && p[0] == 'T') {
			const char *tab = memchr(p, '\t', n);
			if (!tab)
				return ml_err_set(err, ML_EINVAL, "'%s' line %zu: expected a tab after the id", path, line);
			char typ[64];
			size_t a = 0, b = 0;
			const char *q = tab + 1;
			size_t tl = 0;
			while (q < p + n && *q != ' ' && *q != '\t' && tl + 1 < sizeof typ)
				typ[tl++] = *q++;
			typ[tl] = 0;
			char *endp;
			a = strtoul(q, &endp, 10);
			if (endp == q)
				return ml_err_set(err, ML_EINVAL, "'%s' line %zu: missing start offset", path, line);
			q = endp;
			b = strtoul(q, &endp, 10);
			if (endp == q)
				return ml_err_set(err, ML_EINVAL, "'%s' line %zu: missing end offset", path, line);
			q = endp;
			while (q < p + n && *q == ';') {
				strtoul(q + 1, &endp, 10);
				q = endp;
				b = strtoul(q, &endp, 10);
				q = endp;
			}
			if (a > b || b > ncp)
				return ml_err_set(err, ML_EINVAL, "'%s' line %zu: offsets %zu-%zu outside the %zu-character text",
						  path, line, a, b, ncp);
			int t = deid_type_parse(typ, tl);
			if (t < 0)
				return ml_err_set(err, ML_EINVAL, "'%s' line %zu: unknown PHI type", path, line);
			if (*nout % 64 == 0)
				*out = ml_xrealloc(*out, (*nout + 64) * sizeof **out);
			(*out)[(*nout)++] = (struct gspan){a, b, t, type_ix(S, typ)};
		}
		p += n + (eol ? 1 : 0);
	}
	return 0;
}

/* Is note number num selected? */
static bool selected(const struct deid_eval_sel *sel, long num)
{
	if (!sel)
		return true;
	if (num < sel->first || num > sel->last)
		return false;
	return sel->half == DEID_EVAL_ALL || (num % 2 == 0) == (sel->half == DEID_EVAL_EVEN);
}

static int run_brat(const struct deid_engine *e, const char *dir, const struct deid_eval_sel *sel,
		    struct deid_eval *ev, struct ml_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return ml_err_set(err, ML_ENOTFOUND, "cannot open gold folder '%s'", dir);
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".txt") && strcmp(de->d_name, "README.txt")) {
			if (!selected(sel, strtol(de->d_name, NULL, 10)))
				continue;
			names = ml_xrealloc(names, (nn + 1) * sizeof *names);
			names[nn++] = ml_xstrndup(de->d_name, l - 4);
		}
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmp_str);
	/* the type names of all i2b2 types, in the fixed order, so every report lists them */
	for (int t = 0; t < DEID_NTYPES; t++)
		type_ix(&ev->scores, deid_type_name(t));
	int rc = 0;
	for (size_t i = 0; i < nn && rc == 0; i++) {
		char *tp = ml_xasprintf("%s/%s.txt", dir, names[i]), *ap = ml_xasprintf("%s/%s.ann", dir, names[i]);
		char *text = NULL, *ann = NULL;
		size_t tl, al;
		struct gspan *gold = NULL;
		size_t ng = 0;
		if (ml_file_read(tp, MAX_NOTE, &text, &tl, err) != 0 || ml_file_read(ap, MAX_NOTE, &ann, &al, err) != 0) {
			rc = -1;
		} else {
			size_t bad;
			if (!ml_utf8_valid(text, tl, &bad))
				rc = ml_err_set(err, ML_EINVAL, "'%s' is not valid UTF-8 at byte %zu", tp, bad);
			else if (parse_ann(ap, ann, ml_utf8_cp_count(text, tl), &ev->scores, &gold, &ng, err) != 0)
				rc = -1;
			else
				rc = score_note(e, names[i], text, tl, gold, ng, false, ev, err);
		}
		ml_free(gold);
		ml_free(text);
		ml_free(ann);
		ml_free(tp);
		ml_free(ap);
	}
	for (size_t i = 0; i < nn; i++)
		ml_free(names[i]);
	ml_free(names);
	if (rc == 0 && ev->scores.notes == 0)
		return ml_err_set(err, ML_EINVAL, "no NNN.txt notes in gold folder '%s'", dir);
	return rc;
}

static int run_presidio(const struct deid_engine *e, const char *path, const struct deid_eval_sel *sel,
			struct deid_eval *ev, struct ml_err *err)
{
	json_error_t je;
	char *data = NULL;
	size_t len;
	if (ml_file_read(path, MAX_GOLD_FILE, &data, &len, err) != 0)
		return -1;
	json_t *root = json_loadb(data, len, 0, &je);
	ml_free(data);
	if (!root)
		return ml_err_set(err, ML_EINVAL, "'%s' line %d column %d: %s", path, je.line, je.column, je.text);
	int rc = 0;
	if (!json_is_array(root)) {
		rc = ml_err_set(err, ML_EINVAL, "'%s': expected a JSON array of {full_text, spans}", path);
		goto out;
	}
	for (size_t i = 0; i < ML_ARRAY_LEN(PRESIDIO); i++)
		if (PRESIDIO[i].type >= 0)
			type_ix(&ev->scores, PRESIDIO[i].name);
	size_t idx;
	json_t *item;
	json_array_foreach(root, idx, item)
	{
		if (!selected(sel, (long)idx))
			continue;
		const char *text = json_string_value(json_object_get(item, "full_text"));
		json_t *spans = json_object_get(item, "spans");
		if (!text || (spans && !json_is_array(spans))) {
			rc = ml_err_set(err, ML_EINVAL, "'%s' item %zu: needs \"full_text\" and a \"spans\" array", path, idx);
			break;
		}
		size_t tl = strlen(text), ncp = ml_utf8_cp_count(text, tl);
		struct gspan *gold = ml_xcalloc(json_array_size(spans) + 1, sizeof *gold);
		size_t ng = 0, si;
		json_t *sp;
		json_array_foreach(spans, si, sp)
		{
			const char *ty = json_string_value(json_object_get(sp, "entity_type"));
			json_t *js = json_object_get(sp, "start_position"), *je2 = json_object_get(sp, "end_position");
			if (!ty || !json_is_integer(js) || !json_is_integer(je2)) {
				rc = ml_err_set(err, ML_EINVAL, "'%s' item %zu span %zu: needs entity_type, start_position, end_position",
						path, idx, si);
				break;
			}
			json_int_t a = json_integer_value(js), b = json_integer_value(je2);
			if (a < 0 || b < a || (size_t)b > ncp) {
				rc = ml_err_set(err, ML_EINVAL, "'%s' item %zu span %zu: offsets outside the text", path, idx, si);
				break;
			}
			int t = DEID_IDNUM;
			bool known = false;
			for (size_t k = 0; k < ML_ARRAY_LEN(PRESIDIO); k++)
				if (!strcmp(PRESIDIO[k].name, ty))
					t = PRESIDIO[k].type, known = true;
			/* an unknown Presidio type is scored as an identifier under its own name */
			gold[ng++] = (struct gspan){(size_t)a, (size_t)b, t, t < 0 ? -1 : type_ix(&ev->scores, known ? ty : ty)};
		}
		if (rc == 0) {
			char note[32];
			snprintf(note, sizeof note, "item %zu", idx);
			rc = score_note(e, note, text, tl, gold, ng, true, ev, err);
		}
		ml_free(gold);
		if (rc)
			break;
	}
out:
	json_decref(root);
	return rc;
}

int deid_eval_run(const struct deid_engine *e, const char *gold, const struct deid_eval_sel *sel,
		  struct deid_eval *ev, struct ml_err *err)
{
	struct stat st;
	if (stat(gold, &st) != 0)
		return ml_err_set(err, ML_ENOTFOUND, "cannot open gold '%s'", gold);
	if (S_ISDIR(st.st_mode))
		return run_brat(e, gold, sel, ev, err);
	return run_presidio(e, gold, sel, ev, err);
}

static int put_counts(struct ml_buf *b, const struct deid_counts *c)
{
	double p = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 1.0;
	double r = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 1.0;
	double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
	return ml_buf_printf(b, "{\"tp\":%ld,\"fp\":%ld,\"fn\":%ld,\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f}",
			     c->tp, c->fp, c->fn, p, r, f);
}

static int put_level(struct ml_buf *b, const struct deid_scores *s, const struct deid_counts *overall,
		     const struct deid_counts *by)
{
	if (ml_buf_puts(b, "{\"overall\":") || put_counts(b, overall) || ml_buf_puts(b, ",\"by_type\":{"))
		return -1;
	bool first = true;
	for (size_t i = 0; i < s->ntypes; i++) {
		if (!by[i].tp && !by[i].fp && !by[i].fn)
			continue;
		if ((!first && ml_buf_putc(b, ',')) || ml_buf_json_str(b, s->type_names[i], strlen(s->type_names[i])) ||
		    ml_buf_putc(b, ':') || put_counts(b, &by[i]))
			return -1;
		first = false;
	}
	return ml_buf_puts(b, "}}");
}

int deid_eval_json(const struct deid_eval *ev, struct ml_buf *out)
{
	const struct deid_scores *s = &ev->scores;
	if (ml_buf_puts(out, "{\"token\":") || put_level(out, s, &s->token, s->tok_by) ||
	    ml_buf_puts(out, ",\"entity_exact\":") || put_level(out, s, &s->exact, s->exact_by) ||
	    ml_buf_puts(out, ",\"entity_overlap\":") || put_level(out, s, &s->overlap, s->overlap_by) ||
	    ml_buf_puts(out, "}"))
		return -1;
	return 0;
}
