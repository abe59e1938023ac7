/* onto_store.c: ontologies saved under DATA/ontologies/ (one TSV per ontology and index.json), and a
 * process-wide cache of loaded ontologies for the server. Saved files are never rewritten: an id always
 * names the same content, which is what makes the cache safe. */
#include "text/text_int.h"
#include "text/onto_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#define TSV_MAGIC "medlabel-ontology\t1"
#define MAX_TSV ((size_t)1 << 30)
#define MAX_INDEX ((size_t)16 << 20)

static void dir_path(char *out, size_t n, const char *data_dir, const char *file)
{
	snprintf(out, n, "%s/ontologies%s%s", data_dir, file ? "/" : "", file ? file : "");
}

/* ---- TSV ------------------------------------------------------------------------------------------------ */

static int put_escaped(struct ml_buf *b, const char *s)
{
	for (; *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '\\': e = "\\\\"; break;
		case '\t': e = "\\t"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '|': e = "\\|"; break;
		}
		if (e ? ml_buf_puts(b, e) : ml_buf_putc(b, *s))
			return -1;
	}
	return 0;
}

static int put_list(struct ml_buf *b, char **v, int n)
{
	for (int i = 0; i < n; i++)
		if ((i && ml_buf_putc(b, '|')) || put_escaped(b, v[i]))
			return -1;
	return 0;
}

static int to_tsv(const struct text_ontology *o, struct ml_buf *b)
{
	if (ml_buf_puts(b, TSV_MAGIC "\n"))
		return -1;
	for (int i = 0; i < o->n; i++) {
		const struct text_concept *c = &o->concepts[i];
		if (put_escaped(b, c->code) || ml_buf_putc(b, '\t') || put_escaped(b, c->display) ||
		    ml_buf_puts(b, c->obsolete ? "\to\t" : "\t-\t") || put_list(b, c->parent_codes, c->nparents) ||
		    ml_buf_putc(b, '\t') || put_list(b, c->synonyms, c->nsyn) || ml_buf_putc(b, '\t') ||
		    put_list(b, c->alt_codes, c->nalt) || ml_buf_putc(b, '\n'))
			return -1;
	}
	return 0;
}

/* Splits field f (escaped, '|'-separated when list) into arena strings. */
static char **unescape_list(struct ml_arena *a, const char *f, size_t n, bool list, int *count)
{
	int k = n ? 1 : 0;
	for (size_t i = 0; list && i < n; i++) {
		if (f[i] == '\\' && i + 1 < n)
			i++;
		else if (f[i] == '|')
			k++;
	}
	*count = k;
	if (!k)
		return NULL;
	char **v = ml_arena_alloc(a, (size_t)k * sizeof *v);
	char *buf = ml_arena_alloc(a, n + (size_t)k);
	int idx = 0;
	v[0] = buf;
	for (size_t i = 0; i < n; i++) {
		char c = f[i];
		if (c == '\\' && i + 1 < n) {
			c = f[++i];
			*buf++ = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
		} else if (list && c == '|') {
			*buf++ = '\0';
			v[++idx] = buf;
		} else {
			*buf++ = c;
		}
	}
	*buf = '\0';
	return v;
}

