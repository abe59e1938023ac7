/* read.c: the Part 10 / bare dataset parser: elements, sequences, fragments, syntaxes, deflate. */
#include "dicom/dicom_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct parser {
	struct dicom_file *f;
	const uint8_t *base;
	size_t len;
	struct ml_err *err;
	const struct dicom_read_opts *opts;
	bool inflated; /* offsets are in the inflated dataset */
	unsigned max_depth;
	/* Scratch stacks: a nested item's elements and a sequence's items are pushed above their parent's and
	 * copied into the arena when complete, so each level needs no allocation of its own. */
	struct dicom_elem *es;
	size_t nes, aes;
	struct dicom_item *is;
	size_t nis, ais;
};

static const char *where(const struct parser *p)
{
	return p->inflated ? " of the inflated dataset" : "";
}

static int fail_at(struct parser *p, uint32_t tag, size_t pos, const char *what)
{
	return ml_err_set(p->err, ML_EINVAL, "cannot read '%s': %s (%04X,%04X) at byte %zu%s", p->f->name, what,
			  DICOM_GROUP(tag), DICOM_ELEMENT(tag), pos, where(p));
}

static int fail_len(struct parser *p, uint32_t tag, uint32_t len, size_t left, size_t pos)
{
	return ml_err_set(p->err, ML_EINVAL,
			  "cannot read '%s': element (%04X,%04X) length %u exceeds the %zu bytes left at byte %zu%s",
			  p->f->name, DICOM_GROUP(tag), DICOM_ELEMENT(tag), len, left, pos, where(p));
}

static int fail_trunc(struct parser *p, size_t pos, size_t left)
{
	return ml_err_set(p->err, ML_EINVAL, "cannot read '%s': truncated element header at byte %zu (%zu bytes left)%s",
			  p->f->name, pos, left, where(p));
}

static int push_elem(struct parser *p, const struct dicom_elem *e)
{
	if (p->nes == p->aes) {
		size_t na = p->aes ? p->aes * 2 : 256;
		struct dicom_elem *n = ml_realloc(p->es, na * sizeof *n);
		if (!n)
			return ml_err_set(p->err, ML_ENOMEM, "cannot read '%s': out of memory", p->f->name);
		p->es = n;
		p->aes = na;
	}
	p->es[p->nes++] = *e;
	return 0;
}

static int push_item(struct parser *p, const struct dicom_item *it)
{
	if (p->nis == p->ais) {
		size_t na = p->ais ? p->ais * 2 : 64;
		struct dicom_item *n = ml_realloc(p->is, na * sizeof *n);
		if (!n)
			return ml_err_set(p->err, ML_ENOMEM, "cannot read '%s': out of memory", p->f->name);
		p->is = n;
		p->ais = na;
	}
	p->is[p->nis++] = *it;
	return 0;
}

/* Once an item sits at its final address, its sequences' items can point back at it. */
static void adopt_children(struct dicom_item *it)
{
	for (uint32_t i = 0; i < it->nelems; i++) {
		struct dicom_elem *e = &it->elems[i];
		if (e->vr == DICOM_VR_SQ)
			for (uint32_t k = 0; k < e->nitems; k++)
				e->items[k].parent = it;
	}
}

/* Moves the elements pushed since mark into the arena as the item's element list. */
static void close_item(struct parser *p, struct dicom_item *it, size_t mark)
{
	size_t n = p->nes - mark;
	it->nelems = (uint32_t)n;
	it->elems = NULL;
	it->sorted = true;
	if (n) {
		it->elems = ml_arena_alloc(&p->f->arena, n * sizeof *it->elems);
		memcpy(it->elems, p->es + mark, n * sizeof *it->elems);
		for (size_t i = 1; i < n; i++)
			if (it->elems[i].tag <= it->elems[i - 1].tag)
				it->sorted = false;
	}
	p->nes = mark;
}

struct mode {
	bool implicit, be;
};

