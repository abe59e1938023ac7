/* label: labeling schemas and annotation bodies — their format, their validation, and what a schema change
 * breaks. docs/SCHEMA.md is the user's manual of both formats; this header is the programmer's.
 *
 * A labeling schema is one JSON document per project (stored verbatim by the store, served as is to the
 * web UI) that declares the project's label controls:
 *
 *   {"format": 1, "name": "lung-nodule-ct", "version": "1.0", "modalities": ["dicom-series"],
 *    "instructions": "...", "controls": [
 *      {"name": "nodule", "kind": "object3d", "required": true,
 *       "labels": [{"value": "nodule", "hotkey": "n", "color": "#e6194b", "mask_value": 1}]},
 *      {"name": "nodule_type", "kind": "classification", "target": "nodule", "required": true,
 *       "labels": [{"value": "solid", "hotkey": "1"}, {"value": "part-solid", "hotkey": "2"}]}]}
 *
 * An annotation body (what store_annotation.body_json and store_prediction.body_json hold) is a list of
 * results, each naming its control and carrying its value in fields that depend on the control's kind:
 *
 *   {"results": [{"id": "r1", "control": "nodule", "label": "nodule", "parts": [...]},
 *                {"id": "r2", "control": "nodule_type", "region": "r1", "choices": ["solid"]}]}
 *
 * Parsing. label_schema_parse() checks everything it can without the items: types, unknown fields (an
 * error, so typos do not silently vanish), names, duplicate labels, hotkeys unique across the whole schema
 * (normalised: "Ctrl+N" and "ctrl+n" are the same key), colours, references between controls (a relation's
 * `between`, a per-region control's `target`), and that each control kind suits the declared modalities.
 * label_annotation_validate() checks a body against its schema and, when the caller knows them, the item's
 * facts (text, image size, frame count, duration) passed in struct label_item_ctx.
 *
 * Errors. Both fill err with ML_EINVAL (ML_ELIMIT past a size limit, ML_EVERSION for a newer format), a
 * git-style message saying what was expected, and err->field = a JSON pointer (RFC 6901) into the document
 * that was checked: "/controls/2/labels/0/hotkey", "/results/4/end"; a missing field is reported at the
 * object that lacks it. Malformed JSON gives field "" and a message with its position ("malformed JSON in
 * schema at byte 16 (line 1, column 17): ...": the 0-based byte offset, the 1-based line and column).
 * Checking stops at the first error, in document order (see docs/SCHEMA.md). Messages never quote item
 * text or free-text values (PHI): they name fields, offsets, labels, codes, result ids and controls only.
 *
 * Memory. A struct label_schema is immutable after parsing and owns all its strings (one arena); it may be
 * shared read-only between threads. Free it with label_schema_free(). The structs below are public so that
 * exporters and the UI code can read them directly; never modify them.
 */
#ifndef ML_LABEL_H
#define ML_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* The schema format this build reads and writes ("format": 1). A schema with a larger format number is
 * refused with ML_EVERSION; older formats, when there are some, are upgraded on parse. */
#define LABEL_FORMAT 1

/* Limits, checked before anything is allocated for them. */
#define LABEL_MAX_SCHEMA_BYTES (4u << 20)       /* a schema document */
#define LABEL_MAX_ANNOTATION_BYTES (16u << 20)  /* an annotation body (3D masks as RLE can be large) */
#define LABEL_MAX_CONTROLS 512
#define LABEL_MAX_LABELS 10000                  /* per control */
#define LABEL_MAX_NAME 64                       /* bytes in a control, attribute or keypoint name */
#define LABEL_MAX_VALUE 128                     /* bytes in a label value, code, result id */
#define LABEL_MAX_TEXT 65536                    /* bytes in titles, instructions, descriptions */

/* ---- the schema ----------------------------------------------------------------------------------- */

