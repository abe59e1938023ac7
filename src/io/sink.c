/* sink.c: the export's output stream: a FILE whose bytes are hashed (BLAKE2b-256) and written to a file
 * descriptor by a helper thread, so formatting rows and writing/hashing them use both cores. */
#include "io/io_int.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#define SINK_BLOCK (1u << 20)
#define SINK_SLOTS 4

struct sink_block {
	size_t len;
	char data[SINK_BLOCK];
};

struct io_sink {
	int fd;
	FILE *f;
	crypto_generichash_state hash;
	uint64_t bytes;
	int err_no;                  /* first write error, 0 if none (read under mu) */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sink_block *queue[SINK_SLOTS];
	int head, count;
	bool busy, stop;
	struct sink_block *cur;      /* being filled by the exporting thread */
	struct sink_block *spare[SINK_SLOTS + 1];
	int nspare;
	char fbuf[1 << 16];
};

static void write_block(struct io_sink *k, struct sink_block *b)
{
	crypto_generichash_update(&k->hash, (const unsigned char *)b->data, b->len);
	const char *p = b->data;
	size_t left = b->len;
	while (left && !k->err_no) {
		ssize_t w = write(k->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			pthread_mutex_lock(&k->mu);
			k->err_no = errno;
			pthread_mutex_unlock(&k->mu);
			break;
		}
		p += w;
		left -= (size_t)w;
	}
}

static void *writer(void *arg)
{
	struct io_sink *k = arg;
	pthread_setname_np(pthread_self(), "ml-export-write");
	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (!k->count && !k->stop)
			pthread_cond_wait(&k->cv, &k->mu);
		if (!k->count && k->stop)
			break;
		struct sink_block *b = k->queue[k->head];
		k->head = (k->head + 1) % SINK_SLOTS;
		k->count--;
		k->busy = true;
		pthread_mutex_unlock(&k->mu);
		write_block(k, b);
		pthread_mutex_lock(&k->mu);
		k->busy = false;
		b->len = 0;
		k->spare[k->nspare++] = b;
		pthread_cond_broadcast(&k->cv);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* Hands the current block to the writer and takes a spare one (waiting if all are queued). */
static void hand_over(struct io_sink *k)
{
	pthread_mutex_lock(&k->mu);
	while (k->count == SINK_SLOTS)
		pthread_cond_wait(&k->cv, &k->mu);
	k->queue[(k->head + k->count) % SINK_SLOTS] = k->cur;
	k->count++;
	pthread_cond_broadcast(&k->cv);
	while (k->nspare == 0)
		pthread_cond_wait(&k->cv, &k->mu);
	k->cur = k->spare[--k->nspare];
	pthread_mutex_unlock(&k->mu);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	struct io_sink *k = cookie;
	pthread_mutex_lock(&k->mu);
	int e = k->err_no;
	pthread_mutex_unlock(&k->mu);
	if (e) {
		errno = e;
		return -1;
	}
	size_t done = 0;
	while (done < n) {
		size_t room = SINK_BLOCK - k->cur->len, take = n - done < room ? n - done : room;
		memcpy(k->cur->data + k->cur->len, buf + done, take);
		k->cur->len += take;
		done += take;
		if (k->cur->len == SINK_BLOCK)
			hand_over(k);
	}
	k->bytes += n;
	return (ssize_t)n;
}

struct io_sink *io_sink_new(int fd)
{
	struct io_sink *k = ml_calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->fd = fd;
	crypto_generichash_init(&k->hash, NULL, 0, 32);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	for (int i = 0; i < SINK_SLOTS + 1; i++)
		k->spare[k->nspare++] = ml_xmalloc(sizeof(struct sink_block));
	for (int i = 0; i < SINK_SLOTS + 1; i++)
		k->spare[i]->len = 0;
	k->cur = k->spare[--k->nspare];
	cookie_io_functions_t fns = {.write = cookie_write};
	k->f = fopencookie(k, "w", fns);
	if (!k->f || pthread_create(&k->thread, NULL, writer, k) != 0) {
		if (k->f)
			fclose(k->f);
		k->f = NULL;
		io_sink_free(k);
		return NULL;
	}
	setvbuf(k->f, k->fbuf, _IOFBF, sizeof k->fbuf);
	return k;
}

FILE *io_sink_file(struct io_sink *k)
{
	return k->f;
}

int io_sink_drain(struct io_sink *k, struct ml_err *err)
{
	int ferr = fflush(k->f) != 0 ? errno : 0;
	if (k->cur->len)
		hand_over(k);
	pthread_mutex_lock(&k->mu);
	while (k->count || k->busy)
		pthread_cond_wait(&k->cv, &k->mu);
	int e = k->err_no ? k->err_no : ferr;
	pthread_mutex_unlock(&k->mu);
	if (e)
		return ml_err_set(err, ML_EIO, "cannot write the export: %s", strerror(e));
	return 0;
}

void io_sink_hash(struct io_sink *k, char out[65])
{
	crypto_generichash_state copy = k->hash; /* only call after io_sink_drain: the writer is idle */
	unsigned char h[32];
	crypto_generichash_final(&copy, h, sizeof h);
	ml_hex_encode(h, sizeof h, out);
}

uint64_t io_sink_bytes(struct io_sink *k)
{
	return k->bytes;
}

void io_sink_free(struct io_sink *k)
{
	if (!k)
		return;
	if (k->f) {
		fclose(k->f); /* flushes into cur; whatever is left is dropped with the blocks below */
		pthread_mutex_lock(&k->mu);
		k->stop = true;
		pthread_cond_broadcast(&k->cv);
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->thread, NULL);
	}
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	ml_free(k->cur);
	for (int i = 0; i < k->nspare; i++)
		ml_free(k->spare[i]);
	for (int i = 0; i < k->count; i++)
		ml_free(k->queue[(k->head + i) % SINK_SLOTS]);
	ml_free(k);
}
