/* text: clinical text, EHR and survey data. FHIR R4 and CSV import, ontologies (OBO 1.4, FHIR CodeSystem,
 * CSV) with a ranked search index, a dictionary tagger with NegEx-style context, and the text exports
 * (CoNLL-2003 BIO, spaCy JSON, BRAT standoff, FHIR Bundle, survey CSV).
 *
 * Offsets. Every offset this module takes or gives is a Unicode code point index into the item's text
 * (never a byte offset), so right-to-left scripts and combining characters keep their positions in every
 * export. Internally the tokenizer works on bytes and converts once per token.
 *
 * Wiring. io_text.c registers the io importers fhir, csv and brat and the exporters conll, spacy, brat, fhir
 * and survey-csv; h_ontology.c the ontology HTTP routes; cmd_ontology.c and cmd_tag.c the commands
 * `ontology load|list|search|show` and `tag`.
 *
 * Importers stream. FHIR Bulk Data NDJSON is read line by line with a per-line size cap, so a 2 GB file
 * imports in constant memory apart from the structured fields (Observation, Condition) and the survey
 * index (QuestionnaireResponse), which are kept in bounded tables between the two passes described at
 * text_fhir_import. A resource that is malformed is reported through opts->report with its line number
 * (NDJSON) or entry index (Bundle) and its id, never its content, and the good resources of the file still
 * import. Items reach the caller through opts->emit as `struct store_item` (the store's importer contract);
 * the item's pointers are valid only during the call.
 *
 * Ontologies are parsed into `struct text_ontology` (concepts with a preferred display, synonyms, parents)
 * and saved under DATA/ontologies/ as a tab-separated file plus index.json; text_ontology_open loads one
 * and builds its search index in a few tens of milliseconds for 20,000 concepts. Search, parents and
 * children are the functions the HTTP routes call. An ontology object is read-only after text_ontology_index
 * and may be shared by threads.
 *
 * The tagger (text_tagger_*) tags ontology concepts in notes by longest match over NFKC-casefolded tokens,
 * and marks each match negated / uncertain / historical / family from trigger phrases in the same sentence.
 * Its output is a list of `struct text_span` that the caller stores as predictions (never validated labels).
 */
#ifndef ML_TEXT_H
#define ML_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

#define TEXT_TAGGER_NAME "medlabel-dict"
#define TEXT_TAGGER_VERSION "1.0"

/* ---- base64 (RFC 4648, strict) ------------------------------------------------------------------------ */

/* Decodes standard base64 with '=' padding. Whitespace between characters is skipped (FHIR base64Binary
 * allows it); any other character outside the alphabet, misplaced padding, a length that is not a multiple
 * of four, or non-zero trailing bits fail with ML_EINVAL naming the byte offset. The output (NUL-terminated,
 * free with ml_free) must not exceed max bytes (ML_ELIMIT). */
int text_base64_decode(const char *in, size_t n, size_t max, char **out, size_t *outlen, struct ml_err *err) ML_MUST_CHECK;
int text_base64_encode(struct ml_buf *b, const void *data, size_t n) ML_MUST_CHECK;

/* ---- importing ---------------------------------------------------------------------------------------- */

/* One problem with one input record: where it is (line of the file, and entry of a Bundle when there is
 * one), which resource (type and id, may be ""), and what is wrong. Never contains note text or values. */
struct text_problem {
	long line;          /* 1-based line of the file (NDJSON, CSV); 0 when the file is one JSON document */
	long column;        /* 1-based column (code points) for CSV syntax errors, else 0 */
	long entry;         /* 0-based Bundle entry index, -1 when not in a Bundle */
	const char *resource_type;
	const char *id;
	const char *msg;
	bool skipped_only;  /* an unsupported resource type or an empty row: skipped, not an error */
};

struct text_import_opts {
	int64_t project_id;
	/* Called for each item; the item is valid during the call. Non-zero stops the import and is returned. */
	int (*emit)(void *ctx, const struct store_item *it, struct ml_err *err);
	/* Called for each problem; may be NULL. */
	void (*report)(void *ctx, const struct text_problem *p);
	void *ctx;
	size_t max_line;         /* longest NDJSON line / CSV record in bytes (default 64 MiB) */
	size_t max_document;     /* a whole-file (not NDJSON) document (default 256 MiB) */
	size_t max_struct_bytes; /* Observations and Conditions kept between passes (default 256 MiB) */
	int max_fields_per_item; /* Observations + Conditions attached to one item (default 500) */
};

