#include "pwhash.h"
#include "util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 64

enum kind { JOB_VERIFY, JOB_DUMMY, JOB_HASH };

struct job {
	struct job *next;
	enum kind kind;
	char *stored;
	char *password;
	cc_pwhash_cb cb;
	void *arg;
	bool ok;
	char hash[crypto_pwhash_STRBYTES];
	const char *err;
};

struct cc_pwhash {
	struct cc_pwhash *next_instance;
	struct lws_context *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, *todo_tail, *done, *done_tail;
	size_t queued;
	bool stop;
	/* written by the worker under mu */
	unsigned long long jobs, total_ms;
};

/* Every live instance; touched only on the loop thread (create, destroy, wake-ups). */
static struct cc_pwhash *instances;

static void push(struct job **head, struct job **tail, struct job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct job *pop(struct job **head, struct job **tail)
{
	struct job *j = *head;

	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
	}
	return j;
}

static void free_job(struct job *j)
{
	if (j->password) {
		sodium_memzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j->stored);
	sodium_memzero(j->hash, sizeof j->hash);
	free(j);
}

int cc_pwhash_hash_now(const char *password, char *out, size_t len)
{
	if (len < crypto_pwhash_STRBYTES)
		return -1;
	return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

static void work(struct job *j)
{
	switch (j->kind) {
	case JOB_VERIFY:
		j->ok = crypto_pwhash_str_verify(j->stored, j->password, strlen(j->password)) == 0;
		break;
	case JOB_DUMMY:
		/* the cost of a verify, spent on nothing */
		if (cc_pwhash_hash_now(j->password, j->hash, sizeof j->hash))
			j->err = "out of memory while hashing";
		j->ok = false;
		break;
	case JOB_HASH:
		j->ok = cc_pwhash_hash_now(j->password, j->hash, sizeof j->hash) == 0;
		if (!j->ok)
			j->err = "out of memory while hashing";
		break;
	}
}

static void *worker(void *p)
{
	struct cc_pwhash *ph = p;

	pthread_mutex_lock(&ph->mu);
	for (;;) {
		struct job *j;
		int64_t t0;

		while (!ph->stop && !ph->todo)
			pthread_cond_wait(&ph->cv, &ph->mu);
		if (ph->stop)
			break;
		j = pop(&ph->todo, &ph->todo_tail);
		pthread_mutex_unlock(&ph->mu);
		t0 = cc_mono_ms();
		work(j);
		pthread_mutex_lock(&ph->mu);
		ph->jobs++;
		ph->total_ms += (unsigned long long)(cc_mono_ms() - t0);
		push(&ph->done, &ph->done_tail, j);
		/* wakes the loop, which calls us back on its own thread */
		lws_cancel_service(ph->ctx);
	}
	pthread_mutex_unlock(&ph->mu);
	return NULL;
}

struct cc_pwhash *cc_pwhash_create(struct lws_context *ctx, char *err, size_t errlen)
{
	struct cc_pwhash *ph = cc_xcalloc(1, sizeof *ph);

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		free(ph);
		return NULL;
	}
	ph->ctx = ctx;
	pthread_mutex_init(&ph->mu, NULL);
	pthread_cond_init(&ph->cv, NULL);
	if (pthread_create(&ph->thread, NULL, worker, ph)) {
		snprintf(err, errlen, "cannot start the password hashing thread");
		pthread_cond_destroy(&ph->cv);
		pthread_mutex_destroy(&ph->mu);
		free(ph);
		return NULL;
	}
	ph->next_instance = instances;
	instances = ph;
	return ph;
}

/* On the loop thread: run the callbacks of finished jobs. */
static void deliver(struct cc_pwhash *ph)
{
	struct job *list;

	pthread_mutex_lock(&ph->mu);
	list = ph->done;
	ph->done = ph->done_tail = NULL;
	pthread_mutex_unlock(&ph->mu);
	while (list) {
		struct job *j = list;
		list = j->next;
		ph->queued--;
		j->cb(j->ok, j->kind == JOB_HASH && j->ok ? j->hash : NULL, j->err, j->arg);
		free_job(j);
	}
}

static int enqueue(struct cc_pwhash *ph, enum kind kind, const char *stored, const char *password,
		   cc_pwhash_cb cb, void *arg)
{
	struct job *j;

	if (ph->queued >= QUEUE_MAX)
		return -1;
	j = cc_xcalloc(1, sizeof *j);
	j->kind = kind;
	j->stored = stored ? cc_xstrdup(stored) : NULL;
	j->password = cc_xstrdup(password);
	j->cb = cb;
	j->arg = arg;
	ph->queued++;
	pthread_mutex_lock(&ph->mu);
	push(&ph->todo, &ph->todo_tail, j);
	pthread_cond_signal(&ph->cv);
	pthread_mutex_unlock(&ph->mu);
	return 0;
}

int cc_pwhash_verify(struct cc_pwhash *ph, const char *stored, const char *password,
		     cc_pwhash_cb cb, void *arg)
{
	return enqueue(ph, stored ? JOB_VERIFY : JOB_DUMMY, stored, password, cb, arg);
}

int cc_pwhash_hash(struct cc_pwhash *ph, const char *password, cc_pwhash_cb cb, void *arg)
{
	return enqueue(ph, JOB_HASH, NULL, password, cb, arg);
}

void cc_pwhash_stats(const struct cc_pwhash *ph, unsigned long long *jobs,
		     unsigned long long *total_ms)
{
	pthread_mutex_lock((pthread_mutex_t *)&ph->mu);
	*jobs = ph->jobs;
	*total_ms = ph->total_ms;
	pthread_mutex_unlock((pthread_mutex_t *)&ph->mu);
}

void cc_pwhash_destroy(struct cc_pwhash *ph)
{
	struct job *j;

	if (!ph)
		return;
	pthread_mutex_lock(&ph->mu);
	ph->stop = true;
	pthread_cond_signal(&ph->cv);
	pthread_mutex_unlock(&ph->mu);
	pthread_join(ph->thread, NULL);
	deliver(ph);
	while ((j = pop(&ph->todo, &ph->todo_tail))) {
		j->cb(false, NULL, "shutting down", j->arg);
		free_job(j);
	}
	for (struct cc_pwhash **pp = &instances; *pp; pp = &(*pp)->next_instance)
		if (*pp == ph) {
			*pp = ph->next_instance;
			break;
		}
	pthread_cond_destroy(&ph->cv);
	pthread_mutex_destroy(&ph->mu);
	free(ph);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	(void)wsi;
	(void)user;
	(void)in;
	(void)len;
	/* lws sends this to every protocol of every vhost once per wake-up: deliver here only */
	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED)
		for (struct cc_pwhash *ph = instances; ph; ph = ph->next_instance)
			deliver(ph);
	return 0;
}

const struct lws_protocols cc_pwhash_protocol = {
	"cc-pwhash", callback, 0, 0, 0, NULL, 0,
};
