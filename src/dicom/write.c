/* write.c: explicit VR little endian Part 10 output as a list of segments (own bytes or borrowed values). */
#include "dicom/dicom_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#define IMPL_CLASS_UID "1.2.826.0.1.3680043.10.1337.1"
#define IMPL_VERSION "MEDLABEL_" ML_VERSION

struct seg {
	const uint8_t *ref; /* borrowed bytes, or NULL: own bytes at off in w->own */
	size_t off, len;
};

struct open_level {
	bool item;       /* item, else sequence / encapsulated pixel data */
	bool undefined;
	bool encap;
	size_t patch;    /* offset in own of the 4-byte length to back-patch */
	uint64_t start;  /* total bytes written when the content began */
	uint32_t last;   /* the last tag written at this level, to enforce ascending order */
	bool any;
};

struct dicom_writer {
	struct ml_buf own;
	struct seg *segs;
	size_t nsegs, asegs;
	uint64_t total;
	struct open_level stack[64];
	int depth;
	bool failed;
	char msg[200];
	bool meta_done;
	uint32_t top_last; /* ascending order at the top level */
	bool top_any;
	/* dicom_w_source: borrowed bytes inside src[0..src_len) are those of file src_fd at the same offsets */
	const uint8_t *src;
	size_t src_len;
	int src_fd;
	int copy_how; /* 0 copy_file_range, 1 sendfile (the first refused), 2 write from the map */
	int copy_start; /* where copy_how starts (tests) */
	uint64_t copied;
};

static void w_fail(struct dicom_writer *w, const char *fmt, ...) ML_PRINTF(2, 3);
static void w_fail(struct dicom_writer *w, const char *fmt, ...)
{
	if (w->failed)
		return;
	w->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof w->msg, fmt, ap);
	va_end(ap);
}

struct dicom_writer *dicom_writer_new(void)
{
	struct dicom_writer *w = ml_xcalloc(1, sizeof *w);
	ml_buf_init(&w->own, 0);
	w->src_fd = -1;
	return w;
}

void dicom_writer_free(struct dicom_writer *w)
{
	if (!w)
		return;
	ml_buf_release(&w->own);
	ml_free(w->segs);
	ml_free(w);
}

static void add_seg(struct dicom_writer *w, const uint8_t *ref, size_t off, size_t len)
{
	if (!len)
		return;
	if (!ref && w->nsegs && !w->segs[w->nsegs - 1].ref &&
	    w->segs[w->nsegs - 1].off + w->segs[w->nsegs - 1].len == off) {
		w->segs[w->nsegs - 1].len += len;
	} else {
		if (w->nsegs == w->asegs) {
			w->asegs = w->asegs ? w->asegs * 2 : 64;
			w->segs = ml_xrealloc(w->segs, w->asegs * sizeof *w->segs);
		}
		w->segs[w->nsegs++] = (struct seg){ref, off, len};
	}
	w->total += len;
}

