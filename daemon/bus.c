#include "bus.h"
#include "fanout.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A server's frame header is at most 10 bytes; it is written into the headroom once. */
_Static_assert(LWS_PRE >= 10, "LWS_PRE leaves no room for a WebSocket frame header");

struct cc_msg {
	int refs;
	size_t len;
	unsigned hlen;             /* frame header just before the text */
	unsigned char data[];      /* LWS_PRE bytes of headroom, then the text, then NUL */
};

struct cc_client {
	struct cc_bus *bus;
	struct lws *wsi;
	struct cc_client *prev, *next;
	struct cc_msg *queue[CC_BUS_QUEUE];
	unsigned head, count;
	int need_snapshot;
	int64_t stalled_since;      /* when it last fell a whole queue behind; 0 once it writes */
};

struct cc_bus {
	struct lws_context *ctx;
	const struct lws_protocols *protocol;
	cc_snapshot_fn snapshot;
	void *user;
	struct cc_client *clients;
	size_t n_clients;
	uint64_t resyncs;
	uint64_t dropped;

	/* direct fan-out (NULL: every message goes through lws_write) */
	struct cc_fanout *fanout;
	cc_direct_gate_fn gate;
	struct cc_fanout_job *jobs;
	struct cc_client **job_client;
	size_t jobs_cap;
	struct cc_bus_fanout_stats stats;
};

struct cc_msg *cc_msg_create(const char *json, size_t len)
{
	struct cc_msg *m = cc_xmalloc(sizeof *m + LWS_PRE + len + 1);

	m->refs = 1;
	m->len = len;
	memcpy(m->data + LWS_PRE, json, len);
	m->data[LWS_PRE + len] = '\0';
	/* The same bytes lws_write puts there for a final text frame from a server (no mask, no
	 * extensions), so either path may send this message. */
	{
		unsigned char h[10];
		unsigned n = 0;
		h[n++] = 0x81;
		if (len < 126) {
			h[n++] = (unsigned char)len;
		} else if (len <= 0xffff) {
			h[n++] = 126;
			h[n++] = (unsigned char)(len >> 8);
			h[n++] = (unsigned char)len;
		} else {
			h[n++] = 127;
			for (int k = 7; k >= 0; k--)
				h[n++] = (unsigned char)((uint64_t)len >> (8 * k));
		}
		m->hlen = n;
		memcpy(m->data + LWS_PRE - n, h, n);
	}
	return m;
}

struct cc_msg *cc_msg_ref(struct cc_msg *m)
{
	m->refs++;
	return m;
}

