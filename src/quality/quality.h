/* quality: inter-annotator agreement statistics and consensus.
 *
 * Prefixes: agree_ for statistics (tables, coefficients, spans, geometry, masks, matching), consensus_
 * for combining several annotators' labels into one (votes, Dawid-Skene, STAPLE, span token voting,
 * annotation bodies), quality_ for what reads or writes the store (the project report, gold tasks in the
 * queue, qualification, revalidation). The agree_ and consensus_ functions take plain arrays and never
 * touch the store, so `medlabel agree` and the project reports share one implementation.
 *
 * Files: table.c (reliability table, CSV), stats.c (coefficients, bootstrap), spans.c, geometry.c (IoU,
 * Hungarian, matching), mask.c (Dice, distance transform, surface distances), consensus.c (votes,
 * Dawid-Skene), staple.c, body.c (annotation bodies), maskbody.c (masks of bodies, internal header
 * quality_int.h), report.c, workflow.c, and the commands and routes: cmd_agree.c, cmd_agree_spans.c,
 * cmd_consensus.c, cmd_quality.c, h_quality.c.
 *
 * ---- The reliability table -------------------------------------------------------------------------
 * A `struct agree_table` is units x coders (rows are units: items, tasks, questions; columns are
 * annotators). Each cell holds a value code 0..nvalues-1 or AGREE_MISSING. Codes are ordered: when every
 * value in the table is a finite number (`numeric`), codes follow numeric order and equal numbers written
 * differently ("1", "1.0") are one value; otherwise codes follow byte order of the value strings. Ordinal
 * statistics and weighted kappa use this order; interval and ratio statistics need `numeric`.
 *
 * Counting. For every statistic the result reports
 *   units            the units that entered the statistic: those with at least two values (for Cohen's
 *                    kappa: those both coders rated);
 *   pairable_values  the number of values in those units, i.e. Krippendorff's n.. (the total of the
 *                    coincidence matrix); for Cohen's kappa 2 x units.
 * Values in units with a single rating are not pairable and are ignored by every coefficient (AC1 alone
 * uses them in its chance term, as Gwet defines it).
 *
 * Coefficients and their definitions (all verified against NLTK / scikit-learn / published examples in
 * tests/integration/test_quality_agree.py and tests/unit/test_quality*.c):
 *   AGREE_PERCENT        mean over units of the share of agreeing ordered pairs of values in the unit
 *                        (Fleiss' P-bar); for complete data this is NLTK's avg_Ao().
 *   AGREE_COHEN[_LINEAR|_QUADRATIC]  Cohen's kappa for exactly two coders over units both rated,
 *                        1 - sum(w*O)/sum(w*E) with w = 0/1, |x-y| or (x-y)^2 where x, y are the numbers
 *                        (numeric tables) or the code ranks (others): scikit-learn's cohen_kappa_score
 *                        with labels = the value range.
 *   AGREE_FLEISS         Fleiss' kappa, generalised to a varying number of ratings per unit (each unit's
 *                        agreement is over its own m_u(m_u-1) pairs; category shares over all pairable
 *                        values). For complete data it is NLTK's pi() (multi-pi, Siegel & Castellan's K);
 *                        with two coders and complete data it is Scott's pi.
 *   AGREE_KAPPA_MEAN     the mean of Cohen's kappa over all coder pairs (NLTK's kappa()).
 *   AGREE_MULTI_KAPPA    Davies & Fleiss' multi-kappa: (mean Ao - mean Ae) / (1 - mean Ae) over coder
 *                        pairs (NLTK's multi_kappa()).
 *   AGREE_S              Bennett, Alpert & Goldstein's S with Ae = 1/q, q = values in the table (NLTK S()).
 *                        The three pairwise coefficients above use, for each pair, the units both coders
 *                        rated; with complete data this is NLTK's definition, which is undefined otherwise.
 *   AGREE_ALPHA_*        Krippendorff's alpha, 1 - Do/De, Do = sum o_ck d_ck / n, De = sum n_c n_k d_ck /
 *                        (n(n-1)), with the coincidence matrix o contracted unit by unit: O(units x coders
 *                        + values^2) time and O(values) memory (nominal and interval need O(values) for De).
 *                        Difference functions are Krippendorff's: nominal [c!=k], ordinal
 *                        (sum_{g=c..k} n_g - (n_c+n_k)/2)^2 over code order, interval (c-k)^2, ratio
 *                        ((c-k)/(c+k))^2 (values must be >= 0; 0/0 counts as 0).
 *   AGREE_AC1            Gwet's AC1 for any number of raters with missing data (Gwet 2008): pa as
 *                        AGREE_PERCENT, pe = sum_k pi_k(1-pi_k)/(q-1), pi_k the mean over units with at
 *                        least one rating of n_uk/m_u, q = values in the table.
 * A coefficient whose chance term leaves nothing to correct (one value only, De = 0, Pe = 1) is NaN: the
 * statistic is undefined, and callers print it as undefined (JSON null).
 *
 * Bootstrap. agree_compute with nboot > 0 resamples units with replacement (xoshiro256** seeded through
 * splitmix64 from `seed`, so a seed gives the same interval on every machine) and reports the 2.5th and
 * 97.5th percentiles of the replicates (linear interpolation between order statistics, numpy's default).
 * Replicates where the statistic is undefined are left out; `boot_used` says how many were kept.
 */