static void put(struct dicom_writer *w, const void *p, size_t n)
{
	size_t off = w->own.len;
	if (ml_buf_append(&w->own, p, n) < 0) {
		w_fail(w, "out of memory");
		return;
	}
	add_seg(w, NULL, off, n);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* Elements must ascend within each item (PS3.5 7.1); a violation is recorded as the writer's error. */
static void check_order(struct dicom_writer *w, uint32_t tag)
{
	uint32_t *last = &w->top_last;
	bool *any = &w->top_any;
	if (w->depth) {
		struct open_level *l = &w->stack[w->depth - 1];
		last = &l->last;
		any = &l->any;
	}
	if (*any && tag <= *last)
		w_fail(w, "element (%04X,%04X) written after (%04X,%04X): tags must ascend", DICOM_GROUP(tag),
		       DICOM_ELEMENT(tag), DICOM_GROUP(*last), DICOM_ELEMENT(*last));
	*last = tag;
	*any = true;
}

/* Writes an element header; returns the own-buffer offset of its length field. */
static size_t header(struct dicom_writer *w, uint32_t tag, uint16_t vr, uint32_t len)
{
	check_order(w, tag);
	uint8_t h[12];
	put16(h, DICOM_GROUP(tag));
	put16(h + 2, DICOM_ELEMENT(tag));
	h[4] = (uint8_t)(vr >> 8);
	h[5] = (uint8_t)vr;
	size_t at = w->own.len;
	if (dicom_vr_long(vr)) {
		h[6] = h[7] = 0;
		put32(h + 8, len);
		put(w, h, 12);
		return at + 8;
	}
	if (len > 0xFFFF) {
		char vb[3];
		w_fail(w, "element (%04X,%04X) value of %u bytes is too long for VR %s", DICOM_GROUP(tag),
		       DICOM_ELEMENT(tag), len, dicom_vr_name(vr, vb));
		len = 0;
	}
	put16(h + 6, (uint16_t)len);
	put(w, h, 8);
	return at + 6;
}

static uint16_t resolve_vr(uint32_t tag, uint16_t vr)
{
	return vr ? vr : dicom_implicit_vr(tag, 0, 16);
}

static void elem(struct dicom_writer *w, uint32_t tag, uint16_t vr, const void *value, size_t len, bool ref)
{
	vr = resolve_vr(tag, vr);
	if (len >= 0xFFFFFFFEu) {
		w_fail(w, "element (%04X,%04X) value of %zu bytes is too long", DICOM_GROUP(tag), DICOM_ELEMENT(tag),
		       len);
		return;
	}
	size_t padded = len + (len & 1);
	header(w, tag, vr, (uint32_t)padded);
	if (ref) {
		add_seg(w, value, 0, len);
	} else if (len) {
		put(w, value, len);
	}
	if (len & 1) {
		char pad = dicom_vr_pad(vr);
		put(w, &pad, 1);
	}
}

void dicom_w_elem(struct dicom_writer *w, uint32_t tag, uint16_t vr, const void *value, size_t len)
{
	elem(w, tag, vr, value, len, false);
}

void dicom_w_elem_ref(struct dicom_writer *w, uint32_t tag, uint16_t vr, const void *value, size_t len)
{
	elem(w, tag, vr, value, len, true);
}

void dicom_w_str(struct dicom_writer *w, uint32_t tag, const char *s)
{
	elem(w, tag, 0, s, strlen(s), false);
}

void dicom_w_us(struct dicom_writer *w, uint32_t tag, uint16_t v)
{
	uint8_t b[2];
	put16(b, v);
	elem(w, tag, DICOM_VR_US, b, 2, false);
}

void dicom_w_ul(struct dicom_writer *w, uint32_t tag, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	elem(w, tag, DICOM_VR_UL, b, 4, false);
}

void dicom_w_fd(struct dicom_writer *w, uint32_t tag, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	uint8_t b[8];
	put32(b, (uint32_t)u);
	put32(b + 4, (uint32_t)(u >> 32));
	elem(w, tag, DICOM_VR_FD, b, 8, false);
}

void dicom_w_meta(struct dicom_writer *w, const char *sop_class, const char *sop_instance,
		  const char *transfer_syntax)
{
	if (w->total || w->meta_done) {
		w_fail(w, "the meta group must come first");
		return;
	}
	w->meta_done = true;
	uint8_t pre[132] = {0};
	memcpy(pre + 128, "DICM", 4);
	put(w, pre, sizeof pre);
	/* The group length is the byte count of the meta elements after it: write them, then patch. */
	size_t patch = header(w, DICOM_TAG(0x0002, 0x0000), DICOM_VR_UL, 4);
	uint8_t zero[4] = {0};
	put(w, zero, 4);
	uint64_t start = w->total;
	static const uint8_t version[2] = {0, 1};
	elem(w, DICOM_TAG(0x0002, 0x0001), DICOM_VR_OB, version, 2, false);
	elem(w, DICOM_TAG(0x0002, 0x0002), DICOM_VR_UI, sop_class, strlen(sop_class), false);
	elem(w, DICOM_TAG(0x0002, 0x0003), DICOM_VR_UI, sop_instance, strlen(sop_instance), false);
	const char *ts = transfer_syntax ? transfer_syntax : DICOM_TS_EXPLICIT_LE;
	elem(w, DICOM_TAG(0x0002, 0x0010), DICOM_VR_UI, ts, strlen(ts), false);
	elem(w, DICOM_TAG(0x0002, 0x0012), DICOM_VR_UI, IMPL_CLASS_UID, strlen(IMPL_CLASS_UID), false);
	elem(w, DICOM_TAG(0x0002, 0x0013), DICOM_VR_SH, IMPL_VERSION, strlen(IMPL_VERSION), false);
	if (!w->failed)
		put32((uint8_t *)w->own.data + patch + 2, (uint32_t)(w->total - start));
}

static void push(struct dicom_writer *w, struct open_level l)
{
	if (w->depth == (int)ML_ARRAY_LEN(w->stack)) {
		w_fail(w, "sequences nested too deeply");
		return;
	}
	w->stack[w->depth++] = l;
}

void dicom_w_seq_begin(struct dicom_writer *w, uint32_t tag, bool undefined)
{
	size_t patch = header(w, tag, DICOM_VR_SQ, undefined ? DICOM_UNDEFINED_LENGTH : 0);
	push(w, (struct open_level){.undefined = undefined, .patch = patch, .start = w->total});
}

void dicom_w_item_begin(struct dicom_writer *w, bool undefined)
{
	if (!w->depth || w->stack[w->depth - 1].item || w->stack[w->depth - 1].encap) {
		w_fail(w, "item outside a sequence");
		return;
	}
	uint8_t h[8];
	put16(h, 0xFFFE);
	put16(h + 2, 0xE000);
	put32(h + 4, undefined ? DICOM_UNDEFINED_LENGTH : 0);
	size_t at = w->own.len;
	put(w, h, 8);
	push(w, (struct open_level){.item = true, .undefined = undefined, .patch = at + 4, .start = w->total});
}

static void close_level(struct dicom_writer *w, bool item)
{
	if (!w->depth || w->stack[w->depth - 1].item != item) {
		w_fail(w, item ? "item end without an open item" : "sequence end without an open sequence");
		return;
	}
	struct open_level l = w->stack[--w->depth];
	if (l.undefined) {
		uint8_t h[8];
		put16(h, 0xFFFE);
		put16(h + 2, item ? 0xE00D : 0xE0DD);
		put32(h + 4, 0);
		put(w, h, 8);
	} else {
		uint64_t n = w->total - l.start;
		if (n >= DICOM_UNDEFINED_LENGTH) {
			w_fail(w, "sequence longer than 4 GiB");
			return;
		}
		if (!w->failed)
			put32((uint8_t *)w->own.data + l.patch, (uint32_t)n);
	}
}

void dicom_w_item_end(struct dicom_writer *w)
{
	close_level(w, true);
}

void dicom_w_seq_end(struct dicom_writer *w)
{
	if (w->depth && w->stack[w->depth - 1].encap) {
		w_fail(w, "sequence end inside encapsulated pixel data");
		return;
	}
	close_level(w, false);
}

void dicom_w_encap_begin(struct dicom_writer *w, uint32_t tag)
{
	header(w, tag, DICOM_VR_OB, DICOM_UNDEFINED_LENGTH);
	push(w, (struct open_level){.undefined = true, .encap = true});
}

void dicom_w_fragment(struct dicom_writer *w, const void *data, size_t len, bool ref)
{
	if (!w->depth || !w->stack[w->depth - 1].encap) {
		w_fail(w, "fragment outside encapsulated pixel data");
		return;
	}
	if (len >= 0xFFFFFFFEu) {
		w_fail(w, "fragment of %zu bytes is too long", len);
		return;
	}
	uint8_t h[8];
	put16(h, 0xFFFE);
	put16(h + 2, 0xE000);
	put32(h + 4, (uint32_t)(len + (len & 1)));
	put(w, h, 8);
	if (ref)
		add_seg(w, data, 0, len);
	else
		put(w, data, len);
	if (len & 1)
		put(w, "", 1);
}

void dicom_w_encap_end(struct dicom_writer *w)
{
	if (!w->depth || !w->stack[w->depth - 1].encap) {
		w_fail(w, "encapsulated pixel data end without a start");
		return;
	}
	w->depth--;
	uint8_t h[8];
	put16(h, 0xFFFE);
	put16(h + 2, 0xE0DD);
	put32(h + 4, 0);
	put(w, h, 8);
}

uint64_t dicom_w_size(const struct dicom_writer *w)
{
	return w->total;
}

static int check(struct dicom_writer *w, const char *what, struct ml_err *err)
{
	if (!w->failed && w->depth)
		w_fail(w, "%d sequence(s) or item(s) left open", w->depth);
	if (w->failed)
		return ml_err_set(err, ML_EINVAL, "cannot write '%s': %s", what, w->msg);
	return 0;
}

static const uint8_t *seg_ptr(const struct dicom_writer *w, const struct seg *s)
{
	return s->ref ? s->ref : (const uint8_t *)w->own.data + s->off;
}

int dicom_w_to_buf(struct dicom_writer *w, struct ml_buf *out, struct ml_err *err)
{
	if (check(w, "(memory)", err) < 0)
		return -1;
	if (ml_buf_grow(out, (size_t)w->total) < 0)
		return ml_err_set(err, ML_ENOMEM, "cannot write DICOM: out of memory");
	for (size_t i = 0; i < w->nsegs; i++)
		if (ml_buf_append(out, seg_ptr(w, &w->segs[i]), w->segs[i].len) < 0)
			return ml_err_set(err, ML_ENOMEM, "cannot write DICOM: out of memory");
	return 0;
}

void dicom_w_source(struct dicom_writer *w, const uint8_t *base, size_t len, int fd)
{
	w->src = base;
	w->src_len = len;
	w->src_fd = fd;
}

void dicom_w_copy_start(struct dicom_writer *w, int how)
{
	w->copy_start = how < 0 ? 0 : how > 2 ? 2 : how;
}

uint64_t dicom_w_copied(const struct dicom_writer *w)
{
	return w->copied;
}

/* Below this, copying in the kernel saves less than its extra system calls cost. */
#define COPY_MIN (64 * 1024)

/* The longest tail of the output that is byte for byte the tail of the source file. Walking the segments
 * backwards from the source's end: a borrowed segment matches when it is the source's bytes at exactly that
 * offset (same address in the map), an own segment when its bytes equal the source's there (element headers
 * rewritten identically); an own segment may match in part. The output before the tail is segments
 * [0, *nmem), the last of them cut to *last_len bytes. By construction the file written is the same. */
static uint64_t source_tail(const struct dicom_writer *w, size_t *nmem, size_t *last_len)
{
	*nmem = w->nsegs;
	*last_len = w->nsegs ? w->segs[w->nsegs - 1].len : 0;
	if (!w->src || w->src_fd < 0)
		return 0;
	uintptr_t base = (uintptr_t)w->src;
	size_t cur = w->src_len; /* source offset where the matched tail starts */
	for (size_t i = w->nsegs; i-- > 0;) {
		const struct seg *s = &w->segs[i];
		if (s->ref) {
			uintptr_t p = (uintptr_t)s->ref;
			if (p < base || p - base > w->src_len || s->len > cur || p - base != cur - s->len)
				break;
			cur -= s->len;
			*nmem = i;
			*last_len = i ? w->segs[i - 1].len : 0;
			continue;
		}
		const uint8_t *o = (const uint8_t *)w->own.data + s->off;
		size_t k = 0;
		while (k < s->len && k < cur && o[s->len - 1 - k] == w->src[cur - 1 - k])
			k++;
		cur -= k;
		if (k < s->len) {
			*nmem = i + 1;
			*last_len = s->len - k;
			break;
		}
		*nmem = i;
		*last_len = i ? w->segs[i - 1].len : 0;
	}
	return w->src_len - cur;
}

static bool unsupported(int e)
{
	return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == ENOTSUP || e == EBADF;
}

/* Appends source bytes [off, off + n) to fd: copy_file_range (the kernel moves the bytes, or shares the
 * blocks on file systems that can), else sendfile, else write() from the map. w->copy_how remembers a
 * refusal for the rest of the file. */
static int copy_range(struct dicom_writer *w, int fd, uint64_t off, uint64_t n, const char *path,
		      struct ml_err *err)
{
	while (n) {
		size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
		ssize_t r;
		if (w->copy_how == 0) {
			loff_t in = (loff_t)off;
			r = copy_file_range(w->src_fd, &in, fd, NULL, chunk, 0);
		} else if (w->copy_how == 1) {
			off_t in = (off_t)off;
			r = sendfile(fd, w->src_fd, &in, chunk);
		} else {
			r = write(fd, w->src + off, chunk);
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (w->copy_how < 2 && unsupported(errno)) {
				w->copy_how++;
				continue;
			}
			return ml_err_set(err, ML_EIO, "cannot write '%s': %s", path, strerror(errno));
		}
		if (r == 0)
			return ml_err_set(err, ML_EIO, "cannot write '%s': the input file shrank while it was copied",
					  path);
		off += (uint64_t)r;
		n -= (uint64_t)r;
		if (w->copy_how < 2)
			w->copied += (uint64_t)r;
	}
	return 0;
}

static int flush_iov(int fd, struct iovec *iov, int n, const char *path, struct ml_err *err)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	int k = 0;
	while (total) {
		ssize_t wr = writev(fd, iov + k, n - k);
		if (wr < 0) {
			if (errno == EINTR)
				continue;
			return ml_err_set(err, ML_EIO, "cannot write '%s': %s", path, strerror(errno));
		}
		total -= (size_t)wr;
		while (k < n && (size_t)wr >= iov[k].iov_len) {
			wr -= (ssize_t)iov[k].iov_len;
			k++;
		}
		if (k < n) {
			iov[k].iov_base = (char *)iov[k].iov_base + wr;
			iov[k].iov_len -= (size_t)wr;
		}
	}
	return 0;
}

