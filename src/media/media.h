/* media: image pixels, volumes and rendering. Decoupled from the DICOM parser: callers describe an image
 * with struct media_image_desc (the values of the Image Pixel module and the transfer syntax) and hand over
 * bytes; media decodes them into a struct media_frame, renders frames to PNG or raw 16-bit, assembles
 * slices into a struct media_volume with a voxel→patient (LPS, mm) affine, and reads NIfTI-1/2.
 * src/media/dicom_frames.c is the one place that knows the DICOM parser (dicom_*).
 *
 * Decoding
 *   Native pixel data: media_decode_native(desc, value bytes, frame index).
 *   Encapsulated: media_encap_parse() lists the items of the Pixel Data value (offset table, fragments),
 *   media_encap_frame() picks the fragments of one frame (Extended Offset Table, Basic Offset Table, one
 *   fragment per frame, or JPEG/J2K start markers when the table is empty), media_decode_fragments()
 *   decodes them with the codec of the transfer syntax.
 *   Codecs: JPEG baseline/extended 8-bit (libjpeg-turbo); 12-bit sequential DCT JPEG (own decoder: Debian
 *   12's libjpeg-turbo 2.1.5 is built for 8-bit samples and has no jpeg12 API); JPEG lossless process 14 /
 *   SV1 (own decoder: predictors 1-7, point transform, restart intervals, 2-16 bits); JPEG-LS (CharLS);
 *   JPEG 2000 J2K/JP2 and HTJ2K (openjpeg); RLE Lossless (own, PS3.5 Annex G). Progressive and
 *   arithmetic-coded 12-bit JPEG fail with ML_EUNSUPPORTED.
 *
 * A decoded frame holds interleaved samples (planar configuration is undone), one sample type per bit
 * depth (8 → U8/I8, 16 → U16/I16, 32 → U32/I32; 1-bit data becomes U8 0/1), signed values sign-extended
 * from the high bit, unsigned values masked to Bits Stored. Colour stays in the colour space named by
 * frame.photometric (YBR_FULL_422 is upsampled to YBR_FULL; JPEG decoders that convert YCbCr report RGB);
 * media_frame_to_rgb() converts YBR_FULL and PALETTE COLOR (media_palette) to RGB.
 *
 * Every length and count from the input is checked against what is left; a corrupt stream fails with
 * ML_EINVAL and a message naming the byte offset, never a crash. Frames are capped at MEDIA_MAX_FRAME_BYTES.
 *
 * Rendering
 *   media_render_png(frame, params, max_size) → PNG bytes (8-bit grey or RGB) after the Modality LUT
 *   (rescale or a LUT), VOI (window linear / linear exact / sigmoid, or a VOI LUT), MONOCHROME1 inversion
 *   and an optional box-filter thumbnail downscale. media_render_raw16() gives little-endian 16-bit samples and a
 *   JSON header for a browser that windows itself. Presets: media_preset_find("lung").
 *
 * Volumes
 *   media_series_plan() sorts slices (struct media_slice: position, orientation, spacing, UIDs) along the
 *   normal of Image Orientation (Patient), groups them by study/series/orientation, and reports gaps,
 *   duplicates and inconsistent spacing in struct media_series_report; media_volume_from_plan() allocates
 *   the voxel buffer and media_volume_put_slice() fills it. media_nifti_read() reads NIfTI-1/2 into the
 *   same type (RAS → LPS), media_nifti_write() writes one.
 *
 * DICOM glue (the end of this header): media_dicom_load/decode for frames as numbers, media_dicom_slices for
 * geometry, media_dicom_render(_mem) for GET /api/v1/items/{id}/frames/{n}.
 */
#ifndef ML_MEDIA_H
#define ML_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define MEDIA_MAX_FRAME_BYTES ((size_t)1 << 31) /* 2 GiB: larger frames are refused, not allocated */
#define MEDIA_MAX_DIM 65535u

/* ---- image description --------------------------------------------------------------------------- */

enum media_pi {
	MEDIA_PI_UNKNOWN = 0,
	MEDIA_PI_MONOCHROME1,
	MEDIA_PI_MONOCHROME2,
	MEDIA_PI_RGB,
	MEDIA_PI_YBR_FULL,
	MEDIA_PI_YBR_FULL_422,
	MEDIA_PI_YBR_PARTIAL_420,
	MEDIA_PI_YBR_ICT,
	MEDIA_PI_YBR_RCT,
	MEDIA_PI_PALETTE_COLOR
};
/* "MONOCHROME2" → MEDIA_PI_MONOCHROME2; trailing spaces ignored; unknown → MEDIA_PI_UNKNOWN. */
enum media_pi media_pi_parse(const char *s);
const char *media_pi_name(enum media_pi pi);