enum label_kind {
	LABEL_KIND_NONE = 0,
	LABEL_KIND_CLASSIFICATION, /* "classification": choose one (or several, multiple) labels for the item
				      or, with target, for one region */
	LABEL_KIND_SPAN,           /* "span": a labelled range of the text, [start, end) in code points */
	LABEL_KIND_RELATION,       /* "relation": a labelled link between two region results */
	LABEL_KIND_CODED,          /* "coded": codes from an ontology (HPO, ICD-10-CM, SNOMED CT...) */
	LABEL_KIND_TEXT,           /* "text": a free-text field */
	LABEL_KIND_BOX,            /* "box": axis-aligned box x, y, w, h in pixels */
	LABEL_KIND_ROTATED_BOX,    /* "rotated_box": cx, cy, w, h, angle (degrees, clockwise) */
	LABEL_KIND_POLYGON,        /* "polygon": closed, >= 3 points */
	LABEL_KIND_POLYLINE,       /* "polyline": open, >= 2 points */
	LABEL_KIND_KEYPOINTS,      /* "keypoints": named points, optionally joined by a skeleton */
	LABEL_KIND_ELLIPSE,        /* "ellipse": cx, cy, rx, ry, angle */
	LABEL_KIND_MASK,           /* "mask": a pixel mask per label, run-length encoded */
	LABEL_KIND_OBJECT3D,       /* "object3d": one object made of per-slice parts (masks or polygons) */
	LABEL_KIND_AUDIO_SEGMENT,  /* "audio_segment": [start, end) seconds, optional transcription */
	LABEL_KIND_VIDEO_TRACK,    /* "video_track": one object's boxes at keyframes */
	LABEL_KIND_SURVEY_CODE,    /* "survey_code": codes for the answer to one survey question */
	LABEL_KIND_COUNT_
};

const char *label_kind_name(enum label_kind k);       /* "span"; "" for NONE */
enum label_kind label_kind_parse(const char *name);   /* LABEL_KIND_NONE if unknown */
/* Regions are results that other results can point at: per-region controls (target) and relations. */
bool label_kind_is_region(enum label_kind k);
/* The item modalities a kind applies to, as bits (1u << m) for enum store_modality m (text 1 ... survey 7):
 * the labeling view shows a control only for items of those modalities. */
unsigned label_kind_modalities(enum label_kind k);

/* A relation label may be limited to pairs of region labels ("Drug" -> "Dosage"). */
struct label_pair {
	const char *from, *to;
};

/* One label of a control: a class, a span label, a relation type, a survey answer code. */
struct label_label {
	const char *value;       /* what annotations store; unique within the control */
	const char *title;       /* what the UI shows; equals value when the schema gives none */
	const char *description; /* NULL if none */
	const char *hotkey;      /* normalised ("n", "shift+n", "ctrl+alt+f2"); NULL if none */
	const char *color;       /* "#rrggbb", lower case; NULL if none */
	int mask_value;          /* mask and object3d: the pixel value in label maps, 1..65535; else 0 */
	/* An optional standard code this label stands for (a Lung-RADS category as a RadLex code). */
	const char *code_system, *code, *code_display; /* all NULL if none */
	/* relation labels */
	bool directed;           /* default true; false: from/to may come in either order */
	size_t npairs;           /* 0 = any pair of labels of the `between` controls */
	const struct label_pair *pairs;
	const struct label_pair *pairs_sorted_; /* internal: the pairs sorted (from, to), for lookups */
};

enum label_attr_type { LABEL_ATTR_BOOLEAN = 1, LABEL_ATTR_CHOICE, LABEL_ATTR_TEXT };

/* An attribute of a region result: negated, certainty, temporality, experiencer, occluded... */
struct label_attribute {
	const char *name, *title;
	enum label_attr_type type;
	size_t nvalues;               /* choice: the allowed values */
	const char *const *values;
	const char *default_value;    /* NULL if none; "true"/"false" for booleans */
	bool required;
	const char *hotkey;           /* boolean attributes: toggles it; NULL if none */
};

/* A binding to an ontology: which code system (and version, and subtree) codes may come from. */
struct label_coding {
	const char *system;  /* as loaded by `medlabel ontology load`: "HPO", "ICD-10-CM", or a URI */
	const char *version; /* NULL: any version */
	const char *subtree; /* NULL: the whole ontology; else codes must descend from this code */
	const char *title;
};

struct label_edge {
	size_t a, b; /* indices into label_control.points */
};

enum label_transcription { LABEL_TRANSCRIPTION_NONE = 0, LABEL_TRANSCRIPTION_OPTIONAL, LABEL_TRANSCRIPTION_REQUIRED };