struct text_import_stats {
	long documents;     /* DocumentReference + DiagnosticReport items emitted */
	long surveys;       /* QuestionnaireResponse items emitted */
	long observations, conditions, patients; /* resources read */
	long rows;          /* CSV rows emitted */
	long errors;        /* resources or rows rejected */
	long skipped;       /* unsupported resource types or blank rows */
};

/* Imports a FHIR R4 file: Bulk Data NDJSON (one resource per line; a line may also be a Bundle) or one
 * JSON document (a Bundle, or a single resource). The file is read twice, so it must be seekable:
 *   pass 1 collects Patient fullUrls (to resolve urn:uuid references), the compact structured fields of
 *          every Observation and Condition, keyed by patient (bounded by max_struct_bytes), and the position,
 *          patient and `authored` time of every QuestionnaireResponse;
 *   pass 2 emits one text item per DocumentReference / DiagnosticReport, with the patient's Observations
 *          and Conditions (those of its encounter, plus those without an encounter) in meta.fhir;
 *   then   QuestionnaireResponses are re-read by position and emitted sorted by (patient, authored), each
 *          with meta.survey.sequence, so a patient's responses are consecutive items in time order.
 * Returns 0 when the file could be read (even if some resources were rejected: see stats->errors); -1 when
 * the file itself cannot be read or emit failed. */
int text_fhir_import(const char *path, const struct text_import_opts *opts, struct text_import_stats *stats,
		     struct ml_err *err) ML_MUST_CHECK;

/* CSV with a column mapping. Spec: comma-separated "target=column" pairs, where target is `text`
 * (required), `patient`, `ref` (external_ref), `modality` (text or survey), or `meta.NAME` (NAME may contain
 * dots: meta.visit.date nests). Columns are named by the header row. */
struct text_csv_map_entry {
	char *target; /* "text", "patient", "ref", "modality", or "meta.NAME" */
	char *column;
	int col;      /* resolved index, -1 until the header is read */
};
struct text_csv_map {
	struct text_csv_map_entry *v;
	int n;
};
int text_csv_map_parse(const char *spec, struct text_csv_map *map, struct ml_err *err) ML_MUST_CHECK;
void text_csv_map_release(struct text_csv_map *map);
/* Imports rows as text items (source ehr, modality text unless mapped). RFC 4180: quoted fields, doubled
 * quotes, embedded newlines, CRLF or LF, a UTF-8 BOM. A malformed row (unterminated quote, stray quote,
 * wrong field count, invalid UTF-8) is reported with its line and column and skipped; a malformed header
 * or a mapped column missing from the header fails the whole import. */
int text_csv_import(FILE *in, const char *name, const struct text_csv_map *map, const struct text_import_opts *opts,
		    struct text_import_stats *stats, struct ml_err *err) ML_MUST_CHECK;

/* A streaming RFC 4180 reader, also used by the ontology CSV loader. */
struct text_csv_reader {
	FILE *in;
	const char *name;   /* for messages */
	long line;          /* line where the current record starts (1-based) */
	long next_line;
	size_t max_record;
	struct ml_buf rec;  /* the fields, each NUL-terminated, back to back */
	size_t *off;        /* start of field i in rec.data */
	size_t *flen;
	int nfields, alloc_fields;
	bool started;
	long err_line, err_col; /* of the last error */
	const char *err_what;   /* its description (a constant string) */
};
void text_csv_reader_init(struct text_csv_reader *r, FILE *in, const char *name, size_t max_record);
void text_csv_reader_release(struct text_csv_reader *r);
/* Reads the next record: 1 = a record, 0 = end of input, -1 = error (err names line and column; the reader
 * has skipped to the end of the bad record so the caller may continue). */
int text_csv_next(struct text_csv_reader *r, struct ml_err *err);
static inline const char *text_csv_field(const struct text_csv_reader *r, int i) { return r->rec.data + r->off[i]; }

/* ---- tokens -------------------------------------------------------------------------------------------- */

