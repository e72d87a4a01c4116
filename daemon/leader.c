#include "leader.h"
#include "log.h"
#include "pgconn.h"
#include "util.h"

#include <stdlib.h>

#define TRY_MS 1000
/* Any constant will do, as long as every instance uses the same one. */
#define LOCK_KEY "727467656C6C"

struct cc_leader {
	struct cc_loop loop;
	struct cc_pgconn *pc;
	char *instance;
	bool leading;
	bool decided;               /* a first try has answered */
	bool in_flight;
	void (*on_change)(void *arg, bool leading);
	void *arg;
	lws_sorted_usec_list_t try_sul;
};

static void set_leading(struct cc_leader *l, bool leading)
{
	if (l->leading == leading)
		return;
	l->leading = leading;
	cc_info("%s", leading ? "this instance now leads: polling partners and running alerts"
			      : "this instance follows the leader through the hub");
	l->on_change(l->arg, leading);
}

static void recorded(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	(void)pc;
	(void)res;
	(void)arg;
	if (err)
		cc_warn("leader: could not record leadership: %s", err);
}

static void tried(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_leader *l = arg;
	const char *params[1] = { l->instance };

	l->in_flight = false;
	if (err || PQntuples(res) != 1)
		return;
	l->decided = true;
	if (PQgetvalue(res, 0, 0)[0] == 't') {
		cc_pgconn_query(pc,
				"INSERT INTO commcell.leader (instance) VALUES ($1) ON CONFLICT (id) DO "
				"UPDATE SET instance = EXCLUDED.instance, since = now()",
				1, params, recorded, l);
		set_leading(l, true);
	}
}

static void try_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_leader *l = lws_container_of(sul, struct cc_leader, try_sul);

	if (!l->leading && !l->in_flight && cc_pgconn_state(l->pc) == CC_PG_READY &&
	    !cc_pgconn_query(l->pc, "SELECT pg_try_advisory_lock(x'" LOCK_KEY "'::bigint)", 0, NULL,
			     tried, l))
		l->in_flight = true;
	lws_sul_schedule(l->loop.ctx, 0, &l->try_sul, try_fired, TRY_MS * LWS_US_PER_MS);
}

static void on_ready(struct cc_pgconn *pc, void *arg)
{
	struct cc_leader *l = arg;

	(void)pc;
	l->in_flight = false;
	try_fired(&l->try_sul);
}

static void on_failure(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *arg)
{
	struct cc_leader *l = arg;

	(void)pc;
	(void)retry_ms;
	/* the lock went with the connection: another instance may lead already */
	if (l->leading)
		cc_warn("leader: lost the hub connection holding leadership: %s", reason);
	l->in_flight = false;
	set_leading(l, false);
}

struct cc_leader *cc_leader_create(const struct cc_loop *loop, const char *hub_conninfo,
				   const char *instance,
				   void (*on_change)(void *arg, bool leading), void *arg)
{
	static const struct cc_pgconn_events ev = { on_ready, on_failure, NULL };
	struct cc_pgconn_opts opts = { .statement_timeout_ms = 5000, .connect_timeout_ms = 5000,
				       .backoff_max_ms = 5000 };
	struct cc_leader *l = cc_xcalloc(1, sizeof *l);

	l->loop = *loop;
	l->instance = cc_xstrdup(instance);
	l->on_change = on_change;
	l->arg = arg;
	l->pc = cc_pgconn_create(loop, "leader", hub_conninfo, &opts, &ev, l);
	return l;
}

void cc_leader_start(struct cc_leader *l)
{
	cc_pgconn_start(l->pc);
	lws_sul_schedule(l->loop.ctx, 0, &l->try_sul, try_fired, TRY_MS * LWS_US_PER_MS);
}

bool cc_leader_leading(const struct cc_leader *l) { return l->leading; }
bool cc_leader_decided(const struct cc_leader *l) { return l->decided || l->leading; }

void cc_leader_destroy(struct cc_leader *l)
{
	if (!l)
		return;
	lws_sul_cancel(&l->try_sul);
	cc_pgconn_destroy(l->pc);   /* closing the session releases the lock at once */
	free(l->instance);
	free(l);
}
