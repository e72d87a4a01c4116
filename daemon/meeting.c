#include "meeting.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum { GOALS, ACTIONS, N_LISTS };

static const char *const names[N_LISTS] = { "goals", "actions" };

static const char *const list_sql[N_LISTS] = {
	"SELECT coalesce(jsonb_agg(commcell.goal_json(g)"
	" ORDER BY s.position, m.position, g.partner, g.metric, g.site), '[]'::jsonb)"
	" FROM commcell.goal g"
	" JOIN commcell.metric m ON m.partner = g.partner AND m.key = g.metric"
	" JOIN commcell.stage s ON s.key = m.stage",
	"SELECT coalesce(jsonb_agg(commcell.action_json(a) ORDER BY a.due_on, a.id), '[]'::jsonb)"
	" FROM commcell.action a WHERE a.status IN ('open', 'in_progress')",
};

struct list {
	struct cc_meeting *m;
	int which;
	char *text;        /* as last handed on, to tell a real change from a repeat */
	bool in_flight;
	/* A NOTIFY came while a load was queued or running: load once more after it. On the hub
	 * connection the server sends a NOTIFY only between queries, so a running load cannot
	 * miss it yet; this keeps the list right on any connection, at the cost of a repeat. */
	bool again;
	bool warned;
};

struct cc_meeting {
	struct cc_pgconn *pc;
	cc_meeting_list_fn fn;
	void *arg;
	struct list lists[N_LISTS];
};

static void load(struct list *l);

static void loaded(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct list *l = arg;
	const char *text;
	json_t *list;

	(void)pc;
	l->in_flight = false;
	if (err) {
		/* a lost connection reloads when it is back; a refusal (a hub without the meeting's
		 * tables) is said once and tried again at the next change */
		if (res && !l->warned) {
			cc_warn("meeting: cannot load the %s: %s", names[l->which], err);
			l->warned = true;
		}
		l->again = false;
		return;
	}
	l->warned = false;
	text = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "[]";
	if (!l->text || strcmp(l->text, text)) {
		list = json_loads(text, 0, NULL);
		if (json_is_array(list)) {
			free(l->text);
			l->text = cc_xstrdup(text);
			l->m->fn(l->m->arg, names[l->which], list);
		} else {
			cc_warn("meeting: the hub's %s list is not a JSON array", names[l->which]);
		}
		json_decref(list);
	}
	if (l->again) {
		l->again = false;
		load(l);
	}
}

static void load(struct list *l)
{
	struct cc_meeting *m = l->m;

	if (l->in_flight) {
		l->again = true;
		return;
	}
	if (!m->pc || cc_pgconn_query(m->pc, list_sql[l->which], 0, NULL, loaded, l))
		return;  /* not connected: loaded again when the hub is back */
	l->in_flight = true;
}

struct cc_meeting *cc_meeting_create(cc_meeting_list_fn fn, void *arg)
{
	struct cc_meeting *m = cc_xcalloc(1, sizeof *m);

	m->fn = fn;
	m->arg = arg;
	for (int i = 0; i < N_LISTS; i++) {
		m->lists[i].m = m;
		m->lists[i].which = i;
	}
	return m;
}

void cc_meeting_set_conn(struct cc_meeting *m, struct cc_pgconn *pc)
{
	m->pc = pc;
	/* a load queued on a connection that dropped was answered with an error: none is left
	 * in flight, so both load now */
	for (int i = 0; i < N_LISTS; i++)
		load(&m->lists[i]);
}

void cc_meeting_changed(struct cc_meeting *m, const char *payload)
{
	bool known = payload && !strcmp(payload, "huddles");

	for (int i = 0; i < N_LISTS; i++)
		known = known || (payload && !strcmp(payload, names[i]));
	for (int i = 0; i < N_LISTS; i++)
		if (!known || !strcmp(payload, names[i]))
			load(&m->lists[i]);
}

void cc_meeting_destroy(struct cc_meeting *m)
{
	if (!m)
		return;
	for (int i = 0; i < N_LISTS; i++)
		free(m->lists[i].text);
	free(m);
}
