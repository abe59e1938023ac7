/* table.c: the units x coders reliability table: the RFC 4180 CSV reader, value interning and ordering,
 * and derived tables (coder subsets, one coder against the rest, one value against the rest). */
#include "quality/quality.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void agree_table_init(struct agree_table *t)
{
	memset(t, 0, sizeof(*t));
}

static void free_names(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		ml_free(v[i]);
	ml_free(v);
}

void agree_table_release(struct agree_table *t)
{
	ml_free(t->cell);
	free_names(t->coder, t->ncoders);
	free_names(t->value, t->nvalues);
	ml_free(t->num);
	agree_table_init(t);
}

/* ---- interning: distinct cell strings -> provisional codes in order of first appearance ------------ */

struct interner {
	uint32_t *slot; /* capacity entries: code + 1, 0 = empty */
	size_t cap;
	struct ml_buf bytes; /* NUL-terminated strings back to back */
	size_t *off;         /* per code: offset into bytes */
	uint32_t *len;
	uint64_t *hash;
	size_t *first_line, *first_col;
	size_t n, alloc;
	uint32_t *small; /* keys of 1 byte at [byte], of 2 bytes at [256 + (b0 << 8 | b1)]: code + 1, 0 = unknown */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix so short keys spread well */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static int interner_add_slow(struct interner *in, const char *s, size_t n, size_t line, size_t col, uint32_t *code);

static void interner_release(struct interner *in)
{
	ml_free(in->small);
	ml_free(in->slot);
	ml_buf_release(&in->bytes);
	ml_free(in->off);
	ml_free(in->len);
	ml_free(in->hash);
	ml_free(in->first_line);
	ml_free(in->first_col);
	memset(in, 0, sizeof(*in));
}

static int interner_rehash(struct interner *in, size_t cap)
{
	uint32_t *slot = ml_calloc(cap, sizeof(*slot));
	if (!slot)
		return -1;
	for (size_t i = 0; i < in->n; i++) {
		size_t j = in->hash[i] & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = (uint32_t)i + 1;
	}
	ml_free(in->slot);
	in->slot = slot;
	in->cap = cap;
	return 0;
}

#define GROW(arr, n)                                                                                \
	do {                                                                                        \
		void *p_ = ml_realloc((arr), (n) * sizeof(*(arr)));                                 \
		if (!p_)                                                                            \
			return -1;                                                                  \
		(arr) = p_;                                                                         \
	} while (0)

static int interner_add(struct interner *in, const char *s, size_t n, size_t line, size_t col, uint32_t *code)
{
	/* Ratings are mostly one or two bytes: a direct table answers those without hashing. */
	uint32_t *quick = NULL;
	if (n <= 2 && in->small) {
		quick = &in->small[n == 1 ? (unsigned char)s[0] : 256 + ((unsigned)(unsigned char)s[0] << 8 | (unsigned char)s[1])];
		if (*quick) {
			*code = *quick - 1;
			return 0;
		}
	}
	int r = interner_add_slow(in, s, n, line, col, code);
	if (r == 0 && quick)
		*quick = *code + 1;
	return r;
}

static int interner_add_slow(struct interner *in, const char *s, size_t n, size_t line, size_t col, uint32_t *code)
{
	uint64_t h = hash_bytes(s, n);
	if (!in->slot && interner_rehash(in, 64) < 0)
		return -1;
	size_t j = h & (in->cap - 1);
	while (in->slot[j]) {
		uint32_t c = in->slot[j] - 1;
		if (in->hash[c] == h && in->len[c] == n && memcmp(in->bytes.data + in->off[c], s, n) == 0) {
			*code = c;
			return 0;
		}
		j = (j + 1) & (in->cap - 1);
	}
	if (in->n >= AGREE_MAX_VALUES)
		return -2;
	if (in->n == in->alloc) {
		size_t a = in->alloc ? in->alloc * 2 : 64;
		GROW(in->off, a);
		GROW(in->len, a);
		GROW(in->hash, a);
		GROW(in->first_line, a);
		GROW(in->first_col, a);
		in->alloc = a;
	}
	size_t c = in->n++;
	in->off[c] = in->bytes.len;
	in->len[c] = (uint32_t)n;
	in->hash[c] = h;
	in->first_line[c] = line;
	in->first_col[c] = col;
	if (ml_buf_append(&in->bytes, s, n) < 0 || ml_buf_putc(&in->bytes, '\0') < 0)
		return -1;
	in->slot[j] = (uint32_t)c + 1;
	*code = (uint32_t)c;
	if (in->n * 2 > in->cap && interner_rehash(in, in->cap * 2) < 0)
		return -1;
	return 0;
}

/* ---- value ordering -------------------------------------------------------------------------------- */

struct sort_key {
	const char *s;
	size_t len;
	double num;
	uint32_t code;
};

static int cmp_bytes(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->s, y->s, n);
	if (r)
		return r;
	return (x->len > y->len) - (x->len < y->len);
}