static int parse_elements(struct parser *p, size_t pos, size_t end, struct mode m, bool undef, bool meta_only,
			  unsigned depth, struct dicom_item *it, size_t *next);

static uint32_t rd_tag(const uint8_t *q, bool be)
{
	return DICOM_TAG(dicom_rd16(q, be), dicom_rd16(q + 2, be));
}

/* Items of a sequence from pos: up to end (defined length) or to the sequence delimiter (undefined). */
static int parse_items(struct parser *p, uint32_t seq_tag, size_t pos, size_t end, struct mode m, bool undef,
		       unsigned depth, const uint8_t *charset, uint32_t charset_len, struct dicom_elem *e,
		       size_t *next)
{
	if (depth >= p->max_depth)
		return fail_at(p, seq_tag, pos, "sequence nested too deeply:");
	size_t mark = p->nis;
	for (;;) {
		if (!undef && pos == end)
			break;
		if (end - pos < 8)
			return fail_trunc(p, pos, end - pos);
		uint32_t tag = rd_tag(p->base + pos, m.be);
		uint32_t len = dicom_rd32(p->base + pos + 4, m.be);
		if (tag == DICOM_TAG_SEQ_DELIM) {
			if (!undef)
				return fail_at(p, seq_tag, pos, "sequence delimiter inside defined-length sequence");
			pos += 8;
			break;
		}
		if (tag != DICOM_TAG_ITEM)
			return fail_at(p, seq_tag, pos, "expected an item in sequence");
		struct dicom_item item = {.offset = pos, .charset = charset, .charset_len = charset_len};
		size_t start = pos + 8, after;
		if (len == DICOM_UNDEFINED_LENGTH) {
			item.undef_len = true;
			if (parse_elements(p, start, end, m, true, false, depth + 1, &item, &after) < 0)
				return -1;
			item.len = (uint32_t)(after - start - 8);
		} else {
			if (len > end - start)
				return fail_len(p, tag, len, end - start, pos);
			if (parse_elements(p, start, start + len, m, false, false, depth + 1, &item, &after) < 0)
				return -1;
			item.len = len;
		}
		item.value = p->base + start;
		if (push_item(p, &item) < 0)
			return -1;
		pos = after;
	}
	size_t n = p->nis - mark;
	e->nitems = (uint32_t)n;
	e->items = NULL;
	if (n) {
		e->items = ml_arena_alloc(&p->f->arena, n * sizeof *e->items);
		memcpy(e->items, p->is + mark, n * sizeof *e->items);
		for (size_t k = 0; k < n; k++)
			adopt_children(&e->items[k]);
	}
	p->nis = mark;
	*next = pos;
	return 0;
}

/* Encapsulated pixel data: defined-length items (fragments) up to the sequence delimiter. */
static int parse_fragments(struct parser *p, uint32_t ptag, size_t pos, size_t end, struct mode m,
			   struct dicom_elem *e, size_t *next)
{
	size_t mark = p->nis;
	for (;;) {
		if (end - pos < 8)
			return fail_trunc(p, pos, end - pos);
		uint32_t tag = rd_tag(p->base + pos, m.be);
		uint32_t len = dicom_rd32(p->base + pos + 4, m.be);
		if (tag == DICOM_TAG_SEQ_DELIM) {
			pos += 8;
			break;
		}
		if (tag != DICOM_TAG_ITEM)
			return fail_at(p, ptag, pos, "expected a fragment item in pixel data");
		if (len == DICOM_UNDEFINED_LENGTH)
			return fail_at(p, ptag, pos, "undefined-length fragment in pixel data");
		if (len > end - pos - 8)
			return fail_len(p, tag, len, end - pos - 8, pos);
		struct dicom_item frag = {.offset = pos, .len = len, .value = p->base + pos + 8, .sorted = true};
		if (push_item(p, &frag) < 0)
			return -1;
		pos += 8 + (size_t)len;
	}
	size_t n = p->nis - mark;
	e->nitems = (uint32_t)n;
	e->items = NULL;
	if (n) {
		e->items = ml_arena_alloc(&p->f->arena, n * sizeof *e->items);
		memcpy(e->items, p->is + mark, n * sizeof *e->items);
	}
	p->nis = mark;
	*next = pos;
	return 0;
}