enum media_syntax {
	MEDIA_TS_UNKNOWN = 0,
	MEDIA_TS_NATIVE_LE,   /* implicit / explicit / deflated little endian: pixel bytes are little endian */
	MEDIA_TS_NATIVE_BE,   /* explicit VR big endian (retired): 16/32-bit words are big endian */
	MEDIA_TS_JPEG_BASELINE,
	MEDIA_TS_JPEG_EXTENDED,
	MEDIA_TS_JPEG_LOSSLESS, /* process 14 and its SV1 variant */
	MEDIA_TS_JPEGLS,        /* lossless and near-lossless */
	MEDIA_TS_J2K,           /* JPEG 2000 (lossless, lossy, part 2) and HTJ2K */
	MEDIA_TS_RLE
};
enum media_syntax media_syntax_of_uid(const char *uid);
bool media_syntax_is_encapsulated(enum media_syntax ts);
/* True when the syntax loses information (JPEG lossy, lossy J2K, near-lossless JPEG-LS may). */
bool media_syntax_uid_is_lossy(const char *uid);

struct media_image_desc {
	uint32_t rows, columns;
	uint16_t samples_per_pixel;
	uint16_t bits_allocated, bits_stored, high_bit;
	uint16_t pixel_representation; /* 0 unsigned, 1 two's complement */
	enum media_pi photometric;
	uint16_t planar_configuration; /* 0 interleaved, 1 by plane */
	uint32_t number_of_frames;     /* 1 when absent */
	char transfer_syntax[65];      /* UID */
	uint8_t float_pixels;          /* 0 integer Pixel Data; 32: Float Pixel Data (7FE0,0008); 64: Double
					* Float Pixel Data (7FE0,0009). Float frames decode to MEDIA_F32. */
};
/* Checks the description for consistency (sizes, bit depths, samples vs photometric). */
int media_desc_validate(const struct media_image_desc *d, struct ml_err *err) ML_MUST_CHECK;
/* Bytes of one native frame (rounded up to whole bytes for 1-bit data); 0 on overflow. */
size_t media_desc_frame_bytes(const struct media_image_desc *d);

/* ---- decoded frames ------------------------------------------------------------------------------ */

enum media_dtype { MEDIA_U8, MEDIA_I8, MEDIA_U16, MEDIA_I16, MEDIA_U32, MEDIA_I32, MEDIA_F32 };
size_t media_dtype_size(enum media_dtype t);
const char *media_dtype_name(enum media_dtype t);

struct media_frame {
	uint32_t rows, columns;
	uint16_t samples;        /* 1 or 3, interleaved */
	enum media_dtype dtype;
	uint16_t bits_stored;    /* significant bits of each sample */
	enum media_pi photometric;
	void *data;              /* rows*columns*samples values of dtype; owned */
	size_t len;              /* bytes */
};
void media_frame_init(struct media_frame *f);
void media_frame_release(struct media_frame *f);
/* Allocates data for the given geometry (zeroed). */
int media_frame_alloc(struct media_frame *f, uint32_t rows, uint32_t columns, uint16_t samples,
		      enum media_dtype dtype, struct ml_err *err) ML_MUST_CHECK;
/* Sample i (0-based over rows*columns*samples) as a double. */
double media_frame_get(const struct media_frame *f, size_t i);

/* Native Pixel Data: `pixels` is the whole value (all frames); decodes frame `index` (0-based). */
int media_decode_native(const struct media_image_desc *d, const uint8_t *pixels, size_t len, uint32_t index,
			struct media_frame *out, struct ml_err *err) ML_MUST_CHECK;

/* ---- encapsulated pixel data --------------------------------------------------------------------- */

struct media_fragment {
	const uint8_t *data; /* borrowed from the caller's buffer */
	size_t len;
	uint64_t offset; /* of the item tag, counted from the first fragment's item tag (offset table basis) */
};