static int cmp_num(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	if (x->num < y->num)
		return -1;
	if (x->num > y->num)
		return 1;
	return cmp_bytes(a, b);
}

static bool parse_number(const char *s, double *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || end == s || !isfinite(v))
		return false;
	/* strtod accepts "inf", "nan" and hex floats; a rating table means decimal numbers. */
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return false;
	*out = v;
	return true;
}

/* Orders provisional codes (numeric or byte order), merges equal numbers, remaps cells, fills names. */
static int table_finish(struct agree_table *t, struct interner *in, struct ml_err *err)
{
	size_t n = in->n;
	struct sort_key *k = ml_malloc((n ? n : 1) * sizeof(*k));
	uint32_t *map = ml_malloc((n ? n : 1) * sizeof(*map));
	int rc = -1;
	if (!k || !map) {
		ml_err_set(err, ML_ENOMEM, "out of memory ordering %zu values", n);
		goto out;
	}
	bool numeric = n > 0;
	size_t bad_line = 0, bad_col = 0;
	for (size_t i = 0; i < n; i++) {
		k[i].s = in->bytes.data + in->off[i];
		k[i].len = in->len[i];
		k[i].code = (uint32_t)i;
		if (!parse_number(k[i].s, &k[i].num)) {
			k[i].num = NAN;
			if (numeric || in->first_line[i] < bad_line ||
			    (in->first_line[i] == bad_line && in->first_col[i] < bad_col)) {
				bad_line = in->first_line[i];
				bad_col = in->first_col[i];
			}
			numeric = false;
		}
	}
	qsort(k, n, sizeof(*k), numeric ? cmp_num : cmp_bytes);
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(numeric && i > 0 && k[i].num == k[i - 1].num))
			nv++;
		map[k[i].code] = (uint32_t)(nv - 1);
	}
	t->value = ml_calloc(nv ? nv : 1, sizeof(char *));
	if (numeric)
		t->num = ml_malloc((nv ? nv : 1) * sizeof(double));
	if (!t->value || (numeric && !t->num)) {
		ml_err_set(err, ML_ENOMEM, "out of memory naming %zu values", nv);
		goto out;
	}
	t->nvalues = nv;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = map[k[i].code];
		if (t->value[c])
			continue;
		if (!(t->value[c] = ml_strndup(k[i].s, k[i].len))) {
			ml_err_set(err, ML_ENOMEM, "out of memory naming values");
			goto out;
		}
		if (numeric)
			t->num[c] = k[i].num;
	}
	t->numeric = numeric;
	t->nonnum_line = bad_line;
	t->nonnum_col = bad_col;
	size_t ncell = t->nunits * t->ncoders;
	for (size_t i = 0; i < ncell; i++)
		if (t->cell[i] != AGREE_MISSING)
			t->cell[i] = map[t->cell[i]];
	rc = 0;
out:
	ml_free(k);
	ml_free(map);
	return rc;
}

