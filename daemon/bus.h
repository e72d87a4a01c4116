/*
 * Fan-out of board messages to WebSocket clients.
 *
 * A message is encoded once into a reference-counted buffer with LWS_PRE headroom, and the same
 * buffer is queued for every client. Each client holds at most CC_BUS_QUEUE messages; a client
 * that falls further behind loses its queue and is sent a fresh snapshot when it can write again,
 * so a stalled reader costs bounded memory and never a backlog.
 */
#ifndef CC_BUS_H
#define CC_BUS_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#define CC_BUS_QUEUE 64

struct cc_msg;
struct cc_bus;
struct cc_client;
struct cc_fanout;

/* Copies json; the result has one reference. */
struct cc_msg *cc_msg_create(const char *json, size_t len);
struct cc_msg *cc_msg_ref(struct cc_msg *m);
void cc_msg_unref(struct cc_msg *m);
const char *cc_msg_text(const struct cc_msg *m);
size_t cc_msg_len(const struct cc_msg *m);
/* The whole WebSocket frame (header + text) as a server sends it. */
const unsigned char *cc_msg_frame(const struct cc_msg *m, size_t *len);

/* Returns a new reference to a snapshot of the current state. */
typedef struct cc_msg *(*cc_snapshot_fn)(void *user);

struct cc_bus *cc_bus_create(struct lws_context *ctx, const struct lws_protocols *protocol,
			     cc_snapshot_fn snapshot, void *user);
void cc_bus_destroy(struct cc_bus *bus);

/* A new client starts with a snapshot pending. */
struct cc_client *cc_bus_attach(struct cc_bus *bus, struct lws *wsi);
void cc_bus_detach(struct cc_client *c);

/* May a message bypass the client's WRITEABLE callback? (e.g. its session is still valid) */
typedef int (*cc_direct_gate_fn)(struct lws *wsi);

/* With f set, a broadcast is sent at once, in parallel, straight to the socket of every client
 * that has nothing queued and passes gate; the others (and any remainder the kernel did not
 * take) go through the queue as before. f stays owned by the caller. */
void cc_bus_set_fanout(struct cc_bus *bus, struct cc_fanout *f, cc_direct_gate_fn gate);

struct cc_bus_fanout_stats {
	uint64_t direct;          /* frames handed to the kernel in one go */
	uint64_t partial;         /* kernel took part: the rest follows on writable */
	uint64_t full;            /* socket full: queued instead */
	uint64_t failed;          /* send failed: the connection is going */
	size_t last_clients;
	int last_threads;
	int64_t last_us;          /* time the last broadcast held the loop */
};
const struct cc_bus_fanout_stats *cc_bus_fanout_stats(const struct cc_bus *bus);

/* Queue m for every client (m's reference stays with the caller). */
void cc_bus_broadcast(struct cc_bus *bus, struct cc_msg *m);
/* Queue m for one client. */
void cc_bus_send(struct cc_client *c, struct cc_msg *m);

/* Call from LWS_CALLBACK_SERVER_WRITEABLE. Returns -1 when the connection should close. */
int cc_bus_writable(struct cc_client *c);

/* Disconnect clients that have not taken a message for limit_ms while falling behind (a reader
 * that stopped reading). Returns how many. */
size_t cc_bus_drop_stalled(struct cc_bus *bus, int64_t limit_ms);
uint64_t cc_bus_dropped(const struct cc_bus *bus);

size_t cc_bus_clients(const struct cc_bus *bus);
uint64_t cc_bus_resyncs(const struct cc_bus *bus);

#endif
