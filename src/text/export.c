/* export.c: the text export writers — CoNLL-2003 BIO, spaCy-style JSON, BRAT standoff (and its reader),
 * a FHIR Bundle of coded labels, and survey codings as CSV. Pure functions over a text and a text_doc. */
#include "text/text_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int io_fail(struct ml_err *err, const char *what)
{
	return ml_err_set(err, ML_EIO, "cannot write %s: %s", what, strerror(errno));
}

static int put_json(FILE *out, const char *s)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	int rc = ml_buf_json_str(&b, s ? s : "", s ? strlen(s) : 0);
	if (!rc && fwrite(b.data, 1, b.len, out) != b.len)
		rc = -1;
	ml_buf_release(&b);
	return rc;
}

/* ---- CoNLL-2003 ---------------------------------------------------------------------------------------- */

/* A CoNLL tag cannot hold spaces: "Breast finding" -> "Breast_finding". */
static void tag_label(const char *l, char *out, size_t n)
{
	size_t k = 0;
	for (; l && *l && k + 1 < n; l++)
		out[k++] = (*l == ' ' || *l == '\t' || *l == '\n') ? '_' : *l;
	out[k] = '\0';
}

int text_export_conll(FILE *out, const char *text, size_t len, const struct text_doc *d, struct ml_err *err)
{
	struct text_tokens tk = {0};
	if (text_tokenize(text, len, true, &tk, err))
		return -1;
	int *owner = ml_malloc((tk.n + 1) * sizeof(int));
	bool *begin = ml_calloc(tk.n + 1, sizeof(bool));
	if (!owner || !begin) {
		ml_free(owner);
		ml_free(begin);
		text_tokens_release(&tk);
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < tk.n; i++)
		owner[i] = -1;
	/* Spans in (start, longest) order; a span that would share a token with an earlier one is dropped. */
	int *order = ml_xmalloc(((size_t)d->nspans + 1) * sizeof(int));
	for (int i = 0; i < d->nspans; i++)
		order[i] = i;
	for (int i = 1; i < d->nspans; i++) { /* insertion sort: documents have few spans */
		int k = order[i], j = i - 1;
		while (j >= 0 && (d->spans[order[j]].start > d->spans[k].start ||
				  (d->spans[order[j]].start == d->spans[k].start && d->spans[order[j]].end < d->spans[k].end))) {
			order[j + 1] = order[j];
			j--;
		}
		order[j + 1] = k;
	}
	for (int oi = 0; oi < d->nspans; oi++) {
		const struct text_span *s = &d->spans[order[oi]];
		size_t lo = 0, hi = tk.n;
		while (lo < hi) { /* first token ending after the span's start */
			size_t mid = (lo + hi) / 2;
			if (tk.v[mid].end <= s->start)
				lo = mid + 1;
			else
				hi = mid;
		}
		size_t a = lo, b = lo;
		bool clash = false;
		for (; b < tk.n && tk.v[b].start < s->end; b++)
			clash |= owner[b] >= 0;
		if (clash || a == b)
			continue;
		for (size_t k = a; k < b; k++)
			owner[k] = order[oi];
		begin[a] = true;
	}
	ml_free(order);
	int rc = 0;
	if (fputs("-DOCSTART- -X- -X- O\n\n", out) == EOF)
		rc = io_fail(err, "CoNLL");
	char tag[256];
	for (size_t i = 0; i < tk.n && !rc; i++) {
		const struct text_token *t = &tk.v[i];
		if (owner[i] < 0)
			snprintf(tag, sizeof tag, "O");
		else {
			char l[240];
			tag_label(d->spans[owner[i]].label, l, sizeof l);
			snprintf(tag, sizeof tag, "%s-%s", begin[i] ? "B" : "I", l);
		}
		if (fwrite(text + t->bstart, 1, t->bend - t->bstart, out) != t->bend - t->bstart ||
		    fprintf(out, " _ _ %s\n", tag) < 0 || (t->sentence_end && fputc('\n', out) == EOF))
			rc = io_fail(err, "CoNLL");
	}
	if (!rc && tk.n && !tk.v[tk.n - 1].sentence_end && fputc('\n', out) == EOF)
		rc = io_fail(err, "CoNLL");
	ml_free(owner);
	ml_free(begin);
	text_tokens_release(&tk);
	return rc;
}