void cc_msg_unref(struct cc_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

const char *cc_msg_text(const struct cc_msg *m) { return (const char *)m->data + LWS_PRE; }
size_t cc_msg_len(const struct cc_msg *m) { return m->len; }

const unsigned char *cc_msg_frame(const struct cc_msg *m, size_t *len)
{
	*len = m->hlen + m->len;
	return m->data + LWS_PRE - m->hlen;
}

struct cc_bus *cc_bus_create(struct lws_context *ctx, const struct lws_protocols *protocol,
			     cc_snapshot_fn snapshot, void *user)
{
	struct cc_bus *bus = cc_xcalloc(1, sizeof *bus);

	bus->ctx = ctx;
	bus->protocol = protocol;
	bus->snapshot = snapshot;
	bus->user = user;
	return bus;
}

static void drop_queue(struct cc_client *c)
{
	while (c->count) {
		cc_msg_unref(c->queue[c->head]);
		c->head = (c->head + 1) % CC_BUS_QUEUE;
		c->count--;
	}
	c->head = 0;
}

struct cc_client *cc_bus_attach(struct cc_bus *bus, struct lws *wsi)
{
	struct cc_client *c = cc_xcalloc(1, sizeof *c);

	c->bus = bus;
	c->wsi = wsi;
	c->need_snapshot = 1;
	c->next = bus->clients;
	if (bus->clients)
		bus->clients->prev = c;
	bus->clients = c;
	bus->n_clients++;
	lws_callback_on_writable(wsi);
	return c;
}

void cc_bus_detach(struct cc_client *c)
{
	struct cc_bus *bus;

	if (!c)
		return;
	bus = c->bus;
	drop_queue(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		bus->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bus->n_clients--;
	free(c);
}

static void enqueue(struct cc_client *c, struct cc_msg *m)
{
	if (c->need_snapshot)
		return;  /* the snapshot it will get already holds this change */
	if (c->count == CC_BUS_QUEUE) {
		drop_queue(c);
		c->need_snapshot = 1;
		c->bus->resyncs++;
		if (!c->stalled_since)
			c->stalled_since = cc_mono_ms();
		return;
	}
	c->queue[(c->head + c->count) % CC_BUS_QUEUE] = cc_msg_ref(m);
	c->count++;
}

void cc_bus_set_fanout(struct cc_bus *bus, struct cc_fanout *f, cc_direct_gate_fn gate)
{
	bus->fanout = f;
	bus->gate = gate;
}

/* May this message go straight to the socket? Only when nothing is ahead of it: no queue, no
 * snapshot owed and nothing lws itself holds back. */
static int direct_ok(struct cc_bus *bus, struct cc_client *c)
{
	return !c->need_snapshot && !c->count && !lws_partial_buffered(c->wsi) &&
	       lws_get_socket_fd(c->wsi) >= 0 && (!bus->gate || bus->gate(c->wsi));
}

static void broadcast_direct(struct cc_bus *bus, struct cc_msg *m)
{
	size_t n = 0, flen;
	const unsigned char *frame = cc_msg_frame(m, &flen);
	int parts;
	int64_t t0 = cc_mono_us();

	if (bus->jobs_cap < bus->n_clients) {
		bus->jobs_cap = bus->n_clients + bus->n_clients / 2 + 16;
		bus->jobs = cc_xrealloc(bus->jobs, bus->jobs_cap * sizeof *bus->jobs);
		bus->job_client = cc_xrealloc(bus->job_client, bus->jobs_cap * sizeof *bus->job_client);
	}
	for (struct cc_client *c = bus->clients; c; c = c->next) {
		if (direct_ok(bus, c)) {
			bus->jobs[n].fd = lws_get_socket_fd(c->wsi);
			bus->job_client[n++] = c;
		} else {
			enqueue(c, m);
			lws_callback_on_writable(c->wsi);
		}
	}
	parts = cc_fanout_run(bus->fanout, bus->jobs, n, frame, flen);
	for (size_t i = 0; i < n; i++) {
		struct cc_fanout_job *j = &bus->jobs[i];
		struct cc_client *c = bus->job_client[i];
		if (j->sent == (ssize_t)flen) {
			c->stalled_since = 0;
		} else if (j->sent > 0) {
			/* lws keeps the rest and sends it before anything else on this socket, a
			 * pong included, so no frame of its own can land inside ours; until then
			 * lws_partial_buffered() routes this client's messages through its queue. */
			c->stalled_since = 0;
			bus->stats.partial++;
			if (lws_write(c->wsi, (unsigned char *)frame + j->sent, flen - (size_t)j->sent,
				      LWS_WRITE_RAW) < 0)
				lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		} else if (j->err == EAGAIN || j->err == EWOULDBLOCK) {
			enqueue(c, m);
			bus->stats.full++;
			lws_callback_on_writable(c->wsi);
		} else {
			/* The peer is gone; lws notices on its side of the socket and closes it. */
			bus->stats.failed++;
		}
	}
	bus->stats.direct += n;
	bus->stats.last_clients = n;
	bus->stats.last_threads = parts;
	bus->stats.last_us = cc_mono_us() - t0;
}

void cc_bus_broadcast(struct cc_bus *bus, struct cc_msg *m)
{
	if (bus->fanout) {
		broadcast_direct(bus, m);
		return;
	}
	for (struct cc_client *c = bus->clients; c; c = c->next)
		enqueue(c, m);
	if (bus->clients)
		lws_callback_on_writable_all_protocol(bus->ctx, bus->protocol);
}

const struct cc_bus_fanout_stats *cc_bus_fanout_stats(const struct cc_bus *bus)
{
	return &bus->stats;
}

void cc_bus_send(struct cc_client *c, struct cc_msg *m)
{
	enqueue(c, m);
	lws_callback_on_writable(c->wsi);
}

static int write_msg(struct cc_client *c, struct cc_msg *m)
{
	int n = lws_write(c->wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
	return n < (int)m->len ? -1 : 0;
}

int cc_bus_writable(struct cc_client *c)
{
	struct cc_msg *m;
	int rc;

	if (c->need_snapshot) {
		m = c->bus->snapshot(c->bus->user);
		c->need_snapshot = 0;
		drop_queue(c);
		rc = write_msg(c, m);
		cc_msg_unref(m);
	} else if (c->count) {
		m = c->queue[c->head];
		c->head = (c->head + 1) % CC_BUS_QUEUE;
		c->count--;
		rc = write_msg(c, m);
		cc_msg_unref(m);
	} else {
		return 0;
	}
	if (rc)
		return -1;
	c->stalled_since = 0;
	if (c->count || c->need_snapshot)
		lws_callback_on_writable(c->wsi);
	return 0;
}

size_t cc_bus_drop_stalled(struct cc_bus *bus, int64_t limit_ms)
{
	int64_t now = cc_mono_ms();
	size_t n = 0;

	for (struct cc_client *c = bus->clients; c; c = c->next) {
		if (!c->stalled_since || now - c->stalled_since < limit_ms)
			continue;
		/* closed from the loop, not from here: its CLOSED callback detaches it */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		c->stalled_since = 0;
		bus->dropped++;
		n++;
	}
	return n;
}

uint64_t cc_bus_dropped(const struct cc_bus *bus) { return bus->dropped; }

size_t cc_bus_clients(const struct cc_bus *bus) { return bus->n_clients; }
uint64_t cc_bus_resyncs(const struct cc_bus *bus) { return bus->resyncs; }

void cc_bus_destroy(struct cc_bus *bus)
{
	if (!bus)
		return;
	while (bus->clients)
		cc_bus_detach(bus->clients);
	free(bus->jobs);
	free(bus->job_client);
	free(bus);
}
