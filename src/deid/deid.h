/* deid: de-identification of clinical text.
 *
 * Finds protected health information (PHI) in a note and reports it with the i2b2 2014 types; optionally
 * replaces it (type tags, masking, or realistic surrogates) and keeps a map from the output text back to
 * the input so labels made on de-identified text can be related to the original.
 *
 * Detection layers (every rule gives its candidates a priority; overlapping candidates are resolved by
 * priority, then length, so known identifiers and specific patterns beat context, which beats dictionaries):
 *   known     the item's own identifiers from import metadata (patient name parts, MRN): always found,
 *             in any case and any order of the name parts;
 *   pattern   PCRE2 (JIT) patterns: dates in many formats, phones, e-mail, URLs, IPs, SSNs, labelled
 *             identifiers ("MRN:", "Acct #", "DEA", "Policy", "Serial"), ages, ZIP codes, streets;
 *   context   rules around names: titles ("Dr.", "Mr."), credentials (", MD"), labels ("Attending:"),
 *             relations ("his wife X", "Amanda's daughter"), signatures, "Last, First M." headers,
 *             conversational cues (the answer to a name question, speaker labels, vocatives, "says X",
 *             lists of given names), and coreference (a name found once is found everywhere in the note);
 *   dict      dictionaries compiled into the binary (src/deid/data/: given names and surnames of many
 *             origins, US cities and states, countries, an English lexicon), with a list of eponyms and
 *             clinical words that are not names ("Parkinson disease", "Foley"); a capitalised word that is
 *             neither English nor clinical, inside a sentence, is a name candidate, and name shapes extend
 *             it: middle initials, particles ("van der", "al-"), hyphenated and Mc/O' surnames, possessives.
 *
 * Each pattern has a list of literals (its label or keyword) and is skipped on notes that contain none;
 * most patterns are searched only around their sites (their literals, digit runs, a few punctuation bytes),
 * with the same results as a scan of the whole note (docs/architecture/deid.md).
 *
 * Threads. A struct deid_engine is built once (regexes compiled and JIT-compiled, dictionaries loaded)
 * and is read-only afterwards: any number of threads may call deid_text() on one engine at once; each
 * call allocates its own match data.
 *
 * Offsets. Every offset in this API is a Unicode code point index into the text it refers to (the input
 * for spans, the output for map segments). Input must be valid UTF-8 (an invalid byte is an error naming
 * its byte offset). Nothing here logs, and error messages never contain note text.
 */
#ifndef ML_DEID_H
#define ML_DEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"

/* The i2b2 2014 PHI types. The order is fixed (used as an index); names via deid_type_name(). */
enum deid_type {
	DEID_PATIENT,
	DEID_DOCTOR,
	DEID_USERNAME,
	DEID_PROFESSION,
	DEID_ROOM,
	DEID_DEPARTMENT,
	DEID_HOSPITAL,
	DEID_ORGANIZATION,
	DEID_STREET,
	DEID_CITY,
	DEID_STATE,
	DEID_COUNTRY,
	DEID_ZIP,
	DEID_LOCATION_OTHER,
	DEID_AGE,
	DEID_DATE,
	DEID_PHONE,
	DEID_FAX,
	DEID_EMAIL,
	DEID_URL,
	DEID_IPADDR,
	DEID_SSN,
	DEID_MEDICALRECORD,
	DEID_HEALTHPLAN,
	DEID_ACCOUNT,
	DEID_LICENSE,
	DEID_VEHICLE,
	DEID_DEVICE,
	DEID_BIOID,
	DEID_IDNUM,
	DEID_NTYPES
};

/* "PATIENT", "DATE"...; NULL for an out-of-range value. */
const char *deid_type_name(enum deid_type t);
/* The type named by s[0..n) (exact, upper case), or -1. */
int deid_type_parse(const char *s, size_t n);

/* Which layer found a span (the strongest one when several did). */
enum deid_source { DEID_SRC_KNOWN, DEID_SRC_PATTERN, DEID_SRC_CONTEXT, DEID_SRC_DICT };
const char *deid_source_name(enum deid_source s);

/* One PHI mention: [start, end) in code points of the input text. Spans of one result never overlap and
 * are sorted by start. */
struct deid_span {
	size_t start, end;
	enum deid_type type;
	enum deid_source source;
	float confidence; /* 0..1: how sure the layer is (a fixed figure per rule, not a calibrated one) */
};

/* The item's own identifiers, from import metadata. Any pointer may be NULL with its count 0. Each name
 * is split into parts ("Harold J. Bell" -> Harold, Bell; single letters are ignored) and each part is
 * found as a whole word in any case. MRNs are found in any case, also with their separators dropped or
 * changed ("00-48-2917" matches "00482917"). */
struct deid_known {
	const char *const *names;
	size_t nnames;
	const char *const *mrns;
	size_t nmrns;
};

enum deid_mode {
	DEID_MODE_NONE,     /* spans only, no output text */
	DEID_MODE_TAG,      /* "[DATE]" */
	DEID_MODE_MASK,     /* one '*' per code point of the span */
	DEID_MODE_SURROGATE /* realistic, consistent per patient; dates shifted; ages over 89 -> "90+" */
};
/* "none", "tag", "mask", "surrogate" -> mode; -1 if unknown. */
int deid_mode_parse(const char *s);