static int from_tsv(struct text_ontology *o, const char *data, size_t len, const char *path, struct ml_err *err)
{
	size_t ml = strlen(TSV_MAGIC);
	if (len < ml + 1 || memcmp(data, TSV_MAGIC "\n", ml + 1))
		return ml_err_set(err, ML_EINVAL, "'%s' is not a medlabel ontology file", path);
	const char *p = data + ml + 1, *end = data + len;
	long line = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		line++;
		const char *f[6];
		size_t fl[6];
		int nf = 0;
		const char *q = p;
		while (nf < 6) {
			const char *tab = memchr(q, '\t', (size_t)(eol - q));
			const char *fe = tab ? tab : eol;
			f[nf] = q;
			fl[nf++] = (size_t)(fe - q);
			if (!tab)
				break;
			q = tab + 1;
		}
		if (nf != 6)
			return ml_err_set(err, ML_EINVAL, "'%s' line %ld: expected 6 fields", path, line);
		if (o->n == o->alloc) {
			int na = o->alloc ? o->alloc * 2 : 1024;
			struct text_concept *v = ml_realloc(o->concepts, (size_t)na * sizeof *v);
			if (!v)
				return ml_err_set(err, ML_ENOMEM, "out of memory");
			o->concepts = v;
			o->alloc = na;
		}
		struct text_concept *c = &o->concepts[o->n];
		memset(c, 0, sizeof *c);
		int one;
		char **code = unescape_list(&o->arena, f[0], fl[0], false, &one);
		char **disp = unescape_list(&o->arena, f[1], fl[1], false, &one);
		if (!code || !disp)
			return ml_err_set(err, ML_EINVAL, "'%s' line %ld: empty code or display", path, line);
		c->code = code[0];
		c->display = disp[0];
		c->obsolete = fl[2] == 1 && f[2][0] == 'o';
		c->parent_codes = unescape_list(&o->arena, f[3], fl[3], true, &c->nparents);
		c->synonyms = unescape_list(&o->arena, f[4], fl[4], true, &c->nsyn);
		c->alt_codes = unescape_list(&o->arena, f[5], fl[5], true, &c->nalt);
		o->n++;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* ---- the index --------------------------------------------------------------------------------------- */

static json_t *read_index(const char *data_dir, struct ml_err *err)
{
	char path[4096];
	dir_path(path, sizeof path, data_dir, "index.json");
	char *data;
	size_t len;
	struct ml_err e;
	if (ml_file_read(path, MAX_INDEX, &data, &len, &e)) {
		if (e.code == ML_ENOTFOUND)
			return json_pack("{s:i, s:[]}", "next_id", 1, "ontologies");
		if (err)
			*err = e;
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je);
	ml_free(data);
	if (!json_is_object(root) || !json_is_array(json_object_get(root, "ontologies"))) {
		json_decref(root);
		ml_err_set(err, ML_EIO, "'%s' is damaged (line %d)", path, je.line);
		return NULL;
	}
	return root;
}

static const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

int text_ontology_save(const char *data_dir, struct text_ontology *o, struct ml_err *err)
{
	char dir[4096], lockp[4096], path[4096];
	dir_path(dir, sizeof dir, data_dir, NULL);
	if (ml_mkdirs(dir, 0700, err))
		return -1;
	if (!o->name || !*o->name)
		return ml_err_set(err, ML_EINVAL, "the ontology needs a name (--name)");
	if (!o->version || !*o->version)
		o->version = ml_arena_strdup(&o->arena, o->hash ? o->hash : "1");
	if (!o->system || !*o->system)
		o->system = o->name;
	dir_path(lockp, sizeof lockp, data_dir, ".lock");
	int fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return ml_err_set(err, ML_EIO, "cannot open '%s': %s", lockp, strerror(errno));
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return ml_err_set(err, ML_EIO, "cannot lock '%s': %s", lockp, strerror(errno));
	}
	int rc = -1;
	struct ml_buf b;
	ml_buf_init(&b, 0);
	json_t *root = read_index(data_dir, err);
	if (!root)
		goto out;
	json_t *list = json_object_get(root, "ontologies");
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		if (!strcmp(js(e, "name"), o->name) && !strcmp(js(e, "version"), o->version) &&
		    json_integer_value(json_object_get(e, "project_id")) == o->project_id) {
			ml_err_set(err, ML_EEXIST, "ontology '%s' version '%s' is already loaded (id %lld)", o->name,
				   o->version, (long long)json_integer_value(json_object_get(e, "id")));
			goto out;
		}
	}
	json_int_t id = json_integer_value(json_object_get(root, "next_id"));
	if (id < 1)
		id = 1;
	char file[64];
	snprintf(file, sizeof file, "%lld.tsv", (long long)id);
	dir_path(path, sizeof path, data_dir, file);
	if (to_tsv(o, &b)) {
		ml_err_set(err, ML_ENOMEM, "out of memory");
		goto out;
	}
	if (ml_file_write_atomic(path, b.data, b.len, err))
		goto out;
	o->id = id;
	o->loaded_at = ml_now_ms();
	json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:I, s:s}", "id", id, "name", o->name,
					      "version", o->version, "system", o->system, "hash", o->hash ? o->hash : "",
					      "project_id", (json_int_t)o->project_id, "concepts", o->n, "loaded_at",
					      (json_int_t)o->loaded_at, "file", file));
	json_object_set_new(root, "next_id", json_integer(id + 1));
	char *s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	dir_path(path, sizeof path, data_dir, "index.json");
	rc = s ? ml_file_write_atomic(path, s, strlen(s), err) : ml_err_set(err, ML_ENOMEM, "out of memory");
	free(s);
out:
	json_decref(root);
	ml_buf_release(&b);
	flock(fd, LOCK_UN);
	close(fd);
	return rc;
}

static bool visible(const json_t *e, int64_t project_id)
{
	int64_t p = json_integer_value(json_object_get(e, "project_id"));
	return project_id < 0 || p == 0 || p == project_id;
}

/* Finds the index entry for id_or_name: a decimal id, "name", or "name@version"; the latest if several. */
static const json_t *resolve(const json_t *root, const char *id_or_name, int64_t project_id)
{
	const json_t *list = json_object_get(root, "ontologies"), *best = NULL;
	bool digits = *id_or_name && strspn(id_or_name, "0123456789") == strlen(id_or_name);
	const char *at = strrchr(id_or_name, '@');
	size_t nlen = at ? (size_t)(at - id_or_name) : strlen(id_or_name);
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		if (!visible(e, project_id))
			continue;
		if (digits) {
			if (json_integer_value(json_object_get(e, "id")) == strtoll(id_or_name, NULL, 10))
				return e;
			continue;
		}
		const char *name = js(e, "name");
		if (strlen(name) != nlen || strncasecmp(name, id_or_name, nlen))
			continue;
		if (at && strcmp(js(e, "version"), at + 1))
			continue;
		if (!best || json_integer_value(json_object_get(e, "id")) > json_integer_value(json_object_get(best, "id")))
			best = e;
	}
	return best;
}

