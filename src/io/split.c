/* split.c: deterministic train/val/test splits: a keyed BLAKE2b of the patient key (or of the item id)
 * picks the part, so the same data always splits the same way and a patient never straddles parts. */
#include "io/io.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int io_split_parse(const char *spec, struct io_split *out, struct ml_err *err)
{
	memset(out, 0, sizeof *out);
	snprintf(out->seed, sizeof out->seed, "medlabel");
	if (!spec || !*spec)
		return ml_err_set(err, ML_EINVAL, "empty split (want e.g. train=0.8,val=0.1,test=0.1)");
	const char *p = spec;
	double sum = 0;
	while (*p) {
		if (out->n == IO_MAX_SPLITS)
			return ml_err_set(err, ML_EINVAL, "at most %d split parts", IO_MAX_SPLITS);
		const char *eq = strchr(p, '=');
		const char *comma = strchr(p, ',');
		if (!eq || (comma && comma < eq))
			return ml_err_set(err, ML_EINVAL, "split part %d: expected NAME=FRACTION", out->n + 1);
		size_t nlen = (size_t)(eq - p);
		if (nlen == 0 || nlen >= sizeof out->name[0])
			return ml_err_set(err, ML_EINVAL, "split part %d: name must be 1 to %zu characters", out->n + 1,
					  sizeof out->name[0] - 1);
		for (size_t i = 0; i < nlen; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
				return ml_err_set(err, ML_EINVAL, "split part %d: name may hold only letters, digits, '_' and '-'",
						  out->n + 1);
		}
		memcpy(out->name[out->n], p, nlen);
		out->name[out->n][nlen] = 0;
		for (int k = 0; k < out->n; k++)
			if (!strcmp(out->name[k], out->name[out->n]))
				return ml_err_set(err, ML_EINVAL, "split part '%s' appears twice", out->name[k]);
		char *end;
		double f = strtod(eq + 1, &end);
		if (end == eq + 1 || (*end && *end != ','))
			return ml_err_set(err, ML_EINVAL, "split part '%s': fraction is not a number", out->name[out->n]);
		if (!(f > 0 && f <= 1))
			return ml_err_set(err, ML_EINVAL, "split part '%s': fraction must be in (0, 1]", out->name[out->n]);
		out->frac[out->n++] = f;
		sum += f;
		p = *end ? end + 1 : end;
		if (*end == ',' && !*p)
			return ml_err_set(err, ML_EINVAL, "split ends with ','");
	}
	if (sum < 1 - 1e-6 || sum > 1 + 1e-6)
		return ml_err_set(err, ML_EINVAL, "split fractions add up to %g, not 1", sum);
	return 0;
}

const char *io_split_assign(const struct io_split *sp, const struct store_item *item)
{
	unsigned char key[32], h[8];
	crypto_generichash(key, sizeof key, (const unsigned char *)sp->seed, strlen(sp->seed), NULL, 0);
	char msg[320];
	int n;
	if (sp->by_patient && item->patient_key && *item->patient_key)
		n = snprintf(msg, sizeof msg, "patient:%s", item->patient_key);
	else
		n = snprintf(msg, sizeof msg, "item:%lld", (long long)item->id);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof msg) {
		/* long patient keys: hash the whole key, so two keys sharing a prefix do not collide */
		crypto_generichash_state st;
		crypto_generichash_init(&st, key, sizeof key, sizeof h);
		crypto_generichash_update(&st, (const unsigned char *)"patient:", 8);
		crypto_generichash_update(&st, (const unsigned char *)item->patient_key, strlen(item->patient_key));
		crypto_generichash_final(&st, h, sizeof h);
	} else {
		crypto_generichash(h, sizeof h, (const unsigned char *)msg, (size_t)n, key, sizeof key);
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | h[i];
	double u = (double)(v >> 11) / (double)(1ull << 53); /* uniform in [0, 1) */
	double acc = 0;
	for (int i = 0; i < sp->n; i++) {
		acc += sp->frac[i];
		if (u < acc)
			return sp->name[i];
	}
	return sp->name[sp->n - 1];
}