struct deid_opts {
	enum deid_mode mode;
	/* Surrogate mode: the deployment secret and the patient key (a stable pseudonymous id). Surrogates
	 * and the date shift are derived from keyed BLAKE2b(secret, patient key), so the same patient gets
	 * the same surrogates in every note, and another deployment (another secret) gets other ones.
	 * secret_len 0 uses an all-zero key (fine for tests, not for production). */
	const uint8_t *secret;
	size_t secret_len;
	const char *patient_key; /* NULL or "" means "no patient": one shared key */
	bool keep_map;           /* fill out->segs (the offset map); implied by modes other than NONE */
};
void deid_opts_init(struct deid_opts *o); /* mode TAG, no secret, no patient key */

/* One replaced region: input [in_start, in_end) became output [out_start, out_end). Text between
 * segments is copied unchanged, so offsets there shift by a constant. Sorted, non-overlapping. */
struct deid_map_seg {
	size_t in_start, in_end, out_start, out_end;
};

struct deid_result {
	struct deid_span *spans;
	size_t nspans;
	char *text; /* NUL-terminated UTF-8 output (NULL in mode NONE) */
	size_t text_len;
	struct deid_map_seg *segs;
	size_t nsegs;
	size_t in_ncp, out_ncp; /* lengths in code points */
};
void deid_result_init(struct deid_result *r);
void deid_result_release(struct deid_result *r);

struct deid_engine;
/* Builds the engine: compiles the patterns and loads the compiled-in dictionaries. NULL on failure. */
struct deid_engine *deid_engine_new(struct ml_err *err) ML_MUST_CHECK;
void deid_engine_free(struct deid_engine *e);

/* The largest note deid_text accepts (bytes); larger input fails with ML_ELIMIT. */
#define DEID_MAX_TEXT ((size_t)64 << 20)

/* Finds the PHI in text[0..len) (UTF-8, need not be NUL-terminated) and, unless opts->mode is NONE,
 * writes the replaced text and the offset map. known and opts may be NULL (defaults: nothing known, mode
 * TAG). out must be initialised; it is released first. On failure out is left empty. */
int deid_text(const struct deid_engine *e, const char *text, size_t len, const struct deid_known *known,
	      const struct deid_opts *opts, struct deid_result *out, struct ml_err *err) ML_MUST_CHECK;

/* Offset mapping between the output and the input of one result (code points). A position inside a
 * replaced segment maps to the segment's start (is_end false) or end (is_end true), so a span maps to
 * the smallest span covering it. Positions past the end are clamped. */
size_t deid_map_to_input(const struct deid_result *r, size_t out_cp, bool is_end);
size_t deid_map_to_output(const struct deid_result *r, size_t in_cp, bool is_end);
void deid_map_span_to_input(const struct deid_result *r, size_t out_start, size_t out_end, size_t *in_start,
			    size_t *in_end);
void deid_map_span_to_output(const struct deid_result *r, size_t in_start, size_t in_end, size_t *out_start,
			     size_t *out_end);

/* ---- evaluation (medlabel deid eval) ---------------------------------------------------------------- */

/* Token-level scores use this token definition: a token is a maximal run of letters, marks and digits
 * (Unicode categories L*, M*, N*); every other non-space code point is a token of its own but is not
 * scored (punctuation carries no PHI). A token is PHI of type T in the gold when any of its code points
 * lies in a gold span of type T, and is predicted PHI when any of its code points lies in a predicted
 * span. Overall figures ask only "was this token removed" (binary); by_type[T] counts gold tokens of type T
 * found by a prediction of any type (tp) or missed (fn), and predicted tokens of type T outside every
 * gold span (fp). Entity figures need the same category (names, locations, dates, contacts, ids, ages,
 * professions): exact = same start and end; overlap = any shared code point. */
struct deid_counts {
	long tp, fp, fn;
};
struct deid_scores {
	struct deid_counts token, exact, overlap;
	/* per type; the type names are the gold's own (i2b2, or Presidio's when scoring a Presidio file) */
	size_t ntypes;
	char (*type_names)[32];
	struct deid_counts *tok_by, *exact_by, *overlap_by;
	long notes;
};
/* A miss: the gold span's type and text (shown on the evaluator's own terminal only). */
struct deid_miss {
	char note[64];
	char type[32];
	size_t start, end;
	char *text;
	char *context;
};
struct deid_eval {
	struct deid_scores scores;
	struct deid_miss *misses;
	size_t nmisses;
	struct deid_miss *false_pos; /* predictions outside every gold span */
	size_t nfalse_pos;
};
void deid_eval_init(struct deid_eval *ev);
void deid_eval_release(struct deid_eval *ev);
/* Which notes of a gold set to score: the BRAT note numbers, or the Presidio item indexes (from 0), in
 * [first, last] and of the given parity (tuning on one half and reporting the other keeps a held-out half). */