/* ---- spaCy-style JSON ---------------------------------------------------------------------------------- */

int text_export_spacy(FILE *out, const char *text, size_t len, const struct text_doc *d, const char *meta_json,
		      struct ml_err *err)
{
	(void)len;
	int rc = fputs("{\"text\":", out) == EOF || put_json(out, text) || fputs(",\"ents\":[", out) == EOF;
	for (int i = 0; i < d->nspans && !rc; i++) {
		const struct text_span *s = &d->spans[i];
		rc = fprintf(out, "%s{\"start\":%u,\"end\":%u,\"label\":", i ? "," : "", s->start, s->end) < 0 ||
		     put_json(out, s->label);
		if (!rc && s->code)
			rc = fputs(",\"kb_id\":", out) == EOF || put_json(out, s->code) || fputs(",\"system\":", out) == EOF ||
			     put_json(out, s->system);
		if (!rc && s->attrs)
			rc = fprintf(out, ",\"negated\":%s,\"uncertain\":%s,\"historical\":%s,\"family\":%s",
				     s->attrs & TEXT_ATTR_NEGATED ? "true" : "false",
				     s->attrs & TEXT_ATTR_UNCERTAIN ? "true" : "false",
				     s->attrs & TEXT_ATTR_HISTORICAL ? "true" : "false",
				     s->attrs & TEXT_ATTR_FAMILY ? "true" : "false") < 0;
		if (!rc)
			rc = fputc('}', out) == EOF;
	}
	if (!rc)
		rc = fputs("],\"relations\":[", out) == EOF;
	for (int i = 0; i < d->nrels && !rc; i++)
		rc = fputs(i ? ",{\"head\":" : "{\"head\":", out) == EOF || put_json(out, d->rels[i].from) ||
		     fputs(",\"child\":", out) == EOF || put_json(out, d->rels[i].to) || fputs(",\"label\":", out) == EOF ||
		     put_json(out, d->rels[i].label) || fputc('}', out) == EOF;
	/* spaCy's textcat "cats": every class label of the document scores 1.0 */
	if (!rc)
		rc = fputs("],\"cats\":{", out) == EOF;
	int nc = 0;
	for (int i = 0; i < d->nclasses && !rc; i++) {
		const char *l = d->classes[i].label ? d->classes[i].label : d->classes[i].code;
		if (!l || d->classes[i].question)
			continue;
		rc = (nc++ && fputc(',', out) == EOF) || put_json(out, l) || fputs(":1.0", out) == EOF;
	}
	if (!rc)
		rc = fprintf(out, "},\"meta\":%s}\n", meta_json && *meta_json ? meta_json : "{}") < 0;
	return rc ? io_fail(err, "spaCy JSON") : 0;
}

/* ---- BRAT standoff ------------------------------------------------------------------------------------- */

static const struct {
	unsigned bit;
	const char *name;
} BRAT_ATTRS[] = {{TEXT_ATTR_NEGATED, "Negated"}, {TEXT_ATTR_UNCERTAIN, "Uncertain"},
		  {TEXT_ATTR_HISTORICAL, "Historical"}, {TEXT_ATTR_FAMILY, "Family"}};

/* A BRAT type name: no spaces (they separate fields). */
static void brat_type(const char *l, char *out, size_t n)
{
	tag_label(l ? l : "Entity", out, n);
	if (!out[0])
		snprintf(out, n, "Entity");
}

