/* engine.c: PHI detection: PCRE2 patterns, name context rules, dictionaries, known identifiers. */
#include "deid/deid_int.h"

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

/* ---- patterns ----------------------------------------------------------------------------------------- */

/* Post-checks applied to a pattern's match (the regex finds the shape, the check the plausibility). */
enum {
	K_PLAIN,
	K_DATE_NUM, /* numeric date with a year: month and day in range */
	K_DATE_MD,  /* month/day without a year: in range and not a clinical fraction ("2/6 murmur") */
	K_YEAR,     /* a bare year: only with a date context ("in 2019", "(2015)") */
	K_AGE,      /* an age: at most 125 */
	K_AGE_MF,   /* "92F": an age, not a catheter size or a temperature */
	K_PHONE,    /* a phone number; FAX when labelled fax */
	K_PHONE_CTX, /* a short extension ("2-6642"): needs a phone context before it */
	K_PHONE_INTL, /* digit groups: 8 to 15 digits */
	K_PHONE_LBL,  /* after a phone label: 6 to 15 digits, not a date */
	K_ID,        /* labelled identifier value: has a digit */
	K_IDGEN,     /* unlabelled identifier-looking token */
	K_FACILITY,  /* hospital or organisation name: trim leading words, needs a specific word */
	K_STREET_NONUM,
	K_DEPT,
	K_WEEKDAY,
	K_USER,
	K_CITY
};

#define MON "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
#define ST_ABBR "(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR)"
#define ST_ABBR_SAFE "(?:AL|AK|AZ|AR|CA|CO|CT|FL|GA|HI|IL|IA|KS|KY|LA|MI|MN|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
#define ST_NAME "(?:Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|Puerto Rico)"
#define CAPW "[A-Z][\\p{L}'\\x{2019}.-]*"
/* between a label and its value: "#", ":", "no.", "number" in any combination */
#define LBL_SEP "(?:[ \\t]*(?:#|:|no\\.?|nbr|number|num\\.?|id)(?![\\p{L}\\d]))*[ \\t]*"
#define IDVAL "([A-Z0-9](?:[A-Za-z0-9]|[-.](?=[A-Za-z0-9]))*)"
/* a qualifier that weak labels ("visit", "group", "order") need before their value */
#define LBL_Q "[ \\t]*(?:#|no\\.?|nbr|number|num\\.?|id)(?![\\p{L}\\d])"

/* Site kinds of windowed patterns: the pattern's own literals (its need list), bytes of a class, or the
 * first digit of a run of digits; each site must pass the pattern's check (a necessary condition). */
enum { W_NONE, W_NEEDLE, W_BYTE, W_DRUN };
enum {
	C_NONE,
	C_IP,         /* (\d{1,3}\.){3}\d */
	C_IP6,        /* a ':' in a run of hex digits and colons holding a letter and two colons */
	C_SSN,        /* ddd-dd-d */
	C_PHONE,      /* at least 10 digits in the run of phone characters */
	C_PHONE_INTL, /* at least 8 of them */
	C_DIG10,      /* a run of exactly 10 digits */
	C_EXT4,       /* d-dddd */
	C_ISO,        /* dddd-dd-dd */
	C_DATE_SEP,   /* d{1,4} [/-] d{1,2} (same separator) d */
	C_DATE_DOT,   /* d{1,2}.d{1,2}.d */
	C_MY,         /* d{1,2}/19 or /20 */
	C_MD,         /* d{1,2}/d */
	C_YEAR,       /* a run of exactly 4 digits starting 19 or 20 */
	C_DATE8,      /* a run of 8, 12 or 14 digits starting 19 or 20 */
	C_AGE_MF,     /* d{1,3} then M or F within 6 bytes */
	C_AGE_SLASH,  /* d{1,3}/M or /F */
	C_IDGEN,      /* an A-Z or digit not after [\w./-], starting 5+ bytes of [A-Z0-9.-] with a digit */
	C_COMMA_DIGIT, /* ", d" */
	C_COMMA_ST,   /* "," spaces, two capitals, not a word character */
	C_ZIP5,       /* a run of exactly 5 digits after a space */
	C_INITIALS,   /* "A/a" */
	C_XDIGIT,     /* a digit follows the site's literal "x" */
	C_YEARS_OLD,  /* the literal "year(s)"/"yr" after a letter and [- ], then [- ]old */
	C_CAPWORD,    /* the literal starts a capitalised word after a space */
	C_STREET,     /* C_CAPWORD, or the "pike" of " Turnpike" */
	C_AFTER_NUM,  /* the byte before the literal is a digit, a space or '-' */
	C_N
};
/* drun_mask and sites_by_check keep a digit run's passing checks as bits of a uint32_t */
_Static_assert(C_N <= 32, "too many site checks for the digit-run masks");

struct pat_def {
	const char *re;
	int kind, prio;
	float conf;
	int g1, t1, g2, t2, g3, t3;
	/* "a|b|c": the pattern runs only on notes whose lower-cased text contains one of these (speed) */
	const char *need;
	/* every match starts with one of the need literals (case-insensitively, ASCII): the pattern is tried,
	 * anchored, only where the note has one of them instead of scanning the whole note. Set only where
	 * the pattern is one leading alternation of words each of which begins with a need literal. */
	bool lead;
	/* lead patterns opening with \b MON and then '.', ',' or a space: the letters at a literal must spell
	 * a month (month_word) for the regex to be tried there */
	bool lead_month;
	/* windowed patterns (see scan_windowed): where a match can be, as "sites" every match contains; back
	 * and start are byte classes ("%d" digits, "%u" A-Z, "%l" a-z, "%h" bytes >= 0x80, "%%" a percent
	 * sign, any other byte itself): the bytes a match may hold before its site, and those it may start with
	 * (empty start: any) */
	int win, check;
	const char *back, *start;
	/* the check is the whole regex (its digit-run check tests every look-around and quantifier; no
	 * capture group is used): each site that passes is the start of a match ending at exact_end, and
	 * scan_windowed makes no regex call. Set only where that holds; the differential test (the
	 * reference runs the regex itself) checks it. */
	bool exact;
};

#define FAC_WORDS "(?:(?:St\\.|Saint|Mount|Mt\\.)[ ]+)?" CAPW "(?:[ ]+(?:&|and|of|the|for|" CAPW ")){0,6}"
#define HOSP_KW                                                                                         \
	"(?i:Hospital|Medical[ ]Center|Medical[ ]Centre|Health[ ]Center|Health[ ]Centre|Healthcare|"        \
	"Health[ ]Care|Health[ ]System|Medical[ ]Group|Medical[ ]Associates|Clinic|Infirmary|"              \
	"Family[ ]Medicine|Family[ ]Practice|Internal[ ]Medicine|Primary[ ]Care|Urgent[ ]Care|Pediatrics|"  \
	"Orthopedics|Orthopaedics|Orthopedic[ ]Associates|Cardiology|Dermatology(?:[ ]&[ ]Mohs[ ]Surgery)?|" \
	"Gastroenterology(?:[ ]Associates)?|Oncology|Neurology|Urology|Ophthalmology|Surgical[ ]Associates|" \
	"Surgery[ ]Center|Surgery|Physical[ ]Therapy|Rehabilitation(?:[ ]Center|[ ]Hospital)?|Rehab|"       \
	"Nursing[ ]Home|Nursing[ ]Center|Skilled[ ]Nursing|Care[ ]Center|Cancer[ ]Center|Cancer[ ]Institute|" \
	"Imaging(?:[ ]Center)?|Sleep(?:[ ]Disorders)?[ ]Center|Dialysis(?:[ ]Center)?|Kidney[ ]Center|"     \
	"Heart[ ]Institute|Heart[ ]Center|Eye[ ]Center|Behavioral[ ]Health(?:[ ]Hospital)?|"               \
	"Mental[ ]Health[ ]Center|Women's[ ]Health|Children's[ ]Hospital|Pavilion|Medical[ ]Respite|"      \
	"Occupational[ ]Health|Heart[ ]&[ ]Vascular|Vascular[ ]Center|Hospice[ ]House|Birth(?:ing)?[ ]Center|" \
	"OB/GYN|Health[ ]Partners|Physicians|Medical[ ]Practice|Memorial|General|Center|Centre|Institute|Associates)"  \
	"(?:[ ]&[ ](?:Nursing|Rehabilitation|Rehab|Wellness|Spine))?"
#define ORG_KW                                                                                          \
	"(?i:Pharmacy|Drugs?|(?:Elementary|Middle|High)[ ]School|School|Academy|College|University|Church|"  \
	"Parish|Temple|Mosque|Synagogue|Insurance|Home[ ]Health(?:[ ]Care)?|Home[ ]Care|Hospice(?:[ ]Care)?|" \
	"Visiting[ ]Nurse[ ]Association|VNA|Funeral[ ]Home|Fire[ ]Department|Police[ ]Department|"         \
	"Fire[ ]District|Shelter|Inc\\.?|LLC|Corp\\.?|Corporation|Company|Co\\.|Lines|Freight|Logistics|"    \
	"Trucking|Roofing|Landscaping|Construction|Woodworks|Diner|Restaurant|Cafe|Bakery|Bank|"            \
	"Credit[ ]Union|Museum|Library|Foundation|Services|Motors|Market|Supermarket|Courier|Transit|"      \
	"Authority|Agency|Daycare|Day[ ]Care|Preschool|Club|Farms?|Mills|Manufacturing|Industries|"         \
	"Enterprises|Solutions|Technologies|Medical[ ]Supply|Home[ ]Medical|Airlines|Express|Works|Ironworks|"   \
	"Shipyard|Factory|Studio|Garage|Salon|Store|Shop|Hardware|Law[ ]Firm|Partners|Brewery|Winery|Hotel|Inn|"  \
	"Diagnostics|Laboratories)"

