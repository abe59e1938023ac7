/* stats.c: agreement coefficients over a reliability table (percent, Cohen, Fleiss, NLTK's pairwise
 * coefficients, Krippendorff's alpha, Gwet's AC1), the coincidence and confusion matrices, and the
 * unit bootstrap. Every coefficient takes optional per-unit weights (how often the bootstrap drew each
 * unit; NULL = once each) so that point estimate and replicates run the same code. */
#include "quality/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[AGREE_METRIC_COUNT] = {
	[AGREE_PERCENT] = "percent",
	[AGREE_COHEN] = "cohen",
	[AGREE_COHEN_LINEAR] = "cohen-linear",
	[AGREE_COHEN_QUADRATIC] = "cohen-quadratic",
	[AGREE_FLEISS] = "fleiss",
	[AGREE_KAPPA_MEAN] = "kappa-mean",
	[AGREE_MULTI_KAPPA] = "multi-kappa",
	[AGREE_S] = "s",
	[AGREE_ALPHA_NOMINAL] = "alpha-nominal",
	[AGREE_ALPHA_ORDINAL] = "alpha-ordinal",
	[AGREE_ALPHA_INTERVAL] = "alpha-interval",
	[AGREE_ALPHA_RATIO] = "alpha-ratio",
	[AGREE_AC1] = "ac1",
};

const char *agree_metric_name(enum agree_metric m)
{
	return (unsigned)m < AGREE_METRIC_COUNT ? metric_names[m] : "?";
}

int agree_metric_parse(const char *name, enum agree_metric *m)
{
	for (int i = 0; i < AGREE_METRIC_COUNT; i++)
		if (strcmp(name, metric_names[i]) == 0) {
			*m = (enum agree_metric)i;
			return 0;
		}
	if (strcmp(name, "pi") == 0 || strcmp(name, "scott") == 0) { /* NLTK's pi() is multi-pi = Fleiss */
		*m = AGREE_FLEISS;
		return 0;
	}
	return -1;
}