#ifndef ML_QUALITY_H
#define ML_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define AGREE_MISSING UINT32_MAX

/* Limits for input read from outside (CSV files, API bodies). */
#define AGREE_MAX_CODERS 4096
#define AGREE_MAX_VALUES 1000000
#define AGREE_MAX_CELLS 500000000 /* units x coders of one table: 2 GB of codes */
/* Ordinal and ratio alpha and the coincidence matrix cost values^2: refuse beyond this many values. */
#define AGREE_MAX_VALUES_QUADRATIC 20000

struct agree_table {
	size_t nunits, ncoders, nvalues;
	uint32_t *cell; /* nunits x ncoders, row-major: cell[u * ncoders + c] */
	char **coder;   /* ncoders names (owned), never NULL after a successful read */
	char **value;   /* nvalues value strings in code order (owned) */
	double *num;    /* nvalues numbers when numeric, else NULL */
	bool numeric;
	/* Where the first non-numeric value was read (1-based line and column), for error messages. */
	size_t nonnum_line, nonnum_col;
};

void agree_table_init(struct agree_table *t);
void agree_table_release(struct agree_table *t);

/* Reads a CSV reliability table (RFC 4180: comma separated, CRLF or LF, double-quoted fields with ""
 * escapes). The first record names the coders; every later record is one unit with one field per coder.
 * A field that is empty after trimming blanks (space, tab) outside quotes is missing. `name` is used in
 * messages ("'x.csv' line 7: expected 3 fields, found 2"). Errors: empty or header-only file, a record with
 * the wrong number of fields, an unterminated quote, text after a closing quote, a blank line, NUL bytes,
 * more than AGREE_MAX_CODERS columns or AGREE_MAX_VALUES distinct values. On error t is left released. */
int agree_table_read_csv(struct agree_table *t, const char *data, size_t len, const char *name,
			 struct ml_err *err) ML_MUST_CHECK;

/* Builds a table from caller codes (cell values < nvalues or AGREE_MISSING); copies everything. `num` may
 * be NULL (categorical) or give nvalues strictly increasing numbers. Coder and value names may be NULL. */
int agree_table_from_codes(struct agree_table *t, size_t nunits, size_t ncoders, const uint32_t *cell,
			   size_t nvalues, const double *num, const char *const *coder_names,
			   const char *const *value_names, struct ml_err *err) ML_MUST_CHECK;

/* Derived tables for breakdowns. Each fills a fresh table `out` (released by the caller).
 *   select: the given coders, in that order (a pair for per-pair statistics);
 *   versus_rest: two coders, `coder` and the majority of the others on each unit (missing on a tie or
 *                when no other coder rated the unit);
 *   binarize: one value against the rest ("1" where the cell is `code`, "0" elsewhere, missing kept). */
int agree_table_select(const struct agree_table *t, const size_t *coders, size_t n, struct agree_table *out,
		       struct ml_err *err) ML_MUST_CHECK;
int agree_table_versus_rest(const struct agree_table *t, size_t coder, struct agree_table *out,
			    struct ml_err *err) ML_MUST_CHECK;
int agree_table_binarize(const struct agree_table *t, uint32_t code, struct agree_table *out,
			 struct ml_err *err) ML_MUST_CHECK;