static int write_ann(FILE *f, const char *text, size_t len, const struct text_doc *d, struct ml_err *err)
{
	struct ml_cp_index ix;
	if (ml_cp_index_build(&ix, text, len))
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	int rc = 0, na = 0, nn = 0;
	for (int i = 0; i < d->nspans && !rc; i++) {
		const struct text_span *s = &d->spans[i];
		if (s->end > ix.ncp || s->start >= s->end) {
			rc = ml_err_set(err, ML_EINVAL, "span %d [%u, %u) is outside the text", i + 1, s->start, s->end);
			break;
		}
		char type[128];
		brat_type(s->label, type, sizeof type);
		if (fprintf(f, "T%d\t%s ", i + 1, type) < 0)
			goto ioerr;
		/* Fragments split at line breaks: BRAT keeps one annotation per line. */
		uint32_t fs = s->start;
		bool first = true;
		for (uint32_t c = s->start; c <= s->end; c++) {
			bool brk = c == s->end || text[ix.byte_of_cp[c]] == '\n';
			if (!brk)
				continue;
			if (c > fs) {
				if (fprintf(f, "%s%u %u", first ? "" : ";", fs, c) < 0)
					goto ioerr;
				first = false;
			}
			fs = c + 1;
		}
		if (first && fprintf(f, "%u %u", s->start, s->end) < 0) /* a span of only line breaks */
			goto ioerr;
		if (fputc('\t', f) == EOF)
			goto ioerr;
		for (uint32_t c = s->start; c < s->end; c++) {
			size_t b0 = ix.byte_of_cp[c], b1 = ix.byte_of_cp[c + 1];
			if (text[b0] == '\n' || text[b0] == '\r' || text[b0] == '\t') {
				if (fputc(' ', f) == EOF)
					goto ioerr;
			} else if (fwrite(text + b0, 1, b1 - b0, f) != b1 - b0) {
				goto ioerr;
			}
		}
		if (fputc('\n', f) == EOF)
			goto ioerr;
		for (size_t k = 0; k < ML_ARRAY_LEN(BRAT_ATTRS); k++)
			if ((s->attrs & BRAT_ATTRS[k].bit) && fprintf(f, "A%d\t%s T%d\n", ++na, BRAT_ATTRS[k].name, i + 1) < 0)
				goto ioerr;
		if (s->code) {
			/* The coding as a JSON object in an AnnotatorNotes line (BRAT shows it; the reader parses it). */
			json_t *o = json_pack("{s:s, s:s}", "system", s->system ? s->system : "", "code", s->code);
			if (s->version)
				json_object_set_new(o, "version", json_string(s->version));
			if (s->display)
				json_object_set_new(o, "display", json_string(s->display));
			char *js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(o);
			int w = js ? fprintf(f, "#%d\tAnnotatorNotes T%d\t%s\n", ++nn, i + 1, js) : -1;
			free(js);
			if (w < 0)
				goto ioerr;
		}
	}
	for (int i = 0; i < d->nrels && !rc; i++) {
		const struct text_relation *r = &d->rels[i];
		int from = -1, to = -1;
		for (int k = 0; k < d->nspans; k++) {
			if (d->spans[k].id && r->from && !strcmp(d->spans[k].id, r->from))
				from = k + 1;
			if (d->spans[k].id && r->to && !strcmp(d->spans[k].id, r->to))
				to = k + 1;
		}
		if (from < 0 || to < 0)
			continue; /* a relation to something that is not a span has no BRAT form */
		char type[128];
		brat_type(r->label, type, sizeof type);
		if (fprintf(f, "R%d\t%s Arg1:T%d Arg2:T%d\t\n", i + 1, type, from, to) < 0)
			goto ioerr;
	}
	ml_cp_index_release(&ix);
	return rc;
ioerr:
	ml_cp_index_release(&ix);
	return io_fail(err, "BRAT .ann");
}

int text_export_brat(const char *dir, const char *base, const char *text, size_t len, const struct text_doc *d,
		     struct ml_err *err)
{
	char path[4096];
	if (ml_mkdirs(dir, 0700, err))
		return -1;
	snprintf(path, sizeof path, "%s/%s.txt", dir, base);
	if (ml_file_write_atomic(path, text, len, err))
		return -1;
	snprintf(path, sizeof path, "%s/%s.ann", dir, base);
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	int rc = write_ann(f, text, len, d, err);
	if (fclose(f) && !rc)
		rc = ml_err_set(err, ML_ENOMEM, "out of memory");
	if (!rc)
		rc = ml_file_write_atomic(path, buf, blen, err);
	free(buf);
	return rc;
}

