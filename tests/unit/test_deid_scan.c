/* test_deid_scan.c: the fast pattern scan (windows around sites) against the reference full scan, on generated
 * notes dense with planted PHI of every pattern's shape, near misses, noise bytes and UTF-8. */
#include "deid/deid_int.h"
#include "deid_testengine.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Fragments in the shapes the patterns look for ("#" becomes a random digit, "@" a random capital), with
 * near misses next to them. */
static const char *const FRAGS[] = {
	"Patient: Bell, Harold    MRN: #######    DOB: ##/##/####", "Attending: Maria Chen, MD", "SSN ###-##-####",
	"ss# ###-##-####", "###-##-####", "(###) ###-####", "###-###-#### ext. ##", "+1 ### ### ####", "###.###.####",
	"##########", "x####", "ext ####", "call #-####", "+## ## #### ####", "00 ## ## ## ##", "####-##-## ##:##:##",
	"##/##/####", "#/#/##", "##-##-####", "##.##.####", "#.#.##", "##/####", "#/##", "2/6 murmur", "5/5 strength",
	"BP ###/##", "on March #, ####", "# Jan ####", "12th of October", "Sept. ####", "##-Oct-##", "in May",
	"Mon, #/#", "on the 3rd", "# de enero de ####", "lunes", "mi\xC3\xA9rcoles", "####\xE5\xB9\xB4#\xE6\x9C\x88#\xE6\x97\xA5",
	"#\xE6\x9C\x88\xE6\x9C\x88##\xE6\x97\xA5", "\xE6\x9C\x88#\xE6\x9C\x88", "##\xE6\x9C\x88#\xE5\x8F\xB7",
	"Tuesday", "Christmas Eve", "Martin Luther King Day", "in ####", "(####)", "########", "##############",
	"##-year-old", "## yo", "##yo F", "## M", "##F", "twenty-two year old", "age ##", "in his 40s",
	"died at ##", "mother, ##", "turned ##", "## a\xC3\xB1os", "age/sex: ##", "##/M", "Harold Bell, ## yo",
	"son Tom (##)", "dx at ##", "sister: ##", "ages #, # and #", "Unit #B", "Acct # ########", "FIN ########",
	"visit # ######", "Member ID: @@#######", "group # #####", "DEA @@#######", "plate @@@-####", "serial @@####",
	"biobank id ######", "NPI ##########", "order # ######", "@@-######", "@#@#@#", "user jsmith42", "j_smith",
	"entered by nurse7", "room ##", "OR #", "ED-##", "bed: East ##", "Unit: Cardiac Step-Down, Room #",
	"# WEST Medicine", "Tower # North", "Cardiac Rehab Program", "#### Maple Street", "## N. Harbor View Drive Apt #",
	"P.O. Box ###", "Elm Road", "Springfield, MA #####", "Lowell, New Hampshire", "Dover, NH", "zip: #####",
	"Walden Pond", "Cape Cod", "Riverside Medical Center", "RIVERSIDE MEDICAL CENTER", "Saint Agnes Hospital",
	"Hilltop Family Medicine of the North Shore", "Hospital de San Juan", "Cl\xC3\xADnica Santa Maria",
	"Acme Roofing", "CVS Pharmacy", "Visiting Nurse Association of Boston", "Salem PD", "RO/jk", "(AB/cd)",
	"j.smith@example.org", "https://portal.example.org/u/##", "www.example.com", "example.co.uk", "##.##.##.###",
	"fe80::1ff:fe23:4567:890a", "##:##", "Mr. Okoro", "His wife Priya called.", "Pain #/10.", "Wt ##.# kg.",
	"Na ###, K #.#", "ICD I##.#", "metoprolol ## mg PO BID", "Follow up with Dr. Walsh on ##/##.",
	"Electronically signed: Kenji Sato, MD ##/##/#### ##:##", "Cr #.#.", "##.#.#.#", "1#.##.#", "#-#", "#-##",
	"@@ #####", "Nashua, NH #####-####", "+## (#)# ### ### ##", "(##) #### ####", "(##) ###-###", "##### ### ###",
	"### #### office", "##########-Fax", "+# (###) ###-#### cell", "Phone:\n(###) ###-####", "a,b", ", ##", ",  NY", "\xC5\xBF", "\xE2\x84\xAA", "\xC3\x89mile",
	/* the edges of the patterns whose site checks are exact (pat_def.exact) or test look-arounds first */
	"####-##-##T##:##:##", "####-##-## ##:##:##:##", "####-##-## ##:##:#", "##/####.#", "0#/####", "1#/####", "00/####",
	"##/##-#", "##/##.#", "##/###", ":##/##", "##/##/", "####-#", "####.#", ".####", "\xC3\xA9####", "\xC2\xB0## M",
	"Twenty-one years old", "thirty yr old", "twenty-two years-old", "ninety year oldest", "##-year old",
	"Boston, MA", "Boston,  MA-", "boston, MA", "Boston, ZZ", "Salem, NHS", "## y/o M", "##yo F", "## yoF", "##y/oM",
	"## M's", "### F.", "## Old Post Turnpike", "Boston Post Turnpike", "# Westover St", "### Forest Dr. #", "##st Street",
	"Dr. Stone", "at ## Pine Ridge Loop", "Main Street Clinic", "Brookstone Way", "North Little Rock, AR #####",
	"Winston-Salem, NC #####-####", "St. Paul, MN #####", "Coeur d'Alene, ID #####", "Saint J\xC3\xA9r\xC3\xB4me, VT #####",
	"lives in Lowell MA #####", "Lowell, MA. #####", "Lowell, MA, #####", "AB #####", "moved to Big Sky Falls City, MT #####",
	"Augu\xC5\xBFt ##, ####", "Augu\xC5\xBFt ####", "Marchy ##", "Sept. #", "MAYO ####", "Juneau ##", "dec ##", "Decem ##",
	"## y", "##-yr old", "##y/o", "x-y ##",
};

