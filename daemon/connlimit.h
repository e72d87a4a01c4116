/*
 * Open connections counted in all and per client address, so one address cannot take every
 * socket the daemon has. lws asks before it has a connection object (with the socket only) and
 * tells of the connection's end with the object only: a connection admitted is "pending" until
 * it is attached to the object that later ends it.
 */
#ifndef CC_CONNLIMIT_H
#define CC_CONNLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_connlimit;

enum cc_conn_verdict { CC_CONN_OK, CC_CONN_TOO_MANY, CC_CONN_TOO_MANY_FROM_ADDRESS };

struct cc_connlimit *cc_connlimit_create(int max_total, int max_per_address);
void cc_connlimit_destroy(struct cc_connlimit *c);
/* New limits (a reload): connections already open stay; new ones are judged by these. */
void cc_connlimit_set_limits(struct cc_connlimit *c, int max_total, int max_per_address);

/* A new connection from addr: counted when CC_CONN_OK and then pending. exempt (a trusted
 * proxy, whose one address carries many clients) counts toward the total only. A connection
 * still pending from before was never attached (lws gave up on it): it is released first. */
enum cc_conn_verdict cc_connlimit_admit(struct cc_connlimit *c, const char *addr, bool exempt);

/* The pending connection is conn (any unique pointer); false when none is pending. */
bool cc_connlimit_attach(struct cc_connlimit *c, const void *conn);

/* conn ended: its counts are released. Unknown conns are ignored. */
void cc_connlimit_release(struct cc_connlimit *c, const void *conn);

size_t cc_connlimit_open(const struct cc_connlimit *c);
/* How long ago conn was attached, in ms; -1 for an unknown conn. */
int64_t cc_connlimit_age_ms(const struct cc_connlimit *c, const void *conn);
/* Connections open from addr (0 for an exempt or unknown one). */
unsigned cc_connlimit_from(const struct cc_connlimit *c, const char *addr);

#endif
