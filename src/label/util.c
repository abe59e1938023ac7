/* util.c: JSON pointers, JSON loading and typed field readers shared by schema and annotation checks. */
#include "label/label_int.h"

#include <stdio.h>
#include <string.h>

void lptr_init(struct lptr *p)
{
	p->s[0] = '\0';
	p->n = 0;
}

static void lptr_putc(struct lptr *p, char c)
{
	if (p->n + 1 < sizeof p->s) {
		p->s[p->n++] = c;
		p->s[p->n] = '\0';
	}
}

size_t lptr_key(struct lptr *p, const char *key)
{
	size_t old = p->n;
	lptr_putc(p, '/');
	for (const char *k = key; *k; k++) {
		if (*k == '~') {
			lptr_putc(p, '~');
			lptr_putc(p, '0');
		} else if (*k == '/') {
			lptr_putc(p, '~');
			lptr_putc(p, '1');
		} else {
			lptr_putc(p, *k);
		}
	}
	return old;
}

size_t lptr_idx(struct lptr *p, size_t i)
{
	char num[32];
	snprintf(num, sizeof num, "%zu", i);
	return lptr_key(p, num);
}

void lptr_pop(struct lptr *p, size_t old)
{
	if (old <= p->n) {
		p->n = old;
		p->s[old] = '\0';
	}
}

int lerr(struct ml_err *err, const struct lptr *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ml_err_setv(err, ML_EINVAL, fmt, ap);
	va_end(ap);
	if (err) {
		struct lptr q = *p;
		if (key)
			lptr_key(&q, key);
		size_t n = q.n < sizeof err->field - 1 ? q.n : sizeof err->field - 1;
		memcpy(err->field, q.s, n);
		err->field[n] = '\0';
	}
	return -1;
}

json_t *label_json_load(const char *json, size_t len, size_t max, const char *what, struct ml_err *err)
{
	if (len > max) {
		ml_err_set(err, ML_ELIMIT, "%s is %zu bytes, more than the limit of %zu", what, len, max);
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* Keep jansson's reason but drop " near '<input>'", which would echo the document. */
		char reason[160];
		snprintf(reason, sizeof reason, "%s", je.text);
		char *near = strstr(reason, " near ");
		if (near)
			*near = '\0';
		/* jansson counts the bytes consumed, the offending one included: report that byte's 0-based
		 * offset (as the HTTP layer does) and, for editors, jansson's 1-based line and column. */
		ml_err_set(err, ML_EINVAL, "malformed JSON in %s at byte %d (line %d, column %d): %s", what,
			   je.position > 0 ? je.position - 1 : 0, je.line, je.column, reason);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		ml_err_field(err, ML_EINVAL, "", "%s must be a JSON object", what);
		return NULL;
	}
	return root;
}

/* Copies a key for a message: at most 40 bytes, control characters replaced, UTF-8 not cut mid-sequence. */
static void safe_key(const char *key, char *out, size_t outlen)
{
	size_t n = 0;
	while (key[n] && n < 40 && n + 1 < outlen)
		n++;
	if (key[n])
		while (n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80)
			n--; /* back to the start of the cut sequence */
	for (size_t i = 0; i < n; i++)
		out[i] = ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) ? '?' : key[i];
	out[n] = '\0';
}

int lcheck_keys(json_t *obj, const char *const *allowed, const char *what, struct lptr *p, struct ml_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0) {
				ok = true;
				break;
			}
		if (!ok) {
			char k[48];
			safe_key(key, k, sizeof k);
			return lerr(err, p, key, "unknown field '%s' in %s", k, what);
		}
	}
	return 0;
}

