/* pacs: a DICOMweb client (libcurl) to pull studies from a PACS into a project and push DICOM SEG results
 * back. The CLI commands are `medlabel pacs pull PROJECT --url URL --study UID` and `medlabel pacs push
 * PROJECT --url URL` (cmd_pacs.c).
 *
 *   QIDO-RS  pacs_qido_instances: GET {url}/studies/{study}/instances (application/dicom+json): the SOP
 *            Instance UIDs of a study, to know what to expect and to fail early when it is unknown.
 *   WADO-RS  pacs_wado_study: GET {url}/studies/{study} with Accept: multipart/related;
 *            type="application/dicom": each part is written as a file into a folder, which the DICOM
 *            importer (src/io/fmt_dicom.c) then imports (de-identifying it with --format-opt deid).
 *   STOW-RS  pacs_stow: POST {url}/studies, one multipart/related body of application/dicom parts; the
 *            response's Failed SOP Sequence (0008,1198) turns into an error naming how many failed.
 *
 * Only http:// and https:// URLs are accepted (libcurl is limited to those protocols, redirects too);
 * UIDs are checked (digits and dots, at most 64) before they go into a URL. Responses are capped
 * (PACS_MAX_RESPONSE) and every multipart length is checked before it is used. Errors name the step and
 * the HTTP status, never a patient attribute. An optional bearer token comes from MEDLABEL_PACS_TOKEN.
 */
#ifndef ML_PACS_H
#define ML_PACS_H

#include <stddef.h>

#include "core/core.h"

#define PACS_MAX_RESPONSE ((size_t)4 << 30) /* a retrieved study: 4 GiB */

struct pacs_conn {
	const char *url;     /* the DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web (no trailing slash needed) */
	const char *token;   /* bearer token, or NULL */
	long timeout_s;      /* whole request; 0 = 600 */
};

/* True when s is a valid UID (1-64 characters, digits and dots, no empty component). */
int pacs_uid_valid(const char *s);
/* SOP Instance UIDs of a study (*uids: n ml_malloc'ed strings in an ml_malloc'ed array). ML_ENOTFOUND when
 * the server knows no instance of it. */
int pacs_qido_instances(const struct pacs_conn *c, const char *study, char ***uids, size_t *n, struct ml_err *err)
	ML_MUST_CHECK;
void pacs_uids_free(char **uids, size_t n);
/* Retrieves every instance of a study into dir as inst-NNNNN.dcm; *nfiles receives the count. */
int pacs_wado_study(const struct pacs_conn *c, const char *study, const char *dir, size_t *nfiles,
		    struct ml_err *err) ML_MUST_CHECK;
/* Stores files (Part 10 DICOM) in one STOW-RS request; *stored receives the count the server accepted. */
int pacs_stow(const struct pacs_conn *c, const char *const *files, size_t n, size_t *stored, struct ml_err *err)
	ML_MUST_CHECK;

/* Finds the parts of a multipart body (exposed for tests and fuzzing): calls fn for each part's content.
 * boundary without the leading "--". Fails on a missing boundary or a truncated part. */
int pacs_multipart_parse(const char *body, size_t len, const char *boundary,
			 int (*fn)(void *ctx, const char *data, size_t len, struct ml_err *err), void *ctx,
			 struct ml_err *err) ML_MUST_CHECK;
/* The boundary parameter of a multipart Content-Type (quotes removed) into out; -1 if absent or too long. */
int pacs_boundary_of(const char *content_type, char *out, size_t outlen);

#endif
