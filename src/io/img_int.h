/* img_int.h: what the imaging exporters (NIfTI labels, DICOM SEG, COCO, YOLO, VOC, measurements) share:
 * a DICOM series item's geometry and per-frame sources, read from its stored instances, and the
 * annotation results of an item rasterised to per-frame masks with their schema label.
 *
 * Frames. An annotation's `frame` k is the k-th frame across the item's instances in the order the DICOM
 * importer stored them (meta.dicom.instances). struct io_img_series keeps that order in frames[] and adds,
 * for each frame, its slot: the slice index k of the volume built by media_series_plan (increasing
 * position along the slice normal), so label maps and SEG frames never depend on file order.
 */
#ifndef ML_IO_IMG_INT_H
#define ML_IO_IMG_INT_H

#include <jansson.h>

#include "io/io_int.h"
#include "label/label.h"
#include "media/media.h"

#define IO_IMG_NO_SLOT UINT32_MAX

struct io_img_frame {
	char sop_uid[65];
	uint32_t file_frame;  /* frame index within its instance */
	uint32_t slot;        /* slice index in vol (IO_IMG_NO_SLOT: excluded by the plan: other geometry) */
	size_t instance;      /* index into io_img_series.paths */
	double ipp[3];        /* Image Position (Patient) of this frame */
};

/* Attributes of the source copied into derived objects (DICOM SEG). Strings are "" when absent. */
struct io_img_source {
	char sop_class[65], study_uid[65], series_uid[65], for_uid[65], modality[17];
	char patient_name[200], patient_id[80], birth_date[20], sex[20];
	char study_date[20], study_time[32], study_id[20], accession[20], referring[200];
	bool multiframe;      /* an instance holds several frames (Referenced Frame Number is needed) */
};

struct io_img_series {
	size_t nframes;
	struct io_img_frame *frames;  /* in annotation frame order */
	size_t ninstances;
	char **paths;              /* stored media file of each instance */
	uint32_t rows, cols;
	double iop[6];
	double pixel_spacing[2];   /* between rows, between columns (mm) */
	double step;               /* between slices (mm) */
	struct media_volume vol;   /* geometry (dims, spacing, affine); data as asked by io_img_series_load */
	struct io_img_source src;
};
void io_img_series_init(struct io_img_series *s);
void io_img_series_release(struct io_img_series *s);
/* Reads a DICOM series item's instances (headers, and pixels when `pixels`): vol receives the geometry
 * and a zeroed label map of `dtype`, or, with pixels, the rescaled values (dtype MEDIA_F32). */
int io_img_series_load(const char *data_dir, const struct store_item *it, bool pixels, enum media_dtype dtype,
		    struct io_img_series *s, struct ml_err *err) ML_MUST_CHECK;

/* Reads a volume item's stored NIfTI (media files have no extension, which libnifti needs: the file is
 * reached through a symbolic link named .nii or .nii.gz, by its gzip magic, in a private folder of the
 * data folder). */
int io_img_volume_read(const char *data_dir, const struct store_item *it, struct media_volume *v, struct ml_err *err)
	ML_MUST_CHECK;

/* One region of an annotation rasterised on one frame. mask is h*w row-major 0/1, borrowed for the call. */
struct io_img_region {
	const struct label_control *control;
	const struct label_label *label;
	int mask_value;          /* the label's mask_value, or its 1-based index in the control when it has none */
	int64_t annotation_id;
	const char *result_id;
	uint32_t frame;          /* 0 when the result names none */
	const uint8_t *mask;
	uint32_t h, w;
};
typedef int (*io_img_region_fn)(void *ctx, const struct io_img_region *r, struct ml_err *err);

/* Calls fn for every mask, polygon and object3d part of the row's annotations (in annotation id order,
 * results in body order, parts in order) rasterised on an h*w grid. Results of other kinds are skipped.
 * A mask whose size differs from h*w, a frame >= nframes (when nframes > 0) or a malformed body fails
 * with ML_EINVAL naming the item, annotation and result. */
int io_img_each_region(const struct label_schema *schema, const struct io_export_row *row, uint32_t h, uint32_t w,
		    uint32_t nframes, io_img_region_fn fn, void *ctx, struct ml_err *err) ML_MUST_CHECK;

/* The export's schema, parsed (NULL schema_json: ML_EINVAL naming the format). */
int io_img_schema(const struct io_export *ex, const char *format, struct label_schema **out, struct ml_err *err)
	ML_MUST_CHECK;
/* The .end of an imaging exporter whose state is one allocation whose first member is its owned
 * `struct label_schema *schema` (C lets a pointer to a struct be read as a pointer to its first member):
 * frees the schema and the state. */