/* Parses "T12" -> 12. */
static long brat_num(const char *s, char prefix)
{
	if (*s != prefix || s[1] < '0' || s[1] > '9')
		return -1;
	char *end;
	long v = strtol(s + 1, &end, 10);
	return *end ? -1 : v;
}

static struct text_span *span_by_id(struct text_doc *d, const char *id)
{
	for (int i = 0; i < d->nspans; i++)
		if (d->spans[i].id && !strcmp(d->spans[i].id, id))
			return &d->spans[i];
	return NULL;
}

int text_brat_read(const char *ann, size_t len, struct text_doc *d, struct ml_err *err)
{
	char *copy = ml_malloc(len + 1);
	if (!copy)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	memcpy(copy, ann, len);
	copy[len] = '\0';
	int rc = -1;
	long line = 0;
	char *save = NULL;
	for (char *p = copy, *next; p && *p; p = next) {
		char *nl = strchr(p, '\n');
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		line++;
		size_t ll = strlen(p);
		if (ll && p[ll - 1] == '\r')
			p[--ll] = '\0';
		if (!*p)
			continue;
		char *f1 = p, *tab = strchr(p, '\t');
		if (!tab) {
			ml_err_set(err, ML_EINVAL, "line %ld: expected ID<TAB>...", line);
			goto out;
		}
		*tab = '\0';
		char *f2 = tab + 1, *f3 = NULL;
		char *tab2 = strchr(f2, '\t');
		if (tab2) {
			*tab2 = '\0';
			f3 = tab2 + 1;
		}
		if (f1[0] == 'T') {
			char *type = strtok_r(f2, " ", &save), *rest = strtok_r(NULL, "", &save);
			if (brat_num(f1, 'T') < 0 || !type || !rest) {
				ml_err_set(err, ML_EINVAL, "line %ld: malformed text-bound annotation", line);
				goto out;
			}
			long start = -1, end = -1;
			for (char *frag = rest; frag && *frag;) {
				char *semi = strchr(frag, ';');
				if (semi)
					*semi = '\0';
				long a, b;
				char extra;
				if (sscanf(frag, "%ld %ld%c", &a, &b, &extra) != 2 || a < 0 || b < a || b > UINT32_MAX) {
					ml_err_set(err, ML_EINVAL, "line %ld: malformed offsets", line);
					goto out;
				}
				if (start < 0)
					start = a;
				end = b;
				frag = semi ? semi + 1 : NULL;
			}
			if (start < 0 || end <= start) {
				ml_err_set(err, ML_EINVAL, "line %ld: empty span", line);
				goto out;
			}
			struct text_span *s = text_doc_add_span(d, (uint32_t)start, (uint32_t)end, type);
			s->id = text_doc_strdup(d, f1);
		} else if (f1[0] == 'A' || f1[0] == 'M') {
			char *name = strtok_r(f2, " ", &save), *target = strtok_r(NULL, " ", &save);
			struct text_span *s = target ? span_by_id(d, target) : NULL;
			if (!name || !s) {
				ml_err_set(err, ML_EINVAL, "line %ld: attribute of an unknown annotation", line);
				goto out;
			}
			for (size_t k = 0; k < ML_ARRAY_LEN(BRAT_ATTRS); k++)
				if (!strcmp(name, BRAT_ATTRS[k].name))
					s->attrs |= BRAT_ATTRS[k].bit;
		} else if (f1[0] == 'R') {
			char *type = strtok_r(f2, " ", &save), *a1 = strtok_r(NULL, " ", &save), *a2 = strtok_r(NULL, " ", &save);
			char *c1 = a1 ? strchr(a1, ':') : NULL, *c2 = a2 ? strchr(a2, ':') : NULL;
			if (!type || !c1 || !c2) {
				ml_err_set(err, ML_EINVAL, "line %ld: malformed relation", line);
				goto out;
			}
			struct text_relation *r = text_doc_add_relation(d, c1 + 1, c2 + 1, type);
			r->id = text_doc_strdup(d, f1);
		} else if (f1[0] == '#') {
			char *kind = strtok_r(f2, " ", &save), *target = strtok_r(NULL, " ", &save);
			struct text_span *s = target ? span_by_id(d, target) : NULL;
			if (kind && !strcmp(kind, "AnnotatorNotes") && s && f3 && *f3 == '{') {
				json_t *o = json_loads(f3, 0, NULL);
				if (!json_is_object(o)) {
					json_decref(o);
					ml_err_set(err, ML_EINVAL, "line %ld: malformed coding note", line);
					goto out;
				}
				const char *v;
				if ((v = json_string_value(json_object_get(o, "system"))))
					s->system = text_doc_strdup(d, v);
				if ((v = json_string_value(json_object_get(o, "code"))))
					s->code = text_doc_strdup(d, v);
				if ((v = json_string_value(json_object_get(o, "version"))))
					s->version = text_doc_strdup(d, v);
				if ((v = json_string_value(json_object_get(o, "display"))))
					s->display = text_doc_strdup(d, v);
				json_decref(o);
			}
		}
		/* E (events), N (normalisations) and * (equivalences) carry nothing this module stores. */
	}
	rc = 0;
out:
	ml_free(copy);
	return rc;
}