/* The tokenizer shared by the tagger, the CoNLL export and ontology search. A token is a maximal run of
 * letters, marks and digits (Unicode categories L*, M*, N*), except that each CJK ideograph, kana or
 * Hangul syllable is a token of its own (Chinese and Japanese have no spaces; matching is per character).
 * With `punct`, every other non-space code point is a one-character token too (CoNLL needs them). */
struct text_token {
	uint32_t start, end;       /* code points */
	uint32_t bstart, bend;     /* bytes */
	bool punct;                /* a punctuation/symbol token */
	bool sentence_end;         /* . ! ? ; 。 ！ ？ ؟ ， 、 a blank line or a list item follows */
	bool question;             /* a '?' follows this word token */
};
struct text_tokens {
	struct text_token *v;
	size_t n, alloc;
};
void text_tokens_release(struct text_tokens *t);
int text_tokenize(const char *s, size_t n, bool punct, struct text_tokens *out, struct ml_err *err) ML_MUST_CHECK;
/* NFKC casefold of s[0..n) (plus removal of Arabic tashkeel and tatweel) appended to out. ASCII is lowered
 * in place without a call into utf8proc. */
int text_fold(const char *s, size_t n, struct ml_buf *out) ML_MUST_CHECK;

/* ---- ontologies ---------------------------------------------------------------------------------------- */

struct text_concept {
	char *code;
	char *display;
	char **synonyms;      /* display excluded; OBO BROAD synonyms are not kept */
	int nsyn;
	char **alt_codes;     /* OBO alt_id: other codes that name this concept */
	int nalt;
	char **parent_codes;  /* as parsed */
	int nparents;
	/* After text_ontology_index: */
	int *parents;         /* indexes into concepts[] of the parents that exist */
	int nresolved;
	int *children;
	int nchildren;
	bool obsolete;
};

struct text_onto_index;   /* the search structures (search.c) */
struct text_code_slot;    /* the code hash table (ontology.c) */

struct text_ontology {
	int64_t id;           /* 0 until saved */
	char *name, *version, *system; /* system: the code system URI written into labels (or the name) */
	char *hash;           /* hex BLAKE2b-256 of the source file */
	int64_t project_id;   /* 0 = global */
	int64_t loaded_at;
	struct text_concept *concepts;
	int n, alloc;
	long unknown_parents; /* parent codes that name no concept (after indexing) */
	struct ml_arena arena;   /* strings and arrays of the concepts */
	struct text_code_slot *code_slots;
	size_t code_mask;
	struct text_onto_index *ix;
};

enum text_onto_format { TEXT_ONTO_AUTO = 0, TEXT_ONTO_OBO, TEXT_ONTO_CODESYSTEM, TEXT_ONTO_CSV };

struct text_ontology *text_ontology_new(void);
void text_ontology_free(struct text_ontology *o);
/* Parses a file (format AUTO picks by content: "format-version:" or "[Term]" = OBO, a JSON object with
 * resourceType CodeSystem, otherwise CSV with a header containing code and display). Obsolete terms are kept
 * but flagged (never suggested by search or the tagger); alt_ids become synonymous codes of their term. */
int text_ontology_parse(const char *path, enum text_onto_format fmt, struct text_ontology *o, struct ml_err *err) ML_MUST_CHECK;
int text_ontology_parse_mem(const char *data, size_t len, enum text_onto_format fmt, struct text_ontology *o,
			    struct ml_err *err) ML_MUST_CHECK;
/* Resolves parents and children and builds the search index. Unknown parent codes are ignored (counted). */
int text_ontology_index(struct text_ontology *o, struct ml_err *err) ML_MUST_CHECK;
/* Concept index by code (or alt_id), -1 if none. Needs text_ontology_index. */
int text_ontology_find_code(const struct text_ontology *o, const char *code);

/* Saving and loading under DATA/ontologies/. Saving assigns o->id. A (name, version, project) triple may be
 * saved once (ML_EEXIST); the same content under a new version is fine. */
int text_ontology_save(const char *data_dir, struct text_ontology *o, struct ml_err *err) ML_MUST_CHECK;
/* Loads by id ("3"), name ("HPO": the latest loaded version) or "name@version", among the ontologies
 * visible to project_id: the global ones and that project's (project_id 0: globals only; -1: all). */