struct media_encap {
	const uint8_t *bot; /* Basic Offset Table value (may be empty) */
	size_t bot_len;
	struct media_fragment *frags; /* owned array, pointing into the caller's bytes */
	size_t nfrags;
	/* Extended Offset Table (7FE0,0001) and lengths (7FE0,0002), raw little-endian 64-bit values; set by
	 * the caller when present, borrowed. */
	const uint8_t *eot, *eot_lengths;
	size_t eot_len, eot_lengths_len;
};
void media_encap_init(struct media_encap *e);
void media_encap_release(struct media_encap *e);
/* Parses the Pixel Data value of undefined length: items (FFFE,E000), ending at the sequence delimiter
 * (FFFE,E0DD) or at the end of the bytes. The first item is the Basic Offset Table. */
int media_encap_parse(struct media_encap *e, const uint8_t *value, size_t len, struct ml_err *err) ML_MUST_CHECK;
/* Adds a fragment (for callers whose parser already split the items); offsets accumulate. */
int media_encap_add_fragment(struct media_encap *e, const uint8_t *data, size_t len, struct ml_err *err)
	ML_MUST_CHECK;
/* The fragments of frame `index` of `nframes`: *first and *count index e->frags. For the Extended Offset
 * Table, *trim gives the frame's byte length (0 = use the whole fragments). */
int media_encap_frame(const struct media_encap *e, uint32_t nframes, uint32_t index, size_t *first,
		      size_t *count, uint64_t *trim, struct ml_err *err) ML_MUST_CHECK;

/* Decodes one frame given its fragments, with the codec of d->transfer_syntax. */
int media_decode_fragments(const struct media_image_desc *d, const struct media_fragment *frags, size_t n,
			   struct media_frame *out, struct ml_err *err) ML_MUST_CHECK;
/* Decodes one frame from a single contiguous codestream (the codec entry points, also for fuzzing). */
int media_decode_rle(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
		     struct ml_err *err) ML_MUST_CHECK;
int media_decode_jpeg(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
		      struct ml_err *err) ML_MUST_CHECK;
int media_decode_jpeg_lossless(const struct media_image_desc *d, const uint8_t *p, size_t n,
			       struct media_frame *out, struct ml_err *err) ML_MUST_CHECK;
int media_decode_jpegls(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
			struct ml_err *err) ML_MUST_CHECK;
int media_decode_j2k(const struct media_image_desc *d, const uint8_t *p, size_t n, struct media_frame *out,
		     struct ml_err *err) ML_MUST_CHECK;

/* RLE Lossless encoder (PS3.5 Annex G) for tests and the writer: one frame of native bytes → one fragment. */
int media_encode_rle(const struct media_image_desc *d, const uint8_t *frame, size_t len, struct ml_buf *out,
		     struct ml_err *err) ML_MUST_CHECK;

/* ---- lookup tables and colour -------------------------------------------------------------------- */

/* A LUT as DICOM describes it: descriptor (entries, first mapped value, bits) and data. */
struct media_lut {
	uint32_t entries;   /* descriptor[0]; 0 in DICOM means 65536 (media_lut_set converts) */
	int32_t first;      /* first stored value mapped (descriptor[1], signed if the pixels are) */
	uint16_t bits;      /* bits per entry, 8 or 16 */
	uint16_t *data;     /* entries values; owned */
};
void media_lut_init(struct media_lut *l);
void media_lut_release(struct media_lut *l);
/* From a descriptor (3 values as stored) and raw little-endian data bytes: accepts 16-bit words, or 8-bit
 * entries packed in bytes when bits == 8 and len == entries. */
int media_lut_set(struct media_lut *l, const int32_t desc[3], const uint8_t *data, size_t len, struct ml_err *err)
	ML_MUST_CHECK;
/* From Segmented Palette Color LUT Data (discrete, linear and indirect segments, 16-bit words). */
int media_lut_set_segmented(struct media_lut *l, const int32_t desc[3], const uint8_t *data, size_t len,
			    struct ml_err *err) ML_MUST_CHECK;
uint16_t media_lut_lookup(const struct media_lut *l, int64_t v);

struct media_palette {
	struct media_lut red, green, blue;
};
void media_palette_init(struct media_palette *p);
void media_palette_release(struct media_palette *p);

/* Converts f in place to RGB: YBR_FULL / YBR_FULL_422 (already upsampled) and YBR_ICT to RGB with the
 * PS3.3 C.7.6.3.1.2 equations, YBR_RCT by the reversible transform, PALETTE COLOR through `palette`
 * (U16 samples, or U8 when every LUT is 8-bit). RGB and monochrome frames are left alone. */
int media_frame_to_rgb(struct media_frame *f, const struct media_palette *palette, struct ml_err *err) ML_MUST_CHECK;

/* ---- rendering ----------------------------------------------------------------------------------- */

