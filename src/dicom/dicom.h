/* dicom: reading, writing, dumping and de-identifying DICOM Part 10 files.
 *
 * Reading. dicom_open() maps a file (ml_map) and parses it into a tree of elements whose values point into
 * the map: nothing is copied, and with stop_before_pixels the pixel data is never touched. Files under
 * 64 kB are read with one read() instead, which costs less than a map. Part 10 files
 * (preamble, "DICM", meta group) and bare datasets (detected) are read in implicit VR little endian,
 * explicit VR little endian, explicit VR big endian and deflated explicit VR little endian (inflated into
 * a buffer with a size limit). Sequences and items of defined and undefined length nest to any depth up to
 * a limit; UN elements holding sequences (undefined length, or a public tag whose dictionary VR is SQ) are
 * parsed as implicit VR little endian sequences. Every length is checked against what is left of the file
 * or of the enclosing item; a malformed file gives an error naming the tag and the byte offset:
 *   cannot read 'x.dcm': element (0028,0010) length 512 exceeds the 10 bytes left at byte 812
 *
 * The tree. A struct dicom_file owns an arena holding every struct dicom_item and struct dicom_elem; they
 * live until dicom_free(). An item is a list of elements in file order (normally ascending tags). An SQ
 * element has items; encapsulated pixel data (undefined length (7FE0,0010)) has fragments, stored as items
 * without elements whose value/len is the fragment (item 0 is the basic offset table).
 * Numeric values are in the byte order recorded on the element (DICOM_EF_BIG_ENDIAN): use the accessors.
 *
 * Text. Values of SH LO UC ST LT UT PN are decoded to UTF-8 according to Specific Character Set (0008,0005)
 * of the item or its nearest enclosing item: ISO_IR 6/100/101/109/110/126/127/138/144/148/166/203,
 * ISO_IR 13, ISO_IR 192 (UTF-8), GB18030, GBK, and ISO 2022 with code extensions (IR 6, 13, 14, 87, 159,
 * 149, 58 and the ISO 8859 G1 sets), escape state reset at each value and each PN component.
 *
 * Pixel data for src/media (this section was committed first so the pixel engineer could start on it):
 * dicom_image_get() collects the image attributes (rows, columns, samples, bits, pixel representation,
 * photometric interpretation, planar configuration, frames, transfer syntax, rescale, window, VOI LUT,
 * palette LUTs, position, orientation, spacing, slice thickness, functional groups) and the pixel data
 * element; dicom_frame_native() gives a frame's bytes for native data, and dicom_frame_fragments() the
 * fragments of one frame of encapsulated data (using the extended offset table, the basic offset table,
 * one fragment per frame, or all fragments for a single frame).
 *
 * Writing. struct dicom_writer emits explicit VR little endian Part 10 (preamble, meta group with its group
 * length) from calls in tag order: element values are copied, or referenced in place (pixel data straight
 * from an input map) and written with writev. Lengths are padded to even per VR (space, or NUL for UI and
 * binary VRs); sequences and items have defined lengths (back-patched) or undefined lengths.
 *
 * De-identification (PS3.15 Annex E). dicom_deid_file() streams a file through the Basic Profile table
 * (generated into deid_table.c) and the chosen options; see the section at the end.
 */
#ifndef ML_DICOM_H
#define ML_DICOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define DICOM_TAG(g, e) ((uint32_t)(((uint32_t)(g) << 16) | (uint32_t)(e)))
#define DICOM_GROUP(t) ((uint16_t)((t) >> 16))
#define DICOM_ELEMENT(t) ((uint16_t)((t)&0xFFFF))
/* A VR is its two ASCII letters packed big-endian: DICOM_VR_OB == ('O' << 8 | 'B'). */
#define DICOM_VR_CODE(a, b) ((uint16_t)(((unsigned)(a) << 8) | (unsigned)(b)))