int text_ontology_open(const char *data_dir, const char *id_or_name, int64_t project_id, struct text_ontology **out,
		       struct ml_err *err) ML_MUST_CHECK;
/* The server's way in: a process-wide cache of loaded, indexed ontologies (saved ontologies never change,
 * so an id always names the same content). The result is shared and read-only; do not free it. Thread-safe.
 * project_id as for text_ontology_open: an ontology of another project is ML_ENOTFOUND. */
int text_ontology_get(const char *data_dir, const char *id_or_name, int64_t project_id, const struct text_ontology **out,
		      struct ml_err *err) ML_MUST_CHECK;
/* Frees every cached ontology (tests, shutdown); no pointer from text_ontology_get may be in use. */
void text_ontology_cache_clear(void);
struct text_ontology_info {
	int64_t id, project_id;
	const char *name, *version, *system, *hash;
	int concepts;
	int64_t loaded_at;
};
/* Lists saved ontologies (project_id < 0: all; otherwise globals and that project's). */
int text_ontology_list(const char *data_dir, int64_t project_id, int (*cb)(void *ctx, const struct text_ontology_info *i),
		       void *ctx, struct ml_err *err) ML_MUST_CHECK;

/* Ranked search. Classes, best first: exact (the whole display, a synonym or the code), prefix of a term,
 * every query token a prefix of a term token, fuzzy (each token within Damerau-Levenshtein 1, or 2 for
 * tokens of 8+ characters). Within a class, the preferred display before synonyms, then shorter terms. */
enum text_match { TEXT_MATCH_EXACT = 0, TEXT_MATCH_PREFIX, TEXT_MATCH_TOKEN, TEXT_MATCH_FUZZY };
struct text_hit {
	int concept;          /* index into o->concepts */
	enum text_match match;
	const char *matched;  /* the display or synonym that matched (owned by the ontology) */
	double score;         /* lower is better */
};
/* Fills up to max hits; returns the number found (0..max), or -1 on a bad query (too long, invalid UTF-8). */
int text_ontology_search(const struct text_ontology *o, const char *q, struct text_hit *hits, int max, struct ml_err *err);
/* Writes the hits as a JSON array of {code, display, system, version, match, matched, obsolete}. */
int text_ontology_hits_json(const struct text_ontology *o, const struct text_hit *hits, int n, struct ml_buf *out) ML_MUST_CHECK;
/* {code, display, system, version, obsolete, synonyms, alt_codes, parents:[{code,display}], children:[...]}. */
int text_ontology_concept_json(const struct text_ontology *o, int concept, struct ml_buf *out) ML_MUST_CHECK;
/* [{code, display}] of the direct parents / children of one concept (GET .../parents, .../children). */
int text_ontology_parents_json(const struct text_ontology *o, int concept, struct ml_buf *out) ML_MUST_CHECK;
int text_ontology_children_json(const struct text_ontology *o, int concept, struct ml_buf *out) ML_MUST_CHECK;

/* ---- spans (what the tagger produces and the exports consume) ------------------------------------------ */

/* The annotation body is label's format (docs/SCHEMA.md): {"results": [...]}, each result naming its
 * control. This module reads and writes the text kinds:
 *   span        {"id","control","label","start","end","text","attributes"?,"codes"?,"score"?}
 *   relation    {"id","control","label","from","to"}
 *   coded       {"id","control","codes":[{"system","code","version"?,"display"?}]}
 *   classification {"id","control","choices":[...]}
 *   survey_code {"id","control","question","choices":[...]}
 * Attributes written by the tagger: "negated": true, "certainty": "uncertain", "temporality": "historical",
 * "experiencer": "family" (text_tagger_opts says which of them the project's schema declares). */
enum {
	TEXT_ATTR_NEGATED = 1,
	TEXT_ATTR_UNCERTAIN = 2,
	TEXT_ATTR_HISTORICAL = 4,
	TEXT_ATTR_FAMILY = 8,
};

