/* fhir.c: FHIR R4 import (Bulk Data NDJSON or one Bundle) into text and survey items, in two bounded passes. */
#include "text/text.h"
#include "text/text_int.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAX_LINE ((size_t)64 << 20)
#define DEFAULT_MAX_DOCUMENT ((size_t)256 << 20)
#define DEFAULT_MAX_STRUCT ((size_t)256 << 20)
#define DEFAULT_MAX_FIELDS 500
#define MAX_SURVEYS 5000000L /* about 100 bytes each between the passes */

/* Where a resource is: a line of an NDJSON file (offset/len to re-read it), or the whole-file document. */
struct loc {
	long line;   /* 0 in whole-file mode */
	long entry;  /* Bundle entry, -1 if none */
	off_t off;
	size_t len;
};

struct pfields {
	const char *patient; /* arena; NULL = empty slot */
	uint64_t hash;
	struct ml_buf recs;
};

struct survey_ref {
	const char *patient; /* arena */
	int64_t authored;    /* INT64_MAX when absent: sorts last */
	long order;
	struct loc loc;
};

struct imp {
	const char *path;
	FILE *f;
	const struct text_import_opts *o;
	struct text_import_stats *st;
	size_t max_line, max_document, max_struct;
	int max_fields;
	json_t *whole;       /* whole-file mode: the parsed document */
	json_t *urls;        /* fullUrl -> Patient id (urn:uuid references inside Bundles) */
	/* patient key -> its compact Observations and Conditions as text records "K\tENCOUNTER\tJSON\n"
	 * (K = o or c): about 150 bytes each, a tenth of the same as jansson trees */
	struct pfields *pf;
	size_t pf_mask, pf_n;
	size_t struct_bytes;
	bool struct_full_reported;
	struct survey_ref *surveys;
	long nsurveys, asurveys;
	struct ml_arena arena;
	int pass;
	int stop;            /* non-zero: emit failed, the import stops with this status */
	struct ml_err *err;
};

/* ---- small JSON helpers ---------------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* FHIR id: [A-Za-z0-9-.]{1,64}. Anything else is refused so free text never becomes a key or an error. */
bool text_fhir_id_valid(const char *s)
{
	if (!s || !*s)
		return false;
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return n <= 64;
}

static void problem(struct imp *m, const struct loc *l, const char *type, const char *id, bool skipped, const char *fmt, ...)
	ML_PRINTF(6, 7);
static void problem(struct imp *m, const struct loc *l, const char *type, const char *id, bool skipped, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (skipped)
		m->st->skipped++;
	else
		m->st->errors++;
	if (!m->o->report)
		return;
	struct text_problem p = {.line = l->line, .entry = l->entry, .resource_type = type ? type : "",
				 .id = text_fhir_id_valid(id) ? id : "", .msg = msg, .skipped_only = skipped};
	m->o->report(m->o->ctx, &p);
}

/* The patient id of a subject reference, or NULL with *why set. */
static const char *patient_of(struct imp *m, const json_t *res, const char **why)
{
	const json_t *subj = json_object_get(res, "subject");
	if (!subj) {
		*why = "missing subject";
		return NULL;
	}
	const char *ref = jstr(subj, "reference");
	if (!ref) {
		*why = "subject has no reference";
		return NULL;
	}
	if (!strncmp(ref, "urn:uuid:", 9)) {
		const char *id = json_string_value(json_object_get(m->urls, ref));
		if (id)
			return id;
		/* An unresolved bundle-local reference: the uuid itself is already pseudonymous. */
		const char *u = ref + 9;
		if (!text_fhir_id_valid(u)) {
			*why = "subject reference is not a valid urn:uuid";
			return NULL;
		}
		return u;
	}
	const char *p = NULL;
	for (const char *q = ref; (q = strstr(q, "Patient/")); q++)
		if (q == ref || q[-1] == '/')
			p = q;
	if (!p) {
		*why = "subject is not a Patient reference";
		return NULL;
	}
	p += 8;
	size_t n = strcspn(p, "/");
	static __thread char idbuf[80];
	if (n == 0 || n > 64) {
		*why = "subject reference has no valid Patient id";
		return NULL;
	}
	memcpy(idbuf, p, n);
	idbuf[n] = '\0';
	if (!text_fhir_id_valid(idbuf)) {
		*why = "subject reference has no valid Patient id";
		return NULL;
	}
	return idbuf;
}

static const char *encounter_of(const json_t *res)
{
	const json_t *e = json_object_get(res, "encounter");
	if (!e) {
		const json_t *ctx = json_object_get(res, "context"); /* DocumentReference.context.encounter[] */
		e = json_array_get(json_object_get(ctx, "encounter"), 0);
	}
	return e ? jstr(e, "reference") : NULL;
}