enum agree_metric {
	AGREE_PERCENT,
	AGREE_COHEN,
	AGREE_COHEN_LINEAR,
	AGREE_COHEN_QUADRATIC,
	AGREE_FLEISS,
	AGREE_KAPPA_MEAN,
	AGREE_MULTI_KAPPA,
	AGREE_S,
	AGREE_ALPHA_NOMINAL,
	AGREE_ALPHA_ORDINAL,
	AGREE_ALPHA_INTERVAL,
	AGREE_ALPHA_RATIO,
	AGREE_AC1,
	AGREE_METRIC_COUNT
};

/* "cohen-linear" <-> AGREE_COHEN_LINEAR; agree_metric_parse returns -1 for an unknown name. */
const char *agree_metric_name(enum agree_metric m);
int agree_metric_parse(const char *name, enum agree_metric *m) ML_MUST_CHECK;

struct agree_result {
	enum agree_metric metric;
	double value; /* NaN when undefined */
	size_t units, pairable_values;
	double ci_lo, ci_hi; /* NaN without bootstrap or when no replicate was defined */
	size_t boot_used;    /* replicates that gave a defined value */
};

struct agree_options {
	size_t nboot;  /* 0: no interval */
	uint64_t seed; /* bootstrap seed */
};

/* Computes one coefficient. Fails (ML_EINVAL, message naming the rule) when the metric does not apply:
 * Cohen's kappa on other than two coders, interval/ratio on non-numeric values, ratio on negative values,
 * fewer than two coders, no pairable unit. */
int agree_compute(const struct agree_table *t, enum agree_metric m, const struct agree_options *opt,
		  struct agree_result *out, struct ml_err *err) ML_MUST_CHECK;

/* Krippendorff's coincidence matrix (nvalues^2 doubles, row-major, caller frees with ml_free) and the
 * number of pairable values. Refused past AGREE_MAX_VALUES_QUADRATIC values. */
int agree_coincidence(const struct agree_table *t, double **matrix, size_t *pairable, struct ml_err *err) ML_MUST_CHECK;
/* Two coders' confusion matrix (counts over units both rated; rows coder a, columns coder b). */
int agree_confusion(const struct agree_table *t, size_t a, size_t b, uint64_t **matrix, struct ml_err *err) ML_MUST_CHECK;

/* Deterministic random numbers (xoshiro256**), shared by bootstrap, tests and simulations. */
struct agree_rng {
	uint64_t s[4];
};
void agree_rng_seed(struct agree_rng *r, uint64_t seed);
uint64_t agree_rng_next(struct agree_rng *r);
uint64_t agree_rng_below(struct agree_rng *r, uint64_t n); /* uniform in [0, n), n > 0, unbiased */
double agree_rng_unit(struct agree_rng *r);               /* uniform in [0, 1) */

/* The q-quantile (0..1) of n sorted values, numpy's default linear interpolation. */
double agree_quantile_sorted(const double *v, size_t n, double q);

/* One task's agreement, to route it to adjudication when it falls below the project's threshold: the mean
 * over item-level controls (per-region results are not compared) of the mean over annotator pairs of
 * agreement: 1/0 for equal/different choices (the whole set of choices), token F1 for spans, for masks
 * (mask, object3d) the mean Dice over the (label, frame) planes either annotator drew (0 for a plane only
 * one drew). NaN when no control was answered by two annotators. */
int agree_bodies(const char *const *bodies, size_t n, double *agreement, struct ml_err *err) ML_MUST_CHECK;

