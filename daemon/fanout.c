#include "fanout.h"

#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct worker {
	struct cc_fanout *f;
	int index;              /* its slice is index + 1; the caller takes slice 0 */
	pthread_t thread;
};

struct cc_fanout {
	int threads;            /* including the caller */
	int batch;
	struct worker *workers; /* threads - 1 */
	int started;

	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long generation;
	int pending;            /* workers that have not finished this generation */
	bool stop;

	/* the current job, read by workers between go and done */
	struct cc_fanout_job *jobs;
	size_t n;
	const void *buf;
	size_t len;
	int parts;
};

static void send_slice(struct cc_fanout *f, int part)
{
	size_t from = f->n * (size_t)part / (size_t)f->parts;
	size_t to = f->n * (size_t)(part + 1) / (size_t)f->parts;

	for (size_t i = from; i < to; i++) {
		struct cc_fanout_job *j = &f->jobs[i];
		ssize_t s;
		do
			s = send(j->fd, f->buf, f->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (s < 0 && errno == EINTR);
		j->sent = s;
		j->err = s < 0 ? errno : 0;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cc_fanout *f = w->f;
	unsigned long seen = 0;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->generation == seen && !f->stop)
			pthread_cond_wait(&f->go, &f->mu);
		if (f->stop)
			break;
		seen = f->generation;
		if (w->index + 1 < f->parts) {
			pthread_mutex_unlock(&f->mu);
			send_slice(f, w->index + 1);
			pthread_mutex_lock(&f->mu);
		}
		if (--f->pending == 0)
			pthread_cond_signal(&f->done);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int cc_fanout_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

struct cc_fanout *cc_fanout_create(int threads, int batch, char *err, size_t errlen)
{
	struct cc_fanout *f = cc_xcalloc(1, sizeof *f);

	f->threads = threads < 1 ? 1 : threads;
	f->batch = batch < 1 ? 1 : batch;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->go, NULL);
	pthread_cond_init(&f->done, NULL);
	f->workers = cc_xcalloc((size_t)f->threads, sizeof *f->workers);
	for (int i = 0; i < f->threads - 1; i++) {
		int rc;
		f->workers[i].f = f;
		f->workers[i].index = i;
		rc = pthread_create(&f->workers[i].thread, NULL, worker_main, &f->workers[i]);
		if (rc) {
			snprintf(err, errlen, "cannot start a fan-out thread: %s", strerror(rc));
			cc_fanout_destroy(f);
			return NULL;
		}
		f->started++;
	}
	return f;
}

void cc_fanout_destroy(struct cc_fanout *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->go);
	pthread_mutex_unlock(&f->mu);
	for (int i = 0; i < f->started; i++)
		pthread_join(f->workers[i].thread, NULL);
	pthread_cond_destroy(&f->go);
	pthread_cond_destroy(&f->done);
	pthread_mutex_destroy(&f->mu);
	free(f->workers);
	free(f);
}

int cc_fanout_run(struct cc_fanout *f, struct cc_fanout_job *jobs, size_t n, const void *buf,
		  size_t len)
{
	int parts = (int)(n / (size_t)f->batch);

	if (parts > f->started + 1)
		parts = f->started + 1;
	if (parts < 1)
		parts = 1;
	f->jobs = jobs;
	f->n = n;
	f->buf = buf;
	f->len = len;
	f->parts = parts;
	if (parts == 1) {
		send_slice(f, 0);
		return 1;
	}
	pthread_mutex_lock(&f->mu);
	f->generation++;
	f->pending = f->started;
	pthread_cond_broadcast(&f->go);
	pthread_mutex_unlock(&f->mu);

	send_slice(f, 0);

	pthread_mutex_lock(&f->mu);
	while (f->pending)
		pthread_cond_wait(&f->done, &f->mu);
	pthread_mutex_unlock(&f->mu);
	return parts;
}
