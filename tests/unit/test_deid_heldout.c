/* test_deid_heldout.c: name recall on generated notes whose names come from a list the dictionaries and the
 * rules were never tuned on, and clinical text (eponyms, drug brands, headings) that must not become PHI. */
#include "deid/deid.h"
#include "deid_testengine.h"
#include "harness.h"

#include <stdio.h>
#include <string.h>

/* Held-out names: the Lithuanian, Latvian, Slovenian, Indonesian and Turkish locales of Debian's
 * python3-fake-factory 0.9.3 (MIT), which src/deid/data/gen_dicts.py never reads (FAKER_HELD_OUT); drawn
 * once with a fixed seed, one-word names that are not English words. Most are in no dictionary here, so
 * this measures the context and shape rules on names nobody tuned on. */
static const char *const HF[] = {"Marija", "Viesturs", "Abdülkerim", "Edvīns", "Ferinaz", "Bagya", "Süheyda",
	"Şadıman", "Gunta", "Soykut", "Gürelcem", "Alpin", "Giedrius", "Viljem", "Durdali", "Gündüzalp",
	"Darsirah", "Nürice", "Cansin", "Darija", "Erdursun", "Selaheddin", "Rohat", "Mecide", "Salimah", "Agus",
	"Şennur", "Maruša", "Sakip", "Intan", "Muvahhide", "Kayrabay"};
static const char *const HL[] = {"Kočevar", "Priede", "Rozman", "Košir", "Grinius", "Alksnis", "Šinkovec", "Līcis",
	"Lukstiņš", "Bilir", "Hozjan", "Mlinar", "Yuniar", "Hutagalung", "Krivec", "Ertaş", "Kusumo", "Güçlü",
	"Birznieks", "Yılmaz", "Megantara", "Kuhar", "Stankevičius", "Pudjiastuti", "Krievs", "Železnik",
	"Siliņš", "Koželj", "Mayasari", "Nurdiyanti", "Bevc", "Hočevar"};

/* Sentences with names: %F given name, %L surname, %I a middle initial. Written for this test from common
 * clinical phrasings, before it was first run. */
static const char *const NAMED[] = {
	"Patient: %L, %F\n",
	"%F %L is a 67-year-old woman seen today for follow-up of hypertension.",
	"She came with her daughter %F %L, who helps with her medications.",
	"Discussed with Dr. %L from cardiology.",
	"Mr. %L reports chest pain since yesterday.",
	"Electronically signed by %F %L, MD\n",
	"Her husband, %F, was at the bedside.",
	"Called the patient's son %F at home.",
	"%F %I. %L was admitted for community-acquired pneumonia.",
	"Spoke with %F %L (niece) by phone about discharge.",
	"PCP: %F %L, NP\n",
	"The patient, %F %L, states that the pain is better.",
	"Referred by Dr. %F %L for evaluation of anemia.",
	"Emergency contact: %F %L (wife)\n",
	"Per %F %L, RN, the patient ate half of lunch.",
	"Mrs. %F %L was seen in clinic today.",
	"Attending: %F %L, MD\n",
	"Her sister %F lives nearby and visits daily.",
};
/* Sentences with weaker cues (no title, label or credential next to the name), written after the rules
 * were done and measured once as they are: the engine was not changed after seeing their misses. */
static const char *const WEAK[] = {
	"%F %L called to ask about her refill.",
	"Reviewed the plan with %F's mother at the bedside.",
	"The note from %F %L was faxed over this morning.",
	"Per discussion with %L, the plan is unchanged.",
	"%L, %F presented for a routine visit.\n",
	"Daughter: %F (phone on file)\n",
	"She said that %F is her sister and lives nearby.",
	"Message left for %F %L to call back.",
	"Her neighbour %F %L found her on the floor.",
	"Interpreter %F %L assisted with the visit.",
	"Chaperone: %F\n",
	"Care was handed over to %F %L at 7 pm.",
	"%F came in with %L, her partner.",
	"Both %F and %L attended the family meeting.",
};