/* ---- project quality: reports and stored consensus (these read and write the store) ------------------
 * prefix quality_. A task is a unit, an annotator (user) a coder. Only human annotations (kind "human")
 * are compared; a gold task's reference is its annotation of kind "gold" (imported labels).
 *
 * quality_report_json: the data of the quality dashboard, one JSON document:
 *   {"project", "name", "generated_at", "tasks": {"total", "with_two_or_more_annotators", "gold",
 *    "annotators"},
 *    "controls": [ item-level single-choice controls:
 *       {"control", "kind": "choice", "labels", "overall": {alpha-nominal, fleiss, ac1, percent: {"metric",
 *        "value", "units", "pairable_values", "ci95"}}, "per_label": [alpha-nominal of one label against
 *        the rest], "per_pair": [Cohen's kappa + "confusion" (rows: a's labels, columns: b's)],
 *        "per_annotator": [Cohen's kappa against the majority of the others], "over_time": [alpha-nominal
 *        of the tasks whose latest annotation fell on each UTC "day"]},
 *     span controls: {"control", "kind": "span", "per_pair": [{"a", "b", "tasks", "exact", "overlap",
 *        "token": {"f1", "precision", "recall"} micro-averaged over the tasks both marked, "per_label"}]},
 *     box controls: {"control", "kind": "box", "per_pair": [{"a", "b", "tasks", "boxes_a", "boxes_b",
 *        "matched", "precision", "recall", "f1", "mean_iou"}]}: boxes matched one to one (Hungarian) at
 *        IoU >= 0.5 with the same label and frame, in the tasks both boxed,
 *     mask controls (mask, object3d): {"control", "kind": "mask", "units": "mm" or "pixels", "per_pair": [{"a", "b",
 *        "tasks", "masks", "mean_dice", "mean_hd95", "hd95_masks"}]}: in the tasks both masked, each (label,
 *        frame) either drew is one mask: Dice (0 when only one drew it) and, when both are non-empty, HD95 in
 *        mm through the item's pixel spacing (meta.dicom.spacing, recorded at DICOM import), else in
 *        pixels; "units" says which ],
 *    "gold_accuracy": [{"annotator", "answers", "accuracy", "by_day": [...]}]}
 * A coefficient that cannot be computed carries "value": null and a "note" saying why. */
struct store;
struct quality_report_options {
	size_t nboot;  /* bootstrap replicates for the intervals, 0 = none */
	uint64_t seed;
};
int quality_report_json(struct store *s, int64_t project_id, const struct quality_report_options *opt, char **json,
			struct ml_err *err) ML_MUST_CHECK;

/* ---- workflow: gold tasks in the queue, qualification (needs the store) -------------------------------
 * Project settings (settings JSON) read here:
 *   "gold_rate" (0..1, default 0): the share of a qualified annotator's tasks that are gold tasks; gold
 *       tasks look like any other task to the annotator (the API does not show the flag to annotators);
 *   "qualification_threshold" (0..1, absent = no qualification): new annotators start in training and are
 *       served only gold tasks (the qualification set) until their accuracy on them reaches the threshold
 *       over at least "qualification_min_answers" (default 5) answers, when quality_evaluate_annotator
 *       promotes them;
 *   "agreement_threshold" (0..1): tasks whose agreement (agree_bodies) falls below go to adjudication;
 *   revalidation: "gold_revalidate_days" (> 0, fractions allowed) and/or "gold_repeat_every" (N >= 1): when
 *       a gold task is due for an annotator who has none left, one they answered at least that many days
 *       ago, or before their last N submissions in the project, comes back to them (store_gold_repeat), the
 *       longest-ago first; their new answer is a new annotation, and accuracy counts the latest answer to
 *       each gold task, so it follows the annotator over time;
 *   "qualification_demote" ("training" | "suspend", absent = never): a qualified annotator whose gold
 *       accuracy falls below qualification_threshold (over at least qualification_min_answers answers) goes
 *       back to training (served only gold tasks again: with revalidation on, the gold tasks come back so
 *       they can requalify; without it they wait for a manager) or is suspended until a manager reinstates
 *       them (quality_set_annotator_state). */
struct store_project;
struct store_task;
struct store_annotator_quality;
enum quality_demote { QUALITY_DEMOTE_NONE = 0, QUALITY_DEMOTE_TRAINING, QUALITY_DEMOTE_SUSPEND };
struct quality_settings {
	double gold_rate, qualification_threshold, agreement_threshold; /* NaN = not set (thresholds) */
	int64_t qualification_min_answers;
	int64_t gold_revalidate_ms, gold_repeat_every; /* 0 = off */
	enum quality_demote demote;
};
void quality_settings_read(const char *settings_json, struct quality_settings *qs);
/* The next task for user_id under the settings above (the HTTP API's GET .../next). ML_ENOTFOUND when
 * nothing is left (for a trainee: the qualification set is done), ML_EPERM when suspended. */
int quality_lease_next(struct store *s, const struct store_project *p, int64_t user_id, int64_t now, int64_t lease_ms,
		       struct store_task *out, struct ml_err *err) ML_MUST_CHECK;