static bool is_pixel_tag(uint32_t tag)
{
	return tag == DICOM_TAG_PIXEL_DATA || tag == DICOM_TAG(0x7FE0, 0x0008) || tag == DICOM_TAG(0x7FE0, 0x0009);
}

/* Elements of one item (or the dataset) from pos: up to end, or to the item delimiter when undef. */
static int parse_elements(struct parser *p, size_t pos, size_t end, struct mode m, bool undef, bool meta_only,
			  unsigned depth, struct dicom_item *it, size_t *next)
{
	size_t mark = p->nes;
	int pixrep = 0, bits = 0;
	bool closed = !undef;
	while (pos < end) {
		size_t left = end - pos;
		if (left < 8)
			return fail_trunc(p, pos, left);
		const uint8_t *q = p->base + pos;
		uint32_t tag = rd_tag(q, m.be);
		if (meta_only && DICOM_GROUP(tag) != 0x0002)
			break;
		if (tag == DICOM_TAG_ITEM_DELIM) {
			if (!undef)
				return fail_at(p, tag, pos, "unexpected item delimiter");
			pos += 8;
			closed = true;
			break;
		}
		if (tag == DICOM_TAG_SEQ_DELIM || tag == DICOM_TAG_ITEM)
			return fail_at(p, tag, pos, "unexpected item tag");
		if (depth == 0 && p->opts->stop_before_pixels && is_pixel_tag(tag)) {
			p->f->stopped_before_pixels = true;
			p->f->pixel_offset = pos;
			pos = end;
			closed = true;
			break;
		}
		struct dicom_elem e = {.tag = tag, .offset = pos};
		uint16_t vr;
		uint32_t len;
		size_t hdr;
		if (m.implicit) {
			vr = dicom_implicit_vr(tag, pixrep, bits);
			len = dicom_rd32(q + 4, m.be);
			hdr = 8;
		} else {
			vr = DICOM_VR_CODE(q[4], q[5]);
			if (!dicom_vr_valid(vr))
				return fail_at(p, tag, pos, "invalid VR in element");
			if (dicom_vr_long(vr)) {
				if (left < 12)
					return fail_trunc(p, pos, left);
				len = dicom_rd32(q + 8, m.be);
				hdr = 12;
			} else {
				len = dicom_rd16(q + 6, m.be);
				hdr = 8;
			}
		}
		size_t vpos = pos + hdr, after = 0;
		if (m.be)
			e.flags |= DICOM_EF_BIG_ENDIAN;
		e.value = p->base + vpos;
		const uint8_t *cs = it->charset;
		uint32_t cs_len = it->charset_len;
		if (len == DICOM_UNDEFINED_LENGTH) {
			e.flags |= DICOM_EF_UNDEF_LEN;
			if (is_pixel_tag(tag) && vr != DICOM_VR_SQ && vr != DICOM_VR_UN) {
				e.vr = vr;
				e.flags |= DICOM_EF_ENCAPSULATED;
				if (parse_fragments(p, tag, vpos, end, m, &e, &after) < 0)
					return -1;
			} else if (vr == DICOM_VR_SQ || vr == DICOM_VR_UN) {
				/* UN of undefined length holds an implicit VR little endian sequence (PS3.5 6.2.2). */
				struct mode sm = m;
				if (vr == DICOM_VR_UN && !m.implicit) {
					sm.implicit = true;
					sm.be = false;
					e.flags |= DICOM_EF_FROM_UN;
					e.flags &= (uint16_t)~DICOM_EF_BIG_ENDIAN;
				}
				e.vr = DICOM_VR_SQ;
				if (parse_items(p, tag, vpos, end, sm, true, depth, cs, cs_len, &e, &after) < 0)
					return -1;
			} else {
				return fail_at(p, tag, pos, "undefined length not allowed for the VR of element");
			}
			e.len = (uint32_t)(after - vpos - 8); /* content, without the delimiter */
		} else {
			if (len > end - vpos)
				return fail_len(p, tag, len, end - vpos, pos);
			after = vpos + len;
			e.len = len;
			e.vr = vr;
			if (vr == DICOM_VR_UN && (DICOM_GROUP(tag) & 1) && DICOM_ELEMENT(tag) >= 0x10 &&
			    DICOM_ELEMENT(tag) <= 0xFF) {
				e.vr = DICOM_VR_LO; /* a private creator sent as UN */
				e.flags |= DICOM_EF_FROM_UN;
			} else if (vr == DICOM_VR_UN && !(DICOM_GROUP(tag) & 1) && !m.implicit) {
				/* A public element sent as UN: read it with its dictionary VR, implicit little endian. */
				uint16_t dvr = dicom_implicit_vr(tag, pixrep, bits);
				if (dvr != DICOM_VR_UN) {
					e.vr = dvr;
					e.flags |= DICOM_EF_FROM_UN;
					e.flags &= (uint16_t)~DICOM_EF_BIG_ENDIAN;
				}
			}
			if (e.vr == DICOM_VR_SQ) {
				struct mode sm = m;
				if (e.flags & DICOM_EF_FROM_UN)
					sm = (struct mode){.implicit = true, .be = false};
				size_t send;
				if (parse_items(p, tag, vpos, vpos + len, sm, false, depth, cs, cs_len, &e, &send) < 0)
					return -1;
			}
		}
		if (depth == 0 && tag == DICOM_TAG(0x0028, 0x0103) && e.len >= 2 && dicom_vr_unit(e.vr) == 2)
			pixrep = dicom_rd16(e.value, m.be);
		if (depth == 0 && tag == DICOM_TAG(0x0028, 0x0100) && e.len >= 2 && dicom_vr_unit(e.vr) == 2)
			bits = dicom_rd16(e.value, m.be);
		if (tag == DICOM_TAG_SPECIFIC_CHARSET) {
			it->charset = e.len ? e.value : NULL;
			it->charset_len = e.len;
		}
		if (push_elem(p, &e) < 0)
			return -1;
		pos = after;
	}
	if (!closed)
		return ml_err_set(p->err, ML_EINVAL, "cannot read '%s': item at byte %zu%s has no item delimiter",
				  p->f->name, (size_t)it->offset, where(p));
	close_item(p, it, mark);
	*next = pos;
	return 0;
}

