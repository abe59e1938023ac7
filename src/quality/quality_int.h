/* quality_int.h: helpers shared inside src/quality (not part of the module's interface): masks of an
 * annotation body decoded into per-(label, frame) planes, for the report's Dice / HD95 and STAPLE consensus. */
#ifndef ML_QUALITY_INT_H
#define ML_QUALITY_INT_H

#include "core/core.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* One plane: the union of an annotator's masks of one label on one frame (frame -1 when the result has
 * none), decoded from the row-major RLE of docs/SCHEMA.md. */
struct qmask_plane {
	const char *label; /* points into the body's JSON */
	int64_t frame;
	uint32_t h, w;
	uint8_t *v; /* h x w, 1 = inside (owned) */
	uint64_t area;
};
struct qmask_set {
	struct qmask_plane *p;
	size_t n, alloc;
	bool object3d; /* the control's results were object3d (parts per frame) */
};
/* Largest plane decoded (pixels) and total pixels of one annotator's set: bounds the memory a body can ask for. */
#define QMASK_MAX_PIXELS (64u << 20)
#define QMASK_MAX_TOTAL_PIXELS (512u << 20)

/* A result is a mask result when it has an "rle" object or "parts" with one. */
bool qmask_is_mask_result(json_t *res);
/* Decodes every mask result of `control` in body (mask results and object3d parts with "rle"; polygon parts
 * are ignored). Malformed RLE (not integers, wrong sum, size not [h, w] > 0) is ML_EINVAL naming `who` and
 * the control. */
int qmask_collect(json_t *body, const char *control, const char *who, struct qmask_set *out,
		  struct ml_err *err) ML_MUST_CHECK;
void qmask_set_release(struct qmask_set *s);
/* The plane of (label, frame), or NULL. */
const struct qmask_plane *qmask_find(const struct qmask_set *s, const char *label, int64_t frame);

#endif
