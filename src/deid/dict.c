/* dict.c: the dictionaries (names, places, eponyms, clinical words) as one open-addressing hash table. */
#include "deid/deid_int.h"

#include <string.h>
#include <utf8proc.h>

size_t deid_fold(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	if (n < cap) {
		/* the usual word: ASCII and short enough, folded without the per-byte checks; the general loop
		 * below takes over at the first non-ASCII byte */
		for (; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c >= 0x80)
				break;
			out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		o = i;
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0) {
			i++;
			continue;
		}
		/* Fold case and drop accents so "José" finds "jose" and "Müller" finds "muller". */
		utf8proc_int32_t buf[8];
		utf8proc_ssize_t m = utf8proc_decompose_char(cp, buf, 8, UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE |
								   UTF8PROC_STRIPMARK, NULL);
		for (utf8proc_ssize_t j = 0; j < m && j < 8; j++) {
			if (utf8proc_category(buf[j]) == UTF8PROC_CATEGORY_MN)
				continue;
			char enc[4];
			size_t el = ml_utf8_encode((uint32_t)buf[j], enc);
			if (o + el >= cap)
				goto done;
			memcpy(out + o, enc, el);
			o += el;
		}
		i += (size_t)k;
	}
done:
	out[o] = 0;
	return o;
}

static struct deid_dict_slot *slot_for(const struct deid_dict *d, const char *k, size_t n)
{
	return deid_dict_slot_at(d, k, n, deid_word_hash(k, n), deid_head8(k, n));
}

static const char *add(struct deid_dict *d, const char *k, size_t n, uint32_t flags)
{
	char f[256];
	n = deid_fold(k, n, f, sizeof f);
	if (!n)
		return NULL;
	if ((d->count + 1) * 2 > d->mask + 1) {
		/* grow: rehash into a table twice the size */
		size_t nsize = (d->mask + 1) * 2;
		struct deid_dict_slot *old = d->slots;
		size_t omask = d->mask;
		d->slots = ml_xcalloc(nsize, sizeof *d->slots);
		d->mask = nsize - 1;
		for (size_t i = 0; i <= omask; i++)
			if (old[i].key)
				*slot_for(d, old[i].key, old[i].len) = old[i];
		ml_free(old);
	}
	/* mark the first word of a multi-word entry, so callers try longer lookups only after it */
	const char *sp = memchr(f, ' ', n);
	if (sp && sp > f) {
		size_t fl = (size_t)(sp - f);
		/* the first word may itself end with a hyphen-free token; strip trailing punctuation */
		while (fl > 1 && (f[fl - 1] == ',' || f[fl - 1] == '.'))
			fl--;
		add(d, f, fl, DF_MW);
	}
	struct deid_dict_slot *sl = slot_for(d, f, n);
	if (!sl->key) {
		sl->key = ml_arena_strndup(&d->arena, f, n);
		sl->len = (uint32_t)n;
		sl->head = deid_head8(f, n);
		d->count++;
	}
	sl->flags |= flags;
	return sl->key;
}

/* Adds every line of a compiled-in file; a line "name<TAB>abbr" (states.txt) adds both. */
static void add_lines(struct deid_dict *d, const char *data, uint32_t flags, const char ***pool, size_t *npool)
{
	size_t cap = 0;
	for (const char *p = data; *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *tab = memchr(p, '\t', n);
		if (tab) {
			add(d, p, (size_t)(tab - p), flags);
			add(d, tab + 1, n - (size_t)(tab - p) - 1, DF_STATE_ABBR);
		} else if (n) {
			const char *key = add(d, p, n, flags);
			if (pool && key && !strchr(key, ' ') && !strchr(key, '\'')) {
				if (*npool == cap) {
					cap = cap ? cap * 2 : 256;
					*pool = ml_xrealloc(*pool, cap * sizeof **pool);
				}
				(*pool)[(*npool)++] = key;
			}
		}
		p += n + (eol ? 1 : 0);
	}
}