/* Writes segments [0, nsegs), the last cut to last_len bytes: with writev, except borrowed values of the
 * source of COPY_MIN bytes or more (pixel data followed by changed or removed elements), copied file to
 * file at their offset. */
static int write_segs(struct dicom_writer *w, int fd, size_t nsegs, size_t last_len, const char *path,
		      struct ml_err *err)
{
	struct iovec iov[IOV_MAX < 512 ? IOV_MAX : 512];
	int n = 0;
	uintptr_t base = (uintptr_t)w->src;
	for (size_t i = 0; i < nsegs; i++) {
		const struct seg *s = &w->segs[i];
		size_t len = i == nsegs - 1 ? last_len : s->len;
		uintptr_t p = (uintptr_t)s->ref;
		if (s->ref && w->src_fd >= 0 && len >= COPY_MIN && p >= base && p - base <= w->src_len &&
		    len <= w->src_len - (p - base)) {
			if (flush_iov(fd, iov, n, path, err) < 0 || copy_range(w, fd, p - base, len, path, err) < 0)
				return -1;
			n = 0;
			continue;
		}
		iov[n].iov_base = (void *)seg_ptr(w, s);
		iov[n].iov_len = len;
		if (++n == (int)ML_ARRAY_LEN(iov)) {
			if (flush_iov(fd, iov, n, path, err) < 0)
				return -1;
			n = 0;
		}
	}
	return flush_iov(fd, iov, n, path, err);
}