/* {system, code, display} of the first coding of a CodeableConcept, or {text}. */
static json_t *compact_concept(const json_t *cc)
{
	if (!json_is_object(cc))
		return NULL;
	const json_t *c = json_array_get(json_object_get(cc, "coding"), 0);
	json_t *o = json_object();
	if (c) {
		const char *keys[] = {"system", "code", "display", "version"};
		for (size_t i = 0; i < ML_ARRAY_LEN(keys); i++)
			if (jstr(c, keys[i]))
				json_object_set_new(o, keys[i], json_string(jstr(c, keys[i])));
	}
	if (jstr(cc, "text"))
		json_object_set_new(o, "text", json_string(jstr(cc, "text")));
	return o;
}

static void copy_str(json_t *dst, const json_t *src, const char *from, const char *to)
{
	const char *v = jstr(src, from);
	if (v)
		json_object_set_new(dst, to, json_string(v));
}

static json_t *compact_observation(const json_t *r)
{
	json_t *o = json_object();
	copy_str(o, r, "id", "id");
	copy_str(o, r, "status", "status");
	json_t *c = compact_concept(json_object_get(r, "code"));
	if (c)
		json_object_set_new(o, "code", c);
	const json_t *q = json_object_get(r, "valueQuantity");
	if (json_is_object(q)) {
		json_t *v = json_object();
		json_t *num = json_object_get(q, "value");
		if (json_is_number(num))
			json_object_set(v, "value", num);
		copy_str(v, q, "unit", "unit");
		copy_str(v, q, "code", "ucum");
		json_object_set_new(o, "value", v);
	} else if (jstr(r, "valueString")) {
		copy_str(o, r, "valueString", "value");
	} else if (json_object_get(r, "valueCodeableConcept")) {
		json_t *vc = compact_concept(json_object_get(r, "valueCodeableConcept"));
		if (vc)
			json_object_set_new(o, "value", vc);
	} else {
		const char *keys[] = {"valueBoolean", "valueInteger", "valueDateTime"};
		for (size_t i = 0; i < ML_ARRAY_LEN(keys); i++) {
			json_t *v = json_object_get(r, keys[i]);
			if (v) {
				json_object_set(o, "value", v);
				break;
			}
		}
	}
	copy_str(o, r, "effectiveDateTime", "effective");
	if (!json_object_get(o, "effective")) {
		const json_t *per = json_object_get(r, "effectivePeriod");
		if (per)
			copy_str(o, per, "start", "effective");
	}
	copy_str(o, r, "issued", "issued");
	return o;
}

static json_t *compact_condition(const json_t *r)
{
	json_t *o = json_object();
	copy_str(o, r, "id", "id");
	json_t *c = compact_concept(json_object_get(r, "code"));
	if (c)
		json_object_set_new(o, "code", c);
	const char *st[] = {"clinicalStatus", "verificationStatus"};
	for (size_t i = 0; i < ML_ARRAY_LEN(st); i++) {
		const json_t *cc = json_object_get(r, st[i]);
		const char *code = jstr(json_array_get(json_object_get(cc, "coding"), 0), "code");
		if (code)
			json_object_set_new(o, st[i], json_string(code));
	}
	copy_str(o, r, "onsetDateTime", "onset");
	copy_str(o, r, "recordedDate", "recorded");
	const json_t *cat = json_array_get(json_object_get(r, "category"), 0);
	const char *catc = jstr(json_array_get(json_object_get(cat, "coding"), 0), "code");
	if (catc)
		json_object_set_new(o, "category", json_string(catc));
	return o;
}

/* ---- attachments ---------------------------------------------------------------------------------- */

/* Copies an attacker-controlled token (a MIME type) into out only if it is short and plain. */
static void safe_token(const char *s, char *out, size_t outlen)
{
	size_t n = s ? strlen(s) : 0;
	bool ok = n > 0 && n < outlen && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		char c = s[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("/+.-;= _\"", c);
	}
	snprintf(out, outlen, "%s", ok ? s : "(unprintable)");
}

enum charset { CS_UTF8, CS_LATIN1 };

/* Checks "text/plain; charset=utf-8" style types. Returns 0 and the charset, or -1 with a message. */
static int check_content_type(const char *ct, enum charset *cs, char *why, size_t whylen)
{
	char shown[80];
	if (!ct) {
		snprintf(why, whylen, "attachment has no contentType");
		return -1;
	}
	safe_token(ct, shown, sizeof shown);
	const char *semi = strchr(ct, ';');
	size_t n = semi ? (size_t)(semi - ct) : strlen(ct);
	while (n && ct[n - 1] == ' ')
		n--;
	if (!((n == 10 && !strncasecmp(ct, "text/plain", 10)) || (n == 13 && !strncasecmp(ct, "text/markdown", 13)))) {
		snprintf(why, whylen, "unsupported contentType '%s' (text/plain or text/markdown)", shown);
		return -1;
	}
	*cs = CS_UTF8;
	for (const char *p = semi; p && *p; p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		while (*q == ' ')
			q++;
		if (strncasecmp(q, "charset=", 8))
			continue;
		q += 8;
		char val[32];
		size_t k = 0;
		for (; *q && *q != ';' && k + 1 < sizeof val; q++)
			if (*q != '"' && *q != ' ')
				val[k++] = *q;
		val[k] = '\0';
		if (!strcasecmp(val, "utf-8") || !strcasecmp(val, "utf8") || !strcasecmp(val, "us-ascii"))
			*cs = CS_UTF8;
		else if (!strcasecmp(val, "iso-8859-1") || !strcasecmp(val, "latin1") || !strcasecmp(val, "iso8859-1"))
			*cs = CS_LATIN1;
		else {
			snprintf(why, whylen, "unsupported charset in contentType '%s'", shown);
			return -1;
		}
	}
	return 0;
}

