/* names.c: the word-level rules of the deid engine: names by context (titles, labels, relations, cues),
 * dictionaries, eponyms, professions, the item's known identifiers, and other mentions of names found. */
#include "deid/engine_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* ---- names ------------------------------------------------------------------------------------------ */

/* Flags that keep a word out of names whatever else the dictionary says. */
#define NOT_NAME (DF_CLINICAL | DF_STOP | DF_MONTHDAY | DF_CRED | DF_TITLE_DR | DF_TITLE_PT | DF_RELATION | DF_GENERIC)

/* Can token i be part of a name? strict: must be capitalised (or upper case). */
static bool prefixed_cap(const struct ctx *x, size_t i);

static bool nameish(const struct ctx *x, size_t i, bool allow_lower)
{
	if (i >= x->nt)
		return false;
	const struct tok *t = &x->t[i];
	if (!(t->flags & TF_ALPHA))
		return false;
	if (t->dflags & (DF_STOP | DF_CRED | DF_MONTHDAY | DF_TITLE_DR | DF_TITLE_PT | DF_RELATION)) {
		/* a stop word that is also a common name ("Will", "May") only counts capitalised next to a name */
		if (!(t->dflags & (DF_FIRST | DF_LAST)) || !(t->flags & TF_CAP) || (t->dflags & (DF_CRED | DF_MONTHDAY)))
			return false;
		if (t->dflags & (DF_TITLE_DR | DF_TITLE_PT | DF_RELATION))
			return false;
	}
	if ((t->dflags & (DF_CLINICAL | DF_GENERIC)) && !(t->dflags & (DF_FIRST | DF_LAST)))
		return false;
	if (t->flags & TF_NONLATIN)
		return false;
	if (t->flags & TF_CAP)
		return true;
	if (prefixed_cap(x, i))
		return true; /* "Yusuf al-Rashid" */
	return allow_lower && (t->flags & TF_LOWER) && tlen(t) >= 2;
}

/* One upper-case letter ("J", "Á"): a middle initial. */
static bool initial(const struct ctx *x, size_t i)
{
	if (i >= x->nt || !(x->t[i].flags & TF_ALPHA) || !(x->t[i].flags & TF_UPPER))
		return false;
	size_t n = tlen(&x->t[i]);
	unsigned char c = (unsigned char)x->s[x->t[i].start];
	return n == 1 || (c >= 0xC0 && n == (c >= 0xF0 ? 4u : c >= 0xE0 ? 3u : 2u));
}


/* A surname particle ("van", "de", "ten", "al")? */
static bool is_particle(const struct ctx *x, size_t j)
{
	WORD_LIST(parts, "van", "von", "de", "del", "della", "der", "den", "ten", "ter", "da", "das",
		"dos", "di", "du", "la", "le", "al", "el", "bin", "ibn", "y");
	return tlen(&x->t[j]) < 8 && deid_tok_in(x, j, &parts, 8);
}

/* The start of a name that ends with token i, reaching back over surname particles to a capitalised word
 * that is not an English one: "Willemine ten Paskeveld" from "Paskeveld". i when there is none. */
static size_t particle_back(const struct ctx *x, size_t i)
{
	size_t k = i;
	int parts = 0;
	while (k > 0 && parts < 2 && joined(x, k) && (x->t[k - 1].flags & TF_LOWER) && is_particle(x, k - 1)) {
		k--;
		parts++;
	}
	if (!parts || k == 0 || !joined(x, k))
		return i;
	const struct tok *p = &x->t[k - 1];
	if ((p->flags & TF_CAP) && (p->flags & TF_ALPHA) && !(p->flags & TF_UPPER) && !(p->flags & TF_NONLATIN) &&
	    ((p->dflags & (DF_FIRST | DF_LAST)) || !(p->dflags & DF_ENGLISH)) &&
	    !(p->dflags & (DF_CLINICAL | DF_STOP | DF_MONTHDAY | DF_EPONYM | DF_CITY | DF_STATE | DF_COUNTRY)))
		return k - 1;
	return i;
}

static bool plain_word(const char *s, size_t n);

/* A lower-case particle glued to a capitalised name: "al-Rashid", "el-Khoury", "d'Arcy", "bin-Laden". */
static bool prefixed_cap(const struct ctx *x, size_t i)
{
	if (i >= x->nt || !(x->t[i].flags & TF_ALPHA) || (x->t[i].flags & TF_CAP))
		return false;
	const char *s = x->s + x->t[i].start;
	size_t n = tlen(&x->t[i]), k = 0;
	while (k < n && k < 4 && s[k] >= 'a' && s[k] <= 'z')
		k++;
	if (k == 0 || k > 3 || k + 2 > n || (s[k] != '-' && s[k] != '\''))
		return false;
	WORD_LIST(pre, "al", "el", "ad", "as", "at", "ar", "an", "ash", "az", "d", "l", "bin", "ben",
		"abu", "ibn", "da", "de", "di", "du");
	char w[4];
	memcpy(w, s, k);
	w[k] = 0;
	return deid_in_list(w, &pre) && isupper((unsigned char)s[k + 1]) && n - k - 1 >= 2;
}

/* A hyphenated surname whose every part looks like a name: "Smith-Jones", "Okonkwo-Adeyemi" (each part
 * capitalised, 2+ letters, and a known name or no English word; eponyms such as "Swan-Ganz" are listed). */
static bool compound_name(const struct ctx *x, size_t i)
{
	const struct tok *t = &x->t[i];
	if (!(t->flags & TF_CAP) || !(t->flags & TF_ALPHA) || (t->flags & (TF_UPPER | TF_NONLATIN)) ||
	    (t->dflags & (DF_EPONYM | NOT_NAME | DF_ENGLISH)) || x->protect[i])
		return false;
	const char *s = x->s + t->start, *end = x->s + t->end;
	if (!memchr(s, '-', (size_t)(end - s)))
		return false;
	int parts = 0;
	while (s < end) {
		const char *h = memchr(s, '-', (size_t)(end - s));
		size_t n = h ? (size_t)(h - s) : (size_t)(end - s);
		if (n < 2 || !isupper((unsigned char)s[0]) || !plain_word(s, n))
			return false;
		uint32_t f = deid_span_dict(x, (size_t)(s - x->s), (size_t)(s - x->s) + n);
		/* a known name counts even when it is also an English word: "Smith-Jones" */
		bool name = (f & (DF_FIRST | DF_LAST)) && !(f & (DF_EPONYM | NOT_NAME));
		if (!name && (f & (DF_ENGLISH | NOT_NAME | DF_EPONYM | DF_CITY | DF_STATE | DF_COUNTRY | DF_ORG)))
			return false;
		parts++;
		s += n + (h ? 1 : 0);
	}
	return parts >= 2;
}

/* The start of a name ending with token i: back over particles (particle_back), over a known given name or
 * surname ("Matthew Abramov"), or over a middle initial to a capitalised word ("Ravil G Yefimov"). */
static size_t name_start_back(const struct ctx *x, size_t i)
{
	size_t s0 = particle_back(x, i);
	if (s0 < i || i == 0 || !joined(x, i))
		return s0;
	const struct tok *p = &x->t[i - 1];
	if ((p->flags & TF_CAP) && (p->flags & TF_ALPHA) && !(p->flags & TF_UPPER) && !x->protect[i - 1] &&
	    (p->dflags & (DF_FIRST | DF_LAST)) && !(p->dflags & (DF_AMBIG | DF_CLINICAL | DF_STOP | DF_MONTHDAY)))
		return i - 1;
	/* a short capitalised word that is no English word: "Edi Živković", "Ari Kaplan" */
	if ((p->flags & TF_CAP) && (p->flags & TF_ALPHA) && !(p->flags & TF_UPPER) && !(p->flags & TF_NONLATIN) &&
	    !x->protect[i - 1] && tlen(p) >= 2 && !(p->dflags & (DF_ENGLISH | NOT_NAME | DF_EPONYM | DF_CITY | DF_STATE |
								 DF_COUNTRY | DF_ORG | DF_PROFESSION)) &&
	    plain_word(x->s + p->start, tlen(p)))
		return i - 1;
	size_t k = i - 1;
	if (tok_punct(x, k, '.') && k > 0 && x->t[k].sp_before == 0 && initial(x, k - 1))
		k--;
	if (!initial(x, k) || k == 0 || !joined(x, k))
		return i;
	p = &x->t[k - 1];
	if ((p->flags & TF_CAP) && (p->flags & TF_ALPHA) && !(p->flags & TF_UPPER) && !(p->flags & TF_NONLATIN) &&
	    !x->protect[k - 1] && ((p->dflags & (DF_FIRST | DF_LAST)) || !(p->dflags & DF_ENGLISH)) &&
	    !(p->dflags & (DF_CLINICAL | DF_STOP | DF_MONTHDAY | DF_EPONYM | DF_CITY | DF_STATE | DF_COUNTRY | DF_ORG)))
		return k - 1;
	return i;
}

/* Extends a name forward from token i: words and initials ("J." "J"), at most max words; returns the
 * index after the last name token (i when none). header allows "Last, First M.". */
static size_t name_fwd(const struct ctx *x, size_t i, int max, bool allow_lower, bool header)
{
	size_t j = i, end = i;
	int words = 0;
	bool comma_used = !header;
	while (j < x->nt && words < max) {
		if (j > i && !joined(x, j))
			break;
		if (initial(x, j) || (allow_lower && (x->t[j].flags & TF_ALPHA) && tlen(&x->t[j]) == 1 &&
				      !(x->t[j].dflags & DF_STOP))) {
			j++;
			if (tok_punct(x, j, '.') && x->t[j].sp_before == 0)
				j++;
			end = j;
			words++;
			continue;
		}
		/* "May Thompson", "Thu Nguyen", "Will Strickland": a month, weekday or modal first, then a surname */
		bool given_first = j == i && (x->t[j].flags & TF_CAP) && !(x->t[j].flags & TF_UPPER) &&
				   (x->t[j].flags & TF_ALPHA) && (x->t[j].dflags & (DF_MONTHDAY | DF_STOP)) &&
				   !(x->t[j].dflags & (DF_CRED | DF_TITLE_DR | DF_TITLE_PT | DF_RELATION)) &&
				   joined(x, j + 1) && nameish(x, j + 1, false) && (x->t[j + 1].flags & TF_CAP) &&
				   !(x->t[j + 1].flags & TF_UPPER) &&
				   ((x->t[j + 1].dflags & (DF_FIRST | DF_LAST)) || !(x->t[j + 1].dflags & DF_ENGLISH));
		/* surname particles between name words: "Willemine ten Pas", "Maika van de Noort", "Ibn al-Haytham" */
		if (words > 0 && (x->t[j].flags & TF_LOWER) && joined(x, j) && is_particle(x, j)) {
			size_t k = j + 1;
			if (k < x->nt && joined(x, k) && (x->t[k].flags & TF_LOWER) && is_particle(x, k))
				k++;
			if (k < x->nt && joined(x, k) && (x->t[k].flags & TF_CAP) && nameish(x, k, false) &&
			    !(x->t[k].dflags & DF_ENGLISH && !(x->t[k].dflags & (DF_FIRST | DF_LAST)))) {
				j = k;
				continue;
			}
		}
		/* in terse lower-case notes a following English word ("dr okonkwo rounded") ends the name */
		if (allow_lower && j > i && (x->t[j].flags & TF_LOWER) && (x->t[j].dflags & DF_ENGLISH) &&
		    !(x->t[j].dflags & (DF_FIRST | DF_LAST)))
			break;
		if (nameish(x, j, allow_lower) || given_first) {
			j++;
			end = j;
			words++;
			/* "Bell, Harold" */
			if (!comma_used && tok_punct(x, j, ',') && x->t[j].sp_before == 0 && j + 1 < x->nt &&
			    joined(x, j + 1) && nameish(x, j + 1, allow_lower)) {
				comma_used = true;
				j++;
			}
			continue;
		}
		break;
	}
	return end;
}