enum dicom_vr {
	DICOM_VR_AE = DICOM_VR_CODE('A', 'E'), DICOM_VR_AS = DICOM_VR_CODE('A', 'S'),
	DICOM_VR_AT = DICOM_VR_CODE('A', 'T'), DICOM_VR_CS = DICOM_VR_CODE('C', 'S'),
	DICOM_VR_DA = DICOM_VR_CODE('D', 'A'), DICOM_VR_DS = DICOM_VR_CODE('D', 'S'),
	DICOM_VR_DT = DICOM_VR_CODE('D', 'T'), DICOM_VR_FL = DICOM_VR_CODE('F', 'L'),
	DICOM_VR_FD = DICOM_VR_CODE('F', 'D'), DICOM_VR_IS = DICOM_VR_CODE('I', 'S'),
	DICOM_VR_LO = DICOM_VR_CODE('L', 'O'), DICOM_VR_LT = DICOM_VR_CODE('L', 'T'),
	DICOM_VR_OB = DICOM_VR_CODE('O', 'B'), DICOM_VR_OD = DICOM_VR_CODE('O', 'D'),
	DICOM_VR_OF = DICOM_VR_CODE('O', 'F'), DICOM_VR_OL = DICOM_VR_CODE('O', 'L'),
	DICOM_VR_OV = DICOM_VR_CODE('O', 'V'), DICOM_VR_OW = DICOM_VR_CODE('O', 'W'),
	DICOM_VR_PN = DICOM_VR_CODE('P', 'N'), DICOM_VR_SH = DICOM_VR_CODE('S', 'H'),
	DICOM_VR_SL = DICOM_VR_CODE('S', 'L'), DICOM_VR_SQ = DICOM_VR_CODE('S', 'Q'),
	DICOM_VR_SS = DICOM_VR_CODE('S', 'S'), DICOM_VR_ST = DICOM_VR_CODE('S', 'T'),
	DICOM_VR_SV = DICOM_VR_CODE('S', 'V'), DICOM_VR_TM = DICOM_VR_CODE('T', 'M'),
	DICOM_VR_UC = DICOM_VR_CODE('U', 'C'), DICOM_VR_UI = DICOM_VR_CODE('U', 'I'),
	DICOM_VR_UL = DICOM_VR_CODE('U', 'L'), DICOM_VR_UN = DICOM_VR_CODE('U', 'N'),
	DICOM_VR_UR = DICOM_VR_CODE('U', 'R'), DICOM_VR_US = DICOM_VR_CODE('U', 'S'),
	DICOM_VR_UT = DICOM_VR_CODE('U', 'T'), DICOM_VR_UV = DICOM_VR_CODE('U', 'V'),
};

/* Well-known tags. */
#define DICOM_TAG_TRANSFER_SYNTAX DICOM_TAG(0x0002, 0x0010)
#define DICOM_TAG_SPECIFIC_CHARSET DICOM_TAG(0x0008, 0x0005)
#define DICOM_TAG_SOP_CLASS_UID DICOM_TAG(0x0008, 0x0016)
#define DICOM_TAG_SOP_INSTANCE_UID DICOM_TAG(0x0008, 0x0018)
#define DICOM_TAG_PIXEL_DATA DICOM_TAG(0x7FE0, 0x0010)
#define DICOM_TAG_ITEM DICOM_TAG(0xFFFE, 0xE000)
#define DICOM_TAG_ITEM_DELIM DICOM_TAG(0xFFFE, 0xE00D)
#define DICOM_TAG_SEQ_DELIM DICOM_TAG(0xFFFE, 0xE0DD)
#define DICOM_UNDEFINED_LENGTH 0xFFFFFFFFu

/* Transfer syntaxes. */
#define DICOM_TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define DICOM_TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define DICOM_TS_DEFLATED_LE "1.2.840.10008.1.2.1.99"
#define DICOM_TS_EXPLICIT_BE "1.2.840.10008.1.2.2"

/* ---- the data dictionary (generated: dict_table.c) ------------------------------------------------- */

struct dicom_dict_info {
	uint32_t tag;      /* as in the dictionary: repeating groups have their x nibbles as 0 (0x50000005) */
	uint32_t mask;     /* 0xFFFFFFFF for an exact tag; repeating groups clear their x nibbles */
	const char *keyword; /* "PatientName"; "" for the few retired entries without one */
	const char *name;    /* "Patient's Name" */
	const char *vm;      /* "1", "1-n", "2-2n" */
	uint16_t vr[3];      /* VR and alternatives ("US or SS"); vr[0] == 0 when the dictionary gives none */
	bool retired;
};

/* Looks up a tag (exact first, then the repeating-group masks). Returns false for unknown and private. */
bool dicom_dict_lookup(uint32_t tag, struct dicom_dict_info *out);
/* Keyword to tag ("PatientName" -> 0x00100010); false if unknown. */
bool dicom_dict_tag(const char *keyword, uint32_t *tag);
/* "US" for DICOM_VR_US; "??" for 0 or an invalid code (static storage). */
const char *dicom_vr_name(uint16_t vr, char buf[3]);
bool dicom_vr_valid(uint16_t vr);