enum media_voi_fn { MEDIA_VOI_LINEAR = 0, MEDIA_VOI_LINEAR_EXACT, MEDIA_VOI_SIGMOID };
enum media_voi_fn media_voi_fn_parse(const char *s); /* "LINEAR", "LINEAR_EXACT", "SIGMOID" */

struct media_render_params {
	double slope, intercept;  /* Modality LUT; slope 0 is taken as 1 */
	const struct media_lut *modality_lut; /* when set, replaces slope/intercept (Modality LUT Sequence) */
	bool has_window;
	double center, width;     /* VOI window */
	enum media_voi_fn voi_fn;
	const struct media_lut *voi_lut;     /* used when set and no window is given */
	const struct media_palette *palette; /* for PALETTE COLOR frames */
	bool invert;              /* set automatically for MONOCHROME1 */
};
void media_render_params_init(struct media_render_params *p); /* slope 1, intercept 0, no window */

struct media_preset {
	const char *name;
	double center, width;
};
/* lung (-600/1500), mediastinum (50/350), bone (500/2000), brain (40/80), abdomen (50/400); NULL if unknown. */
const struct media_preset *media_preset_find(const char *name);
extern const struct media_preset media_presets[];
extern const size_t media_npresets;

/* Maps a frame to 8-bit display values: grey (1 sample) or RGB (3 samples). *out is rows*cols*samples
 * bytes, free with ml_free. With no window and no VOI LUT, the full range of the rescaled values is used. */
int media_render_8bit(const struct media_frame *f, const struct media_render_params *p, uint8_t **out,
		      uint16_t *samples, struct ml_err *err) ML_MUST_CHECK;
/* Box-filter downscale of 8-bit pixels so that the larger side is at most max_size. */
int media_downscale(const uint8_t *in, uint32_t rows, uint32_t cols, uint16_t samples, uint32_t max_size,
		    uint8_t **out, uint32_t *orows, uint32_t *ocols, struct ml_err *err) ML_MUST_CHECK;
/* Encodes 8-bit grey or RGB pixels as PNG (libspng) appended to out. */
int media_png_encode(const uint8_t *pix, uint32_t rows, uint32_t cols, uint16_t samples, struct ml_buf *out,
		     struct ml_err *err) ML_MUST_CHECK;
/* Frame → PNG bytes with window/level; max_size > 0 makes a thumbnail. What GET .../frames/{n} serves. */
int media_render_png(const struct media_frame *f, const struct media_render_params *p, uint32_t max_size,
		     struct ml_buf *png, struct ml_err *err) ML_MUST_CHECK;
/* Raw little-endian 16-bit samples (int16 when signed, else uint16; 8-bit frames widened) for a browser to
 * window; `json` receives {"rows":..,"columns":..,"samples":..,"signed":..,"bits_stored":..,"slope":..,
 * "intercept":..,"photometric":"..","requantized":..,"window_center":..,"window_width":..}. Samples that do
 * not fit 16 bits (32-bit integers, floats) are requantised to uint16 over their range, with slope and
 * intercept adjusted so raw * slope + intercept still gives modality values ("requantized": true). */
int media_render_raw16(const struct media_frame *f, const struct media_render_params *p, struct ml_buf *raw,
		       struct ml_buf *json, struct ml_err *err) ML_MUST_CHECK;

/* ---- series and volumes -------------------------------------------------------------------------- */

/* What a slice contributes to a series: from DICOM attributes or per-frame functional groups. */
struct media_slice {
	char study_uid[65], series_uid[65], sop_uid[65];
	uint32_t frame;          /* frame index within its file (multi-frame) */
	int32_t instance_number;
	double ipp[3];           /* Image Position (Patient), mm, LPS */
	double iop[6];           /* Image Orientation (Patient): row direction cosines, then column */
	double spacing[2];       /* Pixel Spacing: between rows (mm), between columns (mm) */
	uint32_t rows, columns;
	double slope, intercept; /* Rescale Slope / Intercept of this slice (1 and 0 when absent) */
	void *user;              /* caller's handle (file, item id) */
};

struct media_series_report {
	size_t duplicates;       /* slices at the same position as another (dropped after the first) */
	size_t gaps;             /* places where the step is more than 1.5x the typical step */
	size_t missing;          /* estimated number of missing slices in those gaps */
	bool inconsistent_spacing; /* steps differ by more than 1% (beyond gaps) */
	bool mixed_geometry;     /* slices excluded: other orientation, size or pixel spacing */
	size_t excluded;
	double min_step, max_step, step; /* step = median distance between neighbours (mm) */
	char summary[256];       /* one line for logs and the UI; no PHI */
};