/* Extends a name backwards from the token before i; returns the first name token (i when none). */
static size_t name_back(const struct ctx *x, size_t i, int max, bool allow_lower)
{
	size_t j = i, start = i;
	int words = 0;
	while (j > 0 && words < max) {
		if (!joined(x, j) && j != i)
			break;
		if (j != i && x->t[j].nl_before)
			break;
		size_t k = j - 1;
		if (tok_punct(x, k, '.') && k > 0 && initial(x, k - 1) && x->t[k].sp_before == 0) {
			j = k - 1;
			start = j;
			words++;
			if (x->t[j].nl_before)
				break;
			continue;
		}
		if (initial(x, k) || nameish(x, k, allow_lower) ||
		    (allow_lower && tlen(&x->t[k]) == 1 && (x->t[k].flags & TF_LOWER))) {
			j = k;
			start = j;
			words++;
			if (x->t[j].nl_before)
				break;
			continue;
		}
		break;
	}
	return start;
}

static void add_name(struct ctx *x, size_t ti, size_t tj, int type, int prio, float conf, int source)
{
	if (tj <= ti)
		return;
	/* drop a trailing "." unless it closes an initial */
	size_t end = x->t[tj - 1].end;
	add_cand(x, x->t[ti].start, end, type, source, prio, conf);
}

static bool eponym_use_at(const struct ctx *x, size_t i);

/* "Bell's palsy", "Wells score", "Foley catheter": the next word (after 's) makes token i an eponym. Inline, the
 * usual token's answer: the next one is no eponym word and none of the marks skipped before one. */
static inline bool is_eponym_use(const struct ctx *x, size_t i)
{
	size_t j = i + 1;
	if (j >= x->nt)
		return false;
	char p = x->t[j].punct;
	if (!(x->t[j].dflags & DF_EPO_NEXT) && p != '\'' && p != ')' && p != '"')
		return false;
	return eponym_use_at(x, i);
}

static bool eponym_use_at(const struct ctx *x, size_t i)
{
	size_t j = i + 1;
	if (j < x->nt && tok_punct(x, j, '\'') && j + 1 < x->nt && tok_is(x, j + 1, "s"))
		j += 2;
	if (j < x->nt && (tok_punct(x, j, ')') || tok_punct(x, j, '"')))
		j++;
	if (j < x->nt && (x->t[j].dflags & DF_EPO_NEXT) && !x->t[j].nl_before)
		return true;
	/* "Bell's" arrives as one token with the apostrophe inside */
	const struct tok *t = &x->t[i];
	if (tlen(t) > 2 && x->s[t->end - 1] == 's' && (x->s[t->end - 2] == '\'' || (unsigned char)x->s[t->end - 2] == 0x99))
		if (j < x->nt && (x->t[j].dflags & DF_EPO_NEXT))
			return true;
	return false;
}

WORD_LIST(PT_LABELS, "patient", "patient name", "name", "pt", "pt name", "re", "client",
	"resident", "member", "insured", "subscriber", "guarantor", "emergency contact", "contact",
	"next of kin", "nok", "caregiver", "spouse", "mother", "father", "parent", "guardian", "informant",
	"accompanied by", "patient's name", "nombre", "paciente", "baby", "infant", "mom", "employee", "worker",
	"claimant", "applicant", "proxy", "health care proxy", "hcp", "poa", "requested by", "from", "caller",
	"parent/guardian", "parent / guardian", "mother's name", "father's name", "spouse name", "contact name",
	"patient/caller", "student name", "worker name", "employee name", "insured name");
WORD_LIST(DR_LABELS, "attending", "attending physician", "pcp", "primary care",
	"referring", "referring physician", "referring provider", "referred by", "ordering", "ordering provider",
	"ordering physician", "provider", "physician", "surgeon", "assistant", "anesthesiologist", "anesthesia",
	"radiologist", "pathologist", "resident", "fellow", "dictated by", "signed by", "electronically signed by",
	"electronically signed", "reviewed by", "interpreted by", "read by", "performed by",
	"author", "nurse", "rn", "np", "technologist", "tech", "therapist", "pharmacist", "case manager",
	"social worker", "chaplain", "counselor", "consultant", "seen by", "verified by", "co-signed by",
	"cosigned by", "supervising", "supervising physician", "midwife", "doula", "dietitian", "md",
	"primary nurse", "charge nurse", "sw", "cm", "pt/ot", "ot", "slp", "rt", "crna", "scribe",
	"attending of record", "admitting", "admitting physician", "consulting", "cardiologist", "oncologist",
	"genetic counselor", "clinician", "practitioner", "médico", "medico", "doctor", "dr", "covering",
	"paged", "notified", "discussed with", "spoke with", "d/w", "signed", "approved by", "entered by",
	"completed by", "prepared by", "sonographer", "sender", "recipient", "provider name", "interpreter",
	"emt", "medic", "crew", "preceptor", "student", "scrub", "circulator");

/* The words a label of PT_LABELS or DR_LABELS ends with: each label and its suffixes that start after a
 * space, '/' or '\''. A label read before a colon ends with the word token before it, and that token comes
 * after a space, a '/' or a '\'' of the label or starts it, so the token is one of these; label_kind asks this
 * list first and passes over every other colon ("BP:", "Date:") with one lookup. Built on first use and
 * published as a word list's set is; NULL when out of memory (then every colon is read in full). */