/* Clinical sentences without PHI, with the words that look like names. */
static const char *const PLAIN[] = {
	"Long-standing Parkinson disease, on Sinemet 25/100 three times daily.",
	"Down syndrome with hypothyroidism, on Synthroid 75 mcg daily.",
	"Foley catheter placed in the ED and removed on day 2.",
	"Apgar 8 and 9 at one and five minutes.",
	"Continue Eliquis 5 mg BID, Lasix 40 mg daily and Protonix 40 mg daily.",
	"Started Xarelto, Jardiance and Ozempic; stopped Januvia.",
	"Babinski sign negative. Hoffmann sign absent. Romberg negative.",
	"Mallampati III airway. NYHA class II. Gleason 3+4=7.",
	"Baker's cyst on ultrasound. Bell's palsy resolved. Crohn disease in remission.",
	"ASSESSMENT AND PLAN:\nNeuro: Intact. Heme: Stable. Renal: Improving.\n",
	"Swan-Ganz catheter removed. Jackson-Pratt drain with serous output.",
	"Echocardiogram showed normal function. Holter monitor ordered.",
	"Wound closed with Vicryl and Monocryl. Ambulating with a walker.",
	"Alzheimer dementia, moderate. Huntington disease in family history.",
};

/* A fixed pseudo-random sequence: the same notes on every run. */
static unsigned rng = 4242;
static unsigned rnd(unsigned n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 16) % n;
}

struct planted {
	size_t start, end; /* code points */
};