/* Decodes one attachment into *text (UTF-8, ml_free). Returns 0, or -1 with `why`. */
static int attachment_text(const json_t *att, size_t max, char **text, size_t *len, char *why, size_t whylen)
{
	*text = NULL;
	if (!json_is_object(att)) {
		snprintf(why, whylen, "attachment is not an object");
		return -1;
	}
	enum charset cs;
	if (check_content_type(jstr(att, "contentType"), &cs, why, whylen))
		return -1;
	const char *data = jstr(att, "data");
	if (!data) {
		snprintf(why, whylen, jstr(att, "url") ? "attachment has only a url (only inline data is imported)"
						       : "attachment has no data");
		return -1;
	}
	struct ml_err e = {0};
	char *raw;
	size_t rawlen;
	if (text_base64_decode(data, strlen(data), max, &raw, &rawlen, &e)) {
		snprintf(why, whylen, "attachment data: %s", e.msg);
		return -1;
	}
	if (cs == CS_LATIN1) {
		char *u = ml_malloc(rawlen * 2 + 1);
		if (!u) {
			ml_free(raw);
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		size_t k = 0;
		for (size_t i = 0; i < rawlen; i++) {
			uint8_t c = (uint8_t)raw[i];
			if (c < 0x80)
				u[k++] = (char)c;
			else {
				u[k++] = (char)(0xC0 | c >> 6);
				u[k++] = (char)(0x80 | (c & 0x3F));
			}
		}
		u[k] = '\0';
		ml_free(raw);
		raw = u;
		rawlen = k;
	}
	size_t bad;
	if (!ml_utf8_valid(raw, rawlen, &bad)) {
		ml_free(raw);
		snprintf(why, whylen, "attachment data is not valid UTF-8 at byte %zu", bad);
		return -1;
	}
	if (memchr(raw, '\0', rawlen)) {
		ml_free(raw);
		snprintf(why, whylen, "attachment data contains a NUL byte");
		return -1;
	}
	*text = raw;
	*len = rawlen;
	return 0;
}

/* ---- emitting ------------------------------------------------------------------------------------- */

static int emit_item(struct imp *m, enum store_modality mod, enum store_source src, const char *patient,
		     const char *type, const char *id, const char *text, size_t len, json_t *meta)
{
	char *meta_s = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
	if (!meta_s)
		return ml_err_set(m->err, ML_ENOMEM, "out of memory");
	char ref[160] = "";
	if (text_fhir_id_valid(id))
		snprintf(ref, sizeof ref, "%s/%s", type, id);
	struct store_item it = {.project_id = m->o->project_id, .modality = mod, .source = src,
				.patient_key = (char *)patient, .meta_json = meta_s, .text = (char *)text,
				.external_ref = ref, .visible = true};
	text_content_hash(text, len, it.content_hash);
	int rc = m->o->emit ? m->o->emit(m->o->ctx, &it, m->err) : 0;
	free(meta_s);
	if (rc) {
		m->stop = rc;
		return -1;
	}
	return 0;
}

static struct pfields *pf_find(struct imp *m, const char *patient, bool create)
{
	uint64_t h = text_hash64(patient, strlen(patient));
	if (create && (m->pf_n + 1) * 2 > m->pf_mask + 1) {
		size_t cap = m->pf_mask ? (m->pf_mask + 1) * 2 : 1024;
		struct pfields *nv = ml_calloc(cap, sizeof *nv);
		if (!nv)
			return NULL;
		for (size_t i = 0; m->pf && i <= m->pf_mask; i++) {
			if (!m->pf[i].patient)
				continue;
			size_t k = m->pf[i].hash & (cap - 1);
			while (nv[k].patient)
				k = (k + 1) & (cap - 1);
			nv[k] = m->pf[i];
		}
		ml_free(m->pf);
		m->pf = nv;
		m->pf_mask = cap - 1;
	}
	if (!m->pf)
		return NULL;
	for (size_t i = h & m->pf_mask;; i = (i + 1) & m->pf_mask) {
		struct pfields *f = &m->pf[i];
		if (!f->patient) {
			if (!create)
				return NULL;
			f->patient = ml_arena_strdup(&m->arena, patient);
			f->hash = h;
			ml_buf_init(&f->recs, 0);
			m->pf_n++;
			return f;
		}
		if (f->hash == h && !strcmp(f->patient, patient))
			return f;
	}
}

/* The structured fields of a patient relevant to a document of encounter enc (NULL: all of them): those of
 * that encounter and those without one. */
static json_t *fields_for(struct imp *m, const char *patient, const char *enc, char kind)
{
	json_t *out = json_array();
	struct pfields *f = pf_find(m, patient, false);
	if (!f || !f->recs.len)
		return out;
	for (const char *p = f->recs.data, *end = p + f->recs.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *t1 = memchr(p, '\t', (size_t)(nl - p));
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		if (!nl || !t1 || !t2)
			break;
		size_t elen = (size_t)(t2 - t1 - 1);
		bool match = p[0] == kind && (!enc || !elen || (strlen(enc) == elen && !memcmp(enc, t1 + 1, elen)));
		if (match) {
			if ((int)json_array_size(out) >= m->max_fields)
				break;
			json_t *c = json_loadb(t2 + 1, (size_t)(nl - t2 - 1), 0, NULL);
			if (c)
				json_array_append_new(out, c);
		}
		p = nl + 1;
	}
	return out;
}

static void do_document(struct imp *m, const json_t *r, const char *type, const char *id, const struct loc *l)
{
	const char *why = NULL;
	const char *st = jstr(r, "status");
	if (st && !strcmp(st, "entered-in-error")) {
		problem(m, l, type, id, true, "status entered-in-error: skipped");
		return;
	}
	const char *patient = patient_of(m, r, &why);
	if (!patient) {
		problem(m, l, type, id, false, "%s", why);
		return;
	}
	char pkey[80];
	snprintf(pkey, sizeof pkey, "%s", patient);
	bool is_doc = !strcmp(type, "DocumentReference");
	const json_t *arr = json_object_get(r, is_doc ? "content" : "presentedForm");
	const char *conclusion = is_doc ? NULL : jstr(r, "conclusion");
	char *text = NULL;
	size_t len = 0;
	char whybuf[900] = "";
	const char *content_type = NULL;
	if (json_is_array(arr) && json_array_size(arr)) {
		size_t i;
		json_t *c;
		json_array_foreach(arr, i, c)
		{
			const json_t *att = is_doc ? json_object_get(c, "attachment") : c;
			char w[700];
			if (!attachment_text(att, m->max_line, &text, &len, w, sizeof w)) {
				content_type = jstr(att, "contentType");
				break;
			}
			if (!whybuf[0])
				snprintf(whybuf, sizeof whybuf, "%s[%zu]: %s", is_doc ? "content" : "presentedForm", i, w);
		}
	} else if (is_doc) {
		snprintf(whybuf, sizeof whybuf, "missing content");
	}
	bool from_conclusion = false;
	if (!text && conclusion && *conclusion) {
		size_t bad;
		if (!ml_utf8_valid(conclusion, strlen(conclusion), &bad)) {
			problem(m, l, type, id, false, "conclusion is not valid UTF-8");
			return;
		}
		text = ml_strdup(conclusion);
		len = strlen(conclusion);
		from_conclusion = true;
	}
	if (!text) {
		problem(m, l, type, id, false, "%s", whybuf[0] ? whybuf : "no text: neither presentedForm nor conclusion");
		return;
	}
	json_t *fhir = json_object();
	json_object_set_new(fhir, "resourceType", json_string(type));
	if (id)
		json_object_set_new(fhir, "id", json_string(id));
	copy_str(fhir, r, "status", "status");
	json_t *ty = compact_concept(json_object_get(r, is_doc ? "type" : "code"));
	if (ty)
		json_object_set_new(fhir, is_doc ? "type" : "code", ty);
	copy_str(fhir, r, is_doc ? "date" : "effectiveDateTime", "date");
	if (!is_doc)
		copy_str(fhir, r, "issued", "issued");
	if (content_type)
		json_object_set_new(fhir, "contentType", json_string(content_type));
	if (conclusion && !from_conclusion)
		json_object_set_new(fhir, "conclusion", json_string(conclusion));
	const char *enc = encounter_of(r);
	if (enc)
		json_object_set_new(fhir, "encounter", json_string(enc));
	json_object_set_new(fhir, "observations", fields_for(m, pkey, enc, 'o'));
	json_object_set_new(fhir, "conditions", fields_for(m, pkey, enc, 'c'));
	json_t *meta = json_object();
	json_object_set_new(meta, "fhir", fhir);
	if (!emit_item(m, STORE_MOD_TEXT, STORE_SRC_EHR, pkey, type, id, text, len, meta))
		m->st->documents++;
	json_decref(meta);
	ml_free(text);
}

static void do_structured(struct imp *m, const json_t *r, const char *type, const char *id, const struct loc *l)
{
	const char *why;
	const char *patient = patient_of(m, r, &why);
	if (!patient) {
		problem(m, l, type, id, false, "%s", why);
		return;
	}
	bool obs = !strcmp(type, "Observation");
	if (!json_object_get(r, "code")) {
		problem(m, l, type, id, false, "missing code");
		return;
	}
	json_t *c = obs ? compact_observation(r) : compact_condition(r);
	const char *enc = encounter_of(r);
	if (enc && (strlen(enc) > 256 || enc[strcspn(enc, "\t\n\r")]))
		enc = NULL; /* not a reference anyone can match */
	if (enc)
		json_object_set_new(c, "encounter", json_string(enc));
	char *js = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(c);
	size_t sz = (js ? strlen(js) : 0) + (enc ? strlen(enc) : 0) + 4;
	struct pfields *f = js ? pf_find(m, patient, true) : NULL;
	if (!f || m->struct_bytes + sz + sizeof *f > m->max_struct) {
		free(js);
		problem(m, l, type, id, false, "structured-field memory limit (%zu bytes) reached: not attached",
			m->max_struct);
		return;
	}
	if (ml_buf_putc(&f->recs, obs ? 'o' : 'c') || ml_buf_putc(&f->recs, '\t') ||
	    (enc && ml_buf_puts(&f->recs, enc)) || ml_buf_putc(&f->recs, '\t') || ml_buf_puts(&f->recs, js) ||
	    ml_buf_putc(&f->recs, '\n')) {
		free(js);
		problem(m, l, type, id, false, "out of memory: not attached");
		return;
	}
	free(js);
	m->struct_bytes += sz;
	if (obs)
		m->st->observations++;
	else
		m->st->conditions++;
}

static void do_survey_index(struct imp *m, const json_t *r, const char *type, const char *id, const struct loc *l)
{
	const char *why;
	const char *patient = patient_of(m, r, &why);
	if (!patient) {
		problem(m, l, type, id, false, "%s", why);
		return;
	}
	int64_t at = INT64_MAX;
	const char *authored = jstr(r, "authored");
	if (authored && ml_time_parse(authored, &at)) {
		problem(m, l, type, id, false, "authored is not a valid dateTime");
		return;
	}
	if (!json_is_array(json_object_get(r, "item"))) {
		problem(m, l, type, id, false, "missing item");
		return;
	}
	if (m->nsurveys >= MAX_SURVEYS) {
		problem(m, l, type, id, false, "too many QuestionnaireResponses in one file (limit %ld)", MAX_SURVEYS);
		return;
	}
	if (m->nsurveys == m->asurveys) {
		long na = m->asurveys ? m->asurveys * 2 : 256;
		struct survey_ref *nv = ml_realloc(m->surveys, (size_t)na * sizeof *nv);
		if (!nv) {
			problem(m, l, type, id, false, "out of memory");
			return;
		}
		m->surveys = nv;
		m->asurveys = na;
	}
	struct survey_ref *s = &m->surveys[m->nsurveys];
	s->patient = ml_arena_strdup(&m->arena, patient);
	s->authored = at;
	s->order = m->nsurveys;
	s->loc = *l;
	m->nsurveys++;
}

/* The answers of one question as display strings. */
static void answer_strings(const json_t *ans, struct ml_buf *b)
{
	size_t i;
	json_t *a;
	json_array_foreach(ans, i, a)
	{
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)a, key, v)
		{
			if (strncmp(key, "value", 5))
				continue;
			char tmp[64];
			const char *s = NULL;
			if (json_is_string(v))
				s = json_string_value(v);
			else if (json_is_integer(v))
				snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v)), s = tmp;
			else if (json_is_real(v))
				snprintf(tmp, sizeof tmp, "%g", json_real_value(v)), s = tmp;
			else if (json_is_boolean(v))
				s = json_is_true(v) ? "true" : "false";
			else if (json_is_object(v)) {
				s = jstr(v, "display");
				if (!s)
					s = jstr(v, "code");
				if (!s && json_is_number(json_object_get(v, "value"))) {
					snprintf(tmp, sizeof tmp, "%g %s", json_number_value(json_object_get(v, "value")),
						 jstr(v, "unit") ? jstr(v, "unit") : "");
					s = tmp;
				}
				if (!s)
					s = jstr(v, "reference");
			}
			if (!s)
				continue;
			if (b->len && ml_buf_puts(b, "; "))
				return;
			if (ml_buf_puts(b, s))
				return;
		}
	}
}

