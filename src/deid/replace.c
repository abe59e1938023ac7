/* replace.c: replacement of PHI spans (tags, masks, surrogates), date shifting and the offset map. */
#include "deid/deid_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Output helpers: an allocation failure is remembered and reported once at the end of deid_replace. */
static _Thread_local bool rep_oom;
static void bputc(struct ml_buf *o, char c)
{
	rep_oom |= ml_buf_putc(o, c) != 0;
}
static void bappend(struct ml_buf *o, const void *p, size_t n)
{
	rep_oom |= ml_buf_append(o, p, n) != 0;
}
static void bputs(struct ml_buf *o, const char *s)
{
	rep_oom |= ml_buf_puts(o, s) != 0;
}
static void bprintf(struct ml_buf *o, const char *fmt, ...) ML_PRINTF(2, 3);
static void bprintf(struct ml_buf *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		bappend(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- keyed hashing ------------------------------------------------------------------------------------ */

/* Per-call surrogate keys: patient = BLAKE2b-256 keyed with the deployment secret over the patient key. */
struct skeys {
	uint8_t patient[32];
	long shift_days; /* negative: dates move back */
	/* keyed(): per kind, the hash state after the key and the kind byte (made on first use), copied for
	 * each value instead of initialised again */
	crypto_generichash_state kst[DEID_NTYPES];
	uint32_t kready; /* bit per kind: kst[kind] made */
	struct vmemo *memo; /* keyed() results of these keys (NULL: none could be kept) */
};

/* The keys of the last (secret, patient key) seen by this thread: consecutive notes of one run share them,
 * and deriving them costs four hashes. Only short secrets and keys are remembered. */
static _Thread_local struct {
	bool valid;
	uint8_t secret[128];
	size_t secret_len;
	char pkey[128];
	uint8_t patient[32];
	long shift_days;
} key_cache;

/* keyed() results of the current keys, kept across notes: a patient's (or a run's) names recur in note
 * after note, and each value costs two BLAKE2b compressions, most of surrogate mode's time. A direct-mapped
 * cache with a short probe; a full neighbourhood overwrites. It holds folded PHI words, so it is wiped
 * when the keys change and when its thread ends (pthread key destructor). */
enum { VMEMO_SLOTS = 8192, VMEMO_PROBE = 4, VMEMO_WORD = 30 };
struct vmemo {
	struct vmemo_slot {
		uint64_t v;
		uint8_t kind, len; /* len 0: empty (an empty value is never memoised) */
		char f[VMEMO_WORD];
	} slot[VMEMO_SLOTS];
	size_t used; /* slots written since the last wipe: a wipe of an unused memo costs nothing */
};

static pthread_key_t vmemo_key;
static pthread_once_t vmemo_once = PTHREAD_ONCE_INIT;
static bool vmemo_key_ok;

static void vmemo_free(void *p)
{
	if (!p)
		return;
	sodium_memzero(p, sizeof(struct vmemo));
	ml_free(p);
}

static void vmemo_key_make(void)
{
	vmemo_key_ok = pthread_key_create(&vmemo_key, vmemo_free) == 0;
}

/* This thread's memo (made on first use), or NULL when it cannot be had: keyed() then hashes every value. */
static struct vmemo *vmemo_get(void)
{
	pthread_once(&vmemo_once, vmemo_key_make);
	if (!vmemo_key_ok)
		return NULL;
	struct vmemo *m = pthread_getspecific(vmemo_key);
	if (!m) {
		m = ml_calloc(1, sizeof *m);
		if (m && pthread_setspecific(vmemo_key, m) != 0) {
			ml_free(m);
			m = NULL;
		}
	}
	return m;
}

static void vmemo_wipe(struct vmemo *m)
{
	if (m && m->used) {
		sodium_memzero(m->slot, sizeof m->slot);
		m->used = 0;
	}
}

static size_t vmemo_home(int kind, const char *f, size_t fl)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(unsigned)kind;
	for (size_t i = 0; i < fl; i++)
		h = (h ^ (unsigned char)f[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 29) & (VMEMO_SLOTS - 1);
}

static void derive_keys_uncached(const struct deid_opts *o, struct skeys *k);

/* Clears the key material of one call: the patient key and the hash states made (12 KB if all of them were
 * wiped every note, which cost more than the hashing). The memo stays for the next note of the same keys. */
static void skeys_wipe(struct skeys *k)
{
	sodium_memzero(k->patient, sizeof k->patient);
	for (int t = 0; t < DEID_NTYPES; t++)
		if (k->kready >> t & 1)
			sodium_memzero(&k->kst[t], sizeof k->kst[t]);
	k->kready = 0;
}

static void derive_keys(const struct deid_opts *o, struct skeys *k)
{
	const char *pk = o->patient_key ? o->patient_key : "";
	size_t sl = o->secret ? o->secret_len : 0, pl = strlen(pk);
	k->kready = 0;
	k->memo = vmemo_get();
	if (key_cache.valid && key_cache.secret_len == sl && (!sl || !memcmp(key_cache.secret, o->secret, sl)) &&
	    !strcmp(key_cache.pkey, pk)) {
		memcpy(k->patient, key_cache.patient, sizeof k->patient);
		k->shift_days = key_cache.shift_days;
		return;
	}
	/* other keys: the memo's values were derived from the previous ones */
	vmemo_wipe(k->memo);
	derive_keys_uncached(o, k);
	if (sl <= sizeof key_cache.secret && pl < sizeof key_cache.pkey) {
		if (sl)
			memcpy(key_cache.secret, o->secret, sl);
		key_cache.secret_len = sl;
		memcpy(key_cache.pkey, pk, pl + 1);
		memcpy(key_cache.patient, k->patient, sizeof k->patient);
		key_cache.shift_days = k->shift_days;
		key_cache.valid = true;
	} else {
		key_cache.valid = false; /* keys it cannot name: the next note wipes the memo whatever its keys */
	}
}

static void derive_keys_uncached(const struct deid_opts *o, struct skeys *k)
{
	uint8_t key[32];
	/* BLAKE2b takes 16..64-byte keys: hash any secret to 32 bytes first */
	crypto_generichash(key, sizeof key, o->secret ? o->secret : (const uint8_t *)"", o->secret ? o->secret_len : 0,
			   NULL, 0);
	const char *pk = o->patient_key ? o->patient_key : "";
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, sizeof key, sizeof k->patient);
	crypto_generichash_update(&st, (const uint8_t *)"medlabel-deid-patient\0", 22);
	crypto_generichash_update(&st, (const uint8_t *)pk, strlen(pk));
	crypto_generichash_final(&st, k->patient, sizeof k->patient);
	uint8_t h[8];
	crypto_generichash(h, sizeof h, (const uint8_t *)"date-shift", 10, k->patient, sizeof k->patient);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	k->shift_days = -(long)(1 + v % 365);
	sodium_memzero(key, sizeof key);
}

/* A 64-bit value derived from (kind, folded value): the same input always gives the same surrogate. */
static uint64_t keyed(struct skeys *k, int kind, const char *s, size_t n)
{
	char f[256];
	size_t fl = deid_fold(s, n < 255 ? n : 255, f, sizeof f);
	struct vmemo_slot *free_slot = NULL;
	bool memoise = k->memo && fl > 0 && fl <= VMEMO_WORD && (unsigned)kind < 256;
	if (memoise) {
		size_t home = vmemo_home(kind, f, fl);
		for (size_t q = 0; q < VMEMO_PROBE; q++) {
			struct vmemo_slot *sl = &k->memo->slot[(home + q) & (VMEMO_SLOTS - 1)];
			if (!sl->len) {
				free_slot = sl;
				break;
			}
			if (sl->kind == kind && sl->len == fl && !memcmp(sl->f, f, fl))
				return sl->v;
		}
		if (!free_slot)
			free_slot = &k->memo->slot[home]; /* a full neighbourhood: the home slot is overwritten */
	}
	uint8_t h[8];
	crypto_generichash_state st;
	if ((unsigned)kind < DEID_NTYPES) {
		if (!(k->kready >> kind & 1)) {
			crypto_generichash_init(&k->kst[kind], k->patient, sizeof k->patient, sizeof h);
			uint8_t kb = (uint8_t)kind;
			crypto_generichash_update(&k->kst[kind], &kb, 1);
			k->kready |= 1u << kind;
		}
		st = k->kst[kind];
	} else {
		crypto_generichash_init(&st, k->patient, sizeof k->patient, sizeof h);
		uint8_t kb = (uint8_t)kind;
		crypto_generichash_update(&st, &kb, 1);
	}
	crypto_generichash_update(&st, (const uint8_t *)f, fl);
	crypto_generichash_final(&st, h, sizeof h);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	if (free_slot) {
		if (!free_slot->len)
			k->memo->used++;
		free_slot->v = v;
		free_slot->kind = (uint8_t)kind;
		free_slot->len = (uint8_t)fl;
		memcpy(free_slot->f, f, fl);
	}
	return v;
}

/* ---- dates -------------------------------------------------------------------------------------------- */

static const char *const MONTHS[12] = {"january", "february", "march", "april", "may", "june", "july", "august",
				       "september", "october", "november", "december"};
static const char *const MONTHS_ES[12] = {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
					  "septiembre", "octubre", "noviembre", "diciembre"};
static const char *const WEEKDAYS[7] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
static const char *const WEEKDAYS_ES[7] = {"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"};
/* WEEKDAYS_ES as deid_fold writes them (accents dropped), to compare with folded words */
static const char *const WEEKDAYS_ES_FOLDED[7] = {"domingo", "lunes", "martes", "miercoles", "jueves", "viernes",
						  "sabado"};

static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static unsigned days_in_month(long y, unsigned m)
{
	static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* A piece of a date as written: a number, a word, or other text kept as is. */
struct piece {
	size_t a, b;
	int role; /* 0 other, 1 day, 2 month number, 3 year, 4 month name, 5 weekday, 6 two-digit year with ' */
	int width, val;
	int style; /* month/weekday: 0 full, 1 abbreviated; case: 8 upper, 16 lower */
	bool es;
};

static int word_style(const char *s, size_t n)
{
	bool up = true, low = true;
	for (size_t i = 0; i < n; i++) {
		if (isupper((unsigned char)s[i]))
			low = false;
		if (islower((unsigned char)s[i]))
			up = false;
	}
	return up && n > 1 ? 8 : low ? 16 : 0;
}

static void put_cased(struct ml_buf *o, const char *w, size_t n, int style)
{
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (style & 8)
			c = (char)toupper((unsigned char)c);
		else if (!(style & 16) && i == 0)
			c = (char)toupper((unsigned char)c);
		bputc(o, c);
	}
}

/* Shifts a date span by k->shift_days and writes it in the same format; false if not understood. */
/* v in decimal, zero-padded to width: printf's "%0*ld" without its cost (a date has up to four numbers) */
static void put_padded(struct ml_buf *o, long v, int width)
{
	char b[24];
	if (v < 0 || width < 0 || width > 20) {
		bprintf(o, "%0*ld", width, v);
		return;
	}
	int n = 0;
	do {
		b[sizeof b - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		b[sizeof b - 1 - n++] = '0';
	bappend(o, b + sizeof b - n, (size_t)n);
}

static bool shift_date(struct skeys *k, const char *s, size_t n, struct ml_buf *o)
{
	struct piece p[12];
	int np = 0;
	for (size_t i = 0; i < n && np < 12;) {
		struct piece *q = &p[np];
		memset(q, 0, sizeof *q);
		q->a = i;
		if (isdigit((unsigned char)s[i])) {
			while (i < n && isdigit((unsigned char)s[i]))
				i++;
			q->b = i;
			q->width = (int)(i - q->a);
			q->val = q->width <= 8 ? atoi(s + q->a) : -1;
			np++;
		} else if (isalpha((unsigned char)s[i]) || ((unsigned char)s[i] & 0x80)) {
			while (i < n && (isalpha((unsigned char)s[i]) || ((unsigned char)s[i] & 0x80)))
				i++;
			q->b = i;
			char f[32];
			deid_fold(s + q->a, q->b - q->a, f, sizeof f);
			size_t fl = strlen(f);
			for (int m = 0; m < 12 && fl >= 3; m++) {
				if (!strncmp(MONTHS[m], f, fl) || !strcmp(MONTHS_ES[m], f) || (fl == 4 && !strcmp(f, "sept") && m == 8)) {
					q->role = 4, q->val = m + 1;
					q->style = (fl < strlen(MONTHS[m]) ? 1 : 0) | word_style(s + q->a, q->b - q->a);
					q->es = !strcmp(MONTHS_ES[m], f) && strcmp(MONTHS[m], f);
					break;
				}
			}
			for (int d = 0; d < 7 && !q->role && fl >= 3; d++) {
				const char *es = WEEKDAYS_ES_FOLDED[d];
				if (!strncmp(WEEKDAYS[d], f, fl) || !strcmp(es, f)) {
					q->role = 5, q->val = d;
					q->style = (fl < strlen(WEEKDAYS[d]) ? 1 : 0) | word_style(s + q->a, q->b - q->a);
					q->es = !strcmp(es, f);
				}
			}
			np++;
		} else {
			while (i < n && !isalnum((unsigned char)s[i]) && !((unsigned char)s[i] & 0x80))
				i++;
			q->b = i;
			np++;
		}
	}
	/* assign roles to numbers */
	int nums[6], nn = 0, month_name = -1, weekday = -1;
	for (int i = 0; i < np; i++) {
		if (p[i].role == 4)
			month_name = i;
		if (p[i].role == 5)
			weekday = i;
		if (p[i].width && nn < 6)
			nums[nn++] = i;
	}
	long y = -1;
	unsigned m = 0, d = 0;
	int yi = -1, mi = -1, di = -1;
	if (month_name >= 0) {
		m = (unsigned)p[month_name].val;
		mi = month_name;
		for (int j = 0; j < nn; j++) {
			struct piece *q = &p[nums[j]];
			if (q->width == 4)
				yi = nums[j];
			else if (q->width <= 2 && q->a > 0 && s[q->a - 1] == '\'')
				yi = nums[j], q->role = 6;
			else if (q->width <= 2 && di < 0)
				di = nums[j];
		}
	} else if (nn == 1 && p[nums[0]].width == 8) {
		/* yyyymmdd */
		int v = p[nums[0]].val;
		y = v / 10000, m = (unsigned)(v / 100 % 100), d = (unsigned)(v % 100);
		if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
			return false;
		long z = days_from_civil(y, m, d) + k->shift_days;
		civil_from_days(z, &y, &m, &d);
		put_padded(o, y, 4);
		put_padded(o, m, 2);
		put_padded(o, d, 2);
		bappend(o, s + p[nums[0]].b, n - p[nums[0]].b);
		return true;
	} else if (nn >= 3 && p[nums[0]].width == 4) {
		yi = nums[0], mi = nums[1], di = nums[2];
	} else if (nn >= 3) {
		int a = p[nums[0]].val, b = p[nums[1]].val;
		if (a > 12 && b <= 12)
			di = nums[0], mi = nums[1];
		else
			mi = nums[0], di = nums[1];
		yi = nums[2];
	} else if (nn == 2 && p[nums[1]].width == 4) {
		mi = nums[0], yi = nums[1];
	} else if (nn == 2) {
		mi = nums[0], di = nums[1];
	} else if (nn == 1 && p[nums[0]].width == 4 && weekday < 0) {
		yi = nums[0];
	} else if (nn == 1 && p[nums[0]].width <= 2) {
		di = nums[0]; /* "the 17th" */
	} else if (weekday < 0) {
		return false;
	}
	/* a year alone moves with mid-year; a day alone or weekday alone moves within a reference month */
	if (yi >= 0) {
		y = p[yi].val;
		if (p[yi].width == 2)
			y += y < 50 ? 2000 : 1900;
	} else
		y = 2001; /* a non-leap reference year for dates written without one */
	if (mi >= 0 && month_name < 0)
		m = (unsigned)p[mi].val;
	if (di >= 0)
		d = (unsigned)p[di].val;
	bool has_m = mi >= 0, has_d = di >= 0;
	if (!has_m)
		m = 7;
	if (!has_d)
		d = 1;
	if (!has_m && !has_d && yi >= 0)
		m = 7, d = 1;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	long z = days_from_civil(y, m, d) + k->shift_days;
	long ny;
	unsigned nm, nd;
	civil_from_days(z, &ny, &nm, &nd);
	if (!has_d && has_m) {
		/* "September 2021": shift by whole months, rounded from the day count */
		long months = (long)y * 12 + (m - 1) + (k->shift_days - 15) / 30;
		if (months < 0)
			return false; /* before year 0: no month index (below) for it */
		ny = months / 12, nm = (unsigned)(months % 12) + 1, nd = 1;
	}
	/* a date moved before year 1 (written "0000") is not a date anyone can read back: a tag instead */
	if (ny < 1 || ny > 9999)
		return false;
	int nwd = (int)(((z % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	for (int i = 0; i < np; i++) {
		struct piece *q = &p[i];
		if (i == yi) {
			if (q->width == 2)
				put_padded(o, ny % 100, 2);
			else
				put_padded(o, ny, 4);
		} else if (i == mi && q->role == 4) {
			const char *w = q->es ? MONTHS_ES[nm - 1] : MONTHS[nm - 1];
			size_t wl = strlen(w);
			if ((q->style & 1) && !q->es)
				wl = (size_t)(q->b - q->a) == 4 && nm == 9 ? 4 : 3;
			put_cased(o, w, wl, q->style);
		} else if (i == mi) {
			put_padded(o, nm, q->width);
		} else if (i == di) {
			put_padded(o, nd, q->width);
			/* an ordinal suffix follows the day: rewrite it for the new day */
			if (i + 1 < np && p[i + 1].role == 0 && p[i + 1].b - p[i + 1].a == 2 && isalpha((unsigned char)s[p[i + 1].a])) {
				const char *suf = (nd % 10 == 1 && nd != 11) ? "st" : (nd % 10 == 2 && nd != 12) ? "nd" :
						  (nd % 10 == 3 && nd != 13) ? "rd" : "th";
				put_cased(o, suf, 2, isupper((unsigned char)s[p[i + 1].a]) ? 8 : 16);
				i++;
			}
		} else if (q->role == 5) {
			int wd = has_m || has_d || yi >= 0 ? nwd : (int)((q->val + k->shift_days % 7 + 7) % 7);
			const char *w = q->es ? WEEKDAYS_ES[wd] : WEEKDAYS[wd];
			size_t wl = strlen(w);
			if ((q->style & 1) && !q->es)
				wl = (size_t)(q->b - q->a) < wl ? (size_t)(q->b - q->a) : wl;
			put_cased(o, w, wl, q->style);
		} else {
			bappend(o, s + q->a, q->b - q->a);
		}
	}
	return true;
}

/* ---- other surrogates ----------------------------------------------------------------------------------- */

static const char *const STATES[] = {"Alabama", "Arizona", "California", "Colorado", "Florida", "Georgia",
	"Idaho", "Illinois", "Iowa", "Kansas", "Kentucky", "Michigan", "Minnesota", "Missouri", "Montana", "Nevada",
	"Ohio", "Oregon", "Texas", "Utah", "Vermont", "Virginia", "Wisconsin", "Wyoming"};
static const char *const STATE_ABBRS[] = {"AL", "AZ", "CA", "CO", "FL", "GA", "ID", "IL", "IA", "KS", "KY", "MI",
	"MN", "MO", "MT", "NV", "OH", "OR", "TX", "UT", "VT", "VA", "WI", "WY"};
static const char *const COUNTRIES[] = {"Portugal", "Canada", "Peru", "Norway", "Kenya", "Vietnam", "Chile",
	"Austria", "Ghana", "Nepal", "Ireland", "Uruguay"};
static const char *const JOBS[] = {"bookkeeper", "welder", "teacher", "electrician", "nurse aide", "chef",
	"mail carrier", "plumber", "cashier", "mechanic", "printer", "surveyor"};

/* Writes word w in the case shape of the original s[0..n). */
static void put_shaped(struct ml_buf *o, const char *w, const char *s, size_t n)
{
	int st = word_style(s, n);
	if (n == 1 && isupper((unsigned char)s[0]))
		st = 0;
	put_cased(o, w, strlen(w), st);
}

/* Each digit and Latin letter replaced by a derived one of the same kind; the shape is kept. */
static void put_scrambled(struct ml_buf *o, struct skeys *k, const char *s, size_t n)
{
	uint8_t h[64];
	crypto_generichash(h, sizeof h, (const uint8_t *)s, n, k->patient, sizeof k->patient);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		uint8_t r = h[i % sizeof h] ^ (uint8_t)(i / sizeof h * 31);
		if (isdigit(c))
			bputc(o, (char)('0' + r % 10));
		else if (isupper(c))
			bputc(o, (char)('A' + r % 26));
		else if (islower(c))
			bputc(o, (char)('a' + r % 26));
		else
			bputc(o, (char)c);
	}
}

static bool is_word_byte(unsigned char c)
{
	return isalpha(c) || c >= 0x80 || c == '\'' || c == '-';
}

/* Names, places and facilities: each specific word becomes a surrogate word from a pool. */
static void put_words(struct ml_buf *o, const struct deid_engine *e, struct skeys *k, int type,
		      const char *s, size_t n)
{
	const struct deid_dict *d = &e->dict;
	for (size_t i = 0; i < n;) {
		if (!is_word_byte((unsigned char)s[i]) || s[i] == '\'' || s[i] == '-') {
			if (isdigit((unsigned char)s[i])) {
				size_t j = i;
				while (j < n && isalnum((unsigned char)s[j]))
					j++;
				put_scrambled(o, k, s + i, j - i);
				i = j;
				continue;
			}
			bputc(o, s[i++]);
			continue;
		}
		size_t j = i;
		while (j < n && is_word_byte((unsigned char)s[j]))
			j++;
		size_t wl = j - i;
		uint32_t f = deid_dict_get(d, s + i, wl);
		bool name = type == DEID_PATIENT || type == DEID_DOCTOR;
		static const char *const keep[] = {"st", "mt", "ft", "n", "s", "e", "w", "ne", "nw", "se", "sw", NULL};
		char fw[8];
		bool kept = false;
		if (wl <= 2) { /* the longest word kept */
			deid_fold(s + i, wl, fw, sizeof fw);
			for (int q = 0; keep[q] && !kept; q++)
				kept = !strcmp(fw, keep[q]);
		}
		if (!name && (kept || ((f & (DF_GENERIC | DF_STOP)) && !(f & (DF_FIRST | DF_LAST | DF_CITY))))) {
			bappend(o, s + i, wl);
		} else if (!name && wl <= 4 && word_style(s + i, wl) == 8 && type != DEID_CITY) {
			put_scrambled(o, k, s + i, wl); /* an abbreviation: "BVH" */
		} else if (name && wl == 1) {
			char c = (char)('A' + keyed(k, type, s + i, wl) % 26);
			bputc(o, islower((unsigned char)s[i]) ? (char)(c + 32) : c);
		} else {
			uint64_t h = keyed(k, type, s + i, wl); /* only here and above: kept words need no hash */
			const char *w;
			if (type == DEID_CITY)
				w = d->cities[h % d->ncities];
			else if (name && (f & DF_FIRST) && !(f & DF_LAST))
				w = d->first[h % d->nfirst];
			else
				w = d->last[h % d->nlast];
			/* surrogate words from the pools are lower case: shape them like the original */
			char buf[64];
			size_t bl = strlen(w) < sizeof buf - 1 ? strlen(w) : sizeof buf - 1;
			memcpy(buf, w, bl);
			buf[bl] = 0;
			if (word_style(s + i, wl) == 0 || (unsigned char)s[i] >= 0x80) {
				/* title case each part of "new york", "jean-pierre" */
				for (size_t q = 0; q < bl; q++)
					if (q == 0 || buf[q - 1] == ' ' || buf[q - 1] == '-')
						buf[q] = (char)toupper((unsigned char)buf[q]);
				bappend(o, buf, bl);
			} else
				put_shaped(o, buf, s + i, wl);
		}
		i = j;
	}
}

static void put_surrogate(struct ml_buf *o, const struct deid_engine *e, struct skeys *k, int type,
			  const char *s, size_t n)
{
	/* the pool index, for the types below that pick from a pool; dates, ages, words and scrambled values
	 * derive their own (a hash each is most of surrogate mode's cost) */
	uint64_t h = 0;
	switch (type) {
	case DEID_STATE:
	case DEID_COUNTRY:
	case DEID_PROFESSION:
	case DEID_EMAIL:
	case DEID_URL:
	case DEID_IPADDR:
		h = keyed(k, type, s, n);
		break;
	default:
		break;
	}
	switch (type) {
	case DEID_DATE:
		if (!shift_date(k, s, n, o))
			bputs(o, "[DATE]");
		return;
	case DEID_AGE: {
		int v = -1;
		if (isdigit((unsigned char)s[0]))
			v = atoi(s);
		else if (!strncasecmp(s, "ninety", 6) || !strncasecmp(s, "one hundred", 11))
			v = 90;
		if (v > 89)
			bputs(o, "90+");
		else
			bappend(o, s, n); /* ages up to 89 are not identifying under Safe Harbor */
		return;
	}
	case DEID_STATE:
		if (n == 2)
			bputs(o, STATE_ABBRS[h % ML_ARRAY_LEN(STATE_ABBRS)]);
		else
			put_shaped(o, STATES[h % ML_ARRAY_LEN(STATES)], s, n);
		return;
	case DEID_COUNTRY:
		put_shaped(o, COUNTRIES[h % ML_ARRAY_LEN(COUNTRIES)], s, n);
		return;
	case DEID_PROFESSION:
		bputs(o, JOBS[h % ML_ARRAY_LEN(JOBS)]);
		return;
	case DEID_EMAIL: {
		const struct deid_dict *d = &e->dict;
		bprintf(o, "%s.%s@example.org", d->first[h % d->nfirst], d->last[(h >> 20) % d->nlast]);
		return;
	}
	case DEID_URL: {
		const struct deid_dict *d = &e->dict;
		bool scheme = !strncasecmp(s, "http", 4);
		bprintf(o, "%swww.%s-health.example.org", scheme ? "https://" : "", d->last[h % d->nlast]);
		return;
	}
	case DEID_IPADDR:
		if (memchr(s, ':', n))
			bprintf(o, "fd00::%x:%x", (unsigned)(h & 0xffff), (unsigned)(h >> 16 & 0xffff));
		else
			bprintf(o, "10.%u.%u.%u", (unsigned)(h & 255), (unsigned)(h >> 8 & 255),
					    (unsigned)(1 + (h >> 16) % 254));
		return;
	case DEID_PATIENT:
	case DEID_DOCTOR:
	case DEID_CITY:
	case DEID_HOSPITAL:
	case DEID_ORGANIZATION:
	case DEID_STREET:
	case DEID_DEPARTMENT:
	case DEID_LOCATION_OTHER:
	case DEID_ROOM: {
		/* names in other scripts get a Latin surrogate */
		put_words(o, e, k, type, s, n);
		return;
	}
	default:
		/* identifiers, phones, SSN, ZIP, usernames: same shape, other characters */
		put_scrambled(o, k, s, n);
		return;
	}
}

int deid_replace(const struct deid_engine *e, const char *text, size_t len, const struct deid_cand *spans,
		 size_t n, const struct deid_opts *opts, struct deid_result *r, struct ml_err *err)
{
	struct ml_buf o;
	/* no cap: a replacement may be longer than what it replaces ("Li" -> "[DOCTOR]"), and the output is
	 * bounded by the note's limit times the longest replacement. One allocation in the usual case: the
	 * output is about as long as the input. */
	ml_buf_init(&o, 0);
	if (ml_buf_grow(&o, len + len / 8 + 64) != 0)
		return ml_err_set(err, ML_ENOMEM, "out of memory de-identifying a note");
	struct skeys k;
	if (opts->mode == DEID_MODE_SURROGATE) {
		if (sodium_init() < 0)
			return ml_err_set(err, ML_EUNSUPPORTED, "libsodium failed to initialise");
		derive_keys(opts, &k);
	}
	rep_oom = false;
	r->segs = ml_calloc(n + 1, sizeof *r->segs);
	if (!r->segs)
		return ml_err_set(err, ML_ENOMEM, "out of memory de-identifying a note");
	size_t pos = 0, in_cp = 0, out_cp = 0;
	bool ascii = deid_ascii(text, len); /* then input lengths in code points are byte lengths */
	for (size_t i = 0; i < n; i++) {
		const struct deid_cand *c = &spans[i];
		size_t gap = ascii ? c->start - pos : ml_utf8_cp_count(text + pos, c->start - pos);
		if (ml_buf_append(&o, text + pos, c->start - pos) != 0)
			goto oom;
		in_cp += gap;
		out_cp += gap;
		size_t before = o.len;
		size_t span_cp = ascii ? c->end - c->start : ml_utf8_cp_count(text + c->start, c->end - c->start);
		switch (opts->mode) {
		case DEID_MODE_MASK:
			for (size_t q = 0; q < span_cp; q++)
				bputc(&o, '*');
			break;
		case DEID_MODE_SURROGATE:
			put_surrogate(&o, e, &k, c->type, text + c->start, c->end - c->start);
			break;
		case DEID_MODE_NONE:
			bappend(&o, text + c->start, c->end - c->start);
			break;
		default:
			bputc(&o, '[');
			bputs(&o, deid_type_name(c->type));
			bputc(&o, ']');
			break;
		}
		if (rep_oom || !o.data)
			goto oom;
		size_t rep_cp = ml_utf8_cp_count(o.data + before, o.len - before);
		r->segs[r->nsegs++] = (struct deid_map_seg){in_cp, in_cp + span_cp, out_cp, out_cp + rep_cp};
		in_cp += span_cp;
		out_cp += rep_cp;
		pos = c->end;
	}
	if (ml_buf_append(&o, text + pos, len - pos) != 0)
		goto oom;
	out_cp += ascii ? len - pos : ml_utf8_cp_count(text + pos, len - pos);
	r->out_ncp = out_cp;
	if (opts->mode == DEID_MODE_NONE) {
		ml_buf_release(&o);
		return 0;
	}
	r->text = ml_buf_detach(&o, &r->text_len);
	if (!r->text) {
		r->text = ml_xstrdup("");
		r->text_len = 0;
	}
	if (opts->mode == DEID_MODE_SURROGATE)
		skeys_wipe(&k);
	return 0;
oom:
	ml_buf_release(&o);
	if (opts->mode == DEID_MODE_SURROGATE)
		skeys_wipe(&k);
	return ml_err_set(err, ML_ENOMEM, "out of memory de-identifying a note");
}

/* ---- offset map ----------------------------------------------------------------------------------------- */

/* Maps position p through the segments: from[]/to[] pick input->output or output->input. */
static size_t map_pos(const struct deid_result *r, size_t p, bool is_end, bool to_input)
{
	size_t lo = 0, hi = r->nsegs;
	/* the last segment starting at or before p */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		size_t st = to_input ? r->segs[mid].out_start : r->segs[mid].in_start;
		if (st <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t limit = to_input ? r->in_ncp : r->out_ncp;
	if (lo == 0) {
		size_t v = p;
		return v > limit ? limit : v;
	}
	const struct deid_map_seg *s = &r->segs[lo - 1];
	size_t fs = to_input ? s->out_start : s->in_start, fe = to_input ? s->out_end : s->in_end;
	size_t ts = to_input ? s->in_start : s->out_start, te = to_input ? s->in_end : s->out_end;
	size_t v;
	if (p == fs)
		v = ts; /* a start at the segment starts at its input; an end there ends before it */
	else if (p < fe)
		v = is_end ? te : ts;
	else
		v = te + (p - fe);
	return v > limit ? limit : v;
}

size_t deid_map_to_input(const struct deid_result *r, size_t out_cp, bool is_end)
{
	return map_pos(r, out_cp, is_end, true);
}

size_t deid_map_to_output(const struct deid_result *r, size_t in_cp, bool is_end)
{
	return map_pos(r, in_cp, is_end, false);
}

void deid_map_span_to_input(const struct deid_result *r, size_t out_start, size_t out_end, size_t *in_start,
			    size_t *in_end)
{
	*in_start = deid_map_to_input(r, out_start, false);
	*in_end = deid_map_to_input(r, out_end, true);
	if (*in_end < *in_start)
		*in_end = *in_start;
}

void deid_map_span_to_output(const struct deid_result *r, size_t in_start, size_t in_end, size_t *out_start,
			     size_t *out_end)
{
	*out_start = deid_map_to_output(r, in_start, false);
	*out_end = deid_map_to_output(r, in_end, true);
	if (*out_end < *out_start)
		*out_end = *out_start;
}