/* ---- FHIR Bundle of coded labels ------------------------------------------------------------------- */

int text_fhir_writer_begin(struct text_fhir_writer *w, FILE *out)
{
	w->out = out;
	w->entries = 0;
	return fputs("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[", out) == EOF ? -1 : 0;
}

/* Well-known code systems by the names people load them under; other names stay as they are. */
const char *text_code_system_uri(const char *name)
{
	static const struct {
		const char *name, *uri;
	} known[] = {{"HPO", "http://purl.obolibrary.org/obo/hp.owl"}, {"hp", "http://purl.obolibrary.org/obo/hp.owl"},
		     {"ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm"}, {"ICD-10", "http://hl7.org/fhir/sid/icd-10"},
		     {"SNOMED", "http://snomed.info/sct"}, {"SNOMED CT", "http://snomed.info/sct"},
		     {"SNOMEDCT", "http://snomed.info/sct"}, {"LOINC", "http://loinc.org"},
		     {"RxNorm", "http://www.nlm.nih.gov/research/umls/rxnorm"}, {"MONDO", "http://purl.obolibrary.org/obo/mondo.owl"}};
	if (!name)
		return "";
	for (size_t i = 0; i < ML_ARRAY_LEN(known); i++)
		if (!strcasecmp(name, known[i].name))
			return known[i].uri;
	return name;
}

static json_t *coding(const char *sys, const char *code, const char *disp, const char *ver,
		      const char *(*uri_of)(void *ctx, const char *name), void *uctx)
{
	const char *uri = uri_of ? uri_of(uctx, sys) : text_code_system_uri(sys);
	json_t *c = json_pack("{s:s, s:s}", "system", uri ? uri : "", "code", code);
	if (ver)
		json_object_set_new(c, "version", json_string(ver));
	if (disp)
		json_object_set_new(c, "display", json_string(disp));
	return c;
}

static int put_entry(struct text_fhir_writer *w, json_t *res, struct ml_err *err)
{
	char *s = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(res);
	if (!s)
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	int rc = fprintf(w->out, "%s{\"resource\":%s}", w->entries ? "," : "", s) < 0;
	free(s);
	w->entries++;
	return rc ? io_fail(err, "FHIR Bundle") : 0;
}