/* Flattens QuestionnaireResponse.item (groups and nested answers) into rendered text and meta items. */
static int flatten_items(const json_t *items, struct ml_buf *text, json_t *out, int depth)
{
	if (depth > 16)
		return -1;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *link = jstr(it, "linkId");
		const char *q = jstr(it, "text");
		const json_t *ans = json_object_get(it, "answer");
		if (link && json_is_array(ans) && json_array_size(ans)) {
			struct ml_buf a;
			ml_buf_init(&a, 0);
			answer_strings(ans, &a);
			if (ml_buf_puts(text, q ? q : link) || ml_buf_puts(text, ": "))
				return -1;
			size_t start = ml_utf8_cp_count(text->data, text->len);
			if (a.len && ml_buf_append(text, a.data, a.len))
				return -1;
			size_t end = ml_utf8_cp_count(text->data, text->len);
			if (ml_buf_putc(text, '\n'))
				return -1;
			json_t *o = json_pack("{s:s, s:s?, s:s, s:I, s:I}", "linkId", link, "text", q, "answer",
					      a.data ? a.data : "", "answer_start", (json_int_t)start, "answer_end",
					      (json_int_t)end);
			ml_buf_release(&a);
			if (!o)
				return -1;
			json_array_append_new(out, o);
			size_t k;
			json_t *an;
			json_array_foreach(ans, k, an) if (json_object_get(an, "item")) if (
				flatten_items(json_object_get(an, "item"), text, out, depth + 1)) return -1;
		}
		const json_t *sub = json_object_get(it, "item");
		if (json_is_array(sub) && flatten_items(sub, text, out, depth + 1))
			return -1;
	}
	return 0;
}