/* Recomputes the user's accuracy against the gold annotations (single-choice item-level controls; the
 * latest answer of the user to each gold task) and promotes a trainee who reached the threshold or demotes
 * a qualified annotator who fell below it (qualification_demote); stores and returns the record. */
int quality_evaluate_annotator(struct store *s, const struct store_project *p, int64_t user_id, int64_t now,
			       struct store_annotator_quality *out, struct ml_err *err) ML_MUST_CHECK;
/* A manager's decision on a project member (ML_ENOTFOUND when not a member): suspend (STORE_QUAL_SUSPENDED:
 * no task at all until reinstated) or reinstate (STORE_QUAL_QUALIFIED). Keeps the accuracy record; the
 * caller audits it (the HTTP route is audited; `medlabel quality suspend|reinstate` writes a record). `state`
 * is an enum store_qual_state (store.h). */
int quality_set_annotator_state(struct store *s, int64_t project_id, int64_t user_id, int state,
				int64_t now, struct store_annotator_quality *out, struct ml_err *err) ML_MUST_CHECK;
/* Answers of `body` that match the gold body's single choices, out of the gold's single-choice controls. */
int quality_gold_compare(const char *gold_body, const char *body, int64_t *right, int64_t *total);

/* Revalidation after a schema change: every human annotation made under an older schema version that the
 * change affects (label_schema_diff + label_annotation_affected) gets a new version with the same labels
 * and validated = false, authored by nobody (0). Counts what was checked and marked. */
int quality_mark_revalidation(struct store *s, int64_t project_id, size_t *checked, size_t *marked,
			      struct ml_err *err) ML_MUST_CHECK;

/* One task's consensus and routing, run when a task's annotators have all submitted (HTTP) or for every
 * task (`medlabel quality consensus`): with two or more human annotations, stores or updates the task's
 * consensus annotation (kind "consensus", model "consensus", version "vote") and sends the task to
 * adjudication when its agreement is below the project's agreement_threshold. dry_run changes nothing. */
enum { QUALITY_CONSENSUS_NONE = 0, QUALITY_CONSENSUS_CREATED, QUALITY_CONSENSUS_UPDATED, QUALITY_CONSENSUS_UNCHANGED };
struct quality_task_outcome {
	bool compared, to_adjudication;
	int consensus; /* QUALITY_CONSENSUS_* */
	size_t ties;
	double agreement; /* NaN when nothing was comparable */
};
int quality_task_consensus(struct store *s, const struct store_project *p, int64_t task_id, double box_iou, bool dry_run,
			   struct quality_task_outcome *out, struct ml_err *err) ML_MUST_CHECK;

#endif

/* ---- consensus: votes and Dawid-Skene ----------------------------------------------------------------
 * Labels are (item, annotator, label) triples with items < nitems, annotators < nannotators, labels <
 * nlabels; an item nobody labelled gets no consensus (AGREE_MISSING). An annotator may label an item at most
 * once: a repeated (item, annotator) pair is refused (ML_EINVAL naming the triple's index). */
struct consensus_label {
	uint32_t item, annotator, label;
};

/* Builds triples from a reliability table (units = items, coders = annotators, values = labels). */
int consensus_labels_from_table(const struct agree_table *t, struct consensus_label **labels, size_t *n,
				struct ml_err *err) ML_MUST_CHECK;

struct consensus_vote {
	size_t nitems;
	uint32_t *label;  /* winning label per item, AGREE_MISSING if unlabelled */
	bool *tie;        /* the top weight was shared: label is then the smallest tied label code */
	double *support;  /* winning weight / total weight on the item (0 if unlabelled) */
	size_t nties;
};
void consensus_vote_release(struct consensus_vote *v);

/* Majority vote (weights NULL) or weighted vote (weights[annotator] >= 0, e.g. gold accuracy or the
 * log-odds from Dawid-Skene). */
int consensus_vote(const struct consensus_label *labels, size_t n, size_t nitems, size_t nannotators,
		   size_t nlabels, const double *weights, struct consensus_vote *out, struct ml_err *err) ML_MUST_CHECK;