/* ---- the parsed tree ------------------------------------------------------------------------------- */

enum dicom_elem_flags {
	DICOM_EF_UNDEF_LEN = 1,     /* the element was encoded with undefined length */
	DICOM_EF_ENCAPSULATED = 2,  /* encapsulated pixel data: items are fragments */
	DICOM_EF_BIG_ENDIAN = 4,    /* numeric values are big endian */
	DICOM_EF_FROM_UN = 8,       /* encoded as UN; vr is the dictionary VR it was read as */
	DICOM_EF_NOT_READ = 16,     /* pixel data seen but not parsed (stop_before_pixels) */
};

struct dicom_item;

struct dicom_elem {
	uint32_t tag;
	uint16_t vr;      /* as read (explicit) or from the dictionary (implicit; UN if unknown) */
	uint16_t flags;   /* enum dicom_elem_flags */
	uint32_t len;     /* value length; for undefined length the bytes up to the delimiter */
	uint32_t nitems;  /* SQ items, or fragments of encapsulated pixel data */
	uint64_t offset;  /* byte offset of the element header in the source */
	const uint8_t *value;      /* the value in place; for SQ and encapsulated data, the raw content */
	struct dicom_item *items;
};

struct dicom_item {
	struct dicom_elem *elems;
	uint32_t nelems;
	uint32_t len;      /* content length (for undefined length: up to the delimiter) */
	uint64_t offset;   /* byte offset of the item header (0 for the top-level dataset) */
	const uint8_t *value; /* item content in place (the fragment bytes, for a pixel data fragment) */
	const struct dicom_item *parent; /* enclosing item, NULL at top level */
	const uint8_t *charset;    /* raw (0008,0005) value in force for this item (inherited), or NULL */
	uint32_t charset_len;
	bool undef_len;
	bool sorted;               /* tags ascend, so dicom_find can binary search */
};

struct dicom_read_opts {
	bool stop_before_pixels; /* do not parse (7FE0,0010/0008/0009) at top level nor anything after it */
	size_t inflate_limit;    /* max bytes of a deflated dataset once inflated; 0 = 1 GiB */
	unsigned max_depth;      /* sequence nesting limit; 0 = 64 */
};

struct dicom_file {
	char *name;               /* the path, for messages */
	struct ml_map map;        /* when dicom_open mapped the file (larger files) */
	uint8_t *owned;           /* when dicom_open read a small file into memory instead */
	const uint8_t *data;      /* the parsed bytes: the map, the caller's buffer or the inflated dataset */
	size_t len;
	uint8_t *inflated;        /* owned copy of an inflated deflated dataset */
	size_t dataset_offset;    /* where the dataset starts in data (after the meta group) */
	struct dicom_item meta;   /* group 0002 (empty for a bare dataset) */
	struct dicom_item root;   /* the dataset */
	char transfer_syntax[65]; /* as read from the meta group, or the one detected for a bare dataset */
	bool has_preamble;        /* 128 bytes + "DICM" */
	bool implicit_vr, big_endian, deflated;
	bool stopped_before_pixels;
	size_t pixel_offset;      /* offset of the (7FE0,xxxx) header where reading stopped, if it did */
	struct ml_arena arena;
};

/* Opens and parses a file. On failure *out is NULL and err names the file, tag and byte offset. */
int dicom_open(const char *path, const struct dicom_read_opts *opts, struct dicom_file **out,
	       struct ml_err *err) ML_MUST_CHECK;
/* Parses data[0..len), which must outlive the result (values point into it); name is used in messages. */
int dicom_parse(const uint8_t *data, size_t len, const char *name, const struct dicom_read_opts *opts,
		struct dicom_file **out, struct ml_err *err) ML_MUST_CHECK;
void dicom_free(struct dicom_file *f);

/* Element lookup in one item (binary search when tags ascend, else linear). NULL if absent. */
const struct dicom_elem *dicom_find(const struct dicom_item *it, uint32_t tag);
/* The private creator string (trimmed, static per file) reserving block xx of private tag (gggg,xxyy);
 * writes it into buf and returns buf, or NULL when the tag is not private or has no creator. */