static void do_survey_emit(struct imp *m, const json_t *r, const struct survey_ref *s, long seq, long of)
{
	const char *id = jstr(r, "id");
	struct ml_buf text;
	ml_buf_init(&text, m->max_line);
	json_t *items = json_array();
	if (flatten_items(json_object_get(r, "item"), &text, items, 0)) {
		problem(m, &s->loc, "QuestionnaireResponse", id, false, "items nested too deeply or too large");
		goto out;
	}
	if (!text.len) {
		problem(m, &s->loc, "QuestionnaireResponse", id, false, "no answered questions");
		goto out;
	}
	size_t bad;
	if (!ml_utf8_valid(text.data, text.len, &bad)) {
		problem(m, &s->loc, "QuestionnaireResponse", id, false, "answers are not valid UTF-8");
		goto out;
	}
	json_t *fhir = json_object();
	json_object_set_new(fhir, "resourceType", json_string("QuestionnaireResponse"));
	if (id)
		json_object_set_new(fhir, "id", json_string(id));
	copy_str(fhir, r, "status", "status");
	const char *enc = encounter_of(r);
	if (enc)
		json_object_set_new(fhir, "encounter", json_string(enc));
	json_t *survey = json_object();
	copy_str(survey, r, "questionnaire", "questionnaire");
	copy_str(survey, r, "authored", "authored");
	json_object_set_new(survey, "sequence", json_integer(seq));
	json_object_set_new(survey, "of", json_integer(of));
	json_object_set_new(survey, "items", items);
	items = NULL;
	json_t *meta = json_object();
	json_object_set_new(meta, "fhir", fhir);
	json_object_set_new(meta, "survey", survey);
	if (!emit_item(m, STORE_MOD_SURVEY, STORE_SRC_SURVEY, s->patient, "QuestionnaireResponse", id, text.data,
		       text.len, meta))
		m->st->surveys++;
	json_decref(meta);
out:
	json_decref(items);
	ml_buf_release(&text);
}