int text_fhir_writer_item(struct text_fhir_writer *w, const struct store_item *it, const struct text_doc *d,
			  struct ml_err *err)
{
	/* The source: the item's own FHIR resource if it came from one, else the medlabel item by identifier. */
	json_t *src;
	const char *ref = it->external_ref ? it->external_ref : "";
	if (!strncmp(ref, "DocumentReference/", 18) || !strncmp(ref, "DiagnosticReport/", 17) ||
	    !strncmp(ref, "QuestionnaireResponse/", 22))
		src = json_pack("{s:s}", "reference", ref);
	else
		src = json_pack("{s:{s:s, s:I}}", "identifier", "system", "urn:medlabel:item", "value", (json_int_t)it->id);
	json_t *subject = it->patient_key && *it->patient_key ? json_pack("{s:s+}", "reference", "Patient/", it->patient_key)
							      : NULL;
	int rc = 0;
	int n = 0;
	for (int i = 0; i < d->nspans + d->nclasses && !rc; i++) {
		const char *sys, *code, *disp, *ver, *label;
		unsigned attrs = 0;
		long start = -1, end = -1;
		if (i < d->nspans) {
			const struct text_span *s = &d->spans[i];
			sys = s->system, code = s->code, disp = s->display, ver = s->version, label = s->label;
			attrs = s->attrs, start = s->start, end = s->end;
		} else {
			const struct text_class *c = &d->classes[i - d->nspans];
			sys = c->system, code = c->code, disp = c->display, ver = c->version, label = c->label;
		}
		if (!code)
			continue;
		char id[64];
		snprintf(id, sizeof id, "ml-%lld-%d", (long long)it->id, ++n);
		json_t *cc = json_pack("{s:[o]}", "coding", coding(sys, code, disp, ver, w->uri_of, w->uri_ctx));
		json_t *ext = NULL;
		if (start >= 0)
			ext = json_pack("[{s:s, s:[{s:s, s:I}, {s:s, s:I}]}]", "url",
					"https://medlabel.org/fhir/StructureDefinition/source-span", "extension", "url", "start",
					"valueInteger", (json_int_t)start, "url", "end", "valueInteger", (json_int_t)end);
		json_t *res;
		bool loinc = sys && (!strcasecmp(sys, "LOINC") || !strcmp(sys, "http://loinc.org"));
		if (attrs & TEXT_ATTR_FAMILY) {
			/* A relative's condition is not the patient's: FamilyMemberHistory. */
			res = json_pack("{s:s, s:s, s:s, s:{s:[{s:s, s:s}]}, s:[{s:o}]}", "resourceType", "FamilyMemberHistory",
					"id", id, "status", "completed", "relationship", "coding", "system",
					"http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code", "FAMMEMB", "condition",
					"code", cc);
			if (subject)
				json_object_set(res, "patient", subject);
			json_object_set_new(res, "extension", json_pack("[{s:s, s:o}]", "url",
				"https://medlabel.org/fhir/StructureDefinition/source", "valueReference", json_deep_copy(src)));
		} else if (loinc || (label && !strcasecmp(label, "Observation"))) {
			res = json_pack("{s:s, s:s, s:s, s:o, s:[O]}", "resourceType", "Observation", "id", id, "status",
					"final", "code", cc, "derivedFrom", src);
			if (subject)
				json_object_set(res, "subject", subject);
		} else {
			const char *vs = attrs & TEXT_ATTR_NEGATED ? "refuted" : attrs & TEXT_ATTR_UNCERTAIN ? "provisional" : "confirmed";
			res = json_pack("{s:s, s:s, s:{s:[{s:s, s:s}]}, s:o, s:[{s:[O]}]}", "resourceType", "Condition", "id", id,
					"verificationStatus", "coding", "system",
					"http://terminology.hl7.org/CodeSystem/condition-ver-status", "code", vs, "code", cc,
					"evidence", "detail", src);
			if (subject)
				json_object_set(res, "subject", subject);
			if (attrs & TEXT_ATTR_HISTORICAL)
				json_object_set_new(res, "clinicalStatus",
						    json_pack("{s:[{s:s, s:s}]}", "coding", "system",
							      "http://terminology.hl7.org/CodeSystem/condition-clinical", "code",
							      "resolved"));
		}
		if (!res) {
			rc = ml_err_set(err, ML_ENOMEM, "out of memory");
			json_decref(ext);
			break;
		}
		if (ext) {
			json_t *have = json_object_get(res, "extension");
			if (have)
				json_array_extend(have, ext), json_decref(ext);
			else
				json_object_set_new(res, "extension", ext);
		}
		rc = put_entry(w, res, err);
	}
	json_decref(src);
	json_decref(subject);
	return rc;
}

