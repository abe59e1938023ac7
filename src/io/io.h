/* io: pluggable import and export formats, and the export driver (manifests, snapshots, splits).
 *
 * A format registers itself from its own file with IO_IMPORTER / IO_EXPORTER (like CLI_COMMAND), so
 * adding FHIR, CoNLL or COCO touches no shared table and no command file. `medlabel import --format NAME`
 * and `medlabel export --format NAME` select one by name; without --format, import picks the importer
 * whose `extensions` list matches the file name (".jsonl", ".txt"...).
 *
 * Importing. An importer reads one file and calls `emit` once per item, in file order. It never touches
 * the store: the caller (the CLI, the HTTP upload route) owns batching and transactions, so a crash never
 * leaves half a batch behind. The item passed to emit is borrowed for the duration of the call. An
 * importer that also carries labels (CoNLL, BRAT, spaCy) calls opts->emit_annotation after the item to
 * attach them to it (passing the same ctx as emit). Errors: the importer names the file and the line (or byte offset) in err->msg
 * ("'notes.jsonl': line 12: 'text' must be a string"); when emit fails, it returns -1 and leaves emit's
 * error as is, prefixed with the position by io_err_at_line when emit's code is ML_EINVAL.
 * Importers stream: memory stays bounded by opts->max_item_bytes, never by the file size.
 *
 * Exporting. io_export_run walks a project's items in id order, each with its task and the latest
 * version of every annotation (or, for a snapshot, exactly the pinned item contents and annotation
 * versions) and hands them to the exporter one at a time: begin, item..., end. The exporter writes to
 * ex->out (a FILE* the driver owns: it hashes every byte for the manifest). Exporters must be
 * deterministic: the same rows give the same bytes (no clocks, no hash-table order), which is what makes
 * a snapshot re-export byte-identical. Formats that need a folder of files (NIfTI masks) use ex->out_dir.
 *
 * Manifest. Every export produces a manifest (JSON: format, project, counts, filters, split spec,
 * snapshot, schema version and hash, BLAKE2b-256 of the exported bytes, medlabel version). With --out PATH it is
 * written next to it as PATH.manifest.json; on stdout it is handed to the exporter's `manifest` hook to
 * append as a final record (JSONL writes one {"manifest":{...}} line); a format without that hook needs
 * --out or --manifest PATH.
 */
#ifndef ML_IO_H
#define ML_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

/* ---- importers ------------------------------------------------------------------------------------- */

typedef int (*io_emit_fn)(void *ctx, const struct store_item *item, struct ml_err *err);
/* Attaches a label set to the item emitted last: a->body_json (validated later against the project's
 * schema by the caller), a->kind ("gold", "model", "human"), a->model/model_version for predictions.
 * Other fields of *a are ignored. */
typedef int (*io_emit_annotation_fn)(void *ctx, const struct store_annotation *a, struct ml_err *err);

struct io_import_opts {
	int64_t project_id;
	const char *data_dir;          /* for importers that store media (store_media_put_*) */
	enum store_modality modality;  /* default for items whose format does not say (text) */
	enum store_source source;      /* default source (other) */
	size_t max_item_bytes;         /* one item's text or one input line; 0 = IO_MAX_ITEM_BYTES */
	const char *options;           /* free-form --format-opt value for the importer, NULL if none */
	io_emit_annotation_fn emit_annotation; /* NULL when the caller does not take labels */
};

#define IO_MAX_ITEM_BYTES (64u << 20)

struct io_importer {
	const char *name;       /* "jsonl" */
	const char *extensions; /* comma-separated, lower case, with dots: ".jsonl,.ndjson"; "" = never guessed */
	const char *summary;    /* one line for `medlabel import --help` */
	int (*import)(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx,
		      struct ml_err *err);
};

void io_importer_register(const struct io_importer *imp);
const struct io_importer *io_importer_find(const char *name); /* NULL if unknown */
/* By the file's extension; NULL if none matches. */
const struct io_importer *io_importer_guess(const char *path);
/* Calls cb for each registered importer, sorted by name. */
void io_importer_each(void (*cb)(void *ctx, const struct io_importer *imp), void *ctx);

#define IO_IMPORTER(id, name_, exts_, summary_, fn)                                                \
	static const struct io_importer io_imp_##id = {name_, exts_, summary_, fn};                \
	__attribute__((constructor)) static void io_imp_register_##id(void) { io_importer_register(&io_imp_##id); }

/* Prefixes err->msg with "'PATH': line N: " (line 0: just the path). Returns -1. */
int io_err_at_line(struct ml_err *err, const char *path, uint64_t line);

/* ---- the import driver ---------------------------------------------------------------------------- */

struct io_import_stats {
	uint64_t items;       /* items added (including those of a batch that was rolled back) */
	uint64_t committed;   /* items in committed batches: what the store keeps */
	uint64_t annotations;
};

/* Imports files into project_id: each file through `forced` or the importer its name suggests, items
 * added with store_item_add (task overlap `overlap`) in transactions of `batch` items. Parsing runs on
 * a helper thread while this one writes, with a bounded queue between them (memory stays bounded).
 * On an error the batch in progress is rolled back, earlier batches stay, and err names the file and
 * line. progress (may be NULL) is called from this thread now and then with the items added so far. */