/* ---- walking resources ------------------------------------------------------------------------------ */

static void visit(struct imp *m, const json_t *r, const struct loc *l, const char *full_url)
{
	if (m->stop)
		return;
	if (!json_is_object(r)) {
		if (m->pass == 2)
			problem(m, l, "", "", false, "resource is not a JSON object");
		return;
	}
	const char *type = jstr(r, "resourceType");
	const char *id = jstr(r, "id");
	if (id && !text_fhir_id_valid(id)) {
		if (m->pass == 2)
			problem(m, l, type, NULL, false, "id is not a valid FHIR id");
		return;
	}
	if (!type) {
		if (m->pass == 2)
			problem(m, l, "", id, false, "missing resourceType");
		return;
	}
	if (!strcmp(type, "Bundle")) {
		if (l->entry >= 0) {
			if (m->pass == 2)
				problem(m, l, type, id, false, "nested Bundle inside a Bundle entry");
			return;
		}
		const json_t *entries = json_object_get(r, "entry");
		if (entries && !json_is_array(entries)) {
			if (m->pass == 2)
				problem(m, l, type, id, false, "Bundle.entry is not an array");
			return;
		}
		size_t i;
		json_t *e;
		if (m->pass == 1) {
			/* Patients first, so urn:uuid subjects resolve whatever the entry order. */
			json_array_foreach(entries, i, e)
			{
				const json_t *res = json_object_get(e, "resource");
				const char *rt = jstr(res, "resourceType"), *pid = jstr(res, "id"), *u = jstr(e, "fullUrl");
				if (rt && !strcmp(rt, "Patient") && text_fhir_id_valid(pid) && u &&
				    !json_object_get(m->urls, u))
					json_object_set_new(m->urls, u, json_string(pid));
			}
		}
		json_array_foreach(entries, i, e)
		{
			struct loc el = *l;
			el.entry = (long)i;
			const json_t *res = json_object_get(e, "resource");
			if (!res) {
				if (m->pass == 2)
					problem(m, &el, "", "", false, "entry has no resource");
				continue;
			}
			visit(m, res, &el, jstr(e, "fullUrl"));
		}
		return;
	}
	bool doc = !strcmp(type, "DocumentReference") || !strcmp(type, "DiagnosticReport");
	bool structured = !strcmp(type, "Observation") || !strcmp(type, "Condition");
	bool qr = !strcmp(type, "QuestionnaireResponse");
	bool patient = !strcmp(type, "Patient");
	if (m->pass == 1) {
		if (structured)
			do_structured(m, r, type, id, l);
		else if (qr)
			do_survey_index(m, r, type, id, l);
		else if (patient) {
			/* Only the id is kept; demographics are never read. */
			if (!id) {
				problem(m, l, type, NULL, false, "Patient has no id");
				return;
			}
			m->st->patients++;
			if (full_url && !json_object_get(m->urls, full_url))
				json_object_set_new(m->urls, full_url, json_string(id));
		}
		return;
	}
	if (doc)
		do_document(m, r, type, id, l);
	else if (!structured && !qr && !patient)
		problem(m, l, type, id, true, "unsupported resourceType: skipped");
}