/* Dawid & Skene (1979) EM. Initialised from the soft majority vote (each item's vote shares), then
 * M-step (class priors and one confusion matrix per annotator, with `smoothing` pseudo-counts added to every
 * cell so an unseen confusion is not impossible) and E-step (item posteriors) alternate until the log-
 * likelihood gains less than `tol` x |log-likelihood| or max_iter is reached. Items without labels keep
 * the prior as posterior and label AGREE_MISSING. opt NULL gives the defaults; in a struct, tol <= 0 and
 * max_iter <= 0 mean the default while smoothing is taken as given (0 is plain maximum likelihood). */
struct consensus_ds_options {
	double tol;       /* default 1e-7 */
	int max_iter;     /* default 100 */
	double smoothing; /* default 0.01 (opt NULL) */
};
struct consensus_ds {
	size_t nitems, nannotators, nlabels;
	double *prior;     /* nlabels */
	double *confusion; /* nannotators x nlabels (true) x nlabels (given), rows sum to 1 */
	double *posterior; /* nitems x nlabels */
	uint32_t *label;   /* argmax posterior per item, AGREE_MISSING if unlabelled */
	int iterations;
	bool converged;
	double loglik;
};
void consensus_ds_release(struct consensus_ds *ds);
int consensus_dawid_skene(const struct consensus_label *labels, size_t n, size_t nitems, size_t nannotators,
			  size_t nlabels, const struct consensus_ds_options *opt, struct consensus_ds *out,
			  struct ml_err *err) ML_MUST_CHECK;

/* ---- geometry: boxes, polygons, one-to-one matching --------------------------------------------------
 * Coordinates are in any unit (pixels, mm); IoU is unit-free. A degenerate shape (zero area) has IoU 0
 * with everything, and two empty shapes have IoU 0 (nothing to agree on is not agreement). */
struct agree_box {
	double x0, y0, x1, y1; /* corners; x0 <= x1 and y0 <= y1 (swapped corners are normalised) */
};
double agree_box_iou(const struct agree_box *a, const struct agree_box *b);

struct agree_point {
	double x, y;
};
#define AGREE_MAX_POLYGON_VERTICES 4096
/* Signed area (shoelace): positive for counter-clockwise vertex order. */
double agree_polygon_area(const struct agree_point *p, size_t n);
/* Exact IoU of two simple polygons: convex or concave, either orientation, no holes, no self-
 * intersection (refused with ML_EINVAL), 3..AGREE_MAX_POLYGON_VERTICES vertices, a repeated closing vertex
 * allowed. Both are triangulated by ear clipping and the intersection area is the sum over triangle pairs
 * of the convex intersection (Sutherland-Hodgman), so the result is exact up to rounding. */
int agree_polygon_iou(const struct agree_point *a, size_t na, const struct agree_point *b, size_t nb, double *iou,
		      struct ml_err *err) ML_MUST_CHECK;

/* Minimum-cost assignment (Hungarian algorithm with potentials, O(n^2 m)) on an n x m row-major matrix of
 * finite costs. With n <= m every row gets a distinct column; with n > m every column a distinct row.
 * row_to_col[i] is the column of row i or -1; *total the summed cost of the assignment. */
int agree_hungarian(const double *cost, size_t n, size_t m, long *row_to_col, double *total,
		    struct ml_err *err) ML_MUST_CHECK;

/* One-to-one matching of objects by IoU: among the pairs with IoU >= threshold, the assignment that
 * matches the most objects and, among those, has the largest total IoU. a is the reference. */
struct agree_match {
	size_t na, nb, matched;
	double precision, recall, f1; /* matched/nb, matched/na, 2 matched/(na+nb); 1 when both are empty */
	double mean_iou;              /* over matched pairs, NaN if none */
	long *a_to_b;                 /* na entries: matched object of b or -1 (owned) */
};
void agree_match_release(struct agree_match *m);
/* iou: na x nb row-major. */
int agree_match_iou(const double *iou, size_t na, size_t nb, double threshold, struct agree_match *out,
		    struct ml_err *err) ML_MUST_CHECK;
int agree_match_boxes(const struct agree_box *a, size_t na, const struct agree_box *b, size_t nb, double threshold,
		      struct agree_match *out, struct ml_err *err) ML_MUST_CHECK;