enum deid_eval_half { DEID_EVAL_ALL, DEID_EVAL_EVEN, DEID_EVAL_ODD };
struct deid_eval_sel {
	long first, last;
	enum deid_eval_half half;
};
/* Scores the engine on a gold set: a folder of BRAT NNN.txt + NNN.ann files, or a Presidio JSON file
 * (an array of {"full_text", "spans":[{"entity_type","start_position","end_position"}]}). sel NULL scores
 * every note. */
int deid_eval_run(const struct deid_engine *e, const char *gold, const struct deid_eval_sel *sel,
		  struct deid_eval *ev, struct ml_err *err) ML_MUST_CHECK;
/* Appends the scores as JSON: {"token":{"overall":{tp,fp,fn,precision,recall,f1},"by_type":{..}},
 * "entity_exact":{..},"entity_overlap":{..}} */
int deid_eval_json(const struct deid_eval *ev, struct ml_buf *out) ML_MUST_CHECK;

/* ---- de-identification on import (import.c) --------------------------------------------------------- */

/* A project requires de-identification of its text items when its settings hold
 *   "deid": {"text": "surrogate" | "tag" | "mask", "review": false, "control": "phi"}
 * The import driver (io_import_files: CLI and HTTP import) and POST .../items call deid_import_apply on
 * every item before store_item_add, so the original text never reaches the database:
 *   - known identifiers come from the item's metadata: meta.known_names and meta.known_mrns (a string or
 *     an array of strings); they are removed from the stored metadata;
 *   - surrogates and date shifts are keyed by the deployment secret and the item's patient key;
 *   - meta.deid records {"engine": "medlabel-deid VERSION", "mode": ..., "spans": N} (no PHI).
 * With "review": true the item is stored as imported but hidden (visible = false, meta.deid.status
 * "pending-review") with the engine's spans as a prediction body (control "control", labels the i2b2
 * type names, no "text") for a reviewer; deid_review_apply then replaces the reviewed spans and shows it. */
struct deid_import_cfg {
	bool enabled;
	enum deid_mode mode;
	bool review;
	char control[65];
};
/* Reads the "deid" object of a project's settings JSON (cfg->enabled false when there is none). ML_EINVAL
 * with a message naming the bad field otherwise. */
int deid_import_cfg_parse(const char *settings_json, struct deid_import_cfg *cfg, struct ml_err *err) ML_MUST_CHECK;
/* The same from a parsed jansson value (json_t *; NULL = not set): for the settings validation. */
int deid_import_cfg_from_json(const void *deid_obj, struct deid_import_cfg *cfg, struct ml_err *err) ML_MUST_CHECK;

/* The process-wide engine, built on first use (thread-safe) and kept until exit; NULL on failure. */
const struct deid_engine *deid_engine_shared(struct ml_err *err);

struct deid_import;
/* Builds the project's import policy (the shared engine and the deployment secret from data_dir). *out is NULL, with
 * success, when the project does not require de-identification. Read-only afterwards (thread-safe). */
int deid_import_new(const char *settings_json, const char *data_dir, struct deid_import **out,
		    struct ml_err *err) ML_MUST_CHECK;
void deid_import_free(struct deid_import *di);
const struct deid_import_cfg *deid_import_config(const struct deid_import *di);
const struct deid_engine *deid_import_engine(const struct deid_import *di);
/* Options for deid_text keyed for one patient (borrowing di's secret). */
void deid_import_opts(const struct deid_import *di, const char *patient_key, struct deid_opts *o);

struct deid_import_out {
	char *text;            /* the text to store (de-identified, or the original in review mode); NULL for media */
	char *meta_json;       /* the metadata to store */
	char content_hash[65]; /* of text ("" for media: keep the item's own) */
	bool visible;
	char *prediction_json; /* review mode: the proposed spans (annotation body); else NULL */
};
void deid_import_out_init(struct deid_import_out *o);
void deid_import_out_release(struct deid_import_out *o);
/* De-identifies one item as the policy says. Errors never quote the text. */
int deid_import_apply(const struct deid_import *di, const struct store_item *in, struct deid_import_out *out,
		      struct ml_err *err) ML_MUST_CHECK;

/* Review mode: for the task t of a hidden item awaiting review, replaces the reviewed PHI spans and shows
 * the item. The spans are reviewed_body's (an annotation body: results of the policy's control, start/end
 * in code points of the hidden text, label an i2b2 type) when not NULL; else the latest human annotation
 * of the task; without one, the engine's proposal when accept_proposal is true, else nothing is done.
 * When the spans came from a stored annotation, that annotation gets a new version whose offsets point into
 * the new text and whose "text" fields quote it (exports take the latest version; older versions, like the
 * hidden text, stay in the database's history).
 * *applied tells whether it did; meta.deid then says {"status": "released", "spans": N replaced}. Items that
 * are visible or not awaiting review are left alone. */
int deid_review_apply(struct store *s, const struct deid_import *di, const struct store_task *t,
		      const char *reviewed_body, bool accept_proposal, bool *applied, struct ml_err *err) ML_MUST_CHECK;

#endif