static void trim_uid(const uint8_t *v, size_t n, char *out, size_t outlen)
{
	while (n && (v[n - 1] == ' ' || v[n - 1] == 0))
		n--;
	while (n && v[0] == ' ') {
		v++;
		n--;
	}
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = 0;
}

static bool is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

/* Guesses the encoding of a bare dataset from its first element. */
static void detect(const uint8_t *d, size_t n, struct mode *m)
{
	m->be = false;
	m->implicit = true;
	if (n < 8)
		return;
	uint16_t g_le = dicom_rd16(d, false), g_be = dicom_rd16(d, true);
	/* Datasets start with a low group (0002, 0008): the byte order that yields the smaller is right. */
	if (g_be < g_le)
		m->be = true;
	if (is_upper(d[4]) && is_upper(d[5]) && dicom_vr_valid(DICOM_VR_CODE(d[4], d[5])))
		m->implicit = false;
	else if (m->be)
		m->implicit = false; /* there is no implicit big endian syntax */
}

static int inflate_dataset(struct parser *p, size_t pos)
{
	struct dicom_file *f = p->f;
	size_t limit = p->opts->inflate_limit ? p->opts->inflate_limit : (size_t)1 << 30;
	size_t cap = (f->len - pos) * 4 + 4096;
	if (cap > limit)
		cap = limit;
	size_t prefix = pos; /* keep the meta group bytes in front so offsets stay file-like */
	uint8_t *buf = ml_malloc(prefix + cap);
	if (!buf)
		return ml_err_set(p->err, ML_ENOMEM, "cannot read '%s': out of memory", f->name);
	memcpy(buf, f->data, prefix);
	z_stream zs = {0};
	if (inflateInit2(&zs, -15) != Z_OK) {
		ml_free(buf);
		return ml_err_set(p->err, ML_EINVAL, "cannot read '%s': zlib init failed", f->name);
	}
	zs.next_in = (Bytef *)(f->data + pos);
	zs.avail_in = (uInt)(f->len - pos > UINT32_MAX ? UINT32_MAX : f->len - pos);
	size_t out = 0;
	int rc;
	for (;;) {
		if (out == cap) {
			if (cap >= limit) {
				inflateEnd(&zs);
				ml_free(buf);
				return ml_err_set(p->err, ML_ELIMIT,
						  "cannot read '%s': deflated dataset exceeds %zu bytes once inflated",
						  f->name, limit);
			}
			size_t ncap = cap * 2 > limit ? limit : cap * 2;
			uint8_t *nb = ml_realloc(buf, prefix + ncap);
			if (!nb) {
				inflateEnd(&zs);
				ml_free(buf);
				return ml_err_set(p->err, ML_ENOMEM, "cannot read '%s': out of memory", f->name);
			}
			buf = nb;
			cap = ncap;
		}
		zs.next_out = buf + prefix + out;
		zs.avail_out = (uInt)(cap - out > UINT32_MAX ? UINT32_MAX : cap - out);
		size_t before = zs.avail_out;
		rc = inflate(&zs, Z_NO_FLUSH);
		out += before - zs.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			inflateEnd(&zs);
			ml_free(buf);
			return ml_err_set(p->err, ML_EINVAL, "cannot read '%s': corrupt deflated dataset after byte %zu",
					  f->name, pos);
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			inflateEnd(&zs);
			ml_free(buf);
			return ml_err_set(p->err, ML_EINVAL, "cannot read '%s': truncated deflated dataset after byte %zu",
					  f->name, pos);
		}
	}
	inflateEnd(&zs);
	f->inflated = buf;
	f->data = buf;
	f->len = prefix + out;
	p->base = buf;
	p->len = f->len;
	p->inflated = true;
	return 0;
}