int lget_str(json_t *obj, const char *key, bool required, size_t maxlen, const char **out, struct lptr *p,
	     struct ml_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return lerr(err, p, NULL, "missing required field '%s'", key);
		return 0;
	}
	if (!json_is_string(v))
		return lerr(err, p, key, "expected a string");
	size_t n = json_string_length(v);
	if (n == 0)
		return lerr(err, p, key, "expected a non-empty string");
	if (n > maxlen)
		return lerr(err, p, key, "expected at most %zu bytes, got %zu", maxlen, n);
	if (strlen(json_string_value(v)) != n)
		return lerr(err, p, key, "string contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

int lget_bool(json_t *obj, const char *key, bool *out, struct lptr *p, struct ml_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return lerr(err, p, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

int lget_int(json_t *obj, const char *key, bool required, long long min, long long max, long long *out,
	     struct lptr *p, struct ml_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return lerr(err, p, NULL, "missing required field '%s'", key);
		return 0;
	}
	if (!json_is_integer(v))
		return lerr(err, p, key, "expected an integer");
	long long x = json_integer_value(v);
	if (x < min || x > max) {
		if (max == INT64_MAX)
			return lerr(err, p, key, "expected an integer >= %lld, got %lld", min, x);
		return lerr(err, p, key, "expected an integer from %lld to %lld, got %lld", min, max, x);
	}
	*out = x;
	return 0;
}

int lget_num(json_t *obj, const char *key, bool required, double min, double *out, struct lptr *p,
	     struct ml_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return lerr(err, p, NULL, "missing required field '%s'", key);
		return 0;
	}
	if (!json_is_number(v))
		return lerr(err, p, key, "expected a number");
	double x = json_number_value(v);
	if (!(x >= min))
		return lerr(err, p, key, "expected a number >= %g", min);
	*out = x;
	return 0;
}

int lget_arr(json_t *obj, const char *key, bool required, size_t minn, size_t maxn, json_t **out,
	     struct lptr *p, struct ml_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return lerr(err, p, NULL, "missing required field '%s'", key);
		*out = NULL;
		return 0;
	}
	if (!json_is_array(v))
		return lerr(err, p, key, "expected an array");
	size_t n = json_array_size(v);
	if (n < minn)
		return lerr(err, p, key, minn == 1 ? "expected a non-empty array" : "expected at least %zu elements",
			    minn);
	if (maxn && n > maxn)
		return lerr(err, p, key, "expected at most %zu elements, got %zu", maxn, n);
	*out = v;
	return 0;
}

bool lname_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > LABEL_MAX_NAME)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool lvalue_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > LABEL_MAX_VALUE || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Bits follow enum store_modality: text 1, image 2, dicom-series 3, volume 4, audio 5, video 6, survey 7. */
static const char *const modality_names[] = {NULL, "text", "image", "dicom-series", "volume", "audio", "video",
					     "survey"};
#define M(i) (1u << (i))
#define M_PIXELS (M(2) | M(3) | M(4) | M(6))

unsigned lmodality_bit(const char *name)
{
	for (int i = 1; i < (int)ML_ARRAY_LEN(modality_names); i++)
		if (strcmp(modality_names[i], name) == 0)
			return M(i);
	return 0;
}

const char *lmodality_name(int bit)
{
	return bit >= 1 && bit < (int)ML_ARRAY_LEN(modality_names) ? modality_names[bit] : "";
}

unsigned lkind_modalities(enum label_kind k)
{
	switch (k) {
	case LABEL_KIND_SPAN: return M(1) | M(7);
	case LABEL_KIND_BOX:
	case LABEL_KIND_ROTATED_BOX:
	case LABEL_KIND_POLYGON:
	case LABEL_KIND_POLYLINE:
	case LABEL_KIND_KEYPOINTS:
	case LABEL_KIND_ELLIPSE:
	case LABEL_KIND_MASK: return M_PIXELS;
	case LABEL_KIND_OBJECT3D: return M(3) | M(4);
	case LABEL_KIND_AUDIO_SEGMENT: return M(5) | M(6);
	case LABEL_KIND_VIDEO_TRACK: return M(6);
	case LABEL_KIND_SURVEY_CODE: return M(7);
	default: return LMOD_ALL;
	}
}

unsigned label_kind_modalities(enum label_kind k)
{
	return (int)k > 0 && k < LABEL_KIND_COUNT_ ? lkind_modalities(k) : 0;
}

static const char *const kind_names[LABEL_KIND_COUNT_] = {
	"", "classification", "span", "relation", "coded", "text", "box", "rotated_box", "polygon", "polyline",
	"keypoints", "ellipse", "mask", "object3d", "audio_segment", "video_track", "survey_code"};

const char *label_kind_name(enum label_kind k)
{
	return (int)k > 0 && k < LABEL_KIND_COUNT_ ? kind_names[k] : "";
}

enum label_kind label_kind_parse(const char *name)
{
	for (int i = 1; i < LABEL_KIND_COUNT_; i++)
		if (strcmp(kind_names[i], name) == 0)
			return (enum label_kind)i;
	return LABEL_KIND_NONE;
}

bool label_kind_is_region(enum label_kind k)
{
	switch (k) {
	case LABEL_KIND_SPAN:
	case LABEL_KIND_BOX:
	case LABEL_KIND_ROTATED_BOX:
	case LABEL_KIND_POLYGON:
	case LABEL_KIND_POLYLINE:
	case LABEL_KIND_KEYPOINTS:
	case LABEL_KIND_ELLIPSE:
	case LABEL_KIND_MASK:
	case LABEL_KIND_OBJECT3D:
	case LABEL_KIND_AUDIO_SEGMENT:
	case LABEL_KIND_VIDEO_TRACK: return true;
	default: return false;
	}
}

void label_item_ctx_init(struct label_item_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->text_cp = -1;
}