static struct word_list *label_tails(void)
{
	static struct word_list *tails;
	struct word_list *l = __atomic_load_n(&tails, __ATOMIC_ACQUIRE);
	if (l)
		return l;
	const char *const *lists[] = {PT_LABELS_words, DR_LABELS_words};
	size_t n = 0;
	for (size_t k = 0; k < 2; k++)
		for (const char *const *p = lists[k]; *p; p++)
			for (const char *c = *p; *c; c++)
				n += *c == ' ' || *c == '/' || *c == '\'';
	for (size_t k = 0; k < 2; k++)
		for (const char *const *p = lists[k]; *p; p++)
			n++;
	const char **words = ml_malloc((n + 1) * sizeof *words);
	struct word_list *mine = ml_malloc(sizeof *mine);
	if (!words || !mine) {
		ml_free(words);
		ml_free(mine);
		return NULL;
	}
	size_t m = 0;
	for (size_t k = 0; k < 2; k++)
		for (const char *const *p = lists[k]; *p; p++) {
			words[m++] = *p;
			for (const char *c = *p; *c; c++)
				if (*c == ' ' || *c == '/' || *c == '\'')
					words[m++] = c + 1; /* a suffix of a string literal is one too */
		}
	words[m] = NULL;
	*mine = (struct word_list){words, NULL};
	struct word_list *none = NULL;
	if (__atomic_compare_exchange_n(&tails, &none, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return mine;
	ml_free(words);
	ml_free(mine);
	return none;
}

/* Label words before ':' at the start of the line or after two spaces: returns 1 patient, 2 doctor. */
static int label_kind(const struct ctx *x, size_t colon)
{
	/* gather up to 4 words before the colon */
	if (colon == 0)
		return 0;
	struct word_list *tails = label_tails();
	if (tails && (!(x->t[colon - 1].flags & TF_WORD) || !deid_tok_in(x, colon - 1, tails, 96)))
		return 0;
	size_t k = colon, words = 0;
	while (k > 0 && words < 4) {
		const struct tok *t = &x->t[k - 1];
		if (!(t->flags & TF_WORD) && !(tlen(t) == 1 && (x->s[t->start] == '/' || x->s[t->start] == '\'')))
			break;
		k--;
		if (t->flags & TF_WORD)
			words++;
		if (t->nl_before || t->sp_before >= 2)
			break;
	}
	/* try the longest label ending at the colon */
	for (size_t from = k; from < colon; from++) {
		char buf[96];
		size_t a = x->t[from].start, b = x->t[colon - 1].end;
		if (b - a >= sizeof buf)
			continue;
		/* the folded label: an ASCII one without a tab is its bytes in x->low, hashed once for both lists */
		const char *f = x->low + a;
		size_t n = b - a;
		if (!deid_ascii(x->s + a, n) || memchr(f, '\t', n)) {
			n = deid_fold(x->s + a, b - a, buf, sizeof buf);
			for (size_t q = 0; q < n; q++)
				if (buf[q] == '\t')
					buf[q] = ' ';
			f = buf;
		}
		uint64_t h = deid_word_hash(f, n);
		if (in_list_n(f, n, h, &PT_LABELS))
			return 1;
		if (in_list_n(f, n, h, &DR_LABELS))
			return 2;
	}
	return 0;
}

static size_t poss_len(const struct ctx *x, size_t i);

void deid_context_names(struct ctx *x)
{
	for (size_t i = 0; i < x->nt; i++) {
		const struct tok *t = &x->t[i];
		/* every rule below starts at a title, a credential, a relation or a cue word, at a ':' or at a '-'
		 * that starts a line: the other tokens (most) are passed with this one test */
		if (!(t->dflags & (DF_TITLE_DR | DF_TITLE_PT | DF_CRED | DF_RELATION | DF_CUE)) && t->punct != ':' &&
		    !(t->nl_before && t->punct == '-'))
			continue;
		/* a signature line "-- G. Lee" */
		if (t->nl_before && tok_punct(x, i, '-') && tok_punct(x, i + 1, '-') && i + 2 < x->nt &&
		    !x->t[i + 2].nl_before) {
			size_t e = name_fwd(x, i + 2, 4, true, false);
			if (e > i + 2 && (e >= x->nt || x->t[e].nl_before || (x->t[e].dflags & DF_CRED) ||
					  (tok_punct(x, e, ',') && e + 1 < x->nt && (x->t[e + 1].dflags & DF_CRED))))
				add_name(x, i + 2, e, DEID_DOCTOR, 66, .8f, DEID_SRC_CONTEXT);
		}
		/* titles: "Dr. Lee", "Mrs. Fairweather", "dr smith" */
		if (t->dflags & (DF_TITLE_DR | DF_TITLE_PT)) {
			size_t j = i + 1;
			if (tok_punct(x, j, '.'))
				j++;
			bool dr = (t->dflags & DF_TITLE_DR) != 0;
			/* "Dr." followed by a capitalised word, or a lower-case one in terse notes */
			bool lower_ok = (t->flags & TF_LOWER) && j < x->nt && !(x->t[j].dflags & (DF_STOP | DF_CLINICAL));
			size_t e = name_fwd(x, j, 3, lower_ok, false);
			/* "DR MRI" in a device name: an upper-case title needs a known name after it */
			if ((t->flags & TF_UPPER) && tlen(t) > 1 && e > j && (x->t[j].flags & TF_UPPER) &&
			    !(x->t[j].dflags & (DF_FIRST | DF_LAST)))
				continue;
			if (e > j && joined(x, j))
				add_name(x, j, e, dr ? DEID_DOCTOR : DEID_PATIENT, 72, .9f, DEID_SRC_CONTEXT);
			continue;
		}
		/* credentials: "Priya Natarajan, MD", "kathy m rn" */
		if ((t->dflags & DF_CRED) && i > 0 && !t->nl_before) {
			bool upper = (t->flags & TF_UPPER) != 0;
			/* "Referring MD:" is a label, not a signature */
			if (tok_punct(x, i + 1, ':'))
				continue;
			/* lower-case credentials only where they are unambiguous ("kathy m rn"); "pt" is the patient */
			if (!upper) {
				WORD_LIST(low_ok, "rn", "md", "np", "lpn", "cna", "lcsw", "msw", "pa-c",
					"fnp", "aprn", "crna");
				if (tlen(t) >= 16 || !deid_tok_in(x, i, &low_ok, 16))
					continue;
			}
			/* MD/PA/MA/MS are also states: "Annapolis, MD 21403" is a place */
			if ((t->dflags & DF_STATE_ABBR) && i + 1 < x->nt && (x->t[i + 1].flags & TF_NUM) &&
			    tlen(&x->t[i + 1]) == 5 && count_digits(x->s + x->t[i + 1].start, 5) == 5)
				continue;
			size_t k = i;
			if (tok_punct(x, k - 1, ',') && x->t[k].sp_before <= 1)
				k--;
			else if (!(t->flags & TF_UPPER) && !(t->flags & TF_LOWER))
				continue;
			if (k == 0 || x->t[k].nl_before)
				continue;
			bool allow_lower = (t->flags & TF_LOWER) != 0;
			if (!upper && !allow_lower)
				continue;
			/* a comma before a lower-case credential is unusual; the name must then be capitalised */
			size_t s0 = name_back(x, k, 4, allow_lower);
			/* an upper-case acronym before a credential ("WOC RN", "HOSPICE RN") is a name only when
			 * the dictionary knows it or it has a second word */
			if (s0 + 1 == k && (x->t[s0].flags & TF_UPPER) && tlen(&x->t[s0]) > 1 &&
			    !(x->t[s0].dflags & (DF_FIRST | DF_LAST)))
				continue;
			if (s0 < k) {
				/* at least one word that is not an initial, unless it is initials only ("J.S., RN") */
				add_name(x, s0, k, DEID_DOCTOR, 72, .9f, DEID_SRC_CONTEXT);
			}
			continue;
		}
		/* labels: "Patient: Bell, Harold J.", "Attending: Priya Natarajan, MD" */
		if (tok_punct(x, i, ':') && i > 0) {
			int kind = label_kind(x, i);
			if (!kind)
				continue;
			size_t j = i + 1;
			if (j >= x->nt || x->t[j].nl_before)
				continue;
			if (x->t[j].dflags & (DF_TITLE_DR | DF_TITLE_PT))
				continue; /* the title rule handles it */
			size_t e = name_fwd(x, j, 4, false, true);
			/* a single lower-case word after a patient label in a terse note */
			if (e == j && (x->t[j].flags & TF_LOWER) && !(x->t[j].dflags & (DF_STOP | DF_CLINICAL)) &&
			    (x->t[j].dflags & (DF_FIRST | DF_LAST)))
				e = name_fwd(x, j, 3, true, true);
			if (e > j) {
				/* all-caps words after a label are names only when not a heading word */
				add_name(x, j, e, kind == 1 ? DEID_PATIENT : DEID_DOCTOR, 70, .85f, DEID_SRC_CONTEXT);
				/* more names separated by ';' or ',' (cc: lists) */
				size_t q = e;
				while (kind == 2 && q + 1 < x->nt && (tok_punct(x, q, ';') || tok_punct(x, q, ',')) &&
				       !x->t[q + 1].nl_before) {
					size_t e2 = name_fwd(x, q + 1, 4, false, false);
					if (e2 == q + 1)
						break;
					add_name(x, q + 1, e2, DEID_DOCTOR, 68, .8f, DEID_SRC_CONTEXT);
					q = e2;
					while (q < x->nt && (x->t[q].dflags & DF_CRED))
						q++;
					if (tok_punct(x, q, ',') && q + 1 < x->nt && (x->t[q + 1].dflags & DF_CRED))
						q += 2;
				}
			}
			continue;
		}
		if (!(t->flags & TF_WORD))
			continue;
		/* relations: "his wife Dorothy", "Her niece, Catherine Ruiz", "daughter Wang Lei" */
		if (t->dflags & DF_RELATION) {
			size_t j = i + 1;
			if (tok_punct(x, j, ',') || tok_punct(x, j, '(') || tok_punct(x, j, ':'))
				j++;
			/* a relation word outweighs an eponym list ("his wife Grace"), but not an eponym use; the
			 * name follows closely ("son   Callback:" in a form is two fields) */
			if (j < x->nt && !x->t[j].nl_before && !is_eponym_use(x, j) && (joined(x, j) || j > i + 1)) {
				const struct tok *u = &x->t[j];
				size_t e = j;
				if ((u->flags & TF_CAP) && !(u->dflags & (DF_CLINICAL | DF_TITLE_DR | DF_TITLE_PT)))
					e = name_fwd(x, j, 3, false, false);
				/* "your brother, I talked": a lone capital letter without a period is the pronoun */
				if (e == j + 1 && initial(x, j) && !tok_punct(x, j + 1, '.'))
					e = j;
				/* "his wife, June, ...": a given name that is also a month */
				if (e == j && (u->flags & TF_CAP) && (u->flags & TF_ALPHA) && (u->dflags & DF_FIRST) &&
				    !(u->dflags & (DF_CLINICAL | DF_TITLE_DR | DF_TITLE_PT | DF_CRED)))
					e = j + 1;
				else if ((u->flags & TF_LOWER) && (u->dflags & DF_FIRST) && !(u->dflags & (DF_STOP | DF_CLINICAL)))
					e = j + 1; /* "son jake at bedside" in a terse note */
				if (e > j)
					add_name(x, j, e, DEID_PATIENT, 66, .8f, DEID_SRC_CONTEXT);
			}
			continue;
		}
		/* the rules below start at a cue word (dict.c CUE_WORDS) */
		if (!(t->dflags & DF_CUE))
			continue;
		/* "pt hope resting", "pt Janelle Strickland": a given name right after pt/patient */
		if ((tok_is(x, i, "pt") || tok_is(x, i, "patient")) && i + 1 < x->nt && joined(x, i + 1) &&
		    !tok_punct(x, i + 1, ':')) {
			const struct tok *u = &x->t[i + 1];
			bool unknown_full = (u->flags & TF_CAP) && !(u->dflags & (DF_ENGLISH | DF_CLINICAL | DF_STOP)) &&
					    joined(x, i + 2) && nameish(x, i + 2, false) && (x->t[i + 2].flags & TF_CAP);
			if ((u->flags & TF_ALPHA) && ((u->dflags & DF_FIRST) || unknown_full) &&
			    !(u->dflags & (DF_STOP | DF_CLINICAL | DF_MONTHDAY)) && !x->protect[i + 1]) {
				size_t e = name_fwd(x, i + 1, 3, (u->flags & TF_LOWER) != 0, false);
				if (e > i + 1)
					add_name(x, i + 1, e, DEID_PATIENT, 64, .7f, DEID_SRC_CONTEXT);
			}
		}
		/* self-introductions and naming: "my name is lena andersson", "I'm Quarto Angelo", "named him Frank" */
		{
			size_t j = 0;
			if (tok_is(x, i, "is") && i > 0 && (tok_is(x, i - 1, "name") || tok_is(x, i - 1, "surname")))
				j = i + 1;
			else if ((tok_is(x, i, "named") || tok_is(x, i, "called")) && i + 1 < x->nt)
				j = (x->t[i + 1].dflags & (DF_STOP)) && tok_is(x, i + 1, "him") ? i + 2 :
				    (tok_is(x, i + 1, "her") || tok_is(x, i + 1, "him") || tok_is(x, i + 1, "me")) ? i + 2 : i + 1;
			/* "everyone calls me Ján", "call me Ishmael" */
			else if ((tok_is(x, i, "calls") || tok_is(x, i, "call")) && i + 2 < x->nt &&
				 (tok_is(x, i + 1, "me") || tok_is(x, i + 1, "her") || tok_is(x, i + 1, "him")) &&
				 (x->t[i + 2].flags & TF_CAP))
				j = i + 2;
			else if ((tok_is(x, i, "m") && i > 1 && tok_punct(x, i - 1, '\'') && tok_is(x, i - 2, "i")) ||
				 tok_is(x, i, "i'm") || tok_is(x, i, "i\xE2\x80\x99m")) {
				/* "I'm Quarto Angelo", not "I'm Catholic" or "I'm Amanda's daughter": a capitalised word
				 * that is a known name or no English word, and not a possessive */
				const struct tok *u = i + 1 < x->nt ? &x->t[i + 1] : NULL;
				if (u && (u->flags & TF_CAP) && !poss_len(x, i + 1) &&
				    (((u->dflags & (DF_FIRST | DF_LAST)) && !(u->dflags & DF_AMBIG)) || !(u->dflags & DF_ENGLISH)))
					j = i + 1;
			}
			if (j && j < x->nt && !x->t[j].nl_before && (x->t[j].flags & TF_ALPHA)) {
				/* lower-case words count when they are not English ("lena andersson", not "tired") */
				size_t e = j;
				while (e < x->nt && e - j < 5 && (e == j || joined(x, e)) && (x->t[e].flags & TF_ALPHA) &&
				       (!(x->t[e].dflags & (DF_STOP | DF_CLINICAL | DF_MONTHDAY)) ||
					((x->t[e].flags & TF_CAP) && (x->t[e].dflags & DF_FIRST) && !(x->t[e].dflags & DF_CLINICAL) &&
					 (!(x->t[e].dflags & DF_STOP) || (x->t[e].dflags & DF_MONTHDAY)))) &&
				       ((x->t[e].flags & TF_CAP) || !(x->t[e].dflags & DF_ENGLISH) ||
					(x->t[e].dflags & (DF_FIRST | DF_LAST)))) {
					e++;
					/* a middle initial with its period: "Ján M. Novák" */
					if (initial(x, e - 1) && tok_punct(x, e, '.') && x->t[e].sp_before == 0 && e + 1 < x->nt &&
					    joined(x, e + 1) && (x->t[e + 1].flags & TF_CAP))
						e++;
				}
				if (e > j)
					add_name(x, j, e, DEID_PATIENT, 64, .7f, DEID_SRC_CONTEXT);
			}
		}
		/* nicknames: "goes by Nell", "aka Ted" */
		if ((tok_is(x, i, "by") && i > 0 && tok_is(x, i - 1, "goes")) || tok_is(x, i, "aka") ||
		    tok_is(x, i, "nickname") || tok_is(x, i, "prefers")) {
			size_t j = i + 1;
			if (tok_punct(x, j, '"') || tok_punct(x, j, ':'))
				j++;
			if (j < x->nt && (x->t[j].flags & TF_CAP) && (x->t[j].flags & TF_ALPHA) && !x->t[j].nl_before &&
			    !(x->t[j].dflags & (DF_STOP | DF_CLINICAL)))
				add_name(x, j, j + 1, DEID_PATIENT, 64, .7f, DEID_SRC_CONTEXT);
		}
		/* verbs: "seen by X", "discussed with X", "per X" */
		if (tlen(t) < 32) {
			WORD_LIST(by, "by", "with", "per", "paged", "called", "notified", "informed",
				"to", "from", "cc", "and", "thanks", "dear", "hi", "hello", "sincerely", "regards");
			if (deid_tok_in(x, i, &by, 32)) {
				size_t j = i + 1;
				if (tok_punct(x, j, ',') || tok_punct(x, j, ':'))
					j++;
				if (j < x->nt && (x->t[j].flags & TF_CAP) && !x->t[j].nl_before) {
					size_t e = name_fwd(x, j, 3, false, false);
					/* needs dictionary support: a known given name or surname in the sequence */
					bool known = false;
					for (size_t q = j; q < e; q++)
						if ((x->t[q].dflags & (DF_FIRST | DF_LAST)) && !(x->t[q].dflags & (DF_AMBIG | DF_CLINICAL)))
							known = true;
					/* not an eponym ("with Fitzpatrick type II skin") nor a lab symbol ("with Na 134") */
					if (known && (is_eponym_use(x, e - 1) ||
						      (e == j + 1 && tlen(&x->t[j]) <= 3 && e < x->nt && (x->t[e].flags & TF_NUM))))
						known = false;
					if (e > j && known) {
						bool doc = deid_tok_fold_is(x, i, "by") || deid_tok_fold_is(x, i, "per") ||
							   deid_tok_fold_is(x, i, "paged") || deid_tok_fold_is(x, i, "cc") ||
							   deid_tok_fold_is(x, i, "sincerely") || deid_tok_fold_is(x, i, "regards");
						add_name(x, j, e, doc ? DEID_DOCTOR : DEID_PATIENT, 62, .75f, DEID_SRC_CONTEXT);
					}
				}
			}
			/* letter closings: the name on the next non-empty line is the author's */
			WORD_LIST(closings, "sincerely", "regards", "respectfully", "cordially",
				"warmly", "best", "thanks", "atentamente");
			if (deid_tok_in(x, i, &closings, 32)) {
				size_t j = i + 1;
				while (j < x->nt && !x->t[j].nl_before)
					j++;
				if (j < x->nt && (x->t[j].flags & TF_CAP)) {
					size_t e = name_fwd(x, j, 4, false, false);
					if (e > j + 0)
						add_name(x, j, e, DEID_DOCTOR, 66, .8f, DEID_SRC_CONTEXT);
				}
			}
		}
	}
}

/* Length of a possessive ending ("'s", "’s") closing token i, or 0. */
static inline size_t poss_len(const struct ctx *x, size_t i)
{
	const struct tok *t = &x->t[i];
	size_t n = tlen(t);
	const char *e = x->s + t->end;
	if (n > 2 && e[-1] == 's' && e[-2] == '\'')
		return 2;
	if (n > 4 && e[-1] == 's' && !memcmp(e - 4, "\xE2\x80\x99", 3))
		return 4;
	return 0;
}

/* Dictionary flags of token i, looking through a possessive ("Amanda's" -> "amanda"). */
uint32_t deid_stem_flags(const struct ctx *x, size_t i)
{
	size_t p = poss_len(x, i);
	if (!p)
		return x->t[i].dflags;
	return deid_span_dict(x, x->t[i].start, x->t[i].end - p);
}


/* Could token i (flags f) be a given name or a surname that is not an ordinary word? Known names that are
 * not English words, or unknown capitalised words outside the English and clinical lists. */
static bool name_like(const struct ctx *x, size_t i, uint32_t f, bool allow_ambig)
{
	const struct tok *t = &x->t[i];
	if (!(t->flags & TF_ALPHA) || (t->flags & TF_NONLATIN) || x->protect[i])
		return false;
	if ((f & NOT_NAME) && !((f & (DF_FIRST | DF_LAST)) && !(f & (DF_CLINICAL | DF_MONTHDAY | DF_CRED))))
		return false;
	if (f & (DF_EPONYM | DF_CITY | DF_STATE | DF_COUNTRY | DF_ORG | DF_PROFESSION))
		return false;
	if (f & (DF_FIRST | DF_LAST))
		return allow_ambig || !(f & (DF_AMBIG | DF_ENGLISH));
	return (t->flags & TF_CAP) && !(f & DF_ENGLISH) && tlen(t) >= 3;
}

/* Is token i a double quote, straight or curly (U+201C, U+201D)? */
static inline bool tok_quote(const struct ctx *x, size_t i)
{
	if (tok_punct(x, i, '"'))
		return true;
	if (i >= x->nt || !(x->t[i].flags & TF_PUNCT) || tlen(&x->t[i]) != 3)
		return false;
	const unsigned char *p = (const unsigned char *)x->s + x->t[i].start;
	return p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x9C || p[2] == 0x9D);
}

/* Is token i the end of a sentence or clause mark ('.', '!', '?', '"', ':', ';')? */
static bool clause_punct(const struct ctx *x, size_t i)
{
	return tok_punct(x, i, '.') || tok_punct(x, i, '!') || tok_punct(x, i, '?') || tok_punct(x, i, '"') ||
	       tok_punct(x, i, ';');
}

/* Conversational cues around names, for notes that quote speech, messages and forms:
 *   "What's your last name? Boyle", "the name on the account? User: Vilma Holm"   (answer to a name question)
 *   "I'm Amanda's daughter", "Matej's address"                                     (possessive + relation)
 *   "Koppány: \"Who are you?\"", "Tamsin: Remember me"                             (speaker labels)
 *   "Remember me, Maria?", "Don't go to town, Mark!", "Hi Victor,"                 (vocatives)
 *   "\"...,\" says Hauta-aho."                                                     (attributions)
 * Each needs a strong cue and a word that is a known name or no English word, so clinical prose (where
 * none of these shapes carries a clinical word) is not touched. */
void deid_cue_names(struct ctx *x)
{
	for (size_t i = 0; i < x->nt; i++) {
		const struct tok *t = &x->t[i];
		/* answer to a name question: "...name? X Y" (a label like "User:" may come first) */
		if (tok_punct(x, i, '?') && i + 1 < x->nt) {
			bool asked = false;
			for (size_t q = i, k = 0; q > 0 && k < 8; q--, k++) {
				if (clause_punct(x, q - 1) || x->t[q].nl_before)
					break;
				if (tok_is(x, q - 1, "name") || tok_is(x, q - 1, "surname") || tok_is(x, q - 1, "names"))
					asked = true;
			}
			if (!asked)
				continue;
			size_t j = i + 1;
			if (j + 1 < x->nt && (x->t[j].flags & TF_ALPHA) && tok_punct(x, j + 1, ':'))
				j += 2;
			if (j >= x->nt || !(x->t[j].flags & TF_ALPHA))
				continue;
			size_t e = name_fwd(x, j, 4, false, false);
			if (e == j && name_like(x, j, x->t[j].dflags, false))
				e = j + 1;
			bool any = false;
			for (size_t q = j; q < e; q++)
				any |= name_like(x, q, x->t[q].dflags, false) || initial(x, q);
			if (e > j && any)
				add_name(x, j, e, DEID_PATIENT, 64, .7f, DEID_SRC_CONTEXT);
			continue;
		}
		if (!(t->flags & TF_ALPHA))
			continue;
		/* the rules below start at a given name, a word ending in 's' (a possessive, "says", "asks"), a word
		 * before a ':' or after a punctuation mark (a quote): the other words (most) are passed here */
		if (!(t->dflags & DF_FIRST) && x->s[t->end - 1] != 's' && !tok_punct(x, i + 1, ':') &&
		    !(i > 0 && (x->t[i - 1].flags & TF_PUNCT)))
			continue;
		/* a list of given names, also in lower case: "they had 6: silvana, adam, christopher and caleb" */
		if ((t->dflags & DF_FIRST) && (i == 0 || !(x->t[i - 1].dflags & DF_FIRST) || !joined(x, i))) {
			size_t items[16], ni = 0, strong = 0, q = i;
			bool ok = true;
			while (q < x->nt && ni < 16) {
				const struct tok *u = &x->t[q];
				uint32_t f = u->dflags;
				if (!(u->flags & TF_ALPHA) || (u->flags & TF_UPPER) || !(f & DF_FIRST) || (f & (NOT_NAME | DF_EPONYM)) ||
				    x->protect[q] || (q > i && u->nl_before)) {
					ok = ni >= 3;
					break;
				}
				items[ni++] = q;
				strong += !(f & (DF_AMBIG | DF_ENGLISH));
				q++;
				if (tok_punct(x, q, ',') && x->t[q].sp_before == 0)
					q++;
				if (tok_is(x, q, "and") || tok_is(x, q, "or") || tok_is(x, q, "&"))
					q++;
				else if (!tok_punct(x, q - 1, ','))
					break; /* the list ends after an item without a separator */
			}
			if (ok && ni >= 3 && strong >= 3) {
				for (size_t k = 0; k < ni; k++)
					add_cand(x, x->t[items[k]].start, x->t[items[k]].end, DEID_PATIENT, DEID_SRC_CONTEXT, 56, .6f);
				i = items[ni - 1];
				continue;
			}
		}
		/* possessive + relation: "Amanda's daughter", "between him and Asya's kid", "Matej's address" */
		size_t pl = poss_len(x, i);
		if (pl && i + 1 < x->nt && joined(x, i + 1) && ((t->flags & TF_CAP) || (deid_stem_flags(x, i) & DF_FIRST))) {
			WORD_LIST(owned, "kid", "kids", "address", "account", "phone", "number", "house",
				"home", "place", "car", "email", "birthday", "funeral", "wedding");
			const struct tok *u = &x->t[i + 1];
			bool rel = (u->dflags & DF_RELATION) != 0;
			if (!rel && tlen(u) < 24)
				rel = deid_tok_in(x, i + 1, &owned, 24);
			uint32_t f = deid_stem_flags(x, i);
			if (rel && name_like(x, i, f, (t->flags & TF_CAP) != 0) && !is_eponym_use(x, i))
				add_cand(x, t->start, t->end - pl, DEID_PATIENT, DEID_SRC_CONTEXT, 62, .7f);
			continue;
		}
		/* speaker label at the start of a line or a sentence: "Koppány: \"Who...", "Tamsin: Remember" */
		if (tok_punct(x, i + 1, ':') && x->t[i + 1].sp_before == 0 && i + 2 < x->nt && !x->t[i + 2].nl_before &&
		    (i == 0 || t->nl_before || clause_punct(x, i - 1))) {
			bool quote = tok_quote(x, i + 2);
			uint32_t f = t->dflags;
			bool known = (f & DF_FIRST) && !(f & (DF_AMBIG | DF_ENGLISH | NOT_NAME | DF_EPONYM));
			if ((t->flags & (TF_CAP | TF_LOWER)) && !(t->flags & TF_UPPER) &&
			    ((quote && name_like(x, i, f, false)) || (known && (x->t[i + 2].flags & TF_CAP))))
				add_cand(x, t->start, t->end, DEID_PATIENT, DEID_SRC_CONTEXT, 60, .65f);
			continue;
		}
		/* vocative: ", Maria?", ", Mark!", "Hi Victor," (a given name, possibly also an English word) */
		if ((t->flags & TF_CAP) && !(t->flags & TF_UPPER) && (t->dflags & DF_FIRST) && i > 0 && i + 1 < x->nt &&
		    !(t->dflags & (DF_CLINICAL | DF_MONTHDAY | DF_CRED | DF_TITLE_DR | DF_TITLE_PT | DF_EPONYM)) &&
		    !x->protect[i] && !x->t[i].nl_before) {
			bool greet = tok_is(x, i - 1, "hi") || tok_is(x, i - 1, "hello") || tok_is(x, i - 1, "hey") ||
				     tok_is(x, i - 1, "dear") || tok_is(x, i - 1, "thanks");
			bool comma = tok_punct(x, i - 1, ',') && i > 1 && (x->t[i - 2].flags & TF_WORD);
			bool after = tok_punct(x, i + 1, '?') || tok_punct(x, i + 1, '!') ||
				     (greet && (tok_punct(x, i + 1, ',') || tok_punct(x, i + 1, '.')));
			if ((greet || comma) && after && x->t[i + 1].sp_before == 0)
				add_cand(x, t->start, t->end, DEID_PATIENT, DEID_SRC_CONTEXT, 60, .65f);
		}
		/* attribution after a quotation: "...," says Hauta-aho. */
		if (i > 0 && tok_quote(x, i - 1) && i + 1 < x->nt &&
		    joined(x, i + 1) && (x->t[i + 1].flags & TF_CAP) &&
		    (tok_is(x, i, "says") || tok_is(x, i, "said") || tok_is(x, i, "asked") || tok_is(x, i, "asks") ||
		     tok_is(x, i, "replied") || tok_is(x, i, "added"))) {
			size_t e = name_fwd(x, i + 1, 3, false, false);
			bool any = false;
			for (size_t q = i + 1; q < e; q++)
				any |= name_like(x, q, x->t[q].dflags, false);
			if (e > i + 1 && any)
				add_name(x, i + 1, e, DEID_PATIENT, 60, .65f, DEID_SRC_CONTEXT);
		}
	}
}

/* Marks tokens of multi-word eponym phrases ("Lee Silverman Voice Treatment", "Bruce protocol"). */
void deid_mark_eponyms(struct ctx *x)
{
	for (size_t i = 0; i < x->nt; i++) {
		if (!(x->t[i].flags & TF_ALPHA))
			continue;
		if (x->t[i].dflags & DF_EPONYM) {
			/* "Hoffmann sign" is an eponym, "Tünde Hoffmann" and "Matthew Abramov" are people: a word that is
			 * both an eponym and a name is protected unless a name word stands right beside it */
			bool beside = false;
			if (x->t[i].dflags & (DF_FIRST | DF_LAST)) {
				if (i > 0 && joined(x, i) && (x->t[i - 1].flags & TF_CAP) && (x->t[i - 1].flags & TF_ALPHA) &&
				    (x->t[i - 1].dflags & (DF_FIRST | DF_LAST)) && !(x->t[i - 1].dflags & (DF_EPONYM | NOT_NAME)))
					beside = true;
				if (i + 1 < x->nt && joined(x, i + 1) && (x->t[i + 1].flags & TF_CAP) &&
				    (x->t[i + 1].flags & TF_ALPHA) && (x->t[i + 1].dflags & (DF_FIRST | DF_LAST)) &&
				    !(x->t[i + 1].dflags & (DF_EPONYM | NOT_NAME)))
					beside = true;
			}
			if (!beside)
				x->protect[i] = 1;
		}
		for (size_t len = 4; len >= 2 && (x->t[i].dflags & DF_MW); len--) {
			if (i + len > x->nt)
				continue;
			size_t a = x->t[i].start, b = x->t[i + len - 1].end;
			if (b - a > 60)
				continue;
			bool line_ok = true;
			for (size_t q = i + 1; q < i + len; q++)
				line_ok &= !x->t[q].nl_before;
			if (!line_ok)
				continue;
			if (deid_span_dict(x, a, b) & DF_EPONYM) {
				for (size_t q = i; q < i + len; q++)
					x->protect[q] = 1;
				break;
			}
		}
		if (is_eponym_use(x, i))
			x->protect[i] = 1;
	}
}

static bool cand_name(int type)
{
	return type == DEID_PATIENT || type == DEID_DOCTOR;
}

/* A word that could be a name: no hyphen, no capital after the first letter ("EtOH", "LFTs"), and no
 * suffix of English or clinical morphology ("Diuresed", "Dermatopathology", "Multiplanar"). */
static bool plain_word(const char *s, size_t n)
{
	/* Irish and Scottish surnames: "O'Sullivan", "McAllister", "MacDonald" (the rest must be plain) */
	if (n > 3 && s[0] == 'O' && s[1] == '\'' && isupper((unsigned char)s[2]))
		return plain_word(s + 2, n - 2);
	if (n > 3 && s[0] == 'M' && s[1] == 'c' && isupper((unsigned char)s[2]))
		return plain_word(s + 2, n - 2);
	if (n > 4 && s[0] == 'M' && s[1] == 'a' && s[2] == 'c' && isupper((unsigned char)s[3]))
		return plain_word(s + 3, n - 3);
	/* contractions and possessives ("What's", "I've", "Mother's") are English words with a suffix */
	for (size_t i = 1; i < n; i++)
		if (s[i] == '\'' || ((unsigned char)s[i] == 0xE2 && i + 2 < n && (unsigned char)s[i + 2] == 0x99))
			return false;
	for (size_t i = 1; i < n; i++)
		if (isupper((unsigned char)s[i]) || s[i] == '-' || isdigit((unsigned char)s[i]))
			return false;
	/* the suffixes, grouped by their last byte (this runs for every unknown capitalised word: only the group
	 * of the word's last byte is tried); each group is a list of strings ended by an empty one */
	static const char *const suf_by_last[128] = {
		['a'] = "emia\0aemia\0\xC3\xAD" "a\0ia\0",
		['c'] = "ic\0",
		['d'] = "ed\0oid\0",
		['e'] = "ive\0ase\0ine\0ide\0ate\0scale\0ese\0",
		['g'] = "ing\0",
		['h'] = "ish\0",
		['i'] = "zi\0",
		['l'] = "ical\0ol\0il\0cryl\0tal\0nal\0ral\0",
		['m'] = "gram\0ism\0",
		['n'] = "tion\0sion\0ian\0",
		['p'] = "prep\0",
		['r'] = "lar\0nar\0",
		['s'] = "itis\0osis\0ness\0ous\0sis\0",
		['t'] = "ologist\0ment\0",
		['x'] = "lax\0flex\0",
		['y'] = "ly\0ology\0ectomy\0otomy\0ostomy\0pathy\0plasty\0scopy\0graphy\0ity\0ary\0ory\0",
	};
	/* the folded word: an ASCII word shorter than the fold buffer is its own fold past the first byte (the loop
	 * above found no capital there), and a suffix that counts starts past the third byte */
	char f[64];
	const char *w = s;
	size_t fl = n;
	if (n >= sizeof f || !deid_ascii(s, n)) {
		fl = deid_fold(s, n, f, sizeof f);
		w = f;
	}
	unsigned char last = fl ? (unsigned char)w[fl - 1] : 0;
	const char *suf = last < 128 ? suf_by_last[last] : NULL;
	for (; suf && *suf; suf += strlen(suf) + 1) {
		size_t sl = strlen(suf);
		if (fl > sl + 2 && !memcmp(w + fl - sl, suf, sl))
			return false;
	}
	return true;
}

static bool drug_context(const struct ctx *x, size_t j)
{
	WORD_LIST(forms, "drip", "gtt", "tab", "tabs", "tablet", "tablets", "capsule", "capsules",
		"cap", "caps", "infusion", "patch", "inhaler", "cream", "ointment", "injection", "pen", "xl", "xr", "er",
		"sr", "cr", "dr", "odt", "hfa", "solution", "suspension", "syrup", "drops", "gel", "spray", "prn",
		"daily", "bid", "tid", "qid", "qhs", "po", "iv", "im", "sc", "sq", "mg", "mcg", "units", "ml");
	for (size_t k = j; k < j + 4 && k < x->nt; k++) {
		if (x->t[k].nl_before)
			return false;
		if (tlen(&x->t[k]) >= 16)
			return false;
		if (deid_tok_in(x, k, &forms, 16))
			return true;
		if (!(x->t[k].flags & TF_NUM) && !tok_punct(x, k, '.') && !tok_punct(x, k, '/'))
			return false;
	}
	return false;
}

/* A word that makes the capitalised words before it a place: "Lincoln Plaza", "Grant Park". */
static bool place_word(const struct ctx *x, size_t j)
{
	WORD_LIST(w, "plaza", "park", "square", "mall", "street", "avenue", "road", "bridge",
		"station", "airport", "county", "lake", "river", "beach", "heights", "terrace", "boulevard", "parkway",
		"commons", "gardens", "village", "township");
	if (j >= x->nt || !(x->t[j].flags & TF_CAP) || tlen(&x->t[j]) >= 16)
		return false;
	return deid_tok_in(x, j, &w, 16);
}

/* In a list beside a known drug or clinical word: "Lasix, Coreg and Norvasc", "Coreg or metoprolol". */
static bool drug_list_neighbour(const struct ctx *x, size_t j)
{
	if (j >= 2 && (tok_punct(x, j - 1, ',') || tok_is(x, j - 1, "and") || tok_is(x, j - 1, "or")) &&
	    (x->t[j - 2].dflags & DF_CLINICAL) && !(x->t[j - 2].dflags & (DF_FIRST | DF_LAST)) && !x->t[j - 1].nl_before)
		return true;
	if (j + 2 < x->nt && (tok_punct(x, j + 1, ',') || tok_is(x, j + 1, "and") || tok_is(x, j + 1, "or")) &&
	    (x->t[j + 2].dflags & DF_CLINICAL) && !(x->t[j + 2].dflags & (DF_FIRST | DF_LAST)) && !x->t[j + 2].nl_before)
		return true;
	return false;
}

/* A medication verb before token j in its clause, across a list of capitalised words ("Started Xarelto,
 * Jardiance and Ozempic", "switched to Sinemet"): the words are drugs, not people. */
static bool drug_verb_before(const struct ctx *x, size_t j)
{
	WORD_LIST(verbs, "started", "start", "starting", "restarted", "restart", "resumed",
		"resume", "continue", "continued", "continuing", "stopped", "stop", "stopping", "discontinued",
		"discontinue", "held", "hold", "holding", "taking", "takes", "take", "took", "prescribed", "titrated",
		"increased", "decreased", "switched", "changed", "tapered", "initiated", "rx", "meds", "medications",
		"medication", "on");
	for (size_t q = j, k = 0; q > 0 && k < 8; q--, k++) {
		if (x->t[q].nl_before)
			return false;
		const struct tok *p = &x->t[q - 1];
		if (tok_punct(x, q - 1, ',') || tok_is(x, q - 1, "and") || tok_is(x, q - 1, "or") || tok_is(x, q - 1, "to"))
			continue;
		if ((p->flags & TF_CAP) && (p->flags & TF_ALPHA) && !(p->dflags & (DF_ENGLISH | DF_STOP)))
			continue; /* another brand in the list */
		if (!(p->flags & TF_ALPHA) || tlen(p) >= 16)
			return false;
		/* "on" only right before the word ("on Sinemet"), not "on call" further back */
		return deid_tok_in(x, q - 1, &verbs, 16) && (!deid_tok_fold_is(x, q - 1, "on") || q == j);
	}
	return false;
}

/* Dictionary layer: known given names (with following capitalised words) and places. */
void deid_dict_layer(struct ctx *x)
{
	for (size_t i = 0; i < x->nt; i++) {
		const struct tok *t = &x->t[i];
		if (!(t->flags & TF_ALPHA) || x->protect[i])
			continue;
		uint32_t f = t->dflags;
		bool cap = (t->flags & TF_CAP) != 0;
		bool title = cap && !(t->flags & TF_UPPER);
		/* multi-word places first: "North Andover", "New Hampshire", "Saudi Arabia" */
		if (cap && (f & DF_MW)) {
			bool done = false;
			for (size_t len = 4; len >= 2 && !done; len--) {
				if (i + len > x->nt)
					continue;
				bool ok = true;
				for (size_t q = i + 1; q < i + len; q++)
					ok &= joined(x, q) && (x->t[q].flags & (TF_WORD | TF_PUNCT));
				if (!ok)
					continue;
				size_t a = t->start, b = x->t[i + len - 1].end;
				uint32_t g = deid_span_dict(x, a, b);
				int type = (g & DF_CITY) ? DEID_CITY : (g & DF_STATE) ? DEID_STATE : (g & DF_COUNTRY) ? DEID_COUNTRY : -1;
				if (g & DF_ORG)
					type = DEID_ORGANIZATION;
				if (type >= 0) {
					add_cand(x, a, b, type, DEID_SRC_DICT, 56, .7f);
					i += len - 1;
					done = true;
				}
			}
			if (done)
				continue;
		}
		/* "patricia desrosiers", "olga krylova": a lower-case given name and a surname-like word */
		if ((t->flags & TF_LOWER) && (f & DF_FIRST) && tlen(t) >= 3 &&
		    !(f & (DF_AMBIG | DF_STOP | DF_CLINICAL | DF_MONTHDAY | DF_ENGLISH | DF_CRED)) && i + 1 < x->nt &&
		    joined(x, i + 1) && (x->t[i + 1].flags & TF_LOWER) && (x->t[i + 1].flags & TF_ALPHA) &&
		    tlen(&x->t[i + 1]) >= 3 && !(x->t[i + 1].dflags & (DF_STOP | DF_CLINICAL | DF_CRED | DF_MONTHDAY)) &&
		    ((x->t[i + 1].dflags & DF_LAST) || !(x->t[i + 1].dflags & DF_ENGLISH)) && !x->protect[i]) {
			add_name(x, i, i + 2, DEID_PATIENT, 46, .5f, DEID_SRC_DICT);
			i++;
			continue;
		}
		if (!title && !((t->flags & TF_UPPER) && tlen(t) > 2))
			continue;
		bool upper = (t->flags & TF_UPPER) != 0;
		/* a possessive name: "Edi Živković's Cautionary Tales", "(though Mccullough's song ...)"; the
		 * possessive ends the name, and eponyms ("Parkinson's", "Hashimoto's") are kept out */
		size_t pl = title ? poss_len(x, i) : 0;
		if (pl && !x->protect[i] && !(f & (DF_EPONYM | DF_ENGLISH | NOT_NAME)) && !is_eponym_use(x, i)) {
			uint32_t fs = deid_stem_flags(x, i);
			size_t wl = tlen(t) - pl;
			bool sentence_start = i == 0 || t->nl_before || tok_punct(x, i - 1, '.') || tok_punct(x, i - 1, '!') ||
					      tok_punct(x, i - 1, '?');
			bool known = (fs & (DF_FIRST | DF_LAST)) && !(fs & (DF_AMBIG | DF_ENGLISH | NOT_NAME | DF_EPONYM));
			bool unknown = !(fs & (DF_FIRST | DF_LAST | DF_ENGLISH | NOT_NAME | DF_EPONYM | DF_CITY | DF_STATE |
					       DF_COUNTRY | DF_ORG | DF_PROFESSION | DF_AMBIG)) &&
				       wl >= 4 && !sentence_start && plain_word(x->s + t->start, wl);
			if (known || unknown) {
				size_t s0 = name_start_back(x, i);
				add_cand(x, x->t[s0].start, t->end - pl, DEID_PATIENT, DEID_SRC_DICT, s0 < i ? 52 : 46, .55f);
				continue;
			}
		}
		/* an unknown capitalised word in running text (not English, not clinical, not a place), or a
		 * known surname, inside a sentence: a name ("founders: Kónya, Becker and Vasquez") */
		if (title && !(f & (DF_ENGLISH | DF_CLINICAL | DF_EPONYM | DF_STOP | DF_MONTHDAY | DF_CRED | DF_TITLE_DR |
				    DF_TITLE_PT | DF_RELATION | DF_CITY | DF_STATE | DF_COUNTRY | DF_ORG | DF_GENERIC |
				    DF_PROFESSION | DF_AMBIG)) &&
		    tlen(t) >= 4 && !x->protect[i] && !(f & DF_FIRST) &&
		    (plain_word(x->s + t->start, tlen(t)) || compound_name(x, i))) {
			bool initial_pos = i == 0 || t->nl_before;
			/* after "at" or "in" an unknown word is a place or a facility more often than a person */
			size_t pw0 = prev_word_of(x, i);
			int ucw_type = deid_tok_fold_is(x, pw0, "at") ? DEID_HOSPITAL : deid_tok_fold_is(x, pw0, "in") ? DEID_CITY : DEID_PATIENT;
			/* a drug brand: a dose or a dosage form follows ("Protonix 40 mg", "Cardizem drip") */
			if (drug_context(x, i + 1) || drug_verb_before(x, i) || drug_list_neighbour(x, i))
				goto places;
			if (!initial_pos) {
				const struct tok *p = &x->t[i - 1];
				if (p->flags & TF_PUNCT) {
					char c = x->s[p->start];
					initial_pos = c == '.' || c == '!' || c == '?' || c == '"' || c == '-' || c == '*' ||
						      c == '>' || c == '(' || c == '[' || c == ':' || c == ';' || tlen(p) > 1;
				} else if (p->dflags & DF_CRED) {
					initial_pos = true;
				}
				if (i >= 2 && tok_punct(x, i - 1, ',') && (x->t[i - 2].dflags & DF_CRED))
					initial_pos = true;
			}
			size_t e0 = name_fwd(x, i, 3, false, false);
			bool multi = e0 > i + 1;
			/* a capitalised word before a colon is a label ("Fecha:", "Edad:"), not a name */
			if (tok_punct(x, e0, ':') && x->t[e0].sp_before == 0)
				goto places;
			/* at a sentence start, a lone unknown word is a name when a verb-like word follows ("Luiza is
			 * from", "Warrane, can I"), not a number or a colon (drug lists, headings) */
			bool verb_next = false;
			if (initial_pos && !multi && e0 < x->nt && joined(x, e0)) {
				const struct tok *nx = &x->t[e0];
				WORD_LIST(verbs, "is", "was", "has", "had", "will", "can", "lives", "lived",
					"spent", "shouted", "said", "says", "went", "works", "worked", "moved", "told", "asked",
					"wants", "wanted", "loves", "likes", "did", "does", "gave", "left", "came", "called",
					"would", "could", "should", "began", "begins", "started", "wrote", "writes", "became",
					"joined", "founded", "died", "arrived", "returned", "speaks", "spoke", "sang", "sings");
				if (tlen(nx) < 16 && (nx->flags & TF_LOWER))
					verb_next = deid_tok_in(x, e0, &verbs, 16);
				if (tok_punct(x, e0, ',') && e0 + 1 < x->nt && joined(x, e0 + 1) &&
				    (tok_is(x, e0 + 1, "can") || tok_is(x, e0 + 1, "could") || tok_is(x, e0 + 1, "please")))
					verb_next = true;
				/* "Okonkwo-Adeyemi, Chidinma": surname, comma, a known given name (or a compound surname
				 * first); the given name is found by the dictionary layer on its own */
				if (tok_punct(x, e0, ',') && x->t[e0].sp_before == 0 && e0 + 1 < x->nt && joined(x, e0 + 1) &&
				    (x->t[e0 + 1].flags & TF_CAP) &&
				    (((x->t[e0 + 1].dflags & DF_FIRST) && !(x->t[e0 + 1].dflags & (DF_AMBIG | NOT_NAME | DF_EPONYM))) ||
				     compound_name(x, i)))
					verb_next = true;
			}
			size_t s0 = name_start_back(x, i);
			/* between a house number and a number ("28245 Puruntie 82 Apt. 595"): a street, not a person */
			if (i > 0 && (x->t[i - 1].flags & TF_NUM) && !(x->t[i - 1].flags & TF_ALPHA) && joined(x, i) &&
			    e0 < x->nt && joined(x, e0) && (x->t[e0].flags & TF_NUM) && !(x->t[e0].flags & TF_ALPHA)) {
				add_name(x, i, e0, DEID_STREET, 44, .5f, DEID_SRC_DICT);
				i = e0 - 1;
				continue;
			}
			if (e0 > i && (!initial_pos || multi || verb_next || s0 < i) && !is_eponym_use(x, i)) {
				/* reaching back over particles makes it a multi-word name, which outranks its parts */
				add_name(x, s0, e0, ucw_type, s0 < i ? 52 : 44, .5f, DEID_SRC_DICT);
				i = e0 - 1;
				continue;
			}
		}
		if (f & DF_ORG) {
			add_cand(x, t->start, t->end, DEID_ORGANIZATION, DEID_SRC_DICT, 55, .7f);
			continue;
		}
		if (f & (DF_STOP | DF_CLINICAL | DF_MONTHDAY | DF_EPONYM | DF_CRED | DF_TITLE_DR | DF_TITLE_PT))
			if (!(f & (DF_FIRST | DF_LAST)) || (f & (DF_CLINICAL | DF_MONTHDAY | DF_EPONYM | DF_CRED)))
				goto places;
		if (f & (DF_FIRST | DF_LAST)) {
			bool amb = (f & DF_AMBIG) != 0;
			/* the words around it: capitalised name-like neighbours make a full name */
			size_t s0 = i, e0 = i + 1;
			if (joined(x, i + 1) && (nameish(x, i + 1, false) || initial(x, i + 1)))
				e0 = name_fwd(x, i + 1, 2, false, false);
			if (i > 0 && joined(x, i) && nameish(x, i - 1, false) && !x->protect[i - 1] &&
			    (x->t[i - 1].dflags & (DF_FIRST | DF_LAST)))
				s0 = i - 1;
			/* a known surname after an initial, or after a capitalised word that is no English word:
			 * "Ján M. Novák", "Favian Rangel", "Ravil G Yefimov" */
			else if ((f & DF_LAST) && !amb && i > 0 && joined(x, i)) {
				size_t k = i - 1;
				if (tok_punct(x, k, '.') && k > 0 && x->t[k].sp_before == 0 && initial(x, k - 1))
					k--;
				if (initial(x, k) && k > 0 && joined(x, k))
					k--;
				if (k < i && (x->t[k].flags & TF_CAP) && !(x->t[k].flags & TF_UPPER) &&
				    (x->t[k].flags & TF_ALPHA) && !x->protect[k] &&
				    ((x->t[k].dflags & (DF_FIRST | DF_LAST)) || !(x->t[k].dflags & (DF_ENGLISH | NOT_NAME))) &&
				    !(x->t[k].dflags & (NOT_NAME | DF_EPONYM | DF_CITY | DF_STATE | DF_COUNTRY | DF_ORG)) &&
				    (k == i - 1 || joined(x, k + 1)))
					s0 = k;
			}
			if (s0 == i)
				s0 = particle_back(x, i);
			bool multi = e0 > i + 1 || s0 < i;
			/* "Lincoln Plaza", "Grant Park": a place word ends it, so it is a place, not a person */
			if (multi && place_word(x, e0 - 1))
				goto places;
			/* single upper-case words are headings more often than names */
			if (upper && !multi)
				goto places;
			/* an ambiguous word ("Bill", "Hope", "Young") needs a second name word next to it */
			if (amb) {
				bool strong = false;
				for (size_t q = s0; q < e0; q++)
					if (q != i && (x->t[q].dflags & (DF_FIRST | DF_LAST)) && !(x->t[q].dflags & DF_AMBIG))
						strong = true;
				/* "Brad L Key", "Sari J. Paavolainen": given name, middle initial, surname */
				if ((f & DF_FIRST) && title && e0 >= i + 3 && initial(x, i + 1) &&
				    (x->t[e0 - 1].flags & TF_CAP) && !(x->t[e0 - 1].flags & TF_UPPER) && tlen(&x->t[e0 - 1]) > 1)
					strong = true;
				/* "Maria Smith-Jones", "Maria Okonkwo", "Yusuf al-Rashid": a given name before a compound,
				 * prefixed or unknown capitalised surname */
				if ((f & DF_FIRST) && title && e0 == i + 2 && s0 == i &&
				    (compound_name(x, i + 1) || prefixed_cap(x, i + 1) ||
				     ((x->t[i + 1].flags & TF_CAP) && !(x->t[i + 1].flags & TF_UPPER) && tlen(&x->t[i + 1]) >= 3 &&
				      !(x->t[i + 1].dflags & (DF_ENGLISH | NOT_NAME | DF_EPONYM | DF_CITY | DF_STATE | DF_COUNTRY | DF_ORG)) &&
				      plain_word(x->s + x->t[i + 1].start, tlen(&x->t[i + 1])))))
					strong = true;
				/* "Maria Smith", "Mark Price": a given name then a surname, both capitalised, inside a sentence
				 * (at a line start it may be a heading) and not before a colon */
				if ((f & DF_FIRST) && title && e0 == i + 2 && s0 == i && (x->t[i + 1].dflags & DF_LAST) &&
				    (x->t[i + 1].flags & TF_CAP) && !(x->t[i + 1].flags & TF_UPPER) &&
				    !(x->t[i].dflags & (NOT_NAME | DF_EPONYM)) && !(x->t[i + 1].dflags & (NOT_NAME | DF_EPONYM)) &&
				    i > 0 && !t->nl_before && !clause_punct(x, i - 1) && !tok_punct(x, e0, ':') &&
				    !(e0 < x->nt && joined(x, e0) && (x->t[e0].dflags & (DF_GENERIC | DF_ORG))))
					strong = true;
				if (!strong)
					goto places;
			}
			/* one word alone: only a given name that is not an English word; a lone surname is too often
			 * an eponym, a place or a brand; a word that is also a city is a city after "in", "from" */
			if (!multi) {
				size_t pw = prev_word_of(x, i);
				WORD_LIST(preps, "in", "from", "to", "near", "at", "of", "visits");
				if (!(f & DF_FIRST) || tlen(t) < 3 ||
				    ((f & (DF_CITY | DF_COUNTRY | DF_STATE)) && pw < x->nt && deid_tok_in(x, pw, &preps, 32)))
					goto places;
			}
			bool eponym = false;
			for (size_t q = s0; q < e0; q++)
				eponym |= x->protect[q];
			if (eponym)
				continue;
			add_name(x, s0, e0, DEID_PATIENT, multi ? 52 : 48, multi ? .7f : .55f, DEID_SRC_DICT);
			i = e0 - 1;
			continue;
		}
	places:
		if (!title || x->protect[i])
			continue;
		if ((f & DF_AMBIG) && !(f & DF_STATE)) {
			/* "China", "Providence": an English word too, so only after a preposition or a comma */
			size_t pw = prev_word_of(x, i);
			WORD_LIST(preps, "in", "from", "to", "near", "visits", "of");
			bool comma = i > 0 && tok_punct(x, i - 1, ',');
			if (!(pw < x->nt && deid_tok_in(x, pw, &preps, 32)) && !comma)
				continue;
		}
		/* "Brattleboro VT": a known city followed by a state abbreviation */
		if ((f & DF_CITY) && i + 1 < x->nt && joined(x, i + 1) && (x->t[i + 1].dflags & DF_STATE_ABBR) &&
		    (x->t[i + 1].flags & TF_UPPER) && tlen(&x->t[i + 1]) == 2)
			add_cand(x, x->t[i + 1].start, x->t[i + 1].end, DEID_STATE, DEID_SRC_DICT, 55, .7f);
		if (f & DF_CITY)
			add_cand(x, t->start, t->end, DEID_CITY, DEID_SRC_DICT, 50, .6f);
		else if (f & DF_STATE)
			add_cand(x, t->start, t->end, DEID_STATE, DEID_SRC_DICT, 50, .7f);
		else if (f & DF_COUNTRY)
			add_cand(x, t->start, t->end, DEID_COUNTRY, DEID_SRC_DICT, 50, .7f);
	}
}

/* "retired machinist", "works as a delivery driver": occupations of the patient and relatives. */
void deid_professions(struct ctx *x)
{
	WORD_LIST(cue, "retired", "former", "formerly", "works", "worked", "working",
		"employed", "occupation", "job", "career", "profession", "trade", "as", "unemployed", "laid",
		"self-employed", "year-old", "yo", "is", "was", "works as");
	for (size_t i = 0; i < x->nt; i++) {
		if (!(x->t[i].flags & TF_ALPHA) || !(x->t[i].dflags & (DF_MW | DF_PROFESSION)))
			continue;
		for (size_t len = 3; len >= 1; len--) {
			if (i + len > x->nt)
				continue;
			size_t a = x->t[i].start, b = x->t[i + len - 1].end;
			if (b - a > 48)
				continue;
			uint32_t pf = len == 1 ? x->t[i].dflags : (x->t[i].dflags & DF_MW) ? deid_span_dict(x, a, b) : 0;
			if (!(pf & DF_PROFESSION))
				continue;
			/* a cue word within the three words before */
			bool ok = false;
			for (size_t q = i, k = 0; q > 0 && k < 3; q--, k++) {
				if (x->t[q].nl_before)
					break;
				if (tlen(&x->t[q - 1]) < 32 && deid_tok_in(x, q - 1, &cue, 32))
					ok = true;
			}
			/* "Occupation: teacher" */
			if (!ok && i > 0 && tok_punct(x, i - 1, ':') && i > 1 && tok_is(x, i - 2, "occupation"))
				ok = true;
			if (ok) {
				add_cand(x, a, b, DEID_PROFESSION, DEID_SRC_CONTEXT, 60, .7f);
				i += len - 1;
				break;
			}
		}
	}
}

/* Names in a list with a name: "founders: Monjeau, Graves and Reed" (one of them found, the others too). */
static bool list_name_word(const struct ctx *x, size_t j)
{
	if (j >= x->nt || x->t[j].nl_before)
		return false;
	const struct tok *u = &x->t[j];
	uint32_t f = u->dflags;
	/* a contraction ("I'm", "We'll") is no name; "O'Brien" is */
	bool apos = false;
	for (size_t q = u->start + 1; q < u->end; q++)
		apos |= x->s[q] == '\'' || (unsigned char)x->s[q] == 0x99;
	if (apos && !(f & (DF_FIRST | DF_LAST)) && !(x->s[u->start] == 'O' && x->s[u->start + 1] == '\''))
		return false;
	return (u->flags & TF_ALPHA) && (u->flags & TF_CAP) && !(u->flags & TF_UPPER) && tlen(u) >= 2 &&
	       ((f & (DF_FIRST | DF_LAST)) || !(f & DF_ENGLISH)) && !x->protect[j] &&
	       !(f & (DF_CLINICAL | DF_GENERIC | DF_STOP | DF_MONTHDAY | DF_CRED | DF_TITLE_DR | DF_TITLE_PT | DF_CITY |
		      DF_STATE | DF_COUNTRY | DF_ORG | DF_EPONYM));
}

void deid_list_names(struct ctx *x, const struct deid_cand *acc, size_t nacc)
{
	for (size_t k = 0; k < nacc; k++) {
		if (!cand_name(acc[k].type))
			continue;
		/* forwards: ", X" or " and X" */
		size_t j = deid_tok_at(x, acc[k].end);
		for (int hops = 0; hops < 6 && j < x->nt; hops++) {
			if (tok_punct(x, j, ',') && x->t[j].sp_before == 0)
				j++;
			if (tok_is(x, j, "and") || tok_is(x, j, "&") || tok_is(x, j, "or"))
				j++;
			if (j == deid_tok_at(x, acc[k].end) || !list_name_word(x, j))
				break;
			size_t e = name_fwd(x, j, 3, false, false);
			if (e <= j)
				break;
			add_name(x, j, e, acc[k].type, 50, .55f, DEID_SRC_CONTEXT);
			j = e;
			if (!tok_punct(x, j, ',') && !tok_is(x, j, "and"))
				break;
		}
		/* backwards: "X, " before the name */
		size_t i = deid_tok_at(x, acc[k].start);
		if (i >= 2 && (tok_punct(x, i - 1, ',') || tok_is(x, i - 1, "and")) && list_name_word(x, i - 2) &&
		    !x->t[i].nl_before && x->t[i - 1].sp_before == 0 + (tok_is(x, i - 1, "and") ? 1 : 0)) {
			size_t s0 = name_back(x, i - 1, 3, false);
			if (s0 < i - 1 && list_name_word(x, s0))
				add_name(x, s0, i - 1, acc[k].type, 50, .55f, DEID_SRC_CONTEXT);
		}
	}
}

/* A name in another script right after a name, or in parentheses after it: "Wang Xiaoming (王小明)". */
void deid_script_names(struct ctx *x, const struct deid_cand *acc, size_t nacc)
{
	for (size_t k = 0; k < nacc; k++) {
		if (!cand_name(acc[k].type))
			continue;
		size_t i = deid_tok_at(x, acc[k].end);
		if (tok_punct(x, i, '(') || tok_punct(x, i, 0xEF))
			i++;
		/* full-width parenthesis (U+FF08) is a punctuation token of 3 bytes */
		if (i < x->nt && (x->t[i].flags & TF_PUNCT) && tlen(&x->t[i]) == 3 && !strncmp(x->s + x->t[i].start, "\xEF\xBC\x88", 3))
			i++;
		size_t j = i;
		while (j < x->nt && (x->t[j].flags & TF_NONLATIN) && (x->t[j].flags & TF_ALPHA) && !x->t[j].nl_before &&
		       j - i < 4)
			j++;
		if (j > i && i < x->nt && x->t[i].start - acc[k].end <= 4)
			add_cand(x, x->t[i].start, x->t[j - 1].end, acc[k].type, DEID_SRC_CONTEXT, 66, .8f);
	}
	/* after a name label in any script: "姓名：王小明", "الاسم: يوسف" (an ASCII note has none) */
	if (deid_ascii(x->s, x->n))
		return;
	static const char *const labels[] = {"姓名", "患者", "病人", "医生", "医师", "الاسم", "المريض", "الطبيب", NULL};
	for (size_t i = 0; i + 1 < x->nt; i++) {
		if (!(x->t[i].flags & TF_NONLATIN))
			continue;
		for (int l = 0; labels[l]; l++) {
			size_t ln = strlen(labels[l]);
			if (tlen(&x->t[i]) >= ln && !memcmp(x->s + x->t[i].end - ln, labels[l], ln)) {
				size_t j = i + 1;
				if (j < x->nt && (x->t[j].flags & TF_PUNCT))
					j++;
				if (j < x->nt && (x->t[j].flags & TF_NONLATIN) && !x->t[j].nl_before)
					add_cand(x, x->t[j].start, x->t[j].end, l >= 3 && l != 5 && l != 6 ? DEID_DOCTOR : DEID_PATIENT,
						 DEID_SRC_CONTEXT, 66, .8f);
			}
		}
	}
}

/* ---- known identifiers ------------------------------------------------------------------------------ */

void deid_known_layer(struct ctx *x, const struct deid_known *known)
{
	if (!known)
		return;
	for (size_t k = 0; k < known->nnames; k++) {
		const char *nm = known->names[k];
		if (!nm)
			continue;
		/* split the name into parts; each part of 2+ letters is found as a whole word in any case */
		for (const char *p = nm; *p;) {
			while (*p && !isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80))
				p++;
			const char *q = p;
			while (*q && (isalnum((unsigned char)*q) || ((unsigned char)*q & 0x80) || *q == '\'' || *q == '-'))
				q++;
			if (q - p >= 2) {
				char want[128], got[128];
				size_t wl = deid_fold(p, (size_t)(q - p), want, sizeof want);
				for (size_t i = 0; i < x->nt; i++) {
					if (!(x->t[i].flags & TF_WORD))
						continue;
					size_t gl = deid_fold(x->s + x->t[i].start, tlen(&x->t[i]), got, sizeof got);
					/* "Bell's" is the name Bell too */
					if (gl == wl + 2 && !memcmp(got, want, wl) && got[wl] == '\'' && got[wl + 1] == 's')
						gl = wl;
					if (gl == wl && !memcmp(got, want, wl)) {
						if (x->protect[i] && !(x->t[i].flags & TF_CAP))
							continue;
						add_cand(x, x->t[i].start, x->t[i].start + (gl == tlen(&x->t[i]) ? tlen(&x->t[i]) : (size_t)(q - p)),
							 DEID_PATIENT, DEID_SRC_KNOWN, 100, 1.f);
					}
				}
			}
			p = q;
		}
	}
	for (size_t k = 0; k < known->nmrns; k++) {
		const char *m = known->mrns[k];
		if (!m)
			continue;
		/* compare alphanumerics only, case-insensitively: "00-48-2917" finds "00482917" */
		char want[128];
		size_t wl = 0;
		for (const char *p = m; *p && wl + 1 < sizeof want; p++)
			if (isalnum((unsigned char)*p))
				want[wl++] = (char)tolower((unsigned char)*p);
		if (wl < 3)
			continue;
		for (size_t a = 0; a < x->n; a++) {
			if (!isalnum((unsigned char)x->s[a]) || (a > 0 && isalnum((unsigned char)x->s[a - 1])))
				continue;
			size_t b = a, got = 0;
			while (b < x->n && got < wl) {
				char c = x->s[b];
				if (isalnum((unsigned char)c)) {
					if (tolower((unsigned char)c) != want[got])
						break;
					got++;
				} else if (!(c == '-' || c == ' ' || c == '.' || c == '/') || b == a)
					break;
				b++;
			}
			if (got == wl && (b >= x->n || !isalnum((unsigned char)x->s[b])))
				add_cand(x, a, b, DEID_MEDICALRECORD, DEID_SRC_KNOWN, 100, 1.f);
		}
	}
}