static void add_words(struct deid_dict *d, const char *words, uint32_t flags)
{
	for (const char *p = words; *p;) {
		while (*p == ' ')
			p++;
		const char *q = p;
		while (*q && *q != ' ')
			q++;
		if (q > p) {
			/* '_' stands for a space inside a multi-word entry */
			char buf[64];
			size_t n = (size_t)(q - p) < sizeof buf ? (size_t)(q - p) : sizeof buf - 1;
			memcpy(buf, p, n);
			for (size_t i = 0; i < n; i++)
				if (buf[i] == '_')
					buf[i] = ' ';
			add(d, buf, n, flags);
		}
		p = q;
	}
}

static const char STOP_WORDS[] =
	"a an the and or but of in on at to for from by with without as is was were be been are am has had "
	"have do does did not no yes this that these those it its he she him her his hers they them their we us "
	"our you your i me my mine who whom whose which what when where why how all any some each every both "
	"either neither other another such same than then so too very can could may might must shall should "
	"will would also only just still again ever never here there now today tonight tomorrow yesterday "
	"per via into onto upon over under after before during since until while about above below between "
	"within without around across through toward towards s/p w/ c/o re cc dear hi hello thanks thank "
	"please sincerely regards best yours cordially respectfully warmly kind kindly "
	"mr mrs ms miss dr doctor prof sir madam pt patient pts client family note see seen call called "
	"monday tuesday wednesday thursday friday saturday sunday january february march april june july "
	"august september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
	"am pm noon midnight yes no none nil na n/a unknown other male female man woman boy girl baby infant "
	"son daughter wife husband mother father brother sister";

static const char CREDENTIALS[] =
	"md m.d. do d.o. rn r.n. np n.p. pa pa-c phd ph.d. dnp fnp fnp-bc fnp-c aprn cnm crna lpn lcsw licsw "
	"msw pharmd rph dpt pt ot otr otr/l slp ccc-slp rd ld ldn rrt facc facp fhrs facs faap facog faan "
	"mph mba cnp agnp anp acnp whnp pnp cns bsn msn emt emt-p paramedic dds dmd od dc dpm lmft lmhc psyd "
	"cgc ibclc cde cdces rdms rvt rcs mt mls lac cma lna cna np-c mbbs frcpc agpcnp-bc anp-bc acnp-bc "
	"ccrn cen rnc cpnp pmhnp pmhnp-bc lmsw ma ms rt cpht mt(ascp) ccc mscp cscs atc crnp";

/* The words after which the context rules of names.c (deid_context_names) look for a name: every other token
 * skips those rules with one flag test instead of a dozen string compares. Keep in step with names.c. */
static const char CUE_WORDS[] =
	"pt patient is named called calls call m i'm i\xE2\x80\x99m by aka nickname prefers with per paged notified "
	"informed to from cc and thanks dear hi hello sincerely regards respectfully cordially warmly best "
	"atentamente";

static const char TITLES_DR[] = "dr dr. doctor prof prof. professor dra dra.";
static const char TITLES_PT[] = "mr mr. mrs mrs. ms ms. miss mx mx. sr sra srta señor señora";

static const char RELATIONS[] =
	"wife husband spouse partner son daughter mother father mom dad brother sister niece nephew aunt uncle "
	"cousin grandson granddaughter grandmother grandfather grandma grandpa stepson stepdaughter stepmother "
	"stepfather boyfriend girlfriend fiance fiancee friend roommate neighbor neighbour caregiver guardian "
	"sibling child children kids daughter-in-law son-in-law mother-in-law father-in-law sister-in-law "
	"brother-in-law landlord employer boss coworker co-worker supervisor proxy poa hcp officer trooper "
	"esposa esposo hija hijo madre padre hermana hermano dtr dau grand-daughter grand-son granddtr";

static const char EPO_NEXT[] =
	"disease disease's syndrome sign signs palsy catheter score scale criteria classification grade protocol "
	"test maneuver manoeuvre reflex fracture cyst triangle technique surgery stage staging procedure rules "
	"rule gait fingers fistula position tube repair operation incision method law ulcer node nodes "
	"phenomenon lesion tumor tumour sarcoma lymphoma disorder pouch space diverticulum esophagus fascia "
	"ligament duct gland glands cells cell body bodies voice equation formula index questionnaire inventory "
	"splint boot collar stockings stocking mask forceps clamp level depth nodule nodules spots lines line "
	"bag drain needle retractor valve shunt approach incision's balloon criteria's type types "
	"coma sleepiness ankle fall stool disease. sign. tear tears malformation anomaly deformity protein "
	"proteinuria polyp polyps effect triad pentad complex variant";