static void relink_meta_values(struct dicom_file *f, const uint8_t *old_base)
{
	/* The meta group was parsed in the original bytes; point its values at the copy in the new buffer. */
	for (uint32_t i = 0; i < f->meta.nelems; i++)
		f->meta.elems[i].value = f->data + (f->meta.elems[i].value - old_base);
	if (f->meta.charset)
		f->meta.charset = f->data + (f->meta.charset - old_base);
}

int dicom_parse(const uint8_t *data, size_t len, const char *name, const struct dicom_read_opts *opts,
		struct dicom_file **out, struct ml_err *err)
{
	static const struct dicom_read_opts defaults;
	*out = NULL;
	struct dicom_file *f = ml_calloc(1, sizeof *f);
	if (!f)
		return ml_err_set(err, ML_ENOMEM, "cannot read '%s': out of memory", name);
	ml_arena_init(&f->arena, 16384);
	f->fd = -1;
	f->name = ml_strdup(name ? name : "(memory)");
	f->data = data;
	f->len = len;
	struct parser p = {.f = f, .base = data, .len = len, .err = err, .opts = opts ? opts : &defaults};
	p.max_depth = p.opts->max_depth ? p.opts->max_depth : 64;
	if (!f->name) {
		ml_err_set(err, ML_ENOMEM, "cannot read '%s': out of memory", name);
		goto fail;
	}
	size_t pos = 0, next;
	if (len >= 132 && !memcmp(data + 128, "DICM", 4)) {
		f->has_preamble = true;
		pos = 132;
	}
	struct mode m = {0};
	bool meta_present = len - pos >= 8 && data[pos] == 0x02 && data[pos + 1] == 0x00 &&
			    is_upper(data[pos + 4]) && is_upper(data[pos + 5]);
	if (f->has_preamble && !meta_present && len - pos >= 8 && data[pos] == 0x02 && data[pos + 1] == 0x00) {
		ml_err_set(err, ML_EINVAL, "cannot read '%s': file meta information at byte %zu is not explicit VR",
			   name, pos);
		goto fail;
	}
	if (meta_present) {
		struct mode mm = {.implicit = false, .be = false};
		if (parse_elements(&p, pos, len, mm, false, true, 0, &f->meta, &next) < 0)
			goto fail;
		pos = next;
		const struct dicom_elem *ts = dicom_find(&f->meta, DICOM_TAG_TRANSFER_SYNTAX);
		if (ts)
			trim_uid(ts->value, ts->len, f->transfer_syntax, sizeof f->transfer_syntax);
	} else if (f->has_preamble && len == pos) {
		ml_err_set(err, ML_EINVAL, "cannot read '%s': no dataset after the preamble at byte %zu", name, pos);
		goto fail;
	}
	f->dataset_offset = pos;
	const char *ts = f->transfer_syntax;
	if (!*ts) {
		detect(data + pos, len - pos, &m);
		snprintf(f->transfer_syntax, sizeof f->transfer_syntax, "%s",
			 m.implicit ? DICOM_TS_IMPLICIT_LE : m.be ? DICOM_TS_EXPLICIT_BE : DICOM_TS_EXPLICIT_LE);
	} else if (!strcmp(ts, DICOM_TS_IMPLICIT_LE)) {
		m.implicit = true;
	} else if (!strcmp(ts, DICOM_TS_EXPLICIT_BE)) {
		m.be = true;
	} else if (!strcmp(ts, DICOM_TS_DEFLATED_LE) || !strcmp(ts, "1.2.840.10008.1.2.8.1")) {
		f->deflated = true;
	} else if (!strncmp(ts, "1.2.840.10008.1.2", 17) || !strncmp(ts, "1.2.840.10008.", 14)) {
		/* every other standard syntax encodes the dataset as explicit VR little endian */
	} else {
		/* A private syntax: look at the data rather than trust it. */
		detect(data + pos, len - pos, &m);
	}
	if (!f->deflated && *ts && len - pos >= 8) {
		/* Some writers label an implicit VR dataset explicit or the reverse: trust the bytes, like
		 * pydicom and dcmtk, when the first element plainly has (or lacks) a VR. */
		const uint8_t *d = data + pos;
		bool looks_explicit = is_upper(d[4]) && is_upper(d[5]) && dicom_vr_valid(DICOM_VR_CODE(d[4], d[5]));
		if (!m.implicit && !looks_explicit)
			m = (struct mode){.implicit = true, .be = false};
		else if (m.implicit && looks_explicit)
			m.implicit = false;
	}
	if (f->deflated) {
		const uint8_t *old = f->data;
		if (inflate_dataset(&p, pos) < 0)
			goto fail;
		relink_meta_values(f, old);
	}
	/* The dataset is padded with nothing after it: parse to the end. */
	if (parse_elements(&p, pos, p.len, m, false, false, 0, &f->root, &next) < 0)
		goto fail;
	adopt_children(&f->root);
	f->implicit_vr = m.implicit;
	f->big_endian = m.be;
	ml_free(p.es);
	ml_free(p.is);
	*out = f;
	return 0;
fail:
	ml_free(p.es);
	ml_free(p.is);
	dicom_free(f);
	return -1;
}