const char *dicom_private_creator(const struct dicom_item *it, uint32_t tag, char *buf, size_t n);
/* A private element by creator: (group, creator, low byte yy). */
const struct dicom_elem *dicom_find_private(const struct dicom_item *it, uint16_t group, const char *creator,
					    uint8_t elem_low);

/* Value multiplicity of an element: backslash-separated count for strings, len / size for binary. */
uint32_t dicom_elem_vm(const struct dicom_elem *e);
/* Element value idx as an integer (US SS UL SL SV UV IS AT, or DS when whole). -1 if not available. */
int dicom_elem_int(const struct dicom_elem *e, uint32_t idx, int64_t *out) ML_MUST_CHECK;
/* Element value idx as a double (FL FD DS IS and the integer VRs). -1 if not available. */
int dicom_elem_double(const struct dicom_elem *e, uint32_t idx, double *out) ML_MUST_CHECK;
/* Value idx of a string element, raw bytes with padding (spaces, NULs) trimmed, into buf as a C string
 * (truncated to n-1 bytes). Returns buf, or NULL when there is no such value. Not transcoded: use for
 * ASCII VRs (UI CS DA TM DT AS IS DS AE). */
const char *dicom_elem_str(const struct dicom_elem *e, uint32_t idx, char *buf, size_t n);
/* The whole value of a text element transcoded to UTF-8 per the item's Specific Character Set, padding
 * trimmed; multiple values stay separated by backslashes. Appends to out. */
int dicom_elem_utf8(const struct dicom_item *it, const struct dicom_elem *e, struct ml_buf *out) ML_MUST_CHECK;
/* Shortcuts on an item: the first value of tag; false when absent or empty. */
bool dicom_get_int(const struct dicom_item *it, uint32_t tag, int64_t *out);
bool dicom_get_double(const struct dicom_item *it, uint32_t tag, double *out);
bool dicom_get_str(const struct dicom_item *it, uint32_t tag, char *buf, size_t n);

/* Transcodes a value encoded in charset (the raw (0008,0005) value, may be NULL for the default) to UTF-8;
 * pn selects the per-component escape reset of PN. Invalid bytes become U+FFFD. */
int dicom_charset_to_utf8(const char *charset, size_t charset_len, const uint8_t *s, size_t n, bool pn,
			  struct ml_buf *out) ML_MUST_CHECK;

/* ---- image attributes and frames, for src/media --------------------------------------------------- */

struct dicom_lut {
	bool present;
	uint32_t entries;     /* descriptor value 1 (0 means 65536) */
	int32_t first_mapped; /* descriptor value 2 */
	uint32_t bits;        /* descriptor value 3 */
	const struct dicom_elem *data; /* the LUT data element (OW/US/SS), NULL if absent */
};

struct dicom_image {
	uint32_t rows, columns, samples_per_pixel;
	uint32_t bits_allocated, bits_stored, high_bit;
	uint32_t pixel_representation;  /* 0 unsigned, 1 two's complement */
	uint32_t planar_configuration;  /* 0 interleaved, 1 by plane */
	uint32_t number_of_frames;      /* 1 when absent */
	char photometric[17];           /* "MONOCHROME2", "RGB", "YBR_FULL_422", "PALETTE COLOR" ... */
	char transfer_syntax[65];
	bool encapsulated;              /* pixel data are fragments (compressed transfer syntax) */
	bool big_endian;                /* native pixel data words are big endian */
	bool has_rescale;
	double rescale_slope, rescale_intercept; /* 1 and 0 when absent */
	char rescale_type[17];
	uint32_t nwindows;              /* window centre/width pairs */
	double window_center[8], window_width[8];
	char voi_lut_function[17];      /* "LINEAR" (default), "LINEAR_EXACT", "SIGMOID" */
	const struct dicom_elem *voi_lut_sequence;      /* (0028,3010) or NULL: items with descriptor and data */
	const struct dicom_elem *modality_lut_sequence; /* (0028,3000) or NULL */
	struct dicom_lut palette[3];    /* red, green, blue (0028,1101..1103 / 1201..1203) */
	bool has_position, has_orientation, has_spacing, has_slice_thickness;
	double image_position[3];       /* (0020,0032) */
	double image_orientation[6];    /* (0020,0037) */
	double pixel_spacing[2];        /* (0028,0030): row spacing, column spacing */
	double slice_thickness;         /* (0018,0050) */
	const struct dicom_item *shared_groups;  /* first item of (5200,9229) or NULL */
	const struct dicom_elem *per_frame_groups; /* (5200,9230) or NULL: item i describes frame i */
	const struct dicom_elem *pixel_data;    /* (7FE0,0010), or float (7FE0,0008) / double (7FE0,0009) */
	const struct dicom_elem *extended_offsets, *extended_lengths; /* (7FE0,0001) and (7FE0,0002) */
	size_t frame_bytes;             /* bytes of one native frame (bits_allocated 1: rounded up) */
};

