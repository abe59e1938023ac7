/* patterns.c: the deid engine's PCRE2 pattern layer: the pattern table, the literal automaton, the sites
 * and checks that decide where a pattern is tried, the scans, and building it all (docs/architecture/deid.md). */
#include "deid/engine_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* ---- the pattern table ------------------------------------------------------------------------------- */

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
	deid_prev_word(x, a, pw, sizeof pw);
	deid_next_word(x, b, nw, sizeof nw);
	if (deid_in_list(pw, &MD_PREV_NO) || deid_in_list(nw, &MD_NEXT_NO))
		return false;
	/* "pain 6/10", "2/6 SEM": out-of-ten scores and equal fractions in an exam ("5/5", "9/9") */
	if (m == d && m <= 5)
		return false;
	if (deid_near_before(x, a, 24, "apgar") || deid_near_before(x, a, 24, "strength") ||
	    deid_near_before(x, a, 24, "murmur") || deid_near_before(x, a, 16, "pain") || deid_near_before(x, a, 20, "grade"))
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
		deid_prev_word(x, a, pw, sizeof pw);
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
	deid_prev_word(x, a, pw, sizeof pw);
	deid_next_word(x, b, nw, sizeof nw);
	size_t ti = deid_tok_at(x, a);
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
	if (y % 100 < 60 && y % 15 == 0 && deid_in_list(pw, &time_prev))
		return false;
	/* after an ordinary word on the same line ("colonoscopy 2020", "TKA 2009") */
	if (prev && same_line && (prev->flags & TF_ALPHA) && !deid_in_list(pw, &time_prev))
		return true;
	if (!strcmp(nw, "units") || !strcmp(nw, "mg") || !strcmp(nw, "ml") || !strcmp(nw, "kcal") ||
	    !strcmp(nw, "hrs") || !strcmp(nw, "hours") || !strcmp(nw, "cc"))
		return false;
	if (same_line && deid_in_list(pw, &YEAR_PREV))
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
	deid_prev_word(x, a, pw, sizeof pw);
	if (!strcmp(pw, "size") || !strcmp(pw, "temp") || !strcmp(pw, "t") || !strcmp(pw, "tmax") ||
	    !strcmp(pw, "temperature") || !strcmp(pw, "to") || !strcmp(pw, "of") || !strcmp(pw, "x"))
		return false;
	/* the next few words must not name a catheter or tube ("14F Foley") */
	size_t i = deid_tok_at(x, b);
	for (int k = 0; k < 3 && i < x->nt; k++, i++) {
		char w[64];
		deid_fold(x->s + x->t[i].start, tlen(&x->t[i]), w, sizeof w);
		if (deid_in_list(w, &DEVICE_NEXT))
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
		if (deid_near_before(x, a, 30, w[i]))
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
	deid_prev_word(x, a, pw, sizeof pw);
	WORD_LIST(no, "lot", "ndc", "cpt", "icd", "icd-10", "loinc", "code", "codes", "snomed",
		"hcpcs", "rxnorm", "version", "model", "catalog", "ref", "cat", "item", "part");
	if (deid_in_list(pw, &no))
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
		return d >= 5 && (deid_near_before(x, a, 14, "#") || deid_near_before(x, a, 14, "no") || deid_near_before(x, a, 14, "id"));
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
		size_t i = deid_tok_at(x, a);
		if (i >= x->nt || x->t[i].start >= b)
			return false;
		char w[64];
		deid_fold(x->s + x->t[i].start, tlen(&x->t[i]), w, sizeof w);
		if (deid_in_list(w, &FAC_LEAD_NO) || (x->t[i].dflags & (DF_MONTHDAY | DF_TITLE_DR | DF_TITLE_PT)) ||
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
	size_t i = deid_tok_at(x, a);
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
			if (!deid_in_list(w, &conn))
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
		size_t i = deid_tok_at(x, a);
		ok = i < x->nt && !(x->t[i].dflags & (DF_STOP | DF_CLINICAL | DF_MONTHDAY));
		break;
	}
	case K_DEPT: {
		size_t ga = p->out[0].group ? ov[2 * p->out[0].group] : a;
		size_t gb = p->out[0].group ? ov[2 * p->out[0].group + 1] : b;
		size_t i = deid_tok_at(x, ga);
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
		deid_prev_word(x, a, pw, sizeof pw);
		char nw[64];
		deid_next_word(x, b, nw, sizeof nw);
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
		size_t i = deid_tok_at(x, ga);
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

void deid_scan_patterns(struct ctx *x, pcre2_match_data *md, pcre2_match_context *mc, bool reference)
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


/* ---- building the patterns and the literal automaton -------------------------------------------------- */

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

int deid_patterns_build(struct deid_engine *e, struct ml_err *err)
{
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
			return -1;
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
			return -1;
		}
		if (!PATTERNS[i].lead || !p->nneed)
			continue;
		int ec;
		PCRE2_SIZE eo;
		p->re_lead = pcre2_compile((PCRE2_SPTR)PATTERNS[i].re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_ANCHORED, &ec,
					   &eo, NULL);
		if (!p->re_lead) {
			ml_err_set(err, ML_EINVAL, "de-identification pattern %zu does not compile anchored", i);
			return -1;
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
		return -1;
	}
	needles_link(e);
	ac_build(t);
	return 0;
}

void deid_patterns_release(struct deid_engine *e)
{
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
	e->pats = NULL;
	e->npats = 0;
}