int dicom_w_save(struct dicom_writer *w, const char *path, struct ml_err *err)
{
	if (check(w, path, err) < 0)
		return -1;
	w->copied = 0;
	w->copy_how = w->copy_start;
	size_t plen = strlen(path);
	char *tmp = ml_malloc(plen + 16);
	if (!tmp)
		return ml_err_set(err, ML_ENOMEM, "cannot write '%s': out of memory", path);
	/* the pid keeps two processes writing the same output apart; asked once, not per file */
	static _Atomic long pid;
	if (!pid)
		pid = (long)getpid();
	snprintf(tmp, plen + 16, "%s.tmp%ld", path, pid);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		ml_free(tmp);
		return ml_err_set(err, ML_EIO, "cannot write '%s': %s", path, strerror(e));
	}
	/* The untouched tail of the input (pixel data and whatever follows it unchanged) is copied from file
	 * to file; the rest, and all of it without a source, is written from memory (values borrowed from an
	 * input map go straight from the map). */
	size_t nmem, last_len;
	uint64_t tail = source_tail(w, &nmem, &last_len);
	if (tail < COPY_MIN) {
		nmem = w->nsegs;
		last_len = nmem ? w->segs[nmem - 1].len : 0;
		tail = 0;
	}
	int rc = write_segs(w, fd, nmem, last_len, path, err);
	if (rc == 0 && tail)
		rc = copy_range(w, fd, w->src_len - tail, tail, path, err);
	/* No fsync: like cp, the output is complete once renamed and the kernel writes it back; a crash
	 * loses at most files that a re-run recreates from the untouched input. */
	if (close(fd) < 0 && rc == 0)
		rc = ml_err_set(err, ML_EIO, "cannot write '%s': %s", path, strerror(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = ml_err_set(err, ML_EIO, "cannot write '%s': %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	ml_free(tmp);
	return rc;
}