int io_import_files(struct store *s, int64_t project_id, const char *const *files, int nfiles,
		    const struct io_importer *forced, const struct io_import_opts *opts, int overlap, long batch,
		    void (*progress)(void *ctx, uint64_t items), void *progress_ctx, struct io_import_stats *stats,
		    struct ml_err *err) ML_MUST_CHECK;

/* ---- exporters ------------------------------------------------------------------------------------- */

/* One item with what the export carries for it. Everything is borrowed for the call. */
struct io_export_row {
	const struct store_item *item;       /* for snapshots: the pinned content */
	const struct store_task *task;
	const struct store_annotation *anns; /* latest (or pinned) versions, by annotation id */
	size_t nanns;
	const char *split;                   /* "train", "val"... when --split was given, else NULL */
};

struct io_export {
	FILE *out;                  /* where the exporter writes; owned by the driver */
	const char *out_path;       /* the --out path, NULL for stdout */
	const char *out_dir;        /* folder for side files: dirname of out_path, NULL for stdout */
	const char *data_dir;       /* to read media (store_media_path) */
	struct store *store;        /* read-only use: user names for provenance, predictions... */
	const struct store_project *project;
	const char *schema_json;    /* the (pinned) schema, NULL if the project has none */
	int schema_version;
	const char *options;        /* --format-opt value, NULL if none */
	void *state;                /* the exporter's own, set in begin, freed in end */
};

struct io_exporter {
	const char *name;      /* "jsonl" */
	const char *extension; /* ".jsonl" */
	const char *summary;
	int (*begin)(struct io_export *ex, struct ml_err *err);           /* may be NULL */
	int (*row)(struct io_export *ex, const struct io_export_row *r, struct ml_err *err);
	/* Called once after the last row, also after a failure (to free state): ok says which. */
	int (*end)(struct io_export *ex, bool ok, struct ml_err *err);    /* may be NULL */
	/* Appends the manifest to the stream as a final record; NULL if the format cannot carry it. */
	int (*manifest)(struct io_export *ex, const char *manifest_json, struct ml_err *err);
	/* The format writes a folder of files next to --out (NIfTI, SEG, YOLO, VOC, BRAT): it cannot stream
	 * to stdout or over HTTP, which refuse it before starting. */
	bool writes_folder;
};

void io_exporter_register(const struct io_exporter *exp);
const struct io_exporter *io_exporter_find(const char *name);
void io_exporter_each(void (*cb)(void *ctx, const struct io_exporter *exp), void *ctx);

#define IO_EXPORTER(id, ...)                                                                       \
	static const struct io_exporter io_exp_##id = __VA_ARGS__;                                 \
	__attribute__((constructor)) static void io_exp_register_##id(void) { io_exporter_register(&io_exp_##id); }

/* ---- the export driver ----------------------------------------------------------------------------- */

/* A deterministic split: parts in order ("train=0.8,val=0.1,test=0.1"), fractions summing to 1. */
#define IO_MAX_SPLITS 8
struct io_split {
	int n;
	char name[IO_MAX_SPLITS][32];
	double frac[IO_MAX_SPLITS];
	bool by_patient; /* --group-by patient: every item of a patient lands in the same part */
	char seed[64];   /* keys the hash; "medlabel" unless --split-seed */
};
/* Parses "train=0.8,val=0.1,test=0.1"; ML_EINVAL with a precise message otherwise. */
int io_split_parse(const char *spec, struct io_split *out, struct ml_err *err) ML_MUST_CHECK;
/* The part an item goes to: keyed BLAKE2b of the patient key (or of "item:ID" when not grouping by
 * patient, or when the item has no patient key) mapped onto [0,1). Pure: same inputs, same part. */
const char *io_split_assign(const struct io_split *sp, const struct store_item *item);

struct io_export_opts {
	const char *format;        /* exporter name */
	const char *out_path;      /* NULL: stdout */
	const char *manifest_path; /* NULL: OUT.manifest.json with --out, else the in-stream record */
	const char *snapshot;      /* NULL, or the snapshot name: created if new, re-exported if it exists */
	const struct io_split *split; /* NULL: no split */
	int state;                 /* only tasks in this state (-1 = all) */
	const char *options;       /* passed to the exporter */
	const char *data_dir;
	void (*progress)(void *ctx, uint64_t done, uint64_t total); /* may be NULL */
	void *progress_ctx;
};

struct io_export_result {
	uint64_t items, annotations;
	char blake2b[65];          /* hex BLAKE2b-256 of the exported bytes (`b2sum -l 256 FILE`) */
	bool snapshot_created;     /* false when an existing snapshot was re-exported */
};

/* Runs one export of project p. A snapshot that exists is re-exported from its pinned rows (its own
 * split, filters and format recorded in it; conflicting options are ML_EINVAL); a new one is pinned
 * first, in one transaction, and then exported. */
int io_export_run(struct store *s, const struct store_project *p, const struct io_export_opts *opts,
		  struct io_export_result *res, struct ml_err *err) ML_MUST_CHECK;

#endif