/* ---- CSV ------------------------------------------------------------------------------------------- */

struct csv {
	const char *d, *name;
	size_t len, pos, line;
	struct agree_table *t;
	struct interner in;
	struct ml_buf field; /* unescaped quoted field */
	size_t cell_alloc;   /* in units */
	char **hdr;
	size_t nhdr, hdr_alloc;
	struct ml_err *err;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int csv_fail(struct csv *c, size_t line, const char *fmt, const char *detail)
{
	return ml_err_set(c->err, ML_EINVAL, fmt, c->name, line, detail);
}

static int header_field(struct csv *c, const char *s, size_t n)
{
	if (c->nhdr >= AGREE_MAX_CODERS)
		return ml_err_set(c->err, ML_ELIMIT, "'%s' line 1: more than %d columns", c->name, AGREE_MAX_CODERS);
	if (c->nhdr == c->hdr_alloc) {
		size_t a = c->hdr_alloc ? c->hdr_alloc * 2 : 8;
		char **p = ml_realloc(c->hdr, a * sizeof(*p));
		if (!p)
			return ml_err_set(c->err, ML_ENOMEM, "out of memory reading the header of '%s'", c->name);
		c->hdr = p;
		c->hdr_alloc = a;
	}
	if (!(c->hdr[c->nhdr] = ml_strndup(s, n)))
		return ml_err_set(c->err, ML_ENOMEM, "out of memory reading the header of '%s'", c->name);
	c->nhdr++;
	return 0;
}

static int data_field(struct csv *c, size_t unit, size_t f, const char *s, size_t n, size_t line, size_t col)
{
	struct agree_table *t = c->t;
	if (f >= t->ncoders)
		return 0; /* counted by the caller and reported at the end of the record */
	uint32_t code = AGREE_MISSING;
	if (n > 0) {
		int r = interner_add(&c->in, s, n, line, col, &code);
		if (r == -2)
			return ml_err_set(c->err, ML_ELIMIT, "'%s' line %zu: more than %d distinct values", c->name,
					  line, AGREE_MAX_VALUES);
		if (r < 0)
			return ml_err_set(c->err, ML_ENOMEM, "out of memory at '%s' line %zu", c->name, line);
	}
	t->cell[unit * t->ncoders + f] = code;
	return 0;
}

static int csv_parse(struct csv *c)
{
	const char *d = c->d;
	size_t len = c->len;
	struct agree_table *t = c->t;
	size_t record = 0;
	if (len == 0)
		return ml_err_set(c->err, ML_EINVAL, "'%s' is empty: expected a header row naming the annotators", c->name);
	if (memchr(d, '\0', len)) {
		size_t off = (size_t)((const char *)memchr(d, '\0', len) - d);
		return ml_err_set(c->err, ML_EINVAL, "'%s': NUL byte at byte offset %zu (not a text file)", c->name, off);
	}
	while (c->pos < len) {
		size_t rec_line = c->line, f = 0;
		bool blank_record = true;
		if (record > 0) {
			if (t->nunits == c->cell_alloc) {
				size_t a = c->cell_alloc ? c->cell_alloc * 2 : 1024;
				if (a * t->ncoders > AGREE_MAX_CELLS) /* 4 bytes per cell: bound the memory, not the file */
					a = AGREE_MAX_CELLS / t->ncoders;
				if (a <= t->nunits)
					return ml_err_set(c->err, ML_ELIMIT, "'%s' line %zu: more than %d cells (units x annotators)",
							  c->name, rec_line, AGREE_MAX_CELLS);
				uint32_t *p = ml_realloc(t->cell, a * t->ncoders * sizeof(*p));
				if (!p)
					return ml_err_set(c->err, ML_ENOMEM, "out of memory at '%s' line %zu", c->name, rec_line);
				t->cell = p;
				c->cell_alloc = a;
			}
			for (size_t i = 0; i < t->ncoders; i++)
				t->cell[t->nunits * t->ncoders + i] = AGREE_MISSING;
		}
		for (;;) { /* one field */
			size_t p = c->pos;
			while (p < len && is_blank(d[p]))
				p++;
			const char *s;
			size_t n, field_line = c->line;
			if (p < len && d[p] == '"') {
				ml_buf_reset(&c->field);
				p++;
				for (;;) {
					const char *q = memchr(d + p, '"', len - p);
					if (!q)
						return csv_fail(c, field_line, "'%s' line %zu: %s", "unterminated quoted field");
					size_t e = (size_t)(q - d);
					for (size_t i = p; i < e; i++)
						if (d[i] == '\n')
							c->line++;
					if (ml_buf_append(&c->field, d + p, e - p) < 0)
						return ml_err_set(c->err, ML_ENOMEM, "out of memory at '%s' line %zu", c->name, c->line);
					if (e + 1 < len && d[e + 1] == '"') {
						if (ml_buf_putc(&c->field, '"') < 0)
							return ml_err_set(c->err, ML_ENOMEM, "out of memory at '%s' line %zu",
									  c->name, c->line);
						p = e + 2;
						continue;
					}
					p = e + 1;
					break;
				}
				while (p < len && is_blank(d[p]))
					p++;
				if (p < len && d[p] != ',' && d[p] != '\n' && d[p] != '\r')
					return csv_fail(c, c->line, "'%s' line %zu: %s", "text after a closing quote");
				s = c->field.data ? c->field.data : "";
				n = c->field.len;
				blank_record = false;
			} else {
				size_t b = p;
				while (p < len && d[p] != ',' && d[p] != '\n' && d[p] != '\r') {
					if (d[p] == '"')
						return csv_fail(c, c->line, "'%s' line %zu: %s",
								"quote inside an unquoted field (quote the whole field)");
					p++;
				}
				size_t e = p;
				while (e > b && is_blank(d[e - 1]))
					e--;
				s = d + b;
				n = e - b;
				if (n || (p < len && d[p] == ','))
					blank_record = false;
			}
			int r = record == 0 ? header_field(c, s, n) : data_field(c, t->nunits, f, s, n, field_line, f + 1);
			if (r < 0)
				return -1;
			f++;
			if (p < len && d[p] == ',') {
				c->pos = p + 1;
				continue;
			}
			if (p < len && d[p] == '\r') {
				if (p + 1 >= len || d[p + 1] != '\n')
					return csv_fail(c, c->line, "'%s' line %zu: %s", "carriage return not followed by a line feed");
				p++;
			}
			if (p < len && d[p] == '\n') {
				p++;
				c->line++;
			}
			c->pos = p;
			break;
		}
		if (record == 0) {
			if (blank_record)
				return csv_fail(c, rec_line, "'%s' line %zu: %s", "empty header (expected the annotators' names)");
			t->ncoders = c->nhdr;
		} else {
			if (blank_record && t->ncoders > 1) {
				size_t q = c->pos;
				while (q < len && (d[q] == '\n' || d[q] == '\r' || is_blank(d[q])))
					q++;
				if (q == len) /* trailing blank lines end the file */
					break;
				return csv_fail(c, rec_line, "'%s' line %zu: %s", "blank line (write empty fields for a unit nobody rated)");
			}
			if (f != t->ncoders)
				return ml_err_set(c->err, ML_EINVAL, "'%s' line %zu: expected %zu fields (one per annotator), found %zu",
						  c->name, rec_line, t->ncoders, f);
			t->nunits++;
		}
		record++;
	}
	if (record < 2)
		return ml_err_set(c->err, ML_EINVAL, "'%s' line %zu: header only, no units", c->name, c->line > 1 ? c->line - 1 : 1);
	return 0;
}

int agree_table_read_csv(struct agree_table *t, const char *data, size_t len, const char *name, struct ml_err *err)
{
	struct csv c = {.d = data, .len = len, .name = name ? name : "<input>", .line = 1, .t = t, .err = err};
	agree_table_init(t);
	ml_buf_init(&c.field, 0);
	ml_buf_init(&c.in.bytes, 0);
	c.in.small = ml_calloc(256 + 65536, sizeof(uint32_t));
	int rc = c.in.small ? csv_parse(&c) : ml_err_set(err, ML_ENOMEM, "out of memory reading '%s'", c.name);
	if (rc == 0) {
		t->coder = c.hdr;
		c.hdr = NULL;
		rc = table_finish(t, &c.in, err);
	}
	free_names(c.hdr, c.nhdr);
	interner_release(&c.in);
	ml_buf_release(&c.field);
	if (rc < 0)
		agree_table_release(t);
	return rc;
}

/* ---- tables from codes and derived tables ---------------------------------------------------------- */

static char *name_or_index(const char *const *names, size_t i, const char *prefix)
{
	if (names && names[i])
		return ml_strdup(names[i]);
	char buf[48];
	snprintf(buf, sizeof(buf), "%s%zu", prefix, i);
	return ml_strdup(buf);
}

int agree_table_from_codes(struct agree_table *t, size_t nunits, size_t ncoders, const uint32_t *cell, size_t nvalues,
			   const double *num, const char *const *coder_names, const char *const *value_names,
			   struct ml_err *err)
{
	agree_table_init(t);
	if (ncoders == 0 || ncoders > AGREE_MAX_CODERS)
		return ml_err_set(err, ML_EINVAL, "a table needs 1 to %d coders, not %zu", AGREE_MAX_CODERS, ncoders);
	if (nvalues > AGREE_MAX_VALUES)
		return ml_err_set(err, ML_ELIMIT, "more than %d distinct values", AGREE_MAX_VALUES);
	if (nunits > SIZE_MAX / sizeof(uint32_t) / ncoders)
		return ml_err_set(err, ML_ELIMIT, "table too large");
	for (size_t i = 0; i < nunits * ncoders; i++)
		if (cell[i] != AGREE_MISSING && cell[i] >= nvalues)
			return ml_err_set(err, ML_EINVAL, "unit %zu coder %zu: code %u out of range", i / ncoders,
					  i % ncoders, cell[i]);
	if (num)
		for (size_t v = 0; v + 1 < nvalues; v++)
			if (!(num[v] < num[v + 1]))
				return ml_err_set(err, ML_EINVAL, "value numbers must increase with their code (code %zu)", v + 1);
	t->nunits = nunits;
	t->ncoders = ncoders;
	t->nvalues = nvalues;
	t->cell = ml_malloc((nunits > 0 ? nunits * ncoders : 1) * sizeof(uint32_t));
	t->coder = ml_calloc(ncoders, sizeof(char *));
	t->value = ml_calloc(nvalues ? nvalues : 1, sizeof(char *));
	if (num)
		t->num = ml_malloc((nvalues ? nvalues : 1) * sizeof(double));
	if (!t->cell || !t->coder || !t->value || (num && !t->num))
		goto oom;
	memcpy(t->cell, cell, nunits * ncoders * sizeof(uint32_t));
	for (size_t c = 0; c < ncoders; c++)
		if (!(t->coder[c] = name_or_index(coder_names, c, "coder")))
			goto oom;
	for (size_t v = 0; v < nvalues; v++) {
		if (num && !(value_names && value_names[v])) {
			char buf[40];
			snprintf(buf, sizeof(buf), "%.17g", num[v]);
			t->value[v] = ml_strdup(buf);
		} else {
			t->value[v] = name_or_index(value_names, v, "");
		}
		if (!t->value[v])
			goto oom;
	}
	if (num) {
		memcpy(t->num, num, nvalues * sizeof(double));
		t->numeric = nvalues > 0;
	}
	return 0;
oom:
	agree_table_release(t);
	return ml_err_set(err, ML_ENOMEM, "out of memory building a table");
}

int agree_table_select(const struct agree_table *t, const size_t *coders, size_t n, struct agree_table *out,
		       struct ml_err *err)
{
	agree_table_init(out);
	if (n == 0)
		return ml_err_set(err, ML_EINVAL, "no coder selected");
	for (size_t j = 0; j < n; j++)
		if (coders[j] >= t->ncoders)
			return ml_err_set(err, ML_EINVAL, "coder %zu out of range", coders[j]);
	uint32_t *cell = ml_malloc((t->nunits > 0 ? t->nunits * n : 1) * sizeof(*cell));
	const char **names = ml_malloc(n * sizeof(*names));
	if (!cell || !names) {
		ml_free(cell);
		ml_free(names);
		return ml_err_set(err, ML_ENOMEM, "out of memory selecting coders");
	}
	for (size_t u = 0; u < t->nunits; u++)
		for (size_t j = 0; j < n; j++)
			cell[u * n + j] = t->cell[u * t->ncoders + coders[j]];
	for (size_t j = 0; j < n; j++)
		names[j] = t->coder[coders[j]];
	int rc = agree_table_from_codes(out, t->nunits, n, cell, t->nvalues, t->numeric ? t->num : NULL, names,
					(const char *const *)t->value, err);
	ml_free(cell);
	ml_free(names);
	return rc;
}

int agree_table_versus_rest(const struct agree_table *t, size_t coder, struct agree_table *out, struct ml_err *err)
{
	agree_table_init(out);
	if (coder >= t->ncoders)
		return ml_err_set(err, ML_EINVAL, "coder %zu out of range", coder);
	uint32_t *cell = ml_malloc((t->nunits ? t->nunits : 1) * 2 * sizeof(*cell));
	uint32_t *count = ml_calloc(t->nvalues ? t->nvalues : 1, sizeof(*count));
	if (!cell || !count) {
		ml_free(cell);
		ml_free(count);
		return ml_err_set(err, ML_ENOMEM, "out of memory building coder-versus-rest table");
	}
	for (size_t u = 0; u < t->nunits; u++) {
		const uint32_t *row = t->cell + u * t->ncoders;
		uint32_t best = AGREE_MISSING, bestn = 0;
		bool tie = false;
		for (size_t c = 0; c < t->ncoders; c++) {
			if (c == coder || row[c] == AGREE_MISSING)
				continue;
			uint32_t k = ++count[row[c]];
			if (k > bestn) {
				bestn = k;
				best = row[c];
				tie = false;
			} else if (k == bestn && row[c] != best) {
				tie = true;
			}
		}
		for (size_t c = 0; c < t->ncoders; c++)
			if (c != coder && row[c] != AGREE_MISSING)
				count[row[c]] = 0;
		cell[2 * u] = row[coder];
		cell[2 * u + 1] = tie ? AGREE_MISSING : best;
	}
	const char *names[2] = {t->coder[coder], "rest"};
	int rc = agree_table_from_codes(out, t->nunits, 2, cell, t->nvalues, t->numeric ? t->num : NULL, names,
					(const char *const *)t->value, err);
	ml_free(cell);
	ml_free(count);
	return rc;
}

int agree_table_binarize(const struct agree_table *t, uint32_t code, struct agree_table *out, struct ml_err *err)
{
	agree_table_init(out);
	if (code >= t->nvalues)
		return ml_err_set(err, ML_EINVAL, "value code %u out of range", code);
	size_t n = t->nunits * t->ncoders;
	uint32_t *cell = ml_malloc((n ? n : 1) * sizeof(*cell));
	if (!cell)
		return ml_err_set(err, ML_ENOMEM, "out of memory binarizing a table");
	for (size_t i = 0; i < n; i++)
		cell[i] = t->cell[i] == AGREE_MISSING ? AGREE_MISSING : (t->cell[i] == code ? 1u : 0u);
	const double num[2] = {0, 1};
	int rc = agree_table_from_codes(out, t->nunits, t->ncoders, cell, 2, num, (const char *const *)t->coder, NULL,
					err);
	ml_free(cell);
	return rc;
}