/* Collects the image attributes of f's dataset. Fails (ML_EINVAL) when there is no pixel data, when f was
 * read with stop_before_pixels, or when rows/columns/bits are missing or inconsistent. */
int dicom_image_get(const struct dicom_file *f, struct dicom_image *img, struct ml_err *err) ML_MUST_CHECK;
/* The functional group item of one frame: the first item of seq_tag (e.g. (0020,9113) Plane Position
 * Sequence) in the frame's Per-Frame Functional Groups item, else in the Shared Functional Groups; NULL. */
const struct dicom_item *dicom_frame_group(const struct dicom_image *img, uint32_t frame, uint32_t seq_tag);
/* A native frame's bytes in place (frame 0-based). Fails when the pixel data is shorter than the frame. */
int dicom_frame_native(const struct dicom_file *f, const struct dicom_image *img, uint32_t frame,
		       const uint8_t **data, size_t *len, struct ml_err *err) ML_MUST_CHECK;
/* The fragments holding one frame of encapsulated data: *first points at img->pixel_data->items[k] and
 * *count fragments follow (their value/len are the compressed bytes). */
int dicom_frame_fragments(const struct dicom_file *f, const struct dicom_image *img, uint32_t frame,
			  const struct dicom_item **first, uint32_t *count, struct ml_err *err) ML_MUST_CHECK;

/* ---- writer ---------------------------------------------------------------------------------------- */

struct dicom_writer;

struct dicom_writer *dicom_writer_new(void);
void dicom_writer_free(struct dicom_writer *w);
/* Starts a Part 10 file: preamble, "DICM", meta group (version, SOP class and instance, transfer syntax,
 * implementation class UID and version name) with its group length. The dataset that follows is always
 * explicit VR little endian; transfer_syntax may name an encapsulated syntax when the pixel data is
 * written as fragments (NULL = explicit VR little endian). */
void dicom_w_meta(struct dicom_writer *w, const char *sop_class, const char *sop_instance,
		  const char *transfer_syntax);
/* An element whose value is copied (len bytes; vr 0 = the dictionary VR, UN if unknown). Odd lengths get
 * the VR's padding byte. Numeric VRs take little-endian bytes. */
void dicom_w_elem(struct dicom_writer *w, uint32_t tag, uint16_t vr, const void *value, size_t len);
/* The same, referencing value in place until the write (pixel data from a map). */
void dicom_w_elem_ref(struct dicom_writer *w, uint32_t tag, uint16_t vr, const void *value, size_t len);
/* Convenience: a string value ("A\\B" for several), a US, UL, FD. */
void dicom_w_str(struct dicom_writer *w, uint32_t tag, const char *s);
void dicom_w_us(struct dicom_writer *w, uint32_t tag, uint16_t v);
void dicom_w_ul(struct dicom_writer *w, uint32_t tag, uint32_t v);
void dicom_w_fd(struct dicom_writer *w, uint32_t tag, double v);
/* Sequences and items; undefined = true writes delimiters, false back-patches the lengths. */
void dicom_w_seq_begin(struct dicom_writer *w, uint32_t tag, bool undefined);
void dicom_w_item_begin(struct dicom_writer *w, bool undefined);
void dicom_w_item_end(struct dicom_writer *w);
void dicom_w_seq_end(struct dicom_writer *w);
/* Encapsulated pixel data: begin, then fragments (the first is the basic offset table, may be empty). */
void dicom_w_encap_begin(struct dicom_writer *w, uint32_t tag);
void dicom_w_fragment(struct dicom_writer *w, const void *data, size_t len, bool ref);
void dicom_w_encap_end(struct dicom_writer *w);
/* Bytes written so far. */
uint64_t dicom_w_size(const struct dicom_writer *w);
/* Writes the file (via a temporary name and rename) or appends to a buffer. Fails with the first error
 * recorded while building (unbalanced sequences, a value too long for its VR). */