struct label_control {
	const char *name;          /* unique in the schema; what results name in "control" */
	enum label_kind kind;
	const char *title;         /* equals name when the schema gives none */
	const char *instructions;  /* free text for annotators; NULL if none */
	const char *example_image; /* a reference to an example image (URL or media path); NULL if none */
	bool required;             /* item-level: one result must exist; per-region: one per target region */
	bool multiple;             /* classification, coded, survey_code: several choices/codes allowed */
	bool overlap;              /* span, mask: results of this control may overlap (default false) */
	const char *target;        /* classification, coded, text: the region control it describes, or NULL */
	size_t nlabels;            /* >= 1, except coded and text (0) and survey_code with codings (0 or more) */
	const struct label_label *labels;
	size_t nattributes;        /* region kinds */
	const struct label_attribute *attributes;
	size_t ncodings;           /* coded (>= 1); span, survey_code (optional: results may carry codes) */
	const struct label_coding *codings;
	size_t nbetween;           /* relation: names of the region controls it links */
	const char *const *between;
	size_t npoints;            /* keypoints: the point names, in order */
	const char *const *points;
	size_t nskeleton;
	const struct label_edge *skeleton;
	size_t max_length;         /* text: in code points, 0 = no limit */
	bool multiline;            /* text */
	enum label_transcription transcription; /* audio_segment */
	size_t nquestions;         /* survey_code: the questions (linkIds) it applies to; 0 = any */
	const char *const *questions;
	enum label_kind part_shape; /* object3d: LABEL_KIND_MASK (default) or LABEL_KIND_POLYGON */
	/* internal: sorted views for O(log n) lookups (a body may name labels and questions 100,000 times) */
	const uint32_t *label_order_;           /* label indices sorted by value */
	const char *const *questions_sorted_;
};

/* Every hotkey in the schema and what it does, in schema order. */
struct label_hotkey {
	const char *key;       /* normalised */
	const char *control;   /* the control's name */
	const char *label;     /* the label's value, or NULL for an attribute toggle */
	const char *attribute; /* the attribute's name, or NULL */
	char pointer[96];      /* where it is declared: "/controls/0/labels/1/hotkey" */
};

struct label_schema {
	int format;                 /* LABEL_FORMAT */
	const char *name;           /* required */
	const char *version;        /* free-form ("1.2"); NULL if none */
	const char *title, *instructions, *example_image; /* NULL if none */
	unsigned modalities;        /* bit (1 << enum store_modality) for each declared; all bits if none declared */
	size_t ncontrols;
	const struct label_control *controls;
	size_t nhotkeys;
	const struct label_hotkey *hotkeys;
	const uint32_t *control_order_;      /* internal: control indices sorted by name */
	struct label_schema_int *internal_; /* the arena that owns everything */
};

/* Parses and validates a schema; json[0..len) need not be NUL-terminated. On success *out is the caller's.
 * On failure *out is NULL and err says what and where (see Errors above). */
int label_schema_parse(const char *json, size_t len, struct label_schema **out, struct ml_err *err) ML_MUST_CHECK;
void label_schema_free(struct label_schema *s);

/* Introspection. All return NULL when not found. */
const struct label_control *label_schema_control(const struct label_schema *s, const char *name);
const struct label_label *label_control_label(const struct label_control *c, const char *value);
const struct label_attribute *label_control_attribute(const struct label_control *c, const char *name);
/* True if a survey_code control codes this question (every question when it lists none). */
bool label_control_has_question(const struct label_control *c, const char *question);
/* True if relation label l links a result labelled `from` to one labelled `to` (either way if undirected). */
bool label_pair_allowed(const struct label_label *l, const char *from, const char *to);
/* key is normalised first, so "Shift+N" finds "shift+n". */
const struct label_hotkey *label_schema_hotkey(const struct label_schema *s, const char *key);
/* Normalises a hotkey ("Ctrl+Shift+A" -> "ctrl+shift+a") into out (>= 32 bytes); -1 with a message if it
 * is not a valid hotkey. Hotkeys reserved by the labeling UI (undo, redo, submit...) are refused too. */
int label_hotkey_normalise(const char *key, char *out, size_t outlen, struct ml_err *err) ML_MUST_CHECK;

/* ---- annotations ---------------------------------------------------------------------------------- */

/* What the caller knows about the item an annotation labels. Unknown facts are skipped, not failed:
 * initialise with label_item_ctx_init() and fill what you have. */