/* Every other mention of a name found by context, known or a full dictionary name is a name too. The
 * names wanted are put in a small hash table first, so the note is walked once (linear in its length); the
 * words are hashed as the tokenizer hashed them (deid_word_hash of the folded word), so an ASCII token is
 * looked up with the hash it carries. */
struct want {
	const char *key; /* folded: in x->low, or in fold below */
	uint8_t len, type, common, amb;
	uint32_t hash;
	char fold[64]; /* a non-ASCII word, folded */
};

/* The folded word of token i (shorter than 64 bytes) and its hash: from x->low for an ASCII token, else folded
 * into buf (64 bytes). */
static inline size_t tok_key(const struct ctx *x, size_t i, char *buf, const char **key, uint32_t *hash)
{
	const struct tok *t = &x->t[i];
	if (t->flags & TF_ASCII) {
		*key = x->low + t->start;
		*hash = t->hash;
		return tlen(t);
	}
	size_t n = deid_fold(x->s + t->start, tlen(t), buf, 64);
	*key = buf;
	*hash = (uint32_t)deid_word_hash(buf, n);
	return n;
}

/* The slot of key[0..n) in tab (cap slots, -1 empty): the one holding it, or the empty one where it goes. */
static inline size_t want_slot(const int32_t *tab, size_t cap, const struct want *w, const char *key, size_t n, uint32_t h)
{
	size_t q = h & (cap - 1);
	while (tab[q] >= 0) {
		const struct want *m = &w[tab[q]];
		if (m->hash == h && m->len == n && deid_same(m->key, key, n))
			break;
		q = (q + 1) & (cap - 1);
	}
	return q;
}