int dicom_w_save(struct dicom_writer *w, const char *path, struct ml_err *err) ML_MUST_CHECK;
int dicom_w_to_buf(struct dicom_writer *w, struct ml_buf *out, struct ml_err *err) ML_MUST_CHECK;

/* ---- dump ------------------------------------------------------------------------------------------ */

/* dcmdump-like text: "(0010,0010) PN [Doe^John]   # 8, 1 PatientName", sequences indented. */
int dicom_dump_text(const struct dicom_file *f, struct ml_buf *out, struct ml_err *err) ML_MUST_CHECK;
struct dicom_json_opts {
	bool with_meta;         /* {"meta": {...}, "dataset": {...}} instead of the dataset alone */
	size_t bulk_threshold;  /* binary values longer than this become BulkDataURI (0: always inline) */
	const char *bulk_uri;   /* "file:///abs/x.dcm": BulkDataURI is bulk_uri?offset=N&length=M */
};
/* The DICOM JSON model (PS3.18 F.2) of the dataset: binary values as InlineBinary (base64) or BulkDataURI,
 * PN as Alphabetic/Ideographic/Phonetic, IS/DS and binary numbers as numbers, empty values as null, group
 * lengths left out. */
int dicom_dump_json(const struct dicom_file *f, const struct dicom_json_opts *opts, struct ml_buf *out,
		    struct ml_err *err) ML_MUST_CHECK;

/* ---- de-identification (PS3.15 Annex E) ------------------------------------------------------------ */

enum dicom_deid_option {
	DICOM_DEID_RETAIN_SAFE_PRIVATE = 1 << 0,
	DICOM_DEID_RETAIN_UIDS = 1 << 1,
	DICOM_DEID_RETAIN_DEVICE_ID = 1 << 2,
	DICOM_DEID_RETAIN_INSTITUTION_ID = 1 << 3,
	DICOM_DEID_RETAIN_PATIENT_CHARS = 1 << 4,
	DICOM_DEID_RETAIN_FULL_DATES = 1 << 5,
	DICOM_DEID_RETAIN_MODIFIED_DATES = 1 << 6,
	DICOM_DEID_CLEAN_DESCRIPTORS = 1 << 7,
	DICOM_DEID_CLEAN_STRUCTURED = 1 << 8,
	DICOM_DEID_CLEAN_GRAPHICS = 1 << 9,
};
/* Parses a comma-separated option list ("modified-dates,patient-chars,device-id,clean-descriptors,
 * safe-private", also "uids", "institution-id", "full-dates", "clean-structured", "clean-graphics"). */
int dicom_deid_parse_options(const char *list, unsigned *out, struct ml_err *err) ML_MUST_CHECK;

struct dicom_deid_opts {
	unsigned options;          /* enum dicom_deid_option bits */
	const uint8_t *secret;     /* the deployment secret keying UIDs, pseudonyms and date shifts */
	size_t secret_len;         /* 16..64 bytes */
	const char *patient_key;   /* the pseudonymous key for Patient ID; NULL derives one from Patient ID */
	const char *patient_name;  /* replacement Patient Name; NULL uses the pseudonymous key */
};

struct dicom_deid_result {
	bool pixel_review;         /* burned-in annotation, ultrasound or secondary capture: check the pixels */
	char review_reason[96];    /* "burned in annotation", "ultrasound", "secondary capture" (no PHI) */
	char patient_key[80];      /* the pseudonymous key used */
	int date_shift_days;       /* applied with RETAIN_MODIFIED_DATES */
	unsigned removed, emptied, replaced, uids, kept_private, removed_private;
};

/* De-identifies in_path into out_path (explicit VR little endian; encapsulated pixel data keeps its
 * transfer syntax). Untouched elements and pixel data are copied straight from the input map. */
int dicom_deid_file(const char *in_path, const char *out_path, const struct dicom_deid_opts *opts,
		    struct dicom_deid_result *res, struct ml_err *err) ML_MUST_CHECK;
/* The replacement of one UID: "2.25." + decimal of 128 bits of keyed BLAKE2b(secret, uid). */
void dicom_deid_uid(const uint8_t *secret, size_t secret_len, const char *uid, char out[65]);
/* The date shift in days (-3650..-1) for a patient id under the secret. */
int dicom_deid_date_shift(const uint8_t *secret, size_t secret_len, const char *patient_id);

#endif