/* One volume's slice order. `order` indexes the caller's slice array, along increasing position on the
 * normal (row × column direction cosines). slot[i] is the k index of order[i] in the volume: consecutive
 * when spacing is regular, with holes where slices are missing (nslots > n then), never guessed when the
 * spacing is irregular (slots are then consecutive and report.inconsistent_spacing is set). */
struct media_series_plan {
	size_t *order;
	uint32_t *slot;
	size_t n;
	uint32_t nslots;
	double normal[3];
	struct media_series_report report;
};
void media_series_plan_init(struct media_series_plan *p);
void media_series_plan_release(struct media_series_plan *p);
/* Groups `slices` by study and series, takes the group of slices[0]... every slice sharing slices[ref]'s
 * study, series, orientation (within 1e-4), rows, columns and spacing, and sorts them. Fails for fewer than
 * one slice or degenerate orientation. */
int media_series_plan(const struct media_slice *slices, size_t n, size_t ref, struct media_series_plan *plan,
		      struct ml_err *err) ML_MUST_CHECK;
/* Distinct (study, series) groups: group[i] receives the group number of slice i; returns the count. */
size_t media_series_group(const struct media_slice *slices, size_t n, size_t *group);

/* A 3-D volume: voxel (i, j, k) = (column, row, slice) maps to patient LPS mm by affine · (i, j, k, 1). */
struct media_volume {
	uint32_t dims[3];       /* i (columns), j (rows), k (slices) */
	double spacing[3];      /* mm along i, j, k */
	double affine[4][4];    /* voxel → LPS mm */
	enum media_dtype dtype;
	void *data;             /* dims[0]*dims[1]*dims[2] values, i fastest */
	size_t len;             /* bytes */
};
void media_volume_init(struct media_volume *v);
void media_volume_release(struct media_volume *v);
int media_volume_alloc(struct media_volume *v, const uint32_t dims[3], enum media_dtype dtype,
		       struct ml_err *err) ML_MUST_CHECK;
/* A zeroed volume on the same grid as src (dims, spacing, affine) with another sample type: a label map for
 * src, which then exports aligned with it (media_nifti_write). */
int media_volume_like(struct media_volume *v, const struct media_volume *src, enum media_dtype dtype,
		      struct ml_err *err) ML_MUST_CHECK;
/* Sets dims, spacing and affine from the plan (first slice's position is voxel (0,0,0)); allocates. */
int media_volume_from_plan(struct media_volume *v, const struct media_slice *slices,
			   const struct media_series_plan *plan, enum media_dtype dtype,
			   struct ml_err *err) ML_MUST_CHECK;
/* Copies a decoded monochrome frame into slice k, applying slope/intercept and converting to v->dtype
 * (rounded and clamped for integer types). */
int media_volume_put_slice(struct media_volume *v, uint32_t k, const struct media_frame *f, double slope,
			   double intercept, struct ml_err *err) ML_MUST_CHECK;
double media_volume_get(const struct media_volume *v, uint32_t i, uint32_t j, uint32_t k);
/* Voxel (i, j, k) (fractional allowed) → patient mm, and back (the inverse affine). */
void media_volume_voxel_to_patient(const struct media_volume *v, const double ijk[3], double xyz[3]);
int media_volume_patient_to_voxel(const struct media_volume *v, const double xyz[3], double ijk[3]);
/* Fills affine and spacing from orientation, first position, pixel spacing and slice step. */
void media_affine_from_geometry(double affine[4][4], const double iop[6], const double ipp[3],
				const double pixel_spacing[2], double step);

/* NIfTI-1 or NIfTI-2 (.nii, .nii.gz, .hdr/.img) → volume. The sform is used when its code is set, else the
 * qform, else the pixdims; RAS is converted to LPS. scl_slope/inter are applied (giving F32) when set.
 * A 4-D file gives its first volume. */
int media_nifti_read(const char *path, struct media_volume *v, struct ml_err *err) ML_MUST_CHECK;
/* Writes NIfTI-1 (.nii or .nii.gz by the name) with sform and qform from the affine (LPS → RAS). */
int media_nifti_write(const char *path, const struct media_volume *v, struct ml_err *err) ML_MUST_CHECK;

/* ---- DICOM glue (dicom_frames.c): the one place that knows src/dicom ----------------------------- */