/* A bounded line reader that remembers where each line starts. */
struct lines {
	FILE *f;
	char blk[1 << 16];
	size_t blen, bpos;
	off_t blk_off;
	struct ml_buf line;
	long lineno;
	off_t line_off;
};

static void lines_init(struct lines *r, FILE *f, size_t max)
{
	r->f = f;
	r->blen = r->bpos = 0;
	r->blk_off = 0;
	ml_buf_init(&r->line, max);
	r->lineno = 0;
	r->line_off = 0;
}

/* 1 = a line, 2 = a line longer than the cap (skipped), 0 = end of file, -1 = read error. */
static int lines_next(struct lines *r)
{
	ml_buf_reset(&r->line);
	r->line_off = r->blk_off + (off_t)r->bpos;
	bool toolong = false, any = false;
	for (;;) {
		if (r->bpos == r->blen) {
			r->blk_off += (off_t)r->blen;
			r->blen = fread(r->blk, 1, sizeof r->blk, r->f);
			r->bpos = 0;
			if (r->blen == 0) {
				if (ferror(r->f))
					return -1;
				if (!any)
					return 0;
				break;
			}
		}
		any = true;
		const char *p = memchr(r->blk + r->bpos, '\n', r->blen - r->bpos);
		size_t n = p ? (size_t)(p - (r->blk + r->bpos)) : r->blen - r->bpos;
		if (!toolong && ml_buf_append(&r->line, r->blk + r->bpos, n))
			toolong = true;
		r->bpos += n + (p ? 1 : 0);
		if (p)
			break;
	}
	r->lineno++;
	if (r->line.len && r->line.data[r->line.len - 1] == '\r')
		r->line.data[--r->line.len] = '\0';
	return toolong ? 2 : 1;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* In pass 1 only lines that may hold a resource of interest are parsed: a cheap substring test. */
static bool pass1_candidate(const char *s, size_t n)
{
	static const char *const keys[] = {"\"Observation\"", "\"Condition\"", "\"QuestionnaireResponse\"",
					   "\"Patient\"", "\"Bundle\""};
	for (size_t i = 0; i < ML_ARRAY_LEN(keys); i++)
		if (memmem(s, n, keys[i], strlen(keys[i])))
			return true;
	return false;
}

static int ndjson_pass(struct imp *m, struct lines *r)
{
	if (fseeko(m->f, 0, SEEK_SET))
		return ml_err_set(m->err, ML_EIO, "cannot seek in '%s': %s", m->path, strerror(errno));
	lines_init(r, m->f, m->max_line);
	r->line.cap = m->max_line;
	int rc;
	while ((rc = lines_next(r)) > 0 && !m->stop) {
		struct loc l = {.line = r->lineno, .entry = -1, .off = r->line_off, .len = r->line.len};
		if (rc == 2) {
			if (m->pass == 2)
				problem(m, &l, "", "", false, "line longer than %zu bytes", m->max_line);
			continue;
		}
		if (blank(r->line.data, r->line.len))
			continue;
		if (m->pass == 1 && !pass1_candidate(r->line.data, r->line.len))
			continue;
		json_error_t je;
		json_t *res = json_loadb(r->line.data, r->line.len, JSON_REJECT_DUPLICATES, &je);
		if (!res) {
			if (m->pass == 2)
				problem(m, &l, "", "", false, "invalid JSON at column %d", je.column);
			continue;
		}
		visit(m, res, &l, NULL);
		json_decref(res);
	}
	ml_buf_release(&r->line);
	if (rc < 0)
		return ml_err_set(m->err, ML_EIO, "cannot read '%s': %s", m->path, strerror(errno));
	return m->stop ? -1 : 0;
}

static int survey_cmp(const void *a, const void *b)
{
	const struct survey_ref *x = a, *y = b;
	int c = strcmp(x->patient, y->patient);
	if (c)
		return c;
	if (x->authored != y->authored)
		return x->authored < y->authored ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int emit_surveys(struct imp *m)
{
	if (m->nsurveys > 1)
		qsort(m->surveys, (size_t)m->nsurveys, sizeof *m->surveys, survey_cmp);
	struct ml_buf line;
	ml_buf_init(&line, m->max_line);
	for (long i = 0; i < m->nsurveys && !m->stop;) {
		long j = i;
		while (j < m->nsurveys && !strcmp(m->surveys[j].patient, m->surveys[i].patient))
			j++;
		for (long k = i; k < j && !m->stop; k++) {
			struct survey_ref *s = &m->surveys[k];
			json_t *doc = NULL;
			const json_t *res;
			if (m->whole) {
				res = m->whole;
			} else {
				ml_buf_reset(&line);
				if (fseeko(m->f, s->loc.off, SEEK_SET) || ml_buf_grow(&line, s->loc.len) ||
				    fread(line.data, 1, s->loc.len, m->f) != s->loc.len) {
					ml_buf_release(&line);
					return ml_err_set(m->err, ML_EIO, "cannot re-read line %ld of '%s'", s->loc.line,
							  m->path);
				}
				line.len = s->loc.len;
				doc = json_loadb(line.data, line.len, 0, NULL);
				res = doc;
			}
			if (res && s->loc.entry >= 0)
				res = json_object_get(json_array_get(json_object_get(res, "entry"), (size_t)s->loc.entry),
						      "resource");
			if (!res) {
				json_decref(doc);
				ml_buf_release(&line);
				return ml_err_set(m->err, ML_EIO, "'%s' changed during import (line %ld)", m->path,
						  s->loc.line);
			}
			do_survey_emit(m, res, s, k - i + 1, j - i);
			json_decref(doc);
		}
		i = j;
	}
	ml_buf_release(&line);
	return m->stop ? -1 : 0;
}

int text_fhir_import(const char *path, const struct text_import_opts *opts, struct text_import_stats *stats,
		     struct ml_err *err)
{
	struct text_import_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	struct imp m = {.path = path, .o = opts, .st = stats, .err = err};
	m.max_line = opts->max_line ? opts->max_line : DEFAULT_MAX_LINE;
	m.max_document = opts->max_document ? opts->max_document : DEFAULT_MAX_DOCUMENT;
	m.max_struct = opts->max_struct_bytes ? opts->max_struct_bytes : DEFAULT_MAX_STRUCT;
	m.max_fields = opts->max_fields_per_item > 0 ? opts->max_fields_per_item : DEFAULT_MAX_FIELDS;
	m.f = fopen(path, "rb");
	if (!m.f)
		return ml_err_set(err, ML_EIO, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(m.f), &sb) || !S_ISREG(sb.st_mode)) {
		fclose(m.f);
		return ml_err_set(err, ML_EINVAL, "'%s' is not a regular file (the import reads it twice)", path);
	}
	ml_arena_init(&m.arena, 1 << 16);
	m.urls = json_object();
	struct lines *r = ml_malloc(sizeof *r);
	int rc = -1;
	if (!r) {
		ml_err_set(err, ML_ENOMEM, "out of memory");
		goto out;
	}
	/* NDJSON if the first non-blank line is a complete JSON value; otherwise one document. */
	bool ndjson = true;
	lines_init(r, m.f, m.max_line);
	int lr;
	while ((lr = lines_next(r)) == 1 && blank(r->line.data, r->line.len))
		;
	if (lr == 1) {
		json_t *first = json_loadb(r->line.data, r->line.len, 0, NULL);
		if (!first && (size_t)sb.st_size > m.max_document && r->lineno == 1 && r->line.len < 64 &&
		    r->line.data[strspn(r->line.data, " \t")] == '{') {
			/* a pretty-printed document too large to hold: every line would be reported as bad NDJSON */
			ml_buf_release(&r->line);
			ml_err_set(err, ML_ELIMIT,
				   "'%s' is one JSON document of more than %zu bytes: export it as NDJSON (one resource per line)",
				   path, m.max_document);
			goto out;
		}
		if (!first && (size_t)sb.st_size <= m.max_document) {
			json_error_t je;
			if (fseeko(m.f, 0, SEEK_SET) == 0)
				m.whole = json_loadf(m.f, JSON_REJECT_DUPLICATES, &je);
			if (m.whole)
				ndjson = false;
			else if (r->lineno == 1 && je.line > 1) {
				/* A multi-line document that is broken: report it as such, not as bad NDJSON. */
				ml_buf_release(&r->line);
				ml_err_set(err, ML_EINVAL, "'%s': invalid JSON at line %d column %d", path, je.line,
					   je.column);
				goto out;
			}
		}
		json_decref(first);
	}
	ml_buf_release(&r->line);
	if (lr < 0) {
		ml_err_set(err, ML_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	for (m.pass = 1; m.pass <= 2; m.pass++) {
		if (ndjson) {
			if (ndjson_pass(&m, r))
				goto out;
		} else {
			struct loc l = {.line = 0, .entry = -1};
			visit(&m, m.whole, &l, NULL);
			if (m.stop)
				goto out;
		}
	}
	if (emit_surveys(&m))
		goto out;
	rc = 0;
out:
	ml_free(r);
	json_decref(m.whole);
	json_decref(m.urls);
	for (size_t i = 0; m.pf && i <= m.pf_mask; i++)
		if (m.pf[i].patient)
			ml_buf_release(&m.pf[i].recs);
	ml_free(m.pf);
	ml_free(m.surveys);
	ml_arena_release(&m.arena);
	fclose(m.f);
	return rc;
}