/* ---- masks: Dice and Hausdorff distances -----------------------------------------------------------
 * A mask is nx x ny x nz voxels (nz = 1 for 2-D), v[(z * ny + y) * nx + x] non-zero inside, with voxel
 * spacing in mm (1 where unknown: distances are then in voxels). */
struct agree_mask {
	const uint8_t *v;
	size_t nx, ny, nz;
	double sx, sy, sz;
};
/* 2|A & B| / (|A| + |B|); 1 when both are empty. Masks must have the same dimensions. */
int agree_dice(const struct agree_mask *a, const struct agree_mask *b, double *dice, struct ml_err *err) ML_MUST_CHECK;
/* Surface distances as in medpy / MONAI: a surface voxel is a mask voxel with a face neighbour outside the
 * mask or outside the image; every surface voxel of A gets the Euclidean distance (mm, through the voxel
 * spacing) to the nearest surface voxel of B and vice versa, from an exact separable distance transform
 * (Felzenszwalb & Huttenlocher) in O(voxels). hd95 = max of the two directed 95th percentiles (numpy's
 * linear interpolation), hd = the largest distance, assd = the mean of all distances. An empty mask makes
 * them undefined (ML_EINVAL). */
struct agree_surface_distance {
	double hd95, hd, assd;
};
int agree_surface_distances(const struct agree_mask *a, const struct agree_mask *b, struct agree_surface_distance *out,
			    struct ml_err *err) ML_MUST_CHECK;
/* Squared Euclidean distance transform (mm^2) to the nearest non-zero voxel of `feature`; voxels beyond
 * every feature (no feature at all) get INFINITY. out has nx*ny*nz doubles. */
int agree_edt_squared(const uint8_t *feature, size_t nx, size_t ny, size_t nz, double sx, double sy, double sz,
		      double *out, struct ml_err *err) ML_MUST_CHECK;

/* ---- consensus of binary masks: STAPLE (Warfield, Zou & Wells 2004) ---------------------------------
 * nraters masks of nvoxels each (non-zero = foreground). EM estimates each rater's sensitivity p_j and
 * specificity q_j and each voxel's posterior probability of being foreground W_i, with the foreground prior
 * fixed at the raters' mean foreground fraction (the usual choice). Initial p = q = 0.9 (our choice; any
 * start above 0.5 converges to the same fixed point on sane data). Stops when no p or q moves more than
 * tol (default 1e-8) or after max_iter (default 200) iterations. Voxels are grouped by their pattern of
 * votes, so an iteration costs O(distinct patterns x raters) rather than O(voxels x raters); the
 * consensus mask is W >= 0.5. At most 64 raters. */
struct consensus_staple_options {
	double tol;
	int max_iter;
};
struct consensus_staple {
	size_t nraters, nvoxels;
	double *sensitivity, *specificity; /* nraters */
	float *posterior;                  /* nvoxels */
	double prior;
	int iterations;
	bool converged;
};
void consensus_staple_release(struct consensus_staple *s);
int consensus_staple(const uint8_t *const *masks, size_t nraters, size_t nvoxels, const struct consensus_staple_options *opt,
		     struct consensus_staple *out, struct ml_err *err) ML_MUST_CHECK;

/* ---- text spans: F1 between annotators, unitizing alpha, token voting --------------------------------
 * A span covers code points [start, end) of one text (end > start) with a label code; `annotator` says
 * whose it is where a function takes several annotators' spans at once. */
struct agree_span {
	uint64_t start, end;
	uint32_t label, annotator;
};

enum agree_span_match {
	AGREE_SPAN_EXACT,   /* same start, end and label (duplicates count once) */
	AGREE_SPAN_OVERLAP, /* a span is found if a span of the other side with its label shares a code point */
	AGREE_SPAN_TOKEN    /* per code point and label: the covered positions of each side */
};
struct agree_f1 {
	/* exact/overlap: spans of a and b, and how many of each were found on the other side;
	 * token: positions (code point x label) of a and b, and the positions both cover (found_a = found_b) */
	uint64_t na, nb, found_a, found_b;
	double precision, recall, f1; /* a is the reference: precision = found_b/nb, recall = found_a/na;
					 f1 = 2PR/(P+R), 1 when both sides are empty, 0 when one is */
};
/* label AGREE_MISSING compares all labels at once (a match must still have the same label). Spans must
 * have end > start (ML_EINVAL naming the index otherwise); `annotator` is ignored. */