/* Noise between fragments: separators and the bytes the sites and checks look at. */
static const char NOISE[] = "0123456789 -/.:,()+#ABMFxyz\n\t_@'";

static size_t gen_note(char *buf, size_t cap)
{
	size_t n = 0;
	unsigned parts = 3 + rnd(25);
	for (unsigned p = 0; p < parts && n + 200 < cap; p++) {
		const char *f = FRAGS[rnd(sizeof FRAGS / sizeof *FRAGS)];
		for (const char *c = f; *c; c++) {
			char ch = *c;
			if (ch == '#')
				ch = (char)('0' + rnd(10));
			else if (ch == '@')
				ch = (char)('A' + rnd(26));
			buf[n++] = ch;
		}
		unsigned k = rnd(4);
		if (k == 0) {
			buf[n++] = ' ';
		} else if (k == 1) {
			buf[n++] = '\n';
		} else {
			for (unsigned j = 1 + rnd(3); j; j--)
				buf[n++] = NOISE[rnd(sizeof NOISE - 1)];
		}
	}
	buf[n] = 0;
	return n;
}

static bool same_result(const struct deid_result *a, const struct deid_result *b)
{
	if (a->nspans != b->nspans || a->text_len != b->text_len || (a->text_len && memcmp(a->text, b->text, a->text_len)))
		return false;
	for (size_t i = 0; i < a->nspans; i++)
		if (a->spans[i].start != b->spans[i].start || a->spans[i].end != b->spans[i].end ||
		    a->spans[i].type != b->spans[i].type || a->spans[i].source != b->spans[i].source ||
		    a->spans[i].confidence != b->spans[i].confidence)
			return false;
	return true;
}

TEST(windowed_scan_gives_the_reference_spans)
{
	struct deid_engine *e = engine();
	CHECK(e);
	static char note[8192];
	struct deid_opts o;
	deid_opts_init(&o);
	long spans = 0;
	for (int i = 0; i < 4000; i++) {
		size_t n = gen_note(note, sizeof note);
		struct deid_result a, b;
		deid_result_init(&a);
		deid_result_init(&b);
		struct ml_err err = {0};
		CHECK(deid_text(e, note, n, NULL, &o, &a, &err) == 0);
		CHECK(deid_text_reference(e, note, n, NULL, &o, &b, &err) == 0);
		if (!same_result(&a, &b)) {
			fprintf(stderr, "# note %d differs (%zu vs %zu spans): %s\n", i, a.nspans, b.nspans, note);
			for (size_t k = 0; k < a.nspans || k < b.nspans; k++)
				fprintf(stderr, "#   %zu: fast %zu-%zu %s | reference %zu-%zu %s\n", k,
					k < a.nspans ? a.spans[k].start : 0, k < a.nspans ? a.spans[k].end : 0,
					k < a.nspans ? deid_type_name(a.spans[k].type) : "-",
					k < b.nspans ? b.spans[k].start : 0, k < b.nspans ? b.spans[k].end : 0,
					k < b.nspans ? deid_type_name(b.spans[k].type) : "-");
		}
		CHECK(same_result(&a, &b));
		spans += (long)a.nspans;
		deid_result_release(&a);
		deid_result_release(&b);
	}
	/* the notes are dense with PHI: a scan that found nothing would pass the comparison vacuously */
	CHECK(spans > 4000 * 3);
}