struct dicom_file;

/* What media needs from one DICOM image: the description, display defaults and the tables. */
struct media_dicom_image {
	struct media_image_desc desc;
	struct media_render_params render; /* rescale, the first window (if any), VOI LUT function */
	struct media_palette palette;      /* PALETTE COLOR (standard or segmented LUTs) */
	struct media_lut voi_lut;          /* first item of the VOI LUT Sequence, if present */
	struct media_lut modality_lut;     /* first item of the Modality LUT Sequence, if present */
	struct media_encap encap;          /* fragments (encapsulated syntaxes) */
	const uint8_t *native;             /* Pixel Data value (native syntaxes) */
	size_t native_len;
	const struct dicom_file *file;     /* borrowed: must outlive this struct */
};
/* Collects f's image attributes; fails naming the file for missing or unsupported pixel data. */
int media_dicom_load(const struct dicom_file *f, struct media_dicom_image *mi, struct ml_err *err) ML_MUST_CHECK;
void media_dicom_release(struct media_dicom_image *mi);
/* Decodes frame `index` (0-based) of a loaded image. */
int media_dicom_decode(const struct media_dicom_image *mi, uint32_t index, struct media_frame *out,
		       struct ml_err *err) ML_MUST_CHECK;
/* One media_slice per frame of f: per-frame functional groups for enhanced multi-frame images, else the
 * image's own position; *out is an ml_malloc'ed array of mi->desc.number_of_frames slices. user = NULL,
 * frame = the frame index. */
int media_dicom_slices(const struct dicom_file *f, struct media_slice **out, size_t *n, struct ml_err *err)
	ML_MUST_CHECK;

/* The slices of a set of DICOM files (one per frame), for media_series_plan and media_dicom_volume. */
struct media_dicom_series {
	struct media_slice *slices; /* slices[i].user = (void *)(uintptr_t) index into files */
	size_t n;
	char **files;               /* owned copies of the paths */
	size_t nfiles;
};
void media_dicom_series_init(struct media_dicom_series *s);
void media_dicom_series_release(struct media_dicom_series *s);
/* Reads every file's geometry (all frames). Fails on the first unreadable file, naming it. */
int media_dicom_series_read(struct media_dicom_series *s, const char *const *paths, size_t n, struct ml_err *err)
	ML_MUST_CHECK;
/* Index of the first slice of series_uid (NULL or "": slice 0), or SIZE_MAX when absent: the ref for
 * media_series_plan. */
size_t media_dicom_series_find(const struct media_dicom_series *s, const char *series_uid);
/* Decodes the planned slices into v (allocated here): int32 voxels when every rescale is integral, else
 * float32 (always float32 with as_float), after each slice's slope and intercept. */
int media_dicom_volume(const struct media_dicom_series *s, const struct media_series_plan *plan, bool as_float,
		       struct media_volume *v, struct ml_err *err) ML_MUST_CHECK;

/* What GET /api/v1/items/{id}/frames/{n} asks for. */
enum media_frame_format { MEDIA_FORMAT_PNG = 0, MEDIA_FORMAT_RAW16 };
struct media_frame_request {
	uint32_t frame;                  /* 0-based */
	enum media_frame_format format;
	const char *preset;              /* "lung"...; NULL: the file's first window, else full range */
	bool has_window;                 /* explicit centre/width (overrides the preset) */
	double center, width;
	uint32_t max_size;               /* > 0: a thumbnail whose larger side is at most this (PNG only) */
};
/* Decodes and renders one frame of a DICOM file. body receives the PNG or the raw little-endian samples;
 * for RAW16, meta (if non-NULL) receives the JSON header of media_render_raw16 (also send it as a response
 * header). *content_type is "image/png" or "application/octet-stream". Errors: ML_ENOTFOUND (file),
 * ML_EINVAL (frame out of range, corrupt data), ML_EUNSUPPORTED (codec unavailable, e.g. 12-bit lossy). */
int media_dicom_render(const char *path, const struct media_frame_request *req, struct ml_buf *body,
		       struct ml_buf *meta, const char **content_type, struct ml_err *err) ML_MUST_CHECK;
/* The same from a DICOM file in memory (data must stay valid during the call); name is used in messages. */
int media_dicom_render_mem(const uint8_t *data, size_t len, const char *name, const struct media_frame_request *req,
			   struct ml_buf *body, struct ml_buf *meta, const char **content_type,
			   struct ml_err *err) ML_MUST_CHECK;

#endif