/* Files up to this size are read into memory in one read(): for a 10 kB file, mmap + page faults + munmap
 * (with its TLB flush) cost several times the copy. Larger files are mapped, so their pixel data is never
 * read unless it is used. */
#define DICOM_SMALL_FILE (64 * 1024)

/* Reads a small file whole: regular files in one read of their size, others (pipes) until end of file. */
static int read_small(int fd, const struct stat *st, const char *path, uint8_t **out, size_t *len,
		      struct ml_err *err)
{
	bool reg = S_ISREG(st->st_mode);
	size_t cap = reg ? (size_t)st->st_size : DICOM_SMALL_FILE;
	uint8_t *buf = ml_malloc(cap ? cap : 1);
	if (!buf)
		return ml_err_set(err, ML_ENOMEM, "cannot read '%s': out of memory", path);
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			ml_free(buf);
			return ml_err_set(err, ML_EIO, "cannot read '%s': %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!reg && n == cap) {
		ml_free(buf);
		return ml_err_set(err, ML_ELIMIT, "cannot read '%s': not a regular file and longer than %d bytes", path,
				  DICOM_SMALL_FILE);
	}
	*out = buf;
	*len = n;
	return 0;
}

int dicom_open(const char *path, const struct dicom_read_opts *opts, struct dicom_file **out, struct ml_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ml_err_set(err, errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "cannot read '%s': %s", path,
				  strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return ml_err_set(err, ML_EIO, "cannot stat '%s': %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size < DICOM_SMALL_FILE) {
		/* Small files cost less to read whole than to map. */
		uint8_t *buf = NULL;
		size_t n = 0;
		int rc = read_small(fd, &st, path, &buf, &n, err);
		close(fd);
		if (rc < 0)
			return -1;
		if (dicom_parse(buf, n, path, opts, out, err) < 0) {
			ml_free(buf);
			return -1;
		}
		(*out)->owned = buf;
		return 0;
	}
	/* Larger files are mapped from the descriptor already open: only the pages parsed are read. */
	struct ml_map map = {NULL, 0};
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		close(fd);
		return ml_err_set(err, ML_EIO, "cannot map '%s': %s", path, strerror(e));
	}
	map.data = p;
	map.len = (size_t)st.st_size;
	if (dicom_parse(map.data, map.len, path, opts, out, err) < 0) {
		ml_map_release(&map);
		close(fd);
		return -1;
	}
	(*out)->map = map;
	if (opts && opts->keep_fd)
		(*out)->fd = fd;
	else
		close(fd);
	return 0;
}