/* Code points in s[0..n). */
static size_t ncp(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* Appends a sentence, recording where each planted name part lands. */
static void put(char *note, size_t cap, const char *tmpl, struct planted *pl, size_t *np)
{
	const char *f = HF[rnd(ML_ARRAY_LEN(HF))], *l = HL[rnd(ML_ARRAY_LEN(HL))];
	char ini[2] = {(char)('A' + rnd(26)), 0};
	for (const char *p = tmpl; *p; p++) {
		size_t len = strlen(note);
		if (*p == '%' && (p[1] == 'F' || p[1] == 'L' || p[1] == 'I')) {
			const char *v = p[1] == 'F' ? f : p[1] == 'L' ? l : ini;
			if (p[1] != 'I') {
				pl[*np].start = ncp(note, len);
				pl[*np].end = pl[*np].start + ncp(v, strlen(v));
				(*np)++;
			}
			snprintf(note + len, cap - len, "%s", v);
			p++;
		} else if (len + 1 < cap) {
			note[len] = *p;
			note[len + 1] = 0;
		}
	}
	size_t len = strlen(note);
	snprintf(note + len, cap - len, " ");
}

/* Is [a, b) inside a predicted span? */
static bool found(const struct deid_result *r, size_t a, size_t b)
{
	for (size_t k = 0; k < r->nspans; k++)
		if (r->spans[k].start <= a && r->spans[k].end >= b)
			return true;
	return false;
}

/* The spans of note (no replacement) into r (the caller releases it). */
static int spans_of(const struct deid_engine *e, const char *note, struct deid_result *r)
{
	struct deid_opts o;
	deid_opts_init(&o);
	o.mode = DEID_MODE_NONE;
	struct ml_err err = {0};
	deid_result_init(r);
	return deid_text(e, note, strlen(note), NULL, &o, r, &err);
}

/* How many of the planted names pl[0..np) lie inside a span of r. */
static long planted_found(const struct deid_result *r, const struct planted *pl, size_t np)
{
	long hit = 0;
	for (size_t k = 0; k < np; k++)
		hit += found(r, pl[k].start, pl[k].end);
	return hit;
}

TEST(held_out_names_in_generated_notes)
{
	const struct deid_engine *e = engine();
	CHECK(e);
	long names = 0, hit = 0, plain_cp = 0, plain_fp = 0;
	for (int n = 0; n < 30; n++) {
		char note[4096] = "";
		struct planted pl[64];
		size_t np = 0;
		/* three plain sentences (their code point ranges recorded as "must stay") and four named ones */
		struct planted keep[8];
		size_t nk = 0;
		for (int s = 0; s < 7; s++) {
			if (s % 2 == 0 && nk < 4) {
				size_t a = ncp(note, strlen(note));
				put(note, sizeof note, PLAIN[rnd(ML_ARRAY_LEN(PLAIN))], pl, &np);
				keep[nk].start = a;
				keep[nk++].end = ncp(note, strlen(note));
			} else {
				put(note, sizeof note, NAMED[rnd(ML_ARRAY_LEN(NAMED))], pl, &np);
			}
		}
		struct deid_result r;
		CHECK(spans_of(e, note, &r) == 0);
		names += (long)np;
		hit += planted_found(&r, pl, np);
		/* a span that overlaps a plain sentence is a false positive (names never sit in them) */
		for (size_t q = 0; q < nk; q++) {
			plain_cp += (long)(keep[q].end - keep[q].start);
			for (size_t k = 0; k < r.nspans; k++) {
				size_t a = r.spans[k].start > keep[q].start ? r.spans[k].start : keep[q].start;
				size_t b = r.spans[k].end < keep[q].end ? r.spans[k].end : keep[q].end;
				/* years are dates (i2b2): "in 2019" may be tagged; only names count here */
				if (b > a && (r.spans[k].type == DEID_PATIENT || r.spans[k].type == DEID_DOCTOR)) {
					plain_fp += (long)(b - a);
					fprintf(stderr, "# name span in plain text: note %d, %zu-%zu\n", n, a, b);
				}
			}
		}
		deid_result_release(&r);
	}
	double recall = names ? (double)hit / (double)names : 0;
	printf("# held-out names: %ld of %ld found, recall %.3f; name code points in plain sentences: %ld of %ld\n",
	       hit, names, recall, plain_fp, plain_cp);
	/* the weak-cue sentences, 30 notes of four each */
	long wnames = 0, whit = 0;
	for (int n = 0; n < 30; n++) {
		char note[4096] = "";
		struct planted pl[64];
		size_t np = 0;
		for (int k = 0; k < 4; k++)
			put(note, sizeof note, WEAK[rnd(ML_ARRAY_LEN(WEAK))], pl, &np);
		struct deid_result r;
		CHECK(spans_of(e, note, &r) == 0);
		wnames += (long)np;
		whit += planted_found(&r, pl, np);
		deid_result_release(&r);
	}
	double wrecall = wnames ? (double)whit / (double)wnames : 0;
	printf("# held-out names, weak cues: %ld of %ld found, recall %.3f\n", whit, wnames, wrecall);
	/* measured 0.922 when written (the engine before the name work: 0.893): a floor against regressions */
	CHECK(wnames > 150);
	CHECK(wrecall >= 0.88);
	CHECK(names > 100);
	CHECK(recall >= 0.90);
	CHECK_EQ_INT(plain_fp, 0);
}

/* Clinical words, eponyms, scales, drug brands and headings never become names. */
TEST(eponyms_brands_and_headings_are_not_names)
{
	struct ml_err err = {0};
	const struct deid_engine *e = engine();
	CHECK(e);
	static const char *const notes[] = {
		"HISTORY OF PRESENT ILLNESS: Long-standing Parkinson disease, on Sinemet 25/100 three times daily.",
		"Down syndrome with hypothyroidism. Foley catheter placed; Foley removed on day 2. Apgars 8 and 9.",
		"Continue Eliquis 5 mg BID, Lasix 40 mg daily, Protonix 40 mg daily, Zofran PRN, Keppra 500 mg BID.",
		"Started Xarelto, Jardiance and Ozempic; stopped Januvia. Entresto titrated.",
		"Babinski sign negative. Hoffmann sign absent. Romberg negative. Murphy sign positive.",
		"Mallampati III airway. ASA III. NYHA class II. Gleason 3+4=7. Child-Pugh class B.",
		"Baker's cyst on ultrasound. Bell's palsy resolved. Crohn disease in remission.",
		"Cushing syndrome was excluded. Wilson disease was excluded. Addison disease ruled out.",
		"ASSESSMENT AND PLAN:\nNeuro: Intact.\nHeme: Stable.\nRenal: Improving.\nEndo: Glucose controlled.",
		"VASCULAR ULTRASOUND - LOWER EXTREMITY VENOUS DUPLEX, RIGHT\nspectral Doppler of the right lower extremity",
		"Swan-Ganz catheter removed. Jackson-Pratt drain with serosanguinous output. Holter monitor ordered.",
		"Wound closed with Vicryl and Monocryl. Patient ambulating with walker. Baby boy in the well baby nursery.",
		"Alzheimer dementia, moderate. Huntington disease in family history. Tourette syndrome.",
		"History of Parkinson's and Hashimoto's; Alzheimer's dementia; Wernicke's aphasia; Lugol's iodine.",
		"Meds: aspirin, lisinopril, metformin and insulin. Will, may or can be held.",
		"Lasix, Coreg and Norvasc were held. Follow-Up in two weeks. X-Ray and Self-Pay noted.",
		"His son helps with English. BMP with Na 134, K 4.4. Fisherman with Fitzpatrick type II skin.",
		"Found in a parked car in the Lincoln Plaza lot; walks in Grant Park daily. Treaty on European Union.",
		"History of Mallory-Weiss tear, Sturge-Weber and Prader-Willi; also Klippel-Feil, Budd-Chiari and "
		"Dandy-Walker; known Peutz-Jeghers and Bence-Jones proteinuria; Charcot-Marie-Tooth disease.",
	};
	for (size_t k = 0; k < ML_ARRAY_LEN(notes); k++) {
		struct deid_opts o;
		deid_opts_init(&o);
		o.mode = DEID_MODE_NONE;
		struct deid_result r;
		deid_result_init(&r);
		CHECK(deid_text(e, notes[k], strlen(notes[k]), NULL, &o, &r, &err) == 0);
		size_t bad = 0;
		for (size_t q = 0; q < r.nspans; q++)
			if (r.spans[q].type == DEID_PATIENT || r.spans[q].type == DEID_DOCTOR) {
				bad++;
				fprintf(stderr, "# note %zu: name span %zu-%zu\n", k, r.spans[q].start, r.spans[q].end);
			}
		CHECK_EQ_INT(bad, 0);
		deid_result_release(&r);
	}
}

/* The conversational and shape rules on names that are in no list (invented for this test). */
TEST(name_cues_on_unknown_names)
{
	struct ml_err err = {0};
	const struct deid_engine *e = engine();
	CHECK(e);
	static const struct {
		const char *text, *name;
	} cases[] = {
		{"What's your last name? Quovadrik", "Quovadrik"},
		{"Could you confirm the name on the file? Caller: Zenobrina Talvesk", "Zenobrina Talvesk"},
		{"\"Who are you?\" Orla:\"I'm Vardimene's daughter\".", "Vardimene"},
		{"It was a done thing between him and Thessaly's kid.", "Thessaly"},
		{"Karvendo: \"Where were you?\" he asked.", "Karvendo"},
		{"\"We will manage,\" says Ostrava-Lind.", "Ostrava-Lind"},
		{"Willemine ten Paskeveld will present today.", "Willemine ten Paskeveld"},
		{"Thanks for coming, Robert! See you next week.", "Robert"},
		{"Admitted under Jorvan K. Smith overnight.", "Jorvan K. Smith"},
		{"My name is Ján M. Novák but everyone calls me Ján.", "Ján M. Novák"},
		{"the children were adam, kristina, margaret and caleb.", "kristina"},
		{"singing the verses from Edi Qorvanek's early songs", "Edi Qorvanek"},
		{"Have you been to a Ravil G Yefimov concert before?", "Ravil G Yefimov"},
		{"Smith-Jones said the pain was better.", "Smith-Jones"},
		{"The patient met with Maria Smith-Jones yesterday.", "Maria Smith-Jones"},
		{"Yusuf al-Rashid was admitted overnight.", "Yusuf al-Rashid"},
		{"Contact Siobhan O'Sullivan-Reyes at home.", "Siobhan O'Sullivan-Reyes"},
		{"Nurse McAllister gave report to the night team.", "McAllister"},
		{"Marie-Claire d'Arcy visited.", "Marie-Claire d'Arcy"},
		{"Followed by Hendrik van der Berg in clinic.", "Hendrik van der Berg"},
		{"Okonkwo-Adeyemi, Chidinma was seen.", "Okonkwo-Adeyemi"},
	};
	for (size_t k = 0; k < ML_ARRAY_LEN(cases); k++) {
		struct deid_opts o;
		deid_opts_init(&o);
		o.mode = DEID_MODE_NONE;
		struct deid_result r;
		deid_result_init(&r);
		CHECK(deid_text(e, cases[k].text, strlen(cases[k].text), NULL, &o, &r, &err) == 0);
		const char *at = strstr(cases[k].text, cases[k].name);
		size_t a = ncp(cases[k].text, (size_t)(at - cases[k].text)), b = a + ncp(cases[k].name, strlen(cases[k].name));
		bool ok = found(&r, a, b);
		if (!ok)
			fprintf(stderr, "# case %zu: name not found\n", k);
		CHECK(ok);
		deid_result_release(&r);
	}
}