int text_ontology_open(const char *data_dir, const char *id_or_name, int64_t project_id, struct text_ontology **out,
		       struct ml_err *err)
{
	*out = NULL;
	json_t *root = read_index(data_dir, err);
	if (!root)
		return -1;
	const json_t *e = resolve(root, id_or_name, project_id);
	if (!e) {
		json_decref(root);
		return ml_err_set(err, ML_ENOTFOUND, "no ontology '%s'", id_or_name);
	}
	char path[4096];
	const char *file = js(e, "file");
	if (strchr(file, '/') || !*file) {
		json_decref(root);
		return ml_err_set(err, ML_EIO, "ontology index entry %s names a bad file", id_or_name);
	}
	dir_path(path, sizeof path, data_dir, file);
	struct text_ontology *o = text_ontology_new();
	o->id = json_integer_value(json_object_get(e, "id"));
	o->project_id = json_integer_value(json_object_get(e, "project_id"));
	o->loaded_at = json_integer_value(json_object_get(e, "loaded_at"));
	o->name = ml_arena_strdup(&o->arena, js(e, "name"));
	o->version = ml_arena_strdup(&o->arena, js(e, "version"));
	o->system = ml_arena_strdup(&o->arena, js(e, "system"));
	o->hash = ml_arena_strdup(&o->arena, js(e, "hash"));
	json_decref(root);
	char *data;
	size_t len;
	if (ml_file_read(path, MAX_TSV, &data, &len, err)) {
		text_ontology_free(o);
		return -1;
	}
	int rc = from_tsv(o, data, len, path, err);
	ml_free(data);
	if (rc || text_ontology_index(o, err)) {
		text_ontology_free(o);
		return -1;
	}
	*out = o;
	return 0;
}

int text_ontology_list(const char *data_dir, int64_t project_id, int (*cb)(void *ctx, const struct text_ontology_info *i),
		       void *ctx, struct ml_err *err)
{
	json_t *root = read_index(data_dir, err);
	if (!root)
		return -1;
	size_t i;
	json_t *e;
	int rc = 0;
	json_array_foreach(json_object_get(root, "ontologies"), i, e)
	{
		if (!visible(e, project_id))
			continue;
		struct text_ontology_info info = {
			.id = json_integer_value(json_object_get(e, "id")),
			.project_id = json_integer_value(json_object_get(e, "project_id")),
			.name = js(e, "name"), .version = js(e, "version"), .system = js(e, "system"), .hash = js(e, "hash"),
			.concepts = (int)json_integer_value(json_object_get(e, "concepts")),
			.loaded_at = json_integer_value(json_object_get(e, "loaded_at"))};
		if ((rc = cb(ctx, &info)))
			break;
	}
	json_decref(root);
	return rc;
}

/* ---- the cache ------------------------------------------------------------------------------------------ */

struct cached {
	char *data_dir;
	struct text_ontology *o;
	struct cached *next;
};
static struct cached *cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int text_ontology_get(const char *data_dir, const char *id_or_name, int64_t project_id, const struct text_ontology **out,
		      struct ml_err *err)
{
	*out = NULL;
	/* Resolve the name to an id first (the index is small), then reuse a loaded copy of that id. */
	json_t *root = read_index(data_dir, err);
	if (!root)
		return -1;
	const json_t *e = resolve(root, id_or_name, project_id);
	int64_t id = e ? json_integer_value(json_object_get(e, "id")) : 0;
	json_decref(root);
	if (!id)
		return ml_err_set(err, ML_ENOTFOUND, "no ontology '%s'", id_or_name);
	pthread_mutex_lock(&cache_lock);
	for (struct cached *c = cache; c; c = c->next)
		if (c->o->id == id && !strcmp(c->data_dir, data_dir)) {
			*out = c->o;
			pthread_mutex_unlock(&cache_lock);
			return 0;
		}
	pthread_mutex_unlock(&cache_lock);
	char idbuf[32];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	struct text_ontology *o;
	if (text_ontology_open(data_dir, idbuf, project_id, &o, err))
		return -1;
	pthread_mutex_lock(&cache_lock);
	for (struct cached *c = cache; c; c = c->next)
		if (c->o->id == id && !strcmp(c->data_dir, data_dir)) { /* another thread was quicker */
			*out = c->o;
			pthread_mutex_unlock(&cache_lock);
			text_ontology_free(o);
			return 0;
		}
	struct cached *c = ml_xcalloc(1, sizeof *c);
	c->data_dir = ml_xstrdup(data_dir);
	c->o = o;
	c->next = cache;
	cache = c;
	*out = o;
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

void text_ontology_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	while (cache) {
		struct cached *n = cache->next;
		text_ontology_free(cache->o);
		ml_free(cache->data_dir);
		ml_free(cache);
		cache = n;
	}
	pthread_mutex_unlock(&cache_lock);
}
