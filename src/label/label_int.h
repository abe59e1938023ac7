/* label_int.h: what the label module's files share: JSON pointers being built, JSON loading with
 * PHI-free error messages, and typed field readers that report errors by pointer. */
#ifndef ML_LABEL_INT_H
#define ML_LABEL_INT_H

#include "label/label.h"

#include <jansson.h>
#include <string.h>

/* A JSON pointer under construction. push returns the old length; pop restores it. Long pointers are
 * truncated (err->field has 128 bytes anyway), never overflowed. */
struct lptr {
	char s[256];
	size_t n;
};
void lptr_init(struct lptr *p);
size_t lptr_key(struct lptr *p, const char *key);
size_t lptr_idx(struct lptr *p, size_t i);
void lptr_pop(struct lptr *p, size_t old);

/* err = ML_EINVAL with field = the pointer (plus `key` if non-NULL) and the formatted message. */
int lerr(struct ml_err *err, const struct lptr *p, const char *key, const char *fmt, ...) ML_PRINTF(4, 5);

/* json_loadb with duplicate keys refused and the error reduced to byte offset + reason (jansson's
 * "near '...'" part quotes input, which may be PHI, so it is dropped). what = "schema", "annotation". */
json_t *label_json_load(const char *json, size_t len, size_t max, const char *what, struct ml_err *err);

/* Fails on the first key of obj not listed in allowed (NULL-terminated); kind names the object for the
 * message ("a span control"). */
int lcheck_keys(json_t *obj, const char *const *allowed, const char *what, struct lptr *p, struct ml_err *err);

/* Typed readers: each takes the parent object and key; `required` makes absence an error, otherwise
 * absence leaves *out untouched and returns 0 (the caller sets the default first). */
int lget_str(json_t *obj, const char *key, bool required, size_t maxlen, const char **out, struct lptr *p,
	     struct ml_err *err);
int lget_bool(json_t *obj, const char *key, bool *out, struct lptr *p, struct ml_err *err);
int lget_int(json_t *obj, const char *key, bool required, long long min, long long max, long long *out,
	     struct lptr *p, struct ml_err *err);
/* Any JSON number >= min (integers too). */
int lget_num(json_t *obj, const char *key, bool required, double min, double *out, struct lptr *p,
	     struct ml_err *err);
/* An array with minn..maxn elements (maxn 0 = no limit). */
int lget_arr(json_t *obj, const char *key, bool required, size_t minn, size_t maxn, json_t **out,
	     struct lptr *p, struct ml_err *err);

/* A name of a control, attribute or keypoint: letter first, then letters, digits, '_', '-', '.'. */
bool lname_ok(const char *s);
/* A label value, id or code: non-empty, no control characters, no leading/trailing space. */
bool lvalue_ok(const char *s);
/* The modality bits each kind may be used with. */
unsigned lkind_modalities(enum label_kind k);
/* "text" -> 1u << 1 ... "survey" -> 1u << 7; 0 if unknown. */
unsigned lmodality_bit(const char *name);
const char *lmodality_name(int bit);

#define LMOD_ALL 0xFEu

#endif
