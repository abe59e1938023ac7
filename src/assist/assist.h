/* assist: pure geometry for image and volume labels, and the assists that propose masks a human then
 * confirms. No I/O, no DICOM: masks are uint8_t arrays (0 background, non-zero foreground) laid out
 * row-major (x fastest) in 2-D, and x fastest, then y, then z in 3-D, matching struct media_volume.
 *
 *   COCO RLE      assist_coco_rle_encode/decode: column-major run lengths as pycocotools counts them,
 *                 and assist_coco_rle_to_string/from_string, the compressed "counts" string of COCO JSON.
 *   Polygons      assist_polygon_fill: even-odd scanline fill sampled at pixel centres (x + 0.5, y + 0.5).
 *   Assists       assist_threshold, assist_magic_wand, assist_region_grow (flood from a seed within [lo, hi], 4/8- or
 *                 6/26-connected), assist_components (labels and sizes), assist_fill_holes (2-D per slice
 *                 or 3-D), assist_interpolate (shape-based: signed Euclidean distance maps of two masks
 *                 blended at t and thresholded at 0).
 *   Measures      assist_measure (area mm² / volume ml, mean, SD, min, max), assist_longest_diameter (RECIST),
 *                 assist_box_interpolate (keyframes).
 *   SEG frames    assist_pack_bits/unpack_bits: 1-bit Pixel Data, LSB first, frames unpadded.
 *   Scores        assist_dice.
 *
 * Sizes are checked (dimensions multiply without overflow, at most ASSIST_MAX_VOXELS); functions that
 * allocate return 0 or -1 with struct ml_err filled.
 */
#ifndef ML_ASSIST_H
#define ML_ASSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define ASSIST_MAX_VOXELS ((size_t)1 << 31)

/* ---- COCO run-length encoding --------------------------------------------------------------------- */

/* Encodes mask[h*w] (row-major) as COCO counts: runs over the column-major order, starting with a
 * (possibly empty) background run. *counts is ml_malloc'ed; *n its length. */
int assist_coco_rle_encode(const uint8_t *mask, uint32_t h, uint32_t w, uint32_t **counts, size_t *n,
			   struct ml_err *err) ML_MUST_CHECK;
/* Decodes COCO counts into mask[h*w] (row-major, 0/1); fails when the runs do not add up to h*w. */
int assist_coco_rle_decode(const uint32_t *counts, size_t n, uint32_t h, uint32_t w, uint8_t *mask,
			   struct ml_err *err) ML_MUST_CHECK;
/* The compressed string form of counts (pycocotools' rleToString), appended to out. */
int assist_coco_rle_to_string(const uint32_t *counts, size_t n, struct ml_buf *out) ML_MUST_CHECK;
/* Parses the compressed string; *counts is ml_malloc'ed. Fails on bad characters or negative runs. */
int assist_coco_rle_from_string(const char *s, size_t len, uint32_t **counts, size_t *n, struct ml_err *err)
	ML_MUST_CHECK;

/* ---- polygons ------------------------------------------------------------------------------------- */

/* Fills the polygon xy[2*n] (pixel coordinates, x right, y down; edges join consecutive points and the
 * last to the first) into mask[h*w] with value v, even-odd rule, a pixel is inside when its centre is. */
int assist_polygon_fill(const double *xy, size_t n, uint32_t h, uint32_t w, uint8_t v, uint8_t *mask,
			struct ml_err *err) ML_MUST_CHECK;

/* ---- assists -------------------------------------------------------------------------------------- */

/* dims[3] = {x, y, z} (z = 1 for 2-D). Values are read as float (a volume's rescaled HU, for example). */
struct assist_grid {
	uint32_t dims[3];
	const float *values; /* dims[0]*dims[1]*dims[2], may be NULL for mask-only operations */
};

/* mask[i] = lo <= values[i] <= hi. */
int assist_threshold(const struct assist_grid *g, float lo, float hi, uint8_t *mask, struct ml_err *err)
	ML_MUST_CHECK;
/* Connectivity: 4 or 8 within a slice, 6 or 26 in 3-D. */
/* Grows from seed (x, y, z) over voxels with lo <= value <= hi; mask receives 1 for the region (others are
 * left as they were: pass a zeroed mask). *count is the region size (0 when the seed is out of range). */
