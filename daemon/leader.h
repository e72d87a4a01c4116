/*
 * Leadership among commcelld instances sharing one hub: a session-level PostgreSQL advisory lock
 * held on a connection of its own. Whoever holds it leads; if its process or connection dies the
 * server releases the lock and another instance takes it at its next try (every second). No
 * consensus of our own: the hub decides.
 */
#ifndef CC_LEADER_H
#define CC_LEADER_H

#include "loop.h"

#include <stdbool.h>

struct cc_leader;

struct cc_leader *cc_leader_create(const struct cc_loop *loop, const char *hub_conninfo,
				   const char *instance,
				   void (*on_change)(void *arg, bool leading), void *arg);
void cc_leader_destroy(struct cc_leader *l);
void cc_leader_start(struct cc_leader *l);
bool cc_leader_leading(const struct cc_leader *l);
/* Whether this instance knows yet if it leads (its first try answered). */
bool cc_leader_decided(const struct cc_leader *l);

#endif
