#include "connlimit.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096   /* chains stay short up to tens of thousands of connections */

struct addr_node {
	struct addr_node *next;
	unsigned count;
	char addr[];
};

struct conn_node {
	struct conn_node *next;
	const void *conn;
	struct addr_node *from;    /* NULL: exempt */
	int64_t opened_ms;         /* monotonic */
};

struct cc_connlimit {
	int max_total, max_per_address;
	size_t open;
	struct addr_node *addrs[BUCKETS];
	struct conn_node *conns[BUCKETS];
	bool pending;
	struct addr_node *pending_from;
};

static size_t hash_text(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % BUCKETS;
}

static size_t hash_ptr(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (size_t)(v % BUCKETS);
}

struct cc_connlimit *cc_connlimit_create(int max_total, int max_per_address)
{
	struct cc_connlimit *c = cc_xcalloc(1, sizeof *c);

	c->max_total = max_total;
	c->max_per_address = max_per_address;
	return c;
}

void cc_connlimit_set_limits(struct cc_connlimit *c, int max_total, int max_per_address)
{
	c->max_total = max_total;
	c->max_per_address = max_per_address;
}

static struct addr_node **find_addr(struct cc_connlimit *c, const char *addr)
{
	struct addr_node **p = &c->addrs[hash_text(addr)];

	while (*p && strcmp((*p)->addr, addr))
		p = &(*p)->next;
	return p;
}

static void put_back(struct cc_connlimit *c, struct addr_node *from)
{
	c->open--;
	if (from && !--from->count) {
		struct addr_node **p = find_addr(c, from->addr);
		*p = from->next;
		free(from);
	}
}

enum cc_conn_verdict cc_connlimit_admit(struct cc_connlimit *c, const char *addr, bool exempt)
{
	struct addr_node **p, *a = NULL;

	if (c->pending) {
		c->pending = false;
		put_back(c, c->pending_from);
	}
	if (c->open >= (size_t)c->max_total)
		return CC_CONN_TOO_MANY;
	if (!exempt) {
		p = find_addr(c, addr);
		if (*p && (*p)->count >= (unsigned)c->max_per_address)
			return CC_CONN_TOO_MANY_FROM_ADDRESS;
		if (!*p) {
			size_t n = strlen(addr);
			*p = cc_xcalloc(1, sizeof **p + n + 1);
			memcpy((*p)->addr, addr, n + 1);
		}
		a = *p;
		a->count++;
	}
	c->open++;
	c->pending = true;
	c->pending_from = a;
	return CC_CONN_OK;
}

bool cc_connlimit_attach(struct cc_connlimit *c, const void *conn)
{
	struct conn_node *n;
	size_t h = hash_ptr(conn);

	if (!c->pending)
		return false;
	c->pending = false;
	n = cc_xmalloc(sizeof *n);
	n->conn = conn;
	n->from = c->pending_from;
	n->opened_ms = cc_mono_ms();
	n->next = c->conns[h];
	c->conns[h] = n;
	return true;
}

void cc_connlimit_release(struct cc_connlimit *c, const void *conn)
{
	for (struct conn_node **p = &c->conns[hash_ptr(conn)]; *p; p = &(*p)->next)
		if ((*p)->conn == conn) {
			struct conn_node *n = *p;
			*p = n->next;
			put_back(c, n->from);
			free(n);
			return;
		}
}

size_t cc_connlimit_open(const struct cc_connlimit *c) { return c->open; }

int64_t cc_connlimit_age_ms(const struct cc_connlimit *c, const void *conn)
{
	for (const struct conn_node *n = c->conns[hash_ptr(conn)]; n; n = n->next)
		if (n->conn == conn)
			return cc_mono_ms() - n->opened_ms;
	return -1;
}

unsigned cc_connlimit_from(const struct cc_connlimit *c, const char *addr)
{
	struct addr_node **p = find_addr((struct cc_connlimit *)c, addr);

	return *p ? (*p)->count : 0;
}

void cc_connlimit_destroy(struct cc_connlimit *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (c->conns[i]) {
			struct conn_node *n = c->conns[i];
			c->conns[i] = n->next;
			free(n);
		}
		while (c->addrs[i]) {
			struct addr_node *a = c->addrs[i];
			c->addrs[i] = a->next;
			free(a);
		}
	}
	free(c);
}