struct text_span {
	char *id;        /* "T1"... unique in the document */
	char *control;   /* the schema control ("ents"); NULL = "entities" */
	uint32_t start, end; /* code points, end exclusive */
	char *label;     /* the span label ("Phenotype") */
	char *system, *code, *display, *version; /* the first code, NULL if not coded */
	unsigned attrs;  /* TEXT_ATTR_* */
	double score;    /* 1.0 for dictionary matches; < 0 = none */
};
struct text_relation {
	char *id, *control, *label, *from, *to; /* from/to are span ids */
};
/* A document class, a coded label or a survey coding: one per choice or code. */
struct text_class {
	char *id, *control;
	char *label;     /* the choice (classification, survey_code), NULL for coded */
	char *system, *code, *display, *version; /* coded: the code */
	char *question;  /* survey_code: the question's linkId, else NULL */
};
/* The annotations of one document, as the exporters see them. Strings are owned by `arena`. */
struct text_doc {
	struct text_span *spans;
	int nspans, aspans;
	struct text_relation *rels;
	int nrels, arels;
	struct text_class *classes;
	int nclasses, aclasses;
	struct ml_arena arena;
};
void text_doc_init(struct text_doc *d);
void text_doc_release(struct text_doc *d);
/* Adds a span (label copied into the arena) and returns it for the caller to fill the rest. */
struct text_span *text_doc_add_span(struct text_doc *d, uint32_t start, uint32_t end, const char *label);
struct text_relation *text_doc_add_relation(struct text_doc *d, const char *from, const char *to, const char *label);
struct text_class *text_doc_add_class(struct text_doc *d);
char *text_doc_strdup(struct text_doc *d, const char *s); /* NULL stays NULL */
/* Appends the spans, relations and classes of an annotation body. Results of other kinds are ignored.
 * Offsets are checked against text_cp (the text's length in code points; < 0 = unchecked). */
int text_doc_from_body(struct text_doc *d, const char *body_json, long text_cp, struct ml_err *err) ML_MUST_CHECK;
/* Writes the document as an annotation body; text is needed for each span's "text". */
int text_doc_to_body(const struct text_doc *d, const char *text, size_t len, struct ml_buf *out) ML_MUST_CHECK;
/* Sorts spans by (start, longer first, label) so exports are deterministic. */
void text_doc_sort(struct text_doc *d);

/* ---- tagger -------------------------------------------------------------------------------------------- */

struct text_tagger;
struct text_tagger_opts {
	const char *control; /* the span control written on every match (default "entities") */
	const char *label;   /* the span label written on every match (default "Concept") */
	int scope_tokens;    /* a trigger reaches this many word tokens (default 8) */
	unsigned attrs_mask; /* which TEXT_ATTR_* to write (0 = all four) */
	bool include_obsolete;
};
/* Matching. Terms and notes are NFKC-casefolded and tokenized alike (text_tokenize), so "Non-small cell"
 * matches "non small cell"; at each token the longest term wins, and a match never crosses a sentence end.
 * A term of 2-5 ASCII capitals ("HTN", "ALL") is an abbreviation and matches only with the same case.
 * Terms that are one ASCII letter or only digits are not used. Among concepts sharing a matched term, the
 * one whose preferred display it is wins, then the first loaded.
 * Context (NegEx/ConText): a trigger before the concept ("no", "denies", "possible", "history of",
 * "mother") or after it ("was ruled out", "unlikely", "?") applies when it is in the same sentence, within
 * scope_tokens word tokens, with no terminator ("but", "however"...) in between; pseudo-triggers ("no
 * increase", "gram negative") apply nothing. English, Chinese and Arabic trigger lists are built in. */
/* Builds the dictionary from the ontology's displays and synonyms (the ontology must outlive the tagger). */
int text_tagger_new(const struct text_ontology *o, const struct text_tagger_opts *opts, struct text_tagger **out,
		    struct ml_err *err) ML_MUST_CHECK;
void text_tagger_free(struct text_tagger *t);
/* Tags one note (valid UTF-8) and appends spans to doc (ids "T<n>" continuing doc's count), each coded
 * with system = the ontology's name (as labels name code systems), code, display and version, score 1.
 * The spans' code and display point into the ontology (not copied: this runs once per match), so the
 * ontology must outlive doc as it outlives the tagger. A tagger holds scratch buffers: one per thread. */
int text_tagger_run(struct text_tagger *t, const char *text, size_t len, struct text_doc *doc, struct ml_err *err) ML_MUST_CHECK;
size_t text_tagger_terms(const struct text_tagger *t);

/* ---- exports ------------------------------------------------------------------------------------------- */