void deid_coreference(struct ctx *x, const struct deid_cand *acc, size_t nacc)
{
	/* a note names a handful of people: the wanted words and their table fit on the stack */
	struct want wbuf[32], *w = wbuf;
	int32_t tbuf[128], *tab = tbuf;
	size_t nw = 0, aw = sizeof wbuf / sizeof wbuf[0];
	for (size_t k = 0; k < nacc; k++) {
		if (!cand_name(acc[k].type) || acc[k].source == DEID_SRC_PATTERN)
			continue;
		if (acc[k].source == DEID_SRC_DICT && acc[k].conf < .6f)
			continue;
		for (size_t i = deid_tok_at(x, acc[k].start); i < x->nt && x->t[i].start < acc[k].end; i++) {
			const struct tok *t = &x->t[i];
			if (!(t->flags & TF_ALPHA) || tlen(t) < 3 || tlen(t) >= 64 || (t->dflags & (DF_CLINICAL | DF_CRED)))
				continue;
			/* a word that is also a month or a modal ("May", "Will") only from a full name, and then
			 * only its capitalised mentions */
			bool common = (t->dflags & (DF_STOP | DF_MONTHDAY)) != 0;
			if (common && (!(t->flags & TF_CAP) || acc[k].end - acc[k].start <= tlen(t) ||
				       acc[k].source == DEID_SRC_DICT))
				continue;
			if (nw == aw) {
				struct want *bigger = ml_xmalloc(2 * aw * sizeof *w);
				memcpy(bigger, w, nw * sizeof *w);
				for (size_t q = 0; q < nw; q++) /* keys folded into a want move with it */
					if (w[q].key == w[q].fold)
						bigger[q].key = bigger[q].fold;
				if (w != wbuf)
					ml_free(w);
				w = bigger;
				aw *= 2;
			}
			struct want *m = &w[nw++];
			m->len = (uint8_t)tok_key(x, i, m->fold, &m->key, &m->hash);
			m->type = acc[k].type;
			m->common = common;
			m->amb = (t->dflags & DF_AMBIG) != 0;
		}
	}
	if (!nw)
		return;
	size_t cap = 16;
	while (cap < nw * 2)
		cap *= 2;
	if (cap > sizeof tbuf / sizeof tbuf[0])
		tab = ml_xmalloc(cap * sizeof *tab);
	for (size_t i = 0; i < cap; i++)
		tab[i] = -1;
	/* a 256-bit filter of the wanted hashes: most words of a note are passed by one bit test, which the CPU
	 * predicts, where a probe of the small table lands on a used slot about as often as not */
	uint64_t bloom[4] = {0};
	for (size_t q = 0; q < nw; q++) {
		size_t h = want_slot(tab, cap, w, w[q].key, w[q].len, w[q].hash);
		if (tab[h] < 0)
			tab[h] = (int32_t)q; /* the first source of a name decides its type */
		uint32_t b = (w[q].hash >> 8) & 255;
		bloom[b >> 6] |= 1ull << (b & 63);
	}
	for (size_t j = 0; j < x->nt; j++) {
		const struct tok *u = &x->t[j];
		if (!(u->flags & TF_ALPHA) || tlen(u) < 3 || tlen(u) >= 64)
			continue;
		char buf[64];
		const char *got;
		uint32_t hash;
		size_t gl = tok_key(x, j, buf, &got, &hash);
		size_t use = tlen(u);
		if (gl > 2 && got[gl - 2] == '\'' && got[gl - 1] == 's') {
			gl -= 2, use -= 2; /* possessive: "Bell's" */
			hash = (uint32_t)deid_word_hash(got, gl);
		}
		uint32_t b = (hash >> 8) & 255;
		if (!(bloom[b >> 6] >> (b & 63) & 1))
			continue;
		size_t h = want_slot(tab, cap, w, got, gl, hash);
		if (tab[h] < 0)
			continue;
		const struct want *m = &w[tab[h]];
		if (x->protect[j] || is_eponym_use(x, j))
			continue;
		/* lower-case mentions count only for names that are not English words */
		if (!(u->flags & TF_CAP) && (m->amb || m->common || !(u->flags & TF_LOWER) || (u->dflags & (DF_STOP | DF_ENGLISH))))
			continue;
		/* below a full multi-word name (52), so "Vernon T. Hollis" stays one span */
		add_cand(x, u->start, u->start + use, m->type, DEID_SRC_CONTEXT, 51, .7f);
	}
	if (tab != tbuf)
		ml_free(tab);
	if (w != wbuf)
		ml_free(w);
}