int io_img_state_end(struct io_export *ex, bool ok, struct ml_err *err);
/* The mask value of a label: mask_value, or its 1-based position in its control when it has none. */
int io_img_mask_value(const struct label_control *c, const struct label_label *l);

/* Size of a 2-D image item: meta {"width","height"} when given, else the PNG or JPEG header of its media. */
int io_img_image_size(const char *data_dir, const struct store_item *it, uint32_t *w, uint32_t *h, struct ml_err *err)
	ML_MUST_CHECK;

/* A DICOM DS value (at most 16 characters) for v. */
void io_img_ds(double v, char out[20]);
/* Hex BLAKE2b-256 of a file's bytes. */
int io_img_file_hash(const char *path, char out[65], struct ml_err *err) ML_MUST_CHECK;

#endif

/* ---- reading region results: shared by the region walk (label maps, SEG) and the shape walk (2-D formats) */

/* Scratch of a walk over many results, grown to the largest seen and kept between them; owned by the walk,
 * freed with io_img_scratch_release. */
struct io_img_scratch {
	uint32_t *counts; /* mask runs (at most h*w + 1) */
	size_t counts_cap;
	double *xy;       /* polygon points, x y pairs */
	size_t xy_cap;
};
void io_img_scratch_release(struct io_img_scratch *s);
/* Decodes a result's {"size":[h,w],"counts":[...]} into mask (h*w bytes), the runs into s->counts
 * (*nruns of them). Returns 0; 1 with *why saying what is wrong with the result (the caller names the
 * result); -1 out of memory (err set). */
int io_img_rle_read(json_t *rle, uint32_t h, uint32_t w, struct io_img_scratch *s, uint8_t *mask, size_t *nruns,
		    const char **why, struct ml_err *err) ML_MUST_CHECK;
/* Reads a points list [[x, y], ...] (3 to 1,000,000 points) into s->xy; *npts of them. Returns as above. */
int io_img_points_read(json_t *pts, struct io_img_scratch *s, size_t *npts, const char **why, struct ml_err *err)
	ML_MUST_CHECK;

/* ---- 2-D shapes for COCO, YOLO and VOC -------------------------------------------------------------- */

/* One region result (or object3d part) on one image or frame, with what the 2-D formats need. */
struct io_img_shape {
	const struct label_control *control;
	const struct label_label *label;
	int category;            /* 1-based over the region labels of the schema (io_img_category) */
	enum label_kind kind;    /* of the control; object3d parts come as LABEL_KIND_MASK or _POLYGON */
	bool part;               /* an object3d part */
	int64_t annotation_id;
	const char *result_id;   /* "" when the result has none */
	uint32_t frame;          /* 0 when the result names none */
	double bbox[4];          /* x, y, w, h (pixels); w == 0 for an empty mask */
	double area;             /* pixels (polygon: shoelace; box: w*h; mask: count) */
	const double *xy;        /* outline (polygon, box and rotated box corners, ellipse): npts points */
	size_t npts;
	const uint8_t *mask;     /* masks: h*w row-major 0/1, else NULL */
	uint32_t h, w;
	const double *kp;        /* keypoints: 3 per control point (x, y, v: 0 absent, 1 hidden, 2 visible) */
	size_t nkp_labelled;
};
typedef int (*io_img_shape_fn)(void *ctx, const struct io_img_shape *s, struct ml_err *err);

/* Region kinds that the 2-D formats carry (box, rotated box, polygon, ellipse, keypoints, mask, object3d). */
bool io_img_kind_is_2d(enum label_kind k);
/* Category number of a label: 1-based over the labels of 2-D region controls in schema order; 0 if none. */
int io_img_category(const struct label_schema *s, const struct label_control *c, const struct label_label *l);
/* Calls fn for every 2-D region of the row's annotations, on an h*w image with nframes frames. */
int io_img_each_shape(const struct label_schema *schema, const struct io_export_row *row, uint32_t h, uint32_t w,
		   uint32_t nframes, io_img_shape_fn fn, void *ctx, struct ml_err *err) ML_MUST_CHECK;

/* The images of an item for 2-D formats: an image item is one image; a DICOM series item one image per
 * frame (rows and columns from its meta). */
struct io_img_view {
	uint32_t w, h, nframes;  /* nframes 1 for an image item */
	bool series;
};
int io_img_view_of(const char *data_dir, const struct store_item *it, struct io_img_view *v, struct ml_err *err) ML_MUST_CHECK;
/* Writes s to f with XML escaping (& < > " '). */
void io_img_put_xml(FILE *f, const char *s);