static const char ORGS[] =
	"walgreens cvs cvs_pharmacy rite_aid walmart wal-mart costco kroger safeway stop_&_shop home_depot "
	"lowe's amazon ups fedex starbucks dunkin dunkin' mcdonald's target_pharmacy hannaford market_basket "
	"shaw's big_y price_chopper wegmans publix meijer h-e-b heb albertsons giant_eagle shoprite "
	"anthem aetna cigna humana unitedhealthcare united_healthcare unitedhealth kaiser kaiser_permanente "
	"blue_cross blue_cross_blue_shield bcbs harvard_pilgrim tufts_health_plan oscar_health molina "
	"centene wellcare ambetter highmark premera regence florida_blue geico allstate progressive "
	"state_farm liberty_mutual travelers amtrak greyhound uber lyft doordash instacart "
	"american_red_cross red_cross salvation_army goodwill ymca ywca";

/* Languages, nationalities and other capitalised words that are not names of people. */
static const char NOT_NAMES[] =
	"english spanish chinese mandarin cantonese arabic french german italian portuguese russian polish "
	"vietnamese korean japanese hindi urdu bengali punjabi tagalog haitian creole somali amharic swahili "
	"american african hispanic latino latina latinx asian caucasian irish italian greek jewish muslim "
	"christian catholic protestant baptist methodist hindu buddhist sikh english-speaking spanish-speaking "
	"god lord jesus allah bible medicare medicaid tricare hipaa covid covid-19 sars-cov-2 "
	"european canadian mexican british australian indian pakistani nigerian ghanaian brazilian cuban "
	"dominican filipino swedish norwegian danish finnish dutch turkish iranian persian iraqi syrian lebanese "
	"egyptian moroccan ethiopian eritrean kenyan ukrainian romanian hungarian czech slovak serbian croatian "
	"bosnian albanian scottish welsh nepali tibetan thai cambodian khmer laotian hmong burmese indonesian "
	"malaysian israeli palestinian jordanian saudi yemeni afghan pashto farsi dari gujarati tamil telugu "
	"marathi kannada malayalam sinhala navajo ";

/* Manufacturers, products and vehicles: never PHI, and their words are kept out of names and places. */
static const char NON_PHI[] =
	"boston_scientific medtronic abbott st._jude st_jude biotronik resmed philips respironics dexcom "
	"freestyle_libre omnipod tandem insulet stryker zimmer zimmer_biomet depuy smith_&_nephew "
	"baxter fresenius hill-rom hillrom cardinal_health becton_dickinson bd pfizer moderna janssen "
	"johnson_&_johnson novo_nordisk eli_lilly lilly merck astrazeneca sanofi gsk glaxosmithkline "
	"honda toyota ford chevrolet chevy nissan hyundai kia subaru jeep dodge tesla volkswagen bmw "
	"mercedes audi mazda lexus honda_civic honda_accord toyota_camry toyota_corolla ford_f-150 "
	"epic cerner meditech apple_watch fitbit iphone android zoom teams mychart "
	"mini-mental montreal_cognitive_assessment moca phq-9 gad-7 audit-c ";