struct label_item_ctx {
	const char *text;         /* the item's text (UTF-8): span offsets and span "text" are checked */
	size_t text_len;          /* bytes */
	int64_t text_cp;          /* text length in code points when text is NULL; -1 unknown */
	int width, height;        /* image size in pixels; 0 unknown */
	int frames;               /* frames of a multi-frame image or video, slices of a series; 0 unknown */
	double duration;          /* audio/video length in seconds; 0 unknown */
	size_t nquestions;        /* survey: the questions (linkIds) the item has; 0 unknown */
	const char *const *questions;
	/* Optional ontology check for coded labels: return 0 if the code exists (and, when subtree is
	 * non-NULL, descends from it), 1 if the code is unknown, 2 if it lies outside the subtree. */
	int (*code_check)(void *arg, const char *system, const char *version, const char *code,
			  const char *subtree);
	void *code_check_arg;
};
void label_item_ctx_init(struct label_item_ctx *ctx);

/* Checks an annotation body against its schema (and ctx, which may be NULL). Returns 0 or -1 with err
 * naming the offending field by JSON pointer into the annotation ("/results/3/start"). */
int label_annotation_validate(const struct label_schema *s, const char *json, size_t len,
			      const struct label_item_ctx *ctx, struct ml_err *err) ML_MUST_CHECK;

/* ---- masks ------------------------------------------------------------------------------------------ */

/* Masks in annotation bodies are run-length encoded, row-major (left to right, then top to bottom):
 * counts alternate background and foreground runs, starting with background (the first run may be 0,
 * no later one may be), and add up to height * width. Exporters and assists share these two helpers. */

/* Decodes into mask[height * width] (1 = foreground, 0 = background). -1 with err if the runs are bad. */
int label_rle_decode(const uint32_t *counts, size_t ncounts, uint32_t height, uint32_t width, uint8_t *mask,
		     struct ml_err *err) ML_MUST_CHECK;
/* Encodes mask[height * width] (non-zero = foreground) into counts, which needs room for
 * height * width + 1 entries in the worst case; returns the number of counts written. */
size_t label_rle_encode(const uint8_t *mask, uint32_t height, uint32_t width, uint32_t *counts);

/* ---- schema changes ------------------------------------------------------------------------------- */

/* What an incompatible change breaks. Compatible changes (new controls that are optional, new labels,
 * titles, colours, hotkeys, instructions) are not listed. */
enum label_change_kind {
	LABEL_CHANGE_CONTROL = 1, /* the control was removed or changed in a way that breaks every result
				     of it (kind, target, part shape, keypoint names, between, overlap
				     forbidden, multiple forbidden, text limits...) */
	LABEL_CHANGE_LABEL,       /* a label was removed, or its pairs, direction or mask value changed */
	LABEL_CHANGE_ATTRIBUTE,   /* an attribute was removed or changed (type, values, made required) */
	LABEL_CHANGE_CODING,      /* the allowed code systems, versions or subtrees changed */
	LABEL_CHANGE_REQUIRED     /* the control became required (or was added as required): annotations
				     that lack it must be revisited */
};

struct label_change {
	enum label_change_kind kind;
	const char *control;   /* the control's name (in the old schema; the new one for REQUIRED) */
	const char *label;     /* LABEL: the label's value; else NULL */
	const char *attribute; /* ATTRIBUTE: the attribute's name; else NULL */
	const char *target;    /* REQUIRED of a per-region control: its target control; else NULL */
	bool when_missing;     /* true: affects annotations that LACK the thing (a newly required control or
				  attribute); false: affects annotations that USE it */
	const char *what;      /* one line for people: "label 'Drug' removed from control 'entities'" */
};

struct label_diff {
	size_t nchanges;
	const struct label_change *changes;
	struct label_diff_int *internal_;
};

/* Compares two versions of a project's schema. *out is the caller's (label_diff_free); an empty diff
 * (nchanges == 0) means every annotation valid under old stays valid under new as far as the schema goes. */
int label_schema_diff(const struct label_schema *old_schema, const struct label_schema *new_schema,
		      struct label_diff **out, struct ml_err *err) ML_MUST_CHECK;
void label_diff_free(struct label_diff *d);

/* 1 if the annotation uses anything the diff lists (a result of a changed control, a removed label, a
 * changed attribute, a code of a changed coding, or lacks a newly required control), 0 if not, -1 with err
 * if the body is not a JSON object with a results array. The quality module marks affected annotations
 * for revalidation when a project's schema changes. */
int label_annotation_affected(const struct label_diff *d, const char *json, size_t len, struct ml_err *err)
	ML_MUST_CHECK;

#endif