int assist_region_grow(const struct assist_grid *g, const uint32_t seed[3], float lo, float hi, int connectivity,
		       uint8_t *mask, size_t *count, struct ml_err *err) ML_MUST_CHECK;
/* Magic wand: region growing from seed over values within tolerance of the seed's own value. */
int assist_magic_wand(const struct assist_grid *g, const uint32_t seed[3], float tolerance, int connectivity,
		      uint8_t *mask, size_t *count, struct ml_err *err) ML_MUST_CHECK;
/* Labels the connected components of mask: labels[i] = 1..ncomp (0 background), numbered in scan order;
 * *sizes (ml_malloc'ed, ncomp + 1 entries, sizes[0] = 0) the voxel count of each. */
int assist_components(const uint8_t *mask, const uint32_t dims[3], int connectivity, uint32_t *labels,
		      uint32_t *ncomp, size_t **sizes, struct ml_err *err) ML_MUST_CHECK;
/* Fills holes: background not connected to the border becomes 1. per_slice: each z slice on its own
 * (4-connected background), else in 3-D (6-connected background). In place. */
int assist_fill_holes(uint8_t *mask, const uint32_t dims[3], bool per_slice, struct ml_err *err) ML_MUST_CHECK;
/* Shape-based interpolation between 2-D masks a and b (h*w) at t in [0, 1]: the signed distance maps
 * (negative inside) are blended and out = blend < 0. */
int assist_interpolate(const uint8_t *a, const uint8_t *b, uint32_t h, uint32_t w, double t, uint8_t *out,
		       struct ml_err *err) ML_MUST_CHECK;

/* ---- measurements ---------------------------------------------------------------------------------- */

struct assist_stats {
	size_t count;          /* voxels in the region */
	double size;           /* area in mm² (one slice) or volume in ml (several slices) */
	double mean, sd, min, max; /* of the values inside (0 when the region is empty or there are no values) */
};
/* Statistics of the region mask != 0 over grid g; spacing[3] in mm (x, y, z). A grid with dims[2] == 1 gives
 * an area in mm², otherwise a volume in ml (cm³). sd is the population standard deviation. */
int assist_measure(const struct assist_grid *g, const uint8_t *mask, const double spacing[3],
		   struct assist_stats *out, struct ml_err *err) ML_MUST_CHECK;
/* RECIST-style longest diameter of a 2-D region (mm): the largest distance between the outer corners of
 * its pixels, measured with pixel spacing (x, y). *ends receives the two end points in pixel coordinates
 * (x0, y0, x1, y1) when non-NULL. 0 for an empty region. */
int assist_longest_diameter(const uint8_t *mask, uint32_t h, uint32_t w, const double spacing[2], double *mm,
			    double ends[4], struct ml_err *err) ML_MUST_CHECK;
/* Linear interpolation of an axis-aligned box (x, y, width, height) between keyframes fa and fb at frame f
 * (fa < fb, fa <= f <= fb). */
int assist_box_interpolate(const double a[4], uint32_t fa, const double b[4], uint32_t fb, uint32_t f, double out[4],
			   struct ml_err *err) ML_MUST_CHECK;

/* ---- binary frames for DICOM SEG ----------------------------------------------------------------------- */

/* Packs n mask values (non-zero = 1) into bits, least significant bit first, as DICOM 1-bit Pixel Data
 * (frames follow each other without padding; the caller pads the whole value to an even length).
 * out needs (n + 7) / 8 bytes; bit_offset (0..7) starts mid-byte for a frame that follows another. */
void assist_pack_bits(const uint8_t *mask, size_t n, uint8_t *out, unsigned bit_offset);
/* The reverse: n values of 0/1 from bits starting at bit_offset. */
void assist_unpack_bits(const uint8_t *bits, size_t n, unsigned bit_offset, uint8_t *mask);

/* Dice coefficient 2|A∩B| / (|A|+|B|) of two masks of n voxels (1 when both are empty). */
double assist_dice(const uint8_t *a, const uint8_t *b, size_t n);

#endif