/* Words that alone do not make a facility name specific ("Heart Failure Clinic", "Internal Medicine"). */
static const char GENERIC[] =
	"heart failure device pacemaker anticoagulation coumadin wound diabetes endocrine endocrinology lipid "
	"memory pain sleep cancer breast lung liver kidney renal transplant vascular vein spine sports hand foot "
	"eye ear nose throat ent allergy asthma travel infusion dialysis urgent walk-in prenatal obstetrics "
	"gynecology women's children's men's family internal primary general medical surgical pediatric "
	"geriatric adult behavioral mental psychiatric addiction recovery rehab rehabilitation physical "
	"occupational speech therapy health care center centre clinic clinics hospital medicine cardiology "
	"the and & of for outpatient inpatient fracture orthopedic orthopedics neurology stroke epilepsy "
	"headache movement disorders multiple sclerosis hiv infectious disease diseases tb hepatology gi "
	"gastroenterology oncology hematology radiation imaging radiology mammography echo cath ep "
	"electrophysiology cardiac pulmonary rheumatology dermatology urology nephrology ophthalmology "
	"podiatry dental nutrition weight bariatric palliative hospice home community academic teaching "
	"emergency department dept icu ccu micu sicu nicu picu ed er or pacu labor delivery l&d "
	"step-down stepdown telemetry med/surg medical/surgical unit floor ward service program services "
	"respiratory lab laboratory pathology pharmacy surgery trauma burn neonatal newborn nursery "
	"maternity postpartum antepartum observation short-stay same-day ambulatory procedure procedures "
	"associates group practice physicians partners office offices patient patients our your my his her "
	"a an at in to with by on from this that new old cardiothoracic thoracic neurosurgery ortho "
	"interventional diagnostic clinical wellness preventive integrative vaccine vaccination covid "
	"testing screening fertility ivf genetics genetic counseling nurse nursing skilled assisted living "
	"senior elder memory-care residential treatment facility institute system network university "
	"short-term long-term acute subacute sub-acute good poor fair excellent nuclear perfusion myocardial "
	"spect stress ultrasound x-ray xray ct mri pet scan study test report note summary consult "
	"regadenoson adenosine dobutamine exercise treadmill vascular venous arterial carotid duplex doppler "
	"center centre general memorial specialty specialists care-center inpatient-rehab discharge "
	"admission transfer transport services referral evaluation assessment visit follow-up follow";

/* Month and weekday names (never a person's name on their own). */
static const char MONTHDAY[] =
	"january february march april may june july august september october november december jan feb mar "
	"apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue "
	"tues wed thu thur thurs fri sat sun";

int deid_dict_build(struct deid_dict *d)
{
	memset(d, 0, sizeof *d);
	ml_arena_init(&d->arena, 64 * 1024);
	d->mask = (1u << 18) - 1; /* room for the English lexicon without rehashing */
	d->slots = ml_xcalloc(d->mask + 1, sizeof *d->slots);
	add_lines(d, deid_data_first, DF_FIRST, &d->first, &d->nfirst);
	add_lines(d, deid_data_last, DF_LAST, &d->last, &d->nlast);
	add_lines(d, deid_data_cities, DF_CITY, &d->cities, &d->ncities);
	add_lines(d, deid_data_states, DF_STATE, NULL, NULL);
	add_lines(d, deid_data_countries, DF_COUNTRY, NULL, NULL);
	add_lines(d, deid_data_professions, DF_PROFESSION, NULL, NULL);
	add_lines(d, deid_data_eponyms, DF_EPONYM, NULL, NULL);
	add_lines(d, deid_data_clinical, DF_CLINICAL, NULL, NULL);
	add_lines(d, deid_data_ambiguous, DF_AMBIG, NULL, NULL);
	add_lines(d, deid_data_english, DF_ENGLISH, NULL, NULL);
	add_words(d, STOP_WORDS, DF_STOP);
	add_words(d, CUE_WORDS, DF_CUE);
	add_words(d, CREDENTIALS, DF_CRED);
	add_words(d, TITLES_DR, DF_TITLE_DR);
	add_words(d, TITLES_PT, DF_TITLE_PT);
	add_words(d, RELATIONS, DF_RELATION);
	add_words(d, EPO_NEXT, DF_EPO_NEXT);
	add_words(d, ORGS, DF_ORG);
	add_words(d, GENERIC, DF_GENERIC);
	add_words(d, MONTHDAY, DF_MONTHDAY);
	add_words(d, NOT_NAMES, DF_CLINICAL);
	add_words(d, NON_PHI, DF_EPONYM);
	if (!d->nfirst || !d->nlast || !d->ncities)
		return -1;
	return 0;
}

void deid_dict_release(struct deid_dict *d)
{
	ml_free(d->slots);
	ml_free(d->first);
	ml_free(d->last);
	ml_free(d->cities);
	ml_arena_release(&d->arena);
	memset(d, 0, sizeof *d);
}

uint32_t deid_dict_get(const struct deid_dict *d, const char *s, size_t n)
{
	char f[256];
	if (n >= sizeof f)
		return 0;
	n = deid_fold(s, n, f, sizeof f);
	if (!n)
		return 0;
	const struct deid_dict_slot *sl = slot_for(d, f, n);
	return sl->key ? sl->flags : 0;
}