/* ---- random numbers --------------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void agree_rng_seed(struct agree_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t agree_rng_next(struct agree_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t agree_rng_below(struct agree_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift with rejection of the biased low range. */
	unsigned __int128 m = (unsigned __int128)agree_rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t thresh = -n % n;
		while (lo < thresh) {
			m = (unsigned __int128)agree_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double agree_rng_unit(struct agree_rng *r)
{
	return (double)(agree_rng_next(r) >> 11) * 0x1.0p-53;
}

double agree_quantile_sorted(const double *v, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double pos = q * (double)(n - 1);
	size_t i = (size_t)floor(pos);
	if (i + 1 >= n)
		return v[n - 1];
	double frac = pos - (double)i;
	return v[i] + (v[i + 1] - v[i]) * frac;
}

/* ---- per-unit value counts -------------------------------------------------------------------------- */

/* Scratch for counting the values of one unit in O(coders): count[] is indexed by code and is all zero
 * between units; distinct[] lists the codes present in the current unit. */
struct unit_counts {
	uint32_t *count;
	uint32_t *distinct;
	size_t ndistinct, m;
};

static int uc_init(struct unit_counts *uc, const struct agree_table *t)
{
	uc->count = ml_calloc(t->nvalues ? t->nvalues : 1, sizeof(uint32_t));
	uc->distinct = ml_malloc((t->ncoders ? t->ncoders : 1) * sizeof(uint32_t));
	uc->ndistinct = uc->m = 0;
	return uc->count && uc->distinct ? 0 : -1;
}

static void uc_release(struct unit_counts *uc)
{
	ml_free(uc->count);
	ml_free(uc->distinct);
}

static void uc_load(struct unit_counts *uc, const uint32_t *row, size_t ncoders)
{
	for (size_t i = 0; i < uc->ndistinct; i++)
		uc->count[uc->distinct[i]] = 0;
	uc->ndistinct = uc->m = 0;
	for (size_t c = 0; c < ncoders; c++) {
		uint32_t v = row[c];
		if (v == AGREE_MISSING)
			continue;
		if (uc->count[v]++ == 0)
			uc->distinct[uc->ndistinct++] = v;
		uc->m++;
	}
}

static double weight_of(const uint32_t *w, size_t u)
{
	return w ? (double)w[u] : 1.0;
}

/* What every coefficient reports besides its value. */
struct tally {
	double value, units, pairable;
};

/* ---- percent agreement, Fleiss, AC1: one pass of per-unit counts ------------------------------------ */

static int coef_unitwise(const struct agree_table *t, enum agree_metric m, const uint32_t *w, struct tally *out)
{
	struct unit_counts uc;
	size_t nv = t->nvalues;
	double *marg = ml_calloc(nv ? nv : 1, sizeof(double)); /* pairable values per code */
	double *pik = ml_calloc(nv ? nv : 1, sizeof(double));  /* AC1: sum over units of n_uk/m_u */
	if (uc_init(&uc, t) < 0 || !marg || !pik) {
		uc_release(&uc);
		ml_free(marg);
		ml_free(pik);
		return -1;
	}
	double agree_sum = 0, units = 0, pairable = 0, rated_units = 0;
	for (size_t u = 0; u < t->nunits; u++) {
		double wu = weight_of(w, u);
		if (wu == 0)
			continue;
		uc_load(&uc, t->cell + u * t->ncoders, t->ncoders);
		if (uc.m == 0)
			continue;
		if (m == AGREE_AC1) {
			rated_units += wu;
			for (size_t i = 0; i < uc.ndistinct; i++)
				pik[uc.distinct[i]] += wu * uc.count[uc.distinct[i]] / (double)uc.m;
		}
		if (uc.m < 2)
			continue;
		double same = 0;
		for (size_t i = 0; i < uc.ndistinct; i++) {
			double n = uc.count[uc.distinct[i]];
			same += n * (n - 1);
			marg[uc.distinct[i]] += wu * n;
		}
		agree_sum += wu * same / ((double)uc.m * (double)(uc.m - 1));
		units += wu;
		pairable += wu * (double)uc.m;
	}
	double pa = units > 0 ? agree_sum / units : NAN;
	double value = pa;
	if (m == AGREE_FLEISS) {
		double pe = 0;
		for (size_t v = 0; v < nv; v++)
			pe += (marg[v] / pairable) * (marg[v] / pairable);
		value = pe < 1 ? (pa - pe) / (1 - pe) : NAN;
	} else if (m == AGREE_AC1) {
		size_t q = 0;
		double pe = 0;
		for (size_t v = 0; v < nv; v++) {
			if (pik[v] > 0)
				q++;
			double p = pik[v] / rated_units;
			pe += p * (1 - p);
		}
		value = q > 1 ? (pa - pe / (double)(q - 1)) / (1 - pe / (double)(q - 1)) : NAN;
	}
	out->value = units > 0 ? value : NAN;
	out->units = units;
	out->pairable = pairable;
	uc_release(&uc);
	ml_free(marg);
	ml_free(pik);
	return 0;
}

/* ---- Cohen's kappa (two coders, weighted) ----------------------------------------------------------- */

/* The score of a code for weighted kappa: its number, or its rank for non-numeric tables. */
static double score(const struct agree_table *t, uint32_t c)
{
	return t->numeric ? t->num[c] : (double)c;
}

static int coef_cohen(const struct agree_table *t, enum agree_metric m, const uint32_t *w, struct tally *out)
{
	size_t nv = t->nvalues;
	double *pa = ml_calloc(nv ? nv : 1, sizeof(double)), *pb = ml_calloc(nv ? nv : 1, sizeof(double));
	if (!pa || !pb) {
		ml_free(pa);
		ml_free(pb);
		return -1;
	}
	double n = 0, dobs = 0;
	for (size_t u = 0; u < t->nunits; u++) {
		double wu = weight_of(w, u);
		uint32_t a = t->cell[u * 2], b = t->cell[u * 2 + 1];
		if (wu == 0 || a == AGREE_MISSING || b == AGREE_MISSING)
			continue;
		double d;
		if (m == AGREE_COHEN)
			d = a != b;
		else if (m == AGREE_COHEN_LINEAR)
			d = fabs(score(t, a) - score(t, b));
		else
			d = (score(t, a) - score(t, b)) * (score(t, a) - score(t, b));
		dobs += wu * d;
		pa[a] += wu;
		pb[b] += wu;
		n += wu;
	}
	/* Expected disagreement of independent draws from the two marginals, in O(values). */
	double dexp = 0;
	if (n > 0 && m == AGREE_COHEN) {
		double same = 0;
		for (size_t v = 0; v < nv; v++)
			same += (pa[v] / n) * (pb[v] / n);
		dexp = 1 - same;
	} else if (n > 0 && m == AGREE_COHEN_QUADRATIC) {
		/* E(X-Y)^2 = Var X + Var Y + (EX - EY)^2 for independent X, Y; centred sums keep the digits. */
		double ma = 0, mb = 0, va = 0, vb = 0;
		for (size_t v = 0; v < nv; v++) {
			ma += pa[v] * score(t, (uint32_t)v);
			mb += pb[v] * score(t, (uint32_t)v);
		}
		ma /= n;
		mb /= n;
		for (size_t v = 0; v < nv; v++) {
			double x = score(t, (uint32_t)v);
			va += pa[v] * (x - ma) * (x - ma);
			vb += pb[v] * (x - mb) * (x - mb);
		}
		dexp = va / n + vb / n + (ma - mb) * (ma - mb);
	} else if (n > 0) {
		/* E|X-Y| = sum_c pa_c sum_k pb_k |x_c - x_k|, with prefix sums of pb over the ordered codes. */
		double btot = 0, stot = 0;
		for (size_t v = 0; v < nv; v++) {
			btot += pb[v];
			stot += pb[v] * score(t, (uint32_t)v);
		}
		double blt = 0, slt = 0;
		for (size_t v = 0; v < nv; v++) {
			double x = score(t, (uint32_t)v);
			double ble = blt + pb[v], sle = slt + pb[v] * x;
			if (pa[v] > 0)
				dexp += pa[v] * ((x * blt - slt) + ((stot - sle) - x * (btot - ble)));
			blt = ble;
			slt = sle;
		}
		dexp /= n * n;
	}
	out->units = n;
	out->pairable = 2 * n;
	out->value = n > 0 && dexp > 0 ? 1 - (dobs / n) / dexp : NAN;
	ml_free(pa);
	ml_free(pb);
	return 0;
}

/* ---- NLTK's pairwise coefficients: mean kappa, Davies & Fleiss' multi-kappa, Bennett's S ------------- */

static int coef_pairwise(const struct agree_table *t, enum agree_metric m, const uint32_t *w, struct tally *out)
{
	size_t nv = t->nvalues, C = t->ncoders;
	double *pa = ml_calloc(nv ? nv : 1, sizeof(double)), *pb = ml_calloc(nv ? nv : 1, sizeof(double));
	char *seen = ml_calloc(nv ? nv : 1, 1);
	struct unit_counts uc;
	if (uc_init(&uc, t) < 0 || !pa || !pb || !seen) {
		uc_release(&uc);
		ml_free(pa);
		ml_free(pb);
		ml_free(seen);
		return -1;
	}
	/* Units, pairable values and q (values seen in pairable units) as for the other coefficients. */
	double units = 0, pairable = 0;
	size_t q = 0;
	for (size_t u = 0; u < t->nunits; u++) {
		double wu = weight_of(w, u);
		if (wu == 0)
			continue;
		uc_load(&uc, t->cell + u * C, C);
		if (uc.m < 2)
			continue;
		units += wu;
		pairable += wu * (double)uc.m;
		for (size_t i = 0; i < uc.ndistinct; i++)
			if (!seen[uc.distinct[i]]++)
				q++;
	}
	double sum_kappa = 0, sum_ao = 0, sum_ae = 0, npairs = 0;
	for (size_t a = 0; a < C; a++) {
		for (size_t b = a + 1; b < C; b++) {
			memset(pa, 0, nv * sizeof(double));
			memset(pb, 0, nv * sizeof(double));
			double n = 0, agreed = 0;
			for (size_t u = 0; u < t->nunits; u++) {
				double wu = weight_of(w, u);
				uint32_t x = t->cell[u * C + a], y = t->cell[u * C + b];
				if (wu == 0 || x == AGREE_MISSING || y == AGREE_MISSING)
					continue;
				n += wu;
				agreed += wu * (x == y);
				pa[x] += wu;
				pb[y] += wu;
			}
			if (n == 0)
				continue;
			double ae = 0;
			for (size_t v = 0; v < nv; v++)
				ae += (pa[v] / n) * (pb[v] / n);
			double ao = agreed / n;
			sum_kappa += ae < 1 ? (ao - ae) / (1 - ae) : NAN;
			sum_ao += ao;
			sum_ae += ae;
			npairs++;
		}
	}
	double value = NAN;
	if (npairs > 0) {
		double ao = sum_ao / npairs, ae = sum_ae / npairs;
		if (m == AGREE_KAPPA_MEAN)
			value = sum_kappa / npairs;
		else if (m == AGREE_MULTI_KAPPA)
			value = ae < 1 ? (ao - ae) / (1 - ae) : NAN;
		else
			value = q > 1 ? (ao - 1.0 / (double)q) / (1 - 1.0 / (double)q) : NAN;
	}
	out->value = units > 0 ? value : NAN;
	out->units = units;
	out->pairable = pairable;
	uc_release(&uc);
	ml_free(pa);
	ml_free(pb);
	ml_free(seen);
	return 0;
}

/* ---- Krippendorff's alpha --------------------------------------------------------------------------- */

struct alpha_ctx {
	const struct agree_table *t;
	enum agree_metric m;
	const double *cum; /* ordinal: cum[c] = sum of marginals of codes < c (nvalues + 1 entries) */
	const double *marg;
};

static double delta(const struct alpha_ctx *a, uint32_t c, uint32_t k)
{
	if (c == k)
		return 0;
	switch (a->m) {
	case AGREE_ALPHA_NOMINAL:
		return 1;
	case AGREE_ALPHA_ORDINAL: {
		uint32_t lo = c < k ? c : k, hi = c < k ? k : c;
		double s = a->cum[hi + 1] - a->cum[lo] - (a->marg[lo] + a->marg[hi]) / 2;
		return s * s;
	}
	case AGREE_ALPHA_INTERVAL: {
		double d = a->t->num[c] - a->t->num[k];
		return d * d;
	}
	default: { /* ratio */
		double x = a->t->num[c], y = a->t->num[k];
		if (x + y == 0)
			return 0;
		double d = (x - y) / (x + y);
		return d * d;
	}
	}
}

static int coef_alpha(const struct agree_table *t, enum agree_metric m, const uint32_t *w, struct tally *out)
{
	size_t nv = t->nvalues;
	struct unit_counts uc;
	double *marg = ml_calloc(nv ? nv : 1, sizeof(double));
	double *cum = ml_calloc(nv + 1, sizeof(double));
	if (uc_init(&uc, t) < 0 || !marg || !cum) {
		uc_release(&uc);
		ml_free(marg);
		ml_free(cum);
		return -1;
	}
	struct alpha_ctx a = {t, m, cum, marg};
	double shift = t->numeric && nv ? (t->num[0] + t->num[nv - 1]) / 2 : 0;
	if (m == AGREE_ALPHA_INTERVAL) {
		/* One pass: with (c-k)^2, both disagreements need only each unit's sums of x and x^2, since
		 * sum_{i,j} (x_i - x_j)^2 = 2 m sum x^2 - 2 (sum x)^2 (on centred values, to keep the digits). */
		double units = 0, n = 0, dsum = 0, t1 = 0, t2 = 0;
		for (size_t u = 0; u < t->nunits; u++) {
			double wu = weight_of(w, u);
			if (wu == 0)
				continue;
			const uint32_t *row = t->cell + u * t->ncoders;
			double s1 = 0, s2 = 0, mu = 0;
			for (size_t c = 0; c < t->ncoders; c++) {
				if (row[c] == AGREE_MISSING)
					continue;
				double x = t->num[row[c]] - shift;
				s1 += x;
				s2 += x * x;
				mu++;
			}
			if (mu < 2)
				continue;
			units += wu;
			n += wu * mu;
			dsum += wu * (2 * mu * s2 - 2 * s1 * s1) / (mu - 1);
			t1 += wu * s1;
			t2 += wu * s2;
		}
		double de = n > 1 ? (2 * n * t2 - 2 * t1 * t1) / (n * (n - 1)) : 0;
		out->value = units > 0 && de > 0 ? 1 - (dsum / n) / de : NAN;
		out->units = units;
		out->pairable = n;
		uc_release(&uc);
		ml_free(marg);
		ml_free(cum);
		return 0;
	}
	/* Pass 1: the coincidence matrix's marginals n_c (pairable values only). */
	double units = 0, n = 0;
	for (size_t u = 0; u < t->nunits; u++) {
		double wu = weight_of(w, u);
		if (wu == 0)
			continue;
		uc_load(&uc, t->cell + u * t->ncoders, t->ncoders);
		if (uc.m < 2)
			continue;
		units += wu;
		n += wu * (double)uc.m;
		for (size_t i = 0; i < uc.ndistinct; i++)
			marg[uc.distinct[i]] += wu * uc.count[uc.distinct[i]];
	}
	for (size_t v = 0; v < nv; v++)
		cum[v + 1] = cum[v] + marg[v];
	/* Pass 2: observed disagreement, sum_u 1/(m_u-1) sum_{c != k} n_uc n_uk d_ck (the coincidence matrix
	 * contracted with d one unit at a time, so no values x values matrix is built). */
	double dsum = 0;
	for (size_t u = 0; u < t->nunits && n > 0; u++) {
		double wu = weight_of(w, u);
		if (wu == 0)
			continue;
		const uint32_t *row = t->cell + u * t->ncoders;
		uc_load(&uc, row, t->ncoders);
		if (uc.m < 2 || uc.ndistinct < 2)
			continue;
		double s = 0;
		if (m == AGREE_ALPHA_NOMINAL) {
			double sq = 0;
			for (size_t i = 0; i < uc.ndistinct; i++)
				sq += (double)uc.count[uc.distinct[i]] * uc.count[uc.distinct[i]];
			s = (double)uc.m * uc.m - sq;
		} else {
			for (size_t i = 0; i < uc.ndistinct; i++)
				for (size_t j = i + 1; j < uc.ndistinct; j++) {
					uint32_t c = uc.distinct[i], k = uc.distinct[j];
					s += 2.0 * uc.count[c] * uc.count[k] * delta(&a, c, k);
				}
		}
		dsum += wu * s / (double)(uc.m - 1);
	}
	/* Expected disagreement from the marginals. */
	double de = 0;
	if (n > 1) {
		if (m == AGREE_ALPHA_NOMINAL) {
			double sq = 0;
			for (size_t v = 0; v < nv; v++)
				sq += marg[v] * marg[v];
			de = (n * n - sq) / (n * (n - 1));
		} else {
			for (size_t c = 0; c < nv; c++) {
				if (marg[c] == 0)
					continue;
				for (size_t k = c + 1; k < nv; k++)
					if (marg[k] > 0)
						de += 2 * marg[c] * marg[k] * delta(&a, (uint32_t)c, (uint32_t)k);
			}
			de /= n * (n - 1);
		}
	}
	double dobs = n > 0 ? dsum / n : 0;
	out->value = units > 0 && de > 0 ? 1 - dobs / de : NAN;
	out->units = units;
	out->pairable = n;
	uc_release(&uc);
	ml_free(marg);
	ml_free(cum);
	return 0;
}

/* ---- matrices for reports ---------------------------------------------------------------------------- */

int agree_coincidence(const struct agree_table *t, double **matrix, size_t *pairable, struct ml_err *err)
{
	size_t nv = t->nvalues;
	*matrix = NULL;
	if (nv > AGREE_MAX_VALUES_QUADRATIC)
		return ml_err_set(err, ML_ELIMIT, "%zu values: a coincidence matrix is limited to %d", nv,
				  AGREE_MAX_VALUES_QUADRATIC);
	struct unit_counts uc;
	double *o = ml_calloc(nv ? nv * nv : 1, sizeof(double));
	if (uc_init(&uc, t) < 0 || !o) {
		uc_release(&uc);
		ml_free(o);
		return ml_err_set(err, ML_ENOMEM, "out of memory for a %zu x %zu coincidence matrix", nv, nv);
	}
	size_t n = 0;
	for (size_t u = 0; u < t->nunits; u++) {
		uc_load(&uc, t->cell + u * t->ncoders, t->ncoders);
		if (uc.m < 2)
			continue;
		n += uc.m;
		for (size_t i = 0; i < uc.ndistinct; i++)
			for (size_t j = 0; j < uc.ndistinct; j++) {
				uint32_t c = uc.distinct[i], k = uc.distinct[j];
				double pairs = (double)uc.count[c] * (uc.count[k] - (c == k));
				o[(size_t)c * nv + k] += pairs / (double)(uc.m - 1);
			}
	}
	uc_release(&uc);
	*matrix = o;
	if (pairable)
		*pairable = n;
	return 0;
}

int agree_confusion(const struct agree_table *t, size_t a, size_t b, uint64_t **matrix, struct ml_err *err)
{
	size_t nv = t->nvalues;
	*matrix = NULL;
	if (a >= t->ncoders || b >= t->ncoders)
		return ml_err_set(err, ML_EINVAL, "coder out of range");
	if (nv > AGREE_MAX_VALUES_QUADRATIC)
		return ml_err_set(err, ML_ELIMIT, "%zu values: a confusion matrix is limited to %d", nv,
				  AGREE_MAX_VALUES_QUADRATIC);
	uint64_t *o = ml_calloc(nv ? nv * nv : 1, sizeof(uint64_t));
	if (!o)
		return ml_err_set(err, ML_ENOMEM, "out of memory for a %zu x %zu confusion matrix", nv, nv);
	for (size_t u = 0; u < t->nunits; u++) {
		uint32_t x = t->cell[u * t->ncoders + a], y = t->cell[u * t->ncoders + b];
		if (x != AGREE_MISSING && y != AGREE_MISSING)
			o[(size_t)x * nv + y]++;
	}
	*matrix = o;
	return 0;
}

/* ---- dispatch and bootstrap -------------------------------------------------------------------------- */

static int coef(const struct agree_table *t, enum agree_metric m, const uint32_t *w, struct tally *out)
{
	switch (m) {
	case AGREE_PERCENT:
	case AGREE_FLEISS:
	case AGREE_AC1:
		return coef_unitwise(t, m, w, out);
	case AGREE_COHEN:
	case AGREE_COHEN_LINEAR:
	case AGREE_COHEN_QUADRATIC:
		return coef_cohen(t, m, w, out);
	case AGREE_KAPPA_MEAN:
	case AGREE_MULTI_KAPPA:
	case AGREE_S:
		return coef_pairwise(t, m, w, out);
	default:
		return coef_alpha(t, m, w, out);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int check_applicable(const struct agree_table *t, enum agree_metric m, struct ml_err *err)
{
	const char *name = agree_metric_name(m);
	if ((unsigned)m >= AGREE_METRIC_COUNT)
		return ml_err_set(err, ML_EINVAL, "unknown metric %d", (int)m);
	if (m == AGREE_COHEN || m == AGREE_COHEN_LINEAR || m == AGREE_COHEN_QUADRATIC) {
		if (t->ncoders != 2)
			return ml_err_set(err, ML_EINVAL,
					  "%s needs exactly two annotators, the table has %zu (use fleiss, kappa-mean "
					  "or an alpha for more)", name, t->ncoders);
	} else if (t->ncoders < 2) {
		return ml_err_set(err, ML_EINVAL, "%s needs at least two annotators, the table has %zu", name,
				  t->ncoders);
	}
	if ((m == AGREE_ALPHA_INTERVAL || m == AGREE_ALPHA_RATIO) && !t->numeric) {
		if (t->nonnum_line)
			return ml_err_set(err, ML_EINVAL, "%s needs numeric values: line %zu column %zu is not a number",
					  name, t->nonnum_line, t->nonnum_col);
		return ml_err_set(err, ML_EINVAL, "%s needs numeric values", name);
	}
	if (m == AGREE_ALPHA_RATIO && t->nvalues && t->num[0] < 0)
		return ml_err_set(err, ML_EINVAL, "%s needs values >= 0 (a ratio scale has a true zero)", name);
	if ((m == AGREE_ALPHA_ORDINAL || m == AGREE_ALPHA_RATIO) && t->nvalues > AGREE_MAX_VALUES_QUADRATIC)
		return ml_err_set(err, ML_ELIMIT, "%s: %zu distinct values, more than the %d this coefficient allows",
				  name, t->nvalues, AGREE_MAX_VALUES_QUADRATIC);
	return 0;
}

int agree_compute(const struct agree_table *t, enum agree_metric m, const struct agree_options *opt,
		  struct agree_result *out, struct ml_err *err)
{
	memset(out, 0, sizeof(*out));
	out->metric = m;
	out->value = out->ci_lo = out->ci_hi = NAN;
	if (check_applicable(t, m, err) < 0)
		return -1;
	struct tally tl;
	if (coef(t, m, NULL, &tl) < 0)
		return ml_err_set(err, ML_ENOMEM, "out of memory computing %s", agree_metric_name(m));
	if (tl.units == 0)
		return ml_err_set(err, ML_EINVAL, "%s: no unit has two or more values to compare%s", agree_metric_name(m),
				  t->ncoders == 2 ? " (no unit was rated by both annotators)" : "");
	out->value = tl.value;
	out->units = (size_t)tl.units;
	out->pairable_values = (size_t)tl.pairable;
	size_t nboot = opt ? opt->nboot : 0;
	if (nboot == 0 || t->nunits == 0)
		return 0;
	uint32_t *w = ml_malloc(t->nunits * sizeof(uint32_t));
	double *rep = ml_malloc(nboot * sizeof(double));
	if (!w || !rep) {
		ml_free(w);
		ml_free(rep);
		return ml_err_set(err, ML_ENOMEM, "out of memory for %zu bootstrap replicates", nboot);
	}
	struct agree_rng rng;
	agree_rng_seed(&rng, opt->seed);
	size_t used = 0;
	for (size_t b = 0; b < nboot; b++) {
		memset(w, 0, t->nunits * sizeof(uint32_t));
		for (size_t i = 0; i < t->nunits; i++)
			w[agree_rng_below(&rng, t->nunits)]++;
		struct tally r;
		if (coef(t, m, w, &r) < 0) {
			ml_free(w);
			ml_free(rep);
			return ml_err_set(err, ML_ENOMEM, "out of memory in the bootstrap");
		}
		if (!isnan(r.value))
			rep[used++] = r.value;
	}
	qsort(rep, used, sizeof(double), cmp_double);
	out->boot_used = used;
	out->ci_lo = agree_quantile_sorted(rep, used, 0.025);
	out->ci_hi = agree_quantile_sorted(rep, used, 0.975);
	ml_free(w);
	ml_free(rep);
	return 0;
}