TEST(long_notes_give_the_reference_spans)
{
	/* notes of tens of kilobytes: the scratch of the fast scan outgrows its inline buffers, and the literal
	 * pass walks the note in several chunks on each of its two halves */
	struct deid_engine *e = engine();
	CHECK(e);
	static char note[65536];
	struct deid_opts o;
	deid_opts_init(&o);
	for (int i = 0; i < 12; i++) {
		size_t n = 0, want = 8192 + rnd(sizeof note - 8192 - 1024);
		while (n < want)
			n += gen_note(note + n, sizeof note - n);
		struct deid_result a, b;
		deid_result_init(&a);
		deid_result_init(&b);
		struct ml_err err = {0};
		CHECK(deid_text(e, note, n, NULL, &o, &a, &err) == 0);
		CHECK(deid_text_reference(e, note, n, NULL, &o, &b, &err) == 0);
		if (!same_result(&a, &b))
			fprintf(stderr, "# long note %d (%zu bytes) differs: %zu vs %zu spans\n", i, n, a.nspans, b.nspans);
		CHECK(same_result(&a, &b));
		CHECK(a.nspans > n / 200); /* dense with PHI, as the short notes */
		deid_result_release(&a);
		deid_result_release(&b);
	}
}

TEST(a_big_repetitive_note_is_linear)
{
	/* 4 MB of one short fragment: every literal occurs ~200,000 times, and the literal pass reports them
	 * from its parallel walks interleaved; grouping them must not be quadratic (it was, with an insertion
	 * sort: 14 s here). Seconds are a generous bound even under sanitizers. */
	struct deid_engine *e = engine();
	CHECK(e);
	const char *frag = "12 y old, st or ed. ";
	size_t fl = strlen(frag), n = 0, cap = 4u << 20;
	char *note = malloc(cap + 1);
	CHECK(note);
	while (n + fl <= cap)
		memcpy(note + n, frag, fl), n += fl;
	struct deid_opts o;
	deid_opts_init(&o);
	o.mode = DEID_MODE_NONE;
	struct deid_result a;
	deid_result_init(&a);
	struct ml_err err = {0};
	clock_t t0 = clock();
	CHECK(deid_text(e, note, n, NULL, &o, &a, &err) == 0);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(a.nspans == n / fl); /* "12 y old" in each fragment */
	CHECK(secs < 10);
	deid_result_release(&a);
	/* one run of hex digits and colons of 256 KB: the IPv6 sites are decided once for the run (a check per
	 * colon over the whole run was quadratic: ~25 s here) */
	size_t hexn = 256u << 10;
	for (size_t i = 0; i + 2 <= hexn; i += 2)
		note[i] = 'a', note[i + 1] = ':';
	deid_result_init(&a);
	t0 = clock();
	CHECK(deid_text(e, note, hexn, NULL, &o, &a, &err) == 0);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 10);
	deid_result_release(&a);
	free(note);
}

TEST(every_windowed_pattern_finds_its_planted_value)
{
	/* one note per fragment, so a window that lost a whole pattern shows even where others cover it */
	struct deid_engine *e = engine();
	CHECK(e);
	struct deid_opts o;
	deid_opts_init(&o);
	char note[512];
	for (size_t f = 0; f < sizeof FRAGS / sizeof *FRAGS; f++) {
		size_t n = 0;
		n += (size_t)snprintf(note, sizeof note, "Seen today. ");
		for (const char *c = FRAGS[f]; *c; c++)
			note[n] = *c == '#' ? (char)('1' + (n % 9)) : *c == '@' ? 'K' : *c, n++;
		n += (size_t)snprintf(note + n, sizeof note - n, " noted.\n");
		struct deid_result a, b;
		deid_result_init(&a);
		deid_result_init(&b);
		struct ml_err err = {0};
		CHECK(deid_text(e, note, n, NULL, &o, &a, &err) == 0);
		CHECK(deid_text_reference(e, note, n, NULL, &o, &b, &err) == 0);
		if (!same_result(&a, &b))
			fprintf(stderr, "# fragment %zu differs: %s\n", f, note);
		CHECK(same_result(&a, &b));
		deid_result_release(&a);
		deid_result_release(&b);
	}
}