/* CoNLL-2003: one "TOKEN _ _ TAG" line per token (text_tokenize with punct), a blank line after each
 * sentence, "-DOCSTART- -X- -X- O" before each document. A token belongs to a span if it overlaps it; the
 * first token of a span is B-LABEL, later ones I-LABEL; where spans overlap, the earliest-starting longest
 * span wins (CoNLL cannot nest). Spaces inside a token cannot occur. */
int text_export_conll(FILE *out, const char *text, size_t len, const struct text_doc *d, struct ml_err *err) ML_MUST_CHECK;
/* spaCy-style JSON Lines: {"text", "ents":[{"start","end","label","kb_id","system", attributes}],
 * "relations":[{"head","child","label"}], "cats":{label:1.0}, "meta"} per document. Offsets are code points,
 * which is what Python's str (and so spaCy's char_span) counts. */
int text_export_spacy(FILE *out, const char *text, size_t len, const struct text_doc *d, const char *meta_json,
		      struct ml_err *err) ML_MUST_CHECK;
/* BRAT standoff: writes DIR/BASE.txt (the text, bytes unchanged) and DIR/BASE.ann (T, R, A and # notes).
 * BRAT offsets are code points (as brat's own Python server counts them); span text containing a newline is
 * written as discontinuous fragments. Attributes: Negated, Uncertain, Historical, Family. Codings: a
 * "#N AnnotatorNotes Tn system|code|version|display" line. */
int text_export_brat(const char *dir, const char *base, const char *text, size_t len, const struct text_doc *d,
		     struct ml_err *err) ML_MUST_CHECK;
/* Reads a .ann file back (the inverse of the above; other BRAT files with T/R/A lines also parse). */
int text_brat_read(const char *ann, size_t len, struct text_doc *d, struct ml_err *err) ML_MUST_CHECK;

/* FHIR: a Bundle (type collection) streamed entry by entry. Each coded span or coded class becomes a
 * resource with code.coding {system, code, display, version}: a Condition (verificationStatus confirmed,
 * refuted when negated, provisional when uncertain; clinicalStatus resolved when historical) whose
 * evidence.detail points at the source (the item's DocumentReference / DiagnosticReport /
 * QuestionnaireResponse, else an identifier urn:medlabel:item), an Observation (LOINC codes, or the label
 * "Observation") with derivedFrom the source, or a FamilyMemberHistory for family-member mentions. Spans
 * carry their code-point offsets in an extension (…/source-span: start, end). Subjects are
 * Patient/<pseudonymous key>. Code system names become URIs through uri_of (NULL: text_code_system_uri). */
struct text_fhir_writer {
	FILE *out;
	long entries;
	const char *(*uri_of)(void *ctx, const char *name);
	void *uri_ctx;
};
/* "HPO" -> "http://purl.obolibrary.org/obo/hp.owl", "ICD-10-CM", "SNOMED CT", "LOINC", "RxNorm"...;
 * anything else is returned unchanged. */
const char *text_code_system_uri(const char *name);
/* Starts the Bundle; the caller fills w->uri_of/uri_ctx first if it has them. */
int text_fhir_writer_begin(struct text_fhir_writer *w, FILE *out) ML_MUST_CHECK;
int text_fhir_writer_item(struct text_fhir_writer *w, const struct store_item *it, const struct text_doc *d,
			  struct ml_err *err) ML_MUST_CHECK;
int text_fhir_writer_end(struct text_fhir_writer *w, struct ml_err *err) ML_MUST_CHECK;

/* Survey CSV: header "patient,response,authored,sequence,question_id,question,answer,codes" and one row per
 * response x question (item meta.survey.items, as the FHIR importer writes them; one row for an item without
 * them). codes lists, joined by ';', the classes coded to that question ("choice", or "choice=system|code"
 * when the schema gives the choice a code) and the coded spans inside the question's answer ("system|code"). */
int text_survey_csv_header(FILE *out) ML_MUST_CHECK;
int text_survey_csv_item(FILE *out, const struct store_item *it, const struct text_doc *d, struct ml_err *err) ML_MUST_CHECK;
/* Writes one CSV field with RFC 4180 quoting when needed, then ',' or (last) CRLF; -1 on a write error. */
int text_csv_write_field(FILE *out, const char *s, bool last) ML_MUST_CHECK;

#endif