int text_fhir_writer_end(struct text_fhir_writer *w, struct ml_err *err)
{
	return fputs("]}\n", w->out) == EOF ? io_fail(err, "FHIR Bundle") : 0;
}

/* ---- survey codings as CSV ----------------------------------------------------------------------------- */

int text_survey_csv_header(FILE *out)
{
	return fputs("patient,response,authored,sequence,question_id,question,answer,codes\r\n", out) == EOF ? -1 : 0;
}

/* Appends "label=system|code", "system|code" or "label" to the ';'-joined list, once. */
static void add_code(struct ml_buf *b, const char *sys, const char *code, const char *label)
{
	char one[512];
	if (code && label)
		snprintf(one, sizeof one, "%s=%s|%s", label, sys ? sys : "", code);
	else if (code)
		snprintf(one, sizeof one, "%s|%s", sys ? sys : "", code);
	else if (label)
		snprintf(one, sizeof one, "%s", label);
	else
		return;
	for (const char *p = b->data; p && *p;) { /* already listed? */
		size_t n = strcspn(p, ";");
		if (n == strlen(one) && !strncmp(p, one, n))
			return;
		p += n + (p[n] == ';');
	}
	if ((b->len && ml_buf_putc(b, ';')) || ml_buf_puts(b, one))
		return;
}

static int survey_row(FILE *out, const struct store_item *it, const json_t *survey, const json_t *q, const struct text_doc *d)
{
	const char *link = json_string_value(json_object_get(q, "linkId"));
	json_int_t a0 = json_integer_value(json_object_get(q, "answer_start"));
	json_int_t a1 = json_integer_value(json_object_get(q, "answer_end"));
	struct ml_buf codes;
	ml_buf_init(&codes, 0);
	for (int i = 0; i < d->nclasses; i++) {
		const struct text_class *c = &d->classes[i];
		/* a question's row gets the codings of that question; a row without questions gets them all */
		if (!q || (c->question && link && !strcmp(c->question, link)))
			add_code(&codes, c->system, c->code, c->label);
	}
	for (int i = 0; i < d->nspans; i++) {
		const struct text_span *s = &d->spans[i];
		if (!q || ((json_int_t)s->start < a1 && (json_int_t)s->end > a0))
			add_code(&codes, s->system, s->code, s->code ? NULL : s->label);
	}
	char seq[32] = "";
	if (json_is_integer(json_object_get(survey, "sequence")))
		snprintf(seq, sizeof seq, "%lld", (long long)json_integer_value(json_object_get(survey, "sequence")));
	char resp[64];
	snprintf(resp, sizeof resp, "%lld", (long long)it->id);
	int rc = text_csv_write_field(out, it->patient_key, false) ||
		 text_csv_write_field(out, it->external_ref && *it->external_ref ? it->external_ref : resp, false) ||
		 text_csv_write_field(out, json_string_value(json_object_get(survey, "authored")), false) ||
		 text_csv_write_field(out, seq, false) || text_csv_write_field(out, link, false) ||
		 text_csv_write_field(out, json_string_value(json_object_get(q, "text")), false) ||
		 text_csv_write_field(out, q ? json_string_value(json_object_get(q, "answer")) : it->text, false) ||
		 text_csv_write_field(out, codes.data ? codes.data : "", true);
	ml_buf_release(&codes);
	return rc;
}

int text_survey_csv_item(FILE *out, const struct store_item *it, const struct text_doc *d, struct ml_err *err)
{
	json_t *meta = json_loads(it->meta_json ? it->meta_json : "{}", 0, NULL);
	const json_t *survey = json_object_get(meta, "survey");
	const json_t *items = json_object_get(survey, "items");
	int rc = 0;
	if (json_is_array(items) && json_array_size(items)) {
		size_t i;
		json_t *q;
		json_array_foreach(items, i, q) if (!rc) rc = survey_row(out, it, survey, q, d);
	} else {
		rc = survey_row(out, it, survey, NULL, d); /* a survey item without questions: one row */
	}
	json_decref(meta);
	return rc ? io_fail(err, "survey CSV") : 0;
}