/* Most patterns have one output group: the unset g2..t3 fields are zero. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct pat_def PATTERNS[] = {
	/* contact details */
	{"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}", K_PLAIN, 95, .99f, 0, DEID_EMAIL, .need = "@", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l%d._%%+-", .start = "%u%l%d._%%+-"},
	{"(?i)\\b(?:https?://|www\\.)[^\\s<>\"'()\\[\\]]*[^\\s<>\"'()\\[\\].,;:!?]", K_PLAIN, 95, .98f, 0, DEID_URL, .need = "http|www", .lead = true},
	{"(?i)(?<![@\\w.\\-/])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\\."
	 "(?:com|org|net|edu|gov|io|info|biz|us|health|care|local|co|uk|ca|de|fr|hu|fi|nl|be|ch|au|cn|jp|br|"
	 "es|it|pl|se|no|dk|ru|mx|ie|nz|za|at|pt|gr|cz|ro|il|kr|tw|sg|ar|cl|tr|in)\\b(?:/[^\\s)]*)?(?![@\\w-])",
	 K_PLAIN, 90, .9f, 0, DEID_URL, .need = ".com|.org|.net|.edu|.gov|.io|.info|.biz|.us|.health|.care|.local|.co|.uk|.ca|.de|.fr|.hu|.fi|.nl|.be|.ch|.au|.cn|.jp|.br|.es|.it|.pl|.se|.no|.dk|.ru|.mx|.ie|.nz|.za|.at|.pt|.gr|.cz|.ro|.il|.kr|.tw|.sg|.ar|.cl|.tr|.in", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l%d.-%h", .start = "%u%l%d%h"},
	{"(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?!\\.?\\d)",
	 K_PLAIN, 95, .97f, 0, DEID_IPADDR, .win = W_DRUN, .check = C_IP, .back = "", .start = ""},
	{"(?i)(?<![\\w:])(?=[0-9a-f:]*[a-f])(?=(?:[0-9a-f]*:){2})[0-9a-f]{1,4}(?::{1,2}[0-9a-f]{1,4}){2,7}(?![\\w:])",
	 K_PLAIN, 95, .9f, 0, DEID_IPADDR, .need = ":", .win = W_BYTE, .check = C_IP6, .back = "%dabcdefABCDEF", .start = "%dabcdefABCDEF"},
	/* SSN */
	{"(?<![\\d-])\\d{3}-\\d{2}-\\d{4}(?![\\d-])", K_PLAIN, 92, .95f, 0, DEID_SSN, .win = W_DRUN, .check = C_SSN, .back = "", .start = ""},
	{"(?i)\\b(?:SSN|SS#|SS[ ]?No\\.?|social[ ]security(?:[ ](?:number|no\\.?|#))?)(?:[ \\t]*(?:#|:|no\\.?|number))*"
	 "[ \\t]*(?:\\(?last[ ](?:4|four)(?:[ ]digits)?\\)?[ \\t]*[:#]?[ \\t]*|ending[ ]in[ ])?\\(?"
	 "((?:\\d{3}[- ]?\\d{2}[- ]?)?\\d{4}|\\*{3}-\\*{2}-\\d{4}|[xX]{3}-[xX]{2}-\\d{4})(?!\\d)",
	 K_PLAIN, 96, .98f, 1, DEID_SSN, .need = "ss|social", .lead = true},
	/* phones */
	{"(?<![\\w+])(?:\\+?1[ .-]?|00?1[ .-])?(?:\\(\\d{3}\\)[ .-]?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}"
	 "(?:[ ]*(?:,[ ]*)?(?:ext\\.?|x|extension|#)[ ]*\\d{1,5})?(?!\\d)", K_PHONE, 88, .95f, 0, DEID_PHONE, .win = W_DRUN, .check = C_PHONE, .back = "+(", .start = "+(%d"},
	{"(?i:\\b(?:phone|tel|telephone|mobile|cell|cellphone|desk|office|fax|pager|call[ ]me[ ](?:on|at)|"
	 "reach[ ]me[ ](?:on|at)|registered|answering[ ]at|contact[ ]number|ph|whatsapp))\\.?[ \\t]*(?:#|no\\.?|number)?[: \\t]*"
	 "(?:\\r?\\n[ \\t]*)?" /* forms put the number on the line under its label */
	 "((?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?\\d{2,5}(?:[ .-]?\\d{2,5}){1,4}(?:[ ]?(?:x|ext\\.?)[ ]?\\d{1,5})?)"
	 "(?![\\w/.-]*\\d)", K_PHONE_LBL, 84, .85f, 1, DEID_PHONE, .need = "phone|tel|mobile|cell|desk|office|fax|pager|call me|reach me|registered|answering|contact|ph|whatsapp", .lead = true},
	{"(?<![\\w+])\\+1[ ]\\d{3}[ ]\\d{3}[ ]\\d{4}(?!\\d)", K_PHONE, 88, .95f, 0, DEID_PHONE, .need = "+1", .win = W_NEEDLE, .check = C_NONE, .back = "", .start = "+"},
	{"(?<![\\w.+/-])[2-9]\\d{2}[2-9]\\d{6}(?![\\w-])", K_PHONE, 60, .6f, 0, DEID_PHONE, .win = W_DRUN, .check = C_DIG10, .back = "", .start = ""},
	{"(?<![\\w/-])x\\d{4,5}\\b", K_PLAIN, 85, .8f, 0, DEID_PHONE, .need = "x", .win = W_NEEDLE, .check = C_XDIGIT, .back = "", .start = "x"},
	{"(?i)\\b(?:ext\\.?|extension)[ ]?\\d{3,5}\\b", K_PLAIN, 85, .8f, 0, DEID_PHONE, .need = "ext", .lead = true},
	{"(?<![\\w/.-])\\d-\\d{4}(?![\\w/-])", K_PHONE_CTX, 70, .7f, 0, DEID_PHONE, .win = W_DRUN, .check = C_EXT4, .back = "", .start = ""},
	/* international: "+46 (0)8 928 571 38", "(08) 8747 6301", "(37) 788-063", "07700 063 966" */
	{"(?<![\\w+.-])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?\\d{1,5}(?:[ .-]\\d{2,5}){1,4}|\\d{2,5}(?:[ .-]\\d{2,4}){2,4})"
	 "(?![\\w.-]*\\d)",
	 K_PHONE_INTL, 45, .5f, 0, DEID_PHONE, .win = W_DRUN, .check = C_PHONE_INTL, .back = "+(", .start = "+(%d"},
	/* a number labelled after it: "781 1704 office", "3660170548-Fax" */
	{"(?<![\\w+.-])((?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?\\d[\\d .-]{5,18}\\d)[ ]?-?(?i:office|fax|mobile|cell)\\b", K_PHONE_LBL, 80,
	 .8f, 1, DEID_PHONE, .need = "office|fax|mobile|cell",
	 .win = W_NEEDLE, .check = C_NONE, .back = "%d+() .-", .start = "+(%d"},
	/* dates */
	{"(?<![\\w/.-])(\\d{4})-(\\d{2})-(\\d{2})(?:[ T]\\d{2}:\\d{2}:\\d{2})(?![\\w/:-])", K_DATE_NUM, 86, .97f, 0,
	 DEID_DATE, .win = W_DRUN, .check = C_ISO, .back = "", .start = "", .exact = true},
	{"(?<![\\w/.-])\\d{1,4}([/-])\\d{1,2}\\1\\d{2,4}(?![\\w/-]|\\.\\d)", K_DATE_NUM, 85, .95f, 0, DEID_DATE, .win = W_DRUN, .check = C_DATE_SEP, .back = "", .start = ""},
	{"(?<![\\w.])\\d{1,2}\\.\\d{1,2}\\.(?:\\d{4}|\\d{2})(?![\\w]|\\.\\d)", K_DATE_NUM, 80, .8f, 0, DEID_DATE, .win = W_DRUN, .check = C_DATE_DOT, .back = "", .start = ""},
	{"(?<![\\w/.-])(?:0?[1-9]|1[0-2])/(?:19|20)\\d{2}(?![\\w/])", K_PLAIN, 82, .9f, 0, DEID_DATE, .win = W_DRUN, .check = C_MY, .back = "", .start = "", .exact = true},
	{"(?<![\\w/.:-])\\d{1,2}/\\d{1,2}(?![\\w/]|\\.\\d|-\\d)", K_DATE_MD, 75, .8f, 0, DEID_DATE, .win = W_DRUN, .check = C_MD, .back = "", .start = "", .exact = true},
	{"(?i)\\b" MON "\\.?[ ]{1,2}\\d{1,2}(?:st|nd|rd|th)?\\b(?:,?[ ]{1,2}(?:\\d{4}|'\\d{2}))?", K_PLAIN, 85, .95f, 0,
	 DEID_DATE, .need = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", .lead = true, .lead_month = true},
	{"(?i)\\b\\d{1,2}(?:st|nd|rd|th)?[ ]{1,2}(?:of[ ]+)?" MON "\\b\\.?(?:,?[ ]{1,2}\\d{4})?", K_PLAIN, 85, .95f, 0,
	 DEID_DATE, .need = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", .win = W_NEEDLE, .check = C_NONE, .back = "%d stndrhofSTNDRHOF%h", .start = "%d"},
	{"(?i)\\b" MON "\\.?,?[ ]+(?:\\d{4}|'\\d{2})\\b", K_PLAIN, 85, .95f, 0, DEID_DATE, .need = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", .lead = true, .lead_month = true},
	{"(?i)\\b\\d{1,2}[- ]" MON "[- ](?:\\d{4}|\\d{2})\\b", K_PLAIN, 86, .95f, 0, DEID_DATE, .need = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", .win = W_NEEDLE, .check = C_NONE, .back = "%d -", .start = "%d"},
	{"\\b(?:January|February|March|April|June|July|August|September|October|November|December|"
	 "JANUARY|FEBRUARY|MARCH|APRIL|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)\\b",
	 K_PLAIN, 45, .7f, 0, DEID_DATE, .need = "january|february|march|april|june|july|august|september|october|november|december", .lead = true},
	{"\\b(?:in|since|until|by|during|early|mid|late|last|next|this|of)[ ](May)\\b(?![ ]+(?:be|have|need|not|also|require))",
	 K_PLAIN, 70, .7f, 1, DEID_DATE, .need = "may", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l ", .start = "%l"},
	{"(?i)\\b(?:mon|tues?|wed|thu|thur|thurs|fri|sat|sun)\\.?(?=,?[ ]+(?:\\d{1,2}/\\d{1,2}\\b|" MON "\\b))", K_PLAIN, 80, .85f, 0,
	 DEID_DATE, .need = "mon|tue|wed|thu|fri|sat|sun", .lead = true},
	{"(?i)\\b(?:on|of|by|until|since|before|after|from|through)[ ]the[ ](\\d{1,2}(?:st|nd|rd|th))\\b"
	 "(?![ ](?:percentile|grade|degree|floor|edition|rib|toe|finger|cranial|intercostal|week|day|month|year|"
	 "cycle|line|dose|generation|time|trimester|attempt|place|decade|centile|vertebra|metatarsal))",
	 K_PLAIN, 75, .8f, 1, DEID_DATE, .need = "on the|of the|by the|until the|since the|before the|after the|from the|through the", .lead = true},
	{"(?i)\\b\\d{1,2}[ ]+de[ ]+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|"
	 "octubre|noviembre|diciembre)(?:[ ]+(?:de|del)[ ]+\\d{4})?\\b", K_PLAIN, 86, .95f, 0, DEID_DATE, .need = " de ", .win = W_NEEDLE, .check = C_NONE, .back = "%d ", .start = "%d"},
	{"(?i)\\b(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"
	 "[ ]+(?:de[ ]+)?\\d{4}\\b", K_PLAIN, 84, .9f, 0, DEID_DATE, .need = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre", .lead = true},
	{"(?i)\\b(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)\\b", K_WEEKDAY, 70, .8f, 0,
	 DEID_DATE, .need = "lunes|martes|rcoles|jueves|viernes|bado|domingo"},
	{"\\d{4}年\\d{1,2}月(?:\\d{1,2}[日号])?|\\d{1,2}月\\d{1,2}[日号]", K_PLAIN, 86, .95f, 0, DEID_DATE, .need = "月", .win = W_NEEDLE, .check = C_NONE, .back = "%d%h", .start = "%d"},
	{"(?i)\\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\\b", K_WEEKDAY, 70, .85f, 0, DEID_DATE, .need = "monday|tuesday|wednesday|thursday|friday|saturday|sunday", .lead = true},
	{"\\b(?:Christmas(?:[ ]Eve|[ ]Day)?|Thanksgiving(?:[ ]Day)?|New[ ]Year's(?:[ ]Eve|[ ]Day)?|"
	 "Easter(?:[ ]Sunday)?|Memorial[ ]Day|Labor[ ]Day|Independence[ ]Day|Fourth[ ]of[ ]July|Halloween|"
	 "Veterans[ ]Day|(?:Martin[ ]Luther[ ]King|MLK)[ ]Day|Presidents'?[ ]Day|Mother's[ ]Day|Father's[ ]Day|"
	 "Valentine's[ ]Day|Yom[ ]Kippur|Rosh[ ]Hashanah|Passover|Hanukkah|Ramadan|Eid(?:[ ]al-(?:Fitr|Adha))?|"
	 "Diwali|Lunar[ ]New[ ]Year|Chinese[ ]New[ ]Year|Juneteenth|Nochebuena|Navidad)\\b",
	 K_PLAIN, 70, .8f, 0, DEID_DATE, .need = "christmas|thanksgiving|new year|easter|memorial day|labor day|independence|fourth of july|halloween|veterans|king day|mlk|presidents|mother's|father's|valentine|yom|rosh|passover|hanukkah|ramadan|eid|diwali|lunar|juneteenth|nochebuena|navidad", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l '%h", .start = "%u"},
	{"(?<![\\w/.:])(?:19|20)\\d{2}(?![\\w/:]|\\.\\d|-\\d)", K_YEAR, 65, .7f, 0, DEID_DATE, .win = W_DRUN, .check = C_YEAR, .back = "", .start = "", .exact = true},
	{"(?<!\\d)((?:19|20)\\d\\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01]))(?:(?:[01]\\d|2[0-3])[0-5]\\d(?:[0-5]\\d)?)?(?!\\d)",
	 K_PLAIN, 78, .85f, 1, DEID_DATE, .win = W_DRUN, .check = C_DATE8, .back = "", .start = ""},
	/* ages */
	{"(?i)\\b(\\d{1,3})[ ]?(?:-[ ]?|[ ])?(?:years?|yrs?|y)[ ]?-?[ ]?(?:old|o\\b|/o)", K_AGE, 88, .95f, 1,
	 DEID_AGE, .need = "y", .win = W_NEEDLE, .check = C_AFTER_NUM, .back = "%d -", .start = "%d"},
	{"(?i)\\b(\\d{1,3})[ ]?(?:yo|y/o|y\\.o\\.|yr[ ]old|yrs[ ]old)(?![a-z])", K_AGE, 88, .95f, 1, DEID_AGE, .need = "y", .win = W_NEEDLE, .check = C_AFTER_NUM, .back = "%d ", .start = "%d"},
	{"(?<![\\w.,\\x{00B0}/-])(\\d{1,3})[ ]?(?:y/?o[ ]?)?[MF](?![\\w'])", K_AGE_MF, 80, .8f, 1, DEID_AGE, .win = W_DRUN, .check = C_AGE_MF, .back = "", .start = ""},
	{"(?i)\\b((?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|"
	 "six|seven|eight|nine))?|one[ ]hundred(?:[ ]and[ ][a-z]+)?|one|two|three|four|five|six|seven|eight|"
	 "nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)[- ](?:years?|yr)"
	 "[- ]old\\b", K_PLAIN, 88, .95f, 1, DEID_AGE, .need = "year|yr", .win = W_NEEDLE, .check = C_YEARS_OLD, .back = "%u%l -%h", .start = "%u%l%h"},
	{"(?i)\\b(?:age[ds]?|aged)\\b[ \\t]*(?:of|at|:|=|-)?[ \\t]*(\\d{1,3})(?=Y\\b|\\b)"
	 "(?![ ]*(?:mg|kg|%|weeks?|wks?|days?|months?|mos?\\b|hours?|cm|mm|ml|minutes?))", K_AGE, 86, .9f, 1,
	 DEID_AGE, .need = "age", .lead = true},
	{"(?i)\\b(?:in|to)[ ](?:his|her|their|the|my)[ ](?:(?:early|mid|late)[- ])?(\\d0s)\\b", K_PLAIN, 80, .8f,
	 1, DEID_AGE, .need = "in his|in her|in their|in the|in my|to his|to her|to their|to the|to my", .lead = true},
	{"(?i)\\b(?:died|passed[ ]away|deceased|diagnosed|dx|dx'd|onset|widowed|married|living|alive)\\b[^.\\n]{0,25}?\\bat"
	 "[ ](?:age[ ])?(\\d{1,3})\\b(?![ ]*(?:mg|kg|%|weeks?|days?|months?|pm|am|:|h\\b|hours|minutes|percent))",
	 K_AGE, 80, .8f, 1, DEID_AGE, .need = "died|passed|deceased|diagnos|dx|onset|widowed|married|living|alive", .lead = true},
	{"(?i)\\b(?:mother|father|brother|sister|son|daughter|wife|husband|aunt|uncle|grandmother|grandfather|"
	 "cousin|niece|nephew|spouse|partner|mom|dad|sibling|patient|pt)\\b[,(]?[ ]?(?:age[ ]|aged[ ])?(\\d{1,3})"
	 "(?=[ ]?[,)]|[ ]?(?:y|yo|years?|yrs?)\\b)", K_AGE, 80, .8f, 1, DEID_AGE, .need = "mother|father|brother|sister|son|daughter|wife|husband|aunt|uncle|grand|cousin|niece|nephew|spouse|partner|mom|dad|sibling|patient|pt", .lead = true},
	{"(?i)\\bturn(?:ed|s|ing)?[ ](\\d{1,3})\\b(?![ ]*(?:mg|kg|lb|%|minutes|min|hours|days|weeks|months|:|am|pm))",
	 K_AGE, 75, .7f, 1, DEID_AGE, .need = "turn", .lead = true},
	{"(?i)\\b(\\d{1,3})[ ]a(?:ñ|\\x{00F1})os\\b|\\bedad[ \\t]*:?[ \\t]*(\\d{1,3})", K_PLAIN, 84, .85f, 1, DEID_AGE, 2, DEID_AGE,
	 .need = "años|edad"},
	{"(?i)\\bage/sex[ \\t]*:?[ \\t]*(\\d{1,3})", K_AGE, 86, .9f, 1, DEID_AGE, .need = "age/sex", .lead = true},
	{"(?<![\\w/.])(\\d{1,3})/[MF]\\b", K_AGE, 80, .8f, 1, DEID_AGE, .win = W_DRUN, .check = C_AGE_SLASH, .back = "", .start = ""},
	{"\\b[A-Z][a-z]+(?:[ ][A-Z][a-z'-]+)?,[ ](\\d{1,3})(?=\\)|,[ ]|[ ]?(?:y|yo|yrs?)\\b)", K_AGE, 74, .7f, 1, DEID_AGE, .need = ",", .win = W_BYTE, .check = C_COMMA_DIGIT, .back = "%u%l '-", .start = "%u"},
	{"(?i)\\b(?:son|daughter|brother|sister|child|grandson|granddaughter|nephew|niece|sibling)[ ]+[A-Z][a-z]+"
	 "[ ]\\((\\d{1,2})\\)", K_AGE, 76, .75f, 1, DEID_AGE, .need = "son|daughter|brother|sister|child|grand|nephew|niece|sibling", .lead = true},
	{"(?i)\\b(?:dx|dx'd|diagnosed)(?:[ ](?:at|age))?[ ](\\d{1,3})\\b(?![ ]*(?:mg|%|cm|mm|weeks?|days?|months?|"
	 "years?[ ]ago|yrs?[ ]ago|/))", K_AGE, 74, .7f, 1, DEID_AGE, .need = "dx|diagnos", .lead = true},
	{"(?i)\\b(?:mother|father|sister|brother|son|daughter|aunt|uncle|grandmother|grandfather|cousin|niece|"
	 "nephew|husband|wife|spouse)(?:,[ ][A-Z][a-z]+)?:[ ](\\d{1,3})\\b(?![ ]*(?:mg|%|cm|mm|weeks?|days?|months?))",
	 K_AGE, 74, .7f, 1, DEID_AGE, .need = "mother|father|sister|brother|son|daughter|aunt|uncle|grand|cousin|niece|nephew|husband|wife|spouse", .lead = true},
	{"(?i)\\bages[ ](\\d{1,3})(?:,[ ]\\d{1,3})*,?[ ]and[ ](\\d{1,3})\\b", K_AGE, 76, .75f, 1, DEID_AGE, 2, DEID_AGE, .need = "ages", .lead = true},
	{"\\bUnit[ ]\\d{1,2}[A-Z]?\\b(?![ ]*(?:of|units|u\\b|mg|ml))", K_PLAIN, 50, .5f, 0, DEID_DEPARTMENT, .need = "unit", .lead = true},
	/* labelled identifiers */
	{"(?i:\\b(?:MRN|MR#|MR[ ]No\\.?|medical[ ]record(?:[ ]number|[ ]no\\.?|[ ]#)?|med[ ]rec|chart|"
	 "client[ ]id|patient[ ]id|pt[ ]id|unit[ ]no\\.?|hospital[ ]number|hosp[ ]#|record))" LBL_SEP IDVAL,
	 K_ID, 92, .95f, 1, DEID_MEDICALRECORD, .need = "mr|medical record|med rec|chart|client|patient|pt id|unit no|hospital|hosp|record", .lead = true},
	{"(?i:\\b(?:acct|account|billing|FIN|CSN|HAR))\\.?" LBL_SEP IDVAL, K_ID, 91, .9f, 1, DEID_ACCOUNT, .need = "acct|account|billing|fin|csn|har", .lead = true},
	{"(?i:\\b(?:encounter|enc|visit|invoice|acc)\\.?)" LBL_Q LBL_SEP IDVAL, K_ID, 91, .9f, 1, DEID_ACCOUNT, .need = "encounter|enc|visit|invoice|acc", .lead = true},
	{"(?i:\\b(?:member|policy|subscriber|medicare|medicaid|MBI|HICN|beneficiary|NHS|health[ ]plan|"
	 "insurance[ ](?:id|number|no\\.?|#)|plan[ ]id)(?:[ ](?:id|number|no\\.?|#|MBI|card))?)" LBL_SEP IDVAL,
	 K_ID, 91, .9f, 1, DEID_HEALTHPLAN, .need = "member|policy|subscriber|medicare|medicaid|mbi|hicn|beneficiary|nhs|health plan|insurance|plan id", .lead = true},
	{"(?i:\\b(?:group|grp|plan|insurance|insured|coverage))" LBL_Q LBL_SEP IDVAL, K_ID, 91, .9f, 1, DEID_HEALTHPLAN, .need = "group|grp|plan|insur|coverage", .lead = true},
	{"(?:\\b(?i:DEA|license|licence|lic\\.?|driver'?s[ ]license|commercial[ ]driver'?s[ ]license|"
	 "state[ ]license|board[ ]certification|permit)|\\b(?:DL|CDL)\\b)" LBL_SEP IDVAL, K_ID, 91, .9f, 1,
	 DEID_LICENSE, .need = "dea|licen|lic|driver|commercial|state license|board certification|dl|cdl|permit", .lead = true},
	{"(?i:\\b(?:license[ ]plate|plates?(?:[ ]number)?(?:[ ]as)?|tag|VIN|vehicle|registration(?:[ ]number)?(?:[ ]as)?))" LBL_SEP IDVAL, K_ID, 91, .9f, 1, DEID_VEHICLE, .need = "license plate|plate|tag|vin|vehicle|registration", .lead = true},
	{"(?i:\\b(?:serial|S/N|SN|asset(?:[ ]tag)?|device[ ]id|equipment[ ]id|pump[ ]id|UDI))" LBL_SEP IDVAL, K_ID,
	 91, .9f, 1, DEID_DEVICE, .need = "serial|s/n|sn|asset|device|equipment|pump|udi", .lead = true},
	{"(?i:\\b(?:biobank|biospecimen|fingerprint|AFIS|palm[- ]vein|biometric|retina[l]?[ ]scan|voiceprint|"
	 "DNA[ ]sample)(?:[ ](?:id|record|enrollment|specimen|sample))*)" LBL_SEP IDVAL, K_ID, 91, .9f, 1,
	 DEID_BIOID, .need = "biobank|biospecimen|fingerprint|afis|palm|biometric|retina|voiceprint|dna", .lead = true},
	{"(?i:\\b(?:accession|specimen|UID|NPI|interpreter|badge|claim|authori[sz]ation|passport|prescription|"
	 "registry|ticket|requisition|tracking|docket|certificate|confirmation)(?:[ ](?:id|number|no\\.?|#|code))?)"
	 LBL_SEP IDVAL, K_ID, 89, .85f, 1, DEID_IDNUM, .need = "accession|specimen|uid|npi|interpreter|badge|claim|authori|passport|prescription|registry|ticket|requisition|tracking|docket|certificate|confirmation", .lead = true},
	{"(?i:\\b(?:acc|case|order|employee|auth|reference|ref|Rx|subject|study|job|session|message|control|req|"
	 "report|lab|sample|document|doc|transaction|incident|file|trial|enrollment|patient|pt)\\.?)" LBL_Q LBL_SEP IDVAL,
	 K_ID, 89, .85f, 1, DEID_IDNUM, .need = "acc|case|order|employee|auth|ref|rx|subject|study|job|session|message|control|req|report|lab|sample|document|doc|transaction|incident|file|trial|enrollment|patient|pt", .lead = true},
	{"(?<![\\w./-])(?=[A-Z0-9.-]*\\d)[A-Z0-9](?:[A-Z0-9]|[-.](?=[A-Z0-9])){4,}(?![\\w/-]|\\.\\d)", K_IDGEN, 40,
	 .5f, 0, DEID_IDNUM, .win = W_BYTE, .check = C_IDGEN, .back = "", .start = ""},
	/* usernames */
	{"(?i:\\b(?:user(?:name)?|user[ ]id|userid|login|logon|uid|logged[ ]in[ ]as))" LBL_SEP
	 "([A-Za-z][A-Za-z0-9._-]{2,30})", K_USER, 90, .9f, 1, DEID_USERNAME, .need = "user|login|logon|uid|logged", .lead = true},
	{"(?<![\\w@.])[a-z]{2,}_[a-z0-9]{2,}(?![\\w@])", K_PLAIN, 80, .8f, 0, DEID_USERNAME, .need = "_", .win = W_NEEDLE, .check = C_NONE, .back = "%l", .start = "%l"},
	{"(?i:\\b(?:transcribed|entered|logged|documented|created|modified|edited|updated|charted|scanned|"
	 "uploaded)[ ]by)[: \\t]+([a-z][a-z0-9._]*\\d[a-z0-9._]*|[a-z]+_[a-z0-9_]+|[a-z]{5,12})\\b(?![ ]*[,.]?[ ]*[A-Za-z]{2,})",
	 K_USER, 85, .8f, 1, DEID_USERNAME, .need = "transcribed|entered|logged|documented|created|modified|edited|updated|charted|scanned|uploaded", .lead = true},
	/* rooms and units */
	{"(?i:\\b(?:room|rm|bed|bay|cubicle|stretcher|exam[ ]room|isolation[ ]room))\\.?[ \\t]*(?:#|no\\.?|:)?[ \\t]*"
	 "((?=[A-Z]?\\d)[A-Z]?\\d{1,4}[A-Za-z]?(?:-[A-Za-z0-9]{1,4})?)\\b(?![ ]?(?:%|\\x{00B0}|mg|cm|mm))", K_PLAIN, 80, .85f, 1, DEID_ROOM, .need = "room|rm|bed|bay|cubicle|stretcher|exam room|isolation room", .lead = true},
	{"\\bOR[ ]?#?[ ]?(\\d{1,2})\\b", K_PLAIN, 78, .8f, 1, DEID_ROOM, .need = "or", .lead = true},
	{"\\b(?:ED|ER|PACU|ICU)(?:-|[ ](?:bed|room|bay|rm)[ ]?#?)(\\d{1,3}[A-Z]?)\\b(?![%\\x{00B0}])", K_PLAIN, 78, .8f, 1, DEID_ROOM, .need = "ed|er|pacu|icu", .lead = true},
	{"(?i:\\b(?:bed|room))[ \\t]*:[ \\t]*([A-Z][a-z]+[ ]\\d{1,3}[A-Za-z]?)\\b", K_PLAIN, 80, .8f, 1, DEID_ROOM, .need = "bed|room", .lead = true},
	{"(?i:\\b(?:unit|ward|floor|dept|department|program|pod|wing|location|loc))[ \\t]*:[ \\t]*"
	 "([A-Za-z0-9][^\\n,;:()]{1,40}?)(?=[ \\t]*(?:,|;|\\(|\\n|[ ]{2}|\\t|$|\\.(?:[ ]|$)|[ ](?:Room|Rm|Bed)\\b))",
	 K_DEPT, 70, .7f, 1, DEID_DEPARTMENT, .need = "unit|ward|floor|dept|department|program|pod|wing|location|loc", .lead = true},
	{"\\b\\d{1,2}[ ]?(?:WEST|EAST|NORTH|SOUTH|West|East|North|South)(?:[ ](?:[A-Z][A-Za-z/&-]+)){1,3}", K_DEPT,
	 60, .6f, 0, DEID_DEPARTMENT, .need = "west|east|north|south", .win = W_NEEDLE, .check = C_NONE, .back = "%d ", .start = "%d"},
	{"\\b(?:Tower|Building|Pavilion)[ ]\\d{1,2}[ ][A-Z][a-z]+\\b|\\b[A-Z][a-z]+[ ]Wing\\b", K_DEPT, 60, .6f, 0,
	 DEID_DEPARTMENT, .need = "tower|building|pavilion|wing", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l ", .start = "%u"},
	{"\\b(?:[A-Z][a-z]+[ ]){1,4}Program\\b", K_DEPT, 55, .5f, 0, DEID_DEPARTMENT, .need = "program", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l ", .start = "%u"},
	/* places */
	{"\\b\\d{1,6}[A-Z]?(?:-\\d{1,4})?[ ]+(?:[NSEW]\\.?[ ]+)?(?:(?:[A-Z][\\p{L}'.-]*|\\d{1,3}(?:st|nd|rd|th))[ ]+){1,4}?"
	 "(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Ter|"
	 "Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Path|Pike|Turnpike|Tpke|Row|Alley|Loop|"
	 "Crossing|Plaza|Ridge|Run|Walk|Hill|Heights|Point|Extension|Ext)\\b\\.?"
	 "(?:,?[ ]+(?:Apt|Apartment|Suite|Ste|Unit|Lot|Fl|Floor|Bldg|Building|Rm|Room)\\.?[ ]*#?[ ]*[A-Za-z0-9-]{1,6})?"
	 "(?:[ ]+#[ ]*[A-Za-z0-9-]{1,6})?", K_PLAIN, 82, .9f, 0, DEID_STREET, .need = "st|av|rd|road|lane|ln|dr|blvd|boulevard|way|ct|court|pl|place|ter|cir|hwy|highway|pkwy|parkway|sq|trail|trl|path|pike|tpke|row|alley|loop|crossing|plaza|ridge|run|walk|hill|heights|point|ext", .win = W_NEEDLE, .check = C_STREET, .back = "%d%u%l%h '.-", .start = "%d"},
	{"(?i)\\bP\\.?[ ]?O\\.?[ ]+Box[ ]+\\d+", K_PLAIN, 82, .9f, 0, DEID_STREET, .need = "box", .win = W_NEEDLE, .check = C_NONE, .back = "PpOo. ", .start = "Pp"},
	{"(?<![\\w.])(?:[A-Z][a-z]+[ ]){1,3}(?:Street|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Drive|Way|Court|"
	 "Place|Terrace|Highway|Parkway|Pike|Turnpike|St)\\b\\.?(?![ ]+(?:[A-Z]|\\d))", K_STREET_NONUM, 62, .6f, 0,
	 DEID_STREET, .need = "street|avenue|ave|road|rd|boulevard|blvd|lane|drive|way|court|place|terrace|highway|parkway|pike|turnpike|st", .win = W_NEEDLE, .check = C_CAPWORD, .back = "%u%l ", .start = "%u"},
	{"\\b(" CAPW "(?:[ -]" CAPW "){0,2}),?[ ]+(" ST_ABBR ")\\.?,?[ ]+(\\d{5}(?:-\\d{4})?)\\b", K_CITY, 84,
	 .95f, 1, DEID_CITY, 2, DEID_STATE, 3, DEID_ZIP, .win = W_DRUN, .check = C_ZIP5, .back = "%u%l%h '.,-", .start = "%u"},
	{"\\b(" CAPW "(?:[ ]" CAPW "){0,2}),[ ]+(" ST_NAME ")\\b(?:,?[ ]+(\\d{5}(?:-\\d{4})?)\\b)?", K_CITY, 83,
	 .9f, 1, DEID_CITY, 2, DEID_STATE, 3, DEID_ZIP, .need = "alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|new hampshire|new jersey|new mexico|new york|north carolina|north dakota|ohio|oklahoma|oregon|pennsylvania|rhode island|south carolina|south dakota|tennessee|texas|utah|vermont|virginia|washington|west virginia|wisconsin|wyoming|puerto rico", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l%h '.,-", .start = "%u"},
	{"\\b([A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2}),[ ]+(" ST_ABBR_SAFE ")\\b(?![-/])", K_CITY, 72, .8f, 1, DEID_CITY,
	 2, DEID_STATE, .win = W_BYTE, .check = C_COMMA_ST, .back = "%u%l ", .start = "%u"},
	{"(?i:\\b(?:zip|zip[ ]code|postal[ ]code))[ \\t]*:?[ \\t]*(\\d{5}(?:-\\d{4})?)\\b", K_PLAIN, 84, .9f, 1,
	 DEID_ZIP, .need = "zip|postal", .lead = true},
	{"\\b(?:[A-Z][a-z]+[ ]){1,3}(?:Park|Trail|Beach|Lake|River|Mountain|Mall|Plaza|Bank|Banks|Bay|Island|"
	 "Harbor|Pond|Falls|Forest|Canyon|Reservoir|Woods|Mobile[ ]Home[ ]Park|Campground|State[ ]Park|Common)\\b"
	 "|\\bCape[ ][A-Z][a-z]+\\b", K_FACILITY, 50, .5f, 0, DEID_LOCATION_OTHER, .need = "park|trail|beach|lake|river|mountain|mall|plaza|bank|bay|island|harbor|pond|falls|forest|canyon|reservoir|woods|campground|common|cape", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l ", .start = "%u"},
	/* facilities and organisations */
	{"(?<![\\w-])(" FAC_WORDS ")[ ]+" HOSP_KW "\\b(?:[ ]+of[ ]+(?:the[ ]+)?" CAPW "(?:[ ]+" CAPW "){0,3})?",
	 K_FACILITY, 76, .85f, 0, DEID_HOSPITAL, .need = "hospital|medical|health|clinic|infirmary|medicine|practice|care|associates|pediatrics|orthop|cardiology|dermatology|gastro|oncology|neurology|urology|ophthalm|surg|therapy|rehab|nursing|center|centre|institute|imaging|sleep|dialysis|kidney|heart|eye|behavioral|mental|women|children|pavilion|respite|occupational|vascular|hospice|birth|ob/gyn|physicians|memorial|general", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l%h '.&/-", .start = "%u"},
	{"\\b(?:Hospital[ ](?:de|del|General|San|Santa|Universitario|Regional)|Cl[ií]nica|Centro[ ]M[eé]dico|"
	 "Centro[ ]de[ ]Salud|Sanatorio)"
	 "(?:[ ]+(?:de|del|la|las|los|San|Santa)?[ ]*[A-Z][\\p{L}'-]*){1,4}", K_FACILITY, 74, .8f, 0,
	 DEID_HOSPITAL, .need = "hospital|clínica|clinica|centro|sanatorio", .win = W_NEEDLE, .check = C_NONE, .back = "", .start = ""},
	{"(?<![\\w-])(" FAC_WORDS ")[ ]+" ORG_KW "\\b(?:[ ]+of[ ]+(?:the[ ]+)?" CAPW "(?:[ ]+" CAPW "){0,3})?",
	 K_FACILITY, 74, .8f, 0, DEID_ORGANIZATION, .need = "pharmacy|drug|school|academy|college|university|church|parish|temple|mosque|synagogue|insurance|home|hospice|visiting|vna|funeral|fire|police|shelter|inc|llc|corp|company|co.|lines|freight|logistics|trucking|roofing|landscaping|construction|woodworks|diner|restaurant|cafe|bakery|bank|credit union|museum|library|foundation|services|motors|market|courier|transit|authority|agency|daycare|day care|preschool|club|farm|mills|manufacturing|industries|enterprises|solutions|technologies|medical supply|airlines|express|works|shipyard|factory|studio|garage|salon|store|shop|hardware|law firm|partners|brewery|winery|hotel|inn|diagnostics|laboratories", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l%h '.&/-", .start = "%u"},
	{"\\b(?:Visiting[ ]Nurse[ ]Association|VNA)(?:[ ]+of[ ]+(?:the[ ]+)?" CAPW "(?:[ ]+" CAPW "){0,3})?",
	 K_PLAIN, 75, .8f, 0, DEID_ORGANIZATION, .need = "visiting nurse|vna", .lead = true},
	{"\\b([A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2})[ ](?:PD|FD|EMS|Police|Fire)\\b", K_CITY, 72, .7f, 1, DEID_CITY, .need = "pd|fd|ems|police|fire", .win = W_NEEDLE, .check = C_NONE, .back = "%u%l ", .start = "%u"},
	/* initials of author / typist: "RO/jk" */
	{"(?m)(?:^|\\()[ \\t]*([A-Z]{2,3})/([a-z]{2,4})[ \\t]*(?:$|\\))", K_PLAIN, 70, .7f, 1, DEID_DOCTOR, 2,
	 DEID_DOCTOR, .need = "/", .win = W_BYTE, .check = C_INITIALS, .back = " \t%u(", .start = " \t%u("},
};
#pragma GCC diagnostic pop

/* ---- per-call context -------------------------------------------------------------------------------- */

/* token flags: TF_* (deid_int.h) */

struct tok {
	uint32_t start, end;
	uint16_t flags;
	uint8_t nl_before;  /* a line break between the previous token and this one */
	uint8_t sp_before;  /* spaces/tabs before (capped) */
	uint32_t dflags;    /* dictionary flags of the folded word */
	uint32_t hash;      /* TF_ASCII: deid_word_hash of the folded word (its low bits: word lists, dictionary) */
	char punct;         /* a one-byte punctuation token: its byte (tok_punct compares it); otherwise 0 */
};

struct ctx {
	const struct deid_engine *e;
	const char *s;
	size_t n;
	struct tok *t;
	size_t nt, at;
	struct deid_cand *c;
	size_t nc, ac;
	uint8_t *protect; /* per token: part of an eponym phrase (not a name) */
	char *low;        /* the note with ASCII letters lower-cased, for the patterns' literal prefilter */
};

static void add_cand(struct ctx *x, size_t start, size_t end, int type, int source, int prio, float conf)
{
	if (end <= start || end > x->n)
		return;
	/* spans never start or end with whitespace */
	while (start < end && isspace((unsigned char)x->s[start]))
		start++;
	while (end > start && isspace((unsigned char)x->s[end - 1]))
		end--;
	if (end <= start)
		return;
	if (x->nc == x->ac) {
		x->ac = x->ac ? x->ac * 2 : 64;
		x->c = ml_xrealloc(x->c, x->ac * sizeof *x->c);
	}
	x->c[x->nc++] = (struct deid_cand){(uint32_t)start, (uint32_t)end, (uint8_t)type, (uint8_t)source,
					   (int16_t)prio, conf};
}

/* utf8proc_iterate with the ASCII case inline (most notes are ASCII). */
static inline utf8proc_ssize_t cp_next(const utf8proc_uint8_t *s, utf8proc_ssize_t n, int32_t *cp)
{
	if (n > 0 && *s < 0x80) {
		*cp = *s;
		return 1;
	}
	return utf8proc_iterate(s, n, cp);
}

/* utf8proc_category with the ASCII case inline: letters, digits and the space get their own category; every
 * other ASCII code point is punctuation, a symbol or a control, which the tokenizer treats alike (not a
 * word character, not a space separator), so PO stands for them all. */
static inline utf8proc_category_t cat_of(int32_t cp)
{
	if (cp >= 0x80)
		return utf8proc_category(cp);
	if (cp >= 'a' && cp <= 'z')
		return UTF8PROC_CATEGORY_LL;
	if (cp >= 'A' && cp <= 'Z')
		return UTF8PROC_CATEGORY_LU;
	if (cp >= '0' && cp <= '9')
		return UTF8PROC_CATEGORY_ND;
	return cp == ' ' ? UTF8PROC_CATEGORY_ZS : UTF8PROC_CATEGORY_PO;
}

static inline bool cat_word(utf8proc_category_t c)
{
	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}

/* What an ASCII byte is to the tokenizer (every byte below 0x80 is a code point of its own); the word classes
 * are bits, so a word's loop ORs them together. Bytes from 0x80 start a longer code point (BC_HIGH). */
enum { BC_PUNCT = 0, BC_LOWER = 1, BC_UPPER = 2, BC_DIGIT = 4, BC_SPACE = 8, BC_NL = 16, BC_HIGH = 32 };
#define BC_WORD (BC_LOWER | BC_UPPER | BC_DIGIT)
#define BC_L BC_LOWER
#define BC_U BC_UPPER
#define BC_D BC_DIGIT
#define BC_H BC_HIGH
#define BC_HROW BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H, BC_H
static const uint8_t BYTE_CLASS[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, BC_SPACE, BC_NL, 0, 0, BC_NL, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ BC_SPACE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x30 */ BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, BC_D, 0, 0, 0, 0, 0, 0,
	/* 0x40 */ 0, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U,
	/* 0x50 */ BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, BC_U, 0, 0, 0, 0, 0,
	/* 0x60 */ 0, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L,
	/* 0x70 */ BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, BC_L, 0, 0, 0, 0, 0,
	/* 0x80 */ BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW, BC_HROW,
};
#undef BC_L
#undef BC_U
#undef BC_D
#undef BC_H
#undef BC_HROW

/* A new token at byte i; the token array is sized from the note's length once, so it rarely grows. */
static inline __attribute__((always_inline)) struct tok *tok_push(struct ctx *x, size_t i, int nl, int sp)
{
	if (x->nt == x->at) {
		/* a token and the blank after it take about four bytes of a note: a quarter of its length is
		 * room for most notes in one allocation (at most 64 Ki tokens at first: a long note of blanks
		 * needs none) */
		size_t first = x->n / 4 + 64 < 65536 ? x->n / 4 + 64 : 65536;
		size_t want = x->at ? x->at * 2 : first;
		x->at = want;
		x->t = ml_xrealloc(x->t, x->at * sizeof *x->t);
	}
	struct tok *t = &x->t[x->nt++];
	*t = (struct tok){.start = (uint32_t)i, .nl_before = (uint8_t)nl, .sp_before = (uint8_t)(sp > 255 ? 255 : sp)};
	return t;
}

/* Is the code point at byte i a letter (categories LU..LO)? */
static bool letter_at(const char *s, size_t n, size_t i)
{
	int32_t cp;
	utf8proc_ssize_t k = cp_next((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
	return k > 0 && cat_of(cp) >= UTF8PROC_CATEGORY_LU && cat_of(cp) <= UTF8PROC_CATEGORY_LO;
}

/* deid_head8 of x->low[start, start + len), without its loop (whose end the CPU mispredicts): 8 bytes loaded
 * at once and the ones past the word masked off, wherever the buffer (the note and its NUL) holds 8 bytes
 * from start, which is everywhere but at the very end of a note. */
static inline uint64_t low_head8(const struct ctx *x, size_t start, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (start + 8 <= x->n + 1) {
		uint64_t w;
		memcpy(&w, x->low + start, 8);
		return len >= 8 ? w : w & ((1ull << (8 * len)) - 1);
	}
#endif
	return deid_head8(x->low + start, len);
}

/* What a word holds, as bits: ASCII classes (BC_LOWER, BC_UPPER, BC_DIGIT), other letters and marks. */
enum { W_OTHER_LETTER = 64, W_MARK = 128 };
#define W_LETTERS (BC_LOWER | BC_UPPER | W_OTHER_LETTER)

/* A word's flags from what it holds: index (seen & 7) | (other letters ? 8 : 0) of tok_word's seen bits. */
#define WF_LETTERS(sn) ((sn) & (BC_LOWER | BC_UPPER | 8))
#define WF(sn)                                                                                       \
	(TF_WORD | ((sn) & BC_DIGIT ? TF_NUM : WF_LETTERS(sn) ? TF_ALPHA : 0) |                     \
	 (WF_LETTERS(sn) && !((sn) & (BC_LOWER | 8)) ? TF_UPPER : 0) |                               \
	 (WF_LETTERS(sn) && !((sn) & (BC_UPPER | 8)) ? TF_LOWER : 0))
static const uint16_t WORD_FLAGS[16] = {WF(0), WF(1), WF(2),  WF(3),  WF(4),  WF(5),  WF(6),  WF(7),
					WF(8), WF(9), WF(10), WF(11), WF(12), WF(13), WF(14), WF(15)};
#undef WF
#undef WF_LETTERS

static inline uint16_t word_flags(unsigned seen)
{
	return WORD_FLAGS[(seen & 7) | (seen & W_OTHER_LETTER ? 8 : 0)];
}

/* The word starting at byte i (its first code point is a word character): letters and digits, with an
 * apostrophe or hyphen between two letters kept inside (O'Brien, Smith-Jones). Sets t's flags, hash and
 * dictionary flags; returns the byte after the word. */
static inline __attribute__((always_inline)) size_t tok_word(struct ctx *x, struct tok *t, size_t i)
{
	const char *s = x->s;
	const unsigned char *u = (const unsigned char *)s;
	size_t n = x->n;
	unsigned seen = 0;
	bool ascii = true, nonlatin = false;
	/* FNV-1a of the folded word (deid_word_hash), while it is ASCII: letters, digits, "'" and "-" all fold
	 * to their byte with bit 0x20 set */
	uint64_t h = 1469598103934665603ull;
	if (BYTE_CLASS[u[i]] == BC_UPPER)
		t->flags |= TF_CAP;
	for (;;) {
		uint8_t c;
		while (i < n && ((c = BYTE_CLASS[u[i]]) & BC_WORD)) {
			seen |= c;
			h = (h ^ (u[i] | 0x20u)) * 1099511628211ull;
			i++;
		}
		if (i >= n)
			break;
		unsigned char b = u[i];
		if (b < 0x80) {
			/* an apostrophe or hyphen between two letters stays inside the word */
			if ((b == '\'' || b == '-') && (seen & W_LETTERS) && !(seen & BC_DIGIT) && i + 1 < n &&
			    letter_at(s, n, i + 1)) {
				h = (h ^ b) * 1099511628211ull;
				i++;
				continue;
			}
			break;
		}
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			break;
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat_word(cat)) {
			if (!seen && !(t->flags & TF_CAP) && (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT))
				t->flags |= TF_CAP; /* the word's first code point */
			ascii = false;
			if (cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO)
				seen |= BC_DIGIT;
			else if (cat <= UTF8PROC_CATEGORY_LO) {
				seen |= cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT ? BC_UPPER :
					cat == UTF8PROC_CATEGORY_LL ? BC_LOWER : W_OTHER_LETTER;
				if (cp >= 0x250)
					nonlatin = true;
			} else {
				seen |= W_MARK; /* a word character, neither letter nor digit */
			}
			i += (size_t)k;
			continue;
		}
		/* the curly apostrophe (U+2019) between two letters stays inside the word too */
		if (cp == 0x2019 && (seen & W_LETTERS) && !(seen & BC_DIGIT) && i + (size_t)k < n &&
		    letter_at(s, n, i + (size_t)k)) {
			ascii = false;
			i += (size_t)k;
			continue;
		}
		break;
	}
	t->end = (uint32_t)i;
	bool letters = (seen & W_LETTERS) != 0;
	uint16_t f = word_flags(seen);
	if (nonlatin)
		f |= TF_NONLATIN;
	size_t len = i - t->start;
	if (ascii) {
		/* the folded word of an ASCII token is its lower-cased bytes (x->low): hashed once here, for the
		 * dictionary now and the word lists of the rules later */
		f |= TF_ASCII;
		t->hash = (uint32_t)h;
		if (letters && len < 64)
			t->dflags = deid_dict_get_folded(&x->e->dict, x->low + t->start, len, h, low_head8(x, t->start, len));
	} else if (letters && len < 64) {
		t->dflags = deid_dict_get(&x->e->dict, s + t->start, len);
	}
	t->flags |= f;
	return i;
}

static void tokenize(struct ctx *x)
{
	const char *s = x->s;
	size_t n = x->n, i = 0;
	int nl = 0, sp = 0;
	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x80) {
			uint8_t c = BYTE_CLASS[b];
			if (c == BC_NL) {
				nl = 1;
				sp = 0;
				i++;
				continue;
			}
			if (c == BC_SPACE) {
				sp++;
				i++;
				continue;
			}
			struct tok *t = tok_push(x, i, nl, sp);
			nl = sp = 0;
			if (c == BC_PUNCT) {
				t->flags = TF_PUNCT | TF_ASCII;
				t->punct = (char)b;
				t->hash = (uint32_t)deid_word_hash(x->low + i, 1);
				t->end = (uint32_t)++i;
				continue;
			}
			i = tok_word(x, t, i);
			continue;
		}
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0) {
			i++;
			continue;
		}
		utf8proc_category_t c = utf8proc_category(cp);
		if (c == UTF8PROC_CATEGORY_ZS) {
			sp++;
			i += (size_t)k;
			continue;
		}
		struct tok *t = tok_push(x, i, nl, sp);
		nl = sp = 0;
		if (!cat_word(c)) {
			t->flags = TF_PUNCT;
			i += (size_t)k;
			t->end = (uint32_t)i;
			continue;
		}
		i = tok_word(x, t, i);
	}
}

static size_t tlen(const struct tok *t)
{
	return t->end - t->start;
}

/* Is token i the word w (lower case; ASCII letters compared without case, as strncasecmp did)? x->low is
 * the note with its ASCII letters lower-cased and every other byte kept, so this is a length test and a
 * memcmp; inline, so the strlen of a literal w is a constant. */
static inline bool tok_is(const struct ctx *x, size_t i, const char *w)
{
	if (i >= x->nt)
		return false;
	size_t n = strlen(w);
	return tlen(&x->t[i]) == n && !memcmp(x->low + x->t[i].start, w, n);
}

/* Is token i the one-byte punctuation mark c (never NUL: a token that is no such mark caches 0)? */
static inline bool tok_punct(const struct ctx *x, size_t i, char c)
{
	return i < x->nt && x->t[i].punct == c;
}

/* Index of the token containing or following byte offset off. */
static size_t tok_at(const struct ctx *x, size_t off)
{
	size_t lo = 0, hi = x->nt;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (x->t[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The folded word of token i into out (cap bytes, truncated as deid_fold does); an ASCII token is copied from
 * x->low, which holds it folded already. */
static void tok_fold_into(const struct ctx *x, size_t i, char *out, size_t cap)
{
	const struct tok *t = &x->t[i];
	if (t->flags & TF_ASCII) {
		size_t n = tlen(t) < cap ? tlen(t) : cap - 1;
		memcpy(out, x->low + t->start, n);
		out[n] = 0;
		return;
	}
	deid_fold(x->s + t->start, tlen(t), out, cap);
}

/* Index of the word token ending at or before byte offset off, if the token just before off is a word;
 * x->nt if none. */
static size_t prev_word_tok(const struct ctx *x, size_t off)
{
	size_t i = tok_at(x, off);
	while (i > 0) {
		i--;
		if (x->t[i].end > off)
			continue;
		return (x->t[i].flags & TF_WORD) ? i : x->nt;
	}
	return x->nt;
}

/* prev_word_tok of token i's start: the token before it, if that is a word. */
static inline size_t prev_word_of(const struct ctx *x, size_t i)
{
	return i > 0 && (x->t[i - 1].flags & TF_WORD) ? i - 1 : x->nt;
}

/* Lower-case word before byte offset off on the same line (out gets "" if none). */
static void prev_word(const struct ctx *x, size_t off, char *out, size_t cap)
{
	out[0] = 0;
	size_t i = prev_word_tok(x, off);
	if (i < x->nt)
		tok_fold_into(x, i, out, cap);
}

static void next_word(const struct ctx *x, size_t off, char *out, size_t cap)
{
	out[0] = 0;
	size_t i = tok_at(x, off);
	if (i < x->nt && x->t[i].start < off)
		i++;
	if (i < x->nt && (x->t[i].flags & TF_WORD) && !x->t[i].nl_before)
		tok_fold_into(x, i, out, cap);
}

/* A fixed list of lower-case words that the context rules ask about a few hundred times per note, mostly
 * about words that are not there: in_list answers from a hash set of its words, built on the list's first
 * use and published with a compare-and-swap (threads share the lists; a loser frees its copy). The set
 * lives as long as the process, like the list. WORD_LIST declares one, at file or function scope. The set
 * hashes with deid_word_hash, so a token's hash from the tokenizer finds it without hashing again. */
struct wordset {
	size_t mask;
	struct {
		const char *w; /* NULL: empty */
		size_t len;
	} slot[]; /* open addressing, mask + 1 slots */
};
struct word_list {
	const char *const *words; /* NULL-terminated */
	struct wordset *set;      /* built on first use, then never changed */
};
#define WORD_LIST(name, ...)                                                                             \
	static const char *const name##_words[] = {__VA_ARGS__, NULL};                                   \
	static struct word_list name = {name##_words, NULL}

static struct wordset *wordset_build(const char *const *words)
{
	size_t n = 0;
	while (words[n])
		n++;
	size_t cap = 16;
	while (cap < 2 * n + 2)
		cap *= 2;
	struct wordset *ws = ml_calloc(1, sizeof *ws + cap * sizeof ws->slot[0]);
	if (!ws)
		return NULL;
	ws->mask = cap - 1;
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(words[k]);
		size_t j = deid_word_hash(words[k], len) & ws->mask;
		while (ws->slot[j].w && strcmp(ws->slot[j].w, words[k]))
			j = (j + 1) & ws->mask;
		ws->slot[j].w = words[k];
		ws->slot[j].len = len;
	}
	return ws;
}

/* The list's set, built on first use; NULL only when out of memory. */
static struct wordset *word_list_set(struct word_list *list)
{
	struct wordset *ws = __atomic_load_n(&list->set, __ATOMIC_ACQUIRE);
	if (ws)
		return ws;
	struct wordset *mine = wordset_build(list->words), *none = NULL;
	if (!mine)
		return NULL;
	if (__atomic_compare_exchange_n(&list->set, &none, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return mine;
	ml_free(mine); /* another thread's, published first */
	return none;
}

/* Is s[0..n), whose deid_word_hash has the low bits h, one of the list's words? */
static inline bool in_list_n(const char *s, size_t n, uint64_t h, struct word_list *list)
{
	struct wordset *ws = word_list_set(list);
	if (!ws) { /* out of memory: the plain scan */
		for (const char *const *p = list->words; *p; p++)
			if (strlen(*p) == n && !memcmp(*p, s, n))
				return true;
		return false;
	}
	for (size_t j = h & ws->mask; ws->slot[j].w; j = (j + 1) & ws->mask)
		if (ws->slot[j].len == n && deid_same(ws->slot[j].w, s, n))
			return true;
	return false;
}

static bool in_list(const char *w, struct word_list *list)
{
	size_t n = strlen(w);
	return in_list_n(w, n, deid_word_hash(w, n), list);
}

/* Is token i, folded into at most cap - 1 bytes (the buffer its rule used to fold it into), one of the
 * list's words? An ASCII token is answered from its hash and x->low without folding or hashing again. */
static bool tok_in(const struct ctx *x, size_t i, struct word_list *list, size_t cap)
{
	const struct tok *t = &x->t[i];
	if (t->flags & TF_ASCII) {
		const char *w = x->low + t->start;
		if (tlen(t) < cap)
			return in_list_n(w, tlen(t), t->hash, list);
		return in_list_n(w, cap - 1, deid_word_hash(w, cap - 1), list);
	}
	char buf[128];
	deid_fold(x->s + t->start, tlen(t), buf, cap < sizeof buf ? cap : sizeof buf);
	return in_list(buf, list);
}

/* Is token i, folded, the word w (lower case, shorter than 64 bytes)? Unlike tok_is, which compares the
 * token's bytes, this folds accents too ("bý" is "by"), as the rules that fold their words did. */
static bool tok_fold_is(const struct ctx *x, size_t i, const char *w)
{
	if (i >= x->nt)
		return false;
	if (x->t[i].flags & TF_ASCII)
		return tok_is(x, i, w);
	char buf[64];
	tok_fold_into(x, i, buf, sizeof buf);
	return !strcmp(buf, w);
}

/* Dictionary flags of the text s[a..b) (a word or a phrase of a few): folded and hashed from x->low when it
 * is ASCII, as deid_dict_get would fold it. */
static uint32_t span_dict(const struct ctx *x, size_t a, size_t b)
{
	if (deid_ascii(x->s + a, b - a))
		return deid_dict_get_folded(&x->e->dict, x->low + a, b - a, deid_word_hash(x->low + a, b - a),
					    deid_head8(x->low + a, b - a));
	return deid_dict_get(&x->e->dict, x->s + a, b - a);
}

/* Does the text just before off (same line, within back bytes) contain word w (case-insensitive)? w is lower
 * case, so it is compared with x->low (the note with ASCII letters lower-cased, as strncasecmp folds them);
 * a position is tried only where the first byte matches. */
static bool near_before(const struct ctx *x, size_t off, size_t back, const char *w)
{
	size_t from = off > back ? off - back : 0;
	for (size_t i = off; i > from; i--)
		if (x->s[i - 1] == '\n') {
			from = i;
			break;
		}
	size_t wl = strlen(w);
	if (!wl || from + wl > off)
		return false;
	const char *low = x->low;
	for (size_t i = from, last = off - wl; i <= last; i++) {
		const char *p = memchr(low + i, w[0], last + 1 - i);
		if (!p)
			return false;
		i = (size_t)(p - low);
		if (!memcmp(p, w, wl) && (i == 0 || !isalpha((unsigned char)x->s[i - 1])) &&
		    (i + wl >= x->n || !isalpha((unsigned char)x->s[i + wl])))
			return true;
	}
	return false;
}

static int count_digits(const char *s, size_t n)
{
	int d = 0;
	for (size_t i = 0; i < n; i++)
		d += isdigit((unsigned char)s[i]) != 0;
	return d;
}

WORD_LIST(MD_PREV_NO, "apgar", "apgars", "strength", "power", "motor", "grade", "graded",
	"murmur", "pain", "score", "scale", "reflexes", "dtrs", "vision", "acuity", "va", "bp", "ratio", "section",
	"sections", "slides", "slide", "blocks", "block", "nodes", "lymph", "tab", "tabs", "tablet", "cores",
	"core", "specimens", "out", "x", "was", "is", "of", "sbp", "dbp", "rated", "rates", "rating", "ppd",
	"fraction", "dilution", "titer", "titre", "ratio", "g", "p", "gravida", "para", "mmhg", "bilaterally",
	"pupils", "perrla", "margins", "margin", "ebl", "uop");
WORD_LIST(MD_NEXT_NO, "murmur", "strength", "power", "tab", "tabs", "tablet", "tablets",
	"pain", "scale", "score", "of", "mmhg", "nodes", "positive", "negative", "cores", "slides", "sections",
	"blocks", "times", "x", "units", "bilaterally", "in", "throughout", "dilution", "titer", "ratio",
	"holosystolic", "systolic", "diastolic", "sem", "hsm", "lymph", "cm", "mm", "mg",
	"ml", "vision", "tsp", "cup", "strength.", "grade", "reflexes");
WORD_LIST(YEAR_PREV, "in", "since", "from", "until", "till", "by", "of", "year", "circa",
	"ca", "quit", "quitting", "early", "mid", "late", "spring", "summer", "fall", "autumn", "winter", "during",
	"before", "after", "around", "and", "through", "to", "dx", "diagnosed", "born", "married", "moved",
	"widowed", "retired", "class", "s", "dob", "date", "year:", "yr", "emigrated", "immigrated", "arrived",
	"divorced", "graduated", "or", "between", "back", "last", "fy", "cy", "season", "sometime", "also",
	"est", "established", "founded", "repaired", "placed", "implanted", "performed", "done", "removed",
	"underwent", "started", "stopped", "began", "ended", "completed", "hospitalized", "admitted", "pm", "am",
	"en", "desde", "del", "de", "el");

WORD_LIST(DEVICE_NEXT, "catheter", "sheath", "foley", "french", "fr", "tube", "drain",
	"introducer", "cannula", "needle", "gauge", "coude", "ett", "ngt", "dilator", "stent");

/* Is m/d at [a, b) a plausible date? */
static bool check_md(const struct ctx *x, size_t a, size_t b)
{
	int m = atoi(x->s + a);
	const char *sl = memchr(x->s + a, '/', b - a);
	if (!sl)
		return false;
	int d = atoi(sl + 1);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	char pw[64], nw[64];
	prev_word(x, a, pw, sizeof pw);
	next_word(x, b, nw, sizeof nw);
	if (in_list(pw, &MD_PREV_NO) || in_list(nw, &MD_NEXT_NO))
		return false;
	/* "pain 6/10", "2/6 SEM": out-of-ten scores and equal fractions in an exam ("5/5", "9/9") */
	if (m == d && m <= 5)
		return false;
	if (near_before(x, a, 24, "apgar") || near_before(x, a, 24, "strength") ||
	    near_before(x, a, 24, "murmur") || near_before(x, a, 16, "pain") || near_before(x, a, 20, "grade"))
		return false;
	if (b < x->n && (x->s[b] == '+' || x->s[b] == '%' || x->s[b] == '"'))
		return false;
	return true;
}

static bool check_date_num(const struct ctx *x, size_t a, size_t b)
{
	int p[3] = {0, 0, 0}, np = 0, len[3] = {0, 0, 0};
	for (size_t i = a; i < b && np < 3;) {
		if (!isdigit((unsigned char)x->s[i])) {
			i++;
			continue;
		}
		int v = 0, l = 0;
		while (i < b && isdigit((unsigned char)x->s[i]) && l < 5)
			v = v * 10 + (x->s[i++] - '0'), l++;
		len[np] = l;
		p[np++] = v;
	}
	if (np < 3)
		return false;
	if (len[0] == 4) /* yyyy-mm-dd */
		return p[0] >= 1880 && p[0] <= 2100 && p[1] >= 1 && p[1] <= 12 && p[2] >= 1 && p[2] <= 31;
	if (len[0] > 2 || (len[2] != 2 && len[2] != 4))
		return false;
	if (len[2] == 4 && (p[2] < 1880 || p[2] > 2100))
		return false;
	bool mdy = p[0] >= 1 && p[0] <= 12 && p[1] >= 1 && p[1] <= 31;
	bool dmy = p[1] >= 1 && p[1] <= 12 && p[0] >= 1 && p[0] <= 31;
	if (!mdy && !dmy)
		return false;
	/* dotted numbers are also versions and lab values: only with a date-looking day and a year */
	if (x->s[a + (size_t)len[0]] == '.') {
		char pw[64];
		prev_word(x, a, pw, sizeof pw);
		if (!strcmp(pw, "version") || !strcmp(pw, "v"))
			return false;
	}
	return true;
}

static bool check_year(const struct ctx *x, size_t a, size_t b)
{
	int y = atoi(x->s + a);
	if (y < 1900 || y > 2039)
		return false;
	char pw[64], nw[64];
	prev_word(x, a, pw, sizeof pw);
	next_word(x, b, nw, sizeof nw);
	size_t ti = tok_at(x, a);
	const struct tok *prev = ti > 0 ? &x->t[ti - 1] : NULL;
	bool same_line = ti < x->nt && !x->t[ti].nl_before;
	if (a > 0 && x->s[a - 1] == '-') {
		/* "mid-2022": the word before the hyphen */
		if (!prev || ti < 2)
			return false;
		char w2[32];
		const struct tok *t2 = &x->t[ti - 2];
		if (tlen(t2) >= sizeof w2)
			return false;
		deid_fold(x->s + t2->start, tlen(t2), w2, sizeof w2);
		return !strcmp(w2, "mid") || !strcmp(w2, "early") || !strcmp(w2, "late") || !strcmp(w2, "pre") ||
		       !strcmp(w2, "post");
	}
	if (!strcmp(pw, "at") || (a > 0 && (x->s[a - 1] == '@' || x->s[a - 1] == '~')))
		return false;
	/* a standard or an equation named with its year: "CKD-EPI 2021", "ACC/AHA 2017" */
	if (prev && same_line && (prev->flags & TF_UPPER) && tlen(prev) >= 2 && !(prev->dflags & DF_MONTHDAY) &&
	    (memchr(x->s + prev->start, '-', tlen(prev)) || (ti >= 2 && tok_punct(x, ti - 2, '/')) ||
	     (ti >= 2 && tok_punct(x, ti - 2, '('))))
		return false;
	/* shift times that are also years (1900, 2030): "from 1900 to 2300" in nursing notes */
	WORD_LIST(time_prev, "until", "till", "from", "to", "by", "around", "approx",
		"approximately", "about", "between", "q", "every", "x");
	if (y % 100 < 60 && y % 15 == 0 && in_list(pw, &time_prev))
		return false;
	/* after an ordinary word on the same line ("colonoscopy 2020", "TKA 2009") */
	if (prev && same_line && (prev->flags & TF_ALPHA) && !in_list(pw, &time_prev))
		return true;
	if (!strcmp(nw, "units") || !strcmp(nw, "mg") || !strcmp(nw, "ml") || !strcmp(nw, "kcal") ||
	    !strcmp(nw, "hrs") || !strcmp(nw, "hours") || !strcmp(nw, "cc"))
		return false;
	if (same_line && in_list(pw, &YEAR_PREV))
		return true;
	if (prev && same_line && (prev->flags & TF_PUNCT)) {
		char c = x->s[prev->start];
		if (c == '(' || c == '/' || c == '\'' || c == '[')
			return true;
		/* "Shift note: 1942 pt resting, 2030 turned": after a colon or a comma only a year that cannot
		 * be a 24-hour time */
		if ((c == ':' || c == ',') && (y % 100 >= 60 || y / 100 > 23))
			return true;
	}
	if (b < x->n && (x->s[b] == ')' || x->s[b] == ',' || x->s[b] == ';'))
		return true;
	return false;
}

static bool check_age_mf(const struct ctx *x, size_t a, size_t b, size_t ga, size_t gb)
{
	int v = atoi(x->s + ga);
	if (v > 120 || gb - ga == 0)
		return false;
	char pw[64];
	prev_word(x, a, pw, sizeof pw);
	if (!strcmp(pw, "size") || !strcmp(pw, "temp") || !strcmp(pw, "t") || !strcmp(pw, "tmax") ||
	    !strcmp(pw, "temperature") || !strcmp(pw, "to") || !strcmp(pw, "of") || !strcmp(pw, "x"))
		return false;
	/* the next few words must not name a catheter or tube ("14F Foley") */
	size_t i = tok_at(x, b);
	for (int k = 0; k < 3 && i < x->nt; k++, i++) {
		char w[64];
		deid_fold(x->s + x->t[i].start, tlen(&x->t[i]), w, sizeof w);
		if (in_list(w, &DEVICE_NEXT))
			return false;
	}
	(void)gb;
	return true;
}

static bool check_phone_ctx(const struct ctx *x, size_t a)
{
	static const char *const w[] = {"pager", "page", "ext", "extension", "call", "phone", "tel", "beeper", "x",
		"reach", "contact", "cell", "paged", "dial", "number", "line", "callback", NULL};
	for (int i = 0; w[i]; i++)
		if (near_before(x, a, 30, w[i]))
			return true;
	return false;
}

static int phone_type(const struct ctx *x, size_t a)
{
	/* FAX when "fax" is the nearest label before the number on its line */
	size_t from = a > 28 ? a - 28 : 0;
	for (size_t i = a; i > from; i--)
		if (x->s[i - 1] == '\n') {
			from = i;
			break;
		}
	ssize_t fax = -1, ph = -1;
	/* x->low is the note with ASCII letters lower-cased, as strncasecmp compares; the words are matched
	 * there (each test reads at most 5 bytes past i, within the NUL-terminated copy) */
	const char *l = x->low;
	for (size_t i = from; i + 3 <= a; i++) {
		char c = l[i];
		if (c == 'f' && !memcmp(l + i, "fax", 3))
			fax = (ssize_t)i;
		if ((c == 'p' && (l[i + 1] == 'h' || !strncmp(l + i, "pager", 5))) || (c == 't' && !strncmp(l + i, "tel", 3)) ||
		    (c == 'c' && (!strncmp(l + i, "cell", 4) || !strncmp(l + i, "call", 4))))
			ph = (ssize_t)i;
	}
	return fax >= 0 && fax > ph ? DEID_FAX : DEID_PHONE;
}

static bool check_idgen(const struct ctx *x, size_t a, size_t b)
{
	int d = count_digits(x->s + a, b - a);
	size_t n = b - a;
	bool letters = false, dash = false;
	for (size_t i = a; i < b; i++) {
		letters |= isalpha((unsigned char)x->s[i]) != 0;
		dash |= x->s[i] == '-';
	}
	char pw[64];
	prev_word(x, a, pw, sizeof pw);
	WORD_LIST(no, "lot", "ndc", "cpt", "icd", "icd-10", "loinc", "code", "codes", "snomed",
		"hcpcs", "rxnorm", "version", "model", "catalog", "ref", "cat", "item", "part");
	if (in_list(pw, &no))
		return false;
	/* dotted numbers are lab values or versions unless they are long (DICOM UIDs) */
	for (size_t i = a; i < b; i++)
		if (x->s[i] == '.' && d < 12)
			return false;
	/* shift times "0700-1900", obstetric history "G2P1102", trial registrations "NCT05117892" */
	if (n == 9 && x->s[a + 4] == '-' && d == 8 && atoi(x->s + a) % 100 < 60 && atoi(x->s + a + 5) % 100 < 60 &&
	    atoi(x->s + a) < 2400 && atoi(x->s + a + 5) <= 2400)
		return false;
	if (x->s[a] == 'G' && n >= 4 && isdigit((unsigned char)x->s[a + 1]) && memchr(x->s + a, 'P', n))
		return false;
	if (n > 3 && !strncmp(x->s + a, "NCT", 3))
		return false;
	/* LOINC-like "2160-0" */
	if (!letters && dash && n >= 6 && x->s[b - 2] == '-' && d <= 6)
		return false;
	if (!letters) {
		if (d >= 7)
			return true;
		return d >= 5 && (near_before(x, a, 14, "#") || near_before(x, a, 14, "no") || near_before(x, a, 14, "id"));
	}
	return d >= 4 || (d >= 3 && dash && n >= 6);
}

/* Leading words that are not part of a facility name ("Seen at Riverside Clinic"). */
WORD_LIST(FAC_LEAD_NO, "the", "at", "in", "to", "from", "for", "with", "by", "of", "and",
	"seen", "patient", "pt", "transferred", "discharged", "admitted", "followed", "follow", "referred",
	"referral", "call", "contact", "our", "his", "her", "a", "an", "re", "per", "via", "dear", "cc",
	"attending", "pcp", "unit", "location", "facility", "hospital:", "clinic:", "lives", "works",
	"employed", "retired", "former", "on", "new", "old");

static bool check_facility(struct ctx *x, size_t *pa, size_t b, int type)
{
	size_t a = *pa;
	/* trim leading words that are sentence words, not part of the name */
	for (;;) {
		size_t i = tok_at(x, a);
		if (i >= x->nt || x->t[i].start >= b)
			return false;
		char w[64];
		deid_fold(x->s + x->t[i].start, tlen(&x->t[i]), w, sizeof w);
		if (in_list(w, &FAC_LEAD_NO) || (x->t[i].dflags & (DF_MONTHDAY | DF_TITLE_DR | DF_TITLE_PT)) ||
		    (x->t[i].flags & TF_PUNCT)) {
			if (i + 1 >= x->nt || x->t[i + 1].start >= b)
				return false;
			a = x->t[i + 1].start;
			continue;
		}
		break;
	}
	*pa = a;
	/* at least one word that is not a generic service word; every word capitalised except connectors */
	size_t i = tok_at(x, a);
	int specific = 0, words = 0, upper = 0;
	for (; i < x->nt && x->t[i].start < b; i++) {
		if (!(x->t[i].flags & TF_WORD))
			continue;
		words++;
		if ((x->t[i].flags & TF_UPPER) && tlen(&x->t[i]) > 1)
			upper++;
		if ((x->t[i].flags & TF_ALPHA) && !(x->t[i].flags & TF_CAP)) {
			char w[16];
			if (tlen(&x->t[i]) >= sizeof w)
				return false;
			deid_fold(x->s + x->t[i].start, tlen(&x->t[i]), w, sizeof w);
			WORD_LIST(conn, "and", "of", "the", "for", "de", "del", "la", "at", "on");
			if (!in_list(w, &conn))
				return false;
		}
		if (!(x->t[i].dflags & (DF_GENERIC | DF_CLINICAL)) && !x->protect[i])
			specific++;
	}
	/* an all-caps heading ("NUCLEAR CARDIOLOGY") is a facility only with a facility word */
	if (upper == words && type == DEID_HOSPITAL) {
		const char *kw[] = {"HOSPITAL", "MEDICAL CENTER", "CENTER", "CLINIC", "INFIRMARY", "HEALTH", "MEDICINE",
			"INSTITUTE", "ASSOCIATES", "GENERAL", "CENTRE", "PHYSICIANS", "PRACTICE", NULL};
		bool strong = false;
		for (int q = 0; kw[q]; q++) {
			size_t kl = strlen(kw[q]);
			if (b - *pa >= kl && !memcmp(x->s + b - kl, kw[q], kl))
				strong = true;
		}
		if (!strong)
			return false;
	}
	if (type == DEID_LOCATION_OTHER)
		return specific >= 1 && words >= 2;
	return specific >= 1;
}

/* Where each pattern's literals occur, per pattern (lead and windowed patterns): found as (pattern,
 * position) pairs in note order, then grouped by pattern with a counting sort, so a pattern walks only its
 * own occurrences, in position order. Lives on the stack of scan_patterns: the per-pattern arrays are
 * bounded by DEID_MAX_PATS and a usual note's pairs fit the inline buffers (a malloc and a calloc per note
 * cost more than the grouping itself); only the patterns a note touches are visited. */
enum { OCC_INLINE = 256 };
struct occs {
	struct occ_pair {
		uint32_t pos;
		uint16_t pat;
	} *v;
	size_t n, cap;
	uint32_t *pos; /* grouped positions */
	uint16_t touched[DEID_MAX_PATS]; /* patterns with at least one pair, in order of their first */
	size_t ntouched;
	uint32_t last[DEID_MAX_PATS];  /* per pattern: the position pushed last + 1 (0: none), to drop duplicates */
	uint32_t first[DEID_MAX_PATS]; /* per pattern: its positions are pos[first[p] .. end[p]), ascending, each */
	uint32_t end[DEID_MAX_PATS];   /* once (while pushing, first[p] counts the pattern's pairs) */
	uint8_t unsorted[DEID_MAX_PATS]; /* a position came after a greater one: occ_group sorts the run */
	struct occ_pair vbuf[OCC_INLINE];
	uint32_t posbuf[OCC_INLINE];
};

static void occ_init(struct occs *o, size_t npats)
{
	o->v = o->vbuf;
	o->cap = OCC_INLINE;
	o->n = 0;
	o->pos = o->posbuf;
	o->ntouched = 0;
	/* only these three are read per pattern (the buffers are written before they are read) */
	memset(o->last, 0, npats * sizeof *o->last);
	memset(o->first, 0, npats * sizeof *o->first);
	memset(o->end, 0, npats * sizeof *o->end);
	memset(o->unsorted, 0, npats);
}

static void occ_release(struct occs *o)
{
	if (o->v != o->vbuf)
		ml_free(o->v);
	if (o->pos != o->posbuf)
		ml_free(o->pos);
}

static void occ_push(struct occs *o, size_t pos, uint16_t pat)
{
	if (o->last[pat] == pos + 1)
		return; /* two literals of one pattern at one place ("hosp", "hospital") */
	if (!o->last[pat])
		o->touched[o->ntouched++] = pat;
	else if (o->last[pat] > pos + 1)
		o->unsorted[pat] = 1;
	o->last[pat] = (uint32_t)pos + 1;
	o->first[pat]++;
	if (o->n == o->cap) {
		struct occ_pair *v = ml_xmalloc(o->cap * 2 * sizeof *v);
		memcpy(v, o->v, o->n * sizeof *v);
		if (o->v != o->vbuf)
			ml_free(o->v);
		o->v = v;
		o->cap *= 2;
	}
	o->v[o->n].pos = (uint32_t)pos;
	o->v[o->n++].pat = pat;
}

static int cmp_u32(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return (a > b) - (a < b);
}

static void occ_group(struct occs *o)
{
	uint32_t acc = 0;
	for (size_t t = 0; t < o->ntouched; t++) {
		uint16_t p = o->touched[t];
		uint32_t c = o->first[p];
		o->first[p] = o->end[p] = acc; /* end[] is the fill cursor until the runs are sorted */
		acc += c;
	}
	if (acc > OCC_INLINE)
		o->pos = ml_xmalloc(acc * sizeof *o->pos);
	for (size_t i = 0; i < o->n; i++)
		o->pos[o->end[o->v[i].pat]++] = o->v[i].pos;
	/* the automaton reports literals where they end, so one pattern's positions (starts) may come out of
	 * order when its literals differ in length: sort such a run (nearly sorted: insertion sort) and drop
	 * repeats (in a run that came in order, occ_push dropped them already) */
	for (size_t t = 0; t < o->ntouched; t++) {
		uint16_t p = o->touched[t];
		if (!o->unsorted[p])
			continue;
		uint32_t a = o->first[p], b = o->end[p], k = a;
		if (b - a > 16) {
			/* a long note is walked in parts whose outputs interleave round by round: an insertion sort
			 * would be quadratic there */
			qsort(o->pos + a, b - a, sizeof *o->pos, cmp_u32);
		} else {
			for (uint32_t i = a + 1; i < b; i++) {
				uint32_t v = o->pos[i], j = i;
				while (j > a && o->pos[j - 1] > v) {
					o->pos[j] = o->pos[j - 1];
					j--;
				}
				o->pos[j] = v;
			}
		}
		for (uint32_t i = a; i < b; i++)
			if (k == a || o->pos[k - 1] != o->pos[i])
				o->pos[k++] = o->pos[i];
		o->end[p] = k;
	}
}

/* The same as find_needles with the Aho-Corasick automaton built by ac_build: one table step per byte
 * instead of a lookup of every two-byte key and its chain. Literals are reported where they end. Also lists
 * in flist the literals found, each once, so scan_patterns need not look at every pattern's need list.
 *
 * The step's critical path is the dependent load of the next row offset, so the loop is arranged around it:
 * no multiply (offsets are premultiplied), no load of an output flag (emitting states are numbered last), no
 * branch on it (each step writes its position and row into a chunk buffer that advances only when the state
 * emits; the chunk's outputs are read afterwards), and two independent walks, over the two halves of the
 * note, interleaved so that their loads overlap. */
enum { AC_CHUNK = 512 };
struct ac_out {
	const struct deid_needles *t;
	const unsigned char *u;
	uint8_t *found;
	uint16_t *flist;
	size_t nf;
	struct occs *o;
};

static bool is_w(unsigned char c);

/* The literals ending at position at, whose state's row is row (its output records, the last one marked). */
static void ac_emit(struct ac_out *r, uint32_t at, uint32_t row)
{
	const struct deid_needles *t = r->t;
	for (const struct deid_ac_rec *rec = t->recs + t->delta[row + t->ncls];; rec++) {
		if (!r->found[rec->id]) {
			r->found[rec->id] = 1;
			r->flist[r->nf++] = rec->id;
		}
		if (rec->npat) {
			size_t pos = at + 1 - rec->len;
			/* a lead pattern opening with \b cannot match where the literal starts inside a word
			 * (scan_full would pass over the position): not recorded (lower-casing keeps what is a
			 * word byte) */
			bool wb = (pos > 0 && is_w(r->u[pos - 1])) != is_w(r->u[pos]);
			for (uint32_t q = rec->pfirst; q < rec->pfirst + rec->npat; q++)
				if (wb || !t->pats_wb[q])
					occ_push(r->o, pos, t->pats[q]);
		}
		if (rec->last)
			break;
	}
}

/* One walk over u[i .. end) from row *off. */
static void ac_walk(struct ac_out *r, const unsigned char *u, size_t i, size_t end, uint32_t *off)
{
	const uint32_t *delta = r->t->delta;
	const uint8_t *cls = r->t->cls;
	const uint32_t from = r->t->emit_from;
	uint64_t hit[AC_CHUNK]; /* position << 32 | row: one store per step */
	uint32_t st = *off;
	while (i < end) {
		size_t stop = end - i < AC_CHUNK ? end : i + AC_CHUNK, k = 0;
		for (; i < stop; i++) {
			st = delta[st + cls[u[i]]];
			hit[k] = (uint64_t)i << 32 | st;
			k += st >= from;
		}
		for (size_t h = 0; h < k; h++)
			ac_emit(r, (uint32_t)(hit[h] >> 32), (uint32_t)hit[h]);
	}
	*off = st;
}

/* The one-byte literals whose positions nobody wants (',' ':' '/': only whether the note holds them) are
 * left out of the automaton, where they were a third of its outputs; memchr answers for them. */
static void solo_find(struct ac_out *r, const unsigned char *u, size_t n)
{
	for (size_t k = 0; k < r->t->nsolo; k++) {
		int32_t id = r->t->solo[k];
		if (memchr(u, (unsigned char)r->t->s[id][0], n)) {
			r->found[id] = 1;
			r->flist[r->nf++] = (uint16_t)id;
		}
	}
}

/* One lock-step round of four walks (positions *a .. *d, rows in oa .. od) over `steps` bytes; walk w > 0
 * reports nothing before start[w] (it warms up there). Written out walk by walk so the four states stay in
 * registers. */
static void ac_four(struct ac_out *r, const unsigned char *u, size_t at[4], uint32_t off[4], const size_t start[4],
		    size_t steps)
{
	const struct deid_needles *t = r->t;
	const uint32_t *delta = t->delta;
	const uint8_t *cls = t->cls;
	const uint32_t from = t->emit_from;
	uint64_t h0[AC_CHUNK], h1[AC_CHUNK], h2[AC_CHUNK], h3[AC_CHUNK]; /* position << 32 | row */
	size_t i0 = at[0], i1 = at[1], i2 = at[2], i3 = at[3], k0 = 0, k1 = 0, k2 = 0, k3 = 0;
	size_t s1 = start[1], s2 = start[2], s3 = start[3];
	uint32_t o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3];
	for (size_t j = 0; j < steps; j++, i0++, i1++, i2++, i3++) {
		o0 = delta[o0 + cls[u[i0]]];
		o1 = delta[o1 + cls[u[i1]]];
		o2 = delta[o2 + cls[u[i2]]];
		o3 = delta[o3 + cls[u[i3]]];
		h0[k0] = (uint64_t)i0 << 32 | o0;
		k0 += o0 >= from;
		h1[k1] = (uint64_t)i1 << 32 | o1;
		k1 += (o1 >= from) & (i1 >= s1);
		h2[k2] = (uint64_t)i2 << 32 | o2;
		k2 += (o2 >= from) & (i2 >= s2);
		h3[k3] = (uint64_t)i3 << 32 | o3;
		k3 += (o3 >= from) & (i3 >= s3);
	}
	for (size_t h = 0; h < k0; h++)
		ac_emit(r, (uint32_t)(h0[h] >> 32), (uint32_t)h0[h]);
	for (size_t h = 0; h < k1; h++)
		ac_emit(r, (uint32_t)(h1[h] >> 32), (uint32_t)h1[h]);
	for (size_t h = 0; h < k2; h++)
		ac_emit(r, (uint32_t)(h2[h] >> 32), (uint32_t)h2[h]);
	for (size_t h = 0; h < k3; h++)
		ac_emit(r, (uint32_t)(h3[h] >> 32), (uint32_t)h3[h]);
	at[0] = i0, at[1] = i1, at[2] = i2, at[3] = i3;
	off[0] = o0, off[1] = o1, off[2] = o2, off[3] = o3;
}

static size_t find_needles_ac(const struct deid_needles *t, const char *low, size_t n, uint8_t *found,
			      uint16_t *flist, struct occs *o)
{
	memset(found, 0, t->n);
	const unsigned char *u = (const unsigned char *)low;
	struct ac_out r = {t, u, found, flist, 0, o};
	size_t L = t->maxlen;
	if (n >= 4 * (4 * L + 64)) {
		/* four walks over the four quarters; walk w > 0 starts from the root maxlen bytes before its
		 * quarter (a state depends only on the last maxlen bytes, so from the quarter's start on it is the
		 * state a single walk would have had) */
		size_t part = n / 4, start[4], at[4];
		uint32_t off[4] = {0, 0, 0, 0};
		for (size_t w = 0; w < 4; w++) {
			start[w] = w * part;
			at[w] = w ? start[w] - L : 0;
		}
		for (size_t done = 0; done < part;) {
			size_t steps = part - done < AC_CHUNK ? part - done : AC_CHUNK;
			ac_four(&r, u, at, off, start, steps);
			done += steps;
		}
		/* walk 0 has ended its quarter; the others have their last maxlen bytes (and the remainder) to go */
		for (size_t w = 1; w < 4; w++)
			ac_walk(&r, u, at[w], w == 3 ? n : start[w] + part, &off[w]);
		solo_find(&r, u, n);
		return r.nf;
	}
	/* the second walk starts from the root maxlen bytes before the middle: a state depends only on the last
	 * maxlen bytes, so from the middle on it is the one the first walk would have had */
	size_t mid = n / 2;
	uint32_t offa = 0, offb = 0;
	if (n < 4 * L + 64) {
		ac_walk(&r, u, 0, n, &offa); /* a short note: one walk */
		solo_find(&r, u, n);
		return r.nf;
	}
	const uint32_t *delta = t->delta;
	const uint8_t *cls = t->cls;
	const uint32_t from = t->emit_from;
	uint64_t hita[AC_CHUNK], hitb[AC_CHUNK]; /* position << 32 | row */
	size_t ia = 0, ib = mid - L;
	while (ia < mid) {
		size_t steps = mid - ia < AC_CHUNK ? mid - ia : AC_CHUNK, ka = 0, kb = 0;
		for (size_t j = 0; j < steps; j++, ia++, ib++) {
			offa = delta[offa + cls[u[ia]]];
			offb = delta[offb + cls[u[ib]]];
			hita[ka] = (uint64_t)ia << 32 | offa;
			ka += offa >= from;
			hitb[kb] = (uint64_t)ib << 32 | offb;
			kb += (offb >= from) & (ib >= mid); /* before the middle the second walk only warms up */
		}
		for (size_t h = 0; h < ka; h++)
			ac_emit(&r, (uint32_t)(hita[h] >> 32), (uint32_t)hita[h]);
		for (size_t h = 0; h < kb; h++)
			ac_emit(&r, (uint32_t)(hitb[h] >> 32), (uint32_t)hitb[h]);
	}
	ac_walk(&r, u, ib, n, &offb); /* the second walk's last (at most maxlen + 1) bytes */
	solo_find(&r, u, n);
	return r.nf;
}

/* Marks in found[] every needle the lower-cased note contains, and records (occ_push) where the needles of
 * lead and windowed patterns occur: one pass, a table lookup per byte. */
static void find_needles(const struct deid_needles *t, const char *low, size_t n, uint8_t *found, struct occs *o)
{
	memset(found, 0, t->n);
	const unsigned char *u = (const unsigned char *)low;
	for (size_t i = 0; i < n; i++) {
		int32_t id = t->head1[u[i]];
		if (id >= 0) {
			found[id] = 1;
			for (uint32_t k = t->pat_first[id]; k < t->pat_first[id + 1]; k++)
				occ_push(o, i, t->pats[k]);
		}
		if (i + 1 >= n)
			break;
		unsigned key = (unsigned)u[i] << 8 | u[i + 1];
		if (!(t->has2[key >> 6] >> (key & 63) & 1))
			continue; /* most byte pairs start no literal: an 8 KB bit set answers without the big table */
		for (id = t->head2[key]; id >= 0; id = t->next[id]) {
			if ((found[id] && !t->record[id]) || t->len[id] > n - i)
				continue;
			/* literals are short: compare in line (a memcmp call per candidate cost more than the
			 * comparison) */
			const char *w = t->s[id];
			size_t k = 2, l = t->len[id];
			while (k < l && low[i + k] == w[k])
				k++;
			if (k < l)
				continue;
			found[id] = 1;
			for (uint32_t q = t->pat_first[id]; q < t->pat_first[id + 1]; q++)
				occ_push(o, i, t->pats[q]);
		}
	}
}

static bool dig(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

/* The end of the run of digits starting at i. */
static size_t drun_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static bool is_w(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c == '_';
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f');
}

/* Digits in the run of phone characters [0-9 .()+-] starting at i (stops counting at need). */
static int phone_digits(const char *s, size_t n, size_t i, int need)
{
	int d = 0;
	for (; i < n && d < need; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			d++;
		else if (c != ' ' && c != '.' && c != '(' && c != ')' && c != '+' && c != '-')
			break;
	}
	return d;
}

/* Exact pre-checks of the few windowed patterns whose check kind serves them alone (C_YEAR, C_MD, C_MY,
 * C_AGE_MF, C_COMMA_ST): their own look-behind and look-ahead conditions, tested before the regex call
 * (most of their failing sites fail there). \w is ASCII here, as in the patterns (no PCRE2_UCP). */

/* Is c one of the bytes of the (short, constant) set? Inlined, the loop unrolls into compares (these run
 * for every digit run: a strchr call cost more than the checks it guards). */
static inline __attribute__((always_inline)) bool in_set(unsigned char c, const char *set)
{
	for (size_t k = 0; k < 4 && set[k]; k++)
		if (c == (unsigned char)set[k])
			return true;
	return false;
}

/* Is the byte before q (if any) a word character or one of the bytes of set (at most 4)? */
static inline __attribute__((always_inline)) bool before_in(const char *s, size_t q, const char *set)
{
	if (q == 0)
		return false;
	unsigned char c = (unsigned char)s[q - 1];
	return is_w(c) || in_set(c, set);
}

/* After a number ending at e: a word character, one of set (at most 4 bytes), or '.' or '-' and a digit (the
 * patterns' (?![\w...]|\.\d|-\d)). */
static inline __attribute__((always_inline)) bool after_num(const char *s, size_t n, size_t e, const char *set)
{
	if (e >= n)
		return false;
	unsigned char c = (unsigned char)s[e];
	return is_w(c) || in_set(c, set) || ((c == '.' || c == '-') && dig(s, n, e + 1));
}

/* d/d of the month-day pattern: (?<![\w/.:-])\d{1,2}/\d{1,2}(?![\w/]|\.\d|-\d); the run q..e ends at
 * its '/'. A second run of three digits or more fails the look-ahead whatever \d{1,2} takes. */
static bool md_exact(const char *s, size_t n, size_t q, size_t e)
{
	size_t f = drun_end(s, n, e + 1);
	return !before_in(s, q, "/.:-") && f - (e + 1) <= 2 && !after_num(s, n, f, "/");
}

/* m/yyyy: (?<![\w/.-])(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}(?![\w/]) */
static bool my_exact(const char *s, size_t n, size_t q, size_t e)
{
	int m = e - q == 1 ? s[q] - '0' : (s[q] - '0') * 10 + (s[q + 1] - '0');
	bool month = e - q == 1 ? m >= 1 : (s[q] == '0' ? m >= 1 : m >= 10 && m <= 12);
	size_t f = drun_end(s, n, e + 1);
	return month && !before_in(s, q, "/.-") && f - (e + 1) == 4 &&
	       !(f < n && (is_w((unsigned char)s[f]) || s[f] == '/'));
}

/* Age and sex: (?<![\w.,\x{00B0}/-])(\d{1,3})[ ]?(?:y/?o[ ]?)?[MF](?![\w']); q..e is the (whole) run. The
 * optional parts cannot trade characters with each other, so one forward walk decides. */
static bool age_mf_exact(const char *s, size_t n, size_t q, size_t e)
{
	if (before_in(s, q, ".,/-") || (q >= 2 && (unsigned char)s[q - 1] == 0xB0 && (unsigned char)s[q - 2] == 0xC2))
		return false;
	size_t j = e;
	if (j < n && s[j] == ' ')
		j++;
	if (j < n && s[j] == 'y') {
		j++;
		if (j < n && s[j] == '/')
			j++;
		if (j >= n || s[j] != 'o')
			return false;
		j++;
		if (j < n && s[j] == ' ')
			j++;
	}
	return j < n && (s[j] == 'M' || s[j] == 'F') && !(j + 1 < n && (is_w((unsigned char)s[j + 1]) || s[j + 1] == '\''));
}

/* The ISO date-time pattern's rest after yyyy-mm-dd (checked by C_ISO up to e + 5): [ T]dd:dd:dd, not followed
 * by [\w/:-], and nothing of [\w/.-] before q. */
static bool iso_time_exact(const char *s, size_t n, size_t q, size_t e)
{
	size_t t = e + 6;
	return t + 8 < n && (s[t] == ' ' || s[t] == 'T') && dig(s, n, t + 1) && dig(s, n, t + 2) &&
	       s[t + 3] == ':' && dig(s, n, t + 4) && dig(s, n, t + 5) && s[t + 6] == ':' && dig(s, n, t + 7) &&
	       dig(s, n, t + 8) && !before_in(s, q, "/.-") &&
	       !(t + 9 < n && (is_w((unsigned char)s[t + 9]) || s[t + 9] == '/' || s[t + 9] == ':' || s[t + 9] == '-'));
}

/* The spelled-age pattern (...)[- ](?:years?|yr)[- ]old\b at its literal q (in the lower-cased note): every
 * number word ends in a letter, and what follows the literal is fixed. */
static bool years_old_exact(const char *low, size_t n, size_t q)
{
	if (q < 2 || (low[q - 1] != ' ' && low[q - 1] != '-') || low[q - 2] < 'a' || low[q - 2] > 'z')
		return false;
	size_t j = q + 2; /* after "yr" */
	if (q + 4 <= n && !memcmp(low + q, "year", 4)) {
		j = q + 4;
		if (j < n && low[j] == 's')
			j++;
	} else if (!(q + 2 <= n && !memcmp(low + q, "yr", 2))) {
		return false;
	}
	return j + 4 <= n && (low[j] == ' ' || low[j] == '-') && !memcmp(low + j + 1, "old", 3) &&
	       (j + 4 == n || !is_w((unsigned char)low[j + 4]));
}

/* The city-state-zip pattern, \b(CITY),?[ ]+(ST)\.?,?[ ]+(ZIP), with its zip at q: read backwards from q,
 * the spaces, an optional ',' and '.', then the two capitals of the state (SIZE_MAX if absent: no match has
 * its zip at q), the spaces and an optional ',' before them, and the city: at most three words joined by
 * single spaces or hyphens, of letters (bytes >= 0x80 taken as letters) and '.-\''. Returns the lowest
 * position the city can start at (before the third space back, or after a byte a city cannot hold), so
 * scan_windowed searches from there instead of from the start of a long run of words. */
static size_t city_floor(const char *s, size_t q)
{
	size_t j = q;
	while (j > 0 && s[j - 1] == ' ')
		j--;
	if (j > 0 && s[j - 1] == ',')
		j--;
	if (j > 0 && s[j - 1] == '.')
		j--;
	if (j < 2 || s[j - 1] < 'A' || s[j - 1] > 'Z' || s[j - 2] < 'A' || s[j - 2] > 'Z')
		return SIZE_MAX;
	size_t k = j - 2, spaces = 0;
	if (k == 0 || s[k - 1] != ' ')
		return SIZE_MAX;
	while (k > 0 && s[k - 1] == ' ')
		k--;
	if (k > 0 && s[k - 1] == ',')
		k--;
	for (; k > 0; k--) {
		unsigned char c = (unsigned char)s[k - 1];
		if (c == ' ' && ++spaces == 3)
			break;
		if (!(c == ' ' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80 || c == '.' || c == '-' ||
		      c == '\''))
			break;
	}
	return k;
}

/* Is AB one of ST_ABBR_SAFE's two-letter codes (the engine's table, built by win_setup)? */
static bool st_abbr_safe(const struct deid_engine *e, char a, char b)
{
	return e->state_safe[a - 'A'] >> (b - 'A') & 1;
}

/* C_IDGEN after its look-behind: five or more bytes of [A-Z0-9.-] from q, a digit among them. The second byte
 * rules out most candidates (a capitalised word): tested before the loop. */
static inline bool idgen_run(const char *s, size_t n, size_t q)
{
	if (q + 1 >= n || !((s[q + 1] >= 'A' && s[q + 1] <= 'Z') || dig(s, n, q + 1) || s[q + 1] == '.' || s[q + 1] == '-'))
		return false;
	bool d = false;
	size_t e;
	for (e = q; e < n && ((s[e] >= 'A' && s[e] <= 'Z') || dig(s, n, e) || s[e] == '.' || s[e] == '-'); e++)
		d |= dig(s, n, e);
	return d && e - q >= 5;
}

/* The check of a windowed pattern at site q: a condition every match the pattern can accept meets at one of
 * its sites (so a site that fails it can be skipped without losing a match). */
static inline __attribute__((always_inline)) bool site_ok(const struct ctx *x, int check, size_t q, size_t run_end)
{
	const char *s = x->s;
	size_t n = x->n, e;
	/* the end of the digit run at q: given by drun_mask, which knows it (SIZE_MAX: find it) */
#define RUN_END (run_end != SIZE_MAX ? run_end : drun_end(s, n, q))
	switch (check) {
	case C_IP:
		e = q;
		for (int k = 0; k < 3; k++) {
			size_t r = drun_end(s, n, e);
			if (r == e || r - e > 3 || r >= n || s[r] != '.')
				return false;
			e = r + 1;
		}
		return dig(s, n, e);
	case C_IP6: {
		size_t a = q, b = q;
		while (a > 0 && (is_hex((unsigned char)s[a - 1]) || s[a - 1] == ':'))
			a--;
		while (b < n && (is_hex((unsigned char)s[b]) || s[b] == ':'))
			b++;
		int colons = 0;
		bool letter = false;
		for (size_t i = a; i < b; i++) {
			colons += s[i] == ':';
			letter |= s[i] > '9' && s[i] != ':';
		}
		return colons >= 2 && letter;
	}
	case C_SSN:
		e = RUN_END;
		return e - q == 3 && e + 5 < n && s[e] == '-' && dig(s, n, e + 1) && dig(s, n, e + 2) && s[e + 3] == '-' &&
		       dig(s, n, e + 4);
	case C_PHONE:
		return phone_digits(s, n, q, 10) >= 10;
	case C_PHONE_INTL:
		return phone_digits(s, n, q, 8) >= 8;
	case C_DIG10:
		return RUN_END - q == 10;
	case C_EXT4:
		e = RUN_END;
		return e - q == 1 && e < n && s[e] == '-' && drun_end(s, n, e + 1) - (e + 1) >= 4;
	case C_ISO:
		e = RUN_END;
		return e - q == 4 && e + 6 < n && s[e] == '-' && dig(s, n, e + 1) && dig(s, n, e + 2) && s[e + 3] == '-' &&
		       dig(s, n, e + 4) && dig(s, n, e + 5) && iso_time_exact(s, n, q, e);
	case C_DATE_SEP: {
		e = RUN_END;
		if (e - q > 4 || e >= n || (s[e] != '/' && s[e] != '-'))
			return false;
		size_t f = drun_end(s, n, e + 1);
		return f > e + 1 && f - (e + 1) <= 2 && f < n && s[f] == s[e] && dig(s, n, f + 1);
	}
	case C_DATE_DOT: {
		e = RUN_END;
		if (e - q > 2 || e >= n || s[e] != '.')
			return false;
		size_t f = drun_end(s, n, e + 1);
		return f > e + 1 && f - (e + 1) <= 2 && f < n && s[f] == '.' && dig(s, n, f + 1);
	}
	case C_MY:
		e = RUN_END;
		return e - q <= 2 && e + 3 < n && s[e] == '/' &&
		       ((s[e + 1] == '1' && s[e + 2] == '9') || (s[e + 1] == '2' && s[e + 2] == '0')) && my_exact(s, n, q, e);
	case C_MD:
		e = RUN_END;
		return e - q <= 2 && e < n && s[e] == '/' && dig(s, n, e + 1) && md_exact(s, n, q, e);
	case C_YEAR:
		e = RUN_END;
		return e - q == 4 && ((s[q] == '1' && s[q + 1] == '9') || (s[q] == '2' && s[q + 1] == '0')) &&
		       !before_in(s, q, "/.:") && !after_num(s, n, e, "/:");
	case C_DATE8:
		e = RUN_END - q;
		return (e == 8 || e == 12 || e == 14) && ((s[q] == '1' && s[q + 1] == '9') || (s[q] == '2' && s[q + 1] == '0'));
	case C_AGE_MF:
		e = RUN_END;
		return e - q <= 3 && age_mf_exact(s, n, q, e); /* implies an M or F within 6 bytes */
	case C_AGE_SLASH:
		e = RUN_END;
		return e - q <= 3 && e + 1 < n && s[e] == '/' && (s[e + 1] == 'M' || s[e + 1] == 'F');
	case C_IDGEN:
		if (q > 0 && (is_w((unsigned char)s[q - 1]) || s[q - 1] == '.' || s[q - 1] == '/' || s[q - 1] == '-'))
			return false;
		return idgen_run(s, n, q);
	case C_COMMA_DIGIT:
		return q + 2 < n && s[q + 1] == ' ' && dig(s, n, q + 2);
	case C_COMMA_ST:
		e = q + 1;
		while (e < n && s[e] == ' ')
			e++;
		/* the pattern's own conditions too: a lower-case letter ends the city before the comma, the two
		 * capitals are one of its state abbreviations, and no '-' or '/' follows them */
		return e > q + 1 && e + 1 < n && s[e] >= 'A' && s[e] <= 'Z' && s[e + 1] >= 'A' && s[e + 1] <= 'Z' &&
		       (e + 2 == n || (!is_w((unsigned char)s[e + 2]) && s[e + 2] != '-' && s[e + 2] != '/')) && q > 0 &&
		       s[q - 1] >= 'a' && s[q - 1] <= 'z' && st_abbr_safe(x->e, s[e], s[e + 1]);
	case C_ZIP5:
		return q > 0 && s[q - 1] == ' ' && RUN_END - q == 5 && city_floor(s, q) != SIZE_MAX;
	case C_INITIALS:
		return q > 0 && q + 1 < n && s[q - 1] >= 'A' && s[q - 1] <= 'Z' && s[q + 1] >= 'a' && s[q + 1] <= 'z';
	case C_XDIGIT:
		return dig(s, n, q + 1);
	case C_YEARS_OLD:
		return years_old_exact(x->low, n, q);
	case C_STREET:
		/* the street patterns' type word (Street, Ave, Dr...) follows a space, capitalised, and starts
		 * with one of their literals, save "Turnpike" whose literal is its "pike" */
		if (q >= 5 && !memcmp(s + q - 5, " Turn", 5))
			return true;
		/* fall through */
	case C_CAPWORD:
		return q > 0 && s[q - 1] == ' ' && s[q] >= 'A' && s[q] <= 'Z';
	case C_AFTER_NUM:
		/* the ages' "y" follows the number, a space or a hyphen */
		return q > 0 && (dig(s, n, q - 1) || s[q - 1] == ' ' || s[q - 1] == '-');
	default:
		return true;
	}
}
#undef RUN_END

/* The end of the match at site q of an exact pattern (pat_def.exact), whose check passed there. */
static size_t exact_end(const char *s, size_t n, int check, size_t q)
{
	size_t e = drun_end(s, n, q);
	switch (check) {
	case C_MD: /* d/d */
	case C_MY: /* m/yyyy */
		return drun_end(s, n, e + 1);
	case C_ISO: /* yyyy-mm-dd[ T]hh:mm:ss */
		return e + 15;
	default: /* C_YEAR: yyyy */
		return e;
	}
}

static bool in_class(const uint64_t *c, unsigned char b)
{
	return c[b >> 6] >> (b & 63) & 1;
}

/* Positions shared by the windowed patterns of one note, found in one pass: starts of digit runs, commas,
 * colons, slashes, and starts of identifier-like runs (an A-Z or digit not after [\\w./-]). Digit runs are
 * then grouped by the checks that pass there (bycheck), so a pattern walks only the runs its check
 * accepts. The lists start in inline buffers (scan_patterns keeps this on its stack) and move to the heap
 * only for long notes. */
enum { L_DRUN, L_COMMA, L_COLON, L_SLASH, L_IDSTART, L_N };
/* L_IDSTART serves the C_IDGEN check alone (win_setup): its sites are pushed only where that check passes
 * (sites_find), so the pattern walks candidates, not every capitalised word. L_COLON serves C_IP6 alone
 * and is pushed the same way: C_IP6 looks at the whole run of hex digits and colons around a colon, once
 * per run (colon_site), where a check per colon was quadratic in a long run ("a:a:a:..."). */
enum { SITE_INLINE = 128 };
struct sites {
	uint32_t *v[L_N];
	size_t n[L_N], cap[L_N];
	uint32_t *dmask;  /* per digit run (L_DRUN): bit c set when check c passes there */
	uint32_t *bycheck; /* digit runs passing check c: bycheck[cfirst[c] .. cfirst[c + 1]), ascending */
	uint32_t cfirst[C_N + 1];
	size_t ip6_end; /* the run of hex digits and colons of the last colon looked at ends here */
	bool ip6_ok;    /* and passes C_IP6 */
	uint32_t buf[L_N][SITE_INLINE], maskbuf[SITE_INLINE], checkbuf[2 * SITE_INLINE];
};

static void sites_init(struct sites *st)
{
	for (int l = 0; l < L_N; l++) {
		st->v[l] = st->buf[l];
		st->n[l] = 0;
		st->cap[l] = SITE_INLINE;
	}
	st->dmask = st->maskbuf;
	st->bycheck = st->checkbuf;
	st->ip6_end = 0;
	st->ip6_ok = false;
}

/* Doubles an inline-started array of n uint32_t (*v, capacity cap) into the heap. */
static uint32_t *site_grow(uint32_t *v, const uint32_t *inline_buf, size_t n, size_t cap)
{
	uint32_t *w = ml_xmalloc(cap * 2 * sizeof *w);
	memcpy(w, v, n * sizeof *w);
	if (v != inline_buf)
		ml_free(v);
	return w;
}

static void site_full(struct sites *st, int l)
{
	if (l == L_DRUN)
		st->dmask = site_grow(st->dmask, st->maskbuf, st->n[l], st->cap[l]);
	st->v[l] = site_grow(st->v[l], st->buf[l], st->n[l], st->cap[l]);
	st->cap[l] *= 2;
}

static inline void site_push(struct sites *st, int l, size_t pos)
{
	if (st->n[l] == st->cap[l])
		site_full(st, l); /* rare: a long note */
	st->v[l][st->n[l]++] = (uint32_t)pos;
}

/* The checks of digit-run sites that pass at the run starting at q, as a bit set: each run is looked at
 * once for all the patterns, and the byte after the run rules most checks out at once. */
static uint32_t drun_mask(const struct ctx *x, size_t q, size_t e)
{
	const char *s = x->s;
	size_t n = x->n, len = e - q;
	char c = e < n ? s[e] : 0;
	uint32_t m = 0;
#define TRY(k) (m |= site_ok(x, k, q, e) ? 1u << (k) : 0)
	if (len <= 3) {
		if (c == '.')
			TRY(C_IP);
		TRY(C_AGE_MF);
		if (c == '/')
			TRY(C_AGE_SLASH);
	}
	if (len <= 2) {
		if (c == '.')
			TRY(C_DATE_DOT);
		if (c == '/') {
			TRY(C_MY);
			TRY(C_MD);
		}
	}
	if (len <= 4 && (c == '/' || c == '-'))
		TRY(C_DATE_SEP);
	if (len == 3 && c == '-')
		TRY(C_SSN);
	if (len == 1 && c == '-')
		TRY(C_EXT4);
	if (len == 4) {
		if (c == '-')
			TRY(C_ISO);
		TRY(C_YEAR);
	}
	if (len == 5)
		TRY(C_ZIP5);
	if (len == 10)
		TRY(C_DIG10);
	if (len >= 8)
		TRY(C_DATE8);
	if (len >= 8 || c == ' ' || c == '.' || c == '(' || c == ')' || c == '+' || c == '-') {
		/* one count serves both (it stops at 10) */
		int d = phone_digits(s, n, q, 10);
		m |= (d >= 10 ? 1u << C_PHONE : 0) | (d >= 8 ? 1u << C_PHONE_INTL : 0);
	}
#undef TRY
	return m;
}

/* Bytes sites_find looks at: digits, capitals, ',', ':', '/'; every other byte (most of a note: lower-case
 * letters, spaces) is passed over with one table load. */
static const uint8_t SITE_BYTE[256] = {
	[','] = 1, [':'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
	['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

/* Groups the digit runs by the checks that pass there (counting sort over the bits of dmask). */
static void sites_by_check(struct sites *st)
{
	memset(st->cfirst, 0, sizeof st->cfirst);
	size_t nd = st->n[L_DRUN], total = 0;
	for (size_t r = 0; r < nd; r++)
		for (uint32_t m = st->dmask[r]; m; m &= m - 1)
			st->cfirst[__builtin_ctz(m) + 1]++, total++;
	for (int c = 0; c < C_N; c++)
		st->cfirst[c + 1] += st->cfirst[c];
	if (total > 2 * SITE_INLINE)
		st->bycheck = ml_xmalloc(total * sizeof *st->bycheck);
	uint32_t fill[C_N];
	memcpy(fill, st->cfirst, sizeof fill);
	for (size_t r = 0; r < nd; r++)
		for (uint32_t m = st->dmask[r]; m; m &= m - 1)
			st->bycheck[fill[__builtin_ctz(m)]++] = st->v[L_DRUN][r];
}

/* Eight bytes of s as an integer whose lane k (bits 8k .. 8k + 7) is s[k] on every byte order (compilers
 * make this one load where the order is little-endian). */
static inline uint64_t load8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 | (uint64_t)u[4] << 32 |
	       (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
}

/* The lanes of w (load8) that hold a site byte (SITE_BYTE: ',', '/' to ':', 'A' to 'Z'), as bit 7 of each
 * lane. Plain 64-bit arithmetic on the seven low bits of each byte (no carry crosses a lane); bytes >= 0x80
 * are never site bytes. */
static inline uint64_t site_lanes(uint64_t w)
{
	const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full, high = 0x8080808080808080ull, ones = 0x0101010101010101ull;
	uint64_t y = w & low7;
	uint64_t slash_colon = (y + ones * (0x80 - '/')) & ~(y + ones * (0x80 - (':' + 1)));
	uint64_t capital = (y + ones * (0x80 - 'A')) & ~(y + ones * (0x80 - ('Z' + 1)));
	uint64_t t = y ^ (ones * ',');
	uint64_t comma = ~((t + low7) | t); /* bit 7 set where t is 0 */
	return (slash_colon | capital | comma) & ~w & high;
}

/* The sites of the digit run starting at i (its first digit); returns its last byte. Out of line: the rest
 * of the byte loop is small enough to stay in it. */
static size_t drun_site(struct sites *st, const struct ctx *x, size_t i)
{
	const char *s = x->s;
	size_t e = drun_end(s, x->n, i);
	unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';
	site_push(st, L_DRUN, i);
	st->dmask[st->n[L_DRUN] - 1] = drun_mask(x, i, e);
	/* C_IDGEN: the run holds its digit, and five digits or more are the five bytes it needs */
	if ((i == 0 || !(is_w(prev) || prev == '.' || prev == '/' || prev == '-')) && (e - i >= 5 || idgen_run(s, x->n, i)))
		site_push(st, L_IDSTART, i);
	/* the rest of the run is passed over: none of its digits starts a run or an identifier, as each
	 * follows a digit */
	return e - 1;
}

/* A colon: a site where its run of hex digits and colons passes C_IP6, decided once for the run. */
static void colon_site(struct sites *st, const struct ctx *x, size_t i)
{
	if (i >= st->ip6_end) {
		/* the run's first colon: its earlier bytes are hex digits, looked at here once */
		st->ip6_ok = site_ok(x, C_IP6, i, SIZE_MAX);
		size_t b = i;
		while (b < x->n && (is_hex((unsigned char)x->s[b]) || x->s[b] == ':'))
			b++;
		st->ip6_end = b;
	}
	if (st->ip6_ok)
		site_push(st, L_COLON, i);
}

/* The sites at byte i (a site byte); returns the last byte it looked at. */
static inline size_t site_at(struct sites *st, const struct ctx *x, size_t i)
{
	const char *s = x->s;
	unsigned char c = (unsigned char)s[i];
	if (c >= '0' && c <= '9')
		return drun_site(st, x, i);
	unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';
	if (c == ',')
		site_push(st, L_COMMA, i);
	else if (c == ':')
		colon_site(st, x, i);
	else if (c == '/')
		site_push(st, L_SLASH, i);
	else if ((i == 0 || !(is_w(prev) || prev == '.' || prev == '/' || prev == '-')) && idgen_run(s, x->n, i))
		site_push(st, L_IDSTART, i);
	return i;
}

static void sites_find(struct sites *st, const struct ctx *x)
{
	const char *s = x->s;
	size_t n = x->n, i = 0;
	/* eight bytes at a time, jumping from site byte to site byte (most bytes of a note are not: lower-case
	 * letters, spaces), in the order a byte loop would see them */
	while (i + 8 <= n) {
		uint64_t m = site_lanes(load8(s + i));
		size_t next = i + 8;
		while (m) {
			size_t last = site_at(st, x, i + (size_t)(__builtin_ctzll(m) >> 3));
			if (last + 1 >= next) {
				next = last + 1; /* a digit run went on past these eight bytes */
				break;
			}
			m &= ~(uint64_t)0 << (8 * (last + 1 - i)); /* lanes up to the last byte looked at are done */
		}
		i = next;
	}
	for (; i < n; i++)
		if (SITE_BYTE[(unsigned char)s[i]])
			i = site_at(st, x, i);
	sites_by_check(st);
}

static void sites_release(struct sites *st)
{
	for (int l = 0; l < L_N; l++)
		if (st->v[l] != st->buf[l])
			ml_free(st->v[l]);
	if (st->dmask != st->maskbuf)
		ml_free(st->dmask);
	if (st->bycheck != st->checkbuf)
		ml_free(st->bycheck);
}

/* The first site of pattern p at or after `from` (n if none). *qi walks the pattern's list. */
static size_t next_site(const struct ctx *x, const struct deid_pattern *p, const struct occs *occ,
			const struct sites *st, size_t *qi, size_t from)
{
	if (p->win == W_NEEDLE) {
		size_t end = occ->end[p->index];
		if (*qi < occ->first[p->index])
			*qi = occ->first[p->index];
		for (; *qi < end; ++*qi)
			if (occ->pos[*qi] >= from && site_ok(x, p->check, occ->pos[*qi], SIZE_MAX))
				return occ->pos[*qi];
		return x->n;
	}
	if (p->list == L_DRUN) {
		/* only the runs where the pattern's check passes (sites_by_check) */
		size_t end = st->cfirst[p->check + 1];
		if (*qi < st->cfirst[p->check])
			*qi = st->cfirst[p->check];
		for (; *qi < end; ++*qi)
			if (st->bycheck[*qi] >= from)
				return st->bycheck[*qi];
		return x->n;
	}
	const uint32_t *v = st->v[p->list];
	size_t n = st->n[p->list];
	bool checked = p->list == L_IDSTART || p->list == L_COLON; /* pushed only where their check passes */
	for (; *qi < n; ++*qi)
		if (v[*qi] >= from && (checked || site_ok(x, p->check, v[*qi], SIZE_MAX)))
			return v[*qi];
	return x->n;
}

/* What a pattern does with one match [a, b) (ov: its groups): the post-check, then the candidates.
 * Returns false when the check refuses it. */
static bool take_match(struct ctx *x, const struct deid_pattern *p, int rc, PCRE2_SIZE *ov);

/* The start of the code point after the one at i: searches always start on a code point boundary (a site
 * may be a literal that starts with a multi-byte character, such as the CJK date's). */
static size_t cp_after(const char *s, size_t n, size_t i)
{
	i++;
	while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	return i;
}

/* A windowed pattern. Every match the pattern can accept holds a site q with [match start, q) made of
 * bytes of the back class, and starts with a byte of the start class; so instead of scanning the whole
 * note, each site is tried with one search that starts where the run of back-class bytes before it begins
 * and may not start after the site (PCRE2's offset limit). Matches are found in the same order, with the
 * same retry rules, as by scanning from the start, so the candidates are the same. */
static void scan_windowed(struct ctx *x, const struct deid_pattern *p, pcre2_match_data *md, pcre2_match_context *mc,
			  const struct occs *occ, const struct sites *st)
{
	const char *s = x->s;
	size_t off = 0, qi = 0;
	while (off < x->n) {
		size_t q = next_site(x, p, occ, st, &qi, off);
		if (q >= x->n)
			break;
		if (p->exact) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			ov[0] = q;
			ov[1] = exact_end(s, x->n, p->check, q);
			off = take_match(x, p, 1, ov) ? ov[1] : cp_after(s, x->n, q);
			continue;
		}
		/* how far back a match may start: the run of back-class bytes before the site, after off (and for
		 * the city-state-zip pattern, no further back than its city can reach) */
		size_t lo = q, reach = p->check == C_ZIP5 ? city_floor(s, q) : 0; /* passed C_ZIP5: not SIZE_MAX */
		if (reach < off)
			reach = off;
		while (lo > reach && in_class(p->wback, (unsigned char)s[lo - 1]))
			lo--;
		if (p->has_start)
			while (lo < q && !in_class(p->wstart, (unsigned char)s[lo]))
				lo++;
		if (p->has_start && !in_class(p->wstart, (unsigned char)s[lo])) {
			off = cp_after(s, x->n, q);
			continue;
		}
		pcre2_set_offset_limit(mc, q);
		int rc = p->win_jit ? pcre2_jit_match(p->re_win, (PCRE2_SPTR)s, x->n, lo, 0, md, mc)
				    : pcre2_match(p->re_win, (PCRE2_SPTR)s, x->n, lo, PCRE2_NO_UTF_CHECK, md, mc);
		if (rc < 0) {
			off = cp_after(s, x->n, q);
			continue;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[1] > ov[0] && take_match(x, p, rc, ov)) {
			off = ov[1];
		} else {
			/* refused (or empty): retry just after the match start, as the full scan does */
			off = cp_after(s, x->n, ov[0]);
		}
	}
}

static bool take_match(struct ctx *x, const struct deid_pattern *p, int rc, PCRE2_SIZE *ov)
{
	const struct deid_engine *e = x->e;
	size_t a = ov[0], b = ov[1];
	bool ok = true;
	int t0 = p->out[0].type;
	switch (p->kind) {
	case K_DATE_NUM:
		ok = check_date_num(x, a, b);
		break;
	case K_DATE_MD:
		ok = check_md(x, a, b);
		break;
	case K_YEAR:
		ok = check_year(x, a, b);
		break;
	case K_AGE: {
		size_t ga = ov[2 * p->out[0].group];
		ok = ga != PCRE2_UNSET && atoi(x->s + ga) <= 125;
		break;
	}
	case K_AGE_MF:
		ok = check_age_mf(x, a, b, ov[2], ov[3]);
		break;
	case K_PHONE:
		t0 = phone_type(x, a);
		break;
	case K_PHONE_CTX:
		ok = check_phone_ctx(x, a);
		break;
	case K_PHONE_LBL: {
		size_t ga = ov[2], gb = ov[3];
		int d = ga == PCRE2_UNSET ? 0 : count_digits(x->s + ga, gb - ga);
		ok = d >= 6 && d <= 16 && !check_date_num(x, ga, gb);
		t0 = phone_type(x, ga);
		break;
	}
	case K_PHONE_INTL: {
		int d = count_digits(x->s + a, b - a);
		ok = d >= 8 && d <= 15;
		t0 = phone_type(x, a);
		break;
	}
	case K_ID: {
		size_t ga = ov[2], gb = ov[3];
		ok = ga != PCRE2_UNSET && count_digits(x->s + ga, gb - ga) >= 1 && gb - ga >= 2;
		break;
	}
	case K_IDGEN:
		ok = check_idgen(x, a, b);
		break;
	case K_FACILITY:
		ok = check_facility(x, &a, b, p->out[0].type);
		break;
	case K_STREET_NONUM: {
		size_t i = tok_at(x, a);
		ok = i < x->nt && !(x->t[i].dflags & (DF_STOP | DF_CLINICAL | DF_MONTHDAY));
		break;
	}
	case K_DEPT: {
		size_t ga = p->out[0].group ? ov[2 * p->out[0].group] : a;
		size_t gb = p->out[0].group ? ov[2 * p->out[0].group + 1] : b;
		size_t i = tok_at(x, ga);
		int specific = 0;
		for (; i < x->nt && x->t[i].start < gb; i++)
			if ((x->t[i].flags & TF_WORD) && !(x->t[i].dflags & (DF_GENERIC | DF_CLINICAL)) &&
			    !((x->t[i].flags & TF_NUM) && tlen(&x->t[i]) <= 2 && x->t[i].start == ga))
				specific++;
		/* "Unit 3" and "4 WEST" carry a number that identifies them */
		ok = specific > 0 || count_digits(x->s + ga, gb - ga) > 0;
		break;
	}
	case K_WEEKDAY: {
		char pw[64];
		prev_word(x, a, pw, sizeof pw);
		char nw[64];
		next_word(x, b, nw, sizeof nw);
		ok = strcmp(pw, "every") && strcmp(pw, "each") && strcmp(pw, "most") && strcmp(pw, "todos") &&
		     strcmp(nw, "evenings") && strcmp(nw, "mornings") && strcmp(nw, "nights") &&
		     strcmp(nw, "afternoons");
		break;
	}
	case K_USER: {
		size_t ga = ov[2], gb = ov[3];
		ok = ga != PCRE2_UNSET && !(deid_dict_get(&e->dict, x->s + ga, gb - ga) & (DF_STOP | DF_CLINICAL));
		/* "User: Vilma Holm" (a speaker in a chat transcript): a capitalised given name and a second
		 * capitalised word are a person, which the name rules tag, not a login */
		if (ok && isupper((unsigned char)x->s[ga]) && gb + 1 < x->n && x->s[gb] == ' ' &&
		    isupper((unsigned char)x->s[gb + 1]) &&
		    (deid_dict_get(&e->dict, x->s + ga, gb - ga) & DF_FIRST))
			ok = false;
		break;
	}
	case K_CITY: {
		size_t ga = ov[2];
		size_t i = tok_at(x, ga);
		ok = i < x->nt && !(x->t[i].dflags & (DF_STOP | DF_CLINICAL | DF_MONTHDAY | DF_TITLE_DR));
		break;
	}
	default:
		break;
	}
	if (!ok) {
		/* the caller retries just after the (possibly trimmed) match start */
		ov[0] = a;
		return false;
	}
	for (int k = 0; k < p->nout; k++) {
		int g = p->out[k].group;
		if (g >= rc || ov[2 * g] == PCRE2_UNSET)
			continue;
		size_t ga = g ? ov[2 * g] : a, gb = g ? ov[2 * g + 1] : b;
		int type = k == 0 ? t0 : p->out[k].type;
		add_cand(x, ga, gb, type, DEID_SRC_PATTERN, p->prio, p->conf);
	}
	return true;
}

/* Do the ASCII letters from i (in the lower-cased note) spell one of MON's alternatives, whole? A non-ASCII
 * byte after them answers yes: PCRE2's caseless matching folds a few characters onto ASCII letters (LONG S
 * onto s: "Augu\u017Ft"), which the letters here cannot tell. */
static bool month_word(const char *low, size_t n, size_t i)
{
	static const char *const months[] = {"jan", "january", "feb", "february", "mar", "march", "apr", "april", "may",
		"jun", "june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov",
		"november", "dec", "december"};
	size_t e = i;
	while (e < n && low[e] >= 'a' && low[e] <= 'z')
		e++;
	if (e < n && (unsigned char)low[e] >= 0x80)
		return true;
	for (size_t k = 0; k < ML_ARRAY_LEN(months); k++)
		if (strlen(months[k]) == e - i && !memcmp(low + i, months[k], e - i))
			return true;
	return false;
}

/* Can lead pattern p match at position i? A literal where the regex cannot start (PCRE2's own first-byte
 * set) or, for a regex opening with \b, one inside a word (as "or" in "for") needs no call. */
static bool lead_may_start(const struct ctx *x, const struct deid_pattern *p, size_t i)
{
	if (p->has_first && !in_class(p->first, (unsigned char)x->s[i]))
		return false;
	if (p->lead_wb && (i > 0 && is_w((unsigned char)x->s[i - 1])) == (i < x->n && is_w((unsigned char)x->s[i])))
		return false;
	return !p->lead_month || month_word(x->low, x->n, i);
}

/* Full scan of one pattern from the start of the note (patterns without sites, and the reference path). */
static void scan_full(struct ctx *x, const struct deid_pattern *p, pcre2_match_data *md, const struct occs *occ,
		      bool fast)
{
	size_t off = 0, q = occ->first[p->index], qend = occ->end[p->index];
	while (off <= x->n) {
		int rc;
		if (p->re_lead) {
			/* the next place at or after off where one of the pattern's literals starts: every
			 * match starts at one, so trying them in order (anchored) finds the same matches as
			 * scanning the note from off */
			while (q < qend && (occ->pos[q] < off || (fast && !lead_may_start(x, p, occ->pos[q]))))
				q++;
			if (q == qend)
				break;
			size_t st = occ->pos[q++];
			rc = p->lead_jit ? pcre2_jit_match(p->re_lead, (PCRE2_SPTR)x->s, x->n, st, 0, md, NULL)
					 : pcre2_match(p->re_lead, (PCRE2_SPTR)x->s, x->n, st, PCRE2_NO_UTF_CHECK, md, NULL);
			if (rc < 0) {
				off = st + 1;
				continue;
			}
		} else {
			rc = p->jit ? pcre2_jit_match(p->re, (PCRE2_SPTR)x->s, x->n, off, 0, md, NULL)
				    : pcre2_match(p->re, (PCRE2_SPTR)x->s, x->n, off, PCRE2_NO_UTF_CHECK, md, NULL);
			if (rc < 0)
				break;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[1] > ov[0] && take_match(x, p, rc, ov)) {
			off = ov[1];
		} else {
			/* an empty or refused match: retry one code point after its start so a shorter
			 * overlapping match is not lost */
			off = ov[0] + 1;
			while (off < x->n && ((unsigned char)x->s[off] & 0xC0) == 0x80)
				off++;
		}
	}
}

/* Characters that PCRE2's caseless matching folds onto ASCII letters (LONG S, KELVIN SIGN): a note holding
 * one may match a caseless pattern where its lower-cased text lacks the literal, so windows are not used. */
static bool has_odd_fold(const char *s, size_t n)
{
	/* both start with a byte >= 0xC5: an ASCII note (the usual case) is answered eight bytes at a time */
	if (deid_ascii(s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0xC5)
			return memmem(s + i, n - i, "\xC5\xBF", 2) || memmem(s + i, n - i, "\xE2\x84\xAA", 3);
	return false;
}

/* Does the note hold one of p's need literals (the reference path's test, one pattern at a time)? */
static bool need_found(const struct deid_pattern *p, const uint8_t *found)
{
	for (size_t k = 0; k < p->nneed; k++)
		if (found[p->need[k]])
			return true;
	return false;
}

enum { RUN_WORDS = DEID_MAX_PATS / 64 };

/* The patterns a note needs run, as a bit set: those without a need list, and those with a literal the note
 * holds (from the literals found, instead of looking at every pattern's need list). */
static void patterns_to_run(const struct deid_needles *t, const uint16_t *flist, size_t nf, uint64_t run[RUN_WORDS])
{
	memcpy(run, t->always_run, RUN_WORDS * sizeof *run);
	for (size_t f = 0; f < nf; f++)
		for (uint32_t q = t->need_first[flist[f]]; q < t->need_first[flist[f] + 1]; q++)
			run[t->need_pats[q] >> 6] |= (uint64_t)1 << (t->need_pats[q] & 63);
}

static void scan_patterns(struct ctx *x, pcre2_match_data *md, pcre2_match_context *mc, bool reference)
{
	const struct deid_engine *e = x->e;
	const struct deid_needles *t = &e->needles;
	uint8_t found[DEID_MAX_NEEDLES];
	uint16_t flist[DEID_MAX_NEEDLES];
	struct occs occ;
	occ_init(&occ, e->npats);
	if (reference) {
		/* the reference: its own literal pass, and each pattern's need list looked at in turn */
		find_needles(t, x->low, x->n, found, &occ);
		occ_group(&occ);
		for (size_t pi = 0; pi < e->npats; pi++)
			if (!e->pats[pi].nneed || need_found(&e->pats[pi], found))
				scan_full(x, &e->pats[pi], md, &occ, false);
		occ_release(&occ);
		return;
	}
	uint64_t run[RUN_WORDS];
	patterns_to_run(t, flist, find_needles_ac(t, x->low, x->n, found, flist, &occ), run);
	occ_group(&occ);
	bool windows = !has_odd_fold(x->s, x->n);
	struct sites st;
	sites_init(&st);
	if (windows)
		sites_find(&st, x);
	/* in pattern order, as the reference (most patterns hang on a label or keyword the note lacks) */
	for (size_t w = 0; w < RUN_WORDS; w++)
		for (uint64_t m = run[w]; m; m &= m - 1) {
			const struct deid_pattern *p = &e->pats[w * 64 + (size_t)__builtin_ctzll(m)];
			if (windows && p->re_win)
				scan_windowed(x, p, md, mc, &occ, &st);
			else
				scan_full(x, p, md, &occ, true);
		}
	occ_release(&occ);
	sites_release(&st);
}

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

/* Is token j joined to token i by a single space on one line? */
static bool joined(const struct ctx *x, size_t j)
{
	return j < x->nt && !x->t[j].nl_before && x->t[j].sp_before <= 1;
}

/* A surname particle ("van", "de", "ten", "al")? */
static bool is_particle(const struct ctx *x, size_t j)
{
	WORD_LIST(parts, "van", "von", "de", "del", "della", "der", "den", "ten", "ter", "da", "das",
		"dos", "di", "du", "la", "le", "al", "el", "bin", "ibn", "y");
	return tlen(&x->t[j]) < 8 && tok_in(x, j, &parts, 8);
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
	return in_list(w, &pre) && isupper((unsigned char)s[k + 1]) && n - k - 1 >= 2;
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
		uint32_t f = span_dict(x, (size_t)(s - x->s), (size_t)(s - x->s) + n);
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
	if (tails && (!(x->t[colon - 1].flags & TF_WORD) || !tok_in(x, colon - 1, tails, 96)))
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

static void context_names(struct ctx *x)
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
				if (tlen(t) >= 16 || !tok_in(x, i, &low_ok, 16))
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
			if (tok_in(x, i, &by, 32)) {
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
						bool doc = tok_fold_is(x, i, "by") || tok_fold_is(x, i, "per") ||
							   tok_fold_is(x, i, "paged") || tok_fold_is(x, i, "cc") ||
							   tok_fold_is(x, i, "sincerely") || tok_fold_is(x, i, "regards");
						add_name(x, j, e, doc ? DEID_DOCTOR : DEID_PATIENT, 62, .75f, DEID_SRC_CONTEXT);
					}
				}
			}
			/* letter closings: the name on the next non-empty line is the author's */
			WORD_LIST(closings, "sincerely", "regards", "respectfully", "cordially",
				"warmly", "best", "thanks", "atentamente");
			if (tok_in(x, i, &closings, 32)) {
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
static uint32_t stem_flags(const struct ctx *x, size_t i)
{
	size_t p = poss_len(x, i);
	if (!p)
		return x->t[i].dflags;
	return span_dict(x, x->t[i].start, x->t[i].end - p);
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
static void cue_names(struct ctx *x)
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
		if (pl && i + 1 < x->nt && joined(x, i + 1) && ((t->flags & TF_CAP) || (stem_flags(x, i) & DF_FIRST))) {
			WORD_LIST(owned, "kid", "kids", "address", "account", "phone", "number", "house",
				"home", "place", "car", "email", "birthday", "funeral", "wedding");
			const struct tok *u = &x->t[i + 1];
			bool rel = (u->dflags & DF_RELATION) != 0;
			if (!rel && tlen(u) < 24)
				rel = tok_in(x, i + 1, &owned, 24);
			uint32_t f = stem_flags(x, i);
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
static void mark_eponyms(struct ctx *x)
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
			if (span_dict(x, a, b) & DF_EPONYM) {
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
		['d'] = "ed\0oid\0ide\0",
		['e'] = "ive\0ase\0ine\0ate\0scale\0ese\0",
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
		if (tok_in(x, k, &forms, 16))
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
	return tok_in(x, j, &w, 16);
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
		return tok_in(x, q - 1, &verbs, 16) && (!tok_fold_is(x, q - 1, "on") || q == j);
	}
	return false;
}

/* Dictionary layer: known given names (with following capitalised words) and places. */
static void dict_layer(struct ctx *x)
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
				uint32_t g = span_dict(x, a, b);
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
			uint32_t fs = stem_flags(x, i);
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
			int ucw_type = tok_fold_is(x, pw0, "at") ? DEID_HOSPITAL : tok_fold_is(x, pw0, "in") ? DEID_CITY : DEID_PATIENT;
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
					verb_next = tok_in(x, e0, &verbs, 16);
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
				    ((f & (DF_CITY | DF_COUNTRY | DF_STATE)) && pw < x->nt && tok_in(x, pw, &preps, 32)))
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
			if (!(pw < x->nt && tok_in(x, pw, &preps, 32)) && !comma)
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
static void professions(struct ctx *x)
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
			uint32_t pf = len == 1 ? x->t[i].dflags : (x->t[i].dflags & DF_MW) ? span_dict(x, a, b) : 0;
			if (!(pf & DF_PROFESSION))
				continue;
			/* a cue word within the three words before */
			bool ok = false;
			for (size_t q = i, k = 0; q > 0 && k < 3; q--, k++) {
				if (x->t[q].nl_before)
					break;
				if (tlen(&x->t[q - 1]) < 32 && tok_in(x, q - 1, &cue, 32))
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

static void list_names(struct ctx *x, const struct deid_cand *acc, size_t nacc)
{
	for (size_t k = 0; k < nacc; k++) {
		if (!cand_name(acc[k].type))
			continue;
		/* forwards: ", X" or " and X" */
		size_t j = tok_at(x, acc[k].end);
		for (int hops = 0; hops < 6 && j < x->nt; hops++) {
			if (tok_punct(x, j, ',') && x->t[j].sp_before == 0)
				j++;
			if (tok_is(x, j, "and") || tok_is(x, j, "&") || tok_is(x, j, "or"))
				j++;
			if (j == tok_at(x, acc[k].end) || !list_name_word(x, j))
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
		size_t i = tok_at(x, acc[k].start);
		if (i >= 2 && (tok_punct(x, i - 1, ',') || tok_is(x, i - 1, "and")) && list_name_word(x, i - 2) &&
		    !x->t[i].nl_before && x->t[i - 1].sp_before == 0 + (tok_is(x, i - 1, "and") ? 1 : 0)) {
			size_t s0 = name_back(x, i - 1, 3, false);
			if (s0 < i - 1 && list_name_word(x, s0))
				add_name(x, s0, i - 1, acc[k].type, 50, .55f, DEID_SRC_CONTEXT);
		}
	}
}

/* A name in another script right after a name, or in parentheses after it: "Wang Xiaoming (王小明)". */
static void script_names(struct ctx *x, const struct deid_cand *acc, size_t nacc)
{
	for (size_t k = 0; k < nacc; k++) {
		if (!cand_name(acc[k].type))
			continue;
		size_t i = tok_at(x, acc[k].end);
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

static void known_layer(struct ctx *x, const struct deid_known *known)
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

/* ---- resolution --------------------------------------------------------------------------------------- */

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

static void coreference(struct ctx *x, const struct deid_cand *acc, size_t nacc)
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
		for (size_t i = tok_at(x, acc[k].start); i < x->nt && x->t[i].start < acc[k].end; i++) {
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

/* ---- tokens for the tests ----------------------------------------------------------------------------- */

size_t deid_tokens(const struct deid_engine *e, const char *text, size_t len, struct deid_token_info **out)
{
	char *low = ml_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	low[len] = 0;
	struct ctx x = {.e = e, .s = text, .n = len, .low = low};
	tokenize(&x);
	struct deid_token_info *v = ml_xcalloc(x.nt + 1, sizeof *v);
	for (size_t i = 0; i < x.nt; i++) {
		const struct tok *t = &x.t[i];
		char fold[64];
		tok_fold_into(&x, i, fold, sizeof fold);
		v[i] = (struct deid_token_info){.start = t->start, .end = t->end, .flags = t->flags, .nl_before = t->nl_before,
						 .sp_before = t->sp_before, .dflags = t->dflags, .hash = t->hash,
						 .punct = t->punct};
		memcpy(v[i].fold, fold, sizeof fold);
		/* what the rules ask of the token, answered from its cache (the test asks the slow way) */
		WORD_LIST(probe, "van", "de", "md", "rn", "patient", "name", "by", "with", "tablet", "started",
			"park", "wife", "plaza", "i'm", "o'brien", "smith-jones", "jos\xC3\xA9", "jose", "muller");
		v[i].in_probe16 = tok_in(&x, i, &probe, 16);
		v[i].in_probe8 = tok_in(&x, i, &probe, 8);
		v[i].is_jose = tok_fold_is(&x, i, "jose");
		v[i].stem = (t->flags & TF_ALPHA) ? stem_flags(&x, i) : 0;
		v[i].prev_word = (uint32_t)prev_word_of(&x, i);
	}
	*out = v;
	size_t n = x.nt;
	ml_free(x.t);
	ml_free(low);
	return n;
}

/* ---- engine ------------------------------------------------------------------------------------------- */

/* The id of literal q[0..l) in the needle table, adding it if new (literals are short and few). */
static uint16_t needle_add(struct deid_needles *t, const char *q, size_t l)
{
	for (size_t k = 0; k < t->n; k++)
		if (t->len[k] == l && !memcmp(t->s[k], q, l))
			return (uint16_t)k;
	size_t id = t->n++;
	t->s = ml_xrealloc(t->s, t->n * sizeof *t->s);
	t->len = ml_xrealloc(t->len, t->n * sizeof *t->len);
	t->next = ml_xrealloc(t->next, t->n * sizeof *t->next);
	t->s[id] = ml_xstrndup(q, l);
	t->len[id] = (uint8_t)l;
	t->next[id] = -1;
	if (l == 1) {
		t->head1[(unsigned char)q[0]] = (int32_t)id;
	} else {
		unsigned key = (unsigned)(unsigned char)q[0] << 8 | (unsigned char)q[1];
		t->next[id] = t->head2[key];
		t->head2[key] = (int32_t)id;
		t->has2[key >> 6] |= (uint64_t)1 << (key & 63);
	}
	return (uint16_t)id;
}

/* The bytes a match of p's regex can start with, from PCRE2's study of the unanchored regex (its start
 * bitmap, or its one first code unit); has_first stays false when PCRE2 knows no such set. */
static void first_bytes(struct deid_pattern *p)
{
	const uint8_t *bm = NULL;
	uint32_t type = 0, cu = 0;
	if (pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTBITMAP, &bm) == 0 && bm) {
		/* 256 bits, byte b at bit (b & 7) of bm[b >> 3]: the same bit order as in_class's words on a
		 * little-endian machine; elsewhere the set is rebuilt bit by bit */
		memset(p->first, 0, sizeof p->first);
		for (int b = 0; b < 256; b++)
			if (bm[b >> 3] >> (b & 7) & 1)
				p->first[b >> 6] |= (uint64_t)1 << (b & 63);
		p->has_first = true;
	} else if (pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 && type == 1 &&
		   pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTCODEUNIT, &cu) == 0 && cu < 256) {
		memset(p->first, 0, sizeof p->first);
		p->first[cu >> 6] |= (uint64_t)1 << (cu & 63);
		/* PCRE2 does not say whether that unit is caseless ((?i) inside the pattern): allow the other ASCII
		 * case too (the bytes tested are the first bytes of ASCII literals, in either case) */
		unsigned oc = (unsigned)(cu >= 'a' && cu <= 'z' ? cu - 32 : cu >= 'A' && cu <= 'Z' ? cu + 32 : cu);
		p->first[oc >> 6] |= (uint64_t)1 << (oc & 63);
		p->has_first = true;
	}
}

/* Does every match of regex re start at a word boundary? True when, after an optional "(?i)", it opens with
 * \b, or with a group "(?:" / "(?i:" whose first item is \b and that has no alternative at its own level,
 * and the regex has no alternative at the top level either (a branch elsewhere need not start with \b). */
static bool opens_with_wb(const char *re)
{
	if (!strncmp(re, "(?i)", 4))
		re += 4;
	const char *body = re;
	int group = 0;
	if (!strncmp(re, "(?:\\b", 5))
		group = 1, body = re + 3;
	else if (!strncmp(re, "(?i:\\b", 6))
		group = 1, body = re + 4;
	if (strncmp(body, "\\b", 2))
		return false;
	/* alternatives at depth 0, and (group) at depth 1 inside the opening group */
	int depth = 0;
	bool cls = false;
	for (const char *c = re; *c; c++) {
		if (*c == '\\') {
			if (c[1])
				c++;
			continue;
		}
		if (cls) {
			cls = *c != ']';
			continue;
		}
		if (*c == '[') {
			cls = true;
			if (c[1] == ']' || (c[1] == '^' && c[2] == ']'))
				c += c[1] == '^' ? 2 : 1; /* a ']' first in a class is literal */
		} else if (*c == '(') {
			depth++;
		} else if (*c == ')') {
			if (--depth == 0 && group)
				group = 2; /* past the opening group: its own level is checked */
		} else if (*c == '|' && (depth == 0 || (depth == 1 && group == 1))) {
			return false;
		}
	}
	return true;
}

/* Parses a byte class of a pat_def ("%d" digits, "%u" A-Z, "%l" a-z, "%h" bytes >= 0x80, "%%" '%', else the
 * byte itself) into a 256-bit set. */
static void class_parse(const char *spec, uint64_t set[4])
{
	memset(set, 0, 4 * sizeof *set);
	for (const char *c = spec ? spec : ""; *c; c++) {
		int lo = (unsigned char)*c, hi = lo;
		if (*c == '%' && c[1]) {
			c++;
			switch (*c) {
			case 'd': lo = '0', hi = '9'; break;
			case 'u': lo = 'A', hi = 'Z'; break;
			case 'l': lo = 'a', hi = 'z'; break;
			case 'h': lo = 0x80, hi = 0xFF; break;
			default: lo = hi = (unsigned char)*c; break;
			}
		}
		for (int b = lo; b <= hi; b++)
			set[b >> 6] |= (uint64_t)1 << (b & 63);
	}
}

/* A windowed pattern: its regex again with PCRE2_USE_OFFSET_LIMIT, its classes, and (W_NEEDLE) the literals
 * whose positions find_needles must record. */
static int win_setup(struct deid_engine *e, struct deid_pattern *p, const struct pat_def *d, size_t words)
{
	if (d->win == W_NEEDLE && !p->nneed)
		return -1;
	int ec;
	PCRE2_SIZE eo;
	p->re_win = pcre2_compile((PCRE2_SPTR)d->re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_USE_OFFSET_LIMIT, &ec, &eo,
				  NULL);
	if (!p->re_win)
		return -1;
	p->win_jit = pcre2_jit_compile(p->re_win, PCRE2_JIT_COMPLETE) == 0;
	p->win = d->win;
	p->check = d->check;
	p->exact = d->exact && d->win == W_DRUN && !*d->back && !*d->start &&
		   (d->check == C_MD || d->check == C_MY || d->check == C_ISO || d->check == C_YEAR);
	if (d->exact && !p->exact)
		return -1; /* a table error: exact_end knows only these checks */
	class_parse(d->back, p->wback);
	class_parse(d->start, p->wstart);
	p->has_start = d->start && *d->start;
	switch (d->check) {
	case C_IP6:
		p->list = L_COLON;
		break;
	case C_IDGEN:
		p->list = L_IDSTART;
		break;
	case C_COMMA_ST: {
		/* its two-letter codes as a bit table for the site check: each code is a pair of adjacent
		 * capitals in ST_ABBR_SAFE ("(?:AL|AK|...)") */
		static const char codes[] = ST_ABBR_SAFE;
		for (size_t k = 0; codes[k + 1]; k++)
			if (codes[k] >= 'A' && codes[k] <= 'Z' && codes[k + 1] >= 'A' && codes[k + 1] <= 'Z')
				e->state_safe[codes[k] - 'A'] |= 1u << (codes[k + 1] - 'A');
		p->list = L_COMMA;
		break;
	}
	case C_COMMA_DIGIT:
		p->list = L_COMMA;
		break;
	case C_INITIALS:
		p->list = L_SLASH;
		break;
	default:
		p->list = L_DRUN;
		break;
	}
	if ((d->win == W_BYTE) == (p->list == L_DRUN))
		return -1; /* a table error: a byte site kind without its list, or the other way round */
	if (d->win == W_NEEDLE) {
		p->needmask = ml_xcalloc(words ? words : 1, sizeof *p->needmask);
		for (size_t k = 0; k < p->nneed; k++) {
			p->needmask[p->need[k] >> 6] |= (uint64_t)1 << (p->need[k] & 63);
			e->needles.record[p->need[k]] = 1;
		}
	}
	return 0;
}

/* Per literal, the patterns whose need list holds it (deid_needles.need_first/need_pats), and which of the
 * patterns wanting its positions open with \b (pats_wb). */
static void needles_link(struct deid_engine *e)
{
	struct deid_needles *t = &e->needles;
	t->pats_wb = ml_xcalloc(t->pat_first[t->n] + 1, 1);
	memset(t->always_run, 0, sizeof t->always_run);
	for (size_t i = 0; i < e->npats; i++)
		if (!e->pats[i].nneed)
			t->always_run[i >> 6] |= (uint64_t)1 << (i & 63);
	for (uint32_t q = 0; q < t->pat_first[t->n]; q++)
		t->pats_wb[q] = e->pats[t->pats[q]].lead_wb;
	t->need_first = ml_xcalloc(t->n + 2, sizeof *t->need_first);
	size_t total = 0;
	for (size_t i = 0; i < e->npats; i++)
		for (size_t k = 0; k < e->pats[i].nneed; k++)
			t->need_first[e->pats[i].need[k] + 1]++, total++;
	for (size_t k = 0; k < t->n; k++)
		t->need_first[k + 1] += t->need_first[k];
	t->need_pats = ml_xmalloc((total + 1) * sizeof *t->need_pats);
	uint32_t *fill = ml_xmalloc((t->n + 1) * sizeof *fill);
	memcpy(fill, t->need_first, (t->n + 1) * sizeof *fill);
	for (size_t i = 0; i < e->npats; i++)
		for (size_t k = 0; k < e->pats[i].nneed; k++)
			t->need_pats[fill[e->pats[i].need[k]]++] = (uint16_t)i;
	ml_free(fill);
}

/* The Aho-Corasick automaton of the literals: bytes that occur in no literal share class 0. Built over
 * state numbers in trie order (next: the full transition table, out: the first state on a state's suffix
 * chain that spells a literal, link: the next one), then renumbered for find_needles_ac: states without an
 * output first, and stored as premultiplied row offsets (see struct deid_needles). */
static void ac_build(struct deid_needles *t)
{
	memset(t->cls, 0, sizeof t->cls);
	size_t nc = 1, total = 1;
	for (size_t k = 0; k < t->n; k++) {
		total += t->len[k];
		for (size_t j = 0; j < t->len[k]; j++)
			if (!t->cls[(unsigned char)t->s[k][j]])
				t->cls[(unsigned char)t->s[k][j]] = (uint8_t)nc++;
	}
	t->ncls = nc;
	t->solo = ml_xmalloc((t->n + 1) * sizeof *t->solo);
	t->nsolo = 0;
	t->maxlen = 0;
	for (size_t k = 0; k < t->n; k++)
		if (t->len[k] > t->maxlen)
			t->maxlen = t->len[k];
	int32_t *child = ml_xmalloc(total * nc * sizeof *child);
	for (size_t i = 0; i < total * nc; i++)
		child[i] = -1;
	int32_t *own = ml_xmalloc(total * sizeof *own);
	for (size_t i = 0; i < total; i++)
		own[i] = -1;
	size_t ns = 1;
	for (size_t k = 0; k < t->n; k++) {
		if (t->len[k] == 1 && t->pat_first[k] == t->pat_first[k + 1]) {
			t->solo[t->nsolo++] = (int32_t)k; /* see solo_find */
			continue;
		}
		size_t st = 0;
		for (size_t j = 0; j < t->len[k]; j++) {
			size_t c = t->cls[(unsigned char)t->s[k][j]];
			if (child[st * nc + c] < 0)
				child[st * nc + c] = (int32_t)ns++;
			st = (size_t)child[st * nc + c];
		}
		own[st] = (int32_t)k; /* literals are distinct (needle_add), so one per state */
	}
	uint32_t *next = ml_xmalloc(ns * nc * sizeof *next);
	uint32_t *out = ml_xcalloc(ns, sizeof *out), *link = ml_xcalloc(ns, sizeof *link);
	uint32_t *fail = ml_xcalloc(ns, sizeof *fail), *queue = ml_xmalloc(ns * sizeof *queue);
	size_t qh = 0, qt = 0;
	for (size_t c = 0; c < nc; c++) {
		int32_t u = child[c];
		next[c] = (uint32_t)(u < 0 ? 0 : u);
		if (u >= 0)
			fail[u] = 0, queue[qt++] = (uint32_t)u;
	}
	while (qh < qt) {
		uint32_t r = queue[qh++];
		/* r's suffix chain: its failure state, if that spells a literal, else that state's chain */
		uint32_t f = fail[r];
		link[r] = own[f] >= 0 ? f : out[f];
		out[r] = own[r] >= 0 ? r : link[r];
		for (size_t c = 0; c < nc; c++) {
			int32_t u = child[r * nc + c];
			if (u >= 0) {
				fail[u] = next[f * nc + c];
				next[r * nc + c] = (uint32_t)u;
				queue[qt++] = (uint32_t)u;
			} else {
				next[r * nc + c] = next[f * nc + c];
			}
		}
	}
	/* renumber: quiet states (empty output chain; the root among them, still 0) first */
	uint32_t *ren = fail; /* reused: the failure links are no longer needed */
	size_t k = 0;
	for (size_t st = 0; st < ns; st++)
		if (!out[st])
			ren[st] = (uint32_t)k++;
	size_t w = nc + 1;
	t->emit_from = (uint32_t)(k * w);
	for (size_t st = 0; st < ns; st++)
		if (out[st])
			ren[st] = (uint32_t)k++;
	t->delta = ml_xmalloc(ns * w * sizeof *t->delta);
	size_t cap = 64;
	t->nrecs = 0;
	t->recs = ml_xmalloc(cap * sizeof *t->recs);
	for (size_t st = 0; st < ns; st++) {
		uint32_t *row = t->delta + (size_t)ren[st] * w;
		for (size_t c = 0; c < nc; c++)
			row[c] = ren[next[st * nc + c]] * (uint32_t)w;
		row[nc] = 0;
		if (!out[st])
			continue;
		/* the state's output chain, flattened into consecutive records */
		row[nc] = (uint32_t)t->nrecs;
		for (uint32_t e = out[st]; e; e = link[e]) {
			if (t->nrecs == cap)
				t->recs = ml_xrealloc(t->recs, (cap *= 2) * sizeof *t->recs);
			int32_t id = own[e];
			t->recs[t->nrecs++] = (struct deid_ac_rec){(uint16_t)id, t->len[id], !link[e], t->pat_first[id],
								  t->pat_first[id + 1] - t->pat_first[id]};
		}
	}
	ml_free(child);
	ml_free(own);
	ml_free(next);
	ml_free(out);
	ml_free(link);
	ml_free(fail);
	ml_free(queue);
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
	e->needles.head2 = ml_xmalloc(65536 * sizeof *e->needles.head2);
	for (size_t i = 0; i < 65536; i++)
		e->needles.head2[i] = -1;
	for (size_t i = 0; i < 256; i++)
		e->needles.head1[i] = -1;
	e->npats = ML_ARRAY_LEN(PATTERNS);
	e->pats = ml_xcalloc(e->npats, sizeof *e->pats);
	for (size_t i = 0; i < e->npats; i++) {
		const struct pat_def *d = &PATTERNS[i];
		int ec;
		PCRE2_SIZE eo;
		e->pats[i].re = pcre2_compile((PCRE2_SPTR)d->re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
		if (!e->pats[i].re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof msg);
			ml_err_set(err, ML_EINVAL, "de-identification pattern %zu does not compile at offset %zu: %s", i,
				   (size_t)eo, (const char *)msg);
			deid_engine_free(e);
			return NULL;
		}
		/* JIT is an optimisation: without it (an unsupported CPU) the interpreter gives the same results */
		e->pats[i].jit = pcre2_jit_compile(e->pats[i].re, PCRE2_JIT_COMPLETE) == 0;
		for (const char *q = d->need; q && *q;) {
			const char *bar = strchr(q, '|');
			size_t l = bar ? (size_t)(bar - q) : strlen(q);
			e->pats[i].need = ml_xrealloc(e->pats[i].need, (e->pats[i].nneed + 1) * sizeof *e->pats[i].need);
			e->pats[i].need[e->pats[i].nneed++] = needle_add(&e->needles, q, l);
			q += l + (bar ? 1 : 0);
		}
		e->pats[i].kind = d->kind;
		e->pats[i].prio = d->prio;
		e->pats[i].conf = d->conf;
		int gs[3] = {d->g1, d->g2, d->g3}, ts[3] = {d->t1, d->t2, d->t3};
		for (int k = 0; k < 3; k++) {
			if (k > 0 && gs[k] == 0)
				break;
			e->pats[i].out[k].group = gs[k];
			e->pats[i].out[k].type = ts[k];
			e->pats[i].nout = k + 1;
		}
	}
	/* lead patterns: an anchored copy and the set of literals they start with */
	size_t words = (e->needles.n + 63) / 64;
	e->needles.record = ml_xcalloc(e->needles.n + 1, 1);
	for (size_t i = 0; i < e->npats; i++) {
		struct deid_pattern *p = &e->pats[i];
		if (PATTERNS[i].win != W_NONE && !PATTERNS[i].lead && win_setup(e, p, &PATTERNS[i], words) != 0) {
			ml_err_set(err, ML_EINVAL, "de-identification pattern %zu does not compile with an offset limit", i);
			deid_engine_free(e);
			return NULL;
		}
		if (!PATTERNS[i].lead || !p->nneed)
			continue;
		int ec;
		PCRE2_SIZE eo;
		p->re_lead = pcre2_compile((PCRE2_SPTR)PATTERNS[i].re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_ANCHORED, &ec,
					   &eo, NULL);
		if (!p->re_lead) {
			ml_err_set(err, ML_EINVAL, "de-identification pattern %zu does not compile anchored", i);
			deid_engine_free(e);
			return NULL;
		}
		p->lead_jit = pcre2_jit_compile(p->re_lead, PCRE2_JIT_COMPLETE) == 0;
		first_bytes(p);
		p->lead_wb = opens_with_wb(PATTERNS[i].re);
		p->lead_month = PATTERNS[i].lead_month;
		if (!p->needmask)
			p->needmask = ml_xcalloc(words ? words : 1, sizeof *p->needmask);
		for (size_t k = 0; k < p->nneed; k++) {
			p->needmask[p->need[k] >> 6] |= (uint64_t)1 << (p->need[k] & 63);
			e->needles.record[p->need[k]] = 1;
		}
	}
	/* needle -> the patterns that want its positions (lead and windowed ones), as one flat list */
	struct deid_needles *t = &e->needles;
	t->pat_first = ml_xcalloc(t->n + 2, sizeof *t->pat_first);
	size_t total = 0;
	for (size_t i = 0; i < e->npats; i++) {
		e->pats[i].index = (uint16_t)i;
		if (e->pats[i].needmask)
			for (size_t k = 0; k < e->pats[i].nneed; k++)
				t->pat_first[e->pats[i].need[k] + 1]++, total++;
	}
	for (size_t k = 0; k < t->n; k++)
		t->pat_first[k + 1] += t->pat_first[k];
	t->pats = ml_xmalloc((total + 1) * sizeof *t->pats);
	uint32_t *fill = ml_xmalloc((t->n + 1) * sizeof *fill);
	memcpy(fill, t->pat_first, (t->n + 1) * sizeof *fill);
	for (size_t i = 0; i < e->npats; i++)
		if (e->pats[i].needmask)
			for (size_t k = 0; k < e->pats[i].nneed; k++)
				t->pats[fill[e->pats[i].need[k]]++] = (uint16_t)i;
	ml_free(fill);
	size_t chars = 1;
	for (size_t k = 0; k < t->n; k++)
		chars += t->len[k];
	/* the automaton has at most one state per literal byte, numbered in 16 bits where a literal id is
	 * (flist); the per-note scratch of scan_patterns is sized by the DEID_MAX_ bounds */
	if (chars > 65535 || t->n > DEID_MAX_NEEDLES || e->npats > DEID_MAX_PATS) {
		ml_err_set(err, ML_EINVAL, "de-identification tables too large (%zu literal bytes, %zu literals, %zu patterns)",
			   chars, t->n, e->npats);
		deid_engine_free(e);
		return NULL;
	}
	needles_link(e);
	ac_build(t);
	return e;
}

void deid_engine_free(struct deid_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->npats; i++) {
		pcre2_code_free(e->pats[i].re);
		ml_free(e->pats[i].need);
		pcre2_code_free(e->pats[i].re_lead);
		pcre2_code_free(e->pats[i].re_win);
		ml_free(e->pats[i].needmask);
	}
	ml_free(e->needles.record);
	ml_free(e->needles.pat_first);
	ml_free(e->needles.delta);
	ml_free(e->needles.recs);
	ml_free(e->needles.need_first);
	ml_free(e->needles.pats_wb);
	ml_free(e->needles.solo);
	ml_free(e->needles.need_pats);
	ml_free(e->needles.pats);
	for (size_t k = 0; k < e->needles.n; k++)
		ml_free(e->needles.s[k]);
	ml_free(e->needles.s);
	ml_free(e->needles.len);
	ml_free(e->needles.head2);
	ml_free(e->needles.next);
	ml_free(e->pats);
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
	tokenize(&x);
	x.protect = ml_xcalloc(x.nt + 1, 1);
	mark_eponyms(&x);
	scan_patterns(&x, md, mc, reference);
	context_names(&x);
	cue_names(&x);
	professions(&x);
	dict_layer(&x);
	known_layer(&x, known);
	/* first resolution, then names found once are looked for everywhere, then resolve again */
	size_t n1 = x.nc;
	struct deid_cand *snap = ml_xmalloc((n1 + 1) * sizeof *snap);
	if (n1)
		memcpy(snap, x.c, n1 * sizeof *snap);
	size_t nacc = deid_resolve(snap, n1, len);
	coreference(&x, snap, nacc);
	script_names(&x, snap, nacc);
	list_names(&x, snap, nacc);
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