void dicom_free(struct dicom_file *f)
{
	if (!f)
		return;
	ml_arena_release(&f->arena);
	if (f->map.data)
		ml_map_release(&f->map);
	if (f->fd >= 0)
		close(f->fd);
	ml_free(f->inflated);
	ml_free(f->owned);
	ml_free(f->name);
	ml_free(f);
}

const struct dicom_elem *dicom_find(const struct dicom_item *it, uint32_t tag)
{
	if (!it)
		return NULL;
	if (it->sorted) {
		uint32_t lo = 0, hi = it->nelems;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			uint32_t t = it->elems[mid].tag;
			if (t < tag)
				lo = mid + 1;
			else if (t > tag)
				hi = mid;
			else
				return &it->elems[mid];
		}
		return NULL;
	}
	for (uint32_t i = 0; i < it->nelems; i++)
		if (it->elems[i].tag == tag)
			return &it->elems[i];
	return NULL;
}

const char *dicom_private_creator(const struct dicom_item *it, uint32_t tag, char *buf, size_t n)
{
	uint16_t g = DICOM_GROUP(tag), el = DICOM_ELEMENT(tag);
	if (!(g & 1) || el < 0x1000)
		return NULL;
	const struct dicom_elem *c = dicom_find(it, DICOM_TAG(g, el >> 8));
	if (!c || !c->len)
		return NULL;
	return dicom_elem_str(c, 0, buf, n);
}

const struct dicom_elem *dicom_find_private(const struct dicom_item *it, uint16_t group, const char *creator,
					    uint8_t elem_low)
{
	char buf[80];
	for (uint16_t blk = 0x10; blk <= 0xFF; blk++) {
		const struct dicom_elem *c = dicom_find(it, DICOM_TAG(group, blk));
		if (c && dicom_elem_str(c, 0, buf, sizeof buf) && !strcmp(buf, creator))
			return dicom_find(it, DICOM_TAG(group, (uint16_t)(blk << 8 | elem_low)));
	}
	return NULL;
}