int agree_span_f1(const struct agree_span *a, size_t na, const struct agree_span *b, size_t nb,
		  enum agree_span_match mode, uint32_t label, struct agree_f1 *out, struct ml_err *err) ML_MUST_CHECK;

/* Krippendorff's unitizing alpha (uα; Krippendorff 1995, as written up in Content Analysis 2004, ch. 12)
 * for one continuum [begin, begin + length) coded by nannotators annotators with nlabels labels. For each
 * label c, every annotator's continuum is cut into units of c and gaps (everything else); the squared
 * difference of two overlapping units is (b1-b2)^2 + (e1-e2)^2, of a unit inside a gap its length^2,
 * otherwise 0. Do_c sums it over ordered annotator pairs / (m(m-1)L^2) (merge of sorted segments, linear);
 * De_c is Krippendorff's expectation over all unitizations with the observed unit and gap lengths.
 * alpha_c = 1 - Do_c/De_c; overall alpha = 1 - sum Do_c / sum De_c. Two units of one annotator with one
 * label may not overlap (ML_EINVAL); spans must lie inside the continuum. NaN where De is 0. */
struct agree_ualpha {
	size_t nlabels;
	double *dobs, *dexp, *alpha; /* per label (owned) */
	double overall;
};
void agree_ualpha_release(struct agree_ualpha *u);
int agree_unitizing_alpha(const struct agree_span *s, size_t n, size_t nannotators, size_t nlabels, uint64_t begin,
			  uint64_t length, struct agree_ualpha *out, struct ml_err *err) ML_MUST_CHECK;

/* Token voting: a code point gets label k when at least min_votes annotators cover it with k and no other
 * label has as many votes there (a tie leaves it unlabelled and is counted in *tied_points); runs of
 * points with one label become spans (sorted by start). min_votes 0 means a strict majority of nannotators.
 * An annotator's overlapping spans of one label vote once. *out is freed with ml_free. */
int consensus_span_vote(const struct agree_span *s, size_t n, size_t nannotators, size_t nlabels, size_t min_votes,
			struct agree_span **out, size_t *nout, uint64_t *tied_points, struct ml_err *err) ML_MUST_CHECK;

/* ---- consensus in the annotation body format (docs/SCHEMA.md: {"format": 1, "results": [...]}) -------
 * bodies are the annotation bodies (JSON text) of n annotators on one item; weights (NULL = 1 each) weigh
 * the annotators. Per control, in order of first appearance:
 *   item-level choices (results with "choices", no "region"): when every answer is a single choice, the
 *     weighted plurality (a tie gives no result and counts in ties); otherwise each choice is kept when its
 *     weight exceeds half the weight of the annotators who answered the control;
 *   spans ("start", "end", "label"): token voting by a strict majority of the n annotators (weights not
 *     used), each consensus span's "text" sliced from a voter's span;
 *   boxes ("x", "y", "w", "h", "label", optional "frame"): clustered across annotators by one-to-one
 *     Hungarian matching at IoU >= box_iou (same label and frame), each annotator at most once per cluster;
 *     a cluster whose weight exceeds half the total becomes the weighted mean box;
 *   masks (mask results with "rle", object3d parts with "rle"; row-major RLE decoded by label_rle_decode):
 *     per (label, frame), STAPLE over all n annotators (each one's union of their masks there, all
 *     background when they drew none; weights not used; more than 64 annotators: skipped), the voxels with
 *     posterior >= 0.5 re-encoded; one result per (label, frame) for masks, one object per label with its
 *     parts in frame order for object3d (instances are not matched: the consensus is semantic).
 * Other results (per-region results, polygons, relations, codes, free text) are not merged: their
 * controls are named in report->skipped. The output is a body {"format":1,"results":[...]} with ids "c1",
 * "c2"...; the method belongs in the stored annotation's provenance (kind "consensus"), not in the body. */
struct consensus_body_options {
	double box_iou; /* default 0.5 */
};
struct consensus_body_report {
	size_t results, ties;
	char skipped[256]; /* comma-separated control names, truncated with "..." */
};
int consensus_bodies(const char *const *bodies, size_t n, const double *weights, const struct consensus_body_options *opt,
		     char **out_json, struct consensus_body_report *report, struct ml_err *err) ML_MUST_CHECK;
